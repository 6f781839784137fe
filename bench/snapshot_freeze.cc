// bench/snapshot_freeze (root): how long a snapshot of a busy volume blocks its writers.
//
// For each volume size (default 4 and 16 GiB) on the driver's storage pool: a volume filled
// with --fill-mib of data and mounted on the host, a writer doing small fdatasync'd writes,
// first --seconds without snapshots (the reference), then --captures CaptureSnapshot calls.
// Prints the time writers were blocked (the freeze, from the capture's own measure), the whole
// capture call, and the writer's p50/p99/max latency without and during captures. Goal: blocked
// <= 100 ms whatever the size (the clone shares extents; only the freeze's flush costs).
//
//   sudo build/release/bench/snapshot_freeze [--sizes 4,16] [--captures 5] [--seconds 3]
//        [--fill-mib 512] [--data-dir DIR]
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cloud/host/linux/loop_devices.h"
#include "cloud/host/linux/mount_table.h"
#include "cloud/host/linux_host_driver.h"

namespace {

using namespace spotkeeper;
using namespace spotkeeper::cloud;
using Clock = std::chrono::steady_clock;

struct Write {
  Clock::time_point start, end;
};

// Small fdatasync'd writes over a 64 MiB file, until stopped.
class Writer {
 public:
  explicit Writer(const std::string& path) {
    fd_ = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    thread_ = std::thread([this] { Run(); });
  }
  ~Writer() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  std::vector<Write> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::move(writes_);
  }

