// Credentials from the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and optionally
// AWS_SESSION_TOKEN.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "awsproto/credentials.h"

namespace spotkeeper::aws {

// Reads an environment variable; nullopt when unset. The default reads the process environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup ProcessEnv();

class EnvCredentialsProvider final : public CredentialsProvider {
 public:
  explicit EnvCredentialsProvider(EnvLookup env = ProcessEnv());
  // NotFound when AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is unset or empty.
  Result<Credentials> Get() override;

 private:
  EnvLookup env_;
};

}  // namespace spotkeeper::aws
