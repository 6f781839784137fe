#include "provider/ec2/eventbridge_event.h"

#include <nlohmann/json.hpp>

#include "common/json_depth.h"

namespace spotkeeper {
namespace {

std::string Str(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

Result<std::optional<CloudEvent>> ParseEventBridgeMessage(const std::string& body) {
  // Anyone allowed to SendMessage to the queue writes these; no event nests deeply.
  if (JsonNestingDepth(body) > kMaxJsonDepth) {
    return InvalidArgument("event message nests deeper than " + std::to_string(kMaxJsonDepth) +
                           " levels");
  }
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return InvalidArgument("event message is not a JSON object");
  if (Str(j, "Type") == "Notification" && j.contains("Message")) {  // SNS envelope
    j = nlohmann::json::parse(Str(j, "Message"), nullptr, false);
    if (!j.is_object()) return InvalidArgument("SNS message is not a JSON object");
  }
  const std::string detail_type = Str(j, "detail-type");
  if (detail_type.empty() || !j.contains("detail") || !j["detail"].is_object()) {
    return InvalidArgument("not an EventBridge event (no detail-type/detail)");
  }
  CloudEvent e;
  if (detail_type == CloudEventKindName(CloudEventKind::kSpotInterruptionWarning)) {
    e.kind = CloudEventKind::kSpotInterruptionWarning;
  } else if (detail_type == CloudEventKindName(CloudEventKind::kRebalanceRecommendation)) {
    e.kind = CloudEventKind::kRebalanceRecommendation;
  } else if (detail_type == CloudEventKindName(CloudEventKind::kInstanceStateChange)) {
    e.kind = CloudEventKind::kInstanceStateChange;
  } else {
    return std::optional<CloudEvent>();
  }
  if (Str(j, "source") != "aws.ec2") {
    return InvalidArgument("event '" + detail_type + "' does not come from aws.ec2");
  }
  const nlohmann::json& detail = j["detail"];
  e.id = Str(j, "id");
  e.account = Str(j, "account");
  e.region = Str(j, "region");
  e.instance_id = Str(detail, "instance-id");
  auto time = ParseTime(Str(j, "time"));
  if (e.id.empty() || e.instance_id.empty() || !time.ok()) {
    return InvalidArgument("event '" + detail_type + "' lacks id, time or detail.instance-id");
  }
  e.time = *time;
  switch (e.kind) {
    case CloudEventKind::kSpotInterruptionWarning:
      e.instance_action = Str(detail, "instance-action");
      if (e.instance_action.empty()) {
        return InvalidArgument("interruption warning without detail.instance-action");
      }
      e.action_time = e.time + kSpotInterruptionNotice;
      break;
    case CloudEventKind::kInstanceStateChange:
      e.state = Str(detail, "state");
      if (!ParseInstanceState(e.state)) {
        return InvalidArgument("state-change event with unknown state '" + e.state + "'");
      }
      break;
    case CloudEventKind::kRebalanceRecommendation:
      break;
  }
  return std::optional<CloudEvent>(std::move(e));
}

}  // namespace spotkeeper
