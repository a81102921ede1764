"""connector-setup, the VM-console tool, on a running instance: init is
idempotent and keeps the listen address unless told another, the rendered
error pages, show-certificate, reset-password's policy and its asking
again, the usage (help, --help, an unknown command), and a second program
started on the same root does not take over the first one's socket."""
import hashlib
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (NOT_RIGHT, PASSWORD, SETUP_CODE_RE, SHARE, TOP,  # noqa
                     VERSION, Instance, Suite, check, eq, free_port,
                     wait_for)

NEW_PASSWORD = "another long console password 9"
ERROR_PAGES = (400, 403, 404, 405, 413, 429, 500)
suite = Suite()
inst = None
state = {}


def init(*args):
    p = inst.setup_tool("init", *args)
    eq(p.returncode, 0, "init %s status (%s)" % (" ".join(args),
                                                  p.stderr.decode()[-300:]))
    return p.stdout.decode()


def printed(out, label):
    """The value printed after "label:" by connector-setup."""
    m = re.search(r"(?m)^%s:\s+(.*)$" % re.escape(label), out)
    return m.group(1).strip() if m else None


def listen_lines():
    with open(inst.path("etc/connector/site.conf")) as f:
        return re.findall(r"(?m)^\s*listen\s+(\S+)", f.read())


def setting(name):
    row = inst.sql1("SELECT value FROM settings WHERE name = ?", (name,))
    return row[0] if row else None


def cert_fingerprint():
    """SHA-256 of the certificate's DER, as AA:BB:..."""
    with open(inst.cert) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    h = hashlib.sha256(der).hexdigest().upper()
    return ":".join(h[i:i + 2] for i in range(0, len(h), 2))


def read(path):
    with open(path, "rb") as f:
        return f.read()


def admin_state():
    a = inst.admin()
    return (a["password_hash"], a["locked"], a["failed_count"],
            inst.session_count())


# ---- init, while the console is unclaimed ----

@suite.test
def test_init_again_keeps_certificate_code_and_listen():
    cert = read(inst.cert)
    key = read(inst.path("var/lib/connector/tls/current/key.pem"))
    check(inst.setup_code, "the instance printed no setup code")
    for _ in range(2):
        out = init()
        eq(printed(out, "Certificate"), "SHA-256 " + cert_fingerprint(),
           "fingerprint printed")
        m = SETUP_CODE_RE.search(out)
        check(m, "no setup code printed: %r", out)
        eq(m.group(1), inst.setup_code, "setup code")
        eq(printed(out, "Console"), inst.origin + "/", "console URL")
    eq(read(inst.cert), cert, "certificate file")
    eq(read(inst.path("var/lib/connector/tls/current/key.pem")), key,
       "key file")
    eq(listen_lines(), ["127.0.0.1:%d" % inst.port], "listen lines")
    eq(setting("listen"), "127.0.0.1:%d" % inst.port, "listen setting")
    eq(read(inst.setup_code_path).decode().strip(), inst.setup_code,
       "setup-code file")


@suite.test
def test_init_listen_changes_site_listen_line():
    other = free_port()
    out = init("--listen", "127.0.0.1:%d" % other)
    try:
        eq(listen_lines(), ["127.0.0.1:%d" % other], "listen lines")
        eq(printed(out, "Console"), "https://127.0.0.1:%d/" % other,
           "console URL")
        eq(setting("listen"), "127.0.0.1:%d" % other, "listen setting")
        check("https://127.0.0.1:%d" % other in setting("origins").split(),
              "origins %r", setting("origins"))
        # Without --listen, the new address stays.
        init()
        eq(listen_lines(), ["127.0.0.1:%d" % other], "listen lines after "
           "init without --listen")
    finally:
        init("--listen", "127.0.0.1:%d" % inst.port)
    eq(listen_lines(), ["127.0.0.1:%d" % inst.port], "listen lines restored")


@suite.test
def test_bad_init_listen_refused_nothing_changed():
    site = read(inst.path("etc/connector/site.conf"))
    for bad in ("999.1.1.1:443", "127.0.0.1:0", "127.0.0.1:65536",
                "localhost:443", "127.0.0.1", "127.0.0.1:44x3"):
        p = inst.setup_tool("init", "--listen", bad)
        eq(p.returncode, 2, "init --listen %s status" % bad)
        check(b"--listen" in p.stderr, "no message for %s: %r", bad,
              p.stderr)
    eq(read(inst.path("etc/connector/site.conf")), site, "site.conf")
    eq(setting("listen"), "127.0.0.1:%d" % inst.port, "listen setting")


@suite.test
def test_error_pages_rendered():
    fp = cert_fingerprint()
    for status in ERROR_PAGES:
        path = inst.path("etc/connector/errors/%d.html" % status)
        check(os.path.isfile(path), "no %s", path)
        text = read(path).decode()
        check("Version: " + VERSION in text, "%d page without the version",
              status)
        check("Error %d." % status in text, "%d page without its status",
              status)
        check(fp in text, "%d page without the fingerprint", status)


