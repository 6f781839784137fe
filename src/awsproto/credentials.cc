#include "awsproto/credentials.h"

namespace spotkeeper::aws {

StaticCredentialsProvider::StaticCredentialsProvider(Credentials credentials)
    : credentials_(std::move(credentials)) {
  if (credentials_.source.empty()) credentials_.source = "static";
}

Result<Credentials> StaticCredentialsProvider::Get() {
  if (credentials_.access_key_id.empty() || credentials_.secret_access_key.empty()) {
    return NotFound("static credentials are empty");
  }
  return credentials_;
}

}  // namespace spotkeeper::aws
