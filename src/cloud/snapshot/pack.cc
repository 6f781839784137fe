#include "cloud/snapshot/pack.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace spotkeeper::cloud::snapshot {
namespace {

// Reads records from kPackHeaderSize on; stops at the first one that is not intact.
Result<std::vector<PackEntry>> ScanRecords(int fd, uint64_t size, uint64_t* end) {
  std::vector<PackEntry> entries;
  *end = 0;
  uint8_t header[kPackHeaderSize];
  if (size < kPackHeaderSize) return entries;
  SK_RETURN_IF_ERROR(PreadFull(fd, header, sizeof header, 0));
  if (!IsPackHeader(header, sizeof header)) return entries;
  uint64_t off = kPackHeaderSize;
  *end = off;
  std::vector<uint8_t> payload;
  while (off + kRecordHeaderSize <= size) {
    uint8_t rec[kRecordHeaderSize];
    SK_RETURN_IF_ERROR(PreadFull(fd, rec, sizeof rec, off));
    std::optional<PackEntry> e = DecodeRecordHeader(rec, off);
    if (!e || off + e->record_size() > size) break;
    payload.resize(e->stored_len);
    SK_RETURN_IF_ERROR(PreadFull(fd, payload.data(), payload.size(), off + kRecordHeaderSize));
    if (Checksum64(payload.data(), payload.size()) != e->payload_checksum) break;
    entries.push_back(*e);
    off += e->record_size();
    *end = off;
  }
  return entries;
}

// The delta prefixes of the delta records among `entries`, by entry number.
Result<std::unordered_map<uint32_t, DeltaRef>> ReadDeltas(int fd,
                                                          const std::vector<PackEntry>& entries) {
  std::unordered_map<uint32_t, DeltaRef> deltas;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].codec != ChunkCodec::kDelta) continue;
    uint8_t prefix[kDeltaPrefixSize];
    SK_RETURN_IF_ERROR(PreadFull(fd, prefix, sizeof prefix, entries[i].offset + kRecordHeaderSize));
    if (std::optional<DeltaRef> d = DecodeDeltaPrefix(prefix, sizeof prefix)) {
      deltas.emplace(static_cast<uint32_t>(i), *d);
    }
  }
  return deltas;
}

}  // namespace

std::string PackStem(uint64_t number) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%010llu", static_cast<unsigned long long>(number));
  return buf;
}

Pack::Pack(std::string dir, uint64_t number, Fd fd, uint64_t size, std::vector<PackEntry> entries,
           std::unordered_map<uint32_t, DeltaRef> deltas)
    : dir_(std::move(dir)),
      number_(number),
      fd_(std::move(fd)),
      size_(size),
      entries_(std::move(entries)),
      deltas_(std::move(deltas)) {}

std::string Pack::pack_path() const { return dir_ + "/" + PackStem(number_) + ".pack"; }
std::string Pack::index_path() const { return dir_ + "/" + PackStem(number_) + ".idx"; }

