/*
 * secret.c — stored credentials, sealed with AES-256-GCM under the
 * connector encryption key, and the rotation of that key.
 *
 * The key is a file of 32 random bytes, keys/<id>.key; the database names
 * the key in use (table secret_key) and, in each secret's row, the key that
 * sealed it.  Whatever decides which key files matter happens while this
 * connection holds the database's write lock (BEGIN IMMEDIATE): a key is
 * made, a rotation re-seals, recovery removes the files nobody names.  So
 * recovery in one process never removes the key another process is about
 * to commit.  A key file is durable before the transaction that names it
 * commits and is removed only after the one that stops naming it did: a
 * crash at any point leaves every secret readable, and secret_recover()
 * removes what is left over.  Keys and plaintexts are wiped as soon as they
 * are used; logs carry names and key ids only.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "domain.h"

#define NONCE_BYTES 12
#define TAG_BYTES 16
/* The first part of every seal's associated data: the format's label. */
#define AD_LABEL "connector-secret-v1"
#define AD_MAX (sizeof AD_LABEL + SECRET_NAME_MAX + 1 + SECRET_KEY_ID_LEN)

/* A key read from (or just written to) its file. */
struct key {
	char id[SECRET_KEY_ID_LEN + 1];
	unsigned char k[SECRET_KEY_BYTES];
	int loaded;
};

/* A secret's row as stored; sealed is the ciphertext and then the tag. */
struct row {
	char key_id[SECRET_KEY_ID_LEN + 1];
	unsigned char nonce[NONCE_BYTES];
	unsigned char *sealed;
	size_t sealed_len;
};

/* A directory entry recovery removes. */
struct leftover {
	char name[NAME_MAX + 1];
	int temp;
};

