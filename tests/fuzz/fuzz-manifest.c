/*
 * fuzz-manifest.c — the update manifest reader over arbitrary bytes.  The
 * first byte picks what the rest is: 0, an envelope as fetched (this
 * drives the envelope reader, base64 and the signature check); anything
 * else, a manifest body the harness signs with the test key, so the
 * manifest reader behind the signature is reached too.  An accepted
 * manifest must hold only what the format allows; a refusal must say why
 * in one line; the test key must be refused outside test mode; nothing
 * leaks (the sanitizers watch).  Run from the top directory: the test
 * key is tests/peers/keys/manifest-test.pem.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "../../lib/manifest.h"
#include "fuzz.h"

#define NOW 1800000000

static EVP_PKEY *key;

static void
load_key(void)
{
	FILE *f = fopen("tests/peers/keys/manifest-test.pem", "r");

	if (f == NULL || (key = PEM_read_PrivateKey(f, NULL, NULL, NULL)) ==
	    NULL) {
		fprintf(stderr, "fuzz-manifest: run from the top directory "
		    "(tests/peers/keys/manifest-test.pem)\n");
		abort();
	}
	fclose(f);
}

/* The envelope of body signed with the test key: a new string. */
static char *
wrap(const uint8_t *body, size_t len, size_t *outlen)
{
	unsigned char sig[64], sig64[96];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t n = sizeof sig;
	char *out, *b64;

	INV(ctx != NULL);
	INV(EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1);
	INV(EVP_DigestSign(ctx, sig, &n, body, len) == 1 && n == 64);
	EVP_MD_CTX_free(ctx);
	EVP_EncodeBlock(sig64, sig, 64);
	b64 = malloc(len / 3 * 4 + 8);
	out = malloc(len / 3 * 4 + 256);
	INV(b64 != NULL && out != NULL);
	EVP_EncodeBlock((unsigned char *)b64, body, (int)len);
	*outlen = (size_t)sprintf(out, "{\"format\":1,\"key_id\":\"test-1\","
	    "\"manifest\":\"%s\",\"signature\":\"%s\"}", b64, (char *)sig64);
	free(b64);
	return out;
}

/* What an accepted manifest promises. */
static void
check_accepted(const struct manifest *m, const struct manifest_policy *p)
{
	INV(m->serial >= 1 && m->serial >= p->last_serial);
	INV(m->published_at < m->expires_at && p->now < m->expires_at);
	INV(strcmp(m->channel, MANIFEST_CHANNEL) == 0);
	INV(manifest_version_valid(m->latest));
	INV(manifest_version_valid(m->minimum_version));
	INV(manifest_version_cmp(m->minimum_version, m->latest) <= 0);
	INV(m->nversions >= 1 && m->nversions <= MANIFEST_VERSIONS_MAX);
	INV(m->nrecalled <= MANIFEST_RECALLED_MAX);
	INV(manifest_find(m, m->latest) != NULL);
	for (size_t i = 0; i < m->nversions; i++) {
		const struct manifest_version *v = &m->versions[i];
		INV(manifest_version_valid(v->version));
		INV(manifest_version_cmp(v->version, m->latest) <= 0);
		INV(manifest_find(m, v->version) == v);
		INV(manifest_recall_of(m, v->version) == NULL);
		INV(v->notes && strlen(v->notes) <= MANIFEST_NOTES_MAX);
		INV(strncmp(v->url, "https://", 8) == 0);
		INV(strlen(v->sha256) == 64);
		INV(v->size >= 1 && v->size <= MANIFEST_SIZE_MAX);
		/* Comparison is antisymmetric. */
		INV((manifest_version_cmp(v->version, m->latest) < 0) ==
		    (manifest_version_cmp(m->latest, v->version) > 0));
	}
	for (size_t i = 0; i < m->nrecalled; i++) {
		const struct manifest_recall *r = &m->recalled[i];
		INV(manifest_version_valid(r->version) && r->reason[0]);
		INV(manifest_recall_of(m, r->version) == r);
		if (r->downgrade_to[0])
			INV(manifest_find(m, r->downgrade_to) != NULL &&
			    manifest_version_cmp(r->downgrade_to,
			    r->version) < 0);
		if (r->fixed_in[0])
			INV(manifest_version_cmp(r->fixed_in, r->version) > 0);
	}
}

/* Verify under p; returns the refusal, with the promises checked. */
static enum manifest_refusal
verify(const char *data, size_t len, const struct manifest_policy *p)
{
	enum manifest_refusal why;
	struct manifest m;
	char detail[256];
	int rc;

	memset(detail, 'x', sizeof detail);
	rc = manifest_verify(data, len, p, &m, &why, detail, sizeof detail);
	if (rc == 0) {
		INV(why == MANIFEST_ACCEPTED);
		check_accepted(&m, p);
	} else {
		INV(rc == CONN_EINVAL && why != MANIFEST_ACCEPTED);
		INV(memchr(detail, '\0', sizeof detail) != NULL);
		INV(detail[0] != '\0');
		for (const char *c = detail; *c; c++)
			INV(*c >= 0x20 && *c < 0x7f);
	}
	manifest_free(&m);
	INV(m.versions == NULL && m.recalled == NULL);
	return why;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct manifest_policy test = { NOW, 1, 0 };
	const struct manifest_policy prod = { NOW, 0, 0 };
	const struct manifest_policy later = { NOW, 1, (1LL << 53) + 1 };
	enum manifest_refusal why;
	size_t len;
	char *env;

	if (key == NULL)
		load_key();
	if (size < 2)
		return 0;
	if (data[0] == 0) {
		why = verify((const char *)data + 1, size - 1, &test);
		/* Only the test key's private half is known here: what is
		 * accepted is signed with it, and refused outside test mode. */
		if (why == MANIFEST_ACCEPTED)
			INV(verify((const char *)data + 1, size - 1, &prod) ==
			    MANIFEST_R_TEST_KEY);
		return 0;
	}
	env = wrap(data + 1, size - 1, &len);
	why = verify(env, len, &test);
	INV(why != MANIFEST_R_SIGNATURE && why != MANIFEST_R_ENVELOPE &&
	    why != MANIFEST_R_KEY_UNKNOWN && why != MANIFEST_R_TEST_KEY);
	INV(verify(env, len, &prod) == MANIFEST_R_TEST_KEY);
	if (why == MANIFEST_ACCEPTED)
		INV(verify(env, len, &later) == MANIFEST_R_REPLAYED);
	free(env);
	return 0;
}
