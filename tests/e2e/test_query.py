"""GET query parameters go through the field table and each page's list:
anything else is a 400 before the page runs.  Sign-in returns to the page
asked for, only one of the console's own.  The audit log never records a
query string."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (PASSWORD, Suite, check, claimed_instance, eq)  # noqa

suite = Suite()
inst = None
SECRET = "Leaked-Pa55word-in-a-url-81"


@suite.test
def test_bad_unknown_parameter_400():
    c = inst.signed_in_client()
    r = c.get("/?debug=1")
    eq(r.status, 400, "status")
    check("parameter this page does not accept" in r.text, "message")


@suite.test
def test_bad_duplicate_parameter_400():
    r = inst.client().get("/login?next=/keys&next=/keys")
    eq(r.status, 400, "status")


@suite.test
def test_bad_malformed_parameter_400():
    r = inst.client().get("/login?next=%zz")
    eq(r.status, 400, "status")


@suite.test
def test_bad_next_to_another_host_400():
    for nxt in ("//evil.example/", "https://evil.example/", "/%2F/evil"):
        r = inst.client().get("/login?next=" + nxt)
        eq(r.status, 400, "next=%s" % nxt)


@suite.test
def test_bad_next_not_in_allow_list_goes_to_dashboard():
    c = inst.client()
    r = c.get("/login?next=/register/aws")
    eq(r.status, 200, "login page")
    check('name="next"' not in r.text, "a page off the list is carried")
    r = c.post("/login", [("csrf", r.csrf), ("password", PASSWORD),
                          ("next", "/register/aws")])
    eq((r.status, r.location), (303, inst.origin + "/"), "answer")


@suite.test
def test_sign_in_returns_to_page_asked_for():
    c = inst.client()
    r = c.get("/keys")
    eq((r.status, r.location), (302, inst.origin + "/login?next=/keys"),
       "redirect to sign in")
    page = c.get("/login?next=/keys")
    check('name="next" value="/keys"' in page.text, "next not in the form")
    r = c.post("/login", [("csrf", page.csrf), ("password", PASSWORD),
                          ("next", "/keys")])
    eq((r.status, r.location), (303, inst.origin + "/keys"), "answer")
    eq(c.get("/keys").status, 200, "the keys page")


@suite.test
def test_known_query_parameter_reaches_page():
    c = inst.signed_in_client()
    r = c.get("/settings/tokens/revoke?token=999")
    eq(r.status, 404, "an unknown token id")
    r = c.get("/settings/tokens/revoke?token=abc")
    eq(r.status, 400, "a malformed token id")


@suite.test
def test_bad_post_with_query_string_400():
    c = inst.client()
    csrf = c.form_csrf("/login")
    r = c.post("/login?next=/keys", [("csrf", csrf), ("password", PASSWORD)])
    eq(r.status, 400, "status")


@suite.test
def test_audit_path_without_query():
    mark = inst.audit_mark()
    inst.client().get("/login?password=" + SECRET)
    inst.client().get("/login?next=/keys&x=" + SECRET)
    lines = inst.audit_wait(mark, lambda e: e["uri"].startswith("/login"))
    check(lines, "no audit line")
    check(all(e["uri"] == "/login" for e in lines
              if e["uri"].startswith("/login")),
          "uris %r", [e["uri"] for e in lines])
    logs = b"".join(inst.all_logs().values())
    check(SECRET.encode() not in logs, "the secret is in a log")


if __name__ == "__main__":
    suite.main(claimed_instance, globals())
