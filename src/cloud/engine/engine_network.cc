// Engine: network interfaces, VPCs, subnets, zones and the instance type catalogue.
#include "cloud/engine/cidr.h"
#include "cloud/engine/describe_filter.h"
#include "cloud/engine/ec2_error.h"
#include "cloud/engine/engine.h"

namespace spotkeeper::cloud {
namespace {

const std::set<std::string> kEniFilters = {"network-interface-id",
                                           "subnet-id",
                                           "vpc-id",
                                           "availability-zone",
                                           "status",
                                           "private-ip-address",
                                           "addresses.private-ip-address",
                                           "mac-address",
                                           "description",
                                           "attachment.instance-id",
                                           "attachment.attachment-id",
                                           "attachment.status",
                                           "attachment.device-index",
                                           "attachment.delete-on-termination",
                                           "group-id",
                                           "interface-type",
                                           "requester-managed"};

std::vector<std::string> EniField(const EniRecord& e, const std::string& name) {
  if (name == "network-interface-id") return {e.id};
  if (name == "subnet-id") return {e.subnet_id};
  if (name == "vpc-id") return {e.vpc_id};
  if (name == "availability-zone") return {e.az};
  if (name == "status") return {e.status};
  if (name == "private-ip-address" || name == "addresses.private-ip-address") {
    return {e.private_ip};
  }
  if (name == "mac-address") return {e.mac};
  if (name == "description") return {e.description};
  if (name == "group-id") return e.groups;
  if (name == "interface-type") return {e.interface_type};
  if (name == "requester-managed") return {"false"};
  if (!e.attachment) return {};
  if (name == "attachment.instance-id") return {e.attachment->instance_id};
  if (name == "attachment.attachment-id") return {e.attachment->attachment_id};
  if (name == "attachment.status") return {e.attachment->status};
  if (name == "attachment.device-index") return {std::to_string(e.attachment->device_index)};
  if (name == "attachment.delete-on-termination") {
    return {e.attachment->delete_on_termination ? "true" : "false"};
  }
  return {};
}

}  // namespace

Result<EniRecord*> Engine::FindEniLocked(const std::string& id) {
  SK_RETURN_IF_ERROR(CheckIdShape(id, "eni-", "InvalidNetworkInterfaceID.Malformed"));
  auto it = enis_.find(id);
  if (it == enis_.end() || it->second.status == "deleting") {
    return Ec2Error("InvalidNetworkInterfaceID.NotFound",
                    "The networkInterface ID '" + id + "' does not exist");
  }
  return &it->second;
}

Result<EniRecord> Engine::CreateNetworkInterface(const CreateNetworkInterfaceRequest& req) {
  if (req.subnet_id.empty()) {
    return Ec2Error("MissingParameter", "The request must contain the parameter SubnetId");
  }
  SK_RETURN_IF_ERROR(CheckTagSpecTypes(req.tag_specs, {"network-interface"}));
  std::string digest = req.digest;
  if (digest.empty()) {
    nlohmann::json j = {{"subnet", req.subnet_id},
                        {"ip", req.private_ip},
                        {"description", req.description},
                        {"groups", req.groups}};
    for (const TagSpec& t : req.tag_specs) j["tags"].push_back({t.resource_type, t.tags});
    digest = j.dump();
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> existing;
  SK_RETURN_IF_ERROR(CheckToken("CreateNetworkInterface", req.client_token, digest, &existing));
  if (!existing.empty()) {
    auto it = enis_.find(existing.front());
    if (it != enis_.end() && it->second.status != "deleting") return it->second;
    return Ec2Error("IdempotentParameterMismatch",
                    "The client token you have provided is associated with a resource that is "
                    "already deleted. Please use a different client token.");
  }
  auto subnet = subnets_.find(req.subnet_id);
  if (subnet == subnets_.end()) {
    return Ec2Error("InvalidSubnetID.NotFound",
                    "The subnet ID '" + req.subnet_id + "' does not exist");
  }
  SK_ASSIGN_OR_RETURN(std::string ip, AllocateIp(subnet->second, req.private_ip));
  EniRecord e;
  e.id = NewId("eni");
  e.subnet_id = subnet->second.id;
  e.vpc_id = subnet->second.vpc_id;
  e.az = subnet->second.az;
  e.private_ip = ip;
  e.mac = NewMac();
  e.description = req.description;
  e.groups = req.groups;
  if (e.groups.empty()) e.groups.push_back(vpcs_.at(e.vpc_id).default_security_group);
  e.status = "pending";
  e.client_token = req.client_token;
  SK_RETURN_IF_ERROR(ApplyTagSpecs(req.tag_specs, "network-interface", &e.tags));
  CloudDb::Transaction tx(db_);
  SK_RETURN_IF_ERROR(Save(e));
  if (!req.client_token.empty()) {
    SK_RETURN_IF_ERROR(
        Save(TokenRecord{"CreateNetworkInterface:" + req.client_token, digest, {e.id}}));
  }
  SK_RETURN_IF_ERROR(tx.Commit());
  Enqueue(e.id);
  return e;
}

Status Engine::DeleteNetworkInterface(const std::string& eni_id) {
  if (eni_id.empty()) {
    return Ec2Error("MissingParameter",
                    "The request must contain the parameter NetworkInterfaceId");
  }
  std::lock_guard<std::mutex> lock(mu_);
  SK_ASSIGN_OR_RETURN(EniRecord * eni, FindEniLocked(eni_id));
  if (eni->attachment) {
    return Ec2Error("InvalidNetworkInterface.InUse",
                    "The network interface '" + eni_id + "' is currently in use.");
  }
  EniRecord e = *eni;
  e.status = "deleting";
  CloudDb::Transaction tx(db_);
  SK_RETURN_IF_ERROR(Save(e));
  SK_RETURN_IF_ERROR(tx.Commit());
  Enqueue(eni_id);
  return OkStatus();
}

Result<Page<EniRecord>> Engine::DescribeNetworkInterfaces(const DescribeRequest& req) {
  if (!req.ids.empty() && req.max_results) {
    return Ec2Error("InvalidParameterCombination",
                    "The parameter networkInterfaceIdSet cannot be used with the parameter "
                    "maxResults");
  }
  SK_RETURN_IF_ERROR(ValidateFilters(req.filters, kEniFilters));
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& id : req.ids) SK_RETURN_IF_ERROR(FindEniLocked(id).status());
  std::set<std::string> wanted(req.ids.begin(), req.ids.end());
  std::vector<EniRecord> matched;
  std::vector<std::string> ids;
  for (const auto& [id, e] : enis_) {
    if (e.status == "deleting" || (!wanted.empty() && wanted.count(id) == 0)) continue;
    if (!MatchesFilters(req.filters, e.tags,
                        [&e = e](const std::string& n) { return EniField(e, n); })) {
      continue;
    }
    ids.push_back(id);
    matched.push_back(e);
  }
  return PageOf(std::move(matched), ids, req, 5, 1000);
}

Status Engine::ModifyNetworkInterfaceAttribute(const ModifyNetworkInterfaceRequest& req) {
  if (req.network_interface_id.empty()) {
    return Ec2Error("MissingParameter",
                    "The request must contain the parameter NetworkInterfaceId");
  }
  std::lock_guard<std::mutex> lock(mu_);
  SK_ASSIGN_OR_RETURN(EniRecord * eni, FindEniLocked(req.network_interface_id));
  EniRecord e = *eni;
  bool any = false;
  if (!req.attachment_id.empty() || req.delete_on_termination) {
    if (req.attachment_id.empty() || !req.delete_on_termination) {
      return Ec2Error("MissingParameter",
                      "Attachment.AttachmentId and "
                      "Attachment.DeleteOnTermination must be given together");
    }
    if (!e.attachment || e.attachment->attachment_id != req.attachment_id) {
      return Ec2Error("InvalidAttachmentID.NotFound",
                      "The attachment ID '" + req.attachment_id + "' does not exist");
    }
    e.attachment->delete_on_termination = *req.delete_on_termination;
    any = true;
  }
  if (req.description) {
    e.description = *req.description;
    any = true;
  }
  if (!req.groups.empty()) {
    e.groups = req.groups;
    any = true;
  }
  if (req.source_dest_check) {
    e.source_dest_check = *req.source_dest_check;
    any = true;
  }
  if (!any) {
    return Ec2Error("MissingParameter", "No attributes specified.");
  }
  CloudDb::Transaction tx(db_);
  SK_RETURN_IF_ERROR(Save(e));
  return tx.Commit();
}

Result<VpcRecord> Engine::CreateVpc(const std::string& cidr_text,
                                    const std::vector<TagSpec>& tag_specs) {
  if (cidr_text.empty()) {
    return Ec2Error("MissingParameter", "The request must contain the parameter CidrBlock");
  }
  auto cidr = Cidr::Parse(cidr_text);
  if (!cidr.ok() || cidr->prefix_len < 16 || cidr->prefix_len > 28) {
    return Ec2Error("InvalidVpc.Range", "The CIDR '" + cidr_text + "' is invalid.");
  }
  SK_RETURN_IF_ERROR(CheckTagSpecTypes(tag_specs, {"vpc"}));
  std::lock_guard<std::mutex> lock(mu_);
  VpcRecord v;
  v.id = NewId("vpc");
  v.cidr = cidr->ToString();
  v.default_security_group = NewId("sg");
  SK_RETURN_IF_ERROR(ApplyTagSpecs(tag_specs, "vpc", &v.tags));
  CloudDb::Transaction tx(db_);
  SK_RETURN_IF_ERROR(Save(v));
  SK_RETURN_IF_ERROR(tx.Commit());
  Enqueue(v.id);
  return v;
}

Result<SubnetRecord> Engine::CreateSubnet(const std::string& vpc_id, const std::string& cidr_text,
                                          const std::string& az,
                                          const std::vector<TagSpec>& tag_specs) {
  if (vpc_id.empty()) {
    return Ec2Error("MissingParameter", "The request must contain the parameter VpcId");
  }
  if (cidr_text.empty()) {
    return Ec2Error("MissingParameter", "The request must contain the parameter CidrBlock");
  }
  SK_RETURN_IF_ERROR(CheckTagSpecTypes(tag_specs, {"subnet"}));
  std::lock_guard<std::mutex> lock(mu_);
  auto vpc = vpcs_.find(vpc_id);
  if (vpc == vpcs_.end()) {
    return Ec2Error("InvalidVpcID.NotFound", "The vpc ID '" + vpc_id + "' does not exist");
  }
  auto cidr = Cidr::Parse(cidr_text);
  Cidr vpc_cidr = Cidr::Parse(vpc->second.cidr).value();
  if (!cidr.ok() || cidr->prefix_len < 16 || cidr->prefix_len > 28 || !vpc_cidr.Contains(*cidr)) {
    return Ec2Error("InvalidSubnet.Range", "The CIDR '" + cidr_text + "' is invalid.");
  }
  for (const auto& [id, s] : subnets_) {
    if (s.vpc_id == vpc_id && Cidr::Parse(s.cidr).value().Overlaps(*cidr)) {
      return Ec2Error("InvalidSubnet.Conflict",
                      "The CIDR '" + cidr_text + "' conflicts with another subnet");
    }
  }
  std::string zone = az.empty() ? options_.availability_zones.front() : az;
  if (std::find(options_.availability_zones.begin(), options_.availability_zones.end(), zone) ==
      options_.availability_zones.end()) {
    std::string zones;
    for (const std::string& z : options_.availability_zones)
      zones += (zones.empty() ? "" : ", ") + z;
    return Ec2Error("InvalidParameterValue",
                    "Value (" + zone +
                        ") for parameter availabilityZone is invalid. Subnets can "
                        "currently only be created in the following availability zones: " +
                        zones + ".");
  }
  SubnetRecord s;
  s.id = NewId("subnet");
  s.vpc_id = vpc_id;
  s.az = zone;
  s.cidr = cidr->ToString();
  SK_RETURN_IF_ERROR(ApplyTagSpecs(tag_specs, "subnet", &s.tags));
  CloudDb::Transaction tx(db_);
  SK_RETURN_IF_ERROR(Save(s));
  SK_RETURN_IF_ERROR(tx.Commit());
  return s;
}

Result<std::vector<VpcRecord>> Engine::DescribeVpcs(const DescribeRequest& req) {
  SK_RETURN_IF_ERROR(ValidateFilters(
      req.filters, {"vpc-id", "cidr", "cidr-block", "is-default", "state", "owner-id"}));
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& id : req.ids) {
    if (vpcs_.count(id) == 0) {
      return Ec2Error("InvalidVpcID.NotFound", "The vpc ID '" + id + "' does not exist");
    }
  }
  std::set<std::string> wanted(req.ids.begin(), req.ids.end());
  std::vector<VpcRecord> out;
  for (const auto& [id, v] : vpcs_) {
    if (!wanted.empty() && wanted.count(id) == 0) continue;
    if (MatchesFilters(req.filters, v.tags,
                       [&, &v = v](const std::string& n) -> std::vector<std::string> {
                         if (n == "vpc-id") return {v.id};
                         if (n == "cidr" || n == "cidr-block") return {v.cidr};
                         if (n == "is-default") return {v.is_default ? "true" : "false"};
                         if (n == "state") return {v.state};
                         if (n == "owner-id") return {options_.account_id};
                         return {};
                       })) {
      out.push_back(v);
    }
  }
  return out;
}

