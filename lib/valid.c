/*
 * valid.c — the one table of form fields the console accepts and the typed
 * validators behind it.  A page lists the fields it accepts; app.c refuses
 * any other field and validates every accepted one before a handler runs.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core.h"
#include "domain.h"

/* The values of the fields that take one of a list. */
static const char *const sort_columns[] = { "name", "state", "progress",
    "result", "changed", NULL };
static const char *const orders[] = { "asc", "desc", NULL };
static const char *const page_sizes[] = { "10", "25", "50", "100", "200",
    NULL };
static const char *const disk_formats[] = { "VMDK", "OVA", "VHD", "RAW",
    NULL };

const struct valid_field valid_fields[F__MAX] = {
	[F_CSRF] = { "csrf", VT_TOKEN, AUTH_TOKEN_LEN, "Form token" },
	[F_CODE] = { "code", VT_SETUP_CODE, 32, "Setup code", 0,
	    "Enter the setup code shown on the VM console." },
	[F_PASSWORD] = { "password", VT_PASSWORD, AUTH_PASSWORD_MAX,
	    "Password", 0, "Enter the connector password." },
	[F_PASSWORD2] = { "password2", VT_PASSWORD, AUTH_PASSWORD_MAX,
	    "Password (again)" },
	[F_ACTION] = { "action", VT_WORD, 32, "Action" },
	[F_VC_HOST] = { "vcenter_host", VT_HOST_PORT, SYNTAX_HOST_MAX + 6,
	    "vCenter host name or IP address", 1,
	    "Enter the vCenter host name or IP address." },
	[F_VC_USER] = { "vcenter_user", VT_DOMAIN_USER, 65,
	    "vCenter user name", 1, "Enter the vCenter user name." },
	[F_VC_PASSWORD] = { "vcenter_password", VT_PASSWORD, 256,
	    "vCenter password", 1, "Enter the account's password." },
	[F_THUMBPRINT] = { "thumbprint", VT_THUMBPRINT, 95,
	    "Certificate thumbprint" },
	[F_PROXY_HOST] = { "proxy_host", VT_HOST, SYNTAX_HOST_MAX,
	    "Proxy host", 1, "Enter the proxy's host name or IP address, or "
	    "choose \"No proxy\"." },
	[F_PROXY_PORT] = { "proxy_port", VT_PORT, 5, "Proxy port", 1,
	    "Enter the proxy's port, for example 3128." },
	[F_PROXY_USER] = { "proxy_user", VT_PROXY_USER, 64,
	    "Proxy user name", 1 },
	[F_PROXY_PASSWORD] = { "proxy_password", VT_PASSWORD, 256,
	    "Proxy password", 1, "Enter the proxy password." },
	[F_NO_PROXY] = { "no_proxy", VT_HOST_LIST, 1024,
	    "Hosts reached without the proxy", 1 },
	[F_REGION] = { "region", VT_REGION, SYNTAX_REGION_MAX, "AWS region", 1,
	    "Choose a region from the list." },
	[F_ACCESS_KEY] = { "access_key_id", VT_ACCESS_KEY, 128,
	    "Access key ID", 1, "Enter the access key ID." },
	[F_SECRET_KEY] = { "secret_access_key", VT_SECRET, 128,
	    "Secret access key", 1, "Enter the secret access key." },
	[F_SESSION_TOKEN] = { "session_token", VT_SECRET, 4096,
	    "Session token", 1 },
	[F_PORTAL_FILE] = { "portal_config", VT_FILE, PORTAL_FILE_MAX,
	    "Portal configuration file", 1, "Choose the configuration file "
	    "you downloaded from the portal's setup (an empty file is not "
	    "one)." },
	[F_CONFIRM] = { "confirm", VT_WORD, 32, "Confirmation", 0,
	    "Tick the box to confirm that the connector should forget its "
	    "registration without telling vCenter." },
	[F_NEXT] = { "next", VT_LOCAL_PATH, 64, "Page after sign-in" },
	[F_TOKEN_NAME] = { "token_name", VT_TEXT, AUTH_API_NAME_MAX,
	    "Token name", 1, "Name the token after what will use it, such as "
	    "\"monitoring\"." },
	[F_TOKEN_ID] = { "token", VT_NUMBER, 18, "API token" },
	[F_FILE_NAME] = { "file", VT_FILE_NAME, 100, "File name" },
	[F_SORT] = { "sort", VT_WORD, 16, "Sort column", 0, NULL,
	    sort_columns },
	[F_ORDER] = { "order", VT_WORD, 4, "Sort order", 0, NULL, orders },
	[F_PAGE] = { "page", VT_NUMBER, 9, "Page number" },
	[F_PER_PAGE] = { "per_page", VT_NUMBER, 3, "Rows a page", 0, NULL,
	    page_sizes },
	[F_VM_MOREF] = { "vm_id", VT_MOREF, 80, "VM managed object id", 1,
	    "Enter the VM's managed object id as vCenter shows it, such as "
	    "vm-42." },
	[F_VM_NAME] = { "vm_name", VT_TEXT, 255, "VM name", 1,
	    "Enter the VM's name as vCenter shows it." },
	[F_BUCKET] = { "bucket", VT_BUCKET, 63, "S3 bucket", 1,
	    "Enter the S3 bucket that holds the image." },
	[F_OBJECT_KEY] = { "key", VT_OBJECT_KEY, 1024, "S3 object key", 1,
	    "Enter the image's key in the bucket, such as images/web01.vmdk." },
	[F_FORMAT] = { "format", VT_TEXT, 4, "Disk format", 1,
	    "Choose the image's disk format.", disk_formats },
	[F_DESCRIPTION] = { "description", VT_TEXT, 255, "Description", 1 },
	[F_TASK_ID] = { "task_id", VT_TASK_ID, 28, "Import task id", 1,
	    "Enter the import task's id as AWS shows it, such as "
	    "import-ami-0123456789abcdef0." },
	[F_FILTER] = { "filter", VT_TEXT, 100, "Filter" },
	/* Blank or a host name, blank or a number: the page checks which. */
	[F_UP_DOMAIN] = { "domain", VT_TEXT, SYNTAX_HOST_MAX,
	    "Domain to enumerate", 1 },
	[F_UP_LIMIT] = { "limit", VT_TEXT, 7,
	    "Entries vCenter answers at most", 1 },
	/* federation: lib/authproxy.h's limits */
	[F_FEDERATION] = { "federation", VT_WORD, 16, "Federation", 1,
	    "Choose how portal users sign in." },
	[F_ROLE_ARN] = { "role_arn", VT_TEXT, 2048, "IAM role ARN", 1 },
	[F_SESSION_POLICY] = { "session_policy", VT_MULTILINE, 8192,
	    "Session policy", 1 },
	[F_DURATION] = { "duration", VT_NUMBER, 5, "Credentials' duration",
	    1 },
	/* the Health Status pages: a run's id, a time, an item's id */
	[F_AFTER] = { "after", VT_NUMBER, 18, "Health check run" },
	[F_AT] = { "at", VT_NUMBER, 12, "Health check start time" },
	[F_ITEM] = { "item", VT_FILE_NAME, 32, "Health Status item" },
};

