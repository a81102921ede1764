"""lib/aws against the AWS double (tests/peers/aws), through
build/tests/aws-probe, which runs calls on one client and prints JSON.  The
double checks every signature, so a call that succeeds was signed right;
its control endpoint injects faults and counts the requests it saw."""
import hashlib
import json
import os
import select
import signal
import ssl
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "e2e"))
from harness import Suite, check, eq  # noqa: E402

PROBE = os.path.join(TOP, "build", "tests", "aws-probe")
PEER_RUN = os.path.join(TOP, "tests", "peers", "aws", "run")
CLOSED = "https://127.0.0.1:9"      # nothing listens there
suite = Suite()
S = {}


def env(access=None, secret=None, token=None, extra=None):
    e = {k: v for k, v in os.environ.items()
         if not k.startswith("AWS_")}
    e["AWS_ACCESS_KEY_ID"] = access or S["info"]["access_key"]
    e["AWS_SECRET_ACCESS_KEY"] = secret or S["info"]["secret_key"]
    if token:
        e["AWS_SESSION_TOKEN"] = token
    e.update(extra or {})
    return e


def probe(*steps, opts=(), endpoint=True, **kw):
    """Run the probe; returns (step results, whole output, stderr, rc)."""
    args = [PROBE, "--ca", S["info"]["ca"], "--backoff-ms", "20", *opts]
    if endpoint:
        args += ["--endpoint", S["info"]["url"]]
    p = subprocess.run(args + list(steps), env=env(**kw),
                       capture_output=True, text=True, timeout=300)
    check(p.returncode in (0, 1), "probe exit %d: %s", p.returncode,
          p.stderr[-500:])
    out = json.loads(p.stdout)
    return out["steps"], out, p.stderr, p.returncode


def ok(r):
    check(r["ok"], "step %s failed: %r", r["step"], r)
    return r


def control(body=None):
    ctx = ssl.create_default_context(cafile=S["info"]["ca"])
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(S["info"]["control"], data=data,
                                 method="GET" if body is None else "POST",
                                 headers={"Content-Type":
                                          "application/json"})
    with urllib.request.urlopen(req, context=ctx, timeout=30) as f:
        return json.loads(f.read())


def seen_since(seq):
    """Requests the double recorded after seq."""
    ctx = ssl.create_default_context(cafile=S["info"]["ca"])
    with urllib.request.urlopen("%s/requests?since=%d" % (
            S["info"]["control"], seq), context=ctx, timeout=30) as f:
        return json.loads(f.read())["requests"]


def last_seq():
    return control()["counts"]["requests"]


@suite.test
def test_caller_identity_with_good_credentials():
    control({"reset": True})
    steps, _, _, _ = probe("identity")
    got = ok(steps[0])["identity"]
    eq(got["account"], S["info"]["account"], "account")
    check(got["arn"].startswith("arn:aws:iam::"), "arn %r", got["arn"])
    check(got["user_id"], "user id read")


@suite.test
def test_regions_listed():
    steps, _, _, _ = probe("regions")
    regions = ok(steps[0])["regions"]
    check("us-east-1" in regions and len(regions) > 10, "regions %r",
          regions)


@suite.test
def test_import_tasks_read_in_three_pages():
    control({"reset": True, "preload": {"import_tasks": 1200}})
    seq = last_seq()
    steps, _, _, _ = probe("tasks", opts=["--page-size", "500"])
    r = ok(steps[0])
    eq(r["pages"], [500, 500, 200], "page sizes")
    eq(len(set(r["ids"])), 1200, "distinct task ids")
    sent = [x for x in seen_since(seq) if x.get("action") ==
            "DescribeImportImageTasks"]
    eq(len(sent), 3, "requests for the pages")
    eq([x["params"].get("MaxResults") for x in sent], ["500"] * 3,
       "page size asked")
    check("NextToken" not in sent[0]["params"] and
          all("NextToken" in x["params"] for x in sent[1:]),
          "tokens sent: %r", [x["params"] for x in sent])


