#include "cloud/host/linux/command_runner.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace spotkeeper::cloud::linuxhost {
namespace {

// Tests whose commands leave grandchildren behind adopt them (subreaper) and reap them at the
// end, so that nothing outlives the test (not even a zombie under a PID 1 that does not reap).
void AdoptOrphans() { ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0); }
void ReapOrphans() {
  while (waitpid(-1, nullptr, 0) > 0 || errno == EINTR) {
  }
}

TEST(CommandRunnerTest, CapturesStdoutStderrAndExitCode) {
  auto r = RunCommand({.argv = {"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
}

TEST(CommandRunnerTest, RunCheckedPutsCommandExitAndStderrInTheError) {
  auto r = RunChecked({"/bin/sh", "-c", "echo 'no such thing' >&2; exit 2"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInternal);
  EXPECT_NE(r.status().message().find("/bin/sh -c"), std::string::npos);
  EXPECT_NE(r.status().message().find("exit 2"), std::string::npos);
  EXPECT_NE(r.status().message().find("no such thing"), std::string::npos);
}

TEST(CommandRunnerTest, FeedsStdin) {
  CommandSpec spec;
  spec.argv = {"/bin/cat"};
  spec.stdin_data = "line one\nline two\n";
  auto r = RunChecked(spec);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "line one\nline two\n");
}

TEST(CommandRunnerTest, LargeOutputDoesNotDeadlock) {
  auto r = RunChecked({"/bin/sh", "-c", "head -c 300000 /dev/zero"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->size(), 300000u);
}

TEST(CommandRunnerTest, TimeoutKillsTheWholeProcessGroup) {
  AdoptOrphans();
  auto start = std::chrono::steady_clock::now();
  auto r = RunCommand({.argv = {"/bin/sh", "-c", "sleep 30 & sleep 30"},
                       .timeout = std::chrono::milliseconds(200)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kDeadlineExceeded);
  // The background sleep died too: reaping it does not take its 30 s.
  ReapOrphans();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(CommandRunnerTest, DoesNotWaitForAGrandchildHoldingThePipe) {
  // The child exits at once; its background grandchild keeps stdout open for 30 s.
  AdoptOrphans();
  auto start = std::chrono::steady_clock::now();
  auto r = RunCommand({.argv = {"/bin/sh", "-c", "sleep 30 & echo $!; exit 0"},
                       .timeout = std::chrono::seconds(20)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  pid_t grandchild = std::stoi(r->out);
  ASSERT_GT(grandchild, 0);
  EXPECT_EQ(kill(grandchild, SIGKILL), 0);
  ReapOrphans();
}

TEST(CommandRunnerTest, WritesToGivenDescriptors) {
  char path[] = "/tmp/sk-cmd-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  CommandSpec spec;
  spec.argv = {"/bin/sh", "-c", "echo to-file"};
  spec.stdout_fd = fd;
  auto r = RunCommand(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "");
  char buf[64] = {};
  ASSERT_GT(pread(fd, buf, sizeof buf - 1, 0), 0);
  EXPECT_STREQ(buf, "to-file\n");
  close(fd);
  unlink(path);
}

TEST(CommandRunnerTest, RefusesRelativeProgramsAndReportsMissingOnes) {
  EXPECT_EQ(RunCommand({.argv = {"sh", "-c", "true"}}).status().code(), Code::kInvalidArgument);
  EXPECT_FALSE(RunCommand({.argv = {"/nonexistent/program"}}).ok());
}

TEST(CommandRunnerTest, ReportsDeathBySignal) {
  auto r = RunCommand({.argv = {"/bin/sh", "-c", "kill -9 $$"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 128 + 9);
}

}  // namespace
}  // namespace spotkeeper::cloud::linuxhost
