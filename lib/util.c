/*
 * util.c — small helpers every module uses: growable buffers, the OS
 * random source, encodings, constant-time comparison, durable file writes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "base.h"

/* Grow b to hold at least need more bytes plus a NUL. */
static int
buf_grow(struct buf *b, size_t need)
{
	size_t cap;
	char *p;

	if (need > SIZE_MAX / 2 - b->len)
		return CONN_ENOMEM;
	if (b->len + need + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + need + 1)
		cap *= 2;
	/* Not realloc: the old block may hold a secret and is wiped first. */
	if ((p = malloc(cap)) == NULL)
		return CONN_ENOMEM;
	if (b->data) {
		memcpy(p, b->data, b->len + 1);
		OPENSSL_cleanse(b->data, b->cap);
		free(b->data);
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

/* Append len bytes; the buffer stays NUL-terminated. */
int
buf_add(struct buf *b, const char *data, size_t len)
{
	if (buf_grow(b, len))
		return CONN_ENOMEM;
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_grow(b, (size_t)n))
		return CONN_ENOMEM;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

/* Empty the buffer, keeping its memory. */
void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

/* Wipe and free the buffer's memory (it may have held a secret). */
void
buf_free(struct buf *b)
{
	if (b->data)
		OPENSSL_cleanse(b->data, b->cap);
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* Fill out with len bytes from the kernel's CSPRNG. */
int
util_random(void *out, size_t len)
{
	unsigned char *p = out;

	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return CONN_EIO;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Lower-case hex of in; out needs 2*len+1 bytes. */
void
util_hex(const unsigned char *in, size_t len, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[2 * len] = '\0';
}

/* Unpadded base64url of in; out needs 4*ceil(len/3)+1 bytes. */
void
util_b64url(const unsigned char *in, size_t len, char *out)
{
	static const char al[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i, o = 0;

	for (i = 0; i + 2 < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 |
		    in[i + 2];
		out[o++] = al[v >> 18 & 63];
		out[o++] = al[v >> 12 & 63];
		out[o++] = al[v >> 6 & 63];
		out[o++] = al[v & 63];
	}
	if (len - i == 1) {
		unsigned v = (unsigned)in[i] << 16;
		out[o++] = al[v >> 18 & 63];
		out[o++] = al[v >> 12 & 63];
	} else if (len - i == 2) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
		out[o++] = al[v >> 18 & 63];
		out[o++] = al[v >> 12 & 63];
		out[o++] = al[v >> 6 & 63];
	}
	out[o] = '\0';
}

/* SHA-256 of data as lower-case hex. */
int
util_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) ||
	    mdlen != 32)
		return CONN_ECRYPTO;
	util_hex(md, 32, out);
	return 0;
}

/* 1 when the strings are equal, in time that depends only on the lengths. */
int
util_ct_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la != lb)
		return 0;
	return CRYPTO_memcmp(a, b, la) == 0;
}

/* 1 when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
int
util_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned c = p[i];
		size_t n;
		unsigned cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else
			return 0;
		for (size_t k = 1; k <= n; k++) {
			if (i + k >= len || (p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

void
util_wipe(void *p, size_t len)
{
	OPENSSL_cleanse(p, len);
}

time_t
util_now(void)
{
	return time(NULL);
}

/*
 * A size in binary units, as INSTALL and the disk check speak of them:
 * "1.2 GiB" from 1 GiB up, whole "300 MiB" below (so "0 MiB" under one
 * MiB).  Returns out.
 */
const char *
util_size_words(unsigned long long b, char *out, size_t outlen)
{
	if (b >= 1024ULL * 1024 * 1024)
		snprintf(out, outlen, "%.1f GiB", (double)b / (1 << 30));
	else
		snprintf(out, outlen, "%llu MiB", b >> 20);
	return out;
}

/* fsync a directory, so the entries created or renamed in it are durable. */
/* Number of entries in the directory dir (besides . and ..), or -1. */
int
util_count_entries(const char *dir)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

int
util_fsync_dir(const char *dir)
{
	int fd, rc;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return CONN_EIO;
	rc = fsync(fd);
	close(fd);
	return rc ? CONN_EIO : 0;
}

/* fsync the directory holding path ("." when path has no slash). */
static int
fsync_parent(const char *path)
{
	char dir[PATH_MAX];
	char *slash;

	if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
		return CONN_EINVAL;
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof dir, ".");
	else
		*slash = '\0';
	return util_fsync_dir(dir[0] ? dir : "/");
}

/* Write all of data to fd, going on after a short write or a signal: 0,
 * or CONN_EIO. */
int
util_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return CONN_EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Replace path with data: write a temporary file in the same directory,
 * fsync it, rename it over path, fsync the directory.  A crash leaves
 * either the old or the new file, never a mix.
 */
