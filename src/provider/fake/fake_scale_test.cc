// 100,000 instances: the simulation's scale. Prints how long it took (no timed assertion).
#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>

#include "provider/fake/fake_cloud_test_util.h"

namespace spotkeeper::testing_fake {
namespace {

TEST(FakeScaleTest, HundredThousandInstances) {
  // CPU time of this process: the machine is shared, wall time says little.
  struct Cpu {
    static std::clock_t now() { return std::clock(); }
  };
  using Wall = Cpu;
  auto ms = [](std::clock_t d) { return static_cast<int64_t>(d) * 1000 / CLOCKS_PER_SEC; };
  const auto start = Wall::now();
  FakeClock clock;
  FakeCloudOptions o;
  o.throttle = false;
  FakeCloud cloud(&clock, 7, o);
  const std::string image = cloud.AddImage("base");
  std::vector<std::string> subnets = {*cloud.AddSubnet("us-east-1a", "10.16.0.0/16"),
                                      *cloud.AddSubnet("us-east-1b", "10.17.0.0/16")};
  constexpr int kInstances = 100'000;
  std::vector<std::string> ids;
  ids.reserve(kInstances);
  RunInstanceRequest r;
  r.image_id = image;
  r.instance_type = "m5.large";
  r.market = Market::kSpot;
  for (int i = 0; i < kInstances; ++i) {
    r.subnet_id = subnets[static_cast<size_t>(i % 2)];
    r.tags = {{kTagGroup, "g"}, {kTagSsi, "ssi-" + std::to_string(i)}};
    r.client_token = "t-" + std::to_string(i);
    Result<Instance> inst = cloud.RunInstance(r);
    ASSERT_TRUE(inst.ok()) << i << " " << inst.status().ToString();
    ids.push_back(inst->id);
  }
  const auto launched = Wall::now();

  clock.Advance(Duration{20'000});
  cloud.Process();  // 100k pending -> running, ENIs attached, status checks
  const auto processed = Wall::now();

  // Tag-filtered Describe calls stay cheap thanks to the index.
  for (int i = 0; i < 10'000; ++i) {
    int k = (i * 7919) % kInstances;
    Result<std::vector<Instance>> one =
        cloud.DescribeInstances({{}, {{kTagSsi, "ssi-" + std::to_string(k)}}, {}, ""});
    ASSERT_TRUE(one.ok());
    ASSERT_EQ(one->size(), 1u);
    ASSERT_EQ((*one)[0].id, ids[static_cast<size_t>(k)]);
    ASSERT_EQ((*one)[0].state, InstanceState::kRunning);
    Result<std::vector<Volume>> vols =
        cloud.DescribeVolumes({{}, {{kTagToken, "t-" + std::to_string(k)}}, {}, ""});
    ASSERT_TRUE(vols.ok());
    ASSERT_EQ(vols->size(), 1u);
  }
  const auto described = Wall::now();

  Result<std::vector<Instance>> all = cloud.DescribeInstances({{}, {}, {"running"}, ""});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), static_cast<size_t>(kInstances));
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(cloud.Interrupt(ids[static_cast<size_t>(i)]).ok());
  clock.Advance(Duration{130'000});
  cloud.Process();
  const auto done = Wall::now();
  Result<std::vector<Instance>> gone = cloud.DescribeInstances({{}, {}, {"terminated"}, ""});
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone->size(), 1000u);

  std::printf(
      "[ cpu time ] %d RunInstances %lld ms, Process %lld ms, 20000 tag-filtered Describe "
      "%lld ms, full Describe + 1000 interruptions %lld ms, total %lld ms\n",
      kInstances, static_cast<long long>(ms(launched - start)),
      static_cast<long long>(ms(processed - launched)),
      static_cast<long long>(ms(described - processed)),
      static_cast<long long>(ms(done - described)), static_cast<long long>(ms(done - start)));
}

}  // namespace
}  // namespace spotkeeper::testing_fake
