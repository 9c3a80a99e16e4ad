#include "sgaudit/cloud/aws/inputs.hpp"

#include <fstream>
#include <string>
#include <variant>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sgaudit/core/firewall.hpp"
#include "support/process.hpp"

namespace sgaudit::cloud::aws {
namespace {

using nlohmann::json;

json load(const std::string& name) {
  std::ifstream in(test::testDataDir() / "aws" / name);
  EXPECT_TRUE(in) << name;
  return json::parse(in);
}

core::CloudInventory parseFile(const std::string& name, const ParseOptions& options = {}) {
  const json document = load(name);
  const auto kind = recognise(document);
  EXPECT_TRUE(kind.has_value()) << name;
  auto parsed = parse(kind.value_or(""), document, name, options);
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().toString());
  return parsed.ok() ? std::move(parsed).value() : core::CloudInventory{};
}

// The error text for an inline document of `kind`.
std::string errorOf(std::string_view kind, const std::string& text, std::string_view source = "sg.json") {
  auto parsed = parse(kind, json::parse(text), source);
  return parsed.ok() ? "(parsed)" : parsed.error().toString();
}

core::Cidr cidr(std::string_view text) {
  return *core::Cidr::parse(text);
}

// Test that each AWS output is told apart by its shape, and other documents are not taken.
TEST(AwsInputs, RecognisesEachKindByShape) {
  EXPECT_EQ(recognise(load("describe-security-groups.json")), std::string(kind::kDescribeSecurityGroups));
  EXPECT_EQ(recognise(load("describe-security-group-rules.json")),
            std::string(kind::kDescribeSecurityGroupRules));
  EXPECT_EQ(recognise(load("describe-managed-prefix-lists.json")),
            std::string(kind::kDescribeManagedPrefixLists));
  EXPECT_EQ(recognise(load("pl-0123456789abcdef0.entries.json")),
            std::string(kind::kGetManagedPrefixListEntries));
  EXPECT_EQ(recognise(load("describe-instances.json")), std::string(kind::kDescribeInstances));
  EXPECT_EQ(recognise(load("describe-vpcs.json")), std::string(kind::kDescribeVpcs));
  EXPECT_EQ(recognise(load("describe-subnets.json")), std::string(kind::kDescribeSubnets));
  EXPECT_EQ(recognise(load("eks-describe-cluster.json")), std::string(kind::kDescribeCluster));
  EXPECT_EQ(recognise(json::parse(R"({"security_groups": []})")), std::nullopt);
  EXPECT_EQ(recognise(json::parse(R"({"Entries": [{"Key": "x"}]})")), std::nullopt);
  EXPECT_EQ(recognise(json::parse(R"({"cluster": {"name": "x"}})")), std::nullopt);
  EXPECT_EQ(recognise(json::parse(R"([1, 2])")), std::nullopt);
}

// Test that output carrying ResponseMetadata (boto3's response printed as JSON, `aws ... --output json`
// through SDK wrappers) is recognised and read as the plain CLI output.
TEST(AwsInputs, ResponseMetadataIsIgnored) {
  EXPECT_EQ(recognise(load("describe-security-group-rules-boto3.json")),
            std::string(kind::kDescribeSecurityGroupRules));
  const auto inventory = parseFile("describe-security-group-rules-boto3.json");
  ASSERT_EQ(inventory.security_groups.size(), 1u);
  EXPECT_EQ(inventory.security_groups[0].group->id, "sg-0a1b2c3d4e5f67890");
  EXPECT_EQ(inventory.security_groups[0].group->rules.size(), 2u);
  json groups = load("describe-security-groups.json");
  groups["ResponseMetadata"] = {{"RequestId", "5d1c8f3a"}, {"HTTPStatusCode", 200}, {"RetryAttempts", 0}};
  EXPECT_EQ(recognise(groups), std::string(kind::kDescribeSecurityGroups));
  EXPECT_TRUE(parse(kind::kDescribeSecurityGroups, groups, "sg.json").ok());
}

// Test that every (permission x source) of describe-security-groups becomes one rule with the AWS quirks:
// "-1" without ports, "6" as TCP, ICMP type/code with -1, IPv6 ranges, group pairs and prefix lists.
TEST(AwsInputs, DescribeSecurityGroupsMapsEveryPermissionAndSource) {
  const auto inventory = parseFile("describe-security-groups.json");
  ASSERT_EQ(inventory.security_groups.size(), 2u);
  const auto& nodes = inventory.security_groups[0];
  EXPECT_EQ(nodes.provider, "aws");
  EXPECT_EQ(nodes.model, core::EvaluationModel::Union);
  EXPECT_EQ(nodes.vpc_id, "vpc-0123456789abcdef0");
  EXPECT_EQ(nodes.description, "EKS nodes running hostNetwork ingress");
  EXPECT_EQ(nodes.source.file, "describe-security-groups.json");
  ASSERT_NE(nodes.group, nullptr);
  EXPECT_EQ(nodes.group->id, "sg-0a1b2c3d4e5f60718");
  EXPECT_EQ(nodes.group->name, "eks-nodes");
  const auto& rules = nodes.group->rules;
  ASSERT_EQ(rules.size(), 13u);

  EXPECT_EQ(rules[0].protocol, core::Protocol::tcp());
  EXPECT_EQ(rules[0].ports, core::PortSet::of(core::PortRange::single(80)));
  EXPECT_EQ(rules[0].ethertype, core::Ethertype::IPv4);
  EXPECT_EQ(std::get<core::Cidr>(rules[0].source), cidr("0.0.0.0/0"));
  EXPECT_EQ(rules[0].action, core::RuleAction::Allow);
  EXPECT_EQ(rules[0].origin,
            (core::RuleOrigin{"aws", "sg-0a1b2c3d4e5f60718", "eks-nodes", "", "HTTP from anywhere"}));
  EXPECT_EQ(rules[1].ethertype, core::Ethertype::IPv6);
  EXPECT_EQ(std::get<core::Cidr>(rules[1].source), cidr("::/0"));
  EXPECT_EQ(rules[1].origin.description, "HTTP from anywhere (IPv6)");

  EXPECT_TRUE(rules[3].protocol.isAny());
  EXPECT_EQ(rules[3].ethertype, core::Ethertype::Any);
  EXPECT_EQ(std::get<core::SecurityGroupRef>(rules[3].source).id, "sg-0a1b2c3d4e5f60718");
  EXPECT_EQ(rules[3].origin.description, "node to node");
  EXPECT_EQ(std::get<core::SecurityGroupRef>(rules[4].source).id, "sg-0fedcba9876543210");

  EXPECT_EQ(rules[5].protocol, core::Protocol::tcp());  // "6"
  EXPECT_EQ(rules[5].ports, core::PortSet::of(core::PortRange::single(10250)));
  EXPECT_EQ(std::get<core::PrefixListRef>(rules[5].source).id, "pl-0123456789abcdef0");

  EXPECT_EQ(rules[6].protocol, core::Protocol::icmp());
  EXPECT_EQ(rules[6].ports, core::PortSet::of(core::PortRange::icmpType(8)));  // code -1: every code
  EXPECT_EQ(rules[7].ports, core::PortSet::of(core::PortRange::icmpTypeCode(3, 4)));
  EXPECT_EQ(rules[8].protocol, core::Protocol::icmpv6());
  EXPECT_TRUE(rules[8].ports.isAll());  // type -1

  EXPECT_EQ(rules[9].protocol, core::Protocol::udp());
  EXPECT_EQ(rules[9].ports, core::PortSet::of(core::PortRange{30000, 32767}));
  EXPECT_EQ(std::get<core::Cidr>(rules[10].source), cidr("198.51.100.0/24"));
  // AWS opens every port of protocols other than TCP, UDP and ICMP, whatever the range says.
  EXPECT_EQ(rules[11].protocol, core::Protocol::sctp());
  EXPECT_TRUE(rules[11].ports.isAll());

  EXPECT_EQ(rules[12].direction, core::Direction::Egress);
  EXPECT_TRUE(rules[12].protocol.isAny());

  EXPECT_EQ(inventory.security_groups[1].group->id, "sg-0badc0ffee0ddf00d");
  EXPECT_TRUE(inventory.security_groups[1].group->rules.empty());
}

// Test that describe-security-group-rules gives one rule per entry with its sgr- id, grouped by GroupId.
TEST(AwsInputs, DescribeSecurityGroupRulesGroupsRulesByGroupId) {
  const auto inventory = parseFile("describe-security-group-rules.json");
  ASSERT_EQ(inventory.security_groups.size(), 2u);
  const auto& first = *inventory.security_groups[0].group;
  EXPECT_EQ(first.id, "sg-0a1b2c3d4e5f60718");
  EXPECT_EQ(first.name, "");
  ASSERT_EQ(first.rules.size(), 4u);
  EXPECT_EQ(first.rules[0].origin,
            (core::RuleOrigin{"aws", "sg-0a1b2c3d4e5f60718", "", "sgr-0aaaaaaaaaaaaaaa1", "HTTPS"}));
  EXPECT_EQ(first.rules[0].ports, core::PortSet::of(core::PortRange::single(443)));
  EXPECT_EQ(std::get<core::SecurityGroupRef>(first.rules[1].source).id, "sg-0fedcba9876543210");
  EXPECT_TRUE(first.rules[1].protocol.isAny());
  EXPECT_EQ(std::get<core::PrefixListRef>(first.rules[2].source).id, "pl-0123456789abcdef0");
  EXPECT_EQ(first.rules[2].ports, core::PortSet::of(core::PortRange::icmpTypeCode(8, 0)));
  EXPECT_EQ(first.rules[3].direction, core::Direction::Egress);
  const auto& second = *inventory.security_groups[1].group;
  ASSERT_EQ(second.rules.size(), 1u);
  EXPECT_EQ(second.rules[0].protocol, core::Protocol::udp());  // "17"
  EXPECT_EQ(second.rules[0].ethertype, core::Ethertype::IPv6);
  EXPECT_EQ(second.rules[0].origin.rule_id, "sgr-0aaaaaaaaaaaaaaa3");
}

// Test that prefix lists are named by describe-managed-prefix-lists and filled by the entries, whose list id
// comes from the file name or the option.
TEST(AwsInputs, PrefixListsAndTheirEntries) {
  const auto lists = parseFile("describe-managed-prefix-lists.json");
  ASSERT_EQ(lists.address_sets.size(), 2u);
  EXPECT_EQ(lists.address_sets[0].id, "pl-0123456789abcdef0");
  EXPECT_EQ(lists.address_sets[0].name, "control-plane");
  EXPECT_EQ(lists.address_sets[0].kind, "prefix-list");
  EXPECT_EQ(lists.address_sets[1].id, "pl-63a5400a");

  const auto entries = parseFile("pl-0123456789abcdef0.entries.json");
  ASSERT_EQ(entries.address_sets.size(), 1u);
  const auto& set = entries.address_sets[0];
  EXPECT_EQ(set.id, "pl-0123456789abcdef0");
  EXPECT_EQ(set.entries, (std::vector<std::string>{"10.10.0.0/24", "10.10.1.0/24", "192.0.2.10/32"}));
  EXPECT_EQ(set.addresses.toString(), "10.10.0.0/23, 192.0.2.10/32");

  const json document = load("pl-0123456789abcdef0.entries.json");
  auto named = parse(kind::kGetManagedPrefixListEntries, document, "entries.json", {"pl-0abcdef12"});
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named.value().address_sets[0].id, "pl-0abcdef12");
  auto unnamed = parse(kind::kGetManagedPrefixListEntries, document, "entries.json");
  ASSERT_FALSE(unnamed.ok());
  EXPECT_EQ(
      unnamed.error().toString(),
      "entries.json: get-managed-prefix-list-entries output does not name its list: name the file after "
      "the list (pl-0123abcd.json) or give the list id");
}

