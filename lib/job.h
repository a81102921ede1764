/*
 * job.h — the runner of the cron jobs (lib/job.c).  Each cron/<job>.c hands
 * a job table to job_main(), as cgi-bin programs hand a page table to
 * app_main(): the runner sets up paths, log and database, takes the job's
 * lock, records the run in the jobs table, runs the work in a child with a
 * time limit, and prints one line only when something changed or failed.
 */
#ifndef CONNECTOR_JOB_H
#define CONNECTOR_JOB_H

#include <stdio.h>

#include "base.h"

#define JOB_COUNTS_MAX 8
#define JOB_COUNT_NAME_MAX 32
#define JOB_LINE_MAX 2048	/* news: may hold several lines */
#define JOB_ERROR_MAX 256

/* What a run did: filled by the job's run function. */
struct job_report {
	struct {
		char name[JOB_COUNT_NAME_MAX];	/* e.g. "sessions" */
		long n;
	} counts[JOB_COUNTS_MAX];
	int ncounts;
	char line[JOB_LINE_MAX];	/* printed when not empty: news */
	char error[JOB_ERROR_MAX];	/* why it failed, when it did */
	char note[JOB_LINE_MAX];	/* a remark kept with the run, not
					   printed: why it did nothing */
};

/* A job: its name (the program's, without "connector-"), time limit, work. */
struct job_def {
	const char *name;
	unsigned time_limit;	/* seconds */
	/* 0 when it worked, else a CONN_E* code with rep->error set. */
	int (*run)(struct job_report *rep);
};

int job_main(int argc, char **argv, const struct job_def *def);
int job_run(const struct job_def *def, int verbose, FILE *out);
int job_lock_path(const char *name, char *out, size_t outlen);
int job_count(struct job_report *rep, const char *name, long n);
int job_newest(const char *name, long long *id, time_t *ended_at,
    int *running);
int job_start_detached(const struct job_def *def);

#endif
