// FakeCloud: an in-memory EC2 for unit tests and the deterministic simulation. It implements
// CloudProvider faithfully to documented EC2 behaviour (states and their transitions, error
// codes, ClientToken idempotency, DeleteOnTermination, spot interruptions, request throttling)
// and adds what a test needs: chaos (interruptions, impaired and failed hosts, capacity),
// injected faults (errors, lost responses, latency) and inspection of everything, including
// deleted resources.
//
// Determinism: FakeCloud reads time only from the Clock it is given and randomness only from
// Random streams derived from the seed; it has no threads and never sleeps. The same seed, the
// same calls and the same clock readings give the same ids, delays and results.
//
// Time: transitions (pending -> running, creating -> available, ...) are scheduled at creation
// with delays drawn from FakeCloudOptions; Process() applies every transition due at
// clock->Now(), and every call does that first. NextTransitionTime() says when something will
// happen next so a simulation can jump the clock there.
//
// Thread safety: every public method takes one mutex; FakeCloud may be called from any thread.
//
// Where this differs from, or pins down, EC2:
//  - A spot interruption terminates at exactly the notice's action time (shutting-down and
//    terminated at that instant); volumes and ENIs kept on termination detach over the
//    configured detach delays and are then "available" (EC2 also frees a separately created
//    ENI; moto does not).
//  - Terminated instances list no block devices or interfaces; they leave DescribeInstances
//    after options.terminated_visibility (1 h), but stay terminable and their ClientToken
//    keeps answering.
//  - DetachVolume on a volume already detaching and DeleteVolume on one already deleting are
//    OK (no-ops); DeregisterImage of a deregistered image is OK.
//  - No placement in RunInstances means the default subnet of the first zone.
//  - Server-side throttling covers the EC2 actions only; the event queue (SQS) is not
//    throttled. ReceiveEvents hands out at most 10 events per call, as SQS does.
//  - Public base images (AddImage) cannot be tagged or deregistered (UnauthorizedOperation).
//  - Error codes: *.NotFound -> NotFound, *.Malformed and InvalidParameter* -> InvalidArgument,
//    IncorrectState / *.InUse / VolumeInUse -> FailedPrecondition, IdempotentParameterMismatch
//    -> InvalidArgument, InvalidAMIName.Duplicate -> AlreadyExists, RequestLimitExceeded and
//    InsufficientInstanceCapacity -> ResourceExhausted, injected InternalError / Unavailable and
//    lost responses (RequestTimeout) -> Unavailable.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/random.h"
#include "common/time.h"
#include "provider/cloud_provider.h"
#include "provider/fake/event_queue.h"
#include "provider/fake/fake_cloud_options.h"
#include "provider/fake/fake_records.h"
#include "provider/fake/tag_index.h"
#include "provider/token_bucket.h"

namespace spotkeeper {

namespace testing_fake {
class FakeCloudTestPeer;  // corrupts state to prove CheckInvariants() notices
}  // namespace testing_fake

class FakeCloud final : public CloudProvider {
 public:
  using Faults = FakeFaults;

  // `clock` must outlive the cloud. The constructor makes a default VPC with one default subnet
  // per availability zone.
  FakeCloud(const Clock* clock, uint64_t seed, FakeCloudOptions options = {});

  // --- topology and market set-up (no faults, no throttling) ---
  // A new subnet in the default VPC. Errors: unknown AZ, bad or overlapping CIDR.
  Result<std::string> AddSubnet(const std::string& az, const std::string& cidr);
  std::vector<Subnet> subnets() const;
  // A public base image, available at once, root device /dev/xvda: an empty root volume of
  // `root_size_gib` (no snapshot), no tags.
  std::string AddImage(const std::string& name, int root_size_gib = 8);
  // A base image's owner withdraws it (as a vendor deregisters an old public AMI): from now on
  // it is `deregistered` and cannot be launched. Unknown ids are ignored.
  void WithdrawImage(const std::string& image_id);
  // Capacity of a pool (instance type, AZ); -1 = unlimited (the default). Naming a new type
  // adds it to the catalogue. Shrinking a spot pool below the instances it holds interrupts
  // the excess (chosen at random among the not-yet-interrupted ones), with notices.
  void SetSpotCapacity(const std::string& type, const std::string& az, int capacity);
  void SetOnDemandCapacity(const std::string& type, const std::string& az, int capacity);
  // The current spot price of a pool (also adds the type to the catalogue).
  void SetSpotPrice(const std::string& type, const std::string& az, double price);
  // One step of a random walk for every spot price: each moves by up to +-`max_step` (a
  // fraction), staying between 10% and 100% of the on-demand price.
  void WalkSpotPrices(double max_step = 0.05);

