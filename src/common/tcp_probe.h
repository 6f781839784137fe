// TcpProbe: does something accept TCP connections at ip:port? One non-blocking connect, bounded
// by a timeout, closed at once (no data is sent). The caller decides where it runs: the ec2
// provider from the controller's own network (AWS), the local cloud from a thread inside a VPC
// namespace. Never from the host namespace to an address the host does not own.
#pragma once

#include <string>

#include "common/status.h"
#include "common/time.h"

namespace spotkeeper {

// OK when the connection was accepted within `timeout`. Otherwise kUnavailable with cloud_code
// "ConnectionRefused", "Timeout" or "Unreachable" and a message naming ip:port and the cause;
// kInvalidArgument for an ip that is not IPv4 dotted-quad or a port outside 1..65535.
Status TcpProbe(const std::string& ip, int port, Duration timeout);

// The connection itself: a connected non-blocking socket (the caller closes it), or TcpProbe's
// errors.
Result<int> TcpConnect(const std::string& ip, int port, Duration timeout);

}  // namespace spotkeeper
