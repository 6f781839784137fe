#include "cloud/api/cloud_config.h"

#include <yaml-cpp/yaml.h>

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
        e.terminated_retention = std::chrono::seconds(v.as<int>());
      } else if (key == "imds") {
        options->imds = v.as<bool>();
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
  return ApplyCloudConfigText(buf.str(), options).Annotate(path);
}

}  // namespace spotkeeper::cloud
