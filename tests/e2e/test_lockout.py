"""The per-address limit on sign-in attempts (nginx: 5 at once, then queued
to 3 a second, 429 beyond 50 waiting), the per-address failure counts of the
health pane, and the console lockout after 20 failures.

Other loopback source addresses (127.0.0.2, ...) act as other clients; each
test that fills an address's queue uses an address of its own, so that the
queue of one test does not slow down the next.
"""
import html
import json
import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (LOCKED, NOT_RIGHT, PASSWORD, TOP, VERSION,  # noqa
                     WRONG, Suite, check, claimed_instance, eq, run_job)

NEW_PASSWORD = "a fresh password from the console 7"
# nginx: limit_req rate=3r/s burst=50 delay=5.
RATE, BURST, NODELAY = 3.0, 50, 5
BURST_N = 12            # rapid failures from one address
OVER_N = 70             # more than the queue takes (1 + BURST)
suite = Suite()
inst = None
state = {}


def source_row(addr):
    """(consecutive, total) of addr in login_sources, or (0, 0)."""
    row = inst.sql1("SELECT consecutive, total FROM login_sources "
                    "WHERE addr = ?", (addr,))
    return tuple(row) if row else (0, 0)


def consecutive(addr="127.0.0.1"):
    return source_row(addr)[0]


def fire(shots, extra=None, timeout=60):
    """POST every (client, fields) of shots to /login at the same moment:
    each client connects first, then all send at once.  extra, if given, is
    a function run in its own thread from that same moment.  Returns the
    start time and, per shot, (status, text, time answered) or the repr of
    the exception (a timeout for a request still queued).  extra is called
    with that list while it fills."""
    n = len(shots)
    start = []
    barrier = threading.Barrier(n + (1 if extra else 0),
                                action=lambda: start.append(time.monotonic()))
    results = [None] * n

    def one(i):
        c, fields = shots[i]
        try:
            c.close()
            c._connect()
            c.conn.connect()
            barrier.wait(30)
            r = c.post("/login", fields)
            results[i] = (r.status, r.text, time.monotonic())
        except Exception as e:
            results[i] = repr(e)
        finally:
            c.close()

    def run_extra():
        barrier.wait(30)
        extra(results)
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    if extra:
        threads.append(threading.Thread(target=run_extra))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout + 60)
    check(start, "the requests were never sent together")
    return start[0], results


def answered(results):
    return [r for r in results if isinstance(r, tuple)]


@suite.test
def test_burst_from_one_address_is_queued():
    clients = [inst.client() for _ in range(BURST_N)]
    shots = [(c, [("csrf", c.form_csrf("/login")), ("password", WRONG)])
             for c in clients]
    other = inst.client(source="127.0.0.2")
    other_csrf = other.form_csrf("/login")
    other.close()
    other._connect()
    other.conn.connect()
    got = {}

    def from_other_address(results):
        # Once the attempts nginx lets through at once are answered, the
        # rest of 127.0.0.1's burst is waiting in its queue: send then.
        deadline = time.monotonic() + 30
        while (len(answered(results)) < NODELAY and
               time.monotonic() < deadline):
            time.sleep(0.02)
        t = time.monotonic()
        r = other.post("/login", [("csrf", other_csrf), ("password", WRONG)])
        got.update(sent=t, done=time.monotonic(), status=r.status,
                   text=r.text)
    start, results = fire(shots, extra=from_other_address)
    state["burst"] = (start, results, got)
    errors = [r for r in results if not isinstance(r, tuple)]
    check(not errors, "requests failed: %r", errors[:3])
    eq(sorted(set(r[0] for r in results)), [403], "statuses")
    check(all(NOT_RIGHT in r[1] for r in results), "an answer without the "
          "failure message")
    # 12 argon2 checks take well under a second on two cores; nginx lets 6
    # through at once and releases the other 6 at 3 a second (~2 s).
    least = (BURST_N - 1 - NODELAY) / RATE - 0.4
    took = max(r[2] for r in results) - start
    check(took >= least, "%d rapid failures answered in %.2f s (queued "
          "ones would take at least %.2f s)", BURST_N, took, least)
    eq(source_row("127.0.0.1"), (BURST_N, BURST_N), "127.0.0.1 consecutive, "
       "total")


