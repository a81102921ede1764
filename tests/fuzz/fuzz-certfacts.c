/*
 * fuzz-certfacts.c — the reader of a certificate's facts (tls_cert_facts)
 * over arbitrary bytes, asked about an address taken from the input's
 * first line: it accepts or refuses, and what it reports is always text
 * that fits its fields, with names and fingerprints in their shapes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/core.h"
#include "../../lib/domain.h"
#include "fuzz.h"

/* s is NUL-terminated within len bytes and has no control bytes. */
static void
check_text(const char *s, size_t len)
{
	const char *end = memchr(s, '\0', len);

	INV(end != NULL);
	for (; s < end; s++)
		INV((unsigned char)*s >= 0x20 && *s != 0x7f);
}

/* A fingerprint of n bytes: "AA:BB:...". */
static void
check_fp(const char *fp, size_t n)
{
	INV(strlen(fp) == 3 * n - 1);
	for (size_t i = 0; i < 3 * n - 1; i++)
		INV(i % 3 == 2 ? fp[i] == ':' :
		    strchr("0123456789ABCDEF", fp[i]) != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tls_facts f;
	char addr[64] = "";
	const uint8_t *nl = memchr(data, '\n', size < 64 ? size : 64);
	int rc;

	/* "ADDR\n" then the PEM; without a first line, no address. */
	if (nl != NULL && data[0] != '-') {
		memcpy(addr, data, (size_t)(nl - data));
		addr[nl - data] = '\0';
		size -= (size_t)(nl - data) + 1;
		data = nl + 1;
	}
	rc = tls_cert_facts((const char *)data, size, addr[0] ? addr : NULL,
	    &f);
	if (rc != 0) {
		INV(rc == CONN_EINVAL || rc == CONN_ENOMEM);
		INV(f.subject[0] == '\0' && f.nip == 0 && f.ndns == 0 &&
		    f.covers == 0);
		return 0;
	}
	check_text(f.subject, sizeof f.subject);
	check_text(f.issuer, sizeof f.issuer);
	check_text(f.key_type, sizeof f.key_type);
	INV(f.nip <= TLS_NAMES_MAX && f.ndns <= TLS_NAMES_MAX);
	for (size_t i = 0; i < f.ndns; i++)
		check_text(f.dns[i], sizeof f.dns[i]);
	for (size_t i = 0; i < f.nip; i++) {
		check_text(f.ip[i], sizeof f.ip[i]);
		INV(strspn(f.ip[i], "0123456789abcdef.:") == strlen(f.ip[i]));
	}
	check_fp(f.sha256, 32);
	check_fp(f.sha1, 20);
	INV(f.covers == 0 || f.covers == 1);
	INV(f.self_signed == 0 || f.self_signed == 1);
	if (addr[0] == '\0')
		INV(f.covers == 0);
	return 0;
}
