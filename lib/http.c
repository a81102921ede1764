/*
 * http.c — the one place that talks to libcurl.  A client keeps one handle
 * (so connections are reused) with the connector's outbound policy: connect
 * and total timeouts, TLS verified by default (optionally with a CA
 * bundle), an optional SHA-256 certificate thumbprint pin that replaces CA
 * verification (vCenter's self-signed certificates), the "SSL certificate
 * validation" switch (off: nothing verified, a warning logged each time),
 * an HTTP proxy with optional basic credentials and a no-proxy list,
 * response size caps, SigV4 signing, and a structured error with the
 * endpoint, the elapsed time and the stage timings.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "outbound.h"

#define HTTP_MAX_HEADERS (64 * 1024)

const char *
http_errkind_string(enum http_errkind k)
{
	switch (k) {
	case HTTP_OK: return "ok";
	case HTTP_EDNS: return "DNS";
	case HTTP_ECONNECT: return "connect";
	case HTTP_ETLS: return "TLS";
	case HTTP_ESTATUS: return "HTTP status";
	case HTTP_ETIMEOUT: return "timeout";
	case HTTP_EPARSE: return "parse";
	case HTTP_ETOOBIG: return "too large";
	case HTTP_EPROXY: return "proxy";
	case HTTP_EOTHER: break;
	}
	return "request";
}

/* The cause's name for logs and tools: "" when there is none. */
const char *
http_cause_string(enum http_cause c)
{
	switch (c) {
	case HTTP_C_NONE: break;
	case HTTP_C_POLICY: return "policy";
	case HTTP_C_PIN: return "pin";
	case HTTP_C_PROXY_AUTH: return "proxy auth";
	}
	return "";
}

/* Thumbprint of a certificate: SHA-256 of its DER, AA:BB:... (95 chars). */
static int
x509_thumbprint(X509 *crt, char out[96])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	if (!X509_digest(crt, EVP_sha256(), md, &mdlen) || mdlen != 32)
		return CONN_ECRYPTO;
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(out + 3 * i, 4, "%02X%s", md[i], i + 1 < mdlen ? ":" :
		    "");
	return 0;
}

/* An ASN.1 time as seconds since the epoch, or 0. */
static time_t
asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

/*
 * OpenSSL's verify callback: records the server certificate of every new
 * connection and, when a thumbprint is pinned, accepts exactly that
 * certificate whatever its chain (and nothing else).
 */
static int
verify_cb(int preverify, X509_STORE_CTX *store)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(store,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	struct http_client *cl = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	X509 *crt = X509_STORE_CTX_get_current_cert(store);
	int depth = X509_STORE_CTX_get_error_depth(store);
	char tp[96] = "";

	if (cl == NULL || crt == NULL)
		return preverify;
	if (depth == 0 && x509_thumbprint(crt, tp) == 0) {
		memcpy(cl->peer_thumbprint, tp, sizeof tp);
		X509_NAME_oneline(X509_get_subject_name(crt), cl->peer_subject,
		    sizeof cl->peer_subject);
		X509_NAME_oneline(X509_get_issuer_name(crt), cl->peer_issuer,
		    sizeof cl->peer_issuer);
		cl->peer_not_before = asn1_time(X509_get0_notBefore(crt));
		cl->peer_not_after = asn1_time(X509_get0_notAfter(crt));
	}
	if (cl->opts.pin_thumbprint == NULL)
		return preverify;
	if (depth > 0) {
		X509_STORE_CTX_set_error(store, X509_V_OK);
		return 1;
	}
	if (depth == 0 && strcasecmp(tp, cl->opts.pin_thumbprint) == 0) {
		X509_STORE_CTX_set_error(store, X509_V_OK);
		return 1;
	}
	cl->pin_mismatch = 1;
	return 0;
}

/*
 * libcurl's socket hook: with refuse_internal, a peer whose address the
 * policy refuses (link-local, loopback, ...) is never connected to, even
 * when a host name resolved there.
 */
