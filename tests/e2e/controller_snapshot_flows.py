#!/usr/bin/env python3
"""The controller's snapshot-based flows on the local cloud (real driver), through `spotkeeper
dev` (the ec2 provider against the cloud's EC2 endpoint):

A group with root persistence and an `onLaunch` data volume in two zones (no private IP):
  launch      -> ACTIVE; a file written under /etc (the root volume) and one on /mnt/sdf
  recycle     -> the replacement boots from an image registered from the root snapshot: the
                 /etc file is there; its /dev/sdf is a NEW volume restored from the final
                 snapshot of the old one: the data file is there
  deallocate  -> with shouldDeleteSnapshots/Images: the SSI's snapshots and images are gone
A `reattach` group whose zone is changed by a group update:
  recycle     -> the replacement runs in the new zone; its volume was restored there from a
                 snapshot of the old one (reattach across zones); the data file is there
  deallocate  -> with shouldDeleteSnapshots/Images false: what the SSI made is kept

Usage: controller_snapshot_flows.py SPOTKEEPER. Exit 77 (skipped) without root, runc or boto3.
"""
import os
import sys
import time

from dev_server import DevServer, settled
from real_cloud import Checks, skip_unless_possible, wait_until

WAIT_MOUNT = "until grep -qs ' /mnt/sdf ' /proc/mounts; do sleep 0.1; done; "


