"""
harness.py — the end-to-end tests' tools: a console instance started with
scripts/connector-run on a temporary root and a free port, an HTTPS client
that verifies the instance's own certificate and keeps cookies, helpers to
claim and sign in, the audit log, SQL on state.db, a cron job run on an
instance's root (run_job), the doubles of vCenter and AWS, a canned HTTPS
peer, and a small test registry that prints "PASS name" / "FAIL name: why"
lines.

Standard library only.
"""
import hashlib
import html
import json
import os
import re
import select
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
import urllib.request
import uuid
import warnings

import http.client
import http.server

warnings.filterwarnings("ignore", category=DeprecationWarning)

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
RUN = os.path.join(TOP, "scripts", "connector-run")
SETUP_TOOL = os.path.join(TOP, "build", "sbin", "connector-setup")
SHARE = os.path.join(TOP, "build", "share")
VERSION = open(os.path.join(TOP, "VERSION")).read().strip()
FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"

PASSWORD = "correct horse battery staple 42"
WRONG = "not the password at all 17"
CSRF_RE = re.compile(r'name="csrf" value="([^"]*)"')
SETUP_CODE_RE = re.compile(r"Setup code:\s+([A-Z0-9]{4}(?:-[A-Z0-9]{4}){3})")
NOT_RIGHT = "The password is not right."
LOCKED = "The console is locked."


def free_port():
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _live_procs():
    """(pid, stat fields after the name) of every live (not zombie)
    process: fields[0] state, [1] ppid, [2] pgrp."""
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rfind(")") + 2:].split()
        if fields[0] != "Z":
            yield int(d), fields


def _pgid_members(pgid):
    """Pids of live (not zombie) processes in process group pgid."""
    return [pid for pid, fields in _live_procs() if int(fields[2]) == pgid]


def children(pid):
    """Pids of the live children of pid."""
    return sorted(p for p, fields in _live_procs() if int(fields[1]) == pid)


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def wait_for(pred, timeout=10.0, step=0.05):
    """Poll pred() until it returns something true; returns it or None."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            return None
        time.sleep(step)


CRASHLIB = os.path.join(TOP, "build", "tests", "crashpoint.so")


def job_env(extra=None, crash=None):
    """The environment a test runs a cron job in: this one without
    CONNECTOR_ROOT and any crash point, with the build's share directory,
    then extra (a dict) on top; with crash (a number), the crash-point
    library loaded to stop the job at that write."""
    env = dict(os.environ)
    for k in ("CONNECTOR_ROOT", "CRASHPOINT", "CRASHPOINT_COUNT",
              "LD_PRELOAD"):
        env.pop(k, None)
    env["CONNECTOR_SHARE"] = SHARE
    env.update(extra or {})
    if crash is not None:
        env["LD_PRELOAD"] = CRASHLIB
        env["CRASHPOINT"] = str(crash)
    return env


def run_job(program, root, *args, extra=None, crash=None, timeout=120):
    """Run a cron job's program on root as cron would (no input, the
    environment of job_env(extra, crash)), with args after --root ROOT:
    (status, stdout, stderr), the outputs as text."""
    p = subprocess.run([program, "--root", root, *args],
                       env=job_env(extra, crash), stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def root_copy(inst, prefix):
    """A copy of inst's root to run a job on, as (temporary directory,
    root): sockets and pid files left out, the database copied through
    SQLite's backup.  The caller removes the directory."""
    d = tempfile.mkdtemp(prefix=prefix)
    root = os.path.join(d, "root")
    shutil.copytree(inst.root, root, symlinks=True,
                    ignore=shutil.ignore_patterns("*.sock", "*.pid",
                                                  "state.db*"))
    src = sqlite3.connect(inst.db_path)
    dst = sqlite3.connect(os.path.join(root, "var/lib/connector/state.db"))
    src.backup(dst)
    src.close()
    dst.close()
    return d, root


