/*
 * check_update.c — Connector Up-to-Date: fetch the signed update manifest
 * (lib/manifest.c, docs/manifest.md), trust it only when its signature,
 * expiry and serial hold, and compare this build's version with it.
 *
 * The request is an anonymous GET, also before registration (a recall must
 * reach every connector): the signature, not the channel, makes the answer
 * trustworthy, and nothing secret is sent.  TLS is verified; the
 * registered proxy is used when there is one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "domain.h"
#include "check.h"
#include "manifest.h"

/* The details must fit the stored column (health.h), with room to spare. */
#define DETAILS_BUDGET (HEALTH_DETAILS_MAX - 96)
/* A recall's reason in the summary, bytes (the whole is in the details). */
#define SUMMARY_REASON_MAX 200

/* The host of url (https://HOST[:PORT]/...) into out. */
static void
url_host(const char *url, char *out, size_t outlen)
{
	const char *h = strncmp(url, "https://", 8) == 0 ? url + 8 : url;
	size_t n = strcspn(h, ":/?#");

	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, h, n);
	out[n] = '\0';
}

/* s cut to at most max bytes on a character boundary, with "…" when cut:
 * a new string (free it), or NULL. */
static char *
cut(const char *s, size_t max)
{
	size_t n = strlen(s);
	char *o;

	if (n <= max)
		return strdup(s);
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	if ((o = malloc(max + 4)) == NULL)
		return NULL;
	memcpy(o, s, max);
	memcpy(o + max, "\xe2\x80\xa6", 4);	/* … */
	return o;
}

/* Set key of o to s cut to max bytes. */
static void
set_cut(json_t *o, const char *key, const char *s, size_t max)
{
	char *c = cut(s, max);

	if (c)
		json_object_set_new(o, key, json_string(c));
	free(c);
}

/*
 * Make d fit DETAILS_BUDGET by shortening the longest release notes (in
 * "notes" and "recall"), then dropping the oldest entries of "notes"; says
 * so with "notes_shortened".
 */
static void
fit_details(json_t *d)
{
	json_t *list = json_object_get(d, "notes");
	json_t *recall = json_object_get(d, "recall");

	for (int round = 0; round < 200; round++) {
		json_t *longest = NULL;
		size_t len = 0, i;
		json_t *e;

		if (json_dumpb(d, NULL, 0, JSON_COMPACT) <= DETAILS_BUDGET)
			return;
		json_object_set_new(d, "notes_shortened", json_true());
		json_array_foreach(list, i, e) {
			json_t *n = json_object_get(e, "notes");
			if (json_string_length(n) > len) {
				longest = e;
				len = json_string_length(n);
			}
		}
		if (recall && json_string_length(json_object_get(recall,
		    "notes")) > len) {
			longest = recall;
			len = json_string_length(json_object_get(recall,
			    "notes"));
		}
		if (longest && len > 64)
			set_cut(longest, "notes", json_string_value(
			    json_object_get(longest, "notes")), len / 2);
		else if (json_array_size(list) > 1)
			json_array_remove(list, json_array_size(list) - 1);
		else
			return;
	}
}

/* One entry of "notes": {version, released, notes}. */
static json_t *
note_of(const struct manifest_version *v)
{
	return json_pack("{s:s, s:s, s:s}", "version", v->version,
	    "released", v->released, "notes", v->notes);
}

/* Every offered version above this one, newest first, into d's "notes". */
static void
newer_notes(json_t *d, const struct manifest *m)
{
	json_t *list = json_array();
	const struct manifest_version **v;
	size_t n = 0;

	if (list == NULL || (v = calloc(m->nversions, sizeof *v)) == NULL) {
		json_decref(list);
		return;
	}
	for (size_t i = 0; i < m->nversions; i++) {
		size_t k;
		if (manifest_version_cmp(m->versions[i].version,
		    CONNECTOR_VERSION) <= 0)
			continue;
		for (k = n; k > 0 && manifest_version_cmp(v[k - 1]->version,
		    m->versions[i].version) < 0; k--)
			v[k] = v[k - 1];
		v[k] = &m->versions[i];
		n++;
	}
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, note_of(v[i]));
	free(v);
	json_object_set_new(d, "notes", list);
}

/*
 * Keep the manifest's serial as the last one accepted when it is higher.
 * The one write a check makes (checks write nothing else; the runner
 * stores their results): without it an old, validly signed manifest
 * could be served again to hide a recall.  Re-read inside the transaction
 * so a concurrent run never lowers it.
 */
