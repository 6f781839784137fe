// Conditions JSON: what the store writes reads back the same by either path, the fast path
// agrees with nlohmann's parser, and other shapes of JSON are read or refused sensibly.
#include "store/conditions_json.h"

#include <gtest/gtest.h>

#include "common/random.h"

namespace spotkeeper {
namespace {

void ExpectSameConditions(const std::vector<Condition>& a, const std::vector<Condition>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].type, b[i].type) << i;
    EXPECT_EQ(a[i].status, b[i].status) << i;
    EXPECT_EQ(a[i].reason, b[i].reason) << i;
    EXPECT_EQ(a[i].message, b[i].message) << i;
    EXPECT_EQ(a[i].observed_generation, b[i].observed_generation) << i;
    EXPECT_EQ(a[i].last_transition, b[i].last_transition) << i;
  }
}

// A string of printable ASCII without quotes or backslashes (nothing to escape), or (when
// `tricky`) also with those, control characters and multi-byte UTF-8.
std::string RandomText(Random& rng, bool tricky) {
  static const char* const kTricky[] = {
      "\"", "\\", "\n", "\t", "\x01", "\xc3\xa9", "\xe2\x82\xac", "/", "\xf0\x9f\x9a\x80"};
  std::string out;
  int n = static_cast<int>(rng.Uniform(20));
  for (int i = 0; i < n; ++i) {
    if (tricky && rng.Bernoulli(0.2)) {
      out += kTricky[rng.Uniform(std::size(kTricky))];
    } else {
      char c = static_cast<char>(0x20 + rng.Uniform(0x7f - 0x20));
      out += c == '"' || c == '\\' ? '_' : c;
    }
  }
  return out;
}

std::vector<Condition> RandomConditions(Random& rng, bool tricky) {
  std::vector<Condition> out(rng.Uniform(4));
  for (Condition& c : out) {
    c.type = RandomText(rng, tricky);
    c.status = RandomText(rng, tricky);
    c.reason = RandomText(rng, tricky);
    c.message = RandomText(rng, tricky);
    // Extremes sometimes, so the integer reader sees every width.
    c.observed_generation = rng.Bernoulli(0.1) ? INT64_MAX : rng.Range(-5, 1LL << 40);
    c.last_transition =
        FromMillis(rng.Bernoulli(0.1) ? INT64_MIN : rng.Range(-1'000'000, 1LL << 45));
  }
  return out;
}

TEST(ConditionsJsonTest, RoundTripsByBothPaths) {
  Random rng(20260101);
  int fast_hits = 0;
  for (int i = 0; i < 2000; ++i) {
    bool tricky = i % 2 == 1;
    std::vector<Condition> conditions = RandomConditions(rng, tricky);
    std::string json = ConditionsToJson(conditions);
    auto any = ConditionsFromAnyJson(json);
    ASSERT_TRUE(any.ok()) << any.status().ToString() << " for " << json;
    ExpectSameConditions(*any, conditions);
    auto read = ConditionsFromJson(json);
    ASSERT_TRUE(read.ok()) << json;
    ExpectSameConditions(*read, conditions);
    std::optional<std::vector<Condition>> fast = ConditionsFromCanonicalJson(json);
    if (!tricky) {
      ASSERT_TRUE(fast.has_value()) << json;  // plain ASCII is always canonical
    }
    if (fast) {
      ++fast_hits;
      ExpectSameConditions(*fast, conditions);
    }
  }
  EXPECT_GT(fast_hits, 1000);
}

TEST(ConditionsJsonTest, CanonicalReaderDeclinesWhatItDoesNotKnow) {
  for (const char* json : {
           "",
           "[ ]",
           "[{\"type\":\"Ready\"}]",  // keys missing
           "[{\"last_transition\":1,\"message\":\"m\",\"observed_generation\":2,"
           "\"reason\":\"r\",\"status\":\"s\",\"type\":\"t\",\"extra\":1}]",
           "[{\"last_transition\":01,\"message\":\"m\",\"observed_generation\":2,"
           "\"reason\":\"r\",\"status\":\"s\",\"type\":\"t\"}]",
           "[{\"last_transition\":-0,\"message\":\"m\",\"observed_generation\":2,"
           "\"reason\":\"r\",\"status\":\"s\",\"type\":\"t\"}]",
           "[{\"last_transition\":99999999999999999999,\"message\":\"m\","
           "\"observed_generation\":2,\"reason\":\"r\",\"status\":\"s\",\"type\":\"t\"}]",
           "[{\"last_transition\":1,\"message\":\"a\\\"b\",\"observed_generation\":2,"
           "\"reason\":\"r\",\"status\":\"s\",\"type\":\"t\"}]",
           "[{\"last_transition\":1,\"message\":\"m\",\"observed_generation\":2,"
           "\"reason\":\"r\",\"status\":\"s\",\"type\":\"t\"}] ",
           "[{\"last_transition\":1,\"message\":\"m\",\"observed_generation\":2,"
           "\"reason\":\"r\",\"status\":\"s\",\"type\":\"t\"},]",
       }) {
    EXPECT_FALSE(ConditionsFromCanonicalJson(json).has_value()) << json;
  }
  auto empty = ConditionsFromCanonicalJson("[]");
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->empty());
}

TEST(ConditionsJsonTest, OtherShapesAreReadLeniently) {
  // Any key order and whitespace; unknown keys (with any value) skipped; missing keys default.
  auto read = ConditionsFromJson(R"( [ {"type": "Ready", "future": {"a": [1, null, {"b": 2.5}]},
      "status": "True", "observed_generation": 7, "later": [[]], "flag": true},
      {"message": "caf\u00e9 \"x\"", "last_transition": 1500} ] )");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_EQ(read->size(), 2u);
  EXPECT_EQ((*read)[0].type, "Ready");
  EXPECT_EQ((*read)[0].status, "True");
  EXPECT_EQ((*read)[0].reason, "");
  EXPECT_EQ((*read)[0].observed_generation, 7);
  EXPECT_EQ((*read)[1].message, "caf\xc3\xa9 \"x\"");
  EXPECT_EQ((*read)[1].last_transition, FromMillis(1500));
}

TEST(ConditionsJsonTest, ReadingRefusesWhatIsNotAConditionArray) {
  for (const char* json : {
           "",
           "{}",
           "3",
           "\"x\"",
           "[3]",
           "[[]]",
           "[{\"type\":3}]",
           "[{\"type\":[\"a\"]}]",
           "[{\"observed_generation\":\"7\"}]",
           "[{\"last_transition\":1.5}]",
           "[{\"observed_generation\":18446744073709551615}]",
           "[{\"type\":\"a\"}",
           "[{}]x",
           "[{\"message\":\"\xff\"}]",
       }) {
    auto read = ConditionsFromJson(json);
    EXPECT_EQ(read.status().code(), Code::kInternal) << json;
  }
}

TEST(ConditionsJsonTest, WritingReplacesInvalidUtf8) {
  std::vector<Condition> conditions(1);
  conditions[0].message = "bad \xff byte";
  auto read = ConditionsFromJson(ConditionsToJson(conditions));
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ((*read)[0].message, "bad \xef\xbf\xbd byte");
}

}  // namespace
}  // namespace spotkeeper
