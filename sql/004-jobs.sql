-- Runs of the cron jobs (lib/job.c): one row per run, written with outcome
-- 'running' when the run starts and completed when it ends.  A row still
-- 'running' when the next run of the same job starts belongs to a run that
-- was killed; that start marks it 'failed'.  counts is a JSON object of
-- what the run changed ({"sessions": 3, ...}); error says, in the
-- administrator's words, why a run failed.
CREATE TABLE jobs (
	id INTEGER PRIMARY KEY,
	job TEXT NOT NULL,
	started_at INTEGER NOT NULL,
	ended_at INTEGER,
	outcome TEXT NOT NULL CHECK (outcome IN ('running', 'ok', 'failed')),
	counts TEXT,
	error TEXT
) STRICT;
CREATE INDEX jobs_by_job ON jobs (job, id);
