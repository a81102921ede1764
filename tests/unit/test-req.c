/*
 * test-req.c — the request body and cookie parsers: urlencoded,
 * multipart/form-data, dispatch by Content-Type, the Cookie header.
 */
#include <stdlib.h>
#include <string.h>

#include "../../lib/core.h"
#include "../../lib/domain.h"
#include "unit.h"

#define CT "multipart/form-data; boundary=XyZ"

/* Parse a NUL-terminated urlencoded body with the default limits. */
static int
ue(const char *body, struct req_fields *fs)
{
	return req_parse_urlencoded(body, strlen(body), &req_default_limits,
	    fs);
}

/* Parse a multipart body of len bytes (it may hold NULs). */
static int
mp(const char *ctype, const char *body, size_t len, struct req_fields *fs)
{
	return req_parse_multipart(ctype, body, len, &req_default_limits, fs);
}

/* Parse a NUL-terminated multipart body with boundary XyZ. */
static int
mps(const char *body, struct req_fields *fs)
{
	return mp(CT, body, strlen(body), fs);
}

/* A malloc'd string of n copies of c. */
static char *
repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	if (s != NULL) {
		memset(s, c, n);
		s[n] = '\0';
	}
	return s;
}

/* ---- urlencoded ---- */

TEST(urlencoded_two_fields)
{
	struct req_fields fs;
	const struct req_field *f;

	CHECK(ue("a=1&bb=two", &fs) == 0);
	CHECK(fs.n == 2);
	CHECK((f = req_fields_get(&fs, "a")) != NULL);
	CHECK(strcmp(f->value, "1") == 0 && f->value_len == 1);
	CHECK(f->filename == NULL && f->ctype == NULL);
	CHECK((f = req_fields_get(&fs, "bb")) != NULL);
	CHECK(strcmp(f->value, "two") == 0 && f->value_len == 3);
	CHECK(req_fields_get(&fs, "c") == NULL);
	req_fields_free(&fs);
	CHECK(fs.n == 0);
}

TEST(urlencoded_plus_and_escapes_decode)
{
	struct req_fields fs;
	const struct req_field *f;

	CHECK(ue("msg=a+b%2Bc%3d%26%e2%82%AC", &fs) == 0);
	CHECK((f = req_fields_get(&fs, "msg")) != NULL);
	CHECK(strcmp(f->value, "a b+c=&\xe2\x82\xac") == 0);
	CHECK(f->value_len == 10);
	req_fields_free(&fs);
}

TEST(urlencoded_escaped_name_decodes)
{
	struct req_fields fs;

	CHECK(ue("pass%77ord=x", &fs) == 0);
	CHECK(req_fields_get(&fs, "password") != NULL);
	req_fields_free(&fs);
}

TEST(urlencoded_empty_body_is_no_fields)
{
	struct req_fields fs;

	CHECK(req_parse_urlencoded("", 0, &req_default_limits, &fs) == 0);
	CHECK(fs.n == 0);
	req_fields_free(&fs);
}

TEST(urlencoded_empty_value_ok)
{
	struct req_fields fs;
	const struct req_field *f;

	CHECK(ue("a=&b=2", &fs) == 0);
	CHECK((f = req_fields_get(&fs, "a")) != NULL);
	CHECK(f->value_len == 0 && f->value[0] == '\0');
	req_fields_free(&fs);
}

TEST(urlencoded_only_length_bytes_read)
{
	struct req_fields fs;
	const struct req_field *f;

	CHECK(req_parse_urlencoded("a=12&b=3", 4, &req_default_limits,
	    &fs) == 0);
	CHECK(fs.n == 1);
	CHECK((f = req_fields_get(&fs, "a")) != NULL);
	CHECK(strcmp(f->value, "12") == 0);
	req_fields_free(&fs);
}

TEST(urlencoded_bad_missing_equals)
{
	struct req_fields fs;

	CHECK(ue("a", &fs) == REQ_PE_SYNTAX);
	CHECK(fs.n == 0);
	CHECK(ue("a=1&b", &fs) == REQ_PE_SYNTAX);
	CHECK(fs.n == 0);
}

TEST(urlencoded_bad_empty_name)
{
	struct req_fields fs;

	CHECK(ue("=1", &fs) == REQ_PE_SYNTAX);
	CHECK(fs.n == 0);
}

TEST(urlencoded_bad_empty_segment)
{
	struct req_fields fs;

	CHECK(ue("a=1&&b=2", &fs) == REQ_PE_SYNTAX);
	CHECK(fs.n == 0);
}

TEST(urlencoded_bad_trailing_ampersand)
{
	struct req_fields fs;

	CHECK(ue("a=1&", &fs) == REQ_PE_SYNTAX);
	CHECK(fs.n == 0);
}

TEST(urlencoded_bad_leading_ampersand)
{
	struct req_fields fs;

	CHECK(ue("&a=1", &fs) == REQ_PE_SYNTAX);
	CHECK(fs.n == 0);
}

TEST(urlencoded_bad_escape_percent_alone)
{
	struct req_fields fs;

	CHECK(ue("a=%", &fs) == REQ_PE_SYNTAX);
	CHECK(ue("a=1%&b=2", &fs) == REQ_PE_SYNTAX);
	CHECK(fs.n == 0);
}

TEST(urlencoded_bad_escape_one_digit)
{
	struct req_fields fs;

	CHECK(ue("a=%4", &fs) == REQ_PE_SYNTAX);
	CHECK(ue("a=%4&b=2", &fs) == REQ_PE_SYNTAX);
	CHECK(fs.n == 0);
}

