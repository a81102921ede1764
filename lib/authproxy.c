/*
 * authproxy.c — the federation authentication proxy: its settings, and
 * what POST /authproxy/token does (docs/authproxy.md), in this order:
 *
 *   the settings (federation through the connector, a role, the
 *   connector registered) → size caps → the SigV4 signature, made with
 *   the AMP-connector key for this region and service "connector" →
 *   the signature not seen before → the body → the user is one the
 *   UserProvider enumerated (a name that is not is refused without its
 *   password going anywhere) → the per-user and per-source limits → SOAP
 *   Login to vCenter as that enumerated principal@domain, then Logout
 *   (the registration's vCenter, its pinned certificate) → STS AssumeRole
 *   on the configured role, with the session policy and the duration cap
 *   → credentials.
 *
 * Whatever stops a request, the caller gets one of four outcomes
 * (credentials, refused, rate limited, unavailable) and the real reason
 * goes to the audit log only.  The password is never logged; the copy
 * the body was parsed into is wiped once vCenter has seen it (the
 * parser's and the FastCGI library's own freed buffers are not).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "authproxy.h"
#include "userprovider.h"

#define SESSION_CHARS "abcdefghijklmnopqrstuvwxyz" \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+,.@-"

/* ---- settings ---- */

/* A setting into out ("" when unset); 0 or an error. */
static int
setting(const char *name, char *out, size_t outlen)
{
	int rc = db_setting_copy(name, out, outlen);

	return rc == CONN_ENOTFOUND ? 0 : rc;
}

/*
 * The proxy's settings into out: federation through the connector unless
 * SAML was chosen, the role and policy as stored, the duration cap
 * (AP_DURATION_DEFAULT when unset).  Returns 0 or an error.
 */
int
authproxy_config_get(struct authproxy_config *out)
{
	char mode[16], dur[16];
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = setting(AP_SET_MODE, mode, sizeof mode)) != 0 ||
	    (rc = setting(AP_SET_ROLE, out->role_arn,
	    sizeof out->role_arn)) != 0 ||
	    (rc = setting(AP_SET_POLICY, out->policy,
	    sizeof out->policy)) != 0 ||
	    (rc = setting(AP_SET_DURATION, dur, sizeof dur)) != 0)
		return rc;
	out->saml = strcmp(mode, AP_MODE_SAML) == 0;
	out->duration = dur[0] ? atoi(dur) : AP_DURATION_DEFAULT;
	if (out->duration < AP_DURATION_MIN || out->duration > AP_DURATION_MAX)
		out->duration = AP_DURATION_DEFAULT;
	return 0;
}

/* 1 when the len bytes at s are 1..max of [\w+=,.@-]. */
static int
iam_name(const char *s, size_t len, size_t max)
{
	if (len == 0 || len > max)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\0' || (strchr(SESSION_CHARS "=", s[i]) == NULL))
			return 0;
	return 1;
}

/*
 * 1 when arn is arn:aws:iam::<12 digits>:role/[path/]name: the path's
 * parts and the name (1 to 64) of [A-Za-z0-9_+=,.@-], at most AP_ROLE_MAX.
 */
int
authproxy_valid_role(const char *arn)
{
	/* The partitions whose STS the connector reaches at
	 * sts.REGION.amazonaws.com: AWS and AWS GovCloud (US). */
	static const char *const pre[] = { "arn:aws:iam::",
	    "arn:aws-us-gov:iam::" };
	const char *p = NULL, *slash;
	size_t n = strlen(arn);

	if (n > AP_ROLE_MAX)
		return 0;
	for (size_t i = 0; i < sizeof pre / sizeof pre[0] && !p; i++)
		if (strncmp(arn, pre[i], strlen(pre[i])) == 0)
			p = arn + strlen(pre[i]);
	if (p == NULL)
		return 0;
	for (int i = 0; i < 12; i++)
		if (!isdigit((unsigned char)p[i]))
			return 0;
	p += 12;
	if (strncmp(p, ":role/", 6) != 0)
		return 0;
	p += 6;
	while ((slash = strchr(p, '/')) != NULL) {
		if (!iam_name(p, (size_t)(slash - p), 512))
			return 0;
		p = slash + 1;
	}
	return iam_name(p, strlen(p), 64);
}

