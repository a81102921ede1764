/*
 * vsphere.c — the vSphere SOAP client: ServiceContent, Login/Logout,
 * CurrentTime, directory users, the VM inventory through the
 * PropertyCollector (paged), and the ExtensionManager calls that register
 * the connector as a plugin.  Requests are written with the escaping XML
 * writer of xml.c, answers are read with its hardened parser; transport
 * goes through http.c (so TLS trust, pinning, proxy and timeouts are the
 * connector's outbound policy).  The session is the vmware_soap_session
 * cookie, kept from the answers and sent back.  Passwords and the session
 * cookie are never logged and are wiped when no longer needed.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "outbound.h"

#define NS_SOAP "http://schemas.xmlsoap.org/soap/envelope/"
#define NS_XSD "http://www.w3.org/2001/XMLSchema"
#define NS_XSI "http://www.w3.org/2001/XMLSchema-instance"
#define NS_VIM "urn:vim25"
#define COOKIE_NAME "vmware_soap_session"
#define VMS_DEFAULT_PAGE 100
#define VMS_MAX_PAGES 100000

static const struct vsphere_moref service_instance = {
	"ServiceInstance", "ServiceInstance"
};

const char *
vsphere_fault_string(enum vsphere_fault f)
{
	switch (f) {
	case VSPHERE_FAULT_NONE: return "none";
	case VSPHERE_FAULT_INVALID_LOGIN: return "InvalidLogin";
	case VSPHERE_FAULT_NOT_AUTHENTICATED: return "NotAuthenticated";
	case VSPHERE_FAULT_INVALID_ARGUMENT: return "InvalidArgument";
	case VSPHERE_FAULT_NOT_FOUND: return "NotFound";
	case VSPHERE_FAULT_NO_PERMISSION: return "NoPermission";
	case VSPHERE_FAULT_OTHER: break;
	}
	return "other";
}

/* The return code for a fault. */
static int
fault_code(enum vsphere_fault f)
{
	switch (f) {
	case VSPHERE_FAULT_INVALID_LOGIN:
	case VSPHERE_FAULT_NOT_AUTHENTICATED:
	case VSPHERE_FAULT_NO_PERMISSION:
		return CONN_EDENIED;
	case VSPHERE_FAULT_INVALID_ARGUMENT:
		return CONN_EINVAL;
	case VSPHERE_FAULT_NOT_FOUND:
		return CONN_ENOTFOUND;
	default:
		return CONN_EIO;
	}
}

/* Fill err for an answer that could not be read.  Returns CONN_EIO. */
static int
protocol_error(struct vsphere_error *err, enum http_errkind kind,
    const char *msg)
{
	err->kind = VSPHERE_E_PROTOCOL;
	err->fault = VSPHERE_FAULT_NONE;
	err->http.kind = kind;
	snprintf(err->message, sizeof err->message, "%s", msg);
	snprintf(err->http.detail, sizeof err->http.detail, "%s", msg);
	return CONN_EIO;
}

/* Read a SOAP fault element into err.  Returns the fault's code. */
static int
read_fault(const struct _xmlNode *fault, struct vsphere_error *err)
{
	static const struct {
		const char *type;
		enum vsphere_fault fault;
	} map[] = {
		{ "InvalidLogin", VSPHERE_FAULT_INVALID_LOGIN },
		{ "NotAuthenticated", VSPHERE_FAULT_NOT_AUTHENTICATED },
		{ "InvalidArgument", VSPHERE_FAULT_INVALID_ARGUMENT },
		{ "NotFound", VSPHERE_FAULT_NOT_FOUND },
		{ "NoPermission", VSPHERE_FAULT_NO_PERMISSION },
	};
	struct _xmlNode *d;
	char type[64] = "", *colon;
	size_t n;

	err->kind = VSPHERE_E_FAULT;
	err->fault = VSPHERE_FAULT_OTHER;
	xml_text(xml_child(fault, "faultstring"), err->message,
	    sizeof err->message);
	/* The detail's element carries the type: xsi:type="InvalidLogin"
	 * on <InvalidLoginFault>; either names it. */
	if ((d = xml_child(xml_child(fault, "detail"), NULL)) != NULL) {
		if (xml_attr(d, "type", type, sizeof type) != 0 || !type[0]) {
			snprintf(type, sizeof type, "%s", xml_name(d));
			n = strlen(type);
			if (n > 5 && strcmp(type + n - 5, "Fault") == 0)
				type[n - 5] = '\0';
		}
		if ((colon = strrchr(type, ':')) != NULL)
			memmove(type, colon + 1, strlen(colon + 1) + 1);
	}
	util_clean_text(type);
	util_clean_text(err->message);
	snprintf(err->fault_type, sizeof err->fault_type, "%s",
	    type[0] ? type : "unknown");
	if (!err->message[0])
		snprintf(err->message, sizeof err->message, "%s",
		    err->fault_type);
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(type, map[i].type) == 0)
			err->fault = map[i].fault;
	return fault_code(err->fault);
}

/*
 * Read the answer to method from its HTTP status and body.  Returns 0 with
 * *doc (the caller frees it with xml_free) and *ret, the <methodResponse>
 * element; or a fault's code with err filled (kind VSPHERE_E_FAULT), or
 * CONN_EIO for an answer that is not a SOAP answer to method (kind
 * VSPHERE_E_PROTOCOL); then *doc and *ret are NULL.
 */
int
vsphere_answer(const char *body, size_t len, long status, const char *method,
    struct _xmlDoc **doc, struct _xmlNode **ret, struct vsphere_error *err)
{
	struct _xmlNode *env, *b, *first;
	char want[96], msg[128];
	int rc;

