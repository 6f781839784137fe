#include "spec/group_spec_reader.h"

#include <optional>

#include "spec/closest_match.h"
#include "spec/field_reader.h"

namespace spotkeeper {
namespace {

// Reads an enum field given as one of `names` (index = enum value). Returns false when the field
// is absent or wrong (the error is recorded).
template <typename E>
bool ReadEnum(FieldReader& r, std::string_view key, const std::vector<std::string>& names, E* out) {
  std::optional<std::string> value;
  r.Read(key, &value);
  if (!value) return false;  // absent, or a type error that is already recorded
  const std::string& text = *value;
  for (size_t i = 0; i < names.size(); ++i) {
    if (text == names[i]) {
      *out = static_cast<E>(i);
      return true;
    }
  }
  std::string list;
  for (const std::string& n : names) list += (list.empty() ? "" : " | ") + n;
  std::string hint;
  if (std::optional<std::string> close = ClosestMatch(text, names)) {
    hint = EditDistance(text, *close) == 0 ? " (names are case-sensitive: write " + *close + ")"
                                           : " (did you mean " + *close + "?)";
  }
  r.AddError(r.PathOf(key), "'" + text + "' is not a valid value; write one of: " + list + hint);
  return false;
}

// Reads a check's probe: exactly one of tcp: {port, send, expect} and http: {port, path,
// expectStatus, expectBody} under `r` (health.serving, health.leader). `example` is what the
// error for a check without either shows.
void ReadProbe(FieldReader& r, const std::string& example, ServingProbe* out) {
  const bool has_tcp = r.Has("tcp"), has_http = r.Has("http");
  if (!has_tcp && !has_http) {
    r.AddError(r.PathOf("tcp"),
               "is required (or http): say what " + r.path() + " means, e.g. " + example);
  } else if (has_tcp && has_http) {
    r.AddError(r.PathOf("http"),
               "and " + r.PathOf("tcp") + " are both set; write exactly one kind of check");
  }
  ServingProbe http_probe;  // read whenever written, so its own mistakes are named too
  http_probe.kind = ServingProbe::Kind::kHttp;
  if (has_http) {
    FieldReader http = r.Map("http");
    http.Read("port", &http_probe.port);
    http.Read("path", &http_probe.path);
    http.Read("expectStatus", &http_probe.expect_status);
    http.Read("expectBody", &http_probe.expect);
    http.Finish();
    if (!has_tcp) {
      *out = http_probe;
      return;
    }
  }
  FieldReader tcp = r.Map("tcp");
  tcp.Read("port", &out->port);
  tcp.Read("send", &out->send);
  tcp.Read("expect", &out->expect);
  tcp.Finish();
}

void ReadCompute(FieldReader r, ComputeSpec* c) {
  r.ForEachMap("availabilityZones", [&](FieldReader& az) {
    AvailabilityZoneSpec spec;
    az.Read("name", &spec.name);
    az.Read("subnetIds", &spec.subnet_ids);
    az.Finish();
    c->availability_zones.push_back(std::move(spec));
  });
  {
    FieldReader it = r.Map("instanceTypes");
    it.Read("ondemand", &c->instance_types.ondemand);
    it.Read("spot", &c->instance_types.spot);
    it.Finish();
  }
  {
    FieldReader ls = r.Map("launchSpecification");
    LaunchSpecification& l = c->launch_specification;
    ls.Read("imageId", &l.image_id);
    ls.Read("userData", &l.user_data);
    ls.ForEachMap("tags", [&](FieldReader& tag) {
      std::string key, value;
      tag.Read("tagKey", &key);
      tag.Read("tagValue", &value);
      if (!tag.Has("tagKey")) {
        tag.AddError(tag.PathOf("tagKey"), "is required: write {tagKey: team, tagValue: data}");
      } else if (l.tags.count(key)) {
        tag.AddError(tag.PathOf("tagKey"),
                     "tag '" + key + "' is given twice; keep one value per tag key");
      } else {
        l.tags[key] = value;
      }
      tag.Finish();
    });
    ls.Read("securityGroupIds", &l.security_group_ids);
    ls.ForEachMap("blockDeviceMappings", [&](FieldReader& bdm) {
      BlockDeviceMappingSpec b;
      bdm.Read("deviceName", &b.device_name);
      FieldReader ebs = bdm.Map("ebs");
      ebs.Read("volumeSize", &b.volume_size_gib);
      ebs.Read("volumeType", &b.volume_type);
      ebs.Read("deleteOnTermination", &b.delete_on_termination);
      ebs.Finish();
      bdm.Finish();
      l.block_device_mappings.push_back(std::move(b));
    });
    ls.Finish();
  }
  r.Read("privateIps", &c->private_ips);
  r.Finish();
}

void ReadStrategy(FieldReader r, StrategySpec* s, WrittenFields* written) {
  r.Read("fallbackToOd", &s->fallback_to_od);
  {
    FieldReader rs = r.Map("revertToSpot");
    ReadEnum(rs, "performAt", {"never", "always", "timeWindow"}, &s->revert_to_spot.perform_at);
    std::vector<std::string> windows;
    rs.Read("timeWindows", &windows);
    for (const std::string& text : windows) {
      // Unparsable windows are kept as text: the validator reports them.
      Result<TimeWindow> w = TimeWindow::Parse(text);
      s->revert_to_spot.time_windows.push_back(w.ok() ? *w : TimeWindow{0, 0, text});
    }
    rs.Finish();
  }
  r.Read("drainingTimeout", &s->draining_timeout_seconds);
  r.Read("maxUnavailable", &s->max_unavailable);
  r.Read("capacityRebalance", &s->capacity_rebalance);
  {
    FieldReader p = r.Map("persistence");
    PersistenceSpec& ps = s->persistence;
    p.Read("shouldPersistRootDevice", &ps.should_persist_root_device);
    p.Read("shouldPersistBlockDevices", &ps.should_persist_block_devices);
    p.Read("shouldPersistPrivateIp", &ps.should_persist_private_ip);
    written->block_devices_mode = p.Has("blockDevicesMode");
    ReadEnum(p, "blockDevicesMode", {"reattach", "onLaunch"}, &ps.block_devices_mode);
    p.Finish();
  }
  r.Finish();
}

void ReadScheduling(FieldReader r, std::vector<ScheduledTask>* tasks) {
  r.ForEachMap("tasks", [&](FieldReader& t) {
    ScheduledTask task;
    ReadEnum(t, "taskType", {"statefulUpdateCapacity", "statefulRecycle"}, &task.task_type);
    if (!t.Has("taskType")) {
      t.AddError(t.PathOf("taskType"),
                 "is required: write statefulRecycle or statefulUpdateCapacity");
    }
    t.Read("cronExpression", &task.cron_expression);
    t.Read("isEnabled", &task.is_enabled);
    t.Read("targetCapacity", &task.target_capacity);
    t.Read("minCapacity", &task.min_capacity);
    t.Read("maxCapacity", &task.max_capacity);
    t.Finish();
    tasks->push_back(std::move(task));
  });
  r.Finish();
}

}  // namespace

ReadGroupSpecResult ReadGroupSpec(const SpecNode& root) {
  ReadGroupSpecResult out;
  ReadContext ctx{&out.errors, &GroupSpecFieldPaths()};
  GroupSpec& g = out.spec;
  FieldReader r(&root, "", &ctx);
  if (root.kind() != SpecNode::Kind::kMap) return out;  // the reader recorded the type error
  r.Read("name", &g.name);
  r.Read("description", &g.description);
  r.Read("region", &g.region);
  {
    FieldReader c = r.Map("capacity");
    c.Read("target", &g.capacity.target);
    c.Read("minimum", &g.capacity.minimum);
    c.Read("maximum", &g.capacity.maximum);
    c.Finish();
  }
  ReadCompute(r.Map("compute"), &g.compute);
  ReadStrategy(r.Map("strategy"), &g.strategy, &out.written);
  {
    FieldReader s = r.Map("snapshots");
    s.Read("frequencyMinutes", &g.snapshots.frequency_minutes);
    s.Read("keep", &g.snapshots.keep);
    s.Finish();
  }
  {
    FieldReader h = r.Map("health");
    h.Read("type", &g.health.type);
    h.Read("gracePeriod", &g.health.grace_period_seconds);
    h.Read("unhealthyDuration", &g.health.unhealthy_duration_seconds);
    h.Read("autoHealing", &g.health.auto_healing);
    if (h.Has("serving")) {
      FieldReader sv = h.Map("serving");
      ServingCheckSpec check;
      ReadProbe(sv,
                "tcp: {port: 2379} (a TCP connection to the instance's private IP on that port "
                "is accepted), tcp: {port: 2181, send: \"srvr\\n\", expect: \"Mode: \"} or "
                "http: {port: 2379, path: /health, expectBody: '\"health\":\"true\"'}",
                &check.probe);
      sv.Read("gracePeriod", &check.grace_period_seconds);
      sv.Read("interval", &check.interval_seconds);
      sv.Read("timeout", &check.timeout_seconds);
      sv.Finish();
      g.health.serving = check;
    }
    if (h.Has("leader")) {
      FieldReader ld = h.Map("leader");
      LeaderCheckSpec check;
      ReadProbe(ld,
                "tcp: {port: 2181, send: \"srvr\\n\", expect: \"Mode: leader\"} (ZooKeeper) or "
                "http: {port: 8008, path: /primary} (Patroni: 200 only on the primary)",
                &check.probe);
      ld.Read("timeout", &check.timeout_seconds);
      ld.Finish();
      g.health.leader = check;
    }
    h.Finish();
  }
  ReadScheduling(r.Map("scheduling"), &g.scheduled_tasks);
  {
    FieldReader d = r.Map("statefulDeallocation");
    DeallocationSpec& ds = g.stateful_deallocation;
    d.Read("shouldDeleteImages", &ds.should_delete_images);
    d.Read("shouldDeleteNetworkInterfaces", &ds.should_delete_network_interfaces);
    d.Read("shouldDeleteVolumes", &ds.should_delete_volumes);
    d.Read("shouldDeleteSnapshots", &ds.should_delete_snapshots);
    d.Finish();
  }
  r.Finish();
  return out;
}

const std::vector<std::string>& GroupSpecFieldPaths() {
  static const std::vector<std::string> kPaths = {
      "name",
      "description",
      "region",
      "capacity",
      "capacity.target",
      "capacity.minimum",
      "capacity.maximum",
      "compute",
      "compute.availabilityZones",
      "compute.availabilityZones[].name",
      "compute.availabilityZones[].subnetIds",
      "compute.instanceTypes",
      "compute.instanceTypes.ondemand",
      "compute.instanceTypes.spot",
      "compute.launchSpecification",
      "compute.launchSpecification.imageId",
      "compute.launchSpecification.userData",
      "compute.launchSpecification.tags",
      "compute.launchSpecification.tags[].tagKey",
      "compute.launchSpecification.tags[].tagValue",
      "compute.launchSpecification.securityGroupIds",
      "compute.launchSpecification.blockDeviceMappings",
      "compute.launchSpecification.blockDeviceMappings[].deviceName",
      "compute.launchSpecification.blockDeviceMappings[].ebs",
      "compute.launchSpecification.blockDeviceMappings[].ebs.volumeSize",
      "compute.launchSpecification.blockDeviceMappings[].ebs.volumeType",
      "compute.launchSpecification.blockDeviceMappings[].ebs.deleteOnTermination",
      "compute.privateIps",
      "strategy",
      "strategy.fallbackToOd",
      "strategy.revertToSpot",
      "strategy.revertToSpot.performAt",
      "strategy.revertToSpot.timeWindows",
      "strategy.drainingTimeout",
      "strategy.maxUnavailable",
      "strategy.capacityRebalance",
      "strategy.persistence",
      "strategy.persistence.shouldPersistRootDevice",
      "strategy.persistence.shouldPersistBlockDevices",
      "strategy.persistence.shouldPersistPrivateIp",
      "strategy.persistence.blockDevicesMode",
      "snapshots",
      "snapshots.frequencyMinutes",
      "snapshots.keep",
      "health",
      "health.type",
      "health.gracePeriod",
      "health.unhealthyDuration",
      "health.autoHealing",
      "health.serving",
      "health.serving.tcp",
      "health.serving.tcp.port",
      "health.serving.tcp.send",
      "health.serving.tcp.expect",
      "health.serving.http",
      "health.serving.http.port",
      "health.serving.http.path",
      "health.serving.http.expectStatus",
      "health.serving.http.expectBody",
      "health.serving.gracePeriod",
      "health.serving.interval",
      "health.serving.timeout",
      "health.leader",
      "health.leader.tcp",
      "health.leader.tcp.port",
      "health.leader.tcp.send",
      "health.leader.tcp.expect",
      "health.leader.http",
      "health.leader.http.port",
      "health.leader.http.path",
      "health.leader.http.expectStatus",
      "health.leader.http.expectBody",
      "health.leader.timeout",
      "scheduling",
      "scheduling.tasks",
      "scheduling.tasks[].taskType",
      "scheduling.tasks[].cronExpression",
      "scheduling.tasks[].isEnabled",
      "scheduling.tasks[].targetCapacity",
      "scheduling.tasks[].minCapacity",
      "scheduling.tasks[].maxCapacity",
      "statefulDeallocation",
      "statefulDeallocation.shouldDeleteImages",
      "statefulDeallocation.shouldDeleteNetworkInterfaces",
      "statefulDeallocation.shouldDeleteVolumes",
      "statefulDeallocation.shouldDeleteSnapshots",
  };
  return kPaths;
}

}  // namespace spotkeeper
