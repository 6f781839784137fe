// GroupSpec: a stateful group as a user writes it (YAML or JSON), with Elastigroup's field names
// where they fit. ParseGroupSpec reads and validates it; every problem is reported with the path
// of the field and what to write instead. ToJson gives the canonical form the store keeps.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/serving_probe.h"
#include "common/status.h"
#include "common/time.h"

namespace spotkeeper {

struct AvailabilityZoneSpec {
  std::string name;                     // "us-east-1a"
  std::vector<std::string> subnet_ids;  // at least one

  bool operator==(const AvailabilityZoneSpec&) const = default;
};

struct InstanceTypesSpec {
  std::string ondemand;           // used when falling back to on-demand
  std::vector<std::string> spot;  // tried in order

  bool operator==(const InstanceTypesSpec&) const = default;
};

// compute.launchSpecification.blockDeviceMappings[]: {deviceName, ebs: {volumeSize,
// volumeType, deleteOnTermination}}. These are the data volumes a stateful instance owns.
struct BlockDeviceMappingSpec {
  std::string device_name;  // "/dev/sdf"
  int volume_size_gib = 0;
  std::string volume_type = "gp3";
  bool delete_on_termination = false;

  bool operator==(const BlockDeviceMappingSpec&) const = default;
};

struct LaunchSpecification {
  std::string image_id;
  std::string user_data;                    // plain text (not base64)
  std::map<std::string, std::string> tags;  // from [{tagKey, tagValue}]
  std::vector<BlockDeviceMappingSpec> block_device_mappings;
  std::vector<std::string> security_group_ids;

  bool operator==(const LaunchSpecification&) const = default;
};

struct ComputeSpec {
  std::vector<AvailabilityZoneSpec> availability_zones;
  InstanceTypesSpec instance_types;
  LaunchSpecification launch_specification;
  std::vector<std::string> private_ips;  // a pool: one stateful instance per IP

  bool operator==(const ComputeSpec&) const = default;
};

struct CapacitySpec {
  int target = 1;
  int minimum = 0;
  int maximum = 1;

  bool operator==(const CapacitySpec&) const = default;
};

// "Mon:12:00-Tue:02:00", UTC, may wrap around the end of the week.
struct TimeWindow {
  int start_minute_of_week = 0;  // 0 = Sunday 00:00
  int end_minute_of_week = 0;
  std::string text;  // as written

  static Result<TimeWindow> Parse(const std::string& text);
  // True when t falls in [start, end) (minute resolution), wrapping around the end of the week.
  // A window that was not parsed (start == end) contains nothing.
  bool Contains(Time t) const;

  bool operator==(const TimeWindow&) const = default;
};

enum class PerformAt { kNever, kAlways, kTimeWindow };
const char* PerformAtName(PerformAt p);  // "never" | "always" | "timeWindow"

struct RevertToSpotSpec {
  PerformAt perform_at = PerformAt::kAlways;
  std::vector<TimeWindow> time_windows;

  bool operator==(const RevertToSpotSpec&) const = default;
};

enum class BlockDevicesMode { kReattach, kOnLaunch };
const char* BlockDevicesModeName(BlockDevicesMode m);  // "reattach" | "onLaunch"

struct PersistenceSpec {
  bool should_persist_root_device = false;
  bool should_persist_block_devices = false;
  bool should_persist_private_ip = false;
  BlockDevicesMode block_devices_mode = BlockDevicesMode::kReattach;

  bool operator==(const PersistenceSpec&) const = default;
};

struct StrategySpec {
  bool fallback_to_od = true;
  RevertToSpotSpec revert_to_spot;
  int draining_timeout_seconds = 120;
  int max_unavailable = 1;
  // Replace an instance proactively at an EC2 rebalance recommendation (like Auto Scaling's
  // CapacityRebalance). On by default: the controller did so before the field existed. Off: the
  // recommendation is only recorded; the interruption notice still starts the recovery.
  bool capacity_rebalance = true;
  PersistenceSpec persistence;

  bool operator==(const StrategySpec&) const = default;
};

struct SnapshotSpec {
  int frequency_minutes = 5;
  int keep = 3;

  bool operator==(const SnapshotSpec&) const = default;
};

// health.serving: what "serving" means for the workload. A launched or recovered SSI stays in
// its transitional state (RESUMING, RECYCLING) until the check passes, and only then is ACTIVE;
// so planned actions, which count transitional SSIs as unavailable, never take the next member
// down before this one serves again. Exactly one kind per check:
//   tcp: {port}                  a TCP connection to the private IP is accepted;
//   tcp: {port, send, expect}    the reply to `send` contains `expect` (ZooKeeper's srvr);
//   http: {port, path, expectStatus, expectBody}
//                                GET answers expectStatus with a body containing expectBody.
// A TCP accept alone does not mean a quorum member serves: ZooKeeper opens 2181 and etcd 2379
// before they have joined a quorum / have a leader.
struct ServingCheckSpec {
  ServingProbe probe;              // kind, port and the kind's fields (common/serving_probe.h)
  int grace_period_seconds = 300;  // from the instance running to serving; then ERROR
  int interval_seconds = 5;        // at most this long between two probes
  int timeout_seconds = 2;         // per probe

