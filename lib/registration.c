/*
 * registration.c — what the connector is registered with: vCenter (host,
 * pinned certificate, service account), the network proxy, AWS (region and
 * keys) and the management portal (the AMP-connector key), and the draft
 * the registration wizard fills step by step.
 *
 * Plain values are settings, credentials are secrets (lib/secret).  The
 * draft keeps the same names under "draft." (only reg_draft_name spells
 * that); finishing the wizard copies the draft over the live values in one
 * transaction, so a failure at any step leaves the stored configuration as
 * it was.  Reading with draft set reads the wizard's view: the draft when
 * there is one, else the live values it would start from, so showing the
 * wizard never writes.  What the steps do with the peers is lib/enroll.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "domain.h"

#define DRAFT REG_DRAFT_PREFIX

/* The values a registration is made of, live and in the draft. */
static const char *const settings[] = {
	REG_VC_HOST, REG_VC_PORT, REG_VC_THUMBPRINT, REG_VC_SUBJECT,
	REG_VC_USER, REG_PROXY_HOST, REG_PROXY_PORT, REG_PROXY_USER,
	REG_NO_PROXY, REG_PROXY_DECIDED, REG_AWS_REGION, REG_AWS_KEY_ID,
	REG_AWS_ACCOUNT, REG_AWS_ARN, REG_PORTAL_KEY_NAME, REG_PORTAL_KEY_ID,
	REG_PORTAL_ENDPOINT,
};
static const char *const secrets[] = {
	REG_VC_PASSWORD, REG_PROXY_PASSWORD, REG_AWS_SECRET, REG_AWS_TOKEN,
	REG_PORTAL_SECRET,
};
/* Live only: the outcome of the last registration. */
static const char *const outcome[] = {
	REG_AT, REG_IP, REG_URL, REG_EXTENSION, REG_PORTAL_ID,
};

/* The name under which the draft keeps setting or secret name. */
void
reg_draft_name(const char *name, char *out, size_t outlen)
{
	snprintf(out, outlen, DRAFT "%s", name);
}

#define draft_name reg_draft_name

/*
 * The name to read for name: the draft's when draft is set and a draft
 * exists; else the live one, which is what a new draft would start from
 * (so reading the wizard's view never has to create the draft).
 */
static const char *
view_name(const char *name, int draft, char *dn, size_t dnlen)
{
	if (!draft || !reg_draft_exists())
		return name;
	draft_name(name, dn, dnlen);
	return dn;
}

/*
 * Copy setting name (of the wizard's view when draft is set) into out; ""
 * when it is not set.  Returns 0, CONN_ENOTFOUND (out "") or
 * CONN_ETOOBIG/EDB.
 */
int
reg_value(const char *name, int draft, char *out, size_t outlen)
{
	char dn[128];

	return db_setting_copy(view_name(name, draft, dn, sizeof dn), out,
	    outlen);
}

/* 1 when setting name (draft or live) has a non-empty value. */
int
reg_has(const char *name, int draft)
{
	char v[8];
	int rc = reg_value(name, draft, v, sizeof v);

	return rc == 0 ? v[0] != '\0' : rc == CONN_ETOOBIG;
}

/* Record that the draft changed now (housekeeping keeps a draft in use). */
static int
touch(void)
{
	char now[32];

	snprintf(now, sizeof now, "%lld", (long long)util_now());
	return db_setting_set(REG_DRAFT_TOUCHED, now);
}

/* Set draft value name; NULL or "" removes it. */
int
reg_draft_set(const char *name, const char *value)
{
	char dn[128];

	int rc;

	draft_name(name, dn, sizeof dn);
	if (value == NULL || *value == '\0')
		rc = db_setting_delete(dn);
	else
		rc = db_setting_set(dn, value);
	return rc == 0 ? touch() : rc;
}

/* Store draft secret name (encrypted); NULL removes it. */
int
reg_draft_secret(const char *name, const char *value)
{
	char dn[128];

	int rc;

	draft_name(name, dn, sizeof dn);
	if (value == NULL) {
		rc = secret_delete(dn);
		if (rc == CONN_ENOTFOUND)
			rc = 0;
	} else
		rc = secret_put(dn, value, strlen(value));
	return rc == 0 ? touch() : rc;
}

