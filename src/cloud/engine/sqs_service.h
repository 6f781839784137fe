// SqsService: the local cloud's SQS queues (standard queues), protocol-neutral: the api layer
// speaks the JSON and Query protocols on top of it. Queues and messages live in CloudDb, so
// events survive a restart of the cloud, and the engine's state changes enqueue their event in
// the same transaction.
//
// Semantics follow SQS: a received message is invisible for the visibility timeout and then
// comes back; each receive gives a new receipt handle and only the latest one deletes (an older
// one "succeeds" without deleting, as SQS does); ReceiveMessage long-polls up to WaitTimeSeconds
// (real time) for the first message. Visibility and retention use the injected Clock.
// Thread-safe.
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cloud/engine/cloud_db.h"
#include "common/random.h"
#include "common/status.h"
#include "common/time.h"

namespace spotkeeper::cloud {

struct SqsReceived {
  std::string message_id;
  std::string receipt_handle;
  std::string body;
  std::string md5_of_body;
  std::map<std::string, std::string> attributes;  // SentTimestamp, ApproximateReceiveCount, ...
};

struct SqsSent {
  std::string message_id;
  std::string md5_of_body;
};

class SqsService {
 public:
  // `endpoint` is the base URL queue URLs start with ("http://127.0.0.1:7781").
  SqsService(CloudDb* db, const Clock* clock, uint64_t seed, std::string account_id,
             std::string endpoint);
  ~SqsService();

  void SetEndpoint(const std::string& endpoint);
  std::string QueueUrl(const std::string& name) const;
  // The queue a URL names (its last path segment), NotFound (QueueDoesNotExist) when unknown.
  Result<std::string> QueueNameFromUrl(const std::string& url);

  // Attributes: VisibilityTimeout, MessageRetentionPeriod, ReceiveMessageWaitTimeSeconds,
  // DelaySeconds, MaximumMessageSize. Same name with other attributes: QueueAlreadyExists.
  Result<std::string> CreateQueue(const std::string& name,
                                  const std::map<std::string, std::string>& attributes);
  Result<std::string> GetQueueUrl(const std::string& name);
  Result<std::vector<std::string>> ListQueues(const std::string& prefix);
  Status DeleteQueue(const std::string& name);
  Status PurgeQueue(const std::string& name);
  Result<std::map<std::string, std::string>> GetQueueAttributes(const std::string& name);

  Result<SqsSent> SendMessage(const std::string& name, const std::string& body,
                              std::optional<int> delay_seconds = std::nullopt);
  // Up to `max` (1..10) messages; waits up to `wait` (0..20 s, nullopt: the queue's default)
  // of real time for the first one.
  Result<std::vector<SqsReceived>> ReceiveMessage(const std::string& name, int max,
                                                  std::optional<int> visibility_timeout,
                                                  std::optional<int> wait_seconds);
  Status DeleteMessage(const std::string& name, const std::string& receipt_handle);
  Status ChangeMessageVisibility(const std::string& name, const std::string& receipt_handle,
                                 int visibility_timeout);
  // Wakes every long poll; later ones return at once. For shutdown.
  void Close();

 private:
  struct QueueAttrs {
    int visibility_timeout = 30;
    int retention_seconds = 345600;
    int receive_wait_seconds = 0;
    int delay_seconds = 0;
    int max_message_size = 262144;
  };
  Result<QueueAttrs> LoadQueue(const std::string& name);
  Result<std::vector<SqsReceived>> TryReceive(const std::string& name, const QueueAttrs& attrs,
                                              int max, int visibility_timeout);
  std::string NewId();

  CloudDb* db_;
  const Clock* clock_;
  std::string account_id_;
  mutable std::mutex mu_;  // after CloudDb's mutex in lock order
  Random random_;
  std::string endpoint_;
  // Long-poll wake-ups (a separate mutex: waiters hold neither CloudDb's nor mu_).
  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  uint64_t generation_ = 0;
  bool closed_ = false;
};

}  // namespace spotkeeper::cloud
