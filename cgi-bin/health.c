/*
 * health — the Health Status pages behind the dashboard's pane:
 *
 *   POST /health/check      Check now: starts a run of the health job in
 *                           the background, then /health/run
 *   GET  /health/run        ?after=ID&at=T: while the run started after
 *                           run ID goes on, a page that refreshes itself;
 *                           when it is done, the dashboard with a notice
 *                           counting the states (safe to reload)
 *   GET  /health/log        ?item=ID: the item's history, newest first,
 *                           each result with its details in words
 *   GET  /api/health        the items as JSON, with the session or the
 *                           read-only API token
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "../lib/core.h"
#include "../lib/domain.h"
#include "../lib/health.h"
#include "../lib/healthview.h"

#define LOG_SHOWN 100		/* entries on an item's error log page */
#define RUN_REFRESH 2		/* seconds between the run page's reloads */
/* A run that has not shown itself this long after Check now did not
 * start. */
#define RUN_START_GRACE 20

/* ---- Check now and its run ---- */

static int
page_check(struct app_ctx *c)
{
	long long newest = 0, before = 0;
	time_t ended;
	int running = 0, rc;
	char path[96];

	/* A run already going when Check now is pressed answers for it: its
	 * results are the newest there will be, and the new run is skipped
	 * while it holds the job's lock. */
	if (job_newest(HEALTH_JOB, &newest, &ended, &running) != 0)
		return 500;
	if ((rc = health_start(&before)) != 0) {
		log_err("health: Check now could not start a run (%d)", rc);
		app_audit(c, "check health: could not start");
		app_error_message(c, "The health check could not be started: "
		    "the connector could not start a process for it. The "
		    "scheduled check still runs every minute; if this keeps "
		    "happening, restart the connector's services from the VM "
		    "console.");
		return 503;
	}
	if (running && before == newest)
		before--;
	app_audit(c, "check health");
	if (before > 0)
		snprintf(path, sizeof path, "/health/run?after=%lld&at=%lld",
		    before, (long long)util_now());
	else
		snprintf(path, sizeof path, "/health/run?at=%lld",
		    (long long)util_now());
	return app_redirect(c, path);
}

/* "Health checked: 9 OK, 1 warning, 1 error." */
static void
run_notice(const struct health_table *rs, char *out, size_t outlen)
{
	int n[HEALTH_ERROR + 1] = { 0 };

	for (size_t i = 0; i < rs->n; i++)
		n[rs->rows[i].state]++;
	snprintf(out, outlen, "Health checked: %d OK, %d warning%s, %d "
	    "error%s%s", n[HEALTH_OK], n[HEALTH_WARNING],
	    n[HEALTH_WARNING] == 1 ? "" : "s", n[HEALTH_ERROR],
	    n[HEALTH_ERROR] == 1 ? "" : "s", n[HEALTH_NA] ? "" : ".");
	if (n[HEALTH_NA])
		snprintf(out + strlen(out), outlen - strlen(out), ", %d not "
		    "applicable yet.", n[HEALTH_NA]);
}

/* The newest health run's outcome, start and error (jobs table). */
static int
run_outcome(char *outcome, size_t olen, time_t *started, char *error,
    size_t elen)
{
	sqlite3_stmt *st = db_stmt(DB_JOB_LAST);
	int rc;

	*outcome = *error = '\0';
	*started = 0;
	if (st == NULL)
		return CONN_EDB;
	sqlite3_bind_text(st, 1, HEALTH_JOB, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, 0);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(outcome, olen, "%s",
		    (const char *)sqlite3_column_text(st, 0));
		*started = (time_t)sqlite3_column_int64(st, 1);
		snprintf(error, elen, "%s",
		    (const char *)sqlite3_column_text(st, 4));
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : CONN_EDB;
}

