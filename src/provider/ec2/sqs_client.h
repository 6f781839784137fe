// SqsClient: the SQS JSON protocol (POST, X-Amz-Target: AmazonSQS.<Action>, Content-Type
// application/x-amz-json-1.0) through an AwsRequestSender. Thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "awsproto/sigv4.h"
#include "provider/ec2/aws_request_sender.h"

namespace spotkeeper {

struct SqsMessage {
  std::string message_id;
  std::string receipt_handle;
  std::string body;
};

class SqsClient {
 public:
  // `sender` must outlive the client. `endpoint` is the SQS service URL.
  SqsClient(AwsRequestSender* sender, std::string endpoint, std::string region);

  // Calls AmazonSQS.<action> with `input`; returns the reply's JSON object ({} for an empty body).
  Result<nlohmann::json> Call(const std::string& action, const nlohmann::json& input,
                              bool idempotent, Duration timeout = Duration{0});

  // ReceiveMessage with long polling: at most `max_messages` (1..10), waiting up to
  // `wait_seconds` (0..20) for the first one. The HTTP timeout is wait + `extra_timeout`.
  Result<std::vector<SqsMessage>> ReceiveMessages(const std::string& queue_url, int max_messages,
                                                  int wait_seconds, Duration extra_timeout);
  // DeleteMessageBatch in chunks of 10. Returns the receipt handles that failed, with their
  // error codes ("ReceiptHandleIsInvalid").
  Result<std::vector<std::pair<std::string, std::string>>> DeleteMessages(
      const std::string& queue_url, const std::vector<std::string>& receipt_handles);
  // For tests and tools: CreateQueue (returns the QueueUrl) and SendMessage (returns MessageId).
  Result<std::string> CreateQueue(const std::string& name);
  Result<std::string> SendMessage(const std::string& queue_url, const std::string& body);

 private:
  AwsRequestSender* sender_;
  std::string endpoint_;
  aws::Sigv4Signer signer_;
};

// Decodes an SQS JSON error reply.
Status DecodeSqsError(const aws::HttpResponse& response);

}  // namespace spotkeeper
