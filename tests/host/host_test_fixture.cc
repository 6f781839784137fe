#include "host/host_test_fixture.h"

#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cloud/host/linux/command_runner.h"
#include "cloud/host/linux/file_watch.h"
#include "cloud/host/linux/host_names.h"
#include "cloud/host/linux/host_tools.h"
#include "cloud/host/linux/loop_devices.h"
#include "cloud/host/linux/mount_table.h"

namespace spotkeeper::cloud::testing {
namespace {

namespace fs = std::filesystem;
using linuxhost::HostNames;

// "t" + 5 characters from the test's name and this process: unique among concurrent runs.
std::string UniquePrefix() {
  static int counter = 0;
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string seed = std::string(info->test_suite_name()) + "." + info->name() + "/" +
                     std::to_string(getpid()) + "/" + std::to_string(++counter);
  uint32_t h = HostNames::Fnv1a32(seed);
  const char* digits = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string p = "t";
  for (int i = 0; i < 5; ++i) {
    p += digits[h % 36];
    h /= 36;
  }
  return p;
}

bool StartsWith(const std::string& s, const std::string& head) {
  return s.compare(0, head.size(), head) == 0;
}

}  // namespace

std::vector<std::string> HostLeftovers(const std::string& prefix, const std::string& data_dir) {
  std::vector<std::string> left;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/run/netns", ec)) {
    std::string name = e.path().filename().string();
    if (StartsWith(name, prefix + "-")) left.push_back("namespace " + name);
  }
  const std::string ip = linuxhost::FindExecutable("ip");
  auto links = linuxhost::RunChecked({ip, "-j", "link", "show"});
  if (links.ok()) {
    for (const auto& l : nlohmann::json::parse(*links)) {
      std::string name = l.value("ifname", "");
      if (StartsWith(name, prefix)) left.push_back("host interface " + name);
    }
  } else {
    left.push_back("cannot list host interfaces: " + links.status().ToString());
  }
  auto table = linuxhost::MountTable::Read();
  if (table.ok()) {
    for (const auto& e : table->entries()) {
      if (StartsWith(e.mount_point, data_dir) ||
          e.mount_point.find("/" + prefix + "-") != std::string::npos) {
        left.push_back("mount " + e.mount_point);
      }
    }
  }
  auto loops = linuxhost::ListLoopDevices();
  if (loops.ok()) {
    for (const auto& l : *loops) {
      if (StartsWith(l.backing_file, data_dir)) {
        left.push_back("loop device " + l.device + " on " + l.backing_file);
      }
    }
  }
  const std::string run_root = data_dir + "/run";
  if (fs::exists(run_root, ec)) {
    auto list = linuxhost::RunChecked(
        {linuxhost::FindExecutable("runc"), "--root", run_root, "list", "-q"});
    if (list.ok() && !list->empty()) left.push_back("runc containers: " + *list);
  }
  for (const auto& h : fs::directory_iterator("/sys/fs/cgroup", ec)) {
    for (const auto& e : fs::directory_iterator(h.path(), ec)) {
      std::string name = e.path().filename().string();
      if (e.is_directory(ec) && StartsWith(name, prefix + "-")) {
        left.push_back("cgroup " + e.path().string());
      }
    }
  }
  return left;
}

void HostDriverTest::SetUp() {
  if (geteuid() != 0) {
    GTEST_SKIP() << "LinuxHostDriver tests need root (network namespaces, loop devices, runc)";
  }
  prefix_ = UniquePrefix();
  std::string tmpl = "/var/tmp/sk-host-" + prefix_ + "-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  data_dir_ = tmpl;
  driver_ = NewDriver();
  ASSERT_NE(driver_, nullptr);
}

std::unique_ptr<LinuxHostDriver> HostDriverTest::NewDriver() {
  LinuxHostDriverOptions options;
  options.data_dir = data_dir_;
  options.prefix = prefix_;
  options.init_path = SK_INIT_BINARY;
  auto driver = LinuxHostDriver::Create(options);
  EXPECT_TRUE(driver.ok()) << driver.status().ToString();
  if (!driver.ok()) return nullptr;
  return std::move(driver).value();
}

void HostDriverTest::TearDown() {
  if (data_dir_.empty()) return;
  if (driver_) {
    Status s = driver_->DestroyAll();
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  for (const auto& thing : HostLeftovers(prefix_, data_dir_)) {
    ADD_FAILURE() << "left behind: " << thing;
  }
  std::error_code ec;
  fs::remove_all(data_dir_, ec);
}

void HostDriverTest::MakeVpc(int n) {
  VpcNetwork vpc{VpcId(n), "10." + std::to_string(n) + ".0.0/16",
                 "10." + std::to_string(n) + ".0.1"};
  Status s = driver_->EnsureVpc(vpc);
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto image = driver_->EnsureBaseImage("ami-base");
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  image_rootfs_ = *image;
}

NicConfig HostDriverTest::Nic(int host, int vpc) const {
  NicConfig nic;
  nic.eni_id = "eni-" + std::to_string(vpc) + "-" + std::to_string(host);
  nic.vpc_id = VpcId(vpc);
  char mac[32];
  std::snprintf(mac, sizeof mac, "02:00:0a:%02x:01:%02x", vpc, host);
  nic.mac = mac;
  nic.ip = "10." + std::to_string(vpc) + ".1." + std::to_string(host);
  nic.prefix_len = 24;
  nic.gateway = "10." + std::to_string(vpc) + ".1.1";
  return nic;
}

void HostDriverTest::CreateVolume(const std::string& volume_id) {
  Status s = driver_->CreateVolume(volume_id, 1);
  ASSERT_TRUE(s.ok()) << s.ToString();
}

InstanceConfig HostDriverTest::Instance(const std::string& id, const NicConfig& nic,
                                        const std::string& user_data) {
  InstanceConfig c;
  c.instance_id = id;
  c.hostname = "host-" + id;
  c.image_rootfs = image_rootfs_;
  c.root_volume_id = "vol-root-" + id;
  CreateVolume(c.root_volume_id);
  c.primary_nic = nic;
  c.vcpus = 1;
  c.memory_mib = 256;
  c.user_data = user_data;
  return c;
}

int HostDriverTest::Sh(const std::string& instance_id, const std::string& script) {
  auto r = driver_->Exec(instance_id, {"/bin/sh", "-c", script}, false);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : -1;
}

std::string HostDriverTest::ConsoleOf(const std::string& instance_id) {
  auto r = driver_->ConsoleOutput(instance_id);
  return r.ok() ? *r : r.status().ToString();
}

bool HostDriverTest::WaitForConsole(const std::string& instance_id, const std::string& text,
                                    Duration timeout) {
  return linuxhost::WaitForFileToContain(driver_->layout().ConsoleLog(instance_id), text, timeout);
}

bool HostDriverTest::WaitForInitExit(const std::string& instance_id, Duration timeout) {
  auto pid = driver_->InstancePid(instance_id);
  if (!pid.ok()) return false;
  if (*pid == 0) return true;
  int fd = static_cast<int>(syscall(SYS_pidfd_open, *pid, 0));
  if (fd < 0) return errno == ESRCH;
  pollfd p = {fd, POLLIN, 0};
  bool exited = poll(&p, 1, static_cast<int>(timeout.count())) == 1;
  close(fd);
  return exited;
}

}  // namespace spotkeeper::cloud::testing
