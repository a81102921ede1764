#!/usr/bin/python3
"""The vCenter test double, held to VMware's own Python SDK.

Starts tests/peers/vcenter (built if its source changed) on a free port and
drives it with pyVmomi: TLS trust and thumbprints, login, CurrentTime and its
offset, VM inventory through a container view and the PropertyCollector
(paged by maxObjects with Continue/CancelRetrievePropertiesEx),
directory users, the extension (plugin) registration cycle, logout.
Prints "PASS name" / "FAIL name: why" lines; exits 1 if any failed.
"""
import datetime
import hashlib
import json
import os
import select
import signal
import ssl
import subprocess
import sys
import time
import traceback
import urllib.error
import urllib.request

try:
    from pyVim.connect import SmartConnect, Disconnect
    from pyVmomi import vim, vmodl
    from pyVmomi.SoapAdapter import SoapStubAdapter, ThumbprintMismatchException
except ImportError:
    # The SDK is the distribution's package: use the distribution's Python
    # when another one comes first on PATH.
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    print("FAIL vcenter_sdk_import: python3-pyvmomi is not installed (make deps)")
    sys.exit(1)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VMS = 7
USERS = 5
GROUPS = 2
START_OFFSET = 300
PASSWORD = "Conformance-Pass-0451"
USER = "administrator@vsphere.local"
# The machine may be loaded: clock comparisons allow this much slack.
SLACK = 120

failed = 0


def result(name, ok, why=""):
    global failed
    if ok:
        print("PASS " + name, flush=True)
    else:
        failed += 1
        print("FAIL %s: %s" % (name, why), flush=True)


def test(name):
    """@test(name) runs the function at once: it returns None to pass or a
    reason to fail; an exception fails it too."""
    def run(fn):
        try:
            why = fn()
        except Exception as e:  # noqa: BLE001 - every error is a test failure
            why = "%s: %s" % (type(e).__name__, getattr(e, "msg", None) or e)
            traceback.print_exc(file=sys.stderr)
        result(name, why is None, why)
        return why is None
    return run


