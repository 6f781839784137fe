// AWS credentials and the providers that find them. Secrets never appear in logs or in Status
// messages: providers name where they looked, never what they found.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "common/time.h"

namespace spotkeeper::aws {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys
  Time expiration = kNever;   // temporary credentials expire
  std::string source;         // "env", "profile default", "imds role x": for logs
};

// Finds credentials. Implementations are thread-safe and cache what they can; Get() is called
// for every request, so it must be cheap when nothing changed.
class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // NotFound when this source has no credentials (the chain tries the next one); any other error
  // stops the chain.
  virtual Result<Credentials> Get() = 0;
};

// Fixed credentials (tests, the local cloud's embedded defaults).
class StaticCredentialsProvider final : public CredentialsProvider {
 public:
  explicit StaticCredentialsProvider(Credentials credentials);
  Result<Credentials> Get() override;

 private:
  Credentials credentials_;
};

}  // namespace spotkeeper::aws
