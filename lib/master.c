/*
 * master.c — the prefork master of a console program: bind or inherit the
 * FastCGI socket, fork the workers, respawn one that dies (at most once a
 * second), stop them all on SIGTERM or SIGINT.  The request lifecycle the
 * workers run is lib/app.c's.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base.h"
#include "master.h"

#define MASTER_MAX_WORKERS 64

static volatile sig_atomic_t stopping;

/* What the forked workers run. */
static struct {
	master_worker_fn worker;
	int nice;
} workers;

/*
 * Bind a Unix socket at path (0660), replacing a stale one; a socket that
 * still answers belongs to a running program and is left alone (-1, EADDRINUSE).
 */
static int
bind_socket(const char *path)
{
	struct sockaddr_un sa;
	mode_t old;
	int fd;

	if (strlen(path) >= sizeof sa.sun_path)
		return -1;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
		close(fd);
		errno = EADDRINUSE;
		return -1;
	}
	close(fd);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	unlink(path);
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    listen(fd, 128) != 0) {
		umask(old);
		close(fd);
		return -1;
	}
	umask(old);
	return fd;
}

/*
 * The socket to serve: systemd's LISTEN_FDS, fd 0 if it is one (path
 * NULL), or path bound here (*bound set, the caller unlinks it at the end).
 * Returns the descriptor, or -1 with errno set.
 */
int
master_listen(const char *path, int *bound)
{
	const char *lfds = getenv("LISTEN_FDS"), *lpid = getenv("LISTEN_PID");
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;

	*bound = 0;
	if (lfds && lpid && atoi(lfds) == 1 && atol(lpid) == (long)getpid())
		return 3;
	if (path == NULL && getsockname(0, (struct sockaddr *)&ss, &sl) == 0)
		return 0;
	if (path == NULL)
		return -1;
	*bound = 1;
	return bind_socket(path);
}

static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static void
on_child(int sig)
{
	(void)sig;	/* only interrupts the master's wait */
}

/* Fork a worker; -1 when fork failed (the slot is retried later). */
static pid_t
spawn(int fd)
{
	pid_t pid = fork();

	if (pid == 0) {
		signal(SIGCHLD, SIG_DFL);
		if (workers.nice && setpriority(PRIO_PROCESS, 0,
		    getpriority(PRIO_PROCESS, 0) + workers.nice) != 0)
			log_warn("cannot lower the worker's priority: %s",
			    strerror(errno));
		_exit(workers.worker(fd));
	}
	if (pid < 0)
		log_err("fork: %s", strerror(errno));
	return pid;
}

/*
 * Keep nworkers workers (each runs worker(fd), at niceness +nice) alive
 * until SIGTERM or SIGINT, then stop them:
 * SIGTERM, and SIGKILL for any still there after 5 s.  The signals are
 * blocked except while the master waits (ppoll), so a stop request can
 * never slip in between the check and the wait.
 */
void
master_run(int fd, int nworkers, int nice, master_worker_fn worker)
{
	pid_t pids[MASTER_MAX_WORKERS] = { 0 };
	const struct timespec retry = { 1, 0 };
	struct sigaction sa;
	sigset_t block, old;
	time_t last_spawn = 0;
	int i, missing, st;
	pid_t dead;

	workers.worker = worker;
	workers.nice = nice;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_child;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &old);
	log_info("starting %d workers", nworkers);
	while (!stopping) {
		while ((dead = waitpid(-1, &st, WNOHANG)) > 0)
			for (i = 0; i < nworkers; i++) {
				if (pids[i] != dead)
					continue;
				pids[i] = 0;
				log_warn("worker %ld ended (%s %d); starting "
				    "another", (long)dead, WIFSIGNALED(st) ?
				    "signal" : "status", WIFSIGNALED(st) ?
				    WTERMSIG(st) : WEXITSTATUS(st));
			}
		/* Respawn at most once a second, so that workers that die
		 * at once cannot spin the CPU; a failed fork is retried. */
		missing = 0;
		for (i = 0; i < nworkers; i++)
			missing += pids[i] <= 0;
		if (missing && time(NULL) != last_spawn) {
			last_spawn = time(NULL);
			for (i = 0; i < nworkers; i++)
				if (pids[i] <= 0 && (pids[i] = spawn(fd)) < 0)
					pids[i] = 0;
			missing = 0;
			for (i = 0; i < nworkers; i++)
				missing += pids[i] <= 0;
		}
		if (!stopping)
			ppoll(NULL, 0, missing ? &retry : NULL, &old);
	}
	for (i = 0; i < nworkers; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	for (int tries = 0; tries < 50; tries++) {
		int left = 0;
		for (i = 0; i < nworkers; i++) {
			if (pids[i] > 0 && waitpid(pids[i], NULL, WNOHANG) ==
			    pids[i])
				pids[i] = 0;
			left += pids[i] > 0;
		}
		if (!left)
			break;
		usleep(100000);
	}
	for (i = 0; i < nworkers; i++)
		if (pids[i] > 0) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], NULL, 0);
		}
	sigprocmask(SIG_SETMASK, &old, NULL);
}
