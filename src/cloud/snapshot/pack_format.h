// The on-disk formats of pack files and their indexes (docs/snapshots.md, "Layout").
//
// A pack: a 16-byte header ("SKPACK01", 8 reserved bytes), then records. A record is a 64-byte
// header followed by the stored payload:
//   0  "SKCR"            4  codec (0 raw, 1 zstd)  5  3 reserved
//   8  raw length (u32)  12 stored length (u32)    16 SHA-256 of the raw bytes (32)
//   48 Checksum64 of the payload (u64)             56 Checksum64 of bytes 0..55 (u64)
// Every record describes itself, so a pack without its index can be scanned and re-indexed, and
// a damaged one is detected without decompressing (all integers little-endian).
//
// An index (<n>.idx): "SKIDX001", the pack's size (u64), the entry count (u64), 64-byte entries
// (hash, record offset u64, raw u32, stored u32, codec u8, 3 pad, payload checksum u64, 8 pad),
// then Checksum64 of everything before it. It is valid only for a pack of exactly that size.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cloud/snapshot/chunk_hash.h"
#include "common/status.h"

namespace spotkeeper::cloud::snapshot {

enum class ChunkCodec : uint8_t { kRaw = 0, kZstd = 1 };

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
