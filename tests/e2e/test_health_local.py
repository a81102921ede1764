"""The health items of this machine and this connector, each turned red (or
amber) by its real cause and green again in the next run once the cause is
gone: build/cron/connector-health --only ITEM on a console registered
against the vCenter and AWS doubles.

- Registered IP: the console really moves (connector-setup init --listen
  127.0.0.3:PORT and an nginx reload: it then answers there, and the
  certificate made for 127.0.0.1 no longer names it), and moves back.  The
  setting init writes ("ip") is also set wrong, to show the check measures
  the address rather than reading it.
- UserProvider: the vCenter double stopped, the job run: its failure, in
  its words; the double back on the same port and certificate, the job
  run again: ok.
- Poller: its runs (and the registration) moved back by an hour, which is
  what an hour without a run looks like to a check that reads times; a
  run: fresh again.
- Login: failed sign-ins (warning, with their addresses and since when),
  the one-time warning at the next sign-in, 20 failures (locked, error),
  the password reset on the VM console: ok, since the reset.
- Certificate: certificates made with openssl (under faketime for the
  expired and not-yet-valid ones) installed into tls/current and nginx
  reloaded, then the original back.
- Disk: the error threshold raised by setting health.disk_min_free_mb, and
  a 4 MiB tmpfs mounted over the log directory (root only; otherwise that
  part says SKIP).
"""
import html
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (TOP, PASSWORD, WRONG, Suite, check, eq,  # noqa
                     run_job, wait_for)
from regflow import Env, Wizard, health_item, move_console  # noqa: E402

CRON = os.path.join(TOP, "build", "cron")
TIME = r"\d{4}-\d\d-\d\d \d\d:\d\d UTC"
HOUR = 3600
# A service account of the double's own domain: the UserProvider lists it.
ACCOUNT = "vsphere.local\\svc-connector"
suite = Suite()
S = {}


def inst():
    return S["env"].inst


def run_cron(name):
    """Run cron/connector-NAME once: (status, output)."""
    rc, out, err = run_job(os.path.join(CRON, "connector-" + name),
                           inst().root, timeout=300)
    return rc, out + err


def health(item):
    return health_item(inst(), item)


def expect(item, state, pattern=None):
    """The item's state, and its summary matching pattern (a regex)."""
    got, summary, details = health(item)
    eq(got, state, "%s's state (%s)" % (item, summary))
    if pattern:
        check(re.search(pattern, summary), "%s's summary %r", item, summary)
    return summary, details


def setting(name, value):
    if value is None:
        inst().sql("DELETE FROM settings WHERE name = ?", (name,),
                   write=True)
    else:
        inst().sql("INSERT OR REPLACE INTO settings (name, value) "
                   "VALUES (?, ?)", (name, value), write=True)


def get_setting(name):
    row = inst().sql1("SELECT value FROM settings WHERE name = ?", (name,))
    return row[0] if row else None


# ---- before the registration ----

@suite.test
def test_unregistered_items_wait_for_the_registration():
    for item in ("registered_ip", "userprovider", "poller"):
        expect(item, "na", r"^Not registered yet: register the connector "
               r"to check ")
    # The machine's own items apply at once.
    expect("certificate", "ok")
    expect("disk", "ok")
    expect("login", "ok", r"^No failed sign-ins since the last successful "
           r"sign-in at " + TIME + r"\.$")


@suite.test
def test_registered_the_jobs_first_runs_are_due():
    w = Wizard(S["env"], S["client"])
    for step in (w.start, w.vcenter, w.trust,
                 lambda: w.credentials(user=ACCOUNT), w.no_proxy, w.aws,
                 w.portal, w.register):
        r = step()
        check(r.status in (302, 303), "registration: %s %r", step, r)
    eq(get_setting("registration.ip"), "127.0.0.1", "registered address")
    expect("registered_ip", "ok", r"^The connector is registered with the "
           r"address it uses now, 127\.0\.0\.1\.$")
    expect("userprovider", "na", r"^Registered at " + TIME + r": the "
           r"UserProvider's first run is due within 10 minutes\.$")
    expect("poller", "na", r"the poller's first run is due within 5 "
           r"minutes\.$")


