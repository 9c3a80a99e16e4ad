#include "sgaudit/core/rule.hpp"

namespace sgaudit::core {

const char* toString(Direction direction) {
  return direction == Direction::Ingress ? "ingress" : "egress";
}

const char* toString(Ethertype ethertype) {
  switch (ethertype) {
    case Ethertype::IPv4:
      return "IPv4";
    case Ethertype::IPv6:
      return "IPv6";
    case Ethertype::Any:
      break;
  }
  return "any";
}

const char* toString(RuleAction action) {
  return action == RuleAction::Allow ? "allow" : "deny";
}

bool admits(Ethertype ethertype, IpFamily family) {
  switch (ethertype) {
    case Ethertype::IPv4:
      return family == IpFamily::V4;
    case Ethertype::IPv6:
      return family == IpFamily::V6;
    case Ethertype::Any:
      break;
  }
  return true;
}

std::string describe(const RuleSource& source) {
  struct Describer {
    std::string operator()(const Cidr& cidr) const { return cidr.toString(); }
    std::string operator()(const SecurityGroupRef& ref) const { return "members of " + ref.id; }
    std::string operator()(const AddressGroupRef& ref) const { return "address group " + ref.id; }
    std::string operator()(const PrefixListRef& ref) const { return "prefix list " + ref.id; }
    std::string operator()(const ProviderTag& tag) const { return "service tag " + tag.name; }
  };
  return std::visit(Describer{}, source);
}

namespace {
std::string portsText(const SecurityGroupRule& rule) {
  if (!rule.protocol.hasKey() || rule.ports.isAll()) return "";
  return " " + rule.ports.toString();
}
std::string upper(std::string text) {
  for (char& c : text)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return text;
}
}  // namespace

std::string describeContent(const SecurityGroupRule& rule) {
  std::string text = std::string(toString(rule.action)) + " ";
  text += rule.protocol.isAny() ? std::string("all traffic") : upper(rule.protocol.name()) + portsText(rule);
  if (rule.ethertype != Ethertype::Any && !std::holds_alternative<Cidr>(rule.source))
    text += std::string(" over ") + toString(rule.ethertype);
  text += " from " + describe(rule.source);
  if (rule.priority != 0) text += ", priority " + std::to_string(rule.priority);
  return text;
}

std::string contentIdentity(const SecurityGroupRule& rule) {
  return std::string(toString(rule.direction)) + "|" + toString(rule.ethertype) + "|" +
         std::to_string(rule.protocol.number()) + "|" + rule.ports.toString() + "|" + describe(rule.source) +
         "|" + toString(rule.action) + "|" + std::to_string(rule.priority);
}

}  // namespace sgaudit::core
