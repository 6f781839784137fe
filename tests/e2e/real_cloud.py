"""A local cloud on the real (Linux) host driver for one end-to-end test script.

RealCloud runs `spotkeeper cloud serve` (runc, namespaces, loop devices) on a free loopback port
with its own fresh data directory under /var/tmp. The host driver names everything it makes
with a prefix derived from that directory (HostNames::DerivePrefix), so the prefix is unique to
the test too. When the context ends -- also after a failure or an exception -- the server is
stopped, `spotkeeper cloud destroy` removes what the cloud made, and anything of the prefix or
the data directory still on the host (namespace, host interface, mount, loop device, runc
container, cgroup) is reported as a leftover, which fails the test.

Scripts call skip_unless_possible() first: it exits 77 (CTest's skip code) with a message
when not root or when runc is missing.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77


def skip_unless_possible(need=("runc",)):
    if os.geteuid() != 0:
        print("SKIP: the local cloud's real driver needs root (namespaces, loop devices, runc)")
        sys.exit(SKIP)
    for tool in need:
        if shutil.which(tool) is None:
            print("SKIP: %s is not installed (apt-get install %s)" % (tool, tool))
            sys.exit(SKIP)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def derive_prefix(data_dir):
    """HostNames::DerivePrefix: "sk" + 4 base-36 digits of FNV-1a 64 of the canonical dir."""
    h = 14695981039346656037
    for c in os.path.realpath(data_dir).encode():
        h ^= c
        h = (h * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    p = "sk"
    for _ in range(4):
        p += digits[h % 36]
        h //= 36
    return p


def host_leftovers(prefix, data_dir):
    """What is left on the host of `prefix` / `data_dir`: a list of strings, empty when none."""
    left = []
    if os.path.isdir("/run/netns"):
        for ns in os.listdir("/run/netns"):
            if ns.startswith(prefix + "-"):
                left.append("namespace " + ns)
    links = subprocess.run(["ip", "-j", "link", "show"], capture_output=True, text=True)
    for link in json.loads(links.stdout or "[]"):
        if link.get("ifname", "").startswith(prefix):
            left.append("host interface " + link["ifname"])
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mp = line.split()[4]
            if mp.startswith(data_dir) or ("/" + prefix + "-") in mp:
                left.append("mount " + mp)
    loops = subprocess.run(["losetup", "-J", "-l"], capture_output=True, text=True)
    if loops.stdout.strip():
        for dev in json.loads(loops.stdout).get("loopdevices", []):
            if (dev.get("back-file") or "").startswith(data_dir):
                left.append("loop device %s on %s" % (dev["name"], dev["back-file"]))
    run_root = os.path.join(data_dir, "run")
    if os.path.isdir(run_root):
        ids = subprocess.run(["runc", "--root", run_root, "list", "-q"], capture_output=True,
                             text=True).stdout.split()
        if ids:
            left.append("runc containers: " + " ".join(ids))
    for hierarchy in os.listdir("/sys/fs/cgroup"):
        d = os.path.join("/sys/fs/cgroup", hierarchy)
        if not os.path.isdir(d):
            continue
        for name in os.listdir(d):
            if name.startswith(prefix + "-") and os.path.isdir(os.path.join(d, name)):
                left.append("cgroup " + os.path.join(d, name))
    return left


class Checks:
    """Counts passed and failed checks; a failed one prints what failed."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL:", what, flush=True)
        return cond


