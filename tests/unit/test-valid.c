/*
 * test-valid.c — the field table and the typed validators.
 */
#include <stdlib.h>
#include <string.h>

#include "../../lib/core.h"
#include "../../lib/domain.h"
#include "unit.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* valid_value over a NUL-terminated string with a generous cap. */
static int
vv(enum valid_type t, const char *s)
{
	return valid_value(t, s, strlen(s), 4096);
}

/* A malloc'd host name of labels of the given lengths, joined by dots. */
static char *
host_of(const size_t *labels, size_t n)
{
	struct buf b = { 0 };

	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_adds(&b, ".");
		for (size_t k = 0; k < labels[i]; k++)
			buf_add(&b, &"abcdefghij"[k % 10], 1);
	}
	return b.data;
}

/* ---- IPv4 ---- */

TEST(ipv4_good)
{
	static const char *const good[] = {
		"192.0.2.10", "0.0.0.0", "255.255.255.255", "10.0.0.1",
		"1.2.3.4", "100.64.0.255",
	};

	for (size_t i = 0; i < NELEM(good); i++)
		CHECK(syntax_ipv4(good[i]) == 1);
}

TEST(ipv4_bad_leading_zeros)
{
	CHECK(syntax_ipv4("01.2.3.4") == 0);
	CHECK(syntax_ipv4("1.2.3.04") == 0);
	CHECK(syntax_ipv4("00.0.0.0") == 0);
	CHECK(syntax_ipv4("1.2.010.4") == 0);
}

TEST(ipv4_bad_part_over_255)
{
	CHECK(syntax_ipv4("256.1.1.1") == 0);
	CHECK(syntax_ipv4("1.1.1.256") == 0);
	CHECK(syntax_ipv4("999.1.1.1") == 0);
	CHECK(syntax_ipv4("1000.1.1.1") == 0);
}

TEST(ipv4_bad_part_count)
{
	CHECK(syntax_ipv4("1.2.3") == 0);
	CHECK(syntax_ipv4("1.2.3.4.5") == 0);
	CHECK(syntax_ipv4("1") == 0);
	CHECK(syntax_ipv4("") == 0);
}

TEST(ipv4_bad_dots)
{
	CHECK(syntax_ipv4("1.2.3.4.") == 0);
	CHECK(syntax_ipv4(".1.2.3.4") == 0);
	CHECK(syntax_ipv4("1..2.3") == 0);
	CHECK(syntax_ipv4("1.2..3.4") == 0);
}

TEST(ipv4_bad_characters)
{
	CHECK(syntax_ipv4("a.b.c.d") == 0);
	CHECK(syntax_ipv4("0x1.2.3.4") == 0);
	CHECK(syntax_ipv4("-1.2.3.4") == 0);
	CHECK(syntax_ipv4("+1.2.3.4") == 0);
	CHECK(syntax_ipv4(" 1.2.3.4") == 0);
	CHECK(syntax_ipv4("1.2.3.4 ") == 0);
	CHECK(syntax_ipv4("1.2.3.4/24") == 0);
	CHECK(syntax_ipv4("::1") == 0);
}

/* ---- host names ---- */

TEST(hostname_good)
{
	static const char *const good[] = {
		"vcenter.example.com", "a", "a-b.c", "xn--bcher-kva.example",
		"A1.B2", "host-01", "9x",
	};

	for (size_t i = 0; i < NELEM(good); i++)
		CHECK(syntax_hostname(good[i]) == 1);
}

TEST(hostname_bad_hyphen_at_label_edge)
{
	CHECK(syntax_hostname("-a") == 0);
	CHECK(syntax_hostname("a-") == 0);
	CHECK(syntax_hostname("a.-b.c") == 0);
	CHECK(syntax_hostname("a.b-.c") == 0);
	CHECK(syntax_hostname("-") == 0);
}

TEST(hostname_bad_empty_label)
{
	CHECK(syntax_hostname("") == 0);
	CHECK(syntax_hostname(".") == 0);
	CHECK(syntax_hostname(".a") == 0);
	CHECK(syntax_hostname("a.") == 0);
	CHECK(syntax_hostname("a..b") == 0);
}

TEST(hostname_bad_characters)
{
	CHECK(syntax_hostname("a_b") == 0);
	CHECK(syntax_hostname("a b") == 0);
	CHECK(syntax_hostname("b\xc3\xbc" "cher.example") == 0);
	CHECK(syntax_hostname("a:80") == 0);
	CHECK(syntax_hostname("a/b") == 0);
	CHECK(syntax_hostname("*.example.com") == 0);
}

TEST(hostname_label_63_ok)
{
	size_t l[] = { 63, 3 };
	char *h = host_of(l, 2);
	int ok;

	CHECK(h != NULL && strlen(h) == 67);
	ok = syntax_hostname(h);
	free(h);
	CHECK(ok == 1);
}

TEST(hostname_bad_label_64)
{
	size_t l[] = { 3, 64, 3 };
	char *h = host_of(l, 3);
	int ok;

	CHECK(h != NULL);
	ok = syntax_hostname(h);
	free(h);
	CHECK(ok == 0);
}

