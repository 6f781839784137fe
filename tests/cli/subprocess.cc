#include "subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace spotkeeper::testing {

std::unique_ptr<Subprocess> Subprocess::Start(const std::vector<std::string>& argv,
                                              const std::map<std::string, std::string>& env,
                                              const std::string& log_path) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) return nullptr;
  int log_fd = -1;
  if (!log_path.empty()) {
    log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) return nullptr;
  }
  // Everything exec needs is built before fork (only async-signal-safe calls after it).
  std::vector<std::string> env_strings;
  const char* path = std::getenv("PATH");
  env_strings.push_back(std::string("PATH=") + (path != nullptr ? path : "/usr/bin:/bin"));
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp, args;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  for (auto& s : argv_copy) args.push_back(s.data());
  args.push_back(nullptr);

  pid_t pid = fork();
  if (pid < 0) return nullptr;
  if (pid == 0) {
    dup2(log_fd >= 0 ? log_fd : out[1], STDOUT_FILENO);
    dup2(log_fd >= 0 ? log_fd : err[1], STDERR_FILENO);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  if (log_fd >= 0) close(log_fd);
  std::unique_ptr<Subprocess> p(new Subprocess());
  p->log_path_ = log_path;
  p->pid_ = pid;
  p->out_fd_ = out[0];
  p->err_fd_ = err[0];
  fcntl(p->out_fd_, F_SETFL, O_NONBLOCK);
  fcntl(p->err_fd_, F_SETFL, O_NONBLOCK);
  p->pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  return p;
}

Subprocess::~Subprocess() {
  if (!exit_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  for (int fd : {out_fd_, err_fd_, pidfd_}) {
    if (fd >= 0) close(fd);
  }
}

std::string Subprocess::Log() const {
  if (log_path_.empty()) return "";
  std::string s;
  int fd = open(log_path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return s;
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(n));
  close(fd);
  return s;
}

void Subprocess::Signal(int sig) {
  if (!exit_) kill(pid_, sig);
}

bool Subprocess::Pump(std::chrono::steady_clock::time_point deadline) {
  struct pollfd fds[3];
  int n = 0;
  int out_i = -1, err_i = -1, pid_i = -1;
  if (out_fd_ >= 0) {
    out_i = n;
    fds[n++] = {out_fd_, POLLIN, 0};
  }
  if (err_fd_ >= 0) {
    err_i = n;
    fds[n++] = {err_fd_, POLLIN, 0};
  }
  if (!exit_ && pidfd_ >= 0) {
    pid_i = n;
    fds[n++] = {pidfd_, POLLIN, 0};
  }
  if (n == 0) return false;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left.count() < 0) return false;
  int r = poll(fds, static_cast<nfds_t>(n), static_cast<int>(left.count()));
  if (r < 0 && errno != EINTR) return false;
  if (r <= 0) return r == 0 ? false : true;
  auto drain = [](int& fd, std::string& into) {
    char buf[65536];
    while (true) {
      ssize_t got = read(fd, buf, sizeof buf);
      if (got > 0) {
        into.append(buf, static_cast<size_t>(got));
        continue;
      }
      if (got == 0) {
        close(fd);
        fd = -1;
      }
      return;
    }
  };
  if (out_i >= 0 && fds[out_i].revents != 0) drain(out_fd_, out_);
  if (err_i >= 0 && fds[err_i].revents != 0) drain(err_fd_, err_);
  if (pid_i >= 0 && fds[pid_i].revents != 0) {
    int status = 0;
    if (waitpid(pid_, &status, 0) == pid_) {
      exit_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
  }
  return true;
}

std::optional<int> Subprocess::Wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  // The exit, then the rest of the output (pipes close when the process is gone).
  while (!(exit_ && out_fd_ < 0 && err_fd_ < 0)) {
    if (!Pump(deadline)) break;
  }
  return exit_;
}

bool Subprocess::WaitFor(const std::function<bool(const std::string&, const std::string&)>& done,
                         std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done(out_, err_)) {
    if (!Pump(deadline)) return done(out_, err_);
  }
  return true;
}

RunResult RunProcess(const std::vector<std::string>& argv,
                     const std::map<std::string, std::string>& env,
                     std::chrono::milliseconds timeout) {
  RunResult r;
  auto p = Subprocess::Start(argv, env);
  if (!p) return r;
  auto code = p->Wait(timeout);
  r.exit = code.value_or(-1);
  r.out = p->out();
  r.err = p->err();
  return r;
}

}  // namespace spotkeeper::testing
