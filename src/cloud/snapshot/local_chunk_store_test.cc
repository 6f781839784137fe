#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cloud/snapshot/chunk_hash.h"
#include "cloud/snapshot/chunk_store.h"
#include "cloud/snapshot/pack.h"
#include "cloud/snapshot/snapshot_test_util.h"

namespace spotkeeper::cloud::snapshot {
namespace {

using testing::Bytes;
using testing::ReadAll;
using testing::SetSize;
using testing::TempDir;
using testing::WriteAt;

constexpr uint32_t kChunk = 64 * 1024;

class ChunkStoreTest : public ::testing::Test {
 protected:
  ChunkStoreOptions Options() {
    ChunkStoreOptions o;
    o.dir = dir_.path() + "/store";
    o.chunk_size = kChunk;
    o.threads = 2;
    o.max_memory = 8 * kChunk;
    return o;
  }
  std::unique_ptr<ChunkStore> OpenStore() {
    auto s = ChunkStore::Open(Options());
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  std::string Path(const std::string& name) { return dir_.path() + "/" + name; }

  // 40 chunks: holes, zeros written out, text, random, a partial last chunk.
  std::string MakeImage(const std::string& name, uint64_t seed) {
    const std::string path = Path(name);
    SetSize(path, 40 * kChunk - 1000);
    WriteAt(path, 2 * kChunk, Bytes(seed, 6 * kChunk, 1));
    WriteAt(path, 8 * kChunk, Bytes(seed + 1, 2 * kChunk, 2));  // zeros, allocated
    WriteAt(path, 12 * kChunk + 100, Bytes(seed + 2, 5 * kChunk, 0));
    WriteAt(path, 30 * kChunk, Bytes(seed + 3, 10 * kChunk - 1000, 1));
    return path;
  }

  Result<SnapshotInfo> Create(ChunkStore& s, const std::string& id, const std::string& src,
                              const std::string& parent = "",
                              std::optional<std::vector<ByteRange>> changed = std::nullopt) {
    CreateRequest r;
    r.snapshot_id = id;
    r.source_path = src;
    r.parent_id = parent;
    r.changed = std::move(changed);
    return s.Create(r);
  }

  void ExpectRestores(ChunkStore& s, const std::string& id, const std::string& image) {
    const std::string out = Path("restore-" + id);
    Status st = s.Restore(id, out);
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_TRUE(ReadAll(out) == ReadAll(image)) << id << " does not restore bit-exactly";
  }

  TempDir dir_;
};

TEST_F(ChunkStoreTest, CreateAndRestoreBitExactAndSparse) {
  auto store = OpenStore();
  const std::string img = MakeImage("a.img", 1);
  auto info = Create(*store, "snap-a", img);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  // Chunks 2..7 text, 12..17 random (17 partially), 30..39 text; holes and zeros not stored.
  EXPECT_EQ(info->chunks, 6u + 6u + 10u);
  EXPECT_EQ(info->image_size, 40 * kChunk - 1000);
  EXPECT_LT(info->new_bytes, (6u + 6u + 10u) * kChunk);  // the text compressed
  EXPECT_LE(info->bytes_read, uint64_t{24} * kChunk);    // holes were not read
  ExpectRestores(*store, "snap-a", img);
  // Holes stay holes: only the stored chunks take space.
  EXPECT_LE(testing::AllocatedBytes(Path("restore-snap-a")), uint64_t{23} * kChunk);
}

TEST_F(ChunkStoreTest, RestoreGrowsTheFileAsAHole) {
  auto store = OpenStore();
  const std::string img = MakeImage("a.img", 1);
  ASSERT_TRUE(Create(*store, "snap-a", img).ok());
  const std::string out = Path("big");
  ASSERT_TRUE(store->Restore("snap-a", out, 100 * kChunk).ok());
  std::string data = ReadAll(out);
  ASSERT_EQ(data.size(), 100u * kChunk);
  EXPECT_EQ(data.substr(0, 40 * kChunk - 1000), ReadAll(img));
  EXPECT_EQ(data.find_first_not_of('\0', 40 * kChunk - 1000), std::string::npos);
}

TEST_F(ChunkStoreTest, DeduplicatesAcrossVolumesAndIsIdempotent) {
  auto store = OpenStore();
  const std::string a = MakeImage("a.img", 1), b = MakeImage("b.img", 1);
  auto first = Create(*store, "snap-a", a);
  ASSERT_TRUE(first.ok());
  auto second = Create(*store, "snap-b", b);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->new_chunks, 0u);
  EXPECT_EQ(second->new_bytes, 0u);
  auto again = Create(*store, "snap-a", Path("missing"));  // committed: nothing is read
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->created_unix_ms, first->created_unix_ms);
  ExpectRestores(*store, "snap-b", b);
}

TEST_F(ChunkStoreTest, IncrementalReadsOnlyChangedChunks) {
  auto store = OpenStore();
  const std::string img = MakeImage("a.img", 1);
  ASSERT_TRUE(Create(*store, "snap-1", img).ok());
  WriteAt(Path("a-1.img"), 0, ReadAll(img));
  // Two small writes: one inside a data chunk (3), one into a hole chunk (25).
  WriteAt(img, 3 * kChunk + 10, Bytes(9, 4096, 0));
  WriteAt(img, 25 * kChunk, Bytes(10, 4096, 0));
  std::vector<ByteRange> changed = {{3 * kChunk + 10, 4096}, {25 * kChunk, 4096}};
  auto inc = Create(*store, "snap-2", img, "snap-1", changed);
  ASSERT_TRUE(inc.ok()) << inc.status().ToString();
  EXPECT_EQ(inc->bytes_read, uint64_t{kChunk} + 4096);  // chunk 3 whole, chunk 25's data only
  EXPECT_EQ(inc->new_chunks, 2u);
  EXPECT_EQ(inc->chunks, 23u);
  ExpectRestores(*store, "snap-2", img);

  // Without `changed`: everything with data is read, only new chunks stored.
  WriteAt(img, 31 * kChunk, Bytes(11, 100, 0));
  auto full = Create(*store, "snap-3", img, "snap-2");
  ASSERT_TRUE(full.ok());
  EXPECT_GE(full->bytes_read, uint64_t{23} * kChunk - 1000);
  EXPECT_EQ(full->new_chunks, 1u);
  ExpectRestores(*store, "snap-3", img);
  ExpectRestores(*store, "snap-1", Path("a-1.img"));
}

TEST_F(ChunkStoreTest, SmallWritesAreStoredAsDeltasThatOutliveTheirParent) {
  auto store = OpenStore();
  const std::string img = MakeImage("a.img", 1);
  ASSERT_TRUE(Create(*store, "snap-1", img).ok());
  // 4 KiB into a text chunk (3) and into a random one (13); chunk 31 zeroed (its old version
  // dies with snap-1, so that GC compacts snap-1's pack and moves the bases).
  WriteAt(img, 3 * kChunk + 10, Bytes(9, 4096, 0));
  WriteAt(img, 13 * kChunk + 8192, Bytes(10, 4096, 0));
  WriteAt(img, 31 * kChunk, Bytes(0, kChunk, 2));
  std::vector<ByteRange> changed = {
      {3 * kChunk + 10, 4096}, {13 * kChunk + 8192, 4096}, {31 * kChunk, kChunk}};
  auto inc = Create(*store, "snap-2", img, "snap-1", changed);
  ASSERT_TRUE(inc.ok()) << inc.status().ToString();
  EXPECT_EQ(inc->new_chunks, 2u);
  // Each is about its 4 KiB of new random bytes; stored whole, chunk 13 alone is 64 KiB.
  EXPECT_LT(inc->new_bytes, uint64_t{3} * 4096);
  ExpectRestores(*store, "snap-2", img);
  // The bases are snap-1's chunks: deleting snap-1 keeps them for snap-2, also compacted.
  ASSERT_TRUE(store->Delete("snap-1").ok());
  ExpectRestores(*store, "snap-2", img);
  store.reset();
  ChunkStoreOptions o = Options();
  o.gc_rewrite_below = 1.0;
  auto reopened = ChunkStore::Open(o);
  ASSERT_TRUE(reopened.ok());
  auto gc = (*reopened)->CollectGarbage();
  ASSERT_TRUE(gc.ok());
  EXPECT_GT(gc->packs_rewritten, 0u);
  ExpectRestores(**reopened, "snap-2", img);
  auto v = (*reopened)->Verify("");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok());
}

