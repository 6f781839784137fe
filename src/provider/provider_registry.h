// ProviderRegistry: backends register by name in one explicit place (RegisterBuiltinProviders),
// not through static initialisers; registering a name twice is an error.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/random.h"
#include "common/time.h"
#include "provider/cloud_provider.h"

namespace spotkeeper {

struct ProviderOptions {
  nlohmann::json config = nlohmann::json::object();  // backend-specific settings
  const Clock* clock = SystemClock::Default();
  uint64_t seed = 0;  // for backends that draw randomness (fake)
};

using ProviderFactory =
    std::function<Result<std::unique_ptr<CloudProvider>>(const ProviderOptions&)>;

class ProviderRegistry {
 public:
  Status Register(const std::string& name, ProviderFactory factory);
  Result<std::unique_ptr<CloudProvider>> Create(const std::string& name,
                                                const ProviderOptions& options) const;
  std::vector<std::string> Names() const;

 private:
  std::map<std::string, ProviderFactory> factories_;
};

}  // namespace spotkeeper
