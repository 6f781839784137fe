#!/usr/bin/env python3
"""The controller's flows on the local cloud (real driver), through `spotkeeper dev`: the
controller server with RateLimitedProvider over Ec2Provider pointed at the cloud's endpoint and
events from its SQS queue.

A reattach + private-IP group (one SSI, data volume /dev/sdf, tags):
  launch      -> ACTIVE; data written to /mnt/sdf with `cloud exec`
  recycle     -> a new instance with the same ENI and IP, the same data volume at /mnt/sdf with
                 the data still there, the group's tags on the new instance
  pause       -> PAUSED: the instance terminated, the volume and the ENI `available`
  resume      -> ACTIVE again: same IP, same data
  deallocate  -> DEALLOCATED: volume and ENI deleted (the spec's statefulDeallocation)
onLaunch, root persistence and reattach across zones: controller_snapshot_flows.py.

Usage: controller_flows.py SPOTKEEPER [--provider-faults SPEC]. With --provider-faults, dev
injects those faults (errors, lost responses, latency; seeded) into every call the controller
makes to the cloud, and the same flows must still converge. Exit 77 (skipped) without root, runc
or boto3.
"""
import os
import re
import sys
import time

from dev_server import DevServer, settled
from real_cloud import Checks, skip_unless_possible, wait_until


