#include "sgaudit/cloud/kubernetes/kubectl_json.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "cloud/fixtures.hpp"
#include "cloud/model_dump.hpp"

namespace sgaudit::cloud::kubernetes {
namespace {

using core::PortProtocol;
using core::WorkloadKind;
using test::readTestData;

KubernetesObjects readOk(std::string_view text, std::string_view source = "test.json") {
  auto parsed = readKubectlJson(text, source);
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().toString());
  return parsed.ok() ? std::move(parsed).value() : KubernetesObjects{};
}

std::string readError(std::string_view text, std::string_view source = "pods.json") {
  auto parsed = readKubectlJson(text, source);
  EXPECT_FALSE(parsed.ok());
  return parsed.ok() ? "" : parsed.error().toString();
}

// A List whose only item is a Pod with `container` as its single container.
std::string podListWith(const std::string& container) {
  return R"({"kind":"List","items":[{"kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[)" +
         container + "]}}]}";
}

// Test that a Pod list fills every field the model has: owner, ports, init containers, affinity, status.
TEST(KubectlJsonTest, PodListFillsTheModel) {
  const auto objects = readOk(readTestData("kubernetes/pods.json"), "pods.json");
  ASSERT_EQ(objects.pods.size(), 3u);
  const core::Pod& edge = objects.pods[0];
  EXPECT_EQ(edge.namespace_name, "edge");
  EXPECT_EQ(edge.name, "ingress-edge-x7k2p");
  EXPECT_EQ(edge.uid, "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e");
  EXPECT_EQ(edge.labels.at("app"), "ingress-edge");
  ASSERT_TRUE(edge.owner);
  EXPECT_EQ(edge.owner->kind, "DaemonSet");
  EXPECT_EQ(edge.owner->name, "ingress-edge");
  EXPECT_EQ(edge.owner->namespace_name, "edge");
  EXPECT_EQ(edge.source.file, "pods.json");

  const core::PodSpec& spec = edge.spec;
  EXPECT_TRUE(spec.host_network);
  EXPECT_EQ(spec.dns_policy, "ClusterFirstWithHostNet");
  EXPECT_EQ(spec.node_name, "10.1.0.55");
  EXPECT_EQ(spec.node_selector,
            (core::Labels{{"kubernetes.io/os", "linux"}, {"node-role.kubernetes.io/edge", ""}}));
  ASSERT_EQ(spec.required_node_affinity.size(), 2u);
  const auto& term = spec.required_node_affinity[0];
  ASSERT_EQ(term.match_expressions.size(), 2u);
  EXPECT_EQ(term.match_expressions[0].key, "node-role.kubernetes.io/edge");
  EXPECT_EQ(term.match_expressions[0].op, "Exists");
  EXPECT_TRUE(term.match_expressions[0].values.empty());
  EXPECT_EQ(term.match_expressions[1].values, (std::vector<std::string>{"amd64", "arm64"}));
  ASSERT_EQ(term.match_fields.size(), 1u);
  EXPECT_EQ(term.match_fields[0].key, "metadata.name");
  EXPECT_EQ(term.match_fields[0].values, std::vector<std::string>{"10.1.0.55"});
  EXPECT_EQ(spec.required_node_affinity[1].match_expressions[0].key, "edge");
  EXPECT_TRUE(spec.hostname_anti_affinity);

  ASSERT_EQ(spec.tolerations.size(), 3u);
  EXPECT_EQ(spec.tolerations[0].key, "dedicated");
  EXPECT_EQ(spec.tolerations[0].op, "Equal");  // the API default
  EXPECT_EQ(spec.tolerations[0].value, "edge");
  EXPECT_EQ(spec.tolerations[0].effect, "NoSchedule");
  EXPECT_EQ(spec.tolerations[1].key, "");
  EXPECT_EQ(spec.tolerations[1].op, "Exists");
  EXPECT_EQ(spec.tolerations[1].effect, "");

  ASSERT_EQ(spec.containers.size(), 3u);
  const core::Container& main = spec.containers[0];
  EXPECT_EQ(main.name, "edge");
  EXPECT_FALSE(main.init);
  ASSERT_EQ(main.ports.size(), 4u);
  EXPECT_EQ(main.ports[0].name, "https");
  EXPECT_EQ(main.ports[0].container_port, 443);
  EXPECT_EQ(main.ports[0].host_port, 443);
  EXPECT_EQ(main.ports[0].protocol, PortProtocol::Tcp);
  EXPECT_EQ(main.ports[1].host_ip, "10.1.0.55");
  EXPECT_EQ(main.ports[1].protocol, PortProtocol::Tcp);  // the default
  EXPECT_EQ(main.ports[2].protocol, PortProtocol::Udp);
  EXPECT_FALSE(main.ports[2].host_port);  // not defaulted here, even with hostNetwork
  EXPECT_FALSE(main.ports[3].host_port);  // hostPort 0 means unset in the API
  EXPECT_EQ(spec.containers[1].name, "sysctl");
  EXPECT_TRUE(spec.containers[1].init);
  EXPECT_FALSE(spec.containers[1].sidecar);
  EXPECT_EQ(spec.containers[2].name, "log-shipper");
  EXPECT_TRUE(spec.containers[2].init);
  EXPECT_TRUE(spec.containers[2].sidecar);
  EXPECT_EQ(spec.containers[2].ports[0].protocol, PortProtocol::Sctp);

  EXPECT_EQ(edge.phase, "Running");
  EXPECT_EQ(edge.host_ip, "10.1.0.55");
  ASSERT_EQ(edge.container_states.size(), 2u);
  EXPECT_TRUE(edge.container_states[0].ready);
  EXPECT_EQ(edge.container_states[1].name, "sysctl");

  const core::Pod& api = objects.pods[1];
  EXPECT_EQ(api.spec.dns_policy, "");  // unset stays empty
  EXPECT_FALSE(api.spec.host_network);
  EXPECT_EQ(api.owner->kind, "ReplicaSet");
  ASSERT_EQ(api.container_states.size(), 1u);
  EXPECT_EQ(api.container_states[0].restart_count, 7);
  EXPECT_EQ(api.container_states[0].waiting_reason, "CrashLoopBackOff");
  EXPECT_EQ(api.container_states[0].last_terminated_reason, "Error");
  EXPECT_EQ(api.container_states[0].last_exit_code, 1);

  EXPECT_FALSE(objects.pods[2].owner);
  EXPECT_EQ(objects.pods[2].phase, "Pending");
  EXPECT_TRUE(objects.skipped_kinds.empty());
}

// Test that a Node list gives provider ids, addresses by type, taints, readiness and cordoning.
// Test that a List with more items than the object budget is refused at the first item over it, while it is
// streamed: 200,000 minimal pods (2.6 MB) never become 200,000 objects in memory (issue 23).
TEST(KubectlJsonTest, ObjectBudgetStopsAHugeListWhileItIsRead) {
  std::string text = R"({"apiVersion":"v1","kind":"PodList","items":[)";
  for (int i = 0; i < 200000; ++i)
    text += std::string(i > 0 ? "," : "") + R"({"metadata":{"name":"p)" + std::to_string(i) + R"("}})";
  text += "]}";
  ReadLimits limits;
  limits.max_objects = 1000;
  std::istringstream in(text);
  const auto parsed = readKubectlJson(in, "pods.json", limits);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().toString(),
            "pods.json: /items/1000: more than 1000 objects (the object budget, --max-objects)");
  limits.max_objects = 200000;
  std::istringstream again(text);
  const auto within = readKubectlJson(again, "pods.json", limits);
  ASSERT_TRUE(within.ok()) << within.error().toString();
  EXPECT_EQ(within.value().pods.size(), 200000u);
  // An already parsed document is held to the same budget.
  limits.max_objects = 10;
  const auto document = readKubectlJsonDocument(nlohmann::json::parse(text), "pods.json", limits);
  ASSERT_FALSE(document.ok());
  EXPECT_EQ(document.error().where, "/items/10");
}

