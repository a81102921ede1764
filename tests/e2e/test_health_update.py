"""Connector Up-to-Date against the AWS double's signed update manifest:
a console in test mode (it accepts the test key) with update.url set to
the double's /vendor/updates/manifest, and build/cron/connector-health
--only uptodate run as cron would.

Before registration the manifest is fetched anonymously.  The item goes
current -> upgrade available (the notes in its details) -> this version
recalled (the recall in its details) -> bad signature -> unknown key ->
expired -> replayed serial -> fixed again (green); the refused manifests
change nothing (the last serial stays).  Also: below the minimum version,
an unreadable answer, an HTTP error, nothing listening, a hung endpoint
within the check's time limit, and, registered, the proxy used and then
gone."""
import json
import os
import ssl
import sys
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from harness import TOP, Suite, check, eq, free_port  # noqa: E402
from regflow import (Env, Wizard, get_setting as get_setting_of,  # noqa
                     health_rows, run_health, set_setting)
from regcheck import Proxy  # noqa: E402

with open(os.path.join(TOP, "VERSION")) as f:
    VERSION = f.read().strip()
UNTRUSTED = "The update information could not be trusted: "

suite = Suite()
E = None


def inst():
    return E.inst


def aws(body=None):
    return E.aws.control(body)


def setting(name, value):
    set_setting(inst(), name, value)


def get_setting(name):
    return get_setting_of(inst(), name)


def package(version, notes="", released="2030-01-01T00:00:00Z"):
    return {"name": "connector-%s.tar" % version, "version": version,
            "notes": notes, "released": released}


def publish(packages, manifest=None):
    """The double's packages and manifest fields (None: the plain one)."""
    aws({"packages": packages, "manifest": manifest, "faults": {
        "vendor": None}})


def run():
    """connector-health --only uptodate; the item's (state, summary,
    details) as stored."""
    p = run_health(inst(), "uptodate", E.aws.env())
    eq(p.returncode, 0, "connector-health status (%s %s)" % (
        p.stdout, p.stderr[-300:]))
    row = health_rows(inst()).get("uptodate")
    check(row is not None, "no uptodate row after the run: %s", p.stdout)
    check(("uptodate %s " % row[0]) in p.stdout, "verbose line %r",
          p.stdout)
    return row


def manifest_requests(since):
    """The double's recorded GETs of the manifest after seq since."""
    ctx = ssl.create_default_context(cafile=E.aws.info["ca"])
    url = "%s/requests?since=%d" % (E.aws.info["control"], since)
    with urllib.request.urlopen(url, context=ctx, timeout=30) as f:
        reqs = json.loads(f.read())["requests"]
    return [r for r in reqs if r["path"] == "/vendor/updates/manifest"]


def seq():
    return aws()["counts"]["requests"]


def current():
    """Publish this version as the latest; the check says ok."""
    publish([package("0.0.9", "Older."), package(VERSION, "This one.")])
    state, summary, d = run()
    eq(state, "ok", "state (%s)" % summary)
    eq(summary, "Up to date: version %s is the latest." % VERSION, "summary")
    return d


# ---- before registration ----

@suite.test
def test_unregistered_fetches_anonymously_and_is_current():
    mark = seq()
    d = current()
    eq(d["values"], {"update_available": 0, "recalled": 0}, "values")
    eq(d["endpoint"], E.aws.info["url"] + "/vendor/updates/manifest",
       "endpoint")
    eq(d["key_id"], "test-1", "key id")
    check("test key" in d["signature"], "signature %r", d["signature"])
    check(set(d["timings"]) == {"dns", "connect", "tls", "first_byte",
                                "total"}, "timings %r", d["timings"])
    reqs = manifest_requests(mark)
    eq(len(reqs), 1, "manifest requests")
    check("access_key" not in reqs[0], "the request was signed: %r", reqs)
    eq(reqs[0]["status"], 200, "status")
    eq(reqs[0]["user_agent"], "connector/" + VERSION, "user agent")
    served = aws()["manifest"]["serial"]
    eq(get_setting("update.serial"), str(served), "serial kept")


