/*
 * sigv4-check — runs lib/sigv4's verifier over requests described as JSON,
 * one per line on stdin, and prints one JSON line per request:
 *
 *   in:  {"method": "POST", "uri": "/path?query", "headers": [["name",
 *         "value"], ...], "body": "text" | "body_base64": "...",
 *         "key_id": ..., "secret": ..., "region": ..., "service": ...,
 *         "now": EPOCH_SECONDS (default: the clock)}
 *   out: {"ok": true|false, "why": "...", "detail": "...",
 *         "canonical": "..." (the canonical request for the header's
 *         SignedHeaders, when it could be built)}
 *
 * Header names are given as sent; they are passed in lower case, as the
 * web server hands them to a program.  The tests hold the verifier to
 * AWS's own signers with it.  Exit status 2 on a line it cannot read.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "../../lib/base.h"
#include "../../lib/sigv4.h"

#define MAX_HEADERS 64

/* Decode base64 s into out (malloc'd); its length, or -1. */
static long
unbase64(const char *s, unsigned char **out)
{
	size_t n = strlen(s);
	int len;

	*out = malloc(n / 4 * 3 + 4);
	if (*out == NULL)
		return -1;
	len = EVP_DecodeBlock(*out, (const unsigned char *)s, (int)n);
	if (len < 0)
		return -1;
	while (n > 0 && s[n - 1] == '=') {
		n--;
		len--;
	}
	return len;
}

static int
one(const char *line)
{
	struct sigv4_header h[MAX_HEADERS];
	char names[MAX_HEADERS][128];
	struct sigv4_request rq = { 0 };
	struct sigv4_key key;
	struct sigv4_result res;
	struct sigv4_auth a;
	struct buf canon = { 0 };
	unsigned char *body = NULL;
	json_t *in, *hs, *x, *out;
	json_error_t err;
	size_t i, n = 0;
	long blen = 0;
	time_t now;

	if ((in = json_loads(line, 0, &err)) == NULL || !json_is_object(in))
		return -1;
	rq.method = json_string_value(json_object_get(in, "method"));
	rq.uri = json_string_value(json_object_get(in, "uri"));
	hs = json_object_get(in, "headers");
	json_array_foreach(hs, i, x) {
		const char *nm = json_string_value(json_array_get(x, 0));
		if (n == MAX_HEADERS || nm == NULL || strlen(nm) >= 128)
			return -1;
		for (size_t k = 0; nm[k]; k++)
			names[n][k] = (char)tolower((unsigned char)nm[k]);
		names[n][strlen(nm)] = '\0';
		h[n].name = names[n];
		h[n].value = json_string_value(json_array_get(x, 1));
		n++;
	}
	rq.headers = h;
	rq.nheaders = n;
	if ((x = json_object_get(in, "body_base64")) != NULL) {
		if ((blen = unbase64(json_string_value(x) ?
		    json_string_value(x) : "", &body)) < 0)
			return -1;
		rq.body = body;
		rq.body_len = (size_t)blen;
	} else if ((x = json_object_get(in, "body")) != NULL) {
		rq.body = json_string_value(x);
		rq.body_len = json_string_length(x);
	}
	key.key_id = json_string_value(json_object_get(in, "key_id"));
	key.secret = json_string_value(json_object_get(in, "secret"));
	key.region = json_string_value(json_object_get(in, "region"));
	key.service = json_string_value(json_object_get(in, "service"));
	if (!key.key_id || !key.secret || !key.region || !key.service)
		return -1;
	x = json_object_get(in, "now");
	now = x ? (time_t)json_integer_value(x) : time(NULL);
	sigv4_verify(&rq, &key, now, &res);
	out = json_pack("{s:b, s:s, s:s}", "ok", res.why == SIGV4_OK, "why",
	    sigv4_why_string(res.why), "detail", res.detail);
	for (i = 0; i < n; i++)
		if (strcmp(h[i].name, "authorization") == 0 && h[i].value &&
		    sigv4_parse_authorization(h[i].value, &a) == 0 &&
		    sigv4_canonical_request(&rq, a.signed_headers, &canon) == 0)
			json_object_set_new(out, "canonical",
			    json_string(canon.data));
	x = NULL;
	{
		char *s = json_dumps(out, JSON_COMPACT);
		printf("%s\n", s);
		free(s);
	}
	fflush(stdout);
	buf_free(&canon);
	json_decref(out);
	json_decref(in);
	free(body);
	return 0;
}

int
main(void)
{
	char *line = NULL;
	size_t cap = 0;

	while (getline(&line, &cap, stdin) > 0) {
		if (line[0] == '\n')
			continue;
		if (one(line) != 0) {
			fprintf(stderr, "sigv4-check: cannot read: %s", line);
			free(line);
			return 2;
		}
	}
	free(line);
	return 0;
}
