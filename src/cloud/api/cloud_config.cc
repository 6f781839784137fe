#include "cloud/api/cloud_config.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace spotkeeper::cloud {

Status ApplyListen(const std::string& listen, LocalCloudOptions* options) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
    return InvalidArgument("listen: expected HOST:PORT, got '" + listen + "'");
  }
  std::string port = listen.substr(colon + 1);
  if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
      std::stoi(port) > 65535) {
    return InvalidArgument("listen: bad port in '" + listen + "'");
  }
  options->listen_host = listen.substr(0, colon);
  options->port = std::stoi(port);
  return OkStatus();
}

namespace {

// A value of `node` as T, or InvalidArgument naming `key` and the type wanted.
template <typename T>
Result<T> As(const YAML::Node& node, const std::string& key, const char* what) {
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    return InvalidArgument("cloud config: " + key + ": expected " + what);
  }
}

Result<Duration> Seconds(const YAML::Node& node, const std::string& key) {
  SK_ASSIGN_OR_RETURN(double s, As<double>(node, key, "a number of seconds"));
  if (!(s >= 0) || s > 1e9) return InvalidArgument("cloud config: " + key + ": must be >= 0");
  return Duration{static_cast<int64_t>(s * 1000.0 + 0.5)};
}

// A retention: seconds, more than zero (a record kept no time at all would vanish under a
// client that just made it).
Status RetentionSeconds(const std::string& key, const YAML::Node& node, Duration* out) {
  SK_ASSIGN_OR_RETURN(Duration d, Seconds(node, key));
  if (d < std::chrono::seconds(1)) {
    return InvalidArgument("cloud config: " + key + ": must be at least 1 second");
  }
  *out = d;
  return OkStatus();
}

Status ApplyMarketPool(const YAML::Node& node, const std::string& key, SpotPoolConfig* pool) {
  if (!node.IsMap()) return InvalidArgument("cloud config: " + key + ": expected a mapping");
  for (const auto& kv : node) {
    std::string k = kv.first.as<std::string>();
    std::string path = key + "." + k;
    if (k == "instanceType") {
      SK_ASSIGN_OR_RETURN(pool->instance_type, As<std::string>(kv.second, path, "a string"));
    } else if (k == "availabilityZone") {
      SK_ASSIGN_OR_RETURN(pool->availability_zone, As<std::string>(kv.second, path, "a string"));
    } else if (k == "spotCapacity") {
      SK_ASSIGN_OR_RETURN(pool->spot_capacity, As<int>(kv.second, path, "an integer"));
    } else if (k == "onDemandCapacity") {
      SK_ASSIGN_OR_RETURN(pool->on_demand_capacity, As<int>(kv.second, path, "an integer"));
    } else if (k == "bucket") {
      SK_ASSIGN_OR_RETURN(pool->bucket, As<std::string>(kv.second, path, "a string"));
    } else {
      return InvalidArgument("cloud config: unknown key '" + path + "'");
    }
  }
  return OkStatus();
}

Status ApplyMarket(const YAML::Node& node, MarketOptions* m) {
  if (!node.IsMap()) return InvalidArgument("cloud config: market: expected a mapping");
  for (const auto& kv : node) {
    std::string k = kv.first.as<std::string>();
    std::string key = "market." + k;
    const YAML::Node& v = kv.second;
    if (k == "enabled") {
      SK_ASSIGN_OR_RETURN(m->enabled, As<bool>(v, key, "true or false"));
    } else if (k == "seed") {
      SK_ASSIGN_OR_RETURN(m->seed, As<uint64_t>(v, key, "a non-negative integer"));
    } else if (k == "priceModel") {
      SK_ASSIGN_OR_RETURN(m->price_model, As<std::string>(v, key, "walk or csv"));
    } else if (k == "csvPath") {
      SK_ASSIGN_OR_RETURN(m->csv_path, As<std::string>(v, key, "a file path"));
    } else if (k == "priceIntervalSeconds") {
      SK_ASSIGN_OR_RETURN(m->price_interval, Seconds(v, key));
    } else if (k == "meanRatio") {
      SK_ASSIGN_OR_RETURN(m->mean_ratio, As<double>(v, key, "a number"));
    } else if (k == "reversion") {
      SK_ASSIGN_OR_RETURN(m->reversion, As<double>(v, key, "a number"));
    } else if (k == "volatility") {
      SK_ASSIGN_OR_RETURN(m->volatility, As<double>(v, key, "a number"));
    } else if (k == "minRatio") {
      SK_ASSIGN_OR_RETURN(m->min_ratio, As<double>(v, key, "a number"));
    } else if (k == "maxRatio") {
      SK_ASSIGN_OR_RETURN(m->max_ratio, As<double>(v, key, "a number"));
    } else if (k == "defaultBucket") {
      SK_ASSIGN_OR_RETURN(m->default_bucket, As<std::string>(v, key, "a bucket such as \"<5%\""));
    } else if (k == "spotCapacity") {
      SK_ASSIGN_OR_RETURN(m->default_spot_capacity, As<int>(v, key, "an integer"));
    } else if (k == "onDemandCapacity") {
      SK_ASSIGN_OR_RETURN(m->default_on_demand_capacity, As<int>(v, key, "an integer"));
    } else if (k == "pools") {
      if (!v.IsSequence()) return InvalidArgument("cloud config: market.pools: expected a list");
      m->pools.clear();
      for (size_t i = 0; i < v.size(); ++i) {
        SpotPoolConfig pool;
        SK_RETURN_IF_ERROR(ApplyMarketPool(v[i], "market.pools[" + std::to_string(i) + "]", &pool));
        m->pools.push_back(std::move(pool));
      }
    } else if (k == "timeScale") {
      SK_ASSIGN_OR_RETURN(m->time_scale, As<double>(v, key, "a number"));
    } else if (k == "interruptionsPerHour") {
      SK_ASSIGN_OR_RETURN(m->interruptions_per_hour, As<double>(v, key, "a number"));
    } else if (k == "noticeSeconds") {
      SK_ASSIGN_OR_RETURN(m->notice, Seconds(v, key));
    } else if (k == "rebalanceLeadSeconds") {
      SK_ASSIGN_OR_RETURN(m->rebalance_lead, Seconds(v, key));
    } else if (k == "restartDelaySeconds") {
      SK_ASSIGN_OR_RETURN(m->restart_delay, Seconds(v, key));
    } else if (k == "reclaimOrder") {
      SK_ASSIGN_OR_RETURN(m->reclaim_order, As<std::string>(v, key, "newest or random"));
    } else if (k == "historyLimit") {
      SK_ASSIGN_OR_RETURN(m->history_limit, As<int>(v, key, "an integer"));
    } else {
      return InvalidArgument("cloud config: unknown key '" + key + "'");
    }
  }
  return ValidateMarketOptions(*m);
}

}  // namespace

