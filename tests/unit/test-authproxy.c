/*
 * test-authproxy.c — the authentication proxy's parts below the request:
 * the session names (readable when they can be, marked and hashed when a
 * character was replaced or the name cut, never the same for two users),
 * user names as typed, the role ARN and session policy checks, the
 * federation settings (stored together or not at all), the request body
 * (every member right, missing, mistyped, too long, with control
 * characters; unknown and repeated members; not JSON), the enumerated-user
 * lookup, the replay table, and the per-user and per-source limits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/authproxy.h"
#include "../../lib/userprovider.h"
#include "unit.h"

static char share[PATH_MAX];

static int
name_is(const char *principal, const char *domain, const char *want)
{
	char out[AP_SESSION_NAME_MAX + 1];

	if (authproxy_session_name(principal, domain, out) != 0)
		return 0;
	if (strcmp(out, want) != 0)
		printf("# session name %s\n", out);
	return strcmp(out, want) == 0;
}

/* The session name of principal@domain, into out. */
static const char *
sname(const char *principal, const char *domain,
    char out[AP_SESSION_NAME_MAX + 1])
{
	if (authproxy_session_name(principal, domain, out) != 0)
		snprintf(out, AP_SESSION_NAME_MAX + 1, "(failed)");
	return out;
}

/* 1 when s ends in '=' and AP_SESSION_HASH hex digits. */
static int
hashed(const char *s)
{
	size_t n = strlen(s);

	return n > AP_SESSION_HASH && s[n - AP_SESSION_HASH - 1] == '=' &&
	    strspn(s + n - AP_SESSION_HASH, "0123456789abcdef") ==
	    AP_SESSION_HASH;
}

/* ---- session names ---- */

TEST(session_name_readable_user_at_domain)
{
	CHECK(name_is("user1", "vsphere.local", "user1@vsphere.local"));
	CHECK(name_is("Alice", "CORP.Example", "alice@corp.example"));
	CHECK(name_is("j.doe-2", "corp", "j.doe-2@corp"));
	CHECK(name_is("svc+portal", "", "svc+portal"));
}

TEST(session_name_odd_characters_marked_and_hashed)
{
	char a[AP_SESSION_NAME_MAX + 1], b[AP_SESSION_NAME_MAX + 1];

	sname("J\xc3\xb6rg M\xc3\xbcller", "corp", a);
	CHECK(hashed(a));
	CHECK(strncmp(a, "j_rg_m_ller@corp=", 17) == 0);
	/* a name that reads the same keeps apart by its hash */
	sname("j_rg_m_ller", "corp", b);
	CHECK(strcmp(b, "j_rg_m_ller@corp") == 0);
	CHECK(strcmp(a, b) != 0);
	sname("a b", "x", a);
	sname("a/b", "x", b);
	CHECK(hashed(a) && hashed(b));
	CHECK(strcmp(a, b) != 0);
}

TEST(session_name_equals_sign_always_hashed)
{
	char a[AP_SESSION_NAME_MAX + 1], b[AP_SESSION_NAME_MAX + 1];

	/* '=' marks the hash: a name with one cannot pose as another's. */
	sname("a=b", "x", a);
	CHECK(hashed(a));
	CHECK(strncmp(a, "a_b@x=", 6) == 0);
	sname("a_b", "x", b);
	CHECK(strcmp(b, "a_b@x") == 0);
}

TEST(session_name_long_cut_and_hashed)
{
	char a[AP_SESSION_NAME_MAX + 1], b[AP_SESSION_NAME_MAX + 1];
	char u1[200], u2[200];

	memset(u1, 'u', sizeof u1 - 1);
	u1[sizeof u1 - 1] = '\0';
	memcpy(u2, u1, sizeof u2);
	u2[150] = 'v';
	sname(u1, "corp.example", a);
	sname(u2, "corp.example", b);
	CHECK(strlen(a) == AP_SESSION_NAME_MAX && hashed(a));
	CHECK(strlen(b) == AP_SESSION_NAME_MAX && hashed(b));
	CHECK(strcmp(a, b) != 0);
	CHECK(strncmp(a, b, AP_SESSION_NAME_MAX - AP_SESSION_HASH - 1) == 0);
	/* exactly 64 fits as it is */
	memset(u1, 'w', 64);
	u1[64] = '\0';
	sname(u1, "", a);
	CHECK(strcmp(a, u1) == 0);
}

