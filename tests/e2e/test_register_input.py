"""Hostile input in every field of the registration wizard and of
/unregister (and the portal file at /keys/amp): each value is refused with
a sentence beside its field, or a 400 page when the body itself is
malformed; a non-secret value is shown back escaped, a secret never;
nothing is stored; and nothing is connected to but the validated peer:
the AWS double records no request, the test proxy no tunnel, and a trap
listening on another loopback address no connection.

Most cases run on a console in test mode (loopback peers allowed, so the
doubles can be reached), registered and with a complete draft, so every
step can be posted to.  The loopback cases run on a second console that is
not in test mode."""
import json
import os
import re
import secrets
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Instance, Suite, check, eq, wait_for  # noqa: E402
from regflow import (AWS_KEY, AWS_SECRET, Env, VC_PASSWORD,  # noqa: E402
                     VC_USER, Wizard)
from regcheck import (Proxy, Raw, Trap, aws_mark,  # noqa: E402
                      aws_requests, field_errors, notice, page_error,
                      shown_value, snapshot, snapshot_diff,
                      unescaped_markup, urlencoded)

suite = Suite()
S = {}
MK = "mk" + secrets.token_hex(5)       # in every secret value tried
PROXY_USER = "px-user"
PROXY_PW = "px-pass-" + secrets.token_hex(6)
XSS = '"><script>alert(1)</script>'
MARKUP = [XSS, "<img src=x onerror=alert(1)>", "'><svg/onload=alert(1)>"]
SHELL_FORMS = [";id", "$(id)", "`id`", "|id"]

# What the console says, in part.
TOO_LONG = "This is too long"
HOST_HINT = "not a URL"
USER_HINT = "A user name as DOMAIN"
PW_HINT = "Any characters except control characters."
PHOST_HINT = "A host name such as proxy.example.com"
PORT_HINT = "A port number from 1 to 65535."
PUSER_HINT = "Printable characters without spaces or ':'."
NOPROXY_HINT = "Host names, IPv4 addresses or .domain entries"
REGION_HINT = "region from the list"
KEY_HINT = "Capital letters and digits"
SECRET_HINT = "The value as AWS shows it, without spaces."
VC_NOT_ALLOWED = "may not connect to this address"
PROXY_NOT_ALLOWED = "may not use this address as its proxy"
VC_REFUSED = "vCenter refused this user name and password."
PROXY_REFUSED = "The proxy refused this user name and password."
AWS_SIGNATURE = "refused the secret"
AWS_UNKNOWN_KEY = "does not know this key ID"
PE_UTF8 = "A field is not valid UTF-8 text."
PE_NUL = "A field contains a NUL byte."
PE_LONG = "A field is too long."
PE_DUP = "A field was sent more than once."
PE_UNKNOWN = "The form sent a field this page does not accept."
BUTTONS = "Choose one of the buttons."
TICK = "Tick the box"
PORTAL_NOT_ALLOWED = "portal endpoint the connector may not connect to"
HUGE = 64 * 1024 + 1


class Case:
    """One hostile request and what must come of it.

    expect: ("field", name, words) — a 400 form with the sentence beside
    field name; ("page", words) — a 400 error page; ("notice", words) —
    the form with a sentence at its top; ("field_or_notice", name, words)
    — either of those.  words: a str or a tuple of alternatives the
    sentence must contain (None: any sentence).  echo: the field whose
    input must show the value back (escaped); secret: the value holds the
    marker MK, which no answer may hold.  aws: the access key the AWS
    double may see calls to STS with (None: no call at all); proxy: the
    test proxy may see tunnels (refused with 407)."""

    def __init__(self, what, path, value, expect, pairs=None, files=None,
                 fields=None, form=None, echo=None, secret=False, aws=None,
                 proxy=False, status=400):
        self.what = what
        self.path = path
        self.value = value
        self.expect = expect
        self.pairs = pairs
        self.files = files
        self.fields = fields or []
        self.form = form or path
        self.echo = echo
        self.secret = secret
        self.aws = aws
        self.proxy = proxy
        self.status = status


def words_ok(got, words):
    if got is None or len(got) < 5:
        return False
    if words is None:
        return True
    alts = words if isinstance(words, tuple) else (words,)
    return any(w in got for w in alts)


def value_text(v):
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else v


def post(c, case):
    csrf = c.form_csrf(case.form)
    if case.files is not None:
        return c.post_multipart(case.path, [("csrf", csrf)] + case.fields,
                                case.files)
    return c.post(case.path, urlencoded([("csrf", csrf)] + case.pairs))


def run_case(target, case):
    """Post case on target (its inst, client, traps); '' when all is well,
    else what went wrong."""
    inst, c, aws = target["inst"], target["client"], S["env"].aws
    traps = [S["trap"], S["trap1"]]
    before = snapshot(inst)
    amark = aws_mark(aws)
    pmark = S["proxy"].mark()
    seen = [t.seen() for t in traps]
    r = post(c, case)
    bad = []
    if r.status != case.status:
        bad.append("status %d, want %d" % (r.status, case.status))
    kind = case.expect[0]
    if kind == "field":
        got = field_errors(r).get(case.expect[1])
        if not words_ok(got, case.expect[2]):
            bad.append("error beside %s: %r (all: %r; page: %r)" % (
                case.expect[1], got, field_errors(r), page_error(r)))
    elif kind == "page":
        pe = page_error(r)
        if pe is None or not words_ok(pe[1], case.expect[1]):
            bad.append("error page: %r, form errors %r" % (
                pe, field_errors(r)))
    elif kind == "field_or_notice":
        got = field_errors(r).get(case.expect[1]) or notice(r)
        if not words_ok(got, case.expect[2]):
            bad.append("no error beside %s nor at the top: %r" % (
                case.expect[1], field_errors(r)))
    elif kind == "notice":
        if not words_ok(notice(r), case.expect[1]):
            bad.append("notice: %r (fields %r)" % (notice(r),
                                                   field_errors(r)))
    text = value_text(case.value)
    for msg in list(field_errors(r).values()) + [notice(r) or ""]:
        m = re.search(r"at most (\d+) characters", msg)
        if m and len(text) <= int(m.group(1)):
            bad.append("%r says %r of a value of %d characters" % (
                case.expect[1] if kind == "field" else "", m.group(0),
                len(text)))
    if case.secret and MK not in text:
        bad.append("test defect: a secret value without the marker")
    if MK in r.text:
        bad.append("a secret value is in the answer")
    if not case.secret and case.echo and kind == "field":
        shown = shown_value(r, case.echo)
        want = text.replace("\r", "")
        if shown is None or shown.replace("\r", "") != want:
            bad.append("%s shown back as %r" % (case.echo,
                                                (shown or "")[:80]))
    if unescaped_markup(r.text, text):
        bad.append("the value is in the answer unescaped")
    after = snapshot(inst)
    if after != before:
        bad.append("stored: " + snapshot_diff(before, after))
    new = aws_requests(aws, amark)
    if case.aws is None:
        if new:
            bad.append("the AWS double saw %s" % [
                (x["method"], x["path"], x.get("action")) for x in new])
    else:
        odd = [x for x in new if not (
            x.get("service") == "sts" and
            x.get("action") == "GetCallerIdentity" and
            x.get("access_key") == case.aws and x.get("status") != 200)]
        if odd:
            bad.append("the AWS double saw %s" % [
                (x["path"], x.get("action"), x.get("access_key"),
                 x.get("status")) for x in odd])
    tunnels = S["proxy"].since(pmark, settle=0.1 if case.proxy or
                               "/proxy" in case.path else 0)
    if tunnels and not (case.proxy and all(
            t["status"] == 407 for t in tunnels)):
        bad.append("the proxy saw %r" % tunnels)
    if wait_for(lambda: any(t.seen() != n for t, n in zip(traps, seen)),
                0.05):
        bad.append("a trap saw a connection")
    if bad:
        return "%s %r: %s" % (case.what, text[:60], "; ".join(bad))
    return ""


