// `sgaudit collect kubernetes` against a loopback API server (support/fake_apiserver.hpp): TLS with a CA made
// at test time, bearer tokens, client certificates and exec plugins, pages of two items, an expired continue
// token, a forbidden list, refused credentials and an untrusted server. The seed cluster collected from it
// audits to the same findings as its kubectl files.
#include "sgaudit/collect/kubernetes_collector.hpp"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sgaudit/collect/base64.hpp"
#include "sgaudit/collect/kubernetes_api.hpp"
#include "support/fake_apiserver.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/tls_cert.hpp"

namespace sgaudit::collect {
namespace {

namespace fs = std::filesystem;

constexpr const char* kToken = "sgaudit-test-token-7f3a9c";

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

nlohmann::json readJson(const fs::path& path) {
  return nlohmann::json::parse(readFile(path));
}

fs::path seedDir() {
  return test::testDataDir() / "scenarios" / "cce-seed";
}

// (check, fingerprint) of every finding of `sgaudit audit DIR --policy <seed policy> --format json`.
std::vector<std::pair<std::string, std::string>> auditFindings(const fs::path& dir) {
  const auto result =
      test::runProcess({test::sgauditBinary().string(), "audit", dir.string(), "--policy",
                        (seedDir() / "policy.json").string(), "--format", "json", "--today", "2026-12-04"});
  EXPECT_EQ(result.exit_code, 1) << result.err;  // the seed has findings
  std::vector<std::pair<std::string, std::string>> findings;
  const auto report = nlohmann::json::parse(result.out);
  for (const auto& finding : report.at("findings"))
    findings.emplace_back(finding.at("check"), finding.at("fingerprint"));
  std::sort(findings.begin(), findings.end());
  return findings;
}

class CollectKubernetesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_ = test::writeCertificateAuthority(dir_.path(), "ca", "kubernetes");
    const auto server_cert =
        test::writeIssuedCertificate(dir_.path(), "apiserver", "kube-apiserver", "", ca_, true);
    server_ = std::make_unique<test::FakeApiServer>(server_cert, ca_.certificate);
    server_->serveList("/api/v1/nodes", "NodeList", "v1", readJson(seedDir() / "nodes.json"));
    server_->serveList("/api/v1/pods", "PodList", "v1", readJson(seedDir() / "pods.json"));
    server_->serveList("/apis/apps/v1/deployments", "DeploymentList", "apps/v1",
                       readJson(seedDir() / "deployments.json"));
    for (const auto& [path, kind] :
         std::vector<std::pair<std::string, std::string>>{{"/apis/apps/v1/replicasets", "ReplicaSetList"},
                                                          {"/apis/apps/v1/daemonsets", "DaemonSetList"},
                                                          {"/apis/apps/v1/statefulsets", "StatefulSetList"}})
      server_->serveList(path, kind, "apps/v1", nlohmann::json::array());
    server_->acceptToken(kToken);
  }

  // A kubeconfig for the fake server whose user is `user` (YAML under `user:`); the CA by relative path.
  fs::path kubeconfig(const std::string& user, const std::string& cluster_extra = "") {
    const fs::path path = dir_ / "kubeconfig";
    std::ofstream(path) << "apiVersion: v1\nkind: Config\ncurrent-context: fake\n"
                        << "clusters:\n- name: fake\n  cluster:\n    server: https://127.0.0.1:"
                        << server_->port() << "\n"
                        << (cluster_extra.empty() ? "    certificate-authority: ca.crt\n" : cluster_extra)
                        << "contexts:\n- name: fake\n  context: {cluster: fake, user: me}\n"
                        << "users:\n- name: me\n  user:\n"
                        << user;
    return path;
  }

