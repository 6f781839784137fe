#include "provider/ec2/sqs_client.h"

#include <algorithm>
#include <charconv>

#include "awsproto/aws_error.h"

namespace spotkeeper {
namespace {

// obj[key] when it is a string, else "" (replies are untrusted input).
std::string StringField(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

Status DecodeSqsError(const aws::HttpResponse& response) {
  if (auto e = aws::ParseJsonErrorBody(response.body, response.headers)) {
    return aws::StatusFromAwsError(*e, response.status);
  }
  // Old Query-protocol SQS endpoints answer in XML.
  if (auto e = aws::ParseEc2ErrorBody(response.body)) {
    return aws::StatusFromAwsError(*e, response.status);
  }
  return Status(aws::CodeForAwsError("", response.status),
                "HTTP " + std::to_string(response.status) + ": " + response.body.substr(0, 200));
}

SqsClient::SqsClient(AwsRequestSender* sender, std::string endpoint, std::string region)
    : sender_(sender), endpoint_(std::move(endpoint)), signer_(std::move(region), "sqs") {
  while (!endpoint_.empty() && endpoint_.back() == '/') endpoint_.pop_back();
}

Result<nlohmann::json> SqsClient::Call(const std::string& action, const nlohmann::json& input,
                                       bool idempotent, Duration timeout) {
  std::string what = "sqs " + action;
  aws::HttpRequest request;
  request.method = "POST";
  request.url = endpoint_ + "/";
  request.headers = {{"Content-Type", "application/x-amz-json-1.0"},
                     {"X-Amz-Target", "AmazonSQS." + action}};
  request.body = input.dump();
  request.timeout = timeout;
  SK_ASSIGN_OR_RETURN(aws::HttpResponse response,
                      sender_->Send(request, signer_, idempotent, DecodeSqsError, what));
  if (response.body.empty()) return nlohmann::json::object();
  nlohmann::json j = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    return Status(Code::kInternal, what + ": reply is not a JSON object", "MalformedResponse");
  }
  return j;
}

Result<std::vector<SqsMessage>> SqsClient::ReceiveMessages(const std::string& queue_url,
                                                           int max_messages, int wait_seconds,
                                                           Duration extra_timeout) {
  nlohmann::json in = {{"QueueUrl", queue_url},
                       {"MaxNumberOfMessages", std::clamp(max_messages, 1, 10)},
                       {"WaitTimeSeconds", std::clamp(wait_seconds, 0, 20)}};
  Duration timeout = std::chrono::seconds(std::clamp(wait_seconds, 0, 20)) + extra_timeout;
  // Receiving twice only changes visibility: safe to retry.
  SK_ASSIGN_OR_RETURN(nlohmann::json out, Call("ReceiveMessage", in, true, timeout));
  std::vector<SqsMessage> messages;
  if (!out.contains("Messages") || !out["Messages"].is_array()) return messages;
  for (const auto& m : out["Messages"]) {
    if (!m.is_object()) continue;
    SqsMessage msg;
    msg.message_id = StringField(m, "MessageId");
    msg.receipt_handle = StringField(m, "ReceiptHandle");
    msg.body = StringField(m, "Body");
    if (!msg.receipt_handle.empty()) messages.push_back(std::move(msg));
  }
  return messages;
}

Result<std::vector<std::pair<std::string, std::string>>> SqsClient::DeleteMessages(
    const std::string& queue_url, const std::vector<std::string>& receipt_handles) {
  std::vector<std::pair<std::string, std::string>> failed;
  for (size_t start = 0; start < receipt_handles.size(); start += 10) {
    size_t end = std::min(receipt_handles.size(), start + 10);
    nlohmann::json entries = nlohmann::json::array();
    for (size_t i = start; i < end; ++i) {
      entries.push_back({{"Id", std::to_string(i - start)}, {"ReceiptHandle", receipt_handles[i]}});
    }
    SK_ASSIGN_OR_RETURN(
        nlohmann::json out,
        Call("DeleteMessageBatch", {{"QueueUrl", queue_url}, {"Entries", entries}}, true));
    if (out.contains("Failed") && out["Failed"].is_array()) {
      for (const auto& f : out["Failed"]) {
        if (!f.is_object()) continue;
        std::string id = StringField(f, "Id");
        size_t index = 0;
        auto [ptr, ec] = std::from_chars(id.data(), id.data() + id.size(), index);
        if (ec != std::errc() || ptr != id.data() + id.size() || start + index >= end) continue;
        failed.emplace_back(receipt_handles[start + index], StringField(f, "Code"));
      }
    }
  }
  return failed;
}

Result<std::string> SqsClient::CreateQueue(const std::string& name) {
  SK_ASSIGN_OR_RETURN(nlohmann::json out, Call("CreateQueue", {{"QueueName", name}}, true));
  return StringField(out, "QueueUrl");
}

Result<std::string> SqsClient::SendMessage(const std::string& queue_url, const std::string& body) {
  SK_ASSIGN_OR_RETURN(nlohmann::json out,
                      Call("SendMessage", {{"QueueUrl", queue_url}, {"MessageBody", body}}, false));
  return StringField(out, "MessageId");
}

}  // namespace spotkeeper
