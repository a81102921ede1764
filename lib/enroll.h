/*
 * enroll.h — the registration's actions (lib/enroll.c): each wizard step's
 * check against its peer, registering and taking it back, unregistering,
 * the AMP-key rotation, and the explanation of a peer's failure in the
 * administrator's words.  Domain layer: plain C values in, a code and an
 * enroll_result out; no request, so pages, jobs and the CLI call the same
 * functions.
 *
 * Every action returns 0, CONN_EINVAL when the input or a peer refused it
 * (r->msg says what failed, why and what to do; r->field where it
 * belongs; nothing stored changed), or another negative code for a local
 * failure (logged; r->msg may hold a sentence).
 */
#ifndef CONNECTOR_ENROLL_H
#define CONNECTOR_ENROLL_H

#include "domain.h"

/* The wizard's steps, in order. */
enum enroll_step {
	ENROLL_VCENTER,		/* host: its certificate is read ... */
	ENROLL_TRUST,		/* ... shown, and pinned when trusted */
	ENROLL_ACCOUNT,		/* the service account, checked by a login */
	ENROLL_PROXY,		/* optional; tested through to AWS */
	ENROLL_AWS,		/* region and keys, GetCallerIdentity */
	ENROLL_PORTAL,		/* the AMP-connector key file */
	ENROLL_REVIEW,		/* register with vCenter and the portal */
	ENROLL__MAX
};

/* The form field a failure belongs to. */
enum enroll_field {
	EF_FORM,		/* the form as a whole */
	EF_VC_HOST,
	EF_VC_USER,
	EF_VC_PASSWORD,
	EF_THUMBPRINT,
	EF_PROXY_HOST,
	EF_PROXY_PORT,
	EF_PROXY_USER,
	EF_PROXY_PASSWORD,
	EF_REGION,
	EF_ACCESS_KEY,
	EF_SECRET_KEY,
	EF_SESSION_TOKEN,
	EF_PORTAL_FILE,
	EF__MAX
};

struct enroll_result {
	enum enroll_field field;	/* where msg belongs */
	char msg[700];			/* the sentence to show, or "" */
	const char *audit;		/* the outcome, for the audit log */
	int updated;			/* register: the plugin existed */
	int unreachable;		/* unregister: vCenter not reached */
	int partial;		/* unregister: done; msg says why the
					   portal was not told */
};

/* The vCenter certificate the vcenter step read, awaiting trust. */
struct enroll_cert {
	char host[SYNTAX_HOST_MAX + 1];
	int port;
	char thumbprint[96];
	char subject[256];
	char issuer[256];
	time_t not_before, not_after;
	char trusted[96];		/* the pinned one, if any */
};

/* What the proxy step was given; NULL strings are empty. */
struct enroll_proxy {
	const char *host, *port, *user, *password, *no_proxy;
};

/* Draft settings: the certificate the vcenter step read (never live). */
#define ENROLL_SEEN_THUMBPRINT "seen.thumbprint"
#define ENROLL_SEEN_SUBJECT "seen.subject"
#define ENROLL_SEEN_ISSUER "seen.issuer"
#define ENROLL_SEEN_NOT_BEFORE "seen.not_before"
#define ENROLL_SEEN_NOT_AFTER "seen.not_after"

enum enroll_step enroll_next(void);
int enroll_reachable(enum enroll_step s);
int enroll_seen_cert(struct enroll_cert *out);
int enroll_vcenter(const char *typed, struct enroll_result *r);
int enroll_trust(const char *thumbprint, struct enroll_result *r);
int enroll_account(const char *user, const char *password,
    struct enroll_result *r);
int enroll_proxy(const struct enroll_proxy *p, struct enroll_result *r);
int enroll_aws(const char *region, const char *key_id, const char *secret,
    const char *token, struct enroll_result *r);
int enroll_portal(const char *data, size_t len, int keep,
    struct enroll_result *r);
int enroll_register(struct enroll_result *r);
int enroll_discard(void);
int enroll_unregister(const char *user, const char *password,
    struct enroll_result *r);
int enroll_clear_local(void);
int enroll_rotate_amp(const char *data, size_t len, struct enroll_result *r);
int enroll_console_url(char *ip, size_t iplen, char *url, size_t urllen);
void enroll_explain_vsphere(const struct vsphere_error *e, const char *host,
    int port, const char *where, struct enroll_result *r);
void enroll_explain_aws(const struct aws_error *e, const char *who,
    const char *where, struct enroll_result *r);
void enroll_explain_proxy(const struct http_error *e, const char *host,
    const char *port, const char *where, struct enroll_result *r);

#endif
