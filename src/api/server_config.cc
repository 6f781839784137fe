#include "api/server_config.h"

#include <arpa/inet.h>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "api/data_dir.h"
#include "spec/closest_match.h"

namespace spotkeeper::api {
namespace {

// A YAML scalar as JSON: plain true/false, integers and floats become JSON values.
nlohmann::json ScalarJson(const YAML::Node& n) {
  const std::string& s = n.Scalar();
  if (n.Tag() == "!") return s;  // quoted
  if (s == "true" || s == "True") return true;
  if (s == "false" || s == "False") return false;
  if (s == "null" || s == "~" || s.empty()) return nullptr;
  char* end = nullptr;
  long long i = std::strtoll(s.c_str(), &end, 10);
  if (end != s.c_str() && *end == '\0') return i;
  double d = std::strtod(s.c_str(), &end);
  if (end != s.c_str() && *end == '\0') return d;
  return s;
}

nlohmann::json YamlToJson(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json j = nlohmann::json::object();
      for (const auto& kv : n) j[kv.first.as<std::string>()] = YamlToJson(kv.second);
      return j;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& v : n) j.push_back(YamlToJson(v));
      return j;
    }
    case YAML::NodeType::Scalar:
      return ScalarJson(n);
    default:
      return nullptr;
  }
}

const std::vector<std::string>& FileKeys() {
  // clang-format off
  static const std::vector<std::string> k = {
      "listen",         "allowRemote",  "dataDir",       "provider",      "region",
      "endpointUrl",    "eventsQueueUrl", "profile",     "logFormat",     "logLevel",
      "simSpeed",       "providerConfig", "providerFaults", "store",      "leaseTtl",
      "eventsMaxAge",   "eventsMaxCount", "journalMaxAge", "journalMaxWorkflows",
      "recoveryHistory"};
  // clang-format on
  return k;
}

const std::map<std::string, std::string>& EnvNames() {
  static const std::map<std::string, std::string> m = {
      {"listen", "SPOTKEEPER_LISTEN"},
      {"allowRemote", "SPOTKEEPER_ALLOW_REMOTE"},
      {"dataDir", "SPOTKEEPER_DATA_DIR"},
      {"provider", "SPOTKEEPER_PROVIDER"},
      {"region", "SPOTKEEPER_REGION"},
      {"endpointUrl", "SPOTKEEPER_ENDPOINT_URL"},
      {"eventsQueueUrl", "SPOTKEEPER_EVENTS_QUEUE_URL"},
      {"profile", "SPOTKEEPER_PROFILE"},
      {"logFormat", "SPOTKEEPER_LOG_FORMAT"},
      {"logLevel", "SPOTKEEPER_LOG_LEVEL"},
      {"simSpeed", "SPOTKEEPER_SIM_SPEED"},
      {"providerFaults", "SPOTKEEPER_PROVIDER_FAULTS"},
      {"store", "SPOTKEEPER_STORE"},
      {"leaseTtl", "SPOTKEEPER_LEASE_TTL"},
      {"eventsMaxAge", "SPOTKEEPER_EVENTS_MAX_AGE"},
      {"eventsMaxCount", "SPOTKEEPER_EVENTS_MAX_COUNT"},
      {"journalMaxAge", "SPOTKEEPER_JOURNAL_MAX_AGE"},
      {"journalMaxWorkflows", "SPOTKEEPER_JOURNAL_MAX_WORKFLOWS"},
      {"recoveryHistory", "SPOTKEEPER_RECOVERY_HISTORY"},
  };
  return m;
}

Result<nlohmann::json> LoadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return InvalidArgument("cannot read the config file " + path);
  std::stringstream buf;
  buf << in.rdbuf();
  YAML::Node root;
  try {
    root = YAML::Load(buf.str());
  } catch (const YAML::Exception& e) {
    return InvalidArgument("config file " + path + ": " + e.what());
  }
  if (root.IsNull()) return nlohmann::json::object();
  if (!root.IsMap())
    return InvalidArgument("config file " + path + ": must be a mapping of settings");
  nlohmann::json j;
  try {
    j = YamlToJson(root);
  } catch (const YAML::Exception& e) {
    return InvalidArgument("config file " + path + ": " + e.what());
  }
  for (const auto& [k, v] : j.items()) {
    const auto& keys = FileKeys();
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) {
      auto near = ClosestMatch(k, keys);
      return InvalidArgument("config file " + path + ": unknown setting '" + k + "'" +
                             (near ? "; did you mean '" + *near + "'?" : ""));
    }
  }
  return j;
}

