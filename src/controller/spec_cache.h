// SpecCache: parsed GroupSpecs by (group id, generation), so a pass over many SSIs parses each
// group's spec once. Not thread-safe (the controller loop owns it).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "spec/group_spec.h"
#include "store/store.h"

namespace spotkeeper {

class SpecCache {
 public:
  // The spec of `group`; an error if the stored spec no longer parses (it was valid when
  // stored, so that means a newer binary wrote it or the database was edited by hand).
  Result<const GroupSpec*> Get(const GroupRecord& group);

 private:
  struct Entry {
    int64_t generation = -1;
    std::unique_ptr<GroupSpec> spec;
  };
  std::map<std::string, Entry> entries_;
};

}  // namespace spotkeeper
