/*
 * housekeeping.h — the housekeeping job's work (lib/housekeeping.c): what
 * it prunes, and the retentions that decide it.  cron/connector-housekeeping
 * hands housekeeping_run to the job runner (lib/job.h).
 */
#ifndef CONNECTOR_HOUSEKEEPING_H
#define CONNECTOR_HOUSEKEEPING_H

#include "job.h"

/* Sign-in sources: kept this long after their last failure. */
#define HK_SOURCE_RETENTION (30 * 24 * 60 * 60)
/* The registration wizard's draft: discarded when untouched this long. */
#define HK_DRAFT_RETENTION (7 * 24 * 60 * 60)
/* Finished runs kept per job in the jobs table. */
#define HK_JOB_RUNS_KEPT 100
/* The housekeeping job's time limit (it runs every 5 minutes). */
#define HK_TIME_LIMIT 120

int housekeeping_sessions(time_t now);
int housekeeping_sources(time_t now);
int housekeeping_draft(time_t now);
int housekeeping_job_runs(int keep);
int housekeeping_run(struct job_report *rep);

#endif
