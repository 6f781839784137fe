// Manifest: what a committed snapshot is — the image size, its metadata, and the hash of every
// chunk that is not zero (chunks absent from `entries` are holes). Encoded as "SKMANIF1", a JSON
// header (u32 length + text), the entry count (u64), 40-byte entries (chunk index u64, SHA-256),
// and a Checksum64 of everything before it, so a torn or damaged manifest is never taken for a
// snapshot. Committed with PublishFile (temp, fsync, rename, fsync of the directory).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cloud/snapshot/chunk_hash.h"
#include "cloud/snapshot/chunk_store.h"

namespace spotkeeper::cloud::snapshot {

struct ManifestEntry {
  uint64_t index = 0;  // chunk number: bytes [index * chunk_size, ...)
  ChunkHash hash;
};

struct Manifest {
  SnapshotInfo info;
  uint32_t chunk_size = 0;
  std::vector<ManifestEntry> entries;  // ascending index, no duplicates
};

std::string EncodeManifest(const Manifest& m);
// FailedPrecondition for a torn, damaged or inconsistent manifest.
Result<Manifest> DecodeManifest(const std::string& data);

}  // namespace spotkeeper::cloud::snapshot
