/*
 * enroll.c — what registering the connector does, step by step, for the
 * wizard's pages and for anything else that needs the same action (the
 * health job, the poller, the VM console): check vCenter, its certificate
 * and account, the proxy, AWS and the portal key against the real peers;
 * register the plugin and the connector and make the draft live, taking
 * the plugin back when a later part fails; unregister; rotate the
 * AMP-connector key.  Peer failures become sentences in the
 * administrator's words here, once.
 *
 * The wizard's values live in the draft (lib/registration.c); reading the
 * wizard's view never creates it, the first change does.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "enroll.h"

/* Start r empty: a form-level result with no sentence. */
static void
result_clear(struct enroll_result *r)
{
	memset(r, 0, sizeof *r);
	r->field = EF_FORM;
}

/* Fill r with a refusal of field (audit may be NULL); returns CONN_EINVAL. */
static int
refuse(struct enroll_result *r, enum enroll_field field, const char *audit,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
refuse(struct enroll_result *r, enum enroll_field field, const char *audit,
    const char *fmt, ...)
{
	va_list ap;

	r->field = field;
	r->audit = audit;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof r->msg, fmt, ap);
	va_end(ap);
	return CONN_EINVAL;
}

/* 1 when s is NULL or "": a field left blank. */
static int
empty(const char *s)
{
	return s == NULL || *s == '\0';
}

/* ---- explaining a peer's failure ----
 *
 * The one table of the causes of a failed call to vCenter, AWS (or the
 * portal) and the proxy, in the administrator's words: what failed, why,
 * and what to do.  The wizard calls it with where NULL (the form with the
 * value to correct is at hand); the health checks and jobs call it with
 * where naming the place the administrator corrects the registration
 * ("Update the registration"), which the sentences then point to.
 */

/* Append " <what> in <where>." to r->msg when where is not NULL. */
static void
fix_in(struct enroll_result *r, const char *where, const char *what)
{
	size_t n = strlen(r->msg);

	if (where != NULL && n < sizeof r->msg)
		snprintf(r->msg + n, sizeof r->msg - n, " %s in %s.", what,
		    where);
}

/* host resolved to an address the connector refuses to connect to. */
static void
not_allowed(struct enroll_result *r, const char *host)
{
	snprintf(r->msg, sizeof r->msg, "%s resolves to an address the "
	    "connector may not connect to (loopback, link-local or reserved). "
	    "Check the DNS servers.", host);
}

/*
 * Put in r->msg why a call to the vCenter at host:port failed (r->field
 * is left to the caller).
 */
void
enroll_explain_vsphere(const struct vsphere_error *e, const char *host,
    int port, const char *where, struct enroll_result *r)
{
	char d[600];

	if (e->kind == VSPHERE_E_TRANSPORT) {
		switch (e->http.kind) {
		case HTTP_EDNS:
			snprintf(r->msg, sizeof r->msg, "The name %s does not "
			    "resolve (DNS). Check the spelling or the DNS "
			    "servers.", host);
			return;
		case HTTP_ECONNECT:
			if (e->http.cause == HTTP_C_POLICY) {
				not_allowed(r, host);
				return;
			}
			snprintf(r->msg, sizeof r->msg, "Nothing answered at "
			    "%s:%d. Check that vCenter runs, the host name, "
			    "the port and the firewall.", host, port);
			return;
		case HTTP_ETIMEOUT:
			snprintf(r->msg, sizeof r->msg, "%s:%d did not answer "
			    "in time: vCenter is overloaded, hung or "
			    "unreachable. Check vCenter's services.", host,
			    port);
			return;
		case HTTP_ETLS:
			if (e->http.cause == HTTP_C_PIN) {
				snprintf(r->msg, sizeof r->msg, "vCenter's "
				    "certificate is no longer the one you "
				    "trusted.");
				if (where == NULL)
					fix_in(r, "the vCenter step", "Go back "
					    "to review the new one");
				else
					fix_in(r, where, "If it was replaced, "
					    "review the new one and trust it "
					    "again (if not, find out what answers "
					    "in vCenter's place)");
				return;
			}
			snprintf(r->msg, sizeof r->msg, "The TLS handshake "
			    "with %s:%d failed.", host, port);
			return;
		default:
			break;
		}
	}
	if (e->kind == VSPHERE_E_FAULT) {
		switch (e->fault) {
		case VSPHERE_FAULT_INVALID_LOGIN:
			snprintf(r->msg, sizeof r->msg, "vCenter refused this "
			    "user name and password.");
			fix_in(r, where, "It was probably changed in vCenter, "
			    "or the account was locked: enter the account's "
			    "current password");
			return;
		case VSPHERE_FAULT_NO_PERMISSION:
			snprintf(r->msg, sizeof r->msg, "The vCenter account "
			    "lacks the permission for this. Give it its role "
			    "in vCenter.");
			return;
		default:
			break;
		}
	}
	if (e->kind == VSPHERE_E_PROTOCOL) {
		snprintf(r->msg, sizeof r->msg, "%s:%d answered, but not as a "
		    "vCenter does.", host, port);
		return;
	}
	vsphere_error_describe(e, d, sizeof d);
	snprintf(r->msg, sizeof r->msg, "vCenter: %s", d);
}

