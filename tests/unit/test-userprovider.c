/*
 * test-userprovider.c — the UserProvider's pure logic: the walk through a
 * directory that cuts its answers (lib/vsphere.c's vsphere_walk, over a
 * directory in memory that answers as vCenter does: a part of the name,
 * any case, at most `cap` entries), the replacement of the list and its
 * counts (lib/userprovider.c, on a fresh store), the lookup the
 * authentication proxy makes, and the split of a sign-in name.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../lib/core.h"
#include "../../lib/userprovider.h"
#include "unit.h"

static char share[PATH_MAX];

/* ---- a directory in memory ---- */

#define DIR_MAX 2000

struct fake_dir {
	char *names[DIR_MAX];
	int group[DIR_MAX];
	int n;
	int cap;
	long calls;
	long fail_at;		/* the call that fails (0: none) */
	int twice;		/* answer every entry twice, respelled */
};

static void
dir_add(struct fake_dir *d, const char *name, int group)
{
	if (d->n < DIR_MAX) {
		d->group[d->n] = group;
		d->names[d->n++] = strdup(name);
	}
}

static void
dir_free(struct fake_dir *d)
{
	for (int i = 0; i < d->n; i++)
		free(d->names[i]);
	memset(d, 0, sizeof *d);
}

/* ASCII case-insensitive strstr, as vCenter's search ignores case. */
static int
contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return 1;
	return n == 0;
}

static int
dir_fetch(void *arg, const struct vsphere_search *q, vsphere_user_cb cb,
    void *cbarg, int *n)
{
	struct fake_dir *d = arg;
	struct vsphere_principal p;
	int rc;

	*n = 0;
	if (d->fail_at && ++d->calls == d->fail_at)
		return CONN_EIO;
	if (!d->fail_at)
		d->calls++;
	for (int i = 0; i < d->n && *n < d->cap; i++) {
		const char *s = q->search ? q->search : "";
		if (d->group[i] ? !q->groups : !q->users)
			continue;
		if (q->exact ? strcasecmp(d->names[i], s) != 0 :
		    !contains(d->names[i], s))
			continue;
		memset(&p, 0, sizeof p);
		snprintf(p.principal, sizeof p.principal, "%s", d->names[i]);
		snprintf(p.full_name, sizeof p.full_name, "Full %s",
		    d->names[i]);
		p.group = d->group[i];
		++*n;
		if ((rc = cb(cbarg, &p)) != 0)
			return rc;
		if (d->twice) {
			for (char *c = p.principal; *c; c++)
				*c = (char)toupper((unsigned char)*c);
			if ((rc = cb(cbarg, &p)) != 0)
				return rc;
		}
	}
	return 0;
}

/* What the walk handed on: each name's count. */
struct found {
	char *names[DIR_MAX * 2];
	int n;
	int groups;
	int stop_after;		/* return 7 after this many (0: never) */
};

static int
found_cb(void *arg, const struct vsphere_principal *p)
{
	struct found *f = arg;

	if (f->n < DIR_MAX * 2)
		f->names[f->n++] = strdup(p->principal);
	f->groups += p->group;
	return f->stop_after && f->n >= f->stop_after ? 7 : 0;
}

static void
found_free(struct found *f)
{
	for (int i = 0; i < f->n; i++)
		free(f->names[i]);
	memset(f, 0, sizeof *f);
}

/* 1 when every name of d was found exactly once, and nothing else. */
static int
found_all_once(const struct fake_dir *d, const struct found *f)
{
	if (f->n != d->n)
		return 0;
	for (int i = 0; i < d->n; i++) {
		int k = 0;
		for (int j = 0; j < f->n; j++)
			k += strcasecmp(d->names[i], f->names[j]) == 0;
		if (k != 1)
			return 0;
	}
	return 1;
}

static const struct vsphere_search everyone = {
	"vsphere.local", "", 0, 1, 1
};