Result<std::vector<SubnetView>> Engine::DescribeSubnets(const DescribeRequest& req) {
  SK_RETURN_IF_ERROR(ValidateFilters(
      req.filters, {"subnet-id", "vpc-id", "availability-zone", "cidr", "cidr-block", "cidrBlock",
                    "default-for-az", "defaultForAz", "state", "owner-id"}));
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& id : req.ids) {
    if (subnets_.count(id) == 0) {
      return Ec2Error("InvalidSubnetID.NotFound", "The subnet ID '" + id + "' does not exist");
    }
  }
  std::set<std::string> wanted(req.ids.begin(), req.ids.end());
  std::vector<SubnetView> out;
  for (const auto& [id, s] : subnets_) {
    if (!wanted.empty() && wanted.count(id) == 0) continue;
    if (!MatchesFilters(req.filters, s.tags,
                        [&, &s = s](const std::string& n) -> std::vector<std::string> {
                          if (n == "subnet-id") return {s.id};
                          if (n == "vpc-id") return {s.vpc_id};
                          if (n == "availability-zone") return {s.az};
                          if (n == "cidr" || n == "cidr-block" || n == "cidrBlock") return {s.cidr};
                          if (n == "default-for-az" || n == "defaultForAz") {
                            return {s.default_for_az ? "true" : "false"};
                          }
                          if (n == "state") return {"available"};
                          if (n == "owner-id") return {options_.account_id};
                          return {};
                        })) {
      continue;
    }
    int64_t used = std::count_if(enis_.begin(), enis_.end(),
                                 [&id = id](const auto& kv) { return kv.second.subnet_id == id; });
    SubnetView v{s, static_cast<int64_t>(Cidr::Parse(s.cidr).value().Size()) - 5 - used};
    out.push_back(std::move(v));
  }
  return out;
}

