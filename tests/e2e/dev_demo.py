#!/usr/bin/env python3
"""`spotkeeper dev --example NAME --exit-after-demo` on a fresh data directory: the local cloud
(real driver) and the controller in one process create the Redis group from examples/NAME.yaml,
write keys, have the spot market interrupt the stateful instance (`--interruptions off`: no other
interruption) and read the keys back on the replacement.

  redis            reattach + private IP + root persistence: same IP, same keys
  redis-onlaunch   data volume restored from its snapshot (two zones): same keys
  redis-root       root volume through an image, no data volume: same keys

Checks: exit 0, the narrative shows every key "(same)" (and the same IP where the example keeps
it), and nothing of the
cloud's prefix is left on the host afterwards (dev removes its cloud on exit without --keep).
If anything is left (or the run fails), `spotkeeper cloud destroy` cleans up before the test
fails.

Usage: dev_demo.py SPOTKEEPER [NAME]. Exit 77 (skipped) without root, runc or redis-server.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

from real_cloud import Checks, derive_prefix, host_leftovers, skip_unless_possible


def main():
    spotkeeper = sys.argv[1]
    example = sys.argv[2] if len(sys.argv) > 2 else "redis"
    skip_unless_possible(need=("runc", "redis-server"))
    checks = Checks()
    check = checks.check
    data_dir = tempfile.mkdtemp(prefix="sk-e2e-dev-", dir="/var/tmp")
    cloud_dir = os.path.join(data_dir, "cloud")
    prefix = derive_prefix(cloud_dir)
    out = ""
    try:
        p = subprocess.run(
            [spotkeeper, "dev", "--example", example, "--data-dir", data_dir, "--exit-after-demo",
             "--listen", "127.0.0.1:0", "--cloud-listen", "127.0.0.1:0", "--timeout", "60",
             "--interruptions", "off"],
            capture_output=True, text=True, timeout=240)
        out = p.stdout + p.stderr
        check(p.returncode == 0, "spotkeeper dev exit code %d" % p.returncode)
        check("demo: OK" in out, "the demo says OK")
        if example == "redis":
            m = re.search(r"same IP (\S+) -> (\S+), same keys", out)
            check(m is not None and m.group(1) == m.group(2), "same IP and keys in the narrative")
        else:
            check(re.search(r"IP.*-> \S+, same keys", out) is not None, "same keys in the narrative")
        check(out.count("   (same)") == 3, "every key the same on the replacement")
        check("(LOST)" not in out, "no key lost")
        check("4. the spot market interrupts" in out, "the demo interrupts through the market")
        m = re.search(r"recovery (\w+) took ([0-9.]+) s \(([0-9.]+) s without an instance\)", out)
        check(m is not None and m.group(1) == "Rebalance",
              "the recovery (at the rebalance recommendation) and its time are shown")
        if m:
            print("[ timing ] %s recovery %s s, %s s without an instance" % m.groups())
        m = re.search(r"the replacement was launched (\S+) before", out)
        check(m is not None, "the replacement was launched before the interruption's deadline")
        left = host_leftovers(prefix, data_dir)
        for thing in left:
            check(False, "left behind: " + thing)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (
            e.stdout or "")
        check(False, "spotkeeper dev did not exit within 240 s")
    finally:
        if checks.failed:
            print("--- spotkeeper dev output ---\n" + out[-8000:])
            if os.path.exists(os.path.join(cloud_dir, "cloud.db")) or host_leftovers(prefix,
                                                                                      data_dir):
                d = subprocess.run([spotkeeper, "cloud", "destroy", "--data-dir", cloud_dir],
                                   capture_output=True, text=True, timeout=180)
                print("cleanup: cloud destroy:", d.stdout + d.stderr)
        else:
            print(out)
        shutil.rmtree(data_dir, ignore_errors=True)
    print("e2e dev demo %s: %d passed, %d failed" % (example, checks.passed, checks.failed))
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
