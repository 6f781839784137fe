#include "cloud/host/linux/command_runner.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace spotkeeper::cloud::linuxhost {
namespace {

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
  auto start = std::chrono::steady_clock::now();
  auto r = RunCommand({.argv = {"/bin/sh", "-c", "sleep 30 & sleep 30"},
                       .timeout = std::chrono::milliseconds(200)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kDeadlineExceeded);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(CommandRunnerTest, DoesNotWaitForAGrandchildHoldingThePipe) {
  // The child exits at once; its background grandchild keeps stdout open for 30 s.
  auto start = std::chrono::steady_clock::now();
  auto r = RunCommand({.argv = {"/bin/sh", "-c", "echo hi; sleep 30 & exit 0"},
                       .timeout = std::chrono::seconds(20)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
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
