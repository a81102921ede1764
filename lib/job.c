/*
 * job.c — the runner of the cron jobs.  A run:
 *
 *   1. takes the job's lock (flock, non-blocking, on var/lib/connector/
 *      <job>.lock): while a run holds it, a new one records nothing and
 *      exits quietly, so runs never overlap;
 *   2. marks a row of the job still 'running' as 'failed' ("stopped before
 *      it finished"): holding the lock, such a row can only be a run that
 *      was killed;
 *   3. writes its own row, 'running';
 *   4. runs the work in a child process (its own database connection),
 *      which sends its report through a pipe; past the time limit the child
 *      is killed and the run recorded failed ("took longer than N s");
 *   5. completes the row: 'ok' or 'failed', counts as JSON, the error text
 *      and the run's note (a remark that is not news: "not registered").
 *
 * The child dies with the runner (PR_SET_PDEATHSIG), so a killed runner
 * never leaves work going on unsupervised, and the lock (which the child
 * shares) is free for the next run.  Output is for cron's MAILTO: one line
 * when something changed or failed, nothing otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "job.h"

#define STALE_ERROR "stopped before it finished (it was killed, or the " \
	"machine stopped)"

/* What the work child sends its runner. */
struct job_msg {
	int rc;
	struct job_report rep;
};

/* Set by SIGTERM/SIGHUP/SIGINT in job_main: stop the work and record it.
 * The signals stay blocked except while the runner waits in ppoll (with
 * job_unblocked), so one that arrives just before the wait is not lost. */
static volatile sig_atomic_t stop_signal;
static sigset_t job_unblocked;

static void
on_stop(int sig)
{
	stop_signal = sig;
}

/* The lock file of job name, var/lib/connector/<name>.lock, into out. */
int
job_lock_path(const char *name, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s/%s.lock", paths_get(PATH_LIB), name);

	return n < 0 || (size_t)n >= outlen ? CONN_EINVAL : 0;
}

/* Add count name = n to rep: 0, or CONN_ETOOBIG when rep is full. */
int
job_count(struct job_report *rep, const char *name, long n)
{
	if (rep->ncounts >= JOB_COUNTS_MAX)
		return CONN_ETOOBIG;
	snprintf(rep->counts[rep->ncounts].name, JOB_COUNT_NAME_MAX, "%s",
	    name);
	rep->counts[rep->ncounts++].n = n;
	return 0;
}

/* Mark the job's rows still 'running' failed: their number, or an error. */
static int
mark_stale(const char *name)
{
	sqlite3_stmt *st = db_stmt(DB_JOB_STALE);
	int rc;

	if (st == NULL)
		return CONN_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)util_now());
	sqlite3_bind_text(st, 3, STALE_ERROR, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_err("job %s: cannot close the rows of killed runs: %s", name,
		    sqlite3_errmsg(db_handle()));
		return CONN_EDB;
	}
	return sqlite3_changes(db_handle());
}

/* Write the run's row, 'running'; its id into *id. */
static int
start_row(const char *name, sqlite3_int64 *id)
{
	sqlite3_stmt *st = db_stmt(DB_JOB_START);
	int rc;

	if (st == NULL)
		return CONN_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)util_now());
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_err("job %s: cannot record the run: %s", name,
		    sqlite3_errmsg(db_handle()));
		return CONN_EDB;
	}
	*id = sqlite3_last_insert_rowid(db_handle());
	return 0;
}

/* Complete row id: outcome, rep's counts as a JSON object and its note,
 * error or NULL. */
static int
end_row(sqlite3_int64 id, const char *outcome, const struct job_report *rep,
    const char *error)
{
	json_t *o = json_object();
	char *counts = NULL;
	sqlite3_stmt *st;
	int i, rc = CONN_ENOMEM;

	if (o == NULL)
		goto out;
	for (i = 0; i < rep->ncounts; i++)
		if (json_object_set_new(o, rep->counts[i].name,
		    json_integer(rep->counts[i].n)) != 0)
			goto out;
	if ((counts = json_dumps(o, JSON_COMPACT)) == NULL)
		goto out;
	rc = CONN_EDB;
	if ((st = db_stmt(DB_JOB_END)) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)util_now());
	sqlite3_bind_text(st, 3, outcome, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, counts, -1, SQLITE_STATIC);
	if (error && *error)
		sqlite3_bind_text(st, 5, error, -1, SQLITE_STATIC);
	if (rep->note[0])
		sqlite3_bind_text(st, 6, rep->note, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : CONN_EDB;
	sqlite3_reset(st);
	if (rc)
		log_err("cannot record the end of run %lld: %s", (long long)id,
		    sqlite3_errmsg(db_handle()));
out:
	free(counts);
	json_decref(o);
	return rc;
}

