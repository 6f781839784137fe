#include "cli/cloud_snapshot_command.h"

#include <ctime>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <set>

#include "cloud/snapshot/chunk_store.h"

namespace spotkeeper::cli {
namespace {

using cloud::snapshot::ChunkStore;

int Fail(const std::string& message) {
  std::cerr << "spotkeeper cloud snapshot: " << message << "\n";
  return 1;
}

// The store the Linux host driver keeps (linux/pool_layout.h: <data dir>/snapshots).
Result<std::unique_ptr<ChunkStore>> OpenStore(const std::string& data_dir) {
  const std::string dir = data_dir + "/snapshots";
  if (!std::filesystem::is_directory(dir)) return NotFound("no snapshot store in " + dir);
  cloud::snapshot::ChunkStoreOptions options;
  options.dir = dir;
  return ChunkStore::Open(std::move(options));
}

std::string Time(int64_t unix_ms) {
  std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

int List(const std::string& data_dir) {
  auto store = OpenStore(data_dir);
  if (!store.ok()) return Fail(store.status().ToString());
  auto list = (*store)->List();
  if (!list.ok()) return Fail(list.status().ToString());
  std::cout << std::left << std::setw(24) << "SNAPSHOT" << std::setw(24) << "VOLUME"
            << std::setw(12) << "SIZE(GiB)" << std::setw(10) << "CHUNKS" << std::setw(24)
            << "PARENT"
            << "CREATED\n";
  for (const auto& s : *list) {
    auto vol = s.labels.find("volume_id");
    std::cout << std::left << std::setw(24) << s.id << std::setw(24)
              << (vol == s.labels.end() ? "-" : vol->second) << std::setw(12)
              << std::to_string(s.image_size >> 30) << std::setw(10) << s.chunks << std::setw(24)
              << (s.parent_id.empty() ? "-" : s.parent_id) << Time(s.created_unix_ms) << "\n";
  }
  return 0;
}

int Verify(const std::string& data_dir, const std::string& snapshot_id) {
  auto store = OpenStore(data_dir);
  if (!store.ok()) return Fail(store.status().ToString());
  auto report = (*store)->Verify(snapshot_id);
  if (!report.ok()) return Fail(report.status().ToString());
  std::cout << "checked " << report->chunks_checked << " chunks (" << report->bytes_checked
            << " bytes) of " << (snapshot_id.empty() ? "every snapshot" : snapshot_id) << "\n";
  if (report->ok()) {
    std::cout << "OK: no damage\n";
    return 0;
  }
  for (const auto& pack : report->damaged_packs) std::cout << "damaged pack: " << pack << "\n";
  for (const auto& s : report->damaged_snapshots) {
    std::cout << "affected snapshot: " << s << "\n";
  }
  std::cerr << "spotkeeper cloud snapshot verify: " << report->damaged_packs.size()
            << " damaged pack(s), " << report->damaged_snapshots.size()
            << " snapshot(s) cannot be restored whole\n";
  return 1;
}

}  // namespace

void AddCloudSnapshotCommand(CLI::App& cloud, std::shared_ptr<std::string> data_dir,
                             int* exit_code) {
  auto* cmd = cloud.add_subcommand(
      "snapshot", "The cloud's stored snapshots (the chunk store in <data dir>/snapshots).");
  cmd->require_subcommand(1);

  auto* list = cmd->add_subcommand("list", "List stored snapshots.");
  list->add_option("--data-dir", *data_dir, "The cloud's data directory")->capture_default_str();
  list->callback([=] { *exit_code = List(*data_dir); });

  auto* verify = cmd->add_subcommand(
      "verify",
      "Re-read and re-hash the chunks of one snapshot (or of all): names damaged packs and the "
      "snapshots they affect; exit 1 when anything is damaged.");
  auto id = std::make_shared<std::string>();
  verify->add_option("ID", *id, "Snapshot id (default: every chunk in the store)");
  verify->add_option("--data-dir", *data_dir, "The cloud's data directory")->capture_default_str();
  verify->callback([=] { *exit_code = Verify(*data_dir, *id); });
}

}  // namespace spotkeeper::cli
