#include "cloud/api/access_keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/durable_file.h"
#include "common/secure_random.h"

namespace spotkeeper::cloud {

std::string AccessKeyPath(const std::string& data_dir) { return data_dir + "/credentials.json"; }

Result<AccessKey> LoadAccessKey(const std::string& data_dir) {
  std::ifstream in(AccessKeyPath(data_dir));
  if (!in) return NotFound("no access key in " + data_dir + " (has the cloud been started?)");
  std::stringstream buf;
  buf << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(buf.str(), nullptr, false);
  if (!j.is_object() || !j.contains("accessKeyId") || !j.contains("secretAccessKey") ||
      !j["accessKeyId"].is_string() || !j["secretAccessKey"].is_string()) {
    return FailedPrecondition(AccessKeyPath(data_dir) + " is not a credentials file");
  }
  return AccessKey{j["accessKeyId"].get<std::string>(), j["secretAccessKey"].get<std::string>()};
}

Result<AccessKey> LoadOrCreateAccessKey(const std::string& data_dir) {
  auto existing = LoadAccessKey(data_dir);
  if (existing.ok() || existing.status().code() != Code::kNotFound) return existing;
  // The secret is a real secret: from the kernel's CSPRNG, like EC2's.
  SK_ASSIGN_OR_RETURN(std::string id, SecureRandomString(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"));
  SK_ASSIGN_OR_RETURN(
      std::string secret,
      SecureRandomString(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"));
  AccessKey key{"AKIA" + id, secret};
  std::string body =
      nlohmann::json{{"accessKeyId", key.access_key_id}, {"secretAccessKey", key.secret_access_key}}
          .dump(2) +
      "\n";
  // Durable before anyone is handed the key: a power loss must not bring back a cloud whose
  // credentials file is missing or empty while clients hold the key.
  Status written = WriteFileDurably(AccessKeyPath(data_dir), body, 0600);
  if (!written.ok()) return written;
  return key;
}

}  // namespace spotkeeper::cloud
