/*
 * connector-setup — the connector's VM-console tool.  Subcommands:
 *
 *   init [--listen ADDR:PORT] [--name NAME] [--allow-loopback-peers]
 *        [--service-user USER --web-user USER]
 *       Prepare (or re-check) an instance: directories, database schema,
 *       the encryption key of stored credentials (finishing or rolling
 *       back a rotation a crash interrupted), console certificate, nginx
 *       configuration and, while the console is unclaimed, the one-time
 *       setup code.  Prints the console URL, the certificate fingerprint
 *       and the setup code.  Idempotent.  --allow-loopback-peers lets a
 *       test or demonstration instance register with a vCenter and a
 *       portal on this machine's loopback addresses; without it they are
 *       refused (and the setting is cleared).  --service-user and
 *       --web-user (root only; the production unit passes both) give the
 *       files the programs write to the programs' user, nginx's temporary
 *       directory to nginx's worker user, and name that user in the
 *       rendered nginx.conf.
 *   reset-password
 *       Menu option 1: set a new connector password, which also lifts a
 *       lockout and ends every session.
 *   show-certificate
 *       Menu option 7: the console certificate's subject, names, validity
 *       and SHA-256 and SHA-1 fingerprints.
 *   restart-services
 *       Restart the console's programs, through the privileged helper's
 *       action table (lib/privreq.c), directly: this tool runs as root.
 *   reload-nginx
 *       Test and reload the web server's configuration, the same way.
 *   health
 *       The Health Status pane as a table: each item's state, name,
 *       summary and when it was checked, as the last run of the health
 *       check found them.  Exit status 0 when nothing is wrong, 1 when an
 *       item is in warning or error.
 *   help, --help
 *       The usage, on standard output.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "../lib/core.h"
#include "../lib/domain.h"
#include "../lib/health.h"
#include "../lib/healthview.h"
#include "../lib/privreq.h"

/* The full usage, every subcommand with one line, on out. */
static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: connector-setup COMMAND\n"
	    "\n"
	    "  init [--listen ADDR:PORT] [--name NAME] [--allow-loopback-peers]\n"
	    "       [--service-user USER --web-user USER]\n"
	    "                    prepare or re-check the appliance: state, "
	    "certificate, web server\n"
	    "  reset-password    set a new connector password (lifts a lockout, "
	    "ends sessions)\n"
	    "  show-certificate  print the console certificate: names, "
	    "validity, fingerprints\n"
	    "  restart-services  restart the console's services\n"
	    "  reload-nginx      test and reload the web server's "
	    "configuration\n"
	    "  health            print the Health Status items: state, "
	    "summary, when checked\n"
	    "  help              print this usage\n");
}

static int
open_state(void)
{
	if (paths_init() != 0) {
		fprintf(stderr, "connector-setup: CONNECTOR_ROOT must be an "
		    "absolute path\n");
		return 1;
	}
	log_init("connector-setup");
	if (db_open(paths_get(PATH_DB)) != 0 || db_migrate() != 0) {
		fprintf(stderr, "connector-setup: cannot open the database %s\n",
		    paths_get(PATH_DB));
		return 1;
	}
	return 0;
}

/*
 * Create the instance's directories.  Missing parents (var/log under a
 * fresh root) are made 0755 whatever the leaf's mode, so that the
 * programs' user can walk to the directories given to it.
 */
