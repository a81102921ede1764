/*
 * app.c — the request lifecycle every worker of a console program runs (the
 * prefork master that keeps the workers alive is lib/master.c):
 *
 *   page lookup → method → claim state → session → (POST: Origin → body
 *   parse → field table validation → CSRF token) → handler → template /
 *   redirect / error page.
 *
 * A handler only sees validated fields and returns an HTTP status.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <ClearSilver/ClearSilver.h>
#include <jansson.h>

#include "core.h"
#include "domain.h"
#include "master.h"

#define APP_MAX_WORKERS 64	/* a bound on --workers */
#define APP_MAX_ORIGINS 8
#define HTML_TYPE "text/html; charset=utf-8"

struct app_ctx {
	FCGX_Request *r;
	const struct app_page *page;
	int post;
	int head;		/* HEAD: a GET answered without its body */
	char path[256];
	char addr[64];
	char ctype[256];
	const char *valid[F__MAX];	/* validated field values */
	size_t valid_len[F__MAX];
	const char *raw[F__MAX];	/* soft fields as sent, valid or not */
	char *field_err[F__MAX];	/* soft fields' problems */
	struct req_fields fields;
	char *body;
	size_t body_len;	/* bytes allocated for body, for wiping */
	size_t body_n;		/* bytes of body read */
	int body_read;		/* the body was read (app_body) */
	int signed_in;
	int bearer;		/* a read-only API request with a valid token */
	char token[AUTH_TOKEN_LEN + 1];	/* session cookie value */
	struct auth_session sess;
	char anon_csrf[AUTH_TOKEN_LEN + 1];
	int new_anon_csrf;
	HDF *hdf;
	const char *tpl;
	char location[640];
	char audit[256];
	char user[96];		/* X-Connector-User when set (app_set_user) */
	char errmsg[512];
	struct buf cookies;		/* Set-Cookie header lines */
	char notice[AUTH_NOTICE_MAX];	/* one-time notice being shown */
	int notice_warning;		/* ... as a warning */
	char notice_secret[AUTH_TOKEN_LEN + 1];	/* shown once with it */
	json_t *json;			/* KIND_JSON answer */
	int json_secret;		/* ... holds a secret: wiped when sent */
	struct buf text;		/* KIND_PROM answer */
	char accel[512];		/* KIND_DOWNLOAD: X-Accel-Redirect */
	char disposition[160];		/*   Content-Disposition */
	char dl_ctype[64];		/*   Content-Type */
};

/* Where nginx serves downloads from (an internal location). */
#define APP_DOWNLOAD_PREFIX "/_download/"

/* The pages a sign-in may return to (?next=), besides "/". */
static const char *const local_pages[] = {
	"/register", "/keys", "/settings", "/migrations",
	"/users",
};

/* Per-process configuration, read once when a worker starts. */
static struct {
	const struct app_program *prog;
	char origins[APP_MAX_ORIGINS][256];
	size_t norigins;
	char ip[64];
	char fingerprint[128];
} cfg;

static int worker_config(void);

/* ---- for handlers ---- */

/* The validated value of field f, or NULL when it was not sent. */
const char *
app_field(struct app_ctx *c, enum field_id f)
{
	return c->valid[f];
}

/* The length of field f's value (files may hold NUL bytes), or 0. */
size_t
app_field_len(struct app_ctx *c, enum field_id f)
{
	return c->valid[f] ? c->valid_len[f] : 0;
}

/*
 * A soft field as it was sent, valid or not (valid UTF-8 without NUL, to
 * show again escaped beside its error), or NULL.  Never for secrets.
 */
const char *
app_field_raw(struct app_ctx *c, enum field_id f)
{
	return c->raw[f];
}

/* The sentence saying what is wrong with soft field f, or NULL. */
const char *
app_field_error(struct app_ctx *c, enum field_id f)
{
	return c->field_err[f];
}

/*
 * Mark field f as wrong with a sentence (copied) saying what to do; the
 * template finds it under Errors.<field name>.  Returns 400, the status of
 * a form shown again with its errors.
 */
int
app_set_field_error(struct app_ctx *c, enum field_id f, const char *msg)
{
	char key[128];

	if (c->field_err[f] == NULL)
		c->field_err[f] = strdup(msg);
	snprintf(key, sizeof key, "Errors.%s", valid_fields[f].name);
	hdf_set_value(c->hdf, key, c->field_err[f] ? c->field_err[f] : msg);
	hdf_set_value(c->hdf, "Errors.any", "1");
	return 400;
}

/* 1 when some soft field failed its validation. */
int
app_has_field_errors(struct app_ctx *c)
{
	for (int i = 0; i < F__MAX; i++)
		if (c->field_err[i])
			return 1;
	return 0;
}

/*
 * Mark every field of fields (FIELD(F_x) | ...) that is empty with the
 * field table's "required" sentence.  Returns 400 when one was, else 0.
 */
int
app_require(struct app_ctx *c, uint64_t fields)
{
	int rc = 0;

	for (int i = 0; i < F__MAX; i++) {
		if (!(fields & FIELD(i)) || valid_fields[i].required == NULL ||
		    c->field_err[i])
			continue;
		if (c->valid[i] == NULL || c->valid_len[i] == 0)
			rc = app_set_field_error(c, (enum field_id)i,
			    valid_fields[i].required);
	}
	return rc;
}

