// Measures the driver's basic operations (printed, never asserted): StartInstance until the
// container runs, an ENI moving between instance namespaces, AttachVolume, DetachVolume,
// StopInstance of an idle instance. p50 and p90 over 20 runs.
#include <algorithm>
#include <cstdio>

#include "host/host_test_fixture.h"

namespace spotkeeper::cloud::testing {
namespace {

using TimingTest = HostDriverTest;
using Clock = std::chrono::steady_clock;

constexpr int kRuns = 20;

double Ms(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d).count() / 1000.0;
}

void Report(const char* what, std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  std::printf("  %-34s p50 %7.1f ms   p90 %7.1f ms   (n=%zu)\n", what, ms[ms.size() / 2],
              ms[ms.size() * 9 / 10], ms.size());
}

TEST_F(TimingTest, BasicOperations) {
  MakeVpc();
  NicConfig nic = Nic(10), moving = Nic(11);
  ASSERT_OK(driver_->CreateNic(nic));
  ASSERT_OK(driver_->CreateNic(moving));
  CreateVolume("vol-data");
  InstanceConfig config = Instance("i-t", nic);
  std::vector<double> start, attach, detach, stop, eni_move;
  for (int i = 0; i < kRuns; ++i) {
    auto t0 = Clock::now();
    ASSERT_OK(driver_->StartInstance(config));
    auto t1 = Clock::now();
    ASSERT_OK(driver_->AttachVolume("i-t", {"vol-data", "/dev/sdf"}));
    auto t2 = Clock::now();
    ASSERT_OK(driver_->DetachVolume("i-t", {"vol-data", "/dev/sdf"}));
    auto t3 = Clock::now();
    ASSERT_OK(driver_->StopInstance("i-t", std::chrono::seconds(5)));
    auto t4 = Clock::now();
    start.push_back(Ms(t1 - t0));
    attach.push_back(Ms(t2 - t1));
    detach.push_back(Ms(t3 - t2));
    stop.push_back(Ms(t4 - t3));
  }
  // An ENI from one instance's namespace to another's (what a replacement does between the
  // stop of the old instance and the start of the new one).
  auto& net = driver_->network();
  ASSERT_OK(net.EnsureInstanceNamespace("i-x"));
  ASSERT_OK(net.EnsureInstanceNamespace("i-y"));
  ASSERT_OK(net.MoveNicIn("i-x", moving));
  for (int i = 0; i < kRuns; ++i) {
    const std::string from = i % 2 == 0 ? "i-x" : "i-y", to = i % 2 == 0 ? "i-y" : "i-x";
    auto t0 = Clock::now();
    ASSERT_OK(net.ParkNics(from));
    ASSERT_OK(net.MoveNicIn(to, moving));
    eni_move.push_back(Ms(Clock::now() - t0));
  }
  ASSERT_OK(net.DeleteInstanceNamespace("i-x"));
  ASSERT_OK(net.DeleteInstanceNamespace("i-y"));
  EXPECT_TRUE(*net.NicExists(moving));

  std::printf("LinuxHostDriver timings on this host:\n");
  Report("StartInstance -> running", start);
  Report("ENI move (park + move in + IP)", eni_move);
  Report("AttachVolume (loop + mount)", attach);
  Report("DetachVolume", detach);
  Report("StopInstance (idle init, SIGTERM)", stop);
}

}  // namespace
}  // namespace spotkeeper::cloud::testing
