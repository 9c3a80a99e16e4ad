// The Azure reader on `az` output (flattened, the AKS scenario's files) and ARM responses (fields under
// "properties", lists under "value"), and the joins that make each VM's subnet and NIC layers.
#include "sgaudit/cloud/azure/inputs.hpp"

#include <algorithm>
#include <fstream>
#include <string>
#include <variant>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/process.hpp"

namespace sgaudit::cloud::azure {
namespace {

using json = nlohmann::json;

json load(const std::filesystem::path& path) {
  std::ifstream in(test::testDataDir() / path);
  EXPECT_TRUE(in) << path;
  return json::parse(in);
}

core::CloudInventory read(const std::filesystem::path& path, std::vector<std::string>* warnings = nullptr) {
  const json document = load(path);
  const auto kind = recognise(document);
  EXPECT_TRUE(kind.has_value()) << path;
  auto parsed = parse(kind.value_or(""), document, path.filename().string(), warnings);
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().toString());
  return parsed.ok() ? std::move(parsed).value() : core::CloudInventory{};
}

std::string errorOf(std::string_view kind, const std::string& text) {
  auto parsed = parse(kind, json::parse(text), "nsg.json");
  return parsed.ok() ? "no error" : parsed.error().toString();
}

const core::SecurityGroupRule* ruleNamed(const core::SecurityGroup& group, const std::string& name) {
  for (const auto& rule : group.rules) {
    if (rule.origin.rule_id == name) return &rule;
  }
  return nullptr;
}

// Test that each resource type is told by its "type", in az's lists, ARM's {"value": [...]} and single
// resources, and that other documents are not taken.
TEST(AzureInputs, RecognisesEachKindByType) {
  EXPECT_EQ(recognise(load("scenarios/aks/nsgs.json")), std::string(kind::kNsgs));
  EXPECT_EQ(recognise(load("scenarios/aks/vmss-nics.json")), std::string(kind::kNics));
  EXPECT_EQ(recognise(load("scenarios/aks/vnets.json")), std::string(kind::kVnets));
  EXPECT_EQ(recognise(load("scenarios/aks/aks-show.json")), std::string(kind::kAksCluster));
  EXPECT_EQ(recognise(load("azure/nsg-arm.json")), std::string(kind::kNsgs));
  EXPECT_EQ(recognise(json{{"value", json::array({load("azure/nsg-arm.json")})}}), std::string(kind::kNsgs));
  EXPECT_EQ(
      recognise(json::parse(
          R"([{"id": "/s/subnets/a", "type": "Microsoft.Network/virtualNetworks/subnets", "addressPrefix": "10.0.0.0/24"}])")),
      std::string(kind::kSubnets));
  EXPECT_EQ(recognise(json::parse("[]")), std::nullopt);
  EXPECT_EQ(recognise(json::parse(R"({"value": []})")), std::nullopt);
  EXPECT_EQ(recognise(json::parse(R"({"SecurityGroups": []})")), std::nullopt);
  EXPECT_EQ(recognise(json::parse(R"([{"type": "Microsoft.Compute/virtualMachines"}])")), std::nullopt);
}

// Test an ARM NSG: port lists and ranges, IPv4 and IPv6 prefixes, an application security group, a service
// tag, deny rules and priorities, outbound rules left out, and Azure's three inbound defaults added (fixed)
// when the response does not list them; a rule limited to one destination is read with a warning.
TEST(AzureInputs, ArmNsgWithItsRulesAndDefaults) {
  std::vector<std::string> warnings;
  const auto inventory = read("azure/nsg-arm.json", &warnings);
  ASSERT_EQ(inventory.security_groups.size(), 1u);
  const auto& cloud_group = inventory.security_groups[0];
  EXPECT_EQ(cloud_group.provider, "azure");
  EXPECT_EQ(cloud_group.model, core::EvaluationModel::FirstMatchByPriority);
  EXPECT_EQ(cloud_group.priority_range, std::make_pair(100, 4096));
  EXPECT_FALSE(cloud_group.rules_name_groups);
  const core::SecurityGroup& group = *cloud_group.group;
  EXPECT_EQ(group.name, "web-nsg");
  // allow-web: 2 sources; from-app-tier: 1; deny-rdp: 1; defaults: VirtualNetwork, AzureLoadBalancer, * (v4
  // and v6). out-dns is outbound.
  EXPECT_EQ(group.rules.size(), 2u + 1u + 1u + 4u);
  EXPECT_EQ(ruleNamed(group, "out-dns"), nullptr);
  const auto* web = ruleNamed(group, "allow-web");
  ASSERT_NE(web, nullptr);
  EXPECT_EQ(web->protocol, core::Protocol::tcp());
  EXPECT_EQ(web->ports.toString(), "80,8000-8080");
  EXPECT_EQ(web->priority, 130);
  EXPECT_EQ(core::describe(web->source), "203.0.113.0/24");
  const auto* app = ruleNamed(group, "from-app-tier");
  ASSERT_NE(app, nullptr);
  ASSERT_TRUE(std::holds_alternative<core::AddressGroupRef>(app->source));
  EXPECT_EQ(std::get<core::AddressGroupRef>(app->source).id,
            "/subscriptions/subid/resourcegroups/rg1/providers/microsoft.network/applicationsecuritygroups/"
            "app-tier");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("from-app-tier is limited to destination 10.0.1.5"), std::string::npos)
      << warnings[0];
  const auto* rdp = ruleNamed(group, "deny-rdp");
  ASSERT_NE(rdp, nullptr);
  EXPECT_EQ(rdp->action, core::RuleAction::Deny);
  EXPECT_EQ(std::get<core::ProviderTag>(rdp->source).name, "Internet");
  const auto* deny_all = ruleNamed(group, "DenyAllInBound");
  ASSERT_NE(deny_all, nullptr);
  EXPECT_TRUE(deny_all->fixed);
  EXPECT_EQ(deny_all->priority, 65500);
  EXPECT_FALSE(web->fixed);
}

