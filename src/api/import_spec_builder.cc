#include "api/import_spec_builder.h"

#include <algorithm>
#include <cctype>

#include "spec/spec_validator.h"

namespace spotkeeper::api {

std::string RegionOfZone(const std::string& zone) {
  size_t end = zone.size();
  while (end > 0 && std::isalpha(static_cast<unsigned char>(zone[end - 1]))) --end;
  return end == 0 ? zone : zone.substr(0, end);
}

Result<ImportSpecOutcome> BuildImportSpec(CloudProvider& cloud, const std::string& group_name,
                                          const std::string& instance_id, bool keep_private_ip) {
  Filter f;
  f.ids = {instance_id};
  auto found = cloud.DescribeInstances(f);
  if (!found.ok()) {
    if (found.status().code() == Code::kNotFound) {
      return NotFound("instance " + instance_id + " does not exist");
    }
    return found.status().Annotate("describe " + instance_id);
  }
  auto it = std::find_if(found->begin(), found->end(),
                         [&](const Instance& i) { return i.id == instance_id; });
  if (it == found->end()) return NotFound("instance " + instance_id + " does not exist");
  const Instance& inst = *it;
  if (inst.state == InstanceState::kShuttingDown || inst.state == InstanceState::kTerminated) {
    return FailedPrecondition("instance " + instance_id + " is " + InstanceStateName(inst.state) +
                              " and cannot be imported");
  }

  ImportSpecOutcome out;
  GroupSpec& s = out.spec;
  s.name = group_name;
  s.description = "imported from " + instance_id;
  s.region = RegionOfZone(inst.availability_zone);
  s.capacity = {0, 0, 1};
  s.compute.availability_zones = {{inst.availability_zone, {inst.subnet_id}}};
  s.compute.instance_types.spot = {inst.instance_type};
  s.compute.instance_types.ondemand = inst.instance_type;
  s.compute.launch_specification.image_id = inst.image_id;
  for (const auto& [k, v] : inst.tags) {
    if (k.rfind("spotkeeper:", 0) == 0 || k.rfind("aws:", 0) == 0) continue;
    s.compute.launch_specification.tags[k] = v;
  }

  // Data volumes: every attached non-root volume, with its size and type.
  std::vector<std::string> volume_ids;
  for (const auto& bd : inst.block_devices) {
    if (bd.device_name != inst.root_device_name && !bd.volume_id.empty()) {
      volume_ids.push_back(bd.volume_id);
    }
  }
  std::vector<Volume> volumes;
  if (!volume_ids.empty()) {
    Filter vf;
    vf.ids = volume_ids;
    auto described = cloud.DescribeVolumes(vf);
    if (!described.ok()) return described.status().Annotate("describe volumes of " + instance_id);
    volumes = *described;
  }
  for (const auto& bd : inst.block_devices) {
    if (bd.device_name == inst.root_device_name || bd.volume_id.empty()) continue;
    BlockDeviceMappingSpec m;
    m.device_name = bd.device_name;
    m.delete_on_termination = false;
    for (const auto& v : volumes) {
      if (v.id != bd.volume_id) continue;
      m.volume_size_gib = v.size_gib;
      if (!v.volume_type.empty()) m.volume_type = v.volume_type;
    }
    s.compute.launch_specification.block_device_mappings.push_back(m);
  }
  std::sort(s.compute.launch_specification.block_device_mappings.begin(),
            s.compute.launch_specification.block_device_mappings.end(),
            [](const BlockDeviceMappingSpec& a, const BlockDeviceMappingSpec& b) {
              return a.device_name < b.device_name;
            });

  s.strategy.persistence.should_persist_root_device = true;
  s.strategy.persistence.should_persist_block_devices =
      !s.compute.launch_specification.block_device_mappings.empty();
  s.strategy.persistence.block_devices_mode = BlockDevicesMode::kReattach;
  s.strategy.persistence.should_persist_private_ip = keep_private_ip;
  WrittenFields written;
  written.block_devices_mode = s.strategy.persistence.should_persist_block_devices;
  out.errors = ValidateGroupSpec(s, written);
  return out;
}

}  // namespace spotkeeper::api
