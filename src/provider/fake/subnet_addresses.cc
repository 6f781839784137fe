#include "provider/fake/subnet_addresses.h"

#include <cstdio>

namespace spotkeeper {

Result<uint32_t> ParseIpv4(const std::string& text) {
  unsigned a, b, c, d;
  char tail;
  if (std::sscanf(text.c_str(), "%3u.%3u.%3u.%3u%c", &a, &b, &c, &d, &tail) != 4 || a > 255 ||
      b > 255 || c > 255 || d > 255) {
    return Status(Code::kInvalidArgument, "'" + text + "' is not a valid IPv4 address",
                  "InvalidParameterValue");
  }
  return (a << 24) | (b << 16) | (c << 8) | d;
}

std::string FormatIpv4(uint32_t ip) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255,
                ip & 255);
  return buf;
}

Result<SubnetAddresses> SubnetAddresses::Create(const std::string& cidr) {
  auto slash = cidr.find('/');
  if (slash == std::string::npos) {
    return Status(Code::kInvalidArgument, "'" + cidr + "' is not a CIDR block",
                  "InvalidParameterValue");
  }
  SK_ASSIGN_OR_RETURN(uint32_t network, ParseIpv4(cidr.substr(0, slash)));
  int prefix = -1;
  char tail;
  if (std::sscanf(cidr.c_str() + slash + 1, "%d%c", &prefix, &tail) != 1) prefix = -1;
  if (prefix < 16 || prefix > 28) {
    return Status(Code::kInvalidArgument,
                  "The CIDR '" + cidr + "' is invalid: subnets are /16 to /28",
                  "InvalidSubnet.Range");
  }
  uint32_t size = 1u << (32 - prefix);
  if ((network & (size - 1)) != 0) {
    return Status(Code::kInvalidArgument, "The CIDR '" + cidr + "' is not a network address",
                  "InvalidParameterValue");
  }
  return SubnetAddresses(cidr, network, size);
}

bool SubnetAddresses::Overlaps(const SubnetAddresses& other) const {
  uint64_t a0 = network_, a1 = a0 + size_, b0 = other.network_, b1 = b0 + other.size_;
  return a0 < b1 && b0 < a1;
}

Status SubnetAddresses::CanAllocate(const std::string& ip) const {
  if (ip.empty()) {
    if (in_use_ < usable()) return OkStatus();
    return Status(Code::kResourceExhausted,
                  "There are not enough free addresses in subnet " + cidr_,
                  "InsufficientFreeAddressesInSubnet");
  }
  SK_ASSIGN_OR_RETURN(uint32_t addr, ParseIpv4(ip));
  if (addr < network_ || addr - network_ >= size_) {
    return Status(Code::kInvalidArgument,
                  "Address " + ip + " does not fall within the subnet's address range " + cidr_,
                  "InvalidParameterValue");
  }
  uint32_t off = addr - network_;
  if (off < 4 || off == size_ - 1) {
    return Status(Code::kInvalidArgument,
                  "Address " + ip + " is in subnet's reserved address range",
                  "InvalidParameterValue");
  }
  if (used_[off]) {
    return Status(Code::kFailedPrecondition, "Address " + ip + " is in use.",
                  "InvalidIPAddress.InUse");
  }
  return OkStatus();
}

Result<std::string> SubnetAddresses::Allocate(const std::string& ip) {
  SK_RETURN_IF_ERROR(CanAllocate(ip));
  if (!ip.empty()) {
    used_[*ParseIpv4(ip) - network_] = true;
    ++in_use_;
    return ip;
  }
  for (;;) {  // CanAllocate saw a free address, so this ends within one lap
    uint32_t off = cursor_;
    cursor_ = cursor_ + 1 >= size_ - 1 ? 4 : cursor_ + 1;
    if (off < 4 || off >= size_ - 1 || used_[off]) continue;
    used_[off] = true;
    ++in_use_;
    return FormatIpv4(network_ + off);
  }
}

void SubnetAddresses::Release(const std::string& ip) {
  Result<uint32_t> addr = ParseIpv4(ip);
  if (!addr.ok() || *addr < network_ || *addr - network_ >= size_) return;
  uint32_t off = *addr - network_;
  if (used_[off]) {
    used_[off] = false;
    --in_use_;
  }
}

bool SubnetAddresses::IsInUse(const std::string& ip) const {
  Result<uint32_t> addr = ParseIpv4(ip);
  if (!addr.ok() || *addr < network_ || *addr - network_ >= size_) return false;
  return used_[*addr - network_];
}

}  // namespace spotkeeper
