/*
 * test-secret.c — the encrypted credential store (lib/secret.c): sealing
 * and opening, what it refuses, what a changed row or key file does, the
 * key file's modes, rotation and recovery, and the settings deletions that
 * go with it, each on a fresh store under a temporary root.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../lib/core.h"
#include "../../lib/domain.h"
#include "unit.h"

static char share[PATH_MAX];

/* An empty, migrated store: no key, no secrets. */
static int
fresh_store(void)
{
	return unit_fresh_store();
}

/* A fresh store with its key made. */
static int
keyed_store(void)
{
	if (fresh_store() != 0)
		return -1;
	return secret_ensure_key();
}

static int
exec_sql(const char *sql)
{
	return sqlite3_exec(db_handle(), sql, NULL, NULL, NULL) == SQLITE_OK ?
	    0 : -1;
}

/* Column col (a blob) of secret name into b: 0 or -1. */
static int
row_blob(const char *name, const char *col, struct buf *b)
{
	char sql[128];
	sqlite3_stmt *st;
	int rc = -1;

	buf_reset(b);
	snprintf(sql, sizeof sql, "SELECT %s FROM secrets WHERE name = ?1", col);
	if (sqlite3_prepare_v2(db_handle(), sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    buf_add(b, sqlite3_column_blob(st, 0),
	    (size_t)sqlite3_column_bytes(st, 0)) == 0)
		rc = 0;
	sqlite3_finalize(st);
	return rc;
}

/* Store b as column col of secret name: 0 or -1. */
static int
set_row_blob(const char *name, const char *col, const struct buf *b)
{
	char sql[128];
	sqlite3_stmt *st;
	int rc;

	snprintf(sql, sizeof sql, "UPDATE secrets SET %s = ?2 WHERE name = ?1",
	    col);
	if (sqlite3_prepare_v2(db_handle(), sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, b->data, (int)b->len, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
	sqlite3_finalize(st);
	return rc;
}

/* The file of key id into out. */
static void
key_file(const char *id, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/%s.key", paths_get(PATH_KEYS), id);
}

/* The file of the key in use into out: 0 or -1. */
static int
current_key_file(char *out, size_t outlen)
{
	char id[SECRET_KEY_ID_LEN + 1];

	if (secret_current_key(id, NULL) != 0)
		return -1;
	key_file(id, out, outlen);
	return 0;
}

/* 1 when path exists. */
static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* 1 when secret name reads back as exactly v[0..len). */
static int
reads_as(const char *name, const void *v, size_t len)
{
	struct buf b = { 0 };
	int ok;

	ok = secret_get(name, &b) == 0 && b.len == len &&
	    (len == 0 || memcmp(b.data, v, len) == 0);
	buf_free(&b);
	return ok;
}

/* 1 when hay[0..n) contains needle. */
static int
contains(const struct buf *hay, const char *needle)
{
	return hay->len && memmem(hay->data, hay->len, needle,
	    strlen(needle)) != NULL;
}

TEST(ensure_key_creates_one_key)
{
	char path[PATH_MAX];

	CHECK(fresh_store() == 0);
	CHECK(secret_current_key((char[SECRET_KEY_ID_LEN + 1]){ 0 }, NULL) ==
	    CONN_ENOTFOUND);
	CHECK(secret_ensure_key() == 0);
	CHECK(current_key_file(path, sizeof path) == 0);
	CHECK(exists(path));
	CHECK(util_count_entries(paths_get(PATH_KEYS)) == 1);
}

TEST(ensure_key_twice_keeps_the_key)
{
	char a[SECRET_KEY_ID_LEN + 1], b[SECRET_KEY_ID_LEN + 1];

	CHECK(keyed_store() == 0);
	CHECK(secret_current_key(a, NULL) == 0);
	CHECK(secret_ensure_key() == 0);
	CHECK(secret_current_key(b, NULL) == 0);
	CHECK(strcmp(a, b) == 0);
	CHECK(util_count_entries(paths_get(PATH_KEYS)) == 1);
}

/* Eight processes released at once all ensure the key: one key results. */
TEST(ensure_key_concurrent_workers_make_one_key)
{
	char path[PATH_MAX];
	int go[2], status, ok = 1;
	pid_t pids[8];

	CHECK(fresh_store() == 0);
	db_close();
	CHECK(pipe(go) == 0);
	for (int i = 0; i < 8; i++) {
		if ((pids[i] = fork()) == 0) {
			char c;
			int rc;
			close(go[1]);
			if (read(go[0], &c, 1) < 0)
				_exit(3);
			rc = db_open(paths_get(PATH_DB)) == 0 &&
			    secret_ensure_key() == 0;
			db_close();
			_exit(rc ? 0 : 1);
		}
		CHECK(pids[i] > 0);
	}
	close(go[0]);
	close(go[1]);
	for (int i = 0; i < 8; i++)
		if (waitpid(pids[i], &status, 0) != pids[i] ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			ok = 0;
	CHECK(db_open(paths_get(PATH_DB)) == 0);
	CHECK(ok);
	CHECK(util_count_entries(paths_get(PATH_KEYS)) == 1);
	CHECK(current_key_file(path, sizeof path) == 0 && exists(path));
}

TEST(current_key_reports_id_and_time)
{
	char id[SECRET_KEY_ID_LEN + 1];
	time_t before = time(NULL), created = 0;

	CHECK(keyed_store() == 0);
	CHECK(secret_current_key(id, &created) == 0);
	CHECK(strlen(id) == SECRET_KEY_ID_LEN);
	CHECK(strspn(id, "0123456789abcdef") == SECRET_KEY_ID_LEN);
	CHECK(created >= before && created <= time(NULL));
}

TEST(put_without_key_makes_one)
{
	CHECK(fresh_store() == 0);
	CHECK(secret_put("vcenter.password", "pw", 2) == 0);
	CHECK(util_count_entries(paths_get(PATH_KEYS)) == 1);
	CHECK(reads_as("vcenter.password", "pw", 2));
}

TEST(put_get_round_trip)
{
	static const char v[] = "correct horse battery staple";

	CHECK(keyed_store() == 0);
	CHECK(secret_put("aws.secret_key", v, strlen(v)) == 0);
	CHECK(reads_as("aws.secret_key", v, strlen(v)));
}

TEST(put_replaces_value)
{
	CHECK(keyed_store() == 0);
	CHECK(secret_put("proxy.password", "old", 3) == 0);
	CHECK(secret_put("proxy.password", "newer", 5) == 0);
	CHECK(reads_as("proxy.password", "newer", 5));
	CHECK(secret_count() == 1);
}

TEST(get_appends_to_buffer)
{
	struct buf b = { 0 };
	int ok;

	CHECK(keyed_store() == 0);
	CHECK(secret_put("a", "xyz", 3) == 0);
	CHECK(buf_adds(&b, "pre:") == 0);
	ok = secret_get("a", &b) == 0 && b.len == 7 &&
	    memcmp(b.data, "pre:xyz", 7) == 0;
	buf_free(&b);
	CHECK(ok);
}

TEST(empty_value_round_trip)
{
	struct buf b = { 0 };
	int rc;

	CHECK(keyed_store() == 0);
	CHECK(secret_put("empty", "", 0) == 0);
	CHECK(secret_put("empty2", NULL, 0) == 0);
	rc = secret_get("empty", &b);
	buf_free(&b);
	CHECK(rc == 0 && b.len == 0);
	CHECK(reads_as("empty2", "", 0));
}

TEST(max_value_round_trip)
{
	static unsigned char v[SECRET_VALUE_MAX];

	for (size_t i = 0; i < sizeof v; i++)
		v[i] = (unsigned char)(i * 31 + 7);	/* NULs included */
	CHECK(keyed_store() == 0);
	CHECK(secret_put("big", v, sizeof v) == 0);
	CHECK(reads_as("big", v, sizeof v));
}

TEST(put_bad_oversize_refused)
{
	static unsigned char v[SECRET_VALUE_MAX + 1];

	CHECK(keyed_store() == 0);
	CHECK(secret_put("big", v, sizeof v) == CONN_ETOOBIG);
	CHECK(secret_exists("big") == 0);
}

TEST(put_bad_names_refused)
{
	static const char *const bad[] = {
		"", "A", "Vcenter.password", "a/b", "../x", "a b", "a\nb",
		"caf\xc3\xa9", "a:b", "a%", "a*",
	};
	char longer[SECRET_NAME_MAX + 2];

	memset(longer, 'x', SECRET_NAME_MAX + 1);
	longer[SECRET_NAME_MAX + 1] = '\0';
	CHECK(keyed_store() == 0);
	CHECK(secret_put(NULL, "v", 1) == CONN_EINVAL);
	CHECK(secret_put(longer, "v", 1) == CONN_EINVAL);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(secret_put(bad[i], "v", 1) == CONN_EINVAL);
	CHECK(secret_count() == 0);
}

TEST(put_name_of_64_characters_accepted)
{
	char name[SECRET_NAME_MAX + 1];

	memset(name, 'x', SECRET_NAME_MAX);
	memcpy(name + SECRET_NAME_MAX - 5, "0.-_9", 5);
	name[SECRET_NAME_MAX] = '\0';
	CHECK(keyed_store() == 0);
	CHECK(secret_put(name, "v", 1) == 0);
	CHECK(reads_as(name, "v", 1));
}

TEST(get_bad_name_refused)
{
	struct buf b = { 0 };

	CHECK(keyed_store() == 0);
	CHECK(secret_get("../etc", &b) == CONN_EINVAL);
	CHECK(secret_get("", &b) == CONN_EINVAL);
	CHECK(b.len == 0);
}

TEST(get_bad_missing_not_found)
{
	struct buf b = { 0 };

	CHECK(keyed_store() == 0);
	CHECK(secret_get("nothing.here", &b) == CONN_ENOTFOUND);
	CHECK(b.len == 0);
	CHECK(secret_exists("nothing.here") == 0);
}

TEST(same_value_twice_seals_differently)
{
	struct buf n1 = { 0 }, n2 = { 0 }, s1 = { 0 }, s2 = { 0 };
	int ok;

	CHECK(keyed_store() == 0);
	CHECK(secret_put("a", "same value", 10) == 0);
	CHECK(row_blob("a", "nonce", &n1) == 0 && row_blob("a", "sealed", &s1) == 0);
	CHECK(secret_put("a", "same value", 10) == 0);
	CHECK(row_blob("a", "nonce", &n2) == 0 && row_blob("a", "sealed", &s2) == 0);
	ok = n1.len == 12 && n2.len == 12 && memcmp(n1.data, n2.data, 12) != 0 &&
	    s1.len == 10 + 16 && s2.len == s1.len &&
	    memcmp(s1.data, s2.data, s1.len) != 0;
	buf_free(&n1);
	buf_free(&n2);
	buf_free(&s1);
	buf_free(&s2);
	CHECK(ok);
}

TEST(get_bad_flipped_sealed_byte)
{
	struct buf b = { 0 };
	int rc;

	CHECK(keyed_store() == 0);
	CHECK(secret_put("a", "some credential", 15) == 0);
	CHECK(row_blob("a", "sealed", &b) == 0 && b.len > 3);
	b.data[3] ^= 0x01;
	rc = set_row_blob("a", "sealed", &b);
	buf_reset(&b);
	CHECK(rc == 0);
	rc = secret_get("a", &b);
	buf_free(&b);
	CHECK(rc == CONN_ECRYPTO);
	CHECK(b.len == 0);
}

TEST(get_bad_flipped_tag_byte)
{
	struct buf b = { 0 };
	int rc;

	CHECK(keyed_store() == 0);
	CHECK(secret_put("a", "", 0) == 0);
	CHECK(row_blob("a", "sealed", &b) == 0 && b.len == 16);
	b.data[15] ^= 0x80;
	rc = set_row_blob("a", "sealed", &b);
	buf_reset(&b);
	CHECK(rc == 0);
	rc = secret_get("a", &b);
	buf_free(&b);
	CHECK(rc == CONN_ECRYPTO);
}

TEST(get_bad_changed_nonce)
{
	struct buf b = { 0 };
	int rc;

	CHECK(keyed_store() == 0);
	CHECK(secret_put("a", "some credential", 15) == 0);
	CHECK(row_blob("a", "nonce", &b) == 0 && b.len == 12);
	b.data[0] ^= 0x01;
	rc = set_row_blob("a", "nonce", &b);
	buf_free(&b);
	CHECK(rc == 0);
	CHECK(secret_get("a", &b) == CONN_ECRYPTO);
}

TEST(get_bad_truncated_row)
{
	struct buf b = { 0 };
	int rc;

	CHECK(keyed_store() == 0);
	CHECK(secret_put("a", "some credential", 15) == 0);
	CHECK(buf_add(&b, "short", 5) == 0);
	rc = set_row_blob("a", "sealed", &b);
	buf_free(&b);
	CHECK(rc == 0);
	CHECK(secret_get("a", &b) == CONN_ECRYPTO);
}

/* A row moved to another name does not open there. */
TEST(get_bad_renamed_row)
{
	struct buf b = { 0 };

	CHECK(keyed_store() == 0);
	CHECK(secret_put("vcenter.password", "pw-one", 6) == 0);
	CHECK(exec_sql("UPDATE secrets SET name = 'proxy.password' "
	    "WHERE name = 'vcenter.password'") == 0);
	CHECK(secret_get("proxy.password", &b) == CONN_ECRYPTO);
	CHECK(b.len == 0);
}

/* A row re-labelled to another key id with the same key bytes fails: the
 * key id is part of the associated data. */
TEST(get_bad_relabelled_key_id)
{
	char path[PATH_MAX], other[PATH_MAX];
	struct buf k = { 0 };
	int rc;

	CHECK(keyed_store() == 0);
	CHECK(secret_put("a", "value", 5) == 0);
	CHECK(current_key_file(path, sizeof path) == 0);
	CHECK(unit_read_file(path, &k) == 0 && k.len == SECRET_KEY_BYTES);
	key_file("0123456789abcdef", other, sizeof other);
	rc = util_write_file_atomic(other, k.data, k.len, 0600);
	buf_free(&k);
	CHECK(rc == 0);
	CHECK(exec_sql("UPDATE secrets SET key_id = '0123456789abcdef'") == 0);
	CHECK(secret_get("a", &k) == CONN_ECRYPTO);
}

TEST(get_bad_wrong_key_content)
{
	unsigned char other[SECRET_KEY_BYTES];
	char path[PATH_MAX];
	struct buf b = { 0 };

	memset(other, 0x5a, sizeof other);
	CHECK(keyed_store() == 0);
	CHECK(secret_put("a", "value", 5) == 0);
	CHECK(current_key_file(path, sizeof path) == 0);
	CHECK(util_write_file_atomic(path, other, sizeof other, 0600) == 0);
	CHECK(secret_get("a", &b) == CONN_ECRYPTO);
	CHECK(b.len == 0);
}

TEST(get_bad_short_key_file)
{
	char path[PATH_MAX];
	struct buf b = { 0 };

	CHECK(keyed_store() == 0);
	CHECK(secret_put("a", "value", 5) == 0);
	CHECK(current_key_file(path, sizeof path) == 0);
	CHECK(util_write_file_atomic(path, "short", 5, 0600) == 0);
	CHECK(secret_get("a", &b) == CONN_ECRYPTO);
	CHECK(secret_put("b", "value", 5) == CONN_ECRYPTO);
}

TEST(get_bad_missing_key_file)
{
	char path[PATH_MAX];
	struct buf b = { 0 };

	CHECK(keyed_store() == 0);
	CHECK(secret_put("a", "value", 5) == 0);
	CHECK(current_key_file(path, sizeof path) == 0);
	CHECK(unlink(path) == 0);
	CHECK(secret_get("a", &b) == CONN_ECRYPTO);
	CHECK(secret_exists("a") == 1);
}

TEST(key_file_and_dir_modes)
{
	char path[PATH_MAX];
	struct stat st;
	mode_t old;
	int rc;

	CHECK(fresh_store() == 0);
	old = umask(0);		/* the modes must not come from the umask */
	rc = secret_ensure_key();
	umask(old);
	CHECK(rc == 0);
	CHECK(current_key_file(path, sizeof path) == 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600);
	CHECK(stat(paths_get(PATH_KEYS), &st) == 0 &&
	    (st.st_mode & 07777) == 0700);
}

TEST(key_dir_open_to_others_tightened)
{
	struct stat st;

	CHECK(fresh_store() == 0);
	CHECK(mkdir(paths_get(PATH_KEYS), 0700) == 0);
	CHECK(chmod(paths_get(PATH_KEYS), 0755) == 0);
	CHECK(secret_ensure_key() == 0);
	CHECK(stat(paths_get(PATH_KEYS), &st) == 0 &&
	    (st.st_mode & 07777) == 0700);
}

/* The plaintext is nowhere in the database files; a setting, stored in
 * clear, is found by the same search. */
TEST(database_holds_no_plaintext)
{
	static const char secret[] = "PLAINTEXT-MARKER-d41d8cd98f00b204e98";
	static const char clear[] = "CLEARTEXT-MARKER-5eb63bbbe01eeed093c";
	char path[PATH_MAX];
	struct buf db = { 0 }, wal = { 0 };
	int found_secret, found_clear;

	CHECK(keyed_store() == 0);
	CHECK(secret_put("vcenter.password", secret, strlen(secret)) == 0);
	CHECK(db_setting_set("probe", clear) == 0);
	CHECK(unit_read_file(paths_get(PATH_DB), &db) == 0);
	snprintf(path, sizeof path, "%s-wal", paths_get(PATH_DB));
	CHECK(unit_read_file(path, &wal) == 0);
	found_secret = contains(&db, secret) || contains(&wal, secret);
	found_clear = contains(&db, clear) || contains(&wal, clear);
	buf_free(&db);
	buf_free(&wal);
	CHECK(found_clear);
	CHECK(!found_secret);
}

TEST(rotate_reencrypts_all)
{
	char before[SECRET_KEY_ID_LEN + 1], after[SECRET_KEY_ID_LEN + 1];
	char oldpath[PATH_MAX], sql[128];
	struct buf s1 = { 0 }, s2 = { 0 };
	int changed;

	CHECK(keyed_store() == 0);
	CHECK(secret_put("a", "alpha", 5) == 0);
	CHECK(secret_put("b", "", 0) == 0);
	CHECK(secret_put("c", "gamma-value", 11) == 0);
	CHECK(secret_current_key(before, NULL) == 0);
	key_file(before, oldpath, sizeof oldpath);
	CHECK(row_blob("a", "sealed", &s1) == 0);
	CHECK(secret_rotate(after) == 0);
	CHECK(row_blob("a", "sealed", &s2) == 0);
	changed = s1.len == s2.len && memcmp(s1.data, s2.data, s1.len) != 0;
	buf_free(&s1);
	buf_free(&s2);
	CHECK(changed);
	CHECK(strcmp(before, after) != 0);
	CHECK(secret_current_key(before, NULL) == 0 && strcmp(before, after) == 0);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM secrets WHERE "
	    "key_id <> '%s'", after);
	CHECK(unit_query_int(sql) == 0);
	CHECK(reads_as("a", "alpha", 5));
	CHECK(reads_as("b", "", 0));
	CHECK(reads_as("c", "gamma-value", 11));
	CHECK(!exists(oldpath));
	CHECK(util_count_entries(paths_get(PATH_KEYS)) == 1);
}

/*
 * A reader in one process while another rotates again and again: every
 * read succeeds (a key file removed by a rotation that committed after the
 * row was read is met by reading the row again).
 */
TEST(get_during_rotations_never_fails)
{
	struct buf b = { 0 };
	int status, reads = 0, failures = 0;
	pid_t pid;

	CHECK(keyed_store() == 0);
	CHECK(secret_put("a", "alpha", 5) == 0);
	db_close();
	if ((pid = fork()) == 0) {
		int rc = db_open(paths_get(PATH_DB)) != 0;
		for (int i = 0; i < 100 && rc == 0; i++)
			rc = secret_rotate(NULL);
		db_close();
		_exit(rc ? 1 : 0);
	}
	CHECK(pid > 0);
	CHECK(db_open(paths_get(PATH_DB)) == 0);
	while (waitpid(pid, &status, WNOHANG) == 0) {
		buf_reset(&b);
		if (secret_get("a", &b) != 0 || b.len != 5 ||
		    memcmp(b.data, "alpha", 5) != 0)
			failures++;
		reads++;
	}
	buf_free(&b);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(reads > 0);
	CHECK(failures == 0);
	CHECK(util_count_entries(paths_get(PATH_KEYS)) == 1);
}

TEST(rotate_twice_keeps_values)
{
	CHECK(keyed_store() == 0);
	CHECK(secret_put("a", "alpha", 5) == 0);
	CHECK(secret_rotate(NULL) == 0);
	CHECK(secret_rotate(NULL) == 0);
	CHECK(reads_as("a", "alpha", 5));
	CHECK(util_count_entries(paths_get(PATH_KEYS)) == 1);
}

TEST(rotate_bad_inside_transaction)
{
	char before[SECRET_KEY_ID_LEN + 1], after[SECRET_KEY_ID_LEN + 1];
	int rc;

	CHECK(keyed_store() == 0);
	CHECK(secret_current_key(before, NULL) == 0);
	CHECK(db_begin() == 0);
	rc = secret_rotate(NULL);
	db_rollback();
	CHECK(rc == CONN_EINVAL);
	CHECK(secret_current_key(after, NULL) == 0 && strcmp(before, after) == 0);
	CHECK(util_count_entries(paths_get(PATH_KEYS)) == 1);
}

/* A secret that does not open stops the rotation; nothing changes. */
TEST(rotate_bad_tampered_secret_changes_nothing)
{
	char before[SECRET_KEY_ID_LEN + 1], after[SECRET_KEY_ID_LEN + 1];

	CHECK(keyed_store() == 0);
	CHECK(secret_put("a", "alpha", 5) == 0);
	CHECK(secret_put("b", "beta", 4) == 0);
	CHECK(exec_sql("UPDATE secrets SET name = 'c' WHERE name = 'b'") == 0);
	CHECK(secret_current_key(before, NULL) == 0);
	CHECK(secret_rotate(NULL) == CONN_ECRYPTO);
	CHECK(secret_current_key(after, NULL) == 0 && strcmp(before, after) == 0);
	CHECK(reads_as("a", "alpha", 5));
	CHECK(util_count_entries(paths_get(PATH_KEYS)) == 1);
}

TEST(put_in_rolled_back_transaction_leaves_nothing)
{
	CHECK(keyed_store() == 0);
	CHECK(db_begin() == 0);
	CHECK(secret_put("draft.vcenter.password", "pw", 2) == 0);
	CHECK(secret_put("draft.aws.secret_key", "sk", 2) == 0);
	CHECK(db_setting_set("draft.vcenter.host", "vc.example") == 0);
	db_rollback();
	CHECK(secret_exists("draft.vcenter.password") == 0);
	CHECK(secret_exists("draft.aws.secret_key") == 0);
	CHECK(secret_count() == 0);
}

TEST(put_in_committed_transaction_kept)
{
	struct buf b = { 0 };
	int rc;

	CHECK(keyed_store() == 0);
	CHECK(db_begin() == 0);
	CHECK(secret_put("vcenter.password", "pw", 2) == 0);
	CHECK(secret_put("aws.secret_key", "sk", 2) == 0);
	CHECK(db_setting_set("vcenter.host", "vc.example") == 0);
	CHECK(db_commit() == 0);
	CHECK(reads_as("vcenter.password", "pw", 2));
	CHECK(reads_as("aws.secret_key", "sk", 2));
	rc = db_setting_get("vcenter.host", &b);
	buf_free(&b);
	CHECK(rc == 0);
}

/* A read-only transaction cannot hold the key id still: refused. */
TEST(put_bad_in_read_transaction)
{
	int rc;

	CHECK(keyed_store() == 0);
	CHECK(exec_sql("BEGIN") == 0);
	CHECK(unit_query_int("SELECT count(*) FROM secrets") == 0);
	rc = secret_put("a", "v", 1);
	db_rollback();
	CHECK(rc == CONN_EINVAL);
	CHECK(secret_exists("a") == 0);
}

TEST(recover_removes_orphan_and_temp_keeps_current)
{
	unsigned char k[SECRET_KEY_BYTES] = { 1 };
	char cur[PATH_MAX], orphan[PATH_MAX];
	char tmp[PATH_MAX + 16], foreign[PATH_MAX + 16];

	CHECK(keyed_store() == 0);
	CHECK(secret_put("a", "alpha", 5) == 0);
	CHECK(current_key_file(cur, sizeof cur) == 0);
	key_file("00000000000000aa", orphan, sizeof orphan);
	CHECK(util_write_file_atomic(orphan, k, sizeof k, 0600) == 0);
	snprintf(tmp, sizeof tmp, "%s.tmp.4242", orphan);
	CHECK(util_write_file_atomic(tmp, k, 3, 0600) == 0);
	snprintf(foreign, sizeof foreign, "%s.tmp.77", cur);
	CHECK(util_write_file_atomic(foreign, k, 3, 0600) == 0);
	CHECK(util_count_entries(paths_get(PATH_KEYS)) == 4);
	CHECK(secret_recover() == 0);
	CHECK(!exists(orphan));
	CHECK(!exists(tmp));
	CHECK(!exists(foreign));
	CHECK(exists(cur));
	CHECK(util_count_entries(paths_get(PATH_KEYS)) == 1);
	CHECK(reads_as("a", "alpha", 5));
}

/* A key file a secret still names stays, even when it is not in use. */
TEST(recover_keeps_key_a_secret_names)
{
	unsigned char k[SECRET_KEY_BYTES] = { 2 };
	char first[PATH_MAX], second[PATH_MAX];

	CHECK(keyed_store() == 0);
	CHECK(secret_put("a", "alpha", 5) == 0);
	CHECK(current_key_file(first, sizeof first) == 0);
	key_file("00000000000000bb", second, sizeof second);
	CHECK(util_write_file_atomic(second, k, sizeof k, 0600) == 0);
	CHECK(exec_sql("UPDATE secret_key SET key_id = '00000000000000bb'") == 0);
	CHECK(secret_recover() == 0);
	CHECK(exists(first));
	CHECK(exists(second));
	CHECK(reads_as("a", "alpha", 5));
}

/* When the key in use has no file, recovery keeps every other key file. */
TEST(recover_bad_key_in_use_missing)
{
	unsigned char k[SECRET_KEY_BYTES] = { 3 };
	char cur[PATH_MAX], other[PATH_MAX];

	CHECK(keyed_store() == 0);
	CHECK(current_key_file(cur, sizeof cur) == 0);
	key_file("00000000000000cc", other, sizeof other);
	CHECK(util_write_file_atomic(other, k, sizeof k, 0600) == 0);
	CHECK(unlink(cur) == 0);
	CHECK(secret_recover() == CONN_ENOTFOUND);
	CHECK(exists(other));
}

TEST(recover_on_empty_store)
{
	CHECK(fresh_store() == 0);
	CHECK(secret_recover() == 0);
	CHECK(secret_ensure_key() == 0);
	CHECK(secret_recover() == 0);
	CHECK(util_count_entries(paths_get(PATH_KEYS)) == 1);
}

/*
 * What a rotation killed part-way leaves: a process that holds the write
 * lock, has written the new key file (durably) and dies by SIGKILL before
 * it commits.  0 when the child died that way.
 */
static int
killed_rotation(const char *new_id)
{
	unsigned char k[SECRET_KEY_BYTES] = { 9 };
	char path[PATH_MAX];
	int status;
	pid_t pid;

	key_file(new_id, path, sizeof path);
	db_close();
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		if (db_open(paths_get(PATH_DB)) != 0 || db_begin() != 0 ||
		    util_write_file_atomic(path, k, sizeof k, 0600) != 0)
			_exit(1);
		raise(SIGKILL);
		_exit(1);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFSIGNALED(status) ||
	    WTERMSIG(status) != SIGKILL)
		return -1;
	return db_open(paths_get(PATH_DB));
}

/* The key file a killed rotation left goes at the next recovery, counted. */
TEST(recover_removes_key_file_of_killed_rotation)
{
	char cur[PATH_MAX], left[PATH_MAX];
	size_t removed = 99;

	CHECK(keyed_store() == 0);
	CHECK(secret_put("a", "alpha", 5) == 0);
	CHECK(current_key_file(cur, sizeof cur) == 0);
	CHECK(killed_rotation("00000000000000dd") == 0);
	key_file("00000000000000dd", left, sizeof left);
	CHECK(exists(left));
	CHECK(secret_recover_count(&removed) == 0);
	CHECK(removed == 1);
	CHECK(!exists(left));
	CHECK(exists(cur));
	CHECK(util_count_entries(paths_get(PATH_KEYS)) == 1);
	CHECK(reads_as("a", "alpha", 5));
}

/* With nothing left over, recovery removes nothing and says so. */
TEST(recover_count_zero_when_nothing_left)
{
	size_t removed = 99;

	CHECK(keyed_store() == 0);
	CHECK(secret_put("a", "alpha", 5) == 0);
	CHECK(secret_recover_count(&removed) == 0);
	CHECK(removed == 0);
	CHECK(util_count_entries(paths_get(PATH_KEYS)) == 1);
}

/* A key file some secret still names is not counted nor removed. */
TEST(recover_count_bad_named_key_kept)
{
	unsigned char k[SECRET_KEY_BYTES] = { 4 };
	char first[PATH_MAX], second[PATH_MAX];
	size_t removed = 99;

	CHECK(keyed_store() == 0);
	CHECK(secret_put("a", "alpha", 5) == 0);
	CHECK(current_key_file(first, sizeof first) == 0);
	key_file("00000000000000ee", second, sizeof second);
	CHECK(util_write_file_atomic(second, k, sizeof k, 0600) == 0);
	CHECK(exec_sql("UPDATE secret_key SET key_id = '00000000000000ee'") == 0);
	CHECK(secret_recover_count(&removed) == 0);
	CHECK(removed == 0);
	CHECK(exists(first) && exists(second));
}

TEST(delete_removes_one)
{
	CHECK(keyed_store() == 0);
	CHECK(secret_put("a", "alpha", 5) == 0);
	CHECK(secret_put("b", "beta", 4) == 0);
	CHECK(secret_delete("a") == 0);
	CHECK(secret_exists("a") == 0);
	CHECK(secret_exists("b") == 1);
	CHECK(secret_delete("a") == 0);		/* already gone: still 0 */
	CHECK(secret_count() == 1);
}

TEST(delete_bad_name_refused)
{
	CHECK(keyed_store() == 0);
	CHECK(secret_put("a", "alpha", 5) == 0);
	CHECK(secret_delete("A") == CONN_EINVAL);
	CHECK(secret_delete("") == CONN_EINVAL);
	CHECK(secret_count() == 1);
}

TEST(delete_prefix_removes_only_prefixed)
{
	CHECK(keyed_store() == 0);
	CHECK(secret_put("draft.vcenter.password", "1", 1) == 0);
	CHECK(secret_put("draft.aws.secret_key", "2", 1) == 0);
	CHECK(secret_put("draft", "3", 1) == 0);
	CHECK(secret_put("drafts.x", "4", 1) == 0);
	CHECK(secret_put("xdraft.a", "5", 1) == 0);
	CHECK(secret_delete_prefix("draft.") == 2);
	CHECK(secret_exists("draft.vcenter.password") == 0);
	CHECK(secret_exists("draft.aws.secret_key") == 0);
	CHECK(secret_exists("draft") == 1);
	CHECK(secret_exists("drafts.x") == 1);
	CHECK(secret_exists("xdraft.a") == 1);
	CHECK(secret_delete_prefix("draft.") == 0);
}

/* '_' is a plain character in a prefix, not a wildcard. */
TEST(delete_prefix_underscore_is_literal)
{
	CHECK(keyed_store() == 0);
	CHECK(secret_put("a_b", "1", 1) == 0);
	CHECK(secret_put("axb", "2", 1) == 0);
	CHECK(secret_delete_prefix("a_") == 1);
	CHECK(secret_exists("axb") == 1);
}

TEST(delete_prefix_bad_empty_refused)
{
	CHECK(keyed_store() == 0);
	CHECK(secret_put("a", "1", 1) == 0);
	CHECK(secret_delete_prefix("") == CONN_EINVAL);
	CHECK(secret_delete_prefix(NULL) == CONN_EINVAL);
	CHECK(secret_delete_prefix("a%") == CONN_EINVAL);
	CHECK(secret_count() == 1);
}

TEST(count_follows_puts_and_deletes)
{
	CHECK(fresh_store() == 0);
	CHECK(secret_count() == 0);
	CHECK(secret_put("a", "1", 1) == 0);
	CHECK(secret_put("b", "2", 1) == 0);
	CHECK(secret_put("b", "3", 1) == 0);
	CHECK(secret_count() == 2);
	CHECK(secret_delete("a") == 0);
	CHECK(secret_count() == 1);
}

TEST(setting_delete_removes_one)
{
	struct buf b = { 0 };
	int rc;

	CHECK(fresh_store() == 0);
	CHECK(db_setting_set("vcenter.host", "vc") == 0);
	CHECK(db_setting_set("vcenter.port", "443") == 0);
	CHECK(db_setting_delete("vcenter.host") == 0);
	CHECK(db_setting_get("vcenter.host", &b) == CONN_ENOTFOUND);
	rc = db_setting_get("vcenter.port", &b);
	CHECK(rc == 0 && strcmp(b.data, "443") == 0);
	buf_free(&b);
	CHECK(db_setting_delete("vcenter.host") == 0);
}

TEST(setting_delete_prefix_removes_only_prefixed)
{
	struct buf b = { 0 };

	CHECK(fresh_store() == 0);
	CHECK(db_setting_set("draft.vcenter.host", "1") == 0);
	CHECK(db_setting_set("draft.aws.region", "2") == 0);
	CHECK(db_setting_set("drafts", "3") == 0);
	CHECK(db_setting_set("a_b", "4") == 0);
	CHECK(db_setting_set("axb", "5") == 0);
	CHECK(db_setting_set("%x", "6") == 0);
	CHECK(db_setting_delete_prefix("draft.") == 2);
	CHECK(db_setting_delete_prefix("a_") == 1);
	CHECK(db_setting_delete_prefix("%") == 1);
	CHECK(db_setting_get("drafts", &b) == 0);
	CHECK(db_setting_get("axb", &b) == 0);
	buf_free(&b);
	CHECK(db_setting_get("draft.aws.region", &b) == CONN_ENOTFOUND);
}

TEST(setting_delete_prefix_bad_empty_refused)
{
	struct buf b = { 0 };

	CHECK(fresh_store() == 0);
	CHECK(db_setting_set("a", "1") == 0);
	CHECK(db_setting_delete_prefix("") == CONN_EINVAL);
	CHECK(db_setting_get("a", &b) == 0);
	buf_free(&b);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (unit_tmp_root("test-secret", share, sizeof share) != 0)
		return 1;
	log_init("test-secret");
	RUN(ensure_key_creates_one_key);
	RUN(ensure_key_twice_keeps_the_key);
	RUN(ensure_key_concurrent_workers_make_one_key);
	RUN(current_key_reports_id_and_time);
	RUN(put_without_key_makes_one);
	RUN(put_get_round_trip);
	RUN(put_replaces_value);
	RUN(get_appends_to_buffer);
	RUN(empty_value_round_trip);
	RUN(max_value_round_trip);
	RUN(put_bad_oversize_refused);
	RUN(put_bad_names_refused);
	RUN(put_name_of_64_characters_accepted);
	RUN(get_bad_name_refused);
	RUN(get_bad_missing_not_found);
	RUN(same_value_twice_seals_differently);
	RUN(get_bad_flipped_sealed_byte);
	RUN(get_bad_flipped_tag_byte);
	RUN(get_bad_changed_nonce);
	RUN(get_bad_truncated_row);
	RUN(get_bad_renamed_row);
	RUN(get_bad_relabelled_key_id);
	RUN(get_bad_wrong_key_content);
	RUN(get_bad_short_key_file);
	RUN(get_bad_missing_key_file);
	RUN(key_file_and_dir_modes);
	RUN(key_dir_open_to_others_tightened);
	RUN(database_holds_no_plaintext);
	RUN(rotate_reencrypts_all);
	RUN(get_during_rotations_never_fails);
	RUN(rotate_twice_keeps_values);
	RUN(rotate_bad_inside_transaction);
	RUN(rotate_bad_tampered_secret_changes_nothing);
	RUN(put_in_rolled_back_transaction_leaves_nothing);
	RUN(put_in_committed_transaction_kept);
	RUN(put_bad_in_read_transaction);
	RUN(recover_removes_orphan_and_temp_keeps_current);
	RUN(recover_keeps_key_a_secret_names);
	RUN(recover_bad_key_in_use_missing);
	RUN(recover_on_empty_store);
	RUN(recover_removes_key_file_of_killed_rotation);
	RUN(recover_count_zero_when_nothing_left);
	RUN(recover_count_bad_named_key_kept);
	RUN(delete_removes_one);
	RUN(delete_bad_name_refused);
	RUN(delete_prefix_removes_only_prefixed);
	RUN(delete_prefix_underscore_is_literal);
	RUN(delete_prefix_bad_empty_refused);
	RUN(count_follows_puts_and_deletes);
	RUN(setting_delete_removes_one);
	RUN(setting_delete_prefix_removes_only_prefixed);
	RUN(setting_delete_prefix_bad_empty_refused);
	db_close();
	unit_rm_rf(unit_tmp);
	UNIT_EXIT();
}
