/*
 * keys — /keys: the connector's two keys.
 *
 *   /keys/encryption  rotate the connector encryption key (the connector
 *                     password is asked again): a new key, every stored
 *                     credential re-encrypted in one transaction, the old
 *                     key removed (lib/secret.c)
 *   /keys/amp         rotate the AMP-connector key: upload the new
 *                     configuration file from the portal; the old key
 *                     stays in use until a heartbeat signed with the new
 *                     one is accepted by the portal
 */
#include <stdio.h>
#include <string.h>

#include "../lib/core.h"
#include "../lib/enroll.h"

/* The page's data: both keys as they are now. */
static int
keys_page(struct app_ctx *c)
{
	char id[SECRET_KEY_ID_LEN + 1], v[600];
	time_t created = 0;
	int n;

	app_template(c, "keys.cs", "Keys");
	if (secret_current_key(id, &created) == 0) {
		app_set(c, "enc.id", id);
		app_set_time(c, "enc.created", created);
	}
	if ((n = secret_count()) < 0)
		return 500;
	app_set_int(c, "enc.secrets", n);
	app_set(c, "registered", reg_registered() ? "1" : "");
	reg_value(REG_PORTAL_KEY_NAME, 0, v, sizeof v);
	app_set(c, "amp.name", v);
	reg_value(REG_PORTAL_KEY_ID, 0, v, sizeof v);
	app_set(c, "amp.id", v);
	reg_value(REG_PORTAL_ENDPOINT, 0, v, sizeof v);
	app_set(c, "amp.endpoint", v);
	return 200;
}

static int
page_keys(struct app_ctx *c)
{
	return keys_page(c);
}

static int
page_encryption(struct app_ctx *c)
{
	const char *pw = app_field(c, F_PASSWORD);
	char id[SECRET_KEY_ID_LEN + 1], msg[AUTH_NOTICE_MAX];
	int rc;

	if ((rc = keys_page(c)) != 200)
		return rc;
	if (app_require(c, FIELD(F_PASSWORD)))
		return 400;
	rc = auth_reauthenticate(pw, app_remote_addr(c));
	if (rc == CONN_EDENIED) {
		app_audit(c, "rotate encryption key refused: wrong password");
		return app_set_field_error(c, F_PASSWORD, "The password is not "
		    "right.");
	}
	if (rc == CONN_ELOCKED) {
		app_audit(c, "rotate encryption key refused: console locked");
		return app_set_field_error(c, F_PASSWORD, "The console is "
		    "locked; reset the password from the VM console.");
	}
	if (rc != 0)
		return 500;
	if ((rc = secret_rotate(id)) != 0) {
		log_err("rotate encryption key: failed (%d)", rc);
		app_audit(c, "rotate encryption key failed");
		app_error_message(c, "The key could not be rotated; the old "
		    "key stays in use and every credential is unchanged.");
		return 500;
	}
	log_info("encryption key rotated; key %s in use", id);
	app_audit(c, "rotate encryption key: ok");
	snprintf(msg, sizeof msg, "Rotated. Every stored credential is now "
	    "encrypted with key %s; the old key is deleted.", id);
	return app_redirect_notice(c, "/keys", msg);
}

static int
page_amp(struct app_ctx *c)
{
	struct enroll_result r;
	int rc;

	if ((rc = keys_page(c)) != 200)
		return rc;
	if (app_has_field_errors(c))
		return 400;
	rc = enroll_rotate_amp(app_field(c, F_PORTAL_FILE),
	    app_field_len(c, F_PORTAL_FILE), &r);
	if ((rc = app_result(c, rc, r.field == EF_PORTAL_FILE ? F_PORTAL_FILE :
	    F__MAX, r.msg, r.audit)) != 0)
		return rc;
	return app_redirect_notice(c, "/keys", "Rotated. The portal accepted "
	    "the new AMP-connector key; the old one is no longer used.");
}

static const struct app_page pages[] = {
	{ "/keys", APP_GET, 0, ACCESS_SESSION, page_keys },
	{ "/keys/encryption", APP_POST, FIELD(F_CSRF) | FIELD(F_PASSWORD),
	  ACCESS_SESSION, page_encryption },
	{ "/keys/amp", APP_POST, FIELD(F_CSRF) | FIELD(F_PORTAL_FILE),
	  ACCESS_SESSION, page_amp },
};

int
main(int argc, char **argv)
{
	/* The password is checked again here: hashing runs at a lower
	 * priority, as at sign-in. */
	static const struct app_program prog = { .name = "keys",
	    .pages = pages, .npages = sizeof pages / sizeof pages[0],
	    .nice = 5 };

	return app_main(argc, argv, &prog);
}
