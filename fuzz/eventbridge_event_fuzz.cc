// Fuzz target: ParseEventBridgeMessage, the ec2 provider's reading of an SQS message body that an
// EventBridge rule (or SNS in front of it) delivered. Contract besides "never crash": a failure
// is InvalidArgument, as the header promises, and an event names an instance.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "provider/ec2/eventbridge_event.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace spotkeeper;
  std::string body(reinterpret_cast<const char*>(data), size);
  auto event = ParseEventBridgeMessage(body);
  if (!event.ok() && event.status().code() != Code::kInvalidArgument) {
    std::fprintf(stderr, "eventbridge_event_fuzz: %s\n", event.status().ToString().c_str());
    std::abort();
  }
  if (event.ok() && event->has_value() && (*event)->instance_id.empty()) {
    std::fprintf(stderr, "eventbridge_event_fuzz: event without an instance\n");
    std::abort();
  }
  return 0;
}
