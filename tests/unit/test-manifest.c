/*
 * test-manifest.c — the signed update manifest (lib/manifest.c): a good
 * one read; every one-byte change of the signature and of the manifest's
 * bytes refused; another key, an unknown key id, the test key outside test
 * mode; expired and replayed manifests; oversized, malformed and hostile
 * envelopes and manifests; unknown members; versions and times read the
 * strict way.  The test key's private half (tests/peers/keys) signs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "../../lib/manifest.h"
#include "unit.h"

#define TEST_KEY_PEM "tests/peers/keys/manifest-test.pem"
#define NOW 1800000000		/* 2027-01-15T08:00:00Z */

static EVP_PKEY *test_key, *other_key;

#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
/* A version entry (raw JSON). */
#define VERSION(v, n) "{\"version\":\"" v "\",\"released\":" \
	"\"2027-01-01T00:00:00Z\",\"notes\":\"" n "\",\"url\":" \
	"\"https://updates.example/p/" v "\",\"sha256\":\"" SHA "\"," \
	"\"size\":1000}"
#define VERSION2(v) VERSION(v, "x")

/* The good manifest's members, in order (raw JSON). */
#define NMEMBERS 9
static const char *const good[NMEMBERS][2] = {
	{ "format", "1" },
	{ "channel", "\"stable\"" },
	{ "serial", "42" },
	{ "published", "\"2027-01-10T00:00:00Z\"" },
	{ "expires", "\"2027-01-20T00:00:00Z\"" },
	{ "minimum_version", "\"0.0.5\"" },
	{ "latest", "\"1.2.0\"" },
	{ "versions", "[" VERSION("0.1.0", "First.") "," VERSION("1.2.0",
	    "Faster health checks.\\nFixes the strip.") "," VERSION("0.0.9",
	    "Older.") "]" },
	{ "recalled", "[{\"version\":\"0.1.1\",\"reason\":\"It loses the "
	    "proxy password\",\"fixed_in\":\"1.2.0\",\"downgrade_to\":"
	    "\"0.1.0\"}]" },
};

/* The good manifest into b with member's value replaced by value (raw
 * JSON; NULL: left out); a member not in it is added at the end. */
static void
make(struct buf *b, const char *member, const char *value)
{
	unit_json_with(b, good, NMEMBERS, member, value);
}

static void
b64(struct buf *out, const unsigned char *in, size_t len)
{
	unsigned char *o = malloc(len / 3 * 4 + 8);

	EVP_EncodeBlock(o, in, (int)len);
	buf_adds(out, (char *)o);
	free(o);
}

/* Sign body with key into sig[64]. */
static void
sign(EVP_PKEY *key, const void *body, size_t len, unsigned char sig[64])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t n = 64;

	EVP_DigestSignInit(ctx, NULL, NULL, NULL, key);
	EVP_DigestSign(ctx, sig, &n, body, len);
	EVP_MD_CTX_free(ctx);
}

/* The envelope of body[0..len) with sig, under key_id, into out. */
static void
wrap(struct buf *out, const char *key_id, const void *body, size_t len,
    const unsigned char sig[64])
{
	buf_reset(out);
	buf_addf(out, "{\"format\":1,\"key_id\":\"%s\",\"manifest\":\"",
	    key_id);
	b64(out, body, len);
	buf_adds(out, "\",\"signature\":\"");
	b64(out, sig, 64);
	buf_adds(out, "\"}");
}

/* body signed with key under key_id into out. */
static void
envelope(struct buf *out, const char *key_id, EVP_PKEY *key,
    const struct buf *body)
{
	unsigned char sig[64];

	sign(key, body->data, body->len, sig);
	wrap(out, key_id, body->data, body->len, sig);
}

static const struct manifest_policy test_mode = { NOW, 1, 0 };