	*doc = NULL;
	*ret = NULL;
	snprintf(msg, sizeof msg, "HTTP status %ld", status);
	rc = xml_parse(body, len, 0, doc);
	if (rc != 0)
		return protocol_error(err, status == 200 ? HTTP_EPARSE :
		    HTTP_ESTATUS, status == 200 ? "the answer is not XML" : msg);
	env = xml_root(*doc);
	if (strcmp(xml_name(env), "Envelope") != 0 ||
	    (b = xml_child(env, "Body")) == NULL ||
	    (first = xml_child(b, NULL)) == NULL) {
		rc = protocol_error(err, status == 200 ? HTTP_EPARSE :
		    HTTP_ESTATUS, status == 200 ? "the answer is not a SOAP "
		    "envelope" : msg);
		goto fail;
	}
	if (strcmp(xml_name(first), "Fault") == 0) {
		rc = read_fault(first, err);
		goto fail;
	}
	if (status != 200) {
		rc = protocol_error(err, HTTP_ESTATUS, msg);
		goto fail;
	}
	snprintf(want, sizeof want, "%sResponse", method);
	if (strcmp(xml_name(first), want) != 0) {
		rc = protocol_error(err, HTTP_EPARSE, "the answer is not the "
		    "expected response");
		goto fail;
	}
	*ret = first;
	return 0;
fail:
	xml_free(*doc);
	*doc = NULL;
	return rc;
}

/* Read a managed object reference element.  0 or CONN_EINVAL. */
static int
read_moref(const struct _xmlNode *n, struct vsphere_moref *m)
{
	memset(m, 0, sizeof *m);
	if (n == NULL ||
	    xml_attr(n, "type", m->type, sizeof m->type) != 0 ||
	    xml_text(n, m->value, sizeof m->value) != 0 ||
	    !m->type[0] || !m->value[0])
		return CONN_EINVAL;
	return 0;
}

/*
 * Keep the manager references and product of a RetrieveServiceContent
 * answer in vs.  Returns 0 or CONN_EINVAL when a needed one is missing.
 */
int
vsphere_read_service_content(struct vsphere *vs, const struct _xmlNode *ret)
{
	const struct _xmlNode *sc = xml_child(ret, "returnval"), *about;
	char ver[sizeof vs->api_version];
	size_t i;

	if (sc == NULL ||
	    read_moref(xml_child(sc, "rootFolder"), &vs->root_folder) ||
	    read_moref(xml_child(sc, "propertyCollector"),
	    &vs->property_collector) ||
	    read_moref(xml_child(sc, "sessionManager"), &vs->session_manager))
		return CONN_EINVAL;
	/* Optional ones: their calls say so when missing. */
	read_moref(xml_child(sc, "viewManager"), &vs->view_manager);
	read_moref(xml_child(sc, "userDirectory"), &vs->user_directory);
	read_moref(xml_child(sc, "extensionManager"), &vs->extension_manager);
	about = xml_child(sc, "about");
	xml_text(xml_child(about, "fullName"), vs->product, sizeof vs->product);
	util_clean_text(vs->product);
	/* The API version goes into a header: digits and dots only. */
	if (xml_text(xml_child(about, "apiVersion"), ver, sizeof ver) == 0 &&
	    ver[0]) {
		for (i = 0; ver[i]; i++)
			if (!isdigit((unsigned char)ver[i]) && ver[i] != '.')
				break;
		if (ver[i] == '\0') {
			memcpy(vs->api_version, ver, sizeof ver);
			snprintf(vs->action, sizeof vs->action,
			    "SOAPAction: \"urn:vim25/%s\"", ver);
		}
	}
	return 0;
}

/*
 * Parse an xsd:dateTime (YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM))
 * into *out.  Returns 0 or CONN_EINVAL.
 */
int
vsphere_parse_time(const char *s, time_t *out)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	struct tm tm;
	long off = 0;
	const char *p;
	time_t t;

	for (size_t i = 0; i < sizeof shape - 1; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) :
		    s[i] != shape[i])
			return CONN_EINVAL;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	tm.tm_hour = atoi(s + 11);
	tm.tm_min = atoi(s + 14);
	tm.tm_sec = atoi(s + 17);
	if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
	    tm.tm_sec > 60 || tm.tm_year < 70)
		return CONN_EINVAL;
	p = s + sizeof shape - 1;
	if (*p == '.') {
		if (!isdigit((unsigned char)*++p))
			return CONN_EINVAL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'Z')
		p++;
	else if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) &&
	    isdigit((unsigned char)p[2]) && p[3] == ':' &&
	    isdigit((unsigned char)p[4]) && isdigit((unsigned char)p[5])) {
		off = atoi(p + 1) * 3600L + atoi(p + 4) * 60L;
		if (atoi(p + 1) > 14 || atoi(p + 4) > 59)
			return CONN_EINVAL;
		if (*p == '-')
			off = -off;
		p += 6;
	} else
		return CONN_EINVAL;
	if (*p != '\0' || (t = timegm(&tm)) == (time_t)-1)
		return CONN_EINVAL;
	*out = t - off;
	return 0;
}

/* The time of a CurrentTime answer.  0 or CONN_EINVAL. */
int
vsphere_read_time(const struct _xmlNode *ret, time_t *out)
{
	char s[64];

	if (xml_text(xml_child(ret, "returnval"), s, sizeof s) != 0)
		return CONN_EINVAL;
	return vsphere_parse_time(s, out);
}

/*
 * Call cb for each entry (user or group) of a RetrieveUserGroups answer,
 * with its name, full name and kind; *n counts the entries read.  Returns
 * 0, CONN_EINVAL for an entry without a name or with one longer than a
 * principal holds, or cb's non-zero value when it stopped early.
 */
int
vsphere_read_users(const struct _xmlNode *ret, vsphere_user_cb cb, void *arg,
    int *n)
{
	struct vsphere_principal p;
	char group[8];
	int rc;

	*n = 0;
	for (struct _xmlNode *r = xml_child(ret, "returnval"); r;
	    r = xml_next(r, "returnval")) {
		memset(&p, 0, sizeof p);
		if (xml_text(xml_child(r, "principal"), p.principal,
		    sizeof p.principal) != 0 || !p.principal[0])
			return CONN_EINVAL;
		/* A long full name is cut; it is only shown. */
		xml_text(xml_child(r, "fullName"), p.full_name,
		    sizeof p.full_name);
		xml_text(xml_child(r, "group"), group, sizeof group);
		p.group = strcmp(group, "true") == 0 || strcmp(group, "1") == 0;
		util_clean_text(p.principal);
		util_clean_text(p.full_name);
		++*n;
		if ((rc = cb(arg, &p)) != 0)
			return rc;
	}
	return 0;
}