def main():
    spotkeeper = sys.argv[1]
    extra = sys.argv[2:]
    if extra and (len(extra) != 2 or extra[0] != "--provider-faults"):
        print("usage: controller_flows.py SPOTKEEPER [--provider-faults SPEC]")
        return 2
    skip_unless_possible()
    try:
        import boto3  # noqa: F401
    except ImportError:
        print("SKIP: boto3 is not installed (apt-get install python3-boto3)")
        return 77
    checks = Checks()
    check = checks.check
    timings = []
    name = "flows-faults" if extra else "flows"
    # Debug logging: the scan for secrets (dev_server.py) covers every line dev can write.
    with DevServer(spotkeeper, checks, name=name, extra_args=extra, log_level="debug") as dev:
        ec2 = dev.ec2()
        subnet = [s for s in ec2.describe_subnets()["Subnets"]
                  if s["AvailabilityZone"] == "local-1a" and s["DefaultForAz"]][0]
        spec = {
            "name": "flows-%d" % os.getpid(),
            "region": "local-1",
            "capacity": {"target": 1, "minimum": 0, "maximum": 1},
            "compute": {
                "availabilityZones": [{"name": "local-1a", "subnetIds": [subnet["SubnetId"]]}],
                "instanceTypes": {"ondemand": "t3.small", "spot": ["t3.small"]},
                "launchSpecification": {
                    "imageId": "ami-00000000000000001",
                    "tags": [{"tagKey": "team", "tagValue": "e2e"}],
                    "blockDeviceMappings": [{"deviceName": "/dev/sdf", "ebs": {
                        "volumeSize": 1, "volumeType": "gp3", "deleteOnTermination": False}}],
                    "userData": "#!/bin/sh\nexec sleep infinity\n",
                },
            },
            "strategy": {
                "fallbackToOd": True,
                "drainingTimeout": 5,
                "persistence": {"shouldPersistRootDevice": False,
                                "shouldPersistBlockDevices": True,
                                "blockDevicesMode": "reattach",
                                "shouldPersistPrivateIp": True},
            },
            "statefulDeallocation": {"shouldDeleteNetworkInterfaces": True,
                                     "shouldDeleteVolumes": True},
        }
        status, body = dev.call("POST", "/api/v1/group", spec)
        check(status == 201, "group created: %s %s" % (status, body))
        group = body["id"]

        def ssi_list():
            return dev.ssis(group)

        ssi = dev.ssi

        def timed_wait(name, fn, deadline_s=180 if extra else 90):
            t = time.perf_counter()
            v = wait_until(fn, deadline_s, 0.1)
            timings.append((name, time.perf_counter() - t))
            return v

        got = timed_wait("launch -> ACTIVE", lambda: [s for s in ssi_list()
                                                       if settled(s, "ACTIVE")])
        check(got, "SSI ACTIVE after launch: %s" % ssi_list())
        if not got:
            return 1
        first = got[0]
        sid, ip, eni = first["id"], first["privateIp"], first["networkInterfaceId"]
        vol = [d["volumeId"] for d in first["devices"] if d["deviceName"] == "/dev/sdf"][0]
        rc, out = dev.exec_sh(first["instanceId"],
                              "until grep -qs ' /mnt/sdf ' /proc/mounts; do sleep 0.1; done; "
                              "echo kept-%s > /mnt/sdf/data && sync && cat /mnt/sdf/data" % sid)
        check(rc == 0 and out.strip() == "kept-" + sid, "data written: %d %s" % (rc, out))

        def instance(iid):
            return ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]

        def check_same(s, what):
            d = instance(s["instanceId"])
            check(s["privateIp"] == ip and d["PrivateIpAddress"] == ip, what + ": same IP")
            check(d["NetworkInterfaces"][0]["NetworkInterfaceId"] == eni, what + ": same ENI")
            maps = {m["DeviceName"]: m["Ebs"]["VolumeId"] for m in d["BlockDeviceMappings"]}
            check(maps.get("/dev/sdf") == vol, what + ": same volume at /dev/sdf: %s" % maps)
            tags = {t["Key"]: t["Value"] for t in d.get("Tags", [])}
            check(tags.get("team") == "e2e", what + ": tags re-applied: %s" % tags)
            rc, out = dev.exec_sh(s["instanceId"],
                                  "until grep -qs ' /mnt/sdf ' /proc/mounts; do sleep 0.1; done; "
                                  "cat /mnt/sdf/data")
            check(rc == 0 and out.strip() == "kept-" + sid,
                  what + ": data still there: %d %s" % (rc, out))

        check_same(first, "launch")

        # Secrets in use, so the log scan at the end has something to look for: an IMDSv2
        # token used from inside the instance, and the CLI with the API token.
        rc, out = dev.exec_sh(
            first["instanceId"],
            "t=$(curl -sf -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "
            "http://169.254.169.254/latest/api/token) && echo \"token=$t\" && "
            "curl -sf -H \"X-aws-ec2-metadata-token: $t\" "
            "http://169.254.169.254/latest/meta-data/instance-id", scan=False)
        m = re.search(r"token=(\S+)\s+(i-\S+)", out)
        check(rc == 0 and m is not None and m.group(2) == first["instanceId"],
              "IMDSv2 from inside the instance: %d %s" % (rc, out))
        if m:
            dev.note_secret("an IMDSv2 token", m.group(1))
        rc, out = dev.cli("instance", "list")
        check(rc == 0 and sid in out, "the CLI lists the SSI: %d %s" % (rc, out[-500:]))

        # recycle
        status, _ = dev.call("PUT", "/api/v1/statefulInstance/%s/recycle" % sid)
        check(status == 202, "recycle accepted: %s" % status)
        s = timed_wait("recycle -> ACTIVE", lambda: (
            lambda x: x if settled(x, "ACTIVE") and x["instanceId"] != first["instanceId"]
            else None)(ssi(sid)))
        check(s, "recycled: %s" % ssi(sid))
        if s:
            check_same(s, "recycle")
            check(instance(first["instanceId"])["State"]["Name"] in ("shutting-down",
                                                                      "terminated"),
                  "the old instance is gone")
            check(s.get("lastRecovery", {}).get("reason") == "Recycle", "lastRecovery: Recycle")
            timings.append(("recycle recovery (lastRecovery.totalMs)",
                            s["lastRecovery"]["totalMs"] / 1000.0))
        before_pause = (s or first)["instanceId"]

        # pause
        status, _ = dev.call("PUT", "/api/v1/statefulInstance/%s/pause" % sid)
        check(status == 202, "pause accepted: %s" % status)
        s = timed_wait("pause -> PAUSED", lambda: (lambda x: x if settled(x, "PAUSED") else None)(
            ssi(sid)))
        check(s, "paused: %s" % ssi(sid))
        check(wait_until(lambda: instance(before_pause)["State"]["Name"] == "terminated", 30, 0.1),
              "paused: the instance is terminated")
        check(ec2.describe_volumes(VolumeIds=[vol])["Volumes"][0]["State"] == "available",
              "paused: the volume is available")
        check(ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"][0][
            "Status"] == "available", "paused: the ENI is available")

        # resume
        status, _ = dev.call("PUT", "/api/v1/statefulInstance/%s/resume" % sid)
        check(status == 202, "resume accepted: %s" % status)
        s = timed_wait("resume -> ACTIVE", lambda: (
            lambda x: x if settled(x, "ACTIVE") and x["instanceId"] != before_pause
            else None)(ssi(sid)))
        check(s, "resumed: %s" % ssi(sid))
        if s:
            check_same(s, "resume")
        last = (s or {}).get("instanceId")

        # deallocate
        status, _ = dev.call("PUT", "/api/v1/statefulInstance/%s/deallocate" % sid, {})
        check(status == 202, "deallocate accepted: %s" % status)
        s = timed_wait("deallocate -> DEALLOCATED", lambda: (
            lambda x: x if x.get("state") == "DEALLOCATED" else None)(ssi(sid)))
        check(s, "deallocated: %s" % ssi(sid))
        if last:
            check(wait_until(lambda: instance(last)["State"]["Name"] == "terminated", 30, 0.1),
                  "deallocated: the instance is terminated")

        def gone(fn):
            try:
                return fn() in ("deleted", None)
            except Exception as e:  # botocore ClientError: *.NotFound
                return "NotFound" in str(e)
        check(wait_until(lambda: gone(lambda: ec2.describe_volumes(VolumeIds=[vol])[
            "Volumes"][0]["State"]), 30, 0.1), "deallocated: the volume is deleted")
        check(wait_until(lambda: gone(lambda: ec2.describe_network_interfaces(
            NetworkInterfaceIds=[eni])["NetworkInterfaces"][0]["Status"]), 30, 0.1),
              "deallocated: the ENI is deleted")
        if extra:
            # The faults were there: the log says so and /metrics counted injected errors.
            check("injecting faults into every ec2 call" in dev.read_log(tail=10**7),
                  "dev logged the injected faults")
            injected = dev.injected_errors()
            check(injected > 0, "the controller saw injected errors: %d" % injected)
            print("[ faults   ] provider errors the controller saw (Unavailable): %d" % injected)
    for name, secs in timings:
        print("[ timing ] %-45s %7.2f s" % (name, secs))
    print("e2e controller flows: %d passed, %d failed" % (checks.passed, checks.failed))
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
