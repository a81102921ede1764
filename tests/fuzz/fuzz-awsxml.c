/*
 * fuzz-awsxml.c — the AWS answer readers of lib/aws over arbitrary bytes:
 * the answer and error reader as the answer to each action it sends (with
 * a success and an error status), then that action's own reader on
 * whatever was accepted (the paged ones also with no room for a token),
 * and the Date header reader.  Every result must
 * keep the readers' promises.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/core.h"
#include "../../lib/domain.h"
#include "fuzz.h"

static const char *const actions[] = {
	"GetCallerIdentity", "DescribeRegions", "DescribeImportImageTasks",
	"GetFederationToken", "AssumeRole", "DescribeConversionTasks",
	"DescribeInstances", "ImportImage",
};

/* Printable text only: no control bytes reach logs or pages. */
static void
clean_text(const char *s, size_t cap)
{
	INV(memchr(s, '\0', cap) != NULL);
	for (; *s; s++)
		INV((unsigned char)*s >= 0x20 && *s != 0x7f);
}

static int
region_cb(void *arg, const struct aws_region *r)
{
	INV(r->name[0] != '\0');
	clean_text(r->name, sizeof r->name);
	clean_text(r->endpoint, sizeof r->endpoint);
	clean_text(r->opt_in, sizeof r->opt_in);
	return ++*(int *)arg > 1000;	/* stops a long list */
}

static int
task_cb(void *arg, const struct aws_import_task *t)
{
	INV(t->id[0] != '\0');
	clean_text(t->id, sizeof t->id);
	clean_text(t->status, sizeof t->status);
	clean_text(t->status_message, sizeof t->status_message);
	clean_text(t->image_id, sizeof t->image_id);
	clean_text(t->progress, sizeof t->progress);
	clean_text(t->description, sizeof t->description);
	return ++*(int *)arg > 1000;
}

static int
conversion_cb(void *arg, const struct aws_conversion_task *t)
{
	INV(t->id[0] != '\0');
	clean_text(t->id, sizeof t->id);
	clean_text(t->state, sizeof t->state);
	clean_text(t->status_message, sizeof t->status_message);
	clean_text(t->expiration, sizeof t->expiration);
	clean_text(t->zone, sizeof t->zone);
	clean_text(t->volume_id, sizeof t->volume_id);
	clean_text(t->instance_id, sizeof t->instance_id);
	INV(t->bytes_converted >= -1 && t->image_size >= -1);
	return ++*(int *)arg > 1000;
}

static int
instance_cb(void *arg, const struct aws_instance *i)
{
	INV(i->id[0] != '\0');
	clean_text(i->id, sizeof i->id);
	clean_text(i->image_id, sizeof i->image_id);
	clean_text(i->state, sizeof i->state);
	clean_text(i->type, sizeof i->type);
	clean_text(i->launch_time, sizeof i->launch_time);
	clean_text(i->zone, sizeof i->zone);
	clean_text(i->private_ip, sizeof i->private_ip);
	clean_text(i->name, sizeof i->name);
	return ++*(int *)arg > 1000;
}

/*
 * A paged reader's promises: a known result, a count within the calls,
 * and a clean token.
 */
static void
paged(int rc, int n, int count, const char *next, size_t nextlen)
{
	INV(rc == 0 || rc == CONN_EINVAL || rc == 1);
	INV(count >= 0 && count <= n);
	clean_text(next, nextlen);
}

static void
readers(const char *action, const struct _xmlNode *root)
{
	struct aws_identity id;
	struct aws_credentials c;
	char next[64], task_id[32];
	int n = 0, count, rc;

	if (strcmp(action, "GetCallerIdentity") == 0) {
		rc = aws_read_identity(root, &id);
		INV(rc == 0 || rc == CONN_EINVAL);
		if (rc == 0) {
			INV(id.account[0] && id.arn[0]);
			clean_text(id.arn, sizeof id.arn);
			clean_text(id.user_id, sizeof id.user_id);
		}
	} else if (strcmp(action, "DescribeRegions") == 0) {
		rc = aws_read_regions(root, region_cb, &n);
		INV(rc == 0 || rc == CONN_EINVAL || rc == 1);
	} else if (strcmp(action, "DescribeImportImageTasks") == 0) {
		rc = aws_read_import_tasks(root, task_cb, &n, next,
		    sizeof next, &count);
		INV(rc == 0 || rc == CONN_EINVAL || rc == 1);
		INV(count >= 0 && count <= n);
		clean_text(next, sizeof next);
	} else if (strcmp(action, "DescribeConversionTasks") == 0) {
		rc = aws_read_conversion_tasks(root, conversion_cb, &n, next,
		    sizeof next, &count);
		paged(rc, n, count, next, sizeof next);
		/* No room for a token: one that is there is refused. */
		rc = aws_read_conversion_tasks(root, conversion_cb, &n, NULL, 0,
		    NULL);
		INV(rc == 0 || rc == CONN_EINVAL || rc == 1);
	} else if (strcmp(action, "DescribeInstances") == 0) {
		rc = aws_read_instances(root, instance_cb, &n, next,
		    sizeof next, &count);
		paged(rc, n, count, next, sizeof next);
	} else if (strcmp(action, "ImportImage") == 0) {
		rc = aws_read_import_image(root, task_id, sizeof task_id);
		INV(rc == 0 || rc == CONN_EINVAL);
		clean_text(task_id, sizeof task_id);
		INV((rc == 0) == (task_id[0] != '\0'));
	} else {
		rc = aws_read_credentials(root, &c);
		INV(rc == 0 || rc == CONN_EINVAL);
		if (rc == 0)
			INV(c.access_key[0] && c.secret_key[0] &&
			    c.session_token[0]);
		else
			INV(c.access_key[0] == '\0');
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 400, 503 };
	const char *body = (const char *)data;
	struct aws_error err;
	struct _xmlDoc *doc;
	struct _xmlNode *root;
	char s[64];
	time_t t;
	int rc;

	for (size_t a = 0; a < sizeof actions / sizeof actions[0]; a++)
		for (size_t k = 0; k < 3; k++) {
			memset(&err, 0, sizeof err);
			rc = aws_answer(body, size, statuses[k], actions[a],
			    &doc, &root, &err);
			if (rc == 0) {
				INV(doc != NULL && root != NULL);
				INV(statuses[k] == 200);
				readers(actions[a], root);
				xml_free(doc);
				continue;
			}
			INV(doc == NULL && root == NULL);
			INV(rc == CONN_EIO || rc == CONN_EDENIED ||
			    rc == CONN_EINVAL || rc == CONN_ECONFLICT ||
			    rc == CONN_ENOTFOUND);
			INV(err.kind == AWS_E_SERVICE ||
			    err.kind == AWS_E_PROTOCOL);
			clean_text(err.message, sizeof err.message);
			clean_text(err.code_name, sizeof err.code_name);
			if (err.kind == AWS_E_SERVICE) {
				INV(err.code != AWS_C_NONE);
				INV(err.code_name[0] != '\0');
				INV(err.message[0] != '\0');
			} else
				INV(rc == CONN_EIO);
		}
	if (size < sizeof s) {
		memcpy(s, data, size);
		s[size] = '\0';
		rc = aws_parse_http_date(s, &t);
		INV(rc == 0 || rc == CONN_EINVAL);
	}
	return 0;
}
