// Test helpers for the ec2 provider: recorded responses from testdata/, a scripted EC2/SQS
// endpoint on a FakeHttpClient (answers by Action / X-Amz-Target and records what it was asked),
// and a provider wired to it with a FakeClock and a sleeper that only records.
#pragma once

#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "awsproto/credentials.h"
#include "awsproto/fake_http_client.h"
#include "awsproto/query_decoder.h"
#include "provider/ec2/ec2_provider.h"

namespace spotkeeper::testing {

inline std::string Testdata(const std::string& name) {
  std::ifstream in(std::string(SK_EC2_TESTDATA) + "/" + name, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline const char* kTestAccessKey = "AKIAUNITTEST00000001";
inline const char* kTestSecret = "unit-test-secret-never-logged-4f1c2a";
inline const char* kTestSessionToken = "unit-test-session-token-never-logged-9b3d";

// A scripted endpoint: per action (EC2 Action or SQS target without "AmazonSQS."), responses in
// order, the last one repeating; an unscripted action answers 400 InvalidAction.
class ScriptedAws {
 public:
  struct Reply {
    int status = 200;
    std::string body;
    Status transport;  // not OK: the HTTP client fails with this instead
  };

  explicit ScriptedAws(aws::FakeHttpClient* http) {
    http->SetHandler([this](const aws::HttpRequest& r) { return Handle(r); });
  }

  void On(const std::string& action, int status, const std::string& body) {
    std::lock_guard<std::mutex> l(mu_);
    replies_[action].push_back(Reply{status, body, OkStatus()});
  }
  void OnFile(const std::string& action, const std::string& file, int status = 200) {
    On(action, status, Testdata(file));
  }
  void OnTransportError(const std::string& action, Status s) {
    std::lock_guard<std::mutex> l(mu_);
    replies_[action].push_back(Reply{0, "", std::move(s)});
  }

  // Decoded parameters of each call to `action` (EC2), in order.
  std::vector<aws::QueryDecoder> Calls(const std::string& action) const {
    std::lock_guard<std::mutex> l(mu_);
    auto it = calls_.find(action);
    return it == calls_.end() ? std::vector<aws::QueryDecoder>() : it->second;
  }
  // Raw requests of each call to `action`.
  std::vector<aws::HttpRequest> Requests(const std::string& action) const {
    std::lock_guard<std::mutex> l(mu_);
    auto it = requests_.find(action);
    return it == requests_.end() ? std::vector<aws::HttpRequest>() : it->second;
  }
  size_t CallCount(const std::string& action) const { return Requests(action).size(); }

 private:
  Result<aws::HttpResponse> Handle(const aws::HttpRequest& r) {
    std::string action;
    aws::QueryDecoder params;
    if (auto target = aws::FindHeader(r.headers, "X-Amz-Target")) {
      action = target->substr(target->find('.') + 1);
    } else {
      auto decoded = aws::QueryDecoder::Parse(r.body);
      if (decoded.ok()) params = *decoded;
      action = params.GetOr("Action", "");
    }
    std::lock_guard<std::mutex> l(mu_);
    calls_[action].push_back(params);
    requests_[action].push_back(r);
    auto& queue = replies_[action];
    size_t& next = next_[action];
    if (queue.empty()) {
      return aws::HttpResponse{400,
                               {},
                               "<Response><Errors><Error><Code>InvalidAction</Code>"
                               "<Message>unscripted " +
                                   action + "</Message></Error></Errors></Response>"};
    }
    const Reply& reply = queue[std::min(next, queue.size() - 1)];
    ++next;
    if (!reply.transport.ok()) return reply.transport;
    return aws::HttpResponse{reply.status, {}, reply.body};
  }

  mutable std::mutex mu_;
  std::map<std::string, std::vector<Reply>> replies_;
  std::map<std::string, size_t> next_;
  std::map<std::string, std::vector<aws::QueryDecoder>> calls_;
  std::map<std::string, std::vector<aws::HttpRequest>> requests_;
};

// An Ec2Provider on a ScriptedAws: fake HTTP, FakeClock, recorded sleeps, fixed credentials.
struct ScriptedProvider {
  explicit ScriptedProvider(Ec2ProviderConfig config = {}, bool session_token = false)
      : aws(&http) {
    Ec2ProviderDeps deps;
    deps.http = &http;
    aws::Credentials c;
    c.access_key_id = kTestAccessKey;
    c.secret_access_key = kTestSecret;
    if (session_token) c.session_token = kTestSessionToken;
    deps.credentials = std::make_unique<aws::StaticCredentialsProvider>(c);
    deps.clock = &clock;
    deps.seed = 42;
    deps.sleep = [this](Duration d) {
      std::lock_guard<std::mutex> l(sleep_mu);
      sleeps.push_back(d);
      clock.Advance(d);
    };
    if (config.endpoint_url.empty()) config.endpoint_url = "https://ec2.test.local";
    auto p = Ec2Provider::Create(std::move(config), std::move(deps));
    if (p.ok()) provider = std::move(p).value();
  }
  std::vector<Duration> Sleeps() {
    std::lock_guard<std::mutex> l(sleep_mu);
    return sleeps;
  }

  FakeClock clock;
  aws::FakeHttpClient http;
  ScriptedAws aws;
  std::mutex sleep_mu;
  std::vector<Duration> sleeps;
  std::unique_ptr<Ec2Provider> provider;
};

}  // namespace spotkeeper::testing
