#include "provider/fake/param_digest.h"

#include <gtest/gtest.h>

namespace spotkeeper {
namespace {

TEST(ParamDigestTest, EqualInputsEqualDigests) {
  EXPECT_EQ(ParamDigest().Add("a").Add(3).Add(Tags{{"k", "v"}}).value(),
            ParamDigest().Add("a").Add(3).Add(Tags{{"k", "v"}}).value());
  EXPECT_EQ(ParamDigest().value(), 0xcbf29ce484222325ULL);  // FNV-1a offset basis
}

TEST(ParamDigestTest, BoundariesAndOrderMatter) {
  EXPECT_NE(ParamDigest().Add("ab").Add("c").value(), ParamDigest().Add("a").Add("bc").value());
  EXPECT_NE(ParamDigest().Add("a").Add("b").value(), ParamDigest().Add("b").Add("a").value());
  EXPECT_NE(ParamDigest().Add(Tags{{"k", "v"}}).value(),
            ParamDigest().Add(Tags{{"k", ""}, {"v", ""}}).value());
  EXPECT_NE(ParamDigest().Add(1).value(), ParamDigest().Add(2).value());
  EXPECT_NE(ParamDigest().Add("").value(), ParamDigest().value());
}

}  // namespace
}  // namespace spotkeeper