static int
page_run(struct app_ctx *c)
{
	const char *a = app_field(c, F_AFTER), *t = app_field(c, F_AT);
	long long after = a ? strtoll(a, NULL, 10) : 0, newest;
	time_t at = t ? (time_t)strtoll(t, NULL, 10) : 0, ended, started,
	    now = util_now();
	char outcome[16], error[JOB_ERROR_MAX], msg[AUTH_NOTICE_MAX];
	static struct health_table rs;
	int running;

	if (job_newest(HEALTH_JOB, &newest, &ended, &running) != 0)
		return 500;
	if (newest < after) {
		app_error_message(c, "There is no such health check. Choose "
		    "Check now on the dashboard to check the connector's "
		    "health.");
		return 404;
	}
	app_template(c, "health-run.cs", "Checking the connector's health");
	if (newest > after && !running) {
		if (run_outcome(outcome, sizeof outcome, &started, error,
		    sizeof error) != 0 || health_table_read(&rs) != 0)
			return 500;
		if (strcmp(outcome, "ok") != 0) {
			snprintf(msg, sizeof msg, "The health check did not "
			    "finish: %s The items show what the last checks "
			    "found; the next scheduled check runs within a "
			    "minute.", error[0] ? error : "it stopped.");
			return app_redirect_warning(c, "/", msg);
		}
		run_notice(&rs, msg, sizeof msg);
		return app_redirect_notice(c, "/", msg);
	}
	if (newest > after) {
		if (run_outcome(outcome, sizeof outcome, &started, error,
		    sizeof error) != 0)
			return 500;
	} else {
		/* Not started yet: it has a few seconds to show itself. */
		started = at;
		if (at <= 0 || now - at > RUN_START_GRACE || at > now + 5) {
			app_set(c, "failed", "1");
			app_set_int(c, "grace", RUN_START_GRACE);
			return 200;
		}
	}
	app_set(c, "refresh", "2");
	app_set_int(c, "started_ago", started > 0 && now > started ?
	    (long long)(now - started) : 0);
	return 200;
}

/* ---- an item's error log ---- */

/*
 * The facts' labels in the administrator's words, by the key the checks
 * store them under (lib/check*.c), with the unit of a number.  A nested
 * object's keys are looked up here too, and shown in lower case after the
 * first ("warning above 15 s, error above 300 s").
 */
