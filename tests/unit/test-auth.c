/*
 * test-auth.c — password policy and hashing, the setup code, login with
 * lockout and per-address failure counts, sessions and their expiry.  Runs against a state
 * database in a temporary root; argon2 costs about 100 ms a hash, so the
 * tests share one hash of the test password where they can.
 */
#include <argon2.h>
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/core.h"
#include "../../lib/domain.h"
#include "unit.h"

#define PW "tidy-orange-kettle-42"
#define PW_WRONG "tidy-orange-kettle-43"
#define ADDR "192.0.2.7"

static char pw_hash[256];	/* argon2id of PW, made once */

/* Run formatted SQL (sqlite3_mprintf: %q, %lld) on the state database. */
static int
sql(const char *fmt, ...)
{
	va_list ap;
	char *q;
	int rc;

	va_start(ap, fmt);
	q = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	if (q == NULL)
		return -1;
	rc = sqlite3_exec(db_handle(), q, NULL, NULL, NULL);
	sqlite3_free(q);
	return rc == SQLITE_OK ? 0 : -1;
}

/* The first column of the first row of formatted SQL, or -1. */
static long long
sql_int(const char *fmt, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	long long v = -1;
	char *q;

	va_start(ap, fmt);
	q = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	if (q == NULL)
		return -1;
	if (sqlite3_prepare_v2(db_handle(), q, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_free(q);
	return v;
}

/* The first column of the first row of a query as text into out. */
static int
sql_text(const char *q, char *out, size_t outlen)
{
	sqlite3_stmt *st;
	int rc = -1;

	if (sqlite3_prepare_v2(db_handle(), q, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_text(st, 0) != NULL) {
		snprintf(out, outlen, "%s", sqlite3_column_text(st, 0));
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

/* A new, empty, migrated state database (unclaimed console). */
static int
fresh_state(void)
{
	db_close();
	unit_remove_db(paths_get(PATH_DB));
	if (db_open(paths_get(PATH_DB)) != 0 || db_migrate() != 0)
		return -1;
	return 0;
}

/* A fresh state database claimed with password PW. */
static int
claimed_state(void)
{
	if (fresh_state() != 0)
		return -1;
	if (pw_hash[0] == '\0' &&
	    auth_hash_password(PW, pw_hash, sizeof pw_hash) != 0)
		return -1;
	return sql("UPDATE admin SET password_hash = %Q, setup_code_hash = "
	    "NULL WHERE id = 1", pw_hash);
}

/* A weak but valid argon2id encoding of pw (m=4 MiB, t=1). */
static int
weak_hash(const char *pw, char *out, size_t outlen)
{
	unsigned char salt[16];

	memset(salt, 7, sizeof salt);
	return argon2id_hash_encoded(1, 4096, 1, pw, strlen(pw), salt,
	    sizeof salt, 32, out, outlen) == ARGON2_OK ? 0 : -1;
}

/* A malloc'd string of n copies of the n-byte sequence s. */
static char *
repeat(const char *s, size_t n)
{
	size_t l = strlen(s);
	char *r = malloc(l * n + 1);

	if (r == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		memcpy(r + i * l, s, l);
	r[l * n] = '\0';
	return r;
}

/* ---- password policy ---- */

TEST(policy_bad_11_chars)
{
	CHECK(auth_password_problem("mauvelanter", NULL) != NULL);
	CHECK(auth_password_problem("mauvelanter", "mauvelanter") != NULL);
}

TEST(policy_12_chars_ok)
{
	CHECK(auth_password_problem("mauvelantern", NULL) == NULL);
	CHECK(auth_password_problem("mauvelantern", "mauvelantern") == NULL);
}

TEST(policy_128_chars_ok)
{
	char *pw = repeat("q7", 64);
	const char *why;

	CHECK(pw != NULL && strlen(pw) == 128);
	why = auth_password_problem(pw, pw);
	free(pw);
	CHECK(why == NULL);
}

TEST(policy_1024_bytes_ok)
{
	char *pw = repeat("x", 1024);
	const char *why;

	CHECK(pw != NULL);
	why = auth_password_problem(pw, NULL);
	free(pw);
	CHECK(why == NULL);
}

TEST(policy_bad_1025_bytes)
{
	char *pw = repeat("x", 1025);
	const char *why;

	CHECK(pw != NULL);
	why = auth_password_problem(pw, pw);
	free(pw);
	CHECK(why != NULL);
}

TEST(policy_bad_empty)
{
	CHECK(auth_password_problem("", NULL) != NULL);
	CHECK(auth_password_problem(NULL, NULL) != NULL);
}

TEST(policy_bad_common_password)
{
	CHECK(auth_password_problem("winniethepooh", NULL) != NULL);
	CHECK(auth_password_problem("123456789012", NULL) != NULL);
}

TEST(policy_bad_common_password_any_case)
{
	CHECK(auth_password_problem("WinnieThePooh", NULL) != NULL);
	CHECK(auth_password_problem("WINNIETHEPOOH", "WINNIETHEPOOH") != NULL);
}

TEST(policy_common_prefix_ok)
{
	CHECK(auth_password_problem("winniethepooh-and-tigger", NULL) == NULL);
}

TEST(policy_bad_mismatch)
{
	const char *why = auth_password_problem("mauvelantern", "mauvelanterm");

	CHECK(why != NULL);
	CHECK(strstr(why, "match") != NULL);
	CHECK(auth_password_problem("mauvelantern", "mauvelanter") != NULL);
	CHECK(auth_password_problem("mauvelantern", "") != NULL);
}

TEST(policy_multibyte_counted_as_characters)
{
	char *e12 = repeat("\xc3\xa9", 12);	/* 12 chars, 24 bytes */
	char *k12 = repeat("\xf0\x9f\x94\x91", 12);	/* 12 chars, 48 bytes */
	const char *w1, *w2;

	CHECK(e12 != NULL && k12 != NULL);
	w1 = auth_password_problem(e12, NULL);
	w2 = auth_password_problem(k12, NULL);
	free(e12);
	free(k12);
	CHECK(w1 == NULL);
	CHECK(w2 == NULL);
}

TEST(policy_bad_multibyte_11_chars)
{
	char *e11 = repeat("\xc3\xa9", 11);	/* 11 chars, 22 bytes */
	char *k11 = repeat("\xf0\x9f\x94\x91", 11);	/* 11 chars, 44 bytes */
	const char *w1, *w2;

	CHECK(e11 != NULL && k11 != NULL);
	w1 = auth_password_problem(e11, NULL);
	w2 = auth_password_problem(k11, NULL);
	free(e11);
	free(k11);
	CHECK(w1 != NULL);
	CHECK(w2 != NULL);
}

/* ---- hashing ---- */

TEST(hash_is_argon2id_with_current_parameters)
{
	char enc[256];

	CHECK(auth_hash_password(PW, enc, sizeof enc) == 0);
	CHECK(strncmp(enc, "$argon2id$v=19$m=32768,t=2,p=1$", 31) == 0);
	CHECK(auth_needs_rehash(enc) == 0);
	CHECK(auth_verify_password(enc, PW) == 0);
	snprintf(pw_hash, sizeof pw_hash, "%s", enc);
}

TEST(hash_salted)
{
	char b[256];

	/* Two hashes of the same password differ (random salt). */
	CHECK(pw_hash[0] != '\0');
	CHECK(auth_hash_password(PW, b, sizeof b) == 0);
	CHECK(strcmp(b, pw_hash) != 0);
	CHECK(auth_verify_password(b, PW) == 0);
}

TEST(verify_bad_wrong_password)
{
	CHECK(pw_hash[0] != '\0');
	CHECK(auth_verify_password(pw_hash, PW_WRONG) == CONN_EDENIED);
}

TEST(verify_bad_not_argon2id)
{
	char enc[256];
	unsigned char salt[16] = { 1 };

	CHECK(argon2i_hash_encoded(1, 4096, 1, PW, strlen(PW), salt,
	    sizeof salt, 32, enc, sizeof enc) == ARGON2_OK);
	CHECK(auth_verify_password(enc, PW) == CONN_EDENIED);
	CHECK(auth_verify_password(NULL, PW) == CONN_EDENIED);
	CHECK(auth_verify_password("", PW) == CONN_EDENIED);
	CHECK(auth_verify_password("$argon2id$garbage", PW) == CONN_EDENIED);
}

TEST(needs_rehash_weaker_memory)
{
	char enc[256];

	CHECK(weak_hash(PW, enc, sizeof enc) == 0);
	CHECK(strstr(enc, "m=4096,t=1") != NULL);
	CHECK(auth_verify_password(enc, PW) == 0);
	CHECK(auth_needs_rehash(enc) == 1);
}

TEST(needs_rehash_weaker_time_or_version)
{
	CHECK(auth_needs_rehash("$argon2id$v=19$m=32768,t=1,p=1$c2FsdA$aGFzaA")
	    == 1);
	CHECK(auth_needs_rehash("$argon2id$v=16$m=32768,t=2,p=1$c2FsdA$aGFzaA")
	    == 1);
	CHECK(auth_needs_rehash("$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA")
	    == 0);
	CHECK(auth_needs_rehash("garbage") == 1);
}

TEST(login_rehashes_weak_hash)
{
	char weak[256], now[256];

	CHECK(claimed_state() == 0);
	CHECK(weak_hash(PW, weak, sizeof weak) == 0);
	CHECK(sql("UPDATE admin SET password_hash = %Q", weak) == 0);
	CHECK(auth_login(PW, ADDR) == 0);
	CHECK(sql_text("SELECT password_hash FROM admin", now,
	    sizeof now) == 0);
	CHECK(strcmp(now, weak) != 0);
	CHECK(auth_needs_rehash(now) == 0);
	CHECK(auth_verify_password(now, PW) == 0);
}

/* ---- setup code ---- */

TEST(setup_code_format)
{
	static const char al[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	char code[AUTH_SETUP_CODE_LEN + 1];

	CHECK(fresh_state() == 0);
	CHECK(auth_new_setup_code(code) == 0);
	CHECK(strlen(code) == AUTH_SETUP_CODE_LEN);
	for (int i = 0; i < AUTH_SETUP_CODE_LEN; i++) {
		if (i % 5 == 4)
			CHECK(code[i] == '-');
		else
			CHECK(strchr(al, code[i]) != NULL);
	}
}

TEST(setup_code_stored_only_as_hash)
{
	char code[AUTH_SETUP_CODE_LEN + 1], stored[128];

	CHECK(fresh_state() == 0);
	CHECK(auth_new_setup_code(code) == 0);
	CHECK(sql_text("SELECT setup_code_hash FROM admin", stored,
	    sizeof stored) == 0);
	CHECK(strlen(stored) == 64);
	CHECK(strstr(stored, code) == NULL);
	CHECK(sql_int("SELECT count(*) FROM admin WHERE instr(coalesce("
	    "setup_code_hash, ''), %Q) > 0", code) == 0);
}

TEST(setup_code_new_codes_differ)
{
	char a[AUTH_SETUP_CODE_LEN + 1], b[AUTH_SETUP_CODE_LEN + 1];

	CHECK(fresh_state() == 0);
	CHECK(auth_new_setup_code(a) == 0);
	CHECK(auth_new_setup_code(b) == 0);
	CHECK(strcmp(a, b) != 0);
	/* Only the newest code is valid. */
	CHECK(auth_setup_code_matches(a) == 0);
	CHECK(auth_setup_code_matches(b) == 1);
}

TEST(setup_code_matches_case_and_dashes)
{
	char code[AUTH_SETUP_CODE_LEN + 1], alt[AUTH_SETUP_CODE_LEN + 1];
	size_t o = 0;

	CHECK(fresh_state() == 0);
	CHECK(auth_new_setup_code(code) == 0);
	CHECK(auth_setup_code_matches(code) == 1);
	for (const char *p = code; *p; p++)
		if (*p != '-')
			alt[o++] = (char)tolower((unsigned char)*p);
	alt[o] = '\0';
	CHECK(auth_setup_code_matches(alt) == 1);
	for (size_t i = 0; i < o; i++)
		if (i % 2)
			alt[i] = (char)toupper((unsigned char)alt[i]);
	CHECK(auth_setup_code_matches(alt) == 1);
}

TEST(setup_code_bad_wrong)
{
	char code[AUTH_SETUP_CODE_LEN + 1], bad[AUTH_SETUP_CODE_LEN + 1];

	CHECK(fresh_state() == 0);
	CHECK(auth_new_setup_code(code) == 0);
	memcpy(bad, code, sizeof bad);
	bad[0] = bad[0] == 'A' ? 'B' : 'A';
	CHECK(auth_setup_code_matches(bad) == 0);
	CHECK(auth_setup_code_matches("") == 0);
	CHECK(auth_setup_code_matches(code + 5) == 0);
	bad[0] = code[0];
	bad[AUTH_SETUP_CODE_LEN - 1] = '\0';	/* 15 characters */
	CHECK(auth_setup_code_matches(bad) == 0);
}

TEST(claim_bad_wrong_code)
{
	char code[AUTH_SETUP_CODE_LEN + 1];
	struct auth_admin a;

	CHECK(fresh_state() == 0);
	CHECK(auth_new_setup_code(code) == 0);
	CHECK(auth_claim("AAAA-AAAA-AAAA-AAAA", PW) == CONN_EDENIED);
	CHECK(auth_claim("not a code", PW) == CONN_EDENIED);
	CHECK(auth_admin_get(&a) == 0);
	CHECK(a.claimed == 0);
	CHECK(auth_setup_code_matches(code) == 1);
}

TEST(claim_once_then_code_refused)
{
	char code[AUTH_SETUP_CODE_LEN + 1], alt[AUTH_SETUP_CODE_LEN + 1];
	struct auth_admin a;
	size_t o = 0;

	CHECK(fresh_state() == 0);
	CHECK(auth_admin_get(&a) == 0 && a.claimed == 0);
	CHECK(auth_new_setup_code(code) == 0);
	/* Lower case without dashes, as someone might type it. */
	for (const char *p = code; *p; p++)
		if (*p != '-')
			alt[o++] = (char)tolower((unsigned char)*p);
	alt[o] = '\0';
	CHECK(auth_claim(alt, PW) == 0);
	CHECK(auth_admin_get(&a) == 0 && a.claimed == 1);
	CHECK(sql_int("SELECT setup_code_hash IS NULL FROM admin") == 1);
	CHECK(auth_setup_code_matches(code) == 0);
	CHECK(auth_claim(code, "another-password-9") == CONN_EDENIED);
	CHECK(auth_login(PW, ADDR) == 0);
}

TEST(claim_bad_no_new_code_after_claim)
{
	char code[AUTH_SETUP_CODE_LEN + 1];

	CHECK(claimed_state() == 0);
	CHECK(auth_new_setup_code(code) == CONN_ECONFLICT);
	CHECK(sql_int("SELECT setup_code_hash IS NULL FROM admin") == 1);
}

/* ---- login ---- */

TEST(login_bad_unclaimed)
{

	CHECK(fresh_state() == 0);
	CHECK(auth_login(PW, ADDR) == CONN_EDENIED);
	CHECK(sql_int("SELECT failed_count FROM admin") == 0);
}

TEST(login_success_and_failure_counting)
{
	struct auth_admin a;

	CHECK(claimed_state() == 0);
	CHECK(auth_login(PW_WRONG, ADDR) == CONN_EDENIED);
	CHECK(auth_admin_get(&a) == 0 && a.failed_count == 1);
	CHECK(a.last_failure_at > 0);
	CHECK(auth_login("", ADDR) == CONN_EDENIED);
	CHECK(auth_admin_get(&a) == 0 && a.failed_count == 2);
	CHECK(auth_login(PW, ADDR) == 0);
	CHECK(auth_admin_get(&a) == 0 && a.failed_count == 0);
	CHECK(a.locked == 0);
	CHECK(sql_int("SELECT last_login_addr = %Q FROM admin", ADDR) == 1);
	CHECK(sql_int("SELECT total FROM login_sources WHERE addr = %Q",
	    ADDR) == 2);
}

TEST(login_lock_after_exactly_20_failures)
{
	struct auth_admin a;
	int rc;

	CHECK(claimed_state() == 0);
	for (int i = 1; i < AUTH_LOCK_AFTER; i++) {
		CHECK(auth_login(PW_WRONG, ADDR) == CONN_EDENIED);
		CHECK(auth_admin_get(&a) == 0);
		CHECK(a.failed_count == i && a.locked == 0);
	}
	rc = auth_login(PW_WRONG, ADDR);
	CHECK(rc == CONN_ELOCKED);
	CHECK(auth_admin_get(&a) == 0);
	CHECK(a.locked == 1 && a.failed_count == AUTH_LOCK_AFTER);
	CHECK(sql_int("SELECT locked_at IS NOT NULL FROM admin") == 1);
	/* The right password is refused too, and nothing more is counted. */
	CHECK(auth_login(PW, ADDR) == CONN_ELOCKED);
	CHECK(auth_login(PW_WRONG, ADDR) == CONN_ELOCKED);
	CHECK(auth_admin_get(&a) == 0);
	CHECK(a.locked == 1 && a.failed_count == AUTH_LOCK_AFTER);
}

TEST(login_locked_other_address_refused)
{

	CHECK(claimed_state() == 0);
	CHECK(sql("UPDATE admin SET locked = 1, failed_count = 20") == 0);
	CHECK(auth_login(PW, "198.51.100.1") == CONN_ELOCKED);
}

TEST(login_success_resets_count_before_lock)
{
	struct auth_admin a;

	CHECK(claimed_state() == 0);
	CHECK(sql("UPDATE admin SET failed_count = 19") == 0);
	CHECK(auth_login(PW, ADDR) == 0);
	CHECK(auth_login(PW_WRONG, ADDR) == CONN_EDENIED);
	CHECK(auth_admin_get(&a) == 0);
	CHECK(a.failed_count == 1 && a.locked == 0);
}

TEST(login_reports_failures_since_last_sign_in)
{
	struct auth_admin before, a;

	CHECK(claimed_state() == 0);
	CHECK(auth_login_report(PW, ADDR, &before) == 0);
	CHECK(before.failed_count == 0 && before.failures_began_at == 0);
	CHECK(auth_login(PW_WRONG, "198.51.100.7") == CONN_EDENIED);
	CHECK(sql("UPDATE admin SET failures_began_at = 100") == 0);
	CHECK(auth_login(PW_WRONG, "198.51.100.8") == CONN_EDENIED);
	CHECK(auth_admin_get(&a) == 0 && a.failed_count == 2);
	/* The run's start is kept; the last address is the newest. */
	CHECK(a.failures_began_at == 100);
	CHECK(strcmp(a.last_failure_addr, "198.51.100.8") == 0);
	CHECK(sql_int("SELECT sum(recent) FROM login_sources") == 2);
	CHECK(auth_login_report(PW, ADDR, &before) == 0);
	CHECK(before.failed_count == 2 && before.failures_began_at == 100);
	CHECK(strcmp(before.last_failure_addr, "198.51.100.8") == 0);
	CHECK(before.last_failure_at > 0 && before.last_login_at > 0);
	/* After the sign-in nothing is recent; totals stay. */
	CHECK(auth_admin_get(&a) == 0 && a.failed_count == 0);
	CHECK(a.failures_began_at == 0 && a.last_failure_addr[0] == '\0');
	CHECK(strcmp(a.last_login_addr, ADDR) == 0);
	CHECK(sql_int("SELECT sum(recent) FROM login_sources") == 0);
	CHECK(sql_int("SELECT sum(total) FROM login_sources") == 2);
}

TEST(login_bad_wrong_password_reports_nothing)
{
	struct auth_admin before;

	CHECK(claimed_state() == 0);
	memset(&before, 0x5a, sizeof before);
	CHECK(auth_login_report(PW_WRONG, ADDR, &before) == CONN_EDENIED);
	CHECK(before.failed_count == 0x5a5a5a5a);
}

TEST(reauthenticate_keeps_failures_since_last_sign_in)
{
	struct auth_admin before, a;

	CHECK(claimed_state() == 0);
	CHECK(auth_login(PW, ADDR) == 0);
	CHECK(auth_login(PW_WRONG, "198.51.100.7") == CONN_EDENIED);
	CHECK(auth_login(PW_WRONG, "198.51.100.8") == CONN_EDENIED);
	CHECK(auth_admin_get(&a) == 0);
	/* The right password again inside the session: not a sign-in. */
	CHECK(auth_reauthenticate(PW, ADDR) == 0);
	CHECK(auth_admin_get(&before) == 0);
	CHECK(before.failed_count == 2 && before.locked == 0);
	CHECK(before.failures_began_at == a.failures_began_at);
	CHECK(strcmp(before.last_failure_addr, "198.51.100.8") == 0);
	CHECK(before.last_login_at == a.last_login_at);
	CHECK(sql_int("SELECT sum(recent) FROM login_sources") == 2);
	CHECK(sql_int("SELECT consecutive FROM login_sources WHERE addr = "
	    "'198.51.100.8'") == 1);
	/* So the next sign-in still reports them. */
	CHECK(auth_login_report(PW, ADDR, &before) == 0);
	CHECK(before.failed_count == 2);
	CHECK(strcmp(before.last_failure_addr, "198.51.100.8") == 0);
}

TEST(reauthenticate_bad_wrong_password_counts_toward_lockout)
{
	struct auth_admin a;

	CHECK(claimed_state() == 0);
	CHECK(sql("UPDATE admin SET failed_count = 18") == 0);
	CHECK(auth_reauthenticate(PW_WRONG, ADDR) == CONN_EDENIED);
	CHECK(auth_admin_get(&a) == 0);
	CHECK(a.failed_count == 19 && a.locked == 0);
	CHECK(strcmp(a.last_failure_addr, ADDR) == 0);
	CHECK(auth_reauthenticate(PW_WRONG, ADDR) == CONN_ELOCKED);
	CHECK(auth_admin_get(&a) == 0);
	CHECK(a.failed_count == AUTH_LOCK_AFTER && a.locked == 1);
	/* Locked: the right password is refused too, and counts nothing. */
	CHECK(auth_reauthenticate(PW, ADDR) == CONN_ELOCKED);
	CHECK(auth_admin_get(&a) == 0 && a.failed_count == AUTH_LOCK_AFTER);
}

TEST(reset_password_clears_recent_failures)
{
	struct auth_admin a;

	CHECK(claimed_state() == 0);
	CHECK(auth_login(PW_WRONG, ADDR) == CONN_EDENIED);
	CHECK(auth_reset_password("brand-new-password-7") == 0);
	CHECK(auth_admin_get(&a) == 0 && a.failed_count == 0);
	CHECK(a.failures_began_at == 0 && a.password_changed_at > 0);
	CHECK(sql_int("SELECT sum(recent) FROM login_sources") == 0);
}

TEST(reset_password_unlocks_and_ends_sessions)
{
	char token[AUTH_TOKEN_LEN + 1];
	struct auth_session s;
	struct auth_admin a;

	CHECK(claimed_state() == 0);
	CHECK(auth_session_create(ADDR, token, &s) == 0);
	CHECK(sql("UPDATE admin SET locked = 1, failed_count = 20, "
	    "locked_at = 1") == 0);
	CHECK(sql("INSERT INTO login_sources (addr, consecutive, total, "
	    "last_failure_at) VALUES (%Q, 9, 9, 1)",
	    "198.51.100.9") == 0);
	CHECK(auth_reset_password("brand-new-password-7") == 0);
	CHECK(auth_admin_get(&a) == 0);
	CHECK(a.locked == 0 && a.failed_count == 0);
	CHECK(sql_int("SELECT count(*) FROM sessions") == 0);
	CHECK(auth_session_check(token, &s) == CONN_EDENIED);
	CHECK(sql_int("SELECT consecutive FROM login_sources WHERE addr = %Q",
	    "198.51.100.9") == 0);
	CHECK(auth_login(PW, ADDR) == CONN_EDENIED);
	CHECK(auth_login("brand-new-password-7", ADDR) == 0);
}

/* ---- per-address failure counts (for the health pane) ---- */

/* consecutive, total or last_failure_at of addr's row, or -1 if none. */
static long long
source(const char *col, const char *addr)
{
	return sql_int("SELECT %s FROM login_sources WHERE addr = %Q", col,
	    addr);
}

TEST(source_consecutive_grows_on_failure)
{
	long long before = (long long)time(NULL);

	CHECK(claimed_state() == 0);
	CHECK(source("consecutive", ADDR) == -1);
	for (int i = 1; i <= 4; i++) {
		CHECK(auth_login(PW_WRONG, ADDR) == CONN_EDENIED);
		CHECK(source("consecutive", ADDR) == i);
		CHECK(source("total", ADDR) == i);
	}
	CHECK(source("last_failure_at", ADDR) >= before);
	CHECK(source("last_failure_at", ADDR) <= (long long)time(NULL));
}

TEST(source_success_resets_consecutive_keeps_total)
{
	CHECK(claimed_state() == 0);
	CHECK(sql("INSERT INTO login_sources (addr, consecutive, total, "
	    "last_failure_at) VALUES (%Q, 4, 9, 1)", ADDR) == 0);
	CHECK(auth_login(PW_WRONG, ADDR) == CONN_EDENIED);
	CHECK(source("consecutive", ADDR) == 5);
	CHECK(source("total", ADDR) == 10);
	CHECK(auth_login(PW, ADDR) == 0);
	CHECK(source("consecutive", ADDR) == 0);
	CHECK(source("total", ADDR) == 10);
	CHECK(auth_login(PW_WRONG, ADDR) == CONN_EDENIED);
	CHECK(source("consecutive", ADDR) == 1);
	CHECK(source("total", ADDR) == 11);
}

TEST(source_other_addresses_unaffected)
{
	const char *other = "198.51.100.2", *third = "198.51.100.3";

	CHECK(claimed_state() == 0);
	CHECK(sql("INSERT INTO login_sources (addr, consecutive, total, "
	    "last_failure_at) VALUES (%Q, 3, 7, 5)", other) == 0);
	CHECK(auth_login(PW_WRONG, ADDR) == CONN_EDENIED);
	CHECK(auth_login(PW_WRONG, ADDR) == CONN_EDENIED);
	CHECK(source("consecutive", ADDR) == 2);
	CHECK(source("consecutive", other) == 3);
	CHECK(source("total", other) == 7);
	CHECK(source("last_failure_at", other) == 5);
	/* A success from one address resets only that address. */
	CHECK(auth_login(PW, ADDR) == 0);
	CHECK(source("consecutive", ADDR) == 0);
	CHECK(source("consecutive", other) == 3);
	/* A failure from an address with no row creates only its row. */
	CHECK(auth_login(PW_WRONG, third) == CONN_EDENIED);
	CHECK(source("consecutive", third) == 1);
	CHECK(source("total", other) == 7);
	CHECK(source("total", ADDR) == 2);
	CHECK(sql_int("SELECT count(*) FROM login_sources") == 3);
}

/* ---- sessions ---- */

TEST(token_shape)
{
	char a[AUTH_TOKEN_LEN + 1], b[AUTH_TOKEN_LEN + 1];

	CHECK(auth_token(a) == 0);
	CHECK(auth_token(b) == 0);
	CHECK(strlen(a) == AUTH_TOKEN_LEN);
	CHECK(valid_value(VT_TOKEN, a, strlen(a), AUTH_TOKEN_LEN) == 0);
	CHECK(strcmp(a, b) != 0);
}

TEST(token_valid_accepts_own_tokens)
{
	char a[AUTH_TOKEN_LEN + 1];

	CHECK(auth_token(a) == 0);
	CHECK(auth_token_valid(a) == 1);
	/* Any 43 characters of the URL-safe alphabet. */
	memset(a, '_', AUTH_TOKEN_LEN);
	a[AUTH_TOKEN_LEN] = '\0';
	a[0] = 'z';
	a[1] = '0';
	a[2] = '-';
	a[3] = 'Q';
	CHECK(auth_token_valid(a) == 1);
}

TEST(token_valid_bad_shapes)
{
	char t[AUTH_TOKEN_LEN + 2];

	CHECK(auth_token_valid(NULL) == 0);
	CHECK(auth_token_valid("") == 0);
	CHECK(auth_token(t) == 0);
	t[AUTH_TOKEN_LEN - 1] = '\0';	/* 42 characters */
	CHECK(auth_token_valid(t) == 0);
	CHECK(auth_token(t) == 0);
	t[AUTH_TOKEN_LEN] = 'A';	/* 44 characters */
	t[AUTH_TOKEN_LEN + 1] = '\0';
	CHECK(auth_token_valid(t) == 0);
	CHECK(auth_token(t) == 0);
	t[5] = '+';
	CHECK(auth_token_valid(t) == 0);
	t[5] = '/';
	CHECK(auth_token_valid(t) == 0);
	t[5] = '=';
	CHECK(auth_token_valid(t) == 0);
	t[5] = ' ';
	CHECK(auth_token_valid(t) == 0);
	t[5] = '\xc3';
	CHECK(auth_token_valid(t) == 0);
}

TEST(session_create_check_end)
{
	char token[AUTH_TOKEN_LEN + 1];
	struct auth_session s, t;

	CHECK(claimed_state() == 0);
	CHECK(auth_session_create(ADDR, token, &s) == 0);
	CHECK(strlen(token) == AUTH_TOKEN_LEN);
	CHECK(strlen(s.csrf) == AUTH_TOKEN_LEN);
	CHECK(strcmp(s.csrf, token) != 0);
	CHECK(s.created_at > 0 && s.last_seen == s.created_at);
	CHECK(auth_session_check(token, &t) == 0);
	CHECK(strcmp(t.csrf, s.csrf) == 0);
	CHECK(strcmp(t.token_hash, s.token_hash) == 0);
	CHECK(t.created_at == s.created_at);
	CHECK(auth_session_end(token) == 0);
	CHECK(auth_session_check(token, &t) == CONN_EDENIED);
	CHECK(sql_int("SELECT count(*) FROM sessions") == 0);
}

TEST(session_token_stored_only_as_hash)
{
	char token[AUTH_TOKEN_LEN + 1], h[65];
	struct auth_session s;

	CHECK(claimed_state() == 0);
	CHECK(auth_session_create(ADDR, token, &s) == 0);
	CHECK(util_sha256_hex(token, strlen(token), h) == 0);
	CHECK(strcmp(h, s.token_hash) == 0);
	CHECK(sql_int("SELECT count(*) FROM sessions WHERE token_hash = %Q",
	    h) == 1);
	CHECK(sql_int("SELECT count(*) FROM sessions WHERE token_hash = %Q "
	    "OR csrf = %Q OR addr = %Q", token, token, token) == 0);
}

TEST(session_end_leaves_other_sessions)
{
	char t1[AUTH_TOKEN_LEN + 1], t2[AUTH_TOKEN_LEN + 1];
	struct auth_session s;

	CHECK(claimed_state() == 0);
	CHECK(auth_session_create(ADDR, t1, &s) == 0);
	CHECK(auth_session_create(ADDR, t2, &s) == 0);
	CHECK(strcmp(t1, t2) != 0);
	CHECK(auth_session_end(t1) == 0);
	CHECK(auth_session_check(t1, &s) == CONN_EDENIED);
	CHECK(auth_session_check(t2, &s) == 0);
}

TEST(session_bad_malformed_token)
{
	char token[AUTH_TOKEN_LEN + 1], longer[AUTH_TOKEN_LEN + 2];
	char bad[AUTH_TOKEN_LEN + 1];
	struct auth_session s;

	CHECK(claimed_state() == 0);
	CHECK(auth_session_create(ADDR, token, &s) == 0);
	CHECK(auth_session_check(NULL, &s) == CONN_EDENIED);
	CHECK(auth_session_check("", &s) == CONN_EDENIED);
	CHECK(auth_session_check("short", &s) == CONN_EDENIED);
	snprintf(longer, sizeof longer, "%sA", token);
	CHECK(auth_session_check(longer, &s) == CONN_EDENIED);
	memcpy(bad, token, sizeof bad);
	bad[10] = '+';
	CHECK(auth_session_check(bad, &s) == CONN_EDENIED);
	bad[10] = '=';
	CHECK(auth_session_check(bad, &s) == CONN_EDENIED);
	CHECK(auth_session_end("short") == 0);
	/* The real session is still there. */
	CHECK(auth_session_check(token, &s) == 0);
}

TEST(session_bad_unknown_token)
{
	char token[AUTH_TOKEN_LEN + 1];
	struct auth_session s;

	CHECK(claimed_state() == 0);
	CHECK(auth_token(token) == 0);
	CHECK(auth_session_check(token, &s) == CONN_EDENIED);
}

/* Create a session and set its times relative to now. */
static int
aged_session(char token[AUTH_TOKEN_LEN + 1], long created_ago,
    long seen_ago)
{
	struct auth_session s;
	long long now = (long long)time(NULL);

	if (claimed_state() != 0 || auth_session_create(ADDR, token, &s) != 0)
		return -1;
	return sql("UPDATE sessions SET created_at = %lld, last_seen = %lld "
	    "WHERE token_hash = %Q", now - created_ago, now - seen_ago,
	    s.token_hash);
}

TEST(session_idle_under_30_min_ok)
{
	char token[AUTH_TOKEN_LEN + 1];
	struct auth_session s;

	CHECK(aged_session(token, AUTH_IDLE_SECONDS - 20,
	    AUTH_IDLE_SECONDS - 20) == 0);
	CHECK(auth_session_check(token, &s) == 0);
}

TEST(session_bad_idle_30_min)
{
	char token[AUTH_TOKEN_LEN + 1];
	struct auth_session s;

	CHECK(aged_session(token, AUTH_IDLE_SECONDS + 5,
	    AUTH_IDLE_SECONDS + 5) == 0);
	CHECK(auth_session_check(token, &s) == CONN_EDENIED);
	CHECK(sql_int("SELECT count(*) FROM sessions") == 0);
}

TEST(session_check_refreshes_last_seen)
{
	char token[AUTH_TOKEN_LEN + 1];
	struct auth_session s;
	long long now = (long long)time(NULL);

	CHECK(aged_session(token, 600, 120) == 0);
	CHECK(auth_session_check(token, &s) == 0);
	CHECK(s.last_seen >= now);
	CHECK(sql_int("SELECT last_seen FROM sessions") >= now);
	/* So it lives on past the original idle limit. */
	CHECK(sql("UPDATE sessions SET last_seen = last_seen - %d",
	    AUTH_IDLE_SECONDS - 60) == 0);
	CHECK(auth_session_check(token, &s) == 0);
}

TEST(session_touch_at_most_once_a_minute)
{
	char token[AUTH_TOKEN_LEN + 1];
	struct auth_session s;
	long long now = (long long)time(NULL);

	CHECK(aged_session(token, 600, 20) == 0);
	CHECK(auth_session_check(token, &s) == 0);
	CHECK(sql_int("SELECT last_seen FROM sessions") <= now - 20);
}

TEST(session_under_8_hours_ok)
{
	char token[AUTH_TOKEN_LEN + 1];
	struct auth_session s;

	CHECK(aged_session(token, AUTH_ABSOLUTE_SECONDS - 60, 0) == 0);
	CHECK(auth_session_check(token, &s) == 0);
}

TEST(session_bad_absolute_8_hours)
{
	char token[AUTH_TOKEN_LEN + 1];
	struct auth_session s;

	CHECK(aged_session(token, AUTH_ABSOLUTE_SECONDS + 5, 0) == 0);
	CHECK(auth_session_check(token, &s) == CONN_EDENIED);
	CHECK(sql_int("SELECT count(*) FROM sessions") == 0);
}

TEST(session_bad_created_in_future)
{
	char token[AUTH_TOKEN_LEN + 1];
	struct auth_session s;

	CHECK(aged_session(token, -3600, -3600) == 0);
	CHECK(auth_session_check(token, &s) == CONN_EDENIED);
}

TEST(session_create_purges_expired)
{
	char token[AUTH_TOKEN_LEN + 1], t2[AUTH_TOKEN_LEN + 1];
	struct auth_session s;

	CHECK(aged_session(token, AUTH_ABSOLUTE_SECONDS + 5, 0) == 0);
	CHECK(sql("INSERT INTO sessions (token_hash, csrf, created_at, "
	    "last_seen, addr) VALUES ('idle', 'c', %lld, %lld, 'a')",
	    (long long)time(NULL) - 100,
	    (long long)time(NULL) - AUTH_IDLE_SECONDS - 5) == 0);
	CHECK(sql_int("SELECT count(*) FROM sessions") == 2);
	CHECK(auth_session_create(ADDR, t2, &s) == 0);
	CHECK(sql_int("SELECT count(*) FROM sessions") == 1);
}

/* ---- read-only API tokens ---- */

TEST(api_token_create_check_revoke)
{
	char tok[AUTH_TOKEN_LEN + 1];
	long long id = 0;

	CHECK(claimed_state() == 0);
	CHECK(auth_api_token_create("monitoring", tok) == 0);
	CHECK(auth_token_valid(tok));
	CHECK(auth_api_token_check(tok, &id) == 0);
	CHECK(id > 0);
	CHECK(auth_api_token_revoke(id) == 0);
	CHECK(auth_api_token_check(tok, &id) == CONN_EDENIED);
	CHECK(auth_api_token_revoke(id) == CONN_ENOTFOUND);
}

TEST(api_token_stored_only_as_hash)
{
	char tok[AUTH_TOKEN_LEN + 1], hash[65];

	CHECK(claimed_state() == 0);
	CHECK(auth_api_token_create("monitoring", tok) == 0);
	CHECK(util_sha256_hex(tok, AUTH_TOKEN_LEN, hash) == 0);
	CHECK(sql_int("SELECT count(*) FROM api_tokens WHERE token_hash = %Q",
	    hash) == 1);
	CHECK(sql_int("SELECT count(*) FROM api_tokens WHERE instr(name || "
	    "token_hash, %Q) > 0", tok) == 0);
}

TEST(api_token_bad_unknown_or_malformed)
{
	char tok[AUTH_TOKEN_LEN + 1];
	long long id;

	CHECK(claimed_state() == 0);
	CHECK(auth_api_token_create("monitoring", tok) == 0);
	tok[0] = tok[0] == 'A' ? 'B' : 'A';
	CHECK(auth_api_token_check(tok, &id) == CONN_EDENIED);
	CHECK(auth_api_token_check("", &id) == CONN_EDENIED);
	CHECK(auth_api_token_check("short", &id) == CONN_EDENIED);
	tok[5] = '/';
	CHECK(auth_api_token_check(tok, &id) == CONN_EDENIED);
}

TEST(api_token_bad_not_counted_as_password_failure)
{
	struct auth_admin a;
	long long id;

	CHECK(claimed_state() == 0);
	for (int i = 0; i < AUTH_LOCK_AFTER + 1; i++)
		CHECK(auth_api_token_check("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		    &id) == CONN_EDENIED);
	CHECK(auth_admin_get(&a) == 0);
	CHECK(a.failed_count == 0 && !a.locked);
}

TEST(api_token_bad_more_than_20)
{
	char tok[AUTH_TOKEN_LEN + 1];

	CHECK(claimed_state() == 0);
	for (int i = 0; i < AUTH_API_TOKENS_MAX; i++)
		CHECK(auth_api_token_create("monitoring", tok) == 0);
	CHECK(auth_api_token_create("one too many", tok) == CONN_ETOOBIG);
	CHECK(tok[0] == '\0');
	CHECK(sql_int("SELECT count(*) FROM api_tokens") ==
	    AUTH_API_TOKENS_MAX);
}

TEST(api_token_bad_empty_name)
{
	char tok[AUTH_TOKEN_LEN + 1];

	CHECK(claimed_state() == 0);
	CHECK(auth_api_token_create("", tok) == CONN_EINVAL);
	CHECK(sql_int("SELECT count(*) FROM api_tokens") == 0);
}

TEST(api_token_last_use_recorded)
{
	char tok[AUTH_TOKEN_LEN + 1];
	long long id;

	CHECK(claimed_state() == 0);
	CHECK(auth_api_token_create("monitoring", tok) == 0);
	CHECK(sql_int("SELECT count(*) FROM api_tokens WHERE last_used_at IS "
	    "NULL") == 1);
	CHECK(auth_api_token_check(tok, &id) == 0);
	CHECK(sql_int("SELECT last_used_at FROM api_tokens") > 0);
}

/* ---- one-time notices ---- */

TEST(notice_taken_once)
{
	char tok[AUTH_TOKEN_LEN + 1], secret[AUTH_TOKEN_LEN + 1];
	struct auth_session s;

	CHECK(claimed_state() == 0);
	CHECK(auth_session_create(ADDR, tok, &s) == 0);
	CHECK(auth_notice_set(tok, "Rotated.", NULL, 0, NULL) == 0);
	CHECK(auth_session_check(tok, &s) == 0);
	CHECK(s.has_notice && strcmp(s.notice, "Rotated.") == 0);
	CHECK(!s.has_notice_secret);
	CHECK(auth_notice_take(tok, &s, secret) == 0);
	CHECK(secret[0] == '\0');
	CHECK(auth_session_check(tok, &s) == 0);
	CHECK(!s.has_notice);
}

TEST(notice_secret_opens_with_its_session_only)
{
	char tok[AUTH_TOKEN_LEN + 1], other[AUTH_TOKEN_LEN + 1];
	char api[AUTH_TOKEN_LEN + 1], secret[AUTH_TOKEN_LEN + 1];
	struct auth_session s, s2;

	CHECK(claimed_state() == 0);
	CHECK(auth_session_create(ADDR, tok, &s) == 0);
	CHECK(auth_session_create(ADDR, other, &s2) == 0);
	CHECK(auth_token(api) == 0);
	CHECK(auth_notice_set(tok, "Token created.", api, 0, NULL) == 0);
	/* Not in the database in clear. */
	CHECK(sql_int("SELECT count(*) FROM sessions WHERE instr(notice_secret, "
	    "%Q) > 0 OR instr(notice, %Q) > 0", api, api) == 0);
	CHECK(auth_session_check(tok, &s) == 0);
	CHECK(s.has_notice_secret);
	/* The sealed bytes under another session's token do not open. */
	s2 = s;
	CHECK(auth_notice_take(other, &s2, secret) == CONN_ECRYPTO);
	CHECK(secret[0] == '\0');
	CHECK(auth_notice_set(tok, "Token created.", api, 0, NULL) == 0);
	CHECK(auth_session_check(tok, &s) == 0);
	CHECK(auth_notice_take(tok, &s, secret) == 0);
	CHECK(strcmp(secret, api) == 0);
	CHECK(sql_int("SELECT count(*) FROM sessions WHERE notice_secret IS "
	    "NOT NULL") == 0);
}

TEST(notice_bad_without_session)
{
	char tok[AUTH_TOKEN_LEN + 1];

	CHECK(claimed_state() == 0);
	CHECK(auth_token(tok) == 0);
	CHECK(auth_notice_set(tok, "Rotated.", NULL, 0, NULL) == CONN_ENOTFOUND);
	CHECK(auth_notice_set("not a token", "Rotated.", NULL, 0, NULL) ==
	    CONN_EINVAL);
}

TEST(notice_gone_with_session_end)
{
	char tok[AUTH_TOKEN_LEN + 1];
	struct auth_session s;

	CHECK(claimed_state() == 0);
	CHECK(auth_session_create(ADDR, tok, &s) == 0);
	CHECK(auth_notice_set(tok, "Rotated.", NULL, 0, NULL) == 0);
	CHECK(auth_session_end(tok) == 0);
	CHECK(sql_int("SELECT count(*) FROM sessions WHERE notice IS NOT "
	    "NULL") == 0);
}

int
main(void)
{
	char share[PATH_MAX];

	if (unit_tmp_root("test-auth", share, sizeof share) != 0)
		return 1;
	if (util_mkdirs(paths_get(PATH_LIB), 0700) != 0) {
		printf("FAIL setup: paths\n");
		unit_rm_rf(unit_tmp);
		return 1;
	}
	RUN(policy_bad_11_chars);
	RUN(policy_12_chars_ok);
	RUN(policy_128_chars_ok);
	RUN(policy_1024_bytes_ok);
	RUN(policy_bad_1025_bytes);
	RUN(policy_bad_empty);
	RUN(policy_bad_common_password);
	RUN(policy_bad_common_password_any_case);
	RUN(policy_common_prefix_ok);
	RUN(policy_bad_mismatch);
	RUN(policy_multibyte_counted_as_characters);
	RUN(policy_bad_multibyte_11_chars);
	RUN(hash_is_argon2id_with_current_parameters);
	RUN(hash_salted);
	RUN(verify_bad_wrong_password);
	RUN(verify_bad_not_argon2id);
	RUN(needs_rehash_weaker_memory);
	RUN(needs_rehash_weaker_time_or_version);
	RUN(login_rehashes_weak_hash);
	RUN(setup_code_format);
	RUN(setup_code_stored_only_as_hash);
	RUN(setup_code_new_codes_differ);
	RUN(setup_code_matches_case_and_dashes);
	RUN(setup_code_bad_wrong);
	RUN(claim_bad_wrong_code);
	RUN(claim_once_then_code_refused);
	RUN(claim_bad_no_new_code_after_claim);
	RUN(login_bad_unclaimed);
	RUN(login_success_and_failure_counting);
	RUN(login_lock_after_exactly_20_failures);
	RUN(login_locked_other_address_refused);
	RUN(login_success_resets_count_before_lock);
	RUN(login_reports_failures_since_last_sign_in);
	RUN(login_bad_wrong_password_reports_nothing);
	RUN(reauthenticate_keeps_failures_since_last_sign_in);
	RUN(reauthenticate_bad_wrong_password_counts_toward_lockout);
	RUN(reset_password_clears_recent_failures);
	RUN(reset_password_unlocks_and_ends_sessions);
	RUN(source_consecutive_grows_on_failure);
	RUN(source_success_resets_consecutive_keeps_total);
	RUN(source_other_addresses_unaffected);
	RUN(token_shape);
	RUN(token_valid_accepts_own_tokens);
	RUN(token_valid_bad_shapes);
	RUN(session_create_check_end);
	RUN(session_token_stored_only_as_hash);
	RUN(session_end_leaves_other_sessions);
	RUN(session_bad_malformed_token);
	RUN(session_bad_unknown_token);
	RUN(session_idle_under_30_min_ok);
	RUN(session_bad_idle_30_min);
	RUN(session_check_refreshes_last_seen);
	RUN(session_touch_at_most_once_a_minute);
	RUN(session_under_8_hours_ok);
	RUN(session_bad_absolute_8_hours);
	RUN(session_bad_created_in_future);
	RUN(session_create_purges_expired);
	RUN(api_token_create_check_revoke);
	RUN(api_token_stored_only_as_hash);
	RUN(api_token_bad_unknown_or_malformed);
	RUN(api_token_bad_not_counted_as_password_failure);
	RUN(api_token_bad_more_than_20);
	RUN(api_token_bad_empty_name);
	RUN(api_token_last_use_recorded);
	RUN(notice_taken_once);
	RUN(notice_secret_opens_with_its_session_only);
	RUN(notice_bad_without_session);
	RUN(notice_gone_with_session_end);
	db_close();
	unit_rm_rf(unit_tmp);
	UNIT_EXIT();
}
