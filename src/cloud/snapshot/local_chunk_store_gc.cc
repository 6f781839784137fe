// LocalChunkStore: Delete and mark-and-sweep garbage collection with pack compaction.
#include <unistd.h>

#include "cloud/snapshot/local_chunk_store.h"
#include "cloud/snapshot/snapshot_crash_points.h"

namespace spotkeeper::cloud::snapshot {

Status LocalChunkStore::Delete(const std::string& snapshot_id) {
  InFlight flight;
  {
    std::lock_guard lock(mu_);
    const bool known =
        manifests_.count(snapshot_id) > 0 || damaged_manifests_.count(snapshot_id) > 0;
    if (!known) return OkStatus();  // NotFound is not an error
    SK_RETURN_IF_ERROR(BeginLocked(snapshot_id, &flight));
  }
  Status s;
  if (::unlink(ManifestPath(snapshot_id).c_str()) != 0 && errno != ENOENT) {
    s = Internal(ErrnoText("unlink " + ManifestPath(snapshot_id)));
  }
  if (s.ok()) s = FsyncPath(snapshots_dir_);
  {
    std::lock_guard lock(mu_);
    if (s.ok()) {
      manifests_.erase(snapshot_id);
      damaged_manifests_.erase(snapshot_id);
    }
    in_flight_.erase(snapshot_id);
  }
  SK_RETURN_IF_ERROR(s);
  Crash(kCrashGcAfterManifestDelete);
  return CollectGarbage().status();
}

Result<GcStats> LocalChunkStore::CollectGarbage() {
  std::lock_guard gc_lock(gc_mu_);
  GcStats stats;
  struct Rewrite {
    std::shared_ptr<Pack> pack;
    std::vector<PackEntry> live;
  };
  std::vector<std::shared_ptr<Pack>> drop;
  std::vector<Rewrite> rewrites;
  {
    // Mark: everything a committed manifest, a parent in flight or a pin names. Decided under
    // the lock, so a Create looking a chunk up afterwards either pins it first or misses it.
    std::lock_guard lock(mu_);
    HashSet live;
    for (const auto& [id, m] : manifests_) {
      for (const ManifestEntry& e : m->entries) live.insert(e.hash);
    }
    for (const auto& [id, flight] : in_flight_) {
      if (flight->parent) {
        for (const ManifestEntry& e : flight->parent->entries) live.insert(e.hash);
      }
      live.insert(flight->pins.begin(), flight->pins.end());
    }
    // The bases of live delta records are live (transitively; a base always predates its
    // delta, so the walk ends).
    std::vector<ChunkHash> todo(live.begin(), live.end());
    while (!todo.empty()) {
      const ChunkHash h = todo.back();
      todo.pop_back();
      auto it = index_.find(h);
      if (it == index_.end()) continue;
      const DeltaRef* d = packs_.at(it->second.pack)->delta(it->second.entry);
      if (d != nullptr && live.insert(d->base).second) todo.push_back(d->base);
    }
    // Sweep plan: a pack with nothing live goes; one with too little live is rewritten. In
    // either, the dead chunks leave the index now. A chunk indexed in another pack is a
    // duplicate here, and dead.
    for (const auto& [number, pack] : packs_) {
      const std::vector<PackEntry>& entries = pack->entries();
      Rewrite plan{pack, {}};
      uint64_t live_bytes = 0;
      std::vector<size_t> dead;
      for (size_t i = 0; i < entries.size(); ++i) {
        auto it = index_.find(entries[i].hash);
        const bool here = it != index_.end() && it->second.pack == number && it->second.entry == i;
        if (here && live.count(entries[i].hash) > 0) {
          plan.live.push_back(entries[i]);
          live_bytes += entries[i].record_size();
        } else if (here) {
          dead.push_back(i);
        }
      }
      const bool empty = plan.live.empty();
      const bool sparse =
          !empty && static_cast<double>(live_bytes) <
                        o_.gc_rewrite_below * static_cast<double>(pack->size() - kPackHeaderSize);
      if (!empty && !sparse) continue;
      for (size_t i : dead) {
        index_.erase(entries[i].hash);
        ++stats.chunks_removed;
      }
      stats.bytes_freed += pack->size() - live_bytes;
      if (empty) {
        drop.push_back(pack);
      } else {
        rewrites.push_back(std::move(plan));
      }
    }
    for (const auto& pack : drop) packs_.erase(pack->number());
    // A dead delta in a pack kept above would stay indexed (found by dedup) with its base gone.
    DropUnreadableDeltasLocked();
  }
  if (drop.empty() && rewrites.empty()) return stats;
  Crash(kCrashGcBeforePackRewrite);

  // Compact: copy the live records (as stored, checked) into one new pack, make it durable,
  // point the index at it, and only then remove the old packs.
  if (!rewrites.empty()) {
    SK_ASSIGN_OR_RETURN(std::unique_ptr<PackWriter> writer, NewPackWriter());
    std::vector<uint8_t> buf;
    std::vector<std::shared_ptr<Pack>> done;
    for (Rewrite& r : rewrites) {
      bool intact = true;
      for (const PackEntry& e : r.live) {
        Result<const uint8_t*> payload = r.pack->ReadStored(e, buf);
        if (!payload.ok()) {
          intact = false;  // keep the damaged pack for Verify to report; move what is intact
          continue;
        }
        SK_RETURN_IF_ERROR(
            writer->Append(e.hash, e.codec, e.raw_len, *payload, e.stored_len).status());
      }
      if (intact) done.push_back(r.pack);
    }
    std::shared_ptr<Pack> fresh;
    if (writer->count() > 0) {
      SK_ASSIGN_OR_RETURN(fresh, writer->Finish());
    }
    Crash(kCrashGcAfterPackRewrite);
    std::lock_guard lock(mu_);
    std::unordered_set<uint64_t> old;
    for (const Rewrite& r : rewrites) old.insert(r.pack->number());
    if (fresh) {
      packs_[fresh->number()] = fresh;
      const std::vector<PackEntry>& entries = fresh->entries();
      for (size_t i = 0; i < entries.size(); ++i) {
        auto [it, inserted] = index_.try_emplace(
            entries[i].hash, Location{fresh->number(), static_cast<uint32_t>(i)});
        if (!inserted && old.count(it->second.pack) > 0) {
          it->second = Location{fresh->number(), static_cast<uint32_t>(i)};
        }
      }
    }
    for (const auto& pack : done) packs_.erase(pack->number());
    stats.packs_rewritten = done.size();
    drop.insert(drop.end(), done.begin(), done.end());
  }
  for (const auto& pack : drop) {
    if (::unlink(pack->pack_path().c_str()) != 0 && errno != ENOENT) {
      return Internal(ErrnoText("unlink " + pack->pack_path()));
    }
    Crash(kCrashGcAfterPackDelete);
    ::unlink(pack->index_path().c_str());
  }
  SK_RETURN_IF_ERROR(FsyncPath(packs_dir_));
  return stats;
}

}  // namespace spotkeeper::cloud::snapshot