TEST(hostname_total_253_ok)
{
	size_t l[] = { 63, 63, 63, 61 };
	char *h = host_of(l, 4);
	int ok;

	CHECK(h != NULL && strlen(h) == 253);
	ok = syntax_hostname(h);
	free(h);
	CHECK(ok == 1);
}

TEST(hostname_bad_total_254)
{
	size_t l[] = { 63, 63, 63, 62 };
	char *h = host_of(l, 4);
	int ok;

	CHECK(h != NULL && strlen(h) == 254);
	ok = syntax_hostname(h);
	free(h);
	CHECK(ok == 0);
}

/* ---- ports ---- */

TEST(port_good)
{
	CHECK(syntax_port("1") == 1);
	CHECK(syntax_port("443") == 1);
	CHECK(syntax_port("8443") == 1);
	CHECK(syntax_port("65535") == 1);
}

TEST(port_bad_zero)
{
	CHECK(syntax_port("0") == 0);
	CHECK(syntax_port("00000") == 0);
}

TEST(port_bad_over_65535)
{
	CHECK(syntax_port("65536") == 0);
	CHECK(syntax_port("99999") == 0);
	CHECK(syntax_port("100000") == 0);
	CHECK(syntax_port("4294967297") == 0);
}

TEST(port_bad_sign)
{
	CHECK(syntax_port("+1") == 0);
	CHECK(syntax_port("-1") == 0);
}

TEST(port_bad_leading_zero)
{
	CHECK(syntax_port("01") == 0);
	CHECK(syntax_port("0443") == 0);
}

TEST(port_bad_characters)
{
	CHECK(syntax_port("") == 0);
	CHECK(syntax_port(" 1") == 0);
	CHECK(syntax_port("1 ") == 0);
	CHECK(syntax_port("8o") == 0);
	CHECK(syntax_port("0x10") == 0);
	CHECK(syntax_port("1e3") == 0);
}

/* ---- valid_value by type ---- */

TEST(value_token_good)
{
	CHECK(vv(VT_TOKEN, "abcXYZ019-_") == 0);
	CHECK(vv(VT_TOKEN, "") == 0);
}

TEST(value_token_bad_chars)
{
	static const char *const bad[] = {
		"a+b", "a/b", "a=b", "a b", "a.b", "\xc3\xa9", "a%2F", "a\tb",
	};

	for (size_t i = 0; i < NELEM(bad); i++)
		CHECK(vv(VT_TOKEN, bad[i]) == CONN_EINVAL);
}

TEST(value_password_good)
{
	CHECK(vv(VT_PASSWORD, "correct horse battery staple") == 0);
	CHECK(vv(VT_PASSWORD, "p\xc3\xa4ssw\xc3\xb6rd \xe2\x82\xac "
	    "\xf0\x9f\x94\x91") == 0);
	CHECK(vv(VT_PASSWORD, "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") == 0);
	/* U+00A0 no-break space is not a control character. */
	CHECK(vv(VT_PASSWORD, "a\xc2\xa0" "b") == 0);
}

TEST(value_password_bad_c0_controls)
{
	CHECK(vv(VT_PASSWORD, "tab\there") == CONN_EINVAL);
	CHECK(vv(VT_PASSWORD, "new\nline") == CONN_EINVAL);
	CHECK(vv(VT_PASSWORD, "cr\rhere") == CONN_EINVAL);
	CHECK(vv(VT_PASSWORD, "esc\x1bhere") == CONN_EINVAL);
	CHECK(vv(VT_PASSWORD, "\x01") == CONN_EINVAL);
}

TEST(value_password_bad_del)
{
	CHECK(vv(VT_PASSWORD, "del\x7fhere") == CONN_EINVAL);
}

TEST(value_password_bad_c1_controls)
{
	CHECK(vv(VT_PASSWORD, "nel\xc2\x85here") == CONN_EINVAL);
	CHECK(vv(VT_PASSWORD, "\xc2\x80") == CONN_EINVAL);
	CHECK(vv(VT_PASSWORD, "\xc2\x9f") == CONN_EINVAL);
}

TEST(value_password_bad_nul)
{
	CHECK(valid_value(VT_PASSWORD, "abc\0def", 7, 100) == CONN_EINVAL);
}

TEST(value_password_bad_utf8)
{
	CHECK(vv(VT_PASSWORD, "\xc0\x80") == CONN_EINVAL);
	CHECK(vv(VT_PASSWORD, "\xed\xa0\x80") == CONN_EINVAL);
	CHECK(vv(VT_PASSWORD, "abc\xe2\x82") == CONN_EINVAL);
	CHECK(vv(VT_PASSWORD, "\xff") == CONN_EINVAL);
}

