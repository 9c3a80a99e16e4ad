// Kubernetes fixes as data, proven: a workload change applied to a copy of the cluster with its pods placed
// again, and the host-port checks run again on it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "cluster_builder.hpp"
#include "sgaudit/core/host_ports.hpp"
#include "sgaudit/core/workload_changes.hpp"

namespace sgaudit::core {
namespace {

std::vector<const Pod*> podsOf(const ClusterState& cluster, const std::string& prefix) {
  std::vector<const Pod*> pods;
  for (const auto& pod : cluster.pods) {
    if (pod.name.starts_with(prefix)) pods.push_back(&pod);
  }
  return pods;
}

const Finding* findingOf(const std::vector<Finding>& findings, std::string_view check) {
  for (const auto& finding : findings) {
    if (finding.check_id == check) return &finding;
  }
  return nullptr;
}

// Test that declaring an undeclared port moves two replicas that shared a node onto two nodes, with the
// container's process listening where its pod now runs and nowhere else, and that other pods stay put.
TEST(WorkloadChangesTest, DeclaringThePortPlacesReplicasOnePerNode) {
  ClusterState cluster;
  cluster.nodes = {test::node("n1"), test::node("n2"), test::node("n3")};
  const Workload web = test::deployment("web", 2, test::hostNetworkSpec({test::container("web")}));
  cluster.workloads = {web};
  cluster.pods = {
      test::podOf(web, "a", "n1"), test::podOf(web, "b", "n1"),
      test::barePod("other", test::hostNetworkSpec({test::container("other", {test::port(9000)})}), "n2")};
  cluster.node_sockets = {{"n1", {test::socket(8080, "web")}, {}}, {"n2", {}, {}}, {"n3", {}, {}}};
  const HostPortModel model = buildHostPortModel(cluster);
  WorkloadChange change;
  change.workload = {"Deployment", "default", "web"};
  change.container = "web";
  change.declare_ports = {{8080, PortProtocol::Tcp}};

  const ClusterState after = applyWorkloadChange(cluster, model, change);
  const auto pods = podsOf(after, "web-");
  ASSERT_EQ(pods.size(), 2U);
  std::set<std::string> nodes;
  for (const Pod* pod : pods) {
    nodes.insert(pod->spec.node_name);
    ASSERT_EQ(pod->spec.containers.size(), 1U);
    ASSERT_EQ(pod->spec.containers[0].ports.size(), 1U);
    EXPECT_EQ(pod->spec.containers[0].ports[0].container_port, 8080);
  }
  EXPECT_EQ(nodes.size(), 2U) << "one replica per node once the port is declared";
  EXPECT_EQ(after.workloads[0].template_spec.containers[0].ports.size(), 1U);
  ASSERT_EQ(podsOf(after, "other").size(), 1U);
  EXPECT_EQ(podsOf(after, "other")[0]->spec.node_name, "n2");
  for (const auto& sockets : after.node_sockets) {
    const bool listens = std::any_of(sockets.sockets.begin(), sockets.sockets.end(),
                                     [](const ListeningSocket& s) { return s.port == 8080; });
    EXPECT_EQ(listens, nodes.count(sockets.node) > 0) << sockets.node;
  }
  // The original is untouched.
  EXPECT_EQ(cluster.pods[0].spec.node_name, "n1");
  EXPECT_TRUE(cluster.workloads[0].template_spec.containers[0].ports.empty());
}

// Test that the fixes of a workload with more replicas than free nodes are proven: scaling down to the free
// nodes alone would leave the next rollout stalled (its surge pod finds no node), so the change is extended
// by the in-place rollout and verified; the anti-affinity alone leaves a replica Pending and is not offered.
TEST(WorkloadChangesTest, ScalingDownIsExtendedByTheRolloutAndTheFailingAlternativeDropped) {
  ClusterState cluster;
  cluster.nodes = {test::node("n1"), test::node("n2")};
  const Workload web =
      test::deployment("web", 3, test::hostNetworkSpec({test::container("web", {test::port(80)})}));
  cluster.workloads = {web};
  cluster.pods = {test::podOf(web, "a", "n1"), test::podOf(web, "b", "n2"),
                  test::podOf(web, "c", "", "Pending")};
  const HostPortModel model = buildHostPortModel(cluster);
  std::vector<Finding> findings = checkHostPorts(cluster, model);
  const Finding* before = findingOf(findings, check::kHostPortCapacity);
  ASSERT_NE(before, nullptr);
  ASSERT_EQ(before->workload_changes.size(), 2U) << "scale down, or spread";

  verifyWorkloadChanges(cluster, model, {}, findings);
  const Finding* capacity = findingOf(findings, check::kHostPortCapacity);
  ASSERT_NE(capacity, nullptr);
  ASSERT_EQ(capacity->workload_changes.size(), 1U);
  const WorkloadChange& change = capacity->workload_changes[0];
  EXPECT_EQ(change.replicas, 2);
  EXPECT_TRUE(change.roll_in_place);
  EXPECT_FALSE(change.anti_affinity);
  ASSERT_TRUE(change.verified.has_value());
  EXPECT_TRUE(*change.verified) << change.verification;
  std::size_t rendered = 0;
  bool rollout = false;
  for (const auto& fix : capacity->fixes) {
    if (fix.tool == "advice") continue;
    ++rendered;
    EXPECT_EQ(fix.change, 0);
    EXPECT_EQ(fix.verified, std::optional<bool>(true)) << fix.title;
    rollout = rollout || fix.content.find("maxSurge") != std::string::npos;
  }
  EXPECT_EQ(rendered, 4U) << "scale and rollout, each as a patch and a kubectl command";
  EXPECT_TRUE(rollout);

  // Applied, the change leaves two replicas on two nodes and no host-port finding about the workload's size.
  const ClusterState after = applyWorkloadChange(cluster, model, change);
  EXPECT_EQ(findingOf(checkHostPorts(after), check::kHostPortCapacity), nullptr);
}

}  // namespace
}  // namespace sgaudit::core
