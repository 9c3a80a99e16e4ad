#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sgaudit/core/result.hpp"

namespace sgaudit::core {

// Addresses of both families are held as 128-bit unsigned values; an IPv4 address uses the low 32 bits.
__extension__ typedef unsigned __int128 Uint128;

enum class IpFamily : std::uint8_t { V4, V6 };

constexpr int addressBits(IpFamily family) {
  return family == IpFamily::V4 ? 32 : 128;
}
constexpr Uint128 maxAddressValue(IpFamily family) {
  return family == IpFamily::V4 ? Uint128{0xffffffffu} : ~Uint128{0};
}
const char* toString(IpFamily family);

struct IpAddress {
  IpFamily family = IpFamily::V4;
  Uint128 value = 0;

  static IpAddress v4(std::uint32_t value) { return {IpFamily::V4, value}; }
  static IpAddress v6(Uint128 value) { return {IpFamily::V6, value}; }
  // Dotted quad, or IPv6 with `::` compression and an embedded dotted quad (`::ffff:1.2.3.4`). An IPv4-mapped
  // IPv6 address stays IPv6: providers keep the families apart and so does the core.
  static Result<IpAddress> parse(std::string_view text);

  // Canonical text: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run as `::`).
  std::string toString() const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

// An inclusive interval [first, last] of address values of one family.
struct AddressRange {
  Uint128 first = 0;
  Uint128 last = 0;

  friend bool operator==(const AddressRange&, const AddressRange&) = default;
};

// A network prefix. Host bits are cleared on parse; the text the user wrote is kept for messages.
class Cidr {
 public:
  // Accepts `a.b.c.d/n`, `ipv6/n` and bare addresses (/32, /128). Rejects empty text, any whitespace, leading
  // zeros ("010"), out-of-range octets, groups or prefix lengths, and zone ids.
  static Result<Cidr> parse(std::string_view text);
  // The prefix of `prefixLength` bits containing `address`; `prefixLength` is clamped to the family's width.
  static Cidr containing(IpAddress address, int prefixLength);

  IpFamily family() const { return network_.family; }
  const IpAddress& network() const { return network_; }
  int prefixLength() const { return prefix_length_; }
  // True when the text had bits set beyond the prefix ("10.1.2.3/16"); the network is 10.1.0.0/16 either way.
  bool hadHostBits() const { return had_host_bits_; }
  // What the user wrote, or the canonical text for a computed prefix (which stores no text: decompositions of
  // large sets make many).
  std::string originalText() const { return original_text_.empty() ? toString() : original_text_; }
  std::string toString() const;
  AddressRange range() const;
  bool contains(const IpAddress& address) const;

  // Equal networks, whatever text they were written as.
  friend bool operator==(const Cidr& a, const Cidr& b) {
    return a.network_ == b.network_ && a.prefix_length_ == b.prefix_length_;
  }

 private:
  friend class AddressSet;  // builds decompositions without re-deriving each prefix

  IpAddress network_;
  int prefix_length_ = 0;
  bool had_host_bits_ = false;
  std::string original_text_;
};

// A set of addresses of both families, as sorted, disjoint, non-adjacent intervals per family.
class AddressSet {
 public:
  AddressSet() = default;
  static AddressSet all();
  static AddressSet allV4();
  static AddressSet allV6();
  static AddressSet of(const Cidr& cidr);
  static AddressSet of(const IpAddress& address);
  static AddressSet of(IpFamily family, AddressRange range);
  // Every text must parse as a CIDR; the first that does not is the error.
  static Result<AddressSet> parse(const std::vector<std::string>& cidrs);
  // From intervals in any order, overlapping or not.
  static AddressSet fromRanges(std::vector<AddressRange> v4, std::vector<AddressRange> v6);
  // From intervals of one family already sorted, disjoint and not adjacent (the form the set keeps), without
  // normalising them again.
  static AddressSet fromCanonicalRanges(IpFamily family, std::span<const AddressRange> ranges);
  static AddressSet fromCanonicalRanges(std::span<const AddressRange> v4, std::span<const AddressRange> v6);
  // Replaces the ranges of one family with canonical ones, as fromCanonicalRanges, reusing the set's memory.
  void assignCanonicalRanges(IpFamily family, std::span<const AddressRange> ranges);

  // Adds in place (the cheap way to build a set).
  void add(IpFamily family, AddressRange range);
  void add(const Cidr& cidr) { add(cidr.family(), cidr.range()); }

  AddressSet unite(const AddressSet& other) const;
  AddressSet intersect(const AddressSet& other) const;
  AddressSet subtract(const AddressSet& other) const;
  AddressSet only(IpFamily family) const;

  bool empty() const { return v4_.empty() && v6_.empty(); }
  bool contains(const IpAddress& address) const;
  // True when every address of `other` is in this set.
  bool contains(const AddressSet& other) const;
  bool intersects(const AddressSet& other) const;
  bool intersects(IpFamily family, AddressRange range) const;  // without building a set of the range

  const std::vector<AddressRange>& ranges(IpFamily family) const {
    return family == IpFamily::V4 ? v4_ : v6_;
  }

  // The fewest CIDRs whose union is this set, IPv4 first, each family in address order.
  std::vector<Cidr> toCidrs() const;
  // The CIDRs joined by ", "; "(none)" when empty.
  std::string toString() const;

  friend bool operator==(const AddressSet&, const AddressSet&) = default;

 private:
  std::vector<AddressRange>& mutableRanges(IpFamily family) { return family == IpFamily::V4 ? v4_ : v6_; }
  static void appendCidrs(IpFamily family, AddressRange range, std::vector<Cidr>& out);

  std::vector<AddressRange> v4_;
  std::vector<AddressRange> v6_;
};

// Addresses that are not public: "this network", RFC 1918, shared (CGNAT), loopback, link-local, and IPv6's
// unique-local and link-local ranges. What the audit calls exposure and the report calls public is what lies
// outside these, and both read this one list.
const AddressSet& nonPublicSpace();

}  // namespace sgaudit::core
