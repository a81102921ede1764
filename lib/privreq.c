/*
 * privreq.c — the privileged helper's requests: the format, the programs'
 * submit and result calls, the helper's strict taking of queued requests
 * and the table of what each action does.
 *
 * The helper trusts nothing in the staging directory: a request is opened
 * without following links, must be a regular file with one link, owned by
 * the expected user and small; it is removed before anything is done, and
 * parsed strictly (known keys only, values re-validated, no path anywhere).
 * An action never takes a path or an argument from the request: what it
 * runs is written in this file, with argv arrays and no shell.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base.h"
#include "privreq.h"

#define NGINX_BIN "/usr/sbin/nginx"
#define SYSTEMCTL_BIN "/bin/systemctl"
#define HEADER "connector-request 1"

/* A typed value an action accepts: its name and its checker. */
struct privreq_param {
	const char *name;
	int (*valid)(const char *value);	/* 1 when acceptable */
	int required;
};

/* One row per action: later actions are added here. */
struct privreq_action {
	const char *name;
	const struct privreq_param *params;	/* NULL-name terminated, or NULL */
	int takes_file;
	int (*act)(const struct privreq *rq, struct privreq_result *r);
};

static int act_reload_nginx(const struct privreq *, struct privreq_result *);
static int act_restart_services(const struct privreq *,
    struct privreq_result *);

static const struct privreq_action actions[] = {
	{ "reload-nginx", NULL, 0, act_reload_nginx },
	{ "restart-services", NULL, 0, act_restart_services },
};

/*
 * The console's programs, as systemd units: never taken from a request.
 * One per program connector-init.service is ordered before (INSTALL, 6);
 * tests/e2e/test_install.py checks the installed helper against them.
 */
static const char *const service_units[] = {
	"connector@setup.service", "connector@login.service",
	"connector@dashboard.service", "connector@register.service",
	"connector@keys.service", "connector@settings.service",
	"connector@migrations.service",
	"connector@users.service",
	"connector@authproxy.service",
	"connector@health.service",
};

static const char *const outcome_names[] = {
	[PRIVREQ_DONE] = "done",
	[PRIVREQ_FAILED] = "failed",
	[PRIVREQ_REFUSED] = "refused",
};

/* The table row of action, or NULL. */
static const struct privreq_action *
find_action(const char *action)
{
	for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
		if (strcmp(actions[i].name, action) == 0)
			return &actions[i];
	return NULL;
}

/* 1 when action is a row of the table. */
int
privreq_known_action(const char *action)
{
	return find_action(action) != NULL;
}

/* The word of an outcome: "done", "failed" or "refused". */
const char *
privreq_outcome_name(enum privreq_outcome o)
{
	return o <= PRIVREQ_REFUSED ? outcome_names[o] : "refused";
}

/* 1 when s is exactly PRIVREQ_ID_LEN lower-case hex digits. */
static int
valid_id(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == PRIVREQ_ID_LEN;
}

/*
 * 1 when s can name a staged file: a plain name of letters, digits, '.',
 * '_' and '-', not starting with a dot nor ending in .req, at most 63
 * bytes.  Anything with a slash (an absolute path, "../x") is refused.
 */
static int
valid_file_name(const char *s)
{
	size_t i, n = strlen(s);

	if (s[0] == '\0' || s[0] == '.' ||
	    (n >= 4 && strcmp(s + n - 4, ".req") == 0))
		return 0;
	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' ||
		    s[i] == '-'))
			return 0;
	return i < 64;
}

