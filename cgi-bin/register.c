/*
 * register — the registration wizard (/register/...) and /unregister.
 *
 * Each step's page reads its validated fields, calls one action of
 * lib/enroll.c (which checks the step against the real peer and keeps it
 * in the draft) and shows the outcome:
 *
 *   vcenter      host, then its certificate is read ...
 *   trust        ... shown, and pinned when the administrator trusts it
 *   credentials  the service account, checked with a login
 *   proxy        optional; tested with a request through it
 *   aws          region and keys, checked with STS GetCallerIdentity
 *   portal       the AMP-connector key file from the portal's setup
 *   review       registers the plugin and the connector with the portal,
 *                then makes the draft live in one transaction
 *
 * Showing a step changes nothing; the draft is made by the first step
 * posted.  Secrets are never shown again.
 */
#include <stdio.h>
#include <string.h>

#include "../lib/core.h"
#include "../lib/enroll.h"

static const struct {
	const char *path, *label;
	int shown;		/* in the list of steps */
} steps[ENROLL__MAX] = {
	[ENROLL_VCENTER] = { "/register/vcenter", "vCenter", 1 },
	[ENROLL_TRUST] = { "/register/trust", "vCenter certificate", 0 },
	[ENROLL_ACCOUNT] = { "/register/credentials", "vCenter account", 0 },
	[ENROLL_PROXY] = { "/register/proxy", "Proxy", 1 },
	[ENROLL_AWS] = { "/register/aws", "AWS", 1 },
	[ENROLL_PORTAL] = { "/register/portal", "Portal key", 1 },
	[ENROLL_REVIEW] = { "/register/review", "Review", 1 },
};

/* The form field of each place a result may point at. */
static const enum field_id fields[EF__MAX] = {
	[EF_FORM] = F__MAX,
	[EF_VC_HOST] = F_VC_HOST,
	[EF_VC_USER] = F_VC_USER,
	[EF_VC_PASSWORD] = F_VC_PASSWORD,
	[EF_THUMBPRINT] = F_THUMBPRINT,
	[EF_PROXY_HOST] = F_PROXY_HOST,
	[EF_PROXY_PORT] = F_PROXY_PORT,
	[EF_PROXY_USER] = F_PROXY_USER,
	[EF_PROXY_PASSWORD] = F_PROXY_PASSWORD,
	[EF_REGION] = F_REGION,
	[EF_ACCESS_KEY] = F_ACCESS_KEY,
	[EF_SECRET_KEY] = F_SECRET_KEY,
	[EF_SESSION_TOKEN] = F_SESSION_TOKEN,
	[EF_PORTAL_FILE] = F_PORTAL_FILE,
};

/*
 * Show the result of an action: its audit line, and when it failed its
 * sentence beside its field or above the form.  Returns 0 when rc is, else
 * the status to answer (400 with a sentence, 500 without).
 */
static int
shown(struct app_ctx *c, int rc, const struct enroll_result *r)
{
	return app_result(c, rc, fields[r->field], r->msg, r->audit);
}

/* The step a step belongs to in the list (trust and account are vCenter's). */
static enum enroll_step
listed_step(enum enroll_step s)
{
	return s == ENROLL_TRUST || s == ENROLL_ACCOUNT ? ENROLL_VCENTER : s;
}

