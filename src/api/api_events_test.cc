// The audit log over HTTP: filters, paging, tail, the long poll and the SSE stream.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "api/api_test_util.h"

namespace spotkeeper::api::testing {
namespace {

class ApiEventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    group_ = server_.CreateAndLaunch(world_.Spec("db"));
    other_ = server_.CreateAndLaunch(world_.Spec("cache"));
    ASSERT_FALSE(group_.empty());
    ASSERT_FALSE(other_.empty());
    ssi_ = server_.FirstSsi(group_)["id"];
  }
  int64_t LastSeq() { return server_.Get("/api/v1/events?tail=1").json["lastSeq"]; }

  FakeWorld world_;
  TempDir dir_;
  TestServer server_{&world_, dir_.path()};
  std::string group_, other_, ssi_;
};

TEST_F(ApiEventsTest, FiltersPagingAndTail) {
  Reply all = server_.Get("/api/v1/events?limit=1000");
  ASSERT_EQ(all.status, 200) << all.Dump();
  ASSERT_GT(all.json["count"].get<int>(), 4);
  std::set<std::string> groups;
  for (const auto& e : all.json["items"]) groups.insert(e["groupId"]);
  EXPECT_TRUE(groups.count(group_) && groups.count(other_));

  Reply mine = server_.Get("/api/v1/events?limit=1000&groupId=" + group_);
  ASSERT_GT(mine.json["count"].get<int>(), 0);
  for (const auto& e : mine.json["items"]) EXPECT_EQ(e["groupId"], group_);
  Reply by_ssi = server_.Get("/api/v1/events?limit=1000&statefulInstanceId=" + ssi_);
  ASSERT_GT(by_ssi.json["count"].get<int>(), 0);
  for (const auto& e : by_ssi.json["items"]) EXPECT_EQ(e["statefulInstanceId"], ssi_);
  EXPECT_EQ(by_ssi.json["items"][0]["kind"].get<std::string>().empty(), false);

  // Paging with after/limit walks the same events.
  std::vector<int64_t> seqs;
  int64_t after = 0;
  while (true) {
    Reply page = server_.Get("/api/v1/events?limit=3&after=" + std::to_string(after));
    ASSERT_EQ(page.status, 200);
    for (const auto& e : page.json["items"]) seqs.push_back(e["seq"]);
    if (page.json["count"] == 0) break;
    after = page.json["lastSeq"];
  }
  ASSERT_EQ(seqs.size(), all.json["items"].size());
  EXPECT_TRUE(std::is_sorted(seqs.begin(), seqs.end()));

  Reply tail = server_.Get("/api/v1/events?tail=2");
  ASSERT_EQ(tail.json["count"], 2);
  EXPECT_EQ(tail.json["items"][1]["seq"], seqs.back());
  EXPECT_EQ(tail.json["items"][0]["seq"], seqs[seqs.size() - 2]);

  // since: only what happened at or after that time.
  world_.clock.Advance(Duration{60'000});
  std::string cut = FormatTime(world_.clock.Now());
  ASSERT_EQ(server_.Put("/api/v1/statefulInstance/" + ssi_ + "/pause").status, 202);
  Reply since = server_.Get("/api/v1/events?since=" + cut);
  ASSERT_EQ(since.json["count"], 1) << since.Dump();
  EXPECT_EQ(since.json["items"][0]["kind"], "PauseRequested");
  EXPECT_EQ(since.json["items"][0]["actor"], "operator");

  EXPECT_EQ(server_.Get("/api/v1/events?since=yesterday").status, 400);
  EXPECT_EQ(server_.Get("/api/v1/events?limit=0").status, 400);
  EXPECT_EQ(server_.Get("/api/v1/events?after=-1").status, 400);
  EXPECT_EQ(server_.Get("/api/v1/events?wait=3600").status, 400);
}

TEST_F(ApiEventsTest, LongPollReturnsWhenAnEventArrives) {
  int64_t last = LastSeq();
  Reply polled;
  std::thread poller([&] {
    polled = server_.Get("/api/v1/events?wait=30&statefulInstanceId=" + ssi_ +
                         "&after=" + std::to_string(last));
  });
  ASSERT_EQ(server_.Put("/api/v1/statefulInstance/" + ssi_ + "/recycle").status, 202);
  poller.join();
  ASSERT_EQ(polled.status, 200) << polled.Dump();
  ASSERT_GE(polled.json["count"].get<int>(), 1);
  EXPECT_EQ(polled.json["items"][0]["kind"], "RecycleRequested");
  // Nothing new: an immediate answer without wait.
  Reply empty =
      server_.Get("/api/v1/events?after=" + std::to_string(polled.json["lastSeq"].get<int64_t>()) +
                  "&statefulInstanceId=" + ssi_);
  EXPECT_EQ(empty.json["count"], 0);
  EXPECT_EQ(empty.json["lastSeq"], polled.json["lastSeq"]);
}

// Reads an SSE stream on a thread and collects its events.
class StreamReader {
 public:
  struct State {
    bool opened = false;  // the "retry:" preamble arrived
    bool ended = false;   // the response is over
    int keepalives = 0;
    std::vector<nlohmann::json> events;
    std::vector<std::string> ids;
    bool HasKind(const std::string& kind) const {
      return std::any_of(events.begin(), events.end(),
                         [&](const nlohmann::json& e) { return e["kind"] == kind; });
    }
  };

  StreamReader(int port, const std::string& token, const std::string& path,
               httplib::Headers headers = {})
      : thread_([this, port, token, path, headers] { Read(port, token, path, headers); }) {}
  ~StreamReader() {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    thread_.join();
  }
  // Waits (real time, bounded) until `pred` holds for the state.
  bool WaitFor(const std::function<bool(const State&)>& pred) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, std::chrono::seconds(30), [&] { return pred(state_); });
  }
  State Get() {
    std::lock_guard<std::mutex> l(mu_);
    return state_;
  }

 private:
  void Read(int port, const std::string& token, const std::string& path, httplib::Headers headers) {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(60, 0);
    headers.emplace("Authorization", "Bearer " + token);
    auto r = c.Get(path.c_str(), headers, [this](const char* data, size_t n) {
      std::lock_guard<std::mutex> l(mu_);
      buf_.append(data, n);
      size_t end;
      while ((end = buf_.find("\n\n")) != std::string::npos) {
        std::string block = buf_.substr(0, end);
        buf_.erase(0, end + 2);
        if (block.rfind("retry:", 0) == 0) state_.opened = true;
        if (block.rfind(":", 0) == 0) ++state_.keepalives;
        size_t d = block.find("data: ");
        if (d != std::string::npos) {
          state_.events.push_back(nlohmann::json::parse(block.substr(d + 6)));
          state_.ids.push_back(block.substr(4, block.find('\n') - 4));
        }
      }
      cv_.notify_all();
      return !stop_;
    });
    std::lock_guard<std::mutex> l(mu_);
    state_.ended = true;
    cv_.notify_all();
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::string buf_;
  bool stop_ = false;
  State state_;
  std::thread thread_;
};

TEST_F(ApiEventsTest, StreamDeliversNewEventsLive) {
  StreamReader reader(server_.port(), server_.token(),
                      "/api/v1/events/stream?statefulInstanceId=" + ssi_);
  ASSERT_TRUE(reader.WaitFor([](const auto& s) { return s.opened; }));
  ASSERT_EQ(server_.Put("/api/v1/statefulInstance/" + ssi_ + "/recycle").status, 202);
  ASSERT_TRUE(reader.WaitFor([](const auto& s) { return !s.events.empty(); }));
  auto st = reader.Get();
  EXPECT_EQ(st.events[0]["kind"], "RecycleRequested");
  EXPECT_EQ(st.ids[0], std::to_string(st.events[0]["seq"].get<int64_t>()));
  // The recycle's own events follow as the controller works, and only this instance's.
  ASSERT_TRUE(server_.RunUntil([&] { return server_.SsiState(ssi_) == "RECYCLING"; }));
  ASSERT_TRUE(reader.WaitFor([](const auto& s) { return s.HasKind("WorkflowStarted"); }));
  for (const auto& e : reader.Get().events) EXPECT_EQ(e["statefulInstanceId"], ssi_);
  // Idle streams get keep-alive comments (every 200 ms in this test server).
  ASSERT_TRUE(reader.WaitFor([](const auto& s) { return s.keepalives > 0; }));
}

TEST_F(ApiEventsTest, StreamResumesAfterLastEventIdAndTails) {
  int64_t last = LastSeq();
  ASSERT_EQ(server_.Put("/api/v1/statefulInstance/" + ssi_ + "/pause").status, 202);
  StreamReader resumed(server_.port(), server_.token(), "/api/v1/events/stream",
                       {{"Last-Event-ID", std::to_string(last)}});
  ASSERT_TRUE(resumed.WaitFor([](const auto& s) { return !s.events.empty(); }));
  auto st = resumed.Get();
  EXPECT_EQ(st.events[0]["kind"], "PauseRequested");
  EXPECT_GT(st.events[0]["seq"].get<int64_t>(), last);

  StreamReader tail(server_.port(), server_.token(), "/api/v1/events/stream?tail=3");
  ASSERT_TRUE(tail.WaitFor([](const auto& s) { return s.events.size() >= 3; }));
  EXPECT_EQ(tail.Get().events[2]["kind"], "PauseRequested");

  Reply bad =
      server_.Call("GET", "/api/v1/events/stream", "", "", true, "", {{"Last-Event-ID", "x"}});
  EXPECT_EQ(bad.status, 400) << bad.Dump();
}

TEST_F(ApiEventsTest, StreamsEndWhenTheServerStops) {
  StreamReader reader(server_.port(), server_.token(), "/api/v1/events/stream");
  ASSERT_TRUE(reader.WaitFor([](const auto& s) { return s.opened; }));
  server_.app().Stop();
  EXPECT_TRUE(reader.WaitFor([](const auto& s) { return s.ended; }));
}

TEST(ApiEventStreamLimitTest, StreamsBeyondTheLimitAre429) {
  FakeWorld world;
  TempDir dir;
  TestServer server(&world, dir.path(), 7, /*max_streams=*/1);
  {
    StreamReader first(server.port(), server.token(), "/api/v1/events/stream");
    ASSERT_TRUE(first.WaitFor([](const auto& s) { return s.opened; }));
    Reply second = server.Get("/api/v1/events/stream");
    EXPECT_EQ(second.status, 429) << second.Dump();
    EXPECT_EQ(second.json["code"], "ResourceExhausted");
    // The long poll still works meanwhile.
    EXPECT_EQ(server.Get("/api/v1/events?wait=0").status, 200);
  }
  // The closed stream's slot is free again once the server notices the client left (at its
  // next keep-alive write).
  ASSERT_TRUE(server.app().events().WaitForStreamsAtMost(
      0, std::chrono::steady_clock::now() + std::chrono::seconds(30)));
  StreamReader third(server.port(), server.token(), "/api/v1/events/stream");
  EXPECT_TRUE(third.WaitFor([](const auto& s) { return s.opened; }));
}

}  // namespace
}  // namespace spotkeeper::api::testing
