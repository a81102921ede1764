-- The console's base state: settings, the administrator, login sources
-- (for the lockout and the "Connector Dashboard Login" health item) and
-- sessions.
CREATE TABLE settings (
	name TEXT PRIMARY KEY,
	value TEXT NOT NULL
) STRICT;

-- Exactly one row.  password_hash is NULL until the console is claimed;
-- setup_code_hash is NULL once it is.
CREATE TABLE admin (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	password_hash TEXT,
	setup_code_hash TEXT,
	failed_count INTEGER NOT NULL DEFAULT 0,
	locked INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
	locked_at INTEGER,
	last_failure_at INTEGER,
	last_login_at INTEGER,
	last_login_addr TEXT,
	password_changed_at INTEGER
) STRICT;
INSERT INTO admin (id) VALUES (1);

-- Failed logins per source address: consecutive failures drive the
-- slow-down, total and time feed the health pane.
CREATE TABLE login_sources (
	addr TEXT PRIMARY KEY,
	consecutive INTEGER NOT NULL,
	total INTEGER NOT NULL,
	last_failure_at INTEGER NOT NULL
) STRICT;

-- Only the SHA-256 of a session token is stored.
CREATE TABLE sessions (
	token_hash TEXT PRIMARY KEY,
	csrf TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	last_seen INTEGER NOT NULL,
	addr TEXT NOT NULL
) STRICT;
CREATE INDEX sessions_last_seen ON sessions (last_seen);
