#include "sgaudit/core/firewall.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include <memory>
#include <string>
#include <vector>

namespace sgaudit::core {
namespace {

IpAddress ip(std::string_view text) {
  return IpAddress::parse(text).value();
}
AddressSet set(const std::vector<std::string>& cidrs) {
  return AddressSet::parse(cidrs).value();
}

SecurityGroupRule rule(std::string id, RuleAction action, Protocol protocol, PortRange ports,
                       std::string_view source, int priority = 1) {
  SecurityGroupRule out;
  out.action = action;
  out.protocol = protocol;
  out.ports = PortSet::of(ports);
  out.source = Cidr::parse(source).value();
  out.ethertype = std::get<Cidr>(out.source).family() == IpFamily::V4 ? Ethertype::IPv4 : Ethertype::IPv6;
  out.priority = priority;
  out.origin.provider = "test";
  out.origin.rule_id = std::move(id);
  return out;
}

SecurityGroupRule allowTcp(std::string id, PortRange ports, std::string_view source, int priority = 1) {
  return rule(std::move(id), RuleAction::Allow, Protocol::tcp(), ports, source, priority);
}

SecurityGroupRule denyTcp(std::string id, PortRange ports, std::string_view source, int priority = 1) {
  return rule(std::move(id), RuleAction::Deny, Protocol::tcp(), ports, source, priority);
}

SecurityGroupRule fromSource(std::string id, RuleAction action, RuleSource source, int priority = 1) {
  SecurityGroupRule out;
  out.action = action;
  out.protocol = Protocol::tcp();
  out.source = std::move(source);
  out.priority = priority;
  out.origin.rule_id = std::move(id);
  return out;
}

std::shared_ptr<const SecurityGroup> group(std::string id, std::vector<SecurityGroupRule> rules) {
  for (SecurityGroupRule& r : rules)
    r.origin.group_id = id;
  return std::make_shared<SecurityGroup>(SecurityGroup{id, id + "-name", std::move(rules)});
}

Firewall oneLayer(EvaluationModel model, std::vector<std::shared_ptr<const SecurityGroup>> groups) {
  return Firewall{{FirewallLayer{"node", model, std::move(groups)}}};
}

const AddressPiece& pieceFor(const PortIntervalAnswer& answer, const IpAddress& source) {
  for (const AddressPiece& piece : answer.pieces) {
    if (piece.addresses.contains(source)) return piece;
  }
  throw std::logic_error("no piece for " + source.toString());
}

std::string decidedBy(const PortIntervalAnswer& answer, std::string_view source) {
  const AddressPiece& piece = pieceFor(answer, ip(source));
  const auto& rule = piece.decisions.at(0).rule;
  return rule ? rule->rule_id : "default deny";
}

const SourceResolver kNoResolver;

// Test that under the union model two groups admit what either admits, each address citing its rule.
TEST(Firewall, UnionOfTwoGroups) {
  Firewall firewall =
      oneLayer(EvaluationModel::Union, {group("sg-a", {allowTcp("a1", {80, 80}, "10.0.0.0/8")}),
                                        group("sg-b", {allowTcp("b1", {80, 80}, "192.168.0.0/16")})});
  ReachAnswer answer = reach(firewall, kNoResolver, Protocol::tcp(), PortRange::single(80));
  ASSERT_EQ(answer.intervals.size(), 1u);
  const PortIntervalAnswer& port80 = answer.intervals[0];
  EXPECT_EQ(port80.admitted, set({"10.0.0.0/8", "192.168.0.0/16"}));
  EXPECT_EQ(decidedBy(port80, "10.1.2.3"), "a1");
  EXPECT_EQ(decidedBy(port80, "192.168.1.1"), "b1");
  EXPECT_EQ(decidedBy(port80, "8.8.8.8"), "default deny");
  EXPECT_EQ(decidedBy(port80, "::1"), "default deny");
}

// Test that the union model ignores deny rules, which AWS and Neutron groups cannot hold.
TEST(Firewall, UnionIgnoresDenyRules) {
  Firewall firewall = oneLayer(
      EvaluationModel::Union,
      {group("sg-a", {denyTcp("d", PortRange::all(), "0.0.0.0/0"), allowTcp("a", {22, 22}, "0.0.0.0/0")})});
  EXPECT_EQ(reach(firewall, kNoResolver, Protocol::tcp(), PortRange::single(22)).intervals[0].admitted,
            AddressSet::allV4());
}

// Test that at equal priority a deny rule beats an allow rule, whatever their order in the group.
TEST(Firewall, DenyBeatsAllowAtEqualPriority) {
  Firewall firewall = oneLayer(EvaluationModel::FirstMatchByPriority,
                               {group("sg-a", {allowTcp("allow", {80, 80}, "0.0.0.0/0", 5),
                                               denyTcp("deny", {80, 80}, "10.0.0.0/8", 5)})});
  const PortIntervalAnswer answer =
      reach(firewall, kNoResolver, Protocol::tcp(), PortRange::single(80)).intervals[0];
  EXPECT_EQ(answer.admitted, AddressSet::allV4().subtract(set({"10.0.0.0/8"})));
  EXPECT_EQ(decidedBy(answer, "10.0.0.1"), "deny");
  EXPECT_EQ(pieceFor(answer, ip("10.0.0.1")).verdict, RuleAction::Deny);
  EXPECT_EQ(decidedBy(answer, "11.0.0.1"), "allow");
}

// Test that a higher-priority (lower number) allow beats a lower-priority deny.
TEST(Firewall, HigherPriorityAllowBeatsLowerPriorityDeny) {
  Firewall firewall = oneLayer(EvaluationModel::FirstMatchByPriority,
                               {group("sg-a", {denyTcp("deny", PortRange::all(), "0.0.0.0/0", 100),
                                               allowTcp("allow", {443, 443}, "203.0.113.0/24", 1)})});
  const PortIntervalAnswer answer =
      reach(firewall, kNoResolver, Protocol::tcp(), PortRange::single(443)).intervals[0];
  EXPECT_EQ(answer.admitted, set({"203.0.113.0/24"}));
  EXPECT_EQ(decidedBy(answer, "203.0.113.7"), "allow");
  EXPECT_EQ(decidedBy(answer, "198.51.100.1"), "deny");
}

// Test that first match takes groups in the instance's order: the first group's low-priority allow wins over
// the second group's priority-1 deny.
TEST(Firewall, FirstMatchTakesGroupsInOrder) {
  Firewall firewall = oneLayer(EvaluationModel::FirstMatchByPriority,
                               {group("sg-first", {allowTcp("allow", {80, 80}, "0.0.0.0/0", 100)}),
                                group("sg-second", {denyTcp("deny", {80, 80}, "0.0.0.0/0", 1)})});
  EXPECT_EQ(reach(firewall, kNoResolver, Protocol::tcp(), PortRange::single(80)).intervals[0].admitted,
            AddressSet::allV4());
  // GCP semantics order every rule of the layer by priority instead.
  firewall.layers[0].model = EvaluationModel::PriorityDenyWins;
  EXPECT_TRUE(
      reach(firewall, kNoResolver, Protocol::tcp(), PortRange::single(80)).intervals[0].admitted.empty());
}

// Test that a rule of protocol any matches every protocol and every key, its port set notwithstanding.
TEST(Firewall, AllProtocolRuleMatchesEverything) {
  SecurityGroupRule all = rule("all", RuleAction::Allow, Protocol::any(), {5, 5}, "172.16.0.0/16");
  Firewall firewall = oneLayer(EvaluationModel::Union, {group("sg-a", {all})});
  for (Protocol protocol : {Protocol::tcp(), Protocol::udp(), Protocol::sctp(), Protocol::icmp(),
                            Protocol::fromNumber(47).value(), Protocol::any()}) {
    ReachAnswer answer = reach(firewall, kNoResolver, protocol);
    ASSERT_EQ(answer.intervals.size(), 1u) << protocol.name();
    EXPECT_EQ(answer.intervals[0].ports, PortRange::all());
    EXPECT_EQ(answer.intervals[0].admitted, set({"172.16.0.0/16"})) << protocol.name();
  }
  // A TCP rule does not match a question about protocol any.
  Firewall tcpOnly =
      oneLayer(EvaluationModel::Union, {group("sg-a", {allowTcp("t", PortRange::all(), "0.0.0.0/0")})});
  EXPECT_TRUE(reach(tcpOnly, kNoResolver, Protocol::any()).intervals[0].admitted.empty());
}

// Test that port ranges at the 0 and 65535 edges split a whole-range question exactly there.
TEST(Firewall, PortRangesAtTheEdges) {
  Firewall firewall = oneLayer(
      EvaluationModel::Union,
      {group("sg-a", {allowTcp("zero", {0, 0}, "10.0.0.0/8"), allowTcp("top", {65535, 65535}, "10.0.0.0/8"),
                      allowTcp("udp-like", {1, 1}, "11.0.0.0/8")})});
  ReachAnswer answer = reach(firewall, kNoResolver, Protocol::tcp());
  ASSERT_EQ(answer.intervals.size(), 4u);
  EXPECT_EQ(answer.intervals[0].ports, (PortRange{0, 0}));
  EXPECT_EQ(answer.intervals[1].ports, (PortRange{1, 1}));
  EXPECT_EQ(answer.intervals[2].ports, (PortRange{2, 65534}));
  EXPECT_EQ(answer.intervals[3].ports, (PortRange{65535, 65535}));
  EXPECT_EQ(answer.at(0).admitted, set({"10.0.0.0/8"}));
  EXPECT_TRUE(answer.at(300).admitted.empty());
  EXPECT_EQ(answer.at(65535).admitted, set({"10.0.0.0/8"}));
}

// Test that neighbouring elementary intervals with identical answers are merged.
TEST(Firewall, IdenticalNeighbouringIntervalsMerge) {
  Firewall firewall =
      oneLayer(EvaluationModel::Union, {group("sg-a", {allowTcp("a", {1000, 2000}, "10.0.0.0/8"),
                                                       allowTcp("b", {1500, 2500}, "10.0.0.0/8")})});
  ReachAnswer answer = reach(firewall, kNoResolver, Protocol::tcp());
  // 1000-1499 and 1500-2000 are both decided by "a"; 2001-2500 by "b".
  ASSERT_EQ(answer.intervals.size(), 4u);
  EXPECT_EQ(answer.intervals[1].ports, (PortRange{1000, 2000}));
  EXPECT_EQ(answer.intervals[2].ports, (PortRange{2001, 2500}));
}

// Test that ::/0 admits all of IPv6 and nothing of IPv4.
TEST(Firewall, Ipv6AnyAddress) {
  Firewall firewall = oneLayer(EvaluationModel::Union, {group("sg-a", {allowTcp("v6", {443, 443}, "::/0")})});
  const PortIntervalAnswer answer =
      reach(firewall, kNoResolver, Protocol::tcp(), PortRange::single(443)).intervals[0];
  EXPECT_EQ(answer.admitted, AddressSet::allV6());
  EXPECT_EQ(answer.admitted.toString(), "::/0");
  EXPECT_EQ(decidedBy(answer, "0.0.0.0"), "default deny");
}

// Test that a rule whose source is its own group admits the group's members, the node itself included.
TEST(Firewall, RuleWhoseSourceIsItsOwnGroup) {
  SourceResolver resolver;
  resolver.security_group_members["sg-node"] = set({"10.1.0.55/32", "10.1.0.56/32"});
  Firewall firewall =
      oneLayer(EvaluationModel::Union,
               {group("sg-node", {fromSource("self", RuleAction::Allow, SecurityGroupRef{"sg-node"})})});
  const PortIntervalAnswer answer =
      reach(firewall, resolver, Protocol::tcp(), PortRange::single(10250)).intervals[0];
  EXPECT_EQ(answer.admitted, set({"10.1.0.55/32", "10.1.0.56/32"}));
  EXPECT_TRUE(answer.unresolved.empty());
  EXPECT_EQ(decidedBy(answer, "10.1.0.55"), "self");
}

// Test that overlapping CIDRs are split so that each address cites the rule that decides it.
TEST(Firewall, OverlappingCidrs) {
  Firewall firewall = oneLayer(EvaluationModel::FirstMatchByPriority,
                               {group("sg-a", {allowTcp("wide", {80, 80}, "10.0.0.0/8", 2),
                                               denyTcp("narrow", {80, 80}, "10.1.0.0/16", 1),
                                               allowTcp("narrower", {80, 80}, "10.1.2.0/24", 1)})});
  const PortIntervalAnswer answer =
      reach(firewall, kNoResolver, Protocol::tcp(), PortRange::single(80)).intervals[0];
  EXPECT_EQ(answer.admitted, set({"10.0.0.0/8"}).subtract(set({"10.1.0.0/16"})));
  EXPECT_EQ(decidedBy(answer, "10.1.2.3"), "narrow");  // deny first at equal priority
  EXPECT_EQ(decidedBy(answer, "10.2.0.0"), "wide");
  // "narrower" decides nothing: no piece cites it.
  for (const AddressPiece& piece : answer.pieces) {
    if (piece.decisions[0].rule) {
      EXPECT_NE(piece.decisions[0].rule->rule_id, "narrower");
    }
  }
}

// Test that ICMP rules select by type and code, a type alone covering every code, and only IPv4 sources.
TEST(Firewall, IcmpTypeAndCode) {
  SecurityGroupRule echo =
      rule("echo", RuleAction::Allow, Protocol::icmp(), PortRange::icmpType(8), "0.0.0.0/0");
  SecurityGroupRule fragNeeded =
      rule("frag", RuleAction::Allow, Protocol::icmp(), PortRange::icmpTypeCode(3, 4), "10.0.0.0/8");
  Firewall firewall = oneLayer(EvaluationModel::Union, {group("sg-a", {echo, fragNeeded})});
  ReachAnswer answer = reach(firewall, kNoResolver, Protocol::icmp());
  EXPECT_EQ(answer.at(PortRange::icmpTypeCode(8, 0).first).admitted, AddressSet::allV4());
  EXPECT_EQ(answer.at(PortRange::icmpTypeCode(8, 255).first).admitted, AddressSet::allV4());
  EXPECT_EQ(answer.at(PortRange::icmpTypeCode(3, 4).first).admitted, set({"10.0.0.0/8"}));
  EXPECT_TRUE(answer.at(PortRange::icmpTypeCode(3, 3).first).admitted.empty());
  EXPECT_TRUE(answer.at(PortRange::icmpTypeCode(0, 0).first).admitted.empty());
  for (const PortIntervalAnswer& interval : answer.intervals) {
    for (const AddressPiece& piece : interval.pieces)
      EXPECT_TRUE(piece.addresses.ranges(IpFamily::V6).empty());
  }
  // An ICMP rule does not admit ICMPv6.
  EXPECT_TRUE(reach(firewall, kNoResolver, Protocol::icmpv6()).intervals[0].admitted.empty());
}

// Test that the ethertype limits a rule to its family: an IPv4 rule with an IPv6 CIDR matches nothing, and a
// group reference under an IPv4 rule admits only the IPv4 members.
TEST(Firewall, EthertypeLimitsFamilies) {
  SecurityGroupRule mismatched = allowTcp("mismatched", PortRange::all(), "::/0");
  mismatched.ethertype = Ethertype::IPv4;
  SecurityGroupRule members = fromSource("members", RuleAction::Allow, SecurityGroupRef{"sg-x"});
  members.ethertype = Ethertype::IPv4;
  SourceResolver resolver;
  resolver.security_group_members["sg-x"] = set({"10.0.0.1/32", "fd00::1/128"});
  Firewall firewall = oneLayer(EvaluationModel::Union, {group("sg-a", {mismatched, members})});
  EXPECT_EQ(reach(firewall, resolver, Protocol::tcp(), PortRange::single(1)).intervals[0].admitted,
            set({"10.0.0.1/32"}));
}

// Test that egress rules play no part in who can reach the node.
TEST(Firewall, EgressRulesAreIgnored) {
  SecurityGroupRule egress = allowTcp("egress", PortRange::all(), "0.0.0.0/0");
  egress.direction = Direction::Egress;
  Firewall firewall = oneLayer(EvaluationModel::Union, {group("sg-a", {egress})});
  EXPECT_TRUE(
      reach(firewall, kNoResolver, Protocol::tcp(), PortRange::single(80)).intervals[0].admitted.empty());
}

// Test that an unresolved group reference under union stays symbolic: it admits no address, is listed as a
// source, and marks the default-deny pieces as "unless member of".
TEST(Firewall, UnresolvedReferenceStaysSymbolicUnderUnion) {
  Firewall firewall =
      oneLayer(EvaluationModel::Union,
               {group("sg-a", {allowTcp("vpc", {80, 80}, "10.1.0.0/16"),
                               fromSource("peer", RuleAction::Allow, SecurityGroupRef{"sg-123"})})});
  const PortIntervalAnswer answer =
      reach(firewall, kNoResolver, Protocol::tcp(), PortRange::single(80)).intervals[0];
  EXPECT_EQ(answer.admitted, set({"10.1.0.0/16"}));
  ASSERT_EQ(answer.unresolved.size(), 1u);
  EXPECT_EQ(answer.unresolved[0].source, "members of sg-123");
  EXPECT_EQ(answer.unresolved[0].rule.rule_id, "peer");
  const AddressPiece& outside = pieceFor(answer, ip("8.8.8.8"));
  EXPECT_EQ(outside.verdict, RuleAction::Deny);
  EXPECT_TRUE(outside.depends_on_unresolved);
  ASSERT_EQ(outside.decisions[0].unless_member_of.size(), 1u);
  EXPECT_EQ(outside.decisions[0].unless_member_of[0].source, "members of sg-123");
  EXPECT_FALSE(pieceFor(answer, ip("10.1.0.1")).depends_on_unresolved);
  EXPECT_EQ(answer.undetermined, AddressSet::all().subtract(set({"10.1.0.0/16"})));
}

// Test that under first match an unresolved deny evaluated before an allow leaves the allowed addresses
// admitted but undetermined, and that an unresolved allow after the deciding rule changes nothing.
TEST(Firewall, UnresolvedReferenceUnderFirstMatch) {
  Firewall firewall =
      oneLayer(EvaluationModel::FirstMatchByPriority,
               {group("sg-a", {fromSource("blocklist", RuleAction::Deny, AddressGroupRef{"ag-bad"}, 1),
                               allowTcp("public", {443, 443}, "0.0.0.0/0", 2),
                               fromSource("late", RuleAction::Allow, SecurityGroupRef{"sg-late"}, 3)})});
  const PortIntervalAnswer answer =
      reach(firewall, kNoResolver, Protocol::tcp(), PortRange::single(443)).intervals[0];
  EXPECT_EQ(answer.admitted, AddressSet::allV4());
  EXPECT_EQ(answer.unresolved.size(), 2u);
  const AddressPiece& v4 = pieceFor(answer, ip("1.1.1.1"));
  EXPECT_EQ(v4.verdict, RuleAction::Allow);
  EXPECT_TRUE(v4.depends_on_unresolved);
  ASSERT_EQ(v4.decisions[0].unless_member_of.size(), 1u);
  EXPECT_EQ(v4.decisions[0].unless_member_of[0].source, "address group ag-bad");
  // IPv6 sources reach no resolved rule: default deny unless a member of sg-late (the blocklist would deny).
  const AddressPiece& v6 = pieceFor(answer, ip("2001:db8::1"));
  EXPECT_EQ(v6.verdict, RuleAction::Deny);
  ASSERT_EQ(v6.decisions[0].unless_member_of.size(), 1u);
  EXPECT_EQ(v6.decisions[0].unless_member_of[0].rule.rule_id, "late");
  EXPECT_EQ(answer.undetermined, AddressSet::all());
}

// Test that every layer must admit: a subnet layer that denies overrides a NIC layer that allows.
TEST(Firewall, AllLayersMustAdmit) {
  Firewall firewall;
  firewall.layers.push_back(
      FirewallLayer{"subnet",
                    EvaluationModel::FirstMatchByPriority,
                    {group("nsg-subnet", {allowTcp("subnet-allow", {80, 80}, "10.0.0.0/8", 100)})}});
  firewall.layers.push_back(
      FirewallLayer{"nic",
                    EvaluationModel::FirstMatchByPriority,
                    {group("nsg-nic", {allowTcp("nic-allow", {80, 80}, "0.0.0.0/0", 100)})}});
  const PortIntervalAnswer answer =
      reach(firewall, kNoResolver, Protocol::tcp(), PortRange::single(80)).intervals[0];
  EXPECT_EQ(answer.admitted, set({"10.0.0.0/8"}));
  const AddressPiece& outside = pieceFor(answer, ip("8.8.8.8"));
  ASSERT_EQ(outside.decisions.size(), 2u);
  EXPECT_EQ(outside.decisions[0].action, RuleAction::Deny);
  EXPECT_EQ(outside.decisions[0].rule, nullptr);
  EXPECT_EQ(outside.decisions[1].rule->rule_id, "nic-allow");
}

// Test that a node without any firewall layer admits every source.
TEST(Firewall, NoLayersAdmitsEverything) {
  EXPECT_EQ(reach(Firewall{}, kNoResolver, Protocol::udp(), PortRange::single(53)).intervals[0].admitted,
            AddressSet::all());
}

// Test that a compiler compiles a group shared by many nodes once.
TEST(FirewallCompiler, SharesCompiledGroups) {
  auto shared = group("sg-shared", {allowTcp("a", {80, 80}, "10.0.0.0/8")});
  SourceResolver resolver;
  FirewallCompiler compiler(resolver);
  CompiledFirewall first = compiler.compile(oneLayer(EvaluationModel::Union, {shared}));
  CompiledFirewall second = compiler.compile(oneLayer(EvaluationModel::Union, {shared}));
  EXPECT_EQ(first.layers[0].groups[0], second.layers[0].groups[0]);
  CompiledFirewall other = compiler.compile(oneLayer(EvaluationModel::FirstMatchByPriority, {shared}));
  EXPECT_NE(first.layers[0].groups[0], other.layers[0].groups[0]);
}

// Test the seed scenario: CCE's node group admits TCP 80 from the VPC only, so the internet is blocked, with
// the missing part as minimal CIDRs and the default deny as the deciding fact.
TEST(CheckRequired, CceNodeGroupBlocksInternetOnPort80) {
  SourceResolver resolver;
  resolver.security_group_members["sg-node"] = set({"10.1.0.55/32"});
  Firewall firewall = oneLayer(
      EvaluationModel::FirstMatchByPriority,
      {group("sg-node",
             {allowTcp("vpc-tcp", PortRange::all(), "10.1.0.0/16"),
              rule("containers", RuleAction::Allow, Protocol::any(), PortRange::all(), "172.16.0.0/16"),
              fromSource("nodes", RuleAction::Allow, SecurityGroupRef{"sg-node"}),
              allowTcp("ssh", {22, 22}, "0.0.0.0/0")})});
  ReachAnswer answer = reach(firewall, resolver, Protocol::tcp(), PortRange::single(80));
  RequirementCheck internet = checkRequired(answer.intervals[0], set({"0.0.0.0/0"}));
  EXPECT_EQ(internet.exposure, Exposure::PartiallyOpen);
  EXPECT_EQ(internet.missing, AddressSet::allV4().subtract(set({"10.1.0.0/16", "172.16.0.0/16"})));
  // Written as the fewest CIDRs: the address space without two /16s is 30 aligned blocks (from 0.0.0.0/5 to
  // 192.0.0.0/2), counted and checked here without the code under test.
  const std::vector<Cidr> missing_cidrs = internet.missingCidrs();
  ASSERT_EQ(missing_cidrs.size(), 30u);
  EXPECT_EQ(missing_cidrs.front().toString(), "0.0.0.0/5");
  EXPECT_EQ(missing_cidrs.back().toString(), "192.0.0.0/2");
  double addresses = 0;
  for (const auto& cidr : missing_cidrs) {
    addresses += std::ldexp(1.0, 32 - cidr.prefixLength());
    EXPECT_NE(cidr.toString().rfind("10.1.", 0), 0u) << cidr.toString();
    EXPECT_NE(cidr.toString().rfind("172.16.", 0), 0u) << cidr.toString();
  }
  EXPECT_EQ(addresses, std::ldexp(1.0, 32) - 2 * std::ldexp(1.0, 16));
  const std::vector<AddressPiece> missingDecidedBy = internet.missingDecidedBy(answer.intervals[0]);
  ASSERT_EQ(missingDecidedBy.size(), 1u);
  EXPECT_EQ(missingDecidedBy[0].decisions[0].rule, nullptr);
  EXPECT_EQ(missingDecidedBy[0].addresses, internet.missing);
  const std::vector<AddressPiece> admittedDecidedBy = internet.admittedDecidedBy(answer.intervals[0]);
  EXPECT_EQ(admittedDecidedBy.size(), 2u);
  EXPECT_EQ(admittedDecidedBy[0].addresses.unite(admittedDecidedBy[1].addresses), internet.admitted);
  EXPECT_FALSE(internet.depends_on_unresolved);

  RequirementCheck vpc = checkRequired(answer.intervals[0], set({"10.1.0.0/16"}));
  EXPECT_EQ(vpc.exposure, Exposure::Open);
  EXPECT_TRUE(vpc.missingCidrs().empty());

  RequirementCheck outside = checkRequired(answer.intervals[0], set({"203.0.113.0/24"}));
  EXPECT_EQ(outside.exposure, Exposure::Blocked);
  EXPECT_EQ(outside.missingCidrs().size(), 1u);
  EXPECT_EQ(outside.missingCidrs()[0].toString(), "203.0.113.0/24");

  RequirementCheck ssh = checkRequired(
      reach(firewall, resolver, Protocol::tcp(), PortRange::single(22)).intervals[0], set({"0.0.0.0/0"}));
  EXPECT_EQ(ssh.exposure, Exposure::Open);
}

// Test that the exposure over several intervals combines to partial when they differ.
TEST(CheckRequired, CombinesIntervals) {
  Firewall firewall =
      oneLayer(EvaluationModel::Union, {group("sg-a", {allowTcp("web", {80, 80}, "0.0.0.0/0")})});
  auto checks = checkRequired(reach(firewall, kNoResolver, Protocol::tcp(), {79, 81}), set({"0.0.0.0/0"}));
  ASSERT_EQ(checks.size(), 3u);
  EXPECT_EQ(combinedExposure(checks), Exposure::PartiallyOpen);
  EXPECT_EQ(checks[1].exposure, Exposure::Open);
  EXPECT_EQ(checks[0].exposure, Exposure::Blocked);
  // A check that depends on an unresolved reference says so.
  Firewall symbolic =
      oneLayer(EvaluationModel::Union,
               {group("sg-a", {fromSource("peer", RuleAction::Allow, SecurityGroupRef{"sg-9"})})});
  RequirementCheck check = checkRequired(reach(symbolic, kNoResolver, Protocol::tcp(), {80, 80}).intervals[0],
                                         set({"10.0.0.0/8"}));
  EXPECT_EQ(check.exposure, Exposure::Blocked);
  EXPECT_TRUE(check.depends_on_unresolved);
}

// Test that a large question does not leave its scratch space pinned to the thread: a group of 50,000
// rules of distinct sources, from priority to priority (each a separate range to sweep and paint), asked in
// full and for verdicts, needs tens of megabytes of scratch; after the calls the thread keeps a few.
TEST(Firewall, ScratchSpaceIsGivenBackAfterALargeQuestion) {
  std::vector<SecurityGroupRule> rules;
  for (int i = 0; i < 50'000; ++i) {
    const std::string cidr = "10." + std::to_string(i / 512) + "." + std::to_string(i / 2 % 256) +
                             (i % 2 == 0 ? ".0/25" : ".128/25");
    rules.push_back(rule("r" + std::to_string(i), i % 3 == 0 ? RuleAction::Deny : RuleAction::Allow,
                         Protocol::tcp(), {80, 80}, cidr, i));
  }
  FirewallCompiler compiler(kNoResolver);
  const CompiledFirewall compiled =
      compiler.compile(oneLayer(EvaluationModel::FirstMatchByPriority, {group("sg-big", std::move(rules))}));
  const std::vector<KeyQuestion> questions{{&compiled, Protocol::tcp(), 80},
                                           {&compiled, Protocol::tcp(), 81}};
  std::size_t pieces = 0;
  reachEach(questions,
            [&](std::size_t, const PortIntervalAnswer& answer) { pieces += answer.pieces.size(); });
  std::size_t admitted = 0;
  verdictEach(questions, [&](std::size_t, const ReachVerdict& verdict) {
    admitted += verdict.admitted.ranges(IpFamily::V4).size();
  });
  const ReachAnswer one = reach(compiled, Protocol::tcp(), PortRange{79, 81});
  // The questions were large: port 80 alone has a piece per source.
  EXPECT_GT(pieces, 50'000u);
  EXPECT_GT(admitted, 15'000u);
  ASSERT_EQ(one.intervals.size(), 3u);
  EXPECT_GT(one.intervals[1].pieces.size(), 50'000u);
  // Six kinds of scratch space (compiling, indexing, painting a group, one question, many questions, full
  // answers), each trimmed to at most 4 MiB when its call returns.
  EXPECT_LE(retainedScratchBytes(), std::size_t{6} * (4 << 20));
}

}  // namespace
}  // namespace sgaudit::core