def run_all_cases(cases, target=None):
    target = target or S["test"]
    failures = []
    for c in cases:
        ensure_ready()      # again when a case before changed something
        f = run_case(target, c)
        if f:
            failures.append(f)
    check(not failures, "%d of %d refused wrongly: %s", len(failures),
          len(cases), " | ".join(failures))


# ---- the consoles ----

def walk_draft(w):
    """Every step with good values: a complete draft, the certificate seen
    (so the trust step can be posted to)."""
    w.start()
    for name, step in (("vcenter", w.vcenter), ("trust", w.trust),
                       ("credentials", w.credentials),
                       ("no proxy", w.no_proxy), ("aws", w.aws),
                       ("portal", w.portal)):
        r = step()
        check(r.status == 303, "draft step %s: %r", name, r)


def ensure_ready():
    """The test console registered, with a complete draft: as left by the
    setup unless an earlier case changed something (then redone)."""
    inst = S["env"].inst
    if snapshot(inst) == S["base"]:
        return
    w = S["wizard"]
    if not inst.sql("SELECT 1 FROM settings WHERE name = "
                    "'registration.at'"):
        eq(w.run_all().status, 303, "register again")
    walk_draft(w)
    S["base"] = snapshot(inst)


def seed_plain(inst):
    """Put a draft (through the AWS step) and a registration into the plain
    console's database, so its later steps and /keys/amp take posts.  The
    vCenter password row is a stand-in that is never opened."""
    now = str(int(time.time()))
    key_id = inst.sql("SELECT key_id FROM secret_key")[0][0]
    tp = ":".join(["AB"] * 32)
    rows = {
        "draft.vcenter.host": "vcenter.example.com",
        "draft.vcenter.port": "443",
        "draft.vcenter.thumbprint": tp,
        "draft.vcenter.subject": "/CN=vcenter.example.com",
        "draft.vcenter.user": "CORP\\svc-connector",
        "draft.proxy.decided": "1",
        "draft.aws.region": "us-east-1",
        "draft.aws.access_key_id": AWS_KEY,
        "draft.aws.account": "123456789012",
        "draft.aws.arn": "arn:aws:iam::123456789012:user/connector",
        "wizard.started": now,
        "vcenter.host": "vcenter.example.com",
        "vcenter.port": "443",
        "aws.region": "us-east-1",
        "portal.key_name": "connector key",
        "portal.key_id": "AMPKEYTESTCONNECTOR1",
        "portal.endpoint": "https://portal.example.com",
        "registration.at": now,
        "registration.portal_id": "reg-0000000000000000",
    }
    for k, v in rows.items():
        inst.sql("INSERT INTO settings (name, value) VALUES (?, ?)", (k, v),
                 write=True)
    inst.sql("INSERT INTO secrets (name, key_id, nonce, sealed, updated_at) "
             "VALUES ('draft.vcenter.password', ?, ?, ?, ?)",
             (key_id, os.urandom(12), os.urandom(40), int(now)), write=True)


def setup():
    S["trap"] = Trap("127.0.0.9")
    S["trap1"] = Trap("127.0.0.1")
    S["proxy"] = Proxy(PROXY_USER, PROXY_PW)
    env = S["env"] = Env()
    env.start()
    w = S["wizard"] = Wizard(env)
    eq(w.run_all().status, 303, "registration")
    walk_draft(w)
    S["base"] = snapshot(env.inst)
    S["test"] = {"inst": env.inst, "client": w.c}
    plain = S["plain_inst"] = Instance(env=env.aws.env())
    plain.start()
    c = plain.client()
    eq(c.claim(plain.setup_code).status, 303, "claim of the plain console")
    seed_plain(plain)
    S["plain"] = {"inst": plain, "client": plain.signed_in_client()}


def teardown():
    try:
        if "plain_inst" in S:
            S["plain_inst"].stop(check=False)
            S["plain_inst"].cleanup()
    finally:
        if "env" in S:
            S["env"].stop()
        for k in ("proxy", "trap", "trap1"):
            if k in S:
                S[k].stop()


# ---- the values ----

def T():
    """The trap's host:port (a loopback address other than the doubles')."""
    return S["trap"].hostport


def TP():
    return str(S["trap"].port)


