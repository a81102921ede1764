/*
 * site.c — the web front of an instance: the nginx configuration rendered
 * from the shipped templates with this instance's paths and address.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core.h"

/*
 * Copy tpl to out, replacing each @NAME@ by its value in vars (pairs of
 * name, value, NULL-terminated).  Unknown @NAME@ is an error.
 */
static int
substitute(const char *tpl, const char *const *vars, struct buf *out)
{
	for (const char *p = tpl; *p;) {
		const char *at = strchr(p, '@'), *end;
		size_t i;

		if (at == NULL) {
			buf_adds(out, p);
			break;
		}
		buf_add(out, p, (size_t)(at - p));
		if ((end = strchr(at + 1, '@')) == NULL) {
			log_err("nginx template: unterminated @");
			return CONN_EINVAL;
		}
		for (i = 0; vars[i] != NULL; i += 2)
			if (strlen(vars[i]) == (size_t)(end - at - 1) &&
			    strncmp(vars[i], at + 1, (size_t)(end - at - 1)) == 0)
				break;
		if (vars[i] == NULL) {
			log_err("nginx template: unknown %.*s",
			    (int)(end - at + 1), at);
			return CONN_EINVAL;
		}
		buf_adds(out, vars[i + 1]);
		p = end + 1;
	}
	return 0;
}

/* Render <share>/nginx/<name> with vars into out. */
static int
render(const char *share, const char *name, const char *const *vars,
    struct buf *out)
{
	struct buf tpl = { 0 };
	char path[4200];
	int rc;

	snprintf(path, sizeof path, "%s/nginx/%s", share, name);
	if ((rc = util_read_file(path, 1 << 20, &tpl)) != 0)
		log_err("cannot read %s", path);
	else
		rc = substitute(tpl.data ? tpl.data : "", vars, out);
	buf_free(&tpl);
	return rc;
}

/*
 * Render <share>/nginx/connector.conf.in (the site) and
 * <share>/nginx/nginx.conf.in (a main configuration that includes it, for
 * an instance that runs its own nginx) into etc/connector/.  Both are
 * rendered before either is written, so a bad template changes nothing.
 */
int
site_render_nginx(const char *share, const struct site_conf *c)
{
	char listen[128], site[4200], statics[4200];
	char sock[4200], userline[128], workers[16], errors[4200];
	char bundles[4200];
	struct buf site_out = { 0 }, main_out = { 0 };
	int rc;

	snprintf(listen, sizeof listen, "%s:%d", c->listen_addr, c->port);
	snprintf(site, sizeof site, "%s/site.conf", paths_get(PATH_ETC));
	snprintf(statics, sizeof statics, "%s/static/", share);
	snprintf(errors, sizeof errors, "%s/", paths_get(PATH_ERROR_PAGES));
	snprintf(bundles, sizeof bundles, "%s/", paths_get(PATH_BUNDLES));
	snprintf(sock, sizeof sock, "%s", paths_get(PATH_RUN));
	if (c->workers > 0)
		snprintf(workers, sizeof workers, "%d", c->workers);
	else
		snprintf(workers, sizeof workers, "auto");
	if (c->run_user)
		snprintf(userline, sizeof userline, "user %s;", c->run_user);
	else
		userline[0] = '\0';
	{
		const char *const vars[] = {
			"LISTEN", listen,
			"CERT", paths_get(PATH_TLS_CERT),
			"KEY", paths_get(PATH_TLS_KEY),
			"STATIC", statics,
			"ERRORS", errors,
			"SOCKDIR", sock,
			"AUDIT_LOG", paths_get(PATH_AUDIT),
			"LOGDIR", paths_get(PATH_LOG),
			"TMPDIR", paths_get(PATH_NGINX_TMP),
			"BUNDLES", bundles,
			"RUNDIR", paths_get(PATH_RUN),
			"SITE", site,
			"USER_LINE", userline,
			"WORKERS", workers,
			NULL,
		};
		if ((rc = render(share, "connector.conf.in", vars,
		    &site_out)) == 0 &&
		    (rc = render(share, "nginx.conf.in", vars, &main_out)) == 0 &&
		    (rc = util_write_file_atomic(site, site_out.data,
		    site_out.len, 0644)) == 0)
			rc = util_write_file_atomic(paths_get(PATH_NGINX_CONF),
			    main_out.data, main_out.len, 0644);
	}
	buf_free(&site_out);
	buf_free(&main_out);
	return rc;
}
