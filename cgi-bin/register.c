/*
 * register — the registration wizard (/register/...) and /unregister.
 *
 * The wizard fills a draft (lib/registration.c) one validated step at a
 * time, each step checked against the real peer before it is kept:
 *
 *   vcenter      host, then its certificate is read (nothing sent but
 *                RetrieveServiceContent) ...
 *   trust        ... shown, and pinned when the administrator trusts it
 *   credentials  the service account, checked with a SOAP Login
 *   proxy        optional; tested with a request through it
 *   aws          region and keys, checked with STS GetCallerIdentity
 *   portal       the AMP-connector key file from the portal's setup
 *   review       registers the plugin (RegisterExtension, or
 *                UpdateExtension when it exists) and the connector with
 *                the portal, then makes the draft live in one transaction
 *
 * The proxy step comes before AWS because AWS may only be reachable
 * through it.  The draft lives in the database, so the wizard resumes
 * where it was left.  Secrets are never shown again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../lib/core.h"
#include "../lib/domain.h"

enum step {
	S_VCENTER, S_TRUST, S_CREDENTIALS, S_PROXY, S_AWS, S_PORTAL, S_REVIEW,
	S__MAX
};

static const struct {
	const char *path, *label;
	int shown;		/* in the list of steps */
} steps[S__MAX] = {
	[S_VCENTER] = { "/register/vcenter", "vCenter", 1 },
	[S_TRUST] = { "/register/trust", "vCenter certificate", 0 },
	[S_CREDENTIALS] = { "/register/credentials", "vCenter account", 0 },
	[S_PROXY] = { "/register/proxy", "Proxy", 1 },
	[S_AWS] = { "/register/aws", "AWS", 1 },
	[S_PORTAL] = { "/register/portal", "Portal key", 1 },
	[S_REVIEW] = { "/register/review", "Review", 1 },
};

#define SEEN_HOST "seen.host"
#define SEEN_PORT "seen.port"
#define SEEN_THUMBPRINT "seen.thumbprint"
#define SEEN_SUBJECT "seen.subject"
#define SEEN_ISSUER "seen.issuer"
#define SEEN_NOT_BEFORE "seen.not_before"
#define SEEN_NOT_AFTER "seen.not_after"

/* The first step the draft has not completed. */
static enum step
next_step(void)
{
	if (!reg_has(REG_VC_HOST, 1))
		return S_VCENTER;
	if (!reg_has(REG_VC_THUMBPRINT, 1))
		return reg_has(SEEN_THUMBPRINT, 1) ? S_TRUST : S_VCENTER;
	if (!reg_has(REG_VC_USER, 1) || secret_exists("draft."
	    REG_VC_PASSWORD) != 1)
		return S_CREDENTIALS;
	if (!reg_has(REG_PROXY_DECIDED, 1))
		return S_PROXY;
	if (!reg_has(REG_AWS_ACCOUNT, 1))
		return S_AWS;
	if (!reg_has(REG_PORTAL_KEY_ID, 1))
		return S_PORTAL;
	return S_REVIEW;
}

/* The shown step a step belongs to (trust and account are vCenter's). */
static enum step
shown_step(enum step s)
{
	return s == S_TRUST || s == S_CREDENTIALS ? S_VCENTER : s;
}

/* Page data every step shows: the list of steps, done and current. */
static void
wizard_page(struct app_ctx *c, enum step cur, const char *tpl,
    const char *title)
{
	enum step reach = shown_step(next_step());
	char k[64];
	int n = 0;

	app_template(c, tpl, title);
	cur = shown_step(cur);
	for (int i = 0; i < S__MAX; i++) {
		if (!steps[i].shown)
			continue;
		snprintf(k, sizeof k, "steps.%d.label", n);
		app_set(c, k, steps[i].label);
		snprintf(k, sizeof k, "steps.%d.href", n);
		app_set(c, k, i <= (int)reach ? steps[i].path : "");
		snprintf(k, sizeof k, "steps.%d.state", n);
		app_set(c, k, i == (int)cur ? "current" : i < (int)reach ?
		    "done" : "later");
		snprintf(k, sizeof k, "steps.%d.number", n);
		app_set_int(c, k, n + 1);
		n++;
	}
	app_set(c, "registered", reg_registered() ? "1" : "");
	app_set(c, "step", cur == S_REVIEW ? "review" : "form");
}

/* Put draft setting name into Form.<field> for the template. */
static void
form_draft(struct app_ctx *c, const char *field, const char *name)
{
	char v[1100], k[80];

	reg_value(name, 1, v, sizeof v);
	snprintf(k, sizeof k, "form.%s", field);
	app_set(c, k, v);
}

/* Put what the administrator typed into field f back into the form. */
static void
form_typed(struct app_ctx *c, enum field_id f)
{
	const char *v = app_field_raw(c, f);
	char k[80];

	snprintf(k, sizeof k, "form.%s", valid_fields[f].name);
	app_set(c, k, v ? v : "");
}

/* Show a sentence at the top of the form; returns the form status. */
static int
form_error(struct app_ctx *c, const char *msg)
{
	app_set(c, "error", msg);
	return 400;
}

/* Plain words for a failed vCenter call. */
static void
vsphere_words(const struct vsphere_error *e, const char *host, char *out,
    size_t outlen)
{
	char d[600];

	if (e->kind == VSPHERE_E_TRANSPORT) {
		switch (e->http.kind) {
		case HTTP_EDNS:
			snprintf(out, outlen, "The name %s does not resolve "
			    "(DNS). Check the spelling or the DNS servers.",
			    host);
			return;
		case HTTP_ECONNECT:
			if (strstr(e->http.detail, "not allowed")) {
				snprintf(out, outlen, "%s resolves to an address "
				    "the connector may not connect to "
				    "(loopback, link-local or reserved).",
				    host);
				return;
			}
			snprintf(out, outlen, "Nothing answered at %s. Check "
			    "the host name, the port and the firewall.", host);
			return;
		case HTTP_ETIMEOUT:
			snprintf(out, outlen, "%s did not answer in time.",
			    host);
			return;
		case HTTP_ETLS:
			if (strstr(e->http.detail, "pinned")) {
				snprintf(out, outlen, "vCenter's certificate is "
				    "no longer the one you trusted. Go back to "
				    "the vCenter step to review the new one.");
				return;
			}
			snprintf(out, outlen, "The TLS handshake with %s "
			    "failed.", host);
			return;
		default:
			break;
		}
	}
	if (e->kind == VSPHERE_E_FAULT) {
		switch (e->fault) {
		case VSPHERE_FAULT_INVALID_LOGIN:
			snprintf(out, outlen, "vCenter refused this user name "
			    "and password.");
			return;
		case VSPHERE_FAULT_NO_PERMISSION:
			snprintf(out, outlen, "The vCenter account lacks the "
			    "permission for this.");
			return;
		default:
			break;
		}
	}
	if (e->kind == VSPHERE_E_PROTOCOL) {
		snprintf(out, outlen, "%s answered, but not as a vCenter "
		    "does.", host);
		return;
	}
	vsphere_error_describe(e, d, sizeof d);
	snprintf(out, outlen, "vCenter: %s", d);
}

