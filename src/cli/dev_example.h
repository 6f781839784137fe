// What `spotkeeper dev --example NAME` needs besides the cloud and the server: the mapping of an
// example spec (examples/*.yaml, written with AWS-looking placeholder ids) onto the local cloud,
// and a minimal Redis client that talks to an instance from inside its VPC.
#pragma once

#include <string>
#include <vector>

#include "cloud/host/host_driver.h"
#include "common/status.h"

namespace spotkeeper::cli {

// Where the example goes in the local cloud.
struct LocalZone {
  std::string az;         // "local-1a"
  std::string subnet_id;  // its default subnet
  std::string cidr = "";  // the subnet's block, "10.0.1.0/24" ("": unknown)
};

struct LocalPlacement {
  std::string region;            // "local-1"
  std::vector<LocalZone> zones;  // the cloud's zones in name order; at least one
  std::string image_id;          // the base image (cloud::kBaseImageId)
  std::string security_group;    // the VPC's default security group
  // Instance types the cloud knows; the example's others are dropped (the first known one is
  // used when none is left).
  std::vector<std::string> instance_types;
};

// Rewrites an example spec (YAML text) for the local cloud and returns it as YAML:
//   region                                   -> placement.region
//   compute.availabilityZones                -> the example's n-th zone becomes the cloud's
//                                               n-th zone with its default subnet (as many
//                                               zones as both have; at least one)
//   compute.launchSpecification.imageId      -> placement.image_id
//   compute.launchSpecification.securityGroupIds -> [placement.security_group]
//   compute.instanceTypes.spot / ondemand    -> only types the cloud knows
//   compute.privateIps                       -> kept when every address is inside the first
//                                               zone's subnet (an example written for the
//                                               local cloud, like etcd.yaml, whose members'
//                                               user data names them); dropped otherwise
// Everything else (persistence modes, user data, block devices, capacity, snapshots, health) is
// kept as written: the local cloud has every persistence mode.
// InvalidArgument when the text is not a YAML mapping with a compute section.
Result<std::string> MapExampleToLocalCloud(const std::string& yaml,
                                           const LocalPlacement& placement);

// `spotkeeper dev --interruptions RATE`: the mean number of interruptions per running spot
// instance in a time unit, "12/h", "1/m", "2/d" (or "0.5/h"), or "off" (also "0"): returned as
// interruptions per hour (0 for off). InvalidArgument saying the accepted forms otherwise.
inline constexpr const char* kDefaultDevInterruptions = "12/h";
Result<double> ParseInterruptionRate(const std::string& text);

// Sends each command (argv form) to the Redis server at ip:port, connecting from a thread inside
// `vpc_id`'s network namespace, and returns each reply as text ("OK", "PONG", the bulk string,
// "(nil)", the integer; an error reply is returned as "ERR ..." text with a leading '-').
// Unavailable when the connection is refused or times out (Redis not up yet).
Result<std::vector<std::string>> RedisCommands(cloud::HostDriver& driver, const std::string& vpc_id,
                                               const std::string& ip, int port,
                                               const std::vector<std::vector<std::string>>& cmds);

}  // namespace spotkeeper::cli
