/*
 * db.c — the connector's SQLite state.  One connection per process, opened
 * in WAL mode with synchronous=FULL and a busy timeout; all SQL lives in the
 * numbered statement table below and code names a statement, never pastes
 * SQL.  Schema changes are the migrations embedded from sql/NNN-*.sql,
 * tracked by PRAGMA user_version.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base.h"

struct db_migration {
	int version;
	const char *name;
	const char *sql;
};
extern const struct db_migration db_migrations[];
extern const size_t db_nmigrations;

/* A page of the migrations table in one order (each has its index). */
#define VMS_PAGE(order) \
	"SELECT id, vm_moref, vm_name, region, kind, coalesce(task_id, ''), " \
	"state, aws_status, coalesce(progress, -1), status_message, " \
	"coalesce(image_id, ''), coalesce(instance_id, ''), instance_state, " \
	"first_seen, coalesce(last_seen, 0), last_change FROM vms " \
	"ORDER BY " order " LIMIT ?1 OFFSET ?2"

static const char *const stmt_sql[DB__MAX] = {
	[DB_SETTING_GET] =
	    "SELECT value FROM settings WHERE name = ?1",
	[DB_SETTING_SET] =
	    "INSERT INTO settings (name, value) VALUES (?1, ?2) "
	    "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
	[DB_ADMIN_GET] =
	    "SELECT password_hash IS NOT NULL, locked, failed_count, "
	    "coalesce(last_failure_at, 0), password_hash, setup_code_hash, "
	    "coalesce(locked_at, 0), coalesce(last_login_at, 0), "
	    "coalesce(last_login_addr, ''), coalesce(password_changed_at, 0), "
	    "coalesce(failures_began_at, 0), coalesce(last_failure_addr, '') "
	    "FROM admin WHERE id = 1",
	[DB_ADMIN_CLAIM] =
	    "UPDATE admin SET password_hash = ?1, setup_code_hash = NULL, "
	    "password_changed_at = ?2 "
	    "WHERE id = 1 AND password_hash IS NULL AND setup_code_hash = ?3",
	[DB_ADMIN_SET_CODE] =
	    "UPDATE admin SET setup_code_hash = ?1 "
	    "WHERE id = 1 AND password_hash IS NULL",
	[DB_ADMIN_SET_PASSWORD] =
	    "UPDATE admin SET password_hash = ?1, setup_code_hash = NULL, "
	    "failed_count = 0, locked = 0, locked_at = NULL, "
	    "failures_began_at = NULL, last_failure_addr = NULL, "
	    "password_changed_at = ?2 WHERE id = 1",
	[DB_ADMIN_REHASH] =
	    "UPDATE admin SET password_hash = ?1 "
	    "WHERE id = 1 AND password_hash = ?2",
	/* One conditional UPDATE: exact under concurrency, never read-then-write.
	 * SET expressions see the old row, so failed_count + 1 is the new count. */
	[DB_ADMIN_FAIL] =
	    "UPDATE admin SET failed_count = failed_count + 1, "
	    "failures_began_at = CASE WHEN failed_count = 0 THEN ?1 "
	    "ELSE failures_began_at END, last_failure_addr = ?3, "
	    "last_failure_at = ?1, locked = (failed_count + 1 >= ?2), "
	    "locked_at = CASE WHEN failed_count + 1 >= ?2 THEN ?1 "
	    "ELSE locked_at END "
	    "WHERE id = 1 AND locked = 0 AND password_hash IS NOT NULL "
	    "RETURNING failed_count, locked",
	[DB_ADMIN_SUCCESS] =
	    "UPDATE admin SET failed_count = 0, last_login_at = ?1, "
	    "last_login_addr = ?2, failures_began_at = NULL, "
	    "last_failure_addr = NULL WHERE id = 1 AND locked = 0",
	[DB_SOURCE_FAIL] =
	    "INSERT INTO login_sources (addr, consecutive, total, "
	    "last_failure_at, recent) VALUES (?1, 1, 1, ?2, 1) ON CONFLICT "
	    "(addr) DO UPDATE SET consecutive = consecutive + 1, "
	    "total = total + 1, recent = recent + 1, last_failure_at = ?2 "
	    "RETURNING consecutive",
	[DB_SOURCE_CLEAR] =
	    "UPDATE login_sources SET consecutive = 0 WHERE addr = ?1",
	[DB_SOURCES_RECENT] =
	    "SELECT addr, total, last_failure_at, recent FROM login_sources "
	    "ORDER BY last_failure_at DESC LIMIT ?1",
	[DB_SESSION_INSERT] =
	    "INSERT INTO sessions (token_hash, csrf, created_at, last_seen, "
	    "addr) VALUES (?1, ?2, ?3, ?3, ?4)",
	[DB_SESSION_GET] =
	    "SELECT csrf, created_at, last_seen, notice, notice_secret, "
	    "notice_warning, notice_path "
	    "FROM sessions WHERE token_hash = ?1",
	[DB_SESSION_TOUCH] =
	    "UPDATE sessions SET last_seen = ?2 WHERE token_hash = ?1",
	[DB_SESSION_DELETE] =
	    "DELETE FROM sessions WHERE token_hash = ?1",
	[DB_SESSION_DELETE_ALL] =
	    "DELETE FROM sessions",
	[DB_SESSION_PURGE] =
	    "DELETE FROM sessions WHERE last_seen < ?1 OR created_at < ?2",
	[DB_SETTING_DELETE] =
	    "DELETE FROM settings WHERE name = ?1",
	/* Not LIKE: '_' and '%' in a prefix are plain characters. */
	[DB_SETTING_DELETE_PREFIX] =
	    "DELETE FROM settings WHERE substr(name, 1, length(?1)) = ?1",
	[DB_SETTINGS_LIVE] =
	    "SELECT name, value FROM settings WHERE substr(name, 1, 6) != "
	    "'draft.'",
	[DB_SECRET_GET] =
	    "SELECT key_id, nonce, sealed FROM secrets WHERE name = ?1",
	[DB_SECRET_PUT] =
	    "INSERT INTO secrets (name, key_id, nonce, sealed, updated_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (name) DO UPDATE SET "
	    "key_id = excluded.key_id, nonce = excluded.nonce, "
	    "sealed = excluded.sealed, updated_at = excluded.updated_at",
	/* Rotation: a new seal of the same value keeps updated_at. */
	[DB_SECRET_RESEAL] =
	    "UPDATE secrets SET key_id = ?2, nonce = ?3, sealed = ?4 "
	    "WHERE name = ?1",
	[DB_SECRET_DELETE] =
	    "DELETE FROM secrets WHERE name = ?1",
	[DB_SECRET_DELETE_PREFIX] =
	    "DELETE FROM secrets WHERE substr(name, 1, length(?1)) = ?1",
	[DB_SECRET_COUNT] =
	    "SELECT count(*) FROM secrets",
	[DB_SECRET_NAMES] =
	    "SELECT name FROM secrets ORDER BY name",
	[DB_SECRET_KEY_USED] =
	    "SELECT 1 FROM secrets WHERE key_id = ?1 LIMIT 1",
	[DB_SECRET_KEY_GET] =
	    "SELECT key_id, created_at FROM secret_key WHERE id = 1",
	[DB_SECRET_KEY_SET] =
	    "INSERT INTO secret_key (id, key_id, created_at) VALUES (1, ?1, ?2) "
	    "ON CONFLICT (id) DO UPDATE SET key_id = excluded.key_id, "
	    "created_at = excluded.created_at",
	[DB_SOURCES_RESET] =
	    "UPDATE login_sources SET consecutive = 0, recent = 0",
	/* A successful sign-in: failures before it are no longer recent. */
	[DB_SOURCES_SIGNED_IN] =
	    "UPDATE login_sources SET recent = 0",
	[DB_SESSION_NOTICE_SET] =
	    "UPDATE sessions SET notice = ?2, notice_secret = ?3, "
	    "notice_warning = ?4, notice_path = ?5 "
	    "WHERE token_hash = ?1",
	[DB_SESSION_NOTICE_CLEAR] =
	    "UPDATE sessions SET notice = NULL, notice_secret = NULL, "
	    "notice_warning = 0, notice_path = NULL "
	    "WHERE token_hash = ?1",
	[DB_TOKEN_INSERT] =
	    "INSERT INTO api_tokens (name, token_hash, created_at) "
	    "VALUES (?1, ?2, ?3)",
	[DB_TOKEN_COUNT] =
	    "SELECT count(*) FROM api_tokens",
	[DB_TOKEN_FIND] =
	    "SELECT id, coalesce(last_used_at, 0) FROM api_tokens "
	    "WHERE token_hash = ?1",
	[DB_TOKEN_TOUCH] =
	    "UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1",
	[DB_TOKEN_LIST] =
	    "SELECT id, name, created_at, coalesce(last_used_at, 0) "
	    "FROM api_tokens ORDER BY id",
	[DB_TOKEN_DELETE] =
	    "DELETE FROM api_tokens WHERE id = ?1",
	/* jobs (lib/job.c, lib/housekeeping.c) */
	[DB_JOB_STALE] =
	    "UPDATE jobs SET outcome = 'failed', ended_at = ?2, error = ?3 "
	    "WHERE job = ?1 AND outcome = 'running'",
	[DB_JOB_START] =
	    "INSERT INTO jobs (job, started_at, outcome) "
	    "VALUES (?1, ?2, 'running')",
	[DB_JOB_END] =
	    "UPDATE jobs SET ended_at = ?2, outcome = ?3, counts = ?4, "
	    "error = ?5, note = ?6 WHERE id = ?1",
	/* Keep the newest ?1 finished runs of each job. */
	[DB_JOB_PRUNE] =
	    "DELETE FROM jobs WHERE id IN (SELECT id FROM (SELECT id, "
	    "row_number() OVER (PARTITION BY job ORDER BY id DESC) AS n "
	    "FROM jobs WHERE outcome != 'running') WHERE n > ?1)",
	[DB_JOB_SOURCES_PRUNE] =
	    "DELETE FROM login_sources WHERE last_failure_at < ?1",
	/* 1 when the wizard's draft (started at setting ?2) began before ?1,
	 * its last change (setting ?4) is older too, and none of its secrets
	 * (names starting ?3) was stored since. */
	[DB_JOB_DRAFT_STALE] =
	    "SELECT 1 FROM settings WHERE name = ?2 "
	    "AND CAST(value AS INTEGER) < ?1 AND NOT EXISTS (SELECT 1 FROM "
	    "settings WHERE name = ?4 AND CAST(value AS INTEGER) >= ?1) "
	    "AND NOT EXISTS (SELECT 1 FROM "
	    "secrets WHERE substr(name, 1, length(?3)) = ?3 "
	    "AND updated_at >= ?1)",
	/* vCenter users.  A run stages what vCenter answered in a temporary
	 * table of its own connection (outside any transaction: nothing of
	 * the database is locked while vCenter is asked), then replaces the
	 * list from it in one transaction. */
	[DB_USERS_STAGE_CREATE] =
	    "CREATE TEMP TABLE IF NOT EXISTS staged_users ("
	    "principal TEXT PRIMARY KEY COLLATE NOCASE, "
	    "full_name TEXT NOT NULL, is_group INTEGER NOT NULL)",
	[DB_USERS_STAGE_CLEAR] =
	    "DELETE FROM temp.staged_users",
	/* The first spelling of a name wins; a repeat is dropped. */
	[DB_USERS_STAGE_ADD] =
	    "INSERT OR IGNORE INTO temp.staged_users (principal, full_name, "
	    "is_group) VALUES (?1, ?2, ?3)",
	[DB_USERS_ADDED] =
	    "SELECT count(*) FROM temp.staged_users s WHERE NOT EXISTS "
	    "(SELECT 1 FROM vcenter_users u WHERE u.domain = ?1 "
	    "AND u.principal = s.principal)",
	/* Changed: full name, user/group, or the spelling of the name. */
	[DB_USERS_CHANGED] =
	    "SELECT count(*) FROM temp.staged_users s JOIN vcenter_users u "
	    "ON u.domain = ?1 AND u.principal = s.principal "
	    "WHERE u.full_name != s.full_name OR u.is_group != s.is_group "
	    "OR u.principal != s.principal COLLATE BINARY",
	/* Everything not answered this time, and every other domain's. */
	[DB_USERS_REMOVE] =
	    "DELETE FROM vcenter_users WHERE domain != ?1 "
	    "OR NOT EXISTS (SELECT 1 FROM temp.staged_users s "
	    "WHERE s.principal = vcenter_users.principal)",
	[DB_USERS_UPSERT] =
	    "INSERT INTO vcenter_users (domain, principal, full_name, "
	    "is_group, first_seen, last_seen, changed_at) "
	    "SELECT ?1, principal, full_name, is_group, ?2, ?2, ?2 "
	    "FROM temp.staged_users WHERE true "
	    "ON CONFLICT (domain, principal) DO UPDATE SET "
	    "changed_at = CASE WHEN full_name != excluded.full_name "
	    "OR is_group != excluded.is_group "
	    "OR principal != excluded.principal COLLATE BINARY "
	    "THEN excluded.changed_at ELSE changed_at END, "
	    "principal = excluded.principal, full_name = excluded.full_name, "
	    "is_group = excluded.is_group, last_seen = excluded.last_seen",
	/* ?1 a principal, ?2 its domain as typed (NULL: any), the full name
	 * or its first label (VSPHERE for vsphere.local). */
	[DB_USERS_FIND] =
	    "SELECT domain, principal FROM vcenter_users WHERE principal = ?1 "
	    "AND is_group = 0 AND (?2 IS NULL OR domain = ?2 OR "
	    "substr(domain, 1, length(?2) + 1) = (?2 || '.') COLLATE NOCASE) "
	    "ORDER BY domain LIMIT 2",
	/* ?1: a LIKE pattern (escape '\'), or NULL for every entry. */
	[DB_USERS_COUNT] =
	    "SELECT count(*) FROM vcenter_users WHERE ?1 IS NULL "
	    "OR principal LIKE ?1 ESCAPE '\\' OR full_name LIKE ?1 ESCAPE '\\'",
	[DB_USERS_PAGE] =
	    "SELECT principal, full_name, is_group, first_seen, changed_at, "
	    "domain FROM vcenter_users WHERE ?1 IS NULL "
	    "OR principal LIKE ?1 ESCAPE '\\' OR full_name LIKE ?1 ESCAPE '\\' "
	    "ORDER BY principal, domain LIMIT ?2 OFFSET ?3",
	[DB_USERS_TOTALS] =
	    "SELECT count(*) FILTER (WHERE is_group = 0), "
	    "count(*) FILTER (WHERE is_group = 1), min(domain) "
	    "FROM vcenter_users",
	/* The newest run of job ?1 and the newest that worked. */
	[DB_HEALTH_GET] =
	    "SELECT state, since, summary, duration_ms, checked_at "
	    "FROM health WHERE item = ?1",
	[DB_HEALTH_PUT] =
	    "INSERT INTO health (item, state, summary, details, checked_at, "
	    "since, duration_ms, strip) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
	    "ON CONFLICT (item) DO UPDATE SET state = ?2, summary = ?3, "
	    "details = ?4, checked_at = ?5, since = ?6, duration_ms = ?7, "
	    "strip = ?8",
	[DB_HEALTH_LOG_ADD] =
	    "INSERT INTO health_log (item, at, state, summary, details, "
	    "duration_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[DB_HEALTH_LOG_PRUNE] =
	    "DELETE FROM health_log WHERE at < ?1",
	/* The worst state of each quarter-hour since ?2 (slot, rank as in
	 * enum health_state). */
	[DB_HEALTH_STRIP] =
	    "SELECT (at - ?2) / ?3, max(CASE state WHEN 'na' THEN 1 "
	    "WHEN 'ok' THEN 2 WHEN 'warning' THEN 3 WHEN 'error' THEN 4 "
	    "ELSE 0 END) FROM health_log WHERE item = ?1 AND at >= ?2 "
	    "GROUP BY 1",
	[DB_JOB_NEWEST] =
	    "SELECT id, outcome, coalesce(ended_at, 0) FROM jobs "
	    "WHERE job = ?1 ORDER BY id DESC LIMIT 1",
	[DB_JOB_LAST] =
	    "SELECT outcome, started_at, coalesce(ended_at, 0), "
	    "coalesce(counts, ''), coalesce(error, '') FROM jobs "
	    "WHERE job = ?1 AND (?2 = 0 OR outcome = 'ok') "
	    "ORDER BY id DESC LIMIT 1",
	/* the migrations (lib/poller.c); the rows in progress, grouped as
	 * the poller reads them: by region, kind and task id */
	[DB_VMS_ACTIVE] =
	    "SELECT id, task_id, region, kind, aws_status, "
	    "coalesce(progress, -1), status_message, coalesce(image_id, ''), "
	    "coalesce(instance_id, ''), instance_state, "
	    "coalesce(last_seen, first_seen) FROM vms "
	    "WHERE state = 'active' ORDER BY region, kind, task_id",
	/* What a poll found (?9 NULL: not seen, last_seen kept); last_change
	 * moves only when ?10 says something changed. */
	[DB_VMS_POLLED] =
	    "UPDATE vms SET state = ?2, aws_status = ?3, progress = ?4, "
	    "status_message = ?5, image_id = ?6, instance_id = ?7, "
	    "instance_state = ?8, last_seen = coalesce(?9, last_seen), "
	    "last_change = CASE WHEN ?10 THEN ?11 ELSE last_change END "
	    "WHERE id = ?1 AND state = 'active'",
	[DB_VMS_SLOTS_USED] =
	    "SELECT count(*) FROM vms WHERE region = ?1 "
	    "AND state IN ('starting', 'active')",
	[DB_VMS_INSERT] =
	    "INSERT INTO vms (vm_moref, vm_name, region, kind, state, bucket, "
	    "object_key, format, description, client_token, first_seen, "
	    "last_change) VALUES (?1, ?2, ?3, 'image', ?4, ?5, ?6, ?7, ?8, ?9, "
	    "?10, ?10)",
	/* Take a slot for a queued import: one statement, so two starters
	 * never take the last slot twice. */
	[DB_VMS_CLAIM] =
	    "UPDATE vms SET state = 'starting' WHERE id = ?1 "
	    "AND state = 'queued' AND (SELECT count(*) FROM vms "
	    "WHERE region = ?2 AND state IN ('starting', 'active')) < ?3",
	[DB_VMS_STARTED] =
	    "UPDATE vms SET state = 'active', task_id = ?2, aws_status = ?3, "
	    "progress = ?4, status_message = ?5, last_seen = ?6, "
	    "last_change = ?6 WHERE id = ?1 AND state = 'starting'",
	[DB_VMS_REQUEUE] =
	    "UPDATE vms SET state = 'queued', status_message = ?2, "
	    "last_change = ?3 WHERE id = ?1 AND state = 'starting'",
	[DB_VMS_START_FAILED] =
	    "UPDATE vms SET state = 'failed', status_message = ?2, "
	    "last_change = ?3 WHERE id = ?1 AND state = 'starting'",
	[DB_VMS_DROP_UNSTARTED] =
	    "DELETE FROM vms WHERE id = ?1 AND task_id IS NULL "
	    "AND state IN ('queued', 'starting', 'failed')",
	/* Imports to start: those a killed starter left first, then the
	 * queue in the order it was filled. */
	[DB_VMS_TO_START] =
	    "SELECT id, region, bucket, object_key, format, description, "
	    "client_token, state FROM vms WHERE state IN ('starting', "
	    "'queued') ORDER BY state = 'queued', first_seen, id",
	[DB_VMS_QUEUED] =
	    "SELECT count(*) FROM vms WHERE state = 'queued'",
	[DB_VMS_TRACK] =
	    "INSERT INTO vms (vm_moref, vm_name, region, kind, task_id, state, "
	    "aws_status, progress, status_message, image_id, instance_id, "
	    "instance_state, first_seen, last_seen, last_change) VALUES (?1, "
	    "?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?13)",
	/* A row AWS no longer knew may be taken over by tracking again. */
	[DB_VMS_TASK_TRACKED] =
	    "SELECT 1 FROM vms WHERE task_id = ?1 AND state <> 'missing'",
	[DB_VMS_DROP_MISSING] =
	    "DELETE FROM vms WHERE task_id = ?1 AND state = 'missing'",
	[DB_VMS_COUNT] =
	    "SELECT count(*) FROM vms",
	/* The poller's last two runs, newest first. */
	[DB_POLLER_RUNS] =
	    "SELECT outcome, coalesce(ended_at, 0), coalesce(error, ''), "
	    "coalesce(note, '') FROM jobs WHERE job = ?1 "
	    "ORDER BY id DESC LIMIT 2",
	[DB_VMS_BY_NAME] = VMS_PAGE("vm_name ASC, id ASC"),
	[DB_VMS_BY_NAME_DESC] = VMS_PAGE("vm_name DESC, id DESC"),
	[DB_VMS_BY_STATE] = VMS_PAGE("state_order ASC, id ASC"),
	[DB_VMS_BY_STATE_DESC] = VMS_PAGE("state_order DESC, id DESC"),
	[DB_VMS_BY_PROGRESS] = VMS_PAGE("progress ASC, id ASC"),
	[DB_VMS_BY_PROGRESS_DESC] = VMS_PAGE("progress DESC, id DESC"),
	[DB_VMS_BY_RESULT] = VMS_PAGE("result ASC, id ASC"),
	[DB_VMS_BY_RESULT_DESC] = VMS_PAGE("result DESC, id DESC"),
	[DB_VMS_BY_CHANGE] = VMS_PAGE("last_change ASC, id ASC"),
	[DB_VMS_BY_CHANGE_DESC] = VMS_PAGE("last_change DESC, id DESC"),
	/* the authentication proxy (lib/authproxy.c) */
	[DB_AP_SIGNATURE_ONCE] =
	    "INSERT INTO authproxy_signatures (signature_hash, seen_at) "
	    "VALUES (?1, ?2) ON CONFLICT (signature_hash) DO NOTHING",
	/* One statement checks both limits and counts the attempt: exact
	 * under concurrency (it runs in BEGIN IMMEDIATE). */
	[DB_AP_ATTEMPT_BEGIN] =
	    "INSERT INTO authproxy_attempts (user_key, source, at) "
	    "SELECT ?1, ?2, ?3 WHERE (SELECT count(*) FROM authproxy_attempts "
	    "WHERE user_key = ?1 AND at > ?4) < ?5 AND (?2 = '' OR (SELECT "
	    "count(*) FROM authproxy_attempts WHERE source = ?2 AND at > ?4) "
	    "< ?6) "
	    "RETURNING id",
	[DB_AP_ATTEMPT_COUNTS] =
	    "SELECT (SELECT count(*) FROM authproxy_attempts WHERE "
	    "user_key = ?1 AND at > ?3), (SELECT count(*) FROM "
	    "authproxy_attempts WHERE source = ?2 AND at > ?3)",
	[DB_AP_ATTEMPT_DELETE] =
	    "DELETE FROM authproxy_attempts WHERE id = ?1",
	[DB_AP_ATTEMPTS_CLEAR_USER] =
	    "DELETE FROM authproxy_attempts WHERE user_key = ?1",
	[DB_AP_SIGNATURES_PRUNE] =
	    "DELETE FROM authproxy_signatures WHERE seen_at < ?1",
	[DB_AP_ATTEMPTS_PRUNE] =
	    "DELETE FROM authproxy_attempts WHERE at <= ?1",
	/* the Health Status pane, reading (lib/healthstate.c) */
	[DB_HEALTH_ROWS] =
	    "SELECT item, state, summary, coalesce(details, ''), checked_at, "
	    "since, duration_ms, strip FROM health",
	[DB_HEALTH_LOG] =
	    "SELECT at, state, summary, coalesce(details, ''), duration_ms "
	    "FROM health_log WHERE item = ?1 ORDER BY at DESC, id DESC "
	    "LIMIT ?2",
	/* When and how a secret was last sealed (never its value): changes
	 * with every store of it. */
	[DB_SECRET_STAMP] =
	    "SELECT updated_at, hex(nonce) FROM secrets WHERE name = ?1",
	/* A time kept as the later of the stored one and ?2, in one step. */
	[DB_SETTING_SET_MAX] =
	    "INSERT INTO settings (name, value) VALUES (?1, ?2) "
	    "ON CONFLICT (name) DO UPDATE SET value = CAST(max(CAST(value AS "
	    "INTEGER), CAST(excluded.value AS INTEGER)) AS TEXT)",
};

