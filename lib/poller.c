/*
 * poller.c — the Poller Service: the imports of vCenter VMs to EC2 that the
 * connector tracks, one row each in the vms table.
 *
 * A poll (the job, every POLLER_INTERVAL):
 *
 *   1. reads every row in progress (state active), grouped by region;
 *   2. per region, on one client (one connection, through the proxy when
 *      one is set): DescribeImportImageTasks for the image imports, then
 *      DescribeConversionTasks for the others, AWS_MAX_IDS ids a call and
 *      every page of each; then DescribeInstances for the instances the
 *      conversions that completed produced.  A task AWS does not know makes
 *      the whole call fail: the answer names it, or halving the batch
 *      finds it; it is marked missing (never dropped) once it was last
 *      seen, or started, POLLER_MISSING_AFTER ago: AWS is eventually
 *      consistent, so before that it is only not seen this time;
 *   3. keeps every answer in memory, and only when all of them came writes
 *      every change in one transaction, with the poll's time (setting
 *      poller.polled_at).  A failure anywhere writes nothing: the rows stay
 *      as the last good poll left them, and the page shows their age and
 *      why the poll failed;
 *   4. starts queued imports, oldest first, while fewer than POLLER_SLOTS
 *      are in progress in their region; also after a failed poll (its
 *      unwritten rows count as in progress: slots over-counted, never
 *      under).  Imports AWS did not start are news and the run's note,
 *      not a failed run.
 *
 * Starting an import (the page, or step 4) takes a slot in one statement
 * (the row becomes 'starting'), then sends ImportImage with the row's
 * client token: a start cut short by a crash is sent again by the next
 * poll with the same token, and AWS answers with the same task rather
 * than a second import.  AWS's own limit (ResourceCountLimitExceeded, which
 * imports started elsewhere count toward) puts the row back in the queue.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "enroll.h"
#include "poller.h"

#define MAX_REGIONS 32		/* clients one poll keeps */

/* ---- states and what AWS says ---- */

static const struct {
	const char *name;	/* in the table */
	const char *label;	/* on the page */
	const char *level;	/* ok, warning, error, unknown */
} states[PS__MAX] = {
	[PS_QUEUED] = { "queued", "Queued", "unknown" },
	[PS_STARTING] = { "starting", "Starting", "unknown" },
	[PS_ACTIVE] = { "active", "In progress", "unknown" },
	[PS_COMPLETED] = { "completed", "Completed", "ok" },
	[PS_DELETED] = { "deleted", "Deleted in AWS", "error" },
	[PS_MISSING] = { "missing", "Unknown to AWS", "warning" },
	[PS_FAILED] = { "failed", "Not started", "error" },
};

/* The state's word in the table. */
const char *
poller_state_name(enum poller_state s)
{
	return s < PS__MAX ? states[s].name : "?";
}

/* The state of a table word, or -1. */
int
poller_state_parse(const char *s)
{
	for (int i = 0; s && i < PS__MAX; i++)
		if (strcmp(s, states[i].name) == 0)
			return i;
	return -1;
}

/* The state as the page says it ("In progress"). */
const char *
poller_state_label(enum poller_state s)
{
	return s < PS__MAX ? states[s].label : "Unknown";
}

/* The page's level of the state: ok, warning, error or unknown. */
const char *
poller_state_level(enum poller_state s)
{
	return s < PS__MAX ? states[s].level : "unknown";
}

/* 1 when a task in state s is no longer read from AWS. */
int
poller_finished(enum poller_state s)
{
	return s == PS_COMPLETED || s == PS_DELETED || s == PS_MISSING ||
	    s == PS_FAILED;
}

/* AWS's progress text ("0" to "100") as a number, or -1. */
static int
progress_of(const char *s)
{
	int v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 3)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= 100 ? v : -1;
}

/* Reset out to a task in progress that AWS has said nothing about. */
static void
status_clear(struct poller_status *out)
{
	memset(out, 0, sizeof *out);
	out->state = PS_ACTIVE;
	out->progress = -1;
}

/*
 * The row's new status from an import image task: completed (with its
 * AMI), deleting or deleted (a failure or a cancellation: its message says
 * which), else in progress.
 */
void
poller_from_import_task(const struct aws_import_task *t,
    struct poller_status *out)
{
	status_clear(out);
	snprintf(out->aws_status, sizeof out->aws_status, "%s", t->status);
	snprintf(out->message, sizeof out->message, "%s", t->status_message);
	snprintf(out->image_id, sizeof out->image_id, "%s", t->image_id);
	out->progress = progress_of(t->progress);
	if (strcmp(t->status, "completed") == 0) {
		out->state = PS_COMPLETED;
		out->progress = 100;
	} else if (strcmp(t->status, "deleted") == 0 ||
	    strcmp(t->status, "deleting") == 0)
		out->state = PS_DELETED;
}

/*
 * The row's new status from a conversion task: completed (its instance,
 * or for a volume import the volume in the message), cancelling or
 * cancelled, else in progress; the progress is the share of the image
 * converted.
 */
void
poller_from_conversion_task(const struct aws_conversion_task *t,
    struct poller_status *out)
{
	status_clear(out);
	snprintf(out->aws_status, sizeof out->aws_status, "%s", t->state);
	snprintf(out->message, sizeof out->message, "%s", t->status_message);
	snprintf(out->instance_id, sizeof out->instance_id, "%s",
	    t->instance_id);
	if (t->bytes_converted >= 0 && t->image_size > 0)
		out->progress = t->bytes_converted >= t->image_size ? 100 :
		    (int)(t->bytes_converted * 100 / t->image_size);
	if (strcmp(t->state, "completed") == 0) {
		out->state = PS_COMPLETED;
		out->progress = 100;
		if (!t->instance_id[0] && t->volume_id[0])
			snprintf(out->message, sizeof out->message, "Volume %s",
			    t->volume_id);
	} else if (strcmp(t->state, "cancelled") == 0 ||
	    strcmp(t->state, "cancelling") == 0)
		out->state = PS_DELETED;
}

/* 1 when a and b differ in anything a row shows. */
int
poller_status_differs(const struct poller_status *a,
    const struct poller_status *b)
{
	return a->state != b->state || a->progress != b->progress ||
	    strcmp(a->aws_status, b->aws_status) != 0 ||
	    strcmp(a->message, b->message) != 0 ||
	    strcmp(a->image_id, b->image_id) != 0 ||
	    strcmp(a->instance_id, b->instance_id) != 0 ||
	    strcmp(a->instance_state, b->instance_state) != 0;
}

/* "less than a minute ago", "25 minutes ago", "3 hours ago", "2 days ago". */
void
poller_age_words(long seconds, char *out, size_t outlen)
{
	long n;
	const char *unit;

	if (seconds < 60) {
		snprintf(out, outlen, "less than a minute ago");
		return;
	}
	if (seconds < 60 * 60) {
		n = seconds / 60;
		unit = "minute";
	} else if (seconds < 48 * 60 * 60) {
		n = seconds / (60 * 60);
		unit = "hour";
	} else {
		n = seconds / (24 * 60 * 60);
		unit = "day";
	}
	snprintf(out, outlen, "%ld %s%s ago", n, unit, n == 1 ? "" : "s");
}