TEST(session_name_too_short_hashed)
{
	char a[AP_SESSION_NAME_MAX + 1];

	sname("a", "", a);
	CHECK(hashed(a) && a[0] == 'a' && a[1] == '=');
}

TEST(session_name_same_user_any_case_same_name)
{
	char a[AP_SESSION_NAME_MAX + 1], b[AP_SESSION_NAME_MAX + 1];

	CHECK(strcmp(sname("USER1", "VSPHERE.LOCAL", a),
	    sname("user1", "vsphere.local", b)) == 0);
}

/* ---- user names as typed ---- */

static int
split_is(const char *typed, const char *d, const char *u)
{
	char dd[64], uu[64];

	return userprovider_split(typed, dd, sizeof dd, uu, sizeof uu) ==
	    0 && strcmp(dd, d) == 0 && strcmp(uu, u) == 0;
}

TEST(split_user_three_forms)
{
	CHECK(split_is("CORP\\alice", "CORP", "alice"));
	CHECK(split_is("alice@corp.example", "corp.example", "alice"));
	CHECK(split_is("alice", "", "alice"));
	CHECK(split_is("a@b@c", "c", "a@b"));
}

TEST(split_user_bad_empty_parts)
{
	static const char *const bad[] = { "", "\\alice", "CORP\\", "alice@",
	    "@corp" };
	char d[64], u[64];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(userprovider_split(bad[i], d, sizeof d, u,
		    sizeof u) != 0);
	CHECK(userprovider_split("averyveryveryverylongname@x", d, sizeof d,
	    u, 8) != 0);
}

/* ---- the role and the policy ---- */

TEST(role_arn_good)
{
	CHECK(authproxy_valid_role("arn:aws:iam::123456789012:role/Portal"));
	CHECK(authproxy_valid_role("arn:aws:iam::123456789012:role/a/b/"
	    "Portal+Users=1,x.y@z-"));
	CHECK(authproxy_valid_role("arn:aws-us-gov:iam::123456789012:role/"
	    "Portal"));
}

TEST(role_arn_bad)
{
	static const char *const bad[] = {
		"", "arn:aws:iam::12345678901:role/Portal",
		"arn:aws:iam::1234567890123:role/Portal",
		"arn:aws:iam::12345678901a:role/Portal",
		"arn:aws-cn:iam::123456789012:role/Portal",
		"arn:aws-us-gov:iam:123456789012:role/Portal",
		"arn:aws-gov:iam::123456789012:role/Portal",
		"arn:aws:iam::123456789012:user/Portal",
		"arn:aws:iam::123456789012:role/",
		"arn:aws:iam::123456789012:role/a//b",
		"arn:aws:iam::123456789012:role/Portal/",
		"arn:aws:iam::123456789012:role/Por tal",
		"arn:aws:iam::123456789012:role/Portal\n",
		"arn:aws:iam::123456789012:role/<script>",
		" arn:aws:iam::123456789012:role/Portal",
		"arn:aws:iam::123456789012:role/"
		    "R12345678901234567890123456789012345678901234567890123456789"
		    "01234",
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(!authproxy_valid_role(bad[i]));
}

TEST(policy_packed_compact_ascii)
{
	char out[AP_POLICY_MAX + 1], why[300];

	CHECK(authproxy_pack_policy("{\n  \"Version\": \"2012-10-17\",\n"
	    "  \"Statement\": [ { \"Effect\": \"Allow\", \"Action\": \"ec2:*\","
	    " \"Resource\": \"*\", \"Sid\": \"caf\xc3\xa9\" } ]\n}", out,
	    sizeof out, why, sizeof why) == 0);
	CHECK(strcmp(out, "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect"
	    "\":\"Allow\",\"Action\":\"ec2:*\",\"Resource\":\"*\",\"Sid\":"
	    "\"caf\\u00E9\"}]}") == 0);
}

TEST(policy_bad_refused_with_reason)
{
	static const char *const bad[] = { "{", "[]", "\"x\"",
	    "{\"Version\":\"2012-10-17\"}",
	    "{\"Statement\":\"Allow\"}",
	    "{\"Statement\":[],\"Version\":2012}",
	    "{\"Statement\":[],\"Statement\":[]}",
	    "{\"Statement\":[]} trailing" };
	char out[AP_POLICY_MAX + 1], why[300];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why[0] = '\0';
		CHECK(authproxy_pack_policy(bad[i], out, sizeof out, why,
		    sizeof why) == CONN_EINVAL);
		CHECK(why[0] != '\0' && out[0] == '\0');
	}
}