TEST(urlencoded_bad_escape_not_hex)
{
	struct req_fields fs;

	CHECK(ue("a=%zz", &fs) == REQ_PE_SYNTAX);
	CHECK(ue("a=%4g", &fs) == REQ_PE_SYNTAX);
	CHECK(ue("a%zz=1", &fs) == REQ_PE_SYNTAX);
	CHECK(fs.n == 0);
}

TEST(urlencoded_bad_nul_in_value)
{
	struct req_fields fs;

	CHECK(ue("a=x%00y", &fs) == REQ_PE_NUL);
	CHECK(fs.n == 0);
}

TEST(urlencoded_bad_nul_in_name)
{
	struct req_fields fs;

	CHECK(ue("a%00b=1", &fs) == REQ_PE_NUL);
	CHECK(fs.n == 0);
}

TEST(urlencoded_bad_raw_nul_in_value)
{
	struct req_fields fs;

	CHECK(req_parse_urlencoded("a=x\0y", 5, &req_default_limits,
	    &fs) == REQ_PE_NUL);
	CHECK(fs.n == 0);
}

TEST(urlencoded_utf8_value_ok)
{
	struct req_fields fs;

	CHECK(ue("a=%F0%9F%94%91%C3%A9", &fs) == 0);
	CHECK(fs.f[0].value_len == 6);
	req_fields_free(&fs);
}

TEST(urlencoded_bad_utf8_overlong)
{
	struct req_fields fs;

	CHECK(ue("a=%C0%80", &fs) == REQ_PE_UTF8);
	CHECK(ue("a=%E0%80%AF", &fs) == REQ_PE_UTF8);
	CHECK(fs.n == 0);
}

TEST(urlencoded_bad_utf8_surrogate)
{
	struct req_fields fs;

	CHECK(ue("a=%ED%A0%80", &fs) == REQ_PE_UTF8);
	CHECK(fs.n == 0);
}

TEST(urlencoded_bad_utf8_above_max)
{
	struct req_fields fs;

	CHECK(ue("a=%F5%80%80%80", &fs) == REQ_PE_UTF8);
	CHECK(ue("a=%F4%90%80%80", &fs) == REQ_PE_UTF8);
	CHECK(ue("a=%FF", &fs) == REQ_PE_UTF8);
	CHECK(fs.n == 0);
}

TEST(urlencoded_bad_utf8_truncated)
{
	struct req_fields fs;

	CHECK(ue("a=%E2%82", &fs) == REQ_PE_UTF8);
	CHECK(ue("a=%F0%9F%94", &fs) == REQ_PE_UTF8);
	CHECK(ue("a=%C3", &fs) == REQ_PE_UTF8);
	CHECK(ue("a=%C3&b=1", &fs) == REQ_PE_UTF8);
	CHECK(fs.n == 0);
}

TEST(urlencoded_bad_utf8_lone_continuation)
{
	struct req_fields fs;

	CHECK(ue("a=%80", &fs) == REQ_PE_UTF8);
	CHECK(fs.n == 0);
}

TEST(urlencoded_bad_duplicate_name)
{
	struct req_fields fs;

	CHECK(ue("a=1&b=2&a=3", &fs) == REQ_PE_DUP);
	CHECK(fs.n == 0);
}

TEST(urlencoded_bad_duplicate_name_by_escape)
{
	struct req_fields fs;

	CHECK(ue("a=1&%61=2", &fs) == REQ_PE_DUP);
	CHECK(fs.n == 0);
}

TEST(urlencoded_max_fields_ok)
{
	struct req_fields fs;
	struct buf b = { 0 };

	for (int i = 0; i < REQ_MAX_FIELDS; i++)
		buf_addf(&b, "%sf%d=%d", i ? "&" : "", i, i);
	CHECK(ue(b.data, &fs) == 0);
	buf_free(&b);
	CHECK(fs.n == REQ_MAX_FIELDS);
	req_fields_free(&fs);
}

TEST(urlencoded_bad_too_many_fields)
{
	struct req_fields fs;
	struct buf b = { 0 };
	int rc;

	for (int i = 0; i <= REQ_MAX_FIELDS; i++)
		buf_addf(&b, "%sf%d=%d", i ? "&" : "", i, i);
	rc = ue(b.data, &fs);
	buf_free(&b);
	CHECK(rc == REQ_PE_COUNT);
	CHECK(fs.n == 0);
}

TEST(urlencoded_bad_too_many_fields_custom_limit)
{
	struct req_limits lim = req_default_limits;
	struct req_fields fs;

	lim.max_fields = 2;
	CHECK(req_parse_urlencoded("a=1&b=2", 7, &lim, &fs) == 0);
	req_fields_free(&fs);
	CHECK(req_parse_urlencoded("a=1&b=2&c=3", 11, &lim, &fs) ==
	    REQ_PE_COUNT);
	CHECK(fs.n == 0);
}

TEST(urlencoded_name_at_cap_ok)
{
	struct req_fields fs;
	struct buf b = { 0 };
	char *n = repeat('n', REQ_MAX_NAME);
	int rc;

	CHECK(n != NULL);
	buf_addf(&b, "%s=1", n);
	rc = ue(b.data, &fs);
	buf_free(&b);
	if (rc == 0)
		rc = req_fields_get(&fs, n) == NULL;
	free(n);
	req_fields_free(&fs);
	CHECK(rc == 0);
}

