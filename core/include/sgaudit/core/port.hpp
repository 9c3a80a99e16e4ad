#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sgaudit/core/result.hpp"

namespace sgaudit::core {

// An IP protocol by IANA number, or "any" (AWS "-1", Huawei null, Azure "*").
class Protocol {
 public:
  static constexpr int kAnyNumber = -1;

  constexpr Protocol() = default;  // any
  static constexpr Protocol any() { return Protocol(kAnyNumber); }
  static constexpr Protocol icmp() { return Protocol(1); }
  static constexpr Protocol tcp() { return Protocol(6); }
  static constexpr Protocol udp() { return Protocol(17); }
  static constexpr Protocol icmpv6() { return Protocol(58); }
  static constexpr Protocol sctp() { return Protocol(132); }
  // 0-255, or -1 for any.
  static Result<Protocol> fromNumber(int number);
  // Names and numbers as providers write them: "tcp", "UDP", "6", "icmpv6", "ipv6-icmp", "-1", "any", "all",
  // "*".
  static Result<Protocol> parse(std::string_view text);

  constexpr int number() const { return number_; }
  constexpr bool isAny() const { return number_ == kAnyNumber; }
  // TCP, UDP and SCTP carry destination ports.
  constexpr bool hasPorts() const { return number_ == 6 || number_ == 17 || number_ == 132; }
  constexpr bool isIcmp() const { return number_ == 1 || number_ == 58; }
  // Whether rules of this protocol select on the 16-bit key (a port, or ICMP type and code); for other
  // protocols a rule's port set is ignored.
  constexpr bool hasKey() const { return hasPorts() || isIcmp(); }
  // "tcp", "udp", "icmp", "any" or the number for protocols without a name here.
  std::string name() const;

  friend constexpr bool operator==(Protocol, Protocol) = default;

 private:
  constexpr explicit Protocol(int number) : number_(static_cast<std::int16_t>(number)) {}
  std::int16_t number_ = kAnyNumber;
};

// An inclusive range of the 16-bit key: destination ports for TCP/UDP/SCTP, and type * 256 + code for ICMP so
// that the same interval logic serves both.
struct PortRange {
  std::uint16_t first = 0;
  std::uint16_t last = 65535;

  static constexpr PortRange all() { return {0, 65535}; }
  static constexpr PortRange single(std::uint16_t port) { return {port, port}; }
  // Checks 0 <= first <= last <= 65535.
  static Result<PortRange> make(long first, long last);
  // One ICMP type with every code, or one type and code.
  static constexpr PortRange icmpType(std::uint8_t type) {
    return {static_cast<std::uint16_t>(type * 256), static_cast<std::uint16_t>(type * 256 + 255)};
  }
  static constexpr PortRange icmpTypeCode(std::uint8_t type, std::uint8_t code) {
    return single(static_cast<std::uint16_t>(type * 256 + code));
  }

  constexpr bool contains(std::uint16_t key) const { return key >= first && key <= last; }
  bool isAll() const { return first == 0 && last == 65535; }
  // "80", "8000-8080"; see describeKeys for ICMP.
  std::string toString() const;

  friend constexpr bool operator==(const PortRange&, const PortRange&) = default;
};

// "port 80", "ports 8000-8080", "all ports", "ICMP type 8", "ICMP type 8 code 0", "all ICMP types", or "all"
// for protocols without ports.
std::string describeKeys(Protocol protocol, PortRange range);

// A set of keys as sorted, disjoint, non-adjacent ranges.
class PortSet {
 public:
  PortSet() = default;  // empty
  static PortSet all() { return of(PortRange::all()); }
  static PortSet of(PortRange range);
  // "80", "80,443", "8000-8080,9090" (Huawei multiport, Azure destinationPortRanges); "" and "any" mean all.
  static Result<PortSet> parse(std::string_view text);

  void add(PortRange range);
  bool contains(std::uint16_t key) const;
  // Every key of `range` is in the set.
  bool contains(PortRange range) const;
  bool intersects(PortRange range) const;
  // The keys of the set that fall in `range`.
  PortSet intersect(PortRange range) const;
  bool empty() const { return ranges_.empty(); }
  bool isAll() const { return ranges_.size() == 1 && ranges_[0].isAll(); }
  const std::vector<PortRange>& ranges() const { return ranges_; }
  std::string toString() const;

  friend bool operator==(const PortSet&, const PortSet&) = default;

 private:
  std::vector<PortRange> ranges_;
};

}  // namespace sgaudit::core
