"""The per-address slow-down and the console lockout after 20 failures."""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (LOCKED, NOT_RIGHT, PASSWORD, WRONG, Suite,  # noqa
                     check, claimed_instance, eq)

NEW_PASSWORD = "a fresh password from the console 7"
suite = Suite()
inst = None
state = {}


def consecutive():
    row = inst.sql1("SELECT consecutive FROM login_sources "
                    "WHERE addr = '127.0.0.1'")
    return row[0] if row else 0


def timed_failure(c):
    csrf = c.form_csrf("/login")
    t = time.monotonic()
    r = c.post("/login", [("csrf", csrf), ("password", WRONG)])
    d = time.monotonic() - t
    eq(r.status, 403, "failure status")
    check(NOT_RIGHT in r.text, "no failure message")
    return d


@suite.test
def test_slowdown_after_repeated_failures():
    c = inst.client()
    eq(consecutive(), 0, "consecutive failures at start")
    times = [timed_failure(c) for _ in range(4)]
    eq(consecutive(), 4, "consecutive failures")
    # The 3rd and 4th answers are held 250 ms and 500 ms.
    check(times[2] >= 0.2, "3rd failure took %.3f s", times[2])
    check(times[3] >= 0.45, "4th failure took %.3f s", times[3])
    check(times[3] > times[0], "4th (%.3f s) not slower than 1st (%.3f s)",
          times[3], times[0])


@suite.test
def test_success_resets_slowdown():
    c = inst.client()
    check(consecutive() >= 4, "no failure streak to reset")
    eq(c.login().status, 303, "login")
    eq(consecutive(), 0, "consecutive failures after success")
    eq(inst.admin()["failed_count"], 0, "failed_count after success")
    # Without the reset this would be the 5th failure, held 2 s.
    d = timed_failure(inst.client())
    check(d < 1.5, "first failure after a success took %.3f s", d)
    eq(inst.client().login().status, 303, "login")


@suite.test
def test_concurrent_failures_lock_at_exactly_20():
    keep = inst.client()
    eq(keep.login().status, 303, "login before the lockout")
    state["old"] = keep
    eq(inst.admin()["failed_count"], 0, "failed_count at start")
    n = 50
    clients = [inst.client() for _ in range(n)]
    tokens = [c.form_csrf("/login") for c in clients]
    barrier = threading.Barrier(n)
    results = [None] * n

    def attempt(i):
        c = clients[i]
        c.close()
        c._connect()
        c.conn.connect()
        try:
            barrier.wait(30)
            r = c.post("/login", [("csrf", tokens[i]), ("password", WRONG)])
            results[i] = (r.status, LOCKED in r.text, NOT_RIGHT in r.text,
                          "__Host-connector" in c.jar)
        except Exception as e:
            results[i] = repr(e)
    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    errors = [r for r in results if not isinstance(r, tuple)]
    check(not errors, "requests failed: %r", errors[:3])
    eq(sorted(set(r[0] for r in results)), [403], "statuses")
    check(not any(r[3] for r in results), "a failure set a session cookie")
    check(all(r[1] or r[2] for r in results), "an answer without a message")
    a = inst.admin()
    eq(a["failed_count"], 20, "failed_count")
    eq(a["locked"], 1, "locked")
    check(a["locked_at"], "locked_at not set")
    check(any(r[1] for r in results), "no answer shows the lockout")


@suite.test
def test_bad_right_password_refused_when_locked():
    c = inst.client()
    r = c.login(PASSWORD)
    eq(r.status, 403, "status")
    check(LOCKED in r.text, "no lockout notice: %s", r.text[:400])
    check("__Host-connector" not in c.jar, "a session cookie was set")
    a = inst.admin()
    eq((a["failed_count"], a["locked"]), (20, 1), "failed_count, locked")


@suite.test
def test_login_page_shows_lockout_notice():
    r = inst.client().get("/login")
    eq(r.status, 200, "status")
    check(LOCKED in r.text, "no lockout notice")
    check("connector-setup reset-password" in r.text, "no way out shown")


@suite.test
def test_dashboard_counts_failures():
    r = state["old"].get("/")
    eq(r.status, 200, "the session from before the lockout")
    check("20 failed sign-ins" in r.text, "no failure count on the "
          "dashboard")


@suite.test
def test_lockout_survives_restart():
    inst.restart()
    a = inst.admin()
    eq((a["failed_count"], a["locked"]), (20, 1), "after restart")
    r = inst.client().login(PASSWORD)
    eq(r.status, 403, "right password after restart")
    check(LOCKED in r.text, "no lockout notice after restart")


@suite.test
def test_bad_reset_password_mismatch_refused():
    p = inst.setup_tool("reset-password",
                        stdin=NEW_PASSWORD + "\n" + NEW_PASSWORD + "x\n")
    check(p.returncode != 0, "mismatched passwords accepted: %r", p.stdout)
    check(b"do not match" in p.stderr, "no message: %r", p.stderr)
    eq(inst.admin()["locked"], 1, "locked after a refused reset")


@suite.test
def test_bad_reset_password_common_refused():
    p = inst.setup_tool("reset-password", stdin="123456789012\n" * 2)
    check(p.returncode != 0, "common password accepted")
    eq(inst.admin()["locked"], 1, "locked after a refused reset")


@suite.test
def test_reset_password_unlocks():
    p = inst.setup_tool("reset-password",
                        stdin=NEW_PASSWORD + "\n" + NEW_PASSWORD + "\n")
    eq(p.returncode, 0, "reset-password status (%r)" % p.stderr)
    a = inst.admin()
    eq((a["failed_count"], a["locked"]), (0, 0), "failed_count, locked")
    eq(consecutive(), 0, "consecutive failures")


@suite.test
def test_reset_password_ends_old_sessions():
    eq(inst.session_count(), 0, "sessions after the reset")
    old = state["old"]
    r = old.get("/")
    eq(r.status, 302, "the old session on /")
    eq(r.location, inst.origin + "/login", "Location")


@suite.test
def test_new_password_works_after_reset():
    c = inst.client()
    eq(c.login(NEW_PASSWORD).status, 303, "new password")
    check(c.signed_in(), "not signed in")


@suite.test
def test_bad_old_password_refused_after_reset():
    r = inst.client().login(PASSWORD)
    eq(r.status, 403, "old password")
    check(NOT_RIGHT in r.text, "no failure message")


if __name__ == "__main__":
    def setup():
        global inst
        # More workers: the held failures would otherwise queue for long.
        inst = claimed_instance(workers=6)

    def teardown():
        if inst:
            try:
                inst.stop()
            finally:
                inst.cleanup()
    suite.run(setup, teardown)