static const struct {
	const char *key, *label, *unit;
} fact_labels[] = {
	{ "access_key_id", "Access key ID", NULL },
	{ "account", "AWS account", NULL },
	{ "address", "Address", NULL },
	{ "addresses", "Addresses", NULL },
	{ "api_version", "vCenter API version", NULL },
	{ "arn", "Signed in to AWS as", NULL },
	{ "asked_at", "AWS last asked", NULL },
	{ "at", "At", NULL },
	{ "aws_date", "Time at AWS (its Date header)", NULL },
	{ "bits", "Bits", NULL },
	{ "call", "Call", NULL },
	{ "certificate_expiry_seconds", "Time left until it expires", "s" },
	{ "counts", "Counted by the last run", NULL },
	{ "covers_address", "Names the address in use", NULL },
	{ "current", "Address in use now", NULL },
	{ "disk_free_bytes_log", "Free for the logs", "bytes" },
	{ "disk_free_bytes_state", "Free for the state", "bytes" },
	{ "disk_free_percent_log", "Free for the logs", "%" },
	{ "disk_free_percent_state", "Free for the state", "%" },
	{ "endpoint_aws", "AWS endpoint", NULL },
	{ "endpoint_vcenter", "vCenter endpoint", NULL },
	{ "error_aws", "AWS error", NULL },
	{ "error_below_bytes", "Error below", "bytes" },
	{ "error_seconds", "Error above", "s" },
	{ "error_vcenter", "vCenter error", NULL },
	{ "expiration", "Temporary credentials expire", NULL },
	{ "expires", "Manifest expires", NULL },
	{ "failed", "Failed sign-ins", NULL },
	{ "failed_sign_ins", "Failed sign-ins", NULL },
	{ "failures_began", "First failure", NULL },
	{ "free", "Free", "bytes" },
	{ "interval_seconds", "Runs every", "s" },
	{ "issuer", "Issuer", NULL },
	{ "key", "Key", NULL },
	{ "key_id", "Signing key", NULL },
	{ "last_failure", "Last failure", NULL },
	{ "last_run", "Last run", NULL },
	{ "last_serial", "Last accepted manifest serial", NULL },
	{ "last_success", "Last success", NULL },
	{ "last_success_age_seconds", "Time since the last success", "s" },
	{ "latest", "Latest version", NULL },
	{ "limit_seconds", "Time limit", "s" },
	{ "listen", "Console listens on", NULL },
	{ "locked", "Locked", NULL },
	{ "locked_at", "Locked at", NULL },
	{ "log", "Log directory", NULL },
	{ "minimum_version", "Minimum version", NULL },
	{ "names", "Names", NULL },
	{ "next_ask_at", "AWS asked next", NULL },
	{ "not_after", "Valid until", NULL },
	{ "not_before", "Valid from", NULL },
	{ "note", "Note", NULL },
	{ "notes_shortened", "Release notes shortened", NULL },
	{ "offset_aws_seconds", "Clock offset to AWS", "s" },
	{ "offset_vcenter_seconds", "Clock offset to vCenter", "s" },
	{ "outcome", "Last outcome", NULL },
	{ "path", "Path", NULL },
	{ "percent", "Free", "%" },
	{ "pinned_thumbprint", "Pinned thumbprint", NULL },
	{ "product", "Product", NULL },
	{ "proxy", "Network proxy", NULL },
	{ "proxy_user", "Proxy user", NULL },
	{ "published", "Manifest published", NULL },
	{ "recalled", "This version recalled", NULL },
	{ "refusal", "Refused because", NULL },
	{ "region", "AWS region", NULL },
	{ "registered", "Registered address", NULL },
	{ "role_arn", "IAM role", NULL },
	{ "round_trip_aws_seconds", "Round trip to AWS", "s" },
	{ "round_trip_vcenter_seconds", "Round trip to vCenter", "s" },
	{ "seen_subject", "Certificate subject shown now", NULL },
	{ "seen_thumbprint", "Thumbprint shown now", NULL },
	{ "self_signed", "Self-signed", NULL },
	{ "serial", "Manifest serial", NULL },
	{ "sha1", "SHA-1 fingerprint", NULL },
	{ "sha256", "SHA-256 fingerprint", NULL },
	{ "signature", "Signature", NULL },
	{ "since", "Since", NULL },
	{ "since_event", "Counted since", NULL },
	{ "sources_period", "Sources listed", NULL },
	{ "stage_aws", "AWS failed", NULL },
	{ "stage_vcenter", "vCenter failed", NULL },
	{ "state", "State directory", NULL },
	{ "status", "HTTP status", NULL },
	{ "subject", "Subject", NULL },
	{ "thresholds", "Thresholds", NULL },
	{ "total", "Size", "bytes" },
	{ "type", "Type", NULL },
	{ "update_available", "Update available", NULL },
	{ "user", "Service account", NULL },
	{ "version", "Version", NULL },
	{ "warning_seconds", "Warning above", "s" },
};

/* The keys never shown: a digest of the settings the check compares
 * with its last run means nothing to an administrator. */
static int
hidden_key(const char *key)
{
	return strcmp(key, "settings_digest") == 0;
}

/* The label and unit of key; a key not in the table (a newer version
 * wrote it) reads as its words: "free_ratio" as "Free ratio". */
