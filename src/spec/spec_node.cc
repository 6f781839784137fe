#include "spec/spec_node.h"

namespace spotkeeper {

SpecNode SpecNode::Bool(bool v) {
  SpecNode n(Kind::kBool);
  n.bool_value_ = v;
  n.text_ = v ? "true" : "false";
  return n;
}

SpecNode SpecNode::Int(int64_t v, std::string text) {
  SpecNode n(Kind::kInt);
  n.int_value_ = v;
  n.text_ = std::move(text);
  return n;
}

SpecNode SpecNode::Float(std::string text) {
  SpecNode n(Kind::kFloat);
  n.text_ = std::move(text);
  return n;
}

SpecNode SpecNode::String(std::string v) {
  SpecNode n(Kind::kString);
  n.text_ = std::move(v);
  return n;
}

const SpecNode* SpecNode::Find(std::string_view key) const {
  for (const auto& [k, v] : fields_) {
    if (k == key) return &v;
  }
  return nullptr;
}

const char* SpecNode::KindName(Kind kind) {
  switch (kind) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return "a boolean";
    case Kind::kInt:
      return "an integer";
    case Kind::kFloat:
      return "a decimal number";
    case Kind::kString:
      return "a string";
    case Kind::kList:
      return "a list";
    case Kind::kMap:
      return "a mapping";
  }
  return "?";
}

}  // namespace spotkeeper
