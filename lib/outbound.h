/*
 * outbound.h — the outbound layer: libcurl, XML, the vSphere
 * SOAP client, the AWS client and the management portal.  The clients know
 * nothing of health, registration or pages.
 * Prototypes grouped by the file that defines them; every public function
 * carries its module's prefix.  Functions return 0 on success and a
 * negative CONN_E* code (or an HTTP status where the comment says so) on
 * failure.
 */
#ifndef CONNECTOR_OUTBOUND_H
#define CONNECTOR_OUTBOUND_H

#include "base.h"

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

/*
 * Within a kind, the failures a caller words differently: the address
 * policy refused the peer (kind connect), the certificate is not the pinned
 * one (kind TLS), the proxy wants other credentials (kind proxy, 407).
 */
enum http_cause {
	HTTP_C_NONE,
	HTTP_C_POLICY,
	HTTP_C_PIN,
	HTTP_C_PROXY_AUTH,
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
	enum http_cause cause;
	char endpoint[512];
	double elapsed;
	char detail[512];
	struct http_timing timing;	/* how far the request got */
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
const char *http_cause_string(enum http_cause c);
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

/* A user or group of the directory (UserSearchResult). */
struct vsphere_principal {
	char principal[512];		/* the name, as vCenter spells it */
	char full_name[512];		/* "" when vCenter gives none */
	int group;			/* 1: a group, 0: a user */
};

/* What one RetrieveUserGroups looks for. */
struct vsphere_search {
	const char *domain;		/* NULL or "": the server's default */
	const char *search;		/* part of the name; NULL or "": all */
	int exact;			/* the name is search itself */
	int users, groups;		/* the kinds wanted (at least one) */
};

/*
 * How many entries vCenter answers to one RetrieveUserGroups at most: its
 * advanced setting ads.maxFetch ("Maximum users to retrieve", the vSphere
 * Client's "Query limit size"), 5000 unless changed.  An answer that long
 * may have been cut, and the walk narrows its search (vsphere_walk).
 */
#define VSPHERE_DIRECTORY_LIMIT 5000
#define VSPHERE_SEARCH_MAX 256		/* bytes of a narrowed search */
#define VSPHERE_WALK_MAX_CALLS 100000	/* a walk gives up after this */

/* What a walk cost: calls made, entries answered (with repeats), kept. */
struct vsphere_walk_stats {
	long calls;
	long answered;
	long found;
	long narrowed;			/* searches whose answer was full */
};

typedef int (*vsphere_vm_cb)(void *arg, const struct vsphere_vm *vm);
typedef int (*vsphere_user_cb)(void *arg, const struct vsphere_principal *p);
/* One search of a walk: cb for each entry, their number in *n; 0 or an
 * error code (which ends the walk). */
typedef int (*vsphere_search_fn)(void *arg, const struct vsphere_search *q,
    vsphere_user_cb cb, void *cbarg, int *n);

int vsphere_init(struct vsphere *vs, const char *host, int port,
    const struct http_opts *opts);
void vsphere_free(struct vsphere *vs);
int vsphere_connect(struct vsphere *vs, struct vsphere_error *err);
int vsphere_login(struct vsphere *vs, const char *user, const char *password,
    struct vsphere_error *err);
int vsphere_logout(struct vsphere *vs, struct vsphere_error *err);
int vsphere_current_time(struct vsphere *vs, time_t *out,
    struct vsphere_error *err);
int vsphere_user_groups(struct vsphere *vs, const struct vsphere_search *q,
    vsphere_user_cb cb, void *arg, int *n, struct vsphere_error *err);
int vsphere_users(struct vsphere *vs, const struct vsphere_search *q,
    int limit, vsphere_user_cb cb, void *arg, struct vsphere_walk_stats *st,
    struct vsphere_error *err);
int vsphere_walk(const struct vsphere_search *q, int limit,
    vsphere_search_fn fetch, void *fetch_arg, vsphere_user_cb cb, void *arg,
    struct vsphere_walk_stats *st);
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
    void *arg, int *n);
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
	char instance_id[32];	/* an instance import's instance, or "" */
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
	int timeouts;		/* also retry a request that timed out */
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
int aws_describe_import_image_tasks_page(struct aws *a,
    const char *const *ids, size_t nids, int max_results, const char *token,
    aws_task_cb cb, void *arg, char *next, size_t nextlen, int *count,
    struct aws_error *err);
int aws_describe_import_image_tasks(struct aws *a, const char *const *ids,
    size_t nids, int max_results, aws_task_cb task_cb, aws_page_cb page_cb,
    void *arg, struct aws_error *err);
int aws_get_federation_token(struct aws *a, const char *name,
    int duration_seconds, struct aws_credentials *out,
    struct aws_error *err);
int aws_assume_role(struct aws *a, const char *role_arn,
    const char *session_name, int duration_seconds, const char *policy,
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
int aws_describe_instances_page(struct aws *a, const char *const *ids,
    size_t nids, int max_results, const char *token, aws_instance_cb cb,
    void *arg, char *next, size_t nextlen, int *count,
    struct aws_error *err);
int aws_describe_instances(struct aws *a, const char *const *ids,
    size_t nids, int max_results, aws_instance_cb inst_cb,
    aws_page_cb page_cb, void *arg, struct aws_error *err);
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

#endif