@suite.test
def test_import_tasks_with_new_connection_per_page():
    control({"reset": True, "preload": {"import_tasks": 1200}})
    steps, _, _, _ = probe("tasks", opts=["--page-size", "500",
                                          "--new-connection-per-page"])
    r = ok(steps[0])
    eq(r["pages"], [500, 500, 200], "page sizes")
    eq(len(set(r["ids"])), 1200, "distinct task ids")


@suite.test
def test_federation_token_credentials_work():
    control({"reset": True})
    steps, _, err, _ = probe("federation:probe-user", "temporary",
                             "identity")
    for r in steps:
        ok(r)
    check(steps[0]["access_key"].startswith("ASIA"), "temporary key %r",
          steps[0]["access_key"])
    check(steps[2]["identity"]["arn"].endswith("federated-user/probe-user"),
          "identity with the temporary credentials: %r",
          steps[2]["identity"])


@suite.test
def test_assume_role_credentials_work():
    role = "arn:aws:iam::%s:role/connector-import" % S["info"]["account"]
    steps, _, _, _ = probe("assume:%s|probe-session" % role, "temporary",
                           "identity")
    for r in steps:
        ok(r)
    check(steps[2]["identity"]["arn"].endswith(
        "assumed-role/connector-import/probe-session"), "identity %r",
        steps[2]["identity"])


@suite.test
def test_bad_session_token_missing_is_refused():
    # Temporary keys without their token: the double refuses them.
    steps, _, _, _ = probe("federation:probe-user")
    key = ok(steps[0])["access_key"]
    steps, _, _, _ = probe("identity", access=key, secret="x" * 40)
    eq((steps[0]["ok"], steps[0]["error"]), (False, "InvalidClientTokenId"),
       "temporary key without its token")


@suite.test
def test_put_object_with_payload_hash_accepted():
    control({"reset": True})
    body = "connector probe object \u00e9\n"
    steps, _, _, _ = probe("put:connector-imports/dir/obj one.txt",
                           opts=["--body", body])
    ok(steps[0])
    objs = [o for o in control()["objects"] if o["key"] == "dir/obj one.txt"]
    eq(len(objs), 1, "objects stored")
    want = hashlib.sha256(body.encode()).hexdigest()
    eq(objs[0]["sha256"], want, "stored body hash")
    eq(objs[0]["content_sha256_header"], want, "x-amz-content-sha256 sent")
    eq(steps[0]["etag"], objs[0]["etag"], "etag read")


@suite.test
def test_bad_put_object_missing_bucket_not_found():
    steps, _, _, _ = probe("put:no-such-bucket/k", opts=["--body", "x"])
    eq((steps[0]["ok"], steps[0]["error_code"], steps[0]["requests"]),
       (False, "NoSuchBucket", 1), "missing bucket")


@suite.test
def test_bad_put_object_dot_segments_refused():
    control({"reset": True})
    seq = last_seq()
    for key in ("a/../../etc.txt", "../other-bucket/x", "a/./b", "..", "."):
        steps, _, _, _ = probe("put:connector-imports/" + key,
                               opts=["--body", "x"])
        check(not steps[0]["ok"], "key %r was sent", key)
    eq(len(seen_since(seq)), 0, "requests the double saw")
    eq(control()["objects"], [], "objects stored")


@suite.test
def test_bad_not_implemented_not_retried():
    control({"reset": True, "faults": {"sts": {"error": {
        "code": "NotImplemented", "status": 501, "times": 3}}}})
    seq = last_seq()
    try:
        steps, _, _, _ = probe("identity")
        seen = len(seen_since(seq))
    finally:
        control({"reset": True})
    eq((steps[0]["ok"], steps[0]["requests"]), (False, 1), "501 answer")
    eq(seen, 1, "requests the double saw")


