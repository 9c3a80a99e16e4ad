// Exec credential plugins: the ExecCredential a plugin prints (as `aws eks get-token` prints it), the
// KUBERNETES_EXEC_INFO it is given, and a real child process under a deadline.
#include "sgaudit/collect/exec_credential.hpp"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/temp_dir.hpp"

namespace sgaudit::collect {
namespace {

// `aws eks get-token` (awscli 2): v1beta1, a presigned-URL token and its expiry.
constexpr const char* kAwsEksToken =
    R"({"kind": "ExecCredential", "apiVersion": "client.authentication.k8s.io/v1beta1", "spec": {}, "status": {"expirationTimestamp": "2026-12-04T03:14:00Z", "token": "k8s-aws-v1.aHR0cHM6Ly9zdHMuZXUtd2VzdC0xLmFtYXpvbmF3cy5jb20vP0FjdGlvbj1HZXRDYWxsZXJJZGVudGl0eQ"}})";

TEST(ExecCredentialTest, ReadsATokenAndItsExpiry) {
  const auto parsed = parseExecCredential(kAwsEksToken, "client.authentication.k8s.io/v1beta1");
  ASSERT_TRUE(std::holds_alternative<ExecCredential>(parsed)) << std::get<std::string>(parsed);
  const auto& credential = std::get<ExecCredential>(parsed);
  EXPECT_TRUE(credential.token.starts_with("k8s-aws-v1."));
  ASSERT_TRUE(credential.expires.has_value());
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*credential.expires), 1796354040);
}

TEST(ExecCredentialTest, ReadsAClientCertificate) {
  const std::string output =
      R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"clientCertificateData":"-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n","clientKeyData":"-----BEGIN PRIVATE KEY-----\nY\n-----END PRIVATE KEY-----\n"}})";
  const auto parsed = parseExecCredential(output, "client.authentication.k8s.io/v1");
  ASSERT_TRUE(std::holds_alternative<ExecCredential>(parsed)) << std::get<std::string>(parsed);
  EXPECT_TRUE(std::get<ExecCredential>(parsed).token.empty());
  EXPECT_FALSE(std::get<ExecCredential>(parsed).expires.has_value());
  EXPECT_TRUE(std::get<ExecCredential>(parsed).client_key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
}

TEST(ExecCredentialTest, RefusesWhatIsNotACredentialWithoutRepeatingTheToken) {
  auto error = [](const std::string& output, const std::string& version = "client.authentication.k8s.io/v1") {
    const auto parsed = parseExecCredential(output, version);
    return std::holds_alternative<std::string>(parsed) ? std::get<std::string>(parsed) : "accepted";
  };
  EXPECT_EQ(error(kAwsEksToken),
            "/apiVersion: expected \"client.authentication.k8s.io/v1\" (the kubeconfig's exec apiVersion)");
  EXPECT_EQ(error("Please log in"), "expected an ExecCredential (JSON object)");
  EXPECT_EQ(error(R"({"kind":"Status"})"), "/kind: expected \"ExecCredential\"");
  EXPECT_EQ(error(R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{}})"),
            "/status: expected a token or clientCertificateData and clientKeyData");
  EXPECT_EQ(
      error(
          R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"token":"s3cret","expirationTimestamp":"tomorrow"}})"),
      "/status/expirationTimestamp: expected an RFC 3339 time");
  EXPECT_EQ(
      error(
          R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"clientCertificateData":"C"}})"),
      "/status: clientCertificateData and clientKeyData come together");
}

TEST(ExecCredentialTest, Rfc3339WithFractionsAndOffsets) {
  const auto utc = parseRfc3339("2026-12-04T03:00:00Z");
  ASSERT_TRUE(utc.has_value());
  EXPECT_EQ(parseRfc3339("2026-12-04T05:00:00.250+02:00"), utc);
  EXPECT_EQ(parseRfc3339("2026-12-03T22:30:00-04:30"), utc);
  EXPECT_FALSE(parseRfc3339("2026-12-04 03:00:00Z").has_value());
  EXPECT_FALSE(parseRfc3339("2026-13-04T03:00:00Z").has_value());
  EXPECT_FALSE(parseRfc3339("2026-12-04T03:00:00").has_value());
  EXPECT_FALSE(parseRfc3339("9999-12-31T23:59:59Z").has_value());  // found by fuzz_kubeconfig: overflowed
  EXPECT_FALSE(parseRfc3339("0001-01-01T00:00:00Z").has_value());
}