TEST(policy_bad_over_2048_packed)
{
	struct buf b = { 0 };
	char out[AP_POLICY_MAX + 1], why[300];

	buf_adds(&b, "{\"Statement\": [");
	for (int i = 0; i < 60; i++)
		buf_addf(&b, "%s {\"Effect\": \"Allow\", \"Action\": \"s3:Get%d\"}",
		    i ? "," : "", i);
	buf_adds(&b, "]}");
	CHECK(authproxy_pack_policy(b.data, out, sizeof out, why,
	    sizeof why) == CONN_EINVAL);
	CHECK(strstr(why, "2048") != NULL);
	buf_free(&b);
}

/* ---- the federation settings ---- */

#define ROLE "arn:aws:iam::123456789012:role/PortalUsers"
#define POLICY "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"*\"}]}"

TEST(config_default_through_connector_no_role)
{
	struct authproxy_config cfg;

	CHECK(unit_fresh_store() == 0);
	CHECK(authproxy_config_get(&cfg) == 0);
	CHECK(!cfg.saml && cfg.role_arn[0] == '\0' && cfg.policy[0] == '\0');
	CHECK(cfg.duration == AP_DURATION_DEFAULT);
}

TEST(config_set_stores_all)
{
	struct authproxy_config cfg;
	struct ap_problems p;

	CHECK(unit_fresh_store() == 0);
	CHECK(authproxy_config_set("connector", ROLE, POLICY, "1800", &p) == 0);
	CHECK(authproxy_config_get(&cfg) == 0);
	CHECK(!cfg.saml && strcmp(cfg.role_arn, ROLE) == 0);
	CHECK(strcmp(cfg.policy, "{\"Statement\":[{\"Effect\":\"Allow\","
	    "\"Action\":\"*\"}]}") == 0);
	CHECK(cfg.duration == 1800);
	/* An empty policy removes it. */
	CHECK(authproxy_config_set("connector", ROLE, " \n", "900", &p) == 0);
	CHECK(authproxy_config_get(&cfg) == 0);
	CHECK(cfg.policy[0] == '\0' && cfg.duration == 900);
}

TEST(config_saml_needs_no_role)
{
	struct authproxy_config cfg;
	struct ap_problems p;

	CHECK(unit_fresh_store() == 0);
	CHECK(authproxy_config_set("saml", "", NULL, "3600", &p) == 0);
	CHECK(authproxy_config_get(&cfg) == 0);
	CHECK(cfg.saml);
}

TEST(config_bad_nothing_stored)
{
	struct authproxy_config cfg;
	struct ap_problems p;

	CHECK(unit_fresh_store() == 0);
	CHECK(authproxy_config_set("connector", ROLE, POLICY, "1800", &p) == 0);
	CHECK(authproxy_config_set("connector", "", POLICY, "1800", &p) ==
	    CONN_EINVAL);
	CHECK(p.msg[AP_F_ROLE][0] && !p.msg[AP_F_MODE][0]);
	CHECK(authproxy_config_set("other", ROLE, POLICY, "1800", &p) ==
	    CONN_EINVAL);
	CHECK(p.msg[AP_F_MODE][0]);
	CHECK(authproxy_config_set(NULL, ROLE, POLICY, "1800", &p) ==
	    CONN_EINVAL);
	CHECK(authproxy_config_set("saml", "arn:bad", "{", "100", &p) ==
	    CONN_EINVAL);
	CHECK(p.msg[AP_F_ROLE][0] && p.msg[AP_F_POLICY][0] &&
	    p.msg[AP_F_DURATION][0]);
	CHECK(authproxy_config_get(&cfg) == 0);
	CHECK(!cfg.saml && strcmp(cfg.role_arn, ROLE) == 0 &&
	    cfg.duration == 1800);
}

