"""`spotkeeper dev` (the local cloud on the real driver + the controller server) as a background
process for one end-to-end test, with clients for its two APIs.

DevServer starts `spotkeeper dev` on free ports with a fresh data directory under /var/tmp.
When the context ends -- also after a failure -- it stops dev with SIGTERM (dev then removes
every instance, volume and network its cloud made), runs `spotkeeper cloud destroy` if dev
could not, and reports anything of the cloud's prefix left on the host as a failed check.

It also checks that no secret reached a log: dev's own log (server, controller and cloud in one
process), every file dev left in its data directory but the files that hold the secrets, and the
output of every CLI command run through it must not contain the API's bearer token, the local
cloud's secret access key, or any secret the test noted (IMDS tokens, see note_secret).
"""
import json
import os
import re
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
    def __init__(self, spotkeeper, checks, name="dev", extra_args=(), log_level="info"):
        self.spotkeeper = spotkeeper
        self.checks = checks
        self.log_level = log_level
        self.secrets = {}  # what must never be in a log: name -> value
        self.cli_outputs = []  # (command, stdout + stderr) of every CLI command run
        self.extra_args = list(extra_args)  # more `spotkeeper dev` flags
        if "--interruptions" not in self.extra_args:
            # Only the test interrupts: the market's own rate would make tests flaky.
            self.extra_args += ["--interruptions", "off"]
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
             "--cloud-listen", "127.0.0.1:0", "--log-level", self.log_level] + self.extra_args,
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
                    self.note_secret("the API bearer token", self.token)
                    self.note_secret("the cloud's secret access key", self.credentials()[1])
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
        self.check_no_secret_in_logs()
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

    def note_secret(self, name, value):
        """`value` must appear in no log of the run (checked when the context ends)."""
        if value:
            self.secrets[name] = value

    # Files that hold secrets on purpose, and binary state (databases, volume images).
    SECRET_FILES = {"token", "credentials.json"}
    BINARY = re.compile(r"\.(db|db-wal|db-shm|img|pack|idx)$")

    def logs(self):
        """(what, text) of every log of the run: dev's log, the text files dev left in its data
        directory, the CLI outputs."""
        out = []
        for root, dirs, files in os.walk(self.data_dir):
            # Never into a mount (an instance's rootfs binds the host's /usr).
            dirs[:] = [d for d in dirs if not os.path.ismount(os.path.join(root, d))]
            for name in files:
                path = os.path.join(root, name)
                if name in self.SECRET_FILES or self.BINARY.search(name) or \
                        not os.path.isfile(path) or os.path.getsize(path) > 64 << 20:
                    continue
                with open(path, "rb") as f:
                    out.append((os.path.relpath(path, self.data_dir),
                                f.read().decode(errors="replace")))
        for command, text in self.cli_outputs:
            out.append(("output of " + command, text))
        return out

    def check_no_secret_in_logs(self):
        logs = self.logs()
        self.checks.check(any(what == "dev.log" and text for what, text in logs),
                          "dev's log was written and is scanned for secrets")
        for name, value in self.secrets.items():
            found = [what for what, text in logs if value in text]
            self.checks.check(not found, "%s is in no log (%d logs scanned)%s" % (
                name, len(logs), ": found in " + ", ".join(found) if found else ""))

    def read_log(self, tail=8000):
        try:
            with open(os.path.join(self.data_dir, "dev.log")) as f:
                return "".join(l for l in f if not l.startswith("DBG "))[-tail:]
        except OSError:
            return ""

    # --- the controller's REST API
    def call(self, method, path, body=None):
        """(HTTP status, parsed JSON body or None)."""
        if body is None:
            return self.call_raw(method, path, None, None)
        return self.call_raw(method, path, json.dumps(body), "application/json")

    def call_raw(self, method, path, text, content_type):
        """Like call(), with a body of `content_type` (application/yaml for a spec in YAML)."""
        headers = {"Authorization": "Bearer " + self.token}
        if content_type:
            headers["Content-Type"] = content_type
        req = urllib.request.Request(self.api + path, method=method, headers=headers,
                                     data=None if text is None else text.encode())
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                body = r.read().decode()
                return r.status, json.loads(body) if body else None
        except urllib.error.HTTPError as e:
            body = e.read().decode()
            try:
                return e.code, json.loads(body)
            except ValueError:
                return e.code, {"text": body}

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

    def cloud_cli(self, *args, timeout=60):
        """`spotkeeper cloud ARGS... --data-dir <the cloud's>`: (exit code, stdout, stderr)."""
        p = subprocess.run([self.spotkeeper, "cloud"] + list(args) + ["--data-dir",
                                                                     self.cloud_dir],
                           capture_output=True, text=True, timeout=timeout)
        self.cli_outputs.append(("spotkeeper cloud " + " ".join(args), p.stdout + p.stderr))
        return p.returncode, p.stdout, p.stderr

    def exec_sh(self, instance_id, script, timeout=60, scan=True):
        """scan=False: the output holds a secret on purpose (the test prints it to note it), so
        it is left out of the scan for secrets."""
        p = subprocess.run([self.spotkeeper, "cloud", "exec", "--data-dir", self.cloud_dir,
                            instance_id, "--", "/bin/sh", "-c", script],
                           capture_output=True, text=True, timeout=timeout)
        if scan:
            self.cli_outputs.append(("spotkeeper cloud exec " + instance_id, p.stdout + p.stderr))
        return p.returncode, strip_log_lines(p.stdout + p.stderr)

    def cli(self, *args, timeout=60):
        """`spotkeeper ARGS...` against dev's REST API with its token: (exit code, output)."""
        env = dict(os.environ, SPOTKEEPER_SERVER=self.api, SPOTKEEPER_TOKEN=self.token)
        p = subprocess.run([self.spotkeeper] + list(args), capture_output=True, text=True,
                           timeout=timeout, env=env)
        self.cli_outputs.append(("spotkeeper " + " ".join(args), p.stdout + p.stderr))
        return p.returncode, p.stdout + p.stderr
