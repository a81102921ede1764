"""Settings → Federation: through the connector (the IAM role, a session
policy, the duration cap) or SAML.  Saved with a notice and an audit line;
every field refused with wrong, oversized, malformed and hostile values
beside the field, the typed values shown again (escaped), nothing stored."""
import html
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Suite, check, claimed_instance, eq  # noqa: E402

suite = Suite()
inst = None
S = {}
ROLE = "arn:aws:iam::123456789012:role/portal/PortalUsers"
POLICY = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
          '"Action": "ec2:Describe*", "Resource": "*"}]}')
XSS = "<script>alert(1)</script>"


def client():
    if "c" not in S:
        S["c"] = inst.signed_in_client()
    return S["c"]


def post(federation="connector", role=ROLE, policy=POLICY, duration="1800",
         extra=()):
    c = client()
    csrf = c.form_csrf("/settings")
    fields = [("csrf", csrf)]
    for name, value in (("federation", federation), ("role_arn", role),
                        ("session_policy", policy), ("duration", duration)):
        if value is not None:
            fields.append((name, value))
    return c.post("/settings/federation", fields + list(extra))


def stored():
    return dict(inst.sql("SELECT name, value FROM settings WHERE name LIKE "
                         "'federation.%'"))


def field_error(r, name):
    m = re.search(r'<p class="error" id="%s-error">([^<]*)</p>' % name,
                  r.text)
    return html.unescape(m.group(1)) if m else None


def refused(r, name, phrase, what):
    eq(r.status, 400, what + ": status")
    err = field_error(r, name)
    check(err and phrase in err, "%s: error beside %s is %r", what, name,
          err)
    check("Not saved." in r.text, "%s: no form notice", what)


@suite.test
def test_default_is_through_the_connector_not_registered_warned():
    r = client().get("/settings")
    eq(r.status, 200, "status")
    check(re.search(r'value="connector"\s+checked', r.text), "connector not "
          "the default choice")
    check("The connector is not registered" in r.text, "no warning")
    check('value="3600"' in r.text, "default duration not shown")


@suite.test
def test_saved_with_notice_and_audit():
    mark = inst.audit_mark()
    r = post()
    eq(r.status, 303, "status")
    check(r.location.endswith("/settings"), "location %r", r.location)
    eq(stored(), {"federation.mode": "connector", "federation.role_arn": ROLE,
                  "federation.session_policy":
                      '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
                      '"Action":"ec2:Describe*","Resource":"*"}]}',
                  "federation.duration": "1800"}, "stored")
    page = client().get("/settings")
    check("Saved. Portal users will sign in through the connector once it is "
          "registered" in page.text, "no notice")
    check("&quot;Statement&quot;: [" in page.text, "the policy is not laid "
          "out for reading")
    check('value="%s"' % ROLE in page.text, "role not shown")
    new = inst.audit_wait(mark, lambda e: e["uri"] ==
                          "/settings/federation")
    new = [e for e in new or [] if e["uri"] == "/settings/federation"]
    check(new and new[-1]["action"] == "federation: through the connector",
          "audit %r", new)


@suite.test
def test_saml_turns_the_proxy_off():
    mark = inst.audit_mark()
    r = post(federation="saml", role="", policy="", duration="900")
    eq(r.status, 303, "status")
    eq(stored()["federation.mode"], "saml", "mode")
    page = client().get("/settings")
    check("authentication proxy is off and refuses every request" in
          page.text, "no notice")
    check(re.search(r'value="saml"\s+checked', page.text), "SAML not chosen")
    new = inst.audit_wait(mark, lambda e: e["uri"] ==
                          "/settings/federation")
    new = [e for e in new or [] if e["uri"] == "/settings/federation"]
    check(new and new[-1]["action"] ==
          "federation: SAML; authentication proxy off", "audit %r", new)
    eq(post().status, 303, "back through the connector")


