#include "cloud/host/linux/netns_thread.h"

#include <fcntl.h>
#include <sched.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <thread>

#include "cloud/host/linux/unique_fd.h"

namespace spotkeeper::cloud::linuxhost {
namespace {

class JoiningThread final : public VpcThread {
 public:
  explicit JoiningThread(std::thread t) : thread_(std::move(t)) {}
  ~JoiningThread() override {
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::thread thread_;
};

Result<UniqueFd> OpenNetns(const std::string& ns_name) {
  std::string path = "/run/netns/" + ns_name;
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return NotFound("network namespace " + ns_name + " does not exist");
    return Internal("open " + path + ": " + std::strerror(errno));
  }
  return fd;
}

}  // namespace

Result<std::unique_ptr<VpcThread>> StartThreadInNetns(const std::string& ns_name,
                                                      std::function<void()> fn) {
  SK_ASSIGN_OR_RETURN(UniqueFd fd, OpenNetns(ns_name));
  auto entered = std::make_shared<std::promise<Status>>();
  std::future<Status> entered_future = entered->get_future();
  std::thread t([ns = std::move(fd), fn = std::move(fn), entered, ns_name]() mutable {
    if (setns(ns.get(), CLONE_NEWNET) != 0) {
      entered->set_value(Internal("setns " + ns_name + ": " + std::strerror(errno)));
      return;
    }
    ns.reset();
    entered->set_value(OkStatus());
    fn();
  });
  Status s = entered_future.get();
  auto handle = std::make_unique<JoiningThread>(std::move(t));
  if (!s.ok()) return s;  // the thread has ended; the handle joined it
  return std::unique_ptr<VpcThread>(std::move(handle));
}

Status RunInNetns(const std::string& ns_name, const std::function<Status()>& fn) {
  Status result;
  SK_ASSIGN_OR_RETURN(std::unique_ptr<VpcThread> thread,
                      StartThreadInNetns(ns_name, [&result, &fn] { result = fn(); }));
  thread.reset();  // joins
  return result;
}

}  // namespace spotkeeper::cloud::linuxhost
