/*
 * connector.h — the one internal header of libconnector, prototypes grouped
 * by the file that defines them.  Every public function carries its module's
 * prefix.  Functions return 0 on success and a negative CONN_E* code (or an
 * HTTP status where the comment says so) on failure.
 */
#ifndef CONNECTOR_H
#define CONNECTOR_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <sqlite3.h>

#ifndef CONNECTOR_VERSION
#define CONNECTOR_VERSION "0.0.0"
#endif

/* Error codes shared by every module. */
enum conn_err {
	CONN_OK = 0,
	CONN_ENOMEM = -1,	/* allocation failed */
	CONN_EIO = -2,		/* file or socket error */
	CONN_EDB = -3,		/* SQLite error */
	CONN_EINVAL = -4,	/* malformed input */
	CONN_ETOOBIG = -5,	/* input over a size cap */
	CONN_ENOTFOUND = -6,	/* no such row / file */
	CONN_EDENIED = -7,	/* credential or token refused */
	CONN_ELOCKED = -8,	/* console locked down */
	CONN_ECRYPTO = -9,	/* OpenSSL / argon2 failure */
	CONN_ECONFLICT = -10,	/* someone else changed it first */
};

/* ---- util.c: buffers, random, hex, constant-time compare ---- */

struct buf {
	char *data;	/* always NUL-terminated when len > 0 */
	size_t len;
	size_t cap;
};

int buf_add(struct buf *b, const char *data, size_t len);
int buf_adds(struct buf *b, const char *s);
int buf_addf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);
void buf_free(struct buf *b);
int util_random(void *out, size_t len);
void util_hex(const unsigned char *in, size_t len, char *out);
void util_b64url(const unsigned char *in, size_t len, char *out);
int util_sha256_hex(const void *data, size_t len, char out[65]);
int util_ct_equal(const char *a, const char *b);
int util_utf8_valid(const char *s, size_t len);
void util_wipe(void *p, size_t len);
int util_write_file_atomic(const char *path, const void *data, size_t len,
    unsigned mode);
int util_read_file(const char *path, size_t max, struct buf *out);
int util_mkdirs(const char *path, unsigned mode);
int util_fsync_dir(const char *dir);
time_t util_now(void);
void util_clean_text(char *s);
void util_copy_text(char *out, size_t outlen, const char *src);

/* ---- paths.c: every file location, derived from one root ---- */

enum paths_id {
	PATH_ROOT,
	PATH_ETC,		/* etc/connector */
	PATH_SETUP_CODE,	/* etc/connector/setup-code (root only) */
	PATH_NGINX_CONF,	/* etc/connector/nginx.conf (rendered) */
	PATH_ERROR_PAGES,	/* etc/connector/errors (rendered) */
	PATH_LIB,		/* var/lib/connector */
	PATH_DB,		/* var/lib/connector/state.db */
	PATH_KEYS,		/* var/lib/connector/keys */
	PATH_TLS,		/* var/lib/connector/tls */
	PATH_TLS_CERT,		/* var/lib/connector/tls/current/cert.pem */
	PATH_TLS_KEY,		/* var/lib/connector/tls/current/key.pem */
	PATH_NGINX_TMP,		/* var/lib/connector/nginx */
	PATH_LOG,		/* var/log/connector */
	PATH_LOGFILE,		/* var/log/connector/connector.log */
	PATH_AUDIT,		/* var/log/connector/audit.log */
	PATH_RUN,		/* run/connector */
	PATH_SHARE,		/* templates, static files, password list */
	PATH__MAX
};

int paths_init(void);
const char *paths_get(enum paths_id id);
int paths_socket(const char *program, char *out, size_t outlen);

/* ---- log.c ---- */

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_init(const char *program);
void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define log_err(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)

/* ---- db.c: SQLite, migrations, named statements ---- */

enum db_stmt_id {
	DB_SETTING_GET,
	DB_SETTING_SET,
	DB_ADMIN_GET,
	DB_ADMIN_CLAIM,
	DB_ADMIN_SET_CODE,
	DB_ADMIN_SET_PASSWORD,
	DB_ADMIN_REHASH,
	DB_ADMIN_FAIL,
	DB_ADMIN_SUCCESS,
	DB_SOURCE_FAIL,
	DB_SOURCE_CLEAR,
	DB_SOURCES_RECENT,
	DB_SESSION_INSERT,
	DB_SESSION_GET,
	DB_SESSION_TOUCH,
	DB_SESSION_DELETE,
	DB_SESSION_DELETE_ALL,
	DB_SESSION_PURGE,
	DB_SETTING_DELETE,
	DB_SETTING_DELETE_PREFIX,
	DB_SETTINGS_LIVE,
	DB_SECRET_GET,
	DB_SECRET_PUT,
	DB_SECRET_RESEAL,
	DB_SECRET_DELETE,
	DB_SECRET_DELETE_PREFIX,
	DB_SECRET_COUNT,
	DB_SECRET_NAMES,
	DB_SECRET_KEY_USED,
	DB_SECRET_KEY_GET,
	DB_SECRET_KEY_SET,
	DB__MAX
};

