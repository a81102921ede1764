/*
 * vsphere-probe — runs lib/vsphere calls in order on one session and
 * prints the outcome of each as one JSON object.  The tests use it to hold
 * lib/vsphere to the vCenter double.
 *
 *   vsphere-probe [--ca FILE] [--pin AA:BB:..] [--insecure] [--user U]
 *                 [--page N] [--domain D] [--limit N] [--ext-url URL]
 *                 [--ext-company C]
 *                 [--ext-email E] [--ext-thumbprint T]
 *                 HOST:PORT STEP...
 *
 * Steps: connect, login (the password is the first line of stdin), logout,
 * time, users (the users' names), directory (users and groups with full
 * names, and what the walk cost; --limit is the directory's cap on one
 * answer), vms, find:KEY, register:KEY:VERSION, update:KEY:VERSION,
 * unregister:KEY.  A failed step does not stop the later ones; the exit
 * status is 1 when any failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "../../lib/core.h"
#include "../../lib/domain.h"

struct opts {
	const char *user;
	int page;
	const char *domain;
	int limit;
	const char *ext_url, *ext_company, *ext_email, *ext_thumbprint;
};

static const char *
ekind(enum vsphere_ekind k)
{
	switch (k) {
	case VSPHERE_E_TRANSPORT: return "transport";
	case VSPHERE_E_FAULT: return "fault";
	case VSPHERE_E_PROTOCOL: return "protocol";
	default: return "none";
	}
}

static int
user_cb(void *arg, const struct vsphere_principal *p)
{
	return json_array_append_new(arg, json_string(p->principal)) ? -100 : 0;
}

static int
entry_cb(void *arg, const struct vsphere_principal *p)
{
	return json_array_append_new(arg, json_pack("{s:s, s:s, s:b}",
	    "principal", p->principal, "full_name", p->full_name, "group",
	    p->group)) ? -100 : 0;
}

static void
walk_json(json_t *r, const struct vsphere_walk_stats *st)
{
	json_object_set_new(r, "calls", json_integer(st->calls));
	json_object_set_new(r, "answered", json_integer(st->answered));
	json_object_set_new(r, "narrowed", json_integer(st->narrowed));
}

static int
vm_cb(void *arg, const struct vsphere_vm *vm)
{
	return json_array_append_new(arg, json_pack("{s:s, s:s, s:s}", "id",
	    vm->id, "name", vm->name, "power", vm->power_state)) ? -100 : 0;
}

/* Split "a:b:c" into at most n parts (in place). */
static int
split(char *s, char **parts, int n)
{
	int k = 0;

	while (k < n) {
		parts[k++] = s;
		if ((s = strchr(s, ':')) == NULL)
			break;
		*s++ = '\0';
	}
	return k;
}

static void
ext_json(json_t *r, const struct vsphere_extension *e)
{
	json_object_set_new(r, "extension", json_pack("{s:s, s:s, s:s, s:s, "
	    "s:s, s:s, s:s, s:s, s:I}", "key", e->key, "version", e->version,
	    "label", e->label, "company", e->company, "url", e->url,
	    "type", e->type, "admin_email", e->admin_email,
	    "server_thumbprint", e->server_thumbprint, "last_heartbeat",
	    (json_int_t)e->last_heartbeat));
}

