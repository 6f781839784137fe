// Request-body limits for the cpp-httplib 0.11 servers (the REST API, the local cloud's
// EC2/SQS endpoint, IMDS). What Debian's libcpp-httplib 0.11.4 does, checked against the
// library (its header only declares; the code is in libcpp-httplib.so):
//  - set_payload_max_length caps a Content-Length body only, and answers 413 only after it has
//    read and discarded all the declared bytes (skip_content_with_length).
//  - chunked bodies (detail::read_content_chunked takes no limit) and bodies with neither
//    Content-Length nor Transfer-Encoding on POST/PUT/PATCH/DELETE (read_content_without_length:
//    until EOF) go into req.body without a cap.
//  - gzip/br bodies are inflated into req.body; the cap compares the compressed length.
//  - the pre-routing handler runs once the headers are parsed, before any body byte is read;
//    a content-reader route (Post(pattern, HandlerWithContentReader)) reads the body only when
//    its handler calls the reader, through a receiver that may stop it.
// So each server decides what it can from the headers in a pre-routing handler (credentials,
// framing, Content-Length, Content-Encoding) and reads bodies through content-reader routes
// with ReadBody, which stops at the cap.
//
// A refusal sent before the body was read must close the connection (ReplyAndClose): httplib
// 0.11 keeps the connection whatever the response's Connection header says, and would parse
// the unread body as the next request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/status.h"

namespace httplib {
struct Request;
struct Response;
class ContentReader;
}  // namespace httplib

namespace spotkeeper::http {

enum class BodyFraming {
  kNone,     // neither Content-Length nor Transfer-Encoding: no body (RFC 9112 section 6.3)
  kLength,   // Content-Length
  kChunked,  // Transfer-Encoding: chunked
};

struct BodyHeaders {
  BodyFraming framing = BodyFraming::kNone;
  uint64_t length = 0;   // kLength only
  std::string encoding;  // Content-Encoding in lower case; "" for none or identity
  bool may_have_body() const {
    return framing == BodyFraming::kChunked || (framing == BodyFraming::kLength && length > 0);
  }
};

// The body framing from the headers alone. InvalidArgument for a malformed or repeated
// Content-Length, a Transfer-Encoding other than "chunked", or both headers at once (each is
// read differently by different parsers: refuse rather than guess).
Result<BodyHeaders> ParseBodyHeaders(const httplib::Request& req);

// Checks the headers against `max_bytes`: ResourceExhausted when Content-Length is larger,
// Unimplemented for a Content-Encoding other than identity (bodies are never decoded), and
// ParseBodyHeaders' errors. A chunked body can only be checked as it is read (ReadBody).
Result<BodyHeaders> CheckBodyHeaders(const httplib::Request& req, size_t max_bytes);

// Headers and query parameters one request may carry on every server. httplib 0.11 has parsed
// them when the pre-routing handler runs (each header line at most 8 KiB, the request line at
// most 8 KiB, their number unbounded), so this bounds what the handlers process, not what
// httplib buffered; the read timeout bounds that.
inline constexpr size_t kMaxRequestHeaders = 64;

// InvalidArgument naming the limit when `req` has more than `max_headers` headers (cloud_code
// "RequestHeaderFieldsTooLarge": HTTP 431) or more than `max_query_params` query parameters
// (cloud_code "TooManyParameters": HTTP 400).
Status CheckRequestShape(const httplib::Request& req, size_t max_headers, size_t max_query_params);

// Whether a body refused as too large is worth reading and discarding (DiscardBody) so the
// connection can be kept: a declared Content-Length of at most 8 x max_bytes. Closing with
// unread data makes the kernel reset the connection, and a client still sending its body then
// never reads the answer; past this size the answer goes out and the connection is closed.
bool WorthDraining(const BodyHeaders& headers, size_t max_bytes);

// Reads the body through a content-reader route's reader and throws it away (nothing is kept).
void DiscardBody(const httplib::ContentReader& reader);

// Sends `body` (not empty) with `status` and closes the connection once it is written.
void ReplyAndClose(httplib::Response& res, int status, std::string body,
                   const std::string& content_type);

// Reads the body through a content-reader route's reader, at most `max_bytes`; kNone framing
// reads nothing (httplib 0.11 would read to EOF). ResourceExhausted when the body is longer
// (reading stops at the cap; the rest is unread, so reply with ReplyAndClose), InvalidArgument
// when the read fails (bad chunk framing, the client went away).
// REQUIRES: `headers` is what CheckBodyHeaders returned for this request.
Result<std::string> ReadBody(const BodyHeaders& headers, const httplib::ContentReader& reader,
                             size_t max_bytes);

}  // namespace spotkeeper::http
