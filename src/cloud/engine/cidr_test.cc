#include "cloud/engine/cidr.h"

#include <gtest/gtest.h>

namespace spotkeeper::cloud {
namespace {

TEST(Cidr, ParsesContainsAndOverlaps) {
  auto vpc = Cidr::Parse("10.0.0.0/16");
  ASSERT_TRUE(vpc.ok());
  EXPECT_EQ(vpc->Size(), 65536u);
  auto subnet = Cidr::Parse("10.0.1.0/24");
  EXPECT_TRUE(vpc->Contains(*subnet));
  EXPECT_FALSE(subnet->Contains(*vpc));
  EXPECT_TRUE(subnet->Overlaps(*Cidr::Parse("10.0.1.128/25")));
  EXPECT_FALSE(subnet->Overlaps(*Cidr::Parse("10.0.2.0/24")));
  EXPECT_EQ(subnet->Host(4), "10.0.1.4");
  EXPECT_EQ(subnet->ToString(), "10.0.1.0/24");
  EXPECT_FALSE(Cidr::Parse("10.0.1.1/24").ok());  // host bits
  EXPECT_FALSE(Cidr::Parse("10.0.1.0").ok());
  EXPECT_FALSE(Cidr::Parse("10.0.1.0/33").ok());
  EXPECT_FALSE(Cidr::Parse("10.0.300.0/24").ok());
  EXPECT_FALSE(ParseIpv4("").ok());
}

}  // namespace
}  // namespace spotkeeper::cloud
