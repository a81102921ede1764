/*
 * test-paths.c — every file location derived from CONNECTOR_ROOT and
 * CONNECTOR_SHARE: the default root, trimming of trailing slashes, the
 * "/" root, refusal of a relative root or share, and the sockets.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/core.h"
#include "../../lib/domain.h"
#include "unit.h"

#define SHARE "/opt/connector-test/share"

/* paths_init with CONNECTOR_ROOT set to root (NULL: unset). */
static int
init_root(const char *root)
{
	return unit_paths(root, SHARE);
}

static int
is(enum paths_id id, const char *want)
{
	return strcmp(paths_get(id), want) == 0;
}

TEST(root_unset_is_slash)
{
	CHECK(init_root(NULL) == 0);
	CHECK(is(PATH_ROOT, "/"));
	CHECK(is(PATH_ETC, "/etc/connector"));
	CHECK(is(PATH_DB, "/var/lib/connector/state.db"));
	CHECK(is(PATH_RUN, "/run/connector"));
}

TEST(root_empty_is_slash)
{
	CHECK(init_root("") == 0);
	CHECK(is(PATH_ROOT, "/"));
	CHECK(is(PATH_LOGFILE, "/var/log/connector/connector.log"));
}

TEST(root_slash_has_no_double_slash)
{
	CHECK(init_root("/") == 0);
	CHECK(is(PATH_ROOT, "/"));
	CHECK(is(PATH_ETC, "/etc/connector"));
	CHECK(is(PATH_SETUP_CODE, "/etc/connector/setup-code"));
	CHECK(init_root("///") == 0);
	CHECK(is(PATH_ROOT, "/"));
	CHECK(is(PATH_ETC, "/etc/connector"));
	for (int i = 0; i < PATH__MAX; i++)
		CHECK(strstr(paths_get((enum paths_id)i), "//") == NULL);
}

TEST(root_trailing_slashes_trimmed)
{
	CHECK(init_root("/srv/inst///") == 0);
	CHECK(is(PATH_ROOT, "/srv/inst"));
	CHECK(is(PATH_ETC, "/srv/inst/etc/connector"));
	CHECK(is(PATH_NGINX_CONF, "/srv/inst/etc/connector/nginx.conf"));
	CHECK(init_root("/srv/inst") == 0);
	CHECK(is(PATH_ROOT, "/srv/inst"));
	CHECK(is(PATH_ETC, "/srv/inst/etc/connector"));
}

TEST(every_path_under_root)
{
	static const struct { enum paths_id id; const char *rel; } want[] = {
		{ PATH_ETC, "etc/connector" },
		{ PATH_SETUP_CODE, "etc/connector/setup-code" },
		{ PATH_NGINX_CONF, "etc/connector/nginx.conf" },
		{ PATH_ERROR_PAGES, "etc/connector/errors" },
		{ PATH_LIB, "var/lib/connector" },
		{ PATH_DB, "var/lib/connector/state.db" },
		{ PATH_KEYS, "var/lib/connector/keys" },
		{ PATH_TLS, "var/lib/connector/tls" },
		{ PATH_TLS_CERT, "var/lib/connector/tls/current/cert.pem" },
		{ PATH_TLS_KEY, "var/lib/connector/tls/current/key.pem" },
		{ PATH_NGINX_TMP, "var/lib/connector/nginx" },
		{ PATH_LOG, "var/log/connector" },
		{ PATH_LOGFILE, "var/log/connector/connector.log" },
		{ PATH_AUDIT, "var/log/connector/audit.log" },
		{ PATH_RUN, "run/connector" },
	};
	char p[PATH_MAX];

	CHECK(init_root("/r/") == 0);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		snprintf(p, sizeof p, "/r/%s", want[i].rel);
		CHECK(is(want[i].id, p));
	}
}

TEST(root_bad_relative_refused)
{
	CHECK(init_root("srv/inst") == CONN_EINVAL);
	CHECK(init_root("./inst") == CONN_EINVAL);
	CHECK(init_root("..") == CONN_EINVAL);
}

TEST(root_bad_too_long_refused)
{
	char *r = malloc(PATH_MAX + 16);

	CHECK(r != NULL);
	memset(r, 'a', PATH_MAX + 15);
	r[0] = '/';
	r[PATH_MAX + 15] = '\0';
	if (init_root(r) != CONN_EINVAL) {
		free(r);
		CHECK(!"an over-long root was accepted");
	}
	free(r);
}

TEST(share_default)
{
	setenv("CONNECTOR_ROOT", "/srv/inst", 1);
	unsetenv("CONNECTOR_SHARE");
	CHECK(paths_init() == 0);
	CHECK(is(PATH_SHARE, CONNECTOR_SHARE_DIR));
	setenv("CONNECTOR_SHARE", "", 1);
	CHECK(paths_init() == 0);
	CHECK(is(PATH_SHARE, CONNECTOR_SHARE_DIR));
}

TEST(share_override)
{
	CHECK(init_root("/srv/inst") == 0);
	CHECK(is(PATH_SHARE, SHARE));
	/* The share is not under the root. */
	CHECK(strncmp(paths_get(PATH_SHARE), "/srv/inst", 9) != 0);
}

TEST(share_bad_relative_refused)
{
	setenv("CONNECTOR_ROOT", "/srv/inst", 1);
	setenv("CONNECTOR_SHARE", "build/share", 1);
	CHECK(paths_init() == CONN_EINVAL);
}

TEST(socket_path)
{
	char out[PATH_MAX];

	CHECK(init_root("/srv/inst/") == 0);
	CHECK(paths_socket("login", out, sizeof out) == 0);
	CHECK(strcmp(out, "/srv/inst/run/connector/login.sock") == 0);
	CHECK(init_root("/") == 0);
	CHECK(paths_socket("dashboard", out, sizeof out) == 0);
	CHECK(strcmp(out, "/run/connector/dashboard.sock") == 0);
}

TEST(socket_bad_buffer_too_small)
{
	char out[16];

	CHECK(init_root("/srv/inst") == 0);
	CHECK(paths_socket("login", out, sizeof out) == CONN_EINVAL);
	/* Exactly big enough works: "/srv/inst/run/connector/setup.sock". */
	{
		char fit[35];
		CHECK(paths_socket("setup", fit, sizeof fit) == 0);
		CHECK(strcmp(fit, "/srv/inst/run/connector/setup.sock") == 0);
		CHECK(paths_socket("setup", fit, sizeof fit - 1) == CONN_EINVAL);
	}
}

int
main(void)
{
	RUN(root_unset_is_slash);
	RUN(root_empty_is_slash);
	RUN(root_slash_has_no_double_slash);
	RUN(root_trailing_slashes_trimmed);
	RUN(every_path_under_root);
	RUN(root_bad_relative_refused);
	RUN(root_bad_too_long_refused);
	RUN(share_default);
	RUN(share_override);
	RUN(share_bad_relative_refused);
	RUN(socket_path);
	RUN(socket_bad_buffer_too_small);
	UNIT_EXIT();
}
