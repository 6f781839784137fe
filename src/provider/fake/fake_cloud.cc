// FakeCloud: construction, the call gate (throttling and faults), time, inspection, tags and
// events. Instances, storage, images, network and the spot market live in fake_*.cc.
#include "provider/fake/fake_cloud.h"

#include <algorithm>

#include "provider/fake/describe_util.h"

namespace spotkeeper {

using fake::TransitionKind;

namespace {

// SplitMix64: decorrelated seeds for the cloud's independent Random streams.
uint64_t StreamSeed(uint64_t seed, uint64_t stream) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// SQS actions and the workload probe: EC2's request buckets do not apply to them.
bool OutsideEc2Buckets(const std::string& action) {
  return action == "ReceiveMessage" || action == "DeleteMessageBatch" || action == "ProbeServing";
}

}  // namespace

FakeCloud::FakeCloud(const Clock* clock, uint64_t seed, FakeCloudOptions options)
    : clock_(clock),
      options_(std::move(options)),
      id_rng_(StreamSeed(seed, 0)),
      delay_rng_(StreamSeed(seed, 1)),
      fault_rng_(StreamSeed(seed, 2)),
      market_rng_(StreamSeed(seed, 3)),
      serving_rng_(StreamSeed(seed, 4)) {
  vpc_id_ = NewId("vpc-");
  other_tags_[vpc_id_];
  for (size_t i = 0; i < options_.availability_zones.size(); ++i) {
    Result<std::string> id =
        AddSubnet(options_.availability_zones[i], "10.0." + std::to_string(i + 1) + ".0/24");
    (void)id;  // cannot fail: distinct /24 blocks in known zones
  }
  InitCatalogue();
}

// --- topology ---

Result<std::string> FakeCloud::AddSubnet(const std::string& az, const std::string& cidr) {
  std::lock_guard<std::mutex> l(mu_);
  if (std::find(options_.availability_zones.begin(), options_.availability_zones.end(), az) ==
      options_.availability_zones.end()) {
    return Status(Code::kInvalidArgument,
                  "Value (" + az + ") for parameter availabilityZone is invalid",
                  "InvalidParameterValue");
  }
  SK_ASSIGN_OR_RETURN(SubnetAddresses addresses, SubnetAddresses::Create(cidr));
  for (const auto& [id, s] : subnets_) {
    if (s.addresses.Overlaps(addresses)) {
      return Status(Code::kInvalidArgument, "The CIDR '" + cidr + "' conflicts with another subnet",
                    "InvalidSubnet.Conflict");
    }
  }
  std::string id = NewId("subnet-");
  subnets_.emplace(id, fake::SubnetRecord{Subnet{id, vpc_id_, az, cidr}, std::move(addresses)});
  other_tags_[id];
  return id;
}

std::vector<Subnet> FakeCloud::subnets() const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<Subnet> out;
  for (const auto& [id, s] : subnets_) out.push_back(s.subnet);
  return out;
}

// --- call gate ---

bool FakeCloud::FaultApplies(const char* action) const {
  return faults_.actions.empty() || faults_.actions.count(action) > 0;
}

Status FakeCloud::Admit(const char* action) {
  ++stats_.calls[action];
  ProcessLocked();
  bool faulty = FaultApplies(action);
  if (faulty && faults_.max_latency.count() > 0 && options_.advance_clock != nullptr) {
    options_.advance_clock->Advance(Duration{fault_rng_.Range(0, faults_.max_latency.count())});
    ProcessLocked();
  }
  if (options_.throttle && !OutsideEc2Buckets(action) &&
      limiter_.Acquire(action, Now()).count() > 0) {
    ++stats_.throttled;
    return Status(Code::kResourceExhausted, std::string("Request limit exceeded (") + action + ")",
                  "RequestLimitExceeded");
  }
  if (faulty && fault_rng_.Bernoulli(faults_.error_rate)) {
    ++stats_.errors_injected;
    if (fault_rng_.Uniform(2) == 0) {
      return Status(Code::kUnavailable, "An internal error has occurred", "InternalError");
    }
    return Status(Code::kUnavailable, "The service is unavailable. Please try again shortly.",
                  "Unavailable");
  }
  return OkStatus();
}