def malformed(what, path, field, good_pairs, value_pairs, form=None):
    """The cases every urlencoded field shares: invalid UTF-8 (raw and
    escaped), NUL, over 64 KiB, the field twice, an unknown field."""
    def pairs(v):
        return [p if p[0] != field else (field, v) for p in good_pairs]
    return {
        "invalid_utf8": [
            Case(what, path, v, ("page", PE_UTF8), pairs=pairs(v), form=form)
            for v in (Raw(b"a\xff\xfeb"), Raw(b"%FF%FE"), Raw(b"%C0%AF"),
                      Raw(b"\xed\xa0\x80"), Raw(b"x\xc3\x28"))],
        "nul": [
            Case(what, path, v, ("page", PE_NUL), pairs=pairs(v), form=form)
            for v in (Raw(b"a%00b"), Raw(b"%00"), Raw(b"a\x00b"))],
        "over_64k": [
            Case(what, path, "a" * HUGE, ("page", PE_LONG),
                 pairs=pairs("a" * HUGE), form=form),
            Case(what, path, "%41" * HUGE, ("page", PE_LONG),
                 pairs=pairs(Raw(b"%41" * HUGE)), form=form)],
        "duplicate_field": [
            Case(what, path, v, ("page", PE_DUP),
                 pairs=good_pairs + [(field, v)], form=form)
            for v in value_pairs],
        "unknown_field": [
            Case(what, path, v, ("page", PE_UNKNOWN),
                 pairs=pairs(v) + [(name, "id")], form=form)
            for v in value_pairs[:1]
            for name in ("cmd", "password", field + "2", "csrf_token")],
    }


def field_cases(what, path, field, good_pairs, groups, echo=True,
                secret=False, aws=None, proxy=False, form=None,
                malformed_values=None):
    """Cases from groups: category -> [(value, expect)] where expect is
    (words) for an error beside field, ("@", other, words) for an error
    beside another field, ("notice", words), ("page", words), or
    ("net", words) for an error beside field after the peer refused
    (so the doubles or the proxy may see the attempt)."""
    out = {}
    for cat, items in groups.items():
        out[cat] = []
        for v, ex in items:
            pairs = [p if p[0] != field else (field, v) for p in good_pairs]
            net = isinstance(ex, tuple) and ex and ex[0] == "net"
            if isinstance(ex, tuple) and ex and ex[0] == "@":
                expect = ("field", ex[1], ex[2])
                net = True
            elif isinstance(ex, tuple) and ex and ex[0] in ("notice",
                                                              "page"):
                expect = ex
            elif net:
                expect = ("field", field, ex[1])
            else:
                expect = ("field", field, ex)
            out[cat].append(Case(
                what, path, v, expect, pairs=pairs, form=form,
                echo=field if echo else None, secret=secret,
                aws=aws if net else None, proxy=proxy and net))
    out.update(malformed(what, path, field, good_pairs,
                         malformed_values or
                         [MK + ";id" if secret else "x;id"], form=form))
    return out


def vcenter_host_groups():
    t = T()
    return {
        "shell": [(v, HOST_HINT) for v in (
            "vc.example.com;id", t + ";id", "$(id)", t + "$(id)", "`id`",
            "vc.example.com`id`", t + "|id", "|id")],
        "path": [(v, HOST_HINT) for v in (
            "../../etc/passwd", t + "/../../etc/passwd")],
        "crlf": [(v, HOST_HINT) for v in (
            "vc.example.com\r\nX-Injected: 1", t + "\r\n", "\r\n" + t,
            "vc.example.com\r\nHost: evil.example")],
        "too_long": [("a" * 260, TOO_LONG), ("a" * 64, HOST_HINT),
                     (".".join(["a" * 63] * 4), HOST_HINT),
                     ("a" * 5000, TOO_LONG)],
        "non_ascii": [(v, HOST_HINT) for v in (
            "vcénter.example.com", "пример.example.com", "ｖｃ.example.com",
            "vc.example.com\u00a0", "vc.example.com\u0085")],
        "leading_dash": [(v, HOST_HINT) for v in (
            "-vc.example.com", "--help", "-oProxyCommand=id", "-" + t)],
        "internal_addresses": [
            ("169.254.169.254", VC_NOT_ALLOWED),
            ("169.254.169.254:80", VC_NOT_ALLOWED),
            ("http://169.254.169.254", HOST_HINT),
            ("localhost", VC_NOT_ALLOWED),
            ("localhost:" + TP(), VC_NOT_ALLOWED),
            ("vc.localhost", VC_NOT_ALLOWED),
            ("0.0.0.0", VC_NOT_ALLOWED),
            ("0.0.0.0:" + TP(), VC_NOT_ALLOWED),
            ("[::1]", HOST_HINT), ("[::1]:" + TP(), HOST_HINT)],
        "url_forms": [(v, HOST_HINT) for v in (
            "user@host", "user@" + t, "vcenter.example.com/sdk", t + "/sdk",
            "https://vcenter", "https://" + t)],
        "markup": [(v, HOST_HINT) for v in MARKUP],
    }


def credentials_pairs():
    return [("vcenter_user", VC_USER), ("vcenter_password", VC_PASSWORD)]


def vcenter_user_groups():
    return {
        "shell": [(v, USER_HINT) for v in (
            "svc;id", "CORP\\svc;id", "$(id)", "`id`", "svc|id")],
        "path": [(v, USER_HINT) for v in (
            "../../etc/passwd", "CORP\\..\\..\\etc")],
        "crlf": [(v, USER_HINT) for v in (
            "svc\r\nX-Injected: 1", "CORP\\svc\r\n")],
        "too_long": [("a" * 66, TOO_LONG), ("a" * 33, USER_HINT),
                     ("CORP\\" + "a" * 33, USER_HINT),
                     ("a" * 5000, TOO_LONG)],
        "non_ascii": [(v, USER_HINT) for v in (
            "svcé", "CORP\\пользователь", "svc\u00a0")],
        "leading_dash": [(v, USER_HINT) for v in (
            "-svc", "--help", "CORP\\-svc")],
        "internal_addresses": [(v, USER_HINT) for v in (
            "169.254.169.254", "http://169.254.169.254", "0.0.0.0",
            "[::1]")],
        "url_forms": [(v, USER_HINT) for v in (
            "user@host", "https://vcenter", "vcenter.example.com/sdk")],
        "markup": [(v, USER_HINT) for v in MARKUP],
    }


