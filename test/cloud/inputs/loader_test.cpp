#include "sgaudit/cloud/inputs/loader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "cloud/fixtures.hpp"
#include "support/temp_dir.hpp"

namespace sgaudit::cloud::inputs {
namespace {

using ::testing::HasSubstr;

std::string errorOf(std::string_view bytes, const std::string& name) {
  InputLoader loader;
  const auto error = loader.addBytes(bytes, name);
  return error ? error->toString() : "loaded as " + loader.inventory().inputs.at(0).kind;
}

// Test that every file of the project's own provider, kubectl and node data is recognised as its kind and
// loads without error.
TEST(InputLoaderTest, RecognisesEveryProjectInputKind) {
  const std::map<std::string, std::string> expected = {
      {"aws/describe-instances.json", "aws.ec2.describe-instances"},
      {"aws/describe-managed-prefix-lists.json", "aws.ec2.describe-managed-prefix-lists"},
      {"aws/describe-security-group-rules.json", "aws.ec2.describe-security-group-rules"},
      {"aws/describe-security-groups.json", "aws.ec2.describe-security-groups"},
      {"aws/describe-subnets.json", "aws.ec2.describe-subnets"},
      {"aws/describe-vpcs.json", "aws.ec2.describe-vpcs"},
      {"aws/eks-describe-cluster.json", "aws.eks.describe-cluster"},
      {"aws/pl-0123456789abcdef0.entries.json", "aws.ec2.get-managed-prefix-list-entries"},
      {"huawei/address-groups.json", "huawei.vpc.v3.address-groups"},
      {"huawei/clusters.json", "huawei.cce.clusters"},
      {"huawei/v1-groups-sparse.json", "huawei.vpc.v1.security-groups"},
      {"huawei/v3-rules-quirks.json", "huawei.vpc.v3.security-group-rules"},
      {"huawei/ecs-servers-detail.json", "huawei.ecs.servers"},
      {"huawei/v3-groups-numeric-multiport.json", "huawei.vpc.v3.security-groups"},
      {"huawei/subnets.json", "huawei.vpc.v1.subnets"},
      {"openstack/cli-security-group-list.json", "openstack.cli.security-group-list"},
      {"openstack/cli-security-group-rule-list.json", "openstack.cli.security-group-rule-list"},
      {"openstack/cli-security-group-show.json", "openstack.cli.security-group-show"},
      {"openstack/networks.json", "openstack.neutron.networks"},
      {"openstack/ports.json", "openstack.neutron.ports"},
      {"openstack/security-group-rules.json", "openstack.neutron.security-group-rules"},
      {"openstack/security-groups.json", "openstack.neutron.security-groups"},
      {"openstack/subnets.json", "openstack.neutron.subnets"},
      {"kubernetes/get-all.json", "kubectl.json"},
      {"kubernetes/nodes.json", "kubectl.json"},
      {"kubernetes/pods.json", "kubectl.json"},
      {"kubernetes/manifests.yaml", "kubernetes.manifest"},
      {"kubernetes/api/pods.json", "kubectl.json"},
      {"kubernetes/api/pods-sorted.json", "kubectl.json"},
      {"kubernetes/api/nodes.json", "kubectl.json"},
      {"kubernetes/api/daemonsets.json", "kubectl.json"},
      {"node/edge-1.txt", "node.sockets"},
      {"node/ss/worker-1.txt", "node.sockets"},
      {"node/ss/worker-2.txt", "node.sockets"},
      {"node/ss/worker-3.txt", "node.sockets"},
      {"node/ss/worker-4.txt", "node.sockets"},
      {"node/logs/web_api-7d8f9c6b5-x2x3c_api.log", "container.log"},
  };
  for (const auto& [file, kind] : expected) {
    InputLoader loader;
    const auto error = loader.addFile(test::testDataDir() / file, file);
    ASSERT_FALSE(error) << error->toString();
    ASSERT_EQ(loader.inventory().inputs.size(), 1U) << file;
    EXPECT_EQ(loader.inventory().inputs[0].kind, kind) << file;
    EXPECT_EQ(loader.inventory().inputs[0].name, file);
  }
}

// Test that a document of no known shape is named with its top-level keys, and other bytes with what was
// expected.
// Test that the object budget spans every input: a document that would pass it is refused whole, naming the
// budget, and what came before stays.
TEST(InputLoaderTest, ObjectBudgetSpansTheInputs) {
  const std::string three = R"({"apiVersion":"v1","kind":"NodeList","items":[{"metadata":{"name":"a"}},)"
                            R"({"metadata":{"name":"b"}},{"metadata":{"name":"c"}}]})";
  InputLoader loader;
  loader.setObjectBudget(5);
  EXPECT_FALSE(loader.addBytes(three, "nodes-1.json").has_value());
  const auto refused = loader.addBytes(three, "nodes-2.json");
  ASSERT_TRUE(refused.has_value());
  EXPECT_THAT(refused->toString(), HasSubstr("more than 5 objects (the object budget, --max-objects)"));
  EXPECT_EQ(loader.inventory().cluster.nodes.size(), 3u);
  EXPECT_EQ(loader.objectsRead(), 3u);
}

// Test that a folder's files, read side by side (largest first), are kept as reading them one by one in name
// order keeps them: the same objects in the same order, the same inputs, warnings and skipped files, the same
// errors; and that the budget is spent in name order, a file that would pass it with those before it
// refused whole whatever file finished reading first.
TEST(InputLoaderTest, FolderReadSideBySideKeepsNameOrder) {
  auto nodes = [](const std::string& prefix, int count) {
    std::string text = R"({"apiVersion":"v1","kind":"NodeList","items":[)";
    for (int i = 0; i < count; ++i)
      text +=
          std::string(i == 0 ? "" : ",") + R"({"metadata":{"name":")" + prefix + std::to_string(i) + R"("}})";
    return text + "]}";
  };
  const test::TempDir dir;
  const std::map<std::string, std::string> files = {
      {"a-small.json", nodes("a", 2)},
      {"b-large.json", nodes("b", 40)},
      {"c-broken.json", R"({"apiVersion":"v1","kind":"NodeList","items":[{"metadata":{"name":1}}]})"},
      {"d-other.json", R"({"status":"ok"})"},
      {"e-medium.json", nodes("e", 9)},
      {"f-last.json", nodes("f", 3)}};
  for (const auto& [name, text] : files)
    std::ofstream(dir.path() / name) << text;
  for (const std::size_t budget : {1000U, 45U, 50U, 10U}) {
    InputLoader in_order;
    in_order.setObjectBudget(budget);
    std::vector<std::string> errors_in_order;
    for (const auto& [name, text] : files) {
      // As addPath names and walks them: relative to the folder's parent, not inputs skipped.
      const std::string shown = dir.path().filename().string() + "/" + name;
      if (const auto error = in_order.addFile(dir.path() / name, shown)) {
        if (error->message.starts_with("not a known input")) continue;
        errors_in_order.push_back(error->toString());
      }
    }
    InputLoader folder;
    folder.setObjectBudget(budget);
    std::vector<std::string> errors;
    for (const auto& error : folder.addPath(dir.path()))
      errors.push_back(error.toString());
    EXPECT_EQ(errors, errors_in_order) << "budget " << budget;
    std::vector<std::string> names_in_order;
    std::vector<std::string> names;
    for (const auto& node : in_order.inventory().cluster.nodes)
      names_in_order.push_back(node.name);
    for (const auto& node : folder.inventory().cluster.nodes)
      names.push_back(node.name);
    EXPECT_EQ(names, names_in_order) << "budget " << budget;
    EXPECT_EQ(folder.objectsRead(), in_order.objectsRead()) << "budget " << budget;
    ASSERT_EQ(folder.inventory().inputs.size(), in_order.inventory().inputs.size()) << "budget " << budget;
    for (std::size_t i = 0; i < folder.inventory().inputs.size(); ++i)
      EXPECT_EQ(folder.inventory().inputs[i].name, in_order.inventory().inputs[i].name);
    ASSERT_EQ(folder.inventory().skipped.size(), 1U);
    EXPECT_THAT(folder.inventory().skipped[0].name, HasSubstr("d-other.json"));
  }
}

TEST(InputLoaderTest, UnknownInputsSaySo) {
  EXPECT_EQ(errorOf(R"({"hello": 1, "world": [2]})", "x.json"),
            "x.json: not a known input (top-level keys: hello, world)");
  EXPECT_EQ(errorOf("[1, 2]", "x.json"), "x.json: not a known input (a JSON array)");
  EXPECT_EQ(errorOf("{}", "x.json"), "x.json: not a known input (top-level keys: none)");
  EXPECT_EQ(errorOf(R"({"a":1,"b":1,"c":1,"d":1,"e":1,"f":1,"g":1,"h":1,"i":1})", "x.json"),
            "x.json: not a known input (top-level keys: a, b, c, d, e, f, g, h, ...)");
  EXPECT_THAT(errorOf("just some words\n", "notes.txt"), HasSubstr("notes.txt: not a known input (expected"));
}

// Test that a "kind" that is not a string (or "items" that is not a list) is a clean error, not an exception:
// the Huawei detector threw nlohmann's type_error on {"kind": 1}.
TEST(InputLoaderTest, NonStringKindIsNotAnException) {
  EXPECT_EQ(errorOf(R"({"kind": 1, "apiVersion": "v3"})", "c.json"),
            "c.json: not a known input (top-level keys: apiVersion, kind)");
  EXPECT_EQ(errorOf(R"({"kind": ["Cluster"], "metadata": {}})", "c.json"),
            "c.json: not a known input (top-level keys: kind, metadata)");
  EXPECT_EQ(errorOf(R"({"kind": "Cluster", "apiVersion": "v3", "metadata": {"name": "c"}})", "c.json"),
            "loaded as huawei.cce.clusters");
}

// Test that a reader's error reaches the caller with the file name and the JSON pointer, as the issue's
// example has it.
TEST(InputLoaderTest, ReaderErrorsCarryFileAndPointer) {
  std::string rules = R"({"security_group_rules": [)";
  for (int i = 0; i < 3; ++i) {
    rules += R"({"id": "r)" + std::to_string(i) +
             R"(", "security_group_id": "g", "direction": "ingress", "protocol": "tcp", "ethertype": "IPv4",
                 "multiport": "22", "action": "allow", "priority": 1},)";
  }
  rules += R"({"id": "r3", "security_group_id": "g", "direction": "ingress", "protocol": "tcp",
              "ethertype": "IPv4", "multiport": "80-70", "action": "allow", "priority": 1}]})";
  EXPECT_EQ(errorOf(rules, "rules.json"),
            "rules.json: /security_group_rules/3/multiport: \"80-70\": range start after end");
  EXPECT_EQ(errorOf(R"({"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "tcp",
                       "FromPort": "x", "ToPort": 80}]}]})",
                    "sg.json"),
            "sg.json: /SecurityGroups/0/IpPermissions/0/FromPort: expected an integer -1..65535, got \"x\"");
  EXPECT_EQ(errorOf("{\"SecurityGroups\": [\n  {]}", "sg.json"), "sg.json: byte 25: not valid JSON");
}

