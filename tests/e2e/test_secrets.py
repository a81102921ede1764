"""The credentials the registration keeps stay secret: registered with
canary values (the vCenter password, the AWS secret key and session token,
the portal secret, the proxy password), none of them is found in the
database files, the logs, the audit log or any page, in clear, base64 or
hex.  A wrong encryption key fails cleanly.  The keys page rotates the
encryption key (the connector password asked again) and the AMP-connector
key (kept only once the portal accepts a heartbeat signed with it)."""
import base64
import glob
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import PASSWORD, WRONG, Suite, check, eq  # noqa: E402
from regflow import Env, VC_USER, Wizard, copy_db_files, errors, state  # noqa
from regcheck import (PORTAL_PROBE, Proxy, aws_mark,  # noqa: E402
                      aws_requests, field_errors, notice, page_error)

suite = Suite()
S = {}


def canary(prefix, n=18):
    return prefix + secrets.token_urlsafe(n)


def key_id(prefix):
    return prefix + secrets.token_hex(8).upper()


VC_PW = canary("VcCanary-")
AWS_KEY = key_id("AKIA")
AWS_SECRET = canary("AwsCanary/")
TOKEN = canary("TokCanary", 120)
AMP_KEY = key_id("AMPKEY")
AMP_SECRET = canary("AmpCanary-")
NEW_AMP_KEY = key_id("AMPNEW")
NEW_AMP_SECRET = canary("AmpNewCanary-")
THIRD_AMP_KEY = key_id("AMPTHIRD")
THIRD_AMP_SECRET = canary("AmpThirdCanary-")
PROXY_USER = "px-canary-user"
PROXY_PW = canary("PxCanary-")
CANARIES = {"vCenter password": VC_PW, "AWS secret key": AWS_SECRET,
            "session token": TOKEN, "portal secret": AMP_SECRET,
            "proxy password": PROXY_PW, "new portal secret": NEW_AMP_SECRET,
            "third portal secret": THIRD_AMP_SECRET,
            "connector password": PASSWORD, "wrong password": WRONG}
PAGES = ["/", "/login", "/setup", "/logout", "/register",
         "/register/vcenter", "/register/trust",
         "/register/credentials", "/register/proxy", "/register/aws",
         "/register/portal", "/register/review", "/keys", "/unregister",
         "/no-such-page", "/keys/encryption", "/static/../etc/passwd"]


def forms(value):
    """value and its base64 and hex forms, as bytes."""
    b = value.encode()
    out = {"clear": b,
           "base64": base64.b64encode(b),
           "base64 unpadded": base64.b64encode(b).rstrip(b"="),
           "base64url": base64.urlsafe_b64encode(b).rstrip(b"="),
           "hex": b.hex().encode(),
           "HEX": b.hex().upper().encode()}
    return out


def hits(data, names=None, all_forms=False):
    """'<canary> (<form>)' for each canary (of names) found in data."""
    found = []
    for what, v in CANARIES.items():
        if names is not None and what not in names:
            continue
        fs = forms(v) if all_forms else {"clear": v.encode()}
        for form, b in fs.items():
            if b in data:
                found.append("%s (%s)" % (what, form))
    return found


def inst():
    return S["env"].inst


def client():
    return S["wizard"].c


def keys_dir():
    return inst().path("var/lib/connector/keys")


def key_files():
    return sorted(os.path.basename(p) for p in
                  glob.glob(os.path.join(keys_dir(), "*.key")))


def current_key():
    row = inst().sql1("SELECT key_id FROM secret_key")
    return row[0] if row else None


def shown_key(r):
    m = re.search(r"<dt>Key in use</dt><dd><code>([0-9a-f]{16})</code>",
                  r.text)
    return m.group(1) if m else None


def setting(name):
    row = inst().sql1("SELECT value FROM settings WHERE name = ?", (name,))
    return row[0] if row else None


def sealed(name):
    return inst().sql1("SELECT key_id, hex(sealed) FROM secrets WHERE "
                       "name = ?", (name,))


