// Runs spotkeeper-init as an ordinary child process (not PID 1), its stdout to a file that
// stands in for the console log.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "cloud/host/linux/command_runner.h"
#include "cloud/host/linux/file_watch.h"
#include "cloud/host/linux/unique_fd.h"

namespace spotkeeper::cloud {
namespace {

using linuxhost::CommandSpec;
using linuxhost::RunCommand;
using linuxhost::UniqueFd;

namespace fs = std::filesystem;

class InitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sk-init-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    user_data_ = dir_ + "/user-data";
    console_ = dir_ + "/console.log";
  }
  void TearDown() override { fs::remove_all(dir_); }

  void WriteUserData(const std::string& text) {
    std::ofstream(user_data_) << text;
    fs::permissions(user_data_, fs::perms::owner_all);
  }
  std::string Console() {
    std::ifstream in(console_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  // Runs the init to completion; returns its exit code.
  int RunInit() {
    UniqueFd out(open(console_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600));
    CommandSpec spec;
    spec.argv = {SK_INIT_BINARY, user_data_};
    spec.timeout = std::chrono::seconds(30);
    spec.stdout_fd = out.get();
    auto r = RunCommand(spec);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->exit_code : -1;
  }
  bool WaitForConsole(const std::string& text, std::chrono::seconds limit) {
    return linuxhost::WaitForFileToContain(console_, text, limit);
  }

  std::string dir_, user_data_, console_;
};

TEST_F(InitTest, RunsAScriptAndLogsItsOutputAndExitCode) {
  WriteUserData("#!/bin/sh\necho hello-from-user-data\necho to-stderr >&2\nexit 3\n");
  EXPECT_EQ(RunInit(), 3);
  std::string console = Console();
  EXPECT_NE(console.find("spotkeeper-init: starting instance"), std::string::npos) << console;
  EXPECT_NE(console.find("hello-from-user-data"), std::string::npos) << console;
  EXPECT_NE(console.find("to-stderr"), std::string::npos) << console;
  EXPECT_NE(console.find("user data exited with code 3"), std::string::npos) << console;
  // Timestamped header lines: "[YYYY-MM-DDTHH:MM:SS.mmmZ] spotkeeper-init: ".
  EXPECT_EQ(console[0], '[');
  EXPECT_EQ(console.substr(25, 2), "] ") << console;
  EXPECT_EQ(console[24], 'Z') << console;
}

TEST_F(InitTest, RunsPlainUserDataWithShC) {
  WriteUserData("echo plain-$((6 * 7)); exit 0");
  EXPECT_EQ(RunInit(), 0);
  EXPECT_NE(Console().find("plain-42"), std::string::npos) << Console();
  EXPECT_NE(Console().find("sh -c"), std::string::npos);
}

TEST_F(InitTest, ReportsDeathBySignalAs128PlusSignal) {
  WriteUserData("#!/bin/sh\nkill -KILL $$\n");
  EXPECT_EQ(RunInit(), 128 + SIGKILL);
  EXPECT_NE(Console().find("exited with code 137"), std::string::npos) << Console();
}

TEST_F(InitTest, ForwardsSigtermToTheWorkload) {
  WriteUserData(
      "#!/bin/sh\n"
      "trap 'echo got-sigterm; exit 5' TERM\n"
      "echo ready\n"
      "while :; do sleep 1; done\n");
  UniqueFd out(open(console_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out.get(), 1);
  std::string bin = SK_INIT_BINARY;
  char* argv[] = {bin.data(), user_data_.data(), nullptr};
  pid_t pid = -1;
  ASSERT_EQ(posix_spawn(&pid, bin.c_str(), &actions, nullptr, argv, environ), 0);
  posix_spawn_file_actions_destroy(&actions);

  ASSERT_TRUE(WaitForConsole("ready", std::chrono::seconds(10))) << Console();
  auto sent = std::chrono::steady_clock::now();
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  // Bounded: the workload exits at once on the forwarded signal; SIGKILL after 10 s.
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  pollfd p = {pidfd.get(), POLLIN, 0};
  if (poll(&p, 1, 10000) != 1) kill(pid, SIGKILL);
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_LT(std::chrono::steady_clock::now() - sent, std::chrono::seconds(5));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 5);
  EXPECT_NE(Console().find("forwarding it"), std::string::npos) << Console();
  EXPECT_NE(Console().find("got-sigterm"), std::string::npos) << Console();
  EXPECT_NE(Console().find("exited with code 5"), std::string::npos) << Console();
}

TEST_F(InitTest, WithoutUserDataItWaitsForSigterm) {
  WriteUserData("");
  UniqueFd out(open(console_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out.get(), 1);
  std::string bin = SK_INIT_BINARY;
  char* argv[] = {bin.data(), user_data_.data(), nullptr};
  pid_t pid = -1;
  ASSERT_EQ(posix_spawn(&pid, bin.c_str(), &actions, nullptr, argv, environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  ASSERT_TRUE(WaitForConsole("waiting for shutdown", std::chrono::seconds(10))) << Console();
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  pollfd p = {pidfd.get(), POLLIN, 0};
  if (poll(&p, 1, 10000) != 1) kill(pid, SIGKILL);
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace spotkeeper::cloud
