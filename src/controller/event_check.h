// Checks of a cloud event before the controller acts on it. Anyone allowed to send to the events
// queue writes what the controller reads, and a queue also delivers events late: an event is
// acted on only when it names the provider's account and region, and when DescribeInstances
// confirms that its instance exists, belongs to the SSI, and is in a state the event can
// describe. Each function answers why the event must be ignored, or "" when it may be acted on.
#pragma once

#include <optional>
#include <string>

#include "provider/cloud_provider.h"
#include "store/store.h"

namespace spotkeeper {

// An account or region the event names that differs from the provider's. A field empty on
// either side is not compared (the fake cloud's and the polling source's synthesised events
// name none; a provider without an events queue URL does not know its account).
std::string WhyIgnoreScope(const CloudEvent& e, const CloudScope& scope);

// Whether the event needs DescribeInstances before the controller acts on it: interruption
// warnings, rebalance recommendations, and state changes to a state where the instance is lost.
bool NeedsConfirmation(const CloudEvent& e);

// `described` is what DescribeInstances answered for e.instance_id (nullopt: it does not know the
// instance). REQUIRES: NeedsConfirmation(e).
std::string WhyIgnoreInstance(const CloudEvent& e, const SsiRecord& ssi,
                              const std::optional<Instance>& described);

}  // namespace spotkeeper
