/*
 * test-util.c — buffers, encodings, SHA-256, constant-time compare, UTF-8
 * validation and the file helpers.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../lib/core.h"
#include "../../lib/domain.h"
#include "unit.h"


/* ---- calendar: util_utc_time ---- */

TEST(utc_time_epoch_and_known_instants)
{
	time_t t = 1;

	CHECK(util_utc_time(1970, 1, 1, 0, 0, 0, &t) == 0 && t == 0);
	CHECK(util_utc_time(1970, 1, 1, 23, 59, 59, &t) == 0 && t == 86399);
	CHECK(util_utc_time(2000, 3, 1, 0, 0, 0, &t) == 0 && t == 951868800);
	/* The 32-bit rollover and the second after it. */
	CHECK(util_utc_time(2038, 1, 19, 3, 14, 7, &t) == 0 &&
	    t == (time_t)2147483647);
	CHECK(util_utc_time(2038, 1, 19, 3, 14, 8, &t) == 0 &&
	    (long long)t == 2147483648LL);
	CHECK(util_utc_time(2106, 2, 7, 6, 28, 16, &t) == 0 &&
	    (long long)t == 4294967296LL);
	CHECK(util_utc_time(9999, 12, 31, 23, 59, 59, &t) == 0 &&
	    (long long)t == 253402300799LL);
}

TEST(utc_time_leap_years)
{
	time_t t;

	CHECK(util_utc_time(2024, 2, 29, 12, 0, 0, &t) == 0);
	CHECK(util_utc_time(2000, 2, 29, 0, 0, 0, &t) == 0);	/* 400 */
	CHECK(util_utc_time(2400, 2, 29, 0, 0, 0, &t) == 0);
	CHECK(util_utc_time(1972, 2, 29, 0, 0, 0, &t) == 0);
	CHECK(util_utc_time(2023, 2, 29, 0, 0, 0, &t) == CONN_EINVAL);
	CHECK(util_utc_time(2100, 2, 29, 0, 0, 0, &t) == CONN_EINVAL);	/* 100 */
	CHECK(util_utc_time(2200, 2, 29, 0, 0, 0, &t) == CONN_EINVAL);
	CHECK(util_utc_time(2024, 2, 30, 0, 0, 0, &t) == CONN_EINVAL);
	/* 29 February 2024 and 1 March are one day apart. */
	{
		time_t a, b;
		CHECK(util_utc_time(2024, 2, 29, 0, 0, 0, &a) == 0);
		CHECK(util_utc_time(2024, 3, 1, 0, 0, 0, &b) == 0);
		CHECK(b - a == 86400);
	}
}

