/*
 * poller-probe — lib/poller on the instance at CONNECTOR_ROOT, for the
 * benchmark:
 *
 *   poller-probe seed REGION   a registration with the AWS keys of
 *                              AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in
 *                              REGION (loopback peers allowed), and one
 *                              import in progress for each task id read
 *                              from stdin (one a line), replacing every
 *                              tracked import: one transaction
 *   poller-probe walk          the poll the job makes, AWS read and nothing
 *                              written (the baseline of a run); prints
 *                              {"seconds": S, "checked": N}
 *
 * Exit status 0 when it worked, 1 when not (why on stderr), 2 for usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../lib/core.h"
#include "../../lib/domain.h"
#include "../../lib/poller.h"

static int
open_state(void)
{
	if (paths_init() != 0) {
		fprintf(stderr, "poller-probe: CONNECTOR_ROOT must be an "
		    "absolute path\n");
		return 1;
	}
	log_init("poller-probe");
	if (util_mkdirs(paths_get(PATH_LIB), 0755) != 0 ||
	    db_open(paths_get(PATH_DB)) != 0 || db_migrate() != 0) {
		fprintf(stderr, "poller-probe: cannot open the database %s\n",
		    paths_get(PATH_DB));
		return 1;
	}
	return 0;
}

static int
exec_sql(const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db_handle(), sql, NULL, NULL, &err) == SQLITE_OK)
		return 0;
	fprintf(stderr, "poller-probe: %s\n", err ? err : "SQL error");
	sqlite3_free(err);
	return -1;
}

static int
cmd_seed(const char *region)
{
	const char *key = getenv("AWS_ACCESS_KEY_ID");
	const char *secret = getenv("AWS_SECRET_ACCESS_KEY");
	char line[128], now[32];
	sqlite3_stmt *st = NULL;
	long n = 0;
	int rc = 1;

	if (key == NULL || secret == NULL || !syntax_region(region)) {
		fprintf(stderr, "poller-probe: seed needs a region and "
		    "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY\n");
		return 2;
	}
	if (secret_ensure_key() != 0 || db_begin() != 0)
		return 1;
	snprintf(now, sizeof now, "%lld", (long long)time(NULL));
	if (db_setting_set(REG_AT, now) || db_setting_set(REG_AWS_REGION,
	    region) || db_setting_set(REG_AWS_KEY_ID, key) ||
	    db_setting_set(SETTING_ALLOW_LOOPBACK, "1") ||
	    secret_put(REG_AWS_SECRET, secret, strlen(secret)) ||
	    exec_sql("DELETE FROM vms; DELETE FROM jobs; DELETE FROM settings "
	    "WHERE name = 'poller.polled_at'"))
		goto out;
	if (sqlite3_prepare_v2(db_handle(), "INSERT INTO vms (vm_moref, "
	    "vm_name, region, kind, task_id, state, first_seen, last_change) "
	    "VALUES (?1, ?1, ?2, 'image', ?3, 'active', ?4, ?4)", -1, &st,
	    NULL) != SQLITE_OK)
		goto out;
	while (fgets(line, sizeof line, stdin)) {
		char name[32];
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0])
			continue;
		snprintf(name, sizeof name, "vm-%ld", n++);
		sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, region, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, line, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
		if (sqlite3_step(st) != SQLITE_DONE) {
			fprintf(stderr, "poller-probe: %s: %s\n", line,
			    sqlite3_errmsg(db_handle()));
			goto out;
		}
		sqlite3_reset(st);
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	if (db_end(rc ? CONN_EDB : 0) != 0)
		rc = 1;
	if (rc == 0)
		fprintf(stderr, "poller-probe: %ld imports tracked\n", n);
	return rc;
}

static int
cmd_walk(void)
{
	struct poller_conf conf;
	struct poller_counts n;
	struct timespec t0, t1;
	char why[JOB_ERROR_MAX];
	int rc;

	if (poller_conf_load(&conf, 1) != 0) {
		fprintf(stderr, "poller-probe: not registered\n");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = poller_poll(&conf, 0, &n, why, sizeof why);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	poller_conf_free(&conf);
	if (rc != 0) {
		fprintf(stderr, "poller-probe: the walk failed: %s\n", why);
		return 1;
	}
	printf("{\"seconds\": %.6f, \"checked\": %ld}\n",
	    (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
	    n.checked);
	return 0;
}

int
main(int argc, char **argv)
{
	int rc;

	if (argc < 2 || (strcmp(argv[1], "seed") == 0 && argc != 3) ||
	    (strcmp(argv[1], "walk") == 0 && argc != 2)) {
		fprintf(stderr, "usage: poller-probe seed REGION < ids | "
		    "poller-probe walk\n");
		return 2;
	}
	if (open_state() != 0)
		return 1;
	if (strcmp(argv[1], "seed") == 0)
		rc = cmd_seed(argv[2]);
	else if (strcmp(argv[1], "walk") == 0)
		rc = cmd_walk();
	else {
		fprintf(stderr, "poller-probe: unknown command %s\n", argv[1]);
		rc = 2;
	}
	db_close();
	return rc;
}
