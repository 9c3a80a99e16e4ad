#include "sgaudit/core/json.hpp"

#include <gtest/gtest.h>

namespace sgaudit::core {
namespace {

// Test that an answer serialises with address sets as CIDRs, rule origins, and the default deny spelled out.
TEST(Json, SerialisesReachAnswer) {
  SecurityGroupRule rule;
  rule.protocol = Protocol::tcp();
  rule.ports = PortSet::of({80, 80});
  rule.source = Cidr::parse("10.1.0.0/16").value();
  rule.ethertype = Ethertype::IPv4;
  rule.origin = RuleOrigin{"huaweicloud", "sg-1", "node", "r-1", "VPC"};
  auto group = std::make_shared<SecurityGroup>(SecurityGroup{"sg-1", "node", {rule}});
  Firewall firewall{{FirewallLayer{"node", EvaluationModel::FirstMatchByPriority, {group}}}};
  ReachAnswer answer = reach(firewall, SourceResolver{}, Protocol::tcp(), PortRange::single(80));
  nlohmann::json json = answer;
  EXPECT_EQ(json["protocol"], "tcp");
  EXPECT_EQ(json["ports"], (nlohmann::json{{"from", 80}, {"to", 80}}));
  const auto& interval = json["intervals"][0];
  EXPECT_EQ(interval["admitted"], nlohmann::json::array({"10.1.0.0/16"}));
  bool sawDefault = false;
  bool sawRule = false;
  for (const auto& piece : interval["pieces"]) {
    const auto& decision = piece["decisions"][0];
    if (decision["rule"].is_null()) {
      sawDefault = true;
      EXPECT_EQ(decision["reason"], "no rule matched: default deny");
      EXPECT_EQ(piece["verdict"], "deny");
    } else {
      sawRule = true;
      EXPECT_EQ(decision["rule"]["rule_id"], "r-1");
      EXPECT_EQ(piece["addresses"], nlohmann::json::array({"10.1.0.0/16"}));
    }
  }
  EXPECT_TRUE(sawDefault);
  EXPECT_TRUE(sawRule);

  nlohmann::json check = checkRequired(answer.intervals[0], AddressSet::parse({"0.0.0.0/0"}).value());
  EXPECT_EQ(check["exposure"], "partially-open");
  EXPECT_EQ(check["missing"].size(),
            AddressSet::allV4().subtract(AddressSet::parse({"10.1.0.0/16"}).value()).toCidrs().size());
}

}  // namespace
}  // namespace sgaudit::core
