#include "cloud/snapshot/pack.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "cloud/snapshot/pack_writer.h"
#include "cloud/snapshot/snapshot_test_util.h"

namespace spotkeeper::cloud::snapshot {
namespace {

using testing::Bytes;
using testing::TempDir;

// Writes a pack of `n` raw chunks of 4 KiB; returns their bytes.
std::vector<std::string> WritePack(const std::string& dir, uint64_t number, int n) {
  std::vector<std::string> chunks;
  auto w = PackWriter::Create(dir, number, nullptr);
  EXPECT_TRUE(w.ok());
  Sha256 sha;
  for (int i = 0; i < n; ++i) {
    chunks.push_back(Bytes(i, 4096, 0));
    const auto* p = reinterpret_cast<const uint8_t*>(chunks.back().data());
    EXPECT_TRUE((*w)->Append(sha.Of(p, 4096), ChunkCodec::kRaw, 4096, p, 4096).ok());
  }
  EXPECT_TRUE((*w)->Finish().ok());
  return chunks;
}

void ExpectReadable(const Pack& pack, const std::vector<std::string>& chunks) {
  ASSERT_EQ(pack.entries().size(), chunks.size());
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  std::vector<uint8_t> scratch, out(4096);
  for (size_t i = 0; i < chunks.size(); ++i) {
    ASSERT_TRUE(pack.ReadChunk(pack.entries()[i], dctx, scratch, out.data()).ok());
    EXPECT_EQ(std::string(out.begin(), out.end()), chunks[i]);
  }
  ZSTD_freeDCtx(dctx);
}

TEST(PackTest, OpensThroughItsIndex) {
  TempDir dir;
  auto chunks = WritePack(dir.path(), 7, 5);
  Pack::OpenInfo info;
  auto pack = Pack::Open(dir.path(), 7, &info);
  ASSERT_TRUE(pack.ok()) << pack.status().ToString();
  EXPECT_FALSE(info.rebuilt);
  ExpectReadable(**pack, chunks);
}

TEST(PackTest, MissingIndexIsRebuiltFromTheRecords) {
  TempDir dir;
  auto chunks = WritePack(dir.path(), 1, 5);
  ASSERT_EQ(::unlink((dir.path() + "/" + PackStem(1) + ".idx").c_str()), 0);
  Pack::OpenInfo info;
  auto pack = Pack::Open(dir.path(), 1, &info);
  ASSERT_TRUE(pack.ok());
  EXPECT_TRUE(info.rebuilt);
  EXPECT_EQ(info.ignored_bytes, 0u);
  ExpectReadable(**pack, chunks);
  // The rebuilt index is used next time.
  ASSERT_TRUE(Pack::Open(dir.path(), 1, &info).ok());
  EXPECT_FALSE(info.rebuilt);
}

TEST(PackTest, TornTailIsIgnoredAndStaleIndexRebuilt) {
  TempDir dir;
  auto chunks = WritePack(dir.path(), 1, 5);
  const std::string path = dir.path() + "/" + PackStem(1) + ".pack";
  // A torn last record: the index (for the longer pack) no longer matches.
  ASSERT_EQ(::truncate(path.c_str(), kPackHeaderSize + 4 * (kRecordHeaderSize + 4096) + 100), 0);
  Pack::OpenInfo info;
  auto pack = Pack::Open(dir.path(), 1, &info);
  ASSERT_TRUE(pack.ok());
  EXPECT_TRUE(info.rebuilt);
  EXPECT_EQ(info.ignored_bytes, 100u);
  chunks.pop_back();
  ExpectReadable(**pack, chunks);
}

TEST(PackTest, DamagedRecordIsDetected) {
  TempDir dir;
  WritePack(dir.path(), 1, 3);
  const std::string path = dir.path() + "/" + PackStem(1) + ".pack";
  std::string data = testing::ReadAll(path);
  const size_t at = kPackHeaderSize + (kRecordHeaderSize + 4096) + kRecordHeaderSize + 10;
  data[at] ^= 1;
  testing::WriteAt(path, 0, data);
  auto pack = Pack::Open(dir.path(), 1);
  ASSERT_TRUE(pack.ok());
  std::vector<uint8_t> buf;
  EXPECT_TRUE((*pack)->ReadStored((*pack)->entries()[0], buf).ok());
  EXPECT_FALSE((*pack)->ReadStored((*pack)->entries()[1], buf).ok());
  EXPECT_TRUE((*pack)->ReadStored((*pack)->entries()[2], buf).ok());
}

}  // namespace
}  // namespace spotkeeper::cloud::snapshot
