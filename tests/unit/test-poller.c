/*
 * test-poller.c — the Poller Service's own logic (lib/poller.c): what a
 * task AWS describes becomes in a row, the words of an age, the checks of
 * a VM id, a format and a task id, finding the task an AWS error names;
 * and on a fresh store: the table's constraints, a slot taken by one
 * statement (never more than 4 in progress a region), the page's sorts and
 * paging, how fresh the list is, and a run or an import of a connector
 * that is not registered.
 */
#include <string.h>

#include "../../lib/core.h"
#include "../../lib/domain.h"
#include "../../lib/poller.h"
#include "unit.h"

static char share[PATH_MAX];

static int
exec_sql(const char *sql)
{
	return sqlite3_exec(db_handle(), sql, NULL, NULL, NULL) == SQLITE_OK ?
	    0 : -1;
}

/* ---- what AWS says, as a row ---- */

static struct aws_import_task
import_task(const char *status, const char *message, const char *progress,
    const char *image)
{
	struct aws_import_task t;

	memset(&t, 0, sizeof t);
	snprintf(t.id, sizeof t.id, "import-ami-0123456789abcdef0");
	snprintf(t.status, sizeof t.status, "%s", status);
	snprintf(t.status_message, sizeof t.status_message, "%s", message);
	snprintf(t.progress, sizeof t.progress, "%s", progress);
	snprintf(t.image_id, sizeof t.image_id, "%s", image);
	return t;
}

TEST(import_task_in_progress)
{
	struct aws_import_task t = import_task("active", "converting", "31", "");
	struct poller_status s;

	poller_from_import_task(&t, &s);
	CHECK(s.state == PS_ACTIVE);
	CHECK(s.progress == 31);
	CHECK(strcmp(s.aws_status, "active") == 0);
	CHECK(strcmp(s.message, "converting") == 0);
	CHECK(s.image_id[0] == '\0' && s.instance_state[0] == '\0');
}

TEST(import_task_completed_with_ami)
{
	struct aws_import_task t = import_task("completed", "", "",
	    "ami-0abcdef0123456789");
	struct poller_status s;

	poller_from_import_task(&t, &s);
	CHECK(s.state == PS_COMPLETED);
	CHECK(s.progress == 100);
	CHECK(strcmp(s.image_id, "ami-0abcdef0123456789") == 0);
}

TEST(import_task_deleted_or_deleting_is_deleted)
{
	struct aws_import_task t = import_task("deleted", "ClientError: Disk "
	    "validation failed", "", "");
	struct poller_status s;

	poller_from_import_task(&t, &s);
	CHECK(s.state == PS_DELETED);
	CHECK(strstr(s.message, "ClientError") != NULL);
	t = import_task("deleting", "", "40", "");
	poller_from_import_task(&t, &s);
	CHECK(s.state == PS_DELETED && s.progress == 40);
}

TEST(import_task_unknown_status_stays_in_progress)
{
	struct aws_import_task t = import_task("pending-review", "", "", "");
	struct poller_status s;

	poller_from_import_task(&t, &s);
	CHECK(s.state == PS_ACTIVE);
	CHECK(strcmp(s.aws_status, "pending-review") == 0);
}

TEST(import_task_bad_progress_is_not_given)
{
	static const char *const bad[] = { "", "101", "abc", "-1", "1000",
	    "5%", " 5" };
	struct aws_import_task t;
	struct poller_status s;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		t = import_task("active", "", bad[i], "");
		poller_from_import_task(&t, &s);
		CHECK(s.progress == -1);
	}
	t = import_task("active", "", "0", "");
	poller_from_import_task(&t, &s);
	CHECK(s.progress == 0);
	t = import_task("active", "", "100", "");
	poller_from_import_task(&t, &s);
	CHECK(s.progress == 100);
}

static struct aws_conversion_task
conversion(const char *state, long long done, long long size,
    const char *instance)
{
	struct aws_conversion_task t;

	memset(&t, 0, sizeof t);
	snprintf(t.id, sizeof t.id, "import-i-ffvko9js");
	snprintf(t.state, sizeof t.state, "%s", state);
	snprintf(t.instance_id, sizeof t.instance_id, "%s", instance);
	snprintf(t.volume_id, sizeof t.volume_id, "vol-049df61146c4d7901");
	t.bytes_converted = done;
	t.image_size = size;
	return t;
}

