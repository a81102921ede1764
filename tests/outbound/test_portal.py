"""lib/portal against the AWS double (tests/peers/aws), through
build/tests/portal-probe, which reads a portal configuration file, runs
register / heartbeat / deregister on one client and prints one JSON line
per step.  The double checks every signature (service "connector"), so a
call that succeeds was signed right with the configured key."""
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from email.utils import parsedate_to_datetime

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "e2e"))
from harness import AwsDouble, Suite, check, eq  # noqa: E402

PROBE = os.path.join(TOP, "build", "tests", "portal-probe")
VERSION = open(os.path.join(TOP, "VERSION")).read().strip()
KEY_ID = "AKIAPORTAL" + secrets.token_hex(6).upper()
SECRET = "PortalSecret/" + secrets.token_urlsafe(24)
AWS = AwsDouble((KEY_ID, SECRET))  # started by setup()
suite = Suite()
S = {}


def write_config(name, key_id=KEY_ID, secret=SECRET, endpoint=None,
                 raw=None):
    """A configuration file in the temporary directory; its path."""
    path = os.path.join(S["dir"], name)
    if raw is None:
        raw = json.dumps({"format": "connector-portal-config", "version": 1,
                          "key_name": "Test portal key", "key_id": key_id,
                          "secret": secret,
                          "endpoint": endpoint or S["info"]["url"] + "/"})
    with open(path, "w") as f:
        f.write(raw)
    return path


