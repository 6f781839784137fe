// FakeCloud: network interfaces, subnets and availability zones.
#include <algorithm>
#include <cstdio>
#include <set>

#include "provider/fake/describe_util.h"
#include "provider/fake/fake_cloud.h"
#include "provider/fake/param_digest.h"

namespace spotkeeper {

using fake::EniRecord;
using fake::TransitionKind;

namespace {

uint64_t Fingerprint(const CreateNetworkInterfaceRequest& r) {
  ParamDigest d;
  d.Add(r.subnet_id).Add(r.private_ip).Add(r.description);
  d.Add(static_cast<int64_t>(r.security_group_ids.size()));
  for (const auto& sg : r.security_group_ids) d.Add(sg);
  return d.Add(r.tags).value();
}

}  // namespace

Result<EniRecord*> FakeCloud::FindEni(const std::string& id) {
  auto it = enis_.find(id);
  if (it == enis_.end() || it->second.deleted) return fake::UnknownId(fake::kEniIds, id);
  return &it->second;
}

Result<fake::SubnetRecord*> FakeCloud::FindSubnet(const std::string& id) {
  auto it = subnets_.find(id);
  if (it == subnets_.end()) return fake::UnknownId(fake::kSubnetIds, id);
  return &it->second;
}

EniRecord& FakeCloud::CreateEniLocked(fake::SubnetRecord& subnet, const std::string& ip,
                                      const std::string& description, const Tags& tags) {
  std::string id = NewId("eni-");
  // A locally administered unicast MAC: 02 and five random bytes.
  uint64_t bits = id_rng_.Next();
  char mac[18];
  std::snprintf(mac, sizeof mac, "02:%02x:%02x:%02x:%02x:%02x", static_cast<unsigned>(bits & 255),
                static_cast<unsigned>((bits >> 8) & 255), static_cast<unsigned>((bits >> 16) & 255),
                static_cast<unsigned>((bits >> 24) & 255),
                static_cast<unsigned>((bits >> 32) & 255));
  EniRecord& rec = enis_[id];
  NetworkInterface& eni = rec.eni;
  eni.id = id;
  eni.subnet_id = subnet.subnet.id;
  eni.vpc_id = subnet.subnet.vpc_id;
  eni.availability_zone = subnet.subnet.availability_zone;
  eni.private_ip = ip;
  eni.mac = mac;
  eni.status = "available";
  eni.description = description;
  eni.tags = tags;
  eni_index_.Add(&eni.id, tags);
  return rec;
}

Result<NetworkInterface> FakeCloud::CreateNetworkInterface(
    const CreateNetworkInterfaceRequest& req) {
  std::lock_guard<std::mutex> l(mu_);
  SK_RETURN_IF_ERROR(Admit("CreateNetworkInterface"));
  auto run = [&]() -> Result<NetworkInterface> {
    const uint64_t fingerprint = Fingerprint(req);
    if (!req.client_token.empty()) {
      auto it = eni_tokens_.find(req.client_token);
      if (it != eni_tokens_.end()) {
        if (it->second.fingerprint != fingerprint) return fake::IdempotentParameterMismatch();
        return enis_.at(it->second.id).eni;
      }
    }
    const Tags tags = fake::WithToken(req.tags, req.client_token);
    SK_RETURN_IF_ERROR(fake::ValidateTags(tags));
    SK_ASSIGN_OR_RETURN(fake::SubnetRecord * subnet, FindSubnet(req.subnet_id));
    SK_ASSIGN_OR_RETURN(std::string ip, subnet->addresses.Allocate(req.private_ip));
    EniRecord& rec = CreateEniLocked(*subnet, ip, req.description, tags);
    if (!req.client_token.empty()) eni_tokens_[req.client_token] = {rec.eni.id, fingerprint};
    return rec.eni;
  };
  return Respond("CreateNetworkInterface", run());
}

void FakeCloud::AttachEniAtLaunch(EniRecord& rec, fake::InstanceRecord& inst, bool dot, Time at) {
  ++rec.generation;
  NetworkInterface& eni = rec.eni;
  eni.status = "in-use";
  NetworkInterfaceAttachment att;
  att.attachment_id = NewId("eni-attach-");
  att.instance_id = inst.instance.id;
  att.device_index = 0;
  att.delete_on_termination = dot;
  att.status = "attaching";
  eni.attachment = att;
  inst.instance.network_interfaces.push_back(
      {eni.id, 0, eni.private_ip, eni.mac, dot, att.attachment_id});
  inst.instance.private_ip = eni.private_ip;
  inst.instance.subnet_id = eni.subnet_id;
  inst.instance.vpc_id = eni.vpc_id;
  Schedule(at + Draw(options_.eni_attach), TransitionKind::kEniAttached, &eni.id, rec.generation);
}

void FakeCloud::OnEniAttached(const std::string& id, uint64_t generation, Time /*at*/) {
  EniRecord& rec = enis_.at(id);
  if (rec.generation != generation || !rec.eni.attachment) return;
  if (rec.eni.attachment->status == "attaching") rec.eni.attachment->status = "attached";
}

void FakeCloud::ReleaseEni(EniRecord& rec, Time at) {
  if (rec.deleted || !rec.eni.attachment) return;
  ++rec.generation;
  if (rec.eni.attachment->delete_on_termination) {
    rec.deleted = true;
    rec.eni.status = "deleted";
    rec.eni.attachment.reset();
    subnets_.at(rec.eni.subnet_id).addresses.Release(rec.eni.private_ip);
    eni_index_.Remove(&rec.eni.id, rec.eni.tags);
    deletions_.push_back({rec.eni.id, "network-interface", at, "delete-on-termination"});
    return;
  }
  // EC2 makes a separately created interface available again (moto leaves it in-use).
  rec.eni.status = "detaching";
  rec.eni.attachment->status = "detaching";
  Schedule(at + Draw(options_.eni_detach), TransitionKind::kEniDetached, &rec.eni.id,
           rec.generation);
}

void FakeCloud::OnEniDetached(const std::string& id, uint64_t generation, Time /*at*/) {
  EniRecord& rec = enis_.at(id);
  if (rec.generation != generation || rec.deleted) return;
  rec.eni.status = "available";
  rec.eni.attachment.reset();
}

Status FakeCloud::DeleteNetworkInterface(const std::string& eni_id) {
  std::lock_guard<std::mutex> l(mu_);
  SK_RETURN_IF_ERROR(Admit("DeleteNetworkInterface"));
  auto run = [&]() -> Status {
    SK_ASSIGN_OR_RETURN(EniRecord * rec, FindEni(eni_id));
    if (rec->eni.status != "available") {
      return Status(Code::kFailedPrecondition,
                    "The network interface '" + eni_id + "' is currently in use.",
                    "InvalidNetworkInterface.InUse");
    }
    ++rec->generation;
    rec->deleted = true;
    rec->eni.status = "deleted";
    subnets_.at(rec->eni.subnet_id).addresses.Release(rec->eni.private_ip);
    eni_index_.Remove(&rec->eni.id, rec->eni.tags);
    deletions_.push_back({eni_id, "network-interface", Now(), "api"});
    return OkStatus();
  };
  return Respond("DeleteNetworkInterface", run());
}

Status FakeCloud::SetNetworkInterfaceDeleteOnTermination(const std::string& eni_id,
                                                         bool delete_on_termination) {
  std::lock_guard<std::mutex> l(mu_);
  SK_RETURN_IF_ERROR(Admit("ModifyNetworkInterfaceAttribute"));
  auto run = [&]() -> Status {
    SK_ASSIGN_OR_RETURN(EniRecord * rec, FindEni(eni_id));
    if (!rec->eni.attachment || rec->eni.attachment->status == "detaching") {
      return fake::IncorrectState("The network interface '" + eni_id + "' is not attached");
    }
    rec->eni.attachment->delete_on_termination = delete_on_termination;
    auto it = instances_.find(rec->eni.attachment->instance_id);
    if (it != instances_.end()) {
      for (InstanceNetworkInterface& ni : it->second.instance.network_interfaces) {
        if (ni.network_interface_id == eni_id) ni.delete_on_termination = delete_on_termination;
      }
    }
    return OkStatus();
  };
  return Respond("ModifyNetworkInterfaceAttribute", run());
}

Result<std::vector<NetworkInterface>> FakeCloud::DescribeNetworkInterfaces(const Filter& filter) {
  std::lock_guard<std::mutex> l(mu_);
  SK_RETURN_IF_ERROR(Admit("DescribeNetworkInterfaces"));
  return Respond(
      "DescribeNetworkInterfaces",
      fake::DescribeRecords(
          enis_, eni_index_, filter, fake::kEniIds, [](const EniRecord& r) { return !r.deleted; },
          [&filter](const EniRecord& r) {
            return fake::MatchesFilter(filter, r.eni.status, r.eni.availability_zone, r.eni.tags);
          },
          [](const EniRecord& r) { return r.eni; }));
}

Result<std::vector<Subnet>> FakeCloud::DescribeSubnets(const std::vector<std::string>& ids) {
  std::lock_guard<std::mutex> l(mu_);
  SK_RETURN_IF_ERROR(Admit("DescribeSubnets"));
  auto run = [&]() -> Result<std::vector<Subnet>> {
    std::vector<Subnet> out;
    if (ids.empty()) {
      for (const auto& [id, s] : subnets_) out.push_back(s.subnet);
      return out;
    }
    std::set<std::string> wanted(ids.begin(), ids.end());
    std::vector<std::string> missing;
    for (const std::string& id : wanted) {
      if (!subnets_.count(id)) missing.push_back(id);
    }
    if (!missing.empty()) return fake::UnknownIds(fake::kSubnetIds, missing);
    for (const std::string& id : wanted) out.push_back(subnets_.at(id).subnet);
    return out;
  };
  return Respond("DescribeSubnets", run());
}

Result<std::vector<AvailabilityZone>> FakeCloud::DescribeAvailabilityZones() {
  std::lock_guard<std::mutex> l(mu_);
  SK_RETURN_IF_ERROR(Admit("DescribeAvailabilityZones"));
  std::vector<AvailabilityZone> out;
  for (const std::string& az : options_.availability_zones) out.push_back({az, "available"});
  std::sort(out.begin(), out.end(),
            [](const AvailabilityZone& a, const AvailabilityZone& b) { return a.name < b.name; });
  return Respond("DescribeAvailabilityZones", Result<std::vector<AvailabilityZone>>(out));
}

}  // namespace spotkeeper