static int
make_dirs(void)
{
	static const struct { enum paths_id id; unsigned mode; } dirs[] = {
		{ PATH_ETC, 0755 }, { PATH_LIB, 0755 }, { PATH_KEYS, 0700 },
		{ PATH_TLS, 0700 }, { PATH_NGINX_TMP, 0700 },
		{ PATH_BUNDLES, 0750 },
		{ PATH_LOG, 0750 }, { PATH_RUN, 0755 },
		{ PATH_ERROR_PAGES, 0755 },
		/* The privileged helper's queue and its answers. */
		{ PATH_REQUESTS, 0700 }, { PATH_RESULTS, 0755 },
	};
	char parent[4096];

	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		const char *d = paths_get(dirs[i].id), *slash = strrchr(d, '/');

		snprintf(parent, sizeof parent, "%.*s", (int)(slash - d), d);
		if ((parent[0] != '\0' && util_mkdirs(parent, 0755) != 0) ||
		    util_mkdirs(d, dirs[i].mode) != 0) {
			fprintf(stderr, "connector-setup: cannot create %s: %s\n",
			    d, strerror(errno));
			return 1;
		}
	}
	return 0;
}

/* The production owners of an instance (init --service-user, --web-user). */
struct owners {
	const char *svc_name, *web_name;
	uid_t svc_uid, web_uid;
	gid_t svc_gid, web_gid;
};