int db_open(const char *path);
void db_close(void);
sqlite3 *db_handle(void);
int db_migrate(void);
int db_schema_version(void);
sqlite3_stmt *db_stmt(enum db_stmt_id id);
int db_begin(void);
int db_commit(void);
void db_rollback(void);
int db_setting_get(const char *name, struct buf *out);
int db_setting_set(const char *name, const char *value);
int db_setting_delete(const char *name);
int db_settings_each(int (*cb)(void *arg, const char *name,
    const char *value), void *arg);
int db_setting_delete_prefix(const char *prefix);

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
	VT_HOST_PORT,	/* HOST or HOST:PORT; HOST at most 32 characters */
	VT_DOMAIN_USER,	/* [domain\]user: letter first, [A-Za-z0-9._-] */
	VT_REGION,	/* an AWS region name, e.g. eu-west-1 */
	VT_ACCESS_KEY,	/* an access key id: [A-Z0-9], 16 or more */
	VT_SECRET,	/* printable ASCII without spaces */
	VT_THUMBPRINT,	/* SHA-256 as AA:BB:... */
	VT_HOST_LIST,	/* host names, addresses, .domains; commas */
	VT_PROXY_USER,	/* printable ASCII without spaces or ':' */
	VT_FILE,	/* a file part of a multipart form */
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
};

extern const struct valid_field valid_fields[F__MAX];

int valid_value(enum valid_type type, const char *v, size_t len,
    size_t maxlen);
int valid_host_port(const char *s, char *host, size_t hostlen, int *port);
const char *valid_type_hint(enum valid_type type);
int valid_field_lookup(const char *name);
int valid_ipv4(const char *s);
int valid_hostname(const char *s);
int valid_port(const char *s);
int valid_host_or_ipv4(const char *s);
int valid_peer_ipv4(uint32_t addr, int allow_loopback);
int valid_peer_ipv6(const unsigned char addr[16], int allow_loopback);
int valid_peer_literal(const char *s, int allow_loopback);

/* ---- view.c: ClearSilver rendering, HTML escaping forced on ---- */

struct _hdf;
int view_init(void);
int view_render(const char *tpl, struct _hdf *hdf, struct buf *out);
void view_shutdown(void);

/* ---- auth.c: passwords, setup code, sessions, CSRF, lockout ---- */

#define AUTH_TOKEN_BYTES 32
#define AUTH_TOKEN_LEN 43	/* base64url of 32 bytes */
#define AUTH_PASSWORD_MIN 12
#define AUTH_PASSWORD_MAX 1024
#define AUTH_LOCK_AFTER 20
#define AUTH_IDLE_SECONDS (30 * 60)
#define AUTH_ABSOLUTE_SECONDS (8 * 60 * 60)
#define AUTH_SESSION_COOKIE "__Host-connector"
#define AUTH_CSRF_COOKIE "__Host-connector-csrf"
#define AUTH_SETUP_CODE_LEN 19	/* XXXX-XXXX-XXXX-XXXX */

struct auth_session {
	char token_hash[65];
	char csrf[AUTH_TOKEN_LEN + 1];
	time_t created_at;
	time_t last_seen;
};

struct auth_admin {
	int claimed;
	int locked;
	int failed_count;
	time_t last_failure_at;
};

/* Password policy: NULL when acceptable, else a sentence saying why not. */
const char *auth_password_problem(const char *pw, const char *confirm);
int auth_hash_password(const char *pw, char *out, size_t outlen);
int auth_verify_password(const char *encoded, const char *pw);
int auth_needs_rehash(const char *encoded);
int auth_admin_get(struct auth_admin *out);
int auth_new_setup_code(char code[AUTH_SETUP_CODE_LEN + 1]);
int auth_setup_code_matches(const char *code);
int auth_claim(const char *code, const char *pw);
int auth_login(const char *pw, const char *addr);
int auth_reset_password(const char *pw);
int auth_token(char out[AUTH_TOKEN_LEN + 1]);
int auth_token_valid(const char *s);
int auth_session_create(const char *addr, char token[AUTH_TOKEN_LEN + 1],
    struct auth_session *out);
