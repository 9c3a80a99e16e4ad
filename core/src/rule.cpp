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

}  // namespace sgaudit::core
