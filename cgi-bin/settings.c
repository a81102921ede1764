/*
 * settings — /settings: the console's own settings.  How portal users sign
 * in to AWS (federation through the connector's authentication proxy, or
 * SAML), and the read-only API tokens that monitoring sends as
 * "Authorization: Bearer" to /api/status and /metrics (never accepted for
 * a page or a change):
 *
 *   /settings                 federation; the tokens: name, created, last
 *                             used
 *   /settings/federation      POST: through the connector (the IAM role,
 *                             an optional session policy, the duration
 *                             cap) or SAML (the proxy off)
 *   /settings/tokens          POST: a new token, shown once after the
 *                             redirect (kept sealed with the session until
 *                             then, never in a URL or a log)
 *   /settings/tokens/revoke   GET ?token=N: the confirmation; POST: revoke
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../lib/core.h"
#include "../lib/authproxy.h"
#include "../lib/enroll.h"

struct listing {
	struct app_ctx *c;
	int n;
};

/* One token into the page's list, for auth_api_tokens_each. */
static int
one_token(void *arg, const struct auth_api_token *t)
{
	struct listing *l = arg;
	char k[64];

	snprintf(k, sizeof k, "tokens.%d.id", l->n);
	app_set_int(l->c, k, t->id);
	snprintf(k, sizeof k, "tokens.%d.name", l->n);
	app_set(l->c, k, t->name);
	snprintf(k, sizeof k, "tokens.%d.created", l->n);
	app_set_time(l->c, k, t->created_at);
	snprintf(k, sizeof k, "tokens.%d.used", l->n);
	app_set_time(l->c, k, t->last_used_at);
	l->n++;
	return 0;
}

/* The stored policy laid out for reading (two-space indents). */
static void
set_policy(struct app_ctx *c, const char *packed)
{
	json_t *doc = packed[0] ? json_loads(packed, 0, NULL) : NULL;
	char *text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;

	app_set(c, "fed.policy", text ? text : packed);
	free(text);
	json_decref(doc);
}

/* The federation settings as stored, and where the portal calls. */
static int
federation_data(struct app_ctx *c)
{
	struct authproxy_config cfg;
	char ip[64], url[300];

	if (authproxy_config_get(&cfg) != 0)
		return 500;
	app_set(c, "fed.mode", cfg.saml ? AP_MODE_SAML : AP_MODE_CONNECTOR);
	app_set(c, "fed.role", cfg.role_arn);
	set_policy(c, cfg.policy);
	app_set_int(c, "fed.duration", cfg.duration);
	app_set(c, "fed.registered", reg_registered() ? "1" : "");
	enroll_console_url(ip, sizeof ip, url, sizeof url);
	app_set(c, "fed.url", url);
	app_set_int(c, "fed.user_failures", AP_USER_FAILURES);
	app_set_int(c, "fed.window", AP_WINDOW / 60);
	return 0;
}

/* The Settings page's data: federation, every token, and a new one once. */
static int
settings_page(struct app_ctx *c)
{
	struct listing l = { .c = c };
	const char *fresh = app_notice_secret(c);

	app_template(c, "settings.cs", "Settings");
	if (federation_data(c) != 0 || auth_api_tokens_each(one_token, &l) != 0)
		return 500;
	app_set_int(c, "count", l.n);
	app_set_int(c, "max", AUTH_API_TOKENS_MAX);
	if (fresh != NULL)
		app_set(c, "new_token", fresh);
	return 200;
}

static int
page_settings(struct app_ctx *c)
{
	return settings_page(c);
}

static int
page_token_create(struct app_ctx *c)
{
	const char *name = app_field(c, F_TOKEN_NAME);
	char token[AUTH_TOKEN_LEN + 1];
	int rc;

	if ((rc = settings_page(c)) != 200)
		return rc;
	if (app_field_raw(c, F_TOKEN_NAME) != NULL)
		app_set(c, "form.token_name", app_field_raw(c, F_TOKEN_NAME));
	if (app_has_field_errors(c))
		return 400;
	if (app_require(c, FIELD(F_TOKEN_NAME)))
		return 400;
	rc = auth_api_token_create(name, token);
	if (rc == CONN_ETOOBIG) {
		app_audit(c, "create API token refused: too many");
		return app_set_field_error(c, F_TOKEN_NAME, "There are already "
		    "20 tokens. Revoke one that is no longer used, then "
		    "create the new one.");
	}
	if (rc != 0)
		return 500;
	app_audit(c, "create API token");
	rc = app_redirect_secret(c, "/settings", "Token created. Copy it now: "
	    "it is shown only this once.", token);
	util_wipe(token, sizeof token);
	return rc;
}

/* The form's fields: what they are, where a sentence about them goes. */
static const struct {
	enum field_id f;
	const char *page;
	enum ap_field ap;
} fed_fields[] = {
	{ F_FEDERATION, "fed.mode", AP_F_MODE },
	{ F_ROLE_ARN, "fed.role", AP_F_ROLE },
	{ F_SESSION_POLICY, "fed.policy", AP_F_POLICY },
	{ F_DURATION, "fed.duration", AP_F_DURATION },
};