static void
keep_serial(long long serial, const struct timespec *deadline)
{
	struct timespec now;
	char v[32];
	long long stored = 0, ms;
	int rc;

	/* Wait for another writer only as long as the check may still run:
	 * a busy database must not make the update server look silent. */
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000LL +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
	sqlite3_busy_timeout(db_handle(), ms < 100 ? 100 : (int)ms);
	if (db_begin() != 0) {
		log_warn("update manifest: serial %lld not kept", serial);
		return;
	}
	if (db_setting_copy(MANIFEST_SERIAL_SETTING, v, sizeof v) == 0)
		stored = strtoll(v, NULL, 10);
	rc = 0;
	if (serial > stored) {
		snprintf(v, sizeof v, "%lld", serial);
		rc = db_setting_set(MANIFEST_SERIAL_SETTING, v);
	}
	if (db_end(rc) != 0)
		log_warn("update manifest: serial %lld not kept", serial);
}

/* The summary of a refused manifest: why it is not trusted, what to do. */
static void
untrusted(struct health_result *r, enum manifest_refusal why,
    const struct manifest *m, const char *host)
{
	const char *key = m->key == MANIFEST_KEY_TEST ? "the test key" :
	    "the connector's release key";

	switch (why) {
	case MANIFEST_R_SIGNATURE:
		health_set(r, HEALTH_ERROR, "The update information could not "
		    "be trusted: its signature does not match %s. Nothing was "
		    "changed; something between the connector and %s may alter "
		    "its answers (a proxy that rewrites content): check the "
		    "proxy, check again, and contact support if it persists.",
		    key, host);
		break;
	case MANIFEST_R_KEY_UNKNOWN:
		health_set(r, HEALTH_ERROR, "The update information could not "
		    "be trusted: it is signed with a key this connector does "
		    "not know (%s). Nothing was changed; check that the update "
		    "URL (setting update.url) is the vendor's, and contact "
		    "support if it is.", m->key_id);
		break;
	case MANIFEST_R_TEST_KEY:
		health_set(r, HEALTH_ERROR, "The update information could not "
		    "be trusted: it is signed with the test key, which only "
		    "test instances accept. Nothing was changed; set the update "
		    "URL (setting update.url) back to the vendor's.");
		break;
	case MANIFEST_R_EXPIRED:
		health_set(r, HEALTH_ERROR, "The update information could not "
		    "be trusted: it expired at %s, so it may hide a newer "
		    "recall. Nothing was changed; check that the system time is "
		    "right, then check again later; contact support if it "
		    "persists.", m->expires);
		break;
	case MANIFEST_R_REPLAYED:
		health_set(r, HEALTH_ERROR, "The update information could not "
		    "be trusted: it is older (serial %lld) than the information "
		    "the connector already accepted, so it may hide a recall. "
		    "Nothing was changed; check again later, and check the "
		    "proxy and the update URL (setting update.url) if it "
		    "persists.", m->serial);
		break;
	default:
		health_set(r, HEALTH_ERROR, "The update information could not "
		    "be trusted: %s did not answer with update information this "
		    "connector can read. Nothing was changed; check that the "
		    "update URL (setting update.url) is the vendor's, and "
		    "contact support if it is.", host);
		break;
	}
}

/* The summary of a transport failure: a warning, the connector works. */
static void
unreachable(struct health_result *r, const struct http_error *e,
    const char *host, int timeout)
{
	char why[600];

	switch (e->kind) {
	case HTTP_EDNS:
		snprintf(why, sizeof why, "the name %s does not resolve (DNS)",
		    host);
		break;
	case HTTP_ECONNECT:
		if (e->cause == HTTP_C_POLICY)
			snprintf(why, sizeof why, "%s resolves to an address "
			    "the connector may not connect to", host);
		else
			snprintf(why, sizeof why, "nothing answered at %s",
			    host);
		break;
	case HTTP_EPROXY:
		snprintf(why, sizeof why, "the proxy did not let it through to "
		    "%s", host);
		break;
	case HTTP_ETLS:
		snprintf(why, sizeof why, "the secure connection to %s failed "
		    "(its certificate is not trusted, or the handshake broke)",
		    host);
		break;
	case HTTP_ETIMEOUT:
		snprintf(why, sizeof why, "%s did not answer within %d s",
		    host, timeout);
		break;
	default:
		snprintf(why, sizeof why, "the connection to %s failed", host);
		break;
	}
	health_set(r, HEALTH_WARNING, "The connector could not check for "
	    "updates: %s. It keeps working, but new versions and recalls are "
	    "not known until the update server answers; check the network, "
	    "DNS and proxy settings, and the update URL (setting update.url).",
	    why);
}

