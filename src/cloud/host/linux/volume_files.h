// Volume image files: sparse files formatted as ext4, and copies of them (FICLONE when the
// pool's filesystem can share extents, else a copy that keeps holes as holes).
#pragma once

#include <cstdint>
#include <string>

#include "cloud/host/linux/host_tools.h"
#include "common/status.h"

namespace spotkeeper::cloud::linuxhost {

enum class CloneMethod {
  kReflink,     // FICLONE: instant, shares extents until written
  kSparseCopy,  // SEEK_DATA/SEEK_HOLE copy of the data extents only
};
const char* CloneMethodName(CloneMethod m);

inline constexpr int64_t kGiB = int64_t{1} << 30;

// Makes `path` (which must not exist yet) a sparse file of `size_gib` GiB formatted as ext4.
// Written under "<path>.tmp" and renamed, so a crash never leaves an unformatted `path`.
Status CreateExt4Volume(const HostTools& tools, const std::string& path, int size_gib);

// Copies `source` to `dest` (which must not exist yet; ".tmp" then rename), growing the file
// and its ext4 filesystem when `size_gib` is larger than the source. Returns how it copied.
Result<CloneMethod> CloneExt4Volume(const HostTools& tools, const std::string& source,
                                    const std::string& dest, int size_gib);

// Grows the ext4 image file `path` (not mounted) to `size_bytes` and its filesystem with it
// (e2fsck -f -p, then resize2fs). No-op when it is that large already.
Status GrowExt4Image(const HostTools& tools, const std::string& path, int64_t size_bytes);

// fsync `tmp`, rename it to `path`, fsync the directory: `path` is complete or absent.
Status PublishFile(const std::string& tmp, const std::string& path);

// Copies file contents `from` → `to` (both open): FICLONE if possible, else sparse copy.
Result<CloneMethod> CloneFileContents(int from_fd, int to_fd);

// Whether files in `dir` can be reflinked (tries FICLONE on two scratch files).
bool SupportsReflink(const std::string& dir);

}  // namespace spotkeeper::cloud::linuxhost
