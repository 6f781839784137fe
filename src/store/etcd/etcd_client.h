// EtcdClient: the few calls of etcd's v3 API that spotkeeper needs (range, txn, leases), over
// etcd's JSON gateway (POST /v3/kv/range, /v3/kv/txn, /v3/lease/*; keys and values base64) on
// an aws::HttpClient (libcurl in the server, a fake in unit tests). Why the gateway and not
// gRPC: docs/ha.md.
//
// Endpoints are tried in order, starting from the last one that answered: a request that could
// not be sent (connection refused) moves on to the next; any other failure is returned, since a
// transaction may then have been applied or not (Unavailable / DeadlineExceeded: outcome
// unknown). Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "awsproto/http_message.h"
#include "common/status.h"

namespace spotkeeper {

struct EtcdKv {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;
  int64_t lease = 0;
};

struct EtcdRange {
  int64_t revision = 0;  // the store's revision the range was read at
  std::vector<EtcdKv> kvs;
  bool more = false;  // limit cut the range short
};

// A compare of a Txn; only equality is used. A key that does not exist has create and mod
// revision 0.
struct EtcdCompare {
  enum class Target { kCreate, kMod, kLease };
  std::string key;
  Target target = Target::kMod;
  int64_t number = 0;
};

struct EtcdPut {
  std::string key;
  std::string value;
  int64_t lease = 0;  // 0: none
};

struct EtcdTxn {
  std::vector<EtcdCompare> compares;  // all must hold
  std::vector<EtcdPut> puts;          // then applied together
  std::vector<std::string> deletes;   // single keys
};

struct EtcdTxnResult {
  bool succeeded = false;
  int64_t revision = 0;  // the store's revision after the txn (the puts' mod_revision)
};

class EtcdClient {
 public:
  // `endpoints`: "http://host:port" each. `http` is not owned and must outlive the client.
  EtcdClient(std::vector<std::string> endpoints, aws::HttpClient* http);

  // Keys in [key, range_end) ("" range_end: just `key`), at `revision` (0: the latest), at most
  // `limit` (0: all), in key order; with `min_mod_revision`, only keys changed at or after it.
  Result<EtcdRange> Range(const std::string& key, const std::string& range_end,
                          int64_t revision = 0, int64_t limit = 0, int64_t min_mod_revision = 0);
  Result<EtcdTxnResult> Txn(const EtcdTxn& txn);

  // A lease of `ttl_seconds`; its id.
  Result<int64_t> GrantLease(int64_t ttl_seconds);
  // Renews the lease; the TTL it now has. NotFound if it has expired (or was revoked).
  Result<int64_t> KeepAlive(int64_t lease);
  Status Revoke(int64_t lease);

  // The range_end that covers every key starting with `prefix`.
  static std::string PrefixEnd(const std::string& prefix);

  const std::vector<std::string>& endpoints() const { return endpoints_; }

 private:
  // POSTs `body` to `path` on the endpoints; the parsed JSON answer, or the error it carries
  // (etcd's gRPC code mapped to a Status).
  Result<std::string> Post(const std::string& path, const std::string& body);

  std::vector<std::string> endpoints_;
  aws::HttpClient* http_;
  std::atomic<size_t> current_{0};
};

// "etcd://h1:2379,h2:2379" -> {"http://h1:2379", "http://h2:2379"}. InvalidArgument otherwise.
Result<std::vector<std::string>> ParseEtcdUrl(const std::string& url);

}  // namespace spotkeeper
