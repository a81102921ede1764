"""make demo: scripts/connector-demo starts the doubles and a console, claims
it with a printed password and registers it through the wizard; Ctrl-C
stops everything it started."""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time

from harness import (Suite, check, eq, free_port, Client, Instance,
                     _pgid_members,
                     _live_procs, children, cmdline, TOP)

DEMO = os.path.join(TOP, "scripts", "connector-demo")
suite = Suite()
S = {}


def start_demo():
    root = tempfile.mkdtemp(prefix="connector-demo-")
    port = free_port()
    p = subprocess.Popen([DEMO, "--port", str(port), "--root", root],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, start_new_session=True,
                         text=True)
    out = []
    ready = threading.Event()

    def reader():
        for line in p.stdout:
            out.append(line.rstrip("\n"))
            if line.startswith("Press Ctrl-C"):
                ready.set()
        ready.set()
    threading.Thread(target=reader, daemon=True).start()
    ready.wait(600)
    return p, out, root, port


def setup():
    S["proc"], S["out"], S["root"], S["port"] = start_demo()


def teardown():
    p = S.get("proc")
    if p and p.poll() is None:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    shutil.rmtree(S.get("root", "/nonexistent"), ignore_errors=True)


@suite.test
def test_demo_prints_url_and_password():
    text = "\n".join(S["out"])
    check("Press Ctrl-C to stop." in text, "demo did not start:\n%s", text)
    check(re.search(r"Demo console:\s+https://127\.0\.0\.1:%d/" % S["port"],
                    text), "no URL:\n%s", text)
    m = re.search(r"Password:\s+(\S+)", text)
    check(m, "no password:\n%s", text)
    S["password"] = m.group(1)
    # The demonstration runs the jobs on the cron schedule, unlike a
    # test console: the health job every minute.
    check(re.search(r"^Jobs: .*connector-health every 60s", text, re.M),
          "the jobs are not on their schedule:\n%s", text)


@suite.test
def test_demo_console_is_registered():
    inst = Instance(root=S["root"])
    inst.port = S["port"]
    c = Client(inst)
    eq(c.login(S["password"]).status, 303, "sign-in with the printed password")
    r = c.get("/")
    check("OK — registered with vCenter" in r.text,
          "the dashboard does not say registered")
    r = c.get("/keys")
    check("AMP-connector key" in r.text and "connector key" in r.text,
          "no portal key on /keys")


def descendants(pid):
    """Every live process below pid (the doubles run in groups of their
    own, so the process group alone does not find them)."""
    out, todo = [], [pid]
    while todo:
        for c in children(todo.pop()):
            out.append(c)
            todo.append(c)
    return out


@suite.test
def test_demo_ctrl_c_stops_everything():
    p = S["proc"]
    below = descendants(p.pid)
    names = " ".join(cmdline(x) for x in below)
    check("vcenter-double" in names and "server.mjs" in names and
          "nginx" in names, "the demo's processes are not all there: %s",
          names)
    os.killpg(p.pid, signal.SIGINT)
    try:
        p.wait(60)
    except subprocess.TimeoutExpired:
        # Say what was still there, and in what state, for the next look.
        left = []
        for x in [p.pid] + descendants(p.pid):
            try:
                with open("/proc/%d/stat" % x) as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
            except OSError:
                state = "?"
            left.append("%d %s %s" % (x, state, cmdline(x)[:80]))
        check(False, "the demo did not stop on Ctrl-C; still there: %s",
              "; ".join(left))
    eq(p.returncode, 0, "exit status")
    deadline = time.time() + 20
    while _pgid_members(p.pid) and time.time() < deadline:
        time.sleep(0.2)
    check(not _pgid_members(p.pid), "processes left: %r",
          _pgid_members(p.pid))
    alive = {pid for pid, _ in _live_procs()}
    left = [x for x in below if x in alive]
    check(not left, "processes left: %s",
          "; ".join(cmdline(x) for x in left))
    check(any(l == "Stopped." for l in S["out"]), "no 'Stopped.' line")


if __name__ == "__main__":
    suite.run(setup, teardown)
