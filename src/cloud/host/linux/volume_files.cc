#include "cloud/host/linux/volume_files.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "cloud/host/linux/command_runner.h"
#include "cloud/host/linux/unique_fd.h"

namespace spotkeeper::cloud::linuxhost {
namespace {

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

Status CheckSize(int size_gib) {
  if (size_gib < 1 || size_gib > 16384) {
    return InvalidArgument("volume size must be 1..16384 GiB, got " + std::to_string(size_gib));
  }
  return OkStatus();
}

Status FsyncPath(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid() || fsync(fd.get()) != 0) return Internal(Errno("fsync " + path));
  return OkStatus();
}

std::string DirOf(const std::string& path) { return path.substr(0, path.find_last_of('/')); }

// rename + fsync of the directory: the file is either complete under its name or absent.
Status Publish(const std::string& tmp, const std::string& path) {
  SK_RETURN_IF_ERROR(FsyncPath(tmp));
  if (rename(tmp.c_str(), path.c_str()) != 0) return Internal(Errno("rename " + tmp));
  return FsyncPath(DirOf(path));
}

Status SparseCopy(int from_fd, int to_fd) {
  struct stat st;
  if (fstat(from_fd, &st) != 0) return Internal(Errno("fstat"));
  const off_t size = st.st_size;
  std::vector<char> buf(1 << 20);
  off_t pos = 0;
  while (pos < size) {
    off_t data = lseek(from_fd, pos, SEEK_DATA);
    if (data < 0) {
      if (errno == ENXIO) break;  // only a hole remains
      return Internal(Errno("SEEK_DATA"));
    }
    off_t hole = lseek(from_fd, data, SEEK_HOLE);
    if (hole < 0) return Internal(Errno("SEEK_HOLE"));
    for (off_t off = data; off < hole;) {
      size_t want = static_cast<size_t>(std::min<off_t>(hole - off, buf.size()));
      ssize_t n = pread(from_fd, buf.data(), want, off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Internal(Errno("pread"));
      for (ssize_t done = 0; done < n;) {
        ssize_t w = pwrite(to_fd, buf.data() + done, static_cast<size_t>(n - done), off + done);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return Internal(Errno("pwrite"));
        done += w;
      }
      off += n;
    }
    pos = hole;
  }
  if (ftruncate(to_fd, size) != 0) return Internal(Errno("ftruncate"));
  return OkStatus();
}

}  // namespace

const char* CloneMethodName(CloneMethod m) {
  return m == CloneMethod::kReflink ? "reflink" : "sparse-copy";
}

Status CreateExt4Volume(const HostTools& tools, const std::string& path, int size_gib) {
  SK_RETURN_IF_ERROR(CheckSize(size_gib));
  const std::string tmp = path + ".tmp";
  unlink(tmp.c_str());
  {
    UniqueFd fd(open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd.valid()) return Internal(Errno("create " + tmp));
    if (ftruncate(fd.get(), size_gib * kGiB) != 0) return Internal(Errno("ftruncate " + tmp));
  }
  // nodiscard: the file is sparse already; discarding it again only costs time.
  Result<std::string> mkfs = RunChecked({tools.mkfs_ext4, "-q", "-F", "-E", "nodiscard", tmp});
  if (!mkfs.ok()) {
    unlink(tmp.c_str());
    return mkfs.status();
  }
  Status s = Publish(tmp, path);
  if (!s.ok()) unlink(tmp.c_str());
  return s;
}

Status GrowExt4Image(const HostTools& tools, const std::string& path, int64_t size_bytes) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return Internal(Errno("stat " + path));
  if (st.st_size >= size_bytes) return OkStatus();
  if (truncate(path.c_str(), size_bytes) != 0) return Internal(Errno("truncate " + path));
  // resize2fs wants a freshly checked filesystem. e2fsck exits 1 when it fixed something.
  Result<CommandResult> fsck = RunCommand({.argv = {tools.e2fsck, "-f", "-p", path}});
  Status s = fsck.status();
  if (s.ok() && fsck->exit_code > 1) {
    s = Internal("e2fsck " + path + ": exit " + std::to_string(fsck->exit_code) + ": " + fsck->out +
                 fsck->err);
  }
  if (s.ok()) s = RunChecked({tools.resize2fs, "-f", path}).status();
  return s;
}

Status PublishFile(const std::string& tmp, const std::string& path) { return Publish(tmp, path); }

Result<CloneMethod> CloneFileContents(int from_fd, int to_fd) {
  if (ioctl(to_fd, FICLONE, from_fd) == 0) return CloneMethod::kReflink;
  // EOPNOTSUPP / EINVAL / EXDEV / ENOTTY: no shared extents here; copy.
  SK_RETURN_IF_ERROR(SparseCopy(from_fd, to_fd));
  return CloneMethod::kSparseCopy;
}

Result<CloneMethod> CloneExt4Volume(const HostTools& tools, const std::string& source,
                                    const std::string& dest, int size_gib) {
  SK_RETURN_IF_ERROR(CheckSize(size_gib));
  UniqueFd from(open(source.c_str(), O_RDONLY | O_CLOEXEC));
  if (!from.valid()) return NotFound(Errno("open " + source));
  struct stat st;
  if (fstat(from.get(), &st) != 0) return Internal(Errno("fstat " + source));
  const int64_t want = size_gib * kGiB;
  if (want < st.st_size) {
    return InvalidArgument("volume size " + std::to_string(size_gib) +
                           " GiB is smaller than its source (" + std::to_string(st.st_size) +
                           " bytes)");
  }
  const std::string tmp = dest + ".tmp";
  unlink(tmp.c_str());
  CloneMethod method;
  {
    UniqueFd to(open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!to.valid()) return Internal(Errno("create " + tmp));
    Result<CloneMethod> copied = CloneFileContents(from.get(), to.get());
    if (!copied.ok()) {
      unlink(tmp.c_str());
      return copied.status();
    }
    method = *copied;
  }
  if (want > st.st_size) {
    Status s = GrowExt4Image(tools, tmp, want);
    if (!s.ok()) {
      unlink(tmp.c_str());
      return s;
    }
  }
  Status s = Publish(tmp, dest);
  if (!s.ok()) {
    unlink(tmp.c_str());
    return s;
  }
  return method;
}

bool SupportsReflink(const std::string& dir) {
  const std::string a = dir + "/.reflink-probe-a", b = dir + "/.reflink-probe-b";
  bool ok = false;
  {
    UniqueFd fa(open(a.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    UniqueFd fb(open(b.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    std::vector<char> block(4096, 'x');
    if (fa.valid() && fb.valid() &&
        write(fa.get(), block.data(), block.size()) == static_cast<ssize_t>(block.size())) {
      ok = ioctl(fb.get(), FICLONE, fa.get()) == 0;
    }
  }
  unlink(a.c_str());
  unlink(b.c_str());
  return ok;
}

}  // namespace spotkeeper::cloud::linuxhost