/* 1 when s is a secret name, or a prefix of one: [a-z0-9._-], 1 to 64. */
static int
name_valid(const char *s)
{
	size_t n;

	if (s == NULL || (n = strlen(s)) == 0 || n > SECRET_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '.' || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

/* 1 when s is a key id: 16 lower-case hex characters. */
static int
key_id_valid(const char *s)
{
	size_t i;

	for (i = 0; i < SECRET_KEY_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[i] == '\0';
}

/* 1 when a directory entry is a key file, <id>.key. */
static int
key_file_name(const char *n)
{
	char id[SECRET_KEY_ID_LEN + 1];

	if (strlen(n) != SECRET_KEY_ID_LEN + 4 ||
	    strcmp(n + SECRET_KEY_ID_LEN, ".key") != 0)
		return 0;
	memcpy(id, n, SECRET_KEY_ID_LEN);
	id[SECRET_KEY_ID_LEN] = '\0';
	return key_id_valid(id);
}

/* keys/<id>.key into out. */
static int
key_path(const char *id, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s/%s.key", paths_get(PATH_KEYS), id);

	return n < 0 || (size_t)n >= outlen ? CONN_EINVAL : 0;
}

/* Wipe k, key bytes included. */
static void
key_wipe(struct key *k)
{
	OPENSSL_cleanse(k, sizeof *k);
}

/*
 * Read key id into k (kept when k already holds it): 0, CONN_ENOTFOUND when
 * there is no such file (callers log), CONN_ECRYPTO when the file is not a
 * key, CONN_EIO.
 */
static int
key_load(struct key *k, const char *id)
{
	char path[PATH_MAX];
	struct stat st;
	size_t got = 0;
	int fd, rc = 0;

	if (k->loaded && strcmp(k->id, id) == 0)
		return 0;
	key_wipe(k);
	if (!key_id_valid(id) || key_path(id, path, sizeof path))
		return CONN_EINVAL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		if (errno == ENOENT)
			return CONN_ENOTFOUND;
		log_err("cannot open the key file %s: %s", path,
		    strerror(errno));
		return CONN_EIO;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size != SECRET_KEY_BYTES) {
		log_err("the key file %s is not a key", path);
		rc = CONN_ECRYPTO;
		goto out;
	}
	while (got < SECRET_KEY_BYTES) {
		ssize_t n = read(fd, k->k + got, SECRET_KEY_BYTES - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_err("cannot read the key file %s", path);
			rc = n == 0 ? CONN_ECRYPTO : CONN_EIO;
			goto out;
		}
		got += (size_t)n;
	}
	memcpy(k->id, id, sizeof k->id);
	k->loaded = 1;
out:
	close(fd);
	if (rc)
		key_wipe(k);
	return rc;
}

/*
 * Make sure keys/ exists with mode 0700; when it is made, its entry in the
 * parent directory is made durable too.
 */
static int
keys_dir(void)
{
	const char *dir = paths_get(PATH_KEYS);
	struct stat st;
	int made = 0;

	if (lstat(dir, &st) != 0) {
		if (errno != ENOENT || util_mkdirs(dir, 0700) != 0 ||
		    lstat(dir, &st) != 0) {
			log_err("cannot create the key directory %s: %s", dir,
			    strerror(errno));
			return CONN_EIO;
		}
		made = 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_err("the key directory %s is not a directory", dir);
		return CONN_EIO;
	}
	if ((st.st_mode & 07777) != 0700 && chmod(dir, 0700) != 0) {
		log_err("cannot set the mode of %s: %s", dir, strerror(errno));
		return CONN_EIO;
	}
	if (made && util_fsync_dir(paths_get(PATH_LIB)) != 0) {
		log_err("cannot sync %s", paths_get(PATH_LIB));
		return CONN_EIO;
	}
	return 0;
}

/*
 * Make a new key (an id other than not_id and any file present) and write
 * its file durably, 0600.  The caller holds the write lock and names the
 * key in the database before committing; k holds the key.
 */
static int
key_make(struct key *k, const char *not_id)
{
	unsigned char raw[SECRET_KEY_ID_LEN / 2];
	char path[PATH_MAX];
	int rc, tries;

	key_wipe(k);
	if ((rc = keys_dir()) != 0)
		return rc;
	for (tries = 0; ; tries++) {
		if (tries == 8 || RAND_bytes(raw, sizeof raw) != 1) {
			log_err("cannot pick a new key id");
			return CONN_ECRYPTO;
		}
		util_hex(raw, sizeof raw, k->id);
		if (key_path(k->id, path, sizeof path))
			return CONN_EINVAL;
		if ((not_id == NULL || strcmp(k->id, not_id) != 0) &&
		    access(path, F_OK) != 0 && errno == ENOENT)
			break;
	}
	if (RAND_bytes(k->k, sizeof k->k) != 1) {
		log_err("cannot make the key %s: no random bytes", k->id);
		key_wipe(k);
		return CONN_ECRYPTO;
	}
	if ((rc = util_write_file_atomic(path, k->k, sizeof k->k, 0600)) != 0) {
		key_wipe(k);
		return rc;
	}
	k->loaded = 1;
	return 0;
}

/* The key in use as named by the database: CONN_ENOTFOUND when none. */
static int
key_current(char id[SECRET_KEY_ID_LEN + 1], time_t *created)
{
	sqlite3_stmt *st = db_stmt(DB_SECRET_KEY_GET);
	const char *v;
	int rc;

	if (st == NULL)
		return CONN_EDB;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		if (rc == SQLITE_DONE)
			return CONN_ENOTFOUND;
		log_err("cannot read the key in use: %s",
		    sqlite3_errmsg(db_handle()));
		return CONN_EDB;
	}
	v = (const char *)sqlite3_column_text(st, 0);
	if (v == NULL || !key_id_valid(v)) {
		sqlite3_reset(st);
		log_err("the database names a malformed key id");
		return CONN_EINVAL;
	}
	memcpy(id, v, SECRET_KEY_ID_LEN + 1);
	if (created)
		*created = (time_t)sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	return 0;
}

/* Record id as the key in use, made now. */
static int
key_name_current(const char *id)
{
	sqlite3_stmt *st = db_stmt(DB_SECRET_KEY_SET);
	int rc;

	if (st == NULL)
		return CONN_EDB;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)util_now());
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_err("cannot record the key %s: %s", id,
		    sqlite3_errmsg(db_handle()));
		return CONN_EDB;
	}
	return 0;
}