TEST(KubectlJsonTest, NodeListFillsTheModel) {
  const auto objects = readOk(readTestData("kubernetes/nodes.json"));
  ASSERT_EQ(objects.nodes.size(), 2u);
  const core::Node& first = objects.nodes[0];
  EXPECT_EQ(first.name, "ip-10-0-1-17.ec2.internal");
  EXPECT_EQ(first.provider_id, "aws:///us-east-1a/i-0abc123def4567890");
  EXPECT_EQ(first.internal_ips, std::vector<std::string>{"10.0.1.17"});
  EXPECT_EQ(first.external_ips, std::vector<std::string>{"54.12.34.56"});
  EXPECT_EQ(first.labels.at("kubernetes.io/hostname"), "ip-10-0-1-17");
  ASSERT_EQ(first.taints.size(), 2u);
  EXPECT_EQ(first.taints[0].key, "dedicated");
  EXPECT_EQ(first.taints[0].value, "edge");
  EXPECT_EQ(first.taints[0].effect, "NoSchedule");
  EXPECT_EQ(first.taints[1].effect, "NoExecute");
  EXPECT_FALSE(first.ready);  // Ready=Unknown
  EXPECT_TRUE(first.unschedulable);
  const core::Node& second = objects.nodes[1];
  EXPECT_EQ(second.internal_ips, (std::vector<std::string>{"10.0.2.9", "fd00::9"}));
  EXPECT_TRUE(second.ready);
  EXPECT_FALSE(second.unschedulable);
}

