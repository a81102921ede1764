/*
 * userprovider.c — the UserProvider service: one run logs in to the
 * registered vCenter with the service account (as registration checked
 * it: the pinned certificate, the same outbound policy), lists every user
 * and group of the domain with UserDirectory.RetrieveUserGroups (walking
 * past vCenter's cap on one answer, lib/vsphere.c), logs out, and replaces
 * the vcenter_users table with what it found in one transaction, counting
 * what was added, changed and removed.
 *
 * Nothing of the database is locked while vCenter is asked: the answers
 * are staged in a temporary table of the job's own connection, and only
 * a complete enumeration replaces the list.  A run that fails anywhere
 * (vCenter down, a refused login, a directory that cannot be walked, a
 * kill) leaves the previous list as it was, and says why in the
 * administrator's words.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "userprovider.h"

/*
 * Split a vCenter sign-in name into its domain and user: "user@domain",
 * "DOMAIN\user", or a bare "user" (domain "").  Returns 0, or CONN_EINVAL
 * for an empty part or one that does not fit.
 */
int
userprovider_split(const char *name, char *domain, size_t domlen,
    char *user, size_t userlen)
{
	const char *sep, *u, *d;
	size_t ul, dl;

	domain[0] = user[0] = '\0';
	if (name == NULL || *name == '\0')
		return CONN_EINVAL;
	if ((sep = strchr(name, '\\')) != NULL) {
		d = name;
		dl = (size_t)(sep - name);
		u = sep + 1;
		ul = strlen(u);
	} else if ((sep = strrchr(name, '@')) != NULL) {
		u = name;
		ul = (size_t)(sep - name);
		d = sep + 1;
		dl = strlen(d);
	} else {
		u = name;
		ul = strlen(name);
		d = "";
		dl = 0;
	}
	if (ul == 0 || ul >= userlen || dl >= domlen || (sep && dl == 0))
		return CONN_EINVAL;
	memcpy(user, u, ul);
	user[ul] = '\0';
	memcpy(domain, d, dl);
	domain[dl] = '\0';
	return 0;
}

/*
 * The domain to enumerate into out: the setting UP_DOMAIN when set
 * (*from_setting 1), else the registered service account's ("" for a
 * bare name: vCenter's default).  Returns 0 or CONN_ENOTFOUND when there
 * is neither.
 */
int
userprovider_domain(char *out, size_t outlen, int *from_setting)
{
	char account[256], user[256];

	*from_setting = 0;
	if (reg_value(UP_DOMAIN, 0, out, outlen) == 0 && out[0]) {
		*from_setting = 1;
		return 0;
	}
	if (reg_value(REG_VC_USER, 0, account, sizeof account) != 0 ||
	    userprovider_split(account, out, outlen, user, sizeof user) != 0)
		return CONN_ENOTFOUND;
	return 0;
}

/* vCenter's cap on one answer: UP_LIMIT, or VSPHERE_DIRECTORY_LIMIT. */
int
userprovider_limit(void)
{
	char v[16];
	long n;

	if (reg_value(UP_LIMIT, 0, v, sizeof v) != 0 || !v[0])
		return VSPHERE_DIRECTORY_LIMIT;
	n = strtol(v, NULL, 10);
	return n >= 1 && n <= UP_LIMIT_MAX ? (int)n : VSPHERE_DIRECTORY_LIMIT;
}

/* Step st (bindings made): 0 or CONN_EDB, logged with what. */
static int
step_done(sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_err("userprovider: cannot %s: %s", what,
		    sqlite3_errmsg(db_handle()));
		return CONN_EDB;
	}
	return 0;
}

/* Step a count query with ?1 bound: the count, or CONN_EDB. */
static long
step_count(sqlite3_stmt *st, const char *what)
{
	long n = CONN_EDB;

	if (sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	else
		log_err("userprovider: cannot count %s: %s", what,
		    sqlite3_errmsg(db_handle()));
	sqlite3_reset(st);
	return n;
}

/*
 * Start staging an enumeration: the temporary table of this connection,
 * emptied.  Returns 0 or CONN_EDB.
 */
int
userprovider_stage_begin(void)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = db_stmt(DB_USERS_STAGE_CREATE)) == NULL ||
	    (rc = step_done(st, "make the staging table")) != 0)
		return CONN_EDB;
	if ((st = db_stmt(DB_USERS_STAGE_CLEAR)) == NULL)
		return CONN_EDB;
	return step_done(st, "empty the staging table");
}

