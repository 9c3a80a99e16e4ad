#include "sgaudit/core/host_ports.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "cluster_builder.hpp"

namespace sgaudit::core {
namespace {

using namespace sgaudit::test;
using ::testing::HasSubstr;
using ::testing::Not;

// Copies, so that a temporary result can be filtered in one expression.
std::vector<Finding> withCheck(const std::vector<Finding>& findings, std::string_view id) {
  std::vector<Finding> out;
  for (const auto& f : findings) {
    if (f.check_id == id) out.push_back(f);
  }
  return out;
}

bool hasEvidence(const Finding& finding, const std::string& kind, const std::string& fragment) {
  return std::any_of(finding.evidence.begin(), finding.evidence.end(), [&](const Evidence& e) {
    return e.kind == kind && e.text.find(fragment) != std::string::npos;
  });
}

// The seed's situation: a hostNetwork nginx Deployment with 2 replicas and no declared ports, both pods on
// the one node, the second crash-looping on "address in use".
ClusterState seedLike() {
  ClusterState cluster;
  cluster.nodes = {node("10.1.0.55")};
  Workload nginx = deployment("nginx", 2, hostNetworkSpec({container("nginx")}, "ClusterFirst"));
  cluster.workloads = {nginx};
  Pod running = podOf(nginx, "6wwft", "10.1.0.55");
  Pod crashing = podOf(nginx, "rglm7", "10.1.0.55");
  crashing.container_states[0].waiting_reason = "CrashLoopBackOff";
  crashing.container_states[0].restart_count = 13;
  cluster.pods = {running, crashing};
  NodeSockets sockets{"10.1.0.55",
                      {socket(80, "nginx"), socket(80, "nginx", "::"), socket(22, "sshd"),
                       socket(10250, "kubelet", "*"), socket(10248, "kubelet", "127.0.0.1")},
                      {"10.1.0.55.txt", 0}};
  cluster.node_sockets = {sockets};
  ContainerLog log{"default", crashing.name, "nginx", {}, {"default_x_nginx.log", 0}};
  log.bind_failures = {{"nginx", "0.0.0.0", 80, 10, "bind() to 0.0.0.0:80 failed (98: Address in use)"},
                       {"nginx", "::", 80, 12, "bind() to [::]:80 failed (98: Address in use)"}};
  cluster.container_logs = {log};
  return cluster;
}

// Test that an empty cluster yields no findings at all.
TEST(HostPortChecksTest, EmptyClusterHasNoFindings) {
  EXPECT_TRUE(checkHostPorts(ClusterState{}).empty());
}

// Test the seed's findings: capacity, conflict, undeclared and DNS policy, each with its evidence, and
// nothing about kubelet or kube-proxy ports.
TEST(HostPortChecksTest, SeedLikeScenario) {
  const auto findings = checkHostPorts(seedLike());

  const auto capacity = withCheck(findings, check::kHostPortCapacity);
  ASSERT_EQ(capacity.size(), 1U);
  EXPECT_THAT(capacity[0].title, HasSubstr("wants 2 replicas"));
  EXPECT_THAT(capacity[0].title, HasSubstr("80/TCP"));
  EXPECT_THAT(capacity[0].title, HasSubstr("at most 1"));
  EXPECT_TRUE(hasEvidence(capacity[0], "pod-status", "CrashLoopBackOff (13 restarts)"));
  EXPECT_TRUE(hasEvidence(capacity[0], "log", "bind() to 0.0.0.0:80 failed (98: Address in use)"));

  const auto conflict = withCheck(findings, check::kHostPortConflict);
  ASSERT_EQ(conflict.size(), 1U);
  EXPECT_EQ(conflict[0].node, "10.1.0.55");
  EXPECT_EQ(conflict[0].port, 80);
  EXPECT_THAT(conflict[0].title,
              HasSubstr("bound by pod nginx-abc12-6wwft and wanted by pod nginx-abc12-rglm7"));

  const auto undeclared = withCheck(findings, check::kHostPortUndeclared);
  ASSERT_EQ(undeclared.size(), 1U);
  EXPECT_THAT(undeclared[0].title, HasSubstr("Container nginx"));
  EXPECT_TRUE(hasEvidence(undeclared[0], "socket", "0.0.0.0:80"));
  EXPECT_TRUE(hasEvidence(undeclared[0], "log", "Address in use"));
  EXPECT_THAT(undeclared[0].fixes.at(0).content, HasSubstr("containerPort: 80"));

  const auto dns = withCheck(findings, check::kDnsPolicy);
  ASSERT_EQ(dns.size(), 1U);
  EXPECT_THAT(dns[0].fixes.at(0).content, HasSubstr("dnsPolicy: ClusterFirstWithHostNet"));

  EXPECT_TRUE(withCheck(findings, check::kHostPortReserved).empty());
  EXPECT_EQ(findings.size(), 4U);
  for (const auto& f : findings) {
    EXPECT_THAT(f.title, ::testing::Not(HasSubstr("10250")));
    EXPECT_THAT(f.title, ::testing::Not(HasSubstr("10256")));
  }
}

// Test that fingerprints survive a reordered input and new pod names (a restarted replica).
TEST(HostPortChecksTest, FingerprintsStableAcrossOrderAndPodNames) {
  auto first = checkHostPorts(seedLike());
  ClusterState shuffled = seedLike();
  std::reverse(shuffled.pods.begin(), shuffled.pods.end());
  std::reverse(shuffled.node_sockets[0].sockets.begin(), shuffled.node_sockets[0].sockets.end());
  auto second = checkHostPorts(shuffled);
  ASSERT_EQ(first.size(), second.size());
  for (std::size_t i = 0; i < first.size(); ++i)
    EXPECT_EQ(first[i].fingerprint, second[i].fingerprint);

  ClusterState renamed = seedLike();
  renamed.pods[1].name = "nginx-abc12-zzzzz";
  renamed.container_logs[0].pod = "nginx-abc12-zzzzz";
  const auto third = checkHostPorts(renamed);
  const auto capacity_a = withCheck(first, check::kHostPortCapacity);
  const auto capacity_b = withCheck(third, check::kHostPortCapacity);
  ASSERT_EQ(capacity_b.size(), 1U);
  EXPECT_EQ(capacity_a[0].fingerprint, capacity_b[0].fingerprint);
}

// Test the scheduler's conflict rule: same protocol and port, overlapping host IP (a wildcard overlaps all).
TEST(HostPortChecksTest, ConflictRulesProtocolAndHostIp) {
  auto run = [](ContainerPort a, ContainerPort b) {
    ClusterState cluster;
    cluster.nodes = {node("n1")};
    PodSpec spec_a;
    spec_a.containers = {container("a", {a})};
    PodSpec spec_b;
    spec_b.containers = {container("b", {b})};
    cluster.pods = {barePod("a", spec_a, "n1"), barePod("b", spec_b, "n1")};
    return withCheck(checkHostPorts(cluster), check::kHostPortConflict).size();
  };
  EXPECT_EQ(run(port(8080, 80), port(9090, 80)), 1U);
  EXPECT_EQ(run(port(80, 80, PortProtocol::Tcp), port(80, 80, PortProtocol::Udp)), 0U);
  EXPECT_EQ(run(port(80, 80, PortProtocol::Tcp, "10.0.0.1"), port(80, 80, PortProtocol::Tcp, "10.0.0.2")),
            0U);
  EXPECT_EQ(run(port(80, 80, PortProtocol::Tcp, "10.0.0.1"), port(80, 80, PortProtocol::Tcp, "0.0.0.0")), 1U);
  EXPECT_EQ(run(port(80, 80, PortProtocol::Tcp, "10.0.0.1"), port(80, 80, PortProtocol::Tcp, "")), 1U);
  EXPECT_EQ(run(port(80, 80), port(81, 81)), 0U);
  // Without hostNetwork and hostPort, a containerPort stays inside the pod's own network.
  EXPECT_EQ(run(port(80), port(80)), 0U);
}

// Test that pods of one workload on different nodes, or on one node with different ports, do not conflict.
TEST(HostPortChecksTest, NoConflictAcrossNodes) {
  ClusterState cluster;
  cluster.nodes = {node("n1"), node("n2")};
  Workload web = deployment("web", 2, hostNetworkSpec({container("web", {port(80)})}));
  web.max_unavailable = "1";  // the default 25% of 2 rounds down to 0, and the rollout would stall
  cluster.workloads = {web};
  cluster.pods = {podOf(web, "a", "n1"), podOf(web, "b", "n2")};
  const auto findings = checkHostPorts(cluster);
  EXPECT_TRUE(withCheck(findings, check::kHostPortConflict).empty());
  EXPECT_TRUE(withCheck(findings, check::kHostPortCapacity).empty());
  EXPECT_TRUE(withCheck(findings, check::kHostPortUndeclared).empty());
}

// Test capacity: enough nodes passes; a taint, a DaemonSet holding the port, or a cordon reduces capacity.
TEST(HostPortChecksTest, CapacityCountsEligibleFreeNodes) {
  Workload web = deployment("web", 3, hostNetworkSpec({container("web", {port(80)})}));
  web.max_unavailable = "1";
  ClusterState cluster;
  cluster.workloads = {web};
  cluster.nodes = {node("n1"), node("n2"), node("n3")};
  EXPECT_TRUE(withCheck(checkHostPorts(cluster), check::kHostPortCapacity).empty());

  cluster.nodes[1].taints = {{"dedicated", "gpu", "NoSchedule"}};
  cluster.nodes[2].unschedulable = true;
  Workload agent;
  agent.kind = WorkloadKind::DaemonSet;
  agent.namespace_name = "kube-system";
  agent.name = "agent";
  agent.template_spec = hostNetworkSpec({container("agent", {port(80)})});
  cluster.workloads.push_back(agent);
  cluster.nodes.push_back(node("n4"));
  cluster.pods = {barePod("agent-x", agent.template_spec, "n4", "kube-system")};
  cluster.pods[0].owner = ObjectRef{"DaemonSet", "kube-system", "agent"};

  const auto findings = checkHostPorts(cluster);
  const auto capacity = withCheck(findings, check::kHostPortCapacity);
  ASSERT_EQ(capacity.size(), 1U);
  EXPECT_THAT(capacity[0].title, HasSubstr("only 1 node can host one"));
  EXPECT_TRUE(hasEvidence(capacity[0], "scheduling", "dedicated=gpu:NoSchedule"));
  EXPECT_TRUE(hasEvidence(capacity[0], "scheduling", "cordoned"));
  EXPECT_TRUE(hasEvidence(capacity[0], "scheduling", "held by DaemonSet/kube-system/agent"));
  EXPECT_THAT(capacity[0].fixes.at(1).content, HasSubstr("--replicas=1"));
}

// Test that a Deployment filling every eligible node stalls its rolling update when maxUnavailable is 0.
TEST(HostPortChecksTest, RolloutStallsWithoutSpareNode) {
  Workload web = deployment("web", 2, hostNetworkSpec({container("web", {port(80)})}));
  web.max_surge = "25%";
  web.max_unavailable = "0";
  ClusterState cluster;
  cluster.workloads = {web};
  cluster.nodes = {node("n1"), node("n2")};
  auto capacity = withCheck(checkHostPorts(cluster), check::kHostPortCapacity);
  ASSERT_EQ(capacity.size(), 1U);
  EXPECT_EQ(capacity[0].severity, Severity::Medium);
  EXPECT_THAT(capacity[0].title, HasSubstr("rolling update"));
  EXPECT_THAT(capacity[0].fixes.at(0).content, HasSubstr("maxSurge: 0"));

  cluster.nodes.push_back(node("n3"));
  EXPECT_TRUE(withCheck(checkHostPorts(cluster), check::kHostPortCapacity).empty());
  cluster.nodes.pop_back();
  cluster.workloads[0].max_unavailable = "1";
  EXPECT_TRUE(withCheck(checkHostPorts(cluster), check::kHostPortCapacity).empty());
}

// Test undeclared: a declared port or a pod off the host network is not reported.
TEST(HostPortChecksTest, UndeclaredOnlyForHostNetworkWithoutDeclaration) {
  ClusterState declared = seedLike();
  declared.workloads[0].template_spec.containers[0].ports = {port(80)};
  for (auto& pod : declared.pods)
    pod.spec.containers[0].ports = {port(80)};
  EXPECT_TRUE(withCheck(checkHostPorts(declared), check::kHostPortUndeclared).empty());

  ClusterState pod_network = seedLike();
  pod_network.workloads[0].template_spec.host_network = false;
  for (auto& pod : pod_network.pods)
    pod.spec.host_network = false;
  EXPECT_TRUE(withCheck(checkHostPorts(pod_network), check::kHostPortUndeclared).empty());
}

// Test reserved: kubelet's port, the NodePort range, and a host process from the node's sockets; a
// specific host IP does not collide with a loopback-only port.
TEST(HostPortChecksTest, ReservedPorts) {
  auto reservedFor = [](ContainerPort p, std::vector<ListeningSocket> sockets = {}) {
    ClusterState cluster;
    cluster.nodes = {node("n1")};
    PodSpec spec = hostNetworkSpec({container("app", {p})});
    cluster.pods = {barePod("app", spec, "n1")};
    cluster.node_sockets = {{"n1", std::move(sockets), {"n1.txt", 0}}};
    return withCheck(checkHostPorts(cluster), check::kHostPortReserved);
  };
  auto kubelet = reservedFor(port(10250));
  ASSERT_EQ(kubelet.size(), 1U);
  EXPECT_THAT(kubelet[0].title, HasSubstr("kubelet"));
  auto node_port = reservedFor(port(30080));
  ASSERT_EQ(node_port.size(), 1U);
  EXPECT_THAT(node_port[0].title, HasSubstr("NodePort range"));
  auto sshd = reservedFor(port(22), {socket(22, "sshd")});
  ASSERT_EQ(sshd.size(), 1U);
  EXPECT_THAT(sshd[0].title, HasSubstr("sshd on node n1"));
  EXPECT_TRUE(reservedFor(port(10248, std::nullopt, PortProtocol::Tcp, "10.0.0.5")).empty());
  EXPECT_TRUE(reservedFor(port(8080), {socket(22, "sshd")}).empty());
}

// Test that a manifest alone (no pods, no nodes) is still checked for reserved ports and DNS policy.
TEST(HostPortChecksTest, ManifestOnlyTemplate) {
  ClusterState cluster;
  cluster.workloads = {deployment("probe", 1, hostNetworkSpec({container("probe", {port(10256)})}, ""))};
  const auto findings = checkHostPorts(cluster);
  const auto reserved = withCheck(findings, check::kHostPortReserved);
  ASSERT_EQ(reserved.size(), 1U);
  EXPECT_THAT(reserved[0].title, HasSubstr("kube-proxy on every node"));
  EXPECT_EQ(withCheck(findings, check::kDnsPolicy).size(), 1U);
}

// Test manifests audited before any cluster exists: a Deployment of 5 replicas on hostPort 80 (or a
// hostNetwork containerPort) says what it needs of the cluster, at info; two workloads on one host port
// collide, at medium, unless their nodeSelectors or host IPs keep them apart; one replica needs nothing said;
// with nodes the ordinary capacity check answers instead.
TEST(HostPortChecksTest, ManifestsBeforeAnyCluster) {
  ClusterState cluster;
  Workload web = deployment("web", 5, PodSpec{});
  web.template_spec.containers = {container("nginx", {port(8080, 80)})};
  web.max_surge = "1";
  web.max_unavailable = "0";
  Workload agent = deployment("agent", 3, hostNetworkSpec({container("agent", {port(9100)})}));
  Workload single = deployment("single", 1, hostNetworkSpec({container("single", {port(9200)})}));
  cluster.workloads = {web, agent, single};
  auto findings = checkHostPorts(cluster);
  auto needs = withCheck(findings, check::kHostPortCapacity);
  ASSERT_EQ(needs.size(), 2U);
  std::map<std::string, Finding> by_workload;
  for (const auto& finding : needs)
    by_workload.emplace(finding.subjects.front().name, finding);
  const Finding& five = by_workload.at("web");
  EXPECT_EQ(five.severity, Severity::Info);
  EXPECT_EQ(
      five.title,
      "Deployment/default/web needs 5 schedulable nodes with 80/TCP free; replicas beyond that stay Pending");
  EXPECT_THAT(five.detail, HasSubstr("before the cluster exists"));
  EXPECT_THAT(five.detail, HasSubstr("needs 6"));  // maxSurge 1, maxUnavailable 0
  EXPECT_TRUE(hasEvidence(five, "manifest", "declares hostPort 80/TCP"));
  EXPECT_THAT(by_workload.at("agent").title, HasSubstr("needs 3 schedulable nodes with 9100/TCP free"));
  EXPECT_TRUE(withCheck(findings, check::kHostPortConflict).empty());

  // A second workload on 80: one conflict naming both, before scheduling.
  Workload other = deployment("other", 1, PodSpec{});
  other.template_spec.containers = {container("haproxy", {port(80, 80)})};
  cluster.workloads.push_back(other);
  auto conflicts = withCheck(checkHostPorts(cluster), check::kHostPortConflict);
  ASSERT_EQ(conflicts.size(), 1U);
  EXPECT_EQ(conflicts[0].severity, Severity::Medium);
  EXPECT_EQ(
      conflicts[0].title,
      "Deployment/default/other and Deployment/default/web take host port 80/TCP: they collide on any node "
      "where both are scheduled");
  EXPECT_EQ(conflicts[0].subjects.size(), 2U);
  EXPECT_TRUE(conflicts[0].nodes.empty());

  // Kept apart by nodeSelector, or bound to different host addresses: no collision.
  ClusterState apart = cluster;
  apart.workloads[0].template_spec.node_selector = {{"pool", "edge"}};
  apart.workloads[3].template_spec.node_selector = {{"pool", "lb"}};
  EXPECT_TRUE(withCheck(checkHostPorts(apart), check::kHostPortConflict).empty());
  ClusterState addresses = cluster;
  addresses.workloads[0].template_spec.containers[0].ports[0].host_ip = "10.0.0.1";
  addresses.workloads[3].template_spec.containers[0].ports[0].host_ip = "10.0.0.2";
  EXPECT_TRUE(withCheck(checkHostPorts(addresses), check::kHostPortConflict).empty());

  // With nodes, the capacity check counts them instead of saying what is needed.
  cluster.nodes = {node("n1"), node("n2")};
  for (const auto& finding : withCheck(checkHostPorts(cluster), check::kHostPortCapacity)) {
    EXPECT_THAT(finding.title, Not(HasSubstr("needs"))) << finding.title;
    EXPECT_EQ(finding.severity, Severity::High);
  }
}

// Test DNS policy: ClusterFirst and unset are reported on hostNetwork, ClusterFirstWithHostNet and pod
// networking are not.
TEST(HostPortChecksTest, DnsPolicy) {
  auto dnsFindings = [](bool host_network, const std::string& policy) {
    ClusterState cluster;
    PodSpec spec = hostNetworkSpec({container("app")}, policy);
    spec.host_network = host_network;
    cluster.pods = {barePod("app", spec, "n1")};
    return withCheck(checkHostPorts(cluster), check::kDnsPolicy).size();
  };
  EXPECT_EQ(dnsFindings(true, "ClusterFirst"), 1U);
  EXPECT_EQ(dnsFindings(true, ""), 1U);
  EXPECT_EQ(dnsFindings(true, "ClusterFirstWithHostNet"), 0U);
  EXPECT_EQ(dnsFindings(true, "Default"), 0U);
  EXPECT_EQ(dnsFindings(false, "ClusterFirst"), 0U);
}

// A kubeadm control plane's kube-apiserver: its mirror pod on `node`, as the kubelet names and owns it.
Pod mirrorPod(const std::string& name, const std::string& node_name, const std::string& source = "file") {
  Pod pod = barePod(name + "-" + node_name, hostNetworkSpec({container(name)}, "ClusterFirst"), node_name,
                    "kube-system");
  pod.owner = ObjectRef{"Node", "kube-system", node_name};
  pod.mirror = true;
  pod.config_source = source;
  return pod;
}

// Test that static pods are one unit per manifest name (the mirror's name without "-<node>"), of kind
// StaticPod, and that their Kubernetes fixes edit the manifest file on the node instead of patching the Node.
TEST(HostPortChecksTest, StaticPodsAreNamedAndFixedInTheirManifest) {
  ClusterState cluster;
  cluster.nodes = {node("cp-1"), node("cp-2")};
  cluster.pods = {mirrorPod("kube-apiserver", "cp-1"), mirrorPod("kube-apiserver", "cp-2")};
  cluster.node_sockets = {{"cp-1", {socket(6443, "kube-apiserver", "*")}, {"cp-1.txt", 0}}};
  const auto model = buildHostPortModel(cluster);
  ASSERT_EQ(model.units.size(), 1U);
  EXPECT_EQ(model.units[0].identity.key(), "StaticPod/kube-system/kube-apiserver");
  EXPECT_EQ(model.units[0].pods.size(), 2U);
  EXPECT_EQ(staticPodName(cluster.pods[0]), "kube-apiserver");

  const auto findings = checkHostPorts(cluster);
  const auto undeclared = withCheck(findings, check::kHostPortUndeclared);
  ASSERT_EQ(undeclared.size(), 1U);
  const auto dns = withCheck(findings, check::kDnsPolicy);
  ASSERT_EQ(dns.size(), 1U);
  for (const Finding& finding : {undeclared[0], dns[0]}) {
    SCOPED_TRACE(finding.title);
    EXPECT_EQ(finding.subjects.front().key(), "StaticPod/kube-system/kube-apiserver");
    EXPECT_TRUE(hasEvidence(finding, "manifest",
                            "the kubelet runs it from /etc/kubernetes/manifests/kube-apiserver.yaml on each "
                            "of nodes cp-1, cp-2"));
    ASSERT_FALSE(finding.fixes.empty());
    for (const auto& fix : finding.fixes) {
      EXPECT_EQ(fix.tool, "static-pod-manifest");
      EXPECT_THAT(fix.title, HasSubstr("edit /etc/kubernetes/manifests/kube-apiserver.yaml"));
      EXPECT_THAT(fix.content, HasSubstr("# In /etc/kubernetes/manifests/kube-apiserver.yaml"));
      EXPECT_THAT(fix.content, Not(HasSubstr("template")));
      EXPECT_THAT(fix.content, Not(HasSubstr("kubectl")));
    }
  }
  EXPECT_THAT(dns[0].fixes[0].content, HasSubstr("spec:\n  dnsPolicy: ClusterFirstWithHostNet\n"));
  EXPECT_THAT(undeclared[0].fixes[0].content, HasSubstr("containerPort: 6443"));

  // A manifest served over HTTP (config.source http) is not a file on the node.
  ClusterState http;
  http.pods = {mirrorPod("kube-vip", "cp-1", "http")};
  const auto vip = withCheck(checkHostPorts(http), check::kDnsPolicy);
  ASSERT_EQ(vip.size(), 1U);
  EXPECT_THAT(vip[0].fixes[0].content, HasSubstr("--manifest-url"));
  EXPECT_THAT(vip[0].fixes[0].content, Not(HasSubstr("/etc/kubernetes/manifests")));
}

// Test which names in a pod's configuration may be cluster names: .svc and .cluster.local names, and
// two-label names that may be "<service>.<namespace>"; never addresses, versions or a token issuer flag.
TEST(HostPortChecksTest, ClusterNameCandidates) {
  EXPECT_EQ(clusterNameCandidates("http://prometheus.monitoring.svc:9090/api/v1/write"),
            (std::vector<std::string>{"prometheus.monitoring.svc"}));
  EXPECT_EQ(clusterNameCandidates("endpoint: otel-collector.observability:4317"),
            (std::vector<std::string>{"otel-collector.observability"}));
  EXPECT_EQ(clusterNameCandidates("https://Kubernetes.Default.svc.cluster.local."),
            (std::vector<std::string>{"kubernetes.default.svc.cluster.local"}));
  EXPECT_TRUE(clusterNameCandidates("--etcd-servers=https://127.0.0.1:2379 v1.29.2 10.96.0.0/12").empty());
  EXPECT_TRUE(
      clusterNameCandidates("--service-account-issuer=https://kubernetes.default.svc.cluster.local").empty());
  EXPECT_TRUE(clusterNameCandidates("--api-audiences=https://kubernetes.default.svc").empty());
  EXPECT_TRUE(clusterNameCandidates("/var/log/pods/*/*/*.log").empty());
  EXPECT_EQ(clusterNameCandidates("a.b c.d e.f", 2).size(), 2U);
}

// Test that hostnetwork.dns-policy is medium only with evidence that the pods resolve cluster names (a .svc
// name in env, a Service's <name>.<namespace> in a ConfigMap it mounts), citing where; info otherwise,
// worded as a risk, and saying which mounted ConfigMaps were not given.
TEST(HostPortChecksTest, DnsPolicySeverityFollowsEvidence) {
  auto agent = [](const std::string& name, std::vector<NameMention> mentions, std::vector<std::string> maps) {
    Container c = container(name);
    c.name_mentions = std::move(mentions);
    PodSpec spec = hostNetworkSpec({c}, "ClusterFirst");
    spec.config_maps = std::move(maps);
    Workload w = deployment(name, 1, spec, "agents");
    w.kind = WorkloadKind::DaemonSet;
    w.replicas.reset();
    return w;
  };
  ClusterState cluster;
  cluster.workloads = {
      agent("node-exporter", {{"path.procfs", "args of container node-exporter"}}, {}),
      agent("shipper", {{"prometheus.monitoring.svc", "env PROMETHEUS_URL of container shipper"}}, {}),
      agent("otel", {}, {"otel-config", "missing-config"}),
      agent("lookalike", {{"web.shop", "args of container lookalike"}}, {}),
  };
  cluster.config_maps = {
      {"agents",
       "otel-config",
       {{"collector.observability", "ConfigMap agents/otel-config key relay"}},
       {"cm.json", 3}},
      // Same name, other namespace: not the one the pods mount.
      {"other", "missing-config", {{"x.svc", "ConfigMap other/missing-config key k"}}, {"cm.json", 9}}};
  cluster.services = {{"Service", "observability", "collector"}};
  std::map<std::string, Finding> by_workload;
  for (const auto& finding : withCheck(checkHostPorts(cluster), check::kDnsPolicy))
    by_workload.emplace(finding.subjects.front().name, finding);
  ASSERT_EQ(by_workload.size(), 4U);

  const Finding& exporter = by_workload.at("node-exporter");
  EXPECT_EQ(exporter.severity, Severity::Info);
  EXPECT_THAT(exporter.title, HasSubstr("would not resolve cluster names if it ever needs to"));
  EXPECT_EQ(exporter.fixes.size(), 2U);  // still offered

  const Finding& shipper = by_workload.at("shipper");
  EXPECT_EQ(shipper.severity, Severity::Medium);
  EXPECT_TRUE(
      hasEvidence(shipper, "manifest",
                  "names the cluster name prometheus.monitoring.svc in env PROMETHEUS_URL of container "
                  "shipper"));

  const Finding& otel = by_workload.at("otel");
  EXPECT_EQ(otel.severity, Severity::Medium);
  EXPECT_TRUE(
      hasEvidence(otel, "manifest", "collector.observability in ConfigMap agents/otel-config key relay"));
  const auto cited = std::find_if(otel.evidence.begin(), otel.evidence.end(), [](const Evidence& e) {
    return e.text.find("relay") != std::string::npos;
  });
  ASSERT_NE(cited, otel.evidence.end());
  EXPECT_EQ(cited->source.file, "cm.json");

  // "web.shop" is not a Service read: no evidence.
  EXPECT_EQ(by_workload.at("lookalike").severity, Severity::Info);
  cluster.services.push_back({"Service", "shop", "web"});
  for (const auto& finding : withCheck(checkHostPorts(cluster), check::kDnsPolicy)) {
    if (finding.subjects.front().name == "lookalike") EXPECT_EQ(finding.severity, Severity::Medium);
  }
  // The ConfigMap not given is named; without it nothing is evidence.
  cluster.config_maps.erase(cluster.config_maps.begin());
  for (const auto& finding : withCheck(checkHostPorts(cluster), check::kDnsPolicy)) {
    if (finding.subjects.front().name != "otel") continue;
    EXPECT_EQ(finding.severity, Severity::Info);
    EXPECT_THAT(finding.detail, HasSubstr("ConfigMaps otel-config, missing-config"));
  }
}

// Test that a socket is attributed by image base name and that processes of other workloads stay the node's.
TEST(HostPortChecksTest, SocketAttribution) {
  EXPECT_EQ(imageBaseName("registry.example.com:5000/team/nginx:1.25@sha256:abc"), "nginx");
  EXPECT_EQ(imageBaseName("nginx"), "nginx");
  ClusterState cluster;
  cluster.nodes = {node("n1")};
  Container web = container("web");
  web.image = "docker.io/library/nginx:alpine";
  cluster.pods = {barePod("web", hostNetworkSpec({web}), "n1")};
  cluster.node_sockets = {{"n1", {socket(8080, "nginx")}, {"n1.txt", 0}}};
  const auto model = buildHostPortModel(cluster);
  ASSERT_EQ(model.uses.size(), 1U);
  EXPECT_TRUE(model.uses[0].socket);
  EXPECT_EQ(model.uses[0].container, "web");
}

// Test that process names are matched to containers as ss prints them: '-' and '_' and case aside, against
// the container's name or its image's repository base name, and cut to the kernel's 15 characters.
TEST(HostPortChecksTest, SocketAttributionNormalisesProcessNames) {
  auto attributedTo = [](Container container, const std::string& process) -> std::string {
    ClusterState cluster;
    cluster.nodes = {node("n1")};
    cluster.pods = {barePod("p", hostNetworkSpec({std::move(container)}), "n1")};
    cluster.node_sockets = {{"n1", {socket(9100, process)}, {"n1.txt", 0}}};
    const auto model = buildHostPortModel(cluster);
    for (const auto& use : model.uses) {
      if (use.socket) return use.container;
    }
    return "";
  };
  Container exporter = container("exporter");
  exporter.image = "quay.io/prometheus/node-exporter:v1.8.2";
  EXPECT_EQ(attributedTo(exporter, "node_exporter"), "exporter");  // by the image's base name
  EXPECT_EQ(attributedTo(container("kube-proxy"), "kube_proxy"), "kube-proxy");
  EXPECT_EQ(attributedTo(container("Kube-Proxy"), "kube-proxy"), "Kube-Proxy");
  EXPECT_EQ(attributedTo(container("kube-controller-manager"), "kube-controller"), "kube-controller-manager");
  EXPECT_EQ(attributedTo(container("kube-controller-manager"), "kube-control"), "");  // not a 15-char cut
  EXPECT_EQ(attributedTo(container("node-exporter-sidecar"), "node_exporter"), "");
}

// Test that a socket on a port a hostNetwork container declares, which could not be matched to it, says why
// in the evidence of the finding it leads to.
TEST(HostPortChecksTest, UnmatchedSocketSaysWhy) {
  auto reservedEvidence = [](std::vector<SocketProcess> processes) {
    ClusterState cluster;
    cluster.nodes = {node("n1")};
    Container exporter = container("metrics", {port(9100, 9100)});
    exporter.image = "registry.example.com/exporter:2";
    cluster.pods = {barePod("p", hostNetworkSpec({exporter}), "n1")};
    ListeningSocket listening = socket(9100, "x");
    listening.processes = std::move(processes);
    cluster.node_sockets = {{"n1", {listening}, {"n1.txt", 0}}};
    const auto reserved = withCheck(checkHostPorts(cluster), check::kHostPortReserved);
    std::string text;
    for (const auto& finding : reserved) {
      for (const auto& evidence : finding.evidence) {
        if (evidence.kind == "node") text += evidence.text;
      }
    }
    return text;
  };
  EXPECT_THAT(reservedEvidence({{"node_exporter", 2231}}),
              HasSubstr("not matched to a container: no hostNetwork container on the node is named like the "
                        "process, by its name or its image's (default/p/metrics (exporter))"));
  EXPECT_THAT(reservedEvidence({}), HasSubstr("the listing names no process"));
}

}  // namespace
}  // namespace sgaudit::core
