#include "sgaudit/cloud/huawei/reader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "sgaudit/core/firewall.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace sgaudit::cloud::huawei {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

json load(const std::string& relative) {
  std::ifstream in(test::testDataDir() / relative);
  return json::parse(in);
}

core::CloudInventory parseFile(const std::string& relative) {
  const json doc = load(relative);
  const auto kind = recognise(doc);
  EXPECT_TRUE(kind.has_value()) << relative;
  auto parsed = parse(kind.value_or(""), doc, relative);
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().toString());
  return parsed.ok() ? std::move(parsed).value() : core::CloudInventory{};
}

std::string errorOf(const std::string& kind, const std::string& text) {
  auto parsed = parse(kind, json::parse(text), "rules.json");
  return parsed.ok() ? "parsed" : parsed.error().toString();
}

core::Firewall firewallOf(const core::CloudInventory& inventory) {
  core::FirewallLayer layer;
  layer.model = inventory.security_groups.at(0).model;
  for (const auto& group : inventory.security_groups)
    layer.groups.push_back(group.group);
  return core::Firewall{{layer}};
}

// Test that each Huawei document kind is recognised by its shape, and others are not.
TEST(HuaweiReaderTest, RecognisesKinds) {
  EXPECT_EQ(recognise(load("huawei/v3-rules-quirks.json")), "huawei.vpc.v3.security-group-rules");
  EXPECT_EQ(recognise(load("huawei/v1-groups-sparse.json")), "huawei.vpc.v1.security-groups");
  EXPECT_EQ(recognise(load("huawei/address-groups.json")), "huawei.vpc.v3.address-groups");
  EXPECT_EQ(recognise(load("huawei/clusters.json")), "huawei.cce.clusters");
  EXPECT_EQ(recognise(load("scenarios/cce-seed/security-groups.json")), "huawei.vpc.v3.security-groups");
  EXPECT_EQ(recognise(load("scenarios/cce-seed/security-group-rules.json")),
            "huawei.vpc.v3.security-group-rules");
  EXPECT_EQ(recognise(load("scenarios/cce-seed/ecs-servers.json")), "huawei.ecs.servers");
  EXPECT_EQ(recognise(load("scenarios/cce-seed/vpc.json")), "huawei.vpc.v1.vpcs");
  EXPECT_EQ(recognise(load("scenarios/cce-seed/cce-cluster.json")), "huawei.cce.clusters");
  EXPECT_FALSE(recognise(json::parse(R"({"SecurityGroups": []})")));
  EXPECT_FALSE(recognise(json::parse(R"({"kind": "List", "items": []})")));
  EXPECT_FALSE(recognise(json::parse("[1, 2]")));
}

// Test the v3 quirks: multiport string and bare number, deny, priorities, null and empty protocol, group and
// address-group references, ICMP type/code, egress kept as egress.
TEST(HuaweiReaderTest, V3RuleQuirks) {
  const auto inventory = parseFile("huawei/v3-rules-quirks.json");
  ASSERT_EQ(inventory.security_groups.size(), 2U);
  const auto& web = *inventory.security_groups[0].group;
  EXPECT_EQ(web.id, "sg-web");
  EXPECT_EQ(inventory.security_groups[0].model, core::EvaluationModel::FirstMatchByPriority);
  ASSERT_EQ(web.rules.size(), 5U);
  EXPECT_EQ(web.rules[0].action, core::RuleAction::Deny);
  EXPECT_EQ(web.rules[1].ports.toString(), "22,80,8000-9000");
  EXPECT_EQ(web.rules[2].ports.toString(), "333");
  EXPECT_EQ(web.rules[2].priority, 50);
  EXPECT_EQ(web.rules[3].protocol, core::Protocol::any());
  EXPECT_EQ(std::get<core::Cidr>(web.rules[3].source).toString(), "::/0");
  EXPECT_EQ(std::get<core::SecurityGroupRef>(web.rules[4].source).id, "sg-web");
  EXPECT_EQ(web.rules[4].origin.rule_id, "r-self");
  const auto& db = *inventory.security_groups[1].group;
  EXPECT_EQ(std::get<core::AddressGroupRef>(db.rules[0].source).id, "ag-office");
  EXPECT_TRUE(db.rules[1].ports.contains(8 * 256 + 0));
  EXPECT_FALSE(db.rules[1].ports.contains(8 * 256 + 1));
  EXPECT_EQ(db.rules[2].direction, core::Direction::Egress);
}