/* The index of the field called name, or -1. */
int
valid_field_lookup(const char *name)
{
	for (int i = 0; i < F__MAX; i++)
		if (valid_fields[i].name && strcmp(valid_fields[i].name, name) == 0)
			return i;
	return -1;
}

/*
 * Check v[0..len) against field vf: its type and length, and its list of
 * choices when it has one.  Returns 0, CONN_ETOOBIG or CONN_EINVAL.
 */
int
valid_field_value(const struct valid_field *vf, const char *v, size_t len)
{
	int rc = valid_value(vf->type, v, len, vf->maxlen);

	if (rc != 0 || vf->choices == NULL)
		return rc;
	for (const char *const *c = vf->choices; *c; c++)
		if (strlen(*c) == len && memcmp(*c, v, len) == 0)
			return 0;
	return CONN_EINVAL;
}

/* What a value of field vf must look like, for an error message. */
const char *
valid_field_hint(const struct valid_field *vf)
{
	return vf->choices ? "one of the console's own choices" :
	    valid_type_hint(vf->type);
}

/*
 * 1 when s[0..len) (valid UTF-8) has no control character: no C0, no DEL
 * and no C1 (U+0080..U+009F, encoded as C2 80..C2 9F).
 */
static int
no_controls(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < len; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return 0;
		if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 &&
		    p[i + 1] <= 0x9f)
			return 0;
	}
	return 1;
}

#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define DIGITS "0123456789"

