/*
 * req.c — parsing what a client sends: urlencoded and multipart/form-data
 * bodies and the Cookie header.  Pure functions over bytes (the FastCGI side
 * lives in app.c), so they are unit-tested and fuzzed directly.
 *
 * Every parser is strict: malformed escapes, NUL bytes in text, invalid
 * UTF-8, duplicate names, too many or over-long fields are refused with a
 * REQ_PE_* code before any handler runs.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

const struct req_limits req_default_limits = {
	.max_fields = REQ_MAX_FIELDS,
	.max_name = REQ_MAX_NAME,
	.max_value = REQ_MAX_VALUE,
	.max_file = REQ_MAX_BODY,
};

const char *
req_perr_string(int perr)
{
	switch (perr) {
	case REQ_PE_SYNTAX:
		return "The form data is malformed.";
	case REQ_PE_NUL:
		return "A field contains a NUL byte.";
	case REQ_PE_UTF8:
		return "A field is not valid UTF-8 text.";
	case REQ_PE_DUP:
		return "A field was sent more than once.";
	case REQ_PE_COUNT:
		return "The form has too many fields.";
	case REQ_PE_LONG:
		return "A field is too long.";
	default:
		return "The request could not be read.";
	}
}

/* Free every field's strings and empty the set. */
void
req_fields_free(struct req_fields *fs)
{
	for (size_t i = 0; i < fs->n; i++) {
		struct req_field *f = &fs->f[i];
		free(f->name);
		if (f->value) {
			util_wipe(f->value, f->value_len);
			free(f->value);
		}
		free(f->filename);
		free(f->ctype);
	}
	memset(fs, 0, sizeof *fs);
}

const struct req_field *
req_fields_get(const struct req_fields *fs, const char *name)
{
	for (size_t i = 0; i < fs->n; i++)
		if (strcmp(fs->f[i].name, name) == 0)
			return &fs->f[i];
	return NULL;
}

/* Field names: 1..max_name of [A-Za-z0-9_.-]. */
static int
name_ok(const char *s, size_t len, const struct req_limits *lim)
{
	if (len == 0)
		return REQ_PE_SYNTAX;
	if (len > lim->max_name)
		return REQ_PE_LONG;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '-' && s[i] != '.')
			return REQ_PE_SYNTAX;
	return 0;
}

