// Status and Result<T>: the error values every module returns. No exceptions cross a module
// boundary; third-party exceptions are caught at the edge and turned into a Status.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace spotkeeper {

// Canonical codes (the gRPC/Abseil set we need). Mapped to HTTP in api/ and to EC2 error codes
// in the EC2 protocol code, one place each.
enum class Code {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kAborted,
  kUnavailable,
  kDeadlineExceeded,
  kResourceExhausted,
  kPermissionDenied,
  kUnauthenticated,
  kCancelled,
  kUnimplemented,
  kInternal,
};

const char* CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  // `cloud_code` is the provider's own error code when there is one (EC2's
  // "InsufficientInstanceCapacity", "InvalidVolume.ZoneMismatch", ...).
  Status(Code code, std::string message, std::string cloud_code = {})
      : code_(code), message_(std::move(message)), cloud_code_(std::move(cloud_code)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::string& cloud_code() const { return cloud_code_; }

  // When set, the caller should not try again before this much time has passed (client-side
  // throttling knows exactly when a token will be available).
  std::optional<std::chrono::milliseconds> retry_after() const { return retry_after_; }
  Status&& WithRetryAfter(std::chrono::milliseconds d) && {
    retry_after_ = d;
    return std::move(*this);
  }

  // Prefixes the message with context: "attach vol-1: VolumeInUse: ...".
  Status Annotate(const std::string& context) const;

  // True for errors that may go away by themselves: throttling, unavailability, timeouts,
  // internal cloud errors. Capacity shortages are NOT retryable in this sense: the caller has to
  // change what it asks for (another type, another AZ, on-demand).
  bool IsRetryable() const;

  std::string ToString() const;
  bool operator==(const Status& o) const { return code_ == o.code_ && message_ == o.message_; }

 private:
  Code code_ = Code::kOk;
  std::string message_;
  std::string cloud_code_;
  std::optional<std::chrono::milliseconds> retry_after_;
};

inline Status OkStatus() { return Status(); }
inline Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
inline Status AlreadyExists(std::string m) { return {Code::kAlreadyExists, std::move(m)}; }
inline Status FailedPrecondition(std::string m) { return {Code::kFailedPrecondition, std::move(m)}; }
inline Status Aborted(std::string m) { return {Code::kAborted, std::move(m)}; }
inline Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
inline Status DeadlineExceeded(std::string m) { return {Code::kDeadlineExceeded, std::move(m)}; }
inline Status ResourceExhausted(std::string m) { return {Code::kResourceExhausted, std::move(m)}; }
inline Status PermissionDenied(std::string m) { return {Code::kPermissionDenied, std::move(m)}; }
inline Status Unauthenticated(std::string m) { return {Code::kUnauthenticated, std::move(m)}; }
inline Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }
inline Status Unimplemented(std::string m) { return {Code::kUnimplemented, std::move(m)}; }

// A value or an error. `value()` on an error is a programming error (checked in debug builds).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

#define SK_CONCAT_INNER(a, b) a##b
#define SK_CONCAT(a, b) SK_CONCAT_INNER(a, b)

#define SK_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::spotkeeper::Status sk_status_ = (expr); \
    if (!sk_status_.ok()) return sk_status_; \
  } while (0)

#define SK_ASSIGN_OR_RETURN(lhs, expr) \
  SK_ASSIGN_OR_RETURN_IMPL(SK_CONCAT(sk_result_, __LINE__), lhs, expr)
#define SK_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()

}  // namespace spotkeeper
