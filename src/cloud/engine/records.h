// The local cloud's resources as the engine keeps them (in memory and, as JSON, in CloudDb).
// Times are milliseconds since the epoch. `host_*` flags record what the HostDriver has made, so
// that after a restart the engine can tell the driver what should exist (HostInventory) and
// resume what was only intended.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace spotkeeper::cloud {

using TagMap = std::map<std::string, std::string>;

struct VpcRecord {
  std::string id;
  std::string cidr;
  std::string state = "pending";  // pending | available
  bool is_default = false;
  bool host_created = false;
  std::string default_security_group;
  TagMap tags;
};

struct SubnetRecord {
  std::string id;
  std::string vpc_id;
  std::string az;
  std::string cidr;
  bool default_for_az = false;
  TagMap tags;
};

struct AttachmentRecord {
  std::string instance_id;
  std::string device;  // "/dev/sdf"
  std::string status;  // attaching | attached | detaching
  int64_t attach_ms = 0;
  bool delete_on_termination = false;
};

struct VolumeRecord {
  std::string id;
  std::string az;
  int size_gib = 0;
  std::string volume_type = "gp3";
  int iops = 0;
  int throughput = 0;
  bool encrypted = false;
  std::string snapshot_id;
  // creating | available | in-use | deleting. (The engine keeps no "deleted": the record goes.)
  std::string state = "creating";
  bool host_created = false;
  int64_t create_ms = 0;
  std::string client_token;
  std::optional<AttachmentRecord> attachment;
  TagMap tags;
};

struct EniAttachmentRecord {
  std::string attachment_id;
  std::string instance_id;
  int device_index = 0;
  std::string status;  // attaching | attached | detaching
  int64_t attach_ms = 0;
  bool delete_on_termination = false;
};

struct EniRecord {
  std::string id;
  std::string subnet_id;
  std::string vpc_id;
  std::string az;
  std::string private_ip;
  std::string mac;
  std::string description;
  std::vector<std::string> groups;
  bool source_dest_check = true;
  // pending | available | in-use | deleting (deleting is internal: Describe hides it).
  std::string status = "pending";
  bool host_created = false;
  std::string client_token;
  std::string interface_type = "interface";
  std::optional<EniAttachmentRecord> attachment;
  TagMap tags;
};

// An EBS block device of an image other than its root (the root is in ImageRecord's root_*).
struct ImageDeviceRecord {
  std::string device_name;  // "/dev/sdf"
  std::string snapshot_id;  // "" for an empty volume of volume_size_gib
  int volume_size_gib = 0;
  bool delete_on_termination = true;
  std::string volume_type = "gp3";
};

struct ImageRecord {
  std::string id;
  std::string name;
  std::string description;
  // pending | available | failed. (Deregistering removes the record.)
  std::string state = "available";
  std::string state_reason;  // why it failed
  std::string root_device_name = "/dev/xvda";
  int root_size_gib = 8;
  std::string root_snapshot_id;  // "" for the base image
  bool root_delete_on_termination = true;
  std::string root_volume_type = "gp3";
  std::vector<ImageDeviceRecord> data_devices;
  std::string rootfs;              // the driver's image directory (the overlay's lower layer)
  std::string source_instance_id;  // CreateImage's instance
  int64_t creation_ms = 0;
  TagMap tags;
};

// An EBS snapshot. The point in time is CaptureSnapshot's (made inside the CreateSnapshot call);
// StoreSnapshot then runs on a worker. A copy (CopySnapshot) has `source_snapshot_id` and is
// made by the driver's CopySnapshot alone.
struct SnapshotRecord {
  std::string id;
  std::string volume_id;  // "vol-ffffffff" for a copy, as on EC2
  int volume_size_gib = 0;
  // pending | completed | error | deleting (deleting is internal: Describe hides it).
  std::string state = "pending";
  std::string state_message;
  int progress = 0;  // percent
  int64_t start_ms = 0;
  int64_t completion_ms = 0;
  std::string description;
  std::string owner_id;
  std::string client_token;
  std::string source_snapshot_id;
  bool host_captured = false;
  bool host_stored = false;
  TagMap tags;
};

struct InstanceRecord {
  std::string id;
  std::string reservation_id;
  std::string image_id;
  std::string instance_type;
  std::string az;
  std::string subnet_id;
  std::string vpc_id;
  std::string private_ip;
  std::string primary_eni_id;
  std::string root_volume_id;
  std::string root_device_name = "/dev/xvda";
  // pending | running | stopping | stopped | shutting-down | terminated
  std::string state = "pending";
  std::string state_reason_code;
  std::string state_reason_message;
  std::string transition_reason;
  int64_t launch_ms = 0;
  int64_t terminated_ms = 0;
  std::string lifecycle;        // "" (on-demand) | "spot"
  std::string spot_request_id;  // the spot instance request that launched it ("sir-…")
  std::string client_token;
  std::string user_data;  // decoded
  int launch_index = 0;
  std::string key_name;
  std::vector<std::string> groups;
  std::string shutdown_behavior = "stop";  // InstanceInitiatedShutdownBehavior
  int vcpus = 1;
  int64_t memory_mib = 1024;
  // The HostDriver's StartInstance returned for the current run (cleared when it stops).
  bool host_started = false;
  TagMap tags;
};

