#include "sgaudit/cloud/huawei/remediation.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace sgaudit::cloud::huawei {
namespace {

// Compares with a golden file; SGAUDIT_UPDATE_GOLDEN=1 rewrites it (then review the diff and commit).
void expectGolden(const std::string& name, const std::string& actual) {
  const auto path = test::testDataDir() / "huawei/golden" / name;
  if (std::getenv("SGAUDIT_UPDATE_GOLDEN") != nullptr) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << actual;
    ADD_FAILURE() << "rewrote " << path << "; review the diff and run again without SGAUDIT_UPDATE_GOLDEN";
    return;
  }
  EXPECT_EQ(actual, test::readFile(path)) << "golden file " << path;
}

core::AllowIngressPlan seedPlan() {
  core::AllowIngressPlan plan;
  plan.provider = "huaweicloud";
  plan.group_id = "8b0a7f63-1a2d-4b8e-9a51-3f8e2b6c9d10";
  plan.group_name = "cce-demo-cce-node-x7k2";
  plan.protocol = core::Protocol::tcp();
  plan.ports = core::PortSet::of(core::PortRange::single(80));
  plan.sources = {*core::Cidr::parse("0.0.0.0/0")};
  plan.description = "sgaudit: default/nginx needs 80/TCP from 0.0.0.0/0";
  return plan;
}

// Test the three renderings of the seed's fix against golden files, and that the API body carries every field
// the v3 create-rule API requires.
TEST(HuaweiRemediationTest, AllowRenderingsMatchGolden) {
  const auto fixes = renderAllow(seedPlan());
  ASSERT_EQ(fixes.size(), 3U);
  EXPECT_EQ(fixes[0].tool, "huawei-api");
  EXPECT_EQ(fixes[1].tool, "hcloud");
  EXPECT_EQ(fixes[2].tool, "terraform");
  expectGolden("allow-api.txt", fixes[0].content);
  expectGolden("allow-hcloud.sh", fixes[1].content);
  expectGolden("allow.tf", fixes[2].content);
  const std::string& api = fixes[0].content;
  const auto body = nlohmann::json::parse(api.substr(api.find("\n{")));
  const auto& rule = body.at("security_group_rule");
  for (const char* field : {"security_group_id", "direction", "ethertype", "protocol", "multiport",
                            "remote_ip_prefix", "action", "priority"}) {
    EXPECT_TRUE(rule.contains(field)) << field;
  }
  EXPECT_EQ(rule.at("multiport"), "80");
  EXPECT_EQ(rule.at("remote_ip_prefix"), "0.0.0.0/0");
  EXPECT_EQ(rule.at("security_group_id"), "8b0a7f63-1a2d-4b8e-9a51-3f8e2b6c9d10");
  EXPECT_EQ(rule.at("direction"), "ingress");
}

// Test that ports merge into multiport chunks of at most 20 entries, one rule per source CIDR.
TEST(HuaweiRemediationTest, PortsMergedAndChunked) {
  core::PortSet ports;
  for (int p = 1000; p < 1050; p += 2)
    ports.add(core::PortRange::single(static_cast<std::uint16_t>(p)));
  ports.add(core::PortRange{8000, 9000});
  const auto chunks = multiportChunks(ports);
  ASSERT_EQ(chunks.size(), 2U);
  EXPECT_EQ(std::count(chunks[0].begin(), chunks[0].end(), ','), 19);
  EXPECT_EQ(chunks[1], "1040,1042,1044,1046,1048,8000-9000");
  auto plan = seedPlan();
  plan.ports = ports;
  plan.sources.push_back(*core::Cidr::parse("2001:db8::/32"));
  const auto fixes = renderAllow(plan);
  EXPECT_EQ(std::count(fixes[1].content.begin(), fixes[1].content.end(), '\n'), 4);
  EXPECT_NE(fixes[2].content.find("ethertype         = \"IPv6\""), std::string::npos);
}

// Test that a description with quotes, ${...} and shell metacharacters cannot break out of HCL or the shell.
TEST(HuaweiRemediationTest, HostileDescriptionEscaped) {
  auto plan = seedPlan();
  plan.description = "x\" ${file(\"/etc/passwd\")} '; rm -rf / #";
  const auto fixes = renderAllow(plan);
  EXPECT_NE(fixes[2].content.find(R"(description       = "x\" $${file(\"/etc/passwd\")} '; rm -rf / #")"),
            std::string::npos)
      << fixes[2].content;
  EXPECT_NE(fixes[1].content.find(R"('x" ${file("/etc/passwd")} '\''; rm -rf / #')"), std::string::npos)
      << fixes[1].content;
  // Control characters are escaped in HCL as in every provider's Terraform (one quoting for all), so a
  // carriage return cannot hide the rest of the line in a terminal.
  plan.description =
      "a\rb\tc\x01"
      "d";
  const auto controls = renderAllow(plan);
  EXPECT_NE(controls[2].content.find(R"(description       = "a\rb\tc\u0001d")"), std::string::npos)
      << controls[2].content;
}

// Test narrowing: delete the rule by id, then add the narrower source with the rule's protocol, ports and
// priority.
TEST(HuaweiRemediationTest, NarrowRenderingsMatchGolden) {
  core::NarrowRulePlan plan;
  plan.provider = "huaweicloud";
  plan.group_id = "8b0a7f63-1a2d-4b8e-9a51-3f8e2b6c9d10";
  plan.group_name = "cce-demo-cce-node-x7k2";
  plan.rule.protocol = core::Protocol::tcp();
  plan.rule.ports = core::PortSet::of(core::PortRange::single(22));
  plan.rule.priority = 1;
  plan.rule.origin.rule_id = "5a000009-0c1d-4e2f-8a3b-1c2d3e4f5a09";
  plan.narrower = {*core::Cidr::parse("10.1.0.0/16")};
  plan.description = "sgaudit: SSH only from the VPC";
  const auto fixes = renderNarrow(plan);
  ASSERT_EQ(fixes.size(), 3U);
  expectGolden("narrow-api.txt", fixes[0].content);
  expectGolden("narrow-hcloud.sh", fixes[1].content);
  expectGolden("narrow.tf", fixes[2].content);
  // The narrower rule keeps the rule's protocol, ports and priority, and the old rule is deleted by its id.
  const std::string& api = fixes[0].content;
  const auto body = nlohmann::json::parse(api.substr(api.find("\n{"), api.find("\n}") - api.find("\n{") + 2));
  const auto& rule = body.at("security_group_rule");
  EXPECT_EQ(rule.at("remote_ip_prefix"), "10.1.0.0/16");
  EXPECT_EQ(rule.at("protocol"), "tcp");
  EXPECT_EQ(rule.at("multiport"), "22");
  EXPECT_EQ(rule.at("priority"), 1);
  EXPECT_EQ(rule.at("action"), "allow");
  EXPECT_NE(api.find("DELETE /v3/{project_id}/vpc/security-group-rules/5a000009-0c1d-4e2f-8a3b-1c2d3e4f5a09"),
            std::string::npos);
  EXPECT_NE(fixes[1].content.find("--security_group_rule_id=5a000009-0c1d-4e2f-8a3b-1c2d3e4f5a09"),
            std::string::npos);
}

}  // namespace
}  // namespace sgaudit::cloud::huawei
