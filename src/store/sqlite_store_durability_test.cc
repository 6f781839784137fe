// SqliteStore on files: everything survives a restart; a writer killed with SIGKILL at any point
// loses no committed transaction and leaves no partial one; unreadable rows are reported.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <set>

#include "store/sqlite_db.h"
#include "store/sqlite_store.h"
#include "store/store_test_util.h"

namespace spotkeeper {
namespace {

using store_testing::At;
using store_testing::ExpectSameGroup;
using store_testing::ExpectSameResource;
using store_testing::ExpectSameSsi;
using store_testing::ExpectSameWorkflow;
using store_testing::FullGroup;
using store_testing::FullResource;
using store_testing::FullSsi;
using store_testing::FullWorkflow;
using store_testing::Query;
using store_testing::ScratchDir;
using store_testing::WriteTxn;

std::unique_ptr<SqliteStore> OpenOrDie(const std::string& path, const Clock* clock) {
  auto store = SqliteStore::Open(path, clock);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

std::string QueryText(const std::string& path, const std::string& sql) {
  auto db = SqliteDb::Open(path);
  if (!db.ok()) return db.status().ToString();
  auto q = (*db)->Prepare(sql);
  if (!q.ok()) return q.status().ToString();
  auto row = q->Step();
  if (!row.ok()) return row.status().ToString();
  return *row ? q->ColumnText(0) : "(no row)";
}

TEST(SqliteStoreDurabilityTest, FileDatabaseUsesWal) {
  ScratchDir dir;
  FakeClock clock;
  auto store = OpenOrDie(dir.File("db"), &clock);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(QueryText(dir.File("db"), "PRAGMA journal_mode"), "wal");
}

TEST(SqliteStoreDurabilityTest, EverythingSurvivesARestart) {
  ScratchDir dir;
  FakeClock clock;
  GroupRecord g = FullGroup("g-1", "web");
  SsiRecord s1 = FullSsi("s-1", "g-1");
  SsiRecord s2 = FullSsi("s-2", "g-1");
  s2.state = SsiState::kError;
  s2.conditions.clear();
  ResourceRecord r = FullResource("vol-1", "s-1", "g-1");
  WorkflowRecord w = FullWorkflow("wf-1", "s-1", "g-1");
  JournalEntry j{0, "wf-1", 2, "snapshot", "end", "snap-1", At(30)};
  EventRecord e{0, At(31), "g-1", "s-1", "cloud", "InterruptionWarning", "2 minutes"};
  {
    auto store = OpenOrDie(dir.File("db"), &clock);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(WriteTxn(*store, [&](Transaction& t) {
                  SK_RETURN_IF_ERROR(t.PutGroup(g));
                  SK_RETURN_IF_ERROR(t.PutSsi(s1));
                  SK_RETURN_IF_ERROR(t.PutSsi(s2));
                  SK_RETURN_IF_ERROR(t.PutResource(r));
                  SK_RETURN_IF_ERROR(t.PutWorkflow(w));
                  SK_RETURN_IF_ERROR(t.AppendJournal(j));
                  SK_RETURN_IF_ERROR(t.AppendEvent(e));
                  return t.MarkCloudEventSeen("ev-1", At(32));
                }).ok());
    g.spec_json = "{}";
    ASSERT_TRUE(WriteTxn(*store, [&](Transaction& t) { return t.PutGroup(g); }).ok());
  }
  // Restart.
  auto store = OpenOrDie(dir.File("db"), &clock);
  ASSERT_NE(store, nullptr);
  g.generation = 2;
  ExpectSameGroup(*store->GetGroup("g-1"), g);
  auto ssis = store->ListSsis("g-1");
  ASSERT_TRUE(ssis.ok());
  ASSERT_EQ(ssis->size(), 2u);
  ExpectSameSsi((*ssis)[0], s1);
  ExpectSameSsi((*ssis)[1], s2);
  ExpectSameResource(*store->GetResource("vol-1"), r);
  ExpectSameWorkflow(*store->GetWorkflow("wf-1"), w);
  auto journal = store->ListJournal("wf-1");
  ASSERT_TRUE(journal.ok());
  ASSERT_EQ(journal->size(), 1u);
  EXPECT_EQ((*journal)[0].seq, 1);
  EXPECT_EQ((*journal)[0].detail, "snap-1");
  EXPECT_EQ((*journal)[0].at, At(30));
  auto events = store->ListEvents(Query(""));
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].kind, "InterruptionWarning");
  EXPECT_EQ((*events)[0].at, At(31));
  EXPECT_TRUE(*store->CloudEventSeen("ev-1"));
  // Sequence numbers continue after a restart.
  ASSERT_TRUE(WriteTxn(*store, [&](Transaction& t) { return t.AppendEvent(e); }).ok());
  events = store->ListEvents(Query(""));
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[1].seq, 2);
}

TEST(SqliteStoreDurabilityTest, UnreadableRowsAreInternalErrors) {
  ScratchDir dir;
  FakeClock clock;
  auto store = OpenOrDie(dir.File("db"), &clock);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(WriteTxn(*store, [](Transaction& t) {
                SK_RETURN_IF_ERROR(t.PutGroup(FullGroup("g-1", "web")));
                SK_RETURN_IF_ERROR(t.PutSsi(FullSsi("s-1", "g-1")));
                return t.PutSsi(FullSsi("s-2", "g-1"));
              }).ok());
  {
    auto db = SqliteDb::Open(dir.File("db"));
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)
                    ->Exec("UPDATE ssis SET conditions_json = '[{\"type\":' WHERE id = 's-1';"
                           "UPDATE ssis SET state = 'SLEEPING' WHERE id = 's-2'")
                    .ok());
  }
  Status bad_json = store->GetSsi("s-1").status();
  EXPECT_EQ(bad_json.code(), Code::kInternal);
  EXPECT_NE(bad_json.message().find("s-1"), std::string::npos) << bad_json.message();
  Status bad_state = store->GetSsi("s-2").status();
  EXPECT_EQ(bad_state.code(), Code::kInternal);
  EXPECT_NE(bad_state.message().find("SLEEPING"), std::string::npos) << bad_state.message();
  EXPECT_EQ(store->ListSsis("").status().code(), Code::kInternal);
}