bool FakeCloud::LoseResponse(const char* action) {
  if (!FaultApplies(action) || !fault_rng_.Bernoulli(faults_.lost_response_rate)) return false;
  ++stats_.lost_responses;
  return true;
}

void FakeCloud::SetFaults(Faults faults) {
  std::lock_guard<std::mutex> l(mu_);
  faults_ = std::move(faults);
}

// --- time ---

void FakeCloud::Process() {
  std::lock_guard<std::mutex> l(mu_);
  ProcessLocked();
}

void FakeCloud::ProcessLocked() {
  const Time now = Now();
  while (!timeline_.empty() && timeline_.front().at <= now) {
    std::pop_heap(timeline_.begin(), timeline_.end());
    fake::ScheduledTransition next = timeline_.back();
    timeline_.pop_back();
    Apply(next.transition, next.at);
  }
}

Time FakeCloud::NextTransitionTime() {
  std::lock_guard<std::mutex> l(mu_);
  ProcessLocked();
  Time next = timeline_.empty() ? kNever : timeline_.front().at;
  return std::min(next, events_.NextRedeliveryTime(Now()));
}

void FakeCloud::Schedule(Time at, TransitionKind kind, const std::string* record_id,
                         uint64_t generation) {
  timeline_.push_back({at, next_transition_seq_++, fake::Transition{kind, record_id, generation}});
  std::push_heap(timeline_.begin(), timeline_.end());
}

Duration FakeCloud::Draw(const DelayRange& range) {
  if (range.max <= range.min) return range.min;
  return Duration{delay_rng_.Range(range.min.count(), range.max.count())};
}

void FakeCloud::Apply(const fake::Transition& t, Time at) {
  const std::string& id = *t.id;
  switch (t.kind) {
    case TransitionKind::kInstanceRunning:
      return OnInstanceRunning(id, at);
    case TransitionKind::kInstanceStatusOk: {
      auto it = instances_.find(id);
      if (it != instances_.end()) it->second.status_ok = true;
      return;
    }
    case TransitionKind::kInstanceTerminated:
      return OnInstanceTerminated(id, at);
    case TransitionKind::kInstanceVanished: {
      auto it = instances_.find(id);
      if (it == instances_.end()) return;
      it->second.vanished = true;
      instance_index_.Remove(&it->second.instance.id, it->second.instance.tags);
      return;
    }
    case TransitionKind::kSpotInterruption:
      return OnSpotInterruption(id, at);
    case TransitionKind::kVolumeAvailable: {
      auto it = volumes_.find(id);
      if (it != volumes_.end() && it->second.volume.state == "creating") {
        it->second.volume.state = "available";
      }
      return;
    }
    case TransitionKind::kVolumeAttached:
      return OnVolumeAttached(id, t.generation, at);
    case TransitionKind::kVolumeDetached:
      return OnVolumeDetached(id, t.generation, at);
    case TransitionKind::kVolumeDeleted: {
      auto it = volumes_.find(id);
      if (it != volumes_.end() && it->second.volume.state == "deleting") {
        MarkVolumeDeleted(it->second, at, "api");
      }
      return;
    }
    case TransitionKind::kSnapshotCompleted:
      return OnSnapshotCompleted(id, at);
    case TransitionKind::kImageAvailable:
      return OnImageAvailable(id, at);
    case TransitionKind::kEniAttached:
      return OnEniAttached(id, t.generation, at);
    case TransitionKind::kEniDetached:
      return OnEniDetached(id, t.generation, at);
  }
}

std::string FakeCloud::NewId(const char* prefix) {
  static const char kHex[] = "0123456789abcdef";
  for (;;) {
    // 17 hex digits: 64 bits of one draw and 4 of another.
    uint64_t lo = id_rng_.Next(), hi = id_rng_.Next();
    char digits[17];
    digits[0] = kHex[hi & 15];
    for (int i = 16; i >= 1; --i, lo >>= 4) digits[i] = kHex[lo & 15];
    std::string id(prefix);
    id.append(digits, sizeof digits);
    if (issued_ids_.insert(id).second) return id;
  }
}

// --- inspection ---