// Test that a prefix list id is found in a source name only as a whole pl- token of 8 or 17 hex digits.
TEST(AwsInputs, PrefixListIdFromName) {
  EXPECT_EQ(prefixListIdFromName("pl-0123abcd.json"), "pl-0123abcd");
  EXPECT_EQ(prefixListIdFromName("uploads/pl-0123456789abcdef0-entries.json"), "pl-0123456789abcdef0");
  EXPECT_EQ(prefixListIdFromName("entries.json?name=pl-63a5400a"), "pl-63a5400a");
  EXPECT_EQ(prefixListIdFromName("pl-0123abc.json"), "");    // 7 digits
  EXPECT_EQ(prefixListIdFromName("pl-0123abcdz.json"), "");  // runs on
  EXPECT_EQ(prefixListIdFromName("xpl-0123abcd.json"), "");  // inside a word
  EXPECT_EQ(prefixListIdFromName("entries.json"), "");
}

// Test that instances get their addresses and groups from every interface, in order, and fall back to
// SecurityGroups when the interfaces are not printed.
TEST(AwsInputs, DescribeInstancesCollectsInterfacesAndGroups) {
  const auto inventory = parseFile("describe-instances.json");
  ASSERT_EQ(inventory.instances.size(), 2u);
  const auto& node = inventory.instances[0];
  EXPECT_EQ(node.id, "i-0123456789abcdef0");
  EXPECT_EQ(node.name, "demo-node-a");
  EXPECT_EQ(node.vpc_id, "vpc-0123456789abcdef0");
  EXPECT_EQ(node.private_ips,
            (std::vector<std::string>{"10.0.1.15", "10.0.1.16", "2001:db8:0:1::15", "10.0.2.20"}));
  EXPECT_EQ(node.public_ips, (std::vector<std::string>{"54.0.0.15"}));
  EXPECT_EQ(node.security_group_ids,
            (std::vector<std::string>{"sg-0a1b2c3d4e5f60718", "sg-0badc0ffee0ddf00d"}));
  ASSERT_EQ(node.interfaces.size(), 2u);
  EXPECT_EQ(node.interfaces[0].id, "eni-0aaaaaaaaaaaaaaa1");
  EXPECT_EQ(node.interfaces[0].device_id, "i-0123456789abcdef0");
  EXPECT_EQ(node.interfaces[1].security_group_ids, (std::vector<std::string>{"sg-0a1b2c3d4e5f60718"}));
  const auto& bare = inventory.instances[1];
  EXPECT_EQ(bare.private_ips, (std::vector<std::string>{"10.0.1.99"}));
  EXPECT_EQ(bare.security_group_ids, (std::vector<std::string>{"sg-0badc0ffee0ddf00d"}));
  EXPECT_TRUE(bare.interfaces.empty());
}

