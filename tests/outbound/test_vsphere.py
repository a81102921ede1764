"""lib/vsphere against the vCenter double (tests/peers/vcenter), through
build/tests/vsphere-probe, which runs calls on one session and prints JSON.
The double pages RetrievePropertiesEx answers by maxObjects like vCenter;
a small canned SOAP peer in this file covers what the double cannot show:
the exact calls and escaped names on a paged read, a quoted session cookie,
and answers that are not SOAP at all."""
import http.server
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "e2e"))
from harness import Suite, canned_server, check, eq  # noqa: E402

PROBE = os.path.join(TOP, "build", "tests", "vsphere-probe")
USER = "administrator@vsphere.local"
PASSWORD = "Probe-Pass-%s" % uuid.uuid4().hex[:12]
VMS = 7
USERS = 4
SLACK = 120     # seconds: the machine may be loaded
suite = Suite()
S = {}


def probe(*steps, trust=None, password=PASSWORD, user=USER, page=None,
          target=None, ext=()):
    """Run the probe; returns (list of step results, whole output, stderr)."""
    if trust is None:
        trust = ["--ca", S["cert"]]
    args = [PROBE, *trust, "--user", user, *ext]
    if page:
        args += ["--page", str(page)]
    args += [target or S["hostport"], *steps]
    p = subprocess.run(args, input=password + "\n", capture_output=True,
                       text=True, timeout=120)
    check(p.returncode in (0, 1), "probe exit %d: %s", p.returncode,
          p.stderr[-500:])
    out = json.loads(p.stdout)
    return out["steps"], out, p.stderr


def ok(r):
    check(r["ok"], "step %s failed: %r", r["step"], r)
    return r


def set_clock(offset):
    ctx = ssl.create_default_context(cafile=S["cert"])
    req = urllib.request.Request(
        "https://%s/control/clock?offset=%d" % (S["hostport"], offset),
        method="POST", data=b"")
    with urllib.request.urlopen(req, context=ctx, timeout=30) as f:
        eq(json.loads(f.read())["offset"], offset, "clock offset set")


@suite.test
def test_connect_records_thumbprint_and_subject():
    steps, out, _ = probe("connect")
    ok(steps[0])
    eq(out["thumbprint"], S["info"]["thumbprint"], "server thumbprint")
    check("vCenter test double" in out["subject"], "subject %r",
          out["subject"])
    check(steps[0]["product"], "product name read")


@suite.test
def test_login_with_good_password():
    steps, _, _ = probe("connect", "login", "logout")
    for r in steps:
        ok(r)


@suite.test
def test_bad_wrong_password_is_invalid_login():
    steps, _, err = probe("connect", "login", password="Not-The-Password-1")
    r = steps[1]
    check(not r["ok"], "a wrong password was accepted")
    eq((r["kind"], r["fault"]), ("fault", "InvalidLogin"), "fault")
    check(r["message"], "fault string kept")


@suite.test
def test_password_never_logged():
    _, out, err = probe("connect", "login", "time", "logout")
    _, out2, err2 = probe("connect", "login", password="Wrong-" + PASSWORD)
    for text in (err, err2, json.dumps(out), json.dumps(out2)):
        check(PASSWORD not in text, "the password appears in the output")
    check("InvalidLogin" in err2, "the refused login is logged: %r", err2)


@suite.test
def test_bad_calls_before_login_not_authenticated():
    steps, _, _ = probe("connect", "users")
    eq((steps[1]["kind"], steps[1]["fault"]), ("fault", "NotAuthenticated"),
       "fault before login")


@suite.test
def test_bad_calls_after_logout_not_authenticated():
    steps, _, _ = probe("connect", "login", "time", "logout", "time", "users",
                        "vms")
    for r in steps[:4]:
        ok(r)
    for r in steps[4:]:
        eq((r["ok"], r.get("fault")), (False, "NotAuthenticated"),
           "%s after logout" % r["step"])


