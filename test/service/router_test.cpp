#include "sgaudit/service/router.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sgaudit/db/migrator.hpp"
#include "support/temp_dir.hpp"

namespace sgaudit::service {
namespace {

using json = nlohmann::json;
using sgaudit::test::TempDir;

class RouterTest : public ::testing::Test {
 protected:
  TempDir dir_;
  AppContext context_{Config{}, db::openAndMigrate(dir_ / "router.db")};

  HttpResponse call(const std::string& method, const std::string& target) {
    return route(HttpRequest::make(method, target), context_);
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