static curl_socket_t
open_socket_cb(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct http_client *cl = arg;
	int ok = 0;

	(void)purpose;
	if (a->family == AF_INET) {
		const struct sockaddr_in *in = (const void *)&a->addr;
		ok = syntax_peer_ipv4(ntohl(in->sin_addr.s_addr),
		    cl->opts.allow_loopback);
		if (!ok)
			inet_ntop(AF_INET, &in->sin_addr, cl->refused_addr,
			    sizeof cl->refused_addr);
	} else if (a->family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)&a->addr;
		ok = syntax_peer_ipv6(in6->sin6_addr.s6_addr,
		    cl->opts.allow_loopback);
		if (!ok)
			inet_ntop(AF_INET6, &in6->sin6_addr, cl->refused_addr,
			    sizeof cl->refused_addr);
	}
	if (!ok) {
		if (cl->refused_addr[0] == '\0')
			snprintf(cl->refused_addr, sizeof cl->refused_addr,
			    "(family %d)", a->family);
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype, a->protocol);
}

static CURLcode
ssl_ctx_cb(CURL *curl, void *sslctx, void *arg)
{
	(void)curl;
	struct http_client *cl = arg;

	/* With validation off, OpenSSL still calls verify_cb (so the
	 * thumbprint is recorded) but never aborts the handshake — unless a
	 * thumbprint is pinned: a pin is the administrator's own decision
	 * and holds whatever the switch says. */
	SSL_CTX_set_app_data((SSL_CTX *)sslctx, cl);
	SSL_CTX_set_verify((SSL_CTX *)sslctx, (cl->opts.insecure ||
	    cl->opts.inspect) && cl->opts.pin_thumbprint == NULL ?
	    SSL_VERIFY_NONE : SSL_VERIFY_PEER,
	    verify_cb);
	return CURLE_OK;
}

static size_t
write_cb(char *data, size_t size, size_t n, void *arg)
{
	struct http_client *cl = arg;
	size_t len = size * n;

	if (cl->resp->body.len + len > cl->max_body) {
		cl->too_big = 1;
		return 0;
	}
	return buf_add(&cl->resp->body, data, len) ? 0 : len;
}

static size_t
header_cb(char *data, size_t size, size_t n, void *arg)
{
	struct http_client *cl = arg;
	size_t len = size * n;

	/* A new status line (after a proxy's 200 or a 100) starts over. */
	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0)
		buf_reset(&cl->resp->headers);
	if (cl->resp->headers.len + len > HTTP_MAX_HEADERS) {
		cl->too_big = 1;
		return 0;
	}
	return buf_add(&cl->resp->headers, data, len) ? 0 : len;
}

/*
 * Prepare a client with opts (copied; the strings must outlive the
 * client).  Returns 0 or CONN_ENOMEM.
 */
int
http_client_init(struct http_client *cl, const struct http_opts *opts)
{
	static int global;

	memset(cl, 0, sizeof *cl);
	if (!global) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return CONN_ENOMEM;
		global = 1;
	}
	cl->opts = *opts;
	if ((cl->curl = curl_easy_init()) == NULL)
		return CONN_ENOMEM;
	return 0;
}

void
http_client_free(struct http_client *cl)
{
	if (cl->curl)
		curl_easy_cleanup(cl->curl);
	cl->curl = NULL;
}

void
http_response_free(struct http_response *r)
{
	buf_free(&r->body);
	buf_free(&r->headers);
}

/*
 * The value of response header name (first occurrence), copied into out;
 * CONN_ENOTFOUND when absent.
 */