TEST(walk_small_directory_one_search)
{
	struct fake_dir d = { .cap = 50 };
	struct found f = { 0 };
	struct vsphere_walk_stats st;

	for (int i = 0; i < 10; i++) {
		char name[16];
		snprintf(name, sizeof name, "user%d", i);
		dir_add(&d, name, i == 9);
	}
	CHECK(vsphere_walk(&everyone, 50, dir_fetch, &d, found_cb, &f,
	    &st) == 0);
	CHECK(found_all_once(&d, &f));
	CHECK(f.groups == 1);
	CHECK(st.calls == 1 && st.narrowed == 0 && st.found == 10);
	dir_free(&d);
	found_free(&f);
}

TEST(walk_over_cap_finds_everyone_once)
{
	static const char *const odd[] = { "o'neil", "anne marie", "zo\xc3\xab",
	    "100%_real", "MiXeD.Case", "\xe5\x90\x8d\xe5\x89\x8dx" };
	struct fake_dir d = { .cap = 50 };
	struct found f = { 0 };
	struct vsphere_walk_stats st;

	for (int i = 1; i <= 700; i++) {
		char name[16];
		snprintf(name, sizeof name, "user%d", i);
		dir_add(&d, name, 0);
	}
	for (int i = 1; i <= 30; i++) {
		char name[16];
		snprintf(name, sizeof name, "group%d", i);
		dir_add(&d, name, 1);
	}
	for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++)
		dir_add(&d, odd[i], 0);
	CHECK(vsphere_walk(&everyone, 50, dir_fetch, &d, found_cb, &f,
	    &st) == 0);
	CHECK(found_all_once(&d, &f));
	CHECK(f.groups == 30);
	CHECK(st.narrowed > 0 && st.calls > 1 && st.calls == d.calls);
	CHECK(st.found == d.n && st.answered >= st.found);
	dir_free(&d);
	found_free(&f);
}

/* A name that is itself a full search is found by the exact search. */
TEST(walk_name_equal_to_a_full_search_found)
{
	struct fake_dir d = { .cap = 50 };
	struct found f = { 0 };

	for (int i = 1; i <= 60; i++) {
		char name[16];
		snprintf(name, sizeof name, "abc%d", i);
		dir_add(&d, name, 0);
	}
	dir_add(&d, "ab", 0);		/* last: never in a cut answer */
	CHECK(vsphere_walk(&everyone, 50, dir_fetch, &d, found_cb, &f,
	    NULL) == 0);
	CHECK(found_all_once(&d, &f));
	dir_free(&d);
	found_free(&f);
}

/* Characters outside the first alphabet are learnt from the answers. */
TEST(walk_learns_characters_of_the_names)
{
	struct fake_dir d = { .cap = 20 };
	struct found f = { 0 };

	for (int i = 0; i < 40; i++) {
		char name[32];
		/* "名", two characters of their own and a number */
		snprintf(name, sizeof name, "\xe5\x90\x8d%c\xc3\xa9%c%d",
		    "!#$&"[i % 4], "+=~^*()[]{}"[i % 10], i);
		dir_add(&d, name, 0);
	}
	CHECK(vsphere_walk(&everyone, 20, dir_fetch, &d, found_cb, &f,
	    NULL) == 0);
	CHECK(found_all_once(&d, &f));
	dir_free(&d);
	found_free(&f);
}

TEST(walk_repeats_and_respellings_dropped)
{
	struct fake_dir d = { .cap = 10, .twice = 1 };
	struct found f = { 0 };

	for (int i = 0; i < 25; i++) {
		char name[16];
		snprintf(name, sizeof name, "u%d", i);
		dir_add(&d, name, 0);
	}
	CHECK(vsphere_walk(&everyone, 10, dir_fetch, &d, found_cb, &f,
	    NULL) == 0);
	CHECK(f.n == 25);
	dir_free(&d);
	found_free(&f);
}

TEST(walk_stopped_by_callback)
{
	struct fake_dir d = { .cap = 5 };
	struct found f = { .stop_after = 3 };

	for (int i = 0; i < 25; i++) {
		char name[16];
		snprintf(name, sizeof name, "u%d", i);
		dir_add(&d, name, 0);
	}
	CHECK(vsphere_walk(&everyone, 5, dir_fetch, &d, found_cb, &f,
	    NULL) == 7);
	CHECK(f.n == 3);
	dir_free(&d);
	found_free(&f);
}

