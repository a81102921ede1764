/*
 * fuzz-sigv4.c — the SigV4 verifier over arbitrary requests.  The input is
 * a request written as text: the method on the first line, the path and
 * query on the second, then "name: value" header lines up to an empty
 * line, then the body.  The verifier must refuse it with a reason and a
 * clean sentence, or accept it only when it holds; the Authorization
 * header's reader gets the whole input too.  Then the request is signed
 * over host and x-amz-date (when it has them) and the verifier must
 * accept exactly what was signed, unless a session token or a payload
 * hash that is not the body's is there.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/base.h"
#include "../../lib/sigv4.h"
#include "fuzz.h"

#define MAX_HEADERS 40

static const struct sigv4_key key = { "AMPKEYTESTCONNECTOR1",
    "amp-test-secret-0001-abcdef", "us-east-1", "connector" };

/* Printable text only: no control bytes reach the log or the audit. */
static void
clean_text(const char *s, size_t cap)
{
	INV(memchr(s, '\0', cap) != NULL);
	for (; *s; s++)
		INV((unsigned char)*s >= 0x20 && *s != 0x7f);
}

/* The next line of *p (cut at '\n'), or NULL at the end. */
static char *
line(char **p)
{
	char *s = *p, *nl;

	if (s == NULL)
		return NULL;
	if ((nl = strchr(s, '\n')) != NULL) {
		*nl = '\0';
		*p = nl + 1;
	} else
		*p = NULL;
	return s;
}

static int
count(const struct sigv4_header *h, size_t n, const char *name)
{
	int c = 0;

	for (size_t i = 0; i < n; i++)
		c += strcmp(h[i].name, name) == 0;
	return c;
}

static const char *
value(const struct sigv4_header *h, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(h[i].name, name) == 0)
			return h[i].value;
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sigv4_header h[MAX_HEADERS + 1];
	struct sigv4_request rq = { 0 };
	struct sigv4_result res;
	struct sigv4_auth a;
	struct buf canon = { 0 };
	char *copy, *p, *l, auth[SIGV4_AUTH_MAX + 256], hash[65];
	const char *date, *sha;
	size_t n = 0;
	time_t t;
	int rc;

	if ((copy = malloc(size + 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	rc = sigv4_parse_authorization(copy, &a);
	INV(rc == 0 || rc == CONN_EINVAL || rc == CONN_ETOOBIG);
	if (rc == 0) {
		INV(strlen(a.signature) == 64);
		INV(a.nsigned >= 1 && a.nsigned <= SIGV4_MAX_SIGNED);
		INV(strlen(a.day) == 8);
	}

	p = copy;
	rq.method = line(&p);
	rq.uri = line(&p);
	while ((l = line(&p)) != NULL && *l && n < MAX_HEADERS) {
		char *colon = strchr(l, ':');
		if (colon == NULL)
			continue;
		*colon = '\0';
		for (char *q = l; *q; q++)
			*q = (char)tolower((unsigned char)*q);
		h[n].name = l;
		h[n].value = colon + 1 + (colon[1] == ' ');
		n++;
	}
	rq.headers = h;
	rq.nheaders = n;
	rq.body = p;
	rq.body_len = p ? size - (size_t)(p - copy) : 0;

	rc = sigv4_verify(&rq, &key, 1764670500, &res);
	INV((rc == 0) == (res.why == SIGV4_OK));
	INV(res.why >= SIGV4_OK && res.why < SIGV4__MAX);
	INV(rc == 0 || rc == CONN_EDENIED || rc == CONN_ENOMEM ||
	    rc == CONN_ECRYPTO);
	clean_text(res.detail, sizeof res.detail);
	clean_text(res.key_id, sizeof res.key_id);
	if (rc == 0) {
		INV(res.date != 0);
		INV(res.skew <= SIGV4_SKEW && res.skew >= -SIGV4_SKEW);
		INV(count(h, n, "authorization") == 1);
	}
	if (rq.method && rq.uri)
		(void)sigv4_canonical_request(&rq, "host;x-amz-date", &canon);
	buf_free(&canon);

	/* What the verifier accepts is exactly what was signed. */
	date = value(h, n, "x-amz-date");
	if (rq.method && rq.uri && date && count(h, n, "authorization") == 0 &&
	    n < MAX_HEADERS && sigv4_parse_date(date, &t) == 0 &&
	    sigv4_sign(&rq, &key, date, "host;x-amz-date", auth,
	    sizeof auth) == 0) {
		h[n].name = "authorization";
		h[n].value = auth;
		rq.nheaders = n + 1;
		rc = sigv4_verify(&rq, &key, t, &res);
		sha = value(h, n, "x-amz-content-sha256");
		util_sha256_hex(rq.body ? rq.body : "", rq.body_len, hash);
		if (count(h, n, "x-amz-security-token") == 0 &&
		    count(h, n, "x-amz-content-sha256") <= 1 &&
		    (sha == NULL || strcmp(sha, hash) == 0))
			INV(rc == 0);
		else
			INV(rc == CONN_EDENIED);
	}
	free(copy);
	return 0;
}