/* Put in r->msg why a call to AWS or the portal (who) failed. */
void
enroll_explain_aws(const struct aws_error *e, const char *who,
    const char *where, struct enroll_result *r)
{
	char d[600], host[200];

	util_url_host(e->http.endpoint, host, sizeof host);
	if (e->kind == AWS_E_SERVICE) {
		switch (e->code) {
		case AWS_C_SIGNATURE:
			snprintf(r->msg, sizeof r->msg, "%s refused the secret: "
			    "the request's signature did not match.", who);
			fix_in(r, where, "Enter the key's current secret "
			    "access key");
			return;
		case AWS_C_INVALID_TOKEN:
			snprintf(r->msg, sizeof r->msg, "%s does not know this "
			    "key ID, or it was revoked.", who);
			fix_in(r, where, "Create a new access key for the "
			    "connector's IAM user and enter it");
			return;
		case AWS_C_EXPIRED_TOKEN:
			snprintf(r->msg, sizeof r->msg, "The session token has "
			    "expired.");
			fix_in(r, where, "Enter new credentials");
			return;
		case AWS_C_REQUEST_EXPIRED:
			snprintf(r->msg, sizeof r->msg, "%s says the "
			    "connector's clock is off by more than 5 minutes. "
			    "Check the time synchronization.", who);
			return;
		case AWS_C_ACCESS_DENIED:
			snprintf(r->msg, sizeof r->msg, "%s refused this key "
			    "the permission (%s). Grant it in IAM.", who,
			    e->message);
			return;
		case AWS_C_THROTTLING:
			snprintf(r->msg, sizeof r->msg, "%s throttled the "
			    "connector (%s): too many requests with its keys "
			    "just now. If this lasts, look for other users of "
			    "the same keys.", who, e->code_name);
			return;
		default:
			break;
		}
	}
	if (e->kind == AWS_E_PROTOCOL) {
		snprintf(r->msg, sizeof r->msg, "%s answered, but not as AWS "
		    "does (%.300s). Check what answers in AWS's place.", host,
		    e->message);
		return;
	}
	if (e->kind == AWS_E_TRANSPORT) {
		switch (e->http.kind) {
		case HTTP_EPROXY:
			if (e->http.cause == HTTP_C_PROXY_AUTH) {
				snprintf(r->msg, sizeof r->msg, "The proxy "
				    "refused the connector's user name and "
				    "password (407), so %s was not reached.",
				    who);
				fix_in(r, where, "Enter the proxy's current "
				    "credentials");
				return;
			}
			snprintf(r->msg, sizeof r->msg, "The proxy did not let "
			    "the connector through to %s (%s).", who,
			    e->http.detail);
			return;
		case HTTP_EDNS:
			snprintf(r->msg, sizeof r->msg, "%s could not be "
			    "reached: the name %s does not resolve (DNS). "
			    "Check the connector's DNS servers.", who, host);
			return;
		case HTTP_ETIMEOUT:
			snprintf(r->msg, sizeof r->msg, "%s at %s did not "
			    "answer in time. Check the network and the proxy "
			    "setting; if it lasts, check AWS's service "
			    "health.", who, host);
			return;
		case HTTP_ETLS:
			snprintf(r->msg, sizeof r->msg, "The TLS handshake with "
			    "%s at %s failed (%.300s). If a proxy inspects TLS, "
			    "add its CA to the connector's trust store.", who,
			    host, e->http.detail);
			return;
		case HTTP_ECONNECT:
			if (e->http.cause == HTTP_C_POLICY)
				not_allowed(r, host);
			else
				snprintf(r->msg, sizeof r->msg, "%s could not "
				    "be reached: nothing answered at %s (%.300s). "
				    "Check the network, the firewall (outbound "
				    "HTTPS, port 443) and the proxy setting.",
				    who, host, e->http.detail);
			return;
		default:
			break;
		}
	}
	aws_error_describe(e, d, sizeof d);
	snprintf(r->msg, sizeof r->msg, "%s: %s", who, d);
}

/*
 * Put in r the failure of a request through the proxy at host:port to
 * AWS, with the field it belongs to.
 */
void
enroll_explain_proxy(const struct http_error *e, const char *host,
    const char *port, const char *where, struct enroll_result *r)
{
	char d[600];

	if (e->kind == HTTP_EPROXY && e->cause == HTTP_C_PROXY_AUTH) {
		r->field = EF_PROXY_PASSWORD;
		snprintf(r->msg, sizeof r->msg, "The proxy refused this user "
		    "name and password.");
		fix_in(r, where, "They were probably changed on the proxy: "
		    "enter its current ones");
	} else if (e->kind == HTTP_EPROXY) {
		r->field = EF_PROXY_HOST;
		snprintf(r->msg, sizeof r->msg, "The proxy at %s:%s did not "
		    "answer or refused to connect the connector to AWS. Check "
		    "that the proxy runs and allows CONNECT to AWS.", host,
		    port);
	} else if (e->kind == HTTP_ETIMEOUT) {
		r->field = EF_PROXY_HOST;
		snprintf(r->msg, sizeof r->msg, "Through the proxy at %s:%s, "
		    "AWS did not answer in time. Check the proxy and its way "
		    "out.", host, port);
	} else {
		r->field = EF_FORM;
		http_error_describe(e, d, sizeof d);
		snprintf(r->msg, sizeof r->msg, "Through the proxy at %s:%s, "
		    "AWS was not reached: %s.", host, port, d);
	}
}

/* ---- where the wizard is ---- */

/* The first step the wizard's view has not completed. */
enum enroll_step
enroll_next(void)
{
	if (!reg_has(REG_VC_HOST, 1))
		return ENROLL_VCENTER;
	if (!reg_has(REG_VC_THUMBPRINT, 1))
		return reg_has(ENROLL_SEEN_THUMBPRINT, 1) ? ENROLL_TRUST :
		    ENROLL_VCENTER;
	if (!reg_has(REG_VC_USER, 1) || !reg_secret_has(REG_VC_PASSWORD, 1))
		return ENROLL_ACCOUNT;
	if (!reg_has(REG_PROXY_DECIDED, 1))
		return ENROLL_PROXY;
	if (!reg_has(REG_AWS_ACCOUNT, 1))
		return ENROLL_AWS;
	if (!reg_has(REG_PORTAL_KEY_ID, 1))
		return ENROLL_PORTAL;
	return ENROLL_REVIEW;
}

/* 1 when step s may be shown: reached, or the certificate awaits trust. */
int
enroll_reachable(enum enroll_step s)
{
	return s <= enroll_next() || (s == ENROLL_TRUST &&
	    reg_has(ENROLL_SEEN_THUMBPRINT, 1));
}

/* A draft time setting as a time_t (0 when absent). */
static time_t
draft_time(const char *name)
{
	char v[32];

	reg_value(name, 1, v, sizeof v);
	return (time_t)strtoll(v, NULL, 10);
}

/*
 * Fill out with the certificate the vcenter step read.  Returns 0, or
 * CONN_ENOTFOUND when none awaits trust.
 */
int
enroll_seen_cert(struct enroll_cert *out)
{
	char port[8];

	memset(out, 0, sizeof *out);
	reg_value(ENROLL_SEEN_THUMBPRINT, 1, out->thumbprint,
	    sizeof out->thumbprint);
	if (out->thumbprint[0] == '\0')
		return CONN_ENOTFOUND;
	reg_value(REG_VC_HOST, 1, out->host, sizeof out->host);
	reg_value(REG_VC_PORT, 1, port, sizeof port);
	out->port = atoi(port);
	reg_value(ENROLL_SEEN_SUBJECT, 1, out->subject, sizeof out->subject);
	reg_value(ENROLL_SEEN_ISSUER, 1, out->issuer, sizeof out->issuer);
	reg_value(REG_VC_THUMBPRINT, 1, out->trusted, sizeof out->trusted);
	out->not_before = draft_time(ENROLL_SEEN_NOT_BEFORE);
	out->not_after = draft_time(ENROLL_SEEN_NOT_AFTER);
	return 0;
}

/* ---- step: vCenter host ---- */

/*
 * Connect to the vCenter typed as HOST or HOST:PORT and read its
 * certificate (nothing is sent but RetrieveServiceContent; no trust yet),
 * then keep host, port and the certificate in the draft.  Another vCenter
 * than the draft's drops what was trusted and typed for the old one.
 */
