// `sgaudit collect aws` against a loopback AWS (support/fake_aws.hpp) that checks every SigV4 signature,
// pages two items at a time and throttles once: the AWS EKS scenario (test/data/scenarios/aws-eks) served as
// EC2 XML comes back as the very documents the scenario holds, and the collected folder audits to the same
// findings as the scenario's own files; prefix lists the rules reference are fetched; a wrong secret, a
// missing permission and endless throttling stop the collection with one line naming the action and AWS's
// code, and leave the folder as it was. Where moto_server is installed, a collection from it.
#include "sgaudit/collect/aws_collector.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/fake_aws.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace sgaudit::collect {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;

constexpr const char* kKey = "AKIDSGAUDITTEST00001";
constexpr const char* kSecret = "sgauditTestSecret/K7MDENG+bPxRfiCYEXAMPLE";
constexpr const char* kRegion = "eu-west-1";

json readJson(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return json::parse(in);
}

fs::path scenarioDir() {
  return test::testDataDir() / "scenarios" / "aws-eks";
}

fs::path awsDataDir() {
  return test::testDataDir() / "aws";
}

// The aws-eks scenario's account: its groups (and the rules EC2 lists for them), instance, VPC and cluster.
void serveScenario(test::FakeAws& fake) {
  const json groups = readJson(scenarioDir() / "describe-security-groups.json");
  fake.serveEc2("DescribeSecurityGroups", groups);
  fake.serveEc2("DescribeSecurityGroupRules", test::FakeAws::rulesOf(groups));
  fake.serveEc2("DescribeInstances", readJson(scenarioDir() / "describe-instances.json"));
  fake.serveEc2("DescribeVpcs", readJson(scenarioDir() / "describe-vpcs.json"));
  fake.serveEc2("DescribeManagedPrefixLists", {{"PrefixLists", json::array()}});
  fake.serveCluster(readJson(scenarioDir() / "eks-describe-cluster.json"));
}

class AwsCollectorTest : public ::testing::Test {
 protected:
  AwsCollectorTest() {
    fake_.acceptKey(kKey, kSecret);
    fake_.setRegion(kRegion);
    const Url url = std::get<Url>(parseUrl(fake_.url()));
    account_ = {kRegion, url, url, {kKey, kSecret, ""}};
    options_.sleep = [this](std::chrono::milliseconds wait) { waits_.push_back(wait); };
    options_.base_delay = std::chrono::milliseconds(100);
  }

  std::variant<AwsCollectResult, CollectFailure> collect() {
    AwsHttp http;
    return collectAws(http, account_, out_, options_);
  }

  int requestsFor(const std::string& action) const {
    int count = 0;
    for (const auto& request : fake_.requests())
      count += request.action == action ? 1 : 0;
    return count;
  }

  test::FakeAws fake_;
  test::TempDir dir_;
  fs::path out_ = dir_ / "collected";
  AwsAccount account_;
  AwsCollectOptions options_;
  std::vector<std::chrono::milliseconds> waits_;
};

