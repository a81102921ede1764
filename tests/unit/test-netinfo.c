/*
 * test-netinfo.c — the appliance's IPv4 addresses as the machine running
 * the tests has them: 127.0.0.1 is among them and comes after every
 * other address; the primary address is the first non-loopback one, else
 * 127.0.0.1.  The address the connector uses now: its loopback listen
 * address as it is, else the primary address, whatever init recorded.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <string.h>

#include "../../lib/core.h"
#include "../../lib/domain.h"
#include "unit.h"

static char addrs[16][64];
static size_t naddrs;
static char share[PATH_MAX];

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

TEST(current_ip_is_the_loopback_listen_address)
{
	char ip[64], listen[80];

	CHECK(unit_fresh_store() == 0);
	CHECK(db_setting_set(SETTING_LISTEN, "127.0.0.5:8443") == 0);
	CHECK(db_setting_set(SETTING_IP, "192.0.2.9") == 0);	/* init's, old */
	CHECK(netinfo_current_ip(ip, sizeof ip, listen, sizeof listen) == 0);
	CHECK(strcmp(ip, "127.0.0.5") == 0);
	CHECK(strcmp(listen, "127.0.0.5") == 0);
	CHECK(netinfo_current_ip(ip, sizeof ip, NULL, 0) == 0);
	CHECK(strcmp(ip, "127.0.0.5") == 0);
}

TEST(current_ip_of_every_address_or_none_is_the_primary)
{
	char ip[64], listen[80], primary[64];

	CHECK(netinfo_primary_ipv4(primary, sizeof primary) == 0);
	CHECK(unit_fresh_store() == 0);
	CHECK(db_setting_set(SETTING_IP, "192.0.2.9") == 0);
	CHECK(netinfo_current_ip(ip, sizeof ip, listen, sizeof listen) == 0);
	CHECK(strcmp(ip, primary) == 0 && listen[0] == '\0');
	CHECK(db_setting_set(SETTING_LISTEN, "0.0.0.0:443") == 0);
	CHECK(netinfo_current_ip(ip, sizeof ip, listen, sizeof listen) == 0);
	CHECK(strcmp(ip, primary) == 0 && strcmp(listen, "0.0.0.0") == 0);
	/* Not an address: measured, never echoed. */
	CHECK(db_setting_set(SETTING_LISTEN, "127.evil:1") == 0);
	CHECK(netinfo_current_ip(ip, sizeof ip, NULL, 0) == 0);
	CHECK(strcmp(ip, primary) == 0);
}

TEST(current_ip_is_a_listen_address_the_machine_has)
{
	char mine[16][64], ip[64], primary[64];
	size_t n = 0;

	CHECK(netinfo_addresses(mine, 16, &n) == 0 && n > 0);
	CHECK(netinfo_primary_ipv4(primary, sizeof primary) == 0);
	CHECK(unit_fresh_store() == 0);
	/* Each of the machine's addresses, the last (loopback) one too. */
	for (size_t i = 0; i < n; i++) {
		char listen[96];
		snprintf(listen, sizeof listen, "%.63s:443", mine[i]);
		CHECK(db_setting_set(SETTING_LISTEN, listen) == 0);
		CHECK(netinfo_current_ip(ip, sizeof ip, NULL, 0) == 0);
		CHECK(strcmp(ip, mine[i]) == 0);
	}
	/* An address the machine does not have: the console is not there. */
	CHECK(db_setting_set(SETTING_LISTEN, "192.0.2.77:443") == 0);
	CHECK(netinfo_current_ip(ip, sizeof ip, NULL, 0) == 0);
	CHECK(strcmp(ip, primary) == 0);
}

int
main(void)
{
	if (unit_tmp_root("test-netinfo", share, sizeof share) != 0)
		return 1;
	RUN(addresses_are_ipv4_literals);
	RUN(loopback_among_addresses);
	RUN(loopback_comes_last);
	RUN(addresses_respect_max);
	RUN(primary_is_first_non_loopback_else_loopback);
	RUN(primary_truncated_to_buffer);
	RUN(current_ip_is_the_loopback_listen_address);
	RUN(current_ip_of_every_address_or_none_is_the_primary);
	RUN(current_ip_is_a_listen_address_the_machine_has);
	db_close();
	unit_rm_rf(unit_tmp);
	UNIT_EXIT();
}
