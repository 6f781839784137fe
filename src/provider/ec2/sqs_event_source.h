// SqsEventSource: EC2 events from an SQS queue that an EventBridge rule feeds. Receive long-polls
// (ReceiveMessage, WaitTimeSeconds) for at most 10 messages; each becomes a CloudEvent whose
// receipt is the message's ReceiptHandle. A message spotkeeper cannot use (garbled, or a kind it
// does not handle) is logged and deleted at once, so a poison message cannot loop. Unacked
// events come back after the queue's visibility timeout.
#pragma once

#include <string>

#include "provider/ec2/event_source.h"
#include "provider/ec2/sqs_client.h"

namespace spotkeeper {

class SqsEventSource final : public EventSource {
 public:
  // `sqs` must outlive this object.
  SqsEventSource(SqsClient* sqs, std::string queue_url, int wait_seconds, Duration extra_timeout);

  Result<std::vector<CloudEvent>> Receive(int max) override;
  // DeleteMessageBatch. Handles SQS no longer knows (ReceiptHandleIsInvalid: already deleted or
  // expired) are not an error; any other failure is, naming the first failure's code.
  Status Ack(const std::vector<std::string>& receipts) override;

 private:
  SqsClient* sqs_;
  std::string queue_url_;
  int wait_seconds_;
  Duration extra_timeout_;
};

}  // namespace spotkeeper