TEST(walk_bad_search_failure_ends_it)
{
	struct fake_dir d = { .cap = 5, .fail_at = 3 };
	struct found f = { 0 };

	for (int i = 0; i < 25; i++) {
		char name[16];
		snprintf(name, sizeof name, "u%d", i);
		dir_add(&d, name, 0);
	}
	CHECK(vsphere_walk(&everyone, 5, dir_fetch, &d, found_cb, &f,
	    NULL) == CONN_EIO);
	CHECK(d.calls == 3);
	dir_free(&d);
	found_free(&f);
}

/* Two names alike for 300 characters with a cap of 1 cannot be told
 * apart by a search of at most VSPHERE_SEARCH_MAX bytes: refused. */
TEST(walk_bad_answers_full_for_any_search_refused)
{
	struct fake_dir d = { .cap = 1 };
	struct found f = { 0 };
	char name[400];

	memset(name, 'a', 300);
	strcpy(name + 300, "b");
	dir_add(&d, name, 0);
	name[300] = 'c';
	dir_add(&d, name, 0);
	CHECK(vsphere_walk(&everyone, 1, dir_fetch, &d, found_cb, &f,
	    NULL) == CONN_ETOOBIG);
	dir_free(&d);
	found_free(&f);
}

TEST(walk_exact_search_is_one_call)
{
	struct fake_dir d = { .cap = 1 };
	struct found f = { 0 };
	struct vsphere_search q = { NULL, "User3", 1, 1, 0 };
	struct vsphere_walk_stats st;

	for (int i = 0; i < 5; i++) {
		char name[16];
		snprintf(name, sizeof name, "user%d", i);
		dir_add(&d, name, 0);
	}
	CHECK(vsphere_walk(&q, 1, dir_fetch, &d, found_cb, &f, &st) == 0);
	CHECK(f.n == 1 && strcmp(f.names[0], "user3") == 0);
	CHECK(st.calls == 1);
	dir_free(&d);
	found_free(&f);
}

/* ---- the list ---- */

static int
stage(const char *name, const char *full, int group)
{
	struct vsphere_principal p;

	memset(&p, 0, sizeof p);
	snprintf(p.principal, sizeof p.principal, "%s", name);
	snprintf(p.full_name, sizeof p.full_name, "%s", full);
	p.group = group;
	return userprovider_stage(&p);
}

/* A fresh store with the list of domain "dom" as {a, b, g(roup)}. */
static int
first_list(struct up_counts *uc)
{
	if (unit_fresh_store() != 0 || userprovider_stage_begin() != 0 ||
	    stage("alice", "Alice", 0) != 0 || stage("bob", "Bob", 0) != 0 ||
	    stage("admins", "Admins", 1) != 0)
		return -1;
	return userprovider_replace("dom", 1000, uc);
}

TEST(replace_first_list_counted_added)
{
	struct up_counts uc;

	CHECK(first_list(&uc) == 0);
	CHECK(uc.added == 3 && uc.changed == 0 && uc.removed == 0);
	CHECK(uc.users == 2 && uc.groups == 1);
	CHECK(unit_query_int("SELECT count(*) FROM vcenter_users WHERE "
	    "domain = 'dom' AND first_seen = 1000 AND last_seen = 1000 AND "
	    "changed_at = 1000") == 3);
	CHECK(unit_query_int("SELECT value FROM settings WHERE name = "
	    "'userprovider.listed_at'") == 1000);
}

