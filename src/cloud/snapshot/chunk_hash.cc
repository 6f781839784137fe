#include "cloud/snapshot/chunk_hash.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace spotkeeper::cloud::snapshot {
namespace {

const EVP_MD* Sha256Md() {
  // Fetched once: EVP_sha256() would look the implementation up on every digest.
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline uint64_t Rotl(uint64_t v, int r) { return (v << r) | (v >> (64 - r)); }

}  // namespace

std::string ChunkHash::Hex() const {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || Sha256Md() == nullptr) std::abort();  // out of memory / no OpenSSL
}

Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

ChunkHash Sha256::Of(const void* data, size_t n) {
  auto* ctx = static_cast<EVP_MD_CTX*>(ctx_);
  ChunkHash h;
  unsigned int len = 0;
  if (EVP_DigestInit_ex(ctx, Sha256Md(), nullptr) != 1 || EVP_DigestUpdate(ctx, data, n) != 1 ||
      EVP_DigestFinal_ex(ctx, h.bytes.data(), &len) != 1 || len != h.bytes.size()) {
    std::abort();  // cannot fail with a fetched SHA-256 and a valid context
  }
  return h;
}

uint64_t Checksum64(const void* data, size_t n) {
  constexpr uint64_t kMul1 = 0x9E3779B185EBCA87ull, kMul2 = 0xC2B2AE3D27D4EB4Full;
  const auto* p = static_cast<const uint8_t*>(data);
  uint64_t lane[4] = {kMul1, kMul2, ~kMul1, ~kMul2};
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    for (int j = 0; j < 4; ++j) lane[j] = Rotl(lane[j] + Load64(p + i + 8 * j) * kMul2, 31) * kMul1;
  }
  uint64_t h = static_cast<uint64_t>(n) * kMul1;
  for (int j = 0; j < 4; ++j) h = Rotl(h ^ (lane[j] * kMul2), 27) * kMul1 + kMul2;
  for (; i + 8 <= n; i += 8) h = Rotl(h ^ (Load64(p + i) * kMul2), 27) * kMul1 + kMul2;
  for (; i < n; ++i) h = Rotl(h ^ (p[i] * kMul1), 11) * kMul2;
  h ^= h >> 33;
  h *= kMul2;
  h ^= h >> 29;
  h *= kMul1;
  h ^= h >> 32;
  return h;
}

bool IsAllZero(const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  if (n == 0) return true;
  // memcmp of the buffer against itself shifted by one byte: vectorised by libc.
  return p[0] == 0 && std::memcmp(p, p + 1, n - 1) == 0;
}

}  // namespace spotkeeper::cloud::snapshot
