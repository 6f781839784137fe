#include "awsproto/aws_error.h"

#include <array>
#include <nlohmann/json.hpp>

#include "awsproto/ec2_xml.h"

namespace spotkeeper::aws {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

template <size_t N>
bool OneOf(std::string_view s, const std::array<std::string_view, N>& names) {
  for (std::string_view n : names) {
    if (s == n) return true;
  }
  return false;
}

constexpr std::array<std::string_view, 9> kThrottling = {"RequestLimitExceeded",
                                                         "Throttling",
                                                         "ThrottlingException",
                                                         "RequestThrottled",
                                                         "RequestThrottledException",
                                                         "TooManyRequestsException",
                                                         "SlowDown",
                                                         "EC2ThrottledException",
                                                         "PriorRequestNotComplete"};

constexpr std::array<std::string_view, 8> kCapacity = {
    "InsufficientInstanceCapacity",      "InsufficientVolumeCapacity",
    "InsufficientFreeAddressesInSubnet", "SpotMaxPriceTooLow",
    "InsufficientHostCapacity",          "InsufficientAddressCapacity",
    "MaxSpotInstanceCountExceeded",      "OverLimit"};

constexpr std::array<std::string_view, 16> kFailedPrecondition = {"IncorrectState",
                                                                  "IncorrectInstanceState",
                                                                  "VolumeInUse",
                                                                  "InvalidVolume.ZoneMismatch",
                                                                  "InvalidAMIID.Unavailable",
                                                                  "DependencyViolation",
                                                                  "UnsupportedOperation",
                                                                  "Unsupported",
                                                                  "IncorrectSpotRequestState",
                                                                  "InvalidState",
                                                                  "InvalidInstanceState",
                                                                  "OperationNotPermitted",
                                                                  "InvalidAttachment.NotAttached",
                                                                  "InvalidVolume.NotAttached",
                                                                  "ResourceInUse",
                                                                  "PendingVerification"};

constexpr std::array<std::string_view, 9> kUnauthenticated = {
    "AuthFailure",         "SignatureDoesNotMatch", "MissingAuthenticationToken",
    "IncompleteSignature", "RequestExpired",        "InvalidClientTokenId",
    "ExpiredToken",        "InvalidSecurity",       "UnrecognizedClientException"};

constexpr std::array<std::string_view, 5> kPermissionDenied = {
    "UnauthorizedOperation", "AccessDenied", "AccessDeniedException", "OptInRequired",
    "KmsAccessDenied"};

constexpr std::array<std::string_view, 9> kUnavailable = {"InternalError",
                                                          "InternalFailure",
                                                          "Unavailable",
                                                          "ServiceUnavailable",
                                                          "ServiceUnavailableException",
                                                          "RequestTimeout",
                                                          "RequestTimeoutException",
                                                          "InternalServerError",
                                                          "KmsThrottled"};

}  // namespace

bool IsThrottlingError(std::string_view aws_code) { return OneOf(aws_code, kThrottling); }

Code CodeForAwsError(std::string_view c, int http_status) {
  if (IsThrottlingError(c)) return Code::kResourceExhausted;
  if (OneOf(c, kCapacity)) return Code::kResourceExhausted;
  if (EndsWith(c, "LimitExceeded")) return Code::kResourceExhausted;  // account quotas
  if (EndsWith(c, "NotFound") || c == "QueueDoesNotExist" ||
      c == "AWS.SimpleQueueService.NonExistentQueue") {
    return Code::kNotFound;
  }
  if (OneOf(c, kFailedPrecondition) || EndsWith(c, ".InUse")) return Code::kFailedPrecondition;
  if (EndsWith(c, ".Duplicate") || c == "AlreadyExists" || c == "QueueAlreadyExists" ||
      c == "QueueNameExists" || c == "QueueDeletedRecently") {
    return Code::kAlreadyExists;
  }
  if (OneOf(c, kUnauthenticated)) return Code::kUnauthenticated;
  if (OneOf(c, kPermissionDenied)) return Code::kPermissionDenied;
  if (c == "IdempotentParameterMismatch") return Code::kInvalidArgument;
  if (StartsWith(c, "Invalid") || StartsWith(c, "Missing") || EndsWith(c, ".Malformed") ||
      c == "ValidationError" || c == "ReceiptHandleIsInvalid" || c == "DryRunOperation" ||
      c == "UnknownParameter" || c == "MalformedQueryString" || c == "BatchEntryIdsNotDistinct" ||
      c == "EmptyBatchRequest" || c == "TooManyEntriesInBatchRequest") {
    return Code::kInvalidArgument;
  }
  if (OneOf(c, kUnavailable)) return Code::kUnavailable;
  if (http_status >= 500) return Code::kUnavailable;
  if (http_status == 429) return Code::kResourceExhausted;
  if (http_status == 401) return Code::kUnauthenticated;
  if (http_status == 403) return Code::kPermissionDenied;
  if (http_status == 404) return Code::kNotFound;
  if (http_status == 409) return Code::kFailedPrecondition;
  return Code::kInvalidArgument;
}