// Test that VPCs keep every associated CIDR of both families (not disassociated ones) and subnets their VPC.
TEST(AwsInputs, VpcsAndSubnets) {
  const auto vpcs = parseFile("describe-vpcs.json");
  ASSERT_EQ(vpcs.networks.size(), 1u);
  EXPECT_EQ(vpcs.networks[0].kind, "vpc");
  EXPECT_EQ(vpcs.networks[0].name, "demo");
  EXPECT_EQ(vpcs.networks[0].cidrs,
            (std::vector<std::string>{"10.0.0.0/16", "100.64.0.0/16", "2001:db8::/56"}));
  const auto subnets = parseFile("describe-subnets.json");
  ASSERT_EQ(subnets.networks.size(), 2u);
  EXPECT_EQ(subnets.networks[0].kind, "subnet");
  EXPECT_EQ(subnets.networks[0].parent_id, "vpc-0123456789abcdef0");
  EXPECT_EQ(subnets.networks[0].cidrs, (std::vector<std::string>{"10.0.1.0/24", "2001:db8:0:1::/64"}));
  EXPECT_EQ(subnets.networks[1].cidrs, (std::vector<std::string>{"10.0.2.0/24"}));
}

// Test that an EKS cluster gives its VPC, subnets, cluster security group and service CIDR.
TEST(AwsInputs, EksDescribeCluster) {
  const auto inventory = parseFile("eks-describe-cluster.json");
  ASSERT_EQ(inventory.clusters.size(), 1u);
  const auto& cluster = inventory.clusters[0];
  EXPECT_EQ(cluster.provider, "aws");
  EXPECT_EQ(cluster.id, "arn:aws:eks:us-east-1:111122223333:cluster/demo");
  EXPECT_EQ(cluster.name, "demo");
  EXPECT_EQ(cluster.vpc_id, "vpc-0123456789abcdef0");
  EXPECT_EQ(cluster.subnet_ids,
            (std::vector<std::string>{"subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"}));
  EXPECT_EQ(cluster.node_security_group_ids, (std::vector<std::string>{"sg-0a1b2c3d4e5f60718"}));
  EXPECT_EQ(cluster.service_cidr, "172.20.0.0/16");
}

