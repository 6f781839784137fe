#include "provider/ec2/ec2_parsers.h"

#include "awsproto/ec2_xml.h"

namespace spotkeeper {

using aws::XmlBool;
using aws::XmlChild;
using aws::XmlDouble;
using aws::XmlInt;
using aws::XmlItems;
using aws::XmlTagSet;
using aws::XmlText;
using aws::XmlTime;

Instance ParseInstance(pugi::xml_node n) {
  Instance i;
  i.id = XmlText(n, "instanceId");
  i.image_id = XmlText(n, "imageId");
  i.instance_type = XmlText(n, "instanceType");
  i.market = XmlText(n, "instanceLifecycle") == "spot" ? Market::kSpot : Market::kOnDemand;
  i.spot_request_id = XmlText(n, "spotInstanceRequestId");
  i.availability_zone = XmlText(n, "placement/availabilityZone");
  i.subnet_id = XmlText(n, "subnetId");
  i.vpc_id = XmlText(n, "vpcId");
  i.private_ip = XmlText(n, "privateIpAddress");
  i.state = ParseInstanceState(XmlText(n, "instanceState/name")).value_or(InstanceState::kPending);
  i.state_reason = XmlText(n, "stateReason/code");
  i.launch_time = XmlTime(n, "launchTime");
  i.root_device_name = XmlText(n, "rootDeviceName");
  for (pugi::xml_node b : XmlItems(n, "blockDeviceMapping")) {
    InstanceBlockDevice d;
    d.device_name = XmlText(b, "deviceName");
    d.volume_id = XmlText(b, "ebs/volumeId");
    d.delete_on_termination = XmlBool(b, "ebs/deleteOnTermination");
    d.status = XmlText(b, "ebs/status");
    i.block_devices.push_back(std::move(d));
  }
  for (pugi::xml_node e : XmlItems(n, "networkInterfaceSet")) {
    InstanceNetworkInterface ni;
    ni.network_interface_id = XmlText(e, "networkInterfaceId");
    ni.device_index = static_cast<int>(XmlInt(e, "attachment/deviceIndex"));
    ni.private_ip = XmlText(e, "privateIpAddress");
    ni.mac = XmlText(e, "macAddress");
    ni.delete_on_termination = XmlBool(e, "attachment/deleteOnTermination");
    ni.attachment_id = XmlText(e, "attachment/attachmentId");
    i.network_interfaces.push_back(std::move(ni));
  }
  i.tags = XmlTagSet(n);
  i.client_token = XmlText(n, "clientToken");
  return i;
}

std::vector<Instance> ParseReservations(pugi::xml_node root) {
  std::vector<Instance> out;
  if (XmlChild(root, "reservationSet")) {
    for (pugi::xml_node r : XmlItems(root, "reservationSet")) {
      for (pugi::xml_node i : XmlItems(r, "instancesSet")) out.push_back(ParseInstance(i));
    }
  } else {
    for (pugi::xml_node i : XmlItems(root, "instancesSet")) out.push_back(ParseInstance(i));
  }
  return out;
}

InstanceStatus ParseInstanceStatus(pugi::xml_node n) {
  InstanceStatus s;
  s.instance_id = XmlText(n, "instanceId");
  s.state = ParseInstanceState(XmlText(n, "instanceState/name")).value_or(InstanceState::kPending);
  s.system_status = XmlText(n, "systemStatus/status");
  s.instance_status = XmlText(n, "instanceStatus/status");
  return s;
}

Volume ParseVolume(pugi::xml_node n) {
  Volume v;
  v.id = XmlText(n, "volumeId");
  v.availability_zone = XmlText(n, "availabilityZone");
  v.size_gib = static_cast<int>(XmlInt(n, "size"));
  v.volume_type = XmlText(n, "volumeType");
  v.state = XmlText(n, "status");
  v.snapshot_id = XmlText(n, "snapshotId");
  v.create_time = XmlTime(n, "createTime");
  for (pugi::xml_node a : XmlItems(n, "attachmentSet")) {
    VolumeAttachment att;
    att.instance_id = XmlText(a, "instanceId");
    att.device = XmlText(a, "device");
    att.state = XmlText(a, "status");
    att.delete_on_termination = XmlBool(a, "deleteOnTermination");
    v.attachments.push_back(std::move(att));
  }
  v.tags = XmlTagSet(n);
  return v;
}

Snapshot ParseSnapshot(pugi::xml_node n) {
  Snapshot s;
  s.id = XmlText(n, "snapshotId");
  s.volume_id = XmlText(n, "volumeId");
  s.volume_size_gib = static_cast<int>(XmlInt(n, "volumeSize"));
  s.state = XmlText(n, "status");
  s.progress = XmlText(n, "progress");
  s.start_time = XmlTime(n, "startTime");
  s.description = XmlText(n, "description");
  s.tags = XmlTagSet(n);
  return s;
}

Image ParseImage(pugi::xml_node n) {
  Image img;
  img.id = XmlText(n, "imageId");
  img.name = XmlText(n, "name");
  img.state = XmlText(n, "imageState");
  img.root_device_name = XmlText(n, "rootDeviceName");
  for (pugi::xml_node b : XmlItems(n, "blockDeviceMapping")) {
    if (!XmlChild(b, "ebs")) continue;  // ephemeral / NoDevice entries
    ImageBlockDevice d;
    d.device_name = XmlText(b, "deviceName");
    d.snapshot_id = XmlText(b, "ebs/snapshotId");
    d.volume_size_gib = static_cast<int>(XmlInt(b, "ebs/volumeSize"));
    d.delete_on_termination = XmlBool(b, "ebs/deleteOnTermination", true);
    img.block_devices.push_back(std::move(d));
  }
  img.creation_date = XmlTime(n, "creationDate");
  img.tags = XmlTagSet(n);
  return img;
}

NetworkInterface ParseNetworkInterface(pugi::xml_node n) {
  NetworkInterface e;
  e.id = XmlText(n, "networkInterfaceId");
  e.subnet_id = XmlText(n, "subnetId");
  e.vpc_id = XmlText(n, "vpcId");
  e.availability_zone = XmlText(n, "availabilityZone");
  e.private_ip = XmlText(n, "privateIpAddress");
  e.mac = XmlText(n, "macAddress");
  e.status = XmlText(n, "status");
  if (pugi::xml_node a = XmlChild(n, "attachment"); a && !XmlText(a, "attachmentId").empty()) {
    NetworkInterfaceAttachment att;
    att.attachment_id = XmlText(a, "attachmentId");
    att.instance_id = XmlText(a, "instanceId");
    att.device_index = static_cast<int>(XmlInt(a, "deviceIndex"));
    att.delete_on_termination = XmlBool(a, "deleteOnTermination");
    att.status = XmlText(a, "status");
    e.attachment = std::move(att);
  }
  e.description = XmlText(n, "description");
  e.tags = XmlTagSet(n);
  return e;
}

Subnet ParseSubnet(pugi::xml_node n) {
  return Subnet{XmlText(n, "subnetId"), XmlText(n, "vpcId"), XmlText(n, "availabilityZone"),
                XmlText(n, "cidrBlock")};
}

AvailabilityZone ParseAvailabilityZone(pugi::xml_node n) {
  return AvailabilityZone{XmlText(n, "zoneName"), XmlText(n, "zoneState")};
}

SpotPrice ParseSpotPrice(pugi::xml_node n) {
  SpotPrice p;
  p.instance_type = XmlText(n, "instanceType");
  p.availability_zone = XmlText(n, "availabilityZone");
  p.price = XmlDouble(n, "spotPrice");
  p.timestamp = XmlTime(n, "timestamp");
  return p;
}

SpotInstanceRequest ParseSpotInstanceRequest(pugi::xml_node n) {
  SpotInstanceRequest r;
  r.id = XmlText(n, "spotInstanceRequestId");
  r.instance_id = XmlText(n, "instanceId");
  r.state = XmlText(n, "state");
  r.status_code = XmlText(n, "status/code");
  r.availability_zone = XmlText(n, "launchedAvailabilityZone");
  if (r.availability_zone.empty()) {
    r.availability_zone = XmlText(n, "launchSpecification/placement/availabilityZone");
  }
  r.instance_type = XmlText(n, "launchSpecification/instanceType");
  return r;
}

}  // namespace spotkeeper