/* Read secret name (of the wizard's view when draft is set); out is
 * wiped by buf_free.  Returns 0, CONN_ENOTFOUND or an error. */
int
reg_secret(const char *name, int draft, struct buf *out)
{
	char dn[128];

	return secret_get(view_name(name, draft, dn, sizeof dn), out);
}

/* 1 when secret name is stored (in the wizard's view when draft is set). */
int
reg_secret_has(const char *name, int draft)
{
	char dn[128];

	return secret_exists(view_name(name, draft, dn, sizeof dn)) == 1;
}

/* 1 when the connector is registered. */
int
reg_registered(void)
{
	return reg_has(REG_AT, 0);
}

/* 1 when a wizard draft exists. */
int
reg_draft_exists(void)
{
	char v[8];
	int rc = reg_value(REG_DRAFT_STARTED, 0, v, sizeof v);

	return rc == 0 ? v[0] != '\0' : rc == CONN_ETOOBIG;
}

/* Copy one secret from src to dst name; absent src removes dst. */
static int
copy_secret(const char *src, const char *dst)
{
	struct buf b = { 0 };
	int rc = secret_get(src, &b);

	if (rc == CONN_ENOTFOUND) {
		rc = secret_delete(dst);
		return rc == CONN_ENOTFOUND ? 0 : rc;
	}
	if (rc == 0)
		rc = secret_put(dst, b.len ? b.data : "", b.len);
	buf_free(&b);
	return rc;
}

/* Copy one setting from src to dst name; absent src removes dst. */
static int
copy_setting(const char *src, const char *dst)
{
	struct buf b = { 0 };
	int rc = db_setting_get(src, &b);

	if (rc == CONN_ENOTFOUND)
		rc = db_setting_delete(dst);
	else if (rc == 0)
		rc = db_setting_set(dst, b.len ? b.data : "");
	buf_free(&b);
	return rc;
}

/* Remove every draft setting and secret (inside the caller's transaction). */
int
reg_draft_drop(void)
{
	int rc;

	if ((rc = db_setting_delete_prefix(DRAFT)) < 0 ||
	    (rc = secret_delete_prefix(DRAFT)) < 0)
		return rc;
	return db_setting_delete(REG_DRAFT_STARTED);
}

/* Copy every registration value from the live ones to the draft
 * (to_draft), or back (inside the caller's transaction). */
static int
copy_values(int to_draft)
{
	char dn[128];
	int rc = 0;

	for (size_t i = 0; i < sizeof settings / sizeof settings[0] && !rc;
	    i++) {
		draft_name(settings[i], dn, sizeof dn);
		rc = to_draft ? copy_setting(settings[i], dn) :
		    copy_setting(dn, settings[i]);
	}
	for (size_t i = 0; i < sizeof secrets / sizeof secrets[0] && !rc; i++) {
		draft_name(secrets[i], dn, sizeof dn);
		rc = to_draft ? copy_secret(secrets[i], dn) :
		    copy_secret(dn, secrets[i]);
	}
	return rc;
}

/*
 * Start the wizard's draft unless one exists: from the live registration
 * when there is one (so re-running the wizard changes only what is
 * changed), else empty.  Returns 0 or an error.
 */
int
reg_draft_start(void)
{
	char now[32];
	int rc;

	if (reg_draft_exists())
		return 0;
	if ((rc = db_begin()) != 0)
		return rc;
	if (reg_draft_exists()) {
		db_rollback();
		return 0;
	}
	/* Whatever a draft dropped meanwhile left behind goes first. */
	rc = reg_draft_drop();
	if (rc == 0)
		rc = copy_values(1);
	snprintf(now, sizeof now, "%lld", (long long)util_now());
	if (rc == 0)
		rc = db_setting_set(REG_DRAFT_STARTED, now);
	if (rc == 0)
		rc = touch();
	if ((rc = db_end(rc)) != 0) {
		log_err("registration: cannot start the wizard's draft");
	}
	return rc;
}

/* Drop the wizard's draft (settings and secrets). */
int
reg_draft_discard(void)
{
	int rc;

	if ((rc = db_begin()) != 0)
		return rc;
	return db_end(reg_draft_drop());
}

