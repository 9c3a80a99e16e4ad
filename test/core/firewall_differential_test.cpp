// Differential test of the firewall engine against the brute-force oracle (firewall_oracle.hpp): random rule
// sets and packets, seeded and reproducible. Set SGAUDIT_FUZZ_SEED to replay a seed and SGAUDIT_FUZZ_CASES to
// change the number of cases per model (default 100,000).

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "firewall_oracle.hpp"
#include "sgaudit/core/firewall.hpp"

namespace sgaudit::core {
namespace {

constexpr long kDefaultCases = 100000;

std::uint64_t envNumber(const char* name, std::uint64_t fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  return std::strtoull(text, nullptr, 0);
}

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

struct CaseLayer {
  EvaluationModel model;
  std::vector<SecurityGroup> groups;
};

struct Case {
  std::vector<CaseLayer> layers;
  SourceResolver resolver;
  oracle::Packet packet;
  PortRange query;

  Firewall firewall() const {
    Firewall out;
    for (const CaseLayer& layer : layers) {
      FirewallLayer built{"layer", layer.model, {}};
      for (const SecurityGroup& group : layer.groups)
        built.groups.push_back(std::make_shared<SecurityGroup>(group));
      out.layers.push_back(std::move(built));
    }
    return out;
  }
};

// How big a case's groups are: the rules per group, and the ranges of each resolved reference's set.
struct CaseShape {
  int maxRules = 6;
  int maxSetRanges = 2;
  // How often a group ends with a broad allow ("allow all from the VPC"): a packet must pass every layer, so
  // layered firewalls need it more often to admit about as often as they deny.
  double broadChance = 0.3;
  double broadAnyProtocol = 0.5;
  bool broadBothFamilies = false;
  // Each group ends with Azure's default inbound rules: AllowVnetInBound (65000, service tag VirtualNetwork),
  // AllowAzureLoadBalancerInBound (65001, AzureLoadBalancer) and DenyAllInBound (65500, everything).
  bool azureDefaults = false;
};

// Generates cases biased towards edges: ports 0 and 65535, /0 /32 /128 prefixes, overlapping CIDRs from
// shared anchors, equal priorities, both actions, protocol any, ICMP, resolved and unresolved references,
// both families.
class CaseGenerator {
 public:
  explicit CaseGenerator(std::uint64_t seed, CaseShape shape = {}) : random_(seed), shape_(shape) {}

  Case generate(const std::vector<EvaluationModel>& models) {
    Case out;
    anchorsV4_.clear();
    anchorsV6_.clear();
    for (int i = 0; i < 3; ++i) {
      anchorsV4_.push_back(
          pick<Uint128>({0, 0xffffffffu, 0x0a000000u, random_() & 0xffffffffu, random_() & 0xffffffffu}));
      Uint128 high = (Uint128{random_()} << 64) | random_();
      anchorsV6_.push_back(pick<Uint128>(
          {0, ~Uint128{0}, (Uint128{0xfd00} << 112), (Uint128{0xffff} << 32) | 0x0a000001u, high}));
    }
    for (const char* id : {"sg-0", "sg-1", "sg-2", "sg-3"}) {
      if (chance(0.6)) out.resolver.security_group_members[id] = randomAddressSet();
    }
    for (const char* id : {"ag-0", "ag-1"}) {
      if (chance(0.5)) out.resolver.address_groups[id] = randomAddressSet();
    }
    for (const char* id : {"pl-0", "pl-1"}) {
      if (chance(0.5)) out.resolver.prefix_lists[id] = randomAddressSet();
    }
    for (const char* id : {"VirtualNetwork", "Internet", "AzureLoadBalancer"}) {
      if (chance(0.5)) out.resolver.provider_tags[id] = randomAddressSet();
    }
    for (std::size_t l = 0; l < models.size(); ++l) {
      CaseLayer layer{models[l], {}};
      int groupCount = 1 + static_cast<int>(random_() % 3);
      for (int g = 0; g < groupCount; ++g) {
        SecurityGroup group;
        group.id = "sg-" + std::to_string(random_() % 4);
        group.name = "group-" + std::to_string(g);
        int ruleCount = static_cast<int>(random_() % static_cast<std::uint64_t>(shape_.maxRules + 1));
        for (int r = 0; r < ruleCount; ++r) {
          SecurityGroupRule rule = randomRule(group.id);
          rule.origin.rule_id = "L" + std::to_string(l) + "G" + std::to_string(g) + "R" + std::to_string(r);
          rule.origin.group_name = group.name;
          group.rules.push_back(std::move(rule));
        }
        if (chance(shape_.broadChance)) {
          // A broad rule late in the order, as clusters often have ("allow all from the VPC"), so that
          // layered firewalls admit often enough to exercise every layer.
          SecurityGroupRule broad;
          broad.protocol = chance(shape_.broadAnyProtocol) ? Protocol::any() : Protocol::tcp();
          broad.source = Cidr::containing(IpAddress{randomFamily(), 0}, pick({0, 0, 1}));
          broad.priority = 100;
          broad.origin = RuleOrigin{"fuzz", group.id, group.name,
                                    "L" + std::to_string(l) + "G" + std::to_string(g) + "B", ""};
          if (shape_.broadBothFamilies) {
            // Its twin in the other family, so that a packet of either family can pass the layer.
            SecurityGroupRule twin = broad;
            const Cidr& first = std::get<Cidr>(broad.source);
            twin.source =
                Cidr::containing(IpAddress{first.family() == IpFamily::V4 ? IpFamily::V6 : IpFamily::V4, 0},
                                 std::get<Cidr>(broad.source).prefixLength());
            twin.origin.rule_id += "6";
            group.rules.push_back(std::move(twin));
          }
          group.rules.push_back(std::move(broad));
        }
        if (shape_.azureDefaults) {
          auto fixed = [&](const char* name, int priority, RuleSource source, RuleAction action) {
            SecurityGroupRule rule;
            rule.source = std::move(source);
            rule.action = action;
            rule.priority = priority;
            rule.fixed = true;
            rule.origin = RuleOrigin{"fuzz", group.id, group.name,
                                     "L" + std::to_string(l) + "G" + std::to_string(g) + name, ""};
            group.rules.push_back(std::move(rule));
          };
          fixed("AllowVnetInBound", 65000, ProviderTag{"VirtualNetwork"}, RuleAction::Allow);
          fixed("AllowAzureLoadBalancerInBound", 65001, ProviderTag{"AzureLoadBalancer"}, RuleAction::Allow);
          fixed("DenyAllInBound4", 65500, Cidr::containing(IpAddress::v4(0), 0), RuleAction::Deny);
          fixed("DenyAllInBound6", 65500, Cidr::containing(IpAddress::v6(0), 0), RuleAction::Deny);
        }
        layer.groups.push_back(std::move(group));
      }
      out.layers.push_back(std::move(layer));
    }
    out.packet = randomPacket(out);
    out.query = randomQuery(out.packet.key);
    return out;
  }

