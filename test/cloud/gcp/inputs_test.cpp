// The Google Cloud reader on the Compute API's responses (test/data/gcp: a firewall list with every field
// that decides a rule, an aggregated instance list) and gcloud's bare arrays (the GKE scenario's files).
#include "sgaudit/cloud/gcp/inputs.hpp"

#include <algorithm>
#include <fstream>
#include <random>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/process.hpp"

namespace sgaudit::cloud::gcp {
namespace {

using json = nlohmann::json;

json load(const std::filesystem::path& path) {
  std::ifstream in(test::testDataDir() / path);
  EXPECT_TRUE(in) << path;
  return json::parse(in);
}

std::string kindOf(const json& document) {
  const auto claim = recognise(document);
  return claim ? claim->kind : "none";
}

core::CloudInventory read(const std::filesystem::path& path) {
  const json document = load(path);
  auto parsed = parse(kindOf(document), document, path.filename().string());
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().toString());
  return parsed.ok() ? std::move(parsed).value() : core::CloudInventory{};
}

std::string errorOf(std::string_view kind, const std::string& text) {
  auto parsed = parse(kind, json::parse(text), "rules.json");
  return parsed.ok() ? "no error" : parsed.error().toString();
}

const core::SecurityGroup* groupWithId(const core::CloudInventory& inventory, const std::string& id) {
  for (const auto& group : inventory.security_groups) {
    if (group.group->id == id) return group.group.get();
  }
  return nullptr;
}

std::vector<const core::SecurityGroupRule*> rulesNamed(const core::CloudInventory& inventory,
                                                       const std::string& name) {
  std::vector<const core::SecurityGroupRule*> out;
  for (const auto& group : inventory.security_groups) {
    for (const auto& rule : group.group->rules) {
      if (rule.origin.rule_id == name) out.push_back(&rule);
    }
  }
  return out;
}

// Test that each document is told by its Compute API "kind" or gcloud's shape, and a Kubernetes list is not.
TEST(GcpInputs, RecognisesEachKind) {
  EXPECT_EQ(kindOf(load("gcp/firewalls-api.json")), kind::kFirewalls);
  EXPECT_EQ(kindOf(load("gcp/instances-aggregated.json")), kind::kInstances);
  EXPECT_EQ(kindOf(load("scenarios/gke/firewall-rules.json")), kind::kFirewalls);
  EXPECT_EQ(kindOf(load("scenarios/gke/instances.json")), kind::kInstances);
  EXPECT_EQ(kindOf(load("scenarios/gke/cluster.json")), kind::kGkeCluster);
  EXPECT_EQ(kindOf(load("scenarios/gke/subnets.json")), kind::kSubnetworks);
  EXPECT_EQ(kindOf(load("scenarios/gke/nodes.json")), "none");
  EXPECT_EQ(kindOf(json::parse("[]")), "none");
}

// Test the firewall list as the Compute API returns it: rules grouped by network and target set, all under
// PriorityDenyWins; the default priority 1000; a deny at 500 kept as a deny; an egress rule and a disabled
// rule guard no ingress and are left out; each network gets the implied deny-all ingress at 65535, fixed.
TEST(GcpInputs, FirewallRulesByNetworkAndTargets) {
  const auto inventory = read("gcp/firewalls-api.json");
  for (const auto& group : inventory.security_groups)
    EXPECT_EQ(group.model, core::EvaluationModel::PriorityDenyWins) << group.group->id;
  ASSERT_NE(groupWithId(inventory, "prod/tags/web"), nullptr);
  ASSERT_NE(groupWithId(inventory, "prod/serviceAccounts/app@web-prod.iam.gserviceaccount.com"), nullptr);
  ASSERT_NE(groupWithId(inventory, "prod/all"), nullptr);
  ASSERT_NE(groupWithId(inventory, "staging/all"), nullptr);

  const auto defaulted = rulesNamed(inventory, "allow-app-from-web");
  ASSERT_FALSE(defaulted.empty());
  for (const auto* rule : defaulted)
    EXPECT_EQ(rule->priority, 1000);
  const auto deny = rulesNamed(inventory, "deny-db-from-anywhere");
  ASSERT_FALSE(deny.empty());
  EXPECT_EQ(deny.front()->action, core::RuleAction::Deny);
  EXPECT_EQ(deny.front()->priority, 500);
  EXPECT_TRUE(rulesNamed(inventory, "deny-egress-all").empty()) << "egress guards no ingress";
  EXPECT_TRUE(rulesNamed(inventory, "allow-rdp-disabled").empty()) << "a disabled rule does nothing";

  std::size_t implied = 0;
  for (const auto* rule : rulesNamed(inventory, kImpliedDenyIngress)) {
    EXPECT_EQ(rule->action, core::RuleAction::Deny);
    EXPECT_EQ(rule->priority, 65535);
    EXPECT_TRUE(rule->fixed) << "GCP's implied rules cannot be removed";
    ++implied;
  }
  EXPECT_GE(implied, 2U) << "one per network at least";
}

// Test an aggregated instance list: every zone's instances, with their addresses, network tags and service
// accounts (what rules select targets by), named project/zone/name as GKE's providerIDs name them.
TEST(GcpInputs, InstancesFromAnAggregatedList) {
  const auto inventory = read("gcp/instances-aggregated.json");
  ASSERT_EQ(inventory.instances.size(), 3U);
  EXPECT_EQ(inventory.instances[0].id, "web-prod/europe-west1-b/web-1");
  EXPECT_EQ(inventory.instances[0].network_tags.size(), 1U);
  EXPECT_EQ(inventory.instances[1].service_accounts.size(), 1U);
  EXPECT_EQ(inventory.instances[2].id, "web-prod/europe-west1-c/db-1");
  for (const auto& instance : inventory.instances)
    EXPECT_FALSE(instance.private_ips.empty()) << instance.id;
}

// Test that malformed values are named by file and JSON pointer with what was expected.
TEST(GcpInputs, MalformedValuesNamedByPointer) {
  EXPECT_EQ(
      errorOf(kind::kFirewalls,
              R"({"kind": "compute#firewallList", "items": [{"name": "a", "network": "global/networks/n",
                        "priority": 70000, "allowed": [{"IPProtocol": "tcp"}], "sourceRanges": ["0.0.0.0/0"]}]})"),
      "rules.json: /items/0/priority: expected a priority 0..65535, got 70000");
  EXPECT_EQ(errorOf(kind::kFirewalls, R"([{"name": "a", "network": "n", "allowed": [{"IPProtocol": "tcp",
                                         "ports": ["80-"]}], "sourceRanges": ["0.0.0.0/0"]}])"),
            "rules.json: /0/allowed/0/ports/0: expected a port 0-65535 or a range a-b, got \"80-\"");
  const std::string cidr = errorOf(kind::kFirewalls, R"([{"name": "a", "network": "n", "allowed":
                                   [{"IPProtocol": "tcp"}], "sourceRanges": ["10.0.0.0/33"]}])");
  EXPECT_NE(cidr.find("rules.json: /0/sourceRanges/0: "), std::string::npos) << cidr;
  EXPECT_NE(cidr.find("prefix length 33"), std::string::npos) << cidr;
}

