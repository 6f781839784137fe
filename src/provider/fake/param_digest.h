// ParamDigest: a 64-bit FNV-1a digest of a request's parameters. The fake cloud keeps it per
// ClientToken to answer a repeated request with different parameters with
// IdempotentParameterMismatch. Platform independent (no std::hash).
#pragma once

#include <cstdint>
#include <string>

#include "provider/cloud_provider.h"

namespace spotkeeper {

class ParamDigest {
 public:
  // Strings are length-prefixed, so ("ab", "c") and ("a", "bc") differ.
  ParamDigest& Add(const std::string& s);
  ParamDigest& Add(int64_t v);
  ParamDigest& Add(const Tags& tags);
  uint64_t value() const { return h_; }

 private:
  void Byte(unsigned char b) { h_ = (h_ ^ b) * 0x100000001b3ULL; }
  uint64_t h_ = 0xcbf29ce484222325ULL;
};

}  // namespace spotkeeper
