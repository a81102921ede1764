/*
 * healthview.h — how the Health Status pane's rows are shown, the same on
 * the dashboard, the error log pages, /metrics and the VM console
 * (lib/healthview.c): "checked N minutes ago", the 24-hour strip merged
 * into runs of one state, a failed stage in words.  Reads nothing itself:
 * it is handed rows from lib/healthstate.c.
 */
#ifndef CONNECTOR_HEALTHVIEW_H
#define CONNECTOR_HEALTHVIEW_H

#include <stddef.h>
#include <time.h>

#include "health.h"

#define HEALTH_AGO_MAX 32
#define HEALTH_SEG_TITLE_MAX 64
/* The latest check time a strip is drawn for (9999-12-31 23:59:59 UTC);
 * a later stored time is shown as this one. */
#define HEALTH_TIME_MAX ((time_t)253402300799LL)

/* "just now", "1 minute ago", "5 minutes ago", "2 hours ago", "3 days
 * ago"; "never" when t is 0. */
void health_ago(time_t now, time_t t, char *out, size_t outlen);

/* One run of quarter-hours of the same state in a row's strip. */
struct health_seg {
	int start, len;		/* in slots, 0 the oldest */
	char state;		/* the strip's character */
	const char *class;	/* "ok", "warning", "error", "na", "none" */
	char title[HEALTH_SEG_TITLE_MAX];	/* "Error 14:00–14:45 UTC" */
};

/* The strip of r as runs, oldest first; the number of runs (at most
 * HEALTH_STRIP_SLOTS).  The newest slot is the quarter-hour of the last
 * check. */
int health_strip_segs(const struct health_row *r,
    struct health_seg segs[HEALTH_STRIP_SLOTS]);

/*
 * The strip of r drawn: one SVG <rect> with its <title> per run of
 * quarter-hours seen, appended to out; the quarter-hours not seen are
 * left out (the strip's background).  Nothing is appended for a row never
 * checked.  The markup is made only of the strip's states, slot numbers
 * and times, never of stored or outside text, so the template prints it
 * as it is.  0, or CONN_ENOMEM.
 */
int health_strip_svg(const struct health_row *r, struct buf *out);

/* The word a row's state is shown with: "Not checked" for an item never
 * checked yet (its stored state is Not applicable only as a placeholder),
 * otherwise the state's word ("OK", "Not applicable", ...). */
const char *health_row_word(const struct health_row *r);

/* A details "stage" in words: "while looking up the name", "during the
 * TLS handshake" ...; NULL for one it does not know. */
const char *health_stage_words(const char *stage);

#endif
