// LinuxHostDriver as root: the instance's init, user data, console log, SIGTERM and SIGKILL,
// cgroup limits, exec.
#include <signal.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "host/host_test_fixture.h"

namespace spotkeeper::cloud::testing {
namespace {

using InstanceTest = HostDriverTest;

std::string ReadTrimmed(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

TEST_F(InstanceTest, UserDataRunsAndItsOutputIsInTheConsoleLog) {
  MakeVpc();
  NicConfig n = Nic(10);
  ASSERT_OK(driver_->CreateNic(n));
  EXPECT_EQ(*driver_->ConsoleOutput("i-a"), "");  // never started: no output yet
  const std::string user_data =
      "#!/bin/sh\n"
      "echo \"user-data ran as $(id -u) on $(hostname)\"\n"
      "cat /var/lib/spotkeeper/user-data | head -1\n"
      "exit 0\n";
  ASSERT_OK(driver_->StartInstance(Instance("i-a", n, user_data)));
  ASSERT_TRUE(WaitForConsole("i-a", "user data exited with code 0")) << ConsoleOf("i-a");
  std::string console = ConsoleOf("i-a");
  EXPECT_NE(console.find("spotkeeper-init: starting instance i-a (pid 1)"), std::string::npos)
      << console;
  EXPECT_NE(console.find("user-data ran as 0 on host-i-a"), std::string::npos) << console;
  EXPECT_NE(console.find("#!/bin/sh"), std::string::npos) << console;

  // The workload ended, so did the instance; the console log stays after the stop.
  ASSERT_TRUE(WaitForInitExit("i-a"));
  auto state = driver_->GetInstanceState("i-a");
  ASSERT_OK(state);
  EXPECT_EQ(*state, RuntimeState::kStopped);
  ASSERT_OK(driver_->StopInstance("i-a", std::chrono::seconds(1)));
  EXPECT_EQ(*driver_->GetInstanceState("i-a"), RuntimeState::kMissing);
  EXPECT_NE(ConsoleOf("i-a").find("user-data ran"), std::string::npos);
}

TEST_F(InstanceTest, SigtermReachesTheWorkloadWithinTheGracePeriod) {
  MakeVpc();
  NicConfig n = Nic(10);
  ASSERT_OK(driver_->CreateNic(n));
  const std::string user_data =
      "#!/bin/sh\n"
      "trap 'echo workload-got-sigterm; exit 0' TERM\n"
      "echo workload-ready\n"
      "while :; do sleep 1; done\n";
  ASSERT_OK(driver_->StartInstance(Instance("i-a", n, user_data)));
  ASSERT_TRUE(WaitForConsole("i-a", "workload-ready")) << ConsoleOf("i-a");

  const auto grace = std::chrono::seconds(20);
  auto start = std::chrono::steady_clock::now();
  ASSERT_OK(driver_->StopInstance("i-a", grace));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, grace / 2) << "the workload did not exit on SIGTERM";
  std::string console = ConsoleOf("i-a");
  EXPECT_NE(console.find("workload-got-sigterm"), std::string::npos) << console;
  EXPECT_NE(console.find("user data exited with code 0"), std::string::npos) << console;
}

TEST_F(InstanceTest, AWorkloadIgnoringSigtermIsKilledAfterTheGracePeriod) {
  MakeVpc();
  NicConfig n = Nic(10);
  ASSERT_OK(driver_->CreateNic(n));
  const std::string user_data =
      "#!/bin/sh\n"
      "trap '' TERM\n"
      "echo stubborn-ready\n"
      "while :; do sleep 1; done\n";
  ASSERT_OK(driver_->StartInstance(Instance("i-a", n, user_data)));
  ASSERT_TRUE(WaitForConsole("i-a", "stubborn-ready")) << ConsoleOf("i-a");
  const auto grace = std::chrono::milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  Status s = driver_->StopInstance("i-a", grace);
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, grace);
  EXPECT_LT(took, std::chrono::seconds(10));
  EXPECT_EQ(*driver_->GetInstanceState("i-a"), RuntimeState::kMissing);
  // The ENI was parked, not destroyed: a new instance can use it.
  ASSERT_OK(driver_->StartInstance(Instance("i-b", n)));
}

TEST_F(InstanceTest, CgroupLimitsComeFromTheInstanceType) {
  MakeVpc();
  NicConfig n = Nic(10);
  ASSERT_OK(driver_->CreateNic(n));
  InstanceConfig config = Instance("i-a", n);
  config.memory_mib = 384;
  config.vcpus = 2;
  ASSERT_OK(driver_->StartInstance(config));
  const std::string cgroup = driver_->names().CgroupPath("i-a");
  EXPECT_EQ(ReadTrimmed("/sys/fs/cgroup/memory" + cgroup + "/memory.limit_in_bytes"),
            std::to_string(384LL * 1024 * 1024));
  EXPECT_EQ(ReadTrimmed("/sys/fs/cgroup/cpu" + cgroup + "/cpu.cfs_quota_us"), "200000");
  EXPECT_EQ(ReadTrimmed("/sys/fs/cgroup/cpu" + cgroup + "/cpu.cfs_period_us"), "100000");
  // The init is in that cgroup.
  auto pid = driver_->InstancePid("i-a");
  ASSERT_OK(pid);
  ASSERT_GT(*pid, 0);
  EXPECT_NE(
      ReadTrimmed("/sys/fs/cgroup/memory" + cgroup + "/cgroup.procs").find(std::to_string(*pid)),
      std::string::npos);
}

#if defined(__x86_64__)
// The seccomp filter and the missing NET_RAW, seen from inside a real instance: from the
// workload init starts and from `runc exec`. Syscall numbers are x86_64's.
TEST_F(InstanceTest, DangerousSyscallsFailWithEpermAndNetRawIsGone) {
  MakeVpc();
  NicConfig n = Nic(10);
  ASSERT_OK(driver_->CreateNic(n));
  // perl's syscall() makes the raw call; $!{EPERM} is true when errno is EPERM.
  const std::string probe =
      "for nr in 101 165 175 246 250 298 321 323; do"  // ptrace mount init_module kexec_load
      // keyctl perf_event_open bpf userfaultfd
      "  perl -e 'exit((syscall($ARGV[0], 0, 0, 0, 0) == -1 && $!{EPERM}) ? 0 : 1)' $nr"
      "    || { echo \"syscall $nr not refused\"; exit 1; };"
      "done;"
      "unshare -U true 2>/dev/null && { echo 'user namespace made'; exit 1; };"
      "bnd=$(awk '/^CapBnd/ {print $2}' /proc/self/status);"
      "[ $(( (0x$bnd >> 13) & 1 )) -eq 0 ] || { echo \"CAP_NET_RAW in $bnd\"; exit 1; };"
      "echo probe-ok";
  ASSERT_OK(
      driver_->StartInstance(Instance("i-a", n, "#!/bin/sh\n" + probe + "\nexec sleep 600\n")));
  ASSERT_TRUE(WaitForConsole("i-a", "probe-ok")) << ConsoleOf("i-a");
  EXPECT_EQ(Sh("i-a", probe + " >/dev/null"), 0);
  // ping still works without NET_RAW (the capability-less copy, ICMP datagram sockets). That
  // threaded servers still start (glibc falls back from clone3 to clone) the Redis test shows.
  EXPECT_EQ(Sh("i-a", "ping -c 1 -W 2 " + n.gateway + " >/dev/null"), 0);
  EXPECT_EQ(Sh("i-a", "grep -qx '0[[:space:]]*2147483647' /proc/sys/net/ipv4/ping_group_range"), 0);
  // Raw sockets are refused: no packets with another instance's address.
  EXPECT_NE(Sh("i-a", "perl -e 'use Socket; socket(my $s, PF_INET, SOCK_RAW, 1) or exit 1'"), 0);
  ASSERT_OK(driver_->StopInstance("i-a", std::chrono::seconds(1)));
}
#endif

TEST_F(InstanceTest, CallsAreIdempotent) {
  MakeVpc();
  NicConfig n = Nic(10);
  ASSERT_OK(driver_->CreateNic(n));
  InstanceConfig config = Instance("i-a", n);
  ASSERT_OK(driver_->StartInstance(config));
  auto pid = driver_->InstancePid("i-a");
  ASSERT_OK(driver_->StartInstance(config));  // running: nothing happens
  EXPECT_EQ(*driver_->InstancePid("i-a"), *pid);
  ASSERT_OK(driver_->StopInstance("i-a", std::chrono::seconds(2)));
  ASSERT_OK(driver_->StopInstance("i-a", std::chrono::seconds(2)));
  ASSERT_OK(driver_->StopInstance("i-never", std::chrono::seconds(2)));
  EXPECT_EQ(*driver_->GetInstanceState("i-never"), RuntimeState::kMissing);
  ASSERT_OK(driver_->CreateVolume("vol-root-i-a", 1));  // exists: no-op
  EXPECT_EQ(driver_->StopInstance("../x", std::chrono::seconds(1)).code(), Code::kInvalidArgument);
}

TEST_F(InstanceTest, ExecReturnsTheExitCodeAndNeedsARunningInstance) {
  MakeVpc();
  NicConfig n = Nic(10);
  ASSERT_OK(driver_->CreateNic(n));
  ASSERT_OK(driver_->StartInstance(Instance("i-a", n)));
  EXPECT_EQ(Sh("i-a", "exit 7"), 7);
  auto r = driver_->Exec("i-a", {"/bin/true"}, false);
  ASSERT_OK(r);
  EXPECT_EQ(*r, 0);
  EXPECT_EQ(driver_->Exec("i-nope", {"/bin/true"}, false).status().code(),
            Code::kFailedPrecondition);
}

TEST_F(InstanceTest, AFailedStartLeavesNothingBehind) {
  MakeVpc();
  NicConfig n = Nic(10);
  ASSERT_OK(driver_->CreateNic(n));
  InstanceConfig config = Instance("i-a", n);
  config.volumes = {{"vol-does-not-exist", "/dev/sdf"}};
  EXPECT_FALSE(driver_->StartInstance(config).ok());
  EXPECT_EQ(*driver_->GetInstanceState("i-a"), RuntimeState::kMissing);
  EXPECT_FALSE(driver_->network().NamespaceExists(driver_->names().InstanceNamespace("i-a")));
  // The root volume and the ENI are free again.
  config.volumes.clear();
  Status s = driver_->StartInstance(config);
  ASSERT_TRUE(s.ok()) << s.ToString();
}

TEST_F(InstanceTest, DifferentInstancesStartAndStopConcurrently) {
  MakeVpc();
  constexpr int kInstances = 4;
  std::vector<InstanceConfig> configs;
  for (int i = 0; i < kInstances; ++i) {
    NicConfig n = Nic(10 + i);
    ASSERT_OK(driver_->CreateNic(n));
    configs.push_back(Instance("i-" + std::to_string(i), n));
    configs.back().volumes = {{"vol-data-" + std::to_string(i), "/dev/sdf"}};
    CreateVolume("vol-data-" + std::to_string(i));
  }
  std::vector<Status> results(kInstances);
  {
    std::vector<std::thread> threads;
    for (int i = 0; i < kInstances; ++i) {
      threads.emplace_back([&, i] { results[i] = driver_->StartInstance(configs[i]); });
    }
    for (auto& t : threads) t.join();
  }
  for (const auto& s : results) ASSERT_TRUE(s.ok()) << s.ToString();
  for (int i = 0; i < kInstances; ++i) {
    const std::string peer = Nic(10 + (i + 1) % kInstances).ip;
    EXPECT_EQ(Sh(configs[i].instance_id,
                 "mountpoint -q /mnt/sdf && ping -c 1 -W 2 " + peer + " >/dev/null"),
              0);
  }
  {
    std::vector<std::thread> threads;
    for (int i = 0; i < kInstances; ++i) {
      threads.emplace_back([&, i] {
        results[i] = driver_->StopInstance(configs[i].instance_id, std::chrono::seconds(5));
      });
    }
    for (auto& t : threads) t.join();
  }
  for (const auto& s : results) EXPECT_TRUE(s.ok()) << s.ToString();
}

// The inits whose exit the driver reported (SetExitListener), to wait on.
class ExitReports {
 public:
  std::function<void(const std::string&)> Listener() {
    return [this](const std::string& id) {
      std::lock_guard<std::mutex> lock(mu_);
      seen_.insert(id);
      cv_.notify_all();
    };
  }
  bool WaitFor(const std::string& id, Duration timeout = std::chrono::seconds(30)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return seen_.count(id) > 0; });
  }
  bool Seen(const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_.count(id) > 0;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> seen_;
};

