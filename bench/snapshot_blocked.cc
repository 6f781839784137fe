// bench/snapshot phase 4 (root): how long a snapshot of a busy volume blocks its writers.
//
// A LinuxHostDriver on `<scratch>/cloud` with its loop-mounted XFS reflink pool (always the
// image, whatever the scratch filesystem can do). For each volume size: an ext4 volume made by
// CreateVolume, loop-mounted on the host like an attached volume, --fill-mib of data written,
// then a writer doing 4 KiB write + fdatasync in a loop over a 64 MiB file: first
// --busy-seconds alone (the reference), then --captures CaptureSnapshot calls (syncfs, FIFREEZE,
// FICLONE, FITHAW) spread over the same time. Reports the time writers were blocked (FIFREEZE
// to FITHAW, the capture's own measure), the whole capture call, and the writer's p50/p99/max
// latency alone and during captures (writes that overlap a capture call). Goal: blocked
// <= 100 ms whatever the size (the clone shares extents; only the freeze's flush costs).
//
// Cleanup: the volume is unmounted and deleted after its size, DestroyAll removes the pool
// (unmount, loop device, image) and the data dir. On failure or SIGINT/SIGTERM,
// UndoBusyMounts thaws and lazily detaches what is still mounted; the autoclear loop devices
// go with the process's last use of them, and the scratch directory is removed by the caller.
#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cloud/host/linux/loop_devices.h"
#include "cloud/host/linux/mount_table.h"
#include "cloud/host/linux_host_driver.h"
#include "snapshot_bench.h"

namespace spotkeeper::bench {
namespace {

using cloud::LinuxHostDriver;
using Clock = std::chrono::steady_clock;
using Window = std::pair<Clock::time_point, Clock::time_point>;

// What UndoBusyMounts undoes; fixed buffers and flags, as a signal handler reads them.
char g_volume_mount[PATH_MAX], g_pool_mount[PATH_MAX];
volatile sig_atomic_t g_volume_mounted = 0, g_pool_mounted = 0, g_capturing = 0;

void Remember(char* buf, volatile sig_atomic_t& flag, const std::string& path) {
  std::snprintf(buf, PATH_MAX, "%s", path.c_str());
  flag = 1;
}

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

struct Write {
  Clock::time_point start, end;
};

// 4 KiB write + fdatasync over a 64 MiB file, until destroyed.
class Writer {
 public:
  explicit Writer(const std::string& path) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) error_ = "open " + path + ": " + std::strerror(errno);
    thread_ = std::thread([this] { Run(); });
  }
  ~Writer() {
    stop_ = true;
    thread_.join();
    if (fd_ >= 0) ::close(fd_);
  }
  std::vector<Write> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::move(writes_);
  }
  std::string error() {
    std::lock_guard<std::mutex> lock(mu_);
    return error_;
  }

 private:
  void Run() {
    std::vector<char> block(4096, 'w');
    for (uint64_t n = 0; fd_ >= 0 && !stop_; ++n) {
      Write w{Clock::now(), {}};
      if (::pwrite(fd_, block.data(), block.size(), static_cast<off_t>((n % 16384) * 4096)) < 0 ||
          ::fdatasync(fd_) != 0) {
        std::lock_guard<std::mutex> lock(mu_);
        error_ = std::string("writer: ") + std::strerror(errno);
        return;
      }
      w.end = Clock::now();
      std::lock_guard<std::mutex> lock(mu_);
      writes_.push_back(w);
    }
  }
  int fd_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<Write> writes_;
  std::string error_;
  std::thread thread_;
};

// Latency of the writes that overlap one of `only` (all writes when empty).
BusyResult::Latency LatencyOf(const std::vector<Write>& ws, const std::vector<Window>& only) {
  std::vector<double> ms;
  for (const auto& w : ws) {
    bool in = only.empty();
    for (const auto& [a, b] : only) in = in || (w.end >= a && w.start <= b);
    if (in) ms.push_back(Ms(w.end - w.start));
  }
  BusyResult::Latency l;
  l.n = ms.size();
  if (ms.empty()) return l;
  std::sort(ms.begin(), ms.end());
  l.p50 = ms[ms.size() / 2];
  l.p99 = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  l.max = ms.back();
  return l;
}