  test::ProcessResult collect(const fs::path& config, const fs::path& out,
                              std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{test::sgauditBinary().string(),
                                  "collect",
                                  "kubernetes",
                                  "--kubeconfig",
                                  config.string(),
                                  "--out",
                                  out.string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return test::runProcess(argv);
  }

  test::TempDir dir_;
  test::CertificateFiles ca_;
  std::unique_ptr<test::FakeApiServer> server_;
};

TEST_F(CollectKubernetesTest, SeedClusterCollectedInPagesAuditsAsItsFiles) {
  server_->expireContinueOnce("/api/v1/pods");
  // The seed's folder with its kubectl files replaced by what the collector writes.
  const fs::path out = dir_ / "cluster";
  fs::copy(seedDir(), out, fs::copy_options::recursive);
  for (const char* name : {"nodes.json", "pods.json", "deployments.json"})
    fs::remove(out / name);

  const auto result =
      collect(kubeconfig(std::string("    token: ") + kToken + "\n"), out, {"--page-size", "1"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("pods.json: 2 pods (2 pages, restarted 1 after an expired continue token)"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("nodes.json: 1 nodes (1 page)"), std::string::npos) << result.out;
  EXPECT_EQ(result.out.find(kToken), std::string::npos);
  EXPECT_EQ(result.err.find(kToken), std::string::npos);

  // As the API server lists them: items without kind, under the List's kind.
  const auto pods = readJson(out / "pods.json");
  EXPECT_EQ(pods["kind"], "PodList");
  ASSERT_EQ(pods["items"].size(), 2u);
  EXPECT_FALSE(pods["items"][0].contains("kind"));
  EXPECT_EQ(pods["items"][0]["metadata"]["name"], "nginx-6fdf99c8b-6wwft");
  EXPECT_EQ(pods["items"][1]["metadata"]["name"], "nginx-6fdf99c8b-rglm7");
  EXPECT_TRUE(readJson(out / "statefulsets.json")["items"].empty());
  for (const auto& entry : fs::directory_iterator(out))
    EXPECT_FALSE(entry.path().filename().string().starts_with(".sgaudit-collect")) << entry.path();

  // Every request was a bearer-token list with limit=1; the pods list went: page, 410, page, page.
  std::vector<std::string> pod_requests;
  for (const auto& seen : server_->requests()) {
    EXPECT_EQ(seen.user, "token:sgau");
    EXPECT_NE(seen.target.find("?limit=1"), std::string::npos) << seen.target;
    if (seen.target.starts_with("/api/v1/pods")) pod_requests.push_back(std::to_string(seen.status));
  }
  EXPECT_EQ(pod_requests, (std::vector<std::string>{"200", "410", "200", "200"}));

  const auto collected = auditFindings(out);
  EXPECT_EQ(collected.size(), 6u);
  EXPECT_EQ(collected, auditFindings(seedDir()));
}

TEST_F(CollectKubernetesTest, ForbiddenListIsAWarningNamingTheRbacRuleAndTheOthersAreCollected) {
  server_->forbid("/apis/apps/v1/statefulsets", "statefulsets", "apps");
  const fs::path out = dir_ / "out";
  fs::create_directories(out);
  std::ofstream(out / "statefulsets.json")
      << R"({"kind":"StatefulSetList","apiVersion":"apps/v1","items":[]})";

  const auto result = collect(kubeconfig(std::string("    token: ") + kToken + "\n"), out);
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_EQ(
      result.err,
      "sgaudit: warning: cannot list statefulsets (403 Forbidden): the account needs get and list on "
      "statefulsets in API group \"apps\", cluster-wide: statefulsets.apps is forbidden: User "
      "\"system:serviceaccount:sgaudit:sgaudit\" cannot list resource \"statefulsets\" in API group \"apps\" "
      "at the cluster scope\n");
  EXPECT_TRUE(fs::exists(out / "nodes.json"));
  EXPECT_TRUE(fs::exists(out / "daemonsets.json"));
  EXPECT_FALSE(fs::exists(out / "statefulsets.json")) << "an old list must not be audited beside new ones";
}

TEST_F(CollectKubernetesTest, RefusedCredentialsAreOneLineAndLeaveTheFolderAsItWas) {
  const fs::path out = dir_ / "out";
  fs::create_directories(out);
  std::ofstream(out / "nodes.json") << "old";
  const auto result = collect(kubeconfig("    token: wrong-token-1234\n"), out);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  EXPECT_NE(result.err.find("the API server refused the credentials (401 Unauthorized)"), std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("is unchanged"), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("wrong-token"), std::string::npos);
  EXPECT_EQ(readFile(out / "nodes.json"), "old");
  EXPECT_EQ(std::distance(fs::directory_iterator(out), fs::directory_iterator()), 1);
}

TEST_F(CollectKubernetesTest, AServerCertificateFromAnotherAuthorityIsRefusedBeforeAnyRequest) {
  const auto other = test::writeCertificateAuthority(dir_.path(), "other-ca", "someone-else");
  const auto result = collect(kubeconfig(std::string("    token: ") + kToken + "\n",
                                         "    certificate-authority: " + other.certificate.string() + "\n"),
                              dir_ / "out");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("TLS with https://127.0.0.1:" + std::to_string(server_->port()) +
                            " failed: the server's certificate was not accepted: "),
            std::string::npos)
      << result.err;
  EXPECT_TRUE(server_->requests().empty());
  EXPECT_FALSE(fs::exists(dir_ / "out" / "nodes.json"));
}

TEST_F(CollectKubernetesTest, ClientCertificateFromKubeconfigData) {
  const auto client =
      test::writeIssuedCertificate(dir_.path(), "admin", "kubernetes-admin", "system:masters", ca_, false);
  server_->acceptClientCommonName("kubernetes-admin");
  const auto result =
      collect(kubeconfig("    client-certificate-data: " + encodeBase64(readFile(client.certificate)) +
                         "\n    client-key-data: " + encodeBase64(readFile(client.private_key)) + "\n"),
              dir_ / "out");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  ASSERT_FALSE(server_->requests().empty());
  for (const auto& seen : server_->requests())
    EXPECT_EQ(seen.user, "cert:kubernetes-admin");
  // Over one kept-alive connection, six lists.
  EXPECT_EQ(server_->requests().size(), 6u);
}

TEST_F(CollectKubernetesTest, ExecPluginToken) {
  const fs::path plugin = dir_ / "get-token";
  std::ofstream(plugin) << "#!/bin/sh\nprintf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":"
                           "\"ExecCredential\",\"status\":{\"token\":\"%s\",\"expirationTimestamp\":"
                           "\"2099-01-01T00:00:00Z\"}}' \"$TOKEN\"\n";
  chmod(plugin.c_str(), 0755);
  const auto result =
      collect(kubeconfig(std::string("    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
                                     "      command: ./get-token\n      env:\n      - name: TOKEN\n"
                                     "        value: ") +
                         kToken + "\n"),
              dir_ / "out");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(readJson(dir_ / "out" / "nodes.json")["items"][0]["metadata"]["name"], "10.1.0.55");
}

TEST_F(CollectKubernetesTest, InsecureSkipTlsVerifyOnlyWithTheFlagThatSaysSo) {
  const auto config =
      kubeconfig(std::string("    token: ") + kToken + "\n", "    insecure-skip-tls-verify: true\n");
  auto result = collect(config, dir_ / "out");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("sets insecure-skip-tls-verify; sgaudit will not send credentials"),
            std::string::npos)
      << result.err;
  EXPECT_TRUE(server_->requests().empty());
  result = collect(config, dir_ / "out", {"--insecure-skip-tls-verify"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("warning: the server's certificate is not verified"), std::string::npos);
}

TEST_F(CollectKubernetesTest, UnreachableServerIsOneLine) {
  const fs::path config = dir_ / "closed";
  std::ofstream(config)
      << "current-context: c\ncontexts:\n- name: c\n  context: {cluster: k}\n"
         "clusters:\n- name: k\n  cluster: {server: 'https://127.0.0.1:1', certificate-authority: ca.crt}\n";
  const auto result = collect(config, dir_ / "out");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(
      result.err,
      "sgaudit: error: https://127.0.0.1:1 (context c): cannot connect to https://127.0.0.1:1: Connection "
      "refused; " +
          (dir_ / "out").string() + " is unchanged\n");
}

// In a pod: the service account's token and CA; the token is re-read when it rotates (a 401 renews it).
TEST_F(CollectKubernetesTest, InClusterServiceAccountWithARotatingToken) {
  const fs::path account = dir_ / "serviceaccount";
  fs::create_directories(account);
  fs::copy_file(ca_.certificate, account / "ca.crt");
  std::ofstream(account / "token") << kToken << "\n";
  const std::string port = std::to_string(server_->port());
  auto access = inClusterAccess("127.0.0.1", port.c_str(), account);
  ASSERT_TRUE(access.has_value());
  auto connected = KubernetesApi::connect(*access, {});
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<KubernetesApi>>(connected))
      << std::get<std::string>(connected);
  auto& api = *std::get<std::unique_ptr<KubernetesApi>>(connected);
  auto get = [&api](const std::string& target) { return api.get(target); };
  auto first = collectKubernetes(get, dir_ / "first");
  ASSERT_TRUE(std::holds_alternative<CollectResult>(first)) << std::get<CollectFailure>(first).message;

  // The kubelet rotates the bound token: the old one is refused from now on.
  std::ofstream(account / "token") << "rotated-token-5e21\n";
  server_->acceptToken("rotated-token-5e21");
  server_->revokeToken(kToken);
  auto second = collectKubernetes(get, dir_ / "second");
  ASSERT_TRUE(std::holds_alternative<CollectResult>(second)) << std::get<CollectFailure>(second).message;
  EXPECT_EQ(server_->requests().back().user, "token:rota");
  EXPECT_EQ(readFile(dir_ / "first" / "pods.json"), readFile(dir_ / "second" / "pods.json"));
}

// The pager alone, on answers a test writes: retries after 503 and 429, gives up on endless 410s.
TEST(PageListTest, RetriesOverloadAndGivesUpOnEndlessExpiry) {
  const ResourceList& nodes = collectedLists().front();
  CollectOptions options;
  options.retry_delay = std::chrono::milliseconds(1);
  std::vector<HttpResponse> answers;
  answers.push_back({503, {}, "upstream connect error"});
  answers.push_back({429, {{"Retry-After", "0"}}, R"({"kind":"Status","message":"too many requests"})"});
  answers.push_back(
      {200,
       {},
       R"({"kind":"NodeList","metadata":{"continue":"a+b/c="},"items":[{"metadata":{"name":"n1"}}]})"});
  answers.push_back({200, {}, R"({"kind":"NodeList","metadata":{},"items":[{"metadata":{"name":"n2"}}]})"});
  std::vector<std::string> targets;
  std::size_t next = 0;
  ApiGet get = [&](const std::string& target) -> std::variant<HttpResponse, TransportError> {
    targets.push_back(target);
    return answers.at(next++);
  };
  std::vector<std::string> items;
  auto result = pageList(
      get, nodes, options, [&](std::string_view item) { items.emplace_back(item); }, [] {});
  ASSERT_TRUE(std::holds_alternative<ListResult>(result)) << std::get<CollectFailure>(result).message;
  EXPECT_EQ(items,
            (std::vector<std::string>{R"({"metadata":{"name":"n1"}})", R"({"metadata":{"name":"n2"}})"}));
  EXPECT_EQ(targets.back(), "/api/v1/nodes?limit=500&continue=a%2Bb%2Fc%3D");

  answers = {{200, {}, R"({"kind":"NodeList","metadata":{"continue":"t"},"items":[]})"},
             {410, {}, R"({"kind":"Status","reason":"Expired"})"}};
  int restarts = 0;
  ApiGet expiring = [&](const std::string& target) -> std::variant<HttpResponse, TransportError> {
    return answers[target.find("continue") == std::string::npos ? 0 : 1];
  };
  result = pageList(
      expiring, nodes, options, [](std::string_view) {}, [&] { ++restarts; });
  ASSERT_TRUE(std::holds_alternative<CollectFailure>(result));
  EXPECT_EQ(restarts, 3);
  EXPECT_EQ(
      std::get<CollectFailure>(result).message,
      "listing nodes: the continue token expired 4 times (410 Gone); the cluster changes faster than it can "
      "be paged");

  ApiGet wrong_kind = [](const std::string&) -> std::variant<HttpResponse, TransportError> {
    return HttpResponse{200, {}, R"({"kind":"PodList","items":[]})"};
  };
  result = pageList(
      wrong_kind, nodes, options, [](std::string_view) {}, [] {});
  ASSERT_TRUE(std::holds_alternative<CollectFailure>(result));
  EXPECT_EQ(std::get<CollectFailure>(result).message,
            "listing nodes: the API server's answer is not a NodeList");
}

}  // namespace
}  // namespace sgaudit::collect