TEST(value_setup_code_good)
{
	CHECK(vv(VT_SETUP_CODE, "ABCD-EFGH-JKLM-NPQR") == 0);
	CHECK(vv(VT_SETUP_CODE, "abcd-efgh-jklm-npqr") == 0);
	CHECK(vv(VT_SETUP_CODE, "ABCD EFGH JKLM NPQR") == 0);
	CHECK(vv(VT_SETUP_CODE, "ABCDEFGHJKLMNPQR") == 0);
}

TEST(value_setup_code_bad_chars)
{
	CHECK(vv(VT_SETUP_CODE, "ABCD_EFGH") == CONN_EINVAL);
	CHECK(vv(VT_SETUP_CODE, "ABCD/EFGH") == CONN_EINVAL);
	CHECK(vv(VT_SETUP_CODE, "ABCD\tEFGH") == CONN_EINVAL);
	CHECK(vv(VT_SETUP_CODE, "\xc3\x84" "BCD") == CONN_EINVAL);
}

TEST(value_text_good)
{
	CHECK(vv(VT_TEXT, "hello world") == 0);
	CHECK(vv(VT_TEXT, "gr\xc3\xbc\xc3\x9f" "e <b>&amp;</b>") == 0);
	CHECK(vv(VT_TEXT, "") == 0);
}

TEST(value_text_bad_controls)
{
	CHECK(vv(VT_TEXT, "two\nlines") == CONN_EINVAL);
	CHECK(vv(VT_TEXT, "cr\r") == CONN_EINVAL);
	CHECK(vv(VT_TEXT, "\x7f") == CONN_EINVAL);
	CHECK(vv(VT_TEXT, "\xc2\x85") == CONN_EINVAL);
}

TEST(value_hostname_by_type)
{
	CHECK(vv(VT_HOSTNAME, "vcenter.example.com") == 0);
	CHECK(vv(VT_HOSTNAME, "bad_host") == CONN_EINVAL);
	CHECK(vv(VT_HOSTNAME, "") == CONN_EINVAL);
}

TEST(value_ipv4_by_type)
{
	CHECK(vv(VT_IPV4, "192.0.2.1") == 0);
	CHECK(vv(VT_IPV4, "192.0.2.01") == CONN_EINVAL);
}

TEST(value_port_by_type)
{
	CHECK(vv(VT_PORT, "443") == 0);
	CHECK(vv(VT_PORT, "0") == CONN_EINVAL);
	CHECK(vv(VT_PORT, "65536") == CONN_EINVAL);
}

TEST(value_at_maxlen_ok)
{
	CHECK(valid_value(VT_TOKEN, "abcd", 4, 4) == 0);
	CHECK(valid_value(VT_PASSWORD, "\xc3\xa9\xc3\xa9", 4, 4) == 0);
}

TEST(value_bad_over_maxlen)
{
	CHECK(valid_value(VT_TOKEN, "abcde", 5, 4) == CONN_ETOOBIG);
	CHECK(valid_value(VT_PASSWORD, "\xc3\xa9\xc3\xa9\xc3\xa9", 6, 5) ==
	    CONN_ETOOBIG);
	CHECK(valid_value(VT_TEXT, "x", 1, 0) == CONN_ETOOBIG);
}

TEST(value_bad_over_long_field_caps)
{
	char pw[AUTH_PASSWORD_MAX + 2];
	char tok[AUTH_TOKEN_LEN + 2];

	memset(pw, 'p', sizeof pw - 1);
	pw[sizeof pw - 1] = '\0';
	memset(tok, 't', sizeof tok - 1);
	tok[sizeof tok - 1] = '\0';
	CHECK(valid_value(valid_fields[F_PASSWORD].type, pw,
	    AUTH_PASSWORD_MAX, valid_fields[F_PASSWORD].maxlen) == 0);
	CHECK(valid_value(valid_fields[F_PASSWORD].type, pw,
	    AUTH_PASSWORD_MAX + 1, valid_fields[F_PASSWORD].maxlen) ==
	    CONN_ETOOBIG);
	CHECK(valid_value(valid_fields[F_CSRF].type, tok, AUTH_TOKEN_LEN,
	    valid_fields[F_CSRF].maxlen) == 0);
	CHECK(valid_value(valid_fields[F_CSRF].type, tok, AUTH_TOKEN_LEN + 1,
	    valid_fields[F_CSRF].maxlen) == CONN_ETOOBIG);
}

/* ---- the field table ---- */

TEST(field_lookup_known)
{
	CHECK(valid_field_lookup("csrf") == F_CSRF);
	CHECK(valid_field_lookup("code") == F_CODE);
	CHECK(valid_field_lookup("password") == F_PASSWORD);
	CHECK(valid_field_lookup("password2") == F_PASSWORD2);
}

TEST(field_lookup_bad_unknown)
{
	CHECK(valid_field_lookup("") == -1);
	CHECK(valid_field_lookup("Password") == -1);
	CHECK(valid_field_lookup("passwor") == -1);
	CHECK(valid_field_lookup("password3") == -1);
	CHECK(valid_field_lookup("csrf ") == -1);
}

