"""Crash safety of the credential store (lib/secret) through
build/tests/secret-tool: a key rotation killed with SIGKILL at every call
that writes, syncs, renames or removes a file (build/tests/crashpoint.so
counts them and kills at the chosen one), and rotations of a large store
killed from outside at random moments.  After each crash, `recover` must
leave every secret readable with exactly one key file, and a new rotation
must work.  No console instance: each run works on a copy of a prepared
temporary root."""
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from harness import TOP, Suite, check, eq  # noqa: E402

TOOL = os.path.join(TOP, "build", "tests", "secret-tool")
CRASHLIB = os.path.join(TOP, "build", "tests", "crashpoint.so")
SMALL = 40
LARGE = 2000
EXTERNAL_RUNS = 12
KEYS = os.path.join("var", "lib", "connector", "keys")

suite = Suite()
S = {}


def tool(root, *args, crash=None, count_file=None, data=None, timeout=120):
    """Run secret-tool on root; crash=N kills it at the Nth point."""
    env = dict(os.environ)
    for k in ("CRASHPOINT", "CRASHPOINT_COUNT", "LD_PRELOAD"):
        env.pop(k, None)
    env["CONNECTOR_ROOT"] = root
    if crash is not None or count_file is not None:
        env["LD_PRELOAD"] = CRASHLIB
    if crash is not None:
        env["CRASHPOINT"] = str(crash)
    if count_file is not None:
        env["CRASHPOINT_COUNT"] = count_file
    return subprocess.run([TOOL, *args], env=env, input=data or b"",
                          capture_output=True, timeout=timeout)


def ok(p, what):
    """p exited 0; its stdout as text."""
    eq(p.returncode, 0, "%s status (%s)" % (
        what, p.stderr.decode(errors="replace")[-400:]))
    return p.stdout.decode().strip()


def clone(template):
    """A fresh copy of a prepared root (modes kept)."""
    dst = tempfile.mkdtemp(prefix="secret-crash-", dir=S["dir"])
    os.rmdir(dst)
    shutil.copytree(template, dst, symlinks=True)
    return dst


def key_files(root):
    return sorted(os.listdir(os.path.join(root, KEYS)))


def count_points(template, *args, data=None):
    """The number of crash points of one run of secret-tool args."""
    root = clone(template)
    try:
        cf = os.path.join(root, "points")
        ok(tool(root, *args, count_file=cf, data=data), " ".join(args))
        with open(cf) as f:
            return int(f.read())
    finally:
        shutil.rmtree(root, ignore_errors=True)


def killed_at(p, n, what):
    """p died of SIGKILL at point n of the crash-point library."""
    eq(p.returncode, -signal.SIGKILL, "%s at point %d: exit status (%s)" % (
        what, n, p.stderr.decode(errors="replace")[-300:]))
    err = p.stderr.decode(errors="replace")
    check("crashpoint: SIGKILL at call %d (" % n in err,
          "%s at point %d: not killed by the crash point: %s", what, n,
          err[-300:])
    return err.split("crashpoint: SIGKILL at call %d (" % n)[1].split(")")[0]


def recovered(root, count, what):
    """recover, then every known secret reads and one key file is left;
    then a new rotation works and changes the key.  The key in use after
    recovery."""
    ok(tool(root, "recover"), what + ": recover")
    ok(tool(root, "check", str(count)), what + ": check after recover")
    before = ok(tool(root, "key"), what + ": key")
    after = ok(tool(root, "rotate"), what + ": rotate again")
    check(after and after != before, "%s: rotate again kept the key %s",
          what, before)
    ok(tool(root, "check", str(count)), what + ": check after rotate")
    eq(key_files(root), [after + ".key"], what + ": key files")
    return before


# ---- the checker itself must see damage ----

