#include "controller/workflow.h"

#include <algorithm>

#include "controller/ssi_status.h"

namespace spotkeeper {

StepContext::StepContext(Time now, CloudProvider* cloud, CloudView* view, Random* random,
                         const GroupRecord* group, const GroupSpec* spec, WorkflowRecord* workflow,
                         SsiRecord ssi, std::vector<ResourceRecord> resources, nlohmann::json data)
    : now_(now),
      cloud_(cloud),
      view_(view),
      random_(random),
      group_(group),
      spec_(spec),
      workflow_(workflow),
      ssi_(std::move(ssi)),
      resources_(std::move(resources)),
      data_(std::move(data)) {}

std::string StepContext::Token(const std::string& purpose) const {
  // EC2 client tokens are at most 64 ASCII characters. The workflow id is unique; a nonce
  // (bumped when a token is known to be spent, e.g. its resource was deleted) keeps later
  // attempts distinct.
  std::string nonce = data_.contains("nonce") ? std::to_string(data_["nonce"].get<int>()) : "0";
  std::string raw = workflow_->id + "/" + purpose + "/" + nonce;
  // Keep it short and printable: FNV-1a of the long form, plus the readable workflow id.
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : raw) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return workflow_->id + "-" + buf;
}

std::vector<ResourceRecord> StepContext::Current(const std::string& kind,
                                                 const std::string& role) const {
  std::vector<ResourceRecord> out;
  for (const auto& r : resources_) {
    if (r.kind == kind && r.status == "current" && (role.empty() || r.role == role)) {
      out.push_back(r);
    }
  }
  return out;
}

const ResourceRecord* StepContext::FindResource(const std::string& id) const {
  for (const auto& r : resources_) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

void StepContext::PutResource(ResourceRecord r) {
  r.ssi_id = ssi_.id;
  r.group_id = ssi_.group_id;
  if (r.created_at == kEpoch) r.created_at = now_;
  r.updated_at = now_;
  auto same = [&](const ResourceRecord& x) { return x.id == r.id; };
  auto it = std::find_if(resources_.begin(), resources_.end(), same);
  if (it != resources_.end()) {
    *it = r;
  } else {
    resources_.push_back(r);
  }
  auto ct = std::find_if(changed_.begin(), changed_.end(), same);
  if (ct != changed_.end()) {
    *ct = r;
  } else {
    changed_.push_back(r);
  }
}

void StepContext::SetResourceStatus(const std::string& id, const std::string& status) {
  const ResourceRecord* r = FindResource(id);
  if (r == nullptr || r->status == status) return;
  ResourceRecord copy = *r;
  copy.status = status;
  PutResource(copy);
}

void StepContext::AddEvent(const std::string& kind, const std::string& message) {
  events_.push_back(MakeEvent(now_, ssi_, "controller", kind, message));
}

void StepContext::SetCondition(const std::string& type, const std::string& status,
                               const std::string& reason, const std::string& message) {
  SetSsiCondition(ssi_, type, status, reason, message, group_->generation, now_);
}

Tags StepContext::ResourceTags(const std::string& role, const std::string& device) const {
  Tags t = spec_->compute.launch_specification.tags;
  t[kTagGroup] = ssi_.group_id;
  t[kTagSsi] = ssi_.id;
  t[kTagRole] = role;
  if (!device.empty()) t[kTagDevice] = device;
  return t;
}

}  // namespace spotkeeper
