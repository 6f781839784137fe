// The rules a group spec must follow. Each error names the field and says what to write instead.
//
// Checked while reading (group_spec_reader.cc, field_reader.cc):
//   any level                      unknown field (with "did you mean" / "belongs under"), wrong
//                                  type (expected string/integer/boolean/list/mapping), duplicate
//                                  key; integers must fit 32 bits
//   revertToSpot.performAt         never | always | timeWindow
//   persistence.blockDevicesMode   reattach | onLaunch
//   scheduling.tasks[].taskType    required; statefulUpdateCapacity | statefulRecycle
//   launchSpecification.tags[]     tagKey required, each key once
//
// Checked here (ValidateGroupSpec):
//   name                           required; 1..128 of [A-Za-z0-9._-]
//   region                         required; lowercase letters, digits and '-'
//   capacity                       0 <= minimum <= target <= maximum; maximum >= 1
//   availabilityZones              non-empty; names required, unique, in `region`; each zone
//                                  >= 1 subnetId; subnet ids subnet-<hex>, each listed once
//   instanceTypes                  spot non-empty, no duplicates; types shaped family.size;
//                                  fallbackToOd needs ondemand
//   launchSpecification            imageId required, ami-<hex>; securityGroupIds sg-<hex>, unique;
//                                  userData <= 16384 bytes; tag keys 1..128 chars, not aws:*,
//                                  values <= 256 chars
//   blockDeviceMappings[]          deviceName /dev/sd[b-z] or /dev/xvd[b-z], unique; volumeSize
//                                  1..16384 (st1/sc1: >= 125); volumeType gp2 gp3 io1 io2 st1
//                                  sc1 standard
//   persistence                    at least one should* flag; shouldPersistBlockDevices needs a
//                                  blockDeviceMapping; blockDevicesMode written only with
//                                  shouldPersistBlockDevices
//   privateIps                     need shouldPersistPrivateIp; valid IPv4; unique;
//                                  count >= capacity.maximum
//   revertToSpot                   timeWindow needs >= 1 window; every window parses
//                                  (ddd:hh:mm-ddd:hh:mm, start != end); windows only with
//                                  performAt timeWindow
//   drainingTimeout                0..3600
//   maxUnavailable                 >= 1; <= capacity.maximum
//   snapshots                      frequencyMinutes 1..1440; keep 1..100
//   health                         type EC2 only; gracePeriod >= 0; unhealthyDuration >= 0
//   health.serving                 exactly one of tcp, http (read time); port 1..65535;
//                                  tcp.send/tcp.expect/http.expectBody <= 1024 bytes;
//                                  http.path starts with '/', no spaces or control characters,
//                                  <= 1024; http.expectStatus 100..599; interval 1..300;
//                                  timeout 1..60 and <= interval; gracePeriod interval..86400
//   health.leader                  the probe as health.serving's; tcp needs expect (a connect
//                                  alone cannot tell the leader); timeout 1..60
//   scheduling.tasks[]             cronExpression required and parses; statefulUpdateCapacity:
//                                  >= 1 of target/min/maxCapacity, all >= 0, min <= target <= max;
//                                  the capacity after the task passes the capacity, privateIps
//                                  and maxUnavailable rules; statefulRecycle: no capacity fields
#include "spec/spec_validator.h"

#include <arpa/inet.h>

#include <algorithm>
#include <map>
#include <string>

