// ImdsHandler: the instance metadata service's answers (IMDSv1 and v2), independent of HTTP
// plumbing. The caller is the instance whose primary address in the VPC is the request's source
// IP. IMDSv2: PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds (1..21600) returns
// a token; a request carrying X-aws-ec2-metadata-token must carry a live one (401 otherwise);
// requests without a token are answered too (HttpTokens "optional", EC2's default).
//
// Paths: /latest/meta-data/ {ami-id, instance-id, instance-type, local-ipv4, mac, hostname,
// local-hostname, placement/{availability-zone,region}, block-device-mapping/{ami,root,ebsN},
// tags/instance/<key>, spot/instance-action, events/recommendations/rebalance},
// /latest/user-data, /latest/dynamic/instance-identity/document. The spot paths come from
// SetExtraPaths (LocalCloud sets Engine::SpotMetadata): 404 while nothing is pending, as on EC2.
// Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "awsproto/http_message.h"
#include "cloud/api/api_reply.h"
#include "cloud/engine/engine.h"
#include "common/random.h"

namespace spotkeeper::cloud {

// Live IMDSv2 tokens kept at most; a token PUT past this answers 429 until some expire.
inline constexpr size_t kMaxImdsTokens = 4096;

class ImdsHandler {
 public:
  ImdsHandler(Engine* engine, const Clock* clock);

  ApiReply Handle(const std::string& vpc_id, const std::string& source_ip,
                  const std::string& method, const std::string& path,
                  const aws::HeaderList& headers);

  // Answers for meta-data paths the engine does not know ("spot/instance-action",
  // "events/recommendations/rebalance"): nullopt = 404.
  using ExtraPaths = std::function<std::optional<std::string>(const std::string& instance_id,
                                                              const std::string& path)>;
  void SetExtraPaths(ExtraPaths fn);

 private:
  ApiReply MetaData(const InstanceView& v, const std::string& path);

  Engine* engine_;
  const Clock* clock_;
  std::mutex mu_;
  std::map<std::string, Time> tokens_;  // SHA-256 of a live token -> its expiry
  ExtraPaths extra_;
};

}  // namespace spotkeeper::cloud
