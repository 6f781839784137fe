// bench/snapshot: what its pieces share (snapshot.cc: options, phases 1-3, the report;
// snapshot_data.cc: the seeded volume images; snapshot_blocked.cc: phase 4, root only).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cloud/snapshot/chunk_store.h"
#include "common/status.h"

namespace spotkeeper::bench {

constexpr uint64_t kMiB = uint64_t{1} << 20, kGiB = uint64_t{1} << 30;

struct Config {
  double size_gib = 4, data_gib = 2;
  std::string dir;
  bool quick = false, reference = true, chunk_sizes = false;
  uint32_t chunk_size = 0;  // 0: the store's default
  int threads = 0;
  uint64_t seed = 1;
  std::vector<int> phases = {1, 2, 3, 4};
  // Phase 4: volume sizes, captures per size, seconds of the reference (writer alone), MiB of
  // data written to each volume before the writer starts.
  std::vector<int> busy_sizes_gib = {4, 16};
  int captures = 5, busy_seconds = 3, fill_mib = 512;
};

double Now();  // steady clock, seconds
// Prints, undoes phase 4's mounts, removes the scratch directory and exits 1.
[[noreturn]] void Die(const std::string& what);
void Check(const Status& s, const std::string& what);

// --- snapshot_data.cc
// xorshift64*: fast, seeded, good enough for test data.
struct Rng {
  uint64_t s;
  uint64_t Next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545F4914F6CDD1Dull;
  }
};
// Text-like bytes: words from a seeded vocabulary (zstd-1 shrinks them about 3x).
void FillText(Rng& rng, char* out, size_t n);
void FillRandom(Rng& rng, char* out, size_t n);
// A sparse image of `size` bytes holding `data` bytes in evenly spread extents, alternately
// text-like and random.
void MakeVolume(const std::string& path, uint64_t size, uint64_t data, uint64_t seed);
// Rewrites `fraction` of the image in random 4 KiB writes; returns the written ranges. With
// `undo`, the bytes it overwrote are saved there first (to put them back with Undo).
std::vector<cloud::snapshot::ByteRange> RewriteRandom(const std::string& path, uint64_t size,
                                                      double fraction, uint64_t seed,
                                                      std::vector<std::string>* undo = nullptr);
void Undo(const std::string& path, const std::vector<cloud::snapshot::ByteRange>& ranges,
          const std::vector<std::string>& undo);
uint64_t TreeBytes(const std::string& dir);
uint64_t AllocatedBytes(const std::string& path);
std::string HashFile(const std::string& path);  // SHA-256 of the per-16 MiB SHA-256s

// --- snapshot_blocked.cc (phase 4)
// One volume size's result.
struct BusyResult {
  int size_gib = 0;
  struct Latency {
    size_t n = 0;
    double p50 = 0, p99 = 0, max = 0;  // ms
  } without, during;  // the writer's write + fdatasync alone (reference) and during captures
  std::vector<double> blocked_ms, capture_ms;  // per capture, sorted
};
struct BusyReport {
  std::string skipped;  // why phase 4 did not run ("" when it ran)
  std::string setup;    // what was measured (pool, volume, writer)
  std::vector<BusyResult> results;
};
// Writer-blocked time of snapshots of a busy mounted volume, through LinuxHostDriver on a
// loop-mounted XFS reflink pool in `<cfg.dir>/cloud`. Not root (or no loop devices, host
// tools): skipped, with the reason. Everything it made is gone when it returns or dies.
BusyReport RunBusyVolume(const Config& cfg);
void PrintBusyReport(const BusyReport& report);
// Thaws and lazily detaches phase 4's mounts, if any: only system calls, for Die and the
// signal handlers (autoclear loop devices go with the last user of their filesystem).
void UndoBusyMounts();

}  // namespace spotkeeper::bench