Status FillVolume(const std::string& path, int mib) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Internal("open " + path + ": " + std::strerror(errno));
  std::vector<char> buf(kMiB);
  Rng rng{7};
  Status s;
  for (int i = 0; i < mib && s.ok(); ++i) {
    FillRandom(rng, buf.data(), buf.size());
    if (::write(fd, buf.data(), buf.size()) != static_cast<ssize_t>(buf.size())) {
      s = Internal("fill " + path + ": " + std::strerror(errno));
    }
  }
  if (s.ok() && ::fsync(fd) != 0) s = Internal("fsync " + path + ": " + std::strerror(errno));
  ::close(fd);
  return s;
}

// The writer alone, then with captures, on the mounted volume.
Status Measure(LinuxHostDriver& d, const Config& cfg, const std::string& vol, const std::string& mp,
               BusyResult& r) {
  SK_RETURN_IF_ERROR(FillVolume(mp + "/fill", cfg.fill_mib));
  Writer writer(mp + "/busy");
  std::this_thread::sleep_for(std::chrono::seconds(cfg.busy_seconds));
  r.without = LatencyOf(writer.Take(), {});
  std::vector<Window> windows;
  const auto gap = std::chrono::milliseconds(cfg.busy_seconds * 1000 / cfg.captures);
  for (int i = 0; i < cfg.captures; ++i) {
    const std::string snap = "snap-busy-" + std::to_string(r.size_gib) + "-" + std::to_string(i);
    g_capturing = 1;
    const auto t0 = Clock::now();
    Status c = d.CaptureSnapshot(snap, vol);
    const auto t1 = Clock::now();
    g_capturing = 0;
    SK_RETURN_IF_ERROR(c.Annotate("CaptureSnapshot " + snap));
    auto info = d.ReadCaptureInfo(snap);
    SK_RETURN_IF_ERROR(info.status());
    if (info->mounted_at.empty()) return Internal("the capture saw no mount (no freeze)");
    windows.emplace_back(t0, t1);
    r.blocked_ms.push_back(static_cast<double>(info->blocked_us) / 1000.0);
    r.capture_ms.push_back(Ms(t1 - t0));
    SK_RETURN_IF_ERROR(d.DeleteSnapshot(snap));
    std::this_thread::sleep_for(gap);
  }
  r.during = LatencyOf(writer.Take(), windows);
  std::sort(r.blocked_ms.begin(), r.blocked_ms.end());
  std::sort(r.capture_ms.begin(), r.capture_ms.end());
  if (std::string e = writer.error(); !e.empty()) return Internal(e);
  return OkStatus();
}

// One volume size: create, mount, measure, and always unmount and delete.
Status MeasureSize(LinuxHostDriver& d, const Config& cfg, BusyResult& r) {
  const std::string vol = "vol-busy-" + std::to_string(r.size_gib);
  SK_RETURN_IF_ERROR(d.CreateVolume(vol, r.size_gib));
  const std::string mp = d.layout().InstancesDir() + "/i-busy/mnt/sdf";
  std::error_code ec;
  std::filesystem::create_directories(mp, ec);
  Status s = ec ? Internal("mkdir " + mp + ": " + ec.message()) : OkStatus();
  if (s.ok()) {
    auto loop = cloud::linuxhost::LoopDevice::Attach(d.VolumeFile(vol));
    Remember(g_volume_mount, g_volume_mounted, mp);
    s = loop.ok() ? cloud::linuxhost::MountFs(loop->device(), mp, "ext4", 0, "") : loop.status();
  }  // the loop device's descriptor closes: autoclear at the unmount
  if (s.ok()) s = Measure(d, cfg, vol, mp, r);
  Status u = cloud::linuxhost::Unmount(mp);
  if (u.ok()) {
    g_volume_mounted = 0;
    u = cloud::linuxhost::WaitForLoopRelease(d.VolumeFile(vol), std::chrono::seconds(10));
  }
  if (u.ok()) u = d.DeleteVolume(vol);
  return s.ok() ? u : s;
}

}  // namespace

void UndoBusyMounts() {
  if (g_volume_mounted) {
    if (g_capturing) {  // the volume may be frozen: thaw it, or it stays frozen when detached
      int fd = ::open(g_volume_mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd >= 0) ::ioctl(fd, FITHAW, 0), ::close(fd);
    }
    ::umount2(g_volume_mount, MNT_DETACH | UMOUNT_NOFOLLOW);
    g_volume_mounted = 0;
  }
  if (g_pool_mounted) {
    ::umount2(g_pool_mount, MNT_DETACH | UMOUNT_NOFOLLOW);
    g_pool_mounted = 0;
  }
}