int auth_session_check(const char *token, struct auth_session *out);
int auth_session_end(const char *token);

/* ---- tls.c: the console's own certificate ---- */

int tls_generate_self_signed(const char *dir, const char *const *names,
    size_t nnames);
int tls_fingerprint_file(const char *certpath, char *out, size_t outlen);

/* ---- netinfo.c ---- */

int netinfo_addresses(char out[][64], size_t max, size_t *n);
int netinfo_primary_ipv4(char *out, size_t outlen);

/* ---- site.c: the nginx site of the instance ---- */

struct site_conf {
	char listen_addr[64];
	int port;
	int workers;
	const char *run_user;	/* nginx worker user, NULL for current */
};

int site_render_nginx(const char *share, const struct site_conf *c);

/* ---- http.c: outbound HTTPS through libcurl ---- */

enum http_errkind {
	HTTP_OK,
	HTTP_EDNS,	/* the name did not resolve */
	HTTP_ECONNECT,	/* no TCP connection, or it broke */
	HTTP_ETLS,	/* handshake, certificate, or pin */
	HTTP_ESTATUS,	/* an HTTP error status (set by callers) */
	HTTP_ETIMEOUT,
	HTTP_EPARSE,	/* an answer we could not read (set by callers) */
	HTTP_ETOOBIG,	/* over the response size cap */
	HTTP_EPROXY,	/* the proxy did not resolve or refused */
	HTTP_EOTHER,
};

struct http_opts {
	long connect_timeout_ms;	/* 0: 10 s */
	long total_timeout_ms;		/* 0: 60 s */
	const char *ca_file;		/* NULL: the system's CA bundle */
	int insecure;			/* validation switched off (warned) */
	const char *pin_thumbprint;	/* SHA-256 AA:BB:..; replaces CA checks */
	const char *proxy_host;		/* NULL: no proxy */
	int proxy_port;
	const char *proxy_user;		/* basic authentication, optional */
	const char *proxy_password;
	const char *no_proxy;		/* comma-separated hosts */
	size_t max_response;		/* 0: 8 MiB */
	int inspect;			/* validation off for one look at a
					   certificate not yet trusted:
					   nothing secret may be sent */
	int refuse_internal;		/* refuse unspecified, link-local,
					   multicast and (unless
					   allow_loopback) loopback peers
					   when connecting */
	int allow_loopback;
};

struct http_req {
	const char *method;		/* NULL: GET, or POST with a body */
	const char *url;		/* https:// only */
	const char *const *headers;	/* "Name: value", NULL-terminated */
	const char *body;
	size_t body_len;
	const char *aws_sigv4;		/* "aws:amz:REGION:SERVICE" or NULL */
	const char *aws_access_key;
	const char *aws_secret_key;
};

struct http_timing {
	double dns, connect, tls, first_byte, total;	/* seconds from start */
};

struct http_response {
	long status;
	struct buf body;
	struct buf headers;
	struct http_timing timing;
	char peer_thumbprint[96];	/* server certificate, SHA-256 */
	char peer_subject[256];
	char peer_issuer[256];
	time_t peer_not_before, peer_not_after;
};

struct http_error {
	enum http_errkind kind;
	char endpoint[512];
	double elapsed;
	char detail[512];
};

struct http_client {
	void *curl;
	struct http_opts opts;
	struct http_response *resp;	/* the one being filled */
	size_t max_body;
	int too_big;
	int pin_mismatch;
	char refused_addr[64];	/* a peer address the policy refused */
	char peer_thumbprint[96];
	char peer_subject[256];
	char peer_issuer[256];
	time_t peer_not_before, peer_not_after;
};

int http_client_init(struct http_client *cl, const struct http_opts *opts);
void http_client_free(struct http_client *cl);
int http_request(struct http_client *cl, const struct http_req *req,
    struct http_response *resp, struct http_error *err);
void http_response_free(struct http_response *r);
int http_response_header(const struct http_response *r, const char *name,
    char *out, size_t outlen);
const char *http_errkind_string(enum http_errkind k);
int http_error_describe(const struct http_error *e, char *out,
    size_t outlen);

/* ---- xml.c: libxml2 for outside bytes; escaped document writing ---- */

#define XML_MAX_DOC (8u << 20)

struct _xmlDoc;
struct _xmlNode;
struct xml_writer;