/* 1 when the connection holds the write lock (BEGIN IMMEDIATE). */
static int
write_locked(void)
{
	return sqlite3_txn_state(db_handle(), NULL) == SQLITE_TXN_WRITE;
}

/*
 * With the write lock held: the key in use into k, made (file, then row)
 * when there is none yet.
 */
static int
key_in_use(struct key *k)
{
	char id[SECRET_KEY_ID_LEN + 1];
	int rc;

	if ((rc = key_current(id, NULL)) == CONN_ENOTFOUND) {
		if ((rc = key_make(k, NULL)) != 0)
			return rc;
		if ((rc = key_name_current(k->id)) != 0) {
			key_wipe(k);
			return rc;
		}
		log_info("made the encryption key %s", k->id);
		return 0;
	}
	if (rc != 0)
		return rc;
	if ((rc = key_load(k, id)) == CONN_ENOTFOUND) {
		log_err("the encryption key %s in use has no key file", id);
		rc = CONN_ECRYPTO;
	}
	return rc;
}

/* The associated data of a seal: label, NUL, name, NUL, key id. */
static size_t
ad_build(unsigned char ad[AD_MAX], const char *name, const char *key_id)
{
	size_t nl = strlen(name), n = 0;

	memcpy(ad, AD_LABEL, sizeof AD_LABEL);
	n += sizeof AD_LABEL;
	memcpy(ad + n, name, nl + 1);
	n += nl + 1;
	memcpy(ad + n, key_id, SECRET_KEY_ID_LEN);
	return n + SECRET_KEY_ID_LEN;
}

/*
 * Seal len bytes of in for name under k: a fresh nonce into nonce, the
 * ciphertext and tag into *out (len + 16 bytes, malloc'ed; caller frees).
 */
static int
seal(const struct key *k, const char *name, const void *in, size_t len,
    unsigned char nonce[NONCE_BYTES], unsigned char **out, size_t *outlen)
{
	unsigned char ad[AD_MAX], *ct = NULL;
	EVP_CIPHER_CTX *ctx = NULL;
	size_t adlen = ad_build(ad, name, k->id);
	int n, rc = CONN_ECRYPTO;

	if (RAND_bytes(nonce, NONCE_BYTES) != 1)
		goto out;
	if ((ct = malloc(len + TAG_BYTES)) == NULL) {
		rc = CONN_ENOMEM;
		goto out;
	}
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_BYTES,
	    NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, k->k, nonce) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &n, ad, (int)adlen) != 1)
		goto out;
	if (len > 0 && (EVP_EncryptUpdate(ctx, ct, &n, in, (int)len) != 1 ||
	    (size_t)n != len))
		goto out;
	if (EVP_EncryptFinal_ex(ctx, ct + len, &n) != 1 || n != 0 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_BYTES,
	    ct + len) != 1)
		goto out;
	*out = ct;
	*outlen = len + TAG_BYTES;
	ct = NULL;
	rc = 0;
out:
	if (rc)
		log_err("cannot seal the secret %s with the key %s", name, k->id);
	EVP_CIPHER_CTX_free(ctx);
	free(ct);
	return rc;
}

/*
 * Open row r of name with k: the plaintext into *out (malloc'ed, at least
 * one byte; the caller wipes and frees it) and its length into *outlen.
 * CONN_ECRYPTO when it does not open.
 */