/* Say why in why; returns CONN_EINVAL. */
static int
say(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
say(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return CONN_EINVAL;
}

/*
 * The session policy typed as text, checked and packed: a JSON object
 * (no duplicate members) with a Statement, written compactly in ASCII
 * (other characters as \u escapes), at most AP_POLICY_MAX characters.
 * Returns 0 with out, or CONN_EINVAL with a sentence in why.
 */
int
authproxy_pack_policy(const char *text, char *out, size_t outlen, char *why,
    size_t whylen)
{
	json_error_t jerr;
	json_t *doc, *st, *ver;
	char *packed;
	size_t n;
	int rc = CONN_EINVAL;

	out[0] = '\0';
	if ((doc = json_loads(text, JSON_REJECT_DUPLICATES, &jerr)) == NULL)
		return say(why, whylen, "This is not valid JSON (line %d, "
		    "column %d). Paste the policy document as IAM shows it.",
		    jerr.line, jerr.column);
	if (!json_is_object(doc)) {
		say(why, whylen, "A policy is a JSON object: { \"Version\": "
		    "\"2012-10-17\", \"Statement\": [ ... ] }.");
		goto out;
	}
	st = json_object_get(doc, "Statement");
	ver = json_object_get(doc, "Version");
	if (st == NULL || !(json_is_array(st) || json_is_object(st))) {
		say(why, whylen, "The policy has no Statement: it would allow "
		    "nothing. Add the statements that limit what the portal's "
		    "users may do.");
		goto out;
	}
	if (ver != NULL && !json_is_string(ver)) {
		say(why, whylen, "The policy's Version must be a string, such "
		    "as \"2012-10-17\".");
		goto out;
	}
	packed = json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (packed == NULL) {
		rc = CONN_ENOMEM;
		goto out;
	}
	n = strlen(packed);
	if (n > AP_POLICY_MAX || n >= outlen)
		say(why, whylen, "The policy is %zu characters once written "
		    "without spaces; AWS takes at most %d. Shorten it, or put "
		    "the permissions in the role itself.", n, AP_POLICY_MAX);
	else {
		memcpy(out, packed, n + 1);
		rc = 0;
	}
	free(packed);
out:
	json_decref(doc);
	return rc;
}

/* Set or (value "") remove a setting. */
static int
put(const char *name, const char *value)
{
	return *value ? db_setting_set(name, value) : db_setting_delete(name);
}

/*
 * Check and store the Settings page's federation values: mode
 * "connector" or "saml"; role (required through the connector; NULL or
 * "" otherwise keeps none); policy as typed (NULL or "": none); duration
 * in seconds as typed.  Returns 0 (stored in one transaction), CONN_EINVAL
 * with a sentence per wrong field in p (nothing stored), or an error.
 */
int
authproxy_config_set(const char *mode, const char *role, const char *policy,
    const char *duration, struct ap_problems *p)
{
	char packed[AP_POLICY_MAX + 1], dur[16];
	int saml, bad = 0, rc;
	long d = 0;
	char *end;

	memset(p, 0, sizeof *p);
	role = role ? role : "";
	policy = policy ? policy : "";
	if (mode == NULL || (strcmp(mode, AP_MODE_CONNECTOR) != 0 &&
	    strcmp(mode, AP_MODE_SAML) != 0)) {
		snprintf(p->msg[AP_F_MODE], sizeof p->msg[0], "Choose how "
		    "portal users sign in: through the connector or with "
		    "SAML.");
		bad = 1;
	}
	saml = mode && strcmp(mode, AP_MODE_SAML) == 0;
	if (!saml && role[0] == '\0') {
		snprintf(p->msg[AP_F_ROLE], sizeof p->msg[0], "Enter the ARN "
		    "of the IAM role portal users get, such as "
		    "arn:aws:iam::123456789012:role/PortalUsers.");
		bad = 1;
	} else if (role[0] && !authproxy_valid_role(role)) {
		snprintf(p->msg[AP_F_ROLE], sizeof p->msg[0], "This is not a "
		    "role ARN: it is arn:aws:iam::, the 12-digit account, "
		    ":role/ and the role's name (with its path, if any), such "
		    "as arn:aws:iam::123456789012:role/PortalUsers.");
		bad = 1;
	}
	packed[0] = '\0';
	if (policy[strspn(policy, " \t\r\n")] != '\0' &&
	    (rc = authproxy_pack_policy(policy, packed, sizeof packed,
	    p->msg[AP_F_POLICY], sizeof p->msg[0])) != 0) {
		if (rc != CONN_EINVAL)
			return rc;
		bad = 1;
	}
	if (duration == NULL || *duration == '\0') {
		snprintf(p->msg[AP_F_DURATION], sizeof p->msg[0], "Enter how "
		    "long the credentials last, in seconds: %d (15 minutes) "
		    "to %d (12 hours).", AP_DURATION_MIN, AP_DURATION_MAX);
		bad = 1;
	} else {
		d = strtol(duration, &end, 10);
		if (*end || !isdigit((unsigned char)duration[0]) ||
		    d < AP_DURATION_MIN || d > AP_DURATION_MAX) {
			snprintf(p->msg[AP_F_DURATION], sizeof p->msg[0],
			    "Enter a number of seconds from %d (15 minutes) to "
			    "%d (12 hours).", AP_DURATION_MIN, AP_DURATION_MAX);
			bad = 1;
		}
	}
	if (bad)
		return CONN_EINVAL;
	snprintf(dur, sizeof dur, "%ld", d);
	if ((rc = db_begin()) != 0)
		return rc;
	if ((rc = db_setting_set(AP_SET_MODE, saml ? AP_MODE_SAML :
	    AP_MODE_CONNECTOR)) == 0 && (rc = put(AP_SET_ROLE, role)) == 0 &&
	    (rc = put(AP_SET_POLICY, packed)) == 0)
		rc = db_setting_set(AP_SET_DURATION, dur);
	if ((rc = db_end(rc)) != 0)
		log_err("authproxy: cannot store the federation settings");
	return rc;
}

/* ---- the request's body ---- */

/* 1 when s has no control character (C0, DEL, C1) and no non-character
 * XML cannot carry (U+FFFE, U+FFFF). */
static int
no_controls(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return 0;
		if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			return 0;
		if (*p == 0xef && p[1] == 0xbf && (p[2] == 0xbe || p[2] == 0xbf))
			return 0;
	}
	return 1;
}