int
enroll_vcenter(const char *typed, struct enroll_result *r)
{
	char host[SYNTAX_HOST_MAX + 1], old[SYNTAX_HOST_MAX + 1], oldport[8];
	char port_s[8], t[32];
	struct vsphere_error err;
	struct reg_net n;
	struct vsphere vs;
	int port, rc;

	result_clear(r);
	if (empty(typed))
		return refuse(r, EF_VC_HOST, NULL, "Enter the vCenter host "
		    "name or IP address.");
	if (!syntax_host_port(typed, host, sizeof host, &port))
		return refuse(r, EF_VC_HOST, NULL, "Enter a host name or IP "
		    "address, optionally with :PORT.");
	if (!syntax_peer_literal(host, reg_allow_loopback()))
		return refuse(r, EF_VC_HOST, NULL, "The connector may not "
		    "connect to this address (it is the connector itself, a "
		    "link-local or a reserved address). Enter vCenter's own "
		    "name or address.");
	if ((rc = reg_net_load(&n, 1, 0)) != 0)
		return rc;
	n.opts.pin_thumbprint = NULL;	/* read it, to show it */
	n.opts.inspect = 1;
	if ((rc = vsphere_init(&vs, host, port, &n.opts)) != 0) {
		reg_net_wipe(&n);
		return rc;
	}
	rc = vsphere_connect(&vs, &err);
	if (rc == 0 && vs.thumbprint[0] == '\0') {
		rc = CONN_EIO;
		memset(&err, 0, sizeof err);
		err.kind = VSPHERE_E_PROTOCOL;
	}
	reg_net_wipe(&n);
	if (rc != 0) {
		enroll_explain_vsphere(&err, host, port, NULL, r);
		log_warn("register: vCenter %s:%d: %s", host, port, r->msg);
		vsphere_free(&vs);
		r->field = EF_VC_HOST;
		r->audit = "register: vCenter not reached";
		return CONN_EINVAL;
	}
	snprintf(port_s, sizeof port_s, "%d", port);
	if ((rc = reg_draft_start()) != 0 || (rc = db_begin()) != 0) {
		vsphere_free(&vs);
		return rc;
	}
	reg_value(REG_VC_HOST, 1, old, sizeof old);
	reg_value(REG_VC_PORT, 1, oldport, sizeof oldport);
	if (strcmp(old, host) != 0 || strcmp(oldport, port_s) != 0) {
		if ((rc = reg_draft_set(REG_VC_THUMBPRINT, NULL)) == 0 &&
		    (rc = reg_draft_set(REG_VC_SUBJECT, NULL)) == 0 &&
		    (rc = reg_draft_set(REG_VC_USER, NULL)) == 0)
			rc = reg_draft_secret(REG_VC_PASSWORD, NULL);
	}
	if (rc == 0)
		rc = reg_draft_set(REG_VC_HOST, host);
	if (rc == 0)
		rc = reg_draft_set(REG_VC_PORT, port_s);
	if (rc == 0)
		rc = reg_draft_set(ENROLL_SEEN_THUMBPRINT, vs.thumbprint);
	if (rc == 0)
		rc = reg_draft_set(ENROLL_SEEN_SUBJECT, vs.subject);
	if (rc == 0)
		rc = reg_draft_set(ENROLL_SEEN_ISSUER, vs.issuer);
	snprintf(t, sizeof t, "%lld", (long long)vs.not_before);
	if (rc == 0)
		rc = reg_draft_set(ENROLL_SEEN_NOT_BEFORE, t);
	snprintf(t, sizeof t, "%lld", (long long)vs.not_after);
	if (rc == 0)
		rc = reg_draft_set(ENROLL_SEEN_NOT_AFTER, t);
	vsphere_free(&vs);
	return db_end(rc);
}

/* ---- step: trust the certificate ---- */

/*
 * Pin the certificate the vcenter step read when thumbprint is the one
 * shown.  Returns 0, CONN_ENOTFOUND when none was read, CONN_EINVAL.
 */
int
enroll_trust(const char *thumbprint, struct enroll_result *r)
{
	char seen[96], subject[256];
	int rc;

	result_clear(r);
	reg_value(ENROLL_SEEN_THUMBPRINT, 1, seen, sizeof seen);
	if (seen[0] == '\0')
		return CONN_ENOTFOUND;
	if (empty(thumbprint) || strcasecmp(thumbprint, seen) != 0)
		return refuse(r, EF_FORM,
		    "register: certificate not trusted (changed)",
		    "The certificate is not the one shown. Look at it again "
		    "before you trust it.");
	reg_value(ENROLL_SEEN_SUBJECT, 1, subject, sizeof subject);
	if ((rc = reg_draft_start()) != 0 || (rc = db_begin()) != 0)
		return rc;
	if ((rc = reg_draft_set(REG_VC_THUMBPRINT, seen)) == 0)
		rc = reg_draft_set(REG_VC_SUBJECT, subject);
	if ((rc = db_end(rc)) == 0)
		r->audit = "register: vCenter certificate trusted";
	return rc;
}

/* ---- step: the vCenter service account ---- */

/*
 * Log in to the draft's vCenter as user with password (empty: the stored
 * one) and keep them in the draft when vCenter accepts them.
 */
int
enroll_account(const char *user, const char *password,
    struct enroll_result *r)
{
	char host[SYNTAX_HOST_MAX + 1], port[8];
	struct buf stored = { 0 };
	struct vsphere_error err;
	struct reg_net n;
	struct vsphere vs;
	int rc;

	result_clear(r);
	if (empty(user))
		return refuse(r, EF_VC_USER, NULL, "Enter the user name of the "
		    "service account.");
	if (empty(password) && !reg_secret_has(REG_VC_PASSWORD, 1))
		return refuse(r, EF_VC_PASSWORD, NULL, "Enter the account's "
		    "password.");
	if (empty(password) &&
	    (rc = reg_secret(REG_VC_PASSWORD, 1, &stored)) != 0)
		return rc;
	reg_value(REG_VC_HOST, 1, host, sizeof host);
	reg_value(REG_VC_PORT, 1, port, sizeof port);
	if ((rc = reg_net_load(&n, 1, 0)) != 0)
		goto out;
	if ((rc = vsphere_init(&vs, host, atoi(port), &n.opts)) != 0) {
		reg_net_wipe(&n);
		goto out;
	}
	rc = vsphere_connect(&vs, &err);
	if (rc == 0)
		rc = vsphere_login(&vs, user, !empty(password) ? password :
		    (stored.data ? stored.data : ""), &err);
	if (rc == 0) {
		struct vsphere_error lerr;
		vsphere_logout(&vs, &lerr);
	}
	vsphere_free(&vs);
	reg_net_wipe(&n);
	if (rc != 0) {
		enroll_explain_vsphere(&err, host, atoi(port), NULL, r);
		r->field = err.kind == VSPHERE_E_FAULT &&
		    err.fault == VSPHERE_FAULT_INVALID_LOGIN ? EF_VC_PASSWORD :
		    EF_FORM;
		r->audit = "register: vCenter account refused";
		rc = CONN_EINVAL;
		goto out;
	}
	if ((rc = reg_draft_start()) != 0 || (rc = db_begin()) != 0)
		goto out;
	rc = reg_draft_set(REG_VC_USER, user);
	if (rc == 0 && !empty(password))
		rc = reg_draft_secret(REG_VC_PASSWORD, password);
	if ((rc = db_end(rc)) == 0)
		r->audit = "register: vCenter account verified";
out:
	buf_free(&stored);
	return rc;
}