/* Plain words for a failed AWS or portal call. */
static void
aws_words(const struct aws_error *e, const char *who, char *out,
    size_t outlen)
{
	char d[600];

	if (e->kind == AWS_E_SERVICE) {
		switch (e->code) {
		case AWS_C_SIGNATURE:
			snprintf(out, outlen, "%s refused the secret: the "
			    "request's signature did not match.", who);
			return;
		case AWS_C_INVALID_TOKEN:
			snprintf(out, outlen, "%s does not know this key ID, or "
			    "it was revoked.", who);
			return;
		case AWS_C_EXPIRED_TOKEN:
			snprintf(out, outlen, "The session token has expired.");
			return;
		case AWS_C_REQUEST_EXPIRED:
			snprintf(out, outlen, "%s says the connector's clock is "
			    "off by more than 5 minutes. Check the time "
			    "synchronization.", who);
			return;
		case AWS_C_ACCESS_DENIED:
			snprintf(out, outlen, "%s refused this key the "
			    "permission.", who);
			return;
		default:
			break;
		}
	}
	if (e->kind == AWS_E_TRANSPORT && e->http.kind == HTTP_EPROXY) {
		snprintf(out, outlen, "The proxy did not let the connector "
		    "through to %s (%s).", who, e->http.detail);
		return;
	}
	aws_error_describe(e, d, sizeof d);
	snprintf(out, outlen, "%s: %s", who, d);
}

/* ---- /register ---- */

/* The error page when the draft cannot be made from what is stored. */
static int
draft_failed(struct app_ctx *c)
{
	app_error_message(c, "The stored registration could not be read, so "
	    "the wizard cannot start from it. The connector's log says why.");
	return 500;
}

static int
page_start(struct app_ctx *c)
{
	if (reg_draft_start() != 0)
		return draft_failed(c);
	return app_redirect(c, steps[next_step()].path);
}

/* Redirect to the first incomplete step when step s is not reachable. */
static int
gate(struct app_ctx *c, enum step s)
{
	if (!reg_draft_exists() && reg_draft_start() != 0)
		return draft_failed(c);
	if (s > next_step() && !(s == S_TRUST && reg_has(SEEN_THUMBPRINT, 1)))
		return app_redirect(c, steps[next_step()].path);
	return 0;
}

/* ---- step: vCenter host ---- */

static void
vcenter_form(struct app_ctx *c)
{
	char host[64], port[8], v[80];

	wizard_page(c, S_VCENTER, "register-vcenter.cs", "Register: vCenter");
	if (app_field_raw(c, F_VC_HOST)) {
		form_typed(c, F_VC_HOST);
		return;
	}
	reg_value(REG_VC_HOST, 1, host, sizeof host);
	reg_value(REG_VC_PORT, 1, port, sizeof port);
	if (port[0] && strcmp(port, "443") != 0)
		snprintf(v, sizeof v, "%s:%s", host, port);
	else
		snprintf(v, sizeof v, "%s", host);
	app_set(c, "form.vcenter_host", v);
}

static int
page_vcenter(struct app_ctx *c)
{
	const char *typed = app_field(c, F_VC_HOST);
	char host[64], oldhost[64], oldport[8], port_s[8], t[32], msg[600];
	struct vsphere_error err;
	struct reg_net n;
	struct vsphere vs;
	int port, rc;

	if ((rc = gate(c, S_VCENTER)) != 0)
		return rc;
	vcenter_form(c);
	if (!app_is_post(c))
		return 200;
	if (app_has_field_errors(c))
		return 400;
	if (typed == NULL || *typed == '\0')
		return app_set_field_error(c, F_VC_HOST, "Enter the vCenter "
		    "host name or IP address.");
	if (!syntax_host_port(typed, host, sizeof host, &port))
		return app_set_field_error(c, F_VC_HOST,
		    "Enter a host name or IP address, optionally with :PORT.");
	if (!syntax_peer_literal(host, reg_allow_loopback()))
		return app_set_field_error(c, F_VC_HOST, "The connector may "
		    "not connect to this address (it is the connector itself, "
		    "a link-local or a reserved address). Enter vCenter's own "
		    "name or address.");
	if (reg_net_load(&n, 1, 0) != 0)
		return 500;
	n.opts.pin_thumbprint = NULL;	/* read it, to show it */
	n.opts.inspect = 1;
	if (vsphere_init(&vs, host, port, &n.opts) != 0) {
		reg_net_wipe(&n);
		return 500;
	}
	rc = vsphere_connect(&vs, &err);
	if (rc == 0 && vs.thumbprint[0] == '\0') {
		rc = CONN_EIO;
		err.kind = VSPHERE_E_PROTOCOL;
	}
	if (rc != 0) {
		vsphere_words(&err, host, msg, sizeof msg);
		log_warn("register: vCenter %s:%d: %s", host, port, msg);
		vsphere_free(&vs);
		reg_net_wipe(&n);
		app_audit(c, "register: vCenter not reached");
		return app_set_field_error(c, F_VC_HOST, msg);
	}
	reg_value(REG_VC_HOST, 1, oldhost, sizeof oldhost);
	reg_value(REG_VC_PORT, 1, oldport, sizeof oldport);
	snprintf(port_s, sizeof port_s, "%d", port);
	rc = db_begin();
	if (rc == 0 && (strcmp(oldhost, host) != 0 ||
	    strcmp(oldport, port_s) != 0)) {
		/* Another vCenter: what was trusted and typed for the old
		 * one does not carry over. */
		rc = reg_draft_set(REG_VC_THUMBPRINT, NULL);
		if (rc == 0)
			rc = reg_draft_set(REG_VC_SUBJECT, NULL);
		if (rc == 0)
			rc = reg_draft_set(REG_VC_USER, NULL);
		if (rc == 0)
			rc = reg_draft_secret(REG_VC_PASSWORD, NULL);
	}
	if (rc == 0)
		rc = reg_draft_set(REG_VC_HOST, host);
	if (rc == 0)
		rc = reg_draft_set(REG_VC_PORT, port_s);
	if (rc == 0)
		rc = reg_draft_set(SEEN_THUMBPRINT, vs.thumbprint);
	if (rc == 0)
		rc = reg_draft_set(SEEN_SUBJECT, vs.subject);
	if (rc == 0)
		rc = reg_draft_set(SEEN_ISSUER, vs.issuer);
	snprintf(t, sizeof t, "%lld", (long long)vs.not_before);
	if (rc == 0)
		rc = reg_draft_set(SEEN_NOT_BEFORE, t);
	snprintf(t, sizeof t, "%lld", (long long)vs.not_after);
	if (rc == 0)
		rc = reg_draft_set(SEEN_NOT_AFTER, t);
	if (rc == 0)
		rc = db_commit();
	vsphere_free(&vs);
	reg_net_wipe(&n);
	if (rc != 0)
		return 500;
	return app_redirect(c, steps[next_step() == S_CREDENTIALS ?
	    S_CREDENTIALS : S_TRUST].path);
}

