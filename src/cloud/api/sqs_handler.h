// SqsHandler: SQS's JSON protocol (POST, X-Amz-Target: AmazonSQS.<Action>, JSON bodies, errors
// {"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":…} with x-amzn-query-error) and its
// older Query protocol (form parameters, XML in http://queue.amazonaws.com/doc/2012-11-05/,
// <ErrorResponse> errors; the AWS CLI v2 of Debian 12 still speaks it) over SqsService. Both
// fronts share one implementation working on JSON-protocol shapes.
//
// Actions: CreateQueue, GetQueueUrl, ListQueues, DeleteQueue, PurgeQueue, GetQueueAttributes,
// SendMessage, ReceiveMessage (WaitTimeSeconds long poll), DeleteMessage, DeleteMessageBatch,
// ChangeMessageVisibility. Thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "awsproto/query_decoder.h"
#include "cloud/api/api_reply.h"
#include "cloud/engine/sqs_service.h"

namespace spotkeeper::cloud {

class SqsHandler {
 public:
  explicit SqsHandler(SqsService* sqs) : sqs_(sqs) {}

  static bool IsQueryAction(const std::string& action);
  // JSON protocol: `action` from X-Amz-Target without "AmazonSQS.".
  ApiReply HandleJson(const std::string& action, const std::string& body,
                      const std::string& request_id);
  // Query protocol; `path` is the request path (a queue URL path may name the queue).
  ApiReply HandleQuery(const aws::QueryDecoder& params, const std::string& path,
                       const std::string& request_id);

  static ApiReply JsonError(const Status& status, const std::string& request_id);
  static ApiReply QueryError(const Status& status, const std::string& request_id);

 private:
  Result<nlohmann::json> Call(const std::string& action, const nlohmann::json& in);
  Result<std::string> Queue(const nlohmann::json& in);

  SqsService* sqs_;
};

}  // namespace spotkeeper::cloud
