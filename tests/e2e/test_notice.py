"""One-time notices: a state change answers with a redirect, and the page
it lands on says once what happened; a reload repeats nothing."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (PASSWORD, Suite, check, claimed_instance, eq,  # noqa
                     token_hash)

suite = Suite()
inst = None
NOTICE = 'id="notice"'


def rotate(c):
    return c.post("/keys/encryption", [("csrf", c.form_csrf("/keys")),
                                       ("password", PASSWORD)])


def key_id():
    row = inst.sql("SELECT key_id FROM secret_key")
    return row[0][0] if row else None


@suite.test
def test_rotation_redirects_to_keys():
    c = inst.signed_in_client()
    r = rotate(c)
    eq((r.status, r.location), (303, inst.origin + "/keys"), "answer")
    eq(r.body, b"", "a body with the redirect")


@suite.test
def test_rotation_notice_shown_once():
    c = inst.signed_in_client()
    eq(rotate(c).status, 303, "rotate")
    first = c.get("/keys")
    check(NOTICE in first.text and "Rotated." in first.text,
          "no notice on the page the redirect lands on")
    check(key_id() in first.text, "the notice does not name the new key")
    again = c.get("/keys")
    check(NOTICE not in again.text and "Rotated." not in again.text,
          "the notice is shown again on reload")


@suite.test
def test_reload_after_rotation_rotates_nothing():
    c = inst.signed_in_client()
    eq(rotate(c).status, 303, "rotate")
    kid = key_id()
    for _ in range(2):
        eq(c.get("/keys").status, 200, "reload")
    eq(key_id(), kid, "key in use after reloads")


@suite.test
def test_notice_belongs_to_its_session():
    a, b = inst.signed_in_client(), inst.signed_in_client()
    eq(rotate(a).status, 303, "rotate")
    check("Rotated." not in b.get("/keys").text,
          "another session sees the notice")
    check("Rotated." in a.get("/keys").text, "the session lost its notice")


@suite.test
def test_notice_not_carried_in_a_cookie():
    c = inst.signed_in_client()
    before = dict(c.jar)
    r = rotate(c)
    eq(r.header_all("Set-Cookie"), [], "cookies set by the redirect")
    eq(c.jar, before, "cookie jar")


@suite.test
def test_notice_waits_for_an_html_page():
    """A monitoring read between the redirect and the page does not eat
    the notice."""
    c = inst.signed_in_client()
    eq(rotate(c).status, 303, "rotate")
    eq(c.get("/api/status").status, 200, "status read")
    check("Rotated." in c.get("/keys").text, "the notice was lost")


@suite.test
def test_notice_waits_for_its_own_page():
    """Another page opened meanwhile (another tab) neither shows the notice
    nor takes it from the page it is for."""
    c = inst.signed_in_client()
    eq(rotate(c).status, 303, "rotate")
    other = c.get("/settings")
    check(NOTICE not in other.text and "Rotated." not in other.text,
          "the notice is shown on another page")
    check("Rotated." in c.get("/keys").text, "the notice was lost")


@suite.test
def test_notice_gone_with_the_session():
    c = inst.signed_in_client()
    h = token_hash(c.session)
    eq(rotate(c).status, 303, "rotate")
    eq(inst.sql1("SELECT count(*) FROM sessions WHERE token_hash = ? AND "
                 "notice IS NOT NULL", (h,))[0], 1, "notice kept")
    eq(c.logout().status, 303, "sign out")
    eq(inst.sql1("SELECT count(*) FROM sessions WHERE token_hash = ?",
                 (h,))[0], 0, "the session and its notice")


if __name__ == "__main__":
    suite.main(claimed_instance, globals())
