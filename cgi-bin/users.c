/*
 * users — /users: the vCenter users and groups the UserProvider job
 * enumerated (lib/userprovider.c), the state of its last run, and the
 * directory settings it uses:
 *
 *   /users                  GET ?filter=TEXT&page=N: the list, 100 a page,
 *                           filtered by a part of the name or full name
 *   /users/directory        POST: the domain to enumerate and vCenter's
 *                           cap on one answer (blank: the defaults)
 *
 * The filter is matched with a bound LIKE pattern whose '%', '_' and '\'
 * are escaped: it is text to find, never SQL or a pattern.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../lib/core.h"
#include "../lib/userprovider.h"

#define PAGE_ROWS 100

/* The address of page n of the list with filter (NULL: none) as Page.k. */
static void
set_page_link(struct app_ctx *c, const char *k, const char *filter, long n)
{
	struct buf b = { 0 };

	buf_adds(&b, "/users");
	if (filter) {
		buf_adds(&b, "?filter=");
		util_percent_encode(&b, filter, strlen(filter), 0);
	}
	if (n > 1)
		buf_addf(&b, "%spage=%ld", filter ? "&" : "?", n);
	app_set(c, k, b.data);
	buf_free(&b);
}

/* The LIKE pattern that finds filter as plain text, into b. */
static int
like_pattern(struct buf *b, const char *filter)
{
	int rc = buf_adds(b, "%");

	for (const char *p = filter; *p && rc == 0; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			rc = buf_adds(b, "\\");
		if (rc == 0)
			rc = buf_add(b, p, 1);
	}
	return rc ? rc : buf_adds(b, "%");
}

/* A run of the job into Page.<k>.*: 1 when there is one, 0, or -1. */
static int
run_data(struct app_ctx *c, const char *k, int ok_only)
{
	sqlite3_stmt *st = db_stmt(DB_JOB_LAST);
	char name[64];
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, UP_JOB, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, ok_only);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *counts = (const char *)sqlite3_column_text(st, 3);
		json_t *o = counts && *counts ? json_loads(counts, 0, NULL) :
		    NULL;
		static const char *const shown[] = { "added", "changed",
		    "removed" };

		snprintf(name, sizeof name, "%s.outcome", k);
		app_set(c, name, (const char *)sqlite3_column_text(st, 0));
		snprintf(name, sizeof name, "%s.started", k);
		app_set_time(c, name, sqlite3_column_int64(st, 1));
		snprintf(name, sizeof name, "%s.ended", k);
		app_set_time(c, name, sqlite3_column_int64(st, 2));
		snprintf(name, sizeof name, "%s.error", k);
		app_set(c, name, (const char *)sqlite3_column_text(st, 4));
		for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++) {
			json_t *v = json_object_get(o, shown[i]);
			if (!json_is_integer(v))
				continue;
			snprintf(name, sizeof name, "%s.%s", k, shown[i]);
			app_set_int(c, name, json_integer_value(v));
			snprintf(name, sizeof name, "%s.counted", k);
			app_set(c, name, "1");
		}
		json_decref(o);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* The state of the service: registration, settings, last runs, totals. */
static int
state_data(struct app_ctx *c)
{
	char v[256], account[256], user[256];
	struct buf at = { 0 };
	sqlite3_stmt *st;
	int from_setting, rc;

	if (db_setting_get(REG_AT, &at) == 0 && at.len > 0)
		app_set(c, "registered", "1");
	buf_free(&at);
	if (reg_value(REG_VC_USER, 0, account, sizeof account) == 0) {
		app_set(c, "account", account);
		if (userprovider_split(account, v, sizeof v, user,
		    sizeof user) == 0)
			app_set(c, "account_domain", v);
	}
	if (userprovider_domain(v, sizeof v, &from_setting) == 0)
		app_set(c, "domain", v);
	if (reg_value(UP_DOMAIN, 0, v, sizeof v) == 0)
		app_set(c, "set.domain", v);
	if (reg_value(UP_LIMIT, 0, v, sizeof v) == 0)
		app_set(c, "set.limit", v);
	app_set_int(c, "limit", userprovider_limit());
	app_set_int(c, "default_limit", VSPHERE_DIRECTORY_LIMIT);
	app_set_int(c, "interval", UP_INTERVAL_MINUTES);
	if (reg_value(UP_LISTED_AT, 0, v, sizeof v) == 0)
		app_set_time(c, "listed_at", (time_t)strtoll(v, NULL, 10));
	if (run_data(c, "last", 0) < 0 || run_data(c, "good", 1) < 0)
		return 500;
	if ((st = db_stmt(DB_USERS_TOTALS)) == NULL)
		return 500;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		app_set_int(c, "total.users", sqlite3_column_int64(st, 0));
		app_set_int(c, "total.groups", sqlite3_column_int64(st, 1));
		if (sqlite3_column_type(st, 2) != SQLITE_NULL)
			app_set(c, "listed_domain",
			    (const char *)sqlite3_column_text(st, 2));
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : 500;
}