class Instance:
    """One console: connector-run on its own root, port and process group."""

    def __init__(self, workers=2, env=None, root=None, args=(),
                 schedule=False):
        self.root = root or tempfile.mkdtemp(prefix="connector-e2e-")
        self.own_root = root is None
        self.workers = workers
        self.args = list(args)
        self.env = dict(env or {})
        self.schedule = schedule   # the jobs run on the cron schedule
        self.port = None
        self.proc = None
        self.reader = None
        self.output = []
        self.setup_code = None

    # -- paths --
    def path(self, rel):
        return os.path.join(self.root, rel)

    @property
    def db_path(self):
        return self.path("var/lib/connector/state.db")

    @property
    def cert(self):
        return self.path("var/lib/connector/tls/current/cert.pem")

    @property
    def logdir(self):
        return self.path("var/log/connector")

    @property
    def audit_path(self):
        return os.path.join(self.logdir, "audit.log")

    @property
    def setup_code_path(self):
        return self.path("etc/connector/setup-code")

    @property
    def sockdir(self):
        return self.path("run/connector")

    @property
    def origin(self):
        return "https://127.0.0.1:%d" % self.port

    # -- life --
    def start(self, timeout=30):
        if self.port is None:
            self.port = free_port()
        env = dict(os.environ)
        env.update(self.env)
        # Tests run the jobs themselves: the schedule's runs (the health
        # job calls the doubles every minute) would land inside tests.
        # The demonstration keeps the schedule (schedule=True).
        if not self.schedule:
            env.setdefault("CONNECTOR_JOB_INTERVAL", "86400")
        env["CONNECTOR_SHARE"] = SHARE
        self.output = []
        self.proc = subprocess.Popen(
            [RUN, "--root", self.root, "--port", str(self.port),
             "--workers", str(self.workers), *self.args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, env=env, start_new_session=True)
        self.pgid = self.proc.pid
        ready = threading.Event()

        def reader(p=self.proc, out=self.output):
            for raw in p.stdout:
                line = raw.decode(errors="replace").rstrip("\n")
                out.append(line)
                if line.startswith("Ready."):
                    ready.set()
            ready.set()
        self.reader = threading.Thread(target=reader, daemon=True)
        self.reader.start()
        if not ready.wait(timeout) or not any(
                l.startswith("Ready.") for l in self.output):
            self.stop(check=False)
            raise RuntimeError("instance did not start:\n" +
                               "\n".join(self.output))
        self.setup_code = None
        for line in self.output:
            m = SETUP_CODE_RE.search(line)
            if m:
                self.setup_code = m.group(1)
        return self

    def alive_processes(self):
        return _pgid_members(self.pgid) if self.proc else []

    def stop(self, check=True, timeout=15):
        """SIGTERM the group; return the pids still alive after it (killed)."""
        if self.proc is None:
            return []
        try:
            os.killpg(self.pgid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
        left = []
        if wait_for(lambda: not self.alive_processes(), timeout) is None:
            left = self.alive_processes()
        left_desc = ["%d %s" % (p, cmdline(p)) for p in left]
        if left:
            try:
                os.killpg(self.pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(5)
        # The reader ends at the end of the output; closing it under the
        # reader would break the reader's loop with a traceback.
        if self.reader:
            self.reader.join(5)
        self.proc.stdout.close()
        self.proc = None
        if check and left:
            raise AssertionError("processes left after SIGTERM: %s" %
                                 "; ".join(left_desc))
        return left_desc

    def restart(self):
        self.stop()
        return self.start()

    def cleanup(self):
        if self.proc is not None:
            self.stop(check=False)
        if self.own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()
        return False

    # -- program processes --
    def master_pid(self, prog):
        """The pid of the master of cgi-bin/<prog> (a child of the script)."""
        for p in children(self.proc.pid):
            if cmdline(p).split(" ")[0].endswith("/cgi-bin/" + prog):
                return p
        return None

    def workers_of(self, prog):
        m = self.master_pid(prog)
        return children(m) if m else []

    # -- state --
    def sql(self, query, params=(), write=False):
        """Rows of query on state.db (a fresh connection each time)."""
        uri = "file:%s%s" % (self.db_path, "" if write else "?mode=ro")
        con = sqlite3.connect(uri, uri=True, timeout=10)
        try:
            rows = con.execute(query, params).fetchall()
            if write:
                con.commit()
            return rows
        finally:
            con.close()

    def sql1(self, query, params=()):
        rows = self.sql(query, params)
        return rows[0] if rows else None

    def admin(self):
        con = sqlite3.connect("file:%s?mode=ro" % self.db_path, uri=True,
                              timeout=10)
        con.row_factory = sqlite3.Row
        try:
            return dict(con.execute("SELECT * FROM admin").fetchone())
        finally:
            con.close()

    def session_count(self):
        return self.sql1("SELECT count(*) FROM sessions")[0]

    # -- logs --
    def audit(self):
        """Every audit log line, parsed (a bad line raises ValueError)."""
        try:
            with open(self.audit_path) as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            return []
        return [json.loads(l) for l in lines if l.strip()]

    def audit_mark(self):
        return len(self.audit())

    def audit_wait(self, mark, pred, timeout=5):
        """The audit entries after mark once one matches pred (or None).
        nginx writes a line after the answer, so wait for it a little."""
        def look():
            new = self.audit()[mark:]
            return new if any(pred(e) for e in new) else None
        return wait_for(look, timeout)

    def read_log(self, name):
        try:
            with open(os.path.join(self.logdir, name), "rb") as f:
                return f.read()
        except FileNotFoundError:
            return b""

    def all_logs(self):
        """name → bytes of every file in the log directory."""
        out = {}
        for n in sorted(os.listdir(self.logdir)):
            out[n] = self.read_log(n)
        return out

    # -- the VM console tool --
    def setup_tool(self, *args, stdin=""):
        env = dict(os.environ)
        env["CONNECTOR_ROOT"] = self.root
        env["CONNECTOR_SHARE"] = SHARE
        return subprocess.run([SETUP_TOOL] + list(args), input=stdin.encode(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=env, timeout=60)

    # -- clients --
    def client(self, **kw):
        return Client(self, **kw)

    def signed_in_client(self, **kw):
        """A new client, signed in with PASSWORD (the login must 303)."""
        c = self.client(**kw)
        eq(c.login().status, 303, "login")
        return c

    def tls_context(self):
        ctx = ssl.create_default_context(cafile=self.cert)
        ctx.check_hostname = True
        ctx.verify_mode = ssl.CERT_REQUIRED
        return ctx


class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers          # list of (name, value)
        self.body = body
        self.text = body.decode("utf-8", errors="replace")

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def header_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    @property
    def location(self):
        return self.header("Location")

    @property
    def csrf(self):
        m = CSRF_RE.search(self.text)
        return html.unescape(m.group(1)) if m else None

    def __repr__(self):
        return "<%d %s%s>" % (self.status, self.reason,
                              " → " + self.location if self.location else "")


def parse_set_cookie(value):
    """(name, value, attrs) of one Set-Cookie header; attrs keys lower-case."""
    parts = [p.strip() for p in value.split(";")]
    name, _, val = parts[0].partition("=")
    attrs = {}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        attrs[k.strip().lower()] = v.strip() if _ else True
    return name.strip(), val.strip(), attrs


class Client:
    """An HTTPS client of one instance: verifies its certificate, keeps one
    connection and a cookie jar, sends Origin on POST unless told not to.
    source: the local address to connect from (another loopback address
    such as 127.0.0.2 looks like another client to the console).  host:
    the console's address, when it was moved off 127.0.0.1 (its
    certificate, made for 127.0.0.1, is still verified but not its name)."""

    def __init__(self, inst, timeout=60, source=None):
        self.inst = inst
        self.timeout = timeout
        self.source = source
        self.host = "127.0.0.1"
        self.jar = {}
        self.conn = None

    def _connect(self):
        ctx = self.inst.tls_context()
        if self.host != "127.0.0.1":
            ctx.check_hostname = False
        self.conn = http.client.HTTPSConnection(
            self.host, self.inst.port, timeout=self.timeout, context=ctx,
            source_address=(self.source, 0) if self.source else None)

    def close(self):
        if self.conn:
            self.conn.close()
            self.conn = None

    def cookie_header(self):
        return "; ".join("%s=%s" % kv for kv in self.jar.items())

    def request(self, method, path, body=None, headers=None, cookies=True):
        hdrs = {}
        if cookies and self.jar:
            hdrs["Cookie"] = self.cookie_header()
        hdrs.update(headers or {})
        hdrs = {k: v for k, v in hdrs.items() if v is not None}
        if isinstance(body, str):
            body = body.encode()
        while True:
            reused = self.conn is not None
            if not reused:
                self._connect()
            try:
                self.conn.request(method, path, body=body, headers=hdrs)
                r = self.conn.getresponse()
                data = r.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError,
                    BrokenPipeError, http.client.CannotSendRequest):
                # Only a kept-alive connection the server closed in the
                # meantime is retried, on a new one.
                self.close()
                if not reused:
                    raise
        resp = Response(r.status, r.reason, r.getheaders(), data)
        if r.will_close:
            self.close()
        for v in resp.header_all("Set-Cookie"):
            name, val, attrs = parse_set_cookie(v)
            if val == "" or attrs.get("max-age") == "0":
                self.jar.pop(name, None)
            else:
                self.jar[name] = val
        return resp

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, fields, origin=True, referer=None,
             ctype="application/x-www-form-urlencoded", headers=None,
             cookies=True):
        """POST fields (a list of pairs, a dict, or raw bytes/str)."""
        if isinstance(fields, (bytes, str)):
            body = fields
        else:
            items = fields.items() if isinstance(fields, dict) else fields
            body = urllib.parse.urlencode(list(items))
        h = {"Content-Type": ctype}
        if origin is True:
            h["Origin"] = self.inst.origin
        elif origin:
            h["Origin"] = origin
        if referer:
            h["Referer"] = referer
        h.update(headers or {})
        return self.request("POST", path, body=body, headers=h,
                            cookies=cookies)

    def post_multipart(self, path, fields, files=(), origin=True):
        """POST multipart/form-data: fields (pairs of text) and files
        (triples name, filename, bytes)."""
        boundary = "----connector-test-%s" % uuid.uuid4().hex
        out = []
        for name, value in fields:
            out.append(("--%s\r\nContent-Disposition: form-data; "
                        "name=\"%s\"\r\n\r\n" % (boundary, name)).encode()
                       + (value.encode() if isinstance(value, str)
                          else value) + b"\r\n")
        for name, filename, data in files:
            out.append(("--%s\r\nContent-Disposition: form-data; "
                        "name=\"%s\"; filename=\"%s\"\r\nContent-Type: "
                        "application/json\r\n\r\n" % (boundary, name,
                                                          filename)).encode()
                       + data + b"\r\n")
        out.append(("--%s--\r\n" % boundary).encode())
        return self.post(path, b"".join(out), origin=origin,
                         ctype="multipart/form-data; boundary=%s" % boundary)

    def form_csrf(self, path):
        """GET path and return the csrf field of its form."""
        r = self.get(path)
        if r.csrf is None:
            raise AssertionError("no csrf field on %s (%r)" % (path, r))
        return r.csrf

    def submit(self, path, fields, **kw):
        """GET the form at path, then POST fields with its csrf token."""
        csrf = self.form_csrf(path)
        items = [("csrf", csrf)] + list(
            fields.items() if isinstance(fields, dict) else fields)
        return self.post(path, items, **kw)

    def claim(self, code, password=PASSWORD, password2=None):
        return self.submit("/setup", [("code", code), ("password", password),
                                      ("password2", password2 if password2
                                       is not None else password)])

    def login(self, password=PASSWORD):
        return self.submit("/login", [("password", password)])

    def logout(self):
        return self.submit_session("/logout", [])

    def submit_session(self, path, fields):
        """POST to a signed-in page with the csrf of the dashboard."""
        csrf = self.form_csrf("/")
        return self.post(path, [("csrf", csrf)] + list(fields))

    @property
    def session(self):
        return self.jar.get("__Host-connector")

    def signed_in(self):
        """True when GET / shows the dashboard."""
        r = self.get("/")
        return r.status == 200 and "<h1>Dashboard</h1>" in r.text


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def raw_request(inst, data, timeout=20):
    """Send raw bytes over a verified TLS connection; return the raw bytes
    of the first answer (until it is complete, the server closes, or the
    timeout)."""
    ctx = inst.tls_context()
    sock = socket.create_connection(("127.0.0.1", inst.port), timeout=timeout)
    s = ctx.wrap_socket(sock, server_hostname="127.0.0.1")
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass    # the server may answer (413) before the body is sent
        out = b""
        try:
            while not _complete(out):
                b = s.recv(65536)
                if not b:
                    break
                out += b
        except (socket.timeout, ConnectionResetError, ssl.SSLError):
            pass
        return out
    finally:
        s.close()


def _complete(data):
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    return m is not None and len(body) >= int(m.group(1))


def parse_raw(data):
    """The first answer in data as a Response (None when there is none)."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode(errors="replace").split("\r\n")
    if not lines or not lines[0].startswith("HTTP/"):
        return None
    first = lines[0].split(" ", 2)
    headers = []
    for l in lines[1:]:
        k, _, v = l.partition(":")
        headers.append((k.strip(), v.strip()))
    r = Response(int(first[1]), first[2] if len(first) > 2 else "", headers,
                 b"")
    n = r.header("Content-Length")
    r.body = body[:int(n)] if n is not None else body
    r.text = r.body.decode("utf-8", errors="replace")
    return r


def raw_response(inst, data, timeout=20):
    """Send raw bytes; the answer as a Response, or None."""
    return parse_raw(raw_request(inst, data, timeout))


# ---- the test registry ----

class Suite:
    """Tests registered with @suite.test run in order; each prints one line."""

    def __init__(self):
        self.tests = []
        self.failed = 0

    def test(self, fn):
        self.tests.append(fn)
        return fn

    def run_one(self, fn):
        name = fn.__name__
        if name.startswith("test_"):
            name = name[5:]
        try:
            fn()
        except AssertionError as e:
            self.failed += 1
            print("FAIL %s: %s" % (name, str(e).replace("\n", " ")[:500]),
                  flush=True)
        except Exception as e:
            self.failed += 1
            tb = traceback.format_exc()
            sys.stderr.write(tb)
            print("FAIL %s: %s: %s" % (name, type(e).__name__,
                                       str(e).replace("\n", " ")[:400]),
                  flush=True)
        else:
            print("PASS %s" % name, flush=True)

    def run(self, setup=None, teardown=None):
        """Run every test between setup() and teardown(); exit 0/1."""
        def on_term(sig, frame):
            raise KeyboardInterrupt()
        signal.signal(signal.SIGTERM, on_term)
        try:
            if setup:
                setup()
            for fn in self.tests:
                self.run_one(fn)
        except BaseException as e:
            self.failed += 1
            sys.stderr.write(traceback.format_exc())
            print("FAIL setup: %s: %s" % (type(e).__name__, e), flush=True)
        finally:
            if teardown:
                try:
                    teardown()
                except BaseException as e:
                    self.failed += 1
                    print("FAIL teardown: %s" % e, flush=True)
        sys.exit(1 if self.failed else 0)

    def main(self, instance, into, ready=None, before=None, after=None):
        """Run every test against one instance; exit 0/1.

        before() runs first; then instance() returns the instance (started,
        or started by ready), which becomes into["inst"] (pass the test
        module's globals(), so its tests see it as inst); then ready(inst).
        After the last test (or a failed setup) the instance is stopped,
        failing the run if a process outlives SIGTERM, and removed; after()
        runs last of all."""
        started = []

        def setup():
            if before:
                before()
            inst = instance()
            started.append(inst)
            into["inst"] = inst
            if ready:
                ready(inst)

        def teardown():
            try:
                for inst in started:
                    try:
                        inst.stop()
                    finally:
                        inst.cleanup()
            finally:
                if after:
                    after()
        self.run(setup, teardown)


def check(cond, msg, *args):
    """assert with a formatted message (kept when python runs with -O)."""
    if not cond:
        raise AssertionError(msg % args if args else msg)


def eq(got, want, what):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (what, got, want))


def claimed_instance(**kw):
    """A started, claimed instance (the claim leaves its client signed in)."""
    inst = Instance(**kw).start()
    try:
        c = inst.client()
        r = c.claim(inst.setup_code)
        check(r.status == 303, "claim failed: %r %s", r, r.text[:300])
        c.close()
    except BaseException:
        inst.cleanup()
        raise
    return inst


# -- the doubles of vCenter and AWS, for tests of the console against them --

def stop_process(proc, timeout=10):
    """SIGTERM proc (a Popen, or None), then SIGKILL it after timeout."""
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class VCenterDouble:
    """tests/peers/vcenter on a free port; info has url, thumbprint, cert."""

    def __init__(self, user, password, vms=3, users=2, extra=()):
        self.args = ["--port", "0", "--user", user, "--password", password,
                     "--vms", str(vms), "--users", str(users), *extra]
        self.proc = None
        self.info = None

    def start(self):
        binary = subprocess.run(
            [os.path.join(TOP, "tests", "peers", "vcenter", "build")],
            capture_output=True, text=True, check=True,
            timeout=900).stdout.strip().splitlines()[-1]
        self.proc = subprocess.Popen([binary] + self.args,
                                     stdout=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, text=True,
                                     start_new_session=True)
        self.info = json.loads(self.proc.stdout.readline())
        self.hostport = self.info["url"].split("/")[2]
        self.port = int(self.hostport.rsplit(":", 1)[1])
        return self

    def stop(self):
        stop_process(self.proc)

    def directory(self, change=None):
        """GET (change None) or POST /control/directory: its JSON."""
        ctx = ssl.create_default_context(cafile=self.info["cert"])
        data = None if change is None else json.dumps(change).encode()
        req = urllib.request.Request(
            "https://%s/control/directory" % self.hostport, data=data,
            method="GET" if change is None else "POST",
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
            return json.loads(r.read())


class AwsDouble:
    """tests/peers/aws on a free port; info has url, ca, control,
    access_key, secret_key; control() posts to its control endpoint,
    requests() and last_seq() read what it recorded."""

    def __init__(self, *credentials):
        self.args = []
        for ak, sk in credentials:
            self.args += ["--credentials", "%s:%s" % (ak, sk)]
        self.proc = None
        self.info = None

    def start(self, timeout=180):
        """Start it and read where it listens, waiting at most timeout
        seconds (its first run installs packages); self."""
        self.proc = subprocess.Popen(
            [os.path.join(TOP, "tests", "peers", "aws", "run")] + self.args,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL, start_new_session=True)
        line = b""
        deadline = time.monotonic() + timeout
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [],
                                              left)[0]:
                raise RuntimeError("the AWS double did not say where it "
                                   "listens within %d s" % timeout)
            chunk = self.proc.stdout.read1(4096)
            if not chunk:
                raise RuntimeError("the AWS double exited before it said "
                                   "where it listens")
            line += chunk
        self.info = json.loads(line.split(b"\n")[0])
        return self

    def control(self, body=None):
        ctx = ssl.create_default_context(cafile=self.info["ca"])
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.info["control"], data=data,
            method="GET" if body is None else "POST",
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
            return json.loads(r.read())

    def requests(self, since=0):
        """The requests it recorded after sequence number since."""
        ctx = ssl.create_default_context(cafile=self.info["ca"])
        url = "%s/requests?since=%d" % (self.info["control"], since)
        with urllib.request.urlopen(url, context=ctx, timeout=30) as r:
            return json.loads(r.read())["requests"]

    def last_seq(self):
        """The sequence number of the last request it recorded."""
        return self.control()["counts"]["requests"]

    def env(self):
        """What a console needs in its environment to use this double."""
        return {"AWS_ENDPOINT_URL": self.info["url"],
                "AWS_CA_BUNDLE": self.info["ca"]}

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def canned_server(d, handler):
    """An HTTPS server of handler (a BaseHTTPRequestHandler class) on a free
    port of 127.0.0.1, serving from a thread, with a new self-signed
    certificate for 127.0.0.1 in d/canned.pem and its key in d/canned.key;
    the server (shutdown() stops it)."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext",
                    "subjectAltName=IP:127.0.0.1", "-keyout",
                    d + "/canned.key", "-out", d + "/canned.pem"],
                   check=True, capture_output=True)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(d + "/canned.pem", d + "/canned.key")
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def portal_file(info, key_id, secret, name="connector key", extra=None):
    """The portal configuration file for the AWS double's vendor endpoint."""
    d = {"format": "connector-portal-config", "version": 1,
         "key_name": name, "key_id": key_id, "secret": secret,
         "endpoint": info["url"]}
    d.update(extra or {})
    return json.dumps(d).encode()