Result<std::shared_ptr<Pack>> Pack::Open(const std::string& dir, uint64_t number, OpenInfo* info) {
  OpenInfo local;
  if (info == nullptr) info = &local;
  *info = OpenInfo{};
  const std::string stem = dir + "/" + PackStem(number);
  Fd fd(::open((stem + ".pack").c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Internal(ErrnoText("open " + stem + ".pack"));
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return Internal(ErrnoText("fstat " + stem + ".pack"));
  const auto size = static_cast<uint64_t>(st.st_size);

  Result<std::string> idx = ReadWholeFile(stem + ".idx");
  if (idx.ok()) {
    Result<std::vector<PackEntry>> entries = DecodePackIndex(*idx, size);
    if (entries.ok()) {
      SK_ASSIGN_OR_RETURN(auto deltas, ReadDeltas(fd.get(), *entries));
      return std::make_shared<Pack>(dir, number, std::move(fd), size, std::move(*entries),
                                    std::move(deltas));
    }
  }
  // No usable index: re-index from the records themselves. The data read back is made durable
  // before the new index can let any manifest name it.
  uint64_t end = 0;
  SK_ASSIGN_OR_RETURN(std::vector<PackEntry> entries, ScanRecords(fd.get(), size, &end));
  if (::fsync(fd.get()) != 0) return Internal(ErrnoText("fsync " + stem + ".pack"));
  SK_RETURN_IF_ERROR(PublishFile(stem + ".idx", EncodePackIndex(size, entries)));
  info->rebuilt = true;
  info->ignored_bytes = size - end;
  SK_ASSIGN_OR_RETURN(auto deltas, ReadDeltas(fd.get(), entries));
  return std::make_shared<Pack>(dir, number, std::move(fd), size, std::move(entries),
                                std::move(deltas));
}

Result<const uint8_t*> Pack::ReadStored(const PackEntry& e, std::vector<uint8_t>& buf) const {
  buf.resize(e.record_size());
  SK_RETURN_IF_ERROR(PreadFull(fd_.get(), buf.data(), buf.size(), e.offset));
  std::optional<PackEntry> h = DecodeRecordHeader(buf.data(), e.offset);
  const uint8_t* payload = buf.data() + kRecordHeaderSize;
  if (!h || h->hash != e.hash || h->raw_len != e.raw_len || h->stored_len != e.stored_len ||
      h->codec != e.codec || h->payload_checksum != e.payload_checksum ||
      Checksum64(payload, e.stored_len) != e.payload_checksum) {
    return Internal("damaged record at " + std::to_string(e.offset) + " of " + pack_path() +
                    " (chunk " + e.hash.Hex() + ")");
  }
  return payload;
}

Status Pack::ApplyDelta(const PackEntry& e, ZSTD_DCtx* dctx, const uint8_t* payload, uint8_t* out,
                        const uint8_t* base, size_t base_len) const {
  std::optional<DeltaRef> d = DecodeDeltaPrefix(payload, e.stored_len);
  const size_t bitmap_size = DeltaBitmapSize(e.raw_len);
  if (base == nullptr || !d || base_len != e.raw_len) {
    return Internal("delta chunk " + e.hash.Hex() + " in " + pack_path() +
                    (base == nullptr ? " read without its base"
                     : !d            ? " has a damaged prefix"
                                     : " has a base of another length"));
  }
  const uint8_t* bitmap = payload + kDeltaPrefixSize;
  const uint8_t* data = bitmap + bitmap_size;
  const size_t data_len = e.stored_len - kDeltaPrefixSize - bitmap_size;
  auto changed = [&](uint32_t b) { return (bitmap[b / 8] >> (b % 8)) & 1; };
  const uint32_t blocks = (e.raw_len + kDeltaBlock - 1) / kDeltaBlock;
  size_t changed_len = 0;
  for (uint32_t b = 0; b < blocks; ++b) {
    if (changed(b)) changed_len += std::min<size_t>(kDeltaBlock, e.raw_len - b * kDeltaBlock);
  }
  thread_local std::vector<uint8_t> unpacked;
  if (d->blocks == ChunkCodec::kZstd) {
    unpacked.resize(changed_len);
    const size_t n = ZSTD_decompressDCtx(dctx, unpacked.data(), changed_len, data, data_len);
    if (ZSTD_isError(n) || n != changed_len) {
      return Internal("delta chunk " + e.hash.Hex() + " in " + pack_path() +
                      " does not decompress");
    }
    data = unpacked.data();
  } else if (data_len != changed_len) {
    return Internal("delta chunk " + e.hash.Hex() + " in " + pack_path() + " has a bad length");
  }
  std::memcpy(out, base, e.raw_len);
  for (uint32_t b = 0; b < blocks; ++b) {
    if (!changed(b)) continue;
    const size_t len = std::min<size_t>(kDeltaBlock, e.raw_len - b * kDeltaBlock);
    std::memcpy(out + size_t{b} * kDeltaBlock, data, len);
    data += len;
  }
  return OkStatus();
}

Status Pack::ReadChunk(const PackEntry& e, ZSTD_DCtx* dctx, std::vector<uint8_t>& scratch,
                       uint8_t* out, const uint8_t* base, size_t base_len) const {
  SK_ASSIGN_OR_RETURN(const uint8_t* payload, ReadStored(e, scratch));
  if (e.codec == ChunkCodec::kRaw) {
    std::memcpy(out, payload, e.raw_len);
    return OkStatus();
  }
  if (e.codec == ChunkCodec::kDelta) return ApplyDelta(e, dctx, payload, out, base, base_len);
  size_t n = ZSTD_decompressDCtx(dctx, out, e.raw_len, payload, e.stored_len);
  if (ZSTD_isError(n) || n != e.raw_len) {
    return Internal("chunk " + e.hash.Hex() + " in " + pack_path() + " does not decompress");
  }
  return OkStatus();
}

}  // namespace spotkeeper::cloud::snapshot
