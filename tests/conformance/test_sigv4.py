#!/usr/bin/env python3
"""Holds the connector's SigV4 verifier (lib/sigv4.c, run through
build/tests/sigv4-check) to AWS's own signers: the AWS CLI's (botocore's
SigV4Auth, the library /usr/bin/aws runs) and the AWS SDK's
(@smithy/signature-v4, through the AWS double's /_control/sign).

Over a set of requests — paths with dot segments, empty segments and
escapes; queries out of order, repeated, empty, with escapes; header sets
with and without a content type, a payload hash or extra headers with runs
of spaces; JSON, binary and empty bodies — each signer's signature is
accepted, the verifier rebuilds the very canonical request botocore signed,
and the same request with one byte changed (body, a signed header, the
query, the path) is refused as a signature mismatch.

Prints "PASS name" / "FAIL name: why" lines; exits 1 when any test failed.
"""
import base64
import datetime
import hashlib
import json
import os
import ssl
import subprocess
import sys
import urllib.request
from unittest import mock

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from harness import AwsDouble  # noqa: E402

CHECK = os.path.join(ROOT, "build", "tests", "sigv4-check")
KEY, SECRET = "AMPKEYTESTCONNECTOR1", "amp-test-secret-0001-abcdef"
REGION, SERVICE = "us-east-1", "connector"
HOST = "127.0.0.1:8443"
BODY = b'{"username":"CORP\\\\alice","password":"p\xc3\xa9 \\"q\\""}'

# (name, method, path and query as sent, extra headers, body)
CASES = [
    ("token", "POST", "/authproxy/token",
     {"Content-Type": "application/json"}, BODY),
    ("empty_body", "GET", "/authproxy/token", {}, b""),
    ("root_path", "GET", "/", {}, b""),
    ("dot_segments", "GET", "/a/./b/../c/", {}, b""),
    ("empty_segments", "GET", "/a//b///c", {}, b""),
    ("escaped_path", "GET", "/x%20y/%C3%A9/~user", {}, b""),
    ("query_out_of_order", "GET", "/q?b=2&a=1&c=3", {}, b""),
    ("query_repeated", "GET", "/q?a=2&a=1&a=10", {}, b""),
    ("query_empty_values", "GET", "/q?flag=&x=", {}, b""),
    ("query_escapes", "GET", "/q?path=%2Fa%2Fb&sp=a%20b&plus=a%2Bb", {},
     b""),
    ("query_unicode", "GET", "/q?n=%C3%A9t%C3%A9", {}, b""),
    ("payload_hash_header", "PUT", "/object",
     {"Content-Type": "application/octet-stream",
      "X-Amz-Content-SHA256": hashlib.sha256(b"\x00\x01\xff").hexdigest()},
     b"\x00\x01\xff"),
    ("extra_headers_spaces", "POST", "/authproxy/token",
     {"Content-Type": "application/json",
      "X-Portal-Request-Id": "  id   with   runs  ",
      "X-Portal-Client": "portal/1.0"}, BODY),
    ("binary_body", "POST", "/upload",
     {"Content-Type": "application/octet-stream"},
     bytes(range(256)) * 4),
    ("query_and_body", "POST", "/authproxy/token?v=1",
     {"Content-Type": "application/json"}, BODY),
]

failures = 0


def report(name, ok, why=""):
    global failures
    if ok:
        print("PASS %s" % name, flush=True)
    else:
        failures += 1
        print("FAIL %s: %s" % (name, str(why)[:500]), flush=True)