/* The disk format s names (any case) as ImportImage spells it, or NULL. */
const char *
poller_format(const char *s)
{
	static const char *const formats[] = { "VMDK", "OVA", "VHD", "RAW" };

	for (size_t i = 0; s && i < sizeof formats / sizeof formats[0]; i++)
		if (strcasecmp(s, formats[i]) == 0)
			return formats[i];
	return NULL;
}

/* 1 when message names task id as a whole word ('import-ami-...'). */
int
poller_task_named(const char *message, const char *id)
{
	size_t n = strlen(id);

	if (n == 0)
		return 0;
	for (const char *p = message; (p = strstr(p, id)) != NULL; p++) {
		unsigned char before = p == message ? ' ' :
		    (unsigned char)p[-1], after = (unsigned char)p[n];
		if (!isalnum(before) && before != '-' && !isalnum(after) &&
		    after != '-')
			return 1;
	}
	return 0;
}

/* 1 when s is 1..max bytes of UTF-8 text without control characters. */
static int
text_ok(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > max || !util_utf8_valid(s, n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || (c == 0xc2 && i + 1 < n &&
		    (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f))
			return 0;
	}
	return 1;
}

/* ---- where the poller reaches AWS ---- */

/*
 * Fill c with the registration's region, keys and outbound options (the
 * proxy, the CA bundle), for a job (retries timeouts too) or a page.
 * Returns 0 (free with poller_conf_free), CONN_ENOTFOUND when the
 * connector is not registered, or an error.
 */
int
poller_conf_load(struct poller_conf *c, int job)
{
	int rc;

	memset(c, 0, sizeof *c);
	if (!reg_registered())
		return CONN_ENOTFOUND;
	if (reg_value(REG_AWS_REGION, 0, c->region, sizeof c->region) != 0 ||
	    reg_value(REG_AWS_KEY_ID, 0, c->key_id, sizeof c->key_id) != 0 ||
	    !c->region[0] || !c->key_id[0]) {
		log_err("poller: the registration has no AWS region or key");
		return CONN_ENOTFOUND;
	}
	if ((rc = reg_secret(REG_AWS_SECRET, 0, &c->secret)) != 0) {
		log_err("poller: the AWS secret key cannot be read (%d)", rc);
		return rc == CONN_ENOTFOUND ? CONN_EINVAL : rc;
	}
	rc = reg_secret(REG_AWS_TOKEN, 0, &c->token);
	if (rc != 0 && rc != CONN_ENOTFOUND) {
		poller_conf_free(c);
		return rc;
	}
	if ((rc = reg_net_load(&c->net, 0, 1)) != 0) {
		poller_conf_free(c);
		return rc;
	}
	c->retry.timeouts = job;
	return 0;
}

/* Wipe and free what poller_conf_load kept. */
void
poller_conf_free(struct poller_conf *c)
{
	buf_free(&c->secret);	/* wipes */
	buf_free(&c->token);
	reg_net_wipe(&c->net);
	util_wipe(c->key_id, sizeof c->key_id);
}

/* The AWS clients of one poll or one page action: one per region. */
struct clients {
	struct {
		char region[32];
		struct aws a;
	} c[MAX_REGIONS];
	int n;
};

/*
 * The client of region (made on first use, then reused: one connection
 * per region) into *out.  Returns 0, CONN_EINVAL for a region the client
 * refuses, CONN_ETOOBIG past MAX_REGIONS, or an error.
 */
static int
client_for(struct clients *cs, const struct poller_conf *conf,
    const char *region, struct aws **out)
{
	struct aws *a;
	int rc;

	for (int i = 0; i < cs->n; i++)
		if (strcmp(cs->c[i].region, region) == 0) {
			*out = &cs->c[i].a;
			return 0;
		}
	if (cs->n >= MAX_REGIONS)
		return CONN_ETOOBIG;
	a = &cs->c[cs->n].a;
	if ((rc = aws_init(a, region, NULL, &conf->net.opts)) != 0) {
		aws_free(a);
		return rc;
	}
	a->retry = conf->retry;
	if ((rc = aws_set_credentials(a, conf->key_id, conf->secret.data ?
	    conf->secret.data : "", conf->token.len ? conf->token.data :
	    NULL)) != 0) {
		log_err("poller: the stored AWS keys are not usable (%d)", rc);
		aws_free(a);
		return rc;
	}
	snprintf(cs->c[cs->n].region, sizeof cs->c[cs->n].region, "%s", region);
	cs->n++;
	*out = a;
	return 0;
}

static void
clients_free(struct clients *cs)
{
	for (int i = 0; i < cs->n; i++)
		aws_free(&cs->c[i].a);
	cs->n = 0;
}

/*
 * Say in out, in the administrator's words, why AWS could not be read in
 * region, and what to do (one sentence without its final period: the job
 * runner and the pages end it).
 */
static void
explain(const struct aws_error *e, const char *region, char *out,
    size_t outlen)
{
	struct enroll_result r;
	const char *todo = "";
	size_t n;

	memset(&r, 0, sizeof r);
	if (e->kind == AWS_E_SERVICE && e->code == AWS_C_AUTH_FAILURE)
		snprintf(r.msg, sizeof r.msg, "AWS refused the connector's "
		    "keys: they are not known there, or were revoked");
	else
		enroll_explain_aws(e, "AWS", NULL, &r);
	n = strlen(r.msg);
	while (n > 0 && (r.msg[n - 1] == '.' || r.msg[n - 1] == ' '))
		r.msg[--n] = '\0';
	/* A network failure's words already say what to check. */
	if (e->kind == AWS_E_SERVICE && (e->code == AWS_C_SIGNATURE ||
	    e->code == AWS_C_INVALID_TOKEN || e->code == AWS_C_AUTH_FAILURE ||
	    e->code == AWS_C_EXPIRED_TOKEN || e->code == AWS_C_ACCESS_DENIED))
		todo = "; update the AWS keys (Dashboard, Update the "
		    "registration)";
	else if (e->kind == AWS_E_SERVICE && e->code == AWS_C_THROTTLING)
		todo = "; AWS asked the connector to slow down, and the next "
		    "poll tries again";
	snprintf(out, outlen, "%s (%s)%s", r.msg, region, todo);
}

/* ---- a poll ---- */

/* A row in progress and what AWS says of it now. */
struct task {
	long long id;
	char task_id[64];
	char region[32];
	int conversion;
	struct poller_status old, now;
	int seen;		/* AWS described it */
	int missing;		/* AWS does not know it */
	time_t seen_at;		/* last seen by AWS, or started, tracked */
};

struct tasks {
	struct task *t;
	size_t n, cap;
};

/* The text of column i of st into out ("" for NULL). */
static void
col_text(sqlite3_stmt *st, int i, char *out, size_t outlen)
{
	const char *v = (const char *)sqlite3_column_text(st, i);

	snprintf(out, outlen, "%s", v ? v : "");
}

