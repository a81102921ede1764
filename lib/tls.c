/*
 * tls.c — the console's own certificate.  A self-signed ECDSA P-256
 * certificate for the appliance's addresses and host name is generated at
 * first start.  Certificate and key live together in a versioned directory
 * under var/lib/connector/tls/, and "current" is a symbolic link switched
 * by one rename, so they always change together.  tls_cert_facts reads
 * any certificate's facts, for the health check, the certificate page and
 * the VM-console tool.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
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

/* A name (subject or issuer) as one line, RFC 2253 order, into out. */
static void
name_line(const X509_NAME *name, char *out, size_t outlen)
{
	BIO *mem = BIO_new(BIO_s_mem());
	char line[1024];
	char *data;
	long len;

	out[0] = '\0';
	if (mem == NULL)
		return;
	if (X509_NAME_print_ex(mem, name, 0, XN_FLAG_RFC2253 &
	    ~ASN1_STRFLGS_ESC_MSB) >= 0 &&
	    (len = BIO_get_mem_data(mem, &data)) > 0) {
		snprintf(line, sizeof line, "%.*s", (int)len, data);
		util_copy_text(out, outlen, line);
	}
	BIO_free(mem);
}

/* An ASN1_TIME as seconds since the epoch; 0 when unreadable. */
static time_t
asn1_epoch(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return timegm(&tm);
}

/* A digest of crt as AA:BB:..., into out (3 * size bytes or more). */
static int
digest_hex(X509 *crt, const EVP_MD *md, char *out, size_t outlen)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!X509_digest(crt, md, d, &n) || outlen < 3 * (size_t)n)
		return CONN_ECRYPTO;
	for (unsigned i = 0; i < n; i++)
		snprintf(out + 3 * i, 4, "%02X%s", d[i], i + 1 < n ? ":" : "");
	return 0;
}

/* The subject alternative names of crt into f. */
static void
read_sans(X509 *crt, struct tls_facts *f)
{
	GENERAL_NAMES *gens;

	gens = X509_get_ext_d2i(crt, NID_subject_alt_name, NULL, NULL);
	if (gens == NULL)
		return;
	for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const unsigned char *p;
		int len;

		if (g->type == GEN_DNS && f->ndns < TLS_NAMES_MAX) {
			p = ASN1_STRING_get0_data(g->d.dNSName);
			len = ASN1_STRING_length(g->d.dNSName);
			if (len <= 0 || len >= (int)sizeof f->dns[0] ||
			    memchr(p, '\0', (size_t)len) != NULL)
				continue;
			snprintf(f->dns[f->ndns], sizeof f->dns[0], "%.*s",
			    len, (const char *)p);
			util_clean_text(f->dns[f->ndns++]);
		} else if (g->type == GEN_IPADD && f->nip < TLS_NAMES_MAX) {
			p = ASN1_STRING_get0_data(g->d.iPAddress);
			len = ASN1_STRING_length(g->d.iPAddress);
			if (len == 4)
				inet_ntop(AF_INET, p, f->ip[f->nip++],
				    sizeof f->ip[0]);
			else if (len == 16)
				inet_ntop(AF_INET6, p, f->ip[f->nip++],
				    sizeof f->ip[0]);
		}
	}
	GENERAL_NAMES_free(gens);
}

/*
 * The facts of a PEM certificate (the first in pem, len bytes; a chain's
 * leaf comes first) into f: subject, issuer, subject alternative names,
 * validity, fingerprints, key, whether it is self-signed.  With addr (an
 * IPv4 or IPv6 address or a DNS name), f->covers says whether a browser
 * would accept the certificate for it: only its alternative names count,
 * a wildcard only as a whole left-most label.  Returns 0, CONN_EINVAL
 * (empty or not a PEM certificate) or CONN_ENOMEM.
 */
int
tls_cert_facts(const char *pem, size_t len, const char *addr,
    struct tls_facts *f)
{
	unsigned char bin[16];
	EVP_PKEY *key;
	X509 *crt = NULL;
	BIO *mem;
	int rc = CONN_EINVAL;

	memset(f, 0, sizeof *f);
	if (pem == NULL || len == 0 || len > INT_MAX)
		return CONN_EINVAL;
	if ((mem = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return CONN_ENOMEM;
	crt = PEM_read_bio_X509(mem, NULL, NULL, NULL);
	BIO_free(mem);
	ERR_clear_error();
	if (crt == NULL)
		return CONN_EINVAL;
	name_line(X509_get_subject_name(crt), f->subject, sizeof f->subject);
	name_line(X509_get_issuer_name(crt), f->issuer, sizeof f->issuer);
	read_sans(crt, f);
	f->not_before = asn1_epoch(X509_get0_notBefore(crt));
	f->not_after = asn1_epoch(X509_get0_notAfter(crt));
	if (digest_hex(crt, EVP_sha256(), f->sha256, sizeof f->sha256) ||
	    digest_hex(crt, EVP_sha1(), f->sha1, sizeof f->sha1))
		goto out;
	if ((key = X509_get0_pubkey(crt)) != NULL) {
		int id = EVP_PKEY_get_base_id(key);
		snprintf(f->key_type, sizeof f->key_type, "%s",
		    id == EVP_PKEY_RSA ? "RSA" : id == EVP_PKEY_EC ? "EC" :
		    id == EVP_PKEY_ED25519 ? "Ed25519" :
		    id == EVP_PKEY_ED448 ? "Ed448" : "other");
		f->key_bits = EVP_PKEY_get_bits(key);
	}
	f->self_signed = X509_self_signed(crt, 1) == 1;
	if (addr != NULL && addr[0]) {
		if (inet_pton(AF_INET, addr, bin) == 1 ||
		    inet_pton(AF_INET6, addr, bin) == 1)
			f->covers = X509_check_ip_asc(crt, addr, 0) == 1;
		else
			f->covers = X509_check_host(crt, addr, 0,
			    X509_CHECK_FLAG_NEVER_CHECK_SUBJECT |
			    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1;
	}
	rc = 0;
out:
	ERR_clear_error();
	X509_free(crt);
	return rc;
}

/*
 * tls_cert_facts of the certificate file at path (at most 1 MiB): also
 * CONN_ENOTFOUND (no file), CONN_EIO or CONN_ETOOBIG.
 */
int
tls_cert_facts_file(const char *path, const char *addr, struct tls_facts *f)
{
	struct buf b = { 0 };
	int rc;

	memset(f, 0, sizeof *f);
	if ((rc = util_read_file(path, 1024 * 1024, &b)) != 0)
		return rc;
	rc = tls_cert_facts(b.data, b.len, addr, f);
	buf_free(&b);
	return rc;
}
