/*
 * sigv4.c — checking AWS Signature Version 4 on a request the connector
 * received (what is accepted: sigv4.h).  The canonical request is rebuilt
 * from what arrived, as AWS's own signers build it:
 *
 *   METHOD \n
 *   the path, dot segments and empty segments removed, every byte but
 *     A-Z a-z 0-9 - _ . ~ / percent-encoded (so an escape as sent is
 *     encoded again) \n
 *   the query: each name and value decoded, encoded again (upper-case
 *     hex), sorted by name then value, joined name=value with '&'; a raw
 *     '+' is refused (a space to some signers, a plus sign to others) \n
 *   each signed header, in the SignedHeaders order: name ":" value with
 *     the ends trimmed and runs of spaces and tabs made one space \n \n
 *   the SignedHeaders list \n
 *   the body's SHA-256 in lower-case hex
 *
 * then the string to sign (algorithm, X-Amz-Date, scope, the canonical
 * request's hash) is signed with the key derived from the secret (HMAC
 * chain over the day, region, service and "aws4_request").  Key material
 * is wiped as soon as it has been used.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sigv4.h"

#define SECRET_MAX 256

static const char *const why_strings[SIGV4__MAX] = {
	[SIGV4_OK] = "signature checked",
	[SIGV4_MISSING] = "unsigned request",
	[SIGV4_MALFORMED] = "malformed signature or request",
	[SIGV4_KEY] = "signed with another key",
	[SIGV4_SCOPE] = "signed for another region or service",
	[SIGV4_DATE] = "request date missing, malformed or unsigned",
	[SIGV4_CLOCK] = "request date too far from the connector's clock",
	[SIGV4_UNSIGNED] = "a required header not signed",
	[SIGV4_TOKEN] = "signed with temporary credentials",
	[SIGV4_PAYLOAD] = "body does not match its hash",
	[SIGV4_MISMATCH] = "signature does not match",
	[SIGV4_ERROR] = "signature could not be checked",
};

/* The words for why (constant text). */
const char *
sigv4_why_string(enum sigv4_why why)
{
	return why >= 0 && why < SIGV4__MAX ? why_strings[why] : "?";
}

#define LOWER_DIGIT_DASH "abcdefghijklmnopqrstuvwxyz0123456789-"
#define UPPER_DIGIT "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#define HEX_LOWER "0123456789abcdef"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode %XX escapes of s[0..len) into b ('+' stays '+'); CONN_EINVAL for
 * a '%' without two hex digits. */
static int
decode(struct buf *b, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '%') {
			int hi, lo;
			if (i + 2 >= len)
				return CONN_EINVAL;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return CONN_EINVAL;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (buf_add(b, &c, 1))
			return CONN_ENOMEM;
	}
	return 0;
}

/* ---- parsing ---- */

/*
 * Read "YYYYMMDDTHHMMSSZ" (a real UTC time) into *out.  Returns 0 or
 * CONN_EINVAL.
 */
int
sigv4_parse_date(const char *s, time_t *out)
{
	int y, mo, d, h, mi, se;

	if (s == NULL || strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z' ||
	    !util_all_in(s, 8, "0123456789") ||
	    !util_all_in(s + 9, 6, "0123456789"))
		return CONN_EINVAL;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	mo = (s[4] - '0') * 10 + (s[5] - '0');
	d = (s[6] - '0') * 10 + (s[7] - '0');
	h = (s[9] - '0') * 10 + (s[10] - '0');
	mi = (s[11] - '0') * 10 + (s[12] - '0');
	se = (s[13] - '0') * 10 + (s[14] - '0');
	return util_utc_time(y, mo, d, h, mi, se, out);
}

/* 1 when the list "a;b;c" is 1..SIGV4_MAX_SIGNED names of [a-z0-9-]
 * (1 to 63 each), strictly ascending; *n gets the count. */
