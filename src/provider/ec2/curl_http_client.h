// CurlHttpClient: aws::HttpClient over libcurl (TLS through OpenSSL). Connections are reused: each
// request borrows an idle easy handle (which keeps its connection cache) from a pool and returns
// it afterwards, so concurrent callers never share a handle. Streams (HttpStreamClient) use a
// handle of their own. Thread-safe.
#pragma once

#include <mutex>
#include <vector>

#include "awsproto/http_message.h"
#include "awsproto/http_stream.h"
#include "common/time.h"

namespace spotkeeper {

struct CurlHttpClientOptions {
  Duration connect_timeout = std::chrono::seconds(5);
  // Default total time per request (HttpRequest::timeout overrides it).
  Duration request_timeout = std::chrono::seconds(30);
  // Idle handles kept for reuse.
  size_t max_idle_handles = 8;
  bool verify_tls = true;
};

class CurlHttpClient final : public aws::HttpClient, public aws::HttpStreamClient {
 public:
  explicit CurlHttpClient(CurlHttpClientOptions options = {});
  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  // Transport errors: Unavailable with cloud_code "ConnectionFailed" when no connection could
  // be made (the request was not sent), DeadlineExceeded on a timeout, Unavailable otherwise.
  Result<aws::HttpResponse> Send(const aws::HttpRequest& request) override;
  // On a handle of its own (not pooled), driven by a curl multi handle so that Cancel() wakes
  // it at once.
  Status Stream(const aws::HttpRequest& request,
                const std::function<bool(std::string_view)>& on_data,
                aws::StreamCancel* cancel) override;

 private:
  void* Borrow();
  void Return(void* handle);

  CurlHttpClientOptions options_;
  std::mutex mu_;
  std::vector<void*> idle_;
};

}  // namespace spotkeeper
