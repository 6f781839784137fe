#include "cloud/api/sqs_handler.h"

#include <pugixml.hpp>
#include <sstream>

#include "common/json_depth.h"

namespace spotkeeper::cloud {
namespace {

constexpr const char* kSqsNamespace = "http://queue.amazonaws.com/doc/2012-11-05/";

const std::set<std::string> kActions = {"CreateQueue",
                                        "GetQueueUrl",
                                        "ListQueues",
                                        "DeleteQueue",
                                        "PurgeQueue",
                                        "GetQueueAttributes",
                                        "SendMessage",
                                        "ReceiveMessage",
                                        "DeleteMessage",
                                        "DeleteMessageBatch",
                                        "ChangeMessageVisibility"};

Status Bad(const std::string& code, std::string message) {
  return Status(Code::kInvalidArgument, std::move(message), code);
}

// The Query protocol's name for a JSON-protocol error code.
std::string QueryCode(const std::string& json_code) {
  if (json_code == "QueueDoesNotExist") return "AWS.SimpleQueueService.NonExistentQueue";
  if (json_code == "QueueNameExists") return "QueueAlreadyExists";
  if (json_code == "MessageNotInflight" || json_code == "EmptyBatchRequest" ||
      json_code == "TooManyEntriesInBatchRequest" || json_code == "BatchEntryIdsNotDistinct" ||
      json_code == "InvalidBatchEntryId" || json_code == "UnsupportedOperation" ||
      json_code == "PurgeQueueInProgress") {
    return "AWS.SimpleQueueService." + json_code;
  }
  return json_code;
}

std::string CodeFor(const Status& s) {
  if (!s.cloud_code().empty()) return s.cloud_code();
  switch (s.code()) {
    case Code::kUnauthenticated:
      return "AuthFailure";
    case Code::kNotFound:
      return "QueueDoesNotExist";
    case Code::kInvalidArgument:
      return "InvalidParameterValue";
    default:
      return "InternalError";
  }
}

int HttpFor(const Status& s) {
  switch (s.code()) {
    case Code::kUnauthenticated:
      return 403;
    case Code::kInternal:
    case Code::kUnavailable:
      return 500;
    default:
      return 400;
  }
}

Result<std::optional<int>> JsonInt(const nlohmann::json& in, const char* key) {
  if (!in.contains(key) || in[key].is_null()) return std::optional<int>();
  if (in[key].is_number_integer()) return std::optional<int>(in[key].get<int>());
  if (in[key].is_string()) {
    const std::string& s = in[key].get_ref<const std::string&>();
    if (!s.empty() && s.size() < 10 && s.find_first_not_of("-0123456789") == std::string::npos) {
      return std::optional<int>(std::stoi(s));
    }
  }
  return Bad("InvalidParameterValue", std::string("Value for parameter ") + key + " is invalid.");
}

std::string Str(const nlohmann::json& in, const char* key) {
  if (in.contains(key) && in[key].is_string()) return in[key].get<std::string>();
  return "";
}

}  // namespace

bool SqsHandler::IsQueryAction(const std::string& action) { return kActions.count(action) > 0; }

Result<std::string> SqsHandler::Queue(const nlohmann::json& in) {
  std::string url = Str(in, "QueueUrl");
  if (url.empty()) {
    return Bad("MissingParameter", "The request must contain the parameter QueueUrl.");
  }
  return sqs_->QueueNameFromUrl(url);
}

Result<nlohmann::json> SqsHandler::Call(const std::string& action, const nlohmann::json& in) {
  using nlohmann::json;
  if (action == "CreateQueue") {
    std::string name = Str(in, "QueueName");
    if (name.empty()) {
      return Bad("MissingParameter", "The request must contain the parameter QueueName.");
    }
    std::map<std::string, std::string> attrs;
    if (in.contains("Attributes") && in["Attributes"].is_object()) {
      for (const auto& [k, v] : in["Attributes"].items()) {
        attrs[k] = v.is_string() ? v.get<std::string>() : v.dump();
      }
    }
    SK_ASSIGN_OR_RETURN(std::string url, sqs_->CreateQueue(name, attrs));
    return json{{"QueueUrl", url}};
  }
  if (action == "GetQueueUrl") {
    SK_ASSIGN_OR_RETURN(std::string url, sqs_->GetQueueUrl(Str(in, "QueueName")));
    return json{{"QueueUrl", url}};
  }
  if (action == "ListQueues") {
    SK_ASSIGN_OR_RETURN(std::vector<std::string> urls,
                        sqs_->ListQueues(Str(in, "QueueNamePrefix")));
    json out = json::object();
    if (!urls.empty()) out["QueueUrls"] = urls;
    return out;
  }
  SK_ASSIGN_OR_RETURN(std::string queue, Queue(in));
  if (action == "DeleteQueue") {
    SK_RETURN_IF_ERROR(sqs_->DeleteQueue(queue));
    return json::object();
  }
  if (action == "PurgeQueue") {
    SK_RETURN_IF_ERROR(sqs_->PurgeQueue(queue));
    return json::object();
  }
  if (action == "GetQueueAttributes") {
    SK_ASSIGN_OR_RETURN(auto attrs, sqs_->GetQueueAttributes(queue));
    std::set<std::string> wanted;
    if (in.contains("AttributeNames") && in["AttributeNames"].is_array()) {
      for (const json& n : in["AttributeNames"]) {
        if (n.is_string()) wanted.insert(n.get<std::string>());
      }
    }
    json out = json::object();
    for (const auto& [k, v] : attrs) {
      if (wanted.count("All") > 0 || wanted.count(k) > 0) out["Attributes"][k] = v;
    }
    return out;
  }
  if (action == "SendMessage") {
    SK_ASSIGN_OR_RETURN(std::optional<int> delay, JsonInt(in, "DelaySeconds"));
    SK_ASSIGN_OR_RETURN(SqsSent sent, sqs_->SendMessage(queue, Str(in, "MessageBody"), delay));
    return json{{"MessageId", sent.message_id}, {"MD5OfMessageBody", sent.md5_of_body}};
  }
  if (action == "ReceiveMessage") {
    SK_ASSIGN_OR_RETURN(std::optional<int> max, JsonInt(in, "MaxNumberOfMessages"));
    SK_ASSIGN_OR_RETURN(std::optional<int> vis, JsonInt(in, "VisibilityTimeout"));
    SK_ASSIGN_OR_RETURN(std::optional<int> wait, JsonInt(in, "WaitTimeSeconds"));
    SK_ASSIGN_OR_RETURN(std::vector<SqsReceived> got,
                        sqs_->ReceiveMessage(queue, max.value_or(1), vis, wait));
    bool attrs = false;
    for (const char* key : {"AttributeNames", "MessageSystemAttributeNames"}) {
      if (in.contains(key) && in[key].is_array() && !in[key].empty()) attrs = true;
    }
    json out = json::object();
    if (!got.empty()) {
      out["Messages"] = json::array();
      for (const SqsReceived& m : got) {
        json jm = {{"MessageId", m.message_id},
                   {"ReceiptHandle", m.receipt_handle},
                   {"MD5OfBody", m.md5_of_body},
                   {"Body", m.body}};
        if (attrs) jm["Attributes"] = m.attributes;
        out["Messages"].push_back(std::move(jm));
      }
    }
    return out;
  }
  if (action == "DeleteMessage") {
    SK_RETURN_IF_ERROR(sqs_->DeleteMessage(queue, Str(in, "ReceiptHandle")));
    return json::object();
  }
  if (action == "ChangeMessageVisibility") {
    SK_ASSIGN_OR_RETURN(std::optional<int> vis, JsonInt(in, "VisibilityTimeout"));
    if (!vis) {
      return Bad("MissingParameter", "The request must contain the parameter VisibilityTimeout.");
    }
    SK_RETURN_IF_ERROR(sqs_->ChangeMessageVisibility(queue, Str(in, "ReceiptHandle"), *vis));
    return json::object();
  }
  if (action == "DeleteMessageBatch") {
    if (!in.contains("Entries") || !in["Entries"].is_array() || in["Entries"].empty()) {
      return Bad("EmptyBatchRequest",
                 "There should be at least one DeleteMessageBatchRequestEntry "
                 "in the request.");
    }
    if (in["Entries"].size() > 10) {
      return Bad("TooManyEntriesInBatchRequest",
                 "Maximum number of entries per request are 10. You have sent " +
                     std::to_string(in["Entries"].size()) + ".");
    }
    std::set<std::string> ids;
    for (const json& entry : in["Entries"]) {
      std::string id = Str(entry, "Id");
      if (id.empty() || id.size() > 80 ||
          id.find_first_not_of(
              "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") !=
              std::string::npos) {
        return Bad("InvalidBatchEntryId",
                   "A batch entry id can only contain alphanumeric characters, hyphens and "
                   "underscores. It can be at most 80 letters long.");
      }
      if (!ids.insert(id).second) {
        return Bad("BatchEntryIdsNotDistinct", "Id " + id + " repeated.");
      }
    }
    json out = {{"Successful", json::array()}, {"Failed", json::array()}};
    for (const json& entry : in["Entries"]) {
      Status s = sqs_->DeleteMessage(queue, Str(entry, "ReceiptHandle"));
      if (s.ok()) {
        out["Successful"].push_back({{"Id", Str(entry, "Id")}});
      } else {
        out["Failed"].push_back({{"Id", Str(entry, "Id")},
                                 {"SenderFault", true},
                                 {"Code", CodeFor(s)},
                                 {"Message", s.message()}});
      }
    }
    return out;
  }
  return Bad("InvalidAction", "The action " + action + " is not valid for this endpoint.");
}

ApiReply SqsHandler::JsonError(const Status& status, const std::string& request_id) {
  std::string code = CodeFor(status);
  ApiReply r;
  r.status = HttpFor(status);
  r.content_type = "application/x-amz-json-1.0";
  r.body =
      nlohmann::json{{"__type", "com.amazonaws.sqs#" + code}, {"message", status.message()}}.dump(
          -1, ' ', false, nlohmann::json::error_handler_t::replace);  // may quote raw request bytes
  r.headers = {{"x-amzn-query-error", QueryCode(code) + ";Sender"},
               {"x-amzn-RequestId", request_id}};
  return r;
}

ApiReply SqsHandler::HandleJson(const std::string& action, const std::string& body,
                                const std::string& request_id) {
  if (JsonNestingDepth(body) > kMaxJsonDepth) {
    return JsonError(Bad("SerializationException", "The request body nests deeper than " +
                                                       std::to_string(kMaxJsonDepth) + " levels."),
                     request_id);
  }
  nlohmann::json in =
      body.empty() ? nlohmann::json::object() : nlohmann::json::parse(body, nullptr, false);
  if (in.is_discarded() || !in.is_object()) {
    return JsonError(Bad("SerializationException", "The request body is not a JSON object."),
                     request_id);
  }
  if (kActions.count(action) == 0) {
    return JsonError(Bad("InvalidAction", "The action " + action + " is not valid."), request_id);
  }
  auto out = Call(action, in);
  if (!out.ok()) return JsonError(out.status(), request_id);
  ApiReply r;
  r.content_type = "application/x-amz-json-1.0";
  r.body = out->dump();
  r.headers = {{"x-amzn-RequestId", request_id}};
  return r;
}

ApiReply SqsHandler::QueryError(const Status& status, const std::string& request_id) {
  pugi::xml_document doc;
  pugi::xml_node root = doc.append_child("ErrorResponse");
  root.append_attribute("xmlns") = kSqsNamespace;
  pugi::xml_node err = root.append_child("Error");
  err.append_child("Type").text().set(HttpFor(status) >= 500 ? "Receiver" : "Sender");
  err.append_child("Code").text().set(QueryCode(CodeFor(status)).c_str());
  err.append_child("Message").text().set(status.message().c_str());
  err.append_child("Detail");
  root.append_child("RequestId").text().set(request_id.c_str());
  std::ostringstream body;
  doc.save(body, "", pugi::format_raw);
  ApiReply r;
  r.status = HttpFor(status);
  r.body = body.str();
  return r;
}

ApiReply SqsHandler::HandleQuery(const aws::QueryDecoder& p, const std::string& path,
                                 const std::string& request_id) {
  using nlohmann::json;
  std::string action = p.GetOr("Action", "");
  json in = json::object();
  for (const char* key :
       {"QueueName", "QueueUrl", "QueueNamePrefix", "MessageBody", "ReceiptHandle"}) {
    if (auto v = p.Get(key)) in[key] = *v;
  }
  for (const char* key :
       {"DelaySeconds", "MaxNumberOfMessages", "VisibilityTimeout", "WaitTimeSeconds"}) {
    if (auto v = p.Get(key)) in[key] = *v;
  }
  if (!in.contains("QueueUrl") && path.size() > 1) in["QueueUrl"] = path;
  for (const aws::QueryDecoder& a : p.SubList("Attribute")) {
    in["Attributes"][a.GetOr("Name", "")] = a.GetOr("Value", "");
  }
  std::vector<std::string> names = p.GetList("AttributeName");
  if (!names.empty()) in["AttributeNames"] = names;
  for (const aws::QueryDecoder& e : p.SubList("DeleteMessageBatchRequestEntry")) {
    in["Entries"].push_back(
        {{"Id", e.GetOr("Id", "")}, {"ReceiptHandle", e.GetOr("ReceiptHandle", "")}});
  }
  auto out = Call(action, in);
  if (!out.ok()) return QueryError(out.status(), request_id);

  pugi::xml_document doc;
  pugi::xml_node root = doc.append_child((action + "Response").c_str());
  root.append_attribute("xmlns") = kSqsNamespace;
  pugi::xml_node result = root.append_child((action + "Result").c_str());
  auto text = [](pugi::xml_node n, const char* name, const std::string& v) {
    n.append_child(name).text().set(v.c_str());
  };
  if (out->contains("QueueUrl")) text(result, "QueueUrl", (*out)["QueueUrl"].get<std::string>());
  if (out->contains("QueueUrls")) {
    for (const json& u : (*out)["QueueUrls"]) text(result, "QueueUrl", u.get<std::string>());
  }
  if (out->contains("MessageId")) {
    text(result, "MD5OfMessageBody", (*out)["MD5OfMessageBody"].get<std::string>());
    text(result, "MessageId", (*out)["MessageId"].get<std::string>());
  }
  if (out->contains("Messages")) {
    for (const json& m : (*out)["Messages"]) {
      pugi::xml_node msg = result.append_child("Message");
      text(msg, "MessageId", m["MessageId"].get<std::string>());
      text(msg, "ReceiptHandle", m["ReceiptHandle"].get<std::string>());
      text(msg, "MD5OfBody", m["MD5OfBody"].get<std::string>());
      text(msg, "Body", m["Body"].get<std::string>());
      if (m.contains("Attributes")) {
        for (const auto& [k, v] : m["Attributes"].items()) {
          pugi::xml_node a = msg.append_child("Attribute");
          text(a, "Name", k);
          text(a, "Value", v.get<std::string>());
        }
      }
    }
  }
  if (out->contains("Attributes")) {
    for (const auto& [k, v] : (*out)["Attributes"].items()) {
      pugi::xml_node a = result.append_child("Attribute");
      text(a, "Name", k);
      text(a, "Value", v.get<std::string>());
    }
  }
  if (out->contains("Successful")) {
    for (const json& s : (*out)["Successful"]) {
      text(result.append_child("DeleteMessageBatchResultEntry"), "Id", s["Id"].get<std::string>());
    }
    for (const json& f : (*out)["Failed"]) {
      pugi::xml_node e = result.append_child("BatchResultErrorEntry");
      text(e, "Id", f["Id"].get<std::string>());
      text(e, "SenderFault", "true");
      text(e, "Code", QueryCode(f["Code"].get<std::string>()));
      text(e, "Message", f["Message"].get<std::string>());
    }
  }
  // An empty result element stays (<ReceiveMessageResult/> with no message): clients expect it.
  text(root.append_child("ResponseMetadata"), "RequestId", request_id);
  std::ostringstream body;
  doc.save(body, "", pugi::format_raw);
  ApiReply r;
  r.body = body.str();
  return r;
}

}  // namespace spotkeeper::cloud
