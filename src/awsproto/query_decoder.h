// Server side of the Query protocol: a form body or query string becomes a parameter map, with
// helpers to read flattened lists and structures ("Filter.2.Value.1").
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace spotkeeper::aws {

// Parameters one request may carry (query string and form body together; a repeated key counts
// once). The largest legitimate calls (1000 instance ids, 200 filter values) stay well below.
inline constexpr size_t kMaxQueryParameters = 4096;

class QueryDecoder {
 public:
  // Decodes "a=1&b=x%20y" ('+' is a space, as in form bodies). A repeated key keeps its last
  // value. InvalidArgument (cloud_code "MalformedQueryString") on a bad escape,
  // (cloud_code "InvalidParameterValue") past kMaxQueryParameters.
  static Result<QueryDecoder> Parse(std::string_view encoded);
  // Both sources of a request, the body winning over the URL's query string for a key in both.
  static Result<QueryDecoder> Parse(std::string_view url_query, std::string_view form_body);

  explicit QueryDecoder(std::map<std::string, std::string> params = {});

  std::optional<std::string> Get(const std::string& key) const;
  std::string GetOr(const std::string& key, const std::string& fallback) const;
  bool Has(const std::string& key) const { return params_.count(key) > 0; }
  // InvalidArgument (cloud_code "MissingParameter") when absent or empty.
  Result<std::string> Require(const std::string& key) const;
  // Integers and booleans; InvalidArgument (cloud_code "InvalidParameterValue") when malformed,
  // nullopt when absent.
  Result<std::optional<int64_t>> GetInt(const std::string& key) const;
  Result<std::optional<bool>> GetBool(const std::string& key) const;

  // The values of prefix.1, prefix.2, ... (indices sorted numerically; gaps allowed).
  std::vector<std::string> GetList(const std::string& prefix) const;
  // The indices N for which some key starts with "prefix.N." or equals "prefix.N", sorted.
  std::vector<int> Indices(const std::string& prefix) const;
  // The parameters under "prefix." with that prefix removed (a structure or a list member).
  QueryDecoder Sub(const std::string& prefix) const;
  // Sub("prefix.N") for each index, in order.
  std::vector<QueryDecoder> SubList(const std::string& prefix) const;

  const std::map<std::string, std::string>& params() const { return params_; }

 private:
  std::map<std::string, std::string> params_;
};

}  // namespace spotkeeper::aws
