#include "sim_server.h"

#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace spotkeeper::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream b;
  b << in.rdbuf();
  std::string s = b.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

std::string SpotkeeperBinary() { return SPOTKEEPER_BIN; }

bool WaitForFile(const std::string& dir, const std::string& name,
                 std::chrono::milliseconds timeout) {
  std::string path = dir + "/" + name;
  int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (fd < 0) return false;
  inotify_add_watch(fd, dir.c_str(), IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool found = false;
  while (true) {
    if (access(path.c_str(), F_OK) == 0) {
      found = true;
      break;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) > 0) {
      char buf[4096];
      while (read(fd, buf, sizeof buf) > 0) {
      }
    }
  }
  close(fd);
  return found;
}

SimServer::SimServer(const std::string& data_dir, std::vector<std::string> extra,
                     std::map<std::string, std::string> env)
    : dir_(data_dir) {
  std::vector<std::string> argv = {SpotkeeperBinary(), "server", "--provider", "sim",
                                   "--data-dir",       data_dir, "--listen",   "127.0.0.1:0",
                                   "--sim-speed",      "100"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  env.emplace("HOME", data_dir);
  process_ = Subprocess::Start(argv, env, data_dir + "/server.log");
  if (!process_) return;
  if (!WaitForFile(data_dir, "address", std::chrono::seconds(30))) return;
  url_ = ReadFile(data_dir + "/address");
  token_ = ReadFile(data_dir + "/token");
  ok_ = !url_.empty() && !token_.empty();
}

SimServer::~SimServer() {
  if (process_) Stop();
}

std::map<std::string, std::string> SimServer::ClientEnv() const {
  return {{"HOME", dir_}, {"SPOTKEEPER_DATA_DIR", dir_}};
}

int SimServer::Stop() {
  process_->Signal(SIGTERM);
  return process_->Wait(std::chrono::seconds(30)).value_or(-1);
}

}  // namespace spotkeeper::testing
