/*
 * test-healthstate — reading what the health runs left (lib/healthstate.c)
 * and showing it (lib/healthview.c): every item in the pane's order whether
 * stored or not, strips of any stored length, states this version does not
 * know, the overall state, the history newest first and cut at its limit,
 * the newest run, "checked N minutes ago" and the strip's runs and titles.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "../../lib/core.h"
#include "../../lib/domain.h"
#include "../../lib/health.h"
#include "../../lib/healthview.h"
#include "unit.h"

static char share[PATH_MAX];

static int
exec_sql(const char *sql)
{
	return sqlite3_exec(db_handle(), sql, NULL, NULL, NULL) == SQLITE_OK ?
	    0 : -1;
}

struct got {
	struct health_row rows[HI__MAX + 1];
	size_t n;
};

static int
keep(void *arg, const struct health_row *r)
{
	struct got *g = arg;

	if (g->n <= HI__MAX)
		g->rows[g->n++] = *r;
	return 0;
}

static int
stop_at_three(void *arg, const struct health_row *r)
{
	int *n = arg;

	(void)r;
	return ++*n == 3 ? 7 : 0;
}

TEST(rows_every_item_in_order_never_checked_na)
{
	static struct got g;

	CHECK(unit_fresh_store() == 0);
	g.n = 0;
	CHECK(health_rows_each(keep, &g) == 0);
	CHECK(g.n == HI__MAX);
	for (size_t i = 0; i < g.n; i++) {
		CHECK(g.rows[i].item == (enum health_item)i);
		CHECK(g.rows[i].state == HEALTH_NA);
		CHECK(g.rows[i].checked_at == 0);
		CHECK(strlen(g.rows[i].strip) == HEALTH_STRIP_SLOTS);
		CHECK(strspn(g.rows[i].strip, "-") == HEALTH_STRIP_SLOTS);
	}
	CHECK(health_overall(g.rows, g.n) == HEALTH_NA);
}

TEST(rows_stored_read_unknown_left_out_strip_aligned)
{
	static struct got g;
	const struct health_row *aws, *disk, *vc, *poller;

	CHECK(unit_fresh_store() == 0);
	CHECK(exec_sql("INSERT INTO health VALUES "
	    "('aws', 'error', 'down', '{\"stage\":\"tls\"}', 1000, 900, 42, "
	    "'ooe'), "
	    "('disk', 'ok', 'fine', NULL, 1000, 10, 5, "
	    "'" "oooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo"
	    "ooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo"
	    "ewX'), "
	    "('vcenter', 'absent', 'n/a', NULL, 1000, 10, 1, ''), "
	    "('poller', 'warning', 'stale', NULL, 1000, 10, 1, 'o?w'), "
	    "('someday', 'ok', 'an item of a newer version', NULL, 1, 1, 1, "
	    "'')") == 0);
	g.n = 0;
	CHECK(health_rows_each(keep, &g) == 0);
	CHECK(g.n == HI__MAX);
	aws = &g.rows[HI_AWS];
	disk = &g.rows[HI_DISK];
	vc = &g.rows[HI_VCENTER];
	poller = &g.rows[HI_POLLER];
	CHECK(aws->state == HEALTH_ERROR && strcmp(aws->summary, "down") == 0);
	CHECK(strcmp(aws->details, "{\"stage\":\"tls\"}") == 0);
	CHECK(aws->checked_at == 1000 && aws->since == 900 &&
	    aws->duration_ms == 42);
	/* A short strip ends at the newest slot; a long one keeps its end;
	 * a character it does not know is "not seen". */
	CHECK(strlen(aws->strip) == HEALTH_STRIP_SLOTS);
	CHECK(strcmp(aws->strip + HEALTH_STRIP_SLOTS - 3, "ooe") == 0);
	CHECK(strspn(aws->strip, "-") == HEALTH_STRIP_SLOTS - 3);
	CHECK(strlen(disk->strip) == HEALTH_STRIP_SLOTS);
	CHECK(strcmp(disk->strip + HEALTH_STRIP_SLOTS - 3, "ew-") == 0);
	CHECK(strcmp(poller->strip + HEALTH_STRIP_SLOTS - 3, "o-w") == 0);
	CHECK(disk->details[0] == '\0');
	CHECK(vc->state == HEALTH_ABSENT);
	CHECK(health_overall(g.rows, g.n) == HEALTH_ERROR);
	/* The absent and the never-checked do not count. */
	g.rows[HI_AWS].state = HEALTH_OK;
	CHECK(health_overall(g.rows, g.n) == HEALTH_WARNING);
	g.rows[HI_POLLER].state = HEALTH_ABSENT;
	CHECK(health_overall(g.rows, g.n) == HEALTH_OK);
	CHECK(health_overall(g.rows, 0) == HEALTH_NA);
}

