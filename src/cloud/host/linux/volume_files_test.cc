#include "cloud/host/linux/volume_files.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "cloud/host/linux/command_runner.h"
#include "cloud/host/linux/unique_fd.h"

namespace spotkeeper::cloud::linuxhost {
namespace {

namespace fs = std::filesystem;

class VolumeFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tools = HostTools::Find();
    if (!tools.ok()) GTEST_SKIP() << tools.status().ToString();
    tools_ = *tools;
    char tmpl[] = "/var/tmp/sk-vol-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  struct stat Stat(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
    return st;
  }
  // The ext4 block count as dumpe2fs-free as possible: e2fsck -n prints "N/M blocks".
  bool Fsck(const std::string& path) {
    auto r = RunCommand({.argv = {tools_.e2fsck, "-f", "-n", path}});
    return r.ok() && r->exit_code == 0;
  }
  HostTools tools_;
  std::string dir_;
};

TEST_F(VolumeFilesTest, CreatesASparseFormattedFile) {
  const std::string path = dir_ + "/vol-1.img";
  ASSERT_TRUE(CreateExt4Volume(tools_, path, 1).ok());
  auto st = Stat(path);
  EXPECT_EQ(st.st_size, kGiB);
  EXPECT_LT(st.st_blocks * 512, kGiB / 4) << "not sparse";
  EXPECT_TRUE(Fsck(path));
  EXPECT_FALSE(fs::exists(path + ".tmp"));
}

TEST_F(VolumeFilesTest, RejectsSillySizes) {
  EXPECT_EQ(CreateExt4Volume(tools_, dir_ + "/v.img", 0).code(), Code::kInvalidArgument);
  EXPECT_FALSE(fs::exists(dir_ + "/v.img"));
}

TEST_F(VolumeFilesTest, CloneKeepsHolesAndContents) {
  const std::string src = dir_ + "/src.img", dst = dir_ + "/dst.img";
  ASSERT_TRUE(CreateExt4Volume(tools_, src, 1).ok());
  auto method = CloneExt4Volume(tools_, src, dst, 1);
  ASSERT_TRUE(method.ok()) << method.status().ToString();
  EXPECT_EQ(Stat(dst).st_size, kGiB);
  if (*method == CloneMethod::kSparseCopy) {
    EXPECT_LE(Stat(dst).st_blocks, Stat(src).st_blocks + 8) << "holes were filled";
  }
  EXPECT_TRUE(Fsck(dst));
  // The first MiB (superblock, group descriptors) is the same.
  UniqueFd a(open(src.c_str(), O_RDONLY)), b(open(dst.c_str(), O_RDONLY));
  std::string ba(1 << 20, '\0'), bb(1 << 20, '\0');
  ASSERT_EQ(pread(a.get(), ba.data(), ba.size(), 0), static_cast<ssize_t>(ba.size()));
  ASSERT_EQ(pread(b.get(), bb.data(), bb.size(), 0), static_cast<ssize_t>(bb.size()));
  EXPECT_TRUE(ba == bb);
}

TEST_F(VolumeFilesTest, CloneIntoALargerVolumeGrowsTheFilesystem) {
  const std::string src = dir_ + "/src.img", dst = dir_ + "/big.img";
  ASSERT_TRUE(CreateExt4Volume(tools_, src, 1).ok());
  auto method = CloneExt4Volume(tools_, src, dst, 2);
  ASSERT_TRUE(method.ok()) << method.status().ToString();
  EXPECT_EQ(Stat(dst).st_size, 2 * kGiB);
  EXPECT_TRUE(Fsck(dst));
  auto info = RunChecked({tools_.e2fsck, "-f", "-n", dst});
  ASSERT_TRUE(info.ok());
  // "N/524288 blocks": 2 GiB of 4 KiB blocks.
  EXPECT_NE(info->find("/524288 blocks"), std::string::npos) << *info;
}

TEST_F(VolumeFilesTest, CloneIntoASmallerVolumeIsRefused) {
  const std::string src = dir_ + "/src.img";
  ASSERT_TRUE(CreateExt4Volume(tools_, src, 2).ok());
  EXPECT_EQ(CloneExt4Volume(tools_, src, dir_ + "/small.img", 1).status().code(),
            Code::kInvalidArgument);
  EXPECT_FALSE(fs::exists(dir_ + "/small.img"));
}

TEST_F(VolumeFilesTest, SparseCopyOfAFileWithDataAndHoles) {
  const std::string a = dir_ + "/a", b = dir_ + "/b";
  {
    UniqueFd fd(open(a.c_str(), O_RDWR | O_CREAT, 0600));
    ASSERT_TRUE(fd.valid());
    ASSERT_EQ(ftruncate(fd.get(), 64 << 20), 0);
    ASSERT_EQ(pwrite(fd.get(), "head", 4, 0), 4);
    ASSERT_EQ(pwrite(fd.get(), "middle", 6, 32 << 20), 6);
  }
  UniqueFd from(open(a.c_str(), O_RDONLY));
  UniqueFd to(open(b.c_str(), O_RDWR | O_CREAT, 0600));
  auto m = CloneFileContents(from.get(), to.get());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(Stat(b).st_size, 64 << 20);
  char buf[6];
  ASSERT_EQ(pread(to.get(), buf, 6, 32 << 20), 6);
  EXPECT_EQ(std::string(buf, 6), "middle");
  EXPECT_LT(Stat(b).st_blocks * 512, 1 << 20);
}

TEST_F(VolumeFilesTest, ReflinkProbeAnswersAndCleansUp) {
  bool reflink = SupportsReflink(dir_);
  std::cout << "reflink in " << dir_ << ": " << (reflink ? "yes" : "no") << "\n";
  EXPECT_TRUE(fs::is_empty(dir_));
}

}  // namespace
}  // namespace spotkeeper::cloud::linuxhost