@suite.test
def test_bad_role_arns_refused_beside_the_field():
    before = stored()
    for role in ("arn:aws:iam::12345678901:role/x", "PortalUsers",
                 "arn:aws:iam::123456789012:user/x",
                 "arn:aws:iam::123456789012:role/" + "r" * 65,
                 "arn:aws:iam::123456789012:role/a b", XSS):
        r = post(role=role)
        refused(r, "role_arn", "This is not a role ARN", role[:30])
        check(XSS not in r.text, "raw markup echoed")
        check(html.escape(role, quote=True) in r.text or
              html.escape(role) in r.text, "%s: typed value not shown",
              role[:30])
    r = post(role="")
    refused(r, "role_arn", "Enter the ARN", "empty role")
    r = post(role="arn:aws:iam::123456789012:role/x\u0001")
    refused(r, "role_arn", "without control characters", "control byte")
    r = post(role="arn:aws:iam::123456789012:role/" + "x" * 3000)
    refused(r, "role_arn", "too long", "3000 characters")
    eq(stored(), before, "nothing stored")


@suite.test
def test_bad_policies_refused_beside_the_field():
    before = stored()
    for policy, phrase in (
            ("{not json", "not valid JSON"),
            ("[]", "A policy is a JSON object"),
            ('{"Version": "2012-10-17"}', "has no Statement"),
            ('{"Statement": [], "Statement": []}', "not valid JSON"),
            ('{"Statement": [], "Version": 2012}', "Version must be a string"),
            ('{"Statement": [%s]}' % ", ".join(['"%s"' % ("s" * 40)] * 60),
             "AWS takes at most 2048"),
            (XSS, "not valid JSON")):
        r = post(policy=policy)
        refused(r, "session_policy", phrase, policy[:30])
        check(XSS not in r.text, "raw markup echoed")
    r = post(policy='{"Statement": []}\u0001')
    refused(r, "session_policy", "without control characters", "control")
    r = post(policy="{" + " " * 9000 + "}")
    refused(r, "session_policy", "too long", "9000 bytes")
    eq(stored(), before, "nothing stored")


@suite.test
def test_policy_with_line_breaks_and_tabs_accepted():
    eq(post(policy='{\r\n\t"Statement": [\r\n\t]\r\n}').status, 303,
       "status")
    eq(stored()["federation.session_policy"], '{"Statement":[]}', "packed")
    eq(post(policy="").status, 303, "emptied")
    check("federation.session_policy" not in stored(), "policy kept")


@suite.test
def test_bad_durations_refused_beside_the_field():
    before = stored()
    for d in ("899", "43201", "abc", "0900", "-1", "1e3", "99999"):
        refused(post(duration=d), "duration", "", d)
    refused(post(duration=""), "duration", "whole number", "empty")
    eq(stored(), before, "nothing stored")
    eq(post(duration="43200").status, 303, "12 hours")
    eq(post(duration="900").status, 303, "15 minutes")


@suite.test
def test_bad_federation_choice_refused():
    before = stored()
    refused(post(federation="other"), "federation", "Choose how", "other")
    refused(post(federation=None), "federation", "Choose how", "missing")
    refused(post(federation="SAML!"), "federation", "", "not a word")
    eq(stored(), before, "nothing stored")


@suite.test
def test_bad_unknown_field_missing_token_and_get_refused():
    r = post(extra=[("admin", "1")])
    eq(r.status, 400, "unknown field")
    c = client()
    r = c.post("/settings/federation", [("federation", "saml"),
                                        ("duration", "900")])
    eq(r.status, 403, "no form token")
    eq(c.get("/settings/federation").status, 405, "GET")
    anon = inst.client()
    csrf = anon.form_csrf("/login")
    r = anon.post("/settings/federation", [("csrf", csrf), ("federation",
                                                            "saml")])
    eq(r.status, 403, "signed out")
    eq(stored()["federation.mode"], "connector", "unchanged")


if __name__ == "__main__":
    suite.main(claimed_instance, globals())
