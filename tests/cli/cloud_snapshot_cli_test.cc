// `spotkeeper cloud snapshot list|verify` against a chunk store made here (no root, no server):
// a damaged pack byte makes verify exit 1 and name the pack and the snapshot.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "cloud/snapshot/chunk_store.h"
#include "sim_server.h"
#include "subprocess.h"

namespace spotkeeper::testing {
namespace {

namespace fs = std::filesystem;

class CloudSnapshotCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = "/tmp/sk-snapcli-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    // A 4 MiB image of random bytes, stored as snap-a of vol-a (and snap-b, a copy).
    const std::string image = dir_ + "/image";
    {
      std::ofstream out(image, std::ios::binary);
      std::mt19937_64 rng(7);
      for (int i = 0; i < (4 << 20) / 8; ++i) {
        uint64_t v = rng();
        out.write(reinterpret_cast<const char*>(&v), sizeof v);
      }
    }
    cloud::snapshot::ChunkStoreOptions options;
    options.dir = dir_ + "/snapshots";
    auto store = cloud::snapshot::ChunkStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    cloud::snapshot::CreateRequest request;
    request.snapshot_id = "snap-a";
    request.source_path = image;
    request.labels = {{"volume_id", "vol-a"}};
    ASSERT_TRUE((*store)->Create(request).ok());
    ASSERT_TRUE((*store)->Copy("snap-b", "snap-a").ok());
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  RunResult Cli(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {SpotkeeperBinary(), "cloud", "snapshot"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--data-dir", dir_});
    return RunProcess(argv, {{"HOME", dir_}}, std::chrono::seconds(60));
  }
  std::string dir_;
};

TEST_F(CloudSnapshotCliTest, ListAndVerifyAnIntactStore) {
  RunResult list = Cli({"list"});
  EXPECT_EQ(list.exit, 0) << list.err;
  EXPECT_NE(list.out.find("snap-a"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("vol-a"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("snap-b"), std::string::npos) << list.out;
  RunResult verify = Cli({"verify"});
  EXPECT_EQ(verify.exit, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("OK"), std::string::npos) << verify.out;
  EXPECT_EQ(Cli({"verify", "snap-a"}).exit, 0);
}

TEST_F(CloudSnapshotCliTest, ADamagedPackByteFailsVerifyAndNamesTheSnapshots) {
  std::string pack;
  for (const auto& e : fs::directory_iterator(dir_ + "/snapshots/packs")) {
    if (e.path().extension() == ".pack" &&
        (pack.empty() || fs::file_size(e.path()) > fs::file_size(pack))) {
      pack = e.path().string();
    }
  }
  ASSERT_FALSE(pack.empty());
  {
    std::fstream f(pack, std::ios::in | std::ios::out | std::ios::binary);
    const auto at = static_cast<std::streamoff>(fs::file_size(pack) / 2);
    f.seekg(at);
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x5a);
    f.seekp(at);
    f.write(&c, 1);
  }
  RunResult verify = Cli({"verify"});
  EXPECT_EQ(verify.exit, 1) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("damaged pack: "), std::string::npos) << verify.out;
  EXPECT_NE(verify.out.find(fs::path(pack).filename().string()), std::string::npos) << verify.out;
  EXPECT_NE(verify.out.find("affected snapshot: snap-a"), std::string::npos) << verify.out;
  EXPECT_NE(verify.out.find("affected snapshot: snap-b"), std::string::npos) << verify.out;
  RunResult one = Cli({"verify", "snap-b"});
  EXPECT_EQ(one.exit, 1) << one.out << one.err;
}

TEST_F(CloudSnapshotCliTest, NoStoreIsAnError) {
  fs::remove_all(dir_ + "/snapshots");
  RunResult r = Cli({"verify"});
  EXPECT_EQ(r.exit, 1);
  EXPECT_NE(r.err.find("no snapshot store"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace spotkeeper::testing