TEST_F(InstanceTest, AnInitKilledWithSigkillIsReportedAtOnce) {
  MakeVpc();
  NicConfig n = Nic(10);
  ASSERT_OK(driver_->CreateNic(n));
  ExitReports reports;
  driver_->SetExitListener(reports.Listener());
  ASSERT_OK(driver_->StartInstance(Instance("i-a", n, "#!/bin/sh\nexec sleep 3600\n")));
  auto pid = driver_->InstancePid("i-a");
  ASSERT_OK(pid);
  ASSERT_GT(*pid, 0);
  EXPECT_EQ(*driver_->GetInstanceState("i-a"), RuntimeState::kRunning);
  EXPECT_FALSE(reports.Seen("i-a"));
  ASSERT_EQ(kill(*pid, SIGKILL), 0);  // a host failure: no notice, no shutdown from inside
  ASSERT_TRUE(reports.WaitFor("i-a"));
  EXPECT_EQ(*driver_->GetInstanceState("i-a"), RuntimeState::kStopped);
  ASSERT_OK(driver_->StopInstance("i-a", Duration::zero()));
  driver_->SetExitListener(nullptr);
}

TEST_F(InstanceTest, AfterARestartTheAdoptedInitsAreWatchedToo) {
  MakeVpc();
  NicConfig n = Nic(10);
  ASSERT_OK(driver_->CreateNic(n));
  ASSERT_OK(driver_->StartInstance(Instance("i-a", n, "#!/bin/sh\nexec sleep 3600\n")));
  driver_ = NewDriver();  // the cloud restarts: Recover adopts the running init and watches it
  ASSERT_NE(driver_, nullptr);
  ExitReports reports;
  driver_->SetExitListener(reports.Listener());
  HostInventory inventory;
  inventory.vpcs = {{VpcId(), "10.7.0.0/16", "10.7.0.1"}};
  inventory.volumes = {"vol-root-i-a"};
  inventory.nics = {n};
  inventory.running_instances = {"i-a"};
  ASSERT_OK(driver_->Recover(inventory));
  auto pid = driver_->InstancePid("i-a");
  ASSERT_OK(pid);
  ASSERT_GT(*pid, 0);
  ASSERT_EQ(kill(*pid, SIGKILL), 0);
  ASSERT_TRUE(reports.WaitFor("i-a"));
  EXPECT_EQ(*driver_->GetInstanceState("i-a"), RuntimeState::kStopped);
  ASSERT_OK(driver_->StopInstance("i-a", Duration::zero()));
  driver_->SetExitListener(nullptr);
}

}  // namespace
}  // namespace spotkeeper::cloud::testing
