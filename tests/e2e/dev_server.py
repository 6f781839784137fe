"""`spotkeeper dev` (the local cloud on the real driver + the controller server) as a background
process for one end-to-end test, with clients for its two APIs.

DevServer starts `spotkeeper dev` on free ports with a fresh data directory under /var/tmp.
When the context ends -- also after a failure -- it stops dev with SIGTERM (dev then removes
every instance, volume and network its cloud made), runs `spotkeeper cloud destroy` if dev
could not, and reports anything of the cloud's prefix left on the host as a failed check.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from real_cloud import derive_prefix, host_leftovers, strip_log_lines


def settled(ssi, state):
    """The SSI is in `state` with no workflow running (none, or the last one succeeded)."""
    wf = ssi.get("workflow")
    return ssi.get("state") == state and (wf is None or wf.get("status") == "succeeded")


class DevServer:
    def __init__(self, spotkeeper, checks, name="dev", extra_args=()):
        self.spotkeeper = spotkeeper
        self.checks = checks
        self.extra_args = list(extra_args)  # more `spotkeeper dev` flags
        self.data_dir = tempfile.mkdtemp(prefix="sk-e2e-%s-" % name, dir="/var/tmp")
        self.cloud_dir = os.path.join(self.data_dir, "cloud")
        self.prefix = derive_prefix(self.cloud_dir)
        self.proc = None
        self.api = None
        self.token = None
        self.endpoint = None

    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _start(self, deadline_s=60):
        self.log = open(os.path.join(self.data_dir, "dev.log"), "w")
        self.proc = subprocess.Popen(
            [self.spotkeeper, "dev", "--data-dir", self.data_dir, "--listen", "127.0.0.1:0",
             "--cloud-listen", "127.0.0.1:0", "--log-level", "info"] + self.extra_args,
            stdout=self.log, stderr=subprocess.STDOUT)
        end = time.time() + deadline_s
        address = os.path.join(self.data_dir, "address")
        info = os.path.join(self.cloud_dir, "cloud.json")
        while time.time() < end:  # bounded by the deadline
            if self.proc.poll() is not None:
                raise RuntimeError("spotkeeper dev exited: " + self.read_log())
            if os.path.exists(address) and os.path.exists(info):
                with open(address) as f:
                    self.api = f.read().strip()
                with open(info) as f:
                    self.endpoint = json.load(f)["endpoint"]
                with open(os.path.join(self.data_dir, "token")) as f:
                    self.token = f.read().strip()
                if self.api and self.endpoint:
                    return
            time.sleep(0.05)
        raise RuntimeError("spotkeeper dev did not start: " + self.read_log())

    def __exit__(self, exc_type, exc, tb):
        stopped_cleanly = False
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                stopped_cleanly = self.proc.wait(timeout=120) == 0
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.checks.check(stopped_cleanly, "spotkeeper dev stopped with exit 0 on SIGTERM")
        left = host_leftovers(self.prefix, self.data_dir)
        if left or not stopped_cleanly:
            p = subprocess.run([self.spotkeeper, "cloud", "destroy", "--data-dir",
                                self.cloud_dir], capture_output=True, text=True, timeout=180)
            print("cleanup: cloud destroy:", p.stdout + p.stderr)
        for thing in left:
            self.checks.check(False, "left behind by spotkeeper dev: " + thing)
        for thing in host_leftovers(self.prefix, self.data_dir):
            self.checks.check(False, "left behind even after cloud destroy: " + thing)
        if self.checks.failed or exc_type is not None:
            print("--- spotkeeper dev log (tail) ---\n" + self.read_log())
        shutil.rmtree(self.data_dir, ignore_errors=True)
        return False

    def read_log(self, tail=8000):
        try:
            with open(os.path.join(self.data_dir, "dev.log")) as f:
                return "".join(l for l in f if not l.startswith("DBG "))[-tail:]
        except OSError:
            return ""

    # --- the controller's REST API
    def call(self, method, path, body=None):
        """(HTTP status, parsed JSON body or None)."""
        data = None
        headers = {"Authorization": "Bearer " + self.token}
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.api + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                text = r.read().decode()
                return r.status, json.loads(text) if text else None
        except urllib.error.HTTPError as e:
            text = e.read().decode()
            try:
                return e.code, json.loads(text)
            except ValueError:
                return e.code, {"text": text}

    def injected_errors(self):
        """The sum of spotkeeper_provider_errors_total{code="Unavailable"} in /metrics (what
        injected errors and lost responses count as)."""
        req = urllib.request.Request(self.api + "/metrics",
                                     headers={"Authorization": "Bearer " + self.token})
        with urllib.request.urlopen(req, timeout=60) as r:
            text = r.read().decode()
        total = 0
        for line in text.splitlines():
            if line.startswith("spotkeeper_provider_errors_total{") and \
                    'code="Unavailable"' in line:
                total += int(float(line.rsplit(" ", 1)[1]))
        return total

    def ssis(self, group_id):
        """The group's SSIs ([] when the call fails)."""
        st, b = self.call("GET", "/api/v1/group/%s/statefulInstance" % group_id)
        return b["items"] if st == 200 else []

    def ssi(self, ssi_id):
        """One SSI ({} when the call fails)."""
        st, b = self.call("GET", "/api/v1/statefulInstance/" + ssi_id)
        return b if st == 200 else {}

    # --- the local cloud
    def credentials(self):
        with open(os.path.join(self.cloud_dir, "credentials.json")) as f:
            k = json.load(f)
        return k["accessKeyId"], k["secretAccessKey"]

    def ec2(self):
        import boto3
        key, secret = self.credentials()
        return boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret,
                                     region_name="local-1").client("ec2",
                                                                   endpoint_url=self.endpoint)

    def exec_sh(self, instance_id, script, timeout=60):
        p = subprocess.run([self.spotkeeper, "cloud", "exec", "--data-dir", self.cloud_dir,
                            instance_id, "--", "/bin/sh", "-c", script],
                           capture_output=True, text=True, timeout=timeout)
        return p.returncode, strip_log_lines(p.stdout + p.stderr)
