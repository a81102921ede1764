"""The federation authentication proxy, POST /authproxy/token, against the
vCenter and AWS doubles: a console registered through its own wizard, with
federation through the connector set on the Settings page and enumerated
users put into vcenter_users; the AWS double plays the portal and signs
the calls with the AMP-connector key the connector registered with (AWS's
own signer).

Right user -> credentials of the role (the double checked the AssumeRole
signature and recorded role, session name, duration and policy).  Wrong
password, a user vCenter knows but the connector did not enumerate, an
unsigned request, another key, a replay, a date 6 minutes off, a 10 KiB
user name, a body that is not the signed one -> the same 403, nothing in
it, the real reason in the audit log.  Limits per user and per source ->
429.  SAML -> refused.  A session or API token never stands in for a
signature.  No password or credential lands in a log or the database."""
import hashlib
import json
import re
import os
import ssl
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Suite, check, eq, wait_for  # noqa: E402
from regflow import (AWS_KEY, AWS_SECRET, AMP_KEY, Env, Wizard,  # noqa
                     get_setting, health_item, health_rows, run_health,
                     set_setting)

suite = Suite()
E = None
S = {}
PATH = "/authproxy/token"
ROLE = "arn:aws:iam::123456789012:role/portal/PortalUsers"
POLICY = ('{\n  "Version": "2012-10-17",\n  "Statement": [{"Effect": "Allow",'
          ' "Action": "ec2:Describe*", "Resource": "*"}]\n}')
PACKED = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
          '"Action":"ec2:Describe*","Resource":"*"}]}')
CAP = 1800
REFUSED = b'{"status":403,"error":"The connector refused the request."}'
LIMITED = (b'{"status":429,"error":"Too many failed attempts; try again in '
           b'a few minutes."}')
UNAVAILABLE = (b'{"status":503,"error":"The connector cannot check '
               b'credentials now; try again later."}')
WRONG = "Wrong-Distinctive-Pass-4242"
USERS = 8       # user1..user8 in the vCenter double's directory


def pw(n):
    return "Directory-Pass-%d" % n


# ---- the portal's side, played by the AWS double ----

def double_post(path, body):
    ctx = ssl.create_default_context(cafile=E.aws.info["ca"])
    req = urllib.request.Request(
        E.aws.info["url"] + path, data=json.dumps(body).encode(),
        method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, context=ctx, timeout=60) as r:
        return json.loads(r.read())


def portal_call(body, **kw):
    """The double signs and sends the call: (status, headers, body)."""
    d = {"url": E.inst.origin + PATH, "body": body, "ca": E.inst.cert}
    d.update(kw)
    r = double_post("/_control/portal_call", d)
    return r["status"], r["headers"], r["body"].encode()


def signed_headers(body, **kw):
    """Headers the double signs for body (bytes), to send ourselves."""
    d = {"url": E.inst.origin + PATH,
         "body_base64": __import__("base64").b64encode(body).decode()}
    d.update(kw)
    return double_post("/_control/sign", d)["headers"]


def send(body, headers, client=None, cookies=False):
    """POST body with headers through the harness client: the Response."""
    c = client or E.inst.client()
    h = {k: v for k, v in headers.items() if k.lower() != "host"}
    return c.request("POST", PATH, body=body, headers=h, cookies=cookies)


def answer(r):
    return r.status, r.body


def creds(user, password, **extra):
    d = {"username": user, "password": password}
    d.update(extra)
    return d


def body_of(d):
    return json.dumps(d, separators=(",", ":")).encode()


# ---- what the connector and the doubles recorded ----

def assume_calls():
    return E.aws.control()["assume_role_calls"]


def audit_entry(mark, status=None, contains=""):
    """The last audit line of a proxy request after mark with status (any
    when None) and contains in its action.  nginx writes a line after its
    answer, so the previous request's may come after mark: it is told
    apart by what is expected of this one."""
    def this(e):
        return e["uri"] == PATH and (status is None or e["status"] ==
                                     status) and contains in e["action"]
    new = E.inst.audit_wait(mark, this)
    check(new, "no audit line for the request (status %s, %r)", status,
          contains)
    return [e for e in new if this(e)][-1]


