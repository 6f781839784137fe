#!/usr/bin/env python3
"""boto3 against `spotkeeper cloud serve --host-driver fake`: every EC2 and SQS action the
local cloud serves, with EC2's error codes, waiters and paginators, and a kill -9 in the middle
of RunInstances. Prints call latencies. Usage: conformance_boto3.py PATH/TO/spotkeeper
"""
import base64
import collections
import json
import statistics
import sys
import time

import boto3
import botocore.config

from checks import check, checks, error_code
from cloud_process import CloudProcess

timings = collections.defaultdict(list)


def clients(cloud):
    key, secret = cloud.credentials()
    session = boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret,
                                    region_name="local-1")
    cfg = botocore.config.Config(retries={"max_attempts": 2, "mode": "standard"})
    ec2 = session.client("ec2", endpoint_url=cloud.endpoint, config=cfg)
    sqs = session.client("sqs", endpoint_url=cloud.endpoint, config=cfg)
    for c in (ec2, sqs):
        starts = {}
        c.meta.events.register("before-call", lambda model, context, **kw: context.update(
            {"t0": time.perf_counter()}))
        c.meta.events.register("after-call", lambda model, context, **kw: timings[
            model.name].append((time.perf_counter() - context.get("t0", time.perf_counter())) * 1000))
    return ec2, sqs


def wait_state(ec2, instance_id, state, deadline_s=20):
    end = time.time() + deadline_s
    while time.time() < end:  # bounded
        r = ec2.describe_instances(InstanceIds=[instance_id])
        if r["Reservations"][0]["Instances"][0]["State"]["Name"] == state:
            return True
        time.sleep(0.05)
    return False


def topology(ec2):
    zones = ec2.describe_availability_zones()["AvailabilityZones"]
    check([z["ZoneName"] for z in zones] == ["local-1a", "local-1b"], "two zones")
    check(error_code(ec2.describe_availability_zones, ZoneNames=["local-1z"]) ==
          "InvalidParameterValue", "unknown zone")
    check(ec2.describe_regions()["Regions"][0]["RegionName"] == "local-1", "region")
    vpcs = ec2.describe_vpcs()["Vpcs"]
    check(len(vpcs) == 1 and vpcs[0]["IsDefault"] and vpcs[0]["CidrBlock"] == "10.0.0.0/16",
          "default vpc")
    subnets = {s["AvailabilityZone"]: s for s in ec2.describe_subnets()["Subnets"]}
    check(subnets["local-1a"]["CidrBlock"] == "10.0.1.0/24", "subnet a")
    check(subnets["local-1b"]["CidrBlock"] == "10.0.2.0/24", "subnet b")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]
    check(vpc["State"] == "pending", "new vpc pending")
    check(error_code(ec2.create_vpc, CidrBlock="10.9.0.0/8") == "InvalidVpc.Range", "vpc range")
    sn = ec2.create_subnet(VpcId=vpc["VpcId"], CidrBlock="10.9.1.0/24",
                           AvailabilityZone="local-1b")["Subnet"]
    check(sn["AvailableIpAddressCount"] == 251, "new subnet addresses")
    check(error_code(ec2.create_subnet, VpcId=vpc["VpcId"], CidrBlock="10.9.1.0/25") ==
          "InvalidSubnet.Conflict", "subnet conflict")
    check(error_code(ec2.create_subnet, VpcId="vpc-00000000000000001", CidrBlock="10.9.2.0/24")
          == "InvalidVpcID.NotFound", "subnet vpc")
    images = ec2.describe_images(Owners=["self"])["Images"]
    check(len(images) == 1 and images[0]["ImageId"] == "ami-00000000000000001" and
          images[0]["Name"] == "spotkeeper-base", "base image")
    check(error_code(ec2.describe_images, ImageIds=["ami-0000000000000000f"]) ==
          "InvalidAMIID.NotFound", "image not found")
    types = ec2.describe_instance_types(InstanceTypes=["t3.micro", "r5.large"])["InstanceTypes"]
    check({t["InstanceType"]: t["MemoryInfo"]["SizeInMiB"] for t in types} ==
          {"t3.micro": 1024, "r5.large": 16384}, "instance types")
    pages = ec2.get_paginator("describe_instance_types").paginate(PaginationConfig={"PageSize": 5})
    check(sum(len(p["InstanceTypes"]) for p in pages) == 16, "instance type pages")
    check(error_code(ec2.describe_instance_types, InstanceTypes=["x9.big"]) ==
          "InvalidInstanceType", "bad type")
    return subnets


