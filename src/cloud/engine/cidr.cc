#include "cloud/engine/cidr.h"

#include <arpa/inet.h>

namespace spotkeeper::cloud {

Result<uint32_t> ParseIpv4(const std::string& text) {
  in_addr a{};
  if (text.empty() || inet_pton(AF_INET, text.c_str(), &a) != 1) {
    return InvalidArgument("'" + text + "' is not an IPv4 address");
  }
  return ntohl(a.s_addr);
}

std::string FormatIpv4(uint32_t addr) {
  in_addr a{};
  a.s_addr = htonl(addr);
  char buf[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

Result<Cidr> Cidr::Parse(const std::string& text) {
  size_t slash = text.find('/');
  if (slash == std::string::npos) return InvalidArgument("'" + text + "' is not a CIDR block");
  SK_ASSIGN_OR_RETURN(uint32_t addr, ParseIpv4(text.substr(0, slash)));
  std::string len = text.substr(slash + 1);
  if (len.empty() || len.size() > 2 || len.find_first_not_of("0123456789") != std::string::npos) {
    return InvalidArgument("'" + text + "' is not a CIDR block");
  }
  Cidr c;
  c.prefix_len = std::stoi(len);
  if (c.prefix_len < 1 || c.prefix_len > 32) {
    return InvalidArgument("'" + text + "' is not a CIDR block");
  }
  c.network = addr & c.Mask();
  if (c.network != addr) return InvalidArgument("'" + text + "' has host bits set");
  return c;
}

std::string Cidr::ToString() const {
  return FormatIpv4(network) + "/" + std::to_string(prefix_len);
}

std::string Cidr::Host(uint32_t n) const { return FormatIpv4(network + n); }

}  // namespace spotkeeper::cloud
