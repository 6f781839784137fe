// bench/snapshot: the seeded volume images of phases 1-3 and what measures them.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "cloud/snapshot/chunk_hash.h"
#include "snapshot_bench.h"

namespace spotkeeper::bench {

using cloud::snapshot::ByteRange;

void FillText(Rng& rng, char* out, size_t n) {
  static std::vector<std::string> vocab = [] {
    Rng r{12345};
    std::vector<std::string> v;
    for (int i = 0; i < 4096; ++i) {
      std::string w(2 + r.Next() % 9, 'a');
      for (char& c : w) c = static_cast<char>('a' + r.Next() % 26);
      v.push_back(w + (r.Next() % 12 == 0 ? "\n" : " "));
    }
    return v;
  }();
  size_t i = 0;
  while (i < n) {
    const std::string& w = vocab[rng.Next() % vocab.size()];
    size_t k = std::min(w.size(), n - i);
    std::memcpy(out + i, w.data(), k);
    i += k;
  }
}

void FillRandom(Rng& rng, char* out, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v = rng.Next();
    std::memcpy(out + i, &v, 8);
  }
  for (; i < n; ++i) out[i] = static_cast<char>(rng.Next());
}

namespace {

void PwriteAll(int fd, const char* p, size_t n, uint64_t off) {
  while (n > 0) {
    ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(off));
    if (w <= 0) Die("pwrite: " + std::string(std::strerror(errno)));
    p += w, n -= static_cast<size_t>(w), off += static_cast<uint64_t>(w);
  }
}

}  // namespace

void MakeVolume(const std::string& path, uint64_t size, uint64_t data, uint64_t seed) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || ::ftruncate(fd, static_cast<off_t>(size)) != 0) Die("create " + path);
  const uint64_t extent = std::clamp<uint64_t>(data / 32, kMiB, 64 * kMiB);
  const uint64_t count = std::max<uint64_t>(1, data / extent);
  const uint64_t stride = size / count / kMiB * kMiB;
  Rng rng{seed * 0x9E3779B97F4A7C15ull + 1};
  std::vector<char> buf(4 * kMiB);
  for (uint64_t e = 0; e < count; ++e) {
    for (uint64_t done = 0; done < extent; done += buf.size()) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), extent - done));
      (e % 2 == 0 ? FillText : FillRandom)(rng, buf.data(), n);
      PwriteAll(fd, buf.data(), n, e * stride + done);
    }
  }
  if (::fsync(fd) != 0) Die("fsync " + path);
  ::close(fd);
}

std::vector<ByteRange> RewriteRandom(const std::string& path, uint64_t size, double fraction,
                                     uint64_t seed, std::vector<std::string>* undo) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) Die("open " + path);
  Rng rng{seed * 0xD1B54A32D192ED03ull + 7};
  const uint64_t writes = static_cast<uint64_t>(static_cast<double>(size) * fraction) / 4096;
  std::vector<ByteRange> ranges;
  char block[4096];
  for (uint64_t i = 0; i < writes; ++i) {
    const uint64_t off = rng.Next() % (size / 4096) * 4096;
    if (undo != nullptr) {
      std::string old(4096, '\0');
      if (::pread(fd, old.data(), 4096, static_cast<off_t>(off)) != 4096) Die("pread");
      undo->push_back(std::move(old));
    }
    FillRandom(rng, block, sizeof block);
    PwriteAll(fd, block, sizeof block, off);
    ranges.push_back(ByteRange{off, 4096});
  }
  if (::fsync(fd) != 0) Die("fsync " + path);
  ::close(fd);
  return ranges;
}

void Undo(const std::string& path, const std::vector<ByteRange>& ranges,
          const std::vector<std::string>& undo) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  for (size_t i = ranges.size(); i-- > 0;) {
    PwriteAll(fd, undo[i].data(), undo[i].size(), ranges[i].offset);
  }
  ::close(fd);
}

uint64_t TreeBytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec)) total += e.file_size(ec);
  }
  return total;
}

uint64_t AllocatedBytes(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_blocks) * 512 : 0;
}

std::string HashFile(const std::string& path) {
  cloud::snapshot::Sha256 sha;
  std::vector<char> buf(16 * kMiB);
  std::string digests;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  for (ssize_t n; (n = ::read(fd, buf.data(), buf.size())) > 0;) {
    digests += sha.Of(buf.data(), static_cast<size_t>(n)).Hex();
  }
  ::close(fd);
  return sha.Of(digests.data(), digests.size()).Hex();
}

}  // namespace spotkeeper::bench
