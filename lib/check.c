/*
 * check.c — what the health checks share (lib/check.h).
 */
#include "check.h"

const char *
check_stage(const struct http_error *e)
{
	const struct http_timing *t = &e->timing;

	switch (e->kind) {
	case HTTP_EDNS:
		return "dns";
	case HTTP_ECONNECT:
	case HTTP_EPROXY:
		return "connect";
	case HTTP_ETLS:
		return "tls";
	case HTTP_ESTATUS:
		return "http";
	case HTTP_EPARSE:
	case HTTP_ETOOBIG:
		return "response";
	case HTTP_ETIMEOUT:
		if (t->dns <= 0)
			return "dns";
		if (t->connect <= 0)
			return "connect";
		if (t->tls <= 0)
			return "tls";
		/* Sent, and no answer in time (curl starts the first-byte
		 * clock when it sends a body: it does not say one came). */
		return "http";
	default:
		return "connect";
	}
}

double
check_ms3(double s)
{
	return (double)(long long)(s * 1000.0 + (s < 0 ? -0.5 : 0.5)) / 1000.0;
}

void
check_timings(json_t *d, const struct http_timing *t)
{
	json_object_set_new(d, "timings", json_pack("{s:f, s:f, s:f, s:f, s:f}",
	    "dns", check_ms3(t->dns), "connect", check_ms3(t->connect),
	    "tls", check_ms3(t->tls), "first_byte", check_ms3(t->first_byte),
	    "total", check_ms3(t->total)));
}
