// LocalChunkStore: Restore and Verify, the paths that read chunks back (in parallel).
#include <fcntl.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <set>

#include "cloud/snapshot/local_chunk_store.h"
#include "cloud/snapshot/parallel_for.h"

namespace spotkeeper::cloud::snapshot {
namespace {

// Per-thread state of the read paths.
struct ReadState {
  ReadState() : dctx(ZSTD_createDCtx()) {}
  ~ReadState() { ZSTD_freeDCtx(dctx); }
  ReadState(const ReadState&) = delete;
  ReadState& operator=(const ReadState&) = delete;

  ZSTD_DCtx* dctx;
  std::vector<uint8_t> scratch;
  std::vector<uint8_t> out;
  std::vector<uint8_t> tmp;
  Sha256 sha;
};

}  // namespace

Status LocalChunkStore::ResolveBasesLocked(ChunkRef& ref, const DeltaRef* d, HeldPacks& held) {
  while (d != nullptr) {
    if (ref.bases.size() >= kMaxDeltaDepth) {
      return Internal("chunk " + ref.entry.hash.Hex() + ": delta chain too long (damaged)");
    }
    auto it = index_.find(d->base);
    if (it == index_.end()) {
      return NotFound("chunk " + ref.entry.hash.Hex() + ": its delta base " + d->base.Hex() +
                      " is missing");
    }
    const std::shared_ptr<Pack>& base_pack = packs_.at(it->second.pack);
    held.try_emplace(base_pack->number(), base_pack);
    ref.bases.push_back(Piece{base_pack.get(), base_pack->entries()[it->second.entry]});
    d = base_pack->delta(it->second.entry);
  }
  return OkStatus();
}

Result<LocalChunkStore::ChunkRef> LocalChunkStore::ResolveChunkLocked(const ChunkHash& hash,
                                                                      HeldPacks& held) {
  auto it = index_.find(hash);
  if (it == index_.end()) return NotFound("chunk " + hash.Hex() + " is missing");
  const std::shared_ptr<Pack>& pack = packs_.at(it->second.pack);
  held.try_emplace(pack->number(), pack);
  ChunkRef ref{0, pack.get(), pack->entries()[it->second.entry], {}};
  SK_RETURN_IF_ERROR(ResolveBasesLocked(ref, pack->delta(it->second.entry), held));
  return ref;
}

Result<std::vector<LocalChunkStore::ChunkRef>> LocalChunkStore::ResolveLocked(const Manifest& m,
                                                                              HeldPacks& held) {
  std::vector<ChunkRef> refs;
  refs.reserve(m.entries.size());
  for (const ManifestEntry& e : m.entries) {
    Result<ChunkRef> ref = ResolveChunkLocked(e.hash, held);
    if (!ref.ok()) return ref.status().Annotate("snapshot " + m.info.id);
    ref->chunk_index = e.index;
    refs.push_back(std::move(*ref));
  }
  return refs;
}

Status LocalChunkStore::DecodeChunk(const ChunkRef& ref, ZSTD_DCtx* dctx,
                                    std::vector<uint8_t>& scratch, std::vector<uint8_t>& out,
                                    std::vector<uint8_t>& tmp, int* failed) {
  // The deepest base first (stored whole), then each delta on top of the one below it; the two
  // buffers alternate so that the last decode lands in `out`.
  const int n = static_cast<int>(ref.bases.size());
  std::vector<uint8_t>* cur = (n % 2 == 0) ? &out : &tmp;
  std::vector<uint8_t>* other = (n % 2 == 0) ? &tmp : &out;
  const uint8_t* base = nullptr;
  size_t base_len = 0;
  for (int i = n - 1; i >= -1; --i) {
    const Piece p = i >= 0 ? ref.bases[static_cast<size_t>(i)] : Piece{ref.pack, ref.entry};
    cur->resize(p.entry.raw_len);
    Status s = p.pack->ReadChunk(p.entry, dctx, scratch, cur->data(), base, base_len);
    if (!s.ok()) {
      if (failed != nullptr) *failed = i;
      return s;
    }
    base = cur->data();
    base_len = cur->size();
    std::swap(cur, other);
  }
  return OkStatus();
}

Result<uint8_t> LocalChunkStore::LoadChunk(const ChunkHash& hash, std::vector<uint8_t>& out) {
  thread_local ReadState st;
  HeldPacks held;
  ChunkRef ref;
  {
    std::lock_guard lock(mu_);
    SK_ASSIGN_OR_RETURN(ref, ResolveChunkLocked(hash, held));
  }
  SK_RETURN_IF_ERROR(DecodeChunk(ref, st.dctx, st.scratch, out, st.tmp));
  return static_cast<uint8_t>(ref.bases.size());
}

Status LocalChunkStore::Restore(const std::string& snapshot_id, const std::string& target_path,
                                uint64_t size_bytes) {
  SK_ASSIGN_OR_RETURN(std::shared_ptr<const Manifest> m, FindManifest(snapshot_id));
  HeldPacks held;  // keeps the packs open, even if GC removes them
  std::vector<ChunkRef> refs;
  {
    std::lock_guard lock(mu_);
    SK_ASSIGN_OR_RETURN(refs, ResolveLocked(*m, held));
  }
  // Read the packs in order: sequential reads, whatever order the chunks have in the image.
  std::sort(refs.begin(), refs.end(), [](const ChunkRef& a, const ChunkRef& b) {
    return a.pack->number() != b.pack->number() ? a.pack->number() < b.pack->number()
                                                : a.entry.offset < b.entry.offset;
  });
  Fd out(::open(target_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!out.valid()) return Internal(ErrnoText("create " + target_path));
  // All holes first; the chunks are written over them.
  const uint64_t size = std::max(size_bytes, m->info.image_size);
  if (::ftruncate(out.get(), static_cast<off_t>(size)) != 0) {
    return Internal(ErrnoText("ftruncate " + target_path));
  }
  const uint32_t cs = m->chunk_size;
  // Twice the workers: each thread waits for a pack read or a write part of the time.
  SK_RETURN_IF_ERROR(
      ParallelFor<ReadState>(2 * workers_, refs.size(), [&](ReadState& st, size_t i) {
        const ChunkRef& r = refs[i];
        SK_RETURN_IF_ERROR(DecodeChunk(r, st.dctx, st.scratch, st.out, st.tmp));
        return PwriteFull(out.get(), st.out.data(), r.entry.raw_len, r.chunk_index * cs);
      }));
  if (::fsync(out.get()) != 0) return Internal(ErrnoText("fsync " + target_path));
  return OkStatus();
}

Result<VerifyReport> LocalChunkStore::Verify(const std::string& snapshot_id) {
  VerifyReport report;
  HeldPacks held;
  std::vector<ChunkRef> refs;  // chunk_index unused here
  std::set<ChunkHash> bad;     // damaged or missing chunks
  std::set<std::string> bad_snapshots;
  {
    std::lock_guard lock(mu_);
    if (snapshot_id.empty()) {
      for (const auto& [number, pack] : packs_) {  // every record, duplicates too
        held.emplace(number, pack);
        const std::vector<PackEntry>& entries = pack->entries();
        for (size_t i = 0; i < entries.size(); ++i) {
          const PackEntry& e = entries[i];
          ChunkRef ref{0, pack.get(), e, {}};
          if (!ResolveBasesLocked(ref, pack->delta(static_cast<uint32_t>(i)), held).ok()) {
            // Its base is gone: a dead delta waiting for compaction (not indexed, never read),
            // unless the store would read this very record.
            auto loc = index_.find(e.hash);
            if (loc != index_.end() && loc->second.pack == number && loc->second.entry == i) {
              bad.insert(e.hash);
            }
            continue;
          }
          refs.push_back(std::move(ref));
        }
      }
      for (const auto& [id, why] : damaged_manifests_) bad_snapshots.insert(id);
    } else {
      auto it = manifests_.find(snapshot_id);
      if (it == manifests_.end()) {
        if (damaged_manifests_.count(snapshot_id) == 0) {
          return NotFound("snapshot " + snapshot_id + " not found");
        }
        bad_snapshots.insert(snapshot_id);
      } else {
        std::set<ChunkHash> seen;
        for (const ManifestEntry& e : it->second->entries) {
          if (!seen.insert(e.hash).second) continue;
          Result<ChunkRef> ref = ResolveChunkLocked(e.hash, held);
          if (!ref.ok()) {
            bad.insert(e.hash);  // missing, or a base of it is
            continue;
          }
          refs.push_back(std::move(*ref));
        }
      }
    }
    // Chunks named by a manifest that the store does not have at all.
    for (const auto& [id, m] : manifests_) {
      for (const ManifestEntry& e : m->entries) {
        if (index_.count(e.hash) == 0) bad.insert(e.hash);
      }
    }
  }
  std::mutex mu;
  std::set<uint64_t> bad_packs;
  SK_RETURN_IF_ERROR(ParallelFor<ReadState>(workers_, refs.size(), [&](ReadState& st, size_t i) {
    const ChunkRef& r = refs[i];
    int failed = -1;
    Status s = DecodeChunk(r, st.dctx, st.scratch, st.out, st.tmp, &failed);
    const bool ok = s.ok() && st.sha.Of(st.out.data(), r.entry.raw_len) == r.entry.hash;
    std::lock_guard lock(mu);
    ++report.chunks_checked;
    report.bytes_checked += r.entry.raw_len;
    if (!ok) {
      // The record that could not be read is damaged; a delta on top of it is unreadable too.
      const Piece p = failed >= 0 ? r.bases[static_cast<size_t>(failed)] : Piece{r.pack, r.entry};
      bad_packs.insert(p.pack->number());
      bad.insert(p.entry.hash);
      bad.insert(r.entry.hash);
    }
    return OkStatus();
  }));
  for (uint64_t n : bad_packs) report.damaged_packs.push_back(PackStem(n) + ".pack");
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, m] : manifests_) {
      for (const ManifestEntry& e : m->entries) {
        if (bad.count(e.hash) > 0) {
          bad_snapshots.insert(id);
          break;
        }
      }
    }
  }
  report.damaged_snapshots.assign(bad_snapshots.begin(), bad_snapshots.end());
  return report;
}

}  // namespace spotkeeper::cloud::snapshot
