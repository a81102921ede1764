-- What the Health Status pane's "Connector Dashboard Login" item and the
-- warning at the next sign-in say about failed sign-ins (lib/auth.c).
--
-- failures_began_at: the first failure of the current run of failures
-- (failed_count of them), NULL when there is none; last_failure_addr: the
-- address of the newest failure.  Both are cleared with failed_count by a
-- successful sign-in or a password reset.  login_sources.recent counts each
-- address's failures since the last successful sign-in or password reset
-- (total keeps counting over the sources' retention).
ALTER TABLE admin ADD COLUMN failures_began_at INTEGER;
ALTER TABLE admin ADD COLUMN last_failure_addr TEXT;
ALTER TABLE login_sources ADD COLUMN recent INTEGER NOT NULL DEFAULT 0;
-- A console upgraded in the middle of a run of failures: each address's
-- current run stands for its failures since the last sign-in.
UPDATE login_sources SET recent = consecutive;
