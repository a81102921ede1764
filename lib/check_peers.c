/*
 * check_peers.c — the health checks that talk to the outside world: AWS
 * (STS GetCallerIdentity with the stored keys), vCenter (log in with the
 * service account and out again, against the pinned certificate), the
 * clock against both, the network proxy, and the authentication proxy's
 * AssumeRole.  See lib/health.h for what a check may do: each gives its
 * clients env->timeout at most, all of its requests together, reads the
 * registration and writes nothing.
 *
 * Sentences follow lib/enroll.c: what failed, why, what to do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authproxy.h"
#include "check.h"
#include "enroll.h"

#define TIME_WARNING 15		/* seconds: the original's limit */
#define TIME_ERROR 300		/* SigV4 requests fail past this */
#define HEALTH_SESSION "connector-health-check"	/* AssumeRole's session */
#define FIX_AT "Update the registration"	/* where a setting is mended */

/* The wall clock, in seconds with fractions. */
static double
wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Milliseconds left until deadline (at least 1: a client given 0 would
 * take its own default). */
static long
left_ms(double deadline)
{
	double ms = (deadline - wall()) * 1000.0;

	return ms < 1.0 ? 1L : (long)ms;
}

/* Give a client's options the time that is left until deadline. */
static void
limit(struct http_opts *o, double deadline)
{
	o->total_timeout_ms = left_ms(deadline);
	o->connect_timeout_ms = o->total_timeout_ms;
}

/* |s|, without the math library. */
static double
absd(double s)
{
	return s < 0 ? -s : s;
}

static void
put_str(json_t *d, const char *key, const char *value)
{
	if (value != NULL && value[0])
		json_object_set_new(d, key, json_string(value));
}

/* The endpoint, stage, error text and timings of a transport error. */
static void
put_http_error(json_t *d, const struct http_error *e)
{
	put_str(d, "endpoint", e->endpoint);
	put_str(d, "stage", check_stage(e));
	put_str(d, "error", e->detail);
	check_timings(d, &e->timing);
}

static void
not_registered(struct health_result *r, const char *what)
{
	health_set(r, HEALTH_NA, "Not registered yet: register the connector "
	    "to check %s.", what);
}

/* ---- the registration's AWS client ---- */

struct aws_conf {
	char region[32];
	char key_id[130];
	struct buf secret, token;
	struct reg_net net;
	int have_net;
};

static void
aws_conf_free(struct aws_conf *c)
{
	buf_free(&c->secret);
	buf_free(&c->token);
	if (c->have_net)
		reg_net_wipe(&c->net);
	c->have_net = 0;
}

/*
 * An AWS client with the registration's region, keys and proxy, its
 * requests given until deadline, one request per call (no retries: the
 * check reports what one attempt met).  Returns 0 (free a with aws_free,
 * c with aws_conf_free) or an error code with why set.
 */
static int
aws_open(struct aws_conf *c, struct aws *a, double deadline,
    const char **why)
{
	int rc;

	memset(c, 0, sizeof *c);
	*why = "The registration's AWS settings could not be read.";
	if (reg_value(REG_AWS_REGION, 0, c->region, sizeof c->region) != 0 ||
	    reg_value(REG_AWS_KEY_ID, 0, c->key_id, sizeof c->key_id) != 0 ||
	    reg_secret(REG_AWS_SECRET, 0, &c->secret) != 0)
		return CONN_ENOTFOUND;
	rc = reg_secret(REG_AWS_TOKEN, 0, &c->token);
	if (rc != 0 && rc != CONN_ENOTFOUND)
		return rc;
	if ((rc = reg_net_load(&c->net, 0, 1)) != 0)
		return rc;
	c->have_net = 1;
	limit(&c->net.opts, deadline);
	if ((rc = aws_init(a, c->region, NULL, &c->net.opts)) != 0) {
		*why = "The AWS endpoint of the registration is not usable.";
		return rc;
	}
	a->retry.max_attempts = 1;
	if ((rc = aws_set_credentials(a, c->key_id, c->secret.data ?
	    c->secret.data : "", c->token.len ? c->token.data : NULL)) != 0) {
		*why = "The stored AWS keys are not in a usable form: enter "
		    "them again in Update the registration.";
		aws_free(a);
		return rc;
	}
	return 0;
}

