"""Hostile and malformed request bodies through nginx: refused with a 400
page before any handler acts; nothing is echoed raw."""
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (PASSWORD, Suite, check, claimed_instance, eq,  # noqa
                     raw_response)

suite = Suite()
inst = None
PW = urllib.parse.quote_plus(PASSWORD)
XSS = "<script>alert(1)</script>"
FORM = "application/x-www-form-urlencoded"


def state():
    a = inst.admin()
    return (a["failed_count"], a["last_login_at"], a["password_hash"],
            inst.session_count(),
            inst.sql("SELECT * FROM login_sources ORDER BY addr"))


def readable_400(r, what, message=None):
    eq(r.status, 400, what + ": status")
    check("text/html" in (r.header("Content-Type") or ""), "%s: not html",
          what)
    check("<h1>Bad Request</h1>" in r.text, "%s: no error page: %r", what,
          r.text[:200])
    check("Error 400." in r.text, "%s: no error sentence", what)
    if message:
        check(message in r.text, "%s: no %r in the page", what, message)


def refused(body, what, message=None, ctype=FORM):
    """POST body (with this client's csrf put in for {csrf}) to /login:
    400 with a readable page, and no state change."""
    c = inst.client()
    csrf = c.form_csrf("/login")
    before = state()
    if isinstance(body, str):
        body = body.replace("{csrf}", csrf).encode()
    else:
        body = body.replace(b"{csrf}", csrf.encode())
    r = c.post("/login", body, ctype=ctype)
    readable_400(r, what, message)
    check("__Host-connector" not in c.jar, "%s: a session cookie was set",
          what)
    eq(state(), before, what + ": state")
    check(XSS not in r.text, "%s: raw script echoed", what)
    return r


@suite.test
def test_well_formed_body_signs_in():
    """The control: the same body, well-formed, signs in."""
    c = inst.client()
    csrf = c.form_csrf("/login")
    r = c.post("/login", "csrf=%s&password=%s" % (csrf, PW))
    eq(r.status, 303, "status")


@suite.test
def test_bad_unknown_field():
    refused("csrf={csrf}&password=%s&admin=1" % PW, "unknown field",
            "does not accept")


@suite.test
def test_bad_field_of_another_page():
    refused("csrf={csrf}&password=%s&code=ABCD-ABCD-ABCD-ABCD" % PW,
            "field of /setup", "does not accept")


@suite.test
def test_bad_duplicate_password_field():
    refused("csrf={csrf}&password=%s&password=%s" % (PW, PW),
            "duplicate field", "more than once")


@suite.test
def test_bad_duplicate_csrf_field():
    refused("csrf={csrf}&csrf={csrf}&password=%s" % PW, "duplicate csrf",
            "more than once")


@suite.test
def test_bad_percent_escape_not_hex():
    refused("csrf={csrf}&password=%s%%zz" % PW, "%zz", "malformed")


@suite.test
def test_bad_percent_escape_truncated():
    refused("csrf={csrf}&password=%s%%4" % PW, "%4 at the end", "malformed")


@suite.test
def test_bad_percent_sign_alone():
    refused("csrf={csrf}&password=%s%%" % PW, "% at the end", "malformed")


@suite.test
def test_bad_nul_in_value():
    refused("csrf={csrf}&password=%s%%00" % PW, "%00 in a value", "NUL")


@suite.test
def test_bad_nul_in_name():
    refused("csrf={csrf}&password=%s&pass%%00word=x" % PW, "%00 in a name")


@suite.test
def test_bad_raw_nul_byte():
    refused(b"csrf={csrf}&password=" + PW.encode() + b"\x00",
            "raw NUL byte", "NUL")


@suite.test
def test_bad_invalid_utf8():
    refused("csrf={csrf}&password=%s%%ff" % PW, "%ff", "UTF-8")


@suite.test
def test_bad_overlong_utf8():
    refused("csrf={csrf}&password=%s%%c0%%af" % PW, "overlong UTF-8",
            "UTF-8")


@suite.test
def test_bad_utf16_surrogate():
    refused("csrf={csrf}&password=%s%%ed%%a0%%80" % PW, "encoded surrogate",
            "UTF-8")


@suite.test
def test_bad_raw_invalid_utf8():
    refused(b"csrf={csrf}&password=" + PW.encode() + b"\xfe\xff",
            "raw invalid UTF-8", "UTF-8")


@suite.test
def test_bad_control_character_in_password():
    refused("csrf={csrf}&password=%s%%01" % PW, "control character",
            "control characters")


@suite.test
def test_bad_overlong_password():
    refused("csrf={csrf}&password=" + "x" * 1025, "1025-byte password",
            "too long")


@suite.test
def test_bad_overlong_csrf():
    refused("csrf={csrf}A&password=%s" % PW, "44-character token",
            "too long")


@suite.test
def test_bad_overlong_field_name():
    refused("csrf={csrf}&password=%s&%s=1" % (PW, "n" * 65),
            "65-byte name")


@suite.test
def test_bad_too_many_fields():
    extra = "&".join("f%d=1" % i for i in range(40))
    refused("csrf={csrf}&password=%s&%s" % (PW, extra), "40 more fields",
            "too many fields")


@suite.test
def test_bad_field_without_equals():
    refused("csrf={csrf}&password=%s&flag" % PW, "field without =",
            "malformed")


@suite.test
def test_bad_script_field_name():
    refused("csrf={csrf}&password=%s&%s=1" % (PW, urllib.parse.quote(XSS)),
            "script as a field name")


@suite.test
def test_bad_script_in_unknown_field():
    refused("csrf={csrf}&password=%s&note=%s" % (PW, urllib.parse.quote(XSS)),
            "script in an unknown field", "does not accept")


