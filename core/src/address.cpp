#include "sgaudit/core/address.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdio>
#include <optional>

#include "interval_algebra.hpp"

namespace sgaudit::core {
namespace {

Error errorAt(std::string_view text, const std::string& what) {
  std::string message;
  message.reserve(text.size() + what.size() + 4);
  message.append("\"").append(text).append("\": ").append(what);
  return Error{std::move(message)};
}

bool isDecimalDigit(char c) {
  return c >= '0' && c <= '9';
}

int hexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A decimal number without sign or leading zeros; -1 when `digits` is not one.
long parseDecimal(std::string_view digits, std::size_t maxDigits) {
  if (digits.empty() || digits.size() > maxDigits) return -1;
  if (digits.size() > 1 && digits[0] == '0') return -1;
  long value = 0;
  for (char c : digits) {
    if (!isDecimalDigit(c)) return -1;
    value = value * 10 + (c - '0');
  }
  return value;
}

// Parses a dotted quad; `whole` is the full input for messages.
Result<std::uint32_t> parseDottedQuad(std::string_view text, std::string_view whole) {
  std::uint32_t value = 0;
  std::size_t start = 0;
  for (int octet = 1; octet <= 4; ++octet) {
    std::size_t end = text.find('.', start);
    if (octet < 4 && end == std::string_view::npos) {
      return errorAt(whole, "an IPv4 address needs 4 octets");
    }
    if (octet == 4 && end != std::string_view::npos)
      return errorAt(whole, "an IPv4 address has only 4 octets");
    std::string_view part =
        text.substr(start, end == std::string_view::npos ? text.size() - start : end - start);
    if (part.empty()) return errorAt(whole, "octet " + std::to_string(octet) + " is empty");
    for (char c : part) {
      if (!isDecimalDigit(c)) {
        return errorAt(whole, "octet " + std::to_string(octet) + " is not a decimal number");
      }
    }
    if (part.size() > 1 && part[0] == '0') {
      return errorAt(whole,
                     "octet " + std::to_string(octet) + " has a leading zero (ambiguous: octal or decimal?)");
    }
    long number = parseDecimal(part, 3);
    if (number < 0 || number > 255) return errorAt(whole, "octet " + std::to_string(octet) + " out of range");
    value = (value << 8) | static_cast<std::uint32_t>(number);
    start = end + 1;
  }
  return value;
}

Result<Uint128> parseIpv6(std::string_view text, std::string_view whole) {
  if (text.find('%') != std::string_view::npos) return errorAt(whole, "zone ids are not allowed");
  std::size_t doubleColon = text.find("::");
  if (doubleColon != std::string_view::npos && text.find("::", doubleColon + 1) != std::string_view::npos) {
    return errorAt(whole, "\"::\" may appear only once");
  }

  // Parses colon-separated groups; the last may be a dotted quad worth two groups.
  auto parseGroups = [&](std::string_view part, std::vector<std::uint16_t>& groups,
                         bool mayEndWithQuad) -> std::optional<Error> {
    if (part.empty()) return std::nullopt;
    std::size_t start = 0;
    while (true) {
      std::size_t end = part.find(':', start);
      std::string_view group =
          part.substr(start, end == std::string_view::npos ? part.size() - start : end - start);
      if (group.empty())
        return errorAt(whole, "empty group (a single ':' where '::' or a group was expected)");
      if (end == std::string_view::npos && mayEndWithQuad && group.find('.') != std::string_view::npos) {
        auto quad = parseDottedQuad(group, whole);
        if (!quad) return quad.error();
        groups.push_back(static_cast<std::uint16_t>(*quad >> 16));
        groups.push_back(static_cast<std::uint16_t>(*quad & 0xffff));
        return std::nullopt;
      }
      if (group.size() > 4)
        return errorAt(whole, "group \"" + std::string(group) + "\" has more than 4 hex digits");
      unsigned value = 0;
      for (char c : group) {
        int digit = hexDigitValue(c);
        if (digit < 0) return errorAt(whole, "group \"" + std::string(group) + "\" is not hexadecimal");
        value = value * 16 + static_cast<unsigned>(digit);
      }
      groups.push_back(static_cast<std::uint16_t>(value));
      if (end == std::string_view::npos) return std::nullopt;
      start = end + 1;
    }
  };

  std::vector<std::uint16_t> head;
  std::vector<std::uint16_t> tail;
  if (doubleColon == std::string_view::npos) {
    if (auto error = parseGroups(text, head, true)) return *error;
    if (head.size() != 8) return errorAt(whole, "an IPv6 address needs 8 groups (or '::')");
  } else {
    if (auto error = parseGroups(text.substr(0, doubleColon), head, false)) return *error;
    if (auto error = parseGroups(text.substr(doubleColon + 2), tail, true)) return *error;
    if (head.size() + tail.size() > 7) return errorAt(whole, "too many groups for an address with '::'");
  }
  Uint128 value = 0;
  for (std::uint16_t group : head)
    value = (value << 16) | group;
  for (std::size_t i = head.size() + tail.size(); i < 8; ++i)
    value <<= 16;
  for (std::uint16_t group : tail)
    value = (value << 16) | group;
  return value;
}

Result<IpAddress> parseAddress(std::string_view text, std::string_view whole) {
  if (text.empty()) return errorAt(whole, "no address");
  if (text.find(':') != std::string_view::npos) {
    auto value = parseIpv6(text, whole);
    if (!value) return value.error();
    return IpAddress::v6(*value);
  }
  auto value = parseDottedQuad(text, whole);
  if (!value) return value.error();
  return IpAddress::v4(*value);
}

Uint128 hostMask(IpFamily family, int prefixLength) {
  int hostBits = addressBits(family) - prefixLength;
  if (hostBits <= 0) return 0;
  if (hostBits >= 128) return ~Uint128{0};
  return (Uint128{1} << hostBits) - 1;
}

int trailingZeros(Uint128 value) {
  auto low = static_cast<std::uint64_t>(value);
  if (low != 0) return __builtin_ctzll(low);
  auto high = static_cast<std::uint64_t>(value >> 64);
  if (high != 0) return 64 + __builtin_ctzll(high);
  return 128;
}

int bitWidth(Uint128 value) {  // floor(log2(value)) + 1; 0 for 0
  auto high = static_cast<std::uint64_t>(value >> 64);
  if (high != 0) return 128 - __builtin_clzll(high);
  auto low = static_cast<std::uint64_t>(value);
  return low == 0 ? 0 : 64 - __builtin_clzll(low);
}

}  // namespace

const char* toString(IpFamily family) {
  return family == IpFamily::V4 ? "IPv4" : "IPv6";
}

Result<IpAddress> IpAddress::parse(std::string_view text) {
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') return errorAt(text, "whitespace is not allowed");
  }
  return parseAddress(text, text);
}

