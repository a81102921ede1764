"""The registration wizard (/register/...) and /unregister against the
vCenter and AWS doubles: the whole path, resuming, every step's failure
(shown with its reason, nothing stored changed), the proxy, registering
again after an IP change, unregistering, CSRF and Origin checks, and the
audit log.

One console and one pair of doubles serve the file; each test first puts
the connector in the state it needs (registered or not, no draft).  Extra
vCenter doubles stand in for a vCenter whose certificate changed and for
one that went away."""
import gzip
import hashlib
import html
import json
import os
import re
import ssl
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (TOP, Suite, VCenterDouble, check, eq,  # noqa: E402
                     free_port, stop_process, wait_for)
from regflow import (AMP_KEY, AWS_KEY, AWS_SECRET, EXTENSION_KEY,  # noqa
                     VC_PASSWORD, VC_USER, VSPHERE_PROBE, Env, Wizard,
                     errors, health_item, move_console, state)

suite = Suite()
E = None            # the Env of the file
W = None            # its wizard (one signed-in client)
PROXY = os.path.join(TOP, "tests", "peers", "proxy.py")
REG_PREFIXES = ("vcenter.", "proxy.", "aws.", "portal.", "registration.")
REG_SECRETS = ("vcenter.password", "proxy.password", "aws.secret_access_key",
               "aws.session_token", "portal.secret")
FORGED_KEY = "AMPKEYFORGEDKEY00001"
FORGED_SECRET = "forged-portal-secret-0001"
EVIL = "https://evil.example"
extra = {}          # the extra vCenter doubles, by role


# ---- helpers ----

def inst():
    return E.inst


def loc(path):
    """The console's URL of path where it is now (see moved_to)."""
    host = W.c.host if W else "127.0.0.1"
    return "https://%s:%d%s" % (host, inst().port, path)


def settings():
    return dict(inst().sql("SELECT name, value FROM settings"))


def secret_names():
    return {r[0] for r in inst().sql("SELECT name FROM secrets")}


def full_state():
    """Every setting and secret row, drafts included."""
    return (inst().sql("SELECT name, value FROM settings ORDER BY name"),
            inst().sql("SELECT name, key_id, hex(sealed) FROM secrets "
                       "ORDER BY name"))


def registered():
    return "registration.at" in settings()


def clear_draft():
    inst().sql("DELETE FROM settings WHERE name LIKE 'draft.%' "
               "OR name = 'wizard.started'", write=True)
    inst().sql("DELETE FROM secrets WHERE name LIKE 'draft.%'", write=True)


def draft_rows():
    s = inst().sql("SELECT name FROM settings WHERE name LIKE 'draft.%' "
                   "OR name = 'wizard.started'")
    k = inst().sql("SELECT name FROM secrets WHERE name LIKE 'draft.%'")
    return [r[0] for r in s + k]


def field_error(r, field):
    """The error sentence shown under a field, or None."""
    m = re.search(r'<p class="error" id="%s-error">([^<]*)</p>' %
                  re.escape(field), r.text)
    return html.unescape(m.group(1)).strip() if m else None


def notice(r):
    m = re.search(r'<strong>Not saved\.</strong>\s*([^<]*)<', r.text)
    return html.unescape(m.group(1)).strip() if m else None


def dashboard():
    r = W.c.get("/")
    eq(r.status, 200, "dashboard status")
    return r.text


def dashboard_registered(text):
    return "OK — registered with vCenter" in text


def dashboard_not_registered(text):
    return ">Not registered<" in text


def audited(mark, action):
    new = inst().audit_wait(mark, lambda e: e.get("action") == action)
    check(new, "no audit line %r; got %r", action,
          [e.get("action") for e in inst().audit()[mark:]])


def console_fingerprint():
    with open(inst().cert) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    h = hashlib.sha256(der).hexdigest().upper()
    return ":".join(h[i:i + 2] for i in range(0, len(h), 2))


def find_ext(vc):
    """The plugin as vCenter double vc has it (its JSON), or None."""
    p = subprocess.run(
        [VSPHERE_PROBE, "--pin", vc.info["thumbprint"], "--user", VC_USER,
         vc.hostport, "connect", "login", "find:" + EXTENSION_KEY, "logout"],
        input=VC_PASSWORD + "\n", capture_output=True, text=True, timeout=60)
    steps = json.loads(p.stdout)["steps"]
    check(all(s.get("ok") for s in steps), "vsphere-probe failed: %r", steps)
    return steps[2].get("extension") if steps[2].get("found") else None


def ext_view(ext):
    """The parts of a plugin that a registration decides."""
    if ext is None:
        return None
    return {k: ext.get(k) for k in ("key", "url", "server_thumbprint",
                                     "version", "type")}


def step_ok(r, path, what):
    check(r.status in (302, 303) and r.location == loc(path),
          "%s: %r, want a redirect to %s; errors %r", what, r, path,
          errors(r))


def new_wizard():
    return Wizard(E)


def start_double():
    return VCenterDouble(VC_USER, VC_PASSWORD).start()


def register_with(host):
    """From a connector without a draft: every step (vCenter at host),
    then Register; returns the last answer."""
    step_ok(W.start(), "/register/vcenter" if not registered() else
            "/register/review", "start")
    r = W.vcenter(host)
    check(r.status == 303, "vcenter %s: %r %r", host, r, errors(r))
    step_ok(W.trust(), "/register/credentials", "trust")
    step_ok(W.credentials(), "/register/proxy", "credentials")
    step_ok(W.no_proxy(), "/register/aws", "no proxy")
    step_ok(W.aws(), "/register/portal", "aws")
    step_ok(W.portal(), "/register/review", "portal")
    return W.register()


def ensure_unregistered():
    """No registration (unregistered through the console, or cleared
    locally when its vCenter is gone) and no draft."""
    if registered():
        r = W.unregister()
        if registered():
            r = W.c.submit("/unregister", [("action", "clear-local"),
                                           ("confirm", "clear")])
        check(not registered(), "could not unregister: %r %r", r, errors(r))
    clear_draft()


