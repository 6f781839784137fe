// AWS error codes <-> canonical Codes, in one place, for both directions:
//  - clients: an EC2 XML or JSON (SQS) error body becomes a Status with the AWS code kept in
//    Status::cloud_code();
//  - servers (the local cloud): a Status becomes an EC2 error code and HTTP status.
//
// Mapping (first match wins):
//   throttling (RequestLimitExceeded, Throttling, ThrottlingException, RequestThrottled, ...)
//                                      -> ResourceExhausted (Status::IsRetryable: yes)
//   capacity (InsufficientInstanceCapacity, InsufficientVolumeCapacity, SpotMaxPriceTooLow,
//     InsufficientFreeAddressesInSubnet) and account limits (*LimitExceeded, OverLimit,
//     MaxSpotInstanceCountExceeded)  -> ResourceExhausted (capacity: not retryable)
//   *.NotFound, *NotFound, QueueDoesNotExist, AWS.SimpleQueueService.NonExistentQueue
//                                      -> NotFound
//   IncorrectState, IncorrectInstanceState, *.InUse, VolumeInUse, InvalidVolume.ZoneMismatch,
//     InvalidAMIID.Unavailable, DependencyViolation, UnsupportedOperation, ...
//                                      -> FailedPrecondition
//   *.Duplicate, AlreadyExists, QueueAlreadyExists/QueueNameExists -> AlreadyExists
//   AuthFailure, SignatureDoesNotMatch, MissingAuthenticationToken, IncompleteSignature,
//     RequestExpired, InvalidClientTokenId, ExpiredToken -> Unauthenticated
//   UnauthorizedOperation, AccessDenied(Exception), OptInRequired -> PermissionDenied
//   IdempotentParameterMismatch        -> InvalidArgument: the same ClientToken was used with other
//     parameters; retrying cannot help and the resource it names is not the one asked for, so it
//     must not read as AlreadyExists ("it is there, use it").
//   InvalidParameter*, MissingParameter, *.Malformed, Invalid* (other), ValidationError,
//     ReceiptHandleIsInvalid, DryRunOperation -> InvalidArgument
//   InternalError, InternalFailure, Unavailable, ServiceUnavailable, RequestTimeout
//                                      -> Unavailable
//   otherwise by HTTP status: 5xx -> Unavailable, 429 -> ResourceExhausted, 401 ->
//     Unauthenticated, 403 -> PermissionDenied, 404 -> NotFound, 409 -> FailedPrecondition,
//     other -> InvalidArgument.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "awsproto/http_message.h"
#include "common/status.h"

namespace spotkeeper::aws {

struct AwsError {
  std::string code;
  std::string message;
  std::string request_id;
};

// The canonical code for an AWS error code (and the HTTP status, for unknown codes).
Code CodeForAwsError(std::string_view aws_code, int http_status);
// True for the throttling codes (the ones a client retries with backoff).
bool IsThrottlingError(std::string_view aws_code);

// A Status for an error reply: code from CodeForAwsError, cloud_code = error.code, message =
// error.message plus the request id.
Status StatusFromAwsError(const AwsError& error, int http_status);

// EC2 XML error bodies: <Response><Errors><Error><Code/><Message/></Error></Errors>
// <RequestID/></Response>; also the generic Query shape <ErrorResponse><Error>...</Error>
// <RequestId/></ErrorResponse>. nullopt when the body is neither.
std::optional<AwsError> ParseEc2ErrorBody(std::string_view body);

// JSON protocol (SQS) error bodies: {"__type": "com.amazonaws.sqs#QueueDoesNotExist",
// "message": "..."}; the x-amzn-query-error header ("AWS.SimpleQueueService.NonExistentQueue;
// Sender") is not needed. The code is the part after '#'. nullopt when not such a body.
std::optional<AwsError> ParseJsonErrorBody(std::string_view body, const HeaderList& headers = {});

// Server side: the EC2 error code and HTTP status to answer for `status`. Uses
// status.cloud_code() when set, else a generic code for the canonical Code.
struct Ec2ErrorReply {
  int http_status = 400;
  std::string code;
};
Ec2ErrorReply Ec2ErrorForStatus(const Status& status);

}  // namespace spotkeeper::aws