@suite.test
def test_bad_content_type_text_plain():
    refused("csrf={csrf}&password=%s" % PW, "text/plain",
            ctype="text/plain")


@suite.test
def test_bad_content_type_json():
    refused('{"csrf": "{csrf}", "password": "%s"}' % PASSWORD, "json",
            ctype="application/json")


@suite.test
def test_bad_content_type_lookalike():
    refused("csrf={csrf}&password=%s" % PW, "lookalike type",
            ctype="application/x-www-form-urlencodedx")


@suite.test
def test_bad_multipart_file_part():
    b = "b0undary"
    body = ("--{b}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n"
            "{{csrf}}\r\n--{b}\r\nContent-Disposition: form-data; "
            "name=\"password\"; filename=\"pw.txt\"\r\n"
            "Content-Type: text/plain\r\n\r\n{pw}\r\n--{b}--\r\n"
            ).format(b=b, pw=PASSWORD)
    refused(body, "file part", "does not accept",
            ctype="multipart/form-data; boundary=" + b)


@suite.test
def test_bad_multipart_unterminated():
    b = "b0undary"
    body = ("--{b}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n"
            "{{csrf}}\r\n--{b}\r\nContent-Disposition: form-data; "
            "name=\"password\"\r\n\r\n{pw}").format(b=b, pw=PASSWORD)
    refused(body, "unterminated multipart", "malformed",
            ctype="multipart/form-data; boundary=" + b)


@suite.test
def test_multipart_well_formed_signs_in():
    """The control for the multipart cases."""
    c = inst.client()
    csrf = c.form_csrf("/login")
    b = "b0undary"
    body = ("--{b}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n"
            "{csrf}\r\n--{b}\r\nContent-Disposition: form-data; "
            "name=\"password\"\r\n\r\n{pw}\r\n--{b}--\r\n"
            ).format(b=b, pw=PASSWORD, csrf=csrf)
    r = c.post("/login", body, ctype="multipart/form-data; boundary=" + b)
    eq(r.status, 303, "status")


def raw_post(body, headers, cookie_client=None):
    c = cookie_client or inst.client()
    csrf = c.form_csrf("/login")
    body = body.replace(b"{csrf}", csrf.encode())
    head = ("POST /login HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nOrigin: %s\r\n"
            "Cookie: %s\r\nContent-Type: %s\r\nConnection: close\r\n" %
            (inst.port, inst.origin, c.cookie_header(), FORM)).encode()
    headers = headers.replace(b"{len}", str(len(body)).encode())
    headers = headers.replace(b"{short}", str(len(body) - 2).encode())
    return raw_response(inst, head + headers + b"\r\n" + body)


@suite.test
def test_bad_content_length_shorter_than_body():
    before = state()
    body = b"csrf={csrf}&password=" + PW.encode() + b"%41"
    # Two bytes short: the program sees "...%4" and the rest is dropped.
    r = raw_post(body, b"Content-Length: {short}\r\n")
    readable_400(r, "short Content-Length", "malformed")
    eq(state(), before, "state")


@suite.test
def test_bad_content_length_not_a_number():
    before = state()
    r = raw_post(b"csrf={csrf}&password=" + PW.encode(),
                 b"Content-Length: 12abc\r\n")
    readable_400(r, "Content-Length 12abc")
    eq(state(), before, "state")


@suite.test
def test_bad_content_length_negative():
    before = state()
    r = raw_post(b"csrf={csrf}&password=" + PW.encode(),
                 b"Content-Length: -1\r\n")
    readable_400(r, "Content-Length -1")
    eq(state(), before, "state")


@suite.test
def test_bad_content_length_twice():
    before = state()
    r = raw_post(b"csrf={csrf}&password=" + PW.encode(),
                 b"Content-Length: {len}\r\nContent-Length: 3\r\n")
    readable_400(r, "two Content-Length headers")
    eq(state(), before, "state")


@suite.test
def test_bad_content_length_with_chunked():
    before = state()
    body = b"csrf={csrf}&password=" + PW.encode()
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    r = raw_post(chunked, b"Content-Length: 5\r\n"
                 b"Transfer-Encoding: chunked\r\n")
    readable_400(r, "Content-Length and chunked")
    eq(state(), before, "state")


@suite.test
def test_bad_script_never_echoed():
    c = inst.client()
    q = urllib.parse.quote(XSS)
    pages = [
        c.get("/login?next=" + q),
        c.get("/" + q),
        c.get("/static/" + q),
        c.login(XSS),
        c.post("/login", "csrf=%s&password=x" % q),
        c.post("/login", [("password", "x")], origin=XSS),
        c.post("/login", [("password", "x")], origin=None, referer=XSS),
    ]
    for r in pages:
        check(XSS not in r.text, "raw script in a %d answer", r.status)


@suite.test
def test_bad_markup_csrf_cookie_replaced():
    """A 43-byte double-submit cookie that is not a token is not put in
    the form: the page gets a fresh token and cookie."""
    evil = '"><script>alert(1)</script>'
    evil += "a" * (43 - len(evil))
    c = inst.client()
    c.jar["__Host-connector-csrf"] = evil
    r = c.get("/login")
    eq(r.status, 200, "status")
    check(XSS not in r.text, "raw script in the page")
    check(r.csrf != evil, "the cookie value is the form's token")
    eq(c.jar.get("__Host-connector-csrf"), r.csrf, "new csrf cookie")
    r = c.post("/login", [("csrf", r.csrf), ("password", PASSWORD)])
    eq(r.status, 303, "login with the fresh token")


if __name__ == "__main__":
    suite.main(claimed_instance, globals())