static int
signed_list_ok(const char *list, size_t *n)
{
	const char *p = list, *prev = NULL;
	size_t prevlen = 0;

	*n = 0;
	if (*p == '\0')
		return 0;
	for (;;) {
		const char *semi = strchr(p, ';');
		size_t len = semi ? (size_t)(semi - p) : strlen(p);
		if (len == 0 || len > 63 ||
		    !util_all_in(p, len, LOWER_DIGIT_DASH))
			return 0;
		if (prev) {
			size_t m = len < prevlen ? len : prevlen;
			int c = memcmp(prev, p, m);
			if (c > 0 || (c == 0 && prevlen >= len))
				return 0;
		}
		if (++*n > SIGV4_MAX_SIGNED)
			return 0;
		prev = p;
		prevlen = len;
		if (semi == NULL)
			return 1;
		p = semi + 1;
	}
}

/* Copy the value of "Name=" at *p up to the next ',' (or the end when
 * last) into out; advance *p past it.  0 or CONN_EINVAL. */
static int
component(const char **p, const char *name, int last, char *out,
    size_t outlen)
{
	size_t nl = strlen(name), len;
	const char *end;

	if (strncmp(*p, name, nl) != 0)
		return CONN_EINVAL;
	*p += nl;
	end = last ? *p + strlen(*p) : strchr(*p, ',');
	if (end == NULL)
		return CONN_EINVAL;
	len = (size_t)(end - *p);
	if (len == 0 || len >= outlen || memchr(*p, ' ', len) != NULL)
		return CONN_EINVAL;
	memcpy(out, *p, len);
	out[len] = '\0';
	*p = end;
	if (!last) {
		(*p)++;			/* the ',' */
		while (**p == ' ')
			(*p)++;
	}
	return 0;
}

/*
 * Read an Authorization header value into out, strictly (sigv4.h).
 * Returns 0, CONN_ETOOBIG (over SIGV4_AUTH_MAX) or CONN_EINVAL.
 */
int
sigv4_parse_authorization(const char *v, struct sigv4_auth *out)
{
	char cred[SIGV4_KEY_ID_MAX + SIGV4_REGION_MAX + SIGV4_SERVICE_MAX + 40];
	char *part[5], *save = NULL, *tok;
	const char *p = v;
	size_t np = 0, n;

	memset(out, 0, sizeof *out);
	if (v == NULL)
		return CONN_EINVAL;
	if (strlen(v) > SIGV4_AUTH_MAX)
		return CONN_ETOOBIG;
	n = strlen(SIGV4_ALGORITHM);
	if (strncmp(p, SIGV4_ALGORITHM, n) != 0 || p[n] != ' ')
		return CONN_EINVAL;
	p += n;
	while (*p == ' ')
		p++;
	if (component(&p, "Credential=", 0, cred, sizeof cred) ||
	    component(&p, "SignedHeaders=", 0, out->signed_headers,
	    sizeof out->signed_headers) ||
	    component(&p, "Signature=", 1, out->signature,
	    sizeof out->signature))
		return CONN_EINVAL;
	if (strlen(out->signature) != 64 ||
	    !util_all_in(out->signature, 64, HEX_LOWER))
		return CONN_EINVAL;
	if (!signed_list_ok(out->signed_headers, &out->nsigned))
		return CONN_EINVAL;
	/* KEY/YYYYMMDD/REGION/SERVICE/aws4_request: no empty part. */
	if (strstr(cred, "//") || cred[0] == '/' ||
	    cred[strlen(cred) - 1] == '/')
		return CONN_EINVAL;
	for (tok = strtok_r(cred, "/", &save); tok; tok = strtok_r(NULL, "/",
	    &save)) {
		if (np == 5)
			return CONN_EINVAL;
		part[np++] = tok;
	}
	if (np != 5 || strcmp(part[4], "aws4_request") != 0)
		return CONN_EINVAL;
	n = strlen(part[0]);
	if (n < 16 || n > SIGV4_KEY_ID_MAX ||
	    !util_all_in(part[0], n, UPPER_DIGIT))
		return CONN_EINVAL;
	if (strlen(part[1]) != 8 || !util_all_in(part[1], 8, "0123456789"))
		return CONN_EINVAL;
	n = strlen(part[2]);
	if (n > SIGV4_REGION_MAX || !util_all_in(part[2], n, LOWER_DIGIT_DASH))
		return CONN_EINVAL;
	n = strlen(part[3]);
	if (n > SIGV4_SERVICE_MAX || !util_all_in(part[3], n, LOWER_DIGIT_DASH))
		return CONN_EINVAL;
	snprintf(out->key_id, sizeof out->key_id, "%s", part[0]);
	memcpy(out->day, part[1], 9);
	snprintf(out->region, sizeof out->region, "%s", part[2]);
	snprintf(out->service, sizeof out->service, "%s", part[3]);
	return 0;
}

