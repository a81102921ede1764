"""The production install, run: `make install DESTDIR=<tmp>/dest
PREFIX=/usr`, then what the installed systemd units say, carried out
without systemd (tests/e2e/units.py): connector-init.service's
`connector-setup init` as root, each connector@<program>.socket's socket
(owner, group, mode) handed to connector@<program>.service's program
started as its User=/Group=, and nginx started as root with the rendered
configuration, its workers as the web user.  Then the console is claimed
with the setup code init printed, signed in to, registered against the
vCenter and AWS doubles, and its encryption key rotated; the logs, the
processes' users and every file's owner and mode are checked against the
units and INSTALL.

Needs root (it creates the `connector` system user when missing, which
stays).  Everything else lives in one temporary tree, removed at the end,
and every process it started is stopped."""
import grp
import os
import time
import pwd
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (PASSWORD, TOP, Instance, Suite,  # noqa: E402
                     SETUP_CODE_RE, check, eq, free_port, wait_for,
                     children, cmdline)
from regflow import Env, Wizard, errors  # noqa: E402
import units  # noqa: E402

suite = Suite()
PREFIX = "/usr"
S = {}              # the run's state: tmp, dest, root, env, procs, ...


def unit_path(name):
    return os.path.join(S["dest"], "lib/systemd/system", name)


def unit(name, instance=None):
    return units.parse(unit_path(name), instance)


def programs():
    """The programs connector-init.service is ordered before (by their
    socket units)."""
    init = unit("connector-init.service")
    before = " ".join(init["Unit"].get("Before", [])).split()
    return [m.group(1) for m in
            (re.fullmatch(r"connector@(\w+)\.socket", b) for b in before)
            if m]


def inst():
    return S["inst"]


def rpath(rel):
    return os.path.join(S["root"], rel)


def owner(path):
    """(user, group, mode) of path, not following a symlink."""
    st = os.lstat(path)
    return (pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name,
            "%04o" % stat.S_IMODE(st.st_mode))


def ps_users(pids):
    """{pid: user name} of pids, as ps shows them."""
    out = subprocess.run(["ps", "-o", "pid=,user:32=", "-p",
                          ",".join(map(str, pids))], capture_output=True,
                         text=True).stdout
    return {int(l.split()[0]): l.split()[1] for l in out.splitlines()}


def program_env():
    """The programs' environment: what systemd gives a service plus the
    instance's root and share, and the AWS endpoint drop-in INSTALL
    describes (the double and its CA, readable by the service user)."""
    return {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
            "CONNECTOR_ROOT": S["root"],
            "CONNECTOR_SHARE": os.path.join(S["dest"], PREFIX[1:],
                                            "share/connector"),
            "AWS_ENDPOINT_URL": S["env"].aws.info["url"],
            "AWS_CA_BUNDLE": S["ca"]}


def run_init():
    """connector-init.service, on a loopback address and free port, in test
    mode (the doubles are on loopback); returns its output."""
    def listen_here(argv):
        out = list(argv)
        check("--listen" in out, "connector-init's ExecStart has no "
              "--listen: %r", argv)
        out[out.index("--listen") + 1] = "127.0.0.1:%d" % S["port"]
        return out
    p = units.run_oneshot(unit("connector-init.service"), S["layout"],
                          program_env(), listen_here,
                          ["--allow-loopback-peers"])
    return p.stdout


def start_programs():
    for prog in programs():
        sock_unit = unit("connector@.socket", prog)
        svc_unit = unit("connector@.service", prog)
        units.make_directories(svc_unit, S["layout"])
        sock, _ = units.listen_socket(sock_unit, S["layout"])
        err = open(os.path.join(S["tmp"], prog + ".journal"), "ab")
        p = units.start_service(svc_unit, S["layout"], sock, program_env(),
                                err)
        err.close()
        sock.close()
        S["procs"][prog] = p


