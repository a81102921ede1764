/*
 * test-valid.c — the field table and the typed validators.
 */
#include <stdlib.h>
#include <string.h>

#include "../../lib/connector.h"
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
		CHECK(valid_ipv4(good[i]) == 1);
}

TEST(ipv4_bad_leading_zeros)
{
	CHECK(valid_ipv4("01.2.3.4") == 0);
	CHECK(valid_ipv4("1.2.3.04") == 0);
	CHECK(valid_ipv4("00.0.0.0") == 0);
	CHECK(valid_ipv4("1.2.010.4") == 0);
}

TEST(ipv4_bad_part_over_255)
{
	CHECK(valid_ipv4("256.1.1.1") == 0);
	CHECK(valid_ipv4("1.1.1.256") == 0);
	CHECK(valid_ipv4("999.1.1.1") == 0);
	CHECK(valid_ipv4("1000.1.1.1") == 0);
}

TEST(ipv4_bad_part_count)
{
	CHECK(valid_ipv4("1.2.3") == 0);
	CHECK(valid_ipv4("1.2.3.4.5") == 0);
	CHECK(valid_ipv4("1") == 0);
	CHECK(valid_ipv4("") == 0);
}

TEST(ipv4_bad_dots)
{
	CHECK(valid_ipv4("1.2.3.4.") == 0);
	CHECK(valid_ipv4(".1.2.3.4") == 0);
	CHECK(valid_ipv4("1..2.3") == 0);
	CHECK(valid_ipv4("1.2..3.4") == 0);
}

TEST(ipv4_bad_characters)
{
	CHECK(valid_ipv4("a.b.c.d") == 0);
	CHECK(valid_ipv4("0x1.2.3.4") == 0);
	CHECK(valid_ipv4("-1.2.3.4") == 0);
	CHECK(valid_ipv4("+1.2.3.4") == 0);
	CHECK(valid_ipv4(" 1.2.3.4") == 0);
	CHECK(valid_ipv4("1.2.3.4 ") == 0);
	CHECK(valid_ipv4("1.2.3.4/24") == 0);
	CHECK(valid_ipv4("::1") == 0);
}

/* ---- host names ---- */

TEST(hostname_good)
{
	static const char *const good[] = {
		"vcenter.example.com", "a", "a-b.c", "xn--bcher-kva.example",
		"A1.B2", "host-01", "9x",
	};

	for (size_t i = 0; i < NELEM(good); i++)
		CHECK(valid_hostname(good[i]) == 1);
}

TEST(hostname_bad_hyphen_at_label_edge)
{
	CHECK(valid_hostname("-a") == 0);
	CHECK(valid_hostname("a-") == 0);
	CHECK(valid_hostname("a.-b.c") == 0);
	CHECK(valid_hostname("a.b-.c") == 0);
	CHECK(valid_hostname("-") == 0);
}

TEST(hostname_bad_empty_label)
{
	CHECK(valid_hostname("") == 0);
	CHECK(valid_hostname(".") == 0);
	CHECK(valid_hostname(".a") == 0);
	CHECK(valid_hostname("a.") == 0);
	CHECK(valid_hostname("a..b") == 0);
}

TEST(hostname_bad_characters)
{
	CHECK(valid_hostname("a_b") == 0);
	CHECK(valid_hostname("a b") == 0);
	CHECK(valid_hostname("b\xc3\xbc" "cher.example") == 0);
	CHECK(valid_hostname("a:80") == 0);
	CHECK(valid_hostname("a/b") == 0);
	CHECK(valid_hostname("*.example.com") == 0);
}

TEST(hostname_label_63_ok)
{
	size_t l[] = { 63, 3 };
	char *h = host_of(l, 2);
	int ok;

	CHECK(h != NULL && strlen(h) == 67);
	ok = valid_hostname(h);
	free(h);
	CHECK(ok == 1);
}

TEST(hostname_bad_label_64)
{
	size_t l[] = { 3, 64, 3 };
	char *h = host_of(l, 3);
	int ok;

	CHECK(h != NULL);
	ok = valid_hostname(h);
	free(h);
	CHECK(ok == 0);
}

TEST(hostname_total_253_ok)
{
	size_t l[] = { 63, 63, 63, 61 };
	char *h = host_of(l, 4);
	int ok;

	CHECK(h != NULL && strlen(h) == 253);
	ok = valid_hostname(h);
	free(h);
	CHECK(ok == 1);
}

TEST(hostname_bad_total_254)
{
	size_t l[] = { 63, 63, 63, 62 };
	char *h = host_of(l, 4);
	int ok;

	CHECK(h != NULL && strlen(h) == 254);
	ok = valid_hostname(h);
	free(h);
	CHECK(ok == 0);
}

/* ---- ports ---- */

TEST(port_good)
{
	CHECK(valid_port("1") == 1);
	CHECK(valid_port("443") == 1);
	CHECK(valid_port("8443") == 1);
	CHECK(valid_port("65535") == 1);
}

TEST(port_bad_zero)
{
	CHECK(valid_port("0") == 0);
	CHECK(valid_port("00000") == 0);
}

TEST(port_bad_over_65535)
{
	CHECK(valid_port("65536") == 0);
	CHECK(valid_port("99999") == 0);
	CHECK(valid_port("100000") == 0);
	CHECK(valid_port("4294967297") == 0);
}

TEST(port_bad_sign)
{
	CHECK(valid_port("+1") == 0);
	CHECK(valid_port("-1") == 0);
}

TEST(port_bad_leading_zero)
{
	CHECK(valid_port("01") == 0);
	CHECK(valid_port("0443") == 0);
}

TEST(port_bad_characters)
{
	CHECK(valid_port("") == 0);
	CHECK(valid_port(" 1") == 0);
	CHECK(valid_port("1 ") == 0);
	CHECK(valid_port("8o") == 0);
	CHECK(valid_port("0x10") == 0);
	CHECK(valid_port("1e3") == 0);
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
	    VT_TEXT, VT_HOSTNAME, VT_IPV4, VT_PORT };

	for (size_t i = 0; i < NELEM(t); i++)
		CHECK(strlen(valid_type_hint(t[i])) > 0);
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
	UNIT_EXIT();
}
