"""The Poller Service against the AWS double: a console registered through
its own wizard (the vCenter and AWS doubles), the Migrations page's forms,
build/cron/connector-poller run as cron would on the instance's root, and
GET /api/migrations.

Imports go through every state to completed with an AMI; a task deleted in
AWS and one AWS forgot; throttling on two pages; a failed poll that leaves
the rows as they were and says how old they are; the job killed with
SIGKILL at every write (build/tests/crashpoint.so); 4 imports at most in
progress per region, the rest queued and started as slots free (and
AWS's own limit); an import started elsewhere, tracked to its instance;
10 000 tracked tasks; a proxy; hostile query and form fields; the API
with a token and without."""
import html
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from harness import (TOP, Suite, check, claimed_instance, eq,  # noqa: E402
                     raw_response, root_copy, run_job, wait_for)
from regflow import AWS_KEY, Env, Wizard  # noqa: E402
from regcheck import Proxy  # noqa: E402

POLLER = os.path.join(TOP, "build", "cron", "connector-poller")
PROBE = os.path.join(TOP, "build", "tests", "aws-probe")
REGION = "us-east-1"
BUCKET = "connector-imports"
STARTED = "Import started."
QUEUED_SLOTS = ("Import queued: 4 imports are already in progress in "
                "us-east-1; it starts when one finishes.")

suite = Suite()
E = None
S = {}


def inst():
    return E.inst


def aws(body=None):
    return E.aws.control(body)


def poll(root=None, env=None, crash=None, verbose=False):
    """Run the poller job on root (the instance's by default) as cron
    would; (status, stdout, stderr)."""
    return run_job(POLLER, root or inst().root,
                   *(["--verbose"] if verbose else []),
                   extra={**E.aws.env(), **(env or {})}, crash=crash,
                   timeout=300)


def poll_ok():
    rc, out, err = poll()
    eq(rc, 0, "poller status (%s %s)" % (out, err[-300:]))
    return out


def last_run():
    """outcome, counts (dict), error, note of the poller's last run."""
    o, counts, error, note = inst().sql(
        "SELECT outcome, counts, error, note FROM jobs WHERE job = 'poller' "
        "ORDER BY id DESC LIMIT 1")[0]
    return o, json.loads(counts or "{}"), error, note


def rows():
    """(vm_name, state, aws_status, progress, status_message, image_id,
    instance_id, instance_state, task_id) of every row, by id."""
    return inst().sql(
        "SELECT vm_name, state, aws_status, progress, status_message, "
        "image_id, instance_id, instance_state, task_id FROM vms ORDER BY id")


def fresh():
    """No tracked imports, the double as new, no poller runs."""
    inst().sql("DELETE FROM vms", write=True)
    inst().sql("DELETE FROM jobs WHERE job = 'poller'", write=True)
    inst().sql("DELETE FROM settings WHERE name = 'poller.polled_at'",
               write=True)
    aws({"reset": True})


def client():
    if "c" not in S:
        S["c"] = inst().signed_in_client()
    return S["c"]


NOTICE_RE = re.compile(r'<div class="notice (ok|warning)" role="status" '
                       r'id="notice">\s*<img[^>]*>\s*<div>(.*?)</div>', re.S)


def notice_of(c):
    """The one-time notice /migrations shows now: (kind, text) or None."""
    r = c.get("/migrations")
    eq(r.status, 200, "migrations page")
    m = NOTICE_RE.search(r.text)
    return (m.group(1), html.unescape(m.group(2)).strip()) if m else None


def field_errors(r):
    """element id -> the sentence shown beside it."""
    return {k: html.unescape(v).strip() for k, v in re.findall(
        r'<p class="error" id="([A-Za-z0-9_-]+)-error">([^<]*)</p>', r.text)}


def form_error(r):
    m = re.search(r'<strong>Not (?:started|tracked)\.</strong>\s*(.*?)</div>',
                  r.text, re.S)
    return html.unescape(m.group(1)).strip() if m else None


def import_fields(name, moref=None, key=None, fmt="VMDK", region=REGION,
                  description=""):
    return [("vm_id", moref or "vm-%s" % name), ("vm_name", name),
            ("bucket", BUCKET), ("key", key or "images/%s.vmdk" % name),
            ("format", fmt), ("region", region),
            ("description", description)]


def start_import(name, c=None, **kw):
    """POST the import form; returns (answer, notice (kind, text))."""
    c = c or client()
    csrf = c.form_csrf("/migrations")
    r = c.post("/migrations/import", [("csrf", csrf)] +
               import_fields(name, **kw))
    if r.status != 303:
        return r, None
    eq(r.location, inst().origin + "/migrations", "redirect")
    return r, notice_of(c)


def post_form(path, fields, c=None):
    c = c or client()
    csrf = c.form_csrf("/migrations")
    return c.post(path, [("csrf", csrf)] + list(fields))


