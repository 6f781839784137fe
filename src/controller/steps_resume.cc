// The second half of a recycle, and all of a launch or resume: choose where the instance goes,
// make sure its network interface exists, plan each data device (reattach the volume, restore it
// from a snapshot, or start empty), launch with fallbacks (other spot types, other AZs where the
// identity allows it, on-demand), attach what must be attached, and mark the SSI ACTIVE.
#include <arpa/inet.h>

#include <algorithm>

#include "controller/cloud_lookup.h"
#include "controller/step_util.h"

namespace spotkeeper::steps {
namespace {

bool IpInCidr(const std::string& ip, const std::string& cidr) {
  auto slash = cidr.find('/');
  if (slash == std::string::npos) return false;
  in_addr a{}, net{};
  if (inet_pton(AF_INET, ip.c_str(), &a) != 1) return false;
  if (inet_pton(AF_INET, cidr.substr(0, slash).c_str(), &net) != 1) return false;
  int bits = std::atoi(cidr.c_str() + slash + 1);
  if (bits < 0 || bits > 32) return false;
  uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
  return (ntohl(a.s_addr) & mask) == (ntohl(net.s_addr) & mask);
}

std::vector<std::string> SubnetsOf(const GroupSpec& spec, const std::string& az) {
  for (const auto& z : spec.compute.availability_zones) {
    if (z.name == az) return z.subnet_ids;
  }
  return {};
}

// The SSI's identity pins its AZ when its private IP persists (an ENI lives in one subnet).
bool AzFixed(StepContext& ctx) {
  return PersistIp(ctx.spec()) && (!ctx.ssi().eni_id.empty() || !ctx.ssi().private_ip.empty());
}

bool Contains(const nlohmann::json& list, const std::string& s) {
  if (!list.is_array()) return false;
  return std::any_of(list.begin(), list.end(), [&](const nlohmann::json& x) { return x == s; });
}

Duration CapacityBackoff(int round) {
  return Duration{30'000LL << std::min(round, 4)};  // 30 s, 1 m, 2 m, 4 m, 8 m
}

std::string Str(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

}  // namespace

StepResult ChoosePlacement(StepContext& ctx) {
  const GroupSpec& spec = ctx.spec();
  SsiRecord& ssi = ctx.ssi();
  auto& d = ctx.data();
  d.erase("plan");
  std::string az, subnet;
  if (!ssi.eni_id.empty() && ctx.FindResource(ssi.eni_id) != nullptr &&
      ctx.FindResource(ssi.eni_id)->status == "current") {
    az = ssi.availability_zone;
    subnet = ssi.subnet_id;
  } else if (PersistIp(spec) && !ssi.private_ip.empty()) {
    // A pooled (or remembered) IP decides the subnet, and so the AZ.
    std::vector<std::string> ids;
    for (const auto& z : spec.compute.availability_zones) {
      ids.insert(ids.end(), z.subnet_ids.begin(), z.subnet_ids.end());
    }
    auto subnets = ctx.cloud().DescribeSubnets(ids);
    if (!subnets.ok()) return FromError(subnets.status(), "DescribeSubnetsFailed");
    for (const auto& s : *subnets) {
      if (IpInCidr(ssi.private_ip, s.cidr_block)) {
        az = s.availability_zone;
        subnet = s.id;
        break;
      }
    }
    if (subnet.empty()) {
      return StepResult::Fail(
          "PrivateIpOutsideSubnets",
          InvalidArgument("private IP " + ssi.private_ip +
                          " is in none of the group's subnets; add its subnet to "
                          "compute.availabilityZones or change compute.privateIps"));
    }
  } else {
    // Prefer the AZ the SSI had (its volumes are there), unless it has no capacity.
    std::vector<std::string> order;
    if (!ssi.availability_zone.empty()) order.push_back(ssi.availability_zone);
    for (const auto& z : spec.compute.availability_zones) {
      if (std::find(order.begin(), order.end(), z.name) == order.end()) order.push_back(z.name);
    }
    if (PersistIp(spec)) order.resize(std::min<size_t>(order.size(), 1));  // first ENI: stay
    for (const auto& candidate : order) {
      if (!Contains(d["az_exhausted"], candidate) && !SubnetsOf(spec, candidate).empty()) {
        az = candidate;
        break;
      }
    }
    if (az.empty()) {
      // Every AZ is out of capacity: wait, then try them all again.
      int round = d.value("round", 0);
      d["round"] = round + 1;
      d.erase("az_exhausted");
      ctx.SetCondition("Capacity", "False", "NoCapacity",
                       "no capacity for any allowed instance type in any AZ; retrying");
      return StepResult::WaitUntil(ctx.now() + CapacityBackoff(round));
    }
    subnet = SubnetsOf(spec, az).front();
  }
  if (ssi.availability_zone != az && !ssi.availability_zone.empty()) {
    ctx.AddEvent("AvailabilityZoneChanged", ssi.availability_zone + " -> " + az);
  }
  ssi.availability_zone = az;
  ssi.subnet_id = subnet;
  d["placement"] = {{"az", az}, {"subnet", subnet}};
  return StepResult::Done();
}

StepResult EnsureEni(StepContext& ctx) {
  if (!PersistIp(ctx.spec())) return StepResult::Done();
  SsiRecord& ssi = ctx.ssi();
  if (!ssi.eni_id.empty()) {
    const ResourceRecord* rec = ctx.FindResource(ssi.eni_id);
    auto eni = ctx.view().GetEni(ssi.eni_id);
    if (!eni.ok()) return FromError(eni.status(), "DescribeFailed");
    if (eni->has_value()) {
      if (rec == nullptr || rec->status != "current") {
        ResourceRecord r;
        r.id = ssi.eni_id;
        r.kind = "eni";
        r.role = "primary";
        r.availability_zone = (*eni)->availability_zone;
        r.source_id = (*eni)->subnet_id;
        r.cloud_state = (*eni)->status;
        ctx.PutResource(r);
      }
      return StepResult::Done();
    }
    ctx.SetResourceStatus(ssi.eni_id, "deleted");
    ssi.eni_id.clear();
  }
  std::string token = ctx.Token("eni");
  auto found = FindEniByToken(ctx.cloud(), token);
  if (!found.ok()) return FromError(found.status(), "DescribeFailed");
  NetworkInterface eni;
  if (found->has_value()) {
    eni = **found;
  } else {
    CreateNetworkInterfaceRequest req;
    req.subnet_id = ssi.subnet_id;
    req.private_ip = ssi.private_ip;
    req.description = "spotkeeper " + ssi.id + " primary interface";
    req.security_group_ids = ctx.spec().compute.launch_specification.security_group_ids;
    req.tags = ctx.ResourceTags("eni");
    req.client_token = token;
    auto created = ctx.cloud().CreateNetworkInterface(req);
    if (!created.ok()) {
      if (created.status().cloud_code() == "InvalidIPAddress.InUse") {
        return StepResult::Fail(
            "PrivateIpInUse",
            created.status().Annotate("private IP " + ssi.private_ip +
                                      " is used by something spotkeeper does not own; free it, "
                                      "then retry this instance"));
      }
      return FromError(created.status(), "CreateNetworkInterfaceFailed");
    }
    eni = *created;
  }
  ResourceRecord r;
  r.id = eni.id;
  r.kind = "eni";
  r.role = "primary";
  r.availability_zone = eni.availability_zone;
  r.source_id = eni.subnet_id;
  r.cloud_state = eni.status;
  ctx.PutResource(r);
  ssi.eni_id = eni.id;
  ssi.private_ip = eni.private_ip;
  ssi.subnet_id = eni.subnet_id;
  ssi.availability_zone = eni.availability_zone;
  return StepResult::Done();
}

StepResult PrepareVolumes(StepContext& ctx) {
  const GroupSpec& spec = ctx.spec();
  auto& d = ctx.data();
  const std::string az = ctx.ssi().availability_zone;
  nlohmann::json plan = nlohmann::json::object();
  auto& migrate = d["migrate"];
  if (!migrate.is_object()) migrate = nlohmann::json::object();
  for (const auto& bdm : spec.compute.launch_specification.block_device_mappings) {
    const std::string& dev = bdm.device_name;
    if (!PersistData(spec)) {
      plan[dev] = {{"mode", "empty"}};
      continue;
    }
    std::optional<ResourceRecord> cur = CurrentVolume(ctx, dev);
    if (cur && cur->availability_zone == az) {
      plan[dev] = {{"mode", "attach"}, {"volume", cur->id}};
      continue;
    }
    if (cur) {
      // Reattach across AZs: the volume cannot follow, its snapshot can.
      if (!migrate.contains(dev)) {
        std::string token = ctx.Token("migrate:" + dev);
        auto found = FindSnapshotByToken(ctx.cloud(), token);
        if (!found.ok()) return FromError(found.status(), "DescribeFailed");
        Snapshot snap;
        if (found->has_value()) {
          snap = **found;
        } else {
          CreateSnapshotRequest req;
          req.volume_id = cur->id;
          req.description = "spotkeeper move of " + ctx.ssi().id + " " + dev + " to " + az;
          req.tags = ctx.ResourceTags("data", dev);
          req.client_token = token;
          auto created = ctx.cloud().CreateSnapshot(req);
          if (!created.ok()) return FromError(created.status(), "SnapshotFailed");
          snap = *created;
        }
        ResourceRecord r;
        r.id = snap.id;
        r.kind = "snapshot";
        r.role = "data";
        r.device_name = dev;
        r.availability_zone = cur->availability_zone;
        r.source_id = cur->id;
        r.cloud_state = snap.state;
        r.created_at = snap.start_time;
        ctx.PutResource(r);
        migrate[dev] = snap.id;
        ctx.AddEvent("VolumeMoving", cur->id + " (" + dev + ") moves from " +
                                         cur->availability_zone + " to " + az +
                                         " through snapshot " + snap.id);
      }
      plan[dev] = {{"mode", "snapshot"}, {"snapshot", migrate[dev]}, {"replaces", cur->id}};
      continue;
    }
    if (auto snap = LatestCompletedSnapshot(ctx, dev)) {
      plan[dev] = {{"mode", "snapshot"}, {"snapshot", snap->id}};
    } else {
      plan[dev] = {{"mode", "empty"}};
    }
  }
  d["plan"] = plan;
  return StepResult::Done();
}

StepResult WaitPrepared(StepContext& ctx) {
  auto& d = ctx.data();
  bool waiting = false;
  for (auto& [dev, p] : d["plan"].items()) {
    if (!p.contains("replaces")) continue;
    std::string id = p["snapshot"].get<std::string>();
    auto snap = ctx.view().GetSnapshot(id);
    if (!snap.ok()) return FromError(snap.status(), "DescribeFailed");
    if (!snap->has_value() || (*snap)->state == "error") {
      ctx.SetResourceStatus(id, snap->has_value() ? "retiring" : "deleted");
      d["migrate"].erase(dev);
      d["nonce"] = d.value("nonce", 0) + 1;
      return StepResult::Goto("prepare_volumes");
    }
    if (const ResourceRecord* rec = ctx.FindResource(id);
        rec && rec->cloud_state != (*snap)->state) {
      ResourceRecord copy = *rec;
      copy.cloud_state = (*snap)->state;
      ctx.PutResource(copy);
    }
    if ((*snap)->state != "completed") waiting = true;
  }
  return waiting ? Poll(ctx, kPollSlow) : StepResult::Done();
}

StepResult RunInstance(StepContext& ctx) {
  const GroupSpec& spec = ctx.spec();
  SsiRecord& ssi = ctx.ssi();
  auto& d = ctx.data();
  if (d.contains("launch")) return StepResult::Done();
  MarkTiming(ctx, "started");

  const std::string image_id = PersistRoot(spec) && !ssi.image_id.empty()
                                   ? ssi.image_id
                                   : spec.compute.launch_specification.image_id;
  if (Str(d, "root_device").empty() || Str(d, "root_device_image") != image_id) {
    auto image = ctx.view().GetImage(image_id);
    if (!image.ok()) return FromError(image.status(), "DescribeFailed");
    if (!image->has_value()) {
      return StepResult::Fail(
          "ImageNotFound",
          NotFound("image " + image_id + " does not exist (" +
                   (image_id == ssi.image_id ? "the SSI's root image was deleted outside spotkeeper"
                                             : "check compute.launchSpecification.imageId") +
                   ")"));
    }
    if ((*image)->state == "pending") return Poll(ctx, kPollSlow);
    d["root_device"] = (*image)->root_device_name;
    d["root_device_image"] = image_id;
  }

  // Candidates in order: the spot types, then on-demand when allowed.
  std::vector<std::pair<std::string, Market>> candidates;
  for (const auto& t : spec.compute.instance_types.spot) candidates.push_back({t, Market::kSpot});
  if (spec.strategy.fallback_to_od && !spec.compute.instance_types.ondemand.empty()) {
    candidates.push_back({spec.compute.instance_types.ondemand, Market::kOnDemand});
  }
  if (d.value("want_spot_only", false)) {
    // Reverting to spot: on-demand is not a fallback here, staying put is.
    candidates.erase(std::remove_if(candidates.begin(), candidates.end(),
                                    [](const auto& c) { return c.second == Market::kOnDemand; }),
                     candidates.end());
  }
  const std::string az = ssi.availability_zone;
  const int round = d.value("round", 0);
  std::string type;
  Market market = Market::kSpot;
  for (const auto& [t, m] : candidates) {
    if (!Contains(d["exhausted"], t + "/" + MarketName(m) + "/" + az)) {
      type = t;
      market = m;
      break;
    }
  }
  if (type.empty()) {
    d.erase("exhausted");
    if (!AzFixed(ctx) && spec.MultiAz()) {
      d["az_exhausted"].push_back(az);
      return StepResult::Goto("choose_placement");
    }
    d["round"] = round + 1;
    ctx.SetCondition("Capacity", "False", "NoCapacity",
                     "no capacity in " + az + " for any allowed instance type; retrying");
    return StepResult::WaitUntil(ctx.now() + CapacityBackoff(round));
  }

  RunInstanceRequest req;
  req.image_id = image_id;
  req.instance_type = type;
  req.market = market;
  if (PersistIp(spec)) {
    req.network_interface_id = ssi.eni_id;
  } else {
    req.subnet_id = ssi.subnet_id;
  }
  req.security_group_ids = spec.compute.launch_specification.security_group_ids;
  req.user_data = spec.compute.launch_specification.user_data;
  BlockDeviceSpec root;
  root.device_name = Str(d, "root_device");
  root.delete_on_termination = !PersistRoot(spec);
  if (d.contains("root_size") && Str(d["root_size"], "image") == image_id) {
    root.volume_size_gib = d["root_size"].value("gib", 0);  // only on moto: see below
  }
  req.block_devices.push_back(root);
  for (const auto& bdm : spec.compute.launch_specification.block_device_mappings) {
    const auto& p = d["plan"][bdm.device_name];
    std::string mode = Str(p, "mode");
    if (mode == "attach") continue;
    BlockDeviceSpec b;
    b.device_name = bdm.device_name;
    b.volume_type = bdm.volume_type;
    b.delete_on_termination = !PersistData(spec);
    if (mode == "snapshot") {
      b.snapshot_id = Str(p, "snapshot");
    } else {
      b.volume_size_gib = bdm.volume_size_gib;
    }
    req.block_devices.push_back(b);
  }
  req.tags = ctx.ResourceTags("instance");
  if (!req.tags.count("Name")) req.tags["Name"] = ctx.group().name + "/" + ssi.id;
  req.volume_tags = ctx.ResourceTags("volume");
  req.volume_tags.erase(kTagRole);
  req.client_token =
      ctx.Token("run:" + type + ":" + MarketName(market) + ":" + az + ":" + std::to_string(round));

  // EC2 (and the fake and local clouds) honour the ClientToken: a repeated call returns the
  // instance the first one made. A lookup by token tag first covers clouds that do not (moto)
  // when an earlier attempt of this step may have reached the cloud. After a crash mid-call
  // the token alone protects us; on a cloud without token support the orphan collector
  // removes the duplicate.
  std::optional<Instance> found;
  if (ctx.workflow().attempt > 0 || Contains(d["tried"], req.client_token)) {
    auto lookup = FindInstanceByToken(ctx.cloud(), req.client_token);
    if (!lookup.ok()) return FromError(lookup.status(), "DescribeFailed");
    found = *lookup;
  }
  Instance inst;
  if (found.has_value()) {
    inst = *found;
  } else {
    auto run = ctx.cloud().RunInstance(req);
    if (!run.ok() && !run.status().retry_after() && run.status().IsRetryable() &&
        !Contains(d["tried"], req.client_token)) {
      d["tried"].push_back(req.client_token);  // it may have reached the cloud
    }
    if (!run.ok()) {
      const std::string& code = run.status().cloud_code();
      if (code == "MissingParameter" && root.volume_size_gib == 0) {
        // moto deviation (moto 5.2.1): every BlockDeviceMapping needs Ebs.VolumeSize or
        // Ebs.SnapshotId, so the root override above (DeleteOnTermination only) is refused with
        // MissingParameter. EC2 takes the size and snapshot from the image and never answers
        // this, so nothing changes there: on moto the launch is tried once more with the
        // image's own root volume size, which is what EC2 would have used.
        auto image = ctx.view().GetImage(image_id);
        if (!image.ok()) return FromError(image.status(), "DescribeFailed");
        if (image->has_value()) {
          for (const ImageBlockDevice& b : (*image)->block_devices) {
            if (b.device_name == root.device_name && b.volume_size_gib > 0) {
              d["root_size"] = {{"image", image_id}, {"gib", b.volume_size_gib}};
              return StepResult::Goto("run_instance");
            }
          }
        }
      }
      if (code == "InsufficientInstanceCapacity" || code == "SpotMaxPriceTooLow" ||
          code == "InsufficientCapacity" || code == "Unsupported") {
        d["exhausted"].push_back(type + "/" + MarketName(market) + "/" + az);
        ctx.AddEvent("NoCapacity",
                     type + " " + MarketName(market) + " in " + az + ": " + run.status().message());
        return StepResult::Goto("run_instance");
      }
      return FromError(run.status(), "LaunchFailed");
    }
    inst = *run;
  }
  if (inst.state == InstanceState::kTerminated) {
    // The token belongs to an instance that is long gone: take a fresh one.
    d["nonce"] = d.value("nonce", 0) + 1;
    return StepResult::Goto("run_instance");
  }
  d["launch"] = {{"instance", inst.id}, {"type", type}, {"market", MarketName(market)}};
  ssi.instance_id = inst.id;
  ssi.instance_type = type;
  ssi.market = MarketName(market);
  ResourceRecord r;
  r.id = inst.id;
  r.kind = "instance";
  r.availability_zone = az;
  r.cloud_state = InstanceStateName(inst.state);
  ctx.PutResource(r);
  MarkTiming(ctx, "launched");
  if (market == Market::kOnDemand) {
    ctx.SetCondition("Spot", "False", "OnDemandFallback",
                     "running on-demand: no spot capacity for the allowed types");
  } else {
    ctx.SetCondition("Spot", "True", "Spot", "running on spot capacity");
  }
  ctx.SetCondition("Capacity", "True", "Launched", type + " " + MarketName(market) + " in " + az);
  return StepResult::Done();
}

namespace {

// Records the volumes a launch created (root when it persists; planned data devices).
void RecordLaunchVolumes(StepContext& ctx, const Instance& inst) {
  const GroupSpec& spec = ctx.spec();
  auto& plan = ctx.data()["plan"];
  for (const auto& bd : inst.block_devices) {
    if (bd.volume_id.empty() || ctx.FindResource(bd.volume_id) != nullptr) continue;
    ResourceRecord r;
    r.id = bd.volume_id;
    r.kind = "volume";
    r.device_name = bd.device_name;
    r.availability_zone = inst.availability_zone;
    r.cloud_state = "in-use";
    if (bd.device_name == inst.root_device_name) {
      if (!PersistRoot(spec)) continue;
      r.role = "root";
      r.source_id = inst.image_id;
    } else {
      if (!PersistData(spec) || !plan.contains(bd.device_name)) continue;
      const auto& p = plan[bd.device_name];
      if (Str(p, "mode") == "attach") continue;
      r.role = "data";
      r.source_id = Str(p, "snapshot");
      if (p.contains("replaces")) ctx.SetResourceStatus(Str(p, "replaces"), "retiring");
    }
    ctx.PutResource(r);
  }
}

}  // namespace

// The new instance died before it was ACTIVE: treat it as a recycle of that instance.
StepResult RestartFromDeadInstance(StepContext& ctx, const Instance& inst) {
  auto& d = ctx.data();
  RecordLaunchVolumes(ctx, inst);
  d["exhausted"].push_back(Str(d["launch"], "type") + "/" + Str(d["launch"], "market") + "/" +
                           inst.availability_zone);
  d["old_instance"] = inst.id;
  d.erase("launch");
  d.erase("final");
  d.erase("image");
  d.erase("migrate");
  ctx.AddEvent("InstanceLost",
               inst.id + " died before it was ready (" + inst.state_reason + "); replacing it");
  return StepResult::Goto("terminate");
}

StepResult WaitRunning(StepContext& ctx) {
  auto& d = ctx.data();
  std::string id = Str(d["launch"], "instance");
  auto inst = ctx.view().GetInstance(id);
  if (!inst.ok()) return FromError(inst.status(), "DescribeFailed");
  if (!inst->has_value()) return Poll(ctx);  // eventual consistency right after launch
  const Instance& i = **inst;
  if (IsGone(i)) return RestartFromDeadInstance(ctx, i);
  if (i.state != InstanceState::kRunning) return Poll(ctx);
  // Every planned device must show up before we record them.
  for (const auto& [dev, p] : d["plan"].items()) {
    if (Str(p, "mode") == "attach") continue;
    bool seen =
        std::any_of(i.block_devices.begin(), i.block_devices.end(),
                    [&dev = dev](const InstanceBlockDevice& b) { return b.device_name == dev; });
    if (!seen) return Poll(ctx);
  }
  RecordLaunchVolumes(ctx, i);
  SsiRecord& ssi = ctx.ssi();
  ssi.private_ip = i.private_ip;
  ssi.launched_at = i.launch_time;
  if (const ResourceRecord* rec = ctx.FindResource(i.id)) {
    ResourceRecord copy = *rec;
    copy.cloud_state = "running";
    ctx.PutResource(copy);
  }
  MarkTiming(ctx, "running");
  return StepResult::Done();
}

StepResult AttachVolumes(StepContext& ctx) {
  auto& d = ctx.data();
  std::string inst_id = Str(d["launch"], "instance");
  for (const auto& [dev, p] : d["plan"].items()) {
    if (Str(p, "mode") != "attach") continue;
    std::string vol_id = Str(p, "volume");
    auto v = ctx.view().GetVolume(vol_id);
    if (!v.ok()) return FromError(v.status(), "DescribeFailed");
    if (!v->has_value()) {
      ctx.SetResourceStatus(vol_id, "deleted");
      ctx.AddEvent("VolumeLost", vol_id + " (" + dev + ") vanished before it was attached");
      d["old_instance"] = inst_id;
      d.erase("launch");
      return StepResult::Goto("terminate");
    }
    bool ours = std::any_of((*v)->attachments.begin(), (*v)->attachments.end(),
                            [&](const VolumeAttachment& a) { return a.instance_id == inst_id; });
    if (ours) continue;
    if ((*v)->state != "available") return Poll(ctx);
    Status s = ctx.cloud().AttachVolume(vol_id, inst_id, dev);
    ctx.view().Invalidate(vol_id);
    if (!s.ok()) {
      if (s.cloud_code() == "IncorrectState") {
        auto inst = ctx.view().GetInstance(inst_id);
        if (inst.ok() && (!inst->has_value() || IsGone(**inst))) {
          if (inst->has_value()) return RestartFromDeadInstance(ctx, **inst);
        }
      }
      return FromError(s.Annotate("attach " + vol_id + " at " + dev), "AttachFailed");
    }
  }
  return StepResult::Done();
}

StepResult WaitAttached(StepContext& ctx) {
  auto& d = ctx.data();
  std::string inst_id = Str(d["launch"], "instance");
  for (const auto& [dev, p] : d["plan"].items()) {
    if (Str(p, "mode") != "attach") continue;
    auto v = ctx.view().GetVolume(Str(p, "volume"));
    if (!v.ok()) return FromError(v.status(), "DescribeFailed");
    bool attached =
        v->has_value() && std::any_of((*v)->attachments.begin(), (*v)->attachments.end(),
                                      [&](const VolumeAttachment& a) {
                                        return a.instance_id == inst_id && a.state == "attached";
                                      });
    if (!attached) {
      auto inst = ctx.view().GetInstance(inst_id);
      if (inst.ok() && inst->has_value() && IsGone(**inst)) {
        return RestartFromDeadInstance(ctx, **inst);
      }
      return Poll(ctx);
    }
  }
  MarkTiming(ctx, "attached");
  return StepResult::Done();
}

StepResult MarkActive(StepContext& ctx) {
  auto& d = ctx.data();
  MarkTiming(ctx, "active");
  SsiRecord& ssi = ctx.ssi();
  // Recovery timings for people (and the /metrics histogram).
  nlohmann::json status = nlohmann::json::parse(ssi.status_json, nullptr, false);
  if (!status.is_object()) status = nlohmann::json::object();
  nlohmann::json rec = d["timings"];
  rec["reason"] = d.value("reason", std::string());
  rec["workflow"] = ctx.workflow().id;
  int64_t start = rec.value("notice", rec.value("started", ToMillis(ctx.now())));
  int64_t downtime_from = rec.value("terminated", start);
  rec["totalMs"] = ToMillis(ctx.now()) - start;
  rec["downtimeMs"] = ToMillis(ctx.now()) - downtime_from;
  if (ctx.workflow().kind != "launch") {
    status["lastRecovery"] = rec;
    // The history, newest last, the last recovery_history() kept (0: none but lastRecovery).
    nlohmann::json& history = status["recoveries"];
    if (!history.is_array()) history = nlohmann::json::array();
    history.push_back(rec);
    size_t keep = ctx.recovery_history();
    if (history.size() > keep) {
      history.erase(history.begin(),
                    history.begin() + static_cast<std::ptrdiff_t>(history.size() - keep));
    }
  }
  status.erase("impairedSince");
  ssi.status_json = status.dump();
  ssi.observed_generation = ctx.group().generation;
  SetState(ctx, SsiState::kActive, ctx.data().value("reason", std::string("Launched")),
           ssi.instance_id + " " + ssi.instance_type + " " + ssi.market + " in " +
               ssi.availability_zone + ", " + ssi.private_ip);
  ctx.SetCondition("Degraded", "False", "Ok", "");
  return StepResult::Done();
}

}  // namespace spotkeeper::steps