int
http_response_header(const struct http_response *r, const char *name,
    char *out, size_t outlen)
{
	size_t nl = strlen(name);
	const char *p = r->headers.data;

	if (p == NULL)
		return CONN_ENOTFOUND;
	while (*p) {
		const char *eol = strstr(p, "\r\n");
		size_t ll = eol ? (size_t)(eol - p) : strlen(p);
		if (ll > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			snprintf(out, outlen, "%.*s", (int)(ll - (size_t)(v - p)),
			    v);
			return 0;
		}
		if (eol == NULL)
			break;
		p = eol + 2;
	}
	return CONN_ENOTFOUND;
}

/*
 * 1 when the host of url is on the no-proxy list (comma-separated host
 * names or domain suffixes, "*" for all), as libcurl matches it.
 */
static int
bypasses_proxy(const char *url, const char *no_proxy)
{
	const char *h = strstr(url, "://"), *e;
	size_t hl;

	if (no_proxy == NULL || h == NULL)
		return 0;
	h += 3;
	if (*h == '[')
		e = strchr(h, ']');
	else
		e = h + strcspn(h, ":/?#");
	if (e == NULL)
		return 0;
	if (*h == '[')
		h++;
	hl = (size_t)(e - h);
	for (const char *p = no_proxy; *p;) {
		size_t n;
		while (*p == ',' || *p == ' ')
			p++;
		n = strcspn(p, ", ");
		if (n == 1 && *p == '*')
			return 1;
		if (n > 0 && *p == '.')
			p++, n--;
		if (n > 0 && hl >= n && strncasecmp(h + hl - n, p, n) == 0 &&
		    (hl == n || h[hl - n - 1] == '.'))
			return 1;
		p += n;
	}
	return 0;
}

/* Map a libcurl result to an error kind. */
static enum http_errkind
kind_of(CURLcode rc, int pin_mismatch, int too_big)
{
	if (too_big)
		return HTTP_ETOOBIG;
	if (pin_mismatch)
		return HTTP_ETLS;
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
		return HTTP_EDNS;
	case CURLE_COULDNT_RESOLVE_PROXY:
		return HTTP_EPROXY;
	case CURLE_COULDNT_CONNECT:
		return HTTP_ECONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		return HTTP_ETIMEOUT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_ISSUER_ERROR:
		return HTTP_ETLS;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
		return HTTP_ECONNECT;
	default:
		return HTTP_EOTHER;
	}
}

/*
 * Send one request.  req->body may be NULL; headers is a NULL-terminated
 * list of "Name: value" lines.  On a complete HTTP exchange returns 0 with
 * resp filled (any status: callers read resp->status; the caller frees
 * resp with http_response_free).  On a transport failure returns
 * CONN_EIO and fills err (kind, endpoint, elapsed, detail).
 */
int
http_request(struct http_client *cl, const struct http_req *req,
    struct http_response *resp, struct http_error *err)
{
	const struct http_opts *o = &cl->opts;
	struct curl_slist *hdrs = NULL;
	char errbuf[CURL_ERROR_SIZE] = "", proxy[300];
	curl_off_t t;
	long nconn = -1;
	CURLcode rc;
	CURL *c = cl->curl;

