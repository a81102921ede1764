/*
 * test-privreq.c — the privileged helper's requests: strict parsing (header,
 * keys, ids, staged file names, the end line), submit and its cap, and one
 * helper pass over bad requests on a temporary root (links, another owner,
 * half-written files, a loose directory, the per-wake bound), where
 * nothing may be acted on.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/privreq.h"
#include "unit.h"

#define ID "0123456789abcdef0123456789abcdef"
#define NAME "reload-nginx-" ID ".req"
#define HEAD "connector-request 1\naction=reload-nginx\nid=" ID "\n"

static struct privreq rq;
static char why[160];

static int
parse(const char *name, const char *text)
{
	why[0] = '\0';
	return privreq_parse(name, text, strlen(text), &rq, why, sizeof why);
}

TEST(parse_reload_nginx)
{
	CHECK(parse(NAME, HEAD "end\n") == 0);
	CHECK(strcmp(rq.action, "reload-nginx") == 0);
	CHECK(strcmp(rq.id, ID) == 0);
	CHECK(rq.file[0] == '\0' && rq.file_fd == -1 && rq.nvalues == 0);
}

TEST(parse_bad_unknown_action)
{
	CHECK(parse("format-disk-" ID ".req", "connector-request 1\n"
	    "action=format-disk\nid=" ID "\nend\n") == CONN_EINVAL);
	CHECK(strstr(why, "not one the helper knows") != NULL);
}

TEST(parse_bad_action_not_the_name)
{
	CHECK(parse("restart-services-" ID ".req", HEAD "end\n") ==
	    CONN_EINVAL);
	CHECK(strstr(why, "does not match its name") != NULL);
}

TEST(parse_bad_id_not_the_name)
{
	CHECK(parse("reload-nginx-ffffffffffffffffffffffffffffffff.req",
	    HEAD "end\n") == CONN_EINVAL);
	CHECK(strstr(why, "id does not match") != NULL);
}

TEST(parse_bad_name_without_id)
{
	CHECK(parse("reload-nginx.req", HEAD "end\n") == CONN_EINVAL);
	CHECK(parse("reload-nginx-" ID ".req.tmp.12", HEAD "end\n") ==
	    CONN_EINVAL);
}

TEST(parse_bad_truncated_without_end)
{
	CHECK(parse(NAME, HEAD) == CONN_EINVAL);
	CHECK(strstr(why, "incomplete") != NULL);
}

TEST(parse_bad_truncated_mid_line)
{
	CHECK(parse(NAME, "connector-request 1\naction=reload-nginx\nid=01")
	    == CONN_EINVAL);
	CHECK(strstr(why, "incomplete") != NULL);
}

TEST(parse_bad_empty)
{
	CHECK(parse(NAME, "") == CONN_EINVAL);
}

TEST(parse_bad_other_version)
{
	CHECK(parse(NAME, "connector-request 2\naction=reload-nginx\nid=" ID
	    "\nend\n") == CONN_EINVAL);
}

TEST(parse_bad_file_relative_path)
{
	CHECK(parse(NAME, HEAD "file=../x\nend\n") == CONN_EINVAL);
	CHECK(strstr(why, "path") != NULL);
}

TEST(parse_bad_file_absolute_path)
{
	CHECK(parse(NAME, HEAD "file=/etc/shadow\nend\n") == CONN_EINVAL);
	CHECK(strstr(why, "path") != NULL);
}

TEST(parse_bad_file_hidden_or_request)
{
	CHECK(parse(NAME, HEAD "file=.x\nend\n") == CONN_EINVAL);
	CHECK(parse(NAME, HEAD "file=other-" ID ".req\nend\n") == CONN_EINVAL);
}

TEST(parse_bad_unknown_value)
{
	CHECK(parse(NAME, HEAD "argv=-s stop\nend\n") == CONN_EINVAL);
	CHECK(strstr(why, "takes no value") != NULL);
}

TEST(parse_bad_action_twice)
{
	CHECK(parse(NAME, HEAD "action=reload-nginx\nend\n") == CONN_EINVAL);
}

TEST(parse_bad_after_end)
{
	CHECK(parse(NAME, HEAD "end\naction=restart-services\n") ==
	    CONN_EINVAL);
}

TEST(parse_bad_nul_byte)
{
	static const char text[] = HEAD "end\n\0\n";
	CHECK(privreq_parse(NAME, text, sizeof text - 1, &rq, why,
	    sizeof why) == CONN_EINVAL);
}

TEST(parse_bad_control_character)
{
	CHECK(parse(NAME, "connector-request 1\naction=reload-nginx\r\nid="
	    ID "\nend\n") == CONN_EINVAL);
}

TEST(parse_bad_malformed_key)
{
	CHECK(parse(NAME, HEAD "Action=x\nend\n") == CONN_EINVAL);
	CHECK(parse(NAME, HEAD "=x\nend\n") == CONN_EINVAL);
	CHECK(parse(NAME, HEAD "no equals sign\nend\n") == CONN_EINVAL);
}

TEST(parse_bad_too_large)
{
	char big[PRIVREQ_MAX_SIZE + 64];
	memset(big, 'a', sizeof big);
	CHECK(privreq_parse(NAME, big, sizeof big, &rq, why, sizeof why) ==
	    CONN_EINVAL);
}

/* ---- on a temporary root ---- */

