// bench/snapshot: the local cloud's snapshot chunk store beside restic and borg, on the same
// volume image files and disk, and the writer-blocked time of a snapshot of a busy volume, in
// one run (docs/snapshots.md, "Measurements"; docs/storage-pool.md, "Figures").
//
//  1. first snapshot of a sparse volume image (default 4 GiB holding 2 GiB of data: half
//     text-like, half random; seeded);
//  2. the next snapshot after 1% of the volume is rewritten in random 4 KiB writes (seeded).
//     spotkeeper gets `changed` = the written ranges (what the local cloud's FIEMAP change
//     tracking gives it); its full-read fallback (no `changed`) is a separate row;
//  3. restore of the latest snapshot;
//  4. (root) the time writers are blocked while CaptureSnapshot (FIFREEZE + FICLONE + FITHAW)
//     captures a mounted volume that a writer keeps busy, per volume size (4 and 16 GiB; 1 GiB
//     with --quick), beside the same writer without captures; goal <= 100 ms
//     (snapshot_blocked.cc). Not root: skipped, and said so.
// Printed beside them: this machine's single-core SHA-256 and zstd-1 speeds (the physical limit).
// Figures are printed, never asserted. A phase is one entry of Phases(): add the next there.
//
// Usage: snapshot [--size-gib N] [--data-gib N] [--dir DIR] [--quick] [--no-reference]
//                 [--chunk-sizes] [--chunk-size BYTES] [--threads N] [--seed N]
//                 [--phases 1,2,3,4] [--busy-sizes 4,16] [--captures N] [--busy-seconds N]
//                 [--fill-mib N]
// Phase 2 needs 1, phase 3 needs 2; `--phases 4` runs phase 4 alone. The scratch directory
// (default /var/tmp/sk-snapshot-bench-XXXXXX) is removed at the end, also on failure or
// SIGINT/SIGTERM, with phase 4's mounts and loop devices.
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "cloud/snapshot/chunk_hash.h"
#include "cloud/snapshot/chunk_store.h"
#include "snapshot_bench.h"