TEST_F(ChunkStoreTest, DeltaChainsAreBounded) {
  auto store = OpenStore();
  const std::string img = MakeImage("a.img", 1);
  ASSERT_TRUE(Create(*store, "snap-0", img).ok());
  // The same random chunk changed again and again: deltas on deltas, until the chain would be
  // longer than kMaxDeltaDepth and the chunk is stored whole again.
  std::vector<uint64_t> new_bytes;
  for (int i = 1; i <= kMaxDeltaDepth + 2; ++i) {
    WriteAt(img, 13 * kChunk + 4096 * static_cast<uint64_t>(i), Bytes(100 + i, 4096, 0));
    const std::string id = "snap-" + std::to_string(i);
    auto s = Create(*store, id, img, "snap-" + std::to_string(i - 1),
                    std::vector<ByteRange>{{13 * kChunk + 4096 * static_cast<uint64_t>(i), 4096}});
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    new_bytes.push_back(s->new_bytes);
    WriteAt(Path("expect-" + id), 0, ReadAll(img));
    // Only the newest snapshot is kept: every older chunk lives through the chain.
    ASSERT_TRUE(store->Delete("snap-" + std::to_string(i - 1)).ok());
  }
  for (int i = 0; i < kMaxDeltaDepth; ++i) EXPECT_LT(new_bytes[i], uint64_t{2} * 4096) << i;
  EXPECT_GE(new_bytes[kMaxDeltaDepth], uint64_t{kChunk});  // depth 5: stored whole
  EXPECT_LT(new_bytes[kMaxDeltaDepth + 1], uint64_t{2} * 4096);
  ExpectRestores(*store, "snap-" + std::to_string(kMaxDeltaDepth + 2), img);
  auto v = store->Verify("");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok());
}