@suite.test
def test_check_bad_wrong_value_detected():
    root = clone(S["small"])
    try:
        ok(tool(root, "put", "s.000003", data=b"another value"), "put")
        p = tool(root, "check", str(SMALL))
        eq(p.returncode, 1, "check status")
        check(b"s.000003: wrong value" in p.stderr, "check output: %r",
              p.stderr[-300:])
    finally:
        shutil.rmtree(root, ignore_errors=True)


@suite.test
def test_check_bad_extra_key_file_detected():
    root = clone(S["small"])
    try:
        keys = os.path.join(root, KEYS)
        cur = key_files(root)[0]
        shutil.copy(os.path.join(keys, cur), os.path.join(
            keys, "00000000000000aa.key"))
        p = tool(root, "check", str(SMALL))
        eq(p.returncode, 1, "check status")
        ok(tool(root, "recover"), "recover")
        ok(tool(root, "check", str(SMALL)), "check after recover")
    finally:
        shutil.rmtree(root, ignore_errors=True)


@suite.test
def test_crash_library_kills_at_the_point():
    root = clone(S["small"])
    try:
        p = tool(root, "key", crash=10 ** 6)
        ok(p, "key with an unreached crash point")
        p = tool(root, "rotate", crash=1)
        killed_at(p, 1, "rotate")
    finally:
        shutil.rmtree(root, ignore_errors=True)


# ---- every crash point of a rotation ----

@suite.test
def test_rotate_crash_points_counted():
    n = count_points(S["small"], "rotate")
    again = count_points(S["small"], "rotate")
    eq(again, n, "crash points of a second identical rotation")
    check(n >= 20, "only %d crash points in a rotation", n)
    S["rotate_points"] = n


@suite.test
def test_every_rotate_crash_point_recovers():
    n = S.get("rotate_points")
    check(n, "no count of the crash points")
    kinds = {}
    outcomes = {"old": 0, "new": 0}
    for point in range(1, n + 1):
        root = clone(S["small"])
        try:
            old = ok(tool(root, "key"), "key")
            p = tool(root, "rotate", crash=point)
            kind = killed_at(p, point, "rotate")
            kinds[kind] = kinds.get(kind, 0) + 1
            what = "rotate killed at point %d (%s)" % (point, kind)
            cur = recovered(root, SMALL, what)
            outcomes["old" if cur == old else "new"] += 1
        finally:
            shutil.rmtree(root, ignore_errors=True)
    # Points fall both before and after the commit.
    check(outcomes["old"] and outcomes["new"],
          "every crash ended on one side of the commit: %r", outcomes)
    S["covered"] = n
    sys.stderr.write("rotate of %d secrets: %d crash points covered %r; "
                     "key after recovery %r\n" % (SMALL, n, kinds, outcomes))


# ---- crash points of a put and of the first key ----

@suite.test
def test_every_put_crash_point_recovers():
    value = b"a new credential value"
    n = count_points(S["small"], "put", "extra.secret", data=value)
    check(n >= 5, "only %d crash points in a put", n)
    for point in range(1, n + 1):
        root = clone(S["small"])
        try:
            p = tool(root, "put", "extra.secret", data=value, crash=point)
            killed_at(p, point, "put")
            what = "put killed at point %d" % point
            recovered(root, SMALL, what)
            g = tool(root, "get", "extra.secret")
            check(g.returncode == 1 or g.stdout == value,
                  "%s: extra.secret reads as %r (status %d)", what,
                  g.stdout[:80], g.returncode)
        finally:
            shutil.rmtree(root, ignore_errors=True)
    sys.stderr.write("put: %d crash points covered\n" % n)


