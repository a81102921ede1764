/*
 * test-sigv4.c — the SigV4 verifier (lib/sigv4.c): AWS's published
 * signature test vectors; a request it signed itself accepted; every part
 * of a hostile or malformed request refused for its own reason — the
 * Authorization header (missing, twice, another algorithm, out of order,
 * bad credential scope, bad SignedHeaders, bad signature text, too long),
 * the key, region and service, the date (missing, malformed, unsigned,
 * another day, skewed), signed headers missing, twice or with bytes
 * outside printable ASCII, a session token, a body that does not match
 * its hash, anything changed after signing; the canonical forms of paths,
 * queries and header values.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/sigv4.h"
#include "unit.h"

#define KEY_ID "AMPKEYTESTCONNECTOR1"
#define SECRET "amp-test-secret-0001-abcdef"
#define REGION "us-east-1"
#define SERVICE "connector"
#define DATE "20261202T101500Z"
#define BODY "{\"username\":\"user1\",\"password\":\"Directory-Pass-1\"}"

static const struct sigv4_key key = { KEY_ID, SECRET, REGION, SERVICE };

/* A request under test: up to 16 headers, changed at will. */
struct t {
	struct sigv4_header h[16];
	size_t n;
	char auth[SIGV4_AUTH_MAX + 64];
	char uri[SIGV4_URI_MAX + 64];
	const char *method;
	const char *body;
	struct sigv4_request rq;
};

static time_t
when(const char *amz)
{
	time_t t = 0;

	sigv4_parse_date(amz, &t);
	return t;
}

static void
add(struct t *t, const char *name, const char *value)
{
	t->h[t->n].name = name;
	t->h[t->n++].value = value;
}

/* The value of header name in t (NULL when absent). */
static struct sigv4_header *
find(struct t *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->h[i].name, name) == 0)
			return &t->h[i];
	return NULL;
}

static void
sync_rq(struct t *t)
{
	t->rq = (struct sigv4_request){ .method = t->method, .uri = t->uri,
	    .headers = t->h, .nheaders = t->n, .body = t->body,
	    .body_len = t->body ? strlen(t->body) : 0 };
}

/*
 * The portal's usual call, signed with k over signed (a SignedHeaders
 * list) at date: 0, or -1 when signing failed.
 */
static int
make_with(struct t *t, const struct sigv4_key *k, const char *date,
    const char *signed_headers)
{
	memset(t, 0, sizeof *t);
	t->method = "POST";
	snprintf(t->uri, sizeof t->uri, "/authproxy/token");
	t->body = BODY;
	add(t, "host", "127.0.0.1:8443");
	add(t, "content-type", "application/json");
	add(t, "x-amz-date", date);
	sync_rq(t);
	if (sigv4_sign(&t->rq, k, date, signed_headers, t->auth,
	    sizeof t->auth) != 0)
		return -1;
	add(t, "authorization", t->auth);
	sync_rq(t);
	return 0;
}

static int
make(struct t *t)
{
	return make_with(t, &key, DATE, "content-type;host;x-amz-date");
}

/* The reason the verifier gives for t at now. */
static enum sigv4_why
why_at(struct t *t, time_t now)
{
	struct sigv4_result r;
	int rc;

	sync_rq(t);
	rc = sigv4_verify(&t->rq, &key, now, &r);
	if ((rc == 0) != (r.why == SIGV4_OK))
		return SIGV4__MAX;
	return r.why;
}

static enum sigv4_why
why(struct t *t)
{
	return why_at(t, when(DATE));
}

/* Replace the Authorization value with a spelled-out one. */
static void
set_auth(struct t *t, const char *v)
{
	size_t n = strlen(v) < sizeof t->auth ? strlen(v) : sizeof t->auth - 1;

	memmove(t->auth, v, n);
	t->auth[n] = '\0';
}

/* The same, formatted (the arguments may point into t->auth). */
static void
set_authf(struct t *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
set_authf(struct t *t, const char *fmt, ...)
{
	struct buf b = { 0 };
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n >= 0 && buf_addf(&b, "%*s", n, "") == 0) {
		va_start(ap, fmt);
		vsnprintf(b.data, (size_t)n + 1, fmt, ap);
		va_end(ap);
		set_auth(t, b.data);
	}
	buf_free(&b);
}