# ---- Connector Registered IP Is Current ----

def reinit(addr):
    move_console(inst(), addr)


def answers_at(addr):
    def up():
        try:
            with socket.create_connection((addr, inst().port), timeout=2):
                return True
        except OSError:
            return False
    return wait_for(up, timeout=10)


@suite.test
def test_registered_ip_is_measured_not_read_from_the_setting():
    # "ip" is what init recorded; a wrong value there changes nothing.
    setting("ip", "10.9.9.9")
    try:
        expect("registered_ip", "ok", r"uses now, 127\.0\.0\.1\.$")
    finally:
        setting("ip", "127.0.0.1")


@suite.test
def test_registered_ip_console_moved_warns_then_ok_moved_back():
    reinit("127.0.0.3")
    try:
        check(answers_at("127.0.0.3"), "the console does not answer at "
              "127.0.0.3 after the move")
        summary, d = expect("registered_ip", "warning")
        eq(summary, "The connector's address is now 127.0.0.3; it "
           "registered as 127.0.0.1. Update the registration so vCenter "
           "and the portal reach it at 127.0.0.3.", "summary")
        eq((d["registered"], d["current"], d["stage"]),
           ("127.0.0.1", "127.0.0.3", "local"), "details")
        # The certificate made for 127.0.0.1 does not name the new address.
        summary, d = expect("certificate", "error", r"not for the "
                            r"connector's address 127\.0\.0\.3")
        eq(d["covers_address"], False, "covers")
    finally:
        reinit("127.0.0.1")
    check(answers_at("127.0.0.1"), "the console is not back at 127.0.0.1")
    expect("registered_ip", "ok", r"uses now, 127\.0\.0\.1\.$")
    expect("certificate", "ok")


@suite.test
def test_registered_ip_registration_elsewhere_warns():
    # What a registration made from another address leaves behind.
    setting("registration.ip", "192.0.2.77")
    try:
        expect("registered_ip", "warning", r"^The connector's address is "
               r"now 127\.0\.0\.1; it registered as 192\.0\.2\.77\. ")
    finally:
        setting("registration.ip", "127.0.0.1")
    expect("registered_ip", "ok")


# ---- UserProvider Service ----

@suite.test
def test_userprovider_ok_after_a_run():
    rc, out = run_cron("userprovider")
    eq(rc, 0, "job (%s)" % out)
    summary, d = expect("userprovider", "ok", r"^The UserProvider refreshed "
                        r"the list of vCenter users at " + TIME +
                        r": \d+ users, \d+ groups\.$")
    eq(d["outcome"], "ok", "outcome")
    check(d["last_success"] and d["last_run"], "times: %r", d)
    check("users" in d["counts"], "counts: %r", d)


@suite.test
def test_userprovider_vcenter_down_error_with_its_words_then_ok():
    vc = S["env"].vc
    port = vc.port
    vc.stop()
    try:
        rc, out = run_cron("userprovider")
        eq(rc, 1, "job status")
        error = inst().sql1("SELECT error FROM jobs WHERE job = "
                            "'userprovider' ORDER BY id DESC LIMIT 1")[0]
        check("nothing answered at 127.0.0.1:%d" % port in error,
              "recorded error %r", error)
        summary, d = expect("userprovider", "error", r"^The UserProvider's "
                            r"last run, at " + TIME + r", failed: ")
        check(error.rstrip(". ") in summary, "the job's words are not in "
              "%r", summary)
        check(re.search(r"Its last success was at " + TIME + r"\.$",
                        summary), "no last success in %r", summary)
        eq((d["outcome"], d["error"]), ("failed", error), "details")
    finally:
        # Back on the same port with the same certificate (the pinned one).
        vc.args += ["--port", str(port)]
        vc.start()
    rc, out = run_cron("userprovider")
    eq(rc, 0, "job after vCenter is back (%s)" % out)
    expect("userprovider", "ok")