def all_logs():
    """name -> bytes of every log, the audit log and the console's output."""
    out = dict(inst().all_logs())
    out["connector-run output"] = "\n".join(inst().output).encode()
    return out


def pids():
    i = inst()
    return {p: (i.master_pid(p), tuple(i.workers_of(p)))
            for p in ("register", "keys", "dashboard", "login")}


def amp_file(key=AMP_KEY, secret=AMP_SECRET, **kw):
    return S["env"].portal_file(key_id=key, secret=secret, **kw)


def post_amp(data, filename="connector-config.json"):
    c = client()
    csrf = c.form_csrf("/keys")
    return c.post_multipart("/keys/amp", [("csrf", csrf)],
                            [("portal_config", filename, data)])


def rotate(password):
    c = client()
    return c.post("/keys/encryption", [("csrf", c.form_csrf("/keys")),
                                       ("password", password)])


def audit_actions(mark=0):
    return [e["action"] for e in inst().audit()[mark:] if e.get("action")]


def discard_draft():
    """Drop the wizard's draft if there is one (through the review step)."""
    if inst().sql("SELECT 1 FROM settings WHERE name = 'wizard.started'"):
        r = client().get("/register/review")
        if r.status == 200:
            eq(S["wizard"].discard().status, 303, "discard")
    check(not inst().sql("SELECT 1 FROM settings WHERE name = "
                         "'wizard.started'"), "a draft is left")


class WrongKey:
    """The key file in use holds 32 other bytes while inside the block."""

    def __enter__(self):
        files = key_files()
        eq(len(files), 1, "key files")
        self.path = os.path.join(keys_dir(), files[0])
        with open(self.path, "rb") as f:
            self.good = f.read()
        eq(len(self.good), 32, "key file size")
        other = os.urandom(32)
        with open(self.path, "r+b") as f:
            f.write(other)
        return self

    def __exit__(self, *exc):
        with open(self.path, "r+b") as f:
            f.write(self.good)
        return False


def setup():
    S["proxy"] = Proxy(PROXY_USER, PROXY_PW)
    env = S["env"] = Env(vc_password=VC_PW,
                         aws=((AWS_KEY, AWS_SECRET), (AMP_KEY, AMP_SECRET)))
    env.start()
    S["wizard"] = Wizard(env)
    S["tmp"] = tempfile.mkdtemp(prefix="connector-secrets-")


def teardown():
    try:
        if "env" in S:
            S["env"].stop()
    finally:
        if "proxy" in S:
            S["proxy"].stop()
        if "tmp" in S:
            subprocess.run(["rm", "-rf", S["tmp"]], check=False)


# ---- before the registration ----

@suite.test
def test_bad_amp_rotation_not_registered():
    c = client()
    r = c.get("/keys")
    eq(r.status, 200, "GET /keys")
    check("the connector is not registered" in r.text,
          "the keys page does not say the connector is not registered")
    check('action="/keys/amp"' not in r.text, "the AMP form is offered")
    before, amark, mark = state(inst()), aws_mark(S["env"].aws), \
        len(inst().audit())
    r = post_amp(amp_file())
    eq(r.status, 400, "status")
    check("Register the connector first" in (notice(r) or ""),
          "no 'register first': %r %r", notice(r), field_errors(r))
    eq(state(inst()), before, "stored state")
    eq(aws_requests(S["env"].aws, amark), [], "requests to the AWS double")
    check(not hits(r.body), "a secret in the page: %s", hits(r.body))
    new = inst().audit_wait(mark, lambda e: e["uri"] == "/keys/amp")
    check(new and any(e["uri"] == "/keys/amp" and e["status"] == 400
                      for e in new), "no audit entry for the refusal")


# ---- the registration with canaries ----

