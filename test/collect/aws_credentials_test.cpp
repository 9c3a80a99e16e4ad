// The AWS credential chain (aws_credentials.hpp) against loopback fakes (support/fake_aws.hpp): each source
// alone (environment, shared files with a profile, web identity through STS, container credentials, IMDSv2),
// the order between them, and the errors of a source that is configured but fails, each naming the source and
// never holding a secret. Also the shared files' INI, the region's and the endpoints' resolution.
#include "sgaudit/collect/aws_credentials.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/fake_aws.hpp"
#include "support/temp_dir.hpp"

namespace sgaudit::collect {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kEnvKey = "AKIDENVIRONMENT00001";
constexpr const char* kEnvSecret = "envSecretKey/abcdefghijklmnopqrstuvwxyz0";
constexpr const char* kFileKey = "AKIDSHAREDFILE000001";
constexpr const char* kFileSecret = "fileSecretKey/abcdefghijklmnopqrstuvwxyz";
constexpr const char* kStsKey = "ASIASTSASSUMED000001";
constexpr const char* kStsSecret = "stsSecretKey/abcdefghijklmnopqrstuvwxyz0";
constexpr const char* kStsToken = "stsSessionToken//////////wEXAMPLEtoken";
constexpr const char* kWebToken = "eyJhbGciOiJSUzI1NiJ9.web-identity-token.signature";
constexpr const char* kRoleArn = "arn:aws:iam::210987654321:role/sgaudit-collector";
constexpr const char* kContainerToken = "container-authorization-token-3f9a";
constexpr const char* kNow = "2026-11-25T10:00:00Z";

class AwsCredentialsTest : public ::testing::Test {
 protected:
  AwsCredentialsTest() {
    environment_.home = home_.path().string();
    // Never the real metadata service: each test that wants IMDS points it at the fake.
    environment_.variables["AWS_EC2_METADATA_DISABLED"] = "true";
    options_.region = "eu-west-1";
    options_.now = *parseAwsTime(kNow);
    options_.imds_timeout = std::chrono::milliseconds(2000);
  }

  void set(const std::string& name, const std::string& value) { environment_.variables[name] = value; }

  void writeAws(const std::string& name, const std::string& text) {
    std::filesystem::create_directories(home_ / ".aws");
    test::writeFile(home_ / ".aws" / name, text);
  }

  std::variant<ResolvedAwsCredentials, std::string> resolve() {
    auto files = loadAwsSharedFiles(environment_);
    if (auto* why = std::get_if<std::string>(&files)) return *why;
    AwsHttp http;
    return resolveAwsCredentials(environment_, std::get<AwsSharedFiles>(files), options_, http);
  }

  ResolvedAwsCredentials resolved() {
    auto result = resolve();
    if (auto* why = std::get_if<std::string>(&result)) {
      ADD_FAILURE() << *why;
      return {};
    }
    return std::get<ResolvedAwsCredentials>(result);
  }

  std::string failure() {
    auto result = resolve();
    if (auto* credentials = std::get_if<ResolvedAwsCredentials>(&result)) {
      ADD_FAILURE() << "expected an error, got credentials from " << credentials->source;
      return {};
    }
    return std::get<std::string>(result);
  }

  std::string containerCredentials(const std::string& expiration) {
    return std::string(R"({"AccessKeyId":")") + kStsKey + R"(","SecretAccessKey":")" + kStsSecret +
           R"(","Token":")" + kStsToken + R"(","Expiration":")" + expiration + R"("})";
  }

  void expectNoSecret(const std::string& message) {
    for (const char* secret : {kEnvSecret, kFileSecret, kStsSecret, kStsToken, kWebToken, kContainerToken})
      EXPECT_THAT(message, Not(HasSubstr(secret)));
  }

  test::TempDir home_;
  AwsEnvironment environment_;
  AwsCredentialOptions options_;
  test::FakeAws fake_;
};

