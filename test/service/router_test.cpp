#include "sgaudit/service/router.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sgaudit/db/migrator.hpp"
#include "sgaudit/db/token_store.hpp"
#include "sgaudit/service/api.hpp"
#include "sgaudit/service/auth.hpp"
#include "support/temp_dir.hpp"

namespace sgaudit::service {
namespace {

using json = nlohmann::json;
using sgaudit::test::TempDir;

class RouterTest : public ::testing::Test {
 protected:
  TempDir dir_;
  AppContext context_{Config{}, db::openAndMigrate(dir_ / "router.db")};
  std::string reader_ = tokenFor(Role::Reader);

  std::string tokenFor(Role role) {
    return context_.withDatabase(
        [&](db::Database& db) { return createToken(db, "test", role, "2026-11-26T00:00:00Z"); });
  }

  HttpResponse call(const std::string& method, const std::string& target, const std::string& token = {}) {
    HttpRequest request = HttpRequest::make(method, target);
    request.headers["Authorization"] = "Bearer " + (token.empty() ? reader_ : token);
    return route(request, context_);
  }
};

void expectProblem(const HttpResponse& response, int status) {
  EXPECT_EQ(response.status, status);
  EXPECT_EQ(response.headers.at("content-type"), "application/problem+json");
  const auto body = json::parse(response.body);
  EXPECT_EQ(body.at("status"), status);
  EXPECT_EQ(body.at("title"), std::string(reasonPhrase(status)));
  EXPECT_TRUE(body.at("detail").is_string());
}

// Test that /healthz answers 200 JSON without touching anything else.
TEST_F(RouterTest, HealthzIsOk) {
  const auto response = call("GET", "/healthz");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.headers.at("Content-Type"), "application/json");
  EXPECT_EQ(json::parse(response.body).at("status"), "ok");
}

// Test that /readyz reports the migrated schema version.
TEST_F(RouterTest, ReadyzWithMigratedDatabase) {
  const auto response = call("GET", "/readyz");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(json::parse(response.body).at("schema_version"), context_.build().schema_version);
}

// Test that /readyz turns 503 once shutdown begins, so load balancers drain the instance.
TEST_F(RouterTest, ReadyzUnavailableWhileShuttingDown) {
  context_.beginShutdown();
  expectProblem(call("GET", "/readyz"), 503);
  EXPECT_EQ(call("GET", "/healthz").status, 200);
}

// Test that /readyz is 503 without a database, and /healthz still 200.
TEST(RouterNoDatabaseTest, ReadyzWithoutDatabase) {
  AppContext context(Config{}, std::nullopt);
  expectProblem(route(HttpRequest::make("GET", "/readyz"), context), 503);
  EXPECT_EQ(route(HttpRequest::make("GET", "/healthz"), context).status, 200);
}

// Test that /readyz is 503 when the database is behind this build's schema.
TEST(RouterNoDatabaseTest, ReadyzWithUnmigratedDatabase) {
  TempDir dir;
  AppContext context(Config{}, db::Database::open(dir / "empty.db"));
  const auto response = route(HttpRequest::make("GET", "/readyz"), context);
  expectProblem(response, 503);
  EXPECT_THAT(json::parse(response.body).at("detail").get<std::string>(),
              ::testing::HasSubstr("sgaudit migrate"));
}

// Test that the version resource names the build and its schema version.
TEST_F(RouterTest, VersionDescribesBuild) {
  const auto response = call("GET", "/api/v1/version");
  ASSERT_EQ(response.status, 200);
  const auto body = json::parse(response.body);
  EXPECT_EQ(body.at("name"), "sgaudit");
  EXPECT_EQ(body.at("version"), context_.build().version);
  EXPECT_EQ(body.at("schema_version"), db::Migrator::embedded().latestVersion());
}

// Test that an unknown path is a 404 problem naming the path, query string ignored for matching.
TEST_F(RouterTest, UnknownPathIsProblem404) {
  const auto response = call("GET", "/api/v1/nothing?x=1");
  expectProblem(response, 404);
  EXPECT_EQ(json::parse(response.body).at("instance"), "/api/v1/nothing");
}

// Test that a known path with the wrong method is a 405 problem with an Allow header.
TEST_F(RouterTest, WrongMethodIsProblem405WithAllow) {
  const auto response = call("DELETE", "/healthz");
  expectProblem(response, 405);
  EXPECT_EQ(response.headers.at("Allow"), "GET, HEAD");
}

// Test that HEAD is answered like GET (the server strips the body).
TEST_F(RouterTest, HeadIsAnsweredAsGet) {
  EXPECT_EQ(call("HEAD", "/api/v1/version").status, 200);
}

// Test that hostile bytes in a path come back as valid JSON, escaped, not as a crash or broken document.
TEST_F(RouterTest, HostilePathIsEscapedInProblem) {
  const std::string path = "/\"<script>\xff\xfe";
  const auto response = call("GET", path);
  EXPECT_EQ(response.status, 404);
  const auto body = json::parse(response.body);
  EXPECT_THAT(body.at("detail").get<std::string>(), ::testing::HasSubstr("\"<script>"));
}

}  // namespace
}  // namespace sgaudit::service