// The child of the crash test: commits transactions numbered from one past the highest stored
// number, each writing an SSI, a journal entry and an event that carry the number, and reports
// each number on `report_fd` after its commit. Never returns.
[[noreturn]] void RunCrashWriter(const std::string& path, int report_fd) {
  FakeClock clock;
  auto store = SqliteStore::Open(path, &clock);
  if (!store.ok()) _exit(10);
  auto events = (*store)->ListEvents(Query("", "", kEpoch, 0, 1 << 30));
  if (!events.ok()) _exit(11);
  int64_t next = events->empty() ? 1 : std::stoll(events->back().message) + 1;
  const std::string padding(2048, 'x');  // bigger transactions: more ways to be cut short
  for (int64_t n = next; n < next + 1'000'000; ++n) {
    std::string num = std::to_string(n);
    Status s = store_testing::WriteTxn(**store, [&](Transaction& t) {
      SsiRecord ssi = FullSsi("ssi-" + num, "g-crash");
      ssi.observed_generation = n;
      ssi.status_json = "{\"pad\":\"" + padding + "\"}";
      SK_RETURN_IF_ERROR(t.PutSsi(ssi));
      SK_RETURN_IF_ERROR(
          t.AppendJournal({0, "wf-crash", static_cast<int>(n), "step", "end", padding, At(n)}));
      return t.AppendEvent({0, At(n), "g-crash", "ssi-" + num, "controller", "Tick", num});
    });
    if (!s.ok()) _exit(12);
    if (write(report_fd, &n, sizeof n) != static_cast<ssize_t>(sizeof n)) _exit(13);
  }
  _exit(0);
}

// Reads the numbers the writer reports on `fd` into `*last` until one reaches `target`
// (true) or until end of file, an error or `deadline` (false).
bool ReadReports(int fd, int64_t target, std::chrono::steady_clock::time_point deadline,
                 int64_t* last) {
  char buf[sizeof(int64_t)];
  size_t have = 0;
  while (*last < target) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    int ready = poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    ssize_t n = read(fd, buf + have, sizeof buf - have);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    have += static_cast<size_t>(n);
    if (have == sizeof buf) {  // writes of 8 bytes to a pipe are atomic
      std::memcpy(last, buf, sizeof *last);
      have = 0;
    }
  }
  return true;
}

TEST(SqliteStoreDurabilityTest, KilledWriterLosesNoCommittedTransaction) {
  constexpr int kRounds = 3;
  constexpr int64_t kCommitsPerRound = 150;
  ScratchDir dir;
  const std::string path = dir.File("crash.db");
  FakeClock clock;
  {
    auto store = OpenOrDie(path, &clock);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(WriteTxn(*store, [](Transaction& t) {
                  SK_RETURN_IF_ERROR(t.PutGroup(FullGroup("g-crash", "crash")));
                  return t.PutWorkflow(FullWorkflow("wf-crash", "", "g-crash"));
                }).ok());
  }  // no connection is open across fork()
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  int64_t reported = 0;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    int fds[2];
    ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      RunCrashWriter(path, fds[1]);
    }
    close(fds[1]);
    int64_t last = reported;
    bool reached = ReadReports(fds[0], reported + kCommitsPerRound, deadline, &last);
    kill(pid, SIGKILL);
    int wstatus = 0;
    ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
    // The writer ran on while we read: collect what it reported before it died.
    ReadReports(fds[0], INT64_MAX, deadline, &last);
    close(fds[0]);
    ASSERT_TRUE(reached) << "the writer did not report in time; wait status " << wstatus;
    ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL) << wstatus;
    reported = last;

    EXPECT_EQ(QueryText(path, "PRAGMA integrity_check"), "ok");
    EXPECT_EQ(QueryText(path, "PRAGMA foreign_key_check"), "(no row)");
    auto store = OpenOrDie(path, &clock);
    ASSERT_NE(store, nullptr);
    auto ssis = store->ListSsis("g-crash");
    auto journal = store->ListJournal("wf-crash");
    auto events = store->ListEvents(Query("g-crash", "", kEpoch, 0, 1 << 30));
    ASSERT_TRUE(ssis.ok() && journal.ok() && events.ok());
    // Every acknowledged commit is there, at most one more (killed before reporting it), and
    // each transaction is there whole.
    int64_t stored = static_cast<int64_t>(events->size());
    EXPECT_GE(stored, reported);
    EXPECT_LE(stored, reported + 1);
    ASSERT_EQ(static_cast<int64_t>(ssis->size()), stored);
    ASSERT_EQ(static_cast<int64_t>(journal->size()), stored);
    std::set<int64_t> ssi_numbers;
    for (const SsiRecord& s : *ssis) ssi_numbers.insert(s.observed_generation);
    for (int64_t i = 0; i < stored; ++i) {
      EXPECT_EQ((*events)[static_cast<size_t>(i)].message, std::to_string(i + 1));
      EXPECT_EQ((*journal)[static_cast<size_t>(i)].step, i + 1);
      EXPECT_EQ((*journal)[static_cast<size_t>(i)].at, At(i + 1));
      EXPECT_TRUE(ssi_numbers.count(i + 1)) << i + 1;
    }
    reported = stored;
  }
}

}  // namespace
}  // namespace spotkeeper