def password_groups(refused):
    """Secret values: those the field takes go to the peer (refused there),
    control characters and length are refused by the console."""
    return {
        "shell": [(MK + s, refused) for s in SHELL_FORMS],
        "path": [(MK + "/../../etc/passwd", refused)],
        "crlf": [(MK + "\r\nX-Injected: 1", PW_HINT), (MK + "\n", PW_HINT),
                 (MK + "\u0085", PW_HINT)],
        "too_long": [(MK + "a" * (257 - len(MK)), TOO_LONG),
                     (MK + "a" * 5000, TOO_LONG)],
        "non_ascii": [(MK + "пароль", refused), (MK + "é", refused)],
        "leading_dash": [("-" + MK, refused), ("--" + MK, refused)],
        "url_forms": [(MK + "@host", refused),
                      ("http://169.254.169.254/" + MK, refused)],
        "markup": [(MK + v, refused) for v in MARKUP],
    }


def proxy_pairs(host="127.0.0.1", port=None, user="", password="",
                no_proxy=""):
    return [("action", "save"), ("proxy_host", host),
            ("proxy_port", port or str(S["proxy"].port)),
            ("proxy_user", user), ("proxy_password", password),
            ("no_proxy", no_proxy)]


def proxy_host_groups():
    return {
        "shell": [(v, PHOST_HINT) for v in (
            "127.0.0.9;id", "proxy.example.com;id", "$(id)", "`id`",
            "127.0.0.9|id")],
        "path": [(v, PHOST_HINT) for v in (
            "../../etc/passwd", "127.0.0.9/../../etc/passwd")],
        "crlf": [(v, PHOST_HINT) for v in (
            "127.0.0.9\r\nX-Injected: 1", "127.0.0.9\r\n")],
        "too_long": [("a" * 254, TOO_LONG),
                     (".".join(["a" * 63] * 4), TOO_LONG),
                     ("a" * 64, PHOST_HINT), ("a" * 5000, TOO_LONG)],
        "non_ascii": [(v, PHOST_HINT) for v in (
            "prоxy.example.com", "ｐroxy.example.com")],
        "leading_dash": [(v, PHOST_HINT) for v in (
            "-127.0.0.9", "-proxy.example.com", "--proxy")],
        "internal_addresses": [
            ("169.254.169.254", PROXY_NOT_ALLOWED),
            ("http://169.254.169.254", PHOST_HINT),
            ("localhost", PROXY_NOT_ALLOWED),
            ("proxy.localhost", PROXY_NOT_ALLOWED),
            ("0.0.0.0", PROXY_NOT_ALLOWED),
            ("[::1]", PHOST_HINT), ("127.0.0.9:" + TP(), PHOST_HINT)],
        "url_forms": [(v, PHOST_HINT) for v in (
            "user@127.0.0.9", "user@host", "127.0.0.9/sdk",
            "http://127.0.0.9", "https://vcenter")],
        "markup": [(v, PHOST_HINT) for v in MARKUP],
    }


def proxy_port_groups():
    p = TP()
    either = (PORT_HINT, TOO_LONG)
    return {
        "shell": [(v, either) for v in (
            p + ";id", "$(id)", "`id`", p[:3] + "|id", ";" + p)],
        "path": [("../../etc/passwd", either)],
        "crlf": [(p[:3] + "\r\n", PORT_HINT), ("\r\n" + p[:3], PORT_HINT),
                 (p + "\r\nX: 1", either)],
        "too_long": [("123456", TOO_LONG), ("1" * 5000, TOO_LONG)],
        "non_ascii": [(v, PORT_HINT) for v in ("٨٠", "80é")],
        "leading_dash": [("-1", PORT_HINT), ("-" + p[:4], PORT_HINT)],
        "out_of_range": [(v, PORT_HINT) for v in (
            "0", "65536", "99999", "+" + p[:4], "0" + p[:4], "0x50", " 80",
            "80 ")],
        "internal_addresses": [(v, either) for v in (
            "169.254.169.254", "localhost", "[::1]")],
        "markup": [(v, either) for v in MARKUP],
    }


def proxy_user_groups():
    refused = ("@", "proxy_password", PROXY_REFUSED)
    return {
        "shell": [(v, refused) for v in SHELL_FORMS + ["px;id"]],
        "path": [("../../etc/passwd", refused)],
        "crlf": [(v, PUSER_HINT) for v in (
            "px\r\nProxy-Authorization: Basic eDp5", "px\r\n")],
        "too_long": [("a" * 65, TOO_LONG), ("a" * 5000, TOO_LONG)],
        "non_ascii": [(v, PUSER_HINT) for v in ("pxé", "px\u00a0")],
        "leading_dash": [(v, refused) for v in ("-px", "--proxy-user")],
        "internal_addresses": [("http://169.254.169.254", PUSER_HINT),
                               ("169.254.169.254", refused)],
        "url_forms": [("user@host", refused),
                      ("https://vcenter", PUSER_HINT)],
        "markup": [(XSS, refused), ("<img src=x onerror=alert(1)>",
                                    PUSER_HINT)],
    }


def no_proxy_groups():
    return {
        "shell": [(v, NOPROXY_HINT) for v in (
            "a.example.com;id", "$(id)", "`id`", "a.example.com|id")],
        "path": [("../../etc/passwd", NOPROXY_HINT)],
        "crlf": [("a.example.com\r\nX: 1", NOPROXY_HINT)],
        "too_long": [(",".join(["a.example.com"] * 80), TOO_LONG),
                     ("a" * 300, NOPROXY_HINT), ("a," * 2500, TOO_LONG)],
        "non_ascii": [("ä.example.com", NOPROXY_HINT)],
        "leading_dash": [(v, NOPROXY_HINT) for v in (
            "-a.example.com", "--noproxy")],
        "internal_addresses": [(v, NOPROXY_HINT) for v in (
            "http://169.254.169.254", "[::1]", "169.254.0.0/16", "*")],
        "url_forms": [(v, NOPROXY_HINT) for v in (
            "user@host", "vcenter.example.com/sdk", "https://vcenter")],
        "markup": [(v, NOPROXY_HINT) for v in MARKUP],
    }


def aws_pairs(region="us-east-1", key=AWS_KEY, secret=AWS_SECRET,
              token=None):
    p = [("region", region), ("access_key_id", key),
         ("secret_access_key", secret)]
    if token is not None:
        p.append(("session_token", token))
    return p


