/*
 * site.c — the web front of an instance: its origin (for redirects and the
 * Origin check) and the nginx configuration rendered from the shipped
 * templates with this instance's paths and address.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "connector.h"

/* The primary origin, e.g. "https://192.0.2.10" (first of "origins"). */
int
site_origin(char *out, size_t outlen)
{
	struct buf b = { 0 };
	int rc;

	if ((rc = db_setting_get("origins", &b)) == 0) {
		size_t n = strcspn(b.data ? b.data : "", " ");
		snprintf(out, outlen, "%.*s", (int)n, b.data ? b.data : "");
	}
	buf_free(&b);
	return rc;
}

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

static int
render_one(const char *tpl_path, const char *out_path,
    const char *const *vars)
{
	struct buf tpl = { 0 }, out = { 0 };
	int rc;

	if ((rc = util_read_file(tpl_path, 1 << 20, &tpl)) != 0) {
		log_err("cannot read %s", tpl_path);
		goto out;
	}
	if ((rc = substitute(tpl.data ? tpl.data : "", vars, &out)) == 0)
		rc = util_write_file_atomic(out_path, out.data, out.len, 0644);
out:
	buf_free(&tpl);
	buf_free(&out);
	return rc;
}

/*
 * Render <share>/nginx/connector.conf.in (the site) and
 * <share>/nginx/nginx.conf.in (a main configuration that includes it, for
 * an instance that runs its own nginx) into etc/connector/.
 */
int
site_render_nginx(const char *share, const struct site_conf *c)
{
	char listen[128], site[4200], main[4200], tpl[4200], statics[4200];
	char sock[4200], userline[128], workers[16], errors[4200];
	int rc;

	snprintf(listen, sizeof listen, "%s:%d", c->listen_addr, c->port);
	snprintf(site, sizeof site, "%s/site.conf", paths_get(PATH_ETC));
	snprintf(statics, sizeof statics, "%s/static/", share);
	snprintf(errors, sizeof errors, "%s/", paths_get(PATH_ERROR_PAGES));
	snprintf(sock, sizeof sock, "%s", paths_get(PATH_RUN));
	snprintf(workers, sizeof workers, "%d", c->workers > 0 ? c->workers : 1);
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
			"RUNDIR", paths_get(PATH_RUN),
			"SITE", site,
			"USER_LINE", userline,
			"WORKERS", workers,
			NULL,
		};
		snprintf(tpl, sizeof tpl, "%s/nginx/connector.conf.in", share);
		if ((rc = render_one(tpl, site, vars)) != 0)
			return rc;
		snprintf(tpl, sizeof tpl, "%s/nginx/nginx.conf.in", share);
		snprintf(main, sizeof main, "%s", paths_get(PATH_NGINX_CONF));
		return render_one(tpl, main, vars);
	}
}
