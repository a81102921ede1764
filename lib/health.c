/*
 * health.c — the runner of the health checks (lib/health.h).  A run:
 *
 *   1. starts every check (or one) in a process of its own, at once, each
 *      with its own database connection and env.timeout seconds: a hung
 *      peer costs its check's time limit, never the sum of them;
 *   2. collects each check's result through a pipe; a check still going
 *      a second past its limit is killed and recorded as an error that
 *      says so, and one that dies says that;
 *   3. writes every result in one transaction: the item's row in health
 *      (with since, the strip of the last 24 hours), a row in health_log,
 *      and the pruning of history older than HEALTH_LOG_RETENTION;
 *   4. reports, as the job's news, only the items whose state changed:
 *      cron's MAILTO mails real news, not a line a minute.
 *
 * It runs inside the job runner's work process (lib/job.c), which already
 * holds the health lock and records the run in the jobs table.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "health.h"

static const health_check_fn checks[HI__MAX] = {
	[HI_UPTODATE] = check_uptodate,
	[HI_AWS] = check_aws,
	[HI_VCENTER] = check_vcenter,
	[HI_REGISTERED_IP] = check_registered_ip,
	[HI_TIME] = check_time,
	[HI_USERPROVIDER] = check_userprovider,
	[HI_POLLER] = check_poller,
	[HI_PROXY] = check_proxy,
	[HI_LOGIN] = check_login,
	[HI_AUTHPROXY] = check_authproxy,
	[HI_CERTIFICATE] = check_certificate,
	[HI_DISK] = check_disk,
};

const struct job_def health_job = {
	.name = HEALTH_JOB,
	.time_limit = HEALTH_TIME_LIMIT,
	.run = health_run,
};

/* The order the checks start in: those that wait on peers first. */
static const enum health_item start_order[] = {
	HI_VCENTER, HI_TIME, HI_AWS, HI_UPTODATE, HI_AUTHPROXY, HI_PROXY,
	HI_REGISTERED_IP, HI_USERPROVIDER, HI_POLLER, HI_LOGIN,
	HI_CERTIFICATE, HI_DISK,
};
_Static_assert(sizeof start_order / sizeof start_order[0] == HI__MAX,
    "every item starts once");

/* The order the checks start in, HI__MAX items (each exactly once:
 * tests/unit/test-healthstate.c). */
const enum health_item *
health_start_order(void)
{
	return start_order;
}

/* The item a run checks alone (connector-health --only), or HI__MAX. */
static enum health_item selected = HI__MAX;
/* 1 while Check now starts its run (the run is a fork: it sees this). */
static int by_hand;

/* One check under way. */
struct running {
	pid_t pid;
	int fd;			/* the result's pipe; -1 once read or given up */
	size_t got;
	struct health_result r;
	struct timespec started;
	int done;		/* r is final */
};

/* The time limit of one check, from setting health.timeout. */
int
health_timeout(void)
{
	char v[16], *end;
	long n;

	if (db_setting_copy(HEALTH_TIMEOUT_SETTING, v, sizeof v) != 0 ||
	    v[0] == '\0')
		return HEALTH_TIMEOUT_DEFAULT;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || end == v)
		return HEALTH_TIMEOUT_DEFAULT;
	return n < HEALTH_TIMEOUT_MIN ? HEALTH_TIMEOUT_MIN :
	    n > HEALTH_TIMEOUT_MAX ? HEALTH_TIMEOUT_MAX : (int)n;
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)((now.tv_sec - t0->tv_sec) * 1000 +
	    (now.tv_nsec - t0->tv_nsec) / 1000000);
}

