// Crash tests: the operation runs in a fork()ed child whose crash hook _exit()s at one named
// point (a real crash: no destructor, no flush, no unlock). The parent then reopens the store
// and checks that every committed snapshot restores bit-exactly, the interrupted one is absent
// (or present and exact once its rename happened), Verify is clean, and the store still works.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <set>

#include "cloud/snapshot/chunk_store.h"
#include "cloud/snapshot/snapshot_crash_points.h"
#include "cloud/snapshot/snapshot_test_util.h"

namespace spotkeeper::cloud::snapshot {
namespace {

using testing::Bytes;
using testing::ReadAll;
using testing::SetSize;
using testing::TempDir;
using testing::WriteAt;

constexpr uint32_t kChunk = 64 * 1024;
constexpr int kHit = 42;

enum class Op { kCreate, kDelete, kCopy };

struct CrashCase {
  const char* point;
  Op op;
};

class ChunkStoreCrashTest : public ::testing::TestWithParam<CrashCase> {
 protected:
  ChunkStoreOptions Options() {
    ChunkStoreOptions o;
    o.dir = dir_.path() + "/store";
    o.chunk_size = kChunk;
    o.threads = 2;
    o.max_memory = 8 * kChunk;
    o.gc_rewrite_below = 1.0;          // Delete compacts: every GC point is reached
    o.pack_target_bytes = 8 * kChunk;  // several packs per Create
    return o;
  }
  std::string Path(const std::string& name) { return dir_.path() + "/" + name; }

  // Keeps a copy of `image` as the expected content of `id`.
  void Remember(const std::string& id, const std::string& image) {
    expected_[id] = Path("expect-" + id);
    WriteAt(expected_[id], 0, ReadAll(image));
    SetSize(expected_[id], ReadAll(image).size());
  }

  Status Run(ChunkStore& s, Op op) {
    switch (op) {
      case Op::kCreate: {
        CreateRequest r;
        r.snapshot_id = "snap-c";
        r.source_path = image_;
        r.parent_id = "snap-b";
        r.changed = changed_;
        return s.Create(r).status();
      }
      case Op::kDelete:
        return s.Delete("snap-a");
      case Op::kCopy:
        return s.Copy("snap-c", "snap-b").status();
    }
    return OkStatus();
  }

  void SetUp() override {
    image_ = Path("vol.img");
    SetSize(image_, 48 * kChunk);
    WriteAt(image_, 0, Bytes(1, 12 * kChunk, 1));
    WriteAt(image_, 20 * kChunk, Bytes(2, 12 * kChunk, 0));
    auto store = ChunkStore::Open(Options());
    ASSERT_TRUE(store.ok());
    CreateRequest r;
    r.snapshot_id = "snap-a";
    r.source_path = image_;
    ASSERT_TRUE((*store)->Create(r).ok());
    Remember("snap-a", image_);
    // snap-b shares half of snap-a's chunks: deleting snap-a leaves packs half dead.
    // A 4 KiB write into chunk 10 makes it a delta record on snap-a's chunk 10, which only that
    // delta keeps alive once snap-a is deleted.
    WriteAt(image_, 0, Bytes(3, 6 * kChunk, 0));
    WriteAt(image_, 20 * kChunk, Bytes(4, 6 * kChunk, 1));
    WriteAt(image_, 10 * kChunk + 8192, Bytes(8, 4096, 0));
    r.snapshot_id = "snap-b";
    r.parent_id = "snap-a";
    r.changed = std::vector<ByteRange>{
        {0, 6 * kChunk}, {20 * kChunk, 6 * kChunk}, {10 * kChunk + 8192, 4096}};
    ASSERT_TRUE((*store)->Create(r).ok());
    Remember("snap-b", image_);
    // What snap-c would hold: new data in a hole and over old data.
    WriteAt(image_, 40 * kChunk, Bytes(5, 6 * kChunk, 1));
    WriteAt(image_, 2 * kChunk, Bytes(6, 3 * kChunk, 0));
    // Small writes: delta records on a text chunk, a random one and snap-b's delta (depth 2).
    WriteAt(image_, 8 * kChunk + 4096, Bytes(7, 4096, 0));
    WriteAt(image_, 28 * kChunk + 100, Bytes(9, 4096, 0));
    WriteAt(image_, 10 * kChunk, Bytes(10, 4096, 0));
    changed_ = {{40 * kChunk, 6 * kChunk},
                {2 * kChunk, 3 * kChunk},
                {8 * kChunk + 4096, 4096},
                {28 * kChunk + 100, 4096},
                {10 * kChunk, 4096}};
  }

