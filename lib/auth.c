/*
 * auth.c — the console's one administrator: password policy and argon2id
 * hashing, the first-run setup code, login with the seed's lockout (20
 * consecutive failures lock the console until the password is reset from
 * the VM console) with per-address failure counts for the health pane, and
 * sessions whose tokens are stored only as SHA-256 hashes.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <argon2.h>
#include <openssl/evp.h>

#include "domain.h"

/* About 100 ms on the reference machine; above OWASP's m=19 MiB, t=2. */
#define A2_M_COST 32768
#define A2_T_COST 2
#define A2_LANES 1
#define A2_SALT 16
#define A2_HASH 32

/* The pad of a notice's sealed secret (SHA-512), at least AUTH_TOKEN_LEN. */
#define NOTICE_PAD 64

/* Refresh a session's last_seen at most this often (saves a write). */
#define TOUCH_EVERY 60

static const char code_alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/* Number of code points in a valid UTF-8 string. */
static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* 1 when pw (case-insensitively) is in the shipped common-password list. */
static int
is_common(const char *pw)
{
	char path[4200], line[256];
	size_t pl = strlen(pw);
	int found = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/common-passwords.txt",
	    paths_get(PATH_SHARE));
	if ((f = fopen(path, "re")) == NULL) {
		log_warn("no common-password list at %s", path);
		return 0;
	}
	while (!found && fgets(line, sizeof line, f) != NULL) {
		size_t n = strcspn(line, "\r\n");
		line[n] = '\0';
		if (line[0] == '#')
			continue;
		if (n == pl && strcasecmp(line, pw) == 0)
			found = 1;
	}
	util_wipe(line, sizeof line);
	fclose(f);
	return found;
}

/*
 * NULL when pw is an acceptable new password (and equals confirm, when
 * confirm is not NULL); otherwise a sentence telling the administrator
 * what to change.  No composition rules, only length and the common list.
 */
const char *
auth_password_problem(const char *pw, const char *confirm)
{
	if (pw == NULL || *pw == '\0')
		return "Enter a password.";
	if (utf8_chars(pw) < AUTH_PASSWORD_MIN)
		return "Use at least 12 characters; a few unrelated words "
		    "make a good password.";
	if (strlen(pw) > AUTH_PASSWORD_MAX)
		return "Use at most 1024 bytes.";
	if (confirm != NULL && strcmp(pw, confirm) != 0)
		return "The two passwords do not match; type the same "
		    "password twice.";
	if (is_common(pw))
		return "This password is one of the most common passwords; "
		    "choose another.";
	return NULL;
}

/* Hash pw with argon2id into its encoded (PHC) form. */
int
auth_hash_password(const char *pw, char *out, size_t outlen)
{
	unsigned char salt[A2_SALT];
	int rc;

	if (util_random(salt, sizeof salt))
		return CONN_EIO;
	rc = argon2id_hash_encoded(A2_T_COST, A2_M_COST, A2_LANES, pw,
	    strlen(pw), salt, sizeof salt, A2_HASH, out, outlen);
	if (rc != ARGON2_OK) {
		log_err("argon2: %s", argon2_error_message(rc));
		return CONN_ECRYPTO;
	}
	return 0;
}

/* 0 when pw matches the encoded hash, CONN_EDENIED otherwise. */
int
auth_verify_password(const char *encoded, const char *pw)
{
	if (encoded == NULL || strncmp(encoded, "$argon2id$", 10) != 0)
		return CONN_EDENIED;
	return argon2id_verify(encoded, pw, strlen(pw)) == ARGON2_OK ?
	    0 : CONN_EDENIED;
}

/* 1 when encoded was made with weaker parameters than today's. */
int
auth_needs_rehash(const char *encoded)
{
	unsigned v, m, t, p;

	if (sscanf(encoded, "$argon2id$v=%u$m=%u,t=%u,p=%u$", &v, &m, &t,
	    &p) != 4)
		return 1;
	return m < A2_M_COST || t < A2_T_COST || v < ARGON2_VERSION_NUMBER;
}

