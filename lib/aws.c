/*
 * aws.c — the AWS client: STS (GetCallerIdentity, GetFederationToken,
 * AssumeRole), EC2 (DescribeRegions; DescribeImportImageTasks,
 * DescribeConversionTasks and DescribeInstances, paged; ImportImage) and
 * S3 (PutObject, path style).  Query calls are form-encoded POST bodies
 * with their parameters sorted, signed by libcurl's SigV4 (which hashes
 * the body it is given as POSTFIELDS); S3 bodies carry their own
 * x-amz-content-sha256; temporary credentials send their session token in
 * X-Amz-Security-Token.  Answers are read with the hardened parser of
 * xml.c and service errors are mapped to codes.  Throttling and 5xx
 * answers are retried with a capped exponential backoff, and so are
 * timeouts when the caller asks (struct aws_retry); nothing else is.
 * The describe calls name up to AWS_MAX_IDS tasks or instances each.
 * A paged walk remembers every token it was given and stops when one
 * comes back.
 * The Date header of every answer is kept so callers can measure clock
 * skew.  Endpoints follow the SDKs' convention: AWS_ENDPOINT_URL_<SERVICE>
 * beats AWS_ENDPOINT_URL beats the caller's setting beats the region's
 * default; only https is accepted.  Secrets are never logged and are
 * wiped when freed.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>

#include "outbound.h"

#define STS_VERSION "2011-06-15"
#define EC2_VERSION "2016-11-15"
#define AWS_MAX_PARAMS (AWS_MAX_IDS + 16)
#define AWS_MAX_PAGES 100000
#define AWS_TOKEN_MAX 4096

struct param {
	const char *name;
	const char *value;
};

static const char *const service_names[AWS__NSERVICES] = { "sts", "ec2",
    "s3" };

const char *
aws_service_name(enum aws_service svc)
{
	return svc < AWS__NSERVICES ? service_names[svc] : "?";
}

const char *
aws_code_string(enum aws_code c)
{
	switch (c) {
	case AWS_C_NONE: return "none";
	case AWS_C_SIGNATURE: return "SignatureDoesNotMatch";
	case AWS_C_INVALID_TOKEN: return "InvalidClientTokenId";
	case AWS_C_AUTH_FAILURE: return "AuthFailure";
	case AWS_C_REQUEST_EXPIRED: return "RequestExpired";
	case AWS_C_EXPIRED_TOKEN: return "ExpiredToken";
	case AWS_C_THROTTLING: return "Throttling";
	case AWS_C_ACCESS_DENIED: return "AccessDenied";
	case AWS_C_INVALID_PARAMETER: return "InvalidParameterValue";
	case AWS_C_LIMIT_EXCEEDED: return "ResourceCountLimitExceeded";
	case AWS_C_NOT_FOUND: return "NotFound";
	case AWS_C_OTHER: break;
	}
	return "other";
}

const char *
aws_endpoint_source_string(enum aws_endpoint_source s)
{
	switch (s) {
	case AWS_EP_ENV_SERVICE: return "service environment";
	case AWS_EP_ENV: return "environment";
	case AWS_EP_SETTING: return "setting";
	case AWS_EP_DEFAULT: break;
	}
	return "default";
}

/* The code for a service's error name (AWS_C_OTHER when not known). */
static enum aws_code
code_of(const char *name)
{
	static const struct {
		const char *name;
		enum aws_code code;
	} map[] = {
		{ "SignatureDoesNotMatch", AWS_C_SIGNATURE },
		{ "InvalidClientTokenId", AWS_C_INVALID_TOKEN },
		{ "InvalidAccessKeyId", AWS_C_INVALID_TOKEN },
		{ "AuthFailure", AWS_C_AUTH_FAILURE },
		{ "RequestExpired", AWS_C_REQUEST_EXPIRED },
		{ "RequestTimeTooSkewed", AWS_C_REQUEST_EXPIRED },
		{ "ExpiredToken", AWS_C_EXPIRED_TOKEN },
		{ "Throttling", AWS_C_THROTTLING },
		{ "ThrottlingException", AWS_C_THROTTLING },
		{ "RequestLimitExceeded", AWS_C_THROTTLING },
		{ "SlowDown", AWS_C_THROTTLING },
		{ "TooManyRequestsException", AWS_C_THROTTLING },
		{ "AccessDenied", AWS_C_ACCESS_DENIED },
		{ "InvalidParameterValue", AWS_C_INVALID_PARAMETER },
		{ "InvalidParameter", AWS_C_INVALID_PARAMETER },
		{ "ValidationError", AWS_C_INVALID_PARAMETER },
		{ "MissingParameter", AWS_C_INVALID_PARAMETER },
		{ "InvalidParameterCombination", AWS_C_INVALID_PARAMETER },
		{ "InvalidConversionTaskId.Malformed",
		    AWS_C_INVALID_PARAMETER },
		{ "InvalidInstanceID.Malformed", AWS_C_INVALID_PARAMETER },
		{ "ResourceCountLimitExceeded", AWS_C_LIMIT_EXCEEDED },
		{ "InvalidConversionTaskId", AWS_C_NOT_FOUND },
		{ "InvalidInstanceID.NotFound", AWS_C_NOT_FOUND },
		{ "NotRegistered", AWS_C_NOT_FOUND },	/* the portal */
	};

	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(name, map[i].name) == 0)
			return map[i].code;
	return AWS_C_OTHER;
}

/* The return code for a service error. */
static int
error_rc(enum aws_code c)
{
	switch (c) {
	case AWS_C_SIGNATURE:
	case AWS_C_INVALID_TOKEN:
	case AWS_C_AUTH_FAILURE:
	case AWS_C_REQUEST_EXPIRED:
	case AWS_C_EXPIRED_TOKEN:
	case AWS_C_ACCESS_DENIED:
		return CONN_EDENIED;
	case AWS_C_INVALID_PARAMETER:
		return CONN_EINVAL;
	case AWS_C_LIMIT_EXCEEDED:
		return CONN_ECONFLICT;
	case AWS_C_NOT_FOUND:
		return CONN_ENOTFOUND;
	default:
		return CONN_EIO;
	}
}

/*
 * Fill err for a service's error answer with HTTP status: its code name
 * and message (outside text: cut and cleaned; an empty message becomes the
 * code name) and the mapped code.  Shared with lib/portal.  Returns the
 * call's return code: CONN_EDENIED (credentials refused), CONN_EINVAL,
 * CONN_ECONFLICT (a limit reached), CONN_ENOTFOUND or CONN_EIO.
 */
int
aws_error_service(struct aws_error *err, long status, const char *code_name,
    const char *message)
{
	util_copy_text(err->code_name, sizeof err->code_name, code_name);
	util_copy_text(err->message, sizeof err->message,
	    message ? message : "");
	if (!err->message[0])
		snprintf(err->message, sizeof err->message, "%s",
		    err->code_name);
	err->kind = AWS_E_SERVICE;
	err->status = status;
	err->code = code_of(err->code_name);
	err->http.kind = HTTP_ESTATUS;
	snprintf(err->http.detail, sizeof err->http.detail, "%s (%ld)",
	    err->code_name, status);
	return error_rc(err->code);
}

/* Fill err for an answer that could not be read (shared with lib/portal).
 * Returns CONN_EIO. */
int
aws_error_protocol(struct aws_error *err, long status, const char *msg)
{
	err->kind = AWS_E_PROTOCOL;
	err->code = AWS_C_NONE;
	err->code_name[0] = '\0';
	err->status = status;
	err->http.kind = status >= 200 && status < 300 ? HTTP_EPARSE :
	    HTTP_ESTATUS;
	snprintf(err->message, sizeof err->message, "%s", msg);
	snprintf(err->http.detail, sizeof err->http.detail, "%s", msg);
	return CONN_EIO;
}