def ensure_registered(vc=None):
    """Registered with vCenter double vc (the file's by default), no proxy,
    at the connector's own address, and no draft."""
    vc = vc or E.vc
    s = settings()
    if (registered() and s.get("vcenter.port") == str(vc.port) and
            "proxy.host" not in s and s.get("registration.ip") == s["ip"]):
        clear_draft()
        return
    ensure_unregistered()
    r = register_with(vc.hostport)
    check(r.status == 303 and r.location == loc("/"),
          "register: %r %r", r, errors(r))
    check(registered(), "not registered after the wizard")


class Rerun:
    """A failure on a registered connector, re-running the wizard: the live
    configuration and vCenter's plugin before, to compare after."""

    def __init__(self):
        ensure_registered()
        self.state = state(inst())
        self.ext = ext_view(E.find_extension())
        self.mark = inst().audit_mark()
        step_ok(W.start(), "/register/review", "GET /register")

    def unchanged(self):
        eq(state(inst()), self.state, "the stored configuration")
        eq(ext_view(E.find_extension()), self.ext, "vCenter's plugin")
        check(dashboard_registered(dashboard()),
              "the dashboard no longer says registered")


class Proxy:
    """tests/peers/proxy.py on a free port; log: the CONNECTs it handled."""

    def __init__(self, user=None, password=None):
        args = [sys.executable, PROXY, "--port", "0"]
        if user:
            args += ["--user", user, "--password", password]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, text=True,
                                     start_new_session=True)
        first = json.loads(self.proc.stdout.readline())
        self.port = first["port"]
        self.log = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                self.log.append(json.loads(line))
            except ValueError:
                pass

    def entries(self, n, timeout=5):
        """The log once it has more than n entries (or as it is)."""
        wait_for(lambda: len(self.log) > n, timeout)
        return list(self.log)

    def stop(self):
        stop_process(self.proc)


# ---- the whole path ----

@suite.test
def test_happy_path_registers_everywhere():
    ensure_unregistered()
    mark = inst().audit_mark()
    step_ok(W.start(), "/register/vcenter", "GET /register")
    step_ok(W.vcenter(), "/register/trust", "vCenter step")
    eq((W.shown_thumbprint() or "").upper(),
       E.vc.info["thumbprint"].upper(), "thumbprint shown")
    step_ok(W.trust(), "/register/credentials", "trust step")
    step_ok(W.credentials(), "/register/proxy", "credentials step")
    step_ok(W.no_proxy(), "/register/aws", "proxy step")
    step_ok(W.aws(), "/register/portal", "AWS step")
    r = W.c.get("/register/portal")
    check("account 123456789012" in r.text, "the portal step does not show "
          "the account AWS confirmed")
    step_ok(W.portal(), "/register/review", "portal step")
    r = W.review()
    check("https://127.0.0.1:%d/" % inst().port in r.text,
          "the review does not show the console URL")
    r = W.register()
    eq((r.status, r.location), (303, loc("/")), "Register")

    page = dashboard()
    check(dashboard_registered(page), "the dashboard does not say registered")
    check("Registered. The vSphere Client plugin" in page,
          "the dashboard does not say Registered.")
    check("Registered. The vSphere Client plugin" not in dashboard(),
          "the notice is shown again on reload")
    ext = E.find_extension()
    check(ext is not None, "vCenter has no plugin")
    eq(ext["key"], EXTENSION_KEY, "plugin key")
    eq(ext["url"], "https://127.0.0.1:%d/" % inst().port, "plugin url")
    eq(ext["server_thumbprint"].upper(), console_fingerprint(),
       "plugin server_thumbprint")
    s = settings()
    regs = [g for g in E.aws.control()["registrations"]
            if g["connector_id"] == s.get("connector.id")]
    check(regs, "the AWS double lists no registration of %r",
          s.get("connector.id"))
    eq(regs[-1]["ip"], s["ip"], "registered IP")
    eq(s.get("registration.portal_id"), regs[-1]["registration_id"],
       "stored portal registration id")
    want = {"vcenter.host": "127.0.0.1", "vcenter.port": str(E.vc.port),
            "vcenter.user": VC_USER, "aws.region": "us-east-1",
            "aws.account": "123456789012",
            "aws.arn": "arn:aws:iam::123456789012:user/connector",
            "aws.access_key_id": AWS_KEY, "portal.key_id": AMP_KEY,
            "registration.url": "https://127.0.0.1:%d/" % inst().port}
    for k, v in want.items():
        eq(s.get(k), v, "setting " + k)
    eq(s.get("vcenter.thumbprint", "").upper(),
       E.vc.info["thumbprint"].upper(), "pinned thumbprint")
    names = secret_names()
    for n in ("vcenter.password", "aws.secret_access_key", "portal.secret"):
        check(n in names, "no secret %s", n)
    eq(draft_rows(), [], "draft rows left")
    for a in ("register: vCenter certificate trusted",
              "register: vCenter account verified",
              "register: AWS credentials verified",
              "register: portal key file accepted", "register: registered"):
        audited(mark, a)


@suite.test
def test_secrets_are_not_stored_in_clear():
    ensure_registered()
    raw = b""
    for suffix in ("", "-wal"):
        p = inst().db_path + suffix
        if os.path.exists(p):
            with open(p, "rb") as f:
                raw += f.read()
    for s in (VC_PASSWORD, AWS_SECRET, "amp-test-secret-0001-abcdef"):
        check(s.encode() not in raw, "%r is in the database in clear", s)


@suite.test
def test_resume_in_a_new_session_lands_on_next_step():
    ensure_unregistered()
    a = new_wizard()
    step_ok(a.start(), "/register/vcenter", "start")
    step_ok(a.vcenter(), "/register/trust", "vcenter")
    a.c.close()
    a = new_wizard()
    step_ok(a.start(), "/register/trust", "GET /register after the host")
    eq((a.shown_thumbprint() or "").upper(), E.vc.info["thumbprint"].upper(),
       "the certificate shown again")
    step_ok(a.trust(), "/register/credentials", "trust")
    step_ok(a.credentials(), "/register/proxy", "credentials")
    a.c.close()

    b = new_wizard()
    step_ok(b.start(), "/register/proxy", "GET /register in a new session")
    r = b.c.get("/register/vcenter")
    check('value="%s"' % E.vc_host() in r.text,
          "the vCenter step does not show the host entered")
    r = b.c.get("/register/credentials")
    check('value="%s"' % html.escape(VC_USER) in r.text,
          "the account step does not show the user entered")
    check("A password is stored" in r.text,
          "the account step does not say a password is stored")
    step_ok(b.no_proxy(), "/register/aws", "proxy")
    step_ok(b.aws(region="eu-west-1"), "/register/portal", "aws")
    b.c.close()

    c = new_wizard()
    step_ok(c.start(), "/register/portal", "GET /register in a third session")
    step_ok(c.c.get("/register/review"), "/register/portal",
            "review before the portal step")
    r = c.c.get("/register/aws")
    check('value="%s"' % AWS_KEY in r.text,
          "the AWS step does not show the key ID entered")
    check('value="eu-west-1" selected' in r.text,
          "the AWS step does not show the region chosen")
    check("A secret is stored" in r.text,
          "the AWS step does not say a secret is stored")
    check(not registered(), "registered by a draft")
    clear_draft()