// Test that nothing of a document that fails is kept, and that the documents before it stay.
TEST(InputLoaderTest, FailedDocumentLeavesNothingBehind) {
  InputLoader loader;
  ASSERT_FALSE(loader.addBytes(test::readTestData("aws/describe-security-groups.json"), "a.json"));
  const auto groups = loader.inventory().cloud.security_groups.size();
  ASSERT_GT(groups, 0U);
  EXPECT_TRUE(
      loader.addBytes(R"({"SecurityGroups": [{"GroupId": "sg-2"}, {"GroupName": "no id"}]})", "b.json"));
  EXPECT_EQ(loader.inventory().cloud.security_groups.size(), groups);
  EXPECT_EQ(loader.inventory().inputs.size(), 1U);
}

std::vector<std::string> skippedNames(const Inventory& inventory) {
  std::vector<std::string> names;
  for (const auto& skipped : inventory.skipped)
    names.push_back(skipped.name);
  return names;
}

// Test that a sonobuoy results folder is read for what it holds (nodes as an older release writes them, a
// JSON array of objects; pods as a newer one does, a PodList with its keys sorted; container logs under
// podlogs/) and that its other files are listed as skipped, each with its reason.
TEST(InputLoaderTest, SonobuoyFolderSkipsWhatIsNotAnInput) {
  InputLoader loader;
  const auto errors = loader.addPath(test::testDataDir() / "dumps/sonobuoy");
  for (const auto& error : errors)
    ADD_FAILURE() << error.toString();
  const Inventory& inventory = loader.inventory();
  EXPECT_EQ(inventory.cluster.nodes.size(), 1U);
  ASSERT_EQ(inventory.cluster.pods.size(), 1U);
  EXPECT_EQ(inventory.cluster.pods[0].name, "node-exporter-7xk2p");
  ASSERT_EQ(inventory.cluster.container_logs.size(), 1U);
  const auto& log = inventory.cluster.container_logs[0];
  EXPECT_EQ(log.namespace_name, "monitoring");
  EXPECT_EQ(log.pod, "node-exporter-7xk2p");
  EXPECT_EQ(log.container, "node-exporter");
  ASSERT_EQ(log.bind_failures.size(), 1U);
  EXPECT_EQ(log.bind_failures[0].port, 9100);
  EXPECT_EQ(log.source.file, "sonobuoy/podlogs/monitoring/node-exporter-7xk2p/logs/node-exporter.txt");
  EXPECT_EQ(skippedNames(inventory),
            (std::vector<std::string>{
                "sonobuoy/hosts/10.1.0.55/configz.json", "sonobuoy/hosts/10.1.0.55/healthz.json",
                "sonobuoy/meta/config.json", "sonobuoy/meta/query-time.json",
                "sonobuoy/plugins/e2e/results/global/e2e.log", "sonobuoy/plugins/e2e/sonobuoy_results.yaml",
                "sonobuoy/serverversion.json"}));
  EXPECT_EQ(inventory.skipped[1].reason, "not a known input (top-level keys: status)");
  EXPECT_EQ(inventory.skipped[3].reason, "not a known input (a JSON array)");
  EXPECT_EQ(inventory.skipped[4].reason,
            "expected a file name <namespace>_<pod>_<container>.log, got \"e2e.log\"");
  EXPECT_EQ(inventory.skipped[5].reason, "YAML without a top-level kind: (not a Kubernetes manifest)");
}

