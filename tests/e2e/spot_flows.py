#!/usr/bin/env python3
"""The controller against the local cloud's spot market, end to end, through `spotkeeper dev`
(the market's own interruptions off, so that only the test interrupts) and the `spotkeeper
cloud interrupt|capacity|cost` verbs. The group is examples/redis.yaml (reattach + private IP +
root persistence) mapped onto the local cloud; keys are written with redis-cli inside the
instance and read back on every replacement.

  interrupt  1. `cloud interrupt --notice 10s --rebalance-lead 0s`: the interruption warning
                starts the controller's recovery; back with the same IP and keys
             2. `cloud interrupt --notice 20s --rebalance-lead 15s`: the controller replaces the
                instance at the rebalance recommendation (proactively): the replacement is
                launched before the notice's terminate time, and the old instance ends by the
                controller's hand (instance-terminated-by-user), not the market's
             3. the controller's savings report (GET /api/v1/group/{id}/savings) shows a
                positive spot saving consistent with `cloud cost --by-tag spotkeeper:group`
  fallback   `cloud capacity m5.large/local-1a --set 0` reclaims the spot instance: the SSI
             comes back on-demand (fallbackToOd) with its IP and keys; `--set unlimited` and
             the SSI returns to spot (revertToSpot, dev --revert-to-spot-interval 15s)

Usage: spot_flows.py SPOTKEEPER interrupt|fallback. Exit 77 (skipped) without root, runc,
redis-server or boto3.
"""
import datetime
import json
import os
import sys
import time
import traceback

from dev_server import DevServer, settled
from real_cloud import Checks, skip_unless_possible, wait_until

KEYS = {"e2e:greeting": "hello", "e2e:counter": "42", "e2e:spaced": "a b c"}


def redis_spec(dev, ec2):
    """examples/redis.yaml with the local cloud's subnet, a unique name and only the instance
    types the local cloud has (as `spotkeeper dev --example` maps it; the local cloud takes any
    security group id)."""
    with open(os.path.join(os.environ.get("SPOTKEEPER_EXAMPLES_DIR", "../../examples"),
                           "redis.yaml")) as f:
        text = f.read()
    subnet = [s for s in ec2.describe_subnets()["Subnets"]
              if s["AvailabilityZone"] == "local-1a" and s["DefaultForAz"]][0]
    for old, new in (("name: redis ", "name: redis-e2e-%d " % os.getpid()),
                     ("subnet-0000000000000000a", subnet["SubnetId"]),
                     ("spot: [m5.large, m5a.large]", "spot: [m5.large]")):
        if old not in text:
            raise RuntimeError("examples/redis.yaml no longer has %r" % old)
        text = text.replace(old, new)
    return text


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