// Test that the parsed v3 rules evaluate first-match: the priority-1 deny on 22 wins over the allow at the
// same priority, 80 is open to the internet, IPv6 is admitted whole.
TEST(HuaweiReaderTest, V3RulesEvaluateFirstMatch) {
  auto inventory = parseFile("huawei/v3-rules-quirks.json");
  inventory.security_groups.resize(1);
  const core::SourceResolver resolver;
  const auto firewall = firewallOf(inventory);
  const auto ssh = core::reach(firewall, resolver, core::Protocol::tcp(), core::PortRange::single(22));
  EXPECT_TRUE(ssh.intervals.at(0).admitted.only(core::IpFamily::V4).empty());
  const auto web = core::reach(firewall, resolver, core::Protocol::tcp(), core::PortRange::single(80));
  EXPECT_EQ(web.intervals.at(0).admitted.toString(), "0.0.0.0/0, ::/0");
}

// Test v1 groups: sparse rules with missing keys mean any, port_range_min/max, ICMP type only, allow-only
// union.
TEST(HuaweiReaderTest, V1SparseRules) {
  const auto inventory = parseFile("huawei/v1-groups-sparse.json");
  ASSERT_EQ(inventory.security_groups.size(), 1U);
  EXPECT_EQ(inventory.security_groups[0].model, core::EvaluationModel::Union);
  EXPECT_EQ(inventory.security_groups[0].vpc_id, "vpc-1");
  const auto& rules = inventory.security_groups[0].group->rules;
  ASSERT_EQ(rules.size(), 4U);
  EXPECT_EQ(rules[0].ports.toString(), "22");
  EXPECT_EQ(rules[1].protocol, core::Protocol::any());
  EXPECT_EQ(std::get<core::SecurityGroupRef>(rules[1].source).id, "sg-v1");
  EXPECT_TRUE(rules[2].ports.contains(8 * 256 + 3));
  EXPECT_EQ(std::get<core::Cidr>(rules[3].source).toString(), "::/0");
}

// Test address groups with CIDRs, bare addresses and ranges.
TEST(HuaweiReaderTest, AddressGroups) {
  const auto inventory = parseFile("huawei/address-groups.json");
  ASSERT_EQ(inventory.address_sets.size(), 1U);
  const auto& office = inventory.address_sets[0];
  EXPECT_EQ(office.id, "ag-office");
  EXPECT_TRUE(office.addresses.contains(*core::IpAddress::parse("192.0.2.15")));
  EXPECT_TRUE(office.addresses.contains(*core::IpAddress::parse("198.51.100.7")));
  EXPECT_FALSE(office.addresses.contains(*core::IpAddress::parse("192.0.2.21")));
}