def region_groups():
    h = (REGION_HINT, TOO_LONG)
    return {
        "shell": [(v, h) for v in (
            "us-east-1;id", "$(id)", "`id`", "us-east-1|id")],
        "path": [(v, h) for v in ("../../etc/passwd", "us-east-1/../../")],
        "crlf": [("us-east-1\r\nX: 1", h)],
        "too_long": [("us-east-" + "1" * 25, TOO_LONG),
                     ("a" * 5000, TOO_LONG)],
        "non_ascii": [("us-eäst-1", h)],
        "leading_dash": [(v, h) for v in ("-us-east-1", "--region")],
        "internal_addresses": [(v, h) for v in (
            "169.254.169.254", "http://169.254.169.254", "localhost",
            "0.0.0.0", "[::1]")],
        "url_forms": [(v, h) for v in (
            "user@host", "us-east-1.amazonaws.com/sdk", "https://vcenter")],
        "unknown_region": [(v, "Choose a region from the list.") for v in (
            "us-east-9", "xx-evil-1", "us-gov-west-1", "cn-north-1",
            "us-east-1-1")],
        "markup": [(v, h) for v in MARKUP],
    }


def access_key_groups():
    return {
        "shell": [(v, KEY_HINT) for v in (
            "AKIATEST;ID00000000", "$(id)", "`id`", "AKIATESTCONNECTOR|ID")],
        "path": [("../../etc/passwd", KEY_HINT)],
        "crlf": [(AWS_KEY + "\r\nX-Amz-Security-Token: x", KEY_HINT)],
        "too_long": [("A" * 129, TOO_LONG), ("A" * 5000, TOO_LONG),
                     ("AKIA", KEY_HINT)],
        "non_ascii": [("AKIAÄTESTCONNECTOR01", KEY_HINT)],
        "leading_dash": [("-" + AWS_KEY, KEY_HINT)],
        "internal_addresses": [(v, KEY_HINT) for v in (
            "169.254.169.254", "http://169.254.169.254")],
        "url_forms": [(v, KEY_HINT) for v in ("user@host", "https://vcenter")],
        "markup": [(v, KEY_HINT) for v in MARKUP],
        "unknown_key": [("AKIAUNKNOWNKEY000001", ("net", AWS_UNKNOWN_KEY))],
    }


def secret_key_groups():
    sig = ("net", AWS_SIGNATURE)
    return {
        "shell": [(MK + s, sig) for s in SHELL_FORMS],
        "path": [(MK + "/../../etc/passwd", sig)],
        "crlf": [(MK + "\r\nX: 1", SECRET_HINT), (MK + "\n", SECRET_HINT)],
        "too_long": [(MK + "a" * (129 - len(MK)), TOO_LONG),
                     (MK + "a" * 5000, TOO_LONG)],
        "non_ascii": [(MK + "é", SECRET_HINT), (MK + " x", SECRET_HINT)],
        "leading_dash": [("-" + MK, sig)],
        "url_forms": [(MK + "@host", sig),
                      ("http://169.254.169.254/" + MK, sig)],
        "markup": [(MK + XSS, sig)],
    }


def session_token_groups():
    """Tokens the console takes are AWS's to judge; the AWS double does not
    check the token of a long-term key, so those go with a wrong secret and
    are refused for it.  The console itself refuses control characters,
    spaces and length."""
    sig = ("@", "secret_access_key", AWS_SIGNATURE)
    return {
        "shell": [(MK + s, sig) for s in SHELL_FORMS],
        "path": [(MK + "/../../etc/passwd", sig)],
        "crlf": [(MK + "\r\nX-Amz-Target: x", SECRET_HINT),
                 (MK + "\r\n", SECRET_HINT)],
        "too_long": [(MK + "a" * (4097 - len(MK)), TOO_LONG),
                     (MK + "a" * 20000, TOO_LONG)],
        "non_ascii": [(MK + "é", SECRET_HINT), (MK + " x", SECRET_HINT)],
        "leading_dash": [("-" + MK, sig)],
        "markup": [(MK + XSS, sig)],
    }


# ---- the wizard's text fields ----

def register_field(field, what, path, good_pairs, groups_fn, **kw):
    """One test per category of hostile values for field."""
    def make(cat):
        def test():
            cases = field_cases(what, path, field, good_pairs(),
                                groups_fn(), **kw)[cat]
            run_all_cases(cases)
        test.__name__ = "test_bad_%s_%s" % (what, cat)
        return test
    cats = list(groups_fn_names(groups_fn)) + [
        "invalid_utf8", "nul", "over_64k", "duplicate_field",
        "unknown_field"]
    for cat in cats:
        suite.test(make(cat))


def groups_fn_names(fn):
    """The category names of a groups function (called with placeholder
    traps, before the setup)."""
    class P:
        hostport, port = "127.0.0.9:1", 1
    saved = {k: S.get(k) for k in ("trap", "proxy")}
    S["trap"], S["proxy"] = P, P
    try:
        return list(fn().keys())
    finally:
        for k, v in saved.items():
            if v is None:
                S.pop(k, None)
            else:
                S[k] = v


# The positive controls: the trap does see a connection when its address
# is one the console takes, so its silence elsewhere means something.

@suite.test
def test_trap_sees_vcenter_host_allowed_in_test_mode():
    ensure_ready()
    c = Case("vcenter_host", "/register/vcenter", T(),
             ("field", "vcenter_host", None), pairs=[("vcenter_host", T())])
    before = S["trap"].seen()
    why = run_case(S["test"], c)
    check(wait_for(lambda: S["trap"].seen() > before, 5),
          "the trap saw nothing")
    check("stored" not in why and "status" not in why, "unexpected: %s",
          why)


@suite.test
def test_trap_sees_proxy_host_allowed_in_test_mode():
    ensure_ready()
    c = Case("proxy_host", "/register/proxy", "127.0.0.9",
             ("field", "proxy_host", None),
             pairs=proxy_pairs("127.0.0.9", TP()))
    before = S["trap"].seen()
    why = run_case(S["test"], c)
    check(wait_for(lambda: S["trap"].seen() > before, 5),
          "the trap saw nothing")
    check("stored" not in why and "status" not in why, "unexpected: %s",
          why)


register_field("vcenter_host", "vcenter_host", "/register/vcenter",
               lambda: [("vcenter_host", "vc.example.com")],
               vcenter_host_groups)
register_field("vcenter_user", "vcenter_user", "/register/credentials",
               credentials_pairs, vcenter_user_groups)