TEST_F(ChunkStoreTest, ADeadDeltaWhoseBaseWasCollectedIsNeverDedupedAgainst) {
  auto store = OpenStore();
  const std::string img = Path("a.img");
  SetSize(img, 10 * kChunk);
  WriteAt(img, 0, Bytes(1, kChunk, 0));
  ASSERT_TRUE(Create(*store, "snap-1", img).ok());  // pack 1: chunk 0 only (the base)
  // snap-2: chunk 0 as a delta, chunks 1-9 new, all in pack 2.
  WriteAt(img, 4096, Bytes(2, 4096, 0));
  WriteAt(img, kChunk, Bytes(3, 9 * kChunk, 0));
  ASSERT_TRUE(
      Create(*store, "snap-2", img, "snap-1", std::vector<ByteRange>{{4096, 10 * kChunk}}).ok());
  const std::string snap2 = ReadAll(img);
  // snap-3 keeps chunks 1-9 (pack 2 stays mostly live), not chunk 0.
  WriteAt(img, 0, Bytes(0, kChunk, 2));
  ASSERT_TRUE(Create(*store, "snap-3", img, "snap-2", std::vector<ByteRange>{{0, kChunk}}).ok());
  ASSERT_TRUE(store->Delete("snap-1").ok());
  ASSERT_TRUE(store->Delete("snap-2").ok());  // the delta is dead, pack 2 kept, pack 1 gone
  // The same content as snap-2 again: its chunk 0 must be stored anew, not deduped against the
  // dead delta whose base is gone.
  WriteAt(img, 0, snap2);
  ASSERT_TRUE(Create(*store, "snap-4", img).ok());
  ExpectRestores(*store, "snap-4", img);
  store.reset();
  auto reopened = OpenStore();
  ExpectRestores(*reopened, "snap-4", img);
  auto v = reopened->Verify("");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok());
}

