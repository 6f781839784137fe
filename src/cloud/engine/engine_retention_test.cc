// The local cloud's retention (docs/retention.md, "The local cloud's records"): client tokens
// are honoured for their window and forgotten once nothing they made exists, and a week of
// launches, interruptions and terminations on the fake clock leaves the state file flat.
#include "cloud/engine/engine_spot_test_util.h"

namespace spotkeeper::cloud {
namespace {

class RetentionTest : public SpotTest {
 protected:
  EngineOptions Options() override {
    EngineOptions o = SpotTest::Options();
    o.cost_retention = hours(48);  // shorter than the default 31 days, so a week shows it
    return o;
  }
  // Rows per table of the state file, and the file's pages.
  int64_t Count(const std::string& sql) {
    int64_t n = -1;
    EXPECT_TRUE(db_->Query(sql, {}, [&](const DbRow& r) { n = std::get<int64_t>(r[0]); }).ok());
    return n;
  }
  int64_t Resources(const std::string& kind) {
    auto saved = db_->Query("SELECT COUNT(*) FROM resources WHERE kind = ?", {kind},
                            [&](const DbRow& r) { counted_ = std::get<int64_t>(r[0]); });
    EXPECT_TRUE(saved.ok()) << saved.ToString();
    return counted_;
  }
  RunInstancesRequest Tokened(const std::string& token) {
    RunInstancesRequest r = Spot();
    r.client_token = token;
    return r;
  }
  int64_t counted_ = 0;
};

TEST_F(RetentionTest, AClientTokenIsHonouredWhileItsInstanceLivesAndForgottenADayAfter) {
  auto first = engine_->RunInstances(Tokened("tok-1"));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  std::string id = first->instances.at(0).instance.id;
  Drain();
  // Two days on, the instance still runs: a retry still answers with it.
  Tick(hours(48));
  engine_->CheckInstancesOnce();
  auto retry = engine_->RunInstances(Tokened("tok-1"));
  ASSERT_TRUE(retry.ok()) << retry.status().ToString();
  EXPECT_EQ(retry->instances.at(0).instance.id, id);
  EXPECT_EQ(Resources("token"), 1);
  // Terminated: listed for an hour; the token stays while the record does.
  ASSERT_TRUE(engine_->TerminateInstances({id}).ok());
  Drain();
  engine_->CheckInstancesOnce();
  EXPECT_EQ(Resources("token"), 1);
  Tick(hours(1) + seconds(1));
  engine_->CheckInstancesOnce();  // the instance is forgotten first
  engine_->CheckInstancesOnce();  // then the token that made it
  EXPECT_EQ(State(id), "(none)");
  EXPECT_EQ(Resources("token"), 0);
  // The token is free again: a new launch.
  auto again = engine_->RunInstances(Tokened("tok-1"));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_NE(again->instances.at(0).instance.id, id);
}

TEST_F(RetentionTest, AYoungTokenStaysEvenWhenWhatItMadeIsGone) {
  CreateVolumeRequest v;
  v.availability_zone = "local-1a";
  v.size = 1;
  v.client_token = "vol-tok";
  auto vol = engine_->CreateVolume(v);
  ASSERT_TRUE(vol.ok()) << vol.status().ToString();
  Drain();
  ASSERT_TRUE(engine_->DeleteVolume(vol->id).ok());
  Drain();
  Tick(hours(23));
  engine_->CheckInstancesOnce();
  EXPECT_EQ(Resources("token"), 1);  // within the day: a retry is still recognised
  Tick(hours(1) + seconds(1));
  engine_->CheckInstancesOnce();
  EXPECT_EQ(Resources("token"), 0);
}

TEST_F(RetentionTest, AWeekOfRecoveriesLeavesTheStateFileFlat) {
  // Every hour: a tokened spot launch (as the controller makes them) and a volume; the
  // previous hour's instance is interrupted and its volume deleted. Nobody reads the events
  // queue, so its messages live out their 4-day retention.
  std::string previous, previous_volume;
  std::map<int, std::pair<int64_t, int64_t>> per_day;  // day -> (max rows, pages at its end)
  for (int hour = 0; hour < 7 * 24; ++hour) {
    auto res = engine_->RunInstances(Tokened("t-" + std::to_string(hour)));
    ASSERT_TRUE(res.ok()) << res.status().ToString();
    CreateVolumeRequest v;
    v.availability_zone = "local-1a";
    v.size = 1;
    v.client_token = "v-" + std::to_string(hour);
    auto vol = engine_->CreateVolume(v);
    ASSERT_TRUE(vol.ok()) << vol.status().ToString();
    Drain();
    if (!previous.empty()) {
      ASSERT_TRUE(engine_->InterruptInstances({previous}, {seconds(120), seconds(0)}).ok());
      ASSERT_TRUE(engine_->DeleteVolume(previous_volume).ok());
    }
    previous = res->instances.at(0).instance.id;
    previous_volume = vol->id;
    for (int m = 0; m < 2; ++m) {
      Tick(minutes(30));
      engine_->CheckInstancesOnce();
    }
    int64_t rows =
        Count("SELECT COUNT(*) FROM resources") + Count("SELECT COUNT(*) FROM sqs_messages");
    auto& day = per_day[hour / 24];
    day.first = std::max(day.first, rows);
    day.second = Count("PRAGMA page_count");
  }
  // Tokens fill their window in a day, cost records in two, the queue's messages in four
  // (measured: 258, 426, 571, 715 rows at the end of days 0-3, then 721 every hour). From
  // day 4 on nothing grows: no hour has more rows than day 4's peak, and the file stays within
  // a quarter of its size at the end of day 4 (its free pages are reused).
  ASSERT_EQ(per_day.size(), 7u);
  for (int d = 5; d < 7; ++d) {
    EXPECT_LE(per_day[d].first, per_day[4].first) << "day " << d;
    EXPECT_LE(per_day[d].second, per_day[4].second * 5 / 4) << "day " << d;
  }
  EXPECT_GT(per_day[4].first, per_day[2].first);  // the queue filled until day 4
  EXPECT_LE(Resources("token"), 2 * 24 + 4);      // the last day's, and the live ones
  EXPECT_LE(Resources("instance"), 3);            // running, and terminated within the hour
}

}  // namespace
}  // namespace spotkeeper::cloud
