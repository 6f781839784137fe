// Settings of the ec2 provider, from ProviderOptions.config (JSON, camelCase keys):
//   region            AWS region; default AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1
//   endpointUrl       one endpoint for EC2 and SQS (moto_server, the local cloud); default AWS's
//   ec2EndpointUrl    EC2 only (wins over endpointUrl)
//   sqsEndpointUrl    SQS only (wins over endpointUrl)
//   eventsQueueUrl    SQS queue with the EventBridge rule's EC2 events; empty: events are
//                     synthesised by polling DescribeSpotInstanceRequests/DescribeInstances
//   profile           shared-credentials profile; default AWS_PROFILE / the default chain
//   connectTimeoutMs  TCP+TLS connect timeout (default 5000)
//   requestTimeoutMs  total time per request (default 30000; a long poll adds its wait)
//   maxAttempts       attempts per call including retries (default 5)
//   eventsWaitSeconds SQS long-poll wait, 0..20 (default 20)
//   pollIntervalMs    without a queue: least time between two polls (default 10000)
//   describePageSize  MaxResults of paginated Describe calls, 5..1000 (default: each call's
//                     maximum)
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "awsproto/env_credentials_provider.h"
#include "common/status.h"
#include "common/time.h"

namespace spotkeeper {

struct Ec2ProviderConfig {
  std::string region = "us-east-1";
  std::string endpoint_url;
  std::string ec2_endpoint_url;
  std::string sqs_endpoint_url;
  std::string events_queue_url;
  std::string profile;
  Duration connect_timeout = std::chrono::seconds(5);
  Duration request_timeout = std::chrono::seconds(30);
  int max_attempts = 5;
  int events_wait_seconds = 20;
  Duration poll_interval = std::chrono::seconds(10);
  int page_size = 0;  // 0: each Describe call's maximum

  // ec2EndpointUrl, else endpointUrl, else https://ec2.<region>.amazonaws.com.
  std::string Ec2Endpoint() const;
  // sqsEndpointUrl, else endpointUrl, else the queue URL's origin, else
  // https://sqs.<region>.amazonaws.com.
  std::string SqsEndpoint() const;

  // The account of eventsQueueUrl (an SQS queue URL is <origin>/<12-digit account>/<name>), or
  // "" when there is no queue or its URL does not say.
  std::string QueueAccount() const;

  // InvalidArgument for unknown keys, wrong types, bad URLs or out-of-range numbers.
  static Result<Ec2ProviderConfig> FromJson(const nlohmann::json& config,
                                            const aws::EnvLookup& env = aws::ProcessEnv());
};

}  // namespace spotkeeper
