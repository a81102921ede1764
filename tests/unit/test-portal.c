/*
 * test-portal.c — the portal's configuration file (every member right,
 * missing, mistyped, too long, with bad characters; duplicate and unknown
 * members; broken JSON; hostile endpoints; the refusal never repeats the
 * secret), the answer reader (objects, mapped error codes, unreadable
 * answers), and what the client refuses before sending anything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../lib/core.h"
#include "../../lib/domain.h"
#include "unit.h"

#define SECRET "S3cret/Value+With=Signs0001"
#define NMEMBERS 6

static const char *const good[NMEMBERS][2] = {
	{ "format", "\"connector-portal-config\"" },
	{ "version", "1" },
	{ "key_name", "\"Lab connector 1\"" },
	{ "key_id", "\"AKIACONNECTORTEST001\"" },
	{ "secret", "\"" SECRET "\"" },
	{ "endpoint", "\"https://portal.example.com:8443/\"" },
};

/*
 * The good file into b, ending in a newline, with member's value replaced
 * by value (raw JSON; NULL: member left out).  A member not in the file is
 * added at the end.
 */
static void
make(struct buf *b, const char *member, const char *value)
{
	unit_json_with(b, good, NMEMBERS, member, value);
	buf_adds(b, "\n");
}

static int
all_zero(const void *p, size_t len)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < len; i++)
		if (c[i])
			return 0;
	return 1;
}

/*
 * 1 when text[0..len) is refused the way a refusal must be: an error code,
 * one sentence (naming member when given) without the secret, out wiped.
 */
static int
refused(const char *text, size_t len, const char *member)
{
	struct portal_config c;
	char why[256], quoted[80];
	int rc;

	memset(why, 'x', sizeof why);
	memset(&c, 0x55, sizeof c);
	rc = portal_config_parse(text, len, &c, why, sizeof why);
	if (member)
		snprintf(quoted, sizeof quoted, "\"%s\"", member);
	if (rc == 0 || !all_zero(&c, sizeof c) || why[0] == '\0' ||
	    memchr(why, '\0', sizeof why) == NULL || strchr(why, '\n') ||
	    why[strlen(why) - 1] != '.' || strstr(why, SECRET) ||
	    strstr(why, "S3cret") || (member && !strstr(why, quoted))) {
		fprintf(stderr, "not refused right (rc %d): %.*s -> %s\n", rc,
		    (int)len, text, why);
		return 0;
	}
	return 1;
}

static int
refused_with(const char *member, const char *value, const char *named)
{
	struct buf b = { 0 };
	int ok;

	make(&b, member, value);
	ok = refused(b.data, b.len, named);
	buf_free(&b);
	return ok;
}

/* ---- the configuration file ---- */

TEST(config_good_file_read)
{
	struct buf b = { 0 };
	struct portal_config c;
	char why[256] = "unset";

	make(&b, NULL, NULL);
	CHECK(portal_config_parse(b.data, b.len, &c, why, sizeof why) == 0);
	CHECK(why[0] == '\0');
	CHECK(strcmp(c.key_name, "Lab connector 1") == 0);
	CHECK(strcmp(c.key_id, "AKIACONNECTORTEST001") == 0);
	CHECK(strcmp(c.secret, SECRET) == 0);
	CHECK(strcmp(c.endpoint, "https://portal.example.com:8443") == 0);
	CHECK(strcmp(c.host, "portal.example.com") == 0);
	CHECK(c.port == 8443);
	portal_config_wipe(&c);
	CHECK(all_zero(&c, sizeof c));
	buf_free(&b);
}