TEST(config_bad_durations)
{
	static const char *const bad[] = { "899", "43201", "", "abc", "-900",
	    "1800s", " 900", "99999999999999999999" };
	struct ap_problems p;

	CHECK(unit_fresh_store() == 0);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK(authproxy_config_set("connector", ROLE, NULL, bad[i],
		    &p) == CONN_EINVAL);
		CHECK(p.msg[AP_F_DURATION][0]);
	}
	CHECK(authproxy_config_set("connector", ROLE, NULL, "43200", &p) == 0);
	CHECK(authproxy_config_set("connector", ROLE, NULL, "900", &p) == 0);
}

/* ---- the body ---- */

static int
body_ok(const char *json, struct ap_body *b)
{
	char why[200];

	return authproxy_read_body(json, strlen(json), b, why,
	    sizeof why) == 0;
}

/* The body refused, with a reason that does not quote it. */
static int
body_bad(const char *json)
{
	struct ap_body b;
	char why[200] = "";

	return authproxy_read_body(json, strlen(json), &b, why,
	    sizeof why) == CONN_EINVAL && why[0] && strstr(why, "secret-x") ==
	    NULL && b.password[0] == '\0';
}

TEST(body_good)
{
	struct ap_body b;

	CHECK(body_ok("{\"username\": \"CORP\\\\alice\", \"password\": "
	    "\"p \\u00e9 \\\"q\\\"\"}", &b));
	CHECK(strcmp(b.username, "CORP\\alice") == 0);
	CHECK(strcmp(b.password, "p \xc3\xa9 \"q\"") == 0);
	CHECK(b.source[0] == '\0' && b.duration == 0);
	authproxy_body_wipe(&b);
	CHECK(b.password[0] == '\0');
	CHECK(body_ok("{\"username\": \"u\", \"password\": \"p\", "
	    "\"source_ip\": \"2001:DB8:0::1\", \"duration_seconds\": 900}", &b));
	CHECK(strcmp(b.source, "2001:db8::1") == 0 && b.duration == 900);
	CHECK(body_ok("{\"username\": \"u\", \"password\": \"p\", "
	    "\"source_ip\": \"198.51.100.7\"}", &b));
	CHECK(strcmp(b.source, "198.51.100.7") == 0);
}

TEST(body_bad_shape)
{
	CHECK(body_bad(""));
	CHECK(body_bad("null"));
	CHECK(body_bad("[\"u\", \"secret-x\"]"));
	CHECK(body_bad("{\"username\": \"u\", \"password\": \"secret-x\"} x"));
	CHECK(body_bad("{\"username\": \"u\", \"password\": \"secret-x\""));
	CHECK(body_bad("username=u&password=secret-x"));
}

TEST(body_bad_members)
{
	CHECK(body_bad("{\"password\": \"secret-x\"}"));
	CHECK(body_bad("{\"username\": \"u\"}"));
	CHECK(body_bad("{\"username\": \"u\", \"password\": \"secret-x\", "
	    "\"role\": \"admin\"}"));
	CHECK(body_bad("{\"username\": \"u\", \"username\": \"v\", "
	    "\"password\": \"secret-x\"}"));
	CHECK(body_bad("{\"username\": 7, \"password\": \"secret-x\"}"));
	CHECK(body_bad("{\"username\": \"u\", \"password\": null}"));
	CHECK(body_bad("{\"username\": \"\", \"password\": \"secret-x\"}"));
	CHECK(body_bad("{\"username\": \"u\", \"password\": \"\"}"));
}