  // --- chaos (no faults, no throttling) ---
  // Spot interruption: now a warning event (instance_action "terminate", action_time = now +
  // options.interruption_notice), the IMDS notice, and the spot request's status
  // marked-for-termination; at action_time the instance goes shutting-down and terminated
  // (state_reason Server.SpotInstanceTermination) and the request is closed with
  // instance-terminated-by-service. Volumes and ENIs are then let go as on any termination.
  // Errors: unknown instance (NotFound), not a pending/running spot instance
  // (FailedPrecondition). Interrupting an instance that already has a notice is OK.
  Status Interrupt(const std::string& instance_id);
  // A rebalance recommendation event (and IMDS notice) for a pending/running spot instance.
  Status RecommendRebalance(const std::string& instance_id);
  // Status checks of the instance report "impaired" (or recover).
  Status SetImpaired(const std::string& instance_id, bool impaired);
  // The host dies: the instance goes shutting-down at once and terminated after
  // options.host_failure (state_reason Server.InternalError), with no notice.
  Status KillInstance(const std::string& instance_id);

  // What the instance itself would read from IMDS: spot/instance-action ("" when none) and
  // events/recommendations/rebalance (kNever when none).
  struct ImdsNotices {
    std::string instance_action;
    Time action_time = kNever;
    Time rebalance_time = kNever;
  };
  Result<ImdsNotices> Imds(const std::string& instance_id);

  // An event written by anyone allowed to send to the events queue, as given (tests: forged
  // or stale events). Its receipt is set by the queue.
  void SendEvent(CloudEvent event);

  // --- faults ---
  void SetFaults(Faults faults);

  // --- time ---
  // Applies every transition due at clock->Now().
  void Process();
  // Applies what is due, then says when the next scheduled transition or event redelivery
  // happens: always after clock->Now(), or kNever if nothing is scheduled. A scheduled
  // transition may turn out to change nothing (its resource moved on in the meantime).
  Time NextTransitionTime();

  // --- inspection for tests and invariants ---
  // These apply due transitions first, are never faulted or throttled, and include what
  // Describe no longer shows: terminated instances (also after they vanished), volumes,
  // snapshots and ENIs in state "deleted", images "deregistered". Ordered by id.
  std::vector<Instance> AllInstances();
  std::vector<Volume> AllVolumes();
  std::vector<NetworkInterface> AllNetworkInterfaces();
  std::vector<Snapshot> AllSnapshots();
  std::vector<Image> AllImages();
  std::vector<SpotInstanceRequest> AllSpotInstanceRequests();

  // Checks the cloud's consistency (one attachment per ENI and volume, both sides of every
  // attachment agree, addresses unique per subnet, pools hold exactly the live instances, spot
  // requests match their instances, registered images have their snapshots). Internal error
  // naming the first violation. Meant to run after every step of a simulation.
  Status CheckInvariants();

  // A resource that went away. kind: volume | snapshot | image | network-interface;
  // cause: api | delete-on-termination. `at` is when it was gone for good.
  struct Deletion {
    std::string id;
    std::string kind;
    Time at;
    std::string cause;
  };
  std::vector<Deletion> deletions();