TEST(field_table_complete)
{
	for (int i = 0; i < F__MAX; i++) {
		CHECK(valid_fields[i].name != NULL);
		CHECK(valid_fields[i].label != NULL);
		CHECK(valid_fields[i].maxlen > 0);
		CHECK(valid_field_lookup(valid_fields[i].name) == i);
	}
	CHECK(valid_fields[F_CSRF].type == VT_TOKEN);
	CHECK(valid_fields[F_CSRF].maxlen == AUTH_TOKEN_LEN);
	CHECK(valid_fields[F_PASSWORD].type == VT_PASSWORD);
	CHECK(valid_fields[F_PASSWORD].maxlen == AUTH_PASSWORD_MAX);
	CHECK(valid_fields[F_CODE].type == VT_SETUP_CODE);
}

TEST(type_hints_present)
{
	enum valid_type t[] = { VT_TOKEN, VT_PASSWORD, VT_SETUP_CODE,
	    VT_TEXT, VT_HOSTNAME, VT_IPV4, VT_PORT, VT_WORD, VT_HOST,
	    VT_HOST_PORT, VT_DOMAIN_USER, VT_REGION, VT_ACCESS_KEY, VT_SECRET,
	    VT_THUMBPRINT, VT_HOST_LIST, VT_PROXY_USER, VT_FILE,
	    VT_LOCAL_PATH, VT_NUMBER, VT_FILE_NAME, VT_MOREF, VT_BUCKET,
	    VT_OBJECT_KEY, VT_TASK_ID };

	for (size_t i = 0; i < NELEM(t); i++)
		CHECK(strlen(valid_type_hint(t[i])) > 0);
}

/* ---- the registration's types ---- */

TEST(host_port_good)
{
	char h[SYNTAX_HOST_MAX + 1];
	int port;

	CHECK(syntax_host_port("vcenter.example.com", h, sizeof h, &port));
	CHECK(strcmp(h, "vcenter.example.com") == 0 && port == 443);
	CHECK(syntax_host_port("192.0.2.10:8443", h, sizeof h, &port));
	CHECK(strcmp(h, "192.0.2.10") == 0 && port == 8443);
	CHECK(syntax_host_port("vcsa01.prod.eu-west.corp.example.com:8443",
	    h, sizeof h, &port));
	CHECK(strcmp(h, "vcsa01.prod.eu-west.corp.example.com") == 0 &&
	    port == 8443);
}

TEST(host_port_253_characters_ok)
{
	size_t l[] = { 63, 63, 63, 61 };
	char *name = host_of(l, 4), typed[300], h[SYNTAX_HOST_MAX + 1];
	int port = 0, ok;

	CHECK(name != NULL && strlen(name) == 253);
	snprintf(typed, sizeof typed, "%s:9443", name);
	ok = syntax_host_port(typed, h, sizeof h, &port) &&
	    strcmp(h, name) == 0 && port == 9443;
	free(name);
	CHECK(ok);
}

TEST(host_port_bad_254_characters)
{
	size_t l[] = { 63, 63, 63, 62 };
	char *name = host_of(l, 4), h[SYNTAX_HOST_MAX + 1];
	int port, ok;

	CHECK(name != NULL && strlen(name) == 254);
	ok = syntax_host_port(name, h, sizeof h, &port);
	free(name);
	CHECK(ok == 0);
}

TEST(host_port_bad_label_64)
{
	size_t l[] = { 64, 7 };
	char *name = host_of(l, 2), h[SYNTAX_HOST_MAX + 1];
	int port, ok;

	CHECK(name != NULL);
	ok = syntax_host_port(name, h, sizeof h, &port);
	free(name);
	CHECK(ok == 0);
}

TEST(host_port_bad_small_buffer)
{
	char h[8];
	int port;

	CHECK(syntax_host_port("vcenter.example.com", h, sizeof h, &port) ==
	    0);
}

TEST(host_port_bad_forms)
{
	const char *bad[] = { "", ":443", "host:", "host:0", "host:65536",
	    "host:08", "https://vcenter", "vcenter/sdk", "user@vcenter",
	    "vc enter", "-vcenter", "vcenter;id", "$(id)", "../../etc",
	    "[::1]", "::1", "host:443:1", "2130706433", "127.1", "0x7f.0.0.1",
	    "0177.0.0.1", "vc.123", "v\xc3\xa9", "192.0.2.1\r\nX: y" };
	char h[64];
	int port;

	for (size_t i = 0; i < NELEM(bad); i++)
		CHECK(syntax_host_port(bad[i], h, sizeof h, &port) == 0);
}

TEST(domain_user_good)
{
	CHECK(vv(VT_DOMAIN_USER, "svc-connector") == 0);
	CHECK(vv(VT_DOMAIN_USER, "CORP\\svc.connector_1") == 0);
}

TEST(domain_user_bad)
{
	const char *bad[] = { "", "1user", "CORP\\", "\\user", "a\\b\\c",
	    "user@vsphere.local", "us er", "-user", "user;id",
	    "abcdefghijabcdefghijabcdefghijabc" };

	for (size_t i = 0; i < NELEM(bad); i++)
		CHECK(vv(VT_DOMAIN_USER, bad[i]) == CONN_EINVAL);
}