// Test that `kubectl get all` mixes every workload kind and counts the kinds we do not model.
TEST(KubectlJsonTest, GetAllMixesKindsAndCountsTheOthers) {
  const auto objects = readOk(readTestData("kubernetes/get-all.json"));
  EXPECT_EQ(objects.pods.size(), 1u);
  EXPECT_EQ(objects.skipped_kinds, (std::map<std::string, int>{{"HorizontalPodAutoscaler", 1}}));
  EXPECT_EQ(objects.services.size(), 2u);  // read for their DNS names (hostnetwork.dns-policy)
  ASSERT_EQ(objects.workloads.size(), 6u);

  const core::Workload& daemons = objects.workloads[0];
  EXPECT_EQ(daemons.kind, WorkloadKind::DaemonSet);
  EXPECT_EQ(daemons.namespace_name, "monitoring");
  EXPECT_FALSE(daemons.replicas);
  EXPECT_EQ(daemons.strategy_type, "RollingUpdate");
  EXPECT_EQ(daemons.max_surge, "0");  // integers become text
  EXPECT_EQ(daemons.max_unavailable, "1");
  EXPECT_EQ(daemons.ready_replicas, 2);
  EXPECT_EQ(daemons.available_replicas, 2);
  EXPECT_EQ(daemons.annotations, (core::Labels{{"sgaudit.io/required-sources", "0.0.0.0/0"}}));
  EXPECT_TRUE(daemons.template_spec.host_network);
  EXPECT_EQ(daemons.template_spec.containers[0].ports[0].host_port, 9100);

  const core::Workload& web = objects.workloads[1];
  EXPECT_EQ(web.kind, WorkloadKind::Deployment);
  EXPECT_EQ(web.replicas, 3);
  EXPECT_EQ(web.selector, (core::Labels{{"app", "web"}}));
  EXPECT_EQ(web.template_labels, (core::Labels{{"app", "web"}, {"tier", "frontend"}}));
  EXPECT_EQ(web.max_surge, "1");
  EXPECT_EQ(web.max_unavailable, "25%");
  EXPECT_EQ(web.ready_replicas, 2);
  EXPECT_EQ(web.available_replicas, 2);
  EXPECT_FALSE(web.template_spec.hostname_anti_affinity);  // the zone is not the hostname
  EXPECT_EQ(web.annotations, (core::Labels{{"sgaudit.io/expose", "internet"}}));

  const core::Workload& replicas = objects.workloads[2];
  EXPECT_EQ(replicas.kind, WorkloadKind::ReplicaSet);
  ASSERT_TRUE(replicas.owner);
  EXPECT_EQ(replicas.owner->kind, "Deployment");
  EXPECT_EQ(replicas.owner->name, "web");
  EXPECT_EQ(replicas.strategy_type, "");

  const core::Workload& kafka = objects.workloads[3];
  EXPECT_EQ(kafka.kind, WorkloadKind::StatefulSet);
  EXPECT_FALSE(kafka.replicas);  // absent, not 1
  EXPECT_EQ(kafka.strategy_type, "OnDelete");
  EXPECT_EQ(kafka.template_spec.dns_policy, "ClusterFirst");
  EXPECT_FALSE(kafka.ready_replicas);

  const core::Workload& cron = objects.workloads[4];
  EXPECT_EQ(cron.kind, WorkloadKind::CronJob);
  EXPECT_EQ(cron.replicas, 2);  // jobTemplate parallelism
  EXPECT_EQ(cron.template_labels, (core::Labels{{"job", "probe"}}));
  ASSERT_EQ(cron.template_spec.containers.size(), 1u);
  EXPECT_EQ(cron.template_spec.containers[0].ports[0].protocol, PortProtocol::Udp);

  const core::Workload& job = objects.workloads[5];
  EXPECT_EQ(job.kind, WorkloadKind::Job);
  EXPECT_EQ(job.replicas, 1);
  EXPECT_EQ(job.owner->kind, "CronJob");
  EXPECT_EQ(job.ready_replicas, 0);
}

// Test that a single object (not a List) is read, whatever order its keys come in.
TEST(KubectlJsonTest, SingleObjectIsRead) {
  const auto objects = readOk(R"({"spec":{"hostNetwork":true,"containers":[{"name":"c"}]},
    "metadata":{"name":"solo","namespace":"ns"},"kind":"Pod","apiVersion":"v1"})");
  ASSERT_EQ(objects.pods.size(), 1u);
  EXPECT_EQ(objects.pods[0].name, "solo");
  EXPECT_TRUE(objects.pods[0].spec.host_network);

  const auto deployment = readOk(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},
    "spec":{"template":{"spec":{"containers":[{"name":"c","ports":[{"containerPort":80}]}]}}}})");
  ASSERT_EQ(deployment.workloads.size(), 1u);
  EXPECT_FALSE(deployment.workloads[0].replicas);
  EXPECT_EQ(deployment.workloads[0].template_spec.containers[0].ports[0].container_port, 80);
}

// Test that a single object of a kind we do not model is counted, and an empty List is no error.
TEST(KubectlJsonTest, UnmodelledObjectAndEmptyListAreNotErrors) {
  const auto secret =
      readOk(R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"data":{"k":"eA=="}})");
  EXPECT_EQ(secret.skipped_kinds, (std::map<std::string, int>{{"Secret", 1}}));
  const auto empty =
      readOk(R"({"apiVersion":"v1","items":[],"kind":"List","metadata":{"resourceVersion":""}})");
  EXPECT_TRUE(empty.pods.empty() && empty.nodes.empty() && empty.workloads.empty());
  const auto typed = readOk(R"({"kind":"PodList","items":[{"kind":"Pod","metadata":{"name":"a"}}]})");
  EXPECT_EQ(typed.pods.size(), 1u);
}

