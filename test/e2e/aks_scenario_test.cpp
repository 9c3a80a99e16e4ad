// `sgaudit audit` on the AKS scenario (test/data/scenarios/aks): two scale set nodes behind their subnet's
// NSG and their NIC's NSG, a hostNetwork ingress controller on 80 and 443 that the policy wants open to the
// internet, and SSH open to the internet in both layers. The expected findings and negatives are in the
// scenario's README.md; the whole JSON is kept as a golden file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>

#include "support/process.hpp"

namespace sgaudit {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;

std::filesystem::path scenario() {
  return test::testDataDir() / "scenarios/aks";
}

json auditJson() {
  const auto result =
      test::runProcess({test::sgauditBinary().string(), "audit", scenario().string(), "--policy",
                        (scenario() / "policy.json").string(), "--format", "json", "--today", "2026-12-03"});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  return json::parse(result.out);
}

// Every fix of `tool`, one after the other.
std::string fixesOf(const json& finding, const std::string& tool) {
  std::string out;
  for (const auto& fix : finding.at("fixes")) {
    if (fix.at("tool") == tool) out += fix.at("content").get<std::string>();
  }
  return out;
}

// Test the scenario's findings: both nodes matched by their azure:/// providerIDs; 80 and 443 blocked for
// the internet by the subnet NSG's deny although the NIC NSG allows them, each fixed by an allow that
// outranks the deny (priority 199) in the subnet NSG and by deleting the deny, verified; SSH exposed through
// the rules of both layers; and no finding from Azure's default rules (the load balancer's probe address is
// no exposure, DenyAllInBound is never narrowed).
TEST(AksScenarioTest, FindingsOfTheReadme) {
  const json doc = auditJson();
  ASSERT_EQ(doc.at("nodes").size(), 2U);
  for (const auto& node : doc.at("nodes")) {
    EXPECT_EQ(node.at("matched_by"), "providerID") << node.dump();
    EXPECT_THAT(node.at("instance").get<std::string>(),
                HasSubstr("/virtualmachinescalesets/aks-nodepool1-31415926-vmss/"));
  }
  std::multiset<std::string> checks;
  for (const auto& finding : doc.at("findings"))
    checks.insert(finding.at("check").get<std::string>());
  EXPECT_EQ(checks, (std::multiset<std::string>{"sg.port-blocked", "sg.port-blocked",
                                                "sg.sensitive-port-exposed", "sg.sensitive-port-exposed"}));
  std::set<int> blocked_ports;
  for (const auto& finding : doc.at("findings")) {
    const std::string text = finding.dump();
    EXPECT_THAT(text, ::testing::Not(HasSubstr("168.63.129.16")))
        << "the load balancer's probe is no exposure";
    EXPECT_THAT(text, ::testing::Not(HasSubstr("Delete rule DenyAllInBound")))
        << "a default rule is never removed";
    if (finding.at("check") == "sg.port-blocked") {
      blocked_ports.insert(finding.at("port").get<int>());
      EXPECT_THAT(finding.at("detail").get<std::string>(), HasSubstr("DenyWebFromInternet"));
      const std::string az = fixesOf(finding, "az");
      EXPECT_THAT(az,
                  HasSubstr("az network nsg rule create --resource-group rg-shop --nsg-name aks-subnet-nsg"));
      EXPECT_THAT(az, HasSubstr("--priority 199 --direction Inbound --access Allow --protocol Tcp"));
      EXPECT_THAT(az, ::testing::Not(HasSubstr("az network nsg rule delete")))
          << "the allow at 199 is weighed before DenyWebFromInternet, which stays";
      EXPECT_THAT(fixesOf(finding, "terraform"), HasSubstr("resource \"azurerm_network_security_rule\""));
      for (const auto& fix : finding.at("fixes")) {
        if (fix.contains("verified")) EXPECT_TRUE(fix.at("verified").get<bool>()) << fix.dump();
      }
    } else {
      EXPECT_EQ(finding.at("severity"), "critical");
      EXPECT_THAT(finding.at("title").get<std::string>(), HasSubstr("22/TCP is open to the whole internet"));
    }
  }
  EXPECT_EQ(blocked_ports, (std::set<int>{80, 443}));
  EXPECT_TRUE(doc.at("warnings").empty()) << doc.at("warnings").dump();
}

// Test the JSON output against its golden file (SGAUDIT_UPDATE_GOLDEN=1 rewrites it for review).
TEST(AksScenarioTest, JsonGolden) {
  const json doc = auditJson();
  const auto golden = test::testDataDir() / "golden/aks-audit.json";
  const std::string actual = doc.dump(2) + "\n";
  if (std::getenv("SGAUDIT_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(golden, std::ios::binary) << actual;
    FAIL() << "rewrote " << golden << "; review the diff and run again without SGAUDIT_UPDATE_GOLDEN";
  }
  std::ifstream in(golden, std::ios::binary);
  const std::string expected((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(actual, expected);
}

}  // namespace
}  // namespace sgaudit