/* ---- the canonical request ---- */

/* The first header called name (lower case) and how many there are. */
static const char *
header(const struct sigv4_request *rq, const char *name, int *count)
{
	const char *v = NULL;

	*count = 0;
	for (size_t i = 0; i < rq->nheaders; i++)
		if (rq->headers[i].name && strcmp(rq->headers[i].name,
		    name) == 0) {
			if ((*count)++ == 0)
				v = rq->headers[i].value ? rq->headers[i].value :
				    "";
		}
	return v;
}

/* 1 when name is in the list "a;b;c". */
static int
listed(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p; p = strchr(p, ';') ? strchr(p, ';') + 1 :
	    NULL)
		if (strncmp(p, name, n) == 0 && (p[n] == ';' || p[n] == '\0'))
			return 1;
	return 0;
}

/* The path's canonical form (see the top of the file). */
static int
canonical_path(const char *path, size_t len, struct buf *out)
{
	struct seg { const char *s; size_t n; } *segs;
	size_t nseg = 0, i = 0;
	int rc = 0;

	if ((segs = calloc(len / 2 + 2, sizeof *segs)) == NULL)
		return CONN_ENOMEM;
	while (i < len) {
		size_t start, n;
		while (i < len && path[i] == '/')
			i++;
		start = i;
		while (i < len && path[i] != '/')
			i++;
		n = i - start;
		if (n == 0 || (n == 1 && path[start] == '.'))
			continue;
		if (n == 2 && path[start] == '.' && path[start + 1] == '.') {
			if (nseg)
				nseg--;
			continue;
		}
		segs[nseg].s = path + start;
		segs[nseg++].n = n;
	}
	if (len && path[0] == '/')
		rc = buf_adds(out, "/");
	for (i = 0; i < nseg && !rc; i++) {
		if (i)
			rc = buf_adds(out, "/");
		if (!rc)
			rc = util_percent_encode(out, segs[i].s, segs[i].n,
			    0);
	}
	if (!rc && nseg && path[len - 1] == '/')
		rc = buf_adds(out, "/");
	free(segs);
	return rc;
}

struct qparam {
	char *name, *value;	/* encoded */
};

static int
qparam_cmp(const void *x, const void *y)
{
	const struct qparam *a = x, *b = y;
	int c = strcmp(a->name, b->name);

	return c ? c : strcmp(a->value, b->value);
}

/* 1 when the decoded name is one of the presigned URL's parameters. */
static int
presign_param(const char *name)
{
	static const char *const names[] = { "x-amz-signature",
	    "x-amz-credential", "x-amz-algorithm", "x-amz-signedheaders",
	    "x-amz-security-token" };

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcasecmp(name, names[i]) == 0)
			return 1;
	return 0;
}

/* The query's canonical form; CONN_EINVAL for a bad escape, too many
 * parameters or a presigned URL's parameter. */