TEST(conversion_progress_is_the_share_converted)
{
	struct aws_conversion_task t = conversion("active", 2147483648LL,
	    8589934592LL, "i-0123456789abcdef0");
	struct poller_status s;

	poller_from_conversion_task(&t, &s);
	CHECK(s.state == PS_ACTIVE && s.progress == 25);
	t = conversion("active", -1, 8589934592LL, "");
	poller_from_conversion_task(&t, &s);
	CHECK(s.progress == -1);
	t = conversion("active", 5, 0, "");
	poller_from_conversion_task(&t, &s);
	CHECK(s.progress == -1);
	t = conversion("active", 9000, 10, "");
	poller_from_conversion_task(&t, &s);
	CHECK(s.progress == 100);
}

TEST(conversion_completed_gives_instance_or_volume)
{
	struct aws_conversion_task t = conversion("completed", 1, 8,
	    "i-0123456789abcdef0");
	struct poller_status s;

	poller_from_conversion_task(&t, &s);
	CHECK(s.state == PS_COMPLETED && s.progress == 100);
	CHECK(strcmp(s.instance_id, "i-0123456789abcdef0") == 0);
	t = conversion("completed", 1, 8, "");
	poller_from_conversion_task(&t, &s);
	CHECK(strcmp(s.message, "Volume vol-049df61146c4d7901") == 0);
}

TEST(conversion_cancelled_is_deleted)
{
	struct aws_conversion_task t = conversion("cancelling", 1, 8, "");
	struct poller_status s;

	poller_from_conversion_task(&t, &s);
	CHECK(s.state == PS_DELETED);
	t = conversion("cancelled", 1, 8, "");
	poller_from_conversion_task(&t, &s);
	CHECK(s.state == PS_DELETED);
}

TEST(status_differs_in_each_shown_part)
{
	struct aws_import_task t = import_task("active", "converting", "31", "");
	struct poller_status a, b;

	poller_from_import_task(&t, &a);
	b = a;
	CHECK(!poller_status_differs(&a, &b));
	b.progress = 32;
	CHECK(poller_status_differs(&a, &b));
	b = a;
	snprintf(b.message, sizeof b.message, "updating");
	CHECK(poller_status_differs(&a, &b));
	b = a;
	b.state = PS_MISSING;
	CHECK(poller_status_differs(&a, &b));
	b = a;
	snprintf(b.instance_state, sizeof b.instance_state, "stopped");
	CHECK(poller_status_differs(&a, &b));
}

TEST(states_named_labelled_and_levelled)
{
	for (int i = 0; i < PS__MAX; i++) {
		CHECK(poller_state_parse(poller_state_name(i)) == i);
		CHECK(strlen(poller_state_label(i)) > 0);
	}
	CHECK(poller_state_parse("bogus") == -1);
	CHECK(poller_state_parse(NULL) == -1);
	CHECK(strcmp(poller_state_level(PS_COMPLETED), "ok") == 0);
	CHECK(strcmp(poller_state_level(PS_DELETED), "error") == 0);
	CHECK(strcmp(poller_state_level(PS_MISSING), "warning") == 0);
	CHECK(strcmp(poller_state_level(PS_ACTIVE), "unknown") == 0);
	CHECK(poller_finished(PS_COMPLETED) && poller_finished(PS_MISSING));
	CHECK(!poller_finished(PS_ACTIVE) && !poller_finished(PS_QUEUED) &&
	    !poller_finished(PS_STARTING));
}

/* ---- words and checks ---- */

TEST(age_in_words)
{
	static const struct {
		long s;
		const char *words;
	} cases[] = {
		{ 0, "less than a minute ago" }, { 59, "less than a minute ago" },
		{ 60, "1 minute ago" }, { 119, "1 minute ago" },
		{ 1500, "25 minutes ago" }, { 3599, "59 minutes ago" },
		{ 3600, "1 hour ago" }, { 47 * 3600, "47 hours ago" },
		{ 48 * 3600, "2 days ago" }, { 10 * 86400, "10 days ago" },
	};
	char out[48];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		poller_age_words(cases[i].s, out, sizeof out);
		CHECK(strcmp(out, cases[i].words) == 0);
	}
}