TEST(AwsIniTest, SectionsCommentsAndNestedBlocks) {
  const auto parsed = parseAwsIni(
      "# a comment\n[default]\naws_access_key_id = AKID1\n; another\nregion=eu-west-1   # inline\n"
      "[profile  prod ]\nREGION = us-east-1\ns3 =\n  max_concurrent_requests = 20\noutput = json\r\n");
  ASSERT_TRUE(std::holds_alternative<AwsIniFile>(parsed)) << std::get<std::string>(parsed);
  const auto& sections = std::get<AwsIniFile>(parsed).sections;
  EXPECT_EQ(sections.at("default").at("aws_access_key_id"), "AKID1");
  EXPECT_EQ(sections.at("default").at("region"), "eu-west-1");
  EXPECT_EQ(sections.at("profile prod").at("region"), "us-east-1");
  EXPECT_EQ(sections.at("profile prod").at("output"), "json");
  EXPECT_FALSE(sections.at("profile prod").contains("max_concurrent_requests"));
  // Errors name the line, not its text (it may be a secret).
  EXPECT_EQ(std::get<std::string>(parseAwsIni("[default]\nwJalrXUtnFEMI-secret\n")),
            "line 2: expected `key = value` or a [section]");
  EXPECT_EQ(std::get<std::string>(parseAwsIni("key = value\n")), "line 1: a setting before any [section]");
}

TEST_F(AwsCredentialsTest, RegionOrder) {
  writeAws("config", "[default]\nregion = ap-south-1\n[profile prod]\nregion = us-east-2\n");
  const auto files = std::get<AwsSharedFiles>(loadAwsSharedFiles(environment_));
  EXPECT_EQ(resolveAwsRegion("", environment_, files, chooseAwsProfile("", environment_))->name,
            "ap-south-1");
  EXPECT_EQ(resolveAwsRegion("", environment_, files, chooseAwsProfile("prod", environment_))->name,
            "us-east-2");
  set("AWS_DEFAULT_REGION", "eu-central-1");
  EXPECT_EQ(resolveAwsRegion("", environment_, files, chooseAwsProfile("prod", environment_))->name,
            "eu-central-1");
  set("AWS_REGION", "eu-west-3");
  EXPECT_EQ(resolveAwsRegion("", environment_, files, chooseAwsProfile("", environment_))->source,
            "AWS_REGION");
  EXPECT_EQ(resolveAwsRegion("sa-east-1", environment_, files, chooseAwsProfile("", environment_))->name,
            "sa-east-1");
}

TEST_F(AwsCredentialsTest, Endpoints) {
  auto url = [&](const char* service, const char* prefix, const char* region) {
    auto endpoint = awsServiceEndpoint(environment_, service, prefix, region);
    if (auto* why = std::get_if<std::string>(&endpoint)) return "error: " + *why;
    const auto& parsed = std::get<Url>(endpoint);
    return parsed.scheme + "://" + awsHostHeader(parsed) + parsed.base_path;
  };
  EXPECT_EQ(url("EC2", "ec2", "eu-west-1"), "https://ec2.eu-west-1.amazonaws.com");
  EXPECT_EQ(url("EKS", "eks", "cn-north-1"), "https://eks.cn-north-1.amazonaws.com.cn");
  set("AWS_ENDPOINT_URL", "http://127.0.0.1:4566/");
  EXPECT_EQ(url("EC2", "ec2", "eu-west-1"), "http://127.0.0.1:4566");
  set("AWS_ENDPOINT_URL_EC2", "https://vpce-1.ec2.eu-west-1.vpce.amazonaws.com");
  EXPECT_EQ(url("EC2", "ec2", "eu-west-1"), "https://vpce-1.ec2.eu-west-1.vpce.amazonaws.com");
  EXPECT_EQ(url("EKS", "eks", "eu-west-1"), "http://127.0.0.1:4566");
  environment_.variables.clear();
  EXPECT_THAT(url("EC2", "ec2", "eu west"), HasSubstr("error: the region \"eu west\" is not a region name"));
}