TEST(config_good_endpoint_forms)
{
	static const struct {
		const char *url, *endpoint, *host;
		int port;
	} t[] = {
		{ "https://h", "https://h", "h", 443 },
		{ "https://h/", "https://h", "h", 443 },
		{ "https://h:1", "https://h:1", "h", 1 },
		{ "https://h:65535/", "https://h:65535", "h", 65535 },
		{ "https://10.0.0.5", "https://10.0.0.5", "10.0.0.5", 443 },
		{ "https://127.0.0.1:8443", "https://127.0.0.1:8443",
		    "127.0.0.1", 8443 },
		{ "https://a-b.C-d.example", "https://a-b.C-d.example",
		    "a-b.C-d.example", 443 },
		{ "https://1st.example", "https://1st.example", "1st.example",
		    443 },
	};
	struct buf b = { 0 };
	struct portal_config c;
	char v[128], why[256];

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		snprintf(v, sizeof v, "\"%s\"", t[i].url);
		make(&b, "endpoint", v);
		CHECK(portal_config_parse(b.data, b.len, &c, why,
		    sizeof why) == 0);
		CHECK(strcmp(c.endpoint, t[i].endpoint) == 0);
		CHECK(strcmp(c.host, t[i].host) == 0);
		CHECK(c.port == t[i].port);
	}
	buf_free(&b);
}

TEST(config_good_limits_accepted)
{
	struct buf b = { 0 }, v = { 0 };
	struct portal_config c;
	char why[256];

	/* key_name 64, key_id 128, secret 256, all at their limits. */
	buf_adds(&v, "\"");
	for (int i = 0; i < 64; i++)
		buf_adds(&v, "n");
	buf_adds(&v, "\"");
	make(&b, "key_name", v.data);
	CHECK(portal_config_parse(b.data, b.len, &c, why, sizeof why) == 0);
	buf_reset(&v);
	buf_adds(&v, "\"");
	for (int i = 0; i < 128; i++)
		buf_adds(&v, "K");
	buf_adds(&v, "\"");
	make(&b, "key_id", v.data);
	CHECK(portal_config_parse(b.data, b.len, &c, why, sizeof why) == 0);
	CHECK(strlen(c.key_id) == 128);
	buf_reset(&v);
	buf_adds(&v, "\"");
	for (int i = 0; i < 256; i++)
		buf_adds(&v, "~");
	buf_adds(&v, "\"");
	make(&b, "secret", v.data);
	CHECK(portal_config_parse(b.data, b.len, &c, why, sizeof why) == 0);
	CHECK(strlen(c.secret) == 256);
	portal_config_wipe(&c);
	buf_free(&v);
	buf_free(&b);
}

TEST(config_bad_member_missing)
{
	for (int i = 0; i < NMEMBERS; i++)
		CHECK(refused_with(good[i][0], NULL, good[i][0]));
}

TEST(config_bad_member_wrong_type)
{
	static const char *const types[] = { "[\"x\"]", "{}", "null", "true",
	    "2" };

	for (int i = 0; i < NMEMBERS; i++)
		for (size_t k = 0; k < sizeof types / sizeof types[0]; k++)
			CHECK(refused_with(good[i][0], types[k], good[i][0]));
	CHECK(refused_with("version", "\"1\"", "version"));
	CHECK(refused_with("version", "1.0", "version"));
	CHECK(refused_with("version", "2", "version"));
	CHECK(refused_with("format", "\"connector-portal-config2\"", "format"));
	CHECK(refused_with("format", "\"\"", "format"));
}

/* "\"" + n copies of c + "\"" into v. */
static void
repeat(struct buf *v, const char *c, int n)
{
	buf_reset(v);
	buf_adds(v, "\"");
	for (int i = 0; i < n; i++)
		buf_adds(v, c);
	buf_adds(v, "\"");
}

