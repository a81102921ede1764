/*
 * crashpoint.so — a preload library for crash tests.  It counts the calls
 * that make state durable or visible (fsync, fdatasync, rename, unlink,
 * pwrite, pwrite64, write) and, when CRASHPOINT=N is set, kills the process
 * with SIGKILL just before the Nth one runs, as a power cut would.  When
 * CRASHPOINT_COUNT=FILE is set and the process ends normally, the number of
 * calls counted is written to FILE, so a test knows how many points a run
 * has.  A kill is announced on stderr as "crashpoint: SIGKILL at call N
 * (name)".
 *
 *   LD_PRELOAD=build/tests/crashpoint.so CRASHPOINT=12 program ...
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static unsigned long calls;
static unsigned long target;	/* 0: never kill */
static const char *count_file;

static ssize_t (*real_write)(int, const void *, size_t);

/* The next definition of name after this library. */
static void *
next(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (p == NULL)
		abort();	/* no libc below us: nothing sensible to do */
	return p;
}

/* Count one call of name; die here when it is the chosen one. */
static void
point(const char *name)
{
	char msg[96];
	int n;

	calls++;
	if (target == 0 || calls != target)
		return;
	n = snprintf(msg, sizeof msg, "crashpoint: SIGKILL at call %lu (%s)\n",
	    calls, name);
	if (real_write && n > 0)
		(void)!real_write(2, msg, (size_t)n);
	kill(getpid(), SIGKILL);
	for (;;)
		pause();
}

__attribute__((constructor)) static void
crashpoint_init(void)
{
	const char *v = getenv("CRASHPOINT");

	real_write = next("write");
	if (v && *v)
		target = strtoul(v, NULL, 10);
	count_file = getenv("CRASHPOINT_COUNT");
}

__attribute__((destructor)) static void
crashpoint_fini(void)
{
	char line[32];
	int fd, n;

	if (count_file == NULL || *count_file == '\0')
		return;
	n = snprintf(line, sizeof line, "%lu\n", calls);
	fd = open(count_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	(void)!real_write(fd, line, (size_t)n);
	close(fd);
}

int
fsync(int fd)
{
	static int (*real)(int);

	if (real == NULL)
		real = next("fsync");
	point("fsync");
	return real(fd);
}

int
fdatasync(int fd)
{
	static int (*real)(int);

	if (real == NULL)
		real = next("fdatasync");
	point("fdatasync");
	return real(fd);
}

int
rename(const char *from, const char *to)
{
	static int (*real)(const char *, const char *);

	if (real == NULL)
		real = next("rename");
	point("rename");
	return real(from, to);
}

int
unlink(const char *path)
{
	static int (*real)(const char *);

	if (real == NULL)
		real = next("unlink");
	point("unlink");
	return real(path);
}

ssize_t
pwrite(int fd, const void *buf, size_t len, off_t off)
{
	static ssize_t (*real)(int, const void *, size_t, off_t);

	if (real == NULL)
		real = next("pwrite");
	point("pwrite");
	return real(fd, buf, len, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t len, off64_t off)
{
	static ssize_t (*real)(int, const void *, size_t, off64_t);

	if (real == NULL)
		real = next("pwrite64");
	point("pwrite64");
	return real(fd, buf, len, off);
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	if (real_write == NULL)
		real_write = next("write");
	point("write");
	return real_write(fd, buf, len);
}