# ---- Poller Service ----

def age_runs(job, secs):
    """Move every recorded run of job, and the registration, back secs."""
    inst().sql("UPDATE jobs SET started_at = started_at - ?, "
               "ended_at = ended_at - ? WHERE job = ?", (secs, secs, job),
               write=True)
    at = int(get_setting("registration.at"))
    setting("registration.at", str(at - secs))


@suite.test
def test_poller_ok_after_a_run():
    rc, out = run_cron("poller")
    eq(rc, 0, "poller (%s)" % out)
    summary, d = expect("poller", "ok", r"^The poller refreshed the "
                        r"migrations' status at " + TIME)
    eq(d["interval_seconds"], 300, "interval")


@suite.test
def test_poller_stale_hasnt_refreshed_then_ok_after_a_run():
    # An hour with no run: the check reads the times of the runs and of
    # the registration, so moving all of them back by an hour is what an
    # hour of silence looks like to it.
    age_runs("poller", HOUR)
    summary, d = expect("poller", "error")
    check(re.match(r"^The poller hasn't refreshed the migrations' status "
                   r"since " + TIME + r" \(it runs every 5 minutes; more "
                   r"than 10 minutes have passed\)\. If the service hasn't "
                   r"refreshed, try restarting services \(connector-setup "
                   r"restart-services on the VM console\)\.$", summary),
          "summary %r", summary)
    check(d["values"]["last_success_age_seconds"] >= HOUR, "age %r", d)
    rc, out = run_cron("poller")
    eq(rc, 0, "poller (%s)" % out)
    expect("poller", "ok")


@suite.test
def test_userprovider_stale_hasnt_refreshed():
    age_runs("userprovider", 3 * HOUR)
    expect("userprovider", "error", r"^The UserProvider hasn't refreshed "
           r"the list of vCenter users since " + TIME + r" \(it runs every "
           r"10 minutes; more than 20 minutes have passed\)")
    rc, out = run_cron("userprovider")
    eq(rc, 0, "job (%s)" % out)
    expect("userprovider", "ok")


# ---- Connector Dashboard Login ----

def fail_sign_ins(n, source):
    c = inst().client(source=source)
    for _ in range(n):
        r = c.post("/login", [("csrf", c.form_csrf("/login")),
                              ("password", WRONG)])
        check(r.status in (403,), "failed sign-in answered %r", r)
    c.close()


def notice_of(r):
    """The one-time notice a page shows: (kind, text), or None."""
    m = re.search(r'<div class="notice (\w+)" role="status" id="notice">'
                  r'.*?<div>(.*?)</div>', r.text, re.S)
    return (m.group(1), html.unescape(m.group(2)).strip()) if m else None


@suite.test
def test_login_failures_warn_with_their_sources_and_period():
    fail_sign_ins(2, "127.0.0.5")
    fail_sign_ins(1, "127.0.0.6")
    summary, d = expect("login", "warning")
    check(re.match(r"^3 failed sign-ins since the last successful sign-in "
                   r"at " + TIME + r", the last from 127\.0\.0\.6 at " +
                   TIME + r"\. The console locks after 20 in a row",
                   summary), "summary %r", summary)
    eq((d["failed"], d["locked"]), (3, False), "failed, locked")
    eq(sorted((s["address"], s["failed"]) for s in d["sources"]),
       [("127.0.0.5", 2), ("127.0.0.6", 1)], "sources")
    check(all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", s["last"])
              for s in d["sources"]), "times of the sources %r", d["sources"])
    check(d["sources_period"].startswith("failed sign-ins per address since "
                                         "the last successful sign-in at "),
          "period %r", d["sources_period"])
    check(d["since"] and d["failures_began"], "times %r", d)
    eq(d["last_failure"]["address"], "127.0.0.6", "last failure")


