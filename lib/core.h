/*
 * core.h — the request layer: FastCGI requests and their
 * bodies, the field table, rendering, the nginx site and the request
 * lifecycle.  It makes no network calls.
 * Prototypes grouped by the file that defines them; every public function
 * carries its module's prefix.  Functions return 0 on success and a
 * negative CONN_E* code (or an HTTP status where the comment says so) on
 * failure.
 */
#ifndef CONNECTOR_CORE_H
#define CONNECTOR_CORE_H

#include "base.h"

/* ---- req.c: the request and its body ---- */

#define REQ_MAX_FIELDS 32
#define REQ_MAX_NAME 64
#define REQ_MAX_VALUE (64 * 1024)
#define REQ_MAX_BODY (2 * 1024 * 1024)

struct req_field {
	char *name;
	char *value;		/* NUL-terminated; value_len excludes the NUL */
	size_t value_len;
	char *filename;		/* multipart file parts only, else NULL */
	char *ctype;		/* multipart part Content-Type, else NULL */
};

struct req_fields {
	struct req_field f[REQ_MAX_FIELDS];
	size_t n;
};

struct req_limits {
	size_t max_fields;
	size_t max_name;
	size_t max_value;	/* text fields */
	size_t max_file;	/* file parts */
};

/* Parse errors map to HTTP statuses: 400 malformed, 413 too big. */
enum req_perr {
	REQ_PE_SYNTAX = 1,	/* bad escape, missing '=', bad multipart */
	REQ_PE_NUL,		/* NUL byte in a name or text value */
	REQ_PE_UTF8,		/* invalid UTF-8 */
	REQ_PE_DUP,		/* same field twice */
	REQ_PE_COUNT,		/* too many fields */
	REQ_PE_LONG,		/* over-long name or value */
};

extern const struct req_limits req_default_limits;

int req_parse_urlencoded(const char *body, size_t len,
    const struct req_limits *lim, struct req_fields *out);
int req_parse_multipart(const char *ctype, const char *body, size_t len,
    const struct req_limits *lim, struct req_fields *out);
int req_parse_body(const char *ctype, const char *body, size_t len,
    const struct req_limits *lim, struct req_fields *out);
const char *req_perr_string(int perr);
void req_fields_free(struct req_fields *fs);
const struct req_field *req_fields_get(const struct req_fields *fs,
    const char *name);
int req_cookie(const char *header, const char *name, char *out,
    size_t outlen);

/* ---- valid.c: the field table and typed validators ---- */

enum valid_type {
	VT_TOKEN,	/* URL-safe base64 token */
	VT_PASSWORD,	/* any UTF-8 without control characters */
	VT_SETUP_CODE,	/* XXXX-XXXX-XXXX-XXXX, case-insensitive */
	VT_TEXT,	/* printable UTF-8, one line */
	VT_HOSTNAME,	/* RFC 1123 host name */
	VT_IPV4,
	VT_PORT,
	VT_WORD,	/* [a-z0-9-], a button's action */
	VT_HOST,	/* host name or IPv4 address */
	VT_HOST_PORT,	/* HOST or HOST:PORT; HOST at most 253 characters */
	VT_DOMAIN_USER,	/* [domain\]user: letter first, [A-Za-z0-9._-] */
	VT_REGION,	/* an AWS region name, e.g. eu-west-1 */
	VT_ACCESS_KEY,	/* an access key id: [A-Z0-9], 16 or more */
	VT_SECRET,	/* printable ASCII without spaces */
	VT_THUMBPRINT,	/* SHA-256 as AA:BB:... */
	VT_HOST_LIST,	/* host names, addresses, .domains; commas */
	VT_PROXY_USER,	/* printable ASCII without spaces or ':' */
	VT_FILE,	/* a file part of a multipart form */
	VT_LOCAL_PATH,	/* /[a-z0-9/-], no "//": a page of the console */
	VT_NUMBER,	/* a positive decimal number, no leading zero */
	VT_FILE_NAME,	/* [A-Za-z0-9._-], not starting with '.' */
	VT_MOREF,	/* a vCenter managed object id, e.g. vm-42 */
	VT_BUCKET,	/* an S3 bucket name */
	VT_OBJECT_KEY,	/* an S3 object key: text, no . or .. parts */
	VT_TASK_ID,	/* an EC2 import task id, e.g. import-ami-... */
	VT_MULTILINE,	/* printable UTF-8; tabs and line breaks too */
};