  bool operator==(const ServingCheckSpec&) const = default;
};

// health.leader: which member of a quorum leads, for the order of planned recycles. A probe of
// the same kinds as health.serving's that passes on the leader only (ZooKeeper: srvr answers
// "Mode: leader"; Patroni: GET /primary is 200 on the primary alone). When several members wait
// for a planned recycle (a rolling recycle, a statefulRecycle task), those that lead go last, so
// the quorum holds one election for the whole roll instead of one per leader it meets. Members
// whose probe fails or times out count as followers; a probe no member (or every member) passes
// leaves the order as it was.
struct LeaderCheckSpec {
  ServingProbe probe;
  int timeout_seconds = 2;  // per probe

  bool operator==(const LeaderCheckSpec&) const = default;
};

struct HealthSpec {
  std::string type = "EC2";  // EC2 instance status checks
  int grace_period_seconds = 300;
  int unhealthy_duration_seconds = 120;
  bool auto_healing = true;
  std::optional<ServingCheckSpec> serving;  // none: ACTIVE as soon as the instance runs
  std::optional<LeaderCheckSpec> leader;    // none: planned recycles in the members' order

  bool operator==(const HealthSpec&) const = default;
};

// Five-field cron ("m h dom mon dow"), UTC. Supports *, lists, ranges, steps and the names
// JAN..DEC / SUN..SAT.
class CronExpression {
 public:
  static Result<CronExpression> Parse(const std::string& text);
  // The first matching minute strictly after `after` (a whole minute, UTC); kNever past the
  // year 9999 or for a default-constructed expression. Parse rejects expressions that can never
  // match (day 30 of February), so a parsed expression always has a next time before then.
  Time Next(Time after) const;
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::vector<bool> minutes_, hours_, days_of_month_, months_, days_of_week_;
  bool dom_restricted_ = false, dow_restricted_ = false;
};

enum class TaskType { kStatefulUpdateCapacity, kStatefulRecycle };
const char* TaskTypeName(TaskType t);  // "statefulUpdateCapacity" | "statefulRecycle"

struct ScheduledTask {
  TaskType task_type = TaskType::kStatefulRecycle;
  std::string cron_expression;
  bool is_enabled = true;
  std::optional<int> target_capacity, min_capacity, max_capacity;  // statefulUpdateCapacity

  bool operator==(const ScheduledTask&) const = default;
};

struct DeallocationSpec {
  bool should_delete_images = false;
  bool should_delete_network_interfaces = false;
  bool should_delete_volumes = false;
  bool should_delete_snapshots = false;

  bool operator==(const DeallocationSpec&) const = default;
};

struct GroupSpec {
  std::string name;
  std::string description;
  std::string region;
  CapacitySpec capacity;
  ComputeSpec compute;
  StrategySpec strategy;
  SnapshotSpec snapshots;
  HealthSpec health;
  std::vector<ScheduledTask> scheduled_tasks;  // scheduling.tasks
  DeallocationSpec stateful_deallocation;

  // Derived helpers the controller uses.
  bool MultiAz() const { return compute.availability_zones.size() > 1; }

  bool operator==(const GroupSpec&) const = default;
};

struct ValidationError {
  std::string path;     // "strategy.persistence.blockDevicesMode", "compute.privateIps[2]"
  std::string message;  // what is wrong and what to write instead
  // "path: message"; errors about the whole document (syntax errors) have an empty path.
  std::string ToString() const { return path.empty() ? message : path + ": " + message; }
  bool operator==(const ValidationError&) const = default;
};

struct ParseOutcome {
  std::optional<GroupSpec> spec;  // set only when errors is empty
  std::vector<ValidationError> errors;
  bool ok() const { return errors.empty(); }
  std::string ErrorText() const;  // one error per line
};

// Reads YAML or JSON (JSON is detected by a leading '{'), applies defaults and validates.
ParseOutcome ParseGroupSpec(std::string_view text);
ParseOutcome ParseGroupSpecJson(const nlohmann::json& j);

// The canonical JSON (camelCase field names, every default written out). Parsing it again
// gives the same spec.
nlohmann::json ToJson(const GroupSpec& spec);

}  // namespace spotkeeper