// Test malformed values are named by file, JSON pointer and what was expected.
TEST(AzureInputs, MalformedValuesNamed) {
  const std::string start =
      R"([{"id": "/s/rg/networkSecurityGroups/n", "type": "Microsoft.Network/networkSecurityGroups", "securityRules": [{"name": "r", )";
  const std::string rest = R"(, "sourceAddressPrefix": "*", "destinationPortRange": "80"}]}])";
  EXPECT_EQ(errorOf(kind::kNsgs,
                    start + R"("direction": "Inbound", "access": "Allow", "protocol": "Tcp", "priority": 5)" +
                        rest),
            "nsg.json: /0/securityRules/0/priority: expected a priority 100..65500, got 5");
  EXPECT_EQ(
      errorOf(
          kind::kNsgs,
          start + R"("direction": "Inbound", "access": "Maybe", "protocol": "Tcp", "priority": 200)" + rest),
      "nsg.json: /0/securityRules/0/access: expected Allow or Deny, got \"Maybe\"");
  EXPECT_EQ(
      errorOf(
          kind::kNsgs,
          start + R"("direction": "Inbound", "access": "Allow", "protocol": "Gre", "priority": 200)" + rest),
      "nsg.json: /0/securityRules/0/protocol: expected one of Tcp, Udp, Icmp, Esp, Ah or *, got \"Gre\"");
  EXPECT_EQ(
      errorOf(
          kind::kNsgs,
          start +
              R"("direction": "Inbound", "access": "Allow", "protocol": "Tcp", "priority": 200, "sourceAddressPrefix": "10.0.0.300/8", "destinationPortRange": "80"}]}])"),
      "nsg.json: /0/securityRules/0/sourceAddressPrefix: \"10.0.0.300/8\": octet 4 out of range");
  EXPECT_EQ(
      errorOf(
          kind::kNsgs,
          start +
              R"("direction": "Inbound", "access": "Allow", "protocol": "Tcp", "priority": 200, "sourceAddressPrefix": "*", "destinationPortRange": "90-80"}]}])"),
      "nsg.json: /0/securityRules/0/destinationPortRange: port range 90-80 is not within 0-65535 with first "
      "<= last");
  EXPECT_EQ(errorOf(kind::kNsgs, R"([{"type": "Microsoft.Network/networkSecurityGroups"}])"),
            "nsg.json: /0/id: expected a non-empty string, got nothing");
  EXPECT_EQ(errorOf(kind::kNics, R"([{"id": "n", "ipConfigurations": [{"privateIPAddress": "x"}]}])"),
            "nsg.json: /0/ipConfigurations/0/privateIPAddress: expected an IP address, got \"x\"");
}

