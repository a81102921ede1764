/*
 * check_local.c — the health checks of this machine and this connector
 * (lib/health.h): the registered address against the one in use now, the
 * UserProvider's and the poller's last runs, failed sign-ins and the
 * lockout, the console's certificate, and free disk space.  Each reads the
 * database and the machine and writes nothing; the runner stores what it
 * finds.  The decisions are pure functions (lib/check_local.h) so the
 * unit tests can give them any figures.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "check_local.h"
#include "poller.h"
#include "userprovider.h"

/* ---- small helpers ---- */

/* t as "2026-12-02 12:00 UTC" (the console's way) into out. */
static const char *
when(time_t t, char *out, size_t outlen)
{
	struct tm tm;

	if (t <= 0 || gmtime_r(&t, &tm) == NULL)
		snprintf(out, outlen, "never");
	else
		strftime(out, outlen, "%Y-%m-%d %H:%M UTC", &tm);
	return out;
}

/* t as ISO 8601 UTC for the details; null when 0. */
static json_t *
json_time(time_t t)
{
	char v[32];
	struct tm tm;

	if (t <= 0 || gmtime_r(&t, &tm) == NULL)
		return json_null();
	strftime(v, sizeof v, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(v);
}

/* An age in the largest whole unit: "3 days", "1 hour", "12 minutes". */
static const char *
age_words(long secs, char *out, size_t outlen)
{
	long n;
	const char *unit;

	if (secs < 0)
		secs = 0;
	if (secs >= 2 * 86400) {
		n = secs / 86400;
		unit = "day";
	} else if (secs >= 2 * 3600) {
		n = secs / 3600;
		unit = "hour";
	} else {
		n = secs / 60;
		unit = "minute";
	}
	snprintf(out, outlen, "%ld %s%s", n, unit, n == 1 ? "" : "s");
	return out;
}

/* details.values[name] = v (the figures /metrics exports). */
static void
set_value(json_t *d, const char *name, double v)
{
	json_t *values = json_object_get(d, "values");

	if (values == NULL) {
		values = json_object();
		if (json_object_set_new(d, "values", values) != 0)
			return;
	}
	json_object_set_new(values, name, json_real(v));
}

/* A NOT-registered result: the item waits for the registration. */
static int
needs_registration(struct health_result *r, const char *what)
{
	if (reg_registered())
		return 0;
	health_set(r, HEALTH_NA, "Not registered yet: register the connector "
	    "to check %s.", what);
	return 1;
}

/* ---- Connector Registered IP Is Current ---- */

void
check_registered_ip(const struct health_env *env, struct health_result *r,
    json_t *d)
{
	char reg[64] = "", now[64], listen[80], addrs[16][64];
	json_t *list;
	size_t n = 0;

	(void)env;
	if (needs_registration(r, "the address vCenter and the portal reach "
	    "it at"))
		return;
	reg_value(REG_IP, 0, reg, sizeof reg);
	netinfo_current_ip(now, sizeof now, listen, sizeof listen);
	json_object_set_new(d, "registered", json_string(reg));
	json_object_set_new(d, "current", json_string(now));
	json_object_set_new(d, "listen", json_string(listen[0] ? listen :
	    "0.0.0.0"));
	if ((list = json_array()) != NULL) {
		if (netinfo_addresses(addrs, 16, &n) == 0)
			for (size_t i = 0; i < n; i++)
				json_array_append_new(list,
				    json_string(addrs[i]));
		json_object_set_new(d, "addresses", list);
	}
	if (strcmp(reg, now) == 0) {
		health_set(r, HEALTH_OK, "The connector is registered with the "
		    "address it uses now, %s.", now);
		return;
	}
	json_object_set_new(d, "stage", json_string("local"));
	health_set(r, HEALTH_WARNING, "The connector's address is now %s; it "
	    "registered as %s. Update the registration so vCenter and the "
	    "portal reach it at %s.", now, reg[0] ? reg : "no address", now);
}

/* ---- UserProvider Service, Poller Service ---- */

/*
 * The runs of job from the jobs table: the newest and the newest that
 * worked.  0 or CONN_EDB.
 */
static int
job_runs(const char *job, struct check_job_runs *j)
{
	sqlite3_stmt *st;
	int rc;

	memset(j, 0, sizeof *j);
	for (int ok = 0; ok < 2; ok++) {
		if ((st = db_stmt(DB_JOB_LAST)) == NULL)
			return CONN_EDB;
		sqlite3_bind_text(st, 1, job, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, ok);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW && !ok) {
			j->any = 1;
			snprintf(j->outcome, sizeof j->outcome, "%s",
			    (const char *)sqlite3_column_text(st, 0));
			j->started_at = sqlite3_column_int64(st, 1);
			j->ended_at = sqlite3_column_int64(st, 2);
			snprintf(j->counts, sizeof j->counts, "%s",
			    (const char *)sqlite3_column_text(st, 3));
			snprintf(j->error, sizeof j->error, "%s",
			    (const char *)sqlite3_column_text(st, 4));
		} else if (rc == SQLITE_ROW)
			j->ok_at = sqlite3_column_int64(st, 2);
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return CONN_EDB;
	}
	return 0;
}