/*
 * Call cb for each machine of a RetrievePropertiesEx (or
 * ContinueRetrievePropertiesEx) answer and copy the paging token into
 * token ("" on the last page).  Returns 0, CONN_EINVAL for a malformed
 * entry or token, or cb's non-zero value when it stopped early.
 */
int
vsphere_read_vms(const struct _xmlNode *ret, vsphere_vm_cb cb, void *arg,
    char *token, size_t toklen)
{
	const struct _xmlNode *rr = xml_child(ret, "returnval");
	struct vsphere_vm vm;
	char pname[64];
	int rc;

	token[0] = '\0';
	if (rr == NULL)
		return 0;	/* nothing matched */
	if (xml_child(rr, "token") &&
	    xml_text(xml_child(rr, "token"), token, toklen) != 0) {
		token[0] = '\0';
		return CONN_EINVAL;
	}
	for (struct _xmlNode *o = xml_child(rr, "objects"); o;
	    o = xml_next(o, "objects")) {
		memset(&vm, 0, sizeof vm);
		if (xml_text(xml_child(o, "obj"), vm.id, sizeof vm.id) != 0 ||
		    !vm.id[0])
			return CONN_EINVAL;
		for (struct _xmlNode *ps = xml_child(o, "propSet"); ps;
		    ps = xml_next(ps, "propSet")) {
			xml_text(xml_child(ps, "name"), pname, sizeof pname);
			if (strcmp(pname, "name") == 0)
				xml_text(xml_child(ps, "val"), vm.name,
				    sizeof vm.name);
			else if (strcmp(pname, "runtime.powerState") == 0)
				xml_text(xml_child(ps, "val"), vm.power_state,
				    sizeof vm.power_state);
		}
		util_clean_text(vm.id);
		util_clean_text(vm.name);
		util_clean_text(vm.power_state);
		if ((rc = cb(arg, &vm)) != 0)
			return rc;
	}
	return 0;
}

/*
 * Read a FindExtension answer: *found is 1 with out filled, or 0 when the
 * key is not registered.  Returns 0 or CONN_EINVAL.
 */
int
vsphere_read_extension(const struct _xmlNode *ret,
    struct vsphere_extension *out, int *found)
{
	const struct _xmlNode *e = xml_child(ret, "returnval"), *d, *srv;
	char hb[64];

	memset(out, 0, sizeof *out);
	*found = 0;
	if (e == NULL)
		return 0;
	if (xml_text(xml_child(e, "key"), out->key, sizeof out->key) != 0 ||
	    !out->key[0])
		return CONN_EINVAL;
	xml_text(xml_child(e, "version"), out->version, sizeof out->version);
	xml_text(xml_child(e, "company"), out->company, sizeof out->company);
	d = xml_child(e, "description");
	xml_text(xml_child(d, "label"), out->label, sizeof out->label);
	xml_text(xml_child(d, "summary"), out->summary, sizeof out->summary);
	if ((srv = xml_child(e, "server")) != NULL) {
		xml_text(xml_child(srv, "url"), out->url, sizeof out->url);
		xml_text(xml_child(srv, "type"), out->type, sizeof out->type);
		xml_text(xml_child(srv, "adminEmail"), out->admin_email,
		    sizeof out->admin_email);
		xml_text(xml_child(srv, "serverThumbprint"),
		    out->server_thumbprint, sizeof out->server_thumbprint);
		if (!out->company[0])
			xml_text(xml_child(srv, "company"), out->company,
			    sizeof out->company);
	}
	if (xml_text(xml_child(e, "lastHeartbeatTime"), hb, sizeof hb) == 0 &&
	    vsphere_parse_time(hb, &out->last_heartbeat) != 0)
		out->last_heartbeat = 0;
	util_clean_text(out->key);
	util_clean_text(out->version);
	util_clean_text(out->company);
	util_clean_text(out->label);
	util_clean_text(out->summary);
	util_clean_text(out->url);
	util_clean_text(out->type);
	util_clean_text(out->admin_email);
	util_clean_text(out->server_thumbprint);
	*found = 1;
	return 0;
}

/*
 * Prepare vs for the server at host (a host name or IPv4 address) and
 * port (0: 443) with the outbound options opts (copied; its strings must
 * outlive vs).  Returns 0, CONN_EINVAL for a bad host or port, or
 * CONN_ENOMEM.  Free with vsphere_free.
 */
int
vsphere_init(struct vsphere *vs, const char *host, int port,
    const struct http_opts *opts)
{
	int rc;

	memset(vs, 0, sizeof *vs);
	if (port == 0)
		port = 443;
	if (port < 1 || port > 65535 || host == NULL ||
	    (!syntax_ipv4(host) && !syntax_hostname(host)))
		return CONN_EINVAL;
	snprintf(vs->url, sizeof vs->url, "https://%s:%d/sdk", host, port);
	snprintf(vs->action, sizeof vs->action, "SOAPAction: \"%s\"",
	    NS_VIM);
	if ((rc = http_client_init(&vs->http, opts)) != 0)
		return rc;
	return 0;
}

/* Release the client; the session cookie is wiped (not logged out). */
void
vsphere_free(struct vsphere *vs)
{
	http_client_free(&vs->http);
	util_wipe(vs->cookie, sizeof vs->cookie);
}

/*
 * Keep the session cookie if the answer sets one.  Only a well-formed
 * value is kept (it goes back into a header).
 */
static void
take_cookie(struct vsphere *vs, const struct http_response *r)
{
	static const char hdr[] = "set-cookie:";
	const char *p = r->headers.data, *v;
	size_t n;

	for (; p && *p; p += strcspn(p, "\n"), p += *p == '\n') {
		if (strncasecmp(p, hdr, sizeof hdr - 1) != 0)
			continue;
		v = p + sizeof hdr - 1;
		v += strspn(v, " \t");
		if (strncmp(v, COOKIE_NAME "=", sizeof COOKIE_NAME) != 0)
			continue;
		n = strcspn(v, "; \t\r\n");
		if (n <= sizeof COOKIE_NAME || n >= sizeof vs->cookie)
			continue;
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)v[i] < 0x21 || v[i] > 0x7e ||
			    v[i] == ',' || v[i] == '\\')
				goto next;
		util_wipe(vs->cookie, sizeof vs->cookie);
		memcpy(vs->cookie, v, n);
		vs->cookie[n] = '\0';
