// CloudProvider: the one interface the controller uses to talk to a cloud, with EC2 semantics.
// Backends: `fake` (in memory, deterministic, fault injection) and `ec2` (the EC2 Query API and
// SQS, against AWS, moto_server or the local cloud).
//
// Contract, for every backend:
//  - Every create call takes a client token. Where EC2 accepts a ClientToken (RunInstances,
//    CreateVolume, CreateNetworkInterface) it is passed as such; every backend ALSO tags the new
//    resource with kTagToken = token, so a caller can find what an earlier, unanswered call made
//    (DescribeX with Filter::tags {kTagToken: token}) where EC2 has no ClientToken.
//  - Errors carry a canonical Code plus the cloud's own code in Status::cloud_code()
//    ("InsufficientInstanceCapacity", "IncorrectState", "InvalidVolume.NotFound", ...).
//  - Calls are synchronous and return what EC2 returns at that moment: a new instance is
//    "pending", a new volume "creating", a new snapshot "pending".
//  - Thread safety: implementations are safe to call from several threads.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/serving_probe.h"
#include "common/status.h"
#include "common/time.h"

namespace spotkeeper {

using Tags = std::map<std::string, std::string>;

// Tags spotkeeper puts on everything it creates.
inline constexpr const char* kTagGroup = "spotkeeper:group";
inline constexpr const char* kTagSsi = "spotkeeper:ssi";
inline constexpr const char* kTagToken = "spotkeeper:token";
inline constexpr const char* kTagRole = "spotkeeper:role";      // root | data | eni | instance
inline constexpr const char* kTagDevice = "spotkeeper:device";  // /dev/sdf for data volumes

enum class Market { kSpot, kOnDemand };
const char* MarketName(Market m);  // "spot" | "on-demand"

// EC2 instance states, named as EC2 names them.
enum class InstanceState { kPending, kRunning, kShuttingDown, kTerminated, kStopping, kStopped };
const char* InstanceStateName(InstanceState s);
std::optional<InstanceState> ParseInstanceState(const std::string& s);

struct InstanceBlockDevice {
  std::string device_name;  // "/dev/xvda", "/dev/sdf"
  std::string volume_id;
  bool delete_on_termination = false;
  std::string status;  // attaching | attached | detaching | detached
};

struct InstanceNetworkInterface {
  std::string network_interface_id;
  int device_index = 0;
  std::string private_ip;
  std::string mac;
  bool delete_on_termination = false;
  std::string attachment_id;
};

struct Instance {
  std::string id;
  std::string image_id;
  std::string instance_type;
  Market market = Market::kOnDemand;
  std::string spot_request_id;
  std::string availability_zone;
  std::string subnet_id;
  std::string vpc_id;
  std::string private_ip;
  InstanceState state = InstanceState::kPending;
  std::string state_reason;  // "Server.SpotInstanceTermination", "Client.UserInitiatedShutdown"
  Time launch_time;
  std::string root_device_name;
  std::vector<InstanceBlockDevice> block_devices;
  std::vector<InstanceNetworkInterface> network_interfaces;
  Tags tags;
  std::string client_token;
};

struct InstanceStatus {
  std::string instance_id;
  InstanceState state = InstanceState::kPending;
  std::string system_status;    // ok | impaired | initializing | insufficient-data
  std::string instance_status;  // ok | impaired | initializing | insufficient-data
};

struct VolumeAttachment {
  std::string instance_id;
  std::string device;
  std::string state;  // attaching | attached | detaching | detached
  bool delete_on_termination = false;
};

struct Volume {
  std::string id;
  std::string availability_zone;
  int size_gib = 0;
  std::string volume_type;  // gp3 ...
  std::string state;        // creating | available | in-use | deleting | deleted | error
  std::string snapshot_id;  // the snapshot it was created from, or ""
  Time create_time;
  std::vector<VolumeAttachment> attachments;
  Tags tags;
};

struct Snapshot {
  std::string id;
  std::string volume_id;
  int volume_size_gib = 0;
  std::string state;     // pending | completed | error
  std::string progress;  // "0%" .. "100%"
  Time start_time;
  std::string description;
  Tags tags;
};

struct ImageBlockDevice {
  std::string device_name;
  std::string snapshot_id;  // empty for an empty volume of volume_size_gib
  int volume_size_gib = 0;
  bool delete_on_termination = true;
};

struct Image {
  std::string id;
  std::string name;
  std::string state;  // pending | available | failed | deregistered
  std::string root_device_name;
  std::vector<ImageBlockDevice> block_devices;
  Time creation_date;
  Tags tags;
};

struct NetworkInterfaceAttachment {
  std::string attachment_id;
  std::string instance_id;
  int device_index = 0;
  bool delete_on_termination = false;
  std::string status;  // attaching | attached | detaching | detached
};

struct NetworkInterface {
  std::string id;
  std::string subnet_id;
  std::string vpc_id;
  std::string availability_zone;
  std::string private_ip;
  std::string mac;
  std::string status;  // available | in-use | attaching | detaching
  std::optional<NetworkInterfaceAttachment> attachment;
  std::string description;
  Tags tags;
};

struct Subnet {
  std::string id;
  std::string vpc_id;
  std::string availability_zone;
  std::string cidr_block;  // "10.0.1.0/24"
};

struct AvailabilityZone {
  std::string name;   // us-east-1a
  std::string state;  // available
};

struct SpotPrice {
  std::string instance_type;
  std::string availability_zone;
  double price = 0;  // USD per hour
  Time timestamp;
};

struct SpotInstanceRequest {
  std::string id;
  std::string instance_id;
  std::string state;        // open | active | closed | cancelled | failed | disabled
  std::string status_code;  // fulfilled | marked-for-termination | instance-terminated-by-price ...
  std::string availability_zone;
  std::string instance_type;
};

// Describe filters. Empty fields match everything. `tags` matches resources that carry every
// listed key with that value ("" value: the key is present with any value). `states` matches the
// resource's state string (instance state name, volume/snapshot/image state, ENI status).
struct Filter {
  std::vector<std::string> ids;
  Tags tags;
  std::vector<std::string> states;
  std::string availability_zone;
};

struct BlockDeviceSpec {
  std::string device_name;
  int volume_size_gib = 0;  // 0: the snapshot's size
  std::string snapshot_id;  // create the volume from this snapshot
  std::string volume_type = "gp3";
  bool delete_on_termination = false;
};

struct RunInstanceRequest {
  std::string image_id;
  std::string instance_type;
  Market market = Market::kOnDemand;
  // Placement: either an existing ENI as the primary interface (DeviceIndex 0; its subnet and AZ
  // decide placement), or a subnet (and optionally a private IP in it).
  std::string network_interface_id;
  std::string subnet_id;
  std::string private_ip;
  std::vector<std::string> security_group_ids;
  // Overrides for the image's devices and extra (empty or from-snapshot) volumes. The root
  // device may appear here to set delete_on_termination.
  std::vector<BlockDeviceSpec> block_devices;
  std::string user_data;  // plain text; the backend encodes as its API needs
  Tags tags;              // on the instance
  Tags volume_tags;       // on every volume created by this launch
  std::string client_token;
};

struct CreateVolumeRequest {
  std::string availability_zone;
  int size_gib = 0;  // 0: the snapshot's size
  std::string snapshot_id;
  std::string volume_type = "gp3";
  Tags tags;
  std::string client_token;
};

struct CreateSnapshotRequest {
  std::string volume_id;
  std::string description;
  Tags tags;
  std::string client_token;
};

struct RegisterImageRequest {
  std::string name;
  std::string root_device_name;
  std::vector<ImageBlockDevice> block_devices;  // must include the root device's snapshot
  Tags tags;
  std::string client_token;
};

struct CreateImageRequest {
  std::string instance_id;
  std::string name;
  bool no_reboot = true;
  Tags tags;
  std::string client_token;
};

struct CreateNetworkInterfaceRequest {
  std::string subnet_id;
  std::string private_ip;  // empty: the cloud picks one
  std::string description;
  std::vector<std::string> security_group_ids;
  Tags tags;
  std::string client_token;
};

enum class CloudEventKind {
  kSpotInterruptionWarning,  // "EC2 Spot Instance Interruption Warning"
  kRebalanceRecommendation,  // "EC2 Instance Rebalance Recommendation"
  kInstanceStateChange,      // "EC2 Instance State-change Notification"
};
const char* CloudEventKindName(CloudEventKind k);

struct CloudEvent {
  CloudEventKind kind = CloudEventKind::kInstanceStateChange;
  std::string id;  // event id, unique
  std::string instance_id;
  Time time;
  // Interruption warning: "terminate" | "stop" | "hibernate", and when it happens.
  std::string instance_action;
  Time action_time;
  // State change: the new state.
  std::string state;
  // What AckEvents needs to delete the event from its queue.
  std::string receipt;
  // The account and region the event says it comes from ("" when its source does not say).
  std::string account;
  std::string region;
};

// The account and region whose events a provider's queue should carry. An empty field is not
// known to the provider, and not checked.
struct CloudScope {
  std::string account;
  std::string region;
};

class CloudProvider {
 public:
  virtual ~CloudProvider() = default;

