/*
 * syntax.c — plain syntax checkers for the values the connector handles:
 * addresses, host names, ports, and which peers an outbound connection may
 * reach.  They know nothing of forms or requests, so the request layer's
 * field table, the outbound clients and the CLI all call the same ones.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base.h"

/* Dotted-quad IPv4, exactly four decimal parts without leading zeros. */
int
syntax_ipv4(const char *s)
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
syntax_hostname(const char *s)
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

/*
 * 1 when s is a dotted-quad IPv4 address, or an RFC 1123 host name whose
 * last label is not all digits and that the resolver would not read as an
 * address in another notation ("0x7f.1", "2130706433", "127.1").
 */
int
syntax_host_or_ipv4(const char *s)
{
	struct in_addr a;
	const char *last;

	if (syntax_ipv4(s))
		return 1;
	if (!syntax_hostname(s) || inet_aton(s, &a) != 0)
		return 0;
	last = strrchr(s, '.');
	last = last ? last + 1 : s;
	return strspn(last, "0123456789") != strlen(last);
}

/* A TCP port 1..65535 in decimal without sign or leading zeros. */
int
syntax_port(const char *s)
{
	size_t n = strspn(s, "0123456789");
	long v;

	if (n == 0 || n > 5 || s[n] != '\0' || s[0] == '0')
		return 0;
	v = strtol(s, NULL, 10);
	return v >= 1 && v <= 65535;
}

/*
 * Split "HOST" or "HOST:PORT" (HOST a host name of at most 253 characters,
 * labels of at most 63, or an IPv4 address) into host (hostlen of 254
 * holds any) and port (443 when absent).  Returns 1 when s is well formed,
 * else 0.
 */
int
syntax_host_port(const char *s, char *host, size_t hostlen, int *port)
{
	const char *colon = strchr(s, ':');
	size_t n = colon ? (size_t)(colon - s) : strlen(s);
	char h[SYNTAX_HOST_MAX + 1];

	if (n == 0 || n > SYNTAX_HOST_MAX || n >= hostlen)
		return 0;
	memcpy(h, s, n);
	h[n] = '\0';
	if (!syntax_host_or_ipv4(h))
		return 0;
	if (colon && !syntax_port(colon + 1))
		return 0;
	memcpy(host, h, n + 1);
	*port = colon ? atoi(colon + 1) : 443;
	return 1;
}

/*
 * 1 when s is an AWS region name: lower-case letters first, then
 * [a-z0-9-] without "--", ending in "-" and digits; 6 to 31 characters
 * (eu-west-1, us-gov-west-1).
 */
int
syntax_region(const char *s)
{
	size_t len = s ? strlen(s) : 0;
	const char *last;

	if (len < 6 || len > SYNTAX_REGION_MAX || !islower((unsigned char)s[0]))
		return 0;
	if (strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") != len ||
	    strstr(s, "--") != NULL)
		return 0;
	last = strrchr(s, '-');
	return last != NULL && last[1] != '\0' &&
	    strspn(last + 1, "0123456789") == strlen(last + 1);
}

/*
 * 1 when the IPv4 address (host byte order) may be an outbound peer: not
 * "this network" (0/8), loopback (127/8, unless allow_loopback), link-local
 * (169.254/16, where cloud metadata services live), multicast (224/4) or
 * reserved and broadcast (240/4).
 */
int
syntax_peer_ipv4(uint32_t a, int allow_loopback)
{
	unsigned top = a >> 24;

	if (top == 0 || top >= 224)
		return 0;
	if (top == 127)
		return allow_loopback;
	if ((a >> 16) == 0xa9fe)
		return 0;
	return 1;
}

/* The same for IPv6: not ::, ::1, fe80::/10, ff00::/8; mapped IPv4 as IPv4. */
int
syntax_peer_ipv6(const unsigned char a[16], int allow_loopback)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	int zero = 1;

	if (memcmp(a, mapped, sizeof mapped) == 0)
		return syntax_peer_ipv4((uint32_t)a[12] << 24 |
		    (uint32_t)a[13] << 16 | (uint32_t)a[14] << 8 | a[15],
		    allow_loopback);
	for (int i = 0; i < 15; i++)
		if (a[i])
			zero = 0;
	if (zero)
		return a[15] == 1 ? allow_loopback : 0;
	if (a[0] == 0xff || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80))
		return 0;
	return 1;
}

