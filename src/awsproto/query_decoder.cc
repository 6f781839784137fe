#include "awsproto/query_decoder.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "awsproto/uri_encode.h"

namespace spotkeeper::aws {
namespace {

// Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF). EC2
// and SQS take only UTF-8 text; everything downstream (tags, records, JSON) assumes it.
bool IsUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int n;
    unsigned char lo = 0x80, hi = 0xBF;  // the first continuation byte's range
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // past U+10FFFF
    } else {
      return false;
    }
    if (s.size() - i <= static_cast<size_t>(n)) return false;
    for (int k = 1; k <= n; ++k) {
      auto b = static_cast<unsigned char>(s[i + k]);
      if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return false;
    }
    i += n + 1;
  }
  return true;
}

Status DecodeInto(std::string_view encoded, std::map<std::string, std::string>& out) {
  size_t pos = 0;
  while (pos < encoded.size()) {
    size_t amp = encoded.find('&', pos);
    std::string_view part =
        encoded.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
    if (!part.empty()) {
      size_t eq = part.find('=');
      auto k = UriDecode(part.substr(0, eq), /*plus_as_space=*/true);
      auto v = UriDecode(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1),
                         /*plus_as_space=*/true);
      if (!k.ok() || !v.ok()) {
        return Status(Code::kInvalidArgument, "malformed query string", "MalformedQueryString");
      }
      if (!IsUtf8(*k) || !IsUtf8(*v)) {
        return Status(Code::kInvalidArgument,
                      "Value for parameter " + (IsUtf8(*k) ? *k : std::string("(a name)")) +
                          " is not valid UTF-8: send UTF-8 text, percent-encoded",
                      "InvalidParameterValue");
      }
      if (out.size() >= kMaxQueryParameters && out.count(*k) == 0) {
        return Status(
            Code::kInvalidArgument,
            "the request has more than " + std::to_string(kMaxQueryParameters) + " parameters",
            "InvalidParameterValue");
      }
      out[*k] = *v;
    }
    if (amp == std::string_view::npos) break;
    pos = amp + 1;
  }
  return OkStatus();
}

// "12" -> 12; anything else -> nullopt.
std::optional<int> ParseIndex(std::string_view s) {
  int v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

}  // namespace

QueryDecoder::QueryDecoder(std::map<std::string, std::string> params)
    : params_(std::move(params)) {}

Result<QueryDecoder> QueryDecoder::Parse(std::string_view encoded) {
  std::map<std::string, std::string> params;
  SK_RETURN_IF_ERROR(DecodeInto(encoded, params));
  return QueryDecoder(std::move(params));
}

Result<QueryDecoder> QueryDecoder::Parse(std::string_view url_query, std::string_view form_body) {
  std::map<std::string, std::string> params;
  SK_RETURN_IF_ERROR(DecodeInto(url_query, params));
  SK_RETURN_IF_ERROR(DecodeInto(form_body, params));
  return QueryDecoder(std::move(params));
}

std::optional<std::string> QueryDecoder::Get(const std::string& key) const {
  auto it = params_.find(key);
  if (it == params_.end()) return std::nullopt;
  return it->second;
}

std::string QueryDecoder::GetOr(const std::string& key, const std::string& fallback) const {
  auto v = Get(key);
  return v ? *v : fallback;
}

Result<std::string> QueryDecoder::Require(const std::string& key) const {
  auto v = Get(key);
  if (!v || v->empty()) {
    return Status(Code::kInvalidArgument, "The request must contain the parameter " + key,
                  "MissingParameter");
  }
  return *v;
}

Result<std::optional<int64_t>> QueryDecoder::GetInt(const std::string& key) const {
  auto v = Get(key);
  if (!v) return std::optional<int64_t>();
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || ptr != v->data() + v->size()) {
    return Status(Code::kInvalidArgument, "Invalid value '" + *v + "' for " + key,
                  "InvalidParameterValue");
  }
  return std::optional<int64_t>(n);
}

Result<std::optional<bool>> QueryDecoder::GetBool(const std::string& key) const {
  auto v = Get(key);
  if (!v) return std::optional<bool>();
  std::string lower = *v;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "true") return std::optional<bool>(true);
  if (lower == "false") return std::optional<bool>(false);
  return Status(Code::kInvalidArgument, "Invalid value '" + *v + "' for " + key,
                "InvalidParameterValue");
}

std::vector<int> QueryDecoder::Indices(const std::string& prefix) const {
  std::set<int> indices;
  std::string p = prefix + ".";
  for (auto it = params_.lower_bound(p); it != params_.end(); ++it) {
    const std::string& key = it->first;
    if (key.compare(0, p.size(), p) != 0) break;
    std::string_view rest = std::string_view(key).substr(p.size());
    std::string_view digits = rest.substr(0, rest.find('.'));
    if (auto n = ParseIndex(digits)) indices.insert(*n);
  }
  return std::vector<int>(indices.begin(), indices.end());
}

std::vector<std::string> QueryDecoder::GetList(const std::string& prefix) const {
  std::vector<std::string> out;
  for (int i : Indices(prefix)) {
    if (auto v = Get(prefix + "." + std::to_string(i))) out.push_back(*v);
  }
  return out;
}

QueryDecoder QueryDecoder::Sub(const std::string& prefix) const {
  std::map<std::string, std::string> sub;
  std::string p = prefix + ".";
  for (auto it = params_.lower_bound(p); it != params_.end(); ++it) {
    if (it->first.compare(0, p.size(), p) != 0) break;
    sub.emplace(it->first.substr(p.size()), it->second);
  }
  return QueryDecoder(std::move(sub));
}

std::vector<QueryDecoder> QueryDecoder::SubList(const std::string& prefix) const {
  std::vector<QueryDecoder> out;
  for (int i : Indices(prefix)) out.push_back(Sub(prefix + "." + std::to_string(i)));
  return out;
}

}  // namespace spotkeeper::aws
