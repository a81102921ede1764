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

#include "core.h"
#include "domain.h"
#include "master.h"

#define APP_MAX_WORKERS 64	/* a bound on --workers */
#define APP_MAX_ORIGINS 8

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
	int signed_in;
	char token[AUTH_TOKEN_LEN + 1];	/* session cookie value */
	struct auth_session sess;
	char anon_csrf[AUTH_TOKEN_LEN + 1];
	int new_anon_csrf;
	HDF *hdf;
	const char *tpl;
	char location[512];
	char audit[128];
	char errmsg[512];
	struct buf cookies;		/* Set-Cookie header lines */
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

static const char *
status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 302: return "Found";
	case 303: return "See Other";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Content Too Large";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

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

/* Name the action for the audit log (constant text chosen by the code). */
void
app_audit(struct app_ctx *c, const char *action)
{
	snprintf(c->audit, sizeof c->audit, "%s", action);
}

/* The sentence shown on an error page. */
void
app_error_message(struct app_ctx *c, const char *msg)
{
	snprintf(c->errmsg, sizeof c->errmsg, "%s", msg);
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

/* Read exactly CONTENT_LENGTH bytes of body; returns 0 or a status. */
static int
read_body(struct app_ctx *c, size_t *len)
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
	if (n > REQ_MAX_BODY)
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
	*len = n;
	return 0;
}

/*
 * Check every parsed field against the page's list and the field table;
 * fills c->valid.  Returns 0 or 400 with a message.
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
		rc = valid_value(vf->type, f->value, f->value_len, vf->maxlen);
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
				    valid_type_hint(vf->type));
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
			    "the value is too long" : valid_type_hint(vf->type));
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

/* Run the checks before the handler; 0 to go on, else a status. */
static int
prepare(struct app_ctx *c)
{
	const char *method = FCGX_GetParam("REQUEST_METHOD", c->r->envp);
	const char *cookies = FCGX_GetParam("HTTP_COOKIE", c->r->envp);
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
		return app_redirect(c, "/setup");

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
		return app_redirect(c, "/login");
	}
	if (!c->signed_in) {
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

	if (!c->post)
		return 0;
	if (!origin_ok(c->r)) {
		app_audit(c, "refused: cross-origin request");
		app_error_message(c, "The request did not come from this "
		    "console's own pages.");
		return 403;
	}
	if ((rc = read_body(c, &blen)) != 0) {
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

/* Write the status line, our headers and the body. */
static void
respond(struct app_ctx *c, int status, const char *body, size_t blen)
{
	struct buf h = { 0 };

	buf_addf(&h, "Status: %d %s\r\n", status, status_text(status));
	if (c->location[0])
		buf_addf(&h, "Location: %s\r\n", c->location);
	if (status == 405)
		buf_addf(&h, "Allow: %s\r\n", c->page &&
		    (c->page->methods & APP_POST) ?
		    (c->page->methods & APP_GET ? "GET, HEAD, POST" : "POST") :
		    "GET, HEAD");
	if (c->cookies.len)
		buf_add(&h, c->cookies.data, c->cookies.len);
	if (c->new_anon_csrf && !c->signed_in)
		buf_addf(&h, "Set-Cookie: %s=%s; Path=/; Secure; HttpOnly; "
		    "SameSite=Strict\r\n", AUTH_CSRF_COOKIE, c->anon_csrf);
	buf_addf(&h, "X-Connector-User: %s\r\n", c->signed_in ? "admin" : "-");
	if (c->audit[0])
		buf_addf(&h, "X-Connector-Audit: %s\r\n", c->audit);
	buf_addf(&h, "Content-Type: text/html; charset=utf-8\r\n"
	    "Content-Length: %zu\r\n\r\n", blen);
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
}

/* Render the error page for status into out, falling back to plain text. */
static void
render_error(struct app_ctx *c, int status, struct buf *out)
{
	char st[8];

	snprintf(st, sizeof st, "%d", status);
	hdf_set_value(c->hdf, "Error.status", st);
	hdf_set_value(c->hdf, "Error.reason", status_text(status));
	hdf_set_value(c->hdf, "Error.message", c->errmsg);
	hdf_set_value(c->hdf, "Layout.title", status_text(status));
	layout_data(c);
	if (view_render("error.cs", c->hdf, out) != 0) {
		buf_reset(out);
		buf_addf(out, "%d %s\n", status, status_text(status));
	}
}

static void
error_page(struct app_ctx *c, int status)
{
	struct buf out = { 0 };

	c->location[0] = '\0';
	render_error(c, status, &out);
	respond(c, status, out.data, out.len);
	buf_free(&out);
}

/*
 * Write the pages nginx shows for the errors it answers itself (unknown
 * path, body too large, a program down) into dir/<status>.html, from the
 * same template as the programs' error pages.  Needs the database open
 * and view_init done.
 */
int
app_write_error_pages(const char *dir)
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
	char path[4200];
	int rc = 0;

	if (worker_config() != 0)
		return CONN_EINVAL;
	for (size_t i = 0; i < sizeof pages / sizeof pages[0] && !rc; i++) {
		struct app_ctx c;
		struct buf out = { 0 };

		memset(&c, 0, sizeof c);
		if (hdf_init(&c.hdf) != STATUS_OK)
			return CONN_ENOMEM;
		app_error_message(&c, pages[i].msg);
		render_error(&c, pages[i].status, &out);
		snprintf(path, sizeof path, "%s/%d.html", dir, pages[i].status);
		rc = util_write_file_atomic(path, out.data, out.len, 0644);
		buf_free(&out);
		hdf_destroy(&c.hdf);
	}
	return rc;
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
		if (status == 200 && c.tpl == NULL)
			status = 500;
	}
	/* A handler may answer 4xx with its own page (a form with errors). */
	if (status == 200 || (status >= 400 && status < 500 && c.tpl)) {
		layout_data(&c);
		if (view_render(c.tpl, c.hdf, &out) == 0)
			respond(&c, status, out.data, out.len);
		else
			error_page(&c, 500);
	} else if (status == 302 || status == 303)
		respond(&c, status, "", 0);
	else {
		if (status == 500)
			log_err("%s %s: internal error", c.post ? "POST" : "GET",
			    c.path);
		error_page(&c, status);
	}
	db_rollback();	/* a handler never leaves a transaction open */
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
	hdf_destroy(&c.hdf);
}

/* Read the settings a worker needs for every request. */
static int
worker_config(void)
{
	struct buf b = { 0 };
	char *save = NULL, *tok;

	cfg.norigins = 0;
	if (db_setting_get("origins", &b) != 0 || b.len == 0) {
		log_err("no origins configured; run connector-setup init");
		buf_free(&b);
		return CONN_EINVAL;
	}
	for (tok = strtok_r(b.data, " ", &save); tok != NULL &&
	    cfg.norigins < APP_MAX_ORIGINS; tok = strtok_r(NULL, " ", &save))
		snprintf(cfg.origins[cfg.norigins++], sizeof cfg.origins[0],
		    "%s", tok);
	buf_reset(&b);
	if (db_setting_get("ip", &b) == 0)
		snprintf(cfg.ip, sizeof cfg.ip, "%s", b.data ? b.data : "");
	buf_reset(&b);
	if (db_setting_get("tls_fingerprint", &b) == 0)
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
