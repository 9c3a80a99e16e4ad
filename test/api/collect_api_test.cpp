// Clusters the server collects itself (issue 19, item 4), end to end: the real `sgaudit serve` with a
// --kubeconfig-dir, a loopback TLS API server (support/fake_apiserver.hpp) holding the cce-seed cluster, the
// source set by an admin, POST .../collect by an ingest token, and the audit of what was collected.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>

#include "api_server.hpp"
#include "support/fake_apiserver.hpp"
#include "support/tls_cert.hpp"

namespace sgaudit::test {
namespace {

using json = nlohmann::json;

const std::filesystem::path kScenario = testDataDir() / "scenarios" / "cce-seed";
constexpr const char* kToken = "collector-token-0c1d";

json readJson(const std::filesystem::path& path) {
  return json::parse(readFile(path));
}

std::set<std::pair<std::string, std::string>> checksAndFingerprints(const json& findings) {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& finding : findings)
    out.emplace(finding.at("check"), finding.at("fingerprint"));
  return out;
}

class CollectApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto ca = writeCertificateAuthority(dir_.path(), "ca", "kubernetes");
    const auto cert = writeIssuedCertificate(dir_.path(), "apiserver", "kube-apiserver", "", ca, true);
    cluster_ = std::make_unique<FakeApiServer>(cert, std::filesystem::path());
    cluster_->serveList("/api/v1/nodes", "NodeList", "v1", readJson(kScenario / "nodes.json"));
    cluster_->serveList("/api/v1/pods", "PodList", "v1", readJson(kScenario / "pods.json"));
    cluster_->serveList("/apis/apps/v1/deployments", "DeploymentList", "apps/v1",
                        readJson(kScenario / "deployments.json"));
    for (const auto& [resource, list_kind] :
         std::vector<std::pair<std::string, std::string>>{{"replicasets", "ReplicaSetList"},
                                                          {"daemonsets", "DaemonSetList"},
                                                          {"statefulsets", "StatefulSetList"}})
      cluster_->serveList("/apis/apps/v1/" + resource, list_kind, "apps/v1", json::array());
    cluster_->acceptToken(kToken);
    const auto kubeconfigs = dir_ / "kubeconfigs";
    std::filesystem::create_directories(kubeconfigs);
    std::filesystem::copy_file(ca.certificate, kubeconfigs / "cluster-ca.crt");
    std::ofstream(kubeconfigs / "prod.yaml")
        << "apiVersion: v1\nkind: Config\ncurrent-context: prod\nclusters:\n- name: prod\n  cluster:\n"
        << "    server: https://127.0.0.1:" << cluster_->port()
        << "\n    certificate-authority: cluster-ca.crt\n"
        << "contexts:\n- name: prod\n  context: {cluster: prod, user: collector}\n"
        << "users:\n- name: collector\n  user:\n    token: " << kToken << "\n";
    server_ =
        std::make_unique<ApiServer>(dir_, std::vector<std::string>{"--kubeconfig-dir", kubeconfigs.string()});
  }

  ClientResponse putSource(const std::string& body, const std::string& token) {
    return server_->call("PUT", "/api/v1/clusters/cce/source", body, token,
                         "Content-Type: application/json\r\n");
  }
  ClientResponse collect() {
    return server_->call("POST", "/api/v1/clusters/cce/collect", {}, server_->ingest);
  }
  json cluster() {
    return json::parse(server_->call("GET", "/api/v1/clusters/cce", {}, server_->reader).body);
  }

  TempDir dir_;
  std::unique_ptr<FakeApiServer> cluster_;
  std::unique_ptr<ApiServer> server_;
};

