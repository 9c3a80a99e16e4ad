#include "sgaudit/core/scheduling.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cluster_builder.hpp"

namespace sgaudit::core {
namespace {

using sgaudit::test::node;

// Test each node-affinity operator against present and absent labels, as the API defines them.
TEST(SchedulingTest, RequirementOperators) {
  const Labels labels = {{"zone", "a"}, {"gen", "5"}};
  EXPECT_TRUE(matchesRequirement({"zone", "In", {"a", "b"}}, labels));
  EXPECT_FALSE(matchesRequirement({"zone", "In", {"b"}}, labels));
  EXPECT_FALSE(matchesRequirement({"missing", "In", {"a"}}, labels));
  EXPECT_TRUE(matchesRequirement({"zone", "NotIn", {"b"}}, labels));
  EXPECT_TRUE(matchesRequirement({"missing", "NotIn", {"a"}}, labels));
  EXPECT_FALSE(matchesRequirement({"zone", "NotIn", {"a"}}, labels));
  EXPECT_TRUE(matchesRequirement({"zone", "Exists", {}}, labels));
  EXPECT_FALSE(matchesRequirement({"missing", "Exists", {}}, labels));
  EXPECT_TRUE(matchesRequirement({"missing", "DoesNotExist", {}}, labels));
  EXPECT_FALSE(matchesRequirement({"zone", "DoesNotExist", {}}, labels));
  EXPECT_TRUE(matchesRequirement({"gen", "Gt", {"4"}}, labels));
  EXPECT_FALSE(matchesRequirement({"gen", "Gt", {"5"}}, labels));
  EXPECT_TRUE(matchesRequirement({"gen", "Lt", {"6"}}, labels));
  EXPECT_FALSE(matchesRequirement({"zone", "Gt", {"1"}}, labels));  // not an integer label
  EXPECT_FALSE(matchesRequirement({"gen", "Gt", {"x"}}, labels));
  EXPECT_FALSE(matchesRequirement({"gen", "Gt", {}}, labels));
  EXPECT_FALSE(matchesRequirement({"zone", "Like", {"a"}}, labels));
}

// Test that terms are ORed, requirements ANDed, an empty term matches nothing and no terms match everything.
TEST(SchedulingTest, AffinityTermsOrAndEmpty) {
  const Node n = node("n1", {{"zone", "a"}, {"disk", "ssd"}});
  const NodeSelectorTerm zone_b{{{"zone", "In", {"b"}}}, {}};
  const NodeSelectorTerm zone_a_ssd{{{"zone", "In", {"a"}}, {"disk", "In", {"ssd"}}}, {}};
  const NodeSelectorTerm zone_a_hdd{{{"zone", "In", {"a"}}, {"disk", "In", {"hdd"}}}, {}};
  EXPECT_TRUE(matchesNodeAffinity({}, n));
  EXPECT_TRUE(matchesNodeAffinity({zone_b, zone_a_ssd}, n));
  EXPECT_FALSE(matchesNodeAffinity({zone_b, zone_a_hdd}, n));
  EXPECT_FALSE(matchesNodeAffinity({NodeSelectorTerm{}}, n));
  const NodeSelectorTerm by_name{{}, {{"metadata.name", "In", {"n1"}}}};
  EXPECT_TRUE(matchesNodeAffinity({by_name}, n));
  const NodeSelectorTerm not_name{{}, {{"metadata.name", "NotIn", {"n1"}}}};
  EXPECT_FALSE(matchesNodeAffinity({not_name}, n));
}

// Test toleration matching: Exists with and without key, Equal on value, effect match or wildcard.
TEST(SchedulingTest, Tolerations) {
  const Taint gpu{"dedicated", "gpu", "NoSchedule"};
  EXPECT_TRUE(tolerates({"dedicated", "Equal", "gpu", "NoSchedule"}, gpu));
  EXPECT_FALSE(tolerates({"dedicated", "Equal", "cpu", "NoSchedule"}, gpu));
  EXPECT_TRUE(tolerates({"dedicated", "Exists", "", ""}, gpu));
  EXPECT_TRUE(tolerates({"", "Exists", "", ""}, gpu));
  EXPECT_FALSE(tolerates({"dedicated", "Exists", "", "NoExecute"}, gpu));
  EXPECT_FALSE(tolerates({"other", "Exists", "", ""}, gpu));
}

// Test the eligibility verdicts and that each refusal says why.
TEST(SchedulingTest, EligibilityReasons) {
  PodSpec spec;
  Node ready = node("n1", {{"pool", "web"}});
  EXPECT_TRUE(checkEligibility(spec, ready).eligible);

  Node not_ready = ready;
  not_ready.ready = false;
  EXPECT_THAT(checkEligibility(spec, not_ready).reason, ::testing::HasSubstr("not Ready"));

  Node cordoned = ready;
  cordoned.unschedulable = true;
  EXPECT_THAT(checkEligibility(spec, cordoned).reason, ::testing::HasSubstr("cordoned"));
  PodSpec tolerant;
  tolerant.tolerations = {{"node.kubernetes.io/unschedulable", "Exists", "", "NoSchedule"}};
  EXPECT_TRUE(checkEligibility(tolerant, cordoned).eligible);

  PodSpec selective;
  selective.node_selector = {{"pool", "db"}};
  EXPECT_THAT(checkEligibility(selective, ready).reason, ::testing::HasSubstr("pool=db"));

  Node tainted = ready;
  tainted.taints = {{"dedicated", "gpu", "NoSchedule"}};
  EXPECT_THAT(checkEligibility(spec, tainted).reason, ::testing::HasSubstr("dedicated=gpu:NoSchedule"));
  tainted.taints = {{"dedicated", "gpu", "PreferNoSchedule"}};
  EXPECT_TRUE(checkEligibility(spec, tainted).eligible);
  tainted.taints = {{"evict", "", "NoExecute"}};
  EXPECT_FALSE(checkEligibility(spec, tainted).eligible);

  PodSpec affine;
  affine.required_node_affinity = {{{{"pool", "NotIn", {"web"}}}, {}}};
  EXPECT_THAT(checkEligibility(affine, ready).reason, ::testing::HasSubstr("node affinity"));
}

}  // namespace
}  // namespace sgaudit::core
