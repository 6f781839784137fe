// Waiting for a file to say something, without polling on a timer: inotify wakes the waiter
// whenever the file (or its directory, until the file exists) changes. For console logs.
#pragma once

#include <string>

#include "common/time.h"

namespace spotkeeper::cloud::linuxhost {

// True once the file at `path` contains `text`; false when `timeout` passes first.
bool WaitForFileToContain(const std::string& path, const std::string& text, Duration timeout);

}  // namespace spotkeeper::cloud::linuxhost