/* A result the runner writes for a check: an error with details. */
static void
runner_error(struct health_result *r, const char *stage, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static void
runner_error(struct health_result *r, const char *stage, const char *fmt,
    ...)
{
	json_t *d;
	char *s;
	va_list ap;

	r->state = HEALTH_ERROR;
	va_start(ap, fmt);
	vsnprintf(r->summary, sizeof r->summary, fmt, ap);
	va_end(ap);
	r->details[0] = '\0';
	if ((d = json_pack("{s:s, s:s}", "stage", stage, "error",
	    r->summary)) != NULL && (s = json_dumps(d, JSON_COMPACT)) != NULL) {
		snprintf(r->details, sizeof r->details, "%s", s);
		free(s);
	}
	json_decref(d);
}

/* The check process: run item's check, send the result, exit. */
static void
check_child(enum health_item item, const struct health_env *env, int wfd,
    pid_t runner)
{
	struct health_result r;
	const char *p = (const char *)&r;
	size_t left = sizeof r;
	json_t *d;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != runner)
		_exit(1);
	memset(&r, 0, sizeof r);
	r.state = HEALTH_ERROR;
	d = json_object();
	if (d == NULL)
		runner_error(&r, "local", "The check could not start: the "
		    "connector is out of memory.");
	else if (db_open(paths_get(PATH_DB)) != 0)
		runner_error(&r, "local", "The check could not read the "
		    "connector's settings: the database %s cannot be opened. "
		    "Details are in %s.", paths_get(PATH_DB),
		    paths_get(PATH_LOGFILE));
	else {
		checks[item](env, &r, d);
		db_close();
		if (json_object_size(d) > 0) {
			size_t n = json_dumpb(d, r.details,
			    sizeof r.details - 1, JSON_COMPACT);
			if (n == 0 || n >= sizeof r.details)
				snprintf(r.details, sizeof r.details,
				    "{\"error\":\"the details were too long "
				    "to keep\"}");
			else
				r.details[n] = '\0';
		}
	}
	json_decref(d);
	r.summary[sizeof r.summary - 1] = '\0';
	r.details[sizeof r.details - 1] = '\0';
	if ((unsigned)r.state > HEALTH_ERROR)
		runner_error(&r, "local", "The check gave no valid result.");
	if (util_write_all(wfd, p, left) != 0)
		_exit(1);
	_exit(0);
}

/* Start item's check: 0, or an error recorded in c->r. */
static void
start_check(enum health_item item, const struct health_env *env,
    struct running *c)
{
	int pfd[2];
	pid_t runner = getpid();

