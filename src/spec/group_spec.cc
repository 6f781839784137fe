// ParseGroupSpec / ParseGroupSpecJson: load (spec_loader) → read (group_spec_reader) → validate
// (spec_validator); and the enum names of group_spec.h.
#include "spec/group_spec.h"

#include "spec/group_spec_reader.h"
#include "spec/spec_loader.h"
#include "spec/spec_validator.h"

namespace spotkeeper {
namespace {

// True when `path` is `prefix` or lies inside it ("a.b[2].c" is inside "a.b").
bool IsWithin(const std::string& path, const std::string& prefix) {
  if (path.compare(0, prefix.size(), prefix) != 0) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '.' || path[prefix.size()] == '[';
}

ParseOutcome Finish(LoadedDocument doc) {
  ParseOutcome out;
  out.errors = std::move(doc.errors);
  if (!doc.root) {
    if (out.errors.empty()) out.errors.push_back({"", "the spec could not be read"});
    return out;
  }
  if (doc.root->is_null()) {
    out.errors.push_back({"", "the spec is empty; start with `name:` and `region:`"});
    return out;
  }
  ReadGroupSpecResult read = ReadGroupSpec(*doc.root);
  const size_t read_errors_end = out.errors.size() + read.errors.size();
  out.errors.insert(out.errors.end(), read.errors.begin(), read.errors.end());
  if (doc.root->kind() != SpecNode::Kind::kMap) return out;  // nothing was read
  // A field that could not be read keeps its default; rules about it would only add noise.
  for (ValidationError& e : ValidateGroupSpec(read.spec, read.written)) {
    bool noise = false;
    for (size_t i = 0; i < read_errors_end && !noise; ++i) {
      const std::string& bad = out.errors[i].path;
      // Messages cite other fields by their full path ("above capacity.maximum (1)").
      const bool cited =
          bad.find('.') != std::string::npos && e.message.find(bad) != std::string::npos;
      noise = !bad.empty() && (IsWithin(e.path, bad) || cited);
    }
    if (!noise) out.errors.push_back(std::move(e));
  }
  if (out.errors.empty()) out.spec = std::move(read.spec);
  return out;
}

}  // namespace

const char* PerformAtName(PerformAt p) {
  switch (p) {
    case PerformAt::kNever:
      return "never";
    case PerformAt::kAlways:
      return "always";
    case PerformAt::kTimeWindow:
      return "timeWindow";
  }
  return "?";
}

const char* BlockDevicesModeName(BlockDevicesMode m) {
  switch (m) {
    case BlockDevicesMode::kReattach:
      return "reattach";
    case BlockDevicesMode::kOnLaunch:
      return "onLaunch";
  }
  return "?";
}

const char* TaskTypeName(TaskType t) {
  switch (t) {
    case TaskType::kStatefulUpdateCapacity:
      return "statefulUpdateCapacity";
    case TaskType::kStatefulRecycle:
      return "statefulRecycle";
  }
  return "?";
}

std::string ParseOutcome::ErrorText() const {
  std::string out;
  for (const ValidationError& e : errors) {
    if (!out.empty()) out += '\n';
    out += e.ToString();
  }
  return out;
}

ParseOutcome ParseGroupSpec(std::string_view text) {
  size_t i = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") i = 3;  // UTF-8 byte order mark
  while (i < text.size() &&
         (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) {
    ++i;
  }
  if (i < text.size() && text[i] == '{') return Finish(LoadJsonDocument(text.substr(i)));
  return Finish(LoadYamlDocument(text));
}

ParseOutcome ParseGroupSpecJson(const nlohmann::json& j) { return Finish(LoadJsonValue(j)); }

}  // namespace spotkeeper
