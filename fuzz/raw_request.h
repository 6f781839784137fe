// Fuzz inputs that are whole HTTP requests, written the way AWS's SigV4 test suite writes them:
//   METHOD TARGET HTTP/1.1
//   Name:value
//   ...
//   <blank line>
//   body
// Lines end in "\n" or "\r\n". Anything goes: a missing request line gives empty fields, a header
// line without ':' is a header with an empty value. Corpus files stay readable and editable.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spotkeeper::fuzz {

struct RawRequest {
  std::string method;
  std::string target;  // path[?query], as written
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  std::string Path() const { return target.substr(0, target.find('?')); }
  std::string Query() const {
    size_t q = target.find('?');
    return q == std::string::npos ? "" : target.substr(q + 1);
  }
  // The first header named `name` (ASCII case-insensitive), "" when absent.
  std::string Header(std::string_view name) const;
};

RawRequest ParseRawRequest(std::string_view text);

}  // namespace spotkeeper::fuzz
