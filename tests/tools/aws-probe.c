/*
 * aws-probe — runs lib/aws calls in order on one client and prints the
 * outcome of each as one JSON object.  The tests use it to hold lib/aws to
 * the AWS double, and the benchmark to time paging.
 *
 *   aws-probe [--ca FILE] [--region R] [--endpoint URL] [--timeout-ms N]
 *             [--max-attempts N] [--backoff-ms N] [--page-size N]
 *             [--new-connection-per-page] [--retry-timeouts] [--body TEXT]
 *             [--format F] [--description D] [--role-name R]
 *             [--license-type L] [--platform P] [--client-token T]
 *             [STEP...]
 *
 * Credentials come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 * AWS_SESSION_TOKEN; --endpoint is the caller's setting for every service
 * (the environment's AWS_ENDPOINT_URL[_SERVICE] still win).  Steps:
 * identity, regions, tasks[:ID,...] (import image tasks, all or those
 * named), federation:NAME,
 * assume:ROLE_ARN|SESSION[|POLICY] (POLICY: a session policy, JSON),
 * put:BUCKET/KEY (the body is --body), temporary (use the credentials of
 * the last federation or assume step from now on), conversions[:ID,...]
 * (conversion tasks, all or those named), instances[:ID,...],
 * import:BUCKET/KEY
 * (ImportImage of that object with --format, VMDK when not given, and the
 * other import options; each one not given is not sent).  --page-size is
 * the page size of every paged step.  With no step it only
 * prints the endpoints.  A failed step does
 * not stop the later ones; the exit status is 1 when any failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "../../lib/core.h"
#include "../../lib/domain.h"
#include "probe.h"

struct opts {
	int page_size;
	int new_connection;
	const char *body;
	struct aws_import_image import;
};

struct tasks {
	json_t *ids;
	json_t *pages;
};

static int
region_cb(void *arg, const struct aws_region *r)
{
	return json_array_append_new(arg, json_string(r->name)) ? -100 : 0;
}

static int
task_cb(void *arg, const struct aws_import_task *t)
{
	struct tasks *ts = arg;

	return json_array_append_new(ts->ids, json_string(t->id)) ? -100 : 0;
}

static int
conversion_cb(void *arg, const struct aws_conversion_task *t)
{
	struct tasks *ts = arg;

	return json_array_append_new(ts->ids, json_pack("{s:s, s:s, s:s, "
	    "s:s, s:s, s:s, s:s, s:I, s:I}", "id", t->id, "state", t->state,
	    "status_message", t->status_message, "expiration", t->expiration,
	    "zone", t->zone, "volume_id", t->volume_id, "instance_id",
	    t->instance_id, "bytes_converted",
	    (json_int_t)t->bytes_converted, "image_size",
	    (json_int_t)t->image_size)) ? -100 : 0;
}

static int
instance_cb(void *arg, const struct aws_instance *i)
{
	struct tasks *ts = arg;

	return json_array_append_new(ts->ids, json_pack("{s:s, s:s, s:s, "
	    "s:s, s:s, s:s, s:s, s:s}", "id", i->id, "image_id", i->image_id,
	    "state", i->state, "type", i->type, "launch_time", i->launch_time,
	    "zone", i->zone, "private_ip", i->private_ip, "name", i->name)) ?
	    -100 : 0;
}

static int
page_cb(void *arg, int page, int count, int last)
{
	struct tasks *ts = arg;

	(void)page;
	(void)last;
	return json_array_append_new(ts->pages, json_integer(count)) ? -100 : 0;
}

/*
 * Every task, one page at a time, with a new client handle (so a new
 * connection) for every page.  Returns 0 or the failing call's code.
 */
static int
tasks_new_connections(struct aws *a, int page_size, struct tasks *ts,
    struct aws_error *err)
{
	static char token[4096], next[4096];
	int rc, count;

	token[0] = '\0';
	for (;;) {
		if ((rc = aws_reconnect(a)) != 0)
			return rc;
		rc = aws_describe_import_image_tasks_page(a, NULL, 0,
		    page_size, token, task_cb, ts, next, sizeof next, &count,
		    err);
		if (rc != 0)
			return rc;
		page_cb(ts, 0, count, !next[0]);
		if (!next[0] || strcmp(next, token) == 0)
			return 0;
		memcpy(token, next, sizeof token);
	}
}

/* The comma-separated ids of arg (NULL: none) into ids; their number
 * (one more than AWS_MAX_IDS when there are too many, which the call
 * refuses). */
static size_t
split_ids(char *arg, const char **ids)
{
	size_t n = 0;

	for (char *sep = arg; sep && n <= AWS_MAX_IDS; n++) {
		ids[n] = sep;
		if ((sep = strchr(sep, ',')) != NULL)
			*sep++ = '\0';
	}
	return n;
}