/* aws_open for an item: on failure r and d say why (stage "local"), c
 * is freed, and 1 is returned. */
static int
aws_open_item(struct aws_conf *c, struct aws *a, double deadline,
    struct health_result *r, json_t *d)
{
	const char *why;

	if (aws_open(c, a, deadline, &why) == 0)
		return 0;
	aws_conf_free(c);
	put_str(d, "stage", "local");
	health_set(r, HEALTH_ERROR, "%s", why);
	return 1;
}

/*
 * Put in r and d why the AWS call what failed with e.  The words are the
 * registration's table of causes (enroll_explain_aws); the check adds the
 * stage, the call and the details.  Throttling is a warning, every other
 * failure an error.
 */
static void
explain_aws(const struct aws_error *e, const char *what, int timeout,
    struct health_result *r, json_t *d)
{
	struct enroll_result er;
	char desc[600];

	memset(&er, 0, sizeof er);
	put_str(d, "call", what);
	if (e->kind == AWS_E_TRANSPORT) {
		put_http_error(d, &e->http);
		if (e->http.kind == HTTP_ETIMEOUT)
			json_object_set_new(d, "limit_seconds",
			    json_integer(timeout));
	} else {
		put_str(d, "endpoint", e->http.endpoint);
		if (e->kind == AWS_E_SERVICE) {
			put_str(d, "stage", e->code == AWS_C_THROTTLING ||
			    e->status >= 500 ? "http" : "authentication");
			snprintf(desc, sizeof desc, "%s: %s", e->code_name,
			    e->message);
			put_str(d, "error", desc);
			check_timings(d, &e->http.timing);
		} else {
			put_str(d, "stage", "response");
			put_str(d, "error", e->message);
		}
	}
	enroll_explain_aws(e, "AWS", FIX_AT, &er);
	health_set(r, e->kind == AWS_E_SERVICE && e->code == AWS_C_THROTTLING ?
	    HEALTH_WARNING : HEALTH_ERROR, "%s", er.msg);
}

/* ---- AWS Connectivity ---- */

void
check_aws(const struct health_env *env, struct health_result *r, json_t *d)
{
	double deadline = wall() + env->timeout, t0;
	struct aws_identity id;
	struct aws_error err;
	struct aws_conf c;
	struct aws a;
	char host[300];

	if (!reg_registered()) {
		not_registered(r, "its AWS connection");
		return;
	}
	if (aws_open_item(&c, &a, deadline, r, d) != 0)
		return;
	put_str(d, "region", c.region);
	put_str(d, "access_key_id", c.key_id);
	if (c.net.opts.proxy_host)
		json_object_set_new(d, "proxy", json_sprintf("%s:%d",
		    c.net.opts.proxy_host, c.net.opts.proxy_port));
	memset(&err, 0, sizeof err);
	t0 = wall();
	if (aws_get_caller_identity(&a, &id, &err) != 0) {
		explain_aws(&err, "GetCallerIdentity with the connector's keys",
		    env->timeout, r, d);
		goto out;
	}
	snprintf(host, sizeof host, "%s", a.endpoint[AWS_STS]);
	put_str(d, "endpoint", host);
	json_object_set_new(d, "timings", json_pack("{s:f}", "total",
	    check_ms3(wall() - t0)));
	put_str(d, "account", id.account);
	put_str(d, "arn", id.arn);
	util_url_host(a.endpoint[AWS_STS], host, sizeof host);
	if (c.net.opts.proxy_host)
		health_set(r, HEALTH_OK, "Signed in to AWS (%s, through the "
		    "proxy %s:%d) as %s, account %s.", host,
		    c.net.opts.proxy_host, c.net.opts.proxy_port, id.arn,
		    id.account);
	else
		health_set(r, HEALTH_OK, "Signed in to AWS (%s) as %s, account "
		    "%s.", host, id.arn, id.account);
out:
	aws_free(&a);
	aws_conf_free(&c);
}

/* ---- vCenter ---- */

struct vc_conf {
	char host[256], port[8], user[256], pin[96];
	struct buf password;
	struct reg_net net;
	int have_net;
};

