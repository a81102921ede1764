/*
 * base.h — the base layer: errors, buffers, file locations,
 * logging, SQLite and plain syntax checkers.  It knows nothing above it.
 * Prototypes grouped by the file that defines them; every public function
 * carries its module's prefix.  Functions return 0 on success and a
 * negative CONN_E* code (or an HTTP status where the comment says so) on
 * failure.
 */
#ifndef CONNECTOR_BASE_H
#define CONNECTOR_BASE_H

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
void util_url_host(const char *url, char *out, size_t outlen);
void util_b64url(const unsigned char *in, size_t len, char *out);
int util_sha256_hex(const void *data, size_t len, char out[65]);
int util_ct_equal(const char *a, const char *b);
int util_utf8_valid(const char *s, size_t len);
void util_wipe(void *p, size_t len);
int util_write_file_atomic(const char *path, const void *data, size_t len,
    unsigned mode);
int util_write_all(int fd, const void *data, size_t len);
int util_read_file(const char *path, size_t max, struct buf *out);
int util_mkdirs(const char *path, unsigned mode);
int util_fsync_dir(const char *dir);
int util_count_entries(const char *dir);
const char *util_size_words(unsigned long long b, char *out, size_t outlen);
time_t util_now(void);
void util_clean_text(char *s);
void util_copy_text(char *out, size_t outlen, const char *src);
int util_all_in(const char *s, size_t len, const char *set);
int util_utc_time(int y, int mo, int d, int h, int mi, int s, time_t *out);
int util_percent_encode(struct buf *b, const char *s, size_t len,
    int keep_slash);

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
	PATH_BUNDLES,		/* var/lib/connector/bundles: downloads */
	PATH_LOG,		/* var/log/connector */
	PATH_LOGFILE,		/* var/log/connector/connector.log */
	PATH_AUDIT,		/* var/log/connector/audit.log */
	PATH_RUN,		/* run/connector */
	PATH_SHARE,		/* templates, static files, password list */
	/* the privileged helper's queue (privreq.c) */
	PATH_REQUESTS,		/* var/lib/connector/requests (the programs') */
	PATH_RESULTS,		/* var/lib/connector/results (the helper's) */
	PATH_SUPERVISOR_PID,	/* run/connector/supervisor.pid (development) */
	PATH_NGINX_PID,		/* run/connector/nginx.pid (development) */
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
	/* request lifecycle: login sources, notices, API tokens */
	DB_SOURCES_RESET,
	DB_SOURCES_SIGNED_IN,
	DB_SESSION_NOTICE_SET,
	DB_SESSION_NOTICE_CLEAR,
	DB_TOKEN_INSERT,
	DB_TOKEN_COUNT,
	DB_TOKEN_FIND,
	DB_TOKEN_TOUCH,
	DB_TOKEN_LIST,
	DB_TOKEN_DELETE,
	/* jobs (lib/job.c, lib/housekeeping.c) */
	DB_JOB_STALE,
	DB_JOB_START,
	DB_JOB_END,
	DB_JOB_PRUNE,
	DB_JOB_SOURCES_PRUNE,
	DB_JOB_DRAFT_STALE,
	/* vCenter users (lib/userprovider.c, cgi-bin/users.c) */
	DB_USERS_STAGE_CREATE,
	DB_USERS_STAGE_CLEAR,
	DB_USERS_STAGE_ADD,
	DB_USERS_ADDED,
	DB_USERS_CHANGED,
	DB_USERS_REMOVE,
	DB_USERS_UPSERT,
	DB_USERS_FIND,
	DB_USERS_COUNT,
	DB_USERS_PAGE,
	DB_USERS_TOTALS,
	DB_JOB_LAST,
	/* the migrations (lib/poller.c) */
	DB_VMS_ACTIVE,
	DB_VMS_POLLED,
	DB_VMS_SLOTS_USED,
	DB_VMS_INSERT,
	DB_VMS_CLAIM,
	DB_VMS_STARTED,
	DB_VMS_REQUEUE,
	DB_VMS_START_FAILED,
	DB_VMS_DROP_UNSTARTED,
	DB_VMS_TO_START,
	DB_VMS_QUEUED,
	DB_VMS_TRACK,
	DB_VMS_TASK_TRACKED,
	DB_VMS_DROP_MISSING,
	DB_VMS_COUNT,
	DB_POLLER_RUNS,
	/* a page of the table: by column, ascending then descending
	 * (enum poller_sort * 2 + desc) */
	DB_VMS_BY_NAME,
	DB_VMS_BY_NAME_DESC,
	DB_VMS_BY_STATE,
	DB_VMS_BY_STATE_DESC,
	DB_VMS_BY_PROGRESS,
	DB_VMS_BY_PROGRESS_DESC,
	DB_VMS_BY_RESULT,
	DB_VMS_BY_RESULT_DESC,
	DB_VMS_BY_CHANGE,
	DB_VMS_BY_CHANGE_DESC,
	/* the authentication proxy (lib/authproxy.c) */
	DB_AP_SIGNATURE_ONCE,
	DB_AP_ATTEMPT_BEGIN,
	DB_AP_ATTEMPT_COUNTS,
	DB_AP_ATTEMPT_DELETE,
	DB_AP_ATTEMPTS_CLEAR_USER,
	DB_AP_SIGNATURES_PRUNE,
	DB_AP_ATTEMPTS_PRUNE,
	/* the health job (lib/health.c) */
	DB_HEALTH_GET,
	DB_HEALTH_PUT,
	DB_HEALTH_LOG_ADD,
	DB_HEALTH_LOG_PRUNE,
	DB_HEALTH_STRIP,
	DB_JOB_NEWEST,
	/* the Health Status pane, reading (lib/healthstate.c) */
	DB_HEALTH_ROWS,
	DB_HEALTH_LOG,
	/* the authentication proxy's health item (lib/check_peers.c) */
	DB_SECRET_STAMP,
	DB_SETTING_SET_MAX,
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
int db_end(int rc);
/* Settings of the instance (connector-setup init writes them). */
#define SETTING_NAME "name"			/* the connector's host name */
#define SETTING_IP "ip"				/* its address */
#define SETTING_LISTEN "listen"			/* the console's URL */
#define SETTING_ORIGINS "origins"		/* accepted Origin headers */
#define SETTING_TLS_FINGERPRINT "tls_fingerprint" /* the console's cert */
#define SETTING_TLS_VALIDATION "tls.validation"	/* "off": not validated */
#define SETTING_ALLOW_LOOPBACK "peers.allow_loopback" /* test instances */

