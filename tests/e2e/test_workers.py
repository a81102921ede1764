"""The prefork masters: a dead worker is replaced, SIGTERM stops all."""
import os
import re
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Suite, check, claimed_instance, cmdline, eq,  # noqa
                     wait_for)

WORKERS = 2
PROGRAMS = ("setup", "login", "dashboard")
suite = Suite()
inst = None
state = {}


@suite.test
def test_each_program_runs_its_workers():
    for p in PROGRAMS:
        m = inst.master_pid(p)
        check(m, "no master for %s", p)
        w = inst.workers_of(p)
        eq(len(w), WORKERS, "workers of " + p)
        for pid in w:
            check(cmdline(pid).split(" ")[0].endswith("/cgi-bin/" + p),
                  "worker %d of %s runs %r", pid, p, cmdline(pid))


def nice_of(pid):
    with open("/proc/%d/stat" % pid) as f:
        return int(f.read().rsplit(") ", 1)[1].split()[16])


@suite.test
def test_login_workers_run_at_lower_priority():
    base = nice_of(inst.master_pid("dashboard"))
    for pid in inst.workers_of("login"):
        eq(nice_of(pid), min(base + 5, 19), "niceness of login worker")
    for pid in inst.workers_of("dashboard"):
        eq(nice_of(pid), base, "niceness of dashboard worker")


@suite.test
def test_killed_worker_replaced():
    before = inst.workers_of("login")
    eq(len(before), WORKERS, "workers before")
    victim = before[0]
    os.kill(victim, signal.SIGKILL)
    after = wait_for(lambda: (lambda w: w if len(w) == WORKERS and
                              victim not in w else None)(
                                  inst.workers_of("login")), timeout=15)
    check(after, "no new worker: %r", inst.workers_of("login"))
    check(set(after) - set(before), "no new pid in %r", after)
    state["killed"] = victim


@suite.test
def test_requests_succeed_after_worker_killed():
    check("killed" in state, "no worker was killed")
    for i in range(8):
        c = inst.client()
        r = c.login()
        eq(r.status, 303, "login %d" % i)
        check(c.signed_in(), "not signed in (%d)" % i)
        eq(c.logout().status, 303, "logout %d" % i)
        c.close()


@suite.test
def test_worker_death_logged():
    check("killed" in state, "no worker was killed")
    log = inst.read_log("connector.log").decode()
    check("worker %d ended (signal 9)" % state["killed"] in log,
          "no log line for the dead worker")


@suite.test
def test_master_not_disturbed_by_worker_death():
    m = inst.master_pid("login")
    check(m and inst.proc.poll() is None, "master or script gone")
    eq(len(inst.workers_of("setup")), WORKERS, "setup workers")
    eq(len(inst.workers_of("dashboard")), WORKERS, "dashboard workers")


@suite.test
def test_sigterm_stops_every_process():
    pids = inst.alive_processes()
    check(len(pids) >= 1 + 3 * (1 + WORKERS) + 2, "too few processes: %r",
          pids)
    socks = sorted(os.listdir(inst.sockdir))
    for p in PROGRAMS:
        check(p + ".sock" in socks, "no %s socket before the stop", p)
    state["port"] = inst.port
    t = time.monotonic()
    left = inst.stop(check=False)
    state["stop_seconds"] = time.monotonic() - t
    check(not left, "processes left after SIGTERM: %r", left)
    for pid in pids:
        check(not os.path.exists("/proc/%d/cmdline" % pid) or
              "connector" not in cmdline(pid) and "nginx" not in cmdline(pid),
              "process %d still runs", pid)


@suite.test
def test_sigterm_removes_sockets():
    check("port" in state, "not stopped")
    left = [f for f in os.listdir(inst.sockdir)
            if f.endswith(".sock") or f == "nginx.pid"]
    eq(left, [], "files left in run/connector")


@suite.test
def test_sigterm_closes_port():
    check("port" in state, "not stopped")
    s = socket.socket()
    try:
        s.settimeout(5)
        refused = s.connect_ex(("127.0.0.1", state["port"])) != 0
    finally:
        s.close()
    check(refused, "the console port still accepts connections")


@suite.test
def test_sigterm_stop_is_prompt():
    check("stop_seconds" in state, "not stopped")
    # Normally well under a second; the masters' SIGKILL fallback is 5 s.
    check(state["stop_seconds"] < 4, "the stop took %.1f s",
          state["stop_seconds"])
    log = inst.read_log("connector.log").decode()
    for p in PROGRAMS:
        check(re.search(r"\b%s\[\d+\] info: stopped" % p, log),
              "%s did not log its stop", p)


@suite.test
def test_restart_after_stop_serves_again():
    check("port" in state, "not stopped")
    inst.start()
    c = inst.client()
    eq(c.login().status, 303, "login after restart")
    eq(len(inst.workers_of("login")), WORKERS, "login workers")


if __name__ == "__main__":
    suite.main(lambda: claimed_instance(workers=WORKERS), globals())