// Test the cce-seed scenario's cloud side: groups, the node group's 11 rules, the server with its group, the
// VPC and the cluster's networking.
TEST(HuaweiReaderTest, CceSeedScenario) {
  const auto groups = parseFile("scenarios/cce-seed/security-groups.json");
  ASSERT_EQ(groups.security_groups.size(), 2U);
  EXPECT_EQ(groups.security_groups[0].group->name, "cce-demo-cce-node-x7k2");
  const auto rules = parseFile("scenarios/cce-seed/security-group-rules.json");
  ASSERT_EQ(rules.security_groups.size(), 1U);
  EXPECT_EQ(rules.security_groups[0].group->rules.size(), 11U);
  const auto servers = parseFile("scenarios/cce-seed/ecs-servers.json");
  ASSERT_EQ(servers.instances.size(), 1U);
  EXPECT_EQ(servers.instances[0].id, "0f6d2e7a-93b1-4c8e-b0d5-2a7c4e9f1b36");
  EXPECT_EQ(servers.instances[0].private_ips, std::vector<std::string>{"10.1.0.55"});
  EXPECT_EQ(servers.instances[0].security_group_ids,
            std::vector<std::string>{"8b0a7f63-1a2d-4b8e-9a51-3f8e2b6c9d10"});
  EXPECT_EQ(servers.instances[0].vpc_id, "3ec3b33f-ac1c-4630-ad1c-7dba1ed79d85");
  const auto vpc = parseFile("scenarios/cce-seed/vpc.json");
  ASSERT_EQ(vpc.networks.size(), 1U);
  EXPECT_EQ(vpc.networks[0].cidrs, std::vector<std::string>{"10.1.0.0/16"});
  const auto cluster = parseFile("scenarios/cce-seed/cce-cluster.json");
  ASSERT_EQ(cluster.clusters.size(), 1U);
  EXPECT_EQ(cluster.clusters[0].container_cidrs, std::vector<std::string>{"172.16.0.0/16"});
  EXPECT_EQ(cluster.clusters[0].node_security_group_ids,
            std::vector<std::string>{"8b0a7f63-1a2d-4b8e-9a51-3f8e2b6c9d10"});
  EXPECT_EQ(cluster.clusters[0].service_cidr, "10.247.0.0/16");
  const auto list = parseFile("huawei/clusters.json");
  ASSERT_EQ(list.clusters.size(), 1U);
  EXPECT_EQ(list.clusters[0].container_cidrs.size(), 2U);
  EXPECT_EQ(list.clusters[0].service_cidr, "10.247.0.0/16");
}

// Test a v3 group listing with nested rules as `show` prints them: multiport as a bare number, protocol null
// (any), an empty protocol and multiport (any, every port), priority as a string, a self-reference.
TEST(HuaweiReaderTest, V3GroupsWithNestedRules) {
  const auto inventory = parseFile("huawei/v3-groups-numeric-multiport.json");
  ASSERT_EQ(inventory.security_groups.size(), 1U);
  EXPECT_EQ(inventory.security_groups[0].model, core::EvaluationModel::FirstMatchByPriority);
  const auto& group = *inventory.security_groups[0].group;
  EXPECT_EQ(group.name, "cce-demo-cce-node-ab12");
  ASSERT_EQ(group.rules.size(), 3U);
  EXPECT_EQ(group.rules[0].protocol, core::Protocol::tcp());
  EXPECT_EQ(group.rules[0].ports.toString(), "10250");
  EXPECT_EQ(std::get<core::Cidr>(group.rules[0].source).toString(), "192.168.0.0/16");
  EXPECT_EQ(group.rules[1].protocol, core::Protocol::any());
  EXPECT_EQ(group.rules[1].ethertype, core::Ethertype::IPv6);
  EXPECT_EQ(group.rules[1].priority, 100);
  EXPECT_EQ(std::get<core::SecurityGroupRef>(group.rules[1].source).id, group.id);
  EXPECT_EQ(group.rules[2].direction, core::Direction::Egress);
  EXPECT_EQ(group.rules[2].protocol, core::Protocol::any());
  EXPECT_TRUE(group.rules[2].ports.isAll());
  EXPECT_EQ(group.rules[2].priority, 100);
}

