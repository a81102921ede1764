"""lib/aws against the AWS double (tests/peers/aws), through
build/tests/aws-probe, which runs calls on one client and prints JSON.  The
double checks every signature, so a call that succeeds was signed right;
its control endpoint injects faults and counts the requests it saw.  A
small canned EC2 peer in this file covers what the double cannot show:
page tokens that come back."""
import hashlib
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "e2e"))
from harness import AwsDouble, Suite, canned_server, check, eq  # noqa: E402

PROBE = os.path.join(TOP, "build", "tests", "aws-probe")
CLOSED = "https://127.0.0.1:9"      # nothing listens there
AWS = AwsDouble()  # started by setup()
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


def probe(*steps, opts=(), endpoint=True, ca=None, **kw):
    """Run the probe (endpoint: True for the double, a URL, or False for
    none); returns (step results, whole output, stderr, rc)."""
    args = [PROBE, "--ca", ca or S["info"]["ca"], "--backoff-ms", "20",
            *opts]
    if endpoint:
        args += ["--endpoint", S["info"]["url"] if endpoint is True else
                 endpoint]
    p = subprocess.run(args + list(steps), env=env(**kw),
                       capture_output=True, text=True, timeout=300)
    check(p.returncode in (0, 1), "probe exit %d: %s", p.returncode,
          p.stderr[-500:])
    out = json.loads(p.stdout)
    return out["steps"], out, p.stderr, p.returncode


def ok(r):
    check(r["ok"], "step %s failed: %r", r["step"], r)
    return r


@suite.test
def test_caller_identity_with_good_credentials():
    AWS.control({"reset": True})
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
    AWS.control({"reset": True, "preload": {"import_tasks": 1200}})
    seq = AWS.last_seq()
    steps, _, _, _ = probe("tasks", opts=["--page-size", "500"])
    r = ok(steps[0])
    eq(r["pages"], [500, 500, 200], "page sizes")
    eq(len(set(r["ids"])), 1200, "distinct task ids")
    sent = [x for x in AWS.requests(seq) if x.get("action") ==
            "DescribeImportImageTasks"]
    eq(len(sent), 3, "requests for the pages")
    eq([x["params"].get("MaxResults") for x in sent], ["500"] * 3,
       "page size asked")
    check("NextToken" not in sent[0]["params"] and
          all("NextToken" in x["params"] for x in sent[1:]),
          "tokens sent: %r", [x["params"] for x in sent])


@suite.test
def test_import_tasks_with_new_connection_per_page():
    AWS.control({"reset": True, "preload": {"import_tasks": 1200}})
    steps, _, _, _ = probe("tasks", opts=["--page-size", "500",
                                          "--new-connection-per-page"])
    r = ok(steps[0])
    eq(r["pages"], [500, 500, 200], "page sizes")
    eq(len(set(r["ids"])), 1200, "distinct task ids")


@suite.test
def test_import_tasks_named_and_paged_by_the_service():
    ids = AWS.control({"reset": True, "page_size": 2, "preload": {
        "active_import_tasks": 5}})["preloaded_import_task_ids"]
    try:
        seq = AWS.last_seq()
        steps, _, _, _ = probe("tasks:%s,%s,%s" % (ids[4], ids[0], ids[2]))
        sent = [x for x in AWS.requests(seq) if x.get("action") ==
                "DescribeImportImageTasks"]
    finally:
        AWS.control({"page_size": None})
    r = ok(steps[0])
    eq(r["ids"], [ids[4], ids[0], ids[2]], "the tasks named, in order")
    eq(r["pages"], [2, 1], "pages the service chose")
    eq([{k: v for k, v in x["params"].items()
         if k.startswith("ImportTaskId")} for x in sent],
       [{"ImportTaskId.1": ids[4], "ImportTaskId.2": ids[0],
         "ImportTaskId.3": ids[2]}] * 2, "ids sent with every page")
    check("MaxResults" not in sent[0]["params"] and
          "NextToken" in sent[1]["params"], "params %r",
          [x["params"] for x in sent])


