#!/usr/bin/env python3
"""Failover of highly available controllers on the local cloud (real driver; docs/ha.md).

A 3-member etcd on loopback ports (ha_cluster.EtcdCluster), one `spotkeeper cloud serve` and
three `spotkeeper server --store etcd://...` controllers with the ec2 provider against it. A
Redis group (examples/redis.yaml: reattach data volume, private IP, root persistence) has one
SSI and a key written into Redis.

kill -9: a recycle is started on the leader, its workflow is watched through the leader's API,
and the leader is killed with SIGKILL as soon as the workflow reaches a point:
  terminate-requested   wait_terminated (TerminateInstances sent)
  eni-released          final_snapshots .. retire_superseded (old instance gone, ENI and
                        volumes free)
  instance-launched     wait_running .. wait_attached (RunInstances sent)
Another controller must take over and finish that same workflow; then nothing is doubled or
leaked, compared with the cloud's Describe* calls: one live instance (the SSI's), one ENI (the
SSI's), the volumes exactly those of that instance, at most one registered image (the latest
root image; older ones are retired); the SSI keeps its IP and
the key is still in Redis. The killed controller is started again (as a follower) before the
next point.

SIGSTOP: the leader is paused in the middle of a recycle for longer than its lease; another
controller takes over and finishes the recycle. Writes sent to the paused controller wait in its
socket; it is resumed (SIGCONT) and each of them must be refused -- which refusal depends on
which of its threads runs first: the store's fence ("write refused: this controller is no
longer the leader"), 503 as a follower when its election noticed first, or 409 from the action's
own check when its stale replica still shows the SSI RECYCLING. It steps down (/readyz role,
spotkeeper_leader 0, its log; the log also counts the commits of its own workflow that the
fence refused), and etcd holds no workflow it started.

At the end the group is deleted (its SSI deallocated with everything it owns) and the cloud
must hold no instance, ENI, volume, image or snapshot. Usage: ha_failover.py SPOTKEEPER [POINT...]. Exit 77 (skipped) without root, runc,
redis-server, etcd or boto3.
"""
import os
import re
import shutil
import sys
import tempfile
import threading
import time

from dev_server import settled
from ha_cluster import Controller, EtcdCluster, etcd_binary, leader_of
from real_cloud import SKIP, Checks, RealCloud, skip_unless_possible, wait_until

LEASE_TTL = 3
POINTS = {
    "terminate-requested": ["wait_terminated"],
    "eni-released": ["final_snapshots", "wait_final_snapshots", "register_image", "wait_image",
                     "retire_superseded"],
    "instance-launched": ["wait_running", "attach_volumes", "wait_attached"],
}
BASE_IMAGE = "ami-00000000000000001"  # the cloud's own base image
LIVE = ("pending", "running", "stopping", "shutting-down")


def redis_spec(ec2, examples_dir):
    """examples/redis.yaml (YAML text, as a user would send it) on this cloud's subnet."""
    with open(os.path.join(examples_dir, "redis.yaml")) as f:
        text = f.read()
    subnet = [s for s in ec2.describe_subnets()["Subnets"]
              if s["AvailabilityZone"] == "local-1a" and s["DefaultForAz"]][0]["SubnetId"]
    text = re.sub(r"(?m)^name: redis\b", "name: ha-%d" % os.getpid(), text)
    text = re.sub(r"subnetIds: \[[^\]]*\]", "subnetIds: [%s]" % subnet, text)
    text = re.sub(r"(?m)^ *securityGroupIds:.*\n", "", text)
    text = re.sub(r"drainingTimeout: *\d+", "drainingTimeout: 3", text)  # Redis stops at once
    return text


