// EventSource: where the ec2 provider's CloudEvents come from (an SQS queue fed by an
// EventBridge rule, or polling). Same contract as CloudProvider::ReceiveEvents/AckEvents: an
// event stays deliverable until acknowledged. Implementations are thread-safe.
#pragma once

#include <string>
#include <vector>

#include "provider/cloud_provider.h"

namespace spotkeeper {

class EventSource {
 public:
  virtual ~EventSource() = default;
  virtual Result<std::vector<CloudEvent>> Receive(int max) = 0;
  virtual Status Ack(const std::vector<std::string>& receipts) = 0;
};

}  // namespace spotkeeper
