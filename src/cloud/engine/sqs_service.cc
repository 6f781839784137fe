#include "cloud/engine/sqs_service.h"

#include <openssl/evp.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "awsproto/crypto.h"

namespace spotkeeper::cloud {
namespace {

Status SqsError(Code code, const std::string& aws_code, std::string message) {
  return Status(code, std::move(message), aws_code);
}

Status NoQueue() {
  return SqsError(Code::kNotFound, "QueueDoesNotExist", "The specified queue does not exist.");
}

std::string Md5Hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_md5(), nullptr);
  return aws::HexEncode(std::string_view(reinterpret_cast<const char*>(digest), len));
}

bool ValidQueueName(const std::string& name) {
  if (name.empty() || name.size() > 80) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

Result<int> IntAttr(const std::map<std::string, std::string>& attrs, const std::string& key,
                    int fallback, int lo, int hi) {
  auto it = attrs.find(key);
  if (it == attrs.end()) return fallback;
  const std::string& v = it->second;
  if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(v) < lo || std::stoi(v) > hi) {
    return SqsError(Code::kInvalidArgument, "InvalidAttributeValue",
                    "Invalid value for the parameter " + key + ".");
  }
  return std::stoi(v);
}

}  // namespace

SqsService::SqsService(CloudDb* db, const Clock* clock, uint64_t seed, std::string account_id,
                       std::string endpoint)
    : db_(db),
      clock_(clock),
      account_id_(std::move(account_id)),
      random_(seed),
      endpoint_(std::move(endpoint)) {}

SqsService::~SqsService() { Close(); }

void SqsService::SetEndpoint(const std::string& endpoint) {
  std::lock_guard<std::mutex> lock(mu_);
  endpoint_ = endpoint;
}

std::string SqsService::QueueUrl(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  return endpoint_ + "/" + account_id_ + "/" + name;
}

std::string SqsService::NewId() {
  std::lock_guard<std::mutex> lock(mu_);
  std::string h = random_.Hex(32);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20, 12);
}

