"""The Health Status pane and what reads it: the dashboard's pane, each
item's error log (/health/log), Check now and its run page (/health/run),
/api/health and the health metrics of /metrics, and `connector-setup
health`.  The rows are written by build/cron/connector-health run directly
on the instance's root, or put into the tables by the test where a state
must be exact (a hostile summary, a strip, a recall); the instance's own
schedule is pushed out of the way so that no run overwrites them."""
import json
import os
import re
import sys
import time

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    # The parser is the distribution's package (python3-prometheus-client,
    # make deps): use the distribution's Python when another comes first.
    if sys.executable != "/usr/bin/python3" and \
            os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    print("FAIL metrics_parser_import: python3-prometheus-client is not "
          "installed (make deps)")
    sys.exit(1)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (TOP, Suite, check, claimed_instance, eq,  # noqa
                     run_job, wait_for)

HEALTH = os.path.join(TOP, "build", "cron", "connector-health")
ITEMS = ["uptodate", "aws", "vcenter", "registered_ip", "time",
         "userprovider", "poller", "proxy", "login", "authproxy",
         "certificate", "disk"]
EVIL = '<script>alert("x")</script>\'&"'
NEW_TOKEN_RE = re.compile(r'id="new-token"[^>]*value="([A-Za-z0-9_-]{43})"')

suite = Suite()
inst = None


def health_run(*args):
    """Run the health job on inst's root; (status, stdout)."""
    rc, out, _ = run_job(HEALTH, inst.root, *args)
    return rc, out


def clear():
    inst.sql("DELETE FROM health", write=True)
    inst.sql("DELETE FROM health_log", write=True)
    inst.sql("DELETE FROM jobs WHERE job = 'health'", write=True)


def put(item, state, summary="fine", details=None, checked_ago=60,
        since_ago=3600, duration_ms=120, strip=None):
    now = int(time.time())
    inst.sql("INSERT OR REPLACE INTO health (item, state, summary, details, "
             "checked_at, since, duration_ms, strip) VALUES (?, ?, ?, ?, ?, "
             "?, ?, ?)", (item, state, summary,
                          None if details is None else json.dumps(details),
                          now - checked_ago, now - since_ago, duration_ms,
                          strip if strip is not None else "-" * 95 +
                          state[0]), write=True)


def log(item, state, summary, details=None, ago=60, duration_ms=80):
    inst.sql("INSERT INTO health_log (item, at, state, summary, details, "
             "duration_ms) VALUES (?, ?, ?, ?, ?, ?)",
             (item, int(time.time()) - ago, state, summary,
              None if details is None else json.dumps(details),
              duration_ms), write=True)


def all_ok():
    for it in ITEMS:
        put(it, "ok", "%s is fine" % it)


def create_token(c, name):
    csrf = c.form_csrf("/settings")
    r = c.post("/settings/tokens", [("csrf", csrf), ("token_name", name)])
    eq(r.status, 303, "create a token")
    m = NEW_TOKEN_RE.search(c.get("/settings").text)
    check(m, "the new token is not shown")
    return m.group(1)


def pane(text):
    """The Health Status section of the dashboard."""
    m = re.search(r'<section class="panel health".*?</section>', text, re.S)
    check(m, "no Health Status pane")
    return m.group(0)


# ---- the pane ----

@suite.test
def test_pane_first_and_grey_before_the_first_run():
    clear()
    c = inst.signed_in_client()
    r = c.get("/")
    eq(r.status, 200, "status")
    main = r.text[r.text.index("<main"):]
    check(main.index("Health Status") < main.index("<h2>Connector</h2>"),
          "the pane is not at the top")
    p = pane(r.text)
    check('class="state unknown overall"' in p and "Not checked yet" in p,
          "not grey before the first run")
    # An item never checked says so; "Not applicable" is for an item that
    # does not apply.
    words = re.findall(r'<span class="word">([^<]*)</span>', p)
    eq(words, ["Not checked"] * len(ITEMS), "the items' words")
    eq(len(re.findall(r'class="health-item unknown"', p)), len(ITEMS),
       "grey items")
    check('action="/health/check"' in p and 'name="csrf"' in p,
          "no Check now form with the form token")
    eq(len(re.findall(r'class="health-item ', p)), len(ITEMS), "items")
    check("Connector Dashboard Login</h2>" not in r.text and
          "<dt>Connector Registered IP Is Current</dt>" not in r.text,
          "the old panels are still there")