int xml_parse(const char *data, size_t len, size_t max, struct _xmlDoc **out);
void xml_free(struct _xmlDoc *doc);
void xml_free_wiped(struct _xmlDoc *doc);
struct _xmlNode *xml_root(struct _xmlDoc *doc);
const char *xml_name(const struct _xmlNode *n);
struct _xmlNode *xml_child(const struct _xmlNode *parent, const char *local);
struct _xmlNode *xml_next(const struct _xmlNode *n, const char *local);
struct _xmlNode *xml_find(const struct _xmlNode *from, const char *local);
char *xml_text_dup(const struct _xmlNode *n, size_t *len);
int xml_text(const struct _xmlNode *n, char *out, size_t outlen);
int xml_attr(const struct _xmlNode *n, const char *local, char *out,
    size_t outlen);
struct xml_writer *xml_writer_new(void);
void xml_writer_free(struct xml_writer *w);
void xml_start(struct xml_writer *w, const char *name);
void xml_attr_add(struct xml_writer *w, const char *name, const char *value);
void xml_end(struct xml_writer *w);
void xml_text_add(struct xml_writer *w, const char *text);
void xml_elem(struct xml_writer *w, const char *name, const char *text);
int xml_writer_finish(struct xml_writer *w, struct buf *out);

/* ---- vsphere.c: the vSphere SOAP client (endpoint /sdk, urn:vim25) ---- */

enum vsphere_fault {
	VSPHERE_FAULT_NONE,
	VSPHERE_FAULT_INVALID_LOGIN,
	VSPHERE_FAULT_NOT_AUTHENTICATED,
	VSPHERE_FAULT_INVALID_ARGUMENT,
	VSPHERE_FAULT_NOT_FOUND,
	VSPHERE_FAULT_NO_PERMISSION,
	VSPHERE_FAULT_OTHER,
};

enum vsphere_ekind {
	VSPHERE_E_NONE,
	VSPHERE_E_TRANSPORT,	/* http holds the transport error */
	VSPHERE_E_FAULT,	/* a SOAP fault: fault, fault_type, message */
	VSPHERE_E_PROTOCOL,	/* an answer we could not read (http.kind
				   is HTTP_EPARSE or HTTP_ESTATUS) */
};

struct vsphere_error {
	enum vsphere_ekind kind;
	enum vsphere_fault fault;
	char fault_type[64];	/* the detail's type, e.g. "InvalidLogin" */
	char message[512];	/* faultstring, or what was wrong */
	struct http_error http;
};

struct vsphere_moref {
	char type[64];
	char value[128];
};

struct vsphere {
	struct http_client http;
	char url[300];			/* https://HOST:PORT/sdk */
	char action[64];		/* SOAPAction header line */
	char cookie[256];		/* vmware_soap_session=...; or "" */
	char thumbprint[96];		/* server certificate, SHA-256 */
	char subject[256];
	char issuer[256];
	time_t not_before, not_after;
	char product[128];		/* about.fullName */
	char api_version[16];		/* about.apiVersion */
	struct vsphere_moref root_folder, property_collector, view_manager,
	    session_manager, user_directory, extension_manager;
};

struct vsphere_vm {
	char id[128];			/* managed object id, e.g. vm-42 */
	char name[256];
	char power_state[32];		/* poweredOn, poweredOff, suspended */
};

struct vsphere_extension {
	char key[128];
	char version[64];
	char label[128];
	char summary[256];
	char company[128];
	char type[32];			/* server type, e.g. HTTPS */
	char url[512];
	char admin_email[128];
	char server_thumbprint[96];
	time_t last_heartbeat;		/* 0 when not given */
};

typedef int (*vsphere_vm_cb)(void *arg, const struct vsphere_vm *vm);
typedef int (*vsphere_user_cb)(void *arg, const char *user);

int vsphere_init(struct vsphere *vs, const char *host, int port,
    const struct http_opts *opts);
void vsphere_free(struct vsphere *vs);
int vsphere_connect(struct vsphere *vs, struct vsphere_error *err);
int vsphere_login(struct vsphere *vs, const char *user, const char *password,
    struct vsphere_error *err);
int vsphere_logout(struct vsphere *vs, struct vsphere_error *err);
int vsphere_current_time(struct vsphere *vs, time_t *out,
    struct vsphere_error *err);
int vsphere_users(struct vsphere *vs, const char *domain, vsphere_user_cb cb,
    void *arg, struct vsphere_error *err);
int vsphere_vms(struct vsphere *vs, int max_objects, vsphere_vm_cb cb,
    void *arg, struct vsphere_error *err);