class RealCloud:
    def __init__(self, spotkeeper, checks, name="e2e"):
        self.spotkeeper = spotkeeper
        self.checks = checks
        self.data_dir = tempfile.mkdtemp(prefix="sk-%s-" % name, dir="/var/tmp")
        self.prefix = derive_prefix(self.data_dir)
        self.port = free_port()
        self.proc = None
        self.log = None

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        self.stop()
        rc, out = self.sk("destroy", timeout=180)
        self.checks.check(rc == 0, "cloud destroy: " + out)
        left = host_leftovers(self.prefix, self.data_dir)
        for thing in left:
            self.checks.check(False, "left behind: " + thing)
        if self.checks.failed or exc_type is not None:
            print("--- cloud serve log (tail) ---\n" + self.read_log())
        shutil.rmtree(self.data_dir, ignore_errors=True)
        return False

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self, env=None, deadline_s=60):
        """Starts `cloud serve`; `env` adds variables (SPOTKEEPER_CLOUD_CRASH_AT)."""
        info = os.path.join(self.data_dir, "cloud.json")
        if os.path.exists(info):
            os.remove(info)
        if self.log is not None:
            self.log.close()
        self.log = open(os.path.join(self.data_dir, "serve.log"), "a")
        full_env = dict(os.environ)
        full_env.pop("SPOTKEEPER_CLOUD_CRASH_AT", None)
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [self.spotkeeper, "cloud", "serve", "--data-dir", self.data_dir, "--listen",
             "127.0.0.1:%d" % self.port], stdout=self.log, stderr=subprocess.STDOUT, env=full_env)
        end = time.time() + deadline_s
        while time.time() < end:  # bounded by the deadline
            if self.proc.poll() is not None:
                raise RuntimeError("cloud serve exited: " + self.read_log())
            if os.path.exists(info):
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                        break
                except OSError:
                    pass
            time.sleep(0.05)
        else:
            raise RuntimeError("cloud serve did not start: " + self.read_log())
        logged = "prefix %s," % self.prefix
        if logged not in self.read_log(100000):
            raise RuntimeError("the driver's prefix is not %s: %s" % (self.prefix,
                                                                     self.read_log()))

    def wait_killed(self, timeout_s=60):
        """Waits until the server died by SIGKILL (a crash point); True when it did."""
        try:
            rc = self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return False
        return rc == -signal.SIGKILL

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def read_log(self, tail=6000):
        try:
            with open(os.path.join(self.data_dir, "serve.log")) as f:
                return f.read()[-tail:]
        except OSError:
            return ""

    def credentials(self):
        with open(os.path.join(self.data_dir, "credentials.json")) as f:
            k = json.load(f)
        return k["accessKeyId"], k["secretAccessKey"]

    def sk(self, verb, *args, timeout=60):
        """Runs `spotkeeper cloud VERB --data-dir DIR ARGS...`: (exit code, stdout+stderr)."""
        p = subprocess.run([self.spotkeeper, "cloud", verb, "--data-dir", self.data_dir, *args],
                           capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout + p.stderr

    def exec_sh(self, instance_id, script, timeout=60):
        """`cloud exec INSTANCE -- sh -c SCRIPT`: (exit code, the command's output)."""
        rc, out = self.sk("exec", instance_id, "--", "/bin/sh", "-c", script, timeout=timeout)
        return rc, strip_log_lines(out)

    # --- what the host has now, for the restart tests
    def containers(self):
        run_root = os.path.join(self.data_dir, "run")
        if not os.path.isdir(run_root):
            return []
        out = subprocess.run(["runc", "--root", run_root, "list", "-f", "json"],
                             capture_output=True, text=True).stdout
        return [c["id"] for c in json.loads(out or "[]") or []]

    def namespaces(self):
        if not os.path.isdir("/run/netns"):
            return []
        return sorted(ns for ns in os.listdir("/run/netns") if ns.startswith(self.prefix + "-"))

    def _loops(self):
        out = subprocess.run(["losetup", "-J", "-l"], capture_output=True, text=True).stdout
        if not out.strip():
            return []
        return [(d["name"], d["back-file"]) for d in json.loads(out).get("loopdevices", [])
                if (d.get("back-file") or "").startswith(self.data_dir)]

    def loop_devices(self):
        """The loop devices of volumes (not the storage pool's XFS image, pool.xfs)."""
        pool = os.path.join(self.data_dir, "pool.xfs")
        return [(n, f) for n, f in self._loops() if f != pool]

    def pool_loop_devices(self):
        """The loop devices of the storage pool's XFS image (one while the pool is mounted)."""
        pool = os.path.join(self.data_dir, "pool.xfs")
        return [(n, f) for n, f in self._loops() if f == pool]

    def mounts(self):
        with open("/proc/self/mountinfo") as f:
            return [line.split()[4] for line in f if line.split()[4].startswith(self.data_dir)]


# spdlog's default line: "[2026-01-01 00:00:00.000] [info] ...". The `cloud` verbs log the host
# driver's start-up line to stdout, where the output of `cloud exec` goes too.
LOG_LINE = re.compile(r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] \[[a-z]+\] ")


def strip_log_lines(text):
    return "".join(l for l in text.splitlines(True) if not LOG_LINE.match(l))


def wait_until(fn, deadline_s=60, interval_s=0.05):
    """Calls fn() until it returns something true (returned), at most deadline_s."""
    end = time.time() + deadline_s
    while True:  # bounded by the deadline
        v = fn()
        if v or time.time() >= end:
            return v
        time.sleep(interval_s)