def vc_logins():
    ctx = ssl._create_unverified_context()
    url = "https://%s/control/directory" % E.vc.hostport
    with urllib.request.urlopen(url, context=ctx, timeout=30) as r:
        return json.loads(r.read())["logins"]


def refused_same_way(status, body, what):
    eq(status, 403, what + ": status")
    eq(body, REFUSED, what + ": body")
    for word in (b"AccessKeyId", b"Secret", b"Token", b"vCenter",
                 b"signature"):
        check(word not in body, "%s: %r in the answer", what, word)


def refusal(call, reason, what, user=None):
    """call() answers the refusal and the audit says reason; no AssumeRole."""
    before = len(assume_calls())
    mark = E.inst.audit_mark()
    status, body = call()
    refused_same_way(status, body, what)
    e = audit_entry(mark, 403, reason)
    eq(e["status"], 403, what + ": audited status")
    check(e["action"].startswith("authproxy: refused: ") and reason in
          e["action"], "%s: audit action %r lacks %r", what, e["action"],
          reason)
    if user is not None:
        eq(e["user"], user, what + ": audited user")
    eq(len(assume_calls()), before, what + ": AssumeRole calls")
    return e


def federation(mode="connector", role=ROLE, policy=POLICY, duration=CAP):
    c = S["admin"]
    csrf = c.form_csrf("/settings")
    r = c.post("/settings/federation", [
        ("csrf", csrf), ("federation", mode), ("role_arn", role),
        ("session_policy", policy), ("duration", str(duration))])
    eq(r.status, 303, "federation settings saved")


def enumerate_users(*rows):
    E.inst.sql("DELETE FROM vcenter_users", write=True)
    for domain, principal, group in rows:
        E.inst.sql("INSERT INTO vcenter_users (domain, principal, full_name,"
                   " is_group, first_seen, last_seen, changed_at) VALUES "
                   "(?, ?, '', ?, 1, 1, 1)", (domain, principal, group),
                   write=True)


# ---- right user ----

@suite.test
def test_right_user_gets_credentials_of_the_role():
    mark = E.inst.audit_mark()
    status, headers, body = portal_call(creds("user1", pw(1)))
    eq(status, 200, "status")
    got = json.loads(body)
    eq(sorted(got), ["AccessKeyId", "Expiration", "SecretAccessKey",
                     "SessionToken"], "members")
    check(got["AccessKeyId"].startswith("ASIA"), "not temporary: %r",
          got["AccessKeyId"])
    eq(headers.get("cache-control"), "no-store", "cache-control")
    call = assume_calls()[-1]
    eq((call["caller"], call["role_arn"], call["session_name"],
        call["duration_seconds"], call["policy"]),
       (AWS_KEY, ROLE, "user1@vsphere.local", CAP, PACKED), "AssumeRole")
    e = audit_entry(mark, 200)
    eq((e["status"], e["user"], e["action"]),
       (200, "vcenter:user1@vsphere.local",
        "authproxy: issued: credentials for %d s" % CAP), "audit")
    S["issued"] = got


@suite.test
def test_credentials_are_the_roles_at_aws():
    """The answer's credentials work, as the assumed role."""
    got = S.get("issued") or json.loads(portal_call(
        creds("user1", pw(1)))[2])
    import subprocess
    env = dict(os.environ, AWS_ACCESS_KEY_ID=got["AccessKeyId"],
               AWS_SECRET_ACCESS_KEY=got["SecretAccessKey"],
               AWS_SESSION_TOKEN=got["SessionToken"])
    probe = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "build", "tests", "aws-probe")
    p = subprocess.run([probe, "--ca", E.aws.info["ca"], "--endpoint",
                        E.aws.info["url"], "identity"], env=env,
                       capture_output=True, text=True, timeout=60)
    step = json.loads(p.stdout)["steps"][0]
    check(step.get("ok"), "identity failed: %r", step)
    eq(step["identity"]["arn"], "arn:aws:sts::123456789012:assumed-role/"
       "PortalUsers/user1@vsphere.local", "identity")