Status ApplyCloudConfigText(const std::string& text, LocalCloudOptions* options) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return InvalidArgument(std::string("cloud config: ") + e.what());
  }
  if (!root || root.IsNull()) return OkStatus();
  if (!root.IsMap()) return InvalidArgument("cloud config: expected a mapping");
  try {
    for (const auto& kv : root) {
      std::string key = kv.first.as<std::string>();
      const YAML::Node& v = kv.second;
      EngineOptions& e = options->engine;
      if (key == "listen") {
        SK_RETURN_IF_ERROR(ApplyListen(v.as<std::string>(), options));
      } else if (key == "region") {
        e.region = v.as<std::string>();
      } else if (key == "availabilityZones") {
        e.availability_zones = v.as<std::vector<std::string>>();
        if (e.availability_zones.empty()) {
          return InvalidArgument("cloud config: availabilityZones is empty");
        }
      } else if (key == "accountId") {
        e.account_id = v.as<std::string>();
      } else if (key == "defaultVpcCidr") {
        e.default_vpc_cidr = v.as<std::string>();
      } else if (key == "eventsQueue") {
        options->events_queue = v.as<std::string>();
      } else if (key == "workerThreads") {
        e.worker_threads = v.as<int>();
      } else if (key == "stopGraceSeconds") {
        e.stop_grace = std::chrono::seconds(v.as<int>());
      } else if (key == "maxInstances") {
        e.max_instances = v.as<int>();
      } else if (key == "terminatedRetentionSeconds") {
        SK_RETURN_IF_ERROR(RetentionSeconds(key, v, &e.terminated_retention));
      } else if (key == "spotRequestRetentionSeconds") {
        SK_RETURN_IF_ERROR(RetentionSeconds(key, v, &e.spot_request_retention));
      } else if (key == "costRetentionSeconds") {
        SK_RETURN_IF_ERROR(RetentionSeconds(key, v, &e.cost_retention));
      } else if (key == "clientTokenRetentionSeconds") {
        SK_RETURN_IF_ERROR(RetentionSeconds(key, v, &e.client_token_retention));
      } else if (key == "imds") {
        options->imds = v.as<bool>();
      } else if (key == "market") {
        SK_RETURN_IF_ERROR(ApplyMarket(v, &e.market));
      } else {
        return InvalidArgument("cloud config: unknown key '" + key + "'");
      }
    }
  } catch (const YAML::Exception& ex) {
    return InvalidArgument(std::string("cloud config: ") + ex.what());
  }
  return OkStatus();
}

Status ApplyCloudConfigFile(const std::string& path, LocalCloudOptions* options) {
  std::ifstream in(path);
  if (!in) return NotFound("cloud config: cannot read " + path);
  std::stringstream buf;
  buf << in.rdbuf();
  SK_RETURN_IF_ERROR(ApplyCloudConfigText(buf.str(), options).Annotate(path));
  // A relative market.csvPath is relative to the config file.
  std::string& csv = options->engine.market.csv_path;
  if (!csv.empty() && csv[0] != '/') {
    csv = (std::filesystem::path(path).parent_path() / csv).string();
  }
  return OkStatus();
}

}  // namespace spotkeeper::cloud
