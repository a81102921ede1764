"""The health checks that talk to the outside world, against the doubles:
a console registered through its own wizard, build/cron/connector-health
run as cron would (--only ITEM), and each item's real fault injected in a
double or the network, then removed:

  aws        key revoked, signature rejected, AWS down, AWS hanging
  vcenter    vCenter stopped, the service account's password changed,
             its certificate replaced, vCenter hanging
  time       vCenter's and AWS's clocks 20 s and 6 min off
  proxy      absent without a proxy; the proxy down, its password changed
  authproxy  absent with SAML; no role; the role denied

Each fault: state, the summary's key words and the details' stage; then
the fault removed and the next run ok.  Also: not registered, every item
not applicable (the proxy absent); and one double hanging does not hold
the other items up (their results are there, the hanging one says it did
not answer)."""
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from harness import Suite, VCenterDouble, check, eq, free_port  # noqa
from regflow import (AWS_KEY, AWS_SECRET, VC_PASSWORD, VC_USER,  # noqa: E402
                     Env, Wizard, health_rows, registered, run_health,
                     set_setting)
from regcheck import Proxy  # noqa: E402

ROLE = "arn:aws:iam::123456789012:role/portal-users"
PEER_ITEMS = ("aws", "vcenter", "time", "proxy", "authproxy")

suite = Suite()
E = None
S = {}


def inst():
    return E.inst


def run(only=None):
    """Run the health job as cron would (one item, or all); the items'
    rows afterwards: {item: (state, summary, details dict)}."""
    p = run_health(inst(), only, S["aws_env"])
    check(p.returncode in (0, 1), "connector-health status %d: %s %s",
          p.returncode, p.stdout, p.stderr[-500:])
    return health_rows(inst())


def item(name):
    """Run one item's check: (state, summary, details)."""
    rows = run(name)
    check(name in rows, "no row for %s", name)
    return rows[name]


def expect(name, state, words, stage=None):
    """Run name's check; its state is state, its summary holds every one
    of words, and its details' stage is stage (when given)."""
    got, summary, details = item(name)
    eq(got, state, "%s: state (%s)" % (name, summary))
    for w in words:
        check(w in summary, "%s: %r not in the summary %r", name, w,
              summary)
    if stage is not None:
        eq(details.get("stage"), stage, "%s: stage (%s)" % (name, details))
    return summary, details


def ok(name, *words):
    return expect(name, "ok", words)


def setting(name, value):
    set_setting(inst(), name, value)


def aws(body):
    return E.aws.control(body)