namespace {

// "10.1.2.3" written by hand: an audit at fleet size writes millions of addresses, and snprintf's format
// parsing was most of their cost.
char* writeDottedQuad(char* out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    const unsigned octet = (v >> shift) & 0xff;
    if (octet >= 100) *out++ = static_cast<char>('0' + octet / 100);
    if (octet >= 10) *out++ = static_cast<char>('0' + octet / 10 % 10);
    *out++ = static_cast<char>('0' + octet % 10);
    if (shift != 0) *out++ = '.';
  }
  return out;
}

}  // namespace

std::string IpAddress::toString() const {
  char buffer[64];
  if (family == IpFamily::V4) {
    const char* end = writeDottedQuad(buffer, static_cast<std::uint32_t>(value));
    return std::string(buffer, static_cast<std::size_t>(end - buffer));
  }
  std::array<unsigned, 8> groups{};
  for (int i = 0; i < 8; ++i)
    groups[i] = static_cast<unsigned>((value >> (16 * (7 - i))) & 0xffff);
  // IPv4-mapped addresses keep their dotted quad (RFC 5952 section 5).
  if ((value >> 32) == 0xffff) {
    auto v = static_cast<std::uint32_t>(value);
    std::snprintf(buffer, sizeof buffer, "::ffff:%u.%u.%u.%u", v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff,
                  v & 0xff);
    return buffer;
  }
  int bestStart = -1;
  int bestLength = 1;  // a single zero group is not compressed
  for (int i = 0; i < 8;) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && groups[j] == 0)
      ++j;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (i == bestStart) {
      out += "::";
      i += bestLength - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    std::snprintf(buffer, sizeof buffer, "%x", groups[i]);
    out += buffer;
  }
  return out;
}

Result<Cidr> Cidr::parse(std::string_view text) {
  if (text.empty()) return Error{"empty CIDR"};
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') return errorAt(text, "whitespace is not allowed");
  }
  std::size_t slash = text.find('/');
  auto address = parseAddress(text.substr(0, slash), text);
  if (!address) return address.error();
  int maxLength = addressBits(address->family);
  int prefixLength = maxLength;
  if (slash != std::string_view::npos) {
    std::string_view digits = text.substr(slash + 1);
    if (digits.empty()) return errorAt(text, "missing prefix length after '/'");
    long value = parseDecimal(digits, 3);
    if (value < 0) return errorAt(text, "prefix length is not a decimal number without leading zeros");
    if (value > maxLength) {
      return errorAt(text,
                     "prefix length " + std::to_string(value) + " exceeds " + std::to_string(maxLength));
    }
    prefixLength = static_cast<int>(value);
  }
  Cidr cidr = containing(*address, prefixLength);
  cidr.had_host_bits_ = (address->value & hostMask(address->family, prefixLength)) != 0;
  cidr.original_text_ = std::string(text);
  return cidr;
}