/* Read every row in progress into ts (ordered by region, kind, task id). */
static int
tasks_load(struct tasks *ts)
{
	sqlite3_stmt *st = db_stmt(DB_VMS_ACTIVE);
	int step;

	if (st == NULL)
		return CONN_EDB;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct task *t;
		if (ts->n == ts->cap) {
			size_t cap = ts->cap ? ts->cap * 2 : 256;
			struct task *grown = realloc(ts->t, cap * sizeof *grown);
			if (grown == NULL) {
				sqlite3_reset(st);
				return CONN_ENOMEM;
			}
			ts->t = grown;
			ts->cap = cap;
		}
		t = &ts->t[ts->n++];
		memset(t, 0, sizeof *t);
		t->id = sqlite3_column_int64(st, 0);
		col_text(st, 1, t->task_id, sizeof t->task_id);
		col_text(st, 2, t->region, sizeof t->region);
		t->conversion = strcmp((const char *)sqlite3_column_text(st, 3),
		    "conversion") == 0;
		t->old.state = PS_ACTIVE;
		col_text(st, 4, t->old.aws_status, sizeof t->old.aws_status);
		t->old.progress = sqlite3_column_int(st, 5);
		col_text(st, 6, t->old.message, sizeof t->old.message);
		col_text(st, 7, t->old.image_id, sizeof t->old.image_id);
		col_text(st, 8, t->old.instance_id, sizeof t->old.instance_id);
		col_text(st, 9, t->old.instance_state,
		    sizeof t->old.instance_state);
		t->seen_at = (time_t)sqlite3_column_int64(st, 10);
		t->now = t->old;
	}
	sqlite3_reset(st);
	if (step != SQLITE_DONE) {
		log_err("poller: cannot read the migrations: %s",
		    sqlite3_errmsg(db_handle()));
		return CONN_EDB;
	}
	return 0;
}

/* A batch being described: its tasks, sorted by task id. */
struct batch {
	struct task **v;
	size_t n;
	long described;		/* answers matched to a task */
};

static int
by_task_id(const void *key, const void *elem)
{
	return strcmp(key, (*(struct task *const *)elem)->task_id);
}

/* The task of batch b with id, or NULL. */
static struct task *
batch_find(const struct batch *b, const char *id)
{
	struct task **p = bsearch(id, b->v, b->n, sizeof *b->v, by_task_id);

	return p ? *p : NULL;
}

static int
on_import_task(void *arg, const struct aws_import_task *it)
{
	struct batch *b = arg;
	struct task *t = batch_find(b, it->id);

	if (t == NULL || t->conversion)
		return 0;	/* not asked for: not ours to read */
	poller_from_import_task(it, &t->now);
	t->seen = 1;
	b->described++;
	return 0;
}

static int
on_conversion_task(void *arg, const struct aws_conversion_task *ct)
{
	struct batch *b = arg;
	struct task *t = batch_find(b, ct->id);

	if (t == NULL || !t->conversion)
		return 0;
	poller_from_conversion_task(ct, &t->now);
	t->seen = 1;
	b->described++;
	return 0;
}

static int
task_cmp(const void *x, const void *y)
{
	return strcmp((*(struct task *const *)x)->task_id,
	    (*(struct task *const *)y)->task_id);
}

/*
 * Describe the tasks v[0..n) (one kind, at most AWS_MAX_IDS) with every
 * page of the answer.  Tasks the answers leave out, and the one AWS says
 * it does not know, are marked missing: a "not found" answer names the
 * unknown task, else the batch is halved until it is found.  Returns 0 or
 * an error code with err filled.
 */
static int
describe(struct aws *a, struct task **v, size_t n, int conversion,
    struct aws_error *err)
{
	const char *ids[AWS_MAX_IDS];
	struct batch b = { v, n, 0 };
	int rc;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof *v, task_cmp);
	for (size_t i = 0; i < n; i++)
		ids[i] = v[i]->task_id;
	rc = conversion ? aws_describe_conversion_tasks(a, ids, n, 0,
	    on_conversion_task, NULL, &b, err) :
	    aws_describe_import_image_tasks(a, ids, n, 0, on_import_task, NULL,
	    &b, err);
	if (rc == 0) {
		for (size_t i = 0; i < n; i++)
			if (!v[i]->seen)
				v[i]->missing = 1;
		return 0;
	}
	if (rc != CONN_ENOTFOUND)
		return rc;
	if (n == 1) {
		v[0]->missing = 1;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (poller_task_named(err->message, v[i]->task_id)) {
			struct task *gone = v[i];
			log_info("poller: AWS does not know task %s",
			    gone->task_id);
			gone->missing = 1;
			v[i] = v[n - 1];
			v[n - 1] = gone;
			return describe(a, v, n - 1, conversion, err);
		}
	if ((rc = describe(a, v, n / 2, conversion, err)) != 0)
		return rc;
	return describe(a, v + n / 2, n - n / 2, conversion, err);
}

static int
on_instance(void *arg, const struct aws_instance *in)
{
	struct batch *b = arg;

	for (size_t i = 0; i < b->n; i++)
		if (strcmp(b->v[i]->now.instance_id, in->id) == 0) {
			snprintf(b->v[i]->now.instance_state,
			    sizeof b->v[i]->now.instance_state, "%s",
			    in->state[0] ? in->state : "unknown");
			b->described++;
		}
	return 0;
}

/*
 * The state of the instances of v[0..n) (at most AWS_MAX_IDS), the result
 * of conversions that completed; one AWS does not know is "not found".
 * Returns 0 or an error code with err filled.
 */
static int
instances(struct aws *a, struct task **v, size_t n, struct aws_error *err)
{
	const char *ids[AWS_MAX_IDS];
	struct batch b = { v, n, 0 };
	int rc;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		ids[i] = v[i]->now.instance_id;
	rc = aws_describe_instances(a, ids, n, 0, on_instance, NULL, &b, err);
	if (rc != CONN_ENOTFOUND)
		return rc;
	if (n == 1) {
		snprintf(v[0]->now.instance_state,
		    sizeof v[0]->now.instance_state, "not found");
		return 0;
	}
	if ((rc = instances(a, v, n / 2, err)) != 0)
		return rc;
	return instances(a, v + n / 2, n - n / 2, err);
}

/*
 * Read from AWS the tasks t[0..n) of one region (its client a): the image
 * imports, the conversions, then the instances of conversions that
 * completed, AWS_MAX_IDS a call.  Returns 0 or an error code with err
 * filled.
 */
static int
collect_region(struct aws *a, struct task *t, size_t n,
    struct aws_error *err)
{
	struct task *v[AWS_MAX_IDS];
	size_t k;
	int rc;

	for (int conversion = 0; conversion <= 1; conversion++) {
		k = 0;
		for (size_t i = 0; i < n; i++) {
			if (t[i].conversion != conversion)
				continue;
			v[k++] = &t[i];
			if (k == AWS_MAX_IDS) {
				if ((rc = describe(a, v, k, conversion,
				    err)) != 0)
					return rc;
				k = 0;
			}
		}
		if ((rc = describe(a, v, k, conversion, err)) != 0)
			return rc;
	}
	k = 0;
	for (size_t i = 0; i < n; i++) {
		if (!t[i].seen || t[i].now.state != PS_COMPLETED ||
		    !t[i].now.instance_id[0])
			continue;
		v[k++] = &t[i];
		if (k == AWS_MAX_IDS) {
			if ((rc = instances(a, v, k, err)) != 0)
				return rc;
			k = 0;
		}
	}
	return instances(a, v, k, err);
}