TEST(replace_counts_added_changed_removed)
{
	struct up_counts uc;

	CHECK(first_list(&uc) == 0);
	CHECK(userprovider_stage_begin() == 0);
	CHECK(stage("alice", "Alice", 0) == 0);		/* same */
	CHECK(stage("bob", "Robert", 0) == 0);		/* full name */
	CHECK(stage("carol", "Carol", 0) == 0);		/* new */
	CHECK(stage("dave", "Dave", 1) == 0);		/* new group */
	/* admins gone */
	CHECK(userprovider_replace("dom", 2000, &uc) == 0);
	CHECK(uc.added == 2 && uc.changed == 1 && uc.removed == 1);
	CHECK(uc.users == 3 && uc.groups == 1);
	CHECK(unit_query_int("SELECT changed_at FROM vcenter_users WHERE "
	    "principal = 'bob'") == 2000);
	CHECK(unit_query_int("SELECT first_seen FROM vcenter_users WHERE "
	    "principal = 'bob'") == 1000);
	CHECK(unit_query_int("SELECT changed_at * 10000 + last_seen FROM "
	    "vcenter_users WHERE principal = 'alice'") == 1000 * 10000 + 2000);
	CHECK(unit_query_int("SELECT count(*) FROM vcenter_users WHERE "
	    "principal = 'admins'") == 0);
}

TEST(replace_kind_and_spelling_changes_counted)
{
	struct up_counts uc;

	CHECK(first_list(&uc) == 0);
	CHECK(userprovider_stage_begin() == 0);
	CHECK(stage("ALICE", "Alice", 0) == 0);		/* respelled */
	CHECK(stage("bob", "Bob", 1) == 0);		/* now a group */
	CHECK(stage("admins", "Admins", 1) == 0);
	CHECK(userprovider_replace("dom", 2000, &uc) == 0);
	CHECK(uc.added == 0 && uc.changed == 2 && uc.removed == 0);
	CHECK(unit_query_int("SELECT count(*) FROM vcenter_users WHERE "
	    "principal = 'ALICE' COLLATE BINARY AND changed_at = 2000") == 1);
	CHECK(uc.users == 1 && uc.groups == 2);
}

TEST(replace_other_domain_removed)
{
	struct up_counts uc;

	CHECK(first_list(&uc) == 0);
	CHECK(userprovider_stage_begin() == 0);
	CHECK(stage("alice", "Alice", 0) == 0);
	CHECK(userprovider_replace("other", 2000, &uc) == 0);
	CHECK(uc.added == 1 && uc.removed == 3);
	CHECK(unit_query_int("SELECT count(*) FROM vcenter_users WHERE "
	    "domain = 'other'") == 1);
	CHECK(unit_query_int("SELECT count(*) FROM vcenter_users") == 1);
}

TEST(stage_repeat_dropped_first_spelling_kept)
{
	struct up_counts uc;

	CHECK(unit_fresh_store() == 0 && userprovider_stage_begin() == 0);
	CHECK(stage("Eve", "Eve", 0) == 0);
	CHECK(stage("EVE", "Eve again", 0) == 0);
	CHECK(userprovider_replace("dom", 10, &uc) == 0);
	CHECK(uc.added == 1 && uc.users == 1);
	CHECK(unit_query_int("SELECT count(*) FROM vcenter_users WHERE "
	    "principal = 'Eve' COLLATE BINARY AND full_name = 'Eve'") == 1);
}

TEST(replace_bad_failure_keeps_the_list)
{
	struct up_counts uc;

	CHECK(first_list(&uc) == 0);
	CHECK(userprovider_stage_begin() == 0);
	CHECK(stage("zed", "Zed", 0) == 0);
	/* The staging table gone: the replacement cannot be made. */
	CHECK(sqlite3_exec(db_handle(), "DROP TABLE temp.staged_users", NULL,
	    NULL, NULL) == SQLITE_OK);
	db_close();
	CHECK(db_open(paths_get(PATH_DB)) == 0);
	CHECK(userprovider_replace("dom", 2000, &uc) == CONN_EDB);
	CHECK(unit_query_int("SELECT count(*) FROM vcenter_users WHERE "
	    "domain = 'dom' AND last_seen = 1000") == 3);
	CHECK(unit_query_int("SELECT value FROM settings WHERE name = "
	    "'userprovider.listed_at'") == 1000);
}

