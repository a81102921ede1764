"""Read-only monitoring: /api/status (JSON) and /metrics (Prometheus text),
with the session or an API token from the Settings page; tokens shown
once, stored as hashes, revocable; never good for a page or a POST."""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (PASSWORD, Suite, check, claimed_instance, eq,  # noqa
                     token_hash)

suite = Suite()
inst = None
NEW_TOKEN_RE = re.compile(r'id="new-token"[^>]*value="([A-Za-z0-9_-]{43})"')


def create_token(c, name="monitoring"):
    """Create a token on the Settings page; returns (redirect, token)."""
    csrf = c.form_csrf("/settings")
    r = c.post("/settings/tokens", [("csrf", csrf), ("token_name", name)])
    eq((r.status, r.location), (303, inst.origin + "/settings"),
       "create answer")
    page = c.get("/settings")
    m = NEW_TOKEN_RE.search(page.text)
    check(m, "the new token is not shown once")
    return page, m.group(1)


def bearer(token):
    return {"Authorization": "Bearer " + token}


def anon():
    return inst.client()


@suite.test
def test_status_json_with_session():
    c = inst.signed_in_client()
    r = c.get("/api/status")
    eq(r.status, 200, "status")
    check(r.header("Content-Type").startswith("application/json"),
          "type %r", r.header("Content-Type"))
    d = json.loads(r.text)
    eq(sorted(d), ["console_locked", "encryption_key_age_seconds",
                   "failed_sign_ins", "registered", "version"], "keys")
    eq((d["registered"], d["console_locked"]), (False, False), "state")


@suite.test
def test_bad_status_without_credentials_401_no_data():
    r = anon().get("/api/status")
    eq(r.status, 401, "status")
    check(r.header("WWW-Authenticate") is not None, "no WWW-Authenticate")
    check("version" not in r.text and "registered" not in r.text,
          "data in a refusal: %r", r.text)


@suite.test
def test_bad_metrics_wrong_token_401_not_counted():
    failed = inst.admin()["failed_count"]
    r = anon().get("/metrics", headers=bearer("A" * 43))
    eq(r.status, 401, "status")
    check("connector_" not in r.text, "data in a refusal")
    eq(inst.admin()["failed_count"], failed, "password failures")


@suite.test
def test_token_shown_once_and_stored_as_hash():
    c = inst.signed_in_client()
    page, token = create_token(c, "shown-once")
    check("Token created." in page.text, "no notice")
    eq(inst.sql("SELECT count(*) FROM api_tokens WHERE token_hash = ?",
                (token_hash(token),))[0][0], 1, "hash stored")
    dump = "\n".join(str(r) for r in inst.sql(
        "SELECT * FROM api_tokens UNION ALL SELECT token_hash, csrf, "
        "created_at, last_seen, coalesce(notice, '') FROM sessions"))
    check(token not in dump, "the clear token is in the database")
    again = c.get("/settings")
    check(token not in again.text and "Token created." not in again.text,
          "the token or notice is shown again on reload")
    logs = b"".join(inst.all_logs().values())
    check(token.encode() not in logs, "the token is in a log")


@suite.test
def test_token_reads_status_and_metrics():
    _, token = create_token(inst.signed_in_client(), "reader")
    r = anon().get("/api/status", headers=bearer(token))
    eq(r.status, 200, "status with the token")
    eq(json.loads(r.text)["failed_sign_ins"], inst.admin()["failed_count"],
       "failed sign-ins")
    m = anon().get("/metrics", headers=bearer(token))
    eq(m.status, 200, "metrics with the token")
    check(m.header("Content-Type").startswith("text/plain; version=0.0.4"),
          "type %r", m.header("Content-Type"))
    for name in ("connector_info", "connector_registered",
                 "connector_console_locked", "connector_failed_sign_ins"):
        check("# HELP %s " % name in m.text and
              "# TYPE %s gauge" % name in m.text, "no HELP/TYPE for %s",
              name)
    check(re.search(r"^connector_registered 0$", m.text, re.M),
          "registered gauge")
    check(inst.sql1("SELECT last_used_at FROM api_tokens WHERE token_hash "
                    "= ?", (token_hash(token),))[0], "last use not recorded")


@suite.test
def test_bad_token_never_opens_a_page():
    _, token = create_token(inst.signed_in_client(), "not-a-session")
    for path in ("/", "/keys", "/settings"):
        r = anon().get(path, headers=bearer(token))
        eq(r.status, 302, "GET %s with a token" % path)
        check("/login" in r.location, "Location %r", r.location)


@suite.test
def test_bad_token_never_authenticates_a_post():
    _, token = create_token(inst.signed_in_client(), "no-post")
    r = anon().post("/api/status", "", headers=bearer(token))
    eq(r.status, 405, "POST /api/status")
    n = inst.sql1("SELECT count(*) FROM api_tokens")[0]
    r = anon().post("/settings/tokens", [("token_name", "x")],
                    headers=bearer(token))
    eq(r.status, 403, "POST /settings/tokens with a token")
    eq(inst.sql1("SELECT count(*) FROM api_tokens")[0], n, "tokens")


@suite.test
def test_revoked_token_refused():
    c = inst.signed_in_client()
    _, token = create_token(c, "to-revoke")
    tid = inst.sql1("SELECT id FROM api_tokens WHERE token_hash = ?",
                    (token_hash(token),))[0]
    page = c.get("/settings/tokens/revoke?token=%d" % tid)
    eq(page.status, 200, "confirmation page")
    check("to-revoke" in page.text, "the confirmation does not name it")
    r = c.post("/settings/tokens/revoke", [("csrf", page.csrf),
                                          ("token", str(tid)),
                                          ("confirm", "revoke")])
    eq((r.status, r.location), (303, inst.origin + "/settings"), "revoke")
    check("Revoked." in c.get("/settings").text, "no notice")
    eq(anon().get("/api/status", headers=bearer(token)).status, 401,
       "a revoked token")


@suite.test
def test_bad_revoke_without_confirmation_keeps_token():
    c = inst.signed_in_client()
    _, token = create_token(c, "kept")
    tid = inst.sql1("SELECT id FROM api_tokens WHERE token_hash = ?",
                    (token_hash(token),))[0]
    page = c.get("/settings/tokens/revoke?token=%d" % tid)
    r = c.post("/settings/tokens/revoke", [("csrf", page.csrf),
                                          ("token", str(tid))])
    eq(r.status, 400, "status")
    eq(anon().get("/api/status", headers=bearer(token)).status, 200,
       "the token still works")


@suite.test
def test_bad_token_name_empty_refused_beside_field():
    c = inst.signed_in_client()
    csrf = c.form_csrf("/settings")
    r = c.post("/settings/tokens", [("csrf", csrf), ("token_name", "")])
    eq(r.status, 400, "status")
    check('id="token_name-error"' in r.text, "no error beside the field")


if __name__ == "__main__":
    suite.main(claimed_instance, globals())
