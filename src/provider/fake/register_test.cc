#include "provider/fake/register.h"

#include <gtest/gtest.h>

#include "provider/fake/fake_cloud.h"

namespace spotkeeper {
namespace {

TEST(RegisterFakeProviderTest, CreatesAFakeCloudFromOptions) {
  ProviderRegistry registry;
  ASSERT_TRUE(RegisterFakeProvider(registry).ok());
  EXPECT_EQ(RegisterFakeProvider(registry).code(), Code::kAlreadyExists);
  FakeClock clock;
  ProviderOptions options;
  options.clock = &clock;
  options.seed = 9;
  options.config = {{"availabilityZones", {"eu-west-1a", "eu-west-1b"}}, {"throttle", false}};
  Result<std::unique_ptr<CloudProvider>> p = registry.Create("fake", options);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ((*p)->Name(), "fake");
  Result<std::vector<AvailabilityZone>> zones = (*p)->DescribeAvailabilityZones();
  ASSERT_TRUE(zones.ok());
  ASSERT_EQ(zones->size(), 2u);
  EXPECT_EQ((*zones)[1].name, "eu-west-1b");
  auto* fake = dynamic_cast<FakeCloud*>(p->get());
  ASSERT_NE(fake, nullptr);
  // The seed decides the ids.
  Result<std::unique_ptr<CloudProvider>> q = registry.Create("fake", options);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ((*(*p)->DescribeSubnets({}))[0].id, (*(*q)->DescribeSubnets({}))[0].id);
}

TEST(RegisterFakeProviderTest, RejectsBadConfig) {
  ProviderRegistry registry;
  ASSERT_TRUE(RegisterFakeProvider(registry).ok());
  ProviderOptions options;
  options.config = {{"availabilityZones", "us-east-1a"}};
  EXPECT_EQ(registry.Create("fake", options).status().code(), Code::kInvalidArgument);
  options.config = {{"availabilityZones", nlohmann::json::array()}};
  EXPECT_EQ(registry.Create("fake", options).status().code(), Code::kInvalidArgument);
  options.config = {{"throttle", "yes"}};
  EXPECT_EQ(registry.Create("fake", options).status().code(), Code::kInvalidArgument);
  options.config = nlohmann::json::array();
  EXPECT_EQ(registry.Create("fake", options).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace spotkeeper