BusyReport RunBusyVolume(const Config& cfg) {
  BusyReport report;
  if (::geteuid() != 0) {
    report.skipped =
        "needs root (loop devices, mounts, FIFREEZE); run it as root: "
        "sudo build/release/bench/snapshot [--phases 4]";
    return report;
  }
  cloud::LinuxHostDriverOptions options;
  options.data_dir = cfg.dir + "/cloud";
  options.pool.mode = cloud::linuxhost::PoolMode::kReflinkImage;
  const int largest = *std::max_element(cfg.busy_sizes_gib.begin(), cfg.busy_sizes_gib.end());
  options.pool.image_size_gib = 2 * largest + 8;  // the volume, its captures' changes, slack
  options.snapshot_threads = cfg.threads;
  options.reap_instances = false;
  const spdlog::level::level_enum level = spdlog::get_level();
  spdlog::set_level(spdlog::level::warn);  // the driver's info lines would interleave the report
  Remember(g_pool_mount, g_pool_mounted, options.data_dir + "/pool");
  auto driver = LinuxHostDriver::Create(options);
  if (!driver.ok()) {
    UndoBusyMounts();
    spdlog::set_level(level);
    report.skipped = "the Linux host driver: " + driver.status().ToString();
    return report;
  }
  LinuxHostDriver& d = **driver;
  report.setup = "pool " + d.pool().Describe() + "; ext4 volume (CreateVolume) on a loop device, " +
                 std::to_string(cfg.fill_mib) +
                 " MiB of data; writer: 4 KiB write + fdatasync in a loop; reference: the writer "
                 "alone for " +
                 std::to_string(cfg.busy_seconds) + " s, then " + std::to_string(cfg.captures) +
                 " CaptureSnapshot calls (syncfs, FIFREEZE, FICLONE, FITHAW) over " +
                 std::to_string(cfg.busy_seconds) + " s";
  Status s;
  for (int gib : cfg.busy_sizes_gib) {
    BusyResult r;
    r.size_gib = gib;
    s = MeasureSize(d, cfg, r).Annotate("phase 4, " + std::to_string(gib) + " GiB volume");
    if (!s.ok()) break;
    report.results.push_back(std::move(r));
  }
  Status destroyed = d.DestroyAll();
  if (destroyed.ok()) g_pool_mounted = 0;
  spdlog::set_level(level);
  Check(s, "phase 4");  // Die undoes what DestroyAll could not
  Check(destroyed, "phase 4 cleanup");
  return report;
}

void PrintBusyReport(const BusyReport& report) {
  std::printf(
      "\nphase 4: writer-blocked time of a snapshot of a busy mounted volume (goal <= 100 ms)\n");
  if (!report.skipped.empty()) {
    std::printf("phase 4 skipped: %s\n", report.skipped.c_str());
    return;
  }
  std::printf("%s\n", report.setup.c_str());
  std::printf("%-7s %8s  %-34s %-34s %-19s %-15s %s\n", "volume", "captures",
              "writer ms p50/p99/max alone (ref.)", "writer ms during captures",
              "blocked ms med/max", "/ 100 ms goal", "capture call ms med/max");
  for (const BusyResult& r : report.results) {
    char alone[64], during[64], blocked[64], goal[64], call[64];
    const double bmed = r.blocked_ms[r.blocked_ms.size() / 2], bmax = r.blocked_ms.back();
    std::snprintf(alone, sizeof alone, "%.1f / %.1f / %.1f (%zu writes)", r.without.p50,
                  r.without.p99, r.without.max, r.without.n);
    std::snprintf(during, sizeof during, "%.1f / %.1f / %.1f (%zu writes)", r.during.p50,
                  r.during.p99, r.during.max, r.during.n);
    std::snprintf(blocked, sizeof blocked, "%.1f / %.1f", bmed, bmax);
    std::snprintf(goal, sizeof goal, "%.2fx / %.2fx", bmed / 100, bmax / 100);
    std::snprintf(call, sizeof call, "%.1f / %.1f", r.capture_ms[r.capture_ms.size() / 2],
                  r.capture_ms.back());
    std::printf("%-7s %8zu  %-34s %-34s %-19s %-15s %s\n",
                (std::to_string(r.size_gib) + " GiB").c_str(), r.blocked_ms.size(), alone, during,
                blocked, goal, call);
  }
}

}  // namespace spotkeeper::bench