/*
 * Read every task of ts from AWS, region by region (ts is ordered by
 * region).  Returns 0, or an error code with why saying what failed.
 */
static int
collect(const struct poller_conf *conf, struct clients *cs, struct tasks *ts,
    char *why, size_t whylen)
{
	struct aws_error err;
	struct aws *a;
	size_t i = 0, j;
	int rc;

	while (i < ts->n) {
		for (j = i + 1; j < ts->n &&
		    strcmp(ts->t[j].region, ts->t[i].region) == 0; j++)
			;
		if ((rc = client_for(cs, conf, ts->t[i].region, &a)) != 0) {
			snprintf(why, whylen, "the imports in %s cannot be "
			    "read: the region or the stored AWS keys are not "
			    "usable", ts->t[i].region);
			return rc;
		}
		memset(&err, 0, sizeof err);
		if ((rc = collect_region(a, &ts->t[i], j - i, &err)) != 0) {
			explain(&err, ts->t[i].region, why, whylen);
			log_err("poller: AWS could not be read in %s: %s",
			    ts->t[i].region, why);
			return rc;
		}
		i = j;
	}
	return 0;
}

/* Bind s as text to parameter i of st, or NULL when s is "". */
static void
bind_opt(sqlite3_stmt *st, int i, const char *s)
{
	if (s[0])
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

/*
 * Write what the poll found, and its time, in one transaction; count in n
 * what changed.  Returns 0, or an error (nothing written).
 */
static int
commit(struct tasks *ts, time_t now, struct poller_counts *n)
{
	struct poller_counts c = { 0 };
	sqlite3_stmt *st;
	char at[32];
	int rc;

	if ((rc = db_begin()) != 0)
		return rc;
	for (size_t i = 0; i < ts->n; i++) {
		struct task *t = &ts->t[i];
		int changed;

		if (t->missing && now - t->seen_at < POLLER_MISSING_AFTER)
			/* Not known yet, or no longer: not seen this time. */
			continue;
		if (t->missing) {
			t->now = t->old;
			t->now.state = PS_MISSING;
		} else if (!t->seen)
			continue;
		changed = poller_status_differs(&t->old, &t->now);
		c.checked++;
		c.changed += changed;
		c.completed += t->now.state == PS_COMPLETED;
		c.failed += t->now.state == PS_DELETED ||
		    t->now.state == PS_MISSING;
		if ((st = db_stmt(DB_VMS_POLLED)) == NULL) {
			rc = CONN_EDB;
			goto out;
		}
		sqlite3_bind_int64(st, 1, t->id);
		sqlite3_bind_text(st, 2, poller_state_name(t->now.state), -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(st, 3, t->now.aws_status, -1, SQLITE_STATIC);
		if (t->now.progress >= 0)
			sqlite3_bind_int(st, 4, t->now.progress);
		sqlite3_bind_text(st, 5, t->now.message, -1, SQLITE_STATIC);
		bind_opt(st, 6, t->now.image_id);
		bind_opt(st, 7, t->now.instance_id);
		sqlite3_bind_text(st, 8, t->now.instance_state, -1,
		    SQLITE_STATIC);
		if (t->seen)
			sqlite3_bind_int64(st, 9, (sqlite3_int64)now);
		sqlite3_bind_int(st, 10, changed);
		sqlite3_bind_int64(st, 11, (sqlite3_int64)now);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE) {
			log_err("poller: cannot update migration %lld: %s",
			    t->id, sqlite3_errmsg(db_handle()));
			rc = CONN_EDB;
			goto out;
		}
	}
	snprintf(at, sizeof at, "%lld", (long long)now);
	rc = db_setting_set(POLLER_POLLED_AT, at);
out:
	if ((rc = db_end(rc)) == 0) {
		n->checked += c.checked;
		n->changed += c.changed;
		n->completed += c.completed;
		n->failed += c.failed;
	} else
		log_err("poller: the poll's changes are not written");
	return rc;
}

/* ---- starting imports ---- */

/* A queued import, as ImportImage needs it. */
struct start {
	long long id;
	char region[32];
	char bucket[64];
	char key[1025];
	char format[8];
	char description[256];
	char token[65];
	int starting;		/* a slot was taken before (a killed start) */
};

/* What became of a start. */
enum started {
	ST_STARTED,		/* AWS has the task: the row is active */
	ST_LIMIT,		/* AWS's limit: back in the queue */
	ST_UNREACHED,		/* AWS not reached or not able: back */
	ST_DENIED,		/* AWS refused the keys: back */
	ST_REFUSED,		/* AWS refused the import itself */
	ST_LOCAL,		/* a local failure; the row stays starting */
};

/* Step st (bound by the caller) for a row update; CONN_EDB on failure. */
static int
step_done(sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		log_err("poller: cannot %s: %s", what,
		    sqlite3_errmsg(db_handle()));
		return CONN_EDB;
	}
	return 0;
}

/* Put row id back in the queue (or mark it failed) with message msg. */
static int
row_back(long long id, enum db_stmt_id which, const char *msg)
{
	sqlite3_stmt *st = db_stmt(which);

	if (st == NULL)
		return CONN_EDB;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, msg, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)util_now());
	return step_done(st, "put an import back");
}

/*
 * Send ImportImage for s (its slot is taken: the row is starting) and
 * record the outcome in its row.  The task id goes to task_id; why AWS did
 * not start it to why (a sentence without its final period).
 */
static enum started
start_one(struct aws *a, const struct start *s, char *task_id, size_t idlen,
    char *why, size_t whylen)
{
	struct aws_import_image in = { 0 };
	struct aws_error e, *err = &e;
	sqlite3_stmt *st;
	char msg[700];
	int rc;

	in.format = s->format;
	in.bucket = s->bucket;
	in.key = s->key;
	in.description = s->description[0] ? s->description : NULL;
	in.client_token = s->token;
	memset(err, 0, sizeof *err);
	rc = aws_import_image(a, &in, task_id, idlen, err);
	if (rc == 0) {
		if ((st = db_stmt(DB_VMS_STARTED)) == NULL)
			return ST_LOCAL;
		sqlite3_bind_int64(st, 1, s->id);
		sqlite3_bind_text(st, 2, task_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, "active", -1, SQLITE_STATIC);
		sqlite3_bind_null(st, 4);
		sqlite3_bind_text(st, 5, "", -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, (sqlite3_int64)util_now());
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc == SQLITE_CONSTRAINT) {
			/* The task is tracked already, by a row of its own. */
			snprintf(why, whylen, "AWS started it as task %s, which "
			    "another row of the list already tracks", task_id);
			snprintf(msg, sizeof msg, "%s.", why);
			row_back(s->id, DB_VMS_START_FAILED, msg);
			return ST_REFUSED;
		}
		if (rc != SQLITE_DONE) {
			log_err("poller: cannot record the start of import %lld: "
			    "%s", s->id, sqlite3_errmsg(db_handle()));
			return ST_LOCAL;
		}
		log_info("poller: import %lld started as task %s in %s", s->id,
		    task_id, s->region);
		return ST_STARTED;
	}
	if (rc == CONN_ECONFLICT) {
		snprintf(why, whylen, "AWS allows no more imports in progress in "
		    "%s for now", s->region);
		snprintf(msg, sizeof msg, "%s.", why);
		row_back(s->id, DB_VMS_REQUEUE, msg);
		return ST_LIMIT;
	}
	if (rc == CONN_EINVAL && err->kind == AWS_E_NONE)
		/* Refused before sending: a row the checks let through. */
		snprintf(why, whylen, "the import's bucket, key or format is "
		    "not one AWS takes");
	else
		explain(err, s->region, why, whylen);
	snprintf(msg, sizeof msg, "%s.", why);
	msg[0] = (char)toupper((unsigned char)msg[0]);
	if (rc == CONN_EINVAL) {
		row_back(s->id, DB_VMS_START_FAILED, msg);
		return ST_REFUSED;
	}
	row_back(s->id, DB_VMS_REQUEUE, msg);
	return rc == CONN_EDENIED ? ST_DENIED : ST_UNREACHED;
}