@suite.test
def test_the_whole_way_current_upgrade_recall_refusals_fixed():
    # Current.
    current()
    # An upgrade: every newer version's notes, newest first.
    publish([package(VERSION), package("0.2.0", "Faster checks.\nFixes."),
             package("0.3.0", "The strip shows 24 hours.")])
    state, summary, d = run()
    eq(state, "warning", "upgrade: state (%s)" % summary)
    eq(summary, "Version 0.3.0 is available (you have %s). What's new? "
       "shows its release notes." % VERSION, "upgrade: summary")
    eq(d["values"], {"update_available": 1, "recalled": 0}, "values")
    eq(d["notes"], [
        {"version": "0.3.0", "released": "2030-01-01T00:00:00Z",
         "notes": "The strip shows 24 hours."},
        {"version": "0.2.0", "released": "2030-01-01T00:00:00Z",
         "notes": "Faster checks.\nFixes."}], "notes")
    eq(d["latest"], "0.3.0", "latest")
    check("recall" not in d, "recall in %r", d)

    # This version recalled: a downgrade, and what will be fixed.
    publish([package("0.0.9", "Older."), package(VERSION),
             package("0.3.0", "Keeps the proxy password.")],
            {"recalled": [{"version": VERSION,
                           "reason": "It loses the proxy password",
                           "fixed_in": "0.3.0", "downgrade_to": "0.0.9"}]})
    state, summary, d = run()
    eq(state, "error", "recall: state (%s)" % summary)
    eq(summary, "This version (%s) has been recalled: It loses the proxy "
       "password. A downgrade to 0.0.9 is available; What will be fixed? "
       "explains." % VERSION, "recall: summary")
    eq(d["recall"], {"reason": "It loses the proxy password",
                     "fixed_in": "0.3.0", "downgrade_to": "0.0.9",
                     "notes": "Keeps the proxy password."}, "recall")
    eq(d["values"], {"update_available": 1, "recalled": 1}, "values")
    kept = get_setting("update.serial")

    # Refusals: each an error at stage response; nothing changes.
    refusals = [
        ({"bad_signature": True}, "bad signature",
         UNTRUSTED + "its signature does not match the test key."),
        ({"key": "other"}, "unknown key",
         UNTRUSTED + "it is signed with a key this connector does not know "
         "(other-1)."),
        ({"expires": "2020-01-01T00:00:00Z"}, "expired",
         UNTRUSTED + "it expired at 2020-01-01T00:00:00Z"),
        ({"serial": 5}, "replayed serial",
         UNTRUSTED + "it is older (serial 5) than the information the "
         "connector already accepted"),
    ]
    for manifest, what, start in refusals:
        publish([package(VERSION)], manifest)
        state, summary, d = run()
        eq(state, "error", "%s: state (%s)" % (what, summary))
        check(summary.startswith(start), "%s: summary %r", what, summary)
        check("Nothing was changed;" in summary, "%s: %r", what, summary)
        eq(d["stage"], "response", "%s: stage" % what)
        check("values" not in d, "%s: values %r", what, d)
        eq(get_setting("update.serial"), kept, "%s: serial" % what)
        if what == "unknown key":
            eq(d["key_id"], "other-1", "unknown key: key id")
            check("signature" not in d, "unknown key: %r", d)
        elif what == "bad signature":
            eq(d["signature"], "does not match the test key", "signature")
            eq(d["refusal"], "signature", "refusal")

    # Fixed: a new publication is trusted again.
    d = current()
    check(int(get_setting("update.serial")) > int(kept),
          "serial did not grow: %s", get_setting("update.serial"))


@suite.test
def test_long_notes_shortened_to_fit_the_details():
    # Three newer versions with 8 KiB of notes each (the cap), in UTF-8.
    long = "\u00e9" * 2000 + "x" * (8192 - 4000)
    publish([package(VERSION)] + [package("0.%d.0" % i, long)
                                  for i in (2, 3, 4)])
    state, summary, d = run()
    eq(state, "warning", "state (%s)" % summary)
    row = inst().sql1("SELECT details FROM health WHERE item = 'uptodate'")
    check(len(row[0].encode()) < 4096, "details of %d bytes", len(row[0]))
    eq(d.get("notes_shortened"), True, "notes_shortened")
    check(d["notes"] and d["notes"][0]["version"] == "0.4.0",
          "newest first: %r", [n["version"] for n in d["notes"]])
    for n in d["notes"]:
        check(n["notes"].endswith("\u2026") and
              long.startswith(n["notes"][:-1]), "cut notes %r", n["notes"][:40])
    current()


@suite.test
def test_below_minimum_version_is_an_error():
    publish([package(VERSION), package("0.2.0", "Required.")],
            {"minimum_version": "0.2.0"})
    state, summary, d = run()
    eq(state, "error", "state (%s)" % summary)
    eq(summary, "This version (%s) is no longer supported: the minimum is "
       "0.2.0. Upgrade to 0.2.0; What's new? shows its release notes."
       % VERSION, "summary")
    eq(d["notes"][0]["notes"], "Required.", "notes")
    current()


