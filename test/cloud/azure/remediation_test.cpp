// The Azure renderers: `az network nsg rule` commands and `azurerm_network_security_rule`, asserted field by
// field.
#include "sgaudit/cloud/azure/remediation.hpp"

#include <gtest/gtest.h>

namespace sgaudit::cloud::azure {
namespace {

const std::string kNsg =
    "/subscriptions/s/resourceGroups/rg-shop/providers/Microsoft.Network/networkSecurityGroups/"
    "aks-subnet-nsg";

core::AllowIngressPlan allowPlan() {
  core::AllowIngressPlan plan;
  plan.provider = "azure";
  plan.group_id = kNsg;
  plan.group_name = "aks-subnet-nsg";
  plan.protocol = core::Protocol::tcp();
  plan.ports = core::PortSet::of(core::PortRange::single(80));
  plan.ports.add(core::PortRange{8000, 8080});
  plan.sources = {*core::Cidr::parse("0.0.0.0/0"), *core::Cidr::parse("::/0")};
  plan.priority = 199;
  plan.description = "sgaudit: DaemonSet/ingress-nginx/ingress-nginx-controller needs it from 0.0.0.0/0";
  return plan;
}

// Test that an allow plan becomes one NSG rule in the plan's NSG (resource group and name from its id) at the
// plan's priority, with every port range and source, in the CLI and in Terraform.
TEST(AzureRemediation, AllowIsOneRuleAtThePlansPriority) {
  const auto fixes = renderFixes(allowPlan());
  ASSERT_EQ(fixes.size(), 2u);
  const std::string& az = fixes[0].content;
  EXPECT_EQ(fixes[0].tool, "az");
  EXPECT_EQ(fixes[0].format, "shell");
  EXPECT_NE(az.find("az network nsg rule create --resource-group rg-shop --nsg-name aks-subnet-nsg"),
            std::string::npos)
      << az;
  EXPECT_NE(az.find("--priority 199 --direction Inbound --access Allow --protocol Tcp"), std::string::npos)
      << az;
  EXPECT_NE(az.find("--source-address-prefixes 0.0.0.0/0 ::/0"), std::string::npos) << az;
  EXPECT_NE(az.find("--destination-port-ranges 80 8000-8080"), std::string::npos) << az;
  EXPECT_NE(az.find("--description 'sgaudit: DaemonSet/ingress-nginx/ingress-nginx-controller needs it from "
                    "0.0.0.0/0'"),
            std::string::npos)
      << az;
  const std::string& hcl = fixes[1].content;
  EXPECT_EQ(fixes[1].tool, "terraform");
  EXPECT_NE(hcl.find("resource \"azurerm_network_security_rule\" \"sgaudit_sgaudit_allow_Tcp_80_199\""),
            std::string::npos)
      << hcl;
  EXPECT_NE(hcl.find("priority                    = 199"), std::string::npos) << hcl;
  EXPECT_NE(hcl.find("destination_port_ranges     = [\"80\", \"8000-8080\"]"), std::string::npos) << hcl;
  EXPECT_NE(hcl.find("source_address_prefixes     = [\"0.0.0.0/0\", \"::/0\"]"), std::string::npos) << hcl;
  EXPECT_NE(hcl.find("resource_group_name         = \"rg-shop\""), std::string::npos) << hcl;
  EXPECT_NE(hcl.find("network_security_group_name = \"aks-subnet-nsg\""), std::string::npos) << hcl;
}

// Test that a protocol NSG rules cannot name gives no fix rather than a wrong one, and that hostile text
// stays inside its quotes.
TEST(AzureRemediation, UnnameableProtocolAndHostileText) {
  auto plan = allowPlan();
  plan.protocol = core::Protocol::sctp();
  EXPECT_TRUE(renderFixes(plan).empty());
  plan = allowPlan();
  plan.description = "x' ${file(\"/etc/passwd\")} \r";
  const auto fixes = renderFixes(plan);
  ASSERT_EQ(fixes.size(), 2u);
  EXPECT_NE(fixes[0].content.find(R"(--description 'x'\'' ${file("/etc/passwd")} )"), std::string::npos)
      << fixes[0].content;
  EXPECT_NE(fixes[1].content.find(R"(description                 = "x' $${file(\"/etc/passwd\")} \r")"),
            std::string::npos)
      << fixes[1].content;
}

// Test narrowing: an update of the rule's sources by name, or its deletion when nothing is kept.
TEST(AzureRemediation, NarrowUpdatesOrDeletesByName) {
  core::NarrowRulePlan plan;
  plan.provider = "azure";
  plan.group_id = kNsg;
  plan.group_name = "aks-subnet-nsg";
  plan.rule.origin.rule_id = "AllowSshAdmins";
  plan.rule.source = *core::Cidr::parse("0.0.0.0/0");
  plan.narrower = {*core::Cidr::parse("10.224.0.0/12")};
  auto fixes = renderFixes(plan);
  ASSERT_EQ(fixes.size(), 2u);
  EXPECT_NE(
      fixes[0].content.find("az network nsg rule update --resource-group rg-shop --nsg-name aks-subnet-nsg "
                            "--name AllowSshAdmins \\\n  --source-address-prefixes 10.224.0.0/12"),
      std::string::npos)
      << fixes[0].content;
  plan.narrower.clear();
  fixes = renderFixes(plan);
  EXPECT_NE(fixes[0].content.find("az network nsg rule delete --resource-group rg-shop --nsg-name "
                                  "aks-subnet-nsg --name AllowSshAdmins"),
            std::string::npos)
      << fixes[0].content;
  EXPECT_EQ(fixes[0].title, "Delete rule AllowSshAdmins of NSG aks-subnet-nsg (Azure CLI)");
}

}  // namespace
}  // namespace sgaudit::cloud::azure
