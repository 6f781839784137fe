#include "common/http_body_guard.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace spotkeeper::http {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

}  // namespace

Result<BodyHeaders> ParseBodyHeaders(const httplib::Request& req) {
  BodyHeaders h;
  h.encoding = Lower(Trim(req.get_header_value("Content-Encoding")));
  if (h.encoding == "identity") h.encoding.clear();
  bool has_length = req.has_header("Content-Length");
  bool has_te = req.has_header("Transfer-Encoding");
  if (has_length && has_te) {
    return InvalidArgument("a request must not have both Content-Length and Transfer-Encoding");
  }
  if (has_te) {
    std::string te = Lower(Trim(req.get_header_value("Transfer-Encoding")));
    if (req.get_header_value_count("Transfer-Encoding") != 1 || te != "chunked") {
      return InvalidArgument("Transfer-Encoding '" + te + "' is not supported; use 'chunked'");
    }
    h.framing = BodyFraming::kChunked;
  } else if (has_length) {
    std::string v = Trim(req.get_header_value("Content-Length"));
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), h.length);
    if (req.get_header_value_count("Content-Length") != 1 || v.empty() || ec != std::errc() ||
        end != v.data() + v.size()) {
      return InvalidArgument("Content-Length '" + v + "' is not one decimal number");
    }
    h.framing = BodyFraming::kLength;
  }
  return h;
}

Status CheckRequestShape(const httplib::Request& req, size_t max_headers, size_t max_query_params) {
  // httplib adds the peer's address as pseudo-headers; they are not the client's.
  size_t headers = req.headers.size();
  for (const char* added : {"REMOTE_ADDR", "REMOTE_PORT", "LOCAL_ADDR", "LOCAL_PORT"}) {
    headers -= std::min(headers, req.headers.count(added));
  }
  if (headers > max_headers) {
    return Status(Code::kInvalidArgument,
                  "the request has " + std::to_string(headers) + " headers; at most " +
                      std::to_string(max_headers) + " are accepted",
                  "RequestHeaderFieldsTooLarge");
  }
  if (req.params.size() > max_query_params) {
    return Status(Code::kInvalidArgument,
                  "the request has " + std::to_string(req.params.size()) +
                      " query parameters; at most " + std::to_string(max_query_params) +
                      " are accepted",
                  "TooManyParameters");
  }
  return OkStatus();
}

Result<BodyHeaders> CheckBodyHeaders(const httplib::Request& req, size_t max_bytes) {
  SK_ASSIGN_OR_RETURN(BodyHeaders h, ParseBodyHeaders(req));
  if (h.framing == BodyFraming::kLength && h.length > max_bytes) {
    return ResourceExhausted("the request body (" + std::to_string(h.length) +
                             " bytes) is larger than " + std::to_string(max_bytes) + " bytes");
  }
  if (!h.encoding.empty() && h.may_have_body()) {
    return Unimplemented("Content-Encoding '" + h.encoding +
                         "' is not accepted; send the body uncompressed");
  }
  return h;
}

bool WorthDraining(const BodyHeaders& headers, size_t max_bytes) {
  return headers.framing == BodyFraming::kLength && headers.length / 8 <= max_bytes;
}

void DiscardBody(const httplib::ContentReader& reader) {
  // Over payload_max_length httplib skips the declared bytes itself; either way they are read.
  (void)reader([](const char*, size_t) { return true; });
}

void ReplyAndClose(httplib::Response& res, int status, std::string body,
                   const std::string& content_type) {
  res.status = status;
  res.body.clear();
  res.headers.erase("Content-Type");  // set_content_provider sets it
  res.set_header("Connection", "close");
  size_t n = body.size();
  // httplib 0.11 ends a keep-alive connection only when the request asked for it or writing
  // the response fails; a content provider that reports failure after writing everything is
  // the one way a handler has to say "close". (An empty body sets no provider: nothing to
  // write, so no way to close; callers always send an error document.)
  res.set_content_provider(
      n, content_type.c_str(),
      [body = std::move(body)](size_t offset, size_t, httplib::DataSink& sink) {
        sink.write(body.data() + offset, body.size() - offset);
        return false;
      });
}

Result<std::string> ReadBody(const BodyHeaders& headers, const httplib::ContentReader& reader,
                             size_t max_bytes) {
  std::string body;
  if (headers.framing == BodyFraming::kNone) return body;
  if (headers.framing == BodyFraming::kLength) body.reserve(headers.length);
  bool too_large = false;
  bool ok = reader([&](const char* data, size_t n) {
    if (n > max_bytes - body.size()) {
      too_large = true;
      return false;
    }
    body.append(data, n);
    return true;
  });
  if (too_large) {
    return ResourceExhausted("the request body is larger than " + std::to_string(max_bytes) +
                             " bytes");
  }
  if (!ok) return InvalidArgument("the request body could not be read");
  return body;
}

}  // namespace spotkeeper::http
