// Requests and results of the engine's EC2 actions (typed forms of the Query parameters; the
// api layer decodes and renders them).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cloud/engine/records.h"
#include "common/time.h"

namespace spotkeeper::cloud {

// One Filter.N: a name ("tag:Name", "instance-state-name", ...) and values that may hold the
// wildcards * and ?. A resource matches a filter when any value matches; all filters must match.
struct Ec2Filter {
  std::string name;
  std::vector<std::string> values;
};

struct DescribeRequest {
  std::vector<std::string> ids;
  std::vector<Ec2Filter> filters;
  std::optional<int64_t> max_results;
  std::string next_token;
};

template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_token;  // "" on the last page
};

struct TagSpec {
  std::string resource_type;  // instance | volume | network-interface | ...
  TagMap tags;
};

struct BlockDeviceRequest {
  std::string device_name;
  std::optional<int> volume_size;
  std::optional<bool> delete_on_termination;
  std::string volume_type;
  std::string snapshot_id;
  int iops = 0;
  int throughput = 0;
  bool no_device = false;
  std::string virtual_name;
};

struct NetworkInterfaceRequest {
  std::string network_interface_id;
  int device_index = 0;
  std::string subnet_id;
  std::string private_ip;
  std::string description;
  std::vector<std::string> groups;
  std::optional<bool> delete_on_termination;
};

// InstanceMarketOptions.SpotOptions of RunInstances.
struct SpotOptionsRequest {
  std::string max_price;              // "" = the on-demand price
  std::string request_type;           // "" (one-time) | one-time | persistent
  std::string interruption_behavior;  // "" (terminate) | terminate | stop | hibernate
};

struct RunInstancesRequest {
  std::string image_id;
  std::string instance_type;
  int64_t min_count = 0;
  int64_t max_count = 0;
  std::string availability_zone;  // Placement.AvailabilityZone
  std::string subnet_id;
  std::string private_ip;
  std::vector<std::string> security_group_ids;
  std::vector<NetworkInterfaceRequest> network_interfaces;
  std::vector<BlockDeviceRequest> block_devices;
  std::string user_data;  // decoded
  std::vector<TagSpec> tag_specs;
  std::string market_type;        // "" | "spot"
  SpotOptionsRequest spot;        // with market_type spot
  std::string shutdown_behavior;  // "" | stop | terminate
  std::string key_name;
  std::string client_token;
  // Canonical form of every parameter (except ClientToken) for IdempotentParameterMismatch;
  // empty: the engine derives one from the fields above.
  std::string digest;
};

struct CreateVolumeRequest {
  std::string availability_zone;
  std::optional<int> size;
  std::string snapshot_id;
  std::string volume_type;
  int iops = 0;
  int throughput = 0;
  bool encrypted = false;
  std::vector<TagSpec> tag_specs;
  std::string client_token;
  std::string digest;
};

struct CreateSnapshotRequest {
  std::string volume_id;
  std::string description;
  std::vector<TagSpec> tag_specs;  // of type "snapshot"
};

struct CopySnapshotRequest {
  std::string source_region;
  std::string source_snapshot_id;
  std::string description;
  std::vector<TagSpec> tag_specs;
};

struct CreateImageRequest {
  std::string instance_id;
  std::string name;
  std::string description;
  bool no_reboot = false;  // the local cloud never reboots the instance either way
  // Overrides of the instance's devices: NoDevice leaves a data volume out.
  std::vector<BlockDeviceRequest> block_devices;
  std::vector<TagSpec> tag_specs;  // "image" and "snapshot"
};

struct RegisterImageRequest {
  std::string name;
  std::string description;
  std::string root_device_name;
  std::string architecture;                       // "" or x86_64
  std::string virtualization_type;                // "" or hvm
  std::vector<BlockDeviceRequest> block_devices;  // the root device's needs Ebs.SnapshotId
  std::vector<TagSpec> tag_specs;                 // "image"
};