int
util_write_file_atomic(const char *path, const void *data, size_t len,
    unsigned mode)
{
	char tmp[PATH_MAX];
	const char *p = data;
	int fd, rc = CONN_EIO;

	if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)sizeof tmp)
		return CONN_EINVAL;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    mode);
	if (fd < 0) {
		log_err("cannot create %s: %s", tmp, strerror(errno));
		return CONN_EIO;
	}
	if (fchmod(fd, mode) != 0)
		goto out;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) != 0)
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto out;
	rc = fsync_parent(path);
out:
	if (rc != 0) {
		log_err("cannot write %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
	}
	return rc;
}

/* Read a whole file of at most max bytes into out (appended). */
int
util_read_file(const char *path, size_t max, struct buf *out)
{
	char chunk[8192];
	size_t total = 0;
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? CONN_ENOTFOUND : CONN_EIO;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = CONN_EIO;
			break;
		}
		if (n == 0)
			break;
		total += (size_t)n;
		if (total > max) {
			rc = CONN_ETOOBIG;
			break;
		}
		if (buf_add(out, chunk, (size_t)n)) {
			rc = CONN_ENOMEM;
			break;
		}
	}
	close(fd);
	util_wipe(chunk, sizeof chunk);
	return rc;
}

/* mkdir -p with mode for the directories it creates. */
int
util_mkdirs(const char *path, unsigned mode)
{
	char tmp[PATH_MAX];
	size_t len;

	if ((len = strlen(path)) == 0 || len >= sizeof tmp)
		return CONN_EINVAL;
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) != 0 && errno != EEXIST)
			return CONN_EIO;
		*p = '/';
	}
	if (mkdir(tmp, mode) != 0 && errno != EEXIST)
		return CONN_EIO;
	return 0;
}

/* Outside text made safe for logs and pages: control bytes become spaces. */
void
util_clean_text(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

/*
 * Copy outside text src into out (outlen > 0), cut at a UTF-8 character
 * boundary, control bytes turned into spaces.
 */
void
util_copy_text(char *out, size_t outlen, const char *src)
{
	size_t n = strlen(src);

	if (n >= outlen) {
		n = outlen - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(out, src, n);
	out[n] = '\0';
	util_clean_text(out);
}

/* 1 when every byte of s[0..len) is in set (a NUL never is). */
int
util_all_in(const char *s, size_t len, const char *set)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\0' || strchr(set, s[i]) == NULL)
			return 0;
	return 1;
}

/*
 * Append s[0..len) to b percent-encoded: the RFC 3986 unreserved
 * characters (A-Z a-z 0-9 - _ . ~) and, when keep_slash, '/' as they are,
 * every other byte as %XX in upper case, as SigV4 and a URL's query want.
 * Returns 0 or CONN_ENOMEM.
 */
int
util_percent_encode(struct buf *b, const char *s, size_t len, int keep_slash)
{
	static const char hx[] = "0123456789ABCDEF";
	char e[3] = { '%', 0, 0 };

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~' || (keep_slash && c == '/')) {
			if (buf_add(b, s + i, 1))
				return CONN_ENOMEM;
			continue;
		}
		e[1] = hx[c >> 4];
		e[2] = hx[c & 15];
		if (buf_add(b, e, 3))
			return CONN_ENOMEM;
	}
	return 0;
}

/* The host[:port] of a URL ("https://h:p/path" -> "h:p"), for sentences;
 * the text as it is when it has no scheme. */
void
util_url_host(const char *url, char *out, size_t outlen)
{
	const char *h = strstr(url, "://");

	h = h ? h + 3 : url;
	snprintf(out, outlen, "%.*s", (int)strcspn(h, "/?#"), h);
}

/* 1 when y is a leap year of the Gregorian calendar. */
static int
leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/*
 * The UTC time y-mo-d h:mi:s as seconds since 1970-01-01 00:00:00 UTC,
 * into *out.  Every field is checked: the year 1970 to 9999, the day
 * within its month (leap years by the Gregorian rules, so no 31 February
 * and no 29 February 2100), hours 0-23, minutes and seconds 0-59 (no leap
 * second).  Independent of the time zone and of time_t's library calls.
 * Returns 0, or CONN_EINVAL with *out untouched.
 */
int
util_utc_time(int y, int mo, int d, int h, int mi, int s, time_t *out)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };
	long long days, era, yoe, doy, yy;

	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && leap_year(y)) || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || s < 0 || s > 59)
		return CONN_EINVAL;
	/* Days since the epoch of a proleptic Gregorian date: the year is
	 * counted from March, so the leap day ends it. */
	yy = mo <= 2 ? y - 1 : y;
	era = yy / 400;
	yoe = yy - era * 400;
	doy = (153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5 + d - 1;
	days = era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
	*out = (time_t)(days * 86400 + h * 3600 + mi * 60 + s);
	return 0;
}
