#include "sgaudit/cloud/openstack/inputs.hpp"

#include <fstream>
#include <string>
#include <variant>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sgaudit/core/firewall.hpp"
#include "support/process.hpp"

namespace sgaudit::cloud::openstack {
namespace {

using nlohmann::json;

json load(const std::string& name) {
  std::ifstream in(test::testDataDir() / "openstack" / name);
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

std::string errorOf(std::string_view kind, const std::string& text, std::string_view source = "sg.json") {
  auto parsed = parse(kind, json::parse(text), source);
  return parsed.ok() ? "(parsed)" : parsed.error().toString();
}

core::Cidr cidr(std::string_view text) {
  return *core::Cidr::parse(text);
}

// Test that each CLI and Networking API output is told apart by its shape (Huawei Cloud's look-alikes are the
// registry's to settle: test/cloud/registry).
TEST(OpenStackInputs, RecognisesEachKindByShape) {
  EXPECT_EQ(recognise(load("security-groups.json")), std::string(kind::kSecurityGroups));
  EXPECT_EQ(recognise(load("security-group-rules.json")), std::string(kind::kSecurityGroupRules));
  EXPECT_EQ(recognise(load("cli-security-group-list.json")), std::string(kind::kCliSecurityGroupList));
  EXPECT_EQ(recognise(load("cli-security-group-show.json")), std::string(kind::kCliSecurityGroupShow));
  EXPECT_EQ(recognise(load("cli-security-group-rule-list.json")),
            std::string(kind::kCliSecurityGroupRuleList));
  EXPECT_EQ(recognise(load("ports.json")), std::string(kind::kPorts));
  EXPECT_EQ(recognise(load("networks.json")), std::string(kind::kNetworks));
  EXPECT_EQ(recognise(load("subnets.json")), std::string(kind::kSubnets));
  EXPECT_EQ(recognise(json::parse(R"({"security_group": {"id": "a", "security_group_rules": []}})")),
            std::string(kind::kSecurityGroup));
  EXPECT_EQ(recognise(json::parse("[]")), std::nullopt);
  EXPECT_EQ(recognise(json::parse(R"({"SecurityGroups": []})")), std::nullopt);
}

// Test that Networking API rules map with Neutron's semantics: null protocol = any, null ports = all, ICMP
// min/max = type/code, remote group and address group references, and no remote = every address of the
// ethertype.
TEST(OpenStackInputs, NeutronSecurityGroupsMapEveryRule) {
  const auto inventory = parseFile("security-groups.json");
  ASSERT_EQ(inventory.security_groups.size(), 2u);
  const auto& nodes = inventory.security_groups[0];
  EXPECT_EQ(nodes.provider, "openstack");
  EXPECT_EQ(nodes.model, core::EvaluationModel::Union);
  EXPECT_EQ(nodes.description, "worker nodes");
  EXPECT_EQ(nodes.group->id, "85cc3048-abc3-43cc-89b3-377341426ac5");
  EXPECT_EQ(nodes.group->name, "k8s-nodes");
  const auto& rules = nodes.group->rules;
  ASSERT_EQ(rules.size(), 8u);

  EXPECT_EQ(rules[0].protocol, core::Protocol::tcp());
  EXPECT_EQ(rules[0].ports, core::PortSet::of(core::PortRange::single(80)));
  EXPECT_EQ(std::get<core::Cidr>(rules[0].source), cidr("0.0.0.0/0"));
  EXPECT_EQ(rules[0].origin, (core::RuleOrigin{"openstack", "85cc3048-abc3-43cc-89b3-377341426ac5",
                                               "k8s-nodes", "3c0e45ff-adaf-4124-b083-bf390e5482ff", "HTTP"}));
  EXPECT_EQ(rules[1].protocol, core::Protocol::tcp());  // "6"
  EXPECT_EQ(std::get<core::Cidr>(rules[1].source), cidr("203.0.113.7/32"));

  EXPECT_TRUE(rules[2].protocol.isAny());
  EXPECT_EQ(rules[2].ethertype, core::Ethertype::IPv4);
  EXPECT_EQ(std::get<core::SecurityGroupRef>(rules[2].source).id, "85cc3048-abc3-43cc-89b3-377341426ac5");

  EXPECT_EQ(rules[3].ethertype, core::Ethertype::IPv6);
  EXPECT_EQ(rules[3].ports, core::PortSet::of(core::PortRange{30000, 32767}));
  EXPECT_EQ(std::get<core::AddressGroupRef>(rules[3].source).id, "0d2e3f4a-5b6c-4d7e-8f90-a1b2c3d4e5f6");

  EXPECT_EQ(std::get<core::Cidr>(rules[4].source), cidr("::/0"));  // no remote, IPv6

  EXPECT_EQ(rules[5].protocol, core::Protocol::icmp());
  EXPECT_EQ(rules[5].ports, core::PortSet::of(core::PortRange::icmpType(8)));
  EXPECT_EQ(rules[6].ports, core::PortSet::of(core::PortRange::icmpTypeCode(3, 4)));

  EXPECT_EQ(rules[7].direction, core::Direction::Egress);
  EXPECT_EQ(std::get<core::Cidr>(rules[7].source), cidr("0.0.0.0/0"));
  EXPECT_EQ(rules[7].origin.description, "");
  EXPECT_TRUE(inventory.security_groups[1].group->rules.empty());
}

// Test that a rule listing makes one group per security_group_id, and names like ipv6-icmp and sctp map.
TEST(OpenStackInputs, NeutronRuleListGroupsByGroupId) {
  const auto inventory = parseFile("security-group-rules.json");
  ASSERT_EQ(inventory.security_groups.size(), 2u);
  const auto& first = *inventory.security_groups[0].group;
  ASSERT_EQ(first.rules.size(), 2u);
  EXPECT_EQ(first.rules[1].protocol, core::Protocol::sctp());
  EXPECT_EQ(first.rules[1].ports, core::PortSet::of(core::PortRange::single(9899)));
  const auto& second = *inventory.security_groups[1].group;
  ASSERT_EQ(second.rules.size(), 1u);
  EXPECT_EQ(second.rules[0].protocol, core::Protocol::icmpv6());
  EXPECT_TRUE(second.rules[0].ports.isAll());
}

// Test that the CLI's rule list is read with its formatting: "80:80", "" for all, "type=8", ":code=0" (type
// 0), and a remote group wins over the "IP Range" the client fills in anyway.
TEST(OpenStackInputs, CliRuleListReadsFormattedColumns) {
  const auto inventory = parseFile("cli-security-group-rule-list.json");
  ASSERT_EQ(inventory.security_groups.size(), 1u);
  const auto& rules = inventory.security_groups[0].group->rules;
  ASSERT_EQ(rules.size(), 6u);
  EXPECT_EQ(rules[0].ports, core::PortSet::of(core::PortRange::single(80)));
  EXPECT_EQ(rules[0].origin.rule_id, "3c0e45ff-adaf-4124-b083-bf390e5482ff");
  EXPECT_TRUE(rules[1].protocol.isAny());
  EXPECT_EQ(std::get<core::SecurityGroupRef>(rules[1].source).id, "85cc3048-abc3-43cc-89b3-377341426ac5");
  EXPECT_EQ(rules[2].ports, core::PortSet::of(core::PortRange::icmpType(8)));
  EXPECT_EQ(rules[3].ports, core::PortSet::of(core::PortRange::icmpTypeCode(0, 0)));
  EXPECT_EQ(std::get<core::AddressGroupRef>(rules[4].source).id, "0d2e3f4a-5b6c-4d7e-8f90-a1b2c3d4e5f6");
  EXPECT_EQ(rules[5].direction, core::Direction::Egress);
}

// Test that a rule list without the "Security Group" column takes the group from the options, else says so.
TEST(OpenStackInputs, CliRuleListOfOneGroup) {
  const auto document = json::parse(R"([{"ID": "r1", "IP Protocol": "tcp", "Ethertype": "IPv4",
    "IP Range": "10.0.0.0/8", "Port Range": "22:22", "Direction": "ingress", "Remote Security Group": null}])");
  auto parsed = parse(kind::kCliSecurityGroupRuleList, document, "rules.json", {"g1"});
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed.value().security_groups[0].group->id, "g1");
  auto unknown = parse(kind::kCliSecurityGroupRuleList, document, "rules.json");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(
      unknown.error().toString(),
      "rules.json: /0/Security Group: the list does not say which group the rule is in: list all groups' "
      "rules, or give the group id");
}