/* ---- step: the proxy ---- */

/* Keep "no proxy" in the draft. */
static int
no_proxy(struct enroll_result *r)
{
	int rc;

	if ((rc = reg_draft_start()) != 0 || (rc = db_begin()) != 0)
		return rc;
	if ((rc = reg_draft_set(REG_PROXY_HOST, NULL)) == 0 &&
	    (rc = reg_draft_set(REG_PROXY_PORT, NULL)) == 0 &&
	    (rc = reg_draft_set(REG_PROXY_USER, NULL)) == 0 &&
	    (rc = reg_draft_set(REG_NO_PROXY, NULL)) == 0 &&
	    (rc = reg_draft_secret(REG_PROXY_PASSWORD, NULL)) == 0)
		rc = reg_draft_set(REG_PROXY_DECIDED, "1");
	if ((rc = db_end(rc)) == 0)
		r->audit = "register: no proxy";
	return rc;
}

/*
 * Reach the AWS STS endpoint of the draft's region through the proxy n
 * describes; any HTTP answer means the proxy let the connector through.
 * Returns 0, CONN_EIO with err filled, or another error.
 */
static int
proxy_test(struct reg_net *n, struct http_error *err)
{
	char region[32], url[300];
	struct http_response resp;
	struct http_client cl;
	struct http_req rq = { 0 };
	int rc;

	if (reg_value(REG_AWS_REGION, 1, region, sizeof region) != 0 ||
	    !region[0])
		snprintf(region, sizeof region, "us-east-1");
	if ((rc = aws_resolve_endpoint(AWS_STS, region, NULL, url, sizeof url,
	    NULL)) != 0 || (rc = http_client_init(&cl, &n->opts)) != 0)
		return rc;
	rq.url = url;
	rc = http_request(&cl, &rq, &resp, err);
	http_response_free(&resp);
	http_client_free(&cl);
	return rc;
}

/*
 * Test the proxy p (NULL: no proxy) and keep it in the draft when it lets
 * the connector through to AWS.  A blank password keeps the stored one.
 */
int
enroll_proxy(const struct enroll_proxy *p, struct enroll_result *r)
{
	const char *pw;
	struct buf stored = { 0 };
	struct http_error herr;
	struct reg_net n;
	int rc, have;

	result_clear(r);
	if (p == NULL)
		return no_proxy(r);
	pw = p->password;
	have = reg_secret_has(REG_PROXY_PASSWORD, 1);
	if (empty(p->host))
		return refuse(r, EF_PROXY_HOST, NULL, "Enter the proxy's host "
		    "name or IP address, or choose \"No proxy\".");
	if (!syntax_host_or_ipv4(p->host) ||
	    !syntax_peer_literal(p->host, reg_allow_loopback()))
		return refuse(r, EF_PROXY_HOST, NULL, "The connector may not "
		    "use this address as its proxy.");
	if (empty(p->port) || !syntax_port(p->port))
		return refuse(r, EF_PROXY_PORT, NULL, "Enter the proxy's port, "
		    "for example 3128.");
	if (!empty(pw) && empty(p->user))
		return refuse(r, EF_PROXY_USER, NULL, "Enter the user name that "
		    "goes with the password.");
	if (!empty(p->user) && empty(pw) && !have)
		return refuse(r, EF_PROXY_PASSWORD, NULL, "Enter the proxy "
		    "password.");
	if (!empty(p->user) && empty(pw) &&
	    (rc = reg_secret(REG_PROXY_PASSWORD, 1, &stored)) != 0)
		return rc;

	if ((rc = reg_net_load(&n, 1, 1)) != 0) {
		buf_free(&stored);
		return rc;
	}
	snprintf(n.proxy_host, sizeof n.proxy_host, "%s", p->host);
	n.opts.proxy_host = n.proxy_host;
	n.opts.proxy_port = atoi(p->port);
	snprintf(n.proxy_user, sizeof n.proxy_user, "%s",
	    p->user ? p->user : "");
	n.opts.proxy_user = n.proxy_user[0] ? n.proxy_user : NULL;
	snprintf(n.proxy_password, sizeof n.proxy_password, "%s",
	    !empty(pw) ? pw : (stored.data ? stored.data : ""));
	n.opts.proxy_password = n.proxy_user[0] ? n.proxy_password : NULL;
	snprintf(n.no_proxy, sizeof n.no_proxy, "%s",
	    p->no_proxy ? p->no_proxy : "");
	n.opts.no_proxy = n.no_proxy[0] ? n.no_proxy : NULL;
	buf_free(&stored);
	rc = proxy_test(&n, &herr);
	reg_net_wipe(&n);
	if (rc == CONN_EIO) {
		enroll_explain_proxy(&herr, p->host, p->port, NULL, r);
		r->audit = r->field == EF_PROXY_PASSWORD ?
		    "register: proxy refused the credentials" :
		    "register: proxy test failed";
		return CONN_EINVAL;
	}
	if (rc != 0)
		return rc;
	if ((rc = reg_draft_start()) != 0 || (rc = db_begin()) != 0)
		return rc;
	if ((rc = reg_draft_set(REG_PROXY_HOST, p->host)) == 0 &&
	    (rc = reg_draft_set(REG_PROXY_PORT, p->port)) == 0 &&
	    (rc = reg_draft_set(REG_PROXY_USER, p->user)) == 0 &&
	    (rc = reg_draft_set(REG_NO_PROXY, p->no_proxy)) == 0 &&
	    (rc = !empty(p->user) ? 0 :
	    reg_draft_secret(REG_PROXY_PASSWORD, NULL)) == 0 &&
	    (empty(pw) || (rc = reg_draft_secret(REG_PROXY_PASSWORD,
	    pw)) == 0))
		rc = reg_draft_set(REG_PROXY_DECIDED, "1");
	if ((rc = db_end(rc)) == 0)
		r->audit = "register: proxy tested and kept";
	return rc;
}

/* ---- step: AWS ---- */