/* Run one step; returns its JSON result. */
static json_t *
step(struct aws *a, const struct opts *o, struct aws_credentials *temp,
    const char *spec)
{
	struct aws_error err;
	struct aws_identity id;
	struct tasks ts;
	struct aws_import_image imp;
	json_t *r = json_object(), *list;
	const char *ids[AWS_MAX_IDS + 1];
	char buf[4096], etag[128], task_id[128], *arg, *sep;
	double t0 = probe_now();
	size_t nids = 0;
	int rc;

	memset(&err, 0, sizeof err);
	if (strlen(spec) >= sizeof buf) {
		json_object_set_new(r, "step", json_string("?"));
		json_object_set_new(r, "ok", json_false());
		json_object_set_new(r, "kind", json_string("usage"));
		return r;
	}
	snprintf(buf, sizeof buf, "%s", spec);
	if ((arg = strchr(buf, ':')) != NULL)
		*arg++ = '\0';
	json_object_set_new(r, "step", json_string(buf));
	if (strcmp(buf, "identity") == 0) {
		rc = aws_get_caller_identity(a, &id, &err);
		if (rc == 0)
			json_object_set_new(r, "identity", json_pack("{s:s, "
			    "s:s, s:s}", "account", id.account, "arn", id.arn,
			    "user_id", id.user_id));
	} else if (strcmp(buf, "regions") == 0) {
		list = json_array();
		rc = aws_describe_regions(a, region_cb, list, &err);
		json_object_set_new(r, "regions", list);
	} else if (strcmp(buf, "tasks") == 0) {
		nids = split_ids(arg, ids);
		ts.ids = json_array();
		ts.pages = json_array();
		if (o->new_connection)
			rc = tasks_new_connections(a, o->page_size, &ts, &err);
		else
			rc = aws_describe_import_image_tasks(a, ids, nids,
			    o->page_size, task_cb, page_cb, &ts, &err);
		json_object_set_new(r, "ids", ts.ids);
		json_object_set_new(r, "pages", ts.pages);
	} else if (strcmp(buf, "federation") == 0 && arg) {
		rc = aws_get_federation_token(a, arg, 0, temp, &err);
		if (rc == 0)
			json_object_set_new(r, "access_key",
			    json_string(temp->access_key));
	} else if (strcmp(buf, "assume") == 0 && arg &&
	    (sep = strchr(arg, '|')) != NULL) {
		char *policy;
		*sep++ = '\0';
		if ((policy = strchr(sep, '|')) != NULL)
			*policy++ = '\0';
		rc = aws_assume_role(a, arg, sep, 0, policy, temp, &err);
		if (rc == 0)
			json_object_set_new(r, "access_key",
			    json_string(temp->access_key));
	} else if (strcmp(buf, "put") == 0 && arg &&
	    (sep = strchr(arg, '/')) != NULL) {
		*sep++ = '\0';
		rc = aws_put_object(a, arg, sep, o->body, strlen(o->body),
		    "text/plain", etag, sizeof etag, &err);
		if (rc == 0)
			json_object_set_new(r, "etag", json_string(etag));
	} else if (strcmp(buf, "conversions") == 0) {
		nids = split_ids(arg, ids);
		ts.ids = json_array();
		ts.pages = json_array();
		rc = aws_describe_conversion_tasks(a, ids, nids, o->page_size,
		    conversion_cb, page_cb, &ts, &err);
		json_object_set_new(r, "tasks", ts.ids);
		json_object_set_new(r, "pages", ts.pages);
	} else if (strcmp(buf, "instances") == 0) {
		ts.ids = json_array();
		ts.pages = json_array();
		nids = split_ids(arg, ids);
		rc = aws_describe_instances(a, ids, nids, o->page_size,
		    instance_cb, page_cb, &ts, &err);
		json_object_set_new(r, "instances", ts.ids);
		json_object_set_new(r, "pages", ts.pages);
	} else if (strcmp(buf, "import") == 0 && arg &&
	    (sep = strchr(arg, '/')) != NULL) {
		*sep++ = '\0';
		imp = o->import;
		imp.bucket = arg;
		imp.key = sep;
		rc = aws_import_image(a, &imp, task_id, sizeof task_id, &err);
		if (rc == 0)
			json_object_set_new(r, "task_id", json_string(task_id));
	} else if (strcmp(buf, "temporary") == 0) {
		rc = temp->access_key[0] ? aws_set_credentials(a,
		    temp->access_key, temp->secret_key, temp->session_token) :
		    CONN_ENOTFOUND;
	} else {
		json_object_set_new(r, "ok", json_false());
		json_object_set_new(r, "kind", json_string("usage"));
		return r;
	}
	json_object_set_new(r, "seconds", json_real(probe_now() - t0));
	json_object_set_new(r, "ok", json_boolean(rc == 0));
	json_object_set_new(r, "code", json_integer(rc));
	json_object_set_new(r, "requests", json_integer(a->last_requests));
	json_object_set_new(r, "server_date", json_string(a->server_date));
	json_object_set_new(r, "skew", json_integer(aws_clock_skew(a)));
	if (rc != 0)
		probe_aws_error(r, &err);
	return r;
}

