"""Runs `spotkeeper cloud serve --host-driver fake` on a free loopback port for a test script.

The server's data dir is a fresh temporary directory, removed at the end. The process is killed
(SIGTERM, then SIGKILL) when the context ends, also on failure.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CloudProcess:
    def __init__(self, spotkeeper, extra_args=()):
        self.spotkeeper = spotkeeper
        self.extra_args = list(extra_args)  # e.g. ["--config", path]
        self.data_dir = tempfile.mkdtemp(prefix="sk_cloud_conformance_")
        self.port = free_port()
        self.proc = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self, deadline_s=30):
        info = os.path.join(self.data_dir, "cloud.json")
        if os.path.exists(info):
            os.remove(info)
        self.log = open(os.path.join(self.data_dir, "serve.log"), "a")
        self.proc = subprocess.Popen(
            [self.spotkeeper, "cloud", "serve", "--host-driver", "fake", "--data-dir",
             self.data_dir, "--listen", "127.0.0.1:%d" % self.port] + self.extra_args,
            stdout=self.log, stderr=subprocess.STDOUT)
        end = time.time() + deadline_s
        while time.time() < end:  # bounded by the deadline
            if self.proc.poll() is not None:
                raise RuntimeError("cloud serve exited: " + self.read_log())
            if os.path.exists(info):
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                        return
                except OSError:
                    pass
            time.sleep(0.05)
        raise RuntimeError("cloud serve did not start: " + self.read_log())

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def read_log(self):
        try:
            with open(os.path.join(self.data_dir, "serve.log")) as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def credentials(self):
        with open(os.path.join(self.data_dir, "credentials.json")) as f:
            k = json.load(f)
        return k["accessKeyId"], k["secretAccessKey"]
