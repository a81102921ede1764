/*
 * test-site.c — the nginx configuration rendered from templates in a
 * temporary share directory: every @NAME@ replaced by the instance's
 * value; an unknown @NAME@ or an unterminated @ refused without leaving
 * an output (or temporary) file behind.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/core.h"
#include "../../lib/domain.h"
#include "unit.h"

static char share[PATH_MAX - 64], root[PATH_MAX - 64];
static char site_path[PATH_MAX], main_path[PATH_MAX];

static const char site_tpl[] =
    "listen @LISTEN@ ssl;\n"
    "cert @CERT@;\n"
    "key @KEY@;\n"
    "static @STATIC@;\n"
    "errors @ERRORS@;\n"
    "sock @SOCKDIR@/login.sock;\n"
    "audit @AUDIT_LOG@;\n";
static const char main_tpl[] =
    "@USER_LINE@\n"
    "worker_processes @WORKERS@;\n"
    "logs @LOGDIR@;\n"
    "tmp @TMPDIR@;\n"
    "pid @RUNDIR@/nginx.pid;\n"
    "include @SITE@;\n";

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Write the two templates into the share directory. */
static int
templates(const char *site, const char *mainconf)
{
	char p[PATH_MAX];

	snprintf(p, sizeof p, "%s/nginx/connector.conf.in", share);
	if (util_write_file_atomic(p, site, strlen(site), 0644) != 0)
		return -1;
	snprintf(p, sizeof p, "%s/nginx/nginx.conf.in", share);
	return util_write_file_atomic(p, mainconf, strlen(mainconf), 0644);
}

/* Remove the rendered files, so each test starts without them. */
static void
clean_output(void)
{
	unlink(site_path);
	unlink(main_path);
}

/* 1 when b holds the line exactly. */
static int
has_line(const struct buf *b, const char *line)
{
	size_t n = strlen(line);
	const char *p = b->data;

	if (p == NULL)
		return 0;
	while ((p = strstr(p, line)) != NULL) {
		if ((p == b->data || p[-1] == '\n') && p[n] == '\n')
			return 1;
		p += n;
	}
	return 0;
}

static const struct site_conf conf = { "192.0.2.5", 8443, 3, NULL };

TEST(site_variables_substituted)
{
	struct buf b = { 0 };
	char want[PATH_MAX + 64];

	clean_output();
	CHECK(templates(site_tpl, main_tpl) == 0);
	CHECK(site_render_nginx(share, &conf) == 0);
	CHECK(unit_read_file(site_path, &b) == 0);
	CHECK(strchr(b.data, '@') == NULL);
	CHECK(has_line(&b, "listen 192.0.2.5:8443 ssl;"));
	snprintf(want, sizeof want, "cert %s/var/lib/connector/tls/current/"
	    "cert.pem;", root);
	CHECK(has_line(&b, want));
	snprintf(want, sizeof want, "key %s/var/lib/connector/tls/current/"
	    "key.pem;", root);
	CHECK(has_line(&b, want));
	snprintf(want, sizeof want, "static %s/static/;", share);
	CHECK(has_line(&b, want));
	snprintf(want, sizeof want, "errors %s/etc/connector/errors/;", root);
	CHECK(has_line(&b, want));
	snprintf(want, sizeof want, "sock %s/run/connector/login.sock;", root);
	CHECK(has_line(&b, want));
	snprintf(want, sizeof want, "audit %s/var/log/connector/audit.log;",
	    root);
	CHECK(has_line(&b, want));
	buf_free(&b);
}

TEST(main_variables_substituted)
{
	struct buf b = { 0 };
	char want[PATH_MAX + 64];

	clean_output();
	CHECK(templates(site_tpl, main_tpl) == 0);
	CHECK(site_render_nginx(share, &conf) == 0);
	CHECK(unit_read_file(main_path, &b) == 0);
	CHECK(strchr(b.data, '@') == NULL);
	/* No run user: an empty line. */
	CHECK(b.data[0] == '\n');
	CHECK(has_line(&b, "worker_processes 3;"));
	snprintf(want, sizeof want, "logs %s/var/log/connector;", root);
	CHECK(has_line(&b, want));
	snprintf(want, sizeof want, "tmp %s/var/lib/connector/nginx;", root);
	CHECK(has_line(&b, want));
	snprintf(want, sizeof want, "pid %s/run/connector/nginx.pid;", root);
	CHECK(has_line(&b, want));
	snprintf(want, sizeof want, "include %s;", site_path);
	CHECK(has_line(&b, want));
	buf_free(&b);
}

TEST(user_line_and_default_workers)
{
	struct site_conf c = { "0.0.0.0", 443, 0, "www-data" };
	struct buf b = { 0 };

	clean_output();
	CHECK(templates(site_tpl, main_tpl) == 0);
	CHECK(site_render_nginx(share, &c) == 0);
	CHECK(unit_read_file(main_path, &b) == 0);
	CHECK(has_line(&b, "user www-data;"));
	CHECK(has_line(&b, "worker_processes auto;"));
	CHECK(unit_read_file(site_path, &b) == 0);
	CHECK(has_line(&b, "listen 0.0.0.0:443 ssl;"));
	buf_free(&b);
}

