// health.serving and health.leader: reading, defaults, the canonical JSON and validation.
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
  EXPECT_EQ(c.probe.port, 2379);
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
  EXPECT_EQ(*o.spec->health.serving, (TcpServing(6379, 60, 2, 1)));
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
  s.health.serving = TcpServing(2379, 120, 5, 2);
  EXPECT_THAT(ErrorsOf(s), IsEmpty());

  s.health.serving = TcpServing(0, 120, 5, 2);
  EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("health.serving.tcp.port", "is 0; write the port")));
  s.health.serving = TcpServing(65536, 120, 5, 2);
  EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("health.serving.tcp.port", "1 to 65535")));

  s.health.serving = TcpServing(2379, 120, 0, 1);
  EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("health.serving.interval", "write 1 to 300")));

  s.health.serving = TcpServing(2379, 120, 5, 0);
  EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("health.serving.timeout", "write 1 to 60")));
  s.health.serving = TcpServing(2379, 120, 5, 10);
  EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("health.serving.timeout", "longer than interval")));

  s.health.serving = TcpServing(2379, 3, 5, 2);
  EXPECT_THAT(ErrorsOf(s),
              ElementsAre(Err("health.serving.gracePeriod", "from the interval up to 86400")));
  s.health.serving = TcpServing(2379, 86401, 5, 2);
  EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("health.serving.gracePeriod", "nothing is deleted")));
}

TEST(ServingCheckTest, ReadsHttpWithDefaultsAndRoundTripsThroughJson) {
  ParseOutcome o =
      Parse("health:\n  serving: {http: {port: 2379, expectBody: '\"health\":\"true\"'}}\n");
  ASSERT_TRUE(o.ok()) << o.ErrorText();
  const ServingProbe& p = o.spec->health.serving->probe;
  EXPECT_EQ(p.kind, ServingProbe::Kind::kHttp);
  EXPECT_EQ(p.port, 2379);
  EXPECT_EQ(p.path, "/health");
  EXPECT_EQ(p.expect_status, 200);
  EXPECT_EQ(p.expect, R"("health":"true")");
  nlohmann::json j = ToJson(*o.spec);
  EXPECT_EQ(j["health"]["serving"]["http"],
            nlohmann::json::parse(
                R"({"port": 2379, "path": "/health", "expectStatus": 200,
                    "expectBody": "\"health\":\"true\""})"));
  EXPECT_FALSE(j["health"]["serving"].contains("tcp"));
  ParseOutcome again = ParseGroupSpecJson(j);
  ASSERT_TRUE(again.ok()) << again.ErrorText();
  EXPECT_EQ(*again.spec, *o.spec);

  o = Parse("health:\n  serving: {http: {port: 8080, path: /ready, expectStatus: 204}}\n");
  ASSERT_TRUE(o.ok()) << o.ErrorText();
  EXPECT_EQ(o.spec->health.serving->probe.path, "/ready");
  EXPECT_EQ(o.spec->health.serving->probe.expect_status, 204);
  EXPECT_EQ(o.spec->health.serving->probe.expect, "");
  EXPECT_FALSE(ToJson(*o.spec)["health"]["serving"]["http"].contains("expectBody"));
}

TEST(ServingCheckTest, ReadsTcpSendExpectAndRoundTripsThroughJson) {
  ParseOutcome o =
      Parse("health:\n  serving: {tcp: {port: 2181, send: \"srvr\\n\", expect: \"Mode: \"}}\n");
  ASSERT_TRUE(o.ok()) << o.ErrorText();
  const ServingProbe& p = o.spec->health.serving->probe;
  EXPECT_EQ(p.kind, ServingProbe::Kind::kTcp);
  EXPECT_EQ(p.send, "srvr\n");
  EXPECT_EQ(p.expect, "Mode: ");
  nlohmann::json j = ToJson(*o.spec);
  EXPECT_EQ(j["health"]["serving"]["tcp"],
            nlohmann::json::parse(R"({"port": 2181, "send": "srvr\n", "expect": "Mode: "})"));
  ParseOutcome again = ParseGroupSpecJson(j);
  ASSERT_TRUE(again.ok()) << again.ErrorText();
  EXPECT_EQ(*again.spec, *o.spec);
}

TEST(ServingCheckTest, ExactlyOneKindAndEachKindsFieldsAreNamed) {
  ParseOutcome o = Parse("health:\n  serving: {tcp: {port: 2379}, http: {port: 2379}}\n");
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.ErrorText(), ::testing::HasSubstr("health.serving.http: and health.serving.tcp "
                                                  "are both set; write exactly one kind"));
  o = Parse("health:\n  serving: {interval: 5}\n");
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.ErrorText(), ::testing::HasSubstr("health.serving.tcp: is required (or http)"));
  // A field of the other kind is named as unknown where it was written.
  o = Parse("health:\n  serving: {http: {port: 2379, send: x}}\n");
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.ErrorText(), ::testing::HasSubstr("health.serving.http.send"));
  o = Parse("health:\n  serving: {tcp: {port: 2379, path: /health}}\n");
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.ErrorText(), ::testing::HasSubstr("health.serving.tcp.path"));
  o = Parse("health:\n  serving: {http: {port: 2379, expectStatus: ok}}\n");
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.ErrorText(), ::testing::HasSubstr("health.serving.http.expectStatus"));
}

