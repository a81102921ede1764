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

/* ---- reading: the rows, the overall state, the history ---- */

/* A row as stored into r (its item already set); 0, or CONN_EINVAL for a
 * state this program does not know (a newer schema). */
static int
row_read(sqlite3_stmt *st, struct health_row *r)
{
	const char *s;
	size_t n;

	if (health_state_parse((const char *)sqlite3_column_text(st, 1),
	    &r->state) != 0)
		return CONN_EINVAL;
	util_copy_text(r->summary, sizeof r->summary,
	    (const char *)sqlite3_column_text(st, 2));
	snprintf(r->details, sizeof r->details, "%s",
	    (const char *)sqlite3_column_text(st, 3));
	r->checked_at = (time_t)sqlite3_column_int64(st, 4);
	r->since = (time_t)sqlite3_column_int64(st, 5);
	r->duration_ms = (long)sqlite3_column_int64(st, 6);
	/* The strip right-aligned: its last character is the newest
	 * quarter-hour; what is missing before it was not seen. */
	s = (const char *)sqlite3_column_text(st, 7);
	n = strlen(s);
	if (n > HEALTH_STRIP_SLOTS) {
		s += n - HEALTH_STRIP_SLOTS;
		n = HEALTH_STRIP_SLOTS;
	}
	memset(r->strip, '-', HEALTH_STRIP_SLOTS - n);
	memcpy(r->strip + HEALTH_STRIP_SLOTS - n, s, n);
	r->strip[HEALTH_STRIP_SLOTS] = '\0';
	for (char *p = r->strip; *p; p++)
		if (strchr("-nowe", *p) == NULL)
			*p = '-';
	return 0;
}

static int
table_keep(void *arg, const struct health_row *r)
{
	struct health_table *t = arg;

	if (t->n < HI__MAX)
		t->rows[t->n++] = *r;
	return 0;
}

int
health_table_read(struct health_table *t)
{
	t->n = 0;
	return health_rows_each(table_keep, t);
}

int
health_rows_each(int (*cb)(void *arg, const struct health_row *r), void *arg)
{
	static struct health_row rows[HI__MAX];
	sqlite3_stmt *st;
	enum health_item it;
	int rc;

	for (int i = 0; i < HI__MAX; i++) {
		struct health_row *r = &rows[i];
		memset(r, 0, sizeof *r);
		r->item = (enum health_item)i;
		r->state = HEALTH_NA;
		snprintf(r->summary, sizeof r->summary, "Not checked yet.");
		memset(r->strip, '-', HEALTH_STRIP_SLOTS);
	}
	if ((st = db_stmt(DB_HEALTH_ROWS)) == NULL)
		return CONN_EDB;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		/* An item this program does not know (a newer version wrote
		 * it) is not shown. */
		if (health_item_find((const char *)sqlite3_column_text(st, 0),
		    &it) != 0)
			continue;
		if (row_read(st, &rows[it]) != 0) {
			log_warn("health: item %s has an unknown state",
			    health_items[it].id);
			rows[it].state = HEALTH_NA;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return CONN_EDB;
	for (int i = 0; i < HI__MAX; i++)
		if ((rc = cb(arg, &rows[i])) != 0)
			return rc;
	return 0;
}

enum health_state
health_overall(const struct health_row *rows, size_t n)
{
	enum health_state worst = HEALTH_NA;

	for (size_t i = 0; i < n; i++)
		if (rows[i].state >= HEALTH_OK && rows[i].state > worst)
			worst = rows[i].state;
	return worst;
}

int
health_log_each(enum health_item item, int limit,
    int (*cb)(void *arg, time_t at, enum health_state s, const char *summary,
    const char *details, long duration_ms), void *arg)
{
	sqlite3_stmt *st;
	enum health_state s;
	int rc;

	if ((unsigned)item >= HI__MAX)
		return CONN_EINVAL;
	if ((st = db_stmt(DB_HEALTH_LOG)) == NULL)
		return CONN_EDB;
	sqlite3_bind_text(st, 1, health_items[item].id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (health_state_parse((const char *)sqlite3_column_text(st, 1),
		    &s) != 0)
			s = HEALTH_NA;
		if ((rc = cb(arg, (time_t)sqlite3_column_int64(st, 0), s,
		    (const char *)sqlite3_column_text(st, 2),
		    (const char *)sqlite3_column_text(st, 3),
		    (long)sqlite3_column_int64(st, 4))) != 0) {
			sqlite3_reset(st);
			return rc;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : CONN_EDB;
}
