/*
 * health.h — the Health Status pane: its items, their checks, and what the
 * last runs found.
 *
 *   lib/healthstate.c  the items (the seed's names and order), reading the
 *                      stored state and history: the dashboard, the API,
 *                      /metrics and `connector-setup health` link only this,
 *                      and so stay free of the outbound clients;
 *   lib/health.c       the runner: every check in its own process, in
 *                      parallel, each with its own time limit; the results
 *                      written in one transaction with their history;
 *   lib/check_*.c      the checks, one function per item.
 *
 * cron/connector-health hands health_run to the job runner (lib/job.h)
 * every minute; "Check now" starts the same run (health_start).
 */
#ifndef CONNECTOR_HEALTH_H
#define CONNECTOR_HEALTH_H

#include <time.h>

#include <jansson.h>

#include "job.h"

#define HEALTH_JOB "health"		/* its name in the jobs table */
#define HEALTH_INTERVAL 60		/* dist/cron.d/connector */
#define HEALTH_TIME_LIMIT 50		/* the whole run, seconds */
/* One check's time limit, seconds: setting health.timeout, in this range.
 * A check gives its own clients this limit; a check still going a second
 * after it is killed and recorded as an error. */
#define HEALTH_TIMEOUT_SETTING "health.timeout"
#define HEALTH_TIMEOUT_DEFAULT 10
#define HEALTH_TIMEOUT_MIN 2
#define HEALTH_TIMEOUT_MAX 30
/* History kept in health_log. */
#define HEALTH_LOG_RETENTION (7 * 24 * 60 * 60)
/* The strip: the last 24 hours in quarter-hours. */
#define HEALTH_STRIP_SLOTS 96
#define HEALTH_STRIP_SLOT (15 * 60)

#define HEALTH_SUMMARY_MAX 512
#define HEALTH_DETAILS_MAX 4096

/*
 * An item's state.  Absent: the item does not apply to this set-up and is
 * not shown (no proxy; federation by SAML).  Not applicable: it will apply
 * (not registered yet): grey, the summary says why.  The overall state is
 * the worst of ok, warning and error among the items shown.
 */
enum health_state {
	HEALTH_ABSENT,
	HEALTH_NA,
	HEALTH_OK,
	HEALTH_WARNING,
	HEALTH_ERROR,
};

/* The items, in the pane's order (the seed's, then two more). */
enum health_item {
	HI_UPTODATE,		/* Connector Up-to-Date */
	HI_AWS,			/* AWS Connectivity */
	HI_VCENTER,		/* vCenter Connectivity */
	HI_REGISTERED_IP,	/* Connector Registered IP Is Current */
	HI_TIME,		/* System Time Synchronization */
	HI_USERPROVIDER,	/* UserProvider Service */
	HI_POLLER,		/* Poller Service */
	HI_PROXY,		/* Network Proxy Configured */
	HI_LOGIN,		/* Connector Dashboard Login */
	HI_AUTHPROXY,		/* Authentication Proxy Service */
	HI_CERTIFICATE,		/* SSL Certificate */
	HI_DISK,		/* Disk Space */
	HI__MAX
};

struct health_item_def {
	const char *id;		/* [a-z_]: URLs, JSON, metrics labels */
	const char *name;	/* as the pane shows it */
	const char *about;	/* one sentence: what it checks */
};

extern const struct health_item_def health_items[HI__MAX];

/* What one check found. */
struct health_result {
	enum health_state state;
	/* What is wrong, why, and what to do, in the administrator's words;
	 * for ok, what was seen ("Signed in to vCenter 10.0.0.5 as ..."). */
	char summary[HEALTH_SUMMARY_MAX];
	/* A JSON object, compact, for View Error Log: see "Details" below. */
	char details[HEALTH_DETAILS_MAX];
	long duration_ms;	/* set by the runner */
};

/*
 * Details (the JSON object a check fills; every key optional):
 *
 *   "endpoint"  the URL or host:port it talked to
 *   "stage"     where it failed: "dns", "connect", "tls", "http",
 *               "authentication", "response", "local"
 *   "error"     the error text from the peer or the system
 *   "timings"   {"dns", "connect", "tls", "first_byte", "total"}: seconds
 *   "values"    {NAME: number}: figures /metrics exports per item, e.g.
 *               {"offset_vcenter_seconds": 1.2}
 *   and facts of the item (thumbprints, versions, notes, addresses...).
 */

