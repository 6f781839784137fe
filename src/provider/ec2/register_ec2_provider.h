// Registers the "ec2" backend. ProviderOptions.config keys: see ec2_provider_config.h (region,
// endpointUrl, ec2EndpointUrl, sqsEndpointUrl, eventsQueueUrl, profile, timeouts...).
// ProviderOptions.clock signs requests and drives polling; ProviderOptions.seed seeds the
// backoff jitter.
#pragma once

#include "provider/provider_registry.h"

namespace spotkeeper {

Status RegisterEc2Provider(ProviderRegistry& registry);

}  // namespace spotkeeper
