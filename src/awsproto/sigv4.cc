#include "awsproto/sigv4.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "awsproto/crypto.h"
#include "awsproto/uri_encode.h"

namespace spotkeeper::aws {
namespace {

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Trims and collapses runs of spaces/tabs to one space (SigV4 header value rule).
std::string NormalizeHeaderValue(std::string_view v) {
  std::string out;
  bool in_space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      in_space = true;
      continue;
    }
    if (in_space && !out.empty()) out.push_back(' ');
    in_space = false;
    out.push_back(c);
  }
  return out;
}

std::string AmzDay(Time t) { return FormatAmzDate(t).substr(0, 8); }

}  // namespace

std::string FormatAmzDate(Time t) {
  std::time_t secs = static_cast<std::time_t>(
      std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count());
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

Result<Time> ParseAmzDate(std::string_view text) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') {
    return InvalidArgument("not an X-Amz-Date (want 20150830T123600Z)");
  }
  for (size_t i = 0; i < 15; ++i) {
    if (i != 8 && !std::isdigit(static_cast<unsigned char>(text[i]))) {
      return InvalidArgument("not an X-Amz-Date (want 20150830T123600Z)");
    }
  }
  std::string iso = std::string(text.substr(0, 4)) + "-" + std::string(text.substr(4, 2)) + "-" +
                    std::string(text.substr(6, 2)) + "T" + std::string(text.substr(9, 2)) + ":" +
                    std::string(text.substr(11, 2)) + ":" + std::string(text.substr(13, 2)) + "Z";
  return ParseTime(iso);
}

Result<std::string> CanonicalQueryString(std::string_view raw_query, std::string_view skip) {
  std::vector<std::pair<std::string, std::string>> pairs;
  size_t pos = 0;
  while (pos <= raw_query.size() && !raw_query.empty()) {
    size_t amp = raw_query.find('&', pos);
    std::string_view part = raw_query.substr(pos, amp == std::string_view::npos ? amp : amp - pos);
    if (!part.empty()) {
      size_t eq = part.find('=');
      auto name = UriDecode(part.substr(0, eq), /*plus_as_space=*/false);
      auto value =
          UriDecode(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1),
                    /*plus_as_space=*/false);
      if (!name.ok() || !value.ok()) return InvalidArgument("malformed query string");
      if (skip.empty() || *name != skip) {
        pairs.emplace_back(UriEncode(*name), UriEncode(*value));
      }
    }
    if (amp == std::string_view::npos) break;
    pos = amp + 1;
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [k, v] : pairs) {
    if (!out.empty()) out.push_back('&');
    out += k;
    out.push_back('=');
    out += v;
  }
  return out;
}

bool IsUnsignableHeader(std::string_view n) {
  static constexpr std::string_view kNames[] = {"authorization",
                                                "connection",
                                                "expect",
                                                "keep-alive",
                                                "proxy-authenticate",
                                                "proxy-authorization",
                                                "te",
                                                "trailer",
                                                "transfer-encoding",
                                                "upgrade",
                                                "user-agent",
                                                "x-amzn-trace-id"};
  return std::find(std::begin(kNames), std::end(kNames), n) != std::end(kNames);
}