	memset(c, 0, sizeof *c);
	c->fd = -1;
	clock_gettime(CLOCK_MONOTONIC, &c->started);
	if (pipe2(pfd, O_CLOEXEC) != 0) {
		runner_error(&c->r, "local", "The check could not start (%s).",
		    strerror(errno));
		c->done = 1;
		return;
	}
	if ((c->pid = fork()) < 0) {
		runner_error(&c->r, "local", "The check could not start (%s).",
		    strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		c->done = 1;
		return;
	}
	if (c->pid == 0) {
		close(pfd[0]);
		check_child(item, env, pfd[1], runner);
	}
	close(pfd[1]);
	c->fd = pfd[0];
}

/* Reap c's process and make its result final. */
static void
finish_check(struct running *c, int timeout, int killed)
{
	int status = 0;

	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	if (c->pid > 0) {
		if (killed)
			kill(c->pid, SIGKILL);
		while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
			;
		c->pid = 0;
	}
	c->r.duration_ms = ms_since(&c->started);
	if (killed)
		runner_error(&c->r, "timeout", "The check did not finish "
		    "within %d seconds and was stopped: a peer it waited for "
		    "did not answer. The other items were checked; this one "
		    "is checked again in the next run.", timeout);
	else if (c->got != sizeof c->r)
		runner_error(&c->r, "local", "The check stopped before it "
		    "gave a result (%s %d). Details are in %s.",
		    WIFSIGNALED(status) ? "signal" : "status",
		    WIFSIGNALED(status) ? WTERMSIG(status) :
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		    paths_get(PATH_LOGFILE));
	c->done = 1;
}

/* Wait for every started check; kill those past timeout + 1 s. */
static void
collect(struct running *cs, int timeout)
{
	long limit_ms = (long)timeout * 1000 + 1000;

	for (;;) {
		struct pollfd pf[HI__MAX];
		int map[HI__MAX], n = 0, wait_ms = -1;

		for (int i = 0; i < HI__MAX; i++) {
			long left;
			if (cs[i].done || cs[i].fd < 0)
				continue;
			if ((left = limit_ms - ms_since(&cs[i].started)) <= 0) {
				finish_check(&cs[i], timeout, 1);
				continue;
			}
			if (wait_ms < 0 || left < wait_ms)
				wait_ms = (int)left;
			pf[n].fd = cs[i].fd;
			pf[n].events = POLLIN;
			map[n++] = i;
		}
		if (n == 0)
			return;
		if (poll(pf, (nfds_t)n, wait_ms) < 0) {
			if (errno == EINTR)
				continue;
			for (int k = 0; k < n; k++)
				finish_check(&cs[map[k]], timeout, 1);
			return;
		}
		for (int k = 0; k < n; k++) {
			struct running *c = &cs[map[k]];
			ssize_t r;
			if (!(pf[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(c->fd, (char *)&c->r + c->got,
			    sizeof c->r - c->got);
			if (r < 0 && errno == EINTR)
				continue;
			if (r > 0)
				c->got += (size_t)r;
			if (r <= 0 || c->got == sizeof c->r)
				finish_check(c, timeout, 0);
		}
	}
}

/* The state's rank in a strip slot (the worst wins). */
static const char strip_chars[] = { [HEALTH_ABSENT] = '-',
	[HEALTH_NA] = 'n', [HEALTH_OK] = 'o', [HEALTH_WARNING] = 'w',
	[HEALTH_ERROR] = 'e' };

/* The item's strip of the last 24 hours, from its history. */
static int
strip_of(const char *item, time_t now, char out[HEALTH_STRIP_SLOTS + 1])
{
	sqlite3_stmt *st = db_stmt(DB_HEALTH_STRIP);
	time_t end = (now / HEALTH_STRIP_SLOT + 1) * HEALTH_STRIP_SLOT;
	time_t start = end - (time_t)HEALTH_STRIP_SLOTS * HEALTH_STRIP_SLOT;
	int rc;

	memset(out, '-', HEALTH_STRIP_SLOTS);
	out[HEALTH_STRIP_SLOTS] = '\0';
	if (st == NULL)
		return CONN_EDB;
	sqlite3_bind_text(st, 1, item, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)start);
	sqlite3_bind_int(st, 3, HEALTH_STRIP_SLOT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		long slot = (long)sqlite3_column_int64(st, 0);
		int rank = sqlite3_column_int(st, 1);
		if (slot >= 0 && slot < HEALTH_STRIP_SLOTS && rank >= 0 &&
		    rank <= HEALTH_ERROR)
			out[slot] = strip_chars[rank];
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : CONN_EDB;
}

/* Add "NAME: WORD (was WORD): summary" to the run's news. */
static void
news(struct job_report *rep, enum health_item i, int known,
    enum health_state was, const struct health_result *r)
{
	size_t len = strlen(rep->line);
	char one[400];

	if (known)
		snprintf(one, sizeof one, "%s: %s (was %s): %.280s",
		    health_items[i].name, health_state_word(r->state),
		    health_state_word(was), r->summary);
	else
		snprintf(one, sizeof one, "%s: %s: %.280s",
		    health_items[i].name, health_state_word(r->state),
		    r->summary);
	snprintf(rep->line + len, sizeof rep->line - len, "%shealth: %s",
	    len ? "\n" : "", one);
}

/* Whether going from was (known: there was a row) to now is news. */
static int
is_news(int known, enum health_state was, enum health_state now)
{
	if (!known)
		return now >= HEALTH_WARNING;
	if (was == now || now == HEALTH_ABSENT)
		return 0;
	if (was == HEALTH_ABSENT || was == HEALTH_NA)
		return now >= HEALTH_WARNING;
	return 1;
}

/* One result into health and health_log; news into rep. */
static int
store_one(enum health_item i, const struct health_result *r, time_t now,
    struct job_report *rep)
{
	const char *id = health_items[i].id;
	sqlite3_stmt *st;
	enum health_state was = HEALTH_NA;
	time_t since = now;
	char strip[HEALTH_STRIP_SLOTS + 1];
	int known = 0, rc;

	if ((st = db_stmt(DB_HEALTH_GET)) == NULL)
		return CONN_EDB;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);
		known = s != NULL && health_state_parse(s, &was) == 0;
		if (known && was == r->state)
			since = (time_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return CONN_EDB;

	if ((st = db_stmt(DB_HEALTH_LOG_ADD)) == NULL)
		return CONN_EDB;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	sqlite3_bind_text(st, 3, health_state_id(r->state), -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->summary, -1, SQLITE_STATIC);
	/* History keeps the details of what was not ok: that is what View
	 * Error Log shows; the item's row keeps its latest either way. */
	if (r->details[0] && r->state != HEALTH_OK &&
	    r->state != HEALTH_ABSENT)
		sqlite3_bind_text(st, 5, r->details, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, r->duration_ms);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE || strip_of(id, now, strip) != 0)
		return CONN_EDB;

	if ((st = db_stmt(DB_HEALTH_PUT)) == NULL)
		return CONN_EDB;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, health_state_id(r->state), -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->summary, -1, SQLITE_STATIC);
	if (r->details[0])
		sqlite3_bind_text(st, 4, r->details, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)now);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)since);
	sqlite3_bind_int64(st, 7, r->duration_ms);
	sqlite3_bind_text(st, 8, strip, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return CONN_EDB;
	if (is_news(known, was, r->state))
		news(rep, i, known, was, r);
	return 0;
}