/*
 * The work child: run def with its own connection, report, exit.  runner is
 * the runner's pid, taken before the fork: when the runner is already gone
 * (killed between the fork and prctl), the work does not start.
 */
static void
work_child(const struct job_def *def, int wfd, pid_t runner)
{
	struct job_msg m;
	const char *p = (const char *)&m;
	size_t left = sizeof m;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != runner)
		_exit(1);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	sigprocmask(SIG_SETMASK, &job_unblocked, NULL);
	memset(&m, 0, sizeof m);
	if (db_open(paths_get(PATH_DB)) != 0) {
		m.rc = CONN_EDB;
		snprintf(m.rep.error, sizeof m.rep.error, "cannot open the "
		    "database %s", paths_get(PATH_DB));
	} else {
		m.rc = def->run(&m.rep);
		db_close();
	}
	if (m.rc != 0 && m.rep.error[0] == '\0')
		snprintf(m.rep.error, sizeof m.rep.error, "the work failed "
		    "(error %d)", m.rc);
	m.rep.line[sizeof m.rep.line - 1] = '\0';
	m.rep.error[sizeof m.rep.error - 1] = '\0';
	m.rep.note[sizeof m.rep.note - 1] = '\0';
	if (util_write_all(wfd, p, left) != 0)
		_exit(1);
	_exit(0);
}

/* Milliseconds left until deadline (CLOCK_MONOTONIC), at least 0. */
static int
ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > INT_MAX ? INT_MAX : (int)ms;
}

/*
 * Wait for the child pid's report on rfd until limit seconds have passed:
 * 0 with m filled when a whole report came and the child exited normally;
 * otherwise the child is killed (when still running), reaped, and why the
 * run failed is written to error.
 */
