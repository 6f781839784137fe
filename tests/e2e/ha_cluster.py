"""Highly available controllers for end-to-end tests and bench/failover: a local etcd cluster on
loopback ports and several `spotkeeper server --store etcd://...` processes (docs/ha.md).

EtcdCluster(n) starts n etcd members (Debian's etcd-server) on free loopback ports with their
data directories under the caller's directory and a cluster token unique to it. Each member
dies with the Python process (PR_SET_PDEATHSIG) and is killed, and its directory removed, when
the context ends -- also after a failure.

Controller runs one `spotkeeper server` with its own data directory (token, address, log) on a
free loopback port, the ec2 provider pointed at a local cloud (its endpoint, region, events queue
and credentials), and the store on the etcd cluster. It can be killed (SIGKILL), paused
(SIGSTOP), resumed (SIGCONT) and started again on the same data directory.
"""
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

from real_cloud import free_port

PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """preexec_fn: SIGKILL the child when the test process dies (also by SIGKILL)."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def etcd_binary():
    for path in ("/usr/bin/etcd", "/usr/local/bin/etcd"):
        if os.access(path, os.X_OK):
            return path
    return shutil.which("etcd")


def _get_json(url, headers=None, timeout=5):
    """(HTTP status, parsed JSON or None); (0, None) when nothing answered."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            body = r.read().decode()
            return r.status, json.loads(body) if body else None
    except urllib.error.HTTPError as e:
        body = e.read().decode()
        try:
            return e.code, json.loads(body)
        except ValueError:
            return e.code, {"text": body}
    except (OSError, ValueError):
        return 0, None


class EtcdCluster:
    def __init__(self, members, base_dir):
        self.members = members
        self.dir = os.path.join(base_dir, "etcd")
        os.makedirs(self.dir, exist_ok=True)
        self.procs = []
        self.endpoints = []

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    @property
    def url(self):
        """etcd://127.0.0.1:p1,127.0.0.1:p2,... (the --store value)."""
        return "etcd://" + ",".join(e[len("http://"):] for e in self.endpoints)

    def start(self, deadline_s=30):
        binary = etcd_binary()
        clients = [free_port() for _ in range(self.members)]
        peers = [free_port() for _ in range(self.members)]
        initial = ",".join("m%d=http://127.0.0.1:%d" % (i, p) for i, p in enumerate(peers))
        token = "sk-e2e-" + os.path.basename(os.path.dirname(self.dir))
        for i in range(self.members):
            client = "http://127.0.0.1:%d" % clients[i]
            peer = "http://127.0.0.1:%d" % peers[i]
            log = open(os.path.join(self.dir, "m%d.log" % i), "w")
            self.procs.append(subprocess.Popen(
                [binary, "--name", "m%d" % i, "--data-dir", os.path.join(self.dir, "m%d" % i),
                 "--listen-client-urls", client, "--advertise-client-urls", client,
                 "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                 "--initial-cluster", initial, "--initial-cluster-token", token,
                 "--initial-cluster-state", "new", "--heartbeat-interval", "50",
                 "--election-timeout", "500", "--logger", "zap"],
                stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent))
            log.close()
            self.endpoints.append(client)
        end = time.time() + deadline_s
        for i, endpoint in enumerate(self.endpoints):
            while True:  # bounded by the deadline
                if self.procs[i].poll() is not None:
                    raise RuntimeError("etcd m%d exited at start: %s" % (i, self.log(i)))
                st, body = _get_json(endpoint + "/health", timeout=2)
                if st == 200 and body and body.get("health") == "true":
                    break
                if time.time() >= end:
                    raise RuntimeError("etcd m%d not healthy in %d s: %s" % (i, deadline_s,
                                                                            self.log(i)))
                time.sleep(0.05)

    def log(self, i, tail=3000):
        try:
            with open(os.path.join(self.dir, "m%d.log" % i)) as f:
                return f.read()[-tail:]
        except OSError:
            return ""

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self.procs = []
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- reading etcd's JSON gateway (keys and values are base64)
    def range_prefix(self, prefix, keys_only=False):
        """[(key, value bytes, create_revision, mod_revision)] of the keys under `prefix`."""
        import base64
        k = prefix.encode()
        end = k[:-1] + bytes([k[-1] + 1])
        body = {"key": base64.b64encode(k).decode(), "range_end": base64.b64encode(end).decode()}
        if keys_only:
            body["keys_only"] = True
        for endpoint in self.endpoints:
            req = urllib.request.Request(endpoint + "/v3/kv/range", method="POST",
                                         data=json.dumps(body).encode())
            try:
                with urllib.request.urlopen(req, timeout=5) as r:
                    out = json.loads(r.read().decode())
            except OSError:
                continue
            return [(base64.b64decode(kv["key"]).decode(),
                     base64.b64decode(kv.get("value", "")),
                     int(kv.get("create_revision", 0)), int(kv.get("mod_revision", 0)))
                    for kv in out.get("kvs", [])]
        raise RuntimeError("no etcd member answered a range")


