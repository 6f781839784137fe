// CloudServer: the local cloud's one HTTP endpoint (cpp-httplib, 127.0.0.1:7781 by default)
// for EC2 (Query protocol, POST form bodies or GET query strings) and SQS (JSON protocol when
// X-Amz-Target is AmazonSQS.*, else its Query protocol for SQS actions). Every request must be
// SigV4-signed with the cloud's access key (awsproto's verifier): an unknown key is AuthFailure,
// a wrong signature SignatureDoesNotMatch, in the protocol's error shape. Before any body byte
// is read (see common/http_body_guard.h), a request without an Authorization header or an
// X-Amz-Signature query parameter gets 401 MissingAuthenticationToken, and a body over
// max_body_bytes 413 RequestEntityTooLarge (a chunked one as soon as it passes the cap);
// a Content-Encoding other than identity gets 415.
//
// Paths under /_spotkeeper/ are the admin API (admin_api.h): JSON, signed with the same key
// for the SigV4 service "spotkeeper"; an unsigned request or a bad signature gets 403 with a
// JSON error saying how to sign. EC2 calls of the actions Ec2Handler serves go through the
// fault injector (ec2_fault_injector.h) first, when one is given.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "cloud/api/access_keys.h"
#include "cloud/api/admin_api.h"
#include "cloud/api/ec2_fault_injector.h"
#include "cloud/api/ec2_handler.h"
#include "cloud/api/sqs_handler.h"
#include "common/random.h"

namespace httplib {
class Server;
}

namespace spotkeeper::cloud {

struct CloudServerOptions {
  std::string host = "127.0.0.1";
  int port = 7781;  // 0: any free port
  std::string region = "local-1";
  Duration max_skew = std::chrono::minutes(5);
  int threads = 16;  // concurrent requests (long polls hold one each)
  // EC2 Query requests are small (RunInstances UserData is at most 16 KiB base64) and SQS
  // messages at most 256 KiB on AWS: 1 MiB leaves room for batches.
  size_t max_body_bytes = 1 << 20;
  const Clock* clock = SystemClock::Default();
  // Optional; both must outlive the server. Without `admin`, admin paths answer 404.
  Ec2FaultInjector* faults = nullptr;
  AdminApi* admin = nullptr;
};

// Per-action call counts and latencies, for `cloud serve` logs and benchmarks.
struct ActionStats {
  int64_t calls = 0;
  int64_t errors = 0;
  double total_ms = 0;
  double max_ms = 0;
};

class CloudServer {
 public:
  CloudServer(Ec2Handler* ec2, SqsHandler* sqs, AccessKey key, CloudServerOptions options);
  ~CloudServer();  // Stop()

  // Binds and starts serving on a background thread.
  Status Start();
  void Stop();
  int port() const { return port_; }
  // "http://127.0.0.1:<port>"
  std::string endpoint() const;
  std::map<std::string, ActionStats> Stats() const;

 private:
  // The pre-routing check (httplib::Request/Response); true when it has refused the request.
  bool Admit(const void* request, void* response);
  void Serve(const void* request, void* response);
  // An admin API request (its signature is checked here).
  void ServeAdmin(const void* request, void* response, const std::string& request_id,
                  const aws::HttpRequest& signed_req);
  void Record(const std::string& action, double ms, bool error);
  std::string NewRequestId();

  Ec2Handler* ec2_;
  SqsHandler* sqs_;
  AccessKey key_;
  CloudServerOptions options_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mu_;
  Random random_;
  std::map<std::string, ActionStats> stats_;
};

}  // namespace spotkeeper::cloud
