"""Downloads: a program names a file and nginx sends it (X-Accel-Redirect
to an internal location in the instance's bundles directory)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Suite, check, claimed_instance, eq)  # noqa

suite = Suite()
inst = None
DATA = bytes(range(256)) * 4096     # 1 MiB, every byte value


def bundles():
    return inst.path(os.path.join("var", "lib", "connector", "bundles"))


def put(name, data=DATA):
    with open(os.path.join(bundles(), name), "wb") as f:
        f.write(data)


@suite.test
def test_download_sent_by_nginx():
    put("report-1.tar.gz")
    r = inst.signed_in_client().get("/download?file=report-1.tar.gz")
    eq(r.status, 200, "status")
    eq(r.body, DATA, "body")
    eq(r.header("Content-Disposition"),
       'attachment; filename="report-1.tar.gz"', "Content-Disposition")
    eq(r.header("Content-Type"), "application/gzip", "Content-Type")
    eq(r.header("X-Accel-Redirect"), None, "the internal path leaks")


@suite.test
def test_download_audited_without_query():
    put("report-2.txt", b"hello\n")
    mark = inst.audit_mark()
    eq(inst.signed_in_client().get("/download?file=report-2.txt").status,
       200, "status")
    e = inst.audit_wait(mark, lambda e: e["uri"] == "/download")
    check(e and e[-1]["action"] == "download", "audit %r", e)


@suite.test
def test_bad_internal_location_not_reachable():
    put("report-3.txt", b"secret-ish\n")
    r = inst.signed_in_client().get("/_download/report-3.txt")
    eq(r.status, 404, "status")
    check(b"secret-ish" not in r.body, "the file was sent")


@suite.test
def test_bad_download_signed_out_redirects():
    put("report-4.txt", b"x\n")
    r = inst.client().get("/download?file=report-4.txt")
    eq(r.status, 302, "status")
    check(r.body != b"x\n", "the file was sent")


@suite.test
def test_bad_download_path_in_name_400():
    for name in ("../state.db", "..%2Fstate.db", "a/b", ".hidden", ""):
        r = inst.signed_in_client().get("/download?file=" + name)
        eq(r.status, 400, "file=%s" % name)


@suite.test
def test_bad_download_missing_file_404():
    r = inst.signed_in_client().get("/download?file=nothing-here.zip")
    eq(r.status, 404, "status")


@suite.test
def test_bad_download_symlink_refused():
    os.symlink(inst.db_path, os.path.join(bundles(), "state-link.db"))
    r = inst.signed_in_client().get("/download?file=state-link.db")
    eq(r.status, 404, "status")
    check(b"SQLite format" not in r.body, "the database was sent")


if __name__ == "__main__":
    suite.main(claimed_instance, globals())
