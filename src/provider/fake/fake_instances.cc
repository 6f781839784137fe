// FakeCloud: RunInstances, TerminateInstances, DescribeInstances, DescribeInstanceStatus and the
// instance lifecycle (pending -> running -> shutting-down -> terminated -> gone from Describe).
#include <algorithm>
#include <cctype>
#include <set>

#include "provider/fake/describe_util.h"
#include "provider/fake/fake_cloud.h"
#include "provider/fake/param_digest.h"

namespace spotkeeper {

using fake::IncorrectState;
using fake::InstanceRecord;
using fake::InvalidParameterValue;
using fake::TransitionKind;
using fake::ValidDeviceName;
using fake::ValidVolumeType;

namespace {

// Every parameter of a launch except the token, for IdempotentParameterMismatch.
uint64_t Fingerprint(const RunInstanceRequest& r) {
  ParamDigest d;
  d.Add(r.image_id).Add(r.instance_type).Add(MarketName(r.market)).Add(r.network_interface_id);
  d.Add(r.subnet_id).Add(r.private_ip);
  d.Add(static_cast<int64_t>(r.security_group_ids.size()));
  for (const auto& sg : r.security_group_ids) d.Add(sg);
  d.Add(static_cast<int64_t>(r.block_devices.size()));
  for (const auto& b : r.block_devices) {
    d.Add(b.device_name).Add(b.volume_size_gib).Add(b.snapshot_id).Add(b.volume_type);
    d.Add(b.delete_on_termination ? 1 : 0);
  }
  d.Add(r.user_data).Add(r.tags).Add(r.volume_tags);
  return d.value();
}

// One volume a launch will create.
struct LaunchVolume {
  std::string device;
  std::string snapshot_id;
  int size_gib = 0;
  std::string volume_type = "gp3";
  bool delete_on_termination = true;
};

}  // namespace

Result<InstanceRecord*> FakeCloud::FindInstance(const std::string& id, bool include_vanished) {
  auto it = instances_.find(id);
  if (it == instances_.end() || (!include_vanished && it->second.vanished)) {
    return fake::UnknownId(fake::kInstanceIds, id);
  }
  return &it->second;
}

Result<Instance> FakeCloud::RunInstance(const RunInstanceRequest& req) {
  std::lock_guard<std::mutex> l(mu_);
  SK_RETURN_IF_ERROR(Admit("RunInstances"));
  return Respond("RunInstances", RunInstanceLocked(req));
}

Result<Instance> FakeCloud::RunInstanceLocked(const RunInstanceRequest& req) {
  const Time now = Now();
  const uint64_t fingerprint = req.client_token.empty() ? 0 : Fingerprint(req);
  if (!req.client_token.empty()) {
    if (req.client_token.size() > 64) {
      return InvalidParameterValue("ClientToken is longer than 64 characters");
    }
    auto it = run_tokens_.find(req.client_token);
    if (it != run_tokens_.end()) {
      if (it->second.fingerprint != fingerprint) return fake::IdempotentParameterMismatch();
      return instances_.at(it->second.id).instance;
    }
  }
  Tags instance_tags = fake::WithToken(req.tags, req.client_token);
  const Tags volume_tags = fake::WithToken(req.volume_tags, req.client_token);
  SK_RETURN_IF_ERROR(fake::ValidateTags(instance_tags));
  SK_RETURN_IF_ERROR(fake::ValidateTags(volume_tags));

  // Image and type.
  SK_ASSIGN_OR_RETURN(fake::ImageRecord * image, FindImage(req.image_id));
  if (image->image.state != "available") {
    return Status(Code::kFailedPrecondition,
                  "Image " + req.image_id + " is not available (state " + image->image.state + ")",
                  "InvalidAMIID.Unavailable");
  }
  if (!KnownInstanceType(req.instance_type)) {
    return InvalidParameterValue("Invalid value '" + req.instance_type + "' for InstanceType.");
  }

  // Placement: the primary ENI, or a subnet (+ address).
  fake::EniRecord* eni = nullptr;
  fake::SubnetRecord* subnet = nullptr;
  if (!req.network_interface_id.empty()) {
    if (!req.subnet_id.empty() || !req.private_ip.empty()) {
      return Status(Code::kInvalidArgument,
                    "Network interfaces and an instance-level subnet ID or private IP address "
                    "may not be specified on the same request",
                    "InvalidParameterCombination");
    }
    SK_ASSIGN_OR_RETURN(eni, FindEni(req.network_interface_id));
    if (eni->eni.status != "available") {
      return Status(Code::kFailedPrecondition, "Interface: [" + eni->eni.id + "] in use.",
                    "InvalidNetworkInterface.InUse");
    }
    subnet = &subnets_.at(eni->eni.subnet_id);
  } else if (!req.subnet_id.empty()) {
    SK_ASSIGN_OR_RETURN(subnet, FindSubnet(req.subnet_id));
  } else {
    // No placement: a default subnet (that of the first zone), as EC2 picks one.
    for (const std::string& az : options_.availability_zones) {
      for (auto& [id, s] : subnets_) {
        if (subnet == nullptr && s.subnet.availability_zone == az) subnet = &s;
      }
    }
    if (subnet == nullptr) {
      return Status(Code::kInvalidArgument, "No default VPC for this user", "VPCIdNotSpecified");
    }
  }
  if (eni == nullptr) SK_RETURN_IF_ERROR(subnet->addresses.CanAllocate(req.private_ip));
  const std::string az = subnet->subnet.availability_zone;

  // Block devices: the image's mapping with the request's overrides, then the extra volumes.
  std::vector<LaunchVolume> launch;
  std::set<std::string> requested;
  for (const BlockDeviceSpec& b : req.block_devices) {
    if (!requested.insert(b.device_name).second) {
      return InvalidParameterValue("The device '" + b.device_name + "' is used more than once");
    }
  }
  for (const ImageBlockDevice& d : image->image.block_devices) {
    LaunchVolume v{d.device_name, d.snapshot_id, d.volume_size_gib, "gp3", d.delete_on_termination};
    for (const BlockDeviceSpec& b : req.block_devices) {
      if (b.device_name != d.device_name) continue;
      if (!b.snapshot_id.empty()) v.snapshot_id = b.snapshot_id;
      if (b.volume_size_gib > 0) v.size_gib = b.volume_size_gib;
      v.volume_type = b.volume_type;
      v.delete_on_termination = b.delete_on_termination;
    }
    launch.push_back(v);
  }
  for (const BlockDeviceSpec& b : req.block_devices) {
    bool in_image =
        std::any_of(image->image.block_devices.begin(), image->image.block_devices.end(),
                    [&](const ImageBlockDevice& d) { return d.device_name == b.device_name; });
    if (!in_image) {
      launch.push_back({b.device_name, b.snapshot_id, b.volume_size_gib, b.volume_type,
                        b.delete_on_termination});
    }
  }
  for (LaunchVolume& v : launch) {
    if (!ValidDeviceName(v.device)) {
      return InvalidParameterValue("Invalid device name " + v.device);
    }
    if (!ValidVolumeType(v.volume_type)) {
      return InvalidParameterValue("Invalid value '" + v.volume_type + "' for volume type");
    }
    if (!v.snapshot_id.empty()) {
      SK_ASSIGN_OR_RETURN(fake::SnapshotRecord * snap, FindSnapshot(v.snapshot_id));
      if (snap->snapshot.state != "completed") {
        return IncorrectState("Snapshot '" + v.snapshot_id + "' is not 'completed' (state " +
                              snap->snapshot.state + ")");
      }
      if (v.size_gib == 0) v.size_gib = snap->snapshot.volume_size_gib;
      if (v.size_gib < snap->snapshot.volume_size_gib) {
        return InvalidParameterValue(
            "Volume of size " + std::to_string(v.size_gib) + "GB is smaller than snapshot '" +
            v.snapshot_id + "', expect size >= " + std::to_string(snap->snapshot.volume_size_gib) +
            "GB");
      }
    }
    if (v.size_gib < 1 || v.size_gib > 16384) {
      return InvalidParameterValue("Volume size of " + v.device + " must be 1..16384 GiB");
    }
  }

  // Capacity last: every other error is the caller's.
  SK_RETURN_IF_ERROR(CheckCapacity(req.market, req.instance_type, az));

  // --- from here on nothing fails ---
  std::string id = NewId("i-");
  InstanceRecord& rec = instances_[id];
  Instance& inst = rec.instance;
  inst.id = id;
  inst.image_id = req.image_id;
  inst.instance_type = req.instance_type;
  inst.market = req.market;
  inst.availability_zone = az;
  inst.subnet_id = subnet->subnet.id;
  inst.vpc_id = subnet->subnet.vpc_id;
  inst.state = InstanceState::kPending;
  inst.launch_time = now;
  inst.root_device_name = image->image.root_device_name;
  inst.tags = std::move(instance_tags);
  inst.client_token = req.client_token;

  if (eni != nullptr) {
    AttachEniAtLaunch(*eni, rec, /*dot=*/false, now);
  } else {
    Result<std::string> ip = subnet->addresses.Allocate(req.private_ip);
    fake::EniRecord& created =
        CreateEniLocked(*subnet, *ip, "", fake::WithToken({}, req.client_token));
    AttachEniAtLaunch(created, rec, /*dot=*/true, now);
  }
  for (const LaunchVolume& v : launch) {
    CreateLaunchVolume(rec, v.device, v.snapshot_id, v.size_gib, v.volume_type,
                       v.delete_on_termination, volume_tags, now);
  }
  if (req.market == Market::kSpot) {
    std::string sir = NewId("sir-");
    fake::SpotRequestRecord& s = spot_requests_[sir];
    s.request = SpotInstanceRequest{sir, id, "active", "fulfilled", az, req.instance_type};
    s.tags = inst.tags;
    spot_index_.Add(&s.request.id, s.tags);
    inst.spot_request_id = sir;
  }
  PoolFor(req.market, req.instance_type, az).live.insert(id);
  instance_index_.Add(&inst.id, inst.tags);
  if (!req.client_token.empty()) run_tokens_[req.client_token] = {id, fingerprint};
  EmitEvent(CloudEventKind::kInstanceStateChange, id, now, "pending");
  Schedule(now + Draw(options_.instance_pending), TransitionKind::kInstanceRunning, &inst.id);
  return inst;
}

void FakeCloud::SetInstanceState(InstanceRecord& rec, InstanceState state, Time at) {
  rec.instance.state = state;
  EmitEvent(CloudEventKind::kInstanceStateChange, rec.instance.id, at, InstanceStateName(state));
}

void FakeCloud::OnInstanceRunning(const std::string& id, Time at) {
  InstanceRecord& rec = instances_.at(id);
  if (rec.instance.state != InstanceState::kPending) return;
  SetInstanceState(rec, InstanceState::kRunning, at);
  rec.running_at = at;
  const DelayRange& w = options_.workload_serving;
  rec.serving_at =
      at + (w.max <= w.min ? w.min : Duration{serving_rng_.Range(w.min.count(), w.max.count())});
  Schedule(at + options_.instance_status_initializing, TransitionKind::kInstanceStatusOk,
           &rec.instance.id);
}

void FakeCloud::BeginShutdown(InstanceRecord& rec, Time at, const std::string& reason,
                              Duration delay, bool by_service) {
  rec.instance.state_reason = reason;
  rec.terminated_by_service = by_service;
  SetInstanceState(rec, InstanceState::kShuttingDown, at);
  Schedule(at + delay, TransitionKind::kInstanceTerminated, &rec.instance.id);
}

void FakeCloud::OnInstanceTerminated(const std::string& id, Time at) {
  InstanceRecord& rec = instances_.at(id);
  Instance& inst = rec.instance;
  if (inst.state != InstanceState::kShuttingDown) return;
  SetInstanceState(rec, InstanceState::kTerminated, at);
  rec.terminated_at = at;
  rec.status_ok = false;
  // Volumes: DeleteOnTermination ones are deleted, the others detached.
  for (const InstanceBlockDevice& bd : inst.block_devices) {
    fake::VolumeRecord& vol = volumes_.at(bd.volume_id);
    if (vol.volume.state != "in-use") continue;
    if (bd.delete_on_termination) {
      MarkVolumeDeleted(vol, at, "delete-on-termination");
    } else if (vol.volume.attachments.empty() ||
               vol.volume.attachments.front().state != "detaching") {
      BeginDetach(vol, at);
    }
  }
  for (const InstanceNetworkInterface& ni : inst.network_interfaces) {
    ReleaseEni(enis_.at(ni.network_interface_id), at);
  }
  // Terminated instances list neither volumes nor interfaces.
  inst.block_devices.clear();
  inst.network_interfaces.clear();
  PoolFor(inst.market, inst.instance_type, inst.availability_zone).live.erase(id);
  if (!inst.spot_request_id.empty()) {
    CloseSpotRequest(inst.spot_request_id, rec.terminated_by_service
                                               ? "instance-terminated-by-service"
                                               : "instance-terminated-by-user");
  }
  Schedule(at + options_.terminated_visibility, TransitionKind::kInstanceVanished, &inst.id);
}

Status FakeCloud::TerminateInstance(const std::string& instance_id) {
  std::lock_guard<std::mutex> l(mu_);
  SK_RETURN_IF_ERROR(Admit("TerminateInstances"));
  return Respond("TerminateInstances", TerminateLocked(instance_id));
}

Status FakeCloud::TerminateLocked(const std::string& instance_id) {
  // An instance we once made stays terminable (a no-op) after it left DescribeInstances.
  SK_ASSIGN_OR_RETURN(InstanceRecord * rec, FindInstance(instance_id, /*include_vanished=*/true));
  switch (rec->instance.state) {
    case InstanceState::kPending:
    case InstanceState::kRunning:
    case InstanceState::kStopping:
    case InstanceState::kStopped:
      BeginShutdown(*rec, Now(), "Client.UserInitiatedShutdown: User initiated shutdown",
                    Draw(options_.instance_shutting_down), /*by_service=*/false);
      return OkStatus();
    case InstanceState::kShuttingDown:
    case InstanceState::kTerminated:
      return OkStatus();
  }
  return OkStatus();
}

Result<std::vector<Instance>> FakeCloud::DescribeInstances(const Filter& filter) {
  std::lock_guard<std::mutex> l(mu_);
  SK_RETURN_IF_ERROR(Admit("DescribeInstances"));
  return Respond("DescribeInstances", fake::DescribeRecords(
                                          instances_, instance_index_, filter, fake::kInstanceIds,
                                          [](const InstanceRecord& r) { return !r.vanished; },
                                          [&filter](const InstanceRecord& r) {
                                            return fake::MatchesFilter(
                                                filter, InstanceStateName(r.instance.state),
                                                r.instance.availability_zone, r.instance.tags);
                                          },
                                          [](const InstanceRecord& r) { return r.instance; }));
}

Result<std::vector<InstanceStatus>> FakeCloud::DescribeInstanceStatus(
    const std::vector<std::string>& instance_ids) {
  std::lock_guard<std::mutex> l(mu_);
  SK_RETURN_IF_ERROR(Admit("DescribeInstanceStatus"));
  auto run = [&]() -> Result<std::vector<InstanceStatus>> {
    auto status_of = [](const InstanceRecord& r) {
      std::string s = r.impaired ? "impaired" : r.status_ok ? "ok" : "initializing";
      return InstanceStatus{r.instance.id, r.instance.state, s, s};
    };
    std::vector<InstanceStatus> out;
    if (instance_ids.empty()) {
      for (const auto& [id, r] : instances_) {
        if (r.instance.state == InstanceState::kRunning) out.push_back(status_of(r));
      }
      std::sort(out.begin(), out.end(), [](const InstanceStatus& a, const InstanceStatus& b) {
        return a.instance_id < b.instance_id;
      });
      return out;
    }
    std::set<std::string> ids(instance_ids.begin(), instance_ids.end());
    std::vector<std::string> missing;
    for (const std::string& id : ids) {
      auto it = instances_.find(id);
      if (it == instances_.end() || it->second.vanished) missing.push_back(id);
    }
    if (!missing.empty()) return fake::UnknownIds(fake::kInstanceIds, missing);
    for (const std::string& id : ids) {
      const InstanceRecord& r = instances_.at(id);
      if (r.instance.state == InstanceState::kRunning) out.push_back(status_of(r));
    }
    return out;
  };
  return Respond("DescribeInstanceStatus", run());
}

Status FakeCloud::ProbeServing(const std::string& instance_id, const std::string& ip,
                               const ServingProbe& probe, Duration timeout) {
  std::lock_guard<std::mutex> l(mu_);
  SK_RETURN_IF_ERROR(Admit("ProbeServing"));
  auto run = [&]() -> Status {
    const int port = probe.port;
    if (port < 1 || port > 65535) {
      return Status(Code::kInvalidArgument, "port " + std::to_string(port) + " is outside 1..65535",
                    "InvalidParameterValue");
    }
    auto rec = FindInstance(instance_id, /*include_vanished=*/false);
    if (!rec.ok()) return rec.status();
    const InstanceRecord& r = **rec;
    const std::string where = ip + ":" + std::to_string(port);
    if (r.instance.state != InstanceState::kRunning) {
      return Status(Code::kUnavailable,
                    instance_id + " is " + InstanceStateName(r.instance.state) + ", not running",
                    "NotRunning");
    }
    if (ip != r.instance.private_ip) {
      return Status(Code::kUnavailable,
                    "connect " + where + ": no answer within " + FormatDuration(timeout) + " (" +
                        instance_id + " is at " + r.instance.private_ip + ")",
                    "Timeout");
    }
    if (r.workload_down || Now() < r.serving_at) {
      // A workload that does not serve yet answers each kind of check as its real counterpart
      // would while it has no quorum: a plain connect is refused, ZooKeeper's srvr gets "not
      // currently serving", etcd's /health a 503.
      if (probe.kind == ServingProbe::Kind::kHttp) {
        return Status(Code::kUnavailable,
                      probe.Describe(ip) + R"(: answered 503 (body "{"health":"false"}"))",
                      "UnexpectedStatus");
      }
      if (!probe.send.empty() || !probe.expect.empty()) {
        return Status(Code::kUnavailable,
                      probe.Describe(ip) +
                          ": the reply lacks the expected text (got \"This "
                          "ZooKeeper instance is not currently serving requests\")",
                      "UnexpectedReply");
      }
      return Status(Code::kUnavailable, "connect " + where + ": Connection refused",
                    "ConnectionRefused");
    }
    if (r.workload_reply && r.workload_reply->find(probe.expect) == std::string::npos) {
      return Status(Code::kUnavailable,
                    probe.Describe(ip) + ": the reply lacks the expected text (got \"" +
                        *r.workload_reply + "\")",
                    "UnexpectedReply");
    }
    return OkStatus();
  };
  return Respond("ProbeServing", run());
}

Result<bool> FakeCloud::WorkloadServing(const std::string& instance_id) {
  std::lock_guard<std::mutex> l(mu_);
  ProcessLocked();
  auto rec = FindInstance(instance_id, /*include_vanished=*/true);
  if (!rec.ok()) return rec.status();
  const InstanceRecord& r = **rec;
  if (r.instance.state != InstanceState::kRunning) {
    return FailedPrecondition(instance_id + " is " + InstanceStateName(r.instance.state));
  }
  return !r.workload_down && Now() >= r.serving_at;
}

Status FakeCloud::SetWorkloadServing(const std::string& instance_id, bool serving) {
  std::lock_guard<std::mutex> l(mu_);
  ProcessLocked();
  auto rec = FindInstance(instance_id, /*include_vanished=*/true);
  if (!rec.ok()) return rec.status();
  (*rec)->workload_down = !serving;
  return OkStatus();
}

Status FakeCloud::SetWorkloadReply(const std::string& instance_id, std::string reply) {
  std::lock_guard<std::mutex> l(mu_);
  ProcessLocked();
  auto rec = FindInstance(instance_id, /*include_vanished=*/true);
  if (!rec.ok()) return rec.status();
  (*rec)->workload_reply = std::move(reply);
  return OkStatus();
}

}  // namespace spotkeeper
