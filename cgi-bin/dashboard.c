/*
 * dashboard — /: the connector at a glance: its name, address, version,
 * registration state and recent sign-in activity.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/connector.h"

/* The registration's state for the page; see lib/registration.c. */
static void
registration(struct app_ctx *c)
{
	char v[600], ip[64];

	app_set(c, "reg.draft", reg_draft_exists() ? "1" : "");
	app_set(c, "reg.test_mode", reg_allow_loopback() ? "1" : "");
	if (!reg_registered())
		return;
	app_set(c, "reg.registered", "1");
	reg_value(REG_VC_HOST, 0, v, sizeof v);
	app_set(c, "reg.vcenter", v);
	reg_value(REG_AWS_REGION, 0, v, sizeof v);
	app_set(c, "reg.region", v);
	reg_value(REG_AWS_ACCOUNT, 0, v, sizeof v);
	app_set(c, "reg.account", v);
	reg_value(REG_PROXY_HOST, 0, v, sizeof v);
	app_set(c, "reg.proxy", v);
	reg_value(REG_AT, 0, v, sizeof v);
	app_set_time(c, "reg.at", (time_t)strtoll(v, NULL, 10));
	reg_value(REG_IP, 0, v, sizeof v);
	app_set(c, "reg.ip", v);
	reg_value("ip", 0, ip, sizeof ip);
	app_set(c, "reg.ip_current", strcmp(ip, v) == 0 ? "1" : "");
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
	registration(c);
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