/*
 * Check the keys with STS GetCallerIdentity in region (through the
 * draft's proxy) and keep region, keys and the account they belong to in
 * the draft.  A blank secret keeps the stored one, for the same key only;
 * a blank token then keeps the stored token too.
 */
int
enroll_aws(const char *region, const char *key_id, const char *secret,
    const char *token, struct enroll_result *r)
{
	char oldkey[130];
	struct buf ssk = { 0 }, stok = { 0 };
	struct aws_identity id;
	struct aws_error err;
	struct reg_net n;
	struct aws a;
	int rc, keep;

	result_clear(r);
	if (empty(region) || !reg_region_known(region))
		return refuse(r, EF_REGION, NULL, "Choose a region from the "
		    "list.");
	if (empty(key_id))
		return refuse(r, EF_ACCESS_KEY, NULL, "Enter the access key "
		    "ID.");
	reg_value(REG_AWS_KEY_ID, 1, oldkey, sizeof oldkey);
	keep = empty(secret) && reg_secret_has(REG_AWS_SECRET, 1) &&
	    strcmp(key_id, oldkey) == 0;
	if (empty(secret) && !keep)
		return refuse(r, EF_SECRET_KEY, NULL, "Enter the secret access "
		    "key.");
	if (keep && (rc = reg_secret(REG_AWS_SECRET, 1, &ssk)) != 0)
		return rc;
	if (keep && empty(token)) {
		rc = reg_secret(REG_AWS_TOKEN, 1, &stok);
		if (rc != 0 && rc != CONN_ENOTFOUND)
			goto out;
	}
	if ((rc = reg_net_load(&n, 1, 1)) != 0)
		goto out;
	if ((rc = aws_init(&a, region, NULL, &n.opts)) != 0) {
		reg_net_wipe(&n);
		goto out;
	}
	rc = aws_set_credentials(&a, key_id, keep ? ssk.data : secret,
	    !empty(token) ? token : (stok.len ? stok.data : NULL));
	if (rc == 0)
		rc = aws_get_caller_identity(&a, &id, &err);
	else {
		memset(&err, 0, sizeof err);
		err.kind = AWS_E_SERVICE;
		snprintf(err.message, sizeof err.message, "the keys are not "
		    "in a usable form");
	}
	aws_free(&a);
	reg_net_wipe(&n);
	if (rc != 0) {
		enroll_explain_aws(&err, "AWS", NULL, r);
		r->field = EF_FORM;
		if (err.kind == AWS_E_SERVICE && err.code == AWS_C_SIGNATURE)
			r->field = EF_SECRET_KEY;
		else if (err.kind == AWS_E_SERVICE &&
		    err.code == AWS_C_INVALID_TOKEN)
			r->field = EF_ACCESS_KEY;
		else if (err.kind == AWS_E_SERVICE &&
		    err.code == AWS_C_EXPIRED_TOKEN)
			r->field = EF_SESSION_TOKEN;
		r->audit = "register: AWS credentials refused";
		rc = CONN_EINVAL;
		goto out;
	}
	if ((rc = reg_draft_start()) != 0 || (rc = db_begin()) != 0)
		goto out;
	if ((rc = reg_draft_set(REG_AWS_REGION, region)) == 0 &&
	    (rc = reg_draft_set(REG_AWS_KEY_ID, key_id)) == 0 &&
	    (rc = reg_draft_set(REG_AWS_ACCOUNT, id.account)) == 0 &&
	    (rc = reg_draft_set(REG_AWS_ARN, id.arn)) == 0 && !keep) {
		if ((rc = reg_draft_secret(REG_AWS_SECRET, secret)) == 0)
			rc = reg_draft_secret(REG_AWS_TOKEN, !empty(token) ?
			    token : NULL);
	} else if (rc == 0 && !empty(token))
		rc = reg_draft_secret(REG_AWS_TOKEN, token);
	if ((rc = db_end(rc)) == 0)
		r->audit = "register: AWS credentials verified";
out:
	buf_free(&ssk);
	buf_free(&stok);
	return rc;
}

/* ---- step: the portal key ---- */

/*
 * Read the portal configuration file data[0..len) into the draft.  With
 * keep and no file, the draft's key stays (returns 0 when there is one).
 */
int
enroll_portal(const char *data, size_t len, int keep,
    struct enroll_result *r)
{
	struct portal_config pc;
	char why[300];
	int rc;

	result_clear(r);
	if ((data == NULL || len == 0) && keep &&
	    reg_has(REG_PORTAL_KEY_ID, 1))
		return 0;
	if (data == NULL || len == 0)
		return refuse(r, EF_PORTAL_FILE, "register: portal file refused",
		    "Choose the configuration file you downloaded from the "
		    "portal's setup (an empty file is not one).");
	if (reg_portal_file(data, len, &pc, why, sizeof why) != 0)
		return refuse(r, EF_PORTAL_FILE, "register: portal file refused",
		    "%s", why);
	if ((rc = reg_draft_start()) == 0 && (rc = db_begin()) == 0) {
		if ((rc = reg_draft_set(REG_PORTAL_KEY_NAME, pc.key_name)) == 0 &&
		    (rc = reg_draft_set(REG_PORTAL_KEY_ID, pc.key_id)) == 0 &&
		    (rc = reg_draft_set(REG_PORTAL_ENDPOINT, pc.endpoint)) == 0)
			rc = reg_draft_secret(REG_PORTAL_SECRET, pc.secret);
		rc = db_end(rc);
	}
	portal_config_wipe(&pc);
	if (rc == 0)
		r->audit = "register: portal key file accepted";
	return rc;
}

/* ---- review: register, or take it back ---- */

/*
 * The console's own URL, as vCenter and the portal should reach it, and
 * its address: the one it uses now (netinfo_current_ip).  Returns 0.
 */
int
enroll_console_url(char *ip, size_t iplen, char *url, size_t urllen)
{
	char listen[80];
	const char *colon;

	netinfo_current_ip(ip, iplen, NULL, 0);
	reg_value(SETTING_LISTEN, 0, listen, sizeof listen);
	colon = strrchr(listen, ':');
	if (colon && strcmp(colon + 1, "443") != 0)
		snprintf(url, urllen, "https://%s:%s/", ip, colon + 1);
	else
		snprintf(url, urllen, "https://%s/", ip);
	return 0;
}

/* The connector's id for the portal, made once. */
static int
connector_id(char *out, size_t outlen)
{
	unsigned char rnd[8];
	char hex[17];

	if (reg_value(REG_CONNECTOR_ID, 0, out, outlen) == 0 && out[0])
		return 0;
	if (util_random(rnd, sizeof rnd) != 0)
		return CONN_ECRYPTO;
	util_hex(rnd, sizeof rnd, hex);
	snprintf(out, outlen, "connector-%s", hex);
	return db_setting_set(REG_CONNECTOR_ID, out);
}

