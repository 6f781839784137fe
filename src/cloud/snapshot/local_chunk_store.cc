#include "cloud/snapshot/local_chunk_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>
#include <thread>

#include "cloud/host/crash_point.h"
#include "cloud/snapshot/chunk_pipeline.h"
#include "cloud/snapshot/snapshot_crash_points.h"

namespace spotkeeper::cloud::snapshot {
namespace {

// 2: packs may hold delta records (codec 2). A format-1 store is upgraded when opened (its
// files are all valid in format 2); a binary that knows only format 1 then refuses it.
constexpr int kFormatVersion = 2;

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Status CheckId(const std::string& id) {
  if (id.empty() || id.size() > 200 || id[0] == '.') {
    return InvalidArgument("bad snapshot id \"" + id + "\"");
  }
  for (char c : id) {
    if (!isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return InvalidArgument("bad snapshot id \"" + id + "\"");
    }
  }
  return OkStatus();
}

// The chunks touched by `ranges` (clipped to `chunk_count`), as a bitmap.
Result<std::vector<bool>> TouchedChunks(const std::vector<ByteRange>& ranges, uint32_t chunk_size,
                                        uint64_t chunk_count) {
  std::vector<bool> touched(chunk_count, false);
  for (const ByteRange& r : ranges) {
    if (r.length == 0) continue;
    if (r.offset + r.length < r.offset) return InvalidArgument("changed range overflows");
    const uint64_t first = r.offset / chunk_size;
    const uint64_t last = std::min(chunk_count, (r.offset + r.length - 1) / chunk_size + 1);
    for (uint64_t i = first; i < last; ++i) touched[i] = true;
  }
  return touched;
}

}  // namespace

Result<std::unique_ptr<ChunkStore>> ChunkStore::Open(ChunkStoreOptions options) {
  return LocalChunkStore::Open(std::move(options));
}

LocalChunkStore::LocalChunkStore(ChunkStoreOptions options)
    : o_(std::move(options)), packs_dir_(o_.dir + "/packs"), snapshots_dir_(o_.dir + "/snapshots") {
  workers_ = o_.threads > 0 ? o_.threads
                            : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

Result<std::unique_ptr<ChunkStore>> LocalChunkStore::Open(ChunkStoreOptions options) {
  if (options.dir.empty()) return InvalidArgument("chunk store: no directory");
  if (options.chunk_size < 4096 || options.chunk_size % 4096 != 0 ||
      options.chunk_size > kMaxChunkSize) {
    return InvalidArgument("chunk size must be a multiple of 4 KiB, at most 64 MiB");
  }
  std::unique_ptr<LocalChunkStore> store(new LocalChunkStore(std::move(options)));
  SK_RETURN_IF_ERROR(store->OpenDir());
  SK_RETURN_IF_ERROR(store->LoadPacks());
  SK_RETURN_IF_ERROR(store->LoadManifests());
  return std::unique_ptr<ChunkStore>(std::move(store));
}

Status LocalChunkStore::OpenDir() {
  for (const std::string& d : {o_.dir, packs_dir_, snapshots_dir_}) SK_RETURN_IF_ERROR(MakeDir(d));
  lock_fd_.reset(::open((o_.dir + "/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!lock_fd_.valid()) return Internal(ErrnoText("open " + o_.dir + "/lock"));
  if (::flock(lock_fd_.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) return FailedPrecondition("chunk store " + o_.dir + " is in use");
    return Internal(ErrnoText("flock " + o_.dir + "/lock"));
  }
  const std::string config_path = o_.dir + "/config.json";
  Result<std::string> config = ReadWholeFile(config_path);
  if (config.status().code() == Code::kNotFound) {
    nlohmann::json j = {{"format", kFormatVersion}, {"chunk_size", o_.chunk_size}};
    SK_RETURN_IF_ERROR(PublishFile(config_path, j.dump(2) + "\n"));
    chunk_size_ = o_.chunk_size;
    return OkStatus();
  }
  SK_RETURN_IF_ERROR(config.status());
  nlohmann::json j = nlohmann::json::parse(*config, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.contains("format") || !j.contains("chunk_size") ||
      !j["format"].is_number_integer() || !j["chunk_size"].is_number_unsigned()) {
    return FailedPrecondition(config_path + " is not a chunk store config");
  }
  const int format = j["format"].get<int>();
  if (format != 1 && format != kFormatVersion) {
    return FailedPrecondition(config_path + ": unknown format " + j["format"].dump() +
                              " (this spotkeeper reads formats 1 and " +
                              std::to_string(kFormatVersion) + "; use a newer one)");
  }
  chunk_size_ = j["chunk_size"].get<uint32_t>();
  if (chunk_size_ == 0 || chunk_size_ > kMaxChunkSize) {
    return FailedPrecondition(config_path + ": bad chunk size");
  }
  if (format != kFormatVersion) {
    j["format"] = kFormatVersion;
    SK_RETURN_IF_ERROR(PublishFile(config_path, j.dump(2) + "\n"));
  }
  return OkStatus();
}

Status LocalChunkStore::LoadPacks() {
  SK_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(packs_dir_));
  std::vector<uint64_t> numbers;
  std::unordered_set<std::string> stems;
  for (const std::string& name : names) {
    if (EndsWith(name, ".tmp")) {
      ::unlink((packs_dir_ + "/" + name).c_str());  // a publish that never renamed
    } else if (EndsWith(name, ".pack")) {
      const std::string stem = name.substr(0, name.size() - 5);
      if (stem.empty() || stem.find_first_not_of("0123456789") != std::string::npos) continue;
      numbers.push_back(std::stoull(stem));
      stems.insert(stem);
    }
  }
  for (const std::string& name : names) {
    // An index whose pack GC removed before the index (crash between the two unlinks).
    if (EndsWith(name, ".idx") && stems.count(name.substr(0, name.size() - 4)) == 0) {
      ::unlink((packs_dir_ + "/" + name).c_str());
    }
  }
  std::sort(numbers.begin(), numbers.end());
  std::lock_guard lock(mu_);
  for (uint64_t n : numbers) {
    SK_ASSIGN_OR_RETURN(std::shared_ptr<Pack> pack, Pack::Open(packs_dir_, n));
    AddPackLocked(pack);
    next_pack_ = n + 1;
  }
  DropUnreadableDeltasLocked();
  return OkStatus();
}

Status LocalChunkStore::LoadManifests() {
  SK_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(snapshots_dir_));
  std::lock_guard lock(mu_);
  for (const std::string& name : names) {
    const std::string path = snapshots_dir_ + "/" + name;
    if (EndsWith(name, ".tmp")) {
      ::unlink(path.c_str());  // never committed
      continue;
    }
    if (!EndsWith(name, ".manifest")) continue;
    const std::string id = name.substr(0, name.size() - 9);
    Result<std::string> data = ReadWholeFile(path);
    Result<Manifest> m = data.ok() ? DecodeManifest(*data) : Result<Manifest>(data.status());
    if (m.ok() && (m->info.id != id || m->chunk_size != chunk_size_)) {
      m = FailedPrecondition("manifest does not belong to this store");
    }
    if (!m.ok()) {
      damaged_manifests_[id] = m.status().ToString();
      continue;
    }
    manifests_[id] = std::make_shared<const Manifest>(std::move(*m));
  }
  return OkStatus();
}

void LocalChunkStore::Crash(const char* point) const {
  if (o_.crash_hook) {
    o_.crash_hook(point);
  } else {
    spotkeeper::cloud::CrashPoint(point);
  }
}

std::string LocalChunkStore::ManifestPath(const std::string& id) const {
  return snapshots_dir_ + "/" + id + ".manifest";
}

void LocalChunkStore::AddPackLocked(const std::shared_ptr<Pack>& pack) {
  packs_[pack->number()] = pack;
  const std::vector<PackEntry>& entries = pack->entries();
  for (size_t i = 0; i < entries.size(); ++i) {
    index_.try_emplace(entries[i].hash, Location{pack->number(), static_cast<uint32_t>(i)});
  }
}

size_t LocalChunkStore::DropUnreadableDeltasLocked() {
  struct PairHash {
    size_t operator()(const std::pair<uint64_t, uint32_t>& p) const {
      return std::hash<uint64_t>()(p.first * 0x9E3779B97F4A7C15ull + p.second);
    }
  };
  std::unordered_set<std::pair<uint64_t, uint32_t>, PairHash> dropped;  // (pack, entry)
  HashSet gone;
  for (bool again = true; again;) {
    again = false;
    for (auto it = index_.begin(); it != index_.end();) {
      const DeltaRef* d = packs_.at(it->second.pack)->delta(it->second.entry);
      if (d != nullptr && index_.count(d->base) == 0) {
        dropped.emplace(it->second.pack, it->second.entry);
        gone.insert(it->first);
        it = index_.erase(it);
        again = true;
      } else {
        ++it;
      }
    }
    // Another copy of a dropped chunk (a duplicate in another pack) that can be read takes its
    // place; a copy dropped once is never taken back, so this ends.
    for (const auto& [number, pack] : packs_) {
      const std::vector<PackEntry>& entries = pack->entries();
      for (uint32_t i = 0; i < entries.size(); ++i) {
        if (gone.count(entries[i].hash) == 0 || index_.count(entries[i].hash) > 0 ||
            dropped.count({number, i}) > 0) {
          continue;
        }
        const DeltaRef* d = pack->delta(i);
        if (d == nullptr || index_.count(d->base) > 0) {
          index_.emplace(entries[i].hash, Location{number, i});
          again = true;
        }
      }
    }
  }
  size_t lost = 0;
  for (const ChunkHash& h : gone) lost += index_.count(h) == 0 ? 1 : 0;
  return lost;
}

bool LocalChunkStore::LookupAndPin(InFlight& flight, const ChunkHash& hash) {
  std::lock_guard lock(mu_);
  if (index_.count(hash) == 0) return false;
  flight.pins.insert(hash);
  return true;
}

Result<std::unique_ptr<PackWriter>> LocalChunkStore::NewPackWriter() {
  uint64_t number;
  {
    std::lock_guard lock(mu_);
    number = next_pack_++;
  }
  return PackWriter::Create(packs_dir_, number, [this](const char* p) { Crash(p); });
}

Status LocalChunkStore::PublishPack(std::unique_ptr<PackWriter> writer, InFlight& flight) {
  SK_ASSIGN_OR_RETURN(std::shared_ptr<Pack> pack, writer->Finish());
  std::lock_guard lock(mu_);
  AddPackLocked(pack);
  for (const PackEntry& e : pack->entries()) flight.pins.insert(e.hash);
  return OkStatus();
}

Status LocalChunkStore::BeginLocked(const std::string& id, InFlight* flight) {
  if (in_flight_.count(id) > 0) return AlreadyExists("snapshot " + id + " is being changed");
  in_flight_[id] = flight;
  return OkStatus();
}

void LocalChunkStore::End(const std::string& id) {
  std::lock_guard lock(mu_);
  in_flight_.erase(id);
}

Status LocalChunkStore::CommitManifest(const Manifest& m) {
  SK_RETURN_IF_ERROR(PublishFile(
      ManifestPath(m.info.id), EncodeManifest(m), [this] { Crash(kCrashManifestBeforeRename); },
      [this] { Crash(kCrashManifestAfterRename); }));
  std::lock_guard lock(mu_);
  manifests_[m.info.id] = std::make_shared<const Manifest>(m);
  damaged_manifests_.erase(m.info.id);
  return OkStatus();
}

Result<std::shared_ptr<const Manifest>> LocalChunkStore::FindManifest(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = manifests_.find(id);
  if (it != manifests_.end()) return it->second;
  auto bad = damaged_manifests_.find(id);
  if (bad != damaged_manifests_.end()) {
    return FailedPrecondition("snapshot " + id + " is damaged: " + bad->second);
  }
  return NotFound("snapshot " + id + " not found");
}

Result<SnapshotInfo> LocalChunkStore::Create(const CreateRequest& req) {
  SK_RETURN_IF_ERROR(CheckId(req.snapshot_id));
  InFlight flight;
  {
    std::lock_guard lock(mu_);
    auto done = manifests_.find(req.snapshot_id);
    if (done != manifests_.end()) return done->second->info;  // idempotent
    if (damaged_manifests_.count(req.snapshot_id) > 0) {
      return FailedPrecondition("snapshot " + req.snapshot_id + " exists but is damaged");
    }
    if (!req.parent_id.empty()) {
      auto parent = manifests_.find(req.parent_id);
      if (parent == manifests_.end()) {
        return NotFound("parent snapshot " + req.parent_id + " not found");
      }
      flight.parent = parent->second;
    }
    SK_RETURN_IF_ERROR(BeginLocked(req.snapshot_id, &flight));
  }
  struct EndGuard {
    LocalChunkStore* store;
    const std::string& id;
    ~EndGuard() { store->End(id); }
  } end_guard{this, req.snapshot_id};
  if (req.progress) req.progress(0);

  Fd src(::open(req.source_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!src.valid()) {
    if (errno == ENOENT) return NotFound(ErrnoText("open " + req.source_path));
    return Internal(ErrnoText("open " + req.source_path));
  }
  const off_t end = ::lseek(src.get(), 0, SEEK_END);  // regular files and block devices
  if (end < 0) return Internal(ErrnoText("size of " + req.source_path));
  const auto size = static_cast<uint64_t>(end);
  const uint64_t chunk_count = (size + chunk_size_ - 1) / chunk_size_;

  // Which chunks come from the parent unread, which are read.
  std::vector<ManifestEntry> reused;
  std::vector<ChunkJob> jobs;
  std::vector<bool> read(chunk_count, true);
  if (flight.parent && req.changed) {
    const Manifest& parent = *flight.parent;
    SK_ASSIGN_OR_RETURN(std::vector<bool> touched,
                        TouchedChunks(*req.changed, chunk_size_, chunk_count));
    // Whole chunks the parent and the source share; a chunk that ended the parent's image
    // short, or lies past it, is read.
    const uint64_t shared = parent.info.image_size == size
                                ? chunk_count
                                : std::min(parent.info.image_size, size) / chunk_size_;
    for (uint64_t i = 0; i < shared; ++i) read[i] = touched[i];
    std::lock_guard lock(mu_);
    for (const ManifestEntry& e : parent.entries) {
      if (e.index >= shared || read[e.index]) continue;
      if (index_.count(e.hash) == 0) {
        read[e.index] = true;  // a chunk the store lost: read it again
      } else {
        reused.push_back(e);
      }
    }
  }
  // A chunk read again gets the parent's chunk at the same place as its delta base.
  const std::vector<ManifestEntry>* parent_entries =
      flight.parent ? &flight.parent->entries : nullptr;
  size_t p = 0;
  for (uint64_t i = 0; i < chunk_count; ++i) {
    if (!read[i]) continue;
    const uint64_t len = std::min<uint64_t>(chunk_size_, size - i * chunk_size_);
    ChunkJob job{i, static_cast<uint32_t>(len), false, {}};
    if (parent_entries != nullptr) {
      while (p < parent_entries->size() && (*parent_entries)[p].index < i) ++p;
      if (p < parent_entries->size() && (*parent_entries)[p].index == i) {
        job.has_base = true;
        job.base = (*parent_entries)[p].hash;
      }
    }
    jobs.push_back(job);
  }

  Manifest m;
  m.chunk_size = chunk_size_;
  m.info.id = req.snapshot_id;
  m.info.image_size = size;
  m.info.parent_id = req.parent_id;
  m.info.labels = req.labels;
  std::vector<ManifestEntry> fresh;
  HashSet written;
  std::unique_ptr<PackWriter> writer;
  int last_percent = 0;
  size_t consumed = 0;
  ChunkPipeline::Options po{workers_, o_.max_memory, chunk_size_, o_.zstd_level};
  Status run = ChunkPipeline::Run(
      po, src.get(), jobs, [&](const ChunkHash& h) { return LookupAndPin(flight, h); },
      // The base is the parent's chunk: live while this Create runs (flight.parent), and after
      // the commit through the delta that names it.
      [&](const ChunkHash& h, std::vector<uint8_t>& raw) { return LoadChunk(h, raw); },
      [&](const ChunkResult& r) -> Status {
        ++consumed;
        const int percent = static_cast<int>(consumed * 99 / jobs.size());
        if (req.progress && percent != last_percent) req.progress(last_percent = percent);
        m.info.bytes_read += r.bytes_read;
        if (r.zero) return OkStatus();
        fresh.push_back(ManifestEntry{r.index, r.hash});
        if (r.known || !written.insert(r.hash).second) return OkStatus();
        if (!writer) {
          SK_ASSIGN_OR_RETURN(writer, NewPackWriter());
        }
        SK_RETURN_IF_ERROR(
            writer->Append(r.hash, r.codec, r.raw_len, r.payload, r.stored_len).status());
        ++m.info.new_chunks;
        m.info.new_bytes += r.stored_len;
        if (writer->size() >= o_.pack_target_bytes) {
          SK_RETURN_IF_ERROR(PublishPack(std::move(writer), flight));
        }
        return OkStatus();
      });
  SK_RETURN_IF_ERROR(run);
  if (writer) SK_RETURN_IF_ERROR(PublishPack(std::move(writer), flight));

  m.entries.reserve(reused.size() + fresh.size());
  std::merge(reused.begin(), reused.end(), fresh.begin(), fresh.end(),
             std::back_inserter(m.entries),
             [](const ManifestEntry& a, const ManifestEntry& b) { return a.index < b.index; });
  m.info.chunks = m.entries.size();
  Clock* clock = o_.clock != nullptr ? o_.clock : SystemClock::Default();
  m.info.created_unix_ms = ToMillis(clock->Now());
  SK_RETURN_IF_ERROR(CommitManifest(m));
  if (req.progress) req.progress(100);
  return m.info;
}

Result<SnapshotInfo> LocalChunkStore::Copy(const std::string& snapshot_id,
                                           const std::string& source_id) {
  SK_RETURN_IF_ERROR(CheckId(snapshot_id));
  InFlight flight;
  {
    std::lock_guard lock(mu_);
    auto done = manifests_.find(snapshot_id);
    if (done != manifests_.end()) return done->second->info;
    auto src = manifests_.find(source_id);
    if (src == manifests_.end()) return NotFound("snapshot " + source_id + " not found");
    flight.parent = src->second;
    SK_RETURN_IF_ERROR(BeginLocked(snapshot_id, &flight));
  }
  struct EndGuard {
    LocalChunkStore* store;
    const std::string& id;
    ~EndGuard() { store->End(id); }
  } end_guard{this, snapshot_id};
  Manifest m = *flight.parent;
  m.info.id = snapshot_id;
  m.info.parent_id = source_id;
  m.info.bytes_read = 0;
  m.info.new_chunks = 0;
  m.info.new_bytes = 0;
  Clock* clock = o_.clock != nullptr ? o_.clock : SystemClock::Default();
  m.info.created_unix_ms = ToMillis(clock->Now());
  SK_RETURN_IF_ERROR(CommitManifest(m));
  return m.info;
}

Result<SnapshotInfo> LocalChunkStore::Get(const std::string& snapshot_id) {
  SK_ASSIGN_OR_RETURN(std::shared_ptr<const Manifest> m, FindManifest(snapshot_id));
  return m->info;
}

Result<std::vector<SnapshotInfo>> LocalChunkStore::List() {
  std::lock_guard lock(mu_);
  std::vector<SnapshotInfo> out;
  out.reserve(manifests_.size());
  for (const auto& [id, m] : manifests_) out.push_back(m->info);
  return out;
}

}  // namespace spotkeeper::cloud::snapshot
