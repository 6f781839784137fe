// SpotTest: EngineTest with the spot market's options in `market_` (Reconfigure() reopens the
// engine with them, as a restart with a new config), a Tick() that moves the FakeClock and runs
// what the market has due and the work that follows, and readers of the spot requests, the IMDS
// answers and the events queue.
#pragma once

#include <algorithm>
#include <fstream>

#include "cloud/engine/engine_test_util.h"

namespace spotkeeper::cloud {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

class SpotTest : public EngineTest {
 protected:
  EngineOptions Options() override {
    EngineOptions o = EngineTest::Options();
    o.market = market_;
    return o;
  }
  // Reopens the engine with `market_` (the state file stays: as a restart with a new config).
  void Reconfigure() { Restart(); }
  void UseCsv(const std::string& text) {
    std::string path = (dir_ / "prices.csv").string();
    std::ofstream(path) << text;
    market_.price_model = "csv";
    market_.csv_path = path;
    Reconfigure();
  }

  RunInstancesRequest Spot(const std::string& type = "one-time", const std::string& behavior = "") {
    RunInstancesRequest r = Launch();
    r.market_type = "spot";
    r.spot.request_type = type;
    r.spot.interruption_behavior = behavior;
    return r;
  }
  // Moves the clock, runs what the market has due, and the work that follows.
  void Tick(Duration d) {
    clock_.Advance(d);
    engine_->MarketTickOnce();
    Drain();
  }
  SpotRequestRecord RequestOf(const std::string& instance_id) {
    auto v = engine_->FindInstance(instance_id);
    EXPECT_TRUE(v.has_value());
    DescribeRequest d;
    d.ids = {v->instance.spot_request_id};
    auto page = engine_->DescribeSpotInstanceRequests(d);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() && !page->items.empty() ? page->items[0] : SpotRequestRecord{};
  }
  std::string Status(const std::string& instance_id) {
    SpotRequestRecord s = RequestOf(instance_id);
    return s.state + "/" + s.status_code;
  }
  std::string Imds(const std::string& id, const std::string& path) {
    return engine_->SpotMetadata(id, path).value_or("404");
  }
  // Every event now in the queue (received once).
  std::vector<nlohmann::json> Events() {
    std::vector<nlohmann::json> out;
    for (int i = 0; i < 100; ++i) {
      auto got = sqs_->ReceiveMessage("events", 10, 3600, 0);
      if (!got.ok() || got->empty()) break;
      for (const SqsReceived& m : *got) out.push_back(nlohmann::json::parse(m.body));
    }
    return out;
  }
  std::vector<std::string> EventKinds(const std::string& instance_id) {
    std::vector<std::string> out;
    for (const nlohmann::json& e : Events()) {
      if (e["detail"].value("instance-id", "") != instance_id) continue;
      std::string kind = e["detail-type"];
      if (e["detail"].contains("state")) kind += ":" + e["detail"]["state"].get<std::string>();
      out.push_back(kind);
    }
    return out;
  }
  std::string At(Duration from_start) {
    std::string t = FormatTime(start_ + from_start);
    return t.substr(0, 19) + "Z";
  }

  MarketOptions market_;
  Time start_;
};

}  // namespace spotkeeper::cloud
