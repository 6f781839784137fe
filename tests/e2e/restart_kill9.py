#!/usr/bin/env python3
"""Restart safety of the local cloud on the real driver: `spotkeeper cloud serve` dies by
SIGKILL at a named point (SPOTKEEPER_CLOUD_CRASH_AT, src/cloud/host/crash_point.h) in the
middle of RunInstances or AttachVolume, is started again on the same data directory, and the
operation completes with nothing leaked or doubled: one runc container per running instance,
one instance namespace each (plus the VPC's), one loop device per volume in use, each mount
once, the volume mounted inside the instance.

  RunInstances:  engine.instance.before-start, host.instance.before-runc,
                 engine.instance.after-start
  AttachVolume:  engine.volume.before-attach, host.volume.after-loop,
                 engine.volume.after-attach

Usage: restart_kill9.py SPOTKEEPER [POINT...]. Exit 77 (skipped) without root, runc or boto3.
"""
import collections
import sys
import time

try:
    from botocore.exceptions import BotoCoreError
except ImportError:  # main() skips without boto3
    BotoCoreError = Exception

from real_cloud import Checks, RealCloud, skip_unless_possible, wait_until

RUN_POINTS = ["engine.instance.before-start", "host.instance.before-runc",
              "engine.instance.after-start"]
ATTACH_POINTS = ["engine.volume.before-attach", "host.volume.after-loop",
                 "engine.volume.after-attach"]
IMAGE = "ami-00000000000000001"
SLEEPER = "#!/bin/sh\nexec sleep infinity\n"


def client(cloud):
    import boto3
    import botocore.config
    key, secret = cloud.credentials()
    return boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret,
                                 region_name="local-1").client(
        "ec2", endpoint_url=cloud.endpoint,
        config=botocore.config.Config(retries={"max_attempts": 1}))


def state(ec2, iid):
    return ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]


def check_host(cloud, check, ec2, what):
    """Nothing leaked or doubled on the host, compared with what the cloud says exists."""
    running = []
    for r in ec2.describe_instances()["Reservations"]:
        for i in r["Instances"]:
            if i["State"]["Name"] in ("pending", "running"):
                running.append(i["InstanceId"])
    containers = cloud.containers()
    check(sorted(c.split("-", 1)[1] for c in containers) == sorted(running),
          "%s: one container per running instance: %s vs %s" % (what, containers, running))
    inst_ns = [n for n in cloud.namespaces() if n.startswith(cloud.prefix + "-i-")]
    check(len(inst_ns) == len(running),
          "%s: one namespace per running instance: %s" % (what, inst_ns))
    check(len(cloud.pool_loop_devices()) <= 1,
          "%s: the storage pool on at most one loop device: %s" % (what, cloud.pool_loop_devices()))
    loops = cloud.loop_devices()
    files = collections.Counter(f for _, f in loops)
    check(all(n == 1 for n in files.values()), "%s: no volume on two loop devices: %s"
          % (what, loops))
    in_use = [v["VolumeId"] for v in ec2.describe_volumes()["Volumes"] if v["State"] == "in-use"]
    check(sorted(f.rsplit("/", 1)[1][:-4] for f in files) == sorted(in_use),
          "%s: loop devices only for volumes in use: %s vs %s" % (what, sorted(files), in_use))
    mounts = collections.Counter(cloud.mounts())
    check(all(n == 1 for n in mounts.values()),
          "%s: no mount twice: %s" % (what, [m for m, n in mounts.items() if n > 1]))


def crash_run(cloud, check, point, timings):
    cloud.start(env={"SPOTKEEPER_CLOUD_CRASH_AT": point})
    ec2 = client(cloud)
    params = dict(ImageId=IMAGE, InstanceType="t3.micro", MinCount=1, MaxCount=1,
                  UserData=SLEEPER, ClientToken="kill9-%s" % point, BlockDeviceMappings=[{
                      "DeviceName": "/dev/sdf",
                      "Ebs": {"VolumeSize": 1, "DeleteOnTermination": True}}])
    iid = None
    try:
        iid = ec2.run_instances(**params)["Instances"][0]["InstanceId"]
    except BotoCoreError as e:  # the worker reached the point before the answer went out
        print("%s: RunInstances got no answer (%s); retried with its ClientToken" % (point, e))
    check(cloud.wait_killed(), "%s: the cloud died by SIGKILL at the point" % point)
    t = time.perf_counter()
    cloud.start()
    ec2 = client(cloud)
    # A client that saw no answer retries with the same ClientToken: the same instance.
    again = ec2.run_instances(**params)["Instances"][0]["InstanceId"]
    check(iid is None or again == iid, "%s: ClientToken retry names the same instance: %s %s"
          % (point, iid, again))
    iid = again
    launched = [i["InstanceId"] for r in ec2.describe_instances()["Reservations"]
                for i in r["Instances"]]
    check(launched == [iid], "%s: exactly one instance launched: %s" % (point, launched))
    ok = wait_until(lambda: state(ec2, iid)["State"]["Name"] == "running", 60, 0.05)
    timings.append(("RunInstances, killed at " + point, time.perf_counter() - t))
    check(ok, "%s: the instance runs after the restart: %s" % (point, state(ec2, iid)["State"]))
    rc, out = cloud.exec_sh(iid, "grep -c ' /mnt/sdf ' /proc/mounts")
    check(rc == 0 and out.strip() == "1", "%s: /mnt/sdf mounted once inside: %d %s"
          % (point, rc, out))
    check_host(cloud, check, ec2, point)
    ec2.terminate_instances(InstanceIds=[iid])
    check(wait_until(lambda: state(ec2, iid)["State"]["Name"] == "terminated", 60, 0.05),
          "%s: terminated" % point)
    check_host(cloud, check, ec2, point + " after terminate")
    cloud.stop()


