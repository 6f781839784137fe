#include "provider/ec2/ec2_provider_config.h"

#include <gtest/gtest.h>

#include <map>

namespace spotkeeper {
namespace {

aws::EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& n) -> std::optional<std::string> {
    auto it = vars.find(n);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(Ec2ProviderConfigTest, DefaultsAndEnvironmentRegion) {
  auto c = Ec2ProviderConfig::FromJson(nlohmann::json::object(), Env({}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->region, "us-east-1");
  EXPECT_EQ(c->Ec2Endpoint(), "https://ec2.us-east-1.amazonaws.com");
  EXPECT_EQ(c->SqsEndpoint(), "https://sqs.us-east-1.amazonaws.com");
  EXPECT_EQ(c->events_wait_seconds, 20);
  EXPECT_EQ(c->max_attempts, 5);
  EXPECT_EQ(
      Ec2ProviderConfig::FromJson(nullptr, Env({{"AWS_DEFAULT_REGION", "eu-west-1"}}))->region,
      "eu-west-1");
  EXPECT_EQ(Ec2ProviderConfig::FromJson(
                nullptr, Env({{"AWS_DEFAULT_REGION", "eu-west-1"}, {"AWS_REGION", "ap-south-1"}}))
                ->region,
            "ap-south-1");
}

TEST(Ec2ProviderConfigTest, TheQueueUrlNamesTheAccount) {
  Ec2ProviderConfig c;
  EXPECT_EQ(c.QueueAccount(), "");  // no queue
  c.events_queue_url = "https://sqs.eu-west-1.amazonaws.com/123456789012/spotkeeper-events";
  EXPECT_EQ(c.QueueAccount(), "123456789012");
  c.events_queue_url = "http://127.0.0.1:4566/000000000000/events/";
  EXPECT_EQ(c.QueueAccount(), "000000000000");
  c.events_queue_url = "http://127.0.0.1:4566/queue/events";  // not an account: not known
  EXPECT_EQ(c.QueueAccount(), "");
  c.events_queue_url = "http://127.0.0.1:4566/12345678901x/events";
  EXPECT_EQ(c.QueueAccount(), "");
}

TEST(Ec2ProviderConfigTest, EveryKey) {
  nlohmann::json j = {{"region", "eu-central-1"},
                      {"endpointUrl", "http://127.0.0.1:5000"},
                      {"ec2EndpointUrl", "http://127.0.0.1:8773"},
                      {"sqsEndpointUrl", "http://127.0.0.1:9324/"},
                      {"eventsQueueUrl", "http://127.0.0.1:9324/000000000000/events"},
                      {"profile", "prod"},
                      {"connectTimeoutMs", 1500},
                      {"requestTimeoutMs", 9000},
                      {"maxAttempts", 3},
                      {"eventsWaitSeconds", 5},
                      {"pollIntervalMs", 2000},
                      {"describePageSize", 50}};
  auto c = Ec2ProviderConfig::FromJson(j, Env({{"AWS_REGION", "us-west-2"}}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->region, "eu-central-1");
  EXPECT_EQ(c->Ec2Endpoint(), "http://127.0.0.1:8773");
  EXPECT_EQ(c->SqsEndpoint(), "http://127.0.0.1:9324/");
  EXPECT_EQ(c->events_queue_url, "http://127.0.0.1:9324/000000000000/events");
  EXPECT_EQ(c->profile, "prod");
  EXPECT_EQ(c->connect_timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(c->request_timeout, std::chrono::milliseconds(9000));
  EXPECT_EQ(c->max_attempts, 3);
  EXPECT_EQ(c->events_wait_seconds, 5);
  EXPECT_EQ(c->poll_interval, std::chrono::milliseconds(2000));
  EXPECT_EQ(c->page_size, 50);
  j.erase("ec2EndpointUrl");
  j.erase("sqsEndpointUrl");
  c = Ec2ProviderConfig::FromJson(j);
  EXPECT_EQ(c->Ec2Endpoint(), "http://127.0.0.1:5000");
  EXPECT_EQ(c->SqsEndpoint(), "http://127.0.0.1:5000");
}

TEST(Ec2ProviderConfigTest, Errors) {
  const nlohmann::json bad[] = {
      {{"regoin", "x"}},
      {{"region", 5}},
      {{"region", ""}},
      {{"endpointUrl", "127.0.0.1:5000"}},
      {{"eventsQueueUrl", "sqs://q"}},
      {{"maxAttempts", 0}},
      {{"maxAttempts", "3"}},
      {{"eventsWaitSeconds", 21}},
      {{"describePageSize", 4}},
      {{"requestTimeoutMs", 1.5}},
      nlohmann::json::array(),
  };
  for (const auto& j : bad) {
    EXPECT_EQ(Ec2ProviderConfig::FromJson(j, Env({})).status().code(), Code::kInvalidArgument)
        << j.dump();
  }
}

}  // namespace
}  // namespace spotkeeper
