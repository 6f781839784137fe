"""Launches one instance with boto3, the way a person would before importing it into spotkeeper.

Usage: boto3_run_instance.py ENDPOINT_URL SUBNET_ID IMAGE_ID
Prints "<instance id> <private ip>" on success; exits non-zero with the error on stderr.
"""

import sys

import boto3
from botocore.config import Config


def main() -> int:
    endpoint, subnet, image = sys.argv[1:4]
    ec2 = boto3.client(
        "ec2",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="AKIAMOTOTESTING00002",
        aws_secret_access_key="moto-test-secret-boto3",
        config=Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 2}),
    )
    # The root device is mapped too, as a person resizing it would: moto (5.2.1) makes no root
    # volume when BlockDeviceMappings leaves the root device out (EC2 always makes one from the
    # image), and it needs the size (EC2 takes it from the image).
    img = ec2.describe_images(ImageIds=[image])["Images"][0]
    root = img["RootDeviceName"]
    root_size = next(
        (b["Ebs"]["VolumeSize"] for b in img["BlockDeviceMappings"] if b["DeviceName"] == root), 8
    )
    reply = ec2.run_instances(
        ImageId=image,
        InstanceType="m5.large",
        MinCount=1,
        MaxCount=1,
        SubnetId=subnet,
        BlockDeviceMappings=[
            {"DeviceName": root, "Ebs": {"VolumeSize": root_size, "DeleteOnTermination": True}},
            {"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 10, "DeleteOnTermination": False}},
        ],
        TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "hand-made"}]}
        ],
    )
    inst = reply["Instances"][0]
    print(inst["InstanceId"], inst["PrivateIpAddress"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