struct CreateNetworkInterfaceRequest {
  std::string subnet_id;
  std::string private_ip;
  std::string description;
  std::vector<std::string> groups;
  std::vector<TagSpec> tag_specs;
  std::string client_token;
  std::string digest;
};

struct ModifyNetworkInterfaceRequest {
  std::string network_interface_id;
  std::string attachment_id;
  std::optional<bool> delete_on_termination;
  std::optional<std::string> description;
  std::vector<std::string> groups;  // replaces when non-empty
  std::optional<bool> source_dest_check;
};

// An instance with what describing it needs.
struct InstanceView {
  InstanceRecord instance;
  std::vector<VolumeRecord> volumes;  // attached ones, root first
  std::optional<EniRecord> eni;       // primary interface
};

struct Reservation {
  std::string reservation_id;
  std::vector<InstanceView> instances;
};

struct StateChange {
  std::string instance_id;
  std::string previous_state;
  std::string current_state;
};

struct ConsoleOutput {
  std::string instance_id;
  std::string output;  // raw (the api base64-encodes it)
  Time timestamp;
};

struct VolumeAttachmentResult {
  std::string volume_id;
  std::string instance_id;
  std::string device;
  std::string status;
  int64_t attach_ms = 0;
  bool delete_on_termination = false;
};

struct TagDescription {
  std::string resource_id;
  std::string resource_type;
  std::string key;
  std::string value;
};

struct SubnetView {
  SubnetRecord subnet;
  int64_t available_ips = 0;
};

struct AzInfo {
  std::string name;
  std::string zone_id;
  std::string region;
};

// DescribeSpotPriceHistory's parameters.
struct SpotPriceHistoryRequest {
  std::vector<std::string> instance_types;
  std::vector<std::string> product_descriptions;
  std::string availability_zone;
  std::optional<Time> start_time;
  std::optional<Time> end_time;
  std::vector<Ec2Filter> filters;
  std::optional<int64_t> max_results;
  std::string next_token;
};

struct SpotPriceView {
  std::string instance_type;
  std::string availability_zone;
  std::string product_description;
  double price = 0;  // USD per hour
  Time timestamp;
};

struct CancelledSpotRequest {
  std::string spot_request_id;
  std::string state;  // the request's state after the call
};

// --- the market's admin surface (engine_market.cc)

// InterruptInstances' timing; unset: the market's configured notice and rebalance lead.
struct InterruptOptions {
  std::optional<Duration> notice;          // interruption notice to action
  std::optional<Duration> rebalance_lead;  // rebalance recommendation to notice
};

struct ScheduledInterruption {
  std::string instance_id;
  std::string spot_request_id;
  std::string action;  // terminate | stop | hibernate
  Time rebalance_time;
  Time notice_time;
  Time action_time;
};

struct PoolView {
  std::string instance_type;
  std::string availability_zone;
  double on_demand_price = 0;  // USD per hour
  double spot_price = 0;
  int spot_capacity = -1;  // -1: unlimited
  int spot_in_use = 0;     // pending, running, stopping or shutting-down spot instances
  int on_demand_capacity = -1;
  int on_demand_in_use = 0;
  std::string bucket;        // Spot Instance Advisor bucket
  double monthly_rate = 0;   // fraction of spot instances interrupted per month
  double rate_per_hour = 0;  // interruptions per running instance-hour (time scale applied)
};

struct CostView {
  std::string instance_id;
  std::string instance_type;
  std::string availability_zone;
  std::string lifecycle;  // on-demand | spot
  std::string state;      // the instance's state ("terminated" once forgotten)
  TagMap tags;
  double seconds = 0;         // running time
  double cost = 0;            // USD
  double on_demand_cost = 0;  // what the same running time costs on demand
};

// EC2's instance state codes (the low byte of instanceState/code).
int InstanceStateCode(const std::string& state);

}  // namespace spotkeeper::cloud
