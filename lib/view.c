/*
 * view.c — rendering ClearSilver templates.  Every template under
 * <share>/templates is read once per process; HTML escaping of every
 * variable is forced on before parsing (Config.VarEscapeMode=html), so a
 * template cannot print a value raw.  Templates only see the HDF tree the
 * application builds from validated values.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ClearSilver/ClearSilver.h>

#include "core.h"

#define VIEW_MAX_TEMPLATES 64
#define VIEW_MAX_SIZE (256 * 1024)

struct tpl {
	char name[64];
	char *text;
	size_t len;
};

static struct tpl tpls[VIEW_MAX_TEMPLATES];
static size_t ntpls;

static const struct tpl *
tpl_find(const char *name)
{
	const char *slash = strrchr(name, '/');

	if (slash)
		name = slash + 1;
	for (size_t i = 0; i < ntpls; i++)
		if (strcmp(tpls[i].name, name) == 0)
			return &tpls[i];
	return NULL;
}

/* Load every *.cs file of the templates directory into memory. */
int
view_init(void)
{
	char dir[4096], path[4400];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	snprintf(dir, sizeof dir, "%s/templates", paths_get(PATH_SHARE));
	if ((d = opendir(dir)) == NULL) {
		log_err("cannot open templates in %s", dir);
		return CONN_EIO;
	}
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		struct buf b = { 0 };
		if (n < 4 || strcmp(de->d_name + n - 3, ".cs") != 0 ||
		    n >= sizeof tpls[0].name)
			continue;
		if (ntpls == VIEW_MAX_TEMPLATES) {
			rc = CONN_ETOOBIG;
			break;
		}
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if ((rc = util_read_file(path, VIEW_MAX_SIZE, &b)) != 0) {
			log_err("cannot read template %s", path);
			buf_free(&b);
			break;
		}
		snprintf(tpls[ntpls].name, sizeof tpls[0].name, "%s",
		    de->d_name);
		tpls[ntpls].text = b.data ? b.data : strdup("");
		tpls[ntpls].len = b.len;
		ntpls++;
	}
	closedir(d);
	return rc;
}

void
view_shutdown(void)
{
	for (size_t i = 0; i < ntpls; i++)
		free(tpls[i].text);
	ntpls = 0;
}

/* ClearSilver asks for included files here; it owns *contents. */
static NEOERR *
fileload(void *ctx, HDF *hdf, const char *filename, char **contents)
{
	const struct tpl *t = tpl_find(filename);

	(void)ctx;
	(void)hdf;
	if (t == NULL)
		return nerr_raise(NERR_NOT_FOUND, "no template %s", filename);
	if ((*contents = strdup(t->text)) == NULL)
		return nerr_raise(NERR_NOMEM, "out of memory");
	return STATUS_OK;
}

static NEOERR *
output(void *ctx, char *s)
{
	if (buf_adds(ctx, s))
		return nerr_raise(NERR_NOMEM, "out of memory");
	return STATUS_OK;
}

static int
neoerr_log(NEOERR *err, const char *what)
{
	STRING s;

	string_init(&s);
	nerr_error_string(err, &s);
	log_err("%s: %s", what, s.buf ? s.buf : "?");
	string_clear(&s);
	nerr_ignore(&err);
	return CONN_EIO;
}

/*
 * Render template tpl with the data in hdf, appending to out.  hdf keeps
 * belonging to the caller.
 */
int
view_render(const char *tpl, HDF *hdf, struct buf *out)
{
	const struct tpl *t = tpl_find(tpl);
	CSPARSE *cs = NULL;
	NEOERR *err;
	char *text;
	int rc;

	if (t == NULL) {
		log_err("no template %s", tpl);
		return CONN_ENOTFOUND;
	}
	if ((err = hdf_set_value(hdf, "Config.VarEscapeMode", "html")) ||
	    (err = hdf_set_value(hdf, "Config.TimeFooter", "0")) ||
	    (err = cs_init(&cs, hdf)) ||
	    (err = cgi_register_strfuncs(cs)))
		return neoerr_log(err, "template setup");
	cs_register_fileload(cs, NULL, fileload);
	if ((text = strdup(t->text)) == NULL) {
		cs_destroy(&cs);
		return CONN_ENOMEM;
	}
	/* cs_parse_string takes ownership of text. */
	if ((err = cs_parse_string(cs, text, t->len)) ||
	    (err = cs_render(cs, out, output)))
		rc = neoerr_log(err, tpl);
	else
		rc = 0;
	cs_destroy(&cs);
	return rc;
}