int
main(int argc, char **argv)
{
	struct http_opts ho = { 0 };
	struct opts o = { 0, 0, "", { .format = "VMDK" } };
	struct aws a;
	struct aws_credentials temp;
	const char *region = "us-east-1", *setting = NULL;
	const char *settings[AWS__NSERVICES];
	json_t *out, *steps, *eps;
	int i, rc = 0;

	memset(&temp, 0, sizeof temp);
	memset(&a, 0, sizeof a);
	for (i = 1; i < argc; i++) {
		const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strncmp(f, "--", 2) != 0)
			break;
		if (strcmp(f, "--new-connection-per-page") == 0)
			o.new_connection = 1;
		else if (strcmp(f, "--retry-timeouts") == 0)
			a.retry.timeouts = 1;
		else if (v == NULL)
			goto usage;
		else if (strcmp(f, "--ca") == 0 && ++i)
			ho.ca_file = v;
		else if (strcmp(f, "--region") == 0 && ++i)
			region = v;
		else if (strcmp(f, "--endpoint") == 0 && ++i)
			setting = v;
		else if (strcmp(f, "--timeout-ms") == 0 && ++i)
			ho.total_timeout_ms = atol(v);
		else if (strcmp(f, "--max-attempts") == 0 && ++i)
			a.retry.max_attempts = atoi(v);
		else if (strcmp(f, "--backoff-ms") == 0 && ++i)
			a.retry.base_ms = atol(v);
		else if (strcmp(f, "--page-size") == 0 && ++i)
			o.page_size = atoi(v);
		else if (strcmp(f, "--body") == 0 && ++i)
			o.body = v;
		else if (strcmp(f, "--format") == 0 && ++i)
			o.import.format = v;
		else if (strcmp(f, "--description") == 0 && ++i)
			o.import.description = v;
		else if (strcmp(f, "--role-name") == 0 && ++i)
			o.import.role_name = v;
		else if (strcmp(f, "--license-type") == 0 && ++i)
			o.import.license_type = v;
		else if (strcmp(f, "--platform") == 0 && ++i)
			o.import.platform = v;
		else if (strcmp(f, "--client-token") == 0 && ++i)
			o.import.client_token = v;
		else
			goto usage;
	}
	for (int s = 0; s < AWS__NSERVICES; s++)
		settings[s] = setting;
	paths_init();
	{
		struct aws_retry keep = a.retry;
		if ((rc = aws_init(&a, region, settings, &ho)) != 0) {
			fprintf(stderr, "aws-probe: bad region or endpoint "
			    "(%d)\n", rc);
			aws_free(&a);
			return 2;
		}
		a.retry = keep;
	}
	if (aws_set_credentials(&a, getenv("AWS_ACCESS_KEY_ID"),
	    getenv("AWS_SECRET_ACCESS_KEY"), getenv("AWS_SESSION_TOKEN")) != 0) {
		fprintf(stderr, "aws-probe: no usable credentials in the "
		    "environment\n");
		aws_free(&a);
		return 2;
	}
	out = json_object();
	steps = json_array();
	eps = json_object();
	for (int s = 0; s < AWS__NSERVICES; s++)
		json_object_set_new(eps, aws_service_name(s), json_pack("{s:s, "
		    "s:s}", "url", a.endpoint[s], "source",
		    aws_endpoint_source_string(a.source[s])));
	json_object_set_new(out, "endpoints", eps);
	rc = 0;
	for (; i < argc; i++) {
		json_t *r;
		a.last_requests = 0;
		r = step(&a, &o, &temp, argv[i]);
		if (!json_is_true(json_object_get(r, "ok")))
			rc = 1;
		json_array_append_new(steps, r);
	}
	util_wipe(&temp, sizeof temp);
	json_object_set_new(out, "steps", steps);
	json_dumpf(out, stdout, JSON_COMPACT);
	putchar('\n');
	json_decref(out);
	aws_free(&a);
	return rc;
usage:
	fprintf(stderr, "usage: aws-probe [options] STEP... (see the "
	    "source)\n");
	return 2;
}