/* Verify env under p: the refusal (MANIFEST_ACCEPTED when accepted). */
static enum manifest_refusal
verdict(const struct buf *env, const struct manifest_policy *p)
{
	enum manifest_refusal why = MANIFEST_ACCEPTED;
	struct manifest m;
	char detail[300];
	int rc;

	rc = manifest_verify(env->data, env->len, p, &m, &why, detail,
	    sizeof detail);
	manifest_free(&m);
	if ((rc == 0) != (why == MANIFEST_ACCEPTED))
		return (enum manifest_refusal)-1;
	if (rc != 0 && (!detail[0] || strlen(detail) >= sizeof detail))
		return (enum manifest_refusal)-1;
	/* The sentence is printable ASCII, whatever came in. */
	for (const char *c = detail; *c; c++)
		if (*c < 0x20 || *c >= 0x7f)
			return (enum manifest_refusal)-1;
	return why;
}

/* The good manifest with member set to value, signed with the test key:
 * its verdict in test mode. */
static enum manifest_refusal
signed_with(const char *member, const char *value)
{
	struct buf body = { 0 }, env = { 0 };
	enum manifest_refusal r;

	make(&body, member, value);
	envelope(&env, "test-1", test_key, &body);
	r = verdict(&env, &test_mode);
	buf_free(&body);
	buf_free(&env);
	return r;
}

TEST(good_manifest_read)
{
	struct buf body = { 0 }, env = { 0 };
	enum manifest_refusal why;
	struct manifest m;
	char detail[200];
	int rc;

	make(&body, NULL, NULL);
	envelope(&env, "test-1", test_key, &body);
	rc = manifest_verify(env.data, env.len, &test_mode, &m, &why, detail,
	    sizeof detail);
	buf_free(&body);
	buf_free(&env);
	CHECK(rc == 0 && why == MANIFEST_ACCEPTED);
	CHECK(m.key == MANIFEST_KEY_TEST && strcmp(m.key_id, "test-1") == 0);
	CHECK(m.serial == 42 && strcmp(m.latest, "1.2.0") == 0);
	CHECK(strcmp(m.minimum_version, "0.0.5") == 0);
	CHECK(m.published_at == 1799539200 && m.expires_at == 1800403200);
	CHECK(m.nversions == 3 && m.nrecalled == 1);
	CHECK(strcmp(m.versions[1].notes, "Faster health checks.\n"
	    "Fixes the strip.") == 0);
	CHECK(m.versions[1].size == 1000 && strlen(m.versions[1].sha256) == 64);
	CHECK(strcmp(m.versions[1].url, "https://updates.example/p/1.2.0") ==
	    0);
	CHECK(manifest_find(&m, "1.2") == &m.versions[1]);
	CHECK(manifest_find(&m, "1.3.0") == NULL);
	CHECK(manifest_recall_of(&m, "0.1.1") == &m.recalled[0]);
	CHECK(manifest_recall_of(&m, "0.1.0") == NULL);
	CHECK(strcmp(m.recalled[0].downgrade_to, "0.1.0") == 0 &&
	    strcmp(m.recalled[0].fixed_in, "1.2.0") == 0);
	manifest_free(&m);
	CHECK(m.versions == NULL && m.nversions == 0);
}

TEST(good_recall_without_optional_members)
{
	CHECK(signed_with("recalled", "[{\"version\":\"0.1.1\",\"reason\":"
	    "\"r\"}]") == MANIFEST_ACCEPTED);
	CHECK(signed_with("recalled", "[]") == MANIFEST_ACCEPTED);
}

TEST(bad_every_signature_byte_changed)
{
	struct buf body = { 0 }, env = { 0 };
	unsigned char sig[64], s2[64];
	int refused = 0;

	make(&body, NULL, NULL);
	sign(test_key, body.data, body.len, sig);
	for (int i = 0; i < 64; i++)
		for (int x = 1; x < 256; x <<= 1) {
			memcpy(s2, sig, 64);
			s2[i] ^= (unsigned char)x;
			wrap(&env, "test-1", body.data, body.len, s2);
			refused += verdict(&env, &test_mode) ==
			    MANIFEST_R_SIGNATURE;
		}
	wrap(&env, "test-1", body.data, body.len, sig);
	CHECK(verdict(&env, &test_mode) == MANIFEST_ACCEPTED);
	buf_free(&body);
	buf_free(&env);
	CHECK(refused == 64 * 8);
}

