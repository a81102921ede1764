/*
 * migrations — /migrations: the VMs migrated to EC2 that the connector
 * tracks (lib/poller.c), and how fresh that list is; and the same list
 * for monitoring, read-only, with the session or an API token:
 *
 *   /migrations          the table, sorted and paged by the query fields
 *                        sort (name, state, progress, result, changed),
 *                        order (asc, desc), page (from 1) and per_page
 *                        (10, 25, 50, 100 or 200)
 *   /migrations/import   POST: start an import of an image already in
 *                        S3 for a vCenter VM, or queue it while 4 are in
 *                        progress in its region
 *   /migrations/track    POST: track an import started elsewhere
 *   /api/migrations      JSON: the same rows, page and freshness
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "../lib/core.h"
#include "../lib/poller.h"

static const char *const sort_names[SORT__MAX] = {
	[SORT_NAME] = "name", [SORT_STATE] = "state",
	[SORT_PROGRESS] = "progress", [SORT_RESULT] = "result",
	[SORT_CHANGED] = "changed",
};

/* The page of the list a request asks for, within the list's size. */
struct view {
	enum poller_sort sort;
	int desc;
	int per_page;
	long long page, pages, total;
};

/*
 * Read the query fields (already checked against the field table) into
 * v, and clamp the page number to the pages there are.  0 or 500.
 */
static int
view_of(struct app_ctx *c, struct view *v)
{
	const char *sort = app_field(c, F_SORT), *order = app_field(c, F_ORDER);
	const char *page = app_field(c, F_PAGE);
	const char *per = app_field(c, F_PER_PAGE);

	memset(v, 0, sizeof *v);
	v->sort = SORT_CHANGED;
	for (int i = 0; sort && i < SORT__MAX; i++)
		if (strcmp(sort, sort_names[i]) == 0)
			v->sort = (enum poller_sort)i;
	/* The newest change first unless asked otherwise; a column's own
	 * first order is ascending. */
	v->desc = order ? strcmp(order, "desc") == 0 : v->sort == SORT_CHANGED;
	v->per_page = per ? atoi(per) : POLLER_PAGE_SIZE;
	v->page = page ? strtoll(page, NULL, 10) : 1;
	if (poller_vms_count(&v->total) != 0)
		return 500;
	v->pages = v->total ? (v->total + v->per_page - 1) / v->per_page : 1;
	if (v->page > v->pages)
		v->page = v->pages;
	return 0;
}

/* The address of the list sorted by sort/desc at page, keeping the page
 * size; into out. */
static void
list_href(char *out, size_t outlen, const struct view *v,
    enum poller_sort sort, int desc, long long page)
{
	snprintf(out, outlen, "/migrations?sort=%s&order=%s&page=%lld"
	    "&per_page=%d", sort_names[sort], desc ? "desc" : "asc", page,
	    v->per_page);
}

/* Time t as ISO 8601 UTC into out ("" for 0). */
static void
iso(time_t t, char *out, size_t outlen)
{
	struct tm tm;

	out[0] = '\0';
	if (t > 0 && gmtime_r(&t, &tm))
		strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

struct rows {
	struct app_ctx *c;
	json_t *list;
	int n;
};

/* One row into the page's data (Page.rows.N.*). */
static int
row_html(void *arg, const struct poller_vm *vm)
{
	struct rows *r = arg;
	const struct poller_status *st = &vm->st;
	char k[64];

#define SET(name, value) do { \
	snprintf(k, sizeof k, "rows.%d." name, r->n); \
	app_set(r->c, k, value); \
} while (0)
	SET("name", vm->vm_name);
	SET("moref", vm->vm_moref);
	SET("region", vm->region);
	SET("task", vm->task_id);
	SET("state", poller_state_name(st->state));
	SET("label", poller_state_label(st->state));
	SET("level", poller_state_level(st->state));
	SET("aws_status", st->aws_status);
	SET("message", st->message);
	SET("image", st->image_id);
	SET("instance", st->instance_id);
	SET("instance_state", st->instance_state);
#undef SET
	if (st->progress >= 0) {
		snprintf(k, sizeof k, "rows.%d.progress", r->n);
		app_set_int(r->c, k, st->progress);
	}
	snprintf(k, sizeof k, "rows.%d.changed", r->n);
	app_set_time(r->c, k, vm->last_change);
	r->n++;
	return 0;
}