TEST(ExecCredentialTest, ExecInfoCarriesTheClusterOnlyWhenAsked) {
  ExecConfig exec;
  exec.api_version = "client.authentication.k8s.io/v1";
  ClusterAccess cluster;
  cluster.server = "https://10.0.0.10:5443";
  cluster.ca_pem = "PEM";
  auto info = nlohmann::json::parse(execInfo(exec, cluster));
  EXPECT_EQ(info["kind"], "ExecCredential");
  EXPECT_EQ(info["spec"]["interactive"], false);
  EXPECT_FALSE(info["spec"].contains("cluster"));
  exec.provide_cluster_info = true;
  info = nlohmann::json::parse(execInfo(exec, cluster));
  EXPECT_EQ(info["spec"]["cluster"]["server"], "https://10.0.0.10:5443");
  EXPECT_EQ(info["spec"]["cluster"]["certificate-authority-data"], "UEVN");
}

class ExecPluginTest : public ::testing::Test {
 protected:
  // A plugin script in the temp folder; `body` is sh.
  ExecConfig plugin(const std::string& body) {
    const auto path = dir_ / "plugin.sh";
    std::ofstream(path) << "#!/bin/sh\n" << body;
    chmod(path.c_str(), 0755);
    ExecConfig exec;
    exec.api_version = "client.authentication.k8s.io/v1";
    exec.command = "./plugin.sh";  // relative: taken from the kubeconfig's folder
    exec.base_dir = dir_.path();
    return exec;
  }
  test::TempDir dir_;
  ClusterAccess cluster_;
};

TEST_F(ExecPluginTest, RunsWithArgumentsEnvironmentAndExecInfo) {
  // The plugin answers with its argument, its configured variable and the interactive flag it was given.
  auto exec =
      plugin(R"(case "$KUBERNETES_EXEC_INFO" in *'"interactive":false'*) mode=batch;; *) mode=unknown;; esac
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s-%s-%s"}}' "$1" "$REGION" "$mode"
)");
  exec.args = {"get-token"};
  exec.env = {{"REGION", "eu-west-1"}};
  const auto result = runExecPlugin(exec, cluster_, std::chrono::seconds(10));
  ASSERT_TRUE(std::holds_alternative<ExecCredential>(result)) << std::get<std::string>(result);
  EXPECT_EQ(std::get<ExecCredential>(result).token, "get-token-eu-west-1-batch");
}

TEST_F(ExecPluginTest, FailuresAreOneLineNamingThePlugin) {
  auto failing = plugin(
      "echo 'refreshing credentials...' >&2\necho 'error: SSO session expired, run aws sso login' >&2\nexit "
      "255\n");
  auto result = runExecPlugin(failing, cluster_, std::chrono::seconds(10));
  ASSERT_TRUE(std::holds_alternative<std::string>(result));
  EXPECT_EQ(
      std::get<std::string>(result),
      "exec plugin \"plugin.sh\": exited with status 255: error: SSO session expired, run aws sso login");

  auto slow = plugin("sleep 20\n");
  const auto start = std::chrono::steady_clock::now();
  result = runExecPlugin(slow, cluster_, std::chrono::milliseconds(1000));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  ASSERT_TRUE(std::holds_alternative<std::string>(result));
  EXPECT_EQ(std::get<std::string>(result), "exec plugin \"plugin.sh\": gave no answer in 1 s");

  ExecConfig missing;
  missing.api_version = "client.authentication.k8s.io/v1";
  missing.command = "sgaudit-no-such-plugin";
  missing.install_hint = "Install it from https://example.com/plugin";
  result = runExecPlugin(missing, cluster_, std::chrono::seconds(5));
  ASSERT_TRUE(std::holds_alternative<std::string>(result));
  EXPECT_EQ(
      std::get<std::string>(result),
      "exec plugin \"sgaudit-no-such-plugin\": cannot run sgaudit-no-such-plugin: No such file or directory "
      "(Install it from https://example.com/plugin)");

  auto chatty = plugin("echo 'Open https://login.example/device and enter the code ABCD'\n");
  result = runExecPlugin(chatty, cluster_, std::chrono::seconds(5));
  ASSERT_TRUE(std::holds_alternative<std::string>(result));
  EXPECT_EQ(std::get<std::string>(result),
            "exec plugin \"plugin.sh\": expected an ExecCredential (JSON object)");
}

}  // namespace
}  // namespace sgaudit::collect