TEST(body_bad_control_characters)
{
	CHECK(body_bad("{\"username\": \"u\\n\", \"password\": \"secret-x\"}"));
	CHECK(body_bad("{\"username\": \"u\", \"password\": \"secret-x\\u0000\"}"));
	CHECK(body_bad("{\"username\": \"u\", \"password\": \"secret-x\\u0085\"}"));
	CHECK(body_bad("{\"username\": \"u\\u007f\", \"password\": \"secret-x\"}"));
	CHECK(body_bad("{\"username\": \"u\", \"password\": \"secret-x\\uffff\"}"));
	CHECK(body_bad("{\"username\": \"u\\ufffe\", \"password\": \"secret-x\"}"));
}

TEST(body_bad_too_long)
{
	struct buf j = { 0 };
	struct ap_body b;

	buf_adds(&j, "{\"username\": \"");
	for (int i = 0; i < AP_USER_MAX; i++)
		buf_adds(&j, "u");
	buf_adds(&j, "\", \"password\": \"secret-x\"}");
	CHECK(body_ok(j.data, &b));		/* exactly the limit */
	buf_reset(&j);
	buf_adds(&j, "{\"username\": \"");
	for (int i = 0; i <= AP_USER_MAX; i++)
		buf_adds(&j, "u");
	buf_adds(&j, "\", \"password\": \"secret-x\"}");
	CHECK(body_bad(j.data));
	buf_reset(&j);
	buf_adds(&j, "{\"username\": \"u\", \"password\": \"");
	for (int i = 0; i <= AP_PASSWORD_MAX; i++)
		buf_adds(&j, "p");
	buf_adds(&j, "\"}");
	CHECK(body_bad(j.data));
	buf_free(&j);
}

TEST(body_bad_source_and_duration)
{
	CHECK(body_bad("{\"username\": \"u\", \"password\": \"secret-x\", "
	    "\"source_ip\": \"example.com\"}"));
	CHECK(body_bad("{\"username\": \"u\", \"password\": \"secret-x\", "
	    "\"source_ip\": \"10.0.0.256\"}"));
	CHECK(body_bad("{\"username\": \"u\", \"password\": \"secret-x\", "
	    "\"source_ip\": \"10.0.0.1/8\"}"));
	CHECK(body_bad("{\"username\": \"u\", \"password\": \"secret-x\", "
	    "\"duration_seconds\": 899}"));
	CHECK(body_bad("{\"username\": \"u\", \"password\": \"secret-x\", "
	    "\"duration_seconds\": 43201}"));
	CHECK(body_bad("{\"username\": \"u\", \"password\": \"secret-x\", "
	    "\"duration_seconds\": \"900\"}"));
	CHECK(body_bad("{\"username\": \"u\", \"password\": \"secret-x\", "
	    "\"duration_seconds\": 900.5}"));
}

/* ---- the enumerated users ---- */

static int
exec_sql(const char *sql)
{
	return sqlite3_exec(db_handle(), sql, NULL, NULL, NULL) == SQLITE_OK ?
	    0 : -1;
}

static int
users(void)
{
	return unit_fresh_store() == 0 ? exec_sql(
	    "INSERT INTO vcenter_users (domain, principal, full_name, is_group,"
	    " first_seen, last_seen, changed_at) VALUES "
	    "('vsphere.local', 'user1', 'U 1', 0, 1, 1, 1),"
	    "('vsphere.local', 'group1', 'G 1', 1, 1, 1, 1),"
	    "('vsphere.local', 'both', 'B', 0, 1, 1, 1),"
	    "('corp.example', 'both', 'B', 0, 1, 1, 1),"
	    "('corp.example', 'J\xc3\xb6rg', 'J', 0, 1, 1, 1)") : -1;
}

static int
found(const char *typed, const char *want_domain, const char *want_user)
{
	char d[64], u[64];

	return userprovider_find_user(typed, d, sizeof d, u, sizeof u) ==
	    0 && strcmp(d, want_domain) == 0 && strcmp(u, want_user) == 0;
}

