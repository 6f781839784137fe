// ChunkStore: the local cloud's snapshot store for volume images (EBS snapshot semantics).
//
// A volume image is cut into fixed-size chunks. Holes and all-zero chunks are not stored; every
// other chunk is named by its SHA-256, compressed with zstd (stored raw when that does not
// shrink it) and written once into an append-only pack file, whatever volume or snapshot it came
// from (deduplication). A snapshot is a manifest (the image's size and, per chunk index, the
// chunk's hash or "zero") committed atomically: temp file, fsync, rename, fsync of the directory.
// After a crash at any point every committed snapshot restores bit-exactly and nothing
// uncommitted is visible (crash points: snapshot_crash_points.h).
//
// Incremental: with a parent snapshot and the ranges that changed since it, only those ranges
// are read; the rest of the manifest is the parent's. Without them, everything is read (holes
// skipped with SEEK_DATA/SEEK_HOLE) and only chunks the store lacks are written.
//
// Layout under `dir` (see docs/snapshots.md):
//   config.json                 chunk size, format version
//   packs/<n>.pack              chunk records, appended; fsync'd before any manifest names them
//   packs/<n>.idx               the pack's index (hash → offset, lengths), written when it closes
//   snapshots/<id>.manifest     committed snapshots
//
// Thread safety: all methods may be called concurrently; Create/Restore of different snapshots
// run in parallel. Delete never removes a chunk that a committed snapshot or a Create in flight
// needs.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"

namespace spotkeeper::cloud::snapshot {

struct ChunkStoreOptions {
  std::string dir;  // made if missing
  // Used when the store is new; an existing store keeps the size in its config.json. A multiple
  // of 4 KiB, at most 64 MiB. 64 KiB by measurement (docs/snapshots.md, "Chunk size").
  uint32_t chunk_size = 64u << 10;
  int threads = 0;                        // hashing + compression workers; 0: all cores
  size_t max_memory = size_t{128} << 20;  // bound on chunk buffers in flight
  int zstd_level = 1;
  // Packs are closed (fsync'd, indexed) once they reach this size; GC rewrites whole packs.
  uint64_t pack_target_bytes = uint64_t{256} << 20;
  // GC rewrites a pack whose live bytes are below this fraction of its size (1.0: any dead
  // byte; 0.0: only packs with nothing live are removed).
  double gc_rewrite_below = 0.5;
  // Called at each named crash point (snapshot_crash_points.h). Empty: CrashPoint(name), which
  // raises SIGKILL when SPOTKEEPER_CLOUD_CRASH_AT names the point. Tests pass a hook that
  // _exit()s a fork()ed child there.
  std::function<void(const char* point)> crash_hook;
  Clock* clock = nullptr;  // created_unix_ms; nullptr: SystemClock::Default()
};

struct ByteRange {
  uint64_t offset = 0;
  uint64_t length = 0;
};

struct CreateRequest {
  std::string snapshot_id;  // "snap-..." (ids are the caller's)
  // A file holding the point-in-time image (a clone of the volume). Read, never written.
  std::string source_path;
  // "" or a committed snapshot of the same volume. With `changed`, chunks outside the changed
  // ranges are taken from it without reading the source.
  std::string parent_id;
  // The byte ranges of the source that may differ from the parent; nullopt: read everything.
  std::optional<std::vector<ByteRange>> changed;
  std::map<std::string, std::string> labels;  // kept in the manifest (volume id, ...)
  std::function<void(int percent)> progress;  // 0..100, from a worker thread; may be empty
};

struct SnapshotInfo {
  std::string id;
  uint64_t image_size = 0;  // bytes
  uint64_t chunks = 0;      // non-zero chunks referenced
  uint64_t bytes_read = 0;  // of the source, by the Create that made it
  uint64_t new_chunks = 0;  // chunks this Create added to the store
  uint64_t new_bytes = 0;   // bytes (compressed) this Create added to the packs
  int64_t created_unix_ms = 0;
  std::string parent_id;
  std::map<std::string, std::string> labels;
};

struct VerifyReport {
  uint64_t chunks_checked = 0;
  uint64_t bytes_checked = 0;  // uncompressed
  // Packs with a damaged or missing chunk, and the snapshots that need one of those chunks.
  std::vector<std::string> damaged_packs;
  std::vector<std::string> damaged_snapshots;
  bool ok() const { return damaged_packs.empty() && damaged_snapshots.empty(); }
};

struct GcStats {
  uint64_t chunks_removed = 0;
  uint64_t bytes_freed = 0;
  uint64_t packs_rewritten = 0;
};

class ChunkStore {
 public:
  static Result<std::unique_ptr<ChunkStore>> Open(ChunkStoreOptions options);
  virtual ~ChunkStore() = default;

  // Stores the source as snapshot `snapshot_id`. Idempotent: an id already committed returns
  // its info without reading anything. AlreadyExists if another Create of the id is in flight.
  virtual Result<SnapshotInfo> Create(const CreateRequest& request) = 0;
  // Writes the snapshot's image to `target_path` (created, or truncated and rewritten), sparse:
  // zero chunks become holes. `size_bytes` > the image size grows the file (the tail is a hole).
  virtual Status Restore(const std::string& snapshot_id, const std::string& target_path,
                         uint64_t size_bytes = 0) = 0;
  // Commits `snapshot_id` as a copy of committed `source_id` (same chunks, nothing read).
  // Idempotent.
  virtual Result<SnapshotInfo> Copy(const std::string& snapshot_id,
                                    const std::string& source_id) = 0;
  // Removes the manifest, then the chunks no other snapshot needs (NotFound is not an error).
  virtual Status Delete(const std::string& snapshot_id) = 0;
  virtual Result<SnapshotInfo> Get(const std::string& snapshot_id) = 0;
  virtual Result<std::vector<SnapshotInfo>> List() = 0;
  // Re-reads and re-hashes the chunks of one snapshot ("" : every chunk in the store).
  virtual Result<VerifyReport> Verify(const std::string& snapshot_id) = 0;
  // Mark and sweep: drops chunks no committed or in-flight snapshot references.
  virtual Result<GcStats> CollectGarbage() = 0;
  virtual uint32_t chunk_size() const = 0;
};

}  // namespace spotkeeper::cloud::snapshot