namespace spotkeeper {
namespace {

constexpr size_t kMaxNameLength = 128;
constexpr size_t kMaxUserDataBytes = 16384;
constexpr int kMaxVolumeGib = 16384;
constexpr int kMaxDrainingSeconds = 3600;
constexpr int kMaxSnapshotFrequencyMinutes = 1440;
constexpr int kMaxSnapshotsKept = 100;
constexpr int kMaxServingIntervalSeconds = 300;
constexpr int kMaxServingTimeoutSeconds = 60;
constexpr int kMaxServingGraceSeconds = 86400;
constexpr size_t kMaxServingTextBytes = 1024;  // send, expect, expectBody, path

std::string Idx(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

bool IsHexId(const std::string& id, const std::string& prefix) {
  if (id.size() <= prefix.size() || id.compare(0, prefix.size(), prefix) != 0) return false;
  return std::all_of(id.begin() + static_cast<std::ptrdiff_t>(prefix.size()), id.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// "m5.large", "c6gn.16xlarge", "u-6tb1.metal".
bool IsInstanceType(const std::string& t) {
  size_t dot = t.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == t.size()) return false;
  return std::all_of(t.begin(), t.end(),
                     [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                              c == '.';
                     }) &&
         t.find('.', dot + 1) == std::string::npos;
}

bool IsDataDevice(const std::string& d) {
  for (const std::string prefix : {"/dev/sd", "/dev/xvd"}) {
    if (d.size() == prefix.size() + 1 && d.compare(0, prefix.size(), prefix) == 0 &&
        d.back() >= 'b' && d.back() <= 'z') {
      return true;
    }
  }
  return false;
}

// "us-east-1", "local-1".
bool IsRegionName(const std::string& r) {
  return r.front() != '-' && r.back() != '-' && std::all_of(r.begin(), r.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
         });
}

// The whole UTF-8 sequence that starts at `it` (so that "é" is not shown as half a character).
std::string Utf8CharAt(const std::string& s, std::string::const_iterator it) {
  std::string out(1, *it);
  for (++it; it != s.end() && (static_cast<unsigned char>(*it) & 0xC0) == 0x80; ++it) out += *it;
  return out;
}

bool IsIpv4(const std::string& ip) {
  in_addr addr{};
  return inet_pton(AF_INET, ip.c_str(), &addr) == 1;
}

class Validator {
 public:
  Validator(const GroupSpec& spec, const WrittenFields& written) : s_(spec), w_(written) {}

  std::vector<ValidationError> Run() {
    CheckIdentity();
    CheckCapacity();
    CheckZones();
    CheckInstanceTypes();
    CheckLaunchSpecification();
    CheckBlockDevices();
    CheckPersistence();
    CheckPrivateIps();
    CheckRevertToSpot();
    CheckStrategyNumbers();
    CheckSnapshotsAndHealth();
    CheckScheduling();
    return std::move(errors_);
  }

 private:
  void Add(std::string path, std::string message) {
    errors_.push_back({std::move(path), std::move(message)});
  }

  // Reports the second and later occurrences of each value in `values` (at path[i]).
  void CheckUnique(const std::vector<std::string>& values, const std::string& path,
                   const std::string& what, const std::string& advice) {
    std::map<std::string, size_t> first;
    for (size_t i = 0; i < values.size(); ++i) {
      auto [it, inserted] = first.emplace(values[i], i);
      if (!inserted) {
        Add(Idx(path, i), what + " '" + values[i] + "' is listed twice (also at [" +
                              std::to_string(it->second) + "]); " + advice);
      }
    }
  }

  void CheckIdentity() {
    if (s_.name.empty()) {
      Add("name", "is required; give the group a name such as redis-prod");
    } else if (s_.name.size() > kMaxNameLength) {
      Add("name", "is " + std::to_string(s_.name.size()) + " characters long; use at most " +
                      std::to_string(kMaxNameLength));
    } else {
      auto bad = std::find_if(s_.name.begin(), s_.name.end(), [](char c) {
        return !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-');
      });
      if (bad != s_.name.end()) {
        Add("name", "'" + s_.name + "' contains '" + Utf8CharAt(s_.name, bad) +
                        "'; use only letters, digits, '.', '_' and '-' (e.g. redis-prod)");
      }
    }
    if (s_.region.empty()) {
      Add("region", "is required; write the region to run in, e.g. us-east-1");
    } else if (!IsRegionName(s_.region)) {
      Add("region", "'" + s_.region + "' is not a region name; write lowercase letters, digits " +
                        "and '-', e.g. us-east-1");
    }
  }

  void CheckCapacity() {
    const CapacitySpec& c = s_.capacity;
    if (c.maximum < 1) {
      Add("capacity.maximum",
          "is " + std::to_string(c.maximum) + "; write 1 or more (scale to zero with target: 0)");
    }
    if (c.minimum < 0) {
      Add("capacity.minimum", "is " + std::to_string(c.minimum) + "; write 0 or more");
    } else if (c.minimum > c.maximum) {
      Add("capacity.minimum", std::to_string(c.minimum) + " is above capacity.maximum (" +
                                  std::to_string(c.maximum) + "); write minimum <= maximum");
      return;
    }
    if (c.target < c.minimum) {
      Add("capacity.target", std::to_string(c.target) + " is below capacity.minimum (" +
                                 std::to_string(c.minimum) +
                                 "); write a target between minimum and maximum");
    } else if (c.target > c.maximum) {
      Add("capacity.target", std::to_string(c.target) + " is above capacity.maximum (" +
                                 std::to_string(c.maximum) + "); raise maximum to at least " +
                                 std::to_string(c.target) + " or lower the target");
    }
  }

  void CheckZones() {
    const std::string path = "compute.availabilityZones";
    const auto& zones = s_.compute.availability_zones;
    if (zones.empty()) {
      Add(path,
          "is empty; list at least one zone, e.g. "
          "[{name: us-east-1a, subnetIds: [subnet-0a1b2c3d]}]");
      return;
    }
    std::map<std::string, size_t> zone_first;
    std::map<std::string, std::string> subnet_first;
    for (size_t i = 0; i < zones.size(); ++i) {
      const AvailabilityZoneSpec& z = zones[i];
      const std::string zpath = Idx(path, i);
      if (z.name.empty()) {
        Add(zpath + ".name", "is required; write the zone's name, e.g. " +
                                 (s_.region.empty() ? std::string("us-east-1") : s_.region) + "a");
      } else if (auto [it, inserted] = zone_first.emplace(z.name, i); !inserted) {
        Add(zpath + ".name", "zone '" + z.name + "' is listed twice (also at " +
                                 Idx(path, it->second) +
                                 "); list each zone once with all its subnetIds");
      } else if (!s_.region.empty() && (z.name.size() <= s_.region.size() ||
                                        z.name.compare(0, s_.region.size(), s_.region) != 0)) {
        Add(zpath + ".name", "zone '" + z.name + "' is not in region '" + s_.region +
                                 "'; zones of that region are named like " + s_.region + "a");
      }
      if (z.subnet_ids.empty()) {
        Add(zpath + ".subnetIds",
            "is empty; give at least one subnet of zone '" + z.name + "', e.g. [subnet-0a1b2c3d]");
      }
      for (size_t k = 0; k < z.subnet_ids.size(); ++k) {
        const std::string& id = z.subnet_ids[k];
        const std::string spath = Idx(zpath + ".subnetIds", k);
        if (!IsHexId(id, "subnet-")) {
          Add(spath, "'" + id + "' is not a subnet id; write subnet- and hex digits, e.g. " +
                         "subnet-0a1b2c3d");
        } else if (auto [it, inserted] = subnet_first.emplace(id, spath); !inserted) {
          Add(spath, "subnet '" + id + "' is listed twice (also at " + it->second +
                         "); a subnet lies in one zone: list it once");
        }
      }
    }
  }

  void CheckInstanceType(const std::string& path, const std::string& type) {
    if (!IsInstanceType(type)) {
      Add(path, "'" + type + "' is not an instance type; write family.size, e.g. m5.large");
    }
  }

  void CheckInstanceTypes() {
    const std::string path = "compute.instanceTypes";
    const InstanceTypesSpec& t = s_.compute.instance_types;
    if (t.spot.empty()) {
      Add(path + ".spot",
          "is empty; list at least one type to run on spot capacity, e.g. "
          "[m5.large, m5a.large] (they are tried in order)");
    }
    for (size_t i = 0; i < t.spot.size(); ++i) CheckInstanceType(Idx(path + ".spot", i), t.spot[i]);
    CheckUnique(t.spot, path + ".spot", "type", "list each type once");
    if (!t.ondemand.empty()) {
      CheckInstanceType(path + ".ondemand", t.ondemand);
    } else if (s_.strategy.fallback_to_od) {
      Add(path + ".ondemand",
          "is required because strategy.fallbackToOd is true (the default); write the type to "
          "fall back to, e.g. m5.large, or set strategy.fallbackToOd: false");
    }
  }

  void CheckLaunchSpecification() {
    const std::string path = "compute.launchSpecification";
    const LaunchSpecification& l = s_.compute.launch_specification;
    if (l.image_id.empty()) {
      Add(path + ".imageId", "is required; write the image to boot, e.g. ami-0123456789abcdef0");
    } else if (!IsHexId(l.image_id, "ami-")) {
      Add(path + ".imageId", "'" + l.image_id + "' is not an image id; write ami- and hex " +
                                 "digits, e.g. ami-0123456789abcdef0");
    }
    if (l.user_data.size() > kMaxUserDataBytes) {
      Add(path + ".userData", "is " + std::to_string(l.user_data.size()) +
                                  " bytes; EC2 takes at most 16384: fetch the rest at boot or " +
                                  "bake it into the image");
    }
    const std::string sg = path + ".securityGroupIds";
    for (size_t i = 0; i < l.security_group_ids.size(); ++i) {
      if (!IsHexId(l.security_group_ids[i], "sg-")) {
        Add(Idx(sg, i), "'" + l.security_group_ids[i] +
                            "' is not a security group id; write sg- and hex digits, e.g. "
                            "sg-0123abcd");
      }
    }
    CheckUnique(l.security_group_ids, sg, "security group", "list each group once");
    for (const auto& [key, value] : l.tags) {
      const std::string tpath = path + ".tags";
      if (key.empty()) {
        Add(tpath, "a tagKey is empty; give every tag a key, e.g. {tagKey: team, tagValue: data}");
      } else if (key.size() > 128) {
        Add(tpath, "tag key '" + key.substr(0, 20) + "...' is longer than 128 characters; " +
                       "shorten it");
      } else if (key.rfind("aws:", 0) == 0) {
        Add(tpath, "tag key '" + key + "' uses the prefix aws:, which AWS reserves; choose " +
                       "another key");
      }
      if (value.size() > 256) {
        Add(tpath, "the value of tag '" + key + "' is longer than 256 characters; shorten it");
      }
    }
  }

  void CheckBlockDevices() {
    static const std::vector<std::string> kTypes = {"gp2", "gp3", "io1",     "io2",
                                                    "st1", "sc1", "standard"};
    const std::string path = "compute.launchSpecification.blockDeviceMappings";
    const auto& bdms = s_.compute.launch_specification.block_device_mappings;
    std::map<std::string, size_t> first;
    for (size_t i = 0; i < bdms.size(); ++i) {
      const BlockDeviceMappingSpec& b = bdms[i];
      const std::string bpath = Idx(path, i);
      if (b.device_name.empty()) {
        Add(bpath + ".deviceName", "is required; write the data volume's device, e.g. /dev/sdf");
      } else if (!IsDataDevice(b.device_name)) {
        Add(bpath + ".deviceName",
            "'" + b.device_name + "' is not a data volume device; write /dev/sdb../dev/sdz or " +
                "/dev/xvdb../dev/xvdz (the root device comes from the image)");
      } else if (auto [it, inserted] = first.emplace(b.device_name, i); !inserted) {
        Add(bpath + ".deviceName", "'" + b.device_name + "' is used twice (also at " +
                                       Idx(path, it->second) +
                                       "); give each volume its own device");
      }
      const std::string size_path = bpath + ".ebs.volumeSize";
      if (b.volume_size_gib < 1 || b.volume_size_gib > kMaxVolumeGib) {
        Add(size_path, (b.volume_size_gib == 0 ? std::string("is missing or 0")
                                               : "is " + std::to_string(b.volume_size_gib)) +
                           "; write the size in GiB, 1 to 16384");
      } else if ((b.volume_type == "st1" || b.volume_type == "sc1") && b.volume_size_gib < 125) {
        Add(size_path, "is " + std::to_string(b.volume_size_gib) + " GiB, but " + b.volume_type +
                           " volumes are at least 125 GiB; write 125 or more or use gp3");
      }
      if (std::find(kTypes.begin(), kTypes.end(), b.volume_type) == kTypes.end()) {
        Add(bpath + ".ebs.volumeType", "'" + b.volume_type + "' is not a volume type; write " +
                                           "one of gp2, gp3, io1, io2, st1, sc1, standard");
      }
    }
  }

  void CheckPersistence() {
    const std::string path = "strategy.persistence";
    const PersistenceSpec& p = s_.strategy.persistence;
    if (!p.should_persist_root_device && !p.should_persist_block_devices &&
        !p.should_persist_private_ip) {
      Add(path,
          "a stateful group must persist something: set shouldPersistRootDevice, "
          "shouldPersistBlockDevices or shouldPersistPrivateIp to true");
    }
    if (p.should_persist_block_devices &&
        s_.compute.launch_specification.block_device_mappings.empty()) {
      Add(path + ".shouldPersistBlockDevices",
          "is true but compute.launchSpecification.blockDeviceMappings is empty; add the data "
          "volumes to persist (e.g. deviceName: /dev/sdf) or set shouldPersistBlockDevices: "
          "false");
    }
    if (w_.block_devices_mode && !p.should_persist_block_devices) {
      Add(path + ".blockDevicesMode",
          "is set but shouldPersistBlockDevices is false; set shouldPersistBlockDevices: true "
          "or remove blockDevicesMode");
    }
  }

  void CheckPrivateIps() {
    const std::string path = "compute.privateIps";
    const auto& ips = s_.compute.private_ips;
    if (ips.empty()) return;
    if (!s_.strategy.persistence.should_persist_private_ip) {
      Add(path,
          "is a pool of private IPs, which only a group that keeps its IPs can use; set "
          "strategy.persistence.shouldPersistPrivateIp: true (or remove privateIps)");
    }
    for (size_t i = 0; i < ips.size(); ++i) {
      if (!IsIpv4(ips[i])) {
        Add(Idx(path, i), "'" + ips[i] + "' is not an IPv4 address; write four numbers 0-255, " +
                              "e.g. 10.0.1.10");
      }
    }
    CheckUnique(ips, path, "address", "each stateful instance needs its own IP");
    const size_t max = static_cast<size_t>(std::max(s_.capacity.maximum, 0));
    if (ips.size() < max) {
      Add(path, "has " + std::to_string(ips.size()) + " address(es) but capacity.maximum is " +
                    std::to_string(max) +
                    "; each stateful instance keeps one IP of the pool: " + "add " +
                    std::to_string(max - ips.size()) + " more or lower " + "capacity.maximum");
    }
  }

  void CheckRevertToSpot() {
    const std::string path = "strategy.revertToSpot";
    const RevertToSpotSpec& r = s_.strategy.revert_to_spot;
    for (size_t i = 0; i < r.time_windows.size(); ++i) {
      Result<TimeWindow> w = TimeWindow::Parse(r.time_windows[i].text);
      if (!w.ok()) Add(Idx(path + ".timeWindows", i), w.status().message());
    }
    if (r.perform_at == PerformAt::kTimeWindow && r.time_windows.empty()) {
      Add(path + ".timeWindows",
          "is empty but performAt is timeWindow; list at least one window, e.g. "
          "[\"Mon:12:00-Tue:02:00\"] (UTC)");
    }
    if (r.perform_at != PerformAt::kTimeWindow && !r.time_windows.empty()) {
      Add(path + ".timeWindows", std::string("is only used with performAt: timeWindow (it is ") +
                                     PerformAtName(r.perform_at) +
                                     "); set performAt: timeWindow or remove timeWindows");
    }
  }

  void CheckStrategyNumbers() {
    const StrategySpec& st = s_.strategy;
    if (st.draining_timeout_seconds < 0 || st.draining_timeout_seconds > kMaxDrainingSeconds) {
      Add("strategy.drainingTimeout", "is " + std::to_string(st.draining_timeout_seconds) +
                                          "; write the seconds a workload gets to stop, 0 to 3600");
    }
    if (st.max_unavailable < 1) {
      Add("strategy.maxUnavailable",
          "is " + std::to_string(st.max_unavailable) +
              "; write 1 or more (how many instances planned actions may stop at once)");
    } else if (s_.capacity.maximum >= 1 && st.max_unavailable > s_.capacity.maximum) {
      Add("strategy.maxUnavailable", "is " + std::to_string(st.max_unavailable) +
                                         " but capacity.maximum is " +
                                         std::to_string(s_.capacity.maximum) + "; write at most " +
                                         std::to_string(s_.capacity.maximum));
    }
  }

  void CheckSnapshotsAndHealth() {
    const SnapshotSpec& sn = s_.snapshots;
    if (sn.frequency_minutes < 1 || sn.frequency_minutes > kMaxSnapshotFrequencyMinutes) {
      Add("snapshots.frequencyMinutes", "is " + std::to_string(sn.frequency_minutes) +
                                            "; write 1 to 1440 (minutes between snapshots)");
    }
    if (sn.keep < 1 || sn.keep > kMaxSnapshotsKept) {
      Add("snapshots.keep",
          "is " + std::to_string(sn.keep) + "; write 1 to 100 (snapshots kept per volume)");
    }
    const HealthSpec& h = s_.health;
    if (h.type != "EC2") {
      Add("health.type", "'" + h.type +
                             "' is not supported: only EC2 (instance status checks) is supported "
                             "now; write type: EC2");
    }
    if (h.grace_period_seconds < 0) {
      Add("health.gracePeriod",
          "is " + std::to_string(h.grace_period_seconds) + "; write 0 or more seconds");
    }
    if (h.unhealthy_duration_seconds < 0) {
      Add("health.unhealthyDuration",
          "is " + std::to_string(h.unhealthy_duration_seconds) + "; write 0 or more seconds");
    }
    if (h.serving) CheckServing(*h.serving);
    if (h.leader) CheckLeader(*h.leader);
  }

  // The probe of health.serving or health.leader (`path`).
  void CheckProbe(const std::string& path, const ServingProbe& p) {
    const bool http = p.kind == ServingProbe::Kind::kHttp;
    const std::string kind = path + (http ? ".http" : ".tcp");
    if (p.port < 1 || p.port > 65535) {
      Add(kind + ".port", "is " + std::to_string(p.port) +
                              "; write the port the workload serves on, 1 to 65535 (e.g. "
                              "2379 for etcd, 2181 for ZooKeeper, 6379 for Redis)");
    }
    auto check_text = [&](const std::string& field, const std::string& text) {
      if (text.size() > kMaxServingTextBytes) {
        Add(kind + "." + field, "is " + std::to_string(text.size()) + " bytes; write at most " +
                                    std::to_string(kMaxServingTextBytes));
      }
    };
    if (http) {
      bool path_ok = !p.path.empty() && p.path[0] == '/';
      for (char ch : p.path) {
        if (static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7f) path_ok = false;
      }
      if (!path_ok) {
        Add(kind + ".path", "is '" + p.path +
                                "'; write an absolute path without spaces, e.g. /health "
                                "(the default)");
      }
      check_text("path", p.path);
      if (p.expect_status < 100 || p.expect_status > 599) {
        Add(kind + ".expectStatus", "is " + std::to_string(p.expect_status) +
                                        "; write an HTTP status, 100 to 599 (default 200)");
      }
      check_text("expectBody", p.expect);
    } else {
      check_text("send", p.send);
      check_text("expect", p.expect);
    }
  }

  void CheckLeader(const LeaderCheckSpec& c) {
    const std::string path = "health.leader";
    CheckProbe(path, c.probe);
    if (c.probe.kind == ServingProbe::Kind::kTcp && c.probe.expect.empty()) {
      Add(path + ".tcp.expect",
          "is empty; a connection alone cannot tell the leader from the others: write what "
          "only the leader answers, e.g. send: \"srvr\\n\", expect: \"Mode: leader\" "
          "(ZooKeeper)");
    }
    if (c.timeout_seconds < 1 || c.timeout_seconds > kMaxServingTimeoutSeconds) {
      Add(path + ".timeout", "is " + std::to_string(c.timeout_seconds) +
                                 "; write 1 to 60 (seconds one probe may take)");
    }
  }

  void CheckServing(const ServingCheckSpec& c) {
    const std::string path = "health.serving";
    CheckProbe(path, c.probe);
    bool interval_ok = c.interval_seconds >= 1 && c.interval_seconds <= kMaxServingIntervalSeconds;
    if (!interval_ok) {
      Add(path + ".interval", "is " + std::to_string(c.interval_seconds) +
                                  "; write 1 to 300 (most seconds between two probes)");
    }
    if (c.timeout_seconds < 1 || c.timeout_seconds > kMaxServingTimeoutSeconds) {
      Add(path + ".timeout", "is " + std::to_string(c.timeout_seconds) +
                                 "; write 1 to 60 (seconds one probe may take)");
    } else if (interval_ok && c.timeout_seconds > c.interval_seconds) {
      Add(path + ".timeout", "is " + std::to_string(c.timeout_seconds) +
                                 " s, longer than interval (" + std::to_string(c.interval_seconds) +
                                 " s); write a timeout no longer than the interval");
    }
    if (c.grace_period_seconds > kMaxServingGraceSeconds ||
        (interval_ok && c.grace_period_seconds < c.interval_seconds) ||
        c.grace_period_seconds < 1) {
      Add(path + ".gracePeriod",
          "is " + std::to_string(c.grace_period_seconds) +
              "; write from the interval up to 86400 (seconds the workload may take to serve "
              "after its instance runs; past it the instance goes to ERROR, nothing is deleted)");
    }
  }

  void CheckScheduling() {
    const std::string path = "scheduling.tasks";
    for (size_t i = 0; i < s_.scheduled_tasks.size(); ++i) {
      const ScheduledTask& t = s_.scheduled_tasks[i];
      const std::string tpath = Idx(path, i);
      if (t.cron_expression.empty()) {
        Add(tpath + ".cronExpression",
            "is required; write a five-field UTC cron expression, e.g. \"0 3 * * SUN\"");
      } else if (Result<CronExpression> c = CronExpression::Parse(t.cron_expression); !c.ok()) {
        Add(tpath + ".cronExpression", c.status().message());
      }
      const std::pair<const char*, const std::optional<int>*> fields[] = {
          {"targetCapacity", &t.target_capacity},
          {"minCapacity", &t.min_capacity},
          {"maxCapacity", &t.max_capacity}};
      if (t.task_type == TaskType::kStatefulRecycle) {
        for (const auto& [name, value] : fields) {
          if (value->has_value()) {
            Add(tpath + "." + name,
                "is only for statefulUpdateCapacity tasks; remove it from "
                "this statefulRecycle task");
          }
        }
        continue;
      }
      if (!t.target_capacity && !t.min_capacity && !t.max_capacity) {
        Add(tpath,
            "a statefulUpdateCapacity task needs at least one of targetCapacity, "
            "minCapacity, maxCapacity; e.g. targetCapacity: 0 to stop the group at night");
        continue;
      }
      bool negative = false;
      for (const auto& [name, value] : fields) {
        if (value->has_value() && **value < 0) {
          Add(tpath + "." + name, "is " + std::to_string(**value) + "; write 0 or more");
          negative = true;
        }
      }
      if (negative) continue;
      const size_t errors_before = errors_.size();
      if (t.min_capacity && t.target_capacity && *t.min_capacity > *t.target_capacity) {
        Add(tpath + ".minCapacity", std::to_string(*t.min_capacity) + " is above targetCapacity (" +
                                        std::to_string(*t.target_capacity) +
                                        "); write minCapacity <= targetCapacity");
      }
      if (t.target_capacity && t.max_capacity && *t.target_capacity > *t.max_capacity) {
        Add(tpath + ".targetCapacity",
            std::to_string(*t.target_capacity) + " is above maxCapacity (" +
                std::to_string(*t.max_capacity) + "); write targetCapacity <= maxCapacity");
      }
      if (t.min_capacity && t.max_capacity && *t.min_capacity > *t.max_capacity) {
        Add(tpath + ".minCapacity", std::to_string(*t.min_capacity) + " is above maxCapacity (" +
                                        std::to_string(*t.max_capacity) +
                                        "); write minCapacity <= maxCapacity");
      }
      if (errors_.size() == errors_before) CheckCapacityAfterTask(t, tpath);
    }
  }

  // The group's capacity once an update task has run must pass the group's own rules, or the
  // controller would store a spec that no longer validates.
  void CheckCapacityAfterTask(const ScheduledTask& t, const std::string& tpath) {
    CapacitySpec r = s_.capacity;
    if (t.target_capacity) r.target = *t.target_capacity;
    if (t.min_capacity) r.minimum = *t.min_capacity;
    if (t.max_capacity) r.maximum = *t.max_capacity;
    const std::string would = "would set the capacity to target " + std::to_string(r.target) +
                              ", minimum " + std::to_string(r.minimum) + ", maximum " +
                              std::to_string(r.maximum);
    if (r.maximum < 1) {
      Add(tpath, would +
                     "; the maximum must stay 1 or more: scale to zero with targetCapacity: "
                     "0 and keep maxCapacity at 1 or more");
      return;
    }
    if (r.minimum > r.maximum || r.target < r.minimum || r.target > r.maximum) {
      Add(tpath, would + ", which breaks minimum <= target <= maximum; set the other capacity " +
                     "fields in this task as well");
    }
    const size_t pool = s_.compute.private_ips.size();
    if (pool > 0 && pool < static_cast<size_t>(r.maximum)) {
      Add(tpath, would + ", but compute.privateIps has only " + std::to_string(pool) +
                     " address(es), one per instance; add addresses or lower maxCapacity");
    }
    if (s_.strategy.max_unavailable > r.maximum) {
      Add(tpath, would + ", below strategy.maxUnavailable (" +
                     std::to_string(s_.strategy.max_unavailable) +
                     "); lower maxUnavailable or keep maxCapacity at " +
                     std::to_string(s_.strategy.max_unavailable) + " or more");
    }
  }

  const GroupSpec& s_;
  const WrittenFields& w_;
  std::vector<ValidationError> errors_;
};

}  // namespace

std::vector<ValidationError> ValidateGroupSpec(const GroupSpec& spec,
                                               const WrittenFields& written) {
  return Validator(spec, written).Run();
}

}  // namespace spotkeeper