TEST_F(AwsCredentialsTest, Environment) {
  set("AWS_ACCESS_KEY_ID", kEnvKey);
  set("AWS_SECRET_ACCESS_KEY", kEnvSecret);
  set("AWS_SESSION_TOKEN", "env-session-token");
  const auto credentials = resolved();
  EXPECT_EQ(credentials.credentials.access_key_id, kEnvKey);
  EXPECT_EQ(credentials.credentials.secret_access_key, kEnvSecret);
  EXPECT_EQ(credentials.credentials.session_token, "env-session-token");
  EXPECT_EQ(credentials.source, "the environment (AWS_ACCESS_KEY_ID)");
}

TEST_F(AwsCredentialsTest, EnvironmentWithoutItsSecretIsAnError) {
  set("AWS_ACCESS_KEY_ID", kEnvKey);
  writeAws("credentials", std::string("[default]\naws_access_key_id = ") + kFileKey +
                              "\naws_secret_access_key = " + kFileSecret + "\n");
  const std::string message = failure();
  EXPECT_EQ(message,
            "credentials from the environment: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
}

TEST_F(AwsCredentialsTest, SharedFilesWithAProfile) {
  writeAws("credentials",
           std::string("[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = x1234\n"
                       "[prod]\naws_access_key_id = ") +
               kFileKey + "\naws_secret_access_key = " + kFileSecret + "\n");
  writeAws("config", "[profile prod]\nregion = eu-west-1\n");
  options_.cli_profile = "prod";
  const auto credentials = resolved();
  EXPECT_EQ(credentials.credentials.access_key_id, kFileKey);
  EXPECT_EQ(credentials.credentials.secret_access_key, kFileSecret);
  EXPECT_EQ(credentials.source, "profile prod in " + (home_ / ".aws" / "credentials").string());
  // AWS_PROFILE chooses it too, and AWS_SHARED_CREDENTIALS_FILE moves the file.
  options_.cli_profile.clear();
  std::filesystem::rename(home_ / ".aws" / "credentials", home_ / "elsewhere");
  set("AWS_SHARED_CREDENTIALS_FILE", (home_ / "elsewhere").string());
  set("AWS_PROFILE", "prod");
  EXPECT_EQ(resolved().credentials.access_key_id, kFileKey);
}

TEST_F(AwsCredentialsTest, KeysInTheConfigFile) {
  writeAws("config", std::string("[profile ci]\naws_access_key_id = ") + kFileKey +
                         "\naws_secret_access_key = " + kFileSecret + "\n");
  options_.cli_profile = "ci";
  const auto credentials = resolved();
  EXPECT_EQ(credentials.credentials.access_key_id, kFileKey);
  EXPECT_EQ(credentials.source, "profile ci in " + (home_ / ".aws" / "config").string());
}

TEST_F(AwsCredentialsTest, AMissingProfileIsAnError) {
  writeAws("credentials", std::string("[default]\naws_access_key_id = ") + kFileKey +
                              "\naws_secret_access_key = " + kFileSecret + "\n");
  options_.cli_profile = "staging";
  const std::string message = failure();
  EXPECT_THAT(message, HasSubstr("profile staging (--profile): not in"));
  EXPECT_THAT(message, HasSubstr((home_ / ".aws" / "credentials").string()));
  expectNoSecret(message);
}

TEST_F(AwsCredentialsTest, AssumeRoleProfilesAreRefusedByName) {
  writeAws("config", "[profile admin]\nrole_arn = arn:aws:iam::1:role/admin\nsource_profile = default\n");
  options_.cli_profile = "admin";
  EXPECT_THAT(failure(), HasSubstr("profile admin in " + (home_ / ".aws" / "config").string() +
                                   ": role_arn with source_profile (assume role) is not supported"));
}

TEST_F(AwsCredentialsTest, EnvironmentWinsOverFilesButNotOverAProfileOnTheCommandLine) {
  set("AWS_ACCESS_KEY_ID", kEnvKey);
  set("AWS_SECRET_ACCESS_KEY", kEnvSecret);
  writeAws("credentials", std::string("[default]\naws_access_key_id = ") + kFileKey +
                              "\naws_secret_access_key = " + kFileSecret + "\n");
  EXPECT_EQ(resolved().credentials.access_key_id, kEnvKey);
  set("AWS_PROFILE", "default");  // as the CLI: AWS_PROFILE does not outrank the environment's keys
  EXPECT_EQ(resolved().credentials.access_key_id, kEnvKey);
  options_.cli_profile = "default";  // --profile does
  EXPECT_EQ(resolved().credentials.access_key_id, kFileKey);
}

TEST_F(AwsCredentialsTest, WebIdentityThroughSts) {
  fake_.stsAccept(kRoleArn, kWebToken, kStsKey, kStsSecret, kStsToken, "2026-11-25T11:00:00Z");
  test::writeFile(home_ / "token", std::string(kWebToken) + "\n");
  set("AWS_ENDPOINT_URL_STS", fake_.url());
  set("AWS_ROLE_ARN", kRoleArn);
  set("AWS_WEB_IDENTITY_TOKEN_FILE", (home_ / "token").string());
  set("AWS_ROLE_SESSION_NAME", "sgaudit-test");
  // Files are lower in the chain: web identity wins.
  writeAws("credentials", std::string("[default]\naws_access_key_id = ") + kFileKey +
                              "\naws_secret_access_key = " + kFileSecret + "\n");
  const auto credentials = resolved();
  EXPECT_EQ(credentials.credentials.access_key_id, kStsKey);
  EXPECT_EQ(credentials.credentials.secret_access_key, kStsSecret);
  EXPECT_EQ(credentials.credentials.session_token, kStsToken);
  ASSERT_TRUE(credentials.expiration.has_value());
  EXPECT_EQ(*credentials.expiration, *parseAwsTime("2026-11-25T11:00:00Z"));
  EXPECT_THAT(credentials.source, HasSubstr("web identity"));
  const auto requests = fake_.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].action, "AssumeRoleWithWebIdentity");
  EXPECT_FALSE(requests[0].headers.contains("authorization"));  // unsigned
  EXPECT_THAT(requests[0].body,
              HasSubstr("WebIdentityToken=eyJhbGciOiJSUzI1NiJ9.web-identity-token.signature"));
  EXPECT_THAT(requests[0].body, HasSubstr("RoleSessionName=sgaudit-test"));
  EXPECT_THAT(requests[0].body,
              HasSubstr("RoleArn=arn%3Aaws%3Aiam%3A%3A210987654321%3Arole%2Fsgaudit-collector"));
}

