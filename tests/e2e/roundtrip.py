#!/usr/bin/env python3
"""The local cloud's round trip with a real client against `spotkeeper cloud serve` on the real
(Linux) host driver: instances are runc containers, ENIs veth pairs, volumes ext4 files on loop
devices.

  RunInstances with a separately created ENI at DeviceIndex 0 and a data volume (/dev/sdf,
  DeleteOnTermination=false) whose user data writes a marker to /mnt/sdf -> the marker shows up
  (console output and `cloud exec`) -> TerminateInstances -> ENI and volume `available` ->
  RunInstances of a replacement with the same ENI -> AttachVolume -> the marker is still there
  (console output of the replacement's user data, and `cloud exec`), with the same private IP
  and MAC inside and outside.

Usage: roundtrip.py SPOTKEEPER boto3|awscli. Exit 77 (skipped) without root or runc, or for
awscli without /usr/bin/aws. Prints how long each step took.
"""
import base64
import json
import os
import subprocess
import sys
import tempfile
import time

from real_cloud import Checks, RealCloud, skip_unless_possible, wait_until

AWS = os.environ.get("SPOTKEEPER_AWS_CLI", "/usr/bin/aws")
IMAGE = "ami-00000000000000001"


class Boto3Client:
    """EC2 calls by API name with API-shaped parameters and responses."""

    def __init__(self, cloud):
        import boto3
        import botocore.config
        key, secret = cloud.credentials()
        session = boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret,
                                        region_name="local-1")
        self.ec2 = session.client("ec2", endpoint_url=cloud.endpoint, config=botocore.config.Config(
            retries={"max_attempts": 3, "mode": "standard"}))

    def call(self, op, **params):
        fn = getattr(self.ec2, op)
        if op == "run_instances" and "UserData" in params:
            pass  # boto3 base64-encodes UserData itself
        return fn(**params)


class AwsCliClient:
    """The same calls through /usr/bin/aws (--cli-input-json), as a user with the profile that
    `spotkeeper cloud credentials` prints."""

    def __init__(self, cloud):
        self.home = tempfile.mkdtemp(prefix="sk_e2e_awscli_")
        creds = subprocess.run([cloud.spotkeeper, "cloud", "credentials", "--data-dir",
                                cloud.data_dir], capture_output=True, text=True, check=True).stdout
        with open(os.path.join(self.home, "credentials"), "w") as f:
            f.write(creds)
        self.env = dict(os.environ, AWS_SHARED_CREDENTIALS_FILE=os.path.join(self.home, "credentials"),
                        AWS_CONFIG_FILE=os.path.join(self.home, "config"),
                        AWS_PROFILE="spotkeeper-local", AWS_DEFAULT_REGION="local-1", AWS_PAGER="")
        for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            self.env.pop(k, None)
        self.endpoint = cloud.endpoint

    def call(self, op, **params):
        args = [AWS, "--endpoint-url", self.endpoint, "--output", "json", "ec2",
                op.replace("_", "-")]
        if op == "run_instances" and "UserData" in params:
            # --user-data is base64-encoded by the CLI, as boto3 does for UserData.
            args += ["--user-data", params.pop("UserData")]
        if params:
            args += ["--cli-input-json", json.dumps(params)]
        p = subprocess.run(args, capture_output=True, text=True, env=self.env, timeout=120)
        if p.returncode != 0:
            raise RuntimeError("aws ec2 %s: %s" % (op.replace("_", "-"), p.stderr.strip()))
        return json.loads(p.stdout) if p.stdout.strip() else {}


def console(client, iid):
    out = client.call("get_console_output", InstanceId=iid).get("Output", "")
    # Both clients decode the base64 Output; accept an undecoded one too.
    try:
        decoded = base64.b64decode(out, validate=True).decode()
        return decoded
    except Exception:  # not base64: already decoded
        return out


def instance(client, iid):
    return client.call("describe_instances", InstanceIds=[iid])["Reservations"][0]["Instances"][0]


def wait_state(client, iid, state, deadline_s=60):
    return wait_until(lambda: instance(client, iid)["State"]["Name"] == state, deadline_s, 0.1)


def volume(client, vid):
    return client.call("describe_volumes", VolumeIds=[vid])["Volumes"][0]


def eni(client, eni_id):
    return client.call("describe_network_interfaces",
                       NetworkInterfaceIds=[eni_id])["NetworkInterfaces"][0]


