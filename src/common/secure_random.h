// Secrets (access keys, bearer tokens, IMDS session tokens) come from the kernel's CSPRNG
// (getrandom(2)), never from the seeded Random that workflows and tests use.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace spotkeeper {

// `n` characters drawn uniformly from `alphabet` (2..256 distinct characters; rejection
// sampling, no modulo bias). Unavailable when the kernel gives no random bytes.
Result<std::string> SecureRandomString(size_t n, std::string_view alphabet);

// `n` lowercase hex digits.
Result<std::string> SecureRandomHex(size_t n);

}  // namespace spotkeeper