TEST(urlencoded_bad_name_over_cap)
{
	struct req_fields fs;
	struct buf b = { 0 };
	char *n = repeat('n', REQ_MAX_NAME + 1);
	int rc;

	CHECK(n != NULL);
	buf_addf(&b, "%s=1", n);
	free(n);
	rc = ue(b.data, &fs);
	buf_free(&b);
	CHECK(rc == REQ_PE_LONG);
	CHECK(fs.n == 0);
}

TEST(urlencoded_bad_name_over_cap_escaped)
{
	struct req_fields fs;
	struct buf b = { 0 };
	int rc;

	for (int i = 0; i < REQ_MAX_NAME + 1; i++)
		buf_adds(&b, "%6e");
	buf_adds(&b, "=1");
	rc = ue(b.data, &fs);
	buf_free(&b);
	CHECK(rc == REQ_PE_LONG);
	CHECK(fs.n == 0);
}

TEST(urlencoded_value_at_cap_ok)
{
	struct req_fields fs;
	struct buf b = { 0 };
	char *v = repeat('v', REQ_MAX_VALUE);
	int rc;

	CHECK(v != NULL);
	buf_addf(&b, "a=%s", v);
	free(v);
	rc = ue(b.data, &fs);
	buf_free(&b);
	CHECK(rc == 0);
	CHECK(fs.n == 1 && fs.f[0].value_len == REQ_MAX_VALUE);
	req_fields_free(&fs);
}

TEST(urlencoded_value_at_cap_escaped_ok)
{
	struct req_fields fs;
	struct buf b = { 0 };
	int rc;

	buf_adds(&b, "a=");
	for (int i = 0; i < REQ_MAX_VALUE; i++)
		buf_adds(&b, "%41");
	rc = ue(b.data, &fs);
	buf_free(&b);
	CHECK(rc == 0);
	CHECK(fs.n == 1 && fs.f[0].value_len == REQ_MAX_VALUE);
	req_fields_free(&fs);
}

TEST(urlencoded_bad_value_over_cap)
{
	struct req_fields fs;
	struct buf b = { 0 };
	char *v = repeat('v', REQ_MAX_VALUE + 1);
	int rc;

	CHECK(v != NULL);
	buf_addf(&b, "a=%s", v);
	free(v);
	rc = ue(b.data, &fs);
	buf_free(&b);
	CHECK(rc == REQ_PE_LONG);
	CHECK(fs.n == 0);
}

TEST(urlencoded_bad_value_over_cap_escaped)
{
	struct req_fields fs;
	struct buf b = { 0 };
	int rc;

	buf_adds(&b, "a=");
	for (int i = 0; i < REQ_MAX_VALUE + 1; i++)
		buf_adds(&b, "%41");
	rc = ue(b.data, &fs);
	buf_free(&b);
	CHECK(rc == REQ_PE_LONG);
	CHECK(fs.n == 0);
}

TEST(urlencoded_name_chars_ok)
{
	struct req_fields fs;

	CHECK(ue("A-z_0.9=1", &fs) == 0);
	CHECK(req_fields_get(&fs, "A-z_0.9") != NULL);
	req_fields_free(&fs);
}

TEST(urlencoded_bad_name_chars)
{
	static const char *const bad[] = {
		"a b=1", "a+b=1", "a%20b=1", "a/b=1", "a[]=1", "a%3Cb=1",
		"%C3%A9=1", "a;b=1", "a\"=1",
	};
	struct req_fields fs;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK(ue(bad[i], &fs) == REQ_PE_SYNTAX);
		CHECK(fs.n == 0);
	}
}

TEST(urlencoded_bad_later_field_frees_earlier)
{
	struct req_fields fs;

	/* Under valgrind this also shows the earlier fields are freed. */
	CHECK(ue("a=1&b=2&c=%zz", &fs) == REQ_PE_SYNTAX);
	CHECK(fs.n == 0);
	CHECK(fs.f[0].name == NULL && fs.f[0].value == NULL);
}

/* ---- multipart ---- */

TEST(multipart_text_and_file_parts)
{
	static const char body[] =
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"csrf\"\r\n"
	    "\r\n"
	    "tok\r\n"
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"upload\"; "
	    "filename=\"a.txt\"\r\n"
	    "Content-Type: text/plain\r\n"
	    "\r\n"
	    "line1\r\nline2\r\n"
	    "--XyZ--\r\n";
	struct req_fields fs;
	const struct req_field *f;

	CHECK(mps(body, &fs) == 0);
	CHECK(fs.n == 2);
	CHECK((f = req_fields_get(&fs, "csrf")) != NULL);
	CHECK(strcmp(f->value, "tok") == 0 && f->value_len == 3);
	CHECK(f->filename == NULL && f->ctype == NULL);
	CHECK((f = req_fields_get(&fs, "upload")) != NULL);
	CHECK(f->value_len == 12);
	CHECK(memcmp(f->value, "line1\r\nline2", 12) == 0);
	CHECK(f->value[12] == '\0');
	CHECK(f->filename != NULL && strcmp(f->filename, "a.txt") == 0);
	CHECK(f->ctype != NULL && strcmp(f->ctype, "text/plain") == 0);
	req_fields_free(&fs);
}