Status StatusFromAwsError(const AwsError& error, int http_status) {
  std::string message =
      error.message.empty() ? "HTTP " + std::to_string(http_status) : error.message;
  if (!error.request_id.empty()) message += " (request " + error.request_id + ")";
  return Status(CodeForAwsError(error.code, http_status), std::move(message), error.code);
}

std::optional<AwsError> ParseEc2ErrorBody(std::string_view body) {
  auto doc = ParseXml(body);
  if (!doc.ok()) return std::nullopt;
  pugi::xml_node root = (*doc)->document_element();
  pugi::xml_node error;
  AwsError e;
  if (XmlLocalName(root) == "Response") {
    error = XmlChild(root, "Errors/Error");
    e.request_id = XmlText(root, "RequestID");
  } else if (XmlLocalName(root) == "ErrorResponse") {
    error = XmlChild(root, "Error");
    e.request_id = XmlText(root, "RequestId");
  }
  if (!error) return std::nullopt;
  e.code = XmlText(error, "Code");
  e.message = XmlText(error, "Message");
  if (e.code.empty()) return std::nullopt;
  return e;
}

std::optional<AwsError> ParseJsonErrorBody(std::string_view body, const HeaderList& headers) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  AwsError e;
  if (j.is_object()) {
    std::string type;
    if (j.contains("__type") && j["__type"].is_string()) type = j["__type"].get<std::string>();
    if (type.empty() && j.contains("code") && j["code"].is_string()) {
      type = j["code"].get<std::string>();
    }
    size_t hash = type.rfind('#');
    e.code = hash == std::string::npos ? type : type.substr(hash + 1);
    for (const char* key : {"message", "Message"}) {
      if (j.contains(key) && j[key].is_string()) e.message = j[key].get<std::string>();
    }
  }
  if (e.code.empty()) {
    // Some JSON services only name the error in this header.
    if (auto h = FindHeader(headers, "x-amzn-errortype")) {
      e.code = h->substr(0, h->find(':'));
    }
  }
  if (auto rid = FindHeader(headers, "x-amzn-requestid")) e.request_id = *rid;
  if (e.code.empty()) return std::nullopt;
  return e;
}

Ec2ErrorReply Ec2ErrorForStatus(const Status& status) {
  Ec2ErrorReply r;
  const std::string& cc = status.cloud_code();
  if (!cc.empty()) {
    r.code = cc;
    if (cc == "RequestLimitExceeded" || cc == "Unavailable" || cc == "ServiceUnavailable") {
      r.http_status = 503;
    } else if (cc == "InternalError" || cc == "InsufficientInstanceCapacity" ||
               cc == "InsufficientVolumeCapacity") {
      r.http_status = 500;
    } else if (CodeForAwsError(cc, 400) == Code::kUnauthenticated) {
      r.http_status = 401;
    } else if (CodeForAwsError(cc, 400) == Code::kPermissionDenied) {
      r.http_status = 403;
    } else {
      r.http_status = 400;
    }
    return r;
  }
  switch (status.code()) {
    case Code::kOk:
      return {200, ""};
    case Code::kInvalidArgument:
      return {400, "InvalidParameterValue"};
    case Code::kNotFound:
      return {400, "InvalidID"};
    case Code::kAlreadyExists:
      return {400, "InvalidParameterValue"};
    case Code::kFailedPrecondition:
      return {400, "IncorrectState"};
    case Code::kAborted:
      return {400, "IncorrectState"};
    case Code::kResourceExhausted:
      return {503, "RequestLimitExceeded"};
    case Code::kPermissionDenied:
      return {403, "UnauthorizedOperation"};
    case Code::kUnauthenticated:
      return {401, "AuthFailure"};
    case Code::kUnimplemented:
      return {400, "InvalidAction"};
    case Code::kUnavailable:
      return {503, "Unavailable"};
    case Code::kDeadlineExceeded:
      return {503, "Unavailable"};
    case Code::kCancelled:
      return {500, "InternalError"};
    case Code::kInternal:
      return {500, "InternalError"};
  }
  return {500, "InternalError"};
}

}  // namespace spotkeeper::aws
