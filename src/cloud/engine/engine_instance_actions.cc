// Engine: instance state changes (terminate, stop, start), describing instances, console output.
#include <algorithm>

#include "cloud/engine/describe_filter.h"
#include "cloud/engine/ec2_error.h"
#include "cloud/engine/engine.h"

namespace spotkeeper::cloud {
namespace {

std::string JoinIds(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) out += (out.empty() ? "" : ", ") + id;
  return out;
}

}  // namespace

Result<std::vector<StateChange>> Engine::TerminateInstances(const std::vector<std::string>& ids) {
  if (ids.empty()) {
    return Ec2Error("MissingParameter", "The request must contain the parameter InstanceId");
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> missing;
  for (const std::string& id : ids) {
    auto r = FindInstanceLocked(id);
    if (!r.ok() && r.status().cloud_code() == "InvalidInstanceID.Malformed") return r.status();
    if (!r.ok()) missing.push_back(id);
  }
  if (!missing.empty()) {
    return Ec2Error("InvalidInstanceID.NotFound",
                    missing.size() == 1
                        ? "The instance ID '" + missing[0] + "' does not exist"
                        : "The instance IDs '" + JoinIds(missing) + "' do not exist");
  }
  CloudDb::Transaction tx(db_);
  std::vector<StateChange> out;
  for (const std::string& id : ids) {
    InstanceRecord r = instances_.at(id);
    StateChange c{id, r.state, r.state};
    if (r.state != "terminated" && r.state != "shutting-down") {
      SK_RETURN_IF_ERROR(SpotUserActionLocked(r, "terminate"));
      r.state_reason_code = "Client.UserInitiatedShutdown";
      r.state_reason_message = "Client.UserInitiatedShutdown: User initiated shutdown";
      r.transition_reason = "User initiated (" + FormatTime(options_.clock->Now()) + ")";
      SK_RETURN_IF_ERROR(SetState(r, "shutting-down"));
      SK_RETURN_IF_ERROR(Save(r));
      c.current_state = r.state;
    }
    out.push_back(c);
  }
  SK_RETURN_IF_ERROR(tx.Commit());
  for (const StateChange& c : out) Enqueue(c.instance_id);
  return out;
}

Result<std::vector<StateChange>> Engine::StopInstances(const std::vector<std::string>& ids,
                                                       bool /*force*/) {
  if (ids.empty()) {
    return Ec2Error("MissingParameter", "The request must contain the parameter InstanceId");
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& id : ids) {
    SK_ASSIGN_OR_RETURN(InstanceRecord * r, FindInstanceLocked(id));
    const SpotRequestRecord* sr = RequestOfLocked(*r);
    if (r->lifecycle == "spot" && (sr == nullptr || sr->request_type != "persistent")) {
      return Ec2Error("UnsupportedOperation",
                      "You can't stop the Spot Instance '" + id +
                          "' because it is associated with a one-time Spot Instance request. You "
                          "can only stop Spot Instances associated with a persistent request.");
    }
    if (sr != nullptr && sr->state == "cancelled") {
      return Ec2Error("UnsupportedOperation",
                      "You can't stop the Spot Instance '" + id +
                          "' because its Spot Instance request is cancelled.");
    }
    if (r->state == "pending" || r->state == "shutting-down" || r->state == "terminated") {
      return Ec2Error("IncorrectInstanceState", "The instance '" + id +
                                                    "' is not in a state from which it can be "
                                                    "stopped.");
    }
  }
  CloudDb::Transaction tx(db_);
  std::vector<StateChange> out;
  for (const std::string& id : ids) {
    InstanceRecord r = instances_.at(id);
    StateChange c{id, r.state, r.state};
    if (r.state == "running") {
      SK_RETURN_IF_ERROR(SpotUserActionLocked(r, "stop"));
      r.state_reason_code = "Client.UserInitiatedShutdown";
      r.state_reason_message = "Client.UserInitiatedShutdown: User initiated shutdown";
      r.transition_reason = "User initiated (" + FormatTime(options_.clock->Now()) + ")";
      SK_RETURN_IF_ERROR(SetState(r, "stopping"));
      SK_RETURN_IF_ERROR(Save(r));
      c.current_state = r.state;
    }
    out.push_back(c);
  }
  SK_RETURN_IF_ERROR(tx.Commit());
  for (const StateChange& c : out) Enqueue(c.instance_id);
  return out;
}

Result<std::vector<StateChange>> Engine::StartInstances(const std::vector<std::string>& ids) {
  if (ids.empty()) {
    return Ec2Error("MissingParameter", "The request must contain the parameter InstanceId");
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& id : ids) {
    SK_ASSIGN_OR_RETURN(InstanceRecord * r, FindInstanceLocked(id));
    if (r->state == "stopping" || r->state == "shutting-down" || r->state == "terminated") {
      return Ec2Error("IncorrectInstanceState", "The instance '" + id +
                                                    "' is not in a state from which it can be "
                                                    "started.");
    }
  }
  // Each pool must have room for the instances this call starts.
  std::map<std::pair<std::string, std::string>, int64_t> starting;
  for (const std::string& id : ids) {
    const InstanceRecord& r = instances_.at(id);
    if (r.state != "stopped") continue;
    int64_t want = ++starting[{r.instance_type + (r.lifecycle == "spot" ? "/spot" : ""), r.az}];
    if (RoomLocked(r.instance_type, r.az, r.lifecycle == "spot") < want) {
      return InsufficientCapacity(r.instance_type, r.az, r.lifecycle == "spot");
    }
  }
  CloudDb::Transaction tx(db_);
  std::vector<StateChange> out;
  for (const std::string& id : ids) {
    InstanceRecord r = instances_.at(id);
    StateChange c{id, r.state, r.state};
    if (r.state == "stopped") {
      r.launch_ms = ToMillis(options_.clock->Now());
      SK_RETURN_IF_ERROR(SpotUserActionLocked(r, "start"));
      SK_RETURN_IF_ERROR(SetState(r, "pending"));
      SK_RETURN_IF_ERROR(Save(r));
      c.current_state = r.state;
    }
    out.push_back(c);
  }
  SK_RETURN_IF_ERROR(tx.Commit());
  for (const StateChange& c : out) Enqueue(c.instance_id);
  return out;
}

namespace {

const std::set<std::string> kInstanceFilters = {"instance-id",
                                                "instance-state-name",
                                                "instance-state-code",
                                                "instance-type",
                                                "subnet-id",
                                                "vpc-id",
                                                "availability-zone",
                                                "private-ip-address",
                                                "network-interface.network-interface-id",
                                                "network-interface.addresses.private-ip-address",
                                                "image-id",
                                                "instance-lifecycle",
                                                "spot-instance-request-id",
                                                "reservation-id",
                                                "client-token",
                                                "block-device-mapping.volume-id",
                                                "block-device-mapping.device-name",
                                                "private-dns-name",
                                                "root-device-name",
                                                "key-name",
                                                "instance-status.status",
                                                "system-status.status"};

std::string StatusOf(const std::string& state) {
  if (state == "running") return "ok";
  if (state == "pending") return "initializing";
  return "not-applicable";
}

std::vector<std::string> InstanceField(const InstanceView& v, const std::string& name,
                                       const std::string& region) {
  const InstanceRecord& r = v.instance;
  if (name == "instance-id") return {r.id};
  if (name == "instance-state-name") return {r.state};
  if (name == "instance-state-code") return {std::to_string(InstanceStateCode(r.state))};
  if (name == "instance-type") return {r.instance_type};
  if (name == "subnet-id") return {r.subnet_id};
  if (name == "vpc-id") return {r.vpc_id};
  if (name == "availability-zone") return {r.az};
  if (name == "private-ip-address" || name == "network-interface.addresses.private-ip-address") {
    return {r.private_ip};
  }
  if (name == "network-interface.network-interface-id") {
    return v.eni ? std::vector<std::string>{v.eni->id} : std::vector<std::string>{};
  }
  if (name == "image-id") return {r.image_id};
  if (name == "instance-lifecycle") return {r.lifecycle.empty() ? "on-demand" : r.lifecycle};
  if (name == "spot-instance-request-id") {
    return r.spot_request_id.empty() ? std::vector<std::string>{}
                                     : std::vector<std::string>{r.spot_request_id};
  }
  if (name == "reservation-id") return {r.reservation_id};
  if (name == "client-token") return {r.client_token};
  if (name == "block-device-mapping.volume-id" || name == "block-device-mapping.device-name") {
    std::vector<std::string> out;
    for (const VolumeRecord& vol : v.volumes) {
      out.push_back(name == "block-device-mapping.volume-id" ? vol.id : vol.attachment->device);
    }
    return out;
  }
  if (name == "private-dns-name") {
    std::string h = "ip-" + r.private_ip;
    std::replace(h.begin(), h.end(), '.', '-');
    return {h + "." + region + ".compute.internal"};
  }
  if (name == "root-device-name") return {r.root_device_name};
  if (name == "key-name") return {r.key_name};
  if (name == "instance-status.status" || name == "system-status.status") {
    return {StatusOf(r.state)};
  }
  return {};
}

}  // namespace

Result<Page<InstanceView>> Engine::DescribeInstances(const DescribeRequest& req) {
  if (!req.ids.empty() && req.max_results) {
    return Ec2Error("InvalidParameterCombination",
                    "The parameter instancesSet cannot be used with the parameter maxResults");
  }
  SK_RETURN_IF_ERROR(ValidateFilters(req.filters, kInstanceFilters));
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> missing;
  for (const std::string& id : req.ids) {
    auto r = FindInstanceLocked(id);
    if (!r.ok() && r.status().cloud_code() == "InvalidInstanceID.Malformed") return r.status();
    if (!r.ok()) missing.push_back(id);
  }
  if (!missing.empty()) {
    return Ec2Error("InvalidInstanceID.NotFound",
                    missing.size() == 1
                        ? "The instance ID '" + missing[0] + "' does not exist"
                        : "The instance IDs '" + JoinIds(missing) + "' do not exist");
  }
  std::set<std::string> wanted(req.ids.begin(), req.ids.end());
  std::vector<InstanceView> matched;
  std::vector<std::string> ids;
  for (const auto& [id, r] : instances_) {
    if (!wanted.empty() && wanted.count(id) == 0) continue;
    InstanceView v = ViewLocked(r);
    if (!MatchesFilters(req.filters, r.tags, [&](const std::string& n) {
          return InstanceField(v, n, options_.region);
        })) {
      continue;
    }
    ids.push_back(id);
    matched.push_back(std::move(v));
  }
  return PageOf(std::move(matched), ids, req, 5, 1000);
}

Result<Page<InstanceView>> Engine::DescribeInstanceStatus(const DescribeRequest& req,
                                                          bool include_all) {
  DescribeRequest all = req;
  all.max_results.reset();
  all.next_token.clear();
  if (!req.ids.empty() && req.max_results) {
    return Ec2Error("InvalidParameterCombination",
                    "The parameter instancesSet cannot be used with the parameter maxResults");
  }
  SK_ASSIGN_OR_RETURN(Page<InstanceView> everything, DescribeInstances(all));
  std::vector<InstanceView> kept;
  std::vector<std::string> ids;
  for (InstanceView& v : everything.items) {
    if (!include_all && v.instance.state != "running") continue;
    ids.push_back(v.instance.id);
    kept.push_back(std::move(v));
  }
  return PageOf(std::move(kept), ids, req, 5, 1000);
}

Result<ConsoleOutput> Engine::GetConsoleOutput(const std::string& instance_id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    SK_RETURN_IF_ERROR(FindInstanceLocked(instance_id).status());
  }
  ConsoleOutput out;
  out.instance_id = instance_id;
  out.timestamp = options_.clock->Now();
  auto text = driver_->ConsoleOutput(instance_id);
  if (text.ok()) out.output = *text;
  return out;
}

Status Engine::ProbeInstance(const std::string& instance_id, const std::string& ip,
                             const ServingProbe& probe, Duration timeout) {
  const int port = probe.port;
  if (port < 1 || port > 65535) {
    return InvalidArgument("port " + std::to_string(port) + " is outside 1..65535");
  }
  if (timeout <= Duration{0} || timeout > std::chrono::seconds(60)) {
    return InvalidArgument("timeoutMs must be 1 to 60000");
  }
  std::string vpc, private_ip, state;
  {
    std::lock_guard<std::mutex> lock(mu_);
    SK_ASSIGN_OR_RETURN(InstanceRecord * r, FindInstanceLocked(instance_id));
    vpc = r->vpc_id;
    private_ip = r->private_ip;
    state = r->state;
  }
  if (!ip.empty() && ip != private_ip) {
    return InvalidArgument("privateIp " + ip + " is not " + instance_id + "'s (" + private_ip +
                           ")");
  }
  if (state != "running") {
    return Status(Code::kUnavailable, instance_id + " is " + state + ", not running", "NotRunning");
  }
  return driver_->ProbeServing(vpc, private_ip, probe, timeout);
}

}  // namespace spotkeeper::cloud
