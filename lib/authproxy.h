/*
 * authproxy.h — the federation authentication proxy (lib/authproxy.c):
 * the portal sends a vCenter user's name and password, signed with the
 * AMP-connector key; the connector checks the signature itself, signs in
 * to vCenter as that user (and out again), checks the user is one the
 * UserProvider enumerated, and answers temporary AWS credentials from
 * STS AssumeRole on the role the administrator configured.  Its settings
 * (federation through the connector or SAML, role, session policy,
 * duration cap) are the Settings page's.  Domain layer: plain values in,
 * a code and a result out; cgi-bin/authproxy.c is the page.  The request
 * body, the session names and the answers: docs/authproxy.md.
 */
#ifndef CONNECTOR_AUTHPROXY_H
#define CONNECTOR_AUTHPROXY_H

#include <netinet/in.h>
#include <arpa/inet.h>

#include "domain.h"
#include "sigv4.h"

/* Settings (the settings table). */
#define AP_SET_MODE "federation.mode"		/* "connector" or "saml" */
#define AP_SET_ROLE "federation.role_arn"
#define AP_SET_POLICY "federation.session_policy"	/* packed JSON */
#define AP_SET_DURATION "federation.duration"	/* seconds */
/* When AWS last refused or missed a user's AssumeRole (seconds since the
 * epoch): the health item asks again at its next run after it. */
#define AP_SET_ASSUME_FAILED_AT "federation.assume_failed_at"
/* How long the health item keeps a good AssumeRole answer before asking
 * AWS again (each ask is an entry in the customer's CloudTrail). */
#define AP_HEALTH_RECHECK (15 * 60)

#define AP_MODE_CONNECTOR "connector"
#define AP_MODE_SAML "saml"
#define AP_ROLE_MAX 2048		/* an IAM ARN's limit */
#define AP_POLICY_MAX 2048		/* STS: packed policy characters */
#define AP_POLICY_TEXT_MAX 8192		/* as typed, with its layout */
#define AP_DURATION_MIN 900
#define AP_DURATION_MAX 43200
#define AP_DURATION_DEFAULT 3600

/* The request: caps, and what signs it. */
#define AP_BODY_MAX 8192		/* the program's; nginx's is larger */
#define AP_USER_MAX 256			/* user name, bytes */
#define AP_PASSWORD_MAX 512
#define AP_SERVICE "connector"		/* the SigV4 scope's service */
#define AP_SESSION_NAME_MAX 64
#define AP_SESSION_HASH 10		/* hex characters of the suffix */

/*
 * Failed attempts counted against a user (any spelling of the name) and a
 * source within AP_WINDOW seconds; at the limit, attempts are refused (429)
 * before vCenter is asked.  Four per user stays under vCenter's default
 * lockout (five failures within three minutes), so the proxy cannot be
 * used to lock a vCenter account.  A right password clears the user's.
 */
#define AP_WINDOW 300
#define AP_USER_FAILURES 4
#define AP_SOURCE_FAILURES 20
/* Accepted signatures are kept this long (their date's window is 5 min
 * either side of the clock), then housekeeping removes them. */
#define AP_SIGNATURE_RETENTION (15 * 60)

struct authproxy_config {
	int saml;			/* federation is SAML: the proxy is off */
	char role_arn[AP_ROLE_MAX + 1];	/* "" when none is set */
	char policy[AP_POLICY_MAX + 1];	/* packed JSON, "" when none */
	int duration;			/* the cap, seconds */
};

/* The Settings form's fields, for the sentences of authproxy_config_set. */
enum ap_field { AP_F_MODE, AP_F_ROLE, AP_F_POLICY, AP_F_DURATION, AP_F__MAX };

struct ap_problems {
	char msg[AP_F__MAX][400];	/* "" where the field is right */
};

/* A request's body (authproxy_read_body). */
struct ap_body {
	char username[AP_USER_MAX + 1];
	char password[AP_PASSWORD_MAX + 1];
	char source[INET6_ADDRSTRLEN];	/* normalized; "" when not sent */
	int duration;			/* 0 when not sent */
};

/* A request as the page received it. */
struct ap_request {
	const struct sigv4_request *http;	/* body NULL when over a cap */
	const char *over_cap;		/* why the request is over a size cap
					   (constant text), or NULL */
	const char *remote_addr;
};

/* How an attempt the limits counted ended (authproxy_attempt_end). */
enum ap_attempt {
	AP_ATTEMPT_FAILED,	/* wrong credentials: it counts */
	AP_ATTEMPT_RIGHT,	/* right: the user's failures are cleared */
	AP_ATTEMPT_NOT_ASKED,	/* vCenter could not say: it does not count */
};

enum ap_outcome {
	AP_ISSUED,		/* 200: credentials */
	AP_REFUSED,		/* 403: one answer whatever the reason */
	AP_LIMITED,		/* 429: too many failures */
	AP_UNAVAILABLE,		/* 503: vCenter or AWS could not answer */
};

struct ap_answer {
	enum ap_outcome outcome;
	char audit[224];		/* the real reason (audit log) */
	char user[AP_SESSION_NAME_MAX + 10];	/* "vcenter:NAME", or "" */
	char session_name[AP_SESSION_NAME_MAX + 1];
	struct aws_credentials cred;	/* AP_ISSUED; wipe when done */
};

int authproxy_config_get(struct authproxy_config *out);
int authproxy_config_set(const char *mode, const char *role,
    const char *policy, const char *duration, struct ap_problems *p);
int authproxy_valid_role(const char *arn);
int authproxy_pack_policy(const char *text, char *out, size_t outlen,
    char *why, size_t whylen);
int authproxy_read_body(const char *body, size_t len, struct ap_body *out,
    char *why, size_t whylen);
void authproxy_body_wipe(struct ap_body *b);
int authproxy_session_name(const char *principal, const char *domain,
    char out[AP_SESSION_NAME_MAX + 1]);
int authproxy_signature_once(const char *signature, time_t now);
int authproxy_attempt_begin(const char *user_key, const char *source,
    time_t now, long long *id, int *which);
int authproxy_attempt_end(long long id, const char *user_key,
    enum ap_attempt how);
int authproxy_prune(time_t now, int *signatures, int *attempts);
void authproxy_token(const struct ap_request *rq, struct ap_answer *a);

#endif
