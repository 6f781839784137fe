#include "controller/spec_cache.h"

namespace spotkeeper {

Result<const GroupSpec*> SpecCache::Get(const GroupRecord& group) {
  Entry& e = entries_[group.id];
  if (e.spec && e.generation == group.generation)
    return static_cast<const GroupSpec*>(e.spec.get());
  nlohmann::json j = nlohmann::json::parse(group.spec_json, nullptr, false);
  if (j.is_discarded()) return Internal("stored spec of group " + group.id + " is not JSON");
  ParseOutcome out = ParseGroupSpecJson(j);
  if (!out.ok()) {
    return Internal("stored spec of group " + group.id +
                    " no longer validates: " + out.ErrorText());
  }
  e.spec = std::make_unique<GroupSpec>(std::move(*out.spec));
  e.generation = group.generation;
  return static_cast<const GroupSpec*>(e.spec.get());
}

}  // namespace spotkeeper
