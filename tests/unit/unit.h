/*
 * unit.h — the tiny harness of the C unit tests.  A test file defines
 * test functions and lists them in main() with RUN(); each prints one line
 * "PASS name" or "FAIL name: file:line: expression", which tests/run
 * counts.  The program exits 1 when any test failed.
 *
 * Below the harness, the helpers several tests share: a temporary
 * directory (unit_tmp) and the files in it, paths_init over a root, and
 * a JSON object with one member changed (unit_json_with).
 */
#ifndef UNIT_H
#define UNIT_H

#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/core.h"
#include "../../lib/domain.h"

static int unit_failed_total;
static int unit_failed_now;

#define CHECK(expr) do { \
	if (!(expr)) { \
		printf("FAIL %s: %s:%d: %s\n", unit_name, __FILE__, __LINE__, \
		    #expr); \
		unit_failed_now = 1; \
		return; \
	} \
} while (0)

#define RUN(fn) do { \
	unit_failed_now = 0; \
	fn(#fn); \
	if (unit_failed_now) \
		unit_failed_total++; \
	else \
		printf("PASS %s\n", #fn); \
	fflush(stdout); \
} while (0)

#define TEST(fn) static void fn(const char *unit_name)

#define UNIT_EXIT() return unit_failed_total ? 1 : 0

/* A helper a test file may leave unused. */
#define UNIT_HELPER static __attribute__((unused))

/* The test's temporary directory, made by unit_tmpdir(). */
UNIT_HELPER char unit_tmp[64];

UNIT_HELPER int
unit_rm_one(const char *path, const struct stat *st, int flag,
    struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(path);
}

/* Remove dir and everything in it. */
UNIT_HELPER void
unit_rm_rf(const char *dir)
{
	nftw(dir, unit_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* An empty, migrated store in the test's root (no key, no secrets). */
UNIT_HELPER int
unit_fresh_store(void)
{
	db_close();
	unit_rm_rf(paths_get(PATH_LIB));
	if (util_mkdirs(paths_get(PATH_LIB), 0755) != 0 ||
	    db_open(paths_get(PATH_DB)) != 0 || db_migrate() != 0)
		return -1;
	return 0;
}

/*
 * Make unit_tmp, a new directory /tmp/<name>-XXXXXX; on failure print a
 * "FAIL setup" line and return -1.
 */
UNIT_HELPER int
unit_tmpdir(const char *name)
{
	snprintf(unit_tmp, sizeof unit_tmp, "/tmp/%s-XXXXXX", name);
	if (mkdtemp(unit_tmp) == NULL) {
		printf("FAIL setup: mkdtemp\n");
		return -1;
	}
	return 0;
}

/* unit_tmp/<sub> into out, made as a new directory: 0 or -1 (mkdir). */
UNIT_HELPER int
unit_fresh_dir(const char *sub, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/%s", unit_tmp, sub);
	return mkdir(out, 0700);
}


/* The whole file at path (up to 1 MiB) into b, reset first. */
UNIT_HELPER int
unit_read_file(const char *path, struct buf *b)
{
	buf_reset(b);
	return util_read_file(path, 1 << 20, b);
}

/* Remove the database file at path with its -wal and -shm files. */
UNIT_HELPER void
unit_remove_db(const char *path)
{
	char p[PATH_MAX];

	unlink(path);
	snprintf(p, sizeof p, "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", path);
	unlink(p);
}

/*
 * The share directory of the build, <cwd>/build/share (tests run from the
 * top directory), into out: 0 or -1.
 */
UNIT_HELPER int
unit_build_share(char *out, size_t outlen)
{
	char cwd[PATH_MAX - 32];

	if (getcwd(cwd, sizeof cwd) == NULL)
		return -1;
	snprintf(out, outlen, "%s/build/share", cwd);
	return 0;
}

/* paths_init with CONNECTOR_ROOT root (NULL: unset), CONNECTOR_SHARE share. */
UNIT_HELPER int
unit_paths(const char *root, const char *share)
{
	if (root)
		setenv("CONNECTOR_ROOT", root, 1);
	else
		unsetenv("CONNECTOR_ROOT");
	setenv("CONNECTOR_SHARE", share, 1);
	return paths_init();
}

/*
 * A temporary root over the build's share directory (its path into
 * share): unit_tmpdir(name), then paths_init with CONNECTOR_ROOT unit_tmp.
 * On failure a "FAIL setup" line is printed, unit_tmp removed, and -1
 * returned.
 */
UNIT_HELPER int
unit_tmp_root(const char *name, char *share, size_t sharelen)
{
	if (unit_tmpdir(name) != 0)
		return -1;
	if (unit_build_share(share, sharelen) != 0 ||
	    unit_paths(unit_tmp, share) != 0) {
		printf("FAIL setup: paths\n");
		unit_rm_rf(unit_tmp);
		return -1;
	}
	return 0;
}

/*
 * A JSON object into b (reset first): the n members of members ({ name,
 * raw JSON value }) in order, as {"name": value, ...}, with member's value
 * replaced by value (raw JSON; NULL: member left out); a member not among
 * them is added at the end.  The fixture of the tests of a reader of JSON
 * objects: the good object, and the good object with one member wrong.
 */
UNIT_HELPER void
unit_json_with(struct buf *b, const char *const (*members)[2], int n,
    const char *member, const char *value)
{
	int found = 0;

	buf_reset(b);
	buf_adds(b, "{");
	for (int i = 0; i < n; i++) {
		const char *v = members[i][1];
		if (member && strcmp(member, members[i][0]) == 0) {
			found = 1;
			if ((v = value) == NULL)
				continue;
		}
		buf_addf(b, "%s\"%s\": %s", b->len > 1 ? ", " : "",
		    members[i][0], v);
	}
	if (member && !found)
		buf_addf(b, "%s\"%s\": %s", b->len > 1 ? ", " : "", member,
		    value);
	buf_adds(b, "}");
}

/* The first column of the first row of sql (on the open database) as an
 * integer, or -1. */
UNIT_HELPER long long
unit_query_int(const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_prepare_v2(db_handle(), sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

#endif
