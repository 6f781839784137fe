#include "store/conditions_json.h"

#include <cstdint>
#include <nlohmann/json.hpp>

namespace spotkeeper {
namespace {

using Json = nlohmann::json;

// Reads a conditions array straight into Conditions, without building a JSON document. Keys a
// condition lacks keep their defaults; keys it doesn't know are skipped with their values; anything
// else that is not an array of condition objects is an error.
class ConditionsSax final : public nlohmann::json_sax<Json> {
 public:
  explicit ConditionsSax(std::vector<Condition>* out) : out_(out) {}
  const std::string& error() const { return error_; }

  bool null() override { return Scalar("null"); }
  bool boolean(bool) override { return Scalar("a boolean"); }
  bool number_integer(number_integer_t v) override { return Integer(v); }
  bool number_unsigned(number_unsigned_t v) override {
    if (v > static_cast<number_unsigned_t>(INT64_MAX)) return Scalar("a number out of range");
    return Integer(static_cast<int64_t>(v));
  }
  bool number_float(number_float_t, const string_t&) override { return Scalar("a fraction"); }
  bool binary(binary_t&) override { return Scalar("binary data"); }
  bool string(string_t& v) override {
    std::string* field = depth_ == kInCondition ? TextField() : nullptr;
    if (field == nullptr) return Scalar("a string");
    *field = std::move(v);
    return true;
  }
  bool start_object(std::size_t) override {
    if (depth_ == kInArray) out_->emplace_back();
    if (depth_ != kInArray && !Skipping()) return Fail("an object out of place");
    ++depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    if (depth_ != kTop && !Skipping()) return Fail("an array out of place");
    ++depth_;
    return true;
  }
  bool end_object() override { return End(); }
  bool end_array() override { return End(); }
  bool key(string_t& k) override {
    if (depth_ == kInCondition) key_ = std::move(k);
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    return Fail(e.what());
  }

 private:
  // Nesting depth: 0 outside everything, 1 in the array, 2 in a condition, deeper in the value
  // of an unknown key.
  static constexpr int kTop = 0;
  static constexpr int kInArray = 1;
  static constexpr int kInCondition = 2;

  std::string* TextField() {
    Condition& c = out_->back();
    if (key_ == "type") return &c.type;
    if (key_ == "status") return &c.status;
    if (key_ == "reason") return &c.reason;
    if (key_ == "message") return &c.message;
    return nullptr;
  }
  bool IsKnownKey() const {
    return key_ == "type" || key_ == "status" || key_ == "reason" || key_ == "message" ||
           key_ == "observed_generation" || key_ == "last_transition";
  }
  // True inside (or at) the value of a key a condition doesn't know.
  bool Skipping() const {
    return depth_ > kInCondition || (depth_ == kInCondition && !IsKnownKey());
  }
  bool Integer(int64_t v) {
    if (depth_ == kInCondition && key_ == "observed_generation") {
      out_->back().observed_generation = v;
      return true;
    }
    if (depth_ == kInCondition && key_ == "last_transition") {
      out_->back().last_transition = FromMillis(v);
      return true;
    }
    return Scalar("a number");
  }
  // A value the handler has no place for: fine inside an unknown key's value, else an error.
  bool Scalar(const char* what) {
    if (Skipping()) return true;
    return Fail(std::string(what) + (depth_ == kInCondition ? " for '" + key_ + "'" : "") +
                " out of place");
  }
  bool End() {
    --depth_;
    return true;
  }
  bool Fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
    return false;
  }

  std::vector<Condition>* out_;
  int depth_ = kTop;
  std::string key_;
  std::string error_;
};

// A cursor over the canonical form; every method consumes input only when it matches.
class CanonicalReader {
 public:
  explicit CanonicalReader(std::string_view in) : in_(in) {}

  bool AtEnd() const { return pos_ == in_.size(); }

  bool Literal(std::string_view text) {
    if (in_.substr(pos_, text.size()) != text) return false;
    pos_ += text.size();
    return true;
  }

