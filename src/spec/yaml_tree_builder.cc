#include "spec/yaml_tree_builder.h"

#include <algorithm>
#include <charconv>
#include <set>
#include <string_view>
#include <utility>

namespace spotkeeper {
namespace {

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// YAML 1.2 core schema floats: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? and .inf/.nan.
bool IsYamlFloat(std::string_view s) {
  static const std::set<std::string_view> kSpecial = {".inf",  ".Inf",  ".INF",  "+.inf",
                                                      "+.Inf", "+.INF", "-.inf", "-.Inf",
                                                      "-.INF", ".nan",  ".NaN",  ".NAN"};
  if (kSpecial.count(s)) return true;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  size_t e = s.find_first_of("eE");
  std::string_view mantissa = s.substr(0, e);
  if (e != std::string_view::npos) {
    std::string_view exponent = s.substr(e + 1);
    if (!exponent.empty() && (exponent[0] == '+' || exponent[0] == '-')) exponent.remove_prefix(1);
    if (!IsDigits(exponent)) return false;
  }
  size_t dot = mantissa.find('.');
  if (dot == std::string_view::npos) return IsDigits(mantissa);
  std::string_view whole = mantissa.substr(0, dot), frac = mantissa.substr(dot + 1);
  if (whole.empty()) return IsDigits(frac);
  return IsDigits(whole) && (frac.empty() || IsDigits(frac));
}

std::string ChildPath(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

}  // namespace

YamlTreeBuilder::YamlTreeBuilder(std::vector<ValidationError>* errors, int max_depth, int max_nodes)
    : errors_(errors), max_depth_(max_depth), max_nodes_(max_nodes) {}

std::optional<SpecNode> YamlTreeBuilder::TakeRoot() {
  if (aborted_) return std::nullopt;
  return std::move(root_);
}

SpecNode YamlTreeBuilder::ResolvePlainScalar(const std::string& s) {
  if (s == "true" || s == "True" || s == "TRUE") return SpecNode::Bool(true);
  if (s == "false" || s == "False" || s == "FALSE") return SpecNode::Bool(false);
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return SpecNode::Null();
  std::string_view digits = s;
  bool negative = false;
  if (digits[0] == '+' || digits[0] == '-') {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  if (IsDigits(digits)) {
    // Parse the magnitude as unsigned so that INT64_MIN is representable.
    uint64_t magnitude = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude);
    const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
    if (ec == std::errc() && ptr == digits.data() + digits.size() && magnitude <= limit) {
      int64_t v = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
      return SpecNode::Int(v, s);
    }
    return SpecNode::Float(s);  // a number, but not one that fits any field
  }
  if (IsYamlFloat(s)) return SpecNode::Float(s);
  return SpecNode::String(s);
}

void YamlTreeBuilder::Abort(std::string path, std::string message) {
  if (aborted_) return;
  aborted_ = true;
  stack_.clear();
  anchors_.clear();
  errors_->push_back({std::move(path), std::move(message)});
}

bool YamlTreeBuilder::CountNodes(int n) {
  if (aborted_) return false;
  nodes_ += n;
  if (nodes_ > max_nodes_) {
    Abort(NextPath(), "the document has more than " + std::to_string(max_nodes_) +
                          " values once YAML aliases are expanded; write the spec out plainly");
    return false;
  }
  return true;
}

std::string YamlTreeBuilder::NextPath() const {
  if (stack_.empty()) return "";
  const Frame& top = stack_.back();
  if (top.node.kind() == SpecNode::Kind::kList) {
    return top.path + "[" + std::to_string(top.node.items().size()) + "]";
  }
  return top.pending_key ? ChildPath(top.path, *top.pending_key) : top.path;
}

void YamlTreeBuilder::Emit(SpecNode node, int size, int height, YAML::anchor_t anchor) {
  if (aborted_) return;
  if (anchor != YAML::NullAnchor) anchors_.insert_or_assign(anchor, Anchored{node, size, height});
  if (stack_.empty()) {
    saw_content_ = !node.is_null();
    root_ = std::move(node);
    return;
  }
  Frame& top = stack_.back();
  top.size += size;
  top.height = std::max(top.height, height + 1);
  if (top.node.kind() == SpecNode::Kind::kList) {
    top.node.items().push_back(std::move(node));
    return;
  }
  if (top.skip_value) {
    top.skip_value = false;
    return;
  }
  if (!top.pending_key) {  // this node is a key
    if (!node.is_scalar() || node.text().empty()) {
      errors_->push_back({top.path, "a field name" +
                                        (node.line() ? " (line " + std::to_string(node.line()) + ")"
                                                     : std::string()) +
                                        " is empty or not plain text; write `name: value`"});
      top.skip_value = true;
      return;
    }
    top.pending_key = node.text();
    top.pending_key_line = node.line();
    return;
  }
  std::string key = std::move(*top.pending_key);
  top.pending_key.reset();
  if (top.node.Find(key) != nullptr) {
    errors_->push_back(
        {ChildPath(top.path, key),
         "is written twice (line " + std::to_string(top.pending_key_line) + "); keep one of them"});
    return;
  }
  top.node.fields().emplace_back(std::move(key), std::move(node));
}

void YamlTreeBuilder::Open(SpecNode node, const YAML::Mark& mark, YAML::anchor_t anchor) {
  if (aborted_) return;
  if (static_cast<int>(stack_.size()) >= max_depth_) {
    Abort(NextPath(), "nested more than " + std::to_string(max_depth_) +
                          " levels deep; a group spec is much flatter");
    return;
  }
  if (!CountNodes(1)) return;
  node.set_line(Line(mark));
  Frame frame{.node = std::move(node), .path = NextPath(), .anchor = anchor};
  stack_.push_back(std::move(frame));
}

void YamlTreeBuilder::Close() {
  if (aborted_ || stack_.empty()) return;
  Frame frame = std::move(stack_.back());
  stack_.pop_back();
  Emit(std::move(frame.node), frame.size, frame.height, frame.anchor);
}

void YamlTreeBuilder::OnDocumentStart(const YAML::Mark&) {}

void YamlTreeBuilder::OnDocumentEnd() {}

void YamlTreeBuilder::OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) {
  if (!CountNodes(1)) return;
  SpecNode n = SpecNode::Null();
  n.set_line(Line(mark));
  Emit(std::move(n), 1, 1, anchor);
}

void YamlTreeBuilder::OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) {
  if (aborted_) return;
  auto it = anchors_.find(anchor);
  if (it == anchors_.end()) {
    // yaml-cpp registers an anchor when its node starts: an alias inside that node refers to
    // its own ancestor.
    Abort(NextPath(), "a YAML alias (line " + std::to_string(Line(mark)) +
                          ") refers to a value that contains it; write the value out");
    return;
  }
  const Anchored& a = it->second;
  if (static_cast<int>(stack_.size()) + a.height > max_depth_) {
    Abort(NextPath(), "nested more than " + std::to_string(max_depth_) +
                          " levels deep once YAML aliases are expanded; a group spec is much "
                          "flatter");
    return;
  }
  if (!CountNodes(a.size)) return;
  Emit(a.node, a.size, a.height, YAML::NullAnchor);
}

void YamlTreeBuilder::OnScalar(const YAML::Mark& mark, const std::string& tag,
                               YAML::anchor_t anchor, const std::string& value) {
  if (!CountNodes(1)) return;
  // yaml-cpp tags plain scalars "?" and quoted or block scalars "!".
  SpecNode n = (tag == "!" || tag == "tag:yaml.org,2002:str") ? SpecNode::String(value)
                                                              : ResolvePlainScalar(value);
  n.set_line(Line(mark));
  Emit(std::move(n), 1, 1, anchor);
}

void YamlTreeBuilder::OnSequenceStart(const YAML::Mark& mark, const std::string&,
                                      YAML::anchor_t anchor, YAML::EmitterStyle::value) {
  Open(SpecNode::List(), mark, anchor);
}

void YamlTreeBuilder::OnSequenceEnd() { Close(); }

void YamlTreeBuilder::OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                                 YAML::EmitterStyle::value) {
  Open(SpecNode::Map(), mark, anchor);
}

void YamlTreeBuilder::OnMapEnd() { Close(); }

}  // namespace spotkeeper