# ---- each step's failure: shown, and nothing stored changed ----

@suite.test
def test_bad_vcenter_unreachable_port():
    t = Rerun()
    port = free_port()
    r = W.vcenter("127.0.0.1:%d" % port)
    eq(r.status, 400, "status")
    msg = field_error(r, "vcenter_host") or ""
    check("Nothing answered at 127.0.0.1:%d." % port in msg,
          "vcenter_host error %r does not say nothing answered", msg)
    audited(t.mark, "register: vCenter not reached")
    t.unchanged()


@suite.test
def test_bad_vcenter_name_does_not_resolve():
    t = Rerun()
    r = W.vcenter("no-such-host.invalid")
    eq(r.status, 400, "status")
    msg = field_error(r, "vcenter_host") or ""
    check("no-such-host.invalid does not resolve" in msg,
          "vcenter_host error %r does not say the name does not resolve", msg)
    audited(t.mark, "register: vCenter not reached")
    t.unchanged()


@suite.test
def test_long_vcenter_host_name_accepted():
    """A host name of 253 characters (labels of 63) is taken and looked up:
    the answer is the name's, not the syntax hint."""
    t = Rerun()
    name = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 53, "invalid"])
    eq(len(name), 253, "length of the name")
    r = W.vcenter(name + ":8443")
    eq(r.status, 400, "status")
    msg = field_error(r, "vcenter_host") or ""
    check("%s does not resolve" % name in msg,
          "vcenter_host error %r does not say the name does not resolve", msg)
    t.unchanged()


@suite.test
def test_vcenter_name_longer_than_32_characters_accepted():
    t = Rerun()
    r = W.vcenter("vcsa01.prod.eu-west.corp.example.com")
    msg = field_error(r, "vcenter_host") or ""
    check("vcsa01.prod.eu-west.corp.example.com does not resolve" in msg,
          "vcenter_host error %r", msg)
    t.unchanged()


@suite.test
def test_bad_vcenter_host_over_253_characters():
    t = Rerun()
    r = W.vcenter(".".join(["a" * 63] * 4))
    eq(r.status, 400, "status")
    msg = field_error(r, "vcenter_host") or ""
    check("not a URL" in msg, "vcenter_host error %r", msg)
    t.unchanged()


@suite.test
def test_showing_the_wizard_makes_no_draft():
    ensure_registered()
    eq(draft_rows(), [], "draft rows before")
    step_ok(W.start(), "/register/review", "GET /register")
    for path in ("/register/vcenter", "/register/credentials",
                 "/register/proxy", "/register/aws", "/register/portal",
                 "/register/review"):
        r = W.c.get(path)
        eq(r.status, 200, "GET %s" % path)
    eq(draft_rows(), [], "draft rows after showing every step")
    r = W.c.get("/register/vcenter")
    check('value="%s"' % E.vc_host() in r.text,
          "the vCenter step does not show the registered host")


@suite.test
def test_first_post_makes_the_draft():
    ensure_registered()
    step_ok(W.aws(region="eu-north-1"), "/register/portal", "AWS step")
    check("wizard.started" in draft_rows(), "no draft after a step posted")
    eq(settings().get("draft.aws.region"), "eu-north-1", "draft region")
    eq(settings().get("draft.vcenter.host"), settings().get("vcenter.host"),
       "the draft starts from the live registration")
    clear_draft()


@suite.test
def test_vcenter_screens_numbered_apart():
    ensure_registered()
    heads = []
    step_ok(W.vcenter(), "/register/trust", "vcenter step")
    for path in ("/register/vcenter", "/register/trust",
                 "/register/credentials"):
        r = W.c.get(path)
        m = re.search(r"<h2>([^<]*)</h2>", r.text)
        heads.append(m.group(1) if m else None)
    clear_draft()
    eq(len(set(heads)), 3, "three different headings: %r" % heads)
    eq([h.split(" ")[0] for h in heads], ["1a.", "1b.", "1c."], "numbers")


@suite.test
def test_discard_is_below_the_step_form():
    ensure_registered()
    for path in ("/register/vcenter", "/register/proxy", "/register/aws"):
        text = W.c.get(path).text
        form = text.find('action="%s"' % path)
        disc = text.find('action="/register/discard"')
        check(0 <= form < disc, "%s: discard at %d, the form at %d",
              path, disc, form)


@suite.test
def test_bad_portal_file_unknown_member_named():
    t = Rerun()
    r = W.portal(E.portal_file(extra={"hello": "x"}))
    eq(r.status, 400, "status")
    eq(field_error(r, "portal_config"), "This is not the portal's "
       'configuration file: it has a member "hello" that file never has. '
       "Upload the file the portal's setup downloaded, unchanged.",
       "error beside the file")
    t.unchanged()


@suite.test
def test_bad_trust_other_thumbprint_refused():
    t = Rerun()
    step_ok(W.vcenter(), "/register/trust", "vcenter step")
    shown = W.shown_thumbprint()
    other = ":".join(["AB"] * 32)
    check(shown and shown.upper() != other, "thumbprint shown: %r", shown)
    before = full_state()
    r = W.trust(other)
    eq(r.status, 400, "status")
    check("not the one shown" in (notice(r) or ""),
          "notice %r does not say the certificate differs", notice(r))
    audited(t.mark, "register: certificate not trusted (changed)")
    eq(full_state(), before, "the stored configuration and draft")
    t.unchanged()