/*
 * Read the error answer of a service (STS <ErrorResponse><Error>, EC2
 * <Response><Errors><Error>, S3 <Error>) into err.  Returns the error's
 * code (never 0): CONN_EDENIED, CONN_EINVAL, CONN_ECONFLICT (a limit is
 * reached), CONN_ENOTFOUND (a named task or instance does not exist) or
 * CONN_EIO; an answer that is not such an error gives CONN_EIO with kind
 * AWS_E_PROTOCOL.
 */
int
aws_read_error(const char *body, size_t len, long status,
    struct aws_error *err)
{
	struct _xmlDoc *doc;
	struct _xmlNode *root, *e;
	char msg[64], code[sizeof err->code_name];
	char text[sizeof err->message];

	snprintf(msg, sizeof msg, "HTTP status %ld", status);
	if (xml_parse(body, len, 0, &doc) != 0)
		return aws_error_protocol(err, status, msg);
	root = xml_root(doc);
	e = strcmp(xml_name(root), "Error") == 0 ? root :
	    xml_find(root, "Error");
	if (e == NULL || xml_text(xml_child(e, "Code"), code,
	    sizeof code) != 0 || !code[0]) {
		xml_free(doc);
		return aws_error_protocol(err, status, msg);
	}
	text[0] = '\0';
	xml_text(xml_child(e, "Message"), text, sizeof text);
	xml_free(doc);
	return aws_error_service(err, status, code, text);
}

/*
 * Read the answer to a query action.  A 2xx answer must be the XML
 * document <ACTIONResponse>: returns 0 with *doc (the caller frees it with
 * xml_free) and *root.  Otherwise returns the error's code with err filled
 * and *doc and *root NULL.
 */
int
aws_answer(const char *body, size_t len, long status, const char *action,
    struct _xmlDoc **doc, struct _xmlNode **root, struct aws_error *err)
{
	char want[96];

	*doc = NULL;
	*root = NULL;
	if (status < 200 || status > 299)
		return aws_read_error(body, len, status, err);
	if (xml_parse(body, len, 0, doc) != 0)
		return aws_error_protocol(err, status, "the answer is not XML");
	snprintf(want, sizeof want, "%sResponse", action);
	if (strcmp(xml_name(xml_root(*doc)), want) != 0) {
		xml_free(*doc);
		*doc = NULL;
		return aws_error_protocol(err, status, "the answer is not the "
		    "expected response");
	}
	*root = xml_root(*doc);
	return 0;
}

/* Copy the text of parent's child local into out, cleaned.  0 or < 0. */
static int
text_of(const struct _xmlNode *parent, const char *local, char *out,
    size_t outlen)
{
	int rc = xml_text(xml_child(parent, local), out, outlen);

	util_clean_text(out);
	return rc;
}

/*
 * The identity of a GetCallerIdentity answer.  Returns 0 or CONN_EINVAL
 * when the account or the ARN is missing or too long.
 */
int
aws_read_identity(const struct _xmlNode *root, struct aws_identity *out)
{
	const struct _xmlNode *r = xml_child(root, "GetCallerIdentityResult");

	memset(out, 0, sizeof *out);
	if (text_of(r, "Account", out->account, sizeof out->account) != 0 ||
	    text_of(r, "Arn", out->arn, sizeof out->arn) != 0 ||
	    !out->account[0] || !out->arn[0])
		return CONN_EINVAL;
	text_of(r, "UserId", out->user_id, sizeof out->user_id);
	return 0;
}

/*
 * Call cb for each region of a DescribeRegions answer.  Returns 0,
 * CONN_EINVAL for an entry without a name, or cb's non-zero value.
 */
int
aws_read_regions(const struct _xmlNode *root, aws_region_cb cb, void *arg)
{
	struct aws_region r;
	int rc;

	for (struct _xmlNode *i = xml_child(xml_child(root, "regionInfo"),
	    "item"); i; i = xml_next(i, "item")) {
		memset(&r, 0, sizeof r);
		if (text_of(i, "regionName", r.name, sizeof r.name) != 0 ||
		    !r.name[0])
			return CONN_EINVAL;
		text_of(i, "regionEndpoint", r.endpoint, sizeof r.endpoint);
		text_of(i, "optInStatus", r.opt_in, sizeof r.opt_in);
		if ((rc = cb(arg, &r)) != 0)
			return rc;
	}
	return 0;
}

/*
 * Copy the nextToken of a paged answer into next ("" when there is none).
 * Returns 0, or CONN_EINVAL (next "") when it does not fit: a cut token
 * must never be sent.
 */
static int
read_next(const struct _xmlNode *root, char *next, size_t nextlen)
{
	struct _xmlNode *tok;

	if (nextlen)
		next[0] = '\0';
	if ((tok = xml_child(root, "nextToken")) == NULL)
		return 0;
	if (nextlen == 0)
		return xml_text(tok, next, 0) == 0 ? 0 : CONN_EINVAL;
	if (xml_text(tok, next, nextlen) != 0) {
		next[0] = '\0';
		return CONN_EINVAL;
	}
	util_clean_text(next);
	return 0;
}

/*
 * Call cb for each task of a DescribeImportImageTasks answer and copy its
 * nextToken into next ("" on the last page).  *count (optional) gets the
 * number of tasks.  Returns 0, CONN_EINVAL for a task without an id or a
 * token that does not fit, or cb's non-zero value.
 */
int
aws_read_import_tasks(const struct _xmlNode *root, aws_task_cb cb,
    void *arg, char *next, size_t nextlen, int *count)
{
	struct aws_import_task t;
	int rc, n = 0;

	if (count)
		*count = 0;
	if ((rc = read_next(root, next, nextlen)) != 0)
		return rc;
	for (struct _xmlNode *i = xml_child(xml_child(root,
	    "importImageTaskSet"), "item"); i; i = xml_next(i, "item")) {
		memset(&t, 0, sizeof t);
		if (text_of(i, "importTaskId", t.id, sizeof t.id) != 0 ||
		    !t.id[0])
			return CONN_EINVAL;
		text_of(i, "status", t.status, sizeof t.status);
		text_of(i, "statusMessage", t.status_message,
		    sizeof t.status_message);
		text_of(i, "progress", t.progress, sizeof t.progress);
		text_of(i, "imageId", t.image_id, sizeof t.image_id);
		text_of(i, "description", t.description, sizeof t.description);
		n++;
		if (count)
			*count = n;
		if ((rc = cb(arg, &t)) != 0)
			return rc;
	}
	return 0;
}

/*
 * The decimal count in parent's child local into *out (-1 when there is
 * no such child).  Returns 0 or CONN_EINVAL when it is not a number.
 */
static int
count_of(const struct _xmlNode *parent, const char *local, long long *out)
{
	struct _xmlNode *c = xml_child(parent, local);
	char s[24], *end;
	long long v;

	*out = -1;
	if (c == NULL)
		return 0;
	if (xml_text(c, s, sizeof s) != 0 || !isdigit((unsigned char)s[0]))
		return CONN_EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return CONN_EINVAL;
	*out = v;
	return 0;
}

/*
 * Call cb for each task of a DescribeConversionTasks answer (an import of
 * a volume, or of an instance: then its first volume and the instance's
 * id) and copy its
 * nextToken into next ("" on the last page).  *count (optional) gets the
 * number of tasks.  Returns 0, CONN_EINVAL for a task without an id, a
 * size that is not a number or a token that does not fit, or cb's
 * non-zero value.
 */