/*
 * 1 when s may name an outbound peer as typed: a dotted-quad the address
 * policy allows, or a host name other than "localhost" and names below it.
 */
int
syntax_peer_literal(const char *s, int allow_loopback)
{
	struct in_addr in;
	size_t len = strlen(s);

	if (syntax_ipv4(s) && inet_pton(AF_INET, s, &in) == 1)
		return syntax_peer_ipv4(ntohl(in.s_addr), allow_loopback);
	if (!syntax_host_or_ipv4(s))	/* also refuses a trailing dot */
		return 0;
	if ((len == 9 && strncasecmp(s, "localhost", 9) == 0) ||
	    (len > 10 && strncasecmp(s + len - 10, ".localhost", 10) == 0))
		return 0;
	return 1;
}

/* ---- the names of things in vCenter and AWS ---- */

/* 1 when s[0..n) are lower-case letters and digits (hex when hex). */
static int
id_chars(const char *s, size_t n, int hex)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!isdigit(c) && !(hex ? c >= 'a' && c <= 'f' : islower(c)))
			return 0;
	}
	return 1;
}

/*
 * What kind of import task id s is: SYNTAX_TASK_IMAGE for an ImportImage
 * task (import-ami- and 8 to 17 hexadecimal digits), SYNTAX_TASK_CONVERSION
 * for an ImportInstance or ImportVolume task (import-i- or import-vol-
 * and 8 to 17 lower-case letters or digits), or SYNTAX_TASK_NONE.
 */
enum syntax_task_kind
syntax_task_id(const char *s)
{
	static const struct {
		const char *prefix;
		int hex;
		enum syntax_task_kind kind;
	} forms[] = {
		{ "import-ami-", 1, SYNTAX_TASK_IMAGE },
		{ "import-i-", 0, SYNTAX_TASK_CONVERSION },
		{ "import-vol-", 0, SYNTAX_TASK_CONVERSION },
	};
	size_t n;

	for (size_t i = 0; s && i < sizeof forms / sizeof forms[0]; i++) {
		size_t p = strlen(forms[i].prefix);
		if (strncmp(s, forms[i].prefix, p) != 0)
			continue;
		n = strlen(s + p);
		if (n >= 8 && n <= 17 && id_chars(s + p, n, forms[i].hex))
			return forms[i].kind;
	}
	return SYNTAX_TASK_NONE;
}

/* 1 when s is a bucket name usable in a path (lower case, digits, . -). */
int
syntax_bucket(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 3 || n > 63)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) && s[i] != '-' && s[i] != '.')
			return 0;
	return 1;
}

/*
 * 1 when key is an S3 object key we send: 1..1024 bytes, not starting
 * with '/', without "." or ".." path segments (the HTTP layer would fold
 * them and the object would land outside the bucket's prefix, or in
 * another bucket).
 */
int
syntax_object_key(const char *key)
{
	size_t n;

	if (key == NULL || (n = strlen(key)) == 0 || n > 1024 || key[0] == '/')
		return 0;
	for (const char *seg = key; seg != NULL;) {
		const char *end = strchr(seg, '/');
		size_t sl = end ? (size_t)(end - seg) : strlen(seg);
		if ((sl == 1 && seg[0] == '.') ||
		    (sl == 2 && seg[0] == '.' && seg[1] == '.'))
			return 0;
		seg = end ? end + 1 : NULL;
	}
	return 1;
}

/* 1 when s is a vCenter managed object id: 1 to SYNTAX_MOREF_MAX of
 * [A-Za-z0-9._:-], starting with a letter or a digit (vm-42). */
int
syntax_moref(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > SYNTAX_MOREF_MAX || !isalnum((unsigned char)s[0]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._:-", s[i]))
			return 0;
	return 1;
}
