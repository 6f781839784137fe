#include "provider/ec2/sqs_event_source.h"

#include <spdlog/spdlog.h>

#include "awsproto/aws_error.h"
#include "provider/ec2/eventbridge_event.h"

namespace spotkeeper {

SqsEventSource::SqsEventSource(SqsClient* sqs, std::string queue_url, int wait_seconds,
                               Duration extra_timeout)
    : sqs_(sqs),
      queue_url_(std::move(queue_url)),
      wait_seconds_(wait_seconds),
      extra_timeout_(extra_timeout) {}

Result<std::vector<CloudEvent>> SqsEventSource::Receive(int max) {
  std::vector<CloudEvent> events;
  if (max <= 0) return events;
  SK_ASSIGN_OR_RETURN(std::vector<SqsMessage> messages,
                      sqs_->ReceiveMessages(queue_url_, max, wait_seconds_, extra_timeout_));
  std::vector<std::string> poison;
  for (SqsMessage& m : messages) {
    Result<std::optional<CloudEvent>> parsed = ParseEventBridgeMessage(m.body);
    if (!parsed.ok()) {
      spdlog::warn("events queue: dropping unreadable message {}: {}", m.message_id,
                   parsed.status().message());
      poison.push_back(m.receipt_handle);
    } else if (!parsed->has_value()) {
      spdlog::info("events queue: dropping message {} of a kind spotkeeper does not handle",
                   m.message_id);
      poison.push_back(m.receipt_handle);
    } else {
      CloudEvent e = std::move(**parsed);
      e.receipt = m.receipt_handle;
      events.push_back(std::move(e));
    }
  }
  if (!poison.empty()) {
    Status s = Ack(poison);
    if (!s.ok()) spdlog::warn("events queue: could not delete dropped messages: {}", s.ToString());
  }
  return events;
}

Status SqsEventSource::Ack(const std::vector<std::string>& receipts) {
  if (receipts.empty()) return OkStatus();
  SK_ASSIGN_OR_RETURN(auto failed, sqs_->DeleteMessages(queue_url_, receipts));
  int invalid = 0;
  for (const auto& [handle, code] : failed) {
    if (code == "ReceiptHandleIsInvalid") {
      ++invalid;
      continue;
    }
    return Status(aws::CodeForAwsError(code, 500),
                  "sqs DeleteMessageBatch: " + std::to_string(failed.size()) + " of " +
                      std::to_string(receipts.size()) + " messages not deleted",
                  code);
  }
  if (invalid > 0) {
    spdlog::info("events queue: {} receipt handles were no longer valid (already deleted)",
                 invalid);
  }
  return OkStatus();
}

}  // namespace spotkeeper