register_field("vcenter_password", "vcenter_password",
               "/register/credentials", credentials_pairs,
               lambda: password_groups(("net", VC_REFUSED)), echo=False,
               secret=True)
register_field("proxy_host", "proxy_host", "/register/proxy",
               lambda: proxy_pairs("127.0.0.9", TP()), proxy_host_groups)
register_field("proxy_port", "proxy_port", "/register/proxy",
               lambda: proxy_pairs("127.0.0.9", TP()), proxy_port_groups)
register_field("proxy_user", "proxy_user", "/register/proxy",
               lambda: proxy_pairs(user=PROXY_USER, password=PROXY_PW),
               proxy_user_groups, proxy=True)
register_field("proxy_password", "proxy_password", "/register/proxy",
               lambda: proxy_pairs(user=PROXY_USER, password=PROXY_PW),
               lambda: password_groups(("net", PROXY_REFUSED)), echo=False,
               secret=True, proxy=True)
register_field("no_proxy", "no_proxy", "/register/proxy",
               lambda: proxy_pairs(user=PROXY_USER, password=PROXY_PW,
                                   no_proxy="a.example.com"),
               no_proxy_groups)
register_field("region", "region", "/register/aws", aws_pairs,
               region_groups, echo=False)
register_field("access_key_id", "access_key_id", "/register/aws", aws_pairs,
               access_key_groups, aws="AKIAUNKNOWNKEY000001")
register_field("secret_access_key", "secret_access_key", "/register/aws",
               aws_pairs, secret_key_groups, echo=False, secret=True,
               aws=AWS_KEY)
register_field("session_token", "session_token", "/register/aws",
               lambda: aws_pairs(secret=MK + "-wrong-secret", token="x"),
               session_token_groups, echo=False, secret=True, aws=AWS_KEY)


@suite.test
def test_bad_non_ascii_too_long_message_is_true():
    """Values over a field's limit in bytes but not in characters are
    refused, and the sentence does not claim a limit in characters they
    are within (a browser counts characters for maxlength)."""
    run_all_cases([
        Case("proxy_port", "/register/proxy", "８０",
             ("field", "proxy_port", (PORT_HINT, TOO_LONG)),
             pairs=proxy_pairs("127.0.0.9", "８０"), echo="proxy_port"),
        Case("vcenter_host", "/register/vcenter", "ü" * 20,
             ("field", "vcenter_host", (HOST_HINT, TOO_LONG)),
             pairs=[("vcenter_host", "ü" * 20)], echo="vcenter_host"),
        Case("region", "/register/aws", "ä" * 17,
             ("field", "region", (REGION_HINT, TOO_LONG)),
             pairs=aws_pairs(region="ä" * 17)),
        Case("access_key_id", "/register/aws", "Ä" * 65,
             ("field", "access_key_id", (KEY_HINT, TOO_LONG)),
             pairs=aws_pairs(key="Ä" * 65), echo="access_key_id"),
    ])


# ---- thumbprint (a hidden field: a 400 page) ----

def trust_cases(values, expect):
    return [Case("thumbprint", "/register/trust", v, expect,
                 pairs=[("thumbprint", v)]) for v in values]


@suite.test
def test_bad_thumbprint_malformed_values():
    tp = ":".join(["AB"] * 32)
    run_all_cases(trust_cases([
        tp + ";id", "$(id)", "`id`", "|id", "../../etc/passwd",
        tp[:-2] + "\r\n", tp + "\r\nX-Injected: 1", tp + "A", "A" * 5000,
        "ÀB" + tp[2:], "-" + tp[1:], "169.254.169.254",
        "http://169.254.169.254", "localhost", "user@host",
        "https://vcenter", tp.replace(":", "-")] + MARKUP,
        ("page", "Certificate thumbprint")))


@suite.test
def test_bad_thumbprint_not_the_one_shown():
    run_all_cases(trust_cases([":".join(["AB"] * 32),
                               ":".join(["00"] * 32)],
                              ("notice", "not the one shown")))


@suite.test
def test_bad_thumbprint_malformed_bodies():
    good = [("thumbprint", ":".join(["AB"] * 32))]
    cases = []
    for cat, cs in malformed("thumbprint", "/register/trust", "thumbprint",
                             good, [good[0][1]]).items():
        cases += cs
    run_all_cases(cases)


# ---- the portal configuration file ----

def portal_file(**members):
    env = S["env"]
    d = json.loads(env.portal_file(secret=MK + "-portal-secret-0001"))
    d.update(members)
    return json.dumps(d).encode()


def file_case(data, words, path="/register/portal", form=None,
              filename="connector-config.json", fields=None, status=400,
              expect=None):
    fields = fields if fields is not None else (
        [("action", "upload")] if path == "/register/portal" else [])
    return Case("portal_config", path, data.decode("utf-8", "replace"),
                expect or ("field", "portal_config", words),
                files=[("portal_config", filename, data)], fields=fields,
                form=form or ("/keys" if path == "/keys/amp" else path),
                status=status)


def endpoint_cases(path):
    t = T()
    ends = [
        ("https://169.254.169.254", PORTAL_NOT_ALLOWED),
        ("http://169.254.169.254", "must start with https://"),
        ("https://169.254.169.254/latest/meta-data", "may not hold a path"),
        ("https://localhost:" + TP(), PORTAL_NOT_ALLOWED),
        ("https://0.0.0.0:" + TP(), PORTAL_NOT_ALLOWED),
        ("https://[::1]:" + TP(), "may not hold an IPv6 address"),
        ("https://2130706441:" + TP(), "neither a host name"),
        ("https://0x7f.0.0.9:" + TP(), "neither a host name"),
        ("https://user@" + t, "may not hold user information"),
        ("https://" + t + "/sdk", "may not hold a path"),
        ("https://" + t + "/../../etc/passwd", "may not hold a path"),
        ("http://" + t, "must start with https://"),
        ("https://" + t + "?x=1", "may not hold a query"),
        ("https://" + t + "#x", "may not hold a query"),
        ("https://" + t + ";id", "port that is not a number"),
        ("https://" + t + "\r\nHost: evil.example", "printable ASCII"),
        ("https://-" + t, "neither a host name"),
        ("https://" + t + "%2f..", "percent"),
        ("file:///etc/passwd", "must start with https://"),
    ]
    return [file_case(portal_file(endpoint=e), w, path) for e, w in ends]