next:		;
	}
}

/* The start of a request to method on this; finish it with send_call. */
static struct xml_writer *
envelope(const char *method, const struct vsphere_moref *this)
{
	struct xml_writer *w;

	if ((w = xml_writer_new()) == NULL)
		return NULL;
	xml_start(w, "soapenv:Envelope");
	xml_attr_add(w, "xmlns:soapenv", NS_SOAP);
	xml_attr_add(w, "xmlns:xsd", NS_XSD);
	xml_attr_add(w, "xmlns:xsi", NS_XSI);
	xml_start(w, "soapenv:Body");
	xml_start(w, method);
	xml_attr_add(w, "xmlns", NS_VIM);
	xml_start(w, "_this");
	xml_attr_add(w, "type", this->type);
	xml_text_add(w, this->value);
	xml_end(w);
	return w;
}

/* A managed object reference as element name. */
static void
moref(struct xml_writer *w, const char *name, const struct vsphere_moref *m)
{
	xml_start(w, name);
	xml_attr_add(w, "type", m->type);
	xml_text_add(w, m->value);
	xml_end(w);
}

/*
 * Finish the request in w (freed here), send it, and read the answer as
 * vsphere_answer does.  Returns 0 with *doc (the caller frees it) and
 * *ret, or an error code with err filled.  The request and answer bodies
 * are wiped (they may hold a password or the session key).
 */
static int
send_call(struct vsphere *vs, struct xml_writer *w, const char *method,
    struct _xmlDoc **doc, struct _xmlNode **ret, struct vsphere_error *err)
{
	struct buf body = { 0 };
	struct http_req rq = { 0 };
	struct http_response resp;
	char cookie[sizeof vs->cookie + 16];
	const char *headers[4];
	int rc, nh = 0;

	*doc = NULL;
	*ret = NULL;
	memset(err, 0, sizeof *err);
	snprintf(err->http.endpoint, sizeof err->http.endpoint, "%s", vs->url);
	if (w == NULL)
		return CONN_ENOMEM;
	rc = xml_writer_finish(w, &body);
	xml_writer_free(w);
	if (rc != 0) {
		util_wipe(body.data, body.cap);
		buf_free(&body);
		if (rc == CONN_EINVAL)
			snprintf(err->message, sizeof err->message, "a value "
			    "is not valid text for a %s request", method);
		return rc;
	}
	headers[nh++] = "Content-Type: text/xml; charset=utf-8";
	headers[nh++] = vs->action;
	if (vs->cookie[0]) {
		snprintf(cookie, sizeof cookie, "Cookie: %s", vs->cookie);
		headers[nh++] = cookie;
	}
	headers[nh] = NULL;
	rq.method = "POST";
	rq.url = vs->url;
	rq.headers = headers;
	rq.body = body.data;
	rq.body_len = body.len;
	rc = http_request(&vs->http, &rq, &resp, &err->http);
	util_wipe(body.data, body.cap);
	buf_free(&body);
	util_wipe(cookie, sizeof cookie);
	if (rc != 0) {
		err->kind = VSPHERE_E_TRANSPORT;
		snprintf(err->message, sizeof err->message, "%s",
		    err->http.detail);
		return rc;
	}
	if (resp.peer_thumbprint[0]) {
		memcpy(vs->thumbprint, resp.peer_thumbprint,
		    sizeof vs->thumbprint);
		memcpy(vs->subject, resp.peer_subject, sizeof vs->subject);
		memcpy(vs->issuer, resp.peer_issuer, sizeof vs->issuer);
		vs->not_before = resp.peer_not_before;
		vs->not_after = resp.peer_not_after;
	}
	take_cookie(vs, &resp);
	err->http.elapsed = resp.timing.total;
	rc = vsphere_answer(resp.body.data, resp.body.len, resp.status, method,
	    doc, ret, err);
	util_wipe(resp.body.data, resp.body.cap);
	http_response_free(&resp);
	if (rc != 0) {
		if (err->kind == VSPHERE_E_FAULT)
			log_warn("vSphere %s at %s: fault %s: %s", method,
			    vs->url, err->fault_type, err->message);
		else
			log_warn("vSphere %s at %s: %s", method, vs->url,
			    err->message);
	}
	return rc;
}

/* Fill err for a call the server's ServiceContent does not offer. */
static int
missing(const struct vsphere_moref *m, const char *what,
    struct vsphere_error *err)
{
	if (m->value[0])
		return 0;
	memset(err, 0, sizeof *err);
	snprintf(err->message, sizeof err->message, "no %s: connect first, "
	    "or the server has none", what);
	err->kind = VSPHERE_E_PROTOCOL;
	err->http.kind = HTTP_EPARSE;
	return CONN_EINVAL;
}

/*
 * RetrieveServiceContent: keeps the managers' references, the product and
 * API version, and the server certificate's thumbprint and subject
 * (vs->thumbprint, vs->subject) for a registration to show and pin.
 * Returns 0 or an error code with err filled.
 */
int
vsphere_connect(struct vsphere *vs, struct vsphere_error *err)
{
	struct _xmlDoc *doc;
	struct _xmlNode *ret;
	int rc;

	rc = send_call(vs, envelope("RetrieveServiceContent", &service_instance),
	    "RetrieveServiceContent", &doc, &ret, err);
	if (rc != 0)
		return rc;
	if (vsphere_read_service_content(vs, ret) != 0)
		rc = protocol_error(err, HTTP_EPARSE, "the service content "
		    "lacks a needed manager");
	xml_free(doc);
	return rc;
}

/*
 * SessionManager.Login.  On success the session cookie is kept in vs.
 * Returns 0, CONN_EDENIED (fault InvalidLogin) or another error code with
 * err filled.  The password is never logged.
 */