@suite.test
def test_every_spelling_of_the_user_is_one_session_name():
    for typed in ("VSPHERE.LOCAL\\user1", "User1@VSPHERE.local"):
        status, _, _ = portal_call(creds(typed, pw(1)))
        eq(status, 200, typed)
        eq(assume_calls()[-1]["session_name"], "user1@vsphere.local", typed)


@suite.test
def test_duration_asked_for_is_capped():
    status, _, _ = portal_call(creds("user1", pw(1), duration_seconds=900))
    eq(status, 200, "shorter")
    eq(assume_calls()[-1]["duration_seconds"], 900, "shorter one kept")
    status, _, _ = portal_call(creds("user1", pw(1),
                                     duration_seconds=43200))
    eq(status, 200, "longer")
    eq(assume_calls()[-1]["duration_seconds"], CAP, "capped")


# ---- refused the same way ----

@suite.test
def test_bad_wrong_password_refused():
    refusal(lambda: portal_call(creds("user4", WRONG))[::2],
            "vCenter refused the user name or password", "wrong password",
            user="vcenter:user4@vsphere.local")


@suite.test
def test_bad_unknown_user_refused():
    """user2 could sign in to vCenter but was not enumerated: refused
    before its password goes anywhere."""
    before = vc_logins()
    refusal(lambda: portal_call(creds("user2", pw(2)))[::2],
            "not an enumerated vCenter user", "unknown user")
    eq(vc_logins(), before, "vCenter was not asked")


@suite.test
def test_bad_group_refused():
    refusal(lambda: portal_call(creds("group1", pw(1)))[::2],
            "not an enumerated vCenter user", "a group")


@suite.test
def test_bad_unsigned_request_refused():
    body = body_of(creds("user1", pw(1)))
    refusal(lambda: answer(send(body, {"Content-Type": "application/json"})),
            "unsigned request", "unsigned", user="-")


@suite.test
def test_bad_signature_by_another_key_refused():
    body = body_of(creds("user1", pw(1)))
    h = signed_headers(body, key_id=AWS_KEY, secret=AWS_SECRET)
    refusal(lambda: answer(send(body, h)),
            "signed with another key", "another key id", user="-")
    h = signed_headers(body, key_id=AMP_KEY, secret="not-the-amp-secret-1")
    refusal(lambda: answer(send(body, h)),
            "signature does not match", "another secret")
    h = signed_headers(body, region="eu-west-1")
    refusal(lambda: answer(send(body, h)),
            "another region or service", "another region")
    h = signed_headers(body, service="sts")
    refusal(lambda: answer(send(body, h)),
            "another region or service", "another service")


@suite.test
def test_bad_replayed_request_refused():
    body = body_of(creds("user1", pw(1)))
    h = signed_headers(body)
    r = send(body, h)
    eq(r.status, 200, "first")
    refusal(lambda: answer(send(body, h)),
            "replayed", "replay")


@suite.test
def test_bad_date_six_minutes_off_refused():
    for skew in (360, -360):
        refusal(lambda: portal_call(creds("user1", pw(1)),
                                    skew_seconds=skew)[::2],
                "too far from the connector's clock", "skew %d" % skew)


@suite.test
def test_bad_ten_kib_user_name_refused():
    refusal(lambda: portal_call(creds("u" * 10240, pw(1)))[::2],
            "body over 8192 bytes", "10 KiB user name", user="-")


@suite.test
def test_bad_user_name_over_its_cap_refused():
    refusal(lambda: portal_call(creds("u" * 300, pw(1)))[::2],
            "username is not 1 to 256 bytes", "300-byte user name")


@suite.test
def test_bad_body_over_the_web_servers_cap_refused_alike():
    body = body_of(creds("u" * 70000, pw(1)))
    h = signed_headers(body)
    mark = E.inst.audit_mark()
    r = send(body, h)
    refused_same_way(r.status, r.body, "70 KB body")
    e = audit_entry(mark, 403, "64 KiB")
    eq(e["action"], "authproxy: refused: body over 64 KiB", "audit")


@suite.test
def test_bad_body_not_the_signed_one_refused():
    signed = body_of(creds("user1", pw(1)))
    other = body_of(creds("user1", pw(1) + "x"))
    h = signed_headers(signed)
    refusal(lambda: answer(send(other, h)),
            "signature does not match", "other body")
    sha = __import__("hashlib").sha256(signed).hexdigest()
    h = signed_headers(signed, headers={"x-amz-content-sha256": sha})
    refusal(lambda: answer(send(other, h)),
            "body does not match its hash", "other body, hash header")


