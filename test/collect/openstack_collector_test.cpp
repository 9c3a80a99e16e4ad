// `sgaudit collect openstack` against a loopback Keystone, Neutron and Nova (support/fake_openstack.hpp) that
// checks the password or application credential, issues a token and refuses lists without it, pages with
// limit/marker and `<list>_links` (or not at all) and answers 503 once: the documents served (from
// test/data/openstack) come back as served, and the collected folder audits to the same findings as the
// same documents written directly; clouds.yaml is found where openstacksdk looks, in its order; a wrong
// password, a catalog without Neutron and a 403 stop the collection with one line that names the endpoint
// and holds no secret, and leave the folder as it was.
#include "sgaudit/collect/openstack_collector.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "sgaudit/collect/cloud_collect.hpp"
#include "support/fake_openstack.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace sgaudit::collect {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;

constexpr const char* kUser = "sgaudit-reader";
constexpr const char* kPassword = "s3cret-Pa55word/with+chars";
constexpr const char* kProject = "shop";
constexpr const char* kAppId = "4c6a1b0e9d8f4e7aa1b2c3d4e5f60718";
constexpr const char* kAppName = "sgaudit-collector";
constexpr const char* kAppUserId = "9e8d7c6b5a4f4e3d2c1b0a9f8e7d6c5b";
constexpr const char* kAppSecret = "appCredSecret-XyZ0123456789abcdefghij";

json readJson(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return json::parse(in);
}

fs::path dataDir() {
  return test::testDataDir() / "openstack";
}

// A server for the port's device (test/data/openstack/ports.json's node-a-port), as Nova lists it.
json servers() {
  return json::parse(R"({"servers": [
    {"id": "4a3b2c1d-0e9f-4a8b-9c7d-6e5f4a3b2c1d", "name": "node-a", "status": "ACTIVE",
     "addresses": {"k8s-net": [{"OS-EXT-IPS:type": "fixed", "addr": "192.168.0.15", "version": 4}]},
     "security_groups": [{"name": "k8s-nodes"}, {"name": "default"}]},
    {"id": "5b4c3d2e-1f0a-4b9c-8d7e-6f5a4b3c2d1e", "name": "bastion", "status": "ACTIVE",
     "addresses": {"k8s-net": [{"OS-EXT-IPS:type": "fixed", "addr": "192.168.0.9", "version": 4}]},
     "security_groups": [{"name": "default"}]}]})");
}

struct Served {
  json groups = readJson(dataDir() / "security-groups.json");
  json rules = readJson(dataDir() / "security-group-rules.json");
  json ports = readJson(dataDir() / "ports.json");
  json servers = collect::servers();
};

void serveAll(test::FakeOpenStack& fake, const Served& served) {
  fake.serve("/v2.0/security-groups", served.groups);
  fake.serve("/v2.0/security-group-rules", served.rules);
  fake.serve("/v2.0/ports", served.ports);
  fake.serve("/servers/detail", served.servers);
}

class OpenStackCollectorTest : public ::testing::Test {
 protected:
  OpenStackCollectorTest() {
    fake_.acceptPassword(kUser, "Default", kPassword, kProject, "Default");
    fake_.acceptApplicationCredential(kAppId, kAppName, kAppUserId, kAppSecret);
    serveAll(fake_, served_);
    cloud_.auth.auth_url = fake_.authUrl();
    cloud_.auth.username = kUser;
    cloud_.auth.password = kPassword;
    cloud_.auth.user_domain_name = "Default";
    cloud_.auth.project_name = kProject;
    cloud_.auth.project_domain_name = "Default";
    cloud_.region_name = "RegionOne";
    cloud_.source = "test cloud";
    options_.page_size = 1;
    options_.sleep = [this](std::chrono::milliseconds wait) { waits_.push_back(wait); };
    options_.base_delay = std::chrono::milliseconds(50);
  }

  std::variant<OpenStackCollectResult, CollectFailure> collect() {
    return collectOpenStack(cloud_, out_, options_);
  }

