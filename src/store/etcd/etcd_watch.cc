#include "store/etcd/etcd_watch.h"

#include <nlohmann/json.hpp>

#include "awsproto/crypto.h"
#include "store/etcd/etcd_json.h"

namespace spotkeeper {
namespace {

using etcd_json::BytesField;
using etcd_json::Int64Field;
using nlohmann::json;

Status ParseLine(std::string_view line, const std::function<void()>& on_created,
                 const std::function<void(const EtcdWatchEvent&)>& on_event) {
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Unavailable("etcd watch: not JSON: " + std::string(line.substr(0, 200)));
  }
  if (auto e = j.find("error"); e != j.end()) {
    return Unavailable("etcd watch: " + e->dump());
  }
  auto r = j.find("result");
  if (r == j.end() || !r->is_object()) {
    return Unavailable("etcd watch: no result in " + std::string(line.substr(0, 200)));
  }
  if (r->value("canceled", false)) {
    return Unavailable("etcd watch cancelled by etcd: " + r->value("cancel_reason", std::string()));
  }
  if (r->value("created", false) && on_created) on_created();
  for (const json& ev : r->value("events", json::array())) {
    EtcdWatchEvent out;
    // proto3 JSON leaves the enum out at its default (PUT).
    out.type = ev.value("type", std::string("PUT")) == "DELETE" ? EtcdWatchEvent::Type::kDelete
                                                                : EtcdWatchEvent::Type::kPut;
    json kv = ev.value("kv", json::object());
    SK_ASSIGN_OR_RETURN(out.key, BytesField(kv, "key"));
    SK_ASSIGN_OR_RETURN(out.value, BytesField(kv, "value"));
    out.mod_revision = Int64Field(kv, "mod_revision");
    if (on_event) on_event(out);
  }
  return OkStatus();
}

}  // namespace

EtcdWatch::EtcdWatch(std::vector<std::string> endpoints, aws::HttpStreamClient* http)
    : endpoints_(std::move(endpoints)), http_(http) {}

Status EtcdWatch::Parse(std::string& buffer, std::string_view data,
                        const std::function<void()>& on_created,
                        const std::function<void(const EtcdWatchEvent&)>& on_event) {
  buffer.append(data);
  size_t start = 0;
  for (size_t nl; (nl = buffer.find('\n', start)) != std::string::npos; start = nl + 1) {
    std::string_view line(buffer.data() + start, nl - start);
    if (line.find_first_not_of(" \r\t") == std::string_view::npos) continue;
    Status s = ParseLine(line, on_created, on_event);
    if (!s.ok()) return s;
  }
  buffer.erase(0, start);
  if (buffer.size() > (16u << 20)) return Unavailable("etcd watch: a line over 16 MiB");
  return OkStatus();
}

Status EtcdWatch::Run(const std::string& key, const std::function<void()>& on_created,
                      const std::function<void(const EtcdWatchEvent&)>& on_event) {
  if (endpoints_.empty()) return FailedPrecondition("etcd watch: no endpoints");
  if (cancel_.cancelled()) return Status(Code::kCancelled, "etcd watch cancelled");
  const std::string& endpoint = endpoints_[next_++ % endpoints_.size()];
  json create = {{"create_request", {{"key", aws::Base64Encode(key)}}}};
  aws::HttpRequest req;
  req.method = "POST";
  req.url = endpoint + "/v3/watch";
  req.headers = {{"Content-Type", "application/json"}};
  req.body = create.dump();
  std::string buffer;
  Status parsed;
  Status s = http_->Stream(
      req,
      [&](std::string_view data) {
        parsed = Parse(buffer, data, on_created, on_event);
        return parsed.ok();
      },
      &cancel_);
  if (!parsed.ok()) return parsed;
  if (!s.ok()) return s.code() == Code::kCancelled ? s : s.Annotate("etcd watch " + endpoint);
  return Unavailable("etcd watch " + endpoint + ": the stream ended");
}

}  // namespace spotkeeper