@suite.test
def test_bad_portal_file_endpoints():
    run_all_cases(endpoint_cases("/register/portal"))


@suite.test
def test_bad_portal_file_members():
    cases = [
        file_case(portal_file(key_id="AMPKEY;ID00000000"), "upper-case"),
        file_case(portal_file(key_id="../../etc/passwd"), "upper-case"),
        file_case(portal_file(key_id="-AMPKEYTESTCONNECTOR"), "upper-case"),
        file_case(portal_file(key_name="key;$(id)`id`|"), "may only hold"),
        file_case(portal_file(key_name=XSS), "may only hold"),
        file_case(portal_file(key_name="clé"), "may only hold"),
        file_case(portal_file(key_name="x\r\ny"), "may only hold"),
        file_case(portal_file(secret=MK + "\r\nX: 1"), "printable ASCII"),
        file_case(portal_file(secret=MK + " x" * 8), "printable ASCII"),
        file_case(portal_file(secret=MK + "é" * 8), "printable ASCII"),
        file_case(portal_file(secret=MK + "a" * 300), "16 to 256"),
        file_case(portal_file(format="x;id"), "must be"),
        file_case(portal_file(version="1;id"), "the number 1"),
        file_case(portal_file(cmd="id"), 'a member "cmd" that file never '
                  'has'),
        file_case(portal_file(**{"<script>": 1}),
                  "a member that file never has"),
    ]
    run_all_cases(cases)


@suite.test
def test_bad_portal_file_not_a_config():
    big = portal_file(key_name="k" * 60)[:-1] + b', "pad": "' + \
        b"x" * 20000 + b'"}'
    cases = [
        file_case(b";id", "not valid JSON"),
        file_case(b"$(id)", "not valid JSON"),
        file_case(b"`id`|sh", "not valid JSON"),
        file_case(b"../../etc/passwd", "not valid JSON"),
        file_case(b"", "Choose the configuration file"),
        file_case(b"[1]", "not a JSON object"),
        file_case(portal_file()[:-1] + b', "secret": "x"}',
                  "more than once"),
        file_case(portal_file().replace(b'"key_name": "connector key"',
                                        b'"key_name": "a\xff\xfe"'),
                  "not UTF-8"),
        file_case(portal_file() + b"\x00", "NUL"),
        file_case(XSS.encode(), "not valid JSON"),
        file_case(portal_file(), None, filename="../../etc/passwd;id",
                  fields=[("action", "upload;id")],
                  expect=("page", "Action:")),
        file_case(b"x" * (16 * 1024 + 1), TOO_LONG),
        file_case(b"x" * (100 * 1024), TOO_LONG),
        file_case(big, TOO_LONG),
    ]
    run_all_cases(cases)


@suite.test
def test_bad_portal_file_malformed_bodies():
    data = portal_file()
    cases = [
        Case("portal_config", "/register/portal", "two files",
             ("page", PE_DUP), fields=[("action", "upload")],
             files=[("portal_config", "a.json", data),
                    ("portal_config", "b.json", data)]),
        Case("portal_config", "/register/portal", "unknown field",
             ("page", PE_UNKNOWN), fields=[("action", "upload"),
                                           ("cmd", "id")],
             files=[("portal_config", "a.json", data)]),
        Case("portal_config", "/register/portal", "as text",
             ("page", PE_UNKNOWN), fields=[("action", "upload"),
                                           ("portal_config", "x;id")],
             files=[]),
        Case("portal_config", "/register/portal", "over 2 MiB",
             ("page", "larger than the console accepts"),
             fields=[("action", "upload")],
             files=[("portal_config", "a.json", b"x" * (2 * 1024 * 1024 +
                                                       10))], status=413),
    ]
    run_all_cases(cases)


@suite.test
def test_bad_amp_key_file_endpoints():
    """The same files at /keys/amp, which would send a heartbeat."""
    cases = endpoint_cases("/keys/amp")
    cases.append(file_case(b";id", "not valid JSON", "/keys/amp"))
    cases.append(file_case(portal_file(key_name=XSS), "may only hold",
                           "/keys/amp"))
    run_all_cases(cases)


@suite.test
def test_trap_sees_amp_endpoint_allowed_in_test_mode():
    ensure_ready()
    c = file_case(portal_file(endpoint="https://" + T()), None, "/keys/amp")
    before = S["trap"].seen()
    why = run_case(S["test"], c)
    check(wait_for(lambda: S["trap"].seen() > before, 5),
          "the trap saw nothing")
    check("stored" not in why and "status" not in why, "unexpected: %s",
          why)


# ---- action and confirm (the console's own words: a 400 page) ----

ACTION_PAGES = [
    ("/register/proxy", lambda v: [("action", v)]),
    ("/register/review", lambda v: [("action", v)]),
    ("/unregister", lambda v: [("action", v), ("vcenter_user", VC_USER),
                               ("vcenter_password", MK)]),
]


def action_cases(values, expect):
    cases = []
    for path, pairs in ACTION_PAGES:
        for v in values:
            cases.append(Case("action", path, v, expect, pairs=pairs(v)))
    for v in values:
        cases.append(Case("action", "/register/portal", v, expect,
                          fields=[("action", v)],
                          files=[("portal_config", "a.json",
                                  portal_file())]))
    return cases


@suite.test
def test_bad_action_shell_and_paths():
    run_all_cases(action_cases(
        ["save;id", "register;id", "unregister;id", "$(id)", "`id`",
         "save|id", "../../etc/passwd", "-oProxyCommand=id"],
        ("page", "Action:")))


@suite.test
def test_bad_action_crlf_non_ascii_markup():
    run_all_cases(action_cases(
        ["register\r\nX-Injected: 1", "save\r\n", "régister", "sáve"] +
        MARKUP, ("page", "Action:")))


@suite.test
def test_bad_action_too_long():
    run_all_cases(action_cases(["a" * 33, "a" * 5000],
                               ("page", "Action: the value is too long")))


@suite.test
def test_bad_action_unknown_word():
    """Well-formed words that are no button of the page."""
    cases = [c for c in action_cases(["nuke", "-register", "clear-local2"],
                                     ("notice", BUTTONS))
             if c.path != "/register/portal"]
    run_all_cases(cases)


