#include "fleet_generator.hpp"

#include <algorithm>
#include <random>
#include <string>

namespace sgaudit::bench {
namespace {

using core::AddressSet;
using core::Cidr;
using core::IpAddress;
using core::IpFamily;
using core::PortRange;
using core::PortSet;
using core::Protocol;
using core::RuleAction;
using core::SecurityGroup;
using core::SecurityGroupRule;

// Ports hostNetwork pods and node daemons typically use.
constexpr std::uint16_t kCommonPorts[] = {22,   53,   80,   443,  2379, 2380,  3306,  5432,  6379,  6443,
                                          8080, 8443, 9090, 9100, 9153, 10250, 10255, 10256, 30080, 31443};

class Generator {
 public:
  explicit Generator(std::uint64_t seed) : random_(seed) {}

  std::uint64_t next() { return random_(); }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(random_) < p; }

  std::uint16_t port() {
    if (chance(0.7)) return kCommonPorts[random_() % std::size(kCommonPorts)];
    return static_cast<std::uint16_t>(1024 + random_() % 64512);
  }

  Cidr ipv4Source() {
    double kind = std::uniform_real_distribution<double>(0, 1)(random_);
    if (kind < 0.08) return Cidr::containing(IpAddress::v4(0), 0);
    auto base = static_cast<std::uint32_t>(random_());
    if (kind < 0.6) base = 0x0a000000u | (base & 0x00ffffffu);  // 10/8, where the nodes live
    int prefix = std::vector<int>{8, 16, 16, 24, 24, 24, 28, 32, 32}[random_() % 9];
    return Cidr::containing(IpAddress::v4(base), prefix);
  }

  Cidr ipv6Source() {
    if (chance(0.3)) return Cidr::containing(IpAddress::v6(0), 0);
    core::Uint128 base = (core::Uint128{0xfd00} << 112) | (core::Uint128{random_()} << 48);
    return Cidr::containing(IpAddress::v6(base), chance(0.5) ? 48 : 64);
  }

  SecurityGroupRule rule(const std::string& groupId, std::size_t index, std::size_t groupCount,
                         core::EvaluationModel model) {
    SecurityGroupRule out;
    double protocol = std::uniform_real_distribution<double>(0, 1)(random_);
    out.protocol = protocol < 0.6    ? Protocol::tcp()
                   : protocol < 0.8  ? Protocol::udp()
                   : protocol < 0.92 ? Protocol::any()
                                     : Protocol::icmp();
    if (out.protocol.hasPorts()) {
      std::uint16_t first = port();
      if (chance(0.15)) {
        out.ports =
            PortSet::of({first, static_cast<std::uint16_t>(std::min(65535, first + int(random_() % 2000)))});
      } else if (chance(0.05)) {
        out.ports = PortSet::all();
      } else {
        out.ports = PortSet::of(PortRange::single(first));
      }
    } else if (out.protocol.isIcmp()) {
      out.ports = chance(0.5) ? PortSet::all() : PortSet::of(PortRange::icmpType(8));
    }
    double source = std::uniform_real_distribution<double>(0, 1)(random_);
    if (source < 0.2) {
      // Another group of the fleet, its own group, or (rarely) one the inventory does not know.
      std::string target = chance(0.3)    ? groupId
                           : chance(0.05) ? "sg-external-" + std::to_string(random_() % 10)
                                          : "sg-" + std::to_string(random_() % groupCount);
      out.source = core::SecurityGroupRef{target};
      out.ethertype = core::Ethertype::IPv4;
    } else if (source < 0.3) {
      Cidr cidr = ipv6Source();
      out.source = cidr;
      out.ethertype = core::Ethertype::IPv6;
    } else {
      out.source = ipv4Source();
      out.ethertype = core::Ethertype::IPv4;
    }
    bool ordered = model != core::EvaluationModel::Union;
    out.action = ordered && chance(0.2) ? RuleAction::Deny : RuleAction::Allow;
    out.priority = ordered ? static_cast<int>(1 + random_() % 100) : 0;
    out.origin = core::RuleOrigin{"synthetic", groupId, "group " + groupId,
                                  groupId + "-rule-" + std::to_string(index), "synthetic rule"};
    return out;
  }

  std::shared_ptr<const SecurityGroup> group(std::size_t index, std::size_t rules, std::size_t groupCount,
                                             core::EvaluationModel model) {
    auto out = std::make_shared<SecurityGroup>();
    out->id = "sg-" + std::to_string(index);
    out->name = "group " + out->id;
    for (std::size_t r = 0; r < rules; ++r)
      out->rules.push_back(rule(out->id, r, groupCount, model));
    return out;
  }

 private:
  std::mt19937_64 random_;
};

}  // namespace

Fleet generateFleet(const FleetShape& shape) {
  Generator generator(shape.seed);
  Fleet fleet;
  for (std::size_t g = 0; g < shape.groups; ++g) {
    fleet.groups.push_back(generator.group(g, shape.rulesPerGroup, shape.groups, shape.model));
  }
  std::vector<AddressSet> members(shape.groups);
  for (std::size_t n = 0; n < shape.nodes; ++n) {
    auto address = IpAddress::v4(0x0a000000u | static_cast<std::uint32_t>(n + 1));
    std::size_t count =
        shape.minGroupsPerNode + generator.next() % (shape.maxGroupsPerNode - shape.minGroupsPerNode + 1);
    core::FirewallLayer layer{"node security groups", shape.model, {}};
    for (std::size_t i = 0; i < count; ++i) {
      std::size_t g = generator.next() % shape.groups;
      layer.groups.push_back(fleet.groups[g]);
      members[g].add(IpFamily::V4, {address.value, address.value});
    }
    fleet.nodes.push_back(core::Firewall{{std::move(layer)}});
  }
  for (std::size_t g = 0; g < shape.groups; ++g) {
    fleet.resolver.security_group_members[fleet.groups[g]->id] = members[g];
  }
  for (std::size_t q = 0; q < shape.questions; ++q) {
    Question question;
    question.node = generator.next() % shape.nodes;
    question.protocol = generator.chance(0.8) ? Protocol::tcp() : Protocol::udp();
    question.port = generator.port();
    fleet.questions.push_back(question);
  }
  return fleet;
}

Fleet generateBusyNode(core::EvaluationModel model, std::uint64_t seed) {
  constexpr std::size_t kGroups = 5;
  constexpr std::size_t kRules = 200;
  constexpr std::size_t kPods = 110;
  Generator generator(seed);
  Fleet fleet;
  core::FirewallLayer layer{"node security groups", model, {}};
  for (std::size_t g = 0; g < kGroups; ++g) {
    fleet.groups.push_back(generator.group(g, kRules, kGroups, model));
    layer.groups.push_back(fleet.groups.back());
    fleet.resolver.security_group_members[fleet.groups.back()->id] =
        AddressSet::of(IpFamily::V4, {0x0a000001u + g * 16, 0x0a000001u + g * 16 + 15});
  }
  fleet.nodes.push_back(core::Firewall{{std::move(layer)}});
  for (std::size_t pod = 0; pod < kPods; ++pod) {
    std::size_t ports = 1 + generator.next() % 3;
    for (std::size_t p = 0; p < ports; ++p) {
      Question question;
      question.protocol = generator.chance(0.85) ? Protocol::tcp() : Protocol::udp();
      question.port = generator.port();
      fleet.questions.push_back(question);
    }
  }
  return fleet;
}

}  // namespace sgaudit::bench