// Test that the streamed reader, the stream overload and the in-memory document give the same model.
TEST(KubectlJsonTest, StreamedAndInMemoryPathsAgree) {
  for (const char* file : {"kubernetes/pods.json", "kubernetes/nodes.json", "kubernetes/get-all.json",
                           "scenarios/cce-seed/pods.json", "scenarios/cce-seed/nodes.json",
                           "scenarios/cce-seed/deployments.json", "kubernetes/api/pods.json",
                           "kubernetes/api/pods-sorted.json", "kubernetes/api/daemonsets.json",
                           "kubernetes/static-pods/pods.json", "kubernetes/dns-policy/daemonsets.json",
                           "kubernetes/dns-policy/configmaps.json", "kubernetes/dns-policy/services.json"}) {
    SCOPED_TRACE(file);
    const std::string text = readTestData(file);
    auto streamed = readKubectlJson(text, "x");
    std::istringstream in(text);
    auto from_stream = readKubectlJson(in, "x");
    auto in_memory = readKubectlJsonDocument(nlohmann::json::parse(text), "x");
    ASSERT_TRUE(streamed.ok() && from_stream.ok() && in_memory.ok());
    EXPECT_EQ(test::dumpObjects(streamed.value()), test::dumpObjects(in_memory.value()));
    EXPECT_EQ(test::dumpObjects(streamed.value()), test::dumpObjects(from_stream.value()));
  }
}

// Test that a static pod's mirror, as `kubectl get pods -n kube-system -o json` prints it on a kubeadm
// control plane (owned by its Node, annotated kubernetes.io/config.mirror and config.source), is told from
// other pods, and that only the kubelet's two annotations are kept besides ours.
TEST(KubectlJsonTest, StaticPodMirrorsAreMarked) {
  const auto objects = readOk(readTestData("kubernetes/static-pods/pods.json"), "pods.json");
  ASSERT_EQ(objects.pods.size(), 3u);
  for (const auto& pod : objects.pods) {
    SCOPED_TRACE(pod.name);
    EXPECT_TRUE(pod.mirror);
    EXPECT_EQ(pod.config_source, "file");
    ASSERT_TRUE(pod.owner);
    EXPECT_EQ(pod.owner->kind, "Node");
  }
  // The annotation alone marks a mirror; the Node owner alone too; neither is an ordinary pod.
  const auto annotated = readOk(R"({"kind":"Pod","metadata":{"name":"kube-vip-cp-1","namespace":"kube-system",
    "annotations":{"kubernetes.io/config.mirror":"3f1c","kubernetes.io/config.source":"http"}}})");
  ASSERT_EQ(annotated.pods.size(), 1u);
  EXPECT_TRUE(annotated.pods[0].mirror);
  EXPECT_EQ(annotated.pods[0].config_source, "http");
  const auto owned = readOk(R"({"kind":"Pod","metadata":{"name":"etcd-cp-1","ownerReferences":[
    {"apiVersion":"v1","controller":true,"kind":"Node","name":"cp-1","uid":"u"}]}})");
  EXPECT_TRUE(owned.pods[0].mirror);
  const auto plain = readOk(readTestData("kubernetes/pods.json"), "pods.json");
  for (const auto& pod : plain.pods)
    EXPECT_FALSE(pod.mirror) << pod.name;
}