static sqlite3 *db;
static sqlite3_stmt *stmts[DB__MAX];

/* Open path (creating it 0600) with the connector's pragmas. */
int
db_open(const char *path)
{
	static const char pragmas[] =
	    "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = FULL;"
	    "PRAGMA foreign_keys = ON;"
	    "PRAGMA secure_delete = ON;";
	int rc, fd;

	if (db != NULL)
		return 0;
	/* Create it 0600 ourselves: SQLite would follow the umask, and the
	 * -wal and -shm files take the database file's permissions. */
	if ((fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600)) < 0) {
		log_err("cannot open database %s: %s", path, strerror(errno));
		return CONN_EDB;
	}
	close(fd);
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK) {
		log_err("cannot open database %s: %s", path,
		    db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		db_close();
		return CONN_EDB;
	}
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
		log_err("database %s: %s", path, sqlite3_errmsg(db));
		db_close();
		return CONN_EDB;
	}
	return 0;
}

void
db_close(void)
{
	for (int i = 0; i < DB__MAX; i++) {
		sqlite3_finalize(stmts[i]);
		stmts[i] = NULL;
	}
	sqlite3_close(db);
	db = NULL;
}

sqlite3 *
db_handle(void)
{
	return db;
}

/* The schema version recorded in the file, or a negative error. */
int
db_schema_version(void)
{
	sqlite3_stmt *st;
	int v = CONN_EDB;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL))
		return CONN_EDB;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/*
 * Apply every embedded migration newer than the file's user_version, all
 * in one IMMEDIATE transaction, so concurrent starters serialise and a
 * crash leaves the old schema.
 */