  std::string failureOf(const std::variant<OpenStackCollectResult, CollectFailure>& result) {
    EXPECT_TRUE(std::holds_alternative<CollectFailure>(result));
    if (!std::holds_alternative<CollectFailure>(result)) return {};
    const auto& message = std::get<CollectFailure>(result).message;
    EXPECT_THAT(message, Not(HasSubstr(kPassword)));
    EXPECT_THAT(message, Not(HasSubstr(kAppSecret)));
    for (const auto& token : fake_.tokens())
      EXPECT_THAT(message, Not(HasSubstr(token)));
    EXPECT_EQ(message.find('\n'), std::string::npos);
    return message;
  }

  int requestsTo(const std::string& prefix) const {
    int count = 0;
    for (const auto& request : fake_.requests())
      count += request.target.starts_with(prefix) ? 1 : 0;
    return count;
  }

  test::FakeOpenStack fake_;
  Served served_;
  test::TempDir dir_;
  fs::path out_ = dir_ / "collected";
  OpenStackCloud cloud_;
  OpenStackCollectOptions options_;
  std::vector<std::chrono::milliseconds> waits_;
};

TEST_F(OpenStackCollectorTest, DocumentsComeBackAsServedPageByPage) {
  fake_.unavailableOnce("/v2.0/security-groups");
  auto result = collect();
  ASSERT_TRUE(std::holds_alternative<OpenStackCollectResult>(result))
      << std::get<CollectFailure>(result).message;
  const auto& collected = std::get<OpenStackCollectResult>(result);

  EXPECT_EQ(readJson(out_ / "security-groups.json"), served_.groups);
  EXPECT_EQ(readJson(out_ / "security-group-rules.json"), served_.rules);
  EXPECT_EQ(readJson(out_ / "ports.json"), served_.ports);
  EXPECT_EQ(readJson(out_ / "nova-servers-detail.json"), served_.servers);

  // One item a page: as many pages as items, the 503 retried once after a jittered wait.
  ASSERT_EQ(collected.files.size(), 4U);
  EXPECT_EQ(collected.files[0].items, served_.groups["security_groups"].size());
  EXPECT_EQ(collected.files[0].pages, served_.groups["security_groups"].size());
  EXPECT_EQ(collected.files[2].items, served_.ports["ports"].size());
  EXPECT_EQ(collected.files[3].pages, 2U);
  EXPECT_EQ(collected.retries, 1);
  ASSERT_EQ(waits_.size(), 1U);
  EXPECT_LE(waits_[0], std::chrono::milliseconds(50));
  EXPECT_EQ(collected.project, "shop (id e4f50856753b4dc6afee5fa6b9b6c550)");
  EXPECT_TRUE(collected.warnings.empty());

  // One token, sent with every list request; Neutron under the catalog's URL with /v2.0 appended.
  ASSERT_EQ(fake_.tokens().size(), 1U);
  int lists = 0;
  for (const auto& request : fake_.requests()) {
    if (request.method != "GET") continue;
    EXPECT_EQ(request.headers.at("x-auth-token"), fake_.tokens()[0]) << request.target;
    EXPECT_NE(request.status, 401U) << request.target;
    ++lists;
  }
  EXPECT_EQ(lists, 2 + 1 + 3 + 2 + 2);  // groups (and the retry), rules, ports, servers
  EXPECT_EQ(requestsTo("/network/v2.0/security-group-rules?limit=1"), 3);
  EXPECT_EQ(requestsTo("/network/v2.0/security-groups?limit=1&marker=85cc3048-abc3-43cc-89b3-377341426ac5"),
            1);
  EXPECT_EQ(requestsTo("/compute/v2.1/servers/detail?limit=1"), 2);
  for (const auto& entry : fs::directory_iterator(out_))
    EXPECT_FALSE(entry.path().filename().string().starts_with(".sgaudit")) << entry.path();
}