/* Take a slot in region for queued row id: 1 when taken, 0 when the
 * region is full (or the row no longer queued), or an error. */
static int
claim(long long id, const char *region)
{
	sqlite3_stmt *st = db_stmt(DB_VMS_CLAIM);
	int rc;

	if (st == NULL)
		return CONN_EDB;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, region, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, POLLER_SLOTS);
	if ((rc = step_done(st, "take a slot")) != 0)
		return rc;
	return sqlite3_changes(db_handle()) == 1;
}

/* Read the imports to start (a killed start's first) into *out. */
static int
starts_load(struct start **out, size_t *nout)
{
	sqlite3_stmt *st = db_stmt(DB_VMS_TO_START);
	struct start *v = NULL, *grown;
	size_t n = 0, cap = 0;
	int step;

	*out = NULL;
	*nout = 0;
	if (st == NULL)
		return CONN_EDB;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((grown = realloc(v, cap * sizeof *v)) == NULL) {
				free(v);
				sqlite3_reset(st);
				return CONN_ENOMEM;
			}
			v = grown;
		}
		memset(&v[n], 0, sizeof v[n]);
		v[n].id = sqlite3_column_int64(st, 0);
		col_text(st, 1, v[n].region, sizeof v[n].region);
		col_text(st, 2, v[n].bucket, sizeof v[n].bucket);
		col_text(st, 3, v[n].key, sizeof v[n].key);
		col_text(st, 4, v[n].format, sizeof v[n].format);
		col_text(st, 5, v[n].description, sizeof v[n].description);
		col_text(st, 6, v[n].token, sizeof v[n].token);
		v[n].starting = strcmp((const char *)sqlite3_column_text(st, 7),
		    "starting") == 0;
		n++;
	}
	sqlite3_reset(st);
	if (step != SQLITE_DONE) {
		free(v);
		return CONN_EDB;
	}
	*out = v;
	*nout = n;
	return 0;
}

/*
 * Start the queued imports (and those a killed start left) while their
 * region has a slot; a region where AWS refused for its limit, or could
 * not be reached, is left for the next poll.  Counts in n.  Returns 0, or
 * an error with why saying what failed.
 */
static int
start_queued(const struct poller_conf *conf, struct clients *cs,
    struct poller_counts *n, char *why, size_t whylen)
{
	char full[MAX_REGIONS][32], task_id[64], reason[600];
	struct start *v;
	struct aws *a;
	size_t nv, nfull = 0;
	int rc, failed = 0;

	if ((rc = starts_load(&v, &nv)) != 0)
		return rc;
	for (size_t i = 0; i < nv; i++) {
		size_t f;
		for (f = 0; f < nfull && strcmp(full[f], v[i].region); f++)
			;
		if (f < nfull)
			continue;
		if (!v[i].starting && (rc = claim(v[i].id, v[i].region)) != 1) {
			if (rc < 0)
				goto out;
			if (nfull < MAX_REGIONS)
				snprintf(full[nfull++], sizeof full[0], "%s",
				    v[i].region);
			continue;
		}
		if (client_for(cs, conf, v[i].region, &a) != 0) {
			row_back(v[i].id, DB_VMS_REQUEUE, "The connector "
			    "cannot reach AWS in this region.");
			snprintf(why, whylen, "queued imports in %s cannot be "
			    "started: the region or the stored AWS keys are "
			    "not usable", v[i].region);
			rc = CONN_EIO;
			goto out;
		}
		switch (start_one(a, &v[i], task_id, sizeof task_id, reason,
		    sizeof reason)) {
		case ST_STARTED:
			n->started++;
			break;
		case ST_REFUSED:
			n->failed++;
			break;
		case ST_LIMIT:
			if (nfull < MAX_REGIONS)
				snprintf(full[nfull++], sizeof full[0], "%s",
				    v[i].region);
			break;
		case ST_UNREACHED:
		case ST_DENIED:
			if (!failed)
				snprintf(why, whylen, "queued imports could not "
				    "be started: %s", reason);
			failed = 1;
			if (nfull < MAX_REGIONS)
				snprintf(full[nfull++], sizeof full[0], "%s",
				    v[i].region);
			break;
		case ST_LOCAL:
			rc = CONN_EDB;
			goto out;
		}
	}
	rc = failed ? CONN_EIO : 0;
out:
	free(v);
	return rc;
}