TEST(utc_time_bad_day_of_month)
{
	static const int last[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	time_t t;

	for (int mo = 1; mo <= 12; mo++) {
		CHECK(util_utc_time(2023, mo, last[mo - 1], 0, 0, 0, &t) == 0);
		CHECK(util_utc_time(2023, mo, last[mo - 1] + 1, 0, 0, 0, &t) ==
		    CONN_EINVAL);
		CHECK(util_utc_time(2023, mo, 0, 0, 0, 0, &t) == CONN_EINVAL);
	}
	CHECK(util_utc_time(2023, 2, 31, 0, 0, 0, &t) == CONN_EINVAL);
	CHECK(util_utc_time(2023, 4, 31, 0, 0, 0, &t) == CONN_EINVAL);
}

TEST(utc_time_bad_ranges_and_hostile_values)
{
	static const int bad[][6] = {
		{ 1969, 12, 31, 23, 59, 59 }, { 10000, 1, 1, 0, 0, 0 },
		{ 0, 1, 1, 0, 0, 0 }, { -1, 1, 1, 0, 0, 0 },
		{ 2024, 0, 1, 0, 0, 0 }, { 2024, 13, 1, 0, 0, 0 },
		{ 2024, 1, 32, 0, 0, 0 }, { 2024, 1, 1, 24, 0, 0 },
		{ 2024, 1, 1, 0, 60, 0 }, { 2024, 1, 1, 0, 0, 60 },
		{ 2024, 1, 1, -1, 0, 0 }, { 2024, 1, 1, 0, -1, 0 },
		{ 2024, 1, 1, 0, 0, -1 }, { 2024, -1, 1, 0, 0, 0 },
		{ 2024, 1, -1, 0, 0, 0 },
		{ INT_MAX, 1, 1, 0, 0, 0 }, { INT_MIN, 1, 1, 0, 0, 0 },
		{ 2024, INT_MAX, 1, 0, 0, 0 }, { 2024, INT_MIN, 1, 0, 0, 0 },
		{ 2024, 1, INT_MAX, 0, 0, 0 }, { 2024, 1, INT_MIN, 0, 0, 0 },
		{ 2024, 1, 1, INT_MAX, 0, 0 }, { 2024, 1, 1, 0, INT_MIN, 0 },
		{ 2024, 1, 1, 0, 0, INT_MAX },
	};
	time_t t = 12345;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(util_utc_time(bad[i][0], bad[i][1], bad[i][2], bad[i][3],
		    bad[i][4], bad[i][5], &t) == CONN_EINVAL);
	CHECK(t == 12345);	/* untouched on refusal */
}

TEST(utc_time_agrees_with_the_c_library_every_day)
{
	struct tm tm;
	time_t want, got;
	int n = 0;

	/* Every day from 1970 to 2500 (and its last second), against
	 * timegm's normalized count. */
	for (want = 0; want < (time_t)16725225600LL; want += 86400) {
		gmtime_r(&want, &tm);
		if (util_utc_time(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		    23, 59, 59, &got) != 0 || got != want + 86399) {
			n++;
			break;
		}
	}
	CHECK(n == 0);
}


/* ---- buffers ---- */

TEST(buf_add_grows_and_terminates)
{
	struct buf b = { 0 };

	for (int i = 0; i < 1000; i++)
		CHECK(buf_add(&b, "0123456789", 10) == 0);
	CHECK(b.len == 10000);
	CHECK(b.cap >= b.len + 1);
	CHECK(b.data[b.len] == '\0');
	CHECK(strlen(b.data) == 10000);
	CHECK(memcmp(b.data + 9990, "0123456789", 10) == 0);
	buf_free(&b);
}

TEST(buf_add_embedded_nul_kept)
{
	struct buf b = { 0 };

	CHECK(buf_add(&b, "a\0b", 3) == 0);
	CHECK(b.len == 3);
	CHECK(memcmp(b.data, "a\0b", 4) == 0);
	buf_free(&b);
}

TEST(buf_add_empty_gives_empty_string)
{
	struct buf b = { 0 };

	CHECK(buf_add(&b, "", 0) == 0);
	CHECK(b.data != NULL && b.data[0] == '\0' && b.len == 0);
	buf_free(&b);
}

TEST(buf_adds_appends)
{
	struct buf b = { 0 };

	CHECK(buf_adds(&b, "abc") == 0);
	CHECK(buf_adds(&b, "def") == 0);
	CHECK(strcmp(b.data, "abcdef") == 0 && b.len == 6);
	buf_free(&b);
}

TEST(buf_addf_formats)
{
	struct buf b = { 0 };

	CHECK(buf_addf(&b, "%d-%s-%05.1f", 42, "x", 3.14159) == 0);
	CHECK(strcmp(b.data, "42-x-003.1") == 0);
	CHECK(buf_addf(&b, "|%c%%", 'z') == 0);
	CHECK(strcmp(b.data, "42-x-003.1|z%") == 0);
	CHECK(b.len == strlen(b.data));
	buf_free(&b);
}

TEST(buf_addf_long_output_grows)
{
	struct buf b = { 0 };

	CHECK(buf_adds(&b, "head:") == 0);
	CHECK(buf_addf(&b, "%0*d", 5000, 7) == 0);
	CHECK(b.len == 5005);
	CHECK(b.data[5004] == '7' && b.data[5003] == '0');
	CHECK(b.data[5005] == '\0');
	buf_free(&b);
}

TEST(buf_reset_keeps_memory)
{
	struct buf b = { 0 };
	char *p;

	CHECK(buf_adds(&b, "something") == 0);
	p = b.data;
	buf_reset(&b);
	CHECK(b.len == 0 && b.data == p && b.data[0] == '\0');
	CHECK(buf_adds(&b, "x") == 0);
	CHECK(strcmp(b.data, "x") == 0);
	buf_free(&b);
}

TEST(buf_free_empties)
{
	struct buf b = { 0 };

	CHECK(buf_adds(&b, "secret") == 0);
	buf_free(&b);
	CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
	buf_free(&b);
	CHECK(b.data == NULL);
}

/* ---- encodings ---- */

TEST(hex_lower_case)
{
	static const unsigned char in[] = { 0x00, 0xff, 0x10, 0xab, 0x9c };
	char out[11];

	util_hex(in, sizeof in, out);
	CHECK(strcmp(out, "00ff10ab9c") == 0);
	util_hex(in, 0, out);
	CHECK(out[0] == '\0');
}

TEST(b64url_rfc4648_vectors)
{
	static const char *const vec[][2] = {
		{ "", "" },
		{ "f", "Zg" },
		{ "fo", "Zm8" },
		{ "foo", "Zm9v" },
		{ "foob", "Zm9vYg" },
		{ "fooba", "Zm9vYmE" },
		{ "foobar", "Zm9vYmFy" },
	};
	char out[16];

	for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
		util_b64url((const unsigned char *)vec[i][0],
		    strlen(vec[i][0]), out);
		CHECK(strcmp(out, vec[i][1]) == 0);
	}
}

