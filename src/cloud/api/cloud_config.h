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
//   market:                         # the spot market (docs/spot-market.md); all optional
//     enabled: true                 # false: prices stay put, no interruptions from the rates
//     seed: 0                       # 0: the engine's seed (kept in the state file)
//     priceModel: walk              # walk (mean-reverting random walk) | csv (replay)
//     csvPath: prices.csv           # timestamp,instance type,AZ,price (relative to this file)
//     priceIntervalSeconds: 300     # a walk step every 5 minutes of cloud time
//     meanRatio: 0.35               # long-run spot price / on-demand price
//     reversion: 0.02               # share of the log distance to the mean closed per step
//     volatility: 0.02              # standard deviation of a step of the log price
//     minRatio: 0.1                 # the spot price stays in [minRatio, maxRatio] * on-demand
//     maxRatio: 1.0
//     defaultBucket: "<5%"          # Spot Instance Advisor: <5%, 5-10%, 10-15%, 15-20%, >20%
//     spotCapacity: -1              # per pool; -1 unlimited
//     onDemandCapacity: -1
//     pools:                        # per-pool overrides
//       - {instanceType: t3.micro, availabilityZone: local-1a, spotCapacity: 2,
//          onDemandCapacity: 4, bucket: "10-15%"}
//     timeScale: 1                  # multiplies every interruption rate (demos)
//     interruptionsPerHour: 0       # > 0: this mean rate per spot instance-hour in every pool
//                                   # instead of the buckets and timeScale
//     noticeSeconds: 120            # interruption notice to the action
//     rebalanceLeadSeconds: 30      # rebalance recommendation to the notice
//     restartDelaySeconds: 60       # a stopped (interrupted) instance starts again after
//     reclaimOrder: newest          # newest | random: which instances a shrinking pool takes
//     historyLimit: 1000            # price changes kept per pool (and at most 90 days)
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
