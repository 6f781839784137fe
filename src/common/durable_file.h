// Files that must survive a crash or power loss once written: the content goes to a temporary
// file that is fsync'd, renamed over the target, and the directory is fsync'd so the rename
// itself is on disk (without that, ext4 and XFS may come back after a power loss with the old
// file, or none, under the name). See docs/hardening.md ("Durable files").
#pragma once

#include <sys/types.h>

#include <string>

#include "common/status.h"

namespace spotkeeper {

// fsync(2) of a directory: makes the creations, renames and removals of entries in it durable.
Status FsyncDirectory(const std::string& dir);

// The directory part of `path` ("." when it has none).
std::string DirectoryOf(const std::string& path);

// `path` holds `text` completely, with permissions `mode`, or is unchanged: "<path>.tmp" is
// written, fsync'd and renamed over `path`, then the directory is fsync'd. Unavailable (naming
// the path and the system's reason) when any step fails; the temporary file is removed then.
Status WriteFileDurably(const std::string& path, const std::string& text, mode_t mode);

}  // namespace spotkeeper