  // A short name for logs and metrics: "fake", "ec2".
  virtual std::string Name() const = 0;
  // The account and region this provider works in (what events must name).
  virtual CloudScope Scope() const { return {}; }

  // --- instances ---
  virtual Result<Instance> RunInstance(const RunInstanceRequest& req) = 0;
  // Idempotent: terminating a terminated (or unknown-but-once-known) instance is OK.
  virtual Status TerminateInstance(const std::string& instance_id) = 0;
  virtual Result<std::vector<Instance>> DescribeInstances(const Filter& filter) = 0;
  virtual Result<std::vector<InstanceStatus>> DescribeInstanceStatus(
      const std::vector<std::string>& instance_ids) = 0;

  // --- volumes ---
  virtual Result<Volume> CreateVolume(const CreateVolumeRequest& req) = 0;
  virtual Status AttachVolume(const std::string& volume_id, const std::string& instance_id,
                              const std::string& device) = 0;
  virtual Status DetachVolume(const std::string& volume_id, bool force) = 0;
  virtual Status DeleteVolume(const std::string& volume_id) = 0;
  virtual Result<std::vector<Volume>> DescribeVolumes(const Filter& filter) = 0;

  // --- snapshots ---
  virtual Result<Snapshot> CreateSnapshot(const CreateSnapshotRequest& req) = 0;
  virtual Status DeleteSnapshot(const std::string& snapshot_id) = 0;
  virtual Result<std::vector<Snapshot>> DescribeSnapshots(const Filter& filter) = 0;