@suite.test
def test_bad_signed_body_not_a_request_refused():
    for body in (b"username=user1&password=x", b"[]",
                 b'{"username":"user1","password":"x","admin":true}'):
        h = signed_headers(body)
        refusal(lambda: answer(send(body, h)),
                "the body", "body %r" % body[:20])


@suite.test
def test_bad_header_tampered_after_signing_refused():
    body = body_of(creds("user1", pw(1)))
    h = signed_headers(body)
    h["content-type"] = "text/plain"
    refusal(lambda: answer(send(body, h)),
            "signature does not match", "content-type changed")
    h = signed_headers(body)
    h["authorization"] = h["authorization"].replace("SignedHeaders=",
                                                    "SignedHeaders=a;")
    refusal(lambda: answer(send(body, h)),
            "a required header not signed", "SignedHeaders changed")
    h = signed_headers(body)
    refusal(lambda: answer(E.inst.client().request(
        "POST", PATH + "?admin=1", body=body,
        headers={k: v for k, v in h.items() if k != "host"})),
        "signature does not match", "query added")


@suite.test
def test_bad_session_or_token_never_stands_in_for_a_signature():
    admin = S["admin"]
    csrf = admin.form_csrf("/settings")
    body = body_of(creds("user1", pw(1)))
    check(admin.session, "the admin client has no session")
    refusal(lambda: answer(admin.request("POST", PATH, body=body, headers={
        "Content-Type": "application/json", "Origin": E.inst.origin,
        "X-CSRF-Token": csrf})), "unsigned request", "signed-in session")
    refusal(lambda: answer(admin.post(PATH, [
        ("csrf", csrf), ("username", "user1"), ("password", pw(1))])),
        "unsigned request", "form post")
    refusal(lambda: answer(E.inst.client().request(
        "POST", PATH, body=body, headers={
            "Authorization": "Bearer " + S["api_token"],
            "Content-Type": "application/json"})), "malformed", "API token")


@suite.test
def test_bad_get_not_allowed():
    r = E.inst.client().get(PATH)
    eq(r.status, 405, "status")
    check(b"AccessKeyId" not in r.body, "credentials")


# ---- limits ----

@suite.test
def test_limit_per_user_429_before_vcenter():
    for i in range(4):
        status, _, body = portal_call(creds("user3", WRONG + str(i)))
        eq(status, 403, "failure %d" % (i + 1))
    before = vc_logins()
    mark = E.inst.audit_mark()
    status, _, body = portal_call(creds("user3", pw(3)))
    eq((status, body), (429, LIMITED), "the right password, limited")
    e = audit_entry(mark, 429)
    eq((e["status"], e["user"]), (429, "vcenter:user3@vsphere.local"), "audit")
    check("4 failed attempts for this user within 5 minutes" in e["action"],
          "audit action %r", e["action"])
    eq(vc_logins(), before, "vCenter was not asked")
    # Any spelling of the name is the same user.
    status, _, _ = portal_call(creds("VSPHERE.LOCAL\\USER3", pw(3)))
    eq(status, 429, "another spelling")
    # Another user is not limited.
    status, _, _ = portal_call(creds("user5", pw(5)))
    eq(status, 200, "another user")


@suite.test
def test_right_password_clears_the_users_failures():
    for i in range(3):
        eq(portal_call(creds("user6", WRONG))[0], 403, "failure")
    eq(portal_call(creds("user6", pw(6)))[0], 200, "right")
    for i in range(3):
        eq(portal_call(creds("user6", WRONG))[0], 403, "failure again")
    eq(portal_call(creds("user6", pw(6)))[0], 200, "not limited")


