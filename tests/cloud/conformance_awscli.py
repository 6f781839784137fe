#!/usr/bin/env python3
"""The AWS CLI (/usr/bin/aws, v2 from Debian's awscli package) against
`spotkeeper cloud serve --host-driver fake`: each action the local cloud serves, run as a user
would, with EC2's error codes. Debian 12's CLI speaks SQS's Query protocol, so this also checks
that front. Exit 77 (skipped) when /usr/bin/aws is missing. Usage: conformance_awscli.py SPOTKEEPER
"""
import json
import os
import subprocess
import sys
import tempfile
import time

from checks import check, checks
from cloud_process import CloudProcess

AWS = os.environ.get("SPOTKEEPER_AWS_CLI", "/usr/bin/aws")


class Cli:
    def __init__(self, cloud):
        key, secret = cloud.credentials()
        self.home = tempfile.mkdtemp(prefix="sk_awscli_")
        # The profile `spotkeeper cloud credentials` prints, as a user would save it.
        creds = subprocess.run([cloud.spotkeeper, "cloud", "credentials", "--data-dir",
                                cloud.data_dir], capture_output=True, text=True, check=True).stdout
        with open(os.path.join(self.home, "credentials"), "w") as f:
            f.write(creds)
        check("aws_access_key_id = " + key in creds, "credentials profile format")
        self.env = dict(os.environ, AWS_SHARED_CREDENTIALS_FILE=os.path.join(self.home, "credentials"),
                        AWS_CONFIG_FILE=os.path.join(self.home, "config"),
                        AWS_PROFILE="spotkeeper-local", AWS_DEFAULT_REGION="local-1",
                        AWS_PAGER="", AWS_MAX_ATTEMPTS="1")
        for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            self.env.pop(k, None)
        self.endpoint = cloud.endpoint

    def run(self, *args):
        p = subprocess.run([AWS, "--endpoint-url", self.endpoint, "--output", "json", *args],
                           capture_output=True, text=True, env=self.env, timeout=60)
        out = json.loads(p.stdout) if p.returncode == 0 and p.stdout.strip() else {}
        return p.returncode, out, p.stderr

    def ok(self, *args):
        rc, out, err = self.run(*args)
        check(rc == 0, "aws %s: %s" % (" ".join(args[:2]), err.strip()))
        return out

    def error(self, code, *args):
        rc, out, err = self.run(*args)
        check(rc != 0 and "(%s)" % code in err, "aws %s should fail with %s: %s" %
              (" ".join(args[:2]), code, err.strip()))


def wait(fn, deadline_s=20):
    end = time.time() + deadline_s
    while time.time() < end:  # bounded
        if fn():
            return True
        time.sleep(0.1)
    return False


