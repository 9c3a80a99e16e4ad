#include "sgaudit/cloud/openstack/remediation.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/process.hpp"

namespace sgaudit::cloud::openstack {
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
  const auto path = test::testDataDir() / "openstack" / "golden" / name;
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

core::AllowIngressPlan webPlan() {
  core::AllowIngressPlan plan;
  plan.provider = "openstack";
  plan.group_id = "85cc3048-abc3-43cc-89b3-377341426ac5";
  plan.group_name = "k8s-nodes";
  plan.protocol = core::Protocol::tcp();
  plan.ports = core::PortSet::of(core::PortRange::single(80));
  plan.ports.add(core::PortRange{8000, 8080});
  plan.sources = {cidr("0.0.0.0/0"), cidr("2001:db8::/32")};
  plan.description = "sgaudit: default/nginx needs 80/TCP from the 'internet'";
  return plan;
}

// Test that an allow plan renders one rule per port range per source, as commands and Terraform.
TEST(OpenStackRemediation, AllowIngressGolden) {
  const auto fixes = renderFixes(webPlan());
  expectGolden("allow_tcp_web.txt", render(fixes));
  ASSERT_FALSE(fixes.empty());
  const std::string& script = fixes[0].content;
  std::size_t creates = 0;
  for (auto at = script.find("rule create"); at != std::string::npos; at = script.find("rule create", at + 1))
    ++creates;
  EXPECT_EQ(creates, 4u) << "two port ranges from two sources";
  EXPECT_NE(script.find("--ethertype IPv6"), std::string::npos);
  EXPECT_NE(script.find("--dst-port 8000:8080"), std::string::npos);
  EXPECT_NE(script.find("--remote-ip 2001:db8::/32"), std::string::npos);
}

// Test that ICMP keys become --icmp-type/--icmp-code and port_range_min/max, a whole type without a code.
TEST(OpenStackRemediation, AllowIcmpGolden) {
  core::AllowIngressPlan plan;
  plan.group_id = "85cc3048-abc3-43cc-89b3-377341426ac5";
  plan.protocol = core::Protocol::icmp();
  plan.ports = core::PortSet::of(core::PortRange::icmpType(8));
  plan.ports.add(core::PortRange::icmpTypeCode(3, 4));
  plan.sources = {cidr("10.0.0.0/8")};
  plan.description = "sgaudit: ping from the network";
  const auto fixes = renderFixes(plan);
  expectGolden("allow_icmp.txt", render(fixes));
  const std::string& script = fixes.at(0).content;
  EXPECT_NE(script.find("--protocol icmp --icmp-type 3 --icmp-code 4"), std::string::npos);
  const auto whole_type = script.find("--icmp-type 8");
  ASSERT_NE(whole_type, std::string::npos);
  EXPECT_EQ(script.substr(whole_type, script.find('\n', whole_type) - whole_type).find("--icmp-code"),
            std::string::npos)
      << "a whole type has no code";
}

// Test that narrowing creates the narrower rules first and then deletes the rule by id.
TEST(OpenStackRemediation, NarrowRuleGolden) {
  core::NarrowRulePlan plan;
  plan.provider = "openstack";
  plan.group_id = "85cc3048-abc3-43cc-89b3-377341426ac5";
  plan.group_name = "k8s-nodes";
  plan.rule.protocol = core::Protocol::tcp();
  plan.rule.ports = core::PortSet::of(core::PortRange::single(22));
  plan.rule.ethertype = core::Ethertype::IPv4;
  plan.rule.source = cidr("0.0.0.0/0");
  plan.rule.origin = {"openstack", plan.group_id, "k8s-nodes", "93aa42e5-80db-4581-9391-3a608bd0e448", ""};
  plan.narrower = {cidr("203.0.113.7/32"), cidr("2001:db8::7/128")};
  plan.description = "sgaudit: SSH only from the bastion";
  const auto fixes = renderFixes(plan);
  expectGolden("narrow_ssh.txt", render(fixes));
  const std::string& script = fixes.at(0).content;
  const auto create = script.find("rule create");
  const auto remove = script.find("rule delete 93aa42e5-80db-4581-9391-3a608bd0e448");
  ASSERT_NE(create, std::string::npos);
  ASSERT_NE(remove, std::string::npos);
  EXPECT_LT(create, remove) << "the narrower rules first";
  EXPECT_NE(script.find("--remote-ip 203.0.113.7/32"), std::string::npos);
  EXPECT_NE(script.find("--ethertype IPv6"), std::string::npos);
}

// Test that removing a rule of unknown id says how to find it instead of deleting a guess.
TEST(OpenStackRemediation, RemoveRuleWithoutIdGolden) {
  core::NarrowRulePlan plan;
  plan.group_id = "85cc3048-abc3-43cc-89b3-377341426ac5";
  plan.rule.protocol = core::Protocol::any();
  plan.rule.ethertype = core::Ethertype::IPv6;
  plan.rule.source = cidr("::/0");
  const auto fixes = renderFixes(plan);
  expectGolden("remove_rule_without_id.txt", render(fixes));
  for (const auto& fix : fixes) {
    EXPECT_EQ(fix.content.find("\nopenstack security group rule delete"), std::string::npos)
        << "no delete command without an id: " << fix.content;
    EXPECT_NE(fix.content.find("::/0"), std::string::npos) << "the rule is named by its content";
  }
}

// Test that hostile text is quoted for the shell and escaped for HCL.
TEST(OpenStackRemediation, HostileTextIsQuoted) {
  core::AllowIngressPlan plan;
  plan.group_id = "g1'; rm -rf / #";
  plan.protocol = core::Protocol::udp();
  plan.ports = core::PortSet::of(core::PortRange::single(53));
  plan.sources = {cidr("10.0.0.0/8")};
  plan.description = "${path.module} %{if x} \"q\" \\ it's";
  const auto fixes = renderFixes(plan);
  ASSERT_EQ(fixes.size(), 2u);
  EXPECT_NE(
      fixes[0].content.find("--description '${path.module} %{if x} \"q\" \\ it'\\''s' 'g1'\\''; rm -rf / #'"),
      std::string::npos)
      << fixes[0].content;
  EXPECT_NE(fixes[1].content.find("security_group_id = \"g1'; rm -rf / #\""), std::string::npos);
  EXPECT_NE(fixes[1].content.find("description       = \"$${path.module} %%{if x} \\\"q\\\" \\\\ it's\""),
            std::string::npos)
      << fixes[1].content;
}

// Test that a plan with nothing to allow renders nothing.
TEST(OpenStackRemediation, EmptyPlanRendersNothing) {
  core::AllowIngressPlan plan;
  plan.group_id = "g1";
  plan.ports = core::PortSet::of(core::PortRange::single(80));
  EXPECT_TRUE(renderFixes(plan).empty());
}

}  // namespace
}  // namespace sgaudit::cloud::openstack
