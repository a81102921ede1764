/*
 * test-job.c — the cron job runner (lib/job.c): what a run records, runs
 * that never overlap, the time limit, a killed run recorded on the next
 * start; and the housekeeping job's pruning (lib/housekeeping.c), each kind
 * with rows just inside and just outside its retention.  Each test works
 * on a fresh store under a temporary root.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../lib/core.h"
#include "../../lib/authproxy.h"
#include "../../lib/domain.h"
#include "../../lib/housekeeping.h"
#include "unit.h"

static char share[PATH_MAX];

/* An empty, migrated store. */
static int
fresh_store(void)
{
	return unit_fresh_store();
}

static int
exec_sql(const char *sql)
{
	return sqlite3_exec(db_handle(), sql, NULL, NULL, NULL) == SQLITE_OK ?
	    0 : -1;
}

/* exec_sql of a formatted statement. */
static int __attribute__((format(printf, 1, 2)))
exec_sqlf(const char *fmt, ...)
{
	char sql[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	return exec_sql(sql);
}

/* Column 0 of the first row of sql as text into out ("" when none). */
static void
query_text(const char *sql, char *out, size_t outlen)
{
	sqlite3_stmt *st;

	out[0] = '\0';
	if (sqlite3_prepare_v2(db_handle(), sql, -1, &st, NULL) != SQLITE_OK)
		return;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, outlen, "%s",
		    (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

/* The path of the marker a test job leaves when its work ran. */
static void
marker(char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/ran", unit_tmp);
}

/* Work: leaves the marker, counts two things, says so. */
static int
work_two(struct job_report *rep)
{
	char m[PATH_MAX];

	marker(m, sizeof m);
	util_write_file_atomic(m, "1", 1, 0600);
	job_count(rep, "things", 2);
	snprintf(rep->line, sizeof rep->line, "test: removed 2 things");
	return 0;
}

/* Work: changes nothing. */
static int
work_nothing(struct job_report *rep)
{
	job_count(rep, "things", 0);
	return 0;
}

/* Work: fails, saying why. */
static int
work_fails(struct job_report *rep)
{
	snprintf(rep->error, sizeof rep->error, "the things could not be "
	    "removed");
	return CONN_EIO;
}

/* Work: never ends by itself. */
static int
work_sleeps(struct job_report *rep)
{
	for (;;)
		pause();
	return 0;
}

/* Work: killed from outside part-way. */
static int
work_killed(struct job_report *rep)
{
	raise(SIGKILL);
	return 0;
}

static const struct job_def job_two = { "test", 30, work_two };
static const struct job_def job_nothing = { "test", 30, work_nothing };
static const struct job_def job_fails = { "test", 30, work_fails };
static const struct job_def job_slow = { "test", 1, work_sleeps };
static const struct job_def job_long = { "test", 600, work_sleeps };
static const struct job_def job_killed = { "test", 30, work_killed };

/* Run def; what it printed into out (outlen bytes); its status. */
static int
run_capture(const struct job_def *def, char *out, size_t outlen)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc;

	if (f == NULL)
		return -1;
	rc = job_run(def, 0, f);
	fclose(f);
	snprintf(out, outlen, "%s", text ? text : "");
	free(text);
	return rc;
}

/* 1 when the lock of job name can be taken now (it is released again). */
static int
lock_free(const char *name)
{
	char path[PATH_MAX];
	int fd, ok;

	if (job_lock_path(name, path, sizeof path) != 0 ||
	    (fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return 0;
	ok = flock(fd, LOCK_EX | LOCK_NB) == 0;
	close(fd);
	return ok;
}

TEST(run_records_ok_with_counts)
{
	char out[512], v[256];

	CHECK(fresh_store() == 0);
	CHECK(run_capture(&job_two, out, sizeof out) == 0);
	CHECK(strcmp(out, "test: removed 2 things\n") == 0);
	CHECK(unit_query_int("SELECT count(*) FROM jobs") == 1);
	query_text("SELECT outcome FROM jobs", v, sizeof v);
	CHECK(strcmp(v, "ok") == 0);
	query_text("SELECT counts FROM jobs", v, sizeof v);
	CHECK(strcmp(v, "{\"things\":2}") == 0);
	CHECK(unit_query_int("SELECT count(*) FROM jobs WHERE ended_at >= "
	    "started_at AND error IS NULL AND job = 'test'") == 1);
}

TEST(run_prints_nothing_when_nothing_changed)
{
	char out[512];

	CHECK(fresh_store() == 0);
	CHECK(run_capture(&job_nothing, out, sizeof out) == 0);
	CHECK(out[0] == '\0');
	CHECK(unit_query_int("SELECT count(*) FROM jobs WHERE outcome = 'ok'")
	    == 1);
}

TEST(run_bad_failing_work_recorded_with_its_error)
{
	char out[512], v[256];

	CHECK(fresh_store() == 0);
	CHECK(run_capture(&job_fails, out, sizeof out) == 1);
	CHECK(strstr(out, "test: failed: the things could not be removed") ==
	    out);
	query_text("SELECT outcome || ': ' || error FROM jobs", v, sizeof v);
	CHECK(strcmp(v, "failed: the things could not be removed") == 0);
}

/* While a run holds the lock, another records nothing and does no work. */
TEST(overlap_bad_second_run_refused)
{
	char path[PATH_MAX], m[PATH_MAX], out[512];
	struct stat st;
	int fd;

	CHECK(fresh_store() == 0);
	marker(m, sizeof m);
	unlink(m);
	CHECK(job_lock_path("test", path, sizeof path) == 0);
	CHECK((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) >= 0);
	CHECK(flock(fd, LOCK_EX | LOCK_NB) == 0);
	CHECK(run_capture(&job_two, out, sizeof out) == 0);
	close(fd);
	CHECK(out[0] == '\0');
	CHECK(unit_query_int("SELECT count(*) FROM jobs") == 0);
	CHECK(stat(m, &st) != 0 && errno == ENOENT);
	/* Once the lock is free, the next run works. */
	CHECK(run_capture(&job_two, out, sizeof out) == 0);
	CHECK(stat(m, &st) == 0);
	CHECK(unit_query_int("SELECT count(*) FROM jobs WHERE outcome = 'ok'")
	    == 1);
}

TEST(time_limit_bad_run_stopped_and_recorded_failed)
{
	char out[512], v[256];

	CHECK(fresh_store() == 0);
	CHECK(run_capture(&job_slow, out, sizeof out) == 1);
	query_text("SELECT outcome || ': ' || error FROM jobs", v, sizeof v);
	CHECK(strcmp(v, "failed: took longer than 1 s and was stopped") == 0);
	CHECK(strstr(out, "test: failed: took longer than 1 s") == out);
	CHECK(lock_free("test"));
}

TEST(killed_work_bad_recorded_failed)
{
	char out[512], v[256];

	CHECK(fresh_store() == 0);
	CHECK(run_capture(&job_killed, out, sizeof out) == 1);
	query_text("SELECT outcome || ': ' || error FROM jobs", v, sizeof v);
	CHECK(strcmp(v, "failed: stopped before it finished: the work was "
	    "killed (signal 9)") == 0);
}

/*
 * The runner itself killed with SIGKILL leaves its row 'running'; its work
 * dies with it, and the next start records the row failed, then runs.
 */
TEST(killed_run_recorded_failed_on_next_start)
{
	char out[512], v[256];
	int status, i, running, locked;
	pid_t pid;

	CHECK(fresh_store() == 0);
	db_close();
	CHECK((pid = fork()) >= 0);
	if (pid == 0) {
		FILE *devnull = fopen("/dev/null", "w");
		job_run(&job_long, 0, devnull ? devnull : stdout);
		_exit(0);
	}
	running = db_open(paths_get(PATH_DB)) == 0;
	for (i = 0; running && i < 1000 && unit_query_int("SELECT count(*) "
	    "FROM jobs WHERE outcome = 'running'") != 1; i++)
		usleep(10000);
	running = running && unit_query_int("SELECT count(*) FROM jobs WHERE "
	    "outcome = 'running'") == 1;
	locked = !lock_free("test");
	kill(pid, SIGKILL);
	CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status));
	CHECK(running);
	CHECK(locked);
	/* The work (the runner's child) dies with it and frees the lock. */
	for (i = 0; i < 1000 && !lock_free("test"); i++)
		usleep(10000);
	CHECK(lock_free("test"));
	CHECK(run_capture(&job_nothing, out, sizeof out) == 0);
	CHECK(strstr(out, "test: the previous run stopped before it finished")
	    == out);
	query_text("SELECT group_concat(outcome, ',') FROM (SELECT outcome "
	    "FROM jobs ORDER BY id)", v, sizeof v);
	CHECK(strcmp(v, "failed,ok") == 0);
	query_text("SELECT error FROM jobs ORDER BY id LIMIT 1", v, sizeof v);
	CHECK(strncmp(v, "stopped before it finished", 26) == 0);
	CHECK(unit_query_int("SELECT count(*) FROM jobs WHERE ended_at IS "
	    "NULL") == 0);
}

/* ---- housekeeping ---- */

#define NOW 2000000000LL

/* A session row token with the given times. */
static int
session(const char *token, long long created, long long seen)
{
	return exec_sqlf("INSERT INTO sessions (token_hash, csrf, created_at, "
	    "last_seen, addr) VALUES ('%s', 'c', %lld, %lld, '10.0.0.1')",
	    token, created, seen);
}

static int
has_session(const char *token)
{
	char sql[128];

	snprintf(sql, sizeof sql, "SELECT count(*) FROM sessions WHERE "
	    "token_hash = '%s'", token);
	return unit_query_int(sql) == 1;
}

TEST(sessions_past_idle_limit_removed_inside_kept)
{
	CHECK(fresh_store() == 0);
	CHECK(session("inside", NOW - 60, NOW - AUTH_IDLE_SECONDS + 1) == 0);
	CHECK(session("outside", NOW - 60, NOW - AUTH_IDLE_SECONDS - 1) == 0);
	CHECK(housekeeping_sessions(NOW) == 1);
	CHECK(has_session("inside"));
	CHECK(!has_session("outside"));
}

TEST(sessions_past_absolute_limit_removed_inside_kept)
{
	CHECK(fresh_store() == 0);
	CHECK(session("inside", NOW - AUTH_ABSOLUTE_SECONDS + 1, NOW) == 0);
	CHECK(session("outside", NOW - AUTH_ABSOLUTE_SECONDS - 1, NOW) == 0);
	CHECK(housekeeping_sessions(NOW) == 1);
	CHECK(has_session("inside"));
	CHECK(!has_session("outside"));
}

TEST(sources_past_retention_removed_inside_kept)
{
	CHECK(fresh_store() == 0);
	CHECK(exec_sqlf("INSERT INTO login_sources (addr, consecutive, total, "
	    "last_failure_at) VALUES ('10.0.0.1', 0, 3, "
	    "%lld), ('10.0.0.2', 2, 2, %lld)", NOW - HK_SOURCE_RETENTION + 1,
	    NOW - HK_SOURCE_RETENTION - 1) == 0);
	CHECK(housekeeping_sources(NOW) == 1);
	CHECK(unit_query_int("SELECT count(*) FROM login_sources WHERE addr = "
	    "'10.0.0.1'") == 1);
	CHECK(unit_query_int("SELECT count(*) FROM login_sources") == 1);
}

/* A draft started at started, with a setting, and a secret stored at
 * touched. */
static int
draft(long long started, long long touched)
{
	char v[32];

	snprintf(v, sizeof v, "%lld", started);
	if (db_setting_set(REG_VC_HOST, "vc.example.net") != 0 ||
	    db_setting_set("draft." REG_VC_HOST, "vc2.example.net") != 0 ||
	    db_setting_set(REG_DRAFT_STARTED, v) != 0 ||
	    secret_put("draft." REG_VC_PASSWORD, "pw", 2) != 0)
		return -1;
	return exec_sqlf("UPDATE secrets SET updated_at = %lld", touched);
}

static int
draft_left(void)
{
	return (int)unit_query_int("SELECT (SELECT count(*) FROM settings "
	    "WHERE name LIKE 'draft.%' OR name = 'wizard.started') + "
	    "(SELECT count(*) FROM secrets WHERE name LIKE 'draft.%')");
}

TEST(draft_untouched_past_retention_discarded)
{
	CHECK(fresh_store() == 0);
	CHECK(draft(NOW - HK_DRAFT_RETENTION - 1,
	    NOW - HK_DRAFT_RETENTION - 1) == 0);
	CHECK(draft_left() == 3);
	CHECK(housekeeping_draft(NOW) == 1);
	CHECK(draft_left() == 0);
	/* The live registration is not the draft's. */
	CHECK(unit_query_int("SELECT count(*) FROM settings WHERE name = "
	    "'" REG_VC_HOST "'") == 1);
}

TEST(draft_inside_retention_kept)
{
	CHECK(fresh_store() == 0);
	CHECK(draft(NOW - HK_DRAFT_RETENTION + 1,
	    NOW - HK_DRAFT_RETENTION + 1) == 0);
	CHECK(housekeeping_draft(NOW) == 0);
	CHECK(draft_left() == 3);
}

/* Started long ago but a secret stored recently: touched, kept. */
TEST(draft_bad_old_but_recently_touched_kept)
{
	CHECK(fresh_store() == 0);
	CHECK(draft(NOW - HK_DRAFT_RETENTION - 100,
	    NOW - HK_DRAFT_RETENTION + 1) == 0);
	CHECK(housekeeping_draft(NOW) == 0);
	CHECK(draft_left() == 3);
}

/* Started long ago, no secret since, but a setting changed recently (the
 * trust step, "No proxy"): touched, kept. */
TEST(draft_bad_old_but_setting_changed_recently_kept)
{
	char v[32];

	CHECK(fresh_store() == 0);
	CHECK(draft(NOW - HK_DRAFT_RETENTION - 100,
	    NOW - HK_DRAFT_RETENTION - 100) == 0);
	snprintf(v, sizeof v, "%lld", (long long)NOW - 10);
	CHECK(db_setting_set(REG_DRAFT_TOUCHED, v) == 0);
	CHECK(housekeeping_draft(NOW) == 0);
	CHECK(draft_left() == 4);
}

/* reg_draft_set records the change itself. */
TEST(draft_set_records_touched)
{
	CHECK(fresh_store() == 0);
	CHECK(reg_draft_set(REG_VC_HOST, "vc3.example.net") == 0);
	CHECK(unit_query_int("SELECT CAST(value AS INTEGER) FROM settings "
	    "WHERE name = '" REG_DRAFT_TOUCHED "'") >= util_now() - 5);
}

/* A Register that finds its draft gone (discarded meanwhile) stores
 * nothing: the live registration stays as it was. */
TEST(commit_bad_without_draft_changes_nothing)
{
	struct reg_outcome o = { "192.0.2.5", "https://192.0.2.5/", "k", "r" };

	CHECK(fresh_store() == 0);
	CHECK(draft(NOW - HK_DRAFT_RETENTION - 1,
	    NOW - HK_DRAFT_RETENTION - 1) == 0);
	CHECK(housekeeping_draft(NOW) == 1);
	CHECK(reg_commit(&o) == CONN_ENOTFOUND);
	CHECK(unit_query_int("SELECT count(*) FROM settings WHERE name = "
	    "'" REG_VC_HOST "' AND value = 'vc.example.net'") == 1);
	CHECK(!reg_registered());
}

TEST(draft_none_nothing_removed)
{
	CHECK(fresh_store() == 0);
	CHECK(db_setting_set(REG_VC_HOST, "vc.example.net") == 0);
	CHECK(housekeeping_draft(NOW) == 0);
	CHECK(unit_query_int("SELECT count(*) FROM settings") == 1);
}

/* n finished runs of job name, started at 1.. */
static int
runs(const char *name, int n)
{
	for (int i = 1; i <= n; i++)
		if (exec_sqlf("INSERT INTO jobs (job, started_at, ended_at, "
		    "outcome) VALUES ('%s', %d, %d, 'ok')", name, i, i) != 0)
			return -1;
	return 0;
}

TEST(job_runs_beyond_newest_kept_removed_per_job)
{
	CHECK(fresh_store() == 0);
	CHECK(runs("a", 5) == 0);
	CHECK(runs("b", 3) == 0);
	CHECK(exec_sql("INSERT INTO jobs (job, started_at, outcome) VALUES "
	    "('a', 9, 'running')") == 0);
	CHECK(housekeeping_job_runs(3) == 2);
	CHECK(unit_query_int("SELECT count(*) FROM jobs WHERE job = 'a' AND "
	    "outcome = 'ok'") == 3);
	CHECK(unit_query_int("SELECT min(started_at) FROM jobs WHERE job = "
	    "'a' AND outcome = 'ok'") == 3);
	CHECK(unit_query_int("SELECT count(*) FROM jobs WHERE job = 'b'") == 3);
	CHECK(unit_query_int("SELECT count(*) FROM jobs WHERE outcome = "
	    "'running'") == 1);
}

/* The one reader of a job's newest run: its id, end and whether it is
 * still running, whatever the other jobs' rows say. */
TEST(newest_run_with_its_end)
{
	long long id;
	time_t ended;
	int running;

	CHECK(fresh_store() == 0);
	CHECK(job_newest("health", &id, &ended, &running) == 0);
	CHECK(id == 0 && ended == 0 && running == 0);
	CHECK(exec_sql("INSERT INTO jobs (id, job, started_at, ended_at, "
	    "outcome) VALUES (4, 'health', 10, 12, 'ok'), "
	    "(9, 'poller', 20, NULL, 'running')") == 0);
	CHECK(job_newest("health", &id, &ended, &running) == 0);
	CHECK(id == 4 && ended == 12 && running == 0);
	CHECK(job_newest("health", &id, NULL, &running) == 0);
	CHECK(id == 4 && running == 0);
	CHECK(exec_sql("INSERT INTO jobs (id, job, started_at, outcome) "
	    "VALUES (11, 'health', 30, 'running')") == 0);
	CHECK(job_newest("health", &id, &ended, &running) == 0);
	CHECK(id == 11 && ended == 0 && running == 1);
	CHECK(job_newest("poller", &id, &ended, &running) == 0);
	CHECK(id == 9 && ended == 0 && running == 1);
}

TEST(housekeeping_says_what_it_removed)
{
	struct job_report rep;
	char path[PATH_MAX];
	unsigned char k[SECRET_KEY_BYTES] = { 7 };

	CHECK(fresh_store() == 0);
	CHECK(secret_put("a", "alpha", 5) == 0);
	snprintf(path, sizeof path, "%s/00000000000000ff.key",
	    paths_get(PATH_KEYS));
	CHECK(util_write_file_atomic(path, k, sizeof k, 0600) == 0);
	CHECK(session("old1", 1, 1) == 0);
	CHECK(session("old2", 1, 1) == 0);
	memset(&rep, 0, sizeof rep);
	CHECK(housekeeping_run(&rep) == 0);
	/* Sessions are routine: counted, not said. */
	CHECK(strcmp(rep.line, "housekeeping: removed 1 leftover key file") ==
	    0);
	CHECK(access(path, F_OK) != 0);
}

TEST(housekeeping_quiet_when_nothing_to_remove)
{
	struct job_report rep;

	CHECK(fresh_store() == 0);
	CHECK(session("fresh", util_now(), util_now()) == 0);
	memset(&rep, 0, sizeof rep);
	CHECK(housekeeping_run(&rep) == 0);
	CHECK(rep.line[0] == '\0');
	CHECK(has_session("fresh"));
}

TEST(housekeeping_counts_the_proxys_signatures_and_attempts)
{
	struct job_report rep;
	time_t now = util_now();
	long long id;
	int which, found = 0;

	CHECK(fresh_store() == 0);
	CHECK(authproxy_signature_once("aa", now - AP_SIGNATURE_RETENTION -
	    1) == 0);
	CHECK(authproxy_signature_once("bb", now) == 0);
	CHECK(authproxy_attempt_begin("alice", "s", now - AP_WINDOW - 1, &id,
	    &which) == 0);
	CHECK(authproxy_attempt_begin("alice", "s", now, &id, &which) == 0);
	memset(&rep, 0, sizeof rep);
	CHECK(housekeeping_run(&rep) == 0);
	CHECK(rep.line[0] == '\0');		/* routine: counted, not said */
	for (int i = 0; i < rep.ncounts; i++)
		if (strcmp(rep.counts[i].name, "authproxy_signatures") == 0 ||
		    strcmp(rep.counts[i].name, "authproxy_attempts") == 0) {
			CHECK(rep.counts[i].n == 1);
			found++;
		}
	CHECK(found == 2);
	CHECK(unit_query_int("SELECT count(*) FROM authproxy_signatures") == 1);
	CHECK(unit_query_int("SELECT count(*) FROM authproxy_attempts") == 1);
	CHECK(authproxy_signature_once("bb", now) == CONN_ECONFLICT);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (unit_tmp_root("test-job", share, sizeof share) != 0)
		return 1;
	log_init("test-job");
	RUN(run_records_ok_with_counts);
	RUN(run_prints_nothing_when_nothing_changed);
	RUN(run_bad_failing_work_recorded_with_its_error);
	RUN(overlap_bad_second_run_refused);
	RUN(time_limit_bad_run_stopped_and_recorded_failed);
	RUN(killed_work_bad_recorded_failed);
	RUN(killed_run_recorded_failed_on_next_start);
	RUN(sessions_past_idle_limit_removed_inside_kept);
	RUN(sessions_past_absolute_limit_removed_inside_kept);
	RUN(sources_past_retention_removed_inside_kept);
	RUN(draft_untouched_past_retention_discarded);
	RUN(draft_inside_retention_kept);
	RUN(draft_bad_old_but_recently_touched_kept);
	RUN(draft_bad_old_but_setting_changed_recently_kept);
	RUN(draft_set_records_touched);
	RUN(commit_bad_without_draft_changes_nothing);
	RUN(draft_none_nothing_removed);
	RUN(job_runs_beyond_newest_kept_removed_per_job);
	RUN(newest_run_with_its_end);
	RUN(housekeeping_says_what_it_removed);
	RUN(housekeeping_quiet_when_nothing_to_remove);
	RUN(housekeeping_counts_the_proxys_signatures_and_attempts);
	db_close();
	unit_rm_rf(unit_tmp);
	UNIT_EXIT();
}
