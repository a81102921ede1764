/*
 * portal-probe — reads a portal configuration file, runs lib/portal calls
 * in order on one client and prints the outcome of each step as one JSON
 * line.  The tests use it to hold lib/portal to the AWS double.
 *
 *   portal-probe [--ca FILE] [--region R] [--timeout-ms N]
 *                [--connect-timeout-ms N] [--connector-id ID]
 *                [--hostname H] [--ip A] [--vcenter HOST]
 *                [--extension-key KEY] [--registration-id ID]
 *                CONFIG STEP...
 *
 * Steps: register, heartbeat[:STATUS] (ok when not given), deregister.
 * The registration id of a register step (or --registration-id) is used
 * by the later steps.  A refused configuration prints one line
 * {"step": "config", "ok": false, "why": ...} and exits 2.  A failed step
 * does not stop the later ones; the exit status is 1 when any failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "../../lib/core.h"
#include "../../lib/domain.h"
#include "probe.h"

/* Print r as one line and free it. */
static void
emit(json_t *r)
{
	json_dumpf(r, stdout, JSON_COMPACT);
	putchar('\n');
	fflush(stdout);
	json_decref(r);
}

/* Run one step; returns its JSON result. */
static json_t *
step(struct portal *p, const struct portal_info *in, char *regid,
    size_t regidlen, const char *spec)
{
	struct aws_error err;
	json_t *r = json_object();
	char name[64], *arg;
	double t0 = probe_now();
	int rc;

	memset(&err, 0, sizeof err);
	snprintf(name, sizeof name, "%s", spec);
	if ((arg = strchr(name, ':')) != NULL)
		*arg++ = '\0';
	json_object_set_new(r, "step", json_string(name));
	if (strcmp(name, "register") == 0 && arg == NULL)
		rc = portal_register(p, in, regid, regidlen, &err);
	else if (strcmp(name, "heartbeat") == 0)
		rc = portal_heartbeat(p, regid, arg ? arg : "ok", &err);
	else if (strcmp(name, "deregister") == 0 && arg == NULL)
		rc = portal_deregister(p, regid, &err);
	else {
		json_object_set_new(r, "ok", json_false());
		json_object_set_new(r, "kind", json_string("usage"));
		return r;
	}
	json_object_set_new(r, "seconds", json_real(probe_now() - t0));
	json_object_set_new(r, "ok", json_boolean(rc == 0));
	json_object_set_new(r, "code", json_integer(rc));
	json_object_set_new(r, "registration_id", json_string(regid));
	json_object_set_new(r, "server_date", json_string(p->server_date));
	if (rc != 0)
		probe_aws_error(r, &err);
	return r;
}

int
main(int argc, char **argv)
{
	struct http_opts ho = { 0 };
	struct portal_info in = { "conn-probe-0001", "connector-probe.example",
	    "127.0.0.1", CONNECTOR_VERSION, NULL, NULL };
	struct portal_config c;
	struct portal p;
	struct buf file = { 0 };
	const char *region = "us-east-1";
	char regid[129] = "", why[256];
	int i, rc;

	for (i = 1; i < argc; i++) {
		const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strncmp(f, "--", 2) != 0)
			break;
		if (v == NULL)
			goto usage;
		i++;
		if (strcmp(f, "--ca") == 0)
			ho.ca_file = v;
		else if (strcmp(f, "--region") == 0)
			region = v;
		else if (strcmp(f, "--timeout-ms") == 0)
			ho.total_timeout_ms = atol(v);
		else if (strcmp(f, "--connect-timeout-ms") == 0)
			ho.connect_timeout_ms = atol(v);
		else if (strcmp(f, "--connector-id") == 0)
			in.connector_id = v;
		else if (strcmp(f, "--hostname") == 0)
			in.hostname = v;
		else if (strcmp(f, "--ip") == 0)
			in.ip = v;
		else if (strcmp(f, "--vcenter") == 0)
			in.vcenter_host = v;
		else if (strcmp(f, "--extension-key") == 0)
			in.extension_key = v;
		else if (strcmp(f, "--registration-id") == 0)
			snprintf(regid, sizeof regid, "%s", v);
		else
			goto usage;
	}
	if (i >= argc)
		goto usage;
	paths_init();
	rc = util_read_file(argv[i], PORTAL_FILE_MAX + 1, &file);
	if (rc == 0)
		rc = portal_config_parse(file.data, file.len, &c, why,
		    sizeof why);
	else if (rc == CONN_ETOOBIG)
		snprintf(why, sizeof why, "The file is larger than %d bytes.",
		    PORTAL_FILE_MAX);
	else
		snprintf(why, sizeof why, "The file cannot be read.");
	buf_free(&file);
	if (rc != 0) {
		emit(json_pack("{s:s, s:b, s:i, s:s}", "step", "config", "ok", 0,
		    "code", rc, "why", why));
		return 2;
	}
	rc = portal_init(&p, &c, region, &ho);
	portal_config_wipe(&c);
	if (rc != 0) {
		fprintf(stderr, "portal-probe: bad region or configuration "
		    "(%d)\n", rc);
		portal_free(&p);
		return 2;
	}
	rc = 0;
	for (i++; i < argc; i++) {
		json_t *r = step(&p, &in, regid, sizeof regid, argv[i]);
		if (!json_is_true(json_object_get(r, "ok")))
			rc = 1;
		emit(r);
	}
	portal_free(&p);
	return rc;
usage:
	fprintf(stderr, "usage: portal-probe [options] CONFIG STEP... (see "
	    "the source)\n");
	return 2;
}
