#include "cloud/api/cloud_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace spotkeeper::cloud {
namespace {

std::string ErrorOf(const std::string& text) {
  LocalCloudOptions o;
  Status s = ApplyCloudConfigText(text, &o);
  return s.ok() ? "ok" : s.message();
}

TEST(CloudConfigTest, MarketSectionSetsEveryOption) {
  LocalCloudOptions o;
  Status s = ApplyCloudConfigText(R"(
listen: 127.0.0.1:9999
market:
  enabled: false
  seed: 12
  priceModel: csv
  csvPath: /tmp/prices.csv
  priceIntervalSeconds: 60
  meanRatio: 0.4
  reversion: 0.1
  volatility: 0.03
  minRatio: 0.2
  maxRatio: 0.9
  defaultBucket: "10-15%"
  spotCapacity: 5
  onDemandCapacity: 7
  pools:
    - {instanceType: t3.micro, availabilityZone: local-1a, spotCapacity: 0, bucket: ">20%"}
  timeScale: 1000
  interruptionsPerHour: 6
  noticeSeconds: 0.5
  rebalanceLeadSeconds: 2
  restartDelaySeconds: 3
  reclaimOrder: random
  historyLimit: 50
)",
                                  &o);
  ASSERT_TRUE(s.ok()) << s.ToString();
  const MarketOptions& m = o.engine.market;
  EXPECT_EQ(o.port, 9999);
  EXPECT_FALSE(m.enabled);
  EXPECT_EQ(m.seed, 12u);
  EXPECT_EQ(m.price_model, "csv");
  EXPECT_EQ(m.csv_path, "/tmp/prices.csv");
  EXPECT_EQ(m.price_interval, std::chrono::seconds(60));
  EXPECT_DOUBLE_EQ(m.mean_ratio, 0.4);
  EXPECT_DOUBLE_EQ(m.reversion, 0.1);
  EXPECT_DOUBLE_EQ(m.volatility, 0.03);
  EXPECT_DOUBLE_EQ(m.min_ratio, 0.2);
  EXPECT_DOUBLE_EQ(m.max_ratio, 0.9);
  EXPECT_EQ(m.default_bucket, "10-15%");
  EXPECT_EQ(m.default_spot_capacity, 5);
  EXPECT_DOUBLE_EQ(m.interruptions_per_hour, 6);
  EXPECT_EQ(m.default_on_demand_capacity, 7);
  ASSERT_EQ(m.pools.size(), 1u);
  EXPECT_EQ(m.pools[0].instance_type, "t3.micro");
  EXPECT_EQ(m.pools[0].availability_zone, "local-1a");
  EXPECT_EQ(m.pools[0].spot_capacity, 0);
  EXPECT_FALSE(m.pools[0].on_demand_capacity.has_value());
  EXPECT_EQ(m.pools[0].bucket, ">20%");
  EXPECT_DOUBLE_EQ(m.time_scale, 1000);
  EXPECT_EQ(m.notice, std::chrono::milliseconds(500));
  EXPECT_EQ(m.rebalance_lead, std::chrono::seconds(2));
  EXPECT_EQ(m.restart_delay, std::chrono::seconds(3));
  EXPECT_EQ(m.reclaim_order, "random");
  EXPECT_EQ(m.history_limit, 50);
}

TEST(CloudConfigTest, TheDefaultMarketIsOnUnlimitedAndGentle) {
  LocalCloudOptions o;
  ASSERT_TRUE(ApplyCloudConfigText("region: local-1\n", &o).ok());
  EXPECT_TRUE(o.engine.market.enabled);
  EXPECT_EQ(o.engine.market.default_spot_capacity, -1);
  EXPECT_EQ(o.engine.market.default_on_demand_capacity, -1);
  EXPECT_EQ(o.engine.market.default_bucket, "<5%");
  EXPECT_EQ(o.engine.market.time_scale, 1);
  EXPECT_EQ(o.engine.market.notice, std::chrono::seconds(120));
}

TEST(CloudConfigTest, BadMarketValuesNameTheirKey) {
  EXPECT_NE(ErrorOf("market: {colour: red}\n").find("market.colour"), std::string::npos);
  EXPECT_NE(ErrorOf("market: {noticeSeconds: soon}\n").find("market.noticeSeconds"),
            std::string::npos);
  EXPECT_NE(ErrorOf("market: {noticeSeconds: -3}\n").find("market.noticeSeconds"),
            std::string::npos);
  EXPECT_NE(ErrorOf("market: {defaultBucket: \"3%\"}\n").find("market.defaultBucket"),
            std::string::npos);
  EXPECT_NE(ErrorOf("market: {enabled: maybe}\n").find("market.enabled"), std::string::npos);
  EXPECT_NE(ErrorOf("market: {pools: [{instanceType: t3.micro}]}\n")
                .find("market.pools[0].availabilityZone"),
            std::string::npos);
  EXPECT_NE(ErrorOf("market: {pools: [{instanceType: t3.micro, availabilityZone: a, size: 3}]}\n")
                .find("market.pools[0].size"),
            std::string::npos);
  EXPECT_NE(ErrorOf("market: {priceModel: csv}\n").find("market.csvPath"), std::string::npos);
  EXPECT_NE(ErrorOf("market: [1, 2]\n").find("market: expected a mapping"), std::string::npos);
}

TEST(CloudConfigTest, RetentionKeysSetTheEnginesRetentionAndRefuseNonsense) {
  LocalCloudOptions o;
  ASSERT_TRUE(ApplyCloudConfigText("terminatedRetentionSeconds: 60\n"
                                   "spotRequestRetentionSeconds: 120\n"
                                   "costRetentionSeconds: 86400\n"
                                   "clientTokenRetentionSeconds: 3600\n",
                                   &o)
                  .ok());
  EXPECT_EQ(o.engine.terminated_retention, std::chrono::seconds(60));
  EXPECT_EQ(o.engine.spot_request_retention, std::chrono::seconds(120));
  EXPECT_EQ(o.engine.cost_retention, std::chrono::hours(24));
  EXPECT_EQ(o.engine.client_token_retention, std::chrono::hours(1));
  for (const char* key : {"terminatedRetentionSeconds", "spotRequestRetentionSeconds",
                          "costRetentionSeconds", "clientTokenRetentionSeconds"}) {
    for (const char* bad : {"0", "-5", "soon"}) {
      std::string err = ErrorOf(std::string(key) + ": " + bad + "\n");
      EXPECT_NE(err.find(key), std::string::npos) << key << ": " << bad << " -> " << err;
    }
  }
}

TEST(CloudConfigTest, ARelativeCsvPathIsRelativeToTheConfigFile) {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("sk_cloud_config_test_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "cloud.yaml").string();
  std::ofstream(path) << "market: {priceModel: csv, csvPath: prices.csv}\n";
  LocalCloudOptions o;
  Status s = ApplyCloudConfigFile(path, &o);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(o.engine.market.csv_path, (dir / "prices.csv").string());
}

}  // namespace
}  // namespace spotkeeper::cloud