TEST_F(ChunkStoreTest, VerifyReportsASnapshotWhoseDeltaBaseIsDamaged) {
  auto store = OpenStore();
  const std::string img = MakeImage("a.img", 1);
  const std::string old13 = ReadAll(img).substr(13 * kChunk, kChunk);
  ASSERT_TRUE(Create(*store, "snap-1", img).ok());
  WriteAt(img, 13 * kChunk + 8192, Bytes(10, 4096, 0));
  ASSERT_TRUE(
      Create(*store, "snap-2", img, "snap-1", std::vector<ByteRange>{{13 * kChunk + 8192, 4096}})
          .ok());
  // Damage the base (snap-1's chunk 13, in pack 1); snap-2's own pack is intact.
  auto pack = Pack::Open(Options().dir + "/packs", 1);
  ASSERT_TRUE(pack.ok());
  Sha256 sha;
  const ChunkHash base = sha.Of(old13.data(), old13.size());
  uint64_t offset = 0;
  for (const PackEntry& e : (*pack)->entries()) {
    if (e.hash == base) offset = e.offset;
  }
  ASSERT_NE(offset, 0u);
  const std::string path = Options().dir + "/packs/" + PackStem(1) + ".pack";
  std::string data = ReadAll(path);
  data[offset + kRecordHeaderSize + 100] ^= 0x01;
  WriteAt(path, 0, data);
  auto v = store->Verify("snap-2");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->damaged_packs, std::vector<std::string>{PackStem(1) + ".pack"});
  EXPECT_EQ(v->damaged_snapshots, (std::vector<std::string>{"snap-1", "snap-2"}));
  EXPECT_FALSE(store->Restore("snap-2", Path("out")).ok());
}

TEST_F(ChunkStoreTest, OpensAFormat1StoreAndRefusesAnUnknownFormat) {
  const std::string dir = Options().dir;
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/config.json") << R"({"format": 1, "chunk_size": 65536})";
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    const std::string img = MakeImage("a.img", 1);
    ASSERT_TRUE(Create(*store, "snap-1", img).ok());
    ExpectRestores(*store, "snap-1", img);
  }
  EXPECT_NE(ReadAll(dir + "/config.json").find("\"format\": 2"), std::string::npos);
  std::ofstream(dir + "/config.json") << R"({"format": 9, "chunk_size": 65536})";
  auto bad = ChunkStore::Open(Options());
  EXPECT_EQ(bad.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(bad.status().ToString().find("unknown format 9"), std::string::npos);
}

TEST_F(ChunkStoreTest, IncrementalHandlesAResizedImage) {
  auto store = OpenStore();
  const std::string img = MakeImage("a.img", 1);
  ASSERT_TRUE(Create(*store, "snap-1", img).ok());
  SetSize(img, 50 * kChunk + 7);
  WriteAt(img, 45 * kChunk, Bytes(5, 1000, 0));
  auto inc = Create(*store, "snap-2", img, "snap-1", std::vector<ByteRange>{});
  ASSERT_TRUE(inc.ok());
  ExpectRestores(*store, "snap-2", img);
}

