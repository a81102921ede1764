/*
 * sigv4.h — checking AWS Signature Version 4 on a request the connector
 * received (lib/sigv4.c): the management portal signs its calls to the
 * connector with the AMP-connector key, as the connector signs its calls to
 * the portal.  Outbound layer (SigV4), beside lib/http.c's signing side;
 * it makes no calls of its own.
 *
 * The verifier rebuilds the canonical request from what was received —
 * the method, the path and query as sent, the signed headers only, the
 * body's SHA-256 — and accepts only:
 *
 *   Authorization: AWS4-HMAC-SHA256 Credential=KEY/YYYYMMDD/REGION/SERVICE/
 *       aws4_request, SignedHeaders=a;b;c, Signature=<64 lower-case hex>
 *
 * in that order and spelling; SignedHeaders sorted, each once, naming
 * host and x-amz-date and never authorization; KEY the expected key id;
 * REGION and SERVICE the expected ones; YYYYMMDD the day of X-Amz-Date
 * (YYYYMMDDTHHMMSSZ, a real time within SIGV4_SKEW seconds of now); every
 * signed header present exactly once with printable ASCII; an
 * X-Amz-Content-SHA256 header, when present, equal to the body's hash;
 * no X-Amz-Security-Token (the key is a long-term one), no presigned
 * query parameters and no raw '+' in the query (a space to some signers,
 * a plus sign to others).  The signatures are compared in constant time.
 */
#ifndef CONNECTOR_SIGV4_H
#define CONNECTOR_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "base.h"

#define SIGV4_SKEW 300			/* seconds either side of now */
#define SIGV4_AUTH_MAX 2048		/* the Authorization header's bytes */
#define SIGV4_URI_MAX 4096		/* path and query as sent */
#define SIGV4_MAX_SIGNED 32		/* names in SignedHeaders */
#define SIGV4_MAX_QUERY 64		/* query parameters */
#define SIGV4_KEY_ID_MAX 128
#define SIGV4_REGION_MAX 31
#define SIGV4_SERVICE_MAX 63
#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"

/* One header as received: its name in lower case with '-', its value. */
struct sigv4_header {
	const char *name;
	const char *value;
};

/* A request as received. */
struct sigv4_request {
	const char *method;		/* e.g. "POST" */
	const char *uri;		/* path ["?" query], as sent */
	const struct sigv4_header *headers;
	size_t nheaders;
	const void *body;
	size_t body_len;
};

/* What a signature must have been made with. */
struct sigv4_key {
	const char *key_id;
	const char *secret;
	const char *region;
	const char *service;
};

/* Why a request was refused, from the first check that failed. */
enum sigv4_why {
	SIGV4_OK,
	SIGV4_MISSING,		/* no Authorization header */
	SIGV4_MALFORMED,	/* Authorization, SignedHeaders or the URI
				   not as required; a header twice */
	SIGV4_KEY,		/* signed with another key id */
	SIGV4_SCOPE,		/* another region or service */
	SIGV4_DATE,		/* X-Amz-Date missing, malformed, not
				   signed, or not the scope's day */
	SIGV4_CLOCK,		/* X-Amz-Date too far from now */
	SIGV4_UNSIGNED,		/* host not signed, or a signed header
				   missing */
	SIGV4_TOKEN,		/* a session token: not the long-term key */
	SIGV4_PAYLOAD,		/* X-Amz-Content-SHA256 is not the body's */
	SIGV4_MISMATCH,		/* the signature does not match */
	SIGV4_ERROR,		/* no memory or a crypto failure */
	SIGV4__MAX
};

struct sigv4_result {
	enum sigv4_why why;
	char key_id[SIGV4_KEY_ID_MAX + 1];	/* the Credential's, when read */
	char signature[65];		/* the one sent, when read */
	time_t date;			/* X-Amz-Date, when read; else 0 */
	long skew;			/* date - now, seconds, when read */
	char detail[160];		/* what exactly, for the log */
};

/* The parts of an Authorization header (sigv4_parse_authorization). */
struct sigv4_auth {
	char key_id[SIGV4_KEY_ID_MAX + 1];
	char day[9];			/* YYYYMMDD */
	char region[SIGV4_REGION_MAX + 1];
	char service[SIGV4_SERVICE_MAX + 1];
	char signed_headers[SIGV4_MAX_SIGNED * 64];
	char signature[65];
	size_t nsigned;
};

int sigv4_verify(const struct sigv4_request *rq, const struct sigv4_key *key,
    time_t now, struct sigv4_result *res);
const char *sigv4_why_string(enum sigv4_why why);
int sigv4_parse_authorization(const char *v, struct sigv4_auth *out);
int sigv4_parse_date(const char *s, time_t *out);
int sigv4_canonical_request(const struct sigv4_request *rq,
    const char *signed_headers, struct buf *out);
int sigv4_sign(const struct sigv4_request *rq, const struct sigv4_key *key,
    const char *amz_date, const char *signed_headers, char *out,
    size_t outlen);

#endif