class SpotFlow:
    def __init__(self, dev, checks):
        self.dev = dev
        self.check = checks.check
        self.ec2 = dev.ec2()
        self.group = None
        self.timings = []

    def create_group(self):
        status, body = self.dev.call_raw("POST", "/api/v1/group", redis_spec(self.dev, self.ec2),
                                         "application/yaml")
        self.check(status == 201, "group created: %s %s" % (status, body))
        self.group = body["id"]
        got = self.wait("launch -> ACTIVE", lambda: [s for s in self.dev.ssis(self.group)
                                                      if settled(s, "ACTIVE")])
        self.check(got, "SSI ACTIVE after launch: %s" % self.dev.ssis(self.group))
        return got[0] if got else None

    def wait(self, name, fn, deadline_s=60):
        t = time.perf_counter()
        v = wait_until(fn, deadline_s, 0.1)
        self.timings.append((name, time.perf_counter() - t))
        return v

    def replaced(self, sid, old_instance, deadline_s=60, what="replacement"):
        """The SSI ACTIVE and settled on an instance other than `old_instance`."""
        def probe():
            s = self.dev.ssi(sid)
            return s if settled(s, "ACTIVE") and s.get("instanceId") not in (None, "",
                                                                              old_instance) \
                else None
        s = self.wait(what, probe, deadline_s)
        self.check(s, "%s ACTIVE on a new instance: %s" % (what, self.dev.ssi(sid)))
        return s

    def instance(self, iid):
        return self.ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]

    def redis(self, iid, script):
        return self.dev.exec_sh(
            iid, "i=0; until redis-cli ping 2>/dev/null | grep -q PONG; do "
                 "i=$((i+1)); [ $i -gt 300 ] && exit 9; sleep 0.1; done; " + script)

    def write_keys(self, iid):
        script = "; ".join("redis-cli set '%s' '%s' >/dev/null" % kv for kv in KEYS.items())
        rc, out = self.redis(iid, script + "; echo written")
        self.check(rc == 0 and "written" in out, "keys written on %s: %d %s" % (iid, rc, out))

    def check_keys(self, iid, what):
        script = "; ".join("redis-cli --raw get '%s'" % k for k in KEYS)
        rc, out = self.redis(iid, script)
        got = out.strip().split("\n")
        self.check(rc == 0 and got == list(KEYS.values()),
                   "%s: the same keys on %s: %d %r" % (what, iid, rc, got))

    def check_same(self, s, ip, what):
        d = self.instance(s["instanceId"])
        self.check(s["privateIp"] == ip and d["PrivateIpAddress"] == ip,
                   "%s: same IP %s (%s)" % (what, ip, d["PrivateIpAddress"]))
        self.check_keys(s["instanceId"], what)

    def cloud(self, *args):
        rc, out, err = self.dev.cloud_cli(*args)
        self.check(rc == 0, "spotkeeper cloud %s: exit %d %s" % (" ".join(args), rc, err))
        return json.loads(out) if rc == 0 and "--json" in args else out

    def event_latency(self, sid, kind, cloud_time):
        """Seconds from the cloud's time of a signal (its EventBridge event's time) to the
        controller's audit event of `kind` for the SSI (the queue, the long poll and the intake):
        the same host clock on both sides. None when the controller never recorded it."""
        def probe():
            st, b = self.dev.call("GET", "/api/v1/events?statefulInstanceId=%s&limit=1000" % sid)
            hits = [e for e in (b or {}).get("items", []) if e.get("kind") == kind and
                    parse_time(e["at"]) >= cloud_time - datetime.timedelta(seconds=1)]
            return hits[0] if st == 200 and hits else None
        e = wait_until(probe, 30, 0.1)
        self.check(e, "the controller recorded %s for %s" % (kind, sid))
        if not e:
            return None
        secs = (parse_time(e["at"]) - cloud_time).total_seconds()
        self.timings.append(("event delivery: %s" % kind, secs))
        return secs

    def launch_on_spot(self):
        """Creates the group; its SSI once ACTIVE (checked to run on spot), else None."""
        first = self.create_group()
        if first:
            self.check(first.get("lifeCycle") == "SPOT",
                       "launched on spot: %s" % first.get("lifeCycle"))
        return first

    def spot_request(self, iid):
        reqs = self.ec2.describe_spot_instance_requests(
            Filters=[{"Name": "instance-id", "Values": [iid]}])["SpotInstanceRequests"]
        return reqs[0] if reqs else {}


