// Every fix of every scenario in test/data/scenarios is proven: `sgaudit audit` on the scenario, through the
// real binary, and each fix it writes (cloud and Kubernetes alike) carries "verified": true. Advice in prose
// ("add eligible nodes") changes nothing sgaudit models and carries no mark.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <regex>
#include <sstream>

#include "support/process.hpp"

namespace sgaudit {
namespace {

using json = nlohmann::json;

TEST(ScenarioFixesTest, EveryFixOfEveryScenarioIsVerified) {
  std::size_t scenarios = 0;
  std::size_t verified = 0;
  for (const auto& entry : std::filesystem::directory_iterator(test::testDataDir() / "scenarios")) {
    if (!entry.is_directory()) continue;
    ++scenarios;
    const auto dir = entry.path();
    const auto result =
        test::runProcess({test::sgauditBinary().string(), "audit", dir.string(), "--policy",
                          (dir / "policy.json").string(), "--format", "json", "--today", "2026-11-25"});
    ASSERT_NE(result.exit_code, 2) << dir << ": " << result.err;
    const json doc = json::parse(result.out);
    std::size_t fixes = 0;
    for (const auto& finding : doc.at("findings")) {
      for (const auto& fix : finding.at("fixes")) {
        if (fix.at("tool") == "advice") {
          EXPECT_FALSE(fix.contains("verified")) << fix.dump();
          continue;
        }
        ++fixes;
        EXPECT_EQ(fix.value("verified", false), true)
            << dir.filename() << ": " << finding.at("title") << ": " << fix.at("title") << ": "
            << fix.value("verification", "(no verification)");
        verified += fix.value("verified", false) ? 1 : 0;
      }
    }
    EXPECT_GT(fixes, 0U) << dir.filename() << " writes no fix";
  }
  EXPECT_GE(scenarios, 2U);
  EXPECT_GT(verified, 0U);
}

// The resource blocks of a Terraform fix, by "type.label": from each `resource "type" "label" {` to its
// closing line "}".
std::map<std::string, std::string> terraformResources(const std::string& content) {
  std::map<std::string, std::string> out;
  static const std::regex kHead(R"re(^resource "([a-z0-9_]+)" "([A-Za-z0-9_]+)" \{$)re");
  std::istringstream lines(content);
  std::string line;
  std::string key;
  std::string block;
  while (std::getline(lines, line)) {
    std::smatch match;
    if (key.empty() && std::regex_match(line, match, kHead)) {
      key = match[1].str() + "." + match[2].str();
      block = line + "\n";
    } else if (!key.empty()) {
      block += line + "\n";
      if (line == "}") {
        out[key] = block;
        key.clear();
      }
    }
  }
  return out;
}

// Test that the Terraform of a report can be applied as one configuration: across every fix of every finding,
// a resource label names one resource (the same rule proposed by two findings is written the same), as
// Terraform refuses two different resources under one address.
TEST(ScenarioFixesTest, TerraformResourceNamesAreUniqueAcrossAReport) {
  std::size_t resources = 0;
  for (const auto& entry : std::filesystem::directory_iterator(test::testDataDir() / "scenarios")) {
    if (!entry.is_directory()) continue;
    const auto dir = entry.path();
    const auto result =
        test::runProcess({test::sgauditBinary().string(), "audit", dir.string(), "--policy",
                          (dir / "policy.json").string(), "--format", "json", "--today", "2026-11-25"});
    ASSERT_NE(result.exit_code, 2) << dir << ": " << result.err;
    const json doc = json::parse(result.out);
    std::map<std::string, std::string> seen;
    for (const auto& finding : doc.at("findings")) {
      for (const auto& fix : finding.at("fixes")) {
        if (fix.at("tool") != "terraform") continue;
        for (const auto& [address, block] : terraformResources(fix.at("content").get<std::string>())) {
          ++resources;
          const auto [it, added] = seen.emplace(address, block);
          EXPECT_TRUE(added || it->second == block)
              << dir.filename() << ": " << address << " names two resources:\n"
              << it->second << block;
        }
      }
    }
  }
  EXPECT_GT(resources, 4U);
}

}  // namespace
}  // namespace sgaudit