static int
unseal(const struct key *k, const char *name, const struct row *r,
    unsigned char **out, size_t *outlen)
{
	unsigned char ad[AD_MAX], tag[TAG_BYTES], *pt = NULL;
	EVP_CIPHER_CTX *ctx = NULL;
	size_t adlen, len;
	int n, rc = CONN_ECRYPTO;

	if (r->sealed_len < TAG_BYTES ||
	    r->sealed_len > SECRET_VALUE_MAX + TAG_BYTES)
		goto out;
	len = r->sealed_len - TAG_BYTES;
	memcpy(tag, r->sealed + len, TAG_BYTES);
	adlen = ad_build(ad, name, r->key_id);
	if ((pt = malloc(len + 1)) == NULL) {
		rc = CONN_ENOMEM;
		goto out;
	}
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_BYTES,
	    NULL) != 1 ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, k->k, r->nonce) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &n, ad, (int)adlen) != 1)
		goto out;
	if (len > 0 && (EVP_DecryptUpdate(ctx, pt, &n, r->sealed,
	    (int)len) != 1 || (size_t)n != len))
		goto out;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_BYTES,
	    tag) != 1 || EVP_DecryptFinal_ex(ctx, pt + len, &n) != 1)
		goto out;
	*out = pt;
	*outlen = len;
	pt = NULL;
	rc = 0;
out:
	if (rc == CONN_ECRYPTO)
		log_err("the secret %s does not open with the key %s", name,
		    r->key_id);
	EVP_CIPHER_CTX_free(ctx);
	if (pt) {
		OPENSSL_cleanse(pt, r->sealed_len - TAG_BYTES + 1);
		free(pt);
	}
	return rc;
}

/* Free what row_read allocated in r. */
static void
row_free(struct row *r)
{
	free(r->sealed);
	memset(r, 0, sizeof *r);
}

/*
 * The stored row of name into r (r->sealed malloc'ed; row_free frees it):
 * CONN_ENOTFOUND when there is none, CONN_ECRYPTO when it is malformed.
 */
static int
row_read(const char *name, struct row *r)
{
	sqlite3_stmt *st = db_stmt(DB_SECRET_GET);
	const void *nonce, *sealed;
	const char *kid;
	int rc, nlen, slen;

	memset(r, 0, sizeof *r);
	if (st == NULL)
		return CONN_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		if (rc == SQLITE_DONE)
			return CONN_ENOTFOUND;
		log_err("cannot read the secret %s: %s", name,
		    sqlite3_errmsg(db_handle()));
		return CONN_EDB;
	}
	kid = (const char *)sqlite3_column_text(st, 0);
	nonce = sqlite3_column_blob(st, 1);
	nlen = sqlite3_column_bytes(st, 1);
	sealed = sqlite3_column_blob(st, 2);
	slen = sqlite3_column_bytes(st, 2);
	rc = CONN_ECRYPTO;
	if (kid == NULL || !key_id_valid(kid) || nonce == NULL ||
	    nlen != NONCE_BYTES || sealed == NULL || slen < TAG_BYTES ||
	    slen > SECRET_VALUE_MAX + TAG_BYTES) {
		log_err("the stored secret %s is malformed", name);
		goto out;
	}
	if ((r->sealed = malloc((size_t)slen)) == NULL) {
		rc = CONN_ENOMEM;
		goto out;
	}
	memcpy(r->key_id, kid, sizeof r->key_id);
	memcpy(r->nonce, nonce, NONCE_BYTES);
	memcpy(r->sealed, sealed, (size_t)slen);
	r->sealed_len = (size_t)slen;
	rc = 0;
out:
	sqlite3_reset(st);
	return rc;
}

/* 1 when a secret row names key id, 0 when none does. */
static int
key_referenced(const char *id)
{
	sqlite3_stmt *st = db_stmt(DB_SECRET_KEY_USED);
	int rc;

	if (st == NULL)
		return CONN_EDB;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : CONN_EDB;
}

/*
 * Recovery, with the write lock held: remove the temporary files in keys/
 * and every key file that is neither the key in use nor named by a secret,
 * then sync the directory.  When the key in use has no file, only the
 * temporary files go and CONN_ENOTFOUND is returned.  The number of
 * files removed into *nremoved (may be NULL).
 */