TEST(multipart_quoted_boundary)
{
	static const char body[] =
	    "--a b'c\r\n"
	    "Content-Disposition: form-data; name=x\r\n"
	    "\r\n"
	    "1\r\n"
	    "--a b'c--";
	struct req_fields fs;

	CHECK(mp("multipart/form-data; boundary=\"a b'c\"", body,
	    strlen(body), &fs) == 0);
	CHECK(fs.n == 1 && strcmp(fs.f[0].value, "1") == 0);
	req_fields_free(&fs);
}

TEST(multipart_unquoted_boundary_with_charset)
{
	static const char body[] =
	    "------b0undary\r\n"
	    "Content-Disposition: form-data; name=x\r\n"
	    "\r\n"
	    "1\r\n"
	    "------b0undary--";
	struct req_fields fs;

	CHECK(mp("Multipart/Form-Data; charset=utf-8; BOUNDARY=----b0undary",
	    body, strlen(body), &fs) == 0);
	CHECK(fs.n == 1 && strcmp(fs.f[0].name, "x") == 0);
	req_fields_free(&fs);
}

TEST(multipart_empty_form_ok)
{
	struct req_fields fs;

	CHECK(mps("--XyZ--\r\n", &fs) == 0);
	CHECK(fs.n == 0);
}

TEST(multipart_empty_value_ok)
{
	static const char body[] =
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"a\"\r\n"
	    "\r\n"
	    "\r\n"
	    "--XyZ--";
	struct req_fields fs;

	CHECK(mps(body, &fs) == 0);
	CHECK(fs.n == 1 && fs.f[0].value_len == 0);
	req_fields_free(&fs);
}

TEST(multipart_bad_missing_boundary)
{
	struct req_fields fs;

	CHECK(mp("multipart/form-data", "--XyZ--", 7, &fs) == REQ_PE_SYNTAX);
	CHECK(mp("multipart/form-data; charset=utf-8", "--XyZ--", 7, &fs) ==
	    REQ_PE_SYNTAX);
	CHECK(fs.n == 0);
}

TEST(multipart_bad_empty_boundary)
{
	struct req_fields fs;

	CHECK(mp("multipart/form-data; boundary=", "----", 4, &fs) ==
	    REQ_PE_SYNTAX);
	CHECK(mp("multipart/form-data; boundary=\"\"", "----", 4, &fs) ==
	    REQ_PE_SYNTAX);
	CHECK(fs.n == 0);
}

TEST(multipart_boundary_70_ok)
{
	struct req_fields fs;
	struct buf ct = { 0 }, body = { 0 };
	char *b = repeat('b', 70);
	int rc;

	CHECK(b != NULL);
	buf_addf(&ct, "multipart/form-data; boundary=%s", b);
	buf_addf(&body, "--%s\r\nContent-Disposition: form-data; name=x\r\n"
	    "\r\nv\r\n--%s--", b, b);
	free(b);
	rc = mp(ct.data, body.data, body.len, &fs);
	buf_free(&ct);
	buf_free(&body);
	CHECK(rc == 0);
	CHECK(fs.n == 1);
	req_fields_free(&fs);
}

TEST(multipart_bad_boundary_over_70)
{
	struct req_fields fs;
	struct buf ct = { 0 }, body = { 0 };
	char *b = repeat('b', 71);
	int rc;

	CHECK(b != NULL);
	buf_addf(&ct, "multipart/form-data; boundary=%s", b);
	buf_addf(&body, "--%s\r\nContent-Disposition: form-data; name=x\r\n"
	    "\r\nv\r\n--%s--", b, b);
	free(b);
	rc = mp(ct.data, body.data, body.len, &fs);
	buf_free(&ct);
	buf_free(&body);
	CHECK(rc == REQ_PE_SYNTAX);
	CHECK(fs.n == 0);
}

TEST(multipart_bad_boundary_control_char)
{
	struct req_fields fs;

	CHECK(mp("multipart/form-data; boundary=\"a\tb\"", "--a\tb--", 7,
	    &fs) == REQ_PE_SYNTAX);
	CHECK(fs.n == 0);
}

TEST(multipart_bad_media_type_lookalike)
{
	struct req_fields fs;

	CHECK(mp("multipart/form-dataX; boundary=XyZ", "--XyZ--", 7, &fs) ==
	    REQ_PE_SYNTAX);
	CHECK(mp("multipart/mixed; boundary=XyZ", "--XyZ--", 7, &fs) ==
	    REQ_PE_SYNTAX);
	CHECK(fs.n == 0);
}

TEST(multipart_bad_body_not_starting_with_delimiter)
{
	static const char body[] =
	    "preamble\r\n--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"a\"\r\n"
	    "\r\n"
	    "1\r\n"
	    "--XyZ--";
	struct req_fields fs;

	CHECK(mps(body, &fs) == REQ_PE_SYNTAX);
	CHECK(mps("--XyY--", &fs) == REQ_PE_SYNTAX);
	CHECK(mps("", &fs) == REQ_PE_SYNTAX);
	CHECK(fs.n == 0);
}

TEST(multipart_bad_missing_final_delimiter)
{
	static const char body[] =
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"a\"\r\n"
	    "\r\n"
	    "1\r\n";
	struct req_fields fs;

	CHECK(mps(body, &fs) == REQ_PE_SYNTAX);
	CHECK(fs.n == 0);
}

TEST(multipart_bad_delimiter_without_dashes_at_end)
{
	static const char body[] =
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"a\"\r\n"
	    "\r\n"
	    "1\r\n"
	    "--XyZ";
	struct req_fields fs;

	CHECK(mps(body, &fs) == REQ_PE_SYNTAX);
	CHECK(fs.n == 0);
}

