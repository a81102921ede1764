/*
 * probe.h — what the probes of the AWS clients (aws-probe, portal-probe)
 * share: the monotonic clock in seconds, and a failed call's error as
 * members of its step's JSON object.
 */
#ifndef PROBE_H
#define PROBE_H

#include <time.h>

#include <jansson.h>

#include "../../lib/core.h"
#include "../../lib/domain.h"

/* Seconds on the monotonic clock. */
static inline double
probe_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The name of an AWS error's kind, as the tests read it. */
static inline const char *
probe_aws_ekind(enum aws_ekind k)
{
	switch (k) {
	case AWS_E_TRANSPORT: return "transport";
	case AWS_E_SERVICE: return "service";
	case AWS_E_PROTOCOL: return "protocol";
	default: return "none";
	}
}

/*
 * A failed AWS call's error into the step's object r: kind, error,
 * error_code, message, status, http_kind, and describe (what
 * aws_error_describe says of it).
 */
static inline void
probe_aws_error(json_t *r, const struct aws_error *err)
{
	char desc[1400];

	aws_error_describe(err, desc, sizeof desc);
	json_object_set_new(r, "kind", json_string(probe_aws_ekind(err->kind)));
	json_object_set_new(r, "error",
	    json_string(aws_code_string(err->code)));
	json_object_set_new(r, "error_code", json_string(err->code_name));
	json_object_set_new(r, "message", json_string(err->message));
	json_object_set_new(r, "status", json_integer(err->status));
	json_object_set_new(r, "http_kind",
	    json_string(http_errkind_string(err->http.kind)));
	json_object_set_new(r, "describe", json_string(desc));
}

#endif