TEST(config_bad_member_too_long_or_short)
{
	struct buf v = { 0 };

	repeat(&v, "n", 65);
	CHECK(refused_with("key_name", v.data, "key_name"));
	CHECK(refused_with("key_name", "\"\"", "key_name"));
	repeat(&v, "K", 129);
	CHECK(refused_with("key_id", v.data, "key_id"));
	repeat(&v, "K", 15);
	CHECK(refused_with("key_id", v.data, "key_id"));
	repeat(&v, "s", 257);
	CHECK(refused_with("secret", v.data, "secret"));
	repeat(&v, "s", 15);
	CHECK(refused_with("secret", v.data, "secret"));
	buf_reset(&v);
	buf_adds(&v, "\"https://");
	for (int i = 0; i < 600; i++)
		buf_adds(&v, "a");
	buf_adds(&v, "\"");
	CHECK(refused_with("endpoint", v.data, "endpoint"));
	/* A host label over 63 characters, and a host over 253. */
	buf_reset(&v);
	buf_adds(&v, "\"https://");
	for (int i = 0; i < 64; i++)
		buf_adds(&v, "a");
	buf_adds(&v, ".example\"");
	CHECK(refused_with("endpoint", v.data, "endpoint"));
	buf_reset(&v);
	buf_adds(&v, "\"https://");
	for (int i = 0; i < 30; i++)
		buf_adds(&v, "abcdefgh.");
	buf_adds(&v, "example\"");
	CHECK(refused_with("endpoint", v.data, "endpoint"));
	buf_free(&v);
}

TEST(config_bad_member_characters)
{
	static const char *const names[] = { "\"a/b\"", "\" lead\"",
	    "\"trail \"", "\"caf\\u00e9\"", "\"tab\\there\"", "\"a<b>\"",
	    "\"new\\nline\"" };
	static const char *const ids[] = { "\"akiaconnectortest001\"",
	    "\"AKIA-CONNECTOR-TEST1\"", "\"AKIACONNECTOR TEST01\"",
	    "\"AKIACONNECTORTEST\\u00c9\"" };
	static const char *const secrets[] = { "\"with space in it 0001\"",
	    "\"with\\ttab0000000000001\"", "\"caf\\u00e9000000000000001\"",
	    "\"del\\u007f000000000000001\"" };

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		CHECK(refused_with("key_name", names[i], "key_name"));
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
		CHECK(refused_with("key_id", ids[i], "key_id"));
	for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
		CHECK(refused_with("secret", secrets[i], "secret"));
}

TEST(config_bad_duplicate_member)
{
	struct buf b = { 0 };

	/* Each member a second time, with the same or another value. */
	for (int i = 0; i < NMEMBERS; i++)
		for (int same = 0; same < 2; same++) {
			make(&b, NULL, NULL);
			b.len -= 2;	/* "}\n" */
			b.data[b.len] = '\0';
			buf_addf(&b, ", \"%s\": %s}", good[i][0], same ?
			    good[i][1] : "\"AnotherValue000000000001\"");
			CHECK(refused(b.data, b.len, NULL));
		}
	buf_free(&b);
}

TEST(config_bad_unknown_member)
{
	CHECK(refused_with("region", "\"us-east-1\"", "region"));
	CHECK(refused_with("Secret", "\"x\"", NULL));
	/* A member named like the secret is not repeated either. */
	CHECK(refused_with(SECRET, "1", NULL));
	CHECK(refused_with("", "1", NULL));
}

TEST(config_bad_not_an_object)
{
	static const char *const t[] = { "[]", "\"x\"", "1", "null", "true",
	    "[{\"format\": \"connector-portal-config\"}]", "{} {}", "{}x" };

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		CHECK(refused(t[i], strlen(t[i]), NULL));
	CHECK(refused("{}", 2, "format"));
	CHECK(refused("", 0, NULL));
	CHECK(refused(NULL, 0, NULL));
	CHECK(refused("   \n", 4, NULL));
}

TEST(config_bad_truncated_json_never_shows_the_secret)
{
	struct buf b = { 0 };

	make(&b, NULL, NULL);
	/* Every cut of the file, including cuts inside the secret. */
	for (size_t n = 0; n + 2 < b.len; n++)
		CHECK(refused(b.data, n, NULL));
	buf_free(&b);
}