/* The number of imports waiting for a slot, or an error. */
static long
queued_count(void)
{
	sqlite3_stmt *st = db_stmt(DB_VMS_QUEUED);
	long n = CONN_EDB;

	if (st == NULL)
		return CONN_EDB;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

/*
 * One poll with c (see the top of this file): read every row in progress
 * from AWS; with POLLER_WRITE write what changed in one transaction; with
 * POLLER_START then start queued imports.  Without POLLER_WRITE only AWS
 * is read (the benchmark's baseline).  n is filled (zeroed first).
 * Returns 0, or an error code with why saying what failed and why, in the
 * administrator's words (nothing of the poll written).
 */
int
poller_poll(struct poller_conf *c, unsigned flags, struct poller_counts *n,
    char *why, size_t whylen)
{
	struct tasks ts = { NULL, 0, 0 };
	struct clients *cs;
	long q;
	int rc;

	memset(n, 0, sizeof *n);
	if (whylen)
		why[0] = '\0';
	if ((cs = calloc(1, sizeof *cs)) == NULL)
		return CONN_ENOMEM;
	if ((rc = tasks_load(&ts)) != 0) {
		snprintf(why, whylen, "the migrations could not be read from "
		    "the database %s", paths_get(PATH_DB));
		goto out;
	}
	rc = collect(c, cs, &ts, why, whylen);
	if (rc == 0 && !(flags & POLLER_WRITE)) {
		for (size_t i = 0; i < ts.n; i++)
			n->checked += ts.t[i].seen || ts.t[i].missing;
		goto out;
	}
	if (rc == 0 && (rc = commit(&ts, util_now(), n)) != 0)
		snprintf(why, whylen, "what AWS said could not be written to "
		    "the database %s", paths_get(PATH_DB));
	/*
	 * A poll that failed (one region not reached) still lets the queue
	 * move: rows it could not update count as in progress, so the slots
	 * are over-counted, never under.  Imports AWS did not start are news
	 * and the rows' messages, not the run's failure.
	 */
	if ((flags & (POLLER_WRITE | POLLER_START)) ==
	    (POLLER_WRITE | POLLER_START)) {
		char sw[700];
		int src;

		sw[0] = '\0';
		src = start_queued(c, cs, n, sw, sizeof sw);
		if (src == CONN_EIO)
			util_copy_text(n->not_started, sizeof n->not_started,
			    sw[0] ? sw : "queued imports could not be started");
		else if (src != 0 && rc == 0) {
			rc = src;
			if (sw[0] && whylen)
				util_copy_text(why, whylen, sw);
			else
				snprintf(why, whylen, "queued imports could "
				    "not be started: the database %s could not "
				    "be updated", paths_get(PATH_DB));
		}
	}
	if ((flags & POLLER_WRITE) && (q = queued_count()) >= 0)
		n->queued = q;
out:
	clients_free(cs);
	free(cs);
	free(ts.t);
	return rc;
}

/* Append ", N what" (or the first "N what") to line when n > 0. */
static void
say(char *line, size_t len, long n, const char *one, const char *many)
{
	size_t used = strlen(line);

	if (n <= 0 || used >= len)
		return;
	snprintf(line + used, len - used, "%s%ld %s",
	    used > strlen("poller: ") ? ", " : "", n, n == 1 ? one : many);
}

/* Append ", text" (or the first "text") to line. */
static void
say_text(char *line, size_t len, const char *text)
{
	size_t used = strlen(line);

	if (used > strlen("poller: ") && used + 2 < len) {
		memcpy(line + used, ", ", 3);
		used += 2;
	}
	if (used + 1 < len)
		util_copy_text(line + used, len - used, text);
}

/*
 * The job (cron/connector-poller): a poll with the registration's AWS
 * account that writes and starts queued imports.  Counted in rep; rep's
 * line is news (imports that finished, failed or started); a connector not
 * registered is noted and nothing changes.  0 or an error with rep->error.
 */
int
poller_run(struct job_report *rep)
{
	struct poller_conf conf;
	struct poller_counts n = { 0 };
	int rc;

	rc = poller_conf_load(&conf, 1);
	if (rc == CONN_ENOTFOUND) {
		snprintf(rep->note, sizeof rep->note, "not registered: there "
		    "is nothing to poll until the connector is registered");
		log_info("poller: not registered; nothing to poll");
		return 0;
	}
	if (rc != 0) {
		snprintf(rep->error, sizeof rep->error, "the registration's "
		    "AWS keys cannot be read; check that the encryption key "
		    "file is in %s", paths_get(PATH_KEYS));
		return rc;
	}
	rc = poller_poll(&conf, POLLER_WRITE | POLLER_START, &n, rep->error,
	    sizeof rep->error);
	poller_conf_free(&conf);
	job_count(rep, "checked", n.checked);
	job_count(rep, "changed", n.changed);
	job_count(rep, "completed", n.completed);
	job_count(rep, "failed", n.failed);
	job_count(rep, "started", n.started);
	job_count(rep, "queued", n.queued);
	snprintf(rep->line, sizeof rep->line, "poller: ");
	say(rep->line, sizeof rep->line, n.completed, "import completed",
	    "imports completed");
	say(rep->line, sizeof rep->line, n.failed, "import failed or deleted "
	    "in AWS", "imports failed or deleted in AWS");
	say(rep->line, sizeof rep->line, n.started, "queued import started",
	    "queued imports started");
	if (n.not_started[0]) {
		/* AWS did not start queued imports: news, and the run's note;
		 * the poll itself is what fails a run. */
		snprintf(rep->note, sizeof rep->note, "%s", n.not_started);
		say_text(rep->line, sizeof rep->line, n.not_started);
	}
	if (strcmp(rep->line, "poller: ") == 0)
		rep->line[0] = '\0';
	if (rc == 0)
		log_info("poller: %ld tasks checked, %ld changed, %ld started, "
		    "%ld queued", n.checked, n.changed, n.started, n.queued);
	return rc;
}

/* ---- the page's actions ---- */

static void
result_clear(struct poller_result *r)
{
	memset(r, 0, sizeof *r);
	r->field = POLLER_F_FORM;
}

/* Fill r with a refusal of field; returns CONN_EINVAL. */
static int
refuse(struct poller_result *r, enum poller_field field, const char *audit,
    const char *msg)
{
	r->field = field;
	r->audit = audit;
	snprintf(r->msg, sizeof r->msg, "%s", msg);
	return CONN_EINVAL;
}

/* The region to use: region, or the registered one when it is empty;
 * into out.  0 or CONN_EINVAL (r filled). */
static int
pick_region(const char *region, const struct poller_conf *conf, char *out,
    size_t outlen, struct poller_result *r)
{
	if (region == NULL || !region[0])
		region = conf->region;
	if (!reg_region_known(region))
		return refuse(r, POLLER_F_REGION, NULL, "Choose a region from the "
		    "list.");
	snprintf(out, outlen, "%s", region);
	return 0;
}

/* Load conf for a page action; CONN_EINVAL with r filled when the
 * connector is not registered. */
static int
page_conf(struct poller_conf *conf, struct poller_result *r)
{
	int rc = poller_conf_load(conf, 0);

	if (rc == CONN_ENOTFOUND)
		return refuse(r, POLLER_F_FORM, "import refused: not registered",
		    "The connector is not registered: imports run in the AWS "
		    "account it is registered with. Register the connector "
		    "first (Dashboard, Register the Connector).");
	return rc;
}

/*
 * Start importing in's image from S3 for its vCenter VM, or queue it when
 * POLLER_SLOTS imports are in progress in its region (AWS's own limit, or
 * AWS out of reach, queues it too: the poller starts it later with the
 * same client token).  On 0, r->msg is the notice to show (r->warning
 * when AWS could not be reached).  A refusal by AWS leaves nothing
 * tracked.
 */
int
poller_import(const struct poller_import *in, struct poller_result *r)
{
	struct poller_conf conf;
	struct clients *cs = NULL;
	struct start s;
	sqlite3_stmt *st;
	char reason[600];
	unsigned char rnd[16];
	const char *format;
	struct aws *a;
	long long used = 0;
	int rc, starting;

	result_clear(r);
	memset(&s, 0, sizeof s);
	if (!syntax_moref(in->vm_moref))
		return refuse(r, POLLER_F_VM_MOREF, NULL, "Enter the VM's managed "
		    "object id as vCenter shows it, such as vm-42.");
	if (!text_ok(in->vm_name, POLLER_NAME_MAX))
		return refuse(r, POLLER_F_VM_NAME, NULL, "Enter the VM's name as "
		    "vCenter shows it.");
	if (!syntax_bucket(in->bucket))
		return refuse(r, POLLER_F_BUCKET, NULL, "Enter the S3 bucket's name: "
		    "3 to 63 lower-case letters, digits, dots and dashes.");
	if (!text_ok(in->key, 1024) || !syntax_object_key(in->key))
		return refuse(r, POLLER_F_KEY, NULL, "Enter the object's key in the "
		    "bucket, such as images/web01.vmdk, without a leading / "
		    "and without . or .. parts.");
	if ((format = poller_format(in->format ? in->format : "VMDK")) == NULL)
		return refuse(r, POLLER_F_FORMAT, NULL, "Choose VMDK, OVA, VHD or "
		    "RAW.");
	if (in->description && in->description[0] &&
	    !text_ok(in->description, POLLER_DESCRIPTION_MAX))
		return refuse(r, POLLER_F_DESCRIPTION, NULL, "The description is one "
		    "line of at most 255 bytes.");
	if ((rc = page_conf(&conf, r)) != 0)
		return rc;
	if ((rc = pick_region(in->region, &conf, s.region, sizeof s.region,
	    r)) != 0)
		goto out;
	snprintf(s.bucket, sizeof s.bucket, "%s", in->bucket);
	snprintf(s.key, sizeof s.key, "%s", in->key);
	snprintf(s.format, sizeof s.format, "%s", format);
	snprintf(s.description, sizeof s.description, "%s",
	    in->description ? in->description : "");
	if ((rc = util_random(rnd, sizeof rnd)) != 0)
		goto out;
	util_hex(rnd, sizeof rnd, s.token);

	/* The count and the insert in one transaction: exact. */
	if ((rc = db_begin()) != 0)
		goto out;
	rc = CONN_EDB;
	if ((st = db_stmt(DB_VMS_SLOTS_USED)) == NULL) {
		db_rollback();
		goto out;
	}
	sqlite3_bind_text(st, 1, s.region, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		db_rollback();
		goto out;
	}
	used = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	starting = used < POLLER_SLOTS;
	if ((st = db_stmt(DB_VMS_INSERT)) == NULL) {
		db_rollback();
		goto out;
	}
	sqlite3_bind_text(st, 1, in->vm_moref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, in->vm_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, s.region, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, starting ? "starting" : "queued", -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 5, s.bucket, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, s.key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, s.format, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, s.description, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, s.token, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)util_now());
	rc = step_done(st, "record an import");
	s.id = sqlite3_last_insert_rowid(db_handle());
	if ((rc = db_end(rc)) != 0)
		goto out;
	if (!starting) {
		r->audit = "import queued: no slot";
		snprintf(r->msg, sizeof r->msg, "Import queued: %lld import%s "
		    "already in progress in %s; it starts when one "
		    "finishes.", used, used == 1 ? " is" : "s are", s.region);
		goto out;
	}
	/* The row is recorded from here: the poller starts what is left. */
	if ((cs = calloc(1, sizeof *cs)) == NULL ||
	    client_for(cs, &conf, s.region, &a) != 0) {
		row_back(s.id, DB_VMS_REQUEUE, "");
		r->audit = "import queued: not started";
		r->warning = 1;
		snprintf(r->msg, sizeof r->msg, "The import is queued; the "
		    "poller starts it within 5 minutes.");
		rc = 0;
		goto out;
	}
	switch (start_one(a, &s, r->task_id, sizeof r->task_id, reason,
	    sizeof reason)) {
	case ST_STARTED:
		r->audit = "import started";
		snprintf(r->msg, sizeof r->msg, "Import started.");
		break;
	case ST_LIMIT:
		r->audit = "import queued: AWS limit";
		snprintf(r->msg, sizeof r->msg, "Import queued: AWS allows no "
		    "more imports in progress in %s for now (imports started "
		    "outside the connector count too); it starts when one "
		    "finishes.", s.region);
		break;
	case ST_UNREACHED:
		r->audit = "import queued: AWS not reached";
		r->warning = 1;
		snprintf(r->msg, sizeof r->msg, "Import queued: %s. The poller "
		    "starts it when AWS answers.", reason);
		break;
	case ST_DENIED:
	case ST_REFUSED:
		/* Nothing was started: nothing stays tracked. */
		if ((st = db_stmt(DB_VMS_DROP_UNSTARTED)) != NULL) {
			sqlite3_bind_int64(st, 1, s.id);
			step_done(st, "drop a refused import");
		}
		r->field = POLLER_F_FORM;
		r->audit = "import refused by AWS";
		snprintf(r->msg, sizeof r->msg, "AWS did not start the import: "
		    "%s. Nothing was started.", reason);
		rc = CONN_EINVAL;
		break;
	case ST_LOCAL:
		/* The row stays starting: the poller sends the same client
		 * token again, and AWS answers with the same task. */
		r->audit = "import started: not recorded";
		r->warning = 1;
		snprintf(r->msg, sizeof r->msg, "AWS started the import as task "
		    "%s; the connector records it within 5 minutes — do not "
		    "start it again.", r->task_id);
		break;
	}
out:
	if (cs) {
		clients_free(cs);
		free(cs);
	}
	poller_conf_free(&conf);
	return rc;
}