def crash_attach(cloud, check, point, timings):
    cloud.start()
    ec2 = client(cloud)
    r = ec2.run_instances(ImageId=IMAGE, InstanceType="t3.micro", MinCount=1, MaxCount=1,
                          UserData=SLEEPER, Placement={"AvailabilityZone": "local-1a"})
    iid = r["Instances"][0]["InstanceId"]
    check(wait_until(lambda: state(ec2, iid)["State"]["Name"] == "running", 60, 0.05),
          "%s: instance running" % point)
    vid = ec2.create_volume(AvailabilityZone="local-1a", Size=1)["VolumeId"]
    check(wait_until(lambda: ec2.describe_volumes(VolumeIds=[vid])["Volumes"][0]["State"] ==
                     "available", 60, 0.05), "%s: volume available" % point)
    cloud.stop()
    cloud.start(env={"SPOTKEEPER_CLOUD_CRASH_AT": point})
    ec2 = client(cloud)
    answered = True
    try:
        ec2.attach_volume(VolumeId=vid, InstanceId=iid, Device="/dev/sdg")
    except BotoCoreError as e:  # the worker reached the point before the answer went out
        answered = False
        print("%s: AttachVolume got no answer (%s)" % (point, e))
    check(cloud.wait_killed(), "%s: the cloud died by SIGKILL at the point" % point)
    t = time.perf_counter()
    cloud.start()
    ec2 = client(cloud)
    if not answered and not ec2.describe_volumes(VolumeIds=[vid])["Volumes"][0].get(
            "Attachments"):
        ec2.attach_volume(VolumeId=vid, InstanceId=iid, Device="/dev/sdg")  # never recorded

    def attached():
        a = ec2.describe_volumes(VolumeIds=[vid])["Volumes"][0].get("Attachments") or [{}]
        return a[0].get("State") == "attached"
    ok = wait_until(attached, 60, 0.05)
    timings.append(("AttachVolume, killed at " + point, time.perf_counter() - t))
    check(ok, "%s: the volume is attached after the restart" % point)
    check(state(ec2, iid)["State"]["Name"] == "running", "%s: the instance kept running" % point)
    rc, out = cloud.exec_sh(iid, "grep -c ' /mnt/sdg ' /proc/mounts; touch /mnt/sdg/x && echo w")
    check(rc == 0 and out.split() == ["1", "w"], "%s: /mnt/sdg mounted once and writable: %d %s"
          % (point, rc, out))
    check_host(cloud, check, ec2, point)
    ec2.terminate_instances(InstanceIds=[iid])
    check(wait_until(lambda: state(ec2, iid)["State"]["Name"] == "terminated", 60, 0.05),
          "%s: terminated" % point)
    check_host(cloud, check, ec2, point + " after terminate")
    cloud.stop()


def main():
    spotkeeper = sys.argv[1]
    points = sys.argv[2:] or RUN_POINTS + ATTACH_POINTS
    skip_unless_possible()
    try:
        import boto3  # noqa: F401
    except ImportError:
        print("SKIP: boto3 is not installed (apt-get install python3-boto3)")
        return 77
    checks = Checks()
    timings = []
    for point in points:
        # A cloud (data dir, prefix) per point: a failure at one point cannot hide another's.
        with RealCloud(spotkeeper, checks, name="kill9") as cloud:
            cloud.stop()  # each scenario starts the cloud with its own environment
            if point in RUN_POINTS:
                crash_run(cloud, checks.check, point, timings)
            elif point in ATTACH_POINTS:
                crash_attach(cloud, checks.check, point, timings)
            else:
                checks.check(False, "unknown crash point " + point)
    for name, secs in timings:
        print("[ timing ] restart -> done: %-50s %6.2f s" % (name, secs))
    print("e2e restart (kill -9): %d passed, %d failed" % (checks.passed, checks.failed))
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
