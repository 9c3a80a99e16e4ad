#include "sgaudit/cloud/kubernetes/manifest.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "cloud/fixtures.hpp"
#include "cloud/model_dump.hpp"
#include "sgaudit/cloud/kubernetes/kubectl_json.hpp"

namespace sgaudit::cloud::kubernetes {
namespace {

using core::PortProtocol;
using core::WorkloadKind;
using test::readTestData;

KubernetesObjects readOk(std::string_view text, std::string_view source = "deploy.yaml") {
  auto parsed = readManifests(text, source);
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().toString());
  return parsed.ok() ? std::move(parsed).value() : KubernetesObjects{};
}

std::string readError(std::string_view text, std::string_view source = "deploy.yaml",
                      const ReadLimits& limits = {}) {
  auto parsed = readManifests(text, source, limits);
  EXPECT_FALSE(parsed.ok());
  return parsed.ok() ? "" : parsed.error().toString();
}

// Test that a multi-document manifest gives every object, with YAML scalar typing and `kind:` lines.
TEST(ManifestTest, MultiDocumentManifest) {
  const auto objects = readOk(readTestData("kubernetes/manifests.yaml"), "manifests.yaml");
  EXPECT_TRUE(objects.skipped_kinds.empty());
  EXPECT_EQ(objects.services.size(), 1u);     // read for their DNS names
  EXPECT_EQ(objects.config_maps.size(), 1u);  // and the names in their data
  ASSERT_EQ(objects.workloads.size(), 3u);

  const core::Workload& edge = objects.workloads[0];
  EXPECT_EQ(edge.kind, WorkloadKind::Deployment);
  EXPECT_EQ(edge.source.file, "manifests.yaml");
  EXPECT_EQ(edge.source.line, 16);
  EXPECT_EQ(edge.labels, (core::Labels{{"app", "edge"}, {"port", "80"}}));
  EXPECT_EQ(edge.annotations, (core::Labels{{"sgaudit.io/expose", "internet"}}));
  EXPECT_EQ(edge.replicas, 2);
  EXPECT_EQ(edge.selector, (core::Labels{{"app", "edge"}}));
  EXPECT_EQ(edge.max_surge, "1");
  EXPECT_EQ(edge.max_unavailable, "0");
  EXPECT_TRUE(edge.template_spec.host_network);
  EXPECT_EQ(edge.template_spec.dns_policy, "ClusterFirstWithHostNet");
  EXPECT_EQ(edge.template_spec.node_selector, (core::Labels{{"node-role.kubernetes.io/edge", ""}}));
  ASSERT_EQ(edge.template_spec.containers.size(), 1u);
  const auto& ports = edge.template_spec.containers[0].ports;
  ASSERT_EQ(ports.size(), 3u);
  EXPECT_EQ(ports[0].container_port, 80);
  EXPECT_EQ(ports[0].host_port, 80);
  EXPECT_EQ(ports[1].container_port, 443);  // 0x1BB
  EXPECT_EQ(ports[2].protocol, PortProtocol::Udp);
  EXPECT_EQ(ports[2].host_ip, "10.1.0.55");
  ASSERT_EQ(edge.template_spec.tolerations.size(), 1u);
  EXPECT_EQ(edge.template_spec.tolerations[0].effect, "NoSchedule");

  // A List's items each get the line of their own `kind:`.
  const core::Workload& agent = objects.workloads[1];
  EXPECT_EQ(agent.kind, WorkloadKind::DaemonSet);
  EXPECT_EQ(agent.source.line, 82);
  EXPECT_TRUE(agent.template_spec.host_network);  // `yes` is a YAML 1.1 boolean, as kubectl reads it
  EXPECT_EQ(agent.max_unavailable, "10%");
  const core::Workload& db = objects.workloads[2];
  EXPECT_EQ(db.kind, WorkloadKind::StatefulSet);
  EXPECT_EQ(db.source.line, 105);
  EXPECT_EQ(db.replicas, 3);
}

// Test that the cce-seed Deployment manifest reads like its kubectl JSON twin, minus the server defaults.
// Test that a manifest that is not UTF-8 is refused at the line of the first bad byte (overlong forms,
// surrogates and truncated sequences included), and that any valid UTF-8 is read.
TEST(ManifestTest, OnlyUtf8IsRead) {
  const std::string head = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: ";
  for (const std::string bad : {"\xff", "\xc0\xaf", "\xed\xa0\x80", "\xe2\x82", "\xf4\x90\x80\x80"}) {
    const auto parsed = readManifests(head + bad + "\n", "cm.yaml");
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().toString(), "cm.yaml: line 6: not UTF-8 (a YAML manifest is UTF-8 text)");
  }
  EXPECT_TRUE(readManifests(head + "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x80\"\n", "cm.yaml").ok());
}