/* 1 when a value is one line of printable UTF-8 text of at most 255 bytes. */
static int
valid_text(const char *s, size_t len)
{
	if (len > 255 || !util_utf8_valid(s, len))
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* The id in a request file name <action>-<id>.req into id; 0 or -1. */
static int
name_id(const char *name, char id[PRIVREQ_ID_LEN + 1])
{
	size_t n = strlen(name);

	if (n < PRIVREQ_ID_LEN + 6 || strcmp(name + n - 4, ".req") != 0 ||
	    name[n - 4 - PRIVREQ_ID_LEN - 1] != '-')
		return -1;
	memcpy(id, name + n - 4 - PRIVREQ_ID_LEN, PRIVREQ_ID_LEN);
	id[PRIVREQ_ID_LEN] = '\0';
	return valid_id(id) ? 0 : -1;
}

#define REFUSE(...) do { snprintf(why, whylen, __VA_ARGS__); \
	rc = CONN_EINVAL; goto out; } while (0)

/*
 * Parse the request text (len bytes) of the file called name into rq,
 * strictly: the header line, then key=value lines with the action and the
 * id (both matching the file name), at most one staged file name (a plain
 * name, never a path), the action's own values (each checked, required
 * ones present), and the closing "end" line (a cut request lacks it).
 * Whether the action takes a staged file is checked by file_use, once the
 * staged file itself was checked.  Returns 0, or CONN_EINVAL with a
 * sentence in why.  rq->file_fd is set to -1.
 */
int
privreq_parse(const char *name, const char *text, size_t len,
    struct privreq *rq, char *why, size_t whylen)
{
	const struct privreq_action *a = NULL;
	char nid[PRIVREQ_ID_LEN + 1], line[512];
	const char *p = text, *end = text + len;
	int rc = 0, have_end = 0, have_action = 0, have_id = 0;

	memset(rq, 0, sizeof *rq);
	rq->file_fd = -1;
	if (name_id(name, nid) != 0)
		REFUSE("The request's name is not <action>-<id>.req.");
	if (len > PRIVREQ_MAX_SIZE)
		REFUSE("The request is larger than %d bytes.", PRIVREQ_MAX_SIZE);
	if (memchr(text, '\0', len) != NULL)
		REFUSE("The request holds a NUL byte.");
	for (int lineno = 0; p < end; lineno++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eq;
		size_t n;

		if (nl == NULL)
			REFUSE("The request is incomplete (its last line is cut).");
		n = (size_t)(nl - p);
		if (n >= sizeof line)
			REFUSE("A line of the request is too long.");
		memcpy(line, p, n);
		line[n] = '\0';
		p = nl + 1;
		if (have_end)
			REFUSE("The request goes on after its end line.");
		if (lineno == 0) {
			if (strcmp(line, HEADER) != 0)
				REFUSE("The request is not of version %d.",
				    PRIVREQ_VERSION);
			continue;
		}
		if (strcmp(line, "end") == 0) {
			have_end = 1;
			continue;
		}
		if ((eq = strchr(line, '=')) == NULL || eq == line ||
		    eq - line >= 32)
			REFUSE("A line of the request is not key=value.");
		line[eq - line] = '\0';
		for (const char *k = line; *k; k++)
			if (!((*k >= 'a' && *k <= 'z') || *k == '_'))
				REFUSE("A key of the request is malformed.");
		eq++;
		if (!valid_text(eq, strlen(eq)))
			REFUSE("The value of %s is not one line of text.", line);
		if (strcmp(line, "action") == 0) {
			if (have_action++)
				REFUSE("The request names its action twice.");
			if ((a = find_action(eq)) == NULL)
				REFUSE("The action is not one the helper knows.");
			snprintf(rq->action, sizeof rq->action, "%s", a->name);
		} else if (strcmp(line, "id") == 0) {
			if (have_id++)
				REFUSE("The request gives its id twice.");
			if (!valid_id(eq) || strcmp(eq, nid) != 0)
				REFUSE("The request's id does not match its name.");
			memcpy(rq->id, eq, PRIVREQ_ID_LEN + 1);
		} else if (strcmp(line, "file") == 0) {
			if (rq->file[0])
				REFUSE("The request names two staged files.");
			if (!valid_file_name(eq))
				REFUSE("The staged file name is a path or is "
				    "malformed; only a name in the request "
				    "directory is accepted.");
			memcpy(rq->file, eq, strlen(eq) + 1);
		} else {
			const struct privreq_param *pp = NULL;
			if (a == NULL)
				REFUSE("The request gives a value before its "
				    "action.");
			for (const struct privreq_param *q = a->params;
			    q && q->name; q++)
				if (strcmp(q->name, line) == 0)
					pp = q;
			if (pp == NULL)
				REFUSE("The action %s takes no value %s.",
				    a->name, line);
			for (size_t i = 0; i < rq->nvalues; i++)
				if (strcmp(rq->values[i].name, line) == 0)
					REFUSE("The request gives %s twice.",
					    line);
			if (rq->nvalues >= PRIVREQ_MAX_VALUES || !pp->valid(eq))
				REFUSE("The value of %s is not valid.", line);
			/* Both lengths are checked above (< 32, <= 255). */
			memcpy(rq->values[rq->nvalues].name, line,
			    strlen(line) + 1);
			memcpy(rq->values[rq->nvalues].value, eq, strlen(eq) + 1);
			rq->nvalues++;
		}
	}
	if (!have_end)
		REFUSE("The request is incomplete (no end line).");
	if (!have_action || !have_id)
		REFUSE("The request lacks its action or its id.");
	if (strncmp(name, a->name, strlen(a->name)) != 0 ||
	    name[strlen(a->name)] != '-' ||
	    strlen(name) != strlen(a->name) + 1 + PRIVREQ_ID_LEN + 4)
		REFUSE("The request's action does not match its name.");
	for (const struct privreq_param *q = a->params; q && q->name; q++) {
		size_t i;
		for (i = 0; i < rq->nvalues; i++)
			if (strcmp(rq->values[i].name, q->name) == 0)
				break;
		if (q->required && i == rq->nvalues)
			REFUSE("The request lacks the value %s.", q->name);
	}
out:
	util_wipe(line, sizeof line);
	return rc;
}

