"""Signing in and out: sessions, cookies, the dashboard."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (NOT_RIGHT, PASSWORD, VERSION, WRONG, Suite,  # noqa
                     check, claimed_instance, eq, parse_set_cookie,
                     token_hash)

suite = Suite()
inst = None


def session_rows(token):
    return inst.sql("SELECT count(*) FROM sessions WHERE token_hash = ?",
                    (token_hash(token),))[0][0]


def reset_failure_streak():
    """A successful login clears the failure streak (console and address)."""
    eq(inst.client().login().status, 303, "login")


@suite.test
def test_login_redirects_to_dashboard():
    c = inst.client()
    r = c.login()
    eq(r.status, 303, "status")
    eq(r.location, inst.origin + "/", "Location")
    check(c.session and len(c.session) == 43, "session cookie: %r", c.session)
    eq(session_rows(c.session), 1, "session rows for the cookie")
    check(c.signed_in(), "the dashboard is not shown")


@suite.test
def test_login_page_served_anonymously():
    c = inst.client()
    r = c.get("/login")
    eq(r.status, 200, "status")
    check(r.csrf, "no csrf field")
    check('type="password"' in r.text, "no password field")
    check(c.jar.get("__Host-connector-csrf") == r.csrf, "csrf cookie "
          "differs from the form's token")


@suite.test
def test_each_login_gets_new_session_cookie():
    c = inst.client()
    eq(c.login().status, 303, "first login")
    first = c.session
    eq(c.login().status, 303, "second login")
    check(c.session and c.session != first, "the session cookie did not "
          "change on the second login")
    eq(session_rows(first), 0, "rows of the first session")
    old = inst.client()
    old.jar["__Host-connector"] = first
    check(not old.signed_in(), "the first session still works")


@suite.test
def test_bad_planted_session_cookie_not_kept():
    """Session fixation: a cookie set before login is not the one after."""
    planted = "A" * 43
    c = inst.client()
    c.jar["__Host-connector"] = planted
    r = c.get("/")
    eq(r.status, 302, "unknown cookie on /")
    eq(c.login().status, 303, "login")
    check(c.session != planted, "the planted cookie became the session")
    eq(session_rows(planted), 0, "rows for the planted cookie")
    evil = inst.client()
    evil.jar["__Host-connector"] = planted
    check(not evil.signed_in(), "the planted cookie is signed in")


@suite.test
def test_bad_wrong_password_refused():
    c = inst.client()
    before = inst.admin()["failed_count"]
    r = c.login(WRONG)
    eq(r.status, 403, "status")
    check(NOT_RIGHT in r.text, "no message: %s", r.text[:300])
    check("__Host-connector" not in c.jar, "a session cookie was set")
    eq(inst.admin()["failed_count"], before + 1, "failed_count")
    check(r.csrf, "the form is not shown again")
    reset_failure_streak()


def refused_message(password_fields):
    c = inst.client()
    r = c.submit("/login", password_fields)
    eq(r.status, 403, "status for %r" % (password_fields,))
    check("__Host-connector" not in c.jar, "a session cookie was set")
    i = r.text.find('<p class="error"')
    return r.text[i:r.text.find("</p>", i)] if i >= 0 else r.text


@suite.test
def test_bad_password_same_message_whatever_cause():
    msgs = {
        "wrong": refused_message([("password", WRONG)]),
        "empty": refused_message([("password", "")]),
        "absent": refused_message([]),
    }
    reset_failure_streak()
    msgs["1024 bytes"] = refused_message([("password", "x" * 1024)])
    msgs["case"] = refused_message([("password", PASSWORD.upper())])
    msgs["prefix"] = refused_message([("password", PASSWORD[:-1])])
    reset_failure_streak()
    for k, v in msgs.items():
        check(NOT_RIGHT in v, "%s: message %r", k, v)
    eq(len(set(msgs.values())), 1, "distinct messages %r" % msgs)


@suite.test
def test_bad_overlong_password_refused_as_input():
    c = inst.client()
    before = inst.admin()["failed_count"]
    r = c.login("x" * 1025)
    eq(r.status, 400, "status")
    check("too long" in r.text, "no message: %s", r.text[:300])
    eq(inst.admin()["failed_count"], before, "failed_count")


@suite.test
def test_logout_ends_session_server_side():
    c = inst.signed_in_client()
    token = c.session
    r = c.logout()
    eq(r.status, 303, "logout status")
    eq(r.location, inst.origin + "/login", "Location")
    check("__Host-connector" not in c.jar, "the cookie was not cleared")
    eq(session_rows(token), 0, "session rows")
    old = inst.client()
    old.jar["__Host-connector"] = token
    r = old.get("/")
    eq(r.status, 302, "old cookie on /")
    eq(r.location, inst.origin + "/login", "old cookie Location")


@suite.test
def test_logout_clears_cookie_in_browser():
    c = inst.signed_in_client()
    csrf = c.form_csrf("/")
    r = c.post("/logout", [("csrf", csrf)])
    cleared = [parse_set_cookie(v) for v in r.header_all("Set-Cookie")]
    cleared = [x for x in cleared if x[0] == "__Host-connector"]
    eq(len(cleared), 1, "Set-Cookie for the session")
    eq(cleared[0][1], "", "cleared value")
    eq(cleared[0][2].get("max-age"), "0", "Max-Age")


@suite.test
def test_bad_logout_by_get_refused():
    c = inst.signed_in_client()
    r = c.get("/logout")
    eq(r.status, 405, "status")
    check(c.signed_in(), "GET /logout ended the session")


def check_flags(raw, name):
    n, v, attrs = parse_set_cookie(raw)
    eq(n, name, "name")
    check(n.startswith("__Host-"), "%s: no __Host- prefix", n)
    check(attrs.get("secure") is True, "%s: not Secure (%s)", n, raw)
    check(attrs.get("httponly") is True, "%s: not HttpOnly (%s)", n, raw)
    eq(str(attrs.get("samesite")).lower(), "strict", n + " SameSite")
    eq(attrs.get("path"), "/", n + " Path")
    check("domain" not in attrs, "%s: has a Domain (%s)", n, raw)
    check("expires" not in attrs and "max-age" not in attrs,
          "%s: not a browser-session cookie (%s)", n, raw)


@suite.test
def test_session_cookie_flags():
    c = inst.client()
    csrf = c.form_csrf("/login")
    r = c.post("/login", [("csrf", csrf), ("password", PASSWORD)])
    eq(r.status, 303, "login")
    sess = [v for v in r.header_all("Set-Cookie")
            if v.startswith("__Host-connector=")]
    eq(len(sess), 1, "session Set-Cookie headers")
    check_flags(sess[0], "__Host-connector")


@suite.test
def test_csrf_cookie_flags():
    r = inst.client().get("/login")
    raw = [v for v in r.header_all("Set-Cookie")
           if v.startswith("__Host-connector-csrf=")]
    eq(len(raw), 1, "csrf Set-Cookie headers")
    check_flags(raw[0], "__Host-connector-csrf")


@suite.test
def test_sessions_table_holds_only_hashes():
    c = inst.signed_in_client()
    token = c.session
    rows = inst.sql("SELECT token_hash FROM sessions")
    hashes = [r[0] for r in rows]
    check(token_hash(token) in hashes, "the token's hash is not stored")
    check(token not in hashes, "the token itself is stored")
    for suffix in ("", "-wal", "-journal"):
        p = inst.db_path + suffix
        if os.path.exists(p):
            with open(p, "rb") as f:
                data = f.read()
            check(token.encode() not in data, "the cookie value is in %s",
                  os.path.basename(p))


@suite.test
def test_dashboard_shows_version():
    c = inst.signed_in_client()
    r = c.get("/")
    eq(r.status, 200, "status")
    check("Version: %s" % VERSION in r.text, "no 'Version: %s'", VERSION)


@suite.test
def test_dashboard_shows_address():
    c = inst.signed_in_client()
    ip = inst.sql1("SELECT value FROM settings WHERE name = 'ip'")[0]
    eq(ip, "127.0.0.1", "ip setting")
    r = c.get("/")
    check("<dd>127.0.0.1</dd>" in r.text, "no address on the dashboard")


@suite.test
def test_dashboard_shows_not_registered():
    c = inst.signed_in_client()
    r = c.get("/")
    check("not registered" in r.text.lower(), "no 'not registered'")


@suite.test
def test_dashboard_shows_signed_in_state():
    c = inst.signed_in_client()
    r = c.get("/")
    check("Sign out" in r.text and 'action="/logout"' in r.text,
          "no sign-out form")
    eq(r.csrf, inst.sql1("SELECT csrf FROM sessions WHERE token_hash = ?",
                         (token_hash(c.session),))[0], "page csrf")


if __name__ == "__main__":
    suite.main(claimed_instance, globals())
