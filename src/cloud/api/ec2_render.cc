#include "cloud/api/ec2_render.h"

#include <algorithm>
#include <cstdio>

#include "awsproto/ec2_xml_writer.h"

namespace spotkeeper::cloud {
namespace {

using aws::Ec2XmlWriter;

pugi::xml_node El(pugi::xml_node parent, const char* name) {
  return Ec2XmlWriter::AddElement(parent, name);
}
void Text(pugi::xml_node parent, const char* name, const std::string& value) {
  Ec2XmlWriter::AddText(parent, name, value);
}
void Int(pugi::xml_node parent, const char* name, int64_t value) {
  Ec2XmlWriter::AddInt(parent, name, value);
}
void Bool(pugi::xml_node parent, const char* name, bool value) {
  Ec2XmlWriter::AddBool(parent, name, value);
}
void TimeMs(pugi::xml_node parent, const char* name, int64_t ms) {
  Ec2XmlWriter::AddTime(parent, name, FromMillis(ms));
}

std::string DnsName(const std::string& ip, const std::string& region) {
  std::string h = "ip-" + ip;
  std::replace(h.begin(), h.end(), '.', '-');
  return h + "." + region + ".compute.internal";
}

void RenderGroups(pugi::xml_node parent, const std::vector<std::string>& groups) {
  pugi::xml_node set = El(parent, "groupSet");
  for (const std::string& g : groups) {
    pugi::xml_node item = El(set, "item");
    Text(item, "groupId", g);
    Text(item, "groupName", g == groups.front() ? "default" : g);
  }
}

void RenderState(pugi::xml_node parent, const char* name, const std::string& state) {
  pugi::xml_node s = El(parent, name);
  Int(s, "code", InstanceStateCode(state));
  Text(s, "name", state);
}

}  // namespace

void RenderInstance(pugi::xml_node item, const InstanceView& v, const RenderContext& ctx) {
  const InstanceRecord& r = v.instance;
  Text(item, "instanceId", r.id);
  Text(item, "imageId", r.image_id);
  RenderState(item, "instanceState", r.state);
  Text(item, "privateDnsName", DnsName(r.private_ip, ctx.region));
  Text(item, "dnsName", "");
  Text(item, "reason", r.transition_reason);
  if (!r.key_name.empty()) Text(item, "keyName", r.key_name);
  Int(item, "amiLaunchIndex", r.launch_index);
  El(item, "productCodes");
  Text(item, "instanceType", r.instance_type);
  TimeMs(item, "launchTime", r.launch_ms);
  pugi::xml_node placement = El(item, "placement");
  Text(placement, "availabilityZone", r.az);
  Text(placement, "groupName", "");
  Text(placement, "tenancy", "default");
  Text(El(item, "monitoring"), "state", "disabled");
  Text(item, "subnetId", r.subnet_id);
  Text(item, "vpcId", r.vpc_id);
  Text(item, "privateIpAddress", r.private_ip);
  Bool(item, "sourceDestCheck", true);
  RenderGroups(item, r.groups);
  if (!r.state_reason_code.empty()) {
    pugi::xml_node reason = El(item, "stateReason");
    Text(reason, "code", r.state_reason_code);
    Text(reason, "message", r.state_reason_message);
  }
  Text(item, "architecture", "x86_64");
  Text(item, "rootDeviceType", "ebs");
  Text(item, "rootDeviceName", r.root_device_name);
  pugi::xml_node bdm = El(item, "blockDeviceMapping");
  for (const VolumeRecord& vol : v.volumes) {
    pugi::xml_node b = El(bdm, "item");
    Text(b, "deviceName", vol.attachment->device);
    pugi::xml_node ebs = El(b, "ebs");
    Text(ebs, "volumeId", vol.id);
    Text(ebs, "status", vol.attachment->status);
    TimeMs(ebs, "attachTime", vol.attachment->attach_ms);
    Bool(ebs, "deleteOnTermination", vol.attachment->delete_on_termination);
  }
  if (!r.lifecycle.empty()) Text(item, "instanceLifecycle", r.lifecycle);
  if (!r.spot_request_id.empty()) Text(item, "spotInstanceRequestId", r.spot_request_id);
  Text(item, "virtualizationType", "hvm");
  Text(item, "clientToken", r.client_token);
  Ec2XmlWriter::AddTagSet(item, r.tags);
  Text(item, "hypervisor", "xen");
  pugi::xml_node nics = El(item, "networkInterfaceSet");
  if (v.eni) {
    const EniRecord& e = *v.eni;
    pugi::xml_node n = El(nics, "item");
    Text(n, "networkInterfaceId", e.id);
    Text(n, "subnetId", e.subnet_id);
    Text(n, "vpcId", e.vpc_id);
    Text(n, "description", e.description);
    Text(n, "ownerId", ctx.account_id);
    Text(n, "status", e.status);
    Text(n, "macAddress", e.mac);
    Text(n, "privateIpAddress", e.private_ip);
    Text(n, "privateDnsName", DnsName(e.private_ip, ctx.region));
    Bool(n, "sourceDestCheck", e.source_dest_check);
    RenderGroups(n, e.groups);
    if (e.attachment) {
      pugi::xml_node a = El(n, "attachment");
      Text(a, "attachmentId", e.attachment->attachment_id);
      Int(a, "deviceIndex", e.attachment->device_index);
      Text(a, "status", e.attachment->status);
      TimeMs(a, "attachTime", e.attachment->attach_ms);
      Bool(a, "deleteOnTermination", e.attachment->delete_on_termination);
      Int(a, "networkCardIndex", 0);
    }
    pugi::xml_node ips = El(El(n, "privateIpAddressesSet"), "item");
    Text(ips, "privateIpAddress", e.private_ip);
    Text(ips, "privateDnsName", DnsName(e.private_ip, ctx.region));
    Bool(ips, "primary", true);
    Text(n, "interfaceType", e.interface_type);
  }
  Bool(item, "ebsOptimized", false);
  Bool(item, "enaSupport", true);
  pugi::xml_node cpu = El(item, "cpuOptions");
  Int(cpu, "coreCount", std::max(1, r.vcpus / 2));
  Int(cpu, "threadsPerCore", r.vcpus >= 2 ? 2 : 1);
  Bool(El(item, "hibernationOptions"), "configured", false);
  pugi::xml_node md = El(item, "metadataOptions");
  Text(md, "state", "applied");
  Text(md, "httpTokens", "optional");
  Int(md, "httpPutResponseHopLimit", 1);
  Text(md, "httpEndpoint", "enabled");
  Text(md, "instanceMetadataTags", "enabled");
  Text(item, "platformDetails", "Linux/UNIX");
  Text(item, "usageOperation", "RunInstances");
  Text(item, "bootMode", "legacy-bios");
}

void RenderReservations(pugi::xml_node parent, const std::vector<InstanceView>& instances,
                        const RenderContext& ctx) {
  pugi::xml_node set = El(parent, "reservationSet");
  std::string current;
  pugi::xml_node list;
  for (const InstanceView& v : instances) {
    if (!list || v.instance.reservation_id != current) {
      current = v.instance.reservation_id;
      pugi::xml_node r = El(set, "item");
      Text(r, "reservationId", current);
      Text(r, "ownerId", ctx.account_id);
      El(r, "groupSet");
      list = El(r, "instancesSet");
    }
    RenderInstance(El(list, "item"), v, ctx);
  }
}

void RenderInstanceStatus(pugi::xml_node item, const InstanceView& v) {
  const InstanceRecord& r = v.instance;
  Text(item, "instanceId", r.id);
  Text(item, "availabilityZone", r.az);
  RenderState(item, "instanceState", r.state);
  std::string status = r.state == "running"   ? "ok"
                       : r.state == "pending" ? "initializing"
                                              : "not-applicable";
  for (const char* kind : {"systemStatus", "instanceStatus"}) {
    pugi::xml_node s = El(item, kind);
    Text(s, "status", status);
    pugi::xml_node d = El(El(s, "details"), "item");
    Text(d, "name", "reachability");
    Text(d, "status", status == "ok" ? "passed" : status);
  }
  El(item, "eventsSet");
}

void RenderStateChanges(pugi::xml_node parent, const std::vector<StateChange>& changes) {
  pugi::xml_node set = El(parent, "instancesSet");
  for (const StateChange& c : changes) {
    pugi::xml_node item = El(set, "item");
    Text(item, "instanceId", c.instance_id);
    RenderState(item, "currentState", c.current_state);
    RenderState(item, "previousState", c.previous_state);
  }
}

void RenderVolume(pugi::xml_node item, const VolumeRecord& v) {
  Text(item, "volumeId", v.id);
  Int(item, "size", v.size_gib);
  Text(item, "snapshotId", v.snapshot_id);
  Text(item, "availabilityZone", v.az);
  Text(item, "status", v.state);
  TimeMs(item, "createTime", v.create_ms);
  pugi::xml_node set = El(item, "attachmentSet");
  if (v.attachment) {
    pugi::xml_node a = El(set, "item");
    Text(a, "volumeId", v.id);
    Text(a, "instanceId", v.attachment->instance_id);
    Text(a, "device", v.attachment->device);
    Text(a, "status", v.attachment->status);
    TimeMs(a, "attachTime", v.attachment->attach_ms);
    Bool(a, "deleteOnTermination", v.attachment->delete_on_termination);
  }
  Ec2XmlWriter::AddTagSet(item, v.tags);
  Text(item, "volumeType", v.volume_type);
  if (v.iops > 0) Int(item, "iops", v.iops);
  if (v.throughput > 0) Int(item, "throughput", v.throughput);
  Bool(item, "encrypted", v.encrypted);
  Bool(item, "multiAttachEnabled", false);
}

void RenderAttachment(pugi::xml_node parent, const VolumeAttachmentResult& a) {
  Text(parent, "volumeId", a.volume_id);
  Text(parent, "instanceId", a.instance_id);
  Text(parent, "device", a.device);
  Text(parent, "status", a.status);
  TimeMs(parent, "attachTime", a.attach_ms);
  Bool(parent, "deleteOnTermination", a.delete_on_termination);
}

void RenderNetworkInterface(pugi::xml_node item, const EniRecord& e, const RenderContext& ctx) {
  Text(item, "networkInterfaceId", e.id);
  Text(item, "subnetId", e.subnet_id);
  Text(item, "vpcId", e.vpc_id);
  Text(item, "availabilityZone", e.az);
  Text(item, "description", e.description);
  Text(item, "ownerId", ctx.account_id);
  Bool(item, "requesterManaged", false);
  Text(item, "status", e.status);
  Text(item, "macAddress", e.mac);
  Text(item, "privateIpAddress", e.private_ip);
  Text(item, "privateDnsName", DnsName(e.private_ip, ctx.region));
  Bool(item, "sourceDestCheck", e.source_dest_check);
  RenderGroups(item, e.groups);
  if (e.attachment) {
    pugi::xml_node a = El(item, "attachment");
    Text(a, "attachmentId", e.attachment->attachment_id);
    Text(a, "instanceId", e.attachment->instance_id);
    Text(a, "instanceOwnerId", ctx.account_id);
    Int(a, "deviceIndex", e.attachment->device_index);
    Text(a, "status", e.attachment->status);
    TimeMs(a, "attachTime", e.attachment->attach_ms);
    Bool(a, "deleteOnTermination", e.attachment->delete_on_termination);
    Int(a, "networkCardIndex", 0);
  }
  Ec2XmlWriter::AddTagSet(item, e.tags, /*skip_empty=*/false);
  pugi::xml_node ips = El(El(item, "privateIpAddressesSet"), "item");
  Text(ips, "privateIpAddress", e.private_ip);
  Text(ips, "privateDnsName", DnsName(e.private_ip, ctx.region));
  Bool(ips, "primary", true);
  El(item, "ipv6AddressesSet");
  Text(item, "interfaceType", e.interface_type);
}

void RenderImage(pugi::xml_node item, const ImageRecord& img, const RenderContext& ctx) {
  Text(item, "imageId", img.id);
  Text(item, "imageLocation", ctx.account_id + "/" + img.name);
  Text(item, "imageState", img.state);
  Text(item, "imageOwnerId", ctx.account_id);
  TimeMs(item, "creationDate", img.creation_ms);
  Bool(item, "isPublic", false);
  Text(item, "architecture", "x86_64");
  Text(item, "imageType", "machine");
  Text(item, "platformDetails", "Linux/UNIX");
  Text(item, "usageOperation", "RunInstances");
  Text(item, "name", img.name);
  Text(item, "description", img.description);
  Text(item, "rootDeviceType", "ebs");
  Text(item, "rootDeviceName", img.root_device_name);
  if (img.state == "failed" && !img.state_reason.empty()) {
    pugi::xml_node reason = El(item, "stateReason");
    Text(reason, "code", "Client.SnapshotFailed");
    Text(reason, "message", img.state_reason);
  }
  pugi::xml_node bdm = El(item, "blockDeviceMapping");
  std::vector<ImageDeviceRecord> devices = {
      ImageDeviceRecord{img.root_device_name, img.root_snapshot_id, img.root_size_gib,
                        img.root_delete_on_termination, img.root_volume_type}};
  devices.insert(devices.end(), img.data_devices.begin(), img.data_devices.end());
  for (const ImageDeviceRecord& d : devices) {
    pugi::xml_node b = El(bdm, "item");
    Text(b, "deviceName", d.device_name);
    pugi::xml_node ebs = El(b, "ebs");
    if (!d.snapshot_id.empty()) Text(ebs, "snapshotId", d.snapshot_id);
    Int(ebs, "volumeSize", d.volume_size_gib);
    Bool(ebs, "deleteOnTermination", d.delete_on_termination);
    Text(ebs, "volumeType", d.volume_type);
    Bool(ebs, "encrypted", false);
  }
  if (!img.source_instance_id.empty()) Text(item, "sourceInstanceId", img.source_instance_id);
  Text(item, "virtualizationType", "hvm");
  Text(item, "hypervisor", "xen");
  Bool(item, "enaSupport", true);
  Ec2XmlWriter::AddTagSet(item, img.tags);
}

void RenderSnapshot(pugi::xml_node item, const SnapshotRecord& s) {
  Text(item, "snapshotId", s.id);
  Text(item, "volumeId", s.volume_id);
  Text(item, "status", s.state);
  if (s.state == "error" && !s.state_message.empty()) Text(item, "statusMessage", s.state_message);
  TimeMs(item, "startTime", s.start_ms);
  Text(item, "progress", std::to_string(s.progress) + "%");
  Text(item, "ownerId", s.owner_id);
  Text(item, "description", s.description);
  Int(item, "volumeSize", s.volume_size_gib);
  Bool(item, "encrypted", false);
  Text(item, "storageTier", "standard");
  if (s.completion_ms > 0) TimeMs(item, "completionTime", s.completion_ms);
  Ec2XmlWriter::AddTagSet(item, s.tags);
}

void RenderVpc(pugi::xml_node item, const VpcRecord& v, const RenderContext& ctx) {
  Text(item, "vpcId", v.id);
  Text(item, "ownerId", ctx.account_id);
  Text(item, "state", v.state);
  Text(item, "cidrBlock", v.cidr);
  pugi::xml_node assoc = El(El(item, "cidrBlockAssociationSet"), "item");
  Text(assoc, "cidrBlock", v.cidr);
  Text(assoc, "associationId", "vpc-cidr-assoc-" + v.id.substr(4));
  Text(El(assoc, "cidrBlockState"), "state", "associated");
  Text(item, "dhcpOptionsId", "default");
  Ec2XmlWriter::AddTagSet(item, v.tags);
  Text(item, "instanceTenancy", "default");
  Bool(item, "isDefault", v.is_default);
}

void RenderSubnet(pugi::xml_node item, const SubnetView& sv, const RenderContext& ctx) {
  const SubnetRecord& s = sv.subnet;
  Text(item, "subnetId", s.id);
  Text(item, "subnetArn", "arn:aws:ec2:" + ctx.region + ":" + ctx.account_id + ":subnet/" + s.id);
  Text(item, "state", "available");
  Text(item, "ownerId", ctx.account_id);
  Text(item, "vpcId", s.vpc_id);
  Text(item, "cidrBlock", s.cidr);
  El(item, "ipv6CidrBlockAssociationSet");
  Int(item, "availableIpAddressCount", sv.available_ips);
  Text(item, "availabilityZone", s.az);
  Bool(item, "defaultForAz", s.default_for_az);
  Bool(item, "mapPublicIpOnLaunch", false);
  Bool(item, "assignIpv6AddressOnCreation", false);
  Ec2XmlWriter::AddTagSet(item, s.tags);
}

void RenderAvailabilityZone(pugi::xml_node item, const AzInfo& az) {
  Text(item, "zoneName", az.name);
  Text(item, "zoneState", "available");
  Text(item, "regionName", az.region);
  Text(item, "zoneId", az.zone_id);
  Text(item, "zoneType", "availability-zone");
  Text(item, "optInStatus", "opt-in-not-required");
  Text(item, "groupName", az.region);
  Text(item, "networkBorderGroup", az.region);
  El(item, "messageSet");
}

void RenderInstanceType(pugi::xml_node item, const InstanceTypeInfo& t) {
  Text(item, "instanceType", t.name);
  Bool(item, "currentGeneration", true);
  Bool(item, "freeTierEligible", t.name == "t3.micro");
  pugi::xml_node usage = El(item, "supportedUsageClasses");
  Text(usage, "item", "on-demand");
  Text(usage, "item", "spot");
  Text(El(item, "supportedRootDeviceTypes"), "item", "ebs");
  Text(El(item, "supportedVirtualizationTypes"), "item", "hvm");
  Bool(item, "bareMetal", false);
  Text(item, "hypervisor", "nitro");
  pugi::xml_node proc = El(item, "processorInfo");
  Text(El(proc, "supportedArchitectures"), "item", "x86_64");
  pugi::xml_node vcpu = El(item, "vCpuInfo");
  Int(vcpu, "defaultVCpus", t.vcpus);
  Int(vcpu, "defaultCores", std::max(1, t.vcpus / 2));
  Int(vcpu, "defaultThreadsPerCore", t.vcpus >= 2 ? 2 : 1);
  Int(El(item, "memoryInfo"), "sizeInMiB", t.memory_mib);
  Bool(item, "instanceStorageSupported", false);
  Text(El(item, "ebsInfo"), "ebsOptimizedSupport", "default");
  pugi::xml_node net = El(item, "networkInfo");
  Text(net, "networkPerformance", "Up to 5 Gigabit");
  Int(net, "maximumNetworkInterfaces", 1);
  Int(net, "ipv4AddressesPerInterface", 1);
  Bool(item, "hibernationSupported", false);
  Bool(item, "burstablePerformanceSupported", t.burstable);
  Bool(item, "dedicatedHostsSupported", false);
  Bool(item, "autoRecoverySupported", false);
}

std::string FormatSpotPrice(double usd_per_hour) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", usd_per_hour);
  return buf;
}

