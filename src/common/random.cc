#include "common/random.h"

namespace spotkeeper {

Random Random::FromEntropy() {
  std::random_device rd;
  return Random((static_cast<uint64_t>(rd()) << 32) ^ rd());
}

uint64_t Random::Uniform(uint64_t n) {
  // Rejection sampling keeps the distribution exact and the sequence platform independent.
  const uint64_t limit = UINT64_MAX - (UINT64_MAX % n);
  uint64_t x;
  do {
    x = Next();
  } while (x >= limit);
  return x % n;
}

int64_t Random::Range(int64_t lo, int64_t hi) {
  // Width in uint64 (no signed overflow); the full int64 range is every 64-bit value.
  uint64_t width = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  uint64_t offset = width == UINT64_MAX ? Next() : Uniform(width + 1);
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + offset);
}

double Random::NextDouble() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

std::string Random::Hex(int n) {
  static const char* kDigits = "0123456789abcdef";
  std::string s;
  s.reserve(static_cast<size_t>(n));
  uint64_t bits = 0;
  int left = 0;
  for (int i = 0; i < n; ++i) {
    if (left == 0) {
      bits = Next();
      left = 16;
    }
    s.push_back(kDigits[bits & 15]);
    bits >>= 4;
    --left;
  }
  return s;
}

}  // namespace spotkeeper