/*
 * Track an import started elsewhere (ImportImage, ImportInstance or
 * ImportVolume task task_id in region, NULL or "": the registered one)
 * for the vCenter VM vm_moref / vm_name: AWS is asked for it first, and
 * the row starts as AWS describes it.  On 0, r->msg is the notice.
 */
int
poller_track(const char *task_id, const char *vm_moref, const char *vm_name,
    const char *region, struct poller_result *r)
{
	struct poller_conf conf;
	struct clients *cs = NULL;
	struct aws_error err;
	struct task t, *v[1] = { &t };
	enum syntax_task_kind kind = syntax_task_id(task_id);
	sqlite3_stmt *st;
	struct aws *a;
	time_t now;
	int rc;

	result_clear(r);
	memset(&t, 0, sizeof t);
	if (kind == SYNTAX_TASK_NONE)
		return refuse(r, POLLER_F_TASK_ID, NULL, "Enter the import task's id "
		    "as AWS shows it: import-ami-, import-i- or import-vol- "
		    "and 8 to 17 letters or digits.");
	if (!syntax_moref(vm_moref))
		return refuse(r, POLLER_F_VM_MOREF, NULL, "Enter the VM's managed "
		    "object id as vCenter shows it, such as vm-42.");
	if (!text_ok(vm_name, POLLER_NAME_MAX))
		return refuse(r, POLLER_F_VM_NAME, NULL, "Enter the VM's name as "
		    "vCenter shows it.");
	if ((st = db_stmt(DB_VMS_TASK_TRACKED)) == NULL)
		return CONN_EDB;
	sqlite3_bind_text(st, 1, task_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return refuse(r, POLLER_F_TASK_ID, "track refused: already tracked",
		    "This task is already in the list.");
	if (rc != SQLITE_DONE)
		return CONN_EDB;
	if ((rc = page_conf(&conf, r)) != 0)
		return rc;
	if ((rc = pick_region(region, &conf, t.region, sizeof t.region,
	    r)) != 0)
		goto out;
	snprintf(t.task_id, sizeof t.task_id, "%s", task_id);
	t.conversion = kind == SYNTAX_TASK_CONVERSION;
	status_clear(&t.old);
	t.now = t.old;
	if ((cs = calloc(1, sizeof *cs)) == NULL) {
		rc = CONN_ENOMEM;
		goto out;
	}
	if ((rc = client_for(cs, &conf, t.region, &a)) != 0)
		goto out;
	memset(&err, 0, sizeof err);
	if ((rc = collect_region(a, v[0], 1, &err)) != 0) {
		r->audit = "track failed: AWS not reached";
		snprintf(r->msg, sizeof r->msg, "The task could not be looked "
		    "up: ");
		explain(&err, t.region, r->msg + strlen(r->msg),
		    sizeof r->msg - strlen(r->msg));
		strncat(r->msg, ". Nothing was changed.",
		    sizeof r->msg - strlen(r->msg) - 1);
		rc = CONN_EINVAL;
		goto out;
	}
	if (t.missing) {
		snprintf(r->msg, sizeof r->msg, "AWS does not know task %s in "
		    "%s. Check the id and the region.", task_id, t.region);
		r->field = POLLER_F_TASK_ID;
		r->audit = "track refused: unknown task";
		rc = CONN_EINVAL;
		goto out;
	}
	now = util_now();
	/* A row of the task AWS did not know is replaced, with the insert. */
	if ((rc = db_begin()) != 0)
		goto out;
	if ((st = db_stmt(DB_VMS_DROP_MISSING)) == NULL ||
	    (sqlite3_bind_text(st, 1, task_id, -1, SQLITE_STATIC),
	    step_done(st, "replace a missing task's row")) != 0 ||
	    (st = db_stmt(DB_VMS_TRACK)) == NULL) {
		db_rollback();
		rc = CONN_EDB;
		goto out;
	}
	sqlite3_bind_text(st, 1, vm_moref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, vm_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, t.region, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, t.conversion ? "conversion" : "image", -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 5, task_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, poller_state_name(t.now.state), -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 7, t.now.aws_status, -1, SQLITE_STATIC);
	if (t.now.progress >= 0)
		sqlite3_bind_int(st, 8, t.now.progress);
	sqlite3_bind_text(st, 9, t.now.message, -1, SQLITE_STATIC);
	bind_opt(st, 10, t.now.image_id);
	bind_opt(st, 11, t.now.instance_id);
	sqlite3_bind_text(st, 12, t.now.instance_state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 13, (sqlite3_int64)now);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_CONSTRAINT) {
		db_rollback();
		rc = refuse(r, POLLER_F_TASK_ID, "track refused: already tracked",
		    "This task is already in the list.");
		goto out;
	}
	if (rc != SQLITE_DONE) {
		log_err("poller: cannot track task %s: %s", task_id,
		    sqlite3_errmsg(db_handle()));
		db_rollback();
		rc = CONN_EDB;
		goto out;
	}
	if ((rc = db_end(0)) != 0)
		goto out;
	snprintf(r->task_id, sizeof r->task_id, "%s", task_id);
	r->audit = "track import";
	if (poller_finished(t.now.state))
		snprintf(r->msg, sizeof r->msg, "Tracked. AWS reports the task "
		    "as %s: it has finished.", t.now.aws_status);
	else
		snprintf(r->msg, sizeof r->msg, "Tracked. AWS reports the task "
		    "as %s; the poller follows it from now on.",
		    t.now.aws_status[0] ? t.now.aws_status : "in progress");
out:
	if (cs) {
		clients_free(cs);
		free(cs);
	}
	poller_conf_free(&conf);
	return rc;
}

