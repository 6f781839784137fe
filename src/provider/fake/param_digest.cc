#include "provider/fake/param_digest.h"

namespace spotkeeper {

ParamDigest& ParamDigest::Add(int64_t v) {
  auto u = static_cast<uint64_t>(v);
  for (int i = 0; i < 8; ++i, u >>= 8) Byte(static_cast<unsigned char>(u & 255));
  return *this;
}

ParamDigest& ParamDigest::Add(const std::string& s) {
  Add(static_cast<int64_t>(s.size()));
  for (char c : s) Byte(static_cast<unsigned char>(c));
  return *this;
}

ParamDigest& ParamDigest::Add(const Tags& tags) {
  Add(static_cast<int64_t>(tags.size()));
  for (const auto& [k, v] : tags) Add(k).Add(v);
  return *this;
}

}  // namespace spotkeeper