namespace spotkeeper::bench {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

namespace {

std::string g_scratch;  // removed on exit, failure and SIGINT/SIGTERM

void RemoveScratch() {
  if (g_scratch.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(g_scratch, ec);
  g_scratch.clear();
}

}  // namespace

void Die(const std::string& what) {
  std::fprintf(stderr, "snapshot bench: %s\n", what.c_str());
  UndoBusyMounts();
  RemoveScratch();
  std::exit(1);
}

void Check(const Status& s, const std::string& what) {
  if (!s.ok()) Die(what + ": " + s.ToString());
}

namespace {

using cloud::snapshot::ByteRange;
using cloud::snapshot::ChunkStore;
using cloud::snapshot::ChunkStoreOptions;
using cloud::snapshot::CreateRequest;

// CPU seconds (user + system) of this process or of its waited-for children.
double CpuSeconds(int who) {
  struct rusage ru;
  ::getrusage(who, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// Runs argv with extra environment, output to `log`; returns wall seconds.
double RunTool(const std::vector<std::string>& argv, const std::vector<std::string>& env,
               const std::string& cwd, const std::string& log) {
  const double t0 = Now();
  pid_t pid = ::fork();
  if (pid < 0) Die("fork");
  if (pid == 0) {
    for (const std::string& e : env) ::putenv(const_cast<char*>(e.c_str()));
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) ::dup2(fd, 1), ::dup2(fd, 2);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    Die(argv[0] + " " + argv[1] + " failed (see " + log + ", kept until exit)");
  }
  return Now() - t0;
}

void FsyncFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) ::fsync(fd), ::close(fd);
}

struct Row {
  std::string phase, tool;
  double seconds = 0;
  double cpu = 0;       // CPU seconds (user + system), all threads
  uint64_t bytes = 0;   // the volume data the phase covers (for MB/s)
  uint64_t stored = 0;  // bytes added to the repository
  std::string note;
};

struct Bench {
  Config cfg;
  std::string image, store_dir;
  uint64_t size = 0, data = 0;
  std::vector<ByteRange> changed;
  std::unique_ptr<ChunkStore> store;
  std::vector<Row> rows;
  BusyReport busy;  // phase 4
};

ChunkStoreOptions StoreOptions(const Config& cfg, const std::string& dir) {
  ChunkStoreOptions o;
  o.dir = dir;
  if (cfg.chunk_size != 0) o.chunk_size = cfg.chunk_size;
  o.threads = cfg.threads;
  return o;
}

double SkCreate(ChunkStore& store, const std::string& id, const std::string& src,
                const std::string& parent, std::optional<std::vector<ByteRange>> changed,
                cloud::snapshot::SnapshotInfo* info) {
  CreateRequest r;
  r.snapshot_id = id;
  r.source_path = src;
  r.parent_id = parent;
  r.changed = std::move(changed);
  const double t0 = Now();
  auto res = store.Create(r);
  const double t = Now() - t0;
  Check(res.status(), "create " + id);
  *info = *res;
  return t;
}

std::vector<std::string> ResticEnv(const Bench& b) {
  return {"RESTIC_PASSWORD=bench", "RESTIC_REPOSITORY=" + b.cfg.dir + "/restic-repo",
          "RESTIC_CACHE_DIR=" + b.cfg.dir + "/restic-cache"};
}
std::vector<std::string> BorgEnv(const Bench& b) {
  return {"BORG_BASE_DIR=" + b.cfg.dir + "/borg-home",
          "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes", "BORG_RELOCATED_REPO_ACCESS_IS_OK=yes"};
}

// Wall and CPU seconds of `f`: CPU of this process (spotkeeper) or of the tools it ran.
// Each measurement starts with the disk quiet: sync() first, so that no tool's fsyncs wait
// behind the writeback of what the tool before it wrote (borg and restic leave ~1.5 GB dirty).
struct Timing {
  double wall = 0, cpu = 0;
};
template <typename F>
Timing Measure(int who, F f) {
  ::sync();
  const double c0 = CpuSeconds(who), t0 = Now();
  f();
  return Timing{Now() - t0, CpuSeconds(who) - c0};
}

void AddRow(Bench& b, const std::string& phase, const std::string& tool, Timing t, uint64_t stored,
            std::string note = "") {
  b.rows.push_back(Row{phase, tool, t.wall, t.cpu, b.data, stored, std::move(note)});
}

// Snapshot `n` of the image with restic and borg.
void ReferenceBackup(Bench& b, const std::string& phase, int n) {
  if (!b.cfg.reference) return;
  const std::string restic_repo = b.cfg.dir + "/restic-repo", borg_repo = b.cfg.dir + "/borg-repo";
  const std::string log = b.cfg.dir + "/tools.log";
  uint64_t before = TreeBytes(restic_repo);
  Timing t = Measure(RUSAGE_CHILDREN, [&] {
    RunTool({"restic", "backup", "--compression", "auto", "--quiet", b.image}, ResticEnv(b), "",
            log);
  });
  AddRow(b, phase, "restic", t, TreeBytes(restic_repo) - before);
  before = TreeBytes(borg_repo);
  t = Measure(RUSAGE_CHILDREN, [&] {
    RunTool({"borg", "create", "--chunker-params", "fixed,4194304", "--compression", "zstd,1",
             borg_repo + "::s" + std::to_string(n), "vol.img"},
            BorgEnv(b), b.cfg.dir, log);
  });
  AddRow(b, phase, "borg", t, TreeBytes(borg_repo) - before);
}

void PhaseFirst(Bench& b) {
  const std::string phase = "1 first snapshot";
  cloud::snapshot::SnapshotInfo info;
  Timing t =
      Measure(RUSAGE_SELF, [&] { SkCreate(*b.store, "snap-1", b.image, "", std::nullopt, &info); });
  AddRow(b, phase, "spotkeeper", t, TreeBytes(b.store_dir));
  if (b.cfg.reference) {
    const std::string log = b.cfg.dir + "/tools.log";
    RunTool({"restic", "init", "--repository-version", "2"}, ResticEnv(b), "", log);
    RunTool({"borg", "init", "--encryption", "none", b.cfg.dir + "/borg-repo"}, BorgEnv(b), "",
            log);
  }
  ReferenceBackup(b, phase, 1);
}

void PhaseIncremental(Bench& b) {
  const std::string phase = "2 after 1% rewritten";
  b.changed = RewriteRandom(b.image, b.size, 0.01, b.cfg.seed);
  b.data = AllocatedBytes(b.image);
  cloud::snapshot::SnapshotInfo info;
  // Full-read fallback first, in its own snapshot, then deleted (GC drops its new chunks), so
  // the incremental row below stores its chunks itself.
  uint64_t before = TreeBytes(b.store_dir);
  Timing t = Measure(RUSAGE_SELF, [&] {
    SkCreate(*b.store, "snap-2-full", b.image, "snap-1", std::nullopt, &info);
  });
  AddRow(b, phase, "spotkeeper full read", t, TreeBytes(b.store_dir) - before,
         "read " + std::to_string(info.bytes_read / kMiB) + " MiB");
  Check(b.store->Delete("snap-2-full"), "delete snap-2-full");
  before = TreeBytes(b.store_dir);
  t = Measure(RUSAGE_SELF,
              [&] { SkCreate(*b.store, "snap-2", b.image, "snap-1", b.changed, &info); });
  AddRow(b, phase, "spotkeeper", t, TreeBytes(b.store_dir) - before,
         "read " + std::to_string(info.bytes_read / kMiB) + " MiB, " +
             std::to_string(b.changed.size()) + " changed ranges");
  ReferenceBackup(b, phase, 2);
}

void PhaseRestore(Bench& b) {
  const std::string phase = "3 restore latest";
  const std::string out = b.cfg.dir + "/restore-sk.img";
  Timing t = Measure(RUSAGE_SELF, [&] { Check(b.store->Restore("snap-2", out), "restore"); });
  if (HashFile(out) != HashFile(b.image)) Die("restored image differs from the source");
  AddRow(b, phase, "spotkeeper", t, 0, "bit-exact (checked), incl. fsync");
  ::unlink(out.c_str());
  if (!b.cfg.reference) return;
  const std::string log = b.cfg.dir + "/tools.log";
  const std::string rdir = b.cfg.dir + "/restore-restic";
  t = Measure(RUSAGE_CHILDREN, [&] {
    RunTool({"restic", "restore", "latest", "--target", rdir}, ResticEnv(b), "", log);
    FsyncFile(rdir + b.image);
  });
  AddRow(b, phase, "restic", t, 0, "incl. fsync");
  std::filesystem::remove_all(rdir);
  const std::string bdir = b.cfg.dir + "/restore-borg";
  std::filesystem::create_directories(bdir);
  t = Measure(RUSAGE_CHILDREN, [&] {
    RunTool({"borg", "extract", "--sparse", b.cfg.dir + "/borg-repo::s2"}, BorgEnv(b), bdir, log);
    FsyncFile(bdir + "/vol.img");
  });
  AddRow(b, phase, "borg", t, 0, "--sparse, incl. fsync");
  std::filesystem::remove_all(bdir);
}

struct Phase {
  int number;
  const char* name;
  std::function<void(Bench&)> run;
};

// The phases, in order.
std::vector<Phase> Phases() {
  return {{1, "first", PhaseFirst},
          {2, "incremental", PhaseIncremental},
          {3, "restore", PhaseRestore},
          {4, "writer-blocked", [](Bench& b) { b.busy = RunBusyVolume(b.cfg); }}};
}

bool Runs(const Config& cfg, int phase) {
  return std::find(cfg.phases.begin(), cfg.phases.end(), phase) != cfg.phases.end();
}

std::vector<int> ParseInts(const std::string& text) {
  std::vector<int> out;
  std::stringstream ss(text);
  for (std::string p; std::getline(ss, p, ',');) out.push_back(std::stoi(p));
  return out;
}

// Single-core SHA-256 and zstd-1 over the same kind of data (half text, half random).
void PrintLimits(uint64_t bytes) {
  std::vector<char> buf(static_cast<size_t>(bytes));
  Rng rng{99};
  FillText(rng, buf.data(), buf.size() / 2);
  FillRandom(rng, buf.data() + buf.size() / 2, buf.size() - buf.size() / 2);
  cloud::snapshot::Sha256 sha;
  double t0 = Now();
  for (size_t off = 0; off < buf.size(); off += kMiB) sha.Of(buf.data() + off, kMiB);
  const double sha_s = Now() - t0;
  std::vector<char> out(ZSTD_compressBound(kMiB));
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  t0 = Now();
  for (size_t off = 0; off < buf.size(); off += kMiB) {
    ZSTD_compressCCtx(cctx, out.data(), out.size(), buf.data() + off, kMiB, 1);
  }
  const double zstd_s = Now() - t0;
  ZSTD_freeCCtx(cctx);
  std::printf(
      "single core, 1 MiB blocks of half text / half random: SHA-256 %.0f MB/s, "
      "zstd-1 %.0f MB/s\n",
      static_cast<double>(bytes) / sha_s / 1e6, static_cast<double>(bytes) / zstd_s / 1e6);
}

void PrintRows(const std::vector<Row>& rows) {
  std::printf("\n%-22s %-22s %8s %8s %8s %10s  %s\n", "phase", "tool", "wall s", "CPU s", "MB/s",
              "stored MB", "wall-time ratio vs restic / borg, notes");
  for (const Row& r : rows) {
    std::string ratio;
    if (r.tool.rfind("spotkeeper", 0) == 0) {
      for (const char* ref : {"restic", "borg"}) {
        for (const Row& o : rows) {
          if (o.phase == r.phase && o.tool == ref) {
            char b[48];
            std::snprintf(b, sizeof b, "%s %.1fx  ", ref, o.seconds / r.seconds);
            ratio += b;
          }
        }
      }
    }
    std::printf("%-22s %-22s %8.2f %8.2f %8.0f %10.1f  %s%s\n", r.phase.c_str(), r.tool.c_str(),
                r.seconds, r.cpu, static_cast<double>(r.bytes) / r.seconds / 1e6,
                static_cast<double>(r.stored) / 1e6, ratio.c_str(), r.note.c_str());
  }
}

// The chunk-size measurement: each size on the same image and the same 1% rewrite.
void ChunkSizes(Bench& b) {
  std::vector<std::string> undo;
  std::printf(
      "\nchunk-size measurement (%s volume image, %.1f GiB data, 1%% random 4 KiB "
      "rewrite)\n",
      std::to_string(static_cast<double>(b.size) / kGiB).substr(0, 4).c_str(),
      static_cast<double>(b.data) / kGiB);
  std::printf("%8s %9s %10s %10s %11s %10s %10s %10s %12s\n", "chunk", "first s", "first MB",
              "incr s", "incr rd MB", "incr MB", "restore s", "chunks", "index MB/TiB");
  for (uint32_t cs :
       {64u << 10, 128u << 10, 256u << 10, 512u << 10, 1u << 20, 2u << 20, 4u << 20}) {
    const std::string dir = b.cfg.dir + "/cs-" + std::to_string(cs);
    Config cfg = b.cfg;
    cfg.chunk_size = cs;
    auto store = ChunkStore::Open(StoreOptions(cfg, dir));
    Check(store.status(), "open");
    cloud::snapshot::SnapshotInfo first, inc;
    const double t1 = SkCreate(**store, "s1", b.image, "", std::nullopt, &first);
    const uint64_t stored1 = TreeBytes(dir);
    undo.clear();
    auto ranges = RewriteRandom(b.image, b.size, 0.01, b.cfg.seed, &undo);
    const double t2 = SkCreate(**store, "s2", b.image, "s1", ranges, &inc);
    const uint64_t stored2 = TreeBytes(dir) - stored1;
    const double t0 = Now();
    Check((*store)->Restore("s2", b.cfg.dir + "/cs-restore.img"), "restore");
    const double t3 = Now() - t0;
    ::unlink((b.cfg.dir + "/cs-restore.img").c_str());
    Undo(b.image, ranges, undo);
    // In-memory index per TiB of stored chunks: ~100 bytes per chunk (hash, location, node).
    const double index_per_tib = 100.0 * static_cast<double>(uint64_t{1} << 40) / cs / 1e6;
    std::printf("%7uK %9.2f %10.1f %10.2f %11.1f %10.1f %10.2f %10" PRIu64 " %12.0f\n", cs >> 10,
                t1, static_cast<double>(stored1) / 1e6, t2,
                static_cast<double>(inc.bytes_read) / 1e6, static_cast<double>(stored2) / 1e6, t3,
                first.chunks, index_per_tib);
    store->reset();
    std::filesystem::remove_all(dir);
  }
}

int Main(int argc, char** argv) {
  Config cfg;
  bool busy_sizes_set = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--size-gib")
      cfg.size_gib = std::stod(next());
    else if (a == "--data-gib")
      cfg.data_gib = std::stod(next());
    else if (a == "--dir")
      cfg.dir = next();
    else if (a == "--quick")
      cfg.quick = true;
    else if (a == "--no-reference")
      cfg.reference = false;
    else if (a == "--chunk-sizes")
      cfg.chunk_sizes = true;
    else if (a == "--chunk-size")
      cfg.chunk_size = static_cast<uint32_t>(std::stoul(next()));
    else if (a == "--threads")
      cfg.threads = std::stoi(next());
    else if (a == "--seed")
      cfg.seed = std::stoull(next());
    else if (a == "--phases")
      cfg.phases = ParseInts(next());
    else if (a == "--busy-sizes")
      cfg.busy_sizes_gib = ParseInts(next()), busy_sizes_set = true;
    else if (a == "--captures")
      cfg.captures = std::stoi(next());
    else if (a == "--busy-seconds")
      cfg.busy_seconds = std::stoi(next());
    else if (a == "--fill-mib")
      cfg.fill_mib = std::stoi(next());
    else
      Die("unknown option " + a + " (see the top of bench/snapshot.cc)");
  }
  if (cfg.quick) {
    cfg.size_gib = 1.0 / 16, cfg.data_gib = 1.0 / 32;  // 64 MiB holding 32 MiB
    // Phase 4: the driver's smallest volume (whole GiB, as EBS), a few captures, in seconds.
    if (!busy_sizes_set) cfg.busy_sizes_gib = {1};
    cfg.captures = std::min(cfg.captures, 3);
    cfg.busy_seconds = 1, cfg.fill_mib = std::min(cfg.fill_mib, 64);
  }
  for (int p : cfg.phases) {
    if (p < 1 || p > 4) Die("--phases: no phase " + std::to_string(p));
    if (p > 1 && p < 4 && !Runs(cfg, p - 1)) {
      Die("--phases: phase " + std::to_string(p) + " needs phase " + std::to_string(p - 1));
    }
  }
  for (int gib : cfg.busy_sizes_gib) {
    if (gib < 1) Die("--busy-sizes: whole GiB, at least 1");
  }
  if (cfg.captures < 1 || cfg.busy_seconds < 1 || cfg.fill_mib < 0) {
    Die("--captures and --busy-seconds at least 1, --fill-mib at least 0");
  }
  std::string base = cfg.dir.empty() ? "/var/tmp" : cfg.dir;
  std::string tmpl = base + "/sk-snapshot-bench-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) Die("mkdtemp in " + base);
  cfg.dir = g_scratch = tmpl;
  ::signal(SIGINT, [](int) { UndoBusyMounts(), RemoveScratch(), ::_exit(130); });
  ::signal(SIGTERM, [](int) { UndoBusyMounts(), RemoveScratch(), ::_exit(143); });

