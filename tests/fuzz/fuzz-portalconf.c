/*
 * fuzz-portalconf.c — the portal's configuration file reader over
 * arbitrary bytes: as a whole file, and (when the bytes are UTF-8 text) as
 * the endpoint and as the secret of an otherwise good file.  An accepted
 * file must hold only what the format allows; a refused one must say why
 * in one sentence that never repeats the secret, and leave nothing behind.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../lib/core.h"
#include "../../lib/domain.h"
#include "fuzz.h"

static int
all_zero(const void *p, size_t len)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < len; i++)
		if (c[i])
			return 0;
	return 1;
}

/* A refusal: one printable sentence; the configuration wiped. */
static void
check_refusal(int rc, const struct portal_config *c, const char *why,
    size_t whylen)
{
	size_t n;

	INV(rc == CONN_EINVAL || rc == CONN_ETOOBIG);
	INV(all_zero(c, sizeof *c));
	INV(memchr(why, '\0', whylen) != NULL);
	n = strlen(why);
	INV(n > 0 && why[n - 1] == '.');
	for (size_t i = 0; i < n; i++)
		INV((unsigned char)why[i] >= 0x20 && (unsigned char)why[i] < 0x7f);
}

/* What an accepted configuration promises. */
static void
check_accepted(const struct portal_config *c)
{
	char want[600], port[16];
	size_t n;

	n = strlen(c->key_name);
	INV(n >= 1 && n <= 64 && c->key_name[0] != ' ' &&
	    c->key_name[n - 1] != ' ');
	INV(strspn(c->key_name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789 ._-") == n);
	n = strlen(c->key_id);
	INV(n >= 16 && n <= 128);
	INV(strspn(c->key_id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == n);
	n = strlen(c->secret);
	INV(n >= 16 && n <= 256);
	for (size_t i = 0; i < n; i++)
		INV(c->secret[i] > 0x20 && c->secret[i] < 0x7f);
	INV(syntax_hostname(c->host) || syntax_ipv4(c->host));
	INV(c->port >= 1 && c->port <= 65535);
	INV(strncmp(c->endpoint, "https://", 8) == 0);
	INV(strpbrk(c->endpoint + 8, "/@%?#[] \t\r\n\\") == NULL);
	/* The endpoint is exactly https://HOST or https://HOST:PORT. */
	snprintf(port, sizeof port, ":%d", c->port);
	snprintf(want, sizeof want, "https://%s", c->host);
	if (strcmp(c->endpoint, want) != 0) {
		snprintf(want, sizeof want, "https://%s%s", c->host, port);
		INV(strcmp(c->endpoint, want) == 0);
	}
}

/* Parse text[0..len) and check the outcome.  Returns the parse's code. */
static int
parse(const char *text, size_t len, char *why, size_t whylen)
{
	struct portal_config c;
	int rc;

	memset(&c, 0xa5, sizeof c);
	rc = portal_config_parse(text, len, &c, why, whylen);
	if (rc == 0) {
		INV(len <= PORTAL_FILE_MAX);
		check_accepted(&c);
		portal_config_wipe(&c);
		INV(all_zero(&c, sizeof c));
	} else
		check_refusal(rc, &c, why, whylen);
	return rc;
}

/* A good file with member set to value[0..len); NULL when not UTF-8. */
static char *
good_with(const char *member, const char *value, size_t len)
{
	json_t *o = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s}", "format",
	    "connector-portal-config", "version", 1, "key_name", "Fuzz key",
	    "key_id", "AKIAFUZZKEY000000001", "secret",
	    "FuzzSecret0000000000000001", "endpoint", "https://portal.example");
	json_t *v = json_stringn(value, len);
	char *text = NULL;

	if (o && v && json_object_set_new(o, member, v) == 0)
		text = json_dumps(o, JSON_COMPACT);
	else
		json_decref(v);
	json_decref(o);
	return text;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	char why[256], *text;
	int rc;

	parse(in, size, why, sizeof why);
	if (size > 1024 || memchr(in, '\0', size) != NULL)
		return 0;
	if ((text = good_with("endpoint", in, size)) != NULL) {
		parse(text, strlen(text), why, sizeof why);
		free(text);
	}
	if ((text = good_with("secret", in, size)) != NULL) {
		rc = parse(text, strlen(text), why, sizeof why);
		/* A refused secret is never repeated (a value with spaces
		 * may coincide with the sentence's own words). */
		if (rc != 0 && size >= 16 && memchr(in, ' ', size) == NULL)
			INV(memmem(why, strlen(why), in, size) == NULL);
		free(text);
	}
	return 0;
}