TEST(config_bad_secret_never_in_why)
{
	struct buf b = { 0 };

	/* The secret where another member belongs, or broken after it. */
	CHECK(refused_with("key_id", "\"" SECRET "\"", "key_id"));
	CHECK(refused_with("key_name", "\"" SECRET "\"", "key_name"));
	CHECK(refused_with("endpoint", "\"https://" SECRET "\"", "endpoint"));
	CHECK(refused_with("format", "\"" SECRET "\"", "format"));
	make(&b, "secret", "\"" SECRET "\" oops");
	CHECK(refused(b.data, b.len, NULL));
	make(&b, "secret", "\"" SECRET);
	CHECK(refused(b.data, b.len, NULL));
	make(&b, "secret", "\"" SECRET "\\q\"");
	CHECK(refused(b.data, b.len, NULL));
	buf_free(&b);
}

TEST(config_bad_nul_inside)
{
	struct buf b = { 0 };

	make(&b, NULL, NULL);
	b.data[10] = '\0';
	CHECK(refused(b.data, b.len, NULL));
	make(&b, "key_name", "\"a\\u0000b\"");
	CHECK(refused(b.data, b.len, NULL));
	make(&b, NULL, NULL);
	b.data[b.len - 1] = '\0';	/* a NUL after the object */
	CHECK(refused(b.data, b.len, NULL));
	buf_free(&b);
}

TEST(config_bad_not_utf8)
{
	CHECK(refused_with("key_name", "\"caf\xe9\"", NULL));
	CHECK(refused_with("key_name", "\"\xc0\xaf\"", NULL));	/* overlong */
	CHECK(refused_with("secret", "\"\xed\xa0\x80secret0000000001\"", NULL));
	CHECK(refused("\xef\xbb\xbf{}", 5, NULL));	/* a BOM first */
}

TEST(config_bad_over_max)
{
	struct buf b = { 0 };
	struct portal_config c;
	char why[256];

	make(&b, NULL, NULL);
	while (b.len < PORTAL_FILE_MAX)
		buf_adds(&b, " ");
	CHECK(b.len == PORTAL_FILE_MAX);
	CHECK(portal_config_parse(b.data, b.len, &c, why, sizeof why) == 0);
	portal_config_wipe(&c);
	buf_adds(&b, " ");
	CHECK(portal_config_parse(b.data, b.len, &c, why, sizeof why) ==
	    CONN_ETOOBIG);
	CHECK(refused(b.data, b.len, NULL));
	CHECK(strstr(why, "larger") != NULL);
	buf_free(&b);
}

TEST(config_bad_endpoint_hostile_forms)
{
	static const char *const t[] = {
		"http://portal.example.com", "https://user:pw@h",
		"https://user@h", "https://h/path", "https://h/path/",
		"https://h//", "https://h?x", "https://h/?x", "https://h#f",
		"https://h:0", "https://h:65536", "https://h:08443",
		"https://h:", "https://h:443x", "https://h:-1", "https://h:+443",
		"https://h:4430000", "https://[::1]", "https://[::1]:443",
		"https://::1", "https:// h", "https://h ", "https://h\\t",
		"https://h\\r\\nX: y", "https://h%2e", "https://%68", "https://-h",
		"https://h-", "https://h..example", "https://.h", "https://h.",
		"https://h_x", "https://h\\\\@evil", "javascript:alert(1)",
		"ftp://h", "HTTPS://h", "https:/h", "https:h", "https://",
		"https:///", "//h", "h", "", "https://caf\\u00e9.example",
		"https://0x7f.1", "https://2130706433", "https://0177.0.0.1",
		"https://256.1.1.1", "https://1.2.3", "https://1.2.3.4.5",
		"https://127.1", "https://h:443:443", "https://h\\u0000x",
	};
	char v[256];

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		snprintf(v, sizeof v, "\"%s\"", t[i]);
		CHECK(refused_with("endpoint", v, strstr(t[i], "\\u0000") ?
		    NULL : "endpoint"));
	}
}