/* Page data every step shows: the list of steps, done and current. */
static void
wizard_page(struct app_ctx *c, enum enroll_step cur, const char *tpl,
    const char *title)
{
	enum enroll_step reach = listed_step(enroll_next());
	char k[64];
	int n = 0;

	app_template(c, tpl, title);
	cur = listed_step(cur);
	for (int i = 0; i < ENROLL__MAX; i++) {
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
	app_set(c, "step", cur == ENROLL_REVIEW ? "review" : "form");
}

/* Put setting name of the wizard's view into Page.form.<field>. */
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

/* 1 when the button pressed was action. */
static int
pressed(struct app_ctx *c, const char *action)
{
	const char *a = app_field(c, F_ACTION);

	return a != NULL && strcmp(a, action) == 0;
}

/* Redirect to the first incomplete step when step s is not reachable. */
static int
gate(struct app_ctx *c, enum enroll_step s)
{
	if (!enroll_reachable(s))
		return app_redirect(c, steps[enroll_next()].path);
	return 0;
}

static int
page_start(struct app_ctx *c)
{
	return app_redirect(c, steps[enroll_next()].path);
}

/* ---- step: vCenter host ---- */

static void
vcenter_form(struct app_ctx *c)
{
	char host[SYNTAX_HOST_MAX + 1], port[8], v[SYNTAX_HOST_MAX + 10];

	wizard_page(c, ENROLL_VCENTER, "register-vcenter.cs",
	    "Register: vCenter");
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
	struct enroll_result r;
	int rc;

	if ((rc = gate(c, ENROLL_VCENTER)) != 0)
		return rc;
	vcenter_form(c);
	if (!app_is_post(c))
		return 200;
	if (app_has_field_errors(c) || app_require(c, FIELD(F_VC_HOST)))
		return 400;
	if ((rc = shown(c, enroll_vcenter(app_field(c, F_VC_HOST), &r),
	    &r)) != 0)
		return rc;
	return app_redirect(c, steps[enroll_next() == ENROLL_ACCOUNT ?
	    ENROLL_ACCOUNT : ENROLL_TRUST].path);
}

/* ---- step: trust the vCenter certificate ---- */

static int
page_trust(struct app_ctx *c)
{
	struct enroll_cert cert;
	struct enroll_result r;
	int rc;

	if ((rc = gate(c, ENROLL_TRUST)) != 0)
		return rc;
	wizard_page(c, ENROLL_VCENTER, "register-trust.cs",
	    "Register: vCenter certificate");
	if (enroll_seen_cert(&cert) != 0)
		return app_redirect(c, steps[ENROLL_VCENTER].path);
	app_set(c, "form.host", cert.host);
	app_set_int(c, "form.port", cert.port);
	app_set(c, "form.thumbprint", cert.thumbprint);
	app_set(c, "form.subject", cert.subject);
	app_set(c, "form.issuer", cert.issuer);
	app_set_time(c, "form.not_before", cert.not_before);
	app_set_time(c, "form.not_after", cert.not_after);
	if (cert.not_after < util_now())
		app_set(c, "expired", "1");
	if (cert.not_before > util_now())
		app_set(c, "not_yet", "1");
	if (cert.trusted[0] && strcasecmp(cert.trusted, cert.thumbprint) != 0)
		app_set(c, "changed", cert.trusted);
	if (!app_is_post(c))
		return 200;
	rc = enroll_trust(app_field(c, F_THUMBPRINT), &r);
	if (rc == CONN_ENOTFOUND)
		return app_redirect(c, steps[ENROLL_VCENTER].path);
	if ((rc = shown(c, rc, &r)) != 0)
		return rc;
	return app_redirect(c, steps[ENROLL_ACCOUNT].path);
}

/* ---- step: vCenter service account ---- */

static int
page_credentials(struct app_ctx *c)
{
	struct enroll_result r;
	int rc, have;

	if ((rc = gate(c, ENROLL_ACCOUNT)) != 0)
		return rc;
	wizard_page(c, ENROLL_VCENTER, "register-credentials.cs",
	    "Register: vCenter account");
	form_draft(c, "host", REG_VC_HOST);
	have = reg_secret_has(REG_VC_PASSWORD, 1);
	app_set(c, "stored_password", have ? "1" : "");
	if (app_field_raw(c, F_VC_USER))
		form_typed(c, F_VC_USER);
	else
		form_draft(c, "vcenter_user", REG_VC_USER);
	if (!app_is_post(c))
		return 200;
	if (app_has_field_errors(c) || app_require(c, FIELD(F_VC_USER) |
	    (have ? 0 : FIELD(F_VC_PASSWORD))))
		return 400;
	if ((rc = shown(c, enroll_account(app_field(c, F_VC_USER),
	    app_field(c, F_VC_PASSWORD), &r), &r)) != 0)
		return rc;
	return app_redirect(c, steps[ENROLL_PROXY].path);
}

/* ---- step: proxy ---- */

static int
page_proxy(struct app_ctx *c)
{
	struct enroll_proxy p;
	struct enroll_result r;
	int rc, have;

	if ((rc = gate(c, ENROLL_PROXY)) != 0)
		return rc;
	wizard_page(c, ENROLL_PROXY, "register-proxy.cs", "Register: proxy");
	have = reg_secret_has(REG_PROXY_PASSWORD, 1);
	app_set(c, "stored_password", have ? "1" : "");
	if (!app_is_post(c)) {
		form_draft(c, "proxy_host", REG_PROXY_HOST);
		form_draft(c, "proxy_port", REG_PROXY_PORT);
		form_draft(c, "proxy_user", REG_PROXY_USER);
		form_draft(c, "no_proxy", REG_NO_PROXY);
		return 200;
	}
	form_typed(c, F_PROXY_HOST);
	form_typed(c, F_PROXY_PORT);
	form_typed(c, F_PROXY_USER);
	form_typed(c, F_NO_PROXY);
	if (pressed(c, "none")) {
		if ((rc = shown(c, enroll_proxy(NULL, &r), &r)) != 0)
			return rc;
		return app_redirect(c, steps[ENROLL_AWS].path);
	}
	if (!pressed(c, "save"))
		return app_form_error(c, "Choose one of the buttons.");
	if (app_has_field_errors(c) ||
	    app_require(c, FIELD(F_PROXY_HOST) | FIELD(F_PROXY_PORT)))
		return 400;
	p = (struct enroll_proxy){ .host = app_field(c, F_PROXY_HOST),
	    .port = app_field(c, F_PROXY_PORT),
	    .user = app_field(c, F_PROXY_USER),
	    .password = app_field(c, F_PROXY_PASSWORD),
	    .no_proxy = app_field(c, F_NO_PROXY) };
	if ((rc = shown(c, enroll_proxy(&p, &r), &r)) != 0)
		return rc;
	return app_redirect(c, steps[ENROLL_AWS].path);
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
	char chosen[SYNTAX_REGION_MAX + 1];
	struct enroll_result r;
	int rc;

	if ((rc = gate(c, ENROLL_AWS)) != 0)
		return rc;
	wizard_page(c, ENROLL_AWS, "register-aws.cs", "Register: AWS");
	app_set(c, "stored_secret", reg_secret_has(REG_AWS_SECRET, 1) ?
	    "1" : "");
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
	if (app_has_field_errors(c) ||
	    app_require(c, FIELD(F_REGION) | FIELD(F_ACCESS_KEY)))
		return 400;
	if ((rc = shown(c, enroll_aws(app_field(c, F_REGION),
	    app_field(c, F_ACCESS_KEY), app_field(c, F_SECRET_KEY),
	    app_field(c, F_SESSION_TOKEN), &r), &r)) != 0)
		return rc;
	return app_redirect(c, steps[ENROLL_PORTAL].path);
}

/* ---- step: portal key ---- */

static int
page_portal(struct app_ctx *c)
{
	struct enroll_result r;
	int rc;

	if ((rc = gate(c, ENROLL_PORTAL)) != 0)
		return rc;
	wizard_page(c, ENROLL_PORTAL, "register-portal.cs",
	    "Register: portal key");
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
	if ((rc = shown(c, enroll_portal(app_field(c, F_PORTAL_FILE),
	    app_field_len(c, F_PORTAL_FILE), pressed(c, "keep"), &r),
	    &r)) != 0)
		return rc;
	return app_redirect(c, steps[ENROLL_REVIEW].path);
}

/* ---- step: review and finish ---- */

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
	enroll_console_url(ip, sizeof ip, url, sizeof url);
	app_set(c, "console_url", url);
	app_set(c, "console_ip", ip);
}

