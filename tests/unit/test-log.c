/*
 * test-log.c — one line per event in var/log/connector/connector.log:
 * time, program, pid, level and message; control characters replaced so a
 * value cannot forge a line; long messages cut to one line; stderr when
 * the log file cannot be opened.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/core.h"
#include "../../lib/domain.h"
#include "unit.h"

#define PROG "test-log"

static char logpath[PATH_MAX];
static char added[8192];	/* what the last logged() call appended */

static long
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Copy what path holds from offset `from` into added[]; its length or -1. */
static long
read_from(const char *path, long from)
{
	long n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	n = pread(fd, added, sizeof added - 1, from);
	close(fd);
	if (n < 0)
		return -1;
	added[n] = '\0';
	return n;
}

static int
lines_in(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* The message part of a line "STAMP PROG[PID] LEVEL: MESSAGE\n". */
static const char *
message_of(const char *line, const char *level)
{
	char want[128];
	const char *p;

	snprintf(want, sizeof want, " %s[%ld] %s: ", PROG, (long)getpid(),
	    level);
	p = strstr(line, want);
	return p ? p + strlen(want) : NULL;
}

TEST(line_has_time_program_level_message)
{
	long before = file_size(logpath), n;
	const char *msg;
	int y, mo, d, h, mi, s;
	char z;

	CHECK(before >= 0);
	log_info("hello %s %d", "world", 42);
	n = read_from(logpath, before);
	CHECK(n > 0);
	CHECK(lines_in(added) == 1 && added[n - 1] == '\n');
	CHECK(sscanf(added, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi,
	    &s, &z) == 7 && z == 'Z');
	CHECK(y >= 2024 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31);
	CHECK((msg = message_of(added, "info")) != NULL);
	CHECK(strcmp(msg, "hello world 42\n") == 0);
}

TEST(levels_named)
{
	long before = file_size(logpath);

	log_err("e1");
	log_warn("w1");
	log_msg(LOG_LVL_DEBUG, "d1");
	CHECK(read_from(logpath, before) > 0);
	CHECK(lines_in(added) == 3);
	CHECK(message_of(added, "error") != NULL);
	CHECK(strncmp(message_of(added, "error"), "e1\n", 3) == 0);
	CHECK(message_of(added, "warn") != NULL);
	CHECK(strncmp(message_of(added, "warn"), "w1\n", 3) == 0);
	CHECK(message_of(added, "debug") != NULL);
	CHECK(strncmp(message_of(added, "debug"), "d1\n", 3) == 0);
}

TEST(bad_newline_in_message_cannot_forge_a_line)
{
	long before = file_size(logpath);
	const char *msg;

	log_info("user %s", "x\n2030-01-01T00:00:00Z login[1] info: forged");
	CHECK(read_from(logpath, before) > 0);
	CHECK(lines_in(added) == 1);
	CHECK((msg = message_of(added, "info")) != NULL);
	CHECK(strcmp(msg, "user x?2030-01-01T00:00:00Z login[1] info: "
	    "forged\n") == 0);
}

TEST(bad_control_characters_replaced)
{
	long before = file_size(logpath);
	const char *msg;

	log_warn("a\rb\tc\033[31md\x7f" "e\x01" "f");
	CHECK(read_from(logpath, before) > 0);
	CHECK(lines_in(added) == 1);
	CHECK((msg = message_of(added, "warn")) != NULL);
	CHECK(strcmp(msg, "a?b?c?[31md?e?f\n") == 0);
}

TEST(utf8_text_kept)
{
	long before = file_size(logpath);
	const char *msg;

	log_info("caf\xc3\xa9 \xe2\x9c\x93");
	CHECK(read_from(logpath, before) > 0);
	CHECK((msg = message_of(added, "info")) != NULL);
	CHECK(strcmp(msg, "caf\xc3\xa9 \xe2\x9c\x93\n") == 0);
}

TEST(long_message_cut_to_one_line)
{
	long before = file_size(logpath), n;
	char *big = malloc(10001);
	const char *msg;

	CHECK(big != NULL);
	memset(big, 'x', 10000);
	big[10000] = '\0';
	big[5000] = '\n';	/* past the cut: must not appear either */
	log_info("%s", big);
	free(big);
	n = read_from(logpath, before);
	CHECK(n > 1000 && n <= 2048);
	CHECK(lines_in(added) == 1 && added[n - 1] == '\n');
	CHECK((msg = message_of(added, "info")) != NULL);
	for (const char *p = msg; p < added + n - 1; p++)
		CHECK(*p == 'x');
	/* The next message starts on a line of its own. */
	before = file_size(logpath);
	log_info("after");
	CHECK(read_from(logpath, before) > 0);
	CHECK((msg = message_of(added, "info")) != NULL);
	CHECK(strcmp(msg, "after\n") == 0);
}

TEST(stderr_when_log_file_cannot_be_opened)
{
	char errpath[PATH_MAX], root[PATH_MAX];
	const char *msg;
	int fd, saved;

	/* A root whose log directory does not exist. */
	snprintf(root, sizeof root, "%s/empty", unit_tmp);
	CHECK(mkdir(root, 0700) == 0);
	snprintf(errpath, sizeof errpath, "%s/stderr", unit_tmp);
	CHECK((fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0);
	fflush(stderr);
	saved = dup(2);
	CHECK(saved >= 0);
	dup2(fd, 2);
	close(fd);
	setenv("CONNECTOR_ROOT", root, 1);
	paths_init();
	log_init(PROG);
	log_err("to stderr");
	dup2(saved, 2);
	close(saved);
	CHECK(read_from(errpath, 0) > 0);
	CHECK(lines_in(added) == 1);
	CHECK((msg = message_of(added, "error")) != NULL);
	CHECK(strcmp(msg, "to stderr\n") == 0);
	/* Nothing was created under the root. */
	{
		char var[PATH_MAX + 8];
		snprintf(var, sizeof var, "%s/var", root);
		CHECK(file_size(var) == -1);
	}
}

int
main(void)
{
	if (unit_tmpdir("test-log") != 0)
		return 1;
	if (unit_paths(unit_tmp, "/nonexistent-share") != 0 ||
	    util_mkdirs(paths_get(PATH_LOG), 0750) != 0) {
		printf("FAIL setup: paths\n");
		unit_rm_rf(unit_tmp);
		return 1;
	}
	snprintf(logpath, sizeof logpath, "%s", paths_get(PATH_LOGFILE));
	log_init(PROG);
	RUN(line_has_time_program_level_message);
	RUN(levels_named);
	RUN(bad_newline_in_message_cannot_forge_a_line);
	RUN(bad_control_characters_replaced);
	RUN(utf8_text_kept);
	RUN(long_message_cut_to_one_line);
	RUN(stderr_when_log_file_cannot_be_opened);
	unit_rm_rf(unit_tmp);
	UNIT_EXIT();
}
