// `spotkeeper cloud faults show|set|clear` (the real binary) against a LocalCloud served in this
// process on the fake host driver: the CLI finds it through its data dir, signs with its key,
// and the faults it sets act on the next EC2 call.
#include <gtest/gtest.h>

#include <mutex>

#include "cloud/api/api_test_util.h"
#include "sim_server.h"
#include "subprocess.h"

namespace spotkeeper::cloud {
namespace {

using aws::QueryParams;
using testing::RunProcess;
using testing::RunResult;
using testing::SpotkeeperBinary;

class CloudFaultsCliTest : public CloudApiTest {
 protected:
  void Customize(LocalCloudOptions& o) override {
    o.fault_sleeper = [this](Duration d) {
      std::lock_guard<std::mutex> lock(mu_);
      slept_.push_back(d);
    };
  }
  RunResult Faults(std::vector<std::string> args, const std::string& data_dir = "") {
    std::vector<std::string> argv = {SpotkeeperBinary(), "cloud", "faults"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--data-dir", data_dir.empty() ? dir_.string() : data_dir});
    return RunProcess(argv, {{"HOME", dir_.string()}}, std::chrono::seconds(60));
  }
  std::mutex mu_;
  std::vector<Duration> slept_;
};

TEST_F(CloudFaultsCliTest, SetShowClear) {
  RunResult set = Faults({"set", "--error-rate", "1", "--error-code", "Unavailable", "--action",
                          "DescribeVpcs", "--latency", "50ms", "--jitter", "20ms"});
  ASSERT_EQ(set.exit, 0) << set.out << set.err;
  EXPECT_NE(set.out.find("EC2 endpoint faults: on"), std::string::npos) << set.out;
  EXPECT_NE(set.out.find("100% of calls answer Unavailable (HTTP 503)"), std::string::npos)
      << set.out;
  EXPECT_NE(set.out.find("50ms + up to 20ms jitter"), std::string::npos) << set.out;
  EXPECT_NE(set.out.find("actions     DescribeVpcs"), std::string::npos) << set.out;
  Ec2FaultConfig c = cloud_->faults()->config();
  EXPECT_EQ(c.error_rate, 1);
  EXPECT_EQ(c.latency, Duration{50});
  EXPECT_EQ(c.jitter, Duration{20});

  auto r = Ec2(QueryParams("DescribeVpcs", "2016-11-15"));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(ErrorCode(r), "Unavailable");
  EXPECT_EQ(Ec2(QueryParams("DescribeSubnets", "2016-11-15")).status, 200);
  {
    std::lock_guard<std::mutex> lock(mu_);
    ASSERT_EQ(slept_.size(), 1u);
    EXPECT_GE(slept_[0], Duration{50});
    EXPECT_LE(slept_[0], Duration{70});
  }

  RunResult show = Faults({"show"});
  ASSERT_EQ(show.exit, 0) << show.err;
  EXPECT_NE(show.out.find("1 calls: 1 failed, 0 throttled, 1 delayed"), std::string::npos)
      << show.out;
  RunResult json = Faults({"show", "--json"});
  ASSERT_EQ(json.exit, 0) << json.err;
  auto j = nlohmann::json::parse(json.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << json.out;
  EXPECT_EQ(j["ec2"]["errorCode"], "Unavailable");
  EXPECT_EQ(j["stats"]["ec2"]["errors"], 1);

  RunResult clear = Faults({"clear"});
  ASSERT_EQ(clear.exit, 0) << clear.err;
  EXPECT_EQ(clear.out, "EC2 endpoint faults: off\n");
  EXPECT_EQ(Ec2(QueryParams("DescribeVpcs", "2016-11-15")).status, 200);
}

TEST_F(CloudFaultsCliTest, ThrottleFlag) {
  RunResult set = Faults({"set", "--throttle", "--throttle-scale", "0.01", "--seed", "5"});
  ASSERT_EQ(set.exit, 0) << set.out << set.err;
  EXPECT_NE(set.out.find("EC2's request and resource token buckets (x0.01 size and refill)"),
            std::string::npos)
      << set.out;
  EXPECT_NE(set.out.find("seed        5"), std::string::npos) << set.out;
  QueryParams run("RunInstances", "2016-11-15");
  run.Set("ImageId", "ami-00000000000000001").Set("MinCount", 1).Set("MaxCount", 1);
  run.Set("DryRun", true);
  EXPECT_EQ(ErrorCode(Ec2(run)), "DryRunOperation");
  EXPECT_EQ(ErrorCode(Ec2(run)), "RequestLimitExceeded");
}

TEST_F(CloudFaultsCliTest, BadFlagsAreUsageErrorsAndChangeNothing) {
  RunResult none = Faults({"set"});
  EXPECT_EQ(none.exit, 2);
  EXPECT_NE(none.err.find("no fault given"), std::string::npos) << none.err;
  RunResult latency = Faults({"set", "--latency", "5parsecs"});
  EXPECT_EQ(latency.exit, 2);
  EXPECT_NE(latency.err.find("--latency '5parsecs' is not a duration"), std::string::npos)
      << latency.err;
  RunResult code = Faults({"set", "--error-rate", "0.1", "--error-code", "Boom"});
  EXPECT_EQ(code.exit, 2) << code.err;
  RunResult rate = Faults({"set", "--error-rate", "1.5"});
  EXPECT_EQ(rate.exit, 2) << rate.err;
  RunResult lonely = Faults({"set", "--error-code", "Unavailable"});
  EXPECT_EQ(lonely.exit, 2);
  EXPECT_NE(lonely.err.find("--error-code needs --error-rate"), std::string::npos) << lonely.err;
  EXPECT_FALSE(cloud_->faults()->config().enabled());
}

TEST_F(CloudFaultsCliTest, NoCloudServingIsAClearError) {
  std::string empty = (dir_ / "elsewhere").string();
  std::filesystem::create_directories(empty);
  RunResult r = Faults({"show"}, empty);
  EXPECT_EQ(r.exit, 6);
  EXPECT_NE(r.err.find("no cloud has served from " + empty), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("spotkeeper cloud serve --data-dir " + empty), std::string::npos) << r.err;
  // A cloud that ran there but stopped: its endpoint does not answer.
  cloud_.reset();
  r = Faults({"show"});
  EXPECT_EQ(r.exit, 6);
  EXPECT_NE(r.err.find("no cloud answers at"), std::string::npos) << r.err;
}

TEST_F(CloudFaultsCliTest, HelpNamesTheFlags) {
  RunResult help = RunProcess({SpotkeeperBinary(), "cloud", "faults", "set", "--help"},
                              {{"HOME", dir_.string()}});
  EXPECT_EQ(help.exit, 0) << help.err;
  for (const char* flag : {"--error-rate", "--error-code", "--latency", "--jitter", "--throttle",
                           "--throttle-scale", "--action", "--seed", "--data-dir"}) {
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag << "\n" << help.out;
  }
  EXPECT_NE(help.out.find("InternalError (500), Unavailable (503)"), std::string::npos) << help.out;
}

}  // namespace
}  // namespace spotkeeper::cloud