static int
recover_locked(size_t *nremoved)
{
	const char *dir = paths_get(PATH_KEYS);
	char cur[SECRET_KEY_ID_LEN + 1], path[PATH_MAX];
	struct leftover *gone = NULL, *g;
	size_t ngone = 0, cap = 0, i, removed = 0;
	int have_cur, found_cur = 0, rc;
	struct dirent *de;
	DIR *d;

	rc = key_current(cur, NULL);
	if (rc != 0 && rc != CONN_ENOTFOUND)
		return rc;
	have_cur = rc == 0;
	if ((d = opendir(dir)) == NULL) {
		if (errno != ENOENT) {
			log_err("cannot read %s: %s", dir, strerror(errno));
			return CONN_EIO;
		}
		if (have_cur) {
			log_err("the encryption key %s in use has no key file",
			    cur);
			return CONN_ENOTFOUND;
		}
		return 0;
	}
	rc = 0;
	while ((de = readdir(d)) != NULL) {
		const char *n = de->d_name;
		int temp = 0;

		if (key_file_name(n)) {
			char id[SECRET_KEY_ID_LEN + 1];
			memcpy(id, n, SECRET_KEY_ID_LEN);
			id[SECRET_KEY_ID_LEN] = '\0';
			if (have_cur && strcmp(id, cur) == 0) {
				found_cur = 1;
				continue;
			}
			if ((rc = key_referenced(id)) < 0)
				goto out;
			if (rc == 1) {
				rc = 0;
				continue;
			}
			rc = 0;
		} else if (strstr(n, ".tmp.") != NULL)
			temp = 1;
		else
			continue;
		if (ngone == cap) {
			struct leftover *p;
			cap = cap ? cap * 2 : 8;
			if ((p = realloc(gone, cap * sizeof *gone)) == NULL) {
				rc = CONN_ENOMEM;
				goto out;
			}
			gone = p;
		}
		snprintf(gone[ngone].name, sizeof gone[ngone].name, "%s", n);
		gone[ngone++].temp = temp;
	}
	if (have_cur && !found_cur) {
		log_err("the encryption key %s in use has no key file; the "
		    "other key files are kept", cur);
		rc = CONN_ENOTFOUND;
	}
	for (i = 0; i < ngone; i++) {
		g = &gone[i];
		if (!g->temp && have_cur && !found_cur)
			continue;
		if (snprintf(path, sizeof path, "%s/%s", dir, g->name) >=
		    (int)sizeof path)
			continue;
		if (unlink(path) != 0) {
			if (errno == ENOENT)
				continue;
			log_err("cannot remove %s: %s", path, strerror(errno));
			if (rc == 0)
				rc = CONN_EIO;
			continue;
		}
		removed++;
		log_info("removed the leftover %s %s", g->temp ?
		    "temporary file" : "key file", g->name);
	}
	if (removed && util_fsync_dir(dir) != 0) {
		log_err("cannot sync %s", dir);
		if (rc == 0)
			rc = CONN_EIO;
	}
out:
	closedir(d);
	free(gone);
	if (nremoved)
		*nremoved = removed;
	return rc;
}

/*
 * Create the connector encryption key when there is none.  Concurrent
 * callers serialise on the write lock, so exactly one key is made.  Inside
 * a caller's db_begin() transaction the key is named in it.  0 or an error.
 */
int
secret_ensure_key(void)
{
	struct key k = { 0 };
	int own = sqlite3_get_autocommit(db_handle()), rc;

	if (!own && !write_locked()) {
		log_err("secret_ensure_key: the transaction holds no write lock");
		return CONN_EINVAL;
	}
	if (own && db_begin() != 0)
		return CONN_EDB;
	rc = key_in_use(&k);
	key_wipe(&k);
	if (own) {
		if (rc == 0)
			rc = db_commit();
		if (rc)
			db_rollback();
	}
	return rc;
}

/*
 * Finish or undo an interrupted rotation: the key in use is the one the
 * database names; other key files no secret names, and temporary files,
 * are removed.  Safe at any time and from any process (it holds the write
 * lock while it looks).  0, or CONN_ENOTFOUND when the key in use has no
 * file, or another error.
 */
