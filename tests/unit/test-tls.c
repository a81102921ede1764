/*
 * test-tls.c — the console's self-signed certificate: files and modes,
 * names, validity, key type, fingerprint, and the switch of "current";
 * the facts of any certificate (tls_cert_facts).
 */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../../lib/core.h"
#include "../../lib/domain.h"
#include "unit.h"


/* A new directory under unit_tmp with a certificate for names. */
static int
make_cert(const char *sub, const char *const *names, size_t n, char *dir,
    size_t dirlen)
{
	if (unit_fresh_dir(sub, dir, dirlen) != 0)
		return -1;
	return tls_generate_self_signed(dir, names, n);
}

/* Read the PEM certificate at dir/current/cert.pem. */
static X509 *
load_cert(const char *dir)
{
	char path[PATH_MAX];
	X509 *crt;
	FILE *f;

	snprintf(path, sizeof path, "%s/current/cert.pem", dir);
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	crt = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return crt;
}

/* Read the PEM private key at dir/current/key.pem. */
static EVP_PKEY *
load_key(const char *dir)
{
	char path[PATH_MAX];
	EVP_PKEY *k;
	FILE *f;

	snprintf(path, sizeof path, "%s/current/key.pem", dir);
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return k;
}

/*
 * 1 when crt's subject alternative names are exactly the IP addresses
 * ips[] (as 4 or 16 raw bytes) and DNS names dns[], in any order.
 */
static int
sans_are(X509 *crt, const char *const *ips, size_t nip,
    const char *const *dns, size_t ndns)
{
	GENERAL_NAMES *gens;
	size_t seen_ip = 0, seen_dns = 0;
	int ok = 1;

	gens = X509_get_ext_d2i(crt, NID_subject_alt_name, NULL, NULL);
	if (gens == NULL)
		return 0;
	for (int i = 0; ok && i < sk_GENERAL_NAME_num(gens); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		int found = 0;
		if (g->type == GEN_IPADD) {
			const unsigned char *d = ASN1_STRING_get0_data(g->d.ip);
			int len = ASN1_STRING_length(g->d.ip);
			char txt[64] = "";
			if (len == 4)
				snprintf(txt, sizeof txt, "%u.%u.%u.%u", d[0],
				    d[1], d[2], d[3]);
			else if (len == 16) {
				unsigned char lo[16] = { 0 };
				lo[15] = 1;
				if (memcmp(d, lo, 16) == 0)
					snprintf(txt, sizeof txt, "::1");
			}
			for (size_t k = 0; k < nip; k++)
				if (strcmp(txt, ips[k]) == 0)
					found = 1;
			seen_ip++;
		} else if (g->type == GEN_DNS) {
			const char *d = (const char *)ASN1_STRING_get0_data(
			    g->d.dNSName);
			for (size_t k = 0; k < ndns; k++)
				if (strcmp(d, dns[k]) == 0)
					found = 1;
			seen_dns++;
		}
		ok = found;
	}
	GENERAL_NAMES_free(gens);
	return ok && seen_ip == nip && seen_dns == ndns;
}

/*
 * A PEM certificate into out (a buffer the caller frees): alternative
 * names san ("IP:192.0.2.1,DNS:x.example", or NULL for none), subject CN
 * cn, valid from now + from to now + to seconds; issued by itself, or by
 * a throwaway CA "Test CA" when ca.
 */
static int
custom_cert(const char *san, const char *cn, long from, long to, int ca,
    struct buf *out)
{
	EVP_PKEY *key = EVP_EC_gen("P-256"), *cakey = NULL;
	X509 *crt = X509_new();
	X509_NAME *n, *in = NULL;
	BIO *mem = BIO_new(BIO_s_mem());
	char *data;
	long len;
	int rc = -1;