TEST_F(AwsCredentialsTest, StsErrorNamesTheSourceAndHoldsNoToken) {
  fake_.stsAccept(kRoleArn, "another-token", kStsKey, kStsSecret, kStsToken, "2026-11-25T11:00:00Z");
  test::writeFile(home_ / "token", kWebToken);
  set("AWS_ENDPOINT_URL_STS", fake_.url());
  set("AWS_ROLE_ARN", kRoleArn);
  set("AWS_WEB_IDENTITY_TOKEN_FILE", (home_ / "token").string());
  const std::string message = failure();
  EXPECT_THAT(message, HasSubstr("web identity"));
  EXPECT_THAT(message, HasSubstr("STS AssumeRoleWithWebIdentity at " + fake_.url() + "/"));
  EXPECT_THAT(message, HasSubstr("InvalidIdentityToken"));
  expectNoSecret(message);
}

TEST_F(AwsCredentialsTest, ExpiredStsCredentialsAreAnError) {
  fake_.stsAccept(kRoleArn, kWebToken, kStsKey, kStsSecret, kStsToken, "2026-11-25T09:59:00Z");
  test::writeFile(home_ / "token", kWebToken);
  set("AWS_ENDPOINT_URL_STS", fake_.url());
  set("AWS_ROLE_ARN", kRoleArn);
  set("AWS_WEB_IDENTITY_TOKEN_FILE", (home_ / "token").string());
  const std::string message = failure();
  EXPECT_THAT(message, HasSubstr("web identity"));
  EXPECT_THAT(message, HasSubstr("expired at 2026-11-25T09:59:00Z"));
  expectNoSecret(message);
}

