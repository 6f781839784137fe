// EtcdTestCluster: a throwaway etcd cluster for tests — `members` etcd processes (Debian's
// etcd-server) on free loopback ports, each with a data directory under the test's temp dir.
// The processes die with the test process (PR_SET_PDEATHSIG) and are killed, and their
// directories removed, when the cluster is destroyed.
//
// SharedEtcd() is one single-member cluster per test binary (started on first use, stopped at
// exit); tests share it under distinct key prefixes (UniquePrefix()).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "awsproto/http_message.h"
#include "common/status.h"

namespace spotkeeper::store_testing {

class EtcdTestCluster {
 public:
  // FailedPrecondition when etcd is not installed (the caller skips); other errors when it
  // does not come up.
  static Result<std::unique_ptr<EtcdTestCluster>> Start(int members);
  ~EtcdTestCluster();
  EtcdTestCluster(const EtcdTestCluster&) = delete;
  EtcdTestCluster& operator=(const EtcdTestCluster&) = delete;

  // "http://127.0.0.1:port" of each member.
  const std::vector<std::string>& endpoints() const { return endpoints_; }
  // "etcd://127.0.0.1:p1,127.0.0.1:p2,..."
  std::string url() const;
  pid_t pid(int member) const { return pids_[member]; }
  // SIGKILLs one member (and reaps it).
  void Kill(int member);

 private:
  EtcdTestCluster() = default;
  Status WaitHealthy(aws::HttpClient& http);

  std::string dir_;
  std::vector<std::string> endpoints_;
  std::vector<pid_t> pids_;
};

// The etcd binary, or "" when it is not installed.
std::string EtcdBinary();
// The binary-wide single-member cluster, or nullptr with `*why` set when it cannot run.
EtcdTestCluster* SharedEtcd(std::string* why);
// "/sktest-<pid>-<n>/", different on every call.
std::string UniquePrefix();

}  // namespace spotkeeper::store_testing