/* ---- step: trust the vCenter certificate ---- */

static void
set_draft_time(struct app_ctx *c, const char *field, const char *name)
{
	char v[32];

	reg_value(name, 1, v, sizeof v);
	app_set_time(c, field, (time_t)strtoll(v, NULL, 10));
}

static int
page_trust(struct app_ctx *c)
{
	const char *tp = app_field(c, F_THUMBPRINT);
	char seen[96], trusted[96], subject[256], v[32];
	int rc;

	if ((rc = gate(c, S_TRUST)) != 0)
		return rc;
	wizard_page(c, S_VCENTER, "register-trust.cs",
	    "Register: vCenter certificate");
	reg_value(SEEN_THUMBPRINT, 1, seen, sizeof seen);
	if (seen[0] == '\0')
		return app_redirect(c, steps[S_VCENTER].path);
	reg_value(REG_VC_THUMBPRINT, 1, trusted, sizeof trusted);
	form_draft(c, "host", REG_VC_HOST);
	form_draft(c, "port", REG_VC_PORT);
	form_draft(c, "thumbprint", SEEN_THUMBPRINT);
	form_draft(c, "subject", SEEN_SUBJECT);
	form_draft(c, "issuer", SEEN_ISSUER);
	set_draft_time(c, "form.not_before", SEEN_NOT_BEFORE);
	set_draft_time(c, "form.not_after", SEEN_NOT_AFTER);
	reg_value(SEEN_NOT_AFTER, 1, v, sizeof v);
	if (strtoll(v, NULL, 10) < (long long)util_now())
		app_set(c, "expired", "1");
	reg_value(SEEN_NOT_BEFORE, 1, v, sizeof v);
	if (strtoll(v, NULL, 10) > (long long)util_now())
		app_set(c, "not_yet", "1");
	if (trusted[0] && strcasecmp(trusted, seen) != 0)
		app_set(c, "changed", trusted);
	if (!app_is_post(c))
		return 200;
	if (tp == NULL || strcasecmp(tp, seen) != 0) {
		app_audit(c, "register: certificate not trusted (changed)");
		return form_error(c, "The certificate is not the one shown. "
		    "Look at it again before you trust it.");
	}
	reg_value(SEEN_SUBJECT, 1, subject, sizeof subject);
	if ((rc = db_begin()) == 0 &&
	    (rc = reg_draft_set(REG_VC_THUMBPRINT, seen)) == 0 &&
	    (rc = reg_draft_set(REG_VC_SUBJECT, subject)) == 0)
		rc = db_commit();
	if (rc != 0)
		return 500;
	app_audit(c, "register: vCenter certificate trusted");
	return app_redirect(c, steps[S_CREDENTIALS].path);
}

/* ---- step: vCenter service account ---- */

static int
page_credentials(struct app_ctx *c)
{
	const char *user = app_field(c, F_VC_USER);
	const char *pw = app_field(c, F_VC_PASSWORD);
	char host[64], port[8], msg[600];
	struct buf stored = { 0 };
	struct vsphere_error err;
	struct reg_net n;
	struct vsphere vs;
	int rc, have;

	if ((rc = gate(c, S_CREDENTIALS)) != 0)
		return rc;
	wizard_page(c, S_VCENTER, "register-credentials.cs",
	    "Register: vCenter account");
	form_draft(c, "host", REG_VC_HOST);
	have = secret_exists("draft." REG_VC_PASSWORD) == 1;
	app_set(c, "stored_password", have ? "1" : "");
	if (app_field_raw(c, F_VC_USER))
		form_typed(c, F_VC_USER);
	else
		form_draft(c, "vcenter_user", REG_VC_USER);
	if (!app_is_post(c))
		return 200;
	if (app_has_field_errors(c))
		return 400;
	if (user == NULL || *user == '\0')
		return app_set_field_error(c, F_VC_USER, "Enter the user name "
		    "of the service account.");
	if ((pw == NULL || *pw == '\0') && !have)
		return app_set_field_error(c, F_VC_PASSWORD, "Enter the "
		    "account's password.");
	if ((pw == NULL || *pw == '\0') &&
	    reg_secret(REG_VC_PASSWORD, 1, &stored) != 0)
		return 500;
	reg_value(REG_VC_HOST, 1, host, sizeof host);
	reg_value(REG_VC_PORT, 1, port, sizeof port);
	if (reg_net_load(&n, 1, 0) != 0) {
		buf_free(&stored);
		return 500;
	}
	if (vsphere_init(&vs, host, atoi(port), &n.opts) != 0) {
		buf_free(&stored);
		reg_net_wipe(&n);
		return 500;
	}
	rc = vsphere_connect(&vs, &err);
	if (rc == 0)
		rc = vsphere_login(&vs, user, pw && *pw ? pw :
		    (stored.data ? stored.data : ""), &err);
	if (rc == 0) {
		struct vsphere_error lerr;
		vsphere_logout(&vs, &lerr);
	}
	vsphere_free(&vs);
	reg_net_wipe(&n);
	if (rc != 0) {
		buf_free(&stored);
		vsphere_words(&err, host, msg, sizeof msg);
		app_audit(c, "register: vCenter account refused");
		if (err.kind == VSPHERE_E_FAULT &&
		    err.fault == VSPHERE_FAULT_INVALID_LOGIN)
			return app_set_field_error(c, F_VC_PASSWORD, msg);
		return form_error(c, msg);
	}
	if ((rc = db_begin()) == 0 &&
	    (rc = reg_draft_set(REG_VC_USER, user)) == 0 &&
	    (pw == NULL || *pw == '\0' ||
	    (rc = reg_draft_secret(REG_VC_PASSWORD, pw)) == 0))
		rc = db_commit();
	buf_free(&stored);
	if (rc != 0)
		return 500;
	app_audit(c, "register: vCenter account verified");
	return app_redirect(c, steps[S_PROXY].path);
}