TEST_F(AwsCredentialsTest, MissingTokenFileIsAnError) {
  set("AWS_ROLE_ARN", kRoleArn);
  set("AWS_WEB_IDENTITY_TOKEN_FILE", (home_ / "absent").string());
  EXPECT_THAT(failure(), HasSubstr("the web identity token file " + (home_ / "absent").string()));
}

TEST_F(AwsCredentialsTest, ContainerCredentialsSendTheAuthorizationToken) {
  fake_.serveContainer("/v2/credentials/task", kContainerToken, containerCredentials("2026-11-25T16:00:00Z"));
  set("AWS_CONTAINER_CREDENTIALS_FULL_URI", fake_.url() + "/v2/credentials/task");
  set("AWS_CONTAINER_AUTHORIZATION_TOKEN", kContainerToken);
  const auto credentials = resolved();
  EXPECT_EQ(credentials.credentials.access_key_id, kStsKey);
  EXPECT_EQ(credentials.credentials.session_token, kStsToken);
  EXPECT_EQ(credentials.source, "container credentials at " + fake_.url() + "/v2/credentials/task");
  const auto requests = fake_.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].headers.at("authorization"), kContainerToken);
  // The token file outranks the variable (EKS Pod Identity mounts one).
  test::writeFile(home_ / "pod-identity-token", "from-the-file\n");
  set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", (home_ / "pod-identity-token").string());
  const std::string message = failure();
  EXPECT_EQ(fake_.requests().back().headers.at("authorization"), "from-the-file");
  EXPECT_EQ(message, "container credentials at " + fake_.url() + "/v2/credentials/task: HTTP 403");
  expectNoSecret(message);
}

TEST_F(AwsCredentialsTest, ContainerFullUriOverHttpOnlyToLoopbackOrTheAgents) {
  set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://192.0.2.7/creds");
  EXPECT_THAT(failure(), HasSubstr("over http must name a loopback address"));
  EXPECT_TRUE(fake_.requests().empty());
}

TEST_F(AwsCredentialsTest, GarbageOrExpiredContainerAnswers) {
  fake_.serveContainer("/garbage", "", std::string("<html>") + kStsSecret + "</html>");
  set("AWS_CONTAINER_CREDENTIALS_FULL_URI", fake_.url() + "/garbage");
  std::string message = failure();
  EXPECT_EQ(message, "container credentials at " + fake_.url() +
                         "/garbage: the answer is not JSON with AccessKeyId and SecretAccessKey");
  expectNoSecret(message);
  fake_.serveContainer("/old", "", containerCredentials("2026-11-25T09:00:00Z"));
  set("AWS_CONTAINER_CREDENTIALS_FULL_URI", fake_.url() + "/old");
  message = failure();
  EXPECT_THAT(message, HasSubstr("container credentials at " + fake_.url() + "/old"));
  EXPECT_THAT(message, HasSubstr("expired at 2026-11-25T09:00:00Z"));
  expectNoSecret(message);
}

TEST_F(AwsCredentialsTest, FilesWinOverContainerCredentials) {
  fake_.serveContainer("/creds", "", containerCredentials("2026-11-25T16:00:00Z"));
  set("AWS_CONTAINER_CREDENTIALS_FULL_URI", fake_.url() + "/creds");
  writeAws("credentials", std::string("[default]\naws_access_key_id = ") + kFileKey +
                              "\naws_secret_access_key = " + kFileSecret + "\n");
  EXPECT_EQ(resolved().credentials.access_key_id, kFileKey);
  EXPECT_TRUE(fake_.requests().empty());
}