int
aws_read_conversion_tasks(const struct _xmlNode *root, aws_conversion_cb cb,
    void *arg, char *next, size_t nextlen, int *count)
{
	struct aws_conversion_task t;
	const struct _xmlNode *v;
	int rc, n = 0;

	if (count)
		*count = 0;
	if ((rc = read_next(root, next, nextlen)) != 0)
		return rc;
	for (struct _xmlNode *i = xml_child(xml_child(root,
	    "conversionTasks"), "item"); i; i = xml_next(i, "item")) {
		memset(&t, 0, sizeof t);
		if (text_of(i, "conversionTaskId", t.id, sizeof t.id) != 0 ||
		    !t.id[0])
			return CONN_EINVAL;
		text_of(i, "state", t.state, sizeof t.state);
		text_of(i, "statusMessage", t.status_message,
		    sizeof t.status_message);
		text_of(i, "expirationTime", t.expiration, sizeof t.expiration);
		text_of(xml_child(i, "importInstance"), "instanceId",
		    t.instance_id, sizeof t.instance_id);
		if ((v = xml_child(i, "importVolume")) == NULL)
			v = xml_child(xml_child(xml_child(i, "importInstance"),
			    "volumes"), "item");
		text_of(v, "availabilityZone", t.zone, sizeof t.zone);
		text_of(xml_child(v, "volume"), "id", t.volume_id,
		    sizeof t.volume_id);
		if (count_of(v, "bytesConverted", &t.bytes_converted) != 0 ||
		    count_of(xml_child(v, "image"), "size",
		    &t.image_size) != 0)
			return CONN_EINVAL;
		n++;
		if (count)
			*count = n;
		if ((rc = cb(arg, &t)) != 0)
			return rc;
	}
	return 0;
}

/* Copy the value of the tag named key of a tagSet's owner into out. */
static void
tag_of(const struct _xmlNode *owner, const char *key, char *out,
    size_t outlen)
{
	char k[129];

	out[0] = '\0';
	for (struct _xmlNode *i = xml_child(xml_child(owner, "tagSet"),
	    "item"); i; i = xml_next(i, "item"))
		if (xml_text(xml_child(i, "key"), k, sizeof k) == 0 &&
		    strcmp(k, key) == 0) {
			text_of(i, "value", out, outlen);
			return;
		}
}

/*
 * Call cb for each instance of each reservation of a DescribeInstances
 * answer and copy its nextToken into next ("" on the last page).  *count
 * (optional) gets the number of instances.  Returns 0, CONN_EINVAL for an
 * instance without an id or a token that does not fit, or cb's non-zero
 * value.
 */
int
aws_read_instances(const struct _xmlNode *root, aws_instance_cb cb,
    void *arg, char *next, size_t nextlen, int *count)
{
	struct aws_instance t;
	int rc, n = 0;

	if (count)
		*count = 0;
	if ((rc = read_next(root, next, nextlen)) != 0)
		return rc;
	for (struct _xmlNode *r = xml_child(xml_child(root, "reservationSet"),
	    "item"); r; r = xml_next(r, "item"))
		for (struct _xmlNode *i = xml_child(xml_child(r,
		    "instancesSet"), "item"); i; i = xml_next(i, "item")) {
			memset(&t, 0, sizeof t);
			if (text_of(i, "instanceId", t.id, sizeof t.id) != 0 ||
			    !t.id[0])
				return CONN_EINVAL;
			text_of(i, "imageId", t.image_id, sizeof t.image_id);
			text_of(xml_child(i, "instanceState"), "name", t.state,
			    sizeof t.state);
			text_of(i, "instanceType", t.type, sizeof t.type);
			text_of(i, "launchTime", t.launch_time,
			    sizeof t.launch_time);
			text_of(xml_child(i, "placement"), "availabilityZone",
			    t.zone, sizeof t.zone);
			text_of(i, "privateIpAddress", t.private_ip,
			    sizeof t.private_ip);
			tag_of(i, "Name", t.name, sizeof t.name);
			n++;
			if (count)
				*count = n;
			if ((rc = cb(arg, &t)) != 0)
				return rc;
		}
	return 0;
}

/*
 * The import task id of an ImportImage answer into task_id.  Returns 0 or
 * CONN_EINVAL (task_id "") when it is missing or does not fit.
 */
int
aws_read_import_image(const struct _xmlNode *root, char *task_id,
    size_t idlen)
{
	if (idlen == 0)
		return CONN_EINVAL;
	if (text_of(root, "importTaskId", task_id, idlen) != 0 ||
	    !task_id[0]) {
		task_id[0] = '\0';
		return CONN_EINVAL;
	}
	return 0;
}

/*
 * The temporary credentials of a GetFederationToken or AssumeRole answer.
 * Returns 0 or CONN_EINVAL when one is missing or too long; out is wiped
 * on failure.
 */
int
aws_read_credentials(const struct _xmlNode *root, struct aws_credentials *out)
{
	const struct _xmlNode *c = xml_find(root, "Credentials");

	memset(out, 0, sizeof *out);
	if (text_of(c, "AccessKeyId", out->access_key,
	    sizeof out->access_key) != 0 ||
	    text_of(c, "SecretAccessKey", out->secret_key,
	    sizeof out->secret_key) != 0 ||
	    text_of(c, "SessionToken", out->session_token,
	    sizeof out->session_token) != 0 ||
	    !out->access_key[0] || !out->secret_key[0] ||
	    !out->session_token[0]) {
		util_wipe(out, sizeof *out);
		return CONN_EINVAL;
	}
	text_of(c, "Expiration", out->expiration, sizeof out->expiration);
	return 0;
}

/*
 * Parse an HTTP date ("Sun, 06 Nov 1994 08:49:37 GMT") into *out.
 * Returns 0 or CONN_EINVAL.
 */
int
aws_parse_http_date(const char *s, time_t *out)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	static const char shape[] = "aaa, dd aaa dddd dd:dd:dd GMT";
	struct tm tm;
	const char *m;
	time_t t;

	for (size_t i = 0; i < sizeof shape; i++) {
		if (shape[i] == 'a' ? !isalpha((unsigned char)s[i]) :
		    shape[i] == 'd' ? !isdigit((unsigned char)s[i]) :
		    s[i] != shape[i])
			return CONN_EINVAL;
	}
	memset(&tm, 0, sizeof tm);
	for (m = months; *m; m += 3)
		if (strncmp(m, s + 8, 3) == 0)
			break;
	if (!*m)
		return CONN_EINVAL;
	tm.tm_mon = (int)(m - months) / 3;
	tm.tm_mday = atoi(s + 5);
	tm.tm_year = atoi(s + 12) - 1900;
	tm.tm_hour = atoi(s + 17);
	tm.tm_min = atoi(s + 20);
	tm.tm_sec = atoi(s + 23);
	if (tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 60 || tm.tm_year < 70 ||
	    (t = timegm(&tm)) == (time_t)-1)
		return CONN_EINVAL;
	*out = t;
	return 0;
}

/*
 * Check and copy an endpoint URL: https only, no spaces or control bytes,
 * trailing slashes dropped.  0, CONN_EINVAL or CONN_ETOOBIG.
 */
static int
copy_endpoint(const char *url, char *out, size_t outlen)
{
	size_t n = strlen(url);

	if (strncasecmp(url, "https://", 8) != 0 || n == 8)
		return CONN_EINVAL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f ||
		    url[i] == '?' || url[i] == '#')
			return CONN_EINVAL;
	while (n > 8 && url[n - 1] == '/')
		n--;
	if (n >= outlen)
		return CONN_ETOOBIG;
	memcpy(out, url, n);
	out[n] = '\0';
	return 0;
}

/* 1 when s is 1..max characters of lower-case letters, digits and '-'
 * (task ids). */
static int
lower_id(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
}

