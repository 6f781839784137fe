// CurlHttpClient against a cpp-httplib server on a loopback port.
#include "provider/ec2/curl_http_client.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <set>
#include <thread>

namespace spotkeeper {
namespace {

class LoopbackServer {
 public:
  LoopbackServer() {
    server_.Post("/echo", [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard<std::mutex> l(mu_);
        ports_.insert(req.remote_port);
      }
      res.status = 200;
      res.set_header("X-Echo-Target", req.get_header_value("X-Amz-Target"));
      res.set_header("X-Echo-Host", req.get_header_value("Host"));
      res.set_content(req.method + " " + req.body, "text/plain");
    });
    server_.Put("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.method + " " + req.body, "text/plain");
    });
    server_.Get("/status/503", [](const httplib::Request&, httplib::Response& res) {
      res.status = 503;
      res.set_content(
          "<Response><Errors><Error><Code>Unavailable</Code></Error></Errors>"
          "</Response>",
          "text/xml");
    });
    server_.Get("/slow", [](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the server side, bounded
      res.set_content("late", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
  }
  ~LoopbackServer() {
    server_.stop();
    thread_.join();
  }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::set<int> ports() {
    std::lock_guard<std::mutex> l(mu_);
    return ports_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::set<int> ports_;
};

TEST(CurlHttpClientTest, PostsBodyAndHeadersAndReadsTheReply) {
  LoopbackServer server;
  CurlHttpClient client;
  aws::HttpRequest req{"POST",
                       server.Url("/echo"),
                       {{"X-Amz-Target", "AmazonSQS.ReceiveMessage"}, {"Host", "example.test"}},
                       "Action=DescribeVolumes&x=%20",
                       {}};
  auto r = client.Send(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "POST Action=DescribeVolumes&x=%20");
  EXPECT_EQ(aws::FindHeader(r->headers, "x-echo-target"), "AmazonSQS.ReceiveMessage");
  // The Host header the request was signed with is the one sent.
  EXPECT_EQ(aws::FindHeader(r->headers, "X-Echo-Host"), "example.test");
  EXPECT_EQ(aws::FindHeader(r->headers, "Content-Type"), "text/plain");
}

TEST(CurlHttpClientTest, OtherMethodsAndErrorStatuses) {
  LoopbackServer server;
  CurlHttpClient client;
  auto put = client.Send({"PUT", server.Url("/echo"), {}, "token-ttl", {}});
  ASSERT_TRUE(put.ok());
  EXPECT_EQ(put->body, "PUT token-ttl");
  auto unavailable = client.Send({"GET", server.Url("/status/503"), {}, "", {}});
  ASSERT_TRUE(unavailable.ok());  // an HTTP error is a reply, not a transport failure
  EXPECT_EQ(unavailable->status, 503);
  EXPECT_NE(unavailable->body.find("Unavailable"), std::string::npos);
  auto missing = client.Send({"GET", server.Url("/nope"), {}, "", {}});
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
}

TEST(CurlHttpClientTest, ReusesConnections) {
  LoopbackServer server;
  CurlHttpClient client;
  for (int i = 0; i < 5; ++i) {
    auto r = client.Send({"POST", server.Url("/echo"), {}, "x", {}});
    ASSERT_TRUE(r.ok());
  }
  EXPECT_EQ(server.ports().size(), 1u);  // one client port: one kept-alive connection
}

TEST(CurlHttpClientTest, ConcurrentCallers) {
  LoopbackServer server;
  CurlHttpClient client;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        std::string body = std::to_string(t) + "-" + std::to_string(i);
        auto r = client.Send({"POST", server.Url("/echo"), {}, body, {}});
        if (r.ok() && r->body == "POST " + body) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 40);
}

TEST(CurlHttpClientTest, TimeoutIsDeadlineExceeded) {
  LoopbackServer server;
  CurlHttpClient client;
  aws::HttpRequest req{"GET", server.Url("/slow"), {}, "", std::chrono::milliseconds(200)};
  auto r = client.Send(req);
  EXPECT_EQ(r.status().code(), Code::kDeadlineExceeded) << r.status().ToString();
}

TEST(CurlHttpClientTest, RefusedConnectionIsConnectionFailed) {
  int port = 0;
  {
    LoopbackServer server;  // learn a port that is then closed
    port = std::stoi(server.Url("").substr(std::string("http://127.0.0.1:").size()));
  }
  CurlHttpClient client;
  auto r = client.Send({"GET", "http://127.0.0.1:" + std::to_string(port) + "/", {}, "", {}});
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_EQ(r.status().cloud_code(), aws::kConnectionFailed);
}

}  // namespace
}  // namespace spotkeeper
