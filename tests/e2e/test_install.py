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
units and INSTALL.  The installed /etc/cron.d/connector is read and its
job lines run as their user the way cron runs them; the privileged helper
runs as connector-helper.service says, over requests the service user
staged, and its unit's sandbox is checked against what its actions need.

Needs root (it creates the `connector` system user when missing, which
stays).  Everything else lives in one temporary tree, removed at the end,
and every process it started is stopped."""
import fcntl
import fnmatch
import grp
import json
import os
import time
import pwd
import re
import secrets
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
    # The programs' side of the helper's queue, where the service user can
    # run it.
    p = subprocess.run(["make", "-s", "build/tests/privreq-submit"], cwd=TOP,
                       capture_output=True, text=True, timeout=600)
    check(p.returncode == 0, "make privreq-submit failed: %s",
          p.stderr[-1500:])
    S["submit"] = os.path.join(S["tmp"], "privreq-submit")
    shutil.copyfile(os.path.join(TOP, "build/tests/privreq-submit"),
                    S["submit"])
    os.chmod(S["submit"], 0o755)
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
def test_install_doc_enables_every_installed_unit():
    """Every installed unit with an [Install] section is enabled by a
    systemctl enable line of INSTALL (a template once per program)."""
    text = read(os.path.join(TOP, "INSTALL")).replace("\\\n", " ")
    enabled = set()
    for m in re.finditer(r"systemctl enable ([^\n]+)", text):
        enabled.update(w for w in m.group(1).split() if not
                       w.startswith("-"))
    missing = []
    for name in sorted(os.listdir(os.path.join(S["dest"],
                                               "lib/systemd/system"))):
        if "Install" not in units.parse(unit_path(name)):
            continue
        want = [name.replace("@.", "@%s." % p) for p in programs()] \
            if "@." in name else [name]
        missing += [w for w in want if w not in enabled]
    eq(missing, [], "installed units INSTALL does not enable")


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
def test_programs_run_without_core_files():
    """LimitCORE=0: a worker that crashes leaves no core file holding a
    password it was given."""
    eq(units.one(unit("connector@.service", "x"), "Service", "LimitCORE"),
       "0", "the unit's LimitCORE")
    for prog in programs():
        p = S["procs"][prog]
        for pid in [p.pid] + (children(p.pid) or []):
            with open("/proc/%d/limits" % pid) as f:
                line = [x for x in f if x.startswith("Max core file size")]
            eq(line[0].split()[4:6], ["0", "0"], "core limit of %s" % prog)


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
    # The service account's domain (CORP) is not the double's directory:
    # the administrator names it on the Users page.
    r = S["wizard"].c.submit_session("/users/directory",
                                     [("domain", "vsphere.local"),
                                      ("limit", "")])
    eq((r.status, r.location), (303, inst().origin + "/users"),
       "the Users page's directory settings")


@suite.test
def test_rotate_encryption_key():
    c = S["wizard"].c
    old = inst().sql1("SELECT key_id FROM secret_key")[0]
    r = c.post("/keys/encryption", [("csrf", c.form_csrf("/keys")),
                                    ("password", PASSWORD)])
    eq((r.status, r.location), (303, inst().origin + "/keys"), "rotate")
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
        "var/lib/connector/requests": ("connector", "connector", "0700"),
        "var/lib/connector/results": ("root", "root", "0755"),
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


# ---- the cron jobs, as /etc/cron.d/connector runs them ----

def service_user():
    return units.one(unit("connector@.service", "x"), "Service", "User")


def crontab():
    """(path, variables, jobs) of the installed cron file."""
    path = os.path.join(S["dest"], "etc/cron.d/connector")
    variables, jobs = units.parse_crontab(path)
    return path, variables, jobs


def cron_job(program):
    """The job line whose command runs program."""
    jobs = [j for j in crontab()[2] if os.path.basename(
        units.cron_command(j["command"], S["layout"])[0]) == program]
    eq(len(jobs), 1, "job lines running " + program)
    return jobs[0]


def run_job(job):
    """A job line run as cron would, on the test's instance."""
    variables = crontab()[1]
    return units.run_cron_job(job, variables, S["layout"],
                              {"CONNECTOR_ROOT": S["root"]})


def tree():
    """{path below the root: (uid, mtime_ns)} of every file and directory
    of the instance."""
    out = {}
    for d, dirs, files in os.walk(S["root"]):
        for n in dirs + files:
            p = os.path.join(d, n)
            st = os.lstat(p)
            out[os.path.relpath(p, S["root"])] = (st.st_uid, st.st_mtime_ns)
    return out


def job_rows():
    return inst().sql("SELECT id, job, outcome, counts, error FROM jobs "
                      "ORDER BY id")


