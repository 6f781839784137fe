#include "cloud/engine/event_publisher.h"

namespace spotkeeper::cloud {

EventPublisher::EventPublisher(SqsService* sqs, std::string queue_name, std::string region,
                               std::string account_id, uint64_t seed)
    : sqs_(sqs),
      queue_name_(std::move(queue_name)),
      region_(std::move(region)),
      account_id_(std::move(account_id)),
      random_(seed) {}

Status EventPublisher::EnsureQueue() { return sqs_->CreateQueue(queue_name_, {}).status(); }

Status EventPublisher::InstanceStateChange(const std::string& instance_id, const std::string& state,
                                           Time at) {
  return Put("EC2 Instance State-change Notification", instance_id,
             {{"instance-id", instance_id}, {"state", state}}, at);
}

Status EventPublisher::SpotInterruptionWarning(const std::string& instance_id,
                                               const std::string& action, Time at) {
  return Put("EC2 Spot Instance Interruption Warning", instance_id,
             {{"instance-id", instance_id}, {"instance-action", action}}, at);
}

Status EventPublisher::RebalanceRecommendation(const std::string& instance_id, Time at) {
  return Put("EC2 Instance Rebalance Recommendation", instance_id, {{"instance-id", instance_id}},
             at);
}

namespace {
// EventBridge writes whole seconds: "2026-01-01T00:00:00Z".
std::string EventTime(Time at) {
  std::string time = FormatTime(at);
  if (time.size() == 24) time = time.substr(0, 19) + "Z";
  return time;
}
}  // namespace

std::string EventPublisher::Arn(const std::string& type, const std::string& id) const {
  std::string account = type == "snapshot" ? "" : account_id_;
  return "arn:aws:ec2:" + region_ + ":" + account + ":" + type + "/" + id;
}

Status EventPublisher::SnapshotNotification(const std::string& snapshot_id,
                                            const std::string& event, bool succeeded,
                                            const std::string& cause, const std::string& source_arn,
                                            Time start, Time end) {
  std::string arn = Arn("snapshot", snapshot_id);
  return PutFor("EBS Snapshot Notification", arn,
                {{"event", event},
                 {"result", succeeded ? "succeeded" : "failed"},
                 {"cause", cause},
                 {"request-id", ""},
                 {"snapshot_id", arn},
                 {"source", source_arn},
                 {"startTime", EventTime(start)},
                 {"endTime", EventTime(end)}},
                end);
}

Status EventPublisher::Put(const std::string& detail_type, const std::string& instance_id,
                           nlohmann::json detail, Time at) {
  return PutFor(detail_type, Arn("instance", instance_id), std::move(detail), at);
}

Status EventPublisher::PutFor(const std::string& detail_type, const std::string& resource_arn,
                              nlohmann::json detail, Time at) {
  std::string id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::string h = random_.Hex(32);
    id = h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20, 12);
  }
  std::string time = EventTime(at);
  nlohmann::json event = {
      {"version", "0"},
      {"id", id},
      {"detail-type", detail_type},
      {"source", "aws.ec2"},
      {"account", account_id_},
      {"time", time},
      {"region", region_},
      {"resources", nlohmann::json::array({resource_arn})},
      {"detail", std::move(detail)},
  };
  return sqs_->SendMessage(queue_name_, event.dump()).status();
}

}  // namespace spotkeeper::cloud
