#include "common/secure_random.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace spotkeeper {
namespace {

TEST(SecureRandom, DrawsOnlyFromTheAlphabetAndNeverRepeats) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    Result<std::string> s = SecureRandomString(40, "abc");
    ASSERT_TRUE(s.ok());
    ASSERT_EQ(s->size(), 40u);
    EXPECT_EQ(s->find_first_not_of("abc"), std::string::npos);
    seen.insert(*s);
  }
  EXPECT_EQ(seen.size(), 100u);  // 3^40 possibilities: a repeat means a broken source
}

TEST(SecureRandom, EveryCharacterIsAboutEquallyLikely) {
  // 3 does not divide 256: a modulo without rejection would favour 'a' by 1/85.
  Result<std::string> s = SecureRandomString(30000, "abc");
  ASSERT_TRUE(s.ok());
  std::map<char, int> counts;
  for (char c : *s) ++counts[c];
  for (char c : std::string("abc")) {
    EXPECT_GT(counts[c], 9400) << c;  // expected 10000; 6 standard deviations is ~490
    EXPECT_LT(counts[c], 10600) << c;
  }
}

TEST(SecureRandom, HexAndBadAlphabets) {
  Result<std::string> h = SecureRandomHex(56);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->size(), 56u);
  EXPECT_EQ(h->find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(SecureRandomString(4, "a").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(SecureRandomString(4, "").status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace spotkeeper
