// The fake cloud's internal records: what FakeCloud keeps per resource beyond the public
// CloudProvider structs. Internal to src/provider/fake.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_set>

#include "common/time.h"
#include "provider/cloud_provider.h"
#include "provider/fake/subnet_addresses.h"

namespace spotkeeper::fake {

// A state change due at some time. Transitions are applied in (time, scheduling order); each
// checks that its resource is still in the state it was scheduled from (or, for attachments,
// still at the same `generation`) and does nothing otherwise.
enum class TransitionKind {
  kInstanceRunning,     // pending -> running
  kInstanceStatusOk,    // status checks initializing -> ok
  kInstanceTerminated,  // shutting-down -> terminated, then volumes and ENIs let go
  kInstanceVanished,    // terminated long enough: gone from DescribeInstances
  kSpotInterruption,    // the interruption notice's action time: the spot service terminates
  kVolumeAvailable,     // creating -> available
  kVolumeAttached,      // attachment attaching -> attached
  kVolumeDetached,      // attachment detaching -> volume available
  kVolumeDeleted,       // deleting -> deleted
  kSnapshotCompleted,   // pending -> completed
  kImageAvailable,      // pending -> available
  kEniAttached,         // attachment attaching -> attached
  kEniDetached,         // attachment detaching -> ENI available
};

struct Transition {
  TransitionKind kind;
  // The id field of the resource's record. Records are never erased (deleted resources stay
  // for inspection) and live in node-based maps, so the pointer stays valid.
  const std::string* id;
  uint64_t generation = 0;
};

struct ScheduledTransition {
  Time at;
  uint64_t seq;
  Transition transition;
  // For std::push_heap/pop_heap: a max-heap on "later", i.e. the earliest on top.
  bool operator<(const ScheduledTransition& o) const {
    return at != o.at ? at > o.at : seq > o.seq;
  }
};

struct InstanceRecord {
  Instance instance;
  Time running_at = kNever;
  Time serving_at = kNever;                   // the workload accepts connections from then on
  bool workload_down = false;                 // SetWorkloadServing(false)
  std::optional<std::string> workload_reply;  // SetWorkloadReply; unset: any expect is met
  Time terminated_at = kNever;
  bool status_ok = false;  // initial status checks passed
  bool impaired = false;
  bool vanished = false;
  // Spot interruption notice (IMDS spot/instance-action); kNever when none was given.
  Time action_time = kNever;
  Time rebalance_time = kNever;
  bool terminated_by_service = false;
};

struct VolumeRecord {
  Volume volume;            // state "deleted" once gone (inspection only)
  uint64_t generation = 0;  // bumped by every attach/detach
  Time gone_at = kNever;
};

struct SnapshotRecord {
  Snapshot snapshot;
  Time complete_at = kNever;
  bool deleted = false;
};

struct ImageRecord {
  Image image;
  bool is_public = false;  // a base image from AddImage
  int pending_snapshots = 0;
};

struct EniRecord {
  NetworkInterface eni;
  uint64_t generation = 0;
  bool deleted = false;
};

struct SpotRequestRecord {
  SpotInstanceRequest request;
  Tags tags;  // the launch's instance tags (EC2: TagSpecification spot-instances-request)
};

struct SubnetRecord {
  Subnet subnet;
  SubnetAddresses addresses;
};

// A capacity pool: one instance type in one AZ, for one market.
struct Pool {
  int capacity = -1;                     // -1: unlimited
  std::unordered_set<std::string> live;  // pending, running and shutting-down instances
};

// What a ClientToken was used for: the resource made and the request's parameters.
struct TokenRecord {
  std::string id;
  uint64_t fingerprint = 0;  // ParamDigest of the request
};

struct SpotPriceRecord {
  double price = 0;
  Time timestamp;
};

}  // namespace spotkeeper::fake
