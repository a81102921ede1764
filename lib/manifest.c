/*
 * manifest.c — the signed update manifest: the envelope read, its Ed25519
 * signature checked over the manifest's exact bytes against a key built
 * into the program, then the manifest read strictly (unknown members,
 * wrong types, over-long values and inconsistent versions refused), then
 * its expiry and serial held against the policy.  See docs/manifest.md.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "manifest.h"

#define SIG_LEN 64
#define KEY_LEN 32

/*
 * The public keys.  The release key's private half is held by whoever
 * publishes releases and is not in this tree.  The test key's private half
 * is tests/peers/keys/manifest-test.pem: the doubles sign with it, and only
 * an instance in test mode (connector-setup init --allow-loopback-peers)
 * accepts it.
 */
static const struct {
	const char *id;
	enum manifest_key kind;
	unsigned char pub[KEY_LEN];
} keys[] = {
	{ "release-1", MANIFEST_KEY_RELEASE, {
		0x34, 0x96, 0x22, 0xb2, 0xe3, 0x4f, 0x1a, 0x3a,
		0xbc, 0x15, 0xcc, 0x8b, 0x52, 0x13, 0x1e, 0x11,
		0x0b, 0x84, 0xd2, 0x28, 0x37, 0x61, 0xd8, 0x7e,
		0x3c, 0xc3, 0xe3, 0xe8, 0xb6, 0xe0, 0x7f, 0x81 } },
	{ "test-1", MANIFEST_KEY_TEST, {
		0xdc, 0xe8, 0x41, 0xb2, 0xba, 0x9d, 0x74, 0xe6,
		0x42, 0x57, 0xbb, 0xb0, 0x5a, 0x2a, 0x89, 0xbd,
		0xa5, 0xca, 0xea, 0x26, 0xef, 0xb6, 0xfe, 0xbf,
		0x3b, 0x3a, 0xef, 0xff, 0x75, 0x64, 0x73, 0xb4 } },
};

const char *
manifest_refusal_id(enum manifest_refusal r)
{
	switch (r) {
	case MANIFEST_ACCEPTED: return "accepted";
	case MANIFEST_R_TOOBIG: return "too_big";
	case MANIFEST_R_ENVELOPE: return "envelope";
	case MANIFEST_R_KEY_UNKNOWN: return "unknown_key";
	case MANIFEST_R_TEST_KEY: return "test_key";
	case MANIFEST_R_SIGNATURE: return "signature";
	case MANIFEST_R_MALFORMED: return "malformed";
	case MANIFEST_R_EXPIRED: return "expired";
	case MANIFEST_R_REPLAYED: return "replayed";
	}
	return "unknown";
}

const char *
manifest_key_name(enum manifest_key k)
{
	return k == MANIFEST_KEY_TEST ? "test key" : "release key";
}

/* ---- versions and times ---- */

int
manifest_version_valid(const char *s)
{
	size_t len = strlen(s), digits = 0;
	int parts = 1;

	if (len == 0 || len >= MANIFEST_VERSION_LEN)
		return 0;
	for (const char *p = s; *p; p++) {
		if (*p == '.') {
			if (digits == 0 || ++parts > MANIFEST_VERSION_PARTS)
				return 0;
			digits = 0;
		} else if (*p >= '0' && *p <= '9') {
			/* No leading zeros: "01" and "1" would be one version. */
			if (digits == 1 && p[-1] == '0')
				return 0;
			if (++digits > 9)
				return 0;
		} else
			return 0;
	}
	return digits > 0;
}

int
manifest_version_cmp(const char *a, const char *b)
{
	while (*a || *b) {
		unsigned long x = 0, y = 0;
		while (*a >= '0' && *a <= '9')
			x = x * 10 + (unsigned long)(*a++ - '0');
		while (*b >= '0' && *b <= '9')
			y = y * 10 + (unsigned long)(*b++ - '0');
		if (x != y)
			return x < y ? -1 : 1;
		/* Past the number: a dot, or anything else that is not a
		 * digit (not a valid version; skipped so the loop ends). */
		if (*a && (*a < '0' || *a > '9'))
			a++;
		if (*b && (*b < '0' || *b > '9'))
			b++;
	}
	return 0;
}

static int
digits(const char *s, int n, int *out)
{
	*out = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		*out = *out * 10 + (s[i] - '0');
	}
	return 1;
}

