/*
 * secret-tool — lib/secret on the instance at CONNECTOR_ROOT, one command
 * per run, for the crash tests:
 *
 *   secret-tool put NAME      store stdin as NAME
 *   secret-tool get NAME      print NAME's value
 *   secret-tool rotate        rotate the key; print the new key id
 *   secret-tool recover       finish or undo an interrupted rotation
 *   secret-tool key           print the key in use
 *   secret-tool fill N        store N secrets s.NNNNNN with known values
 *                             (one transaction)
 *   secret-tool check N       the N known secrets all read back, and keys/
 *                             holds exactly one file, the key in use
 *
 * Exit status 0 when it worked, 1 when not (why on stderr), 2 for usage.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/core.h"
#include "../../lib/domain.h"

#define KNOWN_MAX 512

/* The known value of secret i into v (KNOWN_MAX bytes); its length. */
static size_t
known_value(long i, unsigned char *v)
{
	size_t n, len;

	n = (size_t)snprintf((char *)v, KNOWN_MAX, "value %ld:", i);
	len = n + (size_t)(i * 37 % 300);
	for (size_t j = n; j < len; j++)
		v[j] = (unsigned char)(i * 7 + (long)j);
	return len;
}

static void
known_name(long i, char *name, size_t len)
{
	snprintf(name, len, "s.%06ld", i);
}

static int
open_state(void)
{
	if (paths_init() != 0) {
		fprintf(stderr, "secret-tool: CONNECTOR_ROOT must be an "
		    "absolute path\n");
		return 1;
	}
	log_init("secret-tool");
	if (util_mkdirs(paths_get(PATH_LIB), 0755) != 0 ||
	    db_open(paths_get(PATH_DB)) != 0 || db_migrate() != 0) {
		fprintf(stderr, "secret-tool: cannot open the database %s\n",
		    paths_get(PATH_DB));
		return 1;
	}
	return 0;
}

static int
cmd_put(const char *name)
{
	static char v[SECRET_VALUE_MAX + 2];
	size_t n = fread(v, 1, sizeof v, stdin);
	int rc;

	if (ferror(stdin)) {
		fprintf(stderr, "secret-tool: cannot read stdin\n");
		return 1;
	}
	rc = secret_put(name, v, n);
	util_wipe(v, sizeof v);
	if (rc != 0) {
		fprintf(stderr, "secret-tool: put %s: error %d\n", name, rc);
		return 1;
	}
	return 0;
}

static int
cmd_get(const char *name)
{
	struct buf b = { 0 };
	int rc;

	if ((rc = secret_get(name, &b)) != 0) {
		fprintf(stderr, "secret-tool: get %s: error %d\n", name, rc);
		return 1;
	}
	rc = b.len && fwrite(b.data, 1, b.len, stdout) != b.len;
	buf_free(&b);
	return rc || fflush(stdout) != 0;
}

static int
cmd_fill(long count)
{
	unsigned char v[KNOWN_MAX];
	char name[32];
	long i;

	if (db_begin() != 0)
		return 1;
	for (i = 0; i < count; i++) {
		size_t len = known_value(i, v);
		known_name(i, name, sizeof name);
		if (secret_put(name, v, len) != 0) {
			fprintf(stderr, "secret-tool: put %s failed\n", name);
			db_rollback();
			return 1;
		}
	}
	return db_commit() != 0;
}

/* keys/ holds exactly one entry, the file of the key in use: 0 or 1. */
static int
check_key_files(void)
{
	char cur[SECRET_KEY_ID_LEN + 1], want[SECRET_KEY_ID_LEN + 8];
	struct dirent *de;
	DIR *d;
	int n = 0, found = 0;

	if (secret_current_key(cur, NULL) != 0) {
		fprintf(stderr, "secret-tool: no key in use\n");
		return 1;
	}
	snprintf(want, sizeof want, "%s.key", cur);
	if ((d = opendir(paths_get(PATH_KEYS))) == NULL) {
		fprintf(stderr, "secret-tool: cannot read %s: %s\n",
		    paths_get(PATH_KEYS), strerror(errno));
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		n++;
		if (strcmp(de->d_name, want) == 0)
			found = 1;
		else
			fprintf(stderr, "secret-tool: extra file in keys/: %s\n",
			    de->d_name);
	}
	closedir(d);
	if (!found)
		fprintf(stderr, "secret-tool: the key in use %s has no file\n",
		    cur);
	return found && n == 1 ? 0 : 1;
}

static int
cmd_check(long count)
{
	unsigned char v[KNOWN_MAX];
	struct buf b = { 0 };
	char name[32];
	int bad = 0, n;
	long i;

	for (i = 0; i < count; i++) {
		size_t len = known_value(i, v);
		int rc;
		known_name(i, name, sizeof name);
		buf_reset(&b);
		if ((rc = secret_get(name, &b)) != 0) {
			fprintf(stderr, "secret-tool: %s: error %d\n", name, rc);
			bad++;
		} else if (b.len != len || memcmp(b.data, v, len) != 0) {
			fprintf(stderr, "secret-tool: %s: wrong value\n", name);
			bad++;
		}
	}
	buf_free(&b);
	if ((n = secret_count()) < count) {
		fprintf(stderr, "secret-tool: %d secrets stored, want %ld\n", n,
		    count);
		bad++;
	}
	bad += check_key_files();
	if (bad)
		fprintf(stderr, "secret-tool: check failed (%d problems)\n", bad);
	return bad != 0;
}

static long
count_arg(const char *s)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	return errno || *end || end == s || n < 0 || n > 1000000 ? -1 : n;
}

int
main(int argc, char **argv)
{
	char id[SECRET_KEY_ID_LEN + 1];
	const char *cmd = argc > 1 ? argv[1] : "";
	long n = argc > 2 ? count_arg(argv[2]) : -1;
	int rc;

	if (argc < 2 || argc > 3)
		goto usage;
	if (open_state() != 0)
		return 1;
	if (strcmp(cmd, "put") == 0 && argc == 3)
		rc = cmd_put(argv[2]);
	else if (strcmp(cmd, "get") == 0 && argc == 3)
		rc = cmd_get(argv[2]);
	else if (strcmp(cmd, "rotate") == 0 && argc == 2) {
		rc = secret_rotate(id) != 0;
		if (rc)
			fprintf(stderr, "secret-tool: rotate failed\n");
		else
			printf("%s\n", id);
	} else if (strcmp(cmd, "recover") == 0 && argc == 2) {
		rc = secret_recover() != 0;
		if (rc)
			fprintf(stderr, "secret-tool: recover failed\n");
	} else if (strcmp(cmd, "key") == 0 && argc == 2) {
		rc = secret_current_key(id, NULL) != 0;
		if (rc)
			fprintf(stderr, "secret-tool: no key in use\n");
		else
			printf("%s\n", id);
	} else if (strcmp(cmd, "fill") == 0 && n >= 0)
		rc = cmd_fill(n);
	else if (strcmp(cmd, "check") == 0 && n >= 0)
		rc = cmd_check(n);
	else {
		db_close();
		goto usage;
	}
	db_close();
	return rc;
usage:
	fprintf(stderr, "usage: secret-tool put|get NAME | rotate | recover | "
	    "key | fill N | check N\n");
	return 2;
}
