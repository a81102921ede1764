/*
 * dashboard — /: the connector at a glance: the Health Status pane (what
 * the last runs of the health check found, lib/healthstate.c; the checks
 * themselves are not linked here), its name, address, version and
 * registration state; and the same state for monitoring, read-only, with
 * the session or an API token:
 *
 *   /api/status  JSON
 *   /metrics     Prometheus text exposition
 *
 * Nothing secret is in either: no names, addresses or credentials.
 *
 *   /download?file=NAME  a file the connector prepared for the
 *                        administrator (var/lib/connector/bundles), sent
 *                        by nginx (X-Accel-Redirect), never by this program
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/stat.h>

#include <jansson.h>

#include "../lib/core.h"
#include "../lib/domain.h"
#include "../lib/health.h"
#include "../lib/healthview.h"

/* Settings shown as they are: setting name, page data name. */
static const struct {
	const char *setting, *page;
} shown[] = {
	{ SETTING_NAME, "name" },
	{ REG_VC_HOST, "reg.vcenter" }, { REG_AWS_REGION, "reg.region" },
	{ REG_AWS_ACCOUNT, "reg.account" }, { REG_PROXY_HOST, "reg.proxy" },
	{ REG_IP, "reg.ip" },
};

struct seen {
	struct app_ctx *c;
	int registered;
	char listen[80];	/* the console's listen address, no port */
};

/* One setting, for db_settings_each: into the page when it is shown. */
static int
one_setting(void *arg, const char *name, const char *value)
{
	struct seen *s = arg;

	for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++)
		if (strcmp(name, shown[i].setting) == 0)
			app_set(s->c, shown[i].page, value);
	if (strcmp(name, REG_AT) == 0 && *value) {
		s->registered = 1;
		app_set_time(s->c, "reg.at", (time_t)strtoll(value, NULL, 10));
	} else if (strcmp(name, REG_DRAFT_STARTED) == 0)
		app_set(s->c, "reg.draft", "1");
	else if (strcmp(name, SETTING_ALLOW_LOOPBACK) == 0 &&
	    strcmp(value, "1") == 0)
		app_set(s->c, "reg.test_mode", "1");
	else if (strcmp(name, SETTING_LISTEN) == 0) {
		/* As netinfo_current_ip reads it: the address without its
		 * port. */
		char *colon;
		snprintf(s->listen, sizeof s->listen, "%s", value);
		if ((colon = strrchr(s->listen, ':')) != NULL)
			*colon = '\0';
	}
	return 0;
}

/* The icon of a state (nginx/static/state-*.svg). */
static const char *
state_icon(enum health_state s)
{
	return s >= HEALTH_OK ? health_state_id(s) : "unknown";
}

/* The pane at the top of the dashboard: the overall state, when it was
 * last checked, and each item shown with its 24-hour strip; 0, or
 * CONN_ENOMEM. */
static int
pane_set(struct app_ctx *c, const struct health_table *p)
{
	struct buf strip = { 0 };
	enum health_state overall;
	time_t now = util_now(), last = 0;
	char k[80], ago[HEALTH_AGO_MAX];
	int nshown = 0;

	for (size_t i = 0; i < p->n; i++) {
		const struct health_row *r = &p->rows[i];
		const char *id = health_items[r->item].id;

		if (r->state == HEALTH_ABSENT)
			continue;
		if (r->checked_at > last)
			last = r->checked_at;
#define ITEM(name) (snprintf(k, sizeof k, "health.items.%d." name, \
		    nshown), k)
		app_set(c, ITEM("id"), id);
		app_set(c, ITEM("name"), health_items[r->item].name);
		app_set(c, ITEM("state"), health_state_id(r->state));
		app_set(c, ITEM("word"), health_row_word(r));
		app_set(c, ITEM("icon"), state_icon(r->state));
		app_set(c, ITEM("summary"), r->summary);
		if (r->checked_at > 0) {
			health_ago(now, r->checked_at, ago, sizeof ago);
			app_set(c, ITEM("ago"), ago);
		}
		if (r->item == HI_UPTODATE && r->details[0]) {
			json_t *d = json_loads(r->details, 0, NULL);
			if (json_array_size(json_object_get(d, "notes")) > 0)
				app_set(c, ITEM("whats_new"), "1");
			if (json_is_object(json_object_get(d, "recall")))
				app_set(c, ITEM("what_fixed"), "1");
			json_decref(d);
		}
		/* The strip, drawn here as one value: a value per run made
		 * the pane most of the page's work. */
		if (r->checked_at > 0) {
			buf_reset(&strip);
			if (health_strip_svg(r, &strip) != 0) {
				buf_free(&strip);
				return CONN_ENOMEM;
			}
			app_set(c, ITEM("strip"), "1");
			app_set(c, ITEM("strip_svg"), strip.data ? strip.data :
			    "");
		}