/* Drop the draft; what is registered stays. */
static int
discard(struct app_ctx *c)
{
	if (enroll_discard() != 0)
		return 500;
	app_audit(c, "register: changes discarded");
	return app_redirect_notice(c, "/", "Discarded. The registration in use "
	    "did not change.");
}

static int
page_review(struct app_ctx *c)
{
	struct enroll_result r;
	int rc;

	if ((rc = gate(c, ENROLL_REVIEW)) != 0)
		return rc;
	wizard_page(c, ENROLL_REVIEW, "register-review.cs",
	    "Register: review");
	review_data(c);
	if (!app_is_post(c))
		return 200;
	if (pressed(c, "discard"))
		return discard(c);
	if (!pressed(c, "register"))
		return app_form_error(c, "Choose one of the buttons.");
	if ((rc = shown(c, enroll_register(&r), &r)) != 0)
		return rc;
	return app_redirect_notice(c, "/", r.updated ? "Registered again. "
	    "The vSphere Client plugin now has the connector's current "
	    "address." : "Registered. The vSphere Client plugin and the "
	    "portal know this connector.");
}

static int
page_discard(struct app_ctx *c)
{
	return discard(c);
}

/* ---- /unregister ---- */

static int
page_unregister(struct app_ctx *c)
{
	struct enroll_result r;
	char host[SYNTAX_HOST_MAX + 1];
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
	if (pressed(c, "clear-local")) {
		const char *confirm = app_field(c, F_CONFIRM);
		app_set(c, "offer_clear", "1");
		if (confirm == NULL || strcmp(confirm, "clear") != 0)
			return app_set_field_error(c, F_CONFIRM,
			    valid_fields[F_CONFIRM].required);
		if (enroll_clear_local() != 0)
			return 500;
		app_audit(c, "unregister: local registration cleared");
		return app_redirect_warning(c, "/", "Unregistered here only. "
		    "vCenter and the portal were not told: remove the plugin "
		    "in vCenter and the connector in the portal's setup.");
	}
	if (!pressed(c, "unregister"))
		return app_form_error(c, "Choose one of the buttons.");
	if (app_require(c, FIELD(F_VC_USER) | FIELD(F_VC_PASSWORD)))
		return 400;
	rc = enroll_unregister(app_field(c, F_VC_USER),
	    app_field(c, F_VC_PASSWORD), &r);
	if (rc == CONN_ENOTFOUND)
		return app_redirect(c, "/unregister");
	if (r.unreachable)
		app_set(c, "offer_clear", "1");
	if ((rc = shown(c, rc, &r)) != 0)
		return rc;
	if (r.partial) {
		char msg[AUTH_NOTICE_MAX];

		snprintf(msg, sizeof msg, "Unregistered from vCenter, but the "
		    "portal was not told: %s Remove the connector in the "
		    "portal's setup.", r.msg);
		return app_redirect_warning(c, "/", msg);
	}
	return app_redirect_notice(c, "/", "Unregistered. vCenter and the "
	    "portal no longer know this connector.");
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