TEST(multipart_bad_garbage_after_delimiter)
{
	static const char body[] =
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"a\"\r\n"
	    "\r\n"
	    "1\r\n"
	    "--XyZjunk\r\n"
	    "Content-Disposition: form-data; name=\"b\"\r\n"
	    "\r\n"
	    "2\r\n"
	    "--XyZ--";
	struct req_fields fs;

	CHECK(mps(body, &fs) == REQ_PE_SYNTAX);
	CHECK(fs.n == 0);
}

TEST(multipart_bad_missing_header_end)
{
	static const char body[] =
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"a\"\r\n"
	    "1\r\n"
	    "--XyZ--";
	struct req_fields fs;

	CHECK(mps(body, &fs) == REQ_PE_SYNTAX);
	CHECK(fs.n == 0);
}

TEST(multipart_bad_part_without_disposition)
{
	static const char body[] =
	    "--XyZ\r\n"
	    "Content-Type: text/plain\r\n"
	    "\r\n"
	    "1\r\n"
	    "--XyZ--";
	struct req_fields fs;

	CHECK(mps(body, &fs) == REQ_PE_SYNTAX);
	CHECK(fs.n == 0);
}

TEST(multipart_bad_part_without_name)
{
	static const char body[] =
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; filename=\"a.txt\"\r\n"
	    "\r\n"
	    "1\r\n"
	    "--XyZ--";
	struct req_fields fs;

	CHECK(mps(body, &fs) == REQ_PE_SYNTAX);
	CHECK(fs.n == 0);
}

TEST(multipart_bad_disposition_not_form_data)
{
	static const char body[] =
	    "--XyZ\r\n"
	    "Content-Disposition: attachment; name=\"a\"\r\n"
	    "\r\n"
	    "1\r\n"
	    "--XyZ--";
	struct req_fields fs;

	CHECK(mps(body, &fs) == REQ_PE_SYNTAX);
	CHECK(fs.n == 0);
}

TEST(multipart_bad_name_from_inside_filename)
{
	/* A "name=" inside the quoted filename is not the part's name. */
	static const char body[] =
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; filename=\"x; name=csrf; y\"\r\n"
	    "\r\n"
	    "1\r\n"
	    "--XyZ--";
	struct req_fields fs;

	CHECK(mps(body, &fs) == REQ_PE_SYNTAX);
	CHECK(fs.n == 0);
}

TEST(multipart_name_after_filename_with_semicolon)
{
	static const char body[] =
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; filename=\"x; name=csrf; y\"; "
	    "name=\"up\"\r\n"
	    "\r\n"
	    "1\r\n"
	    "--XyZ--";
	struct req_fields fs;

	CHECK(mps(body, &fs) == 0);
	CHECK(fs.n == 1);
	CHECK(strcmp(fs.f[0].name, "up") == 0);
	CHECK(strcmp(fs.f[0].filename, "x; name=csrf; y") == 0);
	req_fields_free(&fs);
}

TEST(multipart_bad_duplicate_part_names)
{
	static const char body[] =
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"a\"\r\n"
	    "\r\n"
	    "1\r\n"
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"a\"\r\n"
	    "\r\n"
	    "2\r\n"
	    "--XyZ--";
	struct req_fields fs;

	CHECK(mps(body, &fs) == REQ_PE_DUP);
	CHECK(fs.n == 0);
}

TEST(multipart_bad_part_name_chars)
{
	static const char body[] =
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"a b\"\r\n"
	    "\r\n"
	    "1\r\n"
	    "--XyZ--";
	struct req_fields fs;

	CHECK(mps(body, &fs) == REQ_PE_SYNTAX);
	CHECK(fs.n == 0);
}

TEST(multipart_bad_too_many_parts)
{
	struct req_fields fs;
	struct buf b = { 0 };
	int rc;

	for (int i = 0; i <= REQ_MAX_FIELDS; i++)
		buf_addf(&b, "--XyZ\r\nContent-Disposition: form-data; "
		    "name=\"f%d\"\r\n\r\n%d\r\n", i, i);
	buf_adds(&b, "--XyZ--");
	rc = mp(CT, b.data, b.len, &fs);
	buf_free(&b);
	CHECK(rc == REQ_PE_COUNT);
	CHECK(fs.n == 0);
}

TEST(multipart_file_part_at_max_file_ok)
{
	struct req_limits lim = req_default_limits;
	static const char body[] =
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"f\"; filename=\"a\"\r\n"
	    "\r\n"
	    "12345678\r\n"
	    "--XyZ--";
	struct req_fields fs;

	lim.max_file = 8;
	CHECK(req_parse_multipart(CT, body, strlen(body), &lim, &fs) == 0);
	CHECK(fs.n == 1 && fs.f[0].value_len == 8);
	req_fields_free(&fs);
}

TEST(multipart_bad_file_part_over_max_file)
{
	struct req_limits lim = req_default_limits;
	static const char body[] =
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"f\"; filename=\"a\"\r\n"
	    "\r\n"
	    "123456789\r\n"
	    "--XyZ--";
	struct req_fields fs;

	lim.max_file = 8;
	CHECK(req_parse_multipart(CT, body, strlen(body), &lim, &fs) ==
	    REQ_PE_LONG);
	CHECK(fs.n == 0);
}