int
db_migrate(void)
{
	char setv[64];
	int cur, rc = CONN_EDB;
	size_t i;

	if (db_begin())
		return CONN_EDB;
	if ((cur = db_schema_version()) < 0)
		goto out;
	for (i = 0; i < db_nmigrations; i++) {
		const struct db_migration *m = &db_migrations[i];
		char *err = NULL;
		if (m->version <= cur)
			continue;
		if (sqlite3_exec(db, m->sql, NULL, NULL, &err) != SQLITE_OK) {
			log_err("migration %s failed: %s", m->name, err);
			sqlite3_free(err);
			goto out;
		}
		snprintf(setv, sizeof setv, "PRAGMA user_version = %d",
		    m->version);
		if (sqlite3_exec(db, setv, NULL, NULL, NULL) != SQLITE_OK)
			goto out;
		log_info("applied migration %s", m->name);
		cur = m->version;
	}
	rc = db_commit();
out:
	if (rc)
		db_rollback();
	return rc;
}

/*
 * The prepared statement id, reset and with no bindings.  The statement
 * belongs to this module; callers bind, step and leave it.
 */
sqlite3_stmt *
db_stmt(enum db_stmt_id id)
{
	if (stmts[id] == NULL) {
		if (sqlite3_prepare_v3(db, stmt_sql[id], -1,
		    SQLITE_PREPARE_PERSISTENT, &stmts[id], NULL) != SQLITE_OK) {
			log_err("statement %d: %s", (int)id, sqlite3_errmsg(db));
			return NULL;
		}
	} else {
		sqlite3_reset(stmts[id]);
		sqlite3_clear_bindings(stmts[id]);
	}
	return stmts[id];
}

