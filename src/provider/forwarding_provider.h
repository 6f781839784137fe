// ForwardingProvider: a CloudProvider that passes every call to another one it does not own.
// Lets a provider owned elsewhere (a test's FakeCloud, the sim cloud, dev's Ec2Provider) sit
// under decorators that want ownership of their inner provider (RateLimitedProvider).
#pragma once

#include "provider/provider_decorator.h"

namespace spotkeeper {

class ForwardingProvider final : public ProviderDecorator {
 public:
  // `inner` must outlive this object.
  explicit ForwardingProvider(CloudProvider* inner) : ProviderDecorator(inner) {}
};

}  // namespace spotkeeper