@suite.test
def test_limit_per_source_429():
    src = "198.51.100.7"
    for i in range(20):
        status, _, _ = portal_call(creds("nobody%d" % i, WRONG,
                                         source_ip=src))
        eq(status, 403, "failure %d" % (i + 1))
    mark = E.inst.audit_mark()
    status, _, body = portal_call(creds("user7", pw(7), source_ip=src))
    eq((status, body), (429, LIMITED), "limited source")
    e = audit_entry(mark, 429)
    check("20 failed attempts from this source" in e["action"] and src in
          e["action"], "audit action %r", e["action"])
    status, _, _ = portal_call(creds("user7", pw(7),
                                     source_ip="198.51.100.8"))
    eq(status, 200, "another source")


@suite.test
def test_limit_none_per_source_without_source_ip():
    """Without source_ip every call comes from the portal's address: 21
    failures of other names do not stop a right password.  (Paced below
    nginx's 20 a second per address, which is another limit.)"""
    for i in range(21):
        time.sleep(0.1)
        eq(portal_call(creds("stranger%d" % i, WRONG))[0], 403,
           "failure %d" % (i + 1))
    eq(portal_call(creds("user8", pw(8)))[0], 200, "not limited")


@suite.test
def test_limit_web_server_per_address_429_alike():
    """A flood from one address is answered by nginx before the program,
    with the program's 429."""
    c = E.inst.client(source="127.0.0.9")
    seen = {}
    mark = E.inst.audit_mark()
    for i in range(120):
        r = c.request("POST", PATH, body=b"{}", headers={
            "Content-Type": "application/json"})
        seen.setdefault(r.status, r.body)
    check(429 in seen, "no 429 in %r", sorted(seen))
    eq(seen[429], LIMITED, "429 body")
    eq(seen.get(403), REFUSED, "403 body")
    new = E.inst.audit_wait(mark, lambda e: e["status"] == 429)
    check(any(e["action"] == "authproxy: rate limited: too many requests "
              "from this address" for e in new), "nginx's 429 not audited")


# ---- off, down, refused upstream ----

@suite.test
def test_bad_saml_turns_the_proxy_off():
    federation(mode="saml")
    try:
        refusal(lambda: portal_call(creds("user1", pw(1)))[::2],
                "federation is set to SAML", "SAML")
    finally:
        federation()
    eq(portal_call(creds("user1", pw(1)))[0], 200, "through the connector")


@suite.test
def test_aws_refusing_the_role_answers_503():
    E.aws.control({"deny_roles": [ROLE]})
    try:
        mark = E.inst.audit_mark()
        status, _, body = portal_call(creds("user1", pw(1)))
        eq((status, body), (503, UNAVAILABLE), "answer")
        e = audit_entry(mark, 503)
        eq(e["action"], "authproxy: failed: AWS refused AssumeRole: "
           "AccessDenied", "audit")
    finally:
        E.aws.control({"deny_roles": []})


@suite.test
def test_vcenter_not_reached_answers_503_not_counted():
    port = E.inst.sql1("SELECT value FROM settings WHERE name = "
                       "'vcenter.port'")[0]
    E.inst.sql("UPDATE settings SET value = '1' WHERE name = 'vcenter.port'",
               write=True)
    try:
        for i in range(5):
            mark = E.inst.audit_mark()
            status, _, body = portal_call(creds("user8", pw(8)))
            eq((status, body), (503, UNAVAILABLE), "answer")
        e = audit_entry(mark, 503)
        eq(e["action"], "authproxy: failed: vCenter not reached", "audit")
    finally:
        E.inst.sql("UPDATE settings SET value = ? WHERE name = "
                   "'vcenter.port'", (port,), write=True)
    eq(portal_call(creds("user8", pw(8)))[0], 200, "not counted as failures")


