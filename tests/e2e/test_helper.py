"""The privileged helper (sbin/connector-helper): bad requests on a
temporary root are refused or ignored with nothing done (an unknown action,
a staged path outside the directory, a symbolic link as the request or as
the staged file, a request written by another user, a half-written and a
cut request, a flood); then, under scripts/connector-run, a reload of the
instance's nginx is observed (a changed configuration is served), a restart
changes the programs' pids, a bad request changes nothing, and
connector-setup's subcommands act the same way."""
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (SHARE, TOP, Instance, Suite, check, children,  # noqa
                     eq, wait_for)

HELPER = os.path.join(TOP, "build", "sbin", "connector-helper")
SUBMIT = os.path.join(TOP, "build", "tests", "privreq-submit")
PROGRAMS = ("setup", "login", "dashboard", "register", "keys")
MAX_QUEUED = 64
MAX_PER_WAKE = 16
ID = "0123456789abcdef0123456789abcdef"
suite = Suite()
inst = None


# ---- a temporary root without a running console ----

class Root:
    """A temporary root with an empty request directory; the helper runs
    once over it (no --watch) and its log lines are kept."""

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="connector-helper-")
        self.requests = os.path.join(self.root, "var/lib/connector/requests")
        self.results = os.path.join(self.root, "var/lib/connector/results")
        os.makedirs(self.requests, mode=0o700)
        self.log = ""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.root, ignore_errors=True)
        return False

    def put(self, name, text, mode=0o600):
        path = os.path.join(self.requests, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode() if isinstance(text, str) else text)
        return path

    def helper(self):
        p = subprocess.run([HELPER, "--root", self.root],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
        self.log += p.stderr.decode(errors="replace")
        eq(p.returncode, 0, "helper status (%s)" % self.log[-300:])

    def result(self, rid):
        try:
            with open(os.path.join(self.results, rid + ".result")) as f:
                return dict(l.split("=", 1) for l in f.read().splitlines())
        except FileNotFoundError:
            return None

    def actions_done(self):
        """How many times the helper carried out an action."""
        return len(re.findall(r"privileged request \w+ \([a-z-]+\) taken",
                              self.log))

    def submit(self, action):
        env = dict(os.environ, CONNECTOR_ROOT=self.root,
                   CONNECTOR_SHARE=SHARE)
        p = subprocess.run([SUBMIT, action], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, env=env, timeout=30)
        return p.returncode, p.stdout.decode().strip()


def request(action, rid=ID, extra=""):
    return ("connector-request 1\naction=%s\nid=%s\n%send\n"
            % (action, rid, extra))


def refused(root, rid, words):
    r = root.result(rid)
    check(r is not None, "no result for %s (log: %s)", rid, root.log[-300:])
    eq(r["outcome"], "refused", "outcome")
    check(words in r["message"], "message %r lacks %r", r["message"], words)
    eq(root.actions_done(), 0, "actions done")


@suite.test
def test_bad_unknown_action_refused():
    with Root() as root:
        root.put("format-disk-%s.req" % ID, request("format-disk"))
        root.helper()
        refused(root, ID, "not one the helper knows")
        eq(os.listdir(root.requests), [], "request left")


@suite.test
def test_bad_staged_relative_path_refused():
    with Root() as root:
        secret = os.path.join(root.root, "var/lib/connector/x")
        with open(secret, "w") as f:
            f.write("outside")
        root.put("reload-nginx-%s.req" % ID,
                 request("reload-nginx", extra="file=../x\n"))
        root.helper()
        refused(root, ID, "is a path")
        eq(open(secret).read(), "outside", "the file outside")


@suite.test
def test_bad_staged_absolute_path_refused():
    with Root() as root:
        root.put("reload-nginx-%s.req" % ID,
                 request("reload-nginx", extra="file=/etc/passwd\n"))
        root.helper()
        refused(root, ID, "is a path")


@suite.test
def test_bad_symlink_request_refused():
    with Root() as root:
        target = os.path.join(root.root, "target")
        with open(target, "w") as f:
            f.write(request("reload-nginx"))
        os.symlink(target, os.path.join(root.requests,
                                        "reload-nginx-%s.req" % ID))
        root.helper()
        refused(root, ID, "symbolic link")
        eq(os.listdir(root.requests), [], "the link left")
        eq(open(target).read(), request("reload-nginx"), "the target")


@suite.test
def test_bad_symlink_staged_file_refused():
    with Root() as root:
        os.symlink("/etc/shadow", os.path.join(root.requests, "cert.p12"))
        root.put("reload-nginx-%s.req" % ID,
                 request("reload-nginx", extra="file=cert.p12\n"))
        root.helper()
        refused(root, ID, "staged file is a symbolic link")
        eq(os.listdir(root.requests), [], "files left")


@suite.test
def test_bad_request_of_another_user_refused():
    nobody = pwd.getpwnam("nobody")
    with Root() as root:
        path = root.put("reload-nginx-%s.req" % ID, request("reload-nginx"))
        os.chown(path, nobody.pw_uid, nobody.pw_gid)
        root.helper()
        refused(root, ID, "another user")


@suite.test
def test_half_written_request_ignored():
    with Root() as root:
        name = "reload-nginx-%s.req.tmp.4242" % ID
        root.put(name, "connector-request 1\naction=reload-ng")
        root.helper()
        eq(os.listdir(root.requests), [name], "request directory")
        eq(root.result(ID), None, "result")
        eq(root.actions_done(), 0, "actions done")


@suite.test
def test_bad_cut_request_refused():
    with Root() as root:
        root.put("reload-nginx-%s.req" % ID,
                 request("reload-nginx")[:-len("end\n")])
        root.helper()
        refused(root, ID, "incomplete")


@suite.test
def test_bad_flood_capped_and_coalesced():
    with Root() as root:
        ids = []
        refusals = 0
        for _ in range(500):
            rc, out = root.submit("reload-nginx")
            if rc == 0:
                ids.append(out)
            else:
                refusals += 1
        eq(len(ids), MAX_QUEUED, "requests accepted")
        eq(refusals, 500 - MAX_QUEUED, "requests refused")
        root.helper()
        eq(len(os.listdir(root.requests)), MAX_QUEUED - MAX_PER_WAKE,
           "requests left after one wake")
        eq(root.actions_done(), 1, "actions done in one wake")
        answered = [i for i in ids if root.result(i)]
        eq(len(answered), MAX_PER_WAKE, "requests answered in one wake")
        eq(len({root.result(i)["message"] for i in answered}), 1,
           "one shared result")
        while os.listdir(root.requests):
            root.helper()
        eq(root.actions_done(), MAX_QUEUED // MAX_PER_WAKE, "actions done")
        eq(sum(1 for i in ids if root.result(i)), MAX_QUEUED, "answered")


# ---- a console under scripts/connector-run ----

def submit_live(action):
    env = dict(os.environ, CONNECTOR_ROOT=inst.root, CONNECTOR_SHARE=SHARE)
    p = subprocess.run([SUBMIT, action], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, env=env, timeout=30)
    eq(p.returncode, 0, "submit %s" % action)
    return p.stdout.decode().strip()


def live_result(rid, timeout=20):
    path = inst.path("var/lib/connector/results/%s.result" % rid)

    def read():
        try:
            with open(path) as f:
                return dict(l.split("=", 1) for l in f.read().splitlines())
        except FileNotFoundError:
            return None
    r = wait_for(read, timeout)
    check(r is not None, "no result for %s", rid)
    return r


def nginx_workers():
    with open(inst.path("run/connector/nginx.pid")) as f:
        return children(int(f.read().strip()))


def masters():
    return {p: inst.master_pid(p) for p in PROGRAMS}


def site_probe(body):
    """Add a location answering body to the rendered site (not reloaded)."""
    site = inst.path("etc/connector/site.conf")
    with open(site) as f:
        text = f.read()
    text = re.sub(r"location = /helper-probe \{[^}]*\}\n", "", text)
    text = text.replace("server_tokens off;", "server_tokens off;\n\t"
                        "location = /helper-probe { return 200 \"%s\"; }\n"
                        % body, 1)
    with open(site, "w") as f:
        f.write(text)


def probe():
    r = inst.client().get("/helper-probe")
    return r.text if r.status == 200 else None


@suite.test
def test_reload_nginx_request_serves_changed_config():
    site_probe("first")
    eq(probe(), None, "the probe before the reload")
    r = live_result(submit_live("reload-nginx"))
    eq(r["outcome"], "done", "outcome (%s)" % r.get("message"))
    check(wait_for(lambda: probe() == "first", 10), "the probe after the "
          "reload: %r", probe())


@suite.test
def test_restart_services_request_changes_program_pids():
    before = masters()
    check(all(before.values()), "programs before: %r", before)
    answer = inst.client().get("/login").status
    check(answer < 500, "the console answers %d before the restart", answer)
    r = live_result(submit_live("restart-services"))
    eq(r["outcome"], "done", "outcome (%s)" % r.get("message"))

    def restarted():
        now = masters()
        return now if all(now[p] and now[p] != before[p]
                          for p in PROGRAMS) else None
    check(wait_for(restarted, 20), "pids after: %r", masters())
    check(wait_for(lambda: inst.client().get("/login").status == answer,
                   20), "the console does not answer after the restart")


@suite.test
def test_bad_requests_change_nothing_live():
    workers, progs = nginx_workers(), masters()
    requests = inst.path("var/lib/connector/requests")
    with open(os.path.join(requests, "format-disk-%s.req" % ID), "w") as f:
        f.write(request("format-disk"))
    rid2 = "f" * 32
    os.symlink("/etc/passwd", os.path.join(requests, "reload-nginx-%s.req"
                                           % rid2))
    eq(live_result(ID)["outcome"], "refused", "unknown action")
    eq(live_result(rid2)["outcome"], "refused", "symbolic link")
    eq(nginx_workers(), workers, "nginx workers (a reload replaces them)")
    eq(masters(), progs, "program pids")


@suite.test
def test_setup_tool_reload_nginx_serves_changed_config():
    site_probe("second")
    p = inst.setup_tool("reload-nginx")
    eq(p.returncode, 0, "status (%r)" % p.stderr)
    check(b"reloaded" in p.stdout, "no confirmation: %r", p.stdout)
    check(wait_for(lambda: probe() == "second", 10), "the probe: %r",
          probe())


@suite.test
def test_bad_setup_tool_reload_nginx_broken_config_kept_out():
    workers = nginx_workers()
    site = inst.path("etc/connector/site.conf")
    with open(site) as f:
        good = f.read()
    try:
        with open(site, "w") as f:
            f.write(good + "\nthis is not nginx;\n")
        p = inst.setup_tool("reload-nginx")
        eq(p.returncode, 1, "status")
        check(b"has an error" in p.stderr, "message %r", p.stderr)
        eq(nginx_workers(), workers, "nginx workers")
        eq(probe(), "second", "the probe still served")
    finally:
        with open(site, "w") as f:
            f.write(good)


@suite.test
def test_setup_tool_restart_services_changes_program_pids():
    before = masters()
    p = inst.setup_tool("restart-services")
    eq(p.returncode, 0, "status (%r)" % p.stderr)

    def restarted():
        now = masters()
        return now if all(now[q] and now[q] != before[q]
                          for q in PROGRAMS) else None
    check(wait_for(restarted, 20), "pids after: %r", masters())


if __name__ == "__main__":
    suite.main(lambda: Instance().start(), globals())