#undef REFUSE

/* 0 when rq names a staged file exactly if its action takes one. */
static int
file_use(const struct privreq *rq, char *why, size_t whylen)
{
	const struct privreq_action *a = find_action(rq->action);

	if (a && rq->file[0] && !a->takes_file)
		snprintf(why, whylen, "The action %s takes no staged file.",
		    a->name);
	else if (a && !rq->file[0] && a->takes_file)
		snprintf(why, whylen, "The action %s needs a staged file.",
		    a->name);
	else
		return 0;
	return CONN_EINVAL;
}

/* ---- the programs' side ---- */

/*
 * Stage a request for the helper: action (a row of the table), values (a
 * NULL-terminated list of name, value pairs, or NULL) and, for an action
 * that takes one, the name of a file already staged in the request
 * directory.  Everything is checked here as the helper will check it.
 * The new request's id goes into id_out.  Returns 0, CONN_EINVAL for a
 * request the helper would refuse, CONN_ETOOBIG when the directory already
 * holds PRIVREQ_MAX_QUEUED entries, or CONN_EIO.
 */
int
privreq_submit(const char *action, const char *const *values,
    const char *file, char id_out[PRIVREQ_ID_LEN + 1])
{
	char name[128], path[PATH_MAX], why[160];
	unsigned char rnd[PRIVREQ_ID_LEN / 2];
	struct buf text = { 0 };
	struct privreq rq;
	int n, rc;

	if (find_action(action) == NULL) {
		log_err("privileged request: unknown action %s", action);
		return CONN_EINVAL;
	}
	if ((rc = util_mkdirs(paths_get(PATH_REQUESTS), 0700)) != 0) {
		log_err("cannot create %s: %s", paths_get(PATH_REQUESTS),
		    strerror(errno));
		return rc;
	}
	if ((n = util_count_entries(paths_get(PATH_REQUESTS))) < 0)
		return CONN_EIO;
	if (n >= PRIVREQ_MAX_QUEUED) {
		log_warn("privileged request %s refused: %d requests already "
		    "wait in %s", action, n, paths_get(PATH_REQUESTS));
		return CONN_ETOOBIG;
	}
	if ((rc = util_random(rnd, sizeof rnd)) != 0)
		return rc;
	util_hex(rnd, sizeof rnd, id_out);
	snprintf(name, sizeof name, "%s-%s.req", action, id_out);
	rc = buf_addf(&text, HEADER "\naction=%s\nid=%s\n", action, id_out);
	if (rc == 0 && file)
		rc = buf_addf(&text, "file=%s\n", file);
	for (size_t i = 0; rc == 0 && values && values[i] && values[i + 1];
	    i += 2)
		rc = buf_addf(&text, "%s=%s\n", values[i], values[i + 1]);
	if (rc == 0)
		rc = buf_adds(&text, "end\n");
	if (rc != 0)
		goto out;
	if (privreq_parse(name, text.data, text.len, &rq, why, sizeof why) ||
	    file_use(&rq, why, sizeof why)) {
		log_err("privileged request %s not staged: %s", action, why);
		rc = CONN_EINVAL;
		goto out;
	}
	snprintf(path, sizeof path, "%s/%s", paths_get(PATH_REQUESTS), name);
	if ((rc = util_write_file_atomic(path, text.data, text.len, 0600)) == 0)
		log_info("privileged request %s staged as %s", action, id_out);
out:
	buf_free(&text);
	return rc;
}