TEST_F(OpenStackCollectorTest, ACloudThatDoesNotPageAnswersOnce) {
  fake_.setPaging(false);
  auto result = collect();
  ASSERT_TRUE(std::holds_alternative<OpenStackCollectResult>(result))
      << std::get<CollectFailure>(result).message;
  for (const auto& file : std::get<OpenStackCollectResult>(result).files)
    EXPECT_EQ(file.pages, 1U) << file.list;
  EXPECT_EQ(readJson(out_ / "security-group-rules.json"), served_.rules);
  EXPECT_EQ(readJson(out_ / "nova-servers-detail.json"), served_.servers);
}

TEST_F(OpenStackCollectorTest, ApplicationCredentialByIdAndByName) {
  cloud_.auth = {};
  cloud_.auth.auth_url = fake_.authUrl();
  cloud_.auth.application_credential_id = kAppId;
  cloud_.auth.application_credential_secret = kAppSecret;
  auto result = collect();
  ASSERT_TRUE(std::holds_alternative<OpenStackCollectResult>(result))
      << std::get<CollectFailure>(result).message;
  const auto keystone = fake_.requests().front();
  ASSERT_EQ(keystone.target, "/identity/v3/auth/tokens");
  const auto body = json::parse(keystone.body);
  EXPECT_EQ(body["auth"]["identity"]["methods"], json({"application_credential"}));
  EXPECT_FALSE(body["auth"].contains("scope"));  // Keystone refuses a scope with an application credential

  cloud_.auth.application_credential_id.clear();
  cloud_.auth.application_credential_name = kAppName;
  cloud_.auth.user_id = kAppUserId;
  result = collect();
  ASSERT_TRUE(std::holds_alternative<OpenStackCollectResult>(result))
      << std::get<CollectFailure>(result).message;
  EXPECT_EQ(fake_.tokens().size(), 2U);

  cloud_.auth.application_credential_secret = "not-the-secret";
  EXPECT_THAT(failureOf(collect()), HasSubstr("HTTP 401"));
}

TEST_F(OpenStackCollectorTest, AWrongPasswordNamesKeystoneAndLeavesTheFolder) {
  fs::create_directories(out_);
  test::writeFile(out_ / "ports.json", "{\"ports\": []}\n");
  cloud_.auth.password = "wrong-Password-42";
  const auto message = failureOf(collect());
  EXPECT_THAT(message, HasSubstr("keystone at http://127.0.0.1:"));
  EXPECT_THAT(message, HasSubstr("POST /identity/v3/auth/tokens"));
  EXPECT_THAT(message, HasSubstr("HTTP 401"));
  EXPECT_THAT(message, HasSubstr("The request you have made requires authentication."));
  EXPECT_THAT(message, Not(HasSubstr("wrong-Password-42")));
  EXPECT_TRUE(std::get<CollectFailure>(collect()).unauthorized);
  EXPECT_EQ(readJson(out_ / "ports.json"), json::parse("{\"ports\": []}"));
  EXPECT_EQ(std::distance(fs::directory_iterator(out_), fs::directory_iterator()), 1);
  EXPECT_EQ(requestsTo("/network"), 0);
}

TEST_F(OpenStackCollectorTest, NoNetworkEndpointInTheCatalog) {
  fake_.omitFromCatalog("network");
  const auto message = failureOf(collect());
  EXPECT_THAT(message, HasSubstr("no network endpoint"));
  EXPECT_THAT(message, HasSubstr(fake_.authUrl()));
  EXPECT_FALSE(fs::exists(out_ / "security-groups.json"));

  // An interface or region the catalog does not have is the same failure.
  cloud_ = {};
  cloud_.auth.auth_url = fake_.authUrl();
  cloud_.auth.application_credential_id = kAppId;
  cloud_.auth.application_credential_secret = kAppSecret;
  cloud_.region_name = "RegionTwo";
  EXPECT_THAT(failureOf(collect()), HasSubstr("no network endpoint (public, region RegionTwo)"));
}