TEST(config_why_fits_any_buffer)
{
	struct buf b = { 0 };
	struct portal_config c;
	char why[8];

	make(&b, "key_id", "\"short\"");
	memset(why, 'x', sizeof why);
	CHECK(portal_config_parse(b.data, b.len, &c, why, sizeof why) ==
	    CONN_EINVAL);
	CHECK(memchr(why, '\0', sizeof why) != NULL);
	CHECK(portal_config_parse(b.data, b.len, &c, NULL, 0) == CONN_EINVAL);
	buf_free(&b);
}

/* ---- the answer reader ---- */

/* portal_read_answer over a string, err zeroed first. */
static int
answer(const char *body, long status, json_t **out, struct aws_error *err)
{
	memset(err, 0, sizeof *err);
	return portal_read_answer(body, body ? strlen(body) : 0, status, out,
	    err);
}

TEST(answer_2xx_object_returned)
{
	struct aws_error err;
	json_t *out = (json_t *)1;

	CHECK(answer("{\"registration_id\": \"reg-1\", \"connector_id\": "
	    "\"c\", \"heartbeat_interval_seconds\": 60}", 201, &out,
	    &err) == 0);
	CHECK(json_is_object(out));
	CHECK(strcmp(json_string_value(json_object_get(out,
	    "registration_id")), "reg-1") == 0);
	CHECK(err.kind == AWS_E_NONE && err.status == 201);
	json_decref(out);
	CHECK(answer("{\"ok\": true}", 200, &out, &err) == 0);
	CHECK(json_is_true(json_object_get(out, "ok")));
	json_decref(out);
}

TEST(answer_error_codes_mapped)
{
	static const struct {
		const char *code;
		long status;
		enum aws_code want;
		int rc;
	} t[] = {
		{ "SignatureDoesNotMatch", 403, AWS_C_SIGNATURE, CONN_EDENIED },
		{ "InvalidClientTokenId", 403, AWS_C_INVALID_TOKEN,
		    CONN_EDENIED },
		{ "RequestExpired", 403, AWS_C_REQUEST_EXPIRED, CONN_EDENIED },
		{ "AccessDenied", 403, AWS_C_ACCESS_DENIED, CONN_EDENIED },
		{ "MissingAuthenticationToken", 401, AWS_C_OTHER, CONN_EIO },
		{ "ValidationError", 400, AWS_C_INVALID_PARAMETER, CONN_EINVAL },
		{ "Throttling", 429, AWS_C_THROTTLING, CONN_EIO },
		{ "NotRegistered", 404, AWS_C_NOT_FOUND, CONN_ENOTFOUND },
		{ "SomethingNew", 500, AWS_C_OTHER, CONN_EIO },
	};
	struct aws_error err;
	json_t *out;
	char body[256];

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		snprintf(body, sizeof body, "{\"error\": {\"code\": \"%s\", "
		    "\"message\": \"Said no.\"}, \"request_id\": \"r-1\"}",
		    t[i].code);
		out = (json_t *)1;
		CHECK(answer(body, t[i].status, &out, &err) == t[i].rc);
		CHECK(out == NULL);
		CHECK(err.kind == AWS_E_SERVICE);
		CHECK(err.code == t[i].want);
		CHECK(strcmp(err.code_name, t[i].code) == 0);
		CHECK(strcmp(err.message, "Said no.") == 0);
		CHECK(err.status == t[i].status);
		CHECK(err.http.kind == HTTP_ESTATUS);
	}
}

TEST(answer_error_without_message_uses_code)
{
	struct aws_error err;
	json_t *out;

	CHECK(answer("{\"error\": {\"code\": \"NotRegistered\"}}", 404, &out,
	    &err) == CONN_ENOTFOUND);
	CHECK(strcmp(err.message, "NotRegistered") == 0);
	CHECK(answer("{\"error\": {\"code\": \"X\", \"message\": 5}}", 500,
	    &out, &err) == CONN_EIO);
	CHECK(err.kind == AWS_E_SERVICE && strcmp(err.message, "X") == 0);
}