  struct Stats {
    std::map<std::string, int64_t> calls;  // by EC2 action, every call that reached the cloud
    int64_t throttled = 0;                 // RequestLimitExceeded
    int64_t errors_injected = 0;
    int64_t lost_responses = 0;
    int64_t insufficient_capacity = 0;
  };
  Stats stats() const;
  // Events pushed so far and events not yet acknowledged.
  int64_t events_pushed() const;
  int64_t events_pending() const;

  // --- CloudProvider ---
  std::string Name() const override { return "fake"; }
  CloudScope Scope() const override { return {options_.account_id, options_.region}; }
  Result<Instance> RunInstance(const RunInstanceRequest& req) override;
  Status TerminateInstance(const std::string& instance_id) override;
  Result<std::vector<Instance>> DescribeInstances(const Filter& filter) override;
  // Like EC2 without IncludeAllInstances: only running instances are listed; initializing
  // for options.instance_status_initializing after running, then ok (or impaired).
  Result<std::vector<InstanceStatus>> DescribeInstanceStatus(
      const std::vector<std::string>& instance_ids) override;
  Result<Volume> CreateVolume(const CreateVolumeRequest& req) override;
  Status AttachVolume(const std::string& volume_id, const std::string& instance_id,
                      const std::string& device) override;
  Status DetachVolume(const std::string& volume_id, bool force) override;
  Status DeleteVolume(const std::string& volume_id) override;
  Result<std::vector<Volume>> DescribeVolumes(const Filter& filter) override;
  Result<Snapshot> CreateSnapshot(const CreateSnapshotRequest& req) override;
  Status DeleteSnapshot(const std::string& snapshot_id) override;
  Result<std::vector<Snapshot>> DescribeSnapshots(const Filter& filter) override;
  Result<Image> RegisterImage(const RegisterImageRequest& req) override;
  Result<Image> CreateImage(const CreateImageRequest& req) override;
  Status DeregisterImage(const std::string& image_id) override;
  Result<std::vector<Image>> DescribeImages(const Filter& filter) override;
  Result<NetworkInterface> CreateNetworkInterface(
      const CreateNetworkInterfaceRequest& req) override;
  Status DeleteNetworkInterface(const std::string& eni_id) override;
  Result<std::vector<NetworkInterface>> DescribeNetworkInterfaces(const Filter& filter) override;
  Status SetNetworkInterfaceDeleteOnTermination(const std::string& eni_id,
                                                bool delete_on_termination) override;
  Status CreateTags(const std::vector<std::string>& resource_ids, const Tags& tags) override;
  Status DeleteTags(const std::vector<std::string>& resource_ids,
                    const std::vector<std::string>& keys) override;
  Result<std::vector<SpotInstanceRequest>> DescribeSpotInstanceRequests(
      const Filter& filter) override;
  Result<std::vector<SpotPrice>> DescribeSpotPriceHistory(
      const std::vector<std::string>& instance_types,
      const std::vector<std::string>& availability_zones) override;
  Result<std::vector<AvailabilityZone>> DescribeAvailabilityZones() override;
  Result<std::vector<Subnet>> DescribeSubnets(const std::vector<std::string>& ids) override;
  Result<std::vector<CloudEvent>> ReceiveEvents(int max) override;
  Status AckEvents(const std::vector<std::string>& receipts) override;
  // Serving once the instance has been running for its drawn options.workload_serving delay
  // (any port, the instance's own private IP only); "NotRunning" for an instance that is not
  // running, "ConnectionRefused" before that. A call like any other: counted, faulted and
  // (not) throttled as the event queue is.
  Status ProbeServing(const std::string& instance_id, const std::string& ip,
                      const ServingProbe& probe, Duration timeout) override;

  // The workload of a running instance stops (or starts again) accepting connections.
  Status SetWorkloadServing(const std::string& instance_id, bool serving);
  // What the serving workload of an instance answers a probe with send/expect (tcp) or a body
  // (http): a probe whose `expect` it lacks fails with "UnexpectedReply", as a follower
  // answers a leader check. Until set, every expect is met.
  Status SetWorkloadReply(const std::string& instance_id, std::string reply);
  // Inspection (never faulted or counted): true when the instance runs and its workload serves;
  // false when it runs and does not; NotFound / FailedPrecondition (not running) otherwise.
  Result<bool> WorkloadServing(const std::string& instance_id);

