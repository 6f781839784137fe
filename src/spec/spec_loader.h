// Loading spec text (YAML or JSON) into a SpecNode tree. The loaders catch every exception of the
// third-party parsers and report problems as ValidationErrors; they never throw.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <vector>

#include "spec/group_spec.h"
#include "spec/spec_node.h"

namespace spotkeeper {

// The result of loading a document: the tree (unset when the text could not be read at all) and
// the problems found on the way (syntax errors with line and column, duplicate keys, limits).
struct LoadedDocument {
  std::optional<SpecNode> root;
  std::vector<ValidationError> errors;
};

// Limits that keep hostile input cheap: the text size, the nesting depth and the number of nodes
// after YAML aliases are expanded ("billion laughs").
inline constexpr size_t kMaxSpecBytes = 1 << 20;
inline constexpr int kMaxSpecDepth = 32;
inline constexpr int kMaxSpecNodes = 100'000;

// YAML, exactly one document. Plain scalars are resolved with YAML 1.2's core schema
// (true/false, decimal integers, floats, null/~/empty); quoted and block scalars are strings.
LoadedDocument LoadYamlDocument(std::string_view text);
// JSON text; syntax errors carry line and column.
LoadedDocument LoadJsonDocument(std::string_view text);
// An already parsed JSON value.
LoadedDocument LoadJsonValue(const nlohmann::json& j);

}  // namespace spotkeeper
