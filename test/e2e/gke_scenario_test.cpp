// `sgaudit audit` on the GKE scenario (test/data/scenarios/gke): two node pools told apart by their network
// tags, a pool's own rule opening 10250 to the internet, and a deny at a higher priority hiding an allow. The
// expected findings and negatives are in the scenario's README.md; the whole JSON is kept as a golden file.
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
  return test::testDataDir() / "scenarios/gke";
}

json auditJson() {
  const auto result =
      test::runProcess({test::sgauditBinary().string(), "audit", scenario().string(), "--policy",
                        (scenario() / "policy.json").string(), "--format", "json", "--today", "2026-12-03"});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  return json::parse(result.out);
}

std::string fixesOf(const json& finding, const std::string& tool) {
  std::string out;
  for (const auto& fix : finding.at("fixes")) {
    if (fix.at("tool") == tool) out += fix.at("content").get<std::string>();
  }
  return out;
}

// Test the scenario's findings and negatives (README.md): nodes matched by gce:// providerIDs; 10250 exposed
// on pool-a only; 80 and 443 blocked by the deny that outranks the allow, fixed by deleting it or by an allow
// at 899; 9100 blocked on pool-b and so inconsistent across pools; nothing from the disabled, egress or
// private-source rules; every fix verified.
TEST(GkeScenarioTest, FindingsOfTheReadme) {
  const json doc = auditJson();
  ASSERT_EQ(doc.at("nodes").size(), 4U);
  for (const auto& node : doc.at("nodes")) {
    EXPECT_EQ(node.at("matched_by"), "providerID") << node.dump();
    EXPECT_THAT(node.at("instance").get<std::string>(), HasSubstr("shop-prod/europe-west1-b/gke-shop-pool-"));
  }
  std::multiset<std::string> checks;
  std::multiset<int> blocked;
  for (const auto& finding : doc.at("findings")) {
    checks.insert(finding.at("check").get<std::string>());
    const std::string text = finding.dump();
    EXPECT_THAT(text, ::testing::Not(HasSubstr("allow-ssh-anywhere"))) << "disabled";
    EXPECT_THAT(text, ::testing::Not(HasSubstr("deny-egress-smtp"))) << "egress";
    for (const auto& fix : finding.at("fixes")) {
      if (fix.contains("verified")) EXPECT_TRUE(fix.at("verified").get<bool>()) << fix.dump();
    }
    if (finding.at("check") == "sg.sensitive-port-exposed") {
      EXPECT_EQ(finding.at("severity"), "critical");
      EXPECT_THAT(finding.at("title").get<std::string>(),
                  HasSubstr("10250/TCP is open to the whole internet"));
      EXPECT_THAT(finding.at("title").get<std::string>(), HasSubstr("allow-metrics-pool-a"));
      for (const auto& node : finding.at("nodes"))
        EXPECT_THAT(node.get<std::string>(), HasSubstr("pool-a"));
      EXPECT_THAT(fixesOf(finding, "gcloud"),
                  HasSubstr("gcloud compute firewall-rules update allow-metrics-pool-a"));
      EXPECT_THAT(fixesOf(finding, "gcloud"), HasSubstr("--rules=tcp:9100 --priority=999"));
    }
    if (finding.at("check") == "sg.port-blocked") {
      const int port = finding.at("port").get<int>();
      blocked.insert(port);
      if (port == 80 || port == 443) {
        EXPECT_THAT(finding.at("detail").get<std::string>(), HasSubstr("deny-web-legacy"));
        EXPECT_THAT(fixesOf(finding, "gcloud"), ::testing::Not(HasSubstr("firewall-rules delete")))
            << "the pool's allow at 899 outranks the network-wide deny, which stays for every other instance";
        EXPECT_THAT(fixesOf(finding, "gcloud"), HasSubstr("--priority=899"));
        EXPECT_THAT(fixesOf(finding, "terraform"), HasSubstr("resource \"google_compute_firewall\""));
      } else {
        for (const auto& node : finding.at("nodes"))
          EXPECT_THAT(node.get<std::string>(), HasSubstr("pool-b"));
      }
    }
  }
  EXPECT_EQ(checks.count("sg.sensitive-port-exposed"), 1U);
  EXPECT_EQ(checks.count("sg.nodepool-inconsistent"), 1U);
  EXPECT_EQ(blocked, (std::multiset<int>{80, 80, 443, 443, 9100}));
  EXPECT_TRUE(doc.at("warnings").empty()) << doc.at("warnings").dump();
}

// Test the JSON output against its golden file (SGAUDIT_UPDATE_GOLDEN=1 rewrites it for review).
TEST(GkeScenarioTest, JsonGolden) {
  const json doc = auditJson();
  const auto golden = test::testDataDir() / "golden/gke-audit.json";
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
