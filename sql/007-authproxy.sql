-- The federation authentication proxy (lib/authproxy.c).
--
-- Every signature the proxy accepted, once: a request carrying a signature
-- seen before is a replay and is refused.  Only the SHA-256 of the
-- signature is kept.  A row outlives the window in which its request's
-- date is accepted (5 minutes either side of the clock); the housekeeping
-- job then removes it.
CREATE TABLE authproxy_signatures (
	signature_hash TEXT PRIMARY KEY,
	seen_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX authproxy_signatures_seen ON authproxy_signatures (seen_at);

-- Attempts at vCenter credentials, for the per-user and per-source limits.
-- A row is written before vCenter is asked, by one conditional INSERT that
-- also checks both limits, so attempts made at the same time count; it is
-- deleted when the password was right (with the user's earlier failures)
-- or vCenter could not be asked, and stays as a failure otherwise (also
-- when the attempt was killed half-way).  user_key is the user name as the
-- limits see it (its user part, lower case, whatever the domain's
-- spelling); source the address the attempt came from.  Rows older than
-- the limits' window no longer count; housekeeping removes them.
CREATE TABLE authproxy_attempts (
	id INTEGER PRIMARY KEY,
	user_key TEXT NOT NULL,
	source TEXT NOT NULL,
	at INTEGER NOT NULL
) STRICT;
CREATE INDEX authproxy_attempts_user ON authproxy_attempts (user_key, at);
CREATE INDEX authproxy_attempts_source ON authproxy_attempts (source, at);