TEST(answer_error_message_cleaned_and_cut_at_a_character)
{
	struct aws_error err;
	struct buf b = { 0 };
	json_t *out;

	CHECK(answer("{\"error\": {\"code\": \"X\", \"message\": "
	    "\"line\\nforged\\u0000\"}}", 400, &out, &err) != 0);
	/* \u0000 is refused by the parser: the answer is unreadable. */
	CHECK(err.kind == AWS_E_PROTOCOL);
	CHECK(answer("{\"error\": {\"code\": \"X\", \"message\": "
	    "\"line\\nforged\\u001b[31m\"}}", 400, &out, &err) == CONN_EIO);
	CHECK(err.kind == AWS_E_SERVICE);
	CHECK(strcmp(err.message, "line forged [31m") == 0);
	buf_adds(&b, "{\"error\": {\"code\": \"X\", \"message\": \"");
	for (int i = 0; i < 600; i++)
		buf_adds(&b, "\xc3\xa9");
	buf_adds(&b, "\"}}");
	CHECK(answer(b.data, 400, &out, &err) == CONN_EIO);
	CHECK(err.kind == AWS_E_SERVICE);
	CHECK(strlen(err.message) == 510);
	CHECK(util_utf8_valid(err.message, strlen(err.message)));
	buf_free(&b);
}

TEST(answer_bad_2xx_not_an_object)
{
	static const char *const t[] = { "[]", "[{\"ok\": true}]", "\"ok\"",
	    "null", "true", "", "<html><body>Gateway</body></html>",
	    "{\"ok\": true", "{\"a\": 1, \"a\": 2}", "{\"ok\": true} x" };
	struct aws_error err;
	json_t *out;

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		out = (json_t *)1;
		CHECK(answer(t[i], 200, &out, &err) == CONN_EIO);
		CHECK(out == NULL);
		CHECK(err.kind == AWS_E_PROTOCOL);
		CHECK(err.http.kind == HTTP_EPARSE);
		CHECK(err.status == 200);
	}
	out = (json_t *)1;
	CHECK(answer(NULL, 204, &out, &err) == CONN_EIO && out == NULL);
}

TEST(answer_bad_error_unreadable)
{
	static const char *const t[] = { "", "<html>Bad Gateway</html>", "[]",
	    "{}", "{\"error\": \"x\"}", "{\"error\": {\"code\": 5}}",
	    "{\"error\": {\"code\": \"\"}}", "{\"error\": {\"code\": \"a b\"}}",
	    "{\"error\": {\"code\": \"a\\nb\"}}", "{\"error\": {\"message\": "
	    "\"m\"}}", "{\"error\": {\"code\": \"x\"}, \"error\": {}}" };
	struct aws_error err;
	json_t *out;

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		out = (json_t *)1;
		CHECK(answer(t[i], 502, &out, &err) == CONN_EIO);
		CHECK(out == NULL);
		CHECK(err.kind == AWS_E_PROTOCOL);
		CHECK(err.http.kind == HTTP_ESTATUS);
		CHECK(strcmp(err.message, "HTTP status 502") == 0);
		CHECK(err.status == 502);
	}
	/* A 3xx is not an answer either. */
	CHECK(answer("{\"ok\": true}", 302, &out, &err) == CONN_EIO);
	CHECK(err.kind == AWS_E_PROTOCOL);
}