/*
 * Show the outcome of a domain action: its audit line (constant text, or
 * NULL) and, when rc is not 0, its sentence msg beside field f, or above
 * the form when f is F__MAX.  Returns 0 when rc is, else the status to
 * answer: 400 with a sentence, 500 without one (a local failure, logged
 * where it happened).
 */
int
app_result(struct app_ctx *c, int rc, enum field_id f, const char *msg,
    const char *audit)
{
	if (audit)
		app_audit(c, audit);
	if (rc == 0)
		return 0;
	if (msg == NULL || *msg == '\0')
		return 500;
	if (f == F__MAX)
		return app_form_error(c, msg);
	return app_set_field_error(c, f, msg);
}

/*
 * Say what is wrong with the form as a whole (copied; the first sentence
 * stays); macros.cs's form_notice shows it above the form.  Returns 400.
 */
int
app_form_error(struct app_ctx *c, const char *msg)
{
	if (hdf_get_value(c->hdf, "Errors.form", NULL) == NULL)
		hdf_set_value(c->hdf, "Errors.form", msg);
	return 400;
}

int
app_is_post(struct app_ctx *c)
{
	return c->post;
}

const char *
app_remote_addr(struct app_ctx *c)
{
	return c->addr;
}

/* Set Page.<name> for the template; value must come from validated data. */
void
app_set(struct app_ctx *c, const char *name, const char *value)
{
	char key[128];

	snprintf(key, sizeof key, "Page.%s", name);
	hdf_set_value(c->hdf, key, value ? value : "");
}

void
app_set_int(struct app_ctx *c, const char *name, long long value)
{
	char v[32];

	snprintf(v, sizeof v, "%lld", value);
	app_set(c, name, v);
}

/* Set Page.<name> to time t as "YYYY-MM-DD HH:MM UTC"; nothing for t <= 0. */
void
app_set_time(struct app_ctx *c, const char *name, time_t t)
{
	char v[32];
	struct tm tm;

	if (t <= 0)
		return;
	gmtime_r(&t, &tm);
	strftime(v, sizeof v, "%Y-%m-%d %H:%M UTC", &tm);
	app_set(c, name, v);
}

/* Choose the template to render for a 200 answer, and the page title. */
void
app_template(struct app_ctx *c, const char *tpl, const char *title)
{
	c->tpl = tpl;
	hdf_set_value(c->hdf, "Layout.title", title);
}

/* Redirect to path (absolute, on the configured origin); returns 302/303. */
int
app_redirect(struct app_ctx *c, const char *path)
{
	snprintf(c->location, sizeof c->location, "%s%s", cfg.origins[0],
	    path);
	return c->post ? 303 : 302;
}

/*
 * Redirect to path with a one-time notice msg (constant text chosen by the
 * code; secret and warning as auth_notice_set takes them).  The action is
 * done: a notice that cannot be kept is logged, never turned into an error
 * page that invites doing the action again.
 */
static int
redirect_with(struct app_ctx *c, const char *path, const char *msg,
    const char *secret, int warning)
{
	if (c->signed_in && auth_notice_set(c->token, msg, secret, warning,
	    path) != 0)
		log_warn("the notice for %s could not be kept", path);
	return app_redirect(c, path);
}

/*
 * Redirect to path and show msg once on the page it lands on: the notice
 * is kept with the session, server-side, and gone after it has been shown
 * there (another page opened meanwhile leaves it waiting).  Without a
 * session, a plain redirect.  Returns 302/303.
 */
int
app_redirect_notice(struct app_ctx *c, const char *path, const char *msg)
{
	return redirect_with(c, path, msg, NULL, 0);
}

/* The same for work done only in part (the portal was not told): the
 * notice is shown as a warning. */
int
app_redirect_warning(struct app_ctx *c, const char *path, const char *msg)
{
	return redirect_with(c, path, msg, NULL, 1);
}

/*
 * The same, with a token (one of ours, 43 characters) to show once beside
 * the notice, for the landing page's handler (app_notice_secret).  It is
 * kept sealed with the session's cookie token, never in a URL or a log.
 */
int
app_redirect_secret(struct app_ctx *c, const char *path, const char *msg,
    const char *secret)
{
	return redirect_with(c, path, msg, secret, 0);
}

/* The token shown once with this page's notice, or NULL. */
const char *
app_notice_secret(struct app_ctx *c)
{
	return c->notice_secret[0] ? c->notice_secret : NULL;
}

/* A KIND_JSON page's answer; takes the reference to root.  Returns 200. */
int
app_json(struct app_ctx *c, json_t *root)
{
	json_decref(c->json);
	c->json = root;
	return root ? 200 : 500;
}

/*
 * The same for an answer that holds a secret (temporary credentials): its
 * strings and its written form are wiped once it is sent.
 */
int
app_json_secret(struct app_ctx *c, json_t *root)
{
	c->json_secret = 1;
	return app_json(c, root);
}

/* Wipe every string of v (an answer that held a secret). */
static void
wipe_json(json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_string(v))
		util_wipe((char *)json_string_value(v), json_string_length(v));
	else if (json_is_object(v))
		json_object_foreach(v, k, x)
			wipe_json(x);
	else if (json_is_array(v))
		json_array_foreach(v, i, x)
			wipe_json(x);
}

