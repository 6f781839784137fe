#include "store/etcd/etcd_client.h"

#include <nlohmann/json.hpp>

#include "awsproto/crypto.h"
#include "store/etcd/etcd_json.h"

namespace spotkeeper {
namespace {

using etcd_json::BytesField;
using etcd_json::Int64Field;
using nlohmann::json;

// etcd's gRPC status code (in the gateway's error body) as a Status.
Status FromGrpc(int code, const std::string& message) {
  std::string m = "etcd: " + message;
  switch (code) {
    case 3:
      return InvalidArgument(m);
    case 4:
      return DeadlineExceeded(m);
    case 5:
      return NotFound(m);
    case 8:
      return ResourceExhausted(m);
    case 9:
      return FailedPrecondition(m);
    case 14:
      return Unavailable(m);
    default:
      return Internal(m + " (code " + std::to_string(code) + ")");
  }
}

const char* TargetName(EtcdCompare::Target t) {
  switch (t) {
    case EtcdCompare::Target::kCreate:
      return "CREATE";
    case EtcdCompare::Target::kMod:
      return "MOD";
    case EtcdCompare::Target::kLease:
      return "LEASE";
  }
  return "MOD";
}

const char* TargetField(EtcdCompare::Target t) {
  switch (t) {
    case EtcdCompare::Target::kCreate:
      return "create_revision";
    case EtcdCompare::Target::kMod:
      return "mod_revision";
    case EtcdCompare::Target::kLease:
      return "lease";
  }
  return "mod_revision";
}

Result<json> ParseJson(const std::string& body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Internal("etcd: unreadable answer: " + body.substr(0, 200));
  }
  return j;
}

}  // namespace

EtcdClient::EtcdClient(std::vector<std::string> endpoints, aws::HttpClient* http)
    : endpoints_(std::move(endpoints)), http_(http) {}

std::string EtcdClient::PrefixEnd(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    unsigned char last = static_cast<unsigned char>(end.back());
    if (last < 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key
}

Result<std::string> EtcdClient::Post(const std::string& path, const std::string& body) {
  if (endpoints_.empty()) return FailedPrecondition("etcd: no endpoints");
  size_t start = current_.load();
  Status last;
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    size_t index = (start + i) % endpoints_.size();
    aws::HttpRequest req;
    req.method = "POST";
    req.url = endpoints_[index] + path;
    req.headers = {{"Content-Type", "application/json"}};
    req.body = body;
    Result<aws::HttpResponse> resp = http_->Send(req);
    if (!resp.ok()) {
      last =
          Status(resp.status().code(), "etcd " + endpoints_[index] + ": " + resp.status().message(),
                 resp.status().cloud_code());
      if (resp.status().cloud_code() == aws::kConnectionFailed) continue;  // never sent
      return last;
    }
    current_.store(index);
    if (resp->status == 200) return std::move(resp->body);
    SK_ASSIGN_OR_RETURN(json err, ParseJson(resp->body));
    std::string message = err.value("message", err.value("error", resp->body));
    int code = err.value("code", 2);
    Status s = FromGrpc(code, message);
    // A member without a leader (partitioned away) answers Unavailable: try another.
    if (s.code() == Code::kUnavailable && i + 1 < endpoints_.size()) {
      last = s;
      continue;
    }
    return s;
  }
  return last;
}

Result<EtcdRange> EtcdClient::Range(const std::string& key, const std::string& range_end,
                                    int64_t revision, int64_t limit, int64_t min_mod_revision) {
  json req = {{"key", aws::Base64Encode(key)}};
  if (!range_end.empty()) req["range_end"] = aws::Base64Encode(range_end);
  if (revision > 0) req["revision"] = std::to_string(revision);
  if (limit > 0) req["limit"] = std::to_string(limit);
  if (min_mod_revision > 0) req["min_mod_revision"] = std::to_string(min_mod_revision);
  SK_ASSIGN_OR_RETURN(std::string body, Post("/v3/kv/range", req.dump()));
  SK_ASSIGN_OR_RETURN(json j, ParseJson(body));
  EtcdRange out;
  out.revision = Int64Field(j.value("header", json::object()), "revision");
  out.more = j.value("more", false);
  for (const json& kv : j.value("kvs", json::array())) {
    EtcdKv e;
    SK_ASSIGN_OR_RETURN(e.key, BytesField(kv, "key"));
    SK_ASSIGN_OR_RETURN(e.value, BytesField(kv, "value"));
    e.create_revision = Int64Field(kv, "create_revision");
    e.mod_revision = Int64Field(kv, "mod_revision");
    e.version = Int64Field(kv, "version");
    e.lease = Int64Field(kv, "lease");
    out.kvs.push_back(std::move(e));
  }
  return out;
}