/*
 * What a job's runs say: the newest finished run failed; no success for
 * CHECK_JOB_STALE_INTERVALS intervals; the first run since a recent
 * registration is still due; or fine.
 */
enum check_job_verdict
check_job_verdict(const struct check_job_runs *j, time_t registered_at,
    time_t now, long interval)
{
	time_t limit = now - CHECK_JOB_STALE_INTERVALS * interval;

	if (j->any && strcmp(j->outcome, "failed") == 0)
		return JOB_FAILED;
	if (j->ok_at > 0 && j->ok_at >= limit)
		return JOB_FINE;
	if (registered_at > limit && j->ok_at < registered_at)
		return JOB_NOT_YET;
	return JOB_STALE;
}

/* One job's check: what it refreshes, in the administrator's words. */
struct job_item {
	const char *job;
	const char *name_cap;	/* "The UserProvider", to begin a sentence */
	const char *name;	/* "the UserProvider" */
	const char *refreshes;	/* "the list of vCenter users" */
	long interval;		/* seconds */
};

/* "12 users, 3 groups" from a run's counts, the keys named in keys[]. */
static void
counts_words(json_t *counts, const char *const *keys, char *out,
    size_t outlen)
{
	size_t o = 0;

	out[0] = '\0';
	for (; *keys && o < outlen; keys++) {
		json_t *v = json_object_get(counts, *keys);
		if (!json_is_integer(v))
			continue;
		o += (size_t)snprintf(out + o, outlen - o, "%s%lld %s",
		    o ? ", " : "", (long long)json_integer_value(v), *keys);
	}
}

