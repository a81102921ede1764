/*
 * privreq.h — the one way across the privilege line: the programs (user
 * connector) stage typed requests in var/lib/connector/requests; the
 * root-side helper (sbin/connector-helper) takes them, validates each
 * itself, acts through a fixed table of actions and writes a result the
 * page can show in var/lib/connector/results.  connector-setup, already
 * root, acts through the same table without the queue.
 *
 * A request is one file <action>-<id>.req of key=value lines:
 *
 *   connector-request 1
 *   action=reload-nginx
 *   id=<32 hex digits>
 *   [file=<name of a staged file in the same directory>]
 *   [<value name>=<value>]...
 *   end
 *
 * A result is results/<id>.result: outcome, action, time, message.
 */
#ifndef CONNECTOR_PRIVREQ_H
#define CONNECTOR_PRIVREQ_H

#include <sys/types.h>

#include "base.h"

#define PRIVREQ_VERSION 1
#define PRIVREQ_ID_LEN 32		/* hex digits of 16 random bytes */
#define PRIVREQ_MAX_SIZE 4096		/* bytes of one request file */
#define PRIVREQ_MAX_VALUES 8		/* typed values of one request */
#define PRIVREQ_MAX_QUEUED 64		/* entries the staging directory holds */
#define PRIVREQ_MAX_PER_WAKE 16		/* requests the helper takes per wake */
#define PRIVREQ_STALE_SECONDS 600	/* leftover non-request files removed */
#define PRIVREQ_RESULT_SECONDS 86400	/* results kept */
#define PRIVREQ_MAX_STAGED (16 * 1024 * 1024)	/* bytes of a staged file */

enum privreq_outcome {
	PRIVREQ_DONE,		/* the action was carried out */
	PRIVREQ_FAILED,		/* it was tried and did not work */
	PRIVREQ_REFUSED,	/* the request was invalid: nothing done */
};

struct privreq_result {
	enum privreq_outcome outcome;
	char action[32];
	char message[256];	/* one sentence for the page */
	time_t time;
};

struct privreq_value {
	char name[32];
	char value[256];
};

/* One validated request, as the helper holds it. */
struct privreq {
	char action[32];
	char id[PRIVREQ_ID_LEN + 1];
	char file[64];		/* staged file name, "" when none */
	int file_fd;		/* the staged file, opened by the helper; -1 */
	size_t nvalues;
	struct privreq_value values[PRIVREQ_MAX_VALUES];
};

/* The programs' side. */
int privreq_submit(const char *action, const char *const *values,
    const char *file, char id_out[PRIVREQ_ID_LEN + 1]);
int privreq_result(const char *id, struct privreq_result *r);
const char *privreq_outcome_name(enum privreq_outcome o);

/* The helper's side (and connector-setup's). */
int privreq_parse(const char *name, const char *text, size_t len,
    struct privreq *rq, char *why, size_t whylen);
int privreq_known_action(const char *action);
int privreq_act(const struct privreq *rq, struct privreq_result *r);
int privreq_run(uid_t owner, size_t max, size_t *taken);

#endif