/*
 * The result of the request id into r.  Returns 0, CONN_ENOTFOUND while
 * the helper has not answered yet, CONN_EINVAL for a malformed id or
 * result file, or CONN_EIO.
 */
int
privreq_result(const char *id, struct privreq_result *r)
{
	char path[PATH_MAX];
	struct buf b = { 0 };
	char *line, *save = NULL;
	int rc, seen = 0;

	memset(r, 0, sizeof *r);
	r->outcome = PRIVREQ_REFUSED;
	if (!valid_id(id))
		return CONN_EINVAL;
	snprintf(path, sizeof path, "%s/%s.result", paths_get(PATH_RESULTS), id);
	if ((rc = util_read_file(path, 2048, &b)) != 0)
		goto out;
	rc = CONN_EINVAL;
	if (b.len == 0)
		goto out;
	for (line = strtok_r(b.data, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		if (eq == NULL)
			goto out;
		*eq++ = '\0';
		if (strcmp(line, "outcome") == 0) {
			for (int o = PRIVREQ_DONE; o <= PRIVREQ_REFUSED; o++)
				if (strcmp(eq, outcome_names[o]) == 0) {
					r->outcome = (enum privreq_outcome)o;
					seen = 1;
				}
		} else if (strcmp(line, "action") == 0)
			util_copy_text(r->action, sizeof r->action, eq);
		else if (strcmp(line, "message") == 0)
			util_copy_text(r->message, sizeof r->message, eq);
		else if (strcmp(line, "time") == 0)
			r->time = (time_t)strtoll(eq, NULL, 10);
	}
	if (seen)
		rc = 0;
out:
	buf_free(&b);
	return rc;
}

/* ---- the actions ---- */

/* 1 for a development or test instance (a root other than "/"). */
static int
dev_instance(void)
{
	return strcmp(paths_get(PATH_ROOT), "/") != 0;
}

/*
 * Run argv[0] (an absolute path) with argv, a fixed environment and
 * stdin from /dev/null, and wait for it.  No shell.  Returns 0 when it
 * exited with status 0, else CONN_EIO (logged).
 */
static int
run_argv(const char *const argv[])
{
	static char *const envp[] = {
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL
	};
	int status;
	pid_t pid;

	if ((pid = fork()) < 0) {
		log_err("cannot start %s: %s", argv[0], strerror(errno));
		return CONN_EIO;
	}
	if (pid == 0) {
		int fd = open("/dev/null", O_RDONLY);
		if (fd >= 0 && fd != 0) {
			dup2(fd, 0);
			close(fd);
		}
		execve(argv[0], (char *const *)argv, envp);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			log_err("waiting for %s: %s", argv[0], strerror(errno));
			return CONN_EIO;
		}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_err("%s %s ended with status %d", argv[0], argv[1] ? argv[1] :
		    "", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return CONN_EIO;
	}
	return 0;
}

/*
 * The pid in the pid file path, if that process is alive and its command
 * line contains expect; else -1.
 */
static pid_t
read_pid(const char *path, const char *expect)
{
	char proc[64];
	struct buf b = { 0 }, cmd = { 0 };
	long pid = -1;
	char *endp;

	if (util_read_file(path, 32, &b) != 0 || b.len == 0)
		goto out;
	pid = strtol(b.data, &endp, 10);
	if (pid <= 1 || (*endp != '\n' && *endp != '\0')) {
		pid = -1;
		goto out;
	}
	snprintf(proc, sizeof proc, "/proc/%ld/cmdline", pid);
	if (util_read_file(proc, 4096, &cmd) != 0 || cmd.len == 0) {
		pid = -1;
		goto out;
	}
	for (size_t i = 0; i + 1 < cmd.len; i++)
		if (cmd.data[i] == '\0')
			cmd.data[i] = ' ';
	if (strstr(cmd.data, expect) == NULL)
		pid = -1;
out:
	buf_free(&b);
	buf_free(&cmd);
	return (pid_t)pid;
}

static void
set_result(struct privreq_result *r, enum privreq_outcome o, const char *msg)
{
	r->outcome = o;
	snprintf(r->message, sizeof r->message, "%s", msg);
}

/*
 * Reload the web server after its configuration was rendered again: test
 * the configuration first (a broken one is never loaded), then reload it
 * (production: through systemd; development: signal the instance's own
 * nginx through its pid file).
 */
static int
act_reload_nginx(const struct privreq *rq, struct privreq_result *r)
{
	char errlog[PATH_MAX];
	const char *const dev_test[] = { NGINX_BIN, "-t", "-q", "-e", errlog,
		"-c", paths_get(PATH_NGINX_CONF), NULL };
	const char *const test[] = { NGINX_BIN, "-t", "-q", NULL };
	const char *const reload[] = { SYSTEMCTL_BIN, "reload", "--",
		"nginx.service", NULL };
	pid_t pid;

	(void)rq;
	snprintf(errlog, sizeof errlog, "%s/nginx-error.log",
	    paths_get(PATH_LOG));
	if (run_argv(dev_instance() ? dev_test : test) != 0) {
		set_result(r, PRIVREQ_FAILED, "The web server's configuration "
		    "has an error, so it was not reloaded and keeps serving the "
		    "previous one; see the web server's error log.");
		return CONN_EIO;
	}
	if (dev_instance()) {
		if ((pid = read_pid(paths_get(PATH_NGINX_PID), "nginx")) < 0 ||
		    kill(pid, SIGHUP) != 0) {
			set_result(r, PRIVREQ_FAILED, "The web server is not "
			    "running, so there was nothing to reload; start the "
			    "console again.");
			return CONN_EIO;
		}
	} else if (run_argv(reload) != 0) {
		set_result(r, PRIVREQ_FAILED, "The web server could not be "
		    "reloaded; see the system journal of nginx.service.");
		return CONN_EIO;
	}
	log_info("web server reloaded");
	set_result(r, PRIVREQ_DONE, "The web server reloaded its "
	    "configuration.");
	return 0;
}

/*
 * Restart the console's programs (the seed's "Restart services"):
 * production restarts their systemd units, listed in this file;
 * development asks the supervisor (scripts/connector-run) to restart them.
 */
static int
act_restart_services(const struct privreq *rq, struct privreq_result *r)
{
	const char *argv[4 + sizeof service_units / sizeof service_units[0]];
	size_t n = 0;
	pid_t pid;

	(void)rq;
	if (dev_instance()) {
		if ((pid = read_pid(paths_get(PATH_SUPERVISOR_PID),
		    "connector-run")) < 0 || kill(pid, SIGUSR1) != 0) {
			set_result(r, PRIVREQ_FAILED, "The console's supervisor "
			    "is not running, so nothing was restarted; start the "
			    "console again.");
			return CONN_EIO;
		}
	} else {
		argv[n++] = SYSTEMCTL_BIN;
		argv[n++] = "restart";
		argv[n++] = "--";
		for (size_t i = 0; i < sizeof service_units /
		    sizeof service_units[0]; i++)
			argv[n++] = service_units[i];
		argv[n] = NULL;
		if (run_argv(argv) != 0) {
			set_result(r, PRIVREQ_FAILED, "The console's services "
			    "could not all be restarted; see the system journal "
			    "of the connector@ units.");
			return CONN_EIO;
		}
	}
	log_info("console services restarted");
	set_result(r, PRIVREQ_DONE, "The console's services are restarting; "
	    "the console answers again in a few seconds.");
	return 0;
}

/*
 * Carry out the validated request rq through the action table; r gets the
 * outcome and a sentence for the page.  Returns 0 or a CONN_E* code.
 */
int
privreq_act(const struct privreq *rq, struct privreq_result *r)
{
	const struct privreq_action *a = find_action(rq->action);

	memset(r, 0, sizeof *r);
	snprintf(r->action, sizeof r->action, "%s", rq->action);
	r->time = util_now();
	if (a == NULL) {
		set_result(r, PRIVREQ_REFUSED, "The action is not one the "
		    "helper knows.");
		return CONN_EINVAL;
	}
	return a->act(rq, r);
}

/* ---- the helper's side ---- */

/*
 * Write r as <id>.result in the results directory rfd (the helper's own):
 * a temporary file, fsynced, renamed, the directory fsynced.
 */
static int
write_result(int rfd, const char *id, const struct privreq_result *r)
{
	char name[PRIVREQ_ID_LEN + 16], tmp[PRIVREQ_ID_LEN + 16], msg[256];
	struct buf b = { 0 };
	int fd = -1, rc = CONN_EIO;

	snprintf(name, sizeof name, "%s.result", id);
	snprintf(tmp, sizeof tmp, "%s.tmp", id);
	util_copy_text(msg, sizeof msg, r->message);
	if (buf_addf(&b, "outcome=%s\naction=%s\ntime=%lld\nmessage=%s\n",
	    privreq_outcome_name(r->outcome), r->action[0] ? r->action : "-",
	    (long long)r->time, msg) != 0) {
		rc = CONN_ENOMEM;
		goto out;
	}
	fd = openat(rfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, b.data, b.len) != (ssize_t)b.len ||
	    fsync(fd) != 0)
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (renameat(rfd, tmp, rfd, name) != 0 || fsync(rfd) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0) {
		log_err("cannot write the result %s: %s", name, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlinkat(rfd, tmp, 0);
	}
	buf_free(&b);
	return rc;
}

/*
 * Open name in the directory dfd for reading, without following a link,
 * and check it: a regular file with one link, owned by owner, of at most
 * max bytes.  Returns the descriptor, or -1 with a sentence in why (*gone
 * set when the file does not exist).
 */
static int
open_checked(int dfd, const char *name, uid_t owner, off_t max,
    const char *what, char *why, size_t whylen, int *gone)
{
	struct stat st;
	int fd;

	*gone = 0;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		*gone = errno == ENOENT;
		if (errno == ELOOP)
			snprintf(why, whylen, "The %s is a symbolic link.", what);
		else if (errno == ENOENT)
			snprintf(why, whylen, "The %s does not exist.", what);
		else
			snprintf(why, whylen, "The %s cannot be opened.", what);
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		snprintf(why, whylen, "The %s is not a regular file.", what);
	else if (st.st_uid != owner)
		snprintf(why, whylen, "The %s was written by another user.",
		    what);
	else if (st.st_nlink != 1)
		snprintf(why, whylen, "The %s has other links.", what);
	else if (st.st_size > max)
		snprintf(why, whylen, "The %s is too large.", what);
	else
		return fd;
	close(fd);
	return -1;
}

/*
 * Take the request file name from the staging directory dfd: open and
 * check it, remove it, parse it, and open (then remove) its staged file.
 * Returns 0 with rq filled (rq->file_fd open when it has a file, the
 * caller closes it), 1 when the file vanished meanwhile, or CONN_EINVAL
 * with a sentence in why.
 */
static int
take_one(int dfd, const char *name, uid_t owner, struct privreq *rq,
    char *why, size_t whylen)
{
	char text[PRIVREQ_MAX_SIZE + 1];
	ssize_t n = 0, got;
	int fd, gone, rc = CONN_EINVAL;

	memset(rq, 0, sizeof *rq);
	rq->file_fd = -1;
	fd = open_checked(dfd, name, owner, PRIVREQ_MAX_SIZE, "request", why,
	    whylen, &gone);
	if (fd < 0 && gone)
		return 1;
	if (fd >= 0) {
		while ((size_t)n < sizeof text &&
		    (got = read(fd, text + n, sizeof text - (size_t)n)) != 0) {
			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0) {
				snprintf(why, whylen, "The request cannot be "
				    "read.");
				close(fd);
				fd = -1;
				break;
			}
			n += got;
		}
	}
	/* Removed before anything is done, refused or not. */
	if (unlinkat(dfd, name, 0) != 0 && errno == EISDIR)
		unlinkat(dfd, name, AT_REMOVEDIR);
	if (fd < 0)
		goto out;
	close(fd);
	if ((size_t)n > PRIVREQ_MAX_SIZE) {
		snprintf(why, whylen, "The request is too large.");
		goto out;
	}
	if (privreq_parse(name, text, (size_t)n, rq, why, whylen) != 0)
		goto out;
	if (rq->file[0]) {
		rq->file_fd = open_checked(dfd, rq->file, owner,
		    PRIVREQ_MAX_STAGED, "staged file", why, whylen, &gone);
		unlinkat(dfd, rq->file, 0);
		if (rq->file_fd < 0)
			goto out;
	}
	if (file_use(rq, why, whylen) != 0)
		goto out;
	rc = 0;
out:
	util_wipe(text, sizeof text);
	return rc;
}