/*
 * The endpoint of service svc: AWS_ENDPOINT_URL_<SVC> from the
 * environment, else AWS_ENDPOINT_URL, else setting (NULL or "": none),
 * else https://SVC.REGION.amazonaws.com.  *source (optional) says which.
 * Returns 0, CONN_EINVAL when the winner is not an https URL or the region
 * is not a region name, CONN_ETOOBIG.
 */
int
aws_resolve_endpoint(enum aws_service svc, const char *region,
    const char *setting, char *out, size_t outlen,
    enum aws_endpoint_source *source)
{
	char var[64], def[128];
	const char *v;
	enum aws_endpoint_source src;
	size_t i;

	if (svc >= AWS__NSERVICES || region == NULL || !syntax_region(region))
		return CONN_EINVAL;
	snprintf(var, sizeof var, "AWS_ENDPOINT_URL_%s", service_names[svc]);
	for (i = 0; var[i]; i++)
		var[i] = (char)toupper((unsigned char)var[i]);
	if ((v = getenv(var)) != NULL && *v)
		src = AWS_EP_ENV_SERVICE;
	else if ((v = getenv("AWS_ENDPOINT_URL")) != NULL && *v)
		src = AWS_EP_ENV;
	else if ((v = setting) != NULL && *v)
		src = AWS_EP_SETTING;
	else {
		snprintf(def, sizeof def, "https://%s.%s.amazonaws.com",
		    service_names[svc], region);
		v = def;
		src = AWS_EP_DEFAULT;
	}
	if (source)
		*source = src;
	return copy_endpoint(v, out, outlen);
}

/*
 * Prepare a client for region, with settings (NULL, or one endpoint
 * setting per service, each NULL for none) and opts (copied; its strings
 * must outlive the client).  Credentials come with aws_set_credentials.
 * Returns 0 (free with aws_free), CONN_EINVAL for a bad region or
 * endpoint, CONN_ENOMEM.
 */
int
aws_init(struct aws *a, const char *region,
    const char *const settings[AWS__NSERVICES], const struct http_opts *opts)
{
	int rc;

	memset(a, 0, sizeof *a);
	if (region == NULL || !syntax_region(region))
		return CONN_EINVAL;
	snprintf(a->region, sizeof a->region, "%s", region);
	for (int s = 0; s < AWS__NSERVICES; s++)
		if ((rc = aws_resolve_endpoint(s, region, settings ?
		    settings[s] : NULL, a->endpoint[s], sizeof a->endpoint[s],
		    &a->source[s])) != 0) {
			log_warn("AWS %s endpoint refused: not an https URL",
			    service_names[s]);
			return rc;
		}
	a->opts = *opts;
	return http_client_init(&a->http, &a->opts);
}

/*
 * Set the credentials (copied; session_token NULL or "" for long-term
 * keys).  Returns 0, CONN_EINVAL when one is empty or holds control bytes
 * or spaces, CONN_ETOOBIG.
 */
int
aws_set_credentials(struct aws *a, const char *access_key,
    const char *secret_key, const char *session_token)
{
	const char *v[3] = { access_key, secret_key, session_token ?
	    session_token : "" };
	char *dst[3] = { a->cred.access_key, a->cred.secret_key,
	    a->cred.session_token };
	size_t cap[3] = { sizeof a->cred.access_key, sizeof a->cred.secret_key,
	    sizeof a->cred.session_token };

	util_wipe(&a->cred, sizeof a->cred);
	for (int i = 0; i < 3; i++) {
		if (v[i] == NULL || (i < 2 && !v[i][0]))
			return CONN_EINVAL;
		if (strlen(v[i]) >= cap[i])
			return CONN_ETOOBIG;
		for (const char *p = v[i]; *p; p++)
			if ((unsigned char)*p <= 0x20 || *p == 0x7f ||
			    (i == 0 && *p == ':'))
				return CONN_EINVAL;
		memcpy(dst[i], v[i], strlen(v[i]) + 1);
	}
	return 0;
}

/*
 * Drop the connection and start a new handle (the next call connects
 * again).  Returns 0 or CONN_ENOMEM.
 */
int
aws_reconnect(struct aws *a)
{
	http_client_free(&a->http);
	return http_client_init(&a->http, &a->opts);
}

/* Free the client's handle and wipe its credentials. */
void
aws_free(struct aws *a)
{
	http_client_free(&a->http);
	util_wipe(&a->cred, sizeof a->cred);
}

/* Seconds the server's clock is ahead of ours at the last answer (0: none). */
long
aws_clock_skew(const struct aws *a)
{
	return a->server_time ? (long)(a->server_time - a->local_time) : 0;
}

/* Sleep ms milliseconds. */
static void
pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1)
		;
}

/* Keep the Date header of resp as the server's clock. */
static void
keep_date(struct aws *a, const struct http_response *resp)
{
	time_t t;

	a->server_date[0] = '\0';
	a->server_time = 0;
	if (http_response_header(resp, "Date", a->server_date,
	    sizeof a->server_date) != 0)
		return;
	util_clean_text(a->server_date);
	a->local_time = time(NULL);
	if (aws_parse_http_date(a->server_date, &t) == 0)
		a->server_time = t;
}

/*
 * Send one signed request to service svc, retrying throttling and 5xx
 * answers with backoff.  Returns 0 with resp holding a 2xx answer (the
 * caller frees it with http_response_free), or an error code with err
 * filled (resp then holds nothing).  what names the call in logs.
 */
static int
send_signed(struct aws *a, enum aws_service svc, const char *method,
    const char *url, const char *body, size_t len, const char *const *hdrs,
    const char *what, struct http_response *resp, struct aws_error *err)
{
	const struct aws_retry *r = &a->retry;
	int max = r->max_attempts > 0 ? r->max_attempts : 5;
	long delay = r->base_ms > 0 ? r->base_ms : 100;
	long cap = r->cap_ms > 0 ? r->cap_ms : 5000;
	char sig[64];
	struct http_req rq;
	int rc;

	snprintf(sig, sizeof sig, "aws:amz:%s:%s", a->region,
	    service_names[svc]);
	memset(&rq, 0, sizeof rq);
	rq.method = method;
	rq.url = url;
	rq.headers = hdrs;
	rq.body = body;
	rq.body_len = len;
	rq.aws_sigv4 = sig;
	rq.aws_access_key = a->cred.access_key;
	rq.aws_secret_key = a->cred.secret_key;
	for (int attempt = 1;; attempt++) {
		a->last_requests = err->attempts = attempt;
		if (http_request(&a->http, &rq, resp, &err->http) != 0) {
			err->kind = AWS_E_TRANSPORT;
			err->status = 0;
			snprintf(err->message, sizeof err->message, "%s",
			    err->http.detail);
			/* A timed-out request is retried only when the caller
			 * asked (a job; a page would rather answer), on a new
			 * connection: the old one is in an unknown state. */
			if (!r->timeouts || err->http.kind != HTTP_ETIMEOUT ||
			    attempt >= max)
				return CONN_EIO;
			log_info("AWS %s at %s: no answer in time, retrying in "
			    "%ld ms on a new connection", what, a->endpoint[svc],
			    delay);
			if (aws_reconnect(a) != 0)
				return CONN_ENOMEM;
			pause_ms(delay);
			delay = delay * 2 > cap ? cap : delay * 2;
			continue;
		}
		keep_date(a, resp);
		if (resp->status >= 200 && resp->status <= 299)
			return 0;
		rc = aws_read_error(resp->body.data, resp->body.len,
		    resp->status, err);
		snprintf(err->http.endpoint, sizeof err->http.endpoint, "%s",
		    url);
		err->http.elapsed = resp->timing.total;
		err->http.timing = resp->timing;
		err->attempts = attempt;
		http_response_free(resp);
		/* Only throttling and the transient server errors are retried. */
		if ((err->code != AWS_C_THROTTLING && err->status != 500 &&
		    err->status != 502 && err->status != 503 &&
		    err->status != 504) || attempt >= max) {
			log_warn("AWS %s at %s: %s: %s (after %d request%s)",
			    what, a->endpoint[svc], err->code_name[0] ?
			    err->code_name : "error", err->message, attempt,
			    attempt == 1 ? "" : "s");
			return rc;
		}
		log_info("AWS %s at %s: %s, retrying in %ld ms", what,
		    a->endpoint[svc], err->code_name[0] ? err->code_name :
		    "error", delay);
		pause_ms(delay);
		delay = delay * 2 > cap ? cap : delay * 2;
	}
}