  // --- images ---
  virtual Result<Image> RegisterImage(const RegisterImageRequest& req) = 0;
  virtual Result<Image> CreateImage(const CreateImageRequest& req) = 0;
  virtual Status DeregisterImage(const std::string& image_id) = 0;
  virtual Result<std::vector<Image>> DescribeImages(const Filter& filter) = 0;

  // --- network interfaces ---
  virtual Result<NetworkInterface> CreateNetworkInterface(
      const CreateNetworkInterfaceRequest& req) = 0;
  virtual Status DeleteNetworkInterface(const std::string& eni_id) = 0;
  virtual Result<std::vector<NetworkInterface>> DescribeNetworkInterfaces(const Filter& filter) = 0;
  // ModifyNetworkInterfaceAttribute Attachment.DeleteOnTermination.
  virtual Status SetNetworkInterfaceDeleteOnTermination(const std::string& eni_id,
                                                        bool delete_on_termination) = 0;

  // --- tags ---
  virtual Status CreateTags(const std::vector<std::string>& resource_ids, const Tags& tags) = 0;
  virtual Status DeleteTags(const std::vector<std::string>& resource_ids,
                            const std::vector<std::string>& keys) = 0;

  // --- spot market and topology ---
  virtual Result<std::vector<SpotInstanceRequest>> DescribeSpotInstanceRequests(
      const Filter& filter) = 0;
  virtual Result<std::vector<SpotPrice>> DescribeSpotPriceHistory(
      const std::vector<std::string>& instance_types,
      const std::vector<std::string>& availability_zones) = 0;
  virtual Result<std::vector<AvailabilityZone>> DescribeAvailabilityZones() = 0;
  virtual Result<std::vector<Subnet>> DescribeSubnets(const std::vector<std::string>& ids) = 0;

  // --- events ---
  // Events received since the last call (at most `max`). An event stays deliverable until it
  // is acknowledged, so a controller that dies before handling it sees it again.
  virtual Result<std::vector<CloudEvent>> ReceiveEvents(int max) = 0;
  virtual Status AckEvents(const std::vector<std::string>& receipts) = 0;

  // --- workload ---
  // Does the workload of `instance_id` (a running instance with private IP `ip`) serve, as
  // `probe` defines it (a TCP connect, a TCP send/expect, an HTTP GET; common/serving_probe.h),
  // within `timeout` for the whole probe? The probe is made from inside the instance's
  // network, never by routing a VPC range into the controller's host: on AWS the controller
  // runs in the VPC and connects directly; the local cloud connects from a thread inside the
  // VPC's namespace (its admin route /_spotkeeper/v1/probe); the fake cloud models readiness.
  // OK: serving. kUnavailable (cloud_code "ConnectionRefused", "Timeout", "Unreachable",
  // "UnexpectedReply", "UnexpectedStatus", or "NotRunning" for an instance that is not
  // running): not serving; the message says why. Other errors are the API's own (unknown
  // instance, throttling, ...). Thread safety: a caller may run it on a thread of its own
  // (the controller's probe workers) while other calls go on.
  virtual Status ProbeServing(const std::string& instance_id, const std::string& ip,
                              const ServingProbe& probe, Duration timeout) = 0;
};

}  // namespace spotkeeper
