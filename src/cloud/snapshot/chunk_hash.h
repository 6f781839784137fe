// ChunkHash: a chunk's name, the SHA-256 of its uncompressed bytes, and the hashing helpers the
// store uses: Sha256 (OpenSSL EVP, one per thread), Checksum64 (a fast non-cryptographic
// checksum that makes a damaged pack record detectable without decompressing it) and IsAllZero.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace spotkeeper::cloud::snapshot {

struct ChunkHash {
  std::array<uint8_t, 32> bytes{};

  std::string Hex() const;
  bool operator==(const ChunkHash& o) const = default;
  bool operator<(const ChunkHash& o) const { return bytes < o.bytes; }
};

// For unordered containers: the hash is already uniformly distributed.
struct ChunkHashHasher {
  size_t operator()(const ChunkHash& h) const {
    size_t v;
    std::memcpy(&v, h.bytes.data(), sizeof v);
    return v;
  }
};

// SHA-256 through OpenSSL's EVP interface (SHA extensions when the CPU has them).
// Not thread-safe: one per thread.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  ChunkHash Of(const void* data, size_t n);

 private:
  void* ctx_;  // EVP_MD_CTX
};

// 64-bit checksum (4 independent multiply-rotate lanes, then a final mix). Detects damage; not a
// defence against anyone choosing the bytes.
uint64_t Checksum64(const void* data, size_t n);

bool IsAllZero(const void* data, size_t n);

}  // namespace spotkeeper::cloud::snapshot