	if (key == NULL || crt == NULL || mem == NULL)
		goto out;
	X509_set_version(crt, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(crt), 7);
	X509_gmtime_adj(X509_getm_notBefore(crt), from);
	X509_gmtime_adj(X509_getm_notAfter(crt), to);
	n = X509_get_subject_name(crt);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0);
	if (ca) {
		if ((cakey = EVP_EC_gen("P-256")) == NULL ||
		    (in = X509_NAME_new()) == NULL)
			goto out;
		X509_NAME_add_entry_by_txt(in, "CN", MBSTRING_UTF8,
		    (const unsigned char *)"Test CA", -1, -1, 0);
		X509_set_issuer_name(crt, in);
	} else
		X509_set_issuer_name(crt, n);
	X509_set_pubkey(crt, key);
	if (san != NULL) {
		X509V3_CTX ctx;
		X509_EXTENSION *ex;
		X509V3_set_ctx_nodb(&ctx);
		X509V3_set_ctx(&ctx, crt, crt, NULL, NULL, 0);
		if ((ex = X509V3_EXT_conf_nid(NULL, &ctx,
		    NID_subject_alt_name, san)) == NULL)
			goto out;
		X509_add_ext(crt, ex, -1);
		X509_EXTENSION_free(ex);
	}
	if (!X509_sign(crt, ca ? cakey : key, EVP_sha256()) ||
	    !PEM_write_bio_X509(mem, crt) ||
	    (len = BIO_get_mem_data(mem, &data)) <= 0)
		goto out;
	rc = buf_add(out, data, (size_t)len);
out:
	BIO_free(mem);
	X509_NAME_free(in);
	X509_free(crt);
	EVP_PKEY_free(key);
	EVP_PKEY_free(cakey);
	return rc;
}

/* custom_cert's certificate written to a file under unit_tmp. */
static int
custom_cert_file(const char *name, const char *san, long from, long to,
    char *path, size_t pathlen)
{
	struct buf b = { 0 };
	int rc;

	snprintf(path, pathlen, "%s/%s.pem", unit_tmp, name);
	if (custom_cert(san, "facts", from, to, 0, &b) != 0)
		return -1;
	rc = util_write_file_atomic(path, b.data, b.len, 0644);
	buf_free(&b);
	return rc;
}

#define DAY (24L * 3600)

TEST(generate_creates_cert_and_key)
{
	static const char *const names[] = { "192.0.2.10" };
	char dir[128], path[PATH_MAX];
	struct stat st;

	CHECK(make_cert("files", names, 1, dir, sizeof dir) == 0);
	snprintf(path, sizeof path, "%s/current/cert.pem", dir);
	CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0);
	snprintf(path, sizeof path, "%s/current/key.pem", dir);
	CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0);
	snprintf(path, sizeof path, "%s/current", dir);
	CHECK(lstat(path, &st) == 0 && S_ISLNK(st.st_mode));
}

TEST(generate_key_mode_0600)
{
	static const char *const names[] = { "192.0.2.10" };
	char dir[128], path[PATH_MAX];
	struct stat st;
	mode_t old = umask(0);
	int rc;

	rc = make_cert("mode", names, 1, dir, sizeof dir);
	umask(old);
	CHECK(rc == 0);
	snprintf(path, sizeof path, "%s/current/key.pem", dir);
	CHECK(stat(path, &st) == 0);
	CHECK((st.st_mode & 07777) == 0600);
	snprintf(path, sizeof path, "%s/current/", dir);
	CHECK(stat(path, &st) == 0);
	CHECK((st.st_mode & 077) == 0);
}

TEST(generate_no_temp_files_left)
{
	static const char *const names[] = { "192.0.2.10" };
	char dir[128], cmd[PATH_MAX];

	CHECK(make_cert("tmp", names, 1, dir, sizeof dir) == 0);
	snprintf(cmd, sizeof cmd, "test -z \"$(find %s -name '*.tmp*' -o "
	    "-name '*.new')\"", dir);
	CHECK(system(cmd) == 0);
}

TEST(generate_sans_ip_and_dns)
{
	static const char *const names[] = {
		"192.0.2.10", "connector.example.com", "127.0.0.1", "::1",
		"connector",
	};
	static const char *const ips[] = { "192.0.2.10", "127.0.0.1", "::1" };
	static const char *const dns[] = { "connector.example.com",
	    "connector" };
	char dir[128];
	X509 *crt;
	int ok;

	CHECK(make_cert("sans", names, 5, dir, sizeof dir) == 0);
	CHECK((crt = load_cert(dir)) != NULL);
	ok = sans_are(crt, ips, 3, dns, 2);
	X509_free(crt);
	CHECK(ok);
}

