// HttpStreamClient: a request whose response body arrives over a long time and is handed over
// as it comes (etcd's watch over its JSON gateway: one JSON object per event, the response never
// ends by itself). CurlHttpClient implements it.
#pragma once

#include <functional>
#include <mutex>
#include <string_view>

#include "awsproto/http_message.h"
#include "common/status.h"

namespace spotkeeper::aws {

// Ends a stream from another thread. Thread-safe.
class StreamCancel {
 public:
  void Cancel() {
    std::function<void()> wake;
    {
      std::lock_guard<std::mutex> l(mu_);
      cancelled_ = true;
      wake = wake_;
    }
    if (wake) wake();
  }
  bool cancelled() const {
    std::lock_guard<std::mutex> l(mu_);
    return cancelled_;
  }
  // For implementations: Cancel() calls `wake` (to interrupt a wait) while it is set. Returns
  // false (and does not set it) when already cancelled.
  bool SetWake(std::function<void()> wake) {
    std::lock_guard<std::mutex> l(mu_);
    if (cancelled_) return false;
    wake_ = std::move(wake);
    return true;
  }
  void ClearWake() {
    std::lock_guard<std::mutex> l(mu_);
    wake_ = nullptr;
  }

 private:
  mutable std::mutex mu_;
  bool cancelled_ = false;
  std::function<void()> wake_;
};

class HttpStreamClient {
 public:
  virtual ~HttpStreamClient() = default;
  // Sends `request` (its timeout is ignored: a stream lasts until it ends) and passes the
  // response body to `on_data` as it arrives; `on_data` returns false to end the stream.
  // OkStatus when the server ended the response or on_data stopped it; Cancelled when `cancel`
  // was cancelled; a status other than 2xx: Unavailable with the start of the body; transport
  // errors as HttpClient::Send.
  virtual Status Stream(const HttpRequest& request,
                        const std::function<bool(std::string_view)>& on_data,
                        StreamCancel* cancel) = 0;
};

}  // namespace spotkeeper::aws
