// Finding the cluster as kubectl does: contexts, merged $KUBECONFIG files, *-data fields and relative paths,
// exec plugins, and the clear errors for what kubectl itself no longer supports.
#include "sgaudit/collect/kubeconfig.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "sgaudit/collect/base64.hpp"
#include "sgaudit/collect/files.hpp"
#include "support/temp_dir.hpp"

namespace sgaudit::collect {
namespace {

// The shape `aws eks update-kubeconfig` writes (its exec section), with a second, certificate user.
constexpr const char* kEksConfig = R"(apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUMvakNDQWVhZ0F3SUJBZ0lCQURBTkJna3Foa2lHOXcwQkFRc0ZBREFWCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K
    server: https://ABCDEF0123456789.gr7.eu-west-1.eks.amazonaws.com
  name: arn:aws:eks:eu-west-1:111122223333:cluster/prod
- cluster:
    certificate-authority: ca/cluster-ca.crt
    server: https://10.0.0.10:5443
    tls-server-name: kubernetes.default.svc
  name: cce-internal
contexts:
- context:
    cluster: arn:aws:eks:eu-west-1:111122223333:cluster/prod
    user: arn:aws:eks:eu-west-1:111122223333:cluster/prod
  name: arn:aws:eks:eu-west-1:111122223333:cluster/prod
- context:
    cluster: cce-internal
    user: cce-user
    namespace: kube-system
  name: internal
current-context: arn:aws:eks:eu-west-1:111122223333:cluster/prod
kind: Config
preferences: {}
users:
- name: arn:aws:eks:eu-west-1:111122223333:cluster/prod
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      args:
      - --region
      - eu-west-1
      - eks
      - get-token
      - --cluster-name
      - prod
      command: aws
      env:
      - name: AWS_PROFILE
        value: platform
      interactiveMode: IfAvailable
      provideClusterInfo: false
- name: cce-user
  user:
    client-certificate: certs/user.crt
    client-key: /etc/cce/user.key
)";

TEST(KubeconfigTest, CurrentContextWithAnExecPlugin) {
  const auto resolved = resolveKubeconfig({{"/home/sre/.kube/config", kEksConfig}}, "");
  ASSERT_TRUE(std::holds_alternative<ClusterAccess>(resolved)) << std::get<std::string>(resolved);
  const auto& access = std::get<ClusterAccess>(resolved);
  EXPECT_EQ(access.context, "arn:aws:eks:eu-west-1:111122223333:cluster/prod");
  EXPECT_EQ(access.server, "https://ABCDEF0123456789.gr7.eu-west-1.eks.amazonaws.com");
  EXPECT_TRUE(access.ca_pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
  ASSERT_TRUE(access.exec.has_value());
  EXPECT_EQ(access.exec->api_version, "client.authentication.k8s.io/v1beta1");
  EXPECT_EQ(access.exec->command, "aws");
  EXPECT_EQ(access.exec->args.size(), 6u);
  EXPECT_EQ(access.exec->args[3], "get-token");
  ASSERT_EQ(access.exec->env.size(), 1u);
  EXPECT_EQ(access.exec->env[0].first, "AWS_PROFILE");
  EXPECT_EQ(access.exec->base_dir, "/home/sre/.kube");
  EXPECT_TRUE(access.token.empty());
}

TEST(KubeconfigTest, NamedContextResolvesRelativeFilesAgainstTheKubeconfigsFolder) {
  const auto resolved = resolveKubeconfig({{"/home/sre/.kube/config", kEksConfig}}, "internal");
  ASSERT_TRUE(std::holds_alternative<ClusterAccess>(resolved)) << std::get<std::string>(resolved);
  const auto& access = std::get<ClusterAccess>(resolved);
  EXPECT_EQ(access.server, "https://10.0.0.10:5443");
  EXPECT_EQ(access.ca_file, "/home/sre/.kube/ca/cluster-ca.crt");
  EXPECT_EQ(access.tls_server_name, "kubernetes.default.svc");
  EXPECT_EQ(access.client_cert_file, "/home/sre/.kube/certs/user.crt");
  EXPECT_EQ(access.client_key_file, "/etc/cce/user.key");
  EXPECT_FALSE(access.exec.has_value());
}

TEST(KubeconfigTest, MergedFilesFirstOneToNameAThingWins) {
  const std::string first = R"(apiVersion: v1
kind: Config
clusters:
- name: shared
  cluster: {server: "https://first.example:6443"}
users:
- name: me
  user: {tokenFile: token}
)";
  const std::string second = R"(apiVersion: v1
kind: Config
current-context: ctx
clusters:
- name: shared
  cluster: {server: "https://second.example:6443"}
contexts:
- name: ctx
  context: {cluster: shared, user: me}
users:
- name: me
  user: {token: from-second}
)";
  const auto resolved = resolveKubeconfig({{"/a/one", first}, {"/b/two", second}}, "");
  ASSERT_TRUE(std::holds_alternative<ClusterAccess>(resolved)) << std::get<std::string>(resolved);
  const auto& access = std::get<ClusterAccess>(resolved);
  EXPECT_EQ(access.server, "https://first.example:6443");
  EXPECT_EQ(access.token_file, "/a/token");
  EXPECT_TRUE(access.token.empty());
}

