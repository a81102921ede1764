/*
 * authproxy — POST /authproxy/token: the federation authentication proxy
 * (lib/authproxy.c; the request and the answers: docs/authproxy.md).  The
 * management portal calls it with a vCenter user's name and password and
 * signs the call with the AMP-connector key: the signature is the
 * authentication, so no session, cookie or form token is looked at.
 *
 *   200  {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}
 *   403  {"status": 403, "error": REFUSED}, whatever the reason
 *   429  too many failed attempts for the user or from the source
 *   503  vCenter or AWS could not answer; try again later
 *
 * The real reason of every decision is in the audit log (the action), with
 * the user in the form of an AWS session name (the user field).
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "../lib/core.h"
#include "../lib/authproxy.h"

#define MAX_HEADERS 64

/* The answers' sentences: the same for every refusal. */
#define REFUSED "The connector refused the request."
#define LIMITED "Too many failed attempts; try again in a few minutes."
#define UNAVAILABLE "The connector cannot check credentials now; try " \
	"again later."

static int
page_token(struct app_ctx *c)
{
	struct app_header h[MAX_HEADERS];
	struct sigv4_header sh[MAX_HEADERS];
	struct sigv4_request http;
	struct ap_request rq;
	struct ap_answer a;
	const char *body = NULL, *host;
	size_t n = 0, len = 0;
	json_t *j;
	int rc;

	memset(&rq, 0, sizeof rq);
	if (app_headers(c, h, MAX_HEADERS, &n) != 0)
		rq.over_cap = "more than 64 headers";
	/* The Host header as sent (the site passes it apart: HTTP_HOST may
	 * be nginx's $host, without the port). */
	host = app_param(c, "CONNECTOR_SIGNED_HOST");
	for (size_t i = 0; i < n; i++)
		sh[i] = (struct sigv4_header){ h[i].name, host &&
		    strcmp(h[i].name, "host") == 0 ? host : h[i].value };
	rc = app_body(c, AP_BODY_MAX, &body, &len);
	if (rc == CONN_ETOOBIG)
		rq.over_cap = "body over 8192 bytes";
	else if (rc == CONN_EINVAL)
		rq.over_cap = "the body is not as long as its Content-Length";
	else if (rc != 0)
		return 500;
	http = (struct sigv4_request){ .method = app_method(c),
	    .uri = app_request_uri(c), .headers = sh, .nheaders = n,
	    .body = body, .body_len = len };
	rq.http = &http;
	rq.remote_addr = app_remote_addr(c);

	authproxy_token(&rq, &a);
	app_audit(c, a.audit);
	app_set_user(c, a.user[0] ? a.user : NULL);
	switch (a.outcome) {
	case AP_ISSUED:
		j = json_pack("{s:s, s:s, s:s, s:s}", "AccessKeyId",
		    a.cred.access_key, "SecretAccessKey", a.cred.secret_key,
		    "SessionToken", a.cred.session_token, "Expiration",
		    a.cred.expiration);
		util_wipe(&a.cred, sizeof a.cred);
		return j ? app_json_secret(c, j) : 500;
	case AP_LIMITED:
		app_error_message(c, LIMITED);
		return 429;
	case AP_UNAVAILABLE:
		app_error_message(c, UNAVAILABLE);
		return 503;
	case AP_REFUSED:
	default:
		app_error_message(c, REFUSED);
		return 403;
	}
}

static const struct app_page pages[] = {
	{ "/authproxy/token", APP_POST, 0, ACCESS_SIGNED, page_token,
	  .kind = KIND_JSON },
};

int
main(int argc, char **argv)
{
	static const struct app_program prog = { .name = "authproxy",
	    .pages = pages, .npages = sizeof pages / sizeof pages[0] };

	return app_main(argc, argv, &prog);
}