class World:
    def __init__(self, spotkeeper, checks, cloud, etcd, controllers, ec2):
        self.spotkeeper = spotkeeper
        self.check = checks.check
        self.cloud = cloud
        self.etcd = etcd
        self.controllers = controllers
        self.ec2 = ec2
        self.group = None
        self.sid = None
        self.ip = None
        self.eni = None
        self.volume = None
        self.timings = []

    def leader(self, deadline_s=LEASE_TTL + 20, exclude=None):
        def one():
            # Not asking `exclude`: a paused process answers nothing (each ask would wait out
            # its timeout).
            return leader_of([c for c in self.controllers if c.alive() and c is not exclude])
        return wait_until(one, deadline_s, 0.05)

    def ssi(self, via):
        st, b = via.call("GET", "/api/v1/statefulInstance/" + self.sid)
        return b if st == 200 else {}

    def redis(self, iid, command):
        rc, out = self.cloud.exec_sh(iid, "redis-cli " + command)
        return out.strip() if rc == 0 else None

    def live_instances(self):
        return [i for r in self.ec2.describe_instances()["Reservations"] for i in r["Instances"]
                if i["State"]["Name"] in LIVE]

    def cloud_state(self):
        """(live instance ids, ENI ids, volume ids not deleted, registered image ids) in the
        whole cloud."""
        inst = sorted(i["InstanceId"] for i in self.live_instances())
        enis = sorted(n["NetworkInterfaceId"] for n in
                      self.ec2.describe_network_interfaces()["NetworkInterfaces"])
        vols = sorted(v["VolumeId"] for v in self.ec2.describe_volumes()["Volumes"]
                      if v["State"] not in ("deleting", "deleted"))
        imgs = sorted(i["ImageId"] for i in self.ec2.describe_images(Owners=["self"])["Images"]
                      if i["ImageId"] != BASE_IMAGE)
        return inst, enis, vols, imgs

    def check_nothing_doubled(self, s, what):
        iid = s.get("instanceId")

        def matches():
            inst, enis, vols, imgs = self.cloud_state()
            d = self.ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
            mine = sorted(m["Ebs"]["VolumeId"] for m in d.get("BlockDeviceMappings", []))
            return (inst == [iid] and enis == [self.eni] and vols == mine and len(imgs) <= 1,
                    (inst, enis, vols, mine, imgs))
        ok = wait_until(lambda: matches()[0], 30, 0.5)
        got = matches()[1]
        self.check(ok, "%s: one instance, one ENI, the instance's volumes only, <= 1 image: "
                   "instances %s ENIs %s volumes %s (the instance's %s) images %s"
                   % ((what,) + got))
        d = self.ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
        self.check(s.get("privateIp") == self.ip and d.get("PrivateIpAddress") == self.ip,
                   "%s: same IP %s: %s %s" % (what, self.ip, s.get("privateIp"),
                                              d.get("PrivateIpAddress")))
        self.check(d["NetworkInterfaces"][0]["NetworkInterfaceId"] == self.eni,
                   "%s: same ENI" % what)
        maps = {m["DeviceName"]: m["Ebs"]["VolumeId"] for m in d["BlockDeviceMappings"]}
        self.check(maps.get("/dev/sdf") == self.volume, "%s: same data volume: %s" % (what, maps))
        value = wait_until(lambda: self.redis(iid, "get ha-key") == "kept-before-failover", 60,
                           0.25)
        self.check(value, "%s: the key is still in Redis: %s" % (what, self.redis(iid,
                                                                                 "get ha-key")))

    def launch(self, leader, examples_dir):
        st, body = leader.call("POST", "/api/v1/group", raw=redis_spec(self.ec2, examples_dir),
                               content_type="application/yaml")
        self.check(st == 201, "group created on the leader: %s %s" % (st, body))
        if st != 201:
            return False
        self.group = body["id"]

        def active():
            st, b = leader.call("GET", "/api/v1/group/%s/statefulInstance" % self.group)
            items = b["items"] if st == 200 else []
            return [s for s in items if settled(s, "ACTIVE")]
        got = wait_until(active, 180, 0.2)
        self.check(got, "SSI ACTIVE after launch")
        if not got:
            return False
        s = got[0]
        self.sid, self.ip, self.eni = s["id"], s["privateIp"], s["networkInterfaceId"]
        self.volume = [d["volumeId"] for d in s["devices"] if d["deviceName"] == "/dev/sdf"][0]
        ok = wait_until(lambda: self.redis(s["instanceId"], "set ha-key kept-before-failover")
                        == "OK", 60, 0.25)
        self.check(ok, "key written into Redis")
        return bool(ok)

    def kill_at(self, point):
        steps = POINTS[point]
        leader = self.leader()
        self.check(leader is not None, "%s: a leader" % point)
        if leader is None:
            return
        before = self.ssi(leader)
        old_instance = before.get("instanceId")
        st, b = leader.call("PUT", "/api/v1/group/%s/statefulInstance/%s/recycle"
                            % (self.group, self.sid), {})
        self.check(st == 202, "%s: recycle accepted by the leader: %s %s" % (point, st, b))
        wf = {}

        def at_point():
            w = (self.ssi(leader).get("workflow") or {})
            if w.get("kind") == "recycle" and w.get("step") in steps:
                wf.update(w)
                return True
            return False
        reached = wait_until(at_point, 120, 0.02)
        self.check(reached, "%s: the recycle reached %s: %s" % (point, steps,
                                                                self.ssi(leader).get("workflow")))
        if not reached:
            return
        killed_at = leader.kill9()
        print("%s: killed %s (leader) at step %s of workflow %s" % (point, leader.name,
                                                                    wf["step"], wf["id"]),
              flush=True)
        new = self.leader(exclude=leader)
        took = time.monotonic() - killed_at
        self.check(new is not None and new is not leader,
                   "%s: another controller leads after the kill" % point)
        if new is None:
            return
        self.timings.append(("%s: kill -9 -> new leader (%s)" % (point, new.name), took))
        leader.start()  # back as a follower
        done = wait_until(lambda: settled(self.ssi(new), "ACTIVE") and
                          (self.ssi(new).get("workflow") or {}).get("id") == wf["id"], 180, 0.2)
        self.timings.append(("%s: kill -9 -> recycle finished" % point,
                             time.monotonic() - killed_at))
        s = self.ssi(new)
        self.check(done, "%s: the new leader finished the same workflow %s: %s"
                   % (point, wf["id"], s.get("workflow")))
        self.check(s.get("instanceId") not in (None, "", old_instance),
                   "%s: a new instance: %s -> %s" % (point, old_instance, s.get("instanceId")))
        self.check(leader.role() == "follower", "%s: the restarted %s follows" % (point,
                                                                                  leader.name))
        self.check_nothing_doubled(s, point)

    def pause_past_lease(self):
        what = "SIGSTOP"
        old = self.leader()
        self.check(old is not None, what + ": a leader")
        if old is None:
            return
        st, b = old.call("PUT", "/api/v1/group/%s/statefulInstance/%s/recycle"
                         % (self.group, self.sid), {})
        self.check(st == 202, "%s: recycle accepted: %s %s" % (what, st, b))
        wf = {}

        def terminating():
            w = self.ssi(old).get("workflow") or {}
            if w.get("kind") == "recycle" and w.get("step") == "wait_terminated":
                wf.update(w)
                return True
            return False
        if not self.check(wait_until(terminating, 120, 0.02), what + ": recycle under way"):
            return
        old.pause()
        paused_at = time.monotonic()
        refused_before = old.log_text().count("write refused")
        # Writes sent to the paused leader wait in its socket until it runs again.
        answers = []

        def send(action):
            answers.append((action,) + old.call(
                "PUT", "/api/v1/group/%s/statefulInstance/%s/%s" % (self.group, self.sid,
                                                                  action), {}, timeout=120))
        senders = [threading.Thread(target=send, args=(a,)) for a in ("recycle", "pause")]
        for t in senders:
            t.start()
        new = self.leader(exclude=old)
        self.check(new is not None, what + ": another controller leads while %s is paused"
                   % old.name)
        if new is None:
            old.resume()
            return
        self.timings.append(("SIGSTOP -> new leader (%s)" % new.name,
                             time.monotonic() - paused_at))
        done = wait_until(lambda: settled(self.ssi(new), "ACTIVE") and
                          (self.ssi(new).get("workflow") or {}).get("id") == wf["id"], 180, 0.2)
        s = self.ssi(new)
        self.check(done, "%s: the new leader finished the recycle: %s" % (what,
                                                                          s.get("workflow")))
        workflows_before = sorted(k for k, _, _, _ in self.etcd.range_prefix("/spotkeeper/w/"))
        old.resume()
        for t in senders:
            t.join(timeout=150)
        for action, st, body in answers:
            text = str(body)
            if "no longer the leader" in text:
                how = "fenced by the store"
            elif st == 503 and "follower" in text:
                how = "refused as a follower (it had stepped down)"
            else:  # still leading in its own eyes, it judged the SSI by its stale replica
                how = "refused by the action's own check on the old replica"
            # Whichever came first, nothing may have been accepted; what reached etcd is
            # checked below.
            self.check(400 <= st < 600 and st != 0,
                       "%s: the resumed %s refused %s: %s %s" % (what, old.name, action, st,
                                                                  text[:300]))
            print("%s: %s sent while paused -> %s %s" % (what, action, st, how))
        self.check(len(answers) == 2, "%s: both writes answered" % what)
        stepped = wait_until(lambda: old.role() == "follower", 20, 0.1)
        self.check(stepped, "%s: the resumed %s steps down: %s" % (what, old.name, old.role()))
        self.check(old.metric("spotkeeper_leader") == 0, "%s: spotkeeper_leader 0 on %s"
                   % (what, old.name))
        log = old.log_text()
        self.check("lost the lead" in log, "%s: %s's log says it lost the lead" % (what,
                                                                                   old.name))
        print("%s: %s's log: %d write(s) refused by the fence after the resume" % (
            what, old.name, log.count("write refused") - refused_before))
        self.check(new.role() == "leader", "%s: %s still leads" % (what, new.name))
        time.sleep(1)  # let anything the old one might still send land before looking
        workflows_after = sorted(k for k, _, _, _ in self.etcd.range_prefix("/spotkeeper/w/"))
        self.check(workflows_after == workflows_before,
                   "%s: no workflow started by the old leader: %s -> %s"
                   % (what, workflows_before, workflows_after))
        s = self.ssi(new)
        self.check(settled(s, "ACTIVE"), "%s: the SSI stays ACTIVE: %s %s" % (
            what, s.get("state"), s.get("workflow")))
        self.check_nothing_doubled(s, what)

    def delete_group(self):
        leader = self.leader()
        if leader is None or self.group is None:
            return
        everything = {"shouldDeleteImages": True, "shouldDeleteNetworkInterfaces": True,
                      "shouldDeleteVolumes": True, "shouldDeleteSnapshots": True}
        st, b = leader.call("DELETE", "/api/v1/group/" + self.group,
                            {"statefulDeallocation": everything})
        self.check(st == 202, "group deletion started: %s %s" % (st, b))

        def left():
            inst, enis, vols, imgs = self.cloud_state()
            snaps = [x["SnapshotId"] for x in
                     self.ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]]
            return inst, enis, vols, imgs, snaps
        ok = wait_until(lambda: not any(left()), 180, 0.5)
        self.check(ok, "nothing left in the cloud after the group's deletion (instances, ENIs, "
                   "volumes, images, snapshots): %s" % (left(),))