def probe(*steps, config=None, opts=(), ca=True, expect_rc=(0, 1)):
    """Run the probe; returns (step results, stdout, stderr, rc)."""
    args = [PROBE]
    if ca:
        args += ["--ca", S["info"]["ca"]]
    args += list(opts) + [config or S["config"]] + list(steps)
    p = subprocess.run(args, capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    check(p.returncode in expect_rc, "probe exit %d: %s %s", p.returncode,
          p.stdout[-500:], p.stderr[-500:])
    lines = [json.loads(x) for x in p.stdout.splitlines()]
    return lines, p.stdout, p.stderr, p.returncode


def ok(r):
    check(r["ok"], "step %s failed: %r", r["step"], r)
    return r


def refused(r, code, status=None):
    eq((r["ok"], r["kind"], r["error_code"]), (False, "service", code),
       "step %s" % r["step"])
    if status is not None:
        eq(r["status"], status, "status of %s" % r["step"])


@suite.test
def test_register_listed_with_our_fields():
    AWS.control({"reset": True})
    seq = AWS.last_seq()
    steps, _, _, _ = probe("register", opts=[
        "--connector-id", "conn-test-0001", "--hostname",
        "connector-7.example", "--ip", "10.1.2.3", "--vcenter",
        "vc.example", "--extension-key", "com.example.connector"])
    r = ok(steps[0])
    regs = AWS.control()["registrations"]
    eq(len(regs), 1, "registrations")
    reg = regs[0]
    eq(r["registration_id"], reg["registration_id"], "registration id read")
    eq((reg["connector_id"], reg["hostname"], reg["ip"], reg["version"]),
       ("conn-test-0001", "connector-7.example", "10.1.2.3", VERSION),
       "fields the double stored")
    eq(reg["vcenter"], {"host": "vc.example",
                        "extension_key": "com.example.connector"}, "vcenter")
    sent = AWS.requests(seq)
    eq([(x["method"], x["path"], x["service"], x["status"]) for x in sent],
       [("POST", "/vendor/portal/register", "connector", 201)],
       "requests the double saw")
    eq(sent[0]["access_key"], KEY_ID, "signed with the configured key")
    check(r["server_date"].endswith(" GMT"), "Date kept: %r",
          r["server_date"])


@suite.test
def test_register_without_vcenter_sends_none():
    AWS.control({"reset": True})
    steps, _, _, _ = probe("register")
    ok(steps[0])
    reg = AWS.control()["registrations"][0]
    check("vcenter" not in reg, "vcenter sent: %r", reg)
    eq(reg["connector_id"], "conn-probe-0001", "connector id")


@suite.test
def test_register_twice_same_registration():
    AWS.control({"reset": True})
    steps, _, _, _ = probe("register", "register")
    eq(ok(steps[0])["registration_id"], ok(steps[1])["registration_id"],
       "the same connector keeps its registration")
    eq(len(AWS.control()["registrations"]), 1, "registrations")


@suite.test
def test_heartbeat_recorded():
    AWS.control({"reset": True})
    steps, _, _, _ = probe("register", "heartbeat", "heartbeat:degraded")
    for r in steps:
        ok(r)
    rid = steps[0]["registration_id"]
    beats = AWS.control()["heartbeats"]
    eq([(b["registration_id"], b["status"], b["version"]) for b in beats],
       [(rid, "ok", VERSION), (rid, "degraded", VERSION)], "heartbeats")
    check(AWS.control()["registrations"][0].get("last_heartbeat"),
          "last heartbeat kept")


@suite.test
def test_deregister_removes_registration():
    AWS.control({"reset": True})
    steps, _, _, _ = probe("register", "deregister")
    ok(steps[0])
    ok(steps[1])
    state = AWS.control()
    eq(state["registrations"], [], "registrations after deregistration")
    eq([d["registration_id"] for d in state["deregistrations"]],
       [steps[0]["registration_id"]], "deregistrations")


@suite.test
def test_bad_heartbeat_after_deregister_not_registered():
    AWS.control({"reset": True})
    steps, _, _, rc = probe("register", "deregister", "heartbeat")
    ok(steps[0])
    ok(steps[1])
    refused(steps[2], "NotRegistered", 404)
    eq(steps[2]["code"], -6, "CONN_ENOTFOUND, so the caller registers again")
    eq(rc, 1, "exit status")
    eq(AWS.control()["heartbeats"], [], "heartbeats recorded")


@suite.test
def test_bad_deregister_unknown_not_registered():
    AWS.control({"reset": True})
    steps, _, _, _ = probe("deregister",
                           opts=["--registration-id", "reg-unknown-1"])
    refused(steps[0], "NotRegistered", 404)


@suite.test
def test_bad_wrong_secret_signature_does_not_match():
    AWS.control({"reset": True})
    seq = AWS.last_seq()
    wrong = write_config("wrong-secret.json",
                         secret="WrongSecret" + "0" * 29)
    steps, _, _, _ = probe("heartbeat", "deregister", "register",
                           config=wrong, opts=["--registration-id", "reg-x"])
    for r in steps:
        refused(r, "SignatureDoesNotMatch", 403)
        eq(r["error"], "SignatureDoesNotMatch", "code mapped")
    sent = AWS.requests(seq)
    eq(len(steps), 3, "steps")
    eq([x.get("code") for x in sent], ["SignatureDoesNotMatch"] * 3,
       "the double checked the signatures (no retry)")
    eq(AWS.control()["registrations"], [], "registrations")


@suite.test
def test_bad_unknown_key_invalid_client_token():
    AWS.control({"reset": True})
    unknown = write_config("unknown-key.json", key_id="AKIAUNKNOWNKEY000001")
    steps, _, _, _ = probe("register", config=unknown)
    refused(steps[0], "InvalidClientTokenId", 403)
    eq(steps[0]["error"], "InvalidClientTokenId", "code mapped")


@suite.test
def test_bad_revoked_key_refused():
    AWS.control({"reset": True, "revoked_keys": [KEY_ID]})
    try:
        steps, _, _, _ = probe("register")
    finally:
        AWS.control({"reset": True})
    refused(steps[0], "InvalidClientTokenId", 403)
    steps, _, _, _ = probe("register")
    ok(steps[0])


@suite.test
def test_bad_skewed_clock_request_expired():
    AWS.control({"reset": True, "skew_seconds": 600})
    try:
        steps, _, _, _ = probe("register")
    finally:
        AWS.control({"reset": True})
    refused(steps[0], "RequestExpired", 403)
    eq(steps[0]["error"], "RequestExpired", "code mapped")
    date = parsedate_to_datetime(steps[0]["server_date"]).timestamp()
    check(abs(date - time.time() - 600) <= 60, "Date kept: %r",
          steps[0]["server_date"])


@suite.test
def test_bad_unknown_ca_tls_error():
    AWS.control({"reset": True})
    seq = AWS.last_seq()
    other_ca = os.path.join(S["dir"], "other-ca.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", os.path.join(S["dir"], "other-ca.key"),
                    "-subj", "/CN=Another Test CA", "-days", "2",
                    "-out", other_ca], check=True, capture_output=True)
    for opts, ca in (([], False), (["--ca", other_ca], False)):
        steps, _, _, _ = probe("register", opts=opts, ca=ca)
        eq((steps[0]["ok"], steps[0]["kind"], steps[0]["http_kind"]),
           (False, "transport", "TLS"), "without trust (%r)" % opts)
    eq(AWS.requests(seq), [], "requests the double answered")