@suite.test
def test_other_address_answered_during_burst():
    check("burst" in state, "the burst test did not run")
    start, results, got = state["burst"]
    check(got, "the request from 127.0.0.2 was not answered")
    eq(got["status"], 403, "status for 127.0.0.2")
    check(NOT_RIGHT in got["text"], "no failure message for 127.0.0.2")
    # Fairness, not speed: 127.0.0.2 does not wait behind 127.0.0.1's
    # queue, so some of that queue is still waiting when it is answered.
    later = [r for r in answered(results) if r[2] > got["done"]]
    check(later, "127.0.0.2 was answered only after the whole burst of "
          "127.0.0.1 had drained")
    eq(source_row("127.0.0.2"), (1, 1), "127.0.0.2 consecutive, total")


@suite.test
def test_success_resets_only_its_address():
    check(consecutive("127.0.0.1") > 0, "no failure streak to reset")
    check(consecutive("127.0.0.2") > 0, "no failure streak elsewhere")
    c = inst.signed_in_client()
    state["admin"] = c
    eq(source_row("127.0.0.1"), (0, BURST_N), "127.0.0.1 consecutive, total "
       "after success")
    eq(source_row("127.0.0.2"), (1, 1), "127.0.0.2 after a success from "
       "127.0.0.1")
    eq(inst.admin()["failed_count"], 0, "failed_count after success")


def run_login_check():
    rc, out, _ = run_job(os.path.join(TOP, "build", "cron",
                                      "connector-health"),
                         inst.root, "--only", "login")
    eq(rc, 0, "the health check: %s" % out)


@suite.test
def test_login_error_log_lists_what_the_check_found():
    """The failing addresses are in the Connector Dashboard Login item's
    error log, as the health check found them (which addresses and counts:
    tests/e2e/test_health_local.py)."""
    c = state.get("admin")
    check(c is not None, "no signed-in client")
    run_login_check()
    details = inst.sql1("SELECT coalesce(details, '{}') FROM health WHERE "
                        "item = 'login'")[0]
    sources = json.loads(details).get("sources", [])
    r = c.get("/health/log?item=login")
    eq(r.status, 200, "the error log")
    now = re.search(r'id="now".*?</section>', r.text, re.S).group(0)
    rows = re.findall(r'<tr><td>([^<]*)</td><td class="num">([^<]*)</td>',
                      now)
    eq([(html.unescape(a), n) for a, n in rows],
       [(s["address"], str(s["failed"])) for s in sources],
       "the sources table against the check's details")


@suite.test
def test_bad_over_limit_refused_with_429_page():
    # More attempts at once than the queue takes, with a bad form token so
    # that nothing is counted against the password.
    clients = [inst.client(source="127.0.0.3", timeout=5)
               for _ in range(OVER_N)]
    shots = [(c, [("csrf", "x" * 43), ("password", WRONG)])
             for c in clients]
    mark = inst.audit_mark()
    start, results = fire(shots, timeout=5)
    done = answered(results)
    statuses = sorted(set(r[0] for r in done))
    check(set(statuses) <= {403, 429}, "statuses %r", statuses)
    refused = [r for r in done if r[0] == 429]
    passed = [r for r in done if r[0] == 403]
    # 1 + 50 are taken (a few more as the queue drains while they arrive).
    check(len(refused) >= OVER_N - (1 + BURST) - 8, "only %d of %d "
          "answered 429", len(refused), OVER_N)
    check(len(refused) <= OVER_N - (1 + NODELAY), "%d answered 429, more "
          "than the queue refuses", len(refused))
    check(len(passed) >= 1 + NODELAY, "only %d passed at once", len(passed))
    for r in refused:
        check("Error 429." in r[1], "429 without the console's error page")
        check("Too many attempts" in r[1], "429 page does not say why")
        check("Version: " + VERSION in r[1], "429 page without the version")
    check(inst.audit_wait(mark, lambda e: e.get("status") == 429 and
                          e.get("addr") == "127.0.0.3"),
          "no 429 in the audit log")
    eq(inst.admin()["failed_count"], 0, "failures counted for bad tokens")