def main():
    spotkeeper = sys.argv[1]
    points = sys.argv[2:] or list(POINTS) + ["sigstop"]
    skip_unless_possible(need=("runc", "redis-server"))
    if etcd_binary() is None:
        print("SKIP: etcd is not installed (apt-get install etcd-server; scripts/deps.sh)")
        return SKIP
    try:
        import boto3  # noqa: F401
    except ImportError as e:
        print("SKIP: %s (apt-get install python3-boto3)" % e)
        return SKIP
    examples = os.environ.get("SPOTKEEPER_EXAMPLES_DIR",
                              os.path.join(os.path.dirname(__file__), "..", "..", "examples"))
    checks = Checks()
    base = tempfile.mkdtemp(prefix="sk-e2e-ha-", dir="/var/tmp")
    controllers = []
    try:
        with RealCloud(spotkeeper, checks, name="ha") as cloud, \
                EtcdCluster(3, base) as etcd:
            import boto3
            import botocore.config
            key, secret = cloud.credentials()
            ec2 = boto3.session.Session(
                aws_access_key_id=key, aws_secret_access_key=secret,
                region_name="local-1").client("ec2", endpoint_url=cloud.endpoint,
                                              config=botocore.config.Config(
                                                  retries={"max_attempts": 3}))
            controllers = [Controller(spotkeeper, "c%d" % i, base, etcd.url, cloud.data_dir,
                                      cloud.endpoint, LEASE_TTL) for i in range(3)]
            world = World(spotkeeper, checks, cloud, etcd, controllers, ec2)
            try:
                for c in controllers:
                    c.start()
                leader = world.leader()
                checks.check(leader is not None, "one of three controllers leads")
                roles = sorted(str(c.role()) for c in controllers)
                checks.check(roles == ["follower", "follower", "leader"],
                             "one leader, two followers: %s" % roles)
                if leader is not None and world.launch(leader, examples):
                    for point in points:
                        if point == "sigstop":
                            world.pause_past_lease()
                        elif point in POINTS:
                            world.kill_at(point)
                        else:
                            checks.check(False, "unknown point " + point)
                    world.delete_group()
            finally:
                for c in controllers:
                    checks.check(c.stop(), "controller %s stopped cleanly" % c.name)
                if checks.failed:
                    for c in controllers:
                        print("--- controller %s log (tail) ---\n%s" % (c.name,
                                                                        c.read_log(4000)))
            for name, secs in world.timings:
                print("[ timing ] %-55s %6.2f s (lease TTL %d s)" % (name, secs, LEASE_TTL))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print("e2e HA failover: %d passed, %d failed" % (checks.passed, checks.failed))
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