static void
vc_conf_free(struct vc_conf *c)
{
	buf_free(&c->password);
	if (c->have_net)
		reg_net_wipe(&c->net);
	c->have_net = 0;
}

/* The registration's vCenter and a client for it (pinned), its requests
 * given until deadline.  Returns 0 (free vs and c) or an error code. */
static int
vc_open(struct vc_conf *c, struct vsphere *vs, double deadline)
{
	int rc;

	memset(c, 0, sizeof *c);
	if (reg_value(REG_VC_HOST, 0, c->host, sizeof c->host) != 0 ||
	    reg_value(REG_VC_PORT, 0, c->port, sizeof c->port) != 0 ||
	    reg_value(REG_VC_USER, 0, c->user, sizeof c->user) != 0 ||
	    reg_secret(REG_VC_PASSWORD, 0, &c->password) != 0)
		return CONN_ENOTFOUND;
	reg_value(REG_VC_THUMBPRINT, 0, c->pin, sizeof c->pin);
	if ((rc = reg_net_load(&c->net, 0, 0)) != 0)
		return rc;
	c->have_net = 1;
	limit(&c->net.opts, deadline);
	if ((rc = vsphere_init(vs, c->host, atoi(c->port), &c->net.opts)) != 0)
		return rc;
	return 0;
}

/* Give the client the time left until deadline. */
static void
vc_limit(struct vsphere *vs, double deadline)
{
	limit(&vs->http.opts, deadline);
}

/*
 * Log out with an allowance of its own: a login that used most of the
 * time must not leave a session behind in vCenter for want of a
 * millisecond.  It fits inside the second the runner grants past the
 * check's limit.
 */
#define VC_LOGOUT_MS 700

static void
vc_logout(struct vsphere *vs)
{
	struct vsphere_error lerr;

	vs->http.opts.total_timeout_ms = VC_LOGOUT_MS;
	vs->http.opts.connect_timeout_ms = VC_LOGOUT_MS;
	vsphere_logout(vs, &lerr);
}

/*
 * Connect and log in as the service account.  Returns 0, or an error with
 * err filled.
 */
static int
vc_login(struct vc_conf *c, struct vsphere *vs, double deadline,
    struct vsphere_error *err)
{
	int rc;

	if ((rc = vsphere_connect(vs, err)) != 0)
		return rc;
	vc_limit(vs, deadline);
	return vsphere_login(vs, c->user, c->password.data ? c->password.data :
	    "", err);
}

/*
 * Put in r and d why signing in to the registration's vCenter failed with
 * e.  The words are the registration's table of causes
 * (enroll_explain_vsphere); the check adds the stage and the details (both
 * thumbprints when the certificate is not the pinned one).
 */
static void
explain_vcenter(const struct vsphere_error *e, const struct vc_conf *c,
    const struct vsphere *vs, int timeout, struct health_result *r,
    json_t *d)
{
	struct enroll_result er;

	memset(&er, 0, sizeof er);
	put_str(d, "endpoint", e->http.endpoint);
	if (e->kind == VSPHERE_E_FAULT) {
		put_str(d, "stage", "authentication");
		json_object_set_new(d, "error", json_sprintf("%s: %s",
		    e->fault_type, e->message));
	} else if (e->kind == VSPHERE_E_PROTOCOL) {
		put_str(d, "stage", "response");
		put_str(d, "error", e->message);
	} else {
		put_http_error(d, &e->http);
		if (e->http.kind == HTTP_ETIMEOUT)
			json_object_set_new(d, "limit_seconds",
			    json_integer(timeout));
		if (e->http.kind == HTTP_ETLS && e->http.cause == HTTP_C_PIN) {
			put_str(d, "stage", "tls");
			put_str(d, "pinned_thumbprint", c->pin);
			put_str(d, "seen_thumbprint", vs->http.peer_thumbprint);
			put_str(d, "seen_subject", vs->http.peer_subject);
		}
	}
	enroll_explain_vsphere(e, c->host, atoi(c->port), FIX_AT, &er);
	health_set(r, HEALTH_ERROR, "%s", er.msg);
}

/* ---- vCenter Connectivity ---- */

