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
  std::string lifecycle;  // "" (on-demand) | "spot"
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

// A ClientToken seen by an idempotent create call.
struct TokenRecord {
  std::string id;      // "<Action>:<token>"
  std::string digest;  // of the request's parameters
  std::vector<std::string> resource_ids;
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

#undef SK_CLOUD_JSON

}  // namespace spotkeeper::cloud