int
vsphere_login(struct vsphere *vs, const char *user, const char *password,
    struct vsphere_error *err)
{
	struct xml_writer *w;
	struct _xmlDoc *doc;
	struct _xmlNode *ret;
	int rc;

	if ((rc = missing(&vs->session_manager, "session manager", err)))
		return rc;
	if ((w = envelope("Login", &vs->session_manager)) != NULL) {
		xml_elem(w, "userName", user);
		xml_elem(w, "password", password);
	}
	if ((rc = send_call(vs, w, "Login", &doc, &ret, err)) != 0)
		return rc;
	xml_free(doc);
	if (!vs->cookie[0])
		return protocol_error(err, HTTP_EPARSE, "the login answer "
		    "set no session cookie");
	return 0;
}

/*
 * SessionManager.Logout.  The session cookie is forgotten whatever the
 * answer.  Returns 0 or an error code with err filled.
 */
int
vsphere_logout(struct vsphere *vs, struct vsphere_error *err)
{
	struct _xmlDoc *doc;
	struct _xmlNode *ret;
	int rc;

	if ((rc = missing(&vs->session_manager, "session manager", err)))
		return rc;
	rc = send_call(vs, envelope("Logout", &vs->session_manager), "Logout",
	    &doc, &ret, err);
	xml_free(doc);
	util_wipe(vs->cookie, sizeof vs->cookie);
	return rc;
}

/*
 * ServiceInstance.CurrentTime: the server's clock into *out.  Returns 0
 * or an error code with err filled.
 */
int
vsphere_current_time(struct vsphere *vs, time_t *out,
    struct vsphere_error *err)
{
	struct _xmlDoc *doc;
	struct _xmlNode *ret;
	int rc;

	rc = send_call(vs, envelope("CurrentTime", &service_instance),
	    "CurrentTime", &doc, &ret, err);
	if (rc != 0)
		return rc;
	if (vsphere_read_time(ret, out) != 0)
		rc = protocol_error(err, HTTP_EPARSE, "the server time is not "
		    "a date");
	xml_free(doc);
	return rc;
}

/*
 * One UserDirectory.RetrieveUserGroups as q says: cb(arg, entry) for every
 * entry answered, their number in *n (vCenter cuts an answer at its limit
 * without saying so: vsphere_users walks past it).  A non-zero cb value
 * stops the reading and is returned.  Returns 0 or an error code with err
 * filled.
 */
int
vsphere_user_groups(struct vsphere *vs, const struct vsphere_search *q,
    vsphere_user_cb cb, void *arg, int *n, struct vsphere_error *err)
{
	struct xml_writer *w;
	struct _xmlDoc *doc;
	struct _xmlNode *ret;
	int rc;

	*n = 0;
	if ((rc = missing(&vs->user_directory, "user directory", err)))
		return rc;
	if (!q->users && !q->groups) {
		memset(err, 0, sizeof *err);
		snprintf(err->message, sizeof err->message, "a directory "
		    "search must look for users, groups or both");
		err->kind = VSPHERE_E_PROTOCOL;
		return CONN_EINVAL;
	}
	/* The elements in the order of the schema. */
	if ((w = envelope("RetrieveUserGroups", &vs->user_directory)) != NULL) {
		if (q->domain && *q->domain)
			xml_elem(w, "domain", q->domain);
		xml_elem(w, "searchStr", q->search ? q->search : "");
		xml_elem(w, "exactMatch", q->exact ? "true" : "false");
		xml_elem(w, "findUsers", q->users ? "true" : "false");
		xml_elem(w, "findGroups", q->groups ? "true" : "false");
	}
	rc = send_call(vs, w, "RetrieveUserGroups", &doc, &ret, err);
	if (rc != 0)
		return rc;
	rc = vsphere_read_users(ret, cb, arg, n);
	if (rc == CONN_EINVAL)
		rc = protocol_error(err, HTTP_EPARSE, "a directory entry has "
		    "no name, or one too long to be a name");
	xml_free(doc);
	return rc;
}

/* ---- the walk through a directory larger than one answer ---- */

/* A set of strings (open addressing); keys are the set's own copies. */
struct strset {
	char **keys;
	size_t cap, n;
};

static uint64_t
str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* Add a copy of key: 1 when added, 0 when already there, CONN_ENOMEM. */
static int
strset_add(struct strset *set, const char *key)
{
	size_t i;

	if ((set->n + 1) * 2 > set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 256;
		char **keys = calloc(cap, sizeof *keys);

		if (keys == NULL)
			return CONN_ENOMEM;
		for (size_t k = 0; k < set->cap; k++) {
			if (set->keys[k] == NULL)
				continue;
			for (i = str_hash(set->keys[k]) & (cap - 1); keys[i];
			    i = (i + 1) & (cap - 1))
				;
			keys[i] = set->keys[k];
		}
		free(set->keys);
		set->keys = keys;
		set->cap = cap;
	}
	for (i = str_hash(key) & (set->cap - 1); set->keys[i];
	    i = (i + 1) & (set->cap - 1))
		if (strcmp(set->keys[i], key) == 0)
			return 0;
	if ((set->keys[i] = strdup(key)) == NULL)
		return CONN_ENOMEM;
	set->n++;
	return 1;
}

static void
strset_free(struct strset *set)
{
	for (size_t i = 0; i < set->cap; i++)
		free(set->keys[i]);
	free(set->keys);
	memset(set, 0, sizeof *set);
}

/* A growing list of strings (owned). */
struct strlist {
	char **v;
	size_t n, cap;
};

static int
strlist_add(struct strlist *l, const char *s)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		char **v = realloc(l->v, cap * sizeof *v);

		if (v == NULL)
			return CONN_ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	if ((l->v[l->n] = strdup(s)) == NULL)
		return CONN_ENOMEM;
	l->n++;
	return 0;
}

static void
strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

/*
 * The characters narrowed searches are made of, to begin with: those of
 * the names vCenter and its identity sources allow, in lower case (a
 * search ignores case).  Characters of the names answered join them.
 */
#define WALK_ALPHABET "abcdefghijklmnopqrstuvwxyz0123456789._-"

