"""Security headers on every answer, the body cap, and the TLS profile."""
import os
import re
import socket
import ssl
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (PASSWORD, VERSION, Suite, check, claimed_instance,  # noqa
                     eq, raw_response)

suite = Suite()
inst = None
CSP = ("default-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'")
MIB2 = 2 * 1024 * 1024


def check_headers(r, what, console=True):
    check(r is not None, "%s: no answer", what)
    for name in ("Strict-Transport-Security", "Content-Security-Policy",
                 "X-Content-Type-Options", "X-Frame-Options",
                 "Referrer-Policy", "Cache-Control"):
        eq(len(r.header_all(name)), 1, "%s: number of %s headers" %
           (what, name))
    hsts = r.header("Strict-Transport-Security")
    m = re.match(r"max-age=(\d+)", hsts)
    check(m and int(m.group(1)) >= 31536000, "%s: HSTS %r", what, hsts)
    eq(r.header("Content-Security-Policy"), CSP, what + ": CSP")
    eq(r.header("X-Content-Type-Options"), "nosniff", what + ": nosniff")
    eq(r.header("X-Frame-Options"), "DENY", what + ": X-Frame-Options")
    eq(r.header("Referrer-Policy"), "same-origin", what + ": Referrer-Policy")
    if console:
        eq(r.header("Cache-Control"), "no-store", what + ": Cache-Control")
    server = r.header("Server")
    check(server is None or not re.search(r"[0-9/]", server),
          "%s: Server header shows a version: %r", what, server)
    leaked = [k for k, v in r.headers if k.lower().startswith("x-connector")
              or k.lower() == "x-powered-by"]
    check(not leaked, "%s: internal headers reach the client: %r", what,
          leaked)


@suite.test
def test_headers_on_200_login_page():
    r = inst.client().get("/login")
    eq(r.status, 200, "status")
    check_headers(r, "200 /login")


@suite.test
def test_headers_on_200_dashboard():
    r = inst.signed_in_client().get("/")
    eq(r.status, 200, "status")
    check_headers(r, "200 /")


@suite.test
def test_headers_on_200_static_file():
    r = inst.client().get("/static/style.css")
    eq(r.status, 200, "status")
    check_headers(r, "200 static", console=False)
    check("no-store" not in r.header("Cache-Control"), "static file not "
          "cacheable")


@suite.test
def test_headers_on_302_redirect():
    r = inst.client().get("/")
    eq(r.status, 302, "status")
    check_headers(r, "302")


@suite.test
def test_headers_on_303_after_login():
    c = inst.client()
    r = c.login()
    eq(r.status, 303, "status")
    check_headers(r, "303")


@suite.test
def test_headers_on_400_from_program():
    c = inst.client()
    csrf = c.form_csrf("/login")
    r = c.post("/login", "csrf=%s&password=%%zz" % csrf)
    eq(r.status, 400, "status")
    check_headers(r, "400 program")