@suite.test
def test_pane_after_a_run_in_order_worst_first():
    clear()
    rc, out = health_run("--verbose")
    eq(rc, 0, "the run's status (%s)" % out)
    c = inst.signed_in_client()
    p = pane(c.get("/").text)
    ids = re.findall(r'<li class="health-item [a-z]+" id="health-([a-z_]+)"',
                     p)
    rows = dict(inst.sql("SELECT item, state FROM health"))
    shown = [i for i in ITEMS if rows.get(i, "na") != "absent"]
    eq(ids, shown, "items in the pane's order, absent ones left out")
    check("Last checked" in p and "checked just now" in p,
          "no 'checked ... ago'")
    for i in shown:
        check('href="/health/log?item=%s">View Error Log' % i in p,
              "no View Error Log for %s", i)


@suite.test
def test_pane_states_icons_overall_and_unregistered_grey():
    clear()
    all_ok()
    put("aws", "error", "AWS refused the credentials: the key was revoked.")
    put("proxy", "absent", "No proxy.")
    put("vcenter", "na", "Not registered yet: register the connector to "
        "check vCenter.")
    c = inst.signed_in_client()
    p = pane(c.get("/").text)
    check(re.search(r'class="state error overall"><img src="/static/'
                    r'state-error.svg"[^>]*>Error', p),
          "the overall state is not the worst item's")
    aws = re.search(r'<li [^>]*id="health-aws".*?</li>', p, re.S).group(0)
    check('health-item error' in aws and 'state-error.svg' in aws and
          ">Error<" in aws and "key was revoked" in aws,
          "the error item: %s" % aws[:400])
    vc = re.search(r'<li [^>]*id="health-vcenter".*?</li>', p,
                   re.S).group(0)
    check('health-item unknown' in vc and ">Not applicable<" in vc and
          "Not registered yet" in vc, "the grey item: %s" % vc[:400])
    check('id="health-proxy"' not in p, "an absent item is shown")
    put("aws", "ok", "fine")
    p = pane(c.get("/").text)
    check('class="state ok overall"' in p, "all OK is not OK overall")


@suite.test
def test_strip_merges_runs_with_titles():
    clear()
    all_ok()
    strip = "-" * 40 + "o" * 20 + "e" * 4 + "w" * 2 + "o" * 30
    put("aws", "ok", strip=strip, checked_ago=0)
    p = pane(inst.signed_in_client().get("/").text)
    aws = re.search(r'id="health-aws".*?</li>', p, re.S).group(0)
    rects = re.findall(r'<rect class="s-([a-z]+)" x="(\d+)" y="0" '
                       r'width="(\d+)" height="6"><title>([^<]*)</title>',
                       aws)
    # The quarter-hours not seen are the strip's background.
    eq([(r[0], int(r[1]), int(r[2])) for r in rects],
       [("ok", 40, 20), ("error", 60, 4), ("warning", 64, 2),
        ("ok", 66, 30)], "runs")
    err = rects[1]
    check(re.fullmatch(r"Error \d\d:\d\d\u2013\d\d:\d\d UTC", err[3]),
          "the error run's title %r", err[3])
    h1, m1, h2, m2 = map(int, re.findall(r"\d\d", err[3]))
    eq(((h2 * 60 + m2) - (h1 * 60 + m1)) % (24 * 60), 60,
       "the error run spans four quarter-hours")
    check('role="img"' in aws, "the strip has no role")


@suite.test
def test_bad_hostile_summary_and_details_escaped_everywhere():
    clear()
    all_ok()
    details = {"endpoint": EVIL, "stage": "tls", "error": EVIL,
               EVIL: EVIL, "values": {EVIL: 1.5}}
    put("aws", "error", EVIL, details)
    log("aws", "error", EVIL, details)
    c = inst.signed_in_client()
    for path in ("/", "/health/log?item=aws"):
        r = c.get(path)
        eq(r.status, 200, path)
        check("<script>" not in r.text, "raw <script> on %s", path)
        check("&lt;script&gt;alert(&quot;x&quot;)" in r.text,
              "the escaped text is not on %s", path)
    r = c.get("/api/health")
    d = json.loads(r.text)
    aws = [i for i in d["items"] if i["id"] == "aws"][0]
    eq((aws["summary"], aws["details"]), (EVIL, details), "JSON round trip")


