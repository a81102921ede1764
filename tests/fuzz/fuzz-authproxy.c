/*
 * fuzz-authproxy.c — what the authentication proxy reads of a request
 * once its signature holds: the JSON body over arbitrary bytes (accepted
 * values within their limits, text without control characters, an
 * address that parses; a refusal says why in clean words), and the user
 * name as typed into its parts and its AWS session name (2 to 64 of
 * [A-Za-z0-9_+=,.@-], the same for the same name, readable as given
 * unless marked with '=' and a hash).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/authproxy.h"
#include "../../lib/userprovider.h"
#include "fuzz.h"

static void
clean_text(const char *s, size_t cap)
{
	INV(memchr(s, '\0', cap) != NULL);
	INV(util_utf8_valid(s, strlen(s)));
	for (; *s; s++)
		INV((unsigned char)*s >= 0x20 && *s != 0x7f);
}

static void
session_name_holds(const char *principal, const char *domain)
{
	char a[AP_SESSION_NAME_MAX + 1], b[AP_SESSION_NAME_MAX + 1];
	size_t n;

	INV(authproxy_session_name(principal, domain, a) == 0);
	INV(authproxy_session_name(principal, domain, b) == 0);
	INV(strcmp(a, b) == 0);
	n = strlen(a);
	INV(n >= 2 && n <= AP_SESSION_NAME_MAX);
	INV(strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_+=,.@-") == n);
	if (strchr(a, '=') != NULL) {
		/* readable part, '=', AP_SESSION_HASH hex digits */
		INV(strchr(a, '=') == a + n - AP_SESSION_HASH - 1);
		INV(strspn(a + n - AP_SESSION_HASH, "0123456789abcdef") ==
		    AP_SESSION_HASH);
	} else {
		/* unchanged but for case: "principal@domain" */
		size_t pl = strlen(principal);
		INV(strncasecmp(a, principal, pl) == 0);
		INV(domain[0] ? a[pl] == '@' && strcasecmp(a + pl + 1,
		    domain) == 0 : a[pl] == '\0');
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char addr[16];
	struct ap_body body;
	char why[200], *typed;
	char d[AP_USER_MAX + 1], u[AP_USER_MAX + 1];
	int rc;

	memset(why, 'x', sizeof why);
	why[sizeof why - 1] = '\0';
	rc = authproxy_read_body((const char *)data, size, &body, why,
	    sizeof why);
	INV(rc == 0 || rc == CONN_EINVAL);
	if (rc == 0) {
		INV(body.username[0] && strlen(body.username) <= AP_USER_MAX);
		INV(body.password[0] && strlen(body.password) <= AP_PASSWORD_MAX);
		clean_text(body.username, sizeof body.username);
		clean_text(body.password, sizeof body.password);
		INV(body.source[0] == '\0' ||
		    inet_pton(AF_INET, body.source, addr) == 1 ||
		    inet_pton(AF_INET6, body.source, addr) == 1);
		INV(body.duration == 0 || (body.duration >= AP_DURATION_MIN &&
		    body.duration <= AP_DURATION_MAX));
		if (userprovider_split(body.username, d, sizeof d, u,
		    sizeof u) == 0) {
			INV(u[0] != '\0');
			session_name_holds(u, d);
		}
		authproxy_body_wipe(&body);
		for (size_t i = 0; i < sizeof body.password; i++)
			INV(body.password[i] == '\0');
	} else {
		clean_text(why, sizeof why);
		INV(why[0] != 'x' && why[0] != '\0');
	}

	/* The input as a typed user name. */
	if ((typed = malloc(size + 1)) == NULL)
		return 0;
	memcpy(typed, data, size);
	typed[size] = '\0';
	if (userprovider_split(typed, d, sizeof d, u, sizeof u) == 0) {
		INV(u[0] != '\0' && strlen(u) < sizeof u);
		session_name_holds(u, d);
	}
	free(typed);
	return 0;
}