@suite.test
def test_kill_9_mid_request_leaves_consistent_state():
    """The program's workers killed while AssumeRole is under way: the
    caller gets the unavailable answer, the signature stays spent, the
    user's attempt was settled before AWS was asked, the next call works."""
    import signal
    import threading
    E.aws.control({"faults": {"sts": {"latency_ms": 3000}}})
    out = {}
    t = threading.Thread(target=lambda: out.update(
        r=portal_call(creds("user5", pw(5)))))
    try:
        before = len(assume_calls())
        t.start()
        # Wait until the request is with AWS: the attempt is settled.
        check(wait_for(lambda: any(
            r.get("action") == "AssumeRole" and r.get("status") is None
            for r in E.aws.requests()[-3:]), 10),
            "the request never reached AWS")
        workers = E.inst.workers_of("authproxy")
        check(workers, "no authproxy workers")
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        t.join(30)
    finally:
        E.aws.control({"faults": {"sts": None}})
    status, _, body = out["r"]
    eq((status, body), (503, UNAVAILABLE), "answer to the killed request")
    eq(E.inst.sql1("PRAGMA integrity_check")[0], "ok", "database")
    eq(E.inst.sql1("SELECT count(*) FROM authproxy_attempts WHERE "
                   "user_key = 'user5'")[0], 0, "attempt settled")
    check(wait_for(lambda: len(E.inst.workers_of("authproxy")) == 2, 10),
          "the workers were not respawned")
    eq(portal_call(creds("user5", pw(5)))[0], 200, "the next call")
    check(len(assume_calls()) >= before + 1, "no AssumeRole after")


# ---- nothing leaked ----

@suite.test
def test_no_password_or_credential_in_any_log_or_the_database():
    got = S["issued"]
    secrets = [WRONG.encode(), pw(1).encode(), pw(3).encode(),
               got["SecretAccessKey"].encode(), got["SessionToken"].encode()]
    logs = E.inst.all_logs()
    for name, data in logs.items():
        for s in secrets:
            check(s not in data, "%r in %s", s[:12], name)
    db = b""
    for suffix in ("", "-wal", "-shm"):
        p = E.inst.db_path + suffix
        if os.path.exists(p):
            with open(p, "rb") as f:
                db += f.read()
    for s in secrets:
        check(s not in db, "%r in the database", s[:12])


@suite.test
def test_replay_table_keeps_hashes_only():
    body = body_of(creds("user1", pw(1)))
    headers = signed_headers(body)
    sig = re.search(r"Signature=([0-9a-f]{64})", headers["authorization"]).group(1)
    answer(send(body, headers))
    rows = {h for (h,) in E.inst.sql(
        "SELECT signature_hash FROM authproxy_signatures")}
    check(hashlib.sha256(sig.encode()).hexdigest() in rows,
          "the signature's SHA-256 is not recorded")
    check(sig not in rows, "the signature itself is recorded")


@suite.test
def test_bad_namesake_of_the_listed_domain_refused():
    """The list names user3 of corp.example only; the password given is
    that of user3 of vsphere.local.  vCenter is asked about
    user3@corp.example, the user the credentials would be for, and says
    no: a namesake's password never buys another domain's identity."""
    E.inst.sql("UPDATE vcenter_users SET domain = 'corp.example' "
               "WHERE principal = 'user3'", write=True)
    try:
        refusal(lambda: portal_call(creds("user3", pw(3)))[::2],
                "vCenter refused the user name or password", "namesake",
                user="vcenter:user3@corp.example")
    finally:
        E.inst.sql("UPDATE vcenter_users SET domain = 'vsphere.local' "
                   "WHERE principal = 'user3'", write=True)


# ---- the Authentication Proxy Service health item ----

HEALTH_SESSION = "connector-health-check"
RECHECK = 15 * 60


def health_asks():
    """The health item's AssumeRole calls the double accepted."""
    return [c for c in assume_calls() if c["session_name"] == HEALTH_SESSION]


def health_asked_afresh():
    """connector-health --only authproxy: asked by hand, it asks AWS."""
    n = len(health_asks())
    state, summary, d = health_item(E.inst, "authproxy", E.aws.env())
    eq(state, "ok", "authproxy by hand (%s)" % summary)
    eq(len(health_asks()), n + 1, "AssumeRole calls of a run by hand")
    eq(d["next_ask_at"], d["asked_at"] + RECHECK, "next ask")
    return d


def health_run():
    """The every-minute run, all items as cron runs it: the item's (state,
    summary, details)."""
    p = run_health(E.inst, env=E.aws.env())
    check(p.returncode in (0, 1), "health run %d: %s", p.returncode,
          p.stderr[-500:])
    return health_rows(E.inst)["authproxy"]