@suite.test
def test_bad_wrong_secret_signature_does_not_match():
    control({"reset": True})
    seq = last_seq()
    steps, out, err, _ = probe("identity", "regions",
                               secret="WrongSecret" + "0" * 29)
    for r in steps:
        eq((r["ok"], r["kind"], r["error"]),
           (False, "service", "SignatureDoesNotMatch"), r["step"])
        eq(r["requests"], 1, "requests for %s" % r["step"])
    eq(len(seen_since(seq)), 2, "requests the double saw (no retry)")


@suite.test
def test_bad_unknown_key_invalid_client_token():
    steps, _, _, _ = probe("identity", access="AKIAUNKNOWNKEY000001")
    eq((steps[0]["ok"], steps[0]["error"], steps[0]["status"]),
       (False, "InvalidClientTokenId", 403), "unknown key")


@suite.test
def test_bad_revoked_key_auth_failure_on_ec2():
    control({"reset": True, "revoked_keys": [S["info"]["access_key"]]})
    try:
        steps, _, _, _ = probe("regions")
        eq((steps[0]["ok"], steps[0]["error"]), (False, "AuthFailure"),
           "revoked key on EC2")
    finally:
        control({"reset": True})


@suite.test
def test_bad_skewed_clock_request_expired_and_skew_measured():
    control({"reset": True, "skew_seconds": 600})
    try:
        steps, _, _, _ = probe("identity", "regions")
    finally:
        control({"reset": True})
    for r in steps:
        eq((r["ok"], r["error"]), (False, "RequestExpired"), r["step"])
        check(r["server_date"], "Date header kept")
        check(abs(r["skew"] - 600) <= 60, "skew measured %r", r["skew"])


@suite.test
def test_throttling_retried_until_success():
    control({"reset": True, "faults": {"ec2": {"error": {
        "code": "Throttling", "status": 400, "times": 2}}}})
    seq = last_seq()
    steps, _, err, _ = probe("regions")
    r = ok(steps[0])
    eq(r["requests"], 3, "requests the client sent")
    eq(len(seen_since(seq)), 3, "requests the double saw")
    check("Throttling" in err, "retries logged: %r", err[-300:])


@suite.test
def test_server_error_retried_until_success():
    control({"reset": True, "faults": {"sts": {"error": {
        "code": "InternalError", "times": 1}}}})
    seq = last_seq()
    steps, _, _, _ = probe("identity")
    eq(ok(steps[0])["requests"], 2, "requests")
    eq(len(seen_since(seq)), 2, "requests the double saw")


@suite.test
def test_bad_throttling_gives_up_after_max_attempts():
    control({"reset": True, "faults": {"ec2": {"error": {
        "code": "RequestLimitExceeded", "times": 50}}}})
    seq = last_seq()
    try:
        steps, _, _, _ = probe("regions", opts=["--max-attempts", "4"])
        seen = len(seen_since(seq))
    finally:
        control({"reset": True})
    eq((steps[0]["ok"], steps[0]["error"], steps[0]["requests"]),
       (False, "Throttling", 4), "gave up")
    eq(seen, 4, "requests the double saw")


@suite.test
def test_bad_auth_error_not_retried():
    control({"reset": True, "faults": {"sts": {"error": {
        "code": "AccessDenied", "status": 403, "times": 3}}}})
    seq = last_seq()
    try:
        steps, _, _, _ = probe("identity")
        seen = len(seen_since(seq))
    finally:
        control({"reset": True})
    eq((steps[0]["ok"], steps[0]["error"], steps[0]["requests"]),
       (False, "AccessDenied", 1), "auth error")
    eq(seen, 1, "requests the double saw")


@suite.test
def test_bad_hang_times_out_within_bound():
    control({"reset": True, "faults": {"ec2": {"hang": True}}})
    try:
        t0 = time.monotonic()
        steps, _, _, _ = probe("regions", opts=["--timeout-ms", "1500"])
        took = time.monotonic() - t0
    finally:
        control({"reset": True})
    eq((steps[0]["ok"], steps[0]["kind"], steps[0]["http_kind"]),
       (False, "transport", "timeout"), "hang")
    eq(steps[0]["requests"], 1, "a timeout is not retried")
    check(1.4 <= steps[0]["seconds"] < 15, "timed out after %.2f s",
          steps[0]["seconds"])
    check(took < 30, "the probe took %.1f s", took)