TEST(answer_bad_huge)
{
	struct buf b = { 0 };
	struct aws_error err;
	json_t *out;

	buf_adds(&b, "{\"pad\": \"");
	while (b.len < 64 * 1024 - 2)
		buf_adds(&b, "x");
	buf_adds(&b, "\"}");
	CHECK(b.len == 64 * 1024);
	CHECK(answer(b.data, 200, &out, &err) == 0);
	json_decref(out);
	buf_adds(&b, " ");
	out = (json_t *)1;
	CHECK(answer(b.data, 200, &out, &err) == CONN_EIO && out == NULL);
	CHECK(err.kind == AWS_E_PROTOCOL && strstr(err.message, "larger"));
	/* Deep nesting is refused by the parser, not by the stack. */
	buf_reset(&b);
	for (int i = 0; i < 30000; i++)
		buf_adds(&b, "[");
	CHECK(answer(b.data, 200, &out, &err) == CONN_EIO);
	buf_free(&b);
}

TEST(answer_bad_bytes)
{
	static const char body[] = "{\"ok\": \"\xff\"}";
	static const char nul[] = "{\"ok\": true}\0{}";
	struct aws_error err;
	json_t *out;

	memset(&err, 0, sizeof err);
	CHECK(portal_read_answer(body, sizeof body - 1, 200, &out, &err) ==
	    CONN_EIO);
	CHECK(portal_read_answer(nul, sizeof nul - 1, 200, &out, &err) ==
	    CONN_EIO);
}

/* ---- the client, before anything is sent ---- */

/* A parsed good configuration whose endpoint is endpoint. */
static int
config(struct portal_config *c, const char *endpoint)
{
	struct buf b = { 0 };
	char v[256], why[256];
	int rc;

	snprintf(v, sizeof v, "\"%s\"", endpoint);
	make(&b, "endpoint", v);
	rc = portal_config_parse(b.data, b.len, c, why, sizeof why);
	buf_free(&b);
	return rc;
}

TEST(init_bad_region_refused)
{
	struct portal_config c;
	struct portal p;
	struct http_opts o = { 0 };

	CHECK(config(&c, "https://127.0.0.1:9") == 0);
	CHECK(portal_init(&p, &c, "../evil", &o) == CONN_EINVAL);
	portal_free(&p);
	CHECK(portal_init(&p, &c, "", &o) == CONN_EINVAL);
	portal_free(&p);
	CHECK(portal_init(&p, &c, NULL, &o) == CONN_EINVAL);
	portal_free(&p);
	CHECK(portal_init(&p, &c, "US-EAST-1", &o) == CONN_EINVAL);
	portal_free(&p);
	memset(&c, 0, sizeof c);
	CHECK(portal_init(&p, &c, "us-east-1", &o) == CONN_EINVAL);
	portal_free(&p);
}

TEST(init_copies_and_free_wipes)
{
	struct portal_config c;
	struct portal p;

	CHECK(config(&c, "https://portal.example.com/") == 0);
	CHECK(portal_init(&p, &c, "eu-west-3", NULL) == 0);
	portal_config_wipe(&c);
	CHECK(strcmp(p.endpoint, "https://portal.example.com") == 0);
	CHECK(strcmp(p.region, "eu-west-3") == 0);
	CHECK(strcmp(p.secret, SECRET) == 0);
	CHECK(p.server_date[0] == '\0');
	portal_free(&p);
	CHECK(all_zero(p.secret, sizeof p.secret));
	CHECK(all_zero(p.key_id, sizeof p.key_id));
}

