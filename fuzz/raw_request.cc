#include "raw_request.h"

#include <strings.h>

namespace spotkeeper::fuzz {
namespace {

// The next line of `text` from `*pos` without its "\n" / "\r\n"; advances *pos past it.
std::string_view NextLine(std::string_view text, size_t* pos) {
  size_t end = text.find('\n', *pos);
  if (end == std::string_view::npos) end = text.size();
  std::string_view line = text.substr(*pos, end - *pos);
  *pos = end < text.size() ? end + 1 : text.size();
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace

std::string RawRequest::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n.size() == name.size() && ::strncasecmp(n.data(), name.data(), n.size()) == 0) return v;
  }
  return "";
}

RawRequest ParseRawRequest(std::string_view text) {
  RawRequest r;
  size_t pos = 0;
  std::string_view first = NextLine(text, &pos);
  size_t sp1 = first.find(' ');
  r.method = std::string(first.substr(0, sp1));
  if (sp1 != std::string_view::npos) {
    std::string_view rest = first.substr(sp1 + 1);
    size_t sp2 = rest.rfind(' ');
    r.target = std::string(sp2 == std::string_view::npos ? rest : rest.substr(0, sp2));
  }
  while (pos < text.size()) {
    std::string_view line = NextLine(text, &pos);
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      r.headers.emplace_back(std::string(line), "");
    } else {
      r.headers.emplace_back(std::string(line.substr(0, colon)),
                             std::string(line.substr(colon + 1)));
    }
  }
  r.body = std::string(text.substr(pos));
  return r;
}

}  // namespace spotkeeper::fuzz
