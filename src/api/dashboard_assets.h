// The dashboard's files (web/ in the source tree), embedded in the binary at build time by
// cmake/embed_files.cmake: nothing is read from disk or the network when they are served.
#pragma once

#include <span>
#include <string_view>

namespace spotkeeper::api {

struct DashboardAsset {
  std::string_view name;          // relative to web/: "index.html", "app.js"
  std::string_view content_type;  // from the extension
  std::string_view body;
};

std::span<const DashboardAsset> DashboardAssets();

}  // namespace spotkeeper::api