int
db_begin(void)
{
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		log_err("begin: %s", sqlite3_errmsg(db));
		return CONN_EDB;
	}
	return 0;
}

int
db_commit(void)
{
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		log_err("commit: %s", sqlite3_errmsg(db));
		return CONN_EDB;
	}
	return 0;
}

void
db_rollback(void)
{
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

/*
 * End the transaction db_begin opened: commit when rc is 0, else (or when
 * the commit fails) roll back.  Returns rc, or the commit's code.
 */
int
db_end(int rc)
{
	if (rc == 0)
		rc = db_commit();
	if (rc != 0)
		db_rollback();
	return rc;
}

/* Read a setting into out; CONN_ENOTFOUND when unset. */
int
db_setting_get(const char *name, struct buf *out)
{
	sqlite3_stmt *st = db_stmt(DB_SETTING_GET);
	int rc;

	if (st == NULL)
		return CONN_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		rc = buf_adds(out, v ? v : "");
		sqlite3_reset(st);
		return rc;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? CONN_ENOTFOUND : CONN_EDB;
}

/*
 * Copy a setting into out ("" and CONN_ENOTFOUND when unset); CONN_ETOOBIG
 * (out "") when it does not fit in outlen.
 */
int
db_setting_copy(const char *name, char *out, size_t outlen)
{
	struct buf b = { 0 };
	int rc;

	out[0] = '\0';
	rc = db_setting_get(name, &b);
	if (rc == 0 && b.len >= outlen)
		rc = CONN_ETOOBIG;
	else if (rc == 0 && b.len)
		memcpy(out, b.data, b.len + 1);
	buf_free(&b);
	return rc;
}

static int
setting_put(enum db_stmt_id which, const char *name, const char *value)
{
	sqlite3_stmt *st = db_stmt(which);
	int rc;

	if (st == NULL)
		return CONN_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : CONN_EDB;
}

int
db_setting_set(const char *name, const char *value)
{
	return setting_put(DB_SETTING_SET, name, value);
}

/* Set a setting holding a number to value unless it already holds a
 * larger one, in one statement (two writers cannot move it back). */
int
db_setting_set_max(const char *name, const char *value)
{
	return setting_put(DB_SETTING_SET_MAX, name, value);
}

/* Remove a setting; 0 also when there was none. */
int
db_setting_delete(const char *name)
{
	sqlite3_stmt *st = db_stmt(DB_SETTING_DELETE);
	int rc;

	if (st == NULL)
		return CONN_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : CONN_EDB;
}

/*
 * Call cb with every setting except the registration wizard's draft, in one
 * read; cb's non-zero return stops the walk and is returned.  Returns 0,
 * cb's value or CONN_EDB.
 */
int
db_settings_each(int (*cb)(void *arg, const char *name, const char *value),
    void *arg)
{
	sqlite3_stmt *st = db_stmt(DB_SETTINGS_LIVE);
	int rc = 0, step;

	if (st == NULL)
		return CONN_EDB;
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW)
		rc = cb(arg, (const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1));
	if (rc == 0 && step != SQLITE_DONE)
		rc = CONN_EDB;
	sqlite3_reset(st);
	return rc;
}

/*
 * Remove every setting whose name starts with prefix (compared as plain
 * characters); the number removed, or a negative error.
 */
int
db_setting_delete_prefix(const char *prefix)
{
	sqlite3_stmt *st;
	int rc;

	if (prefix == NULL || *prefix == '\0')
		return CONN_EINVAL;
	if ((st = db_stmt(DB_SETTING_DELETE_PREFIX)) == NULL)
		return CONN_EDB;
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? sqlite3_changes(db) : CONN_EDB;
}