/* The signature part of the current Authorization value. */
static const char *
sig_of(struct t *t)
{
	const char *s = strstr(t->auth, "Signature=");

	return s ? s + 10 : "";
}

/* ---- AWS's own test vectors (the SigV4 test suite) ---- */

static const struct sigv4_key example = { "AKIDEXAMPLE",
    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "service" };

static int
vector(const char *method, const char *uri, const char *want)
{
	struct sigv4_header h[] = { { "host", "example.amazonaws.com" },
	    { "x-amz-date", "20150830T123600Z" } };
	struct sigv4_request rq = { method, uri, h, 2, NULL, 0 };
	char out[512], expect[512];

	snprintf(expect, sizeof expect, "AWS4-HMAC-SHA256 Credential="
	    "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=host;x-amz-date, Signature=%s", want);
	return sigv4_sign(&rq, &example, "20150830T123600Z", "host;x-amz-date",
	    out, sizeof out) == 0 && strcmp(out, expect) == 0;
}

TEST(sign_matches_aws_get_vanilla)
{
	CHECK(vector("GET", "/", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260"
	    "956d9b8aae1d763fbf31"));
}

TEST(sign_matches_aws_query_order)
{
	CHECK(vector("GET", "/?Param2=value2&Param1=value1", "b97d918cfa904a5b"
	    "eff61c982a1b6f458b799221646efd99d3219ec94cdf2500"));
}

TEST(sign_matches_aws_post_vanilla_query)
{
	CHECK(vector("POST", "/?Param1=value1", "28038455d6de14eafc1f9222cf5aa6"
	    "f1a96197d7deb8263271d420d138af7f11"));
}

/* ---- accepted ---- */

TEST(verify_accepts_signed_request)
{
	struct t t;
	struct sigv4_result r;

	CHECK(make(&t) == 0);
	CHECK(sigv4_verify(&t.rq, &key, when(DATE), &r) == 0);
	CHECK(r.why == SIGV4_OK);
	CHECK(strcmp(r.key_id, KEY_ID) == 0);
	CHECK(strlen(r.signature) == 64);
	CHECK(r.date == when(DATE));
}

TEST(verify_accepts_date_within_five_minutes)
{
	struct t t;

	CHECK(make(&t) == 0);
	CHECK(why_at(&t, when(DATE) + 299) == SIGV4_OK);
	CHECK(why_at(&t, when(DATE) - 300) == SIGV4_OK);
}

TEST(verify_accepts_matching_content_sha256)
{
	struct t t;
	char hash[65];

	CHECK(util_sha256_hex(BODY, strlen(BODY), hash) == 0);
	memset(&t, 0, sizeof t);
	t.method = "POST";
	snprintf(t.uri, sizeof t.uri, "/authproxy/token");
	t.body = BODY;
	add(&t, "host", "h");
	add(&t, "x-amz-content-sha256", hash);
	add(&t, "x-amz-date", DATE);
	sync_rq(&t);
	CHECK(sigv4_sign(&t.rq, &key, DATE, "host;x-amz-content-sha256;"
	    "x-amz-date", t.auth, sizeof t.auth) == 0);
	add(&t, "authorization", t.auth);
	CHECK(why(&t) == SIGV4_OK);
}

TEST(verify_accepts_unsigned_extra_header_changed)
{
	struct t t;

	CHECK(make(&t) == 0);
	add(&t, "user-agent", "anything at all");
	CHECK(why(&t) == SIGV4_OK);
}

TEST(verify_header_spaces_folded_as_aws_does)
{
	struct t t;

	CHECK(make_with(&t, &key, DATE, "content-type;host;x-amz-date") == 0);
	find(&t, "content-type")->value = "  application/json  ";
	CHECK(why(&t) == SIGV4_OK);
	find(&t, "content-type")->value = "application/ json";
	CHECK(why(&t) == SIGV4_MISMATCH);
}