@suite.test
def test_current_time_follows_clock_control():
    try:
        for offset in (3600, -7200, 0):
            set_clock(offset)
            steps, _, _ = probe("connect", "login", "time", "logout")
            got = ok(steps[2])["time"]
            want = time.time() + offset
            check(abs(got - want) < SLACK, "offset %d: server time %d, "
                  "expected about %d", offset, got, want)
    finally:
        set_clock(0)


@suite.test
def test_users_listed():
    steps, _, _ = probe("connect", "login", "users", "logout")
    eq(sorted(ok(steps[2])["users"]),
       sorted("user%d" % i for i in range(1, USERS + 1)), "users")


@suite.test
def test_vms_listed_in_small_pages():
    steps, _, _ = probe("connect", "login", "vms", "logout", page=3)
    vms = ok(steps[2])["vms"]
    eq(len(vms), VMS, "VM count")
    eq(len({v["id"] for v in vms}), VMS, "distinct VM ids")
    check(all(v["name"] for v in vms), "every VM has a name: %r", vms)
    check(all(v["power"] in ("poweredOn", "poweredOff", "suspended")
              for v in vms), "power states: %r", vms)


def double_get(hostport, cert, path):
    ctx = ssl.create_default_context(cafile=cert)
    with urllib.request.urlopen("https://%s%s" % (hostport, path),
                                context=ctx, timeout=30) as f:
        return json.loads(f.read())