def main():
    spotkeeper = sys.argv[1]
    skip_unless_possible()
    try:
        import boto3  # noqa: F401
    except ImportError:
        print("SKIP: boto3 is not installed (apt-get install python3-boto3)")
        return 77
    checks = Checks()
    check = checks.check
    timings = []
    with DevServer(spotkeeper, checks, name="snapflows") as dev:
        ec2 = dev.ec2()
        subnets = {s["AvailabilityZone"]: s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]
                   if s["DefaultForAz"]}

        def spec(name, zones, persistence, dealloc):
            return {
                "name": "%s-%d" % (name, os.getpid()),
                "region": "local-1",
                "capacity": {"target": 1, "minimum": 0, "maximum": 1},
                "compute": {
                    "availabilityZones": [{"name": z, "subnetIds": [subnets[z]]} for z in zones],
                    "instanceTypes": {"ondemand": "t3.small", "spot": ["t3.small"]},
                    "launchSpecification": {
                        "imageId": "ami-00000000000000001",
                        "tags": [{"tagKey": "team", "tagValue": "e2e"}],
                        "blockDeviceMappings": [{"deviceName": "/dev/sdf", "ebs": {
                            "volumeSize": 1, "volumeType": "gp3",
                            "deleteOnTermination": False}}],
                        "userData": "#!/bin/sh\nexec sleep infinity\n",
                    },
                },
                "strategy": {"fallbackToOd": True, "drainingTimeout": 5,
                             "persistence": persistence},
                "snapshots": {"frequencyMinutes": 60, "keep": 2},
                "statefulDeallocation": dealloc,
            }

        def create(body):
            status, b = dev.call("POST", "/api/v1/group", body)
            check(status == 201, "group %s created: %s %s" % (body["name"], status, b))
            return b.get("id")

        ssi_list, ssi = dev.ssis, dev.ssi

        def timed_wait(name, fn, deadline_s=120):
            t = time.perf_counter()
            v = wait_until(fn, deadline_s, 0.1)
            timings.append((name, time.perf_counter() - t))
            return v

        def active(group, name):
            got = timed_wait(name, lambda: [s for s in ssi_list(group) if settled(s, "ACTIVE")])
            check(got, "%s: %s" % (name, ssi_list(group)))
            return got[0] if got else None

        def recycle(s, name):
            status, _ = dev.call("PUT", "/api/v1/statefulInstance/%s/recycle" % s["id"])
            check(status == 202, "%s: recycle accepted: %s" % (name, status))
            new = timed_wait(name, lambda: (
                lambda x: x if settled(x, "ACTIVE") and x["instanceId"] != s["instanceId"]
                else None)(ssi(s["id"])), 180)
            check(new, "%s: %s" % (name, ssi(s["id"])))
            return new

        def instance(iid):
            return ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]

        def volume_at(iid, device):
            maps = {m["DeviceName"]: m["Ebs"]["VolumeId"]
                    for m in instance(iid)["BlockDeviceMappings"]}
            return maps.get(device)

        def owned(ssi_id):
            f = [{"Name": "tag:spotkeeper:ssi", "Values": [ssi_id]}]
            snaps = [x["SnapshotId"] for x in ec2.describe_snapshots(
                OwnerIds=["self"], Filters=f)["Snapshots"]]
            images = [x["ImageId"] for x in ec2.describe_images(Owners=["self"],
                                                                Filters=f)["Images"]]
            return snaps, images

        def deallocate(s, name):
            status, _ = dev.call("PUT", "/api/v1/statefulInstance/%s/deallocate" % s["id"], {})
            check(status == 202, "%s: deallocate accepted: %s" % (name, status))
            done = timed_wait(name, lambda: (
                lambda x: x if x.get("state") == "DEALLOCATED" else None)(ssi(s["id"])))
            check(done, "%s: %s" % (name, ssi(s["id"])))

        # --- root persistence + onLaunch, two zones
        g1 = create(spec("rootonlaunch", ["local-1a", "local-1b"],
                         {"shouldPersistRootDevice": True, "shouldPersistBlockDevices": True,
                          "blockDevicesMode": "onLaunch", "shouldPersistPrivateIp": False},
                         {"shouldDeleteVolumes": True, "shouldDeleteSnapshots": True,
                          "shouldDeleteImages": True, "shouldDeleteNetworkInterfaces": True}))
        first = active(g1, "root+onLaunch: launch -> ACTIVE") if g1 else None
        if first:
            marker = "root-%s" % first["id"]
            rc, out = dev.exec_sh(first["instanceId"],
                                  WAIT_MOUNT + "echo %s > /etc/spotkeeper-e2e && echo data-%s > "
                                  "/mnt/sdf/data && sync && cat /etc/spotkeeper-e2e /mnt/sdf/data"
                                  % (marker, marker))
            check(rc == 0 and out.split() == [marker, "data-" + marker],
                  "root+onLaunch: files written: %d %s" % (rc, out))
            old_vol = volume_at(first["instanceId"], "/dev/sdf")
            second = recycle(first, "root+onLaunch: recycle -> ACTIVE")
            if second:
                d = instance(second["instanceId"])
                check(d["ImageId"] != "ami-00000000000000001",
                      "root+onLaunch: the replacement boots from a registered image: %s"
                      % d["ImageId"])
                img = ec2.describe_images(ImageIds=[d["ImageId"]])["Images"]
                check(img and img[0]["State"] == "available" and any(
                    m.get("Ebs", {}).get("SnapshotId") for m in img[0]["BlockDeviceMappings"]),
                      "root+onLaunch: the image has a root snapshot: %s" % img)
                new_vol = volume_at(second["instanceId"], "/dev/sdf")
                check(new_vol and new_vol != old_vol,
                      "root+onLaunch: a new data volume (%s -> %s)" % (old_vol, new_vol))
                if new_vol:
                    v = ec2.describe_volumes(VolumeIds=[new_vol])["Volumes"][0]
                    check(v["SnapshotId"].startswith("snap-"),
                          "root+onLaunch: the data volume comes from a snapshot: %s" % v)
                rc, out = dev.exec_sh(second["instanceId"],
                                      WAIT_MOUNT + "cat /etc/spotkeeper-e2e /mnt/sdf/data")
                check(rc == 0 and out.split() == [marker, "data-" + marker],
                      "root+onLaunch: root and data files on the replacement: %d %s" % (rc, out))
                snaps, images = owned(second["id"])
                check(snaps and images, "root+onLaunch: the SSI owns snapshots %s and images %s"
                      % (snaps, images))
                deallocate(second, "root+onLaunch: deallocate -> DEALLOCATED")
                check(wait_until(lambda: owned(second["id"]) == ([], []), 60, 0.2),
                      "root+onLaunch: deallocate deleted its snapshots and images: %s, %s"
                      % owned(second["id"]))

        # --- reattach across zones through a snapshot
        body = spec("reattachaz", ["local-1a"],
                    {"shouldPersistRootDevice": False, "shouldPersistBlockDevices": True,
                     "blockDevicesMode": "reattach", "shouldPersistPrivateIp": False},
                    {"shouldDeleteVolumes": True, "shouldDeleteSnapshots": False,
                     "shouldDeleteImages": False, "shouldDeleteNetworkInterfaces": True})
        g2 = create(body)
        first = active(g2, "reattach: launch -> ACTIVE") if g2 else None
        if first:
            rc, out = dev.exec_sh(first["instanceId"], WAIT_MOUNT + "echo moved > /mnt/sdf/data "
                                  "&& sync && cat /mnt/sdf/data")
            check(rc == 0 and out.strip() == "moved", "reattach: data written: %d %s" % (rc, out))
            check(instance(first["instanceId"])["Placement"]["AvailabilityZone"] == "local-1a",
                  "reattach: first instance in local-1a")
            body["compute"]["availabilityZones"] = [{"name": "local-1b",
                                                     "subnetIds": [subnets["local-1b"]]}]
            status, b = dev.call("PUT", "/api/v1/group/" + g2, body)
            check(status == 200, "reattach: group moved to local-1b: %s %s" % (status, b))
            second = recycle(first, "reattach: recycle into local-1b -> ACTIVE")
            if second:
                d = instance(second["instanceId"])
                check(d["Placement"]["AvailabilityZone"] == "local-1b",
                      "reattach: the replacement runs in local-1b: %s" % d["Placement"])
                new_vol = volume_at(second["instanceId"], "/dev/sdf")
                if new_vol:
                    v = ec2.describe_volumes(VolumeIds=[new_vol])["Volumes"][0]
                    check(v["AvailabilityZone"] == "local-1b" and v["SnapshotId"],
                          "reattach: the volume was restored in local-1b from a snapshot: %s" % v)
                rc, out = dev.exec_sh(second["instanceId"], WAIT_MOUNT + "cat /mnt/sdf/data")
                check(rc == 0 and out.strip() == "moved",
                      "reattach: the data moved zones: %d %s" % (rc, out))
                snaps, _ = owned(second["id"])
                deallocate(second, "reattach: deallocate -> DEALLOCATED")
                kept, _ = owned(second["id"])
                check(snaps and set(snaps) <= set(kept),
                      "reattach: shouldDeleteSnapshots false keeps the snapshots: %s -> %s"
                      % (snaps, kept))
    for name, secs in timings:
        print("[ timing ] %-50s %7.2f s" % (name, secs))
    print("e2e controller snapshot flows: %d passed, %d failed" % (checks.passed, checks.failed))
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
