#!/usr/bin/env python3
"""boto3 against the local cloud's spot market (`spotkeeper cloud serve --host-driver fake` with a
market config that interrupts within about a second): every EventBridge event shape received by
SQS long poll and checked against AWS's documented examples, the spot request's status codes
through a terminate and a stop interruption, DescribeSpotPriceHistory (paginator, StartTime) and
DescribeSpotInstanceRequests/CancelSpotInstanceRequests. Usage: spot_boto3.py PATH/TO/spotkeeper
"""
import json
import os
import re
import sys
import tempfile
import time

try:
    import boto3
    import botocore.config
except ImportError:
    print("boto3 is not installed: skipped")
    sys.exit(77)

from checks import check, checks, error_code
from cloud_process import CloudProcess

# A market where each running spot instance is interrupted after about a second (the >20%
# bucket's monthly rate scaled by 10^7), with a 1 s notice after a 0.5 s rebalance lead, and
# prices moving every second.
CONFIG = """
market:
  seed: 4242
  defaultBucket: ">20%"
  timeScale: 10000000
  noticeSeconds: 1
  rebalanceLeadSeconds: 0.5
  restartDelaySeconds: 0.5
  priceIntervalSeconds: 1
  volatility: 0.05
"""

# The envelope of AWS's documented examples (EventBridge event structure).
ENVELOPE = {"version", "id", "detail-type", "source", "account", "time", "region", "resources",
            "detail"}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
EVENT_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


class Events:
    """Long-polls the cloud's events queue; keeps every event by instance id."""

    def __init__(self, sqs, url):
        self.sqs, self.url, self.by_instance, self.waits = sqs, url, {}, []

    def poll(self):
        t0 = time.time()
        got = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10,
                                       WaitTimeSeconds=2)
        self.waits.append(time.time() - t0)
        for m in got.get("Messages", []):
            e = json.loads(m["Body"])
            self.by_instance.setdefault(e["detail"].get("instance-id"), []).append(e)
            self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=m["ReceiptHandle"])

    def wait_for(self, instance_id, pred, deadline_s=60):
        end = time.time() + deadline_s
        while time.time() < end:  # bounded by the deadline
            if pred(self.by_instance.get(instance_id, [])):
                return True
            self.poll()
        return False


def kind(e):
    if e["detail-type"] == "EC2 Instance State-change Notification":
        return e["detail"]["state"]
    return {"EC2 Instance Rebalance Recommendation": "rebalance",
            "EC2 Spot Instance Interruption Warning": "warning:" +
            e["detail"].get("instance-action", "?")}.get(e["detail-type"], e["detail-type"])


def check_shape(e, instance_id, account):
    what = "%s of %s" % (e.get("detail-type"), instance_id)
    check(set(e) == ENVELOPE, "envelope keys of " + what + ": " + str(sorted(e)))
    check(e["version"] == "0", "version " + what)
    check(UUID.match(e["id"]) is not None, "id is a UUID: " + e["id"])
    check(e["source"] == "aws.ec2", "source " + what)
    check(e["account"] == account and re.match(r"^\d{12}$", account), "account " + what)
    check(EVENT_TIME.match(e["time"]) is not None, "time " + e["time"])
    check(e["region"] == "local-1", "region " + what)
    check(e["resources"] == ["arn:aws:ec2:local-1:%s:instance/%s" % (account, instance_id)],
          "resources " + str(e["resources"]))
    detail = e["detail"]
    if e["detail-type"] == "EC2 Instance State-change Notification":
        check(set(detail) == {"instance-id", "state"}, "state-change detail " + str(detail))
        check(detail["state"] in ("pending", "running", "stopping", "stopped", "shutting-down",
                                  "terminated"), "state " + detail["state"])
    elif e["detail-type"] == "EC2 Spot Instance Interruption Warning":
        check(set(detail) == {"instance-id", "instance-action"}, "warning detail " + str(detail))
        check(detail["instance-action"] in ("hibernate", "stop", "terminate"), "instance-action")
    elif e["detail-type"] == "EC2 Instance Rebalance Recommendation":
        check(set(detail) == {"instance-id"}, "rebalance detail " + str(detail))
    else:
        check(False, "unexpected detail-type " + e["detail-type"])
    check(detail["instance-id"] == instance_id, "detail instance-id " + what)