Result<std::vector<AzInfo>> Engine::DescribeAvailabilityZones(const DescribeRequest& req) {
  SK_RETURN_IF_ERROR(
      ValidateFilters(req.filters, {"zone-name", "state", "region-name", "zone-id", "zone-type"}));
  std::vector<AzInfo> all;
  for (size_t i = 0; i < options_.availability_zones.size(); ++i) {
    all.push_back(
        AzInfo{options_.availability_zones[i], "lcl1-az" + std::to_string(i + 1), options_.region});
  }
  for (const std::string& name : req.ids) {
    if (std::none_of(all.begin(), all.end(), [&](const AzInfo& a) { return a.name == name; })) {
      return Ec2Error("InvalidParameterValue", "The zone '" + name + "' does not exist.");
    }
  }
  std::vector<AzInfo> out;
  for (const AzInfo& a : all) {
    if (!req.ids.empty() && std::find(req.ids.begin(), req.ids.end(), a.name) == req.ids.end()) {
      continue;
    }
    if (MatchesFilters(req.filters, {}, [&](const std::string& n) -> std::vector<std::string> {
          if (n == "zone-name") return {a.name};
          if (n == "state") return {"available"};
          if (n == "region-name") return {a.region};
          if (n == "zone-id") return {a.zone_id};
          if (n == "zone-type") return {"availability-zone"};
          return {};
        })) {
      out.push_back(a);
    }
  }
  return out;
}