/* Look up name (a user; its primary group goes with it).  0 or -1. */
static int
lookup_user(const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd *pw = getpwnam(name);

	if (pw == NULL) {
		fprintf(stderr, "connector-setup: there is no user %s; create "
		    "it first (see INSTALL, Service user)\n", name);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

enum own_kind { OWN_DIR, OWN_FILE };

/*
 * Give path (in dirfd, or absolute with AT_FDCWD) to uid:gid with mode,
 * without following a symbolic link: the directories it sits in may be
 * the service user's, who could put anything at that name.  So the name
 * must hold what is expected: a directory, or a regular file with one link
 * (never a program, a device or a hard link to another file).  A missing
 * file is fine when optional.  With fd_out, a directory stays open there
 * (the caller closes it), so that its entries are reached through it and
 * never by its name again.  0 or -1.
 */
static int
own_at(int dirfd, const char *path, enum own_kind kind, uid_t uid, gid_t gid,
    mode_t mode, int optional, int *fd_out)
{
	int fd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK | (kind == OWN_DIR ? O_DIRECTORY : 0));
	struct stat st;
	int rc = -1;

	if (fd < 0) {
		if (optional && errno == ENOENT)
			return 0;
		goto out;
	}
	if (fstat(fd, &st) != 0)
		goto out;
	if (kind == OWN_FILE && (!S_ISREG(st.st_mode) || st.st_nlink != 1)) {
		errno = EINVAL;
		fprintf(stderr, "connector-setup: %s is not a plain file; "
		    "remove it and run init again\n", path);
		goto out;
	}
	if (fchown(fd, uid, gid) != 0 || fchmod(fd, mode) != 0)
		goto out;
	rc = 0;
	if (fd_out) {
		*fd_out = fd;
		fd = -1;
	}
out:
	if (rc != 0)
		fprintf(stderr, "connector-setup: cannot set the owner of %s: "
		    "%s\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

/*
 * Production ownership (as INSTALL lists it): the programs' user owns
 * its state directory, database and encryption keys and its log file;
 * the log directory is root's, open to the programs' group (0750), so
 * that nginx's audit log stays root's; nginx's temporary directory is
 * its worker user's; the downloads directory is the programs', readable by
 * nginx's group (nginx sends the files itself).  Everything else stays
 * root's.  0 or 1.
 */
static int
set_owners(const struct owners *o)
{
	static const char *const dbfiles[] = { "", "-wal", "-shm" };
	char path[4200];
	struct dirent *e;
	DIR *keys = NULL;
	int kfd = -1, rc = 1;

	if (own_at(AT_FDCWD, paths_get(PATH_LIB), OWN_DIR, o->svc_uid,
	    o->svc_gid, 0755, 0, NULL) != 0 ||
	    own_at(AT_FDCWD, paths_get(PATH_KEYS), OWN_DIR, o->svc_uid,
	    o->svc_gid, 0700, 0, &kfd) != 0 ||
	    own_at(AT_FDCWD, paths_get(PATH_REQUESTS), OWN_DIR, o->svc_uid,
	    o->svc_gid, 0700, 0, NULL) != 0 ||
	    own_at(AT_FDCWD, paths_get(PATH_BUNDLES), OWN_DIR, o->svc_uid,
	    o->web_gid, 02750, 0, NULL) != 0 ||
	    own_at(AT_FDCWD, paths_get(PATH_LOG), OWN_DIR, 0, o->svc_gid, 0750,
	    0, NULL) != 0 ||
	    own_at(AT_FDCWD, paths_get(PATH_LOGFILE), OWN_FILE, o->svc_uid,
	    o->svc_gid, 0640, 0, NULL) != 0 ||
	    own_at(AT_FDCWD, paths_get(PATH_NGINX_TMP), OWN_DIR, o->web_uid,
	    o->web_gid, 0700, 0, NULL) != 0)
		goto out;
	for (size_t i = 0; i < sizeof dbfiles / sizeof dbfiles[0]; i++) {
		snprintf(path, sizeof path, "%s%s", paths_get(PATH_DB),
		    dbfiles[i]);
		if (own_at(AT_FDCWD, path, OWN_FILE, o->svc_uid, o->svc_gid,
		    0600, i > 0, NULL) != 0)
			goto out;
	}
	/* The key files, through the directory opened above: a keys/
	 * swapped for a link since then is never followed. */
	if ((keys = fdopendir(kfd)) == NULL)
		goto out;
	kfd = -1;
	while ((e = readdir(keys)) != NULL)
		if (e->d_name[0] != '.' && own_at(dirfd(keys), e->d_name,
		    OWN_FILE, o->svc_uid, o->svc_gid, 0600, 1, NULL) != 0)
			goto out;
	rc = 0;
out:
	if (keys)
		closedir(keys);
	if (kfd >= 0)
		close(kfd);
	return rc;
}

/* Parse "ADDR:PORT" into c; the address must be an IPv4 literal. */
static int
parse_listen(const char *s, struct site_conf *c)
{
	const char *colon = strrchr(s, ':');
	char addr[sizeof c->listen_addr];

	if (colon == NULL || (size_t)(colon - s) >= sizeof addr)
		return -1;
	memcpy(addr, s, (size_t)(colon - s));
	addr[colon - s] = '\0';
	if (!syntax_ipv4(addr) || !syntax_port(colon + 1))
		return -1;
	memcpy(c->listen_addr, addr, sizeof addr);
	c->port = atoi(colon + 1);
	return 0;
}

static void
add_origin(struct buf *o, const char *host, int port)
{
	if (port == 443)
		buf_addf(o, "%shttps://%s", o->len ? " " : "", host);
	else
		buf_addf(o, "%shttps://%s:%d", o->len ? " " : "", host, port);
}

/* Append name to names[] unless it is there already. */
static void
add_name(char names[][64], size_t *n, size_t max, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(names[i], name) == 0)
			return;
	if (*n < max)
		snprintf(names[(*n)++], 64, "%s", name);
}

/*
 * The names the console answers to, for the certificate's subject
 * alternative names and for the origins the Origin check accepts: the
 * listen address when it is a specific one (it comes first: it is the
 * origin redirects use), every current IPv4 address, the host name, and
 * localhost for a loopback console.
 */
static void
console_names(const struct site_conf *sc, char names[][64], size_t *n,
    struct buf *origins)
{
	char addrs[16][64], host[64];
	size_t na = 0;

	*n = 0;
	if (strcmp(sc->listen_addr, "0.0.0.0") != 0)
		add_name(names, n, 16, sc->listen_addr);
	if (netinfo_addresses(addrs, 16, &na) == 0)
		for (size_t i = 0; i < na; i++)
			add_name(names, n, 16, addrs[i]);
	if (gethostname(host, sizeof host) == 0 && syntax_hostname(host))
		add_name(names, n, 16, host);
	if (strncmp(sc->listen_addr, "127.", 4) == 0)
		add_name(names, n, 16, "localhost");
	for (size_t i = 0; i < *n; i++)
		add_origin(origins, names[i], sc->port);
}

static int
cmd_init(int argc, char **argv)
{
	struct site_conf sc = { "127.0.0.1", 8443, 0, NULL };
	char names[16][64], fp[128], ip[64], url[128];
	const char *name = NULL, *listen_arg = NULL, *share;
	struct buf origins = { 0 }, cur = { 0 };
	const char *namep[16];
	struct owners own = { 0 };
	struct auth_admin admin;
	struct stat stt;
	size_t nn;
	int rc = 1, loopback = 0;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--allow-loopback-peers") == 0)
			loopback = 1;
		else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
			listen_arg = argv[++i];
			if (parse_listen(listen_arg, &sc) != 0) {
				fprintf(stderr, "connector-setup: --listen takes "
				    "IPV4:PORT, e.g. 127.0.0.1:8443\n");
				return 2;
			}
		} else if (strcmp(argv[i], "--service-user") == 0 &&
		    i + 1 < argc) {
			own.svc_name = argv[++i];
		} else if (strcmp(argv[i], "--web-user") == 0 && i + 1 < argc) {
			own.web_name = argv[++i];
		} else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc) {
			name = argv[++i];
			if (valid_value(VT_TEXT, name, strlen(name), 64) != 0) {
				fprintf(stderr, "connector-setup: --name takes "
				    "one line of at most 64 bytes\n");
				return 2;
			}
		} else {
			usage(stderr);
			return 2;
		}
	}
	if ((own.svc_name == NULL) != (own.web_name == NULL)) {
		fprintf(stderr, "connector-setup: --service-user and --web-user "
		    "go together\n");
		return 2;
	}
	if (own.svc_name && geteuid() != 0) {
		fprintf(stderr, "connector-setup: only root can give the files "
		    "to %s; run it as root or without --service-user\n",
		    own.svc_name);
		return 1;
	}
	if (own.svc_name && (lookup_user(own.svc_name, &own.svc_uid,
	    &own.svc_gid) != 0 || lookup_user(own.web_name, &own.web_uid,
	    &own.web_gid) != 0))
		return 1;
	if (paths_init() != 0 || make_dirs() != 0 || open_state() != 0)
		return 1;
	if (secret_recover() != 0 || secret_ensure_key() != 0) {
		fprintf(stderr, "connector-setup: cannot prepare the encryption "
		    "key in %s\n", paths_get(PATH_KEYS));
		goto out;
	}
	if ((loopback ? db_setting_set(SETTING_ALLOW_LOOPBACK, "1") :
	    db_setting_delete(SETTING_ALLOW_LOOPBACK)) != 0)
		goto out;
	/* Without --listen, keep the address the instance already has. */
	if (listen_arg == NULL && db_setting_get(SETTING_LISTEN, &cur) == 0 && cur.len &&
	    parse_listen(cur.data, &sc) != 0)
		log_warn("ignoring the stored listen address %s", cur.data);
	buf_reset(&cur);
	share = paths_get(PATH_SHARE);
	if (name == NULL && db_setting_get(SETTING_NAME, &cur) == CONN_ENOTFOUND) {
		static char host[64];
		if (gethostname(host, sizeof host) != 0)
			snprintf(host, sizeof host, "connector");
		name = host;
	}
	if (name && db_setting_set(SETTING_NAME, name) != 0)
		goto out;
	netinfo_console_ip(sc.listen_addr, ip, sizeof ip);
	console_names(&sc, names, &nn, &origins);
	for (size_t i = 0; i < nn; i++)
		namep[i] = names[i];
	snprintf(url, sizeof url, "%s:%d", sc.listen_addr, sc.port);
	if (db_setting_set(SETTING_LISTEN, url) != 0 ||
	    db_setting_set(SETTING_IP, ip) != 0 ||
	    db_setting_set(SETTING_ORIGINS, origins.data) != 0)
		goto out;

	if (stat(paths_get(PATH_TLS_CERT), &stt) != 0) {
		if (tls_generate_self_signed(paths_get(PATH_TLS), namep, nn)) {
			fprintf(stderr, "connector-setup: cannot create the "
			    "console certificate\n");
			goto out;
		}
		log_info("console certificate generated");
	}
	if (tls_fingerprint_file(paths_get(PATH_TLS_CERT), fp, sizeof fp) ||
	    db_setting_set(SETTING_TLS_FINGERPRINT, fp) != 0)
		goto out;
	/* nginx's workers: the web user in production; root's own nginx for
	 * a console run by root without one (tests, make run). */
	sc.run_user = own.web_name ? own.web_name :
	    geteuid() == 0 ? "root" : NULL;
	if (site_render_nginx(share, &sc) != 0) {
		fprintf(stderr, "connector-setup: cannot write the nginx "
		    "configuration from %s/nginx\n", share);
		goto out;
	}
	if (view_init() != 0 ||
	    view_write_error_pages(paths_get(PATH_ERROR_PAGES)) != 0) {
		fprintf(stderr, "connector-setup: cannot write the error pages "
		    "into %s\n", paths_get(PATH_ERROR_PAGES));
		goto out;
	}
	view_shutdown();
	if (auth_admin_get(&admin) != 0)
		goto out;
	snprintf(url, sizeof url, "%.*s/", (int)strcspn(origins.data, " "),
	    origins.data);
	printf("Console:      %s\n", url);
	if (loopback)
		printf("Test mode:    vCenter and the portal may be on loopback "
		    "addresses\n");
	printf("Certificate:  SHA-256 %s\n", fp);
	if (!admin.claimed) {
		char code[AUTH_SETUP_CODE_LEN + 1];
		struct buf old = { 0 };
		if (util_read_file(paths_get(PATH_SETUP_CODE), 64, &old) == 0 &&
		    old.len >= AUTH_SETUP_CODE_LEN &&
		    auth_setup_code_matches(old.data)) {
			snprintf(code, sizeof code, "%.*s", AUTH_SETUP_CODE_LEN,
			    old.data);
		} else if (auth_new_setup_code(code) != 0 ||
		    util_write_file_atomic(paths_get(PATH_SETUP_CODE), code,
		    strlen(code), 0600) != 0) {
			buf_free(&old);
			goto out;
		}
		buf_free(&old);
		printf("Setup code:   %s   (one use; claims the console at "
		    "%ssetup)\n", code, url);
		util_wipe(code, sizeof code);
	} else {
		unlink(paths_get(PATH_SETUP_CODE));
		printf("The console is claimed; sign in with the connector "
		    "password.\n");
	}
	/* After the database is closed: no journal of root's is left. */
	db_close();
	if (own.svc_name && set_owners(&own) != 0)
		goto out;
	rc = 0;