def main():
    if not os.path.exists(AWS):
        print("SKIP: %s not found (apt-get install awscli)" % AWS)
        return 77
    with CloudProcess(sys.argv[1]) as cloud:
        aws = Cli(cloud)
        zones = aws.ok("ec2", "describe-availability-zones")["AvailabilityZones"]
        check(len(zones) == 2, "zones")
        subnets = aws.ok("ec2", "describe-subnets")["Subnets"]
        subnet_a = [s for s in subnets if s["AvailabilityZone"] == "local-1a"][0]["SubnetId"]
        check(len(aws.ok("ec2", "describe-vpcs")["Vpcs"]) == 1, "vpcs")
        vpc = aws.ok("ec2", "create-vpc", "--cidr-block", "10.7.0.0/16")["Vpc"]["VpcId"]
        aws.ok("ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.7.1.0/24")
        aws.error("InvalidSubnet.Range", "ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block",
                  "10.8.1.0/24")
        check(aws.ok("ec2", "describe-images", "--owners", "self")["Images"][0]["ImageId"] ==
              "ami-00000000000000001", "base image")
        types = aws.ok("ec2", "describe-instance-types", "--instance-types", "c5.large")
        check(types["InstanceTypes"][0]["VCpuInfo"]["DefaultVCpus"] == 2, "instance type")
        eni = aws.ok("ec2", "create-network-interface", "--subnet-id", subnet_a,
                     "--description", "cli")["NetworkInterface"]["NetworkInterfaceId"]
        ud = os.path.join(aws.home, "user-data.sh")
        with open(ud, "w") as f:
            f.write("#!/bin/sh\necho from-cli\n")
        run = aws.ok("ec2", "run-instances", "--image-id", "ami-00000000000000001",
                     "--instance-type", "t3.micro", "--count", "1",
                     "--network-interfaces", "NetworkInterfaceId=%s,DeviceIndex=0" % eni,
                     "--block-device-mappings",
                     "DeviceName=/dev/sdf,Ebs={VolumeSize=1,DeleteOnTermination=false}",
                     "--tag-specifications", "ResourceType=instance,Tags=[{Key=Name,Value=cli}]",
                     "--user-data", "file://" + ud, "--client-token", "cli-1")
        iid = run["Instances"][0]["InstanceId"]
        check(run["Instances"][0]["State"]["Name"] == "pending", "pending")
        aws.ok("ec2", "wait", "instance-running", "--instance-ids", iid)
        d = aws.ok("ec2", "describe-instances", "--filters", "Name=tag:Name,Values=cli")
        check(d["Reservations"][0]["Instances"][0]["State"]["Name"] == "running", "running")
        aws.ok("ec2", "describe-instance-status", "--instance-ids", iid)
        out = aws.ok("ec2", "get-console-output", "--instance-id", iid)
        check("started" in out.get("Output", ""), "console output decoded")
        aws.error("InvalidInstanceID.NotFound", "ec2", "describe-instances", "--instance-ids",
                  "i-0000000000000000f")
        aws.error("IdempotentParameterMismatch", "ec2", "run-instances", "--image-id",
                  "ami-00000000000000001", "--instance-type", "t3.large", "--count", "1",
                  "--client-token", "cli-1")
        vol = aws.ok("ec2", "create-volume", "--availability-zone", "local-1a", "--size", "2")
        vid = vol["VolumeId"]
        aws.ok("ec2", "wait", "volume-available", "--volume-ids", vid)
        aws.ok("ec2", "attach-volume", "--volume-id", vid, "--instance-id", iid, "--device",
               "/dev/sdg")
        aws.ok("ec2", "wait", "volume-in-use", "--volume-ids", vid)
        aws.error("VolumeInUse", "ec2", "delete-volume", "--volume-id", vid)
        vb = aws.ok("ec2", "create-volume", "--availability-zone", "local-1b", "--size", "1")
        aws.ok("ec2", "wait", "volume-available", "--volume-ids", vb["VolumeId"])
        aws.error("InvalidVolume.ZoneMismatch", "ec2", "attach-volume", "--volume-id",
                  vb["VolumeId"], "--instance-id", iid, "--device", "/dev/sdh")
        aws.ok("ec2", "detach-volume", "--volume-id", vid)
        aws.ok("ec2", "wait", "volume-available", "--volume-ids", vid)
        aws.ok("ec2", "delete-volume", "--volume-id", vid)
        aws.ok("ec2", "create-tags", "--resources", iid, "--tags", "Key=team,Value=db")
        tags = aws.ok("ec2", "describe-tags", "--filters", "Name=resource-id,Values=" + iid)
        check({t["Key"] for t in tags["Tags"]} == {"Name", "team"}, "tags")
        aws.ok("ec2", "delete-tags", "--resources", iid, "--tags", "Key=team")
        n = aws.ok("ec2", "describe-network-interfaces", "--network-interface-ids", eni)
        att = n["NetworkInterfaces"][0]["Attachment"]["AttachmentId"]
        aws.ok("ec2", "modify-network-interface-attribute", "--network-interface-id", eni,
               "--attachment", "AttachmentId=%s,DeleteOnTermination=false" % att)
        aws.error("InvalidNetworkInterface.InUse", "ec2", "delete-network-interface",
                  "--network-interface-id", eni)
        aws.ok("ec2", "stop-instances", "--instance-ids", iid)
        aws.ok("ec2", "wait", "instance-stopped", "--instance-ids", iid)
        aws.ok("ec2", "start-instances", "--instance-ids", iid)
        aws.ok("ec2", "wait", "instance-running", "--instance-ids", iid)
        aws.ok("ec2", "terminate-instances", "--instance-ids", iid)
        aws.ok("ec2", "wait", "instance-terminated", "--instance-ids", iid)
        check(wait(lambda: aws.run("ec2", "describe-network-interfaces",
                                   "--network-interface-ids", eni)[1]
                   .get("NetworkInterfaces", [{}])[0].get("Status") == "available"),
              "eni available after terminate")
        aws.ok("ec2", "delete-network-interface", "--network-interface-id", eni)

        # SQS (Query protocol from this CLI).
        q = aws.ok("sqs", "get-queue-url", "--queue-name", "spotkeeper-events")["QueueUrl"]
        got = aws.ok("sqs", "receive-message", "--queue-url", q, "--max-number-of-messages",
                     "10", "--wait-time-seconds", "1")
        events = [json.loads(m["Body"]) for m in got.get("Messages", [])]
        check(any(e["detail"]["state"] == "pending" for e in events), "events via the CLI")
        if got.get("Messages"):
            aws.ok("sqs", "delete-message", "--queue-url", q, "--receipt-handle",
                   got["Messages"][0]["ReceiptHandle"])
        mine = aws.ok("sqs", "create-queue", "--queue-name", "cli-q")["QueueUrl"]
        aws.ok("sqs", "send-message", "--queue-url", mine, "--message-body", "hello")
        m = aws.ok("sqs", "receive-message", "--queue-url", mine, "--wait-time-seconds", "1")
        check(m["Messages"][0]["Body"] == "hello", "sqs round trip")
        aws.ok("sqs", "change-message-visibility", "--queue-url", mine, "--receipt-handle",
               m["Messages"][0]["ReceiptHandle"], "--visibility-timeout", "0")
        aws.ok("sqs", "get-queue-attributes", "--queue-url", mine, "--attribute-names", "All")
        aws.error("AWS.SimpleQueueService.NonExistentQueue", "sqs", "get-queue-url",
                  "--queue-name", "missing")
        bad = dict(aws.env, AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
                   AWS_ACCESS_KEY_ID="AKIAUNKNOWN000000000", AWS_SECRET_ACCESS_KEY="x")
        bad.pop("AWS_PROFILE")
        p = subprocess.run([AWS, "--endpoint-url", aws.endpoint, "ec2", "describe-vpcs"],
                           capture_output=True, text=True, env=bad, timeout=60)
        check(p.returncode != 0 and "AuthFailure" in p.stderr, "unknown key: " + p.stderr.strip())
        if checks.failed:
            print(cloud.read_log())
    return checks.summary("awscli conformance")


if __name__ == "__main__":
    sys.exit(main())