@suite.test
def test_headers_on_400_from_nginx():
    r = raw_response(inst, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Length: x\r\n\r\n")
    eq(r.status, 400, "status")
    check_headers(r, "400 nginx")


@suite.test
def test_headers_on_403_bad_csrf():
    c = inst.client()
    c.get("/login")
    r = c.post("/login", [("csrf", "A" * 43), ("password", PASSWORD)])
    eq(r.status, 403, "status")
    check_headers(r, "403 program")


@suite.test
def test_headers_on_403_from_nginx():
    r = inst.client().request("POST", "/static/style.css", body="x=1",
                              headers={"Content-Type":
                                       "application/x-www-form-urlencoded"})
    eq(r.status, 403, "status")
    check_headers(r, "403 nginx", console=False)


@suite.test
def test_headers_on_404_from_nginx():
    r = inst.client().get("/no/such/page")
    eq(r.status, 404, "status")
    check_headers(r, "404 nginx")


@suite.test
def test_nginx_error_pages_are_console_pages():
    r = inst.client().get("/no/such/page")
    eq(r.status, 404, "status")
    check("Version: " + VERSION in r.text, "404 page shows the version")
    check("There is no such page on this console." in r.text,
          "404 page says what happened")
    r = inst.client().request("POST", "/static/style.css", body="x=1",
                              headers={"Content-Type":
                                       "application/x-www-form-urlencoded"})
    eq(r.status, 403, "status")
    check("Version: " + VERSION in r.text, "403 page shows the version")


@suite.test
def test_head_answers_like_get_without_body():
    c = inst.client()
    g = c.get("/login")
    h = c.request("HEAD", "/login")
    eq(h.status, 200, "HEAD status")
    eq(h.body, b"", "HEAD body")
    check_headers(h, "HEAD /login")
    eq(h.header("Content-Type"), g.header("Content-Type"), "content type")


@suite.test
def test_headers_on_404_from_program():
    r = inst.client().get("/setup")
    eq(r.status, 404, "status")
    check_headers(r, "404 program")


@suite.test
def test_headers_on_405_from_program():
    r = inst.client().request("PUT", "/login", body="")
    eq(r.status, 405, "status")
    eq(r.header("Allow"), "GET, HEAD, POST", "Allow")
    check_headers(r, "405 program")


@suite.test
def test_headers_on_405_logout_get():
    r = inst.signed_in_client().get("/logout")
    eq(r.status, 405, "status")
    eq(r.header("Allow"), "POST", "Allow")
    check_headers(r, "405 GET /logout")


@suite.test
def test_headers_on_405_from_nginx():
    r = inst.client().request("TRACE", "/")
    eq(r.status, 405, "status")
    check_headers(r, "405 nginx")


def post_raw(nbytes):
    body = b"password=" + b"a" * (nbytes - 9)
    head = ("POST /login HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
            "Origin: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: %d\r\nConnection: close\r\n\r\n" %
            (inst.port, inst.origin, len(body))).encode()
    return raw_response(inst, head + body, timeout=60)


@suite.test
def test_headers_on_413():
    r = post_raw(MIB2 + 1)
    eq(r.status, 413, "status")
    check_headers(r, "413")


@suite.test
def test_bad_body_over_2mib_refused_by_nginx():
    mark = inst.audit_mark()
    r = post_raw(MIB2 + 1)
    eq(r.status, 413, "status")
    new = inst.audit_wait(mark, lambda e: e["status"] == 413)
    check(new, "no audit line")
    e = [x for x in new if x["status"] == 413][0]
    eq((e["method"], e["uri"], e["user"]), ("POST", "/login", ""),
       "audit line (empty user: no program answered)")
    check(b"too large body" in inst.read_log("nginx-error.log"),
          "nginx did not log the refusal")


@suite.test
def test_body_of_2mib_reaches_program():
    mark = inst.audit_mark()
    r = post_raw(MIB2)
    check(r is not None, "no answer")
    check(r.status != 413, "refused with 413")
    # The program reads it and refuses the over-long field itself.
    eq(r.status, 400, "status")
    check("A field is too long." in r.text, "not the program's page")
    # (A 413 line of an earlier test may come late: nginx logs it when
    # the connection closes.)
    new = inst.audit_wait(mark, lambda e: e["uri"] == "/login" and
                          e["method"] == "POST" and e["status"] == 400)
    check(new, "no audit line")
    eq([x["user"] for x in new if x["status"] == 400], ["-"],
       "audit user (a program answered)")


@suite.test
def test_headers_on_500():
    c = inst.signed_in_client()
    inst.sql("ALTER TABLE sessions RENAME TO sessions_moved", write=True)
    try:
        r = c.get("/")
    finally:
        inst.sql("ALTER TABLE sessions_moved RENAME TO sessions", write=True)
    eq(r.status, 500, "status")
    check_headers(r, "500")
    check("Internal Server Error" in r.text, "no error page")
    check(c.signed_in(), "the session does not work after the table is back")


def tls_connect(version, seclevel0=False):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(inst.cert)
    if seclevel0:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    ctx.minimum_version = version
    ctx.maximum_version = version
    sock = socket.create_connection(("127.0.0.1", inst.port), timeout=10)
    return ctx.wrap_socket(sock, server_hostname="127.0.0.1")


def refused_version(version):
    try:
        s = tls_connect(version, seclevel0=True)
    except ssl.SSLError as e:
        check("NO_PROTOCOLS_AVAILABLE" not in str(e).upper(),
              "this client cannot offer the version: %s", e)
        check("PROTOCOL_VERSION" in str(e).upper() or
              "UNSUPPORTED_PROTOCOL" in str(e).upper(),
              "refused for another reason: %s", e)
        return
    v = s.version()
    s.close()
    raise AssertionError("handshake succeeded with %s" % v)


@suite.test
def test_bad_tls10_refused():
    refused_version(ssl.TLSVersion.TLSv1)


@suite.test
def test_bad_tls11_refused():
    refused_version(ssl.TLSVersion.TLSv1_1)


@suite.test
def test_tls12_accepted():
    s = tls_connect(ssl.TLSVersion.TLSv1_2)
    eq(s.version(), "TLSv1.2", "version")
    check(s.cipher()[0].startswith("ECDHE-") and
          ("GCM" in s.cipher()[0] or "CHACHA20" in s.cipher()[0]),
          "cipher %r", s.cipher())
    s.close()


@suite.test
def test_tls13_accepted():
    s = tls_connect(ssl.TLSVersion.TLSv1_3)
    eq(s.version(), "TLSv1.3", "version")
    s.close()


def tls12_with_ciphers(ciphers):
    """A TLS 1.2 handshake offering only ciphers (checked to be offered)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(inst.cert)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(ciphers + ":@SECLEVEL=0")
    offered = [c["name"] for c in ctx.get_ciphers()
               if c["protocol"] != "TLSv1.3"]
    eq(sorted(offered), sorted(ciphers.split(":")), "ciphers the client offers")
    sock = socket.create_connection(("127.0.0.1", inst.port), timeout=10)
    try:
        return ctx.wrap_socket(sock, server_hostname="127.0.0.1")
    except BaseException:
        sock.close()
        raise


@suite.test
def test_tls12_client_of_cbc_test_works_with_gcm():
    # The same client as the CBC test, with an allowed cipher: so a refusal
    # there is about the cipher, not about the client or the certificate.
    s = tls12_with_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256")
    eq(s.cipher()[0], "ECDHE-ECDSA-AES128-GCM-SHA256", "cipher")
    s.close()


@suite.test
def test_bad_tls12_cbc_cipher_refused():
    # CBC suites usable with the console's (ECDSA) key, and plain RSA ones.
    try:
        s = tls12_with_ciphers("ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:"
                               "ECDHE-ECDSA-AES128-SHA256:"
                               "ECDHE-ECDSA-AES256-SHA384:AES128-SHA")
    except ssl.SSLError as e:
        # The server must have said no (a handshake_failure alert: no
        # shared cipher), not this client failing on its own.
        why = (e.reason or str(e)).upper()
        check("NO_CIPHERS_AVAILABLE" not in why and
              "NO_PROTOCOLS_AVAILABLE" not in why,
              "this client cannot offer the ciphers: %s", e)
        check("ALERT_HANDSHAKE_FAILURE" in why or "NO_SHARED_CIPHER" in why,
              "refused for another reason: %s", e)
        return
    c = s.cipher()
    s.close()
    raise AssertionError("a CBC cipher was accepted: %r" % (c,))


@suite.test
def test_no_session_tickets_tls12():
    s = tls_connect(ssl.TLSVersion.TLSv1_2)
    try:
        s.sendall(b"GET /static/style.css HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Connection: close\r\n\r\n")
        while s.recv(65536):
            pass
        check(s.session is not None, "no session")
        check(not s.session.has_ticket, "the server issued a session ticket")
    finally:
        s.close()


@suite.test
def test_bad_certificate_of_another_name_refused():
    ctx = inst.tls_context()
    sock = socket.create_connection(("127.0.0.1", inst.port), timeout=10)
    try:
        ctx.wrap_socket(sock, server_hostname="evil.example").close()
    except ssl.SSLCertVerificationError:
        return
    raise AssertionError("the certificate verified for evil.example")


if __name__ == "__main__":
    suite.main(claimed_instance, globals())
