// health.serving: reading, defaults, the canonical JSON and validation.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "spec/spec_test_util.h"

namespace spotkeeper {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kBase[] = R"(
name: etcd
region: us-east-1
compute:
  availabilityZones: [{name: us-east-1a, subnetIds: [subnet-0a1b2c3d]}]
  instanceTypes: {ondemand: m5.large, spot: [m5.large]}
  launchSpecification: {imageId: ami-0123}
strategy:
  persistence: {shouldPersistRootDevice: true}
)";

ParseOutcome Parse(const std::string& health) { return ParseGroupSpec(kBase + health); }

TEST(ServingCheckTest, AbsentMeansNoCheck) {
  ParseOutcome o = Parse("");
  ASSERT_TRUE(o.ok()) << o.ErrorText();
  EXPECT_FALSE(o.spec->health.serving.has_value());
  EXPECT_FALSE(ToJson(*o.spec)["health"].contains("serving"));
}

TEST(ServingCheckTest, ReadsTcpPortWithDefaultsAndRoundTripsThroughJson) {
  ParseOutcome o = Parse("health:\n  serving: {tcp: {port: 2379}}\n");
  ASSERT_TRUE(o.ok()) << o.ErrorText();
  ASSERT_TRUE(o.spec->health.serving.has_value());
  const ServingCheckSpec& c = *o.spec->health.serving;
  EXPECT_EQ(c.tcp_port, 2379);
  EXPECT_EQ(c.grace_period_seconds, 300);
  EXPECT_EQ(c.interval_seconds, 5);
  EXPECT_EQ(c.timeout_seconds, 2);
  nlohmann::json j = ToJson(*o.spec);
  EXPECT_EQ(j["health"]["serving"],
            nlohmann::json::parse(
                R"({"tcp": {"port": 2379}, "gracePeriod": 300, "interval": 5, "timeout": 2})"));
  ParseOutcome again = ParseGroupSpecJson(j);
  ASSERT_TRUE(again.ok()) << again.ErrorText();
  EXPECT_EQ(*again.spec, *o.spec);

  o = Parse("health:\n  serving: {tcp: {port: 6379}, gracePeriod: 60, interval: 2, timeout: 1}\n");
  ASSERT_TRUE(o.ok()) << o.ErrorText();
  EXPECT_EQ(*o.spec->health.serving, (ServingCheckSpec{6379, 60, 2, 1}));
}

TEST(ServingCheckTest, TcpIsRequiredAndUnknownFieldsAreNamed) {
  ParseOutcome o = Parse("health:\n  serving: {gracePeriod: 60}\n");
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.ErrorText(), ::testing::HasSubstr("health.serving.tcp: is required"));
  EXPECT_THAT(o.ErrorText(), ::testing::HasSubstr("tcp: {port: 2379}"));

  o = Parse("health:\n  serving: {tcp: {port: 2379}, grace: 60}\n");
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.ErrorText(), ::testing::HasSubstr("health.serving.grace"));
  EXPECT_THAT(o.ErrorText(), ::testing::HasSubstr("gracePeriod"));

  o = Parse("health:\n  serving: {tcp: {port: two}}\n");
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.ErrorText(), ::testing::HasSubstr("health.serving.tcp.port"));
}

TEST(ServingCheckTest, ValidationNamesTheFieldAndWhatToWrite) {
  GroupSpec s = ValidSpec();
  s.health.serving = ServingCheckSpec{2379, 120, 5, 2};
  EXPECT_THAT(ErrorsOf(s), IsEmpty());

  s.health.serving = ServingCheckSpec{0, 120, 5, 2};
  EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("health.serving.tcp.port", "is 0; write the port")));
  s.health.serving = ServingCheckSpec{65536, 120, 5, 2};
  EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("health.serving.tcp.port", "1 to 65535")));

  s.health.serving = ServingCheckSpec{2379, 120, 0, 1};
  EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("health.serving.interval", "write 1 to 300")));

  s.health.serving = ServingCheckSpec{2379, 120, 5, 0};
  EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("health.serving.timeout", "write 1 to 60")));
  s.health.serving = ServingCheckSpec{2379, 120, 5, 10};
  EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("health.serving.timeout", "longer than interval")));

  s.health.serving = ServingCheckSpec{2379, 3, 5, 2};
  EXPECT_THAT(ErrorsOf(s),
              ElementsAre(Err("health.serving.gracePeriod", "from the interval up to 86400")));
  s.health.serving = ServingCheckSpec{2379, 86401, 5, 2};
  EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("health.serving.gracePeriod", "nothing is deleted")));
}

}  // namespace
}  // namespace spotkeeper
