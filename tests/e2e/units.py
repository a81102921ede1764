"""units.py — what the installed systemd units and cron file say, carried
out without systemd or cron: a small reader of .service/.socket files and
the steps the production install takes from them (the service user, the
socket a socket unit makes, a program started as its unit's User= and
Group= with the socket as LISTEN_FDS, the state, log and runtime
directories), and a reader of a cron.d file whose job lines run as their
user the way cron runs them.

Every path a unit names below /etc, /var or /run is moved under the
instance's root, and every program below the install prefix under the
DESTDIR the test installed into, so nothing touches the machine's own
directories.  Standard library only.
"""
import grp
import os
import pwd
import re
import resource
import shlex
import socket
import subprocess

# The unit keys the emulation understands; any other key in [Service] or
# [Socket] that changes how a program runs fails the test (see check_known).
SERVICE_KEYS = {
    "Type", "RemainAfterExit", "ExecStart", "ExecStartPre", "ExecStartPost",
    "User", "Group", "UMask", "RuntimeDirectory", "RuntimeDirectoryMode",
    "StateDirectory", "StateDirectoryMode", "LogsDirectory",
    "LogsDirectoryMode", "StandardOutput", "Restart", "RestartSec",
    "LimitCORE",
    # Sandboxing: systemd's own, nothing to carry out here.
    "NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp",
    "PrivateDevices", "ProtectKernelTunables", "ProtectKernelModules",
    "ProtectControlGroups", "RestrictAddressFamilies", "RestrictNamespaces",
    "LockPersonality", "MemoryDenyWriteExecute", "SystemCallArchitectures",
    "ReadWritePaths", "ProtectKernelLogs", "ProtectClock", "ProtectHostname",
    "RestrictRealtime", "RestrictSUIDSGID", "PrivateNetwork",
    "CapabilityBoundingSet",
}
SOCKET_KEYS = {"ListenStream", "SocketUser", "SocketGroup", "SocketMode",
               "DirectoryMode"}


def parse(path, instance=None):
    """{section: {key: [values]}} of a unit file; %i becomes instance."""
    out, section = {}, None
    with open(path) as f:
        for raw in f:
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("[") and line.endswith("]"):
                section = out.setdefault(line[1:-1], {})
                continue
            key, _, value = line.partition("=")
            if instance is not None:
                value = value.replace("%i", instance)
            section.setdefault(key.strip(), []).append(value.strip())
    return out


def one(unit, section, key, default=None):
    """The last value of key (systemd's rule for single-valued keys)."""
    vals = unit.get(section, {}).get(key)
    return vals[-1] if vals else default


def check_known(unit, section, known):
    """Keys of section the emulation would silently ignore."""
    return sorted(set(unit.get(section, {})) - known)


class Layout:
    """Where the unit's paths land: root for /etc, /var, /run; dest for
    programs below prefix."""

    def __init__(self, root, dest, prefix):
        self.root, self.dest, self.prefix = root, dest, prefix

    def path(self, p):
        if p.startswith(("/etc/", "/var/", "/run/")):
            return os.path.join(self.root, p[1:])
        if p.startswith(self.prefix + "/"):
            return os.path.join(self.dest, p[1:])
        return p

    def argv(self, cmdline):
        """(ignore_failure, argv) of an Exec*= line."""
        ignore = cmdline.startswith("-")
        words = shlex.split(cmdline.lstrip("-@+!:"))
        for w in words:
            if any(d in w[1:] for d in ("/etc/", "/var/", "/run/")):
                # A path inside a word (a shell script) cannot be moved
                # under the test root: refuse rather than touch the machine.
                raise AssertionError("cannot run %r below the test root"
                                     % cmdline)
        return ignore, [self.path(words[0])] + [self.path(w) if w.startswith(
            ("/etc/", "/var/", "/run/")) else w for w in words[1:]]


def ensure_user(name):
    """Create the system user and group name when missing (as INSTALL says);
    returns (uid, gid)."""
    try:
        pw = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--user-group", "--home-dir",
                        "/var/lib/" + name, "--no-create-home", "--shell",
                        "/usr/sbin/nologin", name], check=True, timeout=60)
        pw = pwd.getpwnam(name)
    return pw.pw_uid, pw.pw_gid


def ids(user, group):
    uid = pwd.getpwnam(user).pw_uid if user else 0
    gid = grp.getgrnam(group).gr_gid if group else (
        pwd.getpwnam(user).pw_gid if user else 0)
    return uid, gid


def make_directories(unit, layout):
    """RuntimeDirectory=, StateDirectory=, LogsDirectory= as systemd makes
    them: owned by the unit's user and group, mode from *DirectoryMode=."""
    uid, gid = ids(one(unit, "Service", "User"), one(unit, "Service",
                                                       "Group"))
    for key, base in (("RuntimeDirectory", "/run"),
                      ("StateDirectory", "/var/lib"),
                      ("LogsDirectory", "/var/log")):
        mode = int(one(unit, "Service", key + "Mode", "0755"), 8)
        for names in unit.get("Service", {}).get(key, []):
            for name in names.split():
                d = layout.path("%s/%s" % (base, name))
                os.makedirs(d, exist_ok=True)
                os.chown(d, uid, gid)
                os.chmod(d, mode)


