#include "common/durable_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace spotkeeper {
namespace {

namespace fs = std::filesystem;

class DurableFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("durable-file-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string Read(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  fs::path dir_;
};

TEST_F(DurableFileTest, WritesReplacesAndLeavesNoTemporaryFile) {
  const std::string path = (dir_ / "token").string();
  ASSERT_TRUE(WriteFileDurably(path, "first\n", 0600).ok());
  EXPECT_EQ(Read(path), "first\n");
  ASSERT_TRUE(WriteFileDurably(path, "second\n", 0644).ok());
  EXPECT_EQ(Read(path), "second\n");
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST_F(DurableFileTest, AFailedWriteLeavesTheOldFileAndSaysWhere) {
  const std::string path = (dir_ / "sub").string();
  fs::create_directories(path);  // a directory where the file should go: rename fails
  Status s = WriteFileDurably(path, "x", 0600);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_NE(s.message().find(path), std::string::npos) << s.message();
  EXPECT_TRUE(fs::is_directory(path));
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  Status missing = WriteFileDurably((dir_ / "no" / "such" / "f").string(), "x", 0600);
  EXPECT_FALSE(missing.ok());
}

TEST_F(DurableFileTest, DirectoryHelpers) {
  EXPECT_EQ(DirectoryOf("/a/b/c"), "/a/b");
  EXPECT_EQ(DirectoryOf("/c"), "/");
  EXPECT_EQ(DirectoryOf("c"), ".");
  EXPECT_TRUE(FsyncDirectory(dir_.string()).ok());
  EXPECT_FALSE(FsyncDirectory((dir_ / "absent").string()).ok());
}

}  // namespace
}  // namespace spotkeeper