TEST_F(AwsCredentialsTest, InstanceMetadataV2) {
  fake_.serveImds("eks-node-role",
                  R"({"Code":"Success","LastUpdated":"2026-11-25T09:00:00Z","Type":"AWS-HMAC",)"
                  R"("AccessKeyId":"ASIAIMDS000000000001","SecretAccessKey":"imdsSecret/abc",)"
                  R"("Token":"imds-session-token","Expiration":"2026-11-25T15:00:00Z"})");
  environment_.variables.erase("AWS_EC2_METADATA_DISABLED");
  set("AWS_EC2_METADATA_SERVICE_ENDPOINT", fake_.url());
  const auto credentials = resolved();
  EXPECT_EQ(credentials.credentials.access_key_id, "ASIAIMDS000000000001");
  EXPECT_EQ(credentials.credentials.session_token, "imds-session-token");
  EXPECT_EQ(credentials.source, "instance metadata (IMDSv2) at " + fake_.url() + ", role eks-node-role");
  const auto requests = fake_.requests();
  ASSERT_EQ(requests.size(), 3U);
  EXPECT_EQ(requests[0].method, "PUT");
  EXPECT_EQ(requests[0].target, "/latest/api/token");
  EXPECT_EQ(requests[0].headers.at("x-aws-ec2-metadata-token-ttl-seconds"), "21600");
  for (std::size_t i = 1; i < 3; ++i) {
    EXPECT_EQ(requests[i].method, "GET");
    EXPECT_EQ(requests[i].status, 200U);
    EXPECT_FALSE(requests[i].headers.at("x-aws-ec2-metadata-token").empty());
  }
  EXPECT_EQ(requests[2].target, "/latest/meta-data/iam/security-credentials/eks-node-role");

  // The fake is IMDSv2 only: a GET without the session token is refused.
  AwsHttp http;
  HttpRequest bare;
  bare.target = "/latest/meta-data/iam/security-credentials/";
  auto answer = http.send(std::get<Url>(parseUrl(fake_.url())), bare);
  ASSERT_TRUE(std::holds_alternative<HttpResponse>(answer));
  EXPECT_EQ(std::get<HttpResponse>(answer).status, 401U);
}

TEST_F(AwsCredentialsTest, ContainerWinsOverInstanceMetadata) {
  fake_.serveContainer("/creds", "", containerCredentials("2026-11-25T16:00:00Z"));
  fake_.serveImds("role", "{}");
  environment_.variables.erase("AWS_EC2_METADATA_DISABLED");
  set("AWS_EC2_METADATA_SERVICE_ENDPOINT", fake_.url());
  set("AWS_CONTAINER_CREDENTIALS_FULL_URI", fake_.url() + "/creds");
  EXPECT_EQ(resolved().source, "container credentials at " + fake_.url() + "/creds");
  EXPECT_EQ(fake_.requests().size(), 1U);
}

TEST_F(AwsCredentialsTest, NothingConfigured) {
  const std::string message = failure();
  EXPECT_THAT(message, HasSubstr("no AWS credentials found"));
  EXPECT_THAT(message, HasSubstr("not in the environment"));
  EXPECT_THAT(message, HasSubstr("no profile default in"));
  EXPECT_THAT(message, HasSubstr("disabled (AWS_EC2_METADATA_DISABLED)"));
}

TEST(AwsTimeTest, Parses) {
  const auto time = parseAwsTime("2026-11-25T10:00:00Z");
  ASSERT_TRUE(time.has_value());
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(time->time_since_epoch()).count(), 1795600800);
  EXPECT_EQ(*parseAwsTime("2026-11-25T12:00:00+02:00"), *time);
  EXPECT_EQ(*parseAwsTime("2026-11-25T10:00:00.000Z"), *time);
  EXPECT_FALSE(parseAwsTime("soon").has_value());
  EXPECT_FALSE(parseAwsTime("2026-13-25T10:00:00Z").has_value());
}

}  // namespace
}  // namespace sgaudit::collect