#undef ITEM
		nshown++;
	}
	overall = health_overall(p->rows, p->n);
	app_set(c, "health.overall", health_state_id(overall));
	app_set(c, "health.overall_word", health_state_word(overall));
	app_set(c, "health.overall_icon", state_icon(overall));
	app_set_int(c, "health.slots", HEALTH_STRIP_SLOTS);
	if (last > 0) {
		health_ago(now, last, ago, sizeof ago);
		app_set(c, "health.ago", ago);
		app_set_time(c, "health.at", last);
	}
	buf_free(&strip);
	return 0;
}

static int
page_dashboard(struct app_ctx *c)
{
	static struct health_table pane;
	struct seen seen = { .c = c };
	char ip[64];

	app_template(c, "dashboard.cs", "Dashboard");
	app_set(c, "version", CONNECTOR_VERSION);
	/* One read of the settings, the listen address for the address in
	 * use among them: the page is the most visited. */
	if (db_settings_each(one_setting, &seen) != 0)
		return 500;
	netinfo_console_ip(seen.listen, ip, sizeof ip);
	app_set(c, "ip", ip);
	if (seen.registered)
		app_set(c, "reg.registered", "1");
	if (health_table_read(&pane) != 0)
		return 500;
	if (pane_set(c, &pane) != 0)
		return 500;
	return 200;
}

/* What monitoring reads. */
struct status {
	int registered;
	int locked;
	int failed;		/* consecutive failed sign-ins */
	long long key_age;	/* seconds; -1 when there is no key yet */
};

static int
status_read(struct status *s)
{
	char id[SECRET_KEY_ID_LEN + 1];
	struct buf at = { 0 };
	struct auth_admin a;
	time_t created = 0;

	memset(s, 0, sizeof *s);
	if (auth_admin_get(&a) != 0)
		return 500;
	/* Read here, not through lib/registration.c: this program stays
	 * free of the outbound clients (and their memory). */
	if (db_setting_get(REG_AT, &at) == 0 && at.len > 0)
		s->registered = 1;
	buf_free(&at);
	s->locked = a.locked;
	s->failed = a.failed_count;
	s->key_age = -1;
	if (secret_current_key(id, &created) == 0 && created > 0)
		s->key_age = util_now() > created ? util_now() - created : 0;
	return 0;
}

static int
api_status(struct app_ctx *c)
{
	struct status s;

	if (status_read(&s) != 0)
		return 500;
	return app_json(c, json_pack("{s:s, s:b, s:b, s:i, s:o}",
	    "version", CONNECTOR_VERSION,
	    "registered", s.registered,
	    "console_locked", s.locked,
	    "failed_sign_ins", s.failed,
	    "encryption_key_age_seconds", s.key_age < 0 ? json_null() :
	    json_integer(s.key_age)));
}

/* One metric with its HELP and TYPE lines. */
static void
metric(struct buf *b, const char *name, const char *help, const char *labels,
    long long value)
{
	buf_addf(b, "# HELP %s %s\n# TYPE %s gauge\n%s%s %lld\n", name, help,
	    name, name, labels, value);
}

