// The default credential chain, in botocore's order: environment -> shared files (profile) ->
// IMDSv2 instance role. The first source with credentials wins; a source that has none (NotFound)
// passes to the next; any other error stops the chain (a named profile that does not exist must
// not silently fall through to an instance role).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "awsproto/credentials.h"
#include "awsproto/env_credentials_provider.h"
#include "awsproto/http_message.h"
#include "awsproto/imds_credentials_provider.h"

namespace spotkeeper::aws {

class CredentialsChain final : public CredentialsProvider {
 public:
  explicit CredentialsChain(std::vector<std::unique_ptr<CredentialsProvider>> providers);
  // Unauthenticated (cloud_code "NoCredentialProviders"), listing where it looked, when no
  // source has credentials.
  Result<Credentials> Get() override;

 private:
  std::vector<std::unique_ptr<CredentialsProvider>> providers_;
};

struct DefaultChainOptions {
  // Explicit profile: the environment keys are skipped (as botocore does for an explicit profile).
  std::string profile;
  EnvLookup env = ProcessEnv();
  // For IMDS; when null the chain has no IMDS step. Must outlive the chain.
  HttpClient* http = nullptr;
  const Clock* clock = SystemClock::Default();
  // Overridden by AWS_EC2_METADATA_SERVICE_ENDPOINT; AWS_EC2_METADATA_DISABLED=true drops IMDS.
  ImdsOptions imds;
};

std::unique_ptr<CredentialsProvider> MakeDefaultCredentialsChain(DefaultChainOptions options);

}  // namespace spotkeeper::aws