/* ---- step: proxy ---- */

static int
page_proxy(struct app_ctx *c)
{
	const char *action = app_field(c, F_ACTION);
	const char *host = app_field(c, F_PROXY_HOST);
	const char *port = app_field(c, F_PROXY_PORT);
	const char *user = app_field(c, F_PROXY_USER);
	const char *pw = app_field(c, F_PROXY_PASSWORD);
	const char *nop = app_field(c, F_NO_PROXY);
	char region[32], url[300], msg[700];
	struct buf stored = { 0 };
	struct http_response resp;
	struct http_client cl;
	struct http_error herr;
	struct http_req rq = { 0 };
	struct reg_net n;
	int rc, have;

	if ((rc = gate(c, S_PROXY)) != 0)
		return rc;
	wizard_page(c, S_PROXY, "register-proxy.cs", "Register: proxy");
	have = secret_exists("draft." REG_PROXY_PASSWORD) == 1;
	app_set(c, "stored_password", have ? "1" : "");
	if (app_is_post(c)) {
		form_typed(c, F_PROXY_HOST);
		form_typed(c, F_PROXY_PORT);
		form_typed(c, F_PROXY_USER);
		form_typed(c, F_NO_PROXY);
	} else {
		form_draft(c, "proxy_host", REG_PROXY_HOST);
		form_draft(c, "proxy_port", REG_PROXY_PORT);
		form_draft(c, "proxy_user", REG_PROXY_USER);
		form_draft(c, "no_proxy", REG_NO_PROXY);
		return 200;
	}
	if (action != NULL && strcmp(action, "none") == 0) {
		if ((rc = db_begin()) == 0 &&
		    (rc = reg_draft_set(REG_PROXY_HOST, NULL)) == 0 &&
		    (rc = reg_draft_set(REG_PROXY_PORT, NULL)) == 0 &&
		    (rc = reg_draft_set(REG_PROXY_USER, NULL)) == 0 &&
		    (rc = reg_draft_set(REG_NO_PROXY, NULL)) == 0 &&
		    (rc = reg_draft_secret(REG_PROXY_PASSWORD, NULL)) == 0 &&
		    (rc = reg_draft_set(REG_PROXY_DECIDED, "1")) == 0)
			rc = db_commit();
		if (rc != 0)
			return 500;
		app_audit(c, "register: no proxy");
		return app_redirect(c, steps[S_AWS].path);
	}
	if (action == NULL || strcmp(action, "save") != 0)
		return form_error(c, "Choose one of the buttons.");
	if (app_has_field_errors(c))
		return 400;
	if (host == NULL || *host == '\0')
		return app_set_field_error(c, F_PROXY_HOST, "Enter the proxy's "
		    "host name or IP address, or choose \"No proxy\".");
	if (!syntax_peer_literal(host, reg_allow_loopback()))
		return app_set_field_error(c, F_PROXY_HOST, "The connector may "
		    "not use this address as its proxy.");
	if (port == NULL || *port == '\0')
		return app_set_field_error(c, F_PROXY_PORT, "Enter the proxy's "
		    "port, for example 3128.");
	if ((pw && *pw) && (user == NULL || *user == '\0'))
		return app_set_field_error(c, F_PROXY_USER, "Enter the user "
		    "name that goes with the password.");
	if (user && *user && (pw == NULL || *pw == '\0') && !have)
		return app_set_field_error(c, F_PROXY_PASSWORD, "Enter the "
		    "proxy password.");
	if (user && *user && (pw == NULL || *pw == '\0') &&
	    reg_secret(REG_PROXY_PASSWORD, 1, &stored) != 0)
		return 500;

	/* Test: reach the AWS STS endpoint through the proxy; any HTTP
	 * answer means the proxy let the connector through. */
	memset(&n, 0, sizeof n);
	if (reg_net_load(&n, 1, 1) != 0) {
		buf_free(&stored);
		return 500;
	}
	snprintf(n.proxy_host, sizeof n.proxy_host, "%s", host);
	n.opts.proxy_host = n.proxy_host;
	n.opts.proxy_port = atoi(port);
	snprintf(n.proxy_user, sizeof n.proxy_user, "%s", user ? user : "");
	n.opts.proxy_user = n.proxy_user[0] ? n.proxy_user : NULL;
	snprintf(n.proxy_password, sizeof n.proxy_password, "%s",
	    pw && *pw ? pw : (stored.data ? stored.data : ""));
	n.opts.proxy_password = n.proxy_user[0] ? n.proxy_password : NULL;
	snprintf(n.no_proxy, sizeof n.no_proxy, "%s", nop ? nop : "");
	n.opts.no_proxy = n.no_proxy[0] ? n.no_proxy : NULL;
	buf_free(&stored);
	if (reg_value(REG_AWS_REGION, 1, region, sizeof region) != 0 ||
	    !region[0])
		snprintf(region, sizeof region, "us-east-1");
	if (aws_resolve_endpoint(AWS_STS, region, NULL, url, sizeof url,
	    NULL) != 0 || http_client_init(&cl, &n.opts) != 0) {
		reg_net_wipe(&n);
		return 500;
	}
	rq.url = url;
	rc = http_request(&cl, &rq, &resp, &herr);
	http_response_free(&resp);
	http_client_free(&cl);
	reg_net_wipe(&n);
	if (rc != 0) {
		if (herr.kind == HTTP_EPROXY && strstr(herr.detail, "407")) {
			app_audit(c, "register: proxy refused the credentials");
			return app_set_field_error(c, F_PROXY_PASSWORD, "The "
			    "proxy refused this user name and password.");
		}
		if (herr.kind == HTTP_EPROXY) {
			snprintf(msg, sizeof msg, "The proxy at %s:%s did not "
			    "answer or refused to connect the connector to "
			    "AWS.", host, port);
			app_audit(c, "register: proxy test failed");
			return app_set_field_error(c, F_PROXY_HOST, msg);
		}
		http_error_describe(&herr, msg, sizeof msg);
		app_audit(c, "register: proxy test failed");
		return form_error(c, msg);
	}
	if ((rc = db_begin()) == 0 &&
	    (rc = reg_draft_set(REG_PROXY_HOST, host)) == 0 &&
	    (rc = reg_draft_set(REG_PROXY_PORT, port)) == 0 &&
	    (rc = reg_draft_set(REG_PROXY_USER, user)) == 0 &&
	    (rc = reg_draft_set(REG_NO_PROXY, nop)) == 0 &&
	    (rc = (user && *user) ? 0 :
	    reg_draft_secret(REG_PROXY_PASSWORD, NULL)) == 0 &&
	    (pw == NULL || *pw == '\0' ||
	    (rc = reg_draft_secret(REG_PROXY_PASSWORD, pw)) == 0) &&
	    (rc = reg_draft_set(REG_PROXY_DECIDED, "1")) == 0)
		rc = db_commit();
	if (rc != 0)
		return 500;
	app_audit(c, "register: proxy tested and kept");
	return app_redirect(c, steps[S_AWS].path);
}