/* What a check is given. */
struct health_env {
	int timeout;		/* seconds: give this to every client */
	time_t now;
	int by_hand;		/* 1: Check now or --only: ask afresh, keep
				   no remembered answer */
};

/* A check: fills r (state, summary) and details; never blocks past
 * env->timeout.  Runs in a process of its own with its own database
 * connection; may read settings and secrets, writes nothing. */
typedef void (*health_check_fn)(const struct health_env *env,
    struct health_result *r, json_t *details);

/* ---- healthstate.c: the items and what the last runs found ---- */

/* One item's row: the last run's result and its history. */
struct health_row {
	enum health_item item;
	enum health_state state;
	char summary[HEALTH_SUMMARY_MAX];
	char details[HEALTH_DETAILS_MAX];
	time_t checked_at;	/* 0: never checked */
	time_t since;		/* in this state since */
	long duration_ms;
	/* The last 24 hours, oldest first: one character per quarter-hour,
	 * the worst state seen in it: '-' none, 'n' not applicable,
	 * 'o' ok, 'w' warning, 'e' error. */
	char strip[HEALTH_STRIP_SLOTS + 1];
};

const char *health_state_id(enum health_state s);	/* "ok", "na" ... */
const char *health_state_word(enum health_state s);	/* "OK", ... */
int health_state_parse(const char *id, enum health_state *out);
int health_item_find(const char *id, enum health_item *out);
/* Every item in the pane's order, absent ones included (the callback
 * decides); items never checked have checked_at 0 and state NA. */
int health_rows_each(int (*cb)(void *arg, const struct health_row *r),
    void *arg);
/* The pane's rows, every item in its order (absent ones included). */
struct health_table {
	struct health_row rows[HI__MAX];
	size_t n;
};
/* Every item's row into t, as health_rows_each gives them; 0 or an error. */
int health_table_read(struct health_table *t);
enum health_state health_overall(const struct health_row *rows, size_t n);
/* One item's history, newest first, at most limit entries. */
int health_log_each(enum health_item item, int limit,
    int (*cb)(void *arg, time_t at, enum health_state s, const char *summary,
    const char *details, long duration_ms), void *arg);

/* ---- health.c: the runner ---- */

extern const struct job_def health_job;

int health_timeout(void);
/* Check only this item in the runs that follow (HI__MAX: every item). */
void health_select(enum health_item only);
/* Run every check (or only item, when not HI__MAX) and store the
 * results; rep->line lists the items whose state changed. */
int health_run_items(enum health_item only, struct job_report *rep);
int health_run(struct job_report *rep);
/* Start a run in the background, detached from the caller (Check now):
 * the id of the newest run before it into *before. */
int health_start(long long *before);
/* The order a run starts the checks in: HI__MAX items. */
const enum health_item *health_start_order(void);

/* ---- check_*.c: one check per item ---- */

/* check_update.c: the signed update manifest (lib/manifest.c) */
void check_uptodate(const struct health_env *, struct health_result *,
    json_t *);
/* check_peers.c: the outside world */
void check_aws(const struct health_env *, struct health_result *, json_t *);
void check_vcenter(const struct health_env *, struct health_result *,
    json_t *);
void check_time(const struct health_env *, struct health_result *,
    json_t *);
void check_proxy(const struct health_env *, struct health_result *,
    json_t *);
void check_authproxy(const struct health_env *, struct health_result *,
    json_t *);
/* check_local.c: this machine and this connector */
void check_registered_ip(const struct health_env *, struct health_result *,
    json_t *);
void check_userprovider(const struct health_env *, struct health_result *,
    json_t *);
void check_poller(const struct health_env *, struct health_result *,
    json_t *);
void check_login(const struct health_env *, struct health_result *,
    json_t *);
void check_certificate(const struct health_env *, struct health_result *,
    json_t *);
void check_disk(const struct health_env *, struct health_result *,
    json_t *);

/* A result's state and summary (printf): for the checks. */
void health_set(struct health_result *r, enum health_state s,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