int
manifest_parse_time(const char *s, time_t *out)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	const char *p;
	time_t t;

	if (strlen(s) < 20 || strlen(s) >= MANIFEST_TIME_LEN ||
	    !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
	    s[7] != '-' || !digits(s + 8, 2, &d) || s[10] != 'T' ||
	    !digits(s + 11, 2, &h) || s[13] != ':' ||
	    !digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !digits(s + 17, 2, &sec))
		return CONN_EINVAL;
	p = s + 19;
	if (*p == '.') {
		int n = 0;
		while (*++p >= '0' && *p <= '9')
			n++;
		if (n < 1 || n > 9)
			return CONN_EINVAL;
	}
	if (*p == 'Z')
		p++;
	else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (!digits(p + 1, 2, &oh) || p[3] != ':' ||
		    !digits(p + 4, 2, &om) || oh > 23 || om > 59)
			return CONN_EINVAL;
		p += 6;
	} else
		return CONN_EINVAL;
	if (*p != '\0' || util_utc_time(y, mo, d, h, mi, sec, &t) != 0)
		return CONN_EINVAL;
	*out = t - sign * (oh * 3600 + om * 60);
	return 0;
}

/* ---- base64, strictly: padded, no white space, no stray bits ---- */

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Decode s[0..len) into a new buffer *out (NUL-terminated, *outlen bytes
 * without the NUL; free it).  Returns 0, CONN_EINVAL or CONN_ENOMEM.
 */
static int
b64decode(const char *s, size_t len, unsigned char **out, size_t *outlen)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned char *o;
	size_t n = 0, pad = 0;

	*out = NULL;
	*outlen = 0;
	if (len == 0 || len % 4 != 0)
		return CONN_EINVAL;
	if (u[len - 1] == '=')
		pad = u[len - 2] == '=' ? 2 : 1;
	if ((o = malloc(len / 4 * 3 + 1)) == NULL)
		return CONN_ENOMEM;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		int last = i + 4 == len;
		for (int k = 0; k < 4; k++) {
			if (last && k >= 4 - (int)pad) {
				v[k] = 0;
				if (u[i + k] != '=')
					goto bad;
			} else if ((v[k] = b64val(u[i + k])) < 0)
				goto bad;
		}
		o[n++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (!(last && pad == 2))
			o[n++] = (unsigned char)((v[1] & 0xf) << 4 | v[2] >> 2);
		else if (v[1] & 0xf)
			goto bad;		/* bits the encoding left over */
		if (!(last && pad >= 1))
			o[n++] = (unsigned char)((v[2] & 0x3) << 6 | v[3]);
		else if (pad == 1 && (v[2] & 0x3))
			goto bad;
	}
	o[n] = '\0';
	*out = o;
	*outlen = n;
	return 0;
bad:
	free(o);
	return CONN_EINVAL;
}

/* ---- reading JSON strictly ---- */

struct reader {
	enum manifest_refusal *why;
	char *detail;
	size_t detaillen;
};

static int
refuse(struct reader *rd, enum manifest_refusal r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Record refusal r with a sentence; returns CONN_EINVAL.  Member names and
 * parser messages come from outside: anything but printable ASCII in the
 * sentence becomes '?'.
 */
static int
refuse(struct reader *rd, enum manifest_refusal r, const char *fmt, ...)
{
	va_list ap;

	*rd->why = r;
	if (rd->detaillen == 0)
		return CONN_EINVAL;
	va_start(ap, fmt);
	vsnprintf(rd->detail, rd->detaillen, fmt, ap);
	va_end(ap);
	for (unsigned char *p = (unsigned char *)rd->detail; *p; p++)
		if (*p < 0x20 || *p >= 0x7f)
			*p = '?';
	return CONN_EINVAL;
}

/* 1 when object o has exactly the members of names[] marked required and
 * none outside names[]; *bad names the first offender. */
static int
members(json_t *o, const char *const *names, const char *const *optional,
    const char **bad)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) {
		int known = 0;
		for (const char *const *n = names; *n && !known; n++)
			known = strcmp(*n, k) == 0;
		for (const char *const *n = optional; n && *n && !known; n++)
			known = strcmp(*n, k) == 0;
		if (!known) {
			*bad = k;
			return 0;
		}
	}
	for (const char *const *n = names; *n; n++)
		if (json_object_get(o, *n) == NULL) {
			*bad = *n;
			return 0;
		}
	return 1;
}

/* The string member name of o, at most max bytes, with no NUL inside;
 * NULL when not so. */