@suite.test
def test_bad_unknown_import_task_not_found_or_too_many_names():
    ids = AWS.control({"reset": True, "preload": {"active_import_tasks": 1}})[
        "preloaded_import_task_ids"]
    steps, _, _, _ = probe("tasks:%s,import-ami-0000000000000dead" % ids[0])
    r = steps[0]
    eq((r["ok"], r["error_code"], r["code"], r["requests"]),
       (False, "InvalidConversionTaskId", -6, 1), "an unknown task")
    check("import-ami-0000000000000dead" in r["message"], "message %r",
          r["message"])
    seq = AWS.last_seq()
    many = ",".join("import-ami-%017x" % i for i in range(101))
    steps, _, _, _ = probe("tasks:" + many, "tasks:BAD-ID")
    eq([(x["ok"], x["code"]) for x in steps], [(False, -4)] * 2,
       "101 names, and an id that is not one, refused")
    eq(AWS.requests(seq), [], "nothing sent")


@suite.test
def test_instances_named_without_page_size():
    AWS.control({"reset": True, "preload": {"instances": 8}})
    steps, _, _, _ = probe("instances")
    every = ok(steps[0])["instances"]
    seq = AWS.last_seq()
    want = [every[7]["id"], every[2]["id"]]
    steps, _, _, _ = probe("instances:" + ",".join(want),
                           "instances:" + want[0])
    eq([i["id"] for i in ok(steps[0])["instances"]], want, "named")
    sent = sent_actions(seq, "DescribeInstances")
    eq([x["params"].get("InstanceId.1") for x in sent], [want[0]] * 2,
       "ids sent")
    check(all("MaxResults" not in x["params"] for x in sent), "no page "
          "size with ids: %r", [x["params"] for x in sent])
    seq = AWS.last_seq()
    steps, _, _, _ = probe("instances:" + want[0], opts=["--page-size", "5"])
    eq((steps[0]["ok"], steps[0]["code"]), (False, -4),
       "ids with a page size refused (the service refuses them too)")
    eq(AWS.requests(seq), [], "nothing sent")
    steps, _, _, _ = probe("instances:i-0000000000000dead")
    eq((steps[0]["ok"], steps[0]["error_code"], steps[0]["code"]),
       (False, "InvalidInstanceID.NotFound", -6), "an unknown instance")


@suite.test
def test_instance_import_gives_its_instance():
    cid = AWS.control({"reset": True, "conversion_tasks": [
        {"description": "db01"}]})["conversion_task_ids"][0]
    AWS.control({"conversion_task_updates": [{"conversion_task_id": cid,
                                          "state": "completed"}]})
    steps, _, _, _ = probe("conversions:" + cid)
    t = ok(steps[0])["tasks"][0]
    eq((t["id"], t["state"]), (cid, "completed"), "task")
    check(t["instance_id"].startswith("i-"), "instance %r", t)
    steps, _, _, _ = probe("instances:" + t["instance_id"])
    eq([(i["id"], i["state"], i["name"]) for i in
        ok(steps[0])["instances"]], [(t["instance_id"], "stopped", "db01")],
       "the imported instance")
    steps, _, _, _ = probe("conversions")
    vol = [x for x in ok(steps[0])["tasks"] if x["id"] != cid]
    check(vol and all(x["instance_id"] == "" for x in vol),
          "a volume import has no instance: %r", vol[:1])


@suite.test
def test_timeout_retried_on_a_new_connection_when_asked():
    AWS.control({"reset": True, "faults": {"ec2": {"hang_times": 1}}})
    try:
        steps, _, err, _ = probe("regions", opts=["--timeout-ms", "1500",
                                                  "--retry-timeouts"])
    finally:
        AWS.control({"reset": True})
    r = ok(steps[0])
    eq(r["requests"], 2, "requests the client sent")
    check("new connection" in err, "the retry is logged: %r", err[-300:])


