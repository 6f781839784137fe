// The local cloud's access key: generated at first start and kept in <data dir>/credentials.json
// (mode 0600). Requests must be SigV4-signed with it.
#pragma once

#include <string>

#include "common/status.h"

namespace spotkeeper::cloud {

struct AccessKey {
  std::string access_key_id;      // "AKIA" + 16 characters
  std::string secret_access_key;  // 40 characters
};

// Reads the key from `data_dir`, or makes and stores one when there is none.
Result<AccessKey> LoadOrCreateAccessKey(const std::string& data_dir);
// Reads the key; NotFound when the cloud never started there.
Result<AccessKey> LoadAccessKey(const std::string& data_dir);
std::string AccessKeyPath(const std::string& data_dir);

}  // namespace spotkeeper::cloud
