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

Status EventPublisher::Put(const std::string& detail_type, const std::string& instance_id,
                           nlohmann::json detail, Time at) {
  std::string id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::string h = random_.Hex(32);
    id = h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20, 12);
  }
  std::string time = FormatTime(at);
  // EventBridge writes whole seconds: "2026-01-01T00:00:00Z".
  if (time.size() == 24) time = time.substr(0, 19) + "Z";
  nlohmann::json event = {
      {"version", "0"},
      {"id", id},
      {"detail-type", detail_type},
      {"source", "aws.ec2"},
      {"account", account_id_},
      {"time", time},
      {"region", region_},
      {"resources", nlohmann::json::array({"arn:aws:ec2:" + region_ + ":" + account_id_ +
                                           ":instance/" + instance_id})},
      {"detail", std::move(detail)},
  };
  return sqs_->SendMessage(queue_name_, event.dump()).status();
}

}  // namespace spotkeeper::cloud
