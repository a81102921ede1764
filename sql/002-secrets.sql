-- Stored credentials (lib/secret.c).  Each value is sealed with AES-256-GCM
-- under the connector encryption key named by key_id: nonce is the random
-- 96-bit nonce of that seal, sealed the ciphertext followed by the 128-bit
-- tag.  The key itself is a file, var/lib/connector/keys/<key_id>.key; only
-- its id is stored here.
CREATE TABLE secrets (
	name TEXT PRIMARY KEY,
	key_id TEXT NOT NULL,
	nonce BLOB NOT NULL,
	sealed BLOB NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;

-- The key in use, at most one row: absent until the first key is made.  A
-- rotation re-seals every secret and changes this row in one transaction,
-- so the row and the secrets always name the same key.
CREATE TABLE secret_key (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	key_id TEXT NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;
