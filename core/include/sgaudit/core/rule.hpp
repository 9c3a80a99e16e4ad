#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "sgaudit/core/address.hpp"
#include "sgaudit/core/port.hpp"

namespace sgaudit::core {

enum class Direction { Ingress, Egress };
// Which source families a rule may match; a rule's CIDR of the other family matches nothing.
enum class Ethertype { Any, IPv4, IPv6 };
enum class RuleAction : std::uint8_t { Allow, Deny };

const char* toString(Direction direction);
const char* toString(Ethertype ethertype);
const char* toString(RuleAction action);
bool admits(Ethertype ethertype, IpFamily family);

// The members of a security group (AWS `UserIdGroupPairs`, Huawei `remote_group_id`, Neutron
// `remote_group_id`).
struct SecurityGroupRef {
  std::string id;
  friend bool operator==(const SecurityGroupRef&, const SecurityGroupRef&) = default;
};
// A named set of addresses kept by the provider (Huawei `remote_address_group_id`, Azure ASG).
struct AddressGroupRef {
  std::string id;
  friend bool operator==(const AddressGroupRef&, const AddressGroupRef&) = default;
};
// AWS managed prefix list.
struct PrefixListRef {
  std::string id;
  friend bool operator==(const PrefixListRef&, const PrefixListRef&) = default;
};
// A provider-defined name for addresses: Azure `VirtualNetwork`, `Internet`, `AzureLoadBalancer`.
struct ProviderTag {
  std::string name;
  friend bool operator==(const ProviderTag&, const ProviderTag&) = default;
};

// Where traffic a rule matches comes from. A rule with several sources (GCP sourceRanges plus sourceTags) is
// given as several rules sharing action, priority and origin, which every evaluation model treats alike.
using RuleSource = std::variant<Cidr, SecurityGroupRef, AddressGroupRef, PrefixListRef, ProviderTag>;

// "10.0.0.0/16", "members of sg-123", "address group ag-1", "prefix list pl-1", "service tag VirtualNetwork".
std::string describe(const RuleSource& source);

// Where a rule came from, so that every verdict can cite it.
struct RuleOrigin {
  std::string provider;  // "huaweicloud", "aws", "openstack", ...
  std::string group_id;
  std::string group_name;
  std::string rule_id;
  std::string description;
  // The rule's identity within the inputs: its provider id where it has one, otherwise a digest of its
  // content (group, direction, protocol, ports, source, action, priority), never empty once the audit has
  // indexed the groups. AWS `describe-security-groups`, Huawei v1 rules nested in groups and OpenStack CLI
  // tables without an ID column give rules without ids; two of them must never be taken for each other.
  std::string key = {};

  friend bool operator==(const RuleOrigin&, const RuleOrigin&) = default;
};

struct SecurityGroupRule {
  Direction direction = Direction::Ingress;
  Ethertype ethertype = Ethertype::Any;
  Protocol protocol = Protocol::any();
  // Ports, or ICMP type/code keys; ignored when the protocol is any or has no key (see Protocol::hasKey).
  PortSet ports = PortSet::all();
  RuleSource source = Cidr::containing(IpAddress::v4(0), 0);
  RuleAction action = RuleAction::Allow;
  // Lower number = evaluated first (Huawei 1-100, Azure 100-4096, GCP 0-65535); unused by the union model.
  int priority = 0;
  RuleOrigin origin;
  // A rule the provider keeps and nobody can change or delete (Azure's default rules, GCP's implied deny): a
  // fix outranks it instead of narrowing it.
  bool fixed = false;
};

// "allow TCP 22 from 0.0.0.0/0" (with "priority N" where the model reads it): how a person recognises a rule
// that has no id.
std::string describeContent(const SecurityGroupRule& rule);

// The canonical text of a rule's content, for its identity when it has no id.
std::string contentIdentity(const SecurityGroupRule& rule);

struct SecurityGroup {
  std::string id;
  std::string name;
  std::vector<SecurityGroupRule> rules;
};

}  // namespace sgaudit::core