int
secret_recover(void)
{
	return secret_recover_count(NULL);
}

/*
 * secret_recover(), and the number of files it removed into *removed (may
 * be NULL): the housekeeping job runs it so that what a killed rotation
 * left goes within one of its runs, not at the next rotation or restart.
 */
int
secret_recover_count(size_t *removed)
{
	int own = sqlite3_get_autocommit(db_handle()), rc;

	if (removed)
		*removed = 0;
	if (!own && !write_locked()) {
		log_err("secret_recover: the transaction holds no write lock");
		return CONN_EINVAL;
	}
	if (own && db_begin() != 0)
		return CONN_EDB;
	rc = recover_locked(removed);
	if (own) {
		if (db_commit() != 0) {
			db_rollback();
			if (rc == 0)
				rc = CONN_EDB;
		}
	}
	return rc;
}

/* The id of the key in use and when it was made (created may be NULL). */
int
secret_current_key(char id[SECRET_KEY_ID_LEN + 1], time_t *created)
{
	return key_current(id, created);
}

/*
 * Store value (len bytes, binary) as name, replacing any older value.  In
 * a caller's db_begin() transaction it becomes part of it; alone it takes
 * its own BEGIN IMMEDIATE so the key in use cannot change under it.  The
 * key is made when there is none.  CONN_EINVAL for a bad name,
 * CONN_ETOOBIG over SECRET_VALUE_MAX.
 */
int
secret_put(const char *name, const void *value, size_t len)
{
	unsigned char nonce[NONCE_BYTES], *sealed = NULL;
	struct key k = { 0 };
	size_t sealed_len = 0;
	sqlite3_stmt *st;
	int own, rc;

	if (!name_valid(name)) {
		log_err("secret_put: invalid secret name");
		return CONN_EINVAL;
	}
	if (len > SECRET_VALUE_MAX) {
		log_err("secret %s: a value of %zu bytes is over the cap", name,
		    len);
		return CONN_ETOOBIG;
	}
	if (value == NULL && len > 0)
		return CONN_EINVAL;
	own = sqlite3_get_autocommit(db_handle());
	if (!own && !write_locked()) {
		log_err("secret %s: the transaction holds no write lock", name);
		return CONN_EINVAL;
	}
	if (own && db_begin() != 0)
		return CONN_EDB;
	if ((rc = key_in_use(&k)) != 0)
		goto out;
	if ((rc = seal(&k, name, value, len, nonce, &sealed, &sealed_len)))
		goto out;
	if ((st = db_stmt(DB_SECRET_PUT)) == NULL) {
		rc = CONN_EDB;
		goto out;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, k.id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, nonce, NONCE_BYTES, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, sealed, (int)sealed_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)util_now());
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_err("cannot store the secret %s: %s", name,
		    sqlite3_errmsg(db_handle()));
		rc = CONN_EDB;
		goto out;
	}
	rc = own ? db_commit() : 0;
out:
	if (rc && own)
		db_rollback();
	key_wipe(&k);
	free(sealed);
	return rc;
}

/*
 * The value of name, appended to out (the caller frees out with buf_free,
 * which wipes it).  CONN_ENOTFOUND when there is none; CONN_ECRYPTO when
 * it does not open (wrong or missing key, altered row).  A key file gone
 * because a rotation committed after the row was read is met by reading
 * the row once more.
 */
