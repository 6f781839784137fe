// EventBridge EC2 events, as an EventBridge rule delivers them to SQS (the message body is the
// event itself; an SNS "Notification" wrapper around it is unwrapped too):
//   {"version":"0","id":"…","detail-type":"EC2 Spot Instance Interruption Warning",
//    "source":"aws.ec2","account":"…","time":"2026-01-01T00:00:00Z","region":"…",
//    "resources":["arn:aws:ec2:…:instance/i-…"],
//    "detail":{"instance-id":"i-…","instance-action":"terminate"}}
// Kinds read: "EC2 Spot Instance Interruption Warning" (detail.instance-id,
// detail.instance-action; action time = event time + 2 min), "EC2 Instance Rebalance
// Recommendation" (detail.instance-id), "EC2 Instance State-change Notification"
// (detail.instance-id, detail.state).
#pragma once

#include <optional>
#include <string>

#include "provider/cloud_provider.h"

namespace spotkeeper {

// How long after an interruption warning the instance is reclaimed.
inline constexpr Duration kSpotInterruptionNotice = std::chrono::minutes(2);

// The event in `body` (receipt left empty). nullopt for a well-formed event of a kind spotkeeper
// does not handle; InvalidArgument for anything else (not JSON, fields missing or mistyped).
Result<std::optional<CloudEvent>> ParseEventBridgeMessage(const std::string& body);

}  // namespace spotkeeper