TEST_F(OpenStackCollectorTest, AForbiddenListStopsAndLeavesTheFolder) {
  ASSERT_TRUE(std::holds_alternative<OpenStackCollectResult>(collect()));
  const json before = readJson(out_ / "security-groups.json");
  fake_.fail(
      "/v2.0/ports", 403,
      R"({"NeutronError": {"type": "HTTPForbidden", "message": "rule:get_port is disallowed by policy", "detail": ""}})");
  const auto message = failureOf(collect());
  EXPECT_THAT(message, HasSubstr("neutron at http://127.0.0.1:"));
  EXPECT_THAT(message, HasSubstr("GET /network/v2.0/ports"));
  EXPECT_THAT(message, HasSubstr("HTTP 403: HTTPForbidden: rule:get_port is disallowed by policy"));
  EXPECT_EQ(readJson(out_ / "security-groups.json"), before);
  EXPECT_EQ(readJson(out_ / "nova-servers-detail.json"), served_.servers);
}

TEST_F(OpenStackCollectorTest, AnUnavailableServiceIsRetriedABoundedNumberOfTimes) {
  fake_.fail("/v2.0/security-group-rules", 503, "upstream down");
  options_.max_attempts = 3;
  const auto message = failureOf(collect());
  EXPECT_THAT(message, HasSubstr("HTTP 503"));
  EXPECT_THAT(message, HasSubstr("gave up after 3 attempts"));
  EXPECT_EQ(waits_.size(), 2U);
  EXPECT_EQ(requestsTo("/network/v2.0/security-group-rules"), 3);
}

TEST_F(OpenStackCollectorTest, WithoutComputeOnlyNeutronIsCollected) {
  fs::create_directories(out_);
  test::writeFile(out_ / "nova-servers-detail.json", "{\"servers\": []}\n");
  fake_.omitFromCatalog("compute");
  auto result = collect();
  ASSERT_TRUE(std::holds_alternative<OpenStackCollectResult>(result))
      << std::get<CollectFailure>(result).message;
  const auto& collected = std::get<OpenStackCollectResult>(result);
  EXPECT_EQ(collected.files.size(), 3U);
  ASSERT_EQ(collected.warnings.size(), 1U);
  EXPECT_THAT(collected.warnings[0], HasSubstr("no compute endpoint"));
  EXPECT_FALSE(fs::exists(out_ / "nova-servers-detail.json"));  // an earlier collection's, now stale
}

TEST(OpenStackEndpoints, AsTheClientsBuildThem) {
  EXPECT_EQ(networkBase("http://controller:9696"), "http://controller:9696/v2.0");
  EXPECT_EQ(networkBase("http://controller:9696/"), "http://controller:9696/v2.0");
  EXPECT_EQ(networkBase("https://cloud.example/network"), "https://cloud.example/network/v2.0");
  EXPECT_EQ(networkBase("https://cloud.example/network/v2.0/"), "https://cloud.example/network/v2.0");
  EXPECT_EQ(keystoneTokensPath(""), "/v3/auth/tokens");
  EXPECT_EQ(keystoneTokensPath("/identity"), "/identity/v3/auth/tokens");
  EXPECT_EQ(keystoneTokensPath("/identity/v3/"), "/identity/v3/auth/tokens");
}

TEST(OpenStackEndpoints, KeystoneBodies) {
  OpenStackAuth auth;
  auth.username = "u";
  auth.password = "p";
  auth.user_domain_id = "default";
  auth.project_id = "0123";
  // The API reference's password authentication with an explicit project scope.
  EXPECT_EQ(std::get<json>(keystoneAuthBody(auth)),
            json::parse(R"({"auth": {"identity": {"methods": ["password"], "password": {"user":
                {"name": "u", "domain": {"id": "default"}, "password": "p"}}},
                "scope": {"project": {"id": "0123"}}}})"));
  auth.project_id.clear();
  EXPECT_THAT(std::get<std::string>(keystoneAuthBody(auth)), HasSubstr("no project_name or project_id"));
  auth.password.clear();
  EXPECT_EQ(std::get<std::string>(keystoneAuthBody(auth)), "no password");
}

