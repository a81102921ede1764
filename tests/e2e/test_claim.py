"""The first-run claim: /setup with the one-time setup code."""
import os
import re
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Instance, PASSWORD, Suite, check, eq)  # noqa: E402

suite = Suite()
inst = Instance()
state = {}


def admin_unchanged(what):
    """The console is still unclaimed with the original setup code."""
    a = inst.admin()
    check(a["password_hash"] is None, "%s: a password was set", what)
    eq(a["setup_code_hash"], state["code_hash"], what + ": setup code hash")
    check(os.path.exists(inst.setup_code_path),
          "%s: the setup-code file is gone", what)
    eq(inst.session_count(), 0, what + ": sessions")


def refused_claim(password, password2, status, message, what):
    c = inst.client()
    r = c.claim(inst.setup_code, password, password2)
    eq(r.status, status, what + ": status")
    check(message in r.text, "%s: message %r not in the page", what, message)
    check("__Host-connector" not in c.jar, "%s: a session cookie was set",
          what)
    check(r.csrf, "%s: the form is not shown again", what)
    admin_unchanged(what)


@suite.test
def test_setup_code_printed_and_in_file():
    check(inst.setup_code, "no setup code in the output: %r", inst.output)
    with open(inst.setup_code_path) as f:
        eq(f.read().strip(), inst.setup_code, "setup-code file")
    eq(oct(os.stat(inst.setup_code_path).st_mode & 0o777), "0o600",
       "setup-code file mode")


@suite.test
def test_unclaimed_root_redirects_to_setup():
    r = inst.client().get("/")
    eq(r.status, 302, "status")
    eq(r.location, inst.origin + "/setup", "Location")


@suite.test
def test_unclaimed_login_redirects_to_setup():
    c = inst.client()
    r = c.get("/login")
    eq(r.status, 302, "status")
    eq(r.location, inst.origin + "/setup", "Location")
    r = c.get("/login", headers={"Host": "evil.example"})
    eq(r.location, inst.origin + "/setup", "Location with another Host")


@suite.test
def test_setup_page_shows_form():
    c = inst.client()
    r = c.get("/setup")
    eq(r.status, 200, "status")
    check(r.csrf and len(r.csrf) == 43, "no csrf token: %r", r.csrf)
    eq(c.jar.get("__Host-connector-csrf"), r.csrf, "csrf cookie")
    for name in ("code", "password", "password2"):
        check('name="%s"' % name in r.text, "no %s field", name)


@suite.test
def test_bad_wrong_code_refused():
    real = inst.setup_code
    wrong = ("ABCD" if not real.startswith("ABCD") else "EFGH") + real[4:]
    c = inst.client()
    r = c.claim(wrong)
    eq(r.status, 403, "status")
    check("This is not the setup code" in r.text, "no message: %s",
          r.text[:400])
    check("__Host-connector" not in c.jar, "session cookie set")
    admin_unchanged("wrong code")


@suite.test
def test_bad_malformed_code_refused():
    c = inst.client()
    r = c.claim("not a code!")
    eq(r.status, 400, "status")
    check("Setup code" in r.text, "no message naming the field")
    admin_unchanged("malformed code")


@suite.test
def test_bad_short_password_refused():
    refused_claim("short pass", "short pass", 400, "at least 12 characters",
                  "short password")


@suite.test
def test_bad_common_password_refused():
    refused_claim("123456789012", "123456789012", 400,
                  "most common passwords", "common password")


@suite.test
def test_bad_common_password_any_case_refused():
    refused_claim("WinnieThePooh", "WinnieThePooh", 400,
                  "most common passwords", "common password, mixed case")


@suite.test
def test_bad_mismatched_passwords_refused():
    refused_claim(PASSWORD, PASSWORD + "x", 400, "do not match",
                  "mismatched passwords")


@suite.test
def test_bad_password_refused_keeps_right_setup_code():
    c = inst.client()
    r = c.claim(inst.setup_code, "short pass", "short pass")
    eq(r.status, 400, "status")
    m = re.search(r'<input id="code"[^>]*value="([^"]*)"', r.text)
    check(m, "the setup code field is empty after the password was refused")
    eq(m.group(1), inst.setup_code, "setup code kept")
    check('value="short pass"' not in r.text, "the password is shown back")
    admin_unchanged("kept code")


@suite.test
def test_bad_wrong_code_not_shown_back():
    c = inst.client()
    r = c.claim("ABCD-EFGH-JKLM-NPQR", PASSWORD)
    eq(r.status, 403, "status")
    check("ABCD-EFGH-JKLM-NPQR" not in r.text, "a wrong code is shown back")