def start_nginx():
    logdir = rpath("var/log/connector")
    p = subprocess.Popen(
        ["nginx", "-e", os.path.join(logdir, "nginx-error.log"), "-c",
         rpath("etc/connector/nginx.conf"), "-g", "daemon off;"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=open(os.path.join(S["tmp"], "nginx.journal"), "ab"),
        start_new_session=True)
    S["procs"]["nginx"] = p

    def up():
        if p.poll() is not None:
            raise AssertionError("nginx stopped: %s" % read(os.path.join(
                S["tmp"], "nginx.journal"))[-500:])
        r = subprocess.run(["curl", "-ks", "-o", "/dev/null", "-w",
                            "%{http_code}", "https://127.0.0.1:%d/static/"
                            "style.css" % S["port"]], capture_output=True,
                           text=True)
        return r.stdout == "200"
    check(wait_for(up, 20), "nginx does not serve the console")


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def stop_all():
    for name, p in list(S.get("procs", {}).items()):
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        # A worker that outlived its master is still in the group.
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    S["procs"] = {}


def setup():
    if os.geteuid() != 0:
        print("SKIP install: needs root (CI runs as root)", flush=True)
        sys.exit(0)
    S["procs"] = {}
    S["tmp"] = tempfile.mkdtemp(prefix="connector-install-")
    os.chmod(S["tmp"], 0o755)   # the service and web users walk through it
    d = os.path.dirname(S["tmp"])
    while d != "/":
        check(os.stat(d).st_mode & 0o001, "the service user cannot walk "
              "through %s: set TMPDIR to a directory it can", d)
        d = os.path.dirname(d)
    S["dest"] = os.path.join(S["tmp"], "dest")
    S["root"] = os.path.join(S["tmp"], "root")
    os.mkdir(S["root"], 0o755)
    # A strict umask, as an administrator's may be: the install rule
    # must set every mode itself.
    p = subprocess.run(["make", "-s", "install", "DESTDIR=" + S["dest"],
                        "PREFIX=" + PREFIX], cwd=TOP, capture_output=True,
                       text=True, timeout=600, umask=0o077)
    check(p.returncode == 0, "make install failed: %s", p.stderr[-1500:])
    S["layout"] = units.Layout(S["root"], S["dest"], PREFIX)
    svc = unit("connector@.service", "x")
    units.ensure_user(units.one(svc, "Service", "User"))
    S["env"] = env = Env()
    env.vc.start()
    env.aws.start()
    S["ca"] = os.path.join(S["tmp"], "aws-ca.pem")
    shutil.copyfile(env.aws.info["ca"], S["ca"])
    os.chmod(S["ca"], 0o644)
    S["port"] = free_port()
    S["init_output"] = run_init()
    start_programs()
    start_nginx()
    env.inst = S["inst"] = Instance(root=S["root"])
    inst().port = S["port"]
    S["wizard"] = None


def teardown():
    try:
        stop_all()
    finally:
        env = S.get("env")
        if env:
            env.aws.stop()
            env.vc.stop()
        if S.get("tmp"):
            shutil.rmtree(S["tmp"], ignore_errors=True)


# ---- the units and the install agree ----

@suite.test
def test_units_use_only_keys_the_test_carries_out():
    for name in ("connector-init.service", "connector@.service"):
        eq(units.check_known(unit(name), "Service", units.SERVICE_KEYS), [],
           "unknown keys in " + name)
    eq(units.check_known(unit("connector@.socket"), "Socket",
                         units.SOCKET_KEYS), [],
       "unknown keys in connector@.socket")


@suite.test
def test_every_installed_program_has_a_socket_unit():
    installed = sorted(os.listdir(os.path.join(
        S["dest"], PREFIX[1:], "lib/connector/cgi-bin")))
    eq(sorted(programs()), installed, "programs connector-init.service "
       "starts before")


@suite.test
def test_installed_files_readable_whatever_the_umask():
    bad = []
    for d, dirs, files in os.walk(S["dest"]):
        for n in dirs + files:
            p = os.path.join(d, n)
            mode = stat.S_IMODE(os.lstat(p).st_mode)
            want = 0o755 if n in dirs or os.access(p, os.X_OK) else 0o644
            if mode != want:
                bad.append("%s %04o" % (os.path.relpath(p, S["dest"]), mode))
    eq(bad, [], "installed with other modes than 0644/0755")


@suite.test
def test_init_unit_names_the_users_of_the_program_units():
    argv = units.Layout("/", "/", PREFIX).argv(units.one(
        unit("connector-init.service"), "Service", "ExecStart"))[1]
    svc = unit("connector@.service", "x")
    sock = unit("connector@.socket", "x")
    check("--service-user" in argv and "--web-user" in argv,
          "init is not given the users: %r", argv)
    eq(argv[argv.index("--service-user") + 1],
       units.one(svc, "Service", "User"), "init's service user")
    eq(argv[argv.index("--web-user") + 1],
       units.one(sock, "Socket", "SocketGroup"), "init's web user")
    eq(units.one(sock, "Socket", "SocketUser"), units.one(svc, "Service",
                                                          "User"),
       "the sockets' owner")


@suite.test
def test_init_prints_console_and_setup_code():
    out = S["init_output"]
    check("Console:      https://127.0.0.1:%d/" % S["port"] in out,
          "no console address in %r", out)
    check(SETUP_CODE_RE.search(out), "no setup code in %r", out)


@suite.test
def test_bad_init_unknown_service_user_changes_nothing():
    root = os.path.join(S["tmp"], "other-root")
    env = dict(program_env(), CONNECTOR_ROOT=root)
    tool = os.path.join(S["dest"], PREFIX[1:], "sbin/connector-setup")
    p = subprocess.run([tool, "init", "--service-user", "no-such-user-x",
                        "--web-user", "www-data"], env=env,
                       capture_output=True, text=True, timeout=60)
    eq(p.returncode, 1, "exit status")
    check("there is no user no-such-user-x" in p.stderr, "message: %r",
          p.stderr)
    check(not os.path.exists(root), "init made %s anyway", root)
    p = subprocess.run([tool, "init", "--service-user", "connector"],
                       env=env, capture_output=True, text=True, timeout=60)
    eq(p.returncode, 2, "exit status without --web-user")
    check(not os.path.exists(root), "init made %s anyway", root)


# ---- processes ----

@suite.test
def test_programs_run_as_service_user():
    user = units.one(unit("connector@.service", "x"), "Service", "User")
    for prog in programs():
        p = S["procs"][prog]
        check(p.poll() is None, "%s stopped: %s", prog,
              read(os.path.join(S["tmp"], prog + ".journal"))[-400:])
        workers = wait_for(lambda: children(p.pid), 10) or []
        check(workers, "%s has no workers", prog)
        users = ps_users([p.pid] + workers)
        eq(sorted(users), sorted([p.pid] + workers), "%s's processes" % prog)
        for pid, u in users.items():
            eq(u, user, "user of %s (%s)" % (cmdline(pid), prog))


@suite.test
def test_nginx_workers_run_as_web_user():
    web = units.one(unit("connector@.socket", "x"), "Socket", "SocketGroup")
    conf = read(rpath("etc/connector/nginx.conf"))
    check(re.search(r"^user %s;" % web, conf, re.M), "the rendered nginx.conf "
          "does not name %s as its user", web)
    master = S["procs"]["nginx"].pid
    eq(ps_users([master]), {master: "root"}, "nginx's master")
    workers = children(master)
    check(workers, "nginx has no workers")
    eq(ps_users(workers), {w: web for w in workers}, "nginx's workers")


# ---- the console, used ----

@suite.test
def test_claim_with_setup_code_init_printed():
    code = SETUP_CODE_RE.search(S["init_output"]).group(1)
    c = inst().client()
    r = c.claim(code)
    eq(r.status, 303, "claim")
    check(c.signed_in(), "not signed in after the claim")


@suite.test
def test_sign_in():
    c = inst().client()
    eq(c.login().status, 303, "sign in")
    check(c.signed_in(), "the dashboard is not shown")
    S["wizard"] = Wizard(S["env"], c)


@suite.test
def test_register_against_doubles():
    r = S["wizard"].run_all()
    check(r.status == 303, "register: %r %r", r, errors(r))
    check("registration.at" in dict(inst().sql(
        "SELECT name, value FROM settings")), "not registered")
    check(S["env"].find_extension(), "vCenter has no plugin")


@suite.test
def test_rotate_encryption_key():
    c = S["wizard"].c
    old = inst().sql1("SELECT key_id FROM secret_key")[0]
    r = c.post("/keys/encryption", [("csrf", c.form_csrf("/keys")),
                                    ("password", PASSWORD)])
    eq(r.status, 303, "rotate")
    new = inst().sql1("SELECT key_id FROM secret_key")[0]
    check(new != old, "the key did not change")
    keys = sorted(os.listdir(rpath("var/lib/connector/keys")))
    eq(keys, [new + ".key"], "key files")


# ---- logs, owners and modes ----

@suite.test
def test_program_log_written_by_service_user():
    log = rpath("var/log/connector/connector.log")
    eq(owner(log)[0], "connector", "owner of connector.log")
    text = read(log)
    check(re.search(r" setup\[\d+\] info: console claimed", text),
          "the claim is not in connector.log: %r", text[-600:])
    check(re.search(r" keys\[\d+\] ", text), "nothing from keys in "
          "connector.log")


@suite.test
def test_audit_log_has_requests():
    # nginx writes a request's line after its answer: give the last one a
    # moment to land.
    deadline = time.monotonic() + 10
    while True:
        actions = [e.get("action") for e in inst().audit()]
        if "rotate encryption key: ok" in actions or \
                time.monotonic() > deadline:
            break
        time.sleep(0.1)
    for want in ("setup: console claimed", "rotate encryption key: ok"):
        check(want in actions, "no %r in the audit log: %r", want, actions)
    check(any(a and a.startswith("register") for a in actions),
          "no registration in the audit log: %r", actions)
    check(any(e["uri"] == "/login" and e["method"] == "POST" and
              e["status"] == 303 for e in inst().audit()),
          "no sign-in in the audit log")


@suite.test
def test_files_owners_and_modes():
    want = {
        "etc/connector": ("root", "root", "0755"),
        "etc/connector/site.conf": ("root", "root", "0644"),
        "etc/connector/nginx.conf": ("root", "root", "0644"),
        "etc/connector/errors": ("root", "root", "0755"),
        "var/lib/connector": ("connector", "connector", "0755"),
        "var/lib/connector/state.db": ("connector", "connector", "0600"),
        "var/lib/connector/keys": ("connector", "connector", "0700"),
        "var/lib/connector/tls": ("root", "root", "0700"),
        "var/lib/connector/nginx": ("www-data", "www-data", "0700"),
        "var/lib/connector/tls/current/key.pem": ("root", "root", "0600"),
        "var/log/connector": ("root", "connector", "0750"),
        "var/log/connector/connector.log": ("connector", "connector",
                                            "0640"),
        "var/log/connector/audit.log": ("root", "root", "0644"),
        "run/connector": ("root", "root", "0755"),
    }
    for prog in programs():
        want["run/connector/%s.sock" % prog] = ("connector", "www-data",
                                                "0660")
    if os.path.exists(rpath("etc/connector/setup-code")):
        # Until the next init removes it: the programs cannot.
        want["etc/connector/setup-code"] = ("root", "root", "0600")
    for name in os.listdir(rpath("var/lib/connector/keys")):
        want["var/lib/connector/keys/" + name] = ("connector", "connector",
                                                  "0600")
    got = {rel: owner(rpath(rel)) for rel in want}
    bad = {rel: "%s, want %s" % (got[rel], w) for rel, w in want.items()
           if got[rel] != w}
    eq(bad, {}, "owners and modes")
    for rel in ["var", "var/lib", "var/log", "run", "etc"]:
        check(os.stat(rpath(rel)).st_mode & 0o005 == 0o005,
              "%s is not open to others (%s)", rel, owner(rpath(rel)))


@suite.test
def test_init_again_keeps_console_working():
    """The next boot: init again over the used instance, then the programs
    (restarted) still sign in, read the stored secrets and log."""
    stop_all()
    out = run_init()
    check("The console is claimed" in out, "init again: %r", out)
    start_programs()
    start_nginx()
    c = inst().client()
    eq(c.login().status, 303, "sign in after init again")
    r = c.get("/register/review")
    check(r.status in (200, 302, 303), "review: %r", r)
    eq(owner(rpath("var/log/connector"))[1:], ("connector", "0750"),
       "log directory after init again")
    text = read(rpath("var/log/connector/connector.log"))
    check(text.count(" starting ") >= 2 * len(programs()), "the restarted "
          "programs did not log their start")


if __name__ == "__main__":
    suite.run(setup, teardown)