// Test that a rule carrying both remote_ip_prefix and remote_group_id is read as the remote group (what
// Neutron matches), with a warning that names the rule, and that the CLI's "22:22" port range is port 22.
TEST(OpenStackInputs, RuleWithPrefixAndGroupIsTheGroup) {
  std::vector<std::string> warnings;
  ParseOptions options;
  options.warnings = &warnings;
  const auto inventory = parseFile("security-group-rules-both-remotes.json", options);
  ASSERT_EQ(inventory.security_groups.size(), 1u);
  const auto& rules = inventory.security_groups[0].group->rules;
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(std::get<core::SecurityGroupRef>(rules[0].source).id, "b8845f72-c656-463e-b4de-1290dcea8858");
  EXPECT_EQ(std::get<core::Cidr>(rules[1].source), cidr("10.1.5.10/32"));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(
      warnings[0],
      "security-group-rules-both-remotes.json: /security_group_rules/0: the rule has both remote_ip_prefix "
      "\"0.0.0.0/0\" and remote_group_id b8845f72-c656-463e-b4de-1290dcea8858; read as the remote group, "
      "which is what Neutron matches");
  // Without a place for warnings the rule still reads the same.
  EXPECT_EQ(parseFile("security-group-rules-both-remotes.json").security_groups[0].group->rules.size(), 2u);

  const auto cli = parse(kind::kCliSecurityGroupRuleList, json::parse(R"([{"ID": "r1", "IP Protocol": "tcp",
    "Ethertype": "IPv4", "IP Range": "0.0.0.0/0", "Port Range": "22:22", "Direction": "ingress",
    "Remote Security Group": null, "Security Group": "g1"}])"),
                         "rules.json");
  ASSERT_TRUE(cli.ok()) << cli.error().toString();
  EXPECT_EQ(cli.value().security_groups[0].group->rules[0].ports,
            core::PortSet::of(core::PortRange::single(22)));
}