void
check_vcenter(const struct health_env *env, struct health_result *r,
    json_t *d)
{
	double deadline = wall() + env->timeout, t0 = wall();
	struct vsphere_error err;
	struct vc_conf c;
	struct vsphere vs;
	int rc;

	if (!reg_registered()) {
		not_registered(r, "its vCenter connection");
		return;
	}
	if ((rc = vc_open(&c, &vs, deadline)) != 0) {
		vc_conf_free(&c);
		put_str(d, "stage", "local");
		health_set(r, HEALTH_ERROR, "The registration's vCenter "
		    "settings could not be read. Register the connector "
		    "again.");
		return;
	}
	put_str(d, "pinned_thumbprint", c.pin);
	put_str(d, "user", c.user);
	if ((rc = vc_login(&c, &vs, deadline, &err)) != 0) {
		explain_vcenter(&err, &c, &vs, env->timeout, r, d);
		goto out;
	}
	vc_logout(&vs);
	put_str(d, "endpoint", vs.url);
	json_object_set_new(d, "timings", json_pack("{s:f}", "total",
	    check_ms3(wall() - t0)));
	put_str(d, "product", vs.product);
	put_str(d, "api_version", vs.api_version);
	health_set(r, HEALTH_OK, "Signed in to vCenter %s:%s as %s%s%s%s, "
	    "and out again.", c.host, c.port, c.user, vs.product[0] ? " (" :
	    "", vs.product, vs.product[0] ? ")" : "");
out:
	vsphere_free(&vs);
	vc_conf_free(&c);
}

/* ---- System Time Synchronization ---- */

/* One peer's clock against ours. */
struct offset {
	int measured;
	double seconds;		/* the peer's clock minus ours */
	double round_trip;
	char why[400];		/* not measured: why, in words */
};

/*
 * The offset of a clock read as whole seconds (peer, truncated) between
 * sent and received: the peer read it somewhere in [peer, peer + 1) at
 * about the middle of the round trip.
 */
static void
offset_of(struct offset *o, time_t peer, double sent, double received)
{
	o->measured = 1;
	o->round_trip = received - sent;
	o->seconds = ((double)peer + 0.5) - (sent + received) / 2.0;
}

/* vCenter's CurrentTime (signed in: vCenter answers it only then). */
static void
time_vcenter(double deadline, struct offset *o, json_t *d)
{
	struct vsphere_error err;
	struct vc_conf c;
	struct vsphere vs;
	double sent, received;
	time_t t;

	if (vc_open(&c, &vs, deadline) != 0) {
		vc_conf_free(&c);
		snprintf(o->why, sizeof o->why, "vCenter's settings could not "
		    "be read");
		return;
	}
	if (vc_login(&c, &vs, deadline, &err) == 0) {
		vc_limit(&vs, deadline);
		sent = wall();
		if (vsphere_current_time(&vs, &t, &err) == 0) {
			received = wall();
			offset_of(o, t, sent, received);
		}
		vc_logout(&vs);
	}
	put_str(d, "endpoint_vcenter", vs.url);
	if (!o->measured) {
		if (err.kind == VSPHERE_E_TRANSPORT &&
		    err.http.kind == HTTP_ETIMEOUT)
			snprintf(o->why, sizeof o->why, "vCenter %s:%s did not "
			    "answer in time", c.host, c.port);
		else if (err.kind == VSPHERE_E_TRANSPORT &&
		    err.http.cause == HTTP_C_PIN)
			snprintf(o->why, sizeof o->why, "vCenter %s:%s presents "
			    "a certificate other than the trusted one", c.host,
			    c.port);
		else if (err.kind == VSPHERE_E_FAULT)
			snprintf(o->why, sizeof o->why, "vCenter %s:%s refused "
			    "the service account", c.host, c.port);
		else
			snprintf(o->why, sizeof o->why, "vCenter %s:%s was not "
			    "reached", c.host, c.port);
		json_object_set_new(d, "error_vcenter", json_string(
		    err.kind == VSPHERE_E_TRANSPORT ? err.http.detail :
		    err.message));
		if (err.kind == VSPHERE_E_TRANSPORT)
			json_object_set_new(d, "stage_vcenter",
			    json_string(check_stage(&err.http)));
	}
	vsphere_free(&vs);
	vc_conf_free(&c);
}

