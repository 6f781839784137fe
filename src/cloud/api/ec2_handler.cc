#include "cloud/api/ec2_handler.h"

#include "awsproto/aws_error.h"
#include "awsproto/crypto.h"
#include "cloud/api/ec2_params.h"
#include "cloud/engine/ec2_error.h"

namespace spotkeeper::cloud {
namespace {

using aws::Ec2XmlWriter;
using aws::QueryDecoder;

std::vector<TagSpec> TagSpecs(const QueryDecoder& p) {
  std::vector<TagSpec> out;
  for (const QueryDecoder& s : p.SubList("TagSpecification")) {
    TagSpec spec;
    spec.resource_type = s.GetOr("ResourceType", "");
    for (const QueryDecoder& t : s.SubList("Tag"))
      spec.tags[t.GetOr("Key", "")] = t.GetOr("Value", "");
    out.push_back(std::move(spec));
  }
  return out;
}

// Every parameter but the token and the protocol's own, for IdempotentParameterMismatch.
std::string ParamDigest(const QueryDecoder& p) {
  std::string out;
  for (const auto& [k, v] : p.params()) {
    if (k == "ClientToken" || k == "Action" || k == "Version" || k == "DryRun" ||
        k.rfind("X-Amz-", 0) == 0) {
      continue;
    }
    out += k + "=" + v + "\n";
  }
  return aws::Sha256Hex(out);
}

Result<std::optional<int>> OptInt(const QueryDecoder& p, const std::string& key) {
  SK_ASSIGN_OR_RETURN(std::optional<int64_t> v, p.GetInt(key));
  if (!v) return std::optional<int>();
  return std::optional<int>(static_cast<int>(*v));
}

// BlockDeviceMapping.N (RunInstances, CreateImage, RegisterImage).
Result<std::vector<BlockDeviceRequest>> BlockDevices(const QueryDecoder& p) {
  std::vector<BlockDeviceRequest> out;
  for (const QueryDecoder& b : p.SubList("BlockDeviceMapping")) {
    BlockDeviceRequest bd;
    bd.device_name = b.GetOr("DeviceName", "");
    bd.virtual_name = b.GetOr("VirtualName", "");
    bd.no_device = b.Has("NoDevice");
    SK_ASSIGN_OR_RETURN(bd.volume_size, OptInt(b, "Ebs.VolumeSize"));
    SK_ASSIGN_OR_RETURN(bd.delete_on_termination, b.GetBool("Ebs.DeleteOnTermination"));
    bd.volume_type = b.GetOr("Ebs.VolumeType", "");
    bd.snapshot_id = b.GetOr("Ebs.SnapshotId", "");
    SK_ASSIGN_OR_RETURN(auto iops, OptInt(b, "Ebs.Iops"));
    SK_ASSIGN_OR_RETURN(auto tp, OptInt(b, "Ebs.Throughput"));
    bd.iops = iops.value_or(0);
    bd.throughput = tp.value_or(0);
    out.push_back(std::move(bd));
  }
  return out;
}

void NextToken(pugi::xml_node root, const std::string& token) {
  if (!token.empty()) Ec2XmlWriter::AddText(root, "nextToken", token);
}

pugi::xml_node Set(pugi::xml_node root, const char* name) {
  return Ec2XmlWriter::AddElement(root, name);
}

pugi::xml_node Item(pugi::xml_node set) { return Ec2XmlWriter::AddElement(set, "item"); }

}  // namespace

Ec2Handler::Ec2Handler(Engine* engine, RenderContext ctx) : engine_(engine), ctx_(std::move(ctx)) {
  Register();
}

ApiReply Ec2Handler::ErrorReply(const Status& status, const std::string& request_id) {
  aws::Ec2ErrorReply e = aws::Ec2ErrorForStatus(status);
  ApiReply r;
  r.status = e.code == "DryRunOperation" ? 412 : e.http_status;
  r.body = aws::Ec2ErrorXml(e.code, status.message(), request_id);
  return r;
}

ApiReply Ec2Handler::Handle(const QueryDecoder& params, const std::string& request_id) {
  std::string action = params.GetOr("Action", "");
  if (action.empty()) {
    return ErrorReply(Ec2Error("MissingAction", "The request must contain the parameter Action"),
                      request_id);
  }
  auto it = actions_.find(action);
  if (it == actions_.end()) {
    return ErrorReply(
        Ec2Error("InvalidAction", "The action " + action + " is not valid for this web service."),
        request_id);
  }
  auto dry = params.GetBool("DryRun");
  if (!dry.ok()) return ErrorReply(dry.status(), request_id);
  if (dry->value_or(false)) {
    return ErrorReply(
        Ec2Error("DryRunOperation", "Request would have succeeded, but DryRun flag is set."),
        request_id);
  }
  Ec2XmlWriter w(action, request_id);
  Status s = it->second(params, w.root());
  if (!s.ok()) return ErrorReply(s, request_id);
  ApiReply r;
  r.body = w.ToString();
  return r;
}

void Ec2Handler::Register() {
  Engine* e = engine_;
  const RenderContext& ctx = ctx_;

  actions_["RunInstances"] = [e, ctx](const QueryDecoder& p, pugi::xml_node root) -> Status {
    RunInstancesRequest r;
    r.image_id = p.GetOr("ImageId", "");
    r.instance_type = p.GetOr("InstanceType", "");
    SK_ASSIGN_OR_RETURN(auto min, p.GetInt("MinCount"));
    SK_ASSIGN_OR_RETURN(auto max, p.GetInt("MaxCount"));
    if (!min)
      return Ec2Error("MissingParameter", "The request must contain the parameter MinCount");
    if (!max)
      return Ec2Error("MissingParameter", "The request must contain the parameter MaxCount");
    r.min_count = *min;
    r.max_count = *max;
    r.availability_zone = p.GetOr("Placement.AvailabilityZone", "");
    r.subnet_id = p.GetOr("SubnetId", "");
    r.private_ip = p.GetOr("PrivateIpAddress", "");
    r.security_group_ids = p.GetList("SecurityGroupId");
    for (const QueryDecoder& n : p.SubList("NetworkInterface")) {
      NetworkInterfaceRequest ni;
      ni.network_interface_id = n.GetOr("NetworkInterfaceId", "");
      SK_ASSIGN_OR_RETURN(auto idx, n.GetInt("DeviceIndex"));
      ni.device_index = static_cast<int>(idx.value_or(0));
      ni.subnet_id = n.GetOr("SubnetId", "");
      ni.private_ip = n.GetOr("PrivateIpAddress", "");
      ni.description = n.GetOr("Description", "");
      ni.groups = n.GetList("SecurityGroupId");
      SK_ASSIGN_OR_RETURN(ni.delete_on_termination, n.GetBool("DeleteOnTermination"));
      r.network_interfaces.push_back(std::move(ni));
    }
    SK_ASSIGN_OR_RETURN(r.block_devices, BlockDevices(p));
    if (auto ud = p.Get("UserData")) {
      auto decoded = aws::Base64Decode(*ud);
      if (!decoded.ok()) {
        return Ec2Error("InvalidParameterValue", "Invalid BASE64 encoding of user data.");
      }
      r.user_data = *decoded;
    }
    r.tag_specs = TagSpecs(p);
    r.market_type = p.GetOr("InstanceMarketOptions.MarketType", "");
    r.spot.max_price = p.GetOr("InstanceMarketOptions.SpotOptions.MaxPrice", "");
    r.spot.request_type = p.GetOr("InstanceMarketOptions.SpotOptions.SpotInstanceType", "");
    r.spot.interruption_behavior =
        p.GetOr("InstanceMarketOptions.SpotOptions.InstanceInterruptionBehavior", "");
    r.shutdown_behavior = p.GetOr("InstanceInitiatedShutdownBehavior", "");
    r.key_name = p.GetOr("KeyName", "");
    r.client_token = p.GetOr("ClientToken", "");
    r.digest = ParamDigest(p);
    SK_ASSIGN_OR_RETURN(Reservation res, e->RunInstances(r));
    Ec2XmlWriter::AddText(root, "reservationId", res.reservation_id);
    Ec2XmlWriter::AddText(root, "ownerId", ctx.account_id);
    Set(root, "groupSet");
    pugi::xml_node set = Set(root, "instancesSet");
    for (const InstanceView& v : res.instances) RenderInstance(Item(set), v, ctx);
    return OkStatus();
  };

  auto state_change = [](std::function<Result<std::vector<StateChange>>(
                             const QueryDecoder&, const std::vector<std::string>&)>
                             fn) {
    return [fn](const QueryDecoder& p, pugi::xml_node root) -> Status {
      SK_ASSIGN_OR_RETURN(std::vector<StateChange> changes, fn(p, p.GetList("InstanceId")));
      RenderStateChanges(root, changes);
      return OkStatus();
    };
  };
  actions_["TerminateInstances"] =
      state_change([e](const QueryDecoder&, const std::vector<std::string>& ids) {
        return e->TerminateInstances(ids);
      });
  actions_["StopInstances"] =
      state_change([e](const QueryDecoder& p, const std::vector<std::string>& ids) {
        return e->StopInstances(ids, p.GetOr("Force", "false") == "true");
      });
  actions_["StartInstances"] =
      state_change([e](const QueryDecoder&, const std::vector<std::string>& ids) {
        return e->StartInstances(ids);
      });

  actions_["DescribeInstances"] = [e, ctx](const QueryDecoder& p, pugi::xml_node root) -> Status {
    SK_ASSIGN_OR_RETURN(DescribeRequest req, Describe(p, "InstanceId"));
    SK_ASSIGN_OR_RETURN(Page<InstanceView> page, e->DescribeInstances(req));
    RenderReservations(root, page.items, ctx);
    NextToken(root, page.next_token);
    return OkStatus();
  };
  actions_["DescribeInstanceStatus"] = [e](const QueryDecoder& p, pugi::xml_node root) -> Status {
    SK_ASSIGN_OR_RETURN(DescribeRequest req, Describe(p, "InstanceId"));
    SK_ASSIGN_OR_RETURN(auto all, p.GetBool("IncludeAllInstances"));
    SK_ASSIGN_OR_RETURN(Page<InstanceView> page,
                        e->DescribeInstanceStatus(req, all.value_or(false)));
    pugi::xml_node set = Set(root, "instanceStatusSet");
    for (const InstanceView& v : page.items) RenderInstanceStatus(Item(set), v);
    NextToken(root, page.next_token);
    return OkStatus();
  };
  actions_["GetConsoleOutput"] = [e](const QueryDecoder& p, pugi::xml_node root) -> Status {
    SK_ASSIGN_OR_RETURN(std::string id, p.Require("InstanceId"));
    SK_ASSIGN_OR_RETURN(ConsoleOutput out, e->GetConsoleOutput(id));
    Ec2XmlWriter::AddText(root, "instanceId", out.instance_id);
    Ec2XmlWriter::AddTime(root, "timestamp", out.timestamp);
    Ec2XmlWriter::AddText(root, "output", aws::Base64Encode(out.output));
    return OkStatus();
  };

  actions_["CreateVolume"] = [e](const QueryDecoder& p, pugi::xml_node root) -> Status {
    CreateVolumeRequest r;
    r.availability_zone = p.GetOr("AvailabilityZone", "");
    SK_ASSIGN_OR_RETURN(r.size, OptInt(p, "Size"));
    r.snapshot_id = p.GetOr("SnapshotId", "");
    r.volume_type = p.GetOr("VolumeType", "");
    SK_ASSIGN_OR_RETURN(auto iops, OptInt(p, "Iops"));
    SK_ASSIGN_OR_RETURN(auto tp, OptInt(p, "Throughput"));
    SK_ASSIGN_OR_RETURN(auto enc, p.GetBool("Encrypted"));
    r.iops = iops.value_or(0);
    r.throughput = tp.value_or(0);
    r.encrypted = enc.value_or(false);
    r.tag_specs = TagSpecs(p);
    r.client_token = p.GetOr("ClientToken", "");
    r.digest = ParamDigest(p);
    SK_ASSIGN_OR_RETURN(VolumeRecord v, e->CreateVolume(r));
    RenderVolume(root, v);
    return OkStatus();
  };
  actions_["AttachVolume"] = [e](const QueryDecoder& p, pugi::xml_node root) -> Status {
    SK_ASSIGN_OR_RETURN(
        VolumeAttachmentResult a,
        e->AttachVolume(p.GetOr("VolumeId", ""), p.GetOr("InstanceId", ""), p.GetOr("Device", "")));
    RenderAttachment(root, a);
    return OkStatus();
  };
  actions_["DetachVolume"] = [e](const QueryDecoder& p, pugi::xml_node root) -> Status {
    SK_ASSIGN_OR_RETURN(auto force, p.GetBool("Force"));
    SK_ASSIGN_OR_RETURN(VolumeAttachmentResult a,
                        e->DetachVolume(p.GetOr("VolumeId", ""), p.GetOr("InstanceId", ""),
                                        p.GetOr("Device", ""), force.value_or(false)));
    RenderAttachment(root, a);
    return OkStatus();
  };
  actions_["DeleteVolume"] = [e](const QueryDecoder& p, pugi::xml_node root) -> Status {
    SK_RETURN_IF_ERROR(e->DeleteVolume(p.GetOr("VolumeId", "")));
    Ec2XmlWriter::AddBool(root, "return", true);
    return OkStatus();
  };
  actions_["DescribeVolumes"] = [e](const QueryDecoder& p, pugi::xml_node root) -> Status {
    SK_ASSIGN_OR_RETURN(DescribeRequest req, Describe(p, "VolumeId"));
    SK_ASSIGN_OR_RETURN(Page<VolumeRecord> page, e->DescribeVolumes(req));
    pugi::xml_node set = Set(root, "volumeSet");
    for (const VolumeRecord& v : page.items) RenderVolume(Item(set), v);
    NextToken(root, page.next_token);
    return OkStatus();
  };

  actions_["CreateNetworkInterface"] = [e, ctx](const QueryDecoder& p,
                                                pugi::xml_node root) -> Status {
    CreateNetworkInterfaceRequest r;
    r.subnet_id = p.GetOr("SubnetId", "");
    r.private_ip = p.GetOr("PrivateIpAddress", "");
    r.description = p.GetOr("Description", "");
    r.groups = p.GetList("SecurityGroupId");
    r.tag_specs = TagSpecs(p);
    r.client_token = p.GetOr("ClientToken", "");
    r.digest = ParamDigest(p);
    SK_ASSIGN_OR_RETURN(EniRecord eni, e->CreateNetworkInterface(r));
    RenderNetworkInterface(Set(root, "networkInterface"), eni, ctx);
    if (!r.client_token.empty()) Ec2XmlWriter::AddText(root, "clientToken", r.client_token);
    return OkStatus();
  };
  actions_["DeleteNetworkInterface"] = [e](const QueryDecoder& p, pugi::xml_node root) -> Status {
    SK_RETURN_IF_ERROR(e->DeleteNetworkInterface(p.GetOr("NetworkInterfaceId", "")));
    Ec2XmlWriter::AddBool(root, "return", true);
    return OkStatus();
  };
  actions_["DescribeNetworkInterfaces"] = [e, ctx](const QueryDecoder& p,
                                                   pugi::xml_node root) -> Status {
    SK_ASSIGN_OR_RETURN(DescribeRequest req, Describe(p, "NetworkInterfaceId"));
    SK_ASSIGN_OR_RETURN(Page<EniRecord> page, e->DescribeNetworkInterfaces(req));
    pugi::xml_node set = Set(root, "networkInterfaceSet");
    for (const EniRecord& eni : page.items) RenderNetworkInterface(Item(set), eni, ctx);
    NextToken(root, page.next_token);
    return OkStatus();
  };
  actions_["ModifyNetworkInterfaceAttribute"] = [e](const QueryDecoder& p,
                                                    pugi::xml_node root) -> Status {
    ModifyNetworkInterfaceRequest r;
    r.network_interface_id = p.GetOr("NetworkInterfaceId", "");
    r.attachment_id = p.GetOr("Attachment.AttachmentId", "");
    SK_ASSIGN_OR_RETURN(r.delete_on_termination, p.GetBool("Attachment.DeleteOnTermination"));
    if (auto d = p.Get("Description.Value")) r.description = *d;
    r.groups = p.GetList("SecurityGroupId");
    SK_ASSIGN_OR_RETURN(r.source_dest_check, p.GetBool("SourceDestCheck.Value"));
    SK_RETURN_IF_ERROR(e->ModifyNetworkInterfaceAttribute(r));
    Ec2XmlWriter::AddBool(root, "return", true);
    return OkStatus();
  };

  actions_["DescribeImages"] = [e, ctx](const QueryDecoder& p, pugi::xml_node root) -> Status {
    SK_ASSIGN_OR_RETURN(DescribeRequest req, Describe(p, "ImageId"));
    SK_ASSIGN_OR_RETURN(Page<ImageRecord> page, e->DescribeImages(req, p.GetList("Owner")));
    pugi::xml_node set = Set(root, "imagesSet");
    for (const ImageRecord& img : page.items) RenderImage(Item(set), img, ctx);
    NextToken(root, page.next_token);
    return OkStatus();
  };
  actions_["CreateSnapshot"] = [e, ctx](const QueryDecoder& p, pugi::xml_node root) -> Status {
    CreateSnapshotRequest r;
    r.volume_id = p.GetOr("VolumeId", "");
    r.description = p.GetOr("Description", "");
    r.tag_specs = TagSpecs(p);
    SK_ASSIGN_OR_RETURN(SnapshotRecord snap, e->CreateSnapshot(r));
    RenderSnapshot(root, snap);
    return OkStatus();
  };
  actions_["CopySnapshot"] = [e](const QueryDecoder& p, pugi::xml_node root) -> Status {
    CopySnapshotRequest r;
    r.source_region = p.GetOr("SourceRegion", "");
    r.source_snapshot_id = p.GetOr("SourceSnapshotId", "");
    r.description = p.GetOr("Description", "");
    r.tag_specs = TagSpecs(p);
    SK_ASSIGN_OR_RETURN(SnapshotRecord snap, e->CopySnapshot(r));
    Ec2XmlWriter::AddText(root, "snapshotId", snap.id);
    Ec2XmlWriter::AddTagSet(root, snap.tags);
    return OkStatus();
  };
  actions_["DeleteSnapshot"] = [e](const QueryDecoder& p, pugi::xml_node root) -> Status {
    SK_RETURN_IF_ERROR(e->DeleteSnapshot(p.GetOr("SnapshotId", "")));
    Ec2XmlWriter::AddBool(root, "return", true);
    return OkStatus();
  };
  actions_["DescribeSnapshots"] = [e](const QueryDecoder& p, pugi::xml_node root) -> Status {
    SK_ASSIGN_OR_RETURN(DescribeRequest req, Describe(p, "SnapshotId"));
    SK_ASSIGN_OR_RETURN(Page<SnapshotRecord> page, e->DescribeSnapshots(req, p.GetList("Owner")));
    pugi::xml_node set = Set(root, "snapshotSet");
    for (const SnapshotRecord& s : page.items) RenderSnapshot(Item(set), s);
    NextToken(root, page.next_token);
    return OkStatus();
  };
  actions_["CreateImage"] = [e](const QueryDecoder& p, pugi::xml_node root) -> Status {
    CreateImageRequest r;
    r.instance_id = p.GetOr("InstanceId", "");
    r.name = p.GetOr("Name", "");
    r.description = p.GetOr("Description", "");
    SK_ASSIGN_OR_RETURN(auto no_reboot, p.GetBool("NoReboot"));
    r.no_reboot = no_reboot.value_or(false);
    SK_ASSIGN_OR_RETURN(r.block_devices, BlockDevices(p));
    r.tag_specs = TagSpecs(p);
    SK_ASSIGN_OR_RETURN(ImageRecord img, e->CreateImage(r));
    Ec2XmlWriter::AddText(root, "imageId", img.id);
    return OkStatus();
  };
  actions_["RegisterImage"] = [e](const QueryDecoder& p, pugi::xml_node root) -> Status {
    RegisterImageRequest r;
    r.name = p.GetOr("Name", "");
    r.description = p.GetOr("Description", "");
    r.root_device_name = p.GetOr("RootDeviceName", "");
    r.architecture = p.GetOr("Architecture", "");
    r.virtualization_type = p.GetOr("VirtualizationType", "");
    if (p.Has("ImageLocation")) {
      return Ec2Error("InvalidParameterCombination",
                      "The spotkeeper local cloud registers EBS-backed images only (no "
                      "ImageLocation)");
    }
    SK_ASSIGN_OR_RETURN(auto ena, p.GetBool("EnaSupport"));
    (void)ena;  // always true here
    SK_ASSIGN_OR_RETURN(r.block_devices, BlockDevices(p));
    r.tag_specs = TagSpecs(p);
    SK_ASSIGN_OR_RETURN(ImageRecord img, e->RegisterImage(r));
    Ec2XmlWriter::AddText(root, "imageId", img.id);
    return OkStatus();
  };
  actions_["DeregisterImage"] = [e](const QueryDecoder& p, pugi::xml_node root) -> Status {
    SK_ASSIGN_OR_RETURN(auto del, p.GetBool("DeleteAssociatedSnapshots"));
    SK_RETURN_IF_ERROR(e->DeregisterImage(p.GetOr("ImageId", ""), del.value_or(false)));
    Ec2XmlWriter::AddBool(root, "return", true);
    return OkStatus();
  };
  actions_["CreateTags"] = [e](const QueryDecoder& p, pugi::xml_node root) -> Status {
    TagMap tags;
    for (const QueryDecoder& t : p.SubList("Tag")) tags[t.GetOr("Key", "")] = t.GetOr("Value", "");
    SK_RETURN_IF_ERROR(e->CreateTags(p.GetList("ResourceId"), tags));
    Ec2XmlWriter::AddBool(root, "return", true);
    return OkStatus();
  };
  actions_["DeleteTags"] = [e](const QueryDecoder& p, pugi::xml_node root) -> Status {
    std::vector<std::pair<std::string, std::optional<std::string>>> keys;
    for (const QueryDecoder& t : p.SubList("Tag"))
      keys.emplace_back(t.GetOr("Key", ""), t.Get("Value"));
    SK_RETURN_IF_ERROR(e->DeleteTags(p.GetList("ResourceId"), keys));
    Ec2XmlWriter::AddBool(root, "return", true);
    return OkStatus();
  };
  actions_["DescribeTags"] = [e](const QueryDecoder& p, pugi::xml_node root) -> Status {
    SK_ASSIGN_OR_RETURN(DescribeRequest req, Describe(p, ""));
    SK_ASSIGN_OR_RETURN(Page<TagDescription> page, e->DescribeTags(req));
    pugi::xml_node set = Set(root, "tagSet");
    for (const TagDescription& t : page.items) {
      pugi::xml_node item = Item(set);
      Ec2XmlWriter::AddText(item, "resourceId", t.resource_id);
      Ec2XmlWriter::AddText(item, "resourceType", t.resource_type);
      Ec2XmlWriter::AddText(item, "key", t.key);
      Ec2XmlWriter::AddText(item, "value", t.value);
    }
    NextToken(root, page.next_token);
    return OkStatus();
  };

  actions_["DescribeAvailabilityZones"] = [e](const QueryDecoder& p,
                                              pugi::xml_node root) -> Status {
    SK_ASSIGN_OR_RETURN(DescribeRequest req, Describe(p, "ZoneName"));
    SK_ASSIGN_OR_RETURN(std::vector<AzInfo> zones, e->DescribeAvailabilityZones(req));
    pugi::xml_node set = Set(root, "availabilityZoneInfo");
    for (const AzInfo& az : zones) RenderAvailabilityZone(Item(set), az);
    return OkStatus();
  };
  actions_["DescribeRegions"] = [e](const QueryDecoder&, pugi::xml_node root) -> Status {
    pugi::xml_node item = Item(Set(root, "regionInfo"));
    Ec2XmlWriter::AddText(item, "regionName", e->options().region);
    Ec2XmlWriter::AddText(item, "regionEndpoint", "ec2." + e->options().region + ".local");
    Ec2XmlWriter::AddText(item, "optInStatus", "opt-in-not-required");
    return OkStatus();
  };
  actions_["DescribeVpcs"] = [e, ctx](const QueryDecoder& p, pugi::xml_node root) -> Status {
    SK_ASSIGN_OR_RETURN(DescribeRequest req, Describe(p, "VpcId"));
    SK_ASSIGN_OR_RETURN(std::vector<VpcRecord> vpcs, e->DescribeVpcs(req));
    pugi::xml_node set = Set(root, "vpcSet");
    for (const VpcRecord& v : vpcs) RenderVpc(Item(set), v, ctx);
    return OkStatus();
  };
  actions_["DescribeSubnets"] = [e, ctx](const QueryDecoder& p, pugi::xml_node root) -> Status {
    SK_ASSIGN_OR_RETURN(DescribeRequest req, Describe(p, "SubnetId"));
    SK_ASSIGN_OR_RETURN(std::vector<SubnetView> subnets, e->DescribeSubnets(req));
    pugi::xml_node set = Set(root, "subnetSet");
    for (const SubnetView& s : subnets) RenderSubnet(Item(set), s, ctx);
    return OkStatus();
  };
  actions_["CreateVpc"] = [e, ctx](const QueryDecoder& p, pugi::xml_node root) -> Status {
    SK_ASSIGN_OR_RETURN(VpcRecord v, e->CreateVpc(p.GetOr("CidrBlock", ""), TagSpecs(p)));
    RenderVpc(Set(root, "vpc"), v, ctx);
    return OkStatus();
  };
  actions_["CreateSubnet"] = [e, ctx](const QueryDecoder& p, pugi::xml_node root) -> Status {
    SK_ASSIGN_OR_RETURN(SubnetRecord s,
                        e->CreateSubnet(p.GetOr("VpcId", ""), p.GetOr("CidrBlock", ""),
                                        p.GetOr("AvailabilityZone", ""), TagSpecs(p)));
    SubnetView v{s, 0};
    auto views = e->DescribeSubnets(DescribeRequest{{s.id}, {}, std::nullopt, ""});
    if (views.ok() && !views->empty()) v = views->front();
    RenderSubnet(Set(root, "subnet"), v, ctx);
    return OkStatus();
  };
  RegisterSpot();

  actions_["DescribeInstanceTypes"] = [e](const QueryDecoder& p, pugi::xml_node root) -> Status {
    SK_ASSIGN_OR_RETURN(DescribeRequest req, Describe(p, "InstanceType"));
    SK_ASSIGN_OR_RETURN(Page<InstanceTypeInfo> page, e->DescribeInstanceTypes(req));
    pugi::xml_node set = Set(root, "instanceTypeSet");
    for (const InstanceTypeInfo& t : page.items) RenderInstanceType(Item(set), t);
    NextToken(root, page.next_token);
    return OkStatus();
  };
}

}  // namespace spotkeeper::cloud
