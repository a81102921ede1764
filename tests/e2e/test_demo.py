"""make demo: scripts/connector-demo starts the doubles and a console, claims
it with a printed password and registers it through the wizard; Ctrl-C
stops everything it started, also while it is still starting, and also
when it was started with SIGINT ignored (as a shell's background job is:
the way a whole test run is often started)."""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid

from harness import (Suite, check, eq, free_port, Client, Instance,
                     _pgid_members,
                     _live_procs, children, cmdline, wait_for, TOP)

DEMO = os.path.join(TOP, "scripts", "connector-demo")
suite = Suite()
S = {}


def start_demo(ignore_sigint=False, until="Press Ctrl-C", then=None):
    """Starts the demo in a session of its own and waits until it prints a
    line starting with until; then(p) runs at that line, from the thread
    that reads the output (so at that moment, not after a wait here).
    ignore_sigint starts it with SIGINT and SIGQUIT ignored, as a shell
    starts a background job.  Every process it starts carries a mark in
    its environment (see marked)."""
    root = tempfile.mkdtemp(prefix="connector-demo-")
    port = free_port()
    mark = "CONNECTOR_DEMO_TEST=%s" % uuid.uuid4().hex
    env = dict(os.environ)
    env.update([mark.split("=")])
    saved = {}
    if ignore_sigint:
        for sig in (signal.SIGINT, signal.SIGQUIT):
            saved[sig] = signal.signal(sig, signal.SIG_IGN)
    try:
        p = subprocess.Popen([DEMO, "--port", str(port), "--root", root],
                             stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, env=env,
                             start_new_session=True, text=True)
    finally:
        for sig, h in saved.items():
            signal.signal(sig, h)
    out = []
    ready = threading.Event()

    def reader():
        for line in p.stdout:
            out.append(line.rstrip("\n"))
            if line.startswith(until) and not ready.is_set():
                if then:
                    then(p)
                ready.set()
        ready.set()
    threading.Thread(target=reader, daemon=True).start()
    ready.wait(600)
    return p, out, root, port, mark.encode()


def marked(mark, root):
    """Live processes whose environment carries mark, or whose command
    names root (nginx writes its title over its environment): all that a
    demo started, wherever they went (reparented or in groups of their
    own)."""
    found = []
    for pid, _ in _live_procs():
        try:
            with open("/proc/%d/environ" % pid, "rb") as f:
                if mark in f.read().split(b"\0") or root in cmdline(pid):
                    found.append(pid)
        except OSError:
            pass
    return found


def leftovers(key):
    """What the demo S[key + "proc"] started and is still there."""
    if key + "mark" not in S:
        return []
    return marked(S[key + "mark"], S[key + "root"])


def wait_for_none(look, timeout=20):
    """look() until it returns nothing or timeout passes; its last answer."""
    deadline = time.time() + timeout
    left = look()
    while left and time.time() < deadline:
        time.sleep(0.2)
        left = look()
    return left


def setup():
    # The demonstration under test ignores SIGINT from the start, as
    # under a test run started in the background: its Ctrl-C must work
    # all the same (it did not, before it set its own handler).
    (S["proc"], S["out"], S["root"], S["port"],
     S["mark"]) = start_demo(ignore_sigint=True)


def teardown():
    for key in ("", "startup_"):
        p = S.get(key + "proc")
        if p and p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        # What a failed test leaves would run on for hours.
        for pid in leftovers(key):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(S.get(key + "root", "/nonexistent"),
                      ignore_errors=True)


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
    left = wait_for_none(lambda: leftovers(""))
    check(not left, "processes the demo started are left: %s",
          "; ".join(cmdline(x) for x in left))
    wait_for(lambda: "Stopped." in S["out"], 10)   # the last lines read
    check(any(l == "Stopped." for l in S["out"]), "no 'Stopped.' line")


@suite.test
def test_demo_ctrl_c_while_starting_stops_everything():
    # Ctrl-C the moment the demonstration starts the console: the doubles
    # run, and connector-run is about to start or starting.  Whatever it
    # had started by then is stopped, and it says so.
    def ctrl_c(p):
        os.killpg(p.pid, signal.SIGINT)
    (S["startup_proc"], out, S["startup_root"], _,
     S["startup_mark"]) = start_demo(until="Starting the console",
                                     then=ctrl_c)
    p = S["startup_proc"]
    try:
        p.wait(60)
    except subprocess.TimeoutExpired:
        check(False, "the demo did not stop on Ctrl-C while starting; "
              "still there: %s",
              "; ".join(cmdline(x) for x in leftovers("startup_")))
    text = "\n".join(out)
    eq(p.returncode, 0, "exit status")
    check("Starting the console" in text and
          "Press Ctrl-C to stop." not in text,
          "not interrupted while starting:\n%s", text)
    left = wait_for_none(lambda: leftovers("startup_"))
    check(not left, "processes the demo started are left: %s",
          "; ".join(cmdline(x) for x in left))
    wait_for(lambda: "Stopped." in out, 10)   # the last lines read
    check(out[-2:] == ["Stopping everything the demonstration started ...",
                       "Stopped."], "it does not say it stopped:\n%s", text)


if __name__ == "__main__":
    suite.run(setup, teardown)
