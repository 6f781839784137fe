#include "awsproto/fake_http_client.h"

namespace spotkeeper::aws {

void FakeHttpClient::SetHandler(Handler handler) {
  std::lock_guard<std::mutex> l(mu_);
  handler_ = std::move(handler);
}

void FakeHttpClient::Enqueue(Result<HttpResponse> response) {
  std::lock_guard<std::mutex> l(mu_);
  queue_.push_back(std::move(response));
}

void FakeHttpClient::Enqueue(int status, std::string body, HeaderList headers) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  Enqueue(Result<HttpResponse>(std::move(r)));
}

std::vector<HttpRequest> FakeHttpClient::requests() const {
  std::lock_guard<std::mutex> l(mu_);
  return requests_;
}

size_t FakeHttpClient::request_count() const {
  std::lock_guard<std::mutex> l(mu_);
  return requests_.size();
}

void FakeHttpClient::ClearRequests() {
  std::lock_guard<std::mutex> l(mu_);
  requests_.clear();
}

Result<HttpResponse> FakeHttpClient::Send(const HttpRequest& request) {
  Handler handler;
  {
    std::lock_guard<std::mutex> l(mu_);
    requests_.push_back(request);
    if (!queue_.empty()) {
      Result<HttpResponse> r = std::move(queue_.front());
      queue_.pop_front();
      return r;
    }
    handler = handler_;
  }
  if (handler) return handler(request);
  HttpResponse r;
  r.status = 599;
  r.body = "no response scripted";
  return r;
}

}  // namespace spotkeeper::aws
