#include "sgaudit/core/port.hpp"

#include <algorithm>
#include <cctype>

#include "interval_algebra.hpp"

namespace sgaudit::core {
namespace {

std::string lowerCase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// A decimal number without sign or leading zeros, at most 5 digits; -1 when `digits` is not one.
long parseDecimal(std::string_view digits) {
  if (digits.empty() || digits.size() > 5) return -1;
  if (digits.size() > 1 && digits[0] == '0') return -1;
  long value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

Result<Protocol> Protocol::fromNumber(int number) {
  if (number < kAnyNumber || number > 255) {
    return Error{"protocol number " + std::to_string(number) + " is not between 0 and 255 (or -1 for any)"};
  }
  return Protocol(number);
}

Result<Protocol> Protocol::parse(std::string_view text) {
  std::string name = lowerCase(text);
  if (name == "any" || name == "all" || name == "*" || name == "-1") return any();
  if (name == "tcp") return tcp();
  if (name == "udp") return udp();
  if (name == "sctp") return sctp();
  if (name == "icmp") return icmp();
  if (name == "icmpv6" || name == "ipv6-icmp" || name == "icmp6") return icmpv6();
  long number = parseDecimal(name);
  if (number < 0) return Error{"\"" + std::string(text) + "\": unknown protocol"};
  return fromNumber(static_cast<int>(number));
}

std::string Protocol::name() const {
  switch (number_) {
    case kAnyNumber:
      return "any";
    case 1:
      return "icmp";
    case 6:
      return "tcp";
    case 17:
      return "udp";
    case 58:
      return "icmpv6";
    case 132:
      return "sctp";
    default:
      return std::to_string(number_);
  }
}

Result<PortRange> PortRange::make(long first, long last) {
  if (first < 0 || last > 65535 || first > last) {
    return Error{"port range " + std::to_string(first) + "-" + std::to_string(last) +
                 " is not within 0-65535 with first <= last"};
  }
  return PortRange{static_cast<std::uint16_t>(first), static_cast<std::uint16_t>(last)};
}

std::string PortRange::toString() const {
  if (first == last) return std::to_string(first);
  return std::to_string(first) + "-" + std::to_string(last);
}

std::string describeKeys(Protocol protocol, PortRange range) {
  if (protocol.hasPorts()) {
    if (range.isAll()) return "all ports";
    return (range.first == range.last ? "port " : "ports ") + range.toString();
  }
  if (protocol.isIcmp()) {
    if (range.isAll()) return "all ICMP types";
    int firstType = range.first / 256;
    int lastType = range.last / 256;
    if (range.first % 256 == 0 && range.last % 256 == 255) {
      if (firstType == lastType) return "ICMP type " + std::to_string(firstType);
      return "ICMP types " + std::to_string(firstType) + "-" + std::to_string(lastType);
    }
    auto typeCode = [](int key) { return std::to_string(key / 256) + " code " + std::to_string(key % 256); };
    if (range.first == range.last) return "ICMP type " + typeCode(range.first);
    return "ICMP type " + typeCode(range.first) + " to type " + typeCode(range.last);
  }
  return "all";
}

PortSet PortSet::of(PortRange range) {
  PortSet set;
  set.add(range);
  return set;
}

Result<PortSet> PortSet::parse(std::string_view text) {
  std::string lowered = lowerCase(text);
  if (lowered.empty() || lowered == "any" || lowered == "*" || lowered == "all") return all();
  PortSet set;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    std::string_view item =
        text.substr(start, end == std::string_view::npos ? text.size() - start : end - start);
    std::size_t dash = item.find('-');
    long first = parseDecimal(item.substr(0, dash));
    long last = dash == std::string_view::npos ? first : parseDecimal(item.substr(dash + 1));
    // Built by append: GCC 12 at -O3 warns falsely (-Wrestrict) on chains of operator+ here.
    std::string message;
    message.append("\"").append(text).append("\": ");
    if (first < 0 || last < 0) {
      message.append("\"").append(item).append("\" is not a port or a port range");
      return Error{std::move(message)};
    }
    auto range = PortRange::make(first, last);
    if (!range) return Error{message.append(range.error().message)};
    set.add(*range);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return set;
}

void PortSet::add(PortRange range) {
  if (range.first > range.last) return;
  // Ranges mostly come in order: one after every range is appended, one that reaches into the last only
  // extends it, and only the others need the set sorted and merged again.
  if (ranges_.empty() || range.first > static_cast<int>(ranges_.back().last) + 1) {
    ranges_.push_back(range);
    return;
  }
  if (range.first >= ranges_.back().first) {
    ranges_.back().last = std::max(ranges_.back().last, range.last);
    return;
  }
  ranges_.push_back(range);
  intervals::normalise(ranges_);
}

bool PortSet::contains(std::uint16_t key) const {
  return intervals::find(ranges_, key) >= 0;
}

bool PortSet::contains(PortRange range) const {
  // The ranges are disjoint and non-adjacent: a range is contained only within one of them.
  return std::any_of(ranges_.begin(), ranges_.end(),
                     [&](const PortRange& r) { return r.first <= range.first && range.last <= r.last; });
}

PortSet PortSet::intersect(PortRange range) const {
  PortSet out;
  for (const PortRange& r : ranges_) {
    const auto first = std::max(r.first, range.first);
    const auto last = std::min(r.last, range.last);
    if (first <= last) out.ranges_.push_back({first, last});  // still sorted, disjoint and non-adjacent
  }
  return out;
}

bool PortSet::intersects(PortRange range) const {
  for (const PortRange& r : ranges_) {
    if (r.first <= range.last && range.first <= r.last) return true;
  }
  return false;
}

std::string PortSet::toString() const {
  std::string out;
  for (const PortRange& range : ranges_) {
    if (!out.empty()) out += ",";
    out += range.toString();
  }
  return out;
}

}  // namespace sgaudit::core