// Test the joins: each scale set VM of the AKS scenario is an instance keyed by its lower-cased resource id
// (as AKS's providerID names it), with its subnet's NSG as the first layer and its NIC's as the second, both
// under first match; the service tags VirtualNetwork (the VNet's space), AzureLoadBalancer and Internet
// (everything else) are defined.
TEST(AzureInputs, LinkMakesSubnetThenNicLayers) {
  core::CloudInventory inventory;
  for (const char* file : {"nsgs.json", "vmss-nics.json", "vnets.json", "aks-show.json"}) {
    auto part = read(std::filesystem::path("scenarios/aks") / file);
    for (auto& g : part.security_groups)
      inventory.security_groups.push_back(std::move(g));
    for (auto& i : part.interfaces)
      inventory.interfaces.push_back(std::move(i));
    for (auto& n : part.networks)
      inventory.networks.push_back(std::move(n));
    for (auto& c : part.clusters)
      inventory.clusters.push_back(std::move(c));
  }
  std::vector<std::string> warnings;
  link(inventory, warnings);
  EXPECT_TRUE(warnings.empty()) << warnings.front();
  ASSERT_EQ(inventory.instances.size(), 2u);
  const auto& vm = inventory.instances[0];
  EXPECT_EQ(vm.id,
            "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourcegroups/mc_rg-shop_aks-shop_eastus/"
            "providers/"
            "microsoft.compute/virtualmachinescalesets/aks-nodepool1-31415926-vmss/virtualmachines/0");
  EXPECT_EQ(vm.name, "aks-nodepool1-31415926-vmss_0");
  EXPECT_EQ(vm.private_ips, std::vector<std::string>{"10.224.0.4"});
  ASSERT_EQ(vm.firewall_layers.size(), 2u);
  EXPECT_EQ(vm.firewall_layers[0].name, "NSG of subnet aks-nodes");
  EXPECT_TRUE(vm.firewall_layers[0].group_ids[0].ends_with("/aks-subnet-nsg"));
  EXPECT_EQ(vm.firewall_layers[1].name, "NSG of NIC aks-nodepool1-31415926-vmss");
  EXPECT_TRUE(vm.firewall_layers[1].group_ids[0].ends_with("/aks-agentpool-31415926-nsg"));
  EXPECT_EQ(vm.firewall_layers[1].model, core::EvaluationModel::FirstMatchByPriority);
  ASSERT_EQ(inventory.clusters.size(), 1u);
  EXPECT_TRUE(inventory.clusters[0].vpc_id.ends_with("/virtualNetworks/vnet-shop"));
  EXPECT_EQ(inventory.clusters[0].container_cidrs, std::vector<std::string>{"10.244.0.0/16"});
  std::map<std::string, core::AddressSet> tags;
  for (const auto& set : inventory.address_sets) {
    if (set.kind == "service-tag") tags[set.name] = set.addresses;
  }
  ASSERT_EQ(tags.size(), 3u);
  EXPECT_EQ(tags["VirtualNetwork"].toString(), "10.224.0.0/12");
  EXPECT_TRUE(tags["AzureLoadBalancer"].contains(*core::IpAddress::parse("168.63.129.16")));
  EXPECT_TRUE(tags["Internet"].contains(*core::IpAddress::parse("8.8.8.8")));
  EXPECT_FALSE(tags["Internet"].contains(*core::IpAddress::parse("10.224.0.4")));
}

// Test that without the NSG listing's own record of its NICs, the NIC listing's networkSecurityGroup still
// joins, that a NIC without an NSG leaves one layer, and that a VM with two NICs is said to be checked by
// its first only.
TEST(AzureInputs, LinkFromNicListingAlone) {
  const std::string nsg_id =
      "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n";
  auto nsgs = parse(kind::kNsgs,
                    json::array({{{"id", nsg_id},
                                  {"name", "n"},
                                  {"type", "Microsoft.Network/networkSecurityGroups"},
                                  {"securityRules", json::array()}}}),
                    "nsgs.json");
  ASSERT_TRUE(nsgs.ok());
  auto nic = [&](const std::string& name, const std::string& vm, bool with_nsg) {
    json out = {
        {"id", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/" + name},
        {"type", "Microsoft.Network/networkInterfaces"},
        {"virtualMachine",
         {{"id", "/subscriptions/s/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/" + vm}}},
        {"ipConfigurations", json::array({{{"privateIPAddress", "10.1.0." + std::to_string(name.size())},
                                           {"subnet", {{"id", "/subscriptions/s/x/subnets/other"}}}}})}};
    if (with_nsg) out["networkSecurityGroup"] = {{"id", nsg_id}};
    return out;
  };
  auto nics = parse(kind::kNics,
                    json::array({nic("a", "vm1", true), nic("bb", "vm1", false), nic("ccc", "vm2", false)}),
                    "nics.json");
  ASSERT_TRUE(nics.ok()) << nics.error().toString();
  core::CloudInventory inventory = std::move(nsgs).value();
  inventory.interfaces = nics.value().interfaces;
  std::vector<std::string> warnings;
  link(inventory, warnings);
  ASSERT_EQ(inventory.instances.size(), 2u);
  ASSERT_EQ(inventory.instances[0].firewall_layers.size(), 1u);
  EXPECT_EQ(inventory.instances[0].firewall_layers[0].name, "NSG of NIC a");
  EXPECT_TRUE(inventory.instances[1].firewall_layers.empty()) << "no NSG on either layer";
  EXPECT_TRUE(std::any_of(warnings.begin(), warnings.end(), [](const std::string& w) {
    return w.find("Azure VM vm2 has no NSG on its subnet or its NIC") != std::string::npos;
  }));
  EXPECT_TRUE(std::any_of(warnings.begin(), warnings.end(), [](const std::string& w) {
    return w.find("has several NICs") != std::string::npos &&
           w.find("bb is not checked") != std::string::npos;
  }));
  EXPECT_TRUE(std::any_of(warnings.begin(), warnings.end(), [](const std::string& w) {
    return w.find("VirtualNetwork stays unresolved") != std::string::npos;
  }));
}

}  // namespace
}  // namespace sgaudit::cloud::azure