int vsphere_find_extension(struct vsphere *vs, const char *key,
    struct vsphere_extension *out, int *found, struct vsphere_error *err);
int vsphere_register_extension(struct vsphere *vs,
    const struct vsphere_extension *ext, struct vsphere_error *err);
int vsphere_update_extension(struct vsphere *vs,
    const struct vsphere_extension *ext, struct vsphere_error *err);
int vsphere_unregister_extension(struct vsphere *vs, const char *key,
    struct vsphere_error *err);
const char *vsphere_fault_string(enum vsphere_fault f);
int vsphere_error_describe(const struct vsphere_error *e, char *out,
    size_t outlen);

/* The answer reader, exposed for the fuzz target: */
int vsphere_answer(const char *body, size_t len, long status,
    const char *method, struct _xmlDoc **doc, struct _xmlNode **ret,
    struct vsphere_error *err);
int vsphere_read_service_content(struct vsphere *vs,
    const struct _xmlNode *ret);
int vsphere_read_time(const struct _xmlNode *ret, time_t *out);
int vsphere_read_users(const struct _xmlNode *ret, vsphere_user_cb cb,
    void *arg);
int vsphere_read_vms(const struct _xmlNode *ret, vsphere_vm_cb cb, void *arg,
    char *token, size_t toklen);
int vsphere_read_extension(const struct _xmlNode *ret,
    struct vsphere_extension *out, int *found);
int vsphere_parse_time(const char *s, time_t *out);

/* ---- aws.c: the AWS client (STS, EC2, S3), signed with SigV4 ---- */

enum aws_service { AWS_STS, AWS_EC2, AWS_S3, AWS__NSERVICES };

/* Where an endpoint came from, strongest first. */
enum aws_endpoint_source {
	AWS_EP_ENV_SERVICE,	/* AWS_ENDPOINT_URL_<SERVICE> */
	AWS_EP_ENV,		/* AWS_ENDPOINT_URL */
	AWS_EP_SETTING,		/* the caller's setting */
	AWS_EP_DEFAULT,		/* derived from the region */
};

enum aws_code {
	AWS_C_NONE,
	AWS_C_SIGNATURE,	/* SignatureDoesNotMatch */
	AWS_C_INVALID_TOKEN,	/* InvalidClientTokenId, InvalidAccessKeyId */
	AWS_C_AUTH_FAILURE,	/* AuthFailure */
	AWS_C_REQUEST_EXPIRED,	/* RequestExpired, RequestTimeTooSkewed */
	AWS_C_EXPIRED_TOKEN,	/* ExpiredToken */
	AWS_C_THROTTLING,	/* Throttling, RequestLimitExceeded, SlowDown */
	AWS_C_ACCESS_DENIED,	/* AccessDenied */
	AWS_C_INVALID_PARAMETER, /* InvalidParameterValue, ValidationError */
	AWS_C_LIMIT_EXCEEDED,	/* ResourceCountLimitExceeded */
	AWS_C_NOT_FOUND,	/* InvalidConversionTaskId, ...NotFound */
	AWS_C_OTHER,
};

enum aws_ekind {
	AWS_E_NONE,
	AWS_E_TRANSPORT,	/* http holds the transport error */
	AWS_E_SERVICE,		/* the service said no: code, code_name, message */
	AWS_E_PROTOCOL,		/* an answer we could not read */
};

struct aws_error {
	enum aws_ekind kind;
	enum aws_code code;
	char code_name[64];	/* as the service spelled it */
	char message[512];
	long status;		/* HTTP status of the last answer, or 0 */
	int attempts;		/* requests sent for the call */
	struct http_error http;
};

struct aws_credentials {
	char access_key[128];
	char secret_key[128];
	char session_token[2048];	/* "" for long-term keys */
	char expiration[32];		/* temporary ones: ISO 8601, else "" */
};

struct aws_identity {
	char account[32];
	char arn[512];
	char user_id[256];
};

struct aws_region {
	char name[64];
	char endpoint[256];
	char opt_in[64];
};

struct aws_import_task {
	char id[64];
	char status[32];
	char status_message[256];
	char progress[16];
	char image_id[64];
	char description[256];
};

#define AWS_MAX_IDS 100		/* ids one describe call may name */

struct aws_conversion_task {
	char id[64];
	char state[16];	/* active, cancelling, cancelled, completed */
	char status_message[256];
	char expiration[32];	/* ISO 8601 */
	char zone[64];
	char volume_id[64];
	long long bytes_converted;	/* -1 when not given */
	long long image_size;		/* -1 when not given */
};

