#include "cloud/host/linux/runc_spec.h"

#include <gtest/gtest.h>

namespace spotkeeper::cloud::linuxhost {
namespace {

RuncSpecInput Input() {
  RuncSpecInput in;
  in.instance_id = "i-1";
  in.hostname = "ip-10-0-1-5";
  in.rootfs = "/pool/instances/i-1/bundle/rootfs";
  in.netns_path = "/run/netns/sk1a2b-i-i-1";
  in.cgroups_path = "/sk1a2b-i-1";
  in.init_binary = "/opt/spotkeeper-init";
  in.user_data_file = "/pool/instances/i-1/user-data";
  in.mnt_dir = "/pool/instances/i-1/mnt";
  in.vcpus = 2;
  in.memory_mib = 512;
  return in;
}

const nlohmann::json* FindMount(const nlohmann::json& spec, const std::string& dest) {
  for (const auto& m : spec["mounts"]) {
    if (m["destination"] == dest) return &m;
  }
  return nullptr;
}

TEST(RuncSpecTest, InitIsPidOneWithTheUserDataFile) {
  auto spec = BuildRuncSpec(Input());
  EXPECT_EQ(spec["process"]["args"][0], kInitPathInInstance);
  EXPECT_EQ(spec["process"]["args"][1], kUserDataPathInInstance);
  EXPECT_EQ(spec["process"]["terminal"], false);
  EXPECT_EQ(spec["hostname"], "ip-10-0-1-5");
  EXPECT_EQ(spec["root"]["path"], "/pool/instances/i-1/bundle/rootfs");
  auto init = FindMount(spec, kInitPathInInstance);
  ASSERT_TRUE(init);
  EXPECT_EQ((*init)["source"], "/opt/spotkeeper-init");
}

TEST(RuncSpecTest, LimitsComeFromTheInstanceType) {
  auto spec = BuildRuncSpec(Input());
  const auto& r = spec["linux"]["resources"];
  EXPECT_EQ(r["memory"]["limit"], int64_t{512} * 1024 * 1024);
  EXPECT_EQ(r["cpu"]["quota"], 200000);
  EXPECT_EQ(r["cpu"]["period"], 100000);
  EXPECT_EQ(spec["linux"]["cgroupsPath"], "/sk1a2b-i-1");
}

TEST(RuncSpecTest, JoinsThePreparedNetworkNamespace) {
  auto spec = BuildRuncSpec(Input());
  bool found = false;
  for (const auto& ns : spec["linux"]["namespaces"]) {
    if (ns["type"] == "network") {
      found = true;
      EXPECT_EQ(ns["path"], "/run/netns/sk1a2b-i-i-1");
    }
  }
  EXPECT_TRUE(found);
}

TEST(RuncSpecTest, HostUsrReadOnlyAndMntReceivesLaterMounts) {
  auto spec = BuildRuncSpec(Input());
  auto usr = FindMount(spec, "/usr");
  ASSERT_TRUE(usr);
  EXPECT_EQ((*usr)["source"], "/usr");
  auto opts = (*usr)["options"].get<std::vector<std::string>>();
  EXPECT_NE(std::find(opts.begin(), opts.end(), "ro"), opts.end());
  auto mnt = FindMount(spec, "/mnt");
  ASSERT_TRUE(mnt);
  EXPECT_EQ((*mnt)["source"], "/pool/instances/i-1/mnt");
  opts = (*mnt)["options"].get<std::vector<std::string>>();
  EXPECT_NE(std::find(opts.begin(), opts.end(), "rslave"), opts.end());
  for (const char* dest : {"/proc", "/dev", "/sys", "/tmp", "/run"}) {
    EXPECT_TRUE(FindMount(spec, dest)) << dest;
  }
}

TEST(RuncSpecTest, HostnameDefaultsToTheInstanceId) {
  auto in = Input();
  in.hostname.clear();
  EXPECT_EQ(BuildRuncSpec(in)["hostname"], "i-1");
}

}  // namespace
}  // namespace spotkeeper::cloud::linuxhost
