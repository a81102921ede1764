/*
 * healthview.c — the Health Status pane's rows as they are shown
 * (lib/healthview.h).
 */
#include <stdio.h>
#include <string.h>

#include "healthview.h"

void
health_ago(time_t now, time_t t, char *out, size_t outlen)
{
	long long d = (long long)now - (long long)t;

	if (t <= 0)
		snprintf(out, outlen, "never");
	else if (d < 60)
		snprintf(out, outlen, "just now");
	else if (d < 3600)
		snprintf(out, outlen, "%lld minute%s ago", d / 60,
		    d / 60 == 1 ? "" : "s");
	else if (d < 2 * 86400)
		snprintf(out, outlen, "%lld hour%s ago", d / 3600,
		    d / 3600 == 1 ? "" : "s");
	else
		snprintf(out, outlen, "%lld days ago", d / 86400);
}

static const struct {
	char c;
	const char *class, *word;
} strip_states[] = {
	{ 'o', "ok", "OK" }, { 'w', "warning", "Warning" },
	{ 'e', "error", "Error" }, { 'n', "na", "Not applicable" },
	{ '-', "none", "Not checked" },
};

int
health_strip_segs(const struct health_row *r,
    struct health_seg segs[HEALTH_STRIP_SLOTS])
{
	/* The start of the newest slot: the quarter-hour of the last check
	 * (now, when it was never checked), held to the years a clock can
	 * write so the times below cannot overflow or fail to convert. */
	time_t last = r->checked_at > 0 ? r->checked_at : util_now();
	if (last > HEALTH_TIME_MAX)
		last = HEALTH_TIME_MAX;
	time_t newest = last - last % HEALTH_STRIP_SLOT;
	int n = 0;

	for (int i = 0; i < HEALTH_STRIP_SLOTS; i++) {
		char c = r->strip[i];
		if (n > 0 && segs[n - 1].state == c) {
			segs[n - 1].len++;
			continue;
		}
		segs[n].start = i;
		segs[n].len = 1;
		segs[n].state = c;
		n++;
	}
	for (int i = 0; i < n; i++) {
		struct health_seg *s = &segs[i];
		time_t from = newest - (time_t)(HEALTH_STRIP_SLOTS - 1 -
		    s->start) * HEALTH_STRIP_SLOT;
		time_t to = from + (time_t)s->len * HEALTH_STRIP_SLOT;
		const char *word = "Not checked";
		char a[8] = "--:--", b[8] = "--:--";
		struct tm tm;

		s->class = "none";
		for (size_t k = 0; k < sizeof strip_states /
		    sizeof strip_states[0]; k++)
			if (strip_states[k].c == s->state) {
				s->class = strip_states[k].class;
				word = strip_states[k].word;
			}
		/* A time that does not convert keeps "--:--"; strftime
		 * leaves its buffer undefined when it fails. */
		if (gmtime_r(&from, &tm) == NULL ||
		    strftime(a, sizeof a, "%H:%M", &tm) == 0)
			snprintf(a, sizeof a, "--:--");
		if (gmtime_r(&to, &tm) == NULL ||
		    strftime(b, sizeof b, "%H:%M", &tm) == 0)
			snprintf(b, sizeof b, "--:--");
		/* The window is 24 hours: a run that starts on an earlier
		 * day (UTC) than the newest slot started yesterday. */
		snprintf(s->title, sizeof s->title, "%s %s%s\u2013%s UTC",
		    word, from / 86400 != newest / 86400 ? "yesterday " : "",
		    a, b);
	}
	return n;
}

int
health_strip_svg(const struct health_row *r, struct buf *out)
{
	static struct health_seg segs[HEALTH_STRIP_SLOTS];
	int n;

	if (r->checked_at <= 0)
		return 0;
	n = health_strip_segs(r, segs);
	for (int i = 0; i < n; i++) {
		const struct health_seg *s = &segs[i];
		if (s->state == '-')
			continue;
		if (buf_addf(out, "<rect class=\"s-%s\" x=\"%d\" y=\"0\" "
		    "width=\"%d\" height=\"6\"><title>%s</title></rect>",
		    s->class, s->start, s->len, s->title) != 0)
			return CONN_ENOMEM;
	}
	return 0;
}

const char *
health_row_word(const struct health_row *r)
{
	return r->checked_at > 0 ? health_state_word(r->state) :
	    "Not checked";
}

const char *
health_stage_words(const char *stage)
{
	static const struct { const char *id, *words; } stages[] = {
		{ "dns", "while looking up the name" },
		{ "connect", "while connecting" },
		{ "tls", "during the TLS handshake" },
		{ "http", "in the HTTP answer" },
		{ "authentication", "while signing in" },
		{ "response", "while reading the answer" },
		{ "local", "on this machine" },
	};

	if (stage == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof stages / sizeof stages[0]; i++)
		if (strcmp(stage, stages[i].id) == 0)
			return stages[i].words;
	return NULL;
}