static int
param_cmp(const void *x, const void *y)
{
	return strcmp(((const struct param *)x)->name,
	    ((const struct param *)y)->name);
}

/*
 * Run a query action on service svc with params (Action and Version are
 * added; names must be unreserved characters so they sort as encoded).
 * Returns 0 with *doc (free with xml_free) and *root, the
 * <ACTIONResponse>; or an error code with err filled.
 */
static int
query(struct aws *a, enum aws_service svc, const char *action,
    const struct param *params, size_t n, struct _xmlDoc **doc,
    struct _xmlNode **root, struct aws_error *err)
{
	struct param p[AWS_MAX_PARAMS];
	struct http_response resp;
	struct buf body = { 0 }, tok = { 0 };
	const char *hdrs[3] = { "Content-Type: application/x-www-form-urlencoded;"
	    " charset=utf-8", NULL, NULL };
	char url[320];
	size_t np = 0;
	int rc = CONN_ENOMEM;

	*doc = NULL;
	*root = NULL;
	memset(err, 0, sizeof *err);
	if (n + 2 > AWS_MAX_PARAMS)
		return CONN_EINVAL;
	p[np++] = (struct param){ "Action", action };
	p[np++] = (struct param){ "Version", svc == AWS_STS ? STS_VERSION :
	    EC2_VERSION };
	for (size_t i = 0; i < n; i++)
		p[np++] = params[i];
	qsort(p, np, sizeof p[0], param_cmp);
	for (size_t i = 0; i < np; i++)
		if ((i && buf_adds(&body, "&")) ||
		    util_percent_encode(&body, p[i].name, strlen(p[i].name),
		    0) || buf_adds(&body, "=") ||
		    util_percent_encode(&body, p[i].value, strlen(p[i].value),
		    0))
			goto out;
	if (a->cred.session_token[0]) {
		if (buf_addf(&tok, "X-Amz-Security-Token: %s",
		    a->cred.session_token))
			goto out;
		hdrs[1] = tok.data;
	}
	snprintf(url, sizeof url, "%s/", a->endpoint[svc]);
	rc = send_signed(a, svc, "POST", url, body.data, body.len, hdrs,
	    action, &resp, err);
	if (rc != 0)
		goto out;
	rc = aws_answer(resp.body.data, resp.body.len, resp.status, action,
	    doc, root, err);
	if (rc != 0) {
		snprintf(err->http.endpoint, sizeof err->http.endpoint, "%s",
		    url);
		log_warn("AWS %s at %s: %s", action, a->endpoint[svc],
		    err->message);
	}
	http_response_free(&resp);
out:
	util_wipe(body.data, body.cap);
	buf_free(&body);
	util_wipe(tok.data, tok.cap);
	buf_free(&tok);
	return rc;
}

/*
 * Who the credentials belong to (STS GetCallerIdentity).  Returns 0 with
 * out filled, or an error code with err filled.
 */
int
aws_get_caller_identity(struct aws *a, struct aws_identity *out,
    struct aws_error *err)
{
	struct _xmlDoc *doc;
	struct _xmlNode *root;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = query(a, AWS_STS, "GetCallerIdentity", NULL, 0, &doc, &root,
	    err)) != 0)
		return rc;
	if ((rc = aws_read_identity(root, out)) != 0)
		rc = aws_error_protocol(err, 200, "the identity is incomplete");
	xml_free(doc);
	return rc;
}

/*
 * Call cb for each region enabled for the account (EC2 DescribeRegions).
 * Returns 0, cb's non-zero value, or an error code with err filled.
 */
int
aws_describe_regions(struct aws *a, aws_region_cb cb, void *arg,
    struct aws_error *err)
{
	struct _xmlDoc *doc;
	struct _xmlNode *root;
	int rc;

	if ((rc = query(a, AWS_EC2, "DescribeRegions", NULL, 0, &doc, &root,
	    err)) != 0)
		return rc;
	if ((rc = aws_read_regions(root, cb, arg)) == CONN_EINVAL)
		rc = aws_error_protocol(err, 200, "a region has no name");
	xml_free(doc);
	return rc;
}

/*
 * One page of EC2 DescribeImportImageTasks: the tasks named by ids[nids]
 * (nids 0: all; at most AWS_MAX_IDS), at most max_results of them (0: the
 * service's default) after token (NULL or "": the first page); cb is
 * called for each, next gets the token of the next page ("" after the
 * last), *count (optional) the number of tasks.  Returns 0, CONN_EINVAL
 * for a bad id or max_results (nothing sent), cb's non-zero value, or an
 * error code with err filled (CONN_ENOTFOUND when a named task does not
 * exist: the service answers InvalidConversionTaskId for the whole call).
 */
int
aws_describe_import_image_tasks_page(struct aws *a, const char *const *ids,
    size_t nids, int max_results, const char *token, aws_task_cb cb,
    void *arg, char *next, size_t nextlen, int *count,
    struct aws_error *err)
{
	struct param p[AWS_MAX_IDS + 2];
	struct _xmlDoc *doc;
	struct _xmlNode *root;
	char names[AWS_MAX_IDS][32], max[16];
	size_t n = 0;
	int rc;

	memset(err, 0, sizeof *err);
	if (nextlen)
		next[0] = '\0';
	if (count)
		*count = 0;
	if (max_results < 0 || nids > AWS_MAX_IDS || (nids && ids == NULL))
		return CONN_EINVAL;
	for (size_t i = 0; i < nids; i++) {
		if (!lower_id(ids[i], 63))
			return CONN_EINVAL;
		snprintf(names[i], sizeof names[i], "ImportTaskId.%zu", i + 1);
		p[n++] = (struct param){ names[i], ids[i] };
	}
	if (max_results > 0) {
		snprintf(max, sizeof max, "%d", max_results);
		p[n++] = (struct param){ "MaxResults", max };
	}
	if (token && *token)
		p[n++] = (struct param){ "NextToken", token };
	if ((rc = query(a, AWS_EC2, "DescribeImportImageTasks", p, n, &doc,
	    &root, err)) != 0)
		return rc;
	if ((rc = aws_read_import_tasks(root, cb, arg, next, nextlen,
	    count)) == CONN_EINVAL)
		rc = aws_error_protocol(err, 200, "an import task has no id, or "
		    "the next token is too long");
	xml_free(doc);
	return rc;
}

/*
 * The tokens a paged walk was given, as SHA-256 digests (a token may be
 * kilobytes long and a walk may take AWS_MAX_PAGES pages) in an open
 * addressing table that doubles when half full.  A slot with page 0 is
 * free.
 */
struct seen_token {
	unsigned char md[32];
	int page;		/* the page whose answer carried it */
};

struct token_set {
	struct seen_token *slot;
	size_t cap;		/* a power of two, or 0 */
	size_t n;
};

