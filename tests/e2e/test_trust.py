"""What the client says about itself is not trusted: forwarding headers do
not change the recorded address, Host does not change redirects, and odd
paths reach nothing."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (PASSWORD, WRONG, Suite, check, claimed_instance,  # noqa
                     eq, raw_response, token_hash)

suite = Suite()
inst = None
SPOOF = "203.0.113.9"
SPOOF_HEADERS = {
    "X-Forwarded-For": SPOOF,
    "Forwarded": "for=%s;proto=https;host=evil.example" % SPOOF,
    "X-Real-IP": SPOOF,
    "X-Client-IP": SPOOF,
    "True-Client-IP": SPOOF,
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-Proto": "http",
}
MARKER = "E2E-SECRET-MARKER-7f3a"


@suite.test
def test_bad_spoofed_address_on_failed_login():
    c = inst.client()
    csrf = c.form_csrf("/login")
    mark = inst.audit_mark()
    r = c.post("/login", [("csrf", csrf), ("password", WRONG)],
               headers=SPOOF_HEADERS)
    eq(r.status, 403, "status")
    new = inst.audit_wait(mark, lambda e: e["action"] == "login failed")
    check(new, "no audit line for the failure")
    for e in new:
        eq(e["addr"], "127.0.0.1", "audit addr")
    rows = inst.sql("SELECT addr FROM login_sources")
    eq(rows, [("127.0.0.1",)], "login_sources addresses")


@suite.test
def test_bad_spoofed_address_on_login():
    c = inst.client()
    csrf = c.form_csrf("/login")
    mark = inst.audit_mark()
    r = c.post("/login", [("csrf", csrf), ("password", PASSWORD)],
               headers=SPOOF_HEADERS)
    eq(r.status, 303, "status")
    eq(r.location, inst.origin + "/", "Location")
    eq(inst.admin()["last_login_addr"], "127.0.0.1", "last_login_addr")
    eq(inst.sql1("SELECT addr FROM sessions WHERE token_hash = ?",
                 (token_hash(c.session),))[0], "127.0.0.1", "session addr")
    new = inst.audit_wait(mark, lambda e: e["action"] == "login")
    check(new, "no audit line for the login")
    for e in new:
        eq(e["addr"], "127.0.0.1", "audit addr")


@suite.test
def test_bad_spoofed_host_not_in_redirect():
    for host in ("evil.example", "127.0.0.1:1", "evil.example:%d" % inst.port):
        r = inst.client().get("/", headers=dict(SPOOF_HEADERS, Host=host))
        eq(r.status, 302, "status with Host %s" % host)
        eq(r.location, inst.origin + "/login", "Location with Host %s" % host)


@suite.test
def test_bad_spoofed_host_not_in_post_redirect():
    c = inst.client()
    csrf = c.form_csrf("/login")
    r = c.post("/login", [("csrf", csrf), ("password", PASSWORD)],
               headers=dict(SPOOF_HEADERS, Host="evil.example"))
    eq(r.status, 303, "status")
    eq(r.location, inst.origin + "/", "Location")


@suite.test
def test_bad_absolute_uri_host_not_in_redirect():
    r = raw_response(inst, b"GET https://evil.example/ HTTP/1.1\r\n"
                     b"Host: evil.example\r\nConnection: close\r\n\r\n")
    eq(r.status, 302, "status")
    eq(r.location, inst.origin + "/login", "Location")


@suite.test
def test_bad_missing_host_refused():
    r = raw_response(inst, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
    eq(r.status, 400, "status")


PATHS = [
    "/static/../",
    "/static/%2e%2e/",
    "/static/%2E%2E/",
    "/%2e%2e/etc/passwd",
    "//setup",
    "/login/",
    "/login%2f",
    "/LOGIN",
    "/login;x=1",
    "/dashboard",
    "/index.html",
    "/cgi-bin/login",
    "/cgi-bin/dashboard",
    "/run/connector/login.sock",
    "/static/../../etc/connector/setup-code",
    "/static/..%2f..%2fetc%2fpasswd",
    "/static/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/static../etc/passwd",
    "/static/../../../../../../etc/passwd",
    "/static/errors/../../../../../../etc/passwd",
    "/static/",
    "/_error/500.html",
    "/_error/../../../etc/passwd",
    "/.git/config",
    "/var/lib/connector/state.db",
    "/etc/connector/setup-code",
    "/setup%00",
    "/login%00.css",
]


def probe(path, cookie=None):
    req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%sConnection: close"
           "\r\n\r\n" % (path, inst.port,
                         "Cookie: %s\r\n" % cookie if cookie else ""))
    return raw_response(inst, req.encode())


def reaches_nothing(r, path):
    check(r is not None, "%s: no answer", path)
    check(r.status in (400, 403, 404) or
          (r.status == 302 and r.location == inst.origin + "/login"),
          "%s: answered %d %s", path, r.status, r.location or "")
    for secret in ("root:x:0:", MARKER, "SQLite format 3", "<h1>Dashboard",
                   "[core]"):
        check(secret not in r.text, "%s: the answer contains %r", path,
              secret)


@suite.test
def test_bad_odd_paths_reach_nothing():
    for p in PATHS:
        reaches_nothing(probe(p), p)


@suite.test
def test_bad_odd_paths_with_csrf_cookie_reach_nothing():
    anon = inst.client()
    anon.get("/login")
    for p in PATHS:
        reaches_nothing(probe(p, anon.cookie_header()), p)


@suite.test
def test_bad_traversal_to_dashboard_without_session_redirects():
    for p in ("/static/../", "/static/%2e%2e/", "/./", "/static/./../"):
        r = probe(p)
        eq(r.status, 302, p + ": status")
        eq(r.location, inst.origin + "/login", p + ": Location")


@suite.test
def test_bad_double_slash_setup_is_gone():
    r = probe("//setup")
    eq(r.status, 404, "status")


@suite.test
def test_static_file_still_served():
    r = probe("/static/style.css")
    eq(r.status, 200, "status")
    check(len(r.body) > 100, "empty stylesheet")


def plant_markers(i):
    """A secret where a traversal would find it."""
    for rel in ("etc/connector/setup-code", "var/lib/connector/marker"):
        with open(i.path(rel), "w") as f:
            f.write(MARKER + "\n")


if __name__ == "__main__":
    suite.main(claimed_instance, globals(), ready=plant_markers)
