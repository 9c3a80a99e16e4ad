// Every fix of every scenario in test/data/scenarios is proven: `sgaudit audit` on the scenario, through the
// real binary, and each fix it writes (cloud and Kubernetes alike) carries "verified": true. Advice in prose
// ("add eligible nodes") changes nothing sgaudit models and carries no mark.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

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

}  // namespace
}  // namespace sgaudit
