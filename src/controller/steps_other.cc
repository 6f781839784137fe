// Deallocation (delete what the flags say, keep the rest on record as released) and import
// (bring an instance spotkeeper did not launch under a group, optionally keeping its IP).
#include <algorithm>

#include "controller/cloud_lookup.h"
#include "controller/step_util.h"

namespace spotkeeper::steps {
namespace {

bool Flag(const nlohmann::json& d, const char* name) {
  return d.contains("flags") && d["flags"].value(name, false);
}

}  // namespace

StepResult DeleteOwned(StepContext& ctx) {
  const auto& d = ctx.data();
  // Order matters: images hold their snapshots; volumes and ENIs are free once the instance is.
  for (const char* kind : {"image", "snapshot", "volume", "eni"}) {
    const char* flag = std::string(kind) == "image"      ? "shouldDeleteImages"
                       : std::string(kind) == "snapshot" ? "shouldDeleteSnapshots"
                       : std::string(kind) == "volume"   ? "shouldDeleteVolumes"
                                                         : "shouldDeleteNetworkInterfaces";
    std::vector<ResourceRecord> todo;
    for (const auto& r : ctx.resources()) {
      if (r.kind == kind && (r.status == "current" || r.status == "retiring")) todo.push_back(r);
    }
    for (const auto& r : todo) {
      if (!Flag(d, flag) && r.status == "current") {
        ctx.SetResourceStatus(r.id, "released");
        continue;
      }
      Status s;
      if (r.kind == "image") s = ctx.cloud().DeregisterImage(r.id);
      if (r.kind == "snapshot") s = ctx.cloud().DeleteSnapshot(r.id);
      if (r.kind == "volume") s = ctx.cloud().DeleteVolume(r.id);
      if (r.kind == "eni") s = ctx.cloud().DeleteNetworkInterface(r.id);
      if (s.ok() || s.code() == Code::kNotFound) {
        ctx.SetResourceStatus(r.id, "deleted");
      } else if (s.cloud_code() == "InvalidSnapshot.InUse") {
        // Used by an image the user keeps: it stays with that image.
        ctx.SetResourceStatus(r.id, "released");
      } else {
        return FromError(s.Annotate("delete " + r.id), "DeleteFailed");
      }
    }
  }
  return StepResult::Done();
}

StepResult MarkDeallocated(StepContext& ctx) {
  ctx.ssi().instance_id.clear();
  ctx.ssi().desired = "deallocated";
  SetState(ctx, SsiState::kDeallocated, "Deallocated", "deallocated");
  return StepResult::Done();
}

StepResult DescribeSource(StepContext& ctx) {
  auto& d = ctx.data();
  std::string id = d.value("source_instance", std::string());
  auto inst = ctx.view().GetInstance(id);
  if (!inst.ok()) return FromError(inst.status(), "DescribeFailed");
  if (!inst->has_value() || IsGone(**inst)) {
    return StepResult::Fail("SourceNotFound", NotFound("instance " + id +
                                                       " to import does not exist or is "
                                                       "terminating"));
  }
  const Instance& i = **inst;
  SsiRecord& ssi = ctx.ssi();
  ssi.availability_zone = i.availability_zone;
  ssi.subnet_id = i.subnet_id;
  ssi.instance_type = i.instance_type;
  nlohmann::json vols = nlohmann::json::object();
  for (const auto& bd : i.block_devices) {
    bool root = bd.device_name == i.root_device_name;
    bool wanted = root;
    for (const auto& b : ctx.spec().compute.launch_specification.block_device_mappings) {
      wanted |= b.device_name == bd.device_name;
    }
    if (!wanted) {
      ctx.AddEvent("ImportSkippedVolume", bd.volume_id + " at " + bd.device_name +
                                              " is not in the group's blockDeviceMappings");
      continue;
    }
    vols[bd.device_name] = {{"volume", bd.volume_id}, {"root", root}};
  }
  d["source_volumes"] = vols;
  d["source_az"] = i.availability_zone;
  d["source_root_device"] = i.root_device_name;
  if (d.value("keep_private_ip", false)) {
    for (const auto& ni : i.network_interfaces) {
      if (ni.device_index == 0) d["source_eni"] = ni.network_interface_id;
    }
    ssi.private_ip = i.private_ip;
  }
  return StepResult::Done();
}

StepResult ProtectEni(StepContext& ctx) {
  auto& d = ctx.data();
  std::string eni = d.value("source_eni", std::string());
  if (eni.empty()) return StepResult::Done();
  // The interface must outlive the instance we are about to terminate.
  Status s = ctx.cloud().SetNetworkInterfaceDeleteOnTermination(eni, false);
  if (!s.ok()) return FromError(s.Annotate("keep " + eni), "ProtectEniFailed");
  s = ctx.cloud().CreateTags({eni}, ctx.ResourceTags("eni"));
  if (!s.ok()) return FromError(s.Annotate("tag " + eni), "TagFailed");
  ResourceRecord r;
  r.id = eni;
  r.kind = "eni";
  r.role = "primary";
  r.availability_zone = ctx.ssi().availability_zone;
  r.source_id = ctx.ssi().subnet_id;
  r.cloud_state = "in-use";
  ctx.PutResource(r);
  ctx.ssi().eni_id = eni;
  return StepResult::Done();
}

StepResult SnapshotSource(StepContext& ctx) {
  auto& d = ctx.data();
  auto& final = d["final"];
  if (!final.is_object()) final = nlohmann::json::object();
  for (auto& [device, v] : d["source_volumes"].items()) {
    if (final.contains(device)) continue;
    bool root = v["root"].get<bool>();
    if (root && !PersistRoot(ctx.spec())) continue;
    std::string token = ctx.Token("import:" + device);
    auto found = FindSnapshotByToken(ctx.cloud(), token);
    if (!found.ok()) return FromError(found.status(), "DescribeFailed");
    Snapshot snap;
    if (found->has_value()) {
      snap = **found;
    } else {
      CreateSnapshotRequest req;
      req.volume_id = v["volume"].get<std::string>();
      req.description =
          "spotkeeper import of " + d.value("source_instance", std::string()) + " " + device;
      req.tags = ctx.ResourceTags(root ? "root" : "data", device);
      req.client_token = token;
      auto created = ctx.cloud().CreateSnapshot(req);
      if (!created.ok()) return FromError(created.status(), "SnapshotFailed");
      snap = *created;
    }
    ResourceRecord r;
    r.id = snap.id;
    r.kind = "snapshot";
    r.role = root ? "root" : "data";
    r.device_name = device;
    r.availability_zone = d.value("source_az", std::string());
    r.source_id = v["volume"].get<std::string>();
    r.cloud_state = snap.state;
    r.created_at = snap.start_time;
    ctx.PutResource(r);
    final[device] = snap.id;
  }
  return StepResult::Done();
}

StepResult TerminateSource(StepContext& ctx) {
  auto& d = ctx.data();
  if (!d.value("terminate_source", false)) return StepResult::Done();
  Status s = ctx.cloud().TerminateInstance(d.value("source_instance", std::string()));
  if (!s.ok() && s.code() != Code::kNotFound) return FromError(s, "TerminateFailed");
  return StepResult::Done();
}

StepResult WaitSourceTerminated(StepContext& ctx) {
  auto& d = ctx.data();
  if (!d.value("terminate_source", false)) return StepResult::Done();
  auto inst = ctx.view().GetInstance(d.value("source_instance", std::string()));
  if (!inst.ok()) return FromError(inst.status(), "DescribeFailed");
  if (inst->has_value() && (*inst)->state != InstanceState::kTerminated) return Poll(ctx);
  std::string eni = d.value("source_eni", std::string());
  if (!eni.empty()) {
    auto e = ctx.view().GetEni(eni);
    if (!e.ok()) return FromError(e.status(), "DescribeFailed");
    if (!e->has_value()) {
      return StepResult::Fail(
          "EniLost",
          NotFound("network interface " + eni + " was deleted with the instance; its IP is lost"));
    }
    if ((*e)->status != "available" &&
        !(inst->has_value() && AttachedOnlyToTerminated(**e, **inst))) {
      return Poll(ctx);
    }
  }
  return StepResult::Done();
}

}  // namespace spotkeeper::steps