@suite.test
def test_bad_wrong_vcenter_password():
    t = Rerun()
    r = W.credentials(password="Not-The-Password-9")
    eq(r.status, 400, "status")
    msg = field_error(r, "vcenter_password") or ""
    check("refused this user name and password" in msg,
          "vcenter_password error %r", msg)
    audited(t.mark, "register: vCenter account refused")
    t.unchanged()


def aws_refused(field, words, code, key=AWS_KEY, **kw):
    """Post the AWS step with kw; the error under field holds words, the
    double saw (and refused with code) a GetCallerIdentity signed by key."""
    t = Rerun()
    seq = E.aws.last_seq()
    r = W.aws(key=key, **kw)
    eq(r.status, 400, "status")
    msg = field_error(r, field) if field else notice(r)
    check(msg and words in msg, "error %r does not say %r", msg, words)
    seen = [q for q in E.aws.requests(seq)
            if q.get("action") == "GetCallerIdentity"]
    check(seen, "the AWS double saw no GetCallerIdentity")
    eq((seen[-1].get("access_key"), seen[-1].get("code"),
        seen[-1].get("status")), (key, code, 403), "what the double saw")
    audited(t.mark, "register: AWS credentials refused")
    t.unchanged()


@suite.test
def test_bad_aws_wrong_secret():
    aws_refused("secret_access_key", "signature", "SignatureDoesNotMatch",
                secret="wrong-secret-key-0002+/y")


@suite.test
def test_bad_aws_unknown_access_key():
    aws_refused("access_key_id", "does not know this key ID",
                "InvalidClientTokenId", key="AKIAUNKNOWNKEY000009",
                secret="some-secret-for-unknown-key")


@suite.test
def test_bad_aws_revoked_key():
    E.aws.control({"revoked_keys": [AWS_KEY]})
    try:
        check(AWS_KEY in E.aws.control()["revoked_keys"], "key not revoked")
        aws_refused("access_key_id", "revoked", "InvalidClientTokenId",
                    secret=AWS_SECRET)
    finally:
        E.aws.control({"revoked_keys": []})


@suite.test
def test_bad_aws_skewed_clock():
    E.aws.control({"skew_seconds": 600})
    try:
        eq(E.aws.control()["skew_seconds"], 600, "the double's skew")
        aws_refused(None, "clock is off", "RequestExpired", secret=AWS_SECRET)
    finally:
        E.aws.control({"skew_seconds": 0})


def big_file():
    d = json.loads(E.portal_file().decode())
    d["key_name"] = "x" * (17 * 1024)
    return json.dumps(d).encode()


def without(member):
    d = json.loads(E.portal_file().decode())
    del d[member]
    return json.dumps(d).encode()


PORTAL_FILES = [
    # name, data, words one of which the error must hold
    ("not_json", lambda: b"this is not a configuration file\n",
     ("not valid JSON",)),
    ("binary", lambda: gzip.compress(E.portal_file()),
     ("NUL byte", "not UTF-8", "not valid JSON")),
    ("empty", lambda: b"", ("empty", "Choose the configuration file")),
    ("too_large", big_file, ("too long", "larger than")),
    ("wrong_format", lambda: E.portal_file(extra={"format": "other-format"}),
     ('"format"',)),
    ("wrong_version", lambda: E.portal_file(extra={"version": 2}),
     ('"version"',)),
    ("unknown_member", lambda: E.portal_file(extra={"colour": "red"}),
     ('member "colour" that file never has',)),
    ("missing_secret", lambda: without("secret"), ('"secret" is missing',)),
    ("not_an_object", lambda: b'["connector-portal-config", 1]',
     ("not a JSON object",)),
]


def portal_refused(data, words):
    t = Rerun()
    before = full_state()
    r = W.portal(data())
    eq(r.status, 400, "status")
    msg = field_error(r, "portal_config") or ""
    check(any(w in msg for w in words),
          "portal_config error %r does not say %s", msg, " or ".join(words))
    eq(full_state(), before, "the stored configuration and draft")
    t.unchanged()
    return t


def make_portal_test(name, data, words):
    def fn():
        t = portal_refused(data, words)
        if name not in ("empty", "too_large"):
            audited(t.mark, "register: portal file refused")
    fn.__name__ = "test_bad_portal_file_" + name
    return fn


for _n, _d, _w in PORTAL_FILES:
    suite.test(make_portal_test(_n, _d, _w))


@suite.test
def test_bad_forged_portal_file_on_registered_connector():
    t = Rerun()
    seq = E.aws.last_seq()
    regs = E.aws.control()["registrations"]
    step_ok(W.portal(E.portal_file(key_id=FORGED_KEY, secret=FORGED_SECRET)),
            "/register/review", "upload of a well-formed forged file")
    r = W.register()
    eq(r.status, 400, "status")
    check("The portal does not know this key ID" in (notice(r) or ""),
          "notice %r does not say the portal refused the key", notice(r))
    seen = [q for q in E.aws.requests(seq)
            if q["path"] == "/vendor/portal/register"]
    check(seen and seen[-1].get("access_key") == FORGED_KEY and
          seen[-1].get("code") == "InvalidClientTokenId",
          "the double did not refuse the forged key: %r", seen)
    eq(E.aws.control()["registrations"], regs, "the double's registrations")
    audited(t.mark, "register failed")
    t.unchanged()


@suite.test
def test_bad_forged_portal_file_on_update_leaves_plugin_as_it_was():
    """A Register that updates the plugin (here: a new IP) and then fails
    at the portal must leave vCenter's plugin as the stored registration
    describes it, as a failed first registration takes its plugin back."""
    ensure_registered()
    moved_to("127.0.0.4")
    try:
        before = state(inst())
        ext = ext_view(E.find_extension())
        step_ok(W.start(), "/register/review", "GET /register")
        step_ok(W.portal(E.portal_file(key_id=FORGED_KEY,
                                       secret=FORGED_SECRET)),
                "/register/review", "upload of a well-formed forged file")
        r = W.register()
        eq(r.status, 400, "status")
        eq(state(inst()), before, "the stored configuration")
        eq(settings()["registration.url"], ext["url"],
           "the stored registration's URL")
        eq(ext_view(E.find_extension()), ext,
           "vCenter's plugin after the failed update")
    finally:
        moved_to("127.0.0.1")
        clear_draft()
        step_ok(W.start(), "/register/review", "GET /register")
        r = W.register()
        check(r.status == 303, "registering again: %r %r", r, errors(r))