/* A metric family's HELP and TYPE lines. */
static void
family(struct buf *b, const char *name, const char *help)
{
	buf_addf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* A label value as the exposition format writes it: backslash, double
 * quote and line feed escaped. */
static void
label_value(struct buf *b, const char *v)
{
	for (; *v; v++)
		if (*v == '\\')
			buf_adds(b, "\\\\");
		else if (*v == '"')
			buf_adds(b, "\\\"");
		else if (*v == '\n')
			buf_adds(b, "\\n");
		else
			buf_addf(b, "%c", *v);
}

/*
 * The Health Status items as metrics.  Items that do not apply to this
 * set-up (absent) are left out; an item that will apply but cannot be
 * checked yet (not registered, or never checked) is -1.  Every "values"
 * entry of an item's details is a connector_health_value, except the clock
 * offsets, which are connector_time_offset_seconds by peer.
 */
static void
health_metrics(struct buf *b, const struct health_table *p)
{
	static const struct { const char *value, *peer; } offsets[] = {
		{ "offset_vcenter_seconds", "vcenter" },
		{ "offset_aws_seconds", "aws" },
	};
	json_t *values[HI__MAX] = { 0 };
	int any = 0;

	family(b, "connector_health_state", "The Health Status item's state: "
	    "0 ok, 1 warning, 2 error, -1 not applicable yet or not checked "
	    "yet; items that do not apply to this set-up are left out.");
	for (size_t i = 0; i < p->n; i++) {
		const struct health_row *r = &p->rows[i];
		int v = r->state == HEALTH_OK ? 0 : r->state == HEALTH_WARNING ?
		    1 : r->state == HEALTH_ERROR ? 2 : -1;
		if (r->state == HEALTH_ABSENT)
			continue;
		buf_addf(b, "connector_health_state{item=\"%s\"} %d\n",
		    health_items[r->item].id, v);
	}
	family(b, "connector_health_check_duration_seconds", "How long the "
	    "Health Status item's last check took.");
	for (size_t i = 0; i < p->n; i++) {
		const struct health_row *r = &p->rows[i];
		json_t *d;
		if (r->state == HEALTH_ABSENT || r->checked_at <= 0)
			continue;
		buf_addf(b, "connector_health_check_duration_seconds"
		    "{item=\"%s\"} %.3f\n", health_items[r->item].id,
		    (double)r->duration_ms / 1000.0);
		if (r->details[0] && (d = json_loads(r->details, 0, NULL))) {
			json_t *vs = json_object_get(d, "values");
			if (json_is_object(vs) && json_object_size(vs) > 0) {
				values[i] = json_incref(vs);
				any = 1;
			}
			json_decref(d);
		}
	}
	family(b, "connector_time_offset_seconds", "This machine's clock "
	    "minus the peer's, as the last health check measured it.");
	for (size_t i = 0; i < p->n; i++)
		for (size_t k = 0; values[i] && p->rows[i].item == HI_TIME &&
		    k < 2; k++) {
			json_t *v = json_object_get(values[i], offsets[k].value);
			if (json_is_number(v))
				buf_addf(b, "connector_time_offset_seconds"
				    "{peer=\"%s\"} %.15g\n", offsets[k].peer,
				    json_number_value(v));
		}
	if (any)
		family(b, "connector_health_value", "A figure the Health "
		    "Status item's last check measured, by name.");
	for (size_t i = 0; i < p->n; i++) {
		const char *name;
		json_t *v;
		if (values[i] == NULL)
			continue;
		json_object_foreach(values[i], name, v) {
			if (!json_is_number(v) || (p->rows[i].item == HI_TIME &&
			    (strcmp(name, offsets[0].value) == 0 ||
			    strcmp(name, offsets[1].value) == 0)))
				continue;
			buf_addf(b, "connector_health_value{item=\"%s\","
			    "name=\"", health_items[p->rows[i].item].id);
			label_value(b, name);
			buf_addf(b, "\"} %.15g\n", json_number_value(v));
		}
		json_decref(values[i]);
	}
}

static int
api_metrics(struct app_ctx *c)
{
	static struct health_table pane;
	struct buf *b = app_text(c);
	struct status s;

	if (status_read(&s) != 0)
		return 500;
	if (health_table_read(&pane) != 0)
		return 500;
	metric(b, "connector_info", "The connector's version.",
	    "{version=\"" CONNECTOR_VERSION "\"}", 1);
	metric(b, "connector_registered", "1 when the connector is registered "
	    "with vCenter and AWS.", "", s.registered);
	metric(b, "connector_console_locked", "1 when the console is locked "
	    "after too many failed sign-ins.", "", s.locked);
	metric(b, "connector_failed_sign_ins", "Consecutive failed sign-ins "
	    "to the console.", "", s.failed);
	if (s.key_age >= 0)
		metric(b, "connector_encryption_key_age_seconds", "Age of the "
		    "connector encryption key.", "", s.key_age);
	health_metrics(b, &pane);
	return 200;
}

/* The type a download is sent as, by the end of its name. */
static const char *
download_type(const char *name)
{
	static const struct { const char *end, *type; } types[] = {
		{ ".tar.gz", "application/gzip" }, { ".tgz", "application/gzip" },
		{ ".zip", "application/zip" }, { ".json", "application/json" },
		{ ".txt", "text/plain" }, { ".log", "text/plain" },
	};
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		size_t e = strlen(types[i].end);
		if (n > e && strcmp(name + n - e, types[i].end) == 0)
			return types[i].type;
	}
	return "application/octet-stream";
}

static int
page_download(struct app_ctx *c)
{
	const char *name = app_field(c, F_FILE_NAME);
	char path[4200];
	struct stat st;

	if (name == NULL) {
		app_error_message(c, "Name the file to download.");
		return 400;
	}
	/* Only regular files the connector put there; a link is refused. */
	snprintf(path, sizeof path, "%s/%s", paths_get(PATH_BUNDLES), name);
	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		app_error_message(c, "There is no such file: it may have been "
		    "removed. Prepare it again.");
		return 404;
	}
	app_audit(c, "download");
	return app_download(c, name, name, download_type(name));
}

static const struct app_page pages[] = {
	{ "/", APP_GET, 0, ACCESS_SESSION, page_dashboard },
	{ "/api/status", APP_GET, 0, ACCESS_READ, api_status,
	  .kind = KIND_JSON },
	{ "/metrics", APP_GET, 0, ACCESS_READ, api_metrics,
	  .kind = KIND_PROM },
	{ "/download", APP_GET, 0, ACCESS_SESSION, page_download,
	  .query = FIELD(F_FILE_NAME), .kind = KIND_DOWNLOAD },
};

int
main(int argc, char **argv)
{
	static const struct app_program prog = { .name = "dashboard",
	    .pages = pages, .npages = sizeof pages / sizeof pages[0] };

	return app_main(argc, argv, &prog);
}
