#include "cli/output.h"

#include <sys/ioctl.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <ostream>

namespace spotkeeper::cli {
namespace {

void Emit(YAML::Emitter& e, const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::object:
      e << YAML::BeginMap;
      for (const auto& [k, v] : j.items()) {
        e << YAML::Key << k << YAML::Value;
        Emit(e, v);
      }
      e << YAML::EndMap;
      break;
    case nlohmann::json::value_t::array:
      e << YAML::BeginSeq;
      for (const auto& v : j) Emit(e, v);
      e << YAML::EndSeq;
      break;
    case nlohmann::json::value_t::string:
      e << YAML::DoubleQuoted << j.get<std::string>();
      break;
    case nlohmann::json::value_t::null:
      e << YAML::Null;
      break;
    default:
      e << j.dump();
  }
}

std::string Cut(const std::string& s, size_t width) {
  if (s.size() <= width) return s;
  if (width == 0) return "";
  return s.substr(0, width - 1) + "~";
}

}  // namespace

void Table::Print(std::ostream& out, size_t width) const {
  size_t n = headers_.size();
  std::vector<size_t> w(n, 0);
  for (size_t i = 0; i < n; ++i) w[i] = headers_[i].size();
  for (const auto& r : rows_) {
    for (size_t i = 0; i < n && i < r.size(); ++i) w[i] = std::max(w[i], r[i].size());
  }
  auto total = [&] {
    size_t t = 0;
    for (size_t x : w) t += x;
    return t + 2 * (n > 0 ? n - 1 : 0);
  };
  while (total() > width) {
    auto widest = std::max_element(w.begin(), w.end());
    if (*widest <= 6) break;
    --*widest;
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string s;
    for (size_t i = 0; i < n; ++i) {
      std::string c = Cut(i < cells.size() ? cells[i] : "", w[i]);
      s += c;
      if (i + 1 < n) s += std::string(w[i] - c.size() + 2, ' ');
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();
    out << s << "\n";
  };
  line(headers_);
  for (const auto& r : rows_) line(r);
}

size_t TableWidth() {
  struct winsize ws;
  if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20) {
    return std::min<size_t>(100, ws.ws_col);
  }
  return 100;
}

void PrintJson(std::ostream& out, const nlohmann::json& j) { out << j.dump(2) << "\n"; }

void PrintYaml(std::ostream& out, const nlohmann::json& j) {
  YAML::Emitter e;
  Emit(e, j);
  out << e.c_str() << "\n";
}

std::string Age(const std::string& time, Time now) {
  if (time.empty()) return "-";
  auto t = ParseTime(time);
  if (!t.ok()) return "-";
  int64_t s = std::max<int64_t>(0, (now - *t).count() / 1000);
  if (s < 120) return std::to_string(s) + "s";
  if (s < 7200) return std::to_string(s / 60) + "m";
  if (s < 172800) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

std::string Elapsed(Duration d) {
  double s = static_cast<double>(d.count()) / 1000.0;
  char buf[32];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  } else {
    int64_t whole = static_cast<int64_t>(s);
    std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(whole / 60),
                  static_cast<long long>(whole % 60));
  }
  return buf;
}

}  // namespace spotkeeper::cli