enum field_id {
	F_CSRF,
	F_CODE,
	F_PASSWORD,
	F_PASSWORD2,
	F_ACTION,
	F_VC_HOST,
	F_VC_USER,
	F_VC_PASSWORD,
	F_THUMBPRINT,
	F_PROXY_HOST,
	F_PROXY_PORT,
	F_PROXY_USER,
	F_PROXY_PASSWORD,
	F_NO_PROXY,
	F_REGION,
	F_ACCESS_KEY,
	F_SECRET_KEY,
	F_SESSION_TOKEN,
	F_PORTAL_FILE,
	F_CONFIRM,
	F_NEXT,
	F_TOKEN_NAME,
	F_TOKEN_ID,
	F_FILE_NAME,
	/* a page of a list (query fields) */
	F_SORT,
	F_ORDER,
	F_PAGE,
	F_PER_PAGE,
	/* the Migrations page's forms */
	F_VM_MOREF,
	F_VM_NAME,
	F_BUCKET,
	F_OBJECT_KEY,
	F_FORMAT,
	F_DESCRIPTION,
	F_TASK_ID,
	/* the Users page */
	F_FILTER,
	F_UP_DOMAIN,
	F_UP_LIMIT,
	/* federation (the Settings page) */
	F_FEDERATION,
	F_ROLE_ARN,
	F_SESSION_POLICY,
	F_DURATION,
	/* the Health Status pages (cgi-bin/health.c) */
	F_AFTER,
	F_AT,
	F_ITEM,
	F__MAX
};

#define FIELD(f) (UINT64_C(1) << (f))

struct valid_field {
	const char *name;
	enum valid_type type;
	size_t maxlen;		/* in bytes */
	const char *label;	/* for error messages */
	int soft;		/* a bad value is the page's to show beside
				   the field (app_field_error), not a 400 */
	const char *required;	/* what to do when a page requires the field
				   and it is empty (app_require), or NULL */
	const char *const *choices;	/* the only values allowed (NULL-
					   terminated), or NULL: any of type */
};

extern const struct valid_field valid_fields[F__MAX];

int valid_value(enum valid_type type, const char *v, size_t len,
    size_t maxlen);
const char *valid_type_hint(enum valid_type type);
int valid_field_lookup(const char *name);
int valid_field_value(const struct valid_field *vf, const char *v,
    size_t len);
const char *valid_field_hint(const struct valid_field *vf);

/* ---- view.c: ClearSilver rendering, HTML escaping forced on ---- */

struct _hdf;
struct json_t;
int view_init(void);
int view_render(const char *tpl, struct _hdf *hdf, struct buf *out);
void view_shutdown(void);
const char *view_status_text(int status);
void view_render_error(struct _hdf *hdf, int status, const char *message,
    struct buf *out);
int view_write_error_pages(const char *dir);

/* ---- site.c: the nginx site of the instance ---- */

struct site_conf {
	char listen_addr[64];
	int port;
	int workers;
	const char *run_user;	/* nginx worker user, NULL for current */
};

int site_render_nginx(const char *share, const struct site_conf *c);

/* ---- app.c: the request lifecycle (the master: master.h) ---- */