@suite.test
def test_login_next_sign_in_warns_once_then_ok():
    c = inst().client()
    r = c.login()
    eq(r.status, 303, "sign-in")
    r = c.get(r.location or "/")
    note = notice_of(r)
    check(note and re.match(r"^3 failed attempts since your last sign-in "
                            r"\(last from 127\.0\.0\.6 at " + TIME +
                            r"\)\.$", note[1]), "notice %r", note)
    eq(note[0], "warning", "the notice's kind")
    r = c.get("/")
    eq(notice_of(r), None, "the warning again on the next page")
    S["client"] = c
    expect("login", "ok", r"^No failed sign-ins since the last successful "
           r"sign-in at " + TIME + r"\.$")
    d = health("login")[2]
    eq(d["sources"], [], "sources after the sign-in")


@suite.test
def test_login_no_warning_without_failures():
    c = inst().client()
    r = c.login()
    eq(r.status, 303, "sign-in")
    eq(notice_of(c.get(r.location or "/")), None, "a notice without failures")


@suite.test
def test_login_key_rotation_is_not_a_sign_in():
    """Keys -> rotate asks for the password again: the right one keeps the
    failed attempts since the last sign-in (the item stays amber and the
    next sign-in still warns); a wrong one counts as a failed attempt."""
    c = inst().signed_in_client()

    def rotate(password):
        return c.post("/keys/encryption", [("csrf", c.form_csrf("/keys")),
                                           ("password", password)])
    fail_sign_ins(2, "127.0.0.8")
    r = rotate(PASSWORD)
    eq(r.status, 303, "rotation with the right password")
    eq(inst().admin()["failed_count"], 2, "failures after the rotation")
    expect("login", "warning", r"^2 failed sign-ins since the last "
           r"successful sign-in at " + TIME + r", the last from "
           r"127\.0\.0\.8 at ")
    r = rotate(WRONG)
    eq(r.status, 400, "rotation with a wrong password")
    eq(inst().admin()["failed_count"], 3, "the wrong password counted")
    c2 = inst().client()
    r = c2.login()
    eq(r.status, 303, "sign-in")
    note = notice_of(c2.get(r.location or "/"))
    check(note and re.match(r"^3 failed attempts since your last sign-in "
                            r"\(last from 127\.0\.0\.1 at " + TIME +
                            r"\)\.$", note[1]), "notice %r", note)
    expect("login", "ok")


@suite.test
def test_login_locked_error_then_ok_after_reset():
    fail_sign_ins(20, "127.0.0.7")
    eq(inst().admin()["locked"], 1, "locked")
    summary, d = expect("login", "error")
    check(re.match(r"^The console is locked after 20 failed sign-ins since " +
                   TIME + r"\. Reset the password on the VM console "
                   r"\(connector-setup reset-password, menu option 1\) to "
                   r"unlock it\.$", summary), "summary %r", summary)
    eq((d["failed"], d["locked"], d["stage"]), (20, True, "authentication"),
       "details")
    check(d["locked_at"], "no time of the lock: %r", d)
    p = inst().setup_tool("reset-password", stdin=PASSWORD + "\n" + PASSWORD +
                          "\n")
    eq(p.returncode, 0, "reset (%s)" % p.stderr.decode())
    summary, d = expect("login", "ok", r"^No failed sign-ins since the "
                        r"password was set at " + TIME + r"\.$")
    # The 20 are still in the totals, not in this period's table.
    eq(d["sources"], [], "sources since the reset")
    eq(inst().sql1("SELECT total FROM login_sources WHERE addr = "
                   "'127.0.0.7'")[0], 20, "total kept")
    S["client"] = inst().signed_in_client()


# ---- SSL Certificate ----

def make_cert(san, days, shift=None):
    """A certificate and key by openssl for subjectAltName san, valid for
    days; made under faketime shift ("-40d") when given.  Its directory."""
    d = tempfile.mkdtemp(prefix="tls-", dir=inst().path("var/lib/connector/"
                                                       "tls"))
    cmd = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
           "ec_paramgen_curve:P-256", "-nodes", "-days", str(days),
           "-subj", "/CN=test", "-addext", "subjectAltName=" + san,
           "-keyout", os.path.join(d, "key.pem"),
           "-out", os.path.join(d, "cert.pem")]
    if shift:
        cmd = ["faketime", "-f", shift] + cmd
    subprocess.run(cmd, check=True, capture_output=True, timeout=60)
    os.chmod(d, 0o700)
    return d