@suite.test
def test_every_first_key_crash_point_recovers():
    n = count_points(S["empty"], "put", "first", data=b"v1")
    check(n >= 5, "only %d crash points in a first put", n)
    for point in range(1, n + 1):
        root = clone(S["empty"])
        what = "first put killed at point %d" % point
        try:
            killed_at(tool(root, "put", "first", data=b"v1", crash=point),
                      point, "first put")
            ok(tool(root, "recover"), what + ": recover")
            keys = key_files(root) if os.path.isdir(
                os.path.join(root, KEYS)) else []
            k = tool(root, "key")
            if k.returncode != 0:
                eq(keys, [], what + ": key files with no key in use")
                eq(tool(root, "get", "first").returncode, 1,
                   what + ": get status with no key")
            else:
                eq(keys, [k.stdout.decode().strip() + ".key"],
                   what + ": key files")
                eq(ok(tool(root, "get", "first"), what + ": get"), "v1",
                   what + ": value")
            ok(tool(root, "put", "first", data=b"v2"), what + ": put again")
            eq(ok(tool(root, "get", "first"), what + ": get"), "v2",
               what + ": value after put again")
            eq(len(key_files(root)), 1, what + ": key files after put again")
        finally:
            shutil.rmtree(root, ignore_errors=True)
    sys.stderr.write("first put (key made): %d crash points covered\n" % n)


# ---- a large store killed from outside ----

@suite.test
def test_large_rotate_killed_at_random_moments_recovers():
    root = clone(S["large"])
    try:
        start = time.monotonic()
        ok(tool(root, "rotate"), "timing rotate")
        took = time.monotonic() - start
    finally:
        shutil.rmtree(root, ignore_errors=True)
    seed = random.randrange(1 << 30)
    rnd = random.Random(seed)
    killed = 0
    outcomes = {"old": 0, "new": 0}
    for i in range(EXTERNAL_RUNS):
        root = clone(S["large"])
        delay = rnd.uniform(0.0, took)
        what = "large rotate %d killed after %.3f s (seed %d)" % (
            i, delay, seed)
        try:
            old = ok(tool(root, "key"), "key")
            env = dict(os.environ, CONNECTOR_ROOT=root)
            for k in ("CRASHPOINT", "CRASHPOINT_COUNT", "LD_PRELOAD"):
                env.pop(k, None)
            p = subprocess.Popen([TOOL, "rotate"], env=env,
                                 stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            time.sleep(delay)
            p.send_signal(signal.SIGKILL)
            rc = p.wait(60)
            check(rc in (0, -signal.SIGKILL), "%s: exit status %d", what, rc)
            if rc == -signal.SIGKILL:
                killed += 1
                cur = recovered(root, LARGE, what)
                outcomes["old" if cur == old else "new"] += 1
            else:
                recovered(root, LARGE, what)
        finally:
            shutil.rmtree(root, ignore_errors=True)
    check(killed >= EXTERNAL_RUNS // 2, "only %d of %d rotations killed "
          "(a rotation took %.3f s)", killed, EXTERNAL_RUNS, took)
    sys.stderr.write("rotate of %d secrets (%.3f s): %d of %d runs killed "
                     "from outside (seed %d); key after recovery %r\n" % (
                         LARGE, took, killed, EXTERNAL_RUNS, seed, outcomes))


def prepared(name, count):
    """A root with count known secrets (and its key) ready to be copied."""
    root = os.path.join(S["dir"], name)
    os.mkdir(root)
    if count:
        ok(tool(root, "fill", str(count), timeout=300), "fill %d" % count)
        ok(tool(root, "check", str(count), timeout=300), "check %d" % count)
    else:
        ok(tool(root, "recover"), "prepare an empty store")
    return root


def setup():
    for f in (TOOL, CRASHLIB):
        check(os.path.exists(f), "%s is missing: run make unit", f)
    S["dir"] = tempfile.mkdtemp(prefix="secret-crash-")
    S["small"] = prepared("small", SMALL)
    S["large"] = prepared("large", LARGE)
    S["empty"] = prepared("empty", 0)


def teardown():
    shutil.rmtree(S.get("dir", "/nonexistent"), ignore_errors=True)


if __name__ == "__main__":
    suite.run(setup, teardown)
