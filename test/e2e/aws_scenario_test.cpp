// `sgaudit audit` on the AWS scenario (test/data/scenarios/aws-eks): an EKS node behind two security groups,
// a hostNetwork ingress controller on 80 and 443, and a policy that wants the internet on 80. The expected
// findings and negatives are listed in the scenario's README.md; the whole JSON is kept as a golden file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <set>

#include "support/process.hpp"

namespace sgaudit {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;

std::filesystem::path scenario() {
  return test::testDataDir() / "scenarios/aws-eks";
}

test::ProcessResult audit(const std::vector<std::string>& paths) {
  std::vector<std::string> argv = {test::sgauditBinary().string(), "audit"};
  argv.insert(argv.end(), paths.begin(), paths.end());
  argv.insert(argv.end(), {"--policy", (scenario() / "policy.json").string(), "--format", "json", "--today",
                           "2026-11-25"});
  return test::runProcess(argv);
}

json auditJson(const std::vector<std::string>& paths) {
  const auto result = audit(paths);
  EXPECT_EQ(result.exit_code, 1) << result.err;
  return json::parse(result.out);
}

std::vector<std::string> scenarioFiles() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(scenario())) {
    if (entry.is_regular_file() && entry.path().extension() == ".json" &&
        entry.path().filename() != "policy.json") {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<const json*> findingsWith(const json& doc, const std::string& check) {
  std::vector<const json*> found;
  for (const auto& finding : doc.at("findings")) {
    if (finding.at("check") == check) found.push_back(&finding);
  }
  return found;
}

std::string fixOf(const json& finding, const std::string& tool) {
  for (const auto& fix : finding.at("fixes")) {
    if (fix.at("tool") == tool) return fix.at("content");
  }
  return {};
}

// Test the findings of the scenario's README: the node is matched by its aws:/// providerID; 80/TCP is
// blocked from the internet (only 10.0.0.0/8 is admitted) with an AWS CLI and a Terraform fix into the
// group that admits 80 today; 443/TCP, admitted only from the load balancer's group, is reported and
// suppressed by the policy; nothing else (no exposure, no DNS-policy, conflict or undeclared-port finding,
// nothing about coredns, which is not on the host network).
TEST(AwsScenarioTest, FindingsOfTheReadme) {
  const json doc = auditJson({scenario().string()});
  ASSERT_EQ(doc.at("nodes").size(), 1U);
  EXPECT_EQ(doc.at("nodes")[0].at("node"), "ip-10-0-12-34.eu-west-1.compute.internal");
  EXPECT_EQ(doc.at("nodes")[0].at("instance"), "i-0a1b2c3d4e5f67890");
  EXPECT_EQ(doc.at("nodes")[0].at("matched_by"), "providerID");

  std::multiset<std::string> checks;
  for (const auto& finding : doc.at("findings"))
    checks.insert(finding.at("check").get<std::string>());
  EXPECT_EQ(checks, (std::multiset<std::string>{"sg.port-blocked", "sg.port-blocked"}));

  const auto blocked = findingsWith(doc, "sg.port-blocked");
  ASSERT_EQ(blocked.size(), 2U);
  const json* http = blocked[0]->at("port") == 80 ? blocked[0] : blocked[1];
  const json* https = blocked[0]->at("port") == 80 ? blocked[1] : blocked[0];
  ASSERT_EQ(http->at("port"), 80);
  ASSERT_EQ(https->at("port"), 443);

  EXPECT_FALSE(http->contains("suppressed"));
  EXPECT_THAT(http->at("detail").get<std::string>(), HasSubstr("10.0.0.0/8"));
  const std::string cli = fixOf(*http, "aws-cli");
  EXPECT_THAT(cli, HasSubstr("aws ec2 authorize-security-group-ingress --group-id sg-0b2c3d4e5f6a7b8c9"));
  EXPECT_THAT(cli,
              HasSubstr(R"("IpProtocol":"tcp","FromPort":80,"ToPort":80,"IpRanges":[{"CidrIp":"0.0.0.0/0")"));
  const std::string hcl = fixOf(*http, "terraform");
  EXPECT_THAT(hcl, HasSubstr("resource \"aws_vpc_security_group_ingress_rule\""));
  EXPECT_THAT(hcl, HasSubstr("security_group_id = \"sg-0b2c3d4e5f6a7b8c9\""));
  EXPECT_THAT(hcl, HasSubstr("cidr_ipv4         = \"0.0.0.0/0\""));
  EXPECT_THAT(hcl, HasSubstr("from_port         = 80"));
  EXPECT_THAT(hcl, HasSubstr("ip_protocol       = \"tcp\""));

  EXPECT_THAT(https->at("detail").get<std::string>(), HasSubstr("sg-0f9e8d7c6b5a4f3e2"));
  ASSERT_TRUE(https->contains("suppressed"));
  EXPECT_THAT(https->at("suppressed").at("reason").get<std::string>(), HasSubstr("load balancer"));

  // The node has no IPv6 address: ::/0 is neither required of it nor added by a fix.
  EXPECT_THAT(cli, ::testing::Not(HasSubstr("Ipv6Ranges")));
  EXPECT_THAT(hcl, ::testing::Not(HasSubstr("cidr_ipv6")));
  for (const auto& cell : doc.at("matrix"))
    EXPECT_EQ(doc.at("address_sets").at(cell.at("required_set").get<std::size_t>()),
              json::array({"0.0.0.0/0"}));
  EXPECT_TRUE(doc.at("warnings").empty()) << doc.at("warnings").dump();
  for (const auto& finding : doc.at("findings")) {
    EXPECT_THAT(finding.dump(), ::testing::Not(HasSubstr("coredns")));
  }
}

// Test the JSON output against its golden file (SGAUDIT_UPDATE_GOLDEN=1 rewrites it for review).
TEST(AwsScenarioTest, JsonGolden) {
  const json doc = auditJson({scenario().string()});
  const auto golden = test::testDataDir() / "golden/aws-eks-audit.json";
  const std::string actual = doc.dump(2) + "\n";
  if (std::getenv("SGAUDIT_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(golden, std::ios::binary) << actual;
    FAIL() << "rewrote " << golden << "; review the diff and run again without SGAUDIT_UPDATE_GOLDEN";
  }
  std::ifstream in(golden, std::ios::binary);
  const std::string expected((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(actual, expected);
}

// Test that the findings and their fingerprints are the same on every run and whatever the order the files
// are given in (forward, reversed, or as the folder).
TEST(AwsScenarioTest, FingerprintsStableAcrossRunsAndInputOrder) {
  auto fingerprints = [](const json& doc) {
    std::vector<std::string> out;
    for (const auto& finding : doc.at("findings"))
      out.push_back(finding.at("check").get<std::string>() + " " +
                    finding.at("fingerprint").get<std::string>());
    return out;
  };
  auto files = scenarioFiles();
  ASSERT_GE(files.size(), 8U);
  const auto folder = fingerprints(auditJson({scenario().string()}));
  EXPECT_EQ(folder.size(), 2U);
  EXPECT_EQ(fingerprints(auditJson({scenario().string()})), folder);
  EXPECT_EQ(fingerprints(auditJson(files)), folder);
  std::reverse(files.begin(), files.end());
  EXPECT_EQ(fingerprints(auditJson(files)), folder);
  std::rotate(files.begin(), files.begin() + 3, files.end());
  EXPECT_EQ(fingerprints(auditJson(files)), folder);
}

}  // namespace
}  // namespace sgaudit