std::vector<std::pair<std::string, std::string>> CanonicalizeHeaders(const HeaderList& headers) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, value] : headers) {
    std::string lname = ToLower(name);
    std::string v = NormalizeHeaderValue(value);
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& p) { return p.first == lname; });
    if (it == out.end()) {
      out.emplace_back(std::move(lname), std::move(v));
    } else {
      it->second += "," + v;
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

Result<CanonicalRequestParts> BuildCanonicalRequest(const HttpRequest& request,
                                                    const std::vector<std::string>& signed_headers,
                                                    const std::string& payload_hash,
                                                    std::string_view skip_query_param) {
  SK_ASSIGN_OR_RETURN(Url url, ParseUrl(request.url));
  SK_ASSIGN_OR_RETURN(std::string query, CanonicalQueryString(url.query, skip_query_param));
  CanonicalRequestParts parts;
  std::string headers_block;
  for (const auto& [name, value] : CanonicalizeHeaders(request.headers)) {
    bool include = signed_headers.empty() ? !IsUnsignableHeader(name)
                                          : std::find(signed_headers.begin(), signed_headers.end(),
                                                      name) != signed_headers.end();
    if (!include) continue;
    headers_block += name + ":" + value + "\n";
    if (!parts.signed_headers.empty()) parts.signed_headers.push_back(';');
    parts.signed_headers += name;
  }
  if (!signed_headers.empty()) {
    for (const auto& want : signed_headers) {
      if (!FindHeader(request.headers, want)) {
        return InvalidArgument("signed header '" + want + "' is not in the request");
      }
    }
  }
  parts.canonical_request = request.method + "\n" + UriEncode(url.path, /*encode_slash=*/false) +
                            "\n" + query + "\n" + headers_block + "\n" + parts.signed_headers +
                            "\n" + payload_hash;
  return parts;
}

std::string CredentialScope(Time t, std::string_view region, std::string_view service) {
  return AmzDay(t) + "/" + std::string(region) + "/" + std::string(service) + "/aws4_request";
}

std::string StringToSign(Time t, std::string_view scope, std::string_view canonical_request) {
  return std::string(kSigv4Algorithm) + "\n" + FormatAmzDate(t) + "\n" + std::string(scope) + "\n" +
         Sha256Hex(canonical_request);
}

std::string SigningKey(std::string_view secret, Time t, std::string_view region,
                       std::string_view service) {
  std::string k_date = HmacSha256("AWS4" + std::string(secret), AmzDay(t));
  std::string k_region = HmacSha256(k_date, region);
  std::string k_service = HmacSha256(k_region, service);
  return HmacSha256(k_service, "aws4_request");
}

Sigv4Signer::Sigv4Signer(std::string region, std::string service)
    : region_(std::move(region)), service_(std::move(service)) {}

Status Sigv4Signer::Sign(HttpRequest& request, const Credentials& credentials, Time now) const {
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    return Unauthenticated("cannot sign: no credentials");
  }
  SK_ASSIGN_OR_RETURN(Url url, ParseUrl(request.url));
  if (!FindHeader(request.headers, "host")) SetHeader(request.headers, "Host", url.Authority());
  SetHeader(request.headers, "X-Amz-Date", FormatAmzDate(now));
  if (!credentials.session_token.empty()) {
    SetHeader(request.headers, "X-Amz-Security-Token", credentials.session_token);
  }
  auto content_hash = FindHeader(request.headers, "x-amz-content-sha256");
  std::string payload_hash = content_hash ? *content_hash : Sha256Hex(request.body);
  SK_ASSIGN_OR_RETURN(CanonicalRequestParts parts,
                      BuildCanonicalRequest(request, {}, payload_hash));
  std::string scope = CredentialScope(now, region_, service_);
  std::string signature =
      HexEncode(HmacSha256(SigningKey(credentials.secret_access_key, now, region_, service_),
                           StringToSign(now, scope, parts.canonical_request)));
  SetHeader(request.headers, "Authorization",
            std::string(kSigv4Algorithm) + " Credential=" + credentials.access_key_id + "/" +
                scope + ", SignedHeaders=" + parts.signed_headers + ", Signature=" + signature);
  return OkStatus();
}

Status Sigv4Signer::Presign(HttpRequest& request, const Credentials& credentials, Time now,
                            Duration expires) const {
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    return Unauthenticated("cannot sign: no credentials");
  }
  // The fragment goes first, so the URL parsed is the URL extended below (found by fuzzing: a
  // '#' before the path left a query to extend with '&' in a URL that no longer had one).
  size_t hash = request.url.find('#');
  if (hash != std::string::npos) request.url.resize(hash);
  SK_ASSIGN_OR_RETURN(Url url, ParseUrl(request.url));
  if (!FindHeader(request.headers, "host")) SetHeader(request.headers, "Host", url.Authority());
  std::string scope = CredentialScope(now, region_, service_);
  std::string signed_headers;
  for (const auto& [name, value] : CanonicalizeHeaders(request.headers)) {
    if (IsUnsignableHeader(name)) continue;
    if (!signed_headers.empty()) signed_headers.push_back(';');
    signed_headers += name;
  }
  std::string added =
      "X-Amz-Algorithm=" + std::string(kSigv4Algorithm) +
      "&X-Amz-Credential=" + UriEncode(credentials.access_key_id + "/" + scope) +
      "&X-Amz-Date=" + FormatAmzDate(now) + "&X-Amz-Expires=" +
      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(expires).count()) +
      "&X-Amz-SignedHeaders=" + UriEncode(signed_headers);
  if (!credentials.session_token.empty()) {
    added += "&X-Amz-Security-Token=" + UriEncode(credentials.session_token);
  }
  request.url += (url.query.empty() ? (request.url.back() == '?' ? "" : "?") : "&") + added;
  SK_ASSIGN_OR_RETURN(CanonicalRequestParts parts,
                      BuildCanonicalRequest(request, {}, Sha256Hex(request.body)));
  std::string signature =
      HexEncode(HmacSha256(SigningKey(credentials.secret_access_key, now, region_, service_),
                           StringToSign(now, scope, parts.canonical_request)));
  request.url += "&X-Amz-Signature=" + signature;
  return OkStatus();
}

}  // namespace spotkeeper::aws
