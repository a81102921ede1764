/*
 * poller.h — the Poller Service (lib/poller.c): the imports of vCenter VMs
 * to EC2 the connector tracks (the vms table).  The poller job
 * (cron/connector-poller) reads every unfinished one from AWS and writes
 * what changed in one transaction, then starts queued imports while fewer
 * than POLLER_SLOTS are in progress in their region; the Migrations page
 * (cgi-bin/migrations) lists them, starts an import or queues it, and
 * tracks an import started elsewhere.  Domain layer: pages, jobs and the
 * CLI call the same functions.
 *
 * Functions return 0, CONN_EINVAL when the input or AWS refused it (the
 * result's msg says what failed, why and what to do; its field where it
 * belongs; nothing stored changed), or another negative code for a local
 * failure (logged).
 */
#ifndef CONNECTOR_POLLER_H
#define CONNECTOR_POLLER_H

#include "domain.h"
#include "job.h"

#define POLLER_SLOTS 4			/* imports in progress per region */
#define POLLER_INTERVAL (5 * 60)	/* dist/cron.d/connector */
#define POLLER_STALE_AFTER (3 * POLLER_INTERVAL)
/* AWS is eventually consistent: a task it does not know is missing only
 * once it was last seen (or started) this long ago. */
#define POLLER_MISSING_AFTER (2 * POLLER_INTERVAL)
#define POLLER_TIME_LIMIT 240		/* seconds; below the interval */
#define POLLER_JOB "poller"		/* its name in the jobs table */
#define POLLER_POLLED_AT "poller.polled_at"	/* setting: last poll */
#define POLLER_PAGE_SIZE 25		/* rows a page shows by default */
#define POLLER_NAME_MAX 255		/* a VM's name, bytes */
#define POLLER_DESCRIPTION_MAX 255	/* ImportImage's own limit */

/* The connector's view of an import (the vms table's state column). */
enum poller_state {
	PS_QUEUED,
	PS_STARTING,
	PS_ACTIVE,
	PS_COMPLETED,
	PS_DELETED,
	PS_MISSING,
	PS_FAILED,
	PS__MAX
};

/* A task as AWS last described it: what a row holds besides its VM. */
struct poller_status {
	enum poller_state state;
	char aws_status[32];		/* as AWS spells it: active, ... */
	int progress;			/* 0 to 100, or -1: not given */
	char message[256];		/* AWS's status message */
	char image_id[64];		/* the AMI, once completed */
	char instance_id[32];		/* an instance import's instance */
	char instance_state[32];	/* its state, once completed */
};

/* One row of the table, as the page and the API show it. */
struct poller_vm {
	long long id;
	char vm_moref[SYNTAX_MOREF_MAX + 1];
	char vm_name[POLLER_NAME_MAX + 1];
	char region[32];
	char kind[16];			/* image or conversion */
	char task_id[64];		/* "" while queued */
	struct poller_status st;
	time_t first_seen, last_seen, last_change;	/* last_seen 0: never */
};

/* The page's sort columns, in the order of the statements (db.c). */
enum poller_sort {
	SORT_NAME,
	SORT_STATE,
	SORT_PROGRESS,
	SORT_RESULT,
	SORT_CHANGED,
	SORT__MAX
};

/* How fresh the table is: the last poll and the poller's last run. */
struct poller_freshness {
	int registered;
	time_t now;
	time_t polled_at;		/* the rows' time; 0: never polled */
	int running;			/* a run is under way now */
	int last_failed;		/* the last finished run failed */
	time_t last_run_at;		/* when it ended; 0: none yet */
	char error[JOB_ERROR_MAX];	/* why it failed */
	char note[JOB_LINE_MAX];	/* its remark ("not registered") */
	int stale;			/* failed, or polled too long ago */
};

/* Where a refusal belongs. */
enum poller_field {
	POLLER_F_FORM,
	POLLER_F_VM_MOREF,
	POLLER_F_VM_NAME,
	POLLER_F_REGION,
	POLLER_F_BUCKET,
	POLLER_F_KEY,
	POLLER_F_FORMAT,
	POLLER_F_DESCRIPTION,
	POLLER_F_TASK_ID,
};

struct poller_result {
	enum poller_field field;	/* where msg belongs (a refusal) */
	char msg[700];			/* the refusal, or the notice to show */
	const char *audit;		/* the outcome, for the audit log */
	int warning;			/* queued because AWS was not reached */
	char task_id[64];		/* the task started or tracked */
};

/* An import of an image already in S3, as the page's form gives it. */
struct poller_import {
	const char *vm_moref, *vm_name;
	const char *region;		/* NULL or "": the registered one */
	const char *bucket, *key;
	const char *format;		/* VMDK, OVA, VHD or RAW; NULL: VMDK */
	const char *description;	/* NULL or "": none */
};

/* What a run did (the jobs table's counts). */
struct poller_counts {
	long checked;		/* tasks read from AWS */
	long changed;		/* rows that changed */
	long completed;		/* tasks that completed */
	long failed;		/* tasks deleted in AWS, unknown to it, or
				   refused at their start */
	long started;		/* queued imports started */
	long queued;		/* imports still waiting for a slot */
	char not_started[256];	/* why AWS did not start queued imports
				   (the rows say it too), or "" */
};

/* Where and as whom the poller reaches AWS: the registration's. */
struct poller_conf {
	struct reg_net net;
	char region[32];		/* the registered region */
	char key_id[130];
	struct buf secret, token;	/* wiped by poller_conf_free */
	struct aws_retry retry;
};

#define POLLER_WRITE 1u		/* write what the poll found */
#define POLLER_START 2u		/* then start queued imports */

const char *poller_state_name(enum poller_state s);
int poller_state_parse(const char *s);
const char *poller_state_label(enum poller_state s);
const char *poller_state_level(enum poller_state s);
int poller_finished(enum poller_state s);
void poller_from_import_task(const struct aws_import_task *t,
    struct poller_status *out);
void poller_from_conversion_task(const struct aws_conversion_task *t,
    struct poller_status *out);
int poller_status_differs(const struct poller_status *a,
    const struct poller_status *b);
void poller_age_words(long seconds, char *out, size_t outlen);
const char *poller_format(const char *s);
int poller_task_named(const char *message, const char *id);

int poller_conf_load(struct poller_conf *c, int job);
void poller_conf_free(struct poller_conf *c);
int poller_poll(struct poller_conf *c, unsigned flags,
    struct poller_counts *n, char *why, size_t whylen);
int poller_run(struct job_report *rep);

int poller_import(const struct poller_import *in, struct poller_result *r);
int poller_track(const char *task_id, const char *vm_moref,
    const char *vm_name, const char *region, struct poller_result *r);

int poller_vms_count(long long *n);
int poller_vms_page(enum poller_sort sort, int desc, long long offset,
    int limit, int (*cb)(void *arg, const struct poller_vm *vm), void *arg);
int poller_freshness(struct poller_freshness *out);

#endif
