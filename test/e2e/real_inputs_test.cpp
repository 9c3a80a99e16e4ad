// Real inputs as the world prints them (issue 18), through the real binary: static pods of a kubeadm control
// plane, hostNetwork DaemonSets that never resolve cluster names, a cloud account given without a cluster,
// and manifests audited before any cluster exists.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace sgaudit {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

test::ProcessResult audit(const std::vector<std::string>& paths, const std::string& format = "json") {
  std::vector<std::string> argv = {test::sgauditBinary().string(), "audit"};
  for (const auto& path : paths)
    argv.push_back((test::testDataDir() / path).string());
  argv.insert(argv.end(), {"--format", format});
  return test::runProcess(argv);
}

json auditJson(const std::vector<std::string>& paths) {
  const auto result = audit(paths);
  EXPECT_TRUE(result.exit_code == 0 || result.exit_code == 1) << result.err;
  return json::parse(result.out);
}

std::vector<json> findingsOf(const json& doc, const std::string& check) {
  std::vector<json> out;
  for (const auto& finding : doc.at("findings")) {
    if (finding.at("check") == check) out.push_back(finding);
  }
  return out;
}

std::string firstSubject(const json& finding) {
  const json& subject = finding.at("subjects").at(0);
  return subject.at("kind").get<std::string>() + "/" + subject.value("namespace", "") + "/" +
         subject.at("name").get<std::string>();
}

// Test that the static pods of a kubeadm control plane (kubectl get pods -n kube-system -o json, the nodes,
// and `ss -tlnp` of cp-1) are named as static pods, never as their Node, and that every Kubernetes fix is an
// edit of the manifest file on the node, proven by the re-check like any other workload change.
TEST(RealInputsTest, StaticPodsAreFixedInTheirManifestFiles) {
  const json doc = auditJson({"kubernetes/static-pods"});
  std::vector<std::string> subjects;
  for (const auto& finding : doc.at("findings")) {
    const std::string subject = firstSubject(finding);
    EXPECT_THAT(subject, Not(HasSubstr("Node/"))) << finding.at("title");
    EXPECT_THAT(finding.dump(), Not(HasSubstr("patch node"))) << finding.at("title");
    subjects.push_back(subject);
  }
  EXPECT_THAT(subjects, ::testing::Contains("StaticPod/kube-system/kube-apiserver"));
  EXPECT_THAT(subjects, ::testing::Contains("StaticPod/kube-system/etcd"));

  bool apiserver_port = false;
  for (const auto& finding : findingsOf(doc, "hostport.undeclared")) {
    if (firstSubject(finding) != "StaticPod/kube-system/kube-apiserver") continue;
    apiserver_port = true;
    EXPECT_EQ(finding.at("port"), 6443);
    EXPECT_THAT(finding.dump(),
                HasSubstr("/etc/kubernetes/manifests/kube-apiserver.yaml on each of nodes cp-1, "
                          "cp-2"));
    ASSERT_FALSE(finding.at("fixes").empty());
    for (const auto& fix : finding.at("fixes")) {
      EXPECT_EQ(fix.at("tool"), "static-pod-manifest");
      EXPECT_THAT(fix.at("content").get<std::string>(), HasSubstr("containerPort: 6443"));
      EXPECT_EQ(fix.value("verified", false), true) << fix.value("verification", "");
    }
  }
  EXPECT_TRUE(apiserver_port);
  const auto dns = findingsOf(doc, "hostnetwork.dns-policy");
  ASSERT_FALSE(dns.empty());
  for (const auto& finding : dns) {
    for (const auto& fix : finding.at("fixes")) {
      EXPECT_EQ(fix.at("tool"), "static-pod-manifest");
      EXPECT_THAT(fix.at("content").get<std::string>(), HasSubstr("dnsPolicy: ClusterFirstWithHostNet"));
      EXPECT_EQ(fix.value("verified", false), true) << fix.value("verification", "");
    }
  }
}

