#include "spec/spec_loader.h"

#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <exception>
#include <set>
#include <sstream>
#include <string>

#include "spec/yaml_tree_builder.h"

namespace spotkeeper {
namespace {

std::string ChildPath(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string ItemPath(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

class JsonConverter {
 public:
  explicit JsonConverter(std::vector<ValidationError>* errors) : errors_(errors) {}

  std::optional<SpecNode> Convert(const nlohmann::json& j, const std::string& path, int depth) {
    if (depth > kMaxSpecDepth) {
      errors_->push_back({path, "nested more than " + std::to_string(kMaxSpecDepth) +
                                    " levels deep; a group spec is much flatter"});
      return std::nullopt;
    }
    if (++nodes_ > kMaxSpecNodes) {
      errors_->push_back({path, "the document has more than " + std::to_string(kMaxSpecNodes) +
                                    " values; a group spec is much smaller"});
      return std::nullopt;
    }
    using T = nlohmann::json::value_t;
    switch (j.type()) {
      case T::null:
      case T::discarded:
        return SpecNode::Null();
      case T::boolean:
        return SpecNode::Bool(j.get<bool>());
      case T::number_integer:
        return SpecNode::Int(j.get<int64_t>(), j.dump());
      case T::number_unsigned: {
        uint64_t v = j.get<uint64_t>();
        if (v > static_cast<uint64_t>(INT64_MAX)) return SpecNode::Float(j.dump());
        return SpecNode::Int(static_cast<int64_t>(v), j.dump());
      }
      case T::number_float:
        return SpecNode::Float(j.dump());
      case T::string:
        return SpecNode::String(j.get<std::string>());
      case T::binary:
        errors_->push_back({path, "binary values are not supported; write a string"});
        return SpecNode::Null();
      case T::array: {
        SpecNode out = SpecNode::List();
        size_t i = 0;
        for (const nlohmann::json& item : j) {
          std::optional<SpecNode> child = Convert(item, ItemPath(path, i++), depth + 1);
          if (!child) return std::nullopt;
          out.items().push_back(std::move(*child));
        }
        return out;
      }
      case T::object: {
        SpecNode out = SpecNode::Map();
        for (const auto& [key, value] : j.items()) {
          if (key.empty()) {
            errors_->push_back({path, "a field name is empty; write \"name\": value"});
            continue;
          }
          std::optional<SpecNode> child = Convert(value, ChildPath(path, key), depth + 1);
          if (!child) return std::nullopt;
          out.fields().emplace_back(key, std::move(*child));
        }
        return out;
      }
    }
    return SpecNode::Null();
  }

 private:
  std::vector<ValidationError>* errors_;
  int nodes_ = 0;
};

// nlohmann keeps the last of two equal keys without a word; this parser callback notices them
// and records their path, like the YAML loader does.
class JsonDuplicateKeyFinder {
 public:
  explicit JsonDuplicateKeyFinder(std::vector<ValidationError>* errors) : errors_(errors) {}

  bool operator()(int /*depth*/, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    switch (event) {
      case E::object_start:
        levels_.push_back({true, {}, {}, 0});
        break;
      case E::array_start:
        levels_.push_back({false, {}, {}, 0});
        break;
      case E::key:
        if (!levels_.empty() && parsed.is_string()) {
          Level& top = levels_.back();
          top.key = parsed.get<std::string>();
          if (!top.keys.insert(top.key).second) {
            errors_->push_back({Path(), "is written twice; keep one of them"});
          }
        }
        break;
      case E::object_end:
      case E::array_end:
        if (!levels_.empty()) levels_.pop_back();
        ValueDone();
        break;
      case E::value:
        ValueDone();
        break;
    }
    return true;
  }

 private:
  struct Level {
    bool object;
    std::set<std::string> keys;
    std::string key;  // objects: the current key
    size_t index;     // arrays: the current element
  };

  void ValueDone() {
    if (!levels_.empty() && !levels_.back().object) ++levels_.back().index;
  }

  std::string Path() const {
    std::string path;
    for (const Level& l : levels_) {
      path = l.object ? ChildPath(path, l.key) : ItemPath(path, l.index);
    }
    return path;
  }

  std::vector<ValidationError>* errors_;
  std::vector<Level> levels_;
};

bool CheckSize(std::string_view text, std::vector<ValidationError>* errors) {
  if (text.size() <= kMaxSpecBytes) return true;
  errors->push_back({"", "the spec is " + std::to_string(text.size()) + " bytes; the limit is " +
                             std::to_string(kMaxSpecBytes) + " (1 MiB)"});
  return false;
}

// nlohmann's what(): "[json.exception.parse_error.101] parse error at line 1, column 2: detail".
std::string JsonErrorDetail(const std::string& what) {
  std::string s = what;
  if (size_t p = s.find("] "); p != std::string::npos && s[0] == '[') s = s.substr(p + 2);
  if (s.rfind("parse error at line", 0) == 0) {
    if (size_t p = s.find(": "); p != std::string::npos) s = s.substr(p + 2);
  }
  return s;
}

}  // namespace

LoadedDocument LoadYamlDocument(std::string_view text) {
  LoadedDocument out;
  if (!CheckSize(text, &out.errors)) return out;
  try {
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    YamlTreeBuilder builder(&out.errors, kMaxSpecDepth, kMaxSpecNodes);
    if (!parser.HandleNextDocument(builder) || !builder.saw_content()) {
      if (out.errors.empty()) {
        out.errors.push_back({"", "the spec is empty; start with `name:` and `region:`"});
      }
      return out;
    }
    out.root = builder.TakeRoot();
    // One more document at most: YAML::LoadAll can loop forever on some malformed input
    // (yaml-cpp 0.7 keeps returning empty documents), so never ask for more than two.
    std::vector<ValidationError> ignored;
    YamlTreeBuilder second(&ignored, kMaxSpecDepth, kMaxSpecNodes);
    if (parser.HandleNextDocument(second) && second.saw_content()) {
      out.root.reset();
      out.errors.push_back({"",
                            "the text holds more than one YAML document (separated by ---); "
                            "write one group per file"});
    }
  } catch (const YAML::Exception& e) {
    std::string where;
    if (!e.mark.is_null()) {
      where = " at line " + std::to_string(e.mark.line + 1) + ", column " +
              std::to_string(e.mark.column + 1);
    }
    out.root.reset();
    out.errors.push_back({"", "YAML syntax error" + where + ": " + e.msg});
  } catch (const std::exception& e) {
    out.root.reset();
    out.errors.push_back({"", std::string("could not read the YAML: ") + e.what()});
  }
  return out;
}

LoadedDocument LoadJsonDocument(std::string_view text) {
  LoadedDocument out;
  if (!CheckSize(text, &out.errors)) return out;
  nlohmann::json j;
  std::vector<ValidationError> duplicates;
  try {
    j = nlohmann::json::parse(text.begin(), text.end(), JsonDuplicateKeyFinder(&duplicates));
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is the 1-based offset of the last character read.
    size_t offset = std::min<size_t>(e.byte > 0 ? e.byte - 1 : 0, text.size());
    std::string_view before = text.substr(0, offset);
    size_t line = 1 + static_cast<size_t>(std::count(before.begin(), before.end(), '\n'));
    size_t last_newline = before.rfind('\n');
    size_t column = last_newline == std::string_view::npos ? offset + 1 : offset - last_newline;
    out.errors.push_back({"", "JSON syntax error at line " + std::to_string(line) + ", column " +
                                  std::to_string(column) + ": " + JsonErrorDetail(e.what())});
    return out;
  } catch (const std::exception& e) {  // e.g. out_of_range: a number too large for a double
    out.errors.push_back({"", "could not read the JSON: " + JsonErrorDetail(e.what())});
    return out;
  }
  LoadedDocument doc = LoadJsonValue(j);
  doc.errors.insert(doc.errors.begin(), duplicates.begin(), duplicates.end());
  return doc;
}

LoadedDocument LoadJsonValue(const nlohmann::json& j) {
  LoadedDocument out;
  try {
    JsonConverter converter(&out.errors);
    out.root = converter.Convert(j, "", 0);
  } catch (const std::exception& e) {
    out.root.reset();
    out.errors.push_back({"", std::string("could not read the JSON value: ") + e.what()});
  }
  return out;
}

}  // namespace spotkeeper