TEST(region_good_and_bad)
{
	CHECK(vv(VT_REGION, "eu-west-1") == 0);
	CHECK(vv(VT_REGION, "ap-southeast-2") == 0);
	CHECK(vv(VT_REGION, "us-gov-west-1") == 0);
	CHECK(vv(VT_REGION, "EU-west-1") == CONN_EINVAL);
	CHECK(vv(VT_REGION, "eu-west-") == CONN_EINVAL);
	CHECK(vv(VT_REGION, "eu--west-1") == CONN_EINVAL);
	CHECK(vv(VT_REGION, "eu-west-1;") == CONN_EINVAL);
	CHECK(vv(VT_REGION, "../1") == CONN_EINVAL);
}

TEST(required_fields_say_what_to_do)
{
	const enum field_id req[] = { F_VC_HOST, F_VC_USER, F_VC_PASSWORD,
	    F_PROXY_HOST, F_PROXY_PORT, F_PROXY_PASSWORD, F_REGION,
	    F_ACCESS_KEY, F_SECRET_KEY, F_PORTAL_FILE, F_PASSWORD, F_CONFIRM };

	for (size_t i = 0; i < NELEM(req); i++)
		CHECK(valid_fields[req[i]].required != NULL &&
		    strlen(valid_fields[req[i]].required) > 10 &&
		    valid_fields[req[i]].required[strlen(
		    valid_fields[req[i]].required) - 1] == '.');
	CHECK(valid_fields[F_CSRF].required == NULL);
	CHECK(valid_fields[F_SESSION_TOKEN].required == NULL);
	CHECK(valid_fields[F_NO_PROXY].required == NULL);
}

TEST(syntax_region_one_checker)
{
	CHECK(syntax_region("eu-west-1"));
	CHECK(syntax_region("us-gov-west-1"));
	CHECK(!syntax_region("eu-west"));
	CHECK(!syntax_region("-eu-west-1"));
	CHECK(!syntax_region("1eu-west-1"));
	CHECK(!syntax_region(""));
	CHECK(!syntax_region(NULL));
	CHECK(!syntax_region("abcdefghij-abcdefghij-abcdefghi-1"));
}

