// SpecNode: a document tree independent of its source format. YAML and JSON are both turned into
// SpecNodes first, so a group spec is read (and its errors are worded) the same way whichever
// format the user wrote.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spotkeeper {

class SpecNode {
 public:
  enum class Kind { kNull, kBool, kInt, kFloat, kString, kList, kMap };

  static SpecNode Null() { return SpecNode(Kind::kNull); }
  static SpecNode Bool(bool v);
  static SpecNode Int(int64_t v, std::string text);
  static SpecNode Float(std::string text);
  static SpecNode String(std::string v);
  static SpecNode List() { return SpecNode(Kind::kList); }
  static SpecNode Map() { return SpecNode(Kind::kMap); }

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_scalar() const { return kind_ != Kind::kList && kind_ != Kind::kMap && !is_null(); }
  // Scalars: the text as written ("42", "true", "m5.large").
  const std::string& text() const { return text_; }
  bool bool_value() const { return bool_value_; }
  int64_t int_value() const { return int_value_; }

  const std::vector<SpecNode>& items() const { return items_; }
  std::vector<SpecNode>& items() { return items_; }
  // Map entries in document order; keys are unique (the loaders reject duplicates).
  const std::vector<std::pair<std::string, SpecNode>>& fields() const { return fields_; }
  std::vector<std::pair<std::string, SpecNode>>& fields() { return fields_; }
  // The value of `key` in a map, or nullptr.
  const SpecNode* Find(std::string_view key) const;

  // 1-based source line, 0 when unknown (JSON values).
  int line() const { return line_; }
  void set_line(int line) { line_ = line; }

  // "a string", "an integer", "a list", ...: for "expected X, got Y" messages.
  static const char* KindName(Kind kind);

 private:
  explicit SpecNode(Kind kind) : kind_(kind) {}

  Kind kind_;
  std::string text_;
  bool bool_value_ = false;
  int64_t int_value_ = 0;
  std::vector<SpecNode> items_;
  std::vector<std::pair<std::string, SpecNode>> fields_;
  int line_ = 0;
};

}  // namespace spotkeeper
