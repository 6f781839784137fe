#include "cloud/engine/cloud_db.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace spotkeeper::cloud {
namespace {

TEST(CloudDb, ResourcesSurviveReopenAndTransactionsRollBack) {
  std::string path = (std::filesystem::temp_directory_path() /
                      ("sk_cloud_db_test_" + std::to_string(getpid()) + ".db"))
                         .string();
  std::filesystem::remove(path);
  {
    auto db = CloudDb::Open(path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->PutResource("vpc", "vpc-1", "{}").ok());
    ASSERT_TRUE((*db)->SetMeta("k", "v").ok());
    {
      CloudDb::Transaction tx(db->get());
      ASSERT_TRUE((*db)->PutResource("vpc", "vpc-2", "{}").ok());
      // not committed: rolled back
    }
    CloudDb::Transaction tx(db->get());
    ASSERT_TRUE((*db)->PutResource("vol", "vol-1", "{\"a\":1}").ok());
    ASSERT_TRUE(tx.Commit().ok());
  }
  auto db = CloudDb::Open(path);
  ASSERT_TRUE(db.ok());
  std::vector<std::string> ids;
  ASSERT_TRUE((*db)
                  ->LoadResources([&](const std::string&, const std::string& id,
                                      const std::string&) { ids.push_back(id); })
                  .ok());
  EXPECT_EQ(ids, (std::vector<std::string>{"vpc-1", "vol-1"}));
  EXPECT_EQ(*(*db)->GetMeta("k"), "v");
  int64_t version = 0;
  ASSERT_TRUE((*db)
                  ->Query("SELECT version FROM schema_version", {},
                          [&](const DbRow& r) { version = std::get<int64_t>(r[0]); })
                  .ok());
  EXPECT_EQ(version, CloudDb::kSchemaVersion);
  ASSERT_TRUE((*db)->Exec("UPDATE schema_version SET version = 99").ok());
  db->reset();
  EXPECT_EQ(CloudDb::Open(path).status().code(), Code::kFailedPrecondition);
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
}

}  // namespace
}  // namespace spotkeeper::cloud
