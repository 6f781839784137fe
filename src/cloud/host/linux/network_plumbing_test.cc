// What NetworkPlumbing refuses before it runs any command (no root needed). The commands
// themselves are exercised by the root tests in tests/host.
#include "cloud/host/linux/network_plumbing.h"

#include <gtest/gtest.h>

namespace spotkeeper::cloud::linuxhost {
namespace {

NetworkPlumbing Plumbing() {
  HostTools tools;
  tools.ip = "/nonexistent/ip";  // any command would fail loudly
  return NetworkPlumbing(HostNames("tz9"), tools);
}

NicConfig GoodNic() {
  NicConfig n;
  n.eni_id = "eni-1";
  n.vpc_id = "vpc-1";
  n.mac = "02:00:0a:07:01:0a";
  n.ip = "10.7.1.10";
  n.prefix_len = 24;
  n.gateway = "10.7.1.1";
  return n;
}

TEST(NetworkPlumbingTest, CidrPrefixLength) {
  EXPECT_EQ(*CidrPrefixLength("10.0.0.0/16"), 16);
  EXPECT_EQ(*CidrPrefixLength("10.0.1.0/24"), 24);
  EXPECT_FALSE(CidrPrefixLength("10.0.0.0").ok());
  EXPECT_FALSE(CidrPrefixLength("10.0.0.0/x").ok());
  EXPECT_FALSE(CidrPrefixLength("10.0.0.0/33").ok());
}

TEST(NetworkPlumbingTest, MalformedNicsNeverReachACommandLine) {
  auto p = Plumbing();
  NicConfig n = GoodNic();
  n.ip = "10.7.1.10/24 dev eth0\nlink del lo";
  EXPECT_EQ(p.CreateNic(n).code(), Code::kInvalidArgument);
  EXPECT_EQ(p.MoveNicIn("i-1", n).code(), Code::kInvalidArgument);
  n = GoodNic();
  n.gateway = "10.7.1.1 onlink";
  EXPECT_EQ(p.CreateNic(n).code(), Code::kInvalidArgument);
  n = GoodNic();
  n.mac = "02:00:0a:07:01:0a address 00:00:00:00:00:00";
  EXPECT_EQ(p.CreateNic(n).code(), Code::kInvalidArgument);
  n = GoodNic();
  n.mac = "zz:00:0a:07:01:0a";
  EXPECT_EQ(p.CreateNic(n).code(), Code::kInvalidArgument);
  n = GoodNic();
  n.eni_id = "eni 1";
  EXPECT_EQ(p.CreateNic(n).code(), Code::kInvalidArgument);
  n = GoodNic();
  n.prefix_len = 0;
  EXPECT_EQ(p.MoveNicIn("i-1", n).code(), Code::kInvalidArgument);
  EXPECT_EQ(p.MoveNicIn("../i-1", GoodNic()).code(), Code::kInvalidArgument);
  EXPECT_EQ(p.EnsureVpc({"vpc-1", "10.7.0.0/16", "10.7.0.1; reboot"}).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(p.EnsureGateway("vpc-1", "not-an-ip", 24).code(), Code::kInvalidArgument);
}

TEST(NetworkPlumbingTest, NeverConfiguresTheHostNamespace) {
  EXPECT_EQ(Plumbing().Batch("", {"address add 10.0.0.1/16 dev lo"}).code(), Code::kInternal);
}

}  // namespace
}  // namespace spotkeeper::cloud::linuxhost