def vc_control(path, method="POST"):
    """A control of the vCenter double (its certificate may have been
    replaced: this loopback call does not check it)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    req = urllib.request.Request("https://%s%s" % (E.vc.hostport, path),
                                 data=b"" if method == "POST" else None,
                                 method=method)
    with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
        return json.loads(r.read())


# ---- the doubles, stopped and started again where they were ----

def make_cert(d):
    """A self-signed certificate for 127.0.0.1 for the vCenter double, so
    it comes back with the certificate the registration trusted."""
    cert, key = os.path.join(d, "vc.pem"), os.path.join(d, "vc.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "30", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def vc_stop():
    E.vc.stop()


def vc_start():
    E.vc = VCenterDouble(*S["vc_args"]).start()


def aws_stop():
    E.aws.stop()


def aws_start():
    E.aws.start()


# ---- the tests ----

@suite.test
def test_not_registered_every_peer_item_not_applicable():
    rows = S["unregistered"]
    for name in ("aws", "vcenter", "time", "authproxy"):
        eq(rows[name][0], "na", "%s before registration (%s)" %
           (name, rows[name][1]))
        check(rows[name][1].startswith("Not registered yet: register the "
                                       "connector to check"),
              "%s: %r", name, rows[name][1])
    eq(rows["proxy"][0], "absent", "proxy without one")


@suite.test
def test_all_peer_items_ok_after_registration():
    rows = run()
    for name in ("aws", "vcenter", "time"):
        eq(rows[name][0], "ok", "%s (%s)" % (name, rows[name][1]))
    eq(rows["proxy"][0], "absent", "no proxy set")
    s, d = ok("aws", "Signed in to AWS", "arn:aws:iam::123456789012:user/",
              "account 123456789012")
    eq(d.get("account"), "123456789012", "aws details: account")
    s, d = ok("vcenter", "Signed in to vCenter", E.vc.hostport,
              "svc-connector", "and out again")
    eq(d.get("pinned_thumbprint"), E.vc.info["thumbprint"], "pinned")


@suite.test
def test_aws_key_revoked_then_restored():
    aws({"revoked_keys": [AWS_KEY]})
    try:
        expect("aws", "error", ["AWS does not know this key ID", "revoked",
                                "enter it in Update the registration"],
               "authentication")
    finally:
        aws({"revoked_keys": []})
    ok("aws", "Signed in to AWS")


@suite.test
def test_aws_signature_rejected_then_restored():
    aws({"credentials": [{"access_key": AWS_KEY,
                          "secret_key": "another-secret-key-0002"}]})
    try:
        s, d = expect("aws", "error", ["signature did not match",
                                       "current secret access key in "
                                       "Update the registration"],
                      "authentication")
        check("SignatureDoesNotMatch" in d.get("error", ""), "error %r", d)
    finally:
        aws({"credentials": [{"access_key": AWS_KEY,
                              "secret_key": AWS_SECRET}]})
    ok("aws", "Signed in to AWS")


@suite.test
def test_aws_down_then_back():
    aws_stop()
    try:
        expect("aws", "error", ["AWS could not be reached: nothing "
                                "answered at", "firewall"], "connect")
    finally:
        aws_start()
    ok("aws", "Signed in to AWS")


@suite.test
def test_aws_hanging_costs_one_timeout():
    setting("health.timeout", "3")
    aws({"faults": {"sts": {"hang": True}}})
    try:
        s, d = expect("aws", "error", ["did not answer in time"], "http")
        eq(d.get("limit_seconds"), 3, "aws details: the limit")
    finally:
        aws({"faults": {"sts": None}})
        setting("health.timeout", None)
    ok("aws", "Signed in to AWS")


@suite.test
def test_vcenter_stopped_then_back():
    vc_stop()
    try:
        expect("vcenter", "error", ["Nothing answered at %s." %
                                    E.vc.hostport, "Check that vCenter "
                                    "runs"], "connect")
    finally:
        vc_start()
    ok("vcenter", "Signed in to vCenter")


@suite.test
def test_vcenter_password_changed_then_back():
    vc_control("/control/password?password=Changed-In-vCenter-9")
    try:
        expect("vcenter", "error", ["vCenter refused this user name and "
                                    "password", "current password in "
                                    "Update the registration"],
               "authentication")
    finally:
        vc_control("/control/password?password=" + VC_PASSWORD)
    ok("vcenter", "Signed in to vCenter")


@suite.test
def test_vcenter_certificate_replaced_shows_both_thumbprints():
    pinned = E.vc.info["thumbprint"]
    seen = vc_control("/control/certificate")["thumbprint"]
    check(seen != pinned, "the double kept its certificate")
    try:
        s, d = expect("vcenter", "error", [
            "certificate is no longer the one you trusted",
            "review the new one and trust it again",
            "in Update the registration"], "tls")
        eq(d.get("pinned_thumbprint"), pinned, "details: pinned")
        eq(d.get("seen_thumbprint"), seen, "details: seen")
    finally:
        vc_stop()
        vc_start()          # the trusted certificate again
    ok("vcenter", "Signed in to vCenter")


@suite.test
def test_vcenter_hanging_costs_one_timeout():
    setting("health.timeout", "3")
    vc_control("/control/hang?on=1")
    try:
        s, d = expect("vcenter", "error", ["did not answer in time"],
                      "http")
        eq(d.get("limit_seconds"), 3, "vcenter details: the limit")
    finally:
        vc_control("/control/hang?on=0")
        setting("health.timeout", None)
    ok("vcenter", "Signed in to vCenter")


def time_fault(set_fault, clear_fault, peer, key):
    for offset, state, words in (
            (20, "warning", ["20 s behind " + peer, "more than 15 s"]),
            (360, "error", ["6.0 min behind " + peer, "more than 5 minutes"])):
        set_fault(offset)
        try:
            s, d = expect("time", state, words)
            got = d["values"][key]
            check(abs(got - offset) < 2, "%s %r, want about %d", key, got,
                  offset)
            check("1 s" in d.get("note", "") or "to the second" in
                  d.get("note", ""), "the note on resolution: %r", d)
        finally:
            clear_fault()
        s, d = ok("time", "within 1 s of vCenter", "within 1 s of AWS")
        check(abs(d["values"][key]) < 2, "after: %r", d)


@suite.test
def test_time_vcenter_clock_off_20s_and_6min():
    time_fault(lambda s: vc_control("/control/clock?offset=%d" % s),
               lambda: vc_control("/control/clock?offset=0"),
               "vCenter", "offset_vcenter_seconds")


@suite.test
def test_time_aws_clock_off_20s_and_6min():
    time_fault(lambda s: aws({"skew_seconds": s}),
               lambda: aws({"skew_seconds": 0}),
               "AWS", "offset_aws_seconds")


@suite.test
def test_time_aws_6min_off_makes_aws_refuse_too():
    aws({"skew_seconds": 360})
    try:
        expect("aws", "error", ["clock is off by more than 5 minutes",
                                "Check the time synchronization"],
               "authentication")
    finally:
        aws({"skew_seconds": 0})
    ok("aws", "Signed in to AWS")


@suite.test
def test_authproxy_no_role_role_denied_saml():
    setting("federation.mode", None)
    setting("federation.role_arn", None)
    expect("authproxy", "warning", ["No IAM role is set",
                                    "Settings → Federation"], "local")
    setting("federation.mode", "connector")
    setting("federation.role_arn", ROLE)
    ok("authproxy", "obtained temporary credentials", ROLE)
    aws({"deny_roles": [ROLE]})
    try:
        s, d = expect("authproxy", "error", ["AccessDenied", ROLE,
                                             "trust policy"],
                      "authentication")
    finally:
        aws({"deny_roles": []})
    ok("authproxy", "obtained temporary credentials")
    setting("federation.mode", "saml")
    try:
        state, summary, _ = item("authproxy")
        eq(state, "absent", "authproxy with SAML (%s)" % summary)
    finally:
        setting("federation.mode", "connector")
    ok("authproxy", "obtained temporary credentials")


@suite.test
def test_one_hanging_double_does_not_hold_up_the_others():
    setting("health.timeout", "3")
    setting("federation.role_arn", ROLE)
    vc_control("/control/hang?on=1")
    try:
        rows = run()
    finally:
        vc_control("/control/hang?on=0")
        setting("health.timeout", None)
    eq(rows["vcenter"][0], "error", "vcenter (%s)" % rows["vcenter"][1])
    check("did not answer" in rows["vcenter"][1], "vcenter: %r",
          rows["vcenter"][1])
    eq(rows["aws"][0], "ok", "aws beside the hang (%s)" % rows["aws"][1])
    eq(rows["authproxy"][0], "ok", "authproxy (%s)" % rows["authproxy"][1])
    eq(rows["proxy"][0], "absent", "proxy")
    # The clock is compared with AWS still; vCenter's side says why not.
    state, summary, d = rows["time"]
    check(state in ("ok", "warning"), "time %s: %s", state, summary)
    check("offset_aws_seconds" in d.get("values", {}), "time: %r", d)
    check("vCenter" in summary and "did not answer" in summary,
          "time: %r", summary)


@suite.test
def test_proxy_present_down_wrong_password_then_ok():
    port = free_port()
    p = Proxy("proxy-user", "Proxy-Pass-1", port=port)
    S["proxy"] = p
    w = Wizard(E, S["client"])
    for step in (w.start, lambda: w.proxy("127.0.0.1", str(port),
                                          "proxy-user", "Proxy-Pass-1"),
                 w.aws, lambda: w.portal(b"", action="keep")):
        r = step()
        check(r.status in (302, 303), "wizard step: %r", r)
    eq(w.register().status, 303, "register again with the proxy")
    ok("proxy", "127.0.0.1:%d" % port, "as proxy-user", "tunnels to AWS")
    ok("aws", "through the proxy 127.0.0.1:%d" % port)

    p.stop()
    expect("proxy", "error", ["127.0.0.1:%d" % port, "did not answer or "
                              "refused", "Check that the proxy runs"],
           "connect")
    p = S["proxy"] = Proxy("proxy-user", "Proxy-Pass-1", port=port)
    ok("proxy", "tunnels to AWS")

    p.stop()
    p = S["proxy"] = Proxy("proxy-user", "Changed-On-Proxy-2", port=port)
    expect("proxy", "error", ["The proxy refused this user name and "
                              "password", "current ones in Update the "
                              "registration"], "connect")
    expect("aws", "error", ["407"], "connect")
    p.stop()
    p = S["proxy"] = Proxy("proxy-user", "Proxy-Pass-1", port=port)
    ok("proxy", "tunnels to AWS")
    ok("aws", "Signed in to AWS")


def setup():
    global E
    d = S["dir"] = tempfile.mkdtemp(prefix="health-peers-")
    cert, key = make_cert(d)
    vc_port = free_port()
    extra = ("--port", str(vc_port), "--cert", cert, "--key", key)
    E = Env(vc_args=extra)
    E.aws.args += ["--port", str(free_port()), "--tls-dir",
                   os.path.join(d, "aws-tls")]
    E.start()
    S["vc_args"] = (VC_USER, VC_PASSWORD, 3, 2, extra)
    S["aws_env"] = E.aws.env()
    S["unregistered"] = run()
    S["client"] = registered(E)


def teardown():
    if "proxy" in S:
        S["proxy"].stop()
    if E:
        E.stop()
    if "dir" in S:
        shutil.rmtree(S["dir"], ignore_errors=True)


if __name__ == "__main__":
    # Words on the command line pick the tests whose names hold one.
    if sys.argv[1:]:
        suite.tests = [t for t in suite.tests
                       if any(w in t.__name__ for w in sys.argv[1:])]
    suite.run(setup, teardown)