static int
canonical_query(const char *q, size_t len, struct buf *out)
{
	struct qparam *ps;
	struct buf name = { 0 }, value = { 0 }, enc = { 0 };
	size_t n = 0, i = 0;
	int rc = 0;

	if ((ps = calloc(SIGV4_MAX_QUERY, sizeof *ps)) == NULL)
		return CONN_ENOMEM;
	while (i < len && rc == 0) {
		size_t start = i, end, eq;
		while (i < len && q[i] != '&')
			i++;
		end = i++;
		if (end == start)
			continue;
		for (eq = start; eq < end && q[eq] != '='; eq++)
			;
		/* A '+' is a space to some signers and a plus sign to others:
		 * ambiguous, refused (%20 or %2B says which). */
		if (memchr(q + start, '+', end - start) != NULL) {
			rc = CONN_EINVAL;
			break;
		}
		if (n == SIGV4_MAX_QUERY) {
			rc = CONN_EINVAL;
			break;
		}
		buf_reset(&name);
		buf_reset(&value);
		if ((rc = decode(&name, q + start, eq - start)) != 0 ||
		    (eq < end && (rc = decode(&value, q + eq + 1,
		    end - eq - 1)) != 0))
			break;
		if (name.len && strlen(name.data) == name.len &&
		    presign_param(name.data)) {
			rc = CONN_EINVAL;
			break;
		}
		buf_reset(&enc);
		if ((rc = util_percent_encode(&enc, name.data ? name.data :
		    "", name.len, 0)) ||
		    (ps[n].name = strdup(enc.data ? enc.data : "")) == NULL) {
			rc = CONN_ENOMEM;
			break;
		}
		buf_reset(&enc);
		if ((rc = util_percent_encode(&enc, value.data ? value.data : "",
		    value.len, 0)) || (ps[n].value = strdup(enc.data ? enc.data :
		    "")) == NULL) {
			n++;
			rc = CONN_ENOMEM;
			break;
		}
		n++;
	}
	if (rc == 0) {
		qsort(ps, n, sizeof ps[0], qparam_cmp);
		for (i = 0; i < n && rc == 0; i++)
			rc = buf_addf(out, "%s%s=%s", i ? "&" : "", ps[i].name,
			    ps[i].value);
	}
	for (i = 0; i < n; i++) {
		free(ps[i].name);
		free(ps[i].value);
	}
	free(ps);
	buf_free(&name);
	buf_free(&value);
	buf_free(&enc);
	return rc;
}

/* Append value with its ends trimmed and runs of spaces and tabs made
 * one space; CONN_EINVAL for a byte outside printable ASCII and tab. */
static int
header_value(struct buf *b, const char *v)
{
	int space = 0, started = 0;

	for (; *v; v++) {
		unsigned char c = (unsigned char)*v;
		if (c == ' ' || c == '\t') {
			space = started;
			continue;
		}
		if (c < 0x20 || c > 0x7e)
			return CONN_EINVAL;
		if (space && buf_add(b, " ", 1))
			return CONN_ENOMEM;
		if (buf_add(b, (const char *)&c, 1))
			return CONN_ENOMEM;
		space = 0;
		started = 1;
	}
	return 0;
}

/*
 * The canonical request of rq for the signed header list and the payload
 * hash into out.  Returns SIGV4_OK, or why not with a sentence in detail.
 */
static enum sigv4_why
build(const struct sigv4_request *rq, const char *signed_headers,
    const char *payload_hash, struct buf *out, char *detail, size_t dlen)
{
	const char *uri = rq->uri, *q;
	size_t ulen, plen;
	char name[64];
	const char *p;
	int rc;

	if (rq->method == NULL || strlen(rq->method) == 0 ||
	    strlen(rq->method) > 16 || !util_all_in(rq->method,
	    strlen(rq->method), "ABCDEFGHIJKLMNOPQRSTUVWXYZ")) {
		snprintf(detail, dlen, "the method is not a word in capitals");
		return SIGV4_MALFORMED;
	}
	if (uri == NULL || uri[0] != '/' || (ulen = strlen(uri)) >
	    SIGV4_URI_MAX) {
		snprintf(detail, dlen, "the path is not absolute or too long");
		return SIGV4_MALFORMED;
	}
	for (size_t i = 0; i < ulen; i++)
		if ((unsigned char)uri[i] <= 0x20 ||
		    (unsigned char)uri[i] >= 0x7f || uri[i] == '#') {
			snprintf(detail, dlen, "the path has a byte a URI "
			    "may not hold");
			return SIGV4_MALFORMED;
		}
	q = strchr(uri, '?');
	plen = q ? (size_t)(q - uri) : ulen;
	if (buf_adds(out, rq->method) || buf_adds(out, "\n") ||
	    canonical_path(uri, plen, out) || buf_adds(out, "\n"))
		return SIGV4_ERROR;
	if (q && (rc = canonical_query(q + 1, ulen - plen - 1, out)) != 0) {
		if (rc == CONN_ENOMEM)
			return SIGV4_ERROR;
		snprintf(detail, dlen, "the query has a bad escape, a raw '+', "
		    "too many parameters or a presigned URL's parameter");
		return SIGV4_MALFORMED;
	}
	if (buf_adds(out, "\n"))
		return SIGV4_ERROR;
	for (p = signed_headers; p && *p; ) {
		const char *semi = strchr(p, ';');
		size_t n = semi ? (size_t)(semi - p) : strlen(p);
		const char *v;
		int count;
		if (n >= sizeof name)
			return SIGV4_MALFORMED;
		memcpy(name, p, n);
		name[n] = '\0';
		v = header(rq, name, &count);
		if (count == 0) {
			snprintf(detail, dlen, "the signed header %s is "
			    "missing", name);
			return SIGV4_UNSIGNED;
		}
		if (count > 1) {
			snprintf(detail, dlen, "the signed header %s is sent "
			    "%d times", name, count);
			return SIGV4_MALFORMED;
		}
		if (buf_addf(out, "%s:", name))
			return SIGV4_ERROR;
		if ((rc = header_value(out, v)) != 0) {
			if (rc == CONN_ENOMEM)
				return SIGV4_ERROR;
			snprintf(detail, dlen, "the signed header %s holds a "
			    "byte outside printable ASCII", name);
			return SIGV4_MALFORMED;
		}
		if (buf_adds(out, "\n"))
			return SIGV4_ERROR;
		p = semi ? semi + 1 : NULL;
	}
	if (buf_addf(out, "\n%s\n%s", signed_headers, payload_hash))
		return SIGV4_ERROR;
	return SIGV4_OK;
}