TEST(generate_subject_cn_first_name)
{
	static const char *const names[] = { "host.example", "192.0.2.1" };
	char dir[128], cn[256] = "";
	X509 *crt;

	CHECK(make_cert("cn", names, 2, dir, sizeof dir) == 0);
	CHECK((crt = load_cert(dir)) != NULL);
	X509_NAME_get_text_by_NID(X509_get_subject_name(crt), NID_commonName,
	    cn, sizeof cn);
	X509_free(crt);
	CHECK(strcmp(cn, "host.example") == 0);
}

TEST(generate_validity_one_year)
{
	static const char *const names[] = { "192.0.2.10" };
	char dir[128];
	X509 *crt;
	int days = -1, secs = 0, before_now, after_now;

	CHECK(make_cert("validity", names, 1, dir, sizeof dir) == 0);
	CHECK((crt = load_cert(dir)) != NULL);
	ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(crt),
	    X509_get0_notAfter(crt));
	before_now = X509_cmp_current_time(X509_get0_notBefore(crt));
	after_now = X509_cmp_current_time(X509_get0_notAfter(crt));
	X509_free(crt);
	CHECK(days >= 364 && days <= 366);
	CHECK(before_now < 0);
	CHECK(after_now > 0);
}

TEST(generate_p256_key_matching_cert)
{
	static const char *const names[] = { "192.0.2.10" };
	char dir[128], group[64] = "";
	X509 *crt;
	EVP_PKEY *key, *pub;
	int match, self, is_ec;

	CHECK(make_cert("key", names, 1, dir, sizeof dir) == 0);
	CHECK((crt = load_cert(dir)) != NULL);
	if ((key = load_key(dir)) == NULL) {
		X509_free(crt);
		CHECK(0 && "key.pem readable");
	}
	is_ec = EVP_PKEY_get_base_id(key) == EVP_PKEY_EC;
	EVP_PKEY_get_group_name(key, group, sizeof group, NULL);
	match = X509_check_private_key(crt, key);
	pub = X509_get0_pubkey(crt);
	self = pub != NULL && X509_verify(crt, pub) == 1;
	EVP_PKEY_free(key);
	X509_free(crt);
	CHECK(is_ec);
	CHECK(strcmp(group, "prime256v1") == 0);
	CHECK(match == 1);
	CHECK(self);
}

TEST(generate_leaf_extensions)
{
	static const char *const names[] = { "192.0.2.10" };
	char dir[128];
	X509 *crt;
	uint32_t xku, ku;
	int ca;

	CHECK(make_cert("ext", names, 1, dir, sizeof dir) == 0);
	CHECK((crt = load_cert(dir)) != NULL);
	ca = X509_check_ca(crt);
	xku = X509_get_extended_key_usage(crt);
	ku = X509_get_key_usage(crt);
	X509_free(crt);
	CHECK(ca == 0);
	CHECK(xku & XKU_SSL_SERVER);
	CHECK(ku & KU_DIGITAL_SIGNATURE);
	CHECK(!(ku & KU_KEY_CERT_SIGN));
}

TEST(fingerprint_format_and_value)
{
	static const char *const names[] = { "192.0.2.10" };
	char dir[128], path[PATH_MAX], fp[96], hex[65], want[96];
	unsigned char *der = NULL;
	X509 *crt;
	int dlen;

	CHECK(make_cert("fp", names, 1, dir, sizeof dir) == 0);
	snprintf(path, sizeof path, "%s/current/cert.pem", dir);
	CHECK(tls_fingerprint_file(path, fp, sizeof fp) == 0);
	CHECK(strlen(fp) == 95);
	for (int i = 0; i < 95; i++) {
		if (i % 3 == 2)
			CHECK(fp[i] == ':');
		else
			CHECK(isxdigit((unsigned char)fp[i]) &&
			    !islower((unsigned char)fp[i]));
	}
	/* The SHA-256 of the certificate's DER encoding. */
	CHECK((crt = load_cert(dir)) != NULL);
	dlen = i2d_X509(crt, &der);
	X509_free(crt);
	CHECK(dlen > 0);
	CHECK(util_sha256_hex(der, (size_t)dlen, hex) == 0);
	OPENSSL_free(der);
	for (int i = 0; i < 32; i++) {
		want[3 * i] = (char)toupper((unsigned char)hex[2 * i]);
		want[3 * i + 1] = (char)toupper((unsigned char)hex[2 * i + 1]);
		want[3 * i + 2] = i < 31 ? ':' : '\0';
	}
	CHECK(strcmp(fp, want) == 0);
}

