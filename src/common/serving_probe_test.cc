// ProbeServing against real listeners on 127.0.0.1: an httplib server that answers 503 then 200,
// and TCP servers that answer a not-serving reply then a serving one (ZooKeeper's srvr).
#include "common/serving_probe.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

namespace spotkeeper {
namespace {

// A TCP server on 127.0.0.1 (kernel-picked port) that accepts one connection at a time, reads
// what the client sends (up to a newline, or nothing when `read_first` is false), writes
// `reply()` and closes. `stall` makes it accept and then say nothing until stopped.
class LineServer {
 public:
  explicit LineServer(std::function<std::string()> reply, bool stall = false)
      : reply_(std::move(reply)), stall_(stall) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    EXPECT_EQ(listen(fd_, 8), 0);
    socklen_t len = sizeof(a);
    EXPECT_EQ(getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len), 0);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~LineServer() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    thread_.join();
    close(fd_);
  }
  int port() const { return port_; }
  std::string last_request() const {
    std::lock_guard<std::mutex> l(mu_);
    return last_;
  }

 private:
  void Serve() {
    while (!stop_) {
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string got;
      char ch;
      while (read(c, &ch, 1) == 1) {
        got += ch;
        if (ch == '\n') break;
      }
      {
        std::lock_guard<std::mutex> l(mu_);
        last_ = got;
      }
      if (stall_) {
        while (!stop_) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      } else {
        std::string r = reply_();
        (void)!write(c, r.data(), r.size());
      }
      close(c);
    }
  }

  std::function<std::string()> reply_;
  bool stall_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::string last_;
};

// ZooKeeper 3.8's answers to "srvr": a member of a quorum, and one that is not.
constexpr char kZkNotServing[] = "This ZooKeeper instance is not currently serving requests\n";
constexpr char kZkFollower[] =
    "Zookeeper version: 3.8.4\nLatency min/avg/max: 0/0.0/0\nReceived: 3\nSent: 2\n"
    "Connections: 1\nOutstanding: 0\nZxid: 0x100000000\nMode: follower\nNode count: 5\n";

ServingProbe Srvr(int port) {
  ServingProbe p;
  p.port = port;
  p.send = "srvr\n";
  p.expect = "Mode: ";
  return p;
}

TEST(ServingProbeTest, TcpSendExpectServesOnlyWhenTheReplyContainsExpect) {
  std::atomic<int> calls{0};
  LineServer zk([&] { return ++calls == 1 ? std::string(kZkNotServing) : kZkFollower; });
  Status s = ProbeServing("127.0.0.1", Srvr(zk.port()), Duration{2000});
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_EQ(s.cloud_code(), "UnexpectedReply");
  EXPECT_NE(s.message().find("not currently serving"), std::string::npos) << s.message();
  EXPECT_EQ(zk.last_request(), "srvr\n");
  EXPECT_TRUE(ProbeServing("127.0.0.1", Srvr(zk.port()), Duration{2000}).ok());
}

TEST(ServingProbeTest, TcpWithoutSendOrExpectIsAConnect) {
  LineServer s([] { return std::string(); });
  ServingProbe p;
  p.port = s.port();
  EXPECT_TRUE(ProbeServing("127.0.0.1", p, Duration{2000}).ok());
}

TEST(ServingProbeTest, ASilentServerTimesOutWithinTheTimeout) {
  LineServer silent([] { return std::string(); }, /*stall=*/true);
  auto start = std::chrono::steady_clock::now();
  Status s = ProbeServing("127.0.0.1", Srvr(silent.port()), Duration{300});
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(s.cloud_code(), "Timeout") << s.ToString();
  EXPECT_LT(took, std::chrono::milliseconds(1500));
}