// A spot instance request ("sir-…"), made by RunInstances with InstanceMarketOptions
// MarketType spot. State and status codes as EC2's (docs/spot-market.md):
//   state: open | active | closed | cancelled | failed | disabled
//   status: pending-evaluation, fulfilled, marked-for-termination, marked-for-stop,
//     marked-for-hibernation, instance-terminated-no-capacity, instance-terminated-by-price,
//     instance-terminated-by-user, instance-terminated-by-service, instance-stopped-no-capacity,
//     instance-stopped-by-price, instance-stopped-by-user, request-canceled-and-instance-running,
//     canceled-before-fulfillment, system-error.
// An interruption in progress is the timeline rebalance_ms -> notice_ms -> action_ms (each
// step's signals sent once, flagged), so a restart in the middle keeps its deadlines.
struct SpotRequestRecord {
  std::string id;
  std::string instance_id;
  std::string request_type = "one-time";  // one-time | persistent
  std::string state = "open";
  std::string status_code = "pending-evaluation";
  std::string status_message;
  int64_t status_update_ms = 0;
  int64_t create_ms = 0;
  std::string max_price;                            // as given; "" = the on-demand price
  std::string interruption_behavior = "terminate";  // terminate | stop | hibernate
  std::string instance_type;
  std::string image_id;
  std::string az;
  std::string subnet_id;
  std::string key_name;
  std::vector<std::string> groups;
  TagMap tags;
  int64_t fulfilled_ms = 0;        // the instance last started running (rate draws count from here)
  int64_t runs = 0;                // how many times it started running (each run draws anew)
  std::string interruption_cause;  // "" (none) | no-capacity | price
  int64_t rebalance_ms = 0;
  int64_t notice_ms = 0;
  int64_t action_ms = 0;
  bool rebalance_sent = false;
  bool notice_sent = false;
  bool action_done = false;
  // The status (and state) the request takes when its instance's stop or termination, under
  // way, has finished.
  std::string pending_code;
  std::string pending_state;
  int64_t stopped_ms = 0;  // stopped by an interruption: when (it starts again later)
};

// A spot pool's persisted price state (id "pool:<type>:<az>"); capacity and rates come from the
// configuration.
struct SpotPoolRecord {
  std::string id;
  std::string instance_type;
  std::string az;
  int64_t step = 0;
  double walk_price = 0;
  std::vector<std::pair<int64_t, double>> history;  // (ms, USD/hour), oldest first
};

// What an instance has cost so far (id "cost:<instance id>"), accrued by the millisecond while it
// runs: spot instances at their pool's spot price over time, on-demand ones at the on-demand
// price; `on_demand_cost` is what the same running time costs on demand. Outlives the instance.
struct CostRecord {
  std::string id;
  std::string instance_id;
  std::string instance_type;
  std::string az;
  std::string lifecycle;  // "" (on-demand) | "spot"
  TagMap tags;
  int64_t running_ms = 0;  // accrued running time
  double cost = 0;
  double on_demand_cost = 0;
  int64_t accrued_to_ms = 0;  // accrued up to here
  bool running = false;       // accruing from accrued_to_ms on
  int64_t launch_ms = 0;
  int64_t ended_ms = 0;  // terminated (0 while it exists)
};

// A ClientToken seen by an idempotent create call.
struct TokenRecord {
  std::string id;      // "<Action>:<token>"
  std::string digest;  // of the request's parameters
  std::vector<std::string> resource_ids;
  int64_t created_ms = 0;  // 0 in records written before it was kept: read as the load time
};

#define SK_CLOUD_JSON(Type, ...)                  \
  void to_json(nlohmann::json& j, const Type& v); \
  void from_json(const nlohmann::json& j, Type& v);

SK_CLOUD_JSON(VpcRecord)
SK_CLOUD_JSON(SubnetRecord)
SK_CLOUD_JSON(AttachmentRecord)
SK_CLOUD_JSON(VolumeRecord)
SK_CLOUD_JSON(EniAttachmentRecord)
SK_CLOUD_JSON(EniRecord)
SK_CLOUD_JSON(ImageDeviceRecord)
SK_CLOUD_JSON(ImageRecord)
SK_CLOUD_JSON(SnapshotRecord)
SK_CLOUD_JSON(InstanceRecord)
SK_CLOUD_JSON(TokenRecord)
SK_CLOUD_JSON(SpotRequestRecord)
SK_CLOUD_JSON(SpotPoolRecord)
SK_CLOUD_JSON(CostRecord)

#undef SK_CLOUD_JSON

}  // namespace spotkeeper::cloud
