#include "cloud/snapshot/pack_writer.h"

#include <fcntl.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "cloud/snapshot/snapshot_crash_points.h"

namespace spotkeeper::cloud::snapshot {
namespace {

constexpr size_t kBlock = 4u << 20;  // O_DIRECT write size; a multiple of any sector size
constexpr size_t kAlign = 4096;

}  // namespace

PackWriter::PackWriter(std::string dir, uint64_t number, Fd fd, Fd direct_fd, CrashHook crash)
    : dir_(std::move(dir)),
      number_(number),
      fd_(std::move(fd)),
      direct_fd_(std::move(direct_fd)),
      crash_(std::move(crash)) {}

PackWriter::~PackWriter() {
  std::free(buf_);
  if (!finished_) ::unlink((dir_ + "/" + PackStem(number_) + ".pack").c_str());
}

void PackWriter::Buffer(const void* data, size_t n) {
  if (buf_len_ + n > buf_cap_) {
    size_t cap = std::max(buf_cap_ * 2, kBlock + ((buf_len_ + n + kAlign - 1) / kAlign) * kAlign);
    void* p = std::aligned_alloc(kAlign, cap);
    if (p == nullptr) std::abort();  // out of memory
    if (buf_len_ > 0) std::memcpy(p, buf_, buf_len_);
    std::free(buf_);
    buf_ = static_cast<uint8_t*>(p);
    buf_cap_ = cap;
  }
  std::memcpy(buf_ + buf_len_, data, n);
  buf_len_ += n;
}

Status PackWriter::Flush(bool all) {
  const size_t n = all ? buf_len_ : buf_len_ / kBlock * kBlock;
  size_t done = 0;
  if (direct_fd_.valid()) {
    const size_t aligned = n / kAlign * kAlign;  // O_DIRECT: whole sectors only
    while (done < aligned) {
      ssize_t w = ::pwrite(direct_fd_.get(), buf_ + done, aligned - done,
                           static_cast<off_t>(flushed_ + done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && errno == EINVAL) {  // refused after all: the page cache from now on
        direct_fd_.reset();
        break;
      }
      if (w < 0) return Internal(ErrnoText("write pack " + PackStem(number_)));
      done += static_cast<size_t>(w);
    }
  }
  // The unaligned tail (or everything, without O_DIRECT) through the page cache.
  SK_RETURN_IF_ERROR(PwriteFull(fd_.get(), buf_ + done, n - done, flushed_ + done));
  flushed_ += n;
  std::memmove(buf_, buf_ + n, buf_len_ - n);
  buf_len_ -= n;
  return OkStatus();
}

Result<std::unique_ptr<PackWriter>> PackWriter::Create(const std::string& dir, uint64_t number,
                                                       CrashHook crash) {
  const std::string path = dir + "/" + PackStem(number) + ".pack";
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.valid()) return Internal(ErrnoText("create " + path));
  // O_DIRECT where the filesystem has it (tmpfs has not: the page cache then).
  Fd direct(::open(path.c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC));
  std::unique_ptr<PackWriter> w(
      new PackWriter(dir, number, std::move(fd), std::move(direct), std::move(crash)));
  const std::string header = EncodePackHeader();
  w->Buffer(header.data(), header.size());
  w->size_ = header.size();
  return w;
}

Result<PackEntry> PackWriter::Append(const ChunkHash& hash, ChunkCodec codec, uint32_t raw_len,
                                     const uint8_t* payload, uint32_t stored_len) {
  std::optional<DeltaRef> delta;
  if (codec == ChunkCodec::kDelta) {
    delta = DecodeDeltaPrefix(payload, stored_len);
    if (!delta || stored_len <= kDeltaPrefixSize) {
      return InvalidArgument("delta record " + hash.Hex() + " without a valid prefix");
    }
  }
  PackEntry e;
  e.hash = hash;
  e.offset = size_;
  e.raw_len = raw_len;
  e.stored_len = stored_len;
  e.codec = codec;
  e.payload_checksum = Checksum64(payload, stored_len);
  uint8_t header[kRecordHeaderSize];
  EncodeRecordHeader(e, header);
  Buffer(header, sizeof header);
  Buffer(payload, stored_len);
  size_ += sizeof header + stored_len;
  if (delta) deltas_.emplace(static_cast<uint32_t>(entries_.size()), *delta);
  entries_.push_back(e);
  if (buf_len_ >= kBlock) SK_RETURN_IF_ERROR(Flush(/*all=*/false));
  if (crash_) crash_(kCrashPackAfterAppend);
  return e;
}

Result<std::shared_ptr<Pack>> PackWriter::Finish() {
  const std::string stem = dir_ + "/" + PackStem(number_);
  SK_RETURN_IF_ERROR(Flush(/*all=*/true));
  if (::fsync(fd_.get()) != 0) return Internal(ErrnoText("fsync " + stem + ".pack"));
  if (crash_) crash_(kCrashPackAfterSync);
  // The index's rename fsyncs the directory, which also makes the pack's own entry durable.
  SK_RETURN_IF_ERROR(PublishFile(stem + ".idx", EncodePackIndex(size_, entries_)));
  if (crash_) crash_(kCrashPackAfterIndex);
  Fd rfd(::open((stem + ".pack").c_str(), O_RDONLY | O_CLOEXEC));
  if (!rfd.valid()) return Internal(ErrnoText("open " + stem + ".pack"));
  finished_ = true;
  fd_.reset();
  direct_fd_.reset();
  return std::make_shared<Pack>(dir_, number_, std::move(rfd), size_, std::move(entries_),
                                std::move(deltas_));
}

}  // namespace spotkeeper::cloud::snapshot
