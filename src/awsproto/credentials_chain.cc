#include "awsproto/credentials_chain.h"

#include <algorithm>

#include "awsproto/profile_credentials_provider.h"

namespace spotkeeper::aws {

CredentialsChain::CredentialsChain(std::vector<std::unique_ptr<CredentialsProvider>> providers)
    : providers_(std::move(providers)) {}

Result<Credentials> CredentialsChain::Get() {
  std::string looked;
  for (const auto& p : providers_) {
    Result<Credentials> c = p->Get();
    if (c.ok()) return c;
    if (c.status().code() != Code::kNotFound) return c.status();
    looked += (looked.empty() ? "" : "; ") + c.status().message();
  }
  return Status(Code::kUnauthenticated, "no AWS credentials found: " + looked,
                "NoCredentialProviders");
}

std::unique_ptr<CredentialsProvider> MakeDefaultCredentialsChain(DefaultChainOptions options) {
  std::vector<std::unique_ptr<CredentialsProvider>> providers;
  if (options.profile.empty()) {
    providers.push_back(std::make_unique<EnvCredentialsProvider>(options.env));
  }
  providers.push_back(std::make_unique<ProfileCredentialsProvider>(options.profile, options.env));
  std::string disabled = options.env("AWS_EC2_METADATA_DISABLED").value_or("");
  std::transform(disabled.begin(), disabled.end(), disabled.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (options.http != nullptr && disabled != "true") {
    if (auto ep = options.env("AWS_EC2_METADATA_SERVICE_ENDPOINT"); ep && !ep->empty()) {
      options.imds.endpoint = *ep;
    }
    providers.push_back(
        std::make_unique<ImdsCredentialsProvider>(options.http, options.clock, options.imds));
  }
  return std::make_unique<CredentialsChain>(std::move(providers));
}

}  // namespace spotkeeper::aws
