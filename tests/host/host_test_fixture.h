// HostDriverTest: the fixture of the root tests of LinuxHostDriver.
//
// Each test gets its own prefix ("t" + 5 characters) and data directory. TearDown calls
// DestroyAll() and then fails the test if anything carrying the prefix is left on the host:
// a network namespace, an interface in the host namespace, a mount, a loop device on one of
// its files, a runc container or a cgroup. Tests are skipped (with a message) when not root.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "cloud/host/linux_host_driver.h"

namespace spotkeeper::cloud::testing {

inline const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const Result<T>& r) {
  return r.status();
}

// Assert / expect that a Status or Result is OK, printing the error when it is not.
#define ASSERT_OK(expr)                                                                    \
  do {                                                                                     \
    const auto& sk_ok_ = (expr);                                                           \
    ASSERT_TRUE(sk_ok_.ok()) << ::spotkeeper::cloud::testing::StatusOf(sk_ok_).ToString(); \
  } while (0)
#define EXPECT_OK(expr)                                                                    \
  do {                                                                                     \
    const auto& sk_ok_ = (expr);                                                           \
    EXPECT_TRUE(sk_ok_.ok()) << ::spotkeeper::cloud::testing::StatusOf(sk_ok_).ToString(); \
  } while (0)

// What is left on the host of a prefix / data directory; empty when nothing is.
std::vector<std::string> HostLeftovers(const std::string& prefix, const std::string& data_dir);

class HostDriverTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A new driver object on the same data dir and prefix (a cloud restart).
  std::unique_ptr<LinuxHostDriver> NewDriver();

  // VPC vpc-<n> 10.<n>.0.0/16 with subnet 10.<n>.1.0/24 (gateway 10.<n>.1.1); the base image.
  void MakeVpc(int n = 7);
  std::string VpcId(int n = 7) const { return "vpc-" + std::to_string(n); }
  // ENI eni-<n>-<host>: 10.<vpc>.1.<host>, MAC 02:00:0a:<vpc>:01:<host> (hex).
  NicConfig Nic(int host, int vpc = 7) const;
  // An instance with a fresh 1 GiB root volume "vol-root-<id>".
  InstanceConfig Instance(const std::string& id, const NicConfig& nic,
                          const std::string& user_data = "");
  void CreateVolume(const std::string& volume_id);
  // Runs `sh -c script` in the instance; its exit code (or -1 when Exec failed).
  int Sh(const std::string& instance_id, const std::string& script);
  std::string ConsoleOf(const std::string& instance_id);
  // Waits (inotify, bounded) until the instance's console log contains `text`.
  bool WaitForConsole(const std::string& instance_id, const std::string& text,
                      Duration timeout = std::chrono::seconds(20));

  // Waits (pidfd, bounded) until the instance's init has exited by itself.
  bool WaitForInitExit(const std::string& instance_id, Duration timeout = std::chrono::seconds(20));

  std::string prefix_;
  std::string data_dir_;
  std::string image_rootfs_;
  std::unique_ptr<LinuxHostDriver> driver_;
};

}  // namespace spotkeeper::cloud::testing