// clouds.yaml in each place openstacksdk looks, each naming a different auth_url.
class OpenStackConfigTest : public ::testing::Test {
 protected:
  OpenStackConfigTest() {
    environment_.home = dir_ / "home";
    environment_.cwd = dir_ / "cwd";
    environment_.system_dir = dir_ / "etc";
  }

  void cloudsAt(const fs::path& path, const std::string& auth_url) {
    fs::create_directories(path.parent_path());
    test::writeFile(path, "clouds:\n  prod:\n    auth:\n      auth_url: " + auth_url +
                              "\n      username: u\n      password: p\n      project_name: shop\n"
                              "      user_domain_name: Default\n      project_domain_name: Default\n"
                              "    region_name: RegionOne\n    interface: internal\n");
  }

  std::string chosen(const std::string& name = "prod") {
    auto cloud = resolveOpenStackCloud(name, "", environment_);
    if (auto* why = std::get_if<std::string>(&cloud)) return "error: " + *why;
    return std::get<OpenStackCloud>(cloud).auth.auth_url;
  }

  test::TempDir dir_;
  OpenStackEnvironment environment_;
};

TEST_F(OpenStackConfigTest, CloudsYamlIsFoundInOpenStackSdksOrder) {
  EXPECT_THAT(chosen(), HasSubstr("error: cloud \"prod\": no clouds.yaml"));
  cloudsAt(dir_ / "etc" / "clouds.yaml", "https://etc.example:5000/v3");
  EXPECT_EQ(chosen(), "https://etc.example:5000/v3");
  cloudsAt(dir_ / "home" / ".config" / "openstack" / "clouds.yaml", "https://home.example:5000/v3");
  EXPECT_EQ(chosen(), "https://home.example:5000/v3");
  cloudsAt(dir_ / "cwd" / "clouds.yaml", "https://cwd.example:5000/v3");
  EXPECT_EQ(chosen(), "https://cwd.example:5000/v3");
  cloudsAt(dir_ / "named.yaml", "https://named.example:5000/v3");
  environment_.variables["OS_CLIENT_CONFIG_FILE"] = (dir_ / "named.yaml").string();
  EXPECT_EQ(chosen(), "https://named.example:5000/v3");

  // $OS_CLOUD names the cloud when --cloud does not; --cloud wins.
  environment_.variables["OS_CLOUD"] = "prod";
  EXPECT_EQ(chosen(""), "https://named.example:5000/v3");
  EXPECT_THAT(chosen("staging"), HasSubstr("no cloud \"staging\""));

  const auto cloud = std::get<OpenStackCloud>(resolveOpenStackCloud("", "RegionTwo", environment_));
  EXPECT_EQ(cloud.region_name, "RegionTwo");  // the source's region overrides region_name
  EXPECT_EQ(cloud.interface, "internal");
  EXPECT_EQ(cloud.auth.username, "u");
  EXPECT_EQ(cloud.auth.project_domain_name, "Default");
  EXPECT_EQ(cloud.source, "cloud prod in " + (dir_ / "named.yaml").string());
}

TEST_F(OpenStackConfigTest, SecureYamlIsMergedIn) {
  fs::create_directories(dir_ / "cwd");
  test::writeFile(dir_ / "cwd" / "clouds.yaml",
                  "clouds:\n  prod:\n    auth:\n      auth_url: https://k.example/v3\n"
                  "      application_credential_id: abc\n    region_name: RegionOne\n");
  test::writeFile(dir_ / "cwd" / "secure.yaml",
                  "clouds:\n  prod:\n    auth:\n      application_credential_secret: from-secure\n");
  const auto cloud = std::get<OpenStackCloud>(resolveOpenStackCloud("prod", "", environment_));
  EXPECT_EQ(cloud.auth.application_credential_id, "abc");
  EXPECT_EQ(cloud.auth.application_credential_secret, "from-secure");
  EXPECT_EQ(cloud.auth.auth_url, "https://k.example/v3");
}