TEST(verify_accepts_empty_body)
{
	struct t t;

	memset(&t, 0, sizeof t);
	t.method = "GET";
	snprintf(t.uri, sizeof t.uri, "/x?b=2&a=1");
	add(&t, "host", "h");
	add(&t, "x-amz-date", DATE);
	sync_rq(&t);
	CHECK(sigv4_sign(&t.rq, &key, DATE, "host;x-amz-date", t.auth,
	    sizeof t.auth) == 0);
	add(&t, "authorization", t.auth);
	CHECK(why(&t) == SIGV4_OK);
}

/* ---- the Authorization header ---- */

TEST(verify_bad_missing_authorization)
{
	struct t t;

	CHECK(make(&t) == 0);
	find(&t, "authorization")->name = "x-not-authorization";
	CHECK(why(&t) == SIGV4_MISSING);
}

TEST(verify_bad_authorization_twice)
{
	struct t t;

	CHECK(make(&t) == 0);
	add(&t, "authorization", t.auth);
	CHECK(why(&t) == SIGV4_MALFORMED);
}

TEST(verify_bad_other_algorithm)
{
	struct t t;

	CHECK(make(&t) == 0);
	set_authf(&t, "AWS4-HMAC-SHA512%s", t.auth + 16);
	CHECK(why(&t) == SIGV4_MALFORMED);
	CHECK(make(&t) == 0);
	set_authf(&t, "aws4-hmac-sha256%s", t.auth + 16);
	CHECK(why(&t) == SIGV4_MALFORMED);
	CHECK(make(&t) == 0);
	set_authf(&t, "AWS4-HMAC-SHA256,%s", t.auth + 17);
	CHECK(why(&t) == SIGV4_MALFORMED);
}

TEST(verify_bad_components_out_of_order)
{
	struct t t;

	CHECK(make(&t) == 0);
	set_authf(&t, "AWS4-HMAC-SHA256 SignedHeaders=content-type;"
	    "host;x-amz-date, Credential=" KEY_ID "/20261202/us-east-1/"
	    "connector/aws4_request, Signature=%s", sig_of(&t));
	CHECK(why(&t) == SIGV4_MALFORMED);
}

TEST(verify_bad_trailing_or_missing_parts)
{
	struct t t;

	CHECK(make(&t) == 0);
	set_authf(&t, "%s, Extra=1", t.auth);
	CHECK(why(&t) == SIGV4_MALFORMED);
	CHECK(make(&t) == 0);
	set_authf(&t, "%s ", t.auth);
	CHECK(why(&t) == SIGV4_MALFORMED);
	set_auth(&t, "AWS4-HMAC-SHA256 Credential=" KEY_ID "/20261202/"
	    "us-east-1/connector/aws4_request");
	CHECK(why(&t) == SIGV4_MALFORMED);
	set_auth(&t, "");
	CHECK(why(&t) == SIGV4_MALFORMED);
	set_auth(&t, "Bearer abc");
	CHECK(why(&t) == SIGV4_MALFORMED);
}

TEST(verify_bad_signature_text)
{
	struct t t;
	char *s;

	CHECK(make(&t) == 0);
	for (s = strstr(t.auth, "Signature=") + 10; *s; s++)
		if (*s >= 'a' && *s <= 'f')
			*s = (char)(*s - 'a' + 'A');
	CHECK(why(&t) == SIGV4_MALFORMED);	/* upper-case hex */
	CHECK(make(&t) == 0);
	t.auth[strlen(t.auth) - 1] = '\0';
	CHECK(why(&t) == SIGV4_MALFORMED);	/* 63 digits */
	CHECK(make(&t) == 0);
	t.auth[strlen(t.auth) - 1] = 'g';
	CHECK(why(&t) == SIGV4_MALFORMED);
}

