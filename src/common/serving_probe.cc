#include "common/serving_probe.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/tcp_probe.h"

namespace spotkeeper {
namespace {

// For messages: at most 120 bytes of what came back, control characters escaped.
std::string Excerpt(const std::string& s) {
  std::string out;
  for (char c : s.substr(0, 120)) {
    if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += '.';
    } else {
      out += c;
    }
  }
  if (s.size() > 120) out += "...";
  return out;
}

std::string Quoted(const std::string& s) { return "\"" + Excerpt(s) + "\""; }

int64_t MillisLeft(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return std::max<int64_t>(0, left.count());
}

// Waits for `events` on fd until the deadline: 1 ready, 0 timed out, -1 error (errno).
int WaitFd(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  pollfd p{fd, events, 0};
  int n;
  do {
    n = poll(&p, 1, static_cast<int>(std::min<int64_t>(MillisLeft(deadline), 3'600'000)));
  } while (n < 0 && errno == EINTR);
  return n;
}

Status TcpSendExpect(const std::string& ip, const ServingProbe& probe, Duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const std::string what = probe.Describe(ip);
  SK_ASSIGN_OR_RETURN(int fd, TcpConnect(ip, probe.port, timeout));
  auto timed_out = [&](const std::string& stage, const std::string& got) {
    return Status(Code::kUnavailable,
                  what + ": " + stage + " within " + FormatDuration(timeout) +
                      (got.empty() ? "" : " (got " + Quoted(got) + ")"),
                  "Timeout");
  };
  size_t sent = 0;
  while (sent < probe.send.size()) {
    ssize_t n = ::send(fd, probe.send.data() + sent, probe.send.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      if (WaitFd(fd, POLLOUT, deadline) <= 0) {
        close(fd);
        return timed_out("could not send", "");
      }
    } else {
      int err = errno;
      close(fd);
      return Status(Code::kUnavailable, what + ": send: " + std::strerror(err), "UnexpectedReply");
    }
  }
  if (probe.expect.empty()) {
    close(fd);
    return OkStatus();
  }
  std::string reply;
  char buf[4096];
  while (reply.find(probe.expect) == std::string::npos) {
    if (reply.size() >= kServingReplyCap) {
      close(fd);
      return Status(Code::kUnavailable,
                    what + ": the first " + std::to_string(kServingReplyCap) +
                        " bytes of the reply lack the expected text (got " + Quoted(reply) + ")",
                    "UnexpectedReply");
    }
    ssize_t n = ::recv(fd, buf, std::min(sizeof(buf), kServingReplyCap - reply.size()), 0);
    if (n > 0) {
      reply.append(buf, static_cast<size_t>(n));
    } else if (n == 0) {
      close(fd);
      return Status(Code::kUnavailable,
                    what + ": the reply lacks the expected text (got " +
                        (reply.empty() ? std::string("nothing") : Quoted(reply)) + ")",
                    "UnexpectedReply");
    } else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      if (WaitFd(fd, POLLIN, deadline) <= 0) {
        close(fd);
        return timed_out("no reply with the expected text", reply);
      }
    } else {
      int err = errno;
      close(fd);
      return Status(Code::kUnavailable,
                    what + ": recv: " + std::strerror(err) + " (got " + Quoted(reply) + ")",
                    "UnexpectedReply");
    }
  }
  close(fd);
  return OkStatus();
}

size_t CollectBody(char* data, size_t size, size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  size_t len = size * n;
  size_t room = kServingReplyCap - std::min(kServingReplyCap, body->size());
  body->append(data, std::min(len, room));
  return len <= room ? len : 0;  // 0 stops the transfer at the cap (CURLE_WRITE_ERROR)
}

Status Http(const std::string& ip, const ServingProbe& probe, Duration timeout) {
  // Checked first so that a bad address reads as TcpProbe's, not curl's.
  in_addr addr{};
  if (inet_pton(AF_INET, ip.c_str(), &addr) != 1) {
    return InvalidArgument("'" + ip + "' is not an IPv4 address");
  }
  if (probe.port < 1 || probe.port > 65535) {
    return InvalidArgument("port " + std::to_string(probe.port) + " is outside 1..65535");
  }
  const std::string what = probe.Describe(ip);
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return Internal("curl_easy_init failed");
  std::string body;
  const std::string url = "http://" + ip + ":" + std::to_string(probe.port) + probe.path;
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(std::max<int64_t>(1, timeout.count())));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, CollectBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);
  if (rc == CURLE_WRITE_ERROR && body.size() >= kServingReplyCap) rc = CURLE_OK;  // capped
  if (rc != CURLE_OK) {
    std::string code = rc == CURLE_OPERATION_TIMEDOUT ? "Timeout"
                       : rc == CURLE_COULDNT_CONNECT  ? "ConnectionRefused"
                                                      : "UnexpectedReply";
    return Status(Code::kUnavailable,
                  what + ": " + (error[0] != 0 ? std::string(error) : curl_easy_strerror(rc)),
                  code);
  }
  if (status != probe.expect_status) {
    return Status(Code::kUnavailable,
                  what + ": answered " + std::to_string(status) + " (body " + Quoted(body) + ")",
                  "UnexpectedStatus");
  }
  if (!probe.expect.empty() && body.find(probe.expect) == std::string::npos) {
    return Status(Code::kUnavailable,
                  what + ": the body lacks the expected text (got " + Quoted(body) + ")",
                  "UnexpectedReply");
  }
  return OkStatus();
}

}  // namespace

const char* ServingProbeKindName(ServingProbe::Kind kind) {
  return kind == ServingProbe::Kind::kHttp ? "http" : "tcp";
}

std::string ServingProbe::Describe(const std::string& ip) const {
  if (kind == Kind::kHttp) {
    std::string s = "http://" + ip + ":" + std::to_string(port) + path + " (expect " +
                    std::to_string(expect_status);
    if (!expect.empty()) s += ", body containing " + Quoted(expect);
    return s + ")";
  }
  std::string s = "tcp port " + std::to_string(port) + " of " + ip;
  if (!send.empty() || !expect.empty()) {
    s += " (";
    if (!send.empty()) s += "send " + Quoted(send);
    if (!send.empty() && !expect.empty()) s += ", ";
    if (!expect.empty()) s += "expect " + Quoted(expect);
    s += ")";
  }
  return s;
}

Status ProbeServing(const std::string& ip, const ServingProbe& probe, Duration timeout) {
  if (probe.kind == ServingProbe::Kind::kHttp) return Http(ip, probe, timeout);
  if (probe.send.empty() && probe.expect.empty()) return TcpProbe(ip, probe.port, timeout);
  return TcpSendExpect(ip, probe, timeout);
}

}  // namespace spotkeeper