 private:
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(random_) < p; }

  template <class T>
  T pick(std::initializer_list<T> values) {
    return *(values.begin() + random_() % values.size());
  }

  Protocol randomProtocol() {
    return pick({Protocol::any(), Protocol::tcp(), Protocol::tcp(), Protocol::udp(), Protocol::icmp(),
                 Protocol::icmpv6(), Protocol::fromNumber(47).value()});
  }

  std::uint16_t randomPort() {
    return pick<std::uint16_t>(
        {0, 1, 22, 80, 443, 1024, 65534, 65535, static_cast<std::uint16_t>(random_())});
  }

  PortRange randomPortRange() {
    std::uint16_t a = randomPort();
    if (chance(0.4)) return PortRange::single(a);
    std::uint16_t b = randomPort();
    return PortRange{std::min(a, b), std::max(a, b)};
  }

  PortSet randomKeys(Protocol protocol) {
    if (chance(0.2)) return PortSet::all();
    if (protocol.isIcmp()) {
      auto type = pick<std::uint8_t>({0, 3, 8, 255});
      if (chance(0.5)) return PortSet::of(PortRange::icmpType(type));
      return PortSet::of(PortRange::icmpTypeCode(type, pick<std::uint8_t>({0, 1, 255})));
    }
    PortSet set = PortSet::of(randomPortRange());
    if (chance(0.15)) set.add(randomPortRange());
    return set;
  }

  Cidr randomCidr(IpFamily family) {
    const auto& anchors = family == IpFamily::V4 ? anchorsV4_ : anchorsV6_;
    Uint128 base = anchors[random_() % anchors.size()];
    if (chance(0.3)) base ^= random_() & 0xff;
    int prefix = family == IpFamily::V4
                     ? pick({0, 1, 8, 16, 24, 31, 32, static_cast<int>(random_() % 33)})
                     : pick({0, 1, 32, 48, 64, 127, 128, static_cast<int>(random_() % 129)});
    return Cidr::containing(IpAddress{family, base}, prefix);
  }

  IpFamily randomFamily() { return chance(0.5) ? IpFamily::V4 : IpFamily::V6; }

  AddressSet randomAddressSet() {
    AddressSet set;
    int count = static_cast<int>(random_() % static_cast<std::uint64_t>(shape_.maxSetRanges + 1));
    for (int i = 0; i < count; ++i)
      set.add(randomCidr(randomFamily()));
    return set;
  }

