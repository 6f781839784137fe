// HaStatus: where this controller stands among several that share one etcd store (docs/ha.md).
#pragma once

#include <string>

namespace spotkeeper::api {

struct HaStatus {
  bool leader = true;       // a single controller (SQLite) always leads
  std::string leader_name;  // the leader's API URL as last seen ("" when unknown)
};

}  // namespace spotkeeper::api