out:
	buf_free(&origins);
	buf_free(&cur);
	db_close();
	return rc;
}

/* Read one line without echo when stdin is a terminal. */
static int
read_secret(const char *prompt, char *out, size_t outlen)
{
	struct termios old, noecho;
	int tty = isatty(0);
	size_t n;

	if (tty) {
		fputs(prompt, stderr);
		tcgetattr(0, &old);
		noecho = old;
		noecho.c_lflag &= (tcflag_t)~ECHO;
		tcsetattr(0, TCSAFLUSH, &noecho);
	}
	if (fgets(out, (int)outlen, stdin) == NULL)
		out[0] = '\0';
	if (tty) {
		tcsetattr(0, TCSAFLUSH, &old);
		fputs("\n", stderr);
	}
	n = strcspn(out, "\r\n");
	if (out[n] == '\0' && n == outlen - 1)
		return -1;	/* longer than the buffer */
	out[n] = '\0';
	return 0;
}

/*
 * One attempt at a new password: read it twice, check it against the
 * policy.  Returns 0 with the password in pw, 1 when refused (the policy's
 * sentence printed), -1 when input ended.
 */
static int
ask_password(char *pw, char *again, size_t len)
{
	const char *problem;

	if (feof(stdin))
		return -1;
	if (read_secret("New connector password: ", pw, len) != 0 ||
	    read_secret("Type it again: ", again, len) != 0) {
		fprintf(stderr, "The password is too long (at most %d bytes).\n",
		    AUTH_PASSWORD_MAX);
		/* Drop the rest of the over-long line. */
		for (int c; (c = getchar()) != EOF && c != '\n';)
			;
		return 1;
	}
	if (pw[0] == '\0' && feof(stdin))
		return -1;
	if (!util_utf8_valid(pw, strlen(pw)) ||
	    valid_value(VT_PASSWORD, pw, strlen(pw), AUTH_PASSWORD_MAX) != 0) {
		fprintf(stderr, "The password must be UTF-8 text without "
		    "control characters.\n");
		return 1;
	}
	if ((problem = auth_password_problem(pw, again)) != NULL) {
		fprintf(stderr, "%s\n", problem);
		return 1;
	}
	return 0;
}

