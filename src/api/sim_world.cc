#include "api/sim_world.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>

namespace spotkeeper::api {

Result<SimWorld> CreateSimWorld(const Clock* clock, uint64_t seed, const std::string& data_dir) {
  SimWorld w;
  FakeCloudOptions o;
  w.region = o.region;
  w.cloud = std::make_unique<FakeCloud>(clock, seed, o);
  w.image_id = w.cloud->AddImage("debian-12-base (sim)", 8);
  w.subnets = w.cloud->subnets();
  std::sort(w.subnets.begin(), w.subnets.end(), [](const Subnet& a, const Subnet& b) {
    return a.availability_zone < b.availability_zone;
  });
  std::string path = data_dir + "/sim-example.yaml";
  std::ofstream out(path, std::ios::trunc);
  if (out << SimExampleSpec(w)) w.example_spec_path = path;
  nlohmann::json subnets = nlohmann::json::array();
  for (const auto& s : w.subnets) {
    subnets.push_back(
        {{"id", s.id}, {"availabilityZone", s.availability_zone}, {"cidrBlock", s.cidr_block}});
  }
  w.info = {{"sim",
             {{"region", w.region},
              {"imageId", w.image_id},
              {"subnets", subnets},
              {"exampleSpec", w.example_spec_path}}}};
  return w;
}

std::string SimExampleSpec(const SimWorld& w) {
  const Subnet& s = w.subnets.front();
  return fmt::format(
      R"(# A group for the simulated cloud of `spotkeeper server --provider sim`.
# Nothing real is launched: the instance, its volumes and its IP live in the server's memory.
#   spotkeeper group create -f {path}
#   spotkeeper instance list
#   spotkeeper instance recycle SSI --wait
name: sim-example
description: one stateful instance on the simulated cloud
region: {region}
capacity: {{target: 1, minimum: 0, maximum: 2}}
compute:
  availabilityZones:
    - name: {az}
      subnetIds: [{subnet}]
  instanceTypes:
    spot: [m5.large, m5a.large]
    ondemand: m5.large
  launchSpecification:
    imageId: {image}
    tags:
      - {{tagKey: app, tagValue: sim-example}}
    blockDeviceMappings:
      - deviceName: /dev/sdf
        ebs: {{volumeSize: 10, volumeType: gp3, deleteOnTermination: false}}
strategy:
  fallbackToOd: true
  drainingTimeout: 30
  persistence:
    shouldPersistRootDevice: true
    shouldPersistBlockDevices: true
    blockDevicesMode: reattach
    shouldPersistPrivateIp: true
)",
      fmt::arg("path", w.example_spec_path.empty() ? "sim-example.yaml" : w.example_spec_path),
      fmt::arg("region", w.region), fmt::arg("az", s.availability_zone), fmt::arg("subnet", s.id),
      fmt::arg("image", w.image_id));
}

std::string SimBanner(const SimWorld& w, double speed) {
  std::string bar(78, '=');
  std::string out = bar + "\n";
  out += " SIMULATED CLOUD (--provider sim): NOTHING REAL IS LAUNCHED.\n";
  out += " Instances, volumes, snapshots and IPs live in this process's memory, and so does\n";
  out += " the store: everything is gone when the server stops.\n";
  out += fmt::format(" region {}   base image {}\n", w.region, w.image_id);
  for (const auto& s : w.subnets) {
    out += fmt::format(" subnet {}  {}  {}\n", s.id, s.availability_zone, s.cidr_block);
  }
  if (!w.example_spec_path.empty()) {
    out += fmt::format(" example spec: spotkeeper group create -f {}\n", w.example_spec_path);
  }
  if (speed != 1) {
    out += fmt::format(" simulated time runs {}x faster than real time (--sim-speed)\n", speed);
  } else {
    out += " tip: --sim-speed 60 makes a simulated minute pass in a second\n";
  }
  out += bar;
  return out;
}

}  // namespace spotkeeper::api