/* The plugin as this connector registers it. */
static void
plugin(struct vsphere_extension *ext, const char *name, const char *url,
    const char *fp)
{
	memset(ext, 0, sizeof *ext);
	snprintf(ext->key, sizeof ext->key, "%s", REG_EXTENSION_KEY);
	snprintf(ext->version, sizeof ext->version, "%s", CONNECTOR_VERSION);
	snprintf(ext->label, sizeof ext->label, "Connector");
	snprintf(ext->summary, sizeof ext->summary, "Connector %s management "
	    "console", name);
	snprintf(ext->company, sizeof ext->company, "Connector");
	snprintf(ext->type, sizeof ext->type, "HTTPS");
	snprintf(ext->url, sizeof ext->url, "%s", url);
	snprintf(ext->server_thumbprint, sizeof ext->server_thumbprint, "%s",
	    fp);
}

/*
 * Record what a Register under way has changed (REG_PENDING): plugin is
 * "new" or "update", regid the portal registration made, or "".  Written
 * before the change it describes, so that a kill at any moment leaves the
 * next attempt knowing what is out there.  0 or an error.
 */
static int
pending_set(const char *plugin, const char *regid)
{
	char v[200];

	snprintf(v, sizeof v, "%s|%s", plugin, regid);
	return db_setting_set(REG_PENDING, v);
}

/*
 * What a Register killed part-way left (REG_PENDING): *orphan is 1 when it
 * had registered a new plugin with vCenter that nothing here records, and
 * regid the portal registration it made ("" when none).
 */
static void
pending_get(int *orphan, char *regid, size_t idlen)
{
	char v[200], *bar;

	*orphan = 0;
	regid[0] = '\0';
	if (reg_value(REG_PENDING, 0, v, sizeof v) != 0 || v[0] == '\0')
		return;
	if ((bar = strchr(v, '|')) != NULL) {
		*bar = '\0';
		snprintf(regid, idlen, "%s", bar + 1);
	}
	*orphan = strcmp(v, "new") == 0 && !reg_registered();
	log_warn("register: an earlier attempt stopped part-way (%s plugin%s"
	    "%s); this one finishes or takes back its work", v,
	    regid[0] ? ", portal registration " : "", regid);
}

/* Add to r->msg that putting vCenter back failed, and what to do. */
static void
undo_failed(struct enroll_result *r, const char *host, const char *what)
{
	size_t n = strlen(r->msg);

	snprintf(r->msg + n, sizeof r->msg - n, "%sPutting vCenter back "
	    "failed too: %s %s.", n ? " " : "", host, what);
}

/*
 * Register with vCenter (the plugin, registered or updated) and the
 * portal from the wizard's view, then make it live in one transaction.
 * On failure r->msg says why and nothing stored changed: a plugin this
 * attempt registered is unregistered again, an updated one restored.
 */
