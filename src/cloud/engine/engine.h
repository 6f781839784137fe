// Engine: the local cloud's EC2 semantics and state. API calls validate, record their intent in
// CloudDb and return at once with EC2's transitional state (pending, attaching, creating,
// shutting-down, ...); worker threads then drive the HostDriver and move each resource on,
// committing every step (and its EventBridge event) in one transaction.
//
// Restart: Start() loads the state, tells the driver what should exist (HostDriver::Recover with
// only what the driver is known to have made) and re-queues every unfinished transition. Each
// transition is level-triggered (derived from the recorded state, not from a log of calls) and
// every driver call is idempotent, so a cloud killed at any point neither leaks nor doubles.
//
// Work is keyed by resource id and serialised per key; driver calls for one instance (launch,
// stop, attach, detach) all run under the instance's key.
//
// The spot market (docs/spot-market.md): RunInstances with spot market options makes a spot
// instance request; SpotMarket (spot_market.h) models prices, capacity and interruption rates;
// a market thread (MarketTickOnce) moves prices and runs each interruption's rebalance
// recommendation, notice and action at their exact times; every instance accrues its cost.
//
// Thread safety: every public method is thread-safe.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cloud/engine/cloud_db.h"
#include "cloud/engine/engine_types.h"
#include "cloud/engine/event_publisher.h"
#include "cloud/engine/instance_catalog.h"
#include "cloud/engine/records.h"
#include "cloud/engine/spot_market.h"
#include "cloud/host/host_driver.h"
#include "common/random.h"
#include "common/time.h"

namespace spotkeeper::cloud {

// The id of the base image every cloud has (made with HostDriver::EnsureBaseImage at first
// start): a small root filesystem with the host's /usr bound read-only.
inline constexpr const char* kBaseImageId = "ami-00000000000000001";
inline constexpr const char* kBaseImageName = "spotkeeper-base";

struct EngineOptions {
  std::string region = "local-1";
  std::vector<std::string> availability_zones = {"local-1a", "local-1b"};
  std::string account_id = "000000000000";
  std::string default_vpc_cidr = "10.0.0.0/16";  // default subnets 10.0.1.0/24, 10.0.2.0/24, ...
  // 0: no worker threads; tests drive the work with RunQueuedWork().
  int worker_threads = 4;
  Duration stop_grace = std::chrono::seconds(30);
  // Retention (docs/retention.md). How long a terminated instance stays visible (EC2: about an
  // hour); a closed, cancelled or failed spot request (EC2: 4 hours); a cost record after its
  // instance ended (the cost report's window); a client token (idempotency) once it is at least
  // this old and none of the resources it made exists any more (EC2 honours a token for at
  // least a day). Each more than zero.
  Duration terminated_retention = std::chrono::hours(1);
  Duration spot_request_retention = std::chrono::hours(4);
  Duration cost_retention = std::chrono::hours(31 * 24);
  Duration client_token_retention = std::chrono::hours(24);
  // Period of the watch (instances whose init exited) and of retrying unfinished work;
  // zero: no watch thread (tests call CheckInstancesOnce()). With the thread, an init exit the
  // host driver reports (SetExitListener) is acted on at once; the period is the safety net.
  Duration watch_interval = std::chrono::seconds(2);
  int max_instances = 64;   // non-terminated instances: InstanceLimitExceeded beyond
  int driver_attempts = 3;  // tries of a failing driver call before the transition fails
  const Clock* clock = SystemClock::Default();
  uint64_t seed = 0;  // ids, MACs; 0: from entropy
  MarketOptions market;
};

class Engine {
 public:
  // `db`, `driver` and `events` must outlive the engine. `events` may be null (no events).
  static Result<std::unique_ptr<Engine>> Create(CloudDb* db, HostDriver* driver,
                                                EventPublisher* events, EngineOptions options);
  ~Engine();  // Shutdown()

  // Loads the state, bootstraps a new cloud (base image, default VPC and subnets), recovers the
  // host, re-queues unfinished work and starts the workers.
  Status Start();
  // Stops accepting work, waits for the workers (in-flight driver calls finish) and the watch.
  void Shutdown();

  const EngineOptions& options() const { return options_; }