// Test ECS cloudservers/detail: fixed and floating addresses, the fixed address's port as an interface, the
// VPC from the metadata, the groups in the server's order, and a group given only by name.
TEST(HuaweiReaderTest, EcsServersDetail) {
  const auto inventory = parseFile("huawei/ecs-servers-detail.json");
  ASSERT_EQ(inventory.instances.size(), 1U);
  const auto& server = inventory.instances[0];
  EXPECT_EQ(server.id, "3f9c2b1a-7d6e-4c5b-9a8f-0e1d2c3b4a59");
  EXPECT_EQ(server.vpc_id, "8d4e6f1a-2b3c-4d5e-8f9a-0b1c2d3e4f5a");
  EXPECT_EQ(server.private_ips, std::vector<std::string>{"192.168.10.21"});
  EXPECT_EQ(server.public_ips, std::vector<std::string>{"121.36.10.20"});
  ASSERT_EQ(server.interfaces.size(), 1U);
  EXPECT_EQ(server.interfaces[0].id, "6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d");
  EXPECT_EQ(server.interfaces[0].device_id, server.id);
  EXPECT_EQ(server.security_group_ids, (std::vector<std::string>{"1e2d3c4b-5a69-4788-9796-a5b4c3d2e1f0",
                                                                 "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"}));
  const auto by_name = parse(
      "huawei.ecs.servers",
      json::parse(R"({"servers": [{"id": "s1", "security_groups": [{"name": "legacy"}]}]})"), "servers.json");
  ASSERT_TRUE(by_name.ok()) << by_name.error().toString();
  EXPECT_EQ(by_name.value().instances.at(0).security_group_ids, std::vector<std::string>{"name:legacy"});
}

// Test that ECS servers without an enterprise project or metadata.vpc_id (accounts without enterprise
// projects; GET /v1/{project_id}/cloudservers/detail) are still told apart from the Compute API's shape by
// what else only ECS prints, and read; servers with none of ECS's markers are left to the OpenStack reader.
TEST(HuaweiReaderTest, EcsServersWithoutEnterpriseProject) {
  EXPECT_EQ(recognise(load("huawei/ecs-cloudservers-no-eps.json")), "huawei.ecs.servers");
  const auto inventory = parseFile("huawei/ecs-cloudservers-no-eps.json");
  ASSERT_EQ(inventory.instances.size(), 1U);
  const auto& server = inventory.instances[0];
  EXPECT_EQ(server.vpc_id, "3ec3b33f-ac1c-4630-ad1c-7dba1ed79d85");  // the address's network
  EXPECT_EQ(server.private_ips, std::vector<std::string>{"10.1.0.57"});
  EXPECT_EQ(server.security_group_ids, std::vector<std::string>{"1e2d3c4b-5a69-4788-9796-a5b4c3d2e1f0"});
  EXPECT_FALSE(recognise(load("openstack/nova-servers-detail.json")));
  EXPECT_EQ(recognise(json::parse(R"({"servers": [{"id": "s", "metadata": {"metering.image_id": "i"}}]})")),
            "huawei.ecs.servers");
}

// Test that VPC v3 lists (extend_cidrs, cloud_resources, tags as objects, a page_info and request_id) are
// recognised as v3 and read with their extra CIDRs.
TEST(HuaweiReaderTest, VpcsV3) {
  EXPECT_EQ(recognise(load("huawei/vpcs-v3.json")), "huawei.vpc.v3.vpcs");
  const auto inventory = parseFile("huawei/vpcs-v3.json");
  ASSERT_EQ(inventory.networks.size(), 1U);
  EXPECT_EQ(inventory.networks[0].kind, "vpc");
  EXPECT_EQ(inventory.networks[0].cidrs, (std::vector<std::string>{"10.1.0.0/16", "100.64.0.0/16"}));
  EXPECT_EQ(recognise(json::parse(R"({"vpc": {"id": "v", "cidr": "10.0.0.0/8", "project_id": "p"}})")),
            "huawei.vpc.v3.vpcs");
}