int
enroll_register(struct enroll_result *r)
{
	char host[SYNTAX_HOST_MAX + 1], port[8], user[80], ip[64], url[300];
	char fp[96], cid[64], name[80], region[32], regid[130];
	struct buf vpw = { 0 };
	struct vsphere_extension ext, prev;
	struct vsphere_error verr;
	struct portal_config pc;
	struct portal_info info;
	struct reg_outcome o;
	struct reg_net vn, pn;
	struct aws_error aerr;
	struct vsphere vs;
	struct portal p;
	char stale_regid[130], left_regid[130] = "";
	int rc, found = 0, vs_ready = 0, registered_now = 0, orphan = 0;
	int undone = 1;

	result_clear(r);
	r->audit = "register failed";
	memset(&pc, 0, sizeof pc);
	memset(&vn, 0, sizeof vn);
	memset(&pn, 0, sizeof pn);
	/* The commit copies the draft over the live values: there must be
	 * one, even when no step was posted (it then holds the live ones). */
	if ((rc = reg_draft_start()) != 0) {
		snprintf(r->msg, sizeof r->msg, "The registration could not be "
		    "read from the connector's database. Nothing was sent; try "
		    "again, and restart the connector's services if it "
		    "persists.");
		goto out;
	}
	pending_get(&orphan, stale_regid, sizeof stale_regid);
	reg_value(REG_VC_HOST, 1, host, sizeof host);
	reg_value(REG_VC_PORT, 1, port, sizeof port);
	reg_value(REG_VC_USER, 1, user, sizeof user);
	reg_value(REG_AWS_REGION, 1, region, sizeof region);
	reg_value(SETTING_TLS_FINGERPRINT, 0, fp, sizeof fp);
	reg_value(SETTING_NAME, 0, name, sizeof name);
	enroll_console_url(ip, sizeof ip, url, sizeof url);
	if ((rc = connector_id(cid, sizeof cid)) != 0 ||
	    (rc = reg_secret(REG_VC_PASSWORD, 1, &vpw)) != 0 ||
	    (rc = reg_portal_config(&pc, 1)) != 0 ||
	    (rc = reg_net_load(&vn, 1, 0)) != 0 ||
	    (rc = reg_net_load(&pn, 1, 1)) != 0) {
		snprintf(r->msg, sizeof r->msg, "The wizard's saved values could "
		    "not be read. Nothing was sent; discard the wizard's changes "
		    "and enter them again.");
		goto out;
	}

	/* vCenter: the plugin, registered or updated. */
	if ((rc = vsphere_init(&vs, host, atoi(port), &vn.opts)) != 0) {
		snprintf(r->msg, sizeof r->msg, "The vCenter address the wizard "
		    "saved is not usable. Nothing was sent; enter it again in "
		    "step 1.");
		goto out;
	}
	vs_ready = 1;
	if ((rc = vsphere_connect(&vs, &verr)) != 0 ||
	    (rc = vsphere_login(&vs, user, vpw.data ? vpw.data : "",
	    &verr)) != 0 ||
	    (rc = vsphere_find_extension(&vs, REG_EXTENSION_KEY, &prev, &found,
	    &verr)) != 0)
		goto vfail;
	plugin(&ext, name, url, fp);
	/* A plugin an attempt killed part-way registered is ours to take
	 * back on failure, not a previous registration to restore. */
	if ((rc = pending_set(found && !orphan ? "update" : "new",
	    stale_regid)) != 0) {
		snprintf(r->msg, sizeof r->msg, "The registration could not be "
		    "started: the connector's database refused a write. "
		    "Nothing was sent; restart the connector's services and "
		    "try again.");
		goto out;
	}
	rc = found ? vsphere_update_extension(&vs, &ext, &verr) :
	    vsphere_register_extension(&vs, &ext, &verr);
	if (rc != 0)
		goto vfail_undo;
	registered_now = !found || orphan;
	r->updated = found && !orphan;

	/* The portal. */
	info = (struct portal_info){ .connector_id = cid, .hostname = name,
	    .ip = ip, .version = CONNECTOR_VERSION, .vcenter_host = host,
	    .extension_key = REG_EXTENSION_KEY };
	if ((rc = portal_init(&p, &pc, region, &pn.opts)) != 0) {
		snprintf(r->msg, sizeof r->msg, "The portal address in the "
		    "portal key file is not usable. vCenter was put back as it "
		    "was; upload the portal's configuration file again in step "
		    "4.");
		goto undo;
	}
	/* The portal registration an attempt killed part-way made goes. */
	if (stale_regid[0]) {
		struct aws_error derr;
		if (portal_deregister(&p, stale_regid, &derr) == 0)
			stale_regid[0] = '\0';
		else
			log_warn("register: the portal keeps the registration "
			    "%s an earlier attempt made", stale_regid);
	}
	rc = portal_register(&p, &info, regid, sizeof regid, &aerr);
	portal_free(&p);
	if (rc != 0) {
		enroll_explain_aws(&aerr, "The portal", NULL, r);
		goto undo;
	}
	if (pending_set(registered_now ? "new" : "update", regid) != 0)
		log_err("register: cannot record the portal registration %s "
		    "while registering", regid);

	o = (struct reg_outcome){ .ip = ip, .url = url,
	    .extension_key = REG_EXTENSION_KEY, .portal_id = regid };
	if ((rc = reg_commit(&o)) != 0) {
		snprintf(r->msg, sizeof r->msg, rc == CONN_ENOTFOUND ?
		    "The wizard's changes were discarded while registering "
		    "(from another window, or after a week untouched). vCenter "
		    "and the portal were put back; start the wizard again." :
		    "The registration could not be stored on the connector. "
		    "vCenter and the portal were put back; try Register again, "
		    "and restart the connector's services if it persists.");
		/* The portal forgets the registration it just made. */
		if (portal_init(&p, &pc, region, &pn.opts) == 0) {
			if (portal_deregister(&p, regid, &aerr) != 0) {
				log_err("register: the portal keeps the "
				    "registration %s nothing here records",
				    regid);
				snprintf(left_regid, sizeof left_regid, "%s",
				    regid);
			}
			portal_free(&p);
		}
		goto undo;
	}
	r->audit = r->updated ? "register: updated" : "register: registered";
	log_info("registered with vCenter and the portal (%s)", r->updated ?
	    "updated" : "new");
	goto out;
vfail:
	enroll_explain_vsphere(&verr, host, atoi(port), NULL, r);
	goto out;
vfail_undo:
	/* vCenter refused the change: nothing to take back there. */
	enroll_explain_vsphere(&verr, host, atoi(port), NULL, r);
	if (!orphan)
		goto done;
	registered_now = 1;
	goto undo;
undo:
	/* vCenter goes back to what it had: no plugin, or the one before. */
	if (registered_now) {
		struct vsphere_error uerr;
		if (vsphere_unregister_extension(&vs, REG_EXTENSION_KEY,
		    &uerr) != 0) {
			undone = 0;
			log_err("register: could not take back the plugin "
			    "registered with %s", host);
			undo_failed(r, host, "still lists the connector's "
			    "plugin (" REG_EXTENSION_KEY "): remove it in "
			    "vCenter's list of client plug-ins");
		}
	} else if (found) {
		struct vsphere_error uerr;
		if (vsphere_update_extension(&vs, &prev, &uerr) != 0) {
			undone = 0;
			log_err("register: could not restore the plugin's "
			    "previous registration with %s", host);
			undo_failed(r, host, "keeps the plugin's new "
			    "address: run Register again once the cause "
			    "above is fixed");
		}
	}
done:
	/* Taken back: no attempt is under way, except for a portal
	 * registration that could not be removed (the next one tries). */
	if (undone) {
		const char *left = left_regid[0] ? left_regid : stale_regid;
		if ((left[0] ? pending_set("new", left) :
		    db_setting_delete(REG_PENDING)) != 0)
			log_err("register: cannot record that the attempt was "
			    "taken back");
	}
out:
	if (vs_ready) {
		struct vsphere_error lerr;
		if (vs.cookie[0])
			vsphere_logout(&vs, &lerr);
		vsphere_free(&vs);
	}
	buf_free(&vpw);
	portal_config_wipe(&pc);
	reg_net_wipe(&vn);
	reg_net_wipe(&pn);
	if (rc != 0) {
		if (r->msg[0] == '\0')
			snprintf(r->msg, sizeof r->msg, "The registration "
			    "failed; the connector's log says why.");
		log_warn("register: failed: %s", r->msg);
		rc = CONN_EINVAL;
	}
	return rc;
}

/* Drop the wizard's draft; what is registered stays. */
int
enroll_discard(void)
{
	return reg_draft_discard();
}

/* ---- unregister ---- */

/*
 * Tell the portal the connector goes (best effort).  Returns 0, or
 * CONN_EIO with r->msg saying why the portal was not told.
 */
static int
portal_goodbye(struct enroll_result *r)
{
	char region[32], regid[130];
	struct portal_config pc;
	struct aws_error aerr;
	struct reg_net pn;
	struct portal p;
	int rc = CONN_EIO;

	reg_value(REG_AWS_REGION, 0, region, sizeof region);
	reg_value(REG_PORTAL_ID, 0, regid, sizeof regid);
	if (reg_portal_config(&pc, 0) != 0 || reg_net_load(&pn, 0, 1) != 0) {
		portal_config_wipe(&pc);
		reg_net_wipe(&pn);
		snprintf(r->msg, sizeof r->msg, "The portal key could not be "
		    "read.");
		return rc;
	}
	if (portal_init(&p, &pc, region, &pn.opts) == 0) {
		if (portal_deregister(&p, regid, &aerr) == 0 ||
		    (aerr.kind == AWS_E_SERVICE &&
		    strcmp(aerr.code_name, "NotRegistered") == 0))
			rc = 0;
		else
			enroll_explain_aws(&aerr, "The portal", NULL, r);
		portal_free(&p);
	} else
		snprintf(r->msg, sizeof r->msg, "The portal endpoint is not "
		    "usable.");
	reg_net_wipe(&pn);
	portal_config_wipe(&pc);
	return rc;
}

/*
 * Unregister: vCenter forgets the plugin (logged in as user with
 * password), then the portal is told (best effort) and the local
 * registration goes.  Returns 0 (r->partial with r->msg when the
 * portal was not told), CONN_ENOTFOUND when not registered, CONN_EINVAL
 * (r->unreachable when vCenter was not reached), or an error.
 */
int
enroll_unregister(const char *user, const char *password,
    struct enroll_result *r)
{
	char host[SYNTAX_HOST_MAX + 1], port[8];
	struct vsphere_error verr, lerr;
	struct reg_net vn;
	struct vsphere vs;
	int rc;

