#include "provider/ec2/ec2_provider_config.h"

#include <set>

#include "awsproto/http_message.h"

namespace spotkeeper {

std::string Ec2ProviderConfig::Ec2Endpoint() const {
  if (!ec2_endpoint_url.empty()) return ec2_endpoint_url;
  if (!endpoint_url.empty()) return endpoint_url;
  return "https://ec2." + region + ".amazonaws.com";
}

std::string Ec2ProviderConfig::SqsEndpoint() const {
  if (!sqs_endpoint_url.empty()) return sqs_endpoint_url;
  if (!endpoint_url.empty()) return endpoint_url;
  if (!events_queue_url.empty()) {
    if (auto u = aws::ParseUrl(events_queue_url); u.ok()) return u->Origin();
  }
  return "https://sqs." + region + ".amazonaws.com";
}

std::string Ec2ProviderConfig::QueueAccount() const {
  auto u = aws::ParseUrl(events_queue_url);
  if (events_queue_url.empty() || !u.ok()) return "";
  // SQS queue URLs are <origin>/<account id>/<queue name>.
  std::string path = u->path;
  if (!path.empty() && path.front() == '/') path.erase(0, 1);
  std::string account = path.substr(0, path.find('/'));
  if (account.size() != 12) return "";
  for (char c : account) {
    if (c < '0' || c > '9') return "";
  }
  return account;
}

Result<Ec2ProviderConfig> Ec2ProviderConfig::FromJson(const nlohmann::json& config,
                                                      const aws::EnvLookup& env) {
  Ec2ProviderConfig c;
  if (auto r = env("AWS_REGION"); r && !r->empty()) {
    c.region = *r;
  } else if (auto d = env("AWS_DEFAULT_REGION"); d && !d->empty()) {
    c.region = *d;
  }
  if (config.is_null()) return c;
  if (!config.is_object()) return InvalidArgument("ec2 provider config must be a JSON object");
  static const std::set<std::string> kStrings = {
      "region", "endpointUrl", "ec2EndpointUrl", "sqsEndpointUrl", "eventsQueueUrl", "profile"};
  static const std::set<std::string> kInts = {"connectTimeoutMs", "requestTimeoutMs",
                                              "maxAttempts",      "eventsWaitSeconds",
                                              "pollIntervalMs",   "describePageSize"};
  for (const auto& [key, value] : config.items()) {
    if (kStrings.count(key)) {
      if (!value.is_string()) return InvalidArgument("ec2 config '" + key + "' must be a string");
      std::string v = value.get<std::string>();
      if (key.ends_with("Url") && !v.empty()) {
        if (auto u = aws::ParseUrl(v); !u.ok()) {
          return InvalidArgument("ec2 config '" + key + "': " + u.status().message());
        }
      }
      if (key == "region") {
        if (v.empty()) return InvalidArgument("ec2 config 'region' must not be empty");
        c.region = v;
      }
      if (key == "endpointUrl") c.endpoint_url = v;
      if (key == "ec2EndpointUrl") c.ec2_endpoint_url = v;
      if (key == "sqsEndpointUrl") c.sqs_endpoint_url = v;
      if (key == "eventsQueueUrl") c.events_queue_url = v;
      if (key == "profile") c.profile = v;
    } else if (kInts.count(key)) {
      if (!value.is_number_integer()) {
        return InvalidArgument("ec2 config '" + key + "' must be an integer");
      }
      int64_t v = value.get<int64_t>();
      // (An init-capture: clang 14 cannot capture a structured binding.)
      auto range = [v, name = std::string(key)](int64_t lo, int64_t hi) -> Status {
        if (v < lo || v > hi) {
          return InvalidArgument("ec2 config '" + name + "' must be in [" + std::to_string(lo) +
                                 ", " + std::to_string(hi) + "]");
        }
        return OkStatus();
      };
      if (key == "connectTimeoutMs") {
        SK_RETURN_IF_ERROR(range(1, 600'000));
        c.connect_timeout = Duration{v};
      } else if (key == "requestTimeoutMs") {
        SK_RETURN_IF_ERROR(range(1, 3'600'000));
        c.request_timeout = Duration{v};
      } else if (key == "maxAttempts") {
        SK_RETURN_IF_ERROR(range(1, 20));
        c.max_attempts = static_cast<int>(v);
      } else if (key == "eventsWaitSeconds") {
        SK_RETURN_IF_ERROR(range(0, 20));
        c.events_wait_seconds = static_cast<int>(v);
      } else if (key == "describePageSize") {
        SK_RETURN_IF_ERROR(range(5, 1000));
        c.page_size = static_cast<int>(v);
      } else if (key == "pollIntervalMs") {
        SK_RETURN_IF_ERROR(range(0, 3'600'000));
        c.poll_interval = Duration{v};
      }
    } else {
      return InvalidArgument("unknown ec2 config key '" + key + "'");
    }
  }
  return c;
}

}  // namespace spotkeeper