TEST(multipart_bad_text_part_over_max_value)
{
	struct req_limits lim = req_default_limits;
	static const char body[] =
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"t\"\r\n"
	    "\r\n"
	    "123456789\r\n"
	    "--XyZ--";
	struct req_fields fs;

	lim.max_value = 8;
	CHECK(req_parse_multipart(CT, body, strlen(body), &lim, &fs) ==
	    REQ_PE_LONG);
	CHECK(fs.n == 0);
}

TEST(multipart_filename_reduced_to_last_component)
{
	static const char body[] =
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"a\"; "
	    "filename=\"../../etc/passwd\"\r\n"
	    "\r\n"
	    "x\r\n"
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"b\"; "
	    "filename=\"C:\\Users\\me\\cert.pem\"\r\n"
	    "\r\n"
	    "y\r\n"
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"c\"; "
	    "filename=\"/abs/dir\\mixed/k.key\"\r\n"
	    "\r\n"
	    "z\r\n"
	    "--XyZ--";
	struct req_fields fs;
	const struct req_field *f;

	CHECK(mps(body, &fs) == 0);
	CHECK((f = req_fields_get(&fs, "a")) != NULL);
	CHECK(strcmp(f->filename, "passwd") == 0);
	CHECK((f = req_fields_get(&fs, "b")) != NULL);
	CHECK(strcmp(f->filename, "cert.pem") == 0);
	CHECK((f = req_fields_get(&fs, "c")) != NULL);
	CHECK(strcmp(f->filename, "k.key") == 0);
	req_fields_free(&fs);
}

TEST(multipart_bad_nul_in_text_part)
{
	static const char body[] =
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"a\"\r\n"
	    "\r\n"
	    "x\0y\r\n"
	    "--XyZ--";
	struct req_fields fs;

	CHECK(mp(CT, body, sizeof body - 1, &fs) == REQ_PE_NUL);
	CHECK(fs.n == 0);
}

TEST(multipart_nul_in_file_part_ok)
{
	static const char body[] =
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"a\"; filename=\"b.bin\"\r\n"
	    "Content-Type: application/octet-stream\r\n"
	    "\r\n"
	    "x\0\xff\xfe\r\n"
	    "--XyZ--";
	struct req_fields fs;

	CHECK(mp(CT, body, sizeof body - 1, &fs) == 0);
	CHECK(fs.n == 1 && fs.f[0].value_len == 4);
	CHECK(memcmp(fs.f[0].value, "x\0\xff\xfe", 4) == 0);
	req_fields_free(&fs);
}

TEST(multipart_bad_utf8_in_text_part)
{
	static const char body[] =
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"a\"\r\n"
	    "\r\n"
	    "\xc0\x80\r\n"
	    "--XyZ--";
	struct req_fields fs;

	CHECK(mps(body, &fs) == REQ_PE_UTF8);
	CHECK(fs.n == 0);
}

TEST(multipart_bad_nul_in_part_header)
{
	static const char body[] =
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"a\"\r\n"
	    "X-Other: a\0b\r\n"
	    "\r\n"
	    "1\r\n"
	    "--XyZ--";
	struct req_fields fs;

	/* Under valgrind this also shows the part's name is freed. */
	CHECK(mp(CT, body, sizeof body - 1, &fs) == REQ_PE_SYNTAX);
	CHECK(fs.n == 0);
}

TEST(multipart_header_block_under_2k_ok)
{
	struct req_fields fs;
	struct buf b = { 0 };
	char *pad = repeat('p', 1900);
	int rc;

	CHECK(pad != NULL);
	buf_addf(&b, "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n"
	    "X-Pad: %s\r\n\r\n1\r\n--XyZ--", pad);
	free(pad);
	rc = mp(CT, b.data, b.len, &fs);
	buf_free(&b);
	CHECK(rc == 0);
	CHECK(fs.n == 1);
	req_fields_free(&fs);
}

TEST(multipart_bad_header_block_over_2k)
{
	struct req_fields fs;
	struct buf b = { 0 };
	char *pad = repeat('p', 2100);
	int rc;

	CHECK(pad != NULL);
	buf_addf(&b, "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n"
	    "X-Pad: %s\r\n\r\n1\r\n--XyZ--", pad);
	free(pad);
	rc = mp(CT, b.data, b.len, &fs);
	buf_free(&b);
	CHECK(rc == REQ_PE_SYNTAX);
	CHECK(fs.n == 0);
}

TEST(multipart_value_may_contain_boundary_text)
{
	static const char body[] =
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"a\"\r\n"
	    "\r\n"
	    "--XyZ in the middle\r\n"
	    "--XyZ--";
	struct req_fields fs;

	CHECK(mps(body, &fs) == 0);
	CHECK(fs.n == 1 && strcmp(fs.f[0].value, "--XyZ in the middle") == 0);
	req_fields_free(&fs);
}

/* ---- dispatch ---- */

TEST(body_urlencoded_dispatch)
{
	struct req_fields fs;

	CHECK(req_parse_body("application/x-www-form-urlencoded", "a=1", 3,
	    &req_default_limits, &fs) == 0);
	CHECK(fs.n == 1);
	req_fields_free(&fs);
}

TEST(body_urlencoded_with_charset_ok)
{
	struct req_fields fs;

	CHECK(req_parse_body("application/x-www-form-urlencoded; "
	    "charset=UTF-8", "a=1", 3, &req_default_limits, &fs) == 0);
	CHECK(fs.n == 1);
	req_fields_free(&fs);
	CHECK(req_parse_body("Application/X-WWW-Form-Urlencoded;charset=utf-8",
	    "a=1", 3, &req_default_limits, &fs) == 0);
	CHECK(fs.n == 1);
	req_fields_free(&fs);
}