@suite.test
def test_nginx_serves_the_rendered_404():
    r = inst.client().get("/no/such/page")
    eq(r.status, 404, "status")
    eq(r.body, read(inst.path("etc/connector/errors/404.html")), "404 body")


# ---- the certificate ----

@suite.test
def test_show_certificate_matches_certificate_file():
    p = inst.setup_tool("show-certificate")
    eq(p.returncode, 0, "status")
    out = p.stdout.decode()
    eq(printed(out, "SHA-256"), cert_fingerprint(), "fingerprint")
    eq(printed(out, "Certificate"), inst.cert, "certificate path")


@suite.test
def test_show_certificate_matches_dashboard_footer():
    c = inst.client()
    r = c.claim(inst.setup_code)
    eq(r.status, 303, "claim")
    r = c.get("/")
    eq(r.status, 200, "dashboard")
    m = re.search(r'<code class="fp">([^<]*)</code>', r.text)
    check(m, "no fingerprint in the footer")
    out = inst.setup_tool("show-certificate").stdout.decode()
    eq(m.group(1), printed(out, "SHA-256"), "footer fingerprint")


@suite.test
def test_show_certificate_prints_its_facts():
    out = inst.setup_tool("show-certificate").stdout.decode()
    with open(inst.cert) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    h = hashlib.sha1(der).hexdigest().upper()
    eq(printed(out, "SHA-1"), ":".join(h[i:i + 2] for i in range(0, 40, 2)),
       "SHA-1 fingerprint")
    p = subprocess.run(["openssl", "x509", "-noout", "-subject", "-enddate",
                        "-nameopt", "RFC2253", "-in", inst.cert],
                       stdout=subprocess.PIPE, check=True)
    facts = p.stdout.decode()
    subject = re.search(r"subject=(.*)", facts).group(1).strip()
    eq(printed(out, "Subject"), subject, "subject")
    eq(printed(out, "Issuer"), subject + " (self-signed)", "issuer")
    names = printed(out, "Names").split()
    check("IP:127.0.0.1" in names, "the console's address not among %r",
          names)
    check(all(n.startswith(("IP:", "DNS:")) for n in names), "names %r",
          names)
    # "notAfter=Dec  2 12:00:00 2027 GMT" against "2027-12-02 12:00 UTC".
    end = time.strptime(re.search(r"notAfter=(.*)", facts).group(1)
                        .strip(), "%b %d %H:%M:%S %Y GMT")
    eq(printed(out, "Valid until"), time.strftime("%Y-%m-%d %H:%M UTC", end),
       "end of validity")
    eq(printed(out, "Key"), "EC 256 bits", "key")