TEST(text_without_variables_copied)
{
	static const char plain[] = "events { worker_connections 64; }\n";
	struct buf b = { 0 };

	clean_output();
	CHECK(templates(plain, plain) == 0);
	CHECK(site_render_nginx(share, &conf) == 0);
	CHECK(unit_read_file(site_path, &b) == 0);
	CHECK(b.len == strlen(plain) && memcmp(b.data, plain, b.len) == 0);
	buf_free(&b);
}

TEST(bad_unknown_name_refused_no_output)
{
	clean_output();
	CHECK(templates("listen @LISTEN@;\nroot @NOSUCH@;\n", main_tpl) == 0);
	CHECK(site_render_nginx(share, &conf) == CONN_EINVAL);
	CHECK(!exists(site_path));
	CHECK(!exists(main_path));
	/* Nothing at all: no temporary file either. */
	CHECK(util_count_entries(paths_get(PATH_ETC)) == 1);	/* errors/ */
}

TEST(bad_lower_case_name_refused)
{
	clean_output();
	CHECK(templates("listen @listen@;\n", main_tpl) == 0);
	CHECK(site_render_nginx(share, &conf) == CONN_EINVAL);
	CHECK(!exists(site_path));
}

TEST(bad_unterminated_at_refused_no_output)
{
	clean_output();
	CHECK(templates("listen @LISTEN@;\nmail admin@example\n",
	    main_tpl) == 0);
	CHECK(site_render_nginx(share, &conf) == CONN_EINVAL);
	CHECK(!exists(site_path));
	CHECK(!exists(main_path));
	CHECK(util_count_entries(paths_get(PATH_ETC)) == 1);
}

TEST(bad_main_template_refused_no_output)
{
	clean_output();
	CHECK(templates(site_tpl, "include @SITE@;\nuser @WHO@;\n") == 0);
	CHECK(site_render_nginx(share, &conf) == CONN_EINVAL);
	CHECK(!exists(main_path));
	CHECK(!exists(site_path));	/* nothing half-written */
	clean_output();
	CHECK(templates(site_tpl, "include @SITE") == 0);
	CHECK(site_render_nginx(share, &conf) == CONN_EINVAL);
	CHECK(!exists(main_path));
	CHECK(!exists(site_path));
}

TEST(bad_template_keeps_previous_output)
{
	struct buf before = { 0 }, after = { 0 };

	clean_output();
	CHECK(templates(site_tpl, main_tpl) == 0);
	CHECK(site_render_nginx(share, &conf) == 0);
	CHECK(unit_read_file(site_path, &before) == 0);
	CHECK(templates("listen @LISTEN@;\n@BROKEN", main_tpl) == 0);
	CHECK(site_render_nginx(share, &conf) == CONN_EINVAL);
	CHECK(unit_read_file(site_path, &after) == 0);
	CHECK(after.len == before.len &&
	    memcmp(after.data, before.data, after.len) == 0);
	buf_free(&before);
	buf_free(&after);
}

TEST(bad_missing_template_refused)
{
	char p[PATH_MAX];

	clean_output();
	CHECK(templates(site_tpl, main_tpl) == 0);
	snprintf(p, sizeof p, "%s/nginx/connector.conf.in", share);
	CHECK(unlink(p) == 0);
	CHECK(site_render_nginx(share, &conf) != 0);
	CHECK(!exists(site_path));
	CHECK(!exists(main_path));
}

int
main(void)
{
	char p[PATH_MAX];

	if (unit_tmpdir("test-site") != 0)
		return 1;
	snprintf(share, sizeof share, "%s/share", unit_tmp);
	snprintf(root, sizeof root, "%s/root", unit_tmp);
	snprintf(p, sizeof p, "%s/nginx", share);
	if (unit_paths(root, share) != 0 || util_mkdirs(p, 0755) != 0 ||
	    util_mkdirs(paths_get(PATH_ERROR_PAGES), 0755) != 0 ||
	    util_mkdirs(paths_get(PATH_LOG), 0755) != 0) {
		printf("FAIL setup: directories\n");
		unit_rm_rf(unit_tmp);
		return 1;
	}
	log_init("test-site");
	snprintf(site_path, sizeof site_path, "%s/site.conf",
	    paths_get(PATH_ETC));
	snprintf(main_path, sizeof main_path, "%s", paths_get(PATH_NGINX_CONF));
	RUN(site_variables_substituted);
	RUN(main_variables_substituted);
	RUN(user_line_and_default_workers);
	RUN(text_without_variables_copied);
	RUN(bad_unknown_name_refused_no_output);
	RUN(bad_lower_case_name_refused);
	RUN(bad_unterminated_at_refused_no_output);
	RUN(bad_main_template_refused_no_output);
	RUN(bad_template_keeps_previous_output);
	RUN(bad_missing_template_refused);
	unit_rm_rf(unit_tmp);
	UNIT_EXIT();
}