// Test VPC v1 subnets: IPv4 and IPv6 CIDRs, the parent VPC.
TEST(HuaweiReaderTest, Subnets) {
  const auto inventory = parseFile("huawei/subnets.json");
  ASSERT_EQ(inventory.networks.size(), 1U);
  EXPECT_EQ(inventory.networks[0].kind, "subnet");
  EXPECT_EQ(inventory.networks[0].parent_id, "8d4e6f1a-2b3c-4d5e-8f9a-0b1c2d3e4f5a");
  EXPECT_EQ(inventory.networks[0].cidrs,
            (std::vector<std::string>{"192.168.10.0/24", "2407:c080:802:1a2b::/64"}));
}

// Test that a "kind" of another type is not taken for a CCE cluster and does not throw.
TEST(HuaweiReaderTest, NonStringKindIsNotACluster) {
  EXPECT_FALSE(recognise(json::parse(R"({"kind": 1, "apiVersion": "v3"})")));
  EXPECT_FALSE(recognise(json::parse(R"({"kind": {"Cluster": true}, "apiVersion": "v3"})")));
  EXPECT_EQ(recognise(json::parse(R"({"kind": "Cluster", "apiVersion": "v3"})")), "huawei.cce.clusters");
}

// Test that malformed input names the file, the JSON pointer and what was expected.
TEST(HuaweiReaderTest, MalformedInputErrors) {
  const std::string kind = "huawei.vpc.v3.security-group-rules";
  const std::string rule = R"("security_group_id": "sg", "direction": "ingress", "ethertype": "IPv4")";
  EXPECT_EQ(errorOf(kind, R"({"security_group_rules": [{)" + rule + R"(}, {)" + rule +
                              R"(, "protocol": "tcp", "multiport": "80-70"}]})"),
            "rules.json: /security_group_rules/1/multiport: \"80-70\": range start after end");
  EXPECT_THAT(errorOf(kind, R"({"security_group_rules": [{)" + rule +
                                R"(, "multiport": "http", "protocol": "tcp"}]})"),
              HasSubstr("rules.json: /security_group_rules/0/multiport: \"http\""));
  EXPECT_EQ(errorOf(kind, R"({"security_group_rules": [{)" + rule + R"(, "action": "maybe"}]})"),
            "rules.json: /security_group_rules/0/action: expected \"allow\" or \"deny\", got \"maybe\"");
  EXPECT_EQ(errorOf(kind, R"({"security_group_rules": [{)" + rule + R"(, "priority": 0}]})"),
            "rules.json: /security_group_rules/0/priority: expected a priority 1-100, got 0");
  EXPECT_THAT(
      errorOf(kind, R"({"security_group_rules": [{)" + rule + R"(, "remote_ip_prefix": "10.0.0.256/8"}]})"),
      ::testing::StartsWith("rules.json: /security_group_rules/0/remote_ip_prefix: \"10.0.0.256/8\": "));
  EXPECT_EQ(errorOf(kind, R"({"security_group_rules": [{)" + rule + R"(, "remote_ip_prefix": "::/0"}]})"),
            "rules.json: /security_group_rules/0/remote_ip_prefix: \"::/0\" does not match the rule's "
            "ethertype IPv4");
  EXPECT_EQ(
      errorOf(kind, R"({"security_group_rules": [{"security_group_id": "sg", "direction": "sideways"}]})"),
      "rules.json: /security_group_rules/0/direction: expected \"ingress\" or \"egress\", got \"sideways\"");
  EXPECT_EQ(errorOf(kind, R"({"security_group_rules": {"a": 1}})"),
            "rules.json: /security_group_rules: expected an array, got an object");
  EXPECT_EQ(
      errorOf(kind, R"({"security_group_rules": [{"direction": "ingress"}]})"),
      "rules.json: /security_group_rules/0/security_group_id: expected a non-empty string, got nothing");
  EXPECT_EQ(errorOf("huawei.ecs.servers", R"({"servers": [{"id": 7}]})"),
            "rules.json: /servers/0/id: expected a string, got 7");
  EXPECT_EQ(errorOf(kind, "[]"), "rules.json: expected an object, got an array");
}

}  // namespace
}  // namespace sgaudit::cloud::huawei