static int
page_federation(struct app_ctx *c)
{
	const char *mode = app_field(c, F_FEDERATION);
	struct ap_problems p;
	size_t i;
	int rc;

	if ((rc = settings_page(c)) != 200)
		return rc;
	/* What was typed comes back, right or wrong. */
	for (i = 0; i < sizeof fed_fields / sizeof fed_fields[0]; i++)
		app_set(c, fed_fields[i].page, app_field_raw(c,
		    fed_fields[i].f));
	if (app_has_field_errors(c))
		return 400;
	rc = authproxy_config_set(mode, app_field(c, F_ROLE_ARN),
	    app_field(c, F_SESSION_POLICY), app_field(c, F_DURATION), &p);
	if (rc == CONN_EINVAL) {
		for (i = 0; i < sizeof fed_fields / sizeof fed_fields[0]; i++)
			if (p.msg[fed_fields[i].ap][0])
				app_set_field_error(c, fed_fields[i].f,
				    p.msg[fed_fields[i].ap]);
		app_audit(c, "federation settings refused");
		return 400;
	}
	if (rc != 0)
		return 500;
	if (strcmp(mode, AP_MODE_SAML) == 0) {
		app_audit(c, "federation: SAML; authentication proxy off");
		return app_redirect_notice(c, "/settings", "Saved. Portal users "
		    "sign in with SAML: the connector's authentication proxy is "
		    "off and refuses every request.");
	}
	app_audit(c, "federation: through the connector");
	return app_redirect_notice(c, "/settings", reg_registered() ?
	    "Saved. Portal users sign in through the connector and get "
	    "credentials of the role below." : "Saved. Portal users will sign "
	    "in through the connector once it is registered; until then the "
	    "authentication proxy refuses every request.");
}

/* The token the request names, or 0 when it does not parse. */
static long long
token_id(struct app_ctx *c)
{
	const char *v = app_field(c, F_TOKEN_ID);

	return v ? strtoll(v, NULL, 10) : 0;
}

struct wanted {
	struct app_ctx *c;
	long long id;
};

/* Token w->id into the page (Page.token.*) and 1 when t is it. */
static int
find_token(void *arg, const struct auth_api_token *t)
{
	struct wanted *w = arg;

	if (t->id != w->id)
		return 0;
	app_set_int(w->c, "token.id", t->id);
	app_set(w->c, "token.name", t->name);
	return 1;
}

static int
page_token_revoke(struct app_ctx *c)
{
	long long id = token_id(c);
	struct wanted w = { .c = c, .id = id };
	const char *confirm = app_field(c, F_CONFIRM);
	int rc;

	if (id <= 0) {
		app_error_message(c, "Choose the token to revoke on the "
		    "Settings page.");
		return 404;
	}
	app_template(c, "settings-revoke.cs", "Revoke an API token");
	if ((rc = auth_api_tokens_each(find_token, &w)) < 0)
		return 500;
	if (rc == 0) {
		app_error_message(c, "There is no such API token: it may "
		    "already have been revoked.");
		return 404;
	}
	if (!app_is_post(c))
		return 200;
	if (confirm == NULL || strcmp(confirm, "revoke") != 0)
		return app_set_field_error(c, F_CONFIRM, "Tick the box to "
		    "confirm that monitoring using this token stops working.");
	if ((rc = auth_api_token_revoke(id)) == CONN_ENOTFOUND)
		return 404;
	if (rc != 0)
		return 500;
	app_audit(c, "revoke API token");
	return app_redirect_notice(c, "/settings", "Revoked. Requests with "
	    "that token are refused from now on.");
}

static const struct app_page pages[] = {
	{ "/settings", APP_GET, 0, ACCESS_SESSION, page_settings },
	{ "/settings/federation", APP_POST, FIELD(F_CSRF) | FIELD(F_FEDERATION) |
	  FIELD(F_ROLE_ARN) | FIELD(F_SESSION_POLICY) | FIELD(F_DURATION),
	  ACCESS_SESSION, page_federation },
	{ "/settings/tokens", APP_POST, FIELD(F_CSRF) | FIELD(F_TOKEN_NAME),
	  ACCESS_SESSION, page_token_create },
	{ "/settings/tokens/revoke", APP_GET | APP_POST,
	  FIELD(F_CSRF) | FIELD(F_TOKEN_ID) | FIELD(F_CONFIRM),
	  ACCESS_SESSION, page_token_revoke, .query = FIELD(F_TOKEN_ID) },
};

int
main(int argc, char **argv)
{
	static const struct app_program prog = { .name = "settings",
	    .pages = pages, .npages = sizeof pages / sizeof pages[0] };

	return app_main(argc, argv, &prog);
}