@suite.test
def test_health_item_asks_aws_every_15_minutes_not_every_minute():
    d0 = health_asked_afresh()
    n = len(health_asks())
    for i in range(2):
        state, summary, d = health_run()
        eq(state, "ok", "run %d (%s)" % (i, summary))
        eq(d.get("asked_at"), d0["asked_at"], "run %d: the answer kept" % i)
    eq(len(health_asks()), n, "AssumeRole calls of runs within 15 minutes")
    # The kept answer as old as the limit: the next run asks.
    E.inst.sql("UPDATE health SET details = json_set(details, '$.asked_at',"
               " ?) WHERE item = 'authproxy'", (d0["asked_at"] - RECHECK,),
               write=True)
    state, summary, d = health_run()
    eq(state, "ok", "after 15 minutes (%s)" % summary)
    eq(len(health_asks()), n + 1, "AssumeRole calls after 15 minutes")
    check(d["asked_at"] >= d0["asked_at"], "asked at %r", d)


@suite.test
def test_health_item_asks_again_when_the_settings_change():
    health_asked_afresh()
    n = len(health_asks())
    eq(health_run()[0], "ok", "kept")
    eq(len(health_asks()), n, "no call while kept")
    federation(duration=CAP - 60)
    try:
        state, summary, _ = health_run()
        eq(state, "ok", "after the change (%s)" % summary)
        eq(len(health_asks()), n + 1, "AssumeRole calls after the change")
    finally:
        federation()


def update_registration(key, secret):
    """Update the registration with other AWS keys, through the wizard."""
    w = Wizard(E, S["admin"])
    for step, args in ((w.start, ()), (w.aws, (key, secret))):
        r = step(*args)
        check(r.status in (302, 303), "%s: %r", step.__name__, r)
    r = w.register()
    eq(r.status, 303, "Update the registration with the key %s" % key)


@suite.test
def test_health_item_asks_again_when_the_registrations_keys_change():
    """The kept answer is the registration's keys' too: a new secret key
    (same key ID) or a new key ID asks afresh at the next run, with it."""
    health_asked_afresh()
    n = len(health_asks())
    eq(health_run()[0], "ok", "kept")
    eq(len(health_asks()), n, "no call while kept")
    secret2 = "aws-test-secret-key-0002+/y"
    key3, secret3 = "AKIATESTCONNECTOR003", "aws-test-secret-key-0003+/z"
    try:
        E.aws.control({"credentials": [
            {"access_key": AWS_KEY, "secret_key": secret2},
            {"access_key": key3, "secret_key": secret3}]})
        update_registration(AWS_KEY, secret2)
        state, summary, _ = health_run()
        eq(state, "ok", "after a new secret key (%s)" % summary)
        eq(len(health_asks()), n + 1, "AssumeRole calls after a new secret "
           "key of the same key ID")
        eq(health_run()[0], "ok", "kept again")
        eq(len(health_asks()), n + 1, "no call while kept again")
        update_registration(key3, secret3)
        state, summary, _ = health_run()
        eq(state, "ok", "after a new key ID (%s)" % summary)
        eq(len(health_asks()), n + 2, "AssumeRole calls after a new key ID")
        eq(health_asks()[-1]["caller"], key3, "asked with the new key")
    finally:
        E.aws.control({"credentials": [
            {"access_key": AWS_KEY, "secret_key": AWS_SECRET}]})
        update_registration(AWS_KEY, AWS_SECRET)
    eq(health_run()[0], "ok", "after the keys are back")
    eq(health_asks()[-1]["caller"], AWS_KEY, "asked with the first key again")


@suite.test
def test_health_item_asks_for_the_duration_users_get():
    """The item asks AssumeRole for the duration cap users get: a role
    whose MaxSessionDuration is below it is red, as every user's request
    fails."""
    health_asked_afresh()
    eq(health_asks()[-1]["duration_seconds"], CAP, "the duration asked")
    federation(duration=7200)
    try:
        state, summary, d = health_run()
        eq(state, "error", "a cap above the role's 1 hour (%s)" % summary)
        check("MaxSessionDuration" in d.get("error", ""), "details %r", d)
        status, _, body = portal_call(creds("user1", pw(1)))
        eq((status, body), (503, UNAVAILABLE), "a user's request")
        E.aws.control({"role_max_session": {ROLE: 43200}})
        state, summary, _ = health_run()
        eq(state, "ok", "the role allows 12 hours (%s)" % summary)
        eq(health_asks()[-1]["duration_seconds"], 7200, "the duration "
           "asked")
    finally:
        E.aws.control({"role_max_session": {}})
        federation()
        # The user's failure is not the next tests' (a run in the same
        # second would ask afresh).
        set_setting(E.inst, "federation.assume_failed_at", None)


