// Credentials from the shared files: ~/.aws/credentials ([name] sections) and ~/.aws/config
// ([profile name] sections, [default]). Paths from AWS_SHARED_CREDENTIALS_FILE and
// AWS_CONFIG_FILE; profile from the explicit option, else AWS_PROFILE, else "default".
// Keys read: aws_access_key_id, aws_secret_access_key, aws_session_token; the credentials file
// wins over the config file for the same profile. (Role assumption, SSO and credential_process
// are not supported: such a profile yields NotFound with a message saying so.)
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "awsproto/credentials.h"
#include "awsproto/env_credentials_provider.h"

namespace spotkeeper::aws {

// section name -> key -> value, from INI text. Comments (# and ;) and blank lines are skipped;
// keys and section names are trimmed; a line "key =" has an empty value.
using IniFile = std::map<std::string, std::map<std::string, std::string>>;
IniFile ParseIni(const std::string& text);

class ProfileCredentialsProvider final : public CredentialsProvider {
 public:
  // `profile` empty: AWS_PROFILE, else "default".
  explicit ProfileCredentialsProvider(std::string profile = "", EnvLookup env = ProcessEnv());
  // Reads the files until keys are found, then serves those. NotFound when neither file has keys
  // for the profile; InvalidArgument when an explicitly named profile (option or AWS_PROFILE)
  // does not exist, or the profile relies on role_arn / SSO / credential_process.
  Result<Credentials> Get() override;

  // The resolved profile name and file paths (for messages and tests).
  std::string profile() const;
  std::string credentials_path() const;
  std::string config_path() const;

 private:
  std::string explicit_profile_;
  EnvLookup env_;
  std::mutex mu_;
  std::optional<Credentials> cached_;
};

}  // namespace spotkeeper::aws