  SecurityGroupRule randomRule(const std::string& groupId) {
    SecurityGroupRule rule;
    rule.direction = chance(0.95) ? Direction::Ingress : Direction::Egress;
    rule.protocol = randomProtocol();
    rule.ports = randomKeys(rule.protocol);
    rule.action = chance(0.5) ? RuleAction::Allow : RuleAction::Deny;
    rule.priority = pick({1, 1, 2, 3, 100});
    rule.origin = RuleOrigin{"fuzz", groupId, "", "", ""};
    double kind = std::uniform_real_distribution<double>(0, 1)(random_);
    // Mostly coherent (ICMP from IPv4, ICMPv6 from IPv6), sometimes not, which must match nothing.
    IpFamily family = randomFamily();
    if (rule.protocol == Protocol::icmp() && chance(0.9)) family = IpFamily::V4;
    if (rule.protocol == Protocol::icmpv6() && chance(0.9)) family = IpFamily::V6;
    if (kind < 0.6) {
      Cidr cidr = randomCidr(family);
      rule.source = cidr;
      double e = std::uniform_real_distribution<double>(0, 1)(random_);
      Ethertype own = cidr.family() == IpFamily::V4 ? Ethertype::IPv4 : Ethertype::IPv6;
      Ethertype other = cidr.family() == IpFamily::V4 ? Ethertype::IPv6 : Ethertype::IPv4;
      rule.ethertype = e < 0.7 ? own : e < 0.9 ? Ethertype::Any : other;
      return rule;
    }
    rule.ethertype = chance(0.5)              ? Ethertype::Any
                     : family == IpFamily::V4 ? Ethertype::IPv4
                                              : Ethertype::IPv6;
    if (kind < 0.8) {
      // Often the rule's own group: "allow traffic from members of this group".
      rule.source = SecurityGroupRef{chance(0.4) ? groupId : "sg-" + std::to_string(random_() % 4)};
    } else if (kind < 0.87) {
      rule.source = AddressGroupRef{"ag-" + std::to_string(random_() % 2)};
    } else if (kind < 0.94) {
      rule.source = PrefixListRef{"pl-" + std::to_string(random_() % 2)};
    } else {
      rule.source = ProviderTag{chance(0.5) ? "VirtualNetwork" : "Internet"};
    }
    return rule;
  }

  // A source at an edge of the aimed rule's addresses or of any rule's, near an anchor, or anywhere.
  IpAddress randomSource(const Case& c, IpFamily family, const SecurityGroupRule* aim) {
    std::vector<AddressRange> edges;
    auto addEdges = [&](const SecurityGroupRule& rule) {
      if (auto set = c.resolver.resolve(rule.source)) {
        for (const AddressRange& range : set->ranges(family))
          edges.push_back(range);
      }
    };
    if (aim && chance(0.7)) addEdges(*aim);
    if (edges.empty()) {
      for (const CaseLayer& layer : c.layers) {
        for (const SecurityGroup& group : layer.groups) {
          for (const SecurityGroupRule& rule : group.rules)
            addEdges(rule);
        }
      }
    }
    Uint128 max = maxAddressValue(family);
    double kind = std::uniform_real_distribution<double>(0, 1)(random_);
    if (kind < 0.75 && !edges.empty()) {
      const AddressRange& range = edges[random_() % edges.size()];
      Uint128 value = pick<Uint128>({range.first, range.last, range.first, range.last, range.first - 1,
                                     range.last + 1, range.first + ((range.last - range.first) / 2)});
      return IpAddress{family, value & max};
    }
    if (kind < 0.9) {
      const auto& anchors = family == IpFamily::V4 ? anchorsV4_ : anchorsV6_;
      return IpAddress{family, (anchors[random_() % anchors.size()] ^ (random_() & 0xffff)) & max};
    }
    return IpAddress{family, ((Uint128{random_()} << 64) | random_()) & max};
  }

