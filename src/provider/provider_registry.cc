#include "provider/provider_registry.h"

namespace spotkeeper {

Status ProviderRegistry::Register(const std::string& name, ProviderFactory factory) {
  if (!factories_.emplace(name, std::move(factory)).second) {
    return AlreadyExists("cloud provider '" + name + "' is registered twice");
  }
  return OkStatus();
}

Result<std::unique_ptr<CloudProvider>> ProviderRegistry::Create(
    const std::string& name, const ProviderOptions& options) const {
  auto it = factories_.find(name);
  if (it == factories_.end()) {
    std::string known;
    for (const auto& [n, f] : factories_) known += (known.empty() ? "" : ", ") + n;
    return InvalidArgument("unknown cloud provider '" + name + "' (known: " + known + ")");
  }
  return it->second(options);
}

std::vector<std::string> ProviderRegistry::Names() const {
  std::vector<std::string> names;
  for (const auto& [n, f] : factories_) names.push_back(n);
  return names;
}

}  // namespace spotkeeper