@suite.test
def test_federation_token_credentials_work():
    AWS.control({"reset": True})
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
def test_assume_role_session_policy_sent_and_recorded():
    AWS.control({"reset": True})
    role = "arn:aws:iam::%s:role/connector-import" % S["info"]["account"]
    policy = '{"Statement":[{"Effect":"Allow","Action":"s3:Get*",' \
        '"Resource":"*"}]}'
    steps, _, _, _ = probe("assume:%s|probe-session|%s" % (role, policy))
    ok(steps[0])
    call = AWS.control()["assume_role_calls"][-1]
    eq((call["role_arn"], call["session_name"], call["policy"]),
       (role, "probe-session", policy), "recorded call")
    steps, _, _, _ = probe("assume:%s|probe-session" % role)
    ok(steps[0])
    eq(AWS.control()["assume_role_calls"][-1]["policy"], None,
       "no policy sent")


@suite.test
def test_bad_assume_role_session_policy_refused():
    role = "arn:aws:iam::%s:role/connector-import" % S["info"]["account"]
    before = len(AWS.control()["assume_role_calls"])
    for policy, code in (("{not json", "MalformedPolicyDocument"),
                         ("[1, 2]", "MalformedPolicyDocument"),
                         ('{"Statement":"%s"}' % ("x" * 2040),
                          "ValidationError")):
        steps, _, _, _ = probe("assume:%s|probe-session|%s" % (role, policy))
        eq((steps[0]["ok"], steps[0]["error_code"]), (False, code),
           policy[:20])
    eq(len(AWS.control()["assume_role_calls"]), before, "nothing recorded")


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
    AWS.control({"reset": True})
    body = "connector probe object \u00e9\n"
    steps, _, _, _ = probe("put:connector-imports/dir/obj one.txt",
                           opts=["--body", body])
    ok(steps[0])
    objs = [o for o in AWS.control()["objects"]
            if o["key"] == "dir/obj one.txt"]
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
    AWS.control({"reset": True})
    seq = AWS.last_seq()
    for key in ("a/../../etc.txt", "../other-bucket/x", "a/./b", "..", "."):
        steps, _, _, _ = probe("put:connector-imports/" + key,
                               opts=["--body", "x"])
        check(not steps[0]["ok"], "key %r was sent", key)
    eq(len(AWS.requests(seq)), 0, "requests the double saw")
    eq(AWS.control()["objects"], [], "objects stored")


@suite.test
def test_bad_not_implemented_not_retried():
    AWS.control({"reset": True, "faults": {"sts": {"error": {
        "code": "NotImplemented", "status": 501, "times": 3}}}})
    seq = AWS.last_seq()
    try:
        steps, _, _, _ = probe("identity")
        seen = len(AWS.requests(seq))
    finally:
        AWS.control({"reset": True})
    eq((steps[0]["ok"], steps[0]["requests"]), (False, 1), "501 answer")
    eq(seen, 1, "requests the double saw")


@suite.test
def test_bad_wrong_secret_signature_does_not_match():
    AWS.control({"reset": True})
    seq = AWS.last_seq()
    steps, out, err, _ = probe("identity", "regions",
                               secret="WrongSecret" + "0" * 29)
    for r in steps:
        eq((r["ok"], r["kind"], r["error"]),
           (False, "service", "SignatureDoesNotMatch"), r["step"])
        eq(r["requests"], 1, "requests for %s" % r["step"])
    eq(len(AWS.requests(seq)), 2, "requests the double saw (no retry)")


@suite.test
def test_bad_unknown_key_invalid_client_token():
    steps, _, _, _ = probe("identity", access="AKIAUNKNOWNKEY000001")
    eq((steps[0]["ok"], steps[0]["error"], steps[0]["status"]),
       (False, "InvalidClientTokenId", 403), "unknown key")


@suite.test
def test_bad_revoked_key_auth_failure_on_ec2():
    AWS.control({"reset": True, "revoked_keys": [S["info"]["access_key"]]})
    try:
        steps, _, _, _ = probe("regions")
        eq((steps[0]["ok"], steps[0]["error"]), (False, "AuthFailure"),
           "revoked key on EC2")
    finally:
        AWS.control({"reset": True})


@suite.test
def test_bad_skewed_clock_request_expired_and_skew_measured():
    AWS.control({"reset": True, "skew_seconds": 600})
    try:
        steps, _, _, _ = probe("identity", "regions")
    finally:
        AWS.control({"reset": True})
    for r in steps:
        eq((r["ok"], r["error"]), (False, "RequestExpired"), r["step"])
        check(r["server_date"], "Date header kept")
        check(abs(r["skew"] - 600) <= 60, "skew measured %r", r["skew"])