/* Copy the string member name of o into out (1..max bytes, no control
 * characters); CONN_ENOTFOUND when absent, CONN_EINVAL. */
static int
text_member(json_t *o, const char *name, char *out, size_t max)
{
	json_t *v = json_object_get(o, name);
	const char *s;
	size_t n;

	if (v == NULL)
		return CONN_ENOTFOUND;
	if (!json_is_string(v))
		return CONN_EINVAL;
	s = json_string_value(v);
	n = json_string_length(v);
	if (n == 0 || n > max || strlen(s) != n || !no_controls(s))
		return CONN_EINVAL;
	memcpy(out, s, n + 1);
	return 0;
}

/* Wipe the string values of o (they may hold the password). */
static void
wipe_strings(json_t *o)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v)
		if (json_is_string(v))
			OPENSSL_cleanse((char *)json_string_value(v),
			    json_string_length(v));
}

/*
 * Read the request's body (docs/authproxy.md): a JSON object of
 * "username" and "password" (strings without control characters, at most
 * AP_USER_MAX and AP_PASSWORD_MAX bytes), and optionally "source_ip" (the
 * address of the person signing in, as the portal saw it: IPv4 or IPv6)
 * and "duration_seconds" (900..43200; the configured cap still applies);
 * no other member, none twice.  Returns 0 with out filled (wipe it with
 * authproxy_body_wipe), or CONN_EINVAL with a sentence in why that never
 * quotes the body.
 */
int
authproxy_read_body(const char *body, size_t len, struct ap_body *out,
    char *why, size_t whylen)
{
	static const char *const known[] = { "username", "password",
	    "source_ip", "duration_seconds" };
	unsigned char addr[sizeof(struct in6_addr)];
	json_error_t jerr;
	char ip[INET6_ADDRSTRLEN + 8];
	json_t *doc, *v;
	const char *k;
	int rc = CONN_EINVAL;

	memset(out, 0, sizeof *out);
	if (body == NULL || len == 0)
		return say(why, whylen, "the body is empty");
	doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL)
		return say(why, whylen, "the body is not one JSON object "
		    "(or a member is there twice)");
	if (!json_is_object(doc)) {
		say(why, whylen, "the body is not a JSON object");
		goto out;
	}
	json_object_foreach(doc, k, v) {
		size_t i;
		for (i = 0; i < sizeof known / sizeof known[0]; i++)
			if (strcmp(k, known[i]) == 0)
				break;
		if (i == sizeof known / sizeof known[0]) {
			say(why, whylen, "the body has a member the proxy does "
			    "not know");
			goto out;
		}
	}
	if ((rc = text_member(doc, "username", out->username,
	    AP_USER_MAX)) != 0) {
		say(why, whylen, rc == CONN_ENOTFOUND ? "the body has no "
		    "username" : "the username is not 1 to %d bytes of text",
		    AP_USER_MAX);
		rc = CONN_EINVAL;
		goto fail;
	}
	if ((rc = text_member(doc, "password", out->password,
	    AP_PASSWORD_MAX)) != 0) {
		say(why, whylen, rc == CONN_ENOTFOUND ? "the body has no "
		    "password" : "the password is not 1 to %d bytes of text",
		    AP_PASSWORD_MAX);
		rc = CONN_EINVAL;
		goto fail;
	}
	rc = text_member(doc, "source_ip", ip, sizeof ip - 1);
	if (rc == 0) {
		if (inet_pton(AF_INET, ip, addr) == 1)
			inet_ntop(AF_INET, addr, out->source,
			    sizeof out->source);
		else if (inet_pton(AF_INET6, ip, addr) == 1)
			inet_ntop(AF_INET6, addr, out->source,
			    sizeof out->source);
		else
			rc = CONN_EINVAL;
	}
	if (rc != 0 && rc != CONN_ENOTFOUND) {
		say(why, whylen, "the source_ip is not an IPv4 or IPv6 "
		    "address");
		rc = CONN_EINVAL;
		goto fail;
	}
	if ((v = json_object_get(doc, "duration_seconds")) != NULL) {
		json_int_t d = json_is_integer(v) ? json_integer_value(v) : 0;
		if (d < AP_DURATION_MIN || d > AP_DURATION_MAX) {
			say(why, whylen, "the duration_seconds is not a whole "
			    "number from %d to %d", AP_DURATION_MIN,
			    AP_DURATION_MAX);
			rc = CONN_EINVAL;
			goto fail;
		}
		out->duration = (int)d;
	}
	rc = 0;
	goto out;
