/*
 * settings — /settings: the console's own settings.  For now the read-only
 * API tokens that monitoring sends as "Authorization: Bearer" to
 * /api/status and /metrics (never accepted for a page or a change):
 *
 *   /settings                 the tokens: name, created, last used
 *   /settings/tokens          POST: a new token, shown once after the
 *                             redirect (kept sealed with the session until
 *                             then, never in a URL or a log)
 *   /settings/tokens/revoke   GET ?token=N: the confirmation; POST: revoke
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/core.h"
#include "../lib/domain.h"

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

/* The Settings page's data: every token, and a new one once. */
static int
settings_page(struct app_ctx *c)
{
	struct listing l = { .c = c };
	const char *fresh = app_notice_secret(c);

	app_template(c, "settings.cs", "Settings");
	if (auth_api_tokens_each(one_token, &l) != 0)
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
