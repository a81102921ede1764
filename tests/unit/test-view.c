/*
 * test-view.c — rendering the shipped templates: every value is
 * HTML-escaped, whatever the caller or the data says.
 */
#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ClearSilver/ClearSilver.h>

#include "../../lib/core.h"
#include "../../lib/domain.h"
#include "../../lib/healthview.h"
#include "unit.h"

#define EVIL "<script>alert(\"x\")</script>'&"

/* 1 when out shows EVIL only escaped: no raw markup, quote or '&'. */
static int
escaped_only(const char *out)
{
	return strstr(out, "<script>") == NULL &&
	    strstr(out, "alert(\"x\")") == NULL &&
	    strstr(out, "</script>'") == NULL &&
	    strstr(out, "'&") == NULL &&
	    strstr(out, "&lt;script&gt;") != NULL &&
	    strstr(out, "&lt;/script&gt;") != NULL &&
	    strstr(out, "&quot;x&quot;") != NULL;
}

/* Render tpl with name=value pairs (NULL-terminated) into out. */
static int
render(const char *tpl, struct buf *out, ...)
{
	va_list ap;
	HDF *hdf;
	const char *k, *v;
	int rc;

	if (hdf_init(&hdf) != STATUS_OK)
		return -1;
	va_start(ap, out);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		if (hdf_set_value(hdf, k, v) != STATUS_OK) {
			va_end(ap);
			hdf_destroy(&hdf);
			return -1;
		}
	}
	va_end(ap);
	rc = view_render(tpl, hdf, out);
	hdf_destroy(&hdf);
	return rc;
}

TEST(error_page_renders)
{
	struct buf b = { 0 };
	int rc;

	rc = render("error.cs", &b, "Error.status", "400", "Error.reason",
	    "Bad Request", "Error.message", "The form data is malformed.",
	    NULL);
	CHECK(rc == 0);
	CHECK(b.data != NULL);
	CHECK(strstr(b.data, "<!DOCTYPE html>") != NULL);
	CHECK(strstr(b.data, "Error 400.") != NULL);
	CHECK(strstr(b.data, "The form data is malformed.") != NULL);
	CHECK(strstr(b.data, "</html>") != NULL);
	buf_free(&b);
}

TEST(error_message_escaped)
{
	struct buf b = { 0 };
	int rc, ok;

	rc = render("error.cs", &b, "Error.status", "400", "Error.reason",
	    "Bad Request", "Error.message", EVIL, NULL);
	ok = rc == 0 && escaped_only(b.data);
	if (ok)
		ok = strstr(b.data, "&amp;") != NULL &&
		    (strstr(b.data, "&#39;") != NULL ||
		    strstr(b.data, "&#x27;") != NULL ||
		    strstr(b.data, "&apos;") != NULL);
	buf_free(&b);
	CHECK(rc == 0);
	CHECK(ok);
}

TEST(error_reason_and_layout_escaped)
{
	struct buf b = { 0 };
	int rc, ok;

	rc = render("error.cs", &b, "Error.status", EVIL, "Error.reason",
	    EVIL, "Layout.title", EVIL, "Layout.version", EVIL,
	    "Layout.ip", EVIL, "Layout.fingerprint", EVIL, NULL);
	ok = rc == 0 && escaped_only(b.data);
	buf_free(&b);
	CHECK(rc == 0);
	CHECK(ok);
}

TEST(escaping_cannot_be_turned_off_by_data)
{
	struct buf b = { 0 };
	int rc, ok;

	rc = render("error.cs", &b, "Config.VarEscapeMode", "none",
	    "Error.status", "400", "Error.message", EVIL, NULL);
	ok = rc == 0 && escaped_only(b.data);
	buf_free(&b);
	CHECK(rc == 0);
	CHECK(ok);
}

TEST(attribute_value_escaped)
{
	struct buf b = { 0 };
	int rc, ok;

	rc = render("login.cs", &b, "Layout.csrf", "\"><img src=x "
	    "onerror=alert(1)>", "Errors.password", EVIL, NULL);
	ok = rc == 0 && strstr(b.data, "\"><img src=x") == NULL &&
	    strstr(b.data, "&quot;&gt;&lt;img") != NULL &&
	    escaped_only(b.data);
	buf_free(&b);
	CHECK(rc == 0);
	CHECK(ok);
}

TEST(setup_page_errors_escaped)
{
	struct buf b = { 0 };
	int rc, ok;

	rc = render("setup.cs", &b, "Errors.code", EVIL,
	    "Errors.password", EVIL, NULL);
	ok = rc == 0 && escaped_only(b.data);
	buf_free(&b);
	CHECK(rc == 0);
	CHECK(ok);
}

TEST(form_error_escaped)
{
	struct buf b = { 0 };
	int rc, ok;

	rc = render("keys.cs", &b, "Errors.form", EVIL, "Page.registered",
	    "1", NULL);
	ok = rc == 0 && escaped_only(b.data) &&
	    strstr(b.data, "Not changed.") != NULL;
	buf_free(&b);
	CHECK(rc == 0);
	CHECK(ok);
}

/* The dashboard's rows: every value escaped, and the strip, drawn by
 * health_strip_svg for a real row, printed as the markup it is. */
