"""Cross-site request forgery: the Origin/Referer check and form tokens on
POST /logout (signed in) and POST /login (anonymous, double-submit)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (PASSWORD, Suite, check, claimed_instance, eq,  # noqa
                     token_hash)

suite = Suite()
inst = None
EVIL = "https://evil.example"


def counts():
    a = inst.admin()
    return (a["failed_count"], a["last_login_at"], inst.session_count(),
            inst.sql1("SELECT coalesce(sum(total), 0) FROM login_sources")[0])


def session_alive(c):
    return inst.sql1("SELECT count(*) FROM sessions WHERE token_hash = ?",
                     (token_hash(c.session),))[0] == 1 and c.signed_in()


def logout_refused(what, fields=None, **kw):
    """POST /logout as a signed-in client with a forged request: 403,
    the session lives on, nothing else changes."""
    c = inst.signed_in_client()
    csrf = c.form_csrf("/")
    before = counts()
    mark = inst.audit_mark()
    r = c.post("/logout", fields(csrf) if fields else [("csrf", csrf)], **kw)
    eq(r.status, 403, what + ": status")
    check("__Host-connector" in c.jar, "%s: the cookie was cleared", what)
    check(session_alive(c), "%s: the session ended", what)
    eq(counts(), before, what + ": counts")
    check(inst.audit_wait(mark, lambda e: e["uri"] == "/logout" and
                          e["status"] == 403 and
                          e["action"].startswith("refused")),
          "%s: no audit line for the refusal", what)
    return r


def login_refused(what, fields=None, **kw):
    """POST /login with the right password but a forged request: 403, no
    session, no count changes."""
    c = inst.client()
    csrf = c.form_csrf("/login")
    before = counts()
    r = c.post("/login", fields(csrf) if fields else
               [("csrf", csrf), ("password", PASSWORD)], **kw)
    eq(r.status, 403, what + ": status")
    check("__Host-connector" not in c.jar, "%s: a session cookie was set",
          what)
    eq(counts(), before, what + ": counts")
    check(not c.signed_in(), "%s: signed in", what)
    return r


# ---- positive controls: the same requests, well-formed ----

@suite.test
def test_logout_with_token_and_origin_works():
    c = inst.signed_in_client()
    csrf = c.form_csrf("/")
    r = c.post("/logout", [("csrf", csrf)])
    eq(r.status, 303, "status")
    check(not c.signed_in(), "still signed in")


@suite.test
def test_logout_with_same_origin_referer_works():
    c = inst.signed_in_client()
    csrf = c.form_csrf("/")
    r = c.post("/logout", [("csrf", csrf)], origin=None,
               referer=inst.origin + "/")
    eq(r.status, 303, "status")
    check(not c.signed_in(), "still signed in")


@suite.test
def test_login_with_same_origin_referer_works():
    c = inst.client()
    csrf = c.form_csrf("/login")
    r = c.post("/login", [("csrf", csrf), ("password", PASSWORD)],
               origin=None, referer=inst.origin + "/login")
    eq(r.status, 303, "status")


# ---- POST /logout ----

@suite.test
def test_bad_logout_without_csrf_field():
    logout_refused("no csrf", fields=lambda t: [])


@suite.test
def test_bad_logout_with_wrong_token():
    logout_refused("wrong token", fields=lambda t: [("csrf", "B" * 43)])


@suite.test
def test_bad_logout_with_empty_token():
    logout_refused("empty token", fields=lambda t: [("csrf", "")])


@suite.test
def test_bad_logout_with_other_sessions_token():
    other = inst.signed_in_client()
    other_csrf = other.form_csrf("/")
    logout_refused("other session's token",
                   fields=lambda t: [("csrf", other_csrf)])
    check(session_alive(other), "the other session ended")


@suite.test
def test_bad_logout_with_anonymous_csrf_cookie_token():
    """A signed-in page does not take the double-submit token."""
    anon = inst.client().form_csrf("/login")
    c = inst.signed_in_client()
    c.jar["__Host-connector-csrf"] = anon
    before = counts()
    r = c.post("/logout", [("csrf", anon)])
    eq(r.status, 403, "status")
    check(session_alive(c), "the session ended")
    eq(counts(), before, "counts")


@suite.test
def test_bad_logout_from_cross_site_origin():
    logout_refused("cross-site Origin", origin=EVIL,
                   referer=inst.origin + "/")


@suite.test
def test_bad_logout_with_null_origin():
    logout_refused("Origin null", origin="null")


@suite.test
def test_bad_logout_with_lookalike_origin():
    logout_refused("lookalike Origin", origin=inst.origin + ".evil.example")


@suite.test
def test_bad_logout_without_origin_or_referer():
    logout_refused("no Origin, no Referer", origin=None)


@suite.test
def test_bad_logout_with_cross_site_referer():
    logout_refused("cross-site Referer", origin=None,
                   referer=EVIL + "/attack")


@suite.test
def test_bad_logout_with_lookalike_referer():
    logout_refused("lookalike Referer", origin=None,
                   referer=inst.origin + ".evil.example/")


@suite.test
def test_bad_logout_with_http_origin():
    logout_refused("plain http Origin",
                   origin="http://127.0.0.1:%d" % inst.port)


# ---- POST /login ----

@suite.test
def test_bad_login_without_csrf_field():
    login_refused("no csrf", fields=lambda t: [("password", PASSWORD)])


@suite.test
def test_bad_login_with_wrong_token():
    login_refused("wrong token",
                  fields=lambda t: [("csrf", "C" * 43),
                                    ("password", PASSWORD)])


@suite.test
def test_bad_login_with_another_clients_token():
    other = inst.client()
    other_csrf = other.form_csrf("/login")
    login_refused("another client's token",
                  fields=lambda t: [("csrf", other_csrf),
                                    ("password", PASSWORD)])


@suite.test
def test_bad_login_with_session_token():
    """The csrf of a signed-in session is no anonymous form token."""
    s = inst.signed_in_client()
    s_csrf = s.form_csrf("/")
    login_refused("a session's token",
                  fields=lambda t: [("csrf", s_csrf),
                                    ("password", PASSWORD)])


@suite.test
def test_bad_login_without_csrf_cookie():
    c = inst.client()
    csrf = c.form_csrf("/login")
    del c.jar["__Host-connector-csrf"]
    before = counts()
    r = c.post("/login", [("csrf", csrf), ("password", PASSWORD)])
    eq(r.status, 403, "status")
    check("__Host-connector" not in c.jar, "a session cookie was set")
    eq(counts(), before, "counts")


@suite.test
def test_bad_login_from_cross_site_origin():
    login_refused("cross-site Origin", origin=EVIL)


@suite.test
def test_bad_login_without_origin_or_referer():
    login_refused("no Origin, no Referer", origin=None)


@suite.test
def test_bad_login_with_cross_site_referer():
    login_refused("cross-site Referer", origin=None,
                  referer=EVIL + "/login")


@suite.test
def test_bad_login_origin_matching_spoofed_host():
    login_refused("Origin equal to a spoofed Host", origin=EVIL,
                  headers={"Host": "evil.example"})


@suite.test
def test_refusals_do_not_count_as_failed_logins():
    eq(inst.admin()["failed_count"], 0, "failed_count")
    eq(inst.sql1("SELECT coalesce(sum(total), 0) FROM login_sources")[0], 0,
       "login_sources total")


if __name__ == "__main__":
    suite.main(claimed_instance, globals())
