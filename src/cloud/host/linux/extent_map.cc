#include "cloud/host/linux/extent_map.h"

#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "cloud/host/linux/unique_fd.h"

namespace spotkeeper::cloud::linuxhost {
namespace {

constexpr uint32_t kBatch = 512;  // extents per FIEMAP call

// Flags whose extents have no (stable, block-aligned) physical address to compare.
constexpr uint32_t kUnreliable = FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DELALLOC |
                                 FIEMAP_EXTENT_ENCODED | FIEMAP_EXTENT_DATA_ENCRYPTED |
                                 FIEMAP_EXTENT_NOT_ALIGNED | FIEMAP_EXTENT_DATA_INLINE |
                                 FIEMAP_EXTENT_DATA_TAIL;

// What one side holds over a segment that lies inside at most one of its extents.
struct Side {
  const FileExtent* extent = nullptr;  // nullptr: a hole
  bool Zero() const {
    return extent == nullptr ||
           ((extent->flags & FIEMAP_EXTENT_UNWRITTEN) && !(extent->flags & kUnreliable));
  }
  bool Reliable() const { return extent == nullptr || !(extent->flags & kUnreliable); }
  uint64_t PhysicalAt(uint64_t offset) const {
    return extent->physical + (offset - extent->logical);
  }
};

// Walks one sorted extent list alongside increasing offsets.
class Cursor {
 public:
  Cursor(const std::vector<FileExtent>& extents, uint64_t limit)
      : extents_(extents), limit_(limit) {}
  // The extent covering `offset`, if any; advances past extents that end at or before it.
  const FileExtent* At(uint64_t offset) {
    while (i_ < extents_.size() && extents_[i_].logical + extents_[i_].length <= offset) ++i_;
    if (i_ < extents_.size() && extents_[i_].logical <= offset && offset < limit_) {
      return &extents_[i_];
    }
    return nullptr;
  }
  // The next offset > `offset` where what covers it may change.
  uint64_t NextBoundary(uint64_t offset) const {
    if (offset >= limit_) return UINT64_MAX;  // beyond the limit: a hole to the end
    for (size_t j = i_; j < extents_.size(); ++j) {
      const FileExtent& e = extents_[j];
      if (e.logical > offset) return std::min(e.logical, limit_);
      if (e.logical + e.length > offset) return std::min(e.logical + e.length, limit_);
    }
    return limit_;
  }

 private:
  const std::vector<FileExtent>& extents_;
  uint64_t limit_;
  size_t i_ = 0;
};

void Append(std::vector<FileRange>& out, uint64_t offset, uint64_t length) {
  if (length == 0) return;
  if (!out.empty() && out.back().offset + out.back().length == offset) {
    out.back().length += length;
  } else {
    out.push_back({offset, length});
  }
}

}  // namespace

Result<std::vector<FileExtent>> ReadExtents(int fd) {
  const size_t bytes = sizeof(fiemap) + kBatch * sizeof(fiemap_extent);
  std::unique_ptr<uint64_t[]> storage(new uint64_t[(bytes + 7) / 8]);
  auto* fm = reinterpret_cast<fiemap*>(storage.get());
  std::vector<FileExtent> out;
  uint64_t pos = 0;
  bool first = true;
  for (;;) {
    std::memset(fm, 0, bytes);
    fm->fm_start = pos;
    fm->fm_length = FIEMAP_MAX_OFFSET - pos;
    fm->fm_flags = first ? FIEMAP_FLAG_SYNC : 0;
    fm->fm_extent_count = kBatch;
    if (ioctl(fd, FS_IOC_FIEMAP, fm) != 0) {
      if (errno == EOPNOTSUPP || errno == ENOTTY) {
        return FailedPrecondition("FIEMAP is not supported on this filesystem");
      }
      return Internal(std::string("FS_IOC_FIEMAP: ") + std::strerror(errno));
    }
    first = false;
    if (fm->fm_mapped_extents == 0) break;
    bool last = false;
    for (uint32_t i = 0; i < fm->fm_mapped_extents; ++i) {
      const fiemap_extent& e = fm->fm_extents[i];
      last = last || (e.fe_flags & FIEMAP_EXTENT_LAST);
      uint64_t start = e.fe_logical, len = e.fe_length;
      if (start + len <= pos) continue;  // already seen
      if (start < pos) {                 // overlaps what was seen: keep the new part
        uint64_t cut = pos - start;
        out.push_back({pos, e.fe_physical + cut, len - cut, e.fe_flags});
      } else {
        out.push_back({start, e.fe_physical, len, e.fe_flags});
      }
      pos = std::max(pos, start + len);
    }
    if (last) break;
  }
  return out;
}

std::vector<FileRange> ChangedRanges(const std::vector<FileExtent>& base, uint64_t base_size,
                                     const std::vector<FileExtent>& next, uint64_t next_size) {
  std::vector<FileRange> out;
  Cursor b(base, std::min(base_size, next_size)), n(next, next_size);
  uint64_t offset = 0;
  while (offset < next_size) {
    Side sb{b.At(offset)}, sn{n.At(offset)};
    const uint64_t end = std::min({b.NextBoundary(offset), n.NextBoundary(offset), next_size});
    bool unchanged;
    if (!sb.Reliable() || !sn.Reliable()) {
      unchanged = false;
    } else if (sb.Zero() && sn.Zero()) {
      unchanged = true;
    } else if (sb.Zero() || sn.Zero()) {
      unchanged = false;
    } else {
      unchanged = sb.PhysicalAt(offset) == sn.PhysicalAt(offset);
    }
    if (!unchanged) Append(out, offset, end - offset);
    offset = end;
  }
  return out;
}

Result<std::vector<FileRange>> ChangedRangesBetween(const std::string& base_path,
                                                    const std::string& next_path) {
  UniqueFd base(open(base_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!base.valid()) return NotFound("open " + base_path + ": " + std::strerror(errno));
  UniqueFd next(open(next_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!next.valid()) return NotFound("open " + next_path + ": " + std::strerror(errno));
  struct stat sb, sn;
  if (fstat(base.get(), &sb) != 0 || fstat(next.get(), &sn) != 0) {
    return Internal(std::string("fstat: ") + std::strerror(errno));
  }
  SK_ASSIGN_OR_RETURN(std::vector<FileExtent> be, ReadExtents(base.get()));
  SK_ASSIGN_OR_RETURN(std::vector<FileExtent> ne, ReadExtents(next.get()));
  return ChangedRanges(be, static_cast<uint64_t>(sb.st_size), ne,
                       static_cast<uint64_t>(sn.st_size));
}

uint64_t TotalLength(const std::vector<FileRange>& ranges) {
  uint64_t total = 0;
  for (const auto& r : ranges) total += r.length;
  return total;
}

}  // namespace spotkeeper::cloud::linuxhost