/*
 * Make the draft the live registration, record the outcome (ip, url,
 * extension key, portal registration id, time) and drop the draft: one
 * transaction.  Returns 0 or an error (nothing changed).
 */
int
reg_commit(const struct reg_outcome *o)
{
	char now[32];
	int rc;

	if ((rc = db_begin()) != 0)
		return rc;
	/* A draft discarded meanwhile (by the administrator elsewhere, or
	 * housekeeping) would copy emptiness over the live values. */
	rc = reg_draft_exists() ? copy_values(0) : CONN_ENOTFOUND;
	snprintf(now, sizeof now, "%lld", (long long)util_now());
	if (rc == 0)
		rc = db_setting_set(REG_AT, now);
	if (rc == 0)
		rc = db_setting_set(REG_IP, o->ip);
	if (rc == 0)
		rc = db_setting_set(REG_URL, o->url);
	if (rc == 0)
		rc = db_setting_set(REG_EXTENSION, o->extension_key);
	if (rc == 0)
		rc = db_setting_set(REG_PORTAL_ID, o->portal_id);
	if (rc == 0)
		rc = db_setting_delete(REG_PENDING);
	if (rc == 0)
		rc = reg_draft_drop();
	if ((rc = db_end(rc)) != 0) {
		log_err("registration: cannot store the registration");
	}
	return rc;
}

/*
 * Forget the registration: every registration setting and stored
 * credential, and any draft.  One transaction.
 */
int
reg_clear(void)
{
	int rc;

	if ((rc = db_begin()) != 0)
		return rc;
	for (size_t i = 0; i < sizeof settings / sizeof settings[0] && !rc;
	    i++)
		rc = db_setting_delete(settings[i]);
	for (size_t i = 0; i < sizeof outcome / sizeof outcome[0] && !rc; i++)
		rc = db_setting_delete(outcome[i]);
	if (rc == 0)
		rc = db_setting_delete(REG_PENDING);
	for (size_t i = 0; i < sizeof secrets / sizeof secrets[0] && !rc; i++) {
		rc = secret_delete(secrets[i]);
		if (rc == CONN_ENOTFOUND)
			rc = 0;
	}
	if (rc == 0)
		rc = reg_draft_drop();
	if ((rc = db_end(rc)) != 0) {
		log_err("registration: cannot clear the registration");
	}
	return rc;
}

/* 1 when outbound peers on loopback addresses are allowed (a test or
 * demonstration instance, set by `connector-setup init`). */
int
reg_allow_loopback(void)
{
	char v[8];

	return reg_value(SETTING_ALLOW_LOOPBACK, 0, v, sizeof v) == 0 &&
	    strcmp(v, "1") == 0;
}

/*
 * Fill n with the outbound options of the registration (the draft's when
 * draft is set).  For vCenter (outward 0) the connection is direct and the
 * pinned thumbprint is the trust; for AWS and the portal (outward 1) the
 * proxy applies, and AWS_CA_BUNDLE names extra CAs as the AWS tools do.
 * Peers' addresses are checked against the address policy.  Wipe with
 * reg_net_wipe.
 */
int
reg_net_load(struct reg_net *n, int draft, int outward)
{
	char port[8], validation[8];
	struct buf pw = { 0 };
	const char *ca;
	int rc;

	memset(n, 0, sizeof *n);
	n->opts.connect_timeout_ms = 10000;
	n->opts.total_timeout_ms = 30000;
	n->opts.refuse_internal = 1;
	n->opts.allow_loopback = reg_allow_loopback();
	if (reg_value(SETTING_TLS_VALIDATION, 0, validation, sizeof validation) ==
	    0 && strcmp(validation, "off") == 0)
		n->opts.insecure = 1;
	if (!outward) {
		reg_value(REG_VC_THUMBPRINT, draft, n->pin, sizeof n->pin);
		if (n->pin[0])
			n->opts.pin_thumbprint = n->pin;
		return 0;
	}
	if ((ca = getenv("AWS_CA_BUNDLE")) != NULL && *ca) {
		snprintf(n->ca_file, sizeof n->ca_file, "%s", ca);
		n->opts.ca_file = n->ca_file;
	}
	reg_value(REG_PROXY_HOST, draft, n->proxy_host, sizeof n->proxy_host);
	if (n->proxy_host[0] == '\0')
		return 0;
	reg_value(REG_PROXY_PORT, draft, port, sizeof port);
	reg_value(REG_PROXY_USER, draft, n->proxy_user, sizeof n->proxy_user);
	reg_value(REG_NO_PROXY, draft, n->no_proxy, sizeof n->no_proxy);
	n->opts.proxy_host = n->proxy_host;
	n->opts.proxy_port = atoi(port);
	if (n->no_proxy[0])
		n->opts.no_proxy = n->no_proxy;
	if (n->proxy_user[0]) {
		n->opts.proxy_user = n->proxy_user;
		rc = reg_secret(REG_PROXY_PASSWORD, draft, &pw);
		if (rc == 0 && pw.len < sizeof n->proxy_password)
			memcpy(n->proxy_password, pw.data, pw.len + 1);
		else if (rc != 0 && rc != CONN_ENOTFOUND) {
			buf_free(&pw);
			return rc;
		}
		buf_free(&pw);
		n->opts.proxy_password = n->proxy_password;
	}
	return 0;
}