int db_setting_get(const char *name, struct buf *out);
int db_setting_copy(const char *name, char *out, size_t outlen);
int db_setting_set(const char *name, const char *value);
int db_setting_set_max(const char *name, const char *value);
int db_setting_delete(const char *name);
int db_settings_each(int (*cb)(void *arg, const char *name,
    const char *value), void *arg);
int db_setting_delete_prefix(const char *prefix);

/* ---- syntax.c: addresses, host names, ports, outbound peers ---- */

#define SYNTAX_HOST_MAX 253	/* a host name; labels at most 63 */
#define SYNTAX_REGION_MAX 31

int syntax_host_port(const char *s, char *host, size_t hostlen, int *port);
int syntax_region(const char *s);
int syntax_ipv4(const char *s);
int syntax_hostname(const char *s);
int syntax_port(const char *s);
int syntax_host_or_ipv4(const char *s);
int syntax_peer_ipv4(uint32_t addr, int allow_loopback);
int syntax_peer_ipv6(const unsigned char addr[16], int allow_loopback);
int syntax_peer_literal(const char *s, int allow_loopback);

#define SYNTAX_MOREF_MAX 80	/* a vCenter managed object id */

/* The kinds of EC2 import task ids (syntax_task_id). */
enum syntax_task_kind {
	SYNTAX_TASK_NONE,
	SYNTAX_TASK_IMAGE,	/* ImportImage: import-ami-... */
	SYNTAX_TASK_CONVERSION,	/* ImportInstance or ImportVolume */
};

int syntax_moref(const char *s);
int syntax_bucket(const char *s);
int syntax_object_key(const char *key);
enum syntax_task_kind syntax_task_id(const char *s);

#endif