Result<Page<InstanceTypeInfo>> Engine::DescribeInstanceTypes(const DescribeRequest& req) {
  SK_RETURN_IF_ERROR(ValidateFilters(
      req.filters, {"instance-type", "vcpu-info.default-vcpus", "memory-info.size-in-mib",
                    "current-generation", "burstable-performance-supported"}));
  std::vector<std::string> unknown;
  for (const std::string& t : req.ids) {
    if (!catalog_.Find(t)) unknown.push_back(t);
  }
  if (!unknown.empty()) {
    std::string list;
    for (const std::string& t : unknown) list += (list.empty() ? "" : ", ") + t;
    return Ec2Error("InvalidInstanceType",
                    "The following supplied instance types do not exist: [" + list + "]");
  }
  std::vector<InstanceTypeInfo> matched;
  std::vector<std::string> names;
  for (const InstanceTypeInfo& t : catalog_.types()) {
    if (!req.ids.empty() && std::find(req.ids.begin(), req.ids.end(), t.name) == req.ids.end()) {
      continue;
    }
    if (!MatchesFilters(req.filters, {}, [&](const std::string& n) -> std::vector<std::string> {
          if (n == "instance-type") return {t.name};
          if (n == "vcpu-info.default-vcpus") return {std::to_string(t.vcpus)};
          if (n == "memory-info.size-in-mib") return {std::to_string(t.memory_mib)};
          if (n == "current-generation") return {"true"};
          if (n == "burstable-performance-supported") return {t.burstable ? "true" : "false"};
          return {};
        })) {
      continue;
    }
    matched.push_back(t);
  }
  std::sort(matched.begin(), matched.end(),
            [](const InstanceTypeInfo& a, const InstanceTypeInfo& b) { return a.name < b.name; });
  for (const InstanceTypeInfo& t : matched) names.push_back(t.name);
  SK_ASSIGN_OR_RETURN(PageBounds b, PaginateIds(names, req, 5, 100));
  Page<InstanceTypeInfo> page;
  page.items.assign(matched.begin() + static_cast<std::ptrdiff_t>(b.begin),
                    matched.begin() + static_cast<std::ptrdiff_t>(b.end));
  page.next_token = b.next_token;
  return page;
}

}  // namespace spotkeeper::cloud