void
reg_net_wipe(struct reg_net *n)
{
	OPENSSL_cleanse(n->proxy_password, sizeof n->proxy_password);
}

/* The region names the wizard offers, in the order shown. */
const char *const reg_regions[] = {
	"us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1",
	"eu-central-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1",
	"eu-south-1", "ap-south-1", "ap-northeast-1", "ap-northeast-2",
	"ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "ap-east-1",
	"sa-east-1", "me-south-1", "af-south-1", NULL,
};

/* 1 when region is one of reg_regions. */
int
reg_region_known(const char *region)
{
	for (size_t i = 0; reg_regions[i]; i++)
		if (strcmp(reg_regions[i], region) == 0)
			return 1;
	return 0;
}

/*
 * Fill pc with the stored portal key (the draft's when draft is set), as
 * portal_config_parse checks it.  Returns 0, CONN_ENOTFOUND when no key is
 * stored, or an error.  Wipe pc with portal_config_wipe.
 */
int
reg_portal_config(struct portal_config *pc, int draft)
{
	char name[65], id[129], endpoint[513], why[300];
	struct buf sec = { 0 };
	json_t *doc;
	char *text;
	int rc;

	memset(pc, 0, sizeof *pc);
	if (reg_value(REG_PORTAL_KEY_NAME, draft, name, sizeof name) != 0 ||
	    reg_value(REG_PORTAL_KEY_ID, draft, id, sizeof id) != 0 ||
	    reg_value(REG_PORTAL_ENDPOINT, draft, endpoint,
	    sizeof endpoint) != 0)
		return CONN_ENOTFOUND;
	if ((rc = reg_secret(REG_PORTAL_SECRET, draft, &sec)) != 0)
		return rc;
	doc = json_pack("{s:s, s:i, s:s, s:s, s:s%, s:s}", "format",
	    "connector-portal-config", "version", 1, "key_name", name,
	    "key_id", id, "secret", sec.data ? sec.data : "", sec.len,
	    "endpoint", endpoint);
	buf_free(&sec);
	if (doc == NULL)
		return CONN_ENOMEM;
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);	/* the copy of the secret in it is not wiped */
	if (text == NULL)
		return CONN_ENOMEM;
	rc = portal_config_parse(text, strlen(text), pc, why, sizeof why);
	OPENSSL_cleanse(text, strlen(text));
	free(text);
	if (rc != 0)
		log_err("registration: the stored portal key does not parse: "
		    "%s", why);
	return rc;
}

/*
 * Read an uploaded portal configuration file into pc: parsed, and its
 * endpoint one the connector may connect to.  Returns 0, or CONN_EINVAL
 * with why (one sentence, never the secret) and pc wiped.
 */
int
reg_portal_file(const char *data, size_t len, struct portal_config *pc,
    char *why, size_t whylen)
{
	if (portal_config_parse(data, len, pc, why, whylen) != 0)
		return CONN_EINVAL;
	if (!syntax_peer_literal(pc->host, reg_allow_loopback())) {
		portal_config_wipe(pc);
		snprintf(why, whylen, "The file names a portal endpoint the "
		    "connector may not connect to.");
		return CONN_EINVAL;
	}
	return 0;
}