// Test that malformed input is refused with the file, the JSON pointer and what was expected.
TEST(AwsInputs, MalformedInputNamesFileFieldAndExpectation) {
  const std::string_view groups = kind::kDescribeSecurityGroups;
  EXPECT_EQ(errorOf(groups, R"({"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "tcp",
            "FromPort": "x", "ToPort": 80}]}]})"),
            "sg.json: /SecurityGroups/0/IpPermissions/0/FromPort: expected an integer -1..65535, got \"x\"");
  EXPECT_EQ(errorOf(groups, R"({"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "tcp",
            "FromPort": 80, "ToPort": 70}]}]})"),
            "sg.json: /SecurityGroups/0/IpPermissions/0: \"80-70\": range start after end");
  EXPECT_EQ(
      errorOf(groups,
              R"({"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "tcpp"}]}]})"),
      "sg.json: /SecurityGroups/0/IpPermissions/0/IpProtocol: expected one of tcp, udp, icmp, icmpv6, -1 or "
      "a "
      "protocol number 0-255, got \"tcpp\"");
  EXPECT_EQ(errorOf(groups,
                    R"({"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "256"}]}]})"),
            "sg.json: /SecurityGroups/0/IpPermissions/0/IpProtocol: expected one of tcp, udp, icmp, icmpv6, "
            "-1 or a "
            "protocol number 0-255, got \"256\"");
  EXPECT_EQ(
      errorOf(groups, R"({"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "-1",
            "IpRanges": [{"CidrIp": "10.0.0.256/8"}]}]}]})"),
      "sg.json: /SecurityGroups/0/IpPermissions/0/IpRanges/0/CidrIp: \"10.0.0.256/8\": octet 4 out of range");
  EXPECT_EQ(errorOf(groups, R"({"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "-1",
            "Ipv6Ranges": [{"CidrIpv6": "10.0.0.0/8"}]}]}]})"),
            "sg.json: /SecurityGroups/0/IpPermissions/0/Ipv6Ranges/0/CidrIpv6: expected an IPv6 CIDR, got "
            "\"10.0.0.0/8\"");
  EXPECT_EQ(errorOf(groups, R"({"SecurityGroups": [{"GroupId": 7}]})"),
            "sg.json: /SecurityGroups/0/GroupId: expected a string, got 7");
  EXPECT_EQ(errorOf(groups, R"({"SecurityGroups": {}})"),
            "sg.json: /SecurityGroups: expected an array, got an object");
  EXPECT_EQ(
      errorOf(groups, R"({"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "icmp",
            "FromPort": 300, "ToPort": 0}]}]})"),
      "sg.json: /SecurityGroups/0/IpPermissions/0/FromPort: expected an ICMP type -1..255, got 300");
  EXPECT_EQ(errorOf(kind::kDescribeSecurityGroupRules,
                    R"({"SecurityGroupRules": [{"GroupId": "sg-1", "IpProtocol": "-1"}]})", "rules.json"),
            "rules.json: /SecurityGroupRules/0: expected one of CidrIpv4, CidrIpv6, PrefixListId or "
            "ReferencedGroupInfo");
  EXPECT_EQ(errorOf(kind::kDescribeSecurityGroupRules,
                    R"({"SecurityGroupRules": [{"GroupId": "sg-1", "IpProtocol": "-1", "IsEgress": "no",
                    "CidrIpv4": "0.0.0.0/0"}]})",
                    "rules.json"),
            "rules.json: /SecurityGroupRules/0/IsEgress: expected true or false, got \"no\"");
  EXPECT_EQ(
      errorOf(kind::kDescribeInstances, R"({"Reservations": [{"Instances": [{"InstanceId": "i-1",
            "NetworkInterfaces": [{"Groups": ["sg-1"]}]}]}]})",
              "i.json"),
      "i.json: /Reservations/0/Instances/0/NetworkInterfaces/0/Groups/0: expected an object, got \"sg-1\"");
  EXPECT_EQ(
      errorOf(kind::kDescribeVpcs, R"({"Vpcs": [{"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/33"}]})", "v.json"),
      "v.json: /Vpcs/0/CidrBlock: \"10.0.0.0/33\": prefix length 33 exceeds 32");
  EXPECT_EQ(errorOf("aws.ec2.describe-nothing", "{}"),
            "sg.json: unknown AWS input kind \"aws.ec2.describe-nothing\"");
  EXPECT_EQ(errorOf(groups, "[]"), "sg.json: expected an object, got an array");
}

