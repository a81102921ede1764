/*
 * connector-setup — the connector's VM-console tool.  Subcommands:
 *
 *   init [--listen ADDR:PORT] [--name NAME] [--allow-loopback-peers]
 *       Prepare (or re-check) an instance: directories, database schema,
 *       the encryption key of stored credentials (finishing or rolling
 *       back a rotation a crash interrupted), console certificate, nginx
 *       configuration and, while the console is unclaimed, the one-time
 *       setup code.  Prints the console URL, the certificate fingerprint
 *       and the setup code.  Idempotent.  --allow-loopback-peers lets a
 *       test or demonstration instance register with a vCenter and a
 *       portal on this machine's loopback addresses; without it they are
 *       refused (and the setting is cleared).
 *   reset-password
 *       Menu option 1: set a new connector password, which also lifts a
 *       lockout and ends every session.
 *   show-certificate
 *       Menu option 7: the console certificate's fingerprint.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "../lib/core.h"
#include "../lib/domain.h"

static void
usage(void)
{
	fprintf(stderr,
	    "usage: connector-setup init [--listen ADDR:PORT] [--name NAME]\n"
	    "                            [--allow-loopback-peers]\n"
	    "       connector-setup reset-password\n"
	    "       connector-setup show-certificate\n");
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

static int
make_dirs(void)
{
	static const struct { enum paths_id id; unsigned mode; } dirs[] = {
		{ PATH_ETC, 0755 }, { PATH_LIB, 0755 }, { PATH_KEYS, 0700 },
		{ PATH_TLS, 0700 }, { PATH_NGINX_TMP, 0700 },
		{ PATH_BUNDLES, 0750 },
		{ PATH_LOG, 0750 }, { PATH_RUN, 0755 },
		{ PATH_ERROR_PAGES, 0755 },
	};

	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		if (util_mkdirs(paths_get(dirs[i].id), dirs[i].mode) != 0) {
			fprintf(stderr, "connector-setup: cannot create %s: %s\n",
			    paths_get(dirs[i].id), strerror(errno));
			return 1;
		}
	return 0;
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
		} else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc) {
			name = argv[++i];
			if (valid_value(VT_TEXT, name, strlen(name), 64) != 0) {
				fprintf(stderr, "connector-setup: --name takes "
				    "one line of at most 64 bytes\n");
				return 2;
			}
		} else {
			usage();
			return 2;
		}
	}
	if (paths_init() != 0 || make_dirs() != 0 || open_state() != 0)
		return 1;
	if (secret_recover() != 0 || secret_ensure_key() != 0) {
		fprintf(stderr, "connector-setup: cannot prepare the encryption "
		    "key in %s\n", paths_get(PATH_KEYS));
		goto out;
	}
	if ((loopback ? db_setting_set("peers.allow_loopback", "1") :
	    db_setting_delete("peers.allow_loopback")) != 0)
		goto out;
	/* Without --listen, keep the address the instance already has. */
	if (listen_arg == NULL && db_setting_get("listen", &cur) == 0 && cur.len &&
	    parse_listen(cur.data, &sc) != 0)
		log_warn("ignoring the stored listen address %s", cur.data);
	buf_reset(&cur);
	share = paths_get(PATH_SHARE);
	if (name == NULL && db_setting_get("name", &cur) == CONN_ENOTFOUND) {
		static char host[64];
		if (gethostname(host, sizeof host) != 0)
			snprintf(host, sizeof host, "connector");
		name = host;
	}
	if (name && db_setting_set("name", name) != 0)
		goto out;
	netinfo_primary_ipv4(ip, sizeof ip);
	if (strcmp(sc.listen_addr, "0.0.0.0") != 0 &&
	    strncmp(sc.listen_addr, "127.", 4) == 0)
		snprintf(ip, sizeof ip, "%s", sc.listen_addr);
	console_names(&sc, names, &nn, &origins);
	for (size_t i = 0; i < nn; i++)
		namep[i] = names[i];
	snprintf(url, sizeof url, "%s:%d", sc.listen_addr, sc.port);
	if (db_setting_set("listen", url) != 0 ||
	    db_setting_set("ip", ip) != 0 ||
	    db_setting_set("origins", origins.data) != 0)
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
	    db_setting_set("tls_fingerprint", fp) != 0)
		goto out;
	sc.run_user = geteuid() == 0 ? "root" : NULL;
	if (site_render_nginx(share, &sc) != 0) {
		fprintf(stderr, "connector-setup: cannot write the nginx "
		    "configuration from %s/nginx\n", share);
		goto out;
	}
	if (view_init() != 0 ||
	    app_write_error_pages(paths_get(PATH_ERROR_PAGES)) != 0) {
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

static int
cmd_reset_password(void)
{
	char pw[AUTH_PASSWORD_MAX + 2], again[AUTH_PASSWORD_MAX + 2];
	const char *problem;
	int rc = 1;

	if (open_state() != 0)
		return 1;
	if (read_secret("New connector password: ", pw, sizeof pw) != 0 ||
	    read_secret("Type it again: ", again, sizeof again) != 0) {
		fprintf(stderr, "The password is too long (at most %d bytes).\n",
		    AUTH_PASSWORD_MAX);
		goto out;
	}
	if (!util_utf8_valid(pw, strlen(pw)) ||
	    valid_value(VT_PASSWORD, pw, strlen(pw), AUTH_PASSWORD_MAX) != 0) {
		fprintf(stderr, "The password must be UTF-8 text without "
		    "control characters.\n");
		goto out;
	}
	if ((problem = auth_password_problem(pw, again)) != NULL) {
		fprintf(stderr, "%s\n", problem);
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

static int
cmd_show_certificate(void)
{
	char fp[128];

	if (paths_init() != 0)
		return 1;
	if (tls_fingerprint_file(paths_get(PATH_TLS_CERT), fp, sizeof fp)) {
		fprintf(stderr, "connector-setup: no console certificate at %s\n",
		    paths_get(PATH_TLS_CERT));
		return 1;
	}
	printf("Certificate:  %s\nSHA-256:      %s\n", paths_get(PATH_TLS_CERT),
	    fp);
	return 0;
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
	usage();
	return 2;
}
