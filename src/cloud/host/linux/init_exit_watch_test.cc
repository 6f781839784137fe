// InitExitWatch on real processes (no root needed): a child that exits is reported by key.
#include "cloud/host/linux/init_exit_watch.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <set>

namespace spotkeeper::cloud::linuxhost {
namespace {

// A child process that lives until Release() (its stdin pipe is closed).
class Child {
 public:
  Child() {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    pid_ = fork();
    if (pid_ == 0) {
      close(fds[1]);
      char c;
      while (read(fds[0], &c, 1) > 0) {
      }
      _exit(0);
    }
    close(fds[0]);
    write_end_ = fds[1];
  }
  ~Child() {
    Release();
    if (pid_ > 0) waitpid(pid_, nullptr, 0);
  }
  void Release() {
    if (write_end_ >= 0) close(write_end_);
    write_end_ = -1;
  }
  int pid() const { return pid_; }

 private:
  int pid_ = -1;
  int write_end_ = -1;
};

class Exits {
 public:
  void Add(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    seen_.insert(key);
    cv_.notify_all();
  }
  bool WaitFor(const std::string& key) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30), [&] { return seen_.count(key) > 0; });
  }
  std::set<std::string> Seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> seen_;
};

TEST(InitExitWatchTest, ReportsTheProcessThatExits) {
  auto watch = InitExitWatch::Create();
  ASSERT_TRUE(watch.ok()) << watch.status().ToString();
  Exits exits;
  (*watch)->SetListener([&](const std::string& key) { exits.Add(key); });
  Child a, b;
  ASSERT_TRUE((*watch)->Watch("i-a", a.pid()).ok());
  ASSERT_TRUE((*watch)->Watch("i-b", b.pid()).ok());
  EXPECT_EQ((*watch)->Size(), 2u);
  b.Release();
  ASSERT_TRUE(exits.WaitFor("i-b"));
  EXPECT_EQ(exits.Seen(), std::set<std::string>{"i-b"});  // a still runs
  EXPECT_EQ((*watch)->Size(), 1u);                        // b's watch is dropped
  a.Release();
  ASSERT_TRUE(exits.WaitFor("i-a"));
  EXPECT_EQ((*watch)->Size(), 0u);
}

TEST(InitExitWatchTest, ForgetAndReplace) {
  auto watch = InitExitWatch::Create();
  ASSERT_TRUE(watch.ok());
  Exits exits;
  (*watch)->SetListener([&](const std::string& key) { exits.Add(key); });
  Child old_init, new_init, other;
  ASSERT_TRUE((*watch)->Watch("i-a", old_init.pid()).ok());
  ASSERT_TRUE((*watch)->Watch("i-a", new_init.pid()).ok());  // replaces
  ASSERT_TRUE((*watch)->Watch("i-b", other.pid()).ok());
  (*watch)->Forget("i-b");
  (*watch)->Forget("i-none");
  EXPECT_EQ((*watch)->Size(), 1u);
  old_init.Release();
  other.Release();
  new_init.Release();
  ASSERT_TRUE(exits.WaitFor("i-a"));
  EXPECT_EQ(exits.Seen(), std::set<std::string>{"i-a"});
}

TEST(InitExitWatchTest, AProcessAlreadyGoneIsReportedAtOnce) {
  auto watch = InitExitWatch::Create();
  ASSERT_TRUE(watch.ok());
  Exits exits;
  (*watch)->SetListener([&](const std::string& key) { exits.Add(key); });
  int pid = 0;
  {
    Child c;
    pid = c.pid();
  }  // exited and reaped: pidfd_open answers ESRCH (unless the PID was reused at once)
  ASSERT_TRUE((*watch)->Watch("i-gone", pid).ok());
  EXPECT_TRUE(exits.WaitFor("i-gone") || (*watch)->Size() == 1u);
  EXPECT_FALSE((*watch)->Watch("i-bad", 0).ok());
  (*watch)->SetListener(nullptr);
}

}  // namespace
}  // namespace spotkeeper::cloud::linuxhost