TEST_F(ChunkStoreTest, CopyDeleteAndGarbageCollection) {
  auto store = OpenStore();
  const std::string a = MakeImage("a.img", 1), b = MakeImage("b.img", 2);
  ASSERT_TRUE(Create(*store, "snap-a", a).ok());
  ASSERT_TRUE(Create(*store, "snap-b", b).ok());
  auto copy = store->Copy("snap-c", "snap-a");
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(copy->bytes_read, 0u);
  EXPECT_EQ(copy->chunks, 22u);
  ASSERT_TRUE(store->Delete("snap-a").ok());
  EXPECT_EQ(store->Get("snap-a").status().code(), Code::kNotFound);
  ExpectRestores(*store, "snap-c", a);  // the copy keeps the chunks
  ASSERT_TRUE(store->Delete("snap-c").ok());
  EXPECT_TRUE(store->Delete("snap-c").ok());  // NotFound is not an error
  auto gc = store->CollectGarbage();
  ASSERT_TRUE(gc.ok());
  auto v = store->Verify("");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok());
  EXPECT_EQ(v->chunks_checked, 22u);  // snap-b's only
  ExpectRestores(*store, "snap-b", b);
  auto list = store->List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, "snap-b");
}

TEST_F(ChunkStoreTest, CompactionMovesLiveChunks) {
  ChunkStoreOptions o = Options();
  o.gc_rewrite_below = 1.0;  // any dead byte: rewrite
  auto opened = ChunkStore::Open(o);
  ASSERT_TRUE(opened.ok());
  auto& store = *opened;
  const std::string a = MakeImage("a.img", 1);
  ASSERT_TRUE(Create(*store, "snap-a", a).ok());
  WriteAt(a, 2 * kChunk, Bytes(77, 3 * kChunk, 0));
  ASSERT_TRUE(
      Create(*store, "snap-b", a, "snap-a", std::vector<ByteRange>{{2 * kChunk, 3 * kChunk}}).ok());
  ASSERT_TRUE(store->Delete("snap-a").ok());
  auto gc = store->CollectGarbage();
  ASSERT_TRUE(gc.ok());
  ExpectRestores(*store, "snap-b", a);
  store.reset();
  auto reopened = OpenStore();
  ExpectRestores(*reopened, "snap-b", a);
  auto v = reopened->Verify("");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok());
}

TEST_F(ChunkStoreTest, SurvivesARestartAndLocksItsDirectory) {
  const std::string a = MakeImage("a.img", 1);
  {
    auto store = OpenStore();
    ASSERT_TRUE(Create(*store, "snap-a", a).ok());
    EXPECT_EQ(ChunkStore::Open(Options()).status().code(), Code::kFailedPrecondition);
  }
  auto store = OpenStore();
  auto info = store->Get("snap-a");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->chunks, 22u);
  ExpectRestores(*store, "snap-a", a);
}

TEST_F(ChunkStoreTest, VerifyReportsADamagedPackAndTheSnapshotsItAffects) {
  auto store = OpenStore();
  const std::string a = MakeImage("a.img", 1), b = MakeImage("b.img", 2);
  ASSERT_TRUE(Create(*store, "snap-a", a).ok());
  ASSERT_TRUE(Create(*store, "snap-b", b).ok());
  ASSERT_TRUE(store->Copy("snap-a2", "snap-a").ok());
  // Flip one byte in the middle of the first record's payload of pack 1 (snap-a's).
  const std::string pack = Options().dir + "/packs/" + PackStem(1) + ".pack";
  std::string data = ReadAll(pack);
  data[kPackHeaderSize + kRecordHeaderSize + 50] ^= 0x40;
  WriteAt(pack, 0, data);
  auto v = store->Verify("snap-b");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->damaged_packs.size(), 0u);
  v = store->Verify("snap-a");
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok());
  EXPECT_EQ(v->damaged_packs, std::vector<std::string>{PackStem(1) + ".pack"});
  EXPECT_EQ(v->damaged_snapshots, (std::vector<std::string>{"snap-a", "snap-a2"}));
  v = store->Verify("");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->damaged_snapshots, (std::vector<std::string>{"snap-a", "snap-a2"}));
  EXPECT_FALSE(store->Restore("snap-a", Path("out")).ok());
}

