// Settings of the fake cloud (FakeCloudOptions) and the faults it injects (FakeFaults).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "common/time.h"

namespace spotkeeper {

// A transition delay drawn uniformly (in whole milliseconds) from [min, max].
struct DelayRange {
  Duration min{0};
  Duration max{0};
};

struct FakeCloudOptions {
  std::string region = "us-east-1";
  // The account its events name (EventBridge's "account").
  std::string account_id = "000000000000";
  // One default subnet per AZ, 10.0.<n+1>.0/24 for the n-th AZ, in one default VPC.
  std::vector<std::string> availability_zones = {"us-east-1a", "us-east-1b", "us-east-1c"};

  // How long things take.
  DelayRange instance_pending{Duration{3000}, Duration{8000}};        // pending -> running
  DelayRange instance_shutting_down{Duration{2000}, Duration{5000}};  // shutting-down -> terminated
  DelayRange host_failure{Duration{500}, Duration{1500}};             // KillInstance -> terminated
  // After running: DescribeInstanceStatus says "initializing" this long, then "ok".
  Duration instance_status_initializing{2000};
  // After running: the workload serves (ProbeServing, every kind of check) after this delay, drawn
  // per instance from a stream of its own (so changing it moves no other delay).
  DelayRange workload_serving{Duration{0}, Duration{0}};
  DelayRange volume_creating{Duration{1000}, Duration{3000}};  // creating -> available
  DelayRange volume_deleting{Duration{500}, Duration{1000}};   // deleting -> gone
  DelayRange volume_attach{Duration{1000}, Duration{2000}};    // attaching -> attached
  DelayRange volume_detach{Duration{1000}, Duration{2000}};    // detaching -> available
  // Snapshot: base + size * per_gib; when the volume already has a completed snapshot only the
  // changed blocks are copied: base + size * per_gib * incremental_fraction.
  DelayRange snapshot_base{Duration{5000}, Duration{20000}};
  Duration snapshot_per_gib{500};
  double snapshot_incremental_fraction = 0.1;
  DelayRange image_pending{Duration{1000}, Duration{3000}};  // after its last snapshot completes
  DelayRange eni_attach{Duration{500}, Duration{1000}};
  DelayRange eni_detach{Duration{500}, Duration{1000}};
  // Terminated instances stay in DescribeInstances this long.
  Duration terminated_visibility{3'600'000};

  Duration interruption_notice{120'000};      // the two-minute warning
  Duration event_visibility_timeout{30'000};  // SQS visibility timeout of received events
  // Server-side EC2 request throttling (token_bucket.h's buckets): RequestLimitExceeded.
  bool throttle = true;
  // If set, injected latency (FakeFaults::max_latency) advances this clock. Usually the same
  // clock the cloud reads.
  FakeClock* advance_clock = nullptr;
};

// Faults injected into API calls (not into the inspection and chaos methods). Every draw comes
// from the cloud's seeded Random in a fixed order per call (latency, error, lost response), so
// a run replays exactly.
struct FakeFaults {
  // The call fails with a retryable error (InternalError or Unavailable) and has no effect.
  double error_rate = 0;
  // The call takes effect but the caller sees Unavailable (cloud_code "RequestTimeout").
  double lost_response_rate = 0;
  // Each call advances FakeCloudOptions::advance_clock by a uniform [0, max_latency] first.
  Duration max_latency{0};
  // EC2 action names ("RunInstances", "AttachVolume", ...; "ReceiveMessage" and
  // "DeleteMessageBatch" for events) the faults apply to; empty means every action.
  std::set<std::string> actions;
};

}  // namespace spotkeeper
