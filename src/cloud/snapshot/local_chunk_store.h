// LocalChunkStore: the ChunkStore on a local directory (chunk_store.h, docs/snapshots.md).
//
// In memory: the chunk index (hash → pack, entry) built from the pack indexes at Open, the
// committed manifests, and the Creates in flight with the chunks they pin. One mutex guards
// them; reading, hashing, compressing and writing run outside it. GC runs one at a time.
//
// Liveness (what GC keeps): every chunk named by a committed manifest, by the parent of a Create
// or Copy in flight, or pinned by a Create in flight (each chunk it found in the store, and each
// chunk it wrote, until its manifest is committed), and the base of every live delta record
// (transitively). Manifests name chunks by hash only, so GC
// may move a live chunk to another pack without touching any manifest.
//
// The directory is locked (flock) while a store has it open: one process at a time.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cloud/snapshot/chunk_store.h"
#include "cloud/snapshot/manifest.h"
#include "cloud/snapshot/pack.h"
#include "cloud/snapshot/pack_writer.h"

namespace spotkeeper::cloud::snapshot {

class LocalChunkStore final : public ChunkStore {
 public:
  static Result<std::unique_ptr<ChunkStore>> Open(ChunkStoreOptions options);
  ~LocalChunkStore() override = default;

  Result<SnapshotInfo> Create(const CreateRequest& request) override;
  Status Restore(const std::string& snapshot_id, const std::string& target_path,
                 uint64_t size_bytes) override;
  Result<SnapshotInfo> Copy(const std::string& snapshot_id, const std::string& source_id) override;
  Status Delete(const std::string& snapshot_id) override;
  Result<SnapshotInfo> Get(const std::string& snapshot_id) override;
  Result<std::vector<SnapshotInfo>> List() override;
  Result<VerifyReport> Verify(const std::string& snapshot_id) override;
  Result<GcStats> CollectGarbage() override;
  uint32_t chunk_size() const override { return chunk_size_; }

 private:
  using HashSet = std::unordered_set<ChunkHash, ChunkHashHasher>;

  // Where the store keeps a chunk: entry `entry` of pack `pack`.
  struct Location {
    uint64_t pack = 0;
    uint32_t entry = 0;
  };
  // A Create, Copy or Delete in flight, keyed by snapshot id in in_flight_.
  struct InFlight {
    std::shared_ptr<const Manifest> parent;  // its chunks are live while this runs
    HashSet pins;                            // chunks found or written, not yet committed
  };
  // A stored record resolved for reading.
  struct Piece {
    const Pack* pack = nullptr;
    PackEntry entry;
  };
  // A chunk resolved for reading, the packs kept open by `held` of the caller. A delta record
  // lists its bases: bases[0] is its own base, bases[1] that one's base, and so on.
  struct ChunkRef {
    uint64_t chunk_index = 0;
    const Pack* pack = nullptr;
    PackEntry entry;
    std::vector<Piece> bases;
  };
  using HeldPacks = std::map<uint64_t, std::shared_ptr<Pack>>;

  explicit LocalChunkStore(ChunkStoreOptions options);

  Status OpenDir();
  Status LoadPacks();
  Status LoadManifests();
  void Crash(const char* point) const;
  std::string ManifestPath(const std::string& id) const;

  // REQUIRES: mu_ held. Indexes the pack's chunks that the index lacks.
  void AddPackLocked(const std::shared_ptr<Pack>& pack);
  // REQUIRES: mu_ held. Removes from the index every delta record whose base (transitively) is
  // not indexed: a dead delta left in a pack that GC kept, whose dead base GC removed. It must
  // never be found by dedup; a readable copy of the same chunk in another pack replaces it.
  // Returns how many chunks left the index.
  size_t DropUnreadableDeltasLocked();
  // True (and pinned for `flight`) when the store has the chunk.
  bool LookupAndPin(InFlight& flight, const ChunkHash& hash);
  // Finishes `writer` (fsync, index), adds the pack and pins its chunks for `flight`.
  Status PublishPack(std::unique_ptr<PackWriter> writer, InFlight& flight);
  Result<std::unique_ptr<PackWriter>> NewPackWriter();
  // Claims `id` for an operation; AlreadyExists when one is in flight.
  Status BeginLocked(const std::string& id, InFlight* flight);
  void End(const std::string& id);
  Status CommitManifest(const Manifest& m);
  // Resolves every entry of `m` under mu_; NotFound names a chunk the store lacks.
  Result<std::vector<ChunkRef>> ResolveLocked(const Manifest& m, HeldPacks& held);
  // REQUIRES: mu_ held. The chunk `hash` with the chain of its bases; NotFound when it or a base
  // is missing, Internal when the chain is longer than kMaxDeltaDepth (damaged prefixes).
  Result<ChunkRef> ResolveChunkLocked(const ChunkHash& hash, HeldPacks& held);
  // REQUIRES: mu_ held. Fills ref.bases from `d`, the delta prefix of the record `ref` names
  // (nullptr: stored whole, nothing to do).
  Status ResolveBasesLocked(ChunkRef& ref, const DeltaRef* d, HeldPacks& held);
  // Decodes `ref` (its bases first) into out (resized to the chunk's length). On error, *failed
  // (when given) is the piece that could not be read: -1 the chunk itself, i for bases[i].
  static Status DecodeChunk(const ChunkRef& ref, ZSTD_DCtx* dctx, std::vector<uint8_t>& scratch,
                            std::vector<uint8_t>& out, std::vector<uint8_t>& tmp,
                            int* failed = nullptr);
  // The raw bytes of stored chunk `hash` and its delta depth (the base of a new delta).
  Result<uint8_t> LoadChunk(const ChunkHash& hash, std::vector<uint8_t>& out);
  Result<std::shared_ptr<const Manifest>> FindManifest(const std::string& id);

  const ChunkStoreOptions o_;
  uint32_t chunk_size_ = 0;
  int workers_ = 1;
  std::string packs_dir_, snapshots_dir_;
  Fd lock_fd_;

  mutable std::mutex mu_;
  std::unordered_map<ChunkHash, Location, ChunkHashHasher> index_;  // GUARDED_BY(mu_)
  std::map<uint64_t, std::shared_ptr<Pack>> packs_;                 // closed packs
  std::map<std::string, std::shared_ptr<const Manifest>> manifests_;
  std::map<std::string, std::string> damaged_manifests_;  // id → why it could not be read
  std::map<std::string, InFlight*> in_flight_;            // owned by the running call
  uint64_t next_pack_ = 1;

  std::mutex gc_mu_;  // one CollectGarbage at a time
};

}  // namespace spotkeeper::cloud::snapshot