/* Stage one entry (a repeat of a name is dropped).  0 or CONN_EDB. */
int
userprovider_stage(const struct vsphere_principal *p)
{
	sqlite3_stmt *st = db_stmt(DB_USERS_STAGE_ADD);

	if (st == NULL)
		return CONN_EDB;
	sqlite3_bind_text(st, 1, p->principal, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, p->full_name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, p->group ? 1 : 0);
	return step_done(st, "stage a directory entry");
}

/* A count with the domain bound as ?1. */
static long
domain_count(enum db_stmt_id id, const char *domain, const char *what)
{
	sqlite3_stmt *st = db_stmt(id);

	if (st == NULL)
		return CONN_EDB;
	sqlite3_bind_text(st, 1, domain, -1, SQLITE_STATIC);
	return step_count(st, what);
}

/*
 * Replace the list with the staged enumeration of domain, made at now, in
 * one transaction: entries no longer there (and any other domain's) are
 * removed, new ones added with first_seen now, and those whose full name,
 * kind or spelling changed get changed_at now; every entry's last_seen is
 * now, and so is the setting UP_LISTED_AT.  A renamed entry is a removal
 * and an addition (vCenter gives no id that survives a rename).  out says
 * what changed.  Returns 0 or CONN_EDB (nothing changed).
 */
int
userprovider_replace(const char *domain, time_t now, struct up_counts *out)
{
	sqlite3_stmt *st;
	char at[32];
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = db_begin()) != 0)
		return rc;
	rc = CONN_EDB;
	if ((out->added = domain_count(DB_USERS_ADDED, domain,
	    "new entries")) < 0 ||
	    (out->changed = domain_count(DB_USERS_CHANGED, domain,
	    "changed entries")) < 0)
		goto out;
	if ((st = db_stmt(DB_USERS_REMOVE)) == NULL)
		goto out;
	sqlite3_bind_text(st, 1, domain, -1, SQLITE_STATIC);
	if (step_done(st, "remove the entries gone") != 0)
		goto out;
	out->removed = sqlite3_changes(db_handle());
	if ((st = db_stmt(DB_USERS_UPSERT)) == NULL)
		goto out;
	sqlite3_bind_text(st, 1, domain, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	if (step_done(st, "store the entries") != 0)
		goto out;
	if ((st = db_stmt(DB_USERS_TOTALS)) == NULL)
		goto out;
	if (sqlite3_step(st) == SQLITE_ROW) {
		out->users = (long)sqlite3_column_int64(st, 0);
		out->groups = (long)sqlite3_column_int64(st, 1);
		rc = 0;
	}
	sqlite3_reset(st);
	if (rc != 0)
		goto out;
	snprintf(at, sizeof at, "%lld", (long long)now);
	rc = db_setting_set(UP_LISTED_AT, at);
out:
	if ((rc = db_end(rc)) != 0)
		log_err("userprovider: the new list of %s is not stored; the "
		    "previous one is kept", domain[0] ? domain : "vCenter");
	return rc;
}

/*
 * The enumerated vCenter user (a user, not a group, of vcenter_users) the
 * sign-in name typed names: "DOMAIN\user" or "user@domain" (the domain as
 * listed, or its first label as a short name: VSPHERE for vsphere.local),
 * or a bare "user" found in exactly one domain; names compare without
 * regard to case, as vCenter's do.  Returns 0 with the row's domain and
 * principal, CONN_ENOTFOUND (a group, an unknown name, one that does not
 * split), CONN_ECONFLICT when a bare name is in several domains, or
 * CONN_EDB: a sign-in is never let through on an error.
 */
