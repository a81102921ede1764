/*
 * login — /login and /logout.  A failed login looks the same whatever the
 * cause; after 20 consecutive failures the console is locked (the right
 * password is refused too) until the password is reset from the VM
 * console.  Repeated attempts from one address are slowed down by nginx
 * (limit_req on POST /login), which queues them without holding a worker.
 * A sign-in returns to the page that asked for it (?next=, carried through
 * the form), only when that is one of the console's own pages.
 */

#include <string.h>

#include "../lib/core.h"
#include "../lib/domain.h"

static int
page_login(struct app_ctx *c)
{
	const char *pw = app_field(c, F_PASSWORD);
	const char *next = app_field(c, F_NEXT);
	int rc;

	app_template(c, "login.cs", "Sign in");
	if (!app_local_path(next))
		next = NULL;
	if (next != NULL && strcmp(next, "/") != 0)
		app_set(c, "next", next);
	if (!app_is_post(c)) {
		struct auth_admin a;
		if (auth_admin_get(&a) == 0 && a.locked)
			app_set(c, "locked", "1");
		return 200;
	}
	rc = auth_login(pw ? pw : "", app_remote_addr(c));
	if (rc == 0) {
		if (app_start_session(c) != 0)
			return 500;
		app_audit(c, "login");
		return app_redirect(c, next ? next : "/");
	}
	if (rc == CONN_ELOCKED) {
		app_set(c, "locked", "1");
		app_audit(c, "login refused: console locked");
		return 403;
	}
	if (rc != CONN_EDENIED)
		return 500;
	app_set_field_error(c, F_PASSWORD, "The password is not right.");
	app_audit(c, "login failed");
	return 403;
}

static int
page_logout(struct app_ctx *c)
{
	if (app_end_session(c) != 0)
		return 500;
	app_audit(c, "logout");
	return app_redirect(c, "/login");
}

static const struct app_page pages[] = {
	{ "/login", APP_GET | APP_POST,
	  FIELD(F_CSRF) | FIELD(F_PASSWORD) | FIELD(F_NEXT),
	  ACCESS_ANON, page_login, .query = FIELD(F_NEXT) },
	{ "/logout", APP_POST, FIELD(F_CSRF), ACCESS_SESSION, page_logout },
};

int
main(int argc, char **argv)
{
	/* Password hashing is meant to be costly: at a lower priority it
	 * cannot starve the other console programs of CPU. */
	static const struct app_program prog = { .name = "login",
	    .pages = pages, .npages = sizeof pages / sizeof pages[0],
	    .nice = 5 };

	return app_main(argc, argv, &prog);
}