static const char *
key_label(const char *key, char *out, size_t outlen, const char **unit)
{
	size_t i;

	*unit = NULL;
	for (i = 0; i < sizeof fact_labels / sizeof fact_labels[0]; i++)
		if (strcmp(key, fact_labels[i].key) == 0) {
			*unit = fact_labels[i].unit;
			snprintf(out, outlen, "%s", fact_labels[i].label);
			return out;
		}
	for (i = 0; key[i] && i + 1 < outlen; i++)
		out[i] = key[i] == '_' ? ' ' : key[i];
	out[i] = '\0';
	if (out[0] >= 'a' && out[0] <= 'z')
		out[0] = (char)(out[0] - 'a' + 'A');
	return out;
}

/* A time stored as seconds since 1970, in UTC words. */
static void
time_words(time_t t, char *out, size_t outlen)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, outlen, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* n bytes in the disk check's words: "256 MiB", "38.4 GiB"; a number no
 * size can be (negative, too large) as it is. */
static void
bytes_words(double n, char *out, size_t outlen)
{
	if (n >= 0 && n < 18e18)
		util_size_words((unsigned long long)n, out, outlen);
	else
		snprintf(out, outlen, "%.0f bytes", n);
}

/* A JSON value as text: strings as they are, numbers with their unit,
 * yes/no, lists joined by commas, and an object as its labelled values
 * ("warning above 15 s, error above 300 s").  Keys ending in _at, and
 * "since", "last", "released" holding a number, are times; a stage is in
 * words.  depth stops nesting beyond an object in an object. */
static void
value_words(const char *key, const char *unit, json_t *v, char *out,
    size_t outlen, int depth)
{
	size_t kl = key ? strlen(key) : 0, len = 0;
	int is_time = key && (strcmp(key, "since") == 0 ||
	    strcmp(key, "last") == 0 || strcmp(key, "released") == 0 ||
	    strcmp(key, "at") == 0 ||
	    (kl > 3 && strcmp(key + kl - 3, "_at") == 0));
	enum health_state st;
	const char *k, *w;
	json_t *x;
	size_t i;
	char *s;

	out[0] = '\0';
	if (json_is_string(v) && key && strncmp(key, "stage", 5) == 0 &&
	    (w = health_stage_words(json_string_value(v))) != NULL)
		snprintf(out, outlen, "%s", w);
	else if (json_is_string(v))
		snprintf(out, outlen, "%s", json_string_value(v));
	else if (json_is_integer(v) && is_time && json_integer_value(v) > 0)
		time_words((time_t)json_integer_value(v), out, outlen);
	else if (json_is_number(v) && unit && strcmp(unit, "bytes") == 0)
		bytes_words(json_number_value(v), out, outlen);
	else if (json_is_integer(v))
		snprintf(out, outlen, "%lld%s%s",
		    (long long)json_integer_value(v),
		    unit && strcmp(unit, "%") != 0 ? " " : "", unit ? unit : "");
	else if (json_is_real(v))
		snprintf(out, outlen, "%g%s%s", json_real_value(v),
		    unit && strcmp(unit, "%") != 0 ? " " : "", unit ? unit : "");
	else if (json_is_true(v))
		snprintf(out, outlen, "yes");
	else if (json_is_false(v))
		snprintf(out, outlen, "no");
	else if (json_is_null(v))
		snprintf(out, outlen, "none");
	else if (json_is_array(v) && depth < 2) {
		json_array_foreach(v, i, x) {
			char one[512];
			value_words(NULL, NULL, x, one, sizeof one, depth + 1);
			if (len < outlen)
				len += (size_t)snprintf(out + len, outlen - len,
				    "%s%s", len ? ", " : "", one);
		}
	} else if (json_is_object(v) && depth < 2) {
		json_object_foreach(v, k, x) {
			char label[80], one[512];
			const char *u;
			if (hidden_key(k))
				continue;
			/* A job's counts are named by the job itself
			 * ("users", "failed" migrations): its words, not
			 * the labels of the item's facts. */
			if (key && strcmp(key, "counts") == 0) {
				size_t m;
				for (m = 0; k[m] && m + 1 < sizeof label; m++)
					label[m] = k[m] == '_' ? ' ' : k[m];
				label[m] = '\0';
				u = NULL;
			} else
				key_label(k, label, sizeof label, &u);
			value_words(k, u, x, one, sizeof one, depth + 1);
			/* A part's own state ("state" at the top is the
			 * state directory). */
			if (strcmp(k, "state") == 0 && json_is_string(x) &&
			    health_state_parse(json_string_value(x), &st) ==
			    0) {
				snprintf(label, sizeof label, "State");
				snprintf(one, sizeof one, "%s",
				    health_state_word(st));
			}
			/* After the first, labels read on in lower case,
			 * unless they start with a name (AWS, IAM). */
			if (len > 0 && label[0] >= 'A' && label[0] <= 'Z' &&
			    !(label[1] >= 'A' && label[1] <= 'Z'))
				label[0] = (char)(label[0] - 'A' + 'a');
			if (len < outlen)
				len += (size_t)snprintf(out + len, outlen - len,
				    "%s%s %s", len ? ", " : "", label, one);
		}
	} else if ((s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) !=
	    NULL) {
		snprintf(out, outlen, "%s", s);
		free(s);
	}
}