// Test that a group read from describe-security-groups admits, under core::reach, exactly what its
// permissions say: TCP 80 from everywhere (one permission, both families), 22 only from one /32.
TEST(AwsInputs, ParsedGroupReachesWhatItsPermissionsSay) {
  const auto document = json::parse(R"({"SecurityGroups": [{"GroupId": "sg-1", "GroupName": "web",
    "IpPermissions": [
      {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
       "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
      {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "203.0.113.7/32"}]},
      {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-1"}]}
    ],
    "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}]})");
  auto parsed = parse(kind::kDescribeSecurityGroups, document, "sg.json");
  ASSERT_TRUE(parsed.ok()) << parsed.error().toString();
  core::Firewall firewall{{core::FirewallLayer{
      "node security groups", core::EvaluationModel::Union, {parsed.value().security_groups[0].group}}}};
  const core::SourceResolver resolver;
  const auto http = core::reach(firewall, resolver, core::Protocol::tcp(), core::PortRange::single(80));
  EXPECT_EQ(http.at(80).admitted, core::AddressSet::all());
  const auto ssh = core::reach(firewall, resolver, core::Protocol::tcp(), core::PortRange::single(22));
  EXPECT_EQ(ssh.at(22).admitted, core::AddressSet::of(cidr("203.0.113.7/32")));
  ASSERT_EQ(ssh.at(22).unresolved.size(), 1u);
  EXPECT_EQ(ssh.at(22).unresolved[0].source, "members of sg-1");
  const auto other = core::reach(firewall, resolver, core::Protocol::tcp(), core::PortRange::single(443));
  EXPECT_TRUE(other.at(443).admitted.empty());
}

}  // namespace
}  // namespace sgaudit::cloud::aws