// One setting's raw value and where it came from.
struct Raw {
  std::optional<nlohmann::json> value;
  std::string source = "default";
};

bool ParseBoolText(const std::string& s, bool* out) {
  if (s == "true" || s == "1" || s == "yes" || s == "on") {
    *out = true;
    return true;
  }
  if (s == "false" || s == "0" || s == "no" || s == "off" || s.empty()) {
    *out = false;
    return true;
  }
  return false;
}

// providerFaults as the text ParseProviderFaults reads: the text itself, or a mapping
// ({error: 0.05, latency: 20ms, RunInstances: {error: 0.3}}) flattened to it.
Result<std::string> FaultsText(const nlohmann::json& v, const std::string& source) {
  auto scalar = [](const nlohmann::json& x) -> std::optional<std::string> {
    if (x.is_string()) return x.get<std::string>();
    if (x.is_number()) return x.dump();
    return std::nullopt;
  };
  if (v.is_string()) return v.get<std::string>();
  if (!v.is_object()) {
    return InvalidArgument("providerFaults (from " + source +
                           ") must be a text such as \"error=0.05,lost=0.01\" or a mapping");
  }
  std::string text;
  auto add = [&](const std::string& key, const nlohmann::json& x) -> Status {
    auto s = scalar(x);
    if (!s) {
      return InvalidArgument("providerFaults (from " + source + "): " + key +
                             " must be a number or a duration");
    }
    text += (text.empty() ? "" : ",") + key + "=" + *s;
    return OkStatus();
  };
  for (const auto& [k, x] : v.items()) {
    if (x.is_object()) {
      for (const auto& [k2, y] : x.items()) SK_RETURN_IF_ERROR(add(k + "." + k2, y));
    } else {
      SK_RETURN_IF_ERROR(add(k, x));
    }
  }
  return text;
}

}  // namespace

EnvLookup ProcessEnvLookup() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  in_addr a4;
  if (inet_pton(AF_INET, host.c_str(), &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
  return false;
}

Status ParseListen(const std::string& listen, std::string* host, int* port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return InvalidArgument("listen address '" + listen + "' needs host:port, e.g. 127.0.0.1:7780");
  }
  std::string h = listen.substr(0, colon);
  std::string p = listen.substr(colon + 1);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (h.empty()) h = "0.0.0.0";
  char* end = nullptr;
  long v = std::strtol(p.c_str(), &end, 10);
  if (p.empty() || *end != '\0' || v < 0 || v > 65535) {
    return InvalidArgument("listen address '" + listen + "': port must be 0..65535");
  }
  *host = h;
  *port = static_cast<int>(v);
  return OkStatus();
}