static const char *
str(json_t *o, const char *name, size_t max)
{
	json_t *v = json_object_get(o, name);
	const char *s;

	if (!json_is_string(v))
		return NULL;
	s = json_string_value(v);
	if (json_string_length(v) > max || strlen(s) != json_string_length(v))
		return NULL;
	return s;
}

/* 1 when s holds no control characters (tab and line breaks when text). */
static int
clean(const char *s, int text)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 || *p == 0x7f) &&
		    !(text && (*p == '\n' || *p == '\t' || *p == '\r')))
			return 0;
	return 1;
}

static int
is_sha256(const char *s)
{
	if (strlen(s) != 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return 0;
	return 1;
}

static int
is_url(const char *s)
{
	if (strncmp(s, "https://", 8) != 0 || strlen(s) <= 8)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return 0;
	return 1;
}

/* A version member into out: 1, or 0 when missing or not a version. */
static int
version_member(json_t *o, const char *name, char *out)
{
	const char *s = str(o, name, MANIFEST_VERSION_LEN - 1);

	if (s == NULL || !manifest_version_valid(s))
		return 0;
	snprintf(out, MANIFEST_VERSION_LEN, "%s", s);
	return 1;
}

/* A time member into text and *t: 1 or 0. */
static int
time_member(json_t *o, const char *name, char *text, time_t *t)
{
	const char *s = str(o, name, MANIFEST_TIME_LEN - 1);

	if (s == NULL || manifest_parse_time(s, t) != 0)
		return 0;
	snprintf(text, MANIFEST_TIME_LEN, "%s", s);
	return 1;
}

static int
read_version(struct reader *rd, size_t i, json_t *o,
    struct manifest_version *v)
{
	static const char *const names[] = { "version", "released", "notes",
	    "url", "sha256", "size", NULL };
	const char *bad, *s;
	json_t *size;

	if (!json_is_object(o))
		return refuse(rd, MANIFEST_R_MALFORMED, "versions[%zu] is not "
		    "an object", i);
	if (!members(o, names, NULL, &bad))
		return refuse(rd, MANIFEST_R_MALFORMED, "versions[%zu]: member "
		    "'%.40s' is unknown or missing", i, bad);
	if (!version_member(o, "version", v->version))
		return refuse(rd, MANIFEST_R_MALFORMED, "versions[%zu].version "
		    "is not a version", i);
	if (!time_member(o, "released", v->released, &v->released_at))
		return refuse(rd, MANIFEST_R_MALFORMED, "versions[%zu].released "
		    "is not an RFC 3339 time", i);
	if ((s = str(o, "notes", MANIFEST_NOTES_MAX)) == NULL || !clean(s, 1))
		return refuse(rd, MANIFEST_R_MALFORMED, "versions[%zu].notes is "
		    "not text of at most %d bytes", i, MANIFEST_NOTES_MAX);
	if ((v->notes = strdup(s)) == NULL)
		return CONN_ENOMEM;
	if ((s = str(o, "url", MANIFEST_URL_MAX)) == NULL || !is_url(s))
		return refuse(rd, MANIFEST_R_MALFORMED, "versions[%zu].url is "
		    "not an https URL", i);
	snprintf(v->url, sizeof v->url, "%s", s);
	if ((s = str(o, "sha256", 64)) == NULL || !is_sha256(s))
		return refuse(rd, MANIFEST_R_MALFORMED, "versions[%zu].sha256 "
		    "is not 64 lower-case hex digits", i);
	memcpy(v->sha256, s, 65);
	size = json_object_get(o, "size");
	if (!json_is_integer(size) || json_integer_value(size) < 1 ||
	    json_integer_value(size) > MANIFEST_SIZE_MAX)
		return refuse(rd, MANIFEST_R_MALFORMED, "versions[%zu].size is "
		    "not a size in bytes", i);
	v->size = json_integer_value(size);
	return 0;
}

static int
read_recall(struct reader *rd, size_t i, json_t *o,
    struct manifest_recall *r)
{
	static const char *const names[] = { "version", "reason", NULL };
	static const char *const optional[] = { "fixed_in", "downgrade_to",
	    NULL };
	const char *bad, *s;

	if (!json_is_object(o))
		return refuse(rd, MANIFEST_R_MALFORMED, "recalled[%zu] is not "
		    "an object", i);
	if (!members(o, names, optional, &bad))
		return refuse(rd, MANIFEST_R_MALFORMED, "recalled[%zu]: member "
		    "'%.40s' is unknown or missing", i, bad);
	if (!version_member(o, "version", r->version))
		return refuse(rd, MANIFEST_R_MALFORMED, "recalled[%zu].version "
		    "is not a version", i);
	if ((s = str(o, "reason", MANIFEST_REASON_MAX)) == NULL || !*s ||
	    !clean(s, 0))
		return refuse(rd, MANIFEST_R_MALFORMED, "recalled[%zu].reason "
		    "is not one line of at most %d bytes", i,
		    MANIFEST_REASON_MAX);
	snprintf(r->reason, sizeof r->reason, "%s", s);
	if (json_object_get(o, "fixed_in") &&
	    (!version_member(o, "fixed_in", r->fixed_in) ||
	    manifest_version_cmp(r->fixed_in, r->version) <= 0))
		return refuse(rd, MANIFEST_R_MALFORMED, "recalled[%zu].fixed_in "
		    "is not a version above the recalled one", i);
	if (json_object_get(o, "downgrade_to") &&
	    (!version_member(o, "downgrade_to", r->downgrade_to) ||
	    manifest_version_cmp(r->downgrade_to, r->version) >= 0))
		return refuse(rd, MANIFEST_R_MALFORMED, "recalled[%zu]."
		    "downgrade_to is not a version below the recalled one", i);
	return 0;
}

/* Read the manifest's members from doc into m; the versions agree. */
static int
read_manifest(struct reader *rd, json_t *doc, struct manifest *m)
{
	static const char *const names[] = { "format", "channel", "serial",
	    "published", "expires", "minimum_version", "latest", "versions",
	    "recalled", NULL };
	const char *bad, *s;
	json_t *v, *list;
	size_t i, n;
	int rc;

	if (!json_is_object(doc))
		return refuse(rd, MANIFEST_R_MALFORMED, "the manifest is not a "
		    "JSON object");
	if (!members(doc, names, NULL, &bad))
		return refuse(rd, MANIFEST_R_MALFORMED, "member '%.40s' is "
		    "unknown or missing", bad);
	v = json_object_get(doc, "format");
	if (!json_is_integer(v) || json_integer_value(v) != MANIFEST_FORMAT)
		return refuse(rd, MANIFEST_R_MALFORMED, "format is not %d",
		    MANIFEST_FORMAT);
	if ((s = str(doc, "channel", sizeof m->channel - 1)) == NULL ||
	    strcmp(s, MANIFEST_CHANNEL) != 0)
		return refuse(rd, MANIFEST_R_MALFORMED, "the channel is not "
		    "\"%s\"", MANIFEST_CHANNEL);
	snprintf(m->channel, sizeof m->channel, "%s", s);
	v = json_object_get(doc, "serial");
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > (1LL << 53))
		return refuse(rd, MANIFEST_R_MALFORMED, "serial is not a "
		    "positive integer");
	m->serial = json_integer_value(v);
	if (!time_member(doc, "published", m->published, &m->published_at) ||
	    !time_member(doc, "expires", m->expires, &m->expires_at))
		return refuse(rd, MANIFEST_R_MALFORMED, "published or expires "
		    "is not an RFC 3339 time");
	if (m->expires_at <= m->published_at)
		return refuse(rd, MANIFEST_R_MALFORMED, "it expires before it "
		    "was published");
	if (!version_member(doc, "minimum_version", m->minimum_version) ||
	    !version_member(doc, "latest", m->latest))
		return refuse(rd, MANIFEST_R_MALFORMED, "minimum_version or "
		    "latest is not a version");

	list = json_object_get(doc, "versions");
	if (!json_is_array(list) || (n = json_array_size(list)) < 1 ||
	    n > MANIFEST_VERSIONS_MAX)
		return refuse(rd, MANIFEST_R_MALFORMED, "versions is not a list "
		    "of 1 to %d entries", MANIFEST_VERSIONS_MAX);
	if ((m->versions = calloc(n, sizeof *m->versions)) == NULL)
		return CONN_ENOMEM;
	json_array_foreach(list, i, v) {
		m->nversions = i + 1;	/* freed with m, even half-read */
		if ((rc = read_version(rd, i, v, &m->versions[i])) != 0)
			return rc;
		for (size_t k = 0; k < i; k++)
			if (manifest_version_cmp(m->versions[k].version,
			    m->versions[i].version) == 0)
				return refuse(rd, MANIFEST_R_MALFORMED,
				    "version %s is listed twice",
				    m->versions[i].version);
	}
	list = json_object_get(doc, "recalled");
	if (!json_is_array(list) || (n = json_array_size(list)) >
	    MANIFEST_RECALLED_MAX)
		return refuse(rd, MANIFEST_R_MALFORMED, "recalled is not a list "
		    "of at most %d entries", MANIFEST_RECALLED_MAX);
	if (n && (m->recalled = calloc(n, sizeof *m->recalled)) == NULL)
		return CONN_ENOMEM;
	json_array_foreach(list, i, v) {
		struct manifest_recall *r = &m->recalled[i];
		m->nrecalled = i + 1;
		if ((rc = read_recall(rd, i, v, r)) != 0)
			return rc;
		for (size_t k = 0; k < i; k++)
			if (manifest_version_cmp(m->recalled[k].version,
			    r->version) == 0)
				return refuse(rd, MANIFEST_R_MALFORMED,
				    "version %s is recalled twice",
				    r->version);
	}

	/* The lists agree: nothing recalled is offered, a downgrade is
	 * offered, latest is the highest offered, minimum is not above it. */
	for (i = 0; i < m->nrecalled; i++) {
		const struct manifest_recall *r = &m->recalled[i];
		if (manifest_find(m, r->version))
			return refuse(rd, MANIFEST_R_MALFORMED, "version %s is "
			    "both offered and recalled", r->version);
		if (r->downgrade_to[0] && !manifest_find(m, r->downgrade_to))
			return refuse(rd, MANIFEST_R_MALFORMED, "the downgrade "
			    "to %s is not offered", r->downgrade_to);
	}
	for (i = 0; i < m->nversions; i++)
		if (manifest_version_cmp(m->versions[i].version,
		    m->latest) > 0)
			return refuse(rd, MANIFEST_R_MALFORMED, "version %s is "
			    "above latest", m->versions[i].version);
	if (!manifest_find(m, m->latest))
		return refuse(rd, MANIFEST_R_MALFORMED, "latest (%s) is not "
		    "offered", m->latest);
	if (manifest_version_cmp(m->minimum_version, m->latest) > 0)
		return refuse(rd, MANIFEST_R_MALFORMED, "minimum_version is "
		    "above latest");
	return 0;
}