/* The body of a KIND_PROM page's answer, for the handler to fill. */
struct buf *
app_text(struct app_ctx *c)
{
	return &c->text;
}

/* 1 when s is 1 to max characters of [A-Za-z0-9._-], not starting '.'. */
static int
safe_name(const char *s, size_t max)
{
	size_t n = strlen(s);

	return n > 0 && n <= max && s[0] != '.' && strspn(s,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	    "._-") == n;
}

/*
 * A KIND_DOWNLOAD page's answer: nginx sends the file internal_path (one
 * or more safe names joined by '/', relative to the instance's downloads
 * directory) as filename (a safe name), typed content_type (constant text
 * chosen by the code).  The program never streams the file itself.
 * Returns 200, or 500 when a name is not safe.
 */
int
app_download(struct app_ctx *c, const char *internal_path,
    const char *filename, const char *content_type)
{
	char seg[128];
	const char *p = internal_path, *slash;

	if (!safe_name(filename, 100) || strspn(content_type,
	    "abcdefghijklmnopqrstuvwxyz0123456789/.+-") !=
	    strlen(content_type) || strlen(content_type) >= sizeof c->dl_ctype)
		return 500;
	do {
		size_t n;
		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		if (n >= sizeof seg)
			return 500;
		memcpy(seg, p, n);
		seg[n] = '\0';
		if (!safe_name(seg, sizeof seg - 1))
			return 500;
		p = slash + 1;
	} while (slash);
	if ((size_t)snprintf(c->accel, sizeof c->accel, "%s%s",
	    APP_DOWNLOAD_PREFIX, internal_path) >= sizeof c->accel)
		return 500;
	snprintf(c->disposition, sizeof c->disposition,
	    "attachment; filename=\"%s\"", filename);
	snprintf(c->dl_ctype, sizeof c->dl_ctype, "%s", content_type);
	return 200;
}

/* 1 when path is a console page a sign-in may return to. */
int
app_local_path(const char *path)
{
	if (path == NULL)
		return 0;
	if (strcmp(path, "/") == 0)
		return 1;
	for (size_t i = 0; i < sizeof local_pages / sizeof local_pages[0]; i++)
		if (strcmp(path, local_pages[i]) == 0)
			return 1;
	return 0;
}

/* Name the action for the audit log (constant text chosen by the code). */
void
app_audit(struct app_ctx *c, const char *action)
{
	snprintf(c->audit, sizeof c->audit, "%s", action);
	util_clean_text(c->audit);	/* it becomes a header */
}

/* The sentence shown on an error page. */
void
app_error_message(struct app_ctx *c, const char *msg)
{
	snprintf(c->errmsg, sizeof c->errmsg, "%s", msg);
}

/*
 * Name who the request acted for in the audit log's user field (instead
 * of "admin", "api-token" or "-"): at most 80 of [A-Za-z0-9_+=,.@:-],
 * else "-".
 */