/*
 * Menu option 1: ask for a new password until one is accepted or input
 * ends, then save it.
 */
static int
cmd_reset_password(void)
{
	char pw[AUTH_PASSWORD_MAX + 2], again[AUTH_PASSWORD_MAX + 2];
	int rc = 1, got;

	if (open_state() != 0)
		return 1;
	while ((got = ask_password(pw, again, sizeof pw)) == 1)
		fprintf(stderr, "Try again.\n");
	if (got != 0) {
		fprintf(stderr, "No password was set.\n");
		goto out;
	}
	if (auth_reset_password(pw) != 0) {
		fprintf(stderr, "The password could not be saved; see %s.\n",
		    paths_get(PATH_LOGFILE));
		goto out;
	}
	unlink(paths_get(PATH_SETUP_CODE));
	log_info("password reset from the VM console");
	printf("The connector password is set. Any lockout is lifted and "
	    "every console session has ended.\n");
	rc = 0;
out:
	util_wipe(pw, sizeof pw);
	util_wipe(again, sizeof again);
	db_close();
	return rc;
}

/* t as "2026-12-02 12:00 UTC" into out. */
static void
utc_time(time_t t, char *out, size_t outlen)
{
	struct tm tm;

	if (t <= 0 || gmtime_r(&t, &tm) == NULL)
		snprintf(out, outlen, "unknown");
	else
		strftime(out, outlen, "%Y-%m-%d %H:%M UTC", &tm);
}