TEST(rows_bad_unknown_state_shown_not_applicable)
{
	static struct got g;

	CHECK(unit_fresh_store() == 0);
	/* The schema refuses it; a newer one might not. */
	CHECK(exec_sql("PRAGMA ignore_check_constraints = ON") == 0);
	CHECK(exec_sql("INSERT INTO health VALUES ('aws', 'purple', 'x', NULL, "
	    "5, 5, 1, '')") == 0);
	CHECK(exec_sql("PRAGMA ignore_check_constraints = OFF") == 0);
	g.n = 0;
	CHECK(health_rows_each(keep, &g) == 0);
	CHECK(g.rows[HI_AWS].state == HEALTH_NA);
}

TEST(rows_callback_stops_the_walk)
{
	int n = 0;

	CHECK(unit_fresh_store() == 0);
	CHECK(health_rows_each(stop_at_three, &n) == 7);
	CHECK(n == 3);
}

struct log_got {
	int n;
	time_t at[8];
	enum health_state s[8];
	char summary[8][32];
};

static int
log_keep(void *arg, time_t at, enum health_state s, const char *summary,
    const char *details, long duration_ms)
{
	struct log_got *g = arg;

	(void)details;
	(void)duration_ms;
	if (g->n < 8) {
		g->at[g->n] = at;
		g->s[g->n] = s;
		snprintf(g->summary[g->n], sizeof g->summary[0], "%s", summary);
		g->n++;
	}
	return 0;
}

TEST(log_newest_first_one_item_limited)
{
	struct log_got g = { 0 };

	CHECK(unit_fresh_store() == 0);
	CHECK(exec_sql("INSERT INTO health_log (item, at, state, summary, "
	    "details, duration_ms) VALUES "
	    "('aws', 100, 'ok', 'first', NULL, 1), "
	    "('aws', 300, 'error', 'third', '{}', 1), "
	    "('disk', 400, 'ok', 'other item', NULL, 1), "
	    "('aws', 200, 'warning', 'second', NULL, 1), "
	    "('aws', 300, 'ok', 'third, later row', NULL, 1)") == 0);
	CHECK(health_log_each(HI_AWS, 3, log_keep, &g) == 0);
	CHECK(g.n == 3);
	CHECK(g.at[0] == 300 && strcmp(g.summary[0], "third, later row") == 0);
	CHECK(g.at[1] == 300 && g.s[1] == HEALTH_ERROR);
	CHECK(g.at[2] == 200 && g.s[2] == HEALTH_WARNING);
	memset(&g, 0, sizeof g);
	CHECK(health_log_each(HI_VCENTER, 100, log_keep, &g) == 0);
	CHECK(g.n == 0);
	CHECK(health_log_each(HI__MAX, 1, log_keep, &g) == CONN_EINVAL);
}

TEST(ago_in_words)
{
	char b[HEALTH_AGO_MAX];

	health_ago(1000, 0, b, sizeof b);
	CHECK(strcmp(b, "never") == 0);
	health_ago(1000, 990, b, sizeof b);
	CHECK(strcmp(b, "just now") == 0);
	health_ago(1000, 1010, b, sizeof b);	/* a clock a little behind */
	CHECK(strcmp(b, "just now") == 0);
	health_ago(1000, 1000 - 60, b, sizeof b);
	CHECK(strcmp(b, "1 minute ago") == 0);
	health_ago(10000, 10000 - 59 * 60 - 59, b, sizeof b);
	CHECK(strcmp(b, "59 minutes ago") == 0);
	health_ago(10000, 10000 - 3600, b, sizeof b);
	CHECK(strcmp(b, "1 hour ago") == 0);
	health_ago(1000000, 1000000 - 47 * 3600, b, sizeof b);
	CHECK(strcmp(b, "47 hours ago") == 0);
	health_ago(1000000, 1000000 - 3 * 86400, b, sizeof b);
	CHECK(strcmp(b, "3 days ago") == 0);
}