def start_double():
    built = subprocess.run([os.path.join(ROOT, "tests/peers/vcenter/build")],
                           stdout=subprocess.PIPE, timeout=600, check=True)
    binary = built.stdout.decode().strip().splitlines()[-1]
    proc = subprocess.Popen(
        [binary, "--port", "0", "--user", USER, "--password", PASSWORD,
         "--vms", str(VMS), "--users", str(USERS), "--groups", str(GROUPS),
         "--clock-offset", str(START_OFFSET)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    ready, _, _ = select.select([proc.stdout], [], [], 60)
    line = proc.stdout.readline() if ready else b""
    if not line:
        proc.kill()
        proc.wait()
        raise RuntimeError("the double printed nothing")
    return proc, json.loads(line)


def host_port(info):
    netloc = info["url"].split("//", 1)[1].split("/", 1)[0]
    host, port = netloc.rsplit(":", 1)
    return host, int(port)


def trusting(info):
    return ssl.create_default_context(cafile=info["cert"])


def connect(info, password=PASSWORD, context=None, thumbprint=None):
    host, port = host_port(info)
    return SmartConnect(host=host, port=port, user=USER, pwd=password,
                        sslContext=context or trusting(info), thumbprint=thumbprint)


def control(info, method, query=""):
    host, port = host_port(info)
    req = urllib.request.Request("https://%s:%d/control/clock%s" % (host, port, query),
                                 method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(req, context=trusting(info), timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def skew(si):
    """Seconds the double's CurrentTime is ahead of our clock."""
    before = time.time()
    t = si.CurrentTime()
    after = time.time()
    return t.timestamp() - (before + after) / 2


def vm_spec(view):
    Q = vmodl.query.PropertyCollector
    return Q.FilterSpec(
        objectSet=[Q.ObjectSpec(
            obj=view, skip=True,
            selectSet=[Q.TraversalSpec(
                name="view", type=vim.view.ContainerView, path="view", skip=False)])],
        propSet=[Q.PropertySpec(type=vim.VirtualMachine, pathSet=["name", "runtime.powerState"])])


def vm_pages(si, page=3):
    """Every VM, read with RetrievePropertiesEx(maxObjects=page) and
    ContinueRetrievePropertiesEx: a list of (objects, token) per answer."""
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    try:
        pc = content.propertyCollector
        pages = []
        res = pc.RetrievePropertiesEx([vm_spec(view)],
                                      vmodl.query.PropertyCollector.RetrieveOptions(maxObjects=page))
        while res is not None:
            pages.append((list(res.objects), res.token))
            if len(pages) > VMS + 1:
                raise RuntimeError("the tokens never end")
            res = pc.ContinueRetrievePropertiesEx(res.token) if res.token else None
        return pages
    finally:
        view.Destroy()


def all_vms(si):
    return [o for objs, _ in vm_pages(si) for o in objs]


def first_page_token(si, page=2):
    """Starts a paged VM read and gives its token (the rest left pending)."""
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    try:
        res = content.propertyCollector.RetrievePropertiesEx(
            [vm_spec(view)], vmodl.query.PropertyCollector.RetrieveOptions(maxObjects=page))
        return res.token
    finally:
        view.Destroy()


def extension(key, version, url, thumbprint):
    desc = vim.Description(label="Connector", summary="Connector plugin")
    server = vim.Extension.ServerInfo(
        url=url, description=desc, company="Connector", type="HTTPS",
        adminEmail=["admin@example.com"], serverThumbprint=thumbprint)
    return vim.Extension(key=key, version=version, description=desc, company="Connector",
                         server=[server], lastHeartbeatTime=datetime.datetime.now(datetime.timezone.utc))


def main():
    proc = None
    si = None
    try:
        try:
            proc, info = start_double()
        except Exception as e:  # noqa: BLE001
            result("vcenter_double_starts", False, e)
            return
        result("vcenter_double_starts", True)

        @test("vcenter_printed_thumbprints_match_served_cert")
        def _():
            pem = ssl.get_server_certificate(host_port(info))
            der = ssl.PEM_cert_to_DER_cert(pem)
            want = open(info["cert"]).read()
            if ssl.PEM_cert_to_DER_cert(want) != der:
                return "the served certificate is not the printed file"
            colon = lambda h: ":".join(h[i:i + 2] for i in range(0, len(h), 2)).upper()
            if info["thumbprint"] != colon(hashlib.sha256(der).hexdigest()):
                return "sha-256 thumbprint %s is not the certificate's" % info["thumbprint"]
            if info["sha1"] != colon(hashlib.sha1(der).hexdigest()):
                return "sha-1 thumbprint %s is not the certificate's" % info["sha1"]

        @test("vcenter_tls_bad_unknown_ca")
        def _():
            try:
                connect(info, context=ssl.create_default_context())
            except ssl.SSLCertVerificationError:
                return None
            return "a client without the certificate connected"

        @test("vcenter_sdk_thumbprint_check_passes")
        def _():
            ctx = ssl._create_unverified_context()
            s = connect(info, context=ctx, thumbprint=info["sha1"])
            Disconnect(s)

        @test("vcenter_sdk_thumbprint_bad_mismatch")
        def _():
            ctx = ssl._create_unverified_context()
            try:
                connect(info, context=ctx, thumbprint="00" * 20)
            except (ThumbprintMismatchException, vim.fault.HostConnectFault) as e:
                # The SDK reports the mismatch wrapped in a connect fault.
                if "thumbprint" in str(getattr(e, "msg", e)).lower():
                    return None
                raise
            return "a wrong thumbprint was accepted"

        @test("vcenter_login_bad_password")
        def _():
            try:
                connect(info, password=PASSWORD + "x")
            except vim.fault.InvalidLogin:
                return None
            return "a wrong password logged in"

        @test("vcenter_login_verified_tls")
        def _():
            nonlocal si
            si = connect(info)
            user = si.content.sessionManager.currentSession.userName
            if user != USER:
                return "session user is %r" % user

        if si is None:
            return

        @test("vcenter_service_content_has_extension_manager")
        def _():
            em = si.RetrieveContent().extensionManager
            if not isinstance(em, vim.ExtensionManager):
                return "extensionManager is %r" % (em,)

        @test("vcenter_current_time_has_start_offset")
        def _():
            d = skew(si)
            if abs(d - START_OFFSET) > SLACK:
                return "CurrentTime is %.1f s ahead, wanted %d" % (d, START_OFFSET)

        @test("vcenter_current_time_follows_control_offset")
        def _():
            for want in (-7200, 86400, 0):
                status, body = control(info, "POST", "?offset=%d" % want)
                if status != 200 or json.loads(body)["offset"] != want:
                    return "POST offset=%d: %d %r" % (want, status, body)
                d = skew(si)
                if abs(d - want) > SLACK:
                    return "after offset %d CurrentTime is %.1f s ahead" % (want, d)
            status, body = control(info, "GET")
            if status != 200 or json.loads(body)["offset"] != 0:
                return "GET: %d %r" % (status, body)

        @test("vcenter_control_clock_bad_offset")
        def _():
            status, _ = control(info, "POST", "?offset=42")
            if status != 200:
                return "POST offset=42: status %d" % status
            for bad in ("?offset=soon", "?offset=nan", "?offset=1e300", ""):
                status, _ = control(info, "POST", bad)
                if status != 400:
                    return "POST %r: status %d" % (bad, status)
            status, body = control(info, "GET")
            if json.loads(body)["offset"] != 42:
                return "a bad offset changed the clock: %r" % body
            control(info, "POST", "?offset=0")

        @test("vcenter_vms_listed_through_property_collector")
        def _():
            objs = all_vms(si)
            names = set()
            for o in objs:
                props = {p.name: p.val for p in o.propSet}
                if not isinstance(o.obj, vim.VirtualMachine) or "name" not in props:
                    return "unexpected object %r" % (o,)
                names.add(props["name"])
            if len(objs) != VMS or len(names) != VMS:
                return "%d objects, %d names, wanted %d" % (len(objs), len(names), VMS)

        @test("vcenter_vms_paged_by_max_objects")
        def _():
            pages = vm_pages(si, 3)
            sizes = [len(objs) for objs, _ in pages]
            want = [3] * (VMS // 3) + ([VMS % 3] if VMS % 3 else [])
            if sizes != want:
                return "page sizes %r, wanted %r" % (sizes, want)
            tokens = [t for _, t in pages]
            if not all(tokens[:-1]) or tokens[-1] or len(set(tokens[:-1])) != len(tokens) - 1:
                return "tokens %r: wanted a new one on every page but the last" % (tokens,)
            ids = {o.obj._moId for objs, _ in pages for o in objs}
            if len(ids) != VMS:
                return "%d distinct machines, wanted %d" % (len(ids), VMS)

        @test("vcenter_vms_unpaged_without_max_objects")
        def _():
            content = si.RetrieveContent()
            view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
            try:
                res = content.propertyCollector.RetrievePropertiesEx(
                    [vm_spec(view)], vmodl.query.PropertyCollector.RetrieveOptions())
            finally:
                view.Destroy()
            if len(res.objects) != VMS or res.token:
                return "%d objects, token %r" % (len(res.objects), res.token)

        @test("vcenter_continue_bad_unknown_token")
        def _():
            try:
                si.RetrieveContent().propertyCollector.ContinueRetrievePropertiesEx("no-such-token")
            except vmodl.fault.InvalidArgument:
                return None
            return "an unknown token was answered"

        @test("vcenter_cancel_drops_token")
        def _():
            pc = si.RetrieveContent().propertyCollector
            token = first_page_token(si)
            if not token:
                return "no token for a partial answer"
            pc.CancelRetrievePropertiesEx(token)
            try:
                pc.ContinueRetrievePropertiesEx(token)
            except vmodl.fault.InvalidArgument:
                return None
            return "a cancelled token was answered"

        @test("vcenter_continue_bad_token_of_other_session")
        def _():
            token = first_page_token(si)
            other = connect(info)
            try:
                other.RetrieveContent().propertyCollector.ContinueRetrievePropertiesEx(token)
            except vmodl.fault.InvalidArgument:
                return None
            finally:
                Disconnect(other)
            return "another session's token was answered"

        @test("vcenter_continue_bad_before_login")
        def _():
            host, port = host_port(info)
            stub = SoapStubAdapter(host=host, port=port, version=si._stub.version,
                                   sslContext=trusting(info))
            pc = vim.ServiceInstance("ServiceInstance", stub).RetrieveContent().propertyCollector
            try:
                pc.ContinueRetrievePropertiesEx(first_page_token(si))
            except vim.fault.NotAuthenticated:
                return None
            return "ContinueRetrievePropertiesEx answered without a session"

        @test("vcenter_directory_users_listed")
        def _():
            ud = si.RetrieveContent().userDirectory
            found = ud.RetrieveUserGroups(searchStr="", exactMatch=False, findUsers=True, findGroups=False)
            got = sorted(u.principal for u in found)
            want = sorted("user%d" % i for i in range(1, USERS + 1))
            if got != want or any(u.group for u in found):
                return "users %r, wanted %r" % (got, want)
            groups = ud.RetrieveUserGroups(searchStr="", exactMatch=False, findUsers=False, findGroups=True)
            if len(groups) != GROUPS or not all(g.group for g in groups):
                return "%d groups, wanted %d" % (len(groups), GROUPS)
            one = ud.RetrieveUserGroups(searchStr="user2", exactMatch=True, findUsers=True, findGroups=False)
            if [u.principal for u in one] != ["user2"]:
                return "exact search gave %r" % ([u.principal for u in one],)

        key = "com.example.connector.conformance"
        tp = "AB:" * 19 + "CD"
        em = si.RetrieveContent().extensionManager

        @test("vcenter_extension_not_found_before_register")
        def _():
            if em.FindExtension(key) is not None:
                return "found before it was registered"

        @test("vcenter_extension_register_then_find")
        def _():
            em.RegisterExtension(extension(key, "1.0.0", "https://192.0.2.10/plugin.zip", tp))
            e = em.FindExtension(key)
            if e is None:
                return "FindExtension gave None"
            s = e.server[0] if e.server else None
            got = (e.key, e.version, s and s.url, s and s.type, s and s.company,
                   s and list(s.adminEmail), s and s.serverThumbprint)
            want = (key, "1.0.0", "https://192.0.2.10/plugin.zip", "HTTPS", "Connector",
                    ["admin@example.com"], tp)
            if got != want:
                return "found %r, wanted %r" % (got, want)
            if key not in [x.key for x in em.extensionList]:
                return "not in extensionList"

        @test("vcenter_extension_register_bad_duplicate")
        def _():
            try:
                em.RegisterExtension(extension(key, "1.0.0", "https://192.0.2.10/plugin.zip", tp))
            except vmodl.fault.InvalidArgument:
                return None
            return "a second registration of the key was accepted"

        @test("vcenter_extension_update")
        def _():
            em.UpdateExtension(extension(key, "1.1.0", "https://192.0.2.11/plugin.zip", tp))
            e = em.FindExtension(key)
            if e is None or (e.version, e.server[0].url) != ("1.1.0", "https://192.0.2.11/plugin.zip"):
                return "found %r" % (e and (e.version, e.server[0].url),)
            if [x.version for x in em.extensionList if x.key == key] != ["1.1.0"]:
                return "extensionList not updated"

        @test("vcenter_extension_update_bad_missing")
        def _():
            try:
                em.UpdateExtension(extension(key + ".missing", "1.0.0", "https://192.0.2.10/p.zip", tp))
            except vim.fault.NotFound:
                return None
            return "updating an unregistered key succeeded"

        @test("vcenter_extension_unregister")
        def _():
            em.UnregisterExtension(key)
            if em.FindExtension(key) is not None:
                return "still found after unregister"
            if key in [x.key for x in em.extensionList]:
                return "still in extensionList"

        @test("vcenter_extension_unregister_bad_missing")
        def _():
            try:
                em.UnregisterExtension(key)
            except vim.fault.NotFound:
                return None
            return "unregistering a missing key succeeded"

        @test("vcenter_logout_ends_session")
        def _():
            nonlocal si
            s, si = si, None
            token = first_page_token(s)
            pc = s.content.propertyCollector
            s.content.sessionManager.Logout()
            try:
                s.CurrentTime()
            except vim.fault.NotAuthenticated:
                pass
            else:
                return "CurrentTime still answered after logout"
            try:
                pc.ContinueRetrievePropertiesEx(token)
            except vim.fault.NotAuthenticated:
                return None
            return "a paging token still answered after logout"
    finally:
        if si is not None:
            try:
                Disconnect(si)
            except Exception:  # noqa: BLE001 - already logged out
                pass
        if proc is not None:
            stop(proc, info)


def stop(proc, info):
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        result("vcenter_double_stops_on_sigterm", False, "still running 30 s after SIGTERM")
        return
    left = os.path.exists(info["cert"])
    result("vcenter_double_stops_on_sigterm", rc == 0 and not left,
           "exit status %d, certificate file left: %s" % (rc, left))


if __name__ == "__main__":
    main()
    sys.exit(1 if failed else 0)
