/*
 * manifest.h — the signed update manifest (lib/manifest.c; the format is
 * docs/manifest.md): what the vendor publishes about the connector's
 * versions, release notes, recalls and minimum version, signed with
 * Ed25519 and checked against the public keys built into this program.
 *
 * The module reads bytes and knows no database or network: the health check
 * (lib/check_update.c) fetches the envelope, hands it here with the policy
 * (time, test mode, last serial accepted), and keeps the serial.
 */
#ifndef CONNECTOR_MANIFEST_H
#define CONNECTOR_MANIFEST_H

#include <time.h>

#include "base.h"

#define MANIFEST_FORMAT 1
#define MANIFEST_CHANNEL "stable"
/* Where the manifest is fetched: setting update.url, else this address
 * (a placeholder host until the vendor names the real one). */
#define MANIFEST_URL_SETTING "update.url"
#define MANIFEST_URL_DEFAULT "https://updates.connector.aws/stable/manifest"
/* The highest serial accepted so far (a lower one is a replay). */
#define MANIFEST_SERIAL_SETTING "update.serial"

/* Caps: a bigger or longer one is refused as a whole. */
#define MANIFEST_ENVELOPE_MAX (256 * 1024)	/* the whole envelope */
#define MANIFEST_NOTES_MAX (8 * 1024)		/* one version's notes */
#define MANIFEST_VERSIONS_MAX 200
#define MANIFEST_RECALLED_MAX 200
#define MANIFEST_VERSION_LEN 32		/* "X.Y.Z" with its NUL */
#define MANIFEST_VERSION_PARTS 4	/* dotted numbers, 1 to 4 of them */
#define MANIFEST_REASON_MAX 1024	/* a recall's reason, bytes */
#define MANIFEST_URL_MAX 1024
#define MANIFEST_KEY_ID_MAX 64
#define MANIFEST_SIZE_MAX (64LL << 30)	/* a package, bytes */
#define MANIFEST_TIME_LEN 40		/* an RFC 3339 time as given */

/* The kinds of built-in keys. */
enum manifest_key {
	MANIFEST_KEY_RELEASE,	/* the vendor's release key */
	MANIFEST_KEY_TEST,	/* the doubles' key: test instances only */
};

/* Why an envelope was refused. */
enum manifest_refusal {
	MANIFEST_ACCEPTED,
	MANIFEST_R_TOOBIG,	/* over MANIFEST_ENVELOPE_MAX */
	MANIFEST_R_ENVELOPE,	/* not an envelope of this format */
	MANIFEST_R_KEY_UNKNOWN,	/* key_id names no key of this program */
	MANIFEST_R_TEST_KEY,	/* the test key, outside test mode */
	MANIFEST_R_SIGNATURE,	/* the signature does not match */
	MANIFEST_R_MALFORMED,	/* signed, but not a manifest of this format */
	MANIFEST_R_EXPIRED,	/* past its expiry */
	MANIFEST_R_REPLAYED,	/* a serial below the last one accepted */
};

/* What decides acceptance besides the bytes. */
struct manifest_policy {
	time_t now;
	int allow_test_key;	/* test mode (reg_allow_loopback) */
	long long last_serial;	/* the highest accepted; 0: none yet */
};

struct manifest_version {
	char version[MANIFEST_VERSION_LEN];
	char released[MANIFEST_TIME_LEN];	/* as given */
	time_t released_at;
	char *notes;				/* UTF-8, owned */
	char url[MANIFEST_URL_MAX + 1];		/* https:// */
	char sha256[65];			/* lower-case hex */
	long long size;
};

struct manifest_recall {
	char version[MANIFEST_VERSION_LEN];
	char reason[MANIFEST_REASON_MAX + 1];
	char fixed_in[MANIFEST_VERSION_LEN];	/* "" when not given */
	char downgrade_to[MANIFEST_VERSION_LEN];	/* "" when not given */
};

struct manifest {
	char key_id[MANIFEST_KEY_ID_MAX + 1];
	enum manifest_key key;
	char channel[16];
	long long serial;
	char published[MANIFEST_TIME_LEN];
	char expires[MANIFEST_TIME_LEN];
	time_t published_at, expires_at;
	char minimum_version[MANIFEST_VERSION_LEN];
	char latest[MANIFEST_VERSION_LEN];
	struct manifest_version *versions;	/* owned */
	size_t nversions;
	struct manifest_recall *recalled;	/* owned */
	size_t nrecalled;
};

/* ---- manifest.c ---- */

/*
 * Check the envelope data[0..len) under policy p and read its manifest
 * into m (free with manifest_free, also after a refusal).  Returns 0, or
 * CONN_EINVAL with the refusal in *why and a technical sentence in
 * detail[0..detaillen) (never the envelope's bytes beyond a key id), or
 * CONN_ENOMEM / CONN_ECRYPTO.
 */
int manifest_verify(const char *data, size_t len,
    const struct manifest_policy *p, struct manifest *m,
    enum manifest_refusal *why, char *detail, size_t detaillen);
void manifest_free(struct manifest *m);
/* "signature", "expired", ...: the refusal's id for details. */
const char *manifest_refusal_id(enum manifest_refusal r);
/* "release key" or "test key". */
const char *manifest_key_name(enum manifest_key k);
/* 1 when s is a version: 1 to 4 dotted numbers, no leading zeros. */
int manifest_version_valid(const char *s);
/* Compare two valid versions part by part, numerically; missing parts
 * count as 0 ("1.2" == "1.2.0").  Returns <0, 0 or >0. */
int manifest_version_cmp(const char *a, const char *b);
/* The entry of version v, or NULL. */
const struct manifest_version *manifest_find(const struct manifest *m,
    const char *v);
const struct manifest_recall *manifest_recall_of(const struct manifest *m,
    const char *v);
/* An RFC 3339 time (YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)) into *out:
 * 0 or CONN_EINVAL. */
int manifest_parse_time(const char *s, time_t *out);

#endif
