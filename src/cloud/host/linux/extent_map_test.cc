#include "cloud/host/linux/extent_map.h"

#include <gtest/gtest.h>
#include <linux/fiemap.h>

namespace spotkeeper::cloud::linuxhost {
namespace {

constexpr uint64_t K = 4096;

FileExtent E(uint64_t logical, uint64_t physical, uint64_t length, uint32_t flags = 0) {
  return {logical * K, physical * K, length * K, flags};
}
FileRange R(uint64_t offset, uint64_t length) { return {offset * K, length * K}; }

TEST(ChangedRanges, IdenticalMappingsAreUnchanged) {
  std::vector<FileExtent> a = {E(0, 100, 10), E(20, 500, 5)};
  EXPECT_TRUE(ChangedRanges(a, 32 * K, a, 32 * K).empty());
}

TEST(ChangedRanges, DifferentSplitsOfTheSameBlocksAreUnchanged) {
  // The same physical run reported as one extent on one side and two on the other.
  std::vector<FileExtent> base = {E(0, 100, 10)};
  std::vector<FileExtent> next = {E(0, 100, 4, FIEMAP_EXTENT_SHARED),
                                  E(4, 104, 6, FIEMAP_EXTENT_SHARED)};
  EXPECT_TRUE(ChangedRanges(base, 10 * K, next, 10 * K).empty());
}

TEST(ChangedRanges, CopiedOnWriteBlocksArePartialOverlaps) {
  std::vector<FileExtent> base = {E(0, 100, 10)};
  // Blocks 3..4 rewritten (moved to 900), the rest still shared.
  std::vector<FileExtent> next = {E(0, 100, 3), E(3, 900, 2), E(5, 105, 5)};
  EXPECT_EQ(ChangedRanges(base, 10 * K, next, 10 * K), std::vector<FileRange>{R(3, 2)});
}

TEST(ChangedRanges, HolesAndUnwrittenReadAsZeros) {
  std::vector<FileExtent> base = {E(0, 100, 2), E(4, 300, 2, FIEMAP_EXTENT_UNWRITTEN)};
  std::vector<FileExtent> next = {E(0, 100, 2), E(8, 700, 2, FIEMAP_EXTENT_UNWRITTEN)};
  // 4..5: unwritten vs hole, 8..9: hole vs unwritten: both zeros, unchanged.
  EXPECT_TRUE(ChangedRanges(base, 12 * K, next, 12 * K).empty());
}

TEST(ChangedRanges, DataAgainstHoleIsChanged) {
  std::vector<FileExtent> base = {E(0, 100, 2)};
  std::vector<FileExtent> next = {E(0, 100, 2), E(5, 200, 3)};
  EXPECT_EQ(ChangedRanges(base, 10 * K, next, 10 * K), std::vector<FileRange>{R(5, 3)});
  // Punched / trimmed: data in the base, a hole now.
  EXPECT_EQ(ChangedRanges(next, 10 * K, base, 10 * K), std::vector<FileRange>{R(5, 3)});
}

TEST(ChangedRanges, UnreliableAddressesAreChanged) {
  std::vector<FileExtent> base = {E(0, 100, 4)};
  std::vector<FileExtent> next = {E(0, 100, 4, FIEMAP_EXTENT_DELALLOC)};
  EXPECT_EQ(ChangedRanges(base, 4 * K, next, 4 * K), std::vector<FileRange>{R(0, 4)});
  std::vector<FileExtent> inl = {E(0, 0, 1, FIEMAP_EXTENT_DATA_INLINE | FIEMAP_EXTENT_NOT_ALIGNED)};
  EXPECT_EQ(ChangedRanges(inl, 4 * K, inl, 4 * K), std::vector<FileRange>{R(0, 1)});
}

TEST(ChangedRanges, WrittenOverUnwrittenAtTheSameAddressIsChanged) {
  std::vector<FileExtent> base = {E(0, 100, 4, FIEMAP_EXTENT_UNWRITTEN)};
  std::vector<FileExtent> next = {E(0, 100, 4)};
  EXPECT_EQ(ChangedRanges(base, 4 * K, next, 4 * K), std::vector<FileRange>{R(0, 4)});
}

TEST(ChangedRanges, AdjacentChangesMergeAndTheTailBeyondTheBaseCounts) {
  std::vector<FileExtent> base = {E(0, 100, 4), E(100, 1000, 8)};  // 100.. is past base_size
  std::vector<FileExtent> next = {E(0, 200, 2), E(2, 300, 2), E(6, 106, 2), E(100, 1000, 2)};
  EXPECT_EQ(ChangedRanges(base, 8 * K, next, 120 * K),
            (std::vector<FileRange>{R(0, 4), R(6, 2), R(100, 2)}));
}

TEST(ChangedRanges, ExtentsBeyondTheNewSizeAreIgnored) {
  std::vector<FileExtent> base = {E(0, 100, 16)};
  std::vector<FileExtent> next = {E(0, 100, 8), E(8, 500, 8)};
  EXPECT_EQ(ChangedRanges(base, 16 * K, next, 10 * K), std::vector<FileRange>{R(8, 2)});
  EXPECT_EQ(TotalLength(ChangedRanges(base, 16 * K, next, 10 * K)), 2 * K);
}

}  // namespace
}  // namespace spotkeeper::cloud::linuxhost