struct aws_instance {
	char id[32];
	char image_id[32];
	char state[32];		/* pending, running, stopped, ... */
	char type[32];
	char launch_time[32];	/* ISO 8601 */
	char zone[64];
	char private_ip[48];
	char name[256];		/* the Name tag, or "" */
};

/* What ImportImage imports: one disk from S3.  NULL strings: not sent. */
struct aws_import_image {
	const char *description;	/* up to 255 bytes of text */
	const char *format;		/* VMDK, OVA, VHD or RAW */
	const char *bucket;
	const char *key;
	const char *role_name;		/* the default: vmimport */
	const char *license_type;	/* AWS or BYOL */
	const char *platform;		/* Windows or Linux */
	const char *client_token;	/* up to 64; NULL: a random one */
};

struct aws_retry {
	int max_attempts;	/* 0: 5 */
	long base_ms;		/* first delay, doubled each time; 0: 100 */
	long cap_ms;		/* largest delay; 0: 5000 */
};

struct aws {
	struct http_client http;
	struct http_opts opts;
	struct aws_credentials cred;
	struct aws_retry retry;
	char region[32];
	char endpoint[AWS__NSERVICES][300];	/* no trailing slash */
	enum aws_endpoint_source source[AWS__NSERVICES];
	char server_date[64];	/* Date header of the last answer, or "" */
	time_t server_time;	/* server_date parsed; 0 when none */
	time_t local_time;	/* our clock when that answer came */
	int last_requests;	/* requests the last call sent */
};

typedef int (*aws_region_cb)(void *arg, const struct aws_region *r);
typedef int (*aws_task_cb)(void *arg, const struct aws_import_task *t);
typedef int (*aws_page_cb)(void *arg, int page, int count, int last);
typedef int (*aws_conversion_cb)(void *arg,
    const struct aws_conversion_task *t);
typedef int (*aws_instance_cb)(void *arg, const struct aws_instance *i);

int aws_resolve_endpoint(enum aws_service svc, const char *region,
    const char *setting, char *out, size_t outlen,
    enum aws_endpoint_source *source);
int aws_init(struct aws *a, const char *region,
    const char *const settings[AWS__NSERVICES], const struct http_opts *opts);
int aws_set_credentials(struct aws *a, const char *access_key,
    const char *secret_key, const char *session_token);
int aws_reconnect(struct aws *a);
void aws_free(struct aws *a);
int aws_get_caller_identity(struct aws *a, struct aws_identity *out,
    struct aws_error *err);
int aws_describe_regions(struct aws *a, aws_region_cb cb, void *arg,
    struct aws_error *err);
int aws_describe_import_image_tasks_page(struct aws *a, int max_results,
    const char *token, aws_task_cb cb, void *arg, char *next, size_t nextlen,
    int *count, struct aws_error *err);
int aws_describe_import_image_tasks(struct aws *a, int max_results,
    aws_task_cb task_cb, aws_page_cb page_cb, void *arg,
    struct aws_error *err);
int aws_get_federation_token(struct aws *a, const char *name,
    int duration_seconds, struct aws_credentials *out,
    struct aws_error *err);
int aws_assume_role(struct aws *a, const char *role_arn,
    const char *session_name, int duration_seconds,
    struct aws_credentials *out, struct aws_error *err);
int aws_put_object(struct aws *a, const char *bucket, const char *key,
    const void *data, size_t len, const char *content_type, char *etag,
    size_t etaglen, struct aws_error *err);
int aws_describe_conversion_tasks_page(struct aws *a,
    const char *const *ids, size_t nids, int max_results, const char *token,
    aws_conversion_cb cb, void *arg, char *next, size_t nextlen, int *count,
    struct aws_error *err);
int aws_describe_conversion_tasks(struct aws *a, const char *const *ids,
    size_t nids, int max_results, aws_conversion_cb task_cb,
    aws_page_cb page_cb, void *arg, struct aws_error *err);
int aws_describe_instances_page(struct aws *a, int max_results,
    const char *token, aws_instance_cb cb, void *arg, char *next,
    size_t nextlen, int *count, struct aws_error *err);
int aws_describe_instances(struct aws *a, int max_results,
    aws_instance_cb inst_cb, aws_page_cb page_cb, void *arg,
    struct aws_error *err);
int aws_import_image(struct aws *a, const struct aws_import_image *in,
    char *task_id, size_t idlen, struct aws_error *err);
