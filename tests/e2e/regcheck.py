"""Checks shared by the registration input and secret tests: what a form
page answered (the error beside a field, the error page, the value shown
back), the draft rows, a listening trap that counts connections, the AWS
double's recorded requests, and the test proxy with its log.

Standard library only; builds on harness.py and regflow.py."""
import html
import json
import os
import re
import socket
import subprocess
import sys
import threading
import urllib.parse
import urllib.request

from harness import TOP, stop_process, wait_for
from regflow import state

PROXY = os.path.join(TOP, "tests", "peers", "proxy.py")
PORTAL_PROBE = os.path.join(TOP, "build", "tests", "portal-probe")


# ---- what a page says ----

def field_errors(r):
    """field name -> the sentence shown beside it."""
    return {k: html.unescape(v).strip() for k, v in re.findall(
        r'<p class="error" id="([A-Za-z0-9_]+)-error">([^<]*)</p>', r.text)}


def notice(r):
    """The sentence of the notice at the top of a form ("Not saved." or
    "Not changed."), or None."""
    m = re.search(r'<strong>Not (?:saved|changed)\.</strong>\s*([^<]*)<',
                  r.text)
    return html.unescape(m.group(1)).strip() if m else None


def page_error(r):
    """(status, message) of an error page, or None when r is not one."""
    m = re.search(r'<p class="state error">.*?Error (\d+)\.(.*?)</p>',
                  r.text, re.S)
    if not m:
        return None
    return int(m.group(1)), html.unescape(m.group(2)).strip()


def shown_value(r, field):
    """The value attribute of the input called field, unescaped, or None."""
    m = re.search(r'name="%s" value="([^"]*)"' % re.escape(field), r.text)
    return html.unescape(m.group(1)) if m else None


def escaped_forms(value):
    """The ways value could appear in a page (raw and HTML-escaped)."""
    forms = {value, html.escape(value, quote=False),
             html.escape(value, quote=True),
             html.escape(value, quote=True).replace("&#x27;", "&#39;")}
    return {f for f in forms if f}


def appears(text, value):
    """True when value appears in text raw or HTML-escaped."""
    return any(f in text for f in escaped_forms(value))


def unescaped_markup(text, value):
    """True when value holds markup characters and appears raw in text."""
    return any(ch in value for ch in "<>\"'") and value in text


# ---- the database ----

def draft_rows(inst):
    """The wizard's draft: its settings and sealed secrets."""
    settings = inst.sql("SELECT name, value FROM settings WHERE name LIKE "
                        "'draft.%' OR name = 'wizard.started' ORDER BY name")
    secrets = inst.sql("SELECT name, key_id, hex(nonce), hex(sealed) FROM "
                       "secrets WHERE name LIKE 'draft.%' ORDER BY name")
    return settings, secrets


def snapshot(inst):
    """Everything stored that a refused attempt must leave alone."""
    live_settings, live_secrets = state(inst)
    live_secrets = inst.sql("SELECT name, key_id, hex(nonce), hex(sealed) "
                            "FROM secrets WHERE name NOT LIKE 'draft.%' "
                            "ORDER BY name")
    return live_settings, live_secrets, draft_rows(inst)


def snapshot_diff(a, b):
    """A short description of what differs between two snapshots."""
    out = []
    for what, x, y in (("settings", a[0], b[0]), ("secrets", a[1], b[1]),
                       ("draft settings", a[2][0], b[2][0]),
                       ("draft secrets", a[2][1], b[2][1])):
        if x != y:
            gone = [r[0] for r in x if r not in y]
            new = [r[0] for r in y if r not in x]
            out.append("%s changed (before only: %s; after only: %s)" %
                       (what, gone, new))
    return "; ".join(out)


# ---- a trap: a listening socket nobody should connect to ----

class Trap:
    """Listens on host:free port and counts the connections it accepts
    (each is closed at once)."""

    def __init__(self, host="127.0.0.9"):
        self.host = host
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.count = 0
        self.lock = threading.Lock()
        self.stopped = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.count += 1
            conn.close()

    @property
    def hostport(self):
        return "%s:%d" % (self.host, self.port)

    def seen(self):
        with self.lock:
            return self.count

    def stop(self):
        self.stopped = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


# ---- the AWS double's record ----

def aws_requests(aws, since=0):
    """The requests the AWS double recorded after sequence number since."""
    return aws.requests(since)


def aws_mark(aws):
    """The sequence number of the last request the double recorded."""
    return aws.last_seq()


# ---- the test proxy ----

class Proxy:
    """tests/peers/proxy.py with basic credentials; log holds one dict per
    CONNECT it handled."""

    def __init__(self, user=None, password=None, port=None):
        args = [sys.executable, PROXY]
        if port is not None:
            args += ["--port", str(port)]
        if user is not None:
            args += ["--user", user, "--password", password]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, text=True,
                                     start_new_session=True)
        info = json.loads(self.proc.stdout.readline())
        self.host, self.port = info["host"], info["port"]
        self.log = []
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                d = json.loads(line)
            except ValueError:
                continue
            with self.lock:
                self.log.append(d)

    def mark(self):
        with self.lock:
            return len(self.log)

    def since(self, mark, settle=0.3):
        """The CONNECTs logged after mark (a line is written when the
        tunnel ends, so wait a little for late ones)."""
        wait_for(lambda: False, settle)
        with self.lock:
            return list(self.log[mark:])

    def stop(self):
        stop_process(self.proc)


# ---- request bodies ----

class Raw(bytes):
    """A value put into a urlencoded body as it is, not percent-encoded."""


def urlencoded(pairs):
    """A urlencoded body of pairs; Raw values go in unescaped, bytes and
    str values are percent-encoded."""
    out = []
    for k, v in pairs:
        if isinstance(v, Raw):
            enc = bytes(v)
        else:
            enc = urllib.parse.quote_plus(v).encode()
        out.append(urllib.parse.quote_plus(k).encode() + b"=" + enc)
    return b"&".join(out)
