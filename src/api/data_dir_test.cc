#include "api/data_dir.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "api/api_test_util.h"

namespace spotkeeper::api {
namespace {

using testing::TempDir;

TEST(DataDirTest, LockKeepsASecondServerOut) {
  TempDir tmp;
  std::string path = tmp.path() + "/data";
  auto first = DataDir::Open(path);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  auto second = DataDir::Open(path);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("another spotkeeper server (pid " +
                                           std::to_string(::getpid()) + ")"),
            std::string::npos)
      << second.status().ToString();
  first->reset();
  EXPECT_TRUE(DataDir::Open(path).ok());
}

TEST(DataDirTest, TokenIsCreatedOncePrivately) {
  TempDir tmp;
  std::string token;
  {
    auto dir = DataDir::Open(tmp.path());
    ASSERT_TRUE(dir.ok());
    auto t = (*dir)->LoadOrCreateToken();
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    token = *t;
    EXPECT_EQ(token.size(), 64u);
    struct stat st;
    ASSERT_EQ(::stat((tmp.path() + "/token").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    ASSERT_TRUE((*dir)->WriteAddress("http://127.0.0.1:1234").ok());
    EXPECT_EQ(*ReadAddress(tmp.path()), "http://127.0.0.1:1234");
  }
  // The address goes with the server; the token stays.
  EXPECT_EQ(ReadAddress(tmp.path()).status().code(), Code::kNotFound);
  auto dir = DataDir::Open(tmp.path());
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(*(*dir)->LoadOrCreateToken(), token);
  EXPECT_EQ(*ReadToken(tmp.path()), token);

  // A token others can read is refused.
  ::chmod((tmp.path() + "/token").c_str(), 0644);
  auto open = (*dir)->LoadOrCreateToken();
  ASSERT_FALSE(open.ok());
  EXPECT_NE(open.status().message().find("chmod 600"), std::string::npos);
}

}  // namespace
}  // namespace spotkeeper::api