Cidr Cidr::containing(IpAddress address, int prefixLength) {
  Cidr cidr;
  cidr.prefix_length_ = std::clamp(prefixLength, 0, addressBits(address.family));
  cidr.network_ = IpAddress{address.family, address.value & ~hostMask(address.family, cidr.prefix_length_)};
  return cidr;
}

std::string Cidr::toString() const {
  std::string text = network_.toString();
  text += '/';
  if (prefix_length_ >= 100) text += static_cast<char>('0' + prefix_length_ / 100);
  if (prefix_length_ >= 10) text += static_cast<char>('0' + prefix_length_ / 10 % 10);
  text += static_cast<char>('0' + prefix_length_ % 10);
  return text;
}

AddressRange Cidr::range() const {
  return {network_.value, network_.value | hostMask(network_.family, prefix_length_)};
}

bool Cidr::contains(const IpAddress& address) const {
  if (address.family != network_.family) return false;
  AddressRange r = range();
  return address.value >= r.first && address.value <= r.last;
}

AddressSet AddressSet::all() {
  AddressSet set;
  set.v4_.push_back({0, maxAddressValue(IpFamily::V4)});
  set.v6_.push_back({0, maxAddressValue(IpFamily::V6)});
  return set;
}

AddressSet AddressSet::allV4() {
  return of(IpFamily::V4, {0, maxAddressValue(IpFamily::V4)});
}
AddressSet AddressSet::allV6() {
  return of(IpFamily::V6, {0, maxAddressValue(IpFamily::V6)});
}
AddressSet AddressSet::of(const Cidr& cidr) {
  return of(cidr.family(), cidr.range());
}
AddressSet AddressSet::of(const IpAddress& address) {
  return of(address.family, {address.value, address.value});
}

AddressSet AddressSet::of(IpFamily family, AddressRange range) {
  AddressSet set;
  set.add(family, range);
  return set;
}

Result<AddressSet> AddressSet::parse(const std::vector<std::string>& cidrs) {
  AddressSet set;
  for (const std::string& text : cidrs) {
    auto cidr = Cidr::parse(text);
    if (!cidr) return cidr.error();
    set.add(*cidr);
  }
  return set;
}

AddressSet AddressSet::fromRanges(std::vector<AddressRange> v4, std::vector<AddressRange> v6) {
  AddressSet set;
  for (auto* ranges : {&v4, &v6}) {
    IpFamily family = ranges == &v4 ? IpFamily::V4 : IpFamily::V6;
    std::erase_if(*ranges, [](const AddressRange& range) { return range.first > range.last; });
    for (AddressRange& range : *ranges)
      range.last = std::min(range.last, maxAddressValue(family));
    intervals::normalise(*ranges);
    set.mutableRanges(family) = std::move(*ranges);
  }
  return set;
}

AddressSet AddressSet::fromCanonicalRanges(IpFamily family, std::span<const AddressRange> ranges) {
  AddressSet set;
  set.assignCanonicalRanges(family, ranges);
  return set;
}

void AddressSet::assignCanonicalRanges(IpFamily family, std::span<const AddressRange> ranges) {
  mutableRanges(family).assign(ranges.begin(), ranges.end());
  assert(std::ranges::all_of(
      ranges, [&](const AddressRange& r) { return r.first <= r.last && r.last <= maxAddressValue(family); }));
  assert(std::adjacent_find(ranges.begin(), ranges.end(), [](const AddressRange& a, const AddressRange& b) {
           return intervals::overlapsOrTouches(a, b) || b.first < a.first;
         }) == ranges.end());
}

AddressSet AddressSet::fromCanonicalRanges(std::span<const AddressRange> v4,
                                           std::span<const AddressRange> v6) {
  AddressSet set = fromCanonicalRanges(IpFamily::V4, v4);
  set.v6_ = fromCanonicalRanges(IpFamily::V6, v6).v6_;
  return set;
}

void AddressSet::add(IpFamily family, AddressRange range) {
  if (range.first > range.last) return;
  range.last = std::min(range.last, maxAddressValue(family));
  auto& ranges = mutableRanges(family);
  if (ranges.empty() || ranges.back().last < range.first) {
    intervals::appendMerging(ranges, range);
    return;
  }
  ranges.push_back(range);
  intervals::normalise(ranges);
}

