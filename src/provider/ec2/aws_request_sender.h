// AwsRequestSender: signs a request with SigV4, sends it, turns an error reply into a Status with
// the protocol's decoder, and retries what may go away by itself.
//
// Retry rule (one place): throttling errors (RequestLimitExceeded, Throttling, ...) and
// connections that could not be made are retried for every call; 5xx replies and other transport
// failures (timeouts, resets) are retried only for idempotent calls, since a non-idempotent call
// (CreateSnapshot, RegisterImage: no ClientToken) may have taken effect. 4xx replies are never
// retried, and neither are capacity errors such as InsufficientInstanceCapacity (HTTP 500).
// Backoff: "full jitter" exponential, delay drawn uniformly from (0, min(max_delay,
// base_delay * 2^retry)] with a seeded Random; sleeping goes through a seam.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "awsproto/credentials.h"
#include "awsproto/http_message.h"
#include "awsproto/sigv4.h"
#include "common/random.h"
#include "common/time.h"

namespace spotkeeper {

struct RetryPolicy {
  int max_attempts = 5;  // including the first
  Duration base_delay = std::chrono::milliseconds(100);
  Duration max_delay = std::chrono::seconds(20);
};

// Turns a non-2xx reply into a Status (the protocol's error body parser).
using ErrorDecoder = std::function<Status(const aws::HttpResponse&)>;

class AwsRequestSender {
 public:
  struct Stats {
    int64_t requests = 0;  // attempts sent
    int64_t retries = 0;
  };

  // `http`, `credentials` and `clock` must outlive the sender.
  AwsRequestSender(aws::HttpClient* http, aws::CredentialsProvider* credentials, const Clock* clock,
                   uint64_t seed, RetryPolicy policy, Sleeper sleep);

  // Sends `request` (unsigned; signed afresh per attempt) signed by `signer`. `what` names the
  // call in logs and error messages ("ec2 RunInstances"). Returns the 2xx response, or the
  // decoded error of the last attempt annotated with `what`.
  Result<aws::HttpResponse> Send(const aws::HttpRequest& request, const aws::Sigv4Signer& signer,
                                 bool idempotent, const ErrorDecoder& decode,
                                 const std::string& what);

  // True when `status` (from a reply or the transport) should be retried.
  static bool ShouldRetry(const Status& status, bool idempotent);

  Stats stats() const;

 private:
  Duration Backoff(int retry);

  aws::HttpClient* http_;
  aws::CredentialsProvider* credentials_;
  const Clock* clock_;
  RetryPolicy policy_;
  Sleeper sleep_;
  mutable std::mutex mu_;
  Random random_;
  Stats stats_;
};

}  // namespace spotkeeper
