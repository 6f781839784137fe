#include "cloud/snapshot/chunk_pipeline.h"

#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "cloud/snapshot/store_files.h"

namespace spotkeeper::cloud::snapshot {
namespace {

struct Slot {
  std::vector<uint8_t> in;
  std::vector<uint8_t> out;
  ChunkResult result;
  const ChunkJob* job = nullptr;
};

// Fills buf[0, length) with bytes [start, start + length) of the file, reading only its data
// extents (holes are zero-filled). Returns the number of bytes read.
Result<uint64_t> ReadSparse(int fd, uint64_t start, uint32_t length, uint8_t* buf) {
  const uint64_t end = start + length;
  uint64_t pos = start, bytes = 0;
  while (pos < end) {
    off_t data = ::lseek(fd, static_cast<off_t>(pos), SEEK_DATA);
    if (data < 0) {
      if (errno == ENXIO) {
        data = static_cast<off_t>(end);  // only a hole remains
      } else if (errno == EINVAL || errno == EOPNOTSUPP) {
        data = static_cast<off_t>(pos);  // no hole support: treat as data
      } else {
        return Internal(ErrnoText("SEEK_DATA"));
      }
    }
    const uint64_t d = std::min<uint64_t>(static_cast<uint64_t>(data), end);
    std::memset(buf + (pos - start), 0, d - pos);
    if (d >= end) break;
    off_t hole = ::lseek(fd, data, SEEK_HOLE);
    uint64_t h = hole < 0 ? end : std::min<uint64_t>(static_cast<uint64_t>(hole), end);
    if (h <= d) h = end;
    SK_RETURN_IF_ERROR(PreadFull(fd, buf + (d - start), h - d, d));
    bytes += h - d;
    pos = h;
  }
  return bytes;
}

class PipelineRun {
 public:
  PipelineRun(const ChunkPipeline::Options& o, int fd, const std::vector<ChunkJob>& jobs,
              const ChunkPipeline::Lookup& lookup, const ChunkPipeline::LoadBase& load_base)
      : o_(o), fd_(fd), jobs_(jobs), lookup_(lookup), load_base_(load_base) {
    slots_.resize(ChunkPipeline::SlotCount(o));
    for (size_t i = 0; i < slots_.size(); ++i) free_.push_back(i);
  }

  Status Go(const ChunkPipeline::Consume& consume) {
    std::vector<std::thread> threads;
    for (int i = 0; i < std::max(1, o_.workers); ++i) threads.emplace_back([this] { Worker(); });
    for (size_t seq = 0; seq < jobs_.size(); ++seq) {
      size_t slot;
      {
        std::unique_lock lock(mu_);
        done_cv_.wait(lock, [&] { return stop_ || done_.count(seq) > 0; });
        if (stop_) break;
        slot = done_[seq];
        done_.erase(seq);
      }
      Status s = consume(slots_[slot].result);
      {
        std::lock_guard lock(mu_);
        if (!s.ok()) {
          Fail(std::move(s));
          break;
        }
        free_.push_back(slot);
      }
      free_cv_.notify_one();  // a worker waiting for a slot
    }
    {
      std::lock_guard lock(mu_);
      stop_ = true;
      NotifyAll();
    }
    for (std::thread& t : threads) t.join();
    return error_;
  }

 private:
  // REQUIRES: mu_ held.
  void Fail(Status s) {
    if (error_.ok()) error_ = std::move(s);
    stop_ = true;
    NotifyAll();
  }

  // REQUIRES: mu_ held (or stop_ set under it): wakes every waiter to see stop_.
  void NotifyAll() {
    free_cv_.notify_all();
    done_cv_.notify_all();
  }

  // Each worker takes the next job and a free slot, reads the chunk (pread: workers read in
  // parallel), processes it and hands it to the consumer. Jobs are taken in order, so the one
  // the consumer waits for is always in some worker's hands.
  void Worker() {
    Sha256 sha;
    ZSTD_CCtx* cctx = ZSTD_createCCtx();
    std::vector<uint8_t> base, blocks;
    for (;;) {
      size_t seq, slot;
      {
        std::unique_lock lock(mu_);
        free_cv_.wait(lock, [&] { return stop_ || next_ >= jobs_.size() || !free_.empty(); });
        if (stop_ || next_ >= jobs_.size()) break;
        seq = next_++;
        slot = free_.back();
        free_.pop_back();
      }
      Slot& s = slots_[slot];
      const ChunkJob& job = jobs_[seq];
      if (s.in.size() < job.length) s.in.resize(o_.chunk_size);
      Result<uint64_t> read =
          ReadSparse(fd_, job.index * uint64_t{o_.chunk_size}, job.length, s.in.data());
      Status st;
      if (!read.ok()) {
        st = read.status().Annotate("read source");
      } else {
        s.result = ChunkResult{};
        s.result.index = job.index;
        s.result.raw_len = job.length;
        s.result.bytes_read = *read;
        s.result.zero = *read == 0;
        s.job = &job;
        st = Process(s, sha, cctx, base, blocks);
      }
      {
        std::lock_guard lock(mu_);
        if (!st.ok()) {
          Fail(std::move(st));
          break;
        }
        done_[seq] = slot;
      }
      done_cv_.notify_one();  // the one consumer
    }
    ZSTD_freeCCtx(cctx);
  }