class Controller:
    """One `spotkeeper server` on the etcd store and a local cloud (see the module's doc)."""

    def __init__(self, spotkeeper, name, base_dir, store_url, cloud_dir, cloud_endpoint,
                 lease_ttl):
        self.spotkeeper = spotkeeper
        self.name = name
        self.data_dir = os.path.join(base_dir, name)
        os.makedirs(self.data_dir, exist_ok=True)
        self.store_url = store_url
        self.cloud_dir = cloud_dir
        self.cloud_endpoint = cloud_endpoint
        self.lease_ttl = lease_ttl
        self.proc = None
        self.api = None
        self.token = None
        self.port = free_port()  # the same port after a restart: the campaign key names it

    def start(self, deadline_s=60):
        with open(os.path.join(self.cloud_dir, "credentials.json")) as f:
            creds = json.load(f)
        with open(os.path.join(self.cloud_dir, "cloud.json")) as f:
            info = json.load(f)
        env = dict(os.environ)
        env.update({"AWS_ACCESS_KEY_ID": creds["accessKeyId"],
                    "AWS_SECRET_ACCESS_KEY": creds["secretAccessKey"],
                    "AWS_EC2_METADATA_DISABLED": "true"})
        address = os.path.join(self.data_dir, "address")
        if os.path.exists(address):
            os.remove(address)
        log = open(os.path.join(self.data_dir, "server.log"), "a")
        self.proc = subprocess.Popen(
            [self.spotkeeper, "server", "--data-dir", self.data_dir,
             "--listen", "127.0.0.1:%d" % self.port, "--provider", "ec2",
             "--endpoint-url", self.cloud_endpoint, "--region", info.get("region", "local-1"),
             "--events-queue-url", info["eventsQueueUrl"], "--store", self.store_url,
             "--lease-ttl", str(self.lease_ttl), "--log-level", "info"],
            stdout=log, stderr=subprocess.STDOUT, env=env, preexec_fn=_die_with_parent)
        log.close()
        end = time.time() + deadline_s
        while time.time() < end:  # bounded by the deadline
            if self.proc.poll() is not None:
                raise RuntimeError("controller %s exited: %s" % (self.name, self.read_log()))
            if os.path.exists(address):
                with open(address) as f:
                    self.api = f.read().strip()
                with open(os.path.join(self.data_dir, "token")) as f:
                    self.token = f.read().strip()
                if self.api:
                    return
            time.sleep(0.05)
        raise RuntimeError("controller %s did not start: %s" % (self.name, self.read_log()))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        """SIGKILL, reaped; returns time.monotonic() of the signal."""
        t = time.monotonic()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        return t

    def pause(self):
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)

    def stop(self):
        """SIGTERM (resigns the lead), SIGKILL when it does not exit in time; True when clean."""
        if not self.alive():
            return True
        self.proc.send_signal(signal.SIGCONT)  # a paused process cannot handle SIGTERM
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=60) == 0
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            return False

    def read_log(self, tail=6000):
        try:
            with open(os.path.join(self.data_dir, "server.log")) as f:
                return f.read()[-tail:]
        except OSError:
            return ""

    def log_text(self):
        return self.read_log(tail=10 ** 9)

    # --- its REST API
    def headers(self):
        return {"Authorization": "Bearer " + (self.token or "")}

    def call(self, method, path, body=None, timeout=30, raw=None,
             content_type="application/json"):
        """(HTTP status, parsed JSON or {"text": ...}); status 0 when nothing answered. `raw`
        sends that text as the body instead of `body` as JSON."""
        data = raw.encode() if raw is not None else (
            None if body is None else json.dumps(body).encode())
        h = self.headers()
        if data is not None:
            h["Content-Type"] = content_type
        req = urllib.request.Request(self.api + path, method=method, headers=h, data=data)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                text = r.read().decode()
                return r.status, json.loads(text) if text else None
        except urllib.error.HTTPError as e:
            text = e.read().decode()
            try:
                return e.code, json.loads(text)
            except ValueError:
                return e.code, {"text": text}
        except OSError as e:
            return 0, {"text": str(e)}

    def role(self):
        """"leader" | "follower" | None (not answering)."""
        if not self.alive():
            return None
        st, body = _get_json(self.api + "/readyz", self.headers(), timeout=2)
        return body.get("role") if st in (200, 503) and isinstance(body, dict) else None

    def metric(self, name, timeout=2):
        """The sum of the samples of `name` in /metrics, or None when it does not answer."""
        req = urllib.request.Request(self.api + "/metrics", headers=self.headers())
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                text = r.read().decode()
        except OSError:
            return None
        total = 0.0
        for line in text.splitlines():
            if line.startswith(name + "{") or line.startswith(name + " "):
                total += float(line.rsplit(" ", 1)[1])
        return total


def leader_of(controllers):
    """The one controller whose /readyz says leader (None when none or more than one)."""
    leaders = [c for c in controllers if c.role() == "leader"]
    return leaders[0] if len(leaders) == 1 else None
