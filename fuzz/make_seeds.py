#!/usr/bin/env python3
"""Writes the hand-made part of the seed corpora under fuzz/corpus/<target>/ (deterministic).

Sources: the unit tests' inputs, AWS's documented request and event examples, and botocore's
SigV4 signer (requests signed at the AWS test suite's time with its example key, so the
verifier's success path is in the corpus). Files found by fuzzing are added by hand beside
these and are never rewritten. Usage: fuzz/make_seeds.py (from anywhere).
"""
import datetime
import json
import os
import shutil
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)


def raw(method, target, headers, body=""):
    head = f"{method} {target} HTTP/1.1\n" + "".join(f"{n}:{v}\n" for n, v in headers)
    return head + "\n" + body


# --- sigv4_verify: AWS's test suite requests, and botocore-signed EC2/SQS calls -------------
def sigv4():
    suite = os.path.join(ROOT, "src/awsproto/testdata/sigv4")
    for name in sorted(os.listdir(suite)):
        if name.endswith(".req"):
            with open(os.path.join(suite, name), "rb") as f:
                req = f.read().decode("utf-8")
            authz_path = os.path.join(suite, name[:-4] + ".authz")
            if os.path.exists(authz_path):
                with open(authz_path, encoding="utf-8") as f:
                    authz = f.read().strip()
                head, _, body = req.partition("\n\n")
                req = head + "\nAuthorization:" + authz + "\n\n" + body
            write("sigv4_verify", name, req)
    try:
        from botocore.auth import SigV4Auth, SigV4QueryAuth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
    except ImportError:
        return
    creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    when = datetime.datetime(2015, 8, 30, 12, 36, 0)
    calls = [
        ("ec2-describe", "POST", "https://example.amazonaws.com/",
         [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
         "Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=instance-state-name"
         "&Filter.1.Value.1=running", "us-east-1", "service"),
        ("sqs-json", "POST", "https://example.amazonaws.com/",
         [("Content-Type", "application/x-amz-json-1.0"),
          ("X-Amz-Target", "AmazonSQS.ReceiveMessage")],
         '{"QueueUrl":"http://127.0.0.1:7781/000000000000/q","MaxNumberOfMessages":10}',
         "us-east-1", "service"),
        ("ec2-get", "GET", "https://example.amazonaws.com/?Action=DescribeRegions&Version=2016-11-15",
         [], "", "us-east-1", "service"),
        ("wrong-region", "GET", "https://example.amazonaws.com/?Action=DescribeRegions",
         [], "", "eu-west-1", "service"),
    ]
    for name, method, url, headers, body, region, service in calls:
        for presign in (False, True) if not body else (False,):
            req = AWSRequest(method=method, url=url, data=body.encode("utf-8"))
            for n, v in headers:
                req.headers[n] = v
            with mock.patch("botocore.auth.get_current_datetime", return_value=when):
                if presign:
                    SigV4QueryAuth(creds, service, region, expires=300).add_auth(req)
                else:
                    SigV4Auth(creds, service, region).add_auth(req)
            target = req.url.split("example.amazonaws.com", 1)[1]
            hs = [("Host", "example.amazonaws.com")] + [
                (n, v) for n, v in req.headers.items() if n.lower() != "host"]
            write("sigv4_verify", f"botocore-{name}{'-presigned' if presign else ''}.req",
                  raw(method, target, hs, body))


# --- ec2_query: the EC2 Query shapes of the actions the local cloud serves ---------------------
def ec2_query():
    form = [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")]
    calls = {
        "run-instances": "Action=RunInstances&Version=2016-11-15&ImageId=ami-00000000000000001"
        "&InstanceType=t3.micro&MinCount=1&MaxCount=1&Placement.AvailabilityZone=local-1a"
        "&BlockDeviceMapping.1.DeviceName=%2Fdev%2Fsdf&BlockDeviceMapping.1.Ebs.VolumeSize=1"
        "&BlockDeviceMapping.1.Ebs.DeleteOnTermination=true"
        "&TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=Name"
        "&TagSpecification.1.Tag.1.Value=db&UserData=IyEvYmluL3NoCg%3D%3D",
        "run-spot": "Action=RunInstances&ImageId=ami-00000000000000001&InstanceType=t3.small"
        "&MinCount=1&MaxCount=1&InstanceMarketOptions.MarketType=spot"
        "&InstanceMarketOptions.SpotOptions.MaxPrice=0.05&ClientToken=abc",
        "describe-instances": "Action=DescribeInstances&Filter.1.Name=instance-state-name"
        "&Filter.1.Value.1=running&Filter.1.Value.2=pending&MaxResults=5",
        "describe-instances-ids": "Action=DescribeInstances&InstanceId.1=i-0000000000000001"
        "&InstanceId.3=i-2",
        "describe-status": "Action=DescribeInstanceStatus&IncludeAllInstances=true",
        "terminate": "Action=TerminateInstances&InstanceId.1=i-00000000000000001",
        "stop-start": "Action=StopInstances&InstanceId.1=i-00000000000000001&Force=true",
        "create-volume": "Action=CreateVolume&AvailabilityZone=local-1a&Size=1&VolumeType=gp3"
        "&TagSpecification.1.ResourceType=volume&TagSpecification.1.Tag.1.Key=k"
        "&TagSpecification.1.Tag.1.Value=v",
        "attach-volume": "Action=AttachVolume&VolumeId=vol-00000000000000001"
        "&InstanceId=i-00000000000000001&Device=%2Fdev%2Fsdg",
        "describe-volumes": "Action=DescribeVolumes&Filter.1.Name=attachment.instance-id"
        "&Filter.1.Value.1=i-1&NextToken=2",
        "create-eni": "Action=CreateNetworkInterface&SubnetId=subnet-1&PrivateIpAddress=10.0.1.20",
        "modify-eni": "Action=ModifyNetworkInterfaceAttribute&NetworkInterfaceId=eni-1"
        "&Attachment.AttachmentId=eni-attach-1&Attachment.DeleteOnTermination=false",
        "create-snapshot": "Action=CreateSnapshot&VolumeId=vol-1&Description=nightly",
        "register-image": "Action=RegisterImage&Name=img&RootDeviceName=%2Fdev%2Fxvda"
        "&BlockDeviceMapping.1.DeviceName=%2Fdev%2Fxvda&BlockDeviceMapping.1.Ebs.SnapshotId=snap-1",
        "describe-images": "Action=DescribeImages&Owner.1=self&ImageId.1=ami-00000000000000001",
        "create-tags": "Action=CreateTags&ResourceId.1=i-1&Tag.1.Key=team&Tag.1.Value=data"
        "&Tag.2.Key=empty",
        "delete-tags": "Action=DeleteTags&ResourceId.1=i-1&Tag.1.Key=team",
        "describe-tags": "Action=DescribeTags&Filter.1.Name=resource-type&Filter.1.Value.1=instance",
        "describe-azs": "Action=DescribeAvailabilityZones&ZoneName.1=local-1a",
        "describe-subnets": "Action=DescribeSubnets&Filter.1.Name=vpc-id&Filter.1.Value.1=vpc-1",
        "create-vpc": "Action=CreateVpc&CidrBlock=10.9.0.0%2F16",
        "create-subnet": "Action=CreateSubnet&VpcId=vpc-1&CidrBlock=10.9.1.0%2F24"
        "&AvailabilityZone=local-1b",
        "spot-price-history": "Action=DescribeSpotPriceHistory&InstanceType.1=t3.micro"
        "&ProductDescription.1=Linux%2FUNIX&StartTime=2026-01-01T00%3A00%3A00Z&MaxResults=10",
        "spot-requests": "Action=DescribeSpotInstanceRequests&SpotInstanceRequestId.1=sir-1",
        "cancel-spot": "Action=CancelSpotInstanceRequests&SpotInstanceRequestId.1=sir-1",
        "instance-types": "Action=DescribeInstanceTypes&InstanceType.1=t3.micro",
        "console": "Action=GetConsoleOutput&InstanceId=i-1&Latest=true",
        "bad-escape": "Action=DescribeVpcs&Filter.1.Name=%zz",
        "plus-and-unicode": "Action=CreateTags&ResourceId.1=i-1&Tag.1.Key=a+b&Tag.1.Value=%E2%9C%93",
    }
    for name, body in calls.items():
        write("ec2_query", name + ".req", raw("POST", "/", form, body))
    write("ec2_query", "get-query.req",
          raw("GET", "/?Action=DescribeRegions&RegionName.1=local-1", []))


# --- ec2_xml: hand-made odd replies (the provider's recorded ones are replayed from testdata) --
def ec2_xml():
    ns = 'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"'
    write("ec2_xml", "prefixed-namespace.xml",
          '<ec2:DescribeVolumesResponse xmlns:ec2="http://ec2.amazonaws.com/doc/2016-11-15/">'
          "<ec2:volumeSet><ec2:item><ec2:volumeId>vol-1</ec2:volumeId><ec2:size>x</ec2:size>"
          "<ec2:createTime>not-a-time</ec2:createTime></ec2:item></ec2:volumeSet>"
          "</ec2:DescribeVolumesResponse>")
    write("ec2_xml", "deep-nesting.xml", "<a>" * 2000 + "</a>" * 2000)
    write("ec2_xml", "huge-numbers.xml",
          f"<DescribeInstancesResponse {ns}><reservationSet><item><instancesSet><item>"
          "<instanceId>i-1</instanceId><launchTime>9999-99-99T99:99:99Z</launchTime>"
          "<amiLaunchIndex>99999999999999999999999</amiLaunchIndex>"
          "<blockDeviceMapping><item><ebs/></item></blockDeviceMapping>"
          "<tagSet><item><key/></item><item/></tagSet></item></instancesSet></item>"
          "</reservationSet></DescribeInstancesResponse>")
    write("ec2_xml", "error-no-code.xml", "<Response><Errors><Error/></Errors></Response>")


# --- sqs_json: both sides; the provider's recorded replies are in testdata ---------------------
def sqs_json():
    q = "http://127.0.0.1:1/000000000000/fuzz"
    calls = [
        ("create", "CreateQueue", {"QueueName": "fuzz", "Attributes": {"VisibilityTimeout": "30"}}),
        ("get-url", "GetQueueUrl", {"QueueName": "events"}),
        ("list", "ListQueues", {"QueueNamePrefix": "f", "MaxResults": 5}),
        ("send", "SendMessage", {"QueueUrl": q, "MessageBody": "hello", "DelaySeconds": 0}),
        ("receive", "ReceiveMessage", {"QueueUrl": q, "MaxNumberOfMessages": 10,
                                       "VisibilityTimeout": 0, "AttributeNames": ["All"]}),
        ("delete", "DeleteMessage", {"QueueUrl": q, "ReceiptHandle": "AQEB"}),
        ("delete-batch", "DeleteMessageBatch",
         {"QueueUrl": q, "Entries": [{"Id": "0", "ReceiptHandle": "r"}, {"Id": "1"}]}),
        ("visibility", "ChangeMessageVisibility",
         {"QueueUrl": q, "ReceiptHandle": "r", "VisibilityTimeout": 43200}),
        ("attributes", "GetQueueAttributes", {"QueueUrl": q, "AttributeNames": ["All"]}),
        ("purge", "PurgeQueue", {"QueueUrl": q}),
        ("delete-queue", "DeleteQueue", {"QueueUrl": q}),
    ]
    for name, action, body in calls:
        write("sqs_json", name + ".txt", action + "\n" + json.dumps(body))
    write("sqs_json", "receive-reply.txt",
          "ReceiveMessage\n" + json.dumps({"Messages": [
              {"MessageId": "m", "ReceiptHandle": "r", "Body": "{}", "MD5OfBody": "x"},
              {"MessageId": 3}, "junk"]}))
    write("sqs_json", "batch-reply.txt", "DeleteMessageBatch\n" + json.dumps(
        {"Successful": [{"Id": "0"}], "Failed": [{"Id": "1", "Code": "ReceiptHandleIsInvalid"},
                                                 {"Id": "99"}, {"Id": "-1"}]}))
    write("sqs_json", "error-reply.txt", "Nothing\n" + json.dumps(
        {"__type": "com.amazonaws.sqs#QueueDoesNotExist", "message": "no"}))
    write("sqs_json", "not-json.txt", "SendMessage\n{\"QueueUrl\":")


# --- eventbridge_event: AWS's documented example events, plus the SNS envelope ---------------
def eventbridge():
    def env(kind, detail, **extra):
        e = {"version": "0", "id": "1e5527d7-bb36-4607-3370-4164db56a40e", "detail-type": kind,
             "source": "aws.ec2", "account": "123456789012", "time": "2026-01-12T11:00:00Z",
             "region": "us-east-1",
             "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-1234567890abcdef0"],
             "detail": detail}
        e.update(extra)
        return e
    i = "i-1234567890abcdef0"
    events = {
        "interruption": env("EC2 Spot Instance Interruption Warning",
                            {"instance-id": i, "instance-action": "terminate"}),
        "rebalance": env("EC2 Instance Rebalance Recommendation", {"instance-id": i}),
        "state-change": env("EC2 Instance State-change Notification",
                            {"instance-id": i, "state": "stopping"}),
        "other-kind": env("EC2 Spot Instance Request Fulfillment", {"spot-instance-request-id": "s"}),
        "other-source": env("EC2 Instance Rebalance Recommendation", {"instance-id": i},
                            source="evil.app"),
        "bad-time": env("EC2 Instance State-change Notification",
                        {"instance-id": i, "state": "running"}, time="yesterday"),
    }
    for name, e in events.items():
        write("eventbridge_event", name + ".json", json.dumps(e))
    write("eventbridge_event", "sns-envelope.json", json.dumps(
        {"Type": "Notification", "MessageId": "x", "Message": json.dumps(events["rebalance"])}))
    write("eventbridge_event", "sns-nested-junk.json",
          json.dumps({"Type": "Notification", "Message": "[1,2"}))


# --- imds_request ------------------------------------------------------------------------------
def imds():
    gets = ["/latest/meta-data/", "/latest/meta-data/instance-id", "/latest/meta-data/local-ipv4",
            "/latest/meta-data/placement/availability-zone", "/latest/meta-data/mac",
            "/latest/meta-data/block-device-mapping/", "/latest/meta-data/tags/instance/Name",
            "/latest/user-data", "/latest/dynamic/instance-identity/document",
            "/latest/meta-data/spot/instance-action",
            "/latest/meta-data/events/recommendations/rebalance", "/latest/meta-data/../../etc",
            "/latest/meta-data//instance-id", "/"]
    for n, p in enumerate(gets):
        write("imds_request", f"get-{n:02d}.req", raw("GET", p, [("Host", "169.254.169.254")]))
    write("imds_request", "put-token.req", raw("PUT", "/latest/api/token",
                                               [("X-aws-ec2-metadata-token-ttl-seconds", "21600")]))
    write("imds_request", "put-token-bad-ttl.req",
          raw("PUT", "/latest/api/token", [("X-aws-ec2-metadata-token-ttl-seconds", "0x10")]))
    write("imds_request", "get-bad-token.req", raw(
        "GET", "/latest/meta-data/instance-id", [("X-aws-ec2-metadata-token", "AQAEAnope==")]))
    write("imds_request", "forwarded.req", raw(
        "PUT", "/latest/api/token", [("X-Forwarded-For", "1.2.3.4"),
                                     ("X-aws-ec2-metadata-token-ttl-seconds", "60")]))


# --- group_spec: the test corpus is kept as it was; examples/ is replayed too -----------------


# --- rest_request --------------------------------------------------------------------------------
def rest():
    j = [("Content-Type", "application/json")]
    with open(os.path.join(ROOT, "fuzz/corpus/group_spec/valid.json"), encoding="utf-8") as f:
        spec_json = f.read()
    with open(os.path.join(ROOT, "examples/redis.yaml"), encoding="utf-8") as f:
        spec_yaml = f.read()
    reqs = {
        "create-json": raw("POST", "/api/v1/group", j, spec_json),
        "create-yaml": raw("POST", "/api/v1/group", [("Content-Type", "application/yaml")],
                           spec_yaml),
        "create-wrapped": raw("POST", "/api/v1/group", j, '{"group":' + spec_json + "}"),
        "list-groups": raw("GET", "/api/v1/group?includeDeleted=true", []),
        "get-group": raw("GET", "/api/v1/group/sig-00000000", []),
        "update-group": raw("PUT", "/api/v1/group/sig-00000000", j, spec_json),
        "delete-group": raw("DELETE", "/api/v1/group/sig-00000000", j,
                            '{"statefulDeallocation":{"shouldDeleteVolumes":true,'
                            '"shouldDeleteSnapshots":false}}'),
        "savings": raw("GET", "/api/v1/group/sig-00000000/savings", []),
        "ssis": raw("GET", "/api/v1/group/sig-00000000/statefulInstance", []),
        "ssi": raw("GET", "/api/v1/statefulInstance/ssi-00000000", []),
        "ssi-list": raw("GET", "/api/v1/statefulInstance?groupId=sig-00000000&state=ACTIVE", []),
        "pause": raw("PUT", "/api/v1/statefulInstance/ssi-00000000/pause", j, ""),
        "resume": raw("PUT", "/api/v1/statefulInstance/ssi-00000000/resume", j, ""),
        "recycle": raw("PUT", "/api/v1/statefulInstance/ssi-00000000/recycle", j, "{}"),
        "deallocate": raw("PUT", "/api/v1/statefulInstance/ssi-00000000/deallocate", j,
                          '{"shouldDeleteImages":"yes"}'),
        "recoveries": raw("GET", "/api/v1/statefulInstance/ssi-00000000/recoveries", []),
        "events": raw("GET", "/api/v1/events?limit=3&after=0&groupId=sig-00000000", []),
        "events-since": raw("GET", "/api/v1/events?since=2026-01-01T00:00:00Z&tail=2", []),
        "events-bad": raw("GET", "/api/v1/events?limit=-1&after=x&wait=9999999999999999999", []),
        "event": raw("GET", "/api/v1/events/42", []),
        "import": raw("POST", "/api/v1/import", j,
                      '{"instanceId":"i-00000000000000001","groupName":"imported",'
                      '"keepPrivateIp":true}'),
        "import-get": raw("GET", "/api/v1/import/ssi-00000000", []),
        "import-cancel": raw("PUT", "/api/v1/import/ssi-00000000/cancel", j, ""),
        "info": raw("GET", "/api/v1/info", []),
        "openapi": raw("GET", "/api/v1/openapi.json", []),
        "healthz": raw("GET", "/healthz", []),
        "percent-path": raw("GET", "/api/v1/group/%00%2F..%2F", []),
        "not-json": raw("POST", "/api/v1/group", j, "{\"name\": "),
        "wrong-type": raw("POST", "/api/v1/group", [("Content-Type", "text/plain")], "x"),
    }
    for name, r in reqs.items():
        write("rest_request", name + ".req", r)


# --- cron_window ---------------------------------------------------------------------------------
def cron():
    pairs = [
        ("0 3 * * *", "Sun:03:00-Sun:04:00"), ("*/15 * * * *", "Mon:00:00-Fri:23:59"),
        ("0 0 29 2 *", "Sat:22:00-Sun:02:00"), ("0 0 31 4,6,9,11 *", "Fri:23:00-Mon:01:00"),
        ("5-10/2 1,2 1-7 JAN-MAR MON-FRI", "mon:00:00-mon:00:00"), ("* * * * 7", "Sun:24:00-Mon:00:00"),
        ("0 12 L * *", "xyz"), ("60 24 32 13 8", "Tue:12:60-Wed:00:00"), ("0 0 30 2 *", ""),
        ("@daily", "Wed:09:00-Wed:17:00"), ("0 0 * * sun,SAT", "Thu:23:59-Thu:00:00"),
    ]
    for n, (c, w) in enumerate(pairs):
        write("cron_window", f"pair-{n:02d}.txt", c + "\n" + w)


# --- store_json ----------------------------------------------------------------------------------
def store():
    docs = {
        "conditions": '[{"last_transition":1767225600000,"message":"up","observed_generation":3,'
                      '"reason":"Launched","status":"True","type":"Ready"}]',
        "conditions-escaped": json.dumps([{"type": "Degraded", "status": "True",
                                           "message": "caf\u00e9 \"quoted\"\n",
                                           "last_transition": -1}]),
        "conditions-wrong": '[{"type":1,"observed_generation":"3"},null,[]]',
        "status": json.dumps({"lastRecovery": {"reason": "interruption", "workflow": "wf-1",
                                               "totalMs": 90000, "downtimeMs": 60000,
                                               "milestones": {"terminated": 1767225600000,
                                                              "active": "soon"}},
                              "cost": {"spotHours": 1.5}, "deallocationFlags": {"x": True}}),
        "import-data": json.dumps({"instanceId": "i-1", "step": "drain", "error": None,
                                   "sourceInstance": {"id": 3}}),
        "not-json": "{\"truncated\": [1, 2",
        "deep": "[" * 5000 + "]" * 5000,
    }
    for name, d in docs.items():
        write("store_json", name + ".json", d)
    with open(os.path.join(ROOT, "fuzz/corpus/group_spec/valid.json"), encoding="utf-8") as f:
        write("store_json", "spec.json", f.read())


if __name__ == "__main__":
    sigv4()
    ec2_query()
    ec2_xml()
    sqs_json()
    eventbridge()
    imds()
    rest()
    cron()
    store()
