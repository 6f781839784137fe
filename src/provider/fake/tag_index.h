// TagIndex: an inverted index from (tag key, tag value) to the resources that carry that tag,
// so a Describe filtered by a tag (spotkeeper:ssi, spotkeeper:token, ...) looks at a handful of
// resources instead of all of them. Resources are identified by a pointer to their id string,
// which must stay valid (and unchanged) while the resource is indexed. Not thread-safe; the
// owner locks.
#pragma once

#include <string>
#include <unordered_map>
#include <unordered_set>

#include "provider/cloud_provider.h"

namespace spotkeeper {

class TagIndex {
 public:
  using IdSet = std::unordered_set<const std::string*>;

  void Add(const std::string* id, const Tags& tags);
  void Remove(const std::string* id, const Tags& tags);
  // Re-indexes `id` whose tags changed from `old_tags` to `new_tags`.
  void Update(const std::string* id, const Tags& old_tags, const Tags& new_tags);

  // The resources that carry key=value (empty set when none), in no particular order.
  const IdSet& Find(const std::string& key, const std::string& value) const;

  // The smallest indexed set that contains every resource matching the tag filter `filter`
  // (see Filter::tags), or nullptr when `filter` names no value (then every resource must be
  // scanned). The set is a superset: callers still check the whole filter.
  const IdSet* Candidates(const Tags& filter) const;

  // Number of indexed (key, value) pairs.
  size_t entries() const;

 private:
  std::unordered_map<std::string, std::unordered_map<std::string, IdSet>> index_;
};

// True if `tags` carries every key of `filter` with that value ("" value: any value).
bool TagsMatch(const Tags& tags, const Tags& filter);

}  // namespace spotkeeper
