#include "provider/provider_faults.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <vector>

#include "provider/provider_actions.h"

namespace spotkeeper {
namespace {

constexpr Duration kMaxLatency = std::chrono::minutes(1);

// One action's keys as given (unset: the global value).
struct GivenRates {
  std::optional<double> error, terminal, lost;
  std::optional<Duration> latency;
};

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

Status Bad(const std::string& item, const std::string& why) {
  return InvalidArgument("item '" + item + "': " + why);
}

Result<double> ParseRate(const std::string& item, const std::string& v) {
  char* end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || !std::isfinite(d)) {
    return Bad(item, "'" + v + "' is not a number (a probability such as 0.05)");
  }
  if (d < 0 || d > 1) return Bad(item, "a rate must be between 0 and 1");
  return d;
}

// "20ms", "1.5s", "1m", "0".
Result<Duration> ParseLatency(const std::string& item, const std::string& v) {
  char* end = nullptr;
  double n = std::strtod(v.c_str(), &end);
  std::string unit = end != nullptr ? std::string(end) : "";
  if (v.empty() || end == v.c_str() || !std::isfinite(n) || n < 0) {
    return Bad(item, "'" + v + "' is not a duration (20ms, 1.5s, 1m)");
  }
  double ms;
  if (unit == "ms" || (unit.empty() && n == 0)) {
    ms = n;
  } else if (unit == "s") {
    ms = n * 1000;
  } else if (unit == "m") {
    ms = n * 60'000;
  } else {
    return Bad(item, "'" + v + "' needs a unit: ms, s or m (20ms, 1.5s, 1m)");
  }
  if (ms > static_cast<double>(kMaxLatency.count())) return Bad(item, "latency is at most 1m");
  return Duration{static_cast<int64_t>(std::llround(ms))};
}

Status SetKey(const std::string& item, const std::string& key, const std::string& value,
              GivenRates* r) {
  if (key == "error") {
    SK_ASSIGN_OR_RETURN(r->error, ParseRate(item, value));
  } else if (key == "terminal") {
    SK_ASSIGN_OR_RETURN(r->terminal, ParseRate(item, value));
  } else if (key == "lost") {
    SK_ASSIGN_OR_RETURN(r->lost, ParseRate(item, value));
  } else if (key == "latency") {
    SK_ASSIGN_OR_RETURN(r->latency, ParseLatency(item, value));
  } else {
    return Bad(item, "unknown key '" + key +
                         "' (keys: error, terminal, lost, latency, seed, or ACTION.KEY such as "
                         "RunInstances.error)");
  }
  return OkStatus();
}

FaultRates Merge(const FaultRates& base, const GivenRates& g) {
  FaultRates r = base;
  if (g.error) r.error = *g.error;
  if (g.terminal) r.terminal = *g.terminal;
  if (g.lost) r.lost = *g.lost;
  if (g.latency) r.latency = *g.latency;
  return r;
}

std::string FormatRate(double d) {
  char buf[32];
  for (int precision : {6, 15, 17}) {  // the shortest that reads back the same
    std::snprintf(buf, sizeof buf, "%.*g", precision, d);
    if (std::strtod(buf, nullptr) == d) break;
  }
  return buf;
}

void AppendRates(const std::string& prefix, const FaultRates& r, const FaultRates& base,
                 std::vector<std::string>* out) {
  if (r.error != base.error) out->push_back(prefix + "error=" + FormatRate(r.error));
  if (r.terminal != base.terminal) out->push_back(prefix + "terminal=" + FormatRate(r.terminal));
  if (r.lost != base.lost) out->push_back(prefix + "lost=" + FormatRate(r.lost));
  if (r.latency != base.latency) {
    out->push_back(prefix + "latency=" + std::to_string(r.latency.count()) + "ms");
  }
}

}  // namespace

const FaultRates& ProviderFaults::For(const std::string& action) const {
  auto it = actions.find(action);
  return it != actions.end() ? it->second : all;
}

bool ProviderFaults::empty() const {
  if (all.any()) return false;
  return std::none_of(actions.begin(), actions.end(),
                      [](const auto& kv) { return kv.second.any(); });
}

Result<ProviderFaults> ParseProviderFaults(const std::string& text) {
  ProviderFaults out;
  GivenRates global;
  std::map<std::string, GivenRates> by_action;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    std::string item = Trim(text.substr(pos, comma - pos));
    pos = comma + 1;
    if (item.empty()) continue;
    size_t eq = item.find('=');
    if (eq == std::string::npos) return Bad(item, "expected KEY=VALUE");
    std::string key = Trim(item.substr(0, eq));
    std::string value = Trim(item.substr(eq + 1));
    if (key == "seed") {
      char* end = nullptr;
      unsigned long long n = std::strtoull(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || value[0] == '-') {
        return Bad(item, "the seed must be a non-negative integer");
      }
      out.seed = n;
      continue;
    }
    size_t dot = key.find('.');
    if (dot == std::string::npos) {
      SK_RETURN_IF_ERROR(SetKey(item, key, value, &global));
      continue;
    }
    std::string action = key.substr(0, dot);
    const auto& all = action::All();
    if (std::find(all.begin(), all.end(), action) == all.end()) {
      std::string known;
      for (const auto& a : all) known += (known.empty() ? "" : ", ") + a;
      return Bad(item, "'" + action + "' is not an action the provider makes (" + known + ")");
    }
    SK_RETURN_IF_ERROR(SetKey(item, key.substr(dot + 1), value, &by_action[action]));
  }
  out.all = Merge(FaultRates{}, global);
  for (const auto& [a, g] : by_action) {
    FaultRates r = Merge(out.all, g);
    if (!(r == out.all)) out.actions[a] = r;
  }
  auto check = [](const std::string& where, const FaultRates& r) -> Status {
    if (r.error + r.terminal > 1) {
      return InvalidArgument(where + "error + terminal is above 1");
    }
    return OkStatus();
  };
  SK_RETURN_IF_ERROR(check("", out.all));
  for (const auto& [a, r] : out.actions) SK_RETURN_IF_ERROR(check(a + ": ", r));
  return out;
}

std::string FormatProviderFaults(const ProviderFaults& f) {
  std::vector<std::string> items;
  AppendRates("", f.all, FaultRates{}, &items);
  for (const auto& [a, r] : f.actions) AppendRates(a + ".", r, f.all, &items);
  if (f.seed != 1) items.push_back("seed=" + std::to_string(f.seed));
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

}  // namespace spotkeeper