def as_service_user_sql(query, params):
    """Run one write on state.db as the service user (a file root made
    next to the database would lock the programs out)."""
    code = ("import sqlite3, sys, json\n"
            "c = sqlite3.connect(sys.argv[1], timeout=10)\n"
            "c.execute(sys.argv[2], json.loads(sys.argv[3]))\n"
            "c.commit()\n")
    p = subprocess.run(units.as_user(service_user()) + [
        "python3", "-c", code, rpath("var/lib/connector/state.db"), query,
        json.dumps(params)], capture_output=True, text=True, timeout=60)
    eq(p.returncode, 0, "write as %s (%s)" % (service_user(), p.stderr))


@suite.test
def test_cron_file_is_one_cron_reads():
    path, variables, jobs = crontab()
    check("." not in os.path.basename(path), "cron ignores %s: its name has "
          "a dot", path)
    eq(owner(path), ("root", "root", "0644"), "owner and mode of the cron "
       "file")
    check(variables.get("MAILTO"), "no MAILTO in the cron file: %r",
          variables)
    check(jobs, "no job line in the cron file")
    for job in jobs:
        eq(job["user"], service_user(), "user of %r" % job["line"])
        prog = units.cron_command(job["command"], S["layout"])[0]
        check(prog.startswith(os.path.join(S["dest"], PREFIX[1:],
                                           "lib/connector/cron/")),
              "%r does not run an installed job", job["line"])
        check(os.path.isfile(prog) and os.access(prog, os.X_OK),
              "%s is not an installed program", prog)


@suite.test
def test_cron_jobs_quiet_run_recorded_owned_by_service_user():
    for job in crontab()[2]:
        before, rows = tree(), job_rows()
        # A first run may have news (the UserProvider's first list); the
        # next one, with nothing new, is quiet.
        first = run_job(job)
        eq(first.returncode, 0, "%r: status (%s)" % (job["line"],
                                                     first.stdout))
        p = run_job(job)
        eq((p.returncode, p.stdout), (0, ""), "%r: status and output"
           % job["line"])
        new = job_rows()[len(rows):]
        eq(len(new), 2, "runs recorded by %r" % job["line"])
        eq([r[2] for r in new], ["ok", "ok"], "outcomes of %r (%s)"
           % (job["line"], new[-1][4]))
        made = sorted(set(tree()) - set(before))
        check(any(m.endswith(".lock") for m in made), "%r made no lock "
              "file: %r", job["line"], made)
        bad = [m for m in made if owner(rpath(m))[0] != job["user"]]
        eq(bad, [], "files %r made not owned by %s" % (job["line"],
                                                       job["user"]))


@suite.test
def test_cron_housekeeping_removes_leftover_key_and_says_so():
    job = cron_job("connector-housekeeping")
    uid, gid = units.ids(job["user"], None)
    leftover = rpath("var/lib/connector/keys/%s.key" % secrets.token_hex(8))
    with open(os.open(leftover, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                      0o600), "wb") as f:
        f.write(os.urandom(32))
    os.chown(leftover, uid, gid)
    old = int(time.time()) - 90 * 24 * 3600
    token = secrets.token_hex(32)
    as_service_user_sql("INSERT INTO sessions (token_hash, csrf, created_at, "
                        "last_seen, addr) VALUES (?, 'x', ?, ?, "
                        "'192.0.2.1')", [token, old, old])
    rows = job_rows()
    p = run_job(job)
    eq(p.returncode, 0, "status (%s)" % p.stdout)
    check(re.fullmatch(r"housekeeping: removed 1 leftover key file\n",
                       p.stdout), "what cron would mail: %r", p.stdout)
    check(not os.path.exists(leftover), "the leftover key file is still "
          "there")
    eq(inst().sql("SELECT 1 FROM sessions WHERE token_hash = ?", (token,)),
       [], "the expired session")
    new = job_rows()[len(rows):]
    eq([r[2] for r in new], ["ok"], "runs recorded")
    counts = json.loads(new[0][3])
    eq(counts.get("key_files"), 1, "key files counted")
    check(counts.get("sessions", 0) >= 1, "no session counted: %r", counts)
    keys = os.listdir(rpath("var/lib/connector/keys"))
    eq(keys, [inst().sql1("SELECT key_id FROM secret_key")[0] + ".key"],
       "key files left")


