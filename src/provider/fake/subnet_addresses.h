// SubnetAddresses: the private IPv4 addresses of one subnet, as EC2 hands them out. The first
// four addresses and the last one of the CIDR block are reserved (network, VPC router, DNS,
// future use, broadcast); every other address is given to at most one holder at a time. Not
// thread-safe; the owner locks.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace spotkeeper {

// "10.0.1.7" <-> 0x0A000107. Parse fails with InvalidArgument on anything but a dotted quad.
Result<uint32_t> ParseIpv4(const std::string& text);
std::string FormatIpv4(uint32_t ip);

class SubnetAddresses {
 public:
  // `cidr` like "10.0.1.0/24"; EC2 allows /16 to /28 (InvalidSubnet.Range otherwise) and the
  // address must be the block's network address (InvalidParameterValue otherwise).
  static Result<SubnetAddresses> Create(const std::string& cidr);

  const std::string& cidr() const { return cidr_; }
  // Whether the two blocks share any address.
  bool Overlaps(const SubnetAddresses& other) const;
  // Addresses that can be handed out (size minus the five reserved) and how many are taken.
  int64_t usable() const { return static_cast<int64_t>(size_) - 5; }
  int64_t in_use() const { return in_use_; }

  // Takes `ip`, or when `ip` is empty the next free address after the last one handed out
  // (wrapping around). Errors: InvalidParameterValue (not an address of this subnet, or a
  // reserved one), InvalidIPAddress.InUse, InsufficientFreeAddressesInSubnet.
  Result<std::string> Allocate(const std::string& ip);
  // The error Allocate(ip) would return, without taking anything.
  Status CanAllocate(const std::string& ip) const;
  // Gives `ip` back; unknown or free addresses are ignored.
  void Release(const std::string& ip);
  bool IsInUse(const std::string& ip) const;

 private:
  SubnetAddresses(std::string cidr, uint32_t network, uint32_t size)
      : cidr_(std::move(cidr)), network_(network), size_(size), used_(size, false) {}

  std::string cidr_;
  uint32_t network_;
  uint32_t size_;
  std::vector<bool> used_;  // by offset from network_
  uint32_t cursor_ = 4;     // where the next automatic pick starts looking
  int64_t in_use_ = 0;
};

}  // namespace spotkeeper
