#pragma once
// What the browser sign-in tests share (test/api/signin_api_test.cpp,
// test/report/dashboard_browser_test.cpp): a server holding the demo's audits and a schedule with runs, and
// signing in as a browser does.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "api/api_server.hpp"
#include "sgaudit/db/database.hpp"

namespace sgaudit::test {

// What Chromium sends when it navigates.
inline const std::string kBrowserAccept =
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n";

// The origin of the test client's requests (it sends "Host: 127.0.0.1").
inline std::string ownOrigin(const ApiServer& server) {
  return server.tls ? "https://127.0.0.1" : "http://127.0.0.1";
}

// `serve --demo` once (cluster cce-demo, account huawei-demo, their audit), then the same database served
// without --demo, so that reads need a credential again.
inline std::unique_ptr<ApiServer> demoServer(const TempDir& dir, std::vector<std::string> extra = {}) {
  auto server = std::make_unique<ApiServer>(dir, std::vector<std::string>{"--demo", "--no-scheduler"});
  server->stop();
  extra.push_back("--no-scheduler");
  server->start(extra);
  return server;
}

// Audits the demo's scopes again; returns the audit's id.
inline std::int64_t auditDemo(ApiServer& server) {
  const auto response =
      server.call("POST", "/api/v1/audits",
                  R"({"cluster": "cce-demo", "accounts": ["huawei-demo"], "policy": "cce-seed"})",
                  server.ingest, "Content-Type: application/json\r\n");
  EXPECT_EQ(response.status, 201) << response.body;
  return nlohmann::json::parse(response.body).at("id").get<std::int64_t>();
}

// A schedule of the demo cluster, through the API; its runs are then written into the database as the
// scheduler would (it would take a minute at least to run one).
inline std::int64_t createSchedule(ApiServer& server, const std::string& name) {
  const nlohmann::json spec = {
      {"name", name},          {"cron", "0 3 * * *"},         {"time_zone", "UTC"},
      {"cluster", "cce-demo"}, {"accounts", {"huawei-demo"}}, {"policy_name", "cce-seed"}};
  const auto response = server.call("POST", "/api/v1/schedules", spec.dump(), server.admin,
                                    "Content-Type: application/json\r\n");
  EXPECT_EQ(response.status, 201) << response.body;
  return nlohmann::json::parse(response.body).at("id").get<std::int64_t>();
}

inline void addScheduleRuns(ApiServer& server, std::int64_t schedule,
                            const std::vector<std::int64_t>& audits) {
  auto db = db::Database::open(server.database());
  int day = 1;
  for (const std::int64_t audit : audits) {
    const std::string at = "2026-11-" + std::string(day < 10 ? "0" : "") + std::to_string(day) + "T03:00:00Z";
    auto stmt = db.prepare(
        "INSERT INTO schedule_runs (schedule_id, scheduled_for, kind, state, runner, started_at, "
        "finished_at, "
        "audit_id, finding_count) VALUES (?1, ?2, 'scheduled', 'succeeded', 'test', ?2, ?2, ?3, 6)");
    stmt.bind(1, schedule).bind(2, at).bind(3, audit).run();
    ++day;
  }
}

struct SignIn {
  ClientResponse response;
  std::string cookie;  // the session cookie's value; empty when none was set
};

// POST /signin as the sign-in form sends it, from this server's own page.
inline SignIn signIn(ApiServer& server, const std::string& token, const std::string& next = "/") {
  SignIn out;
  out.response =
      server.call("POST", "/signin", "token=" + token + "&next=" + next, {},
                  "Content-Type: application/x-www-form-urlencoded\r\nOrigin: " + ownOrigin(server) + "\r\n" +
                      kBrowserAccept);
  const auto found = out.response.headers.find("set-cookie");
  if (found != out.response.headers.end() && found->second.starts_with("sgaudit_session=")) {
    const std::string& header = found->second;
    const auto start = std::string("sgaudit_session=").size();
    out.cookie = header.substr(start, header.find(';') - start);
  }
  return out;
}

inline std::string cookieHeader(const std::string& cookie) {
  return "Cookie: sgaudit_session=" + cookie + "\r\n";
}

}  // namespace sgaudit::test