TEST(strip_runs_merged_with_times)
{
	static struct health_seg segs[HEALTH_STRIP_SLOTS];
	struct health_row r;
	int n;

	memset(&r, 0, sizeof r);
	memset(r.strip, 'o', HEALTH_STRIP_SLOTS);
	memset(r.strip + 90, 'e', 3);	/* slots 90..92 */
	r.strip[95] = 'w';
	/* 2026-12-02 15:07 UTC: the newest slot is 15:00-15:15. */
	r.checked_at = 1796224020;
	n = health_strip_segs(&r, segs);
	CHECK(n == 4);
	CHECK(segs[0].start == 0 && segs[0].len == 90 &&
	    strcmp(segs[0].class, "ok") == 0);
	CHECK(segs[1].start == 90 && segs[1].len == 3 &&
	    strcmp(segs[1].class, "error") == 0);
	CHECK(strcmp(segs[1].title, "Error 13:45\u201314:30 UTC") == 0);
	CHECK(strcmp(segs[3].class, "warning") == 0);
	CHECK(strcmp(segs[3].title, "Warning 15:00\u201315:15 UTC") == 0);
	CHECK(strcmp(segs[2].title, "OK 14:30\u201315:00 UTC") == 0);
	/* The first run began yesterday. */
	CHECK(strcmp(segs[0].title, "OK yesterday 15:15\u201313:45 UTC") == 0);
	memset(r.strip, '-', HEALTH_STRIP_SLOTS);
	r.strip[95] = 'n';
	n = health_strip_segs(&r, segs);
	CHECK(n == 2 && strcmp(segs[0].class, "none") == 0 &&
	    strcmp(segs[1].class, "na") == 0);
	/* Every slot different: as many runs as slots. */
	for (int i = 0; i < HEALTH_STRIP_SLOTS; i++)
		r.strip[i] = "ow"[i % 2];
	CHECK(health_strip_segs(&r, segs) == HEALTH_STRIP_SLOTS);
}

/* The strip drawn for the dashboard: one rect with its title per run
 * seen, the quarter-hours not seen left out, nothing for a row never
 * checked; made of states, slots and times only. */
TEST(strip_drawn_as_rects_with_titles)
{
	struct health_row r;
	struct buf b = { 0 };
	const char *p;
	int rects = 0;

	memset(&r, 0, sizeof r);
	memset(r.strip, '-', HEALTH_STRIP_SLOTS);
	memset(r.strip + 90, 'e', 3);	/* slots 90..92 */
	r.strip[95] = 'w';
	CHECK(health_strip_svg(&r, &b) == 0);
	CHECK(b.len == 0);		/* never checked: nothing drawn */
	r.checked_at = 1796224020;	/* 2026-12-02 15:07 UTC */
	CHECK(health_strip_svg(&r, &b) == 0);
	CHECK(b.data != NULL);
	if (b.data == NULL)
		return;
	CHECK(strstr(b.data, "<rect class=\"s-error\" x=\"90\" y=\"0\" "
	    "width=\"3\" height=\"6\"><title>Error 13:45\u201314:30 UTC"
	    "</title></rect>") == b.data);
	CHECK(strstr(b.data, "<rect class=\"s-none\"") == NULL);
	for (p = b.data; (p = strstr(p, "<rect ")) != NULL; p++)
		rects++;
	CHECK(rects == 2);		/* the error and the warning */
	CHECK(strstr(b.data, "x=\"95\" y=\"0\" width=\"1\"") != NULL);
	/* Every slot a different state: the longest it gets. */
	for (int i = 0; i < HEALTH_STRIP_SLOTS; i++)
		r.strip[i] = "ow"[i % 2];
	buf_reset(&b);
	CHECK(health_strip_svg(&r, &b) == 0);
	rects = 0;
	for (p = b.data; (p = strstr(p, "<rect ")) != NULL; p++)
		rects++;
	CHECK(rects == HEALTH_STRIP_SLOTS);
	buf_free(&b);
}

