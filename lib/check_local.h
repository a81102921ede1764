/*
 * check_local.h — the health checks of this machine and this connector
 * (lib/check_local.c): the decisions they make, as pure functions the unit
 * tests call with made-up figures.  The checks themselves are declared in
 * lib/health.h.
 */
#ifndef CONNECTOR_CHECK_LOCAL_H
#define CONNECTOR_CHECK_LOCAL_H

#include "domain.h"
#include "health.h"

/* Disk space: warning below 10 % or 1 GiB free, error below 5 % or
 * 256 MiB; setting health.disk_min_free_mb raises the error threshold (a
 * number of MiB; tests use it), and the warning threshold with it. */
#define CHECK_DISK_WARN_PERCENT 10
#define CHECK_DISK_ERROR_PERCENT 5
#define CHECK_DISK_WARN_BYTES (1024ULL * 1024 * 1024)
#define CHECK_DISK_ERROR_BYTES (256ULL * 1024 * 1024)
#define CHECK_DISK_MIN_FREE_SETTING "health.disk_min_free_mb"

/* The console's certificate: a warning this long before it expires. */
#define CHECK_CERT_WARN_SECONDS (30L * 24 * 60 * 60)

/* A job's run is stale after this many of its intervals without success. */
#define CHECK_JOB_STALE_INTERVALS 2

enum health_state check_disk_level(unsigned long long free_bytes,
    unsigned long long total_bytes, unsigned long long error_bytes);

/* What is wrong with a certificate, worst first. */
enum check_cert_problem {
	CERT_FINE,
	CERT_EXPIRED,
	CERT_NOT_YET_VALID,
	CERT_NOT_COVERING,
	CERT_EXPIRING,
};
enum check_cert_problem check_cert_problem(const struct tls_facts *f,
    time_t now);

/* A job's runs as the check sees them. */
struct check_job_runs {
	int any;		/* a run was recorded */
	char outcome[16];	/* the newest run's: running, ok, failed */
	time_t started_at, ended_at;
	char error[JOB_ERROR_MAX];
	char counts[256];	/* JSON, as the run wrote it */
	time_t ok_at;		/* the newest successful run's end; 0 none */
};

enum check_job_verdict {
	JOB_FINE,
	JOB_FAILED,		/* the newest finished run failed */
	JOB_STALE,		/* no success within the stale period */
	JOB_NOT_YET,		/* registered lately: its first run is due */
};
enum check_job_verdict check_job_verdict(const struct check_job_runs *j,
    time_t registered_at, time_t now, long interval);

#endif