# ---- the error log ----

@suite.test
def test_log_page_history_newest_first_with_facts_in_words():
    clear()
    all_ok()
    put("vcenter", "error", "vCenter shows another certificate.",
        {"endpoint": "https://vc.example:443/sdk", "stage": "tls",
         "error": "certificate mismatch",
         "timings": {"dns": 0.001, "connect": 0.002, "tls": 0.01},
         "pinned_thumbprint": "AA:BB", "seen_thumbprint": "CC:DD"})
    log("vcenter", "ok", "Signed in to vCenter.", ago=600)
    log("vcenter", "warning", "vCenter answered slowly.", ago=300)
    log("vcenter", "error", "vCenter shows another certificate.",
        {"endpoint": "https://vc.example:443/sdk", "stage": "tls",
         "error": "certificate mismatch", "timings": {"tls": 0.01},
         "pinned_thumbprint": "AA:BB", "seen_thumbprint": "CC:DD"}, ago=60)
    log("aws", "error", "another item's entry", ago=30)
    r = inst.signed_in_client().get("/health/log?item=vcenter")
    eq(r.status, 200, "status")
    hist = r.text[r.text.index('id="history"'):]
    order = [hist.index(s) for s in ("another certificate",
                                      "answered slowly", "Signed in")]
    eq(order, sorted(order), "newest first")
    check("another item" not in r.text, "another item's history shown")
    for fact in ("during the TLS handshake", "https://vc.example:443/sdk",
                 "certificate mismatch", "TLS handshake 0.010 s",
                 "Pinned thumbprint", "AA:BB", "CC:DD"):
        check(fact in hist, "%r not in the history", fact)
    check("connect 0.002 s" in r.text, "the current timings")