TEST(verify_bad_credential_scope_shape)
{
	static const char *const creds[] = {
		KEY_ID "/20261202/us-east-1/connector",
		KEY_ID "/20261202/us-east-1/connector/aws4_request/x",
		KEY_ID "/20261202//connector/aws4_request",
		KEY_ID "/20261202/us-east-1/connector/aws4_requesT",
		KEY_ID "/2026120/us-east-1/connector/aws4_request",
		KEY_ID "/2026120x/us-east-1/connector/aws4_request",
		"ampkey-lower-case-1/20261202/us-east-1/connector/aws4_request",
		"SHORTKEY/20261202/us-east-1/connector/aws4_request",
		"/" KEY_ID "/20261202/us-east-1/connector/aws4_request",
		KEY_ID "/20261202/US-EAST-1/connector/aws4_request",
	};
	struct t t;

	for (size_t i = 0; i < sizeof creds / sizeof creds[0]; i++) {
		CHECK(make(&t) == 0);
		set_authf(&t, "AWS4-HMAC-SHA256 Credential=%s, "
		    "SignedHeaders=content-type;host;x-amz-date, Signature=%s",
		    creds[i], sig_of(&t));
		CHECK(why(&t) == SIGV4_MALFORMED);
	}
}

TEST(verify_bad_signed_headers_list)
{
	static const char *const lists[] = {
		"host;content-type;x-amz-date",		/* not sorted */
		"content-type;host;host;x-amz-date",	/* twice */
		"content-type;Host;x-amz-date",		/* upper case */
		"content-type;;host;x-amz-date",	/* empty name */
		";content-type;host;x-amz-date",
		"content-type;host;x-amz-date;",
		"content-type;host;x_amz_date",
		"authorization;host;x-amz-date",
	};
	struct t t;

	for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
		CHECK(make(&t) == 0);
		set_authf(&t, "AWS4-HMAC-SHA256 Credential=" KEY_ID
		    "/20261202/us-east-1/connector/aws4_request, "
		    "SignedHeaders=%s, Signature=%s", lists[i], sig_of(&t));
		CHECK(why(&t) == SIGV4_MALFORMED);
	}
}

TEST(verify_bad_too_many_signed_headers)
{
	struct t t;
	struct buf v = { 0 };

	CHECK(make(&t) == 0);
	buf_adds(&v, "AWS4-HMAC-SHA256 Credential=" KEY_ID "/20261202/"
	    "us-east-1/connector/aws4_request, SignedHeaders=");
	for (int i = 0; i < SIGV4_MAX_SIGNED + 1; i++)
		buf_addf(&v, "%sh%02d", i ? ";" : "", i);
	buf_addf(&v, ";host;x-amz-date, Signature=%s", sig_of(&t));
	set_auth(&t, v.data);
	buf_free(&v);
	CHECK(why(&t) == SIGV4_MALFORMED);
}

TEST(verify_bad_authorization_too_long)
{
	struct t t;
	char *v = malloc(SIGV4_AUTH_MAX + 100);

	CHECK(v != NULL);
	CHECK(make(&t) == 0);
	memset(v, 'A', SIGV4_AUTH_MAX + 50);
	v[SIGV4_AUTH_MAX + 50] = '\0';
	find(&t, "authorization")->value = v;
	CHECK(why(&t) == SIGV4_MALFORMED);
	free(v);
}

/* ---- key, scope, date ---- */

TEST(verify_bad_other_key_id)
{
	static const struct sigv4_key other = { "AMPKEYSOMEONEELSE001", SECRET,
	    REGION, SERVICE };
	struct t t;

	CHECK(make_with(&t, &other, DATE, "content-type;host;x-amz-date") == 0);
	CHECK(why(&t) == SIGV4_KEY);
}

TEST(verify_bad_other_secret)
{
	static const struct sigv4_key other = { KEY_ID, "another-secret-0001",
	    REGION, SERVICE };
	struct t t;

	CHECK(make_with(&t, &other, DATE, "content-type;host;x-amz-date") == 0);
	CHECK(why(&t) == SIGV4_MISMATCH);
}

TEST(verify_bad_other_region_or_service)
{
	static const struct sigv4_key region = { KEY_ID, SECRET, "eu-west-1",
	    SERVICE };
	static const struct sigv4_key service = { KEY_ID, SECRET, REGION,
	    "sts" };
	struct t t;

	CHECK(make_with(&t, &region, DATE, "content-type;host;x-amz-date") == 0);
	CHECK(why(&t) == SIGV4_SCOPE);
	CHECK(make_with(&t, &service, DATE, "content-type;host;x-amz-date") ==
	    0);
	CHECK(why(&t) == SIGV4_SCOPE);
}