Result<EtcdTxnResult> EtcdClient::Txn(const EtcdTxn& txn) {
  json compares = json::array();
  for (const EtcdCompare& c : txn.compares) {
    compares.push_back({{"key", aws::Base64Encode(c.key)},
                        {"target", TargetName(c.target)},
                        {"result", "EQUAL"},
                        {TargetField(c.target), std::to_string(c.number)}});
  }
  json success = json::array();
  for (const EtcdPut& p : txn.puts) {
    json put = {{"key", aws::Base64Encode(p.key)}, {"value", aws::Base64Encode(p.value)}};
    if (p.lease != 0) put["lease"] = std::to_string(p.lease);
    success.push_back({{"request_put", put}});
  }
  for (const std::string& k : txn.deletes) {
    success.push_back({{"request_delete_range", {{"key", aws::Base64Encode(k)}}}});
  }
  json req = {{"compare", compares}, {"success", success}};
  SK_ASSIGN_OR_RETURN(std::string body, Post("/v3/kv/txn", req.dump()));
  SK_ASSIGN_OR_RETURN(json j, ParseJson(body));
  EtcdTxnResult out;
  out.succeeded = j.value("succeeded", false);
  out.revision = Int64Field(j.value("header", json::object()), "revision");
  return out;
}

Result<int64_t> EtcdClient::GrantLease(int64_t ttl_seconds) {
  json req = {{"TTL", std::to_string(ttl_seconds)}};
  SK_ASSIGN_OR_RETURN(std::string body, Post("/v3/lease/grant", req.dump()));
  SK_ASSIGN_OR_RETURN(json j, ParseJson(body));
  if (j.contains("error") && !j["error"].get<std::string>().empty()) {
    return Internal("etcd: lease grant: " + j["error"].get<std::string>());
  }
  int64_t id = Int64Field(j, "ID");
  if (id == 0) return Internal("etcd: lease grant returned no id: " + body.substr(0, 200));
  return id;
}

Result<int64_t> EtcdClient::KeepAlive(int64_t lease) {
  json req = {{"ID", std::to_string(lease)}};
  SK_ASSIGN_OR_RETURN(std::string body, Post("/v3/lease/keepalive", req.dump()));
  // A stream endpoint: one JSON object per line, {"result": {...}}; we sent one request.
  size_t eol = body.find('\n');
  SK_ASSIGN_OR_RETURN(json j, ParseJson(body.substr(0, eol)));
  if (j.contains("error")) {
    const json& e = j["error"];
    return FromGrpc(e.value("grpc_code", e.value("code", 2)), e.value("message", body));
  }
  int64_t ttl = Int64Field(j.value("result", json::object()), "TTL");
  if (ttl <= 0) return NotFound("etcd: lease " + std::to_string(lease) + " has expired");
  return ttl;
}

Status EtcdClient::Revoke(int64_t lease) {
  json req = {{"ID", std::to_string(lease)}};
  Result<std::string> body = Post("/v3/lease/revoke", req.dump());
  if (!body.ok() && body.status().code() != Code::kNotFound) return body.status();
  return OkStatus();
}

Result<std::vector<std::string>> ParseEtcdUrl(const std::string& url) {
  const std::string scheme = "etcd://";
  if (url.rfind(scheme, 0) != 0) {
    return InvalidArgument("store URL '" + url + "' must start with etcd://");
  }
  std::vector<std::string> out;
  std::string rest = url.substr(scheme.size());
  size_t start = 0;
  while (start <= rest.size()) {
    size_t comma = rest.find(',', start);
    std::string hostport = rest.substr(start, comma == std::string::npos ? comma : comma - start);
    if (hostport.empty() || hostport.find(':') == std::string::npos ||
        hostport.find('/') != std::string::npos) {
      return InvalidArgument("store URL '" + url + "': '" + hostport +
                             "' is not host:port (etcd://host:port,host:port,...)");
    }
    out.push_back("http://" + hostport);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace spotkeeper