/* AWS's Date header of a signed STS answer (an error answer's too). */
static void
time_aws(double deadline, struct offset *o, json_t *d)
{
	struct aws_identity id;
	struct aws_error err;
	struct aws_conf c;
	struct aws a;
	const char *why;
	double sent, received;

	if (aws_open(&c, &a, deadline, &why) != 0) {
		aws_conf_free(&c);
		snprintf(o->why, sizeof o->why, "AWS's settings could not be "
		    "read");
		return;
	}
	memset(&err, 0, sizeof err);
	sent = wall();
	aws_get_caller_identity(&a, &id, &err);
	received = wall();
	put_str(d, "endpoint_aws", a.endpoint[AWS_STS]);
	if (a.server_time != 0) {
		offset_of(o, a.server_time, sent, received);
		put_str(d, "aws_date", a.server_date);
	} else {
		if (err.kind == AWS_E_TRANSPORT &&
		    err.http.kind == HTTP_ETIMEOUT)
			snprintf(o->why, sizeof o->why, "AWS did not answer in "
			    "time");
		else if (err.kind == AWS_E_TRANSPORT)
			snprintf(o->why, sizeof o->why, "AWS was not reached");
		else
			snprintf(o->why, sizeof o->why, "AWS's answer had no "
			    "date");
		if (err.kind == AWS_E_TRANSPORT) {
			json_object_set_new(d, "error_aws",
			    json_string(err.http.detail));
			json_object_set_new(d, "stage_aws",
			    json_string(check_stage(&err.http)));
		}
	}
	aws_free(&a);
	aws_conf_free(&c);
}

/* "20 s behind vCenter" / "3 min ahead of AWS": how far off ours is. */
static void
say_offset(char *out, size_t outlen, const char *peer, double s)
{
	double a = absd(s);

	if (a < 1.0)
		snprintf(out, outlen, "within 1 s of %s", peer);
	else if (a < 120.0)
		snprintf(out, outlen, "%.0f s %s %s", a, s > 0 ? "behind" :
		    "ahead of", peer);
	else
		snprintf(out, outlen, "%.1f min %s %s", a / 60.0, s > 0 ?
		    "behind" : "ahead of", peer);
}

static enum health_state
offset_state(const struct offset *o)
{
	if (!o->measured)
		return HEALTH_OK;
	if (absd(o->seconds) > TIME_ERROR)
		return HEALTH_ERROR;
	if (absd(o->seconds) > TIME_WARNING)
		return HEALTH_WARNING;
	return HEALTH_OK;
}