/* A user-name part: a letter, then [A-Za-z0-9._-]; 1..32 characters. */
static int
user_part(const char *v, size_t len)
{
	return len >= 1 && len <= 32 && isalpha((unsigned char)v[0]) &&
	    util_all_in(v, len, LOWER UPPER DIGITS "._-");
}

/* Entries of a no-proxy list: host names, IPv4 addresses, .domains. */
static int
host_list(const char *v, size_t len)
{
	char item[256];
	size_t i = 0;

	while (i < len) {
		size_t n = 0;
		while (i < len && (v[i] == ',' || v[i] == ' '))
			i++;
		while (i < len && v[i] != ',' && v[i] != ' ') {
			if (n + 1 >= sizeof item)
				return 0;
			item[n++] = v[i++];
		}
		if (n == 0)
			break;
		item[n] = '\0';
		if (!syntax_ipv4(item) && !syntax_hostname(item[0] == '.' ?
		    item + 1 : item))
			return 0;
	}
	return 1;
}

/* SHA-256 thumbprint: 32 hex pairs separated by colons. */
static int
thumbprint(const char *v, size_t len)
{
	if (len != 95)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (i % 3 == 2 ? v[i] != ':' : !isxdigit((unsigned char)v[i]))
			return 0;
	return 1;
}

/*
 * Check v[0..len) (already valid UTF-8 without NUL) against type and
 * maxlen.  Returns 0, CONN_ETOOBIG or CONN_EINVAL.
 */
int
valid_value(enum valid_type type, const char *v, size_t len, size_t maxlen)
{
	if (len > maxlen)
		return CONN_ETOOBIG;
	if (type == VT_FILE)
		return 0;	/* any bytes: the page's parser judges them */
	if (!util_utf8_valid(v, len) || memchr(v, '\0', len) != NULL)
		return CONN_EINVAL;
	switch (type) {
	case VT_TOKEN:
		for (size_t i = 0; i < len; i++)
			if (!isalnum((unsigned char)v[i]) && v[i] != '-' &&
			    v[i] != '_')
				return CONN_EINVAL;
		return 0;
	case VT_SETUP_CODE:
		for (size_t i = 0; i < len; i++)
			if (!isalnum((unsigned char)v[i]) && v[i] != '-' &&
			    v[i] != ' ')
				return CONN_EINVAL;
		return 0;
	case VT_PASSWORD:
	case VT_TEXT:
		return no_controls(v, len) ? 0 : CONN_EINVAL;
	case VT_MULTILINE:
		for (size_t i = 0; i < len; i++)
			if (v[i] == '\t' || v[i] == '\n' || v[i] == '\r')
				continue;
			else if (!no_controls(v + i, 1) || ((unsigned char)v[i] ==
			    0xc2 && i + 1 < len && !no_controls(v + i, 2)))
				return CONN_EINVAL;
		return 0;
	case VT_HOSTNAME:
		return syntax_hostname(v) ? 0 : CONN_EINVAL;
	case VT_IPV4:
		return syntax_ipv4(v) ? 0 : CONN_EINVAL;
	case VT_PORT:
		return syntax_port(v) ? 0 : CONN_EINVAL;
	case VT_WORD:
		return len && util_all_in(v, len, LOWER DIGITS "-") ? 0 :
		    CONN_EINVAL;
	case VT_HOST:
		return syntax_host_or_ipv4(v) ? 0 : CONN_EINVAL;
	case VT_HOST_PORT: {
		char h[SYNTAX_HOST_MAX + 1];
		int port;
		return syntax_host_port(v, h, sizeof h, &port) ? 0 : CONN_EINVAL;
	}
	case VT_DOMAIN_USER: {
		const char *bs = memchr(v, '\\', len);
		if (bs == NULL)
			return user_part(v, len) ? 0 : CONN_EINVAL;
		return user_part(v, (size_t)(bs - v)) &&
		    user_part(bs + 1, len - (size_t)(bs - v) - 1) ? 0 :
		    CONN_EINVAL;
	}
	case VT_REGION:
		return syntax_region(v) ? 0 : CONN_EINVAL;
	case VT_ACCESS_KEY:
		return len >= 16 && util_all_in(v, len, UPPER DIGITS) ? 0 :
		    CONN_EINVAL;
	case VT_SECRET:
		for (size_t i = 0; i < len; i++)
			if (v[i] <= ' ' || v[i] >= 0x7f)
				return CONN_EINVAL;
		return 0;
	case VT_THUMBPRINT:
		return thumbprint(v, len) ? 0 : CONN_EINVAL;
	case VT_HOST_LIST:
		return host_list(v, len) ? 0 : CONN_EINVAL;
	case VT_PROXY_USER:
		for (size_t i = 0; i < len; i++)
			if (v[i] <= ' ' || v[i] >= 0x7f || v[i] == ':')
				return CONN_EINVAL;
		return 0;
	case VT_LOCAL_PATH:
		return len && v[0] == '/' && strstr(v, "//") == NULL &&
		    util_all_in(v, len, LOWER DIGITS "/-") ? 0 : CONN_EINVAL;
	case VT_NUMBER:
		return len && v[0] != '0' && util_all_in(v, len, DIGITS) ? 0 :
		    CONN_EINVAL;
	case VT_FILE_NAME:
		return len && v[0] != '.' && util_all_in(v, len,
		    UPPER LOWER DIGITS "._-") ? 0 : CONN_EINVAL;
	case VT_MOREF:
		return syntax_moref(v) ? 0 : CONN_EINVAL;
	case VT_BUCKET:
		return syntax_bucket(v) ? 0 : CONN_EINVAL;
	case VT_OBJECT_KEY:
		return no_controls(v, len) && syntax_object_key(v) ? 0 : CONN_EINVAL;
	case VT_TASK_ID:
		return syntax_task_id(v) != SYNTAX_TASK_NONE ? 0 : CONN_EINVAL;
	case VT_FILE:
		return 0;
	}
	return CONN_EINVAL;
}

