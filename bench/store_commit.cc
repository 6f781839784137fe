// The store's commit cost with SQLite's synchronous=NORMAL (the reference: a commit survives a
// process crash, a power loss may lose the last few) beside synchronous=FULL (every commit is
// fsync'd to the WAL before it returns), both in WAL mode, in one invocation on the same
// filesystem. Each transaction is shaped like the controller's: one event row appended and one
// SSI row rewritten (~1 KiB of JSON).
//   build/release/bench/store_commit [--commits N] [--dir DIR]
// DIR (default: a new directory under the build's working directory) must be on the disk the
// server's data dir will use: tmpfs makes fsync free and the comparison meaningless.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "store/sqlite_db.h"

namespace {

using spotkeeper::SqliteDb;
using Clock = std::chrono::steady_clock;

struct Figures {
  double mean_us = 0;
  double p50_us = 0;
  double p99_us = 0;
};

Figures Run(const std::string& path, const char* synchronous, int commits) {
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  auto db = SqliteDb::Open(path);
  if (!db.ok()) {
    std::fprintf(stderr, "open %s: %s\n", path.c_str(), db.status().ToString().c_str());
    std::exit(1);
  }
  auto check = [](const spotkeeper::Status& s) {
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      std::exit(1);
    }
  };
  check((*db)->Exec(std::string("PRAGMA synchronous = ") + synchronous));
  check((*db)->Exec(
      "CREATE TABLE events (seq INTEGER PRIMARY KEY, at INTEGER, group_id TEXT, ssi_id TEXT,"
      " actor TEXT, kind TEXT, message TEXT);"
      "CREATE TABLE ssis (id TEXT PRIMARY KEY, state TEXT, status_json TEXT, updated_at INTEGER);"
      "INSERT INTO ssis VALUES ('ssi-1', 'ACTIVE', '{}', 0);"));
  const std::string status(900, 'x');
  std::vector<double> us;
  us.reserve(static_cast<size_t>(commits));
  for (int i = 0; i < commits; ++i) {
    auto start = Clock::now();
    check((*db)->Exec("BEGIN IMMEDIATE"));
    {
      auto ins = (*db)->Prepare(
          "INSERT INTO events (at, group_id, ssi_id, actor, kind, message)"
          " VALUES (?1, 'g-1', 'ssi-1', 'controller', 'StepDone', ?2)");
      check(ins.status());
      ins->Bind(1, static_cast<int64_t>(i));
      ins->Bind(2, "step " + std::to_string(i) + " of workflow wf-1 done");
      check(ins->Run());
    }
    {
      auto up =
          (*db)->Prepare("UPDATE ssis SET status_json = ?1, updated_at = ?2 WHERE id = 'ssi-1'");
      check(up.status());
      up->Bind(1, status + std::to_string(i));
      up->Bind(2, static_cast<int64_t>(i));
      check(up->Run());
    }
    check((*db)->Exec("COMMIT"));
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  Figures f;
  for (double x : us) f.mean_us += x;
  f.mean_us /= static_cast<double>(us.size());
  std::sort(us.begin(), us.end());
  f.p50_us = us[us.size() / 2];
  f.p99_us = us[std::min(us.size() - 1, us.size() * 99 / 100)];
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  int commits = 2000;
  std::string dir;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--commits" && i + 1 < argc) {
      commits = std::max(10, std::atoi(argv[++i]));
    } else if (a == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--commits N] [--dir DIR]\n", argv[0]);
      return 2;
    }
  }
  const bool own_dir = dir.empty();
  if (own_dir) dir = "store-commit-bench-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/bench.db";
  // Interleaved rounds, so that a change of load on the machine hits both settings alike.
  Figures normal, full;
  const int rounds = 4;
  for (int r = 0; r < rounds; ++r) {
    Figures n = Run(path, "NORMAL", commits / rounds);
    Figures f = Run(path, "FULL", commits / rounds);
    normal.mean_us += n.mean_us / rounds;
    normal.p50_us += n.p50_us / rounds;
    normal.p99_us += n.p99_us / rounds;
    full.mean_us += f.mean_us / rounds;
    full.p50_us += f.p50_us / rounds;
    full.p99_us += f.p99_us / rounds;
  }
  if (own_dir) std::filesystem::remove_all(dir);
  std::printf("store commit, WAL mode, %d commits per setting, dir %s\n", commits, dir.c_str());
  std::printf("%-22s %10s %10s %10s %14s\n", "synchronous", "mean us", "p50 us", "p99 us",
              "commits/s");
  std::printf("%-22s %10.0f %10.0f %10.0f %14.0f\n", "NORMAL (reference)", normal.mean_us,
              normal.p50_us, normal.p99_us, 1e6 / normal.mean_us);
  std::printf("%-22s %10.0f %10.0f %10.0f %14.0f\n", "FULL", full.mean_us, full.p50_us, full.p99_us,
              1e6 / full.mean_us);
  std::printf("FULL / NORMAL mean commit time: %.2fx\n", full.mean_us / normal.mean_us);
  return 0;
}