def task_ids():
    return [r[8] for r in rows()]


def update_tasks(ids, **fields):
    aws({"import_task_updates": [dict(import_task_id=i, **fields)
                                 for i in ids]})


def requests_since(seq, action=None):
    """The requests the AWS double recorded after seq (of action)."""
    return [r for r in E.aws.requests(seq)
            if action is None or r.get("action") == action]


def api(query="", token=None, c=None):
    """GET /api/migrations with a token (no session) or the client."""
    headers = {"Authorization": "Bearer " + token} if token else None
    cl = c or inst().client()
    r = cl.get("/api/migrations" + query, headers=headers,
               cookies=c is not None)
    return r


def track_preloaded(ids, prefix):
    """Rows in progress for tasks preloaded into the double (at this scale
    straight into the table; the track form is tested on its own)."""
    now = int(time.time())
    db = sqlite3.connect(inst().db_path, timeout=30)
    db.executemany(
        "INSERT INTO vms (vm_moref, vm_name, region, kind, task_id, state, "
        "first_seen, last_change) VALUES (?, ?, 'us-east-1', 'image', ?, "
        "'active', ?, ?)", [("vm-%d" % k, "%s%05d" % (prefix, k), i, now,
                             now) for k, i in enumerate(ids)])
    db.commit()
    db.close()


def freshness_line(r):
    m = re.search(r'<p class="state (\w+)" id="freshness"><img[^>]*>(.*?)'
                  r'</p>', r.text, re.S)
    return (m.group(1), html.unescape(m.group(2)).strip()) if m else None


# ---- not registered ----

@suite.test
def test_unregistered_run_records_not_registered_and_changes_nothing():
    other = claimed_instance()
    try:
        rc, out, _ = run_job(POLLER, other.root, timeout=60)
        eq((rc, out), (0, ""), "status and output")
        row = other.sql("SELECT outcome, error, note FROM jobs "
                        "WHERE job = 'poller'")
        eq(len(row), 1, "runs recorded")
        eq(row[0][:2], ("ok", None), "outcome")
        check(row[0][2].startswith("not registered"), "note %r", row[0][2])
        eq(other.sql("SELECT count(*) FROM vms")[0][0], 0, "rows")
        eq(other.sql("SELECT count(*) FROM settings WHERE name = "
                     "'poller.polled_at'")[0][0], 0, "poll time")
        c = other.signed_in_client()
        r = c.get("/migrations")
        eq(freshness_line(r), ("unknown", "Not polled: the connector is "
                               "not registered."), "freshness line")
        check('action="/migrations/import"' not in r.text,
              "the import form is offered")
        csrf = r.csrf
        r = c.post("/migrations/import", [("csrf", csrf)] +
                   import_fields("web01"))
        eq(r.status, 400, "an import anyway")
        check("not registered" in (form_error(r) or ""), "form error %r",
              form_error(r))
        eq(other.sql("SELECT count(*) FROM vms")[0][0], 0, "rows after")
    finally:
        other.cleanup()


# ---- imports through their states ----

STEPS = [
    ("active", "validating", "8"),
    ("active", "converting", "31"),
    ("active", "updating", "64"),
    ("active", "booting", "82"),
    ("active", "preparing ami", "96"),
]


@suite.test
def test_three_imports_through_every_state_to_completed_with_ami():
    fresh()
    names = ["web01", "db01", "app01"]
    for n in names:
        r, note = start_import(n)
        eq(note, ("ok", STARTED), "notice for %s" % n)
    created = aws()["import_tasks_created"]
    eq(sorted((t["disks"][0]["bucket"], t["disks"][0]["key"])
              for t in created),
       sorted((BUCKET, "images/%s.vmdk" % n) for n in names),
       "what AWS was asked to import")
    eq([(r[0], r[1]) for r in rows()], [(n, "active") for n in names],
       "rows after the start")
    ids = task_ids()
    eq(sorted(ids), sorted(t["importTaskId"] for t in created), "task ids")

    out = poll_ok()
    eq(out, "", "a poll with no news prints nothing")
    eq([(r[1], r[2], r[3], r[4]) for r in rows()],
       [("active", "active", 2, "pending")] * 3, "after the first poll")
    for status, message, progress in STEPS:
        update_tasks(ids, status=status, status_message=message,
                     progress=progress)
        poll_ok()
        eq([(r[1], r[2], r[3], r[4]) for r in rows()],
           [("active", status, int(progress), message)] * 3,
           "rows at %s" % message)
        page = client().get("/migrations?sort=name")
        check("In progress" in page.text and
              'value="%s"' % progress in page.text,
              "the page at %s" % message)
    before = inst().sql("SELECT id, last_change FROM vms ORDER BY id")
    time.sleep(1.1)
    poll_ok()
    eq(inst().sql("SELECT id, last_change FROM vms ORDER BY id"), before,
       "a poll that changes nothing moves no last_change")
    eq(last_run()[1]["changed"], 0, "counted changes")

    update_tasks(ids, status="completed")
    out = poll_ok()
    eq(out, "poller: 3 imports completed\n", "news")
    got = rows()
    eq([(r[1], r[2], r[3]) for r in got], [("completed", "completed", 100)]
       * 3, "completed rows")
    check(all(r[5] and r[5].startswith("ami-") for r in got),
          "AMIs: %r", [r[5] for r in got])
    o, counts, error, _ = last_run()
    eq((o, error), ("ok", None), "run")
    eq({k: counts[k] for k in ("checked", "changed", "completed", "failed",
                               "started", "queued")},
       {"checked": 3, "changed": 3, "completed": 3, "failed": 0,
        "started": 0, "queued": 0}, "counts")
    page = client().get("/migrations?sort=name")
    for r in got:
        check(r[5] in page.text, "AMI %s not on the page" % r[5])
    check(page.text.count(">Completed") == 3, "three Completed states")
    seq = E.aws.last_seq()
    poll_ok()
    eq(requests_since(seq, "DescribeImportImageTasks"), [],
       "finished imports are read again")