/* ---- step: AWS ---- */

static void
region_options(struct app_ctx *c, const char *chosen)
{
	char k[64];

	for (int i = 0; reg_regions[i]; i++) {
		snprintf(k, sizeof k, "regions.%d.name", i);
		app_set(c, k, reg_regions[i]);
		if (strcmp(reg_regions[i], chosen) == 0) {
			snprintf(k, sizeof k, "regions.%d.selected", i);
			app_set(c, k, "1");
		}
	}
}

static int
page_aws(struct app_ctx *c)
{
	const char *region = app_field(c, F_REGION);
	const char *akid = app_field(c, F_ACCESS_KEY);
	const char *sk = app_field(c, F_SECRET_KEY);
	const char *tok = app_field(c, F_SESSION_TOKEN);
	char chosen[32], oldkey[130], msg[700];
	struct buf ssk = { 0 }, stok = { 0 };
	struct aws_identity id;
	struct aws_error err;
	struct reg_net n;
	struct aws a;
	int rc, have, keep;

	if ((rc = gate(c, S_AWS)) != 0)
		return rc;
	wizard_page(c, S_AWS, "register-aws.cs", "Register: AWS");
	reg_value(REG_AWS_KEY_ID, 1, oldkey, sizeof oldkey);
	have = secret_exists("draft." REG_AWS_SECRET) == 1;
	app_set(c, "stored_secret", have ? "1" : "");
	if (app_is_post(c)) {
		form_typed(c, F_ACCESS_KEY);
		snprintf(chosen, sizeof chosen, "%s", app_field_raw(c,
		    F_REGION) ? app_field_raw(c, F_REGION) : "");
	} else {
		form_draft(c, "access_key_id", REG_AWS_KEY_ID);
		if (reg_value(REG_AWS_REGION, 1, chosen, sizeof chosen) != 0 ||
		    !chosen[0])
			snprintf(chosen, sizeof chosen, "us-east-1");
	}
	region_options(c, chosen);
	if (!app_is_post(c))
		return 200;
	if (app_has_field_errors(c))
		return 400;
	if (region == NULL || !reg_region_known(region))
		return app_set_field_error(c, F_REGION, "Choose a region from "
		    "the list.");
	if (akid == NULL || *akid == '\0')
		return app_set_field_error(c, F_ACCESS_KEY, "Enter the access "
		    "key ID.");
	/* A blank secret keeps the stored one, only for the same key. */
	keep = (sk == NULL || *sk == '\0') && have && strcmp(akid, oldkey) == 0;
	if ((sk == NULL || *sk == '\0') && !keep)
		return app_set_field_error(c, F_SECRET_KEY, "Enter the secret "
		    "access key.");
	if (keep && reg_secret(REG_AWS_SECRET, 1, &ssk) != 0)
		return 500;
	if (keep && (tok == NULL || *tok == '\0')) {
		rc = reg_secret(REG_AWS_TOKEN, 1, &stok);
		if (rc != 0 && rc != CONN_ENOTFOUND) {
			buf_free(&ssk);
			return 500;
		}
	}
	if (reg_net_load(&n, 1, 1) != 0 ||
	    aws_init(&a, region, NULL, &n.opts) != 0) {
		buf_free(&ssk);
		buf_free(&stok);
		reg_net_wipe(&n);
		return 500;
	}
	rc = aws_set_credentials(&a, akid, keep ? ssk.data : sk,
	    tok && *tok ? tok : (stok.len ? stok.data : NULL));
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
	buf_free(&ssk);
	buf_free(&stok);
	if (rc != 0) {
		aws_words(&err, "AWS", msg, sizeof msg);
		app_audit(c, "register: AWS credentials refused");
		if (err.kind == AWS_E_SERVICE && err.code == AWS_C_SIGNATURE)
			return app_set_field_error(c, F_SECRET_KEY, msg);
		if (err.kind == AWS_E_SERVICE &&
		    err.code == AWS_C_INVALID_TOKEN)
			return app_set_field_error(c, F_ACCESS_KEY, msg);
		if (err.kind == AWS_E_SERVICE &&
		    err.code == AWS_C_EXPIRED_TOKEN)
			return app_set_field_error(c, F_SESSION_TOKEN, msg);
		return form_error(c, msg);
	}
	if ((rc = db_begin()) == 0 &&
	    (rc = reg_draft_set(REG_AWS_REGION, region)) == 0 &&
	    (rc = reg_draft_set(REG_AWS_KEY_ID, akid)) == 0 &&
	    (rc = reg_draft_set(REG_AWS_ACCOUNT, id.account)) == 0 &&
	    (rc = reg_draft_set(REG_AWS_ARN, id.arn)) == 0 &&
	    (keep || (rc = reg_draft_secret(REG_AWS_SECRET, sk)) == 0) &&
	    (keep || (rc = reg_draft_secret(REG_AWS_TOKEN,
	    tok && *tok ? tok : NULL)) == 0) &&
	    (!keep || !tok || !*tok ||
	    (rc = reg_draft_secret(REG_AWS_TOKEN, tok)) == 0))
		rc = db_commit();
	if (rc != 0)
		return 500;
	app_audit(c, "register: AWS credentials verified");
	return app_redirect(c, steps[S_PORTAL].path);
}