// Test GCP's target selection against a brute-force oracle on random rule sets: a rule applies to an
// instance when it is enabled, ingress, on the instance's network, and targets it (no targets; one of its
// tags; one of its service accounts). The instance's layer (read and linked as the audit does) holds
// exactly those rules. The seed varies per run and is printed on failure.
TEST(GcpInputs, TargetSelectionAgreesWithOracle) {
  const auto seed = static_cast<std::uint64_t>(std::random_device{}());
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 random(seed);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };
  const std::vector<std::string> networks = {"net-a", "net-b"};
  const std::vector<std::string> tags = {"web", "db", "pool-1", "pool-2"};
  const std::vector<std::string> accounts = {"a@p.iam.gserviceaccount.com", "b@p.iam.gserviceaccount.com"};
  auto networkUrl = [](const std::string& name) {
    return "https://www.googleapis.com/compute/v1/projects/p/global/networks/" + name;
  };
  for (int round = 0; round < 200; ++round) {
    json rules = json::array();
    const std::size_t rule_count = 1 + pick(12);
    for (std::size_t r = 0; r < rule_count; ++r) {
      json rule = {{"name", "r" + std::to_string(r)},
                   {"network", networkUrl(networks[pick(2)])},
                   {"priority", 100 + pick(5) * 100},
                   {"direction", pick(6) == 0 ? "EGRESS" : "INGRESS"},
                   {"disabled", pick(8) == 0}};
      rule[pick(3) == 0 ? "denied" : "allowed"] = json::array({{{"IPProtocol", "tcp"}, {"ports", {"80"}}}});
      if (rule["direction"] == "INGRESS") {
        rule["sourceRanges"] = {"0.0.0.0/0"};
      } else {
        rule["destinationRanges"] = {"0.0.0.0/0"};
      }
      switch (pick(3)) {
        case 0: {
          json chosen = json::array();
          for (const auto& tag : tags) {
            if (pick(3) == 0) chosen.push_back(tag);
          }
          if (chosen.empty()) chosen.push_back(tags[pick(tags.size())]);
          rule["targetTags"] = chosen;
          break;
        }
        case 1:
          rule["targetServiceAccounts"] = {accounts[pick(2)]};
          break;
        default:
          break;
      }
      rules.push_back(rule);
    }
    json instances = json::array();
    const std::size_t instance_count = 1 + pick(5);
    for (std::size_t i = 0; i < instance_count; ++i) {
      json instance = {
          {"name", "vm-" + std::to_string(i)},
          {"zone", "https://www.googleapis.com/compute/v1/projects/p/zones/europe-west1-b"},
          {"networkInterfaces",
           {{{"network", networkUrl(networks[pick(2)])}, {"networkIP", "10.0.0." + std::to_string(10 + i)}}}},
          {"status", "RUNNING"}};
      json own_tags = json::array();
      for (const auto& tag : tags) {
        if (pick(2) == 0) own_tags.push_back(tag);
      }
      if (!own_tags.empty()) instance["tags"] = {{"items", own_tags}};
      if (pick(2) == 0) instance["serviceAccounts"] = {{{"email", accounts[pick(2)]}}};
      instances.push_back(instance);
    }

    auto firewall = parse(kind::kFirewalls, rules, "rules.json");
    ASSERT_TRUE(firewall.ok()) << firewall.error().toString() << "\n" << rules.dump();
    auto listed = parse(kind::kInstances, instances, "instances.json");
    ASSERT_TRUE(listed.ok()) << listed.error().toString() << "\n" << instances.dump();
    core::CloudInventory inventory = std::move(firewall).value();
    for (auto& instance : listed.value().instances)
      inventory.instances.push_back(std::move(instance));
    std::vector<std::string> warnings;
    link(inventory, warnings);

    for (std::size_t i = 0; i < instance_count; ++i) {
      const json& spec = instances[i];
      const std::string network = spec["networkInterfaces"][0]["network"];
      std::set<std::string> expected;
      for (const auto& rule : rules) {
        if (rule["direction"] != "INGRESS" || rule["disabled"].get<bool>() || rule["network"] != network)
          continue;
        bool targets = true;
        if (rule.contains("targetTags")) {
          targets = false;
          for (const auto& tag : rule["targetTags"]) {
            if (spec.contains("tags") && std::find(spec["tags"]["items"].begin(), spec["tags"]["items"].end(),
                                                   tag) != spec["tags"]["items"].end())
              targets = true;
          }
        } else if (rule.contains("targetServiceAccounts")) {
          targets = spec.contains("serviceAccounts") &&
                    spec["serviceAccounts"][0]["email"] == rule["targetServiceAccounts"][0];
        }
        if (targets) expected.insert(rule["name"].get<std::string>());
      }
      const core::Instance* found = nullptr;
      for (const auto& instance : inventory.instances) {
        if (instance.name == spec["name"] || instance.id.ends_with("/" + spec["name"].get<std::string>()))
          found = &instance;
      }
      ASSERT_NE(found, nullptr) << spec.dump();
      std::set<std::string> actual;
      for (const auto& layer : core::firewallLayersOf(*found)) {
        for (const auto& id : layer.group_ids) {
          for (const auto& group : inventory.security_groups) {
            if (group.group->id != id) continue;
            for (const auto& rule : group.group->rules) {
              if (!rule.fixed) actual.insert(rule.origin.rule_id);
            }
          }
        }
      }
      ASSERT_EQ(actual, expected) << "instance " << spec.dump() << "\nrules " << rules.dump();
    }
  }
}

}  // namespace
}  // namespace sgaudit::cloud::gcp