/* The administrator's row from a stepped DB_ADMIN_GET into out. */
static void
admin_row(sqlite3_stmt *st, struct auth_admin *out)
{
	const unsigned char *t;

	memset(out, 0, sizeof *out);
	out->claimed = sqlite3_column_int(st, 0);
	out->locked = sqlite3_column_int(st, 1);
	out->failed_count = sqlite3_column_int(st, 2);
	out->last_failure_at = sqlite3_column_int64(st, 3);
	out->locked_at = sqlite3_column_int64(st, 6);
	out->last_login_at = sqlite3_column_int64(st, 7);
	if ((t = sqlite3_column_text(st, 8)) != NULL)
		snprintf(out->last_login_addr, sizeof out->last_login_addr,
		    "%s", (const char *)t);
	out->password_changed_at = sqlite3_column_int64(st, 9);
	out->failures_began_at = sqlite3_column_int64(st, 10);
	if ((t = sqlite3_column_text(st, 11)) != NULL)
		snprintf(out->last_failure_addr, sizeof out->last_failure_addr,
		    "%s", (const char *)t);
}

/* Read the administrator's state. */
int
auth_admin_get(struct auth_admin *out)
{
	sqlite3_stmt *st = db_stmt(DB_ADMIN_GET);

	memset(out, 0, sizeof *out);
	if (st == NULL)
		return CONN_EDB;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return CONN_EDB;
	}
	admin_row(st, out);
	sqlite3_reset(st);
	return 0;
}

/* Upper-case the code and drop dashes and spaces; hash it. */
static int
code_hash(const char *code, char out[65])
{
	char norm[40];
	size_t n = 0;

	for (const char *p = code; *p && n < sizeof norm - 1; p++) {
		if (*p == '-' || *p == ' ')
			continue;
		norm[n++] = (char)toupper((unsigned char)*p);
	}
	norm[n] = '\0';
	if (n != 16)
		return CONN_EINVAL;
	return util_sha256_hex(norm, n, out);
}

/*
 * Make a new one-time setup code (80 bits, XXXX-XXXX-XXXX-XXXX) and store
 * its hash.  Only possible while the console is unclaimed.
 */
int
auth_new_setup_code(char code[AUTH_SETUP_CODE_LEN + 1])
{
	unsigned char rnd[16];
	char hash[65];
	sqlite3_stmt *st;
	size_t o = 0;
	int rc;

	if (util_random(rnd, sizeof rnd))
		return CONN_EIO;
	for (int i = 0; i < 16; i++) {
		if (i && i % 4 == 0)
			code[o++] = '-';
		code[o++] = code_alphabet[rnd[i] & 31];
	}
	code[o] = '\0';
	util_wipe(rnd, sizeof rnd);
	if ((rc = code_hash(code, hash)) != 0)
		return rc;
	if ((st = db_stmt(DB_ADMIN_SET_CODE)) == NULL)
		return CONN_EDB;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return CONN_EDB;
	return sqlite3_changes(db_handle()) == 1 ? 0 : CONN_ECONFLICT;
}

/* 1 when code is the stored, still unused setup code. */
int
auth_setup_code_matches(const char *code)
{
	sqlite3_stmt *st = db_stmt(DB_ADMIN_GET);
	char hash[65];
	int ok = 0;

	if (st == NULL || code_hash(code, hash) != 0)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 0 &&
	    sqlite3_column_text(st, 5) != NULL)
		ok = util_ct_equal((const char *)sqlite3_column_text(st, 5),
		    hash);
	sqlite3_reset(st);
	return ok;
}

/*
 * Claim the console: set the first password if code is the setup code.
 * One conditional UPDATE, so a code works exactly once even when two
 * claims race.  Returns 0, CONN_EDENIED (wrong or used code), or an error
 * of hashing (CONN_EIO, CONN_ECRYPTO) or of the database (CONN_EDB).
 */
