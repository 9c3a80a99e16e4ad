// Rules without ids are told apart by their content, in every input format that can lack ids: the fixes
// issue's example (a node in `web`, with "tcp 6379 from 50.176.9.0/24", and `ops`, with "all traffic from
// 0.0.0.0/0") as AWS `describe-security-groups` prints it, as Huawei v1 groups with nested rules, and as an
// OpenStack CLI rule table without an ID column. Through the real binary: the finding, its fingerprint and
// every fix name the rule that opens SSH to the internet, never the 6379 rule.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

#include "support/process.hpp"

namespace sgaudit {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

json auditOf(const std::string& scenario) {
  const auto result =
      test::runProcess({test::sgauditBinary().string(), "audit",
                        (test::testDataDir() / "identity" / scenario).string(), "--format", "json"});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  return json::parse(result.out);
}

std::string ruleSubject(const json& finding) {
  for (const auto& subject : finding.at("subjects")) {
    if (subject.at("kind") == "Rule") return subject.at("name");
  }
  return {};
}

class RuleIdentityTest : public ::testing::TestWithParam<const char*> {};

TEST_P(RuleIdentityTest, IdlessRulesAreNamedAndFixedByContent) {
  const json doc = auditOf(GetParam());
  const json* internet = nullptr;
  const json* redis = nullptr;
  for (const auto& finding : doc.at("findings")) {
    if (finding.at("check") != "sg.sensitive-port-exposed") continue;
    if (finding.at("severity") == "critical") {
      EXPECT_EQ(internet, nullptr) << "one cause, one finding";
      internet = &finding;
    } else {
      redis = &finding;
    }
  }
  ASSERT_NE(internet, nullptr);
  EXPECT_EQ(ruleSubject(*internet), "allow all traffic from 0.0.0.0/0");
  EXPECT_THAT(internet->at("title").get<std::string>(),
              HasSubstr("(allow all traffic from 0.0.0.0/0, no id)"));
  ASSERT_FALSE(internet->at("fixes").empty());
  for (const auto& fix : internet->at("fixes")) {
    const std::string content = fix.at("content");
    EXPECT_THAT(content, Not(HasSubstr("50.176.9.0/24"))) << fix.at("tool");
    EXPECT_THAT(content, Not(HasSubstr("6379"))) << fix.at("tool");
    EXPECT_THAT(content, Not(HasSubstr("security-group-rules/\n"))) << "an empty rule id";
    EXPECT_EQ(fix.value("verified", false), true) << fix.at("tool") << ": " << fix.value("verification", "");
  }
  // The 6379 rule opens Redis to a public /24: a cause of its own, told apart by its content.
  ASSERT_NE(redis, nullptr);
  EXPECT_EQ(ruleSubject(*redis), "allow TCP 6379 from 50.176.9.0/24");
  EXPECT_NE(redis->at("fingerprint"), internet->at("fingerprint"));
  // Content identity is stable: the same inputs give the same fingerprints.
  const json again = auditOf(GetParam());
  std::set<std::string> first;
  std::set<std::string> second;
  for (const auto& finding : doc.at("findings"))
    first.insert(finding.at("fingerprint").get<std::string>());
  for (const auto& finding : again.at("findings"))
    second.insert(finding.at("fingerprint").get<std::string>());
  EXPECT_EQ(first, second);
}

INSTANTIATE_TEST_SUITE_P(Formats, RuleIdentityTest, ::testing::Values("aws", "huawei-v1", "openstack-cli"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace sgaudit
