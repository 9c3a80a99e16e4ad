#include "sgaudit/core/node_mapping.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sgaudit::core {
namespace {

Instance instance(const std::string& id, std::vector<std::string> ips) {
  Instance out;
  out.id = id;
  out.private_ips = std::move(ips);
  return out;
}

Node node(const std::string& name, const std::string& provider_id, std::vector<std::string> ips) {
  Node out;
  out.name = name;
  out.provider_id = provider_id;
  out.internal_ips = std::move(ips);
  return out;
}

// Test the providerID forms of each provider.
TEST(NodeMappingTest, ProviderIdForms) {
  EXPECT_EQ(instanceIdFromProviderId("aws:///us-east-1a/i-0abc123"), "i-0abc123");
  EXPECT_EQ(instanceIdFromProviderId("aws:////i-0abc123"), "i-0abc123");
  EXPECT_EQ(instanceIdFromProviderId("i-0abc123"), "i-0abc123");
  // Azure: the whole resource id, lower-cased (AKS lower-cases the resource group; a scale set VM's last
  // segment alone is "0" in every scale set).
  EXPECT_EQ(
      instanceIdFromProviderId("azure:///subscriptions/S/resourceGroups/mc_rg/providers/Microsoft.Compute/"
                               "virtualMachineScaleSets/aks-pool-vmss/virtualMachines/0"),
      "/subscriptions/s/resourcegroups/mc_rg/providers/microsoft.compute/virtualmachinescalesets/"
      "aks-pool-vmss/"
      "virtualmachines/0");
  EXPECT_EQ(instanceIdFromProviderId("openstack:///8f3c1a2b-0000-4000-8000-000000000001"),
            "8f3c1a2b-0000-4000-8000-000000000001");
  EXPECT_EQ(instanceIdFromProviderId("0f6d2e7a-93b1-4c8e-b0d5-2a7c4e9f1b36"),
            "0f6d2e7a-93b1-4c8e-b0d5-2a7c4e9f1b36");
  // GCE: an instance name is unique in its project and zone only.
  EXPECT_EQ(instanceIdFromProviderId("gce://shop-prod/europe-west1-b/gke-shop-pool-a-1234abcd-x1y2"),
            "shop-prod/europe-west1-b/gke-shop-pool-a-1234abcd-x1y2");
}

// Test that a GKE node is matched by its gce:// providerID to the instance of that project, zone and name,
// not to a namesake in another zone, and to an instance listed without its project by zone and name.
TEST(NodeMappingTest, GkeNodesByProjectZoneAndName) {
  CloudInventory inventory;
  for (const char* id :
       {"shop-prod/europe-west1-c/gke-n1", "shop-prod/europe-west1-b/gke-n1", "us-east1-b/gke-n2"}) {
    Instance instance;
    instance.provider = "gcp";
    instance.id = id;
    instance.name = id;
    inventory.instances.push_back(instance);
  }
  Node first;
  first.name = "gke-n1";
  first.provider_id = "gce://shop-prod/europe-west1-b/gke-n1";
  Node second;
  second.name = "gke-n2";
  second.provider_id = "gce://other-project/us-east1-b/gke-n2";
  Node third;
  third.name = "gke-n3";
  third.provider_id = "gce://shop-prod/europe-west1-b/gke-n3";
  const NodeMapping mapping = mapNodesToInstances({first, second, third}, inventory);
  ASSERT_EQ(mapping.matched.size(), 2U);
  EXPECT_EQ(mapping.matched[0].instance->id, "shop-prod/europe-west1-b/gke-n1");
  EXPECT_EQ(mapping.matched[0].method, MatchMethod::ProviderId);
  EXPECT_EQ(mapping.matched[1].instance->id, "us-east1-b/gke-n2");
  ASSERT_EQ(mapping.unmatched.size(), 1U);
  EXPECT_EQ(mapping.unmatched[0].node, "gke-n3");
}

// Test the order of methods: user mapping, providerID, InternalIP (instance or port), and that every node is
// accounted for with the reason when unmatched.
TEST(NodeMappingTest, MethodsAndUnmatchedReasons) {
  CloudInventory inventory;
  inventory.instances = {instance("i-1", {"10.0.0.1"}), instance("i-2", {"10.0.0.2"}),
                         instance("i-3", {"10.0.0.9"}), instance("i-4", {"10.0.0.9"}), instance("srv-5", {})};
  NetworkInterface port;
  port.id = "port-5";
  port.device_id = "srv-5";
  port.fixed_ips = {"10.0.0.5"};
  inventory.interfaces = {port};
  const std::vector<Node> nodes = {node("a", "aws:///zone/i-1", {"10.0.0.1"}),
                                   node("b", "", {"10.0.0.2"}),
                                   node("c", "aws:///zone/i-gone", {"10.0.0.77"}),
                                   node("d", "", {"10.0.0.9"}),
                                   node("e", "", {"10.0.0.5"}),
                                   node("f", "", {"10.0.0.99"})};
  const auto mapping = mapNodesToInstances(nodes, inventory, {{"f", "i-3"}});
  ASSERT_EQ(mapping.matched.size(), 4U);
  EXPECT_EQ(mapping.matched[0].node, "a");
  EXPECT_EQ(mapping.matched[0].method, MatchMethod::ProviderId);
  EXPECT_EQ(mapping.matched[1].instance->id, "i-2");
  EXPECT_EQ(mapping.matched[1].method, MatchMethod::InternalIp);
  EXPECT_EQ(mapping.matched[2].instance->id, "srv-5");
  EXPECT_EQ(mapping.matched[3].method, MatchMethod::UserMapping);
  ASSERT_EQ(mapping.unmatched.size(), 2U);
  EXPECT_EQ(mapping.unmatched[0].node, "c");
  EXPECT_THAT(mapping.unmatched[0].reason, ::testing::HasSubstr("no instance has the id i-gone"));
  EXPECT_THAT(mapping.unmatched[1].reason, ::testing::HasSubstr("several instances"));
}

// Test that no nodes or no instances give an empty or all-unmatched mapping, never a crash.
TEST(NodeMappingTest, EmptyInputs) {
  EXPECT_TRUE(mapNodesToInstances({}, CloudInventory{}).matched.empty());
  const auto mapping = mapNodesToInstances({node("x", "", {})}, CloudInventory{});
  ASSERT_EQ(mapping.unmatched.size(), 1U);
  EXPECT_THAT(mapping.unmatched[0].reason, ::testing::HasSubstr("no providerID"));
}

}  // namespace
}  // namespace sgaudit::core