TEST_F(CollectApiTest, CollectedClusterAuditsAsTheSeedsFiles) {
  // The seed's other files as a user uploads them: cloud JSON into an account, node sockets, logs and the
  // manifest into the cluster; the kubectl lists come from the collection.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(kScenario)) {
    if (!entry.is_regular_file()) continue;
    const std::string relative = std::filesystem::relative(entry.path(), kScenario).string();
    if (relative == "README.md" || relative == "policy.json" || relative == "nodes.json" ||
        relative == "pods.json" || relative == "deployments.json")
      continue;
    const bool cloud = relative.find("security-group") != std::string::npos ||
                       relative == "cce-cluster.json" || relative == "ecs-servers.json" ||
                       relative == "vpc.json";
    const auto response = server_->upload(cloud ? "accounts/huawei" : "clusters/cce", "cce-seed/" + relative,
                                          readFile(entry.path()));
    ASSERT_EQ(response.status, 201) << relative << ": " << response.body;
  }
  ASSERT_EQ(server_
                ->call("PUT", "/api/v1/policies/seed", readFile(kScenario / "policy.json"), server_->admin,
                       "Content-Type: application/json\r\n")
                .status,
            201);

  EXPECT_EQ(collect().status, 409) << "no source yet";
  EXPECT_EQ(putSource(R"({"kind": "kubeconfig", "file": "prod.yaml"})", server_->ingest).status, 403);
  auto response = putSource(R"({"kind": "kubeconfig", "file": "../prod.yaml"})", server_->admin);
  EXPECT_EQ(response.status, 422);
  EXPECT_EQ(json::parse(response.body).at("errors").at(0).at("pointer"), "/file") << response.body;
  EXPECT_EQ(putSource(R"({"kind": "kubeconfig", "file": "staging.yaml"})", server_->admin).status, 422);
  EXPECT_EQ(putSource(R"({"kind": "ftp"})", server_->admin).status, 422);
  response = putSource(R"({"kind": "kubeconfig", "file": "prod.yaml"})", server_->admin);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(cluster().at("source"), json::parse(R"({"kind": "kubeconfig", "file": "prod.yaml"})"));

  response = collect();
  ASSERT_EQ(response.status, 200) << response.body;
  const json collection = json::parse(response.body);
  EXPECT_EQ(collection.at("state"), "complete");
  EXPECT_EQ(collection.at("lists"), json::parse(R"({"nodes": 1, "pods": 2, "deployments": 1, "replicasets": 0,
                                                   "daemonsets": 0, "statefulsets": 0})"));
  std::set<std::string> names;
  const json collected = cluster();
  for (const auto& input : collected.at("latest_snapshot").at("inputs"))
    names.insert(input.at("name").get<std::string>());
  EXPECT_TRUE(names.contains("collected/pods.json")) << collected.dump();
  EXPECT_TRUE(names.contains("cce-seed/node-sockets/10.1.0.55.txt"));

  const auto audit = server_->call("POST", "/api/v1/audits",
                                   R"({"cluster": "cce", "accounts": ["huawei"], "policy": "seed"})",
                                   server_->ingest, "Content-Type: application/json\r\n");
  ASSERT_EQ(audit.status, 201) << audit.body;
  const auto id = json::parse(audit.body).at("id").get<std::int64_t>();
  const auto report =
      server_->call("GET", "/api/v1/audits/" + std::to_string(id) + "/report.json", {}, server_->reader);
  const auto cli = runProcess({sgauditBinary().string(), "audit", kScenario.string(), "--policy",
                               (kScenario / "policy.json").string(), "--format", "json"});
  const auto found = checksAndFingerprints(json::parse(report.body).at("findings"));
  EXPECT_EQ(found.size(), 6u);
  EXPECT_EQ(found, checksAndFingerprints(json::parse(cli.out).at("findings")));

  // Again, nothing changed: the same snapshot.
  response = collect();
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(json::parse(response.body).at("snapshot_id"), collection.at("snapshot_id"));

  // A list the account may no longer read: partial, nothing stored, the last good snapshot stays.
  cluster_->forbid("/apis/apps/v1/statefulsets", "statefulsets", "apps");
  const json before = cluster().at("latest_snapshot");
  response = collect();
  ASSERT_EQ(response.status, 200) << response.body;
  const json partial = json::parse(response.body);
  EXPECT_EQ(partial.at("state"), "partial");
  EXPECT_EQ(partial.at("message"), "1 of 6 lists could not be read; nothing was stored");
  EXPECT_NE(partial.at("warnings").at(0).get<std::string>().find("get and list on statefulsets"),
            std::string::npos);
  EXPECT_EQ(cluster().at("latest_snapshot"), before);

  // Credentials the cluster refuses: a gateway error naming the 401, never the token.
  cluster_->revokeToken(kToken);
  response = collect();
  EXPECT_EQ(response.status, 502);
  EXPECT_EQ(response.headers.at("content-type"), "application/problem+json");
  EXPECT_NE(response.body.find("401 Unauthorized"), std::string::npos) << response.body;
  EXPECT_EQ(response.body.find(kToken), std::string::npos);
  EXPECT_EQ(server_->logText().find(kToken), std::string::npos);

  EXPECT_EQ(server_->call("DELETE", "/api/v1/clusters/cce/source", {}, server_->admin).status, 204);
  EXPECT_TRUE(cluster().at("source").is_null());
}

}  // namespace
}  // namespace sgaudit::test