def verify(reqs):
    """sigv4-check over reqs (dicts); its answers, in order."""
    lines = []
    for r in reqs:
        lines.append(json.dumps({
            "method": r["method"], "uri": r["uri"],
            "headers": [[k, v] for k, v in r["headers"]],
            "body_base64": base64.b64encode(r["body"]).decode(),
            "key_id": KEY, "secret": SECRET, "region": REGION,
            "service": SERVICE, "now": r["now"]}))
    p = subprocess.run([CHECK], input="\n".join(lines) + "\n",
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError("sigv4-check: %s" % p.stderr)
    return [json.loads(l) for l in p.stdout.splitlines()]


def amz_now(r):
    for k, v in r["headers"]:
        if k.lower() == "x-amz-date":
            t = datetime.datetime.strptime(v, "%Y%m%dT%H%M%SZ")
            return int(t.replace(tzinfo=datetime.timezone.utc).timestamp())
    return 0


# ---- the AWS CLI's signer ----

FIXED = datetime.datetime(2026, 12, 2, 10, 15, 0)


def botocore_sign(method, uri, headers, body):
    """(request, botocore's own canonical request) signed by botocore."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    req = AWSRequest(method=method, url="https://%s%s" % (HOST, uri),
                     headers=dict(headers), data=body)
    auth = SigV4Auth(Credentials(KEY, SECRET), SERVICE, REGION)
    with mock.patch("botocore.auth.get_current_datetime",
                    return_value=FIXED):
        auth.add_auth(req)
    canon = None
    signed = [(k, v if isinstance(v, str) else v.decode())
              for k, v in req.headers.items()]
    # The canonical request botocore signed, without the Authorization it
    # has since added.
    bare = AWSRequest(method=method, url=req.url, data=body,
                      headers={k: v for k, v in signed
                               if k.lower() != "authorization"})
    bare.context["timestamp"] = FIXED.strftime("%Y%m%dT%H%M%SZ")
    canon = auth.canonical_request(bare)
    r = {"method": method, "uri": uri, "body": body,
         "headers": [("Host", HOST)] + signed}
    r["now"] = amz_now(r)
    return r, canon


# ---- the AWS SDK's signer (the double's) ----

def smithy_sign(double, method, uri, headers, body):
    ctx = ssl.create_default_context(cafile=double.info["ca"])
    d = {"url": "https://%s%s" % (HOST, uri), "method": method,
         "headers": {k: v for k, v in headers.items()},
         "body_base64": base64.b64encode(body).decode(), "key_id": KEY,
         "secret": SECRET, "region": REGION, "service": SERVICE}
    req = urllib.request.Request(
        double.info["url"] + "/_control/sign", data=json.dumps(d).encode(),
        method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, context=ctx, timeout=30) as resp:
        h = json.loads(resp.read())["headers"]
    r = {"method": method, "uri": uri, "body": body,
         "headers": list(h.items())}
    r["now"] = amz_now(r)
    return r


# ---- changes after signing ----

def changed(r, what):
    """r with one byte changed in what (body, header, query, path)."""
    r = dict(r, headers=list(r["headers"]))
    if what == "body":
        b = bytearray(r["body"] or b"x")
        b[len(b) // 2] ^= 1
        r["body"] = bytes(b)
    elif what == "header":
        for i, (k, v) in enumerate(r["headers"]):
            if k.lower() == "host":
                r["headers"][i] = (k, v.replace("8443", "8444"))
    elif what == "query":
        r["uri"] += ("&" if "?" in r["uri"] else "?") + "z=1"
    elif what == "path":
        r["uri"] = r["uri"].replace("/", "/x", 1)
    return r


def main():
    if not os.access(CHECK, os.X_OK):
        report("sigv4_check_built", False, "make unit builds " + CHECK)
        return 1
    import botocore
    cli = subprocess.run(["aws", "--version"], capture_output=True,
                         text=True).stdout + subprocess.run(
        ["aws", "--version"], capture_output=True, text=True).stderr
    report("botocore_is_the_aws_clis", "botocore/%s" % botocore.__version__
           in cli, "aws --version says %r, python has botocore %s" % (
               cli.strip(), botocore.__version__))
    double = AwsDouble().start()
    try:
        signed, canons = [], []
        for name, method, uri, headers, body in CASES:
            r, canon = botocore_sign(method, uri, headers, body)
            signed.append(("botocore_" + name, r))
            canons.append(canon)
            signed.append(("smithy_" + name, smithy_sign(
                double, method, uri, headers, body)))
        answers = verify([r for _, r in signed])
        for (name, r), a in zip(signed, answers):
            report("accepts_%s" % name, a["ok"], a)
        for i, canon in enumerate(canons):
            a = answers[2 * i]
            report("same_canonical_request_botocore_%s" % CASES[i][0],
                   a.get("canonical") == canon,
                   "verifier %r, botocore %r" % (a.get("canonical"), canon))
        tampered = []
        for name, r in signed:
            for what in ("body", "header", "query", "path"):
                tampered.append(("refuses_%s_%s_changed" % (name, what),
                                 changed(r, what)))
        answers = verify([r for _, r in tampered])
        for (name, r), a in zip(tampered, answers):
            want = "body does not match its hash" if (
                "payload_hash" in name and "body_changed" in name) else \
                "signature does not match"
            report(name, not a["ok"] and a["why"] == want, a)
    finally:
        double.stop()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