/* The slot of md in slot[cap]: where it is, or the free one to use. */
static struct seen_token *
seen_slot(struct seen_token *slot, size_t cap, const unsigned char md[32])
{
	size_t h = 0;

	for (int i = 0; i < 8; i++)
		h = h << 8 | md[i];
	for (h &= cap - 1;; h = (h + 1) & (cap - 1))
		if (slot[h].page == 0 || memcmp(slot[h].md, md, 32) == 0)
			return &slot[h];
}

/*
 * Remember token as given by the answer to page.  Returns 0 when it is
 * new, the page that gave it first when it was seen before, CONN_ENOMEM
 * or CONN_ECRYPTO.
 */
static int
seen_add(struct token_set *s, const char *token, int page)
{
	struct seen_token *grown, *e;
	unsigned char md[32];
	unsigned int mdlen = 0;
	size_t cap;

	if (!EVP_Digest(token, strlen(token), md, &mdlen, EVP_sha256(),
	    NULL) || mdlen != sizeof md)
		return CONN_ECRYPTO;
	if ((s->n + 1) * 2 > s->cap) {
		cap = s->cap ? s->cap * 2 : 64;
		if ((grown = calloc(cap, sizeof *grown)) == NULL)
			return CONN_ENOMEM;
		for (size_t i = 0; i < s->cap; i++)
			if (s->slot[i].page != 0)
				*seen_slot(grown, cap, s->slot[i].md) =
				    s->slot[i];
		free(s->slot);
		s->slot = grown;
		s->cap = cap;
	}
	e = seen_slot(s->slot, s->cap, md);
	if (e->page != 0)
		return e->page;
	memcpy(e->md, md, sizeof md);
	e->page = page;
	s->n++;
	return 0;
}

/* What a paged walk asks on every page, and whom it tells. */
struct walk_call {
	const char *const *ids;
	size_t nids;
	int max_results;
	aws_task_cb task_cb;
	aws_conversion_cb conversion_cb;
	aws_instance_cb instance_cb;
	void *arg;
};

/* One page of a walk: as the *_page calls. */
typedef int (*page_fn)(struct aws *a, const struct walk_call *c,
    const char *token, char *next, size_t nextlen, int *count,
    struct aws_error *err);

/* Fill err for a walk that does not end, and log it.  Returns CONN_EIO. */
static int
walk_error(struct aws *a, const char *action, const char *msg,
    struct aws_error *err)
{
	aws_error_protocol(err, 200, msg);
	snprintf(err->http.endpoint, sizeof err->http.endpoint, "%s/",
	    a->endpoint[AWS_EC2]);
	log_warn("AWS %s at %s: %s", action, a->endpoint[AWS_EC2], msg);
	return CONN_EIO;
}

/*
 * Walk every page of action with fn, on one connection: the first page
 * without a token, each next one with the token the previous answer gave,
 * until an answer gives none.  page_cb (optional) is called after each
 * page with its number (from 1), its count and whether it was the last.
 * Returns 0, a callback's non-zero value, or an error code with err
 * filled: CONN_EIO (AWS_E_PROTOCOL) when a token comes back (the pages
 * loop) or after AWS_MAX_PAGES pages.
 */
static int
walk(struct aws *a, const char *action, page_fn fn,
    const struct walk_call *c, aws_page_cb page_cb, struct aws_error *err)
{
	struct token_set seen = { NULL, 0, 0 };
	char *token, *next, msg[160];
	int rc = CONN_ENOMEM, count, page, first;

	token = calloc(1, AWS_TOKEN_MAX);
	next = calloc(1, AWS_TOKEN_MAX);
	if (token == NULL || next == NULL)
		goto out;
	for (page = 1; page <= AWS_MAX_PAGES; page++) {
		rc = fn(a, c, token, next, AWS_TOKEN_MAX, &count, err);
		if (rc != 0)
			goto out;
		if (page_cb && (rc = page_cb(c->arg, page, count,
		    !next[0])) != 0)
			goto out;
		if (!next[0])
			goto out;
		if ((first = seen_add(&seen, next, page)) < 0) {
			log_err("AWS %s: the page tokens cannot be kept",
			    action);
			rc = first;
			goto out;
		}
		if (first > 0) {
			snprintf(msg, sizeof msg, "the pages loop: the next "
			    "token of page %d is the one page %d gave", page,
			    first);
			rc = walk_error(a, action, msg, err);
			goto out;
		}
		memcpy(token, next, AWS_TOKEN_MAX);
	}
	rc = walk_error(a, action, "the pages do not end", err);
out:
	free(seen.slot);
	free(token);
	free(next);
	return rc;
}

/* One page of import image tasks, for walk(). */
static int
import_tasks_page(struct aws *a, const struct walk_call *c,
    const char *token, char *next, size_t nextlen, int *count,
    struct aws_error *err)
{
	return aws_describe_import_image_tasks_page(a, c->ids, c->nids,
	    c->max_results, token, c->task_cb, c->arg, next, nextlen, count,
	    err);
}

/*
 * Every import image task (or those named by ids[nids]), page by page
 * (max_results each, 0: the service's default), on one connection.
 * task_cb is called for each task, page_cb (optional) after each page
 * with its number (from 1), its count and whether it was the last.
 * Returns 0, CONN_EINVAL for a bad argument (nothing sent), a callback's
 * non-zero value, or an error code with err filled (CONN_ENOTFOUND for an
 * unknown id, CONN_EIO when a page token comes back).
 */
int
aws_describe_import_image_tasks(struct aws *a, const char *const *ids,
    size_t nids, int max_results, aws_task_cb task_cb, aws_page_cb page_cb,
    void *arg, struct aws_error *err)
{
	struct walk_call c = { .ids = ids, .nids = nids,
	    .max_results = max_results, .task_cb = task_cb, .arg = arg };

	return walk(a, "DescribeImportImageTasks", import_tasks_page, &c,
	    page_cb, err);
}


/*
 * One page of EC2 DescribeConversionTasks: the tasks named by ids[nids]
 * (nids 0: all; at most AWS_MAX_IDS), at most max_results of them (0: all
 * in one answer — the API itself does not page, but an endpoint that
 * honours MaxResults pages with NextToken) after token (NULL or "": the
 * first page).  cb is called for each, next gets the token of the next
 * page ("" after the last), *count (optional) the number of tasks.
 * Returns 0, CONN_EINVAL for a bad id or max_results (nothing sent), cb's
 * non-zero value, or an error code with err filled.
 */
int
aws_describe_conversion_tasks_page(struct aws *a, const char *const *ids,
    size_t nids, int max_results, const char *token, aws_conversion_cb cb,
    void *arg, char *next, size_t nextlen, int *count,
    struct aws_error *err)
{
	struct param p[AWS_MAX_IDS + 2];
	struct _xmlDoc *doc;
	struct _xmlNode *root;
	char names[AWS_MAX_IDS][32], max[16];
	size_t n = 0;
	int rc;

	memset(err, 0, sizeof *err);
	if (nextlen)
		next[0] = '\0';
	if (count)
		*count = 0;
	if (max_results < 0 || nids > AWS_MAX_IDS || (nids && ids == NULL))
		return CONN_EINVAL;
	for (size_t i = 0; i < nids; i++) {
		if (!lower_id(ids[i], 63))
			return CONN_EINVAL;
		snprintf(names[i], sizeof names[i], "ConversionTaskId.%zu",
		    i + 1);
		p[n++] = (struct param){ names[i], ids[i] };
	}
	if (max_results > 0) {
		snprintf(max, sizeof max, "%d", max_results);
		p[n++] = (struct param){ "MaxResults", max };
	}
	if (token && *token)
		p[n++] = (struct param){ "NextToken", token };
	if ((rc = query(a, AWS_EC2, "DescribeConversionTasks", p, n, &doc,
	    &root, err)) != 0)
		return rc;
	if ((rc = aws_read_conversion_tasks(root, cb, arg, next, nextlen,
	    count)) == CONN_EINVAL)
		rc = aws_error_protocol(err, 200, "a conversion task has no id or "
		    "a bad size, or the next token is too long");
	xml_free(doc);
	return rc;
}

