#!/usr/bin/env python3
"""A real database in a local-cloud stateful instance, interrupted again and again, with a
client outside the instance that keeps a ledger of every acknowledged write.

  workload_run.py SPOTKEEPER CASE [--interruptions N]
                  [--triggers notice,recycle,kill,terminate]

CASE is an example under examples/ (redis, postgres, etcd, zookeeper). `spotkeeper dev` runs the
local cloud (real driver) and the controller; the example's group is created on it;
ledger_client.py writes from the VPC's network namespace to the SSI's private IP(s). Each interruption, in turn one of the
triggers:
  notice     the spot market interrupts the instance with a notice (`spotkeeper cloud interrupt
             --notice 30s --rebalance-lead 0s`): the EventBridge warning, then the controller
             recovers it before the cloud reclaims it
  recycle    the operator's recycle through spotkeeper's API (drain: SIGTERM, then terminate)
  kill       the instance's container is killed with SIGKILL: no notice, no shutdown
  terminate  EC2 TerminateInstances from outside spotkeeper (SIGTERM, then the cloud's grace)
After each: the SSI is ACTIVE on a new instance, the client writes again, and every write the
database acknowledged is read back unchanged (plus the case's own checks: AOF status, amcheck).

Measured per interruption, from the client's side: RTO = trigger -> first acknowledged write
after the outage; unavailability = the longest stretch without an acknowledgement around it.
Prints a table (interruptions, RTO p50/p99, writes acknowledged, writes lost, longest
unavailability). Exit 0 when no acknowledged write was lost or changed and every recovery
happened; 1 otherwise; 77 (skipped) without root, runc, boto3 or the case's database.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from dev_server import DevServer, settled  # noqa: E402
from real_cloud import Checks, skip_unless_possible, wait_until  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.environ.get("SPOTKEEPER_EXAMPLES_DIR",
                          os.path.join(HERE, "..", "..", "examples"))

# Per case: the database program that must exist on the host, its port and the writer's rate.
CASES = {
    "redis": {"needs": "/usr/bin/redis-server", "port": 6379, "db": "redis", "rate": 0,
                  "package": "redis-server"},
    "postgres": {"needs": "/usr/lib/postgresql/15/bin/postgres", "port": 5432, "db": "postgres",
                 "rate": 200, "package": "postgresql-15"},
    # Three SSIs of one group; every other interruption hits the leader.
    "etcd": {"needs": "/usr/bin/etcd", "port": 2379, "db": "etcd", "rate": 100,
             "package": "etcd-server", "members": 3},
    # The same, and the client through kazoo, which Debian packages for its own Python.
    "zookeeper": {"needs": "/usr/share/java/zookeeper.jar", "port": 2181, "db": "zookeeper",
                  "rate": 100, "package": "zookeeper python3-kazoo", "members": 3,
                  "python": "/usr/bin/python3", "module": "kazoo"},
}
# In this order: the ctest's 3 interruptions are a notice, a recycle and a kill without notice.
TRIGGERS = ("notice", "recycle", "kill", "terminate")
NOTICE = "30s"  # from the interruption warning to the cloud's reclaim
RECOVERY_DEADLINE_S = 120
WRITES_BETWEEN = 400  # acknowledged writes between two triggers (or 10 s of writing)


def percentile(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    k = min(len(v) - 1, max(0, int(round(p / 100.0 * (len(v) - 1)))))
    return v[k]


def map_example(ec2, path, keep_ips, mode=None):
    """The example, placed in the local cloud's first zone (what `dev --example` does)."""
    import yaml
    with open(path) as f:
        spec = yaml.safe_load(f)
    subnet = sorted((s for s in ec2.describe_subnets()["Subnets"] if s["DefaultForAz"]),
                    key=lambda s: s["AvailabilityZone"])[0]
    spec["region"] = "local-1"
    spec["name"] = "%s-%d" % (spec["name"], os.getpid())
    spec["compute"]["availabilityZones"] = [{"name": subnet["AvailabilityZone"],
                                             "subnetIds": [subnet["SubnetId"]]}]
    if not keep_ips:
        spec["compute"].pop("privateIps", None)
    if mode:  # onLaunch: the replacement's data volume comes from the latest snapshot
        spec["strategy"]["persistence"]["blockDevicesMode"] = mode
    launch = spec["compute"]["launchSpecification"]
    launch["imageId"] = "ami-00000000000000001"
    launch.pop("securityGroupIds", None)  # the VPC's default group
    # Deallocation removes the volume and the interface, so nothing outlives the test's cloud.
    spec["statefulDeallocation"] = {"shouldDeleteNetworkInterfaces": True,
                                    "shouldDeleteVolumes": True, "shouldDeleteImages": True,
                                    "shouldDeleteSnapshots": True}
    return spec, subnet["VpcId"]


