"""The audit log (JSON lines written by nginx) and what no log may hold."""
import json
import os
import re
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (PASSWORD, WRONG, Suite, check, claimed_instance,  # noqa
                     eq)

suite = Suite()
inst = None
FIELDS = ("time", "addr", "user", "method", "uri", "status", "action")
SECRET_WRONG = "wrong-but-distinctive Pa55phrase 93"
state = {"cookies": []}


def last(pred, mark, what):
    new = inst.audit_wait(mark, pred)
    check(new, "no audit line for %s", what)
    return [e for e in new if pred(e)][-1]


@suite.test
def test_login_writes_action_login():
    c = inst.client()
    mark = inst.audit_mark()
    eq(c.login().status, 303, "login")
    state["cookies"].append(c.session)
    e = last(lambda e: e["uri"] == "/login" and e["method"] == "POST",
             mark, "the login")
    eq((e["action"], e["status"], e["user"], e["addr"]),
       ("login", 303, "admin", "127.0.0.1"), "audit line")


@suite.test
def test_failed_login_writes_login_failed():
    c = inst.client()
    mark = inst.audit_mark()
    eq(c.login(SECRET_WRONG).status, 403, "failed login")
    e = last(lambda e: e["uri"] == "/login" and e["method"] == "POST",
             mark, "the failure")
    eq((e["action"], e["status"], e["user"]), ("login failed", 403, "-"),
       "audit line")


@suite.test
def test_logout_writes_action_logout():
    c = inst.signed_in_client()
    state["cookies"].append(c.session)
    mark = inst.audit_mark()
    eq(c.logout().status, 303, "logout")
    e = last(lambda e: e["uri"] == "/logout", mark, "the logout")
    eq((e["action"], e["status"], e["method"]), ("logout", 303, "POST"),
       "audit line")


@suite.test
def test_bad_csrf_refusal_audited():
    c = inst.client()
    c.get("/login")
    mark = inst.audit_mark()
    r = c.post("/login", [("csrf", "D" * 43), ("password", PASSWORD)])
    eq(r.status, 403, "status")
    e = last(lambda e: e["uri"] == "/login" and e["method"] == "POST",
             mark, "the refusal")
    eq(e["action"], "refused: bad form token", "action")


@suite.test
def test_bad_cross_origin_refusal_audited():
    c = inst.client()
    csrf = c.form_csrf("/login")
    mark = inst.audit_mark()
    r = c.post("/login", [("csrf", csrf), ("password", PASSWORD)],
               origin="https://evil.example")
    eq(r.status, 403, "status")
    e = last(lambda e: e["uri"] == "/login" and e["method"] == "POST",
             mark, "the refusal")
    eq(e["action"], "refused: cross-origin request", "action")


@suite.test
def test_anonymous_and_static_requests_audited():
    c = inst.client()
    mark = inst.audit_mark()
    c.get("/static/style.css")
    c.get("/no-such-page")
    c.get("/")
    new = inst.audit_wait(mark, lambda e: e["uri"] == "/")
    check(new, "no audit lines")
    got = {e["uri"]: (e["status"], e["user"]) for e in new}
    eq(got.get("/static/style.css"), (200, ""), "static file")
    eq(got.get("/no-such-page"), (404, ""), "unknown page")
    eq(got.get("/"), (302, "-"), "anonymous dashboard")


@suite.test
def test_odd_uri_kept_as_valid_json():
    c = inst.client()
    mark = inst.audit_mark()
    odd = '/odd/"x\\y%0A<z>'
    c.get(odd + '?q="x\\y%0A<z>')
    e = last(lambda e: e["uri"].startswith("/odd/"), mark, "the odd uri")
    eq(e["uri"], odd, "uri (its path, without the query)")


@suite.test
def test_audit_lines_are_json_with_every_field():
    with open(inst.audit_path) as f:
        lines = f.read().splitlines()
    check(len(lines) >= 10, "only %d lines", len(lines))
    for i, line in enumerate(lines):
        try:
            e = json.loads(line)
        except ValueError as ex:
            raise AssertionError("line %d is not JSON (%s): %r" %
                                 (i + 1, ex, line))
        check(isinstance(e, dict), "line %d is not an object", i + 1)
        eq(sorted(e), sorted(FIELDS), "fields of line %d" % (i + 1))
        check(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$",
                       e["time"]), "line %d: time %r", i + 1, e["time"])
        check(isinstance(e["status"], int), "line %d: status %r", i + 1,
              e["status"])
        eq(e["addr"], "127.0.0.1", "addr of line %d" % (i + 1))
        check(e["method"] in ("GET", "POST", "PUT", "-"),
              "line %d: method %r", i + 1, e["method"])
        check(e["user"] in ("", "-", "admin"), "line %d: user %r", i + 1,
              e["user"])


def secrets():
    out = []
    for s in (PASSWORD, WRONG, SECRET_WRONG):
        out += [s, urllib.parse.quote_plus(s), urllib.parse.quote(s)]
    return out


@suite.test
def test_passwords_never_in_any_log():
    # Also a refused body and an over-long one that still carry passwords.
    c = inst.client()
    csrf = c.form_csrf("/login")
    c.post("/login", [("csrf", csrf), ("password", PASSWORD),
                      ("unknown", SECRET_WRONG)])
    c.post("/login", [("csrf", csrf), ("password", WRONG + "\x01")])
    c.post("/login", [("csrf", csrf), ("password", PASSWORD + "x" * 1200)])
    p = inst.setup_tool("reset-password",
                        stdin=PASSWORD + "\n" + PASSWORD + "\n")
    eq(p.returncode, 0, "reset-password")
    logs = inst.all_logs()
    for name in ("audit.log", "connector.log", "nginx-error.log"):
        check(name in logs, "no %s", name)
    for name, data in logs.items():
        for s in secrets():
            check(s.encode() not in data, "a password is in %s", name)


@suite.test
def test_session_tokens_never_in_any_log():
    check(state["cookies"], "no session cookies collected")
    for name, data in inst.all_logs().items():
        for tok in state["cookies"]:
            check(tok.encode() not in data, "a session token is in %s", name)


if __name__ == "__main__":
    suite.main(claimed_instance, globals())