fail:
	authproxy_body_wipe(out);
out:
	wipe_strings(doc);
	json_decref(doc);
	return rc;
}

void
authproxy_body_wipe(struct ap_body *b)
{
	OPENSSL_cleanse(b->password, sizeof b->password);
}

/* ---- user names ---- */

/*
 * The name an AWS session gets for a vCenter user (STS allows only
 * [\w+=,.@-], 2 to 64): "user@domain" in lower case ASCII.  When a
 * character had to be replaced (anything else, '=' included: it marks
 * the suffix) or the name cut to fit, or it is shorter than 2, the
 * readable part ('_' for each replaced character) is followed by '=' and
 * the first AP_SESSION_HASH hex digits of the SHA-256 of the full
 * lower-case name, so two users never share a name unnoticed.  Returns 0
 * or CONN_ECRYPTO.
 */
int
authproxy_session_name(const char *principal, const char *domain,
    char out[AP_SESSION_NAME_MAX + 1])
{
	struct buf full = { 0 };
	char readable[AP_SESSION_NAME_MAX * 4 + 8], hash[65];
	size_t n = 0, keep;
	int changed = 0;

	if (buf_adds(&full, principal) || (domain && *domain &&
	    (buf_adds(&full, "@") || buf_adds(&full, domain)))) {
		buf_free(&full);
		return CONN_ENOMEM;
	}
	for (size_t i = 0; i < full.len; i++)
		full.data[i] = (char)tolower((unsigned char)full.data[i]);
	for (size_t i = 0; i < full.len; i++) {
		unsigned char c = (unsigned char)full.data[i];
		if (n + 1 >= sizeof readable) {
			changed = 1;
			break;
		}
		if (c < 0x80 && c != '=' && strchr(SESSION_CHARS, c)) {
			readable[n++] = (char)c;
			continue;
		}
		changed = 1;
		readable[n++] = '_';
		/* One '_' for a whole UTF-8 character. */
		while (c >= 0x80 && i + 1 < full.len &&
		    ((unsigned char)full.data[i + 1] & 0xc0) == 0x80)
			i++;
	}
	readable[n] = '\0';
	if (!changed && n >= 2 && n <= AP_SESSION_NAME_MAX) {
		memcpy(out, readable, n + 1);
		buf_free(&full);
		return 0;
	}
	if (util_sha256_hex(full.data ? full.data : "", full.len, hash) != 0) {
		buf_free(&full);
		return CONN_ECRYPTO;
	}
	buf_free(&full);
	keep = AP_SESSION_NAME_MAX - 1 - AP_SESSION_HASH;
	if (n > keep)
		n = keep;
	snprintf(out, AP_SESSION_NAME_MAX + 1, "%.*s=%.*s", (int)n, readable,
	    AP_SESSION_HASH, hash);
	return 0;
}

/* ---- replays and limits ---- */

/*
 * Record that signature (64 hex) was accepted at now.  Returns 0 the first
 * time, CONN_ECONFLICT when it was seen before (a replay), or CONN_EDB.
 */
int
authproxy_signature_once(const char *signature, time_t now)
{
	char hash[65];
	sqlite3_stmt *st;
	int rc;

	if (util_sha256_hex(signature, strlen(signature), hash) != 0)
		return CONN_ECRYPTO;
	if (db_begin() != 0)
		return CONN_EDB;
	rc = CONN_EDB;
	if ((st = db_stmt(DB_AP_SIGNATURE_ONCE)) == NULL)
		goto out;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	if (sqlite3_step(st) != SQLITE_DONE)
		log_err("authproxy: cannot record a signature: %s",
		    sqlite3_errmsg(db_handle()));
	else
		rc = sqlite3_changes(db_handle()) == 1 ? 0 : CONN_ECONFLICT;
	sqlite3_reset(st);
out:
	if (rc == CONN_ECONFLICT) {
		db_rollback();
		return rc;
	}
	return db_end(rc);
}

