#include "store/etcd_test_cluster.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>

#include "provider/ec2/curl_http_client.h"

namespace spotkeeper::store_testing {
namespace {

// A port the kernel had free a moment ago (etcd binds it right after).
Result<int> FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Internal("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return Internal("bind to a free port failed");
  }
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

}  // namespace

std::string EtcdBinary() {
  for (const char* path : {"/usr/bin/etcd", "/usr/local/bin/etcd"}) {
    if (access(path, X_OK) == 0) return path;
  }
  return "";
}

Result<std::unique_ptr<EtcdTestCluster>> EtcdTestCluster::Start(int members) {
  std::string binary = EtcdBinary();
  if (binary.empty()) {
    return FailedPrecondition("etcd is not installed (Debian's etcd-server; scripts/deps.sh)");
  }
  std::unique_ptr<EtcdTestCluster> cluster(new EtcdTestCluster());
  std::string pattern = testing::TempDir() + "/sk_etcd_XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) return Internal("mkdtemp " + pattern);
  cluster->dir_ = pattern;

  std::vector<int> client_ports, peer_ports;
  std::string initial;
  for (int i = 0; i < members; ++i) {
    SK_ASSIGN_OR_RETURN(int client, FreePort());
    SK_ASSIGN_OR_RETURN(int peer, FreePort());
    client_ports.push_back(client);
    peer_ports.push_back(peer);
    if (!initial.empty()) initial += ",";
    initial += "m" + std::to_string(i) + "=http://127.0.0.1:" + std::to_string(peer);
  }
  std::string token = std::filesystem::path(cluster->dir_).filename().string();
  for (int i = 0; i < members; ++i) {
    std::string name = "m" + std::to_string(i);
    std::string client = "http://127.0.0.1:" + std::to_string(client_ports[i]);
    std::string peer = "http://127.0.0.1:" + std::to_string(peer_ports[i]);
    std::vector<std::string> args = {binary,
                                     "--name",
                                     name,
                                     "--data-dir",
                                     cluster->dir_ + "/" + name,
                                     "--listen-client-urls",
                                     client,
                                     "--advertise-client-urls",
                                     client,
                                     "--listen-peer-urls",
                                     peer,
                                     "--initial-advertise-peer-urls",
                                     peer,
                                     "--initial-cluster",
                                     initial,
                                     "--initial-cluster-token",
                                     token,
                                     "--initial-cluster-state",
                                     "new",
                                     "--max-txn-ops",
                                     "1024",
                                     "--heartbeat-interval",
                                     "50",
                                     "--election-timeout",
                                     "500",
                                     "--logger",
                                     "zap",
                                     "--log-outputs",
                                     cluster->dir_ + "/" + name + ".log"};
    pid_t pid = fork();
    if (pid < 0) return Internal("fork failed");
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    cluster->pids_.push_back(pid);
    cluster->endpoints_.push_back(client);
  }
  CurlHttpClient http;
  SK_RETURN_IF_ERROR(cluster->WaitHealthy(http));
  return cluster;
}

Status EtcdTestCluster::WaitHealthy(aws::HttpClient& http) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (const std::string& endpoint : endpoints_) {
    while (true) {
      aws::HttpRequest req;
      req.method = "GET";
      req.url = endpoint + "/health";
      req.timeout = std::chrono::seconds(2);
      Result<aws::HttpResponse> resp = http.Send(req);
      if (resp.ok() && resp->status == 200 && resp->body.find("\"true\"") != std::string::npos) {
        break;
      }
      for (pid_t& pid : pids_) {
        if (pid > 0 && waitpid(pid, nullptr, WNOHANG) == pid) {
          pid = 0;
          return Internal("etcd exited at start (logs in " + dir_ + ")");
        }
      }
      if (std::chrono::steady_clock::now() > deadline) {
        return DeadlineExceeded("etcd at " + endpoint + " not healthy within 30 s (logs in " +
                                dir_ + ")");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling a condition
    }
  }
  return OkStatus();
}

std::string EtcdTestCluster::url() const {
  std::string out = "etcd://";
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    if (i > 0) out += ",";
    out += endpoints_[i].substr(std::string("http://").size());
  }
  return out;
}

void EtcdTestCluster::Kill(int member) {
  pid_t pid = pids_[member];
  if (pid <= 0) return;
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  pids_[member] = 0;
}

EtcdTestCluster::~EtcdTestCluster() {
  for (size_t i = 0; i < pids_.size(); ++i) Kill(static_cast<int>(i));
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

EtcdTestCluster* SharedEtcd(std::string* why) {
  static std::mutex mu;
  static std::unique_ptr<EtcdTestCluster> shared;
  static std::string failure;
  std::lock_guard<std::mutex> lock(mu);
  if (shared == nullptr && failure.empty()) {
    Result<std::unique_ptr<EtcdTestCluster>> started = EtcdTestCluster::Start(1);
    if (started.ok()) {
      shared = std::move(started).value();
    } else {
      failure = started.status().ToString();
    }
  }
  if (shared == nullptr) *why = failure;
  return shared.get();
}

std::string UniquePrefix() {
  static std::atomic<int> n{0};
  return "/sktest-" + std::to_string(getpid()) + "-" + std::to_string(++n) + "/";
}

}  // namespace spotkeeper::store_testing