 private:
  friend class testing_fake::FakeCloudTestPeer;
  using PoolKey = std::pair<std::string, std::string>;  // (instance type, AZ)

  // --- call gate (fake_cloud.cc) ---
  // Everything an API call goes through before it takes effect: due transitions, injected
  // latency, throttling, injected errors. OK: go ahead.
  Status Admit(const char* action);
  // After the call took effect: whether its response is lost.
  bool LoseResponse(const char* action);
  template <typename T>
  T Respond(const char* action, T result) {
    if (!LoseResponse(action)) return result;
    return T(Status(
        Code::kUnavailable,
        std::string("RequestTimeout: no response to ") + action + " (it may have taken effect)",
        "RequestTimeout"));
  }
  bool FaultApplies(const char* action) const;

  // --- time (fake_cloud.cc) ---
  Time Now() const { return clock_->Now(); }
  void ProcessLocked();
  // REQUIRES: `record_id` is the id field of the resource's record (see fake::Transition).
  void Schedule(Time at, fake::TransitionKind kind, const std::string* record_id,
                uint64_t generation = 0);
  Duration Draw(const DelayRange& range);
  void Apply(const fake::Transition& t, Time at);
  // A fresh id: prefix + 17 hex digits from the id stream, never handed out before.
  std::string NewId(const char* prefix);

  // --- instances (fake_instances.cc) ---
  Result<Instance> RunInstanceLocked(const RunInstanceRequest& req);
  Status TerminateLocked(const std::string& instance_id);
  void SetInstanceState(fake::InstanceRecord& rec, InstanceState state, Time at);
  void BeginShutdown(fake::InstanceRecord& rec, Time at, const std::string& reason, Duration delay,
                     bool by_service);
  void OnInstanceRunning(const std::string& id, Time at);
  void OnInstanceTerminated(const std::string& id, Time at);
  void OnSpotInterruption(const std::string& id, Time at);
  Result<fake::InstanceRecord*> FindInstance(const std::string& id, bool include_vanished);
  bool InstanceVisible(const fake::InstanceRecord& rec) const { return !rec.vanished; }

  // --- volumes and snapshots (fake_storage.cc) ---
  Result<fake::VolumeRecord*> FindVolume(const std::string& id);
  Result<fake::SnapshotRecord*> FindSnapshot(const std::string& id);
  // Creates an in-use volume attached to `instance` at launch.
  std::string CreateLaunchVolume(fake::InstanceRecord& inst, const std::string& device,
                                 const std::string& snapshot_id, int size_gib,
                                 const std::string& volume_type, bool delete_on_termination,
                                 const Tags& tags, Time at);
  fake::SnapshotRecord& CreateSnapshotOf(fake::VolumeRecord& vol, const std::string& description,
                                         const Tags& tags, Time at);
  void BeginDetach(fake::VolumeRecord& vol, Time at);
  void MarkVolumeDeleted(fake::VolumeRecord& vol, Time at, const std::string& cause);
  void OnVolumeAttached(const std::string& id, uint64_t generation, Time at);
  void OnVolumeDetached(const std::string& id, uint64_t generation, Time at);
  void OnSnapshotCompleted(const std::string& id, Time at);
  std::string SnapshotProgress(const fake::SnapshotRecord& rec) const;

  // --- images (fake_images.cc) ---
  Result<fake::ImageRecord*> FindImage(const std::string& id);
  fake::ImageRecord& RegisterImageLocked(const std::string& name,
                                         const std::string& root_device_name,
                                         std::vector<ImageBlockDevice> devices, Tags tags, Time at);
  void OnImageAvailable(const std::string& id, Time at);
  // InvalidAMIName.Malformed / InvalidAMIName.Duplicate (names are unique among our images).
  Status CheckImageName(const std::string& name) const;