def interrupt_steps(f, dev, checks):
    check = checks.check
    first = f.launch_on_spot()
    if not first:
        return
    sid, ip, i1 = first["id"], first["privateIp"], first["instanceId"]
    f.write_keys(i1)

    # 1. An interruption whose notice is short: the controller recovers on the warning.
    t0 = time.perf_counter()
    j = f.cloud("interrupt", i1, "--notice", "10s", "--rebalance-lead", "0s", "--json")
    sched = j["interruptions"][0] if j else {}
    check(sched.get("instanceId") == i1 and sched.get("action") == "terminate",
          "interrupt answered the timeline: %s" % sched)
    s = f.replaced(sid, i1, 60, "interrupted -> ACTIVE")
    if not s:
        return
    f.timings.append(("interruption: notice -> replacement ACTIVE", time.perf_counter() - t0))
    i2 = s["instanceId"]
    if "noticeAt" in sched:
        notice_at = parse_time(sched["noticeAt"])
        f.event_latency(sid, "InterruptionWarning", notice_at)
        f.timings.append(("interruption: notice -> replacement launched",
                          (f.instance(i2)["LaunchTime"] - notice_at).total_seconds()))
    check(s.get("lastRecovery", {}).get("reason") == "Interrupted",
          "recovered from the interruption: %s" % s.get("lastRecovery"))
    check(s.get("lifeCycle") == "SPOT", "the replacement is spot: %s" % s.get("lifeCycle"))
    f.check_same(s, ip, "after the interruption")
    check(wait_until(lambda: f.instance(i1)["State"]["Name"] == "terminated", 30, 0.2),
          "the interrupted instance is terminated")
    check(f.spot_request(i1).get("Status", {}).get("Code") in (
        "instance-terminated-no-capacity", "instance-terminated-by-user"),
        "the interrupted instance's spot request: %s" % f.spot_request(i1).get("Status"))

    # 2. A rebalance recommendation well before the notice: replaced before the deadline.
    j = f.cloud("interrupt", i2, "--notice", "20s", "--rebalance-lead", "15s", "--json")
    sched = j["interruptions"][0] if j else {}
    terminate_at = parse_time(sched["terminateAt"]) if "terminateAt" in sched else None
    s = f.replaced(sid, i2, 60, "rebalance -> ACTIVE")
    if not s or terminate_at is None:
        return
    i3 = s["instanceId"]
    if "rebalanceAt" in sched:
        f.event_latency(sid, "RebalanceRecommendation", parse_time(sched["rebalanceAt"]))
    check(s.get("lastRecovery", {}).get("reason") == "Rebalance",
          "replaced proactively at the rebalance recommendation: %s" % s.get("lastRecovery"))
    launched = f.instance(i3)["LaunchTime"]
    check(launched < terminate_at, "the replacement %s was launched at %s, before the notice's "
          "terminate time %s" % (i3, launched, terminate_at))
    f.timings.append(("replacement launched ahead of the deadline",
                      (terminate_at - launched).total_seconds()))
    f.check_same(s, ip, "after the proactive replacement")
    code = f.spot_request(i2).get("Status", {}).get("Code")
    check(code == "instance-terminated-by-user",
          "the old instance ended by the controller's hand, not the market's: %s" % code)

    # 3. The controller's savings beside the cloud's cost of the group's instances.
    def savings():
        st, b = dev.call("GET", "/api/v1/group/%s/savings" % f.group)
        return b if st == 200 and b.get("spotHours", 0) > 0 and b.get("costUsd", 0) > 0 else None
    sv = f.wait("savings report", savings, 70)
    check(sv, "the savings report counted spot hours: %s" % (
        dev.call("GET", "/api/v1/group/%s/savings" % f.group),))
    if not sv:
        return
    cost = f.cloud("cost", "--by-tag", "spotkeeper:group", "--json")
    mine = [v for v in (cost or {}).get("byTag", {}).get("spotkeeper:group", [])
            if v["value"] == f.group]
    check(len(mine) == 1 and mine[0]["instances"] >= 3,
          "the cloud's cost has the group's instances: %s" % mine)
    if not mine:
        return
    c = mine[0]
    print("savings: controller %.6f of %.6f USD (%.1f%% saved); cloud %.6f of %.6f USD "
          "(%.1f%% saved)" % (sv["costUsd"], sv["onDemandCostUsd"], sv["savedPercent"],
                              c["cost"], c["onDemandCost"], c["savedPercent"]))
    check(sv["savedPercent"] > 30, "the controller reports a spot saving: %.1f%%" %
          sv["savedPercent"])
    check(abs(sv["savedPercent"] - c["savedPercent"]) <= 5,
          "the controller's saving %.1f%% is within 5 points of the cloud's %.1f%%" % (
              sv["savedPercent"], c["savedPercent"]))
    # The controller accrues at its sweeps (the time since the last one is not counted yet).
    check(0 < sv["onDemandCostUsd"] <= c["onDemandCost"] * 1.01,
          "the controller's on-demand equivalent %.6f is at most the cloud's %.6f" % (
              sv["onDemandCostUsd"], c["onDemandCost"]))


