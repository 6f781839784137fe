// Test helper: a raw HTTP/1.1 client over loopback that sends exactly the bytes it is given
// and can stream a large chunked body while watching for an early answer, so limit tests can
// tell "refused from the headers" (answered after a few bytes) from "read everything first".
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace spotkeeper::testing {

struct RawHttpResult {
  std::string response;  // raw bytes of what came back (possibly empty)
  size_t body_sent = 0;  // body bytes the client managed to send before the answer
  int status() const {
    int s = 0;
    return std::sscanf(response.c_str(), "HTTP/1.1 %d", &s) == 1 ? s : 0;
  }
  std::string body() const {
    size_t p = response.find("\r\n\r\n");
    return p == std::string::npos ? "" : response.substr(p + 4);
  }
  bool closed = false;  // the server closed the connection after answering
};

// Sends `head` (request line and headers, ending in a blank line) to 127.0.0.1:`port`, then
// `body_bytes` of body as 64 KiB chunks when `chunked`, else raw. Stops sending as soon as the
// server answers; reads the answer until the server closes or is quiet for 2 s.
inline RawHttpResult SendRaw(int port, const std::string& head, size_t body_bytes, bool chunked) {
  RawHttpResult out;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return out;
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  const std::string piece(64 * 1024, 'x');
  std::string pending = head;
  size_t queued = 0;  // body bytes put in `pending` so far
  bool answered = false;
  for (;;) {
    if (pending.empty()) {
      if (queued >= body_bytes) {
        if (chunked && queued != SIZE_MAX) pending = "0\r\n\r\n";
        queued = SIZE_MAX;
        if (pending.empty()) break;
      } else {
        size_t n = std::min(piece.size(), body_bytes - queued);
        char size_line[32];
        std::snprintf(size_line, sizeof size_line, "%zx\r\n", n);
        pending = chunked ? size_line + piece.substr(0, n) + "\r\n" : piece.substr(0, n);
        queued += n;
      }
    }
    pollfd p{fd, POLLIN | POLLOUT, 0};
    if (::poll(&p, 1, 5000) <= 0) break;  // neither answered nor took more: give up
    if ((p.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      answered = true;
      break;
    }
    ssize_t w = ::send(fd, pending.data(), pending.size(), MSG_NOSIGNAL);
    if (w < 0) break;
    pending.erase(0, static_cast<size_t>(w));
    if (pending.empty() && queued != SIZE_MAX) out.body_sent = queued;
  }
  (void)answered;
  char buf[16384];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 2000) <= 0) break;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      out.closed = true;
      break;
    }
    out.response.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace spotkeeper::testing