TEST(verify_bad_host_not_signed)
{
	struct t t;

	CHECK(make_with(&t, &key, DATE, "content-type;x-amz-date") == 0);
	CHECK(why(&t) == SIGV4_UNSIGNED);
}

TEST(verify_bad_date_not_signed)
{
	struct t t;

	CHECK(make_with(&t, &key, DATE, "content-type;host") == 0);
	CHECK(why(&t) == SIGV4_DATE);
}

TEST(verify_bad_date_missing_or_malformed)
{
	static const char *const dates[] = { "2026-12-02T10:15:00Z",
	    "20261202T101500", "20261202t101500Z", "20261302T101500Z",
	    "20261232T101500Z", "20230229T101500Z", "20261202T241500Z",
	    "20261202T106000Z", "20261202T101560Z", "2026120T101500Z",
	    "+0261202T101500Z", "" };
	struct t t;

	for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++) {
		CHECK(make(&t) == 0);
		find(&t, "x-amz-date")->value = dates[i];
		CHECK(why(&t) == SIGV4_DATE);
	}
	CHECK(make(&t) == 0);
	find(&t, "x-amz-date")->name = "date";
	CHECK(why(&t) == SIGV4_DATE);
}

TEST(verify_bad_date_twice)
{
	struct t t;

	CHECK(make(&t) == 0);
	add(&t, "x-amz-date", DATE);
	CHECK(why(&t) == SIGV4_MALFORMED);
}

TEST(verify_bad_scope_day_not_the_dates)
{
	struct t t;
	char *d;

	CHECK(make(&t) == 0);
	d = strstr(t.auth, "/20261202/");
	CHECK(d != NULL);
	memcpy(d + 1, "20261201", 8);
	CHECK(why(&t) == SIGV4_DATE);
}

TEST(verify_bad_date_six_minutes_off)
{
	struct t t;

	CHECK(make(&t) == 0);
	CHECK(why_at(&t, when(DATE) + 360) == SIGV4_CLOCK);
	CHECK(why_at(&t, when(DATE) - 360) == SIGV4_CLOCK);
	CHECK(why_at(&t, when(DATE) + 301) == SIGV4_CLOCK);
}

TEST(parse_date_real_times_only)
{
	time_t t;

	CHECK(sigv4_parse_date("20240229T235959Z", &t) == 0);
	CHECK(t == 1709251199);
	CHECK(sigv4_parse_date("20000229T000000Z", &t) == 0);
	CHECK(sigv4_parse_date("21000229T000000Z", &t) != 0);
	CHECK(sigv4_parse_date("19691231T235959Z", &t) != 0);
	CHECK(sigv4_parse_date("20240229T235959Z ", &t) != 0);
	CHECK(sigv4_parse_date(NULL, &t) != 0);
}

/* ---- signed headers, token, body ---- */

TEST(verify_bad_signed_header_missing)
{
	struct t t;

	CHECK(make(&t) == 0);
	find(&t, "content-type")->name = "x-other";
	CHECK(why(&t) == SIGV4_UNSIGNED);
}

TEST(verify_bad_signed_header_twice)
{
	struct t t;

	CHECK(make(&t) == 0);
	add(&t, "content-type", "application/json");
	CHECK(why(&t) == SIGV4_MALFORMED);
	CHECK(make(&t) == 0);
	add(&t, "host", "127.0.0.1:8443");
	CHECK(why(&t) == SIGV4_MALFORMED);
}

TEST(verify_bad_signed_header_bytes)
{
	static const char *const values[] = { "application/json\x01",
	    "application/json\r\nx-evil: 1", "appl\xc3\xa9", "a\x7f" };
	struct t t;

	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		CHECK(make(&t) == 0);
		find(&t, "content-type")->value = values[i];
		CHECK(why(&t) == SIGV4_MALFORMED);
	}
}