@suite.test
def test_task_deleted_in_aws_and_task_aws_forgot_are_marked():
    fresh()
    for n in ("gone01", "bad01", "ok01"):
        eq(start_import(n)[1], ("ok", STARTED), "start " + n)
    gone, bad, good = task_ids()
    poll_ok()
    update_tasks([bad], status="deleted", status_message="ClientError: "
                 "Disk validation failed [Unsupported VMDK File Format]")
    update_tasks([good], status_message="converting", progress="40")
    aws({"import_task_updates": [{"import_task_id": gone, "delete": True}]})
    seq = E.aws.last_seq()
    # AWS is eventually consistent: a task seen minutes ago that it does
    # not know is not seen this time, not missing yet.
    out = poll_ok()
    eq(out, "poller: 1 import failed or deleted in AWS\n", "news")
    eq([(r[0], r[1]) for r in rows()], [("gone01", "active"),
       ("bad01", "deleted"), ("ok01", "active")], "not missing yet")
    # Last seen two poll intervals ago: now it is missing.
    inst().sql("UPDATE vms SET last_seen = last_seen - 600 WHERE "
               "vm_name = 'gone01'", write=True)
    out = poll_ok()
    eq(out, "poller: 1 import failed or deleted in AWS\n", "news")
    got = {r[0]: r for r in rows()}
    eq(got["gone01"][1:5], ("missing", "active", 2, "pending"),
       "the forgotten task keeps what was last known")
    eq(got["bad01"][1:5], ("deleted", "deleted", 2, "ClientError: Disk "
                           "validation failed [Unsupported VMDK File "
                           "Format]"), "the deleted task")
    eq(got["ok01"][1:5], ("active", "active", 40, "converting"),
       "the task beside them is still read")
    sent = requests_since(seq, "DescribeImportImageTasks")
    check(len(sent) >= 2 and any(r.get("code") == "InvalidConversionTaskId"
                                 for r in sent), "requests %r", sent)
    eq(last_run()[1]["failed"], 1, "counted failures")
    page = client().get("/migrations?sort=name").text
    check("Unknown to AWS" in page and "Deleted in AWS" in page and
          "Unsupported VMDK File Format" in page, "the page")
    seq = E.aws.last_seq()
    poll_ok()
    named = [v for r in requests_since(seq, "DescribeImportImageTasks")
             for k, v in r["params"].items() if k.startswith("ImportTaskId")]
    eq(named, [good], "only the task in progress is read again")


# ---- throttling and failures ----

@suite.test
def test_throttled_on_two_pages_then_success():
    fresh()
    for n in ("t1", "t2", "t3", "t4", "t5"):
        eq(start_import(n)[1], ("ok", STARTED) if n != "t5" else
           ("ok", QUEUED_SLOTS), "start " + n)
    ids = [i for i in task_ids() if i]
    update_tasks(ids, status_message="converting", progress="50")
    aws({"page_size": 2, "faults": {"ec2": {"error": {
        "code": "Throttling", "times": 2, "every": 2,
        "action": "DescribeImportImageTasks"}}}})
    seq = E.aws.last_seq()
    rc, out, err = poll()
    eq(rc, 0, "status (%s)" % err[-300:])
    sent = requests_since(seq, "DescribeImportImageTasks")
    eq([r["status"] for r in sent], [400, 200, 400, 200],
       "the pages: throttled, retried, throttled, retried")
    eq(["NextToken" in r["params"] for r in sent],
       [False, False, True, True], "the second page carried its token")
    eq(sorted((r[1], r[3], r[4]) for r in rows() if r[8]),
       [("active", 50, "converting")] * 4, "every row read")
    eq(last_run()[0], "ok", "the run")
    aws({"page_size": None})


