/*
 * connector-helper — the root side of the privilege line.  It takes the
 * requests the console's programs staged in var/lib/connector/requests,
 * validates each itself, carries out the known actions (lib/privreq.c's
 * table) and writes a result for each in var/lib/connector/results.
 *
 *   connector-helper [--root DIR] [--user NAME] [--watch]
 *
 * --user NAME: the user whose requests are accepted (production:
 * connector); by default the user running the helper (development, where
 * everything runs as the invoking user).  --root DIR: the instance's root
 * (CONNECTOR_ROOT); a root other than "/" is a development instance, whose
 * own nginx and supervisor the actions act on.  Without --watch the helper
 * makes one pass of at most PRIVREQ_MAX_PER_WAKE requests and exits (the
 * systemd path unit starts it again on the next change); with --watch
 * (scripts/connector-run) it makes a pass whenever the directory changes or
 * every second, until SIGTERM.
 */
#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/base.h"
#include "../lib/privreq.h"

static volatile sig_atomic_t stopping;

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: connector-helper [--root DIR] [--user NAME] "
	    "[--watch]\n");
}

/* One pass; 0 or 1 (the directories are wrong, logged). */
static int
pass(uid_t owner)
{
	size_t taken;

	return privreq_run(owner, PRIVREQ_MAX_PER_WAKE, &taken) == 0 ? 0 : 1;
}

/*
 * Make a pass whenever the request directory changes, and every second in
 * any case (a directory made after the start, a missed event), until
 * SIGTERM or SIGINT.
 */
static int
watch(uid_t owner)
{
	struct sigaction sa;
	char events[4096];
	int ifd, wd = -1;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if ((ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
		log_warn("no change notifications (%s); looking every second",
		    strerror(errno));
	while (!stopping) {
		struct pollfd pfd = { ifd, POLLIN, 0 };

		if (ifd >= 0 && wd < 0)
			wd = inotify_add_watch(ifd, paths_get(PATH_REQUESTS),
			    IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB |
			    IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR |
			    IN_DONT_FOLLOW);
		pass(owner);
		if (poll(&pfd, ifd >= 0 ? 1 : 0, 1000) > 0) {
			/* A burst of requests is taken together (and
			 * identical ones coalesced): wait a moment. */
			usleep(200 * 1000);
			while (read(ifd, events, sizeof events) > 0)
				;
		}
		if (wd >= 0 && access(paths_get(PATH_REQUESTS), F_OK) != 0) {
			inotify_rm_watch(ifd, wd);
			wd = -1;
		}
	}
	if (ifd >= 0)
		close(ifd);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *user = NULL;
	struct passwd *pw;
	uid_t owner = geteuid();
	int watching = 0;

	umask(022);
	signal(SIGPIPE, SIG_IGN);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--root") == 0 && i + 1 < argc) {
			if (argv[++i][0] != '/') {
				fprintf(stderr, "connector-helper: --root takes "
				    "an absolute path\n");
				return 2;
			}
			setenv("CONNECTOR_ROOT", argv[i], 1);
		} else if (strcmp(argv[i], "--user") == 0 && i + 1 < argc)
			user = argv[++i];
		else if (strcmp(argv[i], "--watch") == 0)
			watching = 1;
		else {
			usage();
			return 2;
		}
	}
	if (paths_init() != 0) {
		fprintf(stderr, "connector-helper: CONNECTOR_ROOT must be an "
		    "absolute path\n");
		return 2;
	}
	/* Logs go to standard error: the journal, or the instance's log
	 * directory under connector-run. */
	if (user) {
		if ((pw = getpwnam(user)) == NULL) {
			fprintf(stderr, "connector-helper: no user %s\n", user);
			return 1;
		}
		owner = pw->pw_uid;
	}
	return watching ? watch(owner) : pass(owner);
}