// Test that what may name a cluster DNS name is read (command, args and env values of each container, the
// ConfigMaps a pod mounts or reads into env, ConfigMaps' data, Services' names from the API server's
// ServiceList), and that text read only for those names may be longer than the string limit.
TEST(KubectlJsonTest, ClusterNamesInArgsEnvAndConfigMaps) {
  const auto daemons = readOk(readTestData("kubernetes/dns-policy/daemonsets.json"));
  ASSERT_EQ(daemons.workloads.size(), 3u);
  const auto& fluent = daemons.workloads[1].template_spec;
  ASSERT_EQ(fluent.containers.size(), 1u);
  // Every name that may be a cluster name is kept ("fluent-bit.conf" in args might be a Service "fluent-bit"
  // in a namespace "conf"); the audit weighs them against the Services read.
  std::map<std::string, std::string> mentions;
  for (const auto& mention : fluent.containers[0].name_mentions)
    mentions.emplace(mention.name, mention.where);
  EXPECT_EQ(mentions,
            (std::map<std::string, std::string>{
                {"fluent-bit.conf", "args of container fluent-bit"},
                {"prometheus.monitoring.svc", "env PROMETHEUS_REMOTE_WRITE_URL of container fluent-bit"}}));
  EXPECT_EQ(daemons.workloads[2].template_spec.config_maps, (std::vector<std::string>{"otel-agent-config"}));

  const auto maps = readOk(readTestData("kubernetes/dns-policy/configmaps.json"), "configmaps.json");
  ASSERT_EQ(maps.config_maps.size(), 2u);
  EXPECT_EQ(maps.config_maps[0].name, "otel-agent-config");
  ASSERT_FALSE(maps.config_maps[0].mentions.empty());
  EXPECT_EQ(maps.config_maps[0].mentions[0].name, "otel-collector.observability");
  EXPECT_EQ(maps.config_maps[0].mentions[0].where, "ConfigMap observability/otel-agent-config key relay");
  EXPECT_EQ(maps.config_maps[0].source.file, "configmaps.json");

  const auto services = readOk(readTestData("kubernetes/dns-policy/services.json"));
  ASSERT_EQ(services.services.size(), 2u);
  EXPECT_EQ(services.services[0].name, "otel-collector");
  EXPECT_EQ(services.services[0].namespace_name, "observability");

  // envFrom, valueFrom and projected volumes name ConfigMaps too, once each.
  const auto refs = readOk(R"({"kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c",
    "envFrom":[{"configMapRef":{"name":"a"}},{"secretRef":{"name":"s"}}],
    "env":[{"name":"X","valueFrom":{"configMapKeyRef":{"name":"b","key":"k"}}},{"name":"Y","value":"5"}]}],
    "volumes":[{"name":"v","configMap":{"name":"a"}},{"name":"w","projected":{"sources":[{"configMap":{"name":"c"}}]}}]}})");
  EXPECT_EQ(refs.pods[0].spec.config_maps, (std::vector<std::string>{"b", "a", "c"}));  // as met: env first

  // A Grafana dashboard of 70 kB in a ConfigMap, a long script in args: read, both paths alike.
  const std::string huge(70000, 'a');
  const std::string long_text = R"({"kind":"List","items":[{"kind":"ConfigMap","metadata":{"name":"dash"},
    "data":{"d.json":")" + huge +
                                R"( http://loki.logging.svc:3100"}},
    {"kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","args":[")" +
                                huge + R"("]}]}}]})";
  const auto streamed = readOk(long_text);
  ASSERT_EQ(streamed.config_maps.size(), 1u);
  ASSERT_EQ(streamed.config_maps[0].mentions.size(), 1u);
  EXPECT_EQ(streamed.config_maps[0].mentions[0].name, "loki.logging.svc");
  auto in_memory = readKubectlJsonDocument(nlohmann::json::parse(long_text), "test.json");
  ASSERT_TRUE(in_memory.ok()) << in_memory.error().toString();
  EXPECT_EQ(test::dumpObjects(streamed), test::dumpObjects(in_memory.value()));
  // Wrong types are still refused, with the pointer.
  EXPECT_EQ(readError(R"({"kind":"ConfigMap","metadata":{"name":"m"},"data":{"k":5}})"),
            "pods.json: /data/k: expected a string, got 5");
  EXPECT_EQ(readError(podListWith(R"({"name":"c","args":["ok",7]})")),
            "pods.json: /items/0/spec/containers/0/args/1: expected a string, got 7");
}

// Test that the cce-seed scenario reads as its README describes.
TEST(KubectlJsonTest, CceSeedScenario) {
  const auto dir = test::testDataDir() / "scenarios/cce-seed";
  auto pods = readKubectlJsonFile(dir / "pods.json");
  ASSERT_TRUE(pods.ok()) << pods.error().toString();
  ASSERT_EQ(pods.value().pods.size(), 2u);
  int crash_looping = 0;
  for (const auto& pod : pods.value().pods) {
    EXPECT_TRUE(pod.spec.host_network);
    EXPECT_EQ(pod.spec.dns_policy, "ClusterFirst");
    EXPECT_EQ(pod.spec.node_name, "10.1.0.55");
    EXPECT_EQ(pod.owner->kind, "ReplicaSet");
    EXPECT_EQ(pod.owner->name, "nginx-6fdf99c8b");
    ASSERT_EQ(pod.spec.containers.size(), 1u);
    EXPECT_TRUE(pod.spec.containers[0].ports.empty());
    EXPECT_EQ(pod.source.file, (dir / "pods.json").string());
    for (const auto& state : pod.container_states) {
      if (state.waiting_reason == "CrashLoopBackOff") {
        ++crash_looping;
        EXPECT_EQ(pod.name, "nginx-6fdf99c8b-rglm7");
        EXPECT_EQ(state.restart_count, 13);
      }
    }
  }
  EXPECT_EQ(crash_looping, 1);

  auto nodes = readKubectlJsonFile(dir / "nodes.json");
  ASSERT_TRUE(nodes.ok()) << nodes.error().toString();
  ASSERT_EQ(nodes.value().nodes.size(), 1u);
  EXPECT_EQ(nodes.value().nodes[0].name, "10.1.0.55");
  EXPECT_EQ(nodes.value().nodes[0].provider_id, "0f6d2e7a-93b1-4c8e-b0d5-2a7c4e9f1b36");
  EXPECT_EQ(nodes.value().nodes[0].internal_ips, std::vector<std::string>{"10.1.0.55"});
  EXPECT_TRUE(nodes.value().nodes[0].ready);

  auto deployments = readKubectlJsonFile(dir / "deployments.json");
  ASSERT_TRUE(deployments.ok()) << deployments.error().toString();
  ASSERT_EQ(deployments.value().workloads.size(), 1u);
  const auto& nginx = deployments.value().workloads[0];
  EXPECT_EQ(nginx.kind, WorkloadKind::Deployment);
  EXPECT_EQ(nginx.namespace_name, "default");
  EXPECT_EQ(nginx.replicas, 2);
  EXPECT_EQ(nginx.ready_replicas, 1);
  EXPECT_EQ(nginx.available_replicas, 1);
  EXPECT_EQ(nginx.max_surge, "25%");
  EXPECT_TRUE(nginx.template_spec.host_network);
  EXPECT_TRUE(nginx.annotations.empty());  // only sgaudit.io/* annotations are kept
}

