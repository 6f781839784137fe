#include "common/status.h"

namespace spotkeeper {

const char* CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "OK";
    case Code::kInvalidArgument: return "InvalidArgument";
    case Code::kNotFound: return "NotFound";
    case Code::kAlreadyExists: return "AlreadyExists";
    case Code::kFailedPrecondition: return "FailedPrecondition";
    case Code::kAborted: return "Aborted";
    case Code::kUnavailable: return "Unavailable";
    case Code::kDeadlineExceeded: return "DeadlineExceeded";
    case Code::kResourceExhausted: return "ResourceExhausted";
    case Code::kPermissionDenied: return "PermissionDenied";
    case Code::kUnauthenticated: return "Unauthenticated";
    case Code::kCancelled: return "Cancelled";
    case Code::kUnimplemented: return "Unimplemented";
    case Code::kInternal: return "Internal";
  }
  return "Unknown";
}

Status Status::Annotate(const std::string& context) const {
  if (ok()) return *this;
  Status s(code_, context + ": " + message_, cloud_code_);
  s.retry_after_ = retry_after_;
  return s;
}

bool Status::IsRetryable() const {
  switch (code_) {
    case Code::kUnavailable:
    case Code::kDeadlineExceeded:
    case Code::kInternal:
    case Code::kAborted:
      return true;
    case Code::kResourceExhausted:
      // Throttling is retryable. A capacity shortage or an account limit is not: the caller
      // has to ask for something else (or a person has to raise the limit).
      return cloud_code_.empty() || cloud_code_ == "RequestLimitExceeded" ||
             cloud_code_ == "Throttling" || cloud_code_ == "ThrottlingException" ||
             cloud_code_ == "RequestThrottled" || cloud_code_ == "ClientThrottled" ||
             cloud_code_ == "SlowDown";
    default:
      return false;
  }
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s = CodeName(code_);
  if (!cloud_code_.empty()) s += " (" + cloud_code_ + ")";
  s += ": " + message_;
  return s;
}

}  // namespace spotkeeper
