#!/usr/bin/env python3
"""A small HTTP CONNECT proxy for the tests: optional basic credentials,
and a log of what it tunnelled.

    tests/peers/proxy.py [--port N] [--user U --password P]

Prints one JSON line {"host": "127.0.0.1", "port": N} when it listens,
then one JSON line per CONNECT it handles:
{"target": "host:port", "auth": "user" | null, "status": 200 | 407 | 502}.
Stops on SIGTERM or SIGINT.
"""
import argparse
import base64
import json
import select
import signal
import socket
import sys
import threading


def relay(a, b):
    """Copy bytes both ways until either side closes."""
    socks = [a, b]
    try:
        while True:
            r, _, _ = select.select(socks, [], [], 60)
            if not r:
                return
            for s in r:
                data = s.recv(65536)
                if not data:
                    return
                (b if s is a else a).sendall(data)
    except OSError:
        return


def handle(conn, user, password, lock):
    target, auth, status = None, None, 400
    upstream = None
    try:
        conn.settimeout(10)
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = conn.recv(4096)
            if not chunk:
                return
            head += chunk
            if len(head) > 16384:
                return
        lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        if method != "CONNECT":
            status = 405
            conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
            return
        cred = headers.get("proxy-authorization", "")
        if cred.lower().startswith("basic "):
            try:
                u, _, p = base64.b64decode(cred[6:]).decode().partition(":")
                auth = u if (u, p) == (user, password) else "wrong:" + u
            except ValueError:
                auth = "malformed"
        if user is not None and auth != user:
            status = 407
            conn.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                         b"Proxy-Authenticate: Basic realm=\"test\"\r\n"
                         b"Content-Length: 0\r\n\r\n")
            return
        host, _, port = target.rpartition(":")
        try:
            upstream = socket.create_connection((host.strip("[]"), int(port)),
                                                timeout=10)
        except (OSError, ValueError):
            status = 502
            conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\n\r\n")
            return
        status = 200
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        conn.settimeout(None)
        upstream.settimeout(None)
        relay(conn, upstream)
    except (OSError, ValueError):
        pass
    finally:
        with lock:
            print(json.dumps({"target": target, "auth": auth,
                              "status": status}), flush=True)
        conn.close()
        if upstream:
            upstream.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--user")
    ap.add_argument("--password")
    a = ap.parse_args()
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", a.port))
    srv.listen(64)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(json.dumps({"host": "127.0.0.1", "port": srv.getsockname()[1]}),
          flush=True)
    lock = threading.Lock()
    try:
        while True:
            conn, _ = srv.accept()
            threading.Thread(target=handle, daemon=True,
                             args=(conn, a.user, a.password, lock)).start()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