@suite.test
def test_bad_failed_poll_keeps_rows_and_page_shows_their_age():
    fresh()
    for n in ("s1", "s2"):
        start_import(n)
    poll_ok()
    before = inst().sql("SELECT * FROM vms ORDER BY id")
    polled = inst().sql("SELECT value FROM settings WHERE name = "
                        "'poller.polled_at'")
    update_tasks(task_ids(), status_message="converting", progress="77")
    aws({"revoked_keys": [AWS_KEY]})
    rc, out, _ = poll()
    eq(rc, 1, "status")
    check(out.startswith("poller: failed: AWS refused the connector's keys: "
                         "they are not known there, or were revoked "
                         "(us-east-1); update the AWS keys"),
          "output %r", out)
    eq(inst().sql("SELECT * FROM vms ORDER BY id"), before,
       "the rows after a failed poll")
    eq(inst().sql("SELECT value FROM settings WHERE name = "
                  "'poller.polled_at'"), polled, "the poll time")
    o, _, error, _ = last_run()
    eq(o, "failed", "outcome")
    # As if the last good poll were 25 minutes old.
    inst().sql("UPDATE settings SET value = CAST(value AS INTEGER) - 1500 "
               "WHERE name = 'poller.polled_at'", write=True)
    level, line = freshness_line(client().get("/migrations"))
    eq(level, "warning", "level")
    eq(line, "Warning — Last updated 25 minutes ago; the last poll failed: "
       + error + ".", "freshness line")
    check("update the AWS keys" in error, "what to do: %r", error)
    j = json.loads(api(c=client()).text)
    eq((j["freshness"]["stale"], j["freshness"]["last_poll_failed"],
        j["freshness"]["error"]), (True, True, error), "API freshness")
    check(1500 <= j["freshness"]["age_seconds"] < 1600, "age %r",
          j["freshness"]["age_seconds"])
    aws({"revoked_keys": []})
    poll_ok()
    eq([(r[3], r[4]) for r in rows()], [(77, "converting")] * 2,
       "the next good poll")
    eq(freshness_line(client().get("/migrations")),
       ("ok", "OK — Last updated less than a minute ago."), "fresh again")


# ---- kill -9 ----

def snapshot(root):
    db = sqlite3.connect(os.path.join(root, "var/lib/connector/state.db"))
    try:
        vms = db.execute("SELECT id, state, aws_status, progress, "
                         "status_message, image_id FROM vms "
                         "ORDER BY id").fetchall()
        polled = db.execute("SELECT value FROM settings WHERE name = "
                            "'poller.polled_at'").fetchall()
        runs = db.execute("SELECT outcome FROM jobs WHERE job = 'poller' "
                          "ORDER BY id").fetchall()
        check(db.execute("PRAGMA integrity_check").fetchone()[0] == "ok",
              "the database is damaged")
    finally:
        db.close()
    return vms, polled, [r[0] for r in runs]


@suite.test
def test_kill_9_at_every_write_leaves_previous_rows_intact():
    fresh()
    pre = aws({"preload": {"active_import_tasks": 40}})
    ids = pre["preloaded_import_task_ids"]
    track_preloaded(ids, "crash")
    poll_ok()
    update_tasks(ids[:30], status_message="converting", progress="60")
    update_tasks(ids[30:], status="completed")
    time.sleep(1.1)     # the crashed runs' poll time is another second
    d, tmpl = root_copy(inst(), "poller-crash-")
    try:
        old = snapshot(tmpl)
        # The whole run once, to know what it writes.
        work = os.path.join(d, "full")
        shutil.copytree(tmpl, work, symlinks=True)
        eq(poll(work)[0], 0, "the run without a crash")
        new = snapshot(work)
        check(new[0] != old[0] and new[1] != old[1], "the run changed "
              "nothing: %r", new)
        shutil.rmtree(work)
        killed, whole = 0, 0
        for n in range(1, 500):
            work = os.path.join(d, "n%d" % n)
            shutil.copytree(tmpl, work, symlinks=True)
            rc, out, err = poll(work, crash=n)
            hit = "crashpoint: SIGKILL at call %d " % n in err
            vms, polled, runs = snapshot(work)
            if vms == old[0]:
                eq(polled, old[1], "point %d: old rows, the old time" % n)
            else:
                eq((vms, polled != old[1]), (new[0], True),
                   "point %d: half-written rows" % n)
                whole += 1
            killed += hit
            # The next run finishes the work, and says the killed one
            # stopped before it finished when its row was left running.
            rc2, out2, err2 = poll(work)
            eq(rc2, 0, "point %d: the next run (%s)" % (n, err2[-200:]))
            eq(snapshot(work)[0], new[0], "point %d: after the next run" % n)
            shutil.rmtree(work)
            if not hit:
                break
        else:
            raise AssertionError("the crash points do not end")
        check(killed >= 10 and whole >= 1, "killed at %d points, %d after "
              "the commit", killed, whole)
        sys.stderr.write("kill -9: %d points, %d of them after the commit\n"
                         % (killed, whole))
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ---- the queue ----