@suite.test
def test_register_with_canary_secrets():
    w, env = S["wizard"], S["env"]
    amark, pmark = aws_mark(env.aws), S["proxy"].mark()
    steps = [("start", w.start), ("vcenter", w.vcenter),
             ("trust", w.trust),
             ("credentials", lambda: w.credentials(password=VC_PW)),
             ("proxy", lambda: w.proxy("127.0.0.1", str(S["proxy"].port),
                                       PROXY_USER, PROXY_PW)),
             ("aws", lambda: w.aws(key=AWS_KEY, secret=AWS_SECRET,
                                   token=TOKEN)),
             ("portal", lambda: w.portal(amp_file())),
             ("register", w.register)]
    for name, step in steps:
        r = step()
        check(r.status in (302, 303), "%s: %r %s", name, r, errors(r))
    eq(r.location, inst().origin + "/", "after Register")
    names = [n for n, _, _ in state(inst())[1]]
    eq(names, ["aws.secret_access_key", "aws.session_token", "portal.secret",
               "proxy.password", "vcenter.password"], "stored secrets")
    tunnels = S["proxy"].since(pmark, settle=0.5)
    check(tunnels and all(t["auth"] == PROXY_USER for t in tunnels),
          "the proxy saw %r", tunnels)
    new = aws_requests(env.aws, amark)
    sts = [x for x in new if x.get("action") == "GetCallerIdentity"]
    check(sts and all("x-amz-security-token" in x.get("signed_headers", [])
                      for x in sts), "the session token was not sent: %r",
          sts)
    check(any(x["path"] == "/vendor/portal/register" and
              x.get("access_key") == AMP_KEY and x["status"] == 201
              for x in new), "no portal registration signed with the key")


@suite.test
def test_canaries_not_in_database():
    data = copy_db_files(inst())
    check(AWS_KEY.encode() in data and b"vcenter.password" in data,
          "the database files do not hold what the test looks for")
    found = hits(data, all_forms=True)
    check(not found, "in the database files: %s", found)


@suite.test
def test_canaries_not_in_logs():
    logs = all_logs()
    check(b"registered with vCenter" in logs.get("connector.log", b""),
          "connector.log does not tell of the registration")
    check(b"register: registered" in logs.get("audit.log", b""),
          "the audit log does not tell of the registration")
    for name in ("connector.log", "audit.log", "register.stderr",
                 "keys.stderr", "nginx-error.log"):
        check(name in logs, "no %s", name)
    found = ["%s: %s" % (n, h) for n, d in logs.items()
             for h in hits(d, all_forms=True)]
    check(not found, "in the logs: %s", found)


def bad_requests(c):
    """Answers that are error pages or forms shown again."""
    csrf = c.form_csrf("/")
    out = [
        c.get("/keys/amp"),
        c.post("/keys/encryption", [("password", PASSWORD)]),
        c.post("/register/aws", b"csrf=" + csrf.encode() +
               b"&secret_access_key=%FF"),
        c.post("/register/aws", [("csrf", csrf), ("region", "us-east-1"),
                                 ("access_key_id", "AKIA;ID"),
                                 ("secret_access_key", "")]),
        c.post("/register/credentials", [("csrf", csrf),
                                         ("vcenter_user", "x;id"),
                                         ("vcenter_password", "")]),
        c.post("/register/proxy", [("csrf", csrf), ("action", "save"),
                                   ("proxy_host", "x;id"),
                                   ("proxy_port", "1"),
                                   ("proxy_user", PROXY_USER),
                                   ("proxy_password", "")]),
        c.post("/unregister", [("csrf", csrf), ("action", "nuke")]),
    ]
    return out


@suite.test
def test_canaries_not_in_pages():
    c = client()
    answers = [(p, c.get(p)) for p in PAGES]
    answers += [("error %d" % r.status, r) for r in bad_requests(c)]
    review = dict(answers)["/register/review"]
    eq(review.status, 200, "the review page")
    check(AWS_KEY in review.text and PROXY_USER in review.text,
          "the review page does not show the key ID and proxy user")
    statuses = sorted({r.status for _, r in answers})
    check(400 in statuses and 404 in statuses and 405 in statuses,
          "not every kind of page was seen: %r", statuses)
    found = ["%s: %s" % (p, h) for p, r in answers
             for h in hits(r.body, all_forms=True)]
    check(not found, "in pages: %s", found)