@suite.test
def test_vms_read_in_seven_pages_from_double():
    many, size = 25, 4
    d = tempfile.mkdtemp(prefix="vsphere-pages-")
    proc = subprocess.Popen(
        [S["binary"], "--port", "0", "--user", USER, "--password", PASSWORD,
         "--vms", str(many), "--cert-out", d + "/cert.pem"],
        stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    try:
        info = json.loads(proc.stdout.readline())
        hostport = info["url"].split("/")[2]
        before = double_get(hostport, info["cert"], "/control/paging")
        steps, _, _ = probe("connect", "login", "vms", "logout", page=size,
                            trust=["--ca", info["cert"]], target=hostport)
        after = double_get(hostport, info["cert"], "/control/paging")
        vms = ok(steps[2])["vms"]
        eq(len(vms), many, "VM count")
        eq(len({v["name"] for v in vms}), many, "distinct VM names")
        eq(len({v["id"] for v in vms}), many, "distinct VM ids")
        calls = {k: after[k] - before[k] for k in after}
        eq((calls["RetrievePropertiesEx"], calls["paged"],
            calls["ContinueRetrievePropertiesEx"],
            calls["CancelRetrievePropertiesEx"]), (1, 1, 6, 0),
           "first page, paged answers, continuations, cancels")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(d, ignore_errors=True)


@suite.test
def test_extension_register_find_update_unregister():
    key = "com.example.connector.t%s" % uuid.uuid4().hex[:8]
    ext = ["--ext-url", "https://10.0.0.5/plugin", "--ext-company",
           "Connector & Co <test>", "--ext-email", "admin@example.com",
           "--ext-thumbprint", "AA:BB:CC"]
    # Each stage is its own process and session: the state is the double's.
    ok(probe("connect", "login", "find:" + key, "register:%s:1.0" % key,
             ext=ext)[0][3])
    r = ok(probe("connect", "login", "find:" + key)[0][2])
    check(r["found"], "not found after register")
    e = r["extension"]
    eq((e["key"], e["version"], e["url"], e["company"], e["admin_email"],
        e["server_thumbprint"]),
       (key, "1.0", "https://10.0.0.5/plugin", "Connector & Co <test>",
        "admin@example.com", "AA:BB:CC"), "registered extension")
    ok(probe("connect", "login", "update:%s:2.0" % key, ext=ext)[0][2])
    r = ok(probe("connect", "login", "find:" + key)[0][2])
    eq(r["extension"]["version"], "2.0", "version after update")
    ok(probe("connect", "login", "unregister:" + key)[0][2])
    r = ok(probe("connect", "login", "find:" + key)[0][2])
    eq(r["found"], False, "found after unregister")


@suite.test
def test_bad_duplicate_register_is_invalid_argument():
    key = "com.example.connector.d%s" % uuid.uuid4().hex[:8]
    steps, _, _ = probe("connect", "login", "register:%s:1.0" % key,
                        "register:%s:1.0" % key, "unregister:" + key)
    ok(steps[2])
    eq((steps[3]["ok"], steps[3].get("fault")), (False, "InvalidArgument"),
       "second register")
    ok(steps[4])


@suite.test
def test_bad_unregister_unknown_is_not_found():
    steps, _, _ = probe("connect", "login", "unregister:com.example.none",
                        "update:com.example.none:1.0")
    for r in steps[2:]:
        eq((r["ok"], r.get("fault")), (False, "NotFound"), r["step"])


@suite.test
def test_pinned_thumbprint_passes():
    steps, _, _ = probe("connect", "login", "time", "logout",
                        trust=["--pin", S["info"]["thumbprint"]])
    for r in steps:
        ok(r)


@suite.test
def test_bad_wrong_pinned_thumbprint_is_tls_error():
    wrong = ":".join(["AB"] * 32)
    steps, out, _ = probe("connect", trust=["--pin", wrong])
    r = steps[0]
    check(not r["ok"], "a wrong pin was accepted")
    eq((r["kind"], r["http_kind"]), ("transport", "TLS"), "error kind")
    eq(out["thumbprint"], "", "nothing recorded from a refused server")


@suite.test
def test_bad_unknown_ca_is_tls_error():
    r = probe("connect", trust=[])[0][0]
    eq((r["ok"], r.get("http_kind")), (False, "TLS"), "without trust")


@suite.test
def test_validation_off_passes():
    steps, out, err = probe("connect", "login", "logout",
                            trust=["--insecure"])
    for r in steps:
        ok(r)
    eq(out["thumbprint"], S["info"]["thumbprint"], "thumbprint recorded")
    check("validation is off" in err, "no warning logged")


@suite.test
def test_vms_paged_with_continue_and_view_destroyed():
    S["canned"].reset("paging")
    steps, _, _ = probe("connect", "login", "vms", page=3,
                        trust=["--insecure"], target=S["canned_hostport"])
    vms = ok(steps[2])["vms"]
    eq([v["id"] for v in vms], ["vm-%d" % i for i in range(7)], "VM ids")
    eq(vms[0]["name"], "machine <0> & co", "escaped name read back")
    calls = S["canned"].calls
    eq([c for c, _ in calls], ["RetrieveServiceContent", "Login",
                               "CreateContainerView", "RetrievePropertiesEx",
                               "ContinueRetrievePropertiesEx",
                               "ContinueRetrievePropertiesEx", "DestroyView"],
       "calls")
    eq(S["canned"].max_objects, "3", "maxObjects sent")
    eq({cookie for _, cookie in calls[2:]},
       {'vmware_soap_session="52c0ffee"'}, "cookie sent back")


@suite.test
def test_bad_non_soap_answer_is_protocol_error():
    S["canned"].reset("garbage")
    r = probe("connect", trust=["--insecure"],
              target=S["canned_hostport"])[0][0]
    eq((r["ok"], r.get("kind"), r.get("http_kind")),
       (False, "protocol", "HTTP status"), "503 text answer")


@suite.test
def test_bad_answer_with_dtd_refused():
    S["canned"].reset("dtd")
    r = probe("connect", trust=["--insecure"],
              target=S["canned_hostport"])[0][0]
    eq((r["ok"], r.get("kind"), r.get("http_kind")),
       (False, "protocol", "parse"), "answer with a DTD")


ENV = ('<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
       'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
       'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
       '<soapenv:Body>%s</soapenv:Body></soapenv:Envelope>')


def vm_xml(i):
    return ('<objects><obj type="VirtualMachine">vm-%d</obj><propSet><name>'
            'name</name><val xsi:type="xsd:string">machine &lt;%d&gt; '
            '&amp; co</val></propSet><propSet><name>runtime.powerState'
            '</name><val xsi:type="VirtualMachinePowerState">poweredOff'
            '</val></propSet></objects>' % (i, i))


class Canned(http.server.BaseHTTPRequestHandler):
    """A SOAP peer with fixed answers, paging 7 machines 3 at a time."""
    protocol_version = "HTTP/1.1"
    mode = "paging"
    calls = []
    max_objects = None

    @classmethod
    def reset(cls, mode):
        cls.mode, cls.calls, cls.max_objects = mode, [], None

    def log_message(self, *a):
        pass

    def answer(self, status, body, ctype="text/xml; charset=utf-8",
               headers=()):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        cls = type(self)
        if cls.mode == "garbage":
            return self.answer(503, "Service Unavailable", "text/plain")
        if cls.mode == "dtd":
            return self.answer(200, '<?xml version="1.0"?><!DOCTYPE x ['
                               '<!ENTITY a "aaaa">]>' + ENV % '&a;')
        root = ET.fromstring(body)
        call = list(root.find(
            "{http://schemas.xmlsoap.org/soap/envelope/}Body"))[0]
        method = call.tag.split("}")[1]
        cls.calls.append((method, self.headers.get("Cookie")))
        res, headers = "", []
        if method == "RetrieveServiceContent":
            res = ('<returnval><rootFolder type="Folder">group-d1</rootFolder>'
                   '<propertyCollector type="PropertyCollector">pc'
                   '</propertyCollector><viewManager type="ViewManager">vm'
                   '</viewManager><sessionManager type="SessionManager">sm'
                   '</sessionManager><about><fullName>Canned</fullName>'
                   '<apiVersion>7.0</apiVersion></about></returnval>')
        elif method == "Login":
            headers = [("Set-Cookie", 'vmware_soap_session="52c0ffee"; '
                        'Path=/; HttpOnly; Secure;')]
            res = "<returnval><key>k</key></returnval>"
        elif method == "CreateContainerView":
            res = '<returnval type="ContainerView">view-1</returnval>'
        elif method == "RetrievePropertiesEx":
            cls.max_objects = re.search(rb"<maxObjects>(\d+)</maxObjects>",
                                        body).group(1).decode()
            res = ("<returnval><token>t1</token>%s</returnval>" %
                   "".join(vm_xml(i) for i in range(3)))
        elif method == "ContinueRetrievePropertiesEx":
            tok = call.find("{urn:vim25}token").text
            if tok == "t1":
                res = ("<returnval><token>t2</token>%s</returnval>" %
                       "".join(vm_xml(i) for i in range(3, 6)))
            else:
                res = "<returnval>%s</returnval>" % vm_xml(6)
        return self.answer(200, ENV % ('<%sResponse xmlns="urn:vim25">%s'
                                       '</%sResponse>' % (method, res,
                                                          method)),
                           headers=headers)


def setup():
    S["dir"] = tempfile.mkdtemp(prefix="vsphere-")
    binary = subprocess.run([os.path.join(TOP, "tests", "peers", "vcenter",
                                          "build")], capture_output=True,
                            text=True, check=True,
                            timeout=900).stdout.strip().splitlines()[-1]
    S["binary"] = binary
    S["proc"] = subprocess.Popen(
        [binary, "--port", "0", "--user", USER, "--password", PASSWORD,
         "--vms", str(VMS), "--users", str(USERS), "--cert-out",
         S["dir"] + "/cert.pem"], stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL, text=True)
    S["info"] = json.loads(S["proc"].stdout.readline())
    S["cert"] = S["info"]["cert"]
    S["hostport"] = S["info"]["url"].split("/")[2]
    S["srv"] = canned_server(S["dir"], Canned)
    S["canned"] = Canned
    S["canned_hostport"] = "127.0.0.1:%d" % S["srv"].server_address[1]


def teardown():
    if "srv" in S:
        S["srv"].shutdown()
    p = S.get("proc")
    if p:
        p.terminate()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    shutil.rmtree(S.get("dir", "/nonexistent"), ignore_errors=True)


if __name__ == "__main__":
    suite.run(setup, teardown)
