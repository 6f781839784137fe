#include "cloud/host/linux/file_watch.h"

#include <poll.h>
#include <sys/inotify.h>

#include <fstream>
#include <sstream>

#include "cloud/host/linux/unique_fd.h"

namespace spotkeeper::cloud::linuxhost {
namespace {

bool Contains(const std::string& path, const std::string& text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str().find(text) != std::string::npos;
}

}  // namespace

bool WaitForFileToContain(const std::string& path, const std::string& text, Duration timeout) {
  UniqueFd fd(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!fd.valid()) return Contains(path, text);
  const std::string dir = path.substr(0, path.find_last_of('/'));
  // The directory: the file may not exist yet. The file: appends by another process.
  inotify_add_watch(fd.get(), dir.c_str(), IN_CREATE | IN_MOVED_TO);
  bool file_watched = inotify_add_watch(fd.get(), path.c_str(), IN_MODIFY) >= 0;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // Each turn waits for a change or the deadline.
  for (;;) {
    if (!file_watched) file_watched = inotify_add_watch(fd.get(), path.c_str(), IN_MODIFY) >= 0;
    if (Contains(path, text)) return true;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p = {fd.get(), POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) > 0) {
      char buf[4096];
      while (read(fd.get(), buf, sizeof buf) > 0) {
      }
    }
  }
}

}  // namespace spotkeeper::cloud::linuxhost
