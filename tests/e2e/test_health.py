"""The health runner (build/cron/connector-health) on a console instance:
every item checked and stored with its history, one item alone, since and
the news only when an item changes state, the history's retention, the
24-hour strip, a check stopped past its time limit while the others are
kept, and a run killed at any write leaving the previous or the new results,
never a mix.  The items' own causes are in test_health_{peers,local,update}.py."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (TOP, CRASHLIB, Instance, Suite, check, eq,  # noqa: E402
                     job_env, root_copy, run_job, children)

JOB = os.path.join(TOP, "build", "cron", "connector-health")
ITEMS = ["uptodate", "aws", "vcenter", "registered_ip", "time", "userprovider",
         "poller", "proxy", "login", "authproxy", "certificate", "disk"]
WORDS = {"absent": "Not present", "na": "Not applicable", "ok": "OK",
         "warning": "Warning", "error": "Error"}
STATES = ("absent", "na", "ok", "warning", "error")
SLOT, SLOTS = 15 * 60, 96
DAY = 24 * 60 * 60

suite = Suite()


def health(*args, root=None, extra=None):
    """Run the job on root (inst's by default): (status, stdout, stderr)."""
    return run_job(JOB, root or inst.root, *args, extra=extra)


def rows():
    return {r[0]: r[1:] for r in inst.sql(
        "SELECT item, state, summary, checked_at, since, duration_ms, strip "
        "FROM health")}


def set_setting(name, value):
    if value is None:
        inst.sql("DELETE FROM settings WHERE name = ?", (name,), write=True)
    else:
        inst.sql("INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)",
                 (name, value), write=True)


@suite.test
def test_a_run_checks_every_item_and_keeps_its_history():
    inst.sql("DELETE FROM health_log", write=True)
    rc, out, err = health()
    eq(rc, 0, "status (%s %s)" % (out, err))
    got = rows()
    eq(sorted(got), sorted(ITEMS), "items stored")
    for item, (state, summary, at, since, ms, strip) in got.items():
        check(state in STATES, "%s: state %r", item, state)
        check(summary.strip(), "%s: no summary", item)
        check(at > 0 and since <= at, "%s: checked %d since %d", item, at, since)
        check(ms >= 0, "%s: duration %d", item, ms)
        eq(len(strip), SLOTS, item + ": strip length")
        # This quarter-hour is marked, unless the item is not present
        # (no proxy, say), which the strip leaves blank.
        check((strip[-1] != "-") == (state != "absent") and
              set(strip) <= set("-nowe"), "%s (%s): strip %r", item, state,
              strip)
    eq(inst.sql1("SELECT count(*) FROM health_log")[0], len(ITEMS), "history rows")
    eq(inst.sql1("SELECT count(DISTINCT checked_at) FROM health")[0], 1,
       "one run's time for every item")
    last = inst.sql("SELECT outcome, counts FROM jobs WHERE job = 'health' "
                    "ORDER BY id DESC LIMIT 1")[0]
    eq(last[0], "ok", "the run's outcome")
    check('"ok":' in last[1] and '"error":' in last[1], "counts %r", last[1])


@suite.test
def test_only_checks_the_item_named():
    before = rows()
    logs = inst.sql1("SELECT count(*) FROM health_log")[0]
    time.sleep(1.1)
    rc, out, err = health("--only", "disk", "--verbose")
    eq(rc, 0, "status (%s %s)" % (out, err))
    after = rows()
    check(after["disk"][2] > before["disk"][2], "disk not checked again")
    for item in ITEMS:
        if item != "disk":
            eq(after[item][2], before[item][2], item + ": checked_at")
    eq(inst.sql1("SELECT count(*) FROM health_log")[0], logs + 1, "history rows")
    check(any(l.startswith("disk %s " % after["disk"][0])
              for l in out.splitlines()), "verbose lines %r", out)
    eq(len([l for l in out.splitlines() if l.split(" ")[0] in ITEMS]),
       len(ITEMS), "one verbose line per item")
    for bad in ("nothing", "", "DISK", "disk;id", "../disk"):
        rc, out, err = health("--only", bad)
        eq(rc, 2, "--only %r: status" % bad)
        check("uptodate" in err and "disk" in err, "--only %r: %r", bad, err)
    rc, out, err = health("--only")
    eq(rc, 2, "--only without an item")


@suite.test
def test_news_only_when_an_item_changes_and_since_follows():
    rc, out, err = health("--only", "disk")
    state = rows()["disk"][0]
    other = "error" if state != "error" else "ok"
    inst.sql("UPDATE health SET state = ?, since = 1000 WHERE item = 'disk'",
             (other,), write=True)
    rc, out, err = health("--only", "disk")
    eq(rc, 0, "status")
    check("health: Disk Space: %s (was %s): " % (WORDS[state], WORDS[other])
          in out, "the change is not news: %r", out)
    since = rows()["disk"][3]
    check(since > 1000, "since not moved: %d", since)
    time.sleep(1.1)
    rc, out, err = health("--only", "disk")
    eq((rc, out), (0, ""), "a run that changes nothing says nothing")
    eq(rows()["disk"][3], since, "since while the state holds")
    # The whole run says nothing either when nothing changed.
    health()
    rc, out, err = health()
    eq((rc, out), (0, ""), "a second whole run")


@suite.test
def test_history_is_kept_seven_days():
    now = int(time.time())
    for age in (8 * DAY, 7 * DAY + 60, 6 * DAY):
        inst.sql("INSERT INTO health_log (item, at, state, summary, details, "
                 "duration_ms) VALUES ('aws', ?, 'error', 'old', '{}', 5)",
                 (now - age,), write=True)
    health("--only", "login")
    left = [r[0] for r in inst.sql(
        "SELECT at FROM health_log WHERE summary = 'old' ORDER BY at")]
    eq(len(left), 1, "rows left of three (8 d, 7 d + 1 min, 6 d old)")
    check(now - left[0] <= 6 * DAY + 120, "the 6-day-old row is kept")
    inst.sql("DELETE FROM health_log WHERE summary = 'old'", write=True)


@suite.test
def test_the_strip_shows_the_worst_state_of_each_quarter_hour():
    now = int(time.time())
    end = (now // SLOT + 1) * SLOT
    start = end - SLOTS * SLOT

    def slot(t):
        return (t - start) // SLOT

    inst.sql("DELETE FROM health_log WHERE item = 'certificate'", write=True)
    t_err = start + 40 * SLOT + 10     # an error, then ok, in one slot
    t_warn = start + 70 * SLOT + 5
    t_old = start - 60                 # before the strip: not on it
    for t, s in ((t_err, "error"), (t_err + 60, "ok"), (t_warn, "warning"),
                 (t_old, "error"), (start + 71 * SLOT, "na")):
        inst.sql("INSERT INTO health_log (item, at, state, summary, "
                 "duration_ms) VALUES ('certificate', ?, ?, 'x', 1)", (t, s),
                 write=True)
    health("--only", "certificate")
    state, strip = rows()["certificate"][0], rows()["certificate"][5]
    eq(strip[slot(t_err)], "e", "the slot with an error and an ok")
    eq(strip[slot(t_warn)], "w", "the warning's slot")
    eq(strip[71], "n", "the not-applicable slot")
    eq(strip[0], "-", "the oldest slot, nothing in it")
    eq(slot(now), SLOTS - 1, "this quarter-hour is the strip's last")
    eq(strip[-1], {"absent": "-", "na": "n", "ok": "o", "warning": "w",
                   "error": "e"}[state], "this quarter-hour: this run")
    eq(len([c for c in strip if c != "-"]), 4 if state != "absent" else 3,
       "slots marked")


class Silent:
    """A TCP listener that accepts and never answers: a peer that hangs."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.held = []
        self.stop = False
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(c)

    def close(self):
        self.stop = True
        self.sock.close()
        for c in self.held:
            c.close()


@suite.test
def test_a_check_past_its_time_limit_is_stopped_and_the_others_kept():
    """The update check waits for a peer that never answers; its process is
    stopped (SIGSTOP) a second into the run, as a check stuck outside its
    own time limit would be, and the runner ends it a second past the
    limit: that item says so, every other item has this run's result."""
    silent = Silent()
    set_setting("health.timeout", "3")
    set_setting("update.url", "https://127.0.0.1:%d/manifest" % silent.port)
    try:
        before = rows()
        p = subprocess.Popen([JOB, "--root", inst.root], env=job_env(),
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        time.sleep(1.0)
        # The runner's work process is its child; the checks are its
        # children: only they are stopped.
        stopped = [c for w in children(p.pid) for c in children(w)]
        for c in stopped:
            try:
                os.kill(c, signal.SIGSTOP)
            except ProcessLookupError:
                pass
        out, err = p.communicate(timeout=60)
        eq(p.returncode, 0, "status (%r %r)" % (out, err))
        check(stopped, "no process was still checking a second in")
        after = rows()
        state, summary = after["uptodate"][0], after["uptodate"][1]
        eq(state, "error", "the stopped check's state")
        check("did not finish within 3 seconds" in summary, "summary %r", summary)
        det = inst.sql1("SELECT details FROM health WHERE item = 'uptodate'")[0]
        check('"stage":"timeout"' in det, "details %r", det)
        for item in ITEMS:
            check(after[item][2] > before[item][2], "%s not from this run", item)
        check(b"Connector Up-to-Date: Error" in out, "news %r", out)
    finally:
        set_setting("health.timeout", None)
        set_setting("update.url", None)
        silent.close()


def consistent(root):
    """The health rows under root: every item, one run's time (checked_at)."""
    import sqlite3
    db = sqlite3.connect(os.path.join(root, "var/lib/connector/state.db"))
    try:
        eq(db.execute("PRAGMA integrity_check").fetchone()[0], "ok",
           "the database's integrity")
        got = db.execute("SELECT count(*), count(DISTINCT checked_at), "
                         "max(checked_at) FROM health").fetchone()
        logs = db.execute("SELECT count(*) FROM health_log").fetchone()[0]
        return got, logs
    finally:
        db.close()


@suite.test
def test_a_run_killed_at_any_write_leaves_the_old_or_the_new_results():
    health()
    d, tmpl = root_copy(inst, "connector-health-crash-")
    try:
        (n_items, n_times, old_at), old_logs = consistent(tmpl)
        eq((n_items, n_times), (len(ITEMS), 1), "the template's rows")
        count = os.path.join(d, "count")
        work = os.path.join(d, "counted")
        shutil.copytree(tmpl, work, symlinks=True)
        time.sleep(1.1)
        eq(health(root=work, extra={"CRASHPOINT_COUNT": count,
                                    "LD_PRELOAD": CRASHLIB})[0], 0,
           "the counting run")
        shutil.rmtree(work)
        calls = int(open(count).read().split()[0])
        # The work and check processes go on counting from the runner's
        # count at their fork, past the runner's own total (about twice it
        # here): points up to twice it reach their writes, the
        # transaction's among them.
        last = 2 * calls + 10
        points = range(1, last, max(1, last // 45))
        killed = 0
        for n in points:
            work = os.path.join(d, "n%d" % n)
            shutil.copytree(tmpl, work, symlinks=True)
            rc, out, err = health(root=work, extra={
                "LD_PRELOAD": CRASHLIB, "CRASHPOINT": str(n)})
            killed += "crashpoint: SIGKILL at call" in err
            (items, times, at), logs = consistent(work)
            eq((items, times), (len(ITEMS), 1),
               "point %d: the items and their run times" % n)
            check((at == old_at and logs == old_logs) or
                  (at > old_at and logs == old_logs + len(ITEMS)),
                  "point %d: a run half written (at %d, %d history rows)",
                  n, at, logs)
            time.sleep(0.01)
            rc, out, err = health(root=work)
            eq(rc, 0, "point %d: the next run (%s)" % (n, out))
            (items, times, at2), logs2 = consistent(work)
            eq((items, times), (len(ITEMS), 1), "point %d: after" % n)
            check(at2 >= at and logs2 == logs + len(ITEMS),
                  "point %d: the next run's rows", n)
            shutil.rmtree(work)
        check(killed >= len(points) // 2, "only %d of %d points killed a "
              "process", killed, len(points))
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    # Test mode: the update check may reach the silent peer on loopback.
    suite.main(lambda: Instance(args=["--allow-loopback-peers"]).start(),
               globals())