@suite.test
def test_throttling_retried_until_success():
    AWS.control({"reset": True, "faults": {"ec2": {"error": {
        "code": "Throttling", "status": 400, "times": 2}}}})
    seq = AWS.last_seq()
    steps, _, err, _ = probe("regions")
    r = ok(steps[0])
    eq(r["requests"], 3, "requests the client sent")
    eq(len(AWS.requests(seq)), 3, "requests the double saw")
    check("Throttling" in err, "retries logged: %r", err[-300:])


@suite.test
def test_server_error_retried_until_success():
    AWS.control({"reset": True, "faults": {"sts": {"error": {
        "code": "InternalError", "times": 1}}}})
    seq = AWS.last_seq()
    steps, _, _, _ = probe("identity")
    eq(ok(steps[0])["requests"], 2, "requests")
    eq(len(AWS.requests(seq)), 2, "requests the double saw")


@suite.test
def test_bad_throttling_gives_up_after_max_attempts():
    AWS.control({"reset": True, "faults": {"ec2": {"error": {
        "code": "RequestLimitExceeded", "times": 50}}}})
    seq = AWS.last_seq()
    try:
        steps, _, _, _ = probe("regions", opts=["--max-attempts", "4"])
        seen = len(AWS.requests(seq))
    finally:
        AWS.control({"reset": True})
    eq((steps[0]["ok"], steps[0]["error"], steps[0]["requests"]),
       (False, "Throttling", 4), "gave up")
    eq(seen, 4, "requests the double saw")


@suite.test
def test_bad_auth_error_not_retried():
    AWS.control({"reset": True, "faults": {"sts": {"error": {
        "code": "AccessDenied", "status": 403, "times": 3}}}})
    seq = AWS.last_seq()
    try:
        steps, _, _, _ = probe("identity")
        seen = len(AWS.requests(seq))
    finally:
        AWS.control({"reset": True})
    eq((steps[0]["ok"], steps[0]["error"], steps[0]["requests"]),
       (False, "AccessDenied", 1), "auth error")
    eq(seen, 1, "requests the double saw")


@suite.test
def test_bad_hang_times_out_within_bound():
    AWS.control({"reset": True, "faults": {"ec2": {"hang": True}}})
    try:
        t0 = time.monotonic()
        steps, _, _, _ = probe("regions", opts=["--timeout-ms", "1500"])
        took = time.monotonic() - t0
    finally:
        AWS.control({"reset": True})
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
    AWS.control({"reset": True})
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


CONVERSION_STATES = ["completed", "active", "cancelled", "cancelling"]


def sent_actions(seq, action):
    return [x for x in AWS.requests(seq) if x.get("action") == action]


@suite.test
def test_conversion_tasks_listed_with_states():
    AWS.control({"reset": True, "preload": {"conversion_tasks": 7}})
    seq = AWS.last_seq()
    steps, _, _, _ = probe("conversions")
    r = ok(steps[0])
    tasks = r["tasks"]
    eq(len(tasks), 8, "tasks read")
    eq(r["pages"], [8], "one answer when no page size is asked")
    eq([t["state"] for t in tasks], CONVERSION_STATES * 2, "states")
    eq([t["status_message"] for t in tasks],
       ["", "Pending", "", ""] * 2, "status messages")
    eq([t["bytes_converted"] for t in tasks],
       [1048576 * (i + 1) for i in range(8)], "bytes converted")
    eq({(t["image_size"], t["zone"], t["expiration"]) for t in tasks},
       {(8589934592, "us-east-1a", "2030-01-08T00:00:00Z")},
       "image sizes, zones and expirations")
    eq(len({t["id"] for t in tasks}), 8, "distinct task ids")
    check(all(t["id"].startswith("import-vol-") and
              t["volume_id"].startswith("vol-") for t in tasks),
          "ids and volumes: %r", tasks[:2])
    sent = sent_actions(seq, "DescribeConversionTasks")
    eq(len(sent), 1, "requests")
    check("MaxResults" not in sent[0]["params"], "no page size sent: %r",
          sent[0]["params"])