# ---- a wrong encryption key ----

@suite.test
def test_bad_wrong_key_draft_start_fails_cleanly():
    """Showing the wizard reads no secret; the first step posted starts the
    draft, which cannot copy secrets it cannot open."""
    discard_draft()
    before, procs, mark = state(inst()), pids(), len(inst().audit())
    logs_before = {n: len(d) for n, d in all_logs().items()}
    with WrongKey():
        eq(client().get("/register").status, 302, "GET /register")
        r = client().submit("/register/proxy", [("action", "none")])
        eq(r.status, 500, "the first step posted with the wrong key")
        check(page_error(r) is not None, "no error page: %r", r.text[:200])
        r2 = client().get("/keys")
        eq(r2.status, 200, "the keys page")
    eq(pids(), procs, "program processes (master, workers)")
    eq(state(inst()), before, "stored state")
    check(not hits(r.body + r2.body, all_forms=True), "a secret in a page")
    grown = {n: d[logs_before.get(n, 0):] for n, d in all_logs().items()}
    check(b"does not open" in grown["connector.log"],
          "connector.log does not say the secret did not open")
    found = ["%s: %s" % (n, h) for n, d in grown.items()
             for h in hits(d, all_forms=True)]
    check(not found, "in the logs: %s", found)
    r = client().get("/register")
    eq(r.status, 302, "GET /register once the key is back")


@suite.test
def test_bad_wrong_key_review_fails_cleanly():
    c = client()
    eq(c.get("/register").status, 302, "GET /register")
    eq(c.get("/register/review").status, 200, "the review page")
    before, procs, amark = state(inst()), pids(), aws_mark(S["env"].aws)
    logs_before = {n: len(d) for n, d in all_logs().items()}
    with WrongKey():
        r = S["wizard"].register()
        eq(r.status, 400, "Register with the wrong key")
        check("could not be read" in (notice(r) or ""),
              "no clear sentence: %r", notice(r))
        r2 = c.submit("/register/credentials", [("vcenter_user", VC_USER),
                                                ("vcenter_password", "")])
        check(r2.status in (400, 500), "credentials kept with the wrong "
              "key: %r", r2)
    eq(pids(), procs, "program processes (master, workers)")
    eq(state(inst()), before, "stored state")
    eq([x["path"] for x in aws_requests(S["env"].aws, amark)], [],
       "requests to the AWS double")
    check(not hits(r.body + r2.body, all_forms=True), "a secret in a page")
    grown = {n: d[logs_before.get(n, 0):] for n, d in all_logs().items()}
    found = ["%s: %s" % (n, h) for n, d in grown.items()
             for h in hits(d, all_forms=True)]
    check(not found, "in the logs: %s", found)
    discard_draft()


@suite.test
def test_bad_rotate_with_wrong_key_fails_cleanly():
    """A rotation that cannot open the secrets changes nothing: the old
    key stays in use (its file the only one) and the secrets open again
    once the key is back."""
    kid, before, procs = current_key(), state(inst()), pids()
    mark = len(inst().audit())
    with WrongKey():
        r = rotate(PASSWORD)
        eq(r.status, 500, "rotation with the wrong key")
        check("old key stays in use" in r.text, "no clear sentence: %r",
              page_error(r))
        eq(key_files(), [kid + ".key"], "key files")
    eq(current_key(), kid, "key in use")
    eq(state(inst()), before, "stored state")
    eq(pids(), procs, "program processes (master, workers)")
    check(not hits(r.body, all_forms=True), "a secret in the page")
    check(inst().audit_wait(mark, lambda e: e["action"] ==
                            "rotate encryption key failed"),
          "no audit entry")
    eq(client().get("/register").status, 302, "the draft starts (secrets "
       "open) once the key is back")
    discard_draft()


# ---- the encryption key ----

