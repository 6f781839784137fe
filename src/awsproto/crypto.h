// Hashing and encoding primitives for AWS protocols, over OpenSSL's EVP/HMAC interfaces.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace spotkeeper::aws {

// Raw 32-byte SHA-256 digest of `data`.
std::string Sha256(std::string_view data);
// Lowercase hex SHA-256 of `data` (the SigV4 payload hash).
std::string Sha256Hex(std::string_view data);
// Raw 32-byte HMAC-SHA256 of `data` under `key`.
std::string HmacSha256(std::string_view key, std::string_view data);
// Lowercase hex of arbitrary bytes.
std::string HexEncode(std::string_view bytes);

// Standard base64 with padding (RFC 4648 section 4), as EC2 wants UserData.
std::string Base64Encode(std::string_view bytes);
// Accepts padded standard base64; whitespace is ignored. InvalidArgument on anything else.
Result<std::string> Base64Decode(std::string_view text);

// Constant-time comparison for signatures (length is not secret).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace spotkeeper::aws
