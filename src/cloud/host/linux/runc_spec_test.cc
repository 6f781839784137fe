#include "cloud/host/linux/runc_spec.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <map>

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

TEST(RuncSpecTest, NoNetRawAndPingUsesDatagramSockets) {
  RuncSpecInput in = Input();
  auto spec = BuildRuncSpec(in);
  for (const char* set : {"bounding", "effective", "permitted"}) {
    for (const auto& cap : spec["process"]["capabilities"][set]) {
      EXPECT_NE(cap, "CAP_NET_RAW");
      EXPECT_NE(cap, "CAP_NET_ADMIN");
      EXPECT_NE(cap, "CAP_SYS_ADMIN");
    }
  }
  EXPECT_EQ(spec["linux"]["sysctl"]["net.ipv4.ping_group_range"], "0 2147483647");
  EXPECT_EQ(FindMount(spec, "/usr/bin/ping"), nullptr);  // no copy: the host's
  in.ping_binary = "/pool/instances/i-1/ping";
  spec = BuildRuncSpec(in);
  auto ping = FindMount(spec, "/usr/bin/ping");
  ASSERT_TRUE(ping);
  EXPECT_EQ((*ping)["source"], "/pool/instances/i-1/ping");
  // After the /usr bind, or the bind would hide it.
  EXPECT_EQ(spec["mounts"].back()["destination"], "/usr/bin/ping");
}

TEST(RuncSpecTest, SeccompRefusesDangerousCallsWithEperm) {
  const nlohmann::json spec = BuildRuncSpec(Input());
  const nlohmann::json& seccomp = spec["linux"]["seccomp"];
  EXPECT_EQ(seccomp["defaultAction"], "SCMP_ACT_ALLOW");
  std::map<std::string, nlohmann::json> rules;  // name -> rule
  for (const auto& rule : seccomp["syscalls"]) {
    for (const auto& name : rule["names"]) rules[name] = rule;
  }
  for (const char* name : {"kexec_load", "init_module", "finit_module", "mount", "ptrace", "keyctl",
                           "bpf", "perf_event_open", "userfaultfd", "setns"}) {
    ASSERT_TRUE(rules.count(name)) << name;
    EXPECT_EQ(rules[name]["action"], "SCMP_ACT_ERRNO") << name;
    EXPECT_EQ(rules[name]["errnoRet"], EPERM) << name;
    EXPECT_FALSE(rules[name].contains("args")) << name;
  }
  // unshare: only with CLONE_NEWUSER.
  ASSERT_TRUE(rules.count("unshare"));
  EXPECT_EQ(rules["unshare"]["args"][0]["op"], "SCMP_CMP_MASKED_EQ");
  EXPECT_EQ(rules["unshare"]["args"][0]["value"], 0x10000000);
  // clone3 must be ENOSYS for glibc to fall back to clone.
  EXPECT_EQ(rules["clone3"]["errnoRet"], ENOSYS);
  EXPECT_FALSE(rules.count("read") || rules.count("write") || rules.count("personality"));
}

}  // namespace
}  // namespace spotkeeper::cloud::linuxhost