// Test that a wrong type at a field we read names the file, the JSON pointer and what was expected.
TEST(KubectlJsonTest, WrongTypesNameThePointer) {
  const std::string three_pods = R"({"kind":"Pod"},{"kind":"Pod"},{"kind":"Pod"},)";
  EXPECT_EQ(
      readError(
          R"({"kind":"List","items":[)" + three_pods +
          R"({"kind":"Pod","spec":{"containers":[{"name":"c","ports":[{"containerPort":"http"}]}]}}]})"),
      "pods.json: /items/3/spec/containers/0/ports/0/containerPort: expected an integer 1-65535, got "
      "\"http\"");
  EXPECT_EQ(readError(podListWith(
                R"({"name":"c","ports":[{"containerPort":80},{"containerPort":80,"hostPort":70000}]})")),
            "pods.json: /items/0/spec/containers/0/ports/1/hostPort: expected an integer 1-65535, got 70000");
  EXPECT_EQ(readError(podListWith(R"({"ports":[{"containerPort":53,"protocol":"udp"}]})")),
            "pods.json: /items/0/spec/containers/0/ports/0/protocol: expected \"TCP\", \"UDP\" or \"SCTP\", "
            "got \"udp\"");
  EXPECT_EQ(readError(podListWith(R"({"ports":[{"name":"web"}]})")),
            "pods.json: /items/0/spec/containers/0/ports/0/containerPort: expected an integer 1-65535, got "
            "nothing");
  EXPECT_EQ(readError(podListWith(R"({"ports":{"containerPort":80}})")),
            "pods.json: /items/0/spec/containers/0/ports: expected an array, got an object");
  EXPECT_EQ(readError(podListWith(R"("nginx")")),
            "pods.json: /items/0/spec/containers/0: expected an object, got \"nginx\"");
  EXPECT_EQ(readError(R"({"kind":"Deployment","spec":{"replicas":"two"}})", "deploy.json"),
            "deploy.json: /spec/replicas: expected an integer >= 0, got \"two\"");
  EXPECT_EQ(readError(R"({"kind":"Deployment","spec":{"replicas":-1}})", "deploy.json"),
            "deploy.json: /spec/replicas: expected an integer >= 0, got -1");
  EXPECT_EQ(
      readError(R"({"kind":"Deployment","spec":{"strategy":{"rollingUpdate":{"maxSurge":true}}}})", "d.json"),
      "d.json: /spec/strategy/rollingUpdate/maxSurge: expected an integer or a percentage string, got true");
  EXPECT_EQ(readError(R"({"kind":"Deployment","spec":{"strategy":{"rollingUpdate":{"maxSurge":"a lot"}}}})",
                      "d.json"),
            "d.json: /spec/strategy/rollingUpdate/maxSurge: expected an integer or a percentage string like "
            "\"25%\", "
            "got \"a lot\"");
  EXPECT_EQ(
      readError(R"({"kind":"Deployment","spec":{"strategy":{"rollingUpdate":{"maxUnavailable":"2.5%"}}}})",
                "d.json"),
      "d.json: /spec/strategy/rollingUpdate/maxUnavailable: expected an integer or a percentage string like "
      "\"25%\", got \"2.5%\"");
  EXPECT_EQ(readError(R"({"kind":"Pod","metadata":{"labels":{"tier":1}}})"),
            "pods.json: /metadata/labels/tier: expected a string, got 1");
  EXPECT_EQ(readError(R"({"kind":"Pod","metadata":{"labels":{"a/b~c":1}}})"),
            "pods.json: /metadata/labels/a~1b~0c: expected a string, got 1");
  EXPECT_EQ(readError(R"({"kind":"Pod","spec":{"hostNetwork":"true"}})"),
            "pods.json: /spec/hostNetwork: expected true or false, got \"true\"");
  EXPECT_EQ(readError(R"({"kind":"Pod","metadata":{"ownerReferences":[{"controller":"yes"}]}})"),
            "pods.json: /metadata/ownerReferences/0/controller: expected true or false, got \"yes\"");
  EXPECT_EQ(readError(R"({"kind":"Node","spec":{"taints":[{"key":5}]}})", "nodes.json"),
            "nodes.json: /spec/taints/0/key: expected a string, got 5");
  EXPECT_EQ(readError(R"({"kind":"Pod","spec":"none"})"),
            "pods.json: /spec: expected an object, got \"none\"");
}

// Test that the document's shape is checked: kind present, items an array of objects, the root an object.
TEST(KubectlJsonTest, ShapeErrors) {
  EXPECT_EQ(readError(R"({"kind":"List","items":[{"kind":"Pod"},{"metadata":{"name":"x"}}]})"),
            "pods.json: /items/1/kind: expected a string naming the object's kind (only the items of a typed "
            "list such as PodList may leave it out)");
  EXPECT_EQ(readError(R"({"kind":"List","items":[{"kind":"Pod"},5]})"),
            "pods.json: /items/1: expected a Kubernetes object, got 5");
  EXPECT_EQ(readError(R"({"kind":"List","items":{"kind":"Pod"}})"),
            "pods.json: /items: expected an array of objects, got an object");
  EXPECT_EQ(readError(R"({"kind":"List","items":"none"})"),
            "pods.json: /items: expected an array of objects, got \"none\"");
  EXPECT_EQ(readError(R"([{"kind":"Pod"}])"),
            "pods.json: expected a Kubernetes object or a List, got an array");
  EXPECT_EQ(readError(R"(42)"), "pods.json: expected a Kubernetes object or a List, got 42");
  EXPECT_EQ(readError(R"({"kind":7})"), "pods.json: /kind: expected a string, got 7");
}