// Test that single-object responses (GET /v2.0/security-group-rules/{id}, /v2.0/ports/{id}) are read like
// their lists.
TEST(OpenStackInputs, SingleRuleAndPort) {
  EXPECT_EQ(recognise(load("security-group-rule.json")), std::string(kind::kSecurityGroupRule));
  const auto rule = parseFile("security-group-rule.json");
  ASSERT_EQ(rule.security_groups.size(), 1u);
  EXPECT_EQ(rule.security_groups[0].group->id, "a7734e61-b545-452d-a3cd-0189cbd9747a");
  ASSERT_EQ(rule.security_groups[0].group->rules.size(), 1u);
  EXPECT_EQ(rule.security_groups[0].group->rules[0].ports, core::PortSet::of(core::PortRange::single(10250)));

  EXPECT_EQ(recognise(load("port.json")), std::string(kind::kPort));
  const auto port = parseFile("port.json");
  ASSERT_EQ(port.interfaces.size(), 1u);
  EXPECT_EQ(port.interfaces[0].device_id, "5e0c9a1b-8f2d-4e3c-b1a0-9d8c7b6a5f4e");
  EXPECT_EQ(port.interfaces[0].fixed_ips, std::vector<std::string>{"10.0.0.12"});
}

// Test that the Compute API's servers (GET /v2.1/servers/detail) are read: fixed and floating addresses, and
// security groups by name, each once.
TEST(OpenStackInputs, NovaServersDetail) {
  EXPECT_EQ(recognise(load("nova-servers-detail.json")), std::string(kind::kServers));
  const auto inventory = parseFile("nova-servers-detail.json");
  ASSERT_EQ(inventory.instances.size(), 1u);
  const auto& server = inventory.instances[0];
  EXPECT_EQ(server.id, "5e0c9a1b-8f2d-4e3c-b1a0-9d8c7b6a5f4e");
  EXPECT_EQ(server.name, "k8s-worker-0");
  EXPECT_EQ(server.private_ips, std::vector<std::string>{"10.0.0.12"});
  EXPECT_EQ(server.public_ips, std::vector<std::string>{"172.24.4.30"});
  EXPECT_EQ(server.security_group_ids, (std::vector<std::string>{"name:default", "name:k8s-worker"}));
  const auto one =
      parse(kind::kServers, json::parse(R"({"server": {"id": "s", "addresses": {}}})"), "s.json");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one.value().instances.size(), 1u);
  const std::string bad =
      errorOf(kind::kServers, R"({"servers": [{"id": "s", "addresses": {"n": [{"addr": "10.0.0"}]}}]})");
  EXPECT_TRUE(bad.starts_with("sg.json: /servers/0/addresses/n/0/addr: ")) << bad;
}

