// ToJson (declared in group_spec.h): the canonical form, with every default written out.
// Two fields are left out when they would not parse back: blockDevicesMode while
// shouldPersistBlockDevices is false (writing it is an error then), and the capacity fields a
// scheduled task does not set.
#include "spec/group_spec.h"

namespace spotkeeper {
namespace {

nlohmann::json ProbeJson(const ServingProbe& p) {
  if (p.kind == ServingProbe::Kind::kHttp) {
    nlohmann::json kind = {{"port", p.port}, {"path", p.path}, {"expectStatus", p.expect_status}};
    if (!p.expect.empty()) kind["expectBody"] = p.expect;
    return kind;
  }
  nlohmann::json kind = {{"port", p.port}};
  if (!p.send.empty()) kind["send"] = p.send;
  if (!p.expect.empty()) kind["expect"] = p.expect;
  return kind;
}

}  // namespace

nlohmann::json ToJson(const GroupSpec& s) {
  using json = nlohmann::json;
  json zones = json::array();
  for (const AvailabilityZoneSpec& z : s.compute.availability_zones) {
    zones.push_back({{"name", z.name}, {"subnetIds", z.subnet_ids}});
  }
  const LaunchSpecification& l = s.compute.launch_specification;
  json tags = json::array();
  for (const auto& [key, value] : l.tags) tags.push_back({{"tagKey", key}, {"tagValue", value}});
  json bdms = json::array();
  for (const BlockDeviceMappingSpec& b : l.block_device_mappings) {
    bdms.push_back({{"deviceName", b.device_name},
                    {"ebs",
                     {{"volumeSize", b.volume_size_gib},
                      {"volumeType", b.volume_type},
                      {"deleteOnTermination", b.delete_on_termination}}}});
  }
  json windows = json::array();
  for (const TimeWindow& w : s.strategy.revert_to_spot.time_windows) windows.push_back(w.text);
  const PersistenceSpec& p = s.strategy.persistence;
  json persistence = {{"shouldPersistRootDevice", p.should_persist_root_device},
                      {"shouldPersistBlockDevices", p.should_persist_block_devices},
                      {"shouldPersistPrivateIp", p.should_persist_private_ip}};
  if (p.should_persist_block_devices) {
    persistence["blockDevicesMode"] = BlockDevicesModeName(p.block_devices_mode);
  }
  json tasks = json::array();
  for (const ScheduledTask& t : s.scheduled_tasks) {
    json task = {{"taskType", TaskTypeName(t.task_type)},
                 {"cronExpression", t.cron_expression},
                 {"isEnabled", t.is_enabled}};
    if (t.target_capacity) task["targetCapacity"] = *t.target_capacity;
    if (t.min_capacity) task["minCapacity"] = *t.min_capacity;
    if (t.max_capacity) task["maxCapacity"] = *t.max_capacity;
    tasks.push_back(std::move(task));
  }
  const DeallocationSpec& d = s.stateful_deallocation;
  json health = {{"type", s.health.type},
                 {"gracePeriod", s.health.grace_period_seconds},
                 {"unhealthyDuration", s.health.unhealthy_duration_seconds},
                 {"autoHealing", s.health.auto_healing}};
  if (const auto& c = s.health.serving) {
    health["serving"] = {{ServingProbeKindName(c->probe.kind), ProbeJson(c->probe)},
                         {"gracePeriod", c->grace_period_seconds},
                         {"interval", c->interval_seconds},
                         {"timeout", c->timeout_seconds}};
  }
  if (const auto& c = s.health.leader) {
    health["leader"] = {{ServingProbeKindName(c->probe.kind), ProbeJson(c->probe)},
                        {"timeout", c->timeout_seconds}};
  }
  return {
      {"name", s.name},
      {"description", s.description},
      {"region", s.region},
      {"capacity",
       {{"target", s.capacity.target},
        {"minimum", s.capacity.minimum},
        {"maximum", s.capacity.maximum}}},
      {"compute",
       {{"availabilityZones", zones},
        {"instanceTypes",
         {{"ondemand", s.compute.instance_types.ondemand},
          {"spot", s.compute.instance_types.spot}}},
        {"launchSpecification",
         {{"imageId", l.image_id},
          {"userData", l.user_data},
          {"tags", tags},
          {"securityGroupIds", l.security_group_ids},
          {"blockDeviceMappings", bdms}}},
        {"privateIps", s.compute.private_ips}}},
      {"strategy",
       {{"fallbackToOd", s.strategy.fallback_to_od},
        {"revertToSpot",
         {{"performAt", PerformAtName(s.strategy.revert_to_spot.perform_at)},
          {"timeWindows", windows}}},
        {"drainingTimeout", s.strategy.draining_timeout_seconds},
        {"maxUnavailable", s.strategy.max_unavailable},
        {"capacityRebalance", s.strategy.capacity_rebalance},
        {"persistence", persistence}}},
      {"snapshots",
       {{"frequencyMinutes", s.snapshots.frequency_minutes}, {"keep", s.snapshots.keep}}},
      {"health", health},
      {"scheduling", {{"tasks", tasks}}},
      {"statefulDeallocation",
       {{"shouldDeleteImages", d.should_delete_images},
        {"shouldDeleteNetworkInterfaces", d.should_delete_network_interfaces},
        {"shouldDeleteVolumes", d.should_delete_volumes},
        {"shouldDeleteSnapshots", d.should_delete_snapshots}}},
  };
}

}  // namespace spotkeeper