  // Stores the chunk as its 4 KiB blocks that differ from its base (the parent's chunk at the
  // same place), into s.out as a delta record's payload; false when there is no usable base or
  // the delta would be more than a quarter of the chunk.
  bool TryDelta(Slot& s, ZSTD_CCtx* cctx, std::vector<uint8_t>& base,
                std::vector<uint8_t>& blocks) {
    ChunkResult& r = s.result;
    if (!s.job->has_base || s.job->base == r.hash) return false;
    Result<uint8_t> depth = load_base_(s.job->base, base);
    if (!depth.ok() || *depth >= kMaxDeltaDepth || base.size() != r.raw_len) return false;
    const size_t limit = r.raw_len / 4;
    const size_t bitmap_size = DeltaBitmapSize(r.raw_len);
    if (limit <= kDeltaPrefixSize + bitmap_size) return false;
    uint8_t* bitmap = s.out.data() + kDeltaPrefixSize;
    std::memset(bitmap, 0, bitmap_size);
    blocks.clear();
    const uint32_t count = (r.raw_len + kDeltaBlock - 1) / kDeltaBlock;
    for (uint32_t b = 0; b < count; ++b) {
      const size_t off = size_t{b} * kDeltaBlock;
      const size_t len = std::min<size_t>(kDeltaBlock, r.raw_len - off);
      if (std::memcmp(s.in.data() + off, base.data() + off, len) == 0) continue;
      if (blocks.size() + len > limit) return false;  // too much changed: stored whole
      bitmap[b / 8] |= static_cast<uint8_t>(1u << (b % 8));
      blocks.insert(blocks.end(), s.in.data() + off, s.in.data() + off + len);
    }
    uint8_t* data = bitmap + bitmap_size;
    const size_t room = limit - kDeltaPrefixSize - bitmap_size;
    DeltaRef d{s.job->base, static_cast<uint8_t>(*depth + 1), ChunkCodec::kRaw};
    size_t n = ZSTD_compressCCtx(cctx, data, room, blocks.data(), blocks.size(), o_.zstd_level);
    if (!ZSTD_isError(n) && n < blocks.size()) {
      d.blocks = ChunkCodec::kZstd;
    } else if (blocks.size() <= room) {  // incompressible: the blocks as they are
      std::memcpy(data, blocks.data(), blocks.size());
      n = blocks.size();
    } else {
      return false;
    }
    EncodeDeltaPrefix(d, s.out.data());
    r.codec = ChunkCodec::kDelta;
    r.payload = s.out.data();
    r.stored_len = static_cast<uint32_t>(kDeltaPrefixSize + bitmap_size + n);
    return true;
  }

  Status Process(Slot& s, Sha256& sha, ZSTD_CCtx* cctx, std::vector<uint8_t>& base,
                 std::vector<uint8_t>& blocks) {
    ChunkResult& r = s.result;
    if (!r.zero) r.zero = IsAllZero(s.in.data(), r.raw_len);
    if (r.zero) return OkStatus();
    r.hash = sha.Of(s.in.data(), r.raw_len);
    r.known = lookup_(r.hash);
    if (r.known) return OkStatus();
    if (s.out.size() < ZSTD_compressBound(o_.chunk_size)) {
      s.out.resize(ZSTD_compressBound(o_.chunk_size));
    }
    if (TryDelta(s, cctx, base, blocks)) return OkStatus();
    size_t n =
        ZSTD_compressCCtx(cctx, s.out.data(), s.out.size(), s.in.data(), r.raw_len, o_.zstd_level);
    if (!ZSTD_isError(n) && n < r.raw_len) {
      r.codec = ChunkCodec::kZstd;
      r.payload = s.out.data();
      r.stored_len = static_cast<uint32_t>(n);
    } else {  // incompressible (or zstd refused): stored raw
      r.codec = ChunkCodec::kRaw;
      r.payload = s.in.data();
      r.stored_len = r.raw_len;
    }
    return OkStatus();
  }

  const ChunkPipeline::Options& o_;
  const int fd_;
  const std::vector<ChunkJob>& jobs_;
  const ChunkPipeline::Lookup& lookup_;
  const ChunkPipeline::LoadBase& load_base_;
  std::vector<Slot> slots_;

  std::mutex mu_;
  // One condition per kind of waiter, each signalled only when its work appears. One condition
  // broadcast to every thread per chunk made a first snapshot ~8% slower (docs/snapshots.md).
  std::condition_variable free_cv_;  // the workers: a slot is free
  std::condition_variable done_cv_;  // the consumer: a chunk was processed
  std::vector<size_t> free_;         // GUARDED_BY(mu_)
  size_t next_ = 0;                  // the next job to take
  std::map<size_t, size_t> done_;    // seq → slot, processed, not consumed
  bool stop_ = false;
  Status error_;
};

}  // namespace

size_t ChunkPipeline::SlotCount(const Options& o) {
  const size_t per_slot = o.chunk_size + ZSTD_compressBound(o.chunk_size);
  // As many as the memory allows (buffers are allocated when first used): the consumer blocks
  // in pack writes for milliseconds at a time, and the workers must not stall meanwhile.
  return std::clamp<size_t>(o.max_memory / per_slot, 2, 4096);
}

Status ChunkPipeline::Run(const Options& options, int source_fd, const std::vector<ChunkJob>& jobs,
                          const Lookup& lookup, const LoadBase& load_base, const Consume& consume) {
  if (jobs.empty()) return OkStatus();
  PipelineRun run(options, source_fd, jobs, lookup, load_base);
  return run.Go(consume);
}

}  // namespace spotkeeper::cloud::snapshot