/* One row into the JSON list. */
static int
row_json(void *arg, const struct poller_vm *vm)
{
	struct rows *r = arg;
	const struct poller_status *st = &vm->st;
	char first[32], seen[32], change[32];
	json_t *o;

	iso(vm->first_seen, first, sizeof first);
	iso(vm->last_seen, seen, sizeof seen);
	iso(vm->last_change, change, sizeof change);
#define OPT(s) ((s)[0] ? json_string(s) : json_null())
	o = json_pack("{s:I, s:{s:s, s:s}, s:s, s:s, s:o, s:s, s:s, s:s, s:o, "
	    "s:s, s:o, s:o, s:o, s:s, s:o, s:s}",
	    "id", (json_int_t)vm->id,
	    "vm", "id", vm->vm_moref, "name", vm->vm_name,
	    "region", vm->region,
	    "kind", vm->kind,
	    "task_id", OPT(vm->task_id),
	    "state", poller_state_name(st->state),
	    "state_label", poller_state_label(st->state),
	    "aws_status", st->aws_status,
	    "progress", st->progress >= 0 ? json_integer(st->progress) :
	    json_null(),
	    "status_message", st->message,
	    "image_id", OPT(st->image_id),
	    "instance_id", OPT(st->instance_id),
	    "instance_state", OPT(st->instance_state),
	    "first_seen", first,
	    "last_seen", OPT(seen),
	    "last_change", change);
#undef OPT
	if (o == NULL || json_array_append_new(r->list, o) != 0)
		return CONN_ENOMEM;
	return 0;
}

/* The period a sentence s still needs ("" when it ends with one). */
static const char *
end_of(const char *s)
{
	size_t n = strlen(s);

	return n && (s[n - 1] == '.' || s[n - 1] == '!') ? "" : ".";
}

/*
 * The freshness line: its level (ok, warning, error, unknown) and its
 * sentence ("Last updated 25 minutes ago; the last poll failed: ...").
 */
static void
freshness_words(const struct poller_freshness *f, const char **level,
    char *out, size_t outlen)
{
	char age[48];

	if (!f->registered) {
		*level = "unknown";
		snprintf(out, outlen, "Not polled: the connector is not "
		    "registered.");
		return;
	}
	if (f->polled_at == 0) {
		*level = f->last_failed ? "error" : "unknown";
		if (f->last_failed)
			snprintf(out, outlen, "Not polled yet; the last poll "
			    "failed: %s%s", f->error, end_of(f->error));
		else
			snprintf(out, outlen, "Not polled yet: the poller reads "
			    "AWS every %d minutes.", POLLER_INTERVAL / 60);
		return;
	}
	poller_age_words(f->now > f->polled_at ? (long)(f->now -
	    f->polled_at) : 0, age, sizeof age);
	if (f->last_failed) {
		*level = "warning";
		snprintf(out, outlen, "Last updated %s; the last poll failed: "
		    "%s%s", age, f->error, end_of(f->error));
	} else if (f->stale) {
		*level = "warning";
		snprintf(out, outlen, "Last updated %s; the poller has not run "
		    "since. Check that cron runs connector-poller.", age);
	} else {
		*level = "ok";
		snprintf(out, outlen, "Last updated %s.", age);
	}
}

/* The list, its paging and sorting links, the freshness line and the
 * forms' defaults into the page's data. */