/* One page of conversion tasks, for walk(). */
static int
conversion_tasks_page(struct aws *a, const struct walk_call *c,
    const char *token, char *next, size_t nextlen, int *count,
    struct aws_error *err)
{
	return aws_describe_conversion_tasks_page(a, c->ids, c->nids,
	    c->max_results, token, c->conversion_cb, c->arg, next, nextlen,
	    count, err);
}

/*
 * Every conversion task (or those named by ids[nids]), following the
 * pages when the endpoint gives them (max_results each, 0: ask for all at
 * once), on one connection.  task_cb is called for each task, page_cb
 * (optional) after each page.  Returns 0, CONN_EINVAL for a bad argument
 * (nothing sent), a callback's non-zero value, or an error code with err
 * filled (CONN_ENOTFOUND for an unknown id, CONN_EIO when a page token
 * comes back).
 */
int
aws_describe_conversion_tasks(struct aws *a, const char *const *ids,
    size_t nids, int max_results, aws_conversion_cb task_cb,
    aws_page_cb page_cb, void *arg, struct aws_error *err)
{
	struct walk_call c = { .ids = ids, .nids = nids,
	    .max_results = max_results, .conversion_cb = task_cb, .arg = arg };

	return walk(a, "DescribeConversionTasks", conversion_tasks_page, &c,
	    page_cb, err);
}

/*
 * One page of EC2 DescribeInstances: the instances named by ids[nids]
 * (nids 0: all; at most AWS_MAX_IDS; the service then pages by itself and
 * takes no max_results), at most max_results instances (0: the service's
 * default, else 5 to 1000) after token (NULL or "": the first page); cb is
 * called for each instance of each reservation, next gets the token of the
 * next page ("" after the last), *count (optional) the number of
 * instances.  Returns 0, CONN_EINVAL for a bad id or max_results (nothing
 * sent), cb's non-zero value, or an error code with err filled
 * (CONN_ENOTFOUND when a named instance does not exist).
 */
int
aws_describe_instances_page(struct aws *a, const char *const *ids,
    size_t nids, int max_results, const char *token, aws_instance_cb cb,
    void *arg, char *next, size_t nextlen, int *count,
    struct aws_error *err)
{
	struct param p[AWS_MAX_IDS + 2];
	struct _xmlDoc *doc;
	struct _xmlNode *root;
	char names[AWS_MAX_IDS][32], max[16];
	size_t n = 0;
	int rc;

	memset(err, 0, sizeof *err);
	if (nextlen)
		next[0] = '\0';
	if (count)
		*count = 0;
	if (max_results < 0 || (max_results > 0 && max_results < 5) ||
	    max_results > 1000 || nids > AWS_MAX_IDS ||
	    (nids && (ids == NULL || max_results > 0)))
		return CONN_EINVAL;
	for (size_t i = 0; i < nids; i++) {
		if (!lower_id(ids[i], 31))
			return CONN_EINVAL;
		snprintf(names[i], sizeof names[i], "InstanceId.%zu", i + 1);
		p[n++] = (struct param){ names[i], ids[i] };
	}
	if (max_results > 0) {
		snprintf(max, sizeof max, "%d", max_results);
		p[n++] = (struct param){ "MaxResults", max };
	}
	if (token && *token)
		p[n++] = (struct param){ "NextToken", token };
	if ((rc = query(a, AWS_EC2, "DescribeInstances", p, n, &doc, &root,
	    err)) != 0)
		return rc;
	if ((rc = aws_read_instances(root, cb, arg, next, nextlen,
	    count)) == CONN_EINVAL)
		rc = aws_error_protocol(err, 200, "an instance has no id, or the "
		    "next token is too long");
	xml_free(doc);
	return rc;
}

/* One page of instances, for walk(). */
static int
instances_page(struct aws *a, const struct walk_call *c, const char *token,
    char *next, size_t nextlen, int *count, struct aws_error *err)
{
	return aws_describe_instances_page(a, c->ids, c->nids, c->max_results,
	    token, c->instance_cb, c->arg, next, nextlen, count, err);
}

/*
 * Every instance (or those named by ids[nids]: then max_results is 0),
 * page by page (max_results each: 0 or 5 to 1000), on one connection.
 * inst_cb is called for each instance, page_cb (optional) after each
 * page.  Returns 0, CONN_EINVAL for a bad argument (nothing sent), a
 * callback's non-zero value, or an error code with err filled
 * (CONN_ENOTFOUND for an unknown id, CONN_EIO when a page token comes
 * back).
 */
int
aws_describe_instances(struct aws *a, const char *const *ids, size_t nids,
    int max_results, aws_instance_cb inst_cb, aws_page_cb page_cb, void *arg,
    struct aws_error *err)
{
	struct walk_call c = { .ids = ids, .nids = nids,
	    .max_results = max_results, .instance_cb = inst_cb, .arg = arg };

	return walk(a, "DescribeInstances", instances_page, &c, page_cb, err);
}

/* Read the credentials of an STS answer into out.  0 or an error code. */
static int
temporary(struct _xmlDoc *doc, struct _xmlNode *root,
    struct aws_credentials *out, struct aws_error *err)
{
	int rc = 0;

	if (aws_read_credentials(root, out) != 0)
		rc = aws_error_protocol(err, 200, "the credentials are incomplete");
	xml_free_wiped(doc);
	return rc;
}

/*
 * Temporary credentials for a federated user name (STS
 * GetFederationToken), valid duration_seconds (0: the service's default).
 * Returns 0 with out filled (wipe it when done), or an error code.
 */
int
aws_get_federation_token(struct aws *a, const char *name,
    int duration_seconds, struct aws_credentials *out,
    struct aws_error *err)
{
	struct param p[2];
	struct _xmlDoc *doc;
	struct _xmlNode *root;
	char dur[16];
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof *out);
	if (duration_seconds > 0) {
		snprintf(dur, sizeof dur, "%d", duration_seconds);
		p[n++] = (struct param){ "DurationSeconds", dur };
	}
	p[n++] = (struct param){ "Name", name };
	if ((rc = query(a, AWS_STS, "GetFederationToken", p, n, &doc, &root,
	    err)) != 0)
		return rc;
	return temporary(doc, root, out, err);
}

/*
 * Temporary credentials of role_arn for session_name (STS AssumeRole),
 * valid duration_seconds (0: the service's default), limited by the
 * session policy (JSON; NULL: none).  Returns 0 with out filled (wipe it
 * when done), or an error code.
 */
int
aws_assume_role(struct aws *a, const char *role_arn, const char *session_name,
    int duration_seconds, const char *policy, struct aws_credentials *out,
    struct aws_error *err)
{
	struct param p[4];
	struct _xmlDoc *doc;
	struct _xmlNode *root;
	char dur[16];
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof *out);
	if (duration_seconds > 0) {
		snprintf(dur, sizeof dur, "%d", duration_seconds);
		p[n++] = (struct param){ "DurationSeconds", dur };
	}
	if (policy != NULL)
		p[n++] = (struct param){ "Policy", policy };
	p[n++] = (struct param){ "RoleArn", role_arn };
	p[n++] = (struct param){ "RoleSessionName", session_name };
	if ((rc = query(a, AWS_STS, "AssumeRole", p, n, &doc, &root,
	    err)) != 0)
		return rc;
	return temporary(doc, root, out, err);
}

