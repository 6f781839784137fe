// Registers the fake cloud with a ProviderRegistry under the name "fake".
#pragma once

#include "common/status.h"
#include "provider/provider_registry.h"

namespace spotkeeper {

// "fake": a FakeCloud on ProviderOptions::clock with ProviderOptions::seed. Optional config
// keys: "region" (string), "availabilityZones" (array of strings), "throttle" (bool).
Status RegisterFakeProvider(ProviderRegistry& registry);

}  // namespace spotkeeper