/* Compare this version with the accepted manifest m and say so. */
static void
compare(struct health_result *r, json_t *d, const struct manifest *m)
{
	const struct manifest_recall *rc = manifest_recall_of(m,
	    CONNECTOR_VERSION);
	const struct manifest_version *fix = NULL;
	int newer = manifest_version_cmp(m->latest, CONNECTOR_VERSION) > 0;
	int below = manifest_version_cmp(CONNECTOR_VERSION,
	    m->minimum_version) < 0;
	json_t *rec;
	char *reason;

	json_object_set_new(d, "values", json_pack("{s:i, s:i}",
	    "update_available", newer, "recalled", rc != NULL));
	if (newer || below)
		newer_notes(d, m);
	if (rc) {
		if (rc->fixed_in[0])
			fix = manifest_find(m, rc->fixed_in);
		rec = json_pack("{s:s, s:s, s:s, s:s}", "reason", rc->reason,
		    "fixed_in", rc->fixed_in, "downgrade_to", rc->downgrade_to,
		    "notes", fix ? fix->notes : "");
		json_object_set_new(d, "recall", rec);
		reason = cut(rc->reason, SUMMARY_REASON_MAX);
		if (rc->downgrade_to[0])
			health_set(r, HEALTH_ERROR, "This version (%s) has been "
			    "recalled: %s. A downgrade to %s is available; "
			    "What will be fixed? explains.", CONNECTOR_VERSION,
			    reason ? reason : "", rc->downgrade_to);
		else if (fix)
			health_set(r, HEALTH_ERROR, "This version (%s) has been "
			    "recalled: %s. Version %s fixes it: upgrade; What "
			    "will be fixed? explains.", CONNECTOR_VERSION,
			    reason ? reason : "", fix->version);
		else
			health_set(r, HEALTH_ERROR, "This version (%s) has been "
			    "recalled: %s. No replacement is offered yet; What "
			    "will be fixed? explains, and the connector checks "
			    "again every minute.", CONNECTOR_VERSION,
			    reason ? reason : "");
		free(reason);
	} else if (below)
		health_set(r, HEALTH_ERROR, "This version (%s) is no longer "
		    "supported: the minimum is %s. Upgrade to %s; What's new? "
		    "shows its release notes.", CONNECTOR_VERSION,
		    m->minimum_version, m->latest);
	else if (newer)
		health_set(r, HEALTH_WARNING, "Version %s is available (you "
		    "have %s). What's new? shows its release notes.", m->latest,
		    CONNECTOR_VERSION);
	else if (manifest_version_cmp(m->latest, CONNECTOR_VERSION) == 0)
		health_set(r, HEALTH_OK, "Up to date: version %s is the "
		    "latest.", CONNECTOR_VERSION);
	else
		health_set(r, HEALTH_OK, "Up to date: version %s is newer than "
		    "the latest published (%s).", CONNECTOR_VERSION, m->latest);
	fit_details(d);
}

