/*
 * test-check-local.c — the decisions of the health checks of this machine
 * (lib/check_local.h): disk thresholds, what is wrong with a certificate,
 * a job's runs; and the address the console is reached at.
 */
#include <string.h>

#include "../../lib/check_local.h"
#include "unit.h"

#define MIB (1024ULL * 1024)
#define GIB (1024ULL * MIB)
#define DAY (24L * 3600)
#define NOW ((time_t)1800000000)

TEST(disk_plenty_is_ok)
{
	CHECK(check_disk_level(50 * GIB, 100 * GIB, 0) == HEALTH_OK);
	/* 10 % exactly and 1 GiB exactly are not below. */
	CHECK(check_disk_level(10 * GIB, 100 * GIB, 0) == HEALTH_OK);
	CHECK(check_disk_level(GIB, 10 * GIB, 0) == HEALTH_OK);
}

TEST(disk_warning_below_10_percent)
{
	CHECK(check_disk_level(9 * GIB, 100 * GIB, 0) == HEALTH_WARNING);
	CHECK(check_disk_level(5 * GIB, 100 * GIB, 0) == HEALTH_WARNING);
}

TEST(disk_warning_below_1_gib)
{
	CHECK(check_disk_level(GIB - 1, 2 * GIB, 0) == HEALTH_WARNING);
	CHECK(check_disk_level(256 * MIB, 512 * MIB, 0) == HEALTH_WARNING);
}

TEST(disk_error_below_5_percent)
{
	CHECK(check_disk_level(4 * GIB, 100 * GIB, 0) == HEALTH_ERROR);
}

TEST(disk_error_below_256_mib)
{
	CHECK(check_disk_level(256 * MIB - 1, 512 * MIB, 0) == HEALTH_ERROR);
	CHECK(check_disk_level(0, 100 * GIB, 0) == HEALTH_ERROR);
	/* A tiny filesystem has less than 256 MiB whatever its share. */
	CHECK(check_disk_level(2 * MIB, 4 * MIB, 0) == HEALTH_ERROR);
}

TEST(disk_bad_total_zero_is_error)
{
	CHECK(check_disk_level(0, 0, 0) == HEALTH_ERROR);
}

TEST(disk_setting_raises_error_and_warning)
{
	/* 50 GiB free of 100 is fine, unless 60 GiB are asked for. */
	CHECK(check_disk_level(50 * GIB, 100 * GIB, 60 * GIB) == HEALTH_ERROR);
	CHECK(check_disk_level(50 * GIB, 100 * GIB, 40 * GIB) == HEALTH_OK);
	/* Above 1 GiB, the warning threshold follows: never below error. */
	CHECK(check_disk_level(2 * GIB, 100 * GIB, 2 * GIB + 1) ==
	    HEALTH_ERROR);
	/* It never lowers the built-in 256 MiB. */
	CHECK(check_disk_level(100 * MIB, 200 * MIB, MIB) == HEALTH_ERROR);
}

/* A certificate's facts, valid from now + from to now + to. */
static struct tls_facts
facts(long from, long to, int covers)
{
	struct tls_facts f;

	memset(&f, 0, sizeof f);
	f.not_before = NOW + from;
	f.not_after = NOW + to;
	f.covers = covers;
	return f;
}

TEST(cert_fine)
{
	struct tls_facts f = facts(-DAY, 365 * DAY, 1);

	CHECK(check_cert_problem(&f, NOW) == CERT_FINE);
	f = facts(-DAY, 30 * DAY + 1, 1);
	CHECK(check_cert_problem(&f, NOW) == CERT_FINE);
}

TEST(cert_expiring_within_30_days)
{
	struct tls_facts f = facts(-DAY, 30 * DAY, 1);

	CHECK(check_cert_problem(&f, NOW) == CERT_EXPIRING);
	f = facts(-DAY, 10 * DAY, 1);
	CHECK(check_cert_problem(&f, NOW) == CERT_EXPIRING);
	f = facts(-DAY, 1, 1);
	CHECK(check_cert_problem(&f, NOW) == CERT_EXPIRING);
}

TEST(cert_bad_expired)
{
	struct tls_facts f = facts(-30 * DAY, 0, 1);

	CHECK(check_cert_problem(&f, NOW) == CERT_EXPIRED);
	/* Expired counts before not naming the address. */
	f = facts(-30 * DAY, -DAY, 0);
	CHECK(check_cert_problem(&f, NOW) == CERT_EXPIRED);
}

TEST(cert_bad_not_yet_valid)
{
	struct tls_facts f = facts(DAY, 365 * DAY, 1);

	CHECK(check_cert_problem(&f, NOW) == CERT_NOT_YET_VALID);
}

TEST(cert_bad_not_covering)
{
	struct tls_facts f = facts(-DAY, 365 * DAY, 0);

	CHECK(check_cert_problem(&f, NOW) == CERT_NOT_COVERING);
	/* Not covering is worse than expiring soon. */
	f = facts(-DAY, 5 * DAY, 0);
	CHECK(check_cert_problem(&f, NOW) == CERT_NOT_COVERING);
}