@suite.test
def test_bad_forged_portal_file_takes_new_plugin_back():
    ensure_unregistered()
    check(E.find_extension() is None, "a plugin is left from before")
    before = state(inst())
    regs = E.aws.control()["registrations"]
    mark = inst().audit_mark()
    step_ok(W.start(), "/register/vcenter", "start")
    step_ok(W.vcenter(), "/register/trust", "vcenter")
    step_ok(W.trust(), "/register/credentials", "trust")
    step_ok(W.credentials(), "/register/proxy", "credentials")
    step_ok(W.no_proxy(), "/register/aws", "proxy")
    step_ok(W.aws(), "/register/portal", "aws")
    step_ok(W.portal(E.portal_file(key_id=FORGED_KEY, secret=FORGED_SECRET)),
            "/register/review", "portal")
    r = W.register()
    eq(r.status, 400, "status")
    check("The portal does not know this key ID" in (notice(r) or ""),
          "notice %r", notice(r))
    eq(E.find_extension(), None, "vCenter's plugin after the failure")
    eq(state(inst()), before, "the stored configuration")
    eq(E.aws.control()["registrations"], regs, "the double's registrations")
    check(dashboard_not_registered(dashboard()),
          "the dashboard does not say Not registered")
    audited(mark, "register failed")
    clear_draft()


def register_workers():
    """Pids of this instance's register workers (not their master)."""
    mine = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            exe = os.readlink("/proc/%s/exe" % pid)
            with open("/proc/%s/environ" % pid, "rb") as f:
                env = f.read().split(b"\0")
            with open("/proc/%s/stat" % pid) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            pexe = os.readlink("/proc/%d/exe" % ppid)
        except OSError:
            continue
        root = ("CONNECTOR_ROOT=" + inst().root).encode()
        if exe.endswith("/cgi-bin/register") and root in env and \
                pexe.endswith("/cgi-bin/register"):
            mine.append(int(pid))
    return mine


@suite.test
def test_register_killed_part_way_is_taken_back_by_the_next():
    """Register killed (kill -9) while the portal answers leaves a new
    plugin in vCenter that nothing here records; the next attempt, failing
    at the portal, takes that plugin back instead of restoring it as if it
    were an earlier registration."""
    ensure_unregistered()
    check(E.find_extension() is None, "a plugin is left from before")
    step_ok(W.start(), "/register/vcenter", "start")
    step_ok(W.vcenter(), "/register/trust", "vcenter")
    step_ok(W.trust(), "/register/credentials", "trust")
    step_ok(W.credentials(), "/register/proxy", "credentials")
    step_ok(W.no_proxy(), "/register/aws", "proxy")
    step_ok(W.aws(), "/register/portal", "aws")
    step_ok(W.portal(), "/register/review", "portal")
    E.aws.control({"faults": {"vendor": {"hang": True}}})
    first = {}

    def register():
        try:
            first["r"] = W.register()
        except Exception as e:  # the worker dies under it
            first["r"] = e
    t = threading.Thread(target=register)
    try:
        t.start()
        deadline = time.monotonic() + 30
        while E.find_extension() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        check(E.find_extension() is not None, "the first attempt did not "
              "reach vCenter")
        workers = register_workers()
        check(workers, "no register worker found")
        for pid in workers:
            os.kill(pid, 9)
        t.join(30)
        check(not t.is_alive(), "the killed attempt never answered")
        check(not registered(), "registered after the kill")
        check(E.find_extension() is not None, "the plugin went with the "
              "kill")
        # The next attempt fails at the portal: the orphan plugin goes.
        E.aws.control({"faults": {"vendor": {"error": {
            "code": "InternalError", "status": 500}}}})
        W.c.close()
        r = W.register()
        eq(r.status, 400, "second attempt's status")
        eq(E.find_extension(), None, "vCenter's plugin after the second "
           "attempt")
        check(not registered(), "registered after the failed attempt")
        eq(inst().sql("SELECT count(*) FROM settings WHERE name = "
                      "'registration.pending'"), [(0,)],
           "an attempt is still recorded as under way")
    finally:
        E.aws.control({"faults": {"vendor": None}})
        t.join(5)
        clear_draft()


@suite.test
def test_bad_proxy_down():
    t = Rerun()
    port = free_port()
    r = W.proxy("127.0.0.1", str(port))
    eq(r.status, 400, "status")
    msg = field_error(r, "proxy_host") or ""
    check("127.0.0.1:%d did not answer" % port in msg,
          "proxy_host error %r", msg)
    audited(t.mark, "register: proxy test failed")
    t.unchanged()


@suite.test
def test_bad_proxy_wrong_password():
    p = Proxy("proxy-user", "Proxy-Pass-1")
    try:
        t = Rerun()
        r = W.proxy("127.0.0.1", str(p.port), "proxy-user", "Wrong-Pass-2")
        eq(r.status, 400, "status")
        msg = field_error(r, "proxy_password") or ""
        check("refused this user name and password" in msg,
              "proxy_password error %r", msg)
        log = p.entries(0)
        check(any(x["status"] == 407 and x["auth"] == "wrong:proxy-user"
                  for x in log), "the proxy did not refuse: %r", log)
        audited(t.mark, "register: proxy refused the credentials")
        t.unchanged()
    finally:
        p.stop()


