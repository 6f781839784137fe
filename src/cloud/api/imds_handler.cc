#include "cloud/api/imds_handler.h"

#include <nlohmann/json.hpp>

#include "awsproto/crypto.h"
#include "common/secure_random.h"

namespace spotkeeper::cloud {
namespace {

ApiReply Text(int status, std::string body) {
  ApiReply r;
  r.status = status;
  r.content_type = "text/plain";
  r.body = std::move(body);
  return r;
}

ApiReply NotFound() { return Text(404, "Not Found"); }

std::string Basename(const std::string& device) {
  size_t slash = device.rfind('/');
  return slash == std::string::npos ? device : device.substr(slash + 1);
}

std::string Hostname(const InstanceView& v, const std::string& region) {
  std::string h = "ip-" + v.instance.private_ip;
  for (char& c : h) {
    if (c == '.') c = '-';
  }
  return h + "." + region + ".compute.internal";
}

}  // namespace

ImdsHandler::ImdsHandler(Engine* engine, const Clock* clock) : engine_(engine), clock_(clock) {}

void ImdsHandler::SetExtraPaths(ExtraPaths fn) {
  std::lock_guard<std::mutex> lock(mu_);
  extra_ = std::move(fn);
}

ApiReply ImdsHandler::Handle(const std::string& vpc_id, const std::string& source_ip,
                             const std::string& method, const std::string& path,
                             const aws::HeaderList& headers) {
  Time now = clock_->Now();
  if (path == "/latest/api/token") {
    if (method != "PUT") return Text(405, "Method Not Allowed");
    if (aws::FindHeader(headers, "X-Forwarded-For")) return Text(403, "Forbidden");
    auto ttl = aws::FindHeader(headers, "X-aws-ec2-metadata-token-ttl-seconds");
    int seconds = 0;
    if (ttl && !ttl->empty() && ttl->size() < 7 &&
        ttl->find_first_not_of("0123456789") == std::string::npos) {
      seconds = std::stoi(*ttl);
    }
    if (seconds < 1 || seconds > 21600) return Text(400, "Bad Request");
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = tokens_.begin(); it != tokens_.end();) {
      it = it->second <= now ? tokens_.erase(it) : std::next(it);
    }
    // EC2 throttles IMDS with 429; here it bounds the memory a PUT loop can take.
    if (tokens_.size() >= kMaxImdsTokens) return Text(429, "Too Many Requests");
    Result<std::string> token_or = SecureRandomHex(56);  // a session secret: from the CSPRNG
    if (!token_or.ok()) return Text(503, "Service Unavailable");
    std::string token = *token_or;
    tokens_[aws::Sha256Hex(token)] = now + std::chrono::seconds(seconds);
    ApiReply r = Text(200, token);
    r.headers = {{"X-aws-ec2-metadata-token-ttl-seconds", std::to_string(seconds)}};
    return r;
  }
  if (method != "GET" && method != "HEAD") return Text(405, "Method Not Allowed");
  if (auto token = aws::FindHeader(headers, "X-aws-ec2-metadata-token")) {
    std::lock_guard<std::mutex> lock(mu_);
    // Looked up by digest: the lookup's timing says nothing about the live tokens' bytes.
    auto it = tokens_.find(aws::Sha256Hex(*token));
    if (it == tokens_.end() || it->second <= now) return Text(401, "Unauthorized");
  }
  std::optional<InstanceView> v = engine_->FindInstanceByIp(vpc_id, source_ip);
  if (!v) return NotFound();
  if (path == "/latest/user-data" || path == "/latest/user-data/") {
    return v->instance.user_data.empty() ? NotFound() : Text(200, v->instance.user_data);
  }
  if (path == "/latest/dynamic/instance-identity/document") {
    const InstanceRecord& r = v->instance;
    nlohmann::json doc = {{"accountId", engine_->options().account_id},
                          {"architecture", "x86_64"},
                          {"availabilityZone", r.az},
                          {"imageId", r.image_id},
                          {"instanceId", r.id},
                          {"instanceType", r.instance_type},
                          {"pendingTime", FormatTime(FromMillis(r.launch_ms))},
                          {"privateIp", r.private_ip},
                          {"region", engine_->options().region},
                          {"version", "2017-09-30"}};
    ApiReply reply = Text(200, doc.dump(2));
    reply.content_type = "application/json";
    return reply;
  }
  const std::string prefix = "/latest/meta-data";
  if (path.compare(0, prefix.size(), prefix) != 0) {
    if (path == "/latest" || path == "/latest/") return Text(200, "dynamic\nmeta-data\nuser-data");
    if (path == "/" || path.empty()) return Text(200, "latest");
    return NotFound();
  }
  std::string rest = path.substr(prefix.size());
  if (!rest.empty() && rest[0] == '/') rest = rest.substr(1);
  return MetaData(*v, rest);
}