/* The body's SHA-256, or the X-Amz-Content-SHA256 header when sent. */
static int
payload_hash(const struct sigv4_request *rq, char out[65])
{
	const char *h;
	int count;

	if ((h = header(rq, "x-amz-content-sha256", &count)) != NULL &&
	    strlen(h) == 64) {
		memcpy(out, h, 65);
		return 0;
	}
	return util_sha256_hex(rq->body ? rq->body : "", rq->body_len, out);
}

/*
 * The canonical request of rq for signed_headers into out (for tests and
 * tools; the payload hash is the X-Amz-Content-SHA256 header when sent).
 * Returns 0, CONN_EINVAL or CONN_ENOMEM.
 */
int
sigv4_canonical_request(const struct sigv4_request *rq,
    const char *signed_headers, struct buf *out)
{
	char hash[65], detail[160];
	size_t n;
	enum sigv4_why w;

	if (!signed_list_ok(signed_headers, &n))
		return CONN_EINVAL;
	if (payload_hash(rq, hash) != 0)
		return CONN_ECRYPTO;
	w = build(rq, signed_headers, hash, out, detail, sizeof detail);
	return w == SIGV4_OK ? 0 : w == SIGV4_ERROR ? CONN_ENOMEM : CONN_EINVAL;
}

/* ---- signing ---- */

/* out = HMAC-SHA256(key, data); 0 or CONN_ECRYPTO. */
static int
hmac(const unsigned char *key, size_t keylen, const char *data,
    unsigned char out[32])
{
	unsigned int n = 0;

	if (HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)data,
	    strlen(data), out, &n) == NULL || n != 32)
		return CONN_ECRYPTO;
	return 0;
}

/*
 * The hex signature of the canonical request canon for key on day (and
 * X-Amz-Date amz_date) into sig.  0 or CONN_ECRYPTO/ENOMEM.
 */