long aws_clock_skew(const struct aws *a);
const char *aws_service_name(enum aws_service svc);
const char *aws_code_string(enum aws_code c);
const char *aws_endpoint_source_string(enum aws_endpoint_source s);
int aws_error_describe(const struct aws_error *e, char *out, size_t outlen);
int aws_error_service(struct aws_error *err, long status,
    const char *code_name, const char *message);
int aws_error_protocol(struct aws_error *err, long status, const char *msg);

/* The answer readers, exposed for the fuzz target: */
int aws_answer(const char *body, size_t len, long status, const char *action,
    struct _xmlDoc **doc, struct _xmlNode **root, struct aws_error *err);
int aws_read_error(const char *body, size_t len, long status,
    struct aws_error *err);
int aws_read_identity(const struct _xmlNode *root, struct aws_identity *out);
int aws_read_regions(const struct _xmlNode *root, aws_region_cb cb,
    void *arg);
int aws_read_import_tasks(const struct _xmlNode *root, aws_task_cb cb,
    void *arg, char *next, size_t nextlen, int *count);
int aws_read_credentials(const struct _xmlNode *root,
    struct aws_credentials *out);
int aws_read_conversion_tasks(const struct _xmlNode *root,
    aws_conversion_cb cb, void *arg, char *next, size_t nextlen, int *count);
int aws_read_instances(const struct _xmlNode *root, aws_instance_cb cb,
    void *arg, char *next, size_t nextlen, int *count);
int aws_read_import_image(const struct _xmlNode *root, char *task_id,
    size_t idlen);
int aws_parse_http_date(const char *s, time_t *out);

/* ---- secret.c: stored credentials, encrypted with the connector key ---- */

/*
 * Every stored credential is sealed with AES-256-GCM under the connector
 * encryption key: a random 96-bit nonce per value, the secret's name and
 * the key id as associated data.  The key is a file of 32 random bytes,
 * var/lib/connector/keys/<id>.key (0600, directory 0700); only its id is in
 * the database.  Names: [a-z0-9._-], 1 to 64 characters.
 */
#define SECRET_KEY_BYTES 32
#define SECRET_KEY_ID_LEN 16		/* hex characters */
#define SECRET_NAME_MAX 64
#define SECRET_VALUE_MAX (16 * 1024)

int secret_ensure_key(void);
int secret_recover(void);
int secret_current_key(char id[SECRET_KEY_ID_LEN + 1], time_t *created);
int secret_put(const char *name, const void *value, size_t len);
int secret_get(const char *name, struct buf *out);
int secret_exists(const char *name);
int secret_delete(const char *name);
int secret_delete_prefix(const char *prefix);
int secret_rotate(char new_id[SECRET_KEY_ID_LEN + 1]);
int secret_count(void);

/* ---- portal.c: the management portal (AMP-connector key, registration) ---- */

#define PORTAL_FILE_MAX (16 * 1024)

/* The configuration file the portal's setup produces (JSON). */
struct portal_config {
	char key_name[65];
	char key_id[129];
	char secret[257];
	char endpoint[513];	/* https://HOST[:PORT], no path */
	char host[254];
	int port;
};

struct portal {
	struct http_client http;
	struct http_opts opts;
	char endpoint[513];
	char region[32];
	char key_id[129];
	char secret[257];
	char server_date[64];	/* Date header of the last answer, or "" */
};

/* What the connector tells the portal about itself at registration. */
struct portal_info {
	const char *connector_id;
	const char *hostname;
	const char *ip;
	const char *version;
	const char *vcenter_host;	/* optional */
	const char *extension_key;	/* optional */
};

struct json_t;
int portal_config_parse(const char *data, size_t len,
    struct portal_config *out, char *why, size_t whylen);
void portal_config_wipe(struct portal_config *c);
int portal_init(struct portal *p, const struct portal_config *c,
    const char *region, const struct http_opts *opts);
void portal_free(struct portal *p);
int portal_register(struct portal *p, const struct portal_info *in,
    char *registration_id, size_t idlen, struct aws_error *err);
int portal_heartbeat(struct portal *p, const char *registration_id,
    const char *status, struct aws_error *err);
int portal_deregister(struct portal *p, const char *registration_id,
    struct aws_error *err);
/* The answer reader, exposed for the fuzz target: */
int portal_read_answer(const char *body, size_t len, long status,
    struct json_t **out, struct aws_error *err);

/* ---- registration.c: vCenter, proxy, AWS and portal, live and draft ---- */