TEST(access_key_and_secret)
{
	CHECK(vv(VT_ACCESS_KEY, "AKIAIOSFODNN7EXAMPLE") == 0);
	CHECK(vv(VT_ACCESS_KEY, "AKIA") == CONN_EINVAL);
	CHECK(vv(VT_ACCESS_KEY, "akiaiosfodnn7example") == CONN_EINVAL);
	CHECK(vv(VT_SECRET, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY") == 0);
	CHECK(vv(VT_SECRET, "with space") == CONN_EINVAL);
	CHECK(vv(VT_SECRET, "caf\xc3\xa9") == CONN_EINVAL);
	CHECK(vv(VT_SECRET, "tab\there") == CONN_EINVAL);
}

TEST(thumbprint_good_and_bad)
{
	const char *good = "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:"
	    "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99";

	CHECK(vv(VT_THUMBPRINT, good) == 0);
	CHECK(vv(VT_THUMBPRINT, "AA:BB") == CONN_EINVAL);
	CHECK(vv(VT_THUMBPRINT, "AA-BB-CC-DD-EE-FF-00-11-22-33-44-55-66-77-"
	    "88-99-AA-BB-CC-DD-EE-FF-00-11-22-33-44-55-66-77-88-99") ==
	    CONN_EINVAL);
}

TEST(host_list_good_and_bad)
{
	CHECK(vv(VT_HOST_LIST, "vcenter.corp, 10.0.0.5,.internal") == 0);
	CHECK(vv(VT_HOST_LIST, "") == 0);
	CHECK(vv(VT_HOST_LIST, "*") == CONN_EINVAL);
	CHECK(vv(VT_HOST_LIST, "a;b") == CONN_EINVAL);
	CHECK(vv(VT_HOST_LIST, "http://x") == CONN_EINVAL);
}

TEST(proxy_user_and_word)
{
	CHECK(vv(VT_PROXY_USER, "DOMAIN\\proxy.user") == 0);
	CHECK(vv(VT_PROXY_USER, "a:b") == CONN_EINVAL);
	CHECK(vv(VT_PROXY_USER, "a b") == CONN_EINVAL);
	CHECK(vv(VT_WORD, "clear-local") == 0);
	CHECK(vv(VT_WORD, "Register") == CONN_EINVAL);
	CHECK(vv(VT_WORD, "") == CONN_EINVAL);
}

TEST(file_any_bytes_capped)
{
	CHECK(valid_value(VT_FILE, "a\0\xff", 3, 16) == 0);
	CHECK(valid_value(VT_FILE, "0123456789abcdefX", 17, 16) ==
	    CONN_ETOOBIG);
}

TEST(peer_literal_policy)
{
	CHECK(syntax_peer_literal("vcenter.example.com", 0));
	CHECK(syntax_peer_literal("10.0.0.5", 0));
	CHECK(syntax_peer_literal("192.0.2.1", 0));
	CHECK(!syntax_peer_literal("localhost", 1));
	CHECK(!syntax_peer_literal("LOCALHOST.", 1));
	CHECK(!syntax_peer_literal("vc.localhost", 1));
	CHECK(!syntax_peer_literal("127.0.0.1", 0));
	CHECK(syntax_peer_literal("127.0.0.1", 1));
	CHECK(!syntax_peer_literal("169.254.169.254", 1));
	CHECK(!syntax_peer_literal("0.0.0.0", 1));
	CHECK(!syntax_peer_literal("224.0.0.1", 1));
	CHECK(!syntax_peer_literal("255.255.255.255", 1));
	CHECK(!syntax_peer_literal("http://169.254.169.254", 1));
	CHECK(!syntax_peer_literal("2852039166", 1));	/* 169.254.169.254 */
	CHECK(!syntax_peer_literal("0xa9.0xfe.0xa9.0xfe", 1));
}

TEST(peer_ipv6_policy)
{
	unsigned char a[16] = { 0 };

	CHECK(!syntax_peer_ipv6(a, 1));		/* :: */
	a[15] = 1;
	CHECK(!syntax_peer_ipv6(a, 0));		/* ::1 */
	CHECK(syntax_peer_ipv6(a, 1));
	memset(a, 0, sizeof a);
	a[0] = 0xfe; a[1] = 0x80; a[15] = 1;	/* fe80::1 */
	CHECK(!syntax_peer_ipv6(a, 1));
	memset(a, 0, sizeof a);
	a[10] = a[11] = 0xff; a[12] = 169; a[13] = 254; a[14] = 169;
	a[15] = 254;				/* ::ffff:169.254.169.254 */
	CHECK(!syntax_peer_ipv6(a, 1));
	a[12] = 10; a[13] = 0; a[14] = 0; a[15] = 5;
	CHECK(syntax_peer_ipv6(a, 0));
	memset(a, 0, sizeof a);
	a[0] = 0x20; a[1] = 0x01; a[2] = 0x0d; a[3] = 0xb8; a[15] = 1;
	CHECK(syntax_peer_ipv6(a, 0));
}

TEST(soft_fields_are_the_registration_fields)
{
	CHECK(!valid_fields[F_CSRF].soft && !valid_fields[F_ACTION].soft);
	CHECK(valid_fields[F_VC_HOST].soft && valid_fields[F_SECRET_KEY].soft);
	CHECK(valid_fields[F_PORTAL_FILE].type == VT_FILE);
	CHECK(valid_fields[F_PORTAL_FILE].maxlen == PORTAL_FILE_MAX);
}

/* ---- the Migrations page's fields ---- */

TEST(moref_bucket_key_task_good_and_bad)
{
	static const char *const bad_keys[] = {
		"", "/abs.vmdk", "../x", "a/../b", "a/./b", ".", "a/..",
		"a\x01b", "tab\tkey",
	};

	CHECK(vv(VT_MOREF, "vm-42") == 0);
	CHECK(vv(VT_MOREF, "vm 42") == CONN_EINVAL);
	CHECK(vv(VT_MOREF, "<b>") == CONN_EINVAL);
	CHECK(vv(VT_BUCKET, "connector-imports") == 0);
	CHECK(vv(VT_BUCKET, "my.bucket.1") == 0);
	CHECK(vv(VT_BUCKET, "Bad_Bucket") == CONN_EINVAL);
	CHECK(vv(VT_BUCKET, "ab") == CONN_EINVAL);
	CHECK(valid_value(VT_BUCKET, "abc", 3, 2) == CONN_ETOOBIG);
	CHECK(vv(VT_OBJECT_KEY, "images/web01.vmdk") == 0);
	CHECK(vv(VT_OBJECT_KEY, "images/caf\xc3\xa9 1.vmdk") == 0);
	CHECK(vv(VT_OBJECT_KEY, "a..b/c") == 0);
	for (size_t i = 0; i < NELEM(bad_keys); i++)
		CHECK(vv(VT_OBJECT_KEY, bad_keys[i]) == CONN_EINVAL);
	CHECK(vv(VT_TASK_ID, "import-ami-0123456789abcdef0") == 0);
	CHECK(vv(VT_TASK_ID, "import-i-ffvko9js") == 0);
	CHECK(vv(VT_TASK_ID, "import-ami-XYZ") == CONN_EINVAL);
	CHECK(vv(VT_TASK_ID, "'; DROP TABLE vms") == CONN_EINVAL);
}

TEST(choices_only_the_listed_values)
{
	const struct valid_field *sort = &valid_fields[F_SORT];
	const struct valid_field *per = &valid_fields[F_PER_PAGE];
	const struct valid_field *fmt = &valid_fields[F_FORMAT];

	CHECK(valid_field_value(sort, "name", 4) == 0);
	CHECK(valid_field_value(sort, "changed", 7) == 0);
	CHECK(valid_field_value(sort, "nam", 3) == CONN_EINVAL);
	CHECK(valid_field_value(sort, "names", 5) == CONN_EINVAL);
	CHECK(valid_field_value(sort, "NAME", 4) == CONN_EINVAL);
	CHECK(valid_field_value(sort, "vm_name", 7) == CONN_EINVAL);
	CHECK(valid_field_value(&valid_fields[F_ORDER], "desc", 4) == 0);
	CHECK(valid_field_value(&valid_fields[F_ORDER], "up", 2) ==
	    CONN_EINVAL);
	CHECK(valid_field_value(per, "200", 3) == 0);
	CHECK(valid_field_value(per, "201", 3) == CONN_EINVAL);
	CHECK(valid_field_value(per, "1000", 4) == CONN_ETOOBIG);
	CHECK(valid_field_value(fmt, "OVA", 3) == 0);
	CHECK(valid_field_value(fmt, "ova", 3) == CONN_EINVAL);
	CHECK(valid_field_value(&valid_fields[F_PAGE], "123456789", 9) == 0);
	CHECK(valid_field_value(&valid_fields[F_PAGE], "1234567890", 10) ==
	    CONN_ETOOBIG);
	CHECK(strcmp(valid_field_hint(sort), "one of the console's own "
	    "choices") == 0);
	CHECK(strcmp(valid_field_hint(&valid_fields[F_PAGE]),
	    valid_type_hint(VT_NUMBER)) == 0);
}

TEST(query_bad_sort_not_in_list)
{
	struct req_fields fs = { .n = 0 };
	uint64_t mask = FIELD(F_SORT) | FIELD(F_ORDER) | FIELD(F_PAGE) |
	    FIELD(F_PER_PAGE);
	char why[256];

	CHECK(app_query_parse("sort=state&order=desc&page=3&per_page=50",
	    mask, &fs, why, sizeof why) == 0);
	req_fields_free(&fs);
	memset(&fs, 0, sizeof fs);
	CHECK(app_query_parse("sort=id", mask, &fs, why, sizeof why) == 400);
	CHECK(strstr(why, "Sort column: one of the console's own choices") !=
	    NULL);
	req_fields_free(&fs);
	memset(&fs, 0, sizeof fs);
	CHECK(app_query_parse("per_page=7", mask, &fs, why, sizeof why) ==
	    400);
	req_fields_free(&fs);
}

/* ---- query fields ---- */

TEST(local_path_good)
{
	CHECK(vv(VT_LOCAL_PATH, "/") == 0);
	CHECK(vv(VT_LOCAL_PATH, "/keys") == 0);
	CHECK(vv(VT_LOCAL_PATH, "/register/aws") == 0);
}

TEST(local_path_bad_other_hosts_and_shapes)
{
	static const char *const bad[] = {
		"", "keys", "//evil.example", "https://evil.example/",
		"/\\evil.example", "/keys?x=1", "/KEYS", "/a//b", "/a/../b",
		"/a b", "/%2F", "/a#b", "\\evil",
	};

	for (size_t i = 0; i < NELEM(bad); i++)
		CHECK(vv(VT_LOCAL_PATH, bad[i]) != 0);
}

TEST(number_good_and_bad)
{
	CHECK(vv(VT_NUMBER, "1") == 0);
	CHECK(vv(VT_NUMBER, "4096") == 0);
	CHECK(vv(VT_NUMBER, "0") != 0);
	CHECK(vv(VT_NUMBER, "01") != 0);
	CHECK(vv(VT_NUMBER, "-1") != 0);
	CHECK(vv(VT_NUMBER, "1e3") != 0);
	CHECK(vv(VT_NUMBER, "") != 0);
}

TEST(file_name_good_and_bad)
{
	static const char *const bad[] = {
		"", ".hidden", "..", "../state.db", "a/b", "a\\b", "a b",
		"a%2Fb", "\xc3\xa9.txt",
	};

	CHECK(vv(VT_FILE_NAME, "bundle-2026-12-02_1.tar.gz") == 0);
	for (size_t i = 0; i < NELEM(bad); i++)
		CHECK(vv(VT_FILE_NAME, bad[i]) != 0);
}

/* app_query_parse over qs with mask; its status, fs freed. */
static int
query(const char *qs, uint64_t mask, char *why, size_t whylen)
{
	struct req_fields fs = { 0 };
	int rc = app_query_parse(qs, mask, &fs, why, whylen);

	req_fields_free(&fs);
	return rc;
}

TEST(query_known_fields_ok)
{
	struct req_fields fs = { 0 };
	char why[300] = "";

	CHECK(app_query_parse("next=%2Fkeys", FIELD(F_NEXT), &fs, why,
	    sizeof why) == 0);
	CHECK(fs.n == 1 && strcmp(fs.f[0].value, "/keys") == 0);
	req_fields_free(&fs);
	CHECK(query(NULL, 0, why, sizeof why) == 0);
	CHECK(query("", 0, why, sizeof why) == 0);
	CHECK(query("token=12", FIELD(F_TOKEN_ID), why, sizeof why) == 0);
}

TEST(query_bad_unknown_parameter)
{
	char why[300] = "";

	CHECK(query("debug=1", FIELD(F_NEXT), why, sizeof why) == 400);
	CHECK(strstr(why, "does not accept") != NULL);
}

TEST(query_bad_field_not_in_page_mask)
{
	char why[300] = "";

	/* A known field, but this page does not take it on GET. */
	CHECK(query("password=x", FIELD(F_NEXT), why, sizeof why) == 400);
	CHECK(query("next=/keys", 0, why, sizeof why) == 400);
}

TEST(query_bad_duplicate_parameter)
{
	char why[300] = "";

	CHECK(query("next=/keys&next=/", FIELD(F_NEXT), why, sizeof why) ==
	    400);
}

TEST(query_bad_malformed)
{
	char why[300] = "";

	CHECK(query("next=%zz", FIELD(F_NEXT), why, sizeof why) == 400);
	CHECK(query("next=%00", FIELD(F_NEXT), why, sizeof why) == 400);
	CHECK(query("next", FIELD(F_NEXT), why, sizeof why) == 400);
}

TEST(query_bad_value_refused_by_type)
{
	char why[300] = "";

	CHECK(query("next=//evil.example", FIELD(F_NEXT), why, sizeof why) ==
	    400);
	CHECK(strstr(why, "Page after sign-in") != NULL);
	CHECK(query("token=abc", FIELD(F_TOKEN_ID), why, sizeof why) == 400);
}

TEST(query_bad_file_field_never)
{
	char why[300] = "";

	CHECK(query("portal_config=x", FIELD(F_PORTAL_FILE), why,
	    sizeof why) == 400);
}

int
main(void)
{
	RUN(ipv4_good);
	RUN(ipv4_bad_leading_zeros);
	RUN(ipv4_bad_part_over_255);
	RUN(ipv4_bad_part_count);
	RUN(ipv4_bad_dots);
	RUN(ipv4_bad_characters);
	RUN(hostname_good);
	RUN(hostname_bad_hyphen_at_label_edge);
	RUN(hostname_bad_empty_label);
	RUN(hostname_bad_characters);
	RUN(hostname_label_63_ok);
	RUN(hostname_bad_label_64);
	RUN(hostname_total_253_ok);
	RUN(hostname_bad_total_254);
	RUN(port_good);
	RUN(port_bad_zero);
	RUN(port_bad_over_65535);
	RUN(port_bad_sign);
	RUN(port_bad_leading_zero);
	RUN(port_bad_characters);
	RUN(value_token_good);
	RUN(value_token_bad_chars);
	RUN(value_password_good);
	RUN(value_password_bad_c0_controls);
	RUN(value_password_bad_del);
	RUN(value_password_bad_c1_controls);
	RUN(value_password_bad_nul);
	RUN(value_password_bad_utf8);
	RUN(value_setup_code_good);
	RUN(value_setup_code_bad_chars);
	RUN(value_text_good);
	RUN(value_text_bad_controls);
	RUN(value_hostname_by_type);
	RUN(value_ipv4_by_type);
	RUN(value_port_by_type);
	RUN(value_at_maxlen_ok);
	RUN(value_bad_over_maxlen);
	RUN(value_bad_over_long_field_caps);
	RUN(field_lookup_known);
	RUN(field_lookup_bad_unknown);
	RUN(field_table_complete);
	RUN(type_hints_present);
	RUN(host_port_good);
	RUN(host_port_253_characters_ok);
	RUN(host_port_bad_254_characters);
	RUN(host_port_bad_label_64);
	RUN(host_port_bad_small_buffer);
	RUN(host_port_bad_forms);
	RUN(domain_user_good);
	RUN(domain_user_bad);
	RUN(region_good_and_bad);
	RUN(syntax_region_one_checker);
	RUN(required_fields_say_what_to_do);
	RUN(access_key_and_secret);
	RUN(thumbprint_good_and_bad);
	RUN(host_list_good_and_bad);
	RUN(proxy_user_and_word);
	RUN(file_any_bytes_capped);
	RUN(peer_literal_policy);
	RUN(peer_ipv6_policy);
	RUN(soft_fields_are_the_registration_fields);
	RUN(local_path_good);
	RUN(local_path_bad_other_hosts_and_shapes);
	RUN(number_good_and_bad);
	RUN(file_name_good_and_bad);
	RUN(moref_bucket_key_task_good_and_bad);
	RUN(choices_only_the_listed_values);
	RUN(query_bad_sort_not_in_list);
	RUN(query_known_fields_ok);
	RUN(query_bad_unknown_parameter);
	RUN(query_bad_field_not_in_page_mask);
	RUN(query_bad_duplicate_parameter);
	RUN(query_bad_malformed);
	RUN(query_bad_value_refused_by_type);
	RUN(query_bad_file_field_never);
	UNIT_EXIT();
}