static int
migrations_page(struct app_ctx *c)
{
	struct poller_freshness f;
	struct rows r = { .c = c };
	struct view v;
	char href[160], key[64], region[32], line[700];
	const char *level;
	int rc;

	app_template(c, "migrations.cs", "Migrations");
	if ((rc = view_of(c, &v)) != 0)
		return rc;
	if (poller_vms_page(v.sort, v.desc, (v.page - 1) * v.per_page,
	    v.per_page, row_html, &r) != 0 || poller_freshness(&f) != 0)
		return 500;
	app_set_int(c, "total", v.total);
	app_set_int(c, "page", v.page);
	app_set_int(c, "pages", v.pages);
	app_set_int(c, "first", v.total ? (v.page - 1) * v.per_page + 1 : 0);
	app_set_int(c, "last", (v.page - 1) * v.per_page + r.n);
	app_set_int(c, "per_page", v.per_page);
	app_set(c, "sort", sort_names[v.sort]);
	app_set(c, "order", v.desc ? "desc" : "asc");
	for (int i = 0; i < SORT__MAX; i++) {
		int on = (int)v.sort == i;
		/* A column sorts ascending first; the sorted one turns. */
		list_href(href, sizeof href, &v, (enum poller_sort)i,
		    on ? !v.desc : i == SORT_CHANGED, 1);
		snprintf(key, sizeof key, "cols.%s.href", sort_names[i]);
		app_set(c, key, href);
		snprintf(key, sizeof key, "cols.%s.aria", sort_names[i]);
		app_set(c, key, on ? (v.desc ? "descending" : "ascending") : "");
	}
	if (v.page > 1) {
		list_href(href, sizeof href, &v, v.sort, v.desc, 1);
		app_set(c, "first_href", href);
		list_href(href, sizeof href, &v, v.sort, v.desc, v.page - 1);
		app_set(c, "prev_href", href);
	}
	if (v.page < v.pages) {
		list_href(href, sizeof href, &v, v.sort, v.desc, v.page + 1);
		app_set(c, "next_href", href);
		list_href(href, sizeof href, &v, v.sort, v.desc, v.pages);
		app_set(c, "last_href", href);
	}
	freshness_words(&f, &level, line, sizeof line);
	app_set(c, "fresh.level", level);
	app_set(c, "fresh.text", line);
	if (f.running)
		app_set(c, "fresh.running", "1");
	app_set(c, "registered", f.registered ? "1" : "");
	region[0] = '\0';
	reg_value(REG_AWS_REGION, 0, region, sizeof region);
	app_set(c, "form.region", region);
	for (int i = 0; reg_regions[i]; i++) {
		snprintf(key, sizeof key, "regions.%d", i);
		app_set(c, key, reg_regions[i]);
	}
	app_set_int(c, "slots", POLLER_SLOTS);
	return 200;
}

static int
page_migrations(struct app_ctx *c)
{
	return migrations_page(c);
}

/* The soft field f as typed into Page.form.<name>, to show it again. */
static void
typed(struct app_ctx *c, enum field_id f)
{
	char k[64];

	if (app_field_raw(c, f) == NULL)
		return;
	snprintf(k, sizeof k, "form.%s", valid_fields[f].name);
	app_set(c, k, app_field_raw(c, f));
}

/* The form field a refusal belongs to. */
static enum field_id
field_of(enum poller_field pf)
{
	switch (pf) {
	case POLLER_F_VM_MOREF: return F_VM_MOREF;
	case POLLER_F_VM_NAME: return F_VM_NAME;
	case POLLER_F_REGION: return F_REGION;
	case POLLER_F_BUCKET: return F_BUCKET;
	case POLLER_F_KEY: return F_OBJECT_KEY;
	case POLLER_F_FORMAT: return F_FORMAT;
	case POLLER_F_DESCRIPTION: return F_DESCRIPTION;
	case POLLER_F_TASK_ID: return F_TASK_ID;
	case POLLER_F_FORM: break;
	}
	return F__MAX;
}

/* The page again with form (import or track) showing what was typed:
 * 200 from migrations_page, or its failure. */
static int
form_page(struct app_ctx *c, const char *form, const enum field_id *fields,
    size_t n)
{
	int rc;

	if ((rc = migrations_page(c)) != 200)
		return rc;
	app_set(c, "posted", form);
	for (size_t i = 0; i < n; i++)
		typed(c, fields[i]);
	return 200;
}

static int
page_import(struct app_ctx *c)
{
	static const enum field_id fields[] = { F_VM_MOREF, F_VM_NAME,
	    F_REGION, F_BUCKET, F_OBJECT_KEY, F_FORMAT, F_DESCRIPTION };
	struct poller_import in;
	struct poller_result r;
	int rc;

	if ((rc = form_page(c, "import", fields, sizeof fields /
	    sizeof fields[0])) != 200)
		return rc;
	if (app_has_field_errors(c))
		return 400;
	if (app_require(c, FIELD(F_VM_MOREF) | FIELD(F_VM_NAME) |
	    FIELD(F_BUCKET) | FIELD(F_OBJECT_KEY) | FIELD(F_FORMAT)))
		return 400;
	memset(&in, 0, sizeof in);
	in.vm_moref = app_field(c, F_VM_MOREF);
	in.vm_name = app_field(c, F_VM_NAME);
	in.region = app_field(c, F_REGION);
	in.bucket = app_field(c, F_BUCKET);
	in.key = app_field(c, F_OBJECT_KEY);
	in.format = app_field(c, F_FORMAT);
	in.description = app_field(c, F_DESCRIPTION);
	rc = poller_import(&in, &r);
	if ((rc = app_result(c, rc, field_of(r.field), r.msg, r.audit)) != 0)
		return rc;
	return r.warning ? app_redirect_warning(c, "/migrations", r.msg) :
	    app_redirect_notice(c, "/migrations", r.msg);
}