namespace sgaudit::service {
namespace {

// Test that an /api route without a token is a 401 problem with a Bearer challenge, and health stays open.
TEST_F(RouterTest, ApiNeedsBearerToken) {
  const auto response = route(HttpRequest::make("GET", "/api/v1/version"), context_);
  expectProblem(response, 401);
  EXPECT_EQ(response.headers.at("WWW-Authenticate"), "Bearer realm=\"sgaudit\"");
  EXPECT_EQ(route(HttpRequest::make("GET", "/healthz"), context_).status, 200);
  EXPECT_EQ(route(HttpRequest::make("GET", "/metrics"), context_).status, 200);
}

// Test that an unknown, a malformed and a revoked token are all 401, and a live one is accepted.
TEST_F(RouterTest, UnknownMalformedAndRevokedTokensAreRefused) {
  expectProblem(call("GET", "/api/v1/version", "sga_not-a-real-token"), 401);
  HttpRequest basic = HttpRequest::make("GET", "/api/v1/version");
  basic.headers["Authorization"] = "Basic dXNlcjpwYXNz";
  expectProblem(route(basic, context_), 401);
  const std::string token = tokenFor(Role::Admin);
  EXPECT_EQ(call("GET", "/api/v1/version", token).status, 200);
  context_.withDatabase([](db::Database& db) {
    db::TokenStore store(db);
    for (const auto& record : store.list()) {
      if (record.role == "admin") store.revoke(record.id, "2026-11-26T00:00:01Z");
    }
  });
  expectProblem(call("GET", "/api/v1/version", token), 401);
}

// Test that roles nest: a reader may not upload or write policies (403), ingest may upload, only admin writes
// policies.
TEST_F(RouterTest, RolesNest) {
  auto post = [&](const std::string& target, const std::string& token, const std::string& body) {
    HttpRequest request =
        HttpRequest::make(target.find("policies") != std::string::npos ? "PUT" : "POST", target);
    request.headers["Authorization"] = "Bearer " + token;
    request.headers["Content-Type"] = "application/json";
    request.body = body;
    return route(request, context_);
  };
  const std::string ingest = tokenFor(Role::Ingest);
  const std::string admin = tokenFor(Role::Admin);
  expectProblem(post("/api/v1/clusters/c1/inputs", reader_, "{}"), 403);
  expectProblem(post("/api/v1/policies/p1", ingest, "{}"), 403);
  EXPECT_EQ(post("/api/v1/policies/p1", admin, "{}").status, 201);
  // ingest passes the role check; the body then fails on its own merits (not a known input), not on auth.
  expectProblem(post("/api/v1/clusters/c1/inputs", ingest, "{\"x\": 1}"), 422);
}

// Test that the token itself is never stored: only its SHA-256.
TEST_F(RouterTest, TokensAreStoredHashed) {
  const std::string token = tokenFor(Role::Reader);
  const auto stored = context_.withDatabase([](db::Database& db) {
    std::string all;
    auto stmt = db.prepare("SELECT token_sha256 FROM api_tokens");
    while (stmt.step())
      all += stmt.getText(0) + "\n";
    return all;
  });
  EXPECT_THAT(stored, ::testing::Not(::testing::HasSubstr(token)));
  EXPECT_THAT(stored, ::testing::HasSubstr(tokenHash(token)));
  EXPECT_TRUE(token.starts_with("sga_"));
  EXPECT_EQ(token.size(), 4U + 43U);
}

// Test that only routes marked on_io_thread (liveness) are answered on the I/O thread, counted like the rest.
TEST(RouterIoThreadTest, OnlyLivenessIsAnsweredOnTheIoThread) {
  test::TempDir dir;
  AppContext context(Config{}, db::openAndMigrate(dir / "io.db"));
  const auto health = answerOnIoThread(HttpRequest::make("GET", "/healthz"), context);
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(nlohmann::json::parse(health->body).at("status"), "ok");
  EXPECT_TRUE(answerOnIoThread(HttpRequest::make("HEAD", "/healthz"), context).has_value());
  EXPECT_FALSE(answerOnIoThread(HttpRequest::make("GET", "/readyz"), context).has_value());
  EXPECT_FALSE(answerOnIoThread(HttpRequest::make("GET", "/api/v1/version"), context).has_value());
  EXPECT_FALSE(answerOnIoThread(HttpRequest::make("POST", "/healthz"), context).has_value());
  EXPECT_NE(context.metrics().render().find("route=\"/healthz\",status=\"200\"} 2"), std::string::npos);
}

// Test that public reads (the demo) act as a reader without a token, and still may not write: a write without
// a token is 401 (a token is missing), and one with a reader token 403 (the token's role is too low).
TEST(RouterPublicReadTest, PublicReadIsReaderOnly) {
  test::TempDir dir;
  Config config;
  config.public_read = true;
  AppContext context(config, db::openAndMigrate(dir / "public.db"));
  EXPECT_EQ(route(HttpRequest::make("GET", "/api/v1/version"), context).status, 200);
  HttpRequest post = HttpRequest::make("POST", "/api/v1/audits");
  post.headers["Content-Type"] = "application/json";
  post.body = "{\"cluster\": \"x\"}";
  const HttpResponse anonymous = route(post, context);
  expectProblem(anonymous, 401);
  EXPECT_EQ(anonymous.headers.at("WWW-Authenticate"), "Bearer realm=\"sgaudit\"");
  const std::string reader = context.withDatabase(
      [](db::Database& db) { return createToken(db, "r", Role::Reader, "2026-12-04T00:00:00Z"); });
  post.headers["Authorization"] = "Bearer " + reader;
  expectProblem(route(post, context), 403);
}

}  // namespace
}  // namespace sgaudit::service