TEST(verify_bad_session_token)
{
	struct t t;

	CHECK(make(&t) == 0);
	add(&t, "x-amz-security-token", "FQoGZXIvYXdzEJr");
	CHECK(why(&t) == SIGV4_TOKEN);
}

TEST(verify_bad_body_changed)
{
	struct t t;

	CHECK(make(&t) == 0);
	t.body = "{\"username\":\"user1\",\"password\":\"Directory-Pass-2\"}";
	CHECK(why(&t) == SIGV4_MISMATCH);
	CHECK(make(&t) == 0);
	t.body = NULL;
	CHECK(why(&t) == SIGV4_MISMATCH);
}

TEST(verify_bad_content_sha256_not_the_body)
{
	struct t t;

	CHECK(make(&t) == 0);
	add(&t, "x-amz-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae"
	    "41e4649b934ca495991b7852b855");
	CHECK(why(&t) == SIGV4_PAYLOAD);
	CHECK(make(&t) == 0);
	add(&t, "x-amz-content-sha256", "UNSIGNED-PAYLOAD");
	CHECK(why(&t) == SIGV4_PAYLOAD);
}

TEST(verify_bad_method_path_query_changed)
{
	struct t t;

	CHECK(make(&t) == 0);
	t.method = "PUT";
	CHECK(why(&t) == SIGV4_MISMATCH);
	CHECK(make(&t) == 0);
	snprintf(t.uri, sizeof t.uri, "/authproxy/token2");
	CHECK(why(&t) == SIGV4_MISMATCH);
	CHECK(make(&t) == 0);
	snprintf(t.uri, sizeof t.uri, "/authproxy/token?a=1");
	CHECK(why(&t) == SIGV4_MISMATCH);
	CHECK(make(&t) == 0);
	find(&t, "host")->value = "127.0.0.1:443";
	CHECK(why(&t) == SIGV4_MISMATCH);
}

TEST(verify_bad_method_or_uri_shape)
{
	static const char *const uris[] = { "authproxy/token", "",
	    "/a b", "/a\x01", "/a#frag", "/\xc3\xa9" };
	struct t t;

	for (size_t i = 0; i < sizeof uris / sizeof uris[0]; i++) {
		CHECK(make(&t) == 0);
		snprintf(t.uri, sizeof t.uri, "%s", uris[i]);
		CHECK(why(&t) == SIGV4_MALFORMED);
	}
	CHECK(make(&t) == 0);
	memset(t.uri, 'a', SIGV4_URI_MAX + 10);
	t.uri[0] = '/';
	t.uri[SIGV4_URI_MAX + 10] = '\0';
	CHECK(why(&t) == SIGV4_MALFORMED);
	CHECK(make(&t) == 0);
	t.method = "post";
	CHECK(why(&t) == SIGV4_MALFORMED);
	CHECK(make(&t) == 0);
	t.method = "";
	CHECK(why(&t) == SIGV4_MALFORMED);
}

TEST(verify_bad_query_shape)
{
	static const char *const queries[] = { "/x?a=%zz", "/x?a=%4",
	    "/x?a=b+c", "/x?X-Amz-Signature=abc", "/x?x-amz-credential=a",
	    "/x?X-Amz-Security-Token=t" };
	struct t t;

	for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
		CHECK(make(&t) == 0);
		snprintf(t.uri, sizeof t.uri, "%s", queries[i]);
		CHECK(why(&t) == SIGV4_MALFORMED);
	}
}

TEST(verify_bad_too_many_query_parameters)
{
	struct t t;
	size_t n;

	CHECK(make(&t) == 0);
	n = (size_t)snprintf(t.uri, sizeof t.uri, "/x?");
	for (int i = 0; i <= SIGV4_MAX_QUERY; i++)
		n += (size_t)snprintf(t.uri + n, sizeof t.uri - n, "p%d=1&", i);
	CHECK(why(&t) == SIGV4_MALFORMED);
}

/* ---- canonical forms ---- */

