#include "cloud/host/linux/command_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cloud/host/linux/unique_fd.h"

extern char** environ;

namespace spotkeeper::cloud::linuxhost {
namespace {

constexpr size_t kMaxCapture = 1 << 20;  // per stream; the rest is dropped

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

// A memfd holding `data`, positioned at its start: the child's stdin without a pipe (no
// SIGPIPE, no deadlock on large inputs).
Result<UniqueFd> StdinFd(const std::string& data) {
  if (data.empty()) {
    UniqueFd fd(open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return Internal(Errno("open /dev/null"));
    return fd;
  }
  UniqueFd fd(memfd_create("sk-stdin", MFD_CLOEXEC));
  if (!fd.valid()) return Internal(Errno("memfd_create"));
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd.get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Internal(Errno("write memfd"));
    done += static_cast<size_t>(n);
  }
  if (lseek(fd.get(), 0, SEEK_SET) != 0) return Internal(Errno("lseek memfd"));
  return fd;
}

// Reads what is available; returns false at EOF or on error.
bool Drain(int fd, std::string* into) {
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      if (into->size() < kMaxCapture) into->append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return true;
    return false;
  }
}

int ExitCode(int wstatus) {
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
  return 255;
}

class SpawnAttrs {
 public:
  SpawnAttrs() {
    posix_spawnattr_init(&attr_);
    posix_spawn_file_actions_init(&actions_);
  }
  ~SpawnAttrs() {
    posix_spawnattr_destroy(&attr_);
    posix_spawn_file_actions_destroy(&actions_);
  }
  SpawnAttrs(const SpawnAttrs&) = delete;
  SpawnAttrs& operator=(const SpawnAttrs&) = delete;
  posix_spawnattr_t* attr() { return &attr_; }
  posix_spawn_file_actions_t* actions() { return &actions_; }

 private:
  posix_spawnattr_t attr_;
  posix_spawn_file_actions_t actions_;
};

}  // namespace

std::string JoinArgv(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) {
    if (!s.empty()) s += ' ';
    s += a;
  }
  return s;
}

Result<CommandResult> RunCommand(const CommandSpec& spec) {
  if (spec.argv.empty() || spec.argv[0].empty() || spec.argv[0][0] != '/') {
    return InvalidArgument("command needs an absolute argv[0]: " + JoinArgv(spec.argv));
  }
  std::vector<char*> argv;
  argv.reserve(spec.argv.size() + 1);
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  SpawnAttrs sa;
  // The child starts with default dispositions and an empty mask whatever this process set.
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(sa.attr(), &all);
  posix_spawnattr_setsigmask(sa.attr(), &none);
  short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
  if (!spec.inherit_stdio) {
    flags |= POSIX_SPAWN_SETPGROUP;  // its own group: a timeout kills everything it started
    posix_spawnattr_setpgroup(sa.attr(), 0);
  }
  posix_spawnattr_setflags(sa.attr(), flags);

  UniqueFd stdin_fd, out_r, out_w, err_r, err_w;
  if (!spec.inherit_stdio) {
    SK_ASSIGN_OR_RETURN(stdin_fd, StdinFd(spec.stdin_data));
    posix_spawn_file_actions_adddup2(sa.actions(), stdin_fd.get(), 0);
    int p[2];
    if (spec.stdout_fd >= 0) {
      posix_spawn_file_actions_adddup2(sa.actions(), spec.stdout_fd, 1);
    } else {
      if (pipe2(p, O_CLOEXEC) != 0) return Internal(Errno("pipe2"));
      out_r.reset(p[0]);
      out_w.reset(p[1]);
      posix_spawn_file_actions_adddup2(sa.actions(), out_w.get(), 1);
    }
    if (spec.stderr_fd >= 0) {
      posix_spawn_file_actions_adddup2(sa.actions(), spec.stderr_fd, 2);
    } else {
      if (pipe2(p, O_CLOEXEC) != 0) return Internal(Errno("pipe2"));
      err_r.reset(p[0]);
      err_w.reset(p[1]);
      posix_spawn_file_actions_adddup2(sa.actions(), err_w.get(), 2);
    }
  }

  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], sa.actions(), sa.attr(), argv.data(), environ);
  if (rc != 0) {
    return Internal("cannot run " + spec.argv[0] + ": " + std::strerror(rc));
  }
  out_w.reset();
  err_w.reset();
  stdin_fd.reset();

  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd.valid()) {
    // Cannot happen for our own unreaped child on a kernel >= 5.3; do not leave it behind.
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return Internal(Errno("pidfd_open"));
  }
  for (int fd : {out_r.get(), err_r.get()}) {
    if (fd >= 0) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  }

  CommandResult result;
  const bool has_deadline = spec.timeout.count() > 0;
  const auto deadline = std::chrono::steady_clock::now() + spec.timeout;
  bool exited = false;
  bool timed_out = false;
  // Bounded: each turn either consumes output, sees the exit, or reaches the deadline.
  while (!exited) {
    pollfd fds[3];
    int n = 0;
    fds[n++] = {pidfd.get(), POLLIN, 0};
    if (out_r.valid()) fds[n++] = {out_r.get(), POLLIN, 0};
    if (err_r.valid()) fds[n++] = {err_r.get(), POLLIN, 0};
    int wait_ms = -1;
    if (has_deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        timed_out = true;
        break;
      }
      wait_ms = static_cast<int>(left.count()) + 1;
    }
    int pr = poll(fds, static_cast<nfds_t>(n), wait_ms);
    if (pr < 0 && errno == EINTR) continue;
    if (pr < 0) return Internal(Errno("poll"));
    if (out_r.valid() && !Drain(out_r.get(), &result.out)) out_r.reset();
    if (err_r.valid() && !Drain(err_r.get(), &result.err)) err_r.reset();
    if (fds[0].revents & POLLIN) exited = true;
  }
  if (timed_out) {
    if (spec.inherit_stdio) {
      kill(pid, SIGKILL);
    } else {
      kill(-pid, SIGKILL);
    }
  }
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  // What the child wrote before it exited (a grandchild may keep the pipe open: don't wait).
  if (out_r.valid()) Drain(out_r.get(), &result.out);
  if (err_r.valid()) Drain(err_r.get(), &result.err);
  if (timed_out) {
    return DeadlineExceeded(JoinArgv(spec.argv) + ": timed out after " +
                            FormatDuration(spec.timeout) + ": " + Trim(result.err));
  }
  result.exit_code = ExitCode(wstatus);
  return result;
}

Result<std::string> RunChecked(const CommandSpec& spec) {
  SK_ASSIGN_OR_RETURN(CommandResult r, RunCommand(spec));
  if (r.exit_code != 0) {
    std::string detail = Trim(r.err.empty() ? r.out : r.err);
    return Internal(JoinArgv(spec.argv) + ": exit " + std::to_string(r.exit_code) +
                    (detail.empty() ? "" : ": " + detail));
  }
  return std::move(r.out);
}

Result<std::string> RunChecked(std::vector<std::string> argv) {
  CommandSpec spec;
  spec.argv = std::move(argv);
  return RunChecked(spec);
}

}  // namespace spotkeeper::cloud::linuxhost