@suite.test
def test_four_in_progress_per_region_rest_queued_and_started_in_order():
    fresh()
    mark = inst().audit_mark()
    notes = [start_import("q%d" % i)[1] for i in range(1, 7)]
    eq(notes, [("ok", STARTED)] * 4 + [("ok", QUEUED_SLOTS)] * 2,
       "notices")

    def actions():
        got = [e["action"] for e in inst().audit()[mark:] if e.get("action")]
        return got if got.count("import queued: no slot") == 2 else None
    eq(wait_for(actions, 5), ["import started"] * 4 +
       ["import queued: no slot"] * 2, "the audit log")
    eq([r[1] for r in rows()], ["active"] * 4 + ["queued"] * 2, "states")
    eq(len(aws()["import_tasks_created"]), 4, "imports AWS has")
    poll_ok()
    eq(last_run()[1]["queued"], 2, "still queued")
    eq([r[1] for r in rows()], ["active"] * 4 + ["queued"] * 2,
       "states after a poll with no slot free")
    update_tasks([task_ids()[1]], status="completed")
    out = poll_ok()
    eq(out, "poller: 1 import completed, 1 queued import started\n",
       "news")
    eq([(r[0], r[1]) for r in rows()],
       [("q1", "active"), ("q2", "completed"), ("q3", "active"),
        ("q4", "active"), ("q5", "active"), ("q6", "queued")],
       "the oldest queued import took the slot")
    eq((last_run()[1]["started"], last_run()[1]["queued"]), (1, 1),
       "counted")
    # AWS's own limit (imports started elsewhere count too) keeps it queued.
    update_tasks([task_ids()[0]], status="completed")
    aws({"import_limit": 3})
    out = poll_ok()
    eq([(r[0], r[1]) for r in rows()][-1], ("q6", "queued"), "q6 at "
       "AWS's limit")
    check("no more imports" in rows()[-1][4], "why: %r", rows()[-1][4])
    eq((last_run()[1]["started"], last_run()[1]["queued"]), (0, 1),
       "counted at AWS's limit")
    aws({"import_limit": 5})
    poll_ok()
    eq(rows()[-1][1], "active", "q6 once AWS allows it")


@suite.test
def test_bad_failed_poll_still_starts_queued_imports():
    fresh()
    for n in ("f1", "f2", "f3", "f4", "f5"):
        start_import(n)
    eq([r[1] for r in rows()], ["active"] * 4 + ["queued"], "states")
    # A slot freed by an earlier poll; this poll cannot read AWS's tasks.
    inst().sql("UPDATE vms SET state = 'completed' WHERE vm_name = 'f2'",
               write=True)
    aws({"faults": {"ec2": {"error": {
        "code": "AuthFailure", "times": 100,
        "action": "DescribeImportImageTasks"}}}})
    rc, out, err = poll()
    eq(rc, 1, "the failed poll's status (%s)" % err[-300:])
    eq(last_run()[0], "failed", "the run")
    eq([(r[0], r[1]) for r in rows()][-1], ("f5", "active"),
       "the queued import started all the same")
    eq(last_run()[1]["started"], 1, "counted")
    eq(len(aws()["import_tasks_created"]), 5, "imports AWS has")
    aws({"faults": {}})


@suite.test
def test_start_refused_is_news_not_a_failed_poll():
    fresh()
    for n in ("d1", "d2", "d3", "d4", "d5"):
        start_import(n)
    update_tasks([task_ids()[0]], status="completed")
    aws({"faults": {"ec2": {"error": {
        "code": "AuthFailure", "times": 100, "action": "ImportImage"}}}})
    rc, out, err = poll()
    eq(rc, 0, "status (%s %s)" % (out, err[-300:]))
    o, _, error, note = last_run()
    eq((o, error), ("ok", None), "the run")
    check(note.startswith("queued imports could not be started: "),
          "note %r", note)
    check(out.startswith("poller: 1 import completed, queued imports could "
                         "not be started: "), "news %r", out)
    eq(rows()[-1][1], "queued", "d5 back in the queue")
    check(rows()[-1][4] != "", "its message %r", rows()[-1][4])
    aws({"faults": {}})


