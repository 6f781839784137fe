// Percent-encoding per AWS's SigV4 rules: every byte except the RFC 3986 unreserved set
// (A-Z a-z 0-9 - . _ ~) becomes %XY with uppercase hex. Space is %20, never '+'.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace spotkeeper::aws {

// Encodes `s`; with `encode_slash` false, '/' is kept (for URI paths).
std::string UriEncode(std::string_view s, bool encode_slash = true);

// Decodes %XY sequences; with `plus_as_space` (form bodies) '+' becomes ' '.
// InvalidArgument on a malformed escape.
Result<std::string> UriDecode(std::string_view s, bool plus_as_space);

}  // namespace spotkeeper::aws