static void
check_job(const struct job_item *it, const char *const *keys,
    const struct health_env *env, struct health_result *r, json_t *d)
{
	struct check_job_runs j;
	char t1[32], t2[32], age[32], every[32], nums[160] = "";
	char regat[32] = "";
	json_t *counts = NULL;
	time_t registered_at;

	if (job_runs(it->job, &j) != 0) {
		json_object_set_new(d, "stage", json_string("local"));
		health_set(r, HEALTH_ERROR, "The record of %s's runs cannot be "
		    "read from the connector's database. Details are in %s.",
		    it->job, paths_get(PATH_LOGFILE));
		return;
	}
	reg_value(REG_AT, 0, regat, sizeof regat);
	registered_at = strtoll(regat, NULL, 10);
	if (j.counts[0])
		counts = json_loads(j.counts, 0, NULL);
	json_object_set_new(d, "last_run", json_time(j.any ? j.started_at :
	    0));
	json_object_set_new(d, "last_success", json_time(j.ok_at));
	json_object_set_new(d, "outcome", j.any ? json_string(j.outcome) :
	    json_null());
	if (j.error[0])
		json_object_set_new(d, "error", json_string(j.error));
	if (json_is_object(counts))
		json_object_set(d, "counts", counts);
	json_object_set_new(d, "interval_seconds", json_integer(it->interval));
	if (j.ok_at > 0)
		set_value(d, "last_success_age_seconds",
		    (double)(env->now - j.ok_at));
	age_words(CHECK_JOB_STALE_INTERVALS * it->interval, every,
	    sizeof every);
	/* The run's error is a sentence; this one goes on after it. */
	for (size_t n = strlen(j.error); n > 0 && (j.error[n - 1] == '.' ||
	    j.error[n - 1] == ' '); n--)
		j.error[n - 1] = '\0';
	switch (check_job_verdict(&j, registered_at, env->now,
	    it->interval)) {
	case JOB_FAILED:
		json_object_set_new(d, "stage", json_string("local"));
		health_set(r, HEALTH_ERROR, "%s's last run, at %s, failed: %s."
		    "%s%s%s", it->name_cap, when(j.started_at, t1, sizeof t1),
		    j.error[0] ? j.error : "no reason was recorded",
		    j.ok_at ? " Its last success was at " : "",
		    j.ok_at ? when(j.ok_at, t2, sizeof t2) : "",
		    j.ok_at ? "." : "");
		break;
	case JOB_STALE:
		json_object_set_new(d, "stage", json_string("local"));
		health_set(r, HEALTH_ERROR, "%s hasn't refreshed %s %s%s (it "
		    "runs every %s; more than %s have passed). If the service "
		    "hasn't refreshed, try restarting services (connector-setup "
		    "restart-services on the VM console).", it->name_cap,
		    it->refreshes, j.ok_at ? "since " : "since the registration "
		    "at ", when(j.ok_at ? j.ok_at : registered_at, t1,
		    sizeof t1), age_words(it->interval, age, sizeof age), every);
		break;
	case JOB_NOT_YET:
		health_set(r, HEALTH_NA, "Registered at %s: %s's first run is "
		    "due within %s.", when(registered_at, t1, sizeof t1),
		    it->name, age_words(it->interval, age, sizeof age));
		break;
	case JOB_FINE:
		if (json_is_object(counts))
			counts_words(counts, keys, nums, sizeof nums);
		health_set(r, HEALTH_OK, "%s refreshed %s at %s%s%s.", it->name_cap,
		    it->refreshes, when(j.ok_at, t1, sizeof t1),
		    nums[0] ? ": " : "", nums);
		break;
	}
	json_decref(counts);
}

void
check_userprovider(const struct health_env *env, struct health_result *r,
    json_t *d)
{
	static const struct job_item it = { UP_JOB, "The UserProvider",
	    "the UserProvider", "the list of vCenter users",
	    UP_INTERVAL_MINUTES * 60L };
	static const char *const keys[] = { "users", "groups", NULL };

	if (needs_registration(r, "that the list of vCenter users is read on "
	    "time"))
		return;
	check_job(&it, keys, env, r, d);
}

void
check_poller(const struct health_env *env, struct health_result *r,
    json_t *d)
{
	static const struct job_item it = { POLLER_JOB, "The poller",
	    "the poller", "the migrations' status", POLLER_INTERVAL };
	static const char *const keys[] = { "checked", "changed", "started",
	    NULL };

	if (needs_registration(r, "that the migrations' status is read on "
	    "time"))
		return;
	check_job(&it, keys, env, r, d);
}

/* ---- Connector Dashboard Login ---- */

/* Addresses with failures since since, newest first, into d.sources. */
static void
login_sources(json_t *d, int limit)
{
	sqlite3_stmt *st = db_stmt(DB_SOURCES_RECENT);
	json_t *list = json_array();

	if (st == NULL || list == NULL) {
		json_decref(list);
		return;
	}
	sqlite3_bind_int(st, 1, limit);
	while (sqlite3_step(st) == SQLITE_ROW) {
		/* addr, total, last_failure_at, recent */
		if (sqlite3_column_int(st, 3) <= 0)
			continue;
		json_array_append_new(list, json_pack("{s:s, s:i, s:o, s:i}",
		    "address", (const char *)sqlite3_column_text(st, 0),
		    "failed", sqlite3_column_int(st, 3),
		    "last", json_time(sqlite3_column_int64(st, 2)),
		    "failed_30_days", sqlite3_column_int(st, 1)));
	}
	sqlite3_reset(st);
	json_object_set_new(d, "sources", list);
}

