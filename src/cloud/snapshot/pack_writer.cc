#include "cloud/snapshot/pack_writer.h"

#include <fcntl.h>
#include <sys/uio.h>

#include <cerrno>

#include "cloud/snapshot/snapshot_crash_points.h"

namespace spotkeeper::cloud::snapshot {

PackWriter::PackWriter(std::string dir, uint64_t number, Fd fd, CrashHook crash)
    : dir_(std::move(dir)), number_(number), fd_(std::move(fd)), crash_(std::move(crash)) {}

PackWriter::~PackWriter() {
  if (!finished_) ::unlink((dir_ + "/" + PackStem(number_) + ".pack").c_str());
}

Result<std::unique_ptr<PackWriter>> PackWriter::Create(const std::string& dir, uint64_t number,
                                                       CrashHook crash) {
  const std::string path = dir + "/" + PackStem(number) + ".pack";
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.valid()) return Internal(ErrnoText("create " + path));
  std::unique_ptr<PackWriter> w(new PackWriter(dir, number, std::move(fd), std::move(crash)));
  const std::string header = EncodePackHeader();
  SK_RETURN_IF_ERROR(WriteFull(w->fd_.get(), header.data(), header.size()));
  w->size_ = header.size();
  return w;
}

Result<PackEntry> PackWriter::Append(const ChunkHash& hash, ChunkCodec codec, uint32_t raw_len,
                                     const uint8_t* payload, uint32_t stored_len) {
  PackEntry e;
  e.hash = hash;
  e.offset = size_;
  e.raw_len = raw_len;
  e.stored_len = stored_len;
  e.codec = codec;
  e.payload_checksum = Checksum64(payload, stored_len);
  uint8_t header[kRecordHeaderSize];
  EncodeRecordHeader(e, header);
  iovec iov[2] = {{header, sizeof header}, {const_cast<uint8_t*>(payload), stored_len}};
  size_t want = sizeof header + stored_len, done = 0;
  while (done < want) {
    ssize_t n = ::pwritev(fd_.get(), iov, 2, static_cast<off_t>(size_ + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Internal(ErrnoText("write pack " + PackStem(number_)));
    done += static_cast<size_t>(n);
    // Rare short write: advance the iovecs past what was written.
    size_t skip = static_cast<size_t>(n);
    for (iovec& v : iov) {
      size_t s = std::min(skip, v.iov_len);
      v.iov_base = static_cast<char*>(v.iov_base) + s;
      v.iov_len -= s;
      skip -= s;
    }
  }
  size_ += want;
  entries_.push_back(e);
  if (crash_) crash_(kCrashPackAfterAppend);
  return e;
}

Result<std::shared_ptr<Pack>> PackWriter::Finish() {
  const std::string stem = dir_ + "/" + PackStem(number_);
  if (::fsync(fd_.get()) != 0) return Internal(ErrnoText("fsync " + stem + ".pack"));
  if (crash_) crash_(kCrashPackAfterSync);
  // The index's rename fsyncs the directory, which also makes the pack's own entry durable.
  SK_RETURN_IF_ERROR(PublishFile(stem + ".idx", EncodePackIndex(size_, entries_)));
  if (crash_) crash_(kCrashPackAfterIndex);
  Fd rfd(::open((stem + ".pack").c_str(), O_RDONLY | O_CLOEXEC));
  if (!rfd.valid()) return Internal(ErrnoText("open " + stem + ".pack"));
  finished_ = true;
  fd_.reset();
  return std::make_shared<Pack>(dir_, number_, std::move(rfd), size_, std::move(entries_));
}

}  // namespace spotkeeper::cloud::snapshot