@suite.test
def test_get_login_never_limited():
    # 127.0.0.3 has a full queue of attempts now: its GETs still pass,
    # all of them at once.
    n = 60
    clients = [inst.client(source="127.0.0.3") for _ in range(n)]
    for c in clients:
        c._connect()
        c.conn.connect()
    barrier = threading.Barrier(n)
    results = [None] * n

    def one(i):
        try:
            barrier.wait(30)
            r = clients[i].get("/login")
            results[i] = (r.status, 'name="password"' in r.text,
                          time.monotonic())
        except Exception as e:
            results[i] = repr(e)
        finally:
            clients[i].close()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    errors = [r for r in results if not isinstance(r, tuple)]
    check(not errors, "requests failed: %r", errors[:3])
    eq(sorted(set(r[0] for r in results)), [200], "statuses")
    check(all(r[1] for r in results), "a GET without the form")
    # Queued at 3 a second, 60 would take 18 s.
    took = max(r[2] for r in results) - t0
    check(took < 10, "%d GETs took %.1f s", n, took)


@suite.test
def test_concurrent_failures_lock_at_exactly_20():
    keep = state.get("admin") or inst.client()
    check(keep.signed_in(), "the session from before the lockout")
    state["old"] = keep
    eq(inst.admin()["failed_count"], 0, "failed_count at start")
    # From an address with an empty queue: 50 fit (1 + BURST), so every
    # attempt reaches the program, most of them queued (~15 s).
    n = 50
    clients = [inst.client(source="127.0.0.4") for _ in range(n)]
    shots = [(c, [("csrf", c.form_csrf("/login")), ("password", WRONG)])
             for c in clients]
    start, results = fire(shots)
    errors = [r for r in results if not isinstance(r, tuple)]
    check(not errors, "requests failed: %r", errors[:3])
    check(not any(r[0] == 429 for r in results), "%d of %d refused (429)",
          sum(r[0] == 429 for r in results), n)
    eq(sorted(set(r[0] for r in results)), [403], "statuses")
    check(not any("__Host-connector" in c.jar for c in clients),
          "a failure set a session cookie")
    check(all(LOCKED in r[1] or NOT_RIGHT in r[1] for r in results),
          "an answer without a message")
    a = inst.admin()
    eq(a["failed_count"], 20, "failed_count")
    eq(a["locked"], 1, "locked")
    check(a["locked_at"], "locked_at not set")
    check(any(LOCKED in r[1] for r in results), "no answer shows the lockout")


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
def test_dashboard_shows_the_login_item_as_checked():
    """The dashboard's word on failed sign-ins is the Health Status item
    Connector Dashboard Login, as the health check found it (its wording:
    tests/e2e/test_health_local.py)."""
    run_login_check()
    state_, summary = inst.sql1("SELECT state, summary FROM health WHERE "
                                "item = 'login'")
    r = state["old"].get("/")
    eq(r.status, 200, "the session from before the lockout")
    item = re.search(r'<li class="health-item ([a-z]+)" id="health-login">'
                     r'.*?<p class="summary">([^<]*)</p>', r.text, re.S)
    check(item, "no Connector Dashboard Login item on the dashboard")
    eq(html.unescape(item.group(2)), summary, "the item's summary")
    eq(item.group(1), {"na": "unknown"}.get(state_, state_), "its state")


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
    for addr in ("127.0.0.1", "127.0.0.2", "127.0.0.4"):
        eq(consecutive(addr), 0, "consecutive failures of " + addr)


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
    suite.main(lambda: claimed_instance(workers=6), globals())