  void CheckRestores(ChunkStore& s, const std::string& id, const std::string& expect) {
    const std::string out = Path("out-" + id);
    Status st = s.Restore(id, out);
    ASSERT_TRUE(st.ok()) << id << ": " << st.ToString();
    EXPECT_TRUE(ReadAll(out) == ReadAll(expect)) << id << " is not bit-exact";
  }

  TempDir dir_;
  std::string image_;
  std::vector<ByteRange> changed_;
  std::map<std::string, std::string> expected_;
};

TEST_P(ChunkStoreCrashTest, CommittedSnapshotsSurvive) {
  const CrashCase c = GetParam();
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ChunkStoreOptions o = Options();
    const std::string point = c.point;
    o.crash_hook = [point](const char* p) {
      if (point == p) ::_exit(kHit);
    };
    auto store = ChunkStore::Open(o);
    if (!store.ok()) ::_exit(1);
    Status s = Run(**store, c.op);
    ::_exit(s.ok() ? 0 : 2);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), kHit) << c.point << " was not reached";

  auto opened = ChunkStore::Open(Options());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  ChunkStore& store = **opened;
  const std::string p = c.point;
  std::set<std::string> want = {"snap-a", "snap-b"};
  // Every point of a Delete comes after its manifest is removed (the pack points: compaction).
  if (c.op == Op::kDelete) want.erase("snap-a");
  if (c.op != Op::kDelete && p == kCrashManifestAfterRename) {
    want.insert("snap-c");
    Remember("snap-c", c.op == Op::kCreate ? image_ : expected_["snap-b"]);
  }
  auto list = store.List();
  ASSERT_TRUE(list.ok());
  std::set<std::string> have;
  for (const SnapshotInfo& i : *list) have.insert(i.id);
  EXPECT_EQ(have, want);
  for (const std::string& id : want) CheckRestores(store, id, expected_[id]);
  auto v = store.Verify("");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok()) << v->damaged_packs.size() << " damaged packs";

  // The store goes on: the interrupted operation again, a GC, and everything still restores.
  ASSERT_TRUE(Run(store, c.op).ok());
  if (c.op == Op::kDelete) {
    want.erase("snap-a");
  } else {
    want.insert("snap-c");
    Remember("snap-c", c.op == Op::kCreate ? image_ : expected_["snap-b"]);
  }
  ASSERT_TRUE(store.CollectGarbage().ok());
  for (const std::string& id : want) CheckRestores(store, id, expected_[id]);
  v = store.Verify("");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok());
}

std::vector<CrashCase> Cases() {
  return {
      {kCrashPackAfterAppend, Op::kCreate},     {kCrashPackAfterSync, Op::kCreate},
      {kCrashPackAfterIndex, Op::kCreate},      {kCrashManifestBeforeRename, Op::kCreate},
      {kCrashManifestAfterRename, Op::kCreate}, {kCrashManifestBeforeRename, Op::kCopy},
      {kCrashManifestAfterRename, Op::kCopy},   {kCrashGcAfterManifestDelete, Op::kDelete},
      {kCrashGcBeforePackRewrite, Op::kDelete}, {kCrashPackAfterAppend, Op::kDelete},
      {kCrashPackAfterSync, Op::kDelete},       {kCrashPackAfterIndex, Op::kDelete},
      {kCrashGcAfterPackRewrite, Op::kDelete},  {kCrashGcAfterPackDelete, Op::kDelete},
  };
}

std::string CaseName(const ::testing::TestParamInfo<CrashCase>& info) {
  std::string name = std::string(info.param.op == Op::kCreate   ? "Create_"
                                 : info.param.op == Op::kDelete ? "Delete_"
                                                                : "Copy_") +
                     info.param.point;
  for (char& ch : name) {
    if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(AllPoints, ChunkStoreCrashTest, ::testing::ValuesIn(Cases()), CaseName);

// Every named point is covered by at least one case above.
TEST(ChunkStoreCrashPointsTest, EveryPointHasACase) {
  std::set<std::string> covered;
  for (const CrashCase& c : Cases()) covered.insert(c.point);
  for (const char* p : kAllCrashPoints) EXPECT_EQ(covered.count(p), 1u) << p;
}

}  // namespace
}  // namespace spotkeeper::cloud::snapshot