def run_spot(ec2, **spot_options):
    market = {"MarketType": "spot"}
    if spot_options:
        market["SpotOptions"] = spot_options
    r = ec2.run_instances(ImageId="ami-00000000000000001", InstanceType="t3.micro", MinCount=1,
                          MaxCount=1, Placement={"AvailabilityZone": "local-1a"},
                          InstanceMarketOptions=market,
                          TagSpecifications=[{"ResourceType": "spot-instances-request",
                                              "Tags": [{"Key": "test", "Value": "spot"}]}])
    i = r["Instances"][0]
    check(i["InstanceLifecycle"] == "spot", "InstanceLifecycle spot")
    check(i["SpotInstanceRequestId"].startswith("sir-"), "SpotInstanceRequestId")
    return i["InstanceId"], i["SpotInstanceRequestId"]


def request(ec2, sir):
    return ec2.describe_spot_instance_requests(SpotInstanceRequestIds=[sir])[
        "SpotInstanceRequests"][0]


def one_time_terminate(ec2, events, account):
    iid, sir = run_spot(ec2, SpotInstanceType="one-time")
    ok = events.wait_for(iid, lambda ev: "terminated" in [kind(e) for e in ev])
    check(ok, "one-time instance interrupted and terminated")
    seq = [kind(e) for e in events.by_instance.get(iid, [])]
    check(seq == ["pending", "running", "rebalance", "warning:terminate", "shutting-down",
                  "terminated"], "terminate sequence " + str(seq))
    for e in events.by_instance.get(iid, []):
        check_shape(e, iid, account)
    r = request(ec2, sir)
    check(r["State"] == "closed", "request closed: " + r["State"])
    check(r["Status"]["Code"] == "instance-terminated-no-capacity", "status " + str(r["Status"]))
    check(isinstance(r["Status"]["UpdateTime"], type(r["CreateTime"])), "UpdateTime is a time")
    check(r["Type"] == "one-time", "type")
    check(r["InstanceInterruptionBehavior"] == "terminate", "behaviour")
    check(r["InstanceId"] == iid, "instance id")
    check(r["LaunchedAvailabilityZone"] == "local-1a", "launched AZ")
    check(r["LaunchSpecification"]["InstanceType"] == "t3.micro", "launch spec type")
    check(r["ProductDescription"] == "Linux/UNIX", "product description")
    check(r["Tags"] == [{"Key": "test", "Value": "spot"}], "request tags")
    check(r["SpotPrice"] == "0.010400", "max price defaults to on-demand: " + r["SpotPrice"])
    inst = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    check(inst["StateReason"]["Code"] == "Server.SpotInstanceTermination", "state reason")
    closed = ec2.describe_spot_instance_requests(
        Filters=[{"Name": "state", "Values": ["closed"]},
                 {"Name": "instance-id", "Values": [iid]}])["SpotInstanceRequests"]
    check([x["SpotInstanceRequestId"] for x in closed] == [sir], "filter by state")


def persistent_stop(ec2, events, account):
    iid, sir = run_spot(ec2, SpotInstanceType="persistent", InstanceInterruptionBehavior="stop")
    ok = events.wait_for(iid, lambda ev: [kind(e) for e in ev].count("running") >= 2)
    check(ok, "persistent instance stopped by an interruption and started again")
    seq = [kind(e) for e in events.by_instance.get(iid, [])][:8]
    check(seq == ["pending", "running", "rebalance", "warning:stop", "stopping", "stopped",
                  "pending", "running"], "stop sequence " + str(seq))
    for e in events.by_instance.get(iid, []):
        check_shape(e, iid, account)
    r = request(ec2, sir)
    check(r["Type"] == "persistent" and r["InstanceInterruptionBehavior"] == "stop",
          "persistent stop request")
    check(r["Status"]["Code"] in ("fulfilled", "marked-for-stop", "instance-stopped-no-capacity"),
          "status " + r["Status"]["Code"])
    out = ec2.cancel_spot_instance_requests(SpotInstanceRequestIds=[sir])
    check(out["CancelledSpotInstanceRequests"] == [
        {"SpotInstanceRequestId": sir, "State": "cancelled"}], "cancel " + str(out))
    check(request(ec2, sir)["State"] == "cancelled", "request cancelled")


