-- The vCenter users and groups the UserProvider job enumerates
-- (UserDirectory.RetrieveUserGroups), one row per principal of a domain.
-- A run replaces the list in one transaction: rows it no longer finds are
-- deleted, so the table is always one whole enumeration.  The
-- authentication proxy accepts only a user (is_group = 0) found here.
-- Names compare without regard to case, as vCenter's do.
CREATE TABLE vcenter_users (
	domain TEXT NOT NULL COLLATE NOCASE,
	principal TEXT NOT NULL COLLATE NOCASE,
	full_name TEXT NOT NULL DEFAULT '',
	is_group INTEGER NOT NULL DEFAULT 0 CHECK (is_group IN (0, 1)),
	first_seen INTEGER NOT NULL,
	last_seen INTEGER NOT NULL,
	changed_at INTEGER NOT NULL,
	PRIMARY KEY (domain, principal)
) STRICT;
-- The Users page lists by name, and a name is looked up without its
-- domain when the sign-in gave none.
CREATE INDEX vcenter_users_by_principal ON vcenter_users (principal);
