// `sgaudit collect huawei` against a loopback Huawei Cloud (support/fake_huawei.hpp) that recomputes every
// SDK-HMAC-SHA256 signature, pages with small limits (marker for VPC, page number for ECS) and answers 429
// once: the cce-seed scenario (test/data/scenarios/cce-seed) comes back as the very documents the scenario
// holds, and the collected folder audits to the same findings as the scenario itself; credentials come from
// the environment or ~/.huaweicloud/credentials as Huawei's SDKs read them; a wrong secret key, a refused
// permission and endless throttling stop the collection with one line naming the service, the path and
// Huawei's error code, never a secret, and leave the folder as it was.
#include "sgaudit/collect/huawei_collector.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "sgaudit/collect/huawei_credentials.hpp"
#include "support/fake_huawei.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace sgaudit::collect {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;

constexpr const char* kAk = "HPUASGAUDITTEST00001";
constexpr const char* kSk = "sgauditHuaweiTestSecretKey0123456789ABCD";
constexpr const char* kProject = "0b2c4ab6b180d4f12f5ec0119a1c6e3d";  // the scenario's project
constexpr const char* kRegion = "ap-southeast-1";                     // the scenario's (its ECS's AZ)

json readJson(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return json::parse(in);
}

fs::path scenarioDir() {
  return test::testDataDir() / "scenarios" / "cce-seed";
}

std::string clusterId() {
  return readJson(scenarioDir() / "cce-cluster.json")["metadata"]["uid"];
}

// ListVpcs answers the scenario's VPC (vpc.json is ShowVpc's {"vpc": {...}}) in a {"vpcs": [...]} list.
json scenarioVpcs() {
  return {{"vpcs", json::array({readJson(scenarioDir() / "vpc.json")["vpc"]})}};
}

// Three subnets of the scenario's VPC, fields as the VPC v1 API reference's ListSubnets response lists them.
json threeSubnets() {
  json subnets = json::array();
  const std::string vpc = readJson(scenarioDir() / "vpc.json")["vpc"]["id"];
  for (const auto& [id, cidr] : {std::pair{"6e4f2a1c-8b3d-4e5f-9a0b-1c2d3e4f5a6b", "10.1.0.0/24"},
                                 std::pair{"7f5a3b2d-9c4e-4f60-8b1c-2d3e4f5a6b7c", "10.1.1.0/24"},
                                 std::pair{"80a64c3e-ad5f-4071-9c2d-3e4f5a6b7c8d", "10.1.2.0/24"}}) {
    const std::string prefix = std::string(cidr).substr(0, std::string(cidr).rfind('.'));
    subnets.push_back({{"id", id},
                       {"name", std::string("subnet-") + id},
                       {"cidr", cidr},
                       {"gateway_ip", prefix + ".1"},
                       {"dhcp_enable", true},
                       {"primary_dns", "100.125.1.250"},
                       {"availability_zone", "ap-southeast-1a"},
                       {"vpc_id", vpc},
                       {"status", "ACTIVE"},
                       {"neutron_network_id", id},
                       {"neutron_subnet_id", id}});
  }
  return {{"subnets", subnets}};
}

void serveScenario(test::FakeHuawei& fake, const json& subnets) {
  fake.serve("security-groups", readJson(scenarioDir() / "security-groups.json"));
  fake.serve("security-group-rules", readJson(scenarioDir() / "security-group-rules.json"));
  fake.serve("servers", readJson(scenarioDir() / "ecs-servers.json"));
  fake.serve("vpcs", scenarioVpcs());
  fake.serve("subnets", subnets);
  fake.serveCluster(readJson(scenarioDir() / "cce-cluster.json"));
}

class HuaweiCollectorTest : public ::testing::Test {
 protected:
  HuaweiCollectorTest() {
    fake_.acceptKey(kAk, kSk);
    fake_.setProjectId(kProject);
    const Url url = std::get<Url>(parseUrl(fake_.url()));
    account_ = {kRegion, kProject, url, url, url, {kAk, kSk, ""}};
    options_.sleep = [this](std::chrono::milliseconds wait) { waits_.push_back(wait); };
    options_.base_delay = std::chrono::milliseconds(100);
    options_.vpc_page_limit = 2;
  }

