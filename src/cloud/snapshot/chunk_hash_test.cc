#include "cloud/snapshot/chunk_hash.h"

#include <gtest/gtest.h>

#include <string>

namespace spotkeeper::cloud::snapshot {
namespace {

TEST(ChunkHashTest, Sha256KnownVector) {
  Sha256 sha;
  EXPECT_EQ(sha.Of("abc", 3).Hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha.Of("", 0).Hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(ChunkHashTest, Checksum64SeesEveryByte) {
  std::string data(1000, 'x');
  const uint64_t base = Checksum64(data.data(), data.size());
  for (size_t i = 0; i < data.size(); i += 37) {
    std::string d = data;
    d[i] ^= 1;
    EXPECT_NE(Checksum64(d.data(), d.size()), base) << i;
  }
  EXPECT_NE(Checksum64(data.data(), 999), base);
}

TEST(ChunkHashTest, IsAllZero) {
  std::string z(4096, '\0');
  EXPECT_TRUE(IsAllZero(z.data(), z.size()));
  EXPECT_TRUE(IsAllZero(z.data(), 0));
  z[4095] = 1;
  EXPECT_FALSE(IsAllZero(z.data(), z.size()));
  z[4095] = 0;
  z[0] = 1;
  EXPECT_FALSE(IsAllZero(z.data(), z.size()));
}

}  // namespace
}  // namespace spotkeeper::cloud::snapshot
