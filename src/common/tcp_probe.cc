#include "common/tcp_probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace spotkeeper {
namespace {

Status Failed(const std::string& where, int err) {
  std::string code = err == ECONNREFUSED ? "ConnectionRefused"
                     : err == ETIMEDOUT  ? "Timeout"
                                         : "Unreachable";
  return Status(Code::kUnavailable, "connect " + where + ": " + std::strerror(err), code);
}

}  // namespace

Result<int> TcpConnect(const std::string& ip, int port, Duration timeout) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (inet_pton(AF_INET, ip.c_str(), &addr.sin_addr) != 1) {
    return InvalidArgument("'" + ip + "' is not an IPv4 address");
  }
  if (port < 1 || port > 65535) {
    return InvalidArgument("port " + std::to_string(port) + " is outside 1..65535");
  }
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const std::string where = ip + ":" + std::to_string(port);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Internal("socket: " + std::string(std::strerror(errno)));
  Status result;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (errno != EINPROGRESS) {
      result = Failed(where, errno);
    } else {
      pollfd p{fd, POLLOUT, 0};
      int64_t ms = std::max<int64_t>(0, timeout.count());
      int n;
      do {
        n = poll(&p, 1, static_cast<int>(std::min<int64_t>(ms, 3'600'000)));
      } while (n < 0 && errno == EINTR);
      if (n == 0) {
        result =
            Status(Code::kUnavailable,
                   "connect " + where + ": no answer within " + FormatDuration(timeout), "Timeout");
      } else if (n < 0) {
        result = Internal("poll: " + std::string(std::strerror(errno)));
      } else {
        int err = 0;
        socklen_t len = sizeof(err);
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
        if (err != 0) result = Failed(where, err);
      }
    }
  }
  if (!result.ok()) {
    close(fd);
    return result;
  }
  return fd;
}

Status TcpProbe(const std::string& ip, int port, Duration timeout) {
  SK_ASSIGN_OR_RETURN(int fd, TcpConnect(ip, port, timeout));
  close(fd);
  return OkStatus();
}

}  // namespace spotkeeper
