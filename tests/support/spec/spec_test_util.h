// Test helpers for the spec tests: a valid spec to mutate, and error lists as strings.
#pragma once

#include <gmock/gmock.h>

#include <string>
#include <vector>

#include "spec/group_spec.h"
#include "spec/spec_validator.h"

namespace spotkeeper {

// A valid single-zone group that persists everything (reattach).
inline GroupSpec ValidSpec() {
  GroupSpec s;
  s.name = "redis-prod";
  s.region = "us-east-1";
  s.compute.availability_zones = {{"us-east-1a", {"subnet-0a1b2c3d"}}};
  s.compute.instance_types = {"m5.large", {"m5.large", "m5a.large"}};
  s.compute.launch_specification.image_id = "ami-0123456789abcdef0";
  s.compute.launch_specification.block_device_mappings = {{"/dev/sdf", 10, "gp3", false}};
  s.strategy.persistence = {true, true, true, BlockDevicesMode::kReattach};
  return s;
}

// "path: message" of every error.
inline std::vector<std::string> ErrorsOf(const GroupSpec& spec, const WrittenFields& written = {}) {
  std::vector<std::string> out;
  for (const ValidationError& e : ValidateGroupSpec(spec, written)) out.push_back(e.ToString());
  return out;
}

// Matches the error string "path: ..." that contains `text`.
inline ::testing::Matcher<const std::string&> Err(const std::string& path,
                                                  const std::string& text) {
  return ::testing::AllOf(::testing::StartsWith(path + ": "), ::testing::HasSubstr(text));
}

// A health.serving check of kind tcp (a plain connect) on `port`.
inline ServingCheckSpec TcpServing(int port, int grace_seconds, int interval_seconds,
                                   int timeout_seconds) {
  ServingCheckSpec c;
  c.probe.port = port;
  c.grace_period_seconds = grace_seconds;
  c.interval_seconds = interval_seconds;
  c.timeout_seconds = timeout_seconds;
  return c;
}

}  // namespace spotkeeper
