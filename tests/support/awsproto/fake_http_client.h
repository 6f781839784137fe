// FakeHttpClient: an in-memory HttpClient for tests. Queued responses are served first, in
// order; then the handler answers; without either, a 599 "no response scripted" response.
// Every request is recorded. Thread-safe.
#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include "awsproto/http_message.h"

namespace spotkeeper::aws {

class FakeHttpClient final : public HttpClient {
 public:
  using Handler = std::function<Result<HttpResponse>(const HttpRequest&)>;

  void SetHandler(Handler handler);
  void Enqueue(Result<HttpResponse> response);
  void Enqueue(int status, std::string body, HeaderList headers = {});

  std::vector<HttpRequest> requests() const;
  size_t request_count() const;
  void ClearRequests();

  Result<HttpResponse> Send(const HttpRequest& request) override;

 private:
  mutable std::mutex mu_;
  Handler handler_;
  std::deque<Result<HttpResponse>> queue_;
  std::vector<HttpRequest> requests_;
};

}  // namespace spotkeeper::aws
