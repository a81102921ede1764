/*
 * fuzz-portalanswer.c — the portal's answer reader over arbitrary bytes,
 * as a success and as each kind of error status.  An accepted answer is a
 * JSON object given to the caller; a refused one fills the error with
 * clean text and a code that matches its kind.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../lib/core.h"
#include "../../lib/domain.h"
#include "fuzz.h"

/* Printable UTF-8 text only: no control bytes reach logs or pages. */
static void
clean_text(const char *s, size_t cap)
{
	INV(memchr(s, '\0', cap) != NULL);
	INV(util_utf8_valid(s, strlen(s)));
	for (; *s; s++)
		INV((unsigned char)*s >= 0x20 && *s != 0x7f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 201, 204, 302, 400, 403, 404,
	    502 };
	const char *body = (const char *)data;
	struct aws_error err;
	json_t *out;
	int rc;

	for (size_t k = 0; k < sizeof statuses / sizeof statuses[0]; k++) {
		long st = statuses[k];
		memset(&err, 0, sizeof err);
		out = (json_t *)&err;	/* must be overwritten */
		rc = portal_read_answer(body, size, st, &out, &err);
		if (rc == 0) {
			INV(st >= 200 && st <= 299);
			INV(json_is_object(out));
			INV(err.kind == AWS_E_NONE);
			json_decref(out);
			continue;
		}
		INV(out == NULL);
		INV(err.status == st);
		clean_text(err.message, sizeof err.message);
		clean_text(err.code_name, sizeof err.code_name);
		INV(err.message[0] != '\0');
		if (err.kind == AWS_E_SERVICE) {
			INV(st < 200 || st > 299);
			INV(err.code != AWS_C_NONE && err.code_name[0]);
			INV(err.http.kind == HTTP_ESTATUS);
			INV(rc == CONN_EDENIED || rc == CONN_EINVAL ||
			    rc == CONN_EIO || rc == CONN_ENOTFOUND ||
			    rc == CONN_ECONFLICT);
			INV((rc == CONN_ENOTFOUND) ==
			    (err.code == AWS_C_NOT_FOUND));
		} else {
			INV(err.kind == AWS_E_PROTOCOL);
			INV(rc == CONN_EIO);
			INV(err.code == AWS_C_NONE && !err.code_name[0]);
		}
	}
	return 0;
}