// Test that a must-gather folder gives its pods (a PodList as YAML) and its container logs by their path,
// and skips its text files.
TEST(InputLoaderTest, MustGatherFolder) {
  InputLoader loader;
  const auto errors = loader.addPath(test::testDataDir() / "dumps/must-gather");
  for (const auto& error : errors)
    ADD_FAILURE() << error.toString();
  const Inventory& inventory = loader.inventory();
  ASSERT_EQ(inventory.cluster.pods.size(), 1U);
  EXPECT_EQ(inventory.cluster.pods[0].spec.containers.at(0).ports.at(0).host_port, 9100);
  ASSERT_EQ(inventory.cluster.container_logs.size(), 1U);
  EXPECT_EQ(inventory.cluster.container_logs[0].pod, "node-exporter-q9mzt");
  EXPECT_EQ(inventory.cluster.container_logs[0].container, "node-exporter");
  EXPECT_EQ(skippedNames(inventory),
            (std::vector<std::string>{"must-gather/timestamp", "must-gather/version"}));
}

// Test that a file named on its own must be an input: what a folder skips is an error when named.
TEST(InputLoaderTest, ExplicitFileMustBeAnInput) {
  InputLoader loader;
  const auto file = test::testDataDir() / "dumps/sonobuoy/serverversion.json";
  const auto errors = loader.addPath(file);
  ASSERT_EQ(errors.size(), 1U);
  EXPECT_EQ(errors[0].toString(),
            file.string() +
                ": not a known input (top-level keys: buildDate, compiler, gitCommit, gitTreeState, "
                "gitVersion, goVersion, major, minor, ...)");
  EXPECT_TRUE(loader.inventory().skipped.empty());
  // A malformed input in a folder is still an error, not a skip.
  EXPECT_THAT(
      errorOf("{\"kind\": \"PodList\", \"apiVersion\": \"v1\", \"items\": [{\"spec\": 5}]}", "p.json"),
      HasSubstr("p.json: /items/0/spec: expected an object"));
}