// Test hostnetwork.dns-policy on hostNetwork DaemonSets as kubectl prints them: node-exporter names no
// cluster name (info, a risk); fluent-bit has http://prometheus.monitoring.svc:9090 in env (medium); the otel
// agent's mounted ConfigMap names otel-collector.observability, a Service of GET /api/v1/services (medium,
// citing the ConfigMap's file). Without the Services, the otel agent's name is not evidence.
TEST(RealInputsTest, DnsPolicyFollowsEvidenceOfClusterNames) {
  auto severities = [](const json& doc) {
    std::map<std::string, std::pair<std::string, std::string>> out;  // workload -> severity, evidence
    for (const auto& finding : findingsOf(doc, "hostnetwork.dns-policy"))
      out[firstSubject(finding)] = {finding.at("severity"), finding.at("evidence").dump()};
    return out;
  };
  const auto all = severities(auditJson({"kubernetes/dns-policy"}));
  ASSERT_EQ(all.size(), 3U);
  EXPECT_EQ(all.at("DaemonSet/monitoring/kube-prometheus-stack-prometheus-node-exporter").first, "info");
  EXPECT_EQ(all.at("DaemonSet/logging/fluent-bit").first, "medium");
  EXPECT_THAT(
      all.at("DaemonSet/logging/fluent-bit").second,
      HasSubstr("prometheus.monitoring.svc in env PROMETHEUS_REMOTE_WRITE_URL of container fluent-bit"));
  EXPECT_EQ(all.at("DaemonSet/observability/otel-agent").first, "medium");
  EXPECT_THAT(
      all.at("DaemonSet/observability/otel-agent").second,
      HasSubstr("otel-collector.observability in ConfigMap observability/otel-agent-config key relay"));
  EXPECT_THAT(all.at("DaemonSet/observability/otel-agent").second, HasSubstr("configmaps.json"));

  const auto without_services = severities(
      auditJson({"kubernetes/dns-policy/daemonsets.json", "kubernetes/dns-policy/configmaps.json"}));
  EXPECT_EQ(without_services.at("DaemonSet/observability/otel-agent").first, "info");
  EXPECT_EQ(without_services.at("DaemonSet/logging/fluent-bit").first, "medium");
}

// Test manifests audited before any cluster exists, through the CLI on YAML only: envoy's Deployment of 5
// replicas on hostPort 80 says it needs 5 schedulable nodes with 80/TCP free, and it collides with
// ingress-nginx's hostNetwork DaemonSet on 80 (one finding naming both); the text summary says so too.
TEST(RealInputsTest, ManifestsBeforeAnyClusterSayWhatTheyNeed) {
  const json doc = auditJson({"kubernetes/before-cluster"});
  const auto needs = findingsOf(doc, "hostport.capacity");
  ASSERT_EQ(needs.size(), 1U);
  EXPECT_EQ(
      needs[0].at("title"),
      "Deployment/edge/edge-proxy needs 5 schedulable nodes with 80/TCP free; replicas beyond that stay "
      "Pending");
  EXPECT_EQ(needs[0].at("severity"), "info");
  const auto conflicts = findingsOf(doc, "hostport.conflict");
  ASSERT_EQ(conflicts.size(), 1U);
  EXPECT_EQ(conflicts[0].at("port"), 80);
  EXPECT_EQ(conflicts[0].at("severity"), "medium");
  EXPECT_THAT(
      conflicts[0].at("title").get<std::string>(),
      HasSubstr("DaemonSet/ingress-nginx/ingress-nginx-controller and Deployment/edge/edge-proxy take "
                "host port 80/TCP"));
  // 443 and 8443 are taken by the DaemonSet alone: nothing to say.
  EXPECT_EQ(findingsOf(doc, "hostport.conflict").size(), 1U);
  // Each manifest alone: the Deployment's need, and no conflict.
  const json one = auditJson({"kubernetes/before-cluster/edge.yaml"});
  EXPECT_EQ(findingsOf(one, "hostport.capacity").size(), 1U);
  EXPECT_TRUE(findingsOf(one, "hostport.conflict").empty());
  const auto text = audit({"kubernetes/before-cluster"}, "text");
  EXPECT_THAT(text.out, HasSubstr("needs 5 schedulable nodes with 80/TCP free"));
}

// Test an AWS account given alone (describe-instances and describe-security-groups, no kubectl files): SSH
// open to 0.0.0.0/0 on the bastion is found and names the instance, the database's SSH from the bastion only
// is not, and the text summary says plainly that no cluster input was given.
TEST(RealInputsTest, CloudOnlyAccountIsAuditedForSensitivePorts) {
  const json doc = auditJson({"aws/cloud-only"});
  const auto exposed = findingsOf(doc, "sg.sensitive-port-exposed");
  ASSERT_EQ(exposed.size(), 1U);
  EXPECT_EQ(exposed[0].at("severity"), "critical");
  EXPECT_EQ(exposed[0].at("port"), 22);
  EXPECT_EQ(exposed[0].at("nodes"), json::array({"i-0b5e1c2d3a4f56789"}));
  EXPECT_THAT(exposed[0].at("title").get<std::string>(),
              HasSubstr("on instance i-0b5e1c2d3a4f56789 (bastion)"));
  EXPECT_EQ(doc.at("findings").size(), 1U);
  ASSERT_FALSE(exposed[0].at("fixes").empty());
  for (const auto& fix : exposed[0].at("fixes"))
    EXPECT_EQ(fix.value("verified", false), true) << fix.at("tool") << ": " << fix.value("verification", "");
  EXPECT_THAT(doc.at("warnings").dump(), HasSubstr("no cluster input was given"));

  const auto text = audit({"aws/cloud-only"}, "text");
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_THAT(text.out, HasSubstr("sgaudit: 1 finding(s) (1 critical)"));
  EXPECT_THAT(text.out, HasSubstr("warning: no cluster input was given"));
}

}  // namespace
}  // namespace sgaudit
