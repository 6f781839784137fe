#include "spec/field_reader.h"

#include <algorithm>
#include <cctype>
#include <limits>

#include "spec/closest_match.h"

namespace spotkeeper {
namespace {

using Kind = SpecNode::Kind;

std::string Quoted(const std::string& s) {
  constexpr size_t kMax = 40;
  if (s.size() <= kMax) return "'" + s + "'";
  return "'" + s.substr(0, kMax) + "...'";
}

std::string Describe(const SpecNode& n) {
  std::string kind = SpecNode::KindName(n.kind());
  if (n.is_scalar()) return kind + " (" + Quoted(n.text()) + ")";
  return kind;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string LastComponent(const std::string& pattern) {
  size_t dot = pattern.rfind('.');
  return dot == std::string::npos ? pattern : pattern.substr(dot + 1);
}

std::string Parent(const std::string& pattern) {
  size_t dot = pattern.rfind('.');
  return dot == std::string::npos ? "" : pattern.substr(0, dot);
}

bool LooksLikeInteger(const std::string& s) {
  if (s.empty()) return false;
  size_t start = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  return start < s.size() && std::all_of(s.begin() + static_cast<std::ptrdiff_t>(start), s.end(),
                                         [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

FieldReader::FieldReader(const SpecNode* node, std::string path, ReadContext* ctx)
    : node_(node), path_(std::move(path)), ctx_(ctx) {
  if (node_ != nullptr && node_->is_null()) node_ = nullptr;
  if (node_ != nullptr && node_->kind() != Kind::kMap) {
    TypeError(path_, *node_, "a mapping of fields (`field: value` lines)");
    node_ = nullptr;
  }
}

std::string FieldReader::PathOf(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

void FieldReader::AddError(std::string path, std::string message) {
  ctx_->errors->push_back({std::move(path), std::move(message)});
}

const SpecNode* FieldReader::Get(std::string_view key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.emplace_back(key);
  if (node_ == nullptr) return nullptr;
  const SpecNode* v = node_->Find(key);
  if (v == nullptr || v->is_null()) return nullptr;
  return v;
}

bool FieldReader::Has(std::string_view key) { return Get(key) != nullptr; }

void FieldReader::TypeError(const std::string& path, const SpecNode& got,
                            const std::string& expected) {
  std::string hint;
  if (got.kind() == Kind::kString && expected.rfind("an integer", 0) == 0 &&
      LooksLikeInteger(got.text())) {
    hint = "; write the number without quotes";
  } else if (got.kind() == Kind::kString && expected.rfind("a boolean", 0) == 0) {
    hint = "; write true or false without quotes";
  } else if (got.kind() == Kind::kBool && expected.rfind("a string", 0) == 0) {
    hint = "; put it in quotes if you mean the text \"" + got.text() + "\"";
  } else if (got.is_scalar() && expected.rfind("a list", 0) == 0) {
    hint = "; write a list even for one item: [" + got.text() + "]";
  }
  AddError(path, "expected " + expected + ", got " + Describe(got) + hint);
}

bool FieldReader::ReadString(const SpecNode& n, const std::string& path, std::string* out) {
  switch (n.kind()) {
    case Kind::kString:
    case Kind::kInt:
    case Kind::kFloat:
      *out = n.text();
      return true;
    default:
      TypeError(path, n, "a string");
      return false;
  }
}

void FieldReader::Read(std::string_view key, std::string* out) {
  if (const SpecNode* v = Get(key)) ReadString(*v, PathOf(key), out);
}

void FieldReader::Read(std::string_view key, std::optional<std::string>* out) {
  const SpecNode* v = Get(key);
  std::string s;
  if (v != nullptr && ReadString(*v, PathOf(key), &s)) *out = std::move(s);
}

void FieldReader::Read(std::string_view key, int* out) {
  std::optional<int> v;
  Read(key, &v);
  if (v) *out = *v;
}

void FieldReader::Read(std::string_view key, std::optional<int>* out) {
  const SpecNode* v = Get(key);
  if (v == nullptr) return;
  if (v->kind() != Kind::kInt) {
    TypeError(PathOf(key), *v, "an integer");
    return;
  }
  if (v->int_value() < std::numeric_limits<int>::min() ||
      v->int_value() > std::numeric_limits<int>::max()) {
    AddError(PathOf(key), "the number " + v->text() + " is far out of range; see the field's " +
                              "documented range");
    return;
  }
  *out = static_cast<int>(v->int_value());
}

void FieldReader::Read(std::string_view key, bool* out) {
  const SpecNode* v = Get(key);
  if (v == nullptr) return;
  if (v->kind() != Kind::kBool) {
    TypeError(PathOf(key), *v, "a boolean (true or false)");
    return;
  }
  *out = v->bool_value();
}

void FieldReader::Read(std::string_view key, std::vector<std::string>* out) {
  const SpecNode* v = Get(key);
  if (v == nullptr) return;
  if (v->kind() != Kind::kList) {
    TypeError(PathOf(key), *v, "a list of strings");
    return;
  }
  std::vector<std::string> values;
  bool ok = true;
  for (size_t i = 0; i < v->items().size(); ++i) {
    std::string s;
    ok = ReadString(v->items()[i], PathOf(key) + "[" + std::to_string(i) + "]", &s) && ok;
    values.push_back(std::move(s));
  }
  if (ok) *out = std::move(values);
}

FieldReader FieldReader::Map(std::string_view key) {
  return FieldReader(Get(key), PathOf(key), ctx_);
}

void FieldReader::ForEachMap(std::string_view key, const std::function<void(FieldReader&)>& fn) {
  const SpecNode* v = Get(key);
  if (v == nullptr) return;
  if (v->kind() != Kind::kList) {
    TypeError(PathOf(key), *v, "a list");
    return;
  }
  for (size_t i = 0; i < v->items().size(); ++i) {
    std::string item_path = PathOf(key) + "[" + std::to_string(i) + "]";
    const SpecNode& item = v->items()[i];
    if (item.kind() != Kind::kMap) {
      TypeError(item_path, item, "a mapping of fields");
      continue;
    }
    FieldReader reader(&item, item_path, ctx_);
    fn(reader);
  }
}

std::string FieldReader::SchemaPattern() const {
  std::string out;
  bool in_index = false;
  for (char c : path_) {
    if (c == '[') {
      in_index = true;
      out += "[]";
    } else if (c == ']') {
      in_index = false;
    } else if (!in_index) {
      out += c;
    }
  }
  return out;
}

void FieldReader::Finish() {
  if (node_ == nullptr) return;
  for (const auto& [key, value] : node_->fields()) {
    if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
    std::string message = "unknown field '" + key + "'";
    if (std::optional<std::string> close = ClosestMatch(key, known_)) {
      AddError(PathOf(key), message + "; did you mean '" + *close + "'?");
      continue;
    }
    std::string here = SchemaPattern();
    std::optional<std::string> elsewhere;
    if (ctx_->schema_paths != nullptr) {
      for (const std::string& pattern : *ctx_->schema_paths) {
        if (EqualsIgnoreCase(LastComponent(pattern), key) && Parent(pattern) != here) {
          elsewhere = pattern;
          break;
        }
      }
    }
    if (elsewhere) {
      std::string parent = Parent(*elsewhere);
      AddError(PathOf(key), message + " here; '" + LastComponent(*elsewhere) + "' belongs " +
                                (parent.empty() ? "at the top level" : "under " + parent) +
                                ": move it there");
      continue;
    }
    std::string list;
    for (const std::string& k : known_) list += (list.empty() ? "" : ", ") + k;
    AddError(PathOf(key), message + "; the fields " +
                              (path_.empty() ? "at the top level" : "of " + path_) +
                              " are: " + list);
  }
}

}  // namespace spotkeeper