int
userprovider_find_user(const char *typed, char *domain, size_t dlen,
    char *principal, size_t plen)
{
	char d[UP_NAME_MAX + 1], u[UP_NAME_MAX + 1];
	sqlite3_stmt *st;
	int rc, rows = 0;

	domain[0] = principal[0] = '\0';
	if (typed == NULL ||
	    userprovider_split(typed, d, sizeof d, u, sizeof u) != 0)
		return CONN_ENOTFOUND;
	if ((st = db_stmt(DB_USERS_FIND)) == NULL)
		return CONN_EDB;
	sqlite3_bind_text(st, 1, u, -1, SQLITE_STATIC);
	if (d[0])
		sqlite3_bind_text(st, 2, d, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (rows++ == 0) {
			snprintf(domain, dlen, "%s",
			    (const char *)sqlite3_column_text(st, 0));
			snprintf(principal, plen, "%s",
			    (const char *)sqlite3_column_text(st, 1));
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_err("userprovider: cannot look up a vCenter user: %s",
		    sqlite3_errmsg(db_handle()));
		return CONN_EDB;
	}
	if (rows == 0)
		return CONN_ENOTFOUND;
	return rows > 1 ? CONN_ECONFLICT : 0;
}

/* ---- the job ---- */

/* Say in rep->error why the run failed (cut to fit, at a character). */
static void
fail(struct job_report *rep, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
fail(struct job_report *rep, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	util_copy_text(rep->error, sizeof rep->error, msg);
}

/* Each entry vCenter answers goes to the staging table. */
static int
stage_cb(void *arg, const struct vsphere_principal *p)
{
	(void)arg;
	return userprovider_stage(p);
}

/*
 * Why an enumeration failed, into rep->error: what failed, why, what to
 * do, as one clause (the runner and the Users page add around it).
 */
static void
explain(const struct vsphere_error *e, const char *host, int port,
    const char *account, const char *domain, int from_setting,
    struct job_report *rep)
{
	char d[400];

	if (e->kind == VSPHERE_E_TRANSPORT) {
		switch (e->http.kind) {
		case HTTP_EDNS:
			fail(rep, "the name %s does not resolve (DNS); "
			    "check the DNS servers, or register again with "
			    "vCenter's new name", host);
			return;
		case HTTP_ECONNECT:
			if (e->http.cause == HTTP_C_POLICY)
				fail(rep, "%s resolves to an address "
				    "the connector may not connect to "
				    "(loopback, link-local or reserved)", host);
			else
				fail(rep, "nothing answered at %s:%d; "
				    "check that vCenter is running and that "
				    "the connector can reach it", host, port);
			return;
		case HTTP_ETIMEOUT:
			fail(rep, "vCenter at %s:%d did not answer in "
			    "time; check its load and the network", host, port);
			return;
		case HTTP_ETLS:
			if (e->http.cause == HTTP_C_PIN)
				fail(rep, "vCenter's certificate is no "
				    "longer the one trusted at registration; "
				    "register again to review the new one");
			else
				fail(rep, "the TLS handshake with "
				    "%s:%d failed", host, port);
			return;
		default:
			break;
		}
	}
	if (e->kind == VSPHERE_E_FAULT) {
		switch (e->fault) {
		case VSPHERE_FAULT_INVALID_LOGIN:
			fail(rep, "vCenter refused the service "
			    "account %s (its password changed, or it is "
			    "locked or gone); register again with its current "
			    "password", account);
			return;
		case VSPHERE_FAULT_NO_PERMISSION:
			fail(rep, "the service account %s may not "
			    "read vCenter's users and groups; give it a role "
			    "that may", account);
			return;
		case VSPHERE_FAULT_NOT_FOUND:
			if (from_setting)
				fail(rep, "vCenter has no domain "
				    "\"%s\" (the domain set on the Users page); "
				    "set one vCenter knows", domain);
			else
				fail(rep, "vCenter has no domain "
				    "\"%s\" (taken from the service account "
				    "%s); set the domain to enumerate on the "
				    "Users page", domain, account);
			return;
		default:
			break;
		}
	}
	if (e->kind == VSPHERE_E_PROTOCOL) {
		fail(rep, "vCenter at %s:%d answered, but not as a "
		    "vCenter does (%s)", host, port, e->message);
		return;
	}
	vsphere_error_describe(e, d, sizeof d);
	fail(rep, "%s", d);
}

/* Append ", N what" (or the first "N what") to line when n > 0. */
static void
say(char *line, size_t len, long n, const char *what)
{
	size_t used = strlen(line);

	if (n <= 0 || used >= len)
		return;
	snprintf(line + used, len - used, "%s%ld %s",
	    line[used - 1] == ' ' ? "" : ", ", n, what);
}

/*
 * The job: one enumeration as described at the top of this file.  Not
 * registered: nothing to do (0, nothing changed).  Counts in rep: added,
 * changed, removed, users, groups, searches.  rep->line tells what
 * changed, when anything did.  Returns 0 or an error with rep->error.
 */
int
userprovider_run(struct job_report *rep)
{
	char host[SYNTAX_HOST_MAX + 1], port[8], account[256], domain[256];
	struct vsphere_search q = { 0 };
	struct vsphere_walk_stats ws;
	struct vsphere_error err, lerr;
	struct buf pw = { 0 };
	struct up_counts uc;
	struct reg_net n;
	struct vsphere vs;
	int rc, from_setting = 0, vs_ready = 0;

	memset(&err, 0, sizeof err);
	memset(&ws, 0, sizeof ws);
	if (!reg_registered()) {
		log_info("userprovider: the connector is not registered with "
		    "vCenter; there are no users to enumerate");
		return 0;
	}
	if (reg_value(REG_VC_HOST, 0, host, sizeof host) != 0 ||
	    reg_value(REG_VC_PORT, 0, port, sizeof port) != 0 ||
	    reg_value(REG_VC_USER, 0, account, sizeof account) != 0 ||
	    userprovider_domain(domain, sizeof domain, &from_setting) != 0) {
		fail(rep, "the registration "
		    "lacks vCenter's address or service account; register "
		    "again");
		return CONN_ENOTFOUND;
	}
	if ((rc = reg_secret(REG_VC_PASSWORD, 0, &pw)) != 0) {
		fail(rep, "the service account's "
		    "password could not be read (is the encryption key file "
		    "in %s?)", paths_get(PATH_KEYS));
		goto out;
	}
	if ((rc = reg_net_load(&n, 0, 0)) != 0) {
		fail(rep, "the connection "
		    "settings for vCenter could not be read");
		goto out;
	}
	if ((rc = vsphere_init(&vs, host, atoi(port), &n.opts)) != 0) {
		reg_net_wipe(&n);
		fail(rep, "the registered vCenter "
		    "address %s:%s is not valid; register again", host, port);
		goto out;
	}
	vs_ready = 1;
	if ((rc = userprovider_stage_begin()) != 0) {
		fail(rep, "the database could not "
		    "stage the enumeration; the previous list is kept");
		goto out;
	}
	q.domain = domain;
	q.search = "";
	q.users = q.groups = 1;
	rc = vsphere_connect(&vs, &err);
	if (rc == 0)
		rc = vsphere_login(&vs, account, pw.data ? pw.data : "", &err);
	util_wipe(pw.data, pw.cap);
	if (rc == 0) {
		rc = vsphere_users(&vs, &q, userprovider_limit(), stage_cb,
		    NULL, &ws, &err);
		vsphere_logout(&vs, &lerr);
	}
	if (rc != 0) {
		if (err.kind != VSPHERE_E_NONE)
			explain(&err, host, atoi(port), account, domain,
			    from_setting, rep);
		else
			fail(rep, "the database "
			    "could not stage the enumeration");
		log_err("userprovider: the enumeration of %s failed after %ld "
		    "searches; the previous list is kept",
		    domain[0] ? domain : "the default domain", ws.calls);
		goto out;
	}
	if ((rc = userprovider_replace(domain, util_now(), &uc)) != 0) {
		fail(rep, "the new list could not "
		    "be stored (database error); the previous list is kept");
		goto out;
	}
	job_count(rep, "added", uc.added);
	job_count(rep, "changed", uc.changed);
	job_count(rep, "removed", uc.removed);
	job_count(rep, "users", uc.users);
	job_count(rep, "groups", uc.groups);
	job_count(rep, "searches", ws.calls);
	log_info("userprovider: %ld users and %ld groups of %s in %ld "
	    "searches (%ld narrowed); %ld added, %ld changed, %ld removed",
	    uc.users, uc.groups, domain[0] ? domain : "the default domain",
	    ws.calls, ws.narrowed, uc.added, uc.changed, uc.removed);
	if (uc.added || uc.changed || uc.removed) {
		char line[768];
		snprintf(line, sizeof line, "userprovider: %s: ",
		    domain[0] ? domain : "vCenter");
		say(line, sizeof line, uc.added, "added");
		say(line, sizeof line, uc.changed, "changed");
		say(line, sizeof line, uc.removed, "removed");
		snprintf(line + strlen(line), sizeof line - strlen(line),
		    "; %ld users and %ld groups now", uc.users, uc.groups);
		util_copy_text(rep->line, sizeof rep->line, line);
	}
out:
	if (vs_ready) {
		vsphere_free(&vs);
		reg_net_wipe(&n);
	}
	util_wipe(pw.data, pw.cap);
	buf_free(&pw);
	return rc;
}
