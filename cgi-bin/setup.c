/*
 * setup — /setup: the first-run claim.  Until the console is claimed every
 * other page redirects here; the one-time setup code printed on the VM
 * console (and by `make run`) sets the connector password once, and the
 * page is gone afterwards.
 */
#include <unistd.h>

#include "../lib/core.h"
#include "../lib/domain.h"

static int
page_setup(struct app_ctx *c)
{
	const char *code = app_field(c, F_CODE);
	const char *pw = app_field(c, F_PASSWORD);
	const char *problem;
	int rc;

	app_template(c, "setup.cs", "Claim this connector");
	if (!app_is_post(c))
		return 200;
	if (code == NULL || !auth_setup_code_matches(code)) {
		app_set_field_error(c, F_CODE, "This is not the setup code "
		    "shown on the VM console. Type it again, including the "
		    "dashes.");
		app_audit(c, "setup refused: wrong code");
		return 403;
	}
	/* The right code comes back: only the password is to type again. */
	app_set(c, "code", code);
	if ((problem = auth_password_problem(pw, app_field(c, F_PASSWORD2)))) {
		app_set_field_error(c, F_PASSWORD, problem);
		app_audit(c, "setup refused: password policy");
		return 400;
	}
	rc = auth_claim(code, pw);
	if (rc == CONN_EDENIED) {
		app_set_field_error(c, F_CODE, "This setup code has already "
		    "been used.");
		app_audit(c, "setup refused: code already used");
		return 403;
	}
	if (rc != 0 || app_start_session(c) != 0)
		return 500;
	app_audit(c, "setup: console claimed");
	log_info("console claimed from %s", app_remote_addr(c));
	/* Best effort: in production the file is root's, and
	 * `connector-setup init` removes it at the next start. */
	unlink(paths_get(PATH_SETUP_CODE));
	return app_redirect(c, "/");
}

static const struct app_page pages[] = {
	{ "/setup", APP_GET | APP_POST,
	  FIELD(F_CSRF) | FIELD(F_CODE) | FIELD(F_PASSWORD) | FIELD(F_PASSWORD2),
	  ACCESS_SETUP, page_setup },
};

int
main(int argc, char **argv)
{
	static const struct app_program prog = { .name = "setup",
	    .pages = pages, .npages = sizeof pages / sizeof pages[0] };

	return app_main(argc, argv, &prog);
}