struct walk {
	const struct vsphere_search *q;
	int limit;
	vsphere_search_fn fetch;
	void *fetch_arg;
	vsphere_user_cb cb;
	void *arg;
	struct vsphere_walk_stats *st;
	struct strset seen;		/* names answered, lower-cased */
	struct strset queued;		/* searches ever queued */
	struct strset letters;		/* the alphabet, as a set */
	struct strlist alphabet;	/* ... and in order */
	struct strlist queue;		/* searches to make, from head */
	size_t head;
	struct strlist narrowed;	/* searches whose answer was full */
	int rc;				/* the first failure of an entry */
};

/* Queue search s (when new): 0 or an error. */
static int
walk_queue(struct walk *w, const char *s)
{
	int rc;

	if (strlen(s) > VSPHERE_SEARCH_MAX)
		return CONN_ETOOBIG;
	if ((rc = strset_add(&w->queued, s)) <= 0)
		return rc;
	return strlist_add(&w->queue, s);
}

/* Queue s+c and c+s. */
static int
walk_around(struct walk *w, const char *s, const char *c)
{
	char t[VSPHERE_SEARCH_MAX + 1];
	size_t ns = strlen(s), nc = strlen(c);
	int rc;

	if (ns + nc > VSPHERE_SEARCH_MAX)
		return CONN_ETOOBIG;
	memcpy(t, s, ns);
	memcpy(t + ns, c, nc + 1);
	if ((rc = walk_queue(w, t)) != 0)
		return rc;
	memcpy(t, c, nc);
	memcpy(t + nc, s, ns + 1);
	return walk_queue(w, t);
}

/*
 * Learn the characters of name: a new one joins the alphabet, and every
 * search narrowed before is narrowed with it too.  ASCII letters in lower
 * case; any other character as its UTF-8 bytes.
 */