// Test that invalid JSON reports its line and column.
TEST(KubectlJsonTest, SyntaxErrorsGiveLineAndColumn) {
  EXPECT_EQ(
      readError("{\n  \"kind\": \"List\",\n  \"items\": [\n    {\"kind\": \"Pod\",}\n  ]\n}"),
      "pods.json: line 4, column 20: invalid JSON: syntax error while parsing object key - unexpected '}'; "
      "expected string literal");
  EXPECT_EQ(readError(""),
            "pods.json: line 1, column 1: invalid JSON: syntax error while parsing value - "
            "unexpected end of input; expected '[', '{', or a literal");
  EXPECT_EQ(readError(R"({"kind":"Pod"} {"kind":"Pod"})"),
            "pods.json: line 1, column 16: invalid JSON: syntax error while parsing value - unexpected '{'; "
            "expected end of input");
}

// Test that nesting beyond the limit is refused, also inside a subtree the reader skips.
TEST(KubectlJsonTest, DeepNestingIsRefused) {
  const std::string deep = std::string(100, '[') + std::string(100, ']');
  EXPECT_EQ(
      readError(R"({"kind":"List","items":[{"kind":"Pod","metadata":{"managedFields":)" + deep + "}}]}"),
      "pods.json: /items/0/metadata/managedFields: nesting deeper than 64 levels");
  std::string labels_pointer = "/metadata/labels";
  for (int i = 0; i < 61; ++i)
    labels_pointer += "/0";  // 64 levels are open when the 65th is refused
  EXPECT_EQ(readError(R"({"kind":"Pod","metadata":{"labels":)" + deep + "}}"),
            "pods.json: " + labels_pointer + ": nesting deeper than 64 levels");
  ReadLimits limits;
  limits.max_depth = 4;
  EXPECT_FALSE(readKubectlJson(R"({"kind":"Pod","spec":{"containers":[{"ports":[]}]}})", "x", limits).ok());
}

// Test that a kept string longer than the limit is refused, and a long string the model skips is not.
TEST(KubectlJsonTest, LongStringsAreRefusedWhereKept) {
  const std::string huge(70000, 'a');
  EXPECT_EQ(readError(R"({"kind":"List","items":[{"kind":"Pod","metadata":{"name":")" + huge + R"("}}]})"),
            "pods.json: /items/0/metadata/name: string of 70000 bytes is longer than the limit of 65536");
  EXPECT_EQ(readError(R"({"kind":"Pod","metadata":{"labels":{")" + huge + R"(":"x"}}})"),
            "pods.json: /metadata/labels: string of 70000 bytes is longer than the limit of 65536");
  const auto skipped = readOk(R"({"kind":"Pod","metadata":{"name":"p","annotations":{
    "kubectl.kubernetes.io/last-applied-configuration":")" +
                              huge + R"("}}})");
  EXPECT_EQ(skipped.pods.size(), 1u);
}

// Test that the sink form hands over one object at a time and stops at the first error.
TEST(KubectlJsonTest, SinkReceivesEachObject) {
  std::istringstream in(readTestData("kubernetes/get-all.json"));
  int calls = 0;
  KubernetesObjects all;
  const auto error = streamKubectlJson(in, "all.json", [&](KubernetesObjects&& objects) {
    ++calls;
    merge(all, std::move(objects));
  });
  EXPECT_FALSE(error);
  EXPECT_EQ(calls, 10);
  EXPECT_EQ(all.pods.size(), 1u);
  EXPECT_EQ(all.workloads.size(), 6u);
  EXPECT_EQ(all.skipped_kinds.size(), 1u);
  EXPECT_EQ(all.services.size(), 2u);

  std::istringstream bad(R"({"items":[{"kind":"Pod"},{"kind":"Pod","spec":{"nodeName":5}},{"kind":"Pod"}]})");
  calls = 0;
  const auto failure = streamKubectlJson(bad, "bad.json", [&](KubernetesObjects&&) { ++calls; });
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->toString(), "bad.json: /items/1/spec/nodeName: expected a string, got 5");
  EXPECT_EQ(calls, 1);
}

// Test that a root with `items` is a list whatever its kind, and `"items": null` is no list.
TEST(KubectlJsonTest, ItemsMakeAList) {
  EXPECT_EQ(readOk(R"({"kind":"Pod","items":[{"kind":"Node"}]})").nodes.size(), 1u);
  EXPECT_EQ(readOk(R"({"items":null,"kind":"Pod"})").pods.size(), 1u);
}