  // --- instances
  Result<Reservation> RunInstances(const RunInstancesRequest& req);
  Result<std::vector<StateChange>> TerminateInstances(const std::vector<std::string>& ids);
  Result<std::vector<StateChange>> StopInstances(const std::vector<std::string>& ids, bool force);
  Result<std::vector<StateChange>> StartInstances(const std::vector<std::string>& ids);
  Result<Page<InstanceView>> DescribeInstances(const DescribeRequest& req);
  // Running instances only unless `include_all`.
  Result<Page<InstanceView>> DescribeInstanceStatus(const DescribeRequest& req, bool include_all);
  Result<ConsoleOutput> GetConsoleOutput(const std::string& instance_id);
  // The workload probe (the admin API's /probe): does instance `instance_id`, running, serve
  // as `probe` says on its private IP within `timeout`? Probed from inside its VPC
  // (HostDriver::ProbeServing). OK, or kUnavailable with "NotRunning" / ProbeServing's codes;
  // `ip`, when given, must be the instance's private IP (the probe reaches nothing else).
  Status ProbeInstance(const std::string& instance_id, const std::string& ip,
                       const ServingProbe& probe, Duration timeout);

  // --- volumes
  Result<VolumeRecord> CreateVolume(const CreateVolumeRequest& req);
  Result<VolumeAttachmentResult> AttachVolume(const std::string& volume_id,
                                              const std::string& instance_id,
                                              const std::string& device);
  Result<VolumeAttachmentResult> DetachVolume(const std::string& volume_id,
                                              const std::string& instance_id,
                                              const std::string& device, bool force);
  Status DeleteVolume(const std::string& volume_id);
  Result<Page<VolumeRecord>> DescribeVolumes(const DescribeRequest& req);

  // --- network interfaces, VPCs, subnets, zones
  Result<EniRecord> CreateNetworkInterface(const CreateNetworkInterfaceRequest& req);
  Status DeleteNetworkInterface(const std::string& eni_id);
  Result<Page<EniRecord>> DescribeNetworkInterfaces(const DescribeRequest& req);
  Status ModifyNetworkInterfaceAttribute(const ModifyNetworkInterfaceRequest& req);
  Result<VpcRecord> CreateVpc(const std::string& cidr, const std::vector<TagSpec>& tag_specs);
  Result<SubnetRecord> CreateSubnet(const std::string& vpc_id, const std::string& cidr,
                                    const std::string& az, const std::vector<TagSpec>& tag_specs);
  Result<std::vector<VpcRecord>> DescribeVpcs(const DescribeRequest& req);
  Result<std::vector<SubnetView>> DescribeSubnets(const DescribeRequest& req);
  Result<std::vector<AzInfo>> DescribeAvailabilityZones(const DescribeRequest& req);
  Result<Page<InstanceTypeInfo>> DescribeInstanceTypes(const DescribeRequest& req);

  // --- snapshots (engine_snapshots.cc). CreateSnapshot captures the volume before it returns
  // (the snapshot's point in time) and answers "pending"; a worker stores it ("completed").
  Result<SnapshotRecord> CreateSnapshot(const CreateSnapshotRequest& req);
  Result<SnapshotRecord> CopySnapshot(const CopySnapshotRequest& req);
  Status DeleteSnapshot(const std::string& snapshot_id);
  // `owners`: "self", "amazon" or account ids; empty: all.
  Result<Page<SnapshotRecord>> DescribeSnapshots(const DescribeRequest& req,
                                                 const std::vector<std::string>& owners);

  // --- images (engine_images.cc)
  // Snapshots the instance's root and attached data volumes (captured before it returns);
  // the image is "pending" until they complete.
  Result<ImageRecord> CreateImage(const CreateImageRequest& req);
  Result<ImageRecord> RegisterImage(const RegisterImageRequest& req);
  // The image's snapshots stay unless `delete_snapshots` (DeleteAssociatedSnapshots).
  Status DeregisterImage(const std::string& image_id, bool delete_snapshots);
  // `owners`: "self", "amazon" or account ids; empty: all.
  Result<Page<ImageRecord>> DescribeImages(const DescribeRequest& req,
                                           const std::vector<std::string>& owners);

  // --- tags
  Status CreateTags(const std::vector<std::string>& resource_ids, const TagMap& tags);
  // A key with a value deletes the tag only when it has that value.
  Status DeleteTags(const std::vector<std::string>& resource_ids,
                    const std::vector<std::pair<std::string, std::optional<std::string>>>& keys);
  Result<Page<TagDescription>> DescribeTags(const DescribeRequest& req);

