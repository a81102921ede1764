/*
 * test-netinfo.c — the appliance's IPv4 addresses as the machine running
 * the tests has them: 127.0.0.1 is among them and comes after every
 * other address; the primary address is the first non-loopback one, else
 * 127.0.0.1.
 */
#include <arpa/inet.h>
#include <string.h>

#include "../../lib/core.h"
#include "../../lib/domain.h"
#include "unit.h"

static char addrs[16][64];
static size_t naddrs;

static int
is_loopback(const char *a)
{
	return strncmp(a, "127.", 4) == 0;
}

TEST(addresses_are_ipv4_literals)
{
	struct in_addr in;

	CHECK(netinfo_addresses(addrs, 16, &naddrs) == 0);
	CHECK(naddrs >= 1 && naddrs <= 16);
	for (size_t i = 0; i < naddrs; i++) {
		CHECK(inet_pton(AF_INET, addrs[i], &in) == 1);
		CHECK(syntax_ipv4(addrs[i]));
	}
}

TEST(loopback_among_addresses)
{
	int found = 0;

	for (size_t i = 0; i < naddrs; i++)
		found |= strcmp(addrs[i], "127.0.0.1") == 0;
	CHECK(found);
}

TEST(loopback_comes_last)
{
	size_t lo = naddrs;

	for (size_t i = 0; i < naddrs; i++)
		if (strcmp(addrs[i], "127.0.0.1") == 0)
			lo = i;
	CHECK(lo < naddrs);
	/* No address of another interface follows it. */
	for (size_t i = lo + 1; i < naddrs; i++)
		CHECK(is_loopback(addrs[i]));
	CHECK(is_loopback(addrs[naddrs - 1]));
}

TEST(addresses_respect_max)
{
	char one[1][64];
	size_t n = 99;

	CHECK(netinfo_addresses(one, 1, &n) == 0);
	CHECK(n == 1);
	CHECK(strcmp(one[0], addrs[0]) == 0);
	n = 99;
	CHECK(netinfo_addresses(one, 0, &n) == 0);
	CHECK(n == 0);
}

TEST(primary_is_first_non_loopback_else_loopback)
{
	char primary[64];
	const char *want = "127.0.0.1";

	for (size_t i = 0; i < naddrs; i++)
		if (!is_loopback(addrs[i])) {
			want = addrs[i];
			break;
		}
	CHECK(netinfo_primary_ipv4(primary, sizeof primary) == 0);
	CHECK(strcmp(primary, want) == 0);
	/* Loopback comes last, so the primary is the first address. */
	CHECK(strcmp(primary, addrs[0]) == 0);
}

TEST(primary_truncated_to_buffer)
{
	char small[4];

	memset(small, 'z', sizeof small);
	CHECK(netinfo_primary_ipv4(small, sizeof small) == 0);
	CHECK(small[3] == '\0' && strlen(small) == 3);
}

int
main(void)
{
	RUN(addresses_are_ipv4_literals);
	RUN(loopback_among_addresses);
	RUN(loopback_comes_last);
	RUN(addresses_respect_max);
	RUN(primary_is_first_non_loopback_else_loopback);
	RUN(primary_truncated_to_buffer);
	UNIT_EXIT();
}