/* What a value of type must look like, for an error message. */
const char *
valid_type_hint(enum valid_type type)
{
	switch (type) {
	case VT_TOKEN:
		return "letters, digits, '-' and '_' only";
	case VT_SETUP_CODE:
		return "letters, digits and dashes, as printed on the console";
	case VT_PASSWORD:
		return "any characters except control characters";
	case VT_TEXT:
		return "one line of text without control characters";
	case VT_HOSTNAME:
		return "a host name such as vcenter.example.com";
	case VT_IPV4:
		return "an IPv4 address such as 192.0.2.10";
	case VT_PORT:
		return "a port number from 1 to 65535";
	case VT_WORD:
		return "one of the console's own choices";
	case VT_HOST:
		return "a host name such as proxy.example.com or an IPv4 "
		    "address";
	case VT_HOST_PORT:
		return "a host name or IPv4 address, optionally followed by "
		    ":PORT — not a URL";
	case VT_DOMAIN_USER:
		return "a user name as DOMAIN\\user or user: each part starts "
		    "with a letter and has only letters, digits, '.', '_' and "
		    "'-' (up to 32 characters)";
	case VT_REGION:
		return "a region from the list";
	case VT_ACCESS_KEY:
		return "capital letters and digits, as AWS shows it (16 or more)";
	case VT_SECRET:
		return "the value as AWS shows it, without spaces";
	case VT_THUMBPRINT:
		return "a SHA-256 thumbprint as AA:BB:...";
	case VT_HOST_LIST:
		return "host names, IPv4 addresses or .domain entries, "
		    "separated by commas";
	case VT_PROXY_USER:
		return "printable characters without spaces or ':'";
	case VT_LOCAL_PATH:
		return "a page of this console, such as /keys";
	case VT_NUMBER:
		return "a whole number, without a sign or leading zeros";
	case VT_FILE_NAME:
		return "a file name of letters, digits, '.', '_' and '-'";
	case VT_MOREF:
		return "a managed object id such as vm-42: letters, digits, "
		    "'.', '_', ':' and '-'";
	case VT_BUCKET:
		return "an S3 bucket name: 3 to 63 lower-case letters, digits, "
		    "'.' and '-'";
	case VT_OBJECT_KEY:
		return "an S3 object key such as images/web01.vmdk, without a "
		    "leading '/' and without '.' or '..' parts";
	case VT_TASK_ID:
		return "an import task id such as import-ami-0123456789abcdef0, "
		    "import-i-ffvko9js or import-vol-ffut5xv4";
	case VT_FILE:
		return "a file";
	case VT_MULTILINE:
		return "text without control characters (line breaks and tabs "
		    "are fine)";
	}
	return "";
}

