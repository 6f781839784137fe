#include "awsproto/env_credentials_provider.h"

#include <cstdlib>

namespace spotkeeper::aws {

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

EnvCredentialsProvider::EnvCredentialsProvider(EnvLookup env) : env_(std::move(env)) {}

Result<Credentials> EnvCredentialsProvider::Get() {
  Credentials c;
  c.access_key_id = env_("AWS_ACCESS_KEY_ID").value_or("");
  c.secret_access_key = env_("AWS_SECRET_ACCESS_KEY").value_or("");
  c.session_token = env_("AWS_SESSION_TOKEN").value_or("");
  c.source = "env";
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    return NotFound("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set");
  }
  return c;
}

}  // namespace spotkeeper::aws
