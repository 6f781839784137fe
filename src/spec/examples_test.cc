// Every example in examples/ is a valid spec, round-trips through canonical JSON, and together
// they cover each persistence mode.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include "spec/group_spec.h"

namespace spotkeeper {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::map<std::string, GroupSpec> LoadExamples() {
  std::map<std::string, GroupSpec> out;
  const fs::path dir = fs::path(SPOTKEEPER_SOURCE_DIR) / "examples";
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    std::ifstream in(entry.path());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ParseOutcome outcome = ParseGroupSpec(text);
    EXPECT_TRUE(outcome.ok()) << entry.path() << ":\n" << outcome.ErrorText();
    if (outcome.ok()) out.emplace(entry.path().filename().string(), *outcome.spec);
  }
  return out;
}

TEST(ExamplesTest, EveryExampleParsesWithoutErrors) {
  std::map<std::string, GroupSpec> examples = LoadExamples();
  EXPECT_GE(examples.size(), 5u);
  for (const char* name : {"reattach-private-ip.yaml", "onlaunch-multi-az.yaml",
                           "root-persistence.yaml", "ip-pool.yaml", "redis.yaml"}) {
    EXPECT_TRUE(examples.count(name)) << name << " is missing or invalid";
  }
}

TEST(ExamplesTest, EveryExampleRoundTripsThroughCanonicalJson) {
  for (const auto& [name, spec] : LoadExamples()) {
    nlohmann::json canonical = ToJson(spec);
    ParseOutcome from_value = ParseGroupSpecJson(canonical);
    ASSERT_TRUE(from_value.ok()) << name << ":\n" << from_value.ErrorText();
    EXPECT_EQ(*from_value.spec, spec) << name;
    ParseOutcome from_text = ParseGroupSpec(canonical.dump(2));
    ASSERT_TRUE(from_text.ok()) << name << ":\n" << from_text.ErrorText();
    EXPECT_EQ(*from_text.spec, spec) << name;
    EXPECT_EQ(ToJson(*from_text.spec), canonical) << name;
  }
}

TEST(ExamplesTest, AtLeastOneExamplePerPersistenceMode) {
  int reattach = 0, on_launch = 0, root_only = 0, private_ip = 0, ip_pool = 0, multi_az = 0;
  for (const auto& [name, spec] : LoadExamples()) {
    const PersistenceSpec& p = spec.strategy.persistence;
    if (p.should_persist_block_devices) {
      (p.block_devices_mode == BlockDevicesMode::kReattach ? reattach : on_launch)++;
    }
    if (p.should_persist_root_device && !p.should_persist_block_devices &&
        !p.should_persist_private_ip) {
      ++root_only;
    }
    if (p.should_persist_private_ip) ++private_ip;
    if (!spec.compute.private_ips.empty()) ++ip_pool;
    if (spec.MultiAz()) ++multi_az;
  }
  EXPECT_GE(reattach, 1);
  EXPECT_GE(on_launch, 1);
  EXPECT_GE(root_only, 1);
  EXPECT_GE(private_ip, 1);
  EXPECT_GE(ip_pool, 1);
  EXPECT_GE(multi_az, 1);
}

TEST(ExamplesTest, NamedExamplesHaveTheirAdvertisedShape) {
  std::map<std::string, GroupSpec> ex = LoadExamples();
  ASSERT_EQ(ex.count("ip-pool.yaml"), 1u);
  EXPECT_EQ(ex["ip-pool.yaml"].compute.private_ips.size(), 3u);
  EXPECT_EQ(ex["ip-pool.yaml"].capacity.maximum, 3);
  EXPECT_EQ(ex["ip-pool.yaml"].strategy.persistence.block_devices_mode,
            BlockDevicesMode::kReattach);

  ASSERT_EQ(ex.count("onlaunch-multi-az.yaml"), 1u);
  const GroupSpec& ol = ex["onlaunch-multi-az.yaml"];
  EXPECT_GE(ol.compute.availability_zones.size(), 2u);
  EXPECT_EQ(ol.strategy.persistence.block_devices_mode, BlockDevicesMode::kOnLaunch);
  EXPECT_FALSE(ol.strategy.persistence.should_persist_private_ip);

  ASSERT_EQ(ex.count("reattach-private-ip.yaml"), 1u);
  const PersistenceSpec& rp = ex["reattach-private-ip.yaml"].strategy.persistence;
  EXPECT_TRUE(rp.should_persist_root_device && rp.should_persist_block_devices &&
              rp.should_persist_private_ip);
  EXPECT_EQ(ex["reattach-private-ip.yaml"].compute.availability_zones.size(), 1u);
}

TEST(ExamplesTest, RedisWaitsForItsVolumeAndRunsInTheForeground) {
  std::map<std::string, GroupSpec> ex = LoadExamples();
  ASSERT_EQ(ex.count("redis.yaml"), 1u);
  const GroupSpec& r = ex["redis.yaml"];
  EXPECT_EQ(r.region, "local-1");
  EXPECT_EQ(r.capacity.maximum, 1);
  ASSERT_EQ(r.compute.launch_specification.block_device_mappings.size(), 1u);
  EXPECT_EQ(r.compute.launch_specification.block_device_mappings[0].device_name, "/dev/sdf");
  const PersistenceSpec& p = r.strategy.persistence;
  EXPECT_TRUE(p.should_persist_private_ip);
  EXPECT_TRUE(p.should_persist_block_devices);
  EXPECT_EQ(p.block_devices_mode, BlockDevicesMode::kReattach);
  const std::string& script = r.compute.launch_specification.user_data;
  EXPECT_EQ(script.rfind("#!/bin/sh\n", 0), 0u);
  EXPECT_THAT(script, HasSubstr("/mnt/sdf"));
  EXPECT_THAT(script, HasSubstr("120"));
  EXPECT_THAT(script, HasSubstr("exec redis-server --dir /mnt/sdf --appendonly yes "
                                "--appendfsync always --bind 0.0.0.0 --protected-mode no\n"));
  // The script is valid POSIX sh (syntax check only; nothing runs).
  FILE* sh = popen("sh -n", "w");
  ASSERT_NE(sh, nullptr);
  fwrite(script.data(), 1, script.size(), sh);
  EXPECT_EQ(pclose(sh), 0) << script;
}

}  // namespace
}  // namespace spotkeeper
