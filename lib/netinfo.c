/*
 * netinfo.c — what the appliance's network looks like from inside: its
 * current IPv4 addresses (for the certificate, the footer and the
 * "registered IP is current" check).
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "domain.h"

/*
 * The appliance's IPv4 addresses that are up, loopback last.  out holds
 * up to max entries; *n receives the count.
 */
int
netinfo_addresses(char out[][64], size_t max, size_t *n)
{
	struct ifaddrs *ifa, *i;
	int pass;

	*n = 0;
	if (getifaddrs(&ifa) != 0)
		return CONN_EIO;
	for (pass = 0; pass < 2; pass++)
		for (i = ifa; i != NULL && *n < max; i = i->ifa_next) {
			int loop;
			if (i->ifa_addr == NULL ||
			    i->ifa_addr->sa_family != AF_INET ||
			    !(i->ifa_flags & IFF_UP))
				continue;
			loop = (i->ifa_flags & IFF_LOOPBACK) != 0;
			if (loop != pass)
				continue;
			inet_ntop(AF_INET,
			    &((struct sockaddr_in *)i->ifa_addr)->sin_addr,
			    out[*n], 64);
			(*n)++;
		}
	freeifaddrs(ifa);
	return 0;
}

/* The first non-loopback IPv4 address, else 127.0.0.1. */
int
netinfo_primary_ipv4(char *out, size_t outlen)
{
	char addrs[16][64];
	size_t n = 0;

	if (netinfo_addresses(addrs, 16, &n) != 0 || n == 0) {
		snprintf(out, outlen, "127.0.0.1");
		return 0;
	}
	snprintf(out, outlen, "%s", addrs[0]);
	return 0;
}

/*
 * The address vCenter and the portal reach the console at, measured now:
 * a specific listen address when the console listens there (any loopback
 * address — test and demonstration instances listen on one — or one of
 * the machine's addresses, as on an appliance with two networks), else the
 * first non-loopback IPv4 address of the machine.  listen_addr is the
 * console's listen address without its port ("0.0.0.0" or empty: every
 * address; an address the machine does not have is not where the console
 * answers, so it is not used either).  Callers that want the address the
 * connector uses now call netinfo_current_ip, which adds the listen
 * address from the settings.
 */
int
netinfo_console_ip(const char *listen_addr, char *out, size_t outlen)
{
	char addrs[16][64];
	size_t n = 0;

	if (listen_addr != NULL && syntax_ipv4(listen_addr) &&
	    strcmp(listen_addr, "0.0.0.0") != 0) {
		if (strncmp(listen_addr, "127.", 4) == 0) {
			snprintf(out, outlen, "%s", listen_addr);
			return 0;
		}
		if (netinfo_addresses(addrs, 16, &n) == 0)
			for (size_t i = 0; i < n; i++)
				if (strcmp(addrs[i], listen_addr) == 0) {
					snprintf(out, outlen, "%s",
					    listen_addr);
					return 0;
				}
	}
	return netinfo_primary_ipv4(out, outlen);
}

/*
 * The address the connector uses now: the console's listen address from
 * the settings (without its port) and the machine's addresses measured
 * now, as netinfo_console_ip reads them.  A registration sends it, the
 * "Registered IP" item compares it with the registered one, the dashboard
 * and the page footer show it.  listen, when not NULL, receives the listen
 * address without its port ("" when none is set).  Returns 0.
 */
int
netinfo_current_ip(char *out, size_t outlen, char *listen, size_t listenlen)
{
	char addr[80] = "";
	char *colon;

	db_setting_copy(SETTING_LISTEN, addr, sizeof addr);
	if ((colon = strrchr(addr, ':')) != NULL)
		*colon = '\0';
	if (listen != NULL)
		snprintf(listen, listenlen, "%s", addr);
	return netinfo_console_ip(addr, out, outlen);
}