// Test that error responses of the providers' APIs are refused as what they are, with their message.
TEST(InputLoaderTest, ApiErrorResponsesSaySo) {
  const std::map<std::string, std::string> expected = {
      {"errors/huawei-vpc-error.json", "The security group does not exist. (VPC.0602)"},
      {"errors/huawei-apigw-error.json",
       "Incorrect IAM authentication information: verify aksk signature fail (APIGW.0301)"},
      {"errors/neutron-error.json",
       "Security group a7734e61-b545-452d-a3cd-0189cbd9747a does not exist (SecurityGroupNotFound)"},
      {"errors/nova-error.json",
       "Instance 5e0c9a1b-8f2d-4e3c-b1a0-9d8c7b6a5f4e could not be found. (itemNotFound 404)"},
      {"errors/keystone-error.json", "The request you have made requires authentication. (401)"},
      {"errors/ecs-error.json",
       "Instance[9b2c7e1d-4f3a-4b8c-9d6e-1a2b3c4d5e6f] could not be found. (Ecs.0114)"},
  };
  for (const auto& [file, message] : expected) {
    InputLoader loader;
    const auto error = loader.addFile(test::testDataDir() / file, "out.json");
    ASSERT_TRUE(error) << file;
    EXPECT_EQ(error->toString(), "out.json: this is an error response from the API: " + message);
  }
  EXPECT_EQ(
      errorOf(
          R"({"Error": {"Code": "InvalidGroup.NotFound", "Message": "The security group 'sg-1' does not exist"}})",
          "sg.json"),
      "sg.json: this is an error response from the API: The security group 'sg-1' does not exist "
      "(InvalidGroup.NotFound)");
}