/*
 * Count an attempt of user_key from source at now, unless the user (1 in
 * *which) or the source (2) already has its limit of failures within the
 * window.  Returns 0 with *id (for authproxy_attempt_end), CONN_ELOCKED
 * with *which, or CONN_EDB.
 */
int
authproxy_attempt_begin(const char *user_key, const char *source,
    time_t now, long long *id, int *which)
{
	sqlite3_stmt *st;
	int rc = CONN_EDB, step;

	*id = 0;
	*which = 0;
	if (db_begin() != 0)
		return CONN_EDB;
	if ((st = db_stmt(DB_AP_ATTEMPT_BEGIN)) == NULL)
		goto out;
	sqlite3_bind_text(st, 1, user_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)(now - AP_WINDOW));
	sqlite3_bind_int(st, 5, AP_USER_FAILURES);
	sqlite3_bind_int(st, 6, AP_SOURCE_FAILURES);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		step = sqlite3_step(st);
	}
	sqlite3_reset(st);
	if (step != SQLITE_DONE) {
		log_err("authproxy: cannot count an attempt: %s",
		    sqlite3_errmsg(db_handle()));
		goto out;
	}
	if (*id) {
		rc = 0;
		goto out;
	}
	/* Refused: which limit, for the audit log. */
	if ((st = db_stmt(DB_AP_ATTEMPT_COUNTS)) == NULL)
		goto out;
	sqlite3_bind_text(st, 1, user_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)(now - AP_WINDOW));
	if (sqlite3_step(st) == SQLITE_ROW)
		*which = sqlite3_column_int(st, 0) >= AP_USER_FAILURES ? 1 : 2;
	else
		*which = 1;
	sqlite3_reset(st);
	rc = CONN_ELOCKED;
out:
	if (rc == CONN_ELOCKED) {
		db_rollback();
		return rc;
	}
	return db_end(rc);
}

/*
 * End attempt id: a failure stays counted; a right password removes it
 * and the user's earlier failures; an attempt vCenter could not answer is
 * removed.  Returns 0 or CONN_EDB.
 */
int
authproxy_attempt_end(long long id, const char *user_key, enum ap_attempt how)
{
	sqlite3_stmt *st;
	int rc = CONN_EDB;

	if (how == AP_ATTEMPT_FAILED)
		return 0;
	if (db_begin() != 0)
		return CONN_EDB;
	st = db_stmt(how == AP_ATTEMPT_RIGHT ? DB_AP_ATTEMPTS_CLEAR_USER :
	    DB_AP_ATTEMPT_DELETE);
	if (st != NULL) {
		if (how == AP_ATTEMPT_RIGHT)
			sqlite3_bind_text(st, 1, user_key, -1, SQLITE_STATIC);
		else
			sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
		if (sqlite3_step(st) == SQLITE_DONE)
			rc = 0;
		else
			log_err("authproxy: cannot end an attempt: %s",
			    sqlite3_errmsg(db_handle()));
		sqlite3_reset(st);
	}
	return db_end(rc);
}

/*
 * Remove signatures past AP_SIGNATURE_RETENTION and attempts past the
 * limits' window (housekeeping): the numbers into *signatures and
 * *attempts.  Returns 0 or CONN_EDB.
 */
int
authproxy_prune(time_t now, int *signatures, int *attempts)
{
	sqlite3_stmt *st;
	int rc = CONN_EDB;

	*signatures = *attempts = 0;
	if (db_begin() != 0)
		return CONN_EDB;
	if ((st = db_stmt(DB_AP_SIGNATURES_PRUNE)) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)(now -
	    AP_SIGNATURE_RETENTION));
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	sqlite3_reset(st);
	*signatures = sqlite3_changes(db_handle());
	if ((st = db_stmt(DB_AP_ATTEMPTS_PRUNE)) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)(now - AP_WINDOW));
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	sqlite3_reset(st);
	*attempts = sqlite3_changes(db_handle());
	rc = 0;
	goto out;
fail:
	log_err("authproxy: cannot prune: %s", sqlite3_errmsg(db_handle()));
	sqlite3_reset(st);
out:
	return db_end(rc);
}

/* ---- the token ---- */