/*
 * Menu option 7: the console certificate's facts — subject, issuer, the
 * names it is valid for, its validity and both fingerprints, to compare
 * with what the browser shows before trusting it.
 */
static int
cmd_show_certificate(void)
{
	char from[32], until[32];
	struct tls_facts f;
	time_t now = time(NULL);
	int rc;

	if (paths_init() != 0)
		return 1;
	if ((rc = tls_cert_facts_file(paths_get(PATH_TLS_CERT), NULL, &f))) {
		fprintf(stderr, rc == CONN_ENOTFOUND ? "connector-setup: no "
		    "console certificate at %s\n" : "connector-setup: the "
		    "console certificate at %s cannot be read\n",
		    paths_get(PATH_TLS_CERT));
		return 1;
	}
	utc_time(f.not_before, from, sizeof from);
	utc_time(f.not_after, until, sizeof until);
	printf("Certificate:  %s\n", paths_get(PATH_TLS_CERT));
	printf("Subject:      %s\n", f.subject);
	printf("Issuer:       %s%s\n", f.issuer,
	    f.self_signed ? " (self-signed)" : "");
	printf("Names:       ");
	for (size_t i = 0; i < f.nip; i++)
		printf(" IP:%s", f.ip[i]);
	for (size_t i = 0; i < f.ndns; i++)
		printf(" DNS:%s", f.dns[i]);
	printf("%s\n", f.nip + f.ndns ? "" : " none");
	printf("Valid from:   %s\n", from);
	printf("Valid until:  %s%s\n", until, f.not_after < now ?
	    " (expired)" : f.not_before > now ? " (not valid yet)" : "");
	printf("Key:          %s %d bits\n", f.key_type, f.key_bits);
	printf("SHA-256:      %s\nSHA-1:        %s\n", f.sha256, f.sha1);
	return 0;
}