/* ---- step: portal key ---- */

static int
page_portal(struct app_ctx *c)
{
	const char *file = app_field(c, F_PORTAL_FILE);
	const char *action = app_field(c, F_ACTION);
	struct portal_config pc;
	char why[300];
	int rc;

	if ((rc = gate(c, S_PORTAL)) != 0)
		return rc;
	wizard_page(c, S_PORTAL, "register-portal.cs", "Register: portal key");
	form_draft(c, "account", REG_AWS_ACCOUNT);
	form_draft(c, "arn", REG_AWS_ARN);
	form_draft(c, "key_name", REG_PORTAL_KEY_NAME);
	form_draft(c, "key_id", REG_PORTAL_KEY_ID);
	form_draft(c, "endpoint", REG_PORTAL_ENDPOINT);
	if (!app_is_post(c))
		return 200;
	if (app_has_field_errors(c)) {
		app_audit(c, "register: portal file refused");
		return 400;
	}
	if ((file == NULL || app_field_len(c, F_PORTAL_FILE) == 0) &&
	    action && strcmp(action, "keep") == 0 &&
	    reg_has(REG_PORTAL_KEY_ID, 1))
		return app_redirect(c, steps[S_REVIEW].path);
	if (file == NULL || app_field_len(c, F_PORTAL_FILE) == 0) {
		app_audit(c, "register: portal file refused");
		return app_set_field_error(c, F_PORTAL_FILE, "Choose the "
		    "configuration file you downloaded from the portal's "
		    "setup (an empty file is not one).");
	}
	if (reg_portal_file(file, app_field_len(c, F_PORTAL_FILE), &pc, why,
	    sizeof why) != 0) {
		app_audit(c, "register: portal file refused");
		return app_set_field_error(c, F_PORTAL_FILE, why);
	}
	if ((rc = db_begin()) == 0 &&
	    (rc = reg_draft_set(REG_PORTAL_KEY_NAME, pc.key_name)) == 0 &&
	    (rc = reg_draft_set(REG_PORTAL_KEY_ID, pc.key_id)) == 0 &&
	    (rc = reg_draft_set(REG_PORTAL_ENDPOINT, pc.endpoint)) == 0 &&
	    (rc = reg_draft_secret(REG_PORTAL_SECRET, pc.secret)) == 0)
		rc = db_commit();
	portal_config_wipe(&pc);
	if (rc != 0)
		return 500;
	app_audit(c, "register: portal key file accepted");
	return app_redirect(c, steps[S_REVIEW].path);
}

/* ---- step: review and finish ---- */

/* The console's own URL, as vCenter and the portal should reach it. */
static void
console_url(char *ip, size_t iplen, char *url, size_t urllen)
{
	char listen[80];
	const char *colon;

	reg_value("ip", 0, ip, iplen);
	reg_value("listen", 0, listen, sizeof listen);
	colon = strrchr(listen, ':');
	if (colon && strcmp(colon + 1, "443") != 0)
		snprintf(url, urllen, "https://%s:%s/", ip, colon + 1);
	else
		snprintf(url, urllen, "https://%s/", ip);
}

/* The connector's id for the portal, made once. */
static int
connector_id(char *out, size_t outlen)
{
	unsigned char r[8];
	char hex[17];

	if (reg_value("connector.id", 0, out, outlen) == 0 && out[0])
		return 0;
	if (util_random(r, sizeof r) != 0)
		return CONN_ECRYPTO;
	util_hex(r, sizeof r, hex);
	snprintf(out, outlen, "connector-%s", hex);
	return db_setting_set("connector.id", out);
}

static void
review_data(struct app_ctx *c)
{
	char ip[64], url[300];

	form_draft(c, "vc_host", REG_VC_HOST);
	form_draft(c, "vc_port", REG_VC_PORT);
	form_draft(c, "vc_subject", REG_VC_SUBJECT);
	form_draft(c, "vc_thumbprint", REG_VC_THUMBPRINT);
	form_draft(c, "vc_user", REG_VC_USER);
	form_draft(c, "proxy_host", REG_PROXY_HOST);
	form_draft(c, "proxy_port", REG_PROXY_PORT);
	form_draft(c, "proxy_user", REG_PROXY_USER);
	form_draft(c, "no_proxy", REG_NO_PROXY);
	form_draft(c, "region", REG_AWS_REGION);
	form_draft(c, "access_key_id", REG_AWS_KEY_ID);
	form_draft(c, "account", REG_AWS_ACCOUNT);
	form_draft(c, "arn", REG_AWS_ARN);
	form_draft(c, "key_name", REG_PORTAL_KEY_NAME);
	form_draft(c, "key_id", REG_PORTAL_KEY_ID);
	form_draft(c, "endpoint", REG_PORTAL_ENDPOINT);
	console_url(ip, sizeof ip, url, sizeof url);
	app_set(c, "console_url", url);
	app_set(c, "console_ip", ip);
}

/*
 * Register with vCenter and the portal from the draft, then make it live.
 * On failure out holds the words to show and nothing stored changed (a
 * plugin registered by this attempt is unregistered again).
 */
