"""Shared by the registration tests: a console in test mode (loopback
peers allowed) with the vCenter and AWS doubles, and a driver of the
registration wizard's steps through HTTP, as a browser would post them."""
import html
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile

from harness import (Instance, AwsDouble, VCenterDouble, portal_file,
                     TOP, PASSWORD, job_env)

VC_USER = "CORP\\svc-connector"
VC_PASSWORD = "Vc-Service-Pass-7"
AWS_KEY = "AKIATESTCONNECTOR001"
AWS_SECRET = "aws-test-secret-key-0001+/x"
AMP_KEY = "AMPKEYTESTCONNECTOR1"
AMP_SECRET = "amp-test-secret-0001-abcdef"
EXTENSION_KEY = "connector.console"
VSPHERE_PROBE = os.path.join(TOP, "build", "tests", "vsphere-probe")
HEALTH = os.path.join(TOP, "build", "cron", "connector-health")


class Env:
    """The doubles and one console instance started against them."""

    def __init__(self, vc_user=VC_USER, vc_password=VC_PASSWORD,
                 aws=((AWS_KEY, AWS_SECRET), (AMP_KEY, AMP_SECRET)),
                 instance_env=None, vc_users=2, vc_args=()):
        self.vc = VCenterDouble(vc_user, vc_password, users=vc_users,
                                extra=vc_args)
        self.aws = AwsDouble(*aws)
        self.inst = None
        self.instance_env = instance_env or {}

    def start(self):
        self.vc.start()
        self.aws.start()
        env = self.aws.env()
        env.update(self.instance_env)
        self.inst = Instance(env=env, args=["--allow-loopback-peers"])
        self.inst.start()
        c = self.inst.client()
        r = c.claim(self.inst.setup_code)
        if r.status != 303:
            raise RuntimeError("claim failed: %r" % r)
        return self

    def stop(self):
        if self.inst:
            self.inst.stop(check=False)
            self.inst.cleanup()
        self.aws.stop()
        self.vc.stop()

    def vc_host(self):
        return self.vc.hostport

    def portal_file(self, key_id=AMP_KEY, secret=AMP_SECRET, **kw):
        return portal_file(self.aws.info, key_id, secret, **kw)

    def find_extension(self, user=VC_USER, password=VC_PASSWORD):
        """The plugin as vCenter has it (FindExtension through our own SOAP
        client, pinned to the double's certificate): its JSON, or None."""
        p = subprocess.run(
            [VSPHERE_PROBE, "--pin", self.vc.info["thumbprint"],
             "--user", user, self.vc.hostport, "connect", "login",
             "find:" + EXTENSION_KEY, "logout"],
            input=password + "\n", capture_output=True, text=True,
            timeout=60)
        steps = json.loads(p.stdout)["steps"]
        if not all(s.get("ok") for s in steps):
            raise AssertionError("vsphere-probe failed: %r" % steps)
        find = steps[2]
        return find.get("extension") if find.get("found") else None


def errors(r):
    """The error sentences a form page shows (field errors and notices)."""
    found = re.findall(r'<p class="error" id="[^"]*">([^<]*)</p>', r.text)
    found += re.findall(r'<strong>Not saved\.</strong>\s*([^<]*)<', r.text)
    return [html.unescape(e).strip() for e in found]


class Wizard:
    """Drives the wizard with a signed-in client of env's console."""

    def __init__(self, env, client=None):
        self.env = env
        self.c = client or env.inst.signed_in_client()

    def start(self):
        return self.c.get("/register")

    def vcenter(self, host=None):
        return self.c.submit("/register/vcenter",
                             [("vcenter_host", host or self.env.vc_host())])

    def shown_thumbprint(self):
        r = self.c.get("/register/trust")
        m = re.search(r'name="thumbprint" value="([^"]+)"', r.text)
        return m.group(1) if m else None

    def trust(self, thumbprint=None):
        return self.c.submit("/register/trust", [
            ("thumbprint", thumbprint or self.shown_thumbprint())])

    def credentials(self, user=VC_USER, password=VC_PASSWORD):
        return self.c.submit("/register/credentials",
                             [("vcenter_user", user),
                              ("vcenter_password", password)])

    def no_proxy(self):
        return self.c.submit("/register/proxy", [("action", "none")])

    def proxy(self, host, port, user="", password="", no_proxy=""):
        return self.c.submit("/register/proxy", [
            ("action", "save"), ("proxy_host", host), ("proxy_port", port),
            ("proxy_user", user), ("proxy_password", password),
            ("no_proxy", no_proxy)])

    def aws(self, key=AWS_KEY, secret=AWS_SECRET, region="us-east-1",
            token=""):
        fields = [("region", region), ("access_key_id", key),
                  ("secret_access_key", secret)]
        if token:
            fields.append(("session_token", token))
        return self.c.submit("/register/aws", fields)

    def portal(self, data=None, filename="connector-config.json",
               action="upload"):
        csrf = self.c.form_csrf("/register/portal")
        files = [("portal_config", filename,
                  data if data is not None else self.env.portal_file())]
        return self.c.post_multipart("/register/portal",
                                     [("csrf", csrf), ("action", action)],
                                     files)

    def review(self):
        return self.c.get("/register/review")

    def register(self):
        return self.c.submit("/register/review", [("action", "register")])

    def discard(self):
        return self.c.submit("/register/review", [("action", "discard")])

    def run_all(self):
        """Every step with good values; returns the last answer."""
        for step in (self.start, self.vcenter, self.trust, self.credentials,
                     self.no_proxy, self.aws, self.portal):
            r = step()
            if r.status not in (302, 303):
                raise AssertionError("%s: %r %s" % (step.__name__, r,
                                                    errors(r)))
        return self.register()

    def unregister(self, user=VC_USER, password=VC_PASSWORD,
                   action="unregister", confirm=None):
        fields = [("action", action), ("vcenter_user", user),
                  ("vcenter_password", password)]
        if confirm is not None:
            fields = [("action", action), ("confirm", confirm)]
        return self.c.submit("/unregister", fields)


