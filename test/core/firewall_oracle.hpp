#pragma once

// A brute-force oracle for the firewall engine: it evaluates one packet at a time, straight from the written
// semantics of each evaluation model, with plain loops and no shared code from the engine
// (core/src/firewall_*.cpp).

#include <cstdint>
#include <vector>

#include "sgaudit/core/address.hpp"
#include "sgaudit/core/firewall.hpp"
#include "sgaudit/core/port.hpp"
#include "sgaudit/core/rule.hpp"

namespace sgaudit::core::oracle {

struct Packet {
  IpAddress source;
  Protocol protocol;
  std::uint16_t key = 0;  // port, or ICMP type * 256 + code
};

struct LayerVerdict {
  RuleAction action = RuleAction::Deny;
  const SecurityGroupRule* decider = nullptr;  // nullptr: default deny
  // Unresolved rules evaluated before the decider whose action differs from it, in evaluation order.
  std::vector<const SecurityGroupRule*> unless_member_of;
};

struct PacketVerdict {
  RuleAction verdict = RuleAction::Allow;
  std::vector<LayerVerdict> layers;
  // Whether some membership of unresolved references gives the other verdict.
  bool depends_on_unresolved = false;
};

PacketVerdict evaluatePacket(const Firewall& firewall, const SourceResolver& resolver, const Packet& packet);

// Unresolved ingress rules that match `protocol` and `key` and may match a source of the protocol's universe.
std::vector<const SecurityGroupRule*> unresolvedRulesFor(const Firewall& firewall,
                                                         const SourceResolver& resolver, Protocol protocol,
                                                         std::uint16_t key);

// The admitted addresses for one key, found by evaluating one packet per elementary piece of the address
// space (the pieces between every boundary of every rule's resolved source).
AddressSet admittedAddresses(const Firewall& firewall, const SourceResolver& resolver, Protocol protocol,
                             std::uint16_t key);

}  // namespace sgaudit::core::oracle