static int
await_child(pid_t pid, int rfd, unsigned limit, struct job_msg *m,
    char *error, size_t errlen)
{
	struct timespec deadline;
	struct pollfd pf = { .fd = rfd, .events = POLLIN };
	size_t got = 0;
	int status = 0, timed_out = 0, stopped = 0;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += limit;
	while (got < sizeof *m) {
		int n, ms = ms_left(&deadline);
		struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

		if (stop_signal) {
			stopped = 1;
			break;
		}
		if ((n = ppoll(&pf, 1, &ts, &job_unblocked)) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (n == 0) {
			timed_out = 1;
			break;
		}
		ssize_t r = read(rfd, (char *)m + got, sizeof *m - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got < sizeof *m)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got == sizeof *m && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0)
		return 0;
	if (timed_out)
		snprintf(error, errlen, "took longer than %u s and was "
		    "stopped", limit);
	else if (stopped)
		snprintf(error, errlen, "stopped before it finished: the "
		    "runner was asked to stop (signal %d)", (int)stop_signal);
	else if (WIFSIGNALED(status))
		snprintf(error, errlen, "stopped before it finished: the work "
		    "was killed (signal %d)", WTERMSIG(status));
	else
		snprintf(error, errlen, "stopped before it finished: the work "
		    "ended with status %d", WIFEXITED(status) ?
		    WEXITSTATUS(status) : -1);
	return CONN_EIO;
}

/* Print what the run says: a failure, news, or (verbose) the counts. */
static void
report(FILE *out, const struct job_def *def, int verbose, int stale,
    const struct job_msg *m, const char *error)
{
	int i;

	if (stale > 0)
		fprintf(out, "%s: the previous run %s.\n", def->name,
		    STALE_ERROR);
	if (error[0]) {
		fprintf(out, "%s: failed: %s.  Details are in %s.\n", def->name,
		    error, paths_get(PATH_LOGFILE));
		return;
	}
	if (m->rep.line[0])
		fprintf(out, "%s\n", m->rep.line);
	else if (verbose)
		fprintf(out, "%s: nothing to do%s%s\n", def->name,
		    m->rep.note[0] ? ": " : "", m->rep.note);
	if (verbose)
		for (i = 0; i < m->rep.ncounts; i++)
			fprintf(out, "%s: %s %ld\n", def->name,
			    m->rep.counts[i].name, m->rep.counts[i].n);
}

/*
 * One run of def, as described at the top of this file; paths and log are
 * set up by the caller.  What the administrator should read goes to out.
 * Returns 0 when the run worked or was skipped (a run is still going), 1
 * when it failed.  The database is left open.
 */
int
job_run(const struct job_def *def, int verbose, FILE *out)
{
	char lockpath[PATH_MAX], error[JOB_ERROR_MAX] = "";
	struct job_msg m;
	sqlite3_int64 id = 0;
	int lockfd = -1, pfd[2] = { -1, -1 }, stale = 0, rc = 1;
	pid_t pid, runner;

	memset(&m, 0, sizeof m);
	if (job_lock_path(def->name, lockpath, sizeof lockpath) != 0)
		return 1;
	if ((lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) < 0) {
		log_err("job %s: cannot open %s: %s", def->name, lockpath,
		    strerror(errno));
		fprintf(out, "%s: cannot start: the lock file %s cannot be "
		    "opened (%s).  Check that %s exists and that the user "
		    "running the job can write to it.\n", def->name, lockpath,
		    strerror(errno), paths_get(PATH_LIB));
		return 1;
	}
	if (flock(lockfd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK) {
			log_info("job %s: the previous run is still going; "
			    "this one is skipped", def->name);
			if (verbose)
				fprintf(out, "%s: the previous run is still "
				    "going; this one is skipped\n", def->name);
			rc = 0;
		} else
			log_err("job %s: cannot lock %s: %s", def->name,
			    lockpath, strerror(errno));
		goto out;
	}
	if (db_open(paths_get(PATH_DB)) != 0 || db_migrate() != 0) {
		fprintf(out, "%s: cannot start: the database %s cannot be "
		    "opened.  Details are in %s.\n", def->name,
		    paths_get(PATH_DB), paths_get(PATH_LOGFILE));
		goto out;
	}
	if ((stale = mark_stale(def->name)) < 0 ||
	    start_row(def->name, &id) != 0) {
		fprintf(out, "%s: cannot start: the run cannot be recorded.  "
		    "Details are in %s.\n", def->name, paths_get(PATH_LOGFILE));
		goto out;
	}
	if (stale > 0)
		log_warn("job %s: the previous run %s", def->name, STALE_ERROR);
	db_close();
	fflush(NULL);
	runner = getpid();
	if (pipe2(pfd, O_CLOEXEC) != 0 || (pid = fork()) < 0) {
		snprintf(error, sizeof error, "the work could not be started "
		    "(%s)", strerror(errno));
	} else if (pid == 0) {
		close(pfd[0]);
		work_child(def, pfd[1], runner);
	} else {
		close(pfd[1]);
		pfd[1] = -1;
		if (await_child(pid, pfd[0], def->time_limit, &m, error,
		    sizeof error) == 0 && m.rc != 0)
			snprintf(error, sizeof error, "%s", m.rep.error);
	}
	if (db_open(paths_get(PATH_DB)) != 0 ||
	    end_row(id, error[0] ? "failed" : "ok", &m.rep, error) != 0)
		log_err("job %s: the end of run %lld is not recorded",
		    def->name, (long long)id);
	if (error[0])
		log_err("job %s: %s", def->name, error);
	else
		log_info("%s", m.rep.line[0] ? m.rep.line : "done; nothing "
		    "changed");
	report(out, def, verbose, stale, &m, error);
	rc = error[0] ? 1 : 0;
out:
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	close(lockfd);
	fflush(out);
	return rc;
}

/* SIGTERM, SIGHUP and SIGINT stop the work and are recorded (on_stop);
 * they stay blocked except while the runner waits (job_unblocked). */
static void
stop_signals(void)
{
	struct sigaction sa;
	sigset_t stops;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigemptyset(&stops);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGHUP);
	sigaddset(&stops, SIGINT);
	sigprocmask(SIG_BLOCK, &stops, &job_unblocked);
}

