/*
 * tls.c — the console's own certificate.  A self-signed ECDSA P-256
 * certificate for the appliance's addresses and host name is generated at
 * first start.  Certificate and key live together in a versioned directory
 * under var/lib/connector/tls/, and "current" is a symbolic link switched
 * by one rename, so they always change together.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "domain.h"

/* Add extension nid with the config-style value (e.g. "CA:FALSE"). */
static int
add_ext(X509 *crt, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ex;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, crt, crt, NULL, NULL, 0);
	if ((ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return 0;
	ok = X509_add_ext(crt, ex, -1);
	X509_EXTENSION_free(ex);
	return ok;
}

/* Write a PEM object with fn to path with mode, fsynced. */
static int
write_pem(const char *path, unsigned mode, int (*fn)(BIO *, void *),
    void *obj)
{
	BIO *mem = BIO_new(BIO_s_mem());
	char *data;
	long len;
	int rc = CONN_ECRYPTO;

	if (mem == NULL)
		return CONN_ENOMEM;
	if (fn(mem, obj) && (len = BIO_get_mem_data(mem, &data)) > 0) {
		rc = util_write_file_atomic(path, data, (size_t)len, mode);
		OPENSSL_cleanse(data, (size_t)len);	/* it may be a key */
	}
	BIO_free_all(mem);
	return rc;
}

static int
pem_key(BIO *b, void *k)
{
	return PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
}

static int
pem_cert(BIO *b, void *c)
{
	return PEM_write_bio_X509(b, c);
}

/*
 * Generate a self-signed certificate valid for one year whose subject
 * alternative names are names[] (IP addresses or DNS names), in a new
 * version directory under dir, then point dir/current at it.
 */
int
tls_generate_self_signed(const char *dir, const char *const *names,
    size_t nnames)
{
	char vdir[PATH_MAX - 64], path[PATH_MAX], link[PATH_MAX], ver[40];
	unsigned char serial[16];
	struct buf san = { 0 };
	EVP_PKEY *key = NULL;
	X509 *crt = NULL;
	X509_NAME *subj;
	ASN1_INTEGER *sn = NULL;
	BIGNUM *bn = NULL;
	int rc = CONN_ECRYPTO;

	if (nnames == 0)
		return CONN_EINVAL;
	if (util_random(serial, sizeof serial))
		return CONN_EIO;
	serial[0] &= 0x7f;
	util_hex(serial, 8, ver);
	snprintf(vdir, sizeof vdir, "%s/%ld-%s", dir, (long)time(NULL), ver);
	if (util_mkdirs(vdir, 0700) != 0)
		return CONN_EIO;

	for (size_t i = 0; i < nnames; i++)
		buf_addf(&san, "%s%s:%s", i ? "," : "",
		    syntax_ipv4(names[i]) || strchr(names[i], ':') ? "IP" : "DNS",
		    names[i]);
	if ((key = EVP_EC_gen("P-256")) == NULL || (crt = X509_new()) == NULL)
		goto out;
	if ((bn = BN_bin2bn(serial, sizeof serial, NULL)) == NULL ||
	    (sn = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    !X509_set_serialNumber(crt, sn) || !X509_set_version(crt, 2))
		goto out;
	if (!X509_gmtime_adj(X509_getm_notBefore(crt), -300) ||
	    !X509_gmtime_adj(X509_getm_notAfter(crt), 365L * 24 * 3600))
		goto out;
	subj = X509_get_subject_name(crt);
	if (!X509_NAME_add_entry_by_txt(subj, "O", MBSTRING_UTF8,
	    (const unsigned char *)"Connector", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_UTF8,
	    (const unsigned char *)names[0], -1, -1, 0) ||
	    !X509_set_issuer_name(crt, subj) || !X509_set_pubkey(crt, key))
		goto out;
	if (!add_ext(crt, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(crt, NID_key_usage, "critical,digitalSignature") ||
	    !add_ext(crt, NID_ext_key_usage, "serverAuth") ||
	    !add_ext(crt, NID_subject_key_identifier, "hash") ||
	    !add_ext(crt, NID_subject_alt_name, san.data))
		goto out;
	if (!X509_sign(crt, key, EVP_sha256()))
		goto out;

	snprintf(path, sizeof path, "%s/key.pem", vdir);
	if ((rc = write_pem(path, 0600, pem_key, key)) != 0)
		goto out;
	snprintf(path, sizeof path, "%s/cert.pem", vdir);
	if ((rc = write_pem(path, 0644, pem_cert, crt)) != 0)
		goto out;
	if ((rc = util_fsync_dir(vdir)) != 0)
		goto out;
	/* Switch "current" with one rename of a fresh symbolic link. */
	snprintf(link, sizeof link, "%s/current.new", dir);
	unlink(link);
	if (symlink(strrchr(vdir, '/') + 1, link) != 0) {
		rc = CONN_EIO;
		goto out;
	}
	snprintf(path, sizeof path, "%s/current", dir);
	if (rename(link, path) != 0) {
		rc = CONN_EIO;
		goto out;
	}
	rc = util_fsync_dir(dir);
out:
	if (rc)
		log_err("cannot create the console certificate in %s", dir);
	buf_free(&san);
	ASN1_INTEGER_free(sn);
	BN_free(bn);
	X509_free(crt);
	EVP_PKEY_free(key);
	return rc;
}

/* SHA-256 fingerprint of a PEM certificate as AA:BB:...; 96 bytes or more. */
int
tls_fingerprint_file(const char *certpath, char *out, size_t outlen)
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	FILE *f;
	X509 *crt;

	if (outlen < 96)
		return CONN_EINVAL;
	if ((f = fopen(certpath, "re")) == NULL)
		return errno == ENOENT ? CONN_ENOTFOUND : CONN_EIO;
	crt = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (crt == NULL)
		return CONN_ECRYPTO;
	if (!X509_digest(crt, EVP_sha256(), md, &mdlen) || mdlen != 32) {
		X509_free(crt);
		return CONN_ECRYPTO;
	}
	X509_free(crt);
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(out + 3 * i, 4, "%02X%s", md[i], i + 1 < mdlen ? ":" :
		    "");
	return 0;
}