Result<Duration> ParseRetentionAge(const std::string& text) {
  auto bad = [&] {
    return InvalidArgument("'" + text +
                           "' is not an age: give 0 (keep forever) or a whole number with a "
                           "unit s, m, h or d, e.g. 30d or 12h");
  };
  if (text == "0") return Duration{0};
  if (text.size() < 2) return bad();
  static const std::map<char, int64_t> kUnitMs = {
      {'s', 1000}, {'m', 60'000}, {'h', 3'600'000}, {'d', 86'400'000}};
  auto unit = kUnitMs.find(text.back());
  if (unit == kUnitMs.end()) return bad();
  std::string digits = text.substr(0, text.size() - 1);
  if (digits.empty() || digits.size() > 9 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    return bad();
  }
  return Duration{std::stoll(digits) * unit->second};
}

Result<ServerSettings> ResolveServerSettings(const ServerFlags& flags, const EnvLookup& env) {
  ServerSettings out;
  std::string config = flags.config.value_or(env("SPOTKEEPER_CONFIG").value_or(""));
  nlohmann::json file = nlohmann::json::object();
  if (!config.empty()) {
    config = ExpandHome(config);
    SK_ASSIGN_OR_RETURN(file, LoadConfigFile(config));
    out.config_file = config;
  }

  auto pick = [&](const std::string& key, const std::optional<nlohmann::json>& flag) {
    Raw r;
    if (flag) {
      r.value = flag;
      r.source = "flag";
    } else if (auto e = env(EnvNames().at(key))) {
      r.value = *e;
      r.source = "env " + EnvNames().at(key);
    } else if (file.contains(key) && !file[key].is_null()) {
      r.value = file[key];
      r.source = "file " + config;
    }
    out.sources[key] = r.source;
    return r;
  };
  auto opt = [](const std::optional<std::string>& s) -> std::optional<nlohmann::json> {
    if (!s) return std::nullopt;
    return nlohmann::json(*s);
  };
  auto str = [&](const std::string& key, const std::optional<std::string>& flag,
                 std::string* dst) -> Status {
    Raw r = pick(key, opt(flag));
    if (!r.value) return OkStatus();
    if (r.value->is_string()) {
      *dst = r.value->get<std::string>();
    } else if (r.value->is_number()) {
      *dst = r.value->dump();
    } else {
      return InvalidArgument(key + " (from " + r.source + ") must be a string");
    }
    return OkStatus();
  };
  SK_RETURN_IF_ERROR(str("listen", flags.listen, &out.listen));
  SK_RETURN_IF_ERROR(str("dataDir", flags.data_dir, &out.data_dir));
  SK_RETURN_IF_ERROR(str("provider", flags.provider, &out.provider));
  SK_RETURN_IF_ERROR(str("region", flags.region, &out.region));
  SK_RETURN_IF_ERROR(str("endpointUrl", flags.endpoint_url, &out.endpoint_url));
  SK_RETURN_IF_ERROR(str("eventsQueueUrl", flags.events_queue_url, &out.events_queue_url));
  SK_RETURN_IF_ERROR(str("profile", flags.profile, &out.profile));
  SK_RETURN_IF_ERROR(str("logFormat", flags.log_format, &out.log_format));
  SK_RETURN_IF_ERROR(str("logLevel", flags.log_level, &out.log_level));
  SK_RETURN_IF_ERROR(str("store", flags.store, &out.store));
  {
    Raw r = pick("leaseTtl",
                 flags.lease_ttl ? std::optional<nlohmann::json>(*flags.lease_ttl) : std::nullopt);
    if (r.value) {
      std::string text = r.value->is_string() ? r.value->get<std::string>() : r.value->dump();
      char* end = nullptr;
      long long v = std::strtoll(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || v < 2 || v > 300) {
        return InvalidArgument("leaseTtl (from " + r.source +
                               ") must be whole seconds from 2 to 300, got '" + text + "'");
      }
      out.lease_ttl_seconds = v;
    }
  }

  {
    Raw r =
        pick("allowRemote", flags.allow_remote ? std::optional<nlohmann::json>(*flags.allow_remote)
                                               : std::nullopt);
    if (r.value) {
      if (r.value->is_boolean()) {
        out.allow_remote = r.value->get<bool>();
      } else if (!r.value->is_string() ||
                 !ParseBoolText(r.value->get<std::string>(), &out.allow_remote)) {
        return InvalidArgument("allowRemote (from " + r.source + ") must be true or false");
      }
    }
  }
  {
    Raw r = pick("simSpeed",
                 flags.sim_speed ? std::optional<nlohmann::json>(*flags.sim_speed) : std::nullopt);
    if (r.value) {
      if (r.value->is_number()) {
        out.sim_speed = r.value->get<double>();
      } else {
        std::string s = r.value->is_string() ? r.value->get<std::string>() : "";
        char* end = nullptr;
        out.sim_speed = std::strtod(s.c_str(), &end);
        if (s.empty() || *end != '\0') {
          return InvalidArgument("simSpeed (from " + r.source + ") must be a number");
        }
      }
      if (!(out.sim_speed > 0 && out.sim_speed <= 10000)) {
        return InvalidArgument("simSpeed (from " + r.source + ") must be in (0, 10000]");
      }
    }
  }
  {
    Raw r = pick("providerFaults", opt(flags.provider_faults));
    if (r.value) {
      SK_ASSIGN_OR_RETURN(std::string text, FaultsText(*r.value, r.source));
      auto faults = ParseProviderFaults(text);
      if (!faults.ok()) {
        return InvalidArgument("providerFaults (from " + r.source +
                               "): " + faults.status().message());
      }
      out.provider_faults = *faults;
    }
  }
  // Retention: ages of at least an hour (what a finished recovery's records are still read
  // for), counts large enough to hold a few recoveries; 0 keeps everything the rule governs.
  auto age = [&](const std::string& key, const std::optional<std::string>& flag,
                 Duration* dst) -> Status {
    Raw r = pick(key, opt(flag));
    if (!r.value) return OkStatus();
    std::string text = r.value->is_string() ? r.value->get<std::string>() : r.value->dump();
    Result<Duration> d = ParseRetentionAge(text);
    if (!d.ok()) return InvalidArgument(key + " (from " + r.source + "): " + d.status().message());
    if (*d != Duration{0} && (*d < Duration{3'600'000} || *d > 3650 * kDay)) {
      return InvalidArgument(key + " (from " + r.source +
                             ") must be 0 (keep forever) or from 1h "
                             "to 3650d, got '" +
                             text + "'");
    }
    *dst = *d;
    return OkStatus();
  };
  auto count = [&](const std::string& key, const std::optional<std::string>& flag, int64_t min,
                   int64_t max, bool zero_ok, int64_t* dst) -> Status {
    Raw r = pick(key, opt(flag));
    if (!r.value) return OkStatus();
    std::string text = r.value->is_string() ? r.value->get<std::string>() : r.value->dump();
    char* end = nullptr;
    long long v = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || ((v < min || v > max) && !(zero_ok && v == 0))) {
      return InvalidArgument(key + " (from " + r.source + ") must be " +
                             (zero_ok ? "0 (no limit) or " : "") + "a whole number from " +
                             std::to_string(min) + " to " + std::to_string(max) + ", got '" + text +
                             "'");
    }
    *dst = v;
    return OkStatus();
  };
  SK_RETURN_IF_ERROR(age("eventsMaxAge", flags.events_max_age, &out.retention.events_max_age));
  SK_RETURN_IF_ERROR(count("eventsMaxCount", flags.events_max_count, 100, 100'000'000, true,
                           &out.retention.events_max_count));
  SK_RETURN_IF_ERROR(age("journalMaxAge", flags.journal_max_age, &out.retention.journal_max_age));
  SK_RETURN_IF_ERROR(count("journalMaxWorkflows", flags.journal_max_workflows, 10, 10'000'000, true,
                           &out.retention.journal_max_workflows));
  {
    int64_t history = static_cast<int64_t>(out.retention.recovery_history);
    SK_RETURN_IF_ERROR(count("recoveryHistory", flags.recovery_history, 0, 1000, false, &history));
    out.retention.recovery_history = static_cast<size_t>(history);
  }
  if (file.contains("providerConfig")) {
    if (!file["providerConfig"].is_object()) {
      return InvalidArgument("providerConfig (from file " + config + ") must be a mapping");
    }
    out.provider_config = file["providerConfig"];
    out.sources["providerConfig"] = "file " + config;
  }

  if (out.data_dir.empty()) out.data_dir = DefaultDataDir();
  out.data_dir = ExpandHome(out.data_dir);
  if (out.provider != "sim" && out.provider != "ec2") {
    return InvalidArgument("provider (from " + out.sources["provider"] + ") '" + out.provider +
                           "' is not one of: sim (an in-memory cloud, nothing real is "
                           "launched), ec2");
  }
  if (out.store != "sqlite" && out.store.rfind("etcd://", 0) != 0) {
    return InvalidArgument("store (from " + out.sources["store"] + ") '" + out.store +
                           "' is not sqlite (the data directory's spotkeeper.db) or "
                           "etcd://host:port,host:port,...");
  }
  if (out.store == "sqlite" && out.sources["leaseTtl"] != "default") {
    return InvalidArgument("leaseTtl (from " + out.sources["leaseTtl"] +
                           ") only applies to --store etcd://...");
  }
  if (out.log_format != "text" && out.log_format != "json") {
    return InvalidArgument("logFormat (from " + out.sources["logFormat"] + ") '" + out.log_format +
                           "' is not text or json");
  }
  auto lvl = spdlog::level::from_str(out.log_level);
  if (lvl == spdlog::level::off && out.log_level != "off") {
    return InvalidArgument("logLevel (from " + out.sources["logLevel"] + ") '" + out.log_level +
                           "' is not one of trace, debug, info, warn, error, critical, off");
  }
  if (out.provider != "sim" && out.sources["simSpeed"] != "default") {
    return InvalidArgument("simSpeed (from " + out.sources["simSpeed"] +
                           ") only applies to --provider sim");
  }
  Status s = ParseListen(out.listen, &out.host, &out.port);
  if (!s.ok()) return InvalidArgument(s.message() + " (from " + out.sources["listen"] + ")");
  if (!IsLoopbackHost(out.host) && !out.allow_remote) {
    return InvalidArgument(
        "refusing to listen on " + out.listen + " (from " + out.sources["listen"] +
        "): it is not a loopback address. The API speaks plain HTTP with one bearer token that "
        "controls every instance, so anyone who can reach the port and sniff or guess the "
        "token owns them. Put it behind a TLS proxy or a firewall and pass --allow-remote "
        "(or allowRemote: true) to do it anyway");
  }
  return out;
}

}  // namespace spotkeeper::api
