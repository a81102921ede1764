-- Read-only API tokens for monitoring (GET /api/status, /metrics).  Only
-- the SHA-256 of a token is stored; the token itself is shown once.
CREATE TABLE api_tokens (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	token_hash TEXT NOT NULL UNIQUE,
	created_at INTEGER NOT NULL,
	last_used_at INTEGER
) STRICT;

-- A one-time notice ("Rotated.") for the page a redirect lands on, kept
-- with the session it belongs to and gone with it.  notice_secret holds a
-- value shown once (a new API token), sealed with a pad derived from the
-- session's cookie token, which is never stored: the row alone cannot
-- reveal it.
ALTER TABLE sessions ADD COLUMN notice TEXT;
ALTER TABLE sessions ADD COLUMN notice_secret BLOB;
-- 1 when the notice is a warning: done, but not all of it (the portal was
-- not told of an unregistration).
ALTER TABLE sessions ADD COLUMN notice_warning INTEGER NOT NULL DEFAULT 0;
-- The page the notice is for (the redirect's target): another page opened
-- meanwhile, in another tab, leaves it waiting.
ALTER TABLE sessions ADD COLUMN notice_path TEXT;