def state(inst):
    """Every setting and secret row of the instance, to compare before and
    after an attempt that must change nothing (drafts excluded)."""
    db = sqlite3.connect("file:%s?mode=ro" % inst.db_path, uri=True,
                         timeout=10)
    try:
        settings = db.execute(
            "SELECT name, value FROM settings WHERE name NOT LIKE 'draft.%' "
            "AND name != 'wizard.started' ORDER BY name").fetchall()
        secrets = db.execute(
            "SELECT name, key_id, hex(sealed) FROM secrets "
            "WHERE name NOT LIKE 'draft.%' ORDER BY name").fetchall()
    finally:
        db.close()
    return settings, secrets


def copy_db_files(inst):
    """The bytes of state.db and its WAL, for greps."""
    out = b""
    for suffix in ("", "-wal", "-shm"):
        p = inst.db_path + suffix
        if os.path.exists(p):
            with open(p, "rb") as f:
                out += f.read()
    return out


def run_health(inst, only=None, env=None):
    """Run the health job once as cron would, --verbose (only: one item),
    with env added to the job's environment (e.g. the AWS double's
    endpoints); the finished process, its output as text."""
    e = job_env(env)
    args = [HEALTH, "--root", inst.root, "--verbose"]
    if only:
        args += ["--only", only]
    return subprocess.run(args, env=e, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=300)


def health_rows(inst):
    """{item: (state, summary, details dict)} as the health table holds
    them."""
    return {item: (state, summary, json.loads(details or "{}"))
            for item, state, summary, details in inst.sql(
                "SELECT item, state, summary, details FROM health")}


def health_item(inst, item, env=None):
    """Run the health job for item alone: (state, summary, details)."""
    p = run_health(inst, item, env)
    if p.returncode != 0:
        raise AssertionError("health run %d: %s" % (p.returncode,
                                                    p.stderr[-500:]))
    row = health_rows(inst).get(item)
    if row is None:
        raise AssertionError("no row for %s after the run: %s" %
                             (item, p.stdout))
    return row


def set_setting(inst, name, value):
    """Set a setting of the instance (value None: remove it)."""
    if value is None:
        inst.sql("DELETE FROM settings WHERE name = ?", (name,), write=True)
    else:
        inst.sql("INSERT INTO settings (name, value) VALUES (?, ?) "
                 "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                 (name, value), write=True)


def get_setting(inst, name):
    row = inst.sql1("SELECT value FROM settings WHERE name = ?", (name,))
    return row[0] if row else None


def registered(env, client=None):
    """Register env's console with its doubles through the wizard (client:
    a signed-in client, else a new one); returns the client."""
    w = Wizard(env, client)
    r = w.run_all()
    if r.status != 303:
        raise RuntimeError("registration failed: %r %s" % (r, errors(r)))
    return w.c


def move_console(inst, addr, *clients):
    """Move the console to addr (same port) the way an administrator would:
    connector-setup init with the new listen address, then a reload of the
    web server.  clients talk to it there from then on."""
    for args in (("init", "--listen", "%s:%d" % (addr, inst.port),
                  "--allow-loopback-peers"), ("reload-nginx",)):
        p = inst.setup_tool(*args)
        if p.returncode != 0:
            raise AssertionError("%s: %s" % (args[0], p.stderr.decode()))
    for c in clients:
        c.close()
        c.host = addr