@suite.test
def test_bad_claim_without_csrf_refused():
    c = inst.client()
    c.get("/setup")
    r = c.post("/setup", [("code", inst.setup_code), ("password", PASSWORD),
                          ("password2", PASSWORD)])
    eq(r.status, 403, "status")
    admin_unchanged("no csrf")


@suite.test
def test_right_code_claims_and_signs_in():
    c = inst.client()
    r = c.claim(inst.setup_code)
    eq(r.status, 303, "status")
    eq(r.location, inst.origin + "/", "Location")
    check(c.session, "no session cookie")
    a = inst.admin()
    check(a["password_hash"] and a["password_hash"].startswith("$argon2id$"),
          "password hash: %r", a["password_hash"])
    check(a["setup_code_hash"] is None, "setup code hash kept")
    check(c.signed_in(), "the new session does not show the dashboard")
    state["claimed"] = True


@suite.test
def test_setup_code_file_removed():
    check(state.get("claimed"), "not claimed")
    check(not os.path.exists(inst.setup_code_path),
          "the setup-code file is still there")


@suite.test
def test_bad_reused_code_gets_404():
    check(state.get("claimed"), "not claimed")
    c = inst.client()
    r = c.get("/setup")
    eq(r.status, 404, "GET /setup")
    r = c.post("/setup", [("code", inst.setup_code),
                          ("password", "another long password 9"),
                          ("password2", "another long password 9")])
    eq(r.status, 404, "POST /setup")
    check("__Host-connector" not in c.jar, "a session cookie was set")
    # The first password is still the one that works.
    eq(c.login("another long password 9").status, 403, "new password")
    eq(c.login(PASSWORD).status, 303, "claimed password")


@suite.test
def test_claimed_root_redirects_to_login():
    r = inst.client().get("/")
    eq(r.status, 302, "status")
    eq(r.location, inst.origin + "/login", "Location")


@suite.test
def test_restart_prints_no_code_once_claimed():
    inst.restart()
    check(inst.setup_code is None, "a setup code was printed after the "
          "claim: %r", inst.output)
    check(not os.path.exists(inst.setup_code_path), "setup-code file back")
    check(any("claimed" in l for l in inst.output), "no claimed notice: %r",
          inst.output)
    eq(inst.client().get("/setup").status, 404, "GET /setup")


@suite.test
def test_audit_records_claim_steps():
    entries = [e for e in inst.audit() if e["uri"] == "/setup"]
    actions = [(e["method"], e["status"], e["action"]) for e in entries]
    want = [
        ("POST", 403, "setup refused: wrong code"),
        ("POST", 400, "setup refused: password policy"),
        ("POST", 303, "setup: console claimed"),
        ("GET", 404, ""),
        ("POST", 404, ""),
    ]
    for w in want:
        check(w in actions, "no audit line %r in %r", w, actions)
    eq(sum(1 for a in actions if a[2] == "setup refused: password policy"),
       5, "password policy refusals")
    claim = [e for e in entries if e["action"] == "setup: console claimed"]
    eq(claim[0]["user"], "admin", "user of the claim")
    eq(claim[0]["addr"], "127.0.0.1", "addr of the claim")


@suite.test
def test_concurrent_claims_exactly_one_wins():
    """A fresh console: racing claims with the right code, one wins."""
    n = 6
    with Instance() as fresh:
        clients = [fresh.client() for _ in range(n)]
        tokens = [c.form_csrf("/setup") for c in clients]
        pws = ["racing password number %d" % i for i in range(n)]
        barrier = threading.Barrier(n)
        results = [None] * n

        def claim(i):
            try:
                barrier.wait(30)
                r = clients[i].post("/setup", [
                    ("csrf", tokens[i]), ("code", fresh.setup_code),
                    ("password", pws[i]), ("password2", pws[i])])
                results[i] = r.status
            except Exception as e:
                results[i] = repr(e)
        threads = [threading.Thread(target=claim, args=(i,))
                   for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        eq(results.count(303), 1, "winners in %r" % results)
        check(all(s in (303, 403, 404) for s in results), "answers %r",
              results)
        winner = results.index(303)
        eq(fresh.session_count(), 1, "sessions")
        check(clients[winner].signed_in(), "the winner is not signed in")
        for i in range(n):
            r = fresh.client().login(pws[i])
            eq(r.status, 303 if i == winner else 403, "login with password "
               "%d" % i)
        fresh.stop()


def start_unclaimed(i):
    i.start()
    state["code_hash"] = i.admin()["setup_code_hash"]
    check(state["code_hash"], "no setup code hash stored")


if __name__ == "__main__":
    suite.main(lambda: inst, globals(), ready=start_unclaimed)