def instances(ec2, subnets):
    eni = ec2.create_network_interface(
        SubnetId=subnets["local-1a"]["SubnetId"], PrivateIpAddress="10.0.1.77",
        Description="kept", ClientToken="eni-tok",
        TagSpecifications=[{"ResourceType": "network-interface",
                            "Tags": [{"Key": "spotkeeper:ssi", "Value": "s1"}]}])["NetworkInterface"]
    again = ec2.create_network_interface(
        SubnetId=subnets["local-1a"]["SubnetId"], PrivateIpAddress="10.0.1.77",
        Description="kept", ClientToken="eni-tok",
        TagSpecifications=[{"ResourceType": "network-interface",
                            "Tags": [{"Key": "spotkeeper:ssi", "Value": "s1"}]}])["NetworkInterface"]
    check(again["NetworkInterfaceId"] == eni["NetworkInterfaceId"], "eni token")
    check(error_code(ec2.create_network_interface, SubnetId=subnets["local-1a"]["SubnetId"],
                     PrivateIpAddress="10.0.1.77") == "InvalidIPAddress.InUse", "ip in use")
    eni_id = eni["NetworkInterfaceId"]
    run = dict(ImageId="ami-00000000000000001", InstanceType="t3.small", MinCount=1, MaxCount=1,
               NetworkInterfaces=[{"NetworkInterfaceId": eni_id, "DeviceIndex": 0}],
               BlockDeviceMappings=[{"DeviceName": "/dev/sdf",
                                     "Ebs": {"VolumeSize": 2, "DeleteOnTermination": False}}],
               UserData="#!/bin/sh\necho hello\n",
               InstanceMarketOptions={"MarketType": "spot",
                                      "SpotOptions": {"SpotInstanceType": "one-time"}},
               TagSpecifications=[{"ResourceType": "instance",
                                   "Tags": [{"Key": "Name", "Value": "db-1"}]},
                                  {"ResourceType": "volume",
                                   "Tags": [{"Key": "ssi", "Value": "s1"}]}],
               ClientToken="run-1")
    r = ec2.run_instances(**run)
    inst = r["Instances"][0]
    iid = inst["InstanceId"]
    check(inst["State"]["Name"] == "pending", "pending at once")
    check(inst["PrivateIpAddress"] == "10.0.1.77", "eni address")
    check(inst.get("InstanceLifecycle") == "spot", "spot lifecycle")
    check(ec2.run_instances(**run)["Instances"][0]["InstanceId"] == iid, "run token")
    bad = dict(run, InstanceType="t3.large")
    check(error_code(ec2.run_instances, **bad) == "IdempotentParameterMismatch", "token mismatch")
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid],
                                            WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    d = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["db-*"]},
                                        {"Name": "instance-state-name", "Values": ["running"]}])
    found = [i["InstanceId"] for res in d["Reservations"] for i in res["Instances"]]
    check(found == [iid], "filter by tag and state")
    d = ec2.describe_instances(Filters=[{"Name": "network-interface.network-interface-id",
                                         "Values": [eni_id]}])
    check(len(d["Reservations"]) == 1, "filter by eni")
    out = ec2.get_console_output(InstanceId=iid)
    check("started" in out.get("Output", ""), "console output")
    st = ec2.describe_instance_status(InstanceIds=[iid])["InstanceStatuses"]
    check(st and st[0]["InstanceStatus"]["Status"] == "ok", "instance status")
    check(error_code(ec2.stop_instances, InstanceIds=[iid]) == "UnsupportedOperation",
          "spot cannot stop")
    check(error_code(ec2.run_instances, ImageId="ami-00000000000000001", MinCount=1, MaxCount=1,
                     NetworkInterfaces=[{"NetworkInterfaceId": eni_id, "DeviceIndex": 0}]) ==
          "InvalidNetworkInterface.InUse", "eni in use")
    check(error_code(ec2.run_instances, ImageId="ami-0000000000000000f", MinCount=1, MaxCount=1)
          == "InvalidAMIID.NotFound", "bad ami")
    check(error_code(ec2.run_instances, ImageId="ami-00000000000000001", MinCount=1, MaxCount=1,
                     BlockDeviceMappings=[{"DeviceName": "/dev/sdg",
                                           "Ebs": {"SnapshotId": "snap-01234567"}}]) ==
          "InvalidSnapshot.NotFound", "snapshots refused")
    check(error_code(ec2.run_instances, ImageId="ami-00000000000000001", MinCount=1, MaxCount=1,
                     SubnetId="subnet-00000000000000001") == "InvalidSubnetID.NotFound",
          "bad subnet")
    check(error_code(ec2.run_instances, ImageId="ami-00000000000000001", MinCount=1, MaxCount=1,
                     DryRun=True) == "DryRunOperation", "dry run")
    check(error_code(ec2.describe_instances, InstanceIds=["i-0000000000000000f"]) ==
          "InvalidInstanceID.NotFound", "instance not found")

    # On-demand instances: stop/start, pagination.
    od = ec2.run_instances(ImageId="ami-00000000000000001", MinCount=6, MaxCount=6,
                           Placement={"AvailabilityZone": "local-1b"},
                           InstanceInitiatedShutdownBehavior="stop")["Instances"]
    ids = [i["InstanceId"] for i in od]
    ec2.get_waiter("instance_running").wait(InstanceIds=ids,
                                            WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    pages = list(ec2.get_paginator("describe_instances").paginate(
        PaginationConfig={"PageSize": 5}))
    seen = [i["InstanceId"] for p in pages for res in p["Reservations"] for i in res["Instances"]]
    check(len(pages) == 2 and len(seen) == 7 and len(set(seen)) == 7, "describe pages")
    check(error_code(ec2.describe_instances, MaxResults=4) == "InvalidParameterValue",
          "max results range")
    stopped = ec2.stop_instances(InstanceIds=[ids[0]])["StoppingInstances"][0]
    check(stopped["CurrentState"]["Name"] == "stopping", "stopping")
    ec2.get_waiter("instance_stopped").wait(InstanceIds=[ids[0]],
                                            WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    check(error_code(ec2.start_instances, InstanceIds=["i-0000000000000000f"]) ==
          "InvalidInstanceID.NotFound", "start unknown")
    ec2.start_instances(InstanceIds=[ids[0]])
    check(wait_state(ec2, ids[0], "running"), "started again")
    return iid, eni_id, ids


def volumes(ec2, iid, others):
    v = ec2.create_volume(AvailabilityZone="local-1a", Size=3, VolumeType="gp3",
                          TagSpecifications=[{"ResourceType": "volume",
                                              "Tags": [{"Key": "k", "Value": "v"}]}])
    check(v["State"] == "creating", "volume creating")
    vid = v["VolumeId"]
    ec2.get_waiter("volume_available").wait(VolumeIds=[vid],
                                            WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    check(error_code(ec2.create_volume, AvailabilityZone="local-1a") == "MissingParameter",
          "volume size required")
    check(error_code(ec2.create_volume, AvailabilityZone="local-1q", Size=1) ==
          "InvalidParameterValue", "volume zone")
    att = ec2.attach_volume(VolumeId=vid, InstanceId=iid, Device="/dev/sdh")
    check(att["State"] == "attaching", "attaching")
    ec2.get_waiter("volume_in_use").wait(VolumeIds=[vid],
                                         WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    end = time.time() + 10
    while time.time() < end:  # bounded
        a = ec2.describe_volumes(VolumeIds=[vid])["Volumes"][0]["Attachments"]
        if a and a[0]["State"] == "attached":
            break
        time.sleep(0.05)
    check(a and a[0]["State"] == "attached", "attached")
    check(error_code(ec2.attach_volume, VolumeId=vid, InstanceId=iid, Device="/dev/sdi") ==
          "VolumeInUse", "volume in use")
    check(error_code(ec2.delete_volume, VolumeId=vid) == "VolumeInUse", "delete in use")
    vb = ec2.create_volume(AvailabilityZone="local-1b", Size=1)["VolumeId"]
    ec2.get_waiter("volume_available").wait(VolumeIds=[vb],
                                            WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    check(error_code(ec2.attach_volume, VolumeId=vb, InstanceId=iid, Device="/dev/sdj") ==
          "InvalidVolume.ZoneMismatch", "zone mismatch")
    det = ec2.detach_volume(VolumeId=vid)
    check(det["State"] == "detaching", "detaching")
    ec2.get_waiter("volume_available").wait(VolumeIds=[vid],
                                            WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    check(error_code(ec2.detach_volume, VolumeId=vid) == "IncorrectState", "detach available")
    filt = ec2.describe_volumes(Filters=[{"Name": "tag:k", "Values": ["v"]}])["Volumes"]
    check([x["VolumeId"] for x in filt] == [vid], "volume tag filter")
    ec2.delete_volume(VolumeId=vb)
    check(error_code(ec2.describe_volumes, VolumeIds=["vol-0000000000000000f"]) ==
          "InvalidVolume.NotFound", "volume not found")
    pages = list(ec2.get_paginator("describe_volumes").paginate(PaginationConfig={"PageSize": 5}))
    check(len(pages) >= 2, "volume pages")
    return vid


def tags_and_enis(ec2, iid, eni_id, vid):
    ec2.create_tags(Resources=[iid, vid, eni_id], Tags=[{"Key": "team", "Value": "db"}])
    t = ec2.describe_tags(Filters=[{"Name": "key", "Values": ["team"]}])["Tags"]
    check(sorted(x["ResourceType"] for x in t) == ["instance", "network-interface", "volume"],
          "describe tags")
    ec2.delete_tags(Resources=[iid], Tags=[{"Key": "team"}])
    t = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [iid]},
                                   {"Name": "key", "Values": ["team"]}])["Tags"]
    check(t == [], "delete tags")
    check(error_code(ec2.create_tags, Resources=["i-0000000000000000f"],
                     Tags=[{"Key": "a", "Value": "b"}]) == "InvalidInstanceID.NotFound",
          "tag unknown")
    n = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"][0]
    check(n["Status"] == "in-use" and n["Attachment"]["InstanceId"] == iid, "eni in use")
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eni_id,
                                           Description={"Value": "renamed"})
    ec2.modify_network_interface_attribute(
        NetworkInterfaceId=eni_id,
        Attachment={"AttachmentId": n["Attachment"]["AttachmentId"], "DeleteOnTermination": False})
    check(error_code(ec2.delete_network_interface, NetworkInterfaceId=eni_id) ==
          "InvalidNetworkInterface.InUse", "delete eni in use")
    r = ec2.terminate_instances(InstanceIds=[iid])["TerminatingInstances"][0]
    check(r["CurrentState"]["Name"] == "shutting-down", "shutting-down")
    ec2.get_waiter("instance_terminated").wait(InstanceIds=[iid],
                                               WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    n = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"][0]
    check(n["Status"] == "available" and n["Description"] == "renamed", "eni available again")
    data = ec2.describe_volumes(Filters=[{"Name": "tag:ssi", "Values": ["s1"]}])["Volumes"]
    check(len(data) == 1 and data[0]["State"] == "available", "kept data volume available")
    ec2.delete_network_interface(NetworkInterfaceId=eni_id)
    end = time.time() + 10
    while time.time() < end:  # bounded
        if error_code(ec2.describe_network_interfaces, NetworkInterfaceIds=[eni_id]):
            break
        time.sleep(0.05)
    check(error_code(ec2.describe_network_interfaces, NetworkInterfaceIds=[eni_id]) ==
          "InvalidNetworkInterfaceID.NotFound", "eni deleted")


def snapshots_and_images(ec2):
    """Snapshots (EBS) and images (AMIs): create, wait, filter, copy, restore in the other zone,
    register, launch from the image, deregister, delete."""
    vol = ec2.create_volume(AvailabilityZone="local-1a", Size=2)["VolumeId"]
    ec2.get_waiter("volume_available").wait(VolumeIds=[vol],
                                            WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    snap = ec2.create_snapshot(VolumeId=vol, Description="conformance",
                               TagSpecifications=[{"ResourceType": "snapshot",
                                                   "Tags": [{"Key": "suite", "Value": "b3"}]}])
    check(snap["State"] == "pending" and snap["Progress"] == "0%", "snapshot pending")
    check(snap["VolumeSize"] == 2 and snap["OwnerId"] == "000000000000", "snapshot fields")
    sid = snap["SnapshotId"]
    ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[sid],
                                              WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    got = ec2.describe_snapshots(OwnerIds=["self"], Filters=[
        {"Name": "tag:suite", "Values": ["b3"]}, {"Name": "status", "Values": ["completed"]},
        {"Name": "volume-id", "Values": [vol]}])["Snapshots"]
    check([x["SnapshotId"] for x in got] == [sid] and got[0]["Progress"] == "100%",
          "describe snapshots with filters")
    check(ec2.describe_snapshots(OwnerIds=["amazon"])["Snapshots"] == [], "no amazon snapshots")
    check(error_code(ec2.describe_snapshots, SnapshotIds=["snap-0000000000000000f"]) ==
          "InvalidSnapshot.NotFound", "snapshot not found")
    check(error_code(ec2.create_snapshot, VolumeId="vol-0000000000000000f") ==
          "InvalidVolume.NotFound", "snapshot of unknown volume")
    copy = ec2.copy_snapshot(SourceRegion="local-1", SourceSnapshotId=sid,
                             TagSpecifications=[{"ResourceType": "snapshot",
                                                 "Tags": [{"Key": "copy", "Value": "1"}]}])
    cid = copy["SnapshotId"]
    check(cid != sid and copy.get("Tags") == [{"Key": "copy", "Value": "1"}], "copy snapshot")
    ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[cid],
                                              WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    check(error_code(ec2.copy_snapshot, SourceRegion="us-east-1", SourceSnapshotId=sid) ==
          "InvalidParameterValue", "copy from another region")
    check(error_code(ec2.create_volume, AvailabilityZone="local-1b", SnapshotId=sid, Size=1) ==
          "InvalidParameterValue", "volume smaller than snapshot")
    rv = ec2.create_volume(AvailabilityZone="local-1b", SnapshotId=cid)
    check(rv["Size"] == 2 and rv["SnapshotId"] == cid, "volume from snapshot in the other zone")
    ec2.get_waiter("volume_available").wait(VolumeIds=[rv["VolumeId"]],
                                            WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    img = ec2.register_image(Name="conformance-image", RootDeviceName="/dev/xvda",
                             Architecture="x86_64", VirtualizationType="hvm", EnaSupport=True,
                             BlockDeviceMappings=[{"DeviceName": "/dev/xvda",
                                                   "Ebs": {"SnapshotId": sid, "VolumeSize": 8,
                                                           "DeleteOnTermination": True}}],
                             TagSpecifications=[{"ResourceType": "image",
                                                 "Tags": [{"Key": "suite", "Value": "b3"}]}])
    ami = img["ImageId"]
    ec2.get_waiter("image_available").wait(ImageIds=[ami],
                                           WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    found = ec2.describe_images(Owners=["self"], Filters=[
        {"Name": "block-device-mapping.snapshot-id", "Values": [sid]}])["Images"]
    check(len(found) == 1 and found[0]["ImageId"] == ami, "describe images by snapshot")
    bdm = found[0]["BlockDeviceMappings"][0]
    check(bdm["Ebs"]["SnapshotId"] == sid and bdm["Ebs"]["VolumeSize"] == 8 and
          found[0]["Tags"] == [{"Key": "suite", "Value": "b3"}], "image block device mapping")
    check(error_code(ec2.register_image, Name="conformance-image", RootDeviceName="/dev/xvda",
                     BlockDeviceMappings=[{"DeviceName": "/dev/xvda",
                                           "Ebs": {"SnapshotId": sid}}]) ==
          "InvalidAMIName.Duplicate", "duplicate image name")
    check(error_code(ec2.delete_snapshot, SnapshotId=sid) == "InvalidSnapshot.InUse",
          "snapshot in use by an image")
    iid = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1,
                            Placement={"AvailabilityZone": "local-1b"})["Instances"][0]["InstanceId"]
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid],
                                            WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    inst = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    root = inst["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
    rvol = ec2.describe_volumes(VolumeIds=[root])["Volumes"][0]
    check(rvol["SnapshotId"] == sid and rvol["Size"] == 8, "root volume restored from the image")
    made = ec2.create_image(InstanceId=iid, Name="of-instance", NoReboot=True,
                            TagSpecifications=[{"ResourceType": "snapshot",
                                                "Tags": [{"Key": "from", "Value": "image"}]}])
    ec2.get_waiter("image_available").wait(ImageIds=[made["ImageId"]],
                                           WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    msnaps = ec2.describe_snapshots(Filters=[{"Name": "tag:from", "Values": ["image"]}])
    check(len(msnaps["Snapshots"]) == 1, "create image snapshots the root")
    ec2.terminate_instances(InstanceIds=[iid])
    ec2.get_waiter("instance_terminated").wait(InstanceIds=[iid],
                                               WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    ec2.deregister_image(ImageId=ami)
    check(error_code(ec2.describe_images, ImageIds=[ami]) == "InvalidAMIID.NotFound",
          "deregistered")
    ec2.deregister_image(ImageId=made["ImageId"], DeleteAssociatedSnapshots=True)
    ec2.delete_snapshot(SnapshotId=sid)
    ec2.delete_snapshot(SnapshotId=cid)
    check(error_code(ec2.describe_snapshots, SnapshotIds=[sid]) == "InvalidSnapshot.NotFound",
          "snapshot deleted")
    check(ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"] == [], "no snapshots left")
    ec2.delete_volume(VolumeId=rv["VolumeId"])
    ec2.delete_volume(VolumeId=vol)


def sqs_actions(sqs):
    url = sqs.get_queue_url(QueueName="spotkeeper-events")["QueueUrl"]
    check(url.endswith("/000000000000/spotkeeper-events"), "events queue url")
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    events = [json.loads(m["Body"]) for m in got.get("Messages", [])]
    check(events and events[0]["detail-type"] == "EC2 Instance State-change Notification" and
          events[0]["source"] == "aws.ec2", "state-change events")
    sqs.delete_message_batch(QueueUrl=url, Entries=[
        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
        for i, m in enumerate(got.get("Messages", []))])
    q = sqs.create_queue(QueueName="conformance", Attributes={"VisibilityTimeout": "2"})["QueueUrl"]
    sqs.send_message(QueueUrl=q, MessageBody="one")
    m = sqs.receive_message(QueueUrl=q, WaitTimeSeconds=1)["Messages"][0]
    check(m["Body"] == "one", "sqs body")
    check(sqs.receive_message(QueueUrl=q, WaitTimeSeconds=0).get("Messages") is None,
          "invisible while in flight")
    sqs.change_message_visibility(QueueUrl=q, ReceiptHandle=m["ReceiptHandle"],
                                  VisibilityTimeout=0)
    m2 = sqs.receive_message(QueueUrl=q, WaitTimeSeconds=1)["Messages"][0]
    sqs.delete_message(QueueUrl=q, ReceiptHandle=m2["ReceiptHandle"])
    t0 = time.time()
    empty = sqs.receive_message(QueueUrl=q, WaitTimeSeconds=2)
    waited = time.time() - t0
    check(empty.get("Messages") is None and 1.8 <= waited < 5, "long poll waited %.2fs" % waited)
    check(error_code(sqs.get_queue_url, QueueName="nope") in (
        "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"), "sqs not found")
    check(error_code(sqs.delete_message, QueueUrl=q, ReceiptHandle="junk") ==
          "ReceiptHandleIsInvalid", "bad receipt")
    check(error_code(sqs.delete_message_batch, QueueUrl=q, Entries=[]) in (
        "AWS.SimpleQueueService.EmptyBatchRequest", "EmptyBatchRequest"), "empty batch")


def auth(cloud):
    key, secret = cloud.credentials()
    bad = boto3.session.Session(aws_access_key_id="AKIAUNKNOWN000000000",
                                aws_secret_access_key="x", region_name="local-1")
    check(error_code(bad.client("ec2", endpoint_url=cloud.endpoint).describe_vpcs) ==
          "AuthFailure", "unknown key")
    wrong = boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret + "x",
                                  region_name="local-1")
    check(error_code(wrong.client("ec2", endpoint_url=cloud.endpoint).describe_vpcs) ==
          "SignatureDoesNotMatch", "bad signature")


def kill9_mid_run_instances(cloud):
    ec2, _ = clients(cloud)
    run = dict(ImageId="ami-00000000000000001", MinCount=1, MaxCount=1, ClientToken="crash-1",
               BlockDeviceMappings=[{"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 1}}])
    first = ec2.run_instances(**run)["Instances"][0]["InstanceId"]
    cloud.kill9()  # right after the reply: the launch may not have reached the host
    cloud.start()
    ec2, _ = clients(cloud)
    again = ec2.run_instances(**run)["Instances"][0]["InstanceId"]
    check(again == first, "same instance after kill -9 and retry")
    check(wait_state(ec2, first, "running"), "launch resumed after restart")
    n = sum(1 for r in ec2.describe_instances(
        Filters=[{"Name": "client-token", "Values": ["crash-1"]}])["Reservations"]
            for _ in r["Instances"])
    check(n == 1, "no double launch")


def main():
    spotkeeper = sys.argv[1]
    with CloudProcess(spotkeeper) as cloud:
        ec2, sqs = clients(cloud)
        subnets = topology(ec2)
        iid, eni_id, others = instances(ec2, subnets)
        vid = volumes(ec2, iid, others)
        tags_and_enis(ec2, iid, eni_id, vid)
        snapshots_and_images(ec2)
        sqs_actions(sqs)
        auth(cloud)
        kill9_mid_run_instances(cloud)
        if checks.failed:
            print(cloud.read_log())
    for op in sorted(timings):
        v = sorted(timings[op])
        print("[ timing ] %-32s n=%-3d p50=%7.2f ms  max=%7.2f ms" %
              (op, len(v), statistics.median(v), v[-1]))
    return checks.summary("boto3 conformance")


if __name__ == "__main__":
    sys.exit(main())