int
auth_claim(const char *code, const char *pw)
{
	char hash[65], enc[256];
	sqlite3_stmt *st;
	int rc;

	if (code_hash(code, hash) != 0 || !auth_setup_code_matches(code))
		return CONN_EDENIED;
	if ((rc = auth_hash_password(pw, enc, sizeof enc)) != 0)
		return rc;
	if ((st = db_stmt(DB_ADMIN_CLAIM)) == NULL)
		return CONN_EDB;
	sqlite3_bind_text(st, 1, enc, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, util_now());
	sqlite3_bind_text(st, 3, hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return CONN_EDB;
	return sqlite3_changes(db_handle()) == 1 ? 0 : CONN_EDENIED;
}

/* Count a failure for the console and for addr. */
static int
login_failed(const char *addr)
{
	sqlite3_stmt *st;
	time_t now = util_now();
	int locked = 0, counted = 0, rc;

	if ((st = db_stmt(DB_ADMIN_FAIL)) == NULL)
		return CONN_EDB;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int(st, 2, AUTH_LOCK_AFTER);
	sqlite3_bind_text(st, 3, addr, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		counted = 1;
		locked = sqlite3_column_int(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return CONN_EDB;
	if ((st = db_stmt(DB_SOURCE_FAIL)) == NULL)
		return CONN_EDB;
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return CONN_EDB;
	if (locked)
		log_warn("console locked after %d failed logins",
		    AUTH_LOCK_AFTER);
	return !counted || locked ? CONN_ELOCKED : CONN_EDENIED;
}

/* Run one statement that returns no rows; 0 or CONN_EDB. */
static int
step_done(sqlite3_stmt *st)
{
	int rc;

	if (st == NULL)
		return CONN_EDB;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : CONN_EDB;
}

/*
 * Record a successful sign-in from addr in one transaction: the failure
 * counts start again, and before (when not NULL) receives the state as it
 * stood just before, so the failures since the last sign-in are exactly
 * those this sign-in ends.  CONN_ELOCKED when the console was locked
 * meanwhile by concurrent failures.
 */
static int
login_succeeded(const char *addr, struct auth_admin *before)
{
	struct auth_admin was;
	sqlite3_stmt *st;
	int rc;

	if (db_begin())
		return CONN_EDB;
	rc = CONN_EDB;
	if ((st = db_stmt(DB_ADMIN_GET)) == NULL)
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		goto out;
	}
	admin_row(st, &was);
	sqlite3_reset(st);
	if (was.locked) {
		rc = CONN_ELOCKED;
		goto out;
	}
	if ((st = db_stmt(DB_ADMIN_SUCCESS)) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, util_now());
	sqlite3_bind_text(st, 2, addr, -1, SQLITE_STATIC);
	if (step_done(st) != 0)
		goto out;
	if ((st = db_stmt(DB_SOURCE_CLEAR)) == NULL)
		goto out;
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	if (step_done(st) != 0 || step_done(db_stmt(DB_SOURCES_SIGNED_IN)) != 0)
		goto out;
	rc = db_commit();
out:
	if (rc)
		db_rollback();
	else if (before)
		*before = was;
	return rc;
}

/*
 * Check pw against the administrator's password for addr: 0 with *enc the
 * stored hash (the caller frees it), or CONN_EDENIED (wrong, and counted
 * for the console and for addr as a failed sign-in), CONN_ELOCKED (locked:
 * the right password is refused too) or CONN_EDB.
 */
static int
password_right(const char *pw, const char *addr, char **enc)
{
	sqlite3_stmt *st;
	int locked;

	*enc = NULL;
	if ((st = db_stmt(DB_ADMIN_GET)) == NULL)
		return CONN_EDB;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return CONN_EDB;
	}
	locked = sqlite3_column_int(st, 1);
	if (sqlite3_column_text(st, 4) != NULL)
		*enc = strdup((const char *)sqlite3_column_text(st, 4));
	sqlite3_reset(st);
	if (*enc == NULL)
		return CONN_EDENIED;
	if (!locked && auth_verify_password(*enc, pw) == 0)
		return 0;
	free(*enc);
	*enc = NULL;
	return locked ? CONN_ELOCKED : login_failed(addr);
}

/*
 * Check the administrator's password for a login from addr.  Returns 0,
 * CONN_EDENIED (wrong password, counted for the console and for addr),
 * CONN_ELOCKED (console locked: the right password is refused too) or
 * CONN_EDB.  On success, before (when not NULL) receives the
 * administrator's state just before this sign-in: failed_count failures
 * since the last sign-in or password reset, the last from
 * last_failure_addr at last_failure_at.
 */
int
auth_login_report(const char *pw, const char *addr, struct auth_admin *before)
{
	sqlite3_stmt *st;
	char *enc = NULL;
	int rc;

	if ((rc = password_right(pw, addr, &enc)) != 0)
		return rc;
	if ((rc = login_succeeded(addr, before)) != 0)
		goto out;
	if (auth_needs_rehash(enc)) {
		char fresh[256];
		if (auth_hash_password(pw, fresh, sizeof fresh) == 0 &&
		    (st = db_stmt(DB_ADMIN_REHASH)) != NULL) {
			sqlite3_bind_text(st, 1, fresh, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, enc, -1, SQLITE_STATIC);
			sqlite3_step(st);
			sqlite3_reset(st);
			log_info("password re-hashed with current parameters");
		}
		util_wipe(fresh, sizeof fresh);
	}
	rc = 0;
out:
	free(enc);
	return rc;
}

/* auth_login_report without the state before. */
int
auth_login(const char *pw, const char *addr)
{
	return auth_login_report(pw, addr, NULL);
}

/*
 * Check the password again inside a signed-in session, before an action
 * that asks for it (rotating the encryption key).  Not a sign-in: the
 * right password changes nothing, so the failed attempts since the last
 * sign-in stay recorded for the Dashboard Login item and the warning at
 * the next sign-in; a wrong one counts toward the lockout as a failed
 * sign-in does.  Returns 0, CONN_EDENIED, CONN_ELOCKED or CONN_EDB.
 */
int
auth_reauthenticate(const char *pw, const char *addr)
{
	char *enc = NULL;
	int rc;

	rc = password_right(pw, addr, &enc);
	free(enc);
	return rc;
}

/*
 * Set a new password from the VM console: clears the lockout and the
 * failure counts and ends every session, in one transaction.
 */
int
auth_reset_password(const char *pw)
{
	char enc[256];
	sqlite3_stmt *st;
	int rc;

	if ((rc = auth_hash_password(pw, enc, sizeof enc)) != 0)
		return rc;
	if (db_begin())
		return CONN_EDB;
	rc = CONN_EDB;
	if ((st = db_stmt(DB_ADMIN_SET_PASSWORD)) == NULL)
		goto out;
	sqlite3_bind_text(st, 1, enc, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, util_now());
	if (sqlite3_step(st) != SQLITE_DONE)
		goto out;
	if ((st = db_stmt(DB_SESSION_DELETE_ALL)) == NULL ||
	    sqlite3_step(st) != SQLITE_DONE)
		goto out;
	if ((st = db_stmt(DB_SOURCES_RESET)) == NULL ||
	    sqlite3_step(st) != SQLITE_DONE)
		goto out;
	rc = db_commit();
out:
	if (rc)
		db_rollback();
	return rc;
}

/* A fresh 256-bit token from the OS CSPRNG, base64url. */
int
auth_token(char out[AUTH_TOKEN_LEN + 1])
{
	unsigned char rnd[AUTH_TOKEN_BYTES];

	if (util_random(rnd, sizeof rnd))
		return CONN_EIO;
	util_b64url(rnd, sizeof rnd, out);
	util_wipe(rnd, sizeof rnd);
	return 0;
}

/* 1 when s looks like one of our tokens (43 base64url characters). */
int
auth_token_valid(const char *s)
{
	if (s == NULL || strlen(s) != AUTH_TOKEN_LEN)
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_") == AUTH_TOKEN_LEN;
}

/*
 * Start a session for addr: token receives the cookie value (only its
 * hash is stored).  Expired sessions are purged on the way.
 */
int
auth_session_create(const char *addr, char token[AUTH_TOKEN_LEN + 1],
    struct auth_session *out)
{
	time_t now = util_now();
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof *out);
	if (auth_token(token) || auth_token(out->csrf) ||
	    util_sha256_hex(token, AUTH_TOKEN_LEN, out->token_hash))
		return CONN_EIO;
	if ((st = db_stmt(DB_SESSION_PURGE)) != NULL) {
		sqlite3_bind_int64(st, 1, now - AUTH_IDLE_SECONDS);
		sqlite3_bind_int64(st, 2, now - AUTH_ABSOLUTE_SECONDS);
		sqlite3_step(st);
		sqlite3_reset(st);
	}
	if ((st = db_stmt(DB_SESSION_INSERT)) == NULL)
		return CONN_EDB;
	sqlite3_bind_text(st, 1, out->token_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, out->csrf, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_text(st, 4, addr, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return CONN_EDB;
	out->created_at = out->last_seen = now;
	return 0;
}

/*
 * Look up the session of a cookie token.  Returns 0 and fills out, or
 * CONN_EDENIED when the token is unknown, malformed or expired (an expired
 * session is deleted), or CONN_EDB.
 */
int
auth_session_check(const char *token, struct auth_session *out)
{
	time_t now = util_now();
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof *out);
	if (!auth_token_valid(token))
		return CONN_EDENIED;
	if (util_sha256_hex(token, AUTH_TOKEN_LEN, out->token_hash))
		return CONN_ECRYPTO;
	if ((st = db_stmt(DB_SESSION_GET)) == NULL)
		return CONN_EDB;
	sqlite3_bind_text(st, 1, out->token_hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? CONN_EDENIED : CONN_EDB;
	}
	snprintf(out->csrf, sizeof out->csrf, "%s",
	    (const char *)sqlite3_column_text(st, 0));
	out->created_at = sqlite3_column_int64(st, 1);
	out->last_seen = sqlite3_column_int64(st, 2);
	if (sqlite3_column_type(st, 3) == SQLITE_TEXT) {
		out->has_notice = 1;
		snprintf(out->notice, sizeof out->notice, "%s",
		    (const char *)sqlite3_column_text(st, 3));
		out->notice_warning = sqlite3_column_int(st, 5) != 0;
		snprintf(out->notice_path, sizeof out->notice_path, "%s",
		    sqlite3_column_type(st, 6) == SQLITE_TEXT ?
		    (const char *)sqlite3_column_text(st, 6) : "");
	}
	if (sqlite3_column_bytes(st, 4) == (int)sizeof out->notice_sealed) {
		memcpy(out->notice_sealed, sqlite3_column_blob(st, 4),
		    sizeof out->notice_sealed);
		out->has_notice_secret = 1;
	}
	sqlite3_reset(st);
	if (now - out->last_seen >= AUTH_IDLE_SECONDS ||
	    now - out->created_at >= AUTH_ABSOLUTE_SECONDS ||
	    now < out->created_at - 300) {
		auth_session_end(token);
		return CONN_EDENIED;
	}
	if (now - out->last_seen >= TOUCH_EVERY) {
		if ((st = db_stmt(DB_SESSION_TOUCH)) == NULL)
			return CONN_EDB;
		sqlite3_bind_text(st, 1, out->token_hash, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, now);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return CONN_EDB;
		out->last_seen = now;
	}
	return 0;
}

/* End the session of a cookie token (no error when it does not exist). */
int
auth_session_end(const char *token)
{
	char hash[65];
	sqlite3_stmt *st;
	int rc;

	if (!auth_token_valid(token))
		return 0;
	if (util_sha256_hex(token, AUTH_TOKEN_LEN, hash))
		return CONN_ECRYPTO;
	if ((st = db_stmt(DB_SESSION_DELETE)) == NULL)
		return CONN_EDB;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : CONN_EDB;
}

/* ---- one-time notices ---- */

/*
 * The pad that seals a notice's secret: SHA-512 of a label, the nonce and
 * the session's cookie token (only its hash is stored, so the database
 * alone cannot open the seal).  A fresh nonce for every seal.
 */
static int
notice_pad(const char *token, const unsigned char *nonce,
    unsigned char pad[NOTICE_PAD])
{
	static const char label[] = "connector notice secret";
	EVP_MD_CTX *md;
	unsigned int n = 0;
	int rc = CONN_ECRYPTO;

	if ((md = EVP_MD_CTX_new()) == NULL)
		return CONN_ENOMEM;
	if (EVP_DigestInit_ex(md, EVP_sha512(), NULL) == 1 &&
	    EVP_DigestUpdate(md, label, sizeof label) == 1 &&
	    EVP_DigestUpdate(md, nonce, AUTH_NOTICE_NONCE) == 1 &&
	    EVP_DigestUpdate(md, token, strlen(token)) == 1 &&
	    EVP_DigestFinal_ex(md, pad, &n) == 1 && n == NOTICE_PAD)
		rc = 0;
	EVP_MD_CTX_free(md);
	return rc;
}

/*
 * Keep msg (copied; constant text chosen by the code) for the next page the
 * session of cookie token asks for, replacing any earlier notice.  secret,
 * when not NULL, is one of our 43-character tokens to show once with it;
 * it is stored sealed (see notice_pad); warning marks a notice of work
 * done only in part; path (NULL: any) is the page it is for, the others
 * leave it waiting.  Returns 0, CONN_EINVAL,
 * CONN_ENOTFOUND (no such session) or CONN_EDB.
 */
int
auth_notice_set(const char *token, const char *msg, const char *secret,
    int warning, const char *path)
{
	unsigned char sealed[AUTH_NOTICE_NONCE + AUTH_TOKEN_LEN];
	unsigned char pad[NOTICE_PAD];
	char hash[65];
	sqlite3_stmt *st;
	int rc;

	if (!auth_token_valid(token) || msg == NULL ||
	    strlen(msg) >= AUTH_NOTICE_MAX)
		return CONN_EINVAL;
	if (secret != NULL && !auth_token_valid(secret))
		return CONN_EINVAL;
	if (path != NULL && strlen(path) >= sizeof ((struct auth_session *)0)->
	    notice_path)
		return CONN_EINVAL;
	if (util_sha256_hex(token, AUTH_TOKEN_LEN, hash))
		return CONN_ECRYPTO;
	rc = CONN_EIO;
	if (secret != NULL) {
		if (util_random(sealed, AUTH_NOTICE_NONCE))
			goto out;
		if ((rc = notice_pad(token, sealed, pad)) != 0)
			goto out;
		for (size_t i = 0; i < AUTH_TOKEN_LEN; i++)
			sealed[AUTH_NOTICE_NONCE + i] =
			    (unsigned char)secret[i] ^ pad[i];
	}
	rc = CONN_EDB;
	if ((st = db_stmt(DB_SESSION_NOTICE_SET)) == NULL)
		goto out;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, msg, -1, SQLITE_STATIC);
	if (secret != NULL)
		sqlite3_bind_blob(st, 3, sealed, sizeof sealed, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 3);
	sqlite3_bind_int(st, 4, warning != 0);
	if (path != NULL)
		sqlite3_bind_text(st, 5, path, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 5);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		rc = CONN_EDB;
	else
		rc = sqlite3_changes(db_handle()) == 1 ? 0 : CONN_ENOTFOUND;
out:
	util_wipe(pad, sizeof pad);
	util_wipe(sealed, sizeof sealed);
	return rc;
}