Result<std::string> SqsService::QueueNameFromUrl(const std::string& url) {
  std::string path = url;
  if (size_t q = path.find('?'); q != std::string::npos) path.resize(q);
  while (!path.empty() && path.back() == '/') path.pop_back();
  size_t slash = path.rfind('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (!ValidQueueName(name)) return NoQueue();
  SK_RETURN_IF_ERROR(LoadQueue(name).status());
  return name;
}

Result<SqsService::QueueAttrs> SqsService::LoadQueue(const std::string& name) {
  std::string attrs_json;
  bool found = false;
  SK_RETURN_IF_ERROR(
      db_->Query("SELECT attributes FROM sqs_queues WHERE name = ?", {name}, [&](const DbRow& r) {
        attrs_json = std::get<std::string>(r[0]);
        found = true;
      }));
  if (!found) return NoQueue();
  nlohmann::json j = nlohmann::json::parse(attrs_json, nullptr, false);
  QueueAttrs a;
  if (j.is_object()) {
    a.visibility_timeout = j.value("VisibilityTimeout", a.visibility_timeout);
    a.retention_seconds = j.value("MessageRetentionPeriod", a.retention_seconds);
    a.receive_wait_seconds = j.value("ReceiveMessageWaitTimeSeconds", a.receive_wait_seconds);
    a.delay_seconds = j.value("DelaySeconds", a.delay_seconds);
    a.max_message_size = j.value("MaximumMessageSize", a.max_message_size);
  }
  return a;
}

Result<std::string> SqsService::CreateQueue(const std::string& name,
                                            const std::map<std::string, std::string>& attributes) {
  if (name.size() > 5 && name.substr(name.size() - 5) == ".fifo") {
    return SqsError(Code::kInvalidArgument, "UnsupportedOperation",
                    "FIFO queues are not supported by the spotkeeper local cloud.");
  }
  if (!ValidQueueName(name)) {
    return SqsError(Code::kInvalidArgument, "InvalidParameterValue",
                    "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 "
                    "in length");
  }
  for (const auto& [k, v] : attributes) {
    static const char* kKnown[] = {
        "VisibilityTimeout", "MessageRetentionPeriod", "ReceiveMessageWaitTimeSeconds",
        "DelaySeconds",      "MaximumMessageSize",     "Policy",
        "RedrivePolicy"};
    if (std::none_of(std::begin(kKnown), std::end(kKnown),
                     [&k = k](const char* n) { return k == n; })) {
      return SqsError(Code::kInvalidArgument, "InvalidAttributeName",
                      "Unknown Attribute " + k + ".");
    }
  }
  nlohmann::json j = nlohmann::json::object();
  SK_ASSIGN_OR_RETURN(j["VisibilityTimeout"],
                      IntAttr(attributes, "VisibilityTimeout", 30, 0, 43200));
  SK_ASSIGN_OR_RETURN(j["MessageRetentionPeriod"],
                      IntAttr(attributes, "MessageRetentionPeriod", 345600, 60, 1209600));
  SK_ASSIGN_OR_RETURN(j["ReceiveMessageWaitTimeSeconds"],
                      IntAttr(attributes, "ReceiveMessageWaitTimeSeconds", 0, 0, 20));
  SK_ASSIGN_OR_RETURN(j["DelaySeconds"], IntAttr(attributes, "DelaySeconds", 0, 0, 900));
  SK_ASSIGN_OR_RETURN(j["MaximumMessageSize"],
                      IntAttr(attributes, "MaximumMessageSize", 262144, 1024, 262144));
  CloudDb::Transaction tx(db_);
  std::string existing;
  bool found = false;
  SK_RETURN_IF_ERROR(
      db_->Query("SELECT attributes FROM sqs_queues WHERE name = ?", {name}, [&](const DbRow& r) {
        existing = std::get<std::string>(r[0]);
        found = true;
      }));
  if (found) {
    if (!attributes.empty() && nlohmann::json::parse(existing, nullptr, false) != j) {
      return SqsError(Code::kAlreadyExists, "QueueNameExists",
                      "A queue already exists with the same name and a different value for "
                      "attribute(s) " +
                          attributes.begin()->first);
    }
  } else {
    SK_RETURN_IF_ERROR(
        db_->Exec("INSERT INTO sqs_queues(name, attributes, created_ms) VALUES "
                  "(?, ?, ?)",
                  {name, j.dump(), ToMillis(clock_->Now())}));
  }
  SK_RETURN_IF_ERROR(tx.Commit());
  return QueueUrl(name);
}

Result<std::string> SqsService::GetQueueUrl(const std::string& name) {
  SK_RETURN_IF_ERROR(LoadQueue(name).status());
  return QueueUrl(name);
}

Result<std::vector<std::string>> SqsService::ListQueues(const std::string& prefix) {
  std::vector<std::string> urls;
  SK_RETURN_IF_ERROR(
      db_->Query("SELECT name FROM sqs_queues ORDER BY name", {}, [&](const DbRow& r) {
        const std::string& n = std::get<std::string>(r[0]);
        if (n.compare(0, prefix.size(), prefix) == 0) {
          urls.push_back(QueueUrl(n));
        }
      }));
  return urls;
}

Status SqsService::DeleteQueue(const std::string& name) {
  CloudDb::Transaction tx(db_);
  SK_RETURN_IF_ERROR(LoadQueue(name).status());
  SK_RETURN_IF_ERROR(db_->Exec("DELETE FROM sqs_messages WHERE queue = ?", {name}));
  SK_RETURN_IF_ERROR(db_->Exec("DELETE FROM sqs_queues WHERE name = ?", {name}));
  return tx.Commit();
}

Status SqsService::PurgeQueue(const std::string& name) {
  CloudDb::Transaction tx(db_);
  SK_RETURN_IF_ERROR(LoadQueue(name).status());
  SK_RETURN_IF_ERROR(db_->Exec("DELETE FROM sqs_messages WHERE queue = ?", {name}));
  return tx.Commit();
}

Result<std::map<std::string, std::string>> SqsService::GetQueueAttributes(const std::string& name) {
  SK_ASSIGN_OR_RETURN(QueueAttrs a, LoadQueue(name));
  int64_t now = ToMillis(clock_->Now());
  int64_t visible = 0, invisible = 0, delayed = 0;
  SK_RETURN_IF_ERROR(
      db_->Query("SELECT visible_ms, receive_count FROM sqs_messages WHERE queue = ?", {name},
                 [&](const DbRow& r) {
                   int64_t vis = std::get<int64_t>(r[0]);
                   if (vis <= now) {
                     ++visible;
                   } else if (std::get<int64_t>(r[1]) > 0) {
                     ++invisible;
                   } else {
                     ++delayed;
                   }
                 }));
  return std::map<std::string, std::string>{
      {"ApproximateNumberOfMessages", std::to_string(visible)},
      {"ApproximateNumberOfMessagesNotVisible", std::to_string(invisible)},
      {"ApproximateNumberOfMessagesDelayed", std::to_string(delayed)},
      {"VisibilityTimeout", std::to_string(a.visibility_timeout)},
      {"MessageRetentionPeriod", std::to_string(a.retention_seconds)},
      {"ReceiveMessageWaitTimeSeconds", std::to_string(a.receive_wait_seconds)},
      {"DelaySeconds", std::to_string(a.delay_seconds)},
      {"MaximumMessageSize", std::to_string(a.max_message_size)},
      {"QueueArn", "arn:aws:sqs:local:" + account_id_ + ":" + name},
  };
}

Result<SqsSent> SqsService::SendMessage(const std::string& name, const std::string& body,
                                        std::optional<int> delay_seconds) {
  SK_ASSIGN_OR_RETURN(QueueAttrs a, LoadQueue(name));
  if (body.empty()) {
    return SqsError(Code::kInvalidArgument, "MissingParameter",
                    "The request must contain the parameter MessageBody.");
  }
  if (static_cast<int>(body.size()) > a.max_message_size) {
    return SqsError(Code::kInvalidArgument, "InvalidParameterValue",
                    "One or more parameters are invalid. Reason: Message must be shorter than " +
                        std::to_string(a.max_message_size) + " bytes.");
  }
  int delay = delay_seconds.value_or(a.delay_seconds);
  if (delay < 0 || delay > 900) {
    return SqsError(Code::kInvalidArgument, "InvalidParameterValue",
                    "Value " + std::to_string(delay) +
                        " for parameter DelaySeconds is invalid. Reason: must be between 0 and "
                        "900.");
  }
  SqsSent sent{NewId(), Md5Hex(body)};
  int64_t now = ToMillis(clock_->Now());
  // Messages past the queue's MessageRetentionPeriod go on send too, so a queue nobody reads
  // stays bounded (as on SQS) instead of waiting for a receive.
  SK_RETURN_IF_ERROR(db_->Exec("DELETE FROM sqs_messages WHERE queue = ? AND sent_ms < ?",
                               {name, now - int64_t{a.retention_seconds} * 1000}));
  SK_RETURN_IF_ERROR(db_->Exec(
      "INSERT INTO sqs_messages(id, queue, body, sent_ms, visible_ms, receive_count, receipt, "
      "first_receive_ms, seq) VALUES (?, ?, ?, ?, ?, 0, '', 0, "
      "(SELECT COALESCE(MAX(seq), 0) + 1 FROM sqs_messages))",
      {sent.message_id, name, body, now, now + int64_t{delay} * 1000}));
  {
    std::lock_guard<std::mutex> lock(wake_mu_);
    ++generation_;
  }
  wake_cv_.notify_all();
  return sent;
}

Result<std::vector<SqsReceived>> SqsService::TryReceive(const std::string& name,
                                                        const QueueAttrs& attrs, int max,
                                                        int visibility_timeout) {
  CloudDb::Transaction tx(db_);
  int64_t now = ToMillis(clock_->Now());
  SK_RETURN_IF_ERROR(db_->Exec("DELETE FROM sqs_messages WHERE queue = ? AND sent_ms < ?",
                               {name, now - int64_t{attrs.retention_seconds} * 1000}));
  std::vector<SqsReceived> out;
  std::vector<std::tuple<std::string, int64_t, int64_t, int64_t>> rows;
  SK_RETURN_IF_ERROR(db_->Query(
      "SELECT id, body, sent_ms, receive_count, first_receive_ms FROM sqs_messages WHERE queue = ? "
      "AND visible_ms <= ? ORDER BY seq LIMIT ?",
      {name, now, int64_t{max}}, [&](const DbRow& r) {
        SqsReceived m;
        m.message_id = std::get<std::string>(r[0]);
        m.body = std::get<std::string>(r[1]);
        m.md5_of_body = Md5Hex(m.body);
        int64_t count = std::get<int64_t>(r[3]) + 1;
        int64_t first = std::get<int64_t>(r[4]) == 0 ? now : std::get<int64_t>(r[4]);
        m.attributes = {{"SentTimestamp", std::to_string(std::get<int64_t>(r[2]))},
                        {"ApproximateReceiveCount", std::to_string(count)},
                        {"ApproximateFirstReceiveTimestamp", std::to_string(first)},
                        {"SenderId", account_id_}};
        rows.emplace_back(m.message_id, count, first, 0);
        out.push_back(std::move(m));
      }));
  for (size_t i = 0; i < out.size(); ++i) {
    std::string token;
    {
      std::lock_guard<std::mutex> lock(mu_);
      token = random_.Hex(24);
    }
    out[i].receipt_handle = aws::Base64Encode(out[i].message_id + "#" + token);
    SK_RETURN_IF_ERROR(
        db_->Exec("UPDATE sqs_messages SET visible_ms = ?, receive_count = ?, receipt = ?, "
                  "first_receive_ms = ? WHERE id = ?",
                  {now + int64_t{visibility_timeout} * 1000, std::get<1>(rows[i]),
                   out[i].receipt_handle, std::get<2>(rows[i]), out[i].message_id}));
  }
  SK_RETURN_IF_ERROR(tx.Commit());
  return out;
}

Result<std::vector<SqsReceived>> SqsService::ReceiveMessage(const std::string& name, int max,
                                                            std::optional<int> visibility_timeout,
                                                            std::optional<int> wait_seconds) {
  SK_ASSIGN_OR_RETURN(QueueAttrs attrs, LoadQueue(name));
  if (max < 1 || max > 10) {
    return SqsError(Code::kInvalidArgument, "InvalidParameterValue",
                    "Value " + std::to_string(max) +
                        " for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 "
                        "and 10, if provided.");
  }
  int wait = wait_seconds.value_or(attrs.receive_wait_seconds);
  if (wait < 0 || wait > 20) {
    return SqsError(Code::kInvalidArgument, "InvalidParameterValue",
                    "Value " + std::to_string(wait) +
                        " for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= "
                        "20, if provided.");
  }
  int vis = visibility_timeout.value_or(attrs.visibility_timeout);
  if (vis < 0 || vis > 43200) {
    return SqsError(
        Code::kInvalidArgument, "InvalidParameterValue",
        "Value " + std::to_string(vis) + " for parameter VisibilityTimeout is invalid.");
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait);
  for (;;) {
    uint64_t gen;
    {
      std::lock_guard<std::mutex> lock(wake_mu_);
      gen = generation_;
    }
    SK_ASSIGN_OR_RETURN(std::vector<SqsReceived> got, TryReceive(name, attrs, max, vis));
    if (!got.empty()) return got;
    std::unique_lock<std::mutex> lock(wake_mu_);
    if (closed_) return got;
    // Wake on a new message, on Close, or at the deadline; re-check at least every 200 ms so
    // that messages becoming visible again (visibility timeout) are seen. Bounded by `deadline`.
    auto next =
        std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(200));
    wake_cv_.wait_until(lock, next, [&] { return closed_ || generation_ != gen; });
    if (std::chrono::steady_clock::now() >= deadline && generation_ == gen) {
      lock.unlock();
      return TryReceive(name, attrs, max, vis);
    }
  }
}