@suite.test
def test_endpoint_service_variable_beats_general_one():
    url = S["info"]["url"]
    steps, out, _, _ = probe(
        "regions", "identity", endpoint=False,
        extra={"AWS_ENDPOINT_URL_EC2": url, "AWS_ENDPOINT_URL": CLOSED})
    eq(out["endpoints"]["ec2"], {"url": url, "source": "service environment"},
       "EC2 endpoint")
    eq(out["endpoints"]["sts"], {"url": CLOSED, "source": "environment"},
       "STS endpoint")
    ok(steps[0])
    eq((steps[1]["ok"], steps[1]["kind"]), (False, "transport"),
       "STS went to the general endpoint")


@suite.test
def test_endpoint_general_variable_beats_setting():
    steps, out, _, _ = probe("identity", opts=["--endpoint", CLOSED],
                             endpoint=False,
                             extra={"AWS_ENDPOINT_URL": S["info"]["url"]})
    eq(out["endpoints"]["sts"]["source"], "environment", "source")
    ok(steps[0])


@suite.test
def test_endpoint_setting_beats_region_default():
    _, out, _, _ = probe(opts=["--region", "eu-west-3"])
    eq(out["endpoints"]["s3"], {"url": S["info"]["url"],
                                "source": "setting"}, "S3 endpoint")
    _, out, _, _ = probe(opts=["--region", "eu-west-3"], endpoint=False)
    eq(out["endpoints"], {
        "sts": {"url": "https://sts.eu-west-3.amazonaws.com",
                "source": "default"},
        "ec2": {"url": "https://ec2.eu-west-3.amazonaws.com",
                "source": "default"},
        "s3": {"url": "https://s3.eu-west-3.amazonaws.com",
               "source": "default"}}, "region defaults")


@suite.test
def test_bad_plain_http_endpoint_refused():
    for extra, opts in (({"AWS_ENDPOINT_URL_STS": "http://127.0.0.1:9"}, []),
                        ({}, ["--endpoint", "http://127.0.0.1:9"]),
                        ({}, ["--region", "../evil"])):
        p = subprocess.run([PROBE, "--ca", S["info"]["ca"], *opts,
                            "identity"], env=env(extra=extra),
                           capture_output=True, text=True, timeout=60)
        eq((p.returncode, p.stdout), (2, ""), "refused %r %r" % (extra, opts))


@suite.test
def test_secrets_never_logged():
    control({"reset": True})
    steps, out, err, _ = probe("federation:probe-user", "temporary",
                               "identity", "regions")
    wrong = "WrongSecret" + "1" * 29
    _, out2, err2, _ = probe("identity", secret=wrong)
    texts = (err, err2, json.dumps(out), json.dumps(out2))
    for secret in (S["info"]["secret_key"], wrong):
        for text in texts:
            check(secret not in text, "a secret appears in the output")
    check("SignatureDoesNotMatch" in err2, "the refusal is logged: %r",
          err2[-300:])


def setup():
    S["proc"] = subprocess.Popen([PEER_RUN], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL,
                                 stdin=subprocess.DEVNULL,
                                 start_new_session=True)
    line = b""
    deadline = time.monotonic() + 180   # the first run installs packages
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        check(left > 0 and select.select([S["proc"].stdout], [], [], left)[0],
              "the AWS double did not say where it listens")
        chunk = S["proc"].stdout.read1(4096)
        check(chunk, "the AWS double exited")
        line += chunk
    S["info"] = json.loads(line)


def teardown():
    p = S.get("proc")
    if p and p.poll() is None:
        os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


if __name__ == "__main__":
    suite.run(setup, teardown)