TEST_F(AwsCollectorTest, TheScenarioRoundTrips) {
  serveScenario(fake_);
  fake_.throttleOnce("DescribeSecurityGroups");
  options_.cluster = "shop";
  auto result = collect();
  ASSERT_TRUE(std::holds_alternative<AwsCollectResult>(result)) << std::get<CollectFailure>(result).message;
  const auto& collected = std::get<AwsCollectResult>(result);

  // Every document as the scenario has it (the CLI's output), field for field and typed alike.
  EXPECT_EQ(readJson(out_ / "describe-security-groups.json"),
            readJson(scenarioDir() / "describe-security-groups.json"));
  EXPECT_EQ(readJson(out_ / "describe-instances.json"), readJson(scenarioDir() / "describe-instances.json"));
  EXPECT_EQ(readJson(out_ / "describe-vpcs.json"), readJson(scenarioDir() / "describe-vpcs.json"));
  EXPECT_EQ(readJson(out_ / "eks-describe-cluster.json"),
            readJson(scenarioDir() / "eks-describe-cluster.json"));
  EXPECT_EQ(readJson(out_ / "describe-security-group-rules.json"),
            test::FakeAws::rulesOf(readJson(scenarioDir() / "describe-security-groups.json")));
  EXPECT_EQ(readJson(out_ / "describe-managed-prefix-lists.json"), json({{"PrefixLists", json::array()}}));
  EXPECT_FALSE(readJson(out_ / "describe-security-groups.json").contains("NextToken"));

  // Three groups two at a time, the first request throttled once and retried after a jittered wait.
  ASSERT_EQ(collected.files.size(), 6U);
  EXPECT_EQ(collected.files[0].action, "DescribeSecurityGroups");
  EXPECT_EQ(collected.files[0].items, 3U);
  EXPECT_EQ(collected.files[0].pages, 2U);
  EXPECT_EQ(collected.retries, 1);
  ASSERT_EQ(waits_.size(), 1U);
  EXPECT_LE(waits_[0], std::chrono::milliseconds(100));
  EXPECT_EQ(requestsFor("DescribeSecurityGroups"), 3);
  EXPECT_EQ(fake_.signatureFailures(), 0);
  int with_token = 0;
  for (const auto& request : fake_.requests()) {
    if (request.action.empty()) continue;
    EXPECT_THAT(request.body, HasSubstr("Version=2016-11-15"));
    EXPECT_EQ(request.headers.at("content-type"), "application/x-www-form-urlencoded; charset=utf-8");
    with_token += request.body.find("NextToken=") != std::string::npos ? 1 : 0;
  }
  // One more page of groups, three more of the eight rules (one for each permission and source).
  EXPECT_EQ(with_token, 4);
  // Nothing but the documents: no staging folder left, no credential in any file.
  for (const auto& entry : fs::directory_iterator(out_)) {
    EXPECT_EQ(entry.path().extension(), ".json") << entry.path();
    std::ifstream in(entry.path());
    const std::string text{std::istreambuf_iterator<char>(in), {}};
    EXPECT_THAT(text, Not(HasSubstr(kSecret)));
    EXPECT_THAT(text, Not(HasSubstr(kKey)));
  }
}

TEST_F(AwsCollectorTest, PrefixListsTheRulesReference) {
  const json groups = readJson(awsDataDir() / "describe-security-groups.json");
  fake_.serveEc2("DescribeSecurityGroups", groups);
  fake_.serveEc2("DescribeSecurityGroupRules", readJson(awsDataDir() / "describe-security-group-rules.json"));
  fake_.serveEc2("DescribeInstances", readJson(awsDataDir() / "describe-instances.json"));
  fake_.serveEc2("DescribeVpcs", readJson(awsDataDir() / "describe-vpcs.json"));
  fake_.serveEc2("DescribeManagedPrefixLists", readJson(awsDataDir() / "describe-managed-prefix-lists.json"));
  fake_.servePrefixListEntries("pl-0123456789abcdef0",
                               readJson(awsDataDir() / "pl-0123456789abcdef0.entries.json"));
  // An earlier collection's list that no rule references any more, and its cluster.
  fs::create_directories(out_);
  test::writeFile(out_ / "get-managed-prefix-list-entries-pl-00000000.json", R"({"Entries": []})");
  test::writeFile(out_ / "eks-describe-cluster.json", "{}");
  test::writeFile(out_ / "nodes.json", R"({"kind": "NodeList", "items": []})");

  auto result = collect();
  ASSERT_TRUE(std::holds_alternative<AwsCollectResult>(result)) << std::get<CollectFailure>(result).message;
  for (const auto& [file, source] : std::vector<std::pair<std::string, std::string>>{
           {"describe-security-groups.json", "describe-security-groups.json"},
           {"describe-security-group-rules.json", "describe-security-group-rules.json"},
           {"describe-instances.json", "describe-instances.json"},
           {"describe-vpcs.json", "describe-vpcs.json"},
           {"describe-managed-prefix-lists.json", "describe-managed-prefix-lists.json"},
           {"get-managed-prefix-list-entries-pl-0123456789abcdef0.json",
            "pl-0123456789abcdef0.entries.json"}}) {
    // The files were printed by runs with --max-items, which leaves a NextToken; a whole collection has none.
    json expected = readJson(awsDataDir() / source);
    expected.erase("NextToken");
    EXPECT_EQ(readJson(out_ / file), expected) << file;
  }
  EXPECT_EQ(requestsFor("GetManagedPrefixListEntries"), 2);  // three entries, two a page
  EXPECT_FALSE(fs::exists(out_ / "get-managed-prefix-list-entries-pl-00000000.json"));
  EXPECT_FALSE(fs::exists(out_ / "eks-describe-cluster.json"));
  EXPECT_TRUE(fs::exists(out_ / "nodes.json"));  // not the collector's
}