@suite.test
def test_conversion_tasks_paged_and_named():
    AWS.control({"reset": True, "preload": {"conversion_tasks": 7}})
    seq = AWS.last_seq()
    steps, _, _, _ = probe("conversions", opts=["--page-size", "5"])
    r = ok(steps[0])
    eq(r["pages"], [5, 3], "page sizes")
    ids = [t["id"] for t in r["tasks"]]
    eq(len(set(ids)), 8, "distinct task ids")
    sent = sent_actions(seq, "DescribeConversionTasks")
    eq([x["params"].get("MaxResults") for x in sent], ["5", "5"],
       "page size asked")
    check("NextToken" not in sent[0]["params"] and
          "NextToken" in sent[1]["params"], "tokens sent: %r",
          [x["params"] for x in sent])
    steps, _, _, _ = probe("conversions:%s,%s" % (ids[3], ids[0]))
    r = ok(steps[0])
    eq([(t["id"], t["state"]) for t in r["tasks"]],
       [(ids[3], "cancelling"), (ids[0], "completed")], "named tasks")


@suite.test
def test_bad_unknown_conversion_task_not_found():
    AWS.control({"reset": True})
    steps, _, _, _ = probe("conversions:import-vol-0000dead")
    r = steps[0]
    eq((r["ok"], r["kind"], r["error"], r["error_code"], r["code"]),
       (False, "service", "NotFound", "InvalidConversionTaskId", -6),
       "unknown task")
    eq(r["requests"], 1, "not retried")


@suite.test
def test_instances_read_in_pages_counted_exactly():
    AWS.control({"reset": True, "preload": {"instances": 21}})
    seq = AWS.last_seq()
    steps, _, _, _ = probe("instances", opts=["--page-size", "5"])
    r = ok(steps[0])
    eq(r["pages"], [5, 5, 5, 5, 3], "page sizes")
    eq(len(r["instances"]), 23, "instances read")
    eq(len({i["id"] for i in r["instances"]}), 23, "distinct instance ids")
    sent = sent_actions(seq, "DescribeInstances")
    eq(len(sent), 5, "requests for the pages")
    eq([x["params"].get("MaxResults") for x in sent], ["5"] * 5,
       "page size asked")
    check("NextToken" not in sent[0]["params"] and
          all("NextToken" in x["params"] for x in sent[1:]),
          "tokens sent: %r", [x["params"] for x in sent])
    fifth = r["instances"][4]
    eq((fifth["state"], fifth["name"], fifth["private_ip"], fifth["type"],
        fifth["zone"], fifth["launch_time"]),
       ("stopped", "migrated-vm-5", "10.0.0.8", "t3.medium", "us-east-1a",
        "2030-01-01T00:04:00Z"), "fifth instance")
    check(fifth["id"].startswith("i-") and
          fifth["image_id"].startswith("ami-"), "ids %r", fifth)
    eq([i["state"] for i in r["instances"]].count("stopped"), 4,
       "stopped instances")


@suite.test
def test_import_image_creates_task_seen_by_describe_and_control():
    AWS.control({"reset": True})
    seq = AWS.last_seq()
    steps, _, _, _ = probe(
        "import:connector-imports/vms/vm-42.vmdk", "tasks",
        opts=["--description", "vm-42 from vCenter", "--role-name",
              "connector-import", "--license-type", "BYOL",
              "--platform", "Linux", "--format", "vmdk"])
    tid = ok(steps[0])["task_id"]
    check(tid.startswith("import-ami-"), "task id %r", tid)
    eq(ok(steps[1])["ids"], [tid], "tasks described afterwards")
    made = AWS.control()["import_tasks_created"]
    eq(len(made), 1, "tasks the double made")
    m = made[0]
    eq((m["importTaskId"], m["description"], m["roleName"],
        m["licenseType"], m["platform"], m["status"]),
       (tid, "vm-42 from vCenter", "connector-import", "BYOL", "Linux",
        "active"), "task made")
    eq([(d["format"], d["bucket"], d["key"]) for d in m["disks"]],
       [("VMDK", "connector-imports", "vms/vm-42.vmdk")], "disk")
    sent = sent_actions(seq, "ImportImage")
    eq(len(sent), 1, "ImportImage requests")
    token = sent[0]["params"].get("ClientToken", "")
    check(len(token) == 32 and all(c in "0123456789abcdef" for c in token),
          "a random client token is sent: %r", token)