@suite.test
def test_proxy_saved_and_used_for_aws_and_portal():
    p = Proxy("proxy-user", "Proxy-Pass-1")
    target = E.aws.info["url"].split("/")[2]
    try:
        t = Rerun()
        r = W.proxy("127.0.0.1", str(p.port), "proxy-user", "Proxy-Pass-1")
        step_ok(r, "/register/aws", "proxy step")
        log = p.entries(0)
        check(any(x["status"] == 200 and x["auth"] == "proxy-user" and
                  x["target"] == target for x in log),
              "the proxy test did not go through the proxy: %r", log)
        s = settings()
        eq((s.get("draft.proxy.host"), s.get("draft.proxy.port"),
            s.get("draft.proxy.user")),
           ("127.0.0.1", str(p.port), "proxy-user"), "the draft's proxy")
        check("draft.proxy.password" in secret_names(),
              "no draft proxy password")
        audited(t.mark, "register: proxy tested and kept")
        eq(state(inst()), t.state, "the live configuration before Register")

        n = len(p.log)
        seq = E.aws.last_seq()
        step_ok(W.aws(), "/register/portal", "AWS step")
        log = p.entries(n)
        check(any(x["status"] == 200 and x["target"] == target
                  for x in log[n:]), "the AWS step did not use the proxy: "
              "%r", log[n:])
        check(any(q.get("action") == "GetCallerIdentity" and
                  q.get("status") == 200 for q in E.aws.requests(seq)),
              "the AWS double did not answer the AWS step")

        n = len(p.log)
        step_ok(W.portal(b"", action="keep"), "/register/review",
                "keep the portal key")
        r = W.register()
        eq((r.status, r.location), (303, loc("/")), "Register")
        log = p.entries(n)
        check(any(x["status"] == 200 and x["target"] == target
                  for x in log[n:]), "Register did not reach the portal "
              "through the proxy: %r", log[n:])
        s = settings()
        eq((s.get("proxy.host"), s.get("proxy.port"), s.get("proxy.user")),
           ("127.0.0.1", str(p.port), "proxy-user"), "the live proxy")
        check("proxy.password" in secret_names(), "no proxy password")
        check(re.search(r"Network proxy</dt><dd>127\.0\.0\.1", dashboard()),
              "the dashboard does not show the proxy")

        # Back to no proxy.
        step_ok(W.start(), "/register/review", "GET /register")
        step_ok(W.no_proxy(), "/register/aws", "no proxy")
        step_ok(W.aws(), "/register/portal", "AWS step")
        step_ok(W.portal(b"", action="keep"), "/register/review", "keep")
        r = W.register()
        eq((r.status, r.location), (303, loc("/")), "Register without proxy")
        check("proxy.host" not in settings(), "the proxy is still set")
        check("proxy.password" not in secret_names(),
              "the proxy password is still stored")
    finally:
        p.stop()


@suite.test
def test_discard_leaves_live_configuration():
    t = Rerun()
    step_ok(W.aws(region="eu-north-1"), "/register/portal", "AWS step")
    eq(settings().get("draft.aws.region"), "eu-north-1", "draft region")
    r = W.discard()
    eq((r.status, r.location), (303, loc("/")), "discard")
    eq(draft_rows(), [], "draft rows left")
    audited(t.mark, "register: changes discarded")
    t.unchanged()


@suite.test
def test_discard_from_a_step_leaves_live_configuration():
    t = Rerun()
    step_ok(W.aws(region="eu-north-1"), "/register/portal", "AWS step")
    r = W.c.get("/register/portal")
    check('action="/register/discard"' in r.text, "no discard on the step")
    csrf = W.c.form_csrf("/register/portal")
    r = W.c.post("/register/discard", [("csrf", csrf)])
    eq((r.status, r.location), (303, loc("/")), "discard")
    eq(draft_rows(), [], "draft rows left")
    audited(t.mark, "register: changes discarded")
    t.unchanged()


@suite.test
def test_bad_discard_by_get_refused():
    r = W.c.get("/register/discard")
    eq(r.status, 405, "GET /register/discard")


# ---- a changed vCenter certificate ----

def changed_certificate():
    """The connector registered with a vCenter double whose certificate was
    then replaced (same address, a new one): (old, new) doubles."""
    if "changed" in extra:
        return extra["changed"]
    old = start_double()
    extra["old"] = old
    ensure_registered(old)
    port = old.port
    old.stop()
    new = VCenterDouble(VC_USER, VC_PASSWORD)
    new.args[1] = str(port)
    wait_for(lambda: _try_start(new), 10, 0.2)
    check(new.info is not None, "the second double did not start")
    check(new.info["thumbprint"] != old.info["thumbprint"],
          "the second double has the same certificate")
    extra["new"] = new
    extra["changed"] = (old, new)
    return old, new


def _try_start(d):
    try:
        d.start()
        return True
    except Exception:
        d.proc = None
        return False


def drop_changed():
    """Leave the connector registered with the file's double again."""
    old, new = extra.pop("changed", (None, None))
    ensure_unregistered()
    for d in (old, new):
        if d:
            d.stop()


@suite.test
def test_bad_register_refused_after_vcenter_certificate_changed():
    old, new = changed_certificate()
    clear_draft()
    before = state(inst())
    mark = inst().audit_mark()
    step_ok(W.start(), "/register/review", "GET /register")
    r = W.register()
    eq(r.status, 400, "status")
    check("no longer the one you trusted" in (notice(r) or ""),
          "notice %r does not say the certificate changed", notice(r))
    audited(mark, "register failed")
    eq(state(inst()), before, "the stored configuration")
    eq(find_ext(new), None, "a plugin on the double with the new "
       "certificate")
    clear_draft()


@suite.test
def test_bad_changed_vcenter_certificate_shown_with_warning():
    old, new = changed_certificate()
    clear_draft()
    before = state(inst())
    step_ok(W.start(), "/register/review", "GET /register")
    step_ok(W.vcenter(new.hostport), "/register/trust", "vCenter step")
    r = W.c.get("/register/trust")
    eq(r.status, 200, "trust page")
    eq((W.shown_thumbprint() or "").upper(), new.info["thumbprint"].upper(),
       "thumbprint shown")
    check("The certificate has changed" in r.text,
          "the trust page does not warn that the certificate changed")
    check(old.info["thumbprint"].upper() in r.text.upper(),
          "the warning does not show the thumbprint trusted before")
    # Not trusted yet: the account step still holds vCenter to the old pin.
    r = W.credentials()
    eq(r.status, 400, "account step before trusting the new certificate")
    check(any("no longer the one you trusted" in e for e in errors(r)),
          "the account step says %r", errors(r))
    # The old thumbprint is not the one shown: refused.
    r = W.trust(old.info["thumbprint"])
    eq(r.status, 400, "trusting the old thumbprint")
    eq(state(inst()), before, "the stored configuration")
    eq(settings().get("vcenter.thumbprint", "").upper(),
       old.info["thumbprint"].upper(), "the pinned thumbprint")
    clear_draft()


