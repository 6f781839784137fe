// spotkeeper-init: PID 1 of every local-cloud instance.
//
//   spotkeeper-init [USER_DATA_FILE]      (default /run/spotkeeper/user-data)
//
// - stdout is the console log; stderr is pointed at it too, so the log holds everything the
//   init and the workload write. The init's own lines start with a UTC timestamp:
//   "[2026-01-01T00:00:00.000Z] spotkeeper-init: ...".
// - The user data is copied to /var/lib/spotkeeper/user-data (0700; as PID 1 only) and run:
//   executed directly when it starts with "#!" (the kernel runs the named interpreter, /bin/sh
//   for "#!/bin/sh"), else as `/bin/sh -c <user data>`. The workload runs in its own session.
// - SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are forwarded: as PID 1 of the
//   instance to every process in it (kill(-1), as a VM's shutdown does), otherwise (tests) to
//   the workload's process group.
// - Zombies are reaped. When the workload exits the init writes its exit code (128 + signal
//   for a signal) to the log and exits with it; the kernel then ends the rest of the instance.
// - No user data: the init idles until SIGTERM/SIGINT and exits 0.
//
// Libc only, no heap use after start, linked statically when the toolchain can.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <initializer_list>

namespace {

constexpr const char* kDefaultUserData = "/run/spotkeeper/user-data";
constexpr const char* kUserDataDir = "/var/lib/spotkeeper";
constexpr const char* kUserDataCopy = "/var/lib/spotkeeper/user-data";
constexpr size_t kMaxUserData = 1 << 20;

void WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p += w;
    n -= static_cast<size_t>(w);
  }
}

__attribute__((format(printf, 1, 2))) void Log(const char* fmt, ...) {
  char line[1024];
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  int n =
      snprintf(line, sizeof line,
               "[%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ] spotkeeper-init: ", tm.tm_year + 1900,
               tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(line + n, sizeof line - static_cast<size_t>(n), fmt, ap);
  va_end(ap);
  const int room = static_cast<int>(sizeof line) - n - 2;  // keep one byte for '\n'
  if (m < 0) m = 0;
  if (m > room) m = room;
  size_t len = static_cast<size_t>(n + m);
  line[len++] = '\n';
  WriteAll(1, line, len);
}

// Reads the whole file into a static buffer; returns its length or -1.
ssize_t ReadUserData(const char* path, char* buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t len = 0;
  while (len < cap) {
    ssize_t r = read(fd, buf + len, cap - len);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    len += static_cast<size_t>(r);
  }
  close(fd);
  return static_cast<ssize_t>(len);
}

// Copies the user data where a workload (or a person) can find it again; returns the path to
// run, the original when the copy cannot be made.
const char* KeepUserData(const char* original, const char* data, size_t len) {
  mkdir("/var/lib", 0755);
  mkdir(kUserDataDir, 0700);
  int fd = open(kUserDataCopy, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
  if (fd < 0) {
    Log("cannot write %s (%s); running %s", kUserDataCopy, strerror(errno), original);
    return original;
  }
  WriteAll(fd, data, len);
  fchmod(fd, 0700);
  close(fd);
  return kUserDataCopy;
}

int ExitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

bool IsForwarded(int sig) {
  return sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGQUIT || sig == SIGUSR1 ||
         sig == SIGUSR2;
}

void Ignore(int) {}

char g_user_data[kMaxUserData + 1];

}  // namespace

int main(int argc, char** argv) {
  dup2(1, 2);
  const char* user_data_path = argc > 1 ? argv[1] : kDefaultUserData;
  const char* instance = getenv("SPOTKEEPER_INSTANCE_ID");
  const bool pid1 = getpid() == 1;
  Log("starting instance %s (pid %d)", instance ? instance : "?", static_cast<int>(getpid()));

  // Every signal is taken with sigwaitinfo. Handlers (that never run) make sure signals sent
  // from outside the instance's PID namespace reach PID 1 at all.
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = Ignore;
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD}) {
    sigaction(sig, &sa, nullptr);
  }

  ssize_t len = ReadUserData(user_data_path, g_user_data, kMaxUserData);
  pid_t child = -1;
  if (len > 0) {
    g_user_data[len] = '\0';
    const bool script = len >= 2 && g_user_data[0] == '#' && g_user_data[1] == '!';
    // Outside an instance (tests) nothing is written to the host's /var/lib.
    const char* path =
        pid1 ? KeepUserData(user_data_path, g_user_data, static_cast<size_t>(len)) : user_data_path;
    child = fork();
    if (child == 0) {
      struct sigaction dfl;
      memset(&dfl, 0, sizeof dfl);
      dfl.sa_handler = SIG_DFL;
      for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &dfl, nullptr);
      sigprocmask(SIG_SETMASK, &old, nullptr);
      setsid();
      int devnull = open("/dev/null", O_RDONLY);
      if (devnull >= 0) dup2(devnull, 0);
      if (script) {
        execl(path, path, static_cast<char*>(nullptr));
      } else {
        execl("/bin/sh", "sh", "-c", g_user_data, static_cast<char*>(nullptr));
      }
      Log("cannot run the user data: %s", strerror(errno));
      _exit(127);
    }
    if (child < 0) {
      Log("fork: %s", strerror(errno));
      return 1;
    }
    Log("user data started (pid %d, %s)", static_cast<int>(child), script ? "script" : "sh -c");
  } else {
    Log("no user data; waiting for shutdown");
  }

  // Each turn handles one signal; the loop ends when the workload has exited (or, without a
  // workload, at SIGTERM/SIGINT).
  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&all, &info);
    if (sig < 0) continue;  // EINTR
    if (sig == SIGCHLD) {
      int status = 0;
      pid_t pid;
      while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (pid == child) {
          int code = ExitCode(status);
          Log("user data exited with code %d; shutting down", code);
          return code;
        }
      }
      continue;
    }
    if (!IsForwarded(sig)) continue;
    if (child < 0) {
      if (sig == SIGTERM || sig == SIGINT) {
        Log("received %s; shutting down", strsignal(sig));
        return 0;
      }
      continue;
    }
    Log("received %s; forwarding it", strsignal(sig));
    if (pid1) {
      kill(-1, sig);  // every process of the instance but the init
    } else {
      kill(-child, sig);
    }
  }
}
