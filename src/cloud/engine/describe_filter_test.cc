#include "cloud/engine/describe_filter.h"

#include <gtest/gtest.h>

namespace spotkeeper::cloud {
namespace {

TEST(GlobMatch, StarAndQuestionMark) {
  EXPECT_TRUE(GlobMatch("web-*", "web-1"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("a?c", "abc"));
  EXPECT_FALSE(GlobMatch("a?c", "ac"));
  EXPECT_TRUE(GlobMatch("*b*b*", "abcbd"));
  EXPECT_FALSE(GlobMatch("web", "web-1"));
  EXPECT_TRUE(GlobMatch("i-*f", "i-0abcf"));
}

TEST(Filters, AllFiltersAndAnyValue) {
  TagMap tags{{"Name", "db-1"}, {"env", "prod"}};
  auto fields = [](const std::string& n) {
    return n == "state" ? std::vector<std::string>{"running"} : std::vector<std::string>{};
  };
  EXPECT_TRUE(
      MatchesFilters({{"tag:Name", {"web*", "db*"}}, {"state", {"running"}}}, tags, fields));
  EXPECT_FALSE(MatchesFilters({{"tag:Name", {"db*"}}, {"state", {"stopped"}}}, tags, fields));
  EXPECT_TRUE(MatchesFilters({{"tag-key", {"env"}}, {"tag-value", {"prod"}}}, tags, fields));
  EXPECT_FALSE(MatchesFilters({{"tag:missing", {"*"}}}, tags, fields));
  EXPECT_TRUE(ValidateFilters({{"tag:x", {}}, {"state", {}}}, {"state"}).ok());
  EXPECT_EQ(ValidateFilters({{"colour", {}}}, {"state"}).cloud_code(), "InvalidParameterValue");
}

TEST(Paginate, TokensContinueAfterTheLastId) {
  std::vector<std::string> ids = {"a", "b", "c", "d", "e", "f", "g"};
  DescribeRequest r;
  r.max_results = 5;
  auto p1 = PaginateIds(ids, r, 5, 1000);
  ASSERT_TRUE(p1.ok());
  EXPECT_EQ(p1->begin, 0u);
  EXPECT_EQ(p1->end, 5u);
  r.next_token = p1->next_token;
  auto p2 = PaginateIds(ids, r, 5, 1000);
  EXPECT_EQ(p2->begin, 5u);
  EXPECT_EQ(p2->end, 7u);
  EXPECT_TRUE(p2->next_token.empty());
  r.max_results = 1001;
  EXPECT_FALSE(PaginateIds(ids, r, 5, 1000).ok());
}

}  // namespace
}  // namespace spotkeeper::cloud