/*
 * Store len bytes at data as bucket/key (S3 PutObject, path style, the
 * body's SHA-256 in x-amz-content-sha256).  content_type NULL:
 * application/octet-stream.  etag (optional) gets the object's ETag.
 * Returns 0, CONN_EINVAL for a bad bucket or key, or an error code with
 * err filled.
 */
int
aws_put_object(struct aws *a, const char *bucket, const char *key,
    const void *data, size_t len, const char *content_type, char *etag,
    size_t etaglen, struct aws_error *err)
{
	struct http_response resp;
	struct buf url = { 0 }, tok = { 0 }, ct = { 0 };
	char sha[65], shahdr[96];
	const char *hdrs[4] = { shahdr, NULL, NULL, NULL };
	int rc = CONN_ENOMEM;

	memset(err, 0, sizeof *err);
	if (etaglen)
		etag[0] = '\0';
	if (!syntax_bucket(bucket) || !syntax_object_key(key))
		return CONN_EINVAL;
	for (const char *p = content_type ? content_type : ""; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return CONN_EINVAL;
	if (util_sha256_hex(data, len, sha) != 0)
		return CONN_ECRYPTO;
	snprintf(shahdr, sizeof shahdr, "x-amz-content-sha256: %s", sha);
	if (buf_addf(&ct, "Content-Type: %s", content_type ? content_type :
	    "application/octet-stream"))
		goto out;
	hdrs[1] = ct.data;
	if (a->cred.session_token[0]) {
		if (buf_addf(&tok, "X-Amz-Security-Token: %s",
		    a->cred.session_token))
			goto out;
		hdrs[2] = tok.data;
	}
	if (buf_addf(&url, "%s/%s/", a->endpoint[AWS_S3], bucket) ||
	    util_percent_encode(&url, key, strlen(key), 1))
		goto out;
	rc = send_signed(a, AWS_S3, "PUT", url.data, len ? data : "", len,
	    hdrs, "PutObject", &resp, err);
	if (rc != 0)
		goto out;
	if (etaglen && http_response_header(&resp, "ETag", etag, etaglen) == 0)
		util_clean_text(etag);
	http_response_free(&resp);
out:
	buf_free(&url);
	buf_free(&ct);
	util_wipe(tok.data, tok.cap);
	buf_free(&tok);
	return rc;
}

/* The entry of list equal to s (case folded when icase), or NULL. */
static const char *
one_of(const char *s, const char *const *list, int icase)
{
	for (; s && *list; list++)
		if (icase ? strcasecmp(s, *list) == 0 : strcmp(s, *list) == 0)
			return *list;
	return NULL;
}

/*
 * 1 when s is NULL, or 1..max bytes each of which is a letter, a digit or
 * in ok (ok NULL: any printable ASCII but space).
 */
static int
valid_word(const char *s, size_t max, const char *ok)
{
	size_t n;

	if (s == NULL)
		return 1;
	if ((n = strlen(s)) == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (ok ? !isalnum(c) && strchr(ok, c) == NULL :
		    c <= 0x20 || c >= 0x7f)
			return 0;
	}
	return 1;
}

/*
 * Why in cannot be sent as an ImportImage request, or NULL when it can;
 * *format gets the disk format as the service spells it.
 */
static const char *
import_refused(const struct aws_import_image *in, const char **format)
{
	static const char *const formats[] = { "VMDK", "OVA", "VHD", "RAW",
	    NULL };
	static const char *const licenses[] = { "AWS", "BYOL", NULL };
	static const char *const platforms[] = { "Windows", "Linux", NULL };
	const char *d = in->description;

	if ((*format = one_of(in->format, formats, 1)) == NULL)
		return "the disk format is not VMDK, OVA, VHD or RAW";
	if (!syntax_bucket(in->bucket))
		return "the bucket name is not valid";
	if (!syntax_object_key(in->key) ||
	    !util_utf8_valid(in->key, strlen(in->key)))
		return "the object key is not valid";
	if (d && (strlen(d) > 255 || !util_utf8_valid(d, strlen(d))))
		return "the description is not up to 255 bytes of text";
	for (; d && *d; d++)
		if ((unsigned char)*d < 0x20 || *d == 0x7f)
			return "the description holds control characters";
	if (!valid_word(in->role_name, 64, "+=,.@_-"))
		return "the role name is not valid";
	if (in->license_type && !one_of(in->license_type, licenses, 0))
		return "the license type is not AWS or BYOL";
	if (in->platform && !one_of(in->platform, platforms, 0))
		return "the platform is not Windows or Linux";
	if (!valid_word(in->client_token, 64, NULL))
		return "the client token is not 1 to 64 printable characters";
	return NULL;
}

/*
 * Start importing one disk image from S3 as an AMI (EC2 ImportImage).
 * Every field of in is checked before anything is sent (a bucket and key
 * as aws_put_object takes them, lengths, the allowed formats and values);
 * without a client token a random one is sent, so a retried request
 * cannot start a second import.  task_id gets the import task's id.
 * Returns 0, CONN_EINVAL for a refused field (nothing sent), or an error
 * code with err filled (CONN_ECONFLICT when the account has as many
 * active imports as it may).
 */
int
aws_import_image(struct aws *a, const struct aws_import_image *in,
    char *task_id, size_t idlen, struct aws_error *err)
{
	struct param p[10];
	struct _xmlDoc *doc;
	struct _xmlNode *root;
	unsigned char rnd[16];
	char token[33];
	const char *format, *why;
	size_t n = 0;
	int rc;

	memset(err, 0, sizeof *err);
	if (task_id == NULL || idlen == 0)
		return CONN_EINVAL;
	task_id[0] = '\0';
	if ((why = import_refused(in, &format)) != NULL) {
		log_warn("AWS ImportImage not sent: %s", why);
		return CONN_EINVAL;
	}
	if (in->client_token == NULL) {
		if ((rc = util_random(rnd, sizeof rnd)) != 0)
			return rc;
		util_hex(rnd, sizeof rnd, token);
	}
	p[n++] = (struct param){ "ClientToken", in->client_token ?
	    in->client_token : token };
	if (in->description)
		p[n++] = (struct param){ "Description", in->description };
	p[n++] = (struct param){ "DiskContainer.1.Format", format };
	p[n++] = (struct param){ "DiskContainer.1.UserBucket.S3Bucket",
	    in->bucket };
	p[n++] = (struct param){ "DiskContainer.1.UserBucket.S3Key", in->key };
	if (in->license_type)
		p[n++] = (struct param){ "LicenseType", in->license_type };
	if (in->platform)
		p[n++] = (struct param){ "Platform", in->platform };
	if (in->role_name)
		p[n++] = (struct param){ "RoleName", in->role_name };
	if ((rc = query(a, AWS_EC2, "ImportImage", p, n, &doc, &root,
	    err)) != 0)
		return rc;
	if ((rc = aws_read_import_image(root, task_id, idlen)) != 0)
		rc = aws_error_protocol(err, 200, "the import task has no id, or "
		    "it is too long");
	xml_free(doc);
	return rc;
}

/*
 * Describe an error for the health pane: "AWS SignatureDoesNotMatch
 * (HTTP 403): message" or the transport error.  0 or CONN_ETOOBIG.
 */
int
aws_error_describe(const struct aws_error *e, char *out, size_t outlen)
{
	int n;

	if (e->kind == AWS_E_TRANSPORT)
		return http_error_describe(&e->http, out, outlen);
	if (e->kind == AWS_E_SERVICE)
		n = snprintf(out, outlen, "AWS %s (HTTP %ld) at %s: %s",
		    e->code_name, e->status, e->http.endpoint, e->message);
	else
		n = snprintf(out, outlen, "unreadable AWS answer at %s: %s",
		    e->http.endpoint, e->message);
	return n < 0 || (size_t)n >= outlen ? CONN_ETOOBIG : 0;
}