def prices(ec2):
    pages = ec2.get_paginator("describe_spot_price_history").paginate(
        InstanceTypes=["c5.xlarge"], AvailabilityZone="local-1a",
        ProductDescriptions=["Linux/UNIX"], PaginationConfig={"PageSize": 2})
    items, sizes = [], []
    for page in pages:
        sizes.append(len(page["SpotPriceHistory"]))
        items.extend(page["SpotPriceHistory"])
    check(len(items) >= 3 and max(sizes) <= 2 and len(sizes) >= 2,
          "paginated history: %d items in pages %s" % (len(items), sizes))
    stamps = [x["Timestamp"] for x in items]
    check(stamps == sorted(stamps, reverse=True), "newest first")
    for x in items:
        check(x["InstanceType"] == "c5.xlarge" and x["AvailabilityZone"] == "local-1a" and
              x["ProductDescription"] == "Linux/UNIX", "price fields " + str(x))
        check(re.match(r"^\d+\.\d{6}$", x["SpotPrice"]) is not None, "price " + x["SpotPrice"])
        check(0 < float(x["SpotPrice"]) <= 0.17, "under on-demand " + x["SpotPrice"])
    t = time.time()
    now = ec2.describe_spot_price_history(
        InstanceTypes=["t3.micro", "m5.large"], StartTime=t, EndTime=t,
        Filters=[{"Name": "availability-zone", "Values": ["local-1b"]}])["SpotPriceHistory"]
    check(sorted(x["InstanceType"] for x in now) == ["m5.large", "t3.micro"],
          "the price in effect at StartTime, per pool: " + str(now))
    check(ec2.describe_spot_price_history(ProductDescriptions=["Windows"])[
        "SpotPriceHistory"] == [], "no Windows prices")


def errors(ec2):
    def run(**opts):
        return error_code(ec2.run_instances, ImageId="ami-00000000000000001",
                          InstanceType="t3.micro", MinCount=1, MaxCount=1,
                          InstanceMarketOptions={"MarketType": "spot", "SpotOptions": opts})
    check(run(SpotInstanceType="persistent") == "InvalidParameterCombination",
          "persistent needs stop or hibernate")
    check(run(InstanceInterruptionBehavior="stop") == "InvalidParameterCombination",
          "one-time cannot stop")
    check(run(MaxPrice="0.0001") == "SpotMaxPriceTooLow", "max price below the spot price")
    check(error_code(ec2.describe_spot_instance_requests,
                     SpotInstanceRequestIds=["sir-00000000"]) ==
          "InvalidSpotInstanceRequestID.NotFound", "unknown request")


def main():
    spotkeeper = sys.argv[1]
    fd, config = tempfile.mkstemp(prefix="sk_spot_boto3_", suffix=".yaml")
    with os.fdopen(fd, "w") as f:
        f.write(CONFIG)
    try:
        with CloudProcess(spotkeeper, ["--config", config]) as cloud:
            key, secret = cloud.credentials()
            session = boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret,
                                            region_name="local-1")
            cfg = botocore.config.Config(retries={"max_attempts": 2, "mode": "standard"})
            ec2 = session.client("ec2", endpoint_url=cloud.endpoint, config=cfg)
            sqs = session.client("sqs", endpoint_url=cloud.endpoint, config=cfg)
            with open(os.path.join(cloud.data_dir, "cloud.json")) as f:
                url = json.load(f)["eventsQueueUrl"]
            account = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
                "Attributes"]["QueueArn"].split(":")[4]
            events = Events(sqs, url)
            errors(ec2)
            one_time_terminate(ec2, events, account)
            persistent_stop(ec2, events, account)
            prices(ec2)
            if checks.failed:
                print(cloud.read_log())
    finally:
        os.remove(config)
    return checks.summary("spot boto3")


if __name__ == "__main__":
    sys.exit(main())
