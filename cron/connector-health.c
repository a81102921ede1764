/*
 * connector-health — every minute from /etc/cron.d/connector: runs every
 * health check at once, each in its own process with its own time limit,
 * and writes the Health Status pane's results in one transaction
 * (lib/health.c).  Prints only the items whose state changed, or why the
 * run failed.
 *
 *   connector-health [--root DIR] [--verbose] [--only ITEM]
 *
 * --only checks one item (its id: uptodate, aws, vcenter, ...); --verbose
 * prints every item's state after the run.
 */
#include <stdio.h>
#include <string.h>

#include "../lib/health.h"

/* Every item's stored state, one line each: id, state, ms, summary. */
static void
print_items(void)
{
	if (db_open(paths_get(PATH_DB)) != 0)
		return;
	for (int i = 0; i < HI__MAX; i++) {
		sqlite3_stmt *st = db_stmt(DB_HEALTH_GET);
		if (st == NULL)
			break;
		sqlite3_bind_text(st, 1, health_items[i].id, -1,
		    SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			printf("%s %s %lldms %s\n", health_items[i].id,
			    (const char *)sqlite3_column_text(st, 0),
			    (long long)sqlite3_column_int64(st, 3),
			    (const char *)sqlite3_column_text(st, 2));
		else
			printf("%s unchecked\n", health_items[i].id);
		sqlite3_reset(st);
	}
	db_close();
}

int
main(int argc, char **argv)
{
	char *args[argc + 1];
	int n = 0, verbose = 0, rc;
	enum health_item only = HI__MAX;

	for (int i = 0; i < argc; i++) {
		if (i > 0 && strcmp(argv[i], "--only") == 0) {
			if (i + 1 >= argc ||
			    health_item_find(argv[i + 1], &only) != 0) {
				fprintf(stderr, "connector-health: --only takes "
				    "an item:");
				for (int k = 0; k < HI__MAX; k++)
					fprintf(stderr, " %s", health_items[k].id);
				fprintf(stderr, "\n");
				return 2;
			}
			i++;
			continue;
		}
		if (i > 0 && strcmp(argv[i], "--verbose") == 0)
			verbose = 1;
		args[n++] = argv[i];
	}
	args[n] = NULL;
	health_select(only);
	rc = job_main(n, args, &health_job);
	if (verbose && rc != 2)
		print_items();
	return rc;
}