TEST(fingerprint_bad_missing_file)
{
	char path[PATH_MAX], fp[96];

	snprintf(path, sizeof path, "%s/no-such-cert.pem", unit_tmp);
	CHECK(tls_fingerprint_file(path, fp, sizeof fp) == CONN_ENOTFOUND);
}

TEST(fingerprint_bad_not_pem)
{
	char path[PATH_MAX], fp[96];

	snprintf(path, sizeof path, "%s/junk.pem", unit_tmp);
	CHECK(util_write_file_atomic(path, "not a certificate\n", 18,
	    0600) == 0);
	CHECK(tls_fingerprint_file(path, fp, sizeof fp) == CONN_ECRYPTO);
}

TEST(fingerprint_bad_short_buffer)
{
	static const char *const names[] = { "192.0.2.10" };
	char dir[128], path[PATH_MAX], fp[96];

	CHECK(make_cert("fpshort", names, 1, dir, sizeof dir) == 0);
	snprintf(path, sizeof path, "%s/current/cert.pem", dir);
	CHECK(tls_fingerprint_file(path, fp, 95) == CONN_EINVAL);
}

TEST(regenerate_switches_current)
{
	static const char *const names[] = { "192.0.2.10" };
	char dir[128], path[PATH_MAX], first[256], second[256];
	char fp1[96], fp2[96];
	ssize_t n;

	CHECK(make_cert("regen", names, 1, dir, sizeof dir) == 0);
	snprintf(path, sizeof path, "%s/current", dir);
	CHECK((n = readlink(path, first, sizeof first - 1)) > 0);
	first[n] = '\0';
	snprintf(path, sizeof path, "%s/current/cert.pem", dir);
	CHECK(tls_fingerprint_file(path, fp1, sizeof fp1) == 0);

	CHECK(tls_generate_self_signed(dir, names, 1) == 0);
	snprintf(path, sizeof path, "%s/current", dir);
	CHECK((n = readlink(path, second, sizeof second - 1)) > 0);
	second[n] = '\0';
	CHECK(strcmp(first, second) != 0);
	CHECK(strchr(second, '/') == NULL);
	snprintf(path, sizeof path, "%s/current/cert.pem", dir);
	CHECK(tls_fingerprint_file(path, fp2, sizeof fp2) == 0);
	CHECK(strcmp(fp1, fp2) != 0);
	/* The old version is still whole (a reader may hold it open). */
	snprintf(path, sizeof path, "%s/%s/cert.pem", dir, first);
	CHECK(access(path, R_OK) == 0);
}

TEST(generate_bad_no_names)
{
	char dir[128];

	CHECK(make_cert("none", NULL, 0, dir, sizeof dir) == CONN_EINVAL);
}

/* ---- tls_cert_facts ---- */

