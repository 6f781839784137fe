#include "provider/fake/tag_index.h"

namespace spotkeeper {

namespace {
const TagIndex::IdSet& EmptySet() {
  static const TagIndex::IdSet kEmpty;
  return kEmpty;
}
}  // namespace

void TagIndex::Add(const std::string* id, const Tags& tags) {
  for (const auto& [k, v] : tags) index_[k][v].insert(id);
}

void TagIndex::Remove(const std::string* id, const Tags& tags) {
  for (const auto& [k, v] : tags) {
    auto key = index_.find(k);
    if (key == index_.end()) continue;
    auto value = key->second.find(v);
    if (value == key->second.end()) continue;
    value->second.erase(id);
    if (value->second.empty()) key->second.erase(value);
    if (key->second.empty()) index_.erase(key);
  }
}

void TagIndex::Update(const std::string* id, const Tags& old_tags, const Tags& new_tags) {
  Remove(id, old_tags);
  Add(id, new_tags);
}

const TagIndex::IdSet& TagIndex::Find(const std::string& key, const std::string& value) const {
  auto k = index_.find(key);
  if (k == index_.end()) return EmptySet();
  auto v = k->second.find(value);
  return v == k->second.end() ? EmptySet() : v->second;
}

const TagIndex::IdSet* TagIndex::Candidates(const Tags& filter) const {
  const IdSet* best = nullptr;
  for (const auto& [k, v] : filter) {
    if (v.empty()) continue;
    const IdSet& ids = Find(k, v);
    if (best == nullptr || ids.size() < best->size()) best = &ids;
  }
  return best;
}

size_t TagIndex::entries() const {
  size_t n = 0;
  for (const auto& [k, values] : index_) n += values.size();
  return n;
}

bool TagsMatch(const Tags& tags, const Tags& filter) {
  for (const auto& [k, v] : filter) {
    auto it = tags.find(k);
    if (it == tags.end()) return false;
    if (!v.empty() && it->second != v) return false;
  }
  return true;
}

}  // namespace spotkeeper