/* The canonical request of method uri with one header "host: h". */
static int
canonical_is(const char *uri, const char *want_path, const char *want_query)
{
	struct sigv4_header h[] = { { "host", "h" } };
	struct sigv4_request rq = { "GET", uri, h, 1, NULL, 0 };
	struct buf b = { 0 }, want = { 0 };
	int ok;

	buf_addf(&want, "GET\n%s\n%s\nhost:h\n\nhost\ne3b0c44298fc1c149afbf4c8"
	    "996fb92427ae41e4649b934ca495991b7852b855", want_path, want_query);
	ok = sigv4_canonical_request(&rq, "host", &b) == 0 &&
	    strcmp(b.data, want.data) == 0;
	if (!ok)
		printf("# got %s\n", b.data ? b.data : "(none)");
	buf_free(&b);
	buf_free(&want);
	return ok;
}

TEST(canonical_path_normalized_and_encoded_again)
{
	CHECK(canonical_is("/", "/", ""));
	CHECK(canonical_is("/a/./b/../c//d/", "/a/c/d/", ""));
	CHECK(canonical_is("/../..", "/", ""));
	CHECK(canonical_is("/%41b", "/%2541b", ""));
	CHECK(canonical_is("/a~b_c-d.e", "/a~b_c-d.e", ""));
	CHECK(canonical_is("/a:b@c!$", "/a%3Ab%40c%21%24", ""));
}

TEST(canonical_query_decoded_sorted_encoded)
{
	CHECK(canonical_is("/?b=2&a=1", "/", "a=1&b=2"));
	CHECK(canonical_is("/?a=2&a=1&a=10", "/", "a=1&a=10&a=2"));
	CHECK(canonical_is("/?flag&x=", "/", "flag=&x="));
	CHECK(canonical_is("/?a=%2f%2B%20", "/", "a=%2F%2B%20"));
	CHECK(canonical_is("/?a=*~'", "/", "a=%2A~%27"));
	CHECK(canonical_is("/?&&a=1&", "/", "a=1"));
	CHECK(canonical_is("/?%C3%A9=%E2%82%AC", "/", "%C3%A9=%E2%82%AC"));
}

int
main(void)
{
	RUN(sign_matches_aws_get_vanilla);
	RUN(sign_matches_aws_query_order);
	RUN(sign_matches_aws_post_vanilla_query);
	RUN(verify_accepts_signed_request);
	RUN(verify_accepts_date_within_five_minutes);
	RUN(verify_accepts_matching_content_sha256);
	RUN(verify_accepts_unsigned_extra_header_changed);
	RUN(verify_header_spaces_folded_as_aws_does);
	RUN(verify_accepts_empty_body);
	RUN(verify_bad_missing_authorization);
	RUN(verify_bad_authorization_twice);
	RUN(verify_bad_other_algorithm);
	RUN(verify_bad_components_out_of_order);
	RUN(verify_bad_trailing_or_missing_parts);
	RUN(verify_bad_signature_text);
	RUN(verify_bad_credential_scope_shape);
	RUN(verify_bad_signed_headers_list);
	RUN(verify_bad_too_many_signed_headers);
	RUN(verify_bad_authorization_too_long);
	RUN(verify_bad_other_key_id);
	RUN(verify_bad_other_secret);
	RUN(verify_bad_other_region_or_service);
	RUN(verify_bad_host_not_signed);
	RUN(verify_bad_date_not_signed);
	RUN(verify_bad_date_missing_or_malformed);
	RUN(verify_bad_date_twice);
	RUN(verify_bad_scope_day_not_the_dates);
	RUN(verify_bad_date_six_minutes_off);
	RUN(parse_date_real_times_only);
	RUN(verify_bad_signed_header_missing);
	RUN(verify_bad_signed_header_twice);
	RUN(verify_bad_signed_header_bytes);
	RUN(verify_bad_session_token);
	RUN(verify_bad_body_changed);
	RUN(verify_bad_content_sha256_not_the_body);
	RUN(verify_bad_method_path_query_changed);
	RUN(verify_bad_method_or_uri_shape);
	RUN(verify_bad_query_shape);
	RUN(verify_bad_too_many_query_parameters);
	RUN(canonical_path_normalized_and_encoded_again);
	RUN(canonical_query_decoded_sorted_encoded);
	UNIT_EXIT();
}