  std::variant<HuaweiCollectResult, CollectFailure> collect() {
    AwsHttp http;
    return collectHuawei(http, account_, out_, options_);
  }

  int requestsFor(const std::string& list) const {
    int count = 0;
    for (const auto& request : fake_.requests())
      count += request.list == list ? 1 : 0;
    return count;
  }

  test::FakeHuawei fake_;
  test::TempDir dir_;
  fs::path out_ = dir_ / "collected";
  HuaweiAccount account_;
  HuaweiCollectOptions options_;
  std::vector<std::chrono::milliseconds> waits_;
};

TEST_F(HuaweiCollectorTest, TheScenarioRoundTrips) {
  serveScenario(fake_, threeSubnets());
  fake_.throttleOnce("security-group-rules");
  options_.cluster = clusterId();
  auto result = collect();
  ASSERT_TRUE(std::holds_alternative<HuaweiCollectResult>(result))
      << std::get<CollectFailure>(result).message;
  const auto& collected = std::get<HuaweiCollectResult>(result);

  // Every document as the scenario holds it (one page of the API's answer), field for field.
  for (const char* file :
       {"security-groups.json", "security-group-rules.json", "ecs-servers.json", "cce-cluster.json"})
    EXPECT_EQ(readJson(out_ / file), readJson(scenarioDir() / file)) << file;
  EXPECT_EQ(readJson(out_ / "vpcs.json"), scenarioVpcs());
  EXPECT_EQ(readJson(out_ / "subnets.json"), threeSubnets());
  EXPECT_FALSE(readJson(out_ / "security-group-rules.json")["page_info"].contains("next_marker"));

  // Two groups in one page, eleven rules two at a time (the first request throttled once and retried
  // after a jittered wait), three subnets two at a time.
  ASSERT_EQ(collected.files.size(), 6U);
  EXPECT_EQ(collected.files[0].action, "ListSecurityGroups");
  EXPECT_EQ(collected.files[0].pages, 1U);
  EXPECT_EQ(collected.files[1].items, 11U);
  EXPECT_EQ(collected.files[1].pages, 6U);
  EXPECT_EQ(collected.files[4].items, 3U);
  EXPECT_EQ(collected.files[4].pages, 2U);
  EXPECT_EQ(collected.retries, 1);
  ASSERT_EQ(waits_.size(), 1U);
  EXPECT_LE(waits_[0], std::chrono::milliseconds(100));
  EXPECT_EQ(requestsFor("security-group-rules"), 7);
  EXPECT_EQ(fake_.signatureFailures(), 0);
  int with_marker = 0;
  for (const auto& request : fake_.requests()) {
    EXPECT_EQ(request.method, "GET");
    EXPECT_THAT(request.path, HasSubstr(kProject));
    EXPECT_THAT(request.headers.at("authorization"),
                HasSubstr(std::string("SDK-HMAC-SHA256 Access=") + kAk + ","));
    EXPECT_FALSE(request.headers.contains("x-security-token"));
    with_marker += request.query.contains("marker") ? 1 : 0;
    if (request.list == "servers") {
      EXPECT_EQ(request.query.at("offset"), "1");
    }
  }
  EXPECT_EQ(with_marker, 5 + 1);  // five more pages of rules, one more of subnets
  for (const auto& entry : fs::directory_iterator(out_)) {
    EXPECT_EQ(entry.path().extension(), ".json") << entry.path();
    std::ifstream in(entry.path());
    const std::string text{std::istreambuf_iterator<char>(in), {}};
    EXPECT_THAT(text, Not(HasSubstr(kSk)));
    EXPECT_THAT(text, Not(HasSubstr(kAk)));
  }
}