/* Every result that ran, in one transaction. */
static int
store(const struct running *cs, const int *ran, time_t now,
    struct job_report *rep)
{
	sqlite3_stmt *st;
	int rc;

	if (db_begin() != 0)
		return CONN_EDB;
	for (int i = 0; i < HI__MAX; i++)
		if (ran[i] && (rc = store_one((enum health_item)i, &cs[i].r,
		    now, rep)) != 0)
			goto fail;
	rc = CONN_EDB;
	if ((st = db_stmt(DB_HEALTH_LOG_PRUNE)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)(now - HEALTH_LOG_RETENTION));
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		rc = CONN_EDB;
		goto fail;
	}
	if ((rc = db_commit()) == 0)
		return 0;
fail:
	db_rollback();
	log_err("health: the results cannot be written: %s",
	    sqlite3_errmsg(db_handle()));
	return rc < 0 ? rc : CONN_EDB;
}

int
health_run_items(enum health_item only, struct job_report *rep)
{
	struct running cs[HI__MAX];
	int ran[HI__MAX] = { 0 }, counts[HEALTH_ERROR + 1] = { 0 }, rc;
	struct health_env env = { .timeout = health_timeout(),
	    .now = util_now(), .by_hand = by_hand || only != HI__MAX };

	/* The checks open their own connections: none crosses a fork. */
	db_close();
	fflush(NULL);
	for (int i = 0; i < HI__MAX; i++) {
		cs[i].done = 1;
		cs[i].fd = -1;
	}
	/* The checks that wait on peers start first: the run lasts as long
	 * as the slowest of them, and the quick local checks start while
	 * they wait instead of before. */
	for (size_t k = 0; k < sizeof start_order / sizeof start_order[0];
	    k++) {
		enum health_item i = start_order[k];
		if (only != HI__MAX && only != i)
			continue;
		ran[i] = 1;
		start_check(i, &env, &cs[i]);
	}
	collect(cs, env.timeout);
	if (db_open(paths_get(PATH_DB)) != 0) {
		snprintf(rep->error, sizeof rep->error, "the results cannot "
		    "be written: the database %s cannot be opened",
		    paths_get(PATH_DB));
		return CONN_EDB;
	}
	if ((rc = store(cs, ran, util_now(), rep)) != 0) {
		snprintf(rep->error, sizeof rep->error, "the results cannot "
		    "be written to the database; the pane shows the previous "
		    "run's");
		return rc;
	}
	for (int i = 0; i < HI__MAX; i++) {
		if (!ran[i])
			continue;
		counts[cs[i].r.state]++;
		log_info("health: %s %s %ldms %s", health_items[i].id,
		    health_state_id(cs[i].r.state), cs[i].r.duration_ms,
		    cs[i].r.summary);
	}
	job_count(rep, "ok", counts[HEALTH_OK]);
	job_count(rep, "warning", counts[HEALTH_WARNING]);
	job_count(rep, "error", counts[HEALTH_ERROR]);
	job_count(rep, "not_applicable", counts[HEALTH_NA]);
	job_count(rep, "not_present", counts[HEALTH_ABSENT]);
	return 0;
}

void
health_select(enum health_item only)
{
	selected = only;
}

int
health_run(struct job_report *rep)
{
	return health_run_items(selected, rep);
}

/* Check now: the newest run before it into *before, then a run that
 * outlives the caller (lib/job.c). */
int
health_start(long long *before)
{
	int running, rc;

	if (job_newest(HEALTH_JOB, before, NULL, &running) != 0)
		return CONN_EDB;
	by_hand = 1;
	rc = job_start_detached(&health_job);
	by_hand = 0;
	return rc;
}