TEST(ServingCheckTest, ValidationOfTheRicherKindsNamesTheField) {
  GroupSpec s = ValidSpec();
  ServingCheckSpec c = TcpServing(2379, 120, 5, 2);
  c.probe.kind = ServingProbe::Kind::kHttp;
  c.probe.expect = R"("health":"true")";
  s.health.serving = c;
  EXPECT_THAT(ErrorsOf(s), IsEmpty());

  ServingCheckSpec bad = c;
  bad.probe.port = 0;
  s.health.serving = bad;
  EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("health.serving.http.port", "1 to 65535")));
  bad = c;
  bad.probe.path = "health";
  s.health.serving = bad;
  EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("health.serving.http.path", "an absolute path")));
  bad.probe.path = "/he alth";
  s.health.serving = bad;
  EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("health.serving.http.path", "without spaces")));
  bad = c;
  bad.probe.expect_status = 42;
  s.health.serving = bad;
  EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("health.serving.http.expectStatus", "100 to 599")));
  bad = c;
  bad.probe.expect = std::string(1025, 'x');
  s.health.serving = bad;
  EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("health.serving.http.expectBody", "at most 1024")));

  ServingCheckSpec zk = TcpServing(2181, 120, 5, 2);
  zk.probe.send = "srvr\n";
  zk.probe.expect = "Mode: ";
  s.health.serving = zk;
  EXPECT_THAT(ErrorsOf(s), IsEmpty());
  bad = zk;
  bad.probe.send = std::string(2000, 'x');
  s.health.serving = bad;
  EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("health.serving.tcp.send", "at most 1024")));
  bad = zk;
  bad.probe.expect = std::string(2000, 'x');
  s.health.serving = bad;
  EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("health.serving.tcp.expect", "at most 1024")));
}

// health.leader: the same probe kinds, only its own timeout, and a tcp check must say what only
// the leader answers.
TEST(LeaderCheckTest, ReadsBothKindsWithDefaultsAndRoundTripsThroughJson) {
  ParseOutcome o = Parse(
      "health:\n  leader: {tcp: {port: 2181, send: \"srvr\\n\", expect: \"Mode: leader\"}}\n");
  ASSERT_TRUE(o.ok()) << o.ErrorText();
  ASSERT_TRUE(o.spec->health.leader.has_value());
  EXPECT_FALSE(o.spec->health.serving.has_value());
  const LeaderCheckSpec& c = *o.spec->health.leader;
  EXPECT_EQ(c.probe.kind, ServingProbe::Kind::kTcp);
  EXPECT_EQ(c.probe.send, "srvr\n");
  EXPECT_EQ(c.probe.expect, "Mode: leader");
  EXPECT_EQ(c.timeout_seconds, 2);
  nlohmann::json j = ToJson(*o.spec);
  EXPECT_EQ(
      j["health"]["leader"],
      nlohmann::json::parse(
          R"({"tcp": {"port": 2181, "send": "srvr\n", "expect": "Mode: leader"}, "timeout": 2})"));
  ParseOutcome again = ParseGroupSpecJson(j);
  ASSERT_TRUE(again.ok()) << again.ErrorText();
  EXPECT_EQ(*again.spec, *o.spec);

  o = Parse("health:\n  leader: {http: {port: 8008, path: /primary}, timeout: 3}\n");
  ASSERT_TRUE(o.ok()) << o.ErrorText();
  EXPECT_EQ(o.spec->health.leader->probe.kind, ServingProbe::Kind::kHttp);
  EXPECT_EQ(o.spec->health.leader->probe.path, "/primary");
  EXPECT_EQ(o.spec->health.leader->probe.expect_status, 200);
  EXPECT_EQ(o.spec->health.leader->timeout_seconds, 3);
  EXPECT_FALSE(ToJson(*o.spec)["health"].contains("serving"));
}

TEST(LeaderCheckTest, BadChecksNameTheFieldAndSayWhatToWrite) {
  ParseOutcome o = Parse("health:\n  leader: {timeout: 2}\n");
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.ErrorText(), ::testing::HasSubstr("health.leader.tcp: is required (or http)"));
  EXPECT_THAT(o.ErrorText(), ::testing::HasSubstr("Mode: leader"));
  o = Parse("health:\n  leader: {tcp: {port: 2181, expect: x}, http: {port: 8008}}\n");
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.ErrorText(), ::testing::HasSubstr("health.leader.http: and health.leader.tcp are "
                                                  "both set"));
  o = Parse("health:\n  leader: {tcp: {port: 2181, expect: x}, interval: 5}\n");
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.ErrorText(), ::testing::HasSubstr("health.leader.interval"));

  o = Parse("health:\n  leader: {tcp: {port: 2181}}\n");
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.ErrorText(), ::testing::HasSubstr("health.leader.tcp.expect: is empty; a "
                                                  "connection alone cannot tell the leader"));
  o = Parse("health:\n  leader: {tcp: {port: 0, expect: x}, timeout: 61}\n");
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.ErrorText(), ::testing::HasSubstr("health.leader.tcp.port: is 0"));
  EXPECT_THAT(o.ErrorText(), ::testing::HasSubstr("health.leader.timeout: is 61; write 1 to 60"));
  o = Parse("health:\n  leader: {http: {port: 8008, path: primary}}\n");
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.ErrorText(), ::testing::HasSubstr("health.leader.http.path: is 'primary'"));
}

}  // namespace
}  // namespace spotkeeper