// ECS pages by page number: offset=1, 2, ... with `limit` servers each, `count` the total.
TEST_F(HuaweiCollectorTest, EcsPagesByPageNumber) {
  serveScenario(fake_, {{"subnets", json::array()}});
  json servers = readJson(scenarioDir() / "ecs-servers.json");
  const json server = servers["servers"][0];
  for (const char* id : {"1a2b3c4d-0000-4000-8000-000000000002", "1a2b3c4d-0000-4000-8000-000000000003"}) {
    json copy = server;
    copy["id"] = id;
    servers["servers"].push_back(copy);
  }
  servers["count"] = 3;
  fake_.serve("servers", servers);
  options_.ecs_page_limit = 2;
  auto result = collect();
  ASSERT_TRUE(std::holds_alternative<HuaweiCollectResult>(result))
      << std::get<CollectFailure>(result).message;
  EXPECT_EQ(readJson(out_ / "ecs-servers.json"), servers);
  std::vector<std::string> offsets;
  for (const auto& request : fake_.requests()) {
    if (request.list != "servers") continue;
    offsets.push_back(request.query.at("offset"));
    EXPECT_EQ(request.query.at("limit"), "2");
  }
  EXPECT_EQ(offsets, (std::vector<std::string>{"1", "2"}));
  EXPECT_FALSE(fs::exists(out_ / "cce-cluster.json"));  // no cluster asked for
}

TEST_F(HuaweiCollectorTest, SecurityTokenIsSentAndSigned) {
  serveScenario(fake_, {{"subnets", json::array()}});
  fake_.acceptKey("HSTTEMPORARYKEY00001", "temporarySecretKey/abc", "temporary-security-token-xyz");
  account_.credentials = {"HSTTEMPORARYKEY00001", "temporarySecretKey/abc", "temporary-security-token-xyz"};
  auto result = collect();
  ASSERT_TRUE(std::holds_alternative<HuaweiCollectResult>(result))
      << std::get<CollectFailure>(result).message;
  const auto request = fake_.requests().front();
  EXPECT_EQ(request.headers.at("x-security-token"), "temporary-security-token-xyz");
  EXPECT_THAT(request.headers.at("authorization"), HasSubstr("x-security-token"));

  // The same key without its token is refused.
  account_.credentials.security_token.clear();
  result = collect();
  ASSERT_TRUE(std::holds_alternative<CollectFailure>(result));
  EXPECT_THAT(std::get<CollectFailure>(result).message, HasSubstr("APIGW.0301"));
}

TEST_F(HuaweiCollectorTest, AWrongSecretStopsAndLeavesTheFolder) {
  serveScenario(fake_, {{"subnets", json::array()}});
  fs::create_directories(out_);
  test::writeFile(out_ / "security-groups.json", R"({"security_groups": []})");
  account_.credentials.secret_key = "notTheSecretKey/abcdefghijklmnopqrstuvw";
  auto result = collect();
  ASSERT_TRUE(std::holds_alternative<CollectFailure>(result));
  const auto& failure = std::get<CollectFailure>(result);
  EXPECT_EQ(failure.message,
            "vpc at " + fake_.url() + ": GET /v3/" + kProject +
                "/vpc/security-groups: APIGW.0301: Incorrect IAM authentication information: "
                "verify aksk signature fail (HTTP 401)");
  EXPECT_TRUE(failure.unauthorized);
  EXPECT_THAT(failure.message, Not(HasSubstr("notTheSecretKey")));
  EXPECT_EQ(fake_.signatureFailures(), 1);
  EXPECT_EQ(readJson(out_ / "security-groups.json"), json({{"security_groups", json::array()}}));
  EXPECT_EQ(std::distance(fs::directory_iterator(out_), fs::directory_iterator()), 1);
}