@suite.test
def test_cron_job_skipped_quietly_while_a_run_holds_its_lock():
    job = cron_job("connector-housekeeping")
    locks = [n for n in os.listdir(rpath("var/lib/connector"))
             if n == "housekeeping.lock"]
    eq(len(locks), 1, "the job's lock file")
    rows = job_rows()
    fd = os.open(rpath("var/lib/connector/housekeeping.lock"), os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        p = run_job(job)
    finally:
        os.close(fd)
    eq((p.returncode, p.stdout), (0, ""), "status and output")
    eq(job_rows(), rows, "runs recorded while the lock is held")


# ---- the privileged helper, as connector-helper.service runs it ----

def helper_unit():
    return unit("connector-helper.service")


def submit(action):
    """Stage a request as the service user; its id."""
    p = subprocess.run(units.as_user(service_user()) + [S["submit"], action],
                       env={"CONNECTOR_ROOT": S["root"], "PATH": "/usr/bin:"
                            "/bin"}, capture_output=True, text=True,
                       timeout=30, cwd="/")
    eq(p.returncode, 0, "submit %s (%s%s)" % (action, p.stdout, p.stderr))
    return p.stdout.strip()


def result_as_service_user(rid):
    """(outcome, action, message) of a result, read as the service user."""
    p = subprocess.run(units.as_user(service_user()) + [
        S["submit"], "--result", rid], env={"CONNECTOR_ROOT": S["root"]},
        capture_output=True, text=True, timeout=30, cwd="/")
    eq(p.returncode, 0, "the service user reads result %s (%s)"
       % (rid, p.stdout))
    return tuple(p.stdout.splitlines())


def run_helper():
    """One pass of the helper as its unit says (as root, --root for the
    instance); the directories it changed are noted for the sandbox
    test.  Returns its log (standard error, the journal)."""
    before = tree()
    p = units.run_oneshot(helper_unit(), S["layout"], {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"},
        extra=["--root", S["root"]])
    after = tree()
    changed = {rel for rel in set(before) | set(after)
               if before.get(rel) != after.get(rel) and not
               os.path.isdir(rpath(rel))}
    S.setdefault("helper_wrote", set()).update(
        "/" + os.path.dirname(rel) for rel in changed)
    return p.stderr


def nginx_workers():
    return set(children(S["procs"]["nginx"].pid))


def program_pids():
    return {prog: S["procs"][prog].pid for prog in programs()
            if S["procs"][prog].poll() is None}


@suite.test
def test_helper_unit_runs_installed_helper_as_root():
    svc = helper_unit()
    eq(units.check_known(svc, "Service", units.SERVICE_KEYS), [],
       "unknown keys in connector-helper.service")
    eq(units.one(svc, "Service", "User", "root"), "root", "the helper's user")
    argv = S["layout"].argv(units.one(svc, "Service", "ExecStart"))[1]
    check(os.access(argv[0], os.X_OK), "%s is not installed", argv[0])
    check("--user" in argv, "the helper is not told whose requests to take: "
          "%r", argv)
    eq(argv[argv.index("--user") + 1], service_user(), "--user")
    path = unit("connector-helper.path")
    eq(units.one(path, "Path", "Unit"), "connector-helper.service",
       "the path unit's service")


@suite.test
def test_helper_reloads_nginx_for_service_user_request():
    workers = nginx_workers()
    rid = submit("reload-nginx")
    staged = os.listdir(rpath("var/lib/connector/requests"))
    eq(len(staged), 1, "requests staged")
    # The path unit starts the helper for what was staged.
    glob = S["layout"].path(units.one(unit("connector-helper.path"), "Path",
                                      "PathExistsGlob"))
    check(fnmatch.fnmatch(rpath("var/lib/connector/requests/" + staged[0]),
                          glob), "%s does not match the path unit's %s",
          staged[0], glob)
    eq(owner(rpath("var/lib/connector/requests/" + staged[0]))[0],
       service_user(), "owner of the request")
    log = run_helper()
    eq(os.listdir(rpath("var/lib/connector/requests")), [], "requests left")
    eq(owner(rpath("var/lib/connector/results/%s.result" % rid)),
       ("root", "root", "0644"), "the result file")
    outcome, action, message = result_as_service_user(rid)
    eq((outcome, action), ("done", "reload-nginx"), "result (%s; log %s)"
       % (message, log[-400:]))
    check(wait_for(lambda: nginx_workers() and
                   not (nginx_workers() & workers), 15),
          "nginx's workers were not replaced: %r then %r", workers,
          nginx_workers())
    r = inst().client().get("/login")
    eq(r.status, 200, "the console after the reload")


@suite.test
def test_bad_helper_refuses_request_of_another_user():
    web = units.one(unit("connector@.socket", "x"), "Socket", "SocketGroup")
    uid, gid = units.ids(web, None)
    rid = secrets.token_hex(16)
    path = rpath("var/lib/connector/requests/reload-nginx-%s.req" % rid)
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600),
              "w") as f:
        f.write("connector-request 1\naction=reload-nginx\nid=%s\nend\n"
                % rid)
    os.chown(path, uid, gid)
    workers = nginx_workers()
    run_helper()
    check(not os.path.exists(path), "the request is left")
    outcome, _, message = result_as_service_user(rid)
    eq(outcome, "refused", "outcome (%s)" % message)
    check("written by another user" in message, "message: %r", message)
    eq(nginx_workers(), workers, "nginx's workers")