void
check_uptodate(const struct health_env *env, struct health_result *r,
    json_t *d)
{
	const char *const headers[] = { "Accept: application/json", NULL };
	char url[MANIFEST_URL_MAX + 1], host[256], serial[32], detail[300];
	struct manifest_policy pol = { 0 };
	struct http_response resp = { 0 };
	struct http_client cl = { 0 };
	struct http_req rq = { 0 };
	struct http_error herr;
	enum manifest_refusal why;
	struct manifest m = { 0 };
	struct reg_net n;
	struct timespec deadline;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += env->timeout;
	if (!manifest_version_valid(CONNECTOR_VERSION)) {
		json_object_set_new(d, "stage", json_string("local"));
		health_set(r, HEALTH_ERROR, "This build's version (%.40s) is "
		    "not a version the update information can be compared "
		    "with (dotted numbers), so updates and recalls cannot be "
		    "checked. Install a release build.", CONNECTOR_VERSION);
		return;
	}
	rc = db_setting_copy(MANIFEST_URL_SETTING, url, sizeof url);
	if (rc == CONN_ENOTFOUND || (rc == 0 && !url[0]))
		snprintf(url, sizeof url, "%s", MANIFEST_URL_DEFAULT);
	else if (rc != 0 || strncmp(url, "https://", 8) != 0 ||
	    strlen(url) <= 8 || strpbrk(url, " \t\r\n") != NULL) {
		json_object_set_new(d, "stage", json_string("local"));
		health_set(r, HEALTH_ERROR, "The update URL (setting "
		    "update.url) is not an https:// address, so the connector "
		    "cannot check for updates. Set it to the vendor's address, "
		    "or remove it to use the default.");
		return;
	}
	url_host(url, host, sizeof host);
	json_object_set_new(d, "endpoint", json_string(url));
	json_object_set_new(d, "version", json_string(CONNECTOR_VERSION));

	/* The registration's outbound options: its proxy only when
	 * registered (an unregistered connector goes direct). */
	if ((rc = reg_net_load(&n, 0, 1)) != 0) {
		json_object_set_new(d, "stage", json_string("local"));
		health_set(r, HEALTH_ERROR, "The connector could not read its "
		    "proxy settings to check for updates. Details are in %s.",
		    paths_get(PATH_LOGFILE));
		return;
	}
	if (!reg_registered()) {
		n.opts.proxy_host = NULL;
		n.opts.proxy_user = n.opts.proxy_password = NULL;
	}
	n.opts.connect_timeout_ms = n.opts.total_timeout_ms =
	    env->timeout * 1000L;
	n.opts.max_response = MANIFEST_ENVELOPE_MAX;
	if (n.opts.proxy_host)
		json_object_set_new(d, "proxy", json_sprintf("%s:%d",
		    n.opts.proxy_host, n.opts.proxy_port));
	rq.url = url;
	rq.headers = headers;
	if ((rc = http_client_init(&cl, &n.opts)) != 0) {
		reg_net_wipe(&n);
		json_object_set_new(d, "stage", json_string("local"));
		health_set(r, HEALTH_ERROR, "The connector could not start a "
		    "connection to check for updates: it is out of memory.");
		return;
	}
	rc = http_request(&cl, &rq, &resp, &herr);
	http_client_free(&cl);
	reg_net_wipe(&n);
	check_timings(d, &resp.timing);

	if (rc != 0 && herr.kind == HTTP_ETOOBIG) {
		json_object_set_new(d, "stage", json_string("response"));
		json_object_set_new(d, "error", json_string(herr.detail));
		json_object_set_new(d, "refusal", json_string(
		    manifest_refusal_id(MANIFEST_R_TOOBIG)));
		untrusted(r, MANIFEST_R_TOOBIG, &m, host);
		goto out;
	}
	if (rc != 0) {
		json_object_set_new(d, "stage", json_string(check_stage(&herr)));
		json_object_set_new(d, "error", json_string(herr.detail));
		unreachable(r, &herr, host, env->timeout);
		goto out;
	}
	if (resp.status != 200) {
		json_object_set_new(d, "stage", json_string("http"));
		json_object_set_new(d, "error", json_sprintf("HTTP status %ld",
		    resp.status));
		health_set(r, HEALTH_WARNING, "The connector could not check "
		    "for updates: %s answered HTTP %ld instead of the update "
		    "information. It keeps working, but new versions and recalls "
		    "are not known until the update server answers; check the "
		    "update URL (setting update.url), and contact support if it "
		    "is the vendor's.", host, resp.status);
		goto out;
	}

	pol.now = env->now;
	pol.allow_test_key = reg_allow_loopback();
	if (db_setting_copy(MANIFEST_SERIAL_SETTING, serial,
	    sizeof serial) == 0)
		pol.last_serial = strtoll(serial, NULL, 10);
	rc = manifest_verify(resp.body.data ? resp.body.data : "",
	    resp.body.len, &pol, &m, &why, detail, sizeof detail);
	if (m.key_id[0])
		json_object_set_new(d, "key_id", json_string(m.key_id));
	if (why == MANIFEST_R_SIGNATURE)
		json_object_set_new(d, "signature", json_sprintf("does not "
		    "match the %s", manifest_key_name(m.key)));
	else if (why == MANIFEST_R_TEST_KEY)
		json_object_set_new(d, "signature", json_string("signed with "
		    "the test key, refused outside test mode"));
	else if (m.key_id[0] && why != MANIFEST_R_KEY_UNKNOWN)
		json_object_set_new(d, "signature", json_sprintf("signed with "
		    "the %s%s", manifest_key_name(m.key), m.key ==
		    MANIFEST_KEY_TEST ? " (accepted only in test mode)" : ""));
	if (m.serial) {
		json_object_set_new(d, "serial", json_integer(m.serial));
		json_object_set_new(d, "published", json_string(m.published));
		json_object_set_new(d, "expires", json_string(m.expires));
	}
	if (rc != 0) {
		json_object_set_new(d, "stage", json_string("response"));
		if (why != MANIFEST_ACCEPTED) {
			json_object_set_new(d, "refusal", json_string(
			    manifest_refusal_id(why)));
			json_object_set_new(d, "error", json_string(detail));
			if (pol.last_serial)
				json_object_set_new(d, "last_serial",
				    json_integer(pol.last_serial));
			untrusted(r, why, &m, host);
		} else
			health_set(r, HEALTH_ERROR, "The connector could not "
			    "check the update information's signature "
			    "(OpenSSL failed). Details are in %s.",
			    paths_get(PATH_LOGFILE));
		goto out;
	}
	keep_serial(m.serial, &deadline);
	json_object_set_new(d, "latest", json_string(m.latest));
	json_object_set_new(d, "minimum_version",
	    json_string(m.minimum_version));
	compare(r, d, &m);
out:
	manifest_free(&m);
	http_response_free(&resp);
}