@suite.test
def test_bad_show_certificate_without_certificate():
    root = tempfile.mkdtemp(prefix="connector-e2e-empty-")
    try:
        env = dict(os.environ, CONNECTOR_ROOT=root, CONNECTOR_SHARE=SHARE)
        p = subprocess.run([os.path.join(TOP, "build/sbin/connector-setup"),
                            "show-certificate"], env=env, timeout=30,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        eq(p.returncode, 1, "status")
        check(b"no console certificate" in p.stderr, "message %r", p.stderr)
    finally:
        subprocess.run(["rm", "-rf", root])


@suite.test
def test_init_once_claimed_prints_no_code():
    out = init()
    check(not SETUP_CODE_RE.search(out), "a setup code after the claim")
    check("claimed" in out, "no word that the console is claimed: %r", out)
    check(not os.path.exists(inst.setup_code_path), "setup-code file left")


# ---- reset-password ----

def refused_reset(stdin, message):
    before = admin_state()
    check(before[3] >= 1, "no session to keep")
    p = inst.setup_tool("reset-password", stdin=stdin)
    eq(p.returncode, 1, "status")
    check(message.encode() in p.stderr, "message %r", p.stderr)
    check(b"password is set" not in p.stdout, "claims success: %r", p.stdout)
    eq(admin_state(), before, "password hash, lock, failures, sessions")


@suite.test
def test_bad_reset_password_short_refused():
    refused_reset("short-pass1\nshort-pass1\n", "at least 12 characters")


@suite.test
def test_bad_reset_password_common_refused():
    refused_reset("123456789012\n123456789012\n", "most common passwords")


@suite.test
def test_bad_reset_password_mismatch_refused():
    refused_reset(NEW_PASSWORD + "\n" + NEW_PASSWORD + "!\n", "do not match")


@suite.test
def test_reset_password_accepted():
    before = admin_state()
    p = inst.setup_tool("reset-password",
                        stdin=NEW_PASSWORD + "\n" + NEW_PASSWORD + "\n")
    eq(p.returncode, 0, "status (%r)" % p.stderr)
    check(b"password is set" in p.stdout, "no confirmation: %r", p.stdout)
    check(inst.admin()["password_hash"] != before[0], "hash unchanged")
    eq(inst.session_count(), 0, "sessions after the reset")
    c = inst.client()
    eq(c.login(NEW_PASSWORD).status, 303, "sign in with the new password")
    r = inst.client().login(PASSWORD)
    eq(r.status, 403, "the old password")
    check(NOT_RIGHT in r.text, "no failure message")


@suite.test
def test_reset_password_asks_again_until_accepted():
    other = "a third long console password 7"
    p = inst.setup_tool("reset-password", stdin="short-pass1\nshort-pass1\n"
                        "123456789012\n123456789012\n" + other + "\n" +
                        other + "!\n" + other + "\n" + other + "\n")
    eq(p.returncode, 0, "status (%r)" % p.stderr)
    err = p.stderr.decode()
    order = [err.find(m) for m in ("at least 12 characters",
                                   "most common passwords", "do not match")]
    check(-1 not in order and order == sorted(order),
          "the refusals, in order: %r", err)
    check(b"password is set" in p.stdout, "no confirmation: %r", p.stdout)
    eq(inst.client().login(other).status, 303, "sign in with the password "
       "accepted last")
    p = inst.setup_tool("reset-password",
                        stdin=NEW_PASSWORD + "\n" + NEW_PASSWORD + "\n")
    eq(p.returncode, 0, "status of setting it back")


@suite.test
def test_bad_reset_password_input_ends_nothing_changed():
    before = admin_state()
    p = inst.setup_tool("reset-password", stdin="short-pass1\nshort-pass1\n"
                        + NEW_PASSWORD + "\n")
    eq(p.returncode, 1, "status")
    check(b"No password was set" in p.stderr, "message %r", p.stderr)
    eq(admin_state()[:3], before[:3], "password hash, lock, failures")


# ---- usage ----

COMMANDS = ("init", "reset-password", "show-certificate", "restart-services",
            "reload-nginx", "help")


@suite.test
def test_help_prints_every_command_on_stdout():
    for arg in ("--help", "help"):
        p = inst.setup_tool(arg)
        eq(p.returncode, 0, "%s status" % arg)
        eq(p.stderr, b"", "%s stderr" % arg)
        out = p.stdout.decode()
        for c in COMMANDS:
            check(re.search(r"(?m)^\s+%s\b.*\S" % re.escape(c), out),
                  "%s: no line for %s in %r", arg, c, out)


@suite.test
def test_bad_unknown_command_usage_on_stderr():
    p = inst.setup_tool("frobnicate")
    eq(p.returncode, 2, "status")
    eq(p.stdout, b"", "stdout")
    check(b"reload-nginx" in p.stderr, "no usage: %r", p.stderr)


# ---- a second program on the same root ----

def program_env():
    return dict(os.environ, CONNECTOR_ROOT=inst.root, CONNECTOR_SHARE=SHARE)


@suite.test
def test_bad_second_instance_does_not_take_the_socket():
    sock = os.path.join(inst.sockdir, "login.sock")
    ino = os.stat(sock).st_ino
    p = subprocess.Popen([os.path.join(TOP, "build/cgi-bin/login"),
                          "--workers", "1"], env=program_env(),
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        raise AssertionError("the second login program kept running")
    check(p.returncode != 0, "the second program exited 0")
    check(b"cannot listen" in err, "no message: %r", err)
    eq(os.stat(sock).st_ino, ino, "the socket file was replaced")
    r = inst.client().get("/login")
    eq(r.status, 200, "the first instance's /login")
    check('name="password"' in r.text, "no login form")


@suite.test
def test_stale_socket_replaced():
    d = tempfile.mkdtemp(prefix="connector-e2e-sock-")
    path = os.path.join(d, "login.sock")
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
    s.close()               # the file stays, nobody listens
    p = subprocess.Popen([os.path.join(TOP, "build/cgi-bin/login"),
                          "--workers", "1", "--socket", path],
                         env=program_env(), stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         start_new_session=True)
    try:
        def answers():
            c = socket.socket(socket.AF_UNIX)
            try:
                c.connect(path)
                return True
            except OSError:
                return False
            finally:
                c.close()
        ok = wait_for(lambda: answers() or p.poll() is not None, 15)
        if p.poll() is not None:
            raise AssertionError("the program exited (%r): %r" %
                                 (p.returncode, p.stderr.read()))
        check(ok and answers(), "nobody listens on the replaced socket")
        p.send_signal(signal.SIGTERM)
        eq(p.wait(15), 0, "status after SIGTERM")
        check(not os.path.exists(path), "the socket was left behind")
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        p.stderr.close()
        subprocess.run(["rm", "-rf", d])


if __name__ == "__main__":
    suite.main(lambda: Instance().start(), globals())