std::vector<Instance> FakeCloud::AllInstances() {
  std::lock_guard<std::mutex> l(mu_);
  ProcessLocked();
  return fake::AllById(instances_, [](const auto& rec) { return rec.instance; });
}

std::vector<Volume> FakeCloud::AllVolumes() {
  std::lock_guard<std::mutex> l(mu_);
  ProcessLocked();
  return fake::AllById(volumes_, [](const auto& rec) { return rec.volume; });
}

std::vector<NetworkInterface> FakeCloud::AllNetworkInterfaces() {
  std::lock_guard<std::mutex> l(mu_);
  ProcessLocked();
  return fake::AllById(enis_, [](const auto& rec) { return rec.eni; });
}

std::vector<Snapshot> FakeCloud::AllSnapshots() {
  std::lock_guard<std::mutex> l(mu_);
  ProcessLocked();
  return fake::AllById(snapshots_, [this](const fake::SnapshotRecord& rec) {
    Snapshot s = rec.snapshot;
    s.progress = SnapshotProgress(rec);
    return s;
  });
}

std::vector<Image> FakeCloud::AllImages() {
  std::lock_guard<std::mutex> l(mu_);
  ProcessLocked();
  return fake::AllById(images_, [](const auto& rec) { return rec.image; });
}

std::vector<SpotInstanceRequest> FakeCloud::AllSpotInstanceRequests() {
  std::lock_guard<std::mutex> l(mu_);
  ProcessLocked();
  return fake::AllById(spot_requests_, [](const auto& rec) { return rec.request; });
}

std::vector<FakeCloud::Deletion> FakeCloud::deletions() {
  std::lock_guard<std::mutex> l(mu_);
  ProcessLocked();
  return deletions_;
}

FakeCloud::Stats FakeCloud::stats() const {
  std::lock_guard<std::mutex> l(mu_);
  return stats_;
}

int64_t FakeCloud::events_pushed() const {
  std::lock_guard<std::mutex> l(mu_);
  return events_.pushed();
}

int64_t FakeCloud::events_pending() const {
  std::lock_guard<std::mutex> l(mu_);
  return static_cast<int64_t>(events_.size());
}

// --- tags ---

Result<FakeCloud::TagTarget> FakeCloud::TagsOf(const std::string& id) {
  auto starts = [&](const char* p) { return id.rfind(p, 0) == 0; };
  if (starts("i-")) {
    auto it = instances_.find(id);
    if (it == instances_.end() || it->second.vanished) {
      return fake::UnknownId(fake::kInstanceIds, id);
    }
    Instance& i = it->second.instance;
    return TagTarget{&i.id, &i.tags, &instance_index_};
  }
  if (starts("vol-")) {
    auto it = volumes_.find(id);
    if (it == volumes_.end() || it->second.volume.state == "deleted") {
      return fake::UnknownId(fake::kVolumeIds, id);
    }
    Volume& v = it->second.volume;
    return TagTarget{&v.id, &v.tags, &volume_index_};
  }
  if (starts("snap-")) {
    auto it = snapshots_.find(id);
    if (it == snapshots_.end() || it->second.deleted) {
      return fake::UnknownId(fake::kSnapshotIds, id);
    }
    Snapshot& s = it->second.snapshot;
    return TagTarget{&s.id, &s.tags, &snapshot_index_};
  }
  if (starts("ami-")) {
    auto it = images_.find(id);
    if (it == images_.end() || it->second.image.state == "deregistered") {
      return fake::UnknownId(fake::kImageIds, id);
    }
    if (it->second.is_public) {
      return Status(Code::kPermissionDenied, "You are not authorized to tag the public image " + id,
                    "UnauthorizedOperation");
    }
    Image& i = it->second.image;
    return TagTarget{&i.id, &i.tags, &image_index_};
  }
  if (starts("eni-")) {
    auto it = enis_.find(id);
    if (it == enis_.end() || it->second.deleted) return fake::UnknownId(fake::kEniIds, id);
    NetworkInterface& e = it->second.eni;
    return TagTarget{&e.id, &e.tags, &eni_index_};
  }
  if (starts("sir-")) {
    auto it = spot_requests_.find(id);
    if (it == spot_requests_.end()) return fake::UnknownId(fake::kSpotRequestIds, id);
    return TagTarget{&it->second.request.id, &it->second.tags, &spot_index_};
  }
  if (starts("subnet-") || starts("vpc-")) {
    auto it = other_tags_.find(id);
    if (it == other_tags_.end()) {
      if (starts("subnet-")) return fake::UnknownId(fake::kSubnetIds, id);
      return Status(Code::kNotFound, "The vpc ID '" + id + "' does not exist",
                    "InvalidVpcID.NotFound");
    }
    return TagTarget{&it->first, &it->second, nullptr};
  }
  return Status(Code::kInvalidArgument, "The ID '" + id + "' is not valid", "InvalidID");
}

