#include "sgaudit/cloud/inputs/loader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "cloud/fixtures.hpp"

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

// Test that JSON nested beyond the limit is refused before nlohmann's recursive parser sees it.
TEST(InputLoaderTest, DeepNestingIsRefused) {
  EXPECT_EQ(errorOf(std::string(10000, '['), "deep.json"), "deep.json: JSON nested deeper than 128 levels");
}

}  // namespace
}  // namespace sgaudit::cloud::inputs