TEST(b64url_url_alphabet_no_padding)
{
	static const unsigned char in1[] = { 0xfb, 0xff };
	static const unsigned char in2[] = { 0xfb, 0xef, 0xbe };
	static const unsigned char in3[] = { 0xff };
	char out[8];

	util_b64url(in1, sizeof in1, out);
	CHECK(strcmp(out, "-_8") == 0);
	util_b64url(in2, sizeof in2, out);
	CHECK(strcmp(out, "----") == 0);
	util_b64url(in3, sizeof in3, out);
	CHECK(strcmp(out, "_w") == 0);
}

TEST(b64url_token_length)
{
	unsigned char in[AUTH_TOKEN_BYTES];
	char out[AUTH_TOKEN_LEN + 1];

	memset(in, 0xa5, sizeof in);
	util_b64url(in, sizeof in, out);
	CHECK(strlen(out) == AUTH_TOKEN_LEN);
	CHECK(strchr(out, '=') == NULL);
}

TEST(sha256_known_vectors)
{
	char out[65];

	CHECK(util_sha256_hex("abc", 3, out) == 0);
	CHECK(strcmp(out, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad") == 0);
	CHECK(util_sha256_hex("", 0, out) == 0);
	CHECK(strcmp(out, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855") == 0);
	CHECK(util_sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnl"
	    "mnomnopnopq", 56, out) == 0);
	CHECK(strcmp(out, "248d6a61d20638b8e5c026930c3e6039"
	    "a33ce45964ff2167f6ecedd419db06c1") == 0);
}

TEST(ct_equal_same)
{
	CHECK(util_ct_equal("abc", "abc") == 1);
	CHECK(util_ct_equal("", "") == 1);
}

TEST(ct_equal_bad_different)
{
	CHECK(util_ct_equal("abc", "abd") == 0);
	CHECK(util_ct_equal("abc", "Abc") == 0);
	CHECK(util_ct_equal("abc", "abcd") == 0);
	CHECK(util_ct_equal("abcd", "abc") == 0);
	CHECK(util_ct_equal("", "a") == 0);
}

TEST(random_fills_and_differs)
{
	unsigned char a[32], b[32], zero[32] = { 0 };

	CHECK(util_random(a, sizeof a) == 0);
	CHECK(util_random(b, sizeof b) == 0);
	CHECK(memcmp(a, b, sizeof a) != 0);
	CHECK(memcmp(a, zero, sizeof a) != 0);
}

TEST(wipe_zeroes)
{
	char s[8] = "secret!";

	util_wipe(s, sizeof s);
	for (size_t i = 0; i < sizeof s; i++)
		CHECK(s[i] == 0);
}

/* ---- UTF-8 ---- */

/* util_utf8_valid over a NUL-terminated string. */
static int
u8(const char *s)
{
	return util_utf8_valid(s, strlen(s));
}

TEST(utf8_ascii_and_empty_ok)
{
	CHECK(u8("") == 1);
	CHECK(u8("plain ASCII ~") == 1);
	CHECK(util_utf8_valid("a\0b", 3) == 1);
}

TEST(utf8_boundaries_ok)
{
	CHECK(u8("\xc2\x80") == 1);		/* U+0080 */
	CHECK(u8("\xdf\xbf") == 1);		/* U+07FF */
	CHECK(u8("\xe0\xa0\x80") == 1);		/* U+0800 */
	CHECK(u8("\xed\x9f\xbf") == 1);		/* U+D7FF */
	CHECK(u8("\xee\x80\x80") == 1);		/* U+E000 */
	CHECK(u8("\xef\xbf\xbf") == 1);		/* U+FFFF */
	CHECK(u8("\xf0\x90\x80\x80") == 1);	/* U+10000 */
	CHECK(u8("\xf4\x8f\xbf\xbf") == 1);	/* U+10FFFF */
}

TEST(utf8_bad_above_max_code_point)
{
	CHECK(u8("\xf4\x90\x80\x80") == 0);	/* U+110000 */
	CHECK(u8("\xf5\x80\x80\x80") == 0);
	CHECK(u8("\xf7\xbf\xbf\xbf") == 0);
}

TEST(utf8_bad_overlong)
{
	CHECK(u8("\xc0\x80") == 0);
	CHECK(u8("\xc1\xbf") == 0);
	CHECK(u8("\xe0\x80\x80") == 0);
	CHECK(u8("\xe0\x9f\xbf") == 0);
	CHECK(u8("\xf0\x80\x80\x80") == 0);
	CHECK(u8("\xf0\x8f\xbf\xbf") == 0);
}

TEST(utf8_bad_surrogates)
{
	CHECK(u8("\xed\xa0\x80") == 0);		/* U+D800 */
	CHECK(u8("\xed\xbf\xbf") == 0);		/* U+DFFF */
	CHECK(u8("\xed\xa0\xbd\xed\xb2\xa9") == 0);	/* CESU pair */
}

TEST(utf8_bad_truncated)
{
	CHECK(u8("\xc3") == 0);
	CHECK(u8("\xe2\x82") == 0);
	CHECK(u8("\xf0\x9f\x94") == 0);
	CHECK(u8("abc\xf0") == 0);
	/* A complete sequence cut by the length argument. */
	CHECK(util_utf8_valid("\xe2\x82\xac", 2) == 0);
}

TEST(utf8_bad_continuation)
{
	CHECK(u8("\x80") == 0);
	CHECK(u8("a\xbf" "b") == 0);
	CHECK(u8("\xc3\x28") == 0);
	CHECK(u8("\xe2\x28\xa1") == 0);
	CHECK(u8("\xf0\x9f\x28\x91") == 0);
}

TEST(utf8_bad_invalid_bytes)
{
	CHECK(u8("\xfe") == 0);
	CHECK(u8("\xff") == 0);
	CHECK(u8("\xf8\x88\x80\x80\x80") == 0);
}

/* ---- files ---- */

TEST(write_file_atomic_content_and_mode)
{
	char dir[128], path[160];
	struct buf b = { 0 };
	struct stat st;

	unit_fresh_dir("w1", dir, sizeof dir);
	snprintf(path, sizeof path, "%s/file", dir);
	CHECK(util_write_file_atomic(path, "hello\0world", 11, 0600) == 0);
	CHECK(stat(path, &st) == 0);
	CHECK((st.st_mode & 07777) == 0600);
	CHECK(st.st_size == 11);
	CHECK(util_read_file(path, 100, &b) == 0);
	CHECK(b.len == 11 && memcmp(b.data, "hello\0world", 11) == 0);
	buf_free(&b);
}

TEST(write_file_atomic_mode_ignores_umask)
{
	char dir[128], path[160];
	struct stat st;
	mode_t old = umask(077);
	int rc;

	unit_fresh_dir("w2", dir, sizeof dir);
	snprintf(path, sizeof path, "%s/file", dir);
	rc = util_write_file_atomic(path, "x", 1, 0644);
	umask(old);
	CHECK(rc == 0);
	CHECK(stat(path, &st) == 0);
	CHECK((st.st_mode & 07777) == 0644);
}

TEST(write_file_atomic_replaces)
{
	char dir[128], path[160];
	struct buf b = { 0 };
	struct stat st;

	unit_fresh_dir("w3", dir, sizeof dir);
	snprintf(path, sizeof path, "%s/file", dir);
	CHECK(util_write_file_atomic(path, "old content", 11, 0644) == 0);
	CHECK(util_write_file_atomic(path, "new", 3, 0600) == 0);
	CHECK(util_read_file(path, 100, &b) == 0);
	CHECK(b.len == 3 && strcmp(b.data, "new") == 0);
	buf_free(&b);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600);
}

TEST(write_file_atomic_leaves_no_temp_file)
{
	char dir[128], path[160];

	unit_fresh_dir("w4", dir, sizeof dir);
	snprintf(path, sizeof path, "%s/file", dir);
	CHECK(util_write_file_atomic(path, "a", 1, 0600) == 0);
	CHECK(util_write_file_atomic(path, "b", 1, 0600) == 0);
	CHECK(util_count_entries(dir) == 1);
}

TEST(write_file_atomic_empty_file)
{
	char dir[128], path[160];
	struct stat st;

	unit_fresh_dir("w5", dir, sizeof dir);
	snprintf(path, sizeof path, "%s/file", dir);
	CHECK(util_write_file_atomic(path, "", 0, 0600) == 0);
	CHECK(stat(path, &st) == 0 && st.st_size == 0);
}

TEST(write_file_atomic_relative_path)
{
	char dir[128], cwd[PATH_MAX];
	struct buf b = { 0 };
	int rc;

	unit_fresh_dir("w6", dir, sizeof dir);
	CHECK(getcwd(cwd, sizeof cwd) != NULL);
	CHECK(chdir(dir) == 0);
	rc = util_write_file_atomic("rel", "data", 4, 0600);
	if (rc == 0)
		rc = util_read_file("rel", 100, &b);
	CHECK(chdir(cwd) == 0);
	CHECK(rc == 0);
	CHECK(b.len == 4 && strcmp(b.data, "data") == 0);
	buf_free(&b);
	CHECK(util_count_entries(dir) == 1);
}

TEST(write_file_atomic_bad_missing_dir)
{
	char path[160];

	snprintf(path, sizeof path, "%s/no/such/dir/file", unit_tmp);
	CHECK(util_write_file_atomic(path, "x", 1, 0600) == CONN_EIO);
}

TEST(read_file_bad_missing)
{
	char path[160];
	struct buf b = { 0 };

	snprintf(path, sizeof path, "%s/does-not-exist", unit_tmp);
	CHECK(util_read_file(path, 100, &b) == CONN_ENOTFOUND);
	CHECK(b.len == 0);
	buf_free(&b);
}

TEST(read_file_at_cap_ok)
{
	char dir[128], path[160], data[20000];
	struct buf b = { 0 };

	memset(data, 'q', sizeof data);
	unit_fresh_dir("r1", dir, sizeof dir);
	snprintf(path, sizeof path, "%s/file", dir);
	CHECK(util_write_file_atomic(path, data, sizeof data, 0600) == 0);
	CHECK(util_read_file(path, sizeof data, &b) == 0);
	CHECK(b.len == sizeof data);
	CHECK(memcmp(b.data, data, sizeof data) == 0);
	buf_free(&b);
}

TEST(read_file_bad_over_cap)
{
	char dir[128], path[160], data[20000];
	struct buf b = { 0 };
	int rc;

	memset(data, 'q', sizeof data);
	unit_fresh_dir("r2", dir, sizeof dir);
	snprintf(path, sizeof path, "%s/file", dir);
	CHECK(util_write_file_atomic(path, data, sizeof data, 0600) == 0);
	rc = util_read_file(path, sizeof data - 1, &b);
	buf_free(&b);
	CHECK(rc == CONN_ETOOBIG);
	rc = util_read_file(path, 0, &b);
	buf_free(&b);
	CHECK(rc == CONN_ETOOBIG);
}

TEST(read_file_appends)
{
	char dir[128], path[160];
	struct buf b = { 0 };

	unit_fresh_dir("r3", dir, sizeof dir);
	snprintf(path, sizeof path, "%s/file", dir);
	CHECK(util_write_file_atomic(path, "tail", 4, 0600) == 0);
	CHECK(buf_adds(&b, "head-") == 0);
	CHECK(util_read_file(path, 4, &b) == 0);
	CHECK(strcmp(b.data, "head-tail") == 0);
	buf_free(&b);
}

TEST(read_file_empty_ok)
{
	char dir[128], path[160];
	struct buf b = { 0 };

	unit_fresh_dir("r4", dir, sizeof dir);
	snprintf(path, sizeof path, "%s/file", dir);
	CHECK(util_write_file_atomic(path, "", 0, 0600) == 0);
	CHECK(util_read_file(path, 0, &b) == 0);
	CHECK(b.len == 0);
	buf_free(&b);
}

TEST(mkdirs_nested_with_mode)
{
	char path[160];
	struct stat st;

	snprintf(path, sizeof path, "%s/m/a/b/c", unit_tmp);
	CHECK(util_mkdirs(path, 0750) == 0);
	CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
	CHECK(util_mkdirs(path, 0750) == 0);
}

TEST(mkdirs_bad_through_file)
{
	char dir[128], path[192];

	unit_fresh_dir("m2", dir, sizeof dir);
	snprintf(path, sizeof path, "%s/file", dir);
	CHECK(util_write_file_atomic(path, "x", 1, 0600) == 0);
	snprintf(path, sizeof path, "%s/file/sub", dir);
	CHECK(util_mkdirs(path, 0700) == CONN_EIO);
	CHECK(util_mkdirs("", 0700) == CONN_EINVAL);
}

TEST(fsync_dir_ok)
{
	char dir[128];

	unit_fresh_dir("fs", dir, sizeof dir);
	CHECK(util_fsync_dir(dir) == 0);
	CHECK(util_fsync_dir("/") == 0);
}

TEST(fsync_dir_bad_missing_or_file)
{
	char dir[128], path[192];

	unit_fresh_dir("fs2", dir, sizeof dir);
	snprintf(path, sizeof path, "%s/nothing", dir);
	CHECK(util_fsync_dir(path) == CONN_EIO);
	snprintf(path, sizeof path, "%s/file", dir);
	CHECK(util_write_file_atomic(path, "x", 1, 0600) == 0);
	CHECK(util_fsync_dir(path) == CONN_EIO);
}

/* Sizes in binary units, the words of the disk check and the error log:
 * whole MiB below a GiB, one decimal from a GiB up. */
TEST(size_words_binary_units)
{
	char b[32];

	CHECK(strcmp(util_size_words(0, b, sizeof b), "0 MiB") == 0);
	CHECK(strcmp(util_size_words(1048575, b, sizeof b), "0 MiB") == 0);
	CHECK(strcmp(util_size_words(256ULL << 20, b, sizeof b),
	    "256 MiB") == 0);
	CHECK(strcmp(util_size_words((1ULL << 30) - 1, b, sizeof b),
	    "1023 MiB") == 0);
	CHECK(strcmp(util_size_words(1ULL << 30, b, sizeof b), "1.0 GiB") ==
	    0);
	CHECK(strcmp(util_size_words(41200000000ULL, b, sizeof b),
	    "38.4 GiB") == 0);
	CHECK(strcmp(util_size_words(ULLONG_MAX, b, sizeof b),
	    "17179869184.0 GiB") == 0);
	/* A short buffer is cut, still terminated. */
	CHECK(strcmp(util_size_words(256ULL << 20, b, 4), "256") == 0);
}

int
main(void)
{
	if (unit_tmpdir("test-util") != 0)
		return 1;
	RUN(buf_add_grows_and_terminates);
	RUN(buf_add_embedded_nul_kept);
	RUN(buf_add_empty_gives_empty_string);
	RUN(buf_adds_appends);
	RUN(buf_addf_formats);
	RUN(buf_addf_long_output_grows);
	RUN(buf_reset_keeps_memory);
	RUN(buf_free_empties);
	RUN(hex_lower_case);
	RUN(b64url_rfc4648_vectors);
	RUN(b64url_url_alphabet_no_padding);
	RUN(b64url_token_length);
	RUN(sha256_known_vectors);
	RUN(ct_equal_same);
	RUN(ct_equal_bad_different);
	RUN(random_fills_and_differs);
	RUN(wipe_zeroes);
	RUN(utf8_ascii_and_empty_ok);
	RUN(utf8_boundaries_ok);
	RUN(utf8_bad_above_max_code_point);
	RUN(utf8_bad_overlong);
	RUN(utf8_bad_surrogates);
	RUN(utf8_bad_truncated);
	RUN(utf8_bad_continuation);
	RUN(utf8_bad_invalid_bytes);
	RUN(write_file_atomic_content_and_mode);
	RUN(write_file_atomic_mode_ignores_umask);
	RUN(write_file_atomic_replaces);
	RUN(write_file_atomic_leaves_no_temp_file);
	RUN(write_file_atomic_empty_file);
	RUN(write_file_atomic_relative_path);
	RUN(write_file_atomic_bad_missing_dir);
	RUN(read_file_bad_missing);
	RUN(read_file_at_cap_ok);
	RUN(read_file_bad_over_cap);
	RUN(read_file_appends);
	RUN(read_file_empty_ok);
	RUN(mkdirs_nested_with_mode);
	RUN(mkdirs_bad_through_file);
	RUN(fsync_dir_ok);
	RUN(fsync_dir_bad_missing_or_file);
	RUN(utc_time_epoch_and_known_instants);
	RUN(utc_time_leap_years);
	RUN(utc_time_bad_day_of_month);
	RUN(utc_time_bad_ranges_and_hostile_values);
	RUN(utc_time_agrees_with_the_c_library_every_day);
	RUN(size_words_binary_units);
	unit_rm_rf(unit_tmp);
	UNIT_EXIT();
}
