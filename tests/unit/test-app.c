/*
 * test-app.c — the error pages nginx answers itself, written by
 * view_write_error_pages from the console's error template: one file per
 * status, each with the version, the status and the instance's address
 * and fingerprint, every setting HTML-escaped.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/core.h"
#include "../../lib/domain.h"
#include "unit.h"

#define EVIL "<script>alert(1)</script>"

static const struct { int status; const char *reason; } pages[] = {
	{ 400, "Bad Request" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 413, "Content Too Large" },
	{ 429, "Too Many Requests" },
	{ 500, "Internal Server Error" },
};
#define NPAGES (sizeof pages / sizeof pages[0])

static char errdir[PATH_MAX];

/* Read errdir/<status>.html into b (reset first). */
static int
page(int status, struct buf *b)
{
	char p[PATH_MAX + 16];

	snprintf(p, sizeof p, "%s/%d.html", errdir, status);
	return unit_read_file(p, b);
}

static void
remove_pages(void)
{
	char p[PATH_MAX + 16];

	for (size_t i = 0; i < NPAGES; i++) {
		snprintf(p, sizeof p, "%s/%d.html", errdir, pages[i].status);
		unlink(p);
	}
}

/* The settings worker_config reads. */
static int
settings(const char *ip, const char *fp, const char *name)
{
	return db_setting_set("origins", "https://192.0.2.5:8443") ||
	    db_setting_set("ip", ip) || db_setting_set("tls_fingerprint", fp) ||
	    db_setting_set("name", name);
}

TEST(every_page_written)
{
	struct buf b = { 0 };
	struct stat st;
	char p[PATH_MAX + 16];

	remove_pages();
	CHECK(settings("192.0.2.5", "AB:CD:EF", "lab connector") == 0);
	CHECK(view_write_error_pages(errdir) == 0);
	for (size_t i = 0; i < NPAGES; i++) {
		CHECK(page(pages[i].status, &b) == 0);
		CHECK(b.len > 0);
		CHECK(strstr(b.data, "<!DOCTYPE html>") != NULL);
		CHECK(strstr(b.data, "</html>") != NULL);
		/* nginx (another user in production) must be able to read it. */
		snprintf(p, sizeof p, "%s/%d.html", errdir, pages[i].status);
		CHECK(stat(p, &st) == 0 && (st.st_mode & 0444) == 0444);
	}
	buf_free(&b);
}

TEST(pages_show_version_and_status)
{
	struct buf b = { 0 };
	char want[64];

	for (size_t i = 0; i < NPAGES; i++) {
		CHECK(page(pages[i].status, &b) == 0);
		CHECK(strstr(b.data, "Version: " CONNECTOR_VERSION) != NULL);
		snprintf(want, sizeof want, "Error %d.", pages[i].status);
		CHECK(strstr(b.data, want) != NULL);
		snprintf(want, sizeof want, "<h1>%s</h1>", pages[i].reason);
		CHECK(strstr(b.data, want) != NULL);
	}
	buf_free(&b);
}

TEST(pages_show_address_and_fingerprint)
{
	struct buf b = { 0 };

	for (size_t i = 0; i < NPAGES; i++) {
		CHECK(page(pages[i].status, &b) == 0);
		CHECK(strstr(b.data, "<strong>192.0.2.5</strong>") != NULL);
		CHECK(strstr(b.data, "AB:CD:EF") != NULL);
	}
	buf_free(&b);
}

TEST(pages_not_signed_in)
{
	struct buf b = { 0 };

	for (size_t i = 0; i < NPAGES; i++) {
		CHECK(page(pages[i].status, &b) == 0);
		CHECK(strstr(b.data, "Signed in as") == NULL);
		CHECK(strstr(b.data, "name=\"csrf\"") == NULL);
	}
	buf_free(&b);
}

TEST(too_many_requests_page_says_wait)
{
	struct buf b = { 0 };

	CHECK(page(429, &b) == 0);
	CHECK(strstr(b.data, "Too many attempts") != NULL);
	buf_free(&b);
}

TEST(pages_follow_settings)
{
	struct buf b = { 0 };

	CHECK(settings("198.51.100.9", "11:22:33", "lab connector") == 0);
	CHECK(view_write_error_pages(errdir) == 0);
	CHECK(page(404, &b) == 0);
	CHECK(strstr(b.data, "198.51.100.9") != NULL);
	CHECK(strstr(b.data, "11:22:33") != NULL);
	CHECK(strstr(b.data, "AB:CD:EF") == NULL);
	buf_free(&b);
}

TEST(bad_script_in_settings_escaped)
{
	struct buf b = { 0 };

	CHECK(settings(EVIL, "AB:" EVIL, EVIL) == 0);
	CHECK(view_write_error_pages(errdir) == 0);
	for (size_t i = 0; i < NPAGES; i++) {
		CHECK(page(pages[i].status, &b) == 0);
		CHECK(strstr(b.data, "<script") == NULL);
		CHECK(strstr(b.data, "</script") == NULL);
		/* The values are on the page, escaped. */
		CHECK(strstr(b.data, "AB:&lt;script&gt;alert(1)&lt;/script&gt;")
		    != NULL);
		CHECK(strstr(b.data, "<strong>&lt;script&gt;") != NULL);
	}
	buf_free(&b);
}

TEST(bad_no_origins_refused)
{
	CHECK(sqlite3_exec(db_handle(), "DELETE FROM settings WHERE name = "
	    "'origins'", NULL, NULL, NULL) == SQLITE_OK);
	remove_pages();
	CHECK(view_write_error_pages(errdir) != 0);
	{
		struct buf b = { 0 };
		CHECK(page(404, &b) == CONN_ENOTFOUND);
		buf_free(&b);
	}
}

TEST(bad_missing_directory_refused)
{
	char missing[PATH_MAX + 16];

	CHECK(settings("192.0.2.5", "AB:CD:EF", "lab connector") == 0);
	snprintf(missing, sizeof missing, "%s/no-such-dir", errdir);
	CHECK(view_write_error_pages(missing) != 0);
}

int
main(void)
{
	char share[PATH_MAX];

	if (unit_tmp_root("test-app", share, sizeof share) != 0)
		return 1;
	if (util_mkdirs(paths_get(PATH_LIB), 0700) != 0 ||
	    util_mkdirs(paths_get(PATH_ERROR_PAGES), 0755) != 0 ||
	    util_mkdirs(paths_get(PATH_LOG), 0750) != 0) {
		printf("FAIL setup: paths\n");
		unit_rm_rf(unit_tmp);
		return 1;
	}
	log_init("test-app");
	snprintf(errdir, sizeof errdir, "%s", paths_get(PATH_ERROR_PAGES));
	if (db_open(paths_get(PATH_DB)) != 0 || db_migrate() != 0 ||
	    view_init() != 0) {
		printf("FAIL setup: database or templates (%s)\n", share);
		unit_rm_rf(unit_tmp);
		return 1;
	}
	RUN(every_page_written);
	RUN(pages_show_version_and_status);
	RUN(pages_show_address_and_fingerprint);
	RUN(pages_not_signed_in);
	RUN(too_many_requests_page_says_wait);
	RUN(pages_follow_settings);
	RUN(bad_script_in_settings_escaped);
	RUN(bad_no_origins_refused);
	RUN(bad_missing_directory_refused);
	view_shutdown();
	db_close();
	unit_rm_rf(unit_tmp);
	UNIT_EXIT();
}