static int
page_track(struct app_ctx *c)
{
	static const enum field_id fields[] = { F_TASK_ID, F_VM_MOREF,
	    F_VM_NAME, F_REGION };
	struct poller_result r;
	int rc;

	if ((rc = form_page(c, "track", fields, sizeof fields /
	    sizeof fields[0])) != 200)
		return rc;
	if (app_has_field_errors(c))
		return 400;
	if (app_require(c, FIELD(F_TASK_ID) | FIELD(F_VM_MOREF) |
	    FIELD(F_VM_NAME)))
		return 400;
	rc = poller_track(app_field(c, F_TASK_ID), app_field(c, F_VM_MOREF),
	    app_field(c, F_VM_NAME), app_field(c, F_REGION), &r);
	if ((rc = app_result(c, rc, field_of(r.field), r.msg, r.audit)) != 0)
		return rc;
	return app_redirect_notice(c, "/migrations", r.msg);
}

static int
api_migrations(struct app_ctx *c)
{
	struct poller_freshness f;
	struct rows r = { .c = c };
	struct view v;
	char polled[32], line[700];
	const char *level;
	json_t *root;

	if (view_of(c, &v) != 0 || (r.list = json_array()) == NULL)
		return 500;
	if (poller_vms_page(v.sort, v.desc, (v.page - 1) * v.per_page,
	    v.per_page, row_json, &r) != 0 || poller_freshness(&f) != 0) {
		json_decref(r.list);
		return 500;
	}
	iso(f.polled_at, polled, sizeof polled);
	freshness_words(&f, &level, line, sizeof line);
	root = json_pack("{s:o, s:{s:I, s:i, s:I, s:I, s:s, s:s}, "
	    "s:{s:b, s:o, s:o, s:b, s:b, s:b, s:o, s:s, s:s}}",
	    "migrations", r.list,
	    "page", "number", (json_int_t)v.page, "size", v.per_page,
	    "pages", (json_int_t)v.pages, "total", (json_int_t)v.total,
	    "sort", sort_names[v.sort], "order", v.desc ? "desc" : "asc",
	    "freshness", "registered", f.registered,
	    "polled_at", polled[0] ? json_string(polled) : json_null(),
	    "age_seconds", f.polled_at ? json_integer(f.now > f.polled_at ?
	    f.now - f.polled_at : 0) : json_null(),
	    "stale", f.stale, "running", f.running,
	    "last_poll_failed", f.last_failed,
	    "error", f.last_failed ? json_string(f.error) : json_null(),
	    "level", level, "summary", line);
	return app_json(c, root);
}

#define LIST_QUERY (FIELD(F_SORT) | FIELD(F_ORDER) | FIELD(F_PAGE) | \
	FIELD(F_PER_PAGE))

static const struct app_page pages[] = {
	{ "/migrations", APP_GET, 0, ACCESS_SESSION, page_migrations,
	  .query = LIST_QUERY },
	{ "/migrations/import", APP_POST, FIELD(F_CSRF) | FIELD(F_VM_MOREF) |
	  FIELD(F_VM_NAME) | FIELD(F_REGION) | FIELD(F_BUCKET) |
	  FIELD(F_OBJECT_KEY) | FIELD(F_FORMAT) | FIELD(F_DESCRIPTION),
	  ACCESS_SESSION, page_import },
	{ "/migrations/track", APP_POST, FIELD(F_CSRF) | FIELD(F_TASK_ID) |
	  FIELD(F_VM_MOREF) | FIELD(F_VM_NAME) | FIELD(F_REGION),
	  ACCESS_SESSION, page_track },
	{ "/api/migrations", APP_GET, 0, ACCESS_READ, api_migrations,
	  .query = LIST_QUERY, .kind = KIND_JSON },
};

int
main(int argc, char **argv)
{
	static const struct app_program prog = { .name = "migrations",
	    .pages = pages, .npages = sizeof pages / sizeof pages[0] };

	return app_main(argc, argv, &prog);
}
