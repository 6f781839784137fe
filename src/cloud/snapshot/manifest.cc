#include "cloud/snapshot/manifest.h"

#include <cstring>
#include <nlohmann/json.hpp>

namespace spotkeeper::cloud::snapshot {
namespace {

constexpr char kMagic[] = "SKMANIF1";
constexpr size_t kEntrySize = 40;

template <typename T>
void Append(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);  // little-endian hosts
}
template <typename T>
T Get(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace

std::string EncodeManifest(const Manifest& m) {
  nlohmann::json j = {
      {"id", m.info.id},
      {"image_size", m.info.image_size},
      {"chunk_size", m.chunk_size},
      {"chunks", m.info.chunks},
      {"bytes_read", m.info.bytes_read},
      {"new_chunks", m.info.new_chunks},
      {"new_bytes", m.info.new_bytes},
      {"created_unix_ms", m.info.created_unix_ms},
      {"parent_id", m.info.parent_id},
      {"labels", m.info.labels},
  };
  const std::string header = j.dump();
  std::string out;
  out.reserve(8 + 4 + header.size() + 8 + m.entries.size() * kEntrySize + 8);
  out.append(kMagic, 8);
  Append<uint32_t>(out, static_cast<uint32_t>(header.size()));
  out += header;
  Append<uint64_t>(out, m.entries.size());
  for (const ManifestEntry& e : m.entries) {
    Append<uint64_t>(out, e.index);
    out.append(reinterpret_cast<const char*>(e.hash.bytes.data()), 32);
  }
  Append<uint64_t>(out, Checksum64(out.data(), out.size()));
  return out;
}

Result<Manifest> DecodeManifest(const std::string& data) {
  if (data.size() < 8 + 4 + 8 + 8 || std::memcmp(data.data(), kMagic, 8) != 0) {
    return FailedPrecondition("not a snapshot manifest");
  }
  if (Get<uint64_t>(data.data() + data.size() - 8) != Checksum64(data.data(), data.size() - 8)) {
    return FailedPrecondition("manifest checksum mismatch (torn or damaged)");
  }
  const uint32_t header_len = Get<uint32_t>(data.data() + 8);
  if (12 + uint64_t{header_len} + 16 > data.size()) return FailedPrecondition("manifest too short");
  Manifest m;
  nlohmann::json j = nlohmann::json::parse(data.begin() + 12, data.begin() + 12 + header_len,
                                           nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return FailedPrecondition("manifest header is not JSON");
  try {
    m.info.id = j.at("id").get<std::string>();
    m.info.image_size = j.at("image_size").get<uint64_t>();
    m.chunk_size = j.at("chunk_size").get<uint32_t>();
    m.info.chunks = j.at("chunks").get<uint64_t>();
    m.info.bytes_read = j.at("bytes_read").get<uint64_t>();
    m.info.new_chunks = j.at("new_chunks").get<uint64_t>();
    m.info.new_bytes = j.at("new_bytes").get<uint64_t>();
    m.info.created_unix_ms = j.at("created_unix_ms").get<int64_t>();
    m.info.parent_id = j.at("parent_id").get<std::string>();
    m.info.labels = j.at("labels").get<std::map<std::string, std::string>>();
  } catch (const nlohmann::json::exception& e) {
    return FailedPrecondition(std::string("manifest header: ") + e.what());
  }
  const char* p = data.data() + 12 + header_len;
  const uint64_t count = Get<uint64_t>(p);
  p += 8;
  if (count != (data.size() - 12 - header_len - 16) / kEntrySize ||
      12 + header_len + 16 + count * kEntrySize != data.size()) {
    return FailedPrecondition("manifest entry count does not match its length");
  }
  if (m.chunk_size == 0) return FailedPrecondition("manifest chunk size is 0");
  const uint64_t chunk_count = (m.info.image_size + m.chunk_size - 1) / m.chunk_size;
  m.entries.resize(count);
  for (uint64_t i = 0; i < count; ++i) {
    m.entries[i].index = Get<uint64_t>(p);
    std::memcpy(m.entries[i].hash.bytes.data(), p + 8, 32);
    p += kEntrySize;
    if (m.entries[i].index >= chunk_count ||
        (i > 0 && m.entries[i].index <= m.entries[i - 1].index)) {
      return FailedPrecondition("manifest entries out of order or range");
    }
  }
  if (m.info.chunks != count) return FailedPrecondition("manifest chunk count mismatch");
  return m;
}

}  // namespace spotkeeper::cloud::snapshot