/* Run one step; returns its JSON result. */
static json_t *
step(struct vsphere *vs, const struct opts *o, const char *password,
    const char *spec)
{
	struct vsphere_error err;
	struct vsphere_extension ext;
	struct vsphere_search q = { o->domain, "", 0, 1, 0 };
	struct vsphere_walk_stats ws;
	json_t *r = json_object(), *list;
	char buf[512], *part[3];
	int rc, n, found;
	time_t t;

	memset(&err, 0, sizeof err);
	snprintf(buf, sizeof buf, "%s", spec);
	n = split(buf, part, 3);
	json_object_set_new(r, "step", json_string(part[0]));
	if (strcmp(part[0], "connect") == 0) {
		rc = vsphere_connect(vs, &err);
		if (rc == 0)
			json_object_set_new(r, "product",
			    json_string(vs->product));
	} else if (strcmp(part[0], "login") == 0)
		rc = vsphere_login(vs, o->user, password, &err);
	else if (strcmp(part[0], "logout") == 0)
		rc = vsphere_logout(vs, &err);
	else if (strcmp(part[0], "time") == 0) {
		rc = vsphere_current_time(vs, &t, &err);
		if (rc == 0)
			json_object_set_new(r, "time", json_integer(t));
	} else if (strcmp(part[0], "users") == 0) {
		list = json_array();
		rc = vsphere_users(vs, &q, o->limit, user_cb, list, &ws, &err);
		json_object_set_new(r, "users", list);
		walk_json(r, &ws);
	} else if (strcmp(part[0], "directory") == 0) {
		struct timespec t0, t1;
		list = json_array();
		q.groups = 1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = vsphere_users(vs, &q, o->limit, entry_cb, list, &ws, &err);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		json_object_set_new(r, "entries", list);
		walk_json(r, &ws);
		json_object_set_new(r, "seconds", json_real((double)(t1.tv_sec -
		    t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9));
	} else if (strcmp(part[0], "vms") == 0) {
		list = json_array();
		rc = vsphere_vms(vs, o->page, vm_cb, list, &err);
		json_object_set_new(r, "vms", list);
	} else if (strcmp(part[0], "find") == 0 && n == 2) {
		rc = vsphere_find_extension(vs, part[1], &ext, &found, &err);
		json_object_set_new(r, "found", json_boolean(found));
		if (rc == 0 && found)
			ext_json(r, &ext);
	} else if ((strcmp(part[0], "register") == 0 ||
	    strcmp(part[0], "update") == 0) && n == 3) {
		memset(&ext, 0, sizeof ext);
		snprintf(ext.key, sizeof ext.key, "%s", part[1]);
		snprintf(ext.version, sizeof ext.version, "%s", part[2]);
		snprintf(ext.label, sizeof ext.label, "Connector");
		snprintf(ext.summary, sizeof ext.summary, "Connector plugin");
		snprintf(ext.company, sizeof ext.company, "%s", o->ext_company);
		snprintf(ext.url, sizeof ext.url, "%s", o->ext_url);
		snprintf(ext.admin_email, sizeof ext.admin_email, "%s",
		    o->ext_email);
		snprintf(ext.server_thumbprint, sizeof ext.server_thumbprint,
		    "%s", o->ext_thumbprint);
		rc = part[0][0] == 'r' ? vsphere_register_extension(vs, &ext,
		    &err) : vsphere_update_extension(vs, &ext, &err);
	} else if (strcmp(part[0], "unregister") == 0 && n == 2)
		rc = vsphere_unregister_extension(vs, part[1], &err);
	else {
		json_object_set_new(r, "ok", json_false());
		json_object_set_new(r, "kind", json_string("usage"));
		return r;
	}
	json_object_set_new(r, "ok", json_boolean(rc == 0));
	json_object_set_new(r, "code", json_integer(rc));
	if (rc != 0) {
		char desc[1200];
		vsphere_error_describe(&err, desc, sizeof desc);
		json_object_set_new(r, "kind", json_string(ekind(err.kind)));
		json_object_set_new(r, "fault",
		    json_string(vsphere_fault_string(err.fault)));
		json_object_set_new(r, "fault_type",
		    json_string(err.fault_type));
		json_object_set_new(r, "message", json_string(err.message));
		json_object_set_new(r, "http_kind",
		    json_string(http_errkind_string(err.http.kind)));
		json_object_set_new(r, "describe", json_string(desc));
	}
	return r;
}

int
main(int argc, char **argv)
{
	struct http_opts ho = { 0 };
	struct opts o = { "administrator@vsphere.local", 0, NULL, 0,
	    "https://127.0.0.1/", "Connector", "", "" };
	struct vsphere vs;
	char host[256], password[1100] = "";
	const char *target = NULL, *colon;
	json_t *out, *steps;
	int i, rc = 0, need_pw = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strncmp(a, "--", 2) != 0)
			break;
		if (strcmp(a, "--insecure") == 0)
			ho.insecure = 1;
		else if (v == NULL)
			goto usage;
		else if (strcmp(a, "--ca") == 0 && ++i)
			ho.ca_file = v;
		else if (strcmp(a, "--pin") == 0 && ++i)
			ho.pin_thumbprint = v;
		else if (strcmp(a, "--user") == 0 && ++i)
			o.user = v;
		else if (strcmp(a, "--page") == 0 && ++i)
			o.page = atoi(v);
		else if (strcmp(a, "--domain") == 0 && ++i)
			o.domain = v;
		else if (strcmp(a, "--limit") == 0 && ++i)
			o.limit = atoi(v);
		else if (strcmp(a, "--ext-url") == 0 && ++i)
			o.ext_url = v;
		else if (strcmp(a, "--ext-company") == 0 && ++i)
			o.ext_company = v;
		else if (strcmp(a, "--ext-email") == 0 && ++i)
			o.ext_email = v;
		else if (strcmp(a, "--ext-thumbprint") == 0 && ++i)
			o.ext_thumbprint = v;
		else
			goto usage;
	}
	if (i + 1 >= argc)
		goto usage;
	target = argv[i++];
	if ((colon = strrchr(target, ':')) == NULL ||
	    (size_t)(colon - target) >= sizeof host)
		goto usage;
	snprintf(host, sizeof host, "%.*s", (int)(colon - target), target);
	for (int k = i; k < argc; k++)
		if (strcmp(argv[k], "login") == 0)
			need_pw = 1;
	if (need_pw) {
		if (fgets(password, sizeof password, stdin) == NULL)
			goto usage;
		password[strcspn(password, "\r\n")] = '\0';
	}
	paths_init();
	if (vsphere_init(&vs, host, atoi(colon + 1), &ho) != 0) {
		fprintf(stderr, "vsphere-probe: bad host or port\n");
		return 2;
	}
	out = json_object();
	steps = json_array();
	for (; i < argc; i++) {
		json_t *r = step(&vs, &o, password, argv[i]);
		if (!json_is_true(json_object_get(r, "ok")))
			rc = 1;
		json_array_append_new(steps, r);
	}
	util_wipe(password, sizeof password);
	json_object_set_new(out, "steps", steps);
	json_object_set_new(out, "thumbprint", json_string(vs.thumbprint));
	json_object_set_new(out, "subject", json_string(vs.subject));
	json_dumpf(out, stdout, JSON_COMPACT);
	putchar('\n');
	json_decref(out);
	vsphere_free(&vs);
	return rc;
usage:
	fprintf(stderr, "usage: vsphere-probe [options] HOST:PORT STEP... "
	    "(see the source)\n");
	return 2;
}