static char share[PATH_MAX];

/* Write text as name in the request directory, mode 0600. */
static int
put(const char *name, const char *text)
{
	char path[PATH_MAX];
	int fd, ok;

	snprintf(path, sizeof path, "%s/%s", paths_get(PATH_REQUESTS), name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		return -1;
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	close(fd);
	return ok ? 0 : -1;
}

static int
exists(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	return lstat(path, &st) == 0;
}

static int
fresh_root(void)
{
	if (unit_tmp_root("privreq", share, sizeof share) != 0)
		return -1;
	return util_mkdirs(paths_get(PATH_REQUESTS), 0700);
}

/* The refused result of id, with a message containing want. */
static int
refused_with(const char *id, const char *want)
{
	struct privreq_result r;

	return privreq_result(id, &r) == 0 && r.outcome == PRIVREQ_REFUSED &&
	    strstr(r.message, want) != NULL;
}

TEST(submit_writes_a_request_the_helper_parses)
{
	char id[PRIVREQ_ID_LEN + 1], name[128], path[PATH_MAX];
	struct buf b = { 0 };
	struct stat st;

	CHECK(fresh_root() == 0);
	CHECK(privreq_submit("restart-services", NULL, NULL, id) == 0);
	snprintf(name, sizeof name, "restart-services-%s.req", id);
	snprintf(path, sizeof path, "%s/%s", paths_get(PATH_REQUESTS), name);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(unit_read_file(path, &b) == 0);
	CHECK(parse(name, b.data) == 0);
	CHECK(strcmp(rq.id, id) == 0);
	CHECK(util_count_entries(paths_get(PATH_REQUESTS)) == 1);
	buf_free(&b);
	unit_rm_rf(unit_tmp);
}

TEST(submit_bad_unknown_action_refused)
{
	char id[PRIVREQ_ID_LEN + 1];

	CHECK(fresh_root() == 0);
	CHECK(privreq_submit("format-disk", NULL, NULL, id) == CONN_EINVAL);
	CHECK(privreq_submit("reload-nginx", NULL, "../x", id) == CONN_EINVAL);
	CHECK(util_count_entries(paths_get(PATH_REQUESTS)) == 0);
	unit_rm_rf(unit_tmp);
}

TEST(submit_bad_past_the_cap_refused)
{
	char id[PRIVREQ_ID_LEN + 1];

	CHECK(fresh_root() == 0);
	for (int i = 0; i < PRIVREQ_MAX_QUEUED; i++)
		CHECK(privreq_submit("reload-nginx", NULL, NULL, id) == 0);
	CHECK(privreq_submit("reload-nginx", NULL, NULL, id) == CONN_ETOOBIG);
	CHECK(util_count_entries(paths_get(PATH_REQUESTS)) ==
	    PRIVREQ_MAX_QUEUED);
	unit_rm_rf(unit_tmp);
}

TEST(result_bad_id_refused)
{
	struct privreq_result r;

	CHECK(privreq_result("../../etc/passwd", &r) == CONN_EINVAL);
	CHECK(privreq_result("0123", &r) == CONN_EINVAL);
}

TEST(run_bad_unknown_action_refused_with_result)
{
	size_t taken;

	CHECK(fresh_root() == 0);
	CHECK(put("format-disk-" ID ".req", "connector-request 1\n"
	    "action=format-disk\nid=" ID "\nend\n") == 0);
	CHECK(privreq_run(geteuid(), PRIVREQ_MAX_PER_WAKE, &taken) == 0);
	CHECK(taken == 1);
	CHECK(util_count_entries(paths_get(PATH_REQUESTS)) == 0);
	CHECK(refused_with(ID, "not one the helper knows"));
	unit_rm_rf(unit_tmp);
}

TEST(run_bad_symlink_request_refused_target_untouched)
{
	char target[PATH_MAX], link[PATH_MAX];
	struct buf b = { 0 };
	size_t taken;

	CHECK(fresh_root() == 0);
	snprintf(target, sizeof target, "%s/target", unit_tmp);
	CHECK(util_write_file_atomic(target, HEAD "end\n", strlen(HEAD) + 4,
	    0600) == 0);
	snprintf(link, sizeof link, "%s/%s", paths_get(PATH_REQUESTS), NAME);
	CHECK(symlink(target, link) == 0);
	CHECK(privreq_run(geteuid(), PRIVREQ_MAX_PER_WAKE, &taken) == 0);
	CHECK(refused_with(ID, "symbolic link"));
	CHECK(!exists(paths_get(PATH_REQUESTS), NAME));
	CHECK(unit_read_file(target, &b) == 0 && strcmp(b.data, HEAD "end\n")
	    == 0);
	buf_free(&b);
	unit_rm_rf(unit_tmp);
}

TEST(run_bad_symlink_staged_file_refused)
{
	char link[PATH_MAX];
	size_t taken;

	CHECK(fresh_root() == 0);
	snprintf(link, sizeof link, "%s/cert.p12", paths_get(PATH_REQUESTS));
	CHECK(symlink("/etc/passwd", link) == 0);
	CHECK(put(NAME, HEAD "file=cert.p12\nend\n") == 0);
	CHECK(privreq_run(geteuid(), PRIVREQ_MAX_PER_WAKE, &taken) == 0);
	CHECK(refused_with(ID, "staged file is a symbolic link"));
	CHECK(!exists(paths_get(PATH_REQUESTS), NAME));
	CHECK(!exists(paths_get(PATH_REQUESTS), "cert.p12"));
	unit_rm_rf(unit_tmp);
}

TEST(run_bad_staged_file_for_action_without_file)
{
	size_t taken;

	CHECK(fresh_root() == 0);
	CHECK(put("cert.p12", "not for this action") == 0);
	CHECK(put(NAME, HEAD "file=cert.p12\nend\n") == 0);
	CHECK(privreq_run(geteuid(), PRIVREQ_MAX_PER_WAKE, &taken) == 0);
	CHECK(refused_with(ID, "takes no staged file"));
	CHECK(util_count_entries(paths_get(PATH_REQUESTS)) == 0);
	unit_rm_rf(unit_tmp);
}

TEST(run_bad_staged_path_refused)
{
	size_t taken;

	CHECK(fresh_root() == 0);
	CHECK(put(NAME, HEAD "file=../state.db\nend\n") == 0);
	CHECK(privreq_run(geteuid(), PRIVREQ_MAX_PER_WAKE, &taken) == 0);
	CHECK(refused_with(ID, "is a path"));
	unit_rm_rf(unit_tmp);
}

TEST(run_bad_other_owner_refused)
{
	struct passwd *pw = getpwnam("nobody");
	char path[PATH_MAX];
	size_t taken;

	CHECK(fresh_root() == 0);
	CHECK(put(NAME, HEAD "end\n") == 0);
	snprintf(path, sizeof path, "%s/%s", paths_get(PATH_REQUESTS), NAME);
	if (geteuid() == 0 && pw != NULL) {
		CHECK(chown(path, pw->pw_uid, pw->pw_gid) == 0);
		CHECK(privreq_run(geteuid(), PRIVREQ_MAX_PER_WAKE, &taken) == 0);
	} else
		CHECK(privreq_run(geteuid() + 1, PRIVREQ_MAX_PER_WAKE,
		    &taken) == 0);
	CHECK(refused_with(ID, "another user"));
	CHECK(!exists(paths_get(PATH_REQUESTS), NAME));
	unit_rm_rf(unit_tmp);
}

TEST(run_bad_hard_link_refused)
{
	char path[PATH_MAX], other[PATH_MAX];
	size_t taken;

	CHECK(fresh_root() == 0);
	CHECK(put(NAME, HEAD "end\n") == 0);
	snprintf(path, sizeof path, "%s/%s", paths_get(PATH_REQUESTS), NAME);
	snprintf(other, sizeof other, "%s/other", unit_tmp);
	CHECK(link(path, other) == 0);
	CHECK(privreq_run(geteuid(), PRIVREQ_MAX_PER_WAKE, &taken) == 0);
	CHECK(refused_with(ID, "other links"));
	unit_rm_rf(unit_tmp);
}

TEST(run_half_written_request_left_alone)
{
	size_t taken;

	CHECK(fresh_root() == 0);
	CHECK(put(NAME ".tmp.4242", "connector-request 1\naction=rel") == 0);
	CHECK(privreq_run(geteuid(), PRIVREQ_MAX_PER_WAKE, &taken) == 0);
	CHECK(taken == 0);
	CHECK(exists(paths_get(PATH_REQUESTS), NAME ".tmp.4242"));
	CHECK(util_count_entries(paths_get(PATH_RESULTS)) == 0);
	unit_rm_rf(unit_tmp);
}

TEST(run_bad_truncated_request_refused)
{
	size_t taken;

	CHECK(fresh_root() == 0);
	CHECK(put(NAME, "connector-request 1\naction=reload-nginx\n") == 0);
	CHECK(privreq_run(geteuid(), PRIVREQ_MAX_PER_WAKE, &taken) == 0);
	CHECK(refused_with(ID, "incomplete"));
	unit_rm_rf(unit_tmp);
}

TEST(run_takes_at_most_max_per_wake)
{
	char name[128], text[256], id[PRIVREQ_ID_LEN + 1];
	size_t taken;

	CHECK(fresh_root() == 0);
	for (int i = 0; i < PRIVREQ_MAX_PER_WAKE + 4; i++) {
		snprintf(id, sizeof id, "%032x", i);
		snprintf(name, sizeof name, "format-disk-%s.req", id);
		snprintf(text, sizeof text, "connector-request 1\n"
		    "action=format-disk\nid=%s\nend\n", id);
		CHECK(put(name, text) == 0);
	}
	CHECK(privreq_run(geteuid(), PRIVREQ_MAX_PER_WAKE, &taken) == 0);
	CHECK(taken == PRIVREQ_MAX_PER_WAKE);
	CHECK(util_count_entries(paths_get(PATH_REQUESTS)) == 4);
	CHECK(privreq_run(geteuid(), PRIVREQ_MAX_PER_WAKE, &taken) == 0);
	CHECK(taken == 4);
	CHECK(util_count_entries(paths_get(PATH_REQUESTS)) == 0);
	unit_rm_rf(unit_tmp);
}

TEST(run_bad_loose_directory_takes_nothing)
{
	size_t taken = 99;

	CHECK(fresh_root() == 0);
	CHECK(put(NAME, HEAD "end\n") == 0);
	CHECK(chmod(paths_get(PATH_REQUESTS), 0777) == 0);
	CHECK(privreq_run(geteuid(), PRIVREQ_MAX_PER_WAKE, &taken) ==
	    CONN_EDENIED);
	CHECK(taken == 0);
	CHECK(exists(paths_get(PATH_REQUESTS), NAME));
	unit_rm_rf(unit_tmp);
}

TEST(run_bad_directory_symlink_takes_nothing)
{
	char real[PATH_MAX];
	size_t taken = 99;

	CHECK(fresh_root() == 0);
	CHECK(put(NAME, HEAD "end\n") == 0);
	snprintf(real, sizeof real, "%s/elsewhere", unit_tmp);
	CHECK(rename(paths_get(PATH_REQUESTS), real) == 0);
	CHECK(symlink(real, paths_get(PATH_REQUESTS)) == 0);
	CHECK(privreq_run(geteuid(), PRIVREQ_MAX_PER_WAKE, &taken) ==
	    CONN_EDENIED);
	CHECK(exists(real, NAME));
	unit_rm_rf(unit_tmp);
}

int
main(void)
{
	RUN(parse_reload_nginx);
	RUN(parse_bad_unknown_action);
	RUN(parse_bad_action_not_the_name);
	RUN(parse_bad_id_not_the_name);
	RUN(parse_bad_name_without_id);
	RUN(parse_bad_truncated_without_end);
	RUN(parse_bad_truncated_mid_line);
	RUN(parse_bad_empty);
	RUN(parse_bad_other_version);
	RUN(parse_bad_file_relative_path);
	RUN(parse_bad_file_absolute_path);
	RUN(parse_bad_file_hidden_or_request);
	RUN(parse_bad_unknown_value);
	RUN(parse_bad_action_twice);
	RUN(parse_bad_after_end);
	RUN(parse_bad_nul_byte);
	RUN(parse_bad_control_character);
	RUN(parse_bad_malformed_key);
	RUN(parse_bad_too_large);
	RUN(submit_writes_a_request_the_helper_parses);
	RUN(submit_bad_unknown_action_refused);
	RUN(submit_bad_past_the_cap_refused);
	RUN(result_bad_id_refused);
	RUN(run_bad_unknown_action_refused_with_result);
	RUN(run_bad_symlink_request_refused_target_untouched);
	RUN(run_bad_symlink_staged_file_refused);
	RUN(run_bad_staged_file_for_action_without_file);
	RUN(run_bad_staged_path_refused);
	RUN(run_bad_other_owner_refused);
	RUN(run_bad_hard_link_refused);
	RUN(run_half_written_request_left_alone);
	RUN(run_bad_truncated_request_refused);
	RUN(run_takes_at_most_max_per_wake);
	RUN(run_bad_loose_directory_takes_nothing);
	RUN(run_bad_directory_symlink_takes_nothing);
	UNIT_EXIT();
}