@suite.test
def test_changed_certificate_trusted_again_is_pinned():
    old, new = changed_certificate()
    try:
        clear_draft()
        step_ok(W.start(), "/register/review", "GET /register")
        step_ok(W.vcenter(new.hostport), "/register/trust", "vCenter step")
        step_ok(W.trust(), "/register/credentials", "trust the new one")
        step_ok(W.credentials(), "/register/proxy", "account")
        step_ok(W.start(), "/register/review", "GET /register")
        r = W.register()
        eq((r.status, r.location), (303, loc("/")), "Register")
        eq(settings().get("vcenter.thumbprint", "").upper(),
           new.info["thumbprint"].upper(), "the pinned thumbprint")
        ext = find_ext(new)
        check(ext and ext["url"] == "https://127.0.0.1:%d/" % inst().port,
              "the plugin on the new double: %r", ext)
    finally:
        drop_changed()


# ---- registering again after an IP change ----

def moved_to(addr):
    """The console moved to addr (init --listen, reload), as after a new
    address from DHCP; the file's client follows it."""
    move_console(inst(), addr, W.c)
    # The programs read their origins when they start: restart them, as
    # the dashboard's Restart services does, so redirects name addr.
    p = inst().setup_tool("restart-services")
    eq(p.returncode, 0, "restart-services (%s)" % p.stderr.decode())

    def answers():
        try:
            return W.c.get("/register").location.startswith(loc("/"))
        except (OSError, AttributeError):
            W.c.close()
            return False
    check(wait_for(answers, timeout=20), "the console does not answer at "
          "%s", addr)


@suite.test
def test_reregister_after_ip_change_updates_plugin():
    ensure_registered()
    old_url = "https://127.0.0.1:%d/" % inst().port
    new_ip = "127.0.0.3"
    new_url = "https://%s:%d/" % (new_ip, inst().port)
    moved_to(new_ip)
    try:
        state_, summary, _ = health_item(inst(), "registered_ip")
        eq(state_, "warning", "Registered IP after the move (%s)" % summary)
        eq(E.find_extension()["url"], old_url, "the plugin before Register")
        mark = inst().audit_mark()
        step_ok(W.start(), "/register/review", "GET /register")
        check(new_url in W.review().text, "the review does not show %s",
              new_url)
        r = W.register()
        eq((r.status, r.location), (303, loc("/")), "Register")
        ext = E.find_extension()
        check(ext is not None, "no plugin")
        eq(ext["url"], new_url, "the plugin's URL")
        s = settings()
        eq((s.get("registration.ip"), s.get("registration.url")),
           (new_ip, new_url), "the stored registration")
        regs = [g for g in E.aws.control()["registrations"]
                if g["connector_id"] == s["connector.id"]]
        eq([g["ip"] for g in regs], [new_ip], "the portal's registration")
        text = dashboard()
        check(dashboard_registered(text), "the dashboard after Register")
        check(">%s</dd>" % new_ip in text, "the dashboard does not show the "
              "address %s", new_ip)
        audited(mark, "register: updated")
        eq(health_item(inst(), "registered_ip")[:2],
           ("ok", "The connector is registered with the address it uses "
            "now, %s." % new_ip), "Registered IP after Register")
    finally:
        moved_to("127.0.0.1")
    ensure_registered()
    eq(E.find_extension()["url"], old_url, "the plugin's URL after going "
       "back")
    eq(health_item(inst(), "registered_ip")[0], "ok", "Registered IP back "
       "at 127.0.0.1")


# ---- CSRF and Origin ----

@suite.test
def test_bad_wizard_posts_without_token_or_from_elsewhere():
    ensure_registered()
    step_ok(W.start(), "/register/review", "GET /register")
    step_ok(W.vcenter(), "/register/trust", "vCenter step")
    shown = W.shown_thumbprint()
    before = full_state()
    ext = ext_view(E.find_extension())
    mark = inst().audit_mark()
    forms = [
        ("/register/vcenter", [("vcenter_host", "127.0.0.1:1")]),
        ("/register/trust", [("thumbprint", shown)]),
        ("/register/credentials", [("vcenter_user", "other-user"),
                                   ("vcenter_password", "Other-Pass-1")]),
        ("/register/proxy", [("action", "save"), ("proxy_host", "127.0.0.1"),
                             ("proxy_port", "1")]),
        ("/register/aws", [("region", "eu-west-3"),
                           ("access_key_id", AWS_KEY),
                           ("secret_access_key", AWS_SECRET)]),
        ("/register/review", [("action", "discard")]),
        ("/register/review", [("action", "register")]),
        ("/unregister", [("action", "clear-local"), ("confirm", "clear")]),
        ("/unregister", [("action", "unregister"),
                         ("vcenter_user", VC_USER),
                         ("vcenter_password", VC_PASSWORD)]),
    ]
    bad = []
    for path, fields in forms:
        csrf = W.c.form_csrf(path)
        tries = [
            ("no token", fields, True),
            ("wrong token", [("csrf", "A" * len(csrf))] + fields, True),
            ("other origin", [("csrf", csrf)] + fields, EVIL),
            ("no origin", [("csrf", csrf)] + fields, None),
        ]
        for what, f, origin in tries:
            r = W.c.post(path, f, origin=origin)
            if r.status != 403:
                bad.append("%s %s: %d" % (path, what, r.status))
    csrf = W.c.form_csrf("/register/portal")
    upload = [("portal_config", "c.json",
               E.portal_file(key_id=FORGED_KEY, secret=FORGED_SECRET))]
    for what, f, origin in (("no token", [("action", "upload")], True),
                            ("other origin", [("csrf", csrf),
                                              ("action", "upload")], EVIL)):
        r = W.c.post_multipart("/register/portal", f, upload, origin=origin)
        if r.status != 403:
            bad.append("/register/portal %s: %d" % (what, r.status))
    check(not bad, "not refused: %s", "; ".join(bad))
    eq(full_state(), before, "the stored configuration and draft")
    eq(ext_view(E.find_extension()), ext, "vCenter's plugin")
    audited(mark, "refused: bad form token")
    audited(mark, "refused: cross-origin request")
    clear_draft()


# ---- unregistering ----

