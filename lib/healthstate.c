/*
 * healthstate.c — the Health Status pane's items and what the last runs of
 * the health job found (lib/health.h).  Reading only: the dashboard, the
 * API, /metrics and the VM-console tool link this file and not the checks.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "health.h"

const struct health_item_def health_items[HI__MAX] = {
	[HI_UPTODATE] = { "uptodate", "Connector Up-to-Date",
	    "Whether this is the current version of the connector." },
	[HI_AWS] = { "aws", "AWS Connectivity",
	    "Whether the connector reaches AWS with the credentials it was "
	    "registered with." },
	[HI_VCENTER] = { "vcenter", "vCenter Connectivity",
	    "Whether the connector signs in to vCenter with its service "
	    "account, and vCenter shows the certificate that was trusted." },
	[HI_REGISTERED_IP] = { "registered_ip",
	    "Connector Registered IP Is Current",
	    "Whether the address the connector registered with is the one it "
	    "uses now." },
	[HI_TIME] = { "time", "System Time Synchronization",
	    "Whether this machine's clock agrees with vCenter and AWS." },
	[HI_USERPROVIDER] = { "userprovider", "UserProvider Service",
	    "Whether the list of vCenter users is read on time." },
	[HI_POLLER] = { "poller", "Poller Service",
	    "Whether the migrations' status is read from AWS on time." },
	[HI_PROXY] = { "proxy", "Network Proxy Configured",
	    "Whether the network proxy answers and reaches AWS." },
	[HI_LOGIN] = { "login", "Connector Dashboard Login",
	    "Failed sign-ins to this console, and whether it is locked." },
	[HI_AUTHPROXY] = { "authproxy", "Authentication Proxy Service",
	    "Whether the connector can obtain temporary AWS credentials for "
	    "the users it signs in." },
	[HI_CERTIFICATE] = { "certificate", "SSL Certificate",
	    "Whether the console's certificate is valid and names the "
	    "connector's address." },
	[HI_DISK] = { "disk", "Disk Space",
	    "Free space where the connector keeps its state and logs." },
};

static const char *const state_ids[] = {
	[HEALTH_ABSENT] = "absent", [HEALTH_NA] = "na", [HEALTH_OK] = "ok",
	[HEALTH_WARNING] = "warning", [HEALTH_ERROR] = "error",
};

static const char *const state_words[] = {
	[HEALTH_ABSENT] = "Not present", [HEALTH_NA] = "Not applicable",
	[HEALTH_OK] = "OK", [HEALTH_WARNING] = "Warning",
	[HEALTH_ERROR] = "Error",
};

const char *
health_state_id(enum health_state s)
{
	return (unsigned)s <= HEALTH_ERROR ? state_ids[s] : "na";
}

const char *
health_state_word(enum health_state s)
{
	return (unsigned)s <= HEALTH_ERROR ? state_words[s] : "Unknown";
}

int
health_state_parse(const char *id, enum health_state *out)
{
	for (int i = 0; i <= HEALTH_ERROR; i++)
		if (strcmp(id, state_ids[i]) == 0) {
			*out = (enum health_state)i;
			return 0;
		}
	return CONN_EINVAL;
}

int
health_item_find(const char *id, enum health_item *out)
{
	for (int i = 0; i < HI__MAX; i++)
		if (strcmp(id, health_items[i].id) == 0) {
			*out = (enum health_item)i;
			return 0;
		}
	return CONN_ENOTFOUND;
}

void
health_set(struct health_result *r, enum health_state s, const char *fmt, ...)
{
	va_list ap;

	r->state = s;
	va_start(ap, fmt);
	vsnprintf(r->summary, sizeof r->summary, fmt, ap);
	va_end(ap);
}
