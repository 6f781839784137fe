// IPv4 CIDR blocks: parsing, containment, overlap and host addresses, for VPCs and subnets.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace spotkeeper::cloud {

struct Cidr {
  uint32_t network = 0;  // host byte order, masked
  int prefix_len = 0;

  // "10.0.1.0/24". InvalidArgument when malformed or when host bits are set.
  static Result<Cidr> Parse(const std::string& text);
  std::string ToString() const;
  uint32_t Size() const { return prefix_len == 0 ? 0 : (1u << (32 - prefix_len)); }
  uint32_t Mask() const { return prefix_len == 0 ? 0 : ~0u << (32 - prefix_len); }
  bool Contains(uint32_t addr) const { return (addr & Mask()) == network; }
  bool Contains(const Cidr& inner) const {
    return inner.prefix_len >= prefix_len && Contains(inner.network);
  }
  bool Overlaps(const Cidr& o) const { return Contains(o.network) || o.Contains(network); }
  // network + n, as text.
  std::string Host(uint32_t n) const;
};

Result<uint32_t> ParseIpv4(const std::string& text);
std::string FormatIpv4(uint32_t addr);

}  // namespace spotkeeper::cloud