@suite.test
def test_keys_page_shows_key_id():
    r = client().get("/keys")
    eq(r.status, 200, "GET /keys")
    kid = current_key()
    eq(shown_key(r), kid, "key id shown")
    eq(key_files(), [kid + ".key"], "key files")
    n = inst().sql1("SELECT count(*) FROM secrets")[0]
    check("<dd>%d</dd>" % n in r.text, "the count of credentials (%d) is "
          "not shown", n)
    eq(setting("portal.key_id"), AMP_KEY, "AMP key in settings")
    check(AMP_KEY in r.text, "the AMP key id is not shown")


@suite.test
def test_bad_rotate_encryption_key_wrong_password():
    kid, files, before = current_key(), key_files(), state(inst())
    failed = inst().admin()["failed_count"]
    mark = len(inst().audit())
    r = rotate(WRONG)
    eq(r.status, 400, "status")
    eq(field_errors(r).get("password"), "The password is not right.",
       "error beside the password")
    eq(inst().admin()["failed_count"], failed + 1, "failed sign-ins")
    eq(current_key(), kid, "key in use")
    eq(key_files(), files, "key files")
    eq(state(inst()), before, "stored state")
    eq(shown_key(r), kid, "key id shown")
    check(inst().audit_wait(mark, lambda e: e["action"] ==
                            "rotate encryption key refused: wrong password"),
          "no audit entry")
    check(WRONG not in r.text, "the password typed is shown back")


@suite.test
def test_rotate_encryption_key():
    old = current_key()
    other = inst().client(source="127.0.0.9")
    eq(other.post("/login", [("csrf", other.form_csrf("/login")),
                             ("password", WRONG)]).status, 403,
       "a failed sign-in elsewhere")
    failed = inst().admin()["failed_count"]
    check(failed > 0, "no failed sign-in counted")
    mark = len(inst().audit())
    r = rotate(PASSWORD)
    eq((r.status, r.location), (303, inst().origin + "/keys"), "answer")
    new = current_key()
    check(new and new != old, "key in use: %r (was %r)", new, old)
    r = client().get("/keys")
    check("Rotated." in r.text and new in r.text, "no notice of the new key")
    eq(shown_key(client().get("/keys")), new, "key id shown")
    eq(key_files(), [new + ".key"], "key files")
    eq(inst().sql("SELECT DISTINCT key_id FROM secrets"), [(new,)],
       "key ids of the secrets")
    # Asking for the password again is not a sign-in: the failed attempts
    # since the last one stay for its warning.
    eq(inst().admin()["failed_count"], failed, "failed sign-ins after the "
       "right password")
    check(inst().audit_wait(mark, lambda e: e["action"] ==
                            "rotate encryption key: ok"), "no audit entry")


@suite.test
def test_secrets_open_after_rotation():
    """The wizard again with every stored value kept: the AWS secret and
    token (GetCallerIdentity), the proxy password (the tunnels), the
    vCenter password (UpdateExtension) and the portal secret (the portal
    registration) all open under the new key."""
    w, env = S["wizard"], S["env"]
    amark, pmark, mark = aws_mark(env.aws), S["proxy"].mark(), \
        len(inst().audit())
    eq(w.start().status, 302, "start the draft")
    r = w.c.submit("/register/aws", [("region", "us-east-1"),
                                     ("access_key_id", AWS_KEY),
                                     ("secret_access_key", "")])
    eq(r.status, 303, "AWS step keeping the stored secret (%s)" % errors(r))
    r = w.portal(b"", action="keep")
    eq(r.status, 303, "portal step keeping the stored key")
    r = w.register()
    eq((r.status, r.location), (303, inst().origin + "/"),
       "Register again (%s)" % errors(r))
    check(inst().audit_wait(mark, lambda e: e["action"] ==
                            "register: updated"), "not an update")
    new = aws_requests(env.aws, amark)
    sts = [x for x in new if x.get("action") == "GetCallerIdentity"]
    check(sts and all(x["status"] == 200 and "x-amz-security-token" in
                      x.get("signed_headers", []) for x in sts),
          "GetCallerIdentity with the stored secret and token: %r", sts)
    check(any(x["path"] == "/vendor/portal/register" and x["status"] == 201
              and x.get("access_key") == AMP_KEY for x in new),
          "no portal registration signed with the stored key")
    tunnels = S["proxy"].since(pmark, settle=0.5)
    check(tunnels and all(t["auth"] == PROXY_USER and t["status"] == 200
                          for t in tunnels), "the proxy saw %r", tunnels)
    check(env.find_extension(password=VC_PW) is not None,
          "the plugin is not registered")


