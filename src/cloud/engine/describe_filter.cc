#include "cloud/engine/describe_filter.h"

#include <algorithm>
#include <regex>

#include "awsproto/crypto.h"

namespace spotkeeper::cloud {

bool GlobMatch(const std::string& pattern, const std::string& value) {
  // Iterative matcher with one backtrack point: linear in practice, no recursion.
  size_t p = 0, v = 0, star = std::string::npos, mark = 0;
  while (v < value.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == value[v])) {
      ++p;
      ++v;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = v;
    } else if (star != std::string::npos) {
      p = star + 1;
      v = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

Status ValidateFilters(const std::vector<Ec2Filter>& filters, const std::set<std::string>& known) {
  for (const Ec2Filter& f : filters) {
    if (f.name.rfind("tag:", 0) == 0 || f.name == "tag-key" || f.name == "tag-value" ||
        known.count(f.name) > 0) {
      continue;
    }
    return Ec2Error("InvalidParameterValue", "The filter '" + f.name + "' is invalid");
  }
  return OkStatus();
}

bool MatchesFilters(const std::vector<Ec2Filter>& filters, const TagMap& tags,
                    const FilterFields& fields) {
  for (const Ec2Filter& f : filters) {
    std::vector<std::string> have;
    if (f.name.rfind("tag:", 0) == 0) {
      auto it = tags.find(f.name.substr(4));
      if (it != tags.end()) have.push_back(it->second);
    } else if (f.name == "tag-key") {
      for (const auto& [k, v] : tags) have.push_back(k);
    } else if (f.name == "tag-value") {
      for (const auto& [k, v] : tags) have.push_back(v);
    } else {
      have = fields(f.name);
    }
    bool any = std::any_of(f.values.begin(), f.values.end(), [&](const std::string& pattern) {
      return std::any_of(have.begin(), have.end(),
                         [&](const std::string& h) { return GlobMatch(pattern, h); });
    });
    if (!any) return false;
  }
  return true;
}

Result<PageBounds> PaginateIds(const std::vector<std::string>& ids, const DescribeRequest& req,
                               int64_t lo, int64_t hi) {
  PageBounds b;
  b.end = ids.size();
  if (!req.next_token.empty()) {
    auto after = aws::Base64Decode(req.next_token);
    if (!after.ok() || after->empty()) {
      return Ec2Error("InvalidParameterValue",
                      "Invalid value '" + req.next_token + "' for parameter NextToken.");
    }
    b.begin = static_cast<size_t>(std::upper_bound(ids.begin(), ids.end(), *after) - ids.begin());
  }
  if (req.max_results) {
    int64_t m = *req.max_results;
    if (m < lo || m > hi) {
      return Ec2Error("InvalidParameterValue",
                      "Value ( " + std::to_string(m) +
                          " ) for parameter maxResults is invalid. Expecting a value between " +
                          std::to_string(lo) + " and " + std::to_string(hi) + ".");
    }
    if (b.begin + static_cast<size_t>(m) < ids.size()) {
      b.end = b.begin + static_cast<size_t>(m);
      b.next_token = aws::Base64Encode(ids[b.end - 1]);
    }
  }
  if (b.begin > b.end) b.begin = b.end;
  return b;
}

Status CheckIdShape(const std::string& id, const std::string& prefix, const std::string& code) {
  bool ok = id.size() > prefix.size() && id.compare(0, prefix.size(), prefix) == 0 &&
            id.find_first_not_of("0123456789abcdef", prefix.size()) == std::string::npos;
  if (!ok) return Ec2Error(code, "Invalid id: \"" + id + "\"");
  return OkStatus();
}

Status CheckMappingDevice(const std::string& device, std::set<std::string>* seen) {
  static const std::regex kDevice("^/dev/(sd|xvd|hd)[a-z]{1,2}[0-9]{0,2}$");
  if (!std::regex_match(device, kDevice)) {
    return Ec2Error("InvalidBlockDeviceMapping", "Invalid device name " + device);
  }
  if (!seen->insert(device).second) {
    return Ec2Error("InvalidBlockDeviceMapping",
                    "The device '" + device + "' is used in more than one block-device mapping");
  }
  return OkStatus();
}

}  // namespace spotkeeper::cloud
