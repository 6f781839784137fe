// The on-disk formats of pack files and their indexes (docs/snapshots.md, "Layout").
//
// A pack: a 16-byte header ("SKPACK01", 8 reserved bytes), then records. A record is a 64-byte
// header followed by the stored payload:
//   0  "SKCR"            4  codec (0 raw, 1 zstd, 2 delta)  5  3 reserved
//   8  raw length (u32)  12 stored length (u32)    16 SHA-256 of the raw bytes (32)
//   48 Checksum64 of the payload (u64)             56 Checksum64 of bytes 0..55 (u64)
// Every record describes itself, so a pack without its index can be scanned and re-indexed, and
// a damaged one is detected without decompressing (all integers little-endian).
//
// A delta payload (codec 2) stores a chunk as the 4 KiB blocks in which it differs from its base
// chunk (same length): a 40-byte prefix — the SHA-256 of the base (32), the delta depth (u8: 1
// when the base is stored whole), the codec of the block data (u8: 0 raw, 1 zstd), 6 zero bytes
// — then a bitmap of the changed blocks (bit i of byte i/8: block i), then the changed blocks
// in order, raw or as one zstd frame. A base always existed in the store before its delta was
// written, so the references have no cycles.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cloud/snapshot/chunk_hash.h"
#include "common/status.h"

namespace spotkeeper::cloud::snapshot {

enum class ChunkCodec : uint8_t { kRaw = 0, kZstd = 1, kDelta = 2 };

// What a delta record names: its base chunk, how many deltas deep it is, and how its changed
// blocks are stored (kRaw or kZstd).
struct DeltaRef {
  ChunkHash base;
  uint8_t depth = 1;
  ChunkCodec blocks = ChunkCodec::kRaw;
};

inline constexpr size_t kDeltaPrefixSize = 40;
inline constexpr uint32_t kDeltaBlock = 4096;
// Bytes of the changed-block bitmap of a chunk of `raw_len` bytes.
inline size_t DeltaBitmapSize(uint32_t raw_len) {
  return ((raw_len + kDeltaBlock - 1) / kDeltaBlock + 7) / 8;
}
// Longest chain of deltas a chunk may sit at the end of (reading it decodes depth + 1 records).
inline constexpr uint8_t kMaxDeltaDepth = 4;

void EncodeDeltaPrefix(const DeltaRef& d, uint8_t out[kDeltaPrefixSize]);
// nullopt when the bytes are not a delta prefix (reserved bytes set, depth or codec out of
// range).
std::optional<DeltaRef> DecodeDeltaPrefix(const uint8_t* in, size_t n);

// One record of a pack, as its index (or a scan) describes it.
struct PackEntry {
  ChunkHash hash;
  uint64_t offset = 0;  // of the record header within the pack
  uint32_t raw_len = 0;
  uint32_t stored_len = 0;
  ChunkCodec codec = ChunkCodec::kRaw;
  uint64_t payload_checksum = 0;

  uint64_t record_size() const;  // header + payload
};

inline constexpr size_t kPackHeaderSize = 16;
inline constexpr size_t kRecordHeaderSize = 64;
inline constexpr uint32_t kMaxChunkSize = 64u << 20;

std::string EncodePackHeader();
bool IsPackHeader(const uint8_t* p, size_t n);

void EncodeRecordHeader(const PackEntry& e, uint8_t out[kRecordHeaderSize]);
// nullopt when the bytes are not an intact record header (magic, checksum, sane lengths).
std::optional<PackEntry> DecodeRecordHeader(const uint8_t in[kRecordHeaderSize], uint64_t offset);

std::string EncodePackIndex(uint64_t pack_size, const std::vector<PackEntry>& entries);
// FailedPrecondition when the index is torn, damaged or for a pack of another size.
Result<std::vector<PackEntry>> DecodePackIndex(const std::string& data, uint64_t pack_size);

}  // namespace spotkeeper::cloud::snapshot