TEST(moref_good_and_bad)
{
	char long_id[SYNTAX_MOREF_MAX + 2];

	CHECK(syntax_moref("vm-42"));
	CHECK(syntax_moref("vm-1.2:3_x"));
	CHECK(syntax_moref("42"));
	memset(long_id, 'v', sizeof long_id - 1);
	long_id[sizeof long_id - 1] = '\0';
	CHECK(!syntax_moref(long_id));
	long_id[SYNTAX_MOREF_MAX] = '\0';
	CHECK(syntax_moref(long_id));
	CHECK(!syntax_moref(""));
	CHECK(!syntax_moref(NULL));
	CHECK(!syntax_moref("-vm"));
	CHECK(!syntax_moref("vm 42"));
	CHECK(!syntax_moref("<b>"));
	CHECK(!syntax_moref("vm/42"));
	CHECK(!syntax_moref("vm-\xc3\xa9"));
}

TEST(format_any_case_to_aws_spelling)
{
	CHECK(strcmp(poller_format("vmdk"), "VMDK") == 0);
	CHECK(strcmp(poller_format("Ova"), "OVA") == 0);
	CHECK(strcmp(poller_format("RAW"), "RAW") == 0);
	CHECK(poller_format("VHDX") == NULL);
	CHECK(poller_format("exe") == NULL);
	CHECK(poller_format("") == NULL);
	CHECK(poller_format(NULL) == NULL);
}

TEST(task_id_kinds)
{
	CHECK(syntax_task_id("import-ami-0123456789abcdef0") ==
	    SYNTAX_TASK_IMAGE);
	CHECK(syntax_task_id("import-ami-01234567") == SYNTAX_TASK_IMAGE);
	CHECK(syntax_task_id("import-i-ffvko9js") == SYNTAX_TASK_CONVERSION);
	CHECK(syntax_task_id("import-vol-ffut5xv4") == SYNTAX_TASK_CONVERSION);
	CHECK(syntax_task_id("import-ami-0123456") == SYNTAX_TASK_NONE);
	CHECK(syntax_task_id("import-ami-0123456789abcdef01") ==
	    SYNTAX_TASK_NONE);
	CHECK(syntax_task_id("import-ami-0123456789ABCDEF0") ==
	    SYNTAX_TASK_NONE);
	CHECK(syntax_task_id("import-ami-ghijklmn") == SYNTAX_TASK_NONE);
	CHECK(syntax_task_id("import-i-FFVKO9JS") == SYNTAX_TASK_NONE);
	CHECK(syntax_task_id("import-i-ffvko9j") == SYNTAX_TASK_NONE);
	CHECK(syntax_task_id("i-0123456789abcdef0") == SYNTAX_TASK_NONE);
	CHECK(syntax_task_id("") == SYNTAX_TASK_NONE);
	CHECK(syntax_task_id(NULL) == SYNTAX_TASK_NONE);
	CHECK(syntax_task_id("import-ami-0123 4567") == SYNTAX_TASK_NONE);
}

TEST(error_names_the_unknown_task_as_a_word)
{
	const char *msg = "The conversion task ID 'import-ami-0123456789abcdef0' "
	    "does not exist";

	CHECK(poller_task_named(msg, "import-ami-0123456789abcdef0"));
	CHECK(!poller_task_named(msg, "import-ami-0123456789abcdef"));
	CHECK(!poller_task_named(msg, "import-ami-123456789abcdef0"));
	CHECK(poller_task_named("import-ami-01234567", "import-ami-01234567"));
	CHECK(poller_task_named("x import-ami-01234567.", "import-ami-01234567"));
	CHECK(!poller_task_named("", "import-ami-01234567"));
	CHECK(!poller_task_named(msg, ""));
}

/* ---- on a store ---- */

/* A row: state s in region, task id (NULL: none) and name. */
static int
add_row(const char *name, const char *region, const char *state,
    const char *task, int progress, long long changed)
{
	char sql[1024];

	if (task)
		snprintf(sql, sizeof sql, "INSERT INTO vms (vm_moref, vm_name, "
		    "region, kind, task_id, state, progress, first_seen, "
		    "last_change) VALUES ('vm-1', '%s', '%s', 'image', '%s', "
		    "'%s', %s, 1, %lld)", name, region, task, state,
		    progress < 0 ? "NULL" : (progress == 0 ? "0" :
		    progress == 50 ? "50" : "100"), changed);
	else
		snprintf(sql, sizeof sql, "INSERT INTO vms (vm_moref, vm_name, "
		    "region, kind, state, bucket, object_key, format, "
		    "client_token, first_seen, last_change) VALUES ('vm-1', "
		    "'%s', '%s', 'image', '%s', 'connector-imports', 'k.vmdk', "
		    "'VMDK', 'tok-%s', 1, %lld)", name, region, state, name,
		    changed);
	return exec_sql(sql);
}