TEST_F(AwsCollectorTest, SessionTokenIsSentAndSigned) {
  serveScenario(fake_);
  fake_.acceptKey("ASIATEMPORARY0000001", "temporarySecret/abc", "session-token-xyz");
  account_.credentials = {"ASIATEMPORARY0000001", "temporarySecret/abc", "session-token-xyz"};
  auto result = collect();
  ASSERT_TRUE(std::holds_alternative<AwsCollectResult>(result)) << std::get<CollectFailure>(result).message;
  const auto request = fake_.requests().front();
  EXPECT_EQ(request.headers.at("x-amz-security-token"), "session-token-xyz");
  EXPECT_THAT(request.headers.at("authorization"), HasSubstr("x-amz-security-token"));
}

TEST_F(AwsCollectorTest, AWrongSecretStopsAndLeavesTheFolder) {
  serveScenario(fake_);
  fs::create_directories(out_);
  test::writeFile(out_ / "describe-security-groups.json", R"({"SecurityGroups": []})");
  account_.credentials.secret_access_key = "notTheSecret/abcdefghijklmnopqrstuvwxyz0";
  auto result = collect();
  ASSERT_TRUE(std::holds_alternative<CollectFailure>(result));
  const auto& failure = std::get<CollectFailure>(result);
  EXPECT_EQ(failure.message, "ec2 at " + fake_.url() +
                                 ": DescribeSecurityGroups: SignatureDoesNotMatch: The request signature we "
                                 "calculated does not match the signature you provided. (HTTP 401)");
  EXPECT_TRUE(failure.unauthorized);
  EXPECT_THAT(failure.message, Not(HasSubstr("notTheSecret")));
  EXPECT_EQ(fake_.signatureFailures(), 1);
  EXPECT_EQ(readJson(out_ / "describe-security-groups.json"), json({{"SecurityGroups", json::array()}}));
  EXPECT_EQ(std::distance(fs::directory_iterator(out_), fs::directory_iterator()), 1);
}

TEST_F(AwsCollectorTest, AMissingPermissionNamesTheActionAndTheCode) {
  serveScenario(fake_);
  fake_.failAction(
      "DescribeInstances", 403, "UnauthorizedOperation",
      "You are not authorized to perform this operation. User: arn:aws:sts::210987654321:assumed-role/"
      "sgaudit/ci is not authorized to perform: ec2:DescribeInstances");
  auto result = collect();
  ASSERT_TRUE(std::holds_alternative<CollectFailure>(result));
  const std::string message = std::get<CollectFailure>(result).message;
  EXPECT_THAT(message, HasSubstr(": DescribeInstances: UnauthorizedOperation: You are not authorized"));
  EXPECT_THAT(message, HasSubstr("(HTTP 403)"));
  EXPECT_EQ(message.find('\n'), std::string::npos);
  EXPECT_FALSE(fs::exists(out_ / "describe-security-groups.json"));  // nothing renamed into place
  EXPECT_TRUE(waits_.empty());                                       // not retried
}

TEST_F(AwsCollectorTest, ThrottlingIsRetriedABoundedNumberOfTimes) {
  serveScenario(fake_);
  fake_.failAction("DescribeVpcs", 503, "RequestLimitExceeded", "Request limit exceeded.");
  options_.max_attempts = 4;
  auto result = collect();
  ASSERT_TRUE(std::holds_alternative<CollectFailure>(result));
  EXPECT_THAT(
      std::get<CollectFailure>(result).message,
      HasSubstr(": DescribeVpcs: RequestLimitExceeded: Request limit exceeded. (HTTP 503) (gave up after 4 "
                "attempts)"));
  EXPECT_EQ(requestsFor("DescribeVpcs"), 4);
  ASSERT_EQ(waits_.size(), 3U);
  // Full jitter under a ceiling that doubles: 100, 200, 400 ms.
  for (std::size_t i = 0; i < waits_.size(); ++i)
    EXPECT_LE(waits_[i], std::chrono::milliseconds(100 << i)) << i;
}

