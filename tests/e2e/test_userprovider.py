"""The UserProvider service against the vCenter double: build/cron/
connector-userprovider run on a console registered with the service account
vsphere.local\\svc-connector (its domain, vsphere.local, is the double's),
over a directory of a few hundred users and some groups that the double's
control changes between runs; and the Users page over what it listed.

In order: an unregistered run changes nothing; the first run lists every
entry; a run with nothing new is quiet; additions, renames, full-name
changes and removals are counted; a directory that answers at most 50
entries a search is still listed whole; the directory settings form; a
domain vCenter does not know; hostile filters and page numbers on the
page; a run killed part-way leaves the list as it was; vCenter down keeps
the list and the page says why."""
import html
import os
import shutil
import re
import signal
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (TOP, CRASHLIB, Suite, check, eq, job_env,  # noqa: E402
                     root_copy, run_job, wait_for)
from regflow import Env, Wizard  # noqa: E402

JOB = os.path.join(TOP, "build", "cron", "connector-userprovider")
USERS, GROUPS = 300, 12
ACCOUNT = "vsphere.local\\svc-connector"
suite = Suite()
S = {}


def job(*args, wait=True):
    """Run the job on the instance's root: (status, stdout), or the Popen."""
    if not wait:
        return subprocess.Popen([JOB, "--root", inst().root, *args],
                                env=job_env(), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
    rc, out, _ = run_job(JOB, inst().root, *args, timeout=300)
    return rc, out


def jobs_running():
    """Pids of this instance's userprovider processes (runner or work)."""
    found = []
    for d in os.listdir("/proc"):
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                args = f.read().split(b"\0")
        except (OSError, ValueError):
            continue
        if args and args[0].endswith(b"connector-userprovider") and \
                inst().root.encode() in args:
            found.append(int(d))
    return found


def inst():
    return S["env"].inst


def vc():
    return S["env"].vc


def runs():
    return inst().sql("SELECT outcome, counts, error FROM jobs "
                      "WHERE job = 'userprovider' ORDER BY id")


def listed():
    """The list as stored: {principal: (full_name, is_group)}."""
    return {p: (f, g) for p, f, g in inst().sql(
        "SELECT principal, full_name, is_group FROM vcenter_users")}


def directory():
    """The double's directory as the list should hold it."""
    return {e["principal"]: (e["full_name"], 1 if e["group"] else 0)
            for e in vc().directory()["entries"]}


def counts(run):
    import json
    return json.loads(run[1]) if run[1] else {}


def page(query=""):
    r = S["client"].get("/users" + query)
    return r


def text(r):
    """The page as text, without tags, entities resolved, spaces joined."""
    t = re.sub(r"<[^>]+>", " ", r.text)
    return re.sub(r"\s+", " ", html.unescape(t))


def rows(r):
    return [html.unescape(m) for m in re.findall(
        r"<tr><td>([^<]*)</td><td>", r.text)]


@suite.test
def test_unregistered_run_changes_nothing_and_says_so():
    rc, out = job("--verbose")
    eq(rc, 0, "status")
    check("nothing to do" in out, "verbose output %r", out)
    eq([(r[0], r[1]) for r in runs()], [("ok", "{}")], "recorded run")
    eq(listed(), {}, "list")
    log = inst().read_log("connector.log").decode()
    check("not registered with vCenter; there are no users to enumerate"
          in log, "the log does not say why nothing was done")
    r = page()
    eq(r.status, 200, "page status")
    check("Not applicable — the connector is not registered with vCenter"
          in text(r), "page: %s", text(r)[:600])


@suite.test
def test_first_run_lists_every_user_and_group():
    w = Wizard(S["env"], S["client"])
    for step in (w.start, w.vcenter, w.trust,
                 lambda: w.credentials(user=ACCOUNT), w.no_proxy, w.aws,
                 w.portal, w.register):
        r = step()
        check(r.status in (302, 303), "registration: %r %s", r,
              text(r)[:300])
    rc, out = job()
    eq(rc, 0, "status")
    eq(out, "userprovider: vsphere.local: %d added; %d users and %d groups "
       "now\n" % (USERS + GROUPS, USERS, GROUPS), "output")
    eq(listed(), directory(), "list against the directory")
    c = counts(runs()[-1])
    eq({k: c[k] for k in ("added", "changed", "removed", "users", "groups")},
       {"added": USERS + GROUPS, "changed": 0, "removed": 0,
        "users": USERS, "groups": GROUPS}, "counts")
    eq(inst().sql1("SELECT count(*) FROM vcenter_users WHERE domain = "
                   "'vsphere.local' AND is_group = 1"), (GROUPS,), "groups")
    eq(listed()["user7"], ("Directory User 7", 0), "a user's row")
    r = page()
    t = text(r)
    check("OK — enumerated" in t and "%d added, 0 changed, 0 removed"
          % (USERS + GROUPS) in t, "page: %s", t[:600])
    check("Users %d Groups %d" % (USERS, GROUPS) in t, "totals: %s", t[:800])


@suite.test
def test_run_without_changes_is_quiet():
    before = inst().sql("SELECT principal, first_seen, changed_at FROM "
                        "vcenter_users ORDER BY principal")
    rc, out = job()
    eq((rc, out), (0, ""), "status and output")
    c = counts(runs()[-1])
    eq((c["added"], c["changed"], c["removed"]), (0, 0, 0), "counts")
    eq(inst().sql("SELECT principal, first_seen, changed_at FROM "
                  "vcenter_users ORDER BY principal"), before,
       "first seen and last change of every row")


@suite.test
def test_add_rename_change_remove_counted():
    first = dict(((p, f) for p, f in inst().sql(
        "SELECT principal, first_seen FROM vcenter_users")))
    time.sleep(1.1)     # a change is seen a second later
    vc().directory({
        "add": [{"principal": "newcomer1", "full_name": "New Comer"},
                {"principal": "newcomer2", "full_name": "New Comer 2"},
                {"principal": "ops-team", "full_name": "Operations",
                 "group": True}],
        "rename": [{"from": "user5", "to": "user5-renamed"},
                   {"from": "user6", "full_name": "Sixth, Renamed"}],
        "remove": ["user7", "user8", "group3"]})
    rc, out = job()
    eq(rc, 0, "status")
    eq(out, "userprovider: vsphere.local: 4 added, 1 changed, 4 removed; "
       "%d users and %d groups now\n" % (USERS + 2 - 2, GROUPS + 1 - 1),
       "output")
    c = counts(runs()[-1])
    eq((c["added"], c["changed"], c["removed"]), (4, 1, 4), "counts")
    now = listed()
    eq(now, directory(), "list against the directory")
    check("user5" not in now and "user7" not in now and "group3" not in now,
          "removed entries are still listed")
    eq(now["ops-team"], ("Operations", 1), "the new group")
    eq(now["user6"], ("Sixth, Renamed", 0), "the changed full name")
    row = inst().sql1("SELECT first_seen, changed_at FROM vcenter_users "
                      "WHERE principal = 'user6'")
    eq(row[0], first["user6"], "user6 first seen")
    check(row[1] > row[0], "user6's change time did not move: %r", row)
    row = inst().sql1("SELECT first_seen, changed_at FROM vcenter_users "
                      "WHERE principal = 'user9'")
    eq(row, (first["user9"], first["user9"]), "an unchanged user's times")
    check(inst().sql1("SELECT first_seen FROM vcenter_users WHERE "
                      "principal = 'newcomer1'")[0] > first["user9"],
          "a new user's first seen is not its run")


@suite.test
def test_directory_above_the_cap_listed_whole():
    odd = ["o'neil", "anne marie", "zoë-ü", "100%_real", "under_score",
           "MiXeD.Case", "x" * 40]
    add = [{"principal": "ext%03d" % i, "full_name": "Extra %d" % i}
           for i in range(400)]
    add += [{"principal": p, "full_name": "Odd " + p} for p in odd]
    vc().directory({"add": add, "limit": 50})
    c = S["client"]
    r = c.submit_session("/users/directory", [("domain", ""), ("limit", "50")])
    eq(r.status, 303, "saving the limit")
    eq(inst().sql1("SELECT value FROM settings WHERE name = "
                   "'userprovider.limit'"), ("50",), "stored limit")
    whole = directory()
    check(len(whole) > 700, "the directory has %d entries", len(whole))
    rc, out = job()
    eq(rc, 0, "status: %s" % out)
    eq(listed(), whole, "list against the directory")
    c = counts(runs()[-1])
    eq(c["added"], len(add), "added")
    check(c["searches"] > 20, "searches: %r", c)


@suite.test
def test_bad_directory_settings_refused_and_kept():
    c = S["client"]
    before = inst().sql("SELECT name, value FROM settings WHERE name LIKE "
                        "'userprovider.%' ORDER BY name")
    for fields, field, what in (
            ([("domain", "not a domain!"), ("limit", "50")], "domain",
             "a host name"),
            ([("domain", ""), ("limit", "0")], "limit", "from 1 to"),
            ([("domain", ""), ("limit", "abc")], "limit", "from 1 to"),
            ([("domain", ""), ("limit", "2000000")], "limit", "from 1 to"),
            ([("domain", "a\x01b"), ("limit", "")], "domain", "control"),
            ([("domain", "a" * 300), ("limit", "")], "domain", "too long")):
        r = c.submit_session("/users/directory", fields)
        eq(r.status, 400, "status for %r" % fields)
        m = re.search(r'<p class="error" id="%s-error">([^<]*)</p>' % field,
                      r.text)
        check(m and what in html.unescape(m.group(1)),
              "no error beside %s for %r: %s", field, fields,
              m and m.group(1))
    eq(inst().sql("SELECT name, value FROM settings WHERE name LIKE "
                  "'userprovider.%' ORDER BY name"), before, "settings")


@suite.test
def test_bad_unknown_domain_recorded_and_list_kept():
    before = listed()
    r = S["client"].submit_session("/users/directory",
                           [("domain", "corp.example"), ("limit", "50")])
    eq(r.status, 303, "saving the domain")
    try:
        rc, out = job()
        eq(rc, 1, "status")
        check('vCenter has no domain "corp.example" (the domain set on the '
              'Users page); set one vCenter knows' in out, "output %r", out)
        eq(listed(), before, "list")
        t = text(page())
        check("the last enumeration failed: vCenter has no domain "
              "“corp.example”" in t.replace('"', "“", 1).replace('"', "”", 1)
              or 'the last enumeration failed: vCenter has no domain '
              '"corp.example"' in t, "page: %s", t[:700])
    finally:
        r = S["client"].submit_session("/users/directory",
                               [("domain", ""), ("limit", "50")])
        eq(r.status, 303, "clearing the domain")
    rc, out = job()
    eq(rc, 0, "the next run: %s" % out)


@suite.test
def test_filter_finds_text_not_patterns():
    for q, want in (("%", ["100%_real"]),
                    ("_", ["100%_real", "under_score"]),
                    ("'", ["o'neil"]),
                    ("ANNE", ["anne marie"]),
                    ("zoë", ["zoë-ü"]),
                    ("ops-t", ["ops-team"]),
                    ("Odd under", ["under_score"]),
                    ('"', []),
                    ("\\", []),
                    ("<script>", [])):
        r = page("?" + urllib.parse.urlencode({"filter": q}))
        eq(r.status, 200, "status for %r" % q)
        eq(sorted(rows(r)), sorted(want), "rows for %r" % q)
        check("<script>" not in r.text.split("<main", 1)[1],
              "the filter is not escaped")
        if not want:
            check("No user or group matches" in text(r), "empty result "
                  "for %r: %s", q, text(r)[-400:])


@suite.test
def test_bad_filter_and_page_values_refused():
    # 10 KiB is past what nginx takes in a request line.
    eq(page("?filter=" + "a" * 10240).status, 414, "status for 10 KiB")
    for query in ("?filter=" + "a" * 101, "?filter=a%01b", "?filter=%00",
                  "?filter=a%0Ab", "?filter=%C3%28", "?page=0", "?page=-1",
                  "?page=abc", "?page=" + "9" * 20, "?filter=a&filter=b",
                  "?sort=name", "?filter.FileHandle=5"):
        r = page(query)
        eq(r.status, 400, "status for %s" % query[:40])
    r = page("?page=999999")
    eq(r.status, 200, "a page past the end")
    check("Page 8 of 8" in text(r), "the last page is shown: %s",
          text(r)[-300:])


@suite.test
def test_paging_hundred_rows_with_filter_kept():
    total = len(listed())
    r = page()
    eq(len(rows(r)), 100, "rows on the first page")
    pages = (total + 99) // 100
    check("1–100 of %d" % total in text(r), "caption: %s", text(r)[:900])
    check("Page 1 of %d" % pages in text(r), "pager")
    r = page("?page=2")
    names = rows(r)
    eq(len(names), 100, "rows on page 2")
    check("101–200 of %d" % total in text(r), "caption of page 2")
    r = page("?filter=ext")
    m = re.search(r'href="([^"]*)" rel="next"', r.text)
    check(m is not None, "no next link")
    eq(html.unescape(m.group(1)), "/users?filter=ext&page=2", "next link")
    r = page("?filter=%25%20%27")      # "% '": nothing, and no error
    eq(r.status, 200, "a filter of pattern characters")


def job_on(root, crash=None, extra=None):
    """Run the job on another root, killed at write call crash (None: not
    killed): (status, stdout, stderr)."""
    return run_job(JOB, root, extra=extra, crash=crash, timeout=300)


def list_on(root):
    """The list stored under root, after checking the database is whole."""
    import sqlite3
    db = sqlite3.connect(os.path.join(root, "var/lib/connector/state.db"))
    try:
        eq(db.execute("PRAGMA integrity_check").fetchone()[0], "ok",
           "the database's integrity")
        return {p: (f, g) for p, f, g in db.execute(
            "SELECT principal, full_name, is_group FROM vcenter_users")}
    finally:
        db.close()


@suite.test
def test_kill_9_at_every_write_leaves_the_list_whole():
    """Killed at each call that writes (build/tests/crashpoint.so), a run
    leaves the previous list or the new one, never a mix; the next run
    finishes it."""
    vc().directory({"add": [{"principal": "crash%d" % i, "full_name": "C"}
                            for i in range(1, 4)]})
    eq(job()[0], 0, "the list with crash1..3")
    vc().directory({"add": [{"principal": "crash4", "full_name": "C"}],
                    "rename": [{"from": "crash1", "to": "crash1b"},
                               {"from": "crash2", "full_name": "C2"}],
                    "remove": ["crash3"]})
    d, tmpl = root_copy(inst(), "userprovider-crash-")
    try:
        old = list_on(tmpl)
        work = os.path.join(d, "full")
        shutil.copytree(tmpl, work, symlinks=True)
        eq(job_on(work)[0], 0, "the run without a crash")
        new = list_on(work)
        check(new != old and "crash4" in new and "crash3" not in new,
              "the run changed nothing")
        # How many calls write, then every one of the last 40 (the
        # replacement and the run's record) and 20 spread over the rest
        # (the walk's own writes, the staging).
        shutil.rmtree(work)
        count = os.path.join(d, "count")
        work = os.path.join(d, "counted")
        shutil.copytree(tmpl, work, symlinks=True)
        eq(job_on(work, extra={"CRASHPOINT_COUNT": count,
                               "LD_PRELOAD": CRASHLIB})[0], 0,
           "the counting run")
        eq(list_on(work), new, "the counting run's list")
        shutil.rmtree(work)
        calls = int(open(count).read().split()[0])
        points = sorted(set(range(max(1, calls - 39), calls + 1)) |
                        set(range(1, calls, max(1, calls // 20))))
        killed = 0
        for n in points:
            work = os.path.join(d, "n%d" % n)
            shutil.copytree(tmpl, work, symlinks=True)
            rc, out, err = job_on(work, crash=n)
            check("crashpoint: SIGKILL at call %d " % n in err,
                  "point %d of %d: not killed", n, calls)
            got = list_on(work)
            check(got in (old, new), "point %d: a list half written" % n)
            eq(job_on(work)[0], 0, "point %d: the next run" % n)
            eq(list_on(work), new, "point %d: after the next run" % n)
            shutil.rmtree(work)
            killed += 1
        sys.stderr.write("kill -9: %d of %d points\n" % (killed, calls))
    finally:
        shutil.rmtree(d, ignore_errors=True)
        job()   # the instance's own list catches up with the directory


@suite.test
def test_killed_run_leaves_the_list_as_it_was():
    before = listed()
    # A cap of 5 makes the walk thousands of searches: seconds to kill in.
    vc().directory({"add": [{"principal": "late%d" % i, "full_name": "L"}
                            for i in range(50)], "limit": 5})
    r = S["client"].submit_session("/users/directory",
                                   [("domain", ""), ("limit", "5")])
    eq(r.status, 303, "saving the limit")
    p = job(wait=False)
    try:
        check(wait_for(lambda: inst().sql1(
            "SELECT count(*) FROM jobs WHERE job = 'userprovider' AND "
            "outcome = 'running'")[0] == 1, timeout=30), "no run started")
        time.sleep(0.5)
        os.kill(p.pid, signal.SIGKILL)
        p.wait(30)
    finally:
        if p.poll() is None:
            p.kill()
    eq(runs()[-1][0], "running", "the killed run's record (it was killed "
       "part-way)")
    check(wait_for(lambda: not jobs_running(), timeout=10),
          "the work outlived its runner")
    eq(listed(), before, "list after the kill")
    rc, out = job()
    eq(rc, 0, "the next run: %s" % out)
    check(out.startswith("userprovider: the previous run stopped before it "
                         "finished"), "output %r", out)
    check("50 added" in out, "output %r", out)
    eq(listed(), directory(), "list against the directory")


@suite.test
def test_vcenter_down_keeps_list_and_page_says_why():
    before = inst().sql("SELECT * FROM vcenter_users ORDER BY principal")
    listed_at = inst().sql1("SELECT value FROM settings WHERE name = "
                            "'userprovider.listed_at'")[0]
    port = vc().port
    vc().stop()
    rc, out = job()
    eq(rc, 1, "status")
    want = ("nothing answered at 127.0.0.1:%d; check that vCenter is "
            "running and that the connector can reach it" % port)
    check(want in out, "output %r", out)
    eq(runs()[-1][0], "failed", "outcome")
    eq(runs()[-1][2], want, "recorded error")
    eq(inst().sql("SELECT * FROM vcenter_users ORDER BY principal"), before,
       "the list")
    eq(inst().sql1("SELECT value FROM settings WHERE name = "
                   "'userprovider.listed_at'")[0], listed_at, "list time")
    t = text(page())
    check(re.search(r"Error — The list below is from \d{4}-\d\d-\d\d "
                    r"\d\d:\d\d UTC; the last enumeration failed: " +
                    re.escape(want), t), "page: %s", t[:800])
    check("%d–" % 1 in t, "the list is still shown")


def setup():
    S["env"] = Env(vc_user=ACCOUNT, vc_users=USERS,
                   vc_args=("--groups", str(GROUPS))).start()
    S["client"] = S["env"].inst.signed_in_client()


def teardown():
    if "env" in S:
        S["env"].stop()


if __name__ == "__main__":
    suite.run(setup, teardown)
