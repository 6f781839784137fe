// Change tracking between two clones of one volume file, from their physical extents (FIEMAP).
//
// A capture and the base it is compared with are both FICLONEs of the same volume file, taken at
// different times. While a block is unwritten since the base was taken, the volume, the base and
// every later clone share it: the same logical offset maps to the same physical block in both.
// A write to the volume copies the block first (copy on write), so a later capture maps that
// offset elsewhere. Hence, per logical range:
//   both read as zeros (hole or UNWRITTEN extent)            → unchanged
//   both mapped, same physical address, both written         → unchanged (shared by reflink)
//   anything else (one side only, other address, an extent whose address is not reliable:
//   DELALLOC, UNKNOWN, ENCODED, INLINE, NOT_ALIGNED, ...)    → changed
// The comparison is only as good as the filesystem's copy on write: it holds for reflink
// filesystems (XFS, btrfs) and for files nobody writes in place (the driver never writes the
// base or the capture).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace spotkeeper::cloud::linuxhost {

struct FileExtent {
  uint64_t logical = 0;   // byte offset in the file
  uint64_t physical = 0;  // byte address on the device
  uint64_t length = 0;
  uint32_t flags = 0;  // FIEMAP_EXTENT_*
};

struct FileRange {
  uint64_t offset = 0;
  uint64_t length = 0;
  bool operator==(const FileRange&) const = default;
};

// Every extent of the open file (FS_IOC_FIEMAP with FIEMAP_FLAG_SYNC: dirty pages are written
// and delayed allocations resolved first), in logical order.
Result<std::vector<FileExtent>> ReadExtents(int fd);

// The ranges of [0, next_size) in which `next` may differ from `base` (rules above), merged and
// in order. Base extents beyond `base_size` are ignored (the base reads as zeros there).
std::vector<FileRange> ChangedRanges(const std::vector<FileExtent>& base, uint64_t base_size,
                                     const std::vector<FileExtent>& next, uint64_t next_size);

// ReadExtents of both files, then ChangedRanges.
Result<std::vector<FileRange>> ChangedRangesBetween(const std::string& base_path,
                                                    const std::string& next_path);

uint64_t TotalLength(const std::vector<FileRange>& ranges);

}  // namespace spotkeeper::cloud::linuxhost