void RenderSpotInstanceRequest(pugi::xml_node item, const SpotRequestRecord& s,
                               const RenderContext& ctx) {
  (void)ctx;
  Text(item, "spotInstanceRequestId", s.id);
  Text(item, "spotPrice", s.max_price);
  Text(item, "type", s.request_type);
  Text(item, "state", s.state);
  pugi::xml_node status = El(item, "status");
  Text(status, "code", s.status_code);
  TimeMs(status, "updateTime", s.status_update_ms);
  Text(status, "message", s.status_message);
  pugi::xml_node spec = El(item, "launchSpecification");
  Text(spec, "imageId", s.image_id);
  if (!s.key_name.empty()) Text(spec, "keyName", s.key_name);
  RenderGroups(spec, s.groups);
  Text(spec, "instanceType", s.instance_type);
  pugi::xml_node placement = El(spec, "placement");
  Text(placement, "availabilityZone", s.az);
  Text(placement, "tenancy", "default");
  Bool(El(spec, "monitoring"), "enabled", false);
  Text(spec, "subnetId", s.subnet_id);
  Bool(spec, "ebsOptimized", false);
  if (!s.instance_id.empty()) Text(item, "instanceId", s.instance_id);
  TimeMs(item, "createTime", s.create_ms);
  Text(item, "productDescription", "Linux/UNIX");
  Ec2XmlWriter::AddTagSet(item, s.tags);
  Text(item, "launchedAvailabilityZone", s.az);
  Text(item, "instanceInterruptionBehavior", s.interruption_behavior);
}

void RenderSpotPrice(pugi::xml_node item, const SpotPriceView& p) {
  Text(item, "availabilityZone", p.availability_zone);
  Text(item, "instanceType", p.instance_type);
  Text(item, "productDescription", p.product_description);
  Text(item, "spotPrice", FormatSpotPrice(p.price));
  Ec2XmlWriter::AddTime(item, "timestamp", p.timestamp);
}

}  // namespace spotkeeper::cloud
