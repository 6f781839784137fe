// Test helpers for the chunk store tests: a scratch directory and deterministic sparse images.
#pragma once

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace spotkeeper::cloud::snapshot::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = std::filesystem::temp_directory_path().string() + "/sk-snap-XXXXXX";
    path_ = ::mkdtemp(tmpl.data()) != nullptr ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Deterministic bytes: kind 0 random, 1 text-like (compressible), 2 zeros.
inline std::string Bytes(uint64_t seed, size_t n, int kind) {
  std::string out(n, '\0');
  if (kind == 2) return out;
  std::mt19937_64 rng(seed);
  if (kind == 0) {
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<char>(rng());
    return out;
  }
  static const char* kWords[] = {"volume ",  "snapshot ", "chunk ", "spot ", "instance ", "keeper ",
                                 "restore ", "the ",      "a ",     "of ",   "data\n"};
  size_t i = 0;
  while (i < n) {
    const char* w = kWords[rng() % 11];
    for (; *w != '\0' && i < n; ++w) out[i++] = *w;
  }
  return out;
}

// Writes `data` at `offset` of `path` (created when missing, never truncated).
inline void WriteAt(const std::string& path, uint64_t offset, const std::string& data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) std::abort();
  if (::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset)) !=
      static_cast<ssize_t>(data.size())) {
    std::abort();
  }
  ::close(fd);
}

inline void SetSize(const std::string& path, uint64_t size) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0 || ::ftruncate(fd, static_cast<off_t>(size)) != 0) std::abort();
  ::close(fd);
}

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline uint64_t AllocatedBytes(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_blocks) * 512 : 0;
}

}  // namespace spotkeeper::cloud::snapshot::testing