def install(version_dir):
    """Point tls/current at version_dir by one rename, reload nginx."""
    tls = inst().path("var/lib/connector/tls")
    link = os.path.join(tls, "current.test")
    if os.path.lexists(link):
        os.unlink(link)
    os.symlink(os.path.basename(version_dir), link)
    os.rename(link, os.path.join(tls, "current"))
    p = inst().setup_tool("reload-nginx")
    eq(p.returncode, 0, "reload (%s)" % p.stderr.decode())


def served_cert():
    """The certificate nginx serves now (DER), unverified."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", inst().port), 10) as s:
        with ctx.wrap_socket(s) as t:
            return t.getpeercert(binary_form=True)


def with_cert(version_dir, fn):
    tls = inst().path("var/lib/connector/tls")
    original = os.readlink(os.path.join(tls, "current"))
    install(version_dir)
    try:
        with open(os.path.join(version_dir, "cert.pem")) as f:
            want = ssl.PEM_cert_to_DER_cert(f.read())
        check(wait_for(lambda: served_cert() == want, timeout=10),
              "nginx does not serve the installed certificate")
        fn()
    finally:
        install(os.path.join(tls, original))
        shutil.rmtree(version_dir, ignore_errors=True)
    expect("certificate", "ok", r"^The console's certificate is valid until " +
           TIME + r" for 127\.0\.0\.1 \(self-signed\)\.$")


@suite.test
def test_certificate_expiring_in_10_days_warns():
    def look():
        summary, d = expect("certificate", "warning", r"^The console's "
                            r"certificate expires at " + TIME +
                            r", in (9|10) days\. Make a new one on the VM "
                            r"console: ")
        check(0 < d["values"]["certificate_expiry_seconds"] <= 10 * 86400,
              "seconds left %r", d["values"])
        eq(d["names"], [{"type": "IP", "name": "127.0.0.1"}], "names")
    with_cert(make_cert("IP:127.0.0.1", 10), look)


@suite.test
def test_certificate_expired_error():
    def look():
        summary, d = expect("certificate", "error", r"^The console's "
                            r"certificate expired at " + TIME +
                            r": browsers refuse it\.")
        eq(d["stage"], "tls", "stage")
        check(d["values"]["certificate_expiry_seconds"] < 0, "seconds %r",
              d["values"])
    with_cert(make_cert("IP:127.0.0.1", 30, shift="-40d"), look)


@suite.test
def test_certificate_not_yet_valid_error():
    def look():
        expect("certificate", "error", r"^The console's certificate is "
               r"valid only from " + TIME + r": browsers refuse it until "
               r"then\. Check this machine's clock")
    with_cert(make_cert("IP:127.0.0.1", 30, shift="+5d"), look)


@suite.test
def test_certificate_for_another_address_error():
    def look():
        summary, d = expect("certificate", "error", r"^The console's "
                            r"certificate is for IP:192\.0\.2\.99, "
                            r"DNS:other\.example, not for the connector's "
                            r"address 127\.0\.0\.1: ")
        eq(d["covers_address"], False, "covers")
        eq(d["self_signed"], True, "self-signed")
        check(re.match(r"^([0-9A-F]{2}:){31}[0-9A-F]{2}$", d["sha256"]),
              "sha256 %r", d["sha256"])
    with_cert(make_cert("IP:192.0.2.99,DNS:other.example", 365), look)


@suite.test
def test_certificate_bad_garbage_file_error():
    d = tempfile.mkdtemp(prefix="tls-", dir=inst().path("var/lib/connector/"
                                                       "tls"))
    shutil.copy(os.path.join(inst().path("var/lib/connector/tls/current"),
                             "key.pem"), d)
    with open(os.path.join(d, "cert.pem"), "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\nnot one\n"
                "-----END CERTIFICATE-----\n")
    tls = inst().path("var/lib/connector/tls")
    original = os.readlink(os.path.join(tls, "current"))
    link = os.path.join(tls, "current.test")
    os.symlink(os.path.basename(d), link)
    os.rename(link, os.path.join(tls, "current"))   # no reload: nginx keeps
    try:                                             # the one it has
        summary, det = expect("certificate", "error", r"^The console's "
                              r"certificate \S+/cert\.pem cannot be read "
                              r"as a certificate\.")
        eq(det["error"], "not a PEM certificate", "error")
    finally:
        os.symlink(original, link)
        os.rename(link, os.path.join(tls, "current"))
        shutil.rmtree(d, ignore_errors=True)
    expect("certificate", "ok")


# ---- Disk Space ----

@suite.test
def test_disk_raised_threshold_error_then_ok():
    st = os.statvfs(inst().path("var/lib/connector"))
    free_mb = st.f_bavail * st.f_frsize // (1024 * 1024)
    setting("health.disk_min_free_mb", str(free_mb + 1024))
    try:
        summary, d = expect("disk", "error", r"^Only \S+ \S+ of \S+ \S+ free "
                            r"\(\d+%\) in \S+ for the connector's state\. "
                            r"The connector cannot keep its state or logs "
                            r"when it runs out: make room there")
        eq(d["state"]["state"], "error", "state directory")
        eq(d["state"]["path"], inst().path("var/lib/connector"), "path")
        check(d["state"]["free"] > 0 and d["state"]["total"] >=
              d["state"]["free"], "figures %r", d["state"])
        eq(d["error_below_bytes"], (free_mb + 1024) * 1024 * 1024,
           "threshold")
        check("disk_free_bytes_state" in d["values"] and
              "disk_free_bytes_log" in d["values"], "values %r", d["values"])
    finally:
        setting("health.disk_min_free_mb", None)
    expect("disk", "ok")


@suite.test
def test_disk_bad_threshold_setting_ignored():
    for bad in ("-5", "lots", "1e9", "99999999999999999999", ""):
        setting("health.disk_min_free_mb", bad)
        expect("disk", "ok")
    setting("health.disk_min_free_mb", None)


@suite.test
def test_disk_small_tmpfs_error_then_ok():
    logdir = inst().logdir
    if os.geteuid() != 0:
        print("SKIP disk_small_tmpfs: not root, no tmpfs can be mounted")
        return
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs",
                        logdir], capture_output=True)
    if p.returncode != 0:
        print("SKIP disk_small_tmpfs: mount refused: %s" %
              p.stderr.decode().strip())
        return
    try:
        summary, d = expect("disk", "error", r"^Only \d+ MiB of 4 MiB free "
                            r"\(\d+%\) in " + re.escape(logdir) +
                            r" for its logs\.")
        eq(d["log"]["state"], "error", "log directory")
        eq(d["log"]["total"], 4 * 1024 * 1024, "total")
        eq(d["state"]["state"], "ok", "state directory")
    finally:
        subprocess.run(["umount", logdir], check=True)
    expect("disk", "ok")


def setup():
    # The vCenter double serves a certificate made here, so that once
    # stopped it comes back with the one the registration pinned.
    d = tempfile.mkdtemp(prefix="vc-cert-")
    S["vc_cert_dir"] = d
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext",
                    "subjectAltName=IP:127.0.0.1",
                    "-keyout", os.path.join(d, "key.pem"),
                    "-out", os.path.join(d, "cert.pem")],
                   check=True, capture_output=True, timeout=60)
    S["env"] = Env(vc_user=ACCOUNT, vc_args=(
        "--cert", os.path.join(d, "cert.pem"),
        "--key", os.path.join(d, "key.pem"))).start()
    S["client"] = S["env"].inst.signed_in_client()


def teardown():
    if "env" in S:
        S["env"].stop()
    if "vc_cert_dir" in S:
        shutil.rmtree(S["vc_cert_dir"], ignore_errors=True)


if __name__ == "__main__":
    suite.run(setup, teardown)