static int
walk_learn(struct walk *w, const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	char c[5];
	size_t len;
	int rc;

	while (*p) {
		len = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 :
		    (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 ? 4 : 1;
		for (size_t i = 1; i < len; i++)
			if ((p[i] & 0xc0) != 0x80)
				len = 1;
		memcpy(c, p, len);
		c[len] = '\0';
		if (len == 1)
			c[0] = (char)tolower((unsigned char)c[0]);
		p += len;
		if ((rc = strset_add(&w->letters, c)) < 0)
			return rc;
		if (rc == 0)
			continue;
		if ((rc = strlist_add(&w->alphabet, c)) != 0)
			return rc;
		for (size_t i = 0; i < w->narrowed.n; i++)
			if ((rc = walk_around(w, w->narrowed.v[i], c)) != 0)
				return rc;
	}
	return 0;
}

/* An entry of some answer: new names go to the caller's cb. */
static int
walk_entry(void *arg, const struct vsphere_principal *p)
{
	struct walk *w = arg;
	char key[sizeof p->principal];
	int rc;

	w->st->answered++;
	if ((rc = walk_learn(w, p->principal)) != 0)
		return w->rc = rc;
	snprintf(key, sizeof key, "%s", p->principal);
	for (char *k = key; *k; k++)
		*k = (char)tolower((unsigned char)*k);
	if ((rc = strset_add(&w->seen, key)) < 0)
		return w->rc = rc;
	if (rc == 0)
		return 0;	/* found before, by another search */
	w->st->found++;
	if ((rc = w->cb(w->arg, p)) != 0)
		return w->rc = rc;
	return 0;
}

/* One search of the walk: s as a part of the name, or exactly. */
static int
walk_search(struct walk *w, const char *s, int exact, int *n)
{
	struct vsphere_search q = *w->q;
	int rc;

	if (w->st->calls >= VSPHERE_WALK_MAX_CALLS)
		return CONN_ETOOBIG;
	q.search = s;
	q.exact = exact;
	w->st->calls++;
	rc = w->fetch(w->fetch_arg, &q, walk_entry, w, n);
	return w->rc ? w->rc : rc;
}

/*
 * Every entry q asks for, through a directory that answers at most limit
 * entries a search (0: VSPHERE_DIRECTORY_LIMIT), each entry once (names
 * compared without regard to ASCII case); fetch makes one search.
 *
 * An answer of limit entries or more may have been cut.  Every name that
 * holds s and is longer has a character before or after it, so the
 * searches s+c and c+s, for every character c of the alphabet the names
 * use, and an exact search for s find every name a cut answer for s left
 * out; a cut answer among those is narrowed again.  The alphabet starts as
 * WALK_ALPHABET and grows with the characters of the names answered (a
 * search narrowed before is then narrowed with a new character too); a
 * name is missed only when it lies in cut answers and every character
 * beside its part that was searched is one no answer ever showed and not
 * in WALK_ALPHABET (say, a name written in CJK characters alone, in a
 * directory whose answers never held such characters).
 *
 * Returns 0; cb's non-zero value when it stopped the walk; fetch's error;
 * CONN_ETOOBIG when the walk would need more than VSPHERE_WALK_MAX_CALLS
 * searches or one longer than VSPHERE_SEARCH_MAX bytes; or CONN_ENOMEM.
 * st (may be NULL) says what the walk cost.
 */
int
vsphere_walk(const struct vsphere_search *q, int limit,
    vsphere_search_fn fetch, void *fetch_arg, vsphere_user_cb cb, void *arg,
    struct vsphere_walk_stats *st)
{
	struct vsphere_walk_stats local;
	struct walk w;
	const char *s;
	char letter[2] = "";
	int rc = 0, n;

	memset(&local, 0, sizeof local);
	memset(&w, 0, sizeof w);
	w.q = q;
	w.limit = limit > 0 ? limit : VSPHERE_DIRECTORY_LIMIT;
	w.fetch = fetch;
	w.fetch_arg = fetch_arg;
	w.cb = cb;
	w.arg = arg;
	w.st = st ? st : &local;
	memset(w.st, 0, sizeof *w.st);
	if (q->exact) {		/* one name: nothing to narrow */
		rc = walk_search(&w, q->search ? q->search : "", 1, &n);
		goto out;
	}
	for (const char *a = WALK_ALPHABET; *a && rc == 0; a++) {
		letter[0] = *a;
		if ((rc = strset_add(&w.letters, letter)) >= 0)
			rc = strlist_add(&w.alphabet, letter);
	}
	if (rc == 0)
		rc = walk_queue(&w, q->search ? q->search : "");
	while (rc == 0 && w.head < w.queue.n) {
		s = w.queue.v[w.head++];
		if ((rc = walk_search(&w, s, 0, &n)) != 0 || n < w.limit)
			continue;
		w.st->narrowed++;
		if ((rc = strlist_add(&w.narrowed, s)) != 0)
			break;
		if (*s && (rc = walk_search(&w, s, 1, &n)) != 0)
			break;
		for (size_t i = 0; i < w.alphabet.n && rc == 0; i++)
			rc = walk_around(&w, s, w.alphabet.v[i]);
	}
out:
	strset_free(&w.seen);
	strset_free(&w.queued);
	strset_free(&w.letters);
	strlist_free(&w.alphabet);
	strlist_free(&w.queue);
	strlist_free(&w.narrowed);
	return rc;
}

/* The session and error of vsphere_users, for its searches. */
struct users_fetch {
	struct vsphere *vs;
	struct vsphere_error *err;
	int failed;		/* a search failed: err says why */
};

static int
users_fetch(void *arg, const struct vsphere_search *q, vsphere_user_cb cb,
    void *cbarg, int *n)
{
	struct users_fetch *f = arg;
	int rc = vsphere_user_groups(f->vs, q, cb, cbarg, n, f->err);

	if (rc != 0 && f->err->kind != VSPHERE_E_NONE)
		f->failed = 1;
	return rc;
}

/*
 * Every user and/or group q asks for, through a directory that cuts
 * answers at limit entries (0: VSPHERE_DIRECTORY_LIMIT): vsphere_walk over
 * RetrieveUserGroups on this session.  cb(arg, entry) once for each; a
 * non-zero cb value stops the listing and is returned.  Returns 0 or an
 * error code with err filled; st (may be NULL) says what it cost.
 */
int
vsphere_users(struct vsphere *vs, const struct vsphere_search *q, int limit,
    vsphere_user_cb cb, void *arg, struct vsphere_walk_stats *st,
    struct vsphere_error *err)
{
	struct users_fetch f = { vs, err, 0 };
	int rc;

	memset(err, 0, sizeof *err);
	rc = vsphere_walk(q, limit, users_fetch, &f, cb, arg, st);
	if (rc == 0 || f.failed)
		return rc;
	if (rc == CONN_ETOOBIG) {
		snprintf(err->http.endpoint, sizeof err->http.endpoint, "%s",
		    vs->url);
		return protocol_error(err, HTTP_EPARSE, "the directory could "
		    "not be listed completely: its answers stay full even "
		    "for narrow searches");
	}
	return rc;
}

/* A one-reference call (DestroyView, CancelRetrievePropertiesEx). */
static void
best_effort(struct vsphere *vs, const char *method,
    const struct vsphere_moref *this, const char *token)
{
	struct vsphere_error err;
	struct xml_writer *w;
	struct _xmlDoc *doc;
	struct _xmlNode *ret;

	if ((w = envelope(method, this)) != NULL)
		xml_elem(w, "token", token);
	send_call(vs, w, method, &doc, &ret, &err);
	xml_free(doc);
}

/*
 * The VM inventory: a ContainerView of every VirtualMachine under the root
 * folder, read with RetrievePropertiesEx in pages of max_objects (0: 100)
 * and ContinueRetrievePropertiesEx; cb(arg, vm) for each machine with its
 * name and power state.  A non-zero cb value stops the listing (0 is
 * returned).  Returns 0 or an error code with err filled.
 */
int
vsphere_vms(struct vsphere *vs, int max_objects, vsphere_vm_cb cb, void *arg,
    struct vsphere_error *err)
{
	struct vsphere_moref view;
	struct xml_writer *w;
	struct _xmlDoc *doc;
	struct _xmlNode *ret;
	char token[256], n[24];
	int rc, pages = 0;

	if ((rc = missing(&vs->view_manager, "view manager", err)))
		return rc;
	if ((w = envelope("CreateContainerView", &vs->view_manager)) != NULL) {
		moref(w, "container", &vs->root_folder);
		xml_elem(w, "type", "VirtualMachine");
		xml_elem(w, "recursive", "true");
	}
	if ((rc = send_call(vs, w, "CreateContainerView", &doc, &ret, err)))
		return rc;
	rc = read_moref(xml_child(ret, "returnval"), &view);
	xml_free(doc);
	if (rc != 0)
		return protocol_error(err, HTTP_EPARSE, "the view has no "
		    "reference");

	snprintf(n, sizeof n, "%d", max_objects > 0 ? max_objects :
	    VMS_DEFAULT_PAGE);
	if ((w = envelope("RetrievePropertiesEx", &vs->property_collector))) {
		xml_start(w, "specSet");
		xml_start(w, "propSet");
		xml_elem(w, "type", "VirtualMachine");
		xml_elem(w, "all", "false");
		xml_elem(w, "pathSet", "name");
		xml_elem(w, "pathSet", "runtime.powerState");
		xml_end(w);
		xml_start(w, "objectSet");
		moref(w, "obj", &view);
		xml_elem(w, "skip", "true");
		xml_start(w, "selectSet");
		xml_attr_add(w, "xsi:type", "TraversalSpec");
		xml_elem(w, "name", "traverseView");
		xml_elem(w, "type", "ContainerView");
		xml_elem(w, "path", "view");
		xml_elem(w, "skip", "false");
		xml_end(w);
		xml_end(w);
		xml_end(w);
		xml_start(w, "options");
		xml_elem(w, "maxObjects", n);
		xml_end(w);
	}
	rc = send_call(vs, w, "RetrievePropertiesEx", &doc, &ret, err);
	while (rc == 0) {
		rc = vsphere_read_vms(ret, cb, arg, token, sizeof token);
		xml_free(doc);
		if (rc == CONN_EINVAL) {
			rc = protocol_error(err, HTTP_EPARSE, "a machine entry "
			    "or the paging token is malformed");
			break;
		}
		if (rc != 0) {	/* stopped by cb */
			if (token[0])
				best_effort(vs, "CancelRetrievePropertiesEx",
				    &vs->property_collector, token);
			rc = 0;
			break;
		}
		if (!token[0])
			break;
		if (++pages > VMS_MAX_PAGES) {
			rc = protocol_error(err, HTTP_EPARSE, "too many pages");
			break;
		}
		if ((w = envelope("ContinueRetrievePropertiesEx",
		    &vs->property_collector)) != NULL)
			xml_elem(w, "token", token);
		rc = send_call(vs, w, "ContinueRetrievePropertiesEx", &doc,
		    &ret, err);
	}
	best_effort(vs, "DestroyView", &view, NULL);
	return rc;
}

/*
 * ExtensionManager.FindExtension: *found is 1 with out filled when key is
 * registered, else 0.  Returns 0 or an error code with err filled.
 */
int
vsphere_find_extension(struct vsphere *vs, const char *key,
    struct vsphere_extension *out, int *found, struct vsphere_error *err)
{
	struct xml_writer *w;
	struct _xmlDoc *doc;
	struct _xmlNode *ret;
	int rc;

	*found = 0;
	if ((rc = missing(&vs->extension_manager, "extension manager", err)))
		return rc;
	if ((w = envelope("FindExtension", &vs->extension_manager)) != NULL)
		xml_elem(w, "extensionKey", key);
	if ((rc = send_call(vs, w, "FindExtension", &doc, &ret, err)) != 0)
		return rc;
	if (vsphere_read_extension(ret, out, found) != 0)
		rc = protocol_error(err, HTTP_EPARSE, "the extension has no "
		    "key");
	xml_free(doc);
	return rc;
}

/* The Extension data object, in the order the schema wants. */
static void
write_extension(struct xml_writer *w, const struct vsphere_extension *e)
{
	char now[32];
	time_t t = util_now();
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
	xml_start(w, "extension");
	xml_start(w, "description");
	xml_elem(w, "label", e->label[0] ? e->label : e->key);
	xml_elem(w, "summary", e->summary[0] ? e->summary : e->label);
	xml_end(w);
	xml_elem(w, "key", e->key);
	xml_elem(w, "company", e->company);
	xml_elem(w, "version", e->version);
	xml_start(w, "server");
	xml_elem(w, "url", e->url);
	xml_start(w, "description");
	xml_elem(w, "label", e->label[0] ? e->label : e->key);
	xml_elem(w, "summary", e->summary[0] ? e->summary : e->label);
	xml_end(w);
	xml_elem(w, "company", e->company);
	xml_elem(w, "type", e->type[0] ? e->type : "HTTPS");
	if (e->admin_email[0])
		xml_elem(w, "adminEmail", e->admin_email);
	if (e->server_thumbprint[0])
		xml_elem(w, "serverThumbprint", e->server_thumbprint);
	xml_end(w);
	xml_elem(w, "lastHeartbeatTime", now);
	xml_elem(w, "shownInSolutionManager", "false");
	xml_end(w);
}

/* RegisterExtension or UpdateExtension of ext. */
static int
put_extension(struct vsphere *vs, const char *method,
    const struct vsphere_extension *ext, struct vsphere_error *err)
{
	struct xml_writer *w;
	struct _xmlDoc *doc;
	struct _xmlNode *ret;
	int rc;

	if ((rc = missing(&vs->extension_manager, "extension manager", err)))
		return rc;
	if ((w = envelope(method, &vs->extension_manager)) != NULL)
		write_extension(w, ext);
	rc = send_call(vs, w, method, &doc, &ret, err);
	xml_free(doc);
	return rc;
}

/*
 * ExtensionManager.RegisterExtension of ext (key, version, company, label,
 * summary, and one server entry: url, type (""=HTTPS), admin e-mail,
 * thumbprint).  A key already registered gives CONN_EINVAL (fault
 * InvalidArgument).  Returns 0 or an error code with err filled.
 */
int
vsphere_register_extension(struct vsphere *vs,
    const struct vsphere_extension *ext, struct vsphere_error *err)
{
	return put_extension(vs, "RegisterExtension", ext, err);
}

/*
 * ExtensionManager.UpdateExtension: replaces the registration of ext->key
 * (CONN_ENOTFOUND, fault NotFound, when there is none).
 */
int
vsphere_update_extension(struct vsphere *vs,
    const struct vsphere_extension *ext, struct vsphere_error *err)
{
	return put_extension(vs, "UpdateExtension", ext, err);
}

/*
 * ExtensionManager.UnregisterExtension of key (CONN_ENOTFOUND, fault
 * NotFound, when it is not registered).
 */
int
vsphere_unregister_extension(struct vsphere *vs, const char *key,
    struct vsphere_error *err)
{
	struct xml_writer *w;
	struct _xmlDoc *doc;
	struct _xmlNode *ret;
	int rc;

	if ((rc = missing(&vs->extension_manager, "extension manager", err)))
		return rc;
	if ((w = envelope("UnregisterExtension", &vs->extension_manager)))
		xml_elem(w, "extensionKey", key);
	rc = send_call(vs, w, "UnregisterExtension", &doc, &ret, err);
	xml_free(doc);
	return rc;
}

/*
 * Describe an error for the health pane: "vCenter refused the call
 * (InvalidLogin): Login failure", or the transport error's description.
 */
int
vsphere_error_describe(const struct vsphere_error *e, char *out,
    size_t outlen)
{
	int n;

	switch (e->kind) {
	case VSPHERE_E_TRANSPORT:
		return http_error_describe(&e->http, out, outlen);
	case VSPHERE_E_FAULT:
		n = snprintf(out, outlen, "vCenter at %s refused the call (%s): "
		    "%s", e->http.endpoint, e->fault_type, e->message);
		break;
	case VSPHERE_E_PROTOCOL:
		n = snprintf(out, outlen, "vCenter at %s: %s", e->http.endpoint,
		    e->message);
		break;
	default:
		n = snprintf(out, outlen, "%s", e->message[0] ? e->message :
		    "no error");
		break;
	}
	return n < 0 || (size_t)n >= outlen ? CONN_ETOOBIG : 0;
}
