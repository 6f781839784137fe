// FieldReader: reads the fields of one mapping of a SpecNode tree into typed values. Every problem
// (wrong type, unknown field) is appended to a shared error list with the field's path, and
// reading goes on, so that the user sees all problems at once.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "spec/group_spec.h"
#include "spec/spec_node.h"

namespace spotkeeper {

// State shared by the readers of one document.
struct ReadContext {
  std::vector<ValidationError>* errors = nullptr;
  // Every field of the schema as a pattern path ("compute.availabilityZones[].name"); used to say
  // where a misplaced field belongs. May be null.
  const std::vector<std::string>* schema_paths = nullptr;
};

class FieldReader {
 public:
  // `node` may be null (the mapping is absent: every getter keeps its default). A node that is
  // neither a mapping nor null is reported as a type error.
  FieldReader(const SpecNode* node, std::string path, ReadContext* ctx);

  // Each getter declares `key` as a known field and, when the field is present and not null,
  // stores its value in *out; on a type error *out keeps its value. A number given for a string
  // field is taken as written (`tagValue: 42` is "42").
  void Read(std::string_view key, std::string* out);
  void Read(std::string_view key, std::optional<std::string>* out);
  void Read(std::string_view key, int* out);
  void Read(std::string_view key, std::optional<int>* out);
  void Read(std::string_view key, bool* out);
  void Read(std::string_view key, std::vector<std::string>* out);

  // Declares `key` known and returns whether it is present and not null.
  bool Has(std::string_view key);

  // A nested mapping (declares `key`).
  FieldReader Map(std::string_view key);
  // Calls `fn` with a reader for each mapping in the list `key` (declares `key`). Items that are
  // not mappings are reported.
  void ForEachMap(std::string_view key, const std::function<void(FieldReader&)>& fn);

  // Reports the fields no getter declared, suggesting the closest known field at this level or
  // where the field belongs when it is a field of another level. Call after all getters.
  void Finish();

  const std::string& path() const { return path_; }
  std::string PathOf(std::string_view key) const;
  void AddError(std::string path, std::string message);

 private:
  // The value of `key` if present and not null; declares the key.
  const SpecNode* Get(std::string_view key);
  void TypeError(const std::string& path, const SpecNode& got, const std::string& expected);
  bool ReadString(const SpecNode& n, const std::string& path, std::string* out);
  std::string SchemaPattern() const;  // path_ with list indexes replaced by []

  const SpecNode* node_;
  std::string path_;
  ReadContext* ctx_;
  std::vector<std::string> known_;
};

}  // namespace spotkeeper