@suite.test
def test_import_image_client_token_makes_it_idempotent():
    AWS.control({"reset": True})
    opts = ["--client-token", "vm-42-import-1"]
    a, _, _, _ = probe("import:connector-imports/vm-42.vmdk", opts=opts)
    b, _, _, _ = probe("import:connector-imports/vm-42.vmdk", opts=opts)
    c, _, _, _ = probe("import:connector-imports/vm-42.vmdk")
    eq(ok(a[0])["task_id"], ok(b[0])["task_id"], "same token, same task")
    check(ok(c[0])["task_id"] != a[0]["task_id"],
          "no token: a new task")
    eq(len(AWS.control()["import_tasks_created"]), 2, "tasks the double made")


@suite.test
def test_bad_import_limit_reached_is_mapped_error():
    AWS.control({"reset": True, "import_limit": 1})
    seq = AWS.last_seq()
    try:
        steps, _, _, _ = probe("import:connector-imports/a.vmdk",
                               "import:connector-imports/b.vmdk")
        seen = len(AWS.requests(seq))
    finally:
        AWS.control({"reset": True})
    ok(steps[0])
    r = steps[1]
    eq((r["ok"], r["kind"], r["error"], r["error_code"], r["code"],
        r["status"]),
       (False, "service", "ResourceCountLimitExceeded",
        "ResourceCountLimitExceeded", -10, 400), "second import")
    eq(r["requests"], 1, "a limit is not retried")
    eq(seen, 2, "requests the double saw")


@suite.test
def test_bad_inputs_refused_before_any_request():
    AWS.control({"reset": True})
    seq = AWS.last_seq()
    good = "import:connector-imports/vm.vmdk"
    cases = [
        (["--format", "QCOW2"], good),
        (["--format", ""], good),
        (["--format", "VHDX"], good),
        ([], "import:Bad_Bucket/vm.vmdk"),
        ([], "import:ab/vm.vmdk"),
        ([], "import:connector-imports/../other/vm.vmdk"),
        ([], "import:connector-imports/a/./vm.vmdk"),
        ([], "import:connector-imports//vm.vmdk"),
        ([], "import:connector-imports/"),
        ([], "import:connector-imports/vm\udcff.vmdk"),
        (["--description", "d" * 256], good),
        (["--description", "line\x01break"], good),
        (["--role-name", "bad role"], good),
        (["--role-name", "r" * 65], good),
        (["--role-name", ""], good),
        (["--license-type", "GPL"], good),
        (["--license-type", "byol"], good),
        (["--platform", "macOS"], good),
        (["--client-token", "t" * 65], good),
        (["--client-token", "with space"], good),
        (["--page-size", "3"], "instances"),
        (["--page-size", "1001"], "instances"),
        (["--page-size", "-1"], "conversions"),
        ([], "conversions:BAD ID"),
        ([], "conversions:" + ",".join(
            "import-vol-%08x" % i for i in range(101))),
    ]
    for opts, step in cases:
        steps, _, _, _ = probe(step, opts=opts)
        r = steps[0]
        eq((r["ok"], r["code"], r["requests"]), (False, -4, 0),
           "%s %r" % (step[:40], opts))
    eq(len(AWS.requests(seq)), 0, "requests the double saw")
    eq(AWS.control()["import_tasks_created"], [], "tasks the double made")
    # The longest accepted values do go out.
    steps, _, _, _ = probe(good, opts=[
        "--description", "d" * 255, "--role-name", "r" * 64,
        "--client-token", "t" * 64, "--format", "ova"])
    ok(steps[0])


LOOP_CASES = (("tasks", "DescribeImportImageTasks"),
              ("conversions", "DescribeConversionTasks"),
              ("instances", "DescribeInstances"))