TEST(KubeconfigTest, ErrorsNameTheFileAndTheField) {
  auto error = [](const std::string& text, const std::string& context = "") {
    const auto resolved = resolveKubeconfig({{"/k/config", text}}, context);
    return std::holds_alternative<std::string>(resolved) ? std::get<std::string>(resolved) : "accepted";
  };
  EXPECT_EQ(error(kEksConfig, "staging"), "no context \"staging\" in /k/config");
  EXPECT_EQ(error("clusters: [\n"), "/k/config: line 2: invalid YAML: end of sequence flow not found");
  EXPECT_EQ(error("- a\n- b\n"), "/k/config: expected a kubeconfig (a map with clusters, users, contexts)");
  EXPECT_EQ(error("contexts: []\n"), "no current-context in /k/config (give --context)");
  const std::string base =
      "current-context: c\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\n"
      "clusters:\n- name: k\n  cluster: {server: 'https://k:6443'}\n";
  EXPECT_EQ(
      error(base + "users:\n- name: u\n  user:\n    exec: {apiVersion: "
                   "client.authentication.k8s.io/v1alpha1, command: x}\n"),
      "/k/config: /users/0/user/exec/apiVersion: expected client.authentication.k8s.io/v1 or v1beta1, got "
      "\"client.authentication.k8s.io/v1alpha1\"");
  EXPECT_EQ(
      error(base + "users:\n- name: u\n  user:\n    exec: {apiVersion: client.authentication.k8s.io/v1}\n"),
      "/k/config: /users/0/user/exec/command: expected a command");
  EXPECT_EQ(error(base + "users:\n- name: u\n  user: {client-certificate-data: 'not base64!'}\n"),
            "/k/config: /users/0/user/client-certificate-data: expected base64 (a PEM file, encoded)");
  EXPECT_NE(error(base + "users:\n- name: u\n  user:\n    auth-provider: {name: gcp}\n")
                .find("/users/0/user/auth-provider: the \"gcp\" auth-provider was removed"),
            std::string::npos);
  EXPECT_EQ(error(base + "users: []\n"), "context \"c\" names user \"u\", which is not in /k/config");
}

TEST(KubeconfigTest, PathsFollowKubectlsPrecedence) {
  test::TempDir home;
  EXPECT_EQ(kubeconfigPaths("/x/flag", "/a:/b", home.path().c_str()),
            std::vector<std::filesystem::path>{"/x/flag"});
  EXPECT_EQ(kubeconfigPaths("", "/a::/b:/a", home.path().c_str()),
            (std::vector<std::filesystem::path>{"/a", "/b"}));
  EXPECT_TRUE(kubeconfigPaths("", nullptr, home.path().c_str()).empty());
  std::filesystem::create_directories(home.path() / ".kube");
  std::ofstream(home.path() / ".kube" / "config") << kEksConfig;
  EXPECT_EQ(kubeconfigPaths("", "", home.path().c_str()),
            std::vector<std::filesystem::path>{home.path() / ".kube" / "config"});
}

