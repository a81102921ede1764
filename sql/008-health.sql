-- The Health Status pane (lib/health.c, lib/healthstate.c).  health holds
-- each item's last result, written with the whole run in one transaction;
-- health_log its history for View Error Log and the 24-hour strip (kept 7
-- days, pruned by the run that writes).  state is one of absent (the item
-- does not apply to this set-up and is not shown), na (it will apply: not
-- registered yet), ok, warning, error.  details is a JSON object: endpoint,
-- stage, error text, timings and the item's facts.  since is when the item
-- entered its state; strip is the last 24 hours, one character a
-- quarter-hour (lib/health.h).
CREATE TABLE health (
	item TEXT PRIMARY KEY,
	state TEXT NOT NULL
	    CHECK (state IN ('absent', 'na', 'ok', 'warning', 'error')),
	summary TEXT NOT NULL,
	details TEXT,
	checked_at INTEGER NOT NULL,
	since INTEGER NOT NULL,
	duration_ms INTEGER NOT NULL,
	strip TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE TABLE health_log (
	id INTEGER PRIMARY KEY,
	item TEXT NOT NULL,
	at INTEGER NOT NULL,
	state TEXT NOT NULL
	    CHECK (state IN ('absent', 'na', 'ok', 'warning', 'error')),
	summary TEXT NOT NULL,
	details TEXT,
	duration_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX health_log_by_item ON health_log (item, at);
CREATE INDEX health_log_by_at ON health_log (at);
