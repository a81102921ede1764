/*
 * housekeeping.c — the housekeeping job: it removes what the console no
 * longer needs and nothing else ever removes.
 *
 *   - sessions past their idle or absolute limit (lib/auth.c's limits; a
 *     sign-in only purges them when someone signs in);
 *   - sign-in sources (login_sources) HK_SOURCE_RETENTION after their last
 *     failure: the slow-down of repeated attempts is nginx's, over seconds,
 *     so such a row is far outside it;
 *   - the registration wizard's draft, when untouched for HK_DRAFT_RETENTION
 *     (started before, not changed since: no step wrote to it);
 *   - finished job runs beyond the newest HK_JOB_RUNS_KEPT of each job;
 *   - key files and temporary files a killed key rotation left in keys/
 *     (secret_recover_count);
 *   - the authentication proxy's accepted signatures once their requests'
 *     dates are outside the accepted window (no replay of them could be
 *     accepted anyway), and its counted attempts past the limits' window
 *     (authproxy_prune).
 */
#include <stdio.h>
#include <string.h>

#include "authproxy.h"
#include "domain.h"
#include "housekeeping.h"


/* Step st with no bindings left to make: rows changed, or CONN_EDB. */
static int
step_changes(sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_err("housekeeping: cannot remove %s: %s", what,
		    sqlite3_errmsg(db_handle()));
		return CONN_EDB;
	}
	return sqlite3_changes(db_handle());
}

/* Remove the sessions expired at now: their number, or an error. */
int
housekeeping_sessions(time_t now)
{
	sqlite3_stmt *st = db_stmt(DB_SESSION_PURGE);

	if (st == NULL)
		return CONN_EDB;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)(now - AUTH_IDLE_SECONDS));
	sqlite3_bind_int64(st, 2, (sqlite3_int64)(now - AUTH_ABSOLUTE_SECONDS));
	return step_changes(st, "expired sessions");
}

/* Remove the sign-in sources past their retention: number, or an error. */
int
housekeeping_sources(time_t now)
{
	sqlite3_stmt *st = db_stmt(DB_JOB_SOURCES_PRUNE);

	if (st == NULL)
		return CONN_EDB;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)(now - HK_SOURCE_RETENTION));
	return step_changes(st, "old sign-in sources");
}

/*
 * Discard the wizard's draft when it is untouched past its retention, in
 * one transaction with the check (so a step saved meanwhile is not lost):
 * 1 when discarded, 0 when there was none to discard, or an error.
 */
int
housekeeping_draft(time_t now)
{
	sqlite3_stmt *st;
	int rc, stale;

	if (db_begin() != 0)
		return CONN_EDB;
	rc = CONN_EDB;
	if ((st = db_stmt(DB_JOB_DRAFT_STALE)) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)(now - HK_DRAFT_RETENTION));
	sqlite3_bind_text(st, 2, REG_DRAFT_STARTED, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, REG_DRAFT_TOUCHED, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, REG_DRAFT_PREFIX, -1, SQLITE_STATIC);
	stale = sqlite3_step(st);
	sqlite3_reset(st);
	if (stale != SQLITE_ROW && stale != SQLITE_DONE) {
		log_err("housekeeping: cannot read the registration draft: %s",
		    sqlite3_errmsg(db_handle()));
		goto out;
	}
	if (stale == SQLITE_DONE) {
		rc = 0;
		goto out;
	}
	if ((rc = reg_draft_drop()) != 0 || (rc = db_commit()) != 0)
		goto out;
	log_info("housekeeping: discarded the registration draft untouched "
	    "for %d days", HK_DRAFT_RETENTION / (24 * 60 * 60));
	return 1;
out:
	db_rollback();
	return rc;
}

/* Remove finished runs beyond the newest keep of each job: number, error. */
int
housekeeping_job_runs(int keep)
{
	sqlite3_stmt *st = db_stmt(DB_JOB_PRUNE);

	if (st == NULL)
		return CONN_EDB;
	sqlite3_bind_int(st, 1, keep);
	return step_changes(st, "old job runs");
}

/* Append ", N thing(s)" (or the first "removed N thing(s)") to line. */
static void
say(char *line, size_t len, long n, const char *one, const char *many)
{
	size_t used = strlen(line);

	if (n <= 0 || used >= len)
		return;
	snprintf(line + used, len - used, "%s%ld %s",
	    strstr(line, "removed") ? ", " : "removed ",
	    n, n == 1 ? one : many);
}

/*
 * The job: every kind of pruning above, each counted in rep; rep->line
 * says what was removed when anything that matters to the administrator
 * was (an abandoned draft, a key file a killed rotation left); expired
 * sessions, old sign-in sources and old job runs are routine and only
 * counted.  0 or an error, with
 * rep->error saying which part failed.
 */
int
housekeeping_run(struct job_report *rep)
{
	time_t now = util_now();
	size_t keys = 0;
	int sessions, sources, draft, runs, rc, signatures, attempts;

	if ((sessions = housekeeping_sessions(now)) < 0) {
		snprintf(rep->error, sizeof rep->error, "expired sessions "
		    "could not be removed");
		return sessions;
	}
	if ((sources = housekeeping_sources(now)) < 0) {
		snprintf(rep->error, sizeof rep->error, "old sign-in sources "
		    "could not be removed");
		return sources;
	}
	if ((draft = housekeeping_draft(now)) < 0) {
		snprintf(rep->error, sizeof rep->error, "the abandoned "
		    "registration draft could not be discarded");
		return draft;
	}
	if ((runs = housekeeping_job_runs(HK_JOB_RUNS_KEPT)) < 0) {
		snprintf(rep->error, sizeof rep->error, "old job runs could "
		    "not be removed");
		return runs;
	}
	if ((rc = secret_recover_count(&keys)) != 0) {
		snprintf(rep->error, sizeof rep->error, rc == CONN_ENOTFOUND ?
		    "the encryption key in use has no key file in %s; stored "
		    "credentials cannot be read until it is restored" :
		    "leftover key files in %s could not be removed",
		    paths_get(PATH_KEYS));
		return rc;
	}
	if ((rc = authproxy_prune(now, &signatures, &attempts)) != 0) {
		snprintf(rep->error, sizeof rep->error, "the authentication "
		    "proxy's old signatures and attempts could not be removed");
		return rc;
	}
	job_count(rep, "sessions", sessions);
	job_count(rep, "login_sources", sources);
	job_count(rep, "drafts", draft);
	job_count(rep, "job_runs", runs);
	job_count(rep, "key_files", (long)keys);
	job_count(rep, "authproxy_signatures", signatures);
	job_count(rep, "authproxy_attempts", attempts);
	/* Expired sessions, old sign-in sources and the proxy's signatures
	 * and attempts are routine: counted in the run's record, not mailed. */
	snprintf(rep->line, sizeof rep->line, "housekeeping: ");
	say(rep->line, sizeof rep->line, draft, "abandoned registration draft",
	    "abandoned registration drafts");
	say(rep->line, sizeof rep->line, (long)keys, "leftover key file",
	    "leftover key files");
	if (strstr(rep->line, "removed") == NULL)
		rep->line[0] = '\0';
	return 0;
}