void
check_login(const struct health_env *env, struct health_result *r,
    json_t *d)
{
	struct auth_admin a;
	char t1[32], t2[32], period[256];
	const char *event;
	time_t since;

	(void)env;
	if (auth_admin_get(&a) != 0) {
		json_object_set_new(d, "stage", json_string("local"));
		health_set(r, HEALTH_ERROR, "The console's sign-in record cannot "
		    "be read from the connector's database. Details are in %s.",
		    paths_get(PATH_LOGFILE));
		return;
	}
	if (!a.claimed) {
		health_set(r, HEALTH_NA, "No password is set yet: claim the "
		    "console with the setup code from the VM console.");
		return;
	}
	/* The period: since the last sign-in or password reset. */
	if (a.password_changed_at > a.last_login_at) {
		since = a.password_changed_at;
		event = "the password was set";
	} else {
		since = a.last_login_at;
		event = "the last successful sign-in";
	}
	snprintf(period, sizeof period, "failed sign-ins per address since %s "
	    "at %s (at most 10 addresses, newest first); failed_30_days: the "
	    "last 30 days", event, when(since, t1, sizeof t1));
	json_object_set_new(d, "failed", json_integer(a.failed_count));
	json_object_set_new(d, "locked", json_boolean(a.locked));
	json_object_set_new(d, "since", json_time(since));
	json_object_set_new(d, "since_event", json_string(event));
	json_object_set_new(d, "sources_period", json_string(period));
	if (a.failures_began_at)
		json_object_set_new(d, "failures_began",
		    json_time(a.failures_began_at));
	if (a.locked)
		json_object_set_new(d, "locked_at", json_time(a.locked_at));
	if (a.last_failure_at)
		json_object_set_new(d, "last_failure",
		    json_pack("{s:s, s:o}", "address", a.last_failure_addr,
		    "at", json_time(a.last_failure_at)));
	login_sources(d, 10);
	set_value(d, "failed_sign_ins", a.failed_count);
	set_value(d, "locked", a.locked);
	if (a.locked) {
		json_object_set_new(d, "stage", json_string("authentication"));
		health_set(r, HEALTH_ERROR, "The console is locked after %d "
		    "failed sign-ins since %s. Reset the password on the VM "
		    "console (connector-setup reset-password, menu option 1) to "
		    "unlock it.", a.failed_count,
		    when(a.failures_began_at ? a.failures_began_at : a.locked_at,
		    t1, sizeof t1));
		return;
	}
	if (a.failed_count > 0) {
		json_object_set_new(d, "stage", json_string("authentication"));
		health_set(r, HEALTH_WARNING, "%d failed sign-in%s since %s at "
		    "%s, the last from %s at %s. The console locks after %d in "
		    "a row; if these were not you, look at the addresses in the "
		    "details.", a.failed_count, a.failed_count == 1 ? "" : "s",
		    event, when(since, t1, sizeof t1),
		    a.last_failure_addr[0] ? a.last_failure_addr :
		    "an unknown address", when(a.last_failure_at, t2,
		    sizeof t2), AUTH_LOCK_AFTER);
		return;
	}
	health_set(r, HEALTH_OK, "No failed sign-ins since %s at %s.", event,
	    when(since, t1, sizeof t1));
}

/* ---- SSL Certificate ---- */

/* What is wrong with certificate f at now, the worst first. */
enum check_cert_problem
check_cert_problem(const struct tls_facts *f, time_t now)
{
	if (f->not_after <= now)
		return CERT_EXPIRED;
	if (f->not_before > now)
		return CERT_NOT_YET_VALID;
	if (!f->covers)
		return CERT_NOT_COVERING;
	if (f->not_after - now <= CHECK_CERT_WARN_SECONDS)
		return CERT_EXPIRING;
	return CERT_FINE;
}

/* The names of f as "IP:a, DNS:b" into out. */
static void
cert_names(const struct tls_facts *f, json_t *list, char *out, size_t outlen)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < f->nip + f->ndns; i++) {
		const char *kind = i < f->nip ? "IP" : "DNS";
		const char *name = i < f->nip ? f->ip[i] : f->dns[i - f->nip];
		if (list)
			json_array_append_new(list, json_pack("{s:s, s:s}",
			    "type", kind, "name", name));
		if (o < outlen)
			o += (size_t)snprintf(out + o, outlen - o, "%s%s:%s",
			    o ? ", " : "", kind, name);
	}
	if (out[0] == '\0')
		snprintf(out, outlen, "no names");
}