@suite.test
def test_bad_action_malformed_bodies():
    cases = []
    for path, pairs in ACTION_PAGES:
        for cs in malformed("action", path, "action", pairs("nuke"),
                            ["register"]).values():
            cases += cs
    run_all_cases(cases)


def confirm_cases(values, expect):
    return [Case("confirm", "/unregister", v, expect,
                 pairs=[("action", "clear-local"), ("confirm", v)])
            for v in values]


@suite.test
def test_bad_confirm_malformed_values():
    run_all_cases(confirm_cases(
        ["clear;id", "$(id)", "`id`", "clear|id", "../../etc/passwd",
         "clear\r\n", "clear\r\nX-Injected: 1", "cléar", "c" * 33,
         "c" * 5000, "169.254.169.254", "user@host", "https://vcenter"] +
        MARKUP, ("page", "Confirmation:")))


@suite.test
def test_bad_confirm_other_words():
    run_all_cases(confirm_cases(["yes", "-clear", "clear-all", "on"],
                                ("field", "confirm", TICK)))


@suite.test
def test_bad_confirm_malformed_bodies():
    cases = []
    for cs in malformed("confirm", "/unregister", "confirm",
                        [("action", "clear-local"), ("confirm", "no")],
                        ["clear"]).values():
        cases += cs
    run_all_cases(cases)


# ---- /unregister's account ----

def unregister_pairs():
    return [("action", "unregister"), ("vcenter_user", VC_USER),
            ("vcenter_password", VC_PASSWORD)]


@suite.test
def test_bad_unregister_user():
    cases = []
    for cat, cs in field_cases("unregister_user", "/unregister",
                               "vcenter_user", unregister_pairs(),
                               vcenter_user_groups()).items():
        cases += cs
    run_all_cases(cases)


@suite.test
def test_bad_unregister_password():
    cases = []
    for cat, cs in field_cases("unregister_password", "/unregister",
                               "vcenter_password", unregister_pairs(),
                               password_groups(("net", VC_REFUSED)),
                               echo=False, secret=True).items():
        cases += cs
    run_all_cases(cases)


@suite.test
def test_bad_clear_local_with_hostile_account_fields():
    """The clear-local form carries no account, but a request that adds
    hostile account fields is refused like any other, not acted on."""
    run_all_cases([
        Case("vcenter_user", "/unregister", "svc;id",
             ("field", "vcenter_user", USER_HINT),
             pairs=[("action", "clear-local"), ("confirm", "clear"),
                    ("vcenter_user", "svc;id")], echo="vcenter_user"),
        Case("vcenter_password", "/unregister", MK + "\r\nX: 1",
             ("field", "vcenter_password", PW_HINT),
             pairs=[("action", "clear-local"), ("confirm", "clear"),
                    ("vcenter_password", MK + "\r\nX: 1")], secret=True),
    ])


def page_paths():
    return ["/", "/register/vcenter", "/register/trust",
            "/register/credentials", "/register/proxy", "/register/aws",
            "/register/portal", "/register/review", "/keys", "/unregister",
            "/no-such-page"]


@suite.test
def test_bad_markup_not_in_any_page():
    """After every refusal above, no page of either console holds one of
    the markup values raw, nor a secret value tried."""
    ensure_ready()
    found = []
    for target in (S["test"], S["plain"]):
        for path in page_paths():
            r = target["client"].get(path)
            for v in MARKUP + ["onerror=alert", "onload=alert", MK]:
                if v in r.text:
                    found.append("%s holds %r" % (path, v))
    eq(S["test"]["client"].get("/register/review").status, 200,
       "the review page (the draft is whole)")
    check(not found, "; ".join(found))


# ---- a console not in test mode: loopback refused ----

def loopback_hosts(port):
    """Ways of writing this machine's loopback address."""
    return ["127.0.0.1", "localhost", "2130706433", "127.1", "0x7f.0.0.1",
            "0177.0.0.1", "0.0.0.0", "127.0.0.9"]


@suite.test
def test_bad_loopback_vcenter_host_not_in_test_mode():
    p1, p9 = S["trap1"].port, S["trap"].port
    cases = [Case("vcenter_host", "/register/vcenter", v,
                  ("field", "vcenter_host", (VC_NOT_ALLOWED, "may not",
                                               "or IPv4 address")),
                  pairs=[("vcenter_host", v)], echo="vcenter_host")
             for v in ["%s:%d" % (h, p9 if h == "127.0.0.9" else p1)
                       for h in loopback_hosts(p1)]]
    run_all_cases(cases, S["plain"])


@suite.test
def test_bad_loopback_proxy_host_not_in_test_mode():
    p1, p9 = S["trap1"].port, S["trap"].port
    cases = [Case("proxy_host", "/register/proxy", h,
                  ("field_or_notice", "proxy_host", None),
                  pairs=proxy_pairs(h, str(p9 if h == "127.0.0.9" else p1)),
                  echo="proxy_host")
             for h in loopback_hosts(p1)]
    run_all_cases(cases, S["plain"])


def loopback_endpoints():
    p1, p9 = S["trap1"].port, S["trap"].port
    return ["https://127.0.0.1:%d" % p1, "https://localhost:%d" % p1,
            "https://127.0.0.9:%d" % p9, "https://2130706433:%d" % p1,
            "https://127.1:%d" % p1, "https://0.0.0.0:%d" % p1]


@suite.test
def test_bad_loopback_portal_file_not_in_test_mode():
    cases = [file_case(portal_file(endpoint=e), None)
             for e in loopback_endpoints()]
    run_all_cases(cases, S["plain"])


@suite.test
def test_bad_loopback_amp_key_file_not_in_test_mode():
    cases = [file_case(portal_file(endpoint=e), None, "/keys/amp")
             for e in loopback_endpoints()]
    run_all_cases(cases, S["plain"])


# ---- last: no secret value tried reached a log ----

@suite.test
def test_bad_secret_values_not_logged():
    found = []
    for inst in (S["env"].inst, S["plain_inst"]):
        logs = inst.all_logs()
        check(any(b"register" in v for v in logs.values()),
              "the logs are empty: nothing to look at")
        for name, data in logs.items():
            if MK.encode() in data:
                found.append(name)
        if MK in "\n".join(inst.output):
            found.append("output")
    check(not found, "a secret value tried is in %s", found)


if __name__ == "__main__":
    suite.run(setup, teardown)