TEST_F(ChunkStoreTest, ProgressGoesFrom0To100) {
  auto store = OpenStore();
  const std::string a = MakeImage("a.img", 1);
  std::vector<int> seen;
  CreateRequest r;
  r.snapshot_id = "snap-a";
  r.source_path = a;
  r.progress = [&](int p) { seen.push_back(p); };
  ASSERT_TRUE(store->Create(r).ok());
  ASSERT_GE(seen.size(), 3u);
  EXPECT_EQ(seen.front(), 0);
  EXPECT_EQ(seen.back(), 100);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
}

TEST_F(ChunkStoreTest, SecondCreateOfTheSameIdInFlightIsRefused) {
  auto store = OpenStore();
  const std::string a = MakeImage("a.img", 1);
  std::atomic<bool> checked{false};
  CreateRequest r;
  r.snapshot_id = "snap-a";
  r.source_path = a;
  r.progress = [&](int p) {
    if (p != 0) return;
    // Still in flight: the same id is refused, another id is not.
    EXPECT_EQ(Create(*store, "snap-a", a).status().code(), Code::kAlreadyExists);
    EXPECT_TRUE(Create(*store, "snap-b", a).ok());
    checked = true;
  };
  ASSERT_TRUE(store->Create(r).ok());
  EXPECT_TRUE(checked);
}

TEST_F(ChunkStoreTest, BadRequestsAreRefused) {
  auto store = OpenStore();
  EXPECT_EQ(Create(*store, "../x", Path("a")).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Create(*store, "snap-a", Path("missing")).status().code(), Code::kNotFound);
  const std::string a = MakeImage("a.img", 1);
  EXPECT_EQ(Create(*store, "snap-a", a, "snap-none").status().code(), Code::kNotFound);
  EXPECT_EQ(store->Restore("snap-none", Path("out")).code(), Code::kNotFound);
  EXPECT_EQ(store->Copy("snap-b", "snap-none").status().code(), Code::kNotFound);
}

// Creates (sharing chunks with the snapshots being deleted), Deletes and GCs at once, with
// aggressive compaction: every committed snapshot must stay restorable throughout.
TEST_F(ChunkStoreTest, ConcurrentCreateDeleteAndGc) {
  ChunkStoreOptions o = Options();
  o.gc_rewrite_below = 1.0;
  o.pack_target_bytes = 4 * kChunk;  // many small packs
  auto opened = ChunkStore::Open(o);
  ASSERT_TRUE(opened.ok());
  ChunkStore& store = **opened;
  constexpr int kImages = 3;
  std::vector<std::string> images;
  for (int i = 0; i < kImages; ++i)
    images.push_back(MakeImage("v" + std::to_string(i), 100 + i % 2));
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  auto creator = [&](int t) {
    for (int round = 0; round < 6; ++round) {
      const std::string id = "snap-" + std::to_string(t) + "-" + std::to_string(round);
      const std::string& img = images[(t + round) % kImages];
      auto info = Create(store, id, img);
      if (!info.ok()) {
        ADD_FAILURE() << info.status().ToString();
        ++failures;
        continue;
      }
      const std::string out = Path("out-" + id);
      Status s = store.Restore(id, out);
      if (!s.ok() || ReadAll(out) != ReadAll(img)) {
        ADD_FAILURE() << id << ": " << s.ToString();
        ++failures;
      }
      ::unlink(out.c_str());
      if (round % 2 == 0) {
        EXPECT_TRUE(store.Delete(id).ok());
      }
    }
  };
  std::thread gc([&] {
    while (!stop) EXPECT_TRUE(store.CollectGarbage().ok());
  });
  std::thread t1(creator, 1), t2(creator, 2);
  t1.join();
  t2.join();
  stop = true;
  gc.join();
  EXPECT_EQ(failures, 0);
  auto v = store.Verify("");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok());
  auto list = store.List();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 6u);
}

}  // namespace
}  // namespace spotkeeper::cloud::snapshot