/* A stored check time out of any clock's range (a hostile or broken
 * row): the strip is still drawn, every title a whole terminated line of
 * times, and a negative time is drawn as never checked. */
TEST(strip_bad_checked_at_huge_negative)
{
	static struct health_seg segs[HEALTH_STRIP_SLOTS];
	static const long long bad[] = { LLONG_MAX, LLONG_MAX - 1,
	    (long long)HEALTH_TIME_MAX + 1, 67768036191676799LL };
	struct health_row r;
	struct buf b = { 0 };

	memset(&r, 0, sizeof r);
	memset(r.strip, 'o', HEALTH_STRIP_SLOTS);
	r.strip[95] = 'e';
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int n;
		r.checked_at = (time_t)bad[i];
		memset(segs, 'x', sizeof segs);
		n = health_strip_segs(&r, segs);
		CHECK(n == 2);
		for (int k = 0; k < n; k++)
			CHECK(memchr(segs[k].title, '\0',
			    sizeof segs[k].title) != NULL);
		/* Held to 9999-12-31 23:59:59: the newest slot 23:45. */
		CHECK(strcmp(segs[1].title,
		    "Error 23:45\u201300:00 UTC") == 0);
		CHECK(strcmp(segs[0].title,
		    "OK 00:00\u201323:45 UTC") == 0);
		buf_reset(&b);
		CHECK(health_strip_svg(&r, &b) == 0);
		CHECK(b.data != NULL && strstr(b.data, "x=\"95\" y=\"0\" "
		    "width=\"1\" height=\"6\"><title>Error 23:45\u201300:00 "
		    "UTC</title></rect>") != NULL);
	}
	/* Negative: never checked, nothing drawn. */
	r.checked_at = (time_t)LLONG_MIN;
	buf_reset(&b);
	CHECK(health_strip_svg(&r, &b) == 0);
	CHECK(b.len == 0);
	r.checked_at = -1;
	CHECK(health_strip_svg(&r, &b) == 0);
	CHECK(b.len == 0);
	memset(segs, 'x', sizeof segs);
	CHECK(health_strip_segs(&r, segs) == 2);
	CHECK(memchr(segs[1].title, '\0', sizeof segs[1].title) != NULL);
	CHECK(strncmp(segs[1].title, "Error ", 6) == 0);
	buf_free(&b);
}

/* A run starts every item's check exactly once: an item left out of the
 * start order would never be checked, one listed twice started twice. */
TEST(start_order_every_item_exactly_once)
{
	const enum health_item *order = health_start_order();
	int seen[HI__MAX] = { 0 };

	for (int k = 0; k < HI__MAX; k++) {
		CHECK((unsigned)order[k] < HI__MAX);
		if ((unsigned)order[k] < HI__MAX)
			seen[order[k]]++;
	}
	for (int i = 0; i < HI__MAX; i++)
		if (seen[i] != 1) {
			printf("  %s starts %d times\n", health_items[i].id,
			    seen[i]);
			CHECK(seen[i] == 1);
		}
}

TEST(stage_words)
{
	CHECK(strcmp(health_stage_words("tls"), "during the TLS handshake") ==
	    0);
	CHECK(strcmp(health_stage_words("connect"), "while connecting") == 0);
	CHECK(health_stage_words("nonsense") == NULL);
	CHECK(health_stage_words(NULL) == NULL);
}

int
main(void)
{
	if (unit_tmp_root("test-healthstate", share, sizeof share) != 0)
		return 1;
	log_init("test-healthstate");
	RUN(rows_every_item_in_order_never_checked_na);
	RUN(rows_stored_read_unknown_left_out_strip_aligned);
	RUN(rows_bad_unknown_state_shown_not_applicable);
	RUN(rows_callback_stops_the_walk);
	RUN(log_newest_first_one_item_limited);
	RUN(ago_in_words);
	RUN(strip_runs_merged_with_times);
	RUN(strip_drawn_as_rects_with_titles);
	RUN(strip_bad_checked_at_huge_negative);
	RUN(start_order_every_item_exactly_once);
	RUN(stage_words);
	db_close();
	unit_rm_rf(unit_tmp);
	UNIT_EXIT();
}
