#include "sgaudit/core/kubernetes_fixes.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sgaudit::core {
namespace {

WorkloadUnit unitOf(const std::string& kind, const std::string& name) {
  WorkloadUnit unit;
  unit.identity = {kind, "prod", name};
  return unit;
}

// Test that a port declaration becomes a strategic-merge patch at the kind's pod-spec path, and its kubectl
// command.
TEST(KubernetesFixesTest, DeclarePortsPatch) {
  const auto fixes = declarePortsFixes(unitOf("Deployment", "nginx"), "nginx", {{80, PortProtocol::Tcp}});
  ASSERT_EQ(fixes.size(), 2U);
  EXPECT_EQ(fixes[0].content,
            "spec:\n"
            "  template:\n"
            "    spec:\n"
            "      containers:\n"
            "      - name: nginx\n"
            "        ports:\n"
            "        - containerPort: 80\n"
            "          protocol: TCP\n");
  EXPECT_EQ(fixes[1].content,
            "kubectl -n 'prod' patch deployment 'nginx' --type strategic -p "
            "'{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"nginx\",\"ports\":[{"
            "\"containerPort\":80,"
            "\"protocol\":\"TCP\"}]}]}}}}'");
}

// Test that a CronJob's patch goes through jobTemplate, and a bare pod is recreated rather than patched.
TEST(KubernetesFixesTest, PathsPerKind) {
  EXPECT_THAT(dnsPolicyFixes(unitOf("CronJob", "c"))[0].content,
              ::testing::StartsWith("spec:\n  jobTemplate:\n"));
  const auto pod = dnsPolicyFixes(unitOf("Pod", "p"));
  EXPECT_EQ(pod[0].content, "spec:\n  dnsPolicy: ClusterFirstWithHostNet\n");
  EXPECT_THAT(pod[1].content, ::testing::HasSubstr("replace --force"));
}

// Test that hostile names are quoted for the shell and YAML, never executed or broken out of.
TEST(KubernetesFixesTest, HostileNamesAreQuoted) {
  EXPECT_EQ(shellQuote("a'; rm -rf / #"), "'a'\\''; rm -rf / #'");
  const auto fixes = scaleFixes(unitOf("Deployment", "x'$(id)"), 1);
  EXPECT_THAT(fixes[1].content, ::testing::HasSubstr("'x'\\''$(id)'"));
  EXPECT_EQ(toYaml(nlohmann::json{{"k", "a: b"}, {"n", "80"}, {"t", "true"}, {"e", ""}}),
            "e: \"\"\nk: \"a: b\"\nn: \"80\"\nt: \"true\"\n");
}

}  // namespace
}  // namespace sgaudit::core
