#include "cloud/host/linux/base_image.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace spotkeeper::cloud::linuxhost {
namespace {

namespace fs = std::filesystem;

class BaseImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sk-image-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

TEST_F(BaseImageTest, HasMergedUsrLinksEtcAndMountPoints) {
  const std::string rootfs = dir_ + "/rootfs";
  ASSERT_TRUE(BuildBaseImage(rootfs).ok());
  for (const char* link : {"bin", "sbin", "lib", "lib64"}) {
    if (!fs::is_symlink(fs::path("/") / link)) continue;
    EXPECT_TRUE(fs::is_symlink(fs::path(rootfs) / link)) << link;
    EXPECT_EQ(fs::read_symlink(fs::path(rootfs) / link), fs::read_symlink(fs::path("/") / link));
  }
  for (const char* dir : {"usr", "proc", "sys", "dev", "tmp", "run", "mnt", "root", "var/lib"}) {
    EXPECT_TRUE(fs::is_directory(fs::path(rootfs) / dir)) << dir;
  }
  EXPECT_TRUE(fs::is_empty(fs::path(rootfs) / "usr"));
  std::ifstream passwd(rootfs + "/etc/passwd");
  std::string first;
  std::getline(passwd, first);
  EXPECT_EQ(first.rfind("root:x:0:0:", 0), 0u);
  struct stat st;
  ASSERT_EQ(stat((rootfs + "/tmp").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 01777u);
  EXPECT_FALSE(fs::exists(rootfs + ".tmp"));
}

TEST_F(BaseImageTest, BuildingAgainIsANoOp) {
  const std::string rootfs = dir_ + "/rootfs";
  ASSERT_TRUE(BuildBaseImage(rootfs).ok());
  std::ofstream(rootfs + "/marker") << "kept";
  ASSERT_TRUE(BuildBaseImage(rootfs).ok());
  EXPECT_TRUE(fs::exists(rootfs + "/marker"));
}

TEST_F(BaseImageTest, AHalfBuiltLeftoverIsReplaced) {
  const std::string rootfs = dir_ + "/rootfs";
  fs::create_directories(rootfs + ".tmp/junk");
  ASSERT_TRUE(BuildBaseImage(rootfs).ok());
  EXPECT_FALSE(fs::exists(rootfs + "/junk"));
  EXPECT_FALSE(fs::exists(rootfs + ".tmp"));
}

}  // namespace
}  // namespace spotkeeper::cloud::linuxhost
