/*
 * test-db.c — opening the state database, its pragmas, the migrations and
 * the settings table, in a temporary directory.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/core.h"
#include "../../lib/domain.h"
#include "unit.h"

static char dbpath[128];

/* The first column of the first row of sql as text into out, or -1. */
static int
query_text(const char *sql, char *out, size_t outlen)
{
	sqlite3_stmt *st;
	int rc = -1;

	if (sqlite3_prepare_v2(db_handle(), sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		snprintf(out, outlen, "%s", t ? (const char *)t : "");
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

/*
 * The highest NNN of the sql/NNN-*.sql files in the source tree (tests
 * run from the top directory), or -1.
 */
static int
last_migration_on_disk(void)
{
	struct dirent *de;
	DIR *d;
	int max = -1;

	if ((d = opendir("sql")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		char *end;
		long v = strtol(de->d_name, &end, 10);
		if (n > 4 && strcmp(de->d_name + n - 4, ".sql") == 0 &&
		    end != de->d_name && *end == '-' && v > max)
			max = (int)v;
	}
	closedir(d);
	return max;
}

/* Close the database and remove its files. */
static void
drop_db(void)
{
	db_close();
	unit_remove_db(dbpath);
}

/* A fresh, migrated database at dbpath. */
static int
fresh_db(void)
{
	drop_db();
	if (db_open(dbpath) != 0)
		return -1;
	return db_migrate();
}

TEST(open_creates_file)
{
	struct stat st;

	drop_db();
	CHECK(db_open(dbpath) == 0);
	CHECK(db_handle() != NULL);
	CHECK(stat(dbpath, &st) == 0 && S_ISREG(st.st_mode));
}

TEST(open_file_not_readable_by_others)
{
	char path[160];
	struct stat st;
	mode_t old;
	int rc;

	db_close();
	snprintf(path, sizeof path, "%s/mode.db", unit_tmp);
	old = umask(022);	/* as connector-setup runs */
	rc = db_open(path);
	umask(old);
	CHECK(rc == 0);
	CHECK(db_migrate() == 0);
	CHECK(stat(path, &st) == 0);
	db_close();
	CHECK((st.st_mode & 077) == 0);
}

TEST(open_bad_missing_directory)
{
	char path[160];

	db_close();
	snprintf(path, sizeof path, "%s/no/such/dir/state.db", unit_tmp);
	CHECK(db_open(path) == CONN_EDB);
	CHECK(db_handle() == NULL);
}

TEST(wal_mode_in_effect)
{
	char mode[32];

	CHECK(fresh_db() == 0);
	CHECK(query_text("PRAGMA journal_mode", mode, sizeof mode) == 0);
	CHECK(strcmp(mode, "wal") == 0);
}

TEST(synchronous_full_in_effect)
{
	CHECK(fresh_db() == 0);
	CHECK(unit_query_int("PRAGMA synchronous") == 2);
}

TEST(foreign_keys_on)
{
	CHECK(fresh_db() == 0);
	CHECK(unit_query_int("PRAGMA foreign_keys") == 1);
}

TEST(migrate_creates_schema)
{
	static const char *const tables[] = {
		"settings", "admin", "login_sources", "sessions",
	};
	char sql[160];

	CHECK(fresh_db() == 0);
	for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
		snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_schema "
		    "WHERE type = 'table' AND name = '%s'", tables[i]);
		CHECK(unit_query_int(sql) == 1);
	}
	CHECK(unit_query_int("SELECT count(*) FROM admin") == 1);
	CHECK(unit_query_int("SELECT password_hash IS NULL FROM admin") == 1);
	CHECK(unit_query_int("SELECT count(*) FROM sessions") == 0);
}

TEST(migrate_sets_user_version_to_last_migration)
{
	int last = last_migration_on_disk();

	CHECK(last > 0);
	CHECK(fresh_db() == 0);
	CHECK(db_schema_version() == last);
	CHECK(unit_query_int("PRAGMA user_version") == last);
}

TEST(fresh_file_has_version_zero)
{
	drop_db();
	CHECK(db_open(dbpath) == 0);
	CHECK(db_schema_version() == 0);
}

TEST(migrate_twice_is_noop)
{
	int v;

	CHECK(fresh_db() == 0);
	CHECK(db_setting_set("keep", "me") == 0);
	v = db_schema_version();
	CHECK(db_migrate() == 0);
	CHECK(db_schema_version() == v);
	CHECK(unit_query_int("SELECT count(*) FROM admin") == 1);
	CHECK(unit_query_int("SELECT count(*) FROM settings") == 1);
}

TEST(migrate_after_reopen_keeps_data)
{
	struct buf b = { 0 };
	int rc;

	CHECK(fresh_db() == 0);
	CHECK(db_setting_set("persist", "yes") == 0);
	db_close();
	CHECK(db_open(dbpath) == 0);
	CHECK(db_migrate() == 0);
	rc = db_setting_get("persist", &b);
	CHECK(rc == 0 && strcmp(b.data, "yes") == 0);
	buf_free(&b);
}

TEST(migrate_leaves_no_open_transaction)
{
	CHECK(fresh_db() == 0);
	CHECK(sqlite3_get_autocommit(db_handle()) != 0);
}

TEST(setting_bad_not_found)
{
	struct buf b = { 0 };

	CHECK(fresh_db() == 0);
	CHECK(db_setting_get("absent", &b) == CONN_ENOTFOUND);
	CHECK(b.len == 0);
	buf_free(&b);
}

TEST(setting_set_then_get)
{
	struct buf b = { 0 };
	int rc;

	CHECK(fresh_db() == 0);
	CHECK(db_setting_set("hostname", "vcenter.example.com") == 0);
	rc = db_setting_get("hostname", &b);
	CHECK(rc == 0);
	CHECK(strcmp(b.data, "vcenter.example.com") == 0);
	buf_free(&b);
}

TEST(setting_overwrite)
{
	struct buf b = { 0 };
	int rc;

	CHECK(fresh_db() == 0);
	CHECK(db_setting_set("k", "one") == 0);
	CHECK(db_setting_set("k", "two") == 0);
	rc = db_setting_get("k", &b);
	CHECK(rc == 0 && strcmp(b.data, "two") == 0);
	buf_free(&b);
	CHECK(unit_query_int("SELECT count(*) FROM settings WHERE name = 'k'") == 1);
}

TEST(setting_empty_value)
{
	struct buf b = { 0 };
	int rc;

	CHECK(fresh_db() == 0);
	CHECK(db_setting_set("empty", "") == 0);
	rc = db_setting_get("empty", &b);
	CHECK(rc == 0 && b.len == 0);
	buf_free(&b);
}

TEST(setting_names_distinct)
{
	struct buf b = { 0 };
	int rc;

	CHECK(fresh_db() == 0);
	CHECK(db_setting_set("a", "1") == 0);
	CHECK(db_setting_set("A", "2") == 0);
	rc = db_setting_get("a", &b);
	CHECK(rc == 0 && strcmp(b.data, "1") == 0);
	buf_free(&b);
	CHECK(db_setting_get("a ", &b) == CONN_ENOTFOUND);
	buf_free(&b);
}

TEST(setting_quotes_stored_verbatim)
{
	struct buf b = { 0 };
	int rc;

	CHECK(fresh_db() == 0);
	CHECK(db_setting_set("q", "it's \"quoted\"; DROP TABLE x;--") == 0);
	rc = db_setting_get("q", &b);
	CHECK(rc == 0 && strcmp(b.data, "it's \"quoted\"; DROP TABLE x;--") ==
	    0);
	buf_free(&b);
}

static int
count_setting(void *arg, const char *name, const char *value)
{
	int *n = arg;

	(*n)++;
	if (strncmp(name, "draft.", 6) == 0 || strcmp(value, "stop") == 0)
		return 7;
	return 0;
}

TEST(settings_each_skips_the_draft)
{
	int n = 0;

	CHECK(fresh_db() == 0);
	CHECK(db_setting_set("ip", "192.0.2.1") == 0);
	CHECK(db_setting_set("draft.vcenter.host", "vc") == 0);
	CHECK(db_setting_set("drafts", "x") == 0);
	CHECK(db_settings_each(count_setting, &n) == 0);
	CHECK(n == 2);
}

TEST(settings_each_stops_on_callback)
{
	int n = 0;

	CHECK(fresh_db() == 0);
	CHECK(db_setting_set("a", "stop") == 0);
	CHECK(db_setting_set("b", "go") == 0);
	CHECK(db_settings_each(count_setting, &n) == 7);
	CHECK(n == 1);
	n = 0;
	CHECK(db_setting_set("a", "go") == 0);
	CHECK(db_settings_each(count_setting, &n) == 0 && n == 2);
}

TEST(stmt_table_all_prepare)
{
	sqlite3_stmt *st;

	CHECK(fresh_db() == 0);
	/* The UserProvider's statements read its connection's staging table,
	 * made by the first of them. */
	CHECK((st = db_stmt(DB_USERS_STAGE_CREATE)) != NULL);
	CHECK(sqlite3_step(st) == SQLITE_DONE);
	sqlite3_reset(st);
	for (int i = 0; i < DB__MAX; i++)
		CHECK(db_stmt((enum db_stmt_id)i) != NULL);
}

TEST(begin_rollback_discards)
{
	struct buf b = { 0 };

	CHECK(fresh_db() == 0);
	CHECK(db_begin() == 0);
	CHECK(db_setting_set("tx", "1") == 0);
	db_rollback();
	CHECK(db_setting_get("tx", &b) == CONN_ENOTFOUND);
	buf_free(&b);
}

TEST(begin_commit_keeps)
{
	struct buf b = { 0 };
	int rc;

	CHECK(fresh_db() == 0);
	CHECK(db_begin() == 0);
	CHECK(db_setting_set("tx", "1") == 0);
	CHECK(db_commit() == 0);
	rc = db_setting_get("tx", &b);
	CHECK(rc == 0 && strcmp(b.data, "1") == 0);
	buf_free(&b);
}

int
main(void)
{
	if (unit_tmpdir("test-db") != 0)
		return 1;
	snprintf(dbpath, sizeof dbpath, "%s/state.db", unit_tmp);
	RUN(open_creates_file);
	RUN(open_file_not_readable_by_others);
	RUN(open_bad_missing_directory);
	RUN(wal_mode_in_effect);
	RUN(synchronous_full_in_effect);
	RUN(foreign_keys_on);
	RUN(migrate_creates_schema);
	RUN(migrate_sets_user_version_to_last_migration);
	RUN(fresh_file_has_version_zero);
	RUN(migrate_twice_is_noop);
	RUN(migrate_after_reopen_keeps_data);
	RUN(migrate_leaves_no_open_transaction);
	RUN(setting_bad_not_found);
	RUN(setting_set_then_get);
	RUN(setting_overwrite);
	RUN(setting_empty_value);
	RUN(setting_names_distinct);
	RUN(setting_quotes_stored_verbatim);
	RUN(settings_each_skips_the_draft);
	RUN(settings_each_stops_on_callback);
	RUN(stmt_table_all_prepare);
	RUN(begin_rollback_discards);
	RUN(begin_commit_keeps);
	db_close();
	unit_rm_rf(unit_tmp);
	UNIT_EXIT();
}
