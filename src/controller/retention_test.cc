// Retention in the controller: the tick prunes the store's history past RetentionOptions, never
// what a running workflow needs, and a week of simulated recoveries keeps the database flat.
#include "controller/retention.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>

#include "controller/controller_harness.h"
#include "store/sqlite_db.h"

namespace spotkeeper {
namespace {

using testing::ControllerHarness;

constexpr Duration kHour{3'600'000};

TEST(RetentionTest, RequestFollowsTheOptionsAndZeroTurnsARuleOff) {
  RetentionOptions o;
  o.events_max_age = kDay;
  o.events_max_count = 1000;
  o.journal_max_age = 2 * kDay;
  o.journal_max_workflows = 0;
  o.cloud_events_max_age = Duration{0};
  o.batch_rows = 77;
  Time now = FromMillis(1'767'225'600'000) + 10 * kDay;
  PruneRequest r = Retention::RequestFor(o, now);
  EXPECT_EQ(r.events_before, now - kDay);
  EXPECT_EQ(r.events_keep, 1000);
  EXPECT_EQ(r.workflows_before, now - 2 * kDay);
  EXPECT_EQ(r.resources_before, now - 2 * kDay);
  EXPECT_EQ(r.workflows_keep, 0);
  EXPECT_EQ(r.cloud_events_before, kEpoch);  // off
  EXPECT_EQ(r.max_rows, 77);
}

ControllerOptions Options(const RetentionOptions& retention) {
  ControllerOptions o;
  o.orphan_grace = Duration{600'000};
  o.orphan_interval = Duration{1'800'000};
  o.reconcile_interval = Duration{300'000};
  o.sweep_interval = Duration{300'000};
  o.retention = retention;
  return o;
}

// The tick prunes by age; a running workflow (and its journal) stays however old it is, and
// each SSI keeps its recovery history at the configured length.
TEST(RetentionTest, TickPrunesOldHistoryButNotARunningWorkflow) {
  ControllerHarness h;
  RetentionOptions r;
  r.events_max_age = 2 * kHour;
  r.journal_max_age = kHour;
  r.recovery_history = 2;
  r.interval = Duration{60'000};
  h.SetControllerOptions(Options(r));
  GroupSpec spec = h.BaseSpec("web");
  spec.snapshots.frequency_minutes = 60;
  std::string g = h.CreateAndLaunch(spec);
  ASSERT_FALSE(g.empty());
  std::string ssi = h.Ssis(g)[0].id;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(h.controller().RecycleSsi(ssi, "test").ok());
    ASSERT_TRUE(h.RunUntil([&] { return h.Ssi(ssi).state == SsiState::kActive; })) << h.EventLog();
    h.RunFor(kHour);
  }
  nlohmann::json status = nlohmann::json::parse(h.Ssi(ssi).status_json);
  EXPECT_EQ(status["recoveries"].size(), 2u);  // recovery_history
  EXPECT_TRUE(status.contains("lastRecovery"));

  // A workflow that never finishes (its instance cannot be terminated: it keeps retrying, or
  // fails and waits for an operator's retry) outlives every cutoff.
  FakeFaults faults;
  faults.error_rate = 1.0;
  faults.actions = {"TerminateInstances"};
  h.cloud().SetFaults(faults);
  ASSERT_TRUE(h.controller().RecycleSsi(ssi, "test").ok());
  h.RunFor(Duration{300'000});
  auto newest = h.store().ListWorkflows(ssi);
  ASSERT_TRUE(newest.ok());
  ASSERT_FALSE(newest->empty());
  std::string wf = newest->front().id;
  ASSERT_EQ(newest->front().kind, "recycle");
  ASSERT_NE(newest->front().status, "succeeded") << h.EventLog();
  size_t journal_before = h.store().ListJournal(wf)->size();
  ASSERT_GT(journal_before, 0u);
  h.RunFor(4 * kHour);

  Time now = h.clock().Now();
  auto events = h.store().ListEvents({});
  ASSERT_TRUE(events.ok());
  ASSERT_FALSE(events->empty());
  // Nothing older than the age plus one prune interval (the tick runs it that often).
  EXPECT_GE(events->front().at, now - r.events_max_age - r.interval);
  auto wfs = h.store().ListWorkflows(ssi);
  ASSERT_TRUE(wfs.ok());
  ASSERT_EQ(wfs->size(), 1u);  // the finished ones are gone, the unfinished one stays
  EXPECT_EQ((*wfs)[0].id, wf);
  EXPECT_TRUE((*wfs)[0].status == "running" || (*wfs)[0].status == "failed") << (*wfs)[0].status;
  EXPECT_GE(h.store().ListJournal(wf)->size(), journal_before);
  EXPECT_GT(h.controller().stats().pruned.workflows, 0);
  EXPECT_GT(h.controller().stats().pruned.journal_entries, 0);
  auto resources = h.store().ListResources(ssi);
  ASSERT_TRUE(resources.ok());
  for (const auto& res : *resources) {
    if (res.status == "deleted") {
      EXPECT_GE(res.updated_at, now - r.journal_max_age - r.interval) << res.id;
    }
  }
}

// --- A week of simulated time ---

// Counts read over a second connection to the database file.
class DbProbe {
 public:
  explicit DbProbe(const std::string& path) {
    auto db = SqliteDb::Open(path);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    if (db.ok()) db_ = std::move(db).value();
  }
  int64_t Int(const std::string& sql) {
    if (db_ == nullptr) return -1;
    auto q = db_->Prepare(sql);
    EXPECT_TRUE(q.ok()) << q.status().ToString();
    if (!q.ok()) return -1;
    auto row = q->Step();
    EXPECT_TRUE(row.ok()) << row.status().ToString();
    return row.ok() && *row ? q->ColumnInt(0) : 0;
  }

 private:
  std::unique_ptr<SqliteDb> db_;
};

struct Sample {
  int64_t rows[5] = {};    // count of each table
  int64_t max_id[5] = {};  // the highest rowid ever given (rows appended so far)
  int64_t pages = 0;
  int64_t free_pages = 0;
};

constexpr const char* kTables[5] = {"events", "journal", "workflows", "resources",
                                    "cloud_events_seen"};

TEST(RetentionWeekTest, AWeekOfRecoveriesKeepsRowsAndFileFlat) {
  char tmpl[] = "/tmp/sk-retention-week-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  struct Cleanup {
    std::string dir;
    ~Cleanup() { std::filesystem::remove_all(dir); }
  } cleanup{dir};
  std::string path = dir + "/spotkeeper.db";

  RetentionOptions r;
  r.events_max_age = kDay;
  r.events_max_count = 0;  // by age only: the count rule is the store suite's
  r.journal_max_age = 12 * kHour;
  r.journal_max_workflows = 0;
  r.cloud_events_max_age = kDay;
  r.recovery_history = 5;
  r.interval = Duration{600'000};
  r.batch_rows = 200;
  const int kSsis = 2;
  {
    ControllerHarness h(11, {}, path);
    h.SetControllerOptions(Options(r));
    GroupSpec spec = h.BaseSpec("week");
    spec.capacity = {kSsis, 0, kSsis};
    spec.snapshots.frequency_minutes = 60;
    std::string g = h.CreateAndLaunch(spec);
    ASSERT_FALSE(g.empty());
    std::vector<std::string> ssis;
    for (const auto& s : h.Ssis(g)) ssis.push_back(s.id);

    DbProbe probe(path);
    // max_id of each table at every hour, to know how many rows each window appended. The
    // rowid of an append-only table grows by one per row; workflows and resources never lose
    // their newest row, so theirs does too.
    std::map<int, Sample> by_hour;
    auto sample = [&] {
      Sample s;
      for (int t = 0; t < 5; ++t) {
        s.rows[t] = probe.Int(std::string("SELECT COUNT(*) FROM ") + kTables[t]);
        s.max_id[t] = probe.Int(std::string("SELECT COALESCE(MAX(rowid), 0) FROM ") + kTables[t]);
      }
      s.pages = probe.Int("PRAGMA page_count");
      s.free_pages = probe.Int("PRAGMA freelist_count");
      return s;
    };
    by_hour[0] = sample();
    int64_t recoveries = 0;
    std::vector<Sample> days;
    for (int hour = 1; hour <= 7 * 24; ++hour) {
      // A recovery an hour, alternating an operator recycle and a spot interruption.
      const std::string& id = ssis[static_cast<size_t>(hour % kSsis)];
      SsiRecord s = h.Ssi(id);
      if (s.state == SsiState::kActive) {
        if (hour % 2 == 0) {
          ASSERT_TRUE(h.controller().RecycleSsi(id, "test").ok());
        } else {
          ASSERT_TRUE(h.cloud().Interrupt(s.instance_id).ok());
        }
        ++recoveries;
      }
      h.RunFor(kHour);
      by_hour[hour] = sample();
      if (hour % 24 == 0) days.push_back(by_hour[hour]);
      // From when the longest window (a day plus an interval, in hours) fits after the launch.
      if (hour < 26) continue;
      // Rows kept are at most those appended within the retention window (plus one prune
      // interval, rounded up to the hour), plus what is never pruned.
      const Sample& now = by_hour[hour];
      auto appended_since = [&](int t, Duration window) {
        int back = static_cast<int>((window + r.interval + kHour - Duration{1}) / kHour);
        return now.max_id[t] - by_hour[std::max(0, hour - back)].max_id[t];
      };
      int64_t live_resources =
          probe.Int("SELECT COUNT(*) FROM resources WHERE status != 'deleted'");
      int64_t open_workflows =
          probe.Int("SELECT COUNT(*) FROM workflows WHERE status IN ('running', 'failed')");
      int64_t open_journal = probe.Int(
          "SELECT COUNT(*) FROM journal WHERE workflow_id IN (SELECT id FROM workflows WHERE "
          "status IN ('running', 'failed'))");
      EXPECT_LE(now.rows[0], appended_since(0, r.events_max_age)) << "hour " << hour;
      EXPECT_LE(now.rows[1], appended_since(1, r.journal_max_age) + open_journal)
          << "hour " << hour;
      EXPECT_LE(now.rows[2], appended_since(2, r.journal_max_age) + open_workflows + kSsis)
          << "hour " << hour;
      EXPECT_LE(now.rows[3], appended_since(3, r.journal_max_age) + live_resources)
          << "hour " << hour;
      EXPECT_LE(now.rows[4], appended_since(4, r.cloud_events_max_age)) << "hour " << hour;
    }
    EXPECT_GE(recoveries, 7 * 24 - 14) << h.EventLog();
    for (const auto& s : h.Ssis(g)) {
      EXPECT_EQ(s.state, SsiState::kActive) << s.id;
      nlohmann::json st = nlohmann::json::parse(s.status_json);
      EXPECT_EQ(st["recoveries"].size(), r.recovery_history) << s.id;
    }

    // Not vacuous: far more rows were written than are kept.
    const Sample& last = days.back();
    for (int t = 0; t < 4; ++t) {
      EXPECT_GT(last.max_id[t], 4 * last.rows[t]) << kTables[t];
    }
    // Flat: from day 2 on (one retention window in) the file holds the same pages; the rows
    // of a day replace those of the day that went.
    for (size_t d = 1; d < days.size(); ++d) {
      std::cout << "day " << d + 1 << ": pages " << days[d].pages << " (free " << days[d].free_pages
                << "), rows";
      for (int t = 0; t < 5; ++t) std::cout << " " << kTables[t] << "=" << days[d].rows[t];
      std::cout << "\n";
    }
    for (size_t d = 2; d < days.size(); ++d) {
      EXPECT_LE(days[d].pages, days[1].pages + days[1].pages / 4) << "day " << d + 1;
    }
  }
}

}  // namespace
}  // namespace spotkeeper