TEST(table_refuses_what_cannot_be)
{
	CHECK(unit_fresh_store() == 0);
	/* queued without what ImportImage needs */
	CHECK(exec_sql("INSERT INTO vms (vm_moref, vm_name, region, kind, "
	    "state, first_seen, last_change) VALUES ('vm-1', 'a', 'us-east-1', "
	    "'image', 'queued', 1, 1)") != 0);
	/* active without a task */
	CHECK(exec_sql("INSERT INTO vms (vm_moref, vm_name, region, kind, "
	    "state, first_seen, last_change) VALUES ('vm-1', 'a', 'us-east-1', "
	    "'image', 'active', 1, 1)") != 0);
	CHECK(add_row("a", "us-east-1", "bogus", "import-ami-01234567", 0,
	    1) != 0);
	CHECK(exec_sql("INSERT INTO vms (vm_moref, vm_name, region, kind, "
	    "task_id, state, progress, first_seen, last_change) VALUES ('vm-1', "
	    "'a', 'us-east-1', 'image', 'import-ami-01234567', 'active', 101, "
	    "1, 1)") != 0);
	CHECK(add_row("a", "us-east-1", "active", "import-ami-01234567", 0,
	    1) == 0);
	/* one task, one row */
	CHECK(add_row("b", "us-east-1", "active", "import-ami-01234567", 0,
	    1) != 0);
	CHECK(exec_sql("INSERT INTO vms (vm_moref, vm_name, region, kind, "
	    "task_id, state, first_seen, last_change) VALUES ('vm-1', '', "
	    "'us-east-1', 'image', 'import-ami-01234568', 'active', 1, 1)") != 0);
}

/* Claim a slot for row id in region: the statement's changes, or -1. */
static int
claim(long long id, const char *region)
{
	sqlite3_stmt *st = db_stmt(DB_VMS_CLAIM);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, region, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, POLLER_SLOTS);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return sqlite3_changes(db_handle());
}

TEST(slot_taken_only_while_fewer_than_four_in_progress)
{
	CHECK(unit_fresh_store() == 0);
	CHECK(add_row("a1", "us-east-1", "active", "import-ami-00000001", 0,
	    1) == 0);
	CHECK(add_row("a2", "us-east-1", "active", "import-ami-00000002", 0,
	    1) == 0);
	CHECK(add_row("a3", "us-east-1", "starting", NULL, 0, 1) == 0);
	CHECK(add_row("q1", "us-east-1", "queued", NULL, 0, 1) == 0);
	CHECK(add_row("q2", "us-east-1", "queued", NULL, 0, 1) == 0);
	CHECK(add_row("e1", "eu-west-1", "queued", NULL, 0, 1) == 0);
	CHECK(add_row("d1", "us-east-1", "completed", "import-ami-00000003", 100,
	    1) == 0);
	CHECK(claim(4, "us-east-1") == 1);
	CHECK(claim(5, "us-east-1") == 0);	/* 4 in progress */
	CHECK(claim(4, "us-east-1") == 0);	/* no longer queued */
	CHECK(claim(6, "eu-west-1") == 1);	/* another region's slots */
	CHECK(unit_query_int("SELECT count(*) FROM vms WHERE state = "
	    "'starting'") == 3);
	CHECK(exec_sql("UPDATE vms SET state = 'completed' WHERE id = 1") == 0);
	CHECK(claim(5, "us-east-1") == 1);	/* a slot freed */
}

struct seen {
	char names[8][POLLER_NAME_MAX + 1];
	int n;
};

static int
one_name(void *arg, const struct poller_vm *vm)
{
	struct seen *s = arg;

	if (s->n < 8)
		snprintf(s->names[s->n++], sizeof s->names[0], "%s", vm->vm_name);
	return 0;
}

/* The names of a page as one string "a,b,c". */
static void
page_names(enum poller_sort sort, int desc, long long offset, int limit,
    char *out, size_t outlen)
{
	struct seen s = { .n = 0 };

	out[0] = '\0';
	if (poller_vms_page(sort, desc, offset, limit, one_name, &s) != 0) {
		snprintf(out, outlen, "error");
		return;
	}
	for (int i = 0; i < s.n; i++)
		snprintf(out + strlen(out), outlen - strlen(out), "%s%s",
		    i ? "," : "", s.names[i]);
}