  // --- network (fake_network.cc) ---
  Result<fake::EniRecord*> FindEni(const std::string& id);
  Result<fake::SubnetRecord*> FindSubnet(const std::string& id);
  fake::EniRecord& CreateEniLocked(fake::SubnetRecord& subnet, const std::string& ip,
                                   const std::string& description, const Tags& tags);
  void AttachEniAtLaunch(fake::EniRecord& eni, fake::InstanceRecord& inst, bool dot, Time at);
  // The instance is terminated: delete the ENI (delete_on_termination) or detach it.
  void ReleaseEni(fake::EniRecord& eni, Time at);
  void OnEniAttached(const std::string& id, uint64_t generation, Time at);
  void OnEniDetached(const std::string& id, uint64_t generation, Time at);

  // --- spot market (fake_spot_market.cc) ---
  void InitCatalogue();
  bool KnownInstanceType(const std::string& type) const;
  void AddInstanceType(const std::string& type);
  fake::Pool& PoolFor(Market market, const std::string& type, const std::string& az);
  // InsufficientInstanceCapacity when the pool is full.
  Status CheckCapacity(Market market, const std::string& type, const std::string& az);
  void ShrinkSpotPool(const std::string& type, const std::string& az);
  void InterruptLocked(fake::InstanceRecord& rec, Time at);
  void CloseSpotRequest(const std::string& id, const std::string& status);
  void EmitEvent(CloudEventKind kind, const std::string& instance_id, Time at,
                 const std::string& state = {}, Time action_time = kNever);

  // --- tags (fake_cloud.cc) ---
  struct TagTarget {
    const std::string* id;  // the record's id field
    Tags* tags;
    TagIndex* index;  // nullptr for subnets and the VPC
  };
  // Where the tags of `id` live, or the EC2 error for an unknown id.
  Result<TagTarget> TagsOf(const std::string& id);

  mutable std::mutex mu_;
  const Clock* clock_;
  FakeCloudOptions options_;
  // Independent streams, so that e.g. enabling faults does not change the delays drawn.
  Random id_rng_;
  Random delay_rng_;
  Random fault_rng_;
  Random market_rng_;
  Random serving_rng_;  // workload readiness (options_.workload_serving)
  FakeFaults faults_;
  Stats stats_;
  Ec2RateLimiter limiter_;

  std::unordered_set<std::string> issued_ids_;
  std::string vpc_id_;
  std::map<std::string, fake::SubnetRecord> subnets_;
  // Hash maps for the resources there can be 100,000s of (Describe sorts its output);
  // images, subnets and the catalogue are few and kept ordered.
  std::unordered_map<std::string, fake::InstanceRecord> instances_;
  std::unordered_map<std::string, fake::VolumeRecord> volumes_;
  std::unordered_map<std::string, fake::SnapshotRecord> snapshots_;
  std::map<std::string, fake::ImageRecord> images_;
  std::unordered_map<std::string, fake::EniRecord> enis_;
  std::unordered_map<std::string, fake::SpotRequestRecord> spot_requests_;
  TagIndex instance_index_, volume_index_, snapshot_index_, image_index_, eni_index_, spot_index_;
  std::map<std::string, Tags> other_tags_;  // subnets and the VPC

  // ClientToken -> what it made, per action (EC2 scopes tokens per action).
  std::unordered_map<std::string, fake::TokenRecord> run_tokens_, volume_tokens_, eni_tokens_;

  std::map<std::string, double> on_demand_prices_;  // the instance type catalogue
  std::map<PoolKey, fake::Pool> spot_pools_, on_demand_pools_;
  std::map<PoolKey, fake::SpotPriceRecord> spot_prices_;

  std::unordered_set<std::string> volumes_with_completed_snapshot_;
  std::map<std::string, std::set<std::string>> images_waiting_on_;  // snapshot -> images

  // A min-heap on (at, seq): transitions apply in time order, ties in scheduling order.
  std::vector<fake::ScheduledTransition> timeline_;
  uint64_t next_transition_seq_ = 0;
  EventQueue events_;
  std::vector<Deletion> deletions_;
};

}  // namespace spotkeeper