/*
 * restart-services, reload-nginx: the privileged helper's action, carried
 * out directly (this tool runs as root on the VM console).
 */
static int
cmd_action(const char *action)
{
	struct privreq rq = { .file_fd = -1 };
	struct privreq_result r;
	int rc;

	if (paths_init() != 0)
		return 1;
	log_init("connector-setup");
	snprintf(rq.action, sizeof rq.action, "%s", action);
	rc = privreq_act(&rq, &r);
	fprintf(rc == 0 ? stdout : stderr, "%s\n", r.message);
	return rc == 0 ? 0 : 1;
}

/* Text from the database for the terminal: C1 control characters
 * (U+0080..U+009F, which some terminals obey) become spaces; C0 ones
 * already are (util_copy_text). */
static void
terminal_text(char *s)
{
	for (unsigned char *p = (unsigned char *)s; *p; p++)
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			p[0] = ' ';
			p[1] = ' ';
		}
}

/* health: the pane as a table; 1 when an item is in warning or error. */
static int
cmd_health(void)
{
	static struct health_table t;
	enum health_state overall;
	char ago[HEALTH_AGO_MAX], summary[HEALTH_SUMMARY_MAX];
	time_t now, last = 0;

	if (open_state() != 0)
		return 1;
	if (health_table_read(&t) != 0) {
		fprintf(stderr, "connector-setup: the health status cannot be "
		    "read; see %s.\n", paths_get(PATH_LOGFILE));
		db_close();
		return 1;
	}
	db_close();
	now = util_now();
	for (size_t i = 0; i < t.n; i++)
		if (t.rows[i].checked_at > last)
			last = t.rows[i].checked_at;
	overall = health_overall(t.rows, t.n);
	if (last == 0)
		printf("Health Status: not checked yet. The connector checks "
		    "its health every minute;\nrun this again in a minute.\n");
	else {
		health_ago(now, last, ago, sizeof ago);
		printf("Health Status: %s (last checked %s)\n\n",
		    health_state_word(overall), ago);
	}
	printf("%-15s %-35s %-16s %s\n", "STATE", "ITEM", "CHECKED",
	    "SUMMARY");
	for (size_t i = 0; i < t.n; i++) {
		const struct health_row *r = &t.rows[i];
		if (r->state == HEALTH_ABSENT)
			continue;
		health_ago(now, r->checked_at, ago, sizeof ago);
		snprintf(summary, sizeof summary, "%s", r->summary);
		terminal_text(summary);
		printf("%-15s %-35s %-16s %s\n", health_row_word(r),
		    health_items[r->item].name, ago, summary);
	}
	return overall == HEALTH_WARNING || overall == HEALTH_ERROR ? 1 : 0;
}

int
main(int argc, char **argv)
{
	umask(022);
	if (argc >= 2 && strcmp(argv[1], "init") == 0)
		return cmd_init(argc - 2, argv + 2);
	if (argc == 2 && strcmp(argv[1], "reset-password") == 0)
		return cmd_reset_password();
	if (argc == 2 && strcmp(argv[1], "show-certificate") == 0)
		return cmd_show_certificate();
	if (argc == 2 && (strcmp(argv[1], "restart-services") == 0 ||
	    strcmp(argv[1], "reload-nginx") == 0))
		return cmd_action(argv[1]);
	if (argc == 2 && strcmp(argv[1], "health") == 0)
		return cmd_health();
	if (argc == 2 && (strcmp(argv[1], "help") == 0 ||
	    strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
