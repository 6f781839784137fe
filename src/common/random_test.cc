#include "common/random.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>

namespace spotkeeper {
namespace {

TEST(RandomTest, SameSeedSameSequence) {
  Random a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    uint64_t x = a.Next();
    EXPECT_EQ(x, b.Next());
    differs |= x != c.Next();
  }
  EXPECT_TRUE(differs);
}

TEST(RandomTest, UniformStaysInRangeAndCoversIt) {
  Random r(7);
  std::set<uint64_t> seen;
  for (int i = 0; i < 1000; ++i) {
    uint64_t x = r.Uniform(6);
    ASSERT_LT(x, 6u);
    seen.insert(x);
  }
  EXPECT_EQ(seen.size(), 6u);
  for (int i = 0; i < 1000; ++i) {
    int64_t y = r.Range(-3, 3);
    ASSERT_GE(y, -3);
    ASSERT_LE(y, 3);
  }
}

TEST(RandomTest, RangeHandlesTheWidestRanges) {
  Random r(3);
  for (int i = 0; i < 100; ++i) {
    int64_t x = r.Range(-5, INT64_MAX);
    EXPECT_GE(x, -5);
    (void)r.Range(INT64_MIN, INT64_MAX);
  }
}

TEST(RandomTest, HexHasRequestedLength) {
  Random r(1);
  std::string h = r.Hex(17);
  EXPECT_EQ(h.size(), 17u);
  EXPECT_EQ(h.find_first_not_of("0123456789abcdef"), std::string::npos);
}

}  // namespace
}  // namespace spotkeeper