int
secret_get(const char *name, struct buf *out)
{
	unsigned char *pt = NULL;
	struct key k = { 0 };
	struct row r = { 0 };
	size_t len = 0;
	int attempt, rc;

	if (!name_valid(name)) {
		log_err("secret_get: invalid secret name");
		return CONN_EINVAL;
	}
	for (attempt = 0; ; attempt++) {
		if ((rc = row_read(name, &r)) != 0)
			goto out;
		rc = key_load(&k, r.key_id);
		if (rc == CONN_ENOTFOUND && attempt == 0) {
			row_free(&r);
			continue;
		}
		break;
	}
	if (rc == CONN_ENOTFOUND) {
		log_err("the secret %s needs the key %s, which has no key file",
		    name, r.key_id);
		rc = CONN_ECRYPTO;
	}
	if (rc != 0)
		goto out;
	if ((rc = unseal(&k, name, &r, &pt, &len)) != 0)
		goto out;
	rc = buf_add(out, (const char *)pt, len);
out:
	if (pt) {
		OPENSSL_cleanse(pt, len);
		free(pt);
	}
	key_wipe(&k);
	row_free(&r);
	return rc;
}

/* 1 when name is stored, 0 when not, or a negative error. */
int
secret_exists(const char *name)
{
	struct row r;
	int rc;

	if (!name_valid(name))
		return CONN_EINVAL;
	rc = row_read(name, &r);
	row_free(&r);
	if (rc == CONN_ENOTFOUND)
		return 0;
	return rc == 0 || rc == CONN_ECRYPTO ? 1 : rc;
}

/* Remove name; 0 also when there was none. */
int
secret_delete(const char *name)
{
	sqlite3_stmt *st;
	int rc;

	if (!name_valid(name))
		return CONN_EINVAL;
	if ((st = db_stmt(DB_SECRET_DELETE)) == NULL)
		return CONN_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_err("cannot remove the secret %s: %s", name,
		    sqlite3_errmsg(db_handle()));
		return CONN_EDB;
	}
	return 0;
}

/*
 * Remove every secret whose name starts with prefix (e.g. "draft."); the
 * number removed, or a negative error.  An empty prefix is refused.
 */
int
secret_delete_prefix(const char *prefix)
{
	sqlite3_stmt *st;
	int rc;

	if (!name_valid(prefix))
		return CONN_EINVAL;
	if ((st = db_stmt(DB_SECRET_DELETE_PREFIX)) == NULL)
		return CONN_EDB;
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_err("cannot remove the secrets %s*: %s", prefix,
		    sqlite3_errmsg(db_handle()));
		return CONN_EDB;
	}
	return sqlite3_changes(db_handle());
}

/* The number of stored secrets, or a negative error. */
int
secret_count(void)
{
	sqlite3_stmt *st = db_stmt(DB_SECRET_COUNT);
	int rc, n = CONN_EDB;

	if (st == NULL)
		return CONN_EDB;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return n;
}

/* Re-seal the secret name, now sealed with a key held in old, under nk. */
static int
reseal(const char *name, struct key *old, const struct key *nk)
{
	unsigned char nonce[NONCE_BYTES], *pt = NULL, *sealed = NULL;
	size_t len = 0, sealed_len = 0;
	struct row r;
	sqlite3_stmt *st;
	int rc;

	if ((rc = row_read(name, &r)) != 0)
		goto out;
	if ((rc = key_load(old, r.key_id)) != 0) {
		if (rc == CONN_ENOTFOUND) {
			log_err("the secret %s needs the key %s, which has no "
			    "key file", name, r.key_id);
			rc = CONN_ECRYPTO;
		}
		goto out;
	}
	if ((rc = unseal(old, name, &r, &pt, &len)) != 0 ||
	    (rc = seal(nk, name, pt, len, nonce, &sealed, &sealed_len)) != 0)
		goto out;
	if ((st = db_stmt(DB_SECRET_RESEAL)) == NULL) {
		rc = CONN_EDB;
		goto out;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, nk->id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, nonce, NONCE_BYTES, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, sealed, (int)sealed_len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_err("cannot store the secret %s: %s", name,
		    sqlite3_errmsg(db_handle()));
		rc = CONN_EDB;
		goto out;
	}
	rc = 0;
out:
	if (pt) {
		OPENSSL_cleanse(pt, len);
		free(pt);
	}
	free(sealed);
	row_free(&r);
	return rc;
}

