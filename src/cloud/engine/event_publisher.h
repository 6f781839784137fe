// EventPublisher: puts EventBridge-shaped EC2 events on the cloud's events queue, as an
// EventBridge rule targeting SQS would deliver them (the message body is the event):
//   {"version":"0","id":"…","detail-type":"EC2 Instance State-change Notification",
//    "source":"aws.ec2","account":"…","time":"…","region":"…",
//    "resources":["arn:aws:ec2:<region>:<account>:instance/i-…"],
//    "detail":{"instance-id":"i-…","state":"running"}}
// Snapshots: "EBS Snapshot Notification" (detail event createSnapshot|copySnapshot, result
// succeeded|failed, cause, request-id, snapshot_id and source as ARNs, startTime, endTime; the
// resource is the snapshot's ARN, arn:aws:ec2:<region>::snapshot/snap-…).
// The spot market (a later issue) adds its kinds through the same Put: "EC2 Spot Instance
// Interruption Warning" (detail instance-id, instance-action) and "EC2 Instance Rebalance
// Recommendation" (detail instance-id); helpers for both exist already.
// Thread-safe. Called inside the engine's transaction, so an event is enqueued exactly when the
// state change it describes is committed.
#pragma once

#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "cloud/engine/sqs_service.h"
#include "common/random.h"
#include "common/time.h"

namespace spotkeeper::cloud {

class EventPublisher {
 public:
  EventPublisher(SqsService* sqs, std::string queue_name, std::string region,
                 std::string account_id, uint64_t seed);

  const std::string& queue_name() const { return queue_name_; }
  // Creates the queue when it is missing.
  Status EnsureQueue();

  Status InstanceStateChange(const std::string& instance_id, const std::string& state, Time at);
  Status SpotInterruptionWarning(const std::string& instance_id, const std::string& action,
                                 Time at);
  Status RebalanceRecommendation(const std::string& instance_id, Time at);
  // `event`: createSnapshot | copySnapshot; `source_arn`: the volume's (or the source
  // snapshot's) ARN; `cause`: why it failed ("" when it succeeded).
  Status SnapshotNotification(const std::string& snapshot_id, const std::string& event,
                              bool succeeded, const std::string& cause,
                              const std::string& source_arn, Time start, Time end);
  // ARNs of the cloud's resources ("snapshot" has no account, as on AWS).
  std::string Arn(const std::string& type, const std::string& id) const;
  // Any EC2 event about one instance.
  Status Put(const std::string& detail_type, const std::string& instance_id, nlohmann::json detail,
             Time at);
  // Any EC2 event about one resource (its ARN).
  Status PutFor(const std::string& detail_type, const std::string& resource_arn,
                nlohmann::json detail, Time at);

 private:
  SqsService* sqs_;
  std::string queue_name_;
  std::string region_;
  std::string account_id_;
  std::mutex mu_;
  Random random_;
};

}  // namespace spotkeeper::cloud