/* 1 when sig[0..SIG_LEN) is key's Ed25519 signature of msg; 0 when not;
 * CONN_ECRYPTO when OpenSSL failed. */
static int
ed25519_ok(const unsigned char *pub, const unsigned char *sig,
    const unsigned char *msg, size_t len)
{
	EVP_PKEY *key;
	EVP_MD_CTX *ctx = NULL;
	int ok = CONN_ECRYPTO, rc;

	key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub,
	    KEY_LEN);
	if (key == NULL || (ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) != 1)
		goto out;
	rc = EVP_DigestVerify(ctx, sig, SIG_LEN, msg, len);
	ok = rc == 1;
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return ok;
}

int
manifest_verify(const char *data, size_t len,
    const struct manifest_policy *p, struct manifest *m,
    enum manifest_refusal *why, char *detail, size_t detaillen)
{
	static const char *const names[] = { "format", "key_id", "manifest",
	    "signature", NULL };
	struct reader rd = { why, detail, detaillen };
	unsigned char *body = NULL, *sig = NULL;
	size_t bodylen, siglen, k;
	const char *bad, *id, *s64, *m64;
	json_t *env = NULL, *doc = NULL, *v;
	json_error_t jerr;
	int rc;

	memset(m, 0, sizeof *m);
	*why = MANIFEST_ACCEPTED;
	if (detaillen)
		detail[0] = '\0';
	if (len > MANIFEST_ENVELOPE_MAX)
		return refuse(&rd, MANIFEST_R_TOOBIG, "the answer is %zu bytes, "
		    "more than %d", len, MANIFEST_ENVELOPE_MAX);