/* The page of the list the query asks for. */
static int
list_data(struct app_ctx *c)
{
	const char *filter = app_field(c, F_FILTER), *pg = app_field(c,
	    F_PAGE);
	struct buf pat = { 0 };
	sqlite3_stmt *st;
	long long matched = 0, pages, page = pg ? strtoll(pg, NULL, 10) : 1;
	int rc = 500, i, step;
	char k[64];

	if (filter && *filter == '\0')
		filter = NULL;
	if (filter) {
		app_set(c, "filter", filter);
		if (like_pattern(&pat, filter) != 0)
			goto out;
	}
	if ((st = db_stmt(DB_USERS_COUNT)) == NULL)
		goto out;
	if (filter)
		sqlite3_bind_text(st, 1, pat.data, (int)pat.len, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW)
		matched = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (step != SQLITE_ROW) {
		log_err("users: cannot count the users: %s",
		    sqlite3_errmsg(db_handle()));
		goto out;
	}
	pages = matched ? (matched + PAGE_ROWS - 1) / PAGE_ROWS : 1;
	if (page < 1)
		page = 1;
	if (page > pages)
		page = pages;
	app_set_int(c, "matched", matched);
	app_set_int(c, "page", page);
	app_set_int(c, "pages", pages);
	app_set_int(c, "first", matched ? (page - 1) * PAGE_ROWS + 1 : 0);
	if (page > 1)
		set_page_link(c, "prev", filter, (long)page - 1);
	if (page < pages)
		set_page_link(c, "next", filter, (long)page + 1);
	if ((st = db_stmt(DB_USERS_PAGE)) == NULL)
		goto out;
	if (filter)
		sqlite3_bind_text(st, 1, pat.data, (int)pat.len, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, PAGE_ROWS);
	sqlite3_bind_int64(st, 3, (page - 1) * PAGE_ROWS);
	for (i = 0; (step = sqlite3_step(st)) == SQLITE_ROW; i++) {
		snprintf(k, sizeof k, "rows.%d.principal", i);
		app_set(c, k, (const char *)sqlite3_column_text(st, 0));
		snprintf(k, sizeof k, "rows.%d.full_name", i);
		app_set(c, k, (const char *)sqlite3_column_text(st, 1));
		snprintf(k, sizeof k, "rows.%d.group", i);
		app_set(c, k, sqlite3_column_int(st, 2) ? "1" : "");
		snprintf(k, sizeof k, "rows.%d.first_seen", i);
		app_set_time(c, k, sqlite3_column_int64(st, 3));
		snprintf(k, sizeof k, "rows.%d.changed", i);
		app_set_time(c, k, sqlite3_column_int64(st, 4));
	}
	sqlite3_reset(st);
	if (step != SQLITE_DONE) {
		log_err("users: cannot read the users: %s",
		    sqlite3_errmsg(db_handle()));
		goto out;
	}
	app_set_int(c, "last", matched ? (page - 1) * PAGE_ROWS + i : 0);
	rc = 0;
out:
	buf_free(&pat);
	return rc;
}

/* The whole page's data. */
static int
users_page(struct app_ctx *c)
{
	app_template(c, "users.cs", "Users");
	if (state_data(c) != 0 || list_data(c) != 0)
		return 500;
	return 200;
}

static int
page_users(struct app_ctx *c)
{
	return users_page(c);
}

/* Store value under name, or remove it when value is NULL or empty. */
static int
store(const char *name, const char *value)
{
	return value && *value ? db_setting_set(name, value) :
	    db_setting_delete(name);
}

static int
page_directory(struct app_ctx *c)
{
	const char *domain = app_field(c, F_UP_DOMAIN);
	const char *limit = app_field(c, F_UP_LIMIT);
	int rc;

	if ((rc = users_page(c)) != 200)
		return rc;
	app_set(c, "form.sent", "1");
	if (app_field_raw(c, F_UP_DOMAIN))
		app_set(c, "form.domain", app_field_raw(c, F_UP_DOMAIN));
	if (app_field_raw(c, F_UP_LIMIT))
		app_set(c, "form.limit", app_field_raw(c, F_UP_LIMIT));
	if (domain && *domain && !syntax_hostname(domain))
		app_set_field_error(c, F_UP_DOMAIN, "Enter a domain vCenter "
		    "knows, a host name such as vsphere.local or CORP, or leave "
		    "it blank for the service account's.");
	if (limit && *limit && (valid_value(VT_NUMBER, limit, strlen(limit),
	    7) != 0 || strtol(limit, NULL, 10) > UP_LIMIT_MAX))
		app_set_field_error(c, F_UP_LIMIT, "Enter vCenter's query limit "
		    "size as a number from 1 to 1000000, or leave it blank for "
		    "vCenter's default of 5000.");
	if (app_has_field_errors(c))
		return 400;
	if ((rc = db_begin()) != 0)
		return 500;
	rc = store(UP_DOMAIN, domain);
	if (rc == 0)
		rc = store(UP_LIMIT, limit);
	if (db_end(rc) != 0)
		return 500;
	app_audit(c, "change directory settings");
	return app_redirect_notice(c, "/users", "Saved. The next enumeration, "
	    "within 10 minutes, uses these settings; the list changes only "
	    "when it succeeds.");
}

static const struct app_page pages[] = {
	{ "/users", APP_GET, 0, ACCESS_SESSION, page_users,
	  .query = FIELD(F_FILTER) | FIELD(F_PAGE) },
	{ "/users/directory", APP_POST, FIELD(F_CSRF) | FIELD(F_UP_DOMAIN) |
	  FIELD(F_UP_LIMIT), ACCESS_SESSION, page_directory },
};

int
main(int argc, char **argv)
{
	static const struct app_program prog = { .name = "users",
	    .pages = pages, .npages = sizeof pages / sizeof pages[0] };

	return app_main(argc, argv, &prog);
}
