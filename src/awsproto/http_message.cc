#include "awsproto/http_message.h"

#include <strings.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "awsproto/uri_encode.h"

namespace spotkeeper::aws {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::optional<std::string> FindHeader(const HeaderList& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return v;
  }
  return std::nullopt;
}

void SetHeader(HeaderList& headers, std::string_view name, std::string value) {
  std::erase_if(headers, [&](const auto& h) { return EqualsIgnoreCase(h.first, name); });
  headers.emplace_back(std::string(name), std::move(value));
}

std::string Url::Authority() const {
  bool default_port =
      port == 0 || (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
  return default_port ? host : host + ":" + std::to_string(port);
}

std::string Url::Origin() const { return scheme + "://" + Authority(); }

Result<Url> ParseUrl(std::string_view text) {
  Url url;
  size_t colon = text.find("://");
  if (colon == std::string_view::npos) {
    return InvalidArgument("not an absolute URL: " + std::string(text));
  }
  url.scheme = std::string(text.substr(0, colon));
  for (char& c : url.scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (url.scheme != "http" && url.scheme != "https") {
    return InvalidArgument("URL scheme must be http or https: " + std::string(text));
  }
  std::string_view rest = text.substr(colon + 3);
  size_t path_start = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_start);
  std::string_view path_and_query =
      path_start == std::string_view::npos ? std::string_view() : rest.substr(path_start);
  if (authority.empty()) return InvalidArgument("URL has no host: " + std::string(text));
  if (authority.find('@') != std::string_view::npos) {
    return InvalidArgument("URL must not carry user information");
  }
  size_t port_colon = authority.rfind(':');
  size_t bracket = authority.rfind(']');
  if (port_colon != std::string_view::npos &&
      (bracket == std::string_view::npos || port_colon > bracket)) {
    std::string_view port_text = authority.substr(port_colon + 1);
    int port = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port <= 0 ||
        port > 65535) {
      return InvalidArgument("bad port in URL: " + std::string(text));
    }
    url.port = port;
    authority = authority.substr(0, port_colon);
  }
  url.host = std::string(authority);
  if (url.host.empty()) return InvalidArgument("URL has no host: " + std::string(text));
  size_t q = path_and_query.find('?');
  std::string_view raw_path = path_and_query.substr(0, q);
  if (q != std::string_view::npos) url.query = std::string(path_and_query.substr(q + 1));
  size_t hash = url.query.find('#');
  if (hash != std::string::npos) url.query.resize(hash);
  auto path = UriDecode(raw_path.empty() ? "/" : raw_path, /*plus_as_space=*/false);
  if (!path.ok()) return InvalidArgument("bad path in URL: " + std::string(text));
  url.path = std::move(path).value();
  return url;
}

}  // namespace spotkeeper::aws