TEST(bad_every_manifest_byte_changed)
{
	struct buf body = { 0 }, env = { 0 };
	unsigned char sig[64];
	size_t refused = 0;

	make(&body, NULL, NULL);
	sign(test_key, body.data, body.len, sig);
	for (size_t i = 0; i < body.len; i++) {
		body.data[i] ^= 0x01;
		wrap(&env, "test-1", body.data, body.len, sig);
		refused += verdict(&env, &test_mode) == MANIFEST_R_SIGNATURE;
		body.data[i] ^= 0x01;
	}
	/* A byte more or a byte less. */
	buf_adds(&body, " ");
	wrap(&env, "test-1", body.data, body.len, sig);
	refused += verdict(&env, &test_mode) == MANIFEST_R_SIGNATURE;
	wrap(&env, "test-1", body.data, body.len - 2, sig);
	refused += verdict(&env, &test_mode) == MANIFEST_R_SIGNATURE;
	CHECK(refused == body.len + 1);
	buf_free(&body);
	buf_free(&env);
}

TEST(bad_signed_with_another_key)
{
	struct buf body = { 0 }, env = { 0 };

	make(&body, NULL, NULL);
	envelope(&env, "test-1", other_key, &body);
	CHECK(verdict(&env, &test_mode) == MANIFEST_R_SIGNATURE);
	/* The release key's id over a test-key signature. */
	envelope(&env, "release-1", test_key, &body);
	CHECK(verdict(&env, &test_mode) == MANIFEST_R_SIGNATURE);
	buf_free(&body);
	buf_free(&env);
}

TEST(bad_unknown_key_id)
{
	struct buf body = { 0 }, env = { 0 };

	make(&body, NULL, NULL);
	envelope(&env, "other-1", test_key, &body);
	CHECK(verdict(&env, &test_mode) == MANIFEST_R_KEY_UNKNOWN);
	envelope(&env, "TEST-1", test_key, &body);
	CHECK(verdict(&env, &test_mode) == MANIFEST_R_KEY_UNKNOWN);
	envelope(&env, "test-1.", test_key, &body);
	CHECK(verdict(&env, &test_mode) == MANIFEST_R_KEY_UNKNOWN);
	buf_free(&body);
	buf_free(&env);
}

TEST(bad_test_key_outside_test_mode)
{
	struct manifest_policy prod = { NOW, 0, 0 };
	struct buf body = { 0 }, env = { 0 };

	make(&body, NULL, NULL);
	envelope(&env, "test-1", test_key, &body);
	CHECK(verdict(&env, &prod) == MANIFEST_R_TEST_KEY);
	CHECK(verdict(&env, &test_mode) == MANIFEST_ACCEPTED);
	buf_free(&body);
	buf_free(&env);
}

TEST(bad_expired)
{
	struct manifest_policy p = test_mode;
	struct buf body = { 0 }, env = { 0 };

	make(&body, NULL, NULL);
	envelope(&env, "test-1", test_key, &body);
	p.now = 1800403200 - 1;
	CHECK(verdict(&env, &p) == MANIFEST_ACCEPTED);
	p.now = 1800403200;
	CHECK(verdict(&env, &p) == MANIFEST_R_EXPIRED);
	p.now = 1900000000;
	CHECK(verdict(&env, &p) == MANIFEST_R_EXPIRED);
	buf_free(&body);
	buf_free(&env);
}

