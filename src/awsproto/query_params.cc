#include "awsproto/query_params.h"

#include "awsproto/uri_encode.h"

namespace spotkeeper::aws {

std::string QueryParams::Scope::Key(const std::string& key) const {
  return prefix_.empty() ? key : prefix_ + "." + key;
}

QueryParams::Scope& QueryParams::Scope::Set(const std::string& key, const std::string& value) {
  params_->Set(Key(key), value);
  return *this;
}

QueryParams::Scope& QueryParams::Scope::Set(const std::string& key, int64_t value) {
  params_->Set(Key(key), value);
  return *this;
}

QueryParams::Scope& QueryParams::Scope::Set(const std::string& key, bool value) {
  params_->Set(Key(key), value);
  return *this;
}

QueryParams::Scope& QueryParams::Scope::SetList(const std::string& key,
                                                const std::vector<std::string>& values) {
  params_->SetList(Key(key), values);
  return *this;
}

QueryParams::Scope QueryParams::Scope::At(const std::string& key) const {
  return Scope(params_, Key(key));
}

QueryParams::Scope QueryParams::Scope::At(const std::string& key, int index) const {
  return Scope(params_, Key(key) + "." + std::to_string(index));
}

QueryParams::QueryParams(const std::string& action, const std::string& version) {
  Set("Action", action);
  Set("Version", version);
}

QueryParams& QueryParams::Set(const std::string& key, const std::string& value) {
  params_[key] = value;
  return *this;
}

QueryParams& QueryParams::Set(const std::string& key, int64_t value) {
  return Set(key, std::to_string(value));
}

QueryParams& QueryParams::Set(const std::string& key, bool value) {
  return Set(key, std::string(value ? "true" : "false"));
}

QueryParams& QueryParams::SetList(const std::string& key, const std::vector<std::string>& values) {
  for (size_t i = 0; i < values.size(); ++i) Set(key + "." + std::to_string(i + 1), values[i]);
  return *this;
}

QueryParams::Scope QueryParams::At(const std::string& key) { return Scope(this, key); }

QueryParams::Scope QueryParams::At(const std::string& key, int index) {
  return Scope(this, key + "." + std::to_string(index));
}

std::string QueryParams::Get(const std::string& key) const {
  auto it = params_.find(key);
  return it == params_.end() ? std::string() : it->second;
}

std::string QueryParams::Encode() const {
  std::string out;
  for (const auto& [k, v] : params_) {
    if (!out.empty()) out.push_back('&');
    out += UriEncode(k);
    out.push_back('=');
    out += UriEncode(v);
  }
  return out;
}

}  // namespace spotkeeper::aws
