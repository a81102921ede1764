/*
 * dashboard — /: the connector at a glance: its name, address, version,
 * registration state and recent sign-in activity; and the same state for
 * monitoring, read-only, with the session or an API token:
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

/* Settings shown as they are: setting name, page data name. */
static const struct {
	const char *setting, *page;
} shown[] = {
	{ SETTING_NAME, "name" }, { SETTING_IP, "ip" },
	{ REG_VC_HOST, "reg.vcenter" }, { REG_AWS_REGION, "reg.region" },
	{ REG_AWS_ACCOUNT, "reg.account" }, { REG_PROXY_HOST, "reg.proxy" },
	{ REG_IP, "reg.ip" },
};

struct seen {
	struct app_ctx *c;
	char ip[64], reg_ip[64];
	int registered;
};

/* One setting, for db_settings_each: into the page when it is shown. */
static int
one_setting(void *arg, const char *name, const char *value)
{
	struct seen *s = arg;

	for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++)
		if (strcmp(name, shown[i].setting) == 0)
			app_set(s->c, shown[i].page, value);
	if (strcmp(name, SETTING_IP) == 0)
		snprintf(s->ip, sizeof s->ip, "%s", value);
	else if (strcmp(name, REG_IP) == 0)
		snprintf(s->reg_ip, sizeof s->reg_ip, "%s", value);
	else if (strcmp(name, REG_AT) == 0 && *value) {
		s->registered = 1;
		app_set_time(s->c, "reg.at", (time_t)strtoll(value, NULL, 10));
	} else if (strcmp(name, REG_DRAFT_STARTED) == 0)
		app_set(s->c, "reg.draft", "1");
	else if (strcmp(name, SETTING_ALLOW_LOOPBACK) == 0 &&
	    strcmp(value, "1") == 0)
		app_set(s->c, "reg.test_mode", "1");
	return 0;
}

static int
page_dashboard(struct app_ctx *c)
{
	struct seen seen = { .c = c };
	struct auth_admin a;
	sqlite3_stmt *st;

	app_template(c, "dashboard.cs", "Dashboard");
	app_set(c, "version", CONNECTOR_VERSION);
	/* One read of the settings: the page is the most visited. */
	if (db_settings_each(one_setting, &seen) != 0)
		return 500;
	if (seen.registered) {
		app_set(c, "reg.registered", "1");
		app_set(c, "reg.ip_current", strcmp(seen.ip, seen.reg_ip) == 0 ?
		    "1" : "");
	}
	if (auth_admin_get(&a) != 0)
		return 500;
	app_set_int(c, "login.failed", a.failed_count);
	app_set_int(c, "login.limit", AUTH_LOCK_AFTER);
	app_set_time(c, "login.last_failure", a.last_failure_at);
	if ((st = db_stmt(DB_SOURCES_RECENT)) == NULL)
		return 500;
	sqlite3_bind_int(st, 1, 3);
	for (int i = 0; sqlite3_step(st) == SQLITE_ROW; i++) {
		char k[64];
		snprintf(k, sizeof k, "login.sources.%d.addr", i);
		app_set(c, k, (const char *)sqlite3_column_text(st, 0));
		snprintf(k, sizeof k, "login.sources.%d.total", i);
		app_set_int(c, k, sqlite3_column_int(st, 1));
		snprintf(k, sizeof k, "login.sources.%d.when", i);
		app_set_time(c, k, sqlite3_column_int64(st, 2));
	}
	sqlite3_reset(st);
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

static int
api_metrics(struct app_ctx *c)
{
	struct buf *b = app_text(c);
	struct status s;

	if (status_read(&s) != 0)
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