	result_clear(r);
	if (!reg_registered())
		return CONN_ENOTFOUND;
	if (empty(user))
		return refuse(r, EF_VC_USER, NULL, "Enter a vCenter user name.");
	if (empty(password))
		return refuse(r, EF_VC_PASSWORD, NULL, "Enter the password.");
	reg_value(REG_VC_HOST, 0, host, sizeof host);
	reg_value(REG_VC_PORT, 0, port, sizeof port);
	if ((rc = reg_net_load(&vn, 0, 0)) != 0)
		return rc;
	if ((rc = vsphere_init(&vs, host, atoi(port), &vn.opts)) != 0) {
		reg_net_wipe(&vn);
		return rc;
	}
	rc = vsphere_connect(&vs, &verr);
	if (rc == 0)
		rc = vsphere_login(&vs, user, password, &verr);
	if (rc == 0) {
		rc = vsphere_unregister_extension(&vs, REG_EXTENSION_KEY,
		    &verr);
		if (rc != 0 && verr.kind == VSPHERE_E_FAULT &&
		    verr.fault == VSPHERE_FAULT_NOT_FOUND)
			rc = 0;		/* already gone */
		vsphere_logout(&vs, &lerr);
	}
	vsphere_free(&vs);
	reg_net_wipe(&vn);
	if (rc != 0) {
		enroll_explain_vsphere(&verr, host, atoi(port), NULL, r);
		if (verr.kind == VSPHERE_E_FAULT &&
		    (verr.fault == VSPHERE_FAULT_INVALID_LOGIN ||
		    verr.fault == VSPHERE_FAULT_NO_PERMISSION)) {
			r->field = EF_VC_PASSWORD;
			r->audit = "unregister refused: vCenter credentials";
		} else {
			r->unreachable = 1;
			r->audit = "unregister failed: vCenter not reached";
		}
		return CONN_EINVAL;
	}

	/* vCenter has forgotten the plugin, so whatever the portal says the
	 * local registration goes. */
	r->partial = portal_goodbye(r) != 0;
	if ((rc = reg_clear()) != 0)
		return rc;
	if (r->partial) {
		log_warn("unregister: the portal was not told: %s", r->msg);
		r->audit = "unregister: done; portal not told";
	} else {
		log_info("unregistered from vCenter %s and the portal", host);
		r->audit = "unregister: done";
	}
	return 0;
}

/* Forget the registration here only, without telling vCenter. */
int
enroll_clear_local(void)
{
	int rc = reg_clear();

	if (rc == 0)
		log_warn("unregister: local registration cleared without "
		    "vCenter");
	return rc;
}

/* ---- the AMP-connector key ---- */

/* Store the key pc as the live one, and as the draft's when the draft
 * still holds the old key (so finishing the wizard does not bring it
 * back).  One transaction. */
static int
store_amp(const struct portal_config *pc)
{
	char oldid[130], draftid[130];
	int rc, draft;

	if ((rc = db_begin()) != 0)
		return rc;
	/* Read inside the write transaction: a draft started meanwhile
	 * must not keep the old key to bring it back at Register. */
	draft = reg_draft_exists();
	reg_value(REG_PORTAL_KEY_ID, 0, oldid, sizeof oldid);
	if (draft)
		reg_value(REG_PORTAL_KEY_ID, 1, draftid, sizeof draftid);
	if ((rc = db_setting_set(REG_PORTAL_KEY_NAME, pc->key_name)) == 0 &&
	    (rc = db_setting_set(REG_PORTAL_KEY_ID, pc->key_id)) == 0 &&
	    (rc = db_setting_set(REG_PORTAL_ENDPOINT, pc->endpoint)) == 0)
		rc = secret_put(REG_PORTAL_SECRET, pc->secret,
		    strlen(pc->secret));
	if (rc == 0 && draft && strcmp(draftid, oldid) == 0) {
		if ((rc = reg_draft_set(REG_PORTAL_KEY_NAME,
		    pc->key_name)) == 0 &&
		    (rc = reg_draft_set(REG_PORTAL_KEY_ID, pc->key_id)) == 0 &&
		    (rc = reg_draft_set(REG_PORTAL_ENDPOINT, pc->endpoint)) == 0)
			rc = reg_draft_secret(REG_PORTAL_SECRET, pc->secret);
	}
	return db_end(rc);
}

/*
 * Rotate the AMP-connector key to the one in the portal configuration
 * file data[0..len): the portal must accept a heartbeat signed with the
 * new key before the old one goes.
 */
int
enroll_rotate_amp(const char *data, size_t len, struct enroll_result *r)
{
	char region[32], regid[130];
	struct portal_config pc;
	struct aws_error err;
	struct reg_net n;
	struct portal p;
	char why[300];
	int rc;

	result_clear(r);
	if (!reg_registered())
		return refuse(r, EF_FORM,
		    "rotate AMP key refused: not registered",
		    "Register the connector first; the key is then part of "
		    "the registration.");
	if (data == NULL || len == 0)
		return refuse(r, EF_PORTAL_FILE, NULL, "Choose the new "
		    "configuration file from the portal's setup.");
	if (reg_portal_file(data, len, &pc, why, sizeof why) != 0)
		return refuse(r, EF_PORTAL_FILE,
		    "rotate AMP key refused: bad file", "%s", why);
	reg_value(REG_AWS_REGION, 0, region, sizeof region);
	reg_value(REG_PORTAL_ID, 0, regid, sizeof regid);
	if ((rc = reg_net_load(&n, 0, 1)) != 0)
		goto out;
	if ((rc = portal_init(&p, &pc, region, &n.opts)) != 0) {
		reg_net_wipe(&n);
		goto out;
	}
	rc = portal_heartbeat(&p, regid, "ok", &err);
	portal_free(&p);
	reg_net_wipe(&n);
	if (rc != 0) {
		if (err.kind == AWS_E_SERVICE && (err.code == AWS_C_SIGNATURE ||
		    err.code == AWS_C_INVALID_TOKEN))
			snprintf(r->msg, sizeof r->msg, "The portal does not "
			    "accept the new key yet. Finish creating it in the "
			    "portal's setup, then upload the file again. The "
			    "current key stays in use.");
		else {
			char d[600];
			aws_error_describe(&err, d, sizeof d);
			snprintf(r->msg, sizeof r->msg, "The portal could not "
			    "be reached with the new key (%s). The current key "
			    "stays in use.", d);
		}
		log_warn("rotate AMP key: the portal refused the new key");
		r->field = EF_PORTAL_FILE;
		r->audit = "rotate AMP key failed: portal refused the new key";
		rc = CONN_EINVAL;
		goto out;
	}
	if ((rc = store_amp(&pc)) == 0) {
		log_info("AMP-connector key rotated");
		r->audit = "rotate AMP key: ok";
	}
out:
	portal_config_wipe(&pc);
	return rc;
}
