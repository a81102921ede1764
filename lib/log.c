/*
 * log.c — one line per event in var/log/connector/connector.log (or stderr
 * when that cannot be opened): time, program, pid, level, message.  Callers
 * never pass secrets; control characters are replaced so a value cannot
 * forge a line.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base.h"

static const char *prog = "connector";
static int logfd = -1;

void
log_init(const char *program)
{
	prog = program;
	if (logfd >= 0 && logfd != 2)
		close(logfd);
	logfd = open(paths_get(PATH_LOGFILE),
	    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (logfd < 0)
		logfd = 2;
}

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	char line[2048], stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	va_list ap;
	int n, m;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(line, sizeof line, "%s %s[%ld] %s: ", stamp, prog,
	    (long)getpid(), names[lvl]);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof line - 2)
		n = sizeof line - 2;
	for (char *p = line; p < line + n; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	line[n++] = '\n';
	if (write(logfd < 0 ? 2 : logfd, line, (size_t)n) < 0)
		return;
}