@suite.test
def test_bad_unreadable_answer_is_untrusted():
    publish([package(VERSION)], {"raw": "{\"format\":1}"})
    state, summary, d = run()
    eq(state, "error", "state (%s)" % summary)
    check(summary.startswith(UNTRUSTED), "summary %r", summary)
    eq(d["refusal"], "envelope", "refusal")
    publish([package(VERSION)], {"raw": "x" * (300 * 1024)})
    state, summary, d = run()
    eq(state, "error", "too big: state (%s)" % summary)
    eq(d["stage"], "response", "too big: stage")
    current()


@suite.test
def test_unreachable_is_a_warning_with_stage():
    # An HTTP error from the update server.
    aws({"faults": {"vendor": {"error": {"code": "ServiceUnavailable",
                                         "status": 503}}}})
    state, summary, d = run()
    eq(state, "warning", "503: state (%s)" % summary)
    check("answered HTTP 503" in summary, "503: %r", summary)
    eq(d["stage"], "http", "503: stage")
    aws({"faults": {"vendor": None}})
    # Nothing listening.
    url = get_setting("update.url")
    setting("update.url", "https://127.0.0.1:%d/manifest" % free_port())
    try:
        state, summary, d = run()
    finally:
        setting("update.url", url)
    eq(state, "warning", "closed port: state (%s)" % summary)
    check(summary.startswith("The connector could not check for updates: "
                             "nothing answered at 127.0.0.1."),
          "closed port: %r", summary)
    eq(d["stage"], "connect", "closed port: stage")
    check("total" in d["timings"], "timings %r", d)
    # A hung endpoint: the check's own time limit, not the runner's kill.
    setting("health.timeout", "2")
    aws({"faults": {"vendor": {"hang": True}}})
    try:
        state, summary, d = run()
    finally:
        aws({"faults": {"vendor": None}})
        setting("health.timeout", None)
    eq(state, "warning", "hang: state (%s)" % summary)
    check("did not answer within 2 s" in summary, "hang: %r", summary)
    check(d["stage"] in ("http", "response"), "hang: stage %r", d["stage"])
    current()


@suite.test
def test_bad_update_url_not_https():
    url = get_setting("update.url")
    setting("update.url", "http://127.0.0.1/manifest")
    try:
        state, summary, d = run()
    finally:
        setting("update.url", url)
    eq(state, "error", "state (%s)" % summary)
    check("not an https:// address" in summary, "summary %r", summary)
    eq(d["stage"], "local", "stage")
    current()


# ---- registered ----

@suite.test
def test_registered_through_the_proxy_then_proxy_gone():
    r = Wizard(E).run_all()
    eq(r.status, 303, "register")
    mark = seq()
    current()
    check("access_key" not in manifest_requests(mark)[0],
          "registered: the request was signed")
    p = Proxy("proxy-user", "Proxy-Pass-1")
    try:
        w = Wizard(E)
        for step in (w.start, lambda: w.proxy("127.0.0.1", str(p.port),
                                              "proxy-user", "Proxy-Pass-1"),
                     w.aws, lambda: w.portal(b"", action="keep")):
            r = step()
            check(r.status in (302, 303), "wizard step: %r", r)
        eq(w.register().status, 303, "register with the proxy")
        pm = p.mark()
        d = current()
        eq(d["proxy"], "127.0.0.1:%d" % p.port, "proxy in details")
        target = E.aws.info["url"].split("/")[2]
        log = p.since(pm)
        check(any(x["status"] == 200 and x["target"] == target and
                  x["auth"] == "proxy-user" for x in log),
              "the manifest did not come through the proxy: %r", log)
        p.stop()
        state, summary, d = run()
        eq(state, "warning", "proxy gone: state (%s)" % summary)
        check("proxy did not let it through" in summary, "proxy gone: %r",
              summary)
        eq(d["stage"], "connect", "proxy gone: stage")
    finally:
        p.stop()


def setup():
    global E
    E = Env()
    E.start()
    setting("update.url", E.aws.info["url"] + "/vendor/updates/manifest")


def teardown():
    if E:
        E.stop()


if __name__ == "__main__":
    if sys.argv[1:]:
        suite.tests = [t for t in suite.tests
                       if any(w in t.__name__ for w in sys.argv[1:])]
    suite.run(setup, teardown)