@suite.test
def test_bad_page_tokens_in_a_cycle_stop_the_walk():
    for step, action in LOOP_CASES:
        Canned.reset({"": "A", "A": "B", "B": "C", "C": "A"})
        steps, _, err, _ = probe(step, opts=["--page-size", "5"],
                                 **S["canned_args"])
        r = steps[0]
        eq((r["ok"], r["kind"], r["code"]), (False, "protocol", -2), step)
        check("loop" in r["message"] and "page 4" in r["message"] and
              "page 1" in r["message"], "message %r", r["message"])
        eq([c for c in Canned.calls], [(action, t) for t in
                                       ("", "A", "B", "C")],
           "requests the peer saw for %s" % step)
        eq(r["pages"], [1, 1, 1, 1], "pages delivered for %s" % step)
        check("loop" in err, "the loop is logged: %r", err[-300:])


@suite.test
def test_bad_page_token_repeated_at_once_stops_the_walk():
    for step, action in LOOP_CASES:
        Canned.reset({"": "A", "A": "A"})
        steps, _, _, _ = probe(step, **S["canned_args"])
        r = steps[0]
        eq((r["ok"], r["kind"]), (False, "protocol"), step)
        check("loop" in r["message"], "message %r", r["message"])
        eq(Canned.calls, [(action, ""), (action, "A")],
           "requests the peer saw for %s" % step)


@suite.test
def test_canned_pages_without_a_cycle_are_all_read():
    # The same peer with tokens that do not come back: the walk ends.
    for step, action in LOOP_CASES:
        Canned.reset({"": "A", "A": "B", "B": "C"})
        steps, _, _, _ = probe(step, **S["canned_args"])
        eq(ok(steps[0])["pages"], [1, 1, 1, 1], step)
        eq(len(Canned.calls), 4, "requests for %s" % step)


EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"


class Canned(http.server.BaseHTTPRequestHandler):
    """An EC2 peer with fixed answers of one item a page, whose next page
    tokens follow the table `nexts` (token sent -> token answered)."""
    protocol_version = "HTTP/1.1"
    nexts = {}
    calls = []
    lock = threading.Lock()

    @classmethod
    def reset(cls, nexts):
        with cls.lock:
            cls.nexts, cls.calls = nexts, []

    def log_message(self, *a):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        form = dict(urllib.parse.parse_qsl(body.decode()))
        action, token = form.get("Action"), form.get("NextToken", "")
        cls = type(self)
        with cls.lock:
            n = len(cls.calls)
            cls.calls.append((action, token))
            nxt = cls.nexts.get(token)
        item = {
            "DescribeImportImageTasks": (
                "importImageTaskSet", "<importTaskId>import-ami-%08x"
                "</importTaskId><status>active</status>" % n),
            "DescribeConversionTasks": (
                "conversionTasks", "<conversionTaskId>import-vol-%08x"
                "</conversionTaskId><state>active</state>" % n),
            "DescribeInstances": (
                "reservationSet", "<reservationId>r-%08x</reservationId>"
                "<instancesSet><item><instanceId>i-%08x</instanceId>"
                "</item></instancesSet>" % (n, n)),
        }.get(action)
        if item is None:
            data = b"<Response><Errors><Error><Code>InvalidAction</Code>" \
                b"</Error></Errors></Response>"
            status = 400
        else:
            data = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                    '<%sResponse xmlns="%s"><requestId>r</requestId>'
                    '<%s><item>%s</item></%s>%s</%sResponse>' % (
                        action, EC2_NS, item[0], item[1], item[0],
                        "<nextToken>%s</nextToken>" % nxt if nxt else "",
                        action)).encode()
            status = 200
        self.send_response(status)
        self.send_header("Content-Type", "text/xml;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def setup():
    S["dir"] = tempfile.mkdtemp(prefix="aws-canned-")
    S["srv"] = canned_server(S["dir"], Canned)
    S["canned_args"] = {
        "endpoint": "https://127.0.0.1:%d" % S["srv"].server_address[1],
        "ca": S["dir"] + "/canned.pem"}
    S["info"] = AWS.start().info


def teardown():
    if "srv" in S:
        S["srv"].shutdown()
    shutil.rmtree(S.get("dir", "/nonexistent"), ignore_errors=True)
    AWS.stop()


if __name__ == "__main__":
    suite.run(setup, teardown)