TEST_F(HuaweiCollectorTest, ARefusedPermissionNamesTheServiceAndTheCode) {
  serveScenario(fake_, {{"subnets", json::array()}});
  // ECS answers errors as {"error": {"code", "message"}}; the code and message here are the fake's.
  fake_.fail(
      "servers", 403,
      R"({"error": {"code": "Ecs.0319", "message": "Policy doesn't allow ecs:cloudServers:list to be performed."}})");
  auto result = collect();
  ASSERT_TRUE(std::holds_alternative<CollectFailure>(result));
  const std::string message = std::get<CollectFailure>(result).message;
  EXPECT_EQ(message, "ecs at " + fake_.url() + ": GET /v1/" + kProject +
                         "/cloudservers/detail: Ecs.0319: Policy doesn't allow ecs:cloudServers:list to be "
                         "performed. (HTTP 403)");
  EXPECT_THAT(message, Not(HasSubstr(kSk)));
  EXPECT_TRUE(std::get<CollectFailure>(result).unauthorized);
  EXPECT_FALSE(fs::exists(out_ / "security-groups.json"));  // nothing renamed into place
  EXPECT_TRUE(waits_.empty());                              // not retried

  // VPC's {"error_code", "error_msg"} form.
  fake_.fail("vpcs", 403,
             R"({"error_code": "VPC.0001", "error_msg": "refused by the fake", "request_id": "x"})");
  fake_.fail("servers", 200, readJson(scenarioDir() / "ecs-servers.json").dump());
  result = collect();
  ASSERT_TRUE(std::holds_alternative<CollectFailure>(result));
  EXPECT_THAT(std::get<CollectFailure>(result).message,
              HasSubstr("/vpcs: VPC.0001: refused by the fake (HTTP 403)"));
}

TEST_F(HuaweiCollectorTest, ThrottlingIsRetriedABoundedNumberOfTimes) {
  serveScenario(fake_, {{"subnets", json::array()}});
  fake_.fail("vpcs", 429,
             R"({"error_code": "APIGW.0308", "error_msg": "The throttling threshold has been reached"})");
  options_.max_attempts = 4;
  auto result = collect();
  ASSERT_TRUE(std::holds_alternative<CollectFailure>(result));
  EXPECT_THAT(
      std::get<CollectFailure>(result).message,
      HasSubstr("/vpcs: APIGW.0308: The throttling threshold has been reached (HTTP 429) (gave up after 4 "
                "attempts)"));
  EXPECT_EQ(requestsFor("vpcs"), 4);
  ASSERT_EQ(waits_.size(), 3U);
  for (std::size_t i = 0; i < waits_.size(); ++i)
    EXPECT_LE(waits_[i], std::chrono::milliseconds(100 << i)) << i;
}

TEST_F(HuaweiCollectorTest, AnUnknownClusterIsAnError) {
  serveScenario(fake_, {{"subnets", json::array()}});
  options_.cluster = "00000000-0000-0000-0000-000000000000";
  auto result = collect();
  ASSERT_TRUE(std::holds_alternative<CollectFailure>(result));
  EXPECT_THAT(std::get<CollectFailure>(result).message,
              HasSubstr("cce at " + fake_.url() + ": GET /api/v3/projects/" + kProject +
                        "/clusters/00000000-0000-0000-0000-000000000000: CCE.01404001"));
}

// Credentials, project and endpoints as the Go SDK's providers read them.
AwsEnvironment environment(std::map<std::string, std::string, std::less<>> variables, const fs::path& home) {
  AwsEnvironment env;
  env.variables = std::move(variables);
  env.home = home.string();
  return env;
}

TEST(HuaweiCredentialsTest, EnvironmentThenCredentialsFile) {
  test::TempDir home;
  fs::create_directories(home / ".huaweicloud");
  test::writeFile(
      home / ".huaweicloud" / "credentials",
      "[basic]\nak = FILEAK000000000000001\nsk = fileSecretKey/0123456789\nproject_id = fileproject01\n"
      "\n[global]\nak = GLOBALAK\nsk = globalSecret\ndomain_id = domain01\n");
  // Only the file.
  auto resolved = resolveHuaweiCredentials(environment({}, home.path()), "");
  ASSERT_TRUE(std::holds_alternative<ResolvedHuaweiCredentials>(resolved)) << std::get<std::string>(resolved);
  auto got = std::get<ResolvedHuaweiCredentials>(resolved);
  EXPECT_EQ(got.credentials.access_key, "FILEAK000000000000001");
  EXPECT_EQ(got.credentials.secret_key, "fileSecretKey/0123456789");
  EXPECT_EQ(got.project_id, "fileproject01");
  EXPECT_EQ(got.source, "[basic] of " + (home / ".huaweicloud" / "credentials").string());

  // The environment first, with its own project id and token; --project-id over both.
  auto env = environment({{"HUAWEICLOUD_SDK_AK", "ENVAK"},
                          {"HUAWEICLOUD_SDK_SK", "envSecret"},
                          {"HUAWEICLOUD_SDK_SECURITY_TOKEN", "envToken"},
                          {"HUAWEICLOUD_SDK_PROJECT_ID", "envproject01"}},
                         home.path());
  got = std::get<ResolvedHuaweiCredentials>(resolveHuaweiCredentials(env, ""));
  EXPECT_EQ(got.credentials.access_key, "ENVAK");
  EXPECT_EQ(got.credentials.security_token, "envToken");
  EXPECT_EQ(got.project_id, "envproject01");
  EXPECT_EQ(got.source, "the environment (HUAWEICLOUD_SDK_AK)");
  got = std::get<ResolvedHuaweiCredentials>(resolveHuaweiCredentials(env, "cliproject01"));
  EXPECT_EQ(got.project_id, "cliproject01");

  // HUAWEICLOUD_SDK_CREDENTIALS_FILE names another file.
  test::writeFile(home / "other", "[basic]\nak = OTHERAK\nsk = otherSecret\nsecurity_token = otherToken\n");
  got = std::get<ResolvedHuaweiCredentials>(resolveHuaweiCredentials(
      environment({{"HUAWEICLOUD_SDK_CREDENTIALS_FILE", (home / "other").string()}}, home.path()), "p1"));
  EXPECT_EQ(got.credentials.access_key, "OTHERAK");
  EXPECT_EQ(got.credentials.security_token, "otherToken");
  EXPECT_EQ(got.project_id, "p1");
}

TEST(HuaweiCredentialsTest, ProblemsNameNoSecret) {
  test::TempDir home;
  auto why = [&](std::map<std::string, std::string, std::less<>> variables, const std::string& project = "") {
    auto resolved = resolveHuaweiCredentials(environment(std::move(variables), home.path()), project);
    EXPECT_TRUE(std::holds_alternative<std::string>(resolved));
    return std::holds_alternative<std::string>(resolved) ? std::get<std::string>(resolved) : std::string();
  };
  std::string message = why({{"HUAWEICLOUD_SDK_AK", "ENVAK"}, {"HUAWEICLOUD_SDK_SK", "envSecretKey123"}});
  EXPECT_THAT(message, HasSubstr("no Huawei Cloud project id"));
  EXPECT_THAT(message, Not(HasSubstr("envSecretKey123")));
  message = why({{"HUAWEICLOUD_SDK_AK", "ENVAK"}});
  EXPECT_THAT(message, HasSubstr("HUAWEICLOUD_SDK_SK is not"));
  message = why({});
  EXPECT_THAT(message, HasSubstr(".huaweicloud/credentials"));
  fs::create_directories(home / ".huaweicloud");
  test::writeFile(home / ".huaweicloud" / "credentials", "[global]\nak = A\nsk = fileSecretKey999\n");
  message = why({});
  EXPECT_THAT(message, HasSubstr("no [basic] section"));
  EXPECT_THAT(message, Not(HasSubstr("fileSecretKey999")));
}

TEST(HuaweiCredentialsTest, RegionAndEndpoints) {
  // The Go SDK's own case (core/region/env_region_test.go): service "Service1", region "region-id-1".
  EXPECT_EQ(huaweiEndpointVariable("Service1", "region-id-1"), "HUAWEICLOUD_SDK_REGION_SERVICE1_REGION_ID_1");
  EXPECT_EQ(huaweiEndpointVariable("vpc", "cn-north-4"), "HUAWEICLOUD_SDK_REGION_VPC_CN_NORTH_4");
  const auto env =
      environment({{"HUAWEICLOUD_SDK_REGION_VPC_CN_NORTH_4", "http://127.0.0.1:1234,https://b.example"},
                   {"HUAWEICLOUD_SDK_REGION", "ap-southeast-3"}},
                  "/nonexistent");
  const auto vpc = std::get<Url>(huaweiServiceEndpoint(env, "vpc", "cn-north-4"));
  EXPECT_EQ(vpc.scheme, "http");
  EXPECT_EQ(vpc.host, "127.0.0.1");
  EXPECT_EQ(vpc.port, 1234);
  const auto ecs = std::get<Url>(huaweiServiceEndpoint(env, "ecs", "cn-north-4"));
  EXPECT_EQ(ecs.scheme, "https");
  EXPECT_EQ(ecs.host, "ecs.cn-north-4.myhuaweicloud.com");
  EXPECT_EQ(ecs.port, 443);
  EXPECT_EQ(std::get<HuaweiRegion>(resolveHuaweiRegion("cn-north-4", env)).name, "cn-north-4");
  EXPECT_EQ(std::get<HuaweiRegion>(resolveHuaweiRegion("", env)).name, "ap-southeast-3");
  EXPECT_TRUE(std::holds_alternative<std::string>(resolveHuaweiRegion("", environment({}, "/nonexistent"))));
}

// (check, fingerprint, suppressed) of every finding of `sgaudit audit DIR --policy <scenario policy>`.
std::vector<std::tuple<std::string, std::string, bool>> auditFindings(const fs::path& dir) {
  const auto result = test::runProcess({test::sgauditBinary().string(), "audit", dir.string(), "--policy",
                                        (scenarioDir() / "policy.json").string(), "--format", "json"});
  EXPECT_EQ(result.exit_code, 1) << result.err;  // the scenario has unsuppressed findings
  std::vector<std::tuple<std::string, std::string, bool>> findings;
  const auto report = json::parse(result.out);
  for (const auto& finding : report.at("findings"))
    findings.emplace_back(finding.at("check"), finding.at("fingerprint"), finding.contains("suppressed"));
  std::sort(findings.begin(), findings.end());
  return findings;
}

std::map<std::string, std::string> cleanHuaweiEnvironment(const fs::path& home) {
  std::map<std::string, std::string> env = {{"HOME", home.string()}};
  for (const char* name :
       {"HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_SECURITY_TOKEN",
        "HUAWEICLOUD_SDK_PROJECT_ID", "HUAWEICLOUD_SDK_REGION", "HUAWEICLOUD_SDK_CREDENTIALS_FILE"})
    env.emplace(name, "");
  return env;
}

void pointAtFake(std::map<std::string, std::string>& env, const test::FakeHuawei& fake) {
  for (const char* service : {"VPC", "ECS", "CCE"})
    env[std::string("HUAWEICLOUD_SDK_REGION_") + service + "_AP_SOUTHEAST_1"] = fake.url();
}

// The whole command: keys from the environment, endpoints from the SDKs' override variables, then
// `sgaudit audit` of the collection beside the scenario's cluster files.
TEST_F(HuaweiCollectorTest, CollectedFolderAuditsLikeTheScenario) {
  serveScenario(fake_, {{"subnets", json::array()}});
  fake_.throttleOnce("servers");
  auto env = cleanHuaweiEnvironment(dir_.path());
  pointAtFake(env, fake_);
  env["HUAWEICLOUD_SDK_AK"] = kAk;
  env["HUAWEICLOUD_SDK_SK"] = kSk;
  env["HUAWEICLOUD_SDK_PROJECT_ID"] = kProject;
  const auto run = test::runProcess({test::sgauditBinary().string(), "collect", "huawei", "--region", kRegion,
                                     "--cluster", clusterId(), "--out", out_.string()},
                                    env);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // The fake pages VPC v3 lists two at a time whatever the limit (2000 here).
  EXPECT_THAT(run.out, HasSubstr("security-group-rules.json: ListSecurityGroupRules, 11 items (6 pages)"));
  EXPECT_THAT(run.out, HasSubstr("with credentials from the environment (HUAWEICLOUD_SDK_AK)"));
  EXPECT_THAT(run.out, HasSubstr("1 requests retried"));
  EXPECT_EQ(fake_.signatureFailures(), 0);
  for (const std::string& text : {run.out, run.err})
    EXPECT_THAT(text, Not(HasSubstr(kSk)));

  for (const char* file : {"nodes.json", "pods.json", "deployments.json", "deployment.yaml"})
    fs::copy_file(scenarioDir() / file, out_ / file);
  for (const char* folder : {"node-sockets", "logs"})
    fs::copy(scenarioDir() / folder, out_ / folder, fs::copy_options::recursive);
  const auto scenario = auditFindings(scenarioDir());
  ASSERT_GE(scenario.size(), 5U);  // the scenario README's five findings
  EXPECT_EQ(auditFindings(out_), scenario);
}

TEST_F(HuaweiCollectorTest, CommandReadsTheCredentialsFile) {
  serveScenario(fake_, {{"subnets", json::array()}});
  fake_.acceptKey("FILEAK000000000000001", "fileSecretKey/0123456789", "fileToken");
  auto env = cleanHuaweiEnvironment(dir_.path());
  pointAtFake(env, fake_);
  env["HUAWEICLOUD_SDK_REGION"] = kRegion;
  fs::create_directories(dir_ / ".huaweicloud");
  test::writeFile(dir_ / ".huaweicloud" / "credentials",
                  std::string("[basic]\nak = FILEAK000000000000001\nsk = fileSecretKey/0123456789\n"
                              "security_token = fileToken\nproject_id = ") +
                      kProject + "\n");
  const auto run =
      test::runProcess({test::sgauditBinary().string(), "collect", "huawei", "--out", out_.string()}, env);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("with credentials from [basic] of "));
  EXPECT_THAT(run.out, HasSubstr("(from HUAWEICLOUD_SDK_REGION)"));
  EXPECT_EQ(fake_.signatureFailures(), 0);
  EXPECT_EQ(fake_.requests().front().headers.at("x-security-token"), "fileToken");
  EXPECT_EQ(readJson(out_ / "security-groups.json"), readJson(scenarioDir() / "security-groups.json"));
}

