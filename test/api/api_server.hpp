#pragma once
// The real `sgaudit serve` on a loopback port (port 0) with a real SQLite file and tokens made by
// `sgaudit token create`, shared by the API's end-to-end tests.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/tls_cert.hpp"

namespace sgaudit::test {

class ApiServer {
 public:
  // `env`: variables the server process gets besides the test's own (a provider's credentials, say).
  explicit ApiServer(const TempDir& dir, std::vector<std::string> extra = {},
                     std::map<std::string, std::string> env = {})
      : dir_(dir), env_(std::move(env)) {
    db_ = dir / "api.db";
    admin = token("admin");
    ingest = token("ingest");
    reader = token("reader");
    start(std::move(extra));
  }

  std::string token(const std::string& role) {
    const auto result = runProcess(
        {sgauditBinary().string(), "token", "create", "--role", role, "--name", role, "--db", db_.string()});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    std::string value = result.out;
    while (!value.empty() && value.back() == '\n')
      value.pop_back();
    return value;
  }

  void start(std::vector<std::string> extra = {}) {
    log_ = dir_ / ("serve-" + std::to_string(++starts_) + ".log");
    std::vector<std::string> argv = {
        sgauditBinary().string(), "serve", "--listen", "127.0.0.1:0", "--db", db_.string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process = std::make_unique<ChildProcess>(argv, env_, dir_.path(), log_);
    const std::string text = waitForText(log_, "listening", std::chrono::seconds(15));
    std::smatch match;
    port = 0;
    if (std::regex_search(text, match, std::regex(R"(https?://127\.0\.0\.1:(\d+))"))) {
      port = static_cast<std::uint16_t>(std::stoi(match[1]));
    }
    ASSERT_NE(port, 0) << readFile(log_);
  }

  void stop() {
    process->signal(SIGTERM);
    EXPECT_EQ(process->wait(std::chrono::seconds(15)), std::optional<int>(0));
  }

  ClientResponse call(const std::string& method, const std::string& target, const std::string& body = {},
                      const std::string& token = {}, const std::string& headers = {}) {
    auto connection = connect(60000);
    std::string all = headers;
    if (!token.empty()) all += "Authorization: Bearer " + token + "\r\n";
    return connection->request(method, target, body, all);
  }

  ClientResponse upload(const std::string& scope, const std::string& name, const std::string& body,
                        const std::string& headers = "Content-Type: application/octet-stream\r\n") {
    return call("POST", "/api/v1/" + scope + "/inputs?name=" + name, body, ingest, headers);
  }

  // A connection to the server, over TLS when `tls` is set.
  std::unique_ptr<HttpConnection> connect(int timeout_ms = 5000) const {
    if (tls) return std::make_unique<HttpConnection>(port, *tls, timeout_ms);
    return std::make_unique<HttpConnection>(port, timeout_ms);
  }

  std::string logText() const { return readFile(log_); }
  const std::filesystem::path& database() const { return db_; }

  std::string admin, ingest, reader;
  std::unique_ptr<ChildProcess> process;
  std::uint16_t port = 0;
  std::optional<TlsClientOptions> tls;  // how call() reaches a server started with --tls-cert

 private:
  const TempDir& dir_;
  std::map<std::string, std::string> env_;
  std::filesystem::path db_;
  std::filesystem::path log_;
  int starts_ = 0;
};

// Starts the server on HTTPS with a fresh self-signed certificate; its calls go over verified TLS.
struct TlsServer {
  explicit TlsServer(const TempDir& dir, std::vector<std::string> extra = {})
      : files(writeSelfSignedCertificate(dir.path(), "server", "sgaudit-first")),
        server(dir, withTls(files, std::move(extra))) {
    server.tls = TlsClientOptions{files.certificate};
  }
  static std::vector<std::string> withTls(const CertificateFiles& files, std::vector<std::string> extra) {
    extra.insert(extra.end(),
                 {"--tls-cert", files.certificate.string(), "--tls-key", files.private_key.string()});
    return extra;
  }
  CertificateFiles files;
  ApiServer server;
};

inline void expectProblem(const ClientResponse& response, int status) {
  EXPECT_EQ(response.status, status) << response.body;
  EXPECT_EQ(response.headers.count("content-type") ? response.headers.at("content-type") : "",
            "application/problem+json");
  if (!response.body.empty()) {
    EXPECT_EQ(nlohmann::json::parse(response.body).at("status"), status);
  }
}

}  // namespace sgaudit::test