// Test that `security group show` is read in its list form and its older string form is refused with advice.
TEST(OpenStackInputs, CliSecurityGroupShow) {
  const auto inventory = parseFile("cli-security-group-show.json");
  ASSERT_EQ(inventory.security_groups.size(), 1u);
  const auto& rules = inventory.security_groups[0].group->rules;
  ASSERT_EQ(rules.size(), 3u);
  EXPECT_EQ(rules[0].ports, core::PortSet::of(core::PortRange::single(80)));
  // The client drops empty fields: no protocol = any, no remote = any address of the ethertype.
  EXPECT_TRUE(rules[1].protocol.isAny());
  EXPECT_EQ(rules[1].ethertype, core::Ethertype::IPv6);
  EXPECT_EQ(std::get<core::Cidr>(rules[2].source), cidr("0.0.0.0/0"));

  EXPECT_EQ(errorOf(kind::kCliSecurityGroupShow,
                    R"({"id": "g1", "name": "web", "rules": "created_at='2024-03-01', direction='ingress'"})",
                    "show.json"),
            "show.json: /rules: the rules are a formatted string (older python-openstackclient); give the "
            "Networking API output instead (`openstack security group rule list --long -f json`, or GET "
            "/v2.0/security-groups/<id>)");
}

// Test that the CLI group list gives groups without rules.
TEST(OpenStackInputs, CliSecurityGroupList) {
  const auto inventory = parseFile("cli-security-group-list.json");
  ASSERT_EQ(inventory.security_groups.size(), 2u);
  EXPECT_EQ(inventory.security_groups[1].group->name, "k8s-nodes");
  EXPECT_EQ(inventory.security_groups[1].description, "worker nodes");
  EXPECT_TRUE(inventory.security_groups[1].group->rules.empty());
}

// Test that ports, networks and subnets fill interfaces and networks.
TEST(OpenStackInputs, PortsNetworksSubnets) {
  const auto ports = parseFile("ports.json");
  ASSERT_EQ(ports.interfaces.size(), 2u);
  EXPECT_EQ(ports.interfaces[0].device_id, "4a3b2c1d-0e9f-4a8b-9c7d-6e5f4a3b2c1d");
  EXPECT_EQ(ports.interfaces[0].fixed_ips, (std::vector<std::string>{"192.168.0.15", "2001:db8:10::15"}));
  EXPECT_EQ(ports.interfaces[0].security_group_ids,
            (std::vector<std::string>{"85cc3048-abc3-43cc-89b3-377341426ac5",
                                      "2076db17-a522-4506-91de-c6dd8e837028"}));
  EXPECT_TRUE(ports.interfaces[1].security_group_ids.empty());
  const auto networks = parseFile("networks.json");
  ASSERT_EQ(networks.networks.size(), 1u);
  EXPECT_EQ(networks.networks[0].kind, "network");
  EXPECT_EQ(networks.networks[0].name, "k8s-net");
  const auto subnets = parseFile("subnets.json");
  ASSERT_EQ(subnets.networks.size(), 2u);
  EXPECT_EQ(subnets.networks[1].kind, "subnet");
  EXPECT_EQ(subnets.networks[1].parent_id, "a87cc70a-3e15-4acf-8205-9b711a3531b7");
  EXPECT_EQ(subnets.networks[1].cidrs, (std::vector<std::string>{"2001:db8:10::/64"}));
}

