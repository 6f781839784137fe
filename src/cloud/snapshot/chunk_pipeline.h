// ChunkPipeline: the read → hash → compress path of Create. N workers take the chunks of the
// source in order, each reads its chunk (only the data extents: SEEK_DATA/SEEK_HOLE), tests for
// zero, hashes it (SHA-256), asks the store whether it has the chunk and compresses it with zstd
// if not, and the calling thread consumes the results in job order (appends them to a pack). A job
// may name a base (the parent snapshot's chunk at the same place): a new chunk is then compared
// with it 4 KiB block by block and stored as a delta (the changed blocks) when they are at most a
// quarter of the chunk (a few 4 KiB writes into it); otherwise compressed on its own.
//
// Memory is bounded: chunk buffers (input + compression output) come from a fixed pool sized by
// `max_memory` (at least 2 slots, buffers allocated on first use); a worker waits for a free
// slot before it reads, and a slot is freed only after its result was consumed.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "cloud/snapshot/chunk_hash.h"
#include "cloud/snapshot/pack_format.h"
#include "common/status.h"

namespace spotkeeper::cloud::snapshot {

struct ChunkJob {
  uint64_t index = 0;   // bytes [index * chunk_size, index * chunk_size + length) of the source
  uint32_t length = 0;  // chunk_size, or less for the last chunk
  bool has_base = false;
  ChunkHash base;  // with has_base: the chunk at this index in the parent snapshot
};

struct ChunkResult {
  uint64_t index = 0;
  uint32_t raw_len = 0;
  uint64_t bytes_read = 0;  // data bytes read from the source (holes are not read)
  bool zero = false;        // a hole or all zeros: nothing to store or name
  ChunkHash hash;
  bool known = false;  // Lookup said the store has it: nothing to write
  // When !zero && !known: the stored form (a delta payload starts with its prefix).
  ChunkCodec codec = ChunkCodec::kRaw;
  const uint8_t* payload = nullptr;  // valid during the Consume call only
  uint32_t stored_len = 0;
};

class ChunkPipeline {
 public:
  struct Options {
    int workers = 2;
    size_t max_memory = size_t{128} << 20;
    uint32_t chunk_size = 1u << 20;
    int zstd_level = 1;
  };
  // From worker threads: true when the store already has the chunk (the callee pins it).
  using Lookup = std::function<bool(const ChunkHash&)>;
  // From worker threads: the raw bytes of a stored chunk (resized to its length) and its delta
  // depth (0: stored whole). An error makes the chunk be compressed on its own.
  using LoadBase = std::function<Result<uint8_t>(const ChunkHash&, std::vector<uint8_t>& raw)>;
  // On the calling thread, in job order. An error stops the pipeline and is returned by Run.
  using Consume = std::function<Status(const ChunkResult&)>;

  // Blocks until every job is consumed or the first error. `source_fd` is read with pread only.
  static Status Run(const Options& options, int source_fd, const std::vector<ChunkJob>& jobs,
                    const Lookup& lookup, const LoadBase& load_base, const Consume& consume);
  // The number of buffer slots `options` allows (what bounds memory: slots × per-slot bytes).
  static size_t SlotCount(const Options& options);
};

}  // namespace spotkeeper::cloud::snapshot
