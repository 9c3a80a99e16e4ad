// The service in real headless Chromium (/usr/bin/chromium driven by playwright-core from tools/npm): the
// real `sgaudit serve` on a loopback port holding the demo's audits and a schedule's runs, and a person who
// signs in, reads the dashboard, opens a report and signs out (dashboard_check.cjs).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <sstream>

#include "api/signin_support.hpp"

namespace sgaudit::test {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

std::filesystem::path findProgram(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const auto candidate = std::filesystem::path(dir) / name;
    if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

// The same requirements as the report's BrowserTest (test/report/browser_test.cpp).
class DashboardBrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = findProgram("node");
    ASSERT_FALSE(node_.empty()) << "node is not on PATH: run scripts/install-deps.sh";
    ASSERT_TRUE(
        std::filesystem::exists(std::filesystem::path(SGAUDIT_NPM_DIR) / "node_modules/playwright-core"))
        << "tools/npm/node_modules/playwright-core is missing: run scripts/install-deps.sh";
    const char* chromium = std::getenv("SGAUDIT_CHROMIUM");
    ASSERT_TRUE(std::filesystem::exists(chromium ? chromium : "/usr/bin/chromium"))
        << "Chromium is missing: apt-get install chromium (scripts/install-deps.sh)";
    std::filesystem::create_directories(SGAUDIT_ARTIFACT_DIR);
  }

  std::filesystem::path node_;
};

// Test the way a person uses the service: `/` lands on the sign-in page, the token signs in (a cookie
// script cannot read, SameSite=Strict, 12 hours), the dashboard shows the demo cluster with its latest
// audit's counts (1 critical, 3 high, 1 medium, 0 low, 1 info) and the schedule's SVG trend (a stacked bar
// per run), the HTML report link renders in the page (no download, no ERR_ABORTED, its own script running
// under its policy), nothing is fetched from elsewhere and no policy is violated; sign-out returns to the
// sign-in page, and `/` stays there.
TEST_F(DashboardBrowserTest, SignInDashboardReportSignOut) {
  TempDir dir;
  auto server = demoServer(dir);
  const std::int64_t second = auditDemo(*server);
  const std::int64_t schedule = createSchedule(*server, "nightly-cce");
  addScheduleRuns(*server, schedule, {1, second});

  const std::string base = "http://127.0.0.1:" + std::to_string(server->port);
  const auto result = runProcess({"/usr/bin/timeout", "--kill-after=10", "150", node_.string(),
                                  std::string(SGAUDIT_REPORT_TEST_DIR) + "/dashboard_check.cjs",
                                  SGAUDIT_NPM_DIR, base, SGAUDIT_ARTIFACT_DIR},
                                 {{"SGAUDIT_TEST_TOKEN", server->reader}});
  ASSERT_EQ(result.exit_code, 0) << result.err << server->logText();
  const json facts = json::parse(result.out);

  EXPECT_THAT(facts.at("dialogs"), IsEmpty());
  EXPECT_THAT(facts.at("external_requests"), IsEmpty());
  EXPECT_THAT(facts.at("csp_violations"), IsEmpty());
  EXPECT_THAT(facts.at("page_errors"), IsEmpty());
  EXPECT_THAT(facts.at("failed_requests"), IsEmpty());  // net::ERR_ABORTED would be here
  EXPECT_THAT(facts.at("downloads"), IsEmpty());

  EXPECT_EQ(facts.at("landing").at("url"), "/signin?next=%2F");
  EXPECT_TRUE(facts.at("landing").at("form"));
  EXPECT_TRUE(facts.at("landing").at("token_field"));

  EXPECT_EQ(facts.at("dashboard").at("url"), "/");
  EXPECT_EQ(facts.at("dashboard").at("status"), 200);
  EXPECT_EQ(facts.at("dashboard").at("who"), "reader");
  ASSERT_EQ(facts.at("cookies").size(), 1U) << facts.dump();
  const json& cookie = facts.at("cookies").at(0);
  EXPECT_EQ(cookie.at("name"), "sgaudit_session");
  EXPECT_TRUE(cookie.at("httpOnly"));
  EXPECT_EQ(cookie.at("sameSite"), "Strict");
  EXPECT_EQ(cookie.at("path"), "/");
  EXPECT_NEAR(cookie.at("lifetime").get<double>(), 12 * 3600, 120);
  EXPECT_EQ(facts.at("script_readable_cookie"), "");
  EXPECT_EQ(facts.at("dashboard_scripts"), 0);

  const json* cluster = nullptr;
  for (const json& scope : facts.at("scopes")) {
    if (scope.at("kind") == "cluster" && scope.at("name") == "cce-demo") cluster = &scope;
  }
  ASSERT_NE(cluster, nullptr) << facts.at("scopes").dump();
  EXPECT_TRUE(cluster->at("visible"));
  EXPECT_EQ(cluster->at("counts"),
            (json{{"critical", "1"}, {"high", "3"}, {"medium", "1"}, {"low", "0"}, {"info", "1"}}));
  EXPECT_EQ(cluster->at("links"), (json{"HTML", "SARIF", "CSV", "JSON", "since #1", "JSON"}));

  ASSERT_EQ(facts.at("trends").size(), 1U);
  const json& trend = facts.at("trends").at(0);
  EXPECT_EQ(trend.at("name"), "nightly-cce");
  EXPECT_GT(trend.at("svg_width").get<double>(), 100);
  EXPECT_GT(trend.at("svg_height").get<double>(), 40);
  ASSERT_EQ(trend.at("runs").size(), 2U);  // a bar per run, stacked by severity
  for (const json& run : trend.at("runs")) {
    EXPECT_EQ(run.at("critical"), (json{{"count", "1"}, {"visible", true}}));
    EXPECT_EQ(run.at("high"), (json{{"count", "3"}, {"visible", true}}));
    EXPECT_EQ(run.at("medium"), (json{{"count", "1"}, {"visible", true}}));
    EXPECT_EQ(run.at("info"), (json{{"count", "1"}, {"visible", true}}));
    EXPECT_FALSE(run.contains("low"));
  }

  const json& report = facts.at("report");
  EXPECT_EQ(report.at("url"), "/api/v1/audits/" + std::to_string(second) + "/report.html");
  EXPECT_EQ(report.at("status"), 200);
  EXPECT_THAT(report.at("disposition").get<std::string>(), StartsWith("inline;"));
  EXPECT_THAT(report.at("title").get<std::string>(), HasSubstr("cce-demo"));
  EXPECT_EQ(report.at("scope"), "cce-demo");
  EXPECT_EQ(report.at("total"), "6");
  EXPECT_TRUE(report.at("script_ran"));

  EXPECT_EQ(facts.at("back").at("url"), "/");
  EXPECT_EQ(facts.at("signed_out").at("url"), "/signin");
  EXPECT_TRUE(facts.at("signed_out").at("form"));
  EXPECT_THAT(facts.at("signed_out").at("cookies"), IsEmpty());
  EXPECT_EQ(facts.at("after").at("url"), "/signin?next=%2F");
  EXPECT_TRUE(facts.at("after").at("form"));
  server->stop();
}

}  // namespace
}  // namespace sgaudit::test