void
check_certificate(const struct health_env *env, struct health_result *r,
    json_t *d)
{
	static const char renew[] = "Make a new one on the VM console: move "
	    "%s/current aside, run connector-setup init (it makes a "
	    "certificate for the current addresses), then connector-setup "
	    "reload-nginx.";
	const char *path = paths_get(PATH_TLS_CERT);
	char ip[64], listen[80], names[200], t1[32], age[32], fix[512];
	struct tls_facts f;
	json_t *list;
	int rc;

	netinfo_current_ip(ip, sizeof ip, listen, sizeof listen);
	snprintf(fix, sizeof fix, renew, paths_get(PATH_TLS));
	json_object_set_new(d, "path", json_string(path));
	json_object_set_new(d, "address", json_string(ip));
	if ((rc = tls_cert_facts_file(path, ip, &f)) != 0) {
		json_object_set_new(d, "stage", json_string("local"));
		json_object_set_new(d, "error", json_string(
		    rc == CONN_ENOTFOUND ? "no such file" :
		    rc == CONN_EINVAL ? "not a PEM certificate" :
		    "the file cannot be read"));
		health_set(r, HEALTH_ERROR, "The console's certificate %s %s. %s",
		    path, rc == CONN_ENOTFOUND ? "is missing" :
		    "cannot be read as a certificate", fix);
		return;
	}
	list = json_array();
	cert_names(&f, list, names, sizeof names);
	json_object_set_new(d, "subject", json_string(f.subject));
	json_object_set_new(d, "issuer", json_string(f.issuer));
	json_object_set_new(d, "self_signed", json_boolean(f.self_signed));
	json_object_set_new(d, "names", list ? list : json_null());
	json_object_set_new(d, "not_before", json_time(f.not_before));
	json_object_set_new(d, "not_after", json_time(f.not_after));
	json_object_set_new(d, "sha256", json_string(f.sha256));
	json_object_set_new(d, "sha1", json_string(f.sha1));
	json_object_set_new(d, "key", json_pack("{s:s, s:i}", "type",
	    f.key_type, "bits", f.key_bits));
	json_object_set_new(d, "covers_address", json_boolean(f.covers));
	set_value(d, "certificate_expiry_seconds",
	    (double)(f.not_after - env->now));
	switch (check_cert_problem(&f, env->now)) {
	case CERT_EXPIRED:
		json_object_set_new(d, "stage", json_string("tls"));
		health_set(r, HEALTH_ERROR, "The console's certificate expired "
		    "at %s: browsers refuse it. %s", when(f.not_after, t1,
		    sizeof t1), fix);
		break;
	case CERT_NOT_YET_VALID:
		json_object_set_new(d, "stage", json_string("tls"));
		health_set(r, HEALTH_ERROR, "The console's certificate is valid "
		    "only from %s: browsers refuse it until then. Check this "
		    "machine's clock, or make a new certificate. %s",
		    when(f.not_before, t1, sizeof t1), fix);
		break;
	case CERT_NOT_COVERING:
		json_object_set_new(d, "stage", json_string("tls"));
		health_set(r, HEALTH_ERROR, "The console's certificate is for "
		    "%s, not for the connector's address %s: browsers warn that "
		    "the console is not who it claims to be. %s", names, ip,
		    fix);
		break;
	case CERT_EXPIRING:
		health_set(r, HEALTH_WARNING, "The console's certificate expires "
		    "at %s, in %s. %s", when(f.not_after, t1, sizeof t1),
		    age_words((long)(f.not_after - env->now), age, sizeof age),
		    fix);
		break;
	case CERT_FINE:
		health_set(r, HEALTH_OK, "The console's certificate is valid "
		    "until %s for %s (%s).", when(f.not_after, t1, sizeof t1),
		    ip, f.self_signed ? "self-signed" : f.issuer);
		break;
	}
}

/* ---- Disk Space ---- */