TEST(bad_replayed_serial)
{
	struct manifest_policy p = test_mode;
	struct buf body = { 0 }, env = { 0 };

	make(&body, NULL, NULL);
	envelope(&env, "test-1", test_key, &body);
	p.last_serial = 43;
	CHECK(verdict(&env, &p) == MANIFEST_R_REPLAYED);
	p.last_serial = 42;	/* the same one again: accepted */
	CHECK(verdict(&env, &p) == MANIFEST_ACCEPTED);
	p.last_serial = 41;
	CHECK(verdict(&env, &p) == MANIFEST_ACCEPTED);
	buf_free(&body);
	buf_free(&env);
}

/* A version entry with notes of n bytes. */
static void
version_with_notes(struct buf *b, const char *v, size_t n)
{
	buf_addf(b, "{\"version\":\"%s\",\"released\":\"2027-01-01T00:00:00Z\","
	    "\"notes\":\"", v);
	for (size_t i = 0; i < n; i++)
		buf_adds(b, "n");
	buf_addf(b, "\",\"url\":\"https://u.example/%s\",\"sha256\":\"%064d\","
	    "\"size\":1}", v, 0);
}

TEST(bad_oversized)
{
	struct buf list = { 0 }, env = { 0 };

	/* Notes: 8 KiB accepted, one byte more refused. */
	buf_adds(&list, "[");
	version_with_notes(&list, "1.2.0", MANIFEST_NOTES_MAX);
	buf_adds(&list, "," VERSION2("0.1.0") "]");
	CHECK(signed_with("versions", list.data) == MANIFEST_ACCEPTED);
	buf_reset(&list);
	buf_adds(&list, "[");
	version_with_notes(&list, "1.2.0", MANIFEST_NOTES_MAX + 1);
	buf_adds(&list, "," VERSION2("0.1.0") "]");
	CHECK(signed_with("versions", list.data) == MANIFEST_R_MALFORMED);

	/* Versions: 200 accepted, 201 refused. */
	buf_reset(&list);
	buf_adds(&list, "[");
	for (int i = 0; i < MANIFEST_VERSIONS_MAX; i++) {
		char v[16];
		snprintf(v, sizeof v, "1.1.%d", i);
		if (i)
			buf_adds(&list, ",");
		/* The latest, the recall's downgrade, then others. */
		version_with_notes(&list, i == 0 ? "1.2.0" : i == 1 ? "0.1.0" :
		    v, 4);
	}
	buf_adds(&list, "]");
	CHECK(signed_with("versions", list.data) == MANIFEST_ACCEPTED);
	list.len--;		/* the closing bracket */
	buf_adds(&list, ",");
	version_with_notes(&list, "1.1.999", 4);
	buf_adds(&list, "]");
	CHECK(signed_with("versions", list.data) == MANIFEST_R_MALFORMED);

	/* The whole envelope: over 256 KiB refused before anything else. */
	buf_reset(&env);
	while (env.len <= MANIFEST_ENVELOPE_MAX)
		buf_adds(&env, "                ");
	CHECK(verdict(&env, &test_mode) == MANIFEST_R_TOOBIG);
	buf_free(&list);
	buf_free(&env);
}