TEST_F(OpenStackConfigTest, OsVariablesWithoutACloud) {
  EXPECT_THAT(chosen(""), HasSubstr("no OpenStack cloud"));
  environment_.variables = {{"OS_AUTH_URL", "https://k.example:5000/v3"},
                            {"OS_USERNAME", "u"},
                            {"OS_PASSWORD", "p"},
                            {"OS_PROJECT_NAME", "shop"},
                            {"OS_USER_DOMAIN_NAME", "Users"},
                            {"OS_PROJECT_DOMAIN_NAME", "Projects"},
                            {"OS_REGION_NAME", "RegionOne"},
                            {"OS_INTERFACE", "internalURL"},
                            {"OS_CACERT", "/etc/ssl/openstack.pem"},
                            {"OS_APPLICATION_CREDENTIAL_NAME", "n"}};
  const auto cloud = std::get<OpenStackCloud>(resolveOpenStackCloud("", "", environment_));
  EXPECT_EQ(cloud.auth.auth_url, "https://k.example:5000/v3");
  EXPECT_EQ(cloud.auth.username, "u");
  EXPECT_EQ(cloud.auth.password, "p");
  EXPECT_EQ(cloud.auth.project_name, "shop");
  EXPECT_EQ(cloud.auth.user_domain_name, "Users");
  EXPECT_EQ(cloud.auth.project_domain_name, "Projects");
  EXPECT_EQ(cloud.auth.application_credential_name, "n");
  EXPECT_EQ(cloud.region_name, "RegionOne");
  EXPECT_EQ(cloud.interface, "internal");
  EXPECT_EQ(cloud.cacert, "/etc/ssl/openstack.pem");
  EXPECT_EQ(cloud.source, "OS_* variables");
}

TEST(OpenStackCloudCollect, IsAKindCollectCloudKnows) {
  const auto& kinds = cloudSourceKinds();
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "openstack"), kinds.end());
}

// (check, fingerprint) of every finding of `sgaudit audit DIR --format json`.
std::vector<std::pair<std::string, std::string>> auditFindings(const fs::path& dir) {
  const auto result =
      test::runProcess({test::sgauditBinary().string(), "audit", dir.string(), "--format", "json"});
  EXPECT_EQ(result.exit_code, 1) << result.err;  // the scenario has a finding
  std::vector<std::pair<std::string, std::string>> findings;
  const auto report = json::parse(result.out);
  for (const auto& finding : report.at("findings"))
    findings.emplace_back(finding.at("check"), finding.at("fingerprint"));
  std::sort(findings.begin(), findings.end());
  return findings;
}

std::map<std::string, std::string> cleanOsEnvironment(const fs::path& home) {
  std::map<std::string, std::string> env = {{"HOME", home.string()}};
  for (const char* name : {"OS_CLOUD",
                           "OS_CLIENT_CONFIG_FILE",
                           "OS_CLIENT_SECURE_FILE",
                           "OS_AUTH_URL",
                           "OS_AUTH_TYPE",
                           "OS_USERNAME",
                           "OS_USER_ID",
                           "OS_PASSWORD",
                           "OS_PROJECT_NAME",
                           "OS_PROJECT_ID",
                           "OS_TENANT_NAME",
                           "OS_TENANT_ID",
                           "OS_USER_DOMAIN_NAME",
                           "OS_USER_DOMAIN_ID",
                           "OS_PROJECT_DOMAIN_NAME",
                           "OS_PROJECT_DOMAIN_ID",
                           "OS_DOMAIN_NAME",
                           "OS_DOMAIN_ID",
                           "OS_APPLICATION_CREDENTIAL_ID",
                           "OS_APPLICATION_CREDENTIAL_NAME",
                           "OS_APPLICATION_CREDENTIAL_SECRET",
                           "OS_REGION_NAME",
                           "OS_INTERFACE",
                           "OS_ENDPOINT_TYPE",
                           "OS_CACERT",
                           "OS_INSECURE"})
    env.emplace(name, "");
  return env;
}

