// PackWriter: appends chunk records to a new pack file and closes it durably: Finish() fsyncs
// the pack, then publishes its index (temp, fsync, rename, fsync of the directory), in that
// order, so an index never names bytes that are not on disk.
//
// Thread safety: none; one writer per pack, used by one thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
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

  // Appends one record; `payload` is the stored form (`codec` says which).
  Result<PackEntry> Append(const ChunkHash& hash, ChunkCodec codec, uint32_t raw_len,
                           const uint8_t* payload, uint32_t stored_len);
  uint64_t size() const { return size_; }
  size_t count() const { return entries_.size(); }
  uint64_t number() const { return number_; }

  // fsync, index, fsync of the directory; the result reads the same file.
  Result<std::shared_ptr<Pack>> Finish();

 private:
  PackWriter(std::string dir, uint64_t number, Fd fd, CrashHook crash);

  std::string dir_;
  uint64_t number_;
  Fd fd_;
  CrashHook crash_;
  uint64_t size_ = 0;
  std::vector<PackEntry> entries_;
  bool finished_ = false;
};

}  // namespace spotkeeper::cloud::snapshot
