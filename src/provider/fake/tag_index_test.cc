#include "provider/fake/tag_index.h"

#include <gtest/gtest.h>

#include <deque>
#include <set>

namespace spotkeeper {
namespace {

// The ids in a set, sorted, for comparisons.
std::set<std::string> Ids(const TagIndex::IdSet& s) {
  std::set<std::string> out;
  for (const std::string* id : s) out.insert(*id);
  return out;
}

TEST(TagIndexTest, FindsByKeyAndValue) {
  const std::string i1 = "i-1", i2 = "i-2";
  TagIndex idx;
  idx.Add(&i1, {{"ssi", "a"}, {"group", "g"}});
  idx.Add(&i2, {{"ssi", "b"}, {"group", "g"}});
  EXPECT_EQ(Ids(idx.Find("ssi", "a")), (std::set<std::string>{"i-1"}));
  EXPECT_EQ(Ids(idx.Find("group", "g")), (std::set<std::string>{"i-1", "i-2"}));
  EXPECT_TRUE(idx.Find("ssi", "c").empty());
  EXPECT_TRUE(idx.Find("nokey", "a").empty());
  EXPECT_EQ(idx.entries(), 3u);
}

TEST(TagIndexTest, CandidatesPicksTheSmallestSet) {
  std::deque<std::string> ids;  // stable addresses
  TagIndex idx;
  for (int i = 0; i < 10; ++i) {
    ids.push_back("i-" + std::to_string(i));
    idx.Add(&ids.back(), {{"group", "g"}, {"ssi", std::to_string(i % 5)}});
  }
  const TagIndex::IdSet* c = idx.Candidates({{"group", "g"}, {"ssi", "3"}});
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(Ids(*c), (std::set<std::string>{"i-3", "i-8"}));
  // A key-only filter cannot be answered from the index.
  EXPECT_EQ(idx.Candidates({{"ssi", ""}}), nullptr);
  EXPECT_EQ(idx.Candidates({}), nullptr);
  // A value nobody has: an empty candidate set, not "scan everything".
  c = idx.Candidates({{"ssi", "nope"}, {"group", "g"}});
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->empty());
}

TEST(TagIndexTest, UpdateAndRemove) {
  const std::string v1 = "vol-1";
  TagIndex idx;
  idx.Add(&v1, {{"k", "v1"}});
  idx.Update(&v1, {{"k", "v1"}}, {{"k", "v2"}, {"x", "y"}});
  EXPECT_TRUE(idx.Find("k", "v1").empty());
  EXPECT_EQ(idx.Find("k", "v2").size(), 1u);
  idx.Remove(&v1, {{"k", "v2"}, {"x", "y"}});
  EXPECT_EQ(idx.entries(), 0u);    // empty sets are dropped
  idx.Remove(&v1, {{"k", "v2"}});  // removing what is not there is harmless
  EXPECT_EQ(idx.entries(), 0u);
}

TEST(TagIndexTest, TagsMatch) {
  Tags t{{"a", "1"}, {"b", ""}};
  EXPECT_TRUE(TagsMatch(t, {}));
  EXPECT_TRUE(TagsMatch(t, {{"a", "1"}}));
  EXPECT_TRUE(TagsMatch(t, {{"a", ""}}));  // present, any value
  EXPECT_TRUE(TagsMatch(t, {{"b", ""}}));
  EXPECT_FALSE(TagsMatch(t, {{"a", "2"}}));
  EXPECT_FALSE(TagsMatch(t, {{"c", ""}}));
}

}  // namespace
}  // namespace spotkeeper
