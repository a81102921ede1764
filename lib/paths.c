/*
 * paths.c — every file location of the connector, derived from one root
 * (CONNECTOR_ROOT, default "/") and one share directory (CONNECTOR_SHARE,
 * default the install prefix's share/connector).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

#ifndef CONNECTOR_SHARE_DIR
#define CONNECTOR_SHARE_DIR "/usr/local/share/connector"
#endif

static const char *const rel[PATH__MAX] = {
	[PATH_ROOT] = "",
	[PATH_ETC] = "etc/connector",
	[PATH_SETUP_CODE] = "etc/connector/setup-code",
	[PATH_NGINX_CONF] = "etc/connector/nginx.conf",
	[PATH_ERROR_PAGES] = "etc/connector/errors",
	[PATH_LIB] = "var/lib/connector",
	[PATH_DB] = "var/lib/connector/state.db",
	[PATH_KEYS] = "var/lib/connector/keys",
	[PATH_TLS] = "var/lib/connector/tls",
	[PATH_TLS_CERT] = "var/lib/connector/tls/current/cert.pem",
	[PATH_TLS_KEY] = "var/lib/connector/tls/current/key.pem",
	[PATH_NGINX_TMP] = "var/lib/connector/nginx",
	[PATH_BUNDLES] = "var/lib/connector/bundles",
	[PATH_LOG] = "var/log/connector",
	[PATH_LOGFILE] = "var/log/connector/connector.log",
	[PATH_AUDIT] = "var/log/connector/audit.log",
	[PATH_RUN] = "run/connector",
	[PATH_REQUESTS] = "var/lib/connector/requests",
	[PATH_RESULTS] = "var/lib/connector/results",
	[PATH_SUPERVISOR_PID] = "run/connector/supervisor.pid",
	[PATH_NGINX_PID] = "run/connector/nginx.pid",
};

static char paths[PATH__MAX][PATH_MAX];
static int ready;

/*
 * Compute every path.  The root must be absolute; it is normalised to end
 * without a slash so that "<root>/<rel>" never doubles one.
 */
int
paths_init(void)
{
	const char *root = getenv("CONNECTOR_ROOT");
	const char *share = getenv("CONNECTOR_SHARE");
	char r[PATH_MAX];
	size_t len;
	int i;

	if (root == NULL || *root == '\0')
		root = "/";
	if (root[0] != '/' || strlen(root) >= sizeof r - 64)
		return CONN_EINVAL;
	snprintf(r, sizeof r, "%s", root);
	len = strlen(r);
	while (len > 0 && r[len - 1] == '/')
		r[--len] = '\0';
	for (i = 0; i < PATH__MAX; i++) {
		if (i == PATH_SHARE)
			continue;
		if (i == PATH_ROOT)
			snprintf(paths[i], PATH_MAX, "%s", len ? r : "/");
		else
			snprintf(paths[i], PATH_MAX, "%s/%s", r, rel[i]);
	}
	if (share == NULL || *share == '\0')
		share = CONNECTOR_SHARE_DIR;
	if (share[0] != '/' || strlen(share) >= PATH_MAX)
		return CONN_EINVAL;
	snprintf(paths[PATH_SHARE], PATH_MAX, "%s", share);
	ready = 1;
	return 0;
}

/* The absolute path of id; paths_init must have succeeded. */
const char *
paths_get(enum paths_id id)
{
	if (!ready)
		paths_init();
	return paths[id];
}

/* The FastCGI socket of a program: run/connector/<program>.sock. */
int
paths_socket(const char *program, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s/%s.sock", paths_get(PATH_RUN),
	    program);
	return n < 0 || (size_t)n >= outlen ? CONN_EINVAL : 0;
}
