"""lib/http against real peers: a TLS server with a test CA, a server that
hangs, a CONNECT proxy with credentials.  Driven through build/tests/http-probe,
which makes one request (or several on one connection) and prints JSON."""
import hashlib
import http.server
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "e2e"))
from harness import Suite, check, eq  # noqa: E402

PROBE = os.path.join(TOP, "build", "tests", "http-probe")
suite = Suite()
S = {}


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def make_pki(d):
    """A test CA, a leaf for 127.0.0.1/localhost and one for another name."""
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
            "-subj", "/CN=Test CA", "-keyout", d + "/ca.key",
            "-out", d + "/ca.pem")
    for name, san in (("leaf", "IP:127.0.0.1,DNS:localhost"),
                      ("other", "DNS:other.example")):
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-subj", "/CN=" + name, "-keyout",
                "%s/%s.key" % (d, name), "-out", "%s/%s.csr" % (d, name))
        with open("%s/%s.ext" % (d, name), "w") as f:
            f.write("subjectAltName=%s\n" % san)
        openssl("x509", "-req", "-in", "%s/%s.csr" % (d, name), "-CA",
                d + "/ca.pem", "-CAkey", d + "/ca.key", "-CAcreateserial",
                "-days", "2", "-extfile", "%s/%s.ext" % (d, name),
                "-out", "%s/%s.pem" % (d, name))


def thumbprint(pem_path):
    der = ssl.PEM_cert_to_DER_cert(open(pem_path).read())
    h = hashlib.sha256(der).hexdigest().upper()
    return ":".join(h[i:i + 2] for i in range(0, 64, 2))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        if self.path == "/ok":
            body, status = b"hello", 200
        elif self.path == "/big":
            body, status = b"x" * (1 << 20), 200
        elif self.path == "/status/503":
            body, status = b"busy", 503
        else:
            body, status = b"no", 404
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass    # clients that hang up early (size caps) are expected here


