/*
 * valid.c — the one table of form fields the console accepts and the typed
 * validators behind it.  A page lists the fields it accepts; app.c refuses
 * any other field and validates every accepted one before a handler runs.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "connector.h"

const struct valid_field valid_fields[F__MAX] = {
	[F_CSRF] = { "csrf", VT_TOKEN, AUTH_TOKEN_LEN, "Form token" },
	[F_CODE] = { "code", VT_SETUP_CODE, 32, "Setup code" },
	[F_PASSWORD] = { "password", VT_PASSWORD, AUTH_PASSWORD_MAX,
	    "Password" },
	[F_PASSWORD2] = { "password2", VT_PASSWORD, AUTH_PASSWORD_MAX,
	    "Password (again)" },
};

/* The index of the field called name, or -1. */
int
valid_field_lookup(const char *name)
{
	for (int i = 0; i < F__MAX; i++)
		if (valid_fields[i].name && strcmp(valid_fields[i].name, name) == 0)
			return i;
	return -1;
}

/*
 * 1 when s[0..len) (valid UTF-8) has no control character: no C0, no DEL
 * and no C1 (U+0080..U+009F, encoded as C2 80..C2 9F).
 */
static int
no_controls(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < len; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return 0;
		if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 &&
		    p[i + 1] <= 0x9f)
			return 0;
	}
	return 1;
}

/* Dotted-quad IPv4, exactly four decimal parts without leading zeros. */
int
valid_ipv4(const char *s)
{
	struct in_addr a;
	int parts = 0;

	for (const char *p = s; *p;) {
		size_t n = strspn(p, "0123456789");
		if (n == 0 || n > 3 || (n > 1 && *p == '0'))
			return 0;
		parts++;
		p += n;
		if (*p == '.')
			p++;
		else if (*p)
			return 0;
	}
	return parts == 4 && inet_pton(AF_INET, s, &a) == 1;
}

/* RFC 1123 host name: labels of [A-Za-z0-9-], not starting/ending in '-'. */
int
valid_hostname(const char *s)
{
	size_t len = strlen(s), lab = 0;

	if (len == 0 || len > 253)
		return 0;
	for (size_t i = 0; i <= len; i++) {
		char c = s[i];
		if (c == '.' || c == '\0') {
			if (lab == 0 || lab > 63 || s[i - 1] == '-')
				return 0;
			lab = 0;
			continue;
		}
		if (!isalnum((unsigned char)c) && c != '-')
			return 0;
		if (lab == 0 && c == '-')
			return 0;
		lab++;
	}
	return 1;
}

/* A TCP port 1..65535 in decimal without sign or leading zeros. */
int
valid_port(const char *s)
{
	size_t n = strspn(s, "0123456789");
	long v;

	if (n == 0 || n > 5 || s[n] != '\0' || s[0] == '0')
		return 0;
	v = strtol(s, NULL, 10);
	return v >= 1 && v <= 65535;
}

/*
 * Check v[0..len) (already valid UTF-8 without NUL) against type and
 * maxlen.  Returns 0, CONN_ETOOBIG or CONN_EINVAL.
 */
int
valid_value(enum valid_type type, const char *v, size_t len, size_t maxlen)
{
	if (len > maxlen)
		return CONN_ETOOBIG;
	if (!util_utf8_valid(v, len) || memchr(v, '\0', len) != NULL)
		return CONN_EINVAL;
	switch (type) {
	case VT_TOKEN:
		for (size_t i = 0; i < len; i++)
			if (!isalnum((unsigned char)v[i]) && v[i] != '-' &&
			    v[i] != '_')
				return CONN_EINVAL;
		return 0;
	case VT_SETUP_CODE:
		for (size_t i = 0; i < len; i++)
			if (!isalnum((unsigned char)v[i]) && v[i] != '-' &&
			    v[i] != ' ')
				return CONN_EINVAL;
		return 0;
	case VT_PASSWORD:
	case VT_TEXT:
		return no_controls(v, len) ? 0 : CONN_EINVAL;
	case VT_HOSTNAME:
		return valid_hostname(v) ? 0 : CONN_EINVAL;
	case VT_IPV4:
		return valid_ipv4(v) ? 0 : CONN_EINVAL;
	case VT_PORT:
		return valid_port(v) ? 0 : CONN_EINVAL;
	}
	return CONN_EINVAL;
}

/* What a value of type must look like, for an error message. */
const char *
valid_type_hint(enum valid_type type)
{
	switch (type) {
	case VT_TOKEN:
		return "letters, digits, '-' and '_' only";
	case VT_SETUP_CODE:
		return "letters, digits and dashes, as printed on the console";
	case VT_PASSWORD:
		return "any characters except control characters";
	case VT_TEXT:
		return "one line of text without control characters";
	case VT_HOSTNAME:
		return "a host name such as vcenter.example.com";
	case VT_IPV4:
		return "an IPv4 address such as 192.0.2.10";
	case VT_PORT:
		return "a port number from 1 to 65535";
	}
	return "";
}
