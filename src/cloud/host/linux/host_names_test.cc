#include "cloud/host/linux/host_names.h"

#include <gtest/gtest.h>

namespace spotkeeper::cloud::linuxhost {
namespace {

TEST(HostNamesTest, PrefixRules) {
  EXPECT_TRUE(HostNames::ValidatePrefix("sk1a2b").ok());
  EXPECT_TRUE(HostNames::ValidatePrefix("ab").ok());
  EXPECT_FALSE(HostNames::ValidatePrefix("a").ok());
  EXPECT_FALSE(HostNames::ValidatePrefix("sk1a2b3").ok());  // interface names would not fit
  EXPECT_FALSE(HostNames::ValidatePrefix("sk-1").ok());     // '-' separates prefix and id
  EXPECT_FALSE(HostNames::ValidatePrefix("1abc").ok());
  EXPECT_FALSE(HostNames::ValidatePrefix("SKab").ok());
}

TEST(HostNamesTest, DerivedPrefixIsStableAndValid) {
  std::string a = HostNames::DerivePrefix("/var/lib/spotkeeper");
  EXPECT_EQ(a, HostNames::DerivePrefix("/var/lib/spotkeeper"));
  EXPECT_NE(a, HostNames::DerivePrefix("/root/.spotkeeper"));
  EXPECT_TRUE(HostNames::ValidatePrefix(a).ok()) << a;
  EXPECT_EQ(a.substr(0, 2), "sk");
}

TEST(HostNamesTest, IdsMustBeSafeInPathsAndNames) {
  EXPECT_TRUE(HostNames::ValidateId("i-0123456789abcdef0").ok());
  EXPECT_TRUE(HostNames::ValidateId("vol-1").ok());
  EXPECT_FALSE(HostNames::ValidateId("").ok());
  EXPECT_FALSE(HostNames::ValidateId("../etc").ok());
  EXPECT_FALSE(HostNames::ValidateId("a/b").ok());
  EXPECT_FALSE(HostNames::ValidateId("-x").ok());
  EXPECT_FALSE(HostNames::ValidateId("a b").ok());
  EXPECT_FALSE(HostNames::ValidateId(std::string(65, 'a')).ok());
}

TEST(HostNamesTest, InterfaceNamesFitInFifteenCharacters) {
  HostNames n("sk1a2b");
  const std::string eni = "eni-0123456789abcdef0";
  EXPECT_EQ(n.NicBridgeEnd(eni).size(), 15u);
  EXPECT_EQ(n.NicInstanceEnd(eni).size(), 15u);
  EXPECT_EQ(n.NicBridgeEnd(eni).substr(0, 7), "sk1a2bb");
  EXPECT_EQ(n.NicInstanceEnd(eni).substr(0, 7), "sk1a2be");
  EXPECT_EQ(n.NicBridgeEnd(eni).substr(7), n.NicInstanceEnd(eni).substr(7));
  EXPECT_NE(n.NicBridgeEnd(eni), n.NicBridgeEnd("eni-0123456789abcdef1"));
  EXPECT_LE(n.Bridge().size(), 15u);
  EXPECT_TRUE(n.IsOurBridgeEnd(n.NicBridgeEnd(eni)));
  EXPECT_FALSE(n.IsOurBridgeEnd(n.NicInstanceEnd(eni)));
  EXPECT_FALSE(HostNames("sk1a2c").IsOurBridgeEnd(n.NicBridgeEnd(eni)));
  // FNV-1a 32 of "a" (published test vector): the documented, deterministic hash.
  EXPECT_EQ(HostNames::Fnv1a32("a"), 0xe40c292cu);
}

TEST(HostNamesTest, NamesMapBackToIdsForTheirPrefixOnly) {
  HostNames n("sk1a2b");
  EXPECT_EQ(n.VpcNamespace("vpc-1"), "sk1a2b-v-vpc-1");
  EXPECT_EQ(n.InstanceNamespace("i-1"), "sk1a2b-i-i-1");
  EXPECT_EQ(n.ContainerId("i-1"), "sk1a2b-i-1");
  EXPECT_EQ(n.VpcIdFromNamespace("sk1a2b-v-vpc-1"), "vpc-1");
  EXPECT_EQ(n.InstanceIdFromNamespace("sk1a2b-i-i-1"), "i-1");
  EXPECT_EQ(n.InstanceIdFromContainer("sk1a2b-i-1"), "i-1");
  EXPECT_FALSE(n.VpcIdFromNamespace("sk1a2b-i-i-1"));
  EXPECT_FALSE(n.VpcIdFromNamespace("sk1a2bc-v-vpc-1"));  // a longer prefix is another pool
  EXPECT_FALSE(n.InstanceIdFromContainer("sk1a2-i-1"));
  EXPECT_FALSE(n.IsOurNamespace("other"));
  EXPECT_TRUE(n.IsOurNamespace("sk1a2b-v-vpc-9"));
}

TEST(HostNamesTest, NicAliasRoundTrips) {
  auto ids = HostNames::ParseNicAlias(HostNames::NicAlias("eni-1", "vpc-2"));
  ASSERT_TRUE(ids);
  EXPECT_EQ(ids->first, "eni-1");
  EXPECT_EQ(ids->second, "vpc-2");
  EXPECT_FALSE(HostNames::ParseNicAlias(""));
  EXPECT_FALSE(HostNames::ParseNicAlias("something else entirely"));
}

}  // namespace
}  // namespace spotkeeper::cloud::linuxhost