static int
signature(const struct sigv4_key *key, const char *amz_date, const char *day,
    const char *canon, char sig[65])
{
	unsigned char k[32], k2[32], mac[32];
	char ksecret[4 + SECRET_MAX + 1], chash[65];
	struct buf sts = { 0 };
	size_t slen = strlen(key->secret);
	int rc = CONN_ECRYPTO;

	if (slen > SECRET_MAX)
		return CONN_EINVAL;
	memcpy(ksecret, "AWS4", 4);
	memcpy(ksecret + 4, key->secret, slen + 1);
	if (util_sha256_hex(canon, strlen(canon), chash) != 0)
		goto out;
	if (buf_addf(&sts, "%s\n%s\n%s/%s/%s/aws4_request\n%s",
	    SIGV4_ALGORITHM, amz_date, day, key->region, key->service,
	    chash)) {
		rc = CONN_ENOMEM;
		goto out;
	}
	if (hmac((unsigned char *)ksecret, 4 + slen, day, k) ||
	    hmac(k, 32, key->region, k2) ||
	    hmac(k2, 32, key->service, k) ||
	    hmac(k, 32, "aws4_request", k2) ||
	    hmac(k2, 32, sts.data, mac))
		goto out;
	util_hex(mac, 32, sig);
	rc = 0;
out:
	OPENSSL_cleanse(ksecret, sizeof ksecret);
	OPENSSL_cleanse(k, sizeof k);
	OPENSSL_cleanse(k2, sizeof k2);
	OPENSSL_cleanse(mac, sizeof mac);
	buf_free(&sts);
	return rc;
}

/*
 * Sign rq (whose headers hold X-Amz-Date amz_date and every header of
 * signed_headers) with key: the Authorization header's value into out.
 * For tests and tools; the connector itself signs through libcurl.
 * Returns 0, CONN_EINVAL, CONN_ETOOBIG or CONN_ECRYPTO.
 */
int
sigv4_sign(const struct sigv4_request *rq, const struct sigv4_key *key,
    const char *amz_date, const char *signed_headers, char *out,
    size_t outlen)
{
	struct buf canon = { 0 };
	char day[9], sig[65];
	time_t t;
	int rc;

	if (sigv4_parse_date(amz_date, &t) != 0)
		return CONN_EINVAL;
	memcpy(day, amz_date, 8);
	day[8] = '\0';
	if ((rc = sigv4_canonical_request(rq, signed_headers, &canon)) != 0 ||
	    (rc = signature(key, amz_date, day, canon.data, sig)) != 0) {
		buf_free(&canon);
		return rc;
	}
	buf_free(&canon);
	if ((size_t)snprintf(out, outlen, "%s Credential=%s/%s/%s/%s/"
	    "aws4_request, SignedHeaders=%s, Signature=%s", SIGV4_ALGORITHM,
	    key->key_id, day, key->region, key->service, signed_headers,
	    sig) >= outlen)
		return CONN_ETOOBIG;
	return 0;
}

/* ---- verifying ---- */

