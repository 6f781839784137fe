#include "awsproto/profile_credentials_provider.h"

#include <fstream>
#include <sstream>

namespace spotkeeper::aws {
namespace {

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return std::string();
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// Empty optional-like: returns false when the file cannot be read.
bool ReadFile(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

}  // namespace

IniFile ParseIni(const std::string& text) {
  IniFile ini;
  std::string section;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::string t = Trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t.front() == '[' && t.back() == ']') {
      section = Trim(t.substr(1, t.size() - 2));
      ini[section];
      continue;
    }
    size_t eq = t.find('=');
    if (eq == std::string::npos || section.empty()) continue;
    ini[section][Trim(t.substr(0, eq))] = Trim(t.substr(eq + 1));
  }
  return ini;
}

ProfileCredentialsProvider::ProfileCredentialsProvider(std::string profile, EnvLookup env)
    : explicit_profile_(std::move(profile)), env_(std::move(env)) {}

std::string ProfileCredentialsProvider::profile() const {
  if (!explicit_profile_.empty()) return explicit_profile_;
  std::string p = env_("AWS_PROFILE").value_or("");
  return p.empty() ? "default" : p;
}

std::string ProfileCredentialsProvider::credentials_path() const {
  if (auto p = env_("AWS_SHARED_CREDENTIALS_FILE"); p && !p->empty()) return *p;
  return env_("HOME").value_or("") + "/.aws/credentials";
}

std::string ProfileCredentialsProvider::config_path() const {
  if (auto p = env_("AWS_CONFIG_FILE"); p && !p->empty()) return *p;
  return env_("HOME").value_or("") + "/.aws/config";
}

Result<Credentials> ProfileCredentialsProvider::Get() {
  std::lock_guard<std::mutex> lock(mu_);
  if (cached_) return *cached_;
  const std::string name = profile();
  std::string text;
  std::map<std::string, std::string> from_credentials, from_config;
  bool found_profile = false;
  if (ReadFile(credentials_path(), text)) {
    IniFile ini = ParseIni(text);
    if (auto it = ini.find(name); it != ini.end()) {
      from_credentials = it->second;
      found_profile = true;
    }
  }
  if (ReadFile(config_path(), text)) {
    IniFile ini = ParseIni(text);
    auto it = ini.find("profile " + name);
    if (it == ini.end() && name == "default") it = ini.find("default");
    if (it != ini.end()) {
      from_config = it->second;
      found_profile = true;
    }
  }
  auto get = [&](const char* key) {
    if (auto it = from_credentials.find(key); it != from_credentials.end()) return it->second;
    if (auto it = from_config.find(key); it != from_config.end()) return it->second;
    return std::string();
  };
  Credentials c;
  c.access_key_id = get("aws_access_key_id");
  c.secret_access_key = get("aws_secret_access_key");
  c.session_token = get("aws_session_token");
  c.source = "profile " + name;
  if (!c.access_key_id.empty() && !c.secret_access_key.empty()) {
    cached_ = c;
    return c;
  }
  bool explicit_profile = !explicit_profile_.empty() || env_("AWS_PROFILE").has_value();
  if (!found_profile && explicit_profile) {
    return InvalidArgument("AWS profile '" + name + "' is in neither " + credentials_path() +
                           " nor " + config_path());
  }
  if (found_profile && (!get("role_arn").empty() || !get("sso_session").empty() ||
                        !get("sso_start_url").empty() || !get("credential_process").empty())) {
    return InvalidArgument("AWS profile '" + name +
                           "' uses role_arn/SSO/credential_process, which spotkeeper does not "
                           "support; give it static keys or use an instance role");
  }
  return NotFound("no keys for AWS profile '" + name + "' in " + credentials_path() + " or " +
                  config_path());
}

}  // namespace spotkeeper::aws