TEST(calls_bad_fields_nothing_sent)
{
	struct portal_config c;
	struct portal p;
	struct aws_error err;
	struct portal_info in = { "conn-1", "connector.example", "10.0.0.9",
	    "1.0", NULL, NULL }, bad;
	char id[129];

	CHECK(config(&c, "https://127.0.0.1:9") == 0);
	CHECK(portal_init(&p, &c, "us-east-1", NULL) == 0);
	portal_config_wipe(&c);
	bad = in;
	bad.connector_id = NULL;
	CHECK(portal_register(&p, &bad, id, sizeof id, &err) == CONN_EINVAL);
	CHECK(err.kind == AWS_E_NONE);
	bad = in;
	bad.connector_id = "conn 1";
	CHECK(portal_register(&p, &bad, id, sizeof id, &err) == CONN_EINVAL);
	CHECK(err.kind == AWS_E_NONE);
	bad = in;
	bad.hostname = "caf\xe9";
	CHECK(portal_register(&p, &bad, id, sizeof id, &err) == CONN_EINVAL);
	CHECK(err.kind == AWS_E_NONE);
	bad = in;
	bad.vcenter_host = "vc.example";
	bad.extension_key = "\xff";
	CHECK(portal_register(&p, &bad, id, sizeof id, &err) == CONN_EINVAL);
	CHECK(err.kind == AWS_E_NONE);
	CHECK(portal_heartbeat(&p, "reg 1", "ok", &err) == CONN_EINVAL);
	CHECK(portal_heartbeat(&p, "reg-1", "OK!", &err) == CONN_EINVAL);
	CHECK(portal_heartbeat(&p, "reg-1", "", &err) == CONN_EINVAL);
	CHECK(portal_heartbeat(&p, NULL, "ok", &err) == CONN_EINVAL);
	CHECK(portal_deregister(&p, "", &err) == CONN_EINVAL);
	CHECK(portal_deregister(&p, "reg/../1", &err) == CONN_EINVAL);
	CHECK(err.kind == AWS_E_NONE);
	portal_free(&p);
}

TEST(calls_bad_transport_failure_reported)
{
	struct portal_config c;
	struct portal p;
	struct aws_error err;
	struct http_opts o = { 0 };
	struct portal_info in = { "conn-1", "connector.example", "10.0.0.9",
	    "1.0", NULL, NULL };
	char id[129] = "x";

	o.connect_timeout_ms = 2000;
	o.total_timeout_ms = 3000;
	CHECK(config(&c, "https://127.0.0.1:9") == 0);
	CHECK(portal_init(&p, &c, "us-east-1", &o) == 0);
	portal_config_wipe(&c);
	CHECK(portal_register(&p, &in, id, sizeof id, &err) == CONN_EIO);
	CHECK(id[0] == '\0');
	CHECK(err.kind == AWS_E_TRANSPORT);
	CHECK(err.http.kind == HTTP_ECONNECT);
	CHECK(strcmp(err.http.endpoint,
	    "https://127.0.0.1:9/vendor/portal/register") == 0);
	CHECK(err.message[0] != '\0');
	CHECK(portal_deregister(&p, "reg-1", &err) == CONN_EIO);
	CHECK(err.kind == AWS_E_TRANSPORT);
	CHECK(strstr(err.http.endpoint, "/vendor/portal/deregister") != NULL);
	portal_free(&p);
}

int
main(void)
{
	RUN(config_good_file_read);
	RUN(config_good_endpoint_forms);
	RUN(config_good_limits_accepted);
	RUN(config_bad_member_missing);
	RUN(config_bad_member_wrong_type);
	RUN(config_bad_member_too_long_or_short);
	RUN(config_bad_member_characters);
	RUN(config_bad_duplicate_member);
	RUN(config_bad_unknown_member);
	RUN(config_bad_not_an_object);
	RUN(config_bad_truncated_json_never_shows_the_secret);
	RUN(config_bad_secret_never_in_why);
	RUN(config_bad_nul_inside);
	RUN(config_bad_not_utf8);
	RUN(config_bad_over_max);
	RUN(config_bad_endpoint_hostile_forms);
	RUN(config_why_fits_any_buffer);
	RUN(answer_2xx_object_returned);
	RUN(answer_error_codes_mapped);
	RUN(answer_error_without_message_uses_code);
	RUN(answer_error_message_cleaned_and_cut_at_a_character);
	RUN(answer_bad_2xx_not_an_object);
	RUN(answer_bad_error_unreadable);
	RUN(answer_bad_huge);
	RUN(answer_bad_bytes);
	RUN(init_bad_region_refused);
	RUN(init_copies_and_free_wipes);
	RUN(calls_bad_fields_nothing_sent);
	RUN(calls_bad_transport_failure_reported);
	UNIT_EXIT();
}