/* Set the outcome and the audit log's reason; returns nothing useful. */
static void
decide(struct ap_answer *a, enum ap_outcome o, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
decide(struct ap_answer *a, enum ap_outcome o, const char *fmt, ...)
{
	static const char *const words[] = {
		[AP_ISSUED] = "issued", [AP_REFUSED] = "refused",
		[AP_LIMITED] = "rate limited", [AP_UNAVAILABLE] = "failed",
	};
	char reason[sizeof a->audit - 32];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	a->outcome = o;
	snprintf(a->audit, sizeof a->audit, "authproxy: %s: %s", words[o],
	    reason);
	util_clean_text(a->audit);
}

/* The AMP-connector key as the verifier takes it; wipe secret. */
static int
portal_key(char *key_id, size_t idlen, char *region, size_t rlen,
    struct buf *secret)
{
	int rc;

	if ((rc = reg_value(REG_PORTAL_KEY_ID, 0, key_id, idlen)) != 0 ||
	    (rc = reg_value(REG_AWS_REGION, 0, region, rlen)) != 0)
		return rc;
	return reg_secret(REG_PORTAL_SECRET, 0, secret);
}

/*
 * Sign in to the registration's vCenter as user with password, then out.
 * Returns 0, CONN_EDENIED (vCenter refused the credentials: *why says how)
 * or CONN_EIO (vCenter not reached or not answering as one: *why).
 */
static int
vcenter_check(const char *user, const char *password, const char **why)
{
	char host[SYNTAX_HOST_MAX + 1], port[8];
	struct vsphere_error err, lerr;
	struct reg_net n;
	struct vsphere vs;
	int rc;

	*why = "vCenter not reached";
	reg_value(REG_VC_HOST, 0, host, sizeof host);
	reg_value(REG_VC_PORT, 0, port, sizeof port);
	if (host[0] == '\0' || reg_net_load(&n, 0, 0) != 0)
		return CONN_EIO;
	if (vsphere_init(&vs, host, atoi(port), &n.opts) != 0) {
		reg_net_wipe(&n);
		return CONN_EIO;
	}
	memset(&err, 0, sizeof err);
	rc = vsphere_connect(&vs, &err);
	if (rc == 0) {
		rc = vsphere_login(&vs, user, password, &err);
		if (rc == 0 && vsphere_logout(&vs, &lerr) != 0)
			log_warn("authproxy: the vCenter session of a checked "
			    "user did not end; vCenter ends it when it idles");
	}
	vsphere_free(&vs);
	reg_net_wipe(&n);
	if (rc == 0)
		return 0;
	if (err.kind == VSPHERE_E_NONE) {
		/* Refused before anything was sent: not text a SOAP call
		 * can carry. */
		*why = "the user name or password is not text vCenter takes";
		return CONN_EDENIED;
	}
	if (err.kind == VSPHERE_E_FAULT && (err.fault ==
	    VSPHERE_FAULT_INVALID_LOGIN || err.fault ==
	    VSPHERE_FAULT_NO_PERMISSION)) {
		*why = err.fault == VSPHERE_FAULT_INVALID_LOGIN ? "vCenter "
		    "refused the user name or password" : "vCenter refused "
		    "this user the sign-in";
		return CONN_EDENIED;
	}
	if (err.kind == VSPHERE_E_TRANSPORT && err.http.kind == HTTP_ETLS &&
	    err.http.cause == HTTP_C_PIN)
		*why = "vCenter's certificate is no longer the pinned one";
	else if (err.kind == VSPHERE_E_TRANSPORT)
		*why = "vCenter not reached";
	else
		*why = "vCenter did not answer as a vCenter does";
	return CONN_EIO;
}

/*
 * AssumeRole on cfg's role as session, for duration seconds, with cfg's
 * policy, with the registration's AWS credentials.  Returns 0 with out,
 * or an error with why (constant text) and code (the service's code, or
 * "").
 */
static int
assume(const struct authproxy_config *cfg, const char *session, int duration,
    struct aws_credentials *out, const char **why, char *code,
    size_t codelen)
{
	char region[32], key_id[130];
	struct buf secret = { 0 }, token = { 0 };
	struct aws_error err;
	struct reg_net n;
	struct aws a;
	int rc;

	*why = "the registration's AWS credentials could not be read";
	code[0] = '\0';
	if (reg_value(REG_AWS_REGION, 0, region, sizeof region) != 0 ||
	    reg_value(REG_AWS_KEY_ID, 0, key_id, sizeof key_id) != 0 ||
	    reg_secret(REG_AWS_SECRET, 0, &secret) != 0 ||
	    ((rc = reg_secret(REG_AWS_TOKEN, 0, &token)) != 0 &&
	    rc != CONN_ENOTFOUND) || reg_net_load(&n, 0, 1) != 0) {
		buf_free(&secret);
		buf_free(&token);
		return CONN_EIO;
	}
	if ((rc = aws_init(&a, region, NULL, &n.opts)) != 0) {
		*why = "the AWS endpoint is not usable";
		goto out_net;
	}
	if ((rc = aws_set_credentials(&a, key_id, secret.data ? secret.data :
	    "", token.data)) != 0)
		goto out;
	memset(&err, 0, sizeof err);
	rc = aws_assume_role(&a, cfg->role_arn, session, duration,
	    cfg->policy[0] ? cfg->policy : NULL, out, &err);
	if (rc != 0) {
		*why = err.kind == AWS_E_SERVICE ? "AWS refused AssumeRole" :
		    err.kind == AWS_E_TRANSPORT ? "AWS STS not reached" :
		    "AWS STS did not answer as STS does";
		if (err.kind == AWS_E_SERVICE)
			util_copy_text(code, codelen, err.code_name);
	}
out:
	aws_free(&a);
out_net:
	reg_net_wipe(&n);
	buf_free(&secret);
	buf_free(&token);
	return rc;
}

/* The user part of a typed name in lower case: the limits' key. */
static void
user_key(const char *typed, char *out, size_t outlen)
{
	char d[AP_USER_MAX + 1];

	if (userprovider_split(typed, d, sizeof d, out, outlen) != 0)
		snprintf(out, outlen, "%s", typed);
	for (char *p = out; *p; p++)
		*p = (char)tolower((unsigned char)*p);
}

/* "vcenter:NAME" for the audit log's user: the session-name form. */
static void
user_label(struct ap_answer *a, const char *principal, const char *domain)
{
	char name[AP_SESSION_NAME_MAX + 1];

	if (authproxy_session_name(principal, domain, name) == 0)
		snprintf(a->user, sizeof a->user, "vcenter:%s", name);
}

/*
 * POST /authproxy/token: decide on rq (see the top of the file).  a gets
 * the outcome, the audit log's reason and user, and on AP_ISSUED the
 * credentials (the caller answers them, then wipes a->cred).
 */
void
authproxy_token(const struct ap_request *rq, struct ap_answer *a)
{
	char key_id[130], region[32], domain[AP_USER_MAX + 1];
	char principal[AP_USER_MAX + 1], ukey[2 * AP_USER_MAX + 2], why[160];
	char code[64], src[64], login[2 * AP_USER_MAX + 2];
	struct authproxy_config cfg;
	struct buf secret = { 0 };
	struct sigv4_result sr;
	struct sigv4_key key;
	struct ap_body body;
	const char *vwhy;
	time_t now = util_now();
	long long attempt;
	int rc, which, duration, found;

	memset(a, 0, sizeof *a);
	memset(&body, 0, sizeof body);
	if (authproxy_config_get(&cfg) != 0) {
		decide(a, AP_UNAVAILABLE, "the settings could not be read");
		return;
	}
	if (cfg.saml) {
		decide(a, AP_REFUSED, "federation is set to SAML: the proxy "
		    "is off");
		return;
	}
	if (!reg_registered()) {
		decide(a, AP_REFUSED, "the connector is not registered");
		return;
	}
	if (cfg.role_arn[0] == '\0') {
		decide(a, AP_REFUSED, "no IAM role is set on the Settings "
		    "page");
		return;
	}
	if (rq->over_cap) {
		decide(a, AP_REFUSED, "%s", rq->over_cap);
		return;
	}

	/* The signature: the AMP-connector key, this region, "connector". */
	if (portal_key(key_id, sizeof key_id, region, sizeof region,
	    &secret) != 0) {
		buf_free(&secret);
		decide(a, AP_UNAVAILABLE, "the AMP-connector key could not be "
		    "read");
		return;
	}
	key = (struct sigv4_key){ .key_id = key_id, .secret = secret.data ?
	    secret.data : "", .region = region, .service = AP_SERVICE };
	rc = sigv4_verify(rq->http, &key, now, &sr);
	buf_free(&secret);
	if (rc == CONN_EDENIED) {
		decide(a, AP_REFUSED, "%s (%s)", sigv4_why_string(sr.why),
		    sr.detail);
		return;
	}
	if (rc != 0) {
		decide(a, AP_UNAVAILABLE, "the signature could not be checked");
		return;
	}
	rc = authproxy_signature_once(sr.signature, now);
	if (rc == CONN_ECONFLICT) {
		decide(a, AP_REFUSED, "replayed: this signature was accepted "
		    "before");
		return;
	}
	if (rc != 0) {
		decide(a, AP_UNAVAILABLE, "the signature could not be recorded");
		return;
	}

	/* The body, now that the portal is known to have sent it. */
	if (authproxy_read_body(rq->http->body, rq->http->body_len, &body,
	    why, sizeof why) != 0) {
		decide(a, AP_REFUSED, "%s", why);
		return;
	}
	/*
	 * Who the name is, before any password leaves: only a user the
	 * UserProvider enumerated is ever signed in to vCenter, and always as
	 * that row's principal@domain, so the password vCenter checks and
	 * the identity credentials are issued for are one account.
	 */
	snprintf(src, sizeof src, "%s", body.source);
	found = userprovider_find_user(body.username, domain, sizeof domain,
	    principal, sizeof principal);
	if (found == 0) {
		user_label(a, principal, domain);
		if (domain[0] == '\0')
			snprintf(login, sizeof login, "%s", principal);
		else if (strchr(domain, '.'))
			snprintf(login, sizeof login, "%s@%s", principal,
			    domain);
		else
			snprintf(login, sizeof login, "%s\\%s", domain,
			    principal);
		snprintf(ukey, sizeof ukey, "%s", login);
		for (char *p = ukey; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	} else {
		if (userprovider_split(body.username, domain, sizeof domain,
		    principal, sizeof principal) == 0)
			user_label(a, principal, domain);
		user_key(body.username, ukey, sizeof ukey);
	}

	/* The limits, before vCenter is asked. */
	rc = authproxy_attempt_begin(ukey, src, now, &attempt, &which);
	if (rc == CONN_ELOCKED) {
		decide(a, AP_LIMITED, which == 1 ? "%d failed attempts for "
		    "this user within %d minutes%s%s" : "%d failed attempts "
		    "from this source within %d minutes%s%s", which == 1 ?
		    AP_USER_FAILURES : AP_SOURCE_FAILURES, AP_WINDOW / 60,
		    body.source[0] ? "; source " : "", body.source);
		goto out;
	}
	if (rc != 0) {
		decide(a, AP_UNAVAILABLE, "the attempt could not be counted");
		goto out;
	}
	if (found == CONN_ENOTFOUND || found == CONN_ECONFLICT) {
		authproxy_attempt_end(attempt, ukey, AP_ATTEMPT_FAILED);
		decide(a, AP_REFUSED, found == CONN_ENOTFOUND ? "not an "
		    "enumerated vCenter user (vCenter was not asked)%s%s" :
		    "the name is a user of several domains: sign in as "
		    "user@domain%s%s", body.source[0] ? "; source " : "",
		    body.source);
		goto out;
	}
	if (found != 0) {
		authproxy_attempt_end(attempt, ukey, AP_ATTEMPT_NOT_ASKED);
		decide(a, AP_UNAVAILABLE, "the enumerated users could not be "
		    "read");
		goto out;
	}

	/* vCenter: the password of that account. */
	rc = vcenter_check(login, body.password, &vwhy);
	authproxy_body_wipe(&body);
	if (rc != 0) {
		authproxy_attempt_end(attempt, ukey, rc == CONN_EDENIED ?
		    AP_ATTEMPT_FAILED : AP_ATTEMPT_NOT_ASKED);
		decide(a, rc == CONN_EDENIED ? AP_REFUSED : AP_UNAVAILABLE,
		    "%s%s%s", vwhy, body.source[0] ? "; source " : "",
		    body.source);
		if (rc != CONN_EDENIED)
			log_warn("authproxy: %s", vwhy);
		goto out;
	}
	authproxy_attempt_end(attempt, ukey, AP_ATTEMPT_RIGHT);
	if (authproxy_session_name(principal, domain, a->session_name) != 0) {
		decide(a, AP_UNAVAILABLE, "no session name");
		goto out;
	}
	snprintf(a->user, sizeof a->user, "vcenter:%s", a->session_name);

	/* AWS: the role, the policy, the capped duration. */
	duration = body.duration && body.duration < cfg.duration ?
	    body.duration : cfg.duration;
	rc = assume(&cfg, a->session_name, duration, &a->cred, &vwhy, code,
	    sizeof code);
	if (rc != 0) {
		char at[24];

		util_wipe(&a->cred, sizeof a->cred);
		log_warn("authproxy: %s%s%s", vwhy, code[0] ? ": " : "",
		    code);
		/* The health item asks AWS itself at its next run.  The
		 * later time is kept: two requests failing at once cannot
		 * move it back. */
		snprintf(at, sizeof at, "%lld", (long long)util_now());
		if (db_setting_set_max(AP_SET_ASSUME_FAILED_AT, at) != 0)
			log_err("authproxy: cannot record the failure for the "
			    "health check");
		decide(a, AP_UNAVAILABLE, "%s%s%s", vwhy, code[0] ? ": " : "",
		    code);
		goto out;
	}
	decide(a, AP_ISSUED, "credentials for %d s%s%s", duration,
	    body.source[0] ? "; source " : "", body.source);
out:
	authproxy_body_wipe(&body);
}