  // Usually aimed at one rule (its protocol, an edge of its keys and of its addresses) so that rules match
  // often.
  oracle::Packet randomPacket(const Case& c) {
    std::vector<const SecurityGroupRule*> rules;
    for (const CaseLayer& layer : c.layers) {
      for (const SecurityGroup& group : layer.groups) {
        for (const SecurityGroupRule& rule : group.rules)
          rules.push_back(&rule);
      }
    }
    const SecurityGroupRule* aim = !rules.empty() && chance(0.8) ? rules[random_() % rules.size()] : nullptr;
    oracle::Packet packet;
    packet.protocol = aim && !aim->protocol.isAny() ? aim->protocol : randomProtocol();
    if (packet.protocol.isAny() && chance(0.7)) packet.protocol = Protocol::tcp();
    IpFamily family = randomFamily();
    if (const Cidr* cidr = aim ? std::get_if<Cidr>(&aim->source) : nullptr; cidr && chance(0.8)) {
      family = cidr->family();
    }
    if (packet.protocol == Protocol::icmp()) family = IpFamily::V4;
    if (packet.protocol == Protocol::icmpv6()) family = IpFamily::V6;
    packet.source = randomSource(c, family, aim);
    std::uint16_t key = randomPort();
    if (packet.protocol.isIcmp() && chance(0.6)) {
      key = PortRange::icmpTypeCode(pick<std::uint8_t>({0, 3, 8, 255}), pick<std::uint8_t>({0, 1, 2, 255}))
                .first;
    }
    if (aim && !aim->ports.empty() && chance(0.8)) {
      const PortRange& range = aim->ports.ranges()[random_() % aim->ports.ranges().size()];
      key = pick<std::uint16_t>({range.first, range.last, range.first, range.last,
                                 static_cast<std::uint16_t>(range.first - 1),
                                 static_cast<std::uint16_t>(range.last + 1),
                                 static_cast<std::uint16_t>(range.first + (range.last - range.first) / 2)});
    }
    packet.key = key;
    return packet;
  }

  PortRange randomQuery(std::uint16_t key) {
    double kind = std::uniform_real_distribution<double>(0, 1)(random_);
    if (kind < 0.5) return PortRange::single(key);
    if (kind < 0.6) return PortRange::all();
    auto lo = static_cast<std::uint16_t>(random_() % (key + 1u));
    auto hi = static_cast<std::uint16_t>(key + random_() % (65536u - key));
    return PortRange{lo, hi};
  }