def fallback_steps(f, dev, checks):
    check = checks.check
    first = f.launch_on_spot()
    if not first:
        return
    sid, ip, i1 = first["id"], first["privateIp"], first["instanceId"]
    itype = f.instance(i1)["InstanceType"]
    pool = "%s/local-1a" % itype
    f.write_keys(i1)

    # Drain the pool: the running spot instance is reclaimed, and no spot launch fits.
    j = f.cloud("capacity", pool, "--set", "0", "--json")
    reclaimed = [i["instanceId"] for i in (j or {}).get("interruptions", [])]
    check(reclaimed == [i1], "draining %s reclaims %s: %s" % (pool, i1, reclaimed))
    check((j or {}).get("pool", {}).get("spotCapacity") == 0, "the pool's spot capacity is 0")
    s = f.replaced(sid, i1, 60, "drained -> ACTIVE on-demand")
    if not s:
        return
    i2 = s["instanceId"]
    check(s.get("lifeCycle") == "OD", "back on-demand (fallbackToOd): %s" % s.get("lifeCycle"))
    check(f.instance(i2).get("InstanceLifecycle") is None,
          "EC2 shows an on-demand instance: %s" % f.instance(i2).get("InstanceLifecycle"))
    f.check_same(s, ip, "on-demand")

    # Restore the pool: the SSI returns to spot at the next revert try.
    t0 = time.perf_counter()
    f.cloud("capacity", pool, "--set", "unlimited", "--json")
    s = f.replaced(sid, i2, 75, "restored -> ACTIVE on spot")
    if not s:
        return
    f.timings.append(("pool restored -> back on spot", time.perf_counter() - t0))
    i3 = s["instanceId"]
    check(s.get("lifeCycle") == "SPOT", "back on spot (revertToSpot): %s" % s.get("lifeCycle"))
    check(f.instance(i3).get("InstanceLifecycle") == "spot", "EC2 shows a spot instance")
    check(s.get("lastRecovery", {}).get("reason") == "RevertToSpot",
          "the recovery was the revert: %s" % s.get("lastRecovery"))
    f.check_same(s, ip, "back on spot")


def run_flow(steps, dev, checks):
    """Runs the steps; an exception is a failed check (with its traceback). Their timings."""
    f = SpotFlow(dev, checks)
    try:
        steps(f, dev, checks)
    except Exception:  # noqa: BLE001 -- reported, and fails the test
        traceback.print_exc()
        checks.check(False, "the flow raised an exception (above)")
    return f.timings


def main():
    spotkeeper, flow = sys.argv[1], sys.argv[2]
    skip_unless_possible(need=("runc", "redis-server"))
    try:
        import boto3  # noqa: F401
    except ImportError:
        print("SKIP: boto3 is not installed (apt-get install python3-boto3)")
        return 77
    checks = Checks()
    args = []
    if flow == "fallback":
        args += ["--revert-to-spot-interval", "15s"]
    started = time.perf_counter()
    with DevServer(spotkeeper, checks, name="spot-" + flow, extra_args=args) as dev:
        steps = {"interrupt": interrupt_steps, "fallback": fallback_steps}[flow]
        for name, secs in run_flow(steps, dev, checks):
            print("[ timing ] %-45s %7.2f s" % (name, secs))
    print("[ timing ] %-45s %7.2f s" % ("whole test", time.perf_counter() - started))
    print("e2e spot flows %s: %d passed, %d failed" % (flow, checks.passed, checks.failed))
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
