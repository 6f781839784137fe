#include "provider/fake/register.h"

#include <memory>

#include "provider/fake/fake_cloud.h"

namespace spotkeeper {

namespace {

Result<FakeCloudOptions> ParseOptions(const nlohmann::json& config) {
  FakeCloudOptions o;
  if (!config.is_object()) return InvalidArgument("fake provider config must be an object");
  try {
    if (config.contains("region")) o.region = config.at("region").get<std::string>();
    if (config.contains("availabilityZones")) {
      o.availability_zones = config.at("availabilityZones").get<std::vector<std::string>>();
      if (o.availability_zones.empty() || o.availability_zones.size() > 200) {
        return InvalidArgument("fake provider: availabilityZones must list 1..200 zones");
      }
    }
    if (config.contains("throttle")) o.throttle = config.at("throttle").get<bool>();
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument(std::string("fake provider config: ") + e.what());
  }
  return o;
}

}  // namespace

Status RegisterFakeProvider(ProviderRegistry& registry) {
  return registry.Register(
      "fake", [](const ProviderOptions& options) -> Result<std::unique_ptr<CloudProvider>> {
        SK_ASSIGN_OR_RETURN(FakeCloudOptions o, ParseOptions(options.config));
        return std::unique_ptr<CloudProvider>(
            std::make_unique<FakeCloud>(options.clock, options.seed, std::move(o)));
      });
}

}  // namespace spotkeeper