Status SqsService::DeleteMessage(const std::string& name, const std::string& receipt_handle) {
  SK_RETURN_IF_ERROR(LoadQueue(name).status());
  auto decoded = aws::Base64Decode(receipt_handle);
  size_t hash = decoded.ok() ? decoded->find('#') : std::string::npos;
  if (receipt_handle.empty() || hash == std::string::npos) {
    return SqsError(Code::kInvalidArgument, "ReceiptHandleIsInvalid",
                    "The input receipt handle \"" + receipt_handle +
                        "\" is not a valid receipt "
                        "handle.");
  }
  // Only the latest receipt deletes; an older one or an already deleted message is a no-op.
  return db_->Exec("DELETE FROM sqs_messages WHERE queue = ? AND id = ? AND receipt = ?",
                   {name, decoded->substr(0, hash), receipt_handle});
}

Status SqsService::ChangeMessageVisibility(const std::string& name,
                                           const std::string& receipt_handle,
                                           int visibility_timeout) {
  SK_RETURN_IF_ERROR(LoadQueue(name).status());
  if (visibility_timeout < 0 || visibility_timeout > 43200) {
    return SqsError(Code::kInvalidArgument, "InvalidParameterValue",
                    "Value " + std::to_string(visibility_timeout) +
                        " for parameter VisibilityTimeout is invalid. Reason: Must be between 0 "
                        "and 43200.");
  }
  auto decoded = aws::Base64Decode(receipt_handle);
  size_t hash = decoded.ok() ? decoded->find('#') : std::string::npos;
  if (receipt_handle.empty() || hash == std::string::npos) {
    return SqsError(Code::kInvalidArgument, "ReceiptHandleIsInvalid",
                    "The input receipt handle \"" + receipt_handle +
                        "\" is not a valid receipt "
                        "handle.");
  }
  CloudDb::Transaction tx(db_);
  int64_t now = ToMillis(clock_->Now());
  bool inflight = false;
  SK_RETURN_IF_ERROR(
      db_->Query("SELECT visible_ms FROM sqs_messages WHERE queue = ? AND id = ? AND receipt = ?",
                 {name, decoded->substr(0, hash), receipt_handle},
                 [&](const DbRow& r) { inflight = std::get<int64_t>(r[0]) > now; }));
  if (!inflight) {
    return SqsError(
        Code::kFailedPrecondition, "MessageNotInflight",
        "Value " + receipt_handle +
            " for parameter ReceiptHandle is invalid. Reason: "
            "Message does not exist or is not available for visibility timeout change.");
  }
  SK_RETURN_IF_ERROR(
      db_->Exec("UPDATE sqs_messages SET visible_ms = ? WHERE id = ?",
                {now + int64_t{visibility_timeout} * 1000, decoded->substr(0, hash)}));
  SK_RETURN_IF_ERROR(tx.Commit());
  if (visibility_timeout == 0) {
    {
      std::lock_guard<std::mutex> lock(wake_mu_);
      ++generation_;
    }
    wake_cv_.notify_all();
  }
  return OkStatus();
}

void SqsService::Close() {
  {
    std::lock_guard<std::mutex> lock(wake_mu_);
    closed_ = true;
  }
  wake_cv_.notify_all();
}

}  // namespace spotkeeper::cloud