@suite.test
def test_bad_unregister_wrong_password():
    ensure_registered()
    before = state(inst())
    ext = ext_view(E.find_extension())
    mark = inst().audit_mark()
    r = W.unregister(password="Not-The-Password-9")
    eq(r.status, 400, "status")
    msg = field_error(r, "vcenter_password") or ""
    check("refused this user name and password" in msg,
          "vcenter_password error %r", msg)
    check(ext is not None and ext_view(E.find_extension()) == ext,
          "the plugin changed")
    eq(state(inst()), before, "the stored configuration")
    check(dashboard_registered(dashboard()), "no longer registered")
    audited(mark, "unregister refused: vCenter credentials")


@suite.test
def test_unregister_removes_everything():
    ensure_registered()
    regid = settings()["registration.portal_id"]
    mark = inst().audit_mark()
    r = W.unregister()
    eq((r.status, r.location), (303, loc("/")), "unregister")
    page = dashboard()
    check("Unregistered. vCenter and the portal" in page,
          "the dashboard does not say Unregistered.")
    check("Unregistered." not in dashboard(), "the notice is shown again")
    eq(E.find_extension(), None, "vCenter's plugin")
    ctl = E.aws.control()
    check(any(d["registration_id"] == regid for d in ctl["deregistrations"]),
          "the AWS double lists no deregistration of %s", regid)
    check(all(g["registration_id"] != regid for g in ctl["registrations"]),
          "the AWS double still lists %s", regid)
    s = settings()
    left = [k for k in s if k.startswith(REG_PREFIXES) or
            k.startswith("draft.")]
    eq(left, [], "registration settings left")
    left = [n for n in secret_names() if n in REG_SECRETS or
            n.startswith("draft.")]
    eq(left, [], "registration secrets left")
    check(dashboard_not_registered(dashboard()),
          "the dashboard does not say Not registered")
    audited(mark, "unregister: done")


@suite.test
def test_unregister_when_portal_fails_still_unregisters_and_warns():
    ensure_registered()
    E.aws.control({"faults": {"vendor": {"error": {
        "code": "InternalError", "status": 500}}}})
    try:
        mark = inst().audit_mark()
        r = W.unregister()
        eq(r.status, 303, "status")
        eq((r.location or "").split("/", 3)[-1], "", "redirect")
        page = W.c.get("/")
        check("the portal was not told" in page.text,
              "the dashboard does not say the portal was not told")
        check("notice warning" in page.text, "not shown as a warning")
        again = W.c.get("/")
        check("the portal was not told" not in again.text,
              "the notice is shown again on reload")
        eq(E.find_extension(), None, "vCenter's plugin")
        check(not registered(), "still registered")
        audited(mark, "unregister: done; portal not told")
    finally:
        E.aws.control({"faults": {"vendor": None}})


def unreachable_registration():
    """The connector registered with a vCenter double that is now gone."""
    s = settings()
    gone = extra.get("gone")
    if gone and registered() and s.get("vcenter.port") == str(gone.port):
        clear_draft()
        return gone
    gone = start_double()
    extra["gone"] = gone
    ensure_registered(gone)
    gone.stop()
    return gone


@suite.test
def test_unregister_vcenter_unreachable_offers_clear():
    unreachable_registration()
    before = state(inst())
    mark = inst().audit_mark()
    r = W.unregister()
    eq(r.status, 400, "status")
    check("Nothing answered" in (notice(r) or ""),
          "notice %r does not say vCenter did not answer", notice(r))
    check('value="clear-local"' in r.text,
          "the page does not offer to clear the registration locally")
    eq(state(inst()), before, "the stored configuration")
    audited(mark, "unregister failed: vCenter not reached")


@suite.test
def test_bad_clear_local_without_confirmation():
    unreachable_registration()
    before = state(inst())
    for fields in ([("action", "clear-local")],
                   [("action", "clear-local"), ("confirm", "yes")]):
        r = W.c.submit("/unregister", fields)
        eq(r.status, 400, "status for %r" % fields)
        check(field_error(r, "confirm"), "no error on the confirm box")
        eq(state(inst()), before, "the stored configuration")
    check(dashboard_registered(dashboard()), "no longer registered")


@suite.test
def test_clear_local_with_confirmation():
    unreachable_registration()
    mark = inst().audit_mark()
    r = W.c.submit("/unregister", [("action", "clear-local"),
                                   ("confirm", "clear")])
    eq((r.status, r.location), (303, loc("/")), "clear-local")
    s = settings()
    eq([k for k in s if k.startswith(REG_PREFIXES)], [],
       "registration settings left")
    eq([n for n in secret_names() if n in REG_SECRETS], [],
       "registration secrets left")
    check(dashboard_not_registered(dashboard()),
          "the dashboard does not say Not registered")
    audited(mark, "unregister: local registration cleared")
    extra.pop("gone").stop()


# ---- the audit log ----

@suite.test
def test_audit_names_every_outcome():
    # The page names some outcomes, lib/enroll.c (its actions) the others.
    src = ""
    for path in (("cgi-bin", "register.c"), ("lib", "enroll.c")):
        with open(os.path.join(TOP, *path)) as f:
            src += f.read()
    found = set(re.findall(r'app_audit\(c,\s*"([^"]+)"', src))
    found |= set(re.findall(r'audit = (?:\w+ \? )?"([^"]+)"', src))
    found |= set(re.findall(r'\s:\s*"([^"]+)";', src))
    found |= set(re.findall(r'\?\s*"([^"]+)"\s*:', src))
    found |= set(re.findall(r'refuse\(r, EF_\w+,\s*"([^"]+)"', src))
    actions = {a for a in found if a.startswith(("register", "unregister"))}
    check(len(actions) >= 20, "found only %d audit actions in register.c "
          "and enroll.c: %r", len(actions), sorted(actions))
    seen = {e.get("action") for e in inst().audit()}
    missing = sorted(actions - seen)
    eq(missing, [], "outcomes never written to the audit log")
    for e in inst().audit():
        if e.get("action", "").startswith(("register", "unregister")):
            check(e["user"] == "admin" and e["uri"].startswith(
                ("/register", "/unregister")), "audit line %r", e)


# ---- setup ----

def setup():
    global E, W
    E = Env().start()
    W = Wizard(E)


def teardown():
    for d in list(extra.values()):
        if isinstance(d, tuple):
            for x in d:
                x.stop()
        else:
            d.stop()
    if E:
        E.stop()


if __name__ == "__main__":
    t0 = time.monotonic()
    try:
        suite.run(setup, teardown)
    finally:
        print("time %.1f s" % (time.monotonic() - t0))
