/*
 * fuzz-cookie.c — req_cookie over arbitrary Cookie headers.  The input up
 * to the first newline (at most 64 bytes) is the cookie name to look for,
 * the rest is the header; the console's own two names are looked up too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/core.h"
#include "../../lib/domain.h"
#include "fuzz.h"

/* Count the segments of header that start with name=. */
static size_t
count_named(const char *header, const char *name)
{
	size_t nl = strlen(name), n = 0;
	const char *p = header;

	for (;;) {
		while (*p == ' ' || *p == ';')
			p++;
		if (*p == '\0')
			break;
		if (strncmp(p, name, nl) == 0 && p[nl] == '=')
			n++;
		while (*p != '\0' && *p != ';')
			p++;
	}
	return n;
}

/* Look name up with a large and a small buffer; check what comes back. */
static void
lookup(const char *header, const char *name)
{
	char big[8300], small[8];
	size_t vl, named;
	int rb, rs;

	rb = req_cookie(header, name, big, sizeof big);
	INV(rb == 0 || rb == CONN_ENOTFOUND || rb == CONN_ETOOBIG);
	named = *name ? count_named(header, name) : 0;
	if (*name != '\0') {
		/* Found exactly when one segment carries the name. */
		INV((rb == 0) == (named == 1));
	}
	rs = req_cookie(header, name, small, sizeof small);
	if (rb != 0) {
		INV(rs == rb);
		return;
	}
	vl = strlen(big);
	INV(vl < sizeof big);
	INV(strchr(big, ';') == NULL);
	INV(vl == 0 || big[vl - 1] != ' ');
	/* The value follows name= somewhere in the header. */
	{
		size_t nl = strlen(name);
		const char *p = header;
		int seen = 0;
		while (!seen && (p = strstr(p, name)) != NULL) {
			if (p[nl] == '=' && strncmp(p + nl + 1, big, vl) == 0 &&
			    (p == header || p[-1] == ' ' || p[-1] == ';'))
				seen = 1;
			p++;
		}
		INV(seen);
	}
	if (vl + 1 <= sizeof small) {
		INV(rs == 0 && strcmp(small, big) == 0);
	} else
		INV(rs == CONN_ETOOBIG);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size < 65 ? size : 65);
	size_t namelen = nl ? (size_t)(nl - data) : 0;
	char name[65], *header;

	memcpy(name, data, namelen);
	name[namelen] = '\0';
	if (nl != NULL) {
		data += namelen + 1;
		size -= namelen + 1;
	}
	if ((header = malloc(size + 1)) == NULL)
		return 0;
	memcpy(header, data, size);
	header[size] = '\0';
	lookup(header, AUTH_SESSION_COOKIE);
	lookup(header, AUTH_CSRF_COOKIE);
	if (namelen > 0 && strlen(name) == namelen &&
	    strpbrk(name, "; =") == NULL)
		lookup(header, name);
	INV(req_cookie(NULL, AUTH_SESSION_COOKIE, name, sizeof name) ==
	    CONN_ENOTFOUND);
	free(header);
	return 0;
}
