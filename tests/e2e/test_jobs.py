"""The cron jobs against a console instance: build/cron/connector-housekeeping
run directly on the instance's root (what it removes, what it prints, what
it records, a run refused while another holds the lock), the cron file
that schedules it, and scripts/connector-run running it on that schedule
(CONNECTOR_JOB_INTERVAL=1) and stopping it with the rest."""
import fcntl
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (TOP, Instance, Suite, check, eq, run_job,  # noqa: E402
                     wait_for)

JOB = os.path.join(TOP, "build", "cron", "connector-housekeeping")
CRON_FILE = os.path.join(TOP, "dist", "cron.d", "connector")
DAY = 24 * 60 * 60

suite = Suite()


def housekeeping(*args):
    """Run the job on inst's root; (status, stdout)."""
    rc, out, _ = run_job(JOB, inst.root, *args, timeout=60)
    return rc, out


def runs():
    return inst.sql("SELECT outcome, counts, error FROM jobs "
                    "WHERE job = 'housekeeping' ORDER BY id")


def clear_runs():
    inst.sql("DELETE FROM jobs", write=True)


@suite.test
def test_nothing_to_remove_prints_nothing_and_records_ok():
    clear_runs()
    rc, out = housekeeping()
    eq((rc, out), (0, ""), "status and output")
    eq([r[0] for r in runs()], ["ok"], "outcomes")


@suite.test
def test_removes_expired_old_and_leftover_and_says_so():
    clear_runs()
    now = int(time.time())
    inst.sql("INSERT INTO sessions (token_hash, csrf, created_at, "
             "last_seen, addr) VALUES ('old', 'c', ?, ?, '10.0.0.1')",
             (now - DAY, now - DAY), write=True)
    inst.sql("INSERT INTO sessions (token_hash, csrf, created_at, "
             "last_seen, addr) VALUES ('new', 'c', ?, ?, '10.0.0.1')",
             (now, now), write=True)
    inst.sql("INSERT INTO login_sources (addr, consecutive, total, "
             "last_failure_at) VALUES ('10.0.0.9', 0, 4, ?), "
             "('10.0.0.8', 1, 1, ?)", (now - 31 * DAY, now), write=True)
    inst.sql("INSERT INTO settings VALUES ('wizard.started', ?), "
             "('draft.vcenter.host', 'vc.example.net')",
             (str(now - 8 * DAY),), write=True)
    keys = inst.path("var/lib/connector/keys")
    left = os.path.join(keys, "00000000000000ab.key")
    with open(left, "wb") as f:
        f.write(os.urandom(32))
    rc, out = housekeeping()
    eq(rc, 0, "status")
    eq(out, "housekeeping: removed 1 abandoned registration draft, "
       "1 leftover key file\n", "output")
    eq(inst.sql("SELECT token_hash FROM sessions"), [("new",)], "sessions")
    eq(inst.sql("SELECT addr FROM login_sources"), [("10.0.0.8",)],
       "sign-in sources")
    eq(inst.sql("SELECT count(*) FROM settings WHERE name LIKE 'draft.%' "
                "OR name = 'wizard.started'"), [(0,)], "draft settings")
    check(not os.path.exists(left), "the leftover key file is still there")
    eq(len(os.listdir(keys)), 1, "key files")
    eq(runs(), [("ok", '{"sessions":1,"login_sources":1,"drafts":1,'
                 '"job_runs":0,"key_files":1,"authproxy_signatures":0,'
                 '"authproxy_attempts":0}', None)], "recorded run")
    rc, out = housekeeping()
    eq((rc, out), (0, ""), "second run: status and output")


@suite.test
def test_bad_run_while_another_holds_the_lock_skipped():
    clear_runs()
    lock = inst.path("var/lib/connector/housekeeping.lock")
    with open(lock, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        rc, out = housekeeping()
    eq((rc, out), (0, ""), "status and output")
    eq(runs(), [], "recorded runs")
    rc, out = housekeeping("--verbose")
    eq(rc, 0, "after the lock is free: status")
    check(out.startswith("housekeeping: nothing to do\n"),
          "verbose output %r", out)


@suite.test
def test_killed_run_reported_and_recorded_failed():
    clear_runs()
    inst.sql("INSERT INTO jobs (job, started_at, outcome) VALUES "
             "('housekeeping', ?, 'running')", (int(time.time()) - 60,),
             write=True)
    rc, out = housekeeping()
    eq(rc, 0, "status")
    check(out.startswith("housekeeping: the previous run stopped before it "
                         "finished"), "output %r", out)
    eq([(r[0], r[2][:26] if r[2] else None) for r in runs()],
       [("failed", "stopped before it finished"), ("ok", None)], "runs")


@suite.test
def test_bad_relative_root_refused():
    p = subprocess.run([JOB, "--root", "relative/dir"], capture_output=True,
                       timeout=30)
    eq(p.returncode, 2, "status")
    check(b"absolute" in p.stderr, "stderr %r", p.stderr)


@suite.test
def test_cron_file_schedules_every_built_job_as_connector():
    name = os.path.basename(CRON_FILE)
    check("." not in name, "cron ignores a file name with a dot: %r", name)
    with open(CRON_FILE) as f:
        text = f.read()
    check(re.search(r"^MAILTO=\S+$", text, re.M), "no MAILTO line")
    check(re.search(r"^PATH=\S+$", text, re.M), "no PATH line")
    check("%" not in text, "an unescaped %% in the cron file")
    lines = [l for l in text.splitlines()
             if l.strip() and not l.startswith("#") and "=" not in l]
    entries = [re.match(r"^(\S+ \S+ \S+ \S+ \S+) (\S+) (\S+)$", l)
               for l in lines]
    check(all(entries), "a line that is not a cron entry in %r", lines)
    entries = [e.groups() for e in entries]
    built = sorted(os.listdir(os.path.join(TOP, "build", "cron")))
    eq(sorted(os.path.basename(e[2]) for e in entries), built,
       "scheduled jobs")
    for when, user, cmd in entries:
        eq(user, "connector", cmd + ": user")
        check(cmd.startswith("@PREFIX@/lib/connector/cron/"), "path %r",
              cmd)
        check(re.match(r"^\*/\d+ \* \* \* \*$", when), "schedule %r", when)


@suite.test
def test_connector_run_runs_jobs_on_schedule_and_stops_them():
    other = Instance(env={"CONNECTOR_JOB_INTERVAL": "1"})
    try:
        other.start()
        check(any(l.startswith("Jobs: connector-housekeeping every 1s")
                  for l in other.output), "no Jobs line in %r",
              other.output)
        done = wait_for(lambda: other.sql(
            "SELECT count(*) FROM jobs WHERE outcome = 'ok'")[0][0] >= 2,
            timeout=30)
        check(done, "no two finished runs: %r", other.sql(
            "SELECT * FROM jobs"))
        left = other.stop()
        eq(left, [], "processes left after SIGTERM")
    finally:
        other.cleanup()


if __name__ == "__main__":
    suite.main(lambda: Instance().start(), globals())
