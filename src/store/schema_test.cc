// Schema migrations: a fresh database is at the latest version, an older one is migrated, a
// newer one is refused.
#include "store/schema.h"

#include <gtest/gtest.h>

#include <cctype>

#include "store/sqlite_db.h"
#include "store/sqlite_store.h"
#include "store/store_test_util.h"

namespace spotkeeper {
namespace {

using store_testing::ScratchDir;

// Version 1 as spotkeeper 0.1 created it, frozen here: a migrated database must end up with
// exactly the schema of a fresh one.
constexpr const char* kVersion1Database = R"sql(
CREATE TABLE schema_version (version INTEGER PRIMARY KEY NOT NULL, applied_at INTEGER NOT NULL);
INSERT INTO schema_version VALUES (1, 1000);
CREATE TABLE groups (
  id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, spec_json TEXT NOT NULL,
  generation INTEGER NOT NULL, status TEXT NOT NULL, deallocation_json TEXT NOT NULL,
  status_json TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE ssis (
  id TEXT PRIMARY KEY NOT NULL,
  group_id TEXT NOT NULL REFERENCES groups(id) DEFERRABLE INITIALLY DEFERRED,
  state TEXT NOT NULL, desired TEXT NOT NULL, pause_reason TEXT NOT NULL,
  availability_zone TEXT NOT NULL, subnet_id TEXT NOT NULL, private_ip TEXT NOT NULL,
  eni_id TEXT NOT NULL, instance_id TEXT NOT NULL, instance_type TEXT NOT NULL,
  market TEXT NOT NULL, image_id TEXT NOT NULL, conditions_json TEXT NOT NULL,
  status_json TEXT NOT NULL, observed_generation INTEGER NOT NULL, created_at INTEGER NOT NULL,
  launched_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE resources (
  id TEXT PRIMARY KEY NOT NULL,
  ssi_id TEXT REFERENCES ssis(id) DEFERRABLE INITIALLY DEFERRED,
  group_id TEXT REFERENCES groups(id) DEFERRABLE INITIALLY DEFERRED,
  kind TEXT NOT NULL, role TEXT NOT NULL, device_name TEXT NOT NULL,
  availability_zone TEXT NOT NULL, source_id TEXT NOT NULL, status TEXT NOT NULL,
  cloud_state TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE workflows (
  id TEXT PRIMARY KEY NOT NULL,
  ssi_id TEXT REFERENCES ssis(id) DEFERRABLE INITIALLY DEFERRED,
  group_id TEXT REFERENCES groups(id) DEFERRABLE INITIALLY DEFERRED,
  kind TEXT NOT NULL, status TEXT NOT NULL, step INTEGER NOT NULL, step_name TEXT NOT NULL,
  attempt INTEGER NOT NULL, next_run_at INTEGER NOT NULL, data_json TEXT NOT NULL,
  error TEXT NOT NULL, planned INTEGER NOT NULL, created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL);
CREATE TABLE journal (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  workflow_id TEXT NOT NULL REFERENCES workflows(id) DEFERRABLE INITIALLY DEFERRED,
  step INTEGER NOT NULL, step_name TEXT NOT NULL, phase TEXT NOT NULL, detail TEXT NOT NULL,
  at INTEGER NOT NULL);
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, group_id TEXT NOT NULL,
  ssi_id TEXT NOT NULL, actor TEXT NOT NULL, kind TEXT NOT NULL, message TEXT NOT NULL);
CREATE TABLE cloud_events_seen (id TEXT PRIMARY KEY NOT NULL, at INTEGER NOT NULL);
INSERT INTO groups VALUES ('g-1', 'web', '{}', 3, 'ACTIVE', '', '{"n":1}', 10, 20);
INSERT INTO ssis VALUES ('s-1', 'g-1', 'PAUSED', 'paused', 'operator', 'az-1', 'subnet-1',
  '10.0.0.5', 'eni-1', 'i-1', 'm5.large', 'spot', 'ami-1',
  '[{"type":"Ready","status":"False","reason":"Paused","message":"",
     "observed_generation":3,"last_transition":30}]', '{}', 3, 10, 15, 20);
INSERT INTO events (at, group_id, ssi_id, actor, kind, message)
  VALUES (40, 'g-1', 's-1', 'operator', 'Paused', 'paused by hand');
)sql";

// `sql` with whitespace runs collapsed and no space next to parentheses or before commas.
std::string NormaliseSql(const std::string& sql) {
  std::string out;
  bool space = false;
  for (char c : sql) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = true;
      continue;
    }
    bool glue = c == '(' || c == ')' || c == ',' || (!out.empty() && out.back() == '(');
    if (space && !out.empty() && !glue) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// Every table and index with its SQL, for comparing schemas.
std::vector<std::string> SchemaOf(const std::string& path) {
  auto db = SqliteDb::Open(path);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  if (!db.ok()) return {};
  auto q = (*db)->Prepare(
      "SELECT type || ' ' || name || ': ' || COALESCE(sql, '') FROM sqlite_master "
      "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name");
  EXPECT_TRUE(q.ok());
  std::vector<std::string> out;
  while (q.ok()) {
    auto row = q->Step();
    if (!row.ok() || !*row) break;
    out.push_back(NormaliseSql(q->ColumnText(0)));
  }
  return out;
}

Status ExecOn(const std::string& path, const std::string& sql) {
  SK_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(path));
  return db->Exec(sql);
}

TEST(SchemaTest, FreshDatabaseIsAtTheLatestVersion) {
  ScratchDir dir;
  FakeClock clock;
  auto store = SqliteStore::Open(dir.File("fresh.db"), &clock);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(*(*store)->SchemaVersion(), LatestSchemaVersion());
  EXPECT_GE(LatestSchemaVersion(), 2);
  store->reset();

  // Each migration is recorded with the store's clock.
  auto db = SqliteDb::Open(dir.File("fresh.db"));
  ASSERT_TRUE(db.ok());
  auto q = (*db)->Prepare("SELECT version, applied_at FROM schema_version ORDER BY version");
  ASSERT_TRUE(q.ok());
  for (int v = 1; v <= LatestSchemaVersion(); ++v) {
    ASSERT_TRUE(*q->Step());
    EXPECT_EQ(q->ColumnInt(0), v);
    EXPECT_EQ(q->ColumnTime(1), clock.Now());
  }
  EXPECT_FALSE(*q->Step());
}

TEST(SchemaTest, InMemoryDatabaseIsAtTheLatestVersion) {
  auto store = SqliteStore::Open(":memory:", nullptr);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(*(*store)->SchemaVersion(), LatestSchemaVersion());
}

TEST(SchemaTest, ReopeningDoesNotMigrateAgain) {
  ScratchDir dir;
  FakeClock clock;
  ASSERT_TRUE(SqliteStore::Open(dir.File("db"), &clock).ok());
  std::vector<std::string> before = SchemaOf(dir.File("db"));
  clock.Advance(Duration{1000});
  auto again = SqliteStore::Open(dir.File("db"), &clock);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*(*again)->SchemaVersion(), LatestSchemaVersion());
  again->reset();
  EXPECT_EQ(SchemaOf(dir.File("db")), before);
}