@suite.test
def test_bad_hang_times_out_within_bound():
    AWS.control({"reset": True, "faults": {"vendor": {"hang": True}}})
    try:
        t0 = time.monotonic()
        steps, _, _, _ = probe("register", opts=["--timeout-ms", "1500"])
        took = time.monotonic() - t0
    finally:
        AWS.control({"reset": True})
    eq((steps[0]["ok"], steps[0]["kind"], steps[0]["http_kind"]),
       (False, "transport", "timeout"), "hang")
    check(1.4 <= steps[0]["seconds"] < 10, "timed out after %.2f s",
          steps[0]["seconds"])
    check(took < 20, "the probe took %.1f s", took)


@suite.test
def test_bad_server_error_not_retried():
    AWS.control({"reset": True, "faults": {"vendor": {"error": {
        "code": "InternalError", "status": 503, "times": 5}}}})
    seq = AWS.last_seq()
    try:
        steps, _, _, _ = probe("register")
        seen = len(AWS.requests(seq))
    finally:
        AWS.control({"reset": True})
    refused(steps[0], "InternalError", 503)
    eq(seen, 1, "requests the double saw")


@suite.test
def test_bad_config_refused_before_any_request():
    AWS.control({"reset": True})
    seq = AWS.last_seq()
    for name, kw in (
            ("plain-http.json",
             {"endpoint": S["info"]["url"].replace("https:", "http:")}),
            ("path.json", {"endpoint": S["info"]["url"] + "/evil"}),
            ("userinfo.json", {"endpoint": S["info"]["url"].replace(
                "https://", "https://user:pw@")}),
            ("short-secret.json", {"secret": "short"}),
            ("truncated.json", {"raw": json.dumps({
                "format": "connector-portal-config", "version": 1,
                "key_name": "k", "key_id": KEY_ID,
                "secret": SECRET})[:-10]})):
        steps, _, err, rc = probe("register", config=write_config(name, **kw),
                                  expect_rc=(2,))
        eq((steps[0]["step"], steps[0]["ok"]), ("config", False), name)
        check(steps[0]["why"].endswith("."), "%s: why %r", name,
              steps[0]["why"])
    eq(AWS.requests(seq), [], "requests the double saw")


@suite.test
def test_secret_never_in_output():
    AWS.control({"reset": True})
    texts = []
    for config, steps in (
            (S["config"], ("register", "heartbeat", "deregister",
                           "heartbeat")),
            (write_config("wrong.json", secret=SECRET[::-1]),
             ("register",)),
            (write_config("bad-name.json", key_id=SECRET), ("register",)),
            (write_config("cut.json", raw=json.dumps({
                "format": "connector-portal-config", "version": 1,
                "key_name": "k", "key_id": KEY_ID, "secret": SECRET,
                "endpoint": "x"})[:-30]), ("register",))):
        _, out, err, _ = probe(*steps, config=config, expect_rc=(0, 1, 2))
        texts += [out, err]
    check(any("SignatureDoesNotMatch" in t for t in texts),
          "the refusal is reported")
    for text in texts:
        for s in (SECRET, SECRET[::-1], SECRET[:16], SECRET[-16:]):
            check(s not in text, "a secret appears in the output")


def setup():
    S["dir"] = tempfile.mkdtemp(prefix="test-portal-")
    S["info"] = AWS.start().info
    S["config"] = write_config("portal.json")


def teardown():
    AWS.stop()
    if S.get("dir"):
        shutil.rmtree(S["dir"], ignore_errors=True)


if __name__ == "__main__":
    suite.run(setup, teardown)