// Test that malformed input is refused with the file, the JSON pointer and what was expected.
TEST(OpenStackInputs, MalformedInputNamesFileFieldAndExpectation) {
  const std::string_view rules = kind::kSecurityGroupRules;
  auto rule = [](const std::string& fields) {
    return R"({"security_group_rules": [{"id": "r1", "security_group_id": "g1", "direction": "ingress", )" +
           fields + "}]}";
  };
  EXPECT_EQ(
      errorOf(rules, rule(R"("protocol": "tcp", "port_range_min": "x")")),
      "sg.json: /security_group_rules/0/port_range_min: expected an integer 0..65535 or null, got \"x\"");
  EXPECT_EQ(errorOf(rules, rule(R"("protocol": "tcp", "port_range_min": 80, "port_range_max": 70)")),
            "sg.json: /security_group_rules/0: \"80:70\": range start after end");
  EXPECT_EQ(errorOf(rules, rule(R"("protocol": "tcpp")")),
            "sg.json: /security_group_rules/0/protocol: expected one of tcp, udp, icmp, ipv6-icmp, another "
            "protocol "
            "name Neutron knows, a protocol number 0-255 or null, got \"tcpp\"");
  EXPECT_EQ(errorOf(rules, rule(R"("ethertype": "IPv5")")),
            "sg.json: /security_group_rules/0/ethertype: expected IPv4 or IPv6, got \"IPv5\"");
  EXPECT_EQ(
      errorOf(rules, rule(R"("remote_address_group_id": "a1", "remote_group_id": "g2")")),
      "sg.json: /security_group_rules/0: expected only one of remote_group_id and remote_address_group_id");
  EXPECT_EQ(errorOf(rules, rule(R"("remote_ip_prefix": "10.0.0.0/8", "remote_address_group_id": "a1")")),
            "sg.json: /security_group_rules/0: expected only one of remote_ip_prefix and "
            "remote_address_group_id");
  EXPECT_EQ(
      errorOf(rules, rule(R"("remote_ip_prefix": "10.0.0.0/99")")),
      "sg.json: /security_group_rules/0/remote_ip_prefix: \"10.0.0.0/99\": prefix length 99 exceeds 32");
  EXPECT_EQ(errorOf(rules, rule(R"("protocol": "icmp", "port_range_min": 300)")),
            "sg.json: /security_group_rules/0: ICMP type 300 is not within 0-255");
  EXPECT_EQ(errorOf(rules, R"({"security_group_rules": [{"id": "r1", "direction": "in"}]})"),
            "sg.json: /security_group_rules/0/direction: expected ingress or egress, got \"in\"");
  EXPECT_EQ(errorOf(kind::kCliSecurityGroupRuleList,
                    R"([{"ID": "r1", "IP Protocol": "tcp", "Ethertype": "IPv4", "Port Range": "80-90",
                        "Direction": "ingress", "Security Group": "g1"}])"),
            "sg.json: /0/Port Range: \"80-90\": expected FIRST:LAST or empty");
  EXPECT_EQ(errorOf(kind::kCliSecurityGroupRuleList,
                    R"([{"ID": "r1", "IP Protocol": "tcp", "Port Range": "80:80", "Security Group": "g1"}])"),
            "sg.json: /0/Direction: the list has no Direction column: list the rules with --long");
  EXPECT_EQ(errorOf(kind::kSubnets, R"({"subnets": [{"id": "s1", "cidr": "10.0.0.0/24", "ip_version": 6}]})"),
            "sg.json: /subnets/0/ip_version: ip_version 6 does not match cidr \"10.0.0.0/24\"");
  EXPECT_EQ(
      errorOf(kind::kPorts, R"({"ports": [{"id": "p1", "fixed_ips": [{"ip_address": "10.0.0.300"}]}]})"),
      "sg.json: /ports/0/fixed_ips/0/ip_address: \"10.0.0.300\": octet 4 out of range");
  EXPECT_EQ(errorOf(kind::kSecurityGroups, R"({"security_groups": [{"name": "x"}]})"),
            "sg.json: /security_groups/0/id: expected a non-empty string, got nothing");
}

// Test that a parsed Neutron group admits, under core::reach, what its rules say, the rule with no remote
// included.
TEST(OpenStackInputs, ParsedGroupReachesWhatItsRulesSay) {
  const auto inventory = parseFile("security-groups.json");
  core::Firewall firewall{
      {core::FirewallLayer{"ports", core::EvaluationModel::Union, {inventory.security_groups[0].group}}}};
  const core::SourceResolver resolver;
  const auto http = core::reach(firewall, resolver, core::Protocol::tcp(), core::PortRange::single(80));
  EXPECT_EQ(http.at(80).admitted, core::AddressSet::allV4());
  const auto ssh = core::reach(firewall, resolver, core::Protocol::tcp(), core::PortRange::single(22));
  EXPECT_EQ(ssh.at(22).admitted, core::AddressSet::of(cidr("203.0.113.7/32")));
  const auto https = core::reach(firewall, resolver, core::Protocol::tcp(), core::PortRange::single(443));
  EXPECT_EQ(https.at(443).admitted, core::AddressSet::allV6());
}

}  // namespace
}  // namespace sgaudit::cloud::openstack
