#include "spec/closest_match.h"

#include <gtest/gtest.h>

namespace spotkeeper {
namespace {

TEST(EditDistanceTest, CountsEditsCaseInsensitively) {
  EXPECT_EQ(EditDistance("", ""), 0);
  EXPECT_EQ(EditDistance("abc", ""), 3);
  EXPECT_EQ(EditDistance("", "abc"), 3);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3);
  EXPECT_EQ(EditDistance("blockDeviceMode", "blockDevicesMode"), 1);
  EXPECT_EQ(EditDistance("fallbackToOD", "fallbackToOd"), 0);
}

TEST(EditDistanceTest, AnAdjacentSwapIsOneEdit) {
  EXPECT_EQ(EditDistance("regoin", "region"), 1);
  EXPECT_EQ(EditDistance("ab", "ba"), 1);
}

TEST(ClosestMatchTest, SuggestsTheNearestField) {
  const std::vector<std::string> known = {"shouldPersistRootDevice", "shouldPersistBlockDevices",
                                          "shouldPersistPrivateIp", "blockDevicesMode"};
  EXPECT_EQ(ClosestMatch("blockDeviceMode", known), "blockDevicesMode");
  EXPECT_EQ(ClosestMatch("shouldPersistPrivateIP", known), "shouldPersistPrivateIp");
  EXPECT_EQ(ClosestMatch("shouldPersistRootDevices", known), "shouldPersistRootDevice");
}

TEST(ClosestMatchTest, NoSuggestionForUnrelatedWords) {
  const std::vector<std::string> known = {"name", "region", "capacity", "ebs"};
  EXPECT_EQ(ClosestMatch("flavour", known), std::nullopt);
  EXPECT_EQ(ClosestMatch("x", known), std::nullopt);
  EXPECT_EQ(ClosestMatch("abc", known),
            std::nullopt);  // 2 edits from "ebs": too many for 3 letters
  EXPECT_EQ(ClosestMatch("eb", known), "ebs");
  EXPECT_EQ(ClosestMatch("anything", {}), std::nullopt);
}

TEST(ClosestMatchTest, TheLimitGrowsWithLength) {
  EXPECT_EQ(ClosestMatch("nmae", {"name"}), "name");             // swap: 1
  EXPECT_EQ(ClosestMatch("nm", {"name"}), "name");               // 2 edits, 4 letters
  EXPECT_EQ(ClosestMatch("capcty", {"capacity"}), "capacity");   // 2 edits, 8 letters
  EXPECT_EQ(ClosestMatch("cpcty", {"capacity"}), std::nullopt);  // 3 edits, 8 letters
  EXPECT_EQ(ClosestMatch("drainTimeout", {"drainingTimeout"}), "drainingTimeout");  // 3, 15
}

TEST(ClosestMatchTest, PrefersTheSmallestDistanceThenTheFirstCandidate) {
  EXPECT_EQ(ClosestMatch("keap", {"keys", "keep"}), "keep");
  EXPECT_EQ(ClosestMatch("kee", {"keep", "keel"}), "keep");
}

}  // namespace
}  // namespace spotkeeper