# ---- the AMP-connector key ----

def old_key_heartbeat():
    """A heartbeat signed with the key in settings and the old secret,
    sent straight to the portal: the probe's JSON step."""
    cfg = os.path.join(S["tmp"], "old.json")
    with open(cfg, "wb") as f:
        f.write(S["env"].portal_file(key_id=setting("portal.key_id"),
                                     secret=AMP_SECRET))
    p = subprocess.run([PORTAL_PROBE, "--ca", S["env"].aws.info["ca"],
                        "--registration-id",
                        setting("registration.portal_id"), cfg, "heartbeat"],
                       capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    return json.loads(p.stdout.splitlines()[-1])


@suite.test
def test_bad_amp_rotation_unknown_key():
    env = S["env"]
    before, amark, mark = state(inst()), aws_mark(env.aws), \
        len(inst().audit())
    r = post_amp(amp_file(NEW_AMP_KEY, NEW_AMP_SECRET))
    eq(r.status, 400, "status")
    check("does not accept the new key" in
          (field_errors(r).get("portal_config") or ""),
          "error beside the file: %r", field_errors(r))
    eq(state(inst()), before, "stored state")
    eq(setting("portal.key_id"), AMP_KEY, "AMP key in settings")
    new = aws_requests(env.aws, amark)
    eq([(x["path"], x.get("access_key"), x["status"]) for x in new],
       [("/vendor/portal/heartbeat", NEW_AMP_KEY, 403)],
       "requests to the AWS double")
    beat = old_key_heartbeat()
    check(beat.get("ok"), "a heartbeat with the old key: %r", beat)
    check(not hits(r.body, all_forms=True), "a secret in the page")
    check(inst().audit_wait(mark, lambda e: e["action"].startswith(
        "rotate AMP key failed")), "no audit entry")


@suite.test
def test_bad_amp_rotation_broken_file():
    before, amark, mark = state(inst()), aws_mark(S["env"].aws), \
        len(inst().audit())
    broken = amp_file(NEW_AMP_KEY, NEW_AMP_SECRET)[:-5]
    r = post_amp(broken)
    eq(r.status, 400, "status")
    check("not valid JSON" in (field_errors(r).get("portal_config") or ""),
          "error beside the file: %r", field_errors(r))
    eq(state(inst()), before, "stored state")
    eq(aws_requests(S["env"].aws, amark), [], "requests to the AWS double")
    check(not hits(r.body, all_forms=True), "a secret in the page")
    check(inst().audit_wait(mark, lambda e: e["action"] ==
                            "rotate AMP key refused: bad file"),
          "no audit entry")


@suite.test
def test_amp_rotation_accepted():
    env = S["env"]
    env.aws.control({"credentials": [{"access_key": NEW_AMP_KEY,
                                      "secret_key": NEW_AMP_SECRET}]})
    old_sealed = sealed("portal.secret")
    amark, pmark, mark = aws_mark(env.aws), S["proxy"].mark(), \
        len(inst().audit())
    r = post_amp(amp_file(NEW_AMP_KEY, NEW_AMP_SECRET))
    eq((r.status, r.location), (303, inst().origin + "/keys"),
       "status (%s)" % field_errors(r))
    page = client().get("/keys").text
    check("The portal accepted the new AMP-connector key" in page,
          "no notice")
    eq(setting("portal.key_id"), NEW_AMP_KEY, "AMP key in settings")
    check(NEW_AMP_KEY in page, "the keys page does not show the new key")
    check("The portal accepted" not in client().get("/keys").text,
          "the notice is shown again on reload")
    check(sealed("portal.secret") != old_sealed, "the portal secret is the "
          "old one")
    beats = [x for x in aws_requests(env.aws, amark)
             if x["path"] == "/vendor/portal/heartbeat"]
    eq([(x.get("access_key"), x["status"]) for x in beats],
       [(NEW_AMP_KEY, 200)], "heartbeats")
    tunnels = S["proxy"].since(pmark, settle=0.5)
    check(tunnels and all(t["auth"] == PROXY_USER for t in tunnels),
          "the heartbeat did not go through the proxy: %r", tunnels)
    check(inst().audit_wait(mark, lambda e: e["action"] ==
                            "rotate AMP key: ok"), "no audit entry")
    check(not hits(r.body, all_forms=True), "a secret in the page")


@suite.test
def test_bad_amp_rotation_not_undone_by_pending_draft():
    """A wizard draft started before the AMP key was rotated still holds
    the old key; finishing it must not bring the old key back."""
    env, w = S["env"], S["wizard"]
    discard_draft()
    eq(w.start().status, 302, "start the draft (it copies the key in use)")
    env.aws.control({"credentials": [{"access_key": THIRD_AMP_KEY,
                                      "secret_key": THIRD_AMP_SECRET}]})
    r = post_amp(amp_file(THIRD_AMP_KEY, THIRD_AMP_SECRET))
    eq(r.status, 303, "rotation (%s)" % field_errors(r))
    eq(setting("portal.key_id"), THIRD_AMP_KEY, "AMP key after rotation")
    w.register()
    eq(setting("portal.key_id"), THIRD_AMP_KEY,
       "AMP key after finishing the draft started before the rotation")
    discard_draft()


# ---- after it all ----

@suite.test
def test_audit_never_holds_secrets():
    actions = audit_actions()
    for want in ("register: registered", "register: updated",
                 "rotate encryption key refused: wrong password",
                 "rotate encryption key: ok",
                 "rotate AMP key failed: portal refused the new key",
                 "rotate AMP key refused: bad file", "rotate AMP key: ok"):
        check(want in actions, "no audit entry %r", want)
    data = inst().read_log("audit.log")
    found = hits(data, all_forms=True)
    check(not found, "in the audit log: %s", found)


@suite.test
def test_canaries_nowhere_after_rotations():
    c = client()
    pages = b"".join(c.get(p).body for p in PAGES)
    pages += b"".join(r.body for r in bad_requests(c))
    where = {"database": copy_db_files(inst()), "pages": pages}
    where.update(all_logs())
    found = ["%s: %s" % (n, h) for n, d in where.items()
             for h in hits(d, all_forms=True)]
    check(not found, "found: %s", found)


@suite.test
def test_unregister_with_rotated_keys():
    """Unregistering signs the portal's deregistration with the new AMP
    key (opened under the new encryption key) and forgets every secret."""
    env = S["env"]
    discard_draft()
    in_use = setting("portal.key_id")
    check(in_use in (NEW_AMP_KEY, THIRD_AMP_KEY), "AMP key in use: %r",
          in_use)
    amark = aws_mark(env.aws)
    r = S["wizard"].unregister(password=VC_PW)
    eq((r.status, r.location), (303, inst().origin + "/"),
       "unregister (%s)" % errors(r))
    dereg = [x for x in aws_requests(env.aws, amark)
             if x["path"] == "/vendor/portal/deregister"]
    eq([(x.get("access_key"), x["status"]) for x in dereg],
       [(in_use, 200)], "deregistration")
    eq(inst().sql("SELECT name FROM secrets"), [], "secrets left")
    check(env.find_extension(password=VC_PW) is None,
          "the plugin is still registered")


if __name__ == "__main__":
    suite.run(setup, teardown)
