#include "cloud/host/linux/mount_table.h"

#include <gtest/gtest.h>

namespace spotkeeper::cloud::linuxhost {
namespace {

constexpr const char* kSample =
    "22 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
    "40 22 0:5 / /dev rw,nosuid shared:2 - devtmpfs devtmpfs rw,size=1k\n"
    "90 22 7:3 / /pool/instances/i-1/rootvol rw - ext4 /dev/loop3 rw\n"
    "91 22 0:50 / /pool/instances/i-1/bundle/rootfs rw - overlay overlay rw,lowerdir=/x\n"
    "92 22 254:0 /pool/instances/i-1/mnt /pool/instances/i-1/mnt rw shared:7 - ext4 /dev/vda rw\n"
    "93 92 7:4 / /pool/instances/i-1/mnt/sdf rw shared:7 - ext4 /dev/loop4 rw\n"
    "94 22 254:0 / /pool/with\\040space rw - ext4 /dev/vda rw\n"
    "95 22 254:0 / /poolx rw - ext4 /dev/vda rw\n";

TEST(MountTableTest, ParsesFieldsAndPropagation) {
  auto t = MountTable::Parse(kSample);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->entries().size(), 8u);
  auto mnt = t->At("/pool/instances/i-1/mnt");
  ASSERT_TRUE(mnt);
  EXPECT_TRUE(mnt->shared);
  EXPECT_EQ(mnt->root, "/pool/instances/i-1/mnt");
  EXPECT_EQ(mnt->parent_id, 22);
  auto sdf = t->At("/pool/instances/i-1/mnt/sdf");
  ASSERT_TRUE(sdf);
  EXPECT_EQ(sdf->source, "/dev/loop4");
  EXPECT_EQ(sdf->fs_type, "ext4");
  EXPECT_FALSE(t->At("/pool/instances/i-1/rootvol")->shared);
}

TEST(MountTableTest, UnescapesOctal) {
  auto t = MountTable::Parse(kSample);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->IsMountPoint("/pool/with space"));
}

TEST(MountTableTest, UnderListsDeepestFirstAndRespectsPathBoundaries) {
  auto t = MountTable::Parse(kSample);
  ASSERT_TRUE(t.ok());
  auto under = t->Under("/pool/instances/i-1");
  ASSERT_EQ(under.size(), 4u);
  EXPECT_EQ(under[0], "/pool/instances/i-1/mnt/sdf");
  EXPECT_EQ(under[1], "/pool/instances/i-1/bundle/rootfs");
  EXPECT_EQ(under.back().find("/pool/instances/i-1/"), 0u);
  auto pool = t->Under("/pool");
  for (const auto& mp : pool) EXPECT_NE(mp, "/poolx");  // a sibling, not below
}

TEST(MountTableTest, RejectsGarbage) {
  EXPECT_FALSE(MountTable::Parse("not a mountinfo line\n").ok());
  EXPECT_FALSE(MountTable::Parse("1 2 3:4 / / rw no-separator\n").ok());
}

TEST(MountTableTest, ReadsThisProcessesTable) {
  auto t = MountTable::Read();
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_TRUE(t->IsMountPoint("/"));
}

}  // namespace
}  // namespace spotkeeper::cloud::linuxhost