// Test that the API server's lists (GET /api/v1/pods, `kubectl get --raw`), whose items carry no kind or
// apiVersion, are read as the list's kind says: PodList items are Pods, NodeList items Nodes, and so on.
TEST(KubectlJsonTest, ApiServerListItemsTakeTheListsKind) {
  const auto pods = readOk(readTestData("kubernetes/api/pods.json"), "pods.json");
  ASSERT_EQ(pods.pods.size(), 2u);
  EXPECT_EQ(pods.pods[0].name, "node-exporter-7xk2p");
  EXPECT_TRUE(pods.pods[0].spec.host_network);
  ASSERT_EQ(pods.pods[0].spec.containers.size(), 1u);
  EXPECT_EQ(pods.pods[0].spec.containers[0].image, "quay.io/prometheus/node-exporter:v1.8.2");
  EXPECT_EQ(pods.pods[1].spec.node_name, "10.1.0.56");

  const auto nodes = readOk(readTestData("kubernetes/api/nodes.json"), "nodes.json");
  ASSERT_EQ(nodes.nodes.size(), 1u);
  EXPECT_EQ(nodes.nodes[0].name, "10.1.0.55");
  EXPECT_EQ(nodes.nodes[0].provider_id, "7c1f3c2e-5a4b-4d6e-9f80-1a2b3c4d5e6f");

  const auto daemonsets = readOk(readTestData("kubernetes/api/daemonsets.json"), "ds.json");
  ASSERT_EQ(daemonsets.workloads.size(), 1u);
  EXPECT_EQ(daemonsets.workloads[0].kind, WorkloadKind::DaemonSet);
  EXPECT_EQ(daemonsets.workloads[0].name, "node-exporter");

  for (const char* list : {"DeploymentList", "ReplicaSetList", "StatefulSetList"}) {
    const auto workloads = readOk(std::string(R"({"kind":")") + list +
                                  R"(","apiVersion":"apps/v1","items":[{"metadata":{"name":"w"}}]})");
    ASSERT_EQ(workloads.workloads.size(), 1u) << list;
    EXPECT_EQ(std::string(core::toString(workloads.workloads[0].kind)) + "List", list);
  }
  // The in-memory path reads them the same way.
  auto document =
      readKubectlJsonDocument(nlohmann::json::parse(readTestData("kubernetes/api/pods.json")), "b");
  ASSERT_TRUE(document.ok());
  EXPECT_EQ(document.value().pods.size(), 2u);
}

// Test that a list whose kind comes after its items (re-sorted by key, as `jq -S` prints it) still gives its
// items their kind, and that an item naming its own kind keeps it.
TEST(KubectlJsonTest, ListKindAfterItems) {
  const auto sorted = readOk(readTestData("kubernetes/api/pods-sorted.json"), "pods.json");
  ASSERT_EQ(sorted.pods.size(), 2u);
  EXPECT_EQ(sorted.pods[0].name, "node-exporter-7xk2p");
  const auto mixed = readOk(R"({"items":[{"kind":"Node","metadata":{"name":"n"}},{"metadata":{"name":"p"}}],
                                "kind":"PodList"})");
  EXPECT_EQ(mixed.nodes.size(), 1u);
  EXPECT_EQ(mixed.pods.size(), 1u);
  // An error in a deferred item still names its pointer.
  EXPECT_EQ(readError(R"({"items":[{"metadata":{"name":"p"},"spec":{"nodeName":5}}],"kind":"PodList"})"),
            "pods.json: /items/0/spec/nodeName: expected a string, got 5");
}

// Test that the items of a plain List, which says nothing of what they are, must still name their kind.
TEST(KubectlJsonTest, PlainListItemsWithoutKindAreRefused) {
  const std::string message =
      "expected a string naming the object's kind (only the items of a typed list such as PodList may leave "
      "it out)";
  EXPECT_EQ(readError(R"({"kind":"List","apiVersion":"v1","items":[{"metadata":{"name":"x"}}]})"),
            "pods.json: /items/0/kind: " + message);
  EXPECT_EQ(readError(R"({"apiVersion":"v1","items":[{"metadata":{"name":"x"}}]})"),
            "pods.json: /items/0/kind: " + message);
  auto document = readKubectlJsonDocument(
      nlohmann::json::parse(R"({"kind":"List","items":[{"metadata":{"name":"x"}}]})"), "body");
  ASSERT_FALSE(document.ok());
  EXPECT_EQ(document.error().toString(), "body: /items/0/kind: " + message);
}

// Test that a missing file is an error naming it.
TEST(KubectlJsonTest, MissingFileIsAnError) {
  auto parsed = readKubectlJsonFile("/nonexistent/pods.json");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().toString(), "/nonexistent/pods.json: cannot open the file");
}

// Test that an error in one item leaves no half-converted object behind in the in-memory path.
TEST(KubectlJsonTest, InMemoryDocumentErrors) {
  auto parsed =
      readKubectlJsonDocument(nlohmann::json::parse(R"({"kind":"Pod","spec":{"nodeName":1}})"), "body");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().toString(), "body: /spec/nodeName: expected a string, got 1");
  auto array = readKubectlJsonDocument(nlohmann::json::array(), "body");
  ASSERT_FALSE(array.ok());
  EXPECT_EQ(array.error().toString(), "body: expected a Kubernetes object or a List");
}

}  // namespace
}  // namespace sgaudit::cloud::kubernetes
