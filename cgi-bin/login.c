/*
 * login — /login and /logout.  A failed login looks the same whatever the
 * cause; after 20 consecutive failures the console is locked (the right
 * password is refused too) until the password is reset from the VM
 * console.  Repeated attempts from one address are slowed down by nginx
 * (limit_req on POST /login), which queues them without holding a worker.
 * A sign-in returns to the page that asked for it (?next=, carried through
 * the form), only when that is one of the console's own pages.  A sign-in
 * that ends failed attempts says so once, on the page it lands on.
 */

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../lib/core.h"
#include "../lib/domain.h"

/*
 * The warning shown once after a sign-in that ends failed attempts: how
 * many since the last sign-in (or the password's reset), the last from
 * where and when.  msg is "" when there were none.
 */
static void
failures_warning(const struct auth_admin *before, char *msg, size_t len)
{
	char when[32] = "";
	struct tm tm;
	time_t t = before->last_failure_at;

	msg[0] = '\0';
	if (before->failed_count <= 0)
		return;
	if (t > 0 && gmtime_r(&t, &tm) != NULL)
		strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
	snprintf(msg, len, "%d failed attempt%s since %s (last from %s at %s).",
	    before->failed_count, before->failed_count == 1 ? "" : "s",
	    before->password_changed_at > before->last_login_at ?
	    "the password was set" : "your last sign-in",
	    before->last_failure_addr[0] ? before->last_failure_addr :
	    "an unknown address", when[0] ? when : "an unknown time");
}

static int
page_login(struct app_ctx *c)
{
	const char *pw = app_field(c, F_PASSWORD);
	const char *next = app_field(c, F_NEXT);
	struct auth_admin before;
	char msg[AUTH_NOTICE_MAX];
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
	rc = auth_login_report(pw ? pw : "", app_remote_addr(c), &before);
	if (rc == 0) {
		if (app_start_session(c) != 0)
			return 500;
		app_audit(c, "login");
		failures_warning(&before, msg, sizeof msg);
		if (msg[0])
			return app_redirect_warning(c, next ? next : "/", msg);
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