TEST(enumerated_user_found_in_every_spelling)
{
	CHECK(users() == 0);
	CHECK(found("user1", "vsphere.local", "user1"));
	CHECK(found("user1@vsphere.local", "vsphere.local", "user1"));
	CHECK(found("USER1@VSPHERE.LOCAL", "vsphere.local", "user1"));
	CHECK(found("VSPHERE.LOCAL\\user1", "vsphere.local", "user1"));
	CHECK(found("vsphere\\User1", "vsphere.local", "user1"));
	CHECK(found("both@corp.example", "corp.example", "both"));
	CHECK(found("CORP\\both", "corp.example", "both"));
	CHECK(found("J\xc3\xb6rg@corp.example", "corp.example", "J\xc3\xb6rg"));
}

TEST(enumerated_user_bad_not_found)
{
	char d[64], u[64];

	CHECK(users() == 0);
	CHECK(userprovider_find_user("group1", d, sizeof d, u, sizeof u) ==
	    CONN_ENOTFOUND);	/* a group is no user */
	CHECK(userprovider_find_user("user2", d, sizeof d, u, sizeof u) ==
	    CONN_ENOTFOUND);
	CHECK(userprovider_find_user("user1@corp.example", d, sizeof d, u,
	    sizeof u) == CONN_ENOTFOUND);
	CHECK(userprovider_find_user("vsph\\user1", d, sizeof d, u,
	    sizeof u) == CONN_ENOTFOUND);
	CHECK(userprovider_find_user("user%", d, sizeof d, u, sizeof u) ==
	    CONN_ENOTFOUND);
	CHECK(userprovider_find_user("\\user1", d, sizeof d, u, sizeof u) ==
	    CONN_ENOTFOUND);
}

TEST(enumerated_user_bad_bare_name_in_two_domains)
{
	char d[64], u[64];

	CHECK(users() == 0);
	CHECK(userprovider_find_user("both", d, sizeof d, u, sizeof u) ==
	    CONN_ECONFLICT);
}

/* ---- replays ---- */

#define SIG "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

TEST(signature_accepted_once)
{
	CHECK(unit_fresh_store() == 0);
	CHECK(authproxy_signature_once(SIG, 1000) == 0);
	CHECK(authproxy_signature_once(SIG, 1001) == CONN_ECONFLICT);
	CHECK(authproxy_signature_once(SIG, 5000) == CONN_ECONFLICT);
	CHECK(unit_query_int("SELECT count(*) FROM authproxy_signatures WHERE "
	    "signature_hash = '" SIG "'") == 0);	/* only its hash */
}

TEST(prune_keeps_signatures_within_retention)
{
	int s, a;

	CHECK(unit_fresh_store() == 0);
	CHECK(authproxy_signature_once(SIG, 1000) == 0);
	CHECK(authproxy_prune(1000 + AP_SIGNATURE_RETENTION, &s, &a) == 0);
	CHECK(s == 0);
	CHECK(authproxy_signature_once(SIG, 1000) == CONN_ECONFLICT);
	CHECK(authproxy_prune(1001 + AP_SIGNATURE_RETENTION, &s, &a) == 0);
	CHECK(s == 1);
	CHECK(authproxy_signature_once(SIG, 1000 + 2000) == 0);
}

/* ---- limits ---- */

static int
attempt(const char *user, const char *source, time_t now, long long *id)
{
	int which;
	int rc = authproxy_attempt_begin(user, source, now, id, &which);

	return rc == 0 ? 0 : rc == CONN_ELOCKED ? which : -1;
}

TEST(limit_user_after_four_failures)
{
	long long id;

	CHECK(unit_fresh_store() == 0);
	for (int i = 0; i < AP_USER_FAILURES; i++)
		CHECK(attempt("alice", "198.51.100.1", 1000 + i, &id) == 0);
	CHECK(attempt("alice", "198.51.100.2", 1010, &id) == 1);
	CHECK(attempt("bob", "198.51.100.1", 1010, &id) == 0);
	/* The window passes. */
	CHECK(attempt("alice", "198.51.100.1", 1000 + AP_WINDOW, &id) == 0);
}