def main():
    spotkeeper, kind = sys.argv[1], sys.argv[2]
    skip_unless_possible()
    if kind == "awscli" and not os.access(AWS, os.X_OK):
        print("SKIP: %s is missing (apt-get install awscli)" % AWS)
        return 77
    checks = Checks()
    check = checks.check
    steps = []
    marker = "spotkeeper-%s-%d" % (kind, os.getpid())
    with RealCloud(spotkeeper, checks, name="rt-" + kind) as cloud:
        client = Boto3Client(cloud) if kind == "boto3" else AwsCliClient(cloud)
        t = time.perf_counter()

        def step(name):
            nonlocal t
            now = time.perf_counter()
            steps.append((name, (now - t) * 1000))
            t = now

        subnet = [s for s in client.call("describe_subnets")["Subnets"]
                  if s["AvailabilityZone"] == "local-1a"][0]
        n = client.call("create_network_interface", SubnetId=subnet["SubnetId"],
                        Description="kept across instances")["NetworkInterface"]
        eni_id, ip, mac = n["NetworkInterfaceId"], n["PrivateIpAddress"], n["MacAddress"]
        check(wait_until(lambda: eni(client, eni_id)["Status"] == "available", 30, 0.1),
              "new ENI available")
        step("CreateNetworkInterface -> available")

        writer = ("#!/bin/sh\n"
                  "until grep -qs ' /mnt/sdf ' /proc/mounts; do sleep 0.1; done\n"
                  "echo %s > /mnt/sdf/marker && sync\n"
                  "echo \"marker written: $(cat /mnt/sdf/marker)\"\n"
                  "exec sleep infinity\n" % marker)
        r = client.call("run_instances", ImageId=IMAGE, InstanceType="t3.micro", MinCount=1,
                        MaxCount=1, UserData=writer,
                        NetworkInterfaces=[{"NetworkInterfaceId": eni_id, "DeviceIndex": 0}],
                        BlockDeviceMappings=[{"DeviceName": "/dev/sdf", "Ebs": {
                            "VolumeSize": 1, "DeleteOnTermination": False}}],
                        TagSpecifications=[{"ResourceType": "instance",
                                            "Tags": [{"Key": "Name", "Value": "writer"}]}])
        first = r["Instances"][0]["InstanceId"]
        check(r["Instances"][0]["PrivateIpAddress"] == ip, "launched with the ENI's IP")
        check(wait_state(client, first, "running"), "first instance running")
        step("RunInstances -> running")
        got = wait_until(lambda: "marker written: " + marker in console(client, first), 60, 0.1)
        check(got, "marker in the first console output: " + console(client, first))
        step("user data wrote the marker")
        rc, out = cloud.exec_sh(first, "cat /mnt/sdf/marker")
        check(rc == 0 and out.strip() == marker, "cloud exec reads the marker: %d %s" % (rc, out))
        desc = instance(client, first)
        data = [m for m in desc.get("BlockDeviceMappings", []) if m["DeviceName"] == "/dev/sdf"]
        check(len(data) == 1, "data volume mapped at /dev/sdf: %s" % desc.get("BlockDeviceMappings"))
        vid = data[0]["Ebs"]["VolumeId"]
        check(desc["NetworkInterfaces"][0]["NetworkInterfaceId"] == eni_id, "ENI at index 0")

        client.call("terminate_instances", InstanceIds=[first])
        check(wait_state(client, first, "terminated"), "first instance terminated")
        step("TerminateInstances -> terminated")
        check(wait_until(lambda: volume(client, vid)["State"] == "available", 30, 0.1),
              "data volume available after termination")
        check(wait_until(lambda: eni(client, eni_id)["Status"] == "available", 30, 0.1),
              "ENI available after termination")
        step("volume and ENI available")

        reader = ("#!/bin/sh\n"
                  "until grep -qs ' /mnt/sdf ' /proc/mounts; do sleep 0.1; done\n"
                  "echo \"marker found: $(cat /mnt/sdf/marker)\"\n"
                  "exec sleep infinity\n")
        r = client.call("run_instances", ImageId=IMAGE, InstanceType="t3.micro", MinCount=1,
                        MaxCount=1, UserData=reader,
                        NetworkInterfaces=[{"NetworkInterfaceId": eni_id, "DeviceIndex": 0}])
        second = r["Instances"][0]["InstanceId"]
        check(second != first, "a new instance")
        check(wait_state(client, second, "running"), "replacement running")
        step("RunInstances (same ENI) -> running")
        client.call("attach_volume", VolumeId=vid, InstanceId=second, Device="/dev/sdf")
        attached = wait_until(lambda: (volume(client, vid).get("Attachments") or [{}])[0].get(
            "State") == "attached", 30, 0.05)
        check(attached, "volume attached to the replacement")
        step("AttachVolume -> attached")
        got = wait_until(lambda: "marker found: " + marker in console(client, second), 60, 0.1)
        check(got, "marker in the replacement's console output: " + console(client, second))
        step("replacement read the marker")
        rc, out = cloud.exec_sh(second, "cat /mnt/sdf/marker")
        check(rc == 0 and out.strip() == marker, "cloud exec on the replacement: %d %s" % (rc, out))

        desc = instance(client, second)
        check(desc["PrivateIpAddress"] == ip, "same private IP outside")
        check(desc["NetworkInterfaces"][0]["MacAddress"] == mac, "same MAC outside")
        rc, out = cloud.exec_sh(second, "cat /sys/class/net/eth0/address")
        check(rc == 0 and out.strip() == mac, "same MAC inside: %s vs %s" % (out.strip(), mac))
        rc, out = cloud.exec_sh(second, "ip -4 -o addr show dev eth0")
        check(rc == 0 and (" %s/" % ip) in out, "same IP inside: " + out)
        client.call("terminate_instances", InstanceIds=[second])
        check(wait_state(client, second, "terminated"), "replacement terminated")
        cloud.stop()
    for name, ms in steps:
        print("[ timing ] %-40s %8.1f ms" % (name, ms))
    print("e2e round trip (%s): %d passed, %d failed" % (kind, checks.passed, checks.failed))
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