/* A text value: no NUL, valid UTF-8, at most max bytes. */
static int
text_ok(const char *s, size_t len, size_t max)
{
	if (len > max)
		return REQ_PE_LONG;
	if (memchr(s, '\0', len) != NULL)
		return REQ_PE_NUL;
	if (!util_utf8_valid(s, len))
		return REQ_PE_UTF8;
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Percent-decode s[0..len) into a new string (caller frees); '+' is a
 * space.  *outlen receives the decoded length.  NULL on a bad escape or
 * when out of memory (*perr says which).
 */
static char *
pct_decode(const char *s, size_t len, size_t *outlen, int *perr)
{
	char *out = malloc(len + 1);
	size_t o = 0;

	if (out == NULL) {
		*perr = REQ_PE_COUNT;
		return NULL;
	}
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '+')
			out[o++] = ' ';
		else if (s[i] == '%') {
			int hi, lo;
			if (i + 2 >= len) {
				free(out);
				*perr = REQ_PE_SYNTAX;
				return NULL;
			}
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0) {
				free(out);
				*perr = REQ_PE_SYNTAX;
				return NULL;
			}
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else
			out[o++] = s[i];
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

/* Append a field (takes ownership of the strings, even on failure). */
static int
add_field(struct req_fields *out, const struct req_limits *lim, char *name,
    char *value, size_t vlen, char *filename, char *ctype)
{
	struct req_field *f;
	int rc = 0;

	if (req_fields_get(out, name) != NULL)
		rc = REQ_PE_DUP;
	else if (out->n >= lim->max_fields || out->n >= REQ_MAX_FIELDS)
		rc = REQ_PE_COUNT;
	if (rc) {
		free(name);
		util_wipe(value, vlen);
		free(value);
		free(filename);
		free(ctype);
		return rc;
	}
	f = &out->f[out->n++];
	f->name = name;
	f->value = value;
	f->value_len = vlen;
	f->filename = filename;
	f->ctype = ctype;
	return 0;
}

/*
 * Parse an application/x-www-form-urlencoded body into out.  Returns 0 or
 * a REQ_PE_* code; on failure out is emptied.  An empty body is no fields.
 */
int
req_parse_urlencoded(const char *body, size_t len,
    const struct req_limits *lim, struct req_fields *out)
{
	size_t pos = 0;
	int rc = 0;

	memset(out, 0, sizeof *out);
	if (len == 0)
		return 0;
	while (pos <= len) {
		const char *seg = body + pos;
		const char *amp = memchr(seg, '&', len - pos);
		size_t seglen = amp ? (size_t)(amp - seg) : len - pos;
		const char *eq = memchr(seg, '=', seglen);
		char *name = NULL, *value = NULL;
		size_t nlen = 0, vlen = 0;

		if (eq == NULL) {
			rc = REQ_PE_SYNTAX;
			break;
		}
		if ((size_t)(eq - seg) > lim->max_name * 3) {
			rc = REQ_PE_LONG;
			break;
		}
		if (seglen - (size_t)(eq - seg) - 1 > lim->max_value * 3) {
			rc = REQ_PE_LONG;
			break;
		}
		if ((name = pct_decode(seg, (size_t)(eq - seg), &nlen,
		    &rc)) == NULL)
			break;
		if (memchr(name, '\0', nlen) != NULL)
			rc = REQ_PE_NUL;
		else
			rc = name_ok(name, nlen, lim);
		if (rc != 0) {
			free(name);
			break;
		}
		if ((value = pct_decode(eq + 1, seglen - (size_t)(eq - seg) - 1,
		    &vlen, &rc)) == NULL) {
			free(name);
			break;
		}
		if ((rc = text_ok(value, vlen, lim->max_value)) != 0) {
			free(name);
			util_wipe(value, vlen);
			free(value);
			break;
		}
		if ((rc = add_field(out, lim, name, value, vlen, NULL,
		    NULL)) != 0)
			break;
		if (amp == NULL)
			break;
		pos += seglen + 1;
	}
	if (rc)
		req_fields_free(out);
	return rc;
}

/* Case-insensitive prefix match of n bytes. */
static int
ci_prefix(const char *s, size_t len, const char *pfx)
{
	size_t n = strlen(pfx);
	return len >= n && strncasecmp(s, pfx, n) == 0;
}

/*
 * Find parameter key (e.g. "name") in a header value such as
 * `form-data; name="x"; filename="y"`.  Returns a new string or NULL.
 * Parameters are walked one by one, so text inside a quoted value (a
 * filename holding "; name=x") is never taken for a parameter.  Quoted
 * values may not contain quotes (browsers percent-encode them).
 */
static char *
header_param(const char *v, size_t len, const char *key)
{
	size_t klen = strlen(key), i = 0;

	while (i < len && v[i] != ';')
		i++;
	while (i < len) {
		size_t ks, ke, vs, ve;

		i++;	/* the ';' */
		while (i < len && (v[i] == ' ' || v[i] == '\t'))
			i++;
		ks = i;
		while (i < len && v[i] != '=' && v[i] != ';')
			i++;
		if (i >= len || v[i] == ';')
			continue;
		ke = i;
		if (++i < len && v[i] == '"') {
			vs = ++i;
			while (i < len && v[i] != '"')
				i++;
			if (i >= len)
				return NULL;
			ve = i++;
		} else {
			vs = i;
			while (i < len && v[i] != ';' && v[i] != ' ' &&
			    v[i] != '\t')
				i++;
			ve = i;
		}
		if (ke - ks == klen && strncasecmp(v + ks, key, klen) == 0)
			return strndup(v + vs, ve - vs);
		while (i < len && v[i] != ';')
			i++;
	}
	return NULL;
}

/* The boundary parameter of a multipart Content-Type, 1..70 bytes. */
static char *
mp_boundary(const char *ctype)
{
	char *b;
	size_t blen;

	if (!ci_prefix(ctype, strlen(ctype), "multipart/form-data") ||
	    (ctype[19] != '\0' && ctype[19] != ';' && ctype[19] != ' ' &&
	    ctype[19] != '\t'))
		return NULL;
	if ((b = header_param(ctype, strlen(ctype), "boundary")) == NULL)
		return NULL;
	blen = strlen(b);
	if (blen == 0 || blen > 70) {
		free(b);
		return NULL;
	}
	for (size_t i = 0; i < blen; i++)
		if ((unsigned char)b[i] < 0x20 || (unsigned char)b[i] > 0x7e) {
			free(b);
			return NULL;
		}
	return b;
}

/* Keep only the last path component of an uploaded file's name. */
static void
basename_inplace(char *s)
{
	char *p = strrchr(s, '/'), *q = strrchr(s, '\\');
	if (q > p)
		p = q;
	if (p != NULL)
		memmove(s, p + 1, strlen(p + 1) + 1);
}

/*
 * Parse a multipart/form-data body (ctype is the request's Content-Type).
 * Text parts follow the same rules as urlencoded values; parts with a
 * filename may hold any bytes up to lim->max_file.  Returns 0 or a
 * REQ_PE_* code; on failure out is emptied.
 */
int
req_parse_multipart(const char *ctype, const char *body, size_t len,
    const struct req_limits *lim, struct req_fields *out)
{
	char *boundary, *delim = NULL;
	size_t dlen, pos;
	int rc = REQ_PE_SYNTAX;

	memset(out, 0, sizeof *out);
	if ((boundary = mp_boundary(ctype)) == NULL)
		return REQ_PE_SYNTAX;
	dlen = strlen(boundary) + 4;
	if ((delim = malloc(dlen + 1)) == NULL)
		goto out;
	/* delim is "\r\n--boundary"; the body starts with it minus CRLF. */
	memcpy(delim, "\r\n--", 4);
	memcpy(delim + 4, boundary, dlen - 4);
	delim[dlen] = '\0';
	if (len < dlen - 2 || memcmp(body, delim + 2, dlen - 2) != 0)
		goto out;
	pos = dlen - 2;
	for (;;) {
		const char *hdr, *hend, *data, *next;
		char *name = NULL, *filename = NULL, *pctype = NULL, *value;
		size_t hlen, vlen;

		/* After a delimiter: "--" ends the body, CRLF starts a part. */
		if (len - pos >= 2 && memcmp(body + pos, "--", 2) == 0) {
			rc = 0;
			break;
		}
		if (len - pos < 2 || memcmp(body + pos, "\r\n", 2) != 0)
			break;
		pos += 2;
		hdr = body + pos;
		hend = memmem(hdr, len - pos, "\r\n\r\n", 4);
		if (hend == NULL || hend - hdr > 2048)
			break;
		hlen = (size_t)(hend - hdr);
		data = hend + 4;
		/* Headers: one per CRLF-separated line. */
		for (size_t i = 0; i < hlen;) {
			const char *line = hdr + i;
			const char *eol = memmem(line, hlen - i, "\r\n", 2);
			size_t llen = eol ? (size_t)(eol - line) : hlen - i;
			if (memchr(line, '\0', llen) != NULL) {
				free(name);
				name = NULL;
				break;
			}
			if (ci_prefix(line, llen, "content-disposition:")) {
				const char *v = line + 20;
				size_t vl = llen - 20;
				while (vl && (*v == ' ' || *v == '\t'))
					v++, vl--;
				if (!ci_prefix(v, vl, "form-data")) {
					free(name);
					name = NULL;
					break;
				}
				free(name);
				free(filename);
				name = header_param(v, vl, "name");
				filename = header_param(v, vl, "filename");
			} else if (ci_prefix(line, llen, "content-type:")) {
				const char *v = line + 13;
				size_t vl = llen - 13;
				while (vl && (*v == ' ' || *v == '\t'))
					v++, vl--;
				free(pctype);
				pctype = strndup(v, vl);
			}
			i += llen + 2;
		}
		if (name == NULL ||
		    (rc = name_ok(name, strlen(name), lim)) != 0) {
			if (name == NULL)
				rc = REQ_PE_SYNTAX;
			free(name);
			free(filename);
			free(pctype);
			break;
		}
		next = memmem(data, len - (size_t)(data - body), delim, dlen);
		if (next == NULL) {
			rc = REQ_PE_SYNTAX;
			free(name);
			free(filename);
			free(pctype);
			break;
		}
		vlen = (size_t)(next - data);
		if (filename != NULL) {
			basename_inplace(filename);
			rc = vlen > lim->max_file ? REQ_PE_LONG :
			    text_ok(filename, strlen(filename), 255);
		} else
			rc = text_ok(data, vlen, lim->max_value);
		if (rc == 0 && pctype != NULL)
			rc = text_ok(pctype, strlen(pctype), 128);
		if (rc || (value = malloc(vlen + 1)) == NULL) {
			if (rc == 0)
				rc = REQ_PE_COUNT;
			free(name);
			free(filename);
			free(pctype);
			break;
		}
		memcpy(value, data, vlen);
		value[vlen] = '\0';
		if ((rc = add_field(out, lim, name, value, vlen, filename,
		    pctype)) != 0)
			break;
		rc = REQ_PE_SYNTAX;
		pos = (size_t)(next - body) + dlen;
	}
out:
	free(boundary);
	free(delim);
	if (rc)
		req_fields_free(out);
	return rc;
}

/*
 * Parse a POST body by its Content-Type.  Anything but urlencoded or
 * multipart/form-data is a syntax error.
 */
int
req_parse_body(const char *ctype, const char *body, size_t len,
    const struct req_limits *lim, struct req_fields *out)
{
	size_t cl = ctype ? strlen(ctype) : 0;

	memset(out, 0, sizeof *out);
	if (ctype == NULL)
		return len == 0 ? 0 : REQ_PE_SYNTAX;
	if (ci_prefix(ctype, cl, "application/x-www-form-urlencoded") &&
	    (cl == 33 || ctype[33] == ';' || ctype[33] == ' '))
		return req_parse_urlencoded(body, len, lim, out);
	if (ci_prefix(ctype, cl, "multipart/form-data"))
		return req_parse_multipart(ctype, body, len, lim, out);
	return REQ_PE_SYNTAX;
}

/*
 * Find cookie name in a Cookie header and copy its value into out.
 * Returns 0, CONN_ENOTFOUND (absent, or present twice: ambiguous), or
 * CONN_ETOOBIG when the value does not fit.
 */
int
req_cookie(const char *header, const char *name, char *out, size_t outlen)
{
	size_t nlen = strlen(name);
	const char *p = header, *found = NULL;
	size_t flen = 0;

	if (header == NULL)
		return CONN_ENOTFOUND;
	while (*p) {
		const char *end;
		while (*p == ' ' || *p == ';')
			p++;
		end = strchr(p, ';');
		if (end == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) > nlen && strncmp(p, name, nlen) == 0 &&
		    p[nlen] == '=') {
			if (found != NULL)
				return CONN_ENOTFOUND;
			found = p + nlen + 1;
			flen = (size_t)(end - found);
			while (flen > 0 && found[flen - 1] == ' ')
				flen--;
		}
		p = end;
	}
	if (found == NULL)
		return CONN_ENOTFOUND;
	if (flen + 1 > outlen)
		return CONN_ETOOBIG;
	memcpy(out, found, flen);
	out[flen] = '\0';
	return 0;
}