/*
 * Take the notice that auth_session_check found in s for the session of
 * cookie token: it is removed from the database, so it is shown once.
 * secret receives the sealed secret, opened, or "" when there is none.
 * Returns 0 or CONN_EDB / CONN_ECRYPTO.
 */
int
auth_notice_take(const char *token, struct auth_session *s,
    char secret[AUTH_TOKEN_LEN + 1])
{
	unsigned char pad[NOTICE_PAD];
	sqlite3_stmt *st;
	int rc;

	secret[0] = '\0';
	if ((st = db_stmt(DB_SESSION_NOTICE_CLEAR)) == NULL)
		return CONN_EDB;
	sqlite3_bind_text(st, 1, s->token_hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return CONN_EDB;
	if (!s->has_notice_secret)
		return 0;
	rc = notice_pad(token, s->notice_sealed, pad);
	if (rc == 0) {
		for (size_t i = 0; i < AUTH_TOKEN_LEN; i++)
			secret[i] = (char)(s->notice_sealed[AUTH_NOTICE_NONCE +
			    i] ^ pad[i]);
		secret[AUTH_TOKEN_LEN] = '\0';
		if (!auth_token_valid(secret)) {	/* another session's seal */
			util_wipe(secret, AUTH_TOKEN_LEN + 1);
			rc = CONN_ECRYPTO;
		}
	}
	util_wipe(pad, sizeof pad);
	util_wipe(s->notice_sealed, sizeof s->notice_sealed);
	s->has_notice_secret = 0;
	return rc;
}

/* ---- read-only API tokens ---- */

/*
 * A new API token called name (1 to AUTH_API_NAME_MAX bytes, checked by the
 * caller's field table): token receives it, the only time it exists in
 * clear; only its SHA-256 is stored.  Returns 0, CONN_ETOOBIG when
 * AUTH_API_TOKENS_MAX already exist, CONN_EINVAL, CONN_EIO or CONN_EDB.
 */
int
auth_api_token_create(const char *name, char token[AUTH_TOKEN_LEN + 1])
{
	char hash[65];
	sqlite3_stmt *st;
	int rc, n;

	token[0] = '\0';
	if (name == NULL || *name == '\0' || strlen(name) > AUTH_API_NAME_MAX)
		return CONN_EINVAL;
	if ((st = db_stmt(DB_TOKEN_COUNT)) == NULL)
		return CONN_EDB;
	n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_reset(st);
	if (n < 0)
		return CONN_EDB;
	if (n >= AUTH_API_TOKENS_MAX)
		return CONN_ETOOBIG;
	if (auth_token(token))
		return CONN_EIO;
	rc = CONN_ECRYPTO;
	if (util_sha256_hex(token, AUTH_TOKEN_LEN, hash))
		goto out;
	rc = CONN_EDB;
	if ((st = db_stmt(DB_TOKEN_INSERT)) == NULL)
		goto out;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, util_now());
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : CONN_EDB;
	sqlite3_reset(st);
out:
	if (rc)
		util_wipe(token, AUTH_TOKEN_LEN + 1);
	return rc;
}