TEST(page_sorted_by_each_column_and_paged)
{
	char got[256];
	long long n;

	CHECK(unit_fresh_store() == 0);
	CHECK(add_row("Bravo", "us-east-1", "completed", "import-ami-0000000b",
	    100, 30) == 0);
	CHECK(add_row("alpha", "us-east-1", "active", "import-ami-0000000a", 50,
	    10) == 0);
	CHECK(add_row("charlie", "us-east-1", "queued", NULL, -1, 20) == 0);
	CHECK(add_row("delta", "us-east-1", "deleted", "import-ami-0000000d", 0,
	    40) == 0);
	CHECK(exec_sql("UPDATE vms SET image_id = 'ami-2' WHERE vm_name = "
	    "'Bravo'") == 0);
	CHECK(poller_vms_count(&n) == 0 && n == 4);
	page_names(SORT_NAME, 0, 0, 10, got, sizeof got);
	CHECK(strcmp(got, "alpha,Bravo,charlie,delta") == 0);
	page_names(SORT_NAME, 1, 0, 10, got, sizeof got);
	CHECK(strcmp(got, "delta,charlie,Bravo,alpha") == 0);
	page_names(SORT_STATE, 0, 0, 10, got, sizeof got);
	CHECK(strcmp(got, "alpha,charlie,delta,Bravo") == 0);
	page_names(SORT_PROGRESS, 1, 0, 10, got, sizeof got);
	CHECK(strcmp(got, "Bravo,alpha,delta,charlie") == 0);
	page_names(SORT_RESULT, 1, 0, 1, got, sizeof got);
	CHECK(strcmp(got, "Bravo") == 0);
	page_names(SORT_CHANGED, 1, 0, 10, got, sizeof got);
	CHECK(strcmp(got, "delta,Bravo,charlie,alpha") == 0);
	page_names(SORT_CHANGED, 0, 1, 2, got, sizeof got);
	CHECK(strcmp(got, "charlie,Bravo") == 0);
	page_names(SORT_CHANGED, 0, 4, 2, got, sizeof got);
	CHECK(strcmp(got, "") == 0);
	CHECK(poller_vms_page(SORT__MAX, 0, 0, 1, one_name, NULL) ==
	    CONN_EINVAL);
	CHECK(poller_vms_page(SORT_NAME, 0, 0, 0, one_name, NULL) ==
	    CONN_EINVAL);
	CHECK(poller_vms_page(SORT_NAME, 0, -1, 1, one_name, NULL) ==
	    CONN_EINVAL);
}

TEST(freshness_from_poll_time_and_last_run)
{
	struct poller_freshness f;
	char sql[512];
	long long now = (long long)util_now();

	CHECK(unit_fresh_store() == 0);
	CHECK(poller_freshness(&f) == 0);
	CHECK(!f.registered && f.polled_at == 0 && !f.stale);
	CHECK(db_setting_set(REG_AT, "1") == 0);
	CHECK(poller_freshness(&f) == 0);
	CHECK(f.registered && !f.stale && !f.last_failed);
	snprintf(sql, sizeof sql, "INSERT INTO settings VALUES "
	    "('poller.polled_at', '%lld'); INSERT INTO jobs (job, started_at, "
	    "ended_at, outcome, error) VALUES ('poller', %lld, %lld, 'failed', "
	    "'AWS did not answer in time'), ('housekeeping', %lld, %lld, 'ok', "
	    "NULL)", now - 1500, now, now, now, now);
	CHECK(exec_sql(sql) == 0);
	CHECK(poller_freshness(&f) == 0);
	CHECK(f.polled_at == now - 1500 && f.last_failed && f.stale);
	CHECK(strcmp(f.error, "AWS did not answer in time") == 0);
	snprintf(sql, sizeof sql, "INSERT INTO jobs (job, started_at, outcome) "
	    "VALUES ('poller', %lld, 'running')", now);
	CHECK(exec_sql(sql) == 0);
	CHECK(poller_freshness(&f) == 0);
	CHECK(f.running && f.last_failed);	/* the run before it */
	snprintf(sql, sizeof sql, "UPDATE jobs SET outcome = 'ok', ended_at = "
	    "%lld WHERE outcome = 'running'; UPDATE settings SET value = '%lld' "
	    "WHERE name = 'poller.polled_at'", now, now - 60);
	CHECK(exec_sql(sql) == 0);
	CHECK(poller_freshness(&f) == 0);
	CHECK(!f.running && !f.last_failed && !f.stale);
	snprintf(sql, sizeof sql, "UPDATE settings SET value = '%lld' WHERE "
	    "name = 'poller.polled_at'", now - POLLER_STALE_AFTER - 1);
	CHECK(exec_sql(sql) == 0);
	CHECK(poller_freshness(&f) == 0);
	CHECK(f.stale && !f.last_failed);	/* cron stopped */
}