  // --- the spot market (engine_spot.cc)
  Result<Page<SpotRequestRecord>> DescribeSpotInstanceRequests(const DescribeRequest& req);
  // Open requests are cancelled; an active request's running instance keeps running
  // (request-canceled-and-instance-running); a stopped instance of a disabled request is
  // terminated (instance-terminated-by-service). Closed, failed or cancelled requests stay as
  // they are.
  Result<std::vector<CancelledSpotRequest>> CancelSpotInstanceRequests(
      const std::vector<std::string>& ids);
  // Price changes (newest first) within [StartTime, EndTime] and the change in effect at
  // StartTime, as EC2 answers.
  Result<Page<SpotPriceView>> DescribeSpotPriceHistory(const SpotPriceHistoryRequest& req);
  // The IMDS's spot paths under /latest/meta-data/ ("spot/instance-action",
  // "spot/termination-time", "events/recommendations/rebalance" and their directories) for the
  // instance: the answer's body, nullopt for 404 (nothing pending).
  std::optional<std::string> SpotMetadata(const std::string& instance_id, const std::string& path);

  // --- the market's admin surface (engine_market.cc), for the cloud's admin API and the chaos
  // CLI (`spotkeeper cloud interrupt/capacity/cost`)
  // Interrupts spot instances now, like AWS FIS's aws:ec2:send-spot-instance-interruptions: the
  // rebalance recommendation now, the interruption notice `rebalance_lead` later, the action
  // (terminate, stop or hibernate, per the request) `notice` after that; status codes as a
  // capacity interruption (instance-terminated-no-capacity, marked-for-stop, ...). All or
  // nothing: InvalidInstanceID.NotFound for unknown ids; UnsupportedOperation naming the
  // instances that are not spot or not running. An instance already being interrupted keeps its
  // timeline (returned as it is).
  Result<std::vector<ScheduledInterruption>> InterruptInstances(const std::vector<std::string>& ids,
                                                                const InterruptOptions& options);
  // Sets a pool's capacity (`market`: "spot" or "on-demand"; -1 unlimited) until the cloud
  // restarts (the config file sets it at start). A spot capacity below what the pool runs
  // reclaims the excess (newest first, or at random per market.reclaimOrder) with the usual
  // rebalance and notice (instance-terminated-no-capacity); returned. On-demand instances are
  // never reclaimed: a smaller on-demand capacity only refuses launches.
  Result<std::vector<ScheduledInterruption>> SetPoolCapacity(const std::string& instance_type,
                                                             const std::string& az,
                                                             const std::string& market,
                                                             int capacity);
  std::vector<PoolView> DescribePools();
  // Every instance's cost so far (also terminated ones, kept 31 days), by instance id.
  std::vector<CostView> DescribeCost();
  // Runs what the market has due now: price steps (and the interruptions of requests whose
  // maximum price they pass), interruptions drawn from the pools' rates, each interruption's
  // rebalance recommendation, notice and action, and restarts of instances an interruption
  // stopped. Returns when it is next due (kNever: nothing scheduled). The market thread calls it;
  // tests call it by hand (worker_threads == 0).
  Time MarketTickOnce();

  // --- for the IMDS and the CLI
  // The instance whose primary address in `vpc_id` is `ip` (not terminated).
  std::optional<InstanceView> FindInstanceByIp(const std::string& vpc_id, const std::string& ip);
  std::optional<InstanceView> FindInstance(const std::string& instance_id);
  std::vector<VpcRecord> AvailableVpcs();
  // Called (outside the engine's lock) when a VPC becomes available, and at Start() for each
  // available VPC. Set before Start().
  void SetVpcAvailableListener(std::function<void(const VpcRecord&)> fn);
  // What should exist on the host now (for Recover).
  HostInventory Inventory();

  // --- driving the work by hand (worker_threads == 0) and waiting (tests, benchmarks)
  // Runs queued work in the calling thread until the queue is empty. Returns the keys run.
  int RunQueuedWork();
  // Waits until no work is queued or running, at most `deadline`. False on timeout.
  bool WaitIdle(Duration deadline);
  // One pass of the watch: instances whose init exited are stopped (or terminated, per
  // InstanceInitiatedShutdownBehavior), old terminated instances are forgotten, unfinished work
  // is re-queued.
  void CheckInstancesOnce();
  // The part of the pass for these instances only: those whose init exited are stopped (or
  // terminated). What the watch thread runs when the host driver reports exits.
  void CheckExited(const std::vector<std::string>& instance_ids);

 private:
  Engine(CloudDb* db, HostDriver* driver, EventPublisher* events, EngineOptions options);