TEST(KubeconfigTest, InClusterNeedsBothServiceVariables) {
  EXPECT_FALSE(inClusterAccess(nullptr, "443", "/sa").has_value());
  EXPECT_FALSE(inClusterAccess("10.96.0.1", "", "/sa").has_value());
  const auto v4 = inClusterAccess("10.96.0.1", "443", "/sa");
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->server, "https://10.96.0.1:443");
  EXPECT_EQ(v4->token_file, "/sa/token");
  EXPECT_EQ(v4->ca_file, "/sa/ca.crt");
  EXPECT_EQ(inClusterAccess("fd00:10:96::1", "443", "/sa")->server, "https://[fd00:10:96::1]:443");
}

TEST(KubeconfigTest, LoadSkipsMissingEntriesOnlyWhenAsked) {
  test::TempDir dir;
  std::ofstream(dir / "config") << kEksConfig;
  const std::vector<std::filesystem::path> paths{dir / "absent", dir / "config"};
  const auto skipped = loadKubeconfig(paths, true, "internal");
  ASSERT_TRUE(std::holds_alternative<ClusterAccess>(skipped)) << std::get<std::string>(skipped);
  EXPECT_EQ(std::get<ClusterAccess>(skipped).ca_file, dir / "ca" / "cluster-ca.crt");
  const auto named = loadKubeconfig(paths, false, "internal");
  ASSERT_TRUE(std::holds_alternative<std::string>(named));
  EXPECT_EQ(std::get<std::string>(named),
            "kubeconfig " + (dir / "absent").string() + ": No such file or directory");
  EXPECT_EQ(std::get<std::string>(loadKubeconfig({dir / "absent"}, true, "")),
            "none of the kubeconfig files in $KUBECONFIG exists");
}

TEST(FilesTest, TokenFilesHoldOneTokenWithinTheirBound) {
  test::TempDir dir;
  std::ofstream(dir / "token") << "  eyJhbGciOiJSUzI1NiJ9.e30.sig\n";
  EXPECT_EQ(readTokenFile(dir / "token", "tokenFile", 4096).text, "eyJhbGciOiJSUzI1NiJ9.e30.sig");
  std::ofstream(dir / "two") << "one two\n";
  EXPECT_EQ(readTokenFile(dir / "two", "tokenFile", 4096).error,
            "tokenFile " + (dir / "two").string() + ": expected one token");
  std::ofstream(dir / "empty") << "\n";
  EXPECT_EQ(readTokenFile(dir / "empty", "tokenFile", 4096).error,
            "tokenFile " + (dir / "empty").string() + ": expected one token");
  std::ofstream(dir / "big") << std::string(5000, 'x');
  EXPECT_EQ(readTokenFile(dir / "big", "--token-file", 4096).error,
            "--token-file " + (dir / "big").string() + ": larger than 4096 bytes");
  EXPECT_EQ(readSmallFile(dir / "none", "--ca-file", 4096).error,
            "--ca-file " + (dir / "none").string() + ": No such file or directory");
}

TEST(Base64Test, DecodesWhatKubeconfigsHoldAndRefusesTheRest) {
  EXPECT_EQ(decodeBase64("aGVsbG8="), "hello");
  EXPECT_EQ(decodeBase64("aGVs\nbG8h"), "hello!");
  EXPECT_EQ(decodeBase64(""), "");
  EXPECT_FALSE(decodeBase64("aGVsbG8").has_value());
  EXPECT_FALSE(decodeBase64("aGV=bG8h").has_value());
  EXPECT_FALSE(decodeBase64("a-b_").has_value());
  EXPECT_EQ(decodeBase64(encodeBase64(std::string("\0\xff\x10z", 4))), std::string("\0\xff\x10z", 4));
}

}  // namespace
}  // namespace sgaudit::collect
