/*
 * fuzz-urlencoded.c — req_parse_urlencoded over arbitrary bytes.  The
 * input is the body; it is parsed with the default limits and with tiny
 * ones, and every accepted field must satisfy the parser's promises.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/core.h"
#include "../../lib/domain.h"
#include "fuzz.h"

static const struct req_limits tiny = {
	.max_fields = 3,
	.max_name = 4,
	.max_value = 8,
	.max_file = 8,
};

/* Check every promise of a successful or failed parse. */
static void
check(const char *body, size_t len, const struct req_limits *lim, int rc,
    const struct req_fields *fs)
{
	size_t amps = 0;

	INV(rc >= 0 && rc <= REQ_PE_LONG);
	if (rc != 0) {
		INV(fs->n == 0);
		return;
	}
	for (size_t i = 0; i < len; i++)
		if (body[i] == '&')
			amps++;
	/* Strict: every '&' separates two non-empty fields. */
	INV(fs->n == (len == 0 ? 0 : amps + 1));
	INV(fs->n <= lim->max_fields && fs->n <= REQ_MAX_FIELDS);
	for (size_t i = 0; i < fs->n; i++) {
		const struct req_field *f = &fs->f[i];
		size_t nl;

		INV(f->name != NULL && f->value != NULL);
		INV(f->filename == NULL && f->ctype == NULL);
		nl = strlen(f->name);
		INV(nl >= 1 && nl <= lim->max_name);
		for (size_t k = 0; k < nl; k++) {
			char c = f->name[k];
			INV((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '_' || c == '-' ||
			    c == '.');
		}
		INV(f->value[f->value_len] == '\0');
		INV(strlen(f->value) == f->value_len);
		INV(f->value_len <= lim->max_value);
		INV(util_utf8_valid(f->value, f->value_len));
		for (size_t j = 0; j < i; j++)
			INV(strcmp(fs->f[j].name, f->name) != 0);
		INV(req_fields_get(fs, f->name) == f);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	struct req_fields big, small;
	int rb, rs;

	rb = req_parse_urlencoded(body, size, &req_default_limits, &big);
	check(body, size, &req_default_limits, rb, &big);
	rs = req_parse_urlencoded(body, size, &tiny, &small);
	check(body, size, &tiny, rs, &small);
	/* Anything accepted under tiny limits is accepted, the same, by default. */
	if (rs == 0) {
		INV(rb == 0 && big.n == small.n);
		for (size_t i = 0; i < small.n; i++) {
			INV(strcmp(big.f[i].name, small.f[i].name) == 0);
			INV(big.f[i].value_len == small.f[i].value_len);
			INV(memcmp(big.f[i].value, small.f[i].value,
			    small.f[i].value_len) == 0);
		}
	}
	req_fields_free(&big);
	req_fields_free(&small);
	/* Through the Content-Type dispatch: the same answer. */
	rs = req_parse_body("application/x-www-form-urlencoded; charset=UTF-8",
	    body, size, &req_default_limits, &small);
	INV(rs == rb);
	req_fields_free(&small);
	return 0;
}