/* Fill res with why and a detail sentence; returns why. */
static enum sigv4_why
refuse(struct sigv4_result *res, enum sigv4_why why, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum sigv4_why
refuse(struct sigv4_result *res, enum sigv4_why why, const char *fmt, ...)
{
	va_list ap;

	res->why = why;
	va_start(ap, fmt);
	vsnprintf(res->detail, sizeof res->detail, fmt, ap);
	va_end(ap);
	return why;
}

/*
 * Check rq's signature against key at time now.  Returns 0 when it holds
 * (res->why SIGV4_OK), CONN_EDENIED when the request is refused (res->why
 * and res->detail say why), or CONN_ENOMEM/ECRYPTO (res->why SIGV4_ERROR).
 */
int
sigv4_verify(const struct sigv4_request *rq, const struct sigv4_key *key,
    time_t now, struct sigv4_result *res)
{
	struct sigv4_auth a;
	struct buf canon = { 0 };
	const char *az, *date, *sha;
	char hash[65], sig[65];
	int count, rc;
	time_t t;

	memset(res, 0, sizeof *res);
	if ((az = header(rq, "authorization", &count)) == NULL) {
		refuse(res, SIGV4_MISSING, "no Authorization header");
		return CONN_EDENIED;
	}
	if (count > 1) {
		refuse(res, SIGV4_MALFORMED, "the Authorization header is "
		    "sent %d times", count);
		return CONN_EDENIED;
	}
	if ((rc = sigv4_parse_authorization(az, &a)) != 0) {
		refuse(res, SIGV4_MALFORMED, rc == CONN_ETOOBIG ? "the "
		    "Authorization header is over %d bytes" : "the "
		    "Authorization header is not " SIGV4_ALGORITHM
		    " Credential=..., SignedHeaders=..., Signature=... "
		    "(limit %d bytes)", SIGV4_AUTH_MAX);
		return CONN_EDENIED;
	}
	memcpy(res->key_id, a.key_id, sizeof res->key_id);
	memcpy(res->signature, a.signature, sizeof res->signature);
	if (!util_ct_equal(a.key_id, key->key_id)) {
		refuse(res, SIGV4_KEY, "signed with key %s", a.key_id);
		return CONN_EDENIED;
	}
	if (strcmp(a.region, key->region) != 0 ||
	    strcmp(a.service, key->service) != 0) {
		refuse(res, SIGV4_SCOPE, "signed for %s/%s, not %s/%s",
		    a.region, a.service, key->region, key->service);
		return CONN_EDENIED;
	}
	if (listed(a.signed_headers, "authorization")) {
		refuse(res, SIGV4_MALFORMED, "SignedHeaders names "
		    "authorization");
		return CONN_EDENIED;
	}
	if (!listed(a.signed_headers, "host")) {
		refuse(res, SIGV4_UNSIGNED, "the host header is not signed");
		return CONN_EDENIED;
	}
	if (!listed(a.signed_headers, "x-amz-date")) {
		refuse(res, SIGV4_DATE, "the x-amz-date header is not signed");
		return CONN_EDENIED;
	}
	date = header(rq, "x-amz-date", &count);
	if (count > 1) {
		refuse(res, SIGV4_MALFORMED, "X-Amz-Date is sent %d times",
		    count);
		return CONN_EDENIED;
	}
	if (date == NULL || sigv4_parse_date(date, &t) != 0) {
		refuse(res, SIGV4_DATE, "X-Amz-Date is %s", date ? "not "
		    "YYYYMMDDTHHMMSSZ" : "missing");
		return CONN_EDENIED;
	}
	res->date = t;
	res->skew = (long)(t - now);
	if (strncmp(date, a.day, 8) != 0) {
		refuse(res, SIGV4_DATE, "the credential's day %s is not "
		    "X-Amz-Date's", a.day);
		return CONN_EDENIED;
	}
	if (res->skew > SIGV4_SKEW || res->skew < -SIGV4_SKEW) {
		refuse(res, SIGV4_CLOCK, "X-Amz-Date is %ld s %s the "
		    "connector's clock", res->skew < 0 ? -res->skew :
		    res->skew, res->skew < 0 ? "behind" : "ahead of");
		return CONN_EDENIED;
	}
	header(rq, "x-amz-security-token", &count);
	if (count) {
		refuse(res, SIGV4_TOKEN, "a session token was sent");
		return CONN_EDENIED;
	}
	if (util_sha256_hex(rq->body ? rq->body : "", rq->body_len,
	    hash) != 0) {
		refuse(res, SIGV4_ERROR, "no SHA-256");
		return CONN_ECRYPTO;
	}
	sha = header(rq, "x-amz-content-sha256", &count);
	if (count > 1) {
		refuse(res, SIGV4_MALFORMED, "X-Amz-Content-SHA256 is sent "
		    "%d times", count);
		return CONN_EDENIED;
	}
	if (sha && strcmp(sha, hash) != 0) {
		refuse(res, SIGV4_PAYLOAD, "X-Amz-Content-SHA256 is not the "
		    "body's SHA-256");
		return CONN_EDENIED;
	}
	res->why = build(rq, a.signed_headers, hash, &canon, res->detail,
	    sizeof res->detail);
	if (res->why != SIGV4_OK) {
		buf_free(&canon);
		return res->why == SIGV4_ERROR ? CONN_ENOMEM : CONN_EDENIED;
	}
	rc = signature(key, date, a.day, canon.data, sig);
	buf_free(&canon);
	if (rc != 0) {
		refuse(res, SIGV4_ERROR, "the signature could not be computed");
		return rc;
	}
	rc = CRYPTO_memcmp(sig, a.signature, 64);
	OPENSSL_cleanse(sig, sizeof sig);
	if (rc != 0) {
		refuse(res, SIGV4_MISMATCH, "over the request as received");
		return CONN_EDENIED;
	}
	res->why = SIGV4_OK;
	return 0;
}