@suite.test
def test_helper_restart_fails_clearly_without_supervisor():
    """The test's root is not "/", so the helper acts on a development
    instance: with no supervisor running it must say so and touch no
    program."""
    pids = program_pids()
    workers = {prog: set(children(pid)) for prog, pid in pids.items()}
    rid = submit("restart-services")
    run_helper()
    outcome, action, message = result_as_service_user(rid)
    eq((outcome, action), ("failed", "restart-services"), "result")
    check("supervisor is not running" in message and "nothing was "
          "restarted" in message, "message: %r", message)
    eq(program_pids(), pids, "the programs")
    eq({prog: set(children(pid)) for prog, pid in pids.items()}, workers,
       "the programs' workers")


@suite.test
def test_helper_restarts_every_program_unit():
    """Production restarts the units listed in the helper: every program
    the install starts must be among them."""
    helper = S["layout"].argv(units.one(helper_unit(), "Service",
                                        "ExecStart"))[1][0]
    with open(helper, "rb") as f:
        binary = f.read()
    missing = [prog for prog in programs()
               if b"\0connector@%s.service\0" % prog.encode() not in binary]
    eq(missing, [], "programs the helper's restart leaves out")


def nginx_writes(text, base="/"):
    """Files nginx -t opens for writing in a configuration text: pid,
    error and access logs (paths below base made absolute from /)."""
    out = []
    for m in re.finditer(r"^\s*(pid|error_log|access_log)\s+([^\s;]+)",
                         text, re.M):
        v = m.group(2)
        if v in ("off", "stderr") or ":" in v:
            continue
        if base != "/" and v.startswith(base + "/"):
            v = "/" + os.path.relpath(v, base)
        out.append(v)
    return out


def covered(path, writable):
    return any(path == w or path.startswith(w.rstrip("/") + "/")
               for w in writable)


@suite.test
def test_helper_unit_sandbox_lets_it_write_what_its_actions_write():
    svc = helper_unit()
    rw = [w.lstrip("-") for line in svc["Service"].get("ReadWritePaths", [])
          for w in line.split()]
    read_only = {"strict": ["/"], "full": ["/usr", "/boot", "/efi", "/etc"],
                 "yes": ["/usr", "/boot", "/efi"], "true": ["/usr", "/boot",
                                                            "/efi"]}.get(
        units.one(svc, "Service", "ProtectSystem", "no"), [])
    # What the helper wrote in this run, and what the production nginx -t
    # opens: the system nginx configuration, its built-in paths, and the
    # site init renders.
    need = {d: "written by the helper" for d in S.get("helper_wrote", ())}
    check(need, "the helper has not run yet")
    system = read("/etc/nginx/nginx.conf")
    site = read(rpath("etc/connector/site.conf"))
    for p in nginx_writes(system) + nginx_writes(site, S["root"]):
        need[p] = "opened for writing by nginx -t"
    v = subprocess.run(["nginx", "-V"], capture_output=True,
                       text=True).stderr
    for m in re.finditer(r"--(?:pid-path|error-log-path|http-log-path|"
                         r"http-[a-z-]+-temp-path)=(\S+)", v):
        need[m.group(1)] = "written by nginx -t (built in)"
    blocked = {p: why for p, why in need.items()
               if any(covered(p, [r]) for r in read_only) and
               not covered(p, rw)}
    eq(blocked, {}, "read-only for the helper (ReadWritePaths)")


@suite.test
def test_helper_unit_sandbox_lets_nginx_test_bind_console_address():
    """nginx -t binds the address the console listens on in production
    (connector-init.service's --listen): its family, the capability to
    bind a port below 1024, and the address in the unit's network."""
    svc = helper_unit()
    init = S["layout"].argv(units.one(unit("connector-init.service"),
                                      "Service", "ExecStart"))[1]
    addr, port = init[init.index("--listen") + 1].rsplit(":", 1)
    families = " ".join(svc["Service"].get("RestrictAddressFamilies",
                                           [])).split()
    for fam in ("AF_UNIX", "AF_INET"):
        check(not families or fam in families, "RestrictAddressFamilies=%s "
              "forbids %s", " ".join(families), fam)
    caps = " ".join(svc["Service"].get("CapabilityBoundingSet", [])).split()
    if int(port) < 1024:
        check(not caps or "CAP_NET_BIND_SERVICE" in caps, "nginx -t cannot "
              "bind port %s: CapabilityBoundingSet=%s", port, " ".join(caps))
    if units.one(svc, "Service", "PrivateNetwork") == "yes":
        check(addr in ("0.0.0.0", "*") or addr.startswith("127."),
              "nginx -t cannot bind %s in a private network", addr)


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