/* The state of a filesystem with free of total bytes free. */
enum health_state
check_disk_level(unsigned long long free_bytes,
    unsigned long long total_bytes, unsigned long long error_bytes)
{
	unsigned long long warn_bytes = CHECK_DISK_WARN_BYTES;

	if (error_bytes < CHECK_DISK_ERROR_BYTES)
		error_bytes = CHECK_DISK_ERROR_BYTES;
	if (warn_bytes < error_bytes)
		warn_bytes = error_bytes;
	if (total_bytes == 0)
		return HEALTH_ERROR;
	if (free_bytes < error_bytes ||
	    free_bytes * 100 < total_bytes * CHECK_DISK_ERROR_PERCENT)
		return HEALTH_ERROR;
	if (free_bytes < warn_bytes ||
	    free_bytes * 100 < total_bytes * CHECK_DISK_WARN_PERCENT)
		return HEALTH_WARNING;
	return HEALTH_OK;
}

/* The setting health.disk_min_free_mb in bytes; 0 when unset or bad. */
static unsigned long long
disk_min_free(void)
{
	char v[24], *end;
	unsigned long long mb;

	if (db_setting_copy(CHECK_DISK_MIN_FREE_SETTING, v, sizeof v) != 0 ||
	    v[0] < '0' || v[0] > '9')
		return 0;
	errno = 0;
	mb = strtoull(v, &end, 10);
	if (errno || *end || mb > 1024ULL * 1024 * 1024)
		return 0;
	return mb * 1024 * 1024;
}

void
check_disk(const struct health_env *env, struct health_result *r,
    json_t *d)
{
	static const struct {
		enum paths_id path;
		const char *key, *words;
	} dirs[] = {
		{ PATH_LIB, "state", "the connector's state" },
		{ PATH_LOG, "log", "its logs" },
	};
	enum health_state worst = HEALTH_OK;
	unsigned long long min = disk_min_free();
	char line[2][200], sz[32], tot[32], name[48];
	int bad = -1;

	(void)env;
	if (min)
		json_object_set_new(d, "error_below_bytes", json_integer(
		    (json_int_t)min));
	for (size_t i = 0; i < 2; i++) {
		const char *p = paths_get(dirs[i].path);
		struct statvfs sv;
		unsigned long long fr, total;
		enum health_state s;
		double pct;

		if (statvfs(p, &sv) != 0) {
			json_object_set_new(d, "stage", json_string("local"));
			json_object_set_new(d, "error", json_string(
			    strerror(errno)));
			health_set(r, HEALTH_ERROR, "The free space of %s cannot "
			    "be read: %s is not there or not readable (%s).",
			    p, p, strerror(errno));
			return;
		}
		fr = (unsigned long long)sv.f_bavail * sv.f_frsize;
		total = (unsigned long long)sv.f_blocks * sv.f_frsize;
		pct = total ? 100.0 * (double)fr / (double)total : 0;
		s = check_disk_level(fr, total, min);
		json_object_set_new(d, dirs[i].key, json_pack(
		    "{s:s, s:I, s:I, s:i, s:s}", "path", p, "free",
		    (json_int_t)fr, "total", (json_int_t)total, "percent",
		    (int)pct, "state", health_state_id(s)));
		snprintf(name, sizeof name, "disk_free_bytes_%s", dirs[i].key);
		set_value(d, name, (double)fr);
		snprintf(name, sizeof name, "disk_free_percent_%s",
		    dirs[i].key);
		set_value(d, name, pct);
		snprintf(line[i], sizeof line[i], "%s of %s free (%.0f%%) in %s "
		    "for %s", util_size_words(fr, sz, sizeof sz),
		    util_size_words(total, tot, sizeof tot), pct, p,
		    dirs[i].words);
		if (s > worst) {
			worst = s;
			bad = (int)i;
		}
	}
	if (worst == HEALTH_OK) {
		health_set(r, HEALTH_OK, "%s; %s.", line[0], line[1]);
		return;
	}
	json_object_set_new(d, "stage", json_string("local"));
	health_set(r, worst, "Only %s. %s: make room there (old log bundles "
	    "in %s, files that are not the connector's) or give the disk more "
	    "space.", line[bad], worst == HEALTH_ERROR ? "The connector cannot "
	    "keep its state or logs when it runs out" : "It is running low",
	    paths_get(PATH_BUNDLES));
}