TEST_F(AwsCollectorTest, AnUnknownClusterIsAnError) {
  serveScenario(fake_);
  options_.cluster = "not-shop";
  auto result = collect();
  ASSERT_TRUE(std::holds_alternative<CollectFailure>(result));
  EXPECT_THAT(
      std::get<CollectFailure>(result).message,
      HasSubstr("DescribeCluster not-shop: ResourceNotFoundException: No cluster found for name: not-shop."));
}

// (check, fingerprint, suppressed) of every finding of `sgaudit audit DIR --policy <scenario policy>`.
std::vector<std::tuple<std::string, std::string, bool>> auditFindings(const fs::path& dir) {
  const auto result = test::runProcess({test::sgauditBinary().string(), "audit", dir.string(), "--policy",
                                        (scenarioDir() / "policy.json").string(), "--format", "json",
                                        "--today", "2026-11-25"});
  EXPECT_EQ(result.exit_code, 1) << result.err;  // the scenario has an unsuppressed finding
  std::vector<std::tuple<std::string, std::string, bool>> findings;
  const auto report = json::parse(result.out);
  for (const auto& finding : report.at("findings"))
    findings.emplace_back(finding.at("check"), finding.at("fingerprint"), finding.contains("suppressed"));
  std::sort(findings.begin(), findings.end());
  EXPECT_TRUE(report.at("warnings").empty()) << report.at("warnings").dump();
  return findings;
}

std::map<std::string, std::string> cleanAwsEnvironment(const fs::path& home) {
  std::map<std::string, std::string> env = {{"HOME", home.string()}, {"AWS_EC2_METADATA_DISABLED", "true"}};
  for (const char* name : {"AWS_ACCESS_KEY_ID",
                           "AWS_SECRET_ACCESS_KEY",
                           "AWS_SESSION_TOKEN",
                           "AWS_PROFILE",
                           "AWS_REGION",
                           "AWS_DEFAULT_REGION",
                           "AWS_ROLE_ARN",
                           "AWS_WEB_IDENTITY_TOKEN_FILE",
                           "AWS_ROLE_SESSION_NAME",
                           "AWS_SHARED_CREDENTIALS_FILE",
                           "AWS_CONFIG_FILE",
                           "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                           "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                           "AWS_CONTAINER_AUTHORIZATION_TOKEN",
                           "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
                           "AWS_ENDPOINT_URL",
                           "AWS_ENDPOINT_URL_EC2",
                           "AWS_ENDPOINT_URL_EKS",
                           "AWS_ENDPOINT_URL_STS",
                           "AWS_EC2_METADATA_SERVICE_ENDPOINT"})
    env.emplace(name, "");
  return env;
}