	/* The envelope: nothing in it is trusted before the signature. */
	env = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(env)) {
		rc = refuse(&rd, MANIFEST_R_ENVELOPE, "the answer is not a "
		    "JSON object");
		goto out;
	}
	if (!members(env, names, NULL, &bad)) {
		rc = refuse(&rd, MANIFEST_R_ENVELOPE, "envelope member "
		    "'%.40s' is unknown or missing", bad);
		goto out;
	}
	v = json_object_get(env, "format");
	if (!json_is_integer(v) || json_integer_value(v) != MANIFEST_FORMAT) {
		rc = refuse(&rd, MANIFEST_R_ENVELOPE, "the envelope's format is "
		    "not %d", MANIFEST_FORMAT);
		goto out;
	}
	id = str(env, "key_id", MANIFEST_KEY_ID_MAX);
	if (id == NULL || !*id || strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789._-") != strlen(id)) {
		rc = refuse(&rd, MANIFEST_R_ENVELOPE, "key_id is not a key "
		    "name");
		goto out;
	}
	if ((m64 = str(env, "manifest", MANIFEST_ENVELOPE_MAX)) == NULL ||
	    (s64 = str(env, "signature", 128)) == NULL) {
		rc = refuse(&rd, MANIFEST_R_ENVELOPE, "manifest or signature "
		    "is not a string");
		goto out;
	}
	if ((rc = b64decode(s64, strlen(s64), &sig, &siglen)) != 0 ||
	    siglen != SIG_LEN) {
		if (rc != CONN_ENOMEM)
			rc = refuse(&rd, MANIFEST_R_ENVELOPE, "the signature "
			    "is not %d bytes of base64", SIG_LEN);
		goto out;
	}
	if ((rc = b64decode(m64, strlen(m64), &body, &bodylen)) != 0) {
		if (rc != CONN_ENOMEM)
			rc = refuse(&rd, MANIFEST_R_ENVELOPE, "the manifest is "
			    "not base64");
		goto out;
	}

	/* The key, then the signature over the manifest's exact bytes. */
	snprintf(m->key_id, sizeof m->key_id, "%s", id);
	for (k = 0; k < sizeof keys / sizeof keys[0]; k++)
		if (strcmp(keys[k].id, id) == 0)
			break;
	if (k == sizeof keys / sizeof keys[0]) {
		rc = refuse(&rd, MANIFEST_R_KEY_UNKNOWN, "key '%s' is not one "
		    "of this program's keys", id);
		goto out;
	}
	m->key = keys[k].kind;
	if (m->key == MANIFEST_KEY_TEST && !p->allow_test_key) {
		rc = refuse(&rd, MANIFEST_R_TEST_KEY, "key '%s' is the test "
		    "key, accepted only in test mode", id);
		goto out;
	}
	rc = ed25519_ok(keys[k].pub, sig, body, bodylen);
	if (rc < 0)
		goto out;
	if (rc == 0) {
		rc = refuse(&rd, MANIFEST_R_SIGNATURE, "the Ed25519 signature "
		    "does not verify with key '%s'", id);
		goto out;
	}

	/* Signed: now the manifest itself. */
	doc = json_loadb((const char *)body, bodylen, JSON_REJECT_DUPLICATES,
	    &jerr);
	if (doc == NULL) {
		rc = refuse(&rd, MANIFEST_R_MALFORMED, "the manifest is not "
		    "JSON (line %d: %.80s)", jerr.line, jerr.text);
		goto out;
	}
	if ((rc = read_manifest(&rd, doc, m)) != 0)
		goto out;
	if (p->now >= m->expires_at) {
		rc = refuse(&rd, MANIFEST_R_EXPIRED, "it expired at %s",
		    m->expires);
		goto out;
	}
	if (m->serial < p->last_serial) {
		rc = refuse(&rd, MANIFEST_R_REPLAYED, "its serial %lld is below "
		    "%lld, the last one accepted", m->serial, p->last_serial);
		goto out;
	}
	rc = 0;
out:
	json_decref(doc);
	json_decref(env);
	free(body);
	free(sig);
	return rc;
}

void
manifest_free(struct manifest *m)
{
	for (size_t i = 0; i < m->nversions; i++)
		free(m->versions[i].notes);
	free(m->versions);
	free(m->recalled);
	memset(m, 0, sizeof *m);
}

const struct manifest_version *
manifest_find(const struct manifest *m, const char *v)
{
	for (size_t i = 0; i < m->nversions; i++)
		if (manifest_version_cmp(m->versions[i].version, v) == 0)
			return &m->versions[i];
	return NULL;
}

const struct manifest_recall *
manifest_recall_of(const struct manifest *m, const char *v)
{
	for (size_t i = 0; i < m->nrecalled; i++)
		if (manifest_version_cmp(m->recalled[i].version, v) == 0)
			return &m->recalled[i];
	return NULL;
}