/* A job's runs: the newest with outcome at, and the last success. */
static struct check_job_runs
runs(const char *outcome, time_t at, time_t ok_at)
{
	struct check_job_runs j;

	memset(&j, 0, sizeof j);
	if (outcome) {
		j.any = 1;
		snprintf(j.outcome, sizeof j.outcome, "%s", outcome);
		j.started_at = at;
		j.ended_at = at;
	}
	j.ok_at = ok_at;
	return j;
}

TEST(job_fresh_success_fine)
{
	struct check_job_runs j = runs("ok", NOW - 60, NOW - 60);

	CHECK(check_job_verdict(&j, NOW - 30 * DAY, NOW, 600) == JOB_FINE);
	/* Two intervals exactly is still fresh. */
	j = runs("ok", NOW - 1200, NOW - 1200);
	CHECK(check_job_verdict(&j, NOW - 30 * DAY, NOW, 600) == JOB_FINE);
}

TEST(job_running_after_fresh_success_fine)
{
	struct check_job_runs j = runs("running", NOW - 5, NOW - 300);

	CHECK(check_job_verdict(&j, NOW - DAY, NOW, 300) == JOB_FINE);
}

TEST(job_bad_failed_even_when_fresh)
{
	struct check_job_runs j = runs("failed", NOW - 60, NOW - 660);

	CHECK(check_job_verdict(&j, NOW - DAY, NOW, 600) == JOB_FAILED);
}

TEST(job_bad_stale_after_two_intervals)
{
	struct check_job_runs j = runs("ok", NOW - 1201, NOW - 1201);

	CHECK(check_job_verdict(&j, NOW - DAY, NOW, 600) == JOB_STALE);
	/* A run that never ended does not make it fresh. */
	j = runs("running", NOW - 3600, NOW - 7200);
	CHECK(check_job_verdict(&j, NOW - DAY, NOW, 600) == JOB_STALE);
}

TEST(job_bad_never_ran_long_after_registration)
{
	struct check_job_runs j = runs(NULL, 0, 0);

	CHECK(check_job_verdict(&j, NOW - DAY, NOW, 300) == JOB_STALE);
}

TEST(job_first_run_due_after_registration)
{
	struct check_job_runs j = runs(NULL, 0, 0);

	CHECK(check_job_verdict(&j, NOW - 60, NOW, 300) == JOB_NOT_YET);
	/* Registered again: successes before it do not count. */
	j = runs("ok", NOW - DAY, NOW - DAY);
	CHECK(check_job_verdict(&j, NOW - 60, NOW, 300) == JOB_NOT_YET);
}

TEST(console_ip_loopback_listen_as_is)
{
	char ip[64];

	CHECK(netinfo_console_ip("127.0.0.5", ip, sizeof ip) == 0);
	CHECK(strcmp(ip, "127.0.0.5") == 0);
}

TEST(console_ip_any_address_is_primary)
{
	char ip[64], primary[64];

	CHECK(netinfo_primary_ipv4(primary, sizeof primary) == 0);
	CHECK(netinfo_console_ip("0.0.0.0", ip, sizeof ip) == 0);
	CHECK(strcmp(ip, primary) == 0);
	CHECK(netinfo_console_ip("", ip, sizeof ip) == 0);
	CHECK(strcmp(ip, primary) == 0);
	CHECK(netinfo_console_ip(NULL, ip, sizeof ip) == 0);
	CHECK(strcmp(ip, primary) == 0);
}

TEST(console_ip_bad_not_an_address_is_primary)
{
	char ip[64], primary[64];

	CHECK(netinfo_primary_ipv4(primary, sizeof primary) == 0);
	CHECK(netinfo_console_ip("127.evil", ip, sizeof ip) == 0);
	CHECK(strcmp(ip, primary) == 0);
}

int
main(void)
{
	RUN(disk_plenty_is_ok);
	RUN(disk_warning_below_10_percent);
	RUN(disk_warning_below_1_gib);
	RUN(disk_error_below_5_percent);
	RUN(disk_error_below_256_mib);
	RUN(disk_bad_total_zero_is_error);
	RUN(disk_setting_raises_error_and_warning);
	RUN(cert_fine);
	RUN(cert_expiring_within_30_days);
	RUN(cert_bad_expired);
	RUN(cert_bad_not_yet_valid);
	RUN(cert_bad_not_covering);
	RUN(job_fresh_success_fine);
	RUN(job_running_after_fresh_success_fine);
	RUN(job_bad_failed_even_when_fresh);
	RUN(job_bad_stale_after_two_intervals);
	RUN(job_bad_never_ran_long_after_registration);
	RUN(job_first_run_due_after_registration);
	RUN(console_ip_loopback_listen_as_is);
	RUN(console_ip_any_address_is_primary);
	RUN(console_ip_bad_not_an_address_is_primary);
	UNIT_EXIT();
}