TEST(SchemaTest, VersionOneDatabaseIsMigratedWithItsData) {
  ScratchDir dir;
  ASSERT_TRUE(ExecOn(dir.File("old.db"), kVersion1Database).ok());
  FakeClock clock;
  auto store = SqliteStore::Open(dir.File("old.db"), &clock);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(*(*store)->SchemaVersion(), LatestSchemaVersion());

  auto group = (*store)->GetGroup("g-1");
  ASSERT_TRUE(group.ok()) << group.status().ToString();
  EXPECT_EQ(group->name, "web");
  EXPECT_EQ(group->generation, 3);
  EXPECT_EQ(group->status_json, "{\"n\":1}");
  auto ssi = (*store)->FindSsiByInstance("i-1");  // uses an index added by version 2
  ASSERT_TRUE(ssi.ok()) << ssi.status().ToString();
  EXPECT_EQ(ssi->state, SsiState::kPaused);
  ASSERT_EQ(ssi->conditions.size(), 1u);
  EXPECT_EQ(ssi->conditions[0].reason, "Paused");
  EXPECT_EQ(ssi->conditions[0].last_transition, FromMillis(30));
  auto events = (*store)->ListEvents(store_testing::Query("g-1"));
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].message, "paused by hand");
  // Version 2's rules hold for the migrated data.
  Status clash = store_testing::WriteTxn(
      **store, [](Transaction& t) { return t.PutGroup(store_testing::FullGroup("g-2", "web")); });
  EXPECT_EQ(clash.code(), Code::kAlreadyExists);
  store->reset();

  ASSERT_TRUE(SqliteStore::Open(dir.File("fresh.db"), &clock).ok());
  EXPECT_EQ(SchemaOf(dir.File("old.db")), SchemaOf(dir.File("fresh.db")));
}

TEST(SchemaTest, NewerDatabaseIsRefused) {
  ScratchDir dir;
  FakeClock clock;
  ASSERT_TRUE(SqliteStore::Open(dir.File("db"), &clock).ok());
  ASSERT_TRUE(ExecOn(dir.File("db"), "INSERT INTO schema_version VALUES (" +
                                         std::to_string(LatestSchemaVersion() + 1) +
                                         ", 0); CREATE TABLE from_the_future (x)")
                  .ok());
  std::vector<std::string> before = SchemaOf(dir.File("db"));
  auto store = SqliteStore::Open(dir.File("db"), &clock);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("upgrade spotkeeper"), std::string::npos)
      << store.status().message();
  EXPECT_NE(store.status().message().find(std::to_string(LatestSchemaVersion() + 1)),
            std::string::npos)
      << store.status().message();
  EXPECT_EQ(SchemaOf(dir.File("db")), before);  // left alone
}

TEST(SchemaTest, FailedMigrationLeavesTheDatabaseAtItsVersion) {
  ScratchDir dir;
  // A version-1 database in which version 2's index cannot be built: two live groups share a
  // name (possible only through hand edits).
  ASSERT_TRUE(ExecOn(dir.File("db"), std::string(kVersion1Database) +
                                         "INSERT INTO groups VALUES ('g-2', 'web', '{}', 1, "
                                         "'ACTIVE', '', '{}', 10, 20);")
                  .ok());
  FakeClock clock;
  auto store = SqliteStore::Open(dir.File("db"), &clock);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Code::kInternal);
  EXPECT_NE(store.status().message().find("UNIQUE"), std::string::npos) << store.status().message();
  auto db = SqliteDb::Open(dir.File("db"));
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(*ReadSchemaVersion(**db), 1);
  // Nothing of version 2 was left behind.
  auto q = (*db)->Prepare(
      "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND "
      "name NOT LIKE 'sqlite_%'");
  ASSERT_TRUE(q.ok());
  ASSERT_TRUE(*q->Step());
  EXPECT_EQ(q->ColumnInt(0), 0);
}

}  // namespace
}  // namespace spotkeeper