/* The reason phrase of an HTTP status (an unknown one reads as 500's). */
const char *
view_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 302: return "Found";
	case 303: return "See Other";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Content Too Large";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

/*
 * Render the console's error page for status with message (text chosen by
 * the code) into out, from hdf that already holds the layout's data; a
 * plain-text line when the template cannot be rendered.
 */
void
view_render_error(struct _hdf *hdf, int status, const char *message,
    struct buf *out)
{
	char st[8];

	snprintf(st, sizeof st, "%d", status);
	hdf_set_value(hdf, "Error.status", st);
	hdf_set_value(hdf, "Error.reason", view_status_text(status));
	hdf_set_value(hdf, "Error.message", message ? message : "");
	hdf_set_value(hdf, "Layout.title", view_status_text(status));
	if (view_render("error.cs", hdf, out) != 0) {
		buf_reset(out);
		buf_addf(out, "%d %s\n", status, view_status_text(status));
	}
}

/*
 * Write the pages nginx shows for the errors it answers itself (unknown
 * path, body too large, a program down) into dir/<status>.html, from the
 * same template as the programs' error pages, with the instance's address
 * and certificate fingerprint from its settings.  Needs the database open
 * and view_init done.  Returns 0, CONN_EINVAL (no address recorded: init
 * has not run), or the first error met.
 */
int
view_write_error_pages(const char *dir)
{
	static const struct { int status; const char *msg; } pages[] = {
		{ 400, "The request could not be understood." },
		{ 403, "This request is not allowed." },
		{ 404, "There is no such page on this console." },
		{ 405, "This page does not accept that kind of request." },
		{ 413, "The upload is larger than the console accepts "
		    "(2 MiB)." },
		{ 429, "Too many attempts from your address at once. Wait a "
		    "few seconds, then try again." },
		{ 500, "The console could not answer. Try again in a moment; "
		    "if it persists, restart the connector's services." },
	};
	struct buf ip = { 0 }, fp = { 0 }, origins = { 0 };
	char path[4200];
	int rc;

	if (db_setting_get(SETTING_ORIGINS, &origins) != 0 || origins.len == 0) {
		rc = CONN_EINVAL;
		goto out;
	}
	if ((rc = db_setting_get(SETTING_IP, &ip)) == CONN_ENOTFOUND)
		rc = 0;
	if (rc == 0 && (rc = db_setting_get(SETTING_TLS_FINGERPRINT, &fp)) ==
	    CONN_ENOTFOUND)
		rc = 0;
	for (size_t i = 0; i < sizeof pages / sizeof pages[0] && !rc; i++) {
		struct buf out = { 0 };
		HDF *hdf = NULL;

		if (hdf_init(&hdf) != STATUS_OK) {
			rc = CONN_ENOMEM;
			break;
		}
		hdf_set_value(hdf, "Layout.version", CONNECTOR_VERSION);
		hdf_set_value(hdf, "Layout.ip", ip.data ? ip.data : "");
		hdf_set_value(hdf, "Layout.fingerprint", fp.data ? fp.data : "");
		view_render_error(hdf, pages[i].status, pages[i].msg, &out);
		snprintf(path, sizeof path, "%s/%d.html", dir, pages[i].status);
		rc = util_write_file_atomic(path, out.data, out.len, 0644);
		buf_free(&out);
		hdf_destroy(&hdf);
	}
out:
	buf_free(&ip);
	buf_free(&fp);
	buf_free(&origins);
	return rc;
}