ApiReply ImdsHandler::MetaData(const InstanceView& v, const std::string& path) {
  const InstanceRecord& r = v.instance;
  const std::string& region = engine_->options().region;
  if (path.empty()) {
    return Text(200,
                "ami-id\nblock-device-mapping/\nevents/\nhostname\ninstance-id\ninstance-life-"
                "cycle\ninstance-type\nlocal-hostname\nlocal-ipv4\nmac\nplacement/\nspot/\ntags/");
  }
  if (path == "ami-id") return Text(200, r.image_id);
  if (path == "instance-id") return Text(200, r.id);
  if (path == "instance-type") return Text(200, r.instance_type);
  if (path == "instance-life-cycle") {
    return Text(200, r.lifecycle.empty() ? "on-demand" : r.lifecycle);
  }
  if (path == "local-ipv4") return Text(200, r.private_ip);
  if (path == "mac") return v.eni ? Text(200, v.eni->mac) : NotFound();
  if (path == "hostname" || path == "local-hostname") return Text(200, Hostname(v, region));
  if (path == "placement" || path == "placement/") {
    return Text(200, "availability-zone\nregion");
  }
  if (path == "placement/availability-zone") return Text(200, r.az);
  if (path == "placement/region") return Text(200, region);
  std::map<std::string, std::string> bdm;
  int n = 0;
  for (const VolumeRecord& vol : v.volumes) {
    if (vol.id == r.root_volume_id) {
      bdm["ami"] = Basename(vol.attachment->device);
      bdm["root"] = vol.attachment->device;
    } else {
      bdm["ebs" + std::to_string(++n)] = Basename(vol.attachment->device);
    }
  }
  if (path == "block-device-mapping" || path == "block-device-mapping/") {
    std::string list;
    for (const auto& [k, d] : bdm) list += (list.empty() ? "" : "\n") + k;
    return Text(200, list);
  }
  if (path.rfind("block-device-mapping/", 0) == 0) {
    auto it = bdm.find(path.substr(21));
    return it == bdm.end() ? NotFound() : Text(200, it->second);
  }
  if (path == "tags" || path == "tags/") return Text(200, "instance");
  if (path == "tags/instance" || path == "tags/instance/") {
    std::string list;
    for (const auto& [k, val] : r.tags) list += (list.empty() ? "" : "\n") + k;
    return Text(200, list);
  }
  if (path.rfind("tags/instance/", 0) == 0) {
    auto it = r.tags.find(path.substr(14));
    return it == r.tags.end() ? NotFound() : Text(200, it->second);
  }
  ExtraPaths extra;
  {
    std::lock_guard<std::mutex> lock(mu_);
    extra = extra_;
  }
  if (extra) {
    if (auto answer = extra(r.id, path)) return Text(200, *answer);
  }
  // spot/instance-action and events/recommendations/rebalance: 404 while no action or
  // recommendation is pending, as on EC2.
  return NotFound();
}

}  // namespace spotkeeper::cloud