 private:
  void Run() {
    std::vector<char> block(4096, 'w');
    for (uint64_t n = 0; !stop_; ++n) {
      Write w{Clock::now(), {}};
      if (pwrite(fd_, block.data(), block.size(), static_cast<off_t>((n % 16384) * 4096)) < 0 ||
          fdatasync(fd_) != 0) {
        std::perror("writer");
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
  std::thread thread_;
};

struct Lat {
  size_t n = 0;
  double p50 = 0, p99 = 0, max = 0;
};
Lat Latency(const std::vector<Write>& ws,
            const std::vector<std::pair<Clock::time_point, Clock::time_point>>& only) {
  std::vector<double> ms;
  for (const auto& w : ws) {
    bool in = only.empty();
    for (const auto& [a, b] : only) in = in || (w.end >= a && w.start <= b);
    if (in) ms.push_back(std::chrono::duration<double, std::milli>(w.end - w.start).count());
  }
  Lat l;
  l.n = ms.size();
  if (ms.empty()) return l;
  std::sort(ms.begin(), ms.end());
  l.p50 = ms[ms.size() / 2];
  l.p99 = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  l.max = ms.back();
  return l;
}

void WaitFor(std::chrono::milliseconds d) {  // a deadline wait; nothing signals it
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock<std::mutex> lock(mu);
  cv.wait_for(lock, d, [] { return false; });
}

int Run(const std::vector<int>& sizes, int captures, int seconds, int fill_mib,
        const std::string& data_dir) {
  LinuxHostDriverOptions options;
  options.data_dir = data_dir;
  auto driver = LinuxHostDriver::Create(options);
  if (!driver.ok()) {
    std::cerr << driver.status().ToString() << "\n";
    return 1;
  }
  auto& d = **driver;
  std::printf("pool: %s\n", d.pool().Describe().c_str());
  std::printf("%-8s %-10s %-22s %-22s %-26s %-26s\n", "size", "captures", "blocked ms (med/max)",
              "capture ms (med/max)", "writes w/o p50/p99/max", "writes during p50/p99/max");
  int rc = 0;
  for (int gib : sizes) {
    const std::string vol = "vol-bench-" + std::to_string(gib);
    Status s = d.CreateVolume(vol, gib);
    const std::string mp = d.layout().InstancesDir() + "/i-bench/mnt/sdf";
    std::filesystem::create_directories(mp);
    if (s.ok()) {
      auto loop = linuxhost::LoopDevice::Attach(d.VolumeFile(vol));
      s = loop.ok() ? linuxhost::MountFs(loop->device(), mp, "ext4", 0, "") : loop.status();
    }
    if (!s.ok()) {
      std::cerr << s.ToString() << "\n";
      rc = 1;
      break;
    }
    {  // data, so the volume is not mostly holes
      std::vector<char> mib(1 << 20);
      int fd = open((mp + "/fill").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      for (int i = 0; i < fill_mib; ++i) {
        std::memset(mib.data(), 'a' + i % 26, mib.size());
        if (write(fd, mib.data(), mib.size()) < 0) break;
      }
      fsync(fd);
      close(fd);
    }
    std::vector<double> blocked, total;
    Lat without, during;
    {
      Writer writer(mp + "/busy");
      WaitFor(std::chrono::seconds(seconds));
      without = Latency(writer.Take(), {});
      std::vector<std::pair<Clock::time_point, Clock::time_point>> windows;
      for (int i = 0; i < captures; ++i) {
        const std::string snap = "snap-bench-" + std::to_string(gib) + "-" + std::to_string(i);
        auto t0 = Clock::now();
        Status c = d.CaptureSnapshot(snap, vol);
        auto t1 = Clock::now();
        windows.push_back({t0, t1});
        auto info = d.ReadCaptureInfo(snap);
        if (!c.ok() || !info.ok()) {
          std::cerr << c.ToString() << " " << info.status().ToString() << "\n";
          rc = 1;
          break;
        }
        blocked.push_back(info->blocked_us / 1000.0);
        total.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        (void)d.DeleteSnapshot(snap);
        WaitFor(std::chrono::milliseconds(seconds * 1000 / std::max(1, captures)));
      }
      during = Latency(writer.Take(), windows);
    }
    (void)linuxhost::Unmount(mp);
    (void)linuxhost::WaitForLoopRelease(d.VolumeFile(vol), std::chrono::seconds(10));
    (void)d.DeleteVolume(vol);
    if (blocked.empty()) break;
    std::sort(blocked.begin(), blocked.end());
    std::sort(total.begin(), total.end());
    char b[64], t[64], w[64], x[64];
    std::snprintf(b, sizeof b, "%.1f / %.1f", blocked[blocked.size() / 2], blocked.back());
    std::snprintf(t, sizeof t, "%.1f / %.1f", total[total.size() / 2], total.back());
    std::snprintf(w, sizeof w, "%.1f / %.1f / %.1f", without.p50, without.p99, without.max);
    std::snprintf(x, sizeof x, "%.1f / %.1f / %.1f", during.p50, during.p99, during.max);
    std::printf("%-8s %-10zu %-22s %-22s %-26s %-26s\n", (std::to_string(gib) + " GiB").c_str(),
                blocked.size(), b, t, w, x);
  }
  Status s = d.DestroyAll();
  if (!s.ok()) std::cerr << s.ToString() << "\n";
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes = {4, 16};
  int captures = 5, seconds = 3, fill_mib = 512;
  std::string data_dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--sizes") {
      sizes.clear();
      std::stringstream ss(v);
      for (std::string p; std::getline(ss, p, ',');) sizes.push_back(std::stoi(p));
    } else if (a == "--captures") {
      captures = std::stoi(v);
    } else if (a == "--seconds") {
      seconds = std::stoi(v);
    } else if (a == "--fill-mib") {
      fill_mib = std::stoi(v);
    } else if (a == "--data-dir") {
      data_dir = v;
    } else {
      std::cerr << "unknown option " << a << "\n";
      return 2;
    }
  }
  bool made = false;
  if (data_dir.empty()) {
    std::string tmpl = "/var/tmp/sk-freeze-bench-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) return 1;
    data_dir = tmpl;
    made = true;
  }
  int rc = Run(sizes, captures, seconds, fill_mib, data_dir);
  if (made) std::filesystem::remove_all(data_dir);
  return rc;
}