void
check_time(const struct health_env *env, struct health_result *r, json_t *d)
{
	double start = wall(), deadline = start + env->timeout;
	struct offset vc = { 0 }, aw = { 0 };
	enum health_state s;
	char a[120], b[120], both[300], unmeasured[820];
	json_t *values;

	if (!reg_registered()) {
		not_registered(r, "its clock against vCenter and AWS");
		return;
	}
	/* Half the time for vCenter, so a hung vCenter leaves AWS its turn. */
	time_vcenter(start + env->timeout / 2.0, &vc, d);
	time_aws(deadline, &aw, d);

	values = json_object();
	if (vc.measured) {
		json_object_set_new(values, "offset_vcenter_seconds",
		    json_real(check_ms3(vc.seconds)));
		json_object_set_new(d, "round_trip_vcenter_seconds",
		    json_real(check_ms3(vc.round_trip)));
	}
	if (aw.measured) {
		json_object_set_new(values, "offset_aws_seconds",
		    json_real(check_ms3(aw.seconds)));
		json_object_set_new(d, "round_trip_aws_seconds",
		    json_real(check_ms3(aw.round_trip)));
	}
	json_object_set_new(d, "values", values);
	json_object_set_new(d, "note", json_string("Offset: the peer's clock "
	    "minus the connector's at the middle of the round trip. vCenter's "
	    "CurrentTime and AWS's Date header are read to the second, so "
	    "each offset is within 0.5 s plus half its round trip."));
	json_object_set_new(d, "thresholds", json_pack("{s:i, s:i}",
	    "warning_seconds", TIME_WARNING, "error_seconds", TIME_ERROR));

	unmeasured[0] = '\0';
	if (!vc.measured && !aw.measured)
		snprintf(unmeasured, sizeof unmeasured, "%s; %s", vc.why,
		    aw.why);
	else if (!vc.measured)
		snprintf(unmeasured, sizeof unmeasured, "%s", vc.why);
	else if (!aw.measured)
		snprintf(unmeasured, sizeof unmeasured, "%s", aw.why);

	if (!vc.measured && !aw.measured) {
		put_str(d, "stage", "connect");
		health_set(r, HEALTH_WARNING, "The clock could not be compared: "
		    "%s. See vCenter Connectivity and AWS Connectivity.",
		    unmeasured);
		return;
	}
	s = offset_state(&vc) > offset_state(&aw) ? offset_state(&vc) :
	    offset_state(&aw);
	say_offset(a, sizeof a, "vCenter", vc.seconds);
	say_offset(b, sizeof b, "AWS", aw.seconds);
	if (vc.measured && aw.measured)
		snprintf(both, sizeof both, "%s and %s", a, b);
	else
		snprintf(both, sizeof both, "%s", vc.measured ? a : b);
	if (s == HEALTH_OK)
		health_set(r, unmeasured[0] ? HEALTH_WARNING : HEALTH_OK,
		    "The connector's clock is %s.%s%s%s", both,
		    unmeasured[0] ? " Not compared with the other: " : "",
		    unmeasured, unmeasured[0] ? "." : "");
	else if (s == HEALTH_WARNING)
		health_set(r, HEALTH_WARNING, "The connector's clock is %s: "
		    "more than 15 s off. Check the time source of the "
		    "connector's host (NTP on the ESXi host) and of "
		    "vCenter.%s%s%s", both,
		    unmeasured[0] ? " Not compared with the other: " : "",
		    unmeasured, unmeasured[0] ? "." : "");
	else
		health_set(r, HEALTH_ERROR, "The connector's clock is %s: more "
		    "than 5 minutes off, so AWS refuses its signed requests. "
		    "Correct the time source of the connector's host (NTP on "
		    "the ESXi host) and of vCenter.%s%s%s", both,
		    unmeasured[0] ? " Not compared with the other: " : "",
		    unmeasured, unmeasured[0] ? "." : "");
}

/* ---- Network Proxy Configured ---- */

void
check_proxy(const struct health_env *env, struct health_result *r,
    json_t *d)
{
	char region[32], url[300], host[300], port[8];
	struct enroll_result er;
	struct http_response resp;
	struct http_client cl;
	struct http_error err;
	struct http_req rq = { 0 };
	struct reg_net n;
	int rc;

	if ((rc = reg_net_load(&n, 0, 1)) != 0) {
		put_str(d, "stage", "local");
		health_set(r, HEALTH_ERROR, "The proxy settings could not be "
		    "read.");
		return;
	}
	if (n.opts.proxy_host == NULL) {
		reg_net_wipe(&n);
		health_set(r, HEALTH_ABSENT, "No proxy is set: the connector "
		    "connects directly.");
		return;
	}
	json_object_set_new(d, "proxy", json_sprintf("%s:%d",
	    n.opts.proxy_host, n.opts.proxy_port));
	put_str(d, "proxy_user", n.opts.proxy_user);
	if (reg_value(REG_AWS_REGION, 0, region, sizeof region) != 0 ||
	    !region[0])
		snprintf(region, sizeof region, "us-east-1");
	limit(&n.opts, wall() + env->timeout);
	/* Through the proxy whatever the no-proxy list says: the item is
	 * about the proxy, and a direct answer would say nothing of it. */
	n.opts.no_proxy = NULL;
	if (aws_resolve_endpoint(AWS_STS, region, NULL, url, sizeof url,
	    NULL) != 0 || http_client_init(&cl, &n.opts) != 0) {
		reg_net_wipe(&n);
		put_str(d, "stage", "local");
		health_set(r, HEALTH_ERROR, "The AWS STS endpoint of the "
		    "registration is not usable.");
		return;
	}
	util_url_host(url, host, sizeof host);
	rq.url = url;
	rc = http_request(&cl, &rq, &resp, &err);
	http_client_free(&cl);
	if (rc == 0) {
		put_str(d, "endpoint", url);
		check_timings(d, &resp.timing);
		json_object_set_new(d, "status", json_integer(resp.status));
		health_set(r, HEALTH_OK, "The proxy %s:%d%s%s%s tunnels to "
		    "AWS STS at %s (it answered HTTP %ld).", n.opts.proxy_host,
		    n.opts.proxy_port, n.opts.proxy_user ? " (as " : "",
		    n.opts.proxy_user ? n.opts.proxy_user : "",
		    n.opts.proxy_user ? ")" : "", host, resp.status);
		http_response_free(&resp);
		reg_net_wipe(&n);
		return;
	}
	put_http_error(d, &err);
	if (err.kind == HTTP_ETIMEOUT)
		json_object_set_new(d, "limit_seconds",
		    json_integer(env->timeout));
	snprintf(port, sizeof port, "%d", n.opts.proxy_port);
	memset(&er, 0, sizeof er);
	enroll_explain_proxy(&err, n.opts.proxy_host, port, FIX_AT, &er);
	health_set(r, HEALTH_ERROR, "%s", er.msg);
	reg_net_wipe(&n);
}