  std::mt19937_64 random_;
  CaseShape shape_;
  std::vector<Uint128> anchorsV4_;
  std::vector<Uint128> anchorsV6_;
};

std::string ruleId(const SecurityGroupRule* rule) {
  return rule ? rule->origin.rule_id : "(default deny)";
}
std::string ruleId(const std::shared_ptr<const RuleOrigin>& rule) {
  return rule ? rule->rule_id : "(default deny)";
}

std::vector<std::string> sortedIds(const std::vector<const SecurityGroupRule*>& rules) {
  std::vector<std::string> out;
  for (const auto* rule : rules)
    out.push_back(rule->origin.rule_id);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> sortedIds(const std::vector<UnresolvedSource>& sources) {
  std::vector<std::string> out;
  for (const auto& source : sources)
    out.push_back(source.rule.rule_id);
  std::sort(out.begin(), out.end());
  return out;
}

std::string join(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const auto& item : items)
    out += (out.size() > 1 ? "," : "") + item;
  return out + "]";
}

// Compares the engine's answer for the keys containing the case's packet's key with the oracle's for the
// packet; returns what differs, if anything.
std::optional<std::string> intervalDisagreement(const Case& c, const Firewall& firewall,
                                                const PortIntervalAnswer& interval) {
  const oracle::Packet& packet = c.packet;
  std::ostringstream why;

  // The pieces partition the protocol's universe.
  AddressSet covered;
  for (const AddressPiece& piece : interval.pieces) {
    if (piece.addresses.intersects(covered)) return "pieces overlap";
    covered = covered.unite(piece.addresses);
  }
  if (!(covered == addressUniverse(packet.protocol))) return "pieces do not cover the universe";

  const AddressPiece* found = nullptr;
  for (const AddressPiece& piece : interval.pieces) {
    if (piece.addresses.contains(packet.source)) found = &piece;
  }
  if (found == nullptr) return "no piece contains the source";

  oracle::PacketVerdict expected = oracle::evaluatePacket(firewall, c.resolver, packet);
  if (found->verdict != expected.verdict) {
    why << "verdict engine=" << toString(found->verdict) << " oracle=" << toString(expected.verdict) << "; ";
  }
  if (found->decisions.size() != expected.layers.size()) {
    why << "layer count engine=" << found->decisions.size() << " oracle=" << expected.layers.size() << "; ";
  } else {
    for (std::size_t l = 0; l < expected.layers.size(); ++l) {
      const LayerDecision& got = found->decisions[l];
      const oracle::LayerVerdict& want = expected.layers[l];
      if (got.action != want.action || ruleId(got.rule) != ruleId(want.decider)) {
        why << "layer " << l << " engine=" << toString(got.action) << " by " << ruleId(got.rule)
            << " oracle=" << toString(want.action) << " by " << ruleId(want.decider) << "; ";
      }
      if (sortedIds(got.unless_member_of) != sortedIds(want.unless_member_of)) {
        why << "layer " << l << " unless-member-of engine=" << join(sortedIds(got.unless_member_of))
            << " oracle=" << join(sortedIds(want.unless_member_of)) << "; ";
      }
    }
  }
  if (found->depends_on_unresolved != expected.depends_on_unresolved) {
    why << "depends-on-unresolved engine=" << found->depends_on_unresolved
        << " oracle=" << expected.depends_on_unresolved << "; ";
  }
  if (interval.admitted.contains(packet.source) != (expected.verdict == RuleAction::Allow)) {
    why << "admitted set disagrees with the piece; ";
  }
  if (interval.undetermined.contains(packet.source) != expected.depends_on_unresolved) {
    why << "undetermined set disagrees; ";
  }
  auto expectedUnresolved =
      sortedIds(oracle::unresolvedRulesFor(firewall, c.resolver, packet.protocol, packet.key));
  if (sortedIds(interval.unresolved) != expectedUnresolved) {
    why << "unresolved engine=" << join(sortedIds(interval.unresolved))
        << " oracle=" << join(expectedUnresolved) << "; ";
  }
  // The whole admitted set holds for every key of the interval: check the packet's key and one end.
  std::uint16_t otherKey = (packet.key & 1) ? interval.ports.first : interval.ports.last;
  std::vector<std::uint16_t> keys{packet.key};
  if (otherKey != packet.key) keys.push_back(otherKey);
  for (std::uint16_t key : keys) {
    AddressSet want = oracle::admittedAddresses(firewall, c.resolver, packet.protocol, key);
    if (!(interval.admitted == want)) {
      why << "admitted at key " << key << " engine={" << interval.admitted.toString() << "} oracle={"
          << want.toString() << "}; ";
      break;
    }
  }
  std::string text = why.str();
  if (text.empty()) return std::nullopt;
  return text;
}

// Compares the engine's answer with the oracle's for the case's packet; returns what differs, if anything.
std::optional<std::string> disagreement(const Case& c, const Firewall& firewall) {
  ReachAnswer answer = reach(firewall, c.resolver, c.packet.protocol, c.query);
  // The intervals cover the query exactly, in order.
  if (answer.intervals.empty() || answer.intervals.front().ports.first != c.query.first ||
      answer.intervals.back().ports.last != c.query.last) {
    return "intervals do not cover the query";
  }
  for (std::size_t i = 1; i < answer.intervals.size(); ++i) {
    if (answer.intervals[i].ports.first != answer.intervals[i - 1].ports.last + 1)
      return "intervals have a gap";
  }
  return intervalDisagreement(c, firewall, answer.at(c.packet.key));
}

std::optional<std::string> disagreement(const Case& c) {
  return disagreement(c, c.firewall());
}

// What differs between the verdict parts (ports, admitted and undetermined addresses) of two answers or
// verdicts.
template <class Got, class Want>
std::optional<std::string> verdictDifference(const Got& got, const Want& want) {
  if (got.ports != want.ports) return "ports " + got.ports.toString() + " != " + want.ports.toString();
  if (!(got.admitted == want.admitted))
    return "admitted {" + got.admitted.toString() + "} != {" + want.admitted.toString() + "}";
  if (!(got.undetermined == want.undetermined))
    return "undetermined {" + got.undetermined.toString() + "} != {" + want.undetermined.toString() + "}";
  return std::nullopt;
}

// What differs between two answers, which must come from the same compiled firewalls (deciding rules are
// compared by identity).
std::optional<std::string> answerDifference(const PortIntervalAnswer& got, const PortIntervalAnswer& want) {
  if (auto why = verdictDifference(got, want)) return why;
  if (got.unresolved != want.unresolved)
    return "unresolved " + join(sortedIds(got.unresolved)) + " != " + join(sortedIds(want.unresolved));
  if (got.pieces.size() != want.pieces.size())
    return "piece count " + std::to_string(got.pieces.size()) + " != " + std::to_string(want.pieces.size());
  for (std::size_t p = 0; p < got.pieces.size(); ++p) {
    const AddressPiece& a = got.pieces[p];
    const AddressPiece& b = want.pieces[p];
    const std::string where = "piece " + std::to_string(p) + ": ";
    if (!(a.addresses == b.addresses))
      return where + "addresses {" + a.addresses.toString() + "} != {" + b.addresses.toString() + "}";
    if (a.verdict != b.verdict || a.depends_on_unresolved != b.depends_on_unresolved)
      return where + "verdict or dependence on unresolved references";
    if (a.decisions.size() != b.decisions.size()) return where + "layer count";
    for (std::size_t l = 0; l < a.decisions.size(); ++l) {
      const LayerDecision& x = a.decisions[l];
      const LayerDecision& y = b.decisions[l];
      if (x.layer != y.layer || x.action != y.action || x.rule != y.rule ||
          x.unless_member_of != y.unless_member_of)
        return where + "layer " + std::to_string(l) + " decided by " + ruleId(x.rule) +
               " != " + ruleId(y.rule);
    }
  }
  return std::nullopt;
}

// Asks reachEach a batch of questions built around the case (deterministically from it): the packet's key
// and its neighbours, the edges of the key space and of the rules' keys, repeated keys, other protocols, and
// a second firewall sharing the case's compiled groups in another order, all shuffled. Every answer must
// equal the one-question path's, and the answer for the packet must agree with the oracle.
std::optional<std::string> batchDisagreement(const Case& c, const Firewall& firewall) {
  FirewallCompiler compiler(c.resolver);
  const CompiledFirewall compiled = compiler.compile(firewall);
  Firewall reordered = firewall;
  for (FirewallLayer& layer : reordered.layers)
    std::reverse(layer.groups.begin(), layer.groups.end());
  const CompiledFirewall other = compiler.compile(reordered);

  std::mt19937_64 random(splitmix((std::uint64_t{c.packet.key} << 32) ^ (std::uint64_t{c.query.first} << 16) ^
                                  c.query.last ^ static_cast<std::uint64_t>(c.packet.source.value)));
  std::vector<std::uint16_t> keys{c.packet.key,
                                  static_cast<std::uint16_t>(c.packet.key - 1),
                                  static_cast<std::uint16_t>(c.packet.key + 1),
                                  0,
                                  65535,
                                  c.packet.key};
  // Edges of the rules' keys, a few of them: each question also asks reach(), which makes the test slow.
  std::vector<std::uint16_t> edges;
  for (const CaseLayer& layer : c.layers) {
    for (const SecurityGroup& group : layer.groups) {
      for (const SecurityGroupRule& rule : group.rules) {
        for (const PortRange& range : rule.ports.ranges()) {
          for (int edge : {range.first - 1, int{range.first}, int{range.last}, range.last + 1})
            edges.push_back(static_cast<std::uint16_t>(edge));
        }
      }
    }
  }
  for (int i = 0; i < 8 && !edges.empty(); ++i)
    keys.push_back(edges[random() % edges.size()]);
  keys.push_back(static_cast<std::uint16_t>(random()));
  const std::vector<Protocol> protocols{c.packet.protocol, Protocol::tcp(), Protocol::udp(),
                                        Protocol::icmp(),  Protocol::any(), Protocol::fromNumber(47).value()};
  std::vector<KeyQuestion> questions;
  questions.push_back(KeyQuestion{&compiled, c.packet.protocol, c.packet.key});  // the packet's
  for (std::uint16_t key : keys) {
    questions.push_back(KeyQuestion{&compiled, c.packet.protocol, key});
    questions.push_back(
        KeyQuestion{random() % 2 ? &compiled : &other, protocols[random() % protocols.size()], key});
  }
  std::vector<std::size_t> order(questions.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::shuffle(order.begin(), order.end(), random);
  std::vector<KeyQuestion> shuffled;
  for (std::size_t i : order)
    shuffled.push_back(questions[i]);

  const std::vector<PortIntervalAnswer> answers = reachEach(shuffled);
  if (answers.size() != shuffled.size()) return "answer count";
  std::vector<int> visits(shuffled.size(), 0);
  reachEach(shuffled, [&](std::size_t question, const PortIntervalAnswer&) { ++visits[question]; });
  for (std::size_t i = 0; i < shuffled.size(); ++i) {
    if (visits[i] != 1)
      return "question " + std::to_string(i) + " visited " + std::to_string(visits[i]) + " times";
    const KeyQuestion& question = shuffled[i];
    const ReachAnswer one = reach(*question.firewall, question.protocol, PortRange::single(question.key));
    if (auto why = answerDifference(answers[i], one.intervals.at(0))) {
      return "batch question " + std::to_string(i) + " (" + question.protocol.name() + " key " +
             std::to_string(question.key) + (question.firewall == &other ? ", reordered groups" : "") +
             ") differs from reach(): " + *why;
    }
  }
  // The verdicts of verdictEach must be those of the full answers (and so, for the packet, the oracle's).
  std::vector<int> verdicts(shuffled.size(), 0);
  std::optional<std::string> firstDifference;
  verdictEach(shuffled, [&](std::size_t question, const ReachVerdict& verdict) {
    ++verdicts[question];
    if (firstDifference) return;
    if (auto why = verdictDifference(verdict, answers[question])) {
      firstDifference = "verdict of question " + std::to_string(question) + " (" +
                        shuffled[question].protocol.name() + " key " +
                        std::to_string(shuffled[question].key) + "): " + *why;
    }
  });
  if (firstDifference) return firstDifference;
  for (std::size_t i = 0; i < shuffled.size(); ++i) {
    if (verdicts[i] != 1)
      return "verdict " + std::to_string(i) + " visited " + std::to_string(verdicts[i]) + " times";
  }
  const auto packet = static_cast<std::size_t>(std::find(order.begin(), order.end(), 0) - order.begin());
  return intervalDisagreement(c, firewall, answers[packet]);
}

std::optional<std::string> batchDisagreement(const Case& c) {
  return batchDisagreement(c, c.firewall());
}

using Check = std::optional<std::string> (*)(const Case&);

// Drops rules, then groups, one at a time while the case still disagrees.
Case minimise(Case c, Check disagreement) {
  bool changed = true;
  while (changed) {
    changed = false;
    for (std::size_t l = 0; l < c.layers.size(); ++l) {
      for (std::size_t g = 0; g < c.layers[l].groups.size(); ++g) {
        Case smaller = c;
        smaller.layers[l].groups.erase(smaller.layers[l].groups.begin() + static_cast<long>(g));
        if (disagreement(smaller)) {
          c = std::move(smaller);
          changed = true;
          break;
        }
        for (std::size_t r = 0; r < c.layers[l].groups[g].rules.size(); ++r) {
          Case fewer = c;
          auto& rules = fewer.layers[l].groups[g].rules;
          rules.erase(rules.begin() + static_cast<long>(r));
          if (disagreement(fewer)) {
            c = std::move(fewer);
            changed = true;
            break;
          }
        }
        if (changed) break;
      }
      if (changed) break;
    }
  }
  return c;
}

std::string describeCase(const Case& c) {
  std::ostringstream out;
  for (std::size_t l = 0; l < c.layers.size(); ++l) {
    out << "  layer " << l << " (" << toString(c.layers[l].model) << ")\n";
    for (const SecurityGroup& group : c.layers[l].groups) {
      out << "    group " << group.id << "\n";
      for (const SecurityGroupRule& rule : group.rules) {
        out << "      " << rule.origin.rule_id << ": " << toString(rule.direction) << " "
            << toString(rule.ethertype) << " " << rule.protocol.name() << " keys " << rule.ports.toString()
            << " from " << describe(rule.source) << " " << toString(rule.action) << " priority "
            << rule.priority << "\n";
      }
    }
  }
  // Only what the remaining rules refer to; an id missing here is unresolved.
  auto referenced = [&](const std::string& id) {
    for (const CaseLayer& layer : c.layers) {
      for (const SecurityGroup& group : layer.groups) {
        for (const SecurityGroupRule& rule : group.rules) {
          if (!std::holds_alternative<Cidr>(rule.source) && describe(rule.source).ends_with(" " + id))
            return true;
        }
      }
    }
    return false;
  };
  auto printMap = [&](const char* what, const std::unordered_map<std::string, AddressSet>& map) {
    for (const auto& [id, set] : map) {
      if (referenced(id)) out << "  resolver " << what << " " << id << " = {" << set.toString() << "}\n";
    }
  };
  printMap("group", c.resolver.security_group_members);
  printMap("address group", c.resolver.address_groups);
  printMap("prefix list", c.resolver.prefix_lists);
  printMap("tag", c.resolver.provider_tags);
  out << "  packet from " << c.packet.source.toString() << " protocol " << c.packet.protocol.name() << " key "
      << c.packet.key << ", query keys " << c.query.toString() << "\n";
  return out.str();
}

void runDifferential(const char* name,
                     const std::function<std::vector<EvaluationModel>(std::mt19937_64&)>& models,
                     Check check = disagreement, CaseShape shape = {}, long caseDivisor = 1) {
  // A new seed each run (printed here and with any failure, to replay it), unless one is given.
  const std::uint64_t seed =
      envNumber("SGAUDIT_FUZZ_SEED", std::random_device{}() ^ (std::uint64_t{std::random_device{}()} << 32));
  const auto cases = static_cast<long>(envNumber("SGAUDIT_FUZZ_CASES", kDefaultCases)) / caseDivisor;
  std::cout << "[ differential ] " << name << ": " << cases << " cases, SGAUDIT_FUZZ_SEED=" << seed
            << std::endl;
  auto started = std::chrono::steady_clock::now();
  std::mt19937_64 modelRandom(splitmix(seed));
  // How often the interesting outcomes occur, so that a generator drifting into trivial cases shows.
  long allowed = 0, denied = 0, defaultDenies = 0, deniedByRule = 0, undetermined = 0;
  for (long i = 0; i < cases; ++i) {
    std::uint64_t caseSeed = splitmix(seed ^ splitmix(static_cast<std::uint64_t>(i)));
    CaseGenerator generator(caseSeed, shape);
    Case c = generator.generate(models(modelRandom));
    Firewall firewall = c.firewall();
    oracle::PacketVerdict verdict = oracle::evaluatePacket(firewall, c.resolver, c.packet);
    ++(verdict.verdict == RuleAction::Allow ? allowed : denied);
    for (const oracle::LayerVerdict& layer : verdict.layers) {
      if (layer.decider == nullptr) ++defaultDenies;
      if (layer.decider != nullptr && layer.action == RuleAction::Deny) ++deniedByRule;
    }
    if (verdict.depends_on_unresolved) ++undetermined;
    if (auto why = check(c)) {
      Case small = minimise(c, check);
      FAIL() << name << ": the engine disagrees: SGAUDIT_FUZZ_SEED=" << seed << " case " << i
             << " (case seed " << caseSeed << ")\n  " << *why << "\nminimised case: " << *check(small) << "\n"
             << describeCase(small);
    }
  }
  // Both verdicts well represented, so that agreement means something for each.
  if (cases >= 1000) {
    EXPECT_GT(allowed, cases / 10) << name << ": the generator admits too rarely";
    EXPECT_GT(denied, cases / 10) << name << ": the generator denies too rarely";
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "[ differential ] " << name << ": " << cases << " cases agreed in " << seconds
            << " s (verdicts: " << allowed << " allow, " << denied
            << " deny; layer decisions: " << deniedByRule << " deny by rule, " << defaultDenies
            << " default deny; " << undetermined << " depend on unresolved references)" << std::endl;
}

// Test that the union model (AWS, OpenStack, Huawei v1) agrees with the oracle on random rule sets and
// packets.
TEST(FirewallDifferential, UnionAgreesWithOracle) {
  runDifferential("union", [](std::mt19937_64&) { return std::vector{EvaluationModel::Union}; });
}

// Test that first match by priority (Huawei v3) agrees with the oracle on random rule sets and packets.
TEST(FirewallDifferential, FirstMatchByPriorityAgreesWithOracle) {
  runDifferential("first-match-by-priority",
                  [](std::mt19937_64&) { return std::vector{EvaluationModel::FirstMatchByPriority}; });
}

// Test that priority with deny winning ties (GCP) agrees with the oracle on random rule sets and packets.
TEST(FirewallDifferential, PriorityDenyWinsAgreesWithOracle) {
  runDifferential("priority-deny-wins",
                  [](std::mt19937_64&) { return std::vector{EvaluationModel::PriorityDenyWins}; });
}

// `count` layers, each under a model drawn at random.
std::vector<EvaluationModel> randomLayers(std::mt19937_64& random, std::size_t count) {
  std::vector<EvaluationModel> models;
  for (std::size_t i = 0; i < count; ++i) {
    models.push_back(std::vector{EvaluationModel::Union, EvaluationModel::FirstMatchByPriority,
                                 EvaluationModel::PriorityDenyWins}[random() % 3]);
  }
  return models;
}

// Test that firewalls of several layers with mixed models (Azure subnet and NIC) agree with the oracle.
TEST(FirewallDifferential, LayeredFirewallsAgreeWithOracle) {
  runDifferential(
      "layered", [](std::mt19937_64& random) { return randomLayers(random, 2 + random() % 2); }, disagreement,
      CaseShape{.broadChance = 0.95, .broadAnyProtocol = 0.8, .broadBothFamilies = true});
}

// Test Azure's layers: a subnet NSG and a NIC NSG, both first match by priority, each ending with Azure's
// default rules (a service-tag allow, the load balancer's allow and the deny of everything), agree with the
// oracle.
TEST(FirewallDifferential, AzureLayersWithDefaultRulesAgreeWithOracle) {
  runDifferential(
      "azure-layers",
      [](std::mt19937_64&) {
        return std::vector{EvaluationModel::FirstMatchByPriority, EvaluationModel::FirstMatchByPriority};
      },
      disagreement,
      CaseShape{
          .broadChance = 0.9, .broadAnyProtocol = 0.8, .broadBothFamilies = true, .azureDefaults = true});
}

// Test that answering many single-key questions at once (reachEach: grouped by firewall and protocol, keys in
// order, one evaluation per elementary interval) gives exactly the one-question path's answers, and agrees
// with the oracle, on random firewalls of every model and of several layers.
TEST(FirewallDifferential, BatchAgreesWithOneQuestionPathAndOracle) {
  runDifferential(
      "batch", [](std::mt19937_64& random) { return randomLayers(random, 1 + random() % 3); },
      batchDisagreement);
}

// Test the same on large groups (up to 60 rules, references to sets of up to 40 ranges), which verdictEach
// paints differently from small ones: together, by key, rather than one range at a time. Fewer cases, each
// larger.
TEST(FirewallDifferential, BatchOnLargeGroupsAgreesWithOneQuestionPathAndOracle) {
  runDifferential(
      "batch, large groups", [](std::mt19937_64& random) { return randomLayers(random, 1 + random() % 3); },
      batchDisagreement, CaseShape{.maxRules = 60, .maxSetRanges = 40}, 10);
}

}  // namespace
}  // namespace sgaudit::core