// A Kubernetes node on test/data/openstack/ports.json's node-a-port (device and address).
const char* kNodes = R"({"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Node",
  "metadata": {"name": "node-a", "labels": {"kubernetes.io/hostname": "node-a"}},
  "spec": {"providerID": "openstack:///4a3b2c1d-0e9f-4a8b-9c7d-6e5f4a3b2c1d"},
  "status": {"addresses": [{"type": "InternalIP", "address": "192.168.0.15"}, {"type": "Hostname", "address": "node-a"}]}}]})";

// The whole command: clouds.yaml named by $OS_CLIENT_CONFIG_FILE, the cloud by --cloud, then `sgaudit audit`
// of the collection beside a node list, against the same documents written directly.
TEST_F(OpenStackCollectorTest, CollectedFolderAuditsLikeTheDocuments) {
  fake_.unavailableOnce("/v2.0/ports");
  test::writeFile(dir_ / "clouds.yaml",
                  "clouds:\n  test:\n    auth:\n      auth_url: " + fake_.authUrl() +
                      "\n      username: " + kUser + "\n      password: \"" + kPassword +
                      "\"\n      project_name: shop\n      user_domain_name: Default\n"
                      "      project_domain_name: Default\n    region_name: RegionOne\n");
  auto env = cleanOsEnvironment(dir_.path());
  env["OS_CLIENT_CONFIG_FILE"] = (dir_ / "clouds.yaml").string();
  const auto run = test::runProcess(
      {test::sgauditBinary().string(), "collect", "openstack", "--cloud", "test", "--out", out_.string()},
      env);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("security-groups.json: neutron security-groups, 2 items (1 page)"));
  EXPECT_THAT(run.out, HasSubstr("nova-servers-detail.json: nova servers/detail, 2 items (1 page)"));
  EXPECT_THAT(run.out, HasSubstr("with credentials from cloud test in " + (dir_ / "clouds.yaml").string()));
  EXPECT_THAT(run.out, HasSubstr("1 requests retried"));
  for (const std::string& text : {run.out, run.err}) {
    EXPECT_THAT(text, Not(HasSubstr(kPassword)));
    for (const auto& token : fake_.tokens())
      EXPECT_THAT(text, Not(HasSubstr(token)));
  }

  const fs::path direct = dir_ / "direct";
  fs::create_directories(direct);
  test::writeFile(direct / "security-groups.json", served_.groups.dump(2));
  test::writeFile(direct / "security-group-rules.json", served_.rules.dump(2));
  test::writeFile(direct / "ports.json", served_.ports.dump(2));
  test::writeFile(direct / "nova-servers-detail.json", served_.servers.dump(2));
  test::writeFile(direct / "nodes.json", kNodes);
  test::writeFile(out_ / "nodes.json", kNodes);
  const auto expected = auditFindings(direct);
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(auditFindings(out_), expected);
}

TEST_F(OpenStackCollectorTest, CommandErrorsAreOneLine) {
  auto env = cleanOsEnvironment(dir_.path());
  auto run = test::runProcess(
      {test::sgauditBinary().string(), "collect", "openstack", "--out", out_.string()}, env, dir_.path());
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("no OpenStack cloud"));

  env["OS_AUTH_URL"] = fake_.authUrl();
  env["OS_USERNAME"] = kUser;
  env["OS_PASSWORD"] = "wrong-Password-42";
  env["OS_PROJECT_NAME"] = kProject;
  env["OS_USER_DOMAIN_NAME"] = "Default";
  env["OS_PROJECT_DOMAIN_NAME"] = "Default";
  run = test::runProcess({test::sgauditBinary().string(), "collect", "openstack", "--out", out_.string()},
                         env, dir_.path());
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("keystone at"));
  EXPECT_THAT(run.err, HasSubstr("HTTP 401"));
  EXPECT_THAT(run.err, Not(HasSubstr("wrong-Password-42")));
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1);
  EXPECT_FALSE(fs::exists(out_));

  env["OS_PASSWORD"] = kPassword;
  run = test::runProcess({test::sgauditBinary().string(), "collect", "openstack", "--out", out_.string()},
                         env, dir_.path());
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("with credentials from OS_* variables"));
}

}  // namespace
}  // namespace sgaudit::collect