static int
finds(const char *typed, const char *want_domain, const char *want_user)
{
	char d[64], u[64];

	return userprovider_find_user(typed, d, sizeof d, u, sizeof u) == 0 &&
	    strcmp(d, want_domain) == 0 && strcmp(u, want_user) == 0;
}

TEST(find_user_only_enumerated_users)
{
	struct up_counts uc;
	char d[64], u[64];

	CHECK(first_list(&uc) == 0);
	CHECK(finds("alice", "dom", "alice"));
	CHECK(finds("DOM\\ALICE", "dom", "alice"));
	CHECK(finds("bob@dom", "dom", "bob"));
	CHECK(userprovider_find_user("admins", d, sizeof d, u, sizeof u) ==
	    CONN_ENOTFOUND);	/* a group */
	CHECK(userprovider_find_user("mallory", d, sizeof d, u, sizeof u) ==
	    CONN_ENOTFOUND);
	CHECK(userprovider_find_user("other\\alice", d, sizeof d, u,
	    sizeof u) == CONN_ENOTFOUND);
	CHECK(userprovider_find_user("", d, sizeof d, u, sizeof u) ==
	    CONN_ENOTFOUND);
	CHECK(userprovider_find_user(NULL, d, sizeof d, u, sizeof u) ==
	    CONN_ENOTFOUND);
	CHECK(userprovider_find_user("al%", d, sizeof d, u, sizeof u) ==
	    CONN_ENOTFOUND);
	CHECK(userprovider_find_user("alice ", d, sizeof d, u, sizeof u) ==
	    CONN_ENOTFOUND);
}

TEST(split_sign_in_names)
{
	char d[64], u[64];

	CHECK(userprovider_split("svc@corp.example", d, sizeof d, u,
	    sizeof u) == 0 && strcmp(d, "corp.example") == 0 &&
	    strcmp(u, "svc") == 0);
	CHECK(userprovider_split("CORP\\svc", d, sizeof d, u, sizeof u) == 0 &&
	    strcmp(d, "CORP") == 0 && strcmp(u, "svc") == 0);
	CHECK(userprovider_split("a@b@c", d, sizeof d, u, sizeof u) == 0 &&
	    strcmp(d, "c") == 0 && strcmp(u, "a@b") == 0);
	CHECK(userprovider_split("svc", d, sizeof d, u, sizeof u) == 0 &&
	    d[0] == '\0' && strcmp(u, "svc") == 0);
}

TEST(split_bad_names_refused)
{
	static const char *const bad[] = { "", "@corp", "svc@", "\\svc",
	    "CORP\\", NULL };
	char d[8], u[8];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(userprovider_split(bad[i], d, sizeof d, u, sizeof u) ==
		    CONN_EINVAL);
	CHECK(userprovider_split("toolongname@x", d, sizeof d, u, sizeof u) ==
	    CONN_EINVAL);
	CHECK(userprovider_split("x@toolongdomain", d, sizeof d, u,
	    sizeof u) == CONN_EINVAL);
}

int
main(void)
{
	if (unit_tmp_root("test-userprovider", share, sizeof share) != 0)
		return 1;
	log_init("test-userprovider");
	RUN(walk_small_directory_one_search);
	RUN(walk_over_cap_finds_everyone_once);
	RUN(walk_name_equal_to_a_full_search_found);
	RUN(walk_learns_characters_of_the_names);
	RUN(walk_repeats_and_respellings_dropped);
	RUN(walk_stopped_by_callback);
	RUN(walk_bad_search_failure_ends_it);
	RUN(walk_bad_answers_full_for_any_search_refused);
	RUN(walk_exact_search_is_one_call);
	RUN(replace_first_list_counted_added);
	RUN(replace_counts_added_changed_removed);
	RUN(replace_kind_and_spelling_changes_counted);
	RUN(replace_other_domain_removed);
	RUN(stage_repeat_dropped_first_spelling_kept);
	RUN(replace_bad_failure_keeps_the_list);
	RUN(find_user_only_enumerated_users);
	RUN(split_sign_in_names);
	RUN(split_bad_names_refused);
	db_close();
	unit_rm_rf(unit_tmp);
	UNIT_EXIT();
}
