"""Session lifetime: 30 minutes idle, 8 hours absolute.  The programs run
with a fake clock (a preloaded library, CONNECTOR_TEST_PRELOAD)
whose offset the tests move by rewriting its timestamp file."""
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (FAKETIME_LIB, Suite, check, claimed_instance,  # noqa
                     eq, token_hash)

suite = Suite()
inst = None
clock = {}


def set_offset(seconds):
    """Move the programs' clock to real time + seconds."""
    tmp = clock["file"] + ".tmp"
    with open(tmp, "w") as f:
        f.write("%+d\n" % seconds)
    os.replace(tmp, clock["file"])
    clock["offset"] = seconds


def program_now():
    """The programs' idea of now: a new session's created_at."""
    c = inst.signed_in_client()
    return inst.sql1("SELECT created_at FROM sessions WHERE token_hash = ?",
                     (token_hash(c.session),))[0]


def fresh_session(at):
    set_offset(at)
    c = inst.signed_in_client()
    check(c.signed_in(), "not signed in right after login")
    return c


def ended(c):
    """True when c's session is refused: / redirects to /login."""
    r = c.get("/")
    return r.status == 302 and r.location == inst.origin + "/login"


@suite.test
def test_fake_clock_moves_programs():
    set_offset(0)
    t0 = program_now()
    check(abs(t0 - time.time()) < 120, "offset 0: programs at %d, real %d",
          t0, time.time())
    set_offset(3 * 3600)
    t1 = program_now()
    check(abs(t1 - time.time() - 3 * 3600) < 120,
          "offset +3h: programs at %d, real %d", t1, time.time())


@suite.test
def test_session_alive_before_idle_limit():
    base = 10 * 3600
    c = fresh_session(base)
    set_offset(base + 29 * 60)
    check(c.signed_in(), "session ended after 29 idle minutes")


@suite.test
def test_bad_idle_session_ends_after_30_minutes():
    base = 20 * 3600
    c = fresh_session(base)
    token = c.session
    set_offset(base + 31 * 60)
    check(ended(c), "session alive after 31 idle minutes")
    eq(inst.sql1("SELECT count(*) FROM sessions WHERE token_hash = ?",
                 (token_hash(token),))[0], 0, "rows of the expired session")


@suite.test
def test_bad_idle_session_cannot_post():
    base = 30 * 3600
    c = fresh_session(base)
    csrf = c.form_csrf("/")
    set_offset(base + 31 * 60)
    r = c.post("/logout", [("csrf", csrf)])
    eq(r.status, 403, "POST with an expired session")
    check("session has ended" in r.text, "no message: %s", r.text[:300])


@suite.test
def test_activity_keeps_session_until_absolute_limit():
    base = 40 * 3600
    c = fresh_session(base)
    step = 20 * 60
    t = base
    # Every 20 minutes up to 7 h 40 min: never idle 30 minutes.
    while t + step < base + 8 * 3600:
        t += step
        set_offset(t)
        check(c.signed_in(), "session ended at +%d min" % ((t - base) // 60))
    clock["absolute"] = (c, base)


@suite.test
def test_bad_session_ends_at_absolute_limit():
    check("absolute" in clock, "no session kept alive")
    c, base = clock["absolute"]
    set_offset(base + 8 * 3600)
    check(ended(c), "session alive 8 h after login")


@suite.test
def test_expired_session_purged_on_next_login():
    base = 60 * 3600
    c = fresh_session(base)
    stale = c.session
    set_offset(base + 9 * 3600)
    program_now()
    eq(inst.sql1("SELECT count(*) FROM sessions WHERE token_hash = ?",
                 (token_hash(stale),))[0], 0, "rows of the stale session")
    eq(inst.sql1("SELECT count(*) FROM sessions WHERE last_seen < ?",
                 (int(time.time()) + base + 9 * 3600 - 31 * 60,))[0], 0,
       "idle sessions left after a login")


@suite.test
def test_bad_session_from_the_future_ends():
    """Runs last: the clock goes back more than 5 minutes."""
    base = 70 * 3600
    c = fresh_session(base)
    set_offset(base - 4 * 60)
    check(c.signed_in(), "session ended when the clock went back 4 min")
    set_offset(base - 10 * 60)
    check(ended(c), "session alive when the clock went back 10 min")


def make_clock():
    fd, clock["file"] = tempfile.mkstemp(prefix="connector-e2e-clock-")
    os.close(fd)
    set_offset(0)


def instance_on_clock():
    """A claimed instance whose programs read their time from the clock."""
    env = {
        "CONNECTOR_TEST_PRELOAD": FAKETIME_LIB,
        "FAKETIME_TIMESTAMP_FILE": clock["file"],
        "FAKETIME_NO_CACHE": "1",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
    }
    check(os.path.exists(FAKETIME_LIB), "no %s", FAKETIME_LIB)
    return claimed_instance(env=env)


if __name__ == "__main__":
    suite.main(instance_on_clock, globals(), before=make_clock,
               after=lambda: os.unlink(clock["file"]))