enum app_access {
	ACCESS_SETUP,	/* only until the console is claimed, then 404 */
	ACCESS_ANON,	/* claimed console, no session needed */
	ACCESS_SESSION,	/* claimed console, signed in */
	ACCESS_READ,	/* read-only API: signed in or an API token
			   (Authorization: Bearer); GET and HEAD only */
	ACCESS_SIGNED,	/* claimed console; no session, cookie, Origin or
			   form token counts: the handler authenticates the
			   request itself from its headers and raw body
			   (app_headers, app_body), e.g. by a signature */
};

/* What a page answers with. */
enum app_kind {
	KIND_HTML,	/* a template (app_template) */
	KIND_JSON,	/* app_json */
	KIND_PROM,	/* Prometheus text exposition (app_text) */
	KIND_DOWNLOAD,	/* a file nginx sends (app_download) */
};

#define APP_GET 1u
#define APP_POST 2u

struct app_ctx;

struct app_page {
	const char *path;
	unsigned methods;
	uint64_t fields;		/* FIELD(F_x) | ... accepted on POST */
	enum app_access access;
	int (*handler)(struct app_ctx *);
	uint64_t query;			/* FIELD(F_x) | ... accepted on GET */
	enum app_kind kind;
};

struct app_program {
	const char *name;
	const struct app_page *pages;
	size_t npages;
	int nice;		/* workers' scheduling niceness (0: as started) */
};

int app_main(int argc, char **argv, const struct app_program *prog);

/* A request header as received: name in lower case with '-'. */
#define APP_HEADER_NAME_MAX 64
struct app_header {
	char name[APP_HEADER_NAME_MAX];
	const char *value;		/* valid during the request */
};

/* For handlers: */
const char *app_field(struct app_ctx *c, enum field_id f);
size_t app_field_len(struct app_ctx *c, enum field_id f);
const char *app_field_raw(struct app_ctx *c, enum field_id f);
const char *app_field_error(struct app_ctx *c, enum field_id f);
int app_set_field_error(struct app_ctx *c, enum field_id f, const char *msg);
int app_has_field_errors(struct app_ctx *c);
int app_require(struct app_ctx *c, uint64_t fields);
int app_result(struct app_ctx *c, int rc, enum field_id f, const char *msg,
    const char *audit);
int app_form_error(struct app_ctx *c, const char *msg);
int app_is_post(struct app_ctx *c);
const char *app_remote_addr(struct app_ctx *c);
void app_set(struct app_ctx *c, const char *name, const char *value);
void app_set_int(struct app_ctx *c, const char *name, long long value);
void app_set_time(struct app_ctx *c, const char *name, time_t t);
void app_template(struct app_ctx *c, const char *tpl, const char *title);
int app_redirect(struct app_ctx *c, const char *path);
int app_redirect_notice(struct app_ctx *c, const char *path,
    const char *msg);
int app_redirect_warning(struct app_ctx *c, const char *path,
    const char *msg);
int app_redirect_secret(struct app_ctx *c, const char *path,
    const char *msg, const char *secret);
const char *app_notice_secret(struct app_ctx *c);
int app_json(struct app_ctx *c, struct json_t *root);
struct buf *app_text(struct app_ctx *c);
int app_download(struct app_ctx *c, const char *internal_path,
    const char *filename, const char *content_type);
int app_local_path(const char *path);
int app_query_parse(const char *qs, uint64_t mask, struct req_fields *fs,
    char *why, size_t whylen);
void app_audit(struct app_ctx *c, const char *action);
int app_start_session(struct app_ctx *c);
int app_end_session(struct app_ctx *c);
void app_error_message(struct app_ctx *c, const char *msg);
/* For ACCESS_SIGNED handlers: */
int app_headers(struct app_ctx *c, struct app_header *out, size_t max,
    size_t *n);
int app_body(struct app_ctx *c, size_t max, const char **data, size_t *len);
const char *app_method(struct app_ctx *c);
const char *app_request_uri(struct app_ctx *c);
const char *app_param(struct app_ctx *c, const char *name);
void app_set_user(struct app_ctx *c, const char *who);
int app_json_secret(struct app_ctx *c, struct json_t *root);

#endif