TEST(ServingProbeTest, AnEndlessReplyIsCutAtTheCap) {
  LineServer chatty([] { return std::string(kServingReplyCap + 10'000, 'x'); });
  Status s = ProbeServing("127.0.0.1", Srvr(chatty.port()), Duration{2000});
  EXPECT_EQ(s.cloud_code(), "UnexpectedReply") << s.ToString();
  EXPECT_NE(s.message().find("first 65536 bytes"), std::string::npos) << s.message();
}

TEST(ServingProbeTest, RefusedAndBadAddressesAreNamed) {
  int port;
  {
    LineServer gone([] { return std::string(); });
    port = gone.port();
  }
  EXPECT_EQ(ProbeServing("127.0.0.1", Srvr(port), Duration{1000}).cloud_code(),
            "ConnectionRefused");
  ServingProbe http;
  http.kind = ServingProbe::Kind::kHttp;
  http.port = port;
  EXPECT_EQ(ProbeServing("127.0.0.1", http, Duration{1000}).cloud_code(), "ConnectionRefused");
  EXPECT_EQ(ProbeServing("not-an-ip", http, Duration{1000}).code(), Code::kInvalidArgument);
  http.port = 70000;
  EXPECT_EQ(ProbeServing("127.0.0.1", http, Duration{1000}).code(), Code::kInvalidArgument);
}

// An httplib server on 127.0.0.1: /health answers 503 {"health":"false"} until `healthy`,
// then 200 {"health":"true"}; /slow never answers within a probe's timeout.
class HealthServer {
 public:
  HealthServer() {
    server_.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
      if (healthy) {
        res.set_content(R"({"health":"true","reason":""})", "application/json");
      } else {
        res.status = 503;
        res.set_content(R"({"health":"false","reason":"RAFT NO LEADER"})", "application/json");
      }
    });
    server_.Get("/unhealthy-200", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"health":"false"})", "application/json");
    });
    server_.Get("/big", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(kServingReplyCap * 2, 'x') + "\"health\":\"true\"", "text/plain");
    });
    server_.Get("/slow", [this](const httplib::Request&, httplib::Response& res) {
      while (!stop_) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      res.set_content("late", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~HealthServer() {
    stop_ = true;
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  std::atomic<bool> healthy{false};

 private:
  httplib::Server server_;
  std::atomic<bool> stop_{false};
  int port_ = 0;
  std::thread thread_;
};

ServingProbe EtcdHealth(int port, const std::string& path = "/health") {
  ServingProbe p;
  p.kind = ServingProbe::Kind::kHttp;
  p.port = port;
  p.path = path;
  p.expect = R"("health":"true")";
  return p;
}

TEST(ServingProbeTest, HttpServesOnlyWithTheStatusAndTheBody) {
  HealthServer etcd;
  Status s = ProbeServing("127.0.0.1", EtcdHealth(etcd.port()), Duration{2000});
  EXPECT_EQ(s.cloud_code(), "UnexpectedStatus") << s.ToString();
  EXPECT_NE(s.message().find("503"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("RAFT NO LEADER"), std::string::npos) << s.message();
  etcd.healthy = true;
  EXPECT_TRUE(ProbeServing("127.0.0.1", EtcdHealth(etcd.port()), Duration{2000}).ok());

  s = ProbeServing("127.0.0.1", EtcdHealth(etcd.port(), "/unhealthy-200"), Duration{2000});
  EXPECT_EQ(s.cloud_code(), "UnexpectedReply") << s.ToString();

  ServingProbe want503 = EtcdHealth(etcd.port(), "/unhealthy-200");
  want503.expect.clear();
  EXPECT_TRUE(ProbeServing("127.0.0.1", want503, Duration{2000}).ok());
  want503.expect_status = 503;
  EXPECT_EQ(ProbeServing("127.0.0.1", want503, Duration{2000}).cloud_code(), "UnexpectedStatus");

  ServingProbe missing = EtcdHealth(etcd.port(), "/nope");
  EXPECT_EQ(ProbeServing("127.0.0.1", missing, Duration{2000}).cloud_code(), "UnexpectedStatus");
}

TEST(ServingProbeTest, HttpReadsAtMostTheCapAndAtMostTheTimeout) {
  HealthServer etcd;
  // The expected text sits past the cap: not seen, so not serving.
  Status s = ProbeServing("127.0.0.1", EtcdHealth(etcd.port(), "/big"), Duration{2000});
  EXPECT_EQ(s.cloud_code(), "UnexpectedReply") << s.ToString();

  auto start = std::chrono::steady_clock::now();
  s = ProbeServing("127.0.0.1", EtcdHealth(etcd.port(), "/slow"), Duration{300});
  EXPECT_EQ(s.cloud_code(), "Timeout") << s.ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1500));
}

TEST(ServingProbeTest, DescribeSaysWhatIsAsked) {
  EXPECT_EQ(Srvr(2181).Describe("10.0.1.5"),
            R"(tcp port 2181 of 10.0.1.5 (send "srvr\n", expect "Mode: "))");
  EXPECT_EQ(EtcdHealth(2379).Describe("10.0.1.5"),
            R"(http://10.0.1.5:2379/health (expect 200, body containing ""health":"true""))");
}

}  // namespace
}  // namespace spotkeeper