TEST(bad_malformed_envelope)
{
	static const char *const bad[] = {
		"", "not json", "[]", "\"s\"", "null", "{}",
		"{\"format\":1,\"key_id\":\"test-1\",\"manifest\":\"e30=\"}",
		"{\"format\":2,\"key_id\":\"test-1\",\"manifest\":\"e30=\","
		    "\"signature\":\"" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\"}",
		"{\"format\":\"1\",\"key_id\":\"test-1\",\"manifest\":\"e30=\","
		    "\"signature\":\"AAAA\"}",
		"{\"format\":1,\"key_id\":\"test 1\",\"manifest\":\"e30=\","
		    "\"signature\":\"AAAA\"}",
		"{\"format\":1,\"key_id\":\"\",\"manifest\":\"e30=\","
		    "\"signature\":\"AAAA\"}",
		"{\"format\":1,\"key_id\":7,\"manifest\":\"e30=\","
		    "\"signature\":\"AAAA\"}",
		"{\"format\":1,\"key_id\":\"test-1\",\"manifest\":\"e30=\","
		    "\"signature\":\"AAAA\"}",
		"{\"format\":1,\"key_id\":\"test-1\",\"manifest\":{},"
		    "\"signature\":\"AAAA\"}",
		"{\"format\":1,\"key_id\":\"test-1\",\"manifest\":\"e30=\","
		    "\"signature\":\"AAAA\",\"extra\":1}",
		/* Hostile member names, not repeated raw in the sentence. */
		"{\"format\":1,\"key_id\":\"test-1\",\"m\\nanifest\":\"e30=\","
		    "\"signature\":\"AAAA\"}",
		"{\"format\":1,\"key_id\":\"test-1\",\"manifest\":\"e30=\","
		    "\"signature\":\"AAAA\",\"\u00e9\\u001b[31m\":1}",
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct buf env = { (char *)bad[i], strlen(bad[i]), 0 };
		CHECK(verdict(&env, &test_mode) == MANIFEST_R_ENVELOPE);
	}
}

/* The good envelope with its text edited: what to find, what to put. */
static enum manifest_refusal
edited(const char *find, const char *put)
{
	struct buf body = { 0 }, env = { 0 }, out = { 0 };
	enum manifest_refusal r;
	char *at;

	make(&body, NULL, NULL);
	envelope(&env, "test-1", test_key, &body);
	if ((at = strstr(env.data, find)) == NULL)
		return (enum manifest_refusal)-2;
	buf_add(&out, env.data, (size_t)(at - env.data));
	buf_adds(&out, put);
	buf_adds(&out, at + strlen(find));
	r = verdict(&out, &test_mode);
	buf_free(&body);
	buf_free(&env);
	buf_free(&out);
	return r;
}

TEST(bad_envelope_base64_and_duplicates)
{
	/* Whitespace in base64, a duplicate member, padding removed. */
	CHECK(edited("\"signature\":\"", "\"signature\":\" ") ==
	    MANIFEST_R_ENVELOPE);
	CHECK(edited("\"manifest\":\"", "\"manifest\":\"\\n") ==
	    MANIFEST_R_ENVELOPE);
	CHECK(edited("==\"}", "\"}") == MANIFEST_R_ENVELOPE);
	CHECK(edited("\"format\":1,", "\"format\":1,\"format\":1,") ==
	    MANIFEST_R_ENVELOPE);
	CHECK(edited("\"key_id\":\"test-1\"", "\"key_id\":\"test-1\\u0000\"") ==
	    MANIFEST_R_ENVELOPE);
	/* Unedited, it is accepted. */
	CHECK(edited("==\"}", "==\"}") == MANIFEST_ACCEPTED);
}

TEST(bad_non_canonical_base64)
{
	struct buf body = { 0 }, env = { 0 };
	unsigned char sig[64];
	char *p;

	make(&body, NULL, NULL);
	sign(test_key, body.data, body.len, sig);
	wrap(&env, "test-1", body.data, body.len, sig);
	/* The signature is 64 bytes: 86 characters and "==".  Its last
	 * character carries 4 bits of padding; setting one changes nothing
	 * in the bytes a lax decoder returns. */
	p = strstr(env.data, "==\"}");
	CHECK(p != NULL && strchr("AQgw", p[-1]) != NULL);
	p[-1] = (char)(p[-1] + 1);
	CHECK(verdict(&env, &test_mode) == MANIFEST_R_ENVELOPE);
	buf_free(&body);
	buf_free(&env);
}

