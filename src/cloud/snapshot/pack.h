// Pack: one closed (immutable) pack file, open for reading, with its entries. Opening loads the
// index (<n>.idx) when it is intact and matches the pack; otherwise the pack is scanned record by
// record up to the first record that is torn or damaged, fsync'd, and the index rewritten.
//
// Thread safety: immutable after Open; reads use pread and may run concurrently. The descriptor
// stays open while any holder keeps the shared_ptr, so a pack removed by GC stays readable for
// a Restore or Verify that resolved its chunks before.
#pragma once

#include <zstd.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "cloud/snapshot/pack_format.h"
#include "cloud/snapshot/store_files.h"

namespace spotkeeper::cloud::snapshot {

// "0000000042": the file name stem of pack 42.
std::string PackStem(uint64_t number);

class Pack {
 public:
  struct OpenInfo {
    bool rebuilt = false;        // the index was missing, torn or stale
    uint64_t ignored_bytes = 0;  // bytes after the last intact record (torn tail, damage)
  };

  // `dir` is the packs directory.
  static Result<std::shared_ptr<Pack>> Open(const std::string& dir, uint64_t number,
                                            OpenInfo* info = nullptr);
  // A pack just written by PackWriter (its index already on disk); `deltas` by entry number.
  Pack(std::string dir, uint64_t number, Fd fd, uint64_t size, std::vector<PackEntry> entries,
       std::unordered_map<uint32_t, DeltaRef> deltas = {});

  uint64_t number() const { return number_; }
  std::string pack_path() const;
  std::string index_path() const;
  uint64_t size() const { return size_; }
  const std::vector<PackEntry>& entries() const { return entries_; }
  // The base of entry `i` when it is a delta record (read from its payload prefix at Open;
  // a prefix that does not decode leaves it out, and reading the record then reports damage).
  const DeltaRef* delta(uint32_t i) const {
    auto it = deltas_.find(i);
    return it == deltas_.end() ? nullptr : &it->second;
  }

  // Reads the record of `e` into `buf` and checks its header and payload checksum. Returns a
  // pointer to the stored payload inside `buf`. Internal when the record is damaged.
  Result<const uint8_t*> ReadStored(const PackEntry& e, std::vector<uint8_t>& buf) const;
  // Reads and decodes the chunk of `e` into out[0, e.raw_len). A delta record needs its
  // base's raw bytes in base[0, base_len) (the caller decodes the base first).
  Status ReadChunk(const PackEntry& e, ZSTD_DCtx* dctx, std::vector<uint8_t>& scratch, uint8_t* out,
                   const uint8_t* base = nullptr, size_t base_len = 0) const;

 private:
  // Decodes delta record `e` (its checked payload) on top of its base.
  Status ApplyDelta(const PackEntry& e, ZSTD_DCtx* dctx, const uint8_t* payload, uint8_t* out,
                    const uint8_t* base, size_t base_len) const;

  std::string dir_;
  uint64_t number_;
  Fd fd_;
  uint64_t size_;
  std::vector<PackEntry> entries_;
  std::unordered_map<uint32_t, DeltaRef> deltas_;
};

}  // namespace spotkeeper::cloud::snapshot