def tls_server(cert, key):
    srv = QuietServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def hang_server():
    """Accepts connections and never answers."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    held = []

    def loop():
        while True:
            try:
                held.append(s.accept()[0])
            except OSError:
                return
    threading.Thread(target=loop, daemon=True).start()
    return s


def probe(*args, url=None):
    p = subprocess.run([PROBE, *args, url], capture_output=True, text=True,
                       timeout=60)
    out = json.loads(p.stdout)
    return out["runs"], p.stderr


def url(path, port=None, host="127.0.0.1"):
    return "https://%s:%d%s" % (host, port or S["port"], path)


def start_proxy(*args):
    p = subprocess.Popen([sys.executable, os.path.join(TOP, "tests", "peers",
                                                       "proxy.py"), *args],
                         stdout=subprocess.PIPE, text=True)
    info = json.loads(p.stdout.readline())
    return p, info["port"]


def proxy_log(p):
    p.terminate()
    out, _ = p.communicate(timeout=10)
    return [json.loads(line) for line in out.splitlines() if line.strip()]


@suite.test
def test_ok_with_ca_bundle():
    runs, _ = probe("--ca", S["dir"] + "/ca.pem", url=url("/ok"))
    r = runs[0]
    check(r["ok"], "request failed: %r", r)
    eq(r["status"], 200, "status")
    eq(r["body"], "hello", "body")
    eq(r["thumbprint"], thumbprint(S["dir"] + "/leaf.pem"), "peer thumbprint")
    check(r["date"], "Date header kept")


@suite.test
def test_stage_timings_recorded():
    r = probe("--ca", S["dir"] + "/ca.pem", url=url("/ok"))[0][0]
    t = r["timing"]
    check(0 < t["connect"] <= t["tls"] <= t["first_byte"] <= t["total"],
          "timings out of order: %r", t)


@suite.test
def test_bad_unknown_ca_is_tls_error():
    r = probe(url=url("/ok"))[0][0]
    check(not r["ok"], "an unknown CA was accepted")
    eq(r["kind"], "TLS", "error kind")
    check(r["describe"].startswith("TLS error at " + url("/ok")),
          "description names kind and endpoint: %r", r["describe"])


@suite.test
def test_bad_name_mismatch_is_tls_error():
    r = probe("--ca", S["dir"] + "/ca.pem",
              url=url("/ok", S["other_port"]))[0][0]
    check(not r["ok"], "a certificate for another name was accepted")
    eq(r["kind"], "TLS", "error kind")


@suite.test
def test_validation_off_passes_and_warns():
    runs, err = probe("--insecure", url=url("/ok"))
    check(runs[0]["ok"], "request failed: %r", runs[0])
    check("validation is off" in err, "no warning logged: %r", err)


@suite.test
def test_bad_validation_off_still_holds_the_pin():
    runs, err = probe("--insecure", "--pin", "AA:" + "00:" * 30 + "00",
                      url=url("/ok"))
    check(not runs[0]["ok"], "a wrong pin passed with validation off")
    eq((runs[0]["kind"], runs[0]["cause"]), ("TLS", "pin"), "error kind")
    check("not the pinned one" in runs[0]["detail"], "detail: %r", runs[0])


@suite.test
def test_validation_off_with_right_pin_passes():
    tp = thumbprint(S["dir"] + "/other.pem")
    runs, _ = probe("--insecure", "--pin", tp, url=url("/ok", S["other_port"]))
    check(runs[0]["ok"], "the pinned certificate was refused: %r", runs[0])


@suite.test
def test_bad_internal_address_refused_before_connecting():
    # 127.0.0.1 serves /ok, but loopback peers are refused by the policy.
    runs, _ = probe("--refuse-internal", url=url("/ok"))
    check(not runs[0]["ok"], "a loopback peer was reached")
    eq((runs[0]["kind"], runs[0]["cause"]), ("connect", "policy"),
       "error kind")
    check("not allowed" in runs[0]["detail"], "detail: %r", runs[0])


@suite.test
def test_bad_link_local_address_refused():
    runs, _ = probe("--refuse-internal", "--allow-loopback",
                    "--connect-timeout-ms", "2000",
                    url="https://169.254.169.254/latest/meta-data/")
    check(not runs[0]["ok"], "a link-local peer was reached")
    eq(runs[0]["cause"], "policy", "error cause")
    check("not allowed" in runs[0]["detail"], "detail: %r", runs[0])


@suite.test
def test_loopback_allowed_when_asked():
    runs, _ = probe("--ca", S["dir"] + "/ca.pem", "--refuse-internal",
                    "--allow-loopback", url=url("/ok"))
    check(runs[0]["ok"], "loopback refused although allowed: %r", runs[0])


@suite.test
def test_pinned_thumbprint_passes_without_ca():
    tp = thumbprint(S["dir"] + "/other.pem")
    r = probe("--pin", tp, url=url("/ok", S["other_port"]))[0][0]
    check(r["ok"], "pinned certificate refused: %r", r)
    eq(r["thumbprint"], tp, "thumbprint")


@suite.test
def test_bad_changed_certificate_fails_pin():
    tp = thumbprint(S["dir"] + "/leaf.pem")   # pinned: leaf; served: other
    r = probe("--pin", tp, "--ca", S["dir"] + "/ca.pem",
              url=url("/ok", S["other_port"]))[0][0]
    check(not r["ok"], "a changed certificate was accepted")
    eq((r["kind"], r["cause"]), ("TLS", "pin"), "error kind")
    check("not the pinned one" in r["detail"], "detail: %r", r["detail"])


@suite.test
def test_bad_connect_refused():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    r = probe(url=url("/ok", port))[0][0]
    eq((r["kind"], r["cause"]), ("connect", ""), "error kind")


@suite.test
def test_bad_hanging_peer_times_out_within_bound():
    t0 = time.monotonic()
    r = probe("--timeout-ms", "1500", url=url("/ok", S["hang_port"]))[0][0]
    took = time.monotonic() - t0
    eq(r["kind"], "timeout", "error kind")
    check(1.3 <= r["elapsed"] <= 3.0, "elapsed %.2f s", r["elapsed"])
    check(took < 10, "the probe took %.1f s", took)


@suite.test
def test_bad_answer_over_cap_refused():
    r = probe("--ca", S["dir"] + "/ca.pem", "--max-response", "1000",
              url=url("/big"))[0][0]
    check(not r["ok"], "an oversized answer was accepted")
    eq(r["kind"], "too large", "error kind")


@suite.test
def test_error_status_passed_to_caller():
    r = probe("--ca", S["dir"] + "/ca.pem", url=url("/status/503"))[0][0]
    check(r["ok"], "transport failed: %r", r)
    eq(r["status"], 503, "status")


@suite.test
def test_connection_reused_and_peer_kept():
    runs, _ = probe("--ca", S["dir"] + "/ca.pem", "--repeat", "3",
                    url=url("/ok"))
    eq([r["ok"] for r in runs], [True] * 3, "all requests")
    check(runs[0]["timing"]["connect"] > 0, "first request connects")
    eq([r["timing"]["connect"] for r in runs[1:]], [0, 0],
       "later requests reuse the connection")
    eq({r["thumbprint"] for r in runs},
       {thumbprint(S["dir"] + "/leaf.pem")}, "thumbprint on every answer")


@suite.test
def test_proxy_used_and_credentials_sent():
    p, port = start_proxy("--user", "proxyuser", "--password", "s3cret pw")
    r = probe("--ca", S["dir"] + "/ca.pem", "--proxy", "127.0.0.1:%d" % port,
              "--proxy-user", "proxyuser", "--proxy-password", "s3cret pw",
              url=url("/ok"))[0][0]
    log = proxy_log(p)
    check(r["ok"], "request through the proxy failed: %r", r)
    eq([(e["target"], e["auth"], e["status"]) for e in log],
       [("127.0.0.1:%d" % S["port"], "proxyuser", 200)], "proxy log")


@suite.test
def test_bad_proxy_credentials_refused():
    p, port = start_proxy("--user", "proxyuser", "--password", "right")
    r = probe("--ca", S["dir"] + "/ca.pem", "--proxy", "127.0.0.1:%d" % port,
              "--proxy-user", "proxyuser", "--proxy-password", "wrong",
              url=url("/ok"))[0][0]
    proxy_log(p)
    check(not r["ok"], "wrong proxy credentials accepted")
    eq((r["kind"], r["cause"]), ("proxy", "proxy auth"), "error kind")
    check("407" in r["detail"], "detail: %r", r["detail"])


@suite.test
def test_bad_proxy_down_is_proxy_error():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    r = probe("--ca", S["dir"] + "/ca.pem", "--proxy", "127.0.0.1:%d" % port,
              url=url("/ok"))[0][0]
    eq(r["kind"], "proxy", "error kind")


@suite.test
def test_no_proxy_list_bypasses_proxy():
    p, port = start_proxy()
    r = probe("--ca", S["dir"] + "/ca.pem", "--proxy", "127.0.0.1:%d" % port,
              "--no-proxy", "127.0.0.1", url=url("/ok"))[0][0]
    log = proxy_log(p)
    check(r["ok"], "request failed: %r", r)
    eq(log, [], "proxy log")


def setup():
    S["dir"] = tempfile.mkdtemp(prefix="http-")
    make_pki(S["dir"])
    S["srv"] = tls_server(S["dir"] + "/leaf.pem", S["dir"] + "/leaf.key")
    S["port"] = S["srv"].server_address[1]
    S["other"] = tls_server(S["dir"] + "/other.pem", S["dir"] + "/other.key")
    S["other_port"] = S["other"].server_address[1]
    S["hang"] = hang_server()
    S["hang_port"] = S["hang"].getsockname()[1]


def teardown():
    for k in ("srv", "other"):
        if k in S:
            S[k].shutdown()
    if "hang" in S:
        S["hang"].close()
    shutil.rmtree(S.get("dir", "/nonexistent"), ignore_errors=True)


if __name__ == "__main__":
    suite.run(setup, teardown)