static void
value_text(const char *key, json_t *v, char *out, size_t outlen)
{
	const char *unit = NULL;
	char label[80];

	if (key)
		key_label(key, label, sizeof label, &unit);
	value_words(key, unit, v, out, outlen, 0);
}

/* One fact into <k>.facts.<n>: label and value. */
static void
fact(struct app_ctx *c, const char *k, int *n, const char *label,
    const char *value)
{
	char name[128];

	snprintf(name, sizeof name, "%s.facts.%d.label", k, *n);
	app_set(c, name, label);
	snprintf(name, sizeof name, "%s.facts.%d.value", k, *n);
	app_set(c, name, value);
	(*n)++;
}

/* The keys shown in a section of their own, not as facts. */
static int
own_section(const char *key)
{
	static const char *const keys[] = { "endpoint", "stage", "error",
	    "timings", "values", "notes", "recall", "sources" };

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strcmp(key, keys[i]) == 0)
			return 1;
	return 0;
}

/* A result's details (a JSON object) into <k>: where it failed, the
 * endpoint, the error, the timings, the item's facts and the sign-in
 * sources. */
static void
details_set(struct app_ctx *c, const char *k, json_t *d)
{
	static const struct { const char *key, *label; } timings[] = {
		{ "dns", "name lookup" }, { "connect", "connect" },
		{ "tls", "TLS handshake" }, { "first_byte", "first byte" },
		{ "total", "total" },
	};
	char name[128], v[2048], label[80];
	const char *key, *stage, *unit;
	json_t *x;
	int n = 0;

	if (!json_is_object(d))
		return;
	stage = json_string_value(json_object_get(d, "stage"));
	if (stage != NULL) {
		const char *w = health_stage_words(stage);
		fact(c, k, &n, "Failed", w ? w : stage);
	}
	if ((x = json_object_get(d, "endpoint")) != NULL) {
		value_text(NULL, x, v, sizeof v);
		fact(c, k, &n, "Endpoint", v);
	}
	if ((x = json_object_get(d, "error")) != NULL) {
		value_text(NULL, x, v, sizeof v);
		fact(c, k, &n, "Error", v);
	}
	if (json_is_object(x = json_object_get(d, "timings"))) {
		size_t len = 0;
		v[0] = '\0';
		for (size_t i = 0; i < sizeof timings / sizeof timings[0];
		    i++) {
			json_t *t = json_object_get(x, timings[i].key);
			if (json_is_number(t) && len < sizeof v)
				len += (size_t)snprintf(v + len, sizeof v - len,
				    "%s%s %.3f s", len ? ", " : "",
				    timings[i].label, json_number_value(t));
		}
		if (v[0])
			fact(c, k, &n, "Timings", v);
	}
	json_object_foreach(d, key, x) {
		if (own_section(key) || hidden_key(key))
			continue;
		key_label(key, label, sizeof label, &unit);
		value_words(key, unit, x, v, sizeof v, 0);
		fact(c, k, &n, label, v);
	}
	if (json_is_object(x = json_object_get(d, "values"))) {
		json_t *y;
		json_object_foreach(x, key, y) {
			key_label(key, label, sizeof label, &unit);
			value_words(key, unit, y, v, sizeof v, 0);
			fact(c, k, &n, label, v);
		}
	}
	if (json_is_array(x = json_object_get(d, "sources"))) {
		size_t i;
		json_t *s;
		json_array_foreach(x, i, s) {
			static const char *const cols[] = { "address",
			    "failed", "last" };
			if (i >= 20)
				break;
			for (size_t j = 0; j < 3; j++) {
				json_t *y = json_object_get(s, cols[j]);
				snprintf(name, sizeof name, "%s.sources.%zu.%s",
				    k, i, cols[j]);
				if (y == NULL)
					app_set(c, name, "");
				else {
					value_text(cols[j], y, v, sizeof v);
					app_set(c, name, v);
				}
			}
		}
	}
}

