#include "provider/fake/subnet_addresses.h"

#include <gtest/gtest.h>

#include <set>

namespace spotkeeper {
namespace {

TEST(Ipv4Test, ParseAndFormat) {
  EXPECT_EQ(*ParseIpv4("10.0.1.7"), 0x0A000107u);
  EXPECT_EQ(FormatIpv4(0x0A000107u), "10.0.1.7");
  for (const char* bad : {"", "10.0.1", "10.0.1.256", "10.0.1.7x", "a.b.c.d", "10.0.1.7 "}) {
    EXPECT_FALSE(ParseIpv4(bad).ok()) << bad;
  }
}

TEST(SubnetAddressesTest, CidrRules) {
  EXPECT_TRUE(SubnetAddresses::Create("10.0.1.0/24").ok());
  EXPECT_TRUE(SubnetAddresses::Create("10.1.0.0/16").ok());
  EXPECT_EQ(SubnetAddresses::Create("10.0.0.0/15").status().cloud_code(), "InvalidSubnet.Range");
  EXPECT_EQ(SubnetAddresses::Create("10.0.0.0/29").status().cloud_code(), "InvalidSubnet.Range");
  EXPECT_EQ(SubnetAddresses::Create("10.0.1.5/24").status().cloud_code(), "InvalidParameterValue");
  EXPECT_FALSE(SubnetAddresses::Create("10.0.1.0").ok());
  EXPECT_FALSE(SubnetAddresses::Create("10.0.1.0/x").ok());
}

TEST(SubnetAddressesTest, ReservedAddressesAreNeverHandedOut) {
  SubnetAddresses s = *SubnetAddresses::Create("10.0.1.0/28");  // 16 addresses, 11 usable
  EXPECT_EQ(s.usable(), 11);
  std::set<std::string> got;
  for (int i = 0; i < 11; ++i) {
    Result<std::string> ip = s.Allocate("");
    ASSERT_TRUE(ip.ok());
    got.insert(*ip);
  }
  EXPECT_EQ(got.size(), 11u);
  EXPECT_TRUE(got.count("10.0.1.4"));
  EXPECT_TRUE(got.count("10.0.1.14"));
  for (const char* reserved : {"10.0.1.0", "10.0.1.1", "10.0.1.2", "10.0.1.3", "10.0.1.15"}) {
    EXPECT_FALSE(got.count(reserved)) << reserved;
  }
  EXPECT_EQ(s.Allocate("").status().cloud_code(), "InsufficientFreeAddressesInSubnet");
  EXPECT_EQ(s.Allocate("").status().code(), Code::kResourceExhausted);
}

TEST(SubnetAddressesTest, ExplicitAddresses) {
  SubnetAddresses s = *SubnetAddresses::Create("10.0.1.0/24");
  EXPECT_EQ(*s.Allocate("10.0.1.50"), "10.0.1.50");
  EXPECT_TRUE(s.IsInUse("10.0.1.50"));
  Status in_use = s.Allocate("10.0.1.50").status();
  EXPECT_EQ(in_use.cloud_code(), "InvalidIPAddress.InUse");
  EXPECT_EQ(in_use.code(), Code::kFailedPrecondition);
  EXPECT_EQ(s.Allocate("10.0.2.5").status().cloud_code(), "InvalidParameterValue");
  EXPECT_EQ(s.Allocate("10.0.1.2").status().cloud_code(), "InvalidParameterValue");
  EXPECT_EQ(s.Allocate("10.0.1.255").status().cloud_code(), "InvalidParameterValue");
  EXPECT_EQ(s.in_use(), 1);
  s.Release("10.0.1.50");
  EXPECT_FALSE(s.IsInUse("10.0.1.50"));
  EXPECT_EQ(s.in_use(), 0);
  s.Release("10.0.1.50");    // twice: ignored
  s.Release("192.168.0.1");  // foreign: ignored
  EXPECT_EQ(s.in_use(), 0);
  EXPECT_TRUE(s.Allocate("10.0.1.50").ok());
}

TEST(SubnetAddressesTest, AutomaticPicksMoveOnInsteadOfReusingAtOnce) {
  SubnetAddresses s = *SubnetAddresses::Create("10.0.1.0/24");
  std::string a = *s.Allocate("");
  EXPECT_EQ(a, "10.0.1.4");
  s.Release(a);
  EXPECT_EQ(*s.Allocate(""), "10.0.1.5");
  // An explicitly taken address is skipped by the automatic picks.
  ASSERT_TRUE(s.Allocate("10.0.1.6").ok());
  EXPECT_EQ(*s.Allocate(""), "10.0.1.7");
}

TEST(SubnetAddressesTest, Overlaps) {
  SubnetAddresses a = *SubnetAddresses::Create("10.0.0.0/16");
  SubnetAddresses b = *SubnetAddresses::Create("10.0.5.0/24");
  SubnetAddresses c = *SubnetAddresses::Create("10.1.0.0/24");
  EXPECT_TRUE(a.Overlaps(b));
  EXPECT_TRUE(b.Overlaps(a));
  EXPECT_FALSE(a.Overlaps(c));
}

}  // namespace
}  // namespace spotkeeper