  // --- state helpers; REQUIRES mu_ held (and a CloudDb transaction open for writes)
  Status Save(const VpcRecord& r);
  Status Save(const SubnetRecord& r);
  Status Save(const InstanceRecord& r);
  Status Save(const VolumeRecord& r);
  Status Save(const EniRecord& r);
  Status Save(const ImageRecord& r);
  Status Save(const SnapshotRecord& r);
  Status Save(const TokenRecord& r);
  Status Save(const SpotRequestRecord& r);
  Status Save(const CostRecord& r);
  Status SavePoolLocked(const std::string& type, const std::string& az);
  Status Erase(const std::string& id);
  // Persists the record with this id as it is in memory.
  Status SaveById(const std::string& id);
  Status LoadState();
  Status Bootstrap();
  std::string NewId(const std::string& prefix);
  std::string NewMac();
  Result<std::string> AllocateIp(const SubnetRecord& subnet, const std::string& requested);
  const SubnetRecord* DefaultSubnet(const std::string& az) const;
  InstanceView ViewLocked(const InstanceRecord& r) const;
  // Moves the instance to `state` with its state-change event, accrues its cost and moves its
  // spot request on (OnStateChangeLocked).
  Status SetState(InstanceRecord& r, const std::string& state);
  Result<InstanceRecord*> FindInstanceLocked(const std::string& id);
  Result<VolumeRecord*> FindVolumeLocked(const std::string& id);
  Result<EniRecord*> FindEniLocked(const std::string& id);
  Result<SnapshotRecord*> FindSnapshotLocked(const std::string& id);
  // A new pending snapshot of `vol` (not yet saved).
  SnapshotRecord NewSnapshotLocked(const VolumeRecord& vol, const std::string& description,
                                   const TagMap& tags);
  // Captures the snapshots (ids recorded as pending, in `capturing_`) outside the lock, records
  // which were captured (returned) and queues them all for storing. REQUIRES mu_ not held.
  std::set<std::string> CaptureNow(const std::vector<std::string>& snapshot_ids);
  // For CreateVolume: the size a volume from `snapshot_id` gets (`size` or the snapshot's),
  // with EC2's errors. REQUIRES mu_ not held.
  Result<int> SizeFromSnapshot(const std::string& snapshot_id, std::optional<int> size);
  // The driver call that makes volume `v` on the host: RestoreVolume from its snapshot, else
  // CreateVolume.
  std::function<Status()> MakeVolumeCall(const VolumeRecord& v);
  // A snapshot of the volume is recorded but not yet captured: its deletion must wait.
  bool VolumeAwaitsCaptureLocked(const std::string& volume_id) const;
  Status SnapshotEvent(const SnapshotRecord& s, bool succeeded);
  // Images waiting on `snapshot_id` are re-queued.
  void EnqueueImagesOfLocked(const std::string& snapshot_id);
  Status CheckToken(const std::string& action, const std::string& token, const std::string& digest,
                    std::vector<std::string>* existing);
  Result<Reservation> RunInstancesLocked(const RunInstancesRequest& req, const std::string& digest);
  NicConfig NicFor(const EniRecord& eni) const;
  VpcNetwork VpcFor(const VpcRecord& vpc) const;
  Result<InstanceConfig> ConfigFor(const InstanceRecord& r) const;
  std::string ResourceType(const std::string& id) const;
  TagMap* TagsOf(const std::string& id);
  // InvalidParameterValue (EC2's words) for a TagSpecification of a type not in `allowed`.
  static Status CheckTagSpecTypes(const std::vector<TagSpec>& specs,
                                  const std::set<std::string>& allowed);
  Status ApplyTagSpecs(const std::vector<TagSpec>& specs, const std::string& resource_type,
                       TagMap* tags) const;

  // --- work queue
  void Enqueue(const std::string& key);
  void EnqueueUnfinishedLocked();
  bool RunOne(bool block);
  void WorkerLoop();
  void WatchLoop();
  void Reconcile(const std::string& key);
  // One step of a resource's transition: decide under the lock, call the driver outside it,
  // record the outcome under the lock. False when the resource has nothing more to do.
  bool StepInstance(const std::string& id);
  bool StepVolume(const std::string& id);
  bool StepEni(const std::string& id);
  bool StepVpc(const std::string& id);
  bool StepSnapshot(const std::string& id);
  bool StepImage(const std::string& id);
  // Records a driver failure for `key`; true when it should be retried now.
  bool NoteFailure(const std::string& key, const Status& s);
  Status FinishTermination(InstanceRecord& r);
  // The instance's init exited by itself: stopping, or shutting-down per its
  // InstanceInitiatedShutdownBehavior. REQUIRES mu_ and a transaction; the caller saves `r`.
  Status MarkShutDownFromInside(InstanceRecord& r);
  void NotifyVpcAvailable(const VpcRecord& vpc);