/* ---- Authentication Proxy Service ---- */

/* The item's row as the last run left it. */
struct ap_last {
	int found;
	struct health_row row;
};

static int
ap_last_row(void *arg, const struct health_row *r)
{
	struct ap_last *l = arg;

	if (r->item == HI_AUTHPROXY) {
		l->row = *r;
		l->found = 1;
	}
	return 0;
}

/*
 * Append to s when and how the stored secret name was last sealed, never
 * its value: the time and the seal's nonce, which is new at every store
 * of it ("-" when there is none).  Returns 0 or an error.
 */
static int
ap_secret_stamp(struct buf *s, const char *name)
{
	sqlite3_stmt *st = db_stmt(DB_SECRET_STAMP);
	int rc;

	if (st == NULL)
		return CONN_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = buf_addf(s, "\n%lld:%s", (long long)
		    sqlite3_column_int64(st, 0), (const char *)
		    sqlite3_column_text(st, 1));
	else
		rc = rc == SQLITE_DONE ? buf_addf(s, "\n-") : CONN_EDB;
	sqlite3_reset(st);
	return rc;
}

/*
 * A digest of everything AssumeRole is asked with into out ("" when it
 * cannot be made): the role, session policy and duration; the
 * registration's key ID, region, STS endpoint and proxy as c and a hold
 * them; and when its secret key, session token and proxy password were
 * last stored.  A change to any of them asks afresh.
 */
static void
ap_settings_digest(const struct authproxy_config *cfg,
    const struct aws_conf *c, const struct aws *a, char out[65])
{
	struct buf s = { 0 };

	out[0] = '\0';
	if (buf_addf(&s, "%s\n%s\n%d\n%s\n%s\n%s\n%s:%d:%s",
	    cfg->role_arn, cfg->policy, cfg->duration, c->key_id, c->region,
	    a->endpoint[AWS_STS], c->net.proxy_host, c->net.opts.proxy_port,
	    c->net.proxy_user) == 0 &&
	    ap_secret_stamp(&s, REG_AWS_SECRET) == 0 &&
	    ap_secret_stamp(&s, REG_AWS_TOKEN) == 0 &&
	    ap_secret_stamp(&s, REG_PROXY_PASSWORD) == 0 &&
	    util_sha256_hex(s.data, s.len, out) != 0)
		out[0] = '\0';
	buf_free(&s);
}

/*
 * Keep the last answer instead of asking AWS again (every AssumeRole is
 * an entry in the customer's CloudTrail): 1, with r and d as the last run
 * left them, when that answer was a success less than AP_HEALTH_RECHECK
 * seconds ago for the same settings (digest), no user's AssumeRole has
 * failed since, and the run was not asked for by hand (Check now,
 * --only).  Else 0: ask.
 */
static int
ap_keep_last(const struct health_env *env, const char *digest,
    struct health_result *r, json_t *d)
{
	static struct ap_last l;
	char failed[24] = "";
	json_t *old;
	long long asked;
	int keep;

