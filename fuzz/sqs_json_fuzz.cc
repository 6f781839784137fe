// Fuzz target: SQS's JSON protocol on both sides.
//   Input: first line "<Action>" (as in X-Amz-Target: AmazonSQS.<Action>), then the JSON body.
//   Server: the local cloud's SqsHandler::HandleJson(action, body) over its SqsService.
//   Client: the ec2 provider's SqsClient reading the same bytes as a reply to ReceiveMessage and
//   DeleteMessageBatch (HTTP 200) and as an error reply (HTTP 400, DecodeSqsError).
// Contracts besides "never crash": every server reply is a JSON object; an error reply carries
// __type; a client call on an error reply fails.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "awsproto/credentials.h"
#include "cloud_fixture.h"
#include "provider/ec2/aws_request_sender.h"
#include "provider/ec2/sqs_client.h"

namespace {

using namespace spotkeeper;

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "sqs_json_fuzz: %s\n%s\n", what, detail.c_str());
  std::abort();
}

// Answers every request with one scripted reply.
class ScriptedHttp final : public aws::HttpClient {
 public:
  aws::HttpResponse reply;
  Result<aws::HttpResponse> Send(const aws::HttpRequest&) override { return reply; }
};

aws::Credentials Creds() {
  aws::Credentials c;
  c.access_key_id = "AKIDEXAMPLE";
  c.secret_access_key = "secret";
  return c;
}

struct Client {
  Client()
      : creds(Creds()),
        sender(&http, &creds, &clock, 1, RetryPolicy{1, Duration{1}, Duration{1}}, [](Duration) {}),
        sqs(&sender, "http://127.0.0.1:1", "local-1") {}
  ScriptedHttp http;
  aws::StaticCredentialsProvider creds;
  FakeClock clock;
  AwsRequestSender sender;
  SqsClient sqs;
};

void ServerSide(const std::string& action, std::string body) {
  // A long poll waits in real time: the fuzzer asks for none (a bad value stays, to be refused).
  if (action == "ReceiveMessage") {
    nlohmann::json in = nlohmann::json::parse(body, nullptr, false);
    if (in.is_object() && (!in.contains("WaitTimeSeconds") || in["WaitTimeSeconds"].is_number())) {
      in["WaitTimeSeconds"] = 0;
      body = in.dump();
    }
  }
  cloud::ApiReply reply = fuzz::CloudFixture::Get().sqs().HandleJson(action, body, "fuzz-req");
  nlohmann::json j = nlohmann::json::parse(reply.body, nullptr, false);
  if (!j.is_object()) Fail("reply is not a JSON object", reply.body);
  if (reply.status >= 400 && !j.contains("__type")) Fail("error reply without __type", reply.body);
}

void ClientSide(const std::string& body) {
  static Client* client = new Client();
  const std::string queue = "http://127.0.0.1:1/000000000000/q";
  client->http.reply =
      aws::HttpResponse{200, {{"Content-Type", "application/x-amz-json-1.0"}}, body};
  (void)client->sqs.ReceiveMessages(queue, 10, 0, Duration{0});
  (void)client->sqs.DeleteMessages(queue, {"r1", "r2", "r3"});
  client->http.reply.status = 400;
  if (client->sqs.ReceiveMessages(queue, 10, 0, Duration{0}).ok()) {
    Fail("a 400 reply read as success", body);
  }
  (void)DecodeSqsError(client->http.reply);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t nl = text.find('\n');
  std::string action(text.substr(0, nl));
  std::string body(nl == std::string_view::npos ? "" : text.substr(nl + 1));
  ServerSide(action, body);
  ClientSide(body);
  return 0;
}