TEST(run_not_registered_noted_nothing_changed)
{
	struct job_report rep;

	CHECK(unit_fresh_store() == 0);
	CHECK(add_row("q1", "us-east-1", "queued", NULL, 0, 1) == 0);
	memset(&rep, 0, sizeof rep);
	CHECK(poller_run(&rep) == 0);
	CHECK(strncmp(rep.note, "not registered", 14) == 0);
	CHECK(rep.line[0] == '\0' && rep.error[0] == '\0');
	CHECK(unit_query_int("SELECT count(*) FROM vms WHERE state = "
	    "'queued'") == 1);
	CHECK(unit_query_int("SELECT count(*) FROM settings WHERE name = "
	    "'poller.polled_at'") == 0);
}

TEST(import_bad_fields_refused_before_anything)
{
	struct poller_import in = { "vm-42", "web01", "us-east-1",
	    "connector-imports", "images/web01.vmdk", "VMDK", "" };
	struct poller_import bad;
	struct poller_result r;

	CHECK(unit_fresh_store() == 0);
	bad = in;
	bad.vm_moref = "vm 42";
	CHECK(poller_import(&bad, &r) == CONN_EINVAL &&
	    r.field == POLLER_F_VM_MOREF);
	bad = in;
	bad.vm_name = "bell\x07";
	CHECK(poller_import(&bad, &r) == CONN_EINVAL &&
	    r.field == POLLER_F_VM_NAME);
	bad = in;
	bad.bucket = "Bad_Bucket";
	CHECK(poller_import(&bad, &r) == CONN_EINVAL &&
	    r.field == POLLER_F_BUCKET);
	bad = in;
	bad.key = "a/../b";
	CHECK(poller_import(&bad, &r) == CONN_EINVAL &&
	    r.field == POLLER_F_KEY);
	bad = in;
	bad.format = "EXE";
	CHECK(poller_import(&bad, &r) == CONN_EINVAL &&
	    r.field == POLLER_F_FORMAT);
	bad = in;
	bad.description = "two\nlines";
	CHECK(poller_import(&bad, &r) == CONN_EINVAL &&
	    r.field == POLLER_F_DESCRIPTION);
	/* Good fields, but no registration to import with. */
	CHECK(poller_import(&in, &r) == CONN_EINVAL);
	CHECK(r.field == POLLER_F_FORM && strstr(r.msg, "not registered"));
	CHECK(poller_track("import-ami-01234567", "vm-1", "x", NULL, &r) ==
	    CONN_EINVAL && strstr(r.msg, "not registered"));
	CHECK(poller_track("ami-01234567", "vm-1", "x", NULL, &r) ==
	    CONN_EINVAL && r.field == POLLER_F_TASK_ID);
	CHECK(unit_query_int("SELECT count(*) FROM vms") == 0);
}

int
main(void)
{
	if (unit_tmp_root("test-poller", share, sizeof share) != 0)
		return 1;
	log_init("test-poller");
	RUN(import_task_in_progress);
	RUN(import_task_completed_with_ami);
	RUN(import_task_deleted_or_deleting_is_deleted);
	RUN(import_task_unknown_status_stays_in_progress);
	RUN(import_task_bad_progress_is_not_given);
	RUN(conversion_progress_is_the_share_converted);
	RUN(conversion_completed_gives_instance_or_volume);
	RUN(conversion_cancelled_is_deleted);
	RUN(status_differs_in_each_shown_part);
	RUN(states_named_labelled_and_levelled);
	RUN(age_in_words);
	RUN(moref_good_and_bad);
	RUN(format_any_case_to_aws_spelling);
	RUN(task_id_kinds);
	RUN(error_names_the_unknown_task_as_a_word);
	RUN(table_refuses_what_cannot_be);
	RUN(slot_taken_only_while_fewer_than_four_in_progress);
	RUN(page_sorted_by_each_column_and_paged);
	RUN(freshness_from_poll_time_and_last_run);
	RUN(run_not_registered_noted_nothing_changed);
	RUN(import_bad_fields_refused_before_anything);
	db_close();
	unit_rm_rf(unit_tmp);
	UNIT_EXIT();
}