/* ---- the table, as the page shows it ---- */

/* The number of tracked imports into *n. */
int
poller_vms_count(long long *n)
{
	sqlite3_stmt *st = db_stmt(DB_VMS_COUNT);
	int rc;

	*n = 0;
	if (st == NULL)
		return CONN_EDB;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : CONN_EDB;
}

/*
 * Call cb for each of limit rows from offset in the order sort (desc:
 * descending; ties by id the same way).  Returns 0, cb's non-zero value,
 * CONN_EINVAL for a bad sort or limit, or CONN_EDB.
 */
int
poller_vms_page(enum poller_sort sort, int desc, long long offset, int limit,
    int (*cb)(void *arg, const struct poller_vm *vm), void *arg)
{
	struct poller_vm vm;
	sqlite3_stmt *st;
	int rc = 0, step, s;

	if ((unsigned)sort >= SORT__MAX || limit <= 0 || offset < 0)
		return CONN_EINVAL;
	if ((st = db_stmt((enum db_stmt_id)(DB_VMS_BY_NAME + 2 * sort +
	    (desc ? 1 : 0)))) == NULL)
		return CONN_EDB;
	sqlite3_bind_int(st, 1, limit);
	sqlite3_bind_int64(st, 2, offset);
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&vm, 0, sizeof vm);
		vm.id = sqlite3_column_int64(st, 0);
		col_text(st, 1, vm.vm_moref, sizeof vm.vm_moref);
		col_text(st, 2, vm.vm_name, sizeof vm.vm_name);
		col_text(st, 3, vm.region, sizeof vm.region);
		col_text(st, 4, vm.kind, sizeof vm.kind);
		col_text(st, 5, vm.task_id, sizeof vm.task_id);
		s = poller_state_parse((const char *)sqlite3_column_text(st,
		    6));
		vm.st.state = s < 0 ? PS_ACTIVE : (enum poller_state)s;
		col_text(st, 7, vm.st.aws_status, sizeof vm.st.aws_status);
		vm.st.progress = sqlite3_column_int(st, 8);
		col_text(st, 9, vm.st.message, sizeof vm.st.message);
		col_text(st, 10, vm.st.image_id, sizeof vm.st.image_id);
		col_text(st, 11, vm.st.instance_id, sizeof vm.st.instance_id);
		col_text(st, 12, vm.st.instance_state,
		    sizeof vm.st.instance_state);
		vm.first_seen = (time_t)sqlite3_column_int64(st, 13);
		vm.last_seen = (time_t)sqlite3_column_int64(st, 14);
		vm.last_change = (time_t)sqlite3_column_int64(st, 15);
		rc = cb(arg, &vm);
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = CONN_EDB;
	sqlite3_reset(st);
	return rc;
}

/*
 * How fresh the table is: the time of the last poll that wrote it, the
 * poller's last finished run (failed, and why) and whether one runs now;
 * stale when that run failed or the last poll is older than
 * POLLER_STALE_AFTER.  Returns 0 or CONN_EDB.
 */
int
poller_freshness(struct poller_freshness *f)
{
	struct buf b = { 0 };
	sqlite3_stmt *st;
	int step, row = 0;

	memset(f, 0, sizeof *f);
	f->now = util_now();
	f->registered = reg_registered();
	if (db_setting_get(POLLER_POLLED_AT, &b) == 0 && b.len)
		f->polled_at = (time_t)strtoll(b.data, NULL, 10);
	buf_free(&b);
	if ((st = db_stmt(DB_POLLER_RUNS)) == NULL)
		return CONN_EDB;
	sqlite3_bind_text(st, 1, POLLER_JOB, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *outcome = (const char *)sqlite3_column_text(st, 0);
		if (row++ == 0 && strcmp(outcome, "running") == 0) {
			f->running = 1;
			continue;
		}
		f->last_failed = strcmp(outcome, "failed") == 0;
		f->last_run_at = (time_t)sqlite3_column_int64(st, 1);
		col_text(st, 2, f->error, sizeof f->error);
		col_text(st, 3, f->note, sizeof f->note);
		break;
	}
	sqlite3_reset(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return CONN_EDB;
	f->stale = f->registered && (f->last_failed || (f->polled_at > 0 &&
	    f->now - f->polled_at > POLLER_STALE_AFTER));
	return 0;
}