  // An integer as nlohmann writes an int64: -?(0|[1-9][0-9]*), no "-0".
  bool Integer(int64_t* out) {
    size_t p = pos_;
    bool negative = p < in_.size() && in_[p] == '-';
    if (negative) ++p;
    size_t digits = p;
    uint64_t magnitude = 0;
    while (p < in_.size() && in_[p] >= '0' && in_[p] <= '9') {
      uint64_t digit = static_cast<uint64_t>(in_[p] - '0');
      if (magnitude > (UINT64_MAX - digit) / 10) return false;
      magnitude = magnitude * 10 + digit;
      ++p;
    }
    size_t count = p - digits;
    if (count == 0 || (count > 1 && in_[digits] == '0')) return false;
    if (negative && magnitude == 0) return false;
    uint64_t limit = negative ? static_cast<uint64_t>(INT64_MAX) + 1 : INT64_MAX;
    if (magnitude > limit) return false;
    *out = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
    pos_ = p;
    return true;
  }

  // A string of printable ASCII without escapes.
  bool String(std::string* out) {
    if (pos_ >= in_.size() || in_[pos_] != '"') return false;
    size_t start = pos_ + 1;
    for (size_t p = start; p < in_.size(); ++p) {
      char c = in_[p];
      if (c == '"') {
        out->assign(in_.data() + start, p - start);
        pos_ = p + 1;
        return true;
      }
      if (c < 0x20 || c > 0x7e || c == '\\') return false;
    }
    return false;
  }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace

std::string ConditionsToJson(const std::vector<Condition>& conditions) {
  if (conditions.empty()) return "[]";
  nlohmann::json array = nlohmann::json::array();
  for (const Condition& c : conditions) {
    array.push_back({{"type", c.type},
                     {"status", c.status},
                     {"reason", c.reason},
                     {"message", c.message},
                     {"observed_generation", c.observed_generation},
                     {"last_transition", ToMillis(c.last_transition)}});
  }
  // Replacing invalid UTF-8 keeps a bad message from failing the whole write.
  return array.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::vector<Condition>> ConditionsFromAnyJson(const std::string& json) {
  std::vector<Condition> out;
  ConditionsSax sax(&out);
  bool parsed = false;
  try {
    parsed = nlohmann::json::sax_parse(json.data(), json.data() + json.size(), &sax);
  } catch (const nlohmann::json::exception& e) {
    return Internal(std::string("conditions are not readable: ") + e.what());
  }
  if (!parsed || !sax.error().empty()) {
    return Internal("conditions are not readable: " +
                    (sax.error().empty() ? std::string("not JSON") : sax.error()));
  }
  return out;
}

std::optional<std::vector<Condition>> ConditionsFromCanonicalJson(std::string_view json) {
  CanonicalReader in(json);
  std::vector<Condition> out;
  if (!in.Literal("[")) return std::nullopt;
  if (in.Literal("]")) return in.AtEnd() ? std::optional(std::move(out)) : std::nullopt;
  do {
    Condition& c = out.emplace_back();
    int64_t at = 0;
    bool ok = in.Literal("{\"last_transition\":") && in.Integer(&at) &&
              in.Literal(",\"message\":") && in.String(&c.message) &&
              in.Literal(",\"observed_generation\":") && in.Integer(&c.observed_generation) &&
              in.Literal(",\"reason\":") && in.String(&c.reason) && in.Literal(",\"status\":") &&
              in.String(&c.status) && in.Literal(",\"type\":") && in.String(&c.type) &&
              in.Literal("}");
    if (!ok) return std::nullopt;
    c.last_transition = FromMillis(at);
  } while (in.Literal(","));
  if (!in.Literal("]") || !in.AtEnd()) return std::nullopt;
  return out;
}

Result<std::vector<Condition>> ConditionsFromJson(const std::string& json) {
  std::optional<std::vector<Condition>> fast = ConditionsFromCanonicalJson(json);
  if (fast) return std::move(*fast);
  return ConditionsFromAnyJson(json);
}

}  // namespace spotkeeper
