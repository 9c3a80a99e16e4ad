#include "sgaudit/cloud/providers.hpp"

#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace sgaudit::cloud {
namespace {

using json = nlohmann::json;

std::string claimant(const char* document) {
  const auto claimed = claim(json::parse(document));
  return claimed ? std::string(claimed->provider->name()) : "nobody";
}

std::string claimedKind(const char* document) {
  const auto claimed = claim(json::parse(document));
  return claimed ? claimed->recognition.kind : "nothing";
}

// Test that every provider is registered once, found by its name and its id, and owns its kinds, which
// carry its name as their prefix and belong to no other provider.
TEST(ProviderRegistry, EachProviderOnceWithItsOwnKinds) {
  ASSERT_GE(providers().size(), 4u);
  std::set<std::string> names;
  std::set<std::string> kinds;
  for (const Provider* provider : providers()) {
    EXPECT_TRUE(names.insert(std::string(provider->name())).second) << provider->name();
    EXPECT_EQ(findProvider(provider->name()), provider);
    EXPECT_EQ(findProvider(provider->id()), provider);
    EXPECT_FALSE(provider->title().empty());
    EXPECT_FALSE(provider->kinds().empty());
    for (const auto kind : provider->kinds()) {
      EXPECT_TRUE(kind.starts_with(std::string(provider->name()) + ".")) << kind;
      EXPECT_TRUE(kinds.insert(std::string(kind)).second) << kind << " is listed twice";
      EXPECT_EQ(providerOfKind(kind), provider) << kind;
    }
  }
  EXPECT_EQ(names.size(), providers().size());
  for (const char* name : {"huawei", "aws", "openstack", "azure"})
    EXPECT_EQ(names.count(name), 1u) << name;
  // Registration order is the order of SGAUDIT_CLOUD_PROVIDERS: Huawei Cloud is weighed before OpenStack.
  EXPECT_EQ(providers().front()->name(), "huawei");
  EXPECT_EQ(findProvider("huaweicloud"), findProvider("huawei"));
  EXPECT_EQ(findProvider("digitalocean"), nullptr);
  EXPECT_EQ(providerOfKind("kubectl.json"), nullptr);
  EXPECT_EQ(providerOfKind("aws.ec2.describe-everything"), nullptr);
}

// Test that Huawei Cloud's documents that share Neutron's shapes go to Huawei Cloud by their markers, even
// when they are of no kind it reads, and that Neutron's own shapes go to OpenStack.
TEST(ProviderRegistry, MarkedDocumentsOutweighSharedShapes) {
  // Neutron's shapes, unmarked.
  EXPECT_EQ(claimant(R"({"security_groups": [{"id": "a", "security_group_rules": []}]})"), "openstack");
  EXPECT_EQ(claimedKind(R"({"security_group_rules": [{"id": "a", "port_range_min": 22}]})"),
            "openstack.neutron.security-group-rules");
  EXPECT_EQ(claimant(R"({"subnets": [{"id": "a", "cidr": "10.0.0.0/24"}]})"), "openstack");
  EXPECT_EQ(claimant(R"({"servers": [{"id": "a", "addresses": {}}]})"), "openstack");
  // Huawei Cloud: groups in a VPC, v3 rules with priority and action, responses with request_id, subnets of
  // a VPC, and the ECS server list's own count.
  EXPECT_EQ(claimant(R"({"security_groups": [{"id": "a", "vpc_id": "v"}]})"), "huawei");
  EXPECT_EQ(claimedKind(R"({"security_group_rules": [{"id": "a", "priority": 1, "action": "allow"}]})"),
            "huawei.vpc.v3.security-group-rules");
  EXPECT_EQ(claimant(R"({"security_group_rule": {"id": "r", "priority": 1}})"), "huawei");
  EXPECT_EQ(claimant(R"({"subnets": [{"id": "a", "vpc_id": "v", "cidr": "10.0.0.0/24"}]})"), "huawei");
  EXPECT_EQ(claimant(R"({"count": 1, "servers": [{"id": "a"}]})"), "huawei");
  // Marked, but no kind can be told: Huawei Cloud's, without a kind, never read as Neutron's.
  EXPECT_EQ(claimant(R"({"request_id": "x", "security_group_rules": []})"), "huawei");
  EXPECT_EQ(claimedKind(R"({"request_id": "x", "security_group_rules": []})"), "");
  // A second group carrying the marker is enough.
  EXPECT_EQ(claimant(R"({"security_groups": [{"id": "a"}, {"id": "b", "enterprise_project_id": "0"}]})"),
            "huawei");
  // AWS's capitalised members; nobody's.
  EXPECT_EQ(claimant(R"({"SecurityGroups": []})"), "aws");
  EXPECT_EQ(claimant(R"({"apiVersion": "v1", "kind": "PodList", "items": []})"), "nobody");
  EXPECT_EQ(claimant("[]"), "nobody");
  EXPECT_EQ(claimant("42"), "nobody");
}

// Test that each provider reads a document of each of its kinds into a value or an error naming the input,
// and renders an allow plan in its own tooling.
TEST(ProviderRegistry, EveryProviderReadsItsKindsAndRendersPlans) {
  for (const Provider* provider : providers()) {
    for (const auto kind : provider->kinds()) {
      std::vector<std::string> warnings;
      const auto read =
          provider->read(kind, json::parse(R"({"unexpected": [1, 2]})"), {"odd.json", &warnings});
      if (!read) {
        EXPECT_EQ(read.error().source, "odd.json") << kind;
      }
      const auto wrong = provider->read(kind, json::parse("[1]"), {"list.json", &warnings});
      if (!wrong) {
        EXPECT_EQ(wrong.error().source, "list.json") << kind;
      }
    }
    core::AllowIngressPlan plan;
    plan.provider = std::string(provider->id());
    // An id every provider can name its group by (Azure's NSGs by resource group and name).
    plan.group_id =
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/sg-0123";
    plan.group_name = "sg-0123";
    plan.ports = core::PortSet::of(core::PortRange::single(80));
    plan.sources = {*core::Cidr::parse("203.0.113.0/24")};
    plan.description = "sgaudit: default/web needs 80/TCP";
    const auto fixes = provider->renderFixes(plan);
    ASSERT_FALSE(fixes.empty()) << provider->name();
    bool terraform = false;
    for (const auto& fix : fixes) {
      EXPECT_NE(fix.content.find("203.0.113.0/24"), std::string::npos) << provider->name() << " " << fix.tool;
      EXPECT_NE(fix.content.find("sg-0123"), std::string::npos) << provider->name() << " " << fix.tool;
      terraform = terraform || fix.tool == "terraform";
    }
    EXPECT_TRUE(terraform) << provider->name();
  }
}

}  // namespace
}  // namespace sgaudit::cloud
