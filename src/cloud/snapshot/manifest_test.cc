#include "cloud/snapshot/manifest.h"

#include <gtest/gtest.h>

namespace spotkeeper::cloud::snapshot {
namespace {

Manifest Sample() {
  Manifest m;
  m.chunk_size = 65536;
  m.info.id = "snap-1";
  m.info.image_size = 10 * 65536 + 5;
  m.info.parent_id = "snap-0";
  m.info.labels = {{"volume", "vol-1"}};
  m.info.bytes_read = 123;
  m.info.created_unix_ms = 1767225600000;
  Sha256 sha;
  for (uint64_t i : {0, 3, 10}) m.entries.push_back({i, sha.Of(&i, sizeof i)});
  m.info.chunks = m.entries.size();
  return m;
}

TEST(ManifestTest, RoundTrip) {
  Manifest m = Sample();
  Result<Manifest> back = DecodeManifest(EncodeManifest(m));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->info.id, "snap-1");
  EXPECT_EQ(back->info.image_size, m.info.image_size);
  EXPECT_EQ(back->info.labels, m.info.labels);
  EXPECT_EQ(back->info.parent_id, "snap-0");
  ASSERT_EQ(back->entries.size(), 3u);
  EXPECT_EQ(back->entries[2].index, 10u);
  EXPECT_EQ(back->entries[2].hash, m.entries[2].hash);
}

TEST(ManifestTest, TornOrDamagedIsRejected) {
  const std::string data = EncodeManifest(Sample());
  for (size_t cut : {size_t{0}, size_t{7}, data.size() / 2, data.size() - 1}) {
    EXPECT_FALSE(DecodeManifest(data.substr(0, cut)).ok()) << cut;
  }
  for (size_t i = 0; i < data.size(); i += 13) {
    std::string d = data;
    d[i] ^= 0x20;
    EXPECT_FALSE(DecodeManifest(d).ok()) << i;
  }
}

TEST(ManifestTest, EntryPastImageIsRejected) {
  Manifest m = Sample();
  m.entries.back().index = 11;  // the image has chunks 0..10
  EXPECT_FALSE(DecodeManifest(EncodeManifest(m)).ok());
}

}  // namespace
}  // namespace spotkeeper::cloud::snapshot