// Test the provider shapes met in the wild through the loader: Nova servers, VPC v3, single rule and port,
// AWS output with ResponseMetadata, and a Neutron rule with both remotes, whose warning reaches the
// inventory.
TEST(InputLoaderTest, ProviderShapesInTheWild) {
  const std::map<std::string, std::string> expected = {
      {"openstack/nova-servers-detail.json", "openstack.nova.servers"},
      {"huawei/ecs-cloudservers-no-eps.json", "huawei.ecs.servers"},
      {"huawei/vpcs-v3.json", "huawei.vpc.v3.vpcs"},
      {"openstack/security-group-rule.json", "openstack.neutron.security-group-rule"},
      {"openstack/port.json", "openstack.neutron.port"},
      {"aws/describe-security-group-rules-boto3.json", "aws.ec2.describe-security-group-rules"},
  };
  for (const auto& [file, kind] : expected) {
    InputLoader loader;
    const auto error = loader.addFile(test::testDataDir() / file, file);
    ASSERT_FALSE(error) << error->toString();
    EXPECT_EQ(loader.inventory().inputs.at(0).kind, kind) << file;
  }
  InputLoader loader;
  ASSERT_FALSE(
      loader.addFile(test::testDataDir() / "openstack/security-group-rules-both-remotes.json", "r.json"));
  ASSERT_EQ(loader.inventory().warnings.size(), 1U);
  EXPECT_THAT(loader.inventory().warnings[0],
              HasSubstr("r.json: /security_group_rules/0: the rule has both"));
}

