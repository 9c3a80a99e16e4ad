// Accounts the server collects itself (issue 20): an account scope names its provider source, the server
// reads the provider's API with its own credentials (here the loopback fake AWS, which checks every SigV4
// signature) and stores the documents as the account's collected inputs; auditing them with the cluster's
// uploads finds what auditing the scenario's files finds. A failed collection stores nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <tuple>

#include "api_server.hpp"
#include "support/fake_aws.hpp"

namespace sgaudit::test {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kKey = "AKIDACCOUNTSOURCE001";
constexpr const char* kSecret = "accountSourceSecret/K7MDENG+bPxRfiEXAMPLE";
constexpr const char* kRegion = "eu-west-1";
const std::string kJson = "Content-Type: application/json\r\n";

std::filesystem::path scenario() {
  return testDataDir() / "scenarios" / "aws-eks";
}

json readJson(const std::filesystem::path& path) {
  return json::parse(readFile(path));
}

// The server's AWS configuration: keys in its environment, the fake as every endpoint, no shared files or
// instance metadata of the machine the tests run on.
std::map<std::string, std::string> awsEnvironment(const FakeAws& fake, const TempDir& dir) {
  std::map<std::string, std::string> env = {{"AWS_ACCESS_KEY_ID", kKey},
                                            {"AWS_SECRET_ACCESS_KEY", kSecret},
                                            {"AWS_ENDPOINT_URL", fake.url()},
                                            {"AWS_EC2_METADATA_DISABLED", "true"},
                                            {"HOME", dir.path().string()}};
  for (const char* name :
       {"AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL_EKS", "AWS_ENDPOINT_URL_STS"})
    env.emplace(name, "");
  return env;
}

std::vector<std::tuple<std::string, std::string>> findingsOf(const json& document) {
  std::vector<std::tuple<std::string, std::string>> out;
  for (const auto& finding : document.at("findings"))
    out.emplace_back(finding.at("check"), finding.at("fingerprint"));
  std::sort(out.begin(), out.end());
  return out;
}

// Test the account source from end to end: refused sources, a collection through the fake's signed API, an
// audit of it with the cluster's uploads that finds what the CLI finds in the scenario, a second collection
// that changes nothing, and a failed one that leaves the last good snapshot and names AWS's error without
// the secret.
TEST(AccountCollectApiTest, CollectedAccountAuditsLikeTheScenario) {
  FakeAws fake;
  fake.acceptKey(kKey, kSecret);
  fake.setRegion(kRegion);
  const json groups = readJson(scenario() / "describe-security-groups.json");
  fake.serveEc2("DescribeSecurityGroups", groups);
  fake.serveEc2("DescribeSecurityGroupRules", FakeAws::rulesOf(groups));
  fake.serveEc2("DescribeInstances", readJson(scenario() / "describe-instances.json"));
  fake.serveEc2("DescribeVpcs", readJson(scenario() / "describe-vpcs.json"));
  fake.serveEc2("DescribeManagedPrefixLists", {{"PrefixLists", json::array()}});
  fake.serveCluster(readJson(scenario() / "eks-describe-cluster.json"));
  fake.setPageSize(2);

  TempDir dir;
  ApiServer server(dir, {}, awsEnvironment(fake, dir));
  const std::string source_url = "/api/v1/accounts/shop-aws/source";
  for (const auto& [body, pointer] : std::vector<std::pair<std::string, std::string>>{
           {R"({"kind": "gcp"})", "/kind"},
           {R"({"kind": "aws", "cloud": "prod"})", "/cloud"},
           {R"({"kind": "aws", "region": "../../etc/passwd"})", "/region"},
           {R"({"kind": "aws", "profile": 7})", "/profile"}}) {
    const auto refused = server.call("PUT", source_url, body, server.admin, kJson);
    expectProblem(refused, 422);
    const json problem = json::parse(refused.body);
    EXPECT_EQ(problem.at("errors").at(0).at("pointer"), pointer) << body << ": " << refused.body;
  }
  const std::string source =
      std::string(R"({"kind": "aws", "region": ")") + kRegion + R"(", "cluster": "shop"})";
  expectProblem(server.call("PUT", source_url, source, server.ingest, kJson), 403);
  expectProblem(server.call("POST", "/api/v1/accounts/shop-aws/collect", {}, server.ingest), 404);
  const auto put = server.call("PUT", source_url, source, server.admin, kJson);
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(json::parse(put.body).at("source").at("cluster"), "shop");

  const auto collected = server.call("POST", "/api/v1/accounts/shop-aws/collect", {}, server.ingest);
  ASSERT_EQ(collected.status, 200) << collected.body;
  const json answer = json::parse(collected.body);
  EXPECT_EQ(answer.at("state"), "complete");
  EXPECT_THAT(answer.at("credentials_from").get<std::string>(), HasSubstr("AWS_ACCESS_KEY_ID"));
  EXPECT_GE(answer.at("files").size(), 5U);
  EXPECT_THAT(collected.body, Not(HasSubstr(kSecret)));
  EXPECT_EQ(fake.signatureFailures(), 0);
  const auto snapshot = answer.at("snapshot_id").get<std::int64_t>();

  for (const char* name : {"nodes.json", "pods.json", "daemonsets.json"})
    ASSERT_EQ(server.upload("clusters/shop", name, readFile(scenario() / name)).status, 201) << name;
  ASSERT_EQ(
      server.call("PUT", "/api/v1/policies/shop", readFile(scenario() / "policy.json"), server.admin, kJson)
          .status,
      201);
  const auto audit =
      server.call("POST", "/api/v1/audits",
                  R"({"cluster": "shop", "accounts": ["shop-aws"], "policy": "shop"})", server.ingest, kJson);
  ASSERT_EQ(audit.status, 201) << audit.body;
  const auto id = json::parse(audit.body).at("id").get<std::int64_t>();
  const auto report =
      server.call("GET", "/api/v1/audits/" + std::to_string(id) + "/report.json", {}, server.reader);
  ASSERT_EQ(report.status, 200) << report.body;
  const auto cli = runProcess({sgauditBinary().string(), "audit", scenario().string(), "--policy",
                               (scenario() / "policy.json").string(), "--format", "json"});
  ASSERT_NE(cli.exit_code, 2) << cli.err;
  const auto expected = findingsOf(json::parse(cli.out));
  EXPECT_FALSE(expected.empty());
  EXPECT_EQ(findingsOf(json::parse(report.body)), expected);

  // The same account again: the same documents, the same snapshot.
  const auto again = server.call("POST", "/api/v1/accounts/shop-aws/collect", {}, server.ingest);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(json::parse(again.body).at("snapshot_id").get<std::int64_t>(), snapshot);

  // A refusal by AWS: 502 naming the action and AWS's code, no secret, the last good snapshot kept.
  fake.failAction("DescribeVpcs", 403, "UnauthorizedOperation",
                  "You are not authorized to perform this operation.");
  const auto failed = server.call("POST", "/api/v1/accounts/shop-aws/collect", {}, server.ingest);
  expectProblem(failed, 502);
  EXPECT_THAT(failed.body, HasSubstr("UnauthorizedOperation"));
  EXPECT_THAT(failed.body, Not(HasSubstr(kSecret)));
  const auto account = json::parse(server.call("GET", "/api/v1/accounts/shop-aws", {}, server.reader).body);
  EXPECT_THAT(account.dump(), HasSubstr("collected/describe-vpcs.json"));
  EXPECT_THAT(server.logText(), Not(HasSubstr(kSecret)));

  EXPECT_EQ(server.call("DELETE", source_url, {}, server.admin).status, 204);
  expectProblem(server.call("POST", "/api/v1/accounts/shop-aws/collect", {}, server.ingest), 409);
  server.stop();
}

}  // namespace
}  // namespace sgaudit::test