AddressSet AddressSet::unite(const AddressSet& other) const {
  AddressSet out;
  intervals::uniteInto(v4_, other.v4_, out.v4_);
  intervals::uniteInto(v6_, other.v6_, out.v6_);
  return out;
}

AddressSet AddressSet::intersect(const AddressSet& other) const {
  AddressSet out;
  intervals::intersectInto(v4_, other.v4_, out.v4_);
  intervals::intersectInto(v6_, other.v6_, out.v6_);
  return out;
}

AddressSet AddressSet::subtract(const AddressSet& other) const {
  AddressSet out;
  intervals::subtractInto(v4_, other.v4_, out.v4_);
  intervals::subtractInto(v6_, other.v6_, out.v6_);
  return out;
}

AddressSet AddressSet::only(IpFamily family) const {
  AddressSet out;
  out.mutableRanges(family) = ranges(family);
  return out;
}

bool AddressSet::contains(const IpAddress& address) const {
  return intervals::find(ranges(address.family), address.value) >= 0;
}

bool AddressSet::contains(const AddressSet& other) const {
  // Most sets asked are the same (a node's public space, on port after port): told by one comparison.
  if (v4_ == other.v4_ && v6_ == other.v6_) return true;
  return intervals::containsAll(v4_, other.v4_) && intervals::containsAll(v6_, other.v6_);
}

bool AddressSet::intersects(const AddressSet& other) const {
  return intervals::intersects(v4_, other.v4_) || intervals::intersects(v6_, other.v6_);
}

bool AddressSet::intersects(IpFamily family, AddressRange range) const {
  const auto& ranges = family == IpFamily::V4 ? v4_ : v6_;
  // The first interval that does not end before the range starts.
  const auto it =
      std::lower_bound(ranges.begin(), ranges.end(), range.first,
                       [](const AddressRange& r, const Uint128& first) { return r.last < first; });
  return it != ranges.end() && it->first <= range.last;
}

namespace {

// The fewest aligned blocks covering [range.first, range.last]: from the left, each time the largest block
// that is aligned at the cursor and does not pass the end. Calls emit(network, blockBits) for each.
template <class Emit>
void forEachCidrBlock(IpFamily family, AddressRange range, Emit&& emit) {
  const int bits = addressBits(family);
  Uint128 first = range.first;
  while (true) {
    Uint128 remaining = range.last - first;  // block size minus one, at most
    int fits = remaining == ~Uint128{0} ? 128 : bitWidth(remaining + 1) - 1;
    int blockBits = std::min({trailingZeros(first), bits, fits});
    emit(first, blockBits);
    Uint128 last = first | (blockBits >= 128 ? ~Uint128{0} : (Uint128{1} << blockBits) - 1);
    if (last >= range.last) return;
    first = last + 1;
  }
}

}  // namespace

void AddressSet::appendCidrs(IpFamily family, AddressRange range, std::vector<Cidr>& out) {
  const int bits = addressBits(family);
  forEachCidrBlock(family, range, [&](Uint128 network, int blockBits) {
    Cidr& cidr = out.emplace_back();
    cidr.network_ = IpAddress{family, network};
    cidr.prefix_length_ = bits - blockBits;
  });
}

std::vector<Cidr> AddressSet::toCidrs() const {
  std::vector<Cidr> out;
  // Counted first: a CIDR is large enough that growing the vector by doubling costs more than counting.
  std::size_t count = 0;
  for (IpFamily family : {IpFamily::V4, IpFamily::V6}) {
    for (const AddressRange& range : ranges(family))
      forEachCidrBlock(family, range, [&](Uint128, int) { ++count; });
  }
  out.reserve(count);
  for (const AddressRange& range : v4_)
    appendCidrs(IpFamily::V4, range, out);
  for (const AddressRange& range : v6_)
    appendCidrs(IpFamily::V6, range, out);
  return out;
}

std::string AddressSet::toString() const {
  if (empty()) return "(none)";
  std::string out;
  for (const Cidr& cidr : toCidrs()) {
    if (!out.empty()) out += ", ";
    out += cidr.toString();
  }
  return out;
}

const AddressSet& nonPublicSpace() {
  static const AddressSet space = [] {
    AddressSet set;
    for (const char* cidr : {"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
                             "172.16.0.0/12", "192.168.0.0/16", "::1/128", "fc00::/7", "fe80::/10"}) {
      set.add(*Cidr::parse(cidr));
    }
    return set;
  }();
  return space;
}

}  // namespace sgaudit::core