TEST_F(HuaweiCollectorTest, CommandErrorsAreOneLineWithoutSecrets) {
  serveScenario(fake_, {{"subnets", json::array()}});
  auto env = cleanHuaweiEnvironment(dir_.path());
  auto run =
      test::runProcess({test::sgauditBinary().string(), "collect", "huawei", "--out", out_.string()}, env);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("no Huawei Cloud region"));

  pointAtFake(env, fake_);
  env["HUAWEICLOUD_SDK_AK"] = kAk;
  env["HUAWEICLOUD_SDK_SK"] = kSk;
  run = test::runProcess(
      {test::sgauditBinary().string(), "collect", "huawei", "--region", kRegion, "--out", out_.string()},
      env);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("no Huawei Cloud project id"));
  EXPECT_THAT(run.err, Not(HasSubstr(kSk)));
  EXPECT_TRUE(fake_.requests().empty());

  env["HUAWEICLOUD_SDK_SK"] = "wrongSecretKey/zyxwvutsrqponmlkjihgfedcb";
  run = test::runProcess({test::sgauditBinary().string(), "collect", "huawei", "--region", kRegion,
                          "--project-id", kProject, "--out", out_.string()},
                         env);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("vpc at " + fake_.url() + ": GET /v3/"));
  EXPECT_THAT(run.err, HasSubstr("APIGW.0301"));
  EXPECT_THAT(run.err, Not(HasSubstr("wrongSecretKey")));
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1);
  EXPECT_FALSE(fs::exists(out_ / "security-groups.json"));
}

}  // namespace
}  // namespace sgaudit::collect
