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
  Sha256 sha;
};

}  // namespace

Result<std::vector<LocalChunkStore::ChunkRef>> LocalChunkStore::ResolveLocked(
    const Manifest& m, std::map<uint64_t, std::shared_ptr<Pack>>& held) {
  std::vector<ChunkRef> refs;
  refs.reserve(m.entries.size());
  for (const ManifestEntry& e : m.entries) {
    auto it = index_.find(e.hash);
    if (it == index_.end()) {
      return NotFound("snapshot " + m.info.id + ": chunk " + e.hash.Hex() + " is missing");
    }
    const std::shared_ptr<Pack>& pack = packs_.at(it->second.pack);
    held.try_emplace(pack->number(), pack);
    refs.push_back(ChunkRef{e.index, pack.get(), pack->entries()[it->second.entry]});
  }
  return refs;
}

Status LocalChunkStore::Restore(const std::string& snapshot_id, const std::string& target_path,
                                uint64_t size_bytes) {
  SK_ASSIGN_OR_RETURN(std::shared_ptr<const Manifest> m, FindManifest(snapshot_id));
  std::map<uint64_t, std::shared_ptr<Pack>> held;  // keeps the packs open, even if GC removes them
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
        st.out.resize(cs);
        SK_RETURN_IF_ERROR(r.pack->ReadChunk(r.entry, st.dctx, st.scratch, st.out.data()));
        return PwriteFull(out.get(), st.out.data(), r.entry.raw_len, r.chunk_index * cs);
      }));
  if (::fsync(out.get()) != 0) return Internal(ErrnoText("fsync " + target_path));
  return OkStatus();
}

Result<VerifyReport> LocalChunkStore::Verify(const std::string& snapshot_id) {
  VerifyReport report;
  std::map<uint64_t, std::shared_ptr<Pack>> held;
  std::vector<ChunkRef> refs;  // chunk_index unused here
  std::set<ChunkHash> bad;     // damaged or missing chunks
  std::set<std::string> bad_snapshots;
  {
    std::lock_guard lock(mu_);
    if (snapshot_id.empty()) {
      for (const auto& [number, pack] : packs_) {  // every record, duplicates too
        held.emplace(number, pack);
        for (const PackEntry& e : pack->entries()) refs.push_back(ChunkRef{0, pack.get(), e});
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
          auto loc = index_.find(e.hash);
          if (loc == index_.end()) {
            bad.insert(e.hash);
            continue;
          }
          const std::shared_ptr<Pack>& pack = packs_.at(loc->second.pack);
          held.try_emplace(pack->number(), pack);
          refs.push_back(ChunkRef{0, pack.get(), pack->entries()[loc->second.entry]});
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
    st.out.resize(r.entry.raw_len);
    Status s = r.pack->ReadChunk(r.entry, st.dctx, st.scratch, st.out.data());
    const bool ok = s.ok() && st.sha.Of(st.out.data(), r.entry.raw_len) == r.entry.hash;
    std::lock_guard lock(mu);
    ++report.chunks_checked;
    report.bytes_checked += r.entry.raw_len;
    if (!ok) {
      bad_packs.insert(r.pack->number());
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
