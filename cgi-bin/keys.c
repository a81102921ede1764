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
#include "../lib/domain.h"

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
	if (pw == NULL || *pw == '\0')
		return app_set_field_error(c, F_PASSWORD, "Enter the connector "
		    "password.");
	rc = auth_login(pw, app_remote_addr(c));
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
	const char *file = app_field(c, F_PORTAL_FILE);
	char region[32], regid[130], why[300], msg[700];
	char oldid[130], draftid[130];
	struct portal_config pc;
	struct aws_error err;
	struct reg_net n;
	struct portal p;
	int rc;

	if ((rc = keys_page(c)) != 200)
		return rc;
	if (app_has_field_errors(c))
		return 400;
	if (!reg_registered()) {
		app_set(c, "error", "Register the connector first; the key is "
		    "then part of the registration.");
		app_audit(c, "rotate AMP key refused: not registered");
		return 400;
	}
	if (file == NULL || app_field_len(c, F_PORTAL_FILE) == 0)
		return app_set_field_error(c, F_PORTAL_FILE, "Choose the new "
		    "configuration file from the portal's setup.");
	if (reg_portal_file(file, app_field_len(c, F_PORTAL_FILE), &pc,
	    why, sizeof why) != 0) {
		app_audit(c, "rotate AMP key refused: bad file");
		return app_set_field_error(c, F_PORTAL_FILE, why);
	}
	reg_value(REG_AWS_REGION, 0, region, sizeof region);
	reg_value(REG_PORTAL_ID, 0, regid, sizeof regid);
	/* The portal must accept the new key before the old one goes. */
	if (reg_net_load(&n, 0, 1) != 0 ||
	    portal_init(&p, &pc, region, &n.opts) != 0) {
		portal_config_wipe(&pc);
		reg_net_wipe(&n);
		return 500;
	}
	rc = portal_heartbeat(&p, regid, "ok", &err);
	portal_free(&p);
	reg_net_wipe(&n);
	if (rc != 0) {
		portal_config_wipe(&pc);
		if (err.kind == AWS_E_SERVICE && (err.code == AWS_C_SIGNATURE ||
		    err.code == AWS_C_INVALID_TOKEN))
			snprintf(msg, sizeof msg, "The portal does not accept "
			    "the new key yet. Finish creating it in the "
			    "portal's setup, then upload the file again. The "
			    "current key stays in use.");
		else {
			char d[600];
			aws_error_describe(&err, d, sizeof d);
			snprintf(msg, sizeof msg, "The portal could not be "
			    "reached with the new key (%s). The current key "
			    "stays in use.", d);
		}
		log_warn("rotate AMP key: the portal refused the new key");
		app_audit(c, "rotate AMP key failed: portal refused the new key");
		return app_set_field_error(c, F_PORTAL_FILE, msg);
	}
	/* A wizard draft that still holds the old key takes the new one
	 * too, so finishing the wizard later does not bring the old back. */
	reg_value(REG_PORTAL_KEY_ID, 0, oldid, sizeof oldid);
	if ((rc = db_begin()) == 0 &&
	    (rc = db_setting_set(REG_PORTAL_KEY_NAME, pc.key_name)) == 0 &&
	    (rc = db_setting_set(REG_PORTAL_KEY_ID, pc.key_id)) == 0 &&
	    (rc = db_setting_set(REG_PORTAL_ENDPOINT, pc.endpoint)) == 0 &&
	    (rc = secret_put(REG_PORTAL_SECRET, pc.secret,
	    strlen(pc.secret))) == 0 &&
	    reg_value(REG_PORTAL_KEY_ID, 1, draftid, sizeof draftid) == 0 &&
	    strcmp(draftid, oldid) == 0 &&
	    (rc = reg_draft_set(REG_PORTAL_KEY_NAME, pc.key_name)) == 0 &&
	    (rc = reg_draft_set(REG_PORTAL_KEY_ID, pc.key_id)) == 0 &&
	    (rc = reg_draft_set(REG_PORTAL_ENDPOINT, pc.endpoint)) == 0)
		rc = reg_draft_secret(REG_PORTAL_SECRET, pc.secret);
	if (rc == 0)
		rc = db_commit();
	if (rc != 0)
		db_rollback();
	portal_config_wipe(&pc);
	if (rc != 0)
		return 500;
	log_info("AMP-connector key rotated");
	app_audit(c, "rotate AMP key: ok");
	keys_page(c);
	app_set(c, "amp_rotated", "1");
	return 200;
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
