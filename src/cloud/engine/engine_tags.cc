// Engine: tags.
#include "cloud/engine/describe_filter.h"
#include "cloud/engine/ec2_error.h"
#include "cloud/engine/engine.h"

namespace spotkeeper::cloud {
namespace {

struct Kind {
  const char* prefix;
  const char* type;       // DescribeTags resource-type
  const char* not_found;  // EC2's NotFound code
  const char* noun;
};

constexpr Kind kKinds[] = {
    {"i-", "instance", "InvalidInstanceID.NotFound", "instance ID"},
    {"vol-", "volume", "InvalidVolume.NotFound", "volume"},
    {"eni-", "network-interface", "InvalidNetworkInterfaceID.NotFound", "networkInterface ID"},
    {"ami-", "image", "InvalidAMIID.NotFound", "image id"},
    {"snap-", "snapshot", "InvalidSnapshot.NotFound", "snapshot"},
    {"vpc-", "vpc", "InvalidVpcID.NotFound", "vpc ID"},
    {"subnet-", "subnet", "InvalidSubnetID.NotFound", "subnet ID"},
};

const Kind* KindOf(const std::string& id) {
  for (const Kind& k : kKinds) {
    if (id.rfind(k.prefix, 0) == 0) return &k;
  }
  return nullptr;
}

}  // namespace

std::string Engine::ResourceType(const std::string& id) const {
  const Kind* k = KindOf(id);
  return k == nullptr ? "" : k->type;
}

TagMap* Engine::TagsOf(const std::string& id) {
  if (auto it = instances_.find(id); it != instances_.end()) return &it->second.tags;
  if (auto it = volumes_.find(id); it != volumes_.end()) return &it->second.tags;
  if (auto it = enis_.find(id); it != enis_.end() && it->second.status != "deleting") {
    return &it->second.tags;
  }
  if (auto it = images_.find(id); it != images_.end() && it->second.state != "deregistered") {
    return &it->second.tags;
  }
  if (auto it = snapshots_.find(id); it != snapshots_.end() && it->second.state != "deleting") {
    return &it->second.tags;
  }
  if (auto it = vpcs_.find(id); it != vpcs_.end()) return &it->second.tags;
  if (auto it = subnets_.find(id); it != subnets_.end()) return &it->second.tags;
  return nullptr;
}

Status Engine::SaveById(const std::string& id) {
  if (auto it = instances_.find(id); it != instances_.end())
    return Save(InstanceRecord(it->second));
  if (auto it = volumes_.find(id); it != volumes_.end()) return Save(VolumeRecord(it->second));
  if (auto it = enis_.find(id); it != enis_.end()) return Save(EniRecord(it->second));
  if (auto it = images_.find(id); it != images_.end()) return Save(ImageRecord(it->second));
  if (auto it = snapshots_.find(id); it != snapshots_.end()) {
    return Save(SnapshotRecord(it->second));
  }
  if (auto it = vpcs_.find(id); it != vpcs_.end()) return Save(VpcRecord(it->second));
  if (auto it = subnets_.find(id); it != subnets_.end()) return Save(SubnetRecord(it->second));
  return NotFound("no resource " + id);
}

namespace {

Status CheckTaggable(const std::string& id, bool exists) {
  const Kind* k = KindOf(id);
  if (k == nullptr) return Ec2Error("InvalidID", "The ID '" + id + "' is not valid");
  if (!exists) {
    return Ec2Error(k->not_found, std::string("The ") + k->noun + " '" + id + "' does not exist");
  }
  return OkStatus();
}

}  // namespace

Status Engine::CreateTags(const std::vector<std::string>& resource_ids, const TagMap& tags) {
  if (resource_ids.empty()) {
    return Ec2Error("MissingParameter", "The request must contain the parameter resourceIdSet");
  }
  if (tags.empty()) {
    return Ec2Error("MissingParameter", "The request must contain the parameter tagSet");
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& id : resource_ids) {
    TagMap* current = TagsOf(id);
    SK_RETURN_IF_ERROR(CheckTaggable(id, current != nullptr));
    TagMap merged = *current;
    for (const auto& [k, v] : tags) merged[k] = v;
    SK_RETURN_IF_ERROR(ApplyTagSpecs({}, "", &merged));  // validates
  }
  CloudDb::Transaction tx(db_);
  for (const std::string& id : resource_ids) {
    TagMap* current = TagsOf(id);
    for (const auto& [k, v] : tags) (*current)[k] = v;
  }
  for (const std::string& id : resource_ids) {
    SK_RETURN_IF_ERROR(SaveById(id));
  }
  return tx.Commit();
}

Status Engine::DeleteTags(
    const std::vector<std::string>& resource_ids,
    const std::vector<std::pair<std::string, std::optional<std::string>>>& keys) {
  if (resource_ids.empty()) {
    return Ec2Error("MissingParameter", "The request must contain the parameter resourceIdSet");
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& id : resource_ids) {
    SK_RETURN_IF_ERROR(CheckTaggable(id, TagsOf(id) != nullptr));
  }
  CloudDb::Transaction tx(db_);
  for (const std::string& id : resource_ids) {
    TagMap* current = TagsOf(id);
    if (keys.empty()) {
      current->clear();
    }
    for (const auto& [k, v] : keys) {
      auto it = current->find(k);
      if (it != current->end() && (!v || *v == it->second)) current->erase(it);
    }
    SK_RETURN_IF_ERROR(SaveById(id));
  }
  return tx.Commit();
}

Result<Page<TagDescription>> Engine::DescribeTags(const DescribeRequest& req) {
  SK_RETURN_IF_ERROR(
      ValidateFilters(req.filters, {"key", "value", "resource-id", "resource-type"}));
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<TagDescription> all;
  auto add = [&](const std::string& id, const TagMap& tags) {
    for (const auto& [k, v] : tags) all.push_back(TagDescription{id, ResourceType(id), k, v});
  };
  for (const auto& [id, r] : instances_) add(id, r.tags);
  for (const auto& [id, r] : volumes_) add(id, r.tags);
  for (const auto& [id, r] : enis_) {
    if (r.status != "deleting") add(id, r.tags);
  }
  for (const auto& [id, r] : images_) {
    if (r.state != "deregistered") add(id, r.tags);
  }
  for (const auto& [id, r] : snapshots_) {
    if (r.state != "deleting") add(id, r.tags);
  }
  for (const auto& [id, r] : vpcs_) add(id, r.tags);
  for (const auto& [id, r] : subnets_) add(id, r.tags);
  std::vector<TagDescription> matched;
  std::vector<std::string> keys;
  std::sort(all.begin(), all.end(), [](const TagDescription& a, const TagDescription& b) {
    return a.resource_id + '\x01' + a.key < b.resource_id + '\x01' + b.key;
  });
  for (const TagDescription& t : all) {
    // "key"/"value" filter the tag itself; the tag filters do not apply to a tag listing.
    if (!MatchesFilters(req.filters, {}, [&](const std::string& n) -> std::vector<std::string> {
          if (n == "key") return {t.key};
          if (n == "value") return {t.value};
          if (n == "resource-id") return {t.resource_id};
          if (n == "resource-type") return {t.resource_type};
          return {};
        })) {
      continue;
    }
    keys.push_back(t.resource_id + '\x01' + t.key);
    matched.push_back(t);
  }
  SK_ASSIGN_OR_RETURN(PageBounds b, PaginateIds(keys, req, 5, 1000));
  Page<TagDescription> page;
  page.items.assign(matched.begin() + static_cast<std::ptrdiff_t>(b.begin),
                    matched.begin() + static_cast<std::ptrdiff_t>(b.end));
  page.next_token = b.next_token;
  return page;
}

}  // namespace spotkeeper::cloud