/* 1 when two validated requests ask for the same thing (no staged file). */
static int
same_request(const struct privreq *a, const struct privreq *b)
{
	if (strcmp(a->action, b->action) != 0 || a->file[0] || b->file[0] ||
	    a->nvalues != b->nvalues)
		return 0;
	for (size_t i = 0; i < a->nvalues; i++)
		if (strcmp(a->values[i].name, b->values[i].name) != 0 ||
		    strcmp(a->values[i].value, b->values[i].value) != 0)
			return 0;
	return 1;
}

struct entry {
	char name[128];
	time_t mtime;
};

static int
entry_cmp(const void *x, const void *y)
{
	const struct entry *a = x, *b = y;

	if (a->mtime != b->mtime)
		return a->mtime < b->mtime ? -1 : 1;
	return strcmp(a->name, b->name);
}

/*
 * Open the directory of path without following a link and check it:
 * owned by owner (or root), writable by its owner only.  Returns the
 * descriptor, or -1 (logged; ENOENT left in errno when it does not exist).
 */
static int
open_dir_checked(const char *path, uid_t owner)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			log_err("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || (st.st_uid != owner && st.st_uid != 0) ||
	    (st.st_mode & 022) != 0) {
		log_err("%s must belong to its user and be writable by it "
		    "alone; nothing in it is taken", path);
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

/* Remove results older than PRIVREQ_RESULT_SECONDS from rfd. */
static void
expire_results(int rfd, time_t now)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd;

	if ((fd = fcntl(rfd, F_DUPFD_CLOEXEC, 0)) < 0 ||
	    (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' &&
		    fstatat(rfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    now - st.st_mtime > PRIVREQ_RESULT_SECONDS)
			unlinkat(rfd, de->d_name, 0);
	closedir(d);
}

/*
 * One wake of the helper: take at most max requests (oldest first) from
 * the staging directory, whose files must belong to owner; refuse the
 * invalid ones, act once for each group of identical ones, and write a
 * result for every request taken.  Files that are not requests (a request
 * still being written) are left alone until they are stale.  *taken gets
 * the number of request files taken.  Returns 0 or a CONN_E* code when
 * the directories themselves are wrong.
 */
int
privreq_run(uid_t owner, size_t max, size_t *taken)
{
	struct entry *ents = NULL;
	struct privreq *acc = NULL;
	struct privreq_result *res = NULL;
	size_t nents = 0, nacc = 0, cap = 4 * PRIVREQ_MAX_QUEUED;
	struct dirent *de;
	struct stat st;
	time_t now = util_now();
	DIR *d = NULL;
	int dfd = -1, rfd = -1, fd, rc = CONN_EIO;

	*taken = 0;
	if ((dfd = open_dir_checked(paths_get(PATH_REQUESTS), owner)) < 0)
		return errno == ENOENT ? 0 : CONN_EDENIED;
	if (util_mkdirs(paths_get(PATH_RESULTS), 0755) != 0 ||
	    (rfd = open_dir_checked(paths_get(PATH_RESULTS), geteuid())) < 0)
		goto out;
	if ((ents = calloc(cap, sizeof *ents)) == NULL ||
	    (acc = calloc(max ? max : 1, sizeof *acc)) == NULL ||
	    (res = calloc(max ? max : 1, sizeof *res)) == NULL) {
		rc = CONN_ENOMEM;
		goto out;
	}
	if ((fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0)) < 0 ||
	    (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (len > 4 && strcmp(de->d_name + len - 4, ".req") == 0) {
			if (nents < cap && len < sizeof ents[0].name) {
				memcpy(ents[nents].name, de->d_name, len + 1);
				ents[nents++].mtime = st.st_mtime;
			} else if (len >= sizeof ents[0].name)
				unlinkat(dfd, de->d_name, 0);
		} else if (now - st.st_mtime > PRIVREQ_STALE_SECONDS &&
		    !S_ISDIR(st.st_mode)) {
			log_warn("removing the stale file %s from the request "
			    "directory", de->d_name);
			unlinkat(dfd, de->d_name, 0);
		}
	}
	closedir(d);
	d = NULL;
	qsort(ents, nents, sizeof *ents, entry_cmp);
	for (size_t i = 0; i < nents && *taken < max; i++) {
		struct privreq_result r;
		char why[160] = "", id[PRIVREQ_ID_LEN + 1];
		int t = take_one(dfd, ents[i].name, owner, &acc[nacc], why,
		    sizeof why);

		if (t == 1)
			continue;
		(*taken)++;
		if (t == 0) {
			nacc++;
			continue;
		}
		log_warn("privileged request %s refused: %s", ents[i].name, why);
		if (name_id(ents[i].name, id) != 0)
			continue;
		memset(&r, 0, sizeof r);
		r.time = now;
		set_result(&r, PRIVREQ_REFUSED, why);
		write_result(rfd, id, &r);
	}
	/* Identical requests are carried out once and share the result. */
	for (size_t i = 0; i < nacc; i++) {
		size_t j;
		for (j = 0; j < i; j++)
			if (same_request(&acc[i], &acc[j]))
				break;
		if (j < i)
			res[i] = res[j];
		else {
			log_info("privileged request %s (%s) taken", acc[i].id,
			    acc[i].action);
			privreq_act(&acc[i], &res[i]);
		}
		write_result(rfd, acc[i].id, &res[i]);
	}
	expire_results(rfd, now);
	rc = 0;
out:
	for (size_t i = 0; acc && i < nacc; i++)
		if (acc[i].file_fd >= 0)
			close(acc[i].file_fd);
	if (d)
		closedir(d);
	if (rfd >= 0)
		close(rfd);
	close(dfd);
	free(ents);
	free(acc);
	free(res);
	return rc;
}
