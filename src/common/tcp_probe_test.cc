#include "common/tcp_probe.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace spotkeeper {
namespace {

// A listening socket on 127.0.0.1 at a port the kernel picks; closed on destruction.
class Listener {
 public:
  Listener() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    EXPECT_EQ(listen(fd_, 4), 0);
    socklen_t len = sizeof(a);
    EXPECT_EQ(getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len), 0);
    port_ = ntohs(a.sin_port);
  }
  ~Listener() { Close(); }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(TcpProbeTest, AcceptedConnectionIsOkAndAClosedPortIsRefused) {
  Listener l;
  EXPECT_TRUE(TcpProbe("127.0.0.1", l.port(), Duration{2000}).ok());
  l.Close();
  Status s = TcpProbe("127.0.0.1", l.port(), Duration{2000});
  EXPECT_EQ(s.code(), Code::kUnavailable) << s.ToString();
  EXPECT_EQ(s.cloud_code(), "ConnectionRefused");
  EXPECT_NE(s.message().find("127.0.0.1:" + std::to_string(l.port())), std::string::npos);
}

TEST(TcpProbeTest, BadAddressOrPortIsInvalidArgument) {
  EXPECT_EQ(TcpProbe("10.0.0.300", 80, Duration{100}).code(), Code::kInvalidArgument);
  EXPECT_EQ(TcpProbe("::1", 80, Duration{100}).code(), Code::kInvalidArgument);
  EXPECT_EQ(TcpProbe("127.0.0.1", 0, Duration{100}).code(), Code::kInvalidArgument);
  EXPECT_EQ(TcpProbe("127.0.0.1", 65536, Duration{100}).code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace spotkeeper
