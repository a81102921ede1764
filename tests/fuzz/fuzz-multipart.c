/*
 * fuzz-multipart.c — req_parse_multipart over arbitrary bodies.  The input
 * up to the first newline (at most 200 bytes) is the Content-Type, so the
 * boundary parameter is fuzzed too; the rest is the body.  Parsed with the
 * default limits and with tiny ones; every accepted part must satisfy the
 * parser's promises.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/core.h"
#include "../../lib/domain.h"
#include "fuzz.h"

static const struct req_limits tiny = {
	.max_fields = 2,
	.max_name = 4,
	.max_value = 8,
	.max_file = 16,
};

/* 1 when s (NUL-terminated) is valid UTF-8 without NUL of at most max. */
static int
text(const char *s, size_t max)
{
	size_t n = strlen(s);

	return n <= max && util_utf8_valid(s, n);
}

/* Check every promise of a successful or failed parse. */
static void
check(const char *body, size_t len, const struct req_limits *lim, int rc,
    const struct req_fields *fs)
{
	INV(rc >= 0 && rc <= REQ_PE_LONG);
	if (rc != 0) {
		INV(fs->n == 0);
		return;
	}
	/* A body that parses starts with "--" and ends its last part. */
	INV(len >= 3 && body[0] == '-' && body[1] == '-');
	INV(fs->n <= lim->max_fields && fs->n <= REQ_MAX_FIELDS);
	for (size_t i = 0; i < fs->n; i++) {
		const struct req_field *f = &fs->f[i];
		size_t nl;

		INV(f->name != NULL && f->value != NULL);
		nl = strlen(f->name);
		INV(nl >= 1 && nl <= lim->max_name);
		for (size_t k = 0; k < nl; k++) {
			char c = f->name[k];
			INV((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '_' || c == '-' ||
			    c == '.');
		}
		INV(f->value[f->value_len] == '\0');
		/* The value's bytes are a piece of the body. */
		INV(f->value_len == 0 ||
		    memmem(body, len, f->value, f->value_len) != NULL);
		if (f->filename == NULL) {
			INV(strlen(f->value) == f->value_len);
			INV(f->value_len <= lim->max_value);
			INV(util_utf8_valid(f->value, f->value_len));
		} else {
			INV(f->value_len <= lim->max_file);
			INV(text(f->filename, 255));
			INV(strchr(f->filename, '/') == NULL);
			INV(strchr(f->filename, '\\') == NULL);
		}
		if (f->ctype != NULL)
			INV(text(f->ctype, 128));
		for (size_t j = 0; j < i; j++)
			INV(strcmp(fs->f[j].name, f->name) != 0);
		INV(req_fields_get(fs, f->name) == f);
	}
}

/* 1 when the two parses gave the same fields. */
static int
same(const struct req_fields *a, const struct req_fields *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		const struct req_field *x = &a->f[i], *y = &b->f[i];
		if (strcmp(x->name, y->name) != 0 ||
		    x->value_len != y->value_len ||
		    memcmp(x->value, y->value, x->value_len) != 0 ||
		    (x->filename == NULL) != (y->filename == NULL) ||
		    (x->filename && strcmp(x->filename, y->filename) != 0) ||
		    (x->ctype == NULL) != (y->ctype == NULL) ||
		    (x->ctype && strcmp(x->ctype, y->ctype) != 0))
			return 0;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size < 201 ? size : 201);
	char ctype[201];
	const char *body;
	size_t clen, blen;
	struct req_fields big, small;
	int rb, rs;

	if (nl == NULL)
		return 0;
	clen = (size_t)(nl - data);
	memcpy(ctype, data, clen);
	ctype[clen] = '\0';
	body = (const char *)nl + 1;
	blen = size - clen - 1;

	rb = req_parse_multipart(ctype, body, blen, &req_default_limits, &big);
	check(body, blen, &req_default_limits, rb, &big);
	rs = req_parse_multipart(ctype, body, blen, &tiny, &small);
	check(body, blen, &tiny, rs, &small);
	/* Stricter limits never accept more, nor anything different. */
	if (rs == 0)
		INV(rb == 0 && same(&big, &small));
	req_fields_free(&small);
	/* Through the Content-Type dispatch: the same answer and fields. */
	rs = req_parse_body(ctype, body, blen, &req_default_limits, &small);
	if (strncasecmp(ctype, "multipart/form-data", 19) == 0)
		INV(rs == rb && (rb != 0 || same(&big, &small)));
	req_fields_free(&small);
	req_fields_free(&big);
	return 0;
}