/* The newest run of job name: its id (0: none yet), its end (0 while it
 * runs; ended_at may be NULL) and whether it is still running. */
int
job_newest(const char *name, long long *id, time_t *ended_at, int *running)
{
	sqlite3_stmt *st = db_stmt(DB_JOB_NEWEST);
	int rc;

	*id = 0;
	*running = 0;
	if (ended_at)
		*ended_at = 0;
	if (st == NULL)
		return CONN_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *o = (const char *)sqlite3_column_text(st, 1);
		*id = sqlite3_column_int64(st, 0);
		*running = o != NULL && strcmp(o, "running") == 0;
		if (ended_at)
			*ended_at = (time_t)sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : CONN_EDB;
}

/*
 * Start a run of def that outlives the caller (a page's "Check now").
 * The caller forks once; that child starts a session of its own and forks
 * the run, then exits, so the caller waits only for the first fork and
 * leaves no zombie.  The run keeps none of the caller's descriptors but
 * the standard three, on /dev/null, opens its own database connection,
 * and handles signals as a cron run does; it records its outcome in the
 * jobs table like any run, and is skipped (quietly) while another run
 * holds the job's lock.  0 when it was started, else CONN_EIO.
 */
int
job_start_detached(const struct job_def *def)
{
	int status = 0, fd, reaped = 0;
	pid_t pid, run;
	sigset_t none;

	/* SQLite's per-process state (its file descriptors and locks) must
	 * not cross the fork: the caller's connection is closed first and
	 * opened again after, so the run opens the database afresh. */
	db_close();
	fflush(NULL);
	if ((pid = fork()) < 0) {
		log_err("job %s: cannot start a run: %s", def->name,
		    strerror(errno));
		return db_open(paths_get(PATH_DB)) != 0 ? CONN_EDB : CONN_EIO;
	}
	if (pid == 0) {
		setsid();
		if ((run = fork()) != 0)
			_exit(run < 0 ? 1 : 0);
		if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		close_range(3, ~0U, 0);
		for (int sig = 1; sig < NSIG; sig++)
			if (sig != SIGKILL && sig != SIGSTOP)
				signal(sig, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		log_init(def->name);
		stop_signals();
		_exit(job_run(def, 0, stdout) == 0 ? 0 : 1);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			reaped = 1;	/* elsewhere: it was started */
			break;
		}
	if (db_open(paths_get(PATH_DB)) != 0)
		return CONN_EDB;
	if (reaped || (WIFEXITED(status) && WEXITSTATUS(status) == 0))
		return 0;
	log_err("job %s: cannot start a run (the starter ended with %d)",
	    def->name, status);
	return CONN_EIO;
}

static void
usage(const char *name)
{
	fprintf(stderr, "usage: connector-%s [--root DIR] [--verbose]\n",
	    name);
}

/*
 * A job program's main: --root DIR (the instance's root, like the other
 * programs' CONNECTOR_ROOT) and --verbose (say what was done even when
 * nothing changed).  Exit status 0 (done or skipped), 1 (failed), 2 (usage).
 */
int
job_main(int argc, char **argv, const struct job_def *def)
{
	int verbose = 0, i, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--root") == 0 && i + 1 < argc) {
			if (argv[++i][0] != '/') {
				fprintf(stderr, "connector-%s: --root takes an "
				    "absolute path\n", def->name);
				return 2;
			}
			setenv("CONNECTOR_ROOT", argv[i], 1);
		} else if (strcmp(argv[i], "--verbose") == 0)
			verbose = 1;
		else {
			usage(def->name);
			return 2;
		}
	}
	if (paths_init() != 0) {
		fprintf(stderr, "connector-%s: CONNECTOR_ROOT must be an "
		    "absolute path\n", def->name);
		return 2;
	}
	log_init(def->name);
	stop_signals();
	rc = job_run(def, verbose, stdout);
	db_close();
	return rc;
}