// Test that a manifest's PodSecurityPolicy (YAML or JSON) is no error, and that a misspelt hostport reaches
// the inventory's warnings with the file and line.
TEST(InputLoaderTest, ManifestWarningsAndPolicyObjects) {
  InputLoader loader;
  ASSERT_FALSE(loader.addFile(test::testDataDir() / "kubernetes/psp-and-misspelt-hostport.yaml", "m.yaml"));
  ASSERT_EQ(loader.inventory().warnings.size(), 1U);
  EXPECT_EQ(
      loader.inventory().warnings[0],
      "m.yaml: line 50: /spec/template/spec/containers/0/ports/0/hostport: unknown field \"hostport\", did "
      "you mean \"hostPort\"? Kubernetes drops it, so the port gets no host port");
  EXPECT_EQ(errorOf(R"({"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy",
                       "spec": {"hostNetwork": true, "hostPorts": [{"min": 0, "max": 65535}]}})",
                    "psp.json"),
            "loaded as kubectl.json");
}

// Test that JSON nested beyond the limit is refused before nlohmann's recursive parser sees it.
TEST(InputLoaderTest, DeepNestingIsRefused) {
  EXPECT_EQ(errorOf(std::string(10000, '['), "deep.json"), "deep.json: JSON nested deeper than 128 levels");
}

}  // namespace
}  // namespace sgaudit::cloud::inputs

namespace sgaudit::cloud::inputs {
namespace {

core::NarrowRulePlan narrowPlan(const std::string& group, const std::string& rule_id) {
  core::NarrowRulePlan plan;
  plan.provider = "huaweicloud";
  plan.group_id = group;
  plan.group_name = group;
  plan.rule.protocol = core::Protocol::tcp();
  plan.rule.ports = core::PortSet::of(core::PortRange::single(22));
  plan.rule.source = *core::Cidr::parse("0.0.0.0/0");
  plan.rule.origin.rule_id = rule_id;
  plan.rule.origin.group_id = group;
  return plan;
}

// Test that the rules of one group a finding removes are one fix per tool that removes them all, titled by
// their count, while another group's rules are a fix of their own: one change to one group.
TEST(CloudFixesTest, RulesOfOneGroupAreOneFixPerTool) {
  core::Finding finding;
  finding.narrow_plans = {narrowPlan("sg-web", "rule-1"), narrowPlan("sg-web", "rule-2"),
                          narrowPlan("sg-db", "rule-3")};
  finding.fix_verified = true;
  std::vector<core::Finding> findings = {finding};
  renderCloudFixes(findings);
  const auto& fixes = findings.front().fixes;
  std::map<std::string, std::vector<const core::Fix*>> by_tool;
  for (const auto& fix : fixes)
    by_tool[fix.tool].push_back(&fix);
  ASSERT_EQ(by_tool.size(), 3U);  // the VPC API, KooCLI, Terraform
  for (const auto& [tool, each] : by_tool) {
    ASSERT_EQ(each.size(), 2U) << tool;  // one per group
    EXPECT_THAT(each[0]->title, ::testing::StartsWith("Remove 2 rules of sg-web (")) << tool;
    EXPECT_THAT(each[0]->content, ::testing::HasSubstr("rule-1"));
    EXPECT_THAT(each[0]->content, ::testing::HasSubstr("rule-2"));
    EXPECT_THAT(each[0]->content, ::testing::Not(::testing::HasSubstr("rule-3")));
    EXPECT_THAT(each[1]->title, ::testing::HasSubstr("rule-3"));  // one rule: its own title
    EXPECT_THAT(each[1]->title, ::testing::HasSubstr("sg-db"));
    EXPECT_EQ(each[0]->verified, std::optional<bool>(true));
  }
  // The order is the plans' order: the API removes rule-1 before rule-2.
  const std::string& api = by_tool.at("huawei-api")[0]->content;
  EXPECT_LT(api.find("rule-1"), api.find("rule-2"));
  EXPECT_EQ(std::count(api.begin(), api.end(), '\n'), 2);
}

}  // namespace
}  // namespace sgaudit::cloud::inputs
