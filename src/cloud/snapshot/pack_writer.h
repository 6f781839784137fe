// PackWriter: appends chunk records to a new pack file and closes it durably: Finish() fsyncs
// the pack, then publishes its index (temp, fsync, rename, fsync of the directory), in that
// order, so an index never names bytes that are not on disk.
//
// Records are gathered in an aligned buffer and written in 4 MiB blocks with O_DIRECT where the
// filesystem allows it (no page-cache copy, and little left for the fsync to flush); the last
// partial block goes through the page cache at Finish. A crash before Finish may leave any prefix
// of the records on disk: Pack::Open re-indexes whatever is intact.
//
// Thread safety: none; one writer per pack, used by one thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "cloud/snapshot/pack.h"

namespace spotkeeper::cloud::snapshot {

class PackWriter {
 public:
  using CrashHook = std::function<void(const char*)>;

  // Creates <dir>/<number>.pack (it must not exist). `crash` is called at the pack crash points.
  static Result<std::unique_ptr<PackWriter>> Create(const std::string& dir, uint64_t number,
                                                    CrashHook crash);
  ~PackWriter();  // removes the file unless Finish() succeeded

  // Appends one record; `payload` is the stored form (`codec` says which; a delta payload
  // starts with its delta prefix). InvalidArgument for a delta payload whose prefix is bad.
  Result<PackEntry> Append(const ChunkHash& hash, ChunkCodec codec, uint32_t raw_len,
                           const uint8_t* payload, uint32_t stored_len);
  uint64_t size() const { return size_; }
  size_t count() const { return entries_.size(); }
  uint64_t number() const { return number_; }

  // fsync, index, fsync of the directory; the result reads the same file.
  Result<std::shared_ptr<Pack>> Finish();

 private:
  PackWriter(std::string dir, uint64_t number, Fd fd, Fd direct_fd, CrashHook crash);
  void Buffer(const void* data, size_t n);
  // Writes the whole blocks of the buffer (all of it with `all`) and keeps the rest.
  Status Flush(bool all);

  std::string dir_;
  uint64_t number_;
  Fd fd_;         // through the page cache; fsync'd at Finish
  Fd direct_fd_;  // O_DIRECT on the same file, when the filesystem allows it
  CrashHook crash_;
  uint64_t size_ = 0;     // logical: everything appended
  uint64_t flushed_ = 0;  // written to the file; a multiple of the block size until Finish
  uint8_t* buf_ = nullptr;
  size_t buf_len_ = 0, buf_cap_ = 0;
  std::vector<PackEntry> entries_;
  std::unordered_map<uint32_t, DeltaRef> deltas_;  // of the delta records, by entry
  bool finished_ = false;
};

}  // namespace spotkeeper::cloud::snapshot