TEST(bad_unknown_members)
{
	CHECK(signed_with("extra", "1") == MANIFEST_R_MALFORMED);
	CHECK(signed_with("versions", "[{\"version\":\"1.2.0\",\"released\":"
	    "\"2027-01-01T00:00:00Z\",\"notes\":\"\",\"url\":\"https://u.e/\","
	    "\"sha256\":\"" "0000000000000000000000000000000000000000000000000"
	    "000000000000000\",\"size\":1,\"name\":\"x\"}]") ==
	    MANIFEST_R_MALFORMED);
	CHECK(signed_with("recalled", "[{\"version\":\"0.1.1\",\"reason\":"
	    "\"r\",\"notes\":\"x\"}]") == MANIFEST_R_MALFORMED);
}

TEST(bad_malformed_manifest)
{
	static const char *const bad[][2] = {
		{ "format", NULL }, { "format", "2" }, { "format", "\"1\"" },
		{ "channel", "\"beta\"" }, { "channel", "null" },
		{ "serial", "0" }, { "serial", "-1" }, { "serial", "1.5" },
		{ "serial", "\"42\"" }, { "serial", "99999999999999999999" },
		{ "published", "\"2027-01-10\"" },
		{ "published", "\"2027-02-30T00:00:00Z\"" },
		{ "expires", "\"2027-01-09T00:00:00Z\"" },	/* before */
		{ "expires", "1800403200" },
		{ "minimum_version", "\"1.3.0\"" },		/* above latest */
		{ "minimum_version", "\"v1\"" },
		{ "latest", "\"1.1.0\"" },	/* not offered, below 1.2.0 */
		{ "latest", "\"2.0.0\"" },	/* not offered */
		{ "latest", "\"01.2.0\"" },
		{ "versions", "[]" }, { "versions", "{}" }, { "versions", "null" },
		{ "recalled", "{}" }, { "recalled", NULL },
		{ "recalled", "[{\"version\":\"1.2.0\",\"reason\":\"r\"}]" },
		{ "recalled", "[{\"version\":\"0.1.1\",\"reason\":\"\"}]" },
		{ "recalled", "[{\"version\":\"0.1.1\",\"reason\":\"a\\nb\"}]" },
		{ "recalled", "[{\"version\":\"0.1.1\"}]" },
		{ "recalled", "[{\"version\":\"0.1.1\",\"reason\":\"r\","
		    "\"downgrade_to\":\"0.0.8\"}]" },		/* not offered */
		{ "recalled", "[{\"version\":\"0.1.1\",\"reason\":\"r\","
		    "\"downgrade_to\":\"1.2.0\"}]" },		/* not below */
		{ "recalled", "[{\"version\":\"0.1.1\",\"reason\":\"r\","
		    "\"fixed_in\":\"0.1.0\"}]" },		/* not above */
		{ "recalled", "[{\"version\":\"0.1.1\",\"reason\":\"r\","
		    "\"fixed_in\":null}]" },
		{ "recalled", "[{\"version\":\"0.1.1\",\"reason\":\"r\"},"
		    "{\"version\":\"0.1.1.0\",\"reason\":\"r\"}]" },
		{ "recalled", "[1]" },
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(signed_with(bad[i][0], bad[i][1]) ==
		    MANIFEST_R_MALFORMED);
}

/* The versions member with one entry's member set to value. */
static enum manifest_refusal
entry_with(const char *member, const char *value)
{
	static const char *const names[] = { "version", "released", "notes",
	    "url", "sha256", "size" };
	static const char *const vals[] = { "\"1.2.0\"",
	    "\"2027-01-01T00:00:00Z\"", "\"n\"", "\"https://u.example/p\"",
	    "\"0000000000000000000000000000000000000000000000000000000000000000\"",
	    "5" };
	struct buf b = { 0 };
	enum manifest_refusal r;

	buf_adds(&b, "[{");
	for (int i = 0; i < 6; i++) {
		const char *v = strcmp(names[i], member) == 0 ? value : vals[i];
		if (v == NULL)
			continue;
		buf_addf(&b, "%s\"%s\":%s", b.len > 2 ? "," : "", names[i], v);
	}
	buf_adds(&b, "}," VERSION2("0.1.0") "]");
	r = signed_with("versions", b.data);
	buf_free(&b);
	return r;
}

TEST(bad_version_entries)
{
	static const char *const bad[][2] = {
		{ "version", NULL }, { "version", "\"1.2.0-rc1\"" },
		{ "released", "\"yesterday\"" }, { "notes", "7" },
		{ "notes", "\"a\\u0000b\"" }, { "notes", "\"bell\\u0007\"" },
		{ "url", "\"http://u.example/p\"" }, { "url", "\"https://\"" },
		{ "url", "\"https://u.example/a b\"" },
		{ "url", "\"javascript:alert(1)\"" },
		{ "sha256", "\"ABCDEF0000000000000000000000000000000000000000000000"
		    "000000000000\"" }, { "sha256", "\"00\"" },
		{ "size", "0" }, { "size", "-5" }, { "size", "\"5\"" },
		{ "size", "1e3" }, { "size", "999999999999999" },
	};

	CHECK(entry_with("size", "5") == MANIFEST_ACCEPTED);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(entry_with(bad[i][0], bad[i][1]) == MANIFEST_R_MALFORMED);
	/* Two entries of one version ("1.2" is "1.2.0"). */
	CHECK(signed_with("versions", "[" VERSION2("1.2.0") "," VERSION2("1.2")
	    "]") == MANIFEST_R_MALFORMED);
}

TEST(bad_manifest_not_json_or_duplicate)
{
	struct buf body = { 0 }, env = { 0 };

	buf_adds(&body, "{\"format\":1,");
	envelope(&env, "test-1", test_key, &body);
	CHECK(verdict(&env, &test_mode) == MANIFEST_R_MALFORMED);
	make(&body, NULL, NULL);
	body.data[body.len - 1] = ',';
	buf_adds(&body, "\"serial\":43}");
	envelope(&env, "test-1", test_key, &body);
	CHECK(verdict(&env, &test_mode) == MANIFEST_R_MALFORMED);
	buf_reset(&body);
	buf_adds(&body, "[1,2]");
	envelope(&env, "test-1", test_key, &body);
	CHECK(verdict(&env, &test_mode) == MANIFEST_R_MALFORMED);
	buf_free(&body);
	buf_free(&env);
}

TEST(version_syntax)
{
	static const char *const good_v[] = { "0", "1.2.3", "0.1.0",
	    "10.20.30.40", "999999999.0", "1.0.0.0" };
	static const char *const bad_v[] = { "", ".", "1.", ".1", "1..2",
	    "01", "1.02", "1.2.3.4.5", "1.a", "-1", "1,2", " 1", "1 ",
	    "1000000000", "v1.2", "1.2.3-rc1", "+1",
	    "1.1.1.11111111111111111111111111" };

	for (size_t i = 0; i < sizeof good_v / sizeof good_v[0]; i++)
		CHECK(manifest_version_valid(good_v[i]));
	for (size_t i = 0; i < sizeof bad_v / sizeof bad_v[0]; i++)
		CHECK(!manifest_version_valid(bad_v[i]));
}

TEST(version_compare)
{
	CHECK(manifest_version_cmp("1.10", "1.9") > 0);
	CHECK(manifest_version_cmp("1.9", "1.10") < 0);
	CHECK(manifest_version_cmp("1.0", "1.0.0") == 0);
	/* Not a version: the compare still ends (the check refuses such a
	 * build version before it compares). */
	CHECK(manifest_version_cmp("0.2.0-rc1", "0.2.0") > 0);
	CHECK(manifest_version_cmp("1.x", "1.0") == 0);
	CHECK(manifest_version_cmp("1", "1.0.0.0") == 0);
	CHECK(manifest_version_cmp("2", "1.99.99") > 0);
	CHECK(manifest_version_cmp("0.1.0", "0.1.1") < 0);
	CHECK(manifest_version_cmp("10.0", "9.9.9.9") > 0);
	CHECK(manifest_version_cmp("1.0.1", "1.0") > 0);
	CHECK(manifest_version_cmp("999999999", "999999998.999999999") > 0);
	CHECK(manifest_version_cmp("0.1.0", CONNECTOR_VERSION) <= 0 ||
	    manifest_version_cmp("0.1.0", CONNECTOR_VERSION) > 0);
	CHECK(manifest_version_valid(CONNECTOR_VERSION));
}

TEST(time_syntax)
{
	time_t t;

	CHECK(manifest_parse_time("2027-01-15T08:00:00Z", &t) == 0 &&
	    t == NOW);
	CHECK(manifest_parse_time("2027-01-15T09:30:00+01:30", &t) == 0 &&
	    t == NOW);
	CHECK(manifest_parse_time("2027-01-15T07:00:00-01:00", &t) == 0 &&
	    t == NOW);
	CHECK(manifest_parse_time("2027-01-15T08:00:00.123456Z", &t) == 0 &&
	    t == NOW);
	CHECK(manifest_parse_time("2028-02-29T00:00:00Z", &t) == 0);
	CHECK(manifest_parse_time("2027-02-29T00:00:00Z", &t) != 0);
	CHECK(manifest_parse_time("2027-04-31T00:00:00Z", &t) != 0);
	CHECK(manifest_parse_time("2027-01-15T24:00:00Z", &t) != 0);
	CHECK(manifest_parse_time("2027-01-15T08:00:60Z", &t) != 0);
	CHECK(manifest_parse_time("2027-01-15 08:00:00Z", &t) != 0);
	CHECK(manifest_parse_time("2027-01-15T08:00:00", &t) != 0);
	CHECK(manifest_parse_time("2027-01-15T08:00:00.Z", &t) != 0);
	CHECK(manifest_parse_time("2027-01-15T08:00:00+0100", &t) != 0);
	CHECK(manifest_parse_time("2027-01-15T08:00:00Zjunk", &t) != 0);
	CHECK(manifest_parse_time("1969-12-31T23:59:59Z", &t) != 0);
	CHECK(manifest_parse_time("", &t) != 0);
}

TEST(refusal_ids_distinct)
{
	for (int a = MANIFEST_ACCEPTED; a <= MANIFEST_R_REPLAYED; a++)
		for (int b = a + 1; b <= MANIFEST_R_REPLAYED; b++)
			CHECK(strcmp(manifest_refusal_id(a),
			    manifest_refusal_id(b)) != 0);
}

int
main(void)
{
	FILE *f = fopen(TEST_KEY_PEM, "r");

	if (f == NULL || (test_key = PEM_read_PrivateKey(f, NULL, NULL,
	    NULL)) == NULL || (other_key = EVP_PKEY_Q_keygen(NULL, NULL,
	    "ED25519")) == NULL) {
		printf("FAIL setup: the test key %s (run from the top "
		    "directory)\n", TEST_KEY_PEM);
		return 1;
	}
	fclose(f);
	RUN(good_manifest_read);
	RUN(good_recall_without_optional_members);
	RUN(bad_every_signature_byte_changed);
	RUN(bad_every_manifest_byte_changed);
	RUN(bad_signed_with_another_key);
	RUN(bad_unknown_key_id);
	RUN(bad_test_key_outside_test_mode);
	RUN(bad_expired);
	RUN(bad_replayed_serial);
	RUN(bad_oversized);
	RUN(bad_malformed_envelope);
	RUN(bad_envelope_base64_and_duplicates);
	RUN(bad_non_canonical_base64);
	RUN(bad_unknown_members);
	RUN(bad_malformed_manifest);
	RUN(bad_version_entries);
	RUN(bad_manifest_not_json_or_duplicate);
	RUN(version_syntax);
	RUN(version_compare);
	RUN(time_syntax);
	RUN(refusal_ids_distinct);
	EVP_PKEY_free(test_key);
	EVP_PKEY_free(other_key);
	UNIT_EXIT();
}
