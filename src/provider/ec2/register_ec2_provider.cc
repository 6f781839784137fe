#include "provider/ec2/register_ec2_provider.h"

#include "provider/ec2/ec2_provider.h"

namespace spotkeeper {

Status RegisterEc2Provider(ProviderRegistry& registry) {
  return registry.Register(
      "ec2", [](const ProviderOptions& options) -> Result<std::unique_ptr<CloudProvider>> {
        SK_ASSIGN_OR_RETURN(Ec2ProviderConfig config, Ec2ProviderConfig::FromJson(options.config));
        Ec2ProviderDeps deps;
        deps.clock = options.clock;
        deps.seed = options.seed;
        SK_ASSIGN_OR_RETURN(std::unique_ptr<Ec2Provider> provider,
                            Ec2Provider::Create(std::move(config), std::move(deps)));
        return std::unique_ptr<CloudProvider>(std::move(provider));
      });
}

}  // namespace spotkeeper
