#include "cloud/snapshot/pack_format.h"

#include <cstring>

namespace spotkeeper::cloud::snapshot {
namespace {

constexpr char kPackMagic[] = "SKPACK01";
constexpr char kRecordMagic[] = "SKCR";
constexpr char kIndexMagic[] = "SKIDX001";
constexpr size_t kIndexEntrySize = 64;

template <typename T>
void Put(uint8_t* p, T v) {
  std::memcpy(p, &v, sizeof v);  // little-endian hosts only (x86-64, arm64)
}
template <typename T>
T Get(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

bool SaneLengths(uint32_t raw, uint32_t stored, ChunkCodec codec) {
  if (raw == 0 || raw > kMaxChunkSize || stored == 0) return false;
  if (codec == ChunkCodec::kRaw) return stored == raw;
  if (codec == ChunkCodec::kDelta) {
    return stored > kDeltaPrefixSize + DeltaBitmapSize(raw) && stored < raw;
  }
  return codec == ChunkCodec::kZstd && stored < raw;
}

}  // namespace

void EncodeDeltaPrefix(const DeltaRef& d, uint8_t out[kDeltaPrefixSize]) {
  std::memset(out, 0, kDeltaPrefixSize);
  std::memcpy(out, d.base.bytes.data(), 32);
  out[32] = d.depth;
  out[33] = static_cast<uint8_t>(d.blocks);
}

std::optional<DeltaRef> DecodeDeltaPrefix(const uint8_t* in, size_t n) {
  if (n < kDeltaPrefixSize || in[32] == 0 || in[32] > kMaxDeltaDepth || in[33] > 1) {
    return std::nullopt;
  }
  for (size_t i = 34; i < kDeltaPrefixSize; ++i) {
    if (in[i] != 0) return std::nullopt;
  }
  DeltaRef d;
  std::memcpy(d.base.bytes.data(), in, 32);
  d.depth = in[32];
  d.blocks = static_cast<ChunkCodec>(in[33]);
  return d;
}

uint64_t PackEntry::record_size() const { return kRecordHeaderSize + stored_len; }

std::string EncodePackHeader() {
  std::string h(kPackHeaderSize, '\0');
  std::memcpy(h.data(), kPackMagic, 8);
  return h;
}

bool IsPackHeader(const uint8_t* p, size_t n) {
  return n >= kPackHeaderSize && std::memcmp(p, kPackMagic, 8) == 0;
}

void EncodeRecordHeader(const PackEntry& e, uint8_t out[kRecordHeaderSize]) {
  std::memset(out, 0, kRecordHeaderSize);
  std::memcpy(out, kRecordMagic, 4);
  out[4] = static_cast<uint8_t>(e.codec);
  Put<uint32_t>(out + 8, e.raw_len);
  Put<uint32_t>(out + 12, e.stored_len);
  std::memcpy(out + 16, e.hash.bytes.data(), 32);
  Put<uint64_t>(out + 48, e.payload_checksum);
  Put<uint64_t>(out + 56, Checksum64(out, 56));
}

std::optional<PackEntry> DecodeRecordHeader(const uint8_t in[kRecordHeaderSize], uint64_t offset) {
  if (std::memcmp(in, kRecordMagic, 4) != 0) return std::nullopt;
  if (Get<uint64_t>(in + 56) != Checksum64(in, 56)) return std::nullopt;
  PackEntry e;
  e.offset = offset;
  e.codec = static_cast<ChunkCodec>(in[4]);
  e.raw_len = Get<uint32_t>(in + 8);
  e.stored_len = Get<uint32_t>(in + 12);
  std::memcpy(e.hash.bytes.data(), in + 16, 32);
  e.payload_checksum = Get<uint64_t>(in + 48);
  if (!SaneLengths(e.raw_len, e.stored_len, e.codec)) return std::nullopt;
  return e;
}

std::string EncodePackIndex(uint64_t pack_size, const std::vector<PackEntry>& entries) {
  std::string out(24 + entries.size() * kIndexEntrySize + 8, '\0');
  auto* p = reinterpret_cast<uint8_t*>(out.data());
  std::memcpy(p, kIndexMagic, 8);
  Put<uint64_t>(p + 8, pack_size);
  Put<uint64_t>(p + 16, entries.size());
  uint8_t* q = p + 24;
  for (const PackEntry& e : entries) {
    std::memcpy(q, e.hash.bytes.data(), 32);
    Put<uint64_t>(q + 32, e.offset);
    Put<uint32_t>(q + 40, e.raw_len);
    Put<uint32_t>(q + 44, e.stored_len);
    q[48] = static_cast<uint8_t>(e.codec);
    Put<uint64_t>(q + 52, e.payload_checksum);
    q += kIndexEntrySize;
  }
  Put<uint64_t>(q, Checksum64(p, static_cast<size_t>(q - p)));
  return out;
}

Result<std::vector<PackEntry>> DecodePackIndex(const std::string& data, uint64_t pack_size) {
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  if (data.size() < 32 || std::memcmp(p, kIndexMagic, 8) != 0) {
    return FailedPrecondition("not a pack index");
  }
  const uint64_t count = Get<uint64_t>(p + 16);
  if (count > (data.size() - 32) / kIndexEntrySize || data.size() != 32 + count * kIndexEntrySize) {
    return FailedPrecondition("pack index has the wrong length (torn)");
  }
  if (Get<uint64_t>(p + data.size() - 8) != Checksum64(p, data.size() - 8)) {
    return FailedPrecondition("pack index checksum mismatch");
  }
  if (Get<uint64_t>(p + 8) != pack_size) {
    return FailedPrecondition("pack index is for a pack of " +
                              std::to_string(Get<uint64_t>(p + 8)) + " bytes, the pack has " +
                              std::to_string(pack_size));
  }
  std::vector<PackEntry> entries(count);
  const uint8_t* q = p + 24;
  for (PackEntry& e : entries) {
    std::memcpy(e.hash.bytes.data(), q, 32);
    e.offset = Get<uint64_t>(q + 32);
    e.raw_len = Get<uint32_t>(q + 40);
    e.stored_len = Get<uint32_t>(q + 44);
    e.codec = static_cast<ChunkCodec>(q[48]);
    e.payload_checksum = Get<uint64_t>(q + 52);
    if (!SaneLengths(e.raw_len, e.stored_len, e.codec) || e.offset < kPackHeaderSize ||
        e.offset + e.record_size() > pack_size) {
      return FailedPrecondition("pack index entry out of range");
    }
    q += kIndexEntrySize;
  }
  return entries;
}

}  // namespace spotkeeper::cloud::snapshot
