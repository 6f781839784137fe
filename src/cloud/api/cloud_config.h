// The local cloud's configuration file (`spotkeeper cloud serve --config FILE`), YAML or JSON:
//
//   listen: 127.0.0.1:7781          # the EC2/SQS endpoint
//   region: local-1
//   availabilityZones: [local-1a, local-1b]
//   accountId: "000000000000"
//   defaultVpcCidr: 10.0.0.0/16     # default subnets 10.0.1.0/24, 10.0.2.0/24, ...
//   eventsQueue: spotkeeper-events
//   workerThreads: 4
//   stopGraceSeconds: 30            # SIGTERM to SIGKILL on stop/terminate
//   maxInstances: 64
//   terminatedRetentionSeconds: 3600
//   imds: true
//
// Unknown keys and wrong types are InvalidArgument naming the key.
#pragma once

#include <string>

#include "cloud/api/local_cloud.h"

namespace spotkeeper::cloud {

Status ApplyCloudConfigText(const std::string& text, LocalCloudOptions* options);
Status ApplyCloudConfigFile(const std::string& path, LocalCloudOptions* options);
// "host:port" -> options->listen_host/port.
Status ApplyListen(const std::string& listen, LocalCloudOptions* options);

}  // namespace spotkeeper::cloud