void
app_set_user(struct app_ctx *c, const char *who)
{
	size_t n = who ? strlen(who) : 0;

	if (n == 0 || n > 80 || strspn(who, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_+=,.@:-") != n)
		who = "-";
	snprintf(c->user, sizeof c->user, "%s", who);
}

/* The request's method as sent. */
const char *
app_method(struct app_ctx *c)
{
	const char *m = FCGX_GetParam("REQUEST_METHOD", c->r->envp);

	return m ? m : "";
}

/*
 * A parameter the web server's configuration passes (not a header, not a
 * field: a name the site sets with fastcgi_param), or NULL.
 */
const char *
app_param(struct app_ctx *c, const char *name)
{
	return FCGX_GetParam(name, c->r->envp);
}

/* The request's path and query as sent (REQUEST_URI). */
const char *
app_request_uri(struct app_ctx *c)
{
	const char *u = FCGX_GetParam("REQUEST_URI", c->r->envp);

	return u ? u : "";
}

/*
 * The request's headers as the web server passed them (HTTP_*), names in
 * lower case with '-', in order, a repeated header once per time; a name
 * of APP_HEADER_NAME_MAX characters or more is left out.  Returns 0 with
 * *n, or CONN_ETOOBIG when there are more than max.
 */
int
app_headers(struct app_ctx *c, struct app_header *out, size_t max,
    size_t *n)
{
	*n = 0;
	for (char **e = c->r->envp; e && *e; e++) {
		const char *eq = strchr(*e, '='), *p;
		size_t len;
		if (strncmp(*e, "HTTP_", 5) != 0 || eq == NULL)
			continue;
		len = (size_t)(eq - *e) - 5;
		if (len == 0 || len >= APP_HEADER_NAME_MAX)
			continue;
		if (*n == max)
			return CONN_ETOOBIG;
		for (p = *e + 5; p < eq; p++)
			out[*n].name[p - *e - 5] = *p == '_' ? '-' :
			    (char)tolower((unsigned char)*p);
		out[*n].name[len] = '\0';
		out[*n].value = eq + 1;
		(*n)++;
	}
	return 0;
}

static void
add_cookie(struct app_ctx *c, const char *name, const char *value)
{
	buf_addf(&c->cookies, "Set-Cookie: %s=%s; Path=/; Secure; HttpOnly; "
	    "SameSite=Strict%s\r\n", name, value,
	    *value ? "" : "; Max-Age=0");
}

/* Sign in: a new session with a new token (any old one is ended). */
int
app_start_session(struct app_ctx *c)
{
	int rc;

	if (c->signed_in)
		auth_session_end(c->token);
	c->signed_in = 0;
	if ((rc = auth_session_create(c->addr, c->token, &c->sess)) != 0)
		return rc;
	c->signed_in = 1;
	add_cookie(c, AUTH_SESSION_COOKIE, c->token);
	return 0;
}

/* Sign out: the session is deleted and the cookie cleared. */
int
app_end_session(struct app_ctx *c)
{
	int rc = 0;

	if (c->signed_in)
		rc = auth_session_end(c->token);
	c->signed_in = 0;
	add_cookie(c, AUTH_SESSION_COOKIE, "");
	return rc;
}

/* ---- request lifecycle ---- */

static void
copy_param(FCGX_Request *r, const char *name, char *out, size_t outlen)
{
	const char *v = FCGX_GetParam(name, r->envp);

	snprintf(out, outlen, "%s", v ? v : "");
}

/* 1 when the POST comes from one of our origins (Origin, else Referer). */
static int
origin_ok(FCGX_Request *r)
{
	const char *o = FCGX_GetParam("HTTP_ORIGIN", r->envp);
	const char *ref = FCGX_GetParam("HTTP_REFERER", r->envp);

	for (size_t i = 0; i < cfg.norigins; i++) {
		size_t n = strlen(cfg.origins[i]);
		if (o != NULL) {
			if (strcmp(o, cfg.origins[i]) == 0)
				return 1;
		} else if (ref != NULL && strncmp(ref, cfg.origins[i], n) == 0 &&
		    ref[n] == '/')
			return 1;
	}
	return 0;
}

/* Read exactly CONTENT_LENGTH bytes of body, at most max; returns 0 or a
 * status (413 over max, nothing read). */
static int
read_body(struct app_ctx *c, size_t max, size_t *len)
{
	const char *cl = FCGX_GetParam("CONTENT_LENGTH", c->r->envp);
	char *end;
	unsigned long n;
	size_t got = 0;

	*len = 0;
	if (cl == NULL || *cl == '\0')
		return 0;
	errno = 0;
	n = strtoul(cl, &end, 10);
	if (errno || *end || cl[0] == '-')
		return 400;
	if (n > max)
		return 413;
	if ((c->body = malloc(n + 1)) == NULL)
		return 500;
	c->body_len = n + 1;
	while (got < n) {
		int k = FCGX_GetStr(c->body + got, (int)(n - got), c->r->in);
		if (k <= 0)
			return 400;
		got += (size_t)k;
	}
	c->body[n] = '\0';
	*len = c->body_n = n;
	return 0;
}

/*
 * The raw body of a POST (ACCESS_SIGNED pages; others get parsed fields),
 * read once, NUL-terminated after its len bytes.  Returns 0 (*data NULL
 * when there is none), CONN_ETOOBIG when Content-Length is over max (not
 * read), CONN_EINVAL when the body is not as long as it says, CONN_ENOMEM.
 */
int
app_body(struct app_ctx *c, size_t max, const char **data, size_t *len)
{
	int rc;

	*data = NULL;
	*len = 0;
	if (!c->body_read) {
		c->body_read = 1;
		if ((rc = read_body(c, max, len)) != 0)
			return rc == 413 ? CONN_ETOOBIG : rc == 400 ?
			    CONN_EINVAL : CONN_ENOMEM;
	}
	*data = c->body;
	*len = c->body_n;
	return 0;
}

/*
 * Check every parsed form field against the page's list and the field
 * table; fills c->valid.  Returns 0 or 400 with a message.
 */
static int
validate_fields(struct app_ctx *c)
{
	for (size_t i = 0; i < c->fields.n; i++) {
		const struct req_field *f = &c->fields.f[i];
		int id = valid_field_lookup(f->name);
		const struct valid_field *vf;
		int rc;

		if (id < 0 || !(c->page->fields & FIELD(id)) ||
		    (f->filename != NULL) != (valid_fields[id].type ==
		    VT_FILE)) {
			app_error_message(c, "The form sent a field this page "
			    "does not accept.");
			return 400;
		}
		vf = &valid_fields[id];
		rc = valid_field_value(vf, f->value, f->value_len);
		if (vf->soft && vf->type != VT_FILE)
			c->raw[id] = f->value;
		if (rc != 0 && vf->soft) {
			char msg[512];
			if (rc == CONN_ETOOBIG)
				snprintf(msg, sizeof msg, vf->type == VT_FILE ?
				    "This is too long: at most %zu bytes." :
				    "This is too long: at most %zu bytes, "
				    "where a letter outside plain ASCII takes "
				    "two or more.", vf->maxlen);
			else
				snprintf(msg, sizeof msg, "%s",
				    valid_field_hint(vf));
			if (rc != CONN_ETOOBIG && msg[0])
				msg[0] = (char)toupper((unsigned char)msg[0]);
			if (rc != CONN_ETOOBIG)
				strncat(msg, ".", sizeof msg - strlen(msg) - 1);
			app_set_field_error(c, (enum field_id)id, msg);
			continue;
		}
		if (rc != 0) {
			snprintf(c->errmsg, sizeof c->errmsg, "%s: %s.",
			    vf->label, rc == CONN_ETOOBIG ?
			    "the value is too long" : valid_field_hint(vf));
			return 400;
		}
		c->valid[id] = f->value;
		c->valid_len[id] = f->value_len;
	}
	return 0;
}

/* The CSRF token the forms of this page carry (session's or anonymous). */
static const char *
page_csrf(struct app_ctx *c)
{
	return c->signed_in ? c->sess.csrf : c->anon_csrf;
}

/*
 * A read-only request without a session: it needs "Authorization: Bearer"
 * with a valid API token, and is never a POST.  Returns 0 (c->bearer set),
 * 401 (no data, not counted as a password failure), 405 or 500.
 */
static int
bearer_check(struct app_ctx *c)
{
	const char *az = FCGX_GetParam("HTTP_AUTHORIZATION", c->r->envp);
	long long id;
	int rc;

	if (c->post)
		return 405;
	if (az == NULL || strncasecmp(az, "Bearer ", 7) != 0) {
		app_error_message(c, "Sign in, or send an API token from the "
		    "Settings page as \"Authorization: Bearer\".");
		return 401;
	}
	rc = auth_api_token_check(az + 7, &id);
	if (rc == CONN_EDENIED) {
		app_audit(c, "refused: unknown API token");
		app_error_message(c, "This API token is not known: it may have "
		    "been revoked. Create a new one on the Settings page.");
		return 401;
	}
	if (rc != 0)
		return 500;
	c->bearer = 1;
	return 0;
}

/*
 * Parse query string qs (NULL or "" for none) into fs and check every
 * parameter against mask (a page's query fields) and the field table:
 * unknown, repeated or malformed parameters, or a value its type refuses,
 * are a 400 with a sentence in why.  A query parameter is never soft.
 * Returns 0 or 400; fs is the caller's to free either way.
 */
int
app_query_parse(const char *qs, uint64_t mask, struct req_fields *fs,
    char *why, size_t whylen)
{
	int rc;

	if (qs == NULL || *qs == '\0')
		return 0;
	if ((rc = req_parse_urlencoded(qs, strlen(qs), &req_default_limits,
	    fs)) != 0) {
		snprintf(why, whylen, "%s", req_perr_string(rc));
		return 400;
	}
	for (size_t i = 0; i < fs->n; i++) {
		const struct req_field *f = &fs->f[i];
		int id = valid_field_lookup(f->name);
		const struct valid_field *vf;

		if (id < 0 || !(mask & FIELD(id)) ||
		    valid_fields[id].type == VT_FILE) {
			snprintf(why, whylen, "The address has a parameter "
			    "this page does not accept.");
			return 400;
		}
		vf = &valid_fields[id];
		if (valid_field_value(vf, f->value, f->value_len) != 0) {
			snprintf(why, whylen, "The address has a value that "
			    "is not valid for %s: %s.", vf->label,
			    valid_field_hint(vf));
			return 400;
		}
	}
	return 0;
}

/* The query of a GET or HEAD into c->valid (app_query_parse); 0 or 400. */
static int
read_query(struct app_ctx *c)
{
	int rc;

	rc = app_query_parse(FCGX_GetParam("QUERY_STRING", c->r->envp),
	    c->page->query, &c->fields, c->errmsg, sizeof c->errmsg);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < c->fields.n; i++) {
		int id = valid_field_lookup(c->fields.f[i].name);
		c->valid[id] = c->fields.f[i].value;
		c->valid_len[id] = c->fields.f[i].value_len;
	}
	return 0;
}

/* Run the checks before the handler; 0 to go on, else a status. */
static int
prepare(struct app_ctx *c)
{
	const char *method = FCGX_GetParam("REQUEST_METHOD", c->r->envp);
	const char *cookies = FCGX_GetParam("HTTP_COOKIE", c->r->envp);
	const char *query = FCGX_GetParam("QUERY_STRING", c->r->envp);
	struct auth_admin admin;
	size_t blen;
	int rc;

	copy_param(c->r, "DOCUMENT_URI", c->path, sizeof c->path);
	copy_param(c->r, "REMOTE_ADDR", c->addr, sizeof c->addr);
	copy_param(c->r, "CONTENT_TYPE", c->ctype, sizeof c->ctype);
	for (size_t i = 0; i < cfg.prog->npages; i++)
		if (strcmp(cfg.prog->pages[i].path, c->path) == 0)
			c->page = &cfg.prog->pages[i];
	if (c->page == NULL)
		return 404;
	if (method != NULL && strcmp(method, "POST") == 0)
		c->post = 1;
	else if (method != NULL && strcmp(method, "HEAD") == 0)
		c->head = 1;
	else if (method == NULL || strcmp(method, "GET") != 0)
		return 405;
	if (!(c->page->methods & (c->post ? APP_POST : APP_GET)))
		return 405;

	if (auth_admin_get(&admin) != 0)
		return 500;
	if (c->page->access == ACCESS_SETUP && admin.claimed)
		return 404;
	if (c->page->access != ACCESS_SETUP && !admin.claimed)
		return c->page->kind == KIND_HTML ? app_redirect(c, "/setup") :
		    401;
	/* The handler authenticates: no cookie or form token is looked at,
	 * so none can stand in for what it checks. */
	if (c->page->access == ACCESS_SIGNED)
		return 0;

	if (req_cookie(cookies, AUTH_SESSION_COOKIE, c->token,
	    sizeof c->token) == 0) {
		rc = auth_session_check(c->token, &c->sess);
		if (rc == 0)
			c->signed_in = 1;
		else if (rc != CONN_EDENIED)
			return 500;
	}
	if (c->page->access == ACCESS_SESSION && !c->signed_in) {
		if (c->post) {
			app_error_message(c, "Your session has ended. Sign in "
			    "again and repeat the action.");
			return 403;
		}
		/* Back to the page asked for after sign-in, when it is one
		 * of the console's own (never a URL from the request). */
		if (strcmp(c->path, "/") != 0 && app_local_path(c->path)) {
			char to[64 + sizeof c->path];
			snprintf(to, sizeof to, "/login?next=%s", c->path);
			return app_redirect(c, to);
		}
		return app_redirect(c, "/login");
	}
	if (c->page->access == ACCESS_READ && !c->signed_in &&
	    (rc = bearer_check(c)) != 0)
		return rc;
	if (!c->signed_in && c->page->kind == KIND_HTML) {
		if (req_cookie(cookies, AUTH_CSRF_COOKIE, c->anon_csrf,
		    sizeof c->anon_csrf) != 0 || !auth_token_valid(c->anon_csrf)) {
			c->anon_csrf[0] = '\0';
			if (!c->post) {
				if (auth_token(c->anon_csrf))
					return 500;
				c->new_anon_csrf = 1;
			}
		}
	}

	if (!c->post) {
		if ((rc = read_query(c)) != 0)
			return rc;
		/* The one-time notice: on the HTML page a redirect lands on
		 * (another page, in another tab, leaves it waiting). */
		if (c->signed_in && !c->head && c->page->kind == KIND_HTML &&
		    c->sess.has_notice && (c->sess.notice_path[0] == '\0' ||
		    strcmp(c->sess.notice_path, c->path) == 0)) {
			snprintf(c->notice, sizeof c->notice, "%s",
			    c->sess.notice);
			c->notice_warning = c->sess.notice_warning;
			if (auth_notice_take(c->token, &c->sess,
			    c->notice_secret) != 0)
				return 500;
		}
		return 0;
	}
	if (query && *query) {
		app_error_message(c, "The form was sent to an address with "
		    "parameters, which this console's forms never do. Reload "
		    "the page and try again.");
		return 400;
	}
	if (!origin_ok(c->r)) {
		app_audit(c, "refused: cross-origin request");
		app_error_message(c, "The request did not come from this "
		    "console's own pages.");
		return 403;
	}
	if ((rc = read_body(c, REQ_MAX_BODY, &blen)) != 0) {
		if (rc == 413)
			app_error_message(c, "The upload is too large.");
		return rc;
	}
	if ((rc = req_parse_body(c->ctype[0] ? c->ctype : NULL, c->body, blen,
	    &req_default_limits, &c->fields)) != 0) {
		app_error_message(c, req_perr_string(rc));
		return 400;
	}
	if ((rc = validate_fields(c)) != 0)
		return rc;
	if (c->valid[F_CSRF] == NULL || page_csrf(c)[0] == '\0' ||
	    !util_ct_equal(c->valid[F_CSRF], page_csrf(c))) {
		app_audit(c, "refused: bad form token");
		app_error_message(c, "The form has expired or did not come "
		    "from this console. Reload the page and try again.");
		return 403;
	}
	return 0;
}

static void
put(struct app_ctx *c, const char *s, size_t n)
{
	FCGX_PutStr(s, (int)n, c->r->out);
}

/* Write the status line, our headers and the body (of type ctype). */
static void
respond(struct app_ctx *c, int status, const char *ctype, const char *body,
    size_t blen)
{
	struct buf h = { 0 };

	buf_addf(&h, "Status: %d %s\r\n", status, view_status_text(status));
	if (c->location[0])
		buf_addf(&h, "Location: %s\r\n", c->location);
	if (status == 405)
		buf_addf(&h, "Allow: %s\r\n", c->page &&
		    (c->page->methods & APP_POST) ?
		    (c->page->methods & APP_GET ? "GET, HEAD, POST" : "POST") :
		    "GET, HEAD");
	if (status == 401)
		buf_addf(&h, "WWW-Authenticate: Bearer realm=\"connector\"\r\n");
	if (status == 200 && c->accel[0])
		buf_addf(&h, "X-Accel-Redirect: %s\r\n"
		    "Content-Disposition: %s\r\n", c->accel, c->disposition);
	if (c->cookies.len)
		buf_add(&h, c->cookies.data, c->cookies.len);
	if (c->new_anon_csrf && !c->signed_in)
		buf_addf(&h, "Set-Cookie: %s=%s; Path=/; Secure; HttpOnly; "
		    "SameSite=Strict\r\n", AUTH_CSRF_COOKIE, c->anon_csrf);
	buf_addf(&h, "X-Connector-User: %s\r\n", c->user[0] ? c->user :
	    c->signed_in ? "admin" : c->bearer ? "api-token" : "-");
	if (c->audit[0])
		buf_addf(&h, "X-Connector-Audit: %s\r\n", c->audit);
	buf_addf(&h, "Content-Type: %s\r\n"
	    "Content-Length: %zu\r\n\r\n", ctype, blen);
	put(c, h.data, h.len);
	if (blen && !c->head)
		put(c, body, blen);
	buf_free(&h);
}

/* The data every page's layout uses. */
static void
layout_data(struct app_ctx *c)
{
	hdf_set_value(c->hdf, "Layout.version", CONNECTOR_VERSION);
	hdf_set_value(c->hdf, "Layout.ip", cfg.ip);
	hdf_set_value(c->hdf, "Layout.fingerprint", cfg.fingerprint);
	hdf_set_value(c->hdf, "Layout.path", c->path);
	hdf_set_value(c->hdf, "Layout.program", cfg.prog ? cfg.prog->name : "");
	hdf_set_int_value(c->hdf, "Layout.signed_in", c->signed_in);
	hdf_set_value(c->hdf, "Layout.csrf", page_csrf(c));
	if (c->notice[0]) {
		hdf_set_value(c->hdf, "Layout.notice", c->notice);
		if (c->notice_warning)
			hdf_set_value(c->hdf, "Layout.notice_warning", "1");
	}
}

/* Render the error page for status into out, falling back to plain text. */
static void
render_error(struct app_ctx *c, int status, struct buf *out)
{
	layout_data(c);
	view_render_error(c->hdf, status, c->errmsg, out);
}

/*
 * The error answer: the error page, or for a page that answers data, its
 * own format (JSON: {"error": ...}; else plain text) and nothing else.
 */
static void
error_page(struct app_ctx *c, int status)
{
	struct buf out = { 0 };
	enum app_kind kind = c->page ? c->page->kind : KIND_HTML;

	c->location[0] = '\0';
	c->accel[0] = '\0';
	if (kind == KIND_JSON) {
		json_t *e = json_pack("{s:i, s:s}", "status", status, "error",
		    c->errmsg[0] ? c->errmsg : view_status_text(status));
		char *s = e ? json_dumps(e, JSON_COMPACT) : NULL;
		respond(c, status, "application/json", s ? s : "{}",
		    s ? strlen(s) : 2);
		free(s);
		json_decref(e);
		return;
	}
	if (kind != KIND_HTML) {
		buf_addf(&out, "%d %s\n", status, view_status_text(status));
		respond(c, status, "text/plain; charset=utf-8", out.data,
		    out.len);
		buf_free(&out);
		return;
	}
	render_error(c, status, &out);
	respond(c, status, HTML_TYPE, out.data, out.len);
	buf_free(&out);
}

/* Answer a data page's 200: JSON, Prometheus text or a download. */
static void
answer_data(struct app_ctx *c)
{
	char *s;

	switch (c->page->kind) {
	case KIND_JSON:
		if ((s = json_dumps(c->json, JSON_COMPACT)) == NULL) {
			error_page(c, 500);
			return;
		}
		respond(c, 200, "application/json", s, strlen(s));
		if (c->json_secret)
			util_wipe(s, strlen(s));
		free(s);
		break;
	case KIND_PROM:
		respond(c, 200, "text/plain; version=0.0.4; charset=utf-8",
		    c->text.data ? c->text.data : "", c->text.len);
		break;
	case KIND_DOWNLOAD:
		respond(c, 200, c->dl_ctype, "", 0);
		break;
	default:
		error_page(c, 500);
	}
}

/* 1 when the handler's 200 has an answer of the page's kind. */
static int
answer_ready(struct app_ctx *c)
{
	switch (c->page->kind) {
	case KIND_HTML: return c->tpl != NULL;
	case KIND_JSON: return c->json != NULL;
	case KIND_PROM: return c->text.len > 0;
	case KIND_DOWNLOAD: return c->accel[0] != '\0';
	}
	return 0;
}

/* Handle one request from accept to the last byte. */
static void
handle(FCGX_Request *r)
{
	struct app_ctx c;
	struct buf out = { 0 };
	int status;

	memset(&c, 0, sizeof c);
	c.r = r;
	if (hdf_init(&c.hdf) != STATUS_OK) {
		FCGX_PutS("Status: 500 Internal Server Error\r\n\r\n", r->out);
		return;
	}
	status = prepare(&c);
	if (status == 0) {
		status = c.page->handler(&c);
		if (status == 200 && !answer_ready(&c))
			status = 500;
	}
	/* A handler may answer 4xx with its own page (a form with errors). */
	if (status == 200 && c.page->kind != KIND_HTML)
		answer_data(&c);
	else if (status == 200 || (status >= 400 && status < 500 && c.tpl)) {
		layout_data(&c);
		if (view_render(c.tpl, c.hdf, &out) == 0)
			respond(&c, status, HTML_TYPE, out.data, out.len);
		else
			error_page(&c, 500);
	} else if (status == 302 || status == 303)
		respond(&c, status, HTML_TYPE, "", 0);
	else {
		if (status == 500)
			log_err("%s %s: internal error", c.post ? "POST" : "GET",
			    c.path);
		error_page(&c, status);
	}
	db_rollback();	/* a handler never leaves a transaction open */
	if (c.notice_secret[0] && out.data)	/* the page showed a token */
		util_wipe(out.data, out.cap);
	buf_free(&out);
	buf_free(&c.cookies);
	req_fields_free(&c.fields);
	for (int i = 0; i < F__MAX; i++)
		free(c.field_err[i]);
	if (c.body) {
		util_wipe(c.body, c.body_len);
		free(c.body);
	}
	util_wipe(c.token, sizeof c.token);
	util_wipe(c.notice_secret, sizeof c.notice_secret);
	util_wipe(c.sess.notice_sealed, sizeof c.sess.notice_sealed);
	if (c.json_secret)
		wipe_json(c.json);
	json_decref(c.json);
	buf_free(&c.text);
	hdf_destroy(&c.hdf);
}

/* Read the settings a worker needs for every request. */
static int
worker_config(void)
{
	struct buf b = { 0 };
	char *save = NULL, *tok;

	cfg.norigins = 0;
	if (db_setting_get(SETTING_ORIGINS, &b) != 0 || b.len == 0) {
		log_err("no origins configured; run connector-setup init");
		buf_free(&b);
		return CONN_EINVAL;
	}
	for (tok = strtok_r(b.data, " ", &save); tok != NULL &&
	    cfg.norigins < APP_MAX_ORIGINS; tok = strtok_r(NULL, " ", &save))
		snprintf(cfg.origins[cfg.norigins++], sizeof cfg.origins[0],
		    "%s", tok);
	buf_reset(&b);
	netinfo_current_ip(cfg.ip, sizeof cfg.ip, NULL, 0);
	if (db_setting_get(SETTING_TLS_FINGERPRINT, &b) == 0)
		snprintf(cfg.fingerprint, sizeof cfg.fingerprint, "%s",
		    b.data ? b.data : "");
	buf_free(&b);
	return 0;
}

/* SIGTERM/SIGINT in a worker: finish the request at hand, then stop. */
static void
on_worker_stop(int sig)
{
	(void)sig;
	FCGX_ShutdownPending();
}

/* A worker: accept and handle requests until told to stop. */
static int
worker(int listen_fd)
{
	struct sigaction sa;
	FCGX_Request r;
	sigset_t term;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_worker_stop;	/* no SA_RESTART: accept returns */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);
	sigaddset(&term, SIGCHLD);	/* blocked by the master when it forked */
	sigprocmask(SIG_UNBLOCK, &term, NULL);
	sigdelset(&term, SIGCHLD);
	if (db_open(paths_get(PATH_DB)) != 0 || worker_config() != 0)
		return 1;
	if (FCGX_InitRequest(&r, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0)
		return 1;
	/* SIGTERM stops an idle worker at once, a busy one after its answer
	 * (it is blocked while a request is handled). */
	while (FCGX_Accept_r(&r) >= 0) {
		sigprocmask(SIG_BLOCK, &term, NULL);
		handle(&r);
		FCGX_Finish_r(&r);
		sigprocmask(SIG_UNBLOCK, &term, NULL);
	}
	FCGX_Free(&r, 1);
	db_close();
	view_shutdown();
	return 0;
}


static void
usage(const char *name)
{
	fprintf(stderr, "usage: %s [--socket PATH] [--workers N]\n"
	    "  Serves FastCGI on PATH (default: run/connector/%s.sock under "
	    "CONNECTOR_ROOT),\n  on fd 0 when it is a socket, or on "
	    "LISTEN_FDS.  --workers 0 serves in\n  the foreground without "
	    "forking (for debugging).\n", name, name);
}

/*
 * A program's main: parse arguments, migrate the database, bind, fork
 * workers, respawn the ones that die, stop cleanly on SIGTERM/SIGINT.
 */
int
app_main(int argc, char **argv, const struct app_program *prog)
{
	char defsock[4096];
	const char *sockpath = NULL;
	int nworkers = 2, fd, bound, i;

	cfg.prog = prog;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
			sockpath = argv[++i];
		else if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc) {
			nworkers = atoi(argv[++i]);
			if (nworkers < 0 || nworkers > APP_MAX_WORKERS) {
				usage(prog->name);
				return 2;
			}
		} else {
			usage(prog->name);
			return 2;
		}
	}
	if (paths_init() != 0) {
		fprintf(stderr, "%s: CONNECTOR_ROOT must be an absolute path\n",
		    prog->name);
		return 1;
	}
	log_init(prog->name);
	if (db_open(paths_get(PATH_DB)) != 0 || db_migrate() != 0) {
		fprintf(stderr, "%s: cannot open the database %s\n", prog->name,
		    paths_get(PATH_DB));
		return 1;
	}
	db_close();
	if (view_init() != 0) {
		fprintf(stderr, "%s: cannot load templates from %s\n",
		    prog->name, paths_get(PATH_SHARE));
		return 1;
	}
	if (sockpath == NULL && getenv("LISTEN_FDS") == NULL) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		if (getsockname(0, (struct sockaddr *)&ss, &sl) != 0) {
			paths_socket(prog->name, defsock, sizeof defsock);
			sockpath = defsock;
		}
	}
	if (FCGX_Init() != 0 || (fd = master_listen(sockpath, &bound)) < 0) {
		fprintf(stderr, "%s: cannot listen on %s: %s\n", prog->name,
		    sockpath ? sockpath : "the inherited socket",
		    strerror(errno));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (nworkers == 0) {
		int rc = worker(fd);
		if (bound && sockpath)
			unlink(sockpath);
		return rc;
	}

	master_run(fd, nworkers, prog->nice, worker);
	if (bound && sockpath)
		unlink(sockpath);
	log_info("stopped");
	return 0;
}
