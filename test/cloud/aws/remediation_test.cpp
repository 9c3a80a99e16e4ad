#include "sgaudit/cloud/aws/remediation.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/process.hpp"

namespace sgaudit::cloud::aws {
namespace {

using nlohmann::json;

core::Cidr cidr(std::string_view text) {
  return *core::Cidr::parse(text);
}

std::string render(const std::vector<core::Fix>& fixes) {
  std::string out;
  for (const auto& fix : fixes) {
    out += "=== " + fix.tool + " (" + fix.format + "): " + fix.title + "\n" + fix.content;
  }
  return out;
}

// Compares with test/data/aws/golden/<name> byte for byte; SGAUDIT_UPDATE_GOLDEN=1 rewrites the file (and
// fails, so that the diff is reviewed before it is committed).
void expectGolden(const std::string& name, const std::string& actual) {
  const auto path = test::testDataDir() / "aws" / "golden" / name;
  const char* update = std::getenv("SGAUDIT_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(path, std::ios::binary) << actual;
    FAIL() << "wrote " << path << ": review the diff and commit it";
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << path << " is missing: run with SGAUDIT_UPDATE_GOLDEN=1";
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(actual, expected.str()) << "differs from " << path;
}

// The --ip-permissions arguments of every command in a script, unquoted the way the shell would.
std::vector<json> ipPermissions(const std::string& script) {
  std::vector<json> found;
  const std::string flag = "--ip-permissions '";
  for (auto at = script.find(flag); at != std::string::npos; at = script.find(flag, at + 1)) {
    std::string text;
    std::size_t i = at + flag.size();
    while (i < script.size()) {
      if (script.compare(i, 4, "'\\''") == 0) {
        text += '\'';
        i += 4;
      } else if (script[i] == '\'') {
        break;
      } else {
        text += script[i++];
      }
    }
    found.push_back(json::parse(text));
  }
  return found;
}

core::AllowIngressPlan webPlan() {
  core::AllowIngressPlan plan;
  plan.provider = "aws";
  plan.group_id = "sg-0a1b2c3d4e5f60718";
  plan.group_name = "eks-nodes";
  plan.protocol = core::Protocol::tcp();
  plan.ports = core::PortSet::of(core::PortRange::single(80));
  plan.ports.add(core::PortRange{8000, 8080});
  plan.sources = {cidr("0.0.0.0/0"), cidr("2001:db8::/32"), cidr("198.51.100.0/24")};
  plan.description = "sgaudit: default/nginx needs 80/TCP from the 'internet' \xc3\xa9";
  return plan;
}

// Test that an allow plan renders as one authorize command (a permission per port range holding every
// source) and one Terraform resource per source per range.
TEST(AwsRemediation, AllowIngressGolden) {
  const auto fixes = renderFixes(webPlan());
  expectGolden("allow_tcp_web.txt", render(fixes));
  ASSERT_EQ(fixes.size(), 2u);
  const auto permissions = ipPermissions(fixes[0].content);
  ASSERT_EQ(permissions.size(), 1u) << "one authorize command";
  ASSERT_EQ(permissions[0].size(), 2u) << "a permission per port range";
  EXPECT_EQ(permissions[0][0]["FromPort"], 80);
  EXPECT_EQ(permissions[0][1]["FromPort"], 8000);
  EXPECT_EQ(permissions[0][1]["ToPort"], 8080);
  for (const auto& permission : permissions[0]) {
    EXPECT_EQ(permission["IpRanges"].size(), 2u);  // 0.0.0.0/0 and 198.51.100.0/24
    EXPECT_EQ(permission["Ipv6Ranges"].size(), 1u);
  }
  std::size_t resources = 0;
  for (auto at = fixes[1].content.find("resource \""); at != std::string::npos;
       at = fixes[1].content.find("resource \"", at + 1)) {
    ++resources;
  }
  EXPECT_EQ(resources, 6u) << "a resource per source per range";
}

// Test that ICMP keys become type/code pairs with -1 for every code.
TEST(AwsRemediation, AllowIcmpGolden) {
  core::AllowIngressPlan plan;
  plan.group_id = "sg-0a1b2c3d4e5f60718";
  plan.protocol = core::Protocol::icmp();
  plan.ports = core::PortSet::of(core::PortRange::icmpType(8));
  plan.ports.add(core::PortRange::icmpTypeCode(3, 4));
  plan.sources = {cidr("10.0.0.0/8")};
  plan.description = "sgaudit: ping from the VPC";
  const auto fixes = renderFixes(plan);
  expectGolden("allow_icmp.txt", render(fixes));
  const auto permissions = ipPermissions(fixes.at(0).content);
  ASSERT_EQ(permissions.size(), 1u);
  ASSERT_EQ(permissions[0].size(), 2u);
  EXPECT_EQ(permissions[0][0]["IpProtocol"], "icmp");
  EXPECT_EQ(permissions[0][0]["FromPort"], 3);  // type 3, code 4
  EXPECT_EQ(permissions[0][0]["ToPort"], 4);
  EXPECT_EQ(permissions[0][1]["FromPort"], 8);  // type 8, every code
  EXPECT_EQ(permissions[0][1]["ToPort"], -1);
}

// Test that narrowing a rule with an sgr- id authorizes the narrower sources first and revokes by id.
TEST(AwsRemediation, NarrowRuleByIdGolden) {
  core::NarrowRulePlan plan;
  plan.provider = "aws";
  plan.group_id = "sg-0a1b2c3d4e5f60718";
  plan.group_name = "eks-nodes";
  plan.rule.protocol = core::Protocol::tcp();
  plan.rule.ports = core::PortSet::of(core::PortRange::single(22));
  plan.rule.ethertype = core::Ethertype::IPv4;
  plan.rule.source = cidr("0.0.0.0/0");
  plan.rule.origin = {"aws", plan.group_id, "eks-nodes", "sgr-0aaaaaaaaaaaaaaa1", "SSH"};
  plan.narrower = {cidr("203.0.113.7/32")};
  plan.description = "sgaudit: SSH only from the bastion";
  const auto fixes = renderFixes(plan);
  expectGolden("narrow_ssh_by_rule_id.txt", render(fixes));
  const std::string& script = fixes.at(0).content;
  const auto authorize = script.find("authorize-security-group-ingress");
  const auto revoke = script.find("revoke-security-group-ingress --group-id sg-0a1b2c3d4e5f60718");
  ASSERT_NE(authorize, std::string::npos);
  ASSERT_NE(revoke, std::string::npos);
  EXPECT_LT(authorize, revoke) << "the narrower sources first, so that wanted traffic keeps flowing";
  EXPECT_NE(script.find("--security-group-rule-ids sgr-0aaaaaaaaaaaaaaa1", revoke), std::string::npos);
  const auto permissions = ipPermissions(script);
  ASSERT_EQ(permissions.size(), 1u);
  EXPECT_EQ(permissions[0][0]["IpRanges"][0]["CidrIp"], "203.0.113.7/32");
  EXPECT_EQ(permissions[0][0]["FromPort"], 22);
}

// Test that removing a rule without an id (describe-security-groups) revokes it by its content.
TEST(AwsRemediation, RemoveRuleByContentGolden) {
  core::NarrowRulePlan plan;
  plan.group_id = "sg-0a1b2c3d4e5f60718";
  plan.rule.protocol = core::Protocol::any();
  plan.rule.source = core::SecurityGroupRef{"sg-0fedcba9876543210"};
  plan.rule.origin = {"aws", plan.group_id, "", "", ""};
  expectGolden("remove_group_pair_rule.txt", render(renderFixes(plan)));
  auto permissions = ipPermissions(renderFixes(plan)[0].content);
  ASSERT_EQ(permissions.size(), 1u);
  EXPECT_EQ(permissions[0], json::parse(R"([{"IpProtocol": "-1", "FromPort": -1, "ToPort": -1,
                                             "UserIdGroupPairs": [{"GroupId": "sg-0fedcba9876543210"}]}])"));
}

// Test that the --ip-permissions JSON parses back and holds every field authorize needs, with the
// description reduced to the characters AWS accepts.
TEST(AwsRemediation, IpPermissionsHaveEveryRequiredField) {
  const auto fixes = renderFixes(webPlan());
  ASSERT_EQ(fixes.size(), 2u);
  EXPECT_EQ(fixes[0].tool, "aws-cli");
  EXPECT_EQ(fixes[0].format, "shell");
  EXPECT_EQ(fixes[1].tool, "terraform");
  EXPECT_EQ(fixes[1].format, "hcl");
  const auto commands = ipPermissions(fixes[0].content);
  ASSERT_EQ(commands.size(), 1u);
  const json& permissions = commands[0];
  ASSERT_TRUE(permissions.is_array());
  ASSERT_EQ(permissions.size(), 2u);
  const int expected_ports[2][2] = {{80, 80}, {8000, 8080}};
  for (std::size_t i = 0; i < permissions.size(); ++i) {
    const json& permission = permissions[i];
    EXPECT_EQ(permission.at("IpProtocol"), "tcp");
    EXPECT_EQ(permission.at("FromPort"), expected_ports[i][0]);
    EXPECT_EQ(permission.at("ToPort"), expected_ports[i][1]);
    ASSERT_EQ(permission.at("IpRanges").size(), 2u);
    EXPECT_EQ(permission["IpRanges"][0].at("CidrIp"), "0.0.0.0/0");
    EXPECT_EQ(permission["IpRanges"][1].at("CidrIp"), "198.51.100.0/24");
    ASSERT_EQ(permission.at("Ipv6Ranges").size(), 1u);
    EXPECT_EQ(permission["Ipv6Ranges"][0].at("CidrIpv6"), "2001:db8::/32");
    for (const auto& range : permission["IpRanges"]) {
      EXPECT_EQ(range.at("Description"), "sgaudit: default/nginx needs 80/TCP from the _internet_ _");
    }
  }
}

// Test that hostile text is quoted for the shell and escaped for HCL.
TEST(AwsRemediation, HostileTextIsQuoted) {
  core::AllowIngressPlan plan;
  plan.group_id = "sg-1'; rm -rf / #";
  plan.protocol = core::Protocol::udp();
  plan.ports = core::PortSet::of(core::PortRange::single(53));
  plan.sources = {cidr("10.0.0.0/8")};
  plan.description = "${path.module} %{if x} \"q\" \\";
  const auto fixes = renderFixes(plan);
  ASSERT_EQ(fixes.size(), 2u);
  EXPECT_NE(fixes[0].content.find("--group-id 'sg-1'\\''; rm -rf / #'"), std::string::npos)
      << fixes[0].content;
  EXPECT_NE(fixes[1].content.find("security_group_id = \"sg-1'; rm -rf / #\""), std::string::npos);
  // AWS refuses '%', '"' and '\' in descriptions; '$' and '{' it keeps, and HCL must not template them.
  EXPECT_NE(fixes[1].content.find("description       = \"$${path.module} _{if x} _q_ _\""), std::string::npos)
      << fixes[1].content;
  EXPECT_EQ(ipPermissions(fixes[0].content)[0][0]["IpRanges"][0]["Description"],
            "${path.module} _{if x} _q_ _");
}

// Test that a plan with nothing to allow renders nothing.
TEST(AwsRemediation, EmptyPlanRendersNothing) {
  core::AllowIngressPlan plan;
  plan.group_id = "sg-1";
  plan.ports = core::PortSet::of(core::PortRange::single(80));
  EXPECT_TRUE(renderFixes(plan).empty());
}

}  // namespace
}  // namespace sgaudit::cloud::aws