TEST(body_multipart_dispatch)
{
	static const char body[] =
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"a\"\r\n"
	    "\r\n"
	    "1\r\n"
	    "--XyZ--";
	struct req_fields fs;

	CHECK(req_parse_body(CT, body, strlen(body), &req_default_limits,
	    &fs) == 0);
	CHECK(fs.n == 1);
	req_fields_free(&fs);
}

TEST(body_bad_unknown_type)
{
	struct req_fields fs;

	CHECK(req_parse_body("text/plain", "a=1", 3, &req_default_limits,
	    &fs) == REQ_PE_SYNTAX);
	CHECK(req_parse_body("application/json", "{}", 2, &req_default_limits,
	    &fs) == REQ_PE_SYNTAX);
	CHECK(fs.n == 0);
}

TEST(body_bad_urlencoded_lookalike_type)
{
	struct req_fields fs;

	CHECK(req_parse_body("application/x-www-form-urlencodedX", "a=1", 3,
	    &req_default_limits, &fs) == REQ_PE_SYNTAX);
	CHECK(fs.n == 0);
}

TEST(body_no_type_empty_ok)
{
	struct req_fields fs;

	CHECK(req_parse_body(NULL, "", 0, &req_default_limits, &fs) == 0);
	CHECK(fs.n == 0);
}

TEST(body_bad_no_type_with_body)
{
	struct req_fields fs;

	CHECK(req_parse_body(NULL, "a=1", 3, &req_default_limits, &fs) ==
	    REQ_PE_SYNTAX);
	CHECK(fs.n == 0);
}

TEST(perr_strings_distinct)
{
	int codes[] = { REQ_PE_SYNTAX, REQ_PE_NUL, REQ_PE_UTF8, REQ_PE_DUP,
	    REQ_PE_COUNT, REQ_PE_LONG };

	for (size_t i = 0; i < 6; i++) {
		CHECK(req_perr_string(codes[i]) != NULL);
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(req_perr_string(codes[i]),
			    req_perr_string(codes[j])) != 0);
	}
}

/* ---- cookies ---- */

TEST(cookie_found)
{
	char v[64];

	CHECK(req_cookie("a=1; __Host-connector=tok123; b=2",
	    "__Host-connector", v, sizeof v) == 0);
	CHECK(strcmp(v, "tok123") == 0);
}

TEST(cookie_found_first_and_last)
{
	char v[64];

	CHECK(req_cookie("k=first; z=2", "k", v, sizeof v) == 0);
	CHECK(strcmp(v, "first") == 0);
	CHECK(req_cookie("z=2;k=last", "k", v, sizeof v) == 0);
	CHECK(strcmp(v, "last") == 0);
}

TEST(cookie_empty_value)
{
	char v[8] = "x";

	CHECK(req_cookie("a=; b=2", "a", v, sizeof v) == 0);
	CHECK(v[0] == '\0');
}

TEST(cookie_bad_absent)
{
	char v[64];

	CHECK(req_cookie("a=1; b=2", "c", v, sizeof v) == CONN_ENOTFOUND);
	CHECK(req_cookie("", "c", v, sizeof v) == CONN_ENOTFOUND);
	CHECK(req_cookie(NULL, "c", v, sizeof v) == CONN_ENOTFOUND);
}

TEST(cookie_bad_name_without_value)
{
	char v[64];

	CHECK(req_cookie("a; b=2", "a", v, sizeof v) == CONN_ENOTFOUND);
}

TEST(cookie_bad_duplicate_name)
{
	char v[64];

	CHECK(req_cookie("s=1; s=2", "s", v, sizeof v) == CONN_ENOTFOUND);
	CHECK(req_cookie("s=1; t=0; s=1", "s", v, sizeof v) ==
	    CONN_ENOTFOUND);
}

TEST(cookie_bad_prefix_lookalike)
{
	char v[64];

	CHECK(req_cookie("x__Host-connector=evil", "__Host-connector", v,
	    sizeof v) == CONN_ENOTFOUND);
	CHECK(req_cookie("__Host-connector-csrf=abc", "__Host-connector", v,
	    sizeof v) == CONN_ENOTFOUND);
	CHECK(req_cookie("__host-connector=abc", "__Host-connector", v,
	    sizeof v) == CONN_ENOTFOUND);
	CHECK(req_cookie("a=__Host-connector=abc", "__Host-connector", v,
	    sizeof v) == CONN_ENOTFOUND);
}

TEST(cookie_lookalike_does_not_shadow_real)
{
	char v[64];

	CHECK(req_cookie("__Host-connector-csrf=abc; __Host-connector=tok",
	    "__Host-connector", v, sizeof v) == 0);
	CHECK(strcmp(v, "tok") == 0);
	CHECK(req_cookie("__Host-connector-csrf=abc; __Host-connector=tok",
	    "__Host-connector-csrf", v, sizeof v) == 0);
	CHECK(strcmp(v, "abc") == 0);
}

TEST(cookie_value_fits_exactly)
{
	char v[4];

	CHECK(req_cookie("a=xyz", "a", v, sizeof v) == 0);
	CHECK(strcmp(v, "xyz") == 0);
}

TEST(cookie_bad_value_too_big)
{
	char v[4];

	CHECK(req_cookie("a=wxyz", "a", v, sizeof v) == CONN_ETOOBIG);
}