  // --- the spot market; REQUIRES mu_ held (and a transaction for writes)
  Status InitMarketLocked();
  Status OnStateChangeLocked(InstanceRecord& r, const std::string& from);
  SpotRequestRecord* RequestOfLocked(const InstanceRecord& r);
  // A spot request for `req` with EC2's validation of its SpotOptions (id and placement unset).
  Result<SpotRequestRecord> SpotRequestTemplate(const RunInstancesRequest& req) const;
  // SpotMaxPriceTooLow when the request's maximum price is below the pool's price.
  Status CheckMaxPriceLocked(const SpotRequestRecord& s) const;
  // Instances the pool holds (pending, running, stopping, shutting-down) of one market.
  int InUseLocked(const std::string& type, const std::string& az, bool spot) const;
  // How many more instances the pool takes (INT64_MAX when unlimited).
  int64_t RoomLocked(const std::string& type, const std::string& az, bool spot) const;
  Status InsufficientCapacity(const std::string& type, const std::string& az, bool spot) const;
  double MaxPriceOf(const SpotRequestRecord& s) const;
  void SetSpotStatusLocked(SpotRequestRecord& s, const std::string& code, const std::string& state);
  // What the user did to a spot instance (TerminateInstances, StopInstances, StartInstances,
  // a shutdown from inside): the request's status moves as on EC2.
  Status SpotUserActionLocked(const InstanceRecord& r, const std::string& action);
  Status StartInterruptionLocked(SpotRequestRecord& s, const std::string& cause, Time start,
                                 Duration lead, Duration notice);
  // Sends what of the interruption is due at `now` (rebalance, notice, action).
  Status AdvanceInterruptionLocked(SpotRequestRecord& s, Time now);
  Status MarketTickLocked(Time now);
  Time NextMarketDueLocked() const;
  // Accrues the instance's cost up to `now`; it runs afterwards when `running_after`.
  Status AccrueCostLocked(const InstanceRecord& r, Time now, bool running_after);
  void MarketWake();
  void MarketLoop();

  CloudDb* db_;
  HostDriver* driver_;
  EventPublisher* events_;
  EngineOptions options_;
  const InstanceCatalog& catalog_;

  mutable std::mutex mu_;  // the state below; lock order: mu_ -> CloudDb -> SqsService
  Random random_;
  std::map<std::string, VpcRecord> vpcs_;
  std::map<std::string, SubnetRecord> subnets_;
  std::map<std::string, InstanceRecord> instances_;
  std::map<std::string, VolumeRecord> volumes_;
  std::map<std::string, EniRecord> enis_;
  std::map<std::string, ImageRecord> images_;
  std::map<std::string, SnapshotRecord> snapshots_;
  // Snapshots a CreateSnapshot/CreateImage call is capturing now (workers leave them alone).
  std::set<std::string> capturing_;
  std::map<std::string, TokenRecord> tokens_;
  std::map<std::string, SpotRequestRecord> spot_requests_;
  std::map<std::string, CostRecord> costs_;
  std::vector<SpotPoolRecord> loaded_pools_;  // until InitMarketLocked restores them
  std::unique_ptr<SpotMarket> market_;        // made by Start()
  std::map<std::string, int> failures_;
  std::function<void(const VpcRecord&)> vpc_listener_;

  std::mutex qmu_;  // the queue below
  std::condition_variable qcv_;
  std::deque<std::string> queue_;
  std::set<std::string> queued_;
  std::set<std::string> running_;
  std::set<std::string> dirty_;  // queued again while running
  bool stopping_ = false;
  bool started_ = false;
  std::vector<std::thread> workers_;
  std::thread watch_;
  std::mutex watch_mu_;  // exited_
  std::condition_variable watch_cv_;
  std::set<std::string> exited_;  // instances whose init exit the driver reported, not checked
  std::thread market_thread_;
  std::mutex market_mu_;  // the two flags below; never held while taking mu_
  std::condition_variable market_cv_;
  bool market_wake_ = false;
  bool market_stopping_ = false;
};

}  // namespace spotkeeper::cloud
