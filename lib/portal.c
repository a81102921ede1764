/*
 * portal.c — the management portal client: the AMP-connector key
 * configuration file the portal's setup produces, and the connector's
 * registration, heartbeat and deregistration.
 *
 * The configuration file is a JSON object of at most PORTAL_FILE_MAX bytes
 * of UTF-8, every member required, none other accepted, none twice:
 *
 *   {"format": "connector-portal-config", "version": 1,
 *    "key_name": "Lab connector", "key_id": "AKIA0123456789ABCDEF",
 *    "secret": "...", "endpoint": "https://portal.example.com:8443"}
 *
 *   format    the string "connector-portal-config"
 *   version   the integer 1
 *   key_name  1 to 64 of [A-Za-z0-9 ._-], not starting or ending with a
 *             space
 *   key_id    16 to 128 of [A-Z0-9]
 *   secret    16 to 256 printable ASCII characters, no spaces
 *   endpoint  "https://" HOST [":" PORT] ["/"]: HOST an RFC 1123 host name
 *             (whose last label is not all digits) or a dotted-quad IPv4
 *             address; PORT 1 to 65535 without leading zeros (443 when
 *             absent); no user information, path, query, fragment, IPv6
 *             literal, percent sign or white space
 *
 * A refused file gets one plain sentence naming the member and what is
 * wrong; values are never repeated (so the secret never is).
 *
 * Calls are JSON POSTs to ENDPOINT/vendor/portal/{register,heartbeat,
 * deregister}, bodies written by Jansson, signed with SigV4 for service
 * "connector" in the caller's region with key_id and secret.  Answers are
 * JSON objects; an error answer is {"error": {"code", "message"}} and its
 * code is mapped as lib/aws maps the services' codes.  Nothing is retried;
 * the Date header of every answer is kept.  The secret is never logged and
 * is wiped when freed.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "outbound.h"

#define PORTAL_FORMAT "connector-portal-config"
#define PORTAL_ANSWER_MAX (64 * 1024)
#define PORTAL_ID_MAX 128

static const char *const members[] = {
	"format", "version", "key_name", "key_id", "secret", "endpoint",
};

/* Write a sentence into why (which may be NULL when whylen is 0). */
static void
say(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
say(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* 1 when s is 1..max characters of [A-Za-z0-9._:-] (registration ids). */
static int
valid_id(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._:-") == n;
}

/*
 * Check the endpoint url and split out its host (into host) and port.
 * Returns NULL, or what is wrong as the end of a sentence.
 */
static const char *
endpoint_problem(const char *url, char *host, size_t hostlen, int *port)
{
	const char *p = url + 8, *end, *colon;
	char num[8];
	size_t n = strlen(url), hl;

	if (strncmp(url, "https://", 8) != 0)
		return "must start with https://";
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
			return "may only hold printable ASCII characters "
			    "without spaces";
	if (strchr(p, '@'))
		return "may not hold user information";
	if (strchr(p, '%'))
		return "may not hold percent signs";
	if (strchr(p, '[') || strchr(p, ']'))
		return "may not hold an IPv6 address";
	if (strchr(p, '?') || strchr(p, '#'))
		return "may not hold a query or a fragment";
	end = url + n;
	if (end > p && end[-1] == '/')
		end--;
	if (memchr(p, '/', (size_t)(end - p)))
		return "may not hold a path";
	colon = memchr(p, ':', (size_t)(end - p));
	hl = (size_t)((colon ? colon : end) - p);
	if (hl == 0)
		return "has no host";
	if (hl >= hostlen)
		return "has a host name that is too long";
	memcpy(host, p, hl);
	host[hl] = '\0';
	if (!syntax_host_or_ipv4(host))
		return "has a host that is neither a host name nor an IPv4 "
		    "address";
	*port = 443;
	if (colon) {
		size_t pl = (size_t)(end - colon - 1);
		if (pl == 0 || pl >= sizeof num)
			return "has a port that is not a number from 1 to 65535";
		memcpy(num, colon + 1, pl);
		num[pl] = '\0';
		if (!syntax_port(num))
			return "has a port that is not a number from 1 to 65535";
		*port = atoi(num);
	}
	return NULL;
}

/*
 * The string member name of obj into *s, or NULL with what is wrong.
 */
static const char *
string_member(json_t *obj, const char *name, const char **s, size_t *len)
{
	json_t *v = json_object_get(obj, name);

	if (v == NULL)
		return "is missing";
	if (!json_is_string(v))
		return "must be a string";
	*s = json_string_value(v);
	*len = json_string_length(v);
	return NULL;
}

/* 1 when each of s[0..n) is in the set accepted by ok(). */
static int
all_chars(const char *s, size_t n, int (*ok)(int))
{
	for (size_t i = 0; i < n; i++)
		if (!ok((unsigned char)s[i]))
			return 0;
	return 1;
}

static int
key_name_char(int c)
{
	return isascii(c) && (isalnum(c) || c == ' ' || c == '.' ||
	    c == '_' || c == '-');
}

static int
key_id_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int
secret_char(int c)
{
	return c > 0x20 && c < 0x7f;
}

/* Check the members of root one by one and fill out.  NULL or why not. */
static const char *
read_members(json_t *root, struct portal_config *out, const char **member)
{
	const char *s, *problem;
	json_t *v;
	size_t n;

	*member = "format";
	if ((problem = string_member(root, "format", &s, &n)) != NULL)
		return problem;
	if (strcmp(s, PORTAL_FORMAT) != 0)
		return "must be \"" PORTAL_FORMAT "\"";

	*member = "version";
	v = json_object_get(root, "version");
	if (v == NULL)
		return "is missing";
	if (!json_is_integer(v) || json_integer_value(v) != 1)
		return "must be the number 1";

	*member = "key_name";
	if ((problem = string_member(root, "key_name", &s, &n)) != NULL)
		return problem;
	if (n < 1 || n >= sizeof out->key_name)
		return "must be 1 to 64 characters long";
	if (!all_chars(s, n, key_name_char))
		return "may only hold letters, digits, spaces, dots, "
		    "underscores and dashes";
	if (s[0] == ' ' || s[n - 1] == ' ')
		return "may not start or end with a space";
	memcpy(out->key_name, s, n + 1);

	*member = "key_id";
	if ((problem = string_member(root, "key_id", &s, &n)) != NULL)
		return problem;
	if (n < 16 || n >= sizeof out->key_id)
		return "must be 16 to 128 characters long";
	if (!all_chars(s, n, key_id_char))
		return "may only hold upper-case letters and digits";
	memcpy(out->key_id, s, n + 1);

	*member = "secret";
	if ((problem = string_member(root, "secret", &s, &n)) != NULL)
		return problem;
	if (n < 16 || n >= sizeof out->secret)
		return "must be 16 to 256 characters long";
	if (!all_chars(s, n, secret_char))
		return "may only hold printable ASCII characters without "
		    "spaces";
	memcpy(out->secret, s, n + 1);

	*member = "endpoint";
	if ((problem = string_member(root, "endpoint", &s, &n)) != NULL)
		return problem;
	if (n >= sizeof out->endpoint)
		return "is too long";
	if ((problem = endpoint_problem(s, out->host, sizeof out->host,
	    &out->port)) != NULL)
		return problem;
	while (n > 8 && s[n - 1] == '/')
		n--;
	memcpy(out->endpoint, s, n);
	out->endpoint[n] = '\0';
	return NULL;
}

/* Wipe the secret's copy inside a parsed document. */
static void
wipe_secret(json_t *root)
{
	json_t *v = json_object_get(root, "secret");

	if (json_is_string(v))
		util_wipe((char *)json_string_value(v), json_string_length(v));
}

/*
 * Read the configuration file data[0..len) into out.  Returns 0, or
 * CONN_EINVAL (CONN_ETOOBIG when over PORTAL_FILE_MAX) with why holding one
 * sentence saying what is wrong and out wiped.  Wipe out with
 * portal_config_wipe when done.
 */
int
portal_config_parse(const char *data, size_t len, struct portal_config *out,
    char *why, size_t whylen)
{
	json_error_t jerr;
	json_t *root = NULL, *v;
	const char *key, *problem, *member = "";
	int rc = CONN_EINVAL;
	size_t i;

	memset(out, 0, sizeof *out);
	say(why, whylen, "%s", "");
	if (len > PORTAL_FILE_MAX) {
		say(why, whylen, "The file is larger than %d bytes.",
		    PORTAL_FILE_MAX);
		return CONN_ETOOBIG;
	}
	if (data == NULL || len == 0) {
		say(why, whylen, "The file is empty.");
		return CONN_EINVAL;
	}
	if (memchr(data, '\0', len) != NULL) {
		say(why, whylen, "The file holds a NUL byte.");
		return CONN_EINVAL;
	}
	if (!util_utf8_valid(data, len)) {
		say(why, whylen, "The file is not UTF-8 text.");
		return CONN_EINVAL;
	}
	root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		/* jerr.text quotes the input near the error: never shown. */
		if (json_error_code(&jerr) == json_error_duplicate_key)
			say(why, whylen, "A member appears more than once.");
		else
			say(why, whylen, "The file is not valid JSON (line %d, "
			    "column %d).", jerr.line, jerr.column);
		goto out;
	}
	if (!json_is_object(root)) {
		say(why, whylen, "The file is not a JSON object.");
		goto out;
	}
	json_object_foreach(root, key, v) {
		for (i = 0; i < sizeof members / sizeof members[0]; i++)
			if (strcmp(key, members[i]) == 0)
				break;
		if (i < sizeof members / sizeof members[0])
			continue;
		if (strlen(key) <= 32 && strlen(key) > 0 &&
		    strspn(key, "abcdefghijklmnopqrstuvwxyz_") == strlen(key))
			say(why, whylen, "This is not the portal's "
			    "configuration file: it has a member \"%s\" that "
			    "file never has. Upload the file the portal's setup "
			    "downloaded, unchanged.", key);
		else
			say(why, whylen, "This is not the portal's "
			    "configuration file: it has a member that file "
			    "never has. Upload the file the portal's setup "
			    "downloaded, unchanged.");
		goto out;
	}
	if ((problem = read_members(root, out, &member)) != NULL) {
		say(why, whylen, "The member \"%s\" %s.", member, problem);
		goto out;
	}
	rc = 0;
out:
	util_wipe(&jerr, sizeof jerr);
	wipe_secret(root);
	json_decref(root);
	if (rc != 0)
		util_wipe(out, sizeof *out);
	return rc;
}

/* Wipe a configuration (its secret with the rest). */
void
portal_config_wipe(struct portal_config *c)
{
	util_wipe(c, sizeof *c);
}

/*
 * Read the portal's answer body[0..len) with HTTP status.  A 2xx answer
 * must be a JSON object: returns 0 with *out (the caller frees it with
 * json_decref).  An error answer {"error": {"code", "message"}} gives
 * kind AWS_E_SERVICE and the code's return code (CONN_EDENIED,
 * CONN_EINVAL, CONN_ENOTFOUND or CONN_EIO); anything else CONN_EIO with
 * kind AWS_E_PROTOCOL.  On failure *out is NULL.
 */
int
portal_read_answer(const char *body, size_t len, long status,
    json_t **out, struct aws_error *err)
{
	json_t *root = NULL, *e, *code, *msg;
	json_error_t jerr;
	char what[64];
	int rc;

	*out = NULL;
	if (len > PORTAL_ANSWER_MAX) {
		snprintf(what, sizeof what, "the answer is larger than %d "
		    "bytes", PORTAL_ANSWER_MAX);
		return aws_error_protocol(err, status, what);
	}
	if (body != NULL && len > 0)
		root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (status >= 200 && status <= 299) {
		if (!json_is_object(root)) {
			json_decref(root);
			return aws_error_protocol(err, status, "the answer is not a "
			    "JSON object");
		}
		err->status = status;
		*out = root;
		return 0;
	}
	e = json_object_get(root, "error");
	code = json_object_get(e, "code");
	msg = json_object_get(e, "message");
	if (!json_is_string(code) || !valid_id(json_string_value(code),
	    sizeof err->code_name - 1)) {
		json_decref(root);
		snprintf(what, sizeof what, "HTTP status %ld", status);
		return aws_error_protocol(err, status, what);
	}
	rc = aws_error_service(err, status, json_string_value(code),
	    json_is_string(msg) ? json_string_value(msg) : "");
	json_decref(root);
	return rc;
}

/*
 * Prepare a client of the portal described by c, signing for region, with
 * opts (copied; its strings must outlive the client; NULL: defaults).
 * Returns 0 (free with portal_free), CONN_EINVAL for a bad region or
 * configuration, CONN_ENOMEM.
 */
int
portal_init(struct portal *p, const struct portal_config *c,
    const char *region, const struct http_opts *opts)
{
	static const struct http_opts none;

	memset(p, 0, sizeof *p);
	if (!syntax_region(region) || strncmp(c->endpoint, "https://", 8) ||
	    !c->host[0] || !c->key_id[0] || !c->secret[0] ||
	    memchr(c->endpoint, '\0', sizeof c->endpoint) == NULL ||
	    memchr(c->key_id, '\0', sizeof c->key_id) == NULL ||
	    memchr(c->secret, '\0', sizeof c->secret) == NULL) {
		log_warn("portal client refused: bad region or configuration");
		return CONN_EINVAL;
	}
	snprintf(p->endpoint, sizeof p->endpoint, "%s", c->endpoint);
	snprintf(p->region, sizeof p->region, "%s", region);
	snprintf(p->key_id, sizeof p->key_id, "%s", c->key_id);
	snprintf(p->secret, sizeof p->secret, "%s", c->secret);
	p->opts = opts ? *opts : none;
	return http_client_init(&p->http, &p->opts);
}

/* Free the client's handle and wipe its key. */
void
portal_free(struct portal *p)
{
	http_client_free(&p->http);
	util_wipe(p->secret, sizeof p->secret);
	util_wipe(p->key_id, sizeof p->key_id);
}

/* Keep the Date header of resp as the portal's clock. */
static void
keep_date(struct portal *p, const struct http_response *resp)
{
	p->server_date[0] = '\0';
	if (http_response_header(resp, "Date", p->server_date,
	    sizeof p->server_date) != 0)
		p->server_date[0] = '\0';
	for (char *s = p->server_date; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = ' ';
}

/*
 * POST the document req to ENDPOINT/vendor/portal/WHAT, signed.  Returns 0
 * with *answer (the answer's object; the caller frees it with
 * json_decref), or an error code with err filled.
 */
static int
call(struct portal *p, const char *what, json_t *req, json_t **answer,
    struct aws_error *err)
{
	static const char *const hdrs[] = { "Content-Type: application/json",
	    "Accept: application/json", NULL };
	struct http_response resp;
	struct http_req rq;
	char url[sizeof err->http.endpoint], sig[64], *body;
	int rc, n;

	*answer = NULL;
	n = snprintf(url, sizeof url, "%s/vendor/portal/%s", p->endpoint, what);
	if (n < 0 || (size_t)n >= sizeof url)
		return CONN_ETOOBIG;
	if ((body = json_dumps(req, JSON_COMPACT)) == NULL)
		return CONN_ENOMEM;
	snprintf(sig, sizeof sig, "aws:amz:%s:connector", p->region);
	memset(&rq, 0, sizeof rq);
	rq.method = "POST";
	rq.url = url;
	rq.headers = hdrs;
	rq.body = body;
	rq.body_len = strlen(body);
	rq.aws_sigv4 = sig;
	rq.aws_access_key = p->key_id;
	rq.aws_secret_key = p->secret;
	err->attempts = 1;
	if (http_request(&p->http, &rq, &resp, &err->http) != 0) {
		/* http.c logged the failure. */
		err->kind = AWS_E_TRANSPORT;
		err->status = 0;
		snprintf(err->message, sizeof err->message, "%s",
		    err->http.detail);
		rc = CONN_EIO;
		goto out;
	}
	keep_date(p, &resp);
	rc = portal_read_answer(resp.body.data, resp.body.len, resp.status,
	    answer, err);
	memcpy(err->http.endpoint, url, sizeof url);
	err->http.elapsed = resp.timing.total;
	if (rc != 0)
		log_warn("portal %s at %s: %s: %s", what, p->endpoint,
		    err->code_name[0] ? err->code_name : "error",
		    err->message);
	http_response_free(&resp);
out:
	free(body);
	return rc;
}

/* Check that an answer says {"ok": true}.  0 or CONN_EIO with err filled. */
static int
answer_ok(json_t *answer, const char *what, struct aws_error *err)
{
	if (json_is_true(json_object_get(answer, "ok")))
		return 0;
	log_warn("portal %s: the answer does not say ok", what);
	return aws_error_protocol(err, err->status, "the answer does not say ok");
}

/*
 * Register the connector described by in (vcenter_host and extension_key
 * optional).  Returns 0 with registration_id filled, CONN_EINVAL for a
 * missing or malformed field (nothing sent), CONN_ETOOBIG when the id
 * does not fit idlen, or an error code with err filled.
 */
int
portal_register(struct portal *p, const struct portal_info *in,
    char *registration_id, size_t idlen, struct aws_error *err)
{
	json_t *req = NULL, *vc, *answer = NULL, *id, *cid;
	const char *s;
	int rc = CONN_EINVAL;

	memset(err, 0, sizeof *err);
	if (idlen)
		registration_id[0] = '\0';
	if (in == NULL || in->connector_id == NULL || in->hostname == NULL ||
	    in->ip == NULL || in->version == NULL ||
	    !valid_id(in->connector_id, PORTAL_ID_MAX) || !in->hostname[0] ||
	    !in->ip[0] || !in->version[0]) {
		snprintf(err->message, sizeof err->message, "the registration "
		    "lacks a field");
		return CONN_EINVAL;
	}
	/* json_pack refuses text that is not UTF-8. */
	if ((req = json_pack("{s:s, s:s, s:s, s:s}", "connector_id",
	    in->connector_id, "hostname", in->hostname, "ip", in->ip,
	    "version", in->version)) == NULL)
		goto out;
	if (in->vcenter_host && in->vcenter_host[0]) {
		if ((vc = json_pack("{s:s}", "host", in->vcenter_host)) == NULL ||
		    json_object_set_new(req, "vcenter", vc) != 0)
			goto out;
		if (in->extension_key && in->extension_key[0] &&
		    json_object_set_new(vc, "extension_key",
		    json_string(in->extension_key)) != 0)
			goto out;
	}
	if ((rc = call(p, "register", req, &answer, err)) != 0)
		goto out;
	id = json_object_get(answer, "registration_id");
	cid = json_object_get(answer, "connector_id");
	if (!json_is_string(id) || !valid_id(json_string_value(id),
	    PORTAL_ID_MAX) || (cid != NULL && (!json_is_string(cid) ||
	    strcmp(json_string_value(cid), in->connector_id) != 0))) {
		log_warn("portal register at %s: the answer has no usable "
		    "registration id", p->endpoint);
		rc = aws_error_protocol(err, err->status, "the answer has no usable "
		    "registration id");
		goto out;
	}
	s = json_string_value(id);
	if (strlen(s) >= idlen) {
		rc = CONN_ETOOBIG;
		goto out;
	}
	memcpy(registration_id, s, strlen(s) + 1);
	rc = 0;
out:
	json_decref(answer);
	json_decref(req);
	if (rc == CONN_EINVAL && err->kind == AWS_E_NONE)
		snprintf(err->message, sizeof err->message, "a registration "
		    "field is not UTF-8 text");
	return rc;
}

/*
 * Tell the portal the connector is alive with status (a lower-case word:
 * ok, degraded, error).  Returns 0, CONN_EINVAL for a malformed id or
 * status (nothing sent), or an error code with err filled (CONN_ENOTFOUND
 * when the portal does not know the registration).
 */
int
portal_heartbeat(struct portal *p, const char *registration_id,
    const char *status, struct aws_error *err)
{
	json_t *req, *answer = NULL;
	int rc;

	memset(err, 0, sizeof *err);
	if (registration_id == NULL || !valid_id(registration_id,
	    PORTAL_ID_MAX) || status == NULL || !status[0] ||
	    strlen(status) > 32 || strspn(status,
	    "abcdefghijklmnopqrstuvwxyz") != strlen(status)) {
		snprintf(err->message, sizeof err->message, "the registration "
		    "id or the status is not valid");
		return CONN_EINVAL;
	}
	if ((req = json_pack("{s:s, s:s, s:s}", "registration_id",
	    registration_id, "status", status, "version",
	    CONNECTOR_VERSION)) == NULL)
		return CONN_ENOMEM;
	if ((rc = call(p, "heartbeat", req, &answer, err)) == 0)
		rc = answer_ok(answer, "heartbeat", err);
	json_decref(answer);
	json_decref(req);
	return rc;
}

/*
 * Withdraw the registration.  Returns 0, CONN_EINVAL for a malformed id
 * (nothing sent), or an error code with err filled (CONN_ENOTFOUND when
 * the portal does not know it).
 */
int
portal_deregister(struct portal *p, const char *registration_id,
    struct aws_error *err)
{
	json_t *req, *answer = NULL;
	int rc;

	memset(err, 0, sizeof *err);
	if (registration_id == NULL || !valid_id(registration_id,
	    PORTAL_ID_MAX)) {
		snprintf(err->message, sizeof err->message, "the registration "
		    "id is not valid");
		return CONN_EINVAL;
	}
	if ((req = json_pack("{s:s}", "registration_id",
	    registration_id)) == NULL)
		return CONN_ENOMEM;
	if ((rc = call(p, "deregister", req, &answer, err)) == 0)
		rc = answer_ok(answer, "deregister", err);
	json_decref(answer);
	json_decref(req);
	return rc;
}
