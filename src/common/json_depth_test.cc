#include "common/json_depth.h"

#include <gtest/gtest.h>

#include <string>

namespace spotkeeper {
namespace {

TEST(JsonDepthTest, CountsArraysAndObjects) {
  EXPECT_EQ(JsonNestingDepth(""), 0u);
  EXPECT_EQ(JsonNestingDepth("3"), 0u);
  EXPECT_EQ(JsonNestingDepth("{}"), 1u);
  EXPECT_EQ(JsonNestingDepth(R"({"a":[1,{"b":[]}],"c":{}})"), 4u);
}

TEST(JsonDepthTest, BracketsInStringsDoNotCount) {
  EXPECT_EQ(JsonNestingDepth(R"({"a":"[[[{{{"})"), 1u);
  EXPECT_EQ(JsonNestingDepth(R"({"a":"\"[[["})"), 1u);
  EXPECT_EQ(JsonNestingDepth(R"(["\\",[]])"), 2u);  // the escaped backslash ends the escape
}

TEST(JsonDepthTest, StopsPastTheLimit) {
  std::string deep(100000, '[');
  EXPECT_EQ(JsonNestingDepth(deep), kMaxJsonDepth + 1);
  EXPECT_EQ(JsonNestingDepth(std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']')),
            kMaxJsonDepth);
  EXPECT_EQ(JsonNestingDepth("[[[]]]", 2), 3u);
}

}  // namespace
}  // namespace spotkeeper