TEST(limit_right_password_clears_the_users_failures)
{
	long long id;

	CHECK(unit_fresh_store() == 0);
	for (int i = 0; i < AP_USER_FAILURES - 1; i++)
		CHECK(attempt("alice", "s", 1000, &id) == 0);
	CHECK(attempt("alice", "s", 1000, &id) == 0);
	CHECK(authproxy_attempt_end(id, "alice", AP_ATTEMPT_RIGHT) == 0);
	CHECK(unit_query_int("SELECT count(*) FROM authproxy_attempts") == 0);
	CHECK(attempt("alice", "s", 1000, &id) == 0);
}

TEST(limit_not_asked_not_counted)
{
	long long id;

	CHECK(unit_fresh_store() == 0);
	for (int i = 0; i < 10; i++) {
		CHECK(attempt("alice", "s", 1000, &id) == 0);
		CHECK(authproxy_attempt_end(id, "alice",
		    AP_ATTEMPT_NOT_ASKED) == 0);
	}
	CHECK(unit_query_int("SELECT count(*) FROM authproxy_attempts") == 0);
}

TEST(limit_source_across_users)
{
	long long id;
	char u[32];

	CHECK(unit_fresh_store() == 0);
	for (int i = 0; i < AP_SOURCE_FAILURES; i++) {
		snprintf(u, sizeof u, "user%d", i);
		CHECK(attempt(u, "203.0.113.9", 1000, &id) == 0);
	}
	CHECK(attempt("fresh", "203.0.113.9", 1001, &id) == 2);
	CHECK(attempt("fresh", "203.0.113.10", 1001, &id) == 0);
}

TEST(prune_removes_attempts_past_the_window)
{
	long long id;
	int s, a;

	CHECK(unit_fresh_store() == 0);
	CHECK(attempt("alice", "s", 1000, &id) == 0);
	CHECK(attempt("alice", "s", 1100, &id) == 0);
	CHECK(authproxy_prune(1000 + AP_WINDOW, &s, &a) == 0);
	CHECK(a == 1);
	CHECK(unit_query_int("SELECT count(*) FROM authproxy_attempts") == 1);
}

int
main(void)
{
	if (unit_tmp_root("test-authproxy", share, sizeof share) != 0)
		return 1;
	log_init("test-authproxy");
	RUN(session_name_readable_user_at_domain);
	RUN(session_name_odd_characters_marked_and_hashed);
	RUN(session_name_equals_sign_always_hashed);
	RUN(session_name_long_cut_and_hashed);
	RUN(session_name_too_short_hashed);
	RUN(session_name_same_user_any_case_same_name);
	RUN(split_user_three_forms);
	RUN(split_user_bad_empty_parts);
	RUN(role_arn_good);
	RUN(role_arn_bad);
	RUN(policy_packed_compact_ascii);
	RUN(policy_bad_refused_with_reason);
	RUN(policy_bad_over_2048_packed);
	RUN(config_default_through_connector_no_role);
	RUN(config_set_stores_all);
	RUN(config_saml_needs_no_role);
	RUN(config_bad_nothing_stored);
	RUN(config_bad_durations);
	RUN(body_good);
	RUN(body_bad_shape);
	RUN(body_bad_members);
	RUN(body_bad_control_characters);
	RUN(body_bad_too_long);
	RUN(body_bad_source_and_duration);
	RUN(enumerated_user_found_in_every_spelling);
	RUN(enumerated_user_bad_not_found);
	RUN(enumerated_user_bad_bare_name_in_two_domains);
	RUN(signature_accepted_once);
	RUN(prune_keeps_signatures_within_retention);
	RUN(limit_user_after_four_failures);
	RUN(limit_right_password_clears_the_users_failures);
	RUN(limit_not_asked_not_counted);
	RUN(limit_source_across_users);
	RUN(prune_removes_attempts_past_the_window);
	db_close();
	unit_rm_rf(unit_tmp);
	UNIT_EXIT();
}