// The whole command: web identity through the fake STS, the assumed credentials signing every EC2 and EKS
// request, then `sgaudit audit` of the collection beside the scenario's cluster files.
TEST_F(AwsCollectorTest, CollectedFolderAuditsLikeTheScenario) {
  constexpr const char* kAssumedKey = "ASIAASSUMEDROLE00001";
  constexpr const char* kAssumedSecret = "assumedSecret/abcdefghijklmnopqrstuvwx";
  constexpr const char* kAssumedToken = "assumedSessionToken//////////EXAMPLE";
  constexpr const char* kWebToken = "eyJhbGciOiJSUzI1NiJ9.projected-service-account-token.sig";
  constexpr const char* kRole = "arn:aws:iam::210987654321:role/sgaudit";
  serveScenario(fake_);
  fake_.throttleOnce("DescribeInstances");
  fake_.acceptKey(kAssumedKey, kAssumedSecret, kAssumedToken);
  fake_.stsAccept(kRole, kWebToken, kAssumedKey, kAssumedSecret, kAssumedToken, "2099-01-01T00:00:00Z");
  test::writeFile(dir_ / "token", kWebToken);

  auto env = cleanAwsEnvironment(dir_.path());
  env["AWS_ENDPOINT_URL"] = fake_.url();
  env["AWS_ROLE_ARN"] = kRole;
  env["AWS_WEB_IDENTITY_TOKEN_FILE"] = (dir_ / "token").string();
  const auto run = test::runProcess({test::sgauditBinary().string(), "collect", "aws", "--region", kRegion,
                                     "--cluster", "shop", "--out", out_.string()},
                                    env);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("describe-security-groups.json: DescribeSecurityGroups, 3 items (2 pages)"));
  EXPECT_THAT(run.out, HasSubstr("with credentials from web identity"));
  EXPECT_THAT(run.out, HasSubstr("1 requests retried"));
  EXPECT_EQ(fake_.signatureFailures(), 0);
  int signed_with_assumed = 0;
  for (const auto& request : fake_.requests()) {
    if (request.action == "AssumeRoleWithWebIdentity") continue;
    EXPECT_THAT(request.headers.at("authorization"),
                HasSubstr(std::string("Credential=") + kAssumedKey + "/"));
    ++signed_with_assumed;
  }
  EXPECT_GE(signed_with_assumed, 8);
  for (const std::string& text : {run.out, run.err}) {
    EXPECT_THAT(text, Not(HasSubstr(kAssumedSecret)));
    EXPECT_THAT(text, Not(HasSubstr(kWebToken)));
  }

  for (const char* file : {"nodes.json", "pods.json", "daemonsets.json"})
    fs::copy_file(scenarioDir() / file, out_ / file);
  const auto scenario = auditFindings(scenarioDir());
  ASSERT_EQ(scenario.size(), 2U);  // the scenario README's two findings
  EXPECT_EQ(auditFindings(out_), scenario);
}

TEST_F(AwsCollectorTest, CommandErrorsAreOneLine) {
  auto env = cleanAwsEnvironment(dir_.path());
  auto run =
      test::runProcess({test::sgauditBinary().string(), "collect", "aws", "--out", out_.string()}, env);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("no AWS region"));
  env["AWS_ENDPOINT_URL"] = fake_.url();
  run = test::runProcess({test::sgauditBinary().string(), "collect", "aws", "--region", kRegion, "--profile",
                          "nope", "--out", out_.string()},
                         env);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("AWS credentials: profile nope (--profile): not in"));
  EXPECT_TRUE(fake_.requests().empty());
  EXPECT_FALSE(fs::exists(out_));
}

std::uint16_t freePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

std::string findOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream folders(path == nullptr ? "" : path);
  for (std::string folder; std::getline(folders, folder, ':');) {
    const fs::path candidate = fs::path(folder) / name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return {};
}

// moto's EC2 (getmoto/moto's server mode) on loopback: a real implementation of the Query API's XML. Every
// region of moto has a default VPC and its default security group.
TEST(AwsMotoTest, CollectsFromMotoServer) {
  const std::string moto = findOnPath("moto_server");
  if (moto.empty()) GTEST_SKIP() << "moto_server is not installed (pip install 'moto[server]')";
  test::TempDir dir;
  const std::uint16_t port = freePort();
  test::ChildProcess server({moto, "-H", "127.0.0.1", "-p", std::to_string(port)}, {}, dir.path(),
                            dir / "moto.log");
  const Url url = std::get<Url>(parseUrl("http://127.0.0.1:" + std::to_string(port)));
  AwsHttp http;
  for (int i = 0; i < 100; ++i) {
    HttpRequest probe;
    if (std::holds_alternative<HttpResponse>(http.send(url, probe))) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const AwsAccount account{"us-east-1", url, url, {"testing", "testing", ""}};
  AwsCollectOptions options;
  options.base_delay = std::chrono::milliseconds(10);
  auto result = collectAws(http, account, dir / "out", options);
  ASSERT_TRUE(std::holds_alternative<AwsCollectResult>(result)) << std::get<CollectFailure>(result).message;
  const json groups = readJson(dir / "out" / "describe-security-groups.json");
  ASSERT_FALSE(groups.at("SecurityGroups").empty());
  bool default_group = false;
  for (const auto& group : groups.at("SecurityGroups"))
    default_group = default_group || group.value("GroupName", "") == "default";
  EXPECT_TRUE(default_group);
  EXPECT_FALSE(readJson(dir / "out" / "describe-vpcs.json").at("Vpcs").empty());
  server.signal(SIGTERM);
  server.wait(std::chrono::seconds(10));
}

}  // namespace
}  // namespace sgaudit::collect