/* The names of every secret into *names (malloc'ed; caller frees). */
static int
all_names(char (**names)[SECRET_NAME_MAX + 1], size_t *n)
{
	char (*v)[SECRET_NAME_MAX + 1] = NULL, (*p)[SECRET_NAME_MAX + 1];
	sqlite3_stmt *st = db_stmt(DB_SECRET_NAMES);
	size_t cap = 0;
	int rc;

	*n = 0;
	if (st == NULL)
		return CONN_EDB;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);
		if (s == NULL || strlen(s) > SECRET_NAME_MAX) {
			log_err("a stored secret has a malformed name");
			rc = CONN_EINVAL;
			goto out;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((p = realloc(v, cap * sizeof *v)) == NULL) {
				rc = CONN_ENOMEM;
				goto out;
			}
			v = p;
		}
		memcpy(v[(*n)++], s, strlen(s) + 1);
	}
	if (rc != SQLITE_DONE) {
		log_err("cannot list the secrets: %s",
		    sqlite3_errmsg(db_handle()));
		rc = CONN_EDB;
		goto out;
	}
	rc = 0;
out:
	sqlite3_reset(st);
	if (rc) {
		free(v);
		v = NULL;
		*n = 0;
	}
	*names = v;
	return rc;
}

/*
 * Rotate the connector encryption key: in one BEGIN IMMEDIATE transaction,
 * clear what an interrupted rotation left, write a new key file (durable),
 * re-seal every secret with it (fresh nonce, new associated data) and name
 * it as the key in use; commit; then remove the old key file and sync the
 * directory.  The old and the new key are both on disk until the commit.
 * The new key's id into new_id (may be NULL).  Not inside a transaction.
 */
int
secret_rotate(char new_id[SECRET_KEY_ID_LEN + 1])
{
	char (*names)[SECRET_NAME_MAX + 1] = NULL;
	char cur[SECRET_KEY_ID_LEN + 1] = "", path[PATH_MAX];
	struct key old = { 0 }, nk = { 0 };
	size_t n = 0, i;
	int rc, made = 0, committed = 0;

	if (!sqlite3_get_autocommit(db_handle())) {
		log_err("secret_rotate: cannot rotate inside a transaction");
		return CONN_EINVAL;
	}
	if (db_begin() != 0)
		return CONN_EDB;
	if ((rc = recover_locked(NULL)) != 0)
		goto out;
	rc = key_current(cur, NULL);
	if (rc == CONN_ENOTFOUND)
		cur[0] = '\0';
	else if (rc != 0)
		goto out;
	if ((rc = key_make(&nk, cur[0] ? cur : NULL)) != 0)
		goto out;
	made = 1;
	if ((rc = all_names(&names, &n)) != 0)
		goto out;
	for (i = 0; i < n; i++)
		if ((rc = reseal(names[i], &old, &nk)) != 0)
			goto out;
	if ((rc = key_name_current(nk.id)) != 0 || (rc = db_commit()) != 0)
		goto out;
	committed = 1;
	log_info("rotated the encryption key %s to %s (%zu secrets)",
	    cur[0] ? cur : "(none)", nk.id, n);
	if (cur[0] && key_path(cur, path, sizeof path) == 0) {
		if (unlink(path) != 0 && errno != ENOENT)
			log_warn("cannot remove the old key file %s: %s", path,
			    strerror(errno));
		else if (util_fsync_dir(paths_get(PATH_KEYS)) != 0)
			log_warn("cannot sync %s", paths_get(PATH_KEYS));
	}
	if (new_id)
		memcpy(new_id, nk.id, SECRET_KEY_ID_LEN + 1);
	rc = 0;
out:
	if (!committed) {
		db_rollback();
		log_err("the encryption key %s was not rotated",
		    cur[0] ? cur : "(none)");
		/* The database decides which file stays; the new one goes
		 * unless a commit reported as failed did land. */
		if (made)
			secret_recover();
	}
	key_wipe(&old);
	key_wipe(&nk);
	free(names);
	return rc;
}