class Client:
    """ledger_client.py in the VPC's network namespace, driven over its stdin/stdout."""

    def __init__(self, netns, case, ip, log_path):
        c = CASES[case]
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen(
            [c.get("python", sys.executable), os.path.join(HERE, "ledger_client.py"), c["db"],
             ip, str(c["port"]), "--netns", netns, "--rate", str(c["rate"]), "--deadline", "3600"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True)

    def ask(self, cmd, timeout_s=60):
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        import select
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout_s)
        if not ready:
            raise RuntimeError("ledger client: no answer to %r within %d s" % (cmd, timeout_s))
        line = self.proc.stdout.readline()
        if not line:
            with open(self.log_path) as f:
                raise RuntimeError("ledger client exited: " + f.read()[-3000:])
        return json.loads(line)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("stop\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()


def trigger(dev, ec2, kind, ssi):
    iid = ssi["instanceId"]
    if kind == "recycle":
        status, body = dev.call("PUT", "/api/v1/statefulInstance/%s/recycle" % ssi["id"])
        return status == 202, "recycle: HTTP %s %s" % (status, body)
    if kind == "notice":  # the spot market's interruption, as AWS FIS sends one
        rc, out, err = dev.cloud_cli("interrupt", iid, "--notice", NOTICE, "--rebalance-lead",
                                     "0s")
        return rc == 0, "cloud interrupt %s --notice %s: %s" % (iid, NOTICE, (out + err).strip())
    if kind == "terminate":
        ec2.terminate_instances(InstanceIds=[iid])
        return True, "terminate " + iid
    if kind == "kill":
        p = subprocess.run(["runc", "--root", os.path.join(dev.cloud_dir, "run"), "kill",
                            "%s-%s" % (dev.prefix, iid), "KILL"],
                           capture_output=True, text=True, timeout=30)
        return p.returncode == 0, "runc kill %s: %s" % (iid, p.stderr.strip())
    raise ValueError(kind)


def run_case(spotkeeper, case, interruptions, triggers, checks, mode=None):
    check = checks.check
    result = {"case": case + (" (%s)" % mode if mode else ""), "interruptions": 0, "rto": [], "unavailable": [], "controller": [],
              "acked": 0,
              "lost": 0, "changed": 0, "failed_recoveries": 0}
    with DevServer(spotkeeper, checks, name="wl-" + case) as dev:
        ec2 = dev.ec2()
        members = CASES[case].get("members", 1)
        spec, vpc = map_example(ec2, os.path.join(EXAMPLES, case + ".yaml"), members > 1, mode)
        status, body = dev.call("POST", "/api/v1/group", spec)
        if not check(status == 201, "group created: %s %s" % (status, body)):
            return result
        group = body["id"]
        got = wait_until(lambda: (lambda a: a if len(a) == members else None)(
            [s for s in dev.ssis(group) if settled(s, "ACTIVE")]), RECOVERY_DEADLINE_S, 0.1)
        if not check(got, "%d SSI(s) ACTIVE after launch: %s" % (members, dev.ssis(group))):
            return result
        ssis = sorted(got, key=lambda s: s["privateIp"])
        ips = [s["privateIp"] for s in ssis]
        netns = "%s-v-%s" % (dev.prefix, vpc)
        client = Client(netns, case, ",".join(ips), os.path.join(dev.data_dir, "client.log"))
        try:
            st = wait_until(lambda: (lambda s: s if s["acked"] >= 50 else None)(
                client.ask("status")), 60, 0.2)
            if not check(st, "the client's first writes were acknowledged"):
                print(open(os.path.join(dev.data_dir, "client.log")).read()[-3000:])
                return result
            for i in range(interruptions):
                kind = triggers[i % len(triggers)]
                before = client.ask("status")["acked"]
                # Writes at full speed (or the case's rate) before each trigger, bounded.
                wait_until(lambda: client.ask("status")["acked"] >= before + WRITES_BETWEEN,
                           10, 0.05)
                ssi = ssis[(i // 2) % members]
                if members > 1 and i % 2 == 1:  # the leader this time
                    leader = client.ask("leader")["leader"]
                    ssi = ([s for s in ssis if s["privateIp"] == leader] or [ssi])[0]
                    kind_label = kind + "+leader" if leader == ssi["privateIp"] else kind
                else:
                    kind_label = kind
                ip = ssi["privateIp"]
                old = dev.ssi(ssi["id"])
                t0 = time.monotonic()
                ok, what = trigger(dev, ec2, kind, old)
                if not check(ok, "trigger %d (%s): %s" % (i + 1, kind, what)):
                    break
                result["interruptions"] += 1

                def recovered():
                    s = dev.ssi(ssi["id"])
                    if not (settled(s, "ACTIVE") and s["instanceId"] != old["instanceId"]):
                        return None
                    st = client.ask("status")
                    after = [g for g in st["gaps"] if g[1] > t0]
                    if members > 1:  # a quorum: the member is back when it serves again
                        up = client.ask("serving " + ip)["serving"] and st["last_ack"] > t0
                        return (s, st, after, time.monotonic()) if up else None
                    return (s, st, after, after[-1][1]) if after and st["last_ack"] > t0 \
                        else None
                r = wait_until(recovered, RECOVERY_DEADLINE_S, 0.05)
                if not check(r, "recovery %d (%s) within %d s: ssi %s" % (
                        i + 1, kind, RECOVERY_DEADLINE_S, dev.ssi(ssi["id"]))):
                    result["failed_recoveries"] += 1
                    break
                s, st, after, back = r
                check(s["privateIp"] == ip, "recovery %d: same IP %s" % (i + 1, s["privateIp"]))
                rto = back - t0
                longest = max([g[1] - g[0] for g in after] or [0.0])
                result["rto"].append(rto)
                result["unavailable"].append(longest)
                # The controller's own account (lastRecovery: trigger seen -> replacement
                # ACTIVE), beside the client's: the rest is detection and the database's start.
                ctl = (s.get("lastRecovery") or {}).get("totalMs", 0) / 1000.0
                result["controller"].append(ctl)
                v = client.ask("verify", timeout_s=90)
                if not check("error" not in v, "verify %d: %s" % (i + 1, v)):
                    break
                check(v["lost_n"] == 0, "recovery %d (%s): no acknowledged write lost: %s" % (
                    i + 1, kind, v["lost"]))
                check(v["changed_n"] == 0, "recovery %d (%s): no write changed: %s" % (
                    i + 1, kind, v["changed"]))
                check(v["extra"] == 0, "recovery %d (%s): nothing the client did not write: %d"
                      % (i + 1, kind, v["extra"]))
                check(v["checks_ok"], "recovery %d (%s): %s" % (i + 1, kind, v["checks"]))
                result["acked"] = v["acked"]
                result["lost"] = max(result["lost"], v["lost_n"])
                result["changed"] = max(result["changed"], v["changed_n"])
                print("[ %s ] %2d %-9s RTO %6.2f s (controller %5.2f s), unavailable %6.2f s, "
                      "acked %d, lost %d, uncertain %d; %s" % (
                          case, i + 1, kind_label, rto, ctl, longest, v["acked"], v["lost_n"],
                          v["uncertain"], v["checks"]),
                      flush=True)
                client.ask("resume")
            # A quorum: planned recycles of every member at once. The group's maxUnavailable (1)
            # must make the controller take them one at a time, so that the quorum stays.
            if members > 1 and result["interruptions"] == interruptions:
                rolling(dev, client, group, ssis, result, checks)
            # The check of the check: a write deleted and one changed behind the client's back
            # must both be reported.
            if result["interruptions"] == interruptions:
                t = client.ask("tamper")
                v = client.ask("verify", timeout_s=90)
                check(v.get("lost_n") == 1 and v.get("changed_n") == 1 and
                      v.get("lost") == t["tampered"][:1] and v.get("changed") == t["tampered"][1:],
                      "the ledger check sees a deleted and a changed write: %s" % v)
        finally:
            client.close()
            if os.environ.get("SPOTKEEPER_WORKLOADS_KEEP_LOG"):  # for a look afterwards
                shutil.copy(os.path.join(dev.data_dir, "dev.log"),
                            os.environ["SPOTKEEPER_WORKLOADS_KEEP_LOG"])
        # Deallocate: the volumes, interfaces, images and snapshots go with the SSIs.
        for ssi in ssis:
            status, _ = dev.call("PUT", "/api/v1/statefulInstance/%s/deallocate" % ssi["id"], {})
            check(status == 202, "deallocate %s accepted: %s" % (ssi["id"], status))
        for ssi in ssis:
            check(wait_until(lambda: dev.ssi(ssi["id"]).get("state") == "DEALLOCATED",
                             RECOVERY_DEADLINE_S, 0.1), "deallocated " + ssi["id"])
    return result


# The states the controller counts against maxUnavailable (a RECYCLE still waiting for its turn
# keeps its instance).
DOWN_STATES = {"PAUSING", "RESUMING", "RECYCLING", "DEALLOCATING", "ERROR"}


def ordinal(n):
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(n, "%dth" % n)


def rolling(dev, client, group, ssis, result, checks):
    check = checks.check
    before = {s["id"]: dev.ssi(s["id"])["instanceId"] for s in ssis}
    ip_of = {s["id"]: dev.ssi(s["id"]).get("privateIp") for s in ssis}
    leader_ip = client.ask("leader").get("leader")
    order = []  # the SSIs in the order their replacements were ACTIVE
    t0 = time.monotonic()
    for s in ssis:
        status, body = dev.call("PUT", "/api/v1/statefulInstance/%s/recycle" % s["id"])
        check(status == 202, "rolling recycle of %s accepted: %s %s" % (s["id"], status, body))
    most_down = [0]
    # How many members served (were in the quorum, by the members' own account) at the fewest:
    # the controller counts a replacement ACTIVE when its instance runs, not when the member has
    # rejoined, so the next member may go down before the previous one is back.
    fewest = [len(ssis)]

    def all_replaced():
        fewest[0] = min(fewest[0], client.ask("in_quorum")["in_quorum"])
        # One read of the whole group: SSIs read one call after another can show one member's
        # recycle still running and the next one's already started, a moment apart.
        now = [x for x in dev.ssis(group) if x["id"] in before]
        if len(now) != len(before):
            return False
        most_down[0] = max(most_down[0], sum(1 for x in now if x.get("state") in DOWN_STATES))
        for x in now:
            if settled(x, "ACTIVE") and x["instanceId"] != before[x["id"]] and \
                    x["id"] not in order:
                order.append(x["id"])
        return all(settled(x, "ACTIVE") and x["instanceId"] != before[x["id"]] for x in now)
    done = wait_until(all_replaced, RECOVERY_DEADLINE_S * len(ssis), 0.05)
    check(done, "rolling recycle: every member replaced")
    check(most_down[0] <= 1, "rolling recycle: at most one member down at a time (seen %d)" %
          most_down[0])
    replaced = time.monotonic() - t0
    # With health.leader in the example (ZooKeeper), the member that led when the roll began
    # goes last: one election for the whole roll.
    leader_at = [i for i, sid in enumerate(order) if ip_of.get(sid) == leader_ip]
    leader_place = "the leader (%s) went %s of %d" % (
        leader_ip, ordinal(leader_at[0] + 1) if leader_at else "?", len(order))
    st, g = dev.call("GET", "/api/v1/group/" + group)
    if st == 200 and g.get("spec", {}).get("health", {}).get("leader"):
        check(leader_at == [len(ssis) - 1], "rolling recycle: health.leader puts the leader "
              "last: %s (order %s)" % (leader_place, [ip_of.get(x) for x in order]))
    # The last replacement is ACTIVE; its member rejoins a moment later.
    back = wait_until(lambda: client.ask("in_quorum")["in_quorum"] == len(ssis), 60, 0.1)
    check(back, "rolling recycle: every member serves again")
    st = client.ask("status")
    after = [g for g in st["gaps"] if g[1] > t0]
    longest = max([g[1] - g[0] for g in after] or [0.0])
    v = client.ask("verify", timeout_s=90)
    check(v.get("lost_n") == 0 and v.get("changed_n") == 0 and v.get("checks_ok"),
          "rolling recycle: nothing lost or changed: %s" % v)
    result["rolling"] = (time.monotonic() - t0, longest, most_down[0], fewest[0])
    result["unavailable"].append(longest)
    print("[ %s ] rolling recycle of %d members: %.2f s (all ACTIVE after %.2f s), at most %d "
          "down at a time, at the fewest %d serving, longest unavailability %.2f s, %s, "
          "acked %s, lost %s; %s" % (
              result["case"], len(ssis), time.monotonic() - t0, replaced, most_down[0],
              fewest[0], longest, leader_place, v.get("acked"), v.get("lost_n"),
              v.get("checks")), flush=True)
    client.ask("resume")


def table(results):
    lines = ["%-20s %13s %9s %9s %15s %15s %12s %16s" % (
        "case", "interruptions", "RTO p50", "RTO p99", "controller p50", "writes acked",
        "writes lost", "longest unavail")]
    for r in results:
        lines.append("%-20s %13d %8.2fs %8.2fs %14.2fs %15d %12d %15.2fs" % (
            r["case"], r["interruptions"], percentile(r["rto"], 50), percentile(r["rto"], 99),
            percentile(r["controller"], 50), r["acked"], r["lost"] + r["changed"],
            max(r["unavailable"] or [float("nan")])))
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("spotkeeper")
    p.add_argument("cases", nargs="+", choices=sorted(CASES))
    p.add_argument("--interruptions", type=int, default=3)
    p.add_argument("--triggers", default=",".join(TRIGGERS))
    p.add_argument("--block-devices-mode", choices=["reattach", "onLaunch"],
                   help="override the example's strategy.persistence.blockDevicesMode")
    a = p.parse_args()
    triggers = a.triggers.split(",")
    for t in triggers:
        if t not in TRIGGERS:
            p.error("unknown trigger %s (known: %s)" % (t, ", ".join(TRIGGERS)))
    skip_unless_possible()
    try:
        import boto3  # noqa: F401
        import yaml  # noqa: F401
    except ImportError as e:
        print("SKIP: %s (the machine image's Python has boto3 and PyYAML)" % e)
        return 77
    for case in a.cases:
        if not os.path.exists(CASES[case]["needs"]):
            print("SKIP: %s is not installed (apt-get install %s; scripts/deps.sh does)" % (
                CASES[case]["needs"], CASES[case]["package"]))
            return 77
        c = CASES[case]
        if "module" in c and subprocess.run(
                [c["python"], "-c", "import " + c["module"]], capture_output=True).returncode:
            print("SKIP: %s cannot import %s (apt-get install %s; scripts/deps.sh does)" % (
                c["python"], c["module"], c["package"]))
            return 77
    checks = Checks()
    results = []
    for case in a.cases:
        results.append(run_case(a.spotkeeper, case, a.interruptions, triggers, checks,
                                a.block_devices_mode))
    print(table(results))
    print("workloads %s: %d passed, %d failed" % (" ".join(a.cases), checks.passed,
                                                  checks.failed))
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