@suite.test
def test_log_page_facts_labelled_in_words_never_raw_json():
    """The facts the time and disk checks store (lib/check_peers.c,
    check_local.c) read as words with their units: no raw JSON, no label
    made from a key."""
    clear()
    all_ok()
    put("time", "warning", "The clock is 20 s off AWS.",
        {"values": {"offset_aws_seconds": -20.2},
         "round_trip_aws_seconds": 0.004,
         "aws_date": "Wed, 02 Dec 2026 15:07:00 GMT",
         "stage_vcenter": "connect",
         "thresholds": {"warning_seconds": 15, "error_seconds": 300}})
    put("disk", "ok", "Plenty of space.",
        {"state": {"path": "/var/lib/connector", "free": 41200000000,
                   "total": 50000000000, "percent": 82, "state": "ok"},
         "error_below_bytes": 268435456,
         "values": {"disk_free_percent_state": 82}})
    # The keys the AWS check and a job's check write: every one in words,
    # the settings' digest never shown, a job's counts in its own words
    # (the poller's "failed" is not failed sign-ins).
    put("aws", "error", "AWS did not answer in time.",
        {"call": "GetCallerIdentity", "limit_seconds": 10,
         "asked_at": 1796224020, "next_ask_at": 1796224920,
         "settings_digest": "5f2a9c0e11d4b7a3"})
    put("poller", "ok", "The poller ran on time.",
        {"counts": {"checked": 5, "failed": 1}})
    c = inst.signed_in_client()
    facts = {}
    for item in ("time", "disk", "aws", "poller"):
        r = c.get("/health/log?item=" + item)
        eq(r.status, 200, item + " log status")
        now = r.text[r.text.index('id="now"'):r.text.index('id="history"')]
        facts.update(re.findall(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>", now))
        check("{" not in now and "_" not in "".join(
            k for k, _ in re.findall(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>",
                                     now)), "%s: raw facts %r", item, now)
    eq(facts.get("Thresholds"), "Warning above 15 s, error above 300 s",
       "thresholds")
    eq(facts.get("Time at AWS (its Date header)"),
       "Wed, 02 Dec 2026 15:07:00 GMT", "the AWS date")
    eq(facts.get("Clock offset to AWS"), "-20.2 s", "the offset")
    eq(facts.get("Round trip to AWS"), "0.004 s", "the round trip")
    eq(facts.get("vCenter failed"), "while connecting", "a peer's stage")
    eq(facts.get("State directory"), "Path /var/lib/connector, free 38.4 GiB, "
       "size 46.6 GiB, free 82%, state OK", "a directory")
    # The threshold in the disk check's and INSTALL's binary units.
    eq(facts.get("Error below"), "256 MiB", "the disk threshold")
    eq(facts.get("Free for the state"), "82%", "a percentage")
    eq(facts.get("Call"), "GetCallerIdentity", "the call")
    eq(facts.get("Time limit"), "10 s", "the time limit")
    eq(facts.get("AWS last asked"), "2026-12-02 15:07:00 UTC", "asked at")
    eq(facts.get("AWS asked next"), "2026-12-02 15:22:00 UTC", "next ask")
    check(not any("digest" in k.lower() or "5f2a9c0e" in v
                  for k, v in facts.items()), "the digest shown: %r", facts)
    eq(facts.get("Counted by the last run"), "checked 5, failed 1",
       "a job's counts")


@suite.test
def test_log_page_login_sources_table():
    clear()
    all_ok()
    d = {"failed": 22, "locked": True, "since": int(time.time()) - 600,
         "sources": [{"address": "10.1.2.3", "failed": 20,
                      "last": int(time.time()) - 60},
                     {"address": EVIL, "failed": 2, "last": 0}]}
    put("login", "error", "The console is locked after 22 failed "
        "sign-ins.", d)
    log("login", "error", "locked", d)
    r = inst.signed_in_client().get("/health/log?item=login")
    t = re.search(r'<table class="list sources">.*?</table>', r.text, re.S)
    check(t, "no sources table")
    rows = re.findall(r"<tr><td>([^<]*)</td><td class=\"num\">(\d+)</td>",
                      t.group(0))
    eq(rows[0], ("10.1.2.3", "20"), "first source")
    check("&lt;script&gt;" in t.group(0) and "<script>" not in r.text,
          "the hostile address")
    check("<dt>Locked</dt><dd>yes</dd>" in r.text, "locked fact")
    check(re.search(r"<dt>Since</dt><dd>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC",
                    r.text), "since as a time")


@suite.test
def test_log_page_whats_new_and_what_will_be_fixed():
    clear()
    all_ok()
    put("uptodate", "warning", "Version 2.0.0 is available.",
        {"notes": [{"version": "2.0.0", "released": "2026-11-01",
                    "notes": "Faster polling.\n" + EVIL}]})
    c = inst.signed_in_client()
    p = pane(c.get("/").text)
    check('href="/health/log?item=uptodate#whats-new">What\'s new?' in p,
          "no What's new? link")
    r = c.get("/health/log?item=uptodate")
    check('id="whats-new"' in r.text and "Faster polling." in r.text and
          "Version 2.0.0" in r.text, "no What's new? section")
    check("<script>" not in r.text, "notes not escaped")
    put("uptodate", "error", "This version is recalled.",
        {"recall": {"reason": "Data loss on upgrade", "fixed_in": "1.2.1",
                    "downgrade_to": "1.1.9", "notes": "Go back now."}})
    p = pane(c.get("/").text)
    check("#what-will-be-fixed\">What will be fixed?" in p,
          "no What will be fixed? link")
    r = c.get("/health/log?item=uptodate")
    sec = re.search(r'id="what-will-be-fixed".*?</section>', r.text, re.S)
    check(sec and "Data loss on upgrade" in sec.group(0) and
          "Version 1.2.1" in sec.group(0) and "Version 1.1.9" in
          sec.group(0), "the recall section")


@suite.test
def test_bad_log_unknown_missing_or_malformed_item():
    c = inst.signed_in_client()
    r = c.get("/health/log?item=nosuch")
    eq(r.status, 404, "unknown item")
    check("no such Health Status item" in r.text, "404 in words")
    eq(c.get("/health/log").status, 404, "no item")
    for bad in ("%3Cscript%3E", "a" * 40, "aws%00", "aws&item=disk",
                "aws&x=1"):
        r = c.get("/health/log?item=" + bad)
        eq(r.status, 400, "item=%s" % bad)
        check("<script>" not in r.text, "echoed")
    eq(inst.client().get("/health/log?item=aws").status, 302,
       "without a session")


# ---- Check now ----

@suite.test
def test_bad_check_now_without_form_token_starts_nothing():
    clear()
    c = inst.signed_in_client()
    r = c.post("/health/check", [])
    eq(r.status, 403, "without the form token")
    r = c.post("/health/check", [("csrf", "A" * 43)])
    eq(r.status, 403, "with a wrong form token")
    r = inst.client().post("/health/check", [("csrf", "A" * 43)])
    check(r.status in (302, 403), "signed out: %d" % r.status)
    time.sleep(1)
    eq(inst.sql1("SELECT count(*) FROM jobs WHERE job = 'health'")[0], 0,
       "runs started")
    eq(c.get("/health/check").status, 405, "GET")


@suite.test
def test_check_now_runs_then_dashboard_notice_reload_safe():
    clear()
    c = inst.signed_in_client()
    page = c.get("/")
    r = c.post("/health/check", [("csrf", page.csrf)])
    eq(r.status, 303, "Check now")
    m = re.fullmatch(re.escape(inst.origin) + r"(/health/run\?at=\d+)",
                     r.location)
    check(m, "Location %r" % r.location)
    run = m.group(1)
    done = []

    def finished():
        x = c.get(run)
        if x.status == 200:
            check('<meta http-equiv="refresh" content="2">' in x.text and
                  "Checking the connector" in x.text, "the waiting page")
            return False
        done.append(x)
        return True
    check(wait_for(finished, 60, 0.2), "the run did not finish")
    check(done[0].status in (302, 303) and
          done[0].location == inst.origin + "/", "done: %r" % done[0])
    rows = inst.sql("SELECT state FROM health")
    counts = {s: sum(1 for r in rows if r[0] == s) for s in
              ("ok", "warning", "error", "na")}
    home = c.get("/")
    m = re.search(r"Health checked: (\d+) OK, (\d+) warnings?, (\d+) "
                  r"errors?(?:, (\d+) not applicable yet)?\.", home.text)
    check(m, "no notice: %s" % home.text[:2000])
    eq([int(x or 0) for x in m.groups()],
       [counts["ok"], counts["warning"], counts["error"], counts["na"]],
       "the notice's counts")
    check("Health checked" not in c.get("/").text, "the notice is shown "
          "twice")
    again = c.get(run)
    check(again.status in (302, 303) and again.location == inst.origin +
          "/", "reload: %r" % again)
    eq(inst.sql1("SELECT count(*) FROM jobs WHERE job = 'health'")[0], 1,
       "a reload starts no run")


@suite.test
def test_run_page_waits_for_a_run_that_is_going():
    clear()
    now = int(time.time())
    inst.sql("INSERT INTO jobs (job, started_at, outcome) VALUES "
             "('health', ?, 'running')", (now - 3,), write=True)
    rid = inst.sql1("SELECT max(id) FROM jobs")[0]
    c = inst.signed_in_client()
    run = "/health/run?%sat=%d" % ("after=%d&" % (rid - 1) if rid > 1 else
                                   "", now)
    r = c.get(run)
    eq(r.status, 200, "waiting")
    check(re.search(r"started \d+ s ago", r.text) and
          '<meta http-equiv="refresh" content="2">' in r.text,
          "the waiting page")
    inst.sql("UPDATE jobs SET outcome = 'failed', ended_at = ?, error = ? "
             "WHERE id = ?", (now, "the work stopped: " + EVIL, rid),
             write=True)
    r = c.get(run)
    check(r.status in (302, 303) and r.location == inst.origin + "/",
          "done: %r" % r)
    home = c.get("/").text
    check("The health check did not finish: the work stopped" in home,
          "the failure notice")
    check("<script>" not in home, "the error not escaped")


@suite.test
def test_run_that_never_starts_says_so():
    clear()
    c = inst.signed_in_client()
    r = c.get("/health/run?at=%d" % (int(time.time()) - 120))
    eq(r.status, 200, "status")
    check("did not start" in r.text and "Check now" in r.text and
          "restart" in r.text, "what to do")
    check('http-equiv="refresh"' not in r.text, "it still refreshes")


@suite.test
def test_bad_run_query_refused():
    clear()
    c = inst.signed_in_client()
    for q in ("after=abc", "after=0", "after=-1", "after=1.5",
              "after=" + "9" * 19, "at=x", "after=1&after=2", "other=1",
              "after=%3Cscript%3E"):
        r = c.get("/health/run?" + q)
        eq(r.status, 400, q)
        check("<script>" not in r.text, "echoed")
    r = c.get("/health/run?after=999999999")
    eq(r.status, 404, "a run that does not exist")
    check("no such health check" in r.text, "404 in words")


# ---- /api/health and /metrics ----

@suite.test
def test_api_health_matches_the_rows():
    clear()
    rc, _ = health_run()
    put("time", "warning", "The clock is 20 s ahead of vCenter.",
        {"values": {"offset_vcenter_seconds": 20.5,
                    "offset_aws_seconds": -1}})
    r = inst.signed_in_client().get("/api/health")
    eq(r.status, 200, "status")
    check(r.header("Content-Type").startswith("application/json"), "type")
    d = json.loads(r.text)
    eq(sorted(d), ["checked_at", "items", "overall"], "keys")
    eq([i["id"] for i in d["items"]], ITEMS, "items in order")
    rows = {row[0]: row for row in inst.sql(
        "SELECT item, state, summary, details, checked_at, since, "
        "duration_ms FROM health")}
    rfc = "%Y-%m-%dT%H:%M:%SZ"
    for i in d["items"]:
        row = rows[i["id"]]
        eq(sorted(i), ["checked_at", "details", "duration_ms", "id", "name",
                       "since", "state", "summary"], "item keys")
        eq((i["state"], i["summary"], i["duration_ms"]),
           (row[1], row[2], row[6]), i["id"])
        eq(i["details"], json.loads(row[3]) if row[3] else {},
           i["id"] + " details")
        eq(i["checked_at"], time.strftime(rfc, time.gmtime(row[4])),
           i["id"] + " checked_at")
        eq(i["since"], time.strftime(rfc, time.gmtime(row[5])),
           i["id"] + " since")
    states = [i["state"] for i in d["items"]]
    worst = max((s for s in states if s in ("ok", "warning", "error")),
                key=["ok", "warning", "error"].index, default="na")
    eq(d["overall"], worst, "overall")


def strict_exposition(text):
    """The exposition format's rules the Python parser lets pass: every
    family has one HELP and one TYPE line before its samples, its samples
    together; label values escaped; numbers parse; ends with a newline."""
    check(text.endswith("\n"), "no final newline")
    seen, current = set(), None
    help_of, type_of = {}, {}
    sample = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
    label = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"'
                       r'(,|$)')
    for line in text.split("\n")[:-1]:
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            kind, name = line[2:6], line.split(" ")[2]
            table = help_of if kind == "HELP" else type_of
            check(name not in table, "a second %s for %s", kind, name)
            check(name not in seen, "%s after samples of %s", kind, name)
            table[name] = line
            current = name
            continue
        check(not line.startswith("#"), "a stray comment %r", line)
        m = sample.match(line)
        check(m, "a malformed sample %r", line)
        name = m.group(1)
        check(name == current, "sample %s outside its family", name)
        check(name in help_of and name in type_of, "no HELP/TYPE for %s",
              name)
        check(type_of[name].endswith(" gauge"), "type of %s", name)
        seen.add(name)
        float(m.group(4))
        if m.group(3):
            rest = m.group(3)
            while rest:
                lm = label.match(rest)
                check(lm, "malformed labels %r", m.group(3))
                rest = rest[lm.end():]


@suite.test
def test_metrics_strict_states_durations_offsets_values():
    clear()
    all_ok()
    put("aws", "error", "down")
    put("poller", "warning", "stale")
    put("vcenter", "na", "Not registered yet")
    put("proxy", "absent", "no proxy")
    put("time", "ok", "in sync", {"values": {"offset_vcenter_seconds": 1.25,
                                             "offset_aws_seconds": -0.5}},
        duration_ms=1500)
    hostile = 'a"b\\c\nd'
    put("disk", "ok", "space", {"values": {"free_bytes": 123456789,
                                           hostile: 7}})
    put("certificate", "ok", "valid", {"values": {"offset_vcenter_seconds":
                                                  9, "days_left": 300}})
    m = inst.signed_in_client().get("/metrics")
    eq(m.status, 200, "status")
    strict_exposition(m.text)
    fams = {f.name: f for f in text_string_to_metric_families(m.text)}
    states = {s.labels["item"]: s.value for s in
              fams["connector_health_state"].samples}
    eq(states.get("aws"), 2.0, "error")
    eq(states.get("poller"), 1.0, "warning")
    eq(states.get("disk"), 0.0, "ok")
    eq(states.get("vcenter"), -1.0, "not applicable")
    check("proxy" not in states, "an absent item is exported")
    durs = {s.labels["item"]: s.value for s in
            fams["connector_health_check_duration_seconds"].samples}
    eq(durs["time"], 1.5, "duration")
    offs = {s.labels["peer"]: s.value for s in
            fams["connector_time_offset_seconds"].samples}
    eq(offs, {"vcenter": 1.25, "aws": -0.5}, "offsets")
    vals = {(s.labels["item"], s.labels["name"]): s.value for s in
            fams["connector_health_value"].samples}
    eq(vals, {("disk", "free_bytes"): 123456789.0, ("disk", hostile): 7.0,
              ("certificate", "offset_vcenter_seconds"): 9.0,
              ("certificate", "days_left"): 300.0},
       "values, the hostile name round-trips; only the time item's "
       "offsets are clock offsets")
    check('name="a\\"b\\\\c\\nd"' in m.text, "the label's escaping")


@suite.test
def test_token_reads_api_health_and_metrics_never_posts():
    clear()
    all_ok()
    token = create_token(inst.signed_in_client(), "health-monitor")
    anon = inst.client()
    eq(anon.get("/api/health").status, 401, "without a token")
    eq(anon.get("/api/health", headers={"Authorization": "Bearer " +
                                        "A" * 43}).status, 401, "wrong")
    auth = {"Authorization": "Bearer " + token}
    r = anon.get("/api/health", headers=auth)
    eq(r.status, 200, "with the token")
    eq(len(json.loads(r.text)["items"]), len(ITEMS), "items")
    m = anon.get("/metrics", headers=auth)
    check("connector_health_state{item=\"aws\"} 0" in m.text, "metrics")
    eq(anon.post("/api/health", "", headers=auth).status, 405, "POST")
    r = anon.post("/health/check", [("csrf", "A" * 43)], headers=auth)
    check(r.status in (302, 403), "Check now with a token: %d" % r.status)
    eq(anon.get("/health/log?item=aws", headers=auth).status, 302,
       "a page with a token")


# ---- connector-setup health ----

@suite.test
def test_setup_tool_health_table_and_status():
    clear()
    p = inst.setup_tool("health")
    eq(p.returncode, 0, "never checked")
    check(b"not checked yet" in p.stdout, "before the first run")
    rows = [x for x in p.stdout.decode().splitlines()
            if "Connectivity" in x]
    check(rows and all(x.startswith("Not checked ") for x in rows),
          "an item never checked says so, not 'Not applicable': %r" % rows)
    all_ok()
    put("proxy", "absent", "no proxy")
    put("vcenter", "na", "Not registered yet")
    p = inst.setup_tool("health")
    out = p.stdout.decode()
    eq(p.returncode, 0, "all OK: %s" % out)
    check(out.startswith("Health Status: OK (last checked 1 minute ago)"),
          out[:200])
    lines = out.splitlines()
    head = [i for i, x in enumerate(lines) if x.startswith("STATE ")]
    eq(len(head), 1, "one header")
    body = lines[head[0] + 1:]
    eq(len(body), len(ITEMS) - 1, "one line per item shown")
    check(re.match(r"OK +Connector Up-to-Date +1 minute ago +uptodate is "
                   r"fine$", body[0]), body[0])
    check(not any("Network Proxy" in x for x in body), "absent shown")
    check(any(x.startswith("Not applicable  vCenter Connectivity")
              for x in body), "the grey item")
    put("poller", "warning", "The poller hasn't refreshed\x1b[2J\u009b1m")
    p = inst.setup_tool("health")
    eq(p.returncode, 1, "a warning")
    check(b"\x1b" not in p.stdout and "\u009b".encode() not in p.stdout,
          "a terminal escape reaches the terminal")
    put("poller", "error", "down")
    eq(inst.setup_tool("health").returncode, 1, "an error")


if __name__ == "__main__":
    suite.main(lambda: claimed_instance(
        env={"CONNECTOR_JOB_INTERVAL": "1000000"}), globals())
