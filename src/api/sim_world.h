// The world of `spotkeeper server --provider sim`: an in-memory FakeCloud with a base image and
// one default subnet per zone, plus a ready-to-use example group spec written to the data
// directory, and the banner that says loudly that nothing real is launched.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "provider/fake/fake_cloud.h"

namespace spotkeeper::api {

struct SimWorld {
  std::unique_ptr<FakeCloud> cloud;
  std::string region;
  std::string image_id;
  std::vector<Subnet> subnets;    // by zone
  std::string example_spec_path;  // "" when it could not be written
  nlohmann::json info;            // for GET /api/v1/info: {"sim": {...}}
};

// `clock` must outlive the world. The example spec goes to <data_dir>/sim-example.yaml.
Result<SimWorld> CreateSimWorld(const Clock* clock, uint64_t seed, const std::string& data_dir);

// A spec for the sim cloud: one stateful instance with a data volume and a kept IP.
std::string SimExampleSpec(const SimWorld& world);

// The banner (several lines) printed at start.
std::string SimBanner(const SimWorld& world, double speed);

}  // namespace spotkeeper::api
