#include "api/route_table.h"

#include <httplib.h>

#include <algorithm>
#include <cstdlib>

namespace spotkeeper::api {

const std::string& RouteRequest::Param(const std::string& name) const {
  static const std::string kEmpty;
  auto it = params.find(name);
  return it == params.end() ? kEmpty : it->second;
}

std::optional<std::string> RouteRequest::Query(const std::string& name) const {
  if (!http.has_param(name.c_str())) return std::nullopt;
  return http.get_param_value(name.c_str());
}

std::string RouteRequest::Header(const std::string& name) const {
  return http.get_header_value(name.c_str());
}

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

void RouteTable::Add(Route route) {
  for (const auto& r : routes_) {
    if (r.method == route.method && r.path == route.path) std::abort();  // registered twice
  }
  routes_.push_back(std::move(route));
}

namespace {

bool IsParam(const std::string& seg) {
  return seg.size() > 2 && seg.front() == '{' && seg.back() == '}';
}

// -1 when `segs` does not match `tmpl`; otherwise the number of literal segments.
int MatchSegments(const std::vector<std::string>& tmpl, const std::vector<std::string>& segs,
                  std::map<std::string, std::string>* params) {
  if (tmpl.size() != segs.size()) return -1;
  int literals = 0;
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (IsParam(tmpl[i])) {
      if (segs[i].empty()) return -1;
      out[tmpl[i].substr(1, tmpl[i].size() - 2)] = segs[i];
    } else if (tmpl[i] == segs[i]) {
      ++literals;
    } else {
      return -1;
    }
  }
  if (params != nullptr) *params = std::move(out);
  return literals;
}

}  // namespace

RouteTable::Match RouteTable::Find(const std::string& method, const std::string& path) const {
  Match m;
  std::vector<std::string> segs = SplitPath(path);
  // The best match per path template decides; among templates the most literal one wins.
  int best = -1;
  std::string best_template;
  for (const auto& r : routes_) {
    int score = MatchSegments(SplitPath(r.path), segs, nullptr);
    if (score > best) {
      best = score;
      best_template = r.path;
    }
  }
  if (best < 0) return m;
  for (const auto& r : routes_) {
    if (r.path != best_template) continue;
    m.allowed.push_back(r.method);
    if (r.method == method || (method == "HEAD" && r.method == "GET" && m.route == nullptr)) {
      m.route = &r;
      MatchSegments(SplitPath(r.path), segs, &m.params);
    }
  }
  std::sort(m.allowed.begin(), m.allowed.end());
  return m;
}

}  // namespace spotkeeper::api