TEST(cookie_spaces_trimmed)
{
	char v[64];

	CHECK(req_cookie("   a=1  ;   b=two   ", "b", v, sizeof v) == 0);
	CHECK(strcmp(v, "two") == 0);
	CHECK(req_cookie("   a=1  ;   b=two   ", "a", v, sizeof v) == 0);
	CHECK(strcmp(v, "1") == 0);
	CHECK(req_cookie(";;a=1;;", "a", v, sizeof v) == 0);
	CHECK(strcmp(v, "1") == 0);
}

int
main(void)
{
	RUN(urlencoded_two_fields);
	RUN(urlencoded_plus_and_escapes_decode);
	RUN(urlencoded_escaped_name_decodes);
	RUN(urlencoded_empty_body_is_no_fields);
	RUN(urlencoded_empty_value_ok);
	RUN(urlencoded_only_length_bytes_read);
	RUN(urlencoded_bad_missing_equals);
	RUN(urlencoded_bad_empty_name);
	RUN(urlencoded_bad_empty_segment);
	RUN(urlencoded_bad_trailing_ampersand);
	RUN(urlencoded_bad_leading_ampersand);
	RUN(urlencoded_bad_escape_percent_alone);
	RUN(urlencoded_bad_escape_one_digit);
	RUN(urlencoded_bad_escape_not_hex);
	RUN(urlencoded_bad_nul_in_value);
	RUN(urlencoded_bad_nul_in_name);
	RUN(urlencoded_bad_raw_nul_in_value);
	RUN(urlencoded_utf8_value_ok);
	RUN(urlencoded_bad_utf8_overlong);
	RUN(urlencoded_bad_utf8_surrogate);
	RUN(urlencoded_bad_utf8_above_max);
	RUN(urlencoded_bad_utf8_truncated);
	RUN(urlencoded_bad_utf8_lone_continuation);
	RUN(urlencoded_bad_duplicate_name);
	RUN(urlencoded_bad_duplicate_name_by_escape);
	RUN(urlencoded_max_fields_ok);
	RUN(urlencoded_bad_too_many_fields);
	RUN(urlencoded_bad_too_many_fields_custom_limit);
	RUN(urlencoded_name_at_cap_ok);
	RUN(urlencoded_bad_name_over_cap);
	RUN(urlencoded_bad_name_over_cap_escaped);
	RUN(urlencoded_value_at_cap_ok);
	RUN(urlencoded_value_at_cap_escaped_ok);
	RUN(urlencoded_bad_value_over_cap);
	RUN(urlencoded_bad_value_over_cap_escaped);
	RUN(urlencoded_name_chars_ok);
	RUN(urlencoded_bad_name_chars);
	RUN(urlencoded_bad_later_field_frees_earlier);

	RUN(multipart_text_and_file_parts);
	RUN(multipart_quoted_boundary);
	RUN(multipart_unquoted_boundary_with_charset);
	RUN(multipart_empty_form_ok);
	RUN(multipart_empty_value_ok);
	RUN(multipart_bad_missing_boundary);
	RUN(multipart_bad_empty_boundary);
	RUN(multipart_boundary_70_ok);
	RUN(multipart_bad_boundary_over_70);
	RUN(multipart_bad_boundary_control_char);
	RUN(multipart_bad_media_type_lookalike);
	RUN(multipart_bad_body_not_starting_with_delimiter);
	RUN(multipart_bad_missing_final_delimiter);
	RUN(multipart_bad_delimiter_without_dashes_at_end);
	RUN(multipart_bad_garbage_after_delimiter);
	RUN(multipart_bad_missing_header_end);
	RUN(multipart_bad_part_without_disposition);
	RUN(multipart_bad_part_without_name);
	RUN(multipart_bad_disposition_not_form_data);
	RUN(multipart_bad_name_from_inside_filename);
	RUN(multipart_name_after_filename_with_semicolon);
	RUN(multipart_bad_duplicate_part_names);
	RUN(multipart_bad_part_name_chars);
	RUN(multipart_bad_too_many_parts);
	RUN(multipart_file_part_at_max_file_ok);
	RUN(multipart_bad_file_part_over_max_file);
	RUN(multipart_bad_text_part_over_max_value);
	RUN(multipart_filename_reduced_to_last_component);
	RUN(multipart_bad_nul_in_text_part);
	RUN(multipart_nul_in_file_part_ok);
	RUN(multipart_bad_utf8_in_text_part);
	RUN(multipart_bad_nul_in_part_header);
	RUN(multipart_header_block_under_2k_ok);
	RUN(multipart_bad_header_block_over_2k);
	RUN(multipart_value_may_contain_boundary_text);

	RUN(body_urlencoded_dispatch);
	RUN(body_urlencoded_with_charset_ok);
	RUN(body_multipart_dispatch);
	RUN(body_bad_unknown_type);
	RUN(body_bad_urlencoded_lookalike_type);
	RUN(body_no_type_empty_ok);
	RUN(body_bad_no_type_with_body);
	RUN(perr_strings_distinct);

	RUN(cookie_found);
	RUN(cookie_found_first_and_last);
	RUN(cookie_empty_value);
	RUN(cookie_bad_absent);
	RUN(cookie_bad_name_without_value);
	RUN(cookie_bad_duplicate_name);
	RUN(cookie_bad_prefix_lookalike);
	RUN(cookie_lookalike_does_not_shadow_real);
	RUN(cookie_value_fits_exactly);
	RUN(cookie_bad_value_too_big);
	RUN(cookie_spaces_trimmed);
	UNIT_EXIT();
}