@suite.test
def test_health_item_red_at_the_next_run_after_a_users_request_failed():
    health_asked_afresh()
    n = len(health_asks())
    E.aws.control({"deny_roles": [ROLE]})
    try:
        eq(health_run()[0], "ok", "the kept answer before any request "
           "failed")
        status, _, body = portal_call(creds("user1", pw(1)))
        eq((status, body), (503, UNAVAILABLE), "a user's request")
        check(get_setting(E.inst, "federation.assume_failed_at"),
              "the failure is not recorded")
        state, summary, d = health_run()
        eq(state, "error", "the next run (%s)" % summary)
        check("AccessDenied" in summary and ROLE in summary, "summary %r",
              summary)
        check("asked_at" not in d, "a failure kept as an answer: %r", d)
    finally:
        E.aws.control({"deny_roles": []})
    # An error is not kept: the next run asks, and it is green again.
    state, summary, _ = health_run()
    eq(state, "ok", "after the role is allowed again (%s)" % summary)
    eq(len(health_asks()), n + 1, "AssumeRole calls")


@suite.test
def test_failure_time_never_moves_back():
    """A user's failed AssumeRole records its time as the later of it and
    the one stored: a request that failed earlier but finished later
    cannot hide a later failure from the health item."""
    later = str(int(time.time()) + 3600)
    E.aws.control({"deny_roles": [ROLE]})
    try:
        set_setting(E.inst, "federation.assume_failed_at", later)
        status, _, body = portal_call(creds("user1", pw(1)))
        eq((status, body), (503, UNAVAILABLE), "a user's request")
        eq(get_setting(E.inst, "federation.assume_failed_at"), later,
           "the later time kept")
        set_setting(E.inst, "federation.assume_failed_at", "1")
        before = int(time.time())
        status, _, body = portal_call(creds("user1", pw(1)))
        eq((status, body), (503, UNAVAILABLE), "a user's request")
        at = int(get_setting(E.inst, "federation.assume_failed_at"))
        check(before <= at <= int(time.time()), "an earlier time not "
              "replaced: %r", at)
    finally:
        E.aws.control({"deny_roles": []})
        set_setting(E.inst, "federation.assume_failed_at", None)


@suite.test
def test_health_item_check_now_asks_afresh():
    health_asked_afresh()
    n = len(health_asks())
    c = S["admin"]
    r = c.post("/health/check", [("csrf", c.get("/").csrf)])
    eq(r.status, 303, "Check now")
    check(wait_for(lambda: len(health_asks()) == n + 1, 60, 0.2),
          "Check now did not ask AWS: %d calls, want %d" %
          (len(health_asks()), n + 1))


def before():
    global E
    E = Env()
    users = E.vc.args.index("--users")
    E.vc.args[users + 1] = str(USERS)
    E.vc.args += ["--groups", "1"]
    E.start()


def ready(inst):
    w = Wizard(E)
    r = w.run_all()
    eq(r.status, 303, "register")
    S["admin"] = w.c
    federation()
    enumerate_users(*[("vsphere.local", "user%d" % i, 0)
                      for i in (1, 3, 4, 5, 6, 7, 8)],
                    ("vsphere.local", "group1", 1))
    c = S["admin"]
    csrf = c.form_csrf("/settings")
    c.post("/settings/tokens", [("csrf", csrf), ("token_name", "monitor")])
    r = c.get("/settings")
    import re
    m = re.search(r'id="new-token"[^>]*value="([A-Za-z0-9_-]{43})"', r.text)
    check(m, "no API token")
    S["api_token"] = m.group(1)


def after():
    if E:
        E.stop()


if __name__ == "__main__":
    suite.main(lambda: E.inst, globals(), before=before, ready=ready,
               after=after)