/*
 * Check an API token (the value of "Authorization: Bearer"): looked up by
 * its hash, so no comparison leaks its bytes.  Its last use is recorded at
 * most once a minute.  *id receives its id.  Returns 0, CONN_EDENIED
 * (malformed, unknown or revoked: never counted as a password failure) or
 * CONN_EDB.
 */
int
auth_api_token_check(const char *token, long long *id)
{
	time_t now = util_now();
	char hash[65];
	sqlite3_stmt *st;
	long long last;
	int rc;

	*id = 0;
	if (!auth_token_valid(token))
		return CONN_EDENIED;
	if (util_sha256_hex(token, AUTH_TOKEN_LEN, hash))
		return CONN_ECRYPTO;
	if ((st = db_stmt(DB_TOKEN_FIND)) == NULL)
		return CONN_EDB;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? CONN_EDENIED : CONN_EDB;
	}
	*id = sqlite3_column_int64(st, 0);
	last = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	if (now - last >= TOUCH_EVERY && (st = db_stmt(DB_TOKEN_TOUCH))) {
		sqlite3_bind_int64(st, 1, *id);
		sqlite3_bind_int64(st, 2, now);
		sqlite3_step(st);
		sqlite3_reset(st);
	}
	return 0;
}

/* Revoke the API token id.  Returns 0, CONN_ENOTFOUND or CONN_EDB. */
int
auth_api_token_revoke(long long id)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = db_stmt(DB_TOKEN_DELETE)) == NULL)
		return CONN_EDB;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return CONN_EDB;
	return sqlite3_changes(db_handle()) == 1 ? 0 : CONN_ENOTFOUND;
}

/*
 * Call cb with every API token (never the token itself: it is not kept),
 * oldest first; cb's non-zero return stops the walk and is returned.
 */
int
auth_api_tokens_each(int (*cb)(void *arg, const struct auth_api_token *t),
    void *arg)
{
	struct auth_api_token t;
	sqlite3_stmt *st;
	int rc = 0, step;

	if ((st = db_stmt(DB_TOKEN_LIST)) == NULL)
		return CONN_EDB;
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		t.id = sqlite3_column_int64(st, 0);
		snprintf(t.name, sizeof t.name, "%s",
		    (const char *)sqlite3_column_text(st, 1));
		t.created_at = sqlite3_column_int64(st, 2);
		t.last_used_at = sqlite3_column_int64(st, 3);
		rc = cb(arg, &t);
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = CONN_EDB;
	sqlite3_reset(st);
	return rc;
}