#define REG_VC_HOST "vcenter.host"
#define REG_VC_PORT "vcenter.port"
#define REG_VC_THUMBPRINT "vcenter.thumbprint"	/* pinned */
#define REG_VC_SUBJECT "vcenter.subject"
#define REG_VC_USER "vcenter.user"
#define REG_VC_PASSWORD "vcenter.password"	/* secret */
#define REG_PROXY_HOST "proxy.host"
#define REG_PROXY_PORT "proxy.port"
#define REG_PROXY_USER "proxy.user"
#define REG_PROXY_PASSWORD "proxy.password"	/* secret */
#define REG_NO_PROXY "proxy.no_proxy"
#define REG_PROXY_DECIDED "proxy.decided"	/* the step was answered */
#define REG_AWS_REGION "aws.region"
#define REG_AWS_KEY_ID "aws.access_key_id"
#define REG_AWS_SECRET "aws.secret_access_key"	/* secret */
#define REG_AWS_TOKEN "aws.session_token"	/* secret */
#define REG_AWS_ACCOUNT "aws.account"
#define REG_AWS_ARN "aws.arn"
#define REG_PORTAL_KEY_NAME "portal.key_name"
#define REG_PORTAL_KEY_ID "portal.key_id"
#define REG_PORTAL_SECRET "portal.secret"	/* secret */
#define REG_PORTAL_ENDPOINT "portal.endpoint"
#define REG_AT "registration.at"
#define REG_IP "registration.ip"
#define REG_URL "registration.url"
#define REG_EXTENSION "registration.extension_key"
#define REG_PORTAL_ID "registration.portal_id"
#define REG_DRAFT_STARTED "wizard.started"
#define REG_EXTENSION_KEY "connector.console"	/* the plugin's key */

struct reg_outcome {
	const char *ip, *url, *extension_key, *portal_id;
};

struct reg_net {
	struct http_opts opts;	/* points into the fields below */
	char pin[96];
	char ca_file[4096];
	char proxy_host[254];
	char proxy_user[65];
	char proxy_password[257];
	char no_proxy[1025];
};

extern const char *const reg_regions[];

int reg_value(const char *name, int draft, char *out, size_t outlen);
int reg_has(const char *name, int draft);
int reg_draft_set(const char *name, const char *value);
int reg_draft_secret(const char *name, const char *value);
int reg_secret(const char *name, int draft, struct buf *out);
int reg_registered(void);
int reg_draft_exists(void);
int reg_draft_start(void);
int reg_draft_discard(void);
int reg_commit(const struct reg_outcome *o);
int reg_clear(void);
int reg_allow_loopback(void);
int reg_net_load(struct reg_net *n, int draft, int outward);
void reg_net_wipe(struct reg_net *n);
int reg_region_known(const char *region);
int reg_portal_config(struct portal_config *pc, int draft);
int reg_portal_file(const char *data, size_t len, struct portal_config *pc,
    char *why, size_t whylen);

/* ---- app.c: the prefork master and the request lifecycle ---- */

enum app_access {
	ACCESS_SETUP,	/* only until the console is claimed, then 404 */
	ACCESS_ANON,	/* claimed console, no session needed */
	ACCESS_SESSION,	/* claimed console, signed in */
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
};

struct app_program {
	const char *name;
	const struct app_page *pages;
	size_t npages;
	int nice;		/* workers' scheduling niceness (0: as started) */
};

int app_main(int argc, char **argv, const struct app_program *prog);
int app_write_error_pages(const char *dir);

/* For handlers: */
const char *app_field(struct app_ctx *c, enum field_id f);
size_t app_field_len(struct app_ctx *c, enum field_id f);
const char *app_field_raw(struct app_ctx *c, enum field_id f);
const char *app_field_error(struct app_ctx *c, enum field_id f);
int app_set_field_error(struct app_ctx *c, enum field_id f, const char *msg);
int app_has_field_errors(struct app_ctx *c);
int app_is_post(struct app_ctx *c);
const char *app_remote_addr(struct app_ctx *c);
void app_set(struct app_ctx *c, const char *name, const char *value);
void app_set_int(struct app_ctx *c, const char *name, long long value);
void app_set_time(struct app_ctx *c, const char *name, time_t t);
void app_template(struct app_ctx *c, const char *tpl, const char *title);
int app_redirect(struct app_ctx *c, const char *path);
void app_audit(struct app_ctx *c, const char *action);
int app_start_session(struct app_ctx *c);
int app_end_session(struct app_ctx *c);
void app_error_message(struct app_ctx *c, const char *msg);

#endif
