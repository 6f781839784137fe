// Seeded randomness. Everything that must replay (simulation, fake provider, id generation in
// tests) draws from a Random built from a seed; nothing reads std::random_device except
// Random::FromEntropy(), used by the real server.
#pragma once

#include <cstdint>
#include <random>
#include <string>

namespace spotkeeper {

class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}
  static Random FromEntropy();

  uint64_t Next() { return engine_(); }
  // Uniform in [0, n). n must be > 0. Same sequence on every platform (no std distributions).
  uint64_t Uniform(uint64_t n);
  // Uniform in [lo, hi].
  int64_t Range(int64_t lo, int64_t hi);
  // Uniform in [0, 1).
  double NextDouble();
  bool Bernoulli(double p) { return p > 0 && NextDouble() < p; }
  // n lowercase hex digits.
  std::string Hex(int n);

 private:
  std::mt19937_64 engine_;
};

}  // namespace spotkeeper