TEST(ManifestTest, CceSeedDeployment) {
  auto parsed = readManifestFile(test::testDataDir() / "scenarios/cce-seed/deployment.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.error().toString();
  ASSERT_EQ(parsed.value().workloads.size(), 1u);
  const auto& nginx = parsed.value().workloads[0];
  EXPECT_EQ(nginx.kind, WorkloadKind::Deployment);
  EXPECT_EQ(nginx.name, "nginx");
  EXPECT_EQ(nginx.namespace_name, "default");
  EXPECT_EQ(nginx.replicas, 2);
  EXPECT_EQ(nginx.source.line, 4);
  EXPECT_TRUE(nginx.template_spec.host_network);
  EXPECT_EQ(nginx.template_spec.dns_policy, "");  // not written in the manifest
  ASSERT_EQ(nginx.template_spec.containers.size(), 1u);
  EXPECT_TRUE(nginx.template_spec.containers[0].ports.empty());
}

// Test that a YAML List and its JSON twin convert alike (the conversion is shared).
TEST(ManifestTest, YamlAndJsonAgree) {
  const std::string json_text = readTestData("kubernetes/get-all.json");
  auto from_json = readKubectlJson(json_text, "x");
  // JSON is YAML: the same text through the YAML path.
  auto from_yaml = readManifests(json_text, "x");
  ASSERT_TRUE(from_json.ok() && from_yaml.ok()) << (from_yaml.ok() ? "" : from_yaml.error().toString());
  for (auto* objects : {&from_json.value(), &from_yaml.value()}) {
    for (auto& workload : objects->workloads)
      workload.source.line = 0;
    for (auto& pod : objects->pods)
      pod.source.line = 0;
  }
  EXPECT_EQ(test::dumpObjects(from_json.value()), test::dumpObjects(from_yaml.value()));
}

// Test that quoted scalars stay strings: a quoted port is an error, a quoted label is fine, an unquoted
// number as a label value is an error (as kubectl apply says).
TEST(ManifestTest, QuotedAndPlainScalars) {
  const std::string head =
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n";
  EXPECT_EQ(readError(head + "    ports:\n    - containerPort: \"80\"\n"),
            "deploy.yaml: line 9: /spec/containers/0/ports/0/containerPort: expected an integer 1-65535, got "
            "\"80\"");
  EXPECT_EQ(readOk(head + "    ports:\n    - containerPort: 80\n")
                .pods[0]
                .spec.containers[0]
                .ports[0]
                .container_port,
            80);
  EXPECT_EQ(readOk(head + "    ports:\n    - containerPort: !!int \"80\"\n")
                .pods[0]
                .spec.containers[0]
                .ports[0]
                .container_port,
            80);
  EXPECT_EQ(readError("kind: Pod\nmetadata:\n  labels:\n    version: 1.0\n"),
            "deploy.yaml: line 4: /metadata/labels/version: expected a string, got 1.0");
  EXPECT_EQ(readError("kind: Pod\nmetadata:\n  labels:\n    enabled: true\n"),
            "deploy.yaml: line 4: /metadata/labels/enabled: expected a string, got true");
  EXPECT_EQ(readOk("kind: Pod\nmetadata:\n  labels:\n    version: '1.0'\n    on: \"yes\"\n").pods[0].labels,
            (core::Labels{{"on", "yes"}, {"version", "1.0"}}));
  EXPECT_EQ(readError("kind: Pod\nspec:\n  hostNetwork: \"true\"\n"),
            "deploy.yaml: line 3: /spec/hostNetwork: expected true or false, got \"true\"");
  EXPECT_EQ(readError("kind: Deployment\nspec:\n  replicas: 2.5\n"),
            "deploy.yaml: line 3: /spec/replicas: expected an integer >= 0, got 2.5");
  EXPECT_EQ(readOk("kind: Pod\nmetadata:\n  name: ~\n").pods[0].name, "");  // null is the zero value
}

// Test that only column-0 `---` splits documents, `...` ends one, and comment-only documents are skipped.
TEST(ManifestTest, DocumentSplitting) {
  const auto documents = splitManifestDocuments(
      "# preamble\n%YAML 1.1\n---\na: 1\n---   # second\nb: |\n  ---\n  text\n...\n# trailer\n---\n---\nc: "
      "3\n");
  ASSERT_EQ(documents.size(), 4u);
  EXPECT_EQ(documents[0].first_line, 1);
  EXPECT_EQ(documents[0].text, "# preamble\n%YAML 1.1\n---\na: 1\n");
  EXPECT_EQ(documents[1].first_line, 5);
  EXPECT_EQ(documents[1].text, "---   # second\nb: |\n  ---\n  text\n...\n");
  EXPECT_EQ(documents[2].first_line, 10);
  EXPECT_EQ(documents[2].text, "# trailer\n---\n");
  EXPECT_EQ(documents[3].first_line, 12);
  EXPECT_EQ(documents[3].text, "---\nc: 3\n");

  // A column-0 `---` inside a block scalar is a document marker in YAML, so it splits there too.
  const std::string text =
      "kind: Pod\nmetadata:\n  name: a\n  annotations:\n    note: |\n      x\n---\nkind: Pod\n";
  const auto objects = readOk(text);
  EXPECT_EQ(objects.pods.size(), 2u);
  EXPECT_EQ(objects.pods[1].source.line, 8);
  EXPECT_EQ(readOk("--- {kind: Pod, metadata: {name: inline}}\n").pods[0].name, "inline");
  EXPECT_EQ(readOk("kind: Pod\r\n---\r\nkind: Node\r\n").nodes.size(), 1u);
}

// Test that YAML syntax errors give the file line, counting from the document's start.
TEST(ManifestTest, SyntaxErrorsGiveTheFileLine) {
  EXPECT_EQ(readError("kind: Pod\n---\nkind: Pod\nmetadata:\n  labels: [a, b\n"),
            "deploy.yaml: line 6: invalid YAML: end of sequence flow not found");
  EXPECT_EQ(readError("kind: Pod\nmetadata:\n  name: a\n name: b\n"),
            "deploy.yaml: line 4: invalid YAML: end of map not found");
  EXPECT_EQ(readError("- kind: Pod\n"),
            "deploy.yaml: line 1: expected a Kubernetes object (a mapping), got a sequence");
  EXPECT_EQ(readError("---\njust text\n"),
            "deploy.yaml: line 2: expected a Kubernetes object (a mapping), got a scalar");
  EXPECT_EQ(readError("metadata:\n  name: x\n"),
            "deploy.yaml: line 1: /kind: expected a string naming the object's kind (only the items of a "
            "typed list such as PodList may leave it out)");
  EXPECT_EQ(readError("kind: List\nitems:\n- kind: Pod\n- metadata: {}\n"),
            "deploy.yaml: line 4: /items/1/kind: expected a string naming the object's kind (only the items "
            "of a typed list such as PodList may leave it out)");
}

// Test that a typed list saved as YAML (a must-gather's core/pods.yaml, `kubectl get --raw ... | yq -P`)
// gives its kindless items the list's kind.
TEST(ManifestTest, TypedListItemsTakeTheListsKind) {
  const auto objects = readOk(
      "apiVersion: v1\nkind: PodList\nmetadata:\n  resourceVersion: \"48377\"\nitems:\n- metadata:\n"
      "    name: node-exporter-7xk2p\n    namespace: monitoring\n  spec:\n    hostNetwork: true\n"
      "    containers:\n    - name: node-exporter\n      image: quay.io/prometheus/node-exporter:v1.8.2\n"
      "      ports:\n      - containerPort: 9100\n        hostPort: 9100\n");
  ASSERT_EQ(objects.pods.size(), 1u);
  EXPECT_EQ(objects.pods[0].name, "node-exporter-7xk2p");
  EXPECT_EQ(objects.pods[0].source.line, 6);
  EXPECT_EQ(readOk("kind: DaemonSetList\nitems:\n- metadata: {name: ds}\n").workloads.size(), 1u);
}

// Test that a PodSecurityPolicy, which mentions hostNetwork and hostPorts without being a workload, is
// counted as a kind not modelled, and that a container port's misspelt "hostport:" is read as no host port
// with a warning that names its line and asks about hostPort.
TEST(ManifestTest, PodSecurityPolicyAndMisspeltHostPort) {
  const auto objects =
      readOk(readTestData("kubernetes/psp-and-misspelt-hostport.yaml"), "psp-and-misspelt-hostport.yaml");
  EXPECT_EQ(objects.skipped_kinds, (std::map<std::string, int>{{"PodSecurityPolicy", 1}}));
  ASSERT_EQ(objects.workloads.size(), 1u);
  const auto& ports = objects.workloads[0].template_spec.containers.at(0).ports;
  ASSERT_EQ(ports.size(), 1u);
  EXPECT_FALSE(ports[0].host_port.has_value());
  ASSERT_EQ(objects.warnings.size(), 1u);
  EXPECT_EQ(objects.warnings[0].where, "line 50: /spec/template/spec/containers/0/ports/0/hostport");
  EXPECT_EQ(objects.warnings[0].message,
            "unknown field \"hostport\", did you mean \"hostPort\"? Kubernetes drops it, so the port gets no "
            "host port");
  EXPECT_TRUE(
      readOk("kind: Pod\nspec:\n  containers:\n  - ports:\n    - containerPort: 80\n      hostPort: 80\n")
          .warnings.empty());
}

// Test that ",x" (which makes yaml-cpp 0.7's LoadAll loop forever) returns at once.
TEST(ManifestTest, CommaInputReturnsPromptly) {
  const auto start = std::chrono::steady_clock::now();
  auto parsed = readManifests(",x", "bad.yaml");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  if (parsed.ok()) {
    EXPECT_TRUE(parsed.value().pods.empty());
  } else {
    EXPECT_EQ(parsed.error().source, "bad.yaml");
  }
  readManifests(",x\n---\n,x\n...\n,x", "bad.yaml");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

// Test that the limits hold: depth, document count, size, and alias expansion.
TEST(ManifestTest, LimitsAreErrors) {
  std::string deep = "kind: Pod\nmetadata:\n  labels: ";
  for (int i = 0; i < 70; ++i)
    deep += "[";
  EXPECT_EQ(readError(deep + std::string(70, ']') + "\n"),
            "deploy.yaml: line 3: nesting deeper than 64 levels");

  ReadLimits few;
  few.max_documents = 3;
  EXPECT_EQ(readError("a: 1\n---\nb: 1\n---\nc: 1\n---\nd: 1\n", "many.yaml", few),
            "many.yaml: line 6: more than 3 documents");

  ReadLimits small;
  small.max_manifest_bytes = 10;
  EXPECT_EQ(readError("kind: Pod\nmetadata: {}\n", "big.yaml", small),
            "big.yaml: manifest of 23 bytes is larger than the limit of 10");

  // "Billion laughs": aliases that would expand exponentially.
  std::string laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char previous = 'a';
  for (char name = 'b'; name <= 'k'; ++name) {
    laughs += std::string(1, name) + ": &" + name + " [";
    for (int i = 0; i < 10; ++i)
      laughs += std::string(i ? ", *" : "*") + previous;
    laughs += "]\n";
    previous = name;
  }
  EXPECT_EQ(readError(laughs, "laughs.yaml"),
            "laughs.yaml: line 1: more than 1000000 values (after expanding aliases)");
}

// Test that a value that is not UTF-8 is shown in an error without failing itself (found by fuzzing).
// (It used to be read, and echoed with U+FFFD in the message; now it is refused before it is parsed.)
TEST(ManifestTest, InvalidUtf8IsRefusedBeforeItIsRead) {
  EXPECT_EQ(readError("kind: Pod\nspec:\n  hostNetwork: \"\xff\xfe\"\n"),
            "deploy.yaml: line 3: not UTF-8 (a YAML manifest is UTF-8 text)");
}

// Test that a missing file is an error naming it.
TEST(ManifestTest, MissingFileIsAnError) {
  auto parsed = readManifestFile("/nonexistent/deploy.yaml");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().toString(), "/nonexistent/deploy.yaml: cannot open the file");
}

}  // namespace
}  // namespace sgaudit::cloud::kubernetes