/* The up-to-date item's release notes and recall: sections of the page. */
static void
update_sections(struct app_ctx *c, json_t *d)
{
	char name[64], v[4096];
	json_t *x, *n;
	size_t i;

	if (json_is_array(x = json_object_get(d, "notes")))
		json_array_foreach(x, i, n) {
			static const char *const keys[] = { "version",
			    "released", "notes" };
			if (i >= 20)
				break;
			for (size_t j = 0; j < 3; j++) {
				json_t *y = json_object_get(n, keys[j]);
				snprintf(name, sizeof name, "notes.%zu.%s", i,
				    keys[j]);
				if (y == NULL)
					v[0] = '\0';
				else
					value_text(keys[j], y, v, sizeof v);
				app_set(c, name, v);
			}
		}
	if (json_is_object(x = json_object_get(d, "recall"))) {
		static const char *const keys[] = { "reason", "fixed_in",
		    "downgrade_to", "notes" };
		app_set(c, "recall.shown", "1");
		for (size_t j = 0; j < 4; j++) {
			json_t *y = json_object_get(x, keys[j]);
			snprintf(name, sizeof name, "recall.%s", keys[j]);
			if (y != NULL) {
				value_text(keys[j], y, v, sizeof v);
				app_set(c, name, v);
			}
		}
	}
}

struct log_page {
	struct app_ctx *c;
	int n;
	time_t now;
};

static int
log_entry(void *arg, time_t at, enum health_state s, const char *summary,
    const char *details, long duration_ms)
{
	struct log_page *lp = arg;
	char k[32], name[64], ago[HEALTH_AGO_MAX], when[40];
	json_t *d;

	snprintf(k, sizeof k, "log.%d", lp->n++);
#define SET(f, v) (snprintf(name, sizeof name, "%s." f, k), \
	app_set(lp->c, name, v))
	time_words(at, when, sizeof when);
	SET("at", when);
	health_ago(lp->now, at, ago, sizeof ago);
	SET("ago", ago);
	SET("state", health_state_id(s));
	SET("icon", s >= HEALTH_OK ? health_state_id(s) : "unknown");
	SET("word", health_state_word(s));
	SET("summary", summary);
#undef SET
	snprintf(name, sizeof name, "%s.duration_ms", k);
	app_set_int(lp->c, name, duration_ms);
	if (details && *details && (d = json_loads(details, 0, NULL))) {
		details_set(lp->c, k, d);
		json_decref(d);
	}
	return 0;
}