TEST(facts_of_generated_certificate)
{
	static const char *const names[] = { "192.0.2.10", "connector.example" };
	char dir[128], path[PATH_MAX], fp[128];
	struct tls_facts f;
	time_t now = time(NULL);

	CHECK(make_cert("facts", names, 2, dir, sizeof dir) == 0);
	snprintf(path, sizeof path, "%s/current/cert.pem", dir);
	CHECK(tls_cert_facts_file(path, "192.0.2.10", &f) == 0);
	CHECK(strcmp(f.subject, "CN=192.0.2.10,O=Connector") == 0);
	CHECK(strcmp(f.issuer, f.subject) == 0);
	CHECK(f.self_signed == 1);
	CHECK(f.nip == 1 && strcmp(f.ip[0], "192.0.2.10") == 0);
	CHECK(f.ndns == 1 && strcmp(f.dns[0], "connector.example") == 0);
	CHECK(f.not_before <= now && f.not_before > now - 3600);
	CHECK(f.not_after > now + 364 * DAY && f.not_after < now + 366 * DAY);
	CHECK(strcmp(f.key_type, "EC") == 0 && f.key_bits == 256);
	CHECK(tls_fingerprint_file(path, fp, sizeof fp) == 0);
	CHECK(strcmp(f.sha256, fp) == 0);
	CHECK(strlen(f.sha1) == 59 && f.sha1[2] == ':');
	CHECK(f.covers == 1);
	CHECK(tls_cert_facts_file(path, "connector.example", &f) == 0);
	CHECK(f.covers == 1);
	CHECK(tls_cert_facts_file(path, "192.0.2.11", &f) == 0);
	CHECK(f.covers == 0);
	CHECK(tls_cert_facts_file(path, NULL, &f) == 0 && f.covers == 0);
}

TEST(facts_expired)
{
	char path[PATH_MAX];
	struct tls_facts f;
	time_t now = time(NULL);

	CHECK(custom_cert_file("expired", "IP:192.0.2.1", -30 * DAY, -DAY,
	    path, sizeof path) == 0);
	CHECK(tls_cert_facts_file(path, "192.0.2.1", &f) == 0);
	CHECK(f.not_after < now && f.not_after > now - 2 * DAY);
	CHECK(f.not_before < now - 29 * DAY);
	/* Expired, yet it still names the address: the caller decides. */
	CHECK(f.covers == 1);
}

TEST(facts_not_yet_valid)
{
	char path[PATH_MAX];
	struct tls_facts f;
	time_t now = time(NULL);

	CHECK(custom_cert_file("future", "IP:192.0.2.1", 2 * DAY, 30 * DAY,
	    path, sizeof path) == 0);
	CHECK(tls_cert_facts_file(path, "192.0.2.1", &f) == 0);
	CHECK(f.not_before > now + DAY && f.not_after > f.not_before);
}

TEST(facts_ip_sans_v4_and_v6)
{
	char path[PATH_MAX];
	struct tls_facts f;

	CHECK(custom_cert_file("ip", "IP:198.51.100.7,IP:2001:db8::1", 0,
	    DAY, path, sizeof path) == 0);
	CHECK(tls_cert_facts_file(path, "198.51.100.7", &f) == 0);
	CHECK(f.nip == 2 && f.ndns == 0 && f.covers == 1);
	CHECK(strcmp(f.ip[0], "198.51.100.7") == 0);
	CHECK(strcmp(f.ip[1], "2001:db8::1") == 0);
	CHECK(tls_cert_facts_file(path, "2001:db8::1", &f) == 0 && f.covers);
	CHECK(tls_cert_facts_file(path, "2001:db8::2", &f) == 0 && !f.covers);
	CHECK(tls_cert_facts_file(path, "198.51.100.70", &f) == 0 &&
	    !f.covers);
}

TEST(facts_dns_san_not_ip)
{
	char path[PATH_MAX];
	struct tls_facts f;

	/* A DNS name that spells the address does not cover it. */
	CHECK(custom_cert_file("dns", "DNS:vc.example,DNS:192.0.2.1", 0, DAY,
	    path, sizeof path) == 0);
	CHECK(tls_cert_facts_file(path, "vc.example", &f) == 0);
	CHECK(f.ndns == 2 && f.nip == 0 && f.covers == 1);
	CHECK(tls_cert_facts_file(path, "VC.EXAMPLE", &f) == 0 && f.covers);
	CHECK(tls_cert_facts_file(path, "192.0.2.1", &f) == 0 && !f.covers);
	CHECK(tls_cert_facts_file(path, "other.example", &f) == 0 &&
	    !f.covers);
}

