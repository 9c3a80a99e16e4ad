#include "firewall_oracle.hpp"

#include <algorithm>
#include <optional>
#include <tuple>

namespace sgaudit::core::oracle {
namespace {

enum class SourceMatch { No, Yes, Unknown };

SourceMatch matchSource(const SecurityGroupRule& rule, const SourceResolver& resolver,
                        const IpAddress& source) {
  if (!admits(rule.ethertype, source.family)) return SourceMatch::No;
  const AddressSet* set = nullptr;
  if (const auto* cidr = std::get_if<Cidr>(&rule.source)) {
    return cidr->contains(source) ? SourceMatch::Yes : SourceMatch::No;
  }
  auto find = [&](const auto& map, const std::string& key) -> const AddressSet* {
    auto it = map.find(key);
    return it == map.end() ? nullptr : &it->second;
  };
  if (const auto* ref = std::get_if<SecurityGroupRef>(&rule.source))
    set = find(resolver.security_group_members, ref->id);
  if (const auto* ref = std::get_if<AddressGroupRef>(&rule.source))
    set = find(resolver.address_groups, ref->id);
  if (const auto* ref = std::get_if<PrefixListRef>(&rule.source)) set = find(resolver.prefix_lists, ref->id);
  if (const auto* tag = std::get_if<ProviderTag>(&rule.source)) set = find(resolver.provider_tags, tag->name);
  if (set == nullptr) return SourceMatch::Unknown;
  return set->contains(source) ? SourceMatch::Yes : SourceMatch::No;
}

// The addresses a rule's source stands for, read from the resolver's maps here rather than through
// SourceResolver::resolve: the oracle shares no code with the engine it checks, only the data.
std::optional<AddressSet> sourceAddresses(const RuleSource& source, const SourceResolver& resolver) {
  auto find = [](const auto& map, const std::string& key) -> std::optional<AddressSet> {
    auto it = map.find(key);
    if (it == map.end()) return std::nullopt;
    return it->second;
  };
  if (const auto* cidr = std::get_if<Cidr>(&source)) return AddressSet::of(*cidr);
  if (const auto* ref = std::get_if<SecurityGroupRef>(&source))
    return find(resolver.security_group_members, ref->id);
  if (const auto* ref = std::get_if<AddressGroupRef>(&source)) return find(resolver.address_groups, ref->id);
  if (const auto* ref = std::get_if<PrefixListRef>(&source)) return find(resolver.prefix_lists, ref->id);
  if (const auto* tag = std::get_if<ProviderTag>(&source)) return find(resolver.provider_tags, tag->name);
  return std::nullopt;
}

// Which families a protocol's packets can come from: ICMP is IPv4 only, ICMPv6 IPv6 only, others both.
AddressSet universe(Protocol protocol) {
  if (protocol == Protocol::icmp()) return AddressSet::allV4();
  if (protocol == Protocol::icmpv6()) return AddressSet::allV6();
  return AddressSet::all();
}

bool matchesTraffic(const SecurityGroupRule& rule, EvaluationModel model, Protocol protocol,
                    std::uint16_t key) {
  if (rule.direction != Direction::Ingress) return false;
  if (model == EvaluationModel::Union && rule.action == RuleAction::Deny) return false;
  if (!rule.protocol.isAny() && rule.protocol != protocol) return false;
  if (!rule.protocol.isAny() && protocol.hasKey() && !rule.ports.contains(key)) return false;
  return true;
}

// The layer's rules in the order its model evaluates them.
std::vector<const SecurityGroupRule*> evaluationOrder(const FirewallLayer& layer) {
  struct Entry {
    std::size_t group;
    std::size_t index;
    const SecurityGroupRule* rule;
  };
  std::vector<Entry> entries;
  for (std::size_t g = 0; g < layer.groups.size(); ++g) {
    for (std::size_t i = 0; i < layer.groups[g]->rules.size(); ++i)
      entries.push_back({g, i, &layer.groups[g]->rules[i]});
  }
  auto denyFirst = [](const SecurityGroupRule* rule) { return rule->action == RuleAction::Deny ? 0 : 1; };
  if (layer.model == EvaluationModel::FirstMatchByPriority) {
    std::sort(entries.begin(), entries.end(), [&](const Entry& a, const Entry& b) {
      return std::make_tuple(a.group, a.rule->priority, denyFirst(a.rule), a.index) <
             std::make_tuple(b.group, b.rule->priority, denyFirst(b.rule), b.index);
    });
  } else if (layer.model == EvaluationModel::PriorityDenyWins) {
    std::sort(entries.begin(), entries.end(), [&](const Entry& a, const Entry& b) {
      return std::make_tuple(a.rule->priority, denyFirst(a.rule), a.group, a.index) <
             std::make_tuple(b.rule->priority, denyFirst(b.rule), b.group, b.index);
    });
  }
  std::vector<const SecurityGroupRule*> out;
  for (const Entry& entry : entries)
    out.push_back(entry.rule);
  return out;
}

using LayerOrders = std::vector<std::vector<const SecurityGroupRule*>>;

LayerOrders evaluationOrders(const Firewall& firewall) {
  LayerOrders orders;
  for (const FirewallLayer& layer : firewall.layers)
    orders.push_back(evaluationOrder(layer));
  return orders;
}

PacketVerdict evaluateInOrder(const Firewall& firewall, const LayerOrders& orders,
                              const SourceResolver& resolver, const Packet& packet) {
  PacketVerdict out;
  bool allowPossible = true;  // every layer can allow
  bool denyPossible = false;  // some layer can deny
  for (std::size_t l = 0; l < firewall.layers.size(); ++l) {
    const FirewallLayer& layer = firewall.layers[l];
    LayerVerdict verdict;
    std::vector<const SecurityGroupRule*> maybes;
    for (const SecurityGroupRule* rule : orders[l]) {
      if (!matchesTraffic(*rule, layer.model, packet.protocol, packet.key)) continue;
      SourceMatch match = matchSource(*rule, resolver, packet.source);
      if (match == SourceMatch::Unknown) maybes.push_back(rule);
      if (match == SourceMatch::Yes) {
        verdict.decider = rule;
        break;
      }
    }
    verdict.action = verdict.decider ? verdict.decider->action : RuleAction::Deny;
    for (const SecurityGroupRule* maybe : maybes) {
      if (maybe->action != verdict.action) verdict.unless_member_of.push_back(maybe);
    }
    bool layerCanAllow = verdict.action == RuleAction::Allow || !verdict.unless_member_of.empty();
    bool layerCanDeny = verdict.action == RuleAction::Deny || !verdict.unless_member_of.empty();
    allowPossible = allowPossible && layerCanAllow;
    denyPossible = denyPossible || layerCanDeny;
    if (verdict.action == RuleAction::Deny) out.verdict = RuleAction::Deny;
    out.layers.push_back(std::move(verdict));
  }
  out.depends_on_unresolved = out.verdict == RuleAction::Allow ? denyPossible : allowPossible;
  return out;
}

}  // namespace

PacketVerdict evaluatePacket(const Firewall& firewall, const SourceResolver& resolver, const Packet& packet) {
  return evaluateInOrder(firewall, evaluationOrders(firewall), resolver, packet);
}

std::vector<const SecurityGroupRule*> unresolvedRulesFor(const Firewall& firewall,
                                                         const SourceResolver& resolver, Protocol protocol,
                                                         std::uint16_t key) {
  const AddressSet families = universe(protocol);
  std::vector<const SecurityGroupRule*> out;
  for (const FirewallLayer& layer : firewall.layers) {
    for (const SecurityGroupRule* rule : evaluationOrder(layer)) {
      if (!matchesTraffic(*rule, layer.model, protocol, key)) continue;
      if (sourceAddresses(rule->source, resolver)) continue;
      bool reaches = (admits(rule->ethertype, IpFamily::V4) && !families.ranges(IpFamily::V4).empty()) ||
                     (admits(rule->ethertype, IpFamily::V6) && !families.ranges(IpFamily::V6).empty());
      if (reaches) out.push_back(rule);
    }
  }
  return out;
}

AddressSet admittedAddresses(const Firewall& firewall, const SourceResolver& resolver, Protocol protocol,
                             std::uint16_t key) {
  const AddressSet families = universe(protocol);
  const LayerOrders orders = evaluationOrders(firewall);
  AddressSet admitted;
  for (IpFamily family : {IpFamily::V4, IpFamily::V6}) {
    if (families.ranges(family).empty()) continue;
    std::vector<Uint128> starts{0};
    for (const FirewallLayer& layer : firewall.layers) {
      for (const auto& group : layer.groups) {
        for (const SecurityGroupRule& rule : group->rules) {
          std::optional<AddressSet> set = sourceAddresses(rule.source, resolver);
          if (!set) continue;
          for (const AddressRange& range : set->ranges(family)) {
            starts.push_back(range.first);
            if (range.last != maxAddressValue(family)) starts.push_back(range.last + 1);
          }
        }
      }
    }
    std::sort(starts.begin(), starts.end());
    starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
    for (std::size_t i = 0; i < starts.size(); ++i) {
      Uint128 last = i + 1 < starts.size() ? starts[i + 1] - 1 : maxAddressValue(family);
      Packet packet{IpAddress{family, starts[i]}, protocol, key};
      if (evaluateInOrder(firewall, orders, resolver, packet).verdict == RuleAction::Allow) {
        admitted.add(family, {starts[i], last});
      }
    }
  }
  return admitted;
}

}  // namespace sgaudit::core::oracle
