#include "provider/provider_faults.h"

#include <gtest/gtest.h>

namespace spotkeeper {
namespace {

TEST(ProviderFaultsTest, ParsesGlobalAndPerActionFaults) {
  auto f = ParseProviderFaults(
      "error=0.05, latency=20ms,lost=0.01,seed=7,RunInstances.error=0.3,AttachVolume.lost=0.2,"
      "DescribeInstances.latency=1.5s");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->seed, 7u);
  EXPECT_EQ(f->all, (FaultRates{0.05, 0, 0.01, Duration{20}}));
  // An action's keys override the global ones; the rest are the global ones.
  EXPECT_EQ(f->For("RunInstances"), (FaultRates{0.3, 0, 0.01, Duration{20}}));
  EXPECT_EQ(f->For("AttachVolume"), (FaultRates{0.05, 0, 0.2, Duration{20}}));
  EXPECT_EQ(f->For("DescribeInstances"), (FaultRates{0.05, 0, 0.01, Duration{1500}}));
  EXPECT_EQ(f->For("CreateVolume"), f->all);
  EXPECT_FALSE(f->empty());
}

TEST(ProviderFaultsTest, OrderDoesNotMatterAndEmptyIsNoFaults) {
  auto a = ParseProviderFaults("RunInstances.error=0.5,error=0.1");
  auto b = ParseProviderFaults("error=0.1,RunInstances.error=0.5");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(a->For("RunInstances").error, 0.5);

  auto none = ParseProviderFaults("");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  auto zeros = ParseProviderFaults("error=0,latency=0,seed=3");
  ASSERT_TRUE(zeros.ok());
  EXPECT_TRUE(zeros->empty());
  auto only_one = ParseProviderFaults("CreateSnapshot.terminal=1");
  ASSERT_TRUE(only_one.ok());
  EXPECT_FALSE(only_one->empty());
  EXPECT_EQ(only_one->For("CreateSnapshot").terminal, 1.0);
  EXPECT_EQ(only_one->For("CreateVolume").terminal, 0.0);
}

TEST(ProviderFaultsTest, FormatReadsBack) {
  for (const char* text :
       {"", "error=0.05", "error=0.05,lost=0.01,latency=20ms,seed=7",
        "terminal=0.001,RunInstances.error=0.3,ReceiveMessage.latency=1500ms",
        "error=0.1,AttachVolume.error=0.1"}) {
    auto f = ParseProviderFaults(text);
    ASSERT_TRUE(f.ok()) << text << ": " << f.status().ToString();
    std::string formatted = FormatProviderFaults(*f);
    auto again = ParseProviderFaults(formatted);
    ASSERT_TRUE(again.ok()) << formatted;
    EXPECT_EQ(*again, *f) << text << " -> " << formatted;
  }
  EXPECT_EQ(FormatProviderFaults(*ParseProviderFaults("lost=0.01,error=0.05,seed=7")),
            "error=0.05,lost=0.01,seed=7");
}

TEST(ProviderFaultsTest, ErrorsNameTheBadItem) {
  struct Case {
    const char* text;
    const char* want;  // a part of the message
  };
  for (const Case& c : std::vector<Case>{
           {"eror=0.1", "item 'eror=0.1': unknown key 'eror'"},
           {"error=0.1,lost", "item 'lost': expected KEY=VALUE"},
           {"error=1.5", "item 'error=1.5': a rate must be between 0 and 1"},
           {"error=-0.1", "item 'error=-0.1': a rate must be between 0 and 1"},
           {"lost=abc", "item 'lost=abc': 'abc' is not a number"},
           {"latency=20", "item 'latency=20': '20' needs a unit"},
           {"latency=2h", "item 'latency=2h': '2h' needs a unit"},
           {"latency=5m", "item 'latency=5m': latency is at most 1m"},
           {"seed=-1", "item 'seed=-1': the seed must be a non-negative integer"},
           {"seed=x", "item 'seed=x'"},
           {"RunInstance.error=0.1", "item 'RunInstance.error=0.1': 'RunInstance' is not an action"},
           {"RunInstances.seed=1", "item 'RunInstances.seed=1': unknown key 'seed'"},
           {"error=0.6,terminal=0.6", "error + terminal is above 1"},
           {"RunInstances.error=0.6,terminal=0.6", "RunInstances: error + terminal is above 1"},
       }) {
    auto f = ParseProviderFaults(c.text);
    ASSERT_FALSE(f.ok()) << c.text;
    EXPECT_EQ(f.status().code(), Code::kInvalidArgument);
    EXPECT_NE(f.status().message().find(c.want), std::string::npos)
        << c.text << ": " << f.status().message();
  }
}

}  // namespace
}  // namespace spotkeeper