  Bench b;
  b.cfg = cfg;
  b.size = static_cast<uint64_t>(cfg.size_gib * static_cast<double>(kGiB)) / kMiB * kMiB;
  b.image = cfg.dir + "/vol.img";
  b.store_dir = cfg.dir + "/sk-store";
  if (!cfg.chunk_sizes && !Runs(cfg, 1)) {  // phase 4 alone: no image, no store
    std::printf("scratch %s\n", cfg.dir.c_str());
    for (const Phase& p : Phases()) {
      if (Runs(cfg, p.number)) p.run(b);
    }
    PrintBusyReport(b.busy);
    RemoveScratch();
    return 0;
  }
  MakeVolume(b.image, b.size, static_cast<uint64_t>(cfg.data_gib * static_cast<double>(kGiB)),
             cfg.seed);
  b.data = AllocatedBytes(b.image);
  std::printf(
      "volume image: %.2f GiB, %.2f GiB of data (half text-like, half random), seed %" PRIu64
      ", scratch %s; the image is in the page cache for every tool\n",
      static_cast<double>(b.size) / kGiB, static_cast<double>(b.data) / kGiB, cfg.seed,
      cfg.dir.c_str());
  PrintLimits(std::min<uint64_t>(256 * kMiB, std::max<uint64_t>(16 * kMiB, b.data / 4)));
  if (cfg.chunk_sizes) {
    ChunkSizes(b);
    RemoveScratch();
    return 0;
  }
  auto store = ChunkStore::Open(StoreOptions(cfg, b.store_dir));
  Check(store.status(), "open store");
  b.store = std::move(*store);
  std::printf(
      "spotkeeper: chunk %u KiB, zstd-1, %s threads; incremental gets `changed` = the "
      "written ranges (what the local cloud's FIEMAP change tracking gives it)\n",
      b.store->chunk_size() >> 10, cfg.threads > 0 ? std::to_string(cfg.threads).c_str() : "all");
  if (cfg.reference) {
    std::printf(
        "restic 0.14: repository v2, --compression auto (restic cannot disable "
        "encryption: AES-256 + Poly1305 always on); restore has no --sparse in 0.14\n"
        "borg 1.2: --encryption none, --chunker-params fixed,4194304, --compression "
        "zstd,1; extract --sparse\n");
  }
  for (const Phase& p : Phases()) {
    if (Runs(cfg, p.number)) p.run(b);
  }
  b.store.reset();
  PrintRows(b.rows);
  if (Runs(cfg, 4)) PrintBusyReport(b.busy);
  RemoveScratch();
  return 0;
}

}  // namespace
}  // namespace spotkeeper::bench

int main(int argc, char** argv) { return spotkeeper::bench::Main(argc, argv); }