static int
finish(char *out, size_t outlen, int *updated)
{
	char host[64], port[8], user[80], ip[64], url[300], fp[96], cid[64];
	char name[80], region[32], regid[130];
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
	int rc, found = 0, vs_ready = 0, registered_now = 0;

	memset(&pc, 0, sizeof pc);
	memset(&vn, 0, sizeof vn);
	memset(&pn, 0, sizeof pn);
	reg_value(REG_VC_HOST, 1, host, sizeof host);
	reg_value(REG_VC_PORT, 1, port, sizeof port);
	reg_value(REG_VC_USER, 1, user, sizeof user);
	reg_value(REG_AWS_REGION, 1, region, sizeof region);
	reg_value("tls_fingerprint", 0, fp, sizeof fp);
	reg_value("name", 0, name, sizeof name);
	console_url(ip, sizeof ip, url, sizeof url);
	rc = CONN_EDB;
	if (connector_id(cid, sizeof cid) != 0 ||
	    reg_secret(REG_VC_PASSWORD, 1, &vpw) != 0 ||
	    reg_portal_config(&pc, 1) != 0 ||
	    reg_net_load(&vn, 1, 0) != 0 || reg_net_load(&pn, 1, 1) != 0) {
		snprintf(out, outlen, "The stored draft could not be read.");
		goto out;
	}

	/* vCenter: the plugin, registered or updated. */
	if ((rc = vsphere_init(&vs, host, atoi(port), &vn.opts)) != 0)
		goto out;
	vs_ready = 1;
	if ((rc = vsphere_connect(&vs, &verr)) != 0 ||
	    (rc = vsphere_login(&vs, user, vpw.data ? vpw.data : "",
	    &verr)) != 0 ||
	    (rc = vsphere_find_extension(&vs, REG_EXTENSION_KEY, &prev, &found,
	    &verr)) != 0)
		goto vfail;
	memset(&ext, 0, sizeof ext);
	snprintf(ext.key, sizeof ext.key, "%s", REG_EXTENSION_KEY);
	snprintf(ext.version, sizeof ext.version, "%s", CONNECTOR_VERSION);
	snprintf(ext.label, sizeof ext.label, "Connector");
	snprintf(ext.summary, sizeof ext.summary, "Connector %s management "
	    "console", name);
	snprintf(ext.company, sizeof ext.company, "Connector");
	snprintf(ext.type, sizeof ext.type, "HTTPS");
	snprintf(ext.url, sizeof ext.url, "%s", url);
	snprintf(ext.server_thumbprint, sizeof ext.server_thumbprint, "%s",
	    fp);
	rc = found ? vsphere_update_extension(&vs, &ext, &verr) :
	    vsphere_register_extension(&vs, &ext, &verr);
	if (rc != 0)
		goto vfail;
	registered_now = !found;
	*updated = found;

	/* The portal. */
	info = (struct portal_info){ .connector_id = cid, .hostname = name,
	    .ip = ip, .version = CONNECTOR_VERSION, .vcenter_host = host,
	    .extension_key = REG_EXTENSION_KEY };
	if ((rc = portal_init(&p, &pc, region, &pn.opts)) != 0) {
		snprintf(out, outlen, "The portal endpoint is not usable.");
		goto undo;
	}
	rc = portal_register(&p, &info, regid, sizeof regid, &aerr);
	portal_free(&p);
	if (rc != 0) {
		aws_words(&aerr, "The portal", out, outlen);
		goto undo;
	}

	o = (struct reg_outcome){ .ip = ip, .url = url,
	    .extension_key = REG_EXTENSION_KEY, .portal_id = regid };
	if ((rc = reg_commit(&o)) != 0) {
		snprintf(out, outlen, "The registration could not be stored.");
		goto undo;
	}
	goto out;
vfail:
	vsphere_words(&verr, host, out, outlen);
	goto out;
undo:
	/* vCenter goes back to what it had: no plugin, or the one before. */
	if (registered_now) {
		struct vsphere_error uerr;
		if (vsphere_unregister_extension(&vs, REG_EXTENSION_KEY,
		    &uerr) != 0)
			log_err("register: could not take back the plugin "
			    "registered with %s", host);
	} else if (found) {
		struct vsphere_error uerr;
		if (vsphere_update_extension(&vs, &prev, &uerr) != 0)
			log_err("register: could not restore the plugin's "
			    "previous registration with %s", host);
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
	return rc;
}

static int
page_review(struct app_ctx *c)
{
	const char *action = app_field(c, F_ACTION);
	char msg[700] = "";
	int rc, updated = 0;

	if ((rc = gate(c, S_REVIEW)) != 0)
		return rc;
	wizard_page(c, S_REVIEW, "register-review.cs", "Register: review");
	review_data(c);
	if (!app_is_post(c))
		return 200;
	if (action && strcmp(action, "discard") == 0) {
		if (reg_draft_discard() != 0)
			return 500;
		app_audit(c, "register: changes discarded");
		return app_redirect(c, "/");
	}
	if (action == NULL || strcmp(action, "register") != 0)
		return form_error(c, "Choose one of the buttons.");
	rc = finish(msg, sizeof msg, &updated);
	if (rc != 0) {
		log_warn("register: failed: %s", msg);
		app_audit(c, "register failed");
		return form_error(c, msg[0] ? msg : "The registration failed.");
	}
	log_info("registered with vCenter and the portal (%s)", updated ?
	    "updated" : "new");
	app_audit(c, updated ? "register: updated" : "register: registered");
	return app_redirect(c, "/");
}

/* Drop the draft from any step; what is registered stays. */
static int
page_discard(struct app_ctx *c)
{
	if (reg_draft_discard() != 0)
		return 500;
	app_audit(c, "register: changes discarded");
	return app_redirect(c, "/");
}

/* ---- /unregister ---- */

static int
page_unregister(struct app_ctx *c)
{
	const char *action = app_field(c, F_ACTION);
	const char *user = app_field(c, F_VC_USER);
	const char *pw = app_field(c, F_VC_PASSWORD);
	const char *confirm = app_field(c, F_CONFIRM);
	char host[64], port[8], region[32], regid[130], msg[700];
	struct vsphere_error verr;
	struct portal_config pc;
	struct aws_error aerr;
	struct reg_net vn, pn;
	struct vsphere vs;
	struct portal p;
	int rc;

	app_template(c, "unregister.cs", "Unregister the connector");
	reg_value(REG_VC_HOST, 0, host, sizeof host);
	app_set(c, "vc_host", host);
	app_set(c, "registered", reg_registered() ? "1" : "");
	if (app_field_raw(c, F_VC_USER))
		form_typed(c, F_VC_USER);
	if (!app_is_post(c))
		return 200;
	if (!reg_registered())
		return app_redirect(c, "/unregister");
	if (app_has_field_errors(c))
		return 400;
	if (action && strcmp(action, "clear-local") == 0) {
		app_set(c, "offer_clear", "1");
		if (confirm == NULL || strcmp(confirm, "clear") != 0)
			return app_set_field_error(c, F_CONFIRM, "Tick the box to "
			    "confirm that the connector should forget its "
			    "registration without telling vCenter.");
		if (reg_clear() != 0)
			return 500;
		log_warn("unregister: local registration cleared without "
		    "vCenter");
		app_audit(c, "unregister: local registration cleared");
		return app_redirect(c, "/");
	}
	if (action == NULL || strcmp(action, "unregister") != 0)
		return form_error(c, "Choose one of the buttons.");
	if (user == NULL || *user == '\0')
		return app_set_field_error(c, F_VC_USER, "Enter a vCenter user "
		    "name.");
	if (pw == NULL || *pw == '\0')
		return app_set_field_error(c, F_VC_PASSWORD, "Enter the "
		    "password.");
	reg_value(REG_VC_PORT, 0, port, sizeof port);
	if (reg_net_load(&vn, 0, 0) != 0)
		return 500;
	if (vsphere_init(&vs, host, atoi(port), &vn.opts) != 0) {
		reg_net_wipe(&vn);
		return 500;
	}
	rc = vsphere_connect(&vs, &verr);
	if (rc == 0)
		rc = vsphere_login(&vs, user, pw, &verr);
	if (rc == 0) {
		rc = vsphere_unregister_extension(&vs, REG_EXTENSION_KEY,
		    &verr);
		if (rc != 0 && verr.kind == VSPHERE_E_FAULT &&
		    verr.fault == VSPHERE_FAULT_NOT_FOUND)
			rc = 0;		/* already gone */
		struct vsphere_error lerr;
		vsphere_logout(&vs, &lerr);
	}
	vsphere_free(&vs);
	reg_net_wipe(&vn);
	if (rc != 0) {
		vsphere_words(&verr, host, msg, sizeof msg);
		if (verr.kind == VSPHERE_E_FAULT &&
		    (verr.fault == VSPHERE_FAULT_INVALID_LOGIN ||
		    verr.fault == VSPHERE_FAULT_NO_PERMISSION)) {
			app_audit(c, "unregister refused: vCenter credentials");
			return app_set_field_error(c, F_VC_PASSWORD, msg);
		}
		app_audit(c, "unregister failed: vCenter not reached");
		app_set(c, "offer_clear", "1");
		return form_error(c, msg);
	}

	/* The portal; vCenter has forgotten the plugin, so whatever the
	 * portal says the local registration goes. */
	reg_value(REG_AWS_REGION, 0, region, sizeof region);
	reg_value(REG_PORTAL_ID, 0, regid, sizeof regid);
	msg[0] = '\0';
	if (reg_portal_config(&pc, 0) == 0 && reg_net_load(&pn, 0, 1) == 0) {
		if (portal_init(&p, &pc, region, &pn.opts) == 0) {
			if (portal_deregister(&p, regid, &aerr) != 0 &&
			    !(aerr.kind == AWS_E_SERVICE &&
			    strcmp(aerr.code_name, "NotRegistered") == 0))
				aws_words(&aerr, "The portal", msg, sizeof msg);
			portal_free(&p);
		}
		reg_net_wipe(&pn);
	} else
		snprintf(msg, sizeof msg, "The portal key could not be read.");
	portal_config_wipe(&pc);
	if (reg_clear() != 0)
		return 500;
	if (msg[0]) {
		log_warn("unregister: the portal was not told: %s", msg);
		app_audit(c, "unregister: done; portal not told");
		app_set(c, "done", "1");
		app_set(c, "warning", msg);
		app_set(c, "registered", "");
		return 200;
	}
	log_info("unregistered from vCenter %s and the portal", host);
	app_audit(c, "unregister: done");
	return app_redirect(c, "/");
}

static const struct app_page pages[] = {
	{ "/register", APP_GET, 0, ACCESS_SESSION, page_start },
	{ "/register/vcenter", APP_GET | APP_POST,
	  FIELD(F_CSRF) | FIELD(F_VC_HOST), ACCESS_SESSION, page_vcenter },
	{ "/register/trust", APP_GET | APP_POST,
	  FIELD(F_CSRF) | FIELD(F_THUMBPRINT), ACCESS_SESSION, page_trust },
	{ "/register/credentials", APP_GET | APP_POST,
	  FIELD(F_CSRF) | FIELD(F_VC_USER) | FIELD(F_VC_PASSWORD),
	  ACCESS_SESSION, page_credentials },
	{ "/register/proxy", APP_GET | APP_POST,
	  FIELD(F_CSRF) | FIELD(F_ACTION) | FIELD(F_PROXY_HOST) |
	  FIELD(F_PROXY_PORT) | FIELD(F_PROXY_USER) | FIELD(F_PROXY_PASSWORD) |
	  FIELD(F_NO_PROXY), ACCESS_SESSION, page_proxy },
	{ "/register/aws", APP_GET | APP_POST,
	  FIELD(F_CSRF) | FIELD(F_REGION) | FIELD(F_ACCESS_KEY) |
	  FIELD(F_SECRET_KEY) | FIELD(F_SESSION_TOKEN), ACCESS_SESSION,
	  page_aws },
	{ "/register/portal", APP_GET | APP_POST,
	  FIELD(F_CSRF) | FIELD(F_ACTION) | FIELD(F_PORTAL_FILE),
	  ACCESS_SESSION, page_portal },
	{ "/register/review", APP_GET | APP_POST,
	  FIELD(F_CSRF) | FIELD(F_ACTION), ACCESS_SESSION, page_review },
	{ "/register/discard", APP_POST, FIELD(F_CSRF), ACCESS_SESSION,
	  page_discard },
	{ "/unregister", APP_GET | APP_POST,
	  FIELD(F_CSRF) | FIELD(F_ACTION) | FIELD(F_VC_USER) |
	  FIELD(F_VC_PASSWORD) | FIELD(F_CONFIRM), ACCESS_SESSION,
	  page_unregister },
};

int
main(int argc, char **argv)
{
	static const struct app_program prog = { .name = "register",
	    .pages = pages, .npages = sizeof pages / sizeof pages[0] };

	return app_main(argc, argv, &prog);
}