Status FakeCloud::CreateTags(const std::vector<std::string>& resource_ids, const Tags& tags) {
  std::lock_guard<std::mutex> l(mu_);
  SK_RETURN_IF_ERROR(Admit("CreateTags"));
  auto run = [&]() -> Status {
    SK_RETURN_IF_ERROR(fake::ValidateTags(tags));
    // All or nothing: check every resource before changing any.
    std::vector<std::pair<TagTarget, Tags>> changes;
    for (const std::string& id : resource_ids) {
      SK_ASSIGN_OR_RETURN(TagTarget target, TagsOf(id));
      Tags merged = *target.tags;
      for (const auto& [k, v] : tags) merged[k] = v;
      SK_RETURN_IF_ERROR(fake::ValidateTags(merged));
      changes.emplace_back(target, std::move(merged));
    }
    for (auto& [t, merged] : changes) {
      if (t.index != nullptr) t.index->Update(t.id, *t.tags, merged);
      *t.tags = std::move(merged);
    }
    return OkStatus();
  };
  return Respond("CreateTags", run());
}

Status FakeCloud::DeleteTags(const std::vector<std::string>& resource_ids,
                             const std::vector<std::string>& keys) {
  std::lock_guard<std::mutex> l(mu_);
  SK_RETURN_IF_ERROR(Admit("DeleteTags"));
  auto run = [&]() -> Status {
    std::vector<TagTarget> targets;
    for (const std::string& id : resource_ids) {
      SK_ASSIGN_OR_RETURN(TagTarget target, TagsOf(id));
      targets.push_back(target);
    }
    for (const TagTarget& t : targets) {
      Tags remaining = *t.tags;
      for (const std::string& k : keys) remaining.erase(k);
      if (t.index != nullptr) t.index->Update(t.id, *t.tags, remaining);
      *t.tags = std::move(remaining);
    }
    return OkStatus();
  };
  return Respond("DeleteTags", run());
}

// --- events ---

void FakeCloud::EmitEvent(CloudEventKind kind, const std::string& instance_id, Time at,
                          const std::string& state, Time action_time) {
  CloudEvent e;
  e.kind = kind;
  e.instance_id = instance_id;
  e.time = at;
  e.state = state;
  if (kind == CloudEventKind::kSpotInterruptionWarning) {
    e.instance_action = "terminate";
    e.action_time = action_time;
  }
  e.account = options_.account_id;
  e.region = options_.region;
  events_.Push(std::move(e));
}

void FakeCloud::SendEvent(CloudEvent event) {
  std::lock_guard<std::mutex> l(mu_);
  events_.Push(std::move(event));
}

Result<std::vector<CloudEvent>> FakeCloud::ReceiveEvents(int max) {
  std::lock_guard<std::mutex> l(mu_);
  SK_RETURN_IF_ERROR(Admit("ReceiveMessage"));
  if (max < 1) {
    return Status(Code::kInvalidArgument, "MaxNumberOfMessages must be between 1 and 10",
                  "InvalidParameterValue");
  }
  // SQS hands out at most 10 messages per call.
  return Respond("ReceiveMessage",
                 Result<std::vector<CloudEvent>>(
                     events_.Receive(Now(), std::min(max, 10), options_.event_visibility_timeout)));
}

Status FakeCloud::AckEvents(const std::vector<std::string>& receipts) {
  std::lock_guard<std::mutex> l(mu_);
  SK_RETURN_IF_ERROR(Admit("DeleteMessageBatch"));
  return Respond("DeleteMessageBatch", events_.Ack(receipts));
}

}  // namespace spotkeeper
