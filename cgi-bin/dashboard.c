/*
 * dashboard — /: the connector at a glance: its name, address, version,
 * registration state and recent sign-in activity.
 */
#include <stdio.h>
#include <time.h>

#include "../lib/connector.h"

static void
set_time(struct app_ctx *c, const char *name, time_t t)
{
	char s[32];
	struct tm tm;

	if (t <= 0)
		return;
	gmtime_r(&t, &tm);
	strftime(s, sizeof s, "%Y-%m-%d %H:%M UTC", &tm);
	app_set(c, name, s);
}

static int
page_dashboard(struct app_ctx *c)
{
	struct buf b = { 0 };
	struct auth_admin a;
	sqlite3_stmt *st;

	app_template(c, "dashboard.cs", "Dashboard");
	if (db_setting_get("name", &b) == 0 && b.len)
		app_set(c, "name", b.data);
	buf_reset(&b);
	if (db_setting_get("ip", &b) == 0 && b.len)
		app_set(c, "ip", b.data);
	buf_free(&b);
	app_set(c, "version", CONNECTOR_VERSION);
	app_set(c, "registration", "not registered");
	if (auth_admin_get(&a) != 0)
		return 500;
	app_set_int(c, "login.failed", a.failed_count);
	app_set_int(c, "login.limit", AUTH_LOCK_AFTER);
	set_time(c, "login.last_failure", a.last_failure_at);
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
		set_time(c, k, sqlite3_column_int64(st, 2));
	}
	sqlite3_reset(st);
	return 200;
}

static const struct app_page pages[] = {
	{ "/", APP_GET, 0, ACCESS_SESSION, page_dashboard },
};

int
main(int argc, char **argv)
{
	static const struct app_program prog = { .name = "dashboard",
	    .pages = pages, .npages = sizeof pages / sizeof pages[0] };

	return app_main(argc, argv, &prog);
}
