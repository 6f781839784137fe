// Threads inside a network namespace. setns(CLONE_NEWNET) changes only the calling thread, so a
// new thread enters the namespace (/run/netns/<name>) and runs the work there; the rest of the
// process stays in the host namespace.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "cloud/host/host_driver.h"
#include "common/status.h"

namespace spotkeeper::cloud::linuxhost {

// Starts `fn` on a new thread in namespace `ns_name`. Returns once the thread is in the
// namespace (or failed to enter it: then `fn` never runs). The handle joins the thread.
Result<std::unique_ptr<VpcThread>> StartThreadInNetns(const std::string& ns_name,
                                                      std::function<void()> fn);

// Runs `fn` in namespace `ns_name` and waits for it.
Status RunInNetns(const std::string& ns_name, const std::function<Status()>& fn);

}  // namespace spotkeeper::cloud::linuxhost