static int
page_log(struct app_ctx *c)
{
	const char *id = app_field(c, F_ITEM);
	struct log_page lp = { .c = c, .now = util_now() };
	static struct health_table rs;
	const struct health_row *r = NULL;
	enum health_item item;
	char title[128], ago[HEALTH_AGO_MAX];
	json_t *d;

	if (id == NULL || health_item_find(id, &item) != 0) {
		app_error_message(c, "There is no such Health Status item. "
		    "Choose View Error Log beside an item on the dashboard.");
		return 404;
	}
	if (health_table_read(&rs) != 0)
		return 500;
	for (size_t i = 0; i < rs.n; i++)
		if (rs.rows[i].item == item)
			r = &rs.rows[i];
	snprintf(title, sizeof title, "Error log: %s", health_items[item].name);
	app_template(c, "health-log.cs", title);
	app_set(c, "item.id", health_items[item].id);
	app_set(c, "item.name", health_items[item].name);
	app_set(c, "item.about", health_items[item].about);
	if (r != NULL) {
		app_set(c, "item.state", health_state_id(r->state));
		app_set(c, "item.icon", r->state >= HEALTH_OK ?
		    health_state_id(r->state) : "unknown");
		app_set(c, "item.word", health_row_word(r));
		app_set(c, "item.summary", r->summary);
		if (r->checked_at > 0) {
			health_ago(lp.now, r->checked_at, ago, sizeof ago);
			app_set(c, "item.ago", ago);
			app_set_time(c, "item.since", r->since);
		}
		if (r->details[0] && (d = json_loads(r->details, 0, NULL))) {
			details_set(c, "item", d);
			update_sections(c, d);
			json_decref(d);
		}
	}
	app_set_int(c, "shown", LOG_SHOWN);
	if (health_log_each(item, LOG_SHOWN, log_entry, &lp) != 0)
		return 500;
	app_set_int(c, "entries", lp.n);
	return 200;
}

/* ---- /api/health ---- */

/* RFC 3339 in UTC, or JSON null for 0. */
static json_t *
rfc3339(time_t t)
{
	char v[32];
	struct tm tm;

	if (t <= 0)
		return json_null();
	gmtime_r(&t, &tm);
	strftime(v, sizeof v, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(v);
}

static int
api_health(struct app_ctx *c)
{
	static struct health_table rs;
	json_t *items, *root;
	time_t last = 0;

	if (health_table_read(&rs) != 0)
		return 500;
	if ((items = json_array()) == NULL)
		return 500;
	for (size_t i = 0; i < rs.n; i++) {
		const struct health_row *r = &rs.rows[i];
		json_t *d = r->details[0] ? json_loads(r->details, 0, NULL) :
		    NULL;

		if (!json_is_object(d)) {
			json_decref(d);
			d = json_object();
		}
		if (r->checked_at > last)
			last = r->checked_at;
		json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:s, "
		    "s:o, s:o, s:I, s:o}",
		    "id", health_items[r->item].id,
		    "name", health_items[r->item].name,
		    "state", health_state_id(r->state),
		    "summary", r->summary,
		    "checked_at", rfc3339(r->checked_at),
		    "since", rfc3339(r->checked_at > 0 ? r->since : 0),
		    "duration_ms", (json_int_t)r->duration_ms,
		    "details", d));
	}
	root = json_pack("{s:s, s:o, s:o}",
	    "overall", health_state_id(health_overall(rs.rows, rs.n)),
	    "checked_at", rfc3339(last), "items", items);
	return app_json(c, root);
}

static const struct app_page pages[] = {
	{ "/health/check", APP_POST, FIELD(F_CSRF), ACCESS_SESSION,
	  page_check },
	{ "/health/run", APP_GET, 0, ACCESS_SESSION, page_run,
	  .query = FIELD(F_AFTER) | FIELD(F_AT) },
	{ "/health/log", APP_GET, 0, ACCESS_SESSION, page_log,
	  .query = FIELD(F_ITEM) },
	{ "/api/health", APP_GET, 0, ACCESS_READ, api_health,
	  .kind = KIND_JSON },
};

int
main(int argc, char **argv)
{
	static const struct app_program prog = { .name = "health",
	    .pages = pages, .npages = sizeof pages / sizeof pages[0] };

	return app_main(argc, argv, &prog);
}
