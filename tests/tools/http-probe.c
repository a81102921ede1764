/*
 * http-probe — one request through lib/http with every outbound option on
 * the command line; prints the outcome as one JSON object.  The tests use
 * it to hold lib/http to real TLS servers, proxies and hanging peers.
 *
 *   http-probe [--ca FILE] [--pin AA:BB:..] [--insecure]
 *              [--refuse-internal] [--allow-loopback]
 *              [--proxy HOST:PORT] [--proxy-user U] [--proxy-password P]
 *              [--no-proxy LIST] [--connect-timeout-ms N] [--timeout-ms N]
 *              [--max-response N] [--method M] [--data BODY]
 *              [--header "Name: value"]... [--repeat N] URL
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../lib/core.h"
#include "../../lib/domain.h"

int
main(int argc, char **argv)
{
	struct http_opts o = { 0 };
	struct http_req rq = { 0 };
	struct http_client cl;
	const char *headers[17] = { 0 };
	char proxy_host[256];
	int nh = 0, repeat = 1, rc = 0;
	json_t *out, *runs;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--insecure") == 0)
			o.insecure = 1;
		else if (strcmp(a, "--refuse-internal") == 0)
			o.refuse_internal = 1;
		else if (strcmp(a, "--allow-loopback") == 0)
			o.allow_loopback = 1;
		else if (v == NULL && strncmp(a, "--", 2) == 0)
			goto usage;
		else if (strcmp(a, "--ca") == 0 && ++i)
			o.ca_file = v;
		else if (strcmp(a, "--pin") == 0 && ++i)
			o.pin_thumbprint = v;
		else if (strcmp(a, "--proxy") == 0 && ++i) {
			const char *colon = strrchr(v, ':');
			if (colon == NULL || (size_t)(colon - v) >= sizeof proxy_host)
				goto usage;
			snprintf(proxy_host, sizeof proxy_host, "%.*s",
			    (int)(colon - v), v);
			o.proxy_host = proxy_host;
			o.proxy_port = atoi(colon + 1);
		} else if (strcmp(a, "--proxy-user") == 0 && ++i)
			o.proxy_user = v;
		else if (strcmp(a, "--proxy-password") == 0 && ++i)
			o.proxy_password = v;
		else if (strcmp(a, "--no-proxy") == 0 && ++i)
			o.no_proxy = v;
		else if (strcmp(a, "--connect-timeout-ms") == 0 && ++i)
			o.connect_timeout_ms = atol(v);
		else if (strcmp(a, "--timeout-ms") == 0 && ++i)
			o.total_timeout_ms = atol(v);
		else if (strcmp(a, "--max-response") == 0 && ++i)
			o.max_response = (size_t)atol(v);
		else if (strcmp(a, "--method") == 0 && ++i)
			rq.method = v;
		else if (strcmp(a, "--data") == 0 && ++i) {
			rq.body = v;
			rq.body_len = strlen(v);
		} else if (strcmp(a, "--header") == 0 && ++i && nh < 16)
			headers[nh++] = v;
		else if (strcmp(a, "--repeat") == 0 && ++i)
			repeat = atoi(v);
		else if (strncmp(a, "--", 2) != 0 && rq.url == NULL)
			rq.url = a;
		else
			goto usage;
	}
	if (rq.url == NULL || repeat < 1)
		goto usage;
	rq.headers = headers;
	paths_init();
	if (http_client_init(&cl, &o) != 0)
		return 1;
	out = json_object();
	runs = json_array();
	for (int k = 0; k < repeat; k++) {
		struct http_response resp;
		struct http_error err;
		json_t *r = json_object();

		if (http_request(&cl, &rq, &resp, &err) == 0) {
			char date[128] = "";
			http_response_header(&resp, "Date", date, sizeof date);
			json_object_set_new(r, "ok", json_true());
			json_object_set_new(r, "status", json_integer(resp.status));
			json_object_set_new(r, "body", json_stringn(resp.body.data ?
			    resp.body.data : "", resp.body.len));
			json_object_set_new(r, "date", json_string(date));
			json_object_set_new(r, "thumbprint",
			    json_string(resp.peer_thumbprint));
			json_object_set_new(r, "subject",
			    json_string(resp.peer_subject));
			json_object_set_new(r, "timing", json_pack(
			    "{s:f, s:f, s:f, s:f, s:f}", "dns", resp.timing.dns,
			    "connect", resp.timing.connect, "tls", resp.timing.tls,
			    "first_byte", resp.timing.first_byte, "total",
			    resp.timing.total));
			http_response_free(&resp);
		} else {
			char desc[1200];
			http_error_describe(&err, desc, sizeof desc);
			json_object_set_new(r, "ok", json_false());
			json_object_set_new(r, "kind",
			    json_string(http_errkind_string(err.kind)));
			json_object_set_new(r, "cause",
			    json_string(http_cause_string(err.cause)));
			json_object_set_new(r, "detail", json_string(err.detail));
			json_object_set_new(r, "elapsed", json_real(err.elapsed));
			json_object_set_new(r, "describe", json_string(desc));
			rc = 1;
		}
		json_array_append_new(runs, r);
	}
	json_object_set_new(out, "runs", runs);
	json_dumpf(out, stdout, JSON_COMPACT);
	putchar('\n');
	json_decref(out);
	http_client_free(&cl);
	return rc;
usage:
	fprintf(stderr, "usage: http-probe [options] URL (see the source)\n");
	return 2;
}