TEST(facts_wildcard_one_label)
{
	char path[PATH_MAX];
	struct tls_facts f;

	CHECK(custom_cert_file("wild", "DNS:*.lab.example", 0, DAY, path,
	    sizeof path) == 0);
	CHECK(tls_cert_facts_file(path, "connector.lab.example", &f) == 0);
	CHECK(f.covers == 1 && strcmp(f.dns[0], "*.lab.example") == 0);
	CHECK(tls_cert_facts_file(path, "a.b.lab.example", &f) == 0 &&
	    !f.covers);
	CHECK(tls_cert_facts_file(path, "lab.example", &f) == 0 && !f.covers);
}

TEST(facts_bad_no_san_cn_not_trusted)
{
	struct buf b = { 0 };
	struct tls_facts f;

	CHECK(custom_cert(NULL, "192.0.2.1", 0, DAY, 0, &b) == 0);
	CHECK(tls_cert_facts(b.data, b.len, "192.0.2.1", &f) == 0);
	CHECK(f.nip == 0 && f.ndns == 0 && f.covers == 0);
	CHECK(strcmp(f.subject, "CN=192.0.2.1") == 0);
	buf_free(&b);
}

TEST(facts_issued_by_a_ca_not_self_signed)
{
	struct buf b = { 0 };
	struct tls_facts f;

	CHECK(custom_cert("DNS:x.example", "x", 0, DAY, 1, &b) == 0);
	CHECK(tls_cert_facts(b.data, b.len, NULL, &f) == 0);
	CHECK(f.self_signed == 0);
	CHECK(strcmp(f.issuer, "CN=Test CA") == 0);
	CHECK(strcmp(f.subject, "CN=x") == 0);
	buf_free(&b);
}

TEST(facts_bad_garbage_pem)
{
	static const char junk[] = "-----BEGIN CERTIFICATE-----\n"
	    "bm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";
	struct tls_facts f;

	CHECK(tls_cert_facts(junk, sizeof junk - 1, "192.0.2.1", &f) ==
	    CONN_EINVAL);
	CHECK(tls_cert_facts("hello", 5, NULL, &f) == CONN_EINVAL);
	CHECK(f.subject[0] == '\0' && f.covers == 0);
}

TEST(facts_bad_empty_file)
{
	char path[PATH_MAX];
	struct tls_facts f;

	snprintf(path, sizeof path, "%s/empty.pem", unit_tmp);
	CHECK(util_write_file_atomic(path, "", 0, 0644) == 0);
	CHECK(tls_cert_facts_file(path, NULL, &f) == CONN_EINVAL);
	snprintf(path, sizeof path, "%s/absent.pem", unit_tmp);
	CHECK(tls_cert_facts_file(path, NULL, &f) == CONN_ENOTFOUND);
	CHECK(tls_cert_facts(NULL, 0, NULL, &f) == CONN_EINVAL);
}

int
main(void)
{
	if (unit_tmpdir("test-tls") != 0)
		return 1;
	RUN(generate_creates_cert_and_key);
	RUN(generate_key_mode_0600);
	RUN(generate_no_temp_files_left);
	RUN(generate_sans_ip_and_dns);
	RUN(generate_subject_cn_first_name);
	RUN(generate_validity_one_year);
	RUN(generate_p256_key_matching_cert);
	RUN(generate_leaf_extensions);
	RUN(fingerprint_format_and_value);
	RUN(fingerprint_bad_missing_file);
	RUN(fingerprint_bad_not_pem);
	RUN(fingerprint_bad_short_buffer);
	RUN(regenerate_switches_current);
	RUN(generate_bad_no_names);
	RUN(facts_of_generated_certificate);
	RUN(facts_expired);
	RUN(facts_not_yet_valid);
	RUN(facts_ip_sans_v4_and_v6);
	RUN(facts_dns_san_not_ip);
	RUN(facts_wildcard_one_label);
	RUN(facts_bad_no_san_cn_not_trusted);
	RUN(facts_issued_by_a_ca_not_self_signed);
	RUN(facts_bad_garbage_pem);
	RUN(facts_bad_empty_file);
	unit_rm_rf(unit_tmp);
	UNIT_EXIT();
}