def listen_socket(unit, layout):
    """The listening socket a .socket unit makes: (socket, path)."""
    path = layout.path(one(unit, "Socket", "ListenStream"))
    d = os.path.dirname(path)
    if not os.path.isdir(d):
        os.makedirs(d)
        os.chmod(d, int(one(unit, "Socket", "DirectoryMode", "0755"), 8))
    if os.path.exists(path):
        os.unlink(path)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    uid, gid = ids(one(unit, "Socket", "SocketUser"),
                   one(unit, "Socket", "SocketGroup"))
    os.chown(path, uid, gid)
    os.chmod(path, int(one(unit, "Socket", "SocketMode", "0666"), 8))
    s.listen(128)
    return s, path


# Hands the socket to the program as fd 3 with LISTEN_FDS and LISTEN_PID,
# the way systemd does; the program's argv follows as "$0" "$@".
_ACTIVATE = 'export LISTEN_FDS=1 LISTEN_PID=$$; exec "$0" "$@" 3<&%d'


def start_service(unit, layout, sock, env, stderr):
    """Start the service's ExecStart as its User=/Group= (setpriv), with
    sock as its inherited socket and its UMask=; returns the Popen (the
    program leads its own session)."""
    user, group = one(unit, "Service", "User"), one(unit, "Service",
                                                      "Group")
    _, argv = layout.argv(one(unit, "Service", "ExecStart"))
    fd = sock.fileno()
    cmd = []
    if user:
        cmd = ["setpriv", "--reuid=" + user,
               "--regid=" + (group or user), "--init-groups"]
        if one(unit, "Service", "NoNewPrivileges") == "yes":
            cmd.append("--no-new-privs")
        cmd.append("--")
    cmd += ["/bin/sh", "-c", _ACTIVATE % fd] + argv
    umask = one(unit, "Service", "UMask")
    core = one(unit, "Service", "LimitCORE")
    if core not in (None, "0"):
        raise ValueError("LimitCORE=%s: only 0 is carried out" % core)

    def limits():
        if core == "0":
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return subprocess.Popen(cmd, env=env, cwd="/", pass_fds=(fd,),
                            stdin=subprocess.DEVNULL,
                            stdout=stderr, stderr=stderr,
                            umask=int(umask, 8) if umask else -1,
                            preexec_fn=limits, start_new_session=True)


def run_oneshot(unit, layout, env, replace=None, extra=()):
    """ExecStartPre=, ExecStart= (argv passed through replace(), then extra
    appended), ExecStartPost= of a oneshot unit, as root; returns the
    CompletedProcess of ExecStart.  A failing step raises unless its line
    starts with "-"."""
    main = None
    for key in ("ExecStartPre", "ExecStart", "ExecStartPost"):
        for line in unit.get("Service", {}).get(key, []):
            ignore, argv = layout.argv(line)
            if key == "ExecStart":
                argv = (replace(argv) if replace else argv) + list(extra)
            umask = one(unit, "Service", "UMask")
            p = subprocess.run(argv, env=env, capture_output=True,
                               text=True, timeout=120, cwd="/",
                               umask=int(umask, 8) if umask else -1)
            if p.returncode != 0 and not ignore:
                raise AssertionError("%s=%s failed (%d): %s%s" % (
                    key, line, p.returncode, p.stdout, p.stderr))
            if key == "ExecStart":
                main = p
    return main


def as_user(user):
    """The setpriv prefix that runs a command as user, with its primary
    group and its supplementary groups (what cron and systemd's User= do);
    empty for root."""
    if user in (None, "", "root"):
        return []
    group = grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name
    return ["setpriv", "--reuid=" + user, "--regid=" + group,
            "--init-groups", "--"]


def parse_crontab(path):
    """(variables, jobs) of a cron.d file: {name: value} of its NAME=value
    lines, and one {"schedule", "user", "command", "line"} per job line
    (five time fields, then the user, then the command)."""
    env, jobs = {}, []
    with open(path) as f:
        for raw in f:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)", line)
            if m:
                env[m.group(1)] = m.group(2).strip("\"'")
                continue
            # "@daily user command", or five time fields first.
            n = 1 if line.startswith("@") else 5
            words = line.split(None, n + 1)
            sched, rest = " ".join(words[:n]), words[n:]
            if len(rest) != 2:
                raise AssertionError("not a cron.d job line: %r" % line)
            jobs.append({"schedule": sched, "user": rest[0],
                         "command": rest[1], "line": line})
    return env, jobs


def cron_command(command, layout):
    """argv of a job line's command, its paths moved under the test's
    trees.  cron turns an unescaped % into a newline: refused here."""
    if re.search(r"(?<!\\)%", command):
        raise AssertionError("unescaped %% in the cron command %r" % command)
    return layout.argv(command)[1]


def run_cron_job(job, variables, layout, extra_env=None, timeout=120):
    """Run a job line's command as cron does: as the line's user, through
    /bin/sh -c, with the file's variables, HOME, LOGNAME and SHELL, in the
    user's home (under the test root); returns the CompletedProcess, its
    stdout holding both streams (cron mails both)."""
    pw = pwd.getpwnam(job["user"])
    env = {"HOME": pw.pw_dir, "LOGNAME": pw.pw_name, "USER": pw.pw_name,
           "SHELL": "/bin/sh", "PATH": "/usr/bin:/bin"}
    env.update(variables)
    env.update(extra_env or {})
    home = layout.path(pw.pw_dir)
    cmd = as_user(job["user"]) + ["/bin/sh", "-c", shlex.join(
        cron_command(job["command"], layout))]
    return subprocess.run(cmd, env=env, cwd=home if os.path.isdir(home)
                          else "/", stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=timeout, umask=0o022)
