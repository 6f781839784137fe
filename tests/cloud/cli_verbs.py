#!/usr/bin/env python3
"""`spotkeeper cloud credentials|ps|forward|destroy` against a fake-driver cloud.
Usage: cli_verbs.py PATH/TO/spotkeeper
"""
import os
import subprocess
import sys
import time

import boto3

from checks import check, checks
from cloud_process import CloudProcess


def sk(spotkeeper, *args):
    p = subprocess.run([spotkeeper, "cloud", *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


def main():
    spotkeeper = sys.argv[1]
    rc, out = sk(spotkeeper, "serve", "--help")
    check(rc == 0 and "fake" in out and "tests without root" in out, "serve --help names fake")
    # A non-loopback endpoint needs --allow-remote (nothing is started without it).
    import tempfile
    with tempfile.TemporaryDirectory(prefix="sk-remote-") as d:
        rc, out = sk(spotkeeper, "serve", "--host-driver", "fake", "--data-dir", d, "--listen",
                     "0.0.0.0:0")
        check(rc != 0 and "--allow-remote" in out and "not a loopback" in out,
              "serve refuses a non-loopback --listen without --allow-remote: %d %s" % (rc, out))
        # Retention flags: a bad value names the flag and what to give (nothing starts).
        for flag, value in (("--terminated-retention", "0"), ("--cost-retention", "5x"),
                            ("--client-token-retention", "-1h")):
            rc, out = sk(spotkeeper, "serve", "--host-driver", "fake", "--data-dir", d, flag, value)
            check(rc != 0 and flag in out and "more than 0 with a unit" in out,
                  "serve refuses %s %s: %d %s" % (flag, value, rc, out))
    with CloudProcess(spotkeeper) as cloud:
        rc, creds = sk(spotkeeper, "credentials", "--data-dir", cloud.data_dir)
        key, secret = cloud.credentials()
        lines = creds.splitlines()
        check(rc == 0 and lines[0] == "[spotkeeper-local]", "profile header")
        check("aws_access_key_id = " + key in lines, "key line")
        check("aws_secret_access_key = " + secret in lines, "secret line")
        check("endpoint_url = " + cloud.endpoint in lines, "endpoint line")
        check(any("spotkeeper-events" in l for l in lines), "events queue url")
        mode = os.stat(os.path.join(cloud.data_dir, "credentials.json")).st_mode & 0o777
        check(mode == 0o600, "credentials file is 0600 (%o)" % mode)

        ec2 = boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret,
                                    region_name="local-1").client("ec2",
                                                                  endpoint_url=cloud.endpoint)
        r = ec2.run_instances(ImageId="ami-00000000000000001", MinCount=2, MaxCount=2,
                              BlockDeviceMappings=[{"DeviceName": "/dev/sdf",
                                                    "Ebs": {"VolumeSize": 1}}])
        ids = [i["InstanceId"] for i in r["Instances"]]
        ec2.get_waiter("instance_running").wait(InstanceIds=ids,
                                                WaiterConfig={"Delay": 1, "MaxAttempts": 20})
        ec2.create_volume(AvailabilityZone="local-1b", Size=1)
        rc, ps = sk(spotkeeper, "ps", "--data-dir", cloud.data_dir)
        check(rc == 0 and all(i in ps for i in ids), "ps lists the instances")
        check("running" in ps and "sdf=vol-" in ps and "10.0.1." in ps, "ps shows state/ip/volumes")
        check("VOLUMES NOT ATTACHED" in ps, "ps shows free volumes")
        rc, out = sk(spotkeeper, "destroy", "--data-dir", cloud.data_dir)
        check(rc != 0 and "stop it first" in out, "destroy refuses while serving")
        rc, out = sk(spotkeeper, "forward", ids[0], "80", "--data-dir", cloud.data_dir)
        check(rc != 0 and "fake" in out, "forward refuses on the fake driver")
        rc, out = sk(spotkeeper, "exec", "i-0000000000000000f", "--data-dir", cloud.data_dir,
                     "--", "true")
        check(rc != 0 and "no instance" in out, "exec unknown instance")
        cloud.stop()
        rc, out = sk(spotkeeper, "destroy", "--data-dir", cloud.data_dir)
        check(rc == 0 and "2 instances stopped" in out, "destroy: " + out)
        check(not os.path.exists(os.path.join(cloud.data_dir, "cloud.db")), "state removed")
        check(os.path.exists(os.path.join(cloud.data_dir, "credentials.json")), "key kept")
        rc, out = sk(spotkeeper, "ps", "--data-dir", cloud.data_dir)
        check(rc != 0 and "no cloud state" in out, "ps after destroy")
        # A new cloud on the same dir starts fresh with the same key.
        cloud.start()
        check(cloud.credentials() == (key, secret), "same key after destroy")
        check(ec2.describe_instances()["Reservations"] == [], "fresh state")
    return checks.summary("cloud cli verbs")


if __name__ == "__main__":
    sys.exit(main())
