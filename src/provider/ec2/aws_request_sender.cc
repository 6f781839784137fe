#include "provider/ec2/aws_request_sender.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "awsproto/aws_error.h"

namespace spotkeeper {

AwsRequestSender::AwsRequestSender(aws::HttpClient* http, aws::CredentialsProvider* credentials,
                                   const Clock* clock, uint64_t seed, RetryPolicy policy,
                                   Sleeper sleep)
    : http_(http),
      credentials_(credentials),
      clock_(clock),
      policy_(policy),
      sleep_(sleep ? std::move(sleep) : RealSleeper()),
      random_(seed) {
  policy_.max_attempts = std::max(1, policy_.max_attempts);
}

bool AwsRequestSender::ShouldRetry(const Status& status, bool idempotent) {
  if (status.ok()) return false;
  if (aws::IsThrottlingError(status.cloud_code())) return true;
  if (status.cloud_code() == aws::kConnectionFailed) return true;
  if (!idempotent) return false;
  // 5xx replies map to Unavailable (capacity errors map to ResourceExhausted and stay out);
  // transport failures are Unavailable or DeadlineExceeded.
  return status.code() == Code::kUnavailable || status.code() == Code::kDeadlineExceeded;
}

Duration AwsRequestSender::Backoff(int retry) {
  int64_t cap = policy_.base_delay.count();
  for (int i = 0; i < retry && cap < policy_.max_delay.count(); ++i) cap *= 2;
  cap = std::min<int64_t>(cap, policy_.max_delay.count());
  if (cap <= 0) return Duration{0};
  std::lock_guard<std::mutex> l(mu_);
  return Duration{1 + static_cast<int64_t>(random_.Uniform(static_cast<uint64_t>(cap)))};
}

AwsRequestSender::Stats AwsRequestSender::stats() const {
  std::lock_guard<std::mutex> l(mu_);
  return stats_;
}

Result<aws::HttpResponse> AwsRequestSender::Send(const aws::HttpRequest& request,
                                                 const aws::Sigv4Signer& signer, bool idempotent,
                                                 const ErrorDecoder& decode,
                                                 const std::string& what) {
  Status last;
  int attempts = 0;
  for (int attempt = 0; attempt < policy_.max_attempts; ++attempt) {
    if (attempt > 0) {
      Duration delay = Backoff(attempt - 1);
      spdlog::debug("{}: {}; retry {}/{} in {}", what, last.ToString(), attempt,
                    policy_.max_attempts - 1, FormatDuration(delay));
      {
        std::lock_guard<std::mutex> l(mu_);
        ++stats_.retries;
      }
      sleep_(delay);
    }
    Result<aws::Credentials> creds = credentials_->Get();
    if (!creds.ok()) return creds.status().Annotate(what);
    aws::HttpRequest signed_request = request;
    SK_RETURN_IF_ERROR(signer.Sign(signed_request, *creds, clock_->Now()));
    {
      std::lock_guard<std::mutex> l(mu_);
      ++stats_.requests;
    }
    ++attempts;
    Result<aws::HttpResponse> response = http_->Send(signed_request);
    if (response.ok() && response->status >= 200 && response->status < 300) return response;
    last = response.ok() ? decode(*response) : response.status();
    if (!ShouldRetry(last, idempotent)) break;
  }
  return last.Annotate(attempts > 1 ? what + " (" + std::to_string(attempts) + " attempts)" : what);
}

}  // namespace spotkeeper