	memset(resp, 0, sizeof *resp);
	memset(err, 0, sizeof *err);
	snprintf(err->endpoint, sizeof err->endpoint, "%s", req->url);
	cl->resp = resp;
	cl->too_big = cl->pin_mismatch = 0;
	cl->refused_addr[0] = '\0';
	cl->max_body = o->max_response ? o->max_response : 8u << 20;
	/* verify_cb fills these on a new connection; a reused one keeps them. */
	memcpy(resp->peer_thumbprint, cl->peer_thumbprint,
	    sizeof resp->peer_thumbprint);
	memcpy(resp->peer_subject, cl->peer_subject, sizeof resp->peer_subject);
	memcpy(resp->peer_issuer, cl->peer_issuer, sizeof resp->peer_issuer);
	resp->peer_not_before = cl->peer_not_before;
	resp->peer_not_after = cl->peer_not_after;
	cl->peer_thumbprint[0] = cl->peer_subject[0] = '\0';

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    o->connect_timeout_ms ? o->connect_timeout_ms : 10000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
	    o->total_timeout_ms ? o->total_timeout_ms : 60000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, cl);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, cl);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "connector/" CONNECTOR_VERSION);
	/* Every new connection goes through verify_cb (no TLS resumption),
	 * so the peer's thumbprint is always known. */
	curl_easy_setopt(c, CURLOPT_SSL_SESSIONID_CACHE, 0L);
	/* Without this hook a pin would not be checked: refuse to go on. */
	if (curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_cb) !=
	    CURLE_OK || curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, cl) !=
	    CURLE_OK) {
		cl->resp = NULL;
		err->kind = HTTP_ETLS;
		snprintf(err->detail, sizeof err->detail, "this TLS library "
		    "cannot check certificates the connector's way");
		return CONN_EIO;
	}
	if (o->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
	if (o->refuse_internal) {
		curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket_cb);
		curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, cl);
	}
	if (o->pin_thumbprint) {
		/* The pin names the certificate; names and chain don't matter,
		 * and it holds with validation off too. */
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (o->insecure || o->inspect) {
		if (o->insecure)
			log_warn("SSL certificate validation is off: %s is not "
			    "verified", req->url);
		else
			log_info("reading the certificate of %s to show it "
			    "before it is trusted", req->url);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	} else {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	}
	if (o->proxy_host) {
		if ((!syntax_hostname(o->proxy_host) &&
		    !syntax_ipv4(o->proxy_host)) || o->proxy_port < 1 ||
		    o->proxy_port > 65535) {
			cl->resp = NULL;
			err->kind = HTTP_EPROXY;
			snprintf(err->detail, sizeof err->detail, "the proxy "
			    "setting is not a host name and port");
			return CONN_EINVAL;
		}
		snprintf(proxy, sizeof proxy, "http://%s:%d", o->proxy_host,
		    o->proxy_port);
		curl_easy_setopt(c, CURLOPT_PROXY, proxy);
		curl_easy_setopt(c, CURLOPT_PROXYTYPE, CURLPROXY_HTTP);
		curl_easy_setopt(c, CURLOPT_HTTPPROXYTUNNEL, 1L);
		if (o->proxy_user) {
			curl_easy_setopt(c, CURLOPT_PROXYAUTH, CURLAUTH_BASIC);
			curl_easy_setopt(c, CURLOPT_PROXYUSERNAME, o->proxy_user);
			curl_easy_setopt(c, CURLOPT_PROXYPASSWORD,
			    o->proxy_password ? o->proxy_password : "");
		}
		if (o->no_proxy)
			curl_easy_setopt(c, CURLOPT_NOPROXY, o->no_proxy);
	} else
		curl_easy_setopt(c, CURLOPT_PROXY, "");	/* no env proxy */
	for (const char *const *h = req->headers; h && *h; h++) {
		struct curl_slist *n = curl_slist_append(hdrs, *h);
		if (n == NULL) {
			curl_slist_free_all(hdrs);
			cl->resp = NULL;
			err->kind = HTTP_EOTHER;
			return CONN_ENOMEM;
		}
		hdrs = n;
	}
	if (hdrs)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	if (req->aws_sigv4) {
		curl_easy_setopt(c, CURLOPT_AWS_SIGV4, req->aws_sigv4);
		curl_easy_setopt(c, CURLOPT_USERNAME, req->aws_access_key);
		curl_easy_setopt(c, CURLOPT_PASSWORD, req->aws_secret_key);
	}
	if (req->body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)req->body_len);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
	}
	if (req->method && strcmp(req->method, req->body ? "POST" : "GET"))
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);

	rc = curl_easy_perform(c);
	curl_slist_free_all(hdrs);
	if (curl_easy_getinfo(c, CURLINFO_NAMELOOKUP_TIME_T, &t) == CURLE_OK)
		resp->timing.dns = t / 1e6;
	if (curl_easy_getinfo(c, CURLINFO_CONNECT_TIME_T, &t) == CURLE_OK)
		resp->timing.connect = t / 1e6;
	if (curl_easy_getinfo(c, CURLINFO_APPCONNECT_TIME_T, &t) == CURLE_OK)
		resp->timing.tls = t / 1e6;
	if (curl_easy_getinfo(c, CURLINFO_STARTTRANSFER_TIME_T, &t) ==
	    CURLE_OK)
		resp->timing.first_byte = t / 1e6;
	if (curl_easy_getinfo(c, CURLINFO_TOTAL_TIME_T, &t) == CURLE_OK)
		resp->timing.total = t / 1e6;
	err->elapsed = resp->timing.total;
	err->timing = resp->timing;
	if (curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &nconn) == CURLE_OK &&
	    nconn == 0) {
		/* The connection was reused: the recorded peer still holds. */
		memcpy(cl->peer_thumbprint, resp->peer_thumbprint,
		    sizeof cl->peer_thumbprint);
		memcpy(cl->peer_subject, resp->peer_subject,
		    sizeof cl->peer_subject);
	}
	memcpy(resp->peer_thumbprint, cl->peer_thumbprint,
	    sizeof resp->peer_thumbprint);
	memcpy(resp->peer_subject, cl->peer_subject,
	    sizeof resp->peer_subject);
	memcpy(resp->peer_issuer, cl->peer_issuer, sizeof resp->peer_issuer);
	resp->peer_not_before = cl->peer_not_before;
	resp->peer_not_after = cl->peer_not_after;
	cl->resp = NULL;
	if (rc != CURLE_OK || cl->too_big) {
		long cc = 0;
		err->kind = kind_of(rc, cl->pin_mismatch, cl->too_big);
		/* Through a proxy: a refused tunnel or an unreachable proxy is
		 * the proxy's failure, not the endpoint's. */
		curl_easy_getinfo(c, CURLINFO_HTTP_CONNECTCODE, &cc);
		if (o->proxy_host && !bypasses_proxy(req->url, o->no_proxy) &&
		    ((cc != 0 && cc != 200) || rc == CURLE_COULDNT_CONNECT))
			err->kind = HTTP_EPROXY;
		if (cl->refused_addr[0]) {
			err->kind = HTTP_ECONNECT;
			err->cause = HTTP_C_POLICY;
			snprintf(err->detail, sizeof err->detail, "connecting to "
			    "%s is not allowed (a loopback, link-local or "
			    "reserved address)", cl->refused_addr);
		} else if (cl->pin_mismatch) {
			err->cause = HTTP_C_PIN;
			snprintf(err->detail, sizeof err->detail, "the server's "
			    "certificate (%s) is not the pinned one",
			    cl->peer_thumbprint);
		} else if (err->kind == HTTP_EPROXY && cc == 407) {
			err->cause = HTTP_C_PROXY_AUTH;
			snprintf(err->detail, sizeof err->detail, "the proxy "
			    "refused the credentials (407)");
		} else if (cl->too_big)
			snprintf(err->detail, sizeof err->detail, "the answer is "
			    "larger than %zu bytes", cl->max_body);
		else
			snprintf(err->detail, sizeof err->detail, "%s",
			    errbuf[0] ? errbuf : curl_easy_strerror(rc));
		log_warn("%s %s: %s error after %.3f s: %s",
		    req->method ? req->method : (req->body ? "POST" : "GET"),
		    req->url, http_errkind_string(err->kind), err->elapsed,
		    err->detail);
		http_response_free(resp);
		return CONN_EIO;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	return 0;
}

/* Describe an error for the health pane: "TLS error at URL after 0.2 s: ..." */
int
http_error_describe(const struct http_error *e, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s error at %s after %.1f s: %s",
	    http_errkind_string(e->kind), e->endpoint, e->elapsed, e->detail);
	return n < 0 || (size_t)n >= outlen ? CONN_ETOOBIG : 0;
}