@suite.test
def test_two_starts_at_once_take_the_last_slot_once():
    fresh()
    for i in range(3):
        start_import("c%d" % i)
    results = []
    clients = [inst().signed_in_client() for _ in range(2)]
    csrfs = [c.form_csrf("/migrations") for c in clients]

    def go(k):
        results.append(clients[k].post("/migrations/import", [
            ("csrf", csrfs[k])] + import_fields("race%d" % k)).status)
    threads = [threading.Thread(target=go, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    eq(results, [303, 303], "answers")
    states = sorted(r[1] for r in rows() if r[0].startswith("race"))
    eq(states, ["active", "queued"], "one took the last slot")
    eq(len(aws()["import_tasks_created"]), 4, "imports AWS has")


@suite.test
def test_killed_start_is_finished_with_the_same_client_token():
    fresh()
    token = "0123456789abcdef0123456789abcdef"
    # AWS got the request, then the starter died before writing it down.
    e = dict(os.environ, AWS_ACCESS_KEY_ID=AWS_KEY,
             AWS_SECRET_ACCESS_KEY=E.aws_secret)
    p = subprocess.run([PROBE, "--ca", E.aws.info["ca"], "--endpoint",
                        E.aws.info["url"], "--client-token", token,
                        "import:%s/images/k1.vmdk" % BUCKET], env=e,
                       capture_output=True, text=True, timeout=60)
    task = json.loads(p.stdout)["steps"][0]["task_id"]
    now = int(time.time())
    inst().sql("INSERT INTO vms (vm_moref, vm_name, region, kind, state, "
               "bucket, object_key, format, client_token, first_seen, "
               "last_change) VALUES ('vm-k1', 'k1', 'us-east-1', 'image', "
               "'starting', ?, 'images/k1.vmdk', 'VMDK', ?, ?, ?)",
               (BUCKET, token, now, now), write=True)
    out = poll_ok()
    eq(out, "poller: 1 queued import started\n", "news")
    eq([(r[1], r[8]) for r in rows()], [("active", task)],
       "the row has the task AWS made")
    eq(len(aws()["import_tasks_created"]), 1, "imports AWS has")


# ---- an import started elsewhere ----

@suite.test
def test_instance_import_tracked_to_its_instance():
    fresh()
    cid = aws({"conversion_tasks": [{"description": "db02"}]})[
        "conversion_task_ids"][0]
    r = post_form("/migrations/track", [("task_id", cid), ("vm_id", "vm-77"),
                                        ("vm_name", "db02"),
                                        ("region", REGION)])
    eq(r.status, 303, "track (%s)" % field_errors(r))
    eq(notice_of(client()), ("ok", "Tracked. AWS reports the task as "
                             "active; the poller follows it from now on."),
       "notice")
    aws({"conversion_task_updates": [{"conversion_task_id": cid,
                                      "bytes_converted": 4294967296}]})
    poll_ok()
    eq(rows()[0][1:4], ("active", "active", 50), "half converted")
    seq = E.aws.last_seq()
    aws({"conversion_task_updates": [{"conversion_task_id": cid,
                                      "state": "completed"}]})
    out = poll_ok()
    eq(out, "poller: 1 import completed\n", "news")
    got = rows()[0]
    eq((got[1], got[3], got[7]), ("completed", 100, "stopped"),
       "completed, with its instance stopped")
    check(got[6] and got[6].startswith("i-"), "instance %r", got[6])
    sent = requests_since(seq, "DescribeInstances")
    eq([r["params"].get("InstanceId.1") for r in sent], [got[6]],
       "the instance asked for")
    page = client().get("/migrations").text
    check(got[6] in page and "stopped" in page, "the page")
    r = post_form("/migrations/track", [("task_id", cid), ("vm_id", "vm-77"),
                                        ("vm_name", "db02")])
    eq(field_errors(r).get("task_id"), "This task is already in the list.",
       "tracked twice")


@suite.test
def test_bad_unknown_task_not_tracked():
    fresh()
    r = post_form("/migrations/track", [
        ("task_id", "import-ami-0123456789abcdef0"), ("vm_id", "vm-1"),
        ("vm_name", "x")])
    eq(r.status, 400, "status")
    eq(field_errors(r).get("task_id"), "AWS does not know task "
       "import-ami-0123456789abcdef0 in us-east-1. Check the id and the "
       "region.", "error")
    eq(rows(), [], "rows")


# ---- scale ----

@suite.test
def test_ten_thousand_tracked_tasks():
    fresh()
    n = 10000
    ids = aws({"preload": {"active_import_tasks": n}})[
        "preloaded_import_task_ids"]
    track_preloaded(ids, "vm")
    seq = E.aws.last_seq()
    poll_ok()
    o, counts, _, _ = last_run()
    eq((o, counts["checked"], counts["changed"]), ("ok", n, n), "first run")
    sent = requests_since(seq, "DescribeImportImageTasks")
    eq(len(sent), n // 100, "calls of 100 ids")
    update_tasks(ids[::1000], status="completed")
    poll_ok()
    o, counts, _, _ = last_run()
    eq((counts["checked"], counts["changed"], counts["completed"]),
       (n, 10, 10), "second run")
    r = client().get("/migrations?sort=name&order=desc&per_page=200&page=50")
    eq(r.status, 200, "page 50")
    names = re.findall(r'<span class="vm-name">([^<]*)</span>', r.text)
    eq((len(names), names[0], names[-1]), (200, "vm00199", "vm00000"),
       "the last page, by name descending")
    check("VMs 9801–10000 of 10000" in r.text, "caption")
    j = json.loads(api("?sort=state&per_page=10", c=client()).text)
    eq((j["page"]["total"], j["page"]["pages"], len(j["migrations"])),
       (n, 1000, 10), "the API's page")
    eq({m["state"] for m in j["migrations"]}, {"active"}, "in progress first")
    inst().sql("DELETE FROM vms", write=True)
    aws({"reset": True})


# ---- hostile input ----

@suite.test
def test_bad_query_fields_refused():
    c = client()
    bad = ["sort=<script>", "sort=name;drop", "sort=NAME", "order=up",
           "page=0", "page=-1", "page=1e3", "page=1234567890",
           "per_page=1000", "per_page=7", "per_page=0", "sort=name&sort=state",
           "debug=1", "page=%00", "sort=%ff", "sort=" + "a" * 3000,
           "x.FileHandle=5", "sort"]
    for path in ("/migrations", "/api/migrations"):
        # A query past nginx's header buffers never reaches the program.
        r = raw_response(inst(), ("GET %s?sort=%s HTTP/1.1\r\nHost: "
                                  "127.0.0.1\r\nCookie: %s\r\nConnection: "
                                  "close\r\n\r\n" % (path, "a" * 70000,
                                                      c.cookie_header())
                                  ).encode())
        eq(r.status if r else None, 414, "%s with a 70 KB query" % path)
    for q in bad:
        want = 400
        r = c.get("/migrations?" + q)
        eq(r.status, want, "page ?%s" % q[:40])
        r = api("?" + q, c=c)
        eq(r.status, want, "API ?%s" % q[:40])
        if want == 400:
            check(json.loads(r.text)["status"] == 400, "JSON error for %s"
                  % q)
    eq(c.get("/migrations?page=99999").status, 200, "a page past the end")
    j = json.loads(api("?page=99999", c=c).text)
    eq(j["page"]["number"], j["page"]["pages"], "is the last one")


@suite.test
def test_bad_import_form_fields_refused_before_anything_is_sent():
    fresh()
    seq = E.aws.last_seq()
    good = dict(import_fields("web07"))
    cases = [
        ("bucket", "Bad_Bucket"), ("bucket", "ab"), ("bucket", "b" * 64),
        ("bucket", ""), ("key", "../etc/passwd"), ("key", "/abs.vmdk"),
        ("key", "a/./b.vmdk"), ("key", "k" * 1025), ("key", "a\x01b"),
        ("key", ""), ("vm_id", "vm 42"), ("vm_id", "<b>x</b>"),
        ("vm_id", "v" * 81), ("vm_id", "-vm"), ("vm_name", ""),
        ("vm_name", "n" * 256), ("vm_name", "bell\x07"),
        ("format", "EXE"), ("format", "vmdk"), ("description", "d" * 256),
        ("description", "two\nlines"), ("region", "US-EAST-1"),
        ("region", "xx-nowhere-1"),
    ]
    ids = {"bucket": "bucket", "key": "key", "vm_id": "import-vm_id",
           "vm_name": "import-vm_name", "format": "format",
           "description": "description", "region": "import-region"}
    for name, value in cases:
        fields = dict(good, **{name: value})
        r = post_form("/migrations/import", list(fields.items()))
        eq(r.status, 400, "%s=%r" % (name, value[:30]))
        errs = field_errors(r)
        check(ids[name] in errs, "%s=%r: errors %r", name, value[:30], errs)
        if name not in ("vm_name", "key", "description") or "\x01" in value:
            continue
        if value and len(value) < 300 and "\x07" not in value and \
                "\n" not in value:
            check(html.escape(value) in r.text, "%s typed back", name)
    r = post_form("/migrations/import", list(good.items()) +
                  [("extra", "1")])
    eq(r.status, 400, "an unknown field")
    r = post_form("/migrations/import", list(good.items()) +
                  [("vm_name", "again")])
    eq(r.status, 400, "a field twice")
    eq(rows(), [], "nothing tracked")
    eq(requests_since(seq, "ImportImage"), [], "nothing sent to AWS")
    r = client().post("/migrations/import", b"csrf=x&" + b"a" * (3 << 20))
    eq(r.status, 413, "an oversized body")
    evil = "<script>alert(1)</script>&\"'"
    r, note = start_import(evil, moref="vm-666")
    eq(note, ("ok", STARTED), "a hostile name is only text")
    page = client().get("/migrations").text
    check(evil not in page and "&lt;script&gt;alert(1)&lt;/script&gt;&amp;"
          in page, "the name is escaped on the page")
    j = json.loads(api(c=client()).text)
    eq(j["migrations"][0]["vm"]["name"], evil, "the name in JSON")
    r = post_form("/migrations/track", [
        ("task_id", "import-ami-XYZ"), ("vm_id", "vm-1"), ("vm_name", "x")])
    eq(field_errors(r).keys() & {"task_id"}, {"task_id"}, "bad task id")
    for tid in ("import-ami-0123", "i-0123456789abcdef0", "'; DROP TABLE vms",
                "import-ami-" + "0" * 18, "import-i-ABCDEFGH"):
        r = post_form("/migrations/track", [("task_id", tid),
                                            ("vm_id", "vm-1"),
                                            ("vm_name", "x")])
        eq(r.status, 400, "task id %r" % tid)
        check("task_id" in field_errors(r), "task id %r: %r", tid,
              field_errors(r))


@suite.test
def test_bad_no_csrf_or_cross_origin_refused():
    c = client()
    r = c.post("/migrations/import", import_fields("x1"))
    eq(r.status, 403, "no form token")
    csrf = c.form_csrf("/migrations")
    r = c.post("/migrations/import", [("csrf", csrf)] + import_fields("x1"),
               origin="https://evil.example")
    eq(r.status, 403, "another origin")
    eq(inst().client().post("/migrations/import", [("csrf", csrf)] +
                            import_fields("x1")).status, 403,
       "no session")


# ---- the API ----

@suite.test
def test_api_with_token_and_without():
    fresh()
    start_import("api01")
    poll_ok()
    c = client()
    r = c.get("/settings")
    r = c.post("/settings/tokens", [("csrf", r.csrf),
                                    ("token_name", "poller test")])
    eq(r.status, 303, "token made")
    page = c.get("/settings").text
    token = re.search(r'id="new-token"[^>]*value="([A-Za-z0-9_-]{43})"',
                      page).group(1)
    r = api("?sort=name&per_page=10", token=token)
    eq(r.status, 200, "with the token")
    eq(r.header("Content-Type"), "application/json", "type")
    j = json.loads(r.text)
    eq([(m["vm"]["name"], m["state"], m["progress"]) for m in j["migrations"]],
       [("api01", "active", 2)], "rows")
    eq(j["page"], {"number": 1, "size": 10, "pages": 1, "total": 1,
                   "sort": "name", "order": "asc"}, "page")
    eq((j["freshness"]["registered"], j["freshness"]["stale"],
        j["freshness"]["level"]), (True, False, "ok"), "freshness")
    mine = json.loads(api("?sort=name&per_page=10", c=c).text)
    eq(mine["migrations"], j["migrations"], "the session sees the same")
    r = api()
    eq(r.status, 401, "without a token")
    check("Bearer" in (r.header("WWW-Authenticate") or ""), "challenge")
    eq(api(token="A" * 43).status, 401, "an unknown token")
    cl = inst().client()
    r = cl.post("/api/migrations", "x=1", headers={
        "Authorization": "Bearer " + token}, cookies=False)
    eq(r.status, 405, "a POST")
    r = cl.get("/migrations", headers={"Authorization": "Bearer " + token},
               cookies=False)
    eq((r.status, r.location), (302, inst().origin +
                                "/login?next=/migrations"),
       "the page itself wants a session")


# ---- the proxy ----

@suite.test
def test_proxy_used_when_set():
    fresh()
    start_import("px01")
    p = Proxy("proxy-user", "Proxy-Pass-1")
    try:
        w = Wizard(E, client())
        for step in (w.start, lambda: w.proxy("127.0.0.1", str(p.port),
                                              "proxy-user", "Proxy-Pass-1"),
                     w.aws, lambda: w.portal(b"", action="keep")):
            r = step()
            check(r.status in (302, 303), "wizard step: %r", r)
        eq(w.register().status, 303, "register again with the proxy")
        mark = p.mark()
        update_tasks(task_ids(), progress="12")
        poll_ok()
        target = E.aws.info["url"].split("/")[2]
        log = p.since(mark)
        check(any(x["status"] == 200 and x["target"] == target and
                  x["auth"] == "proxy-user" for x in log),
              "the poll did not go through the proxy: %r", log)
        eq(rows()[0][3], 12, "read through the proxy")
        p.stop()
        rc, out, _ = poll()
        eq(rc, 1, "the proxy gone: status")
        check("proxy" in out, "output %r", out)
    finally:
        p.stop()


def setup():
    global E
    E = Env()
    E.aws_secret = "aws-test-secret-key-0001+/x"
    E.start()
    r = Wizard(E).run_all()
    if r.status != 303:
        raise RuntimeError("registration failed: %r" % r)


def teardown():
    if E:
        E.stop()


if __name__ == "__main__":
    # Words on the command line pick the tests whose names hold one.
    if sys.argv[1:]:
        suite.tests = [t for t in suite.tests
                       if any(w in t.__name__ for w in sys.argv[1:])]
    suite.run(setup, teardown)