TEST(dashboard_list_values_escaped)
{
	struct health_row r;
	struct buf b = { 0 }, svg = { 0 };
	int rc, ok, drawn;

	memset(&r, 0, sizeof r);
	memset(r.strip, '-', HEALTH_STRIP_SLOTS);
	memset(r.strip + 90, 'e', 3);
	r.strip[95] = 'w';
	r.checked_at = 1796224020;	/* 2026-12-02 15:07 UTC */
	CHECK(health_strip_svg(&r, &svg) == 0 && svg.data != NULL);
	if (svg.data == NULL)
		return;
	rc = render("dashboard.cs", &b, "Layout.signed_in", "1",
	    "Page.name", EVIL, "Page.health.ago", EVIL,
	    "Page.health.overall", "error", "Page.health.overall_icon", "error",
	    "Page.health.slots", "96",
	    "Page.health.items.0.id", "aws",
	    "Page.health.items.0.name", EVIL,
	    "Page.health.items.0.icon", "error",
	    "Page.health.items.0.word", "Error",
	    "Page.health.items.0.summary", EVIL,
	    "Page.health.items.0.ago", EVIL,
	    "Page.health.items.0.strip", "1",
	    "Page.health.items.0.strip_svg", svg.data, NULL);
	ok = rc == 0 && escaped_only(b.data);
	drawn = rc == 0 && strstr(b.data, svg.data) != NULL &&
	    strstr(b.data, "<title>Error 13:45\u201314:30 UTC</title>") !=
	    NULL;
	buf_free(&b);
	buf_free(&svg);
	CHECK(rc == 0);
	CHECK(ok);
	CHECK(drawn);
}

/*
 * STYLE.md: no raw output in templates.  The one exception is the
 * dashboard's health strip, markup made by health_strip_svg only of
 * states, slot numbers and times (lib/healthview.h).  Every template is
 * read and every escape: must be exactly that one, and no unescaped
 * writer (uvar, lvar, evar) may appear.
 */
TEST(templates_raw_output_only_the_strip)
{
	static const char allowed[] =
	    "escape:\"none\" ?><?cs var:i.strip_svg ?><?cs /escape ?>";
	static const char *const raw[] = { "uvar:", "lvar:", "evar:" };
	char dir[PATH_MAX], path[PATH_MAX + 256];
	struct dirent *de;
	DIR *d;
	int files = 0, escapes = 0, bad = 0;

	snprintf(dir, sizeof dir, "%s/templates", paths_get(PATH_SHARE));
	d = opendir(dir);
	CHECK(d != NULL);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		char text[65536];
		FILE *f;
		size_t len;
		const char *p;

		if (n < 4 || strcmp(de->d_name + n - 3, ".cs") != 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		f = fopen(path, "r");
		CHECK(f != NULL);
		if (f == NULL)
			continue;
		len = fread(text, 1, sizeof text - 1, f);
		CHECK(feof(f));		/* read whole */
		fclose(f);
		text[len] = '\0';
		files++;
		for (p = text; (p = strstr(p, "escape")) != NULL; p++) {
			/* "/escape" closes the allowed block. */
			if (p > text && p[-1] == '/')
				continue;
			escapes++;
			if (strncmp(p, allowed, sizeof allowed - 1) != 0 ||
			    strcmp(de->d_name, "dashboard.cs") != 0) {
				printf("  raw output in %s: %.40s\n",
				    de->d_name, p);
				bad++;
			}
		}
		for (size_t i = 0; i < sizeof raw / sizeof raw[0]; i++)
			if (strstr(text, raw[i]) != NULL) {
				printf("  %s in %s\n", raw[i], de->d_name);
				bad++;
			}
	}
	closedir(d);
	CHECK(files > 10);
	CHECK(escapes == 1);
	CHECK(bad == 0);
}

TEST(render_appends)
{
	struct buf b = { 0 };
	size_t first;
	int rc;

	CHECK(buf_adds(&b, "prefix:") == 0);
	rc = render("error.cs", &b, "Error.status", "404", NULL);
	first = b.len;
	if (rc == 0)
		rc = render("error.cs", &b, "Error.status", "404", NULL);
	CHECK(rc == 0 && strncmp(b.data, "prefix:<!DOCTYPE", 16) == 0);
	CHECK(b.len == 2 * first - 7);
	buf_free(&b);
}

TEST(render_bad_unknown_template)
{
	struct buf b = { 0 };

	CHECK(render("no-such.cs", &b, NULL) == CONN_ENOTFOUND);
	CHECK(b.len == 0);
	buf_free(&b);
}

int
main(void)
{
	char share[PATH_MAX];

	if (unit_build_share(share, sizeof share) != 0) {
		printf("FAIL setup: getcwd\n");
		return 1;
	}
	if (unit_paths("/nonexistent", share) != 0 || view_init() != 0) {
		printf("FAIL setup: view_init over %s/templates\n", share);
		return 1;
	}
	RUN(error_page_renders);
	RUN(error_message_escaped);
	RUN(error_reason_and_layout_escaped);
	RUN(escaping_cannot_be_turned_off_by_data);
	RUN(attribute_value_escaped);
	RUN(setup_page_errors_escaped);
	RUN(form_error_escaped);
	RUN(dashboard_list_values_escaped);
	RUN(templates_raw_output_only_the_strip);
	RUN(render_appends);
	RUN(render_bad_unknown_template);
	view_shutdown();
	UNIT_EXIT();
}
