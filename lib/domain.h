/*
 * domain.h — the domain layer: what the connector does —
 * passwords and sessions, its certificate, its addresses, stored secrets and
 * registration.  It needs no HTTP request: pages, jobs and the CLI call it.
 * Prototypes grouped by the file that defines them; every public function
 * carries its module's prefix.  Functions return 0 on success and a
 * negative CONN_E* code (or an HTTP status where the comment says so) on
 * failure.
 */
#ifndef CONNECTOR_DOMAIN_H
#define CONNECTOR_DOMAIN_H

#include "base.h"
#include "outbound.h"

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

#define AUTH_NOTICE_MAX 1024	/* a one-time notice, bytes with the NUL */
#define AUTH_NOTICE_NONCE 16
#define AUTH_API_NAME_MAX 64
#define AUTH_API_TOKENS_MAX 20

struct auth_session {
	char token_hash[65];
	char csrf[AUTH_TOKEN_LEN + 1];
	time_t created_at;
	time_t last_seen;
	int has_notice;		/* a one-time notice waits (auth_notice_take) */
	char notice[AUTH_NOTICE_MAX];
	int notice_warning;	/* done, but not all of it */
	char notice_path[128];	/* the page it is for; "" any */
	int has_notice_secret;
	unsigned char notice_sealed[AUTH_NOTICE_NONCE + AUTH_TOKEN_LEN];
};

struct auth_api_token {
	long long id;
	char name[AUTH_API_NAME_MAX + 1];
	time_t created_at;
	time_t last_used_at;	/* 0: never used */
};

struct auth_admin {
	int claimed;
	int locked;
	int failed_count;	/* since the last sign-in or password reset */
	time_t last_failure_at;	/* 0: none */
	char last_failure_addr[64];	/* of the current run; "" none */
	time_t failures_began_at;	/* the current run's first; 0 none */
	time_t locked_at;	/* 0: not locked */
	time_t last_login_at;	/* 0: never signed in */
	char last_login_addr[64];
	time_t password_changed_at;	/* set or reset; 0 never */
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
int auth_reauthenticate(const char *pw, const char *addr);
int auth_login_report(const char *pw, const char *addr,
    struct auth_admin *before);
int auth_reset_password(const char *pw);
int auth_token(char out[AUTH_TOKEN_LEN + 1]);
int auth_token_valid(const char *s);
int auth_session_create(const char *addr, char token[AUTH_TOKEN_LEN + 1],
    struct auth_session *out);
int auth_session_check(const char *token, struct auth_session *out);
int auth_session_end(const char *token);
int auth_notice_set(const char *token, const char *msg, const char *secret,
    int warning, const char *path);
int auth_notice_take(const char *token, struct auth_session *s,
    char secret[AUTH_TOKEN_LEN + 1]);
int auth_api_token_create(const char *name, char token[AUTH_TOKEN_LEN + 1]);
int auth_api_token_check(const char *token, long long *id);
int auth_api_token_revoke(long long id);
int auth_api_tokens_each(int (*cb)(void *arg, const struct auth_api_token *t),
    void *arg);

/* ---- tls.c: the console's own certificate ---- */

int tls_generate_self_signed(const char *dir, const char *const *names,
    size_t nnames);
int tls_fingerprint_file(const char *certpath, char *out, size_t outlen);

#define TLS_NAMES_MAX 16	/* alternative names kept, of each kind */

/* What a certificate says (tls_cert_facts). */
struct tls_facts {
	char subject[256];	/* RFC 2253, e.g. "CN=10.0.0.5,O=Connector" */
	char issuer[256];
	char dns[TLS_NAMES_MAX][254];	/* DNS alternative names */
	size_t ndns;
	char ip[TLS_NAMES_MAX][46];	/* IP alternative names */
	size_t nip;
	time_t not_before, not_after;
	char sha256[96];	/* AA:BB:... */
	char sha1[60];
	char key_type[16];	/* "EC", "RSA", "Ed25519", "Ed448", "other" */
	int key_bits;
	int self_signed;	/* issued by itself, its signature verified */
	int covers;		/* names the address asked about */
};

int tls_cert_facts(const char *pem, size_t len, const char *addr,
    struct tls_facts *f);
int tls_cert_facts_file(const char *path, const char *addr,
    struct tls_facts *f);

/* ---- netinfo.c ---- */

int netinfo_addresses(char out[][64], size_t max, size_t *n);
int netinfo_primary_ipv4(char *out, size_t outlen);
int netinfo_console_ip(const char *listen_addr, char *out, size_t outlen);
int netinfo_current_ip(char *out, size_t outlen, char *listen,
    size_t listenlen);

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
int secret_recover_count(size_t *removed);
int secret_current_key(char id[SECRET_KEY_ID_LEN + 1], time_t *created);
int secret_put(const char *name, const void *value, size_t len);
int secret_get(const char *name, struct buf *out);
int secret_exists(const char *name);
int secret_delete(const char *name);
int secret_delete_prefix(const char *prefix);
int secret_rotate(char new_id[SECRET_KEY_ID_LEN + 1]);
int secret_count(void);

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
/* A Register under way: "new" or "update" (what it did to vCenter's
 * plugin), then "|" and the portal registration it made, if any.  Written
 * before each remote change, gone with the commit or a complete undo: one
 * left behind means an attempt was killed part-way, and the next one
 * knows what that attempt left in vCenter and the portal. */
#define REG_PENDING "registration.pending"
#define REG_DRAFT_PREFIX "draft."	/* the draft's settings and secrets */
#define REG_DRAFT_TOUCHED "draft.touched"	/* its last change */
#define REG_DRAFT_STARTED "wizard.started"
#define REG_EXTENSION_KEY "connector.console"	/* the plugin's key */
#define REG_CONNECTOR_ID "connector.id"	/* the connector's id for the portal */

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

void reg_draft_name(const char *name, char *out, size_t outlen);
int reg_value(const char *name, int draft, char *out, size_t outlen);
int reg_has(const char *name, int draft);
int reg_draft_set(const char *name, const char *value);
int reg_draft_secret(const char *name, const char *value);
int reg_secret(const char *name, int draft, struct buf *out);
int reg_secret_has(const char *name, int draft);
int reg_registered(void);
int reg_draft_exists(void);
int reg_draft_start(void);
int reg_draft_discard(void);
int reg_draft_drop(void);
int reg_commit(const struct reg_outcome *o);
int reg_clear(void);
int reg_allow_loopback(void);
int reg_net_load(struct reg_net *n, int draft, int outward);
void reg_net_wipe(struct reg_net *n);
int reg_region_known(const char *region);
int reg_portal_config(struct portal_config *pc, int draft);
int reg_portal_file(const char *data, size_t len, struct portal_config *pc,
    char *why, size_t whylen);

#endif
