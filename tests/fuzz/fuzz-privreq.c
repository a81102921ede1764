/*
 * fuzz-privreq.c — the privileged helper's request reader over arbitrary
 * bytes: as the text of a request file with a well-formed name, and (split
 * at the first newline) as a file name with its text.  An accepted request
 * must name a known action, an id matching its name and at most a plain
 * staged file name; a refusal must say why in one printable sentence.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/base.h"
#include "../../lib/privreq.h"
#include "fuzz.h"

#define ID "0123456789abcdef0123456789abcdef"

static void
check(int rc, const char *name, const struct privreq *rq, const char *why,
    size_t whylen)
{
	if (rc == 0) {
		size_t n = strlen(rq->file);

		INV(privreq_known_action(rq->action));
		INV(strlen(rq->id) == PRIVREQ_ID_LEN);
		INV(strspn(rq->id, "0123456789abcdef") == PRIVREQ_ID_LEN);
		INV(strstr(name, rq->id) != NULL);
		INV(strncmp(name, rq->action, strlen(rq->action)) == 0);
		INV(strchr(rq->file, '/') == NULL);
		INV(n == 0 || (strcmp(rq->file, ".") != 0 &&
		    strcmp(rq->file, "..") != 0));
		INV(rq->nvalues <= PRIVREQ_MAX_VALUES);
		INV(rq->file_fd == -1);
		return;
	}
	INV(rc == CONN_EINVAL);
	INV(memchr(why, '\0', whylen) != NULL);
	INV(strlen(why) > 0 && why[strlen(why) - 1] == '.');
	for (const char *p = why; *p; p++)
		INV((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	const char *nl = memchr(in, '\n', size);
	struct privreq rq;
	char why[256], name[128];
	int rc;

	memset(why, 0, sizeof why);
	rc = privreq_parse("reload-nginx-" ID ".req", in, size, &rq, why,
	    sizeof why);
	check(rc, "reload-nginx-" ID ".req", &rq, why, sizeof why);
	if (nl != NULL && (size_t)(nl - in) < sizeof name &&
	    memchr(in, '\0', (size_t)(nl - in)) == NULL) {
		memcpy(name, in, (size_t)(nl - in));
		name[nl - in] = '\0';
		memset(why, 0, sizeof why);
		rc = privreq_parse(name, nl + 1, size - (size_t)(nl - in) - 1,
		    &rq, why, sizeof why);
		check(rc, name, &rq, why, sizeof why);
	}
	return 0;
}
