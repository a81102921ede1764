/*
 * userprovider.h — the UserProvider service (lib/userprovider.c): the
 * vCenter users and groups the connector knows, enumerated by the
 * userprovider job with the registered service account and kept in the
 * vcenter_users table, one whole enumeration at a time; and the lookup the
 * authentication proxy makes ("is this an enumerated user?").
 * cron/connector-userprovider hands userprovider_run to the job runner
 * (lib/job.h).  Domain layer: no request.
 */
#ifndef CONNECTOR_USERPROVIDER_H
#define CONNECTOR_USERPROVIDER_H

#include "domain.h"
#include "job.h"

/*
 * Settings.  The domain enumerated is the service account's: "svc@corp"
 * and "CORP\svc" give "corp" and "CORP", a bare "svc" vCenter's default
 * domain; UP_DOMAIN, when set, names another.  UP_LIMIT is the most
 * entries vCenter answers to one search (its ads.maxFetch; default
 * VSPHERE_DIRECTORY_LIMIT, 5000, as vCenter's).
 */
#define UP_DOMAIN "userprovider.domain"
#define UP_LIMIT "userprovider.limit"
#define UP_LISTED_AT "userprovider.listed_at"	/* the list's enumeration */
#define UP_LIMIT_MAX 1000000
#define UP_NAME_MAX 256		/* a sign-in name, bytes */

/* The job's name (jobs.job) and time limit; cron runs it every
 * UP_INTERVAL_MINUTES (dist/cron.d/connector). */
#define UP_JOB "userprovider"
#define UP_INTERVAL_MINUTES 10
#define UP_TIME_LIMIT 480

/* What one replacement of the list changed. */
struct up_counts {
	long added, changed, removed;
	long users, groups;		/* the list after it */
};

int userprovider_split(const char *name, char *domain, size_t domlen,
    char *user, size_t userlen);
int userprovider_domain(char *out, size_t outlen, int *from_setting);
int userprovider_limit(void);
int userprovider_stage_begin(void);
int userprovider_stage(const struct vsphere_principal *p);
int userprovider_replace(const char *domain, time_t now,
    struct up_counts *out);
int userprovider_find_user(const char *typed, char *domain, size_t dlen,
    char *principal, size_t plen);
int userprovider_run(struct job_report *rep);

#endif