	memset(&l, 0, sizeof l);
	if (env->by_hand || !digest[0] || health_rows_each(ap_last_row, &l) !=
	    0 || !l.found || l.row.state != HEALTH_OK ||
	    (old = json_loads(l.row.details, 0, NULL)) == NULL)
		return 0;
	asked = json_integer_value(json_object_get(old, "asked_at"));
	db_setting_copy(AP_SET_ASSUME_FAILED_AT, failed, sizeof failed);
	keep = asked > 0 && asked <= (long long)env->now &&
	    (long long)env->now - asked < AP_HEALTH_RECHECK &&
	    json_is_string(json_object_get(old, "settings_digest")) &&
	    strcmp(json_string_value(json_object_get(old,
	    "settings_digest")), digest) == 0 &&
	    strtoll(failed, NULL, 10) < asked;
	if (keep) {
		json_object_update(d, old);
		health_set(r, HEALTH_OK, "%s", l.row.summary);
	}
	json_decref(old);
	return keep;
}

void
check_authproxy(const struct health_env *env, struct health_result *r,
    json_t *d)
{
	double deadline = wall() + env->timeout, t0;
	struct authproxy_config cfg;
	struct aws_credentials cred;
	struct aws_error err;
	struct aws_conf c;
	struct aws a;
	char what[AP_ROLE_MAX + 64], digest[65];

	if (authproxy_config_get(&cfg) != 0) {
		put_str(d, "stage", "local");
		health_set(r, HEALTH_ERROR, "The federation settings could not "
		    "be read.");
		return;
	}
	if (cfg.saml) {
		health_set(r, HEALTH_ABSENT, "Federation is SAML: the "
		    "authentication proxy is off.");
		return;
	}
	if (!reg_registered()) {
		not_registered(r, "the authentication proxy");
		return;
	}
	if (cfg.role_arn[0] == '\0') {
		put_str(d, "stage", "local");
		health_set(r, HEALTH_WARNING, "No IAM role is set for "
		    "federation: users who sign in to the portal through the "
		    "connector get no AWS credentials. Choose the role on "
		    "Settings → Federation (or choose SAML).");
		return;
	}
	put_str(d, "role_arn", cfg.role_arn);
	if (aws_open_item(&c, &a, deadline, r, d) != 0)
		return;
	ap_settings_digest(&cfg, &c, &a, digest);
	if (ap_keep_last(env, digest, r, d))
		goto out;
	memset(&err, 0, sizeof err);
	t0 = wall();
	/* The request users make: the same role, policy and duration. */
	json_object_set_new(d, "duration_seconds", json_integer(cfg.duration));
	if (aws_assume_role(&a, cfg.role_arn, HEALTH_SESSION, cfg.duration,
	    cfg.policy[0] ? cfg.policy : NULL, &cred, &err) != 0) {
		snprintf(what, sizeof what, "AssumeRole on %s", cfg.role_arn);
		explain_aws(&err, what, env->timeout, r, d);
		if (err.kind == AWS_E_SERVICE &&
		    err.code == AWS_C_ACCESS_DENIED)
			health_set(r, HEALTH_ERROR, "AWS refused the connector "
			    "AssumeRole on %s (AccessDenied): users who sign in "
			    "through the connector get no AWS credentials. Let "
			    "the role's trust policy allow the connector's IAM "
			    "user, or choose another role on Settings → "
			    "Federation.", cfg.role_arn);
		goto out;
	}
	put_str(d, "endpoint", a.endpoint[AWS_STS]);
	json_object_set_new(d, "timings", json_pack("{s:f}", "total",
	    check_ms3(wall() - t0)));
	put_str(d, "expiration", cred.expiration);
	/* The answer is kept until then (ap_keep_last). */
	json_object_set_new(d, "asked_at", json_integer(env->now));
	json_object_set_new(d, "next_ask_at", json_integer(env->now +
	    AP_HEALTH_RECHECK));
	put_str(d, "settings_digest", digest);
	util_wipe(&cred, sizeof cred);
	health_set(r, HEALTH_OK, "The connector obtained temporary "
	    "credentials of %s (AssumeRole), as it does for users who sign in "
	    "through it.", cfg.role_arn);
out:
	aws_free(&a);
	aws_conf_free(&c);
}
