// A browser can use the service (issue 22), end to end against the real `sgaudit serve`: the redirect to
// /signin, signing in with a token, the session cookie and what it may do, CSRF, sign-out, revocation, the
// `next` redirect, reports inline, and the dashboard.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>

#include "api/signin_support.hpp"
#include "sgaudit/db/database.hpp"
#include "sgaudit/service/auth.hpp"

namespace sgaudit::test {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

std::string header(const ClientResponse& response, const std::string& name) {
  const auto found = response.headers.find(name);
  return found == response.headers.end() ? std::string() : found->second;
}

// The hidden csrf field of the dashboard's sign-out form.
std::string csrfField(const std::string& page) {
  std::smatch match;
  if (!std::regex_search(page, match, std::regex(R"re(name=csrf value="([0-9a-f]+)")re"))) return {};
  return match[1];
}

std::int64_t sessionCount(ApiServer& server) {
  auto db = db::Database::open(server.database());
  auto stmt = db.prepare("SELECT count(*) FROM browser_sessions");
  stmt.step();
  return stmt.getInt64(0);
}

// Test that a browser without a credential asking for / or a report is sent to the sign-in page with the
// way back, while an API client (no Accept, */*, JSON) still gets the JSON 401; the sign-in page is a form
// under a strict policy.
TEST(SigninApiTest, BrowserIsSentToSignInAndApiClientsGet401) {
  TempDir dir;
  auto server = demoServer(dir);
  const auto home = server->call("GET", "/", {}, {}, kBrowserAccept);
  EXPECT_EQ(home.status, 303);
  EXPECT_EQ(header(home, "location"), "/signin?next=%2F");
  const auto report = server->call("GET", "/api/v1/audits/1/report.html?against=1", {}, {}, kBrowserAccept);
  EXPECT_EQ(report.status, 303);
  EXPECT_EQ(header(report, "location"), "/signin?next=%2Fapi%2Fv1%2Faudits%2F1%2Freport.html%3Fagainst%3D1");

  expectProblem(server->call("GET", "/"), 401);
  expectProblem(server->call("GET", "/", {}, {}, "Accept: */*\r\n"), 401);
  expectProblem(server->call("GET", "/", {}, {}, "Accept: application/json, text/html;q=0.5\r\n"), 401);
  expectProblem(server->call("GET", "/api/v1/audits", {}, {}, "Accept: application/json\r\n"), 401);
  // A browser's unsafe request is never redirected.
  expectProblem(server->call("POST", "/api/v1/audits", "{}", {}, kBrowserAccept), 401);
  // API clients with a token see / as before.
  const auto index = server->call("GET", "/", {}, server->reader);
  ASSERT_EQ(index.status, 200);
  EXPECT_THAT(index.body, HasSubstr("<td>cce-demo</td>"));

  const auto page = server->call("GET", "/signin?next=%2Fapi%2Fv1%2Faudits", {}, {}, kBrowserAccept);
  ASSERT_EQ(page.status, 200);
  EXPECT_THAT(header(page, "content-type"), HasSubstr("text/html"));
  EXPECT_THAT(page.body, HasSubstr("<form method=post action=\"/signin\""));
  EXPECT_THAT(page.body, HasSubstr("name=token type=password"));
  EXPECT_THAT(page.body, HasSubstr("name=next value=\"/api/v1/audits\""));
  EXPECT_THAT(header(page, "content-security-policy"), HasSubstr("default-src 'none'"));
  EXPECT_THAT(header(page, "content-security-policy"), HasSubstr("form-action 'self'"));
  EXPECT_THAT(header(page, "content-security-policy"), HasSubstr("frame-ancestors 'none'"));
  EXPECT_THAT(page.body, Not(HasSubstr("<script")));
  server->stop();
}

// Test that a good token opens a session: a 303 to `next`, a cookie of at least 128 random bits that
// scripts cannot read and other sites do not send, bounded to 12 hours, whose value is stored only as its
// hash; the session reads the API and sees the dashboard. A bad token is a 401 form with no cookie and no
// reason.
TEST(SigninApiTest, SignInWithATokenOpensASession) {
  TempDir dir;
  auto server = demoServer(dir);
  const SignIn good = signIn(*server, server->reader, "/api/v1/audits");
  EXPECT_EQ(good.response.status, 303) << good.response.body;
  EXPECT_EQ(header(good.response, "location"), "/api/v1/audits");
  const std::string cookie = header(good.response, "set-cookie");
  EXPECT_THAT(cookie, HasSubstr("; HttpOnly"));
  EXPECT_THAT(cookie, HasSubstr("; SameSite=Strict"));
  EXPECT_THAT(cookie, HasSubstr("; Path=/;"));
  EXPECT_THAT(cookie, HasSubstr("; Max-Age=43200"));
  EXPECT_THAT(cookie, Not(HasSubstr("Secure")));  // plain HTTP
  EXPECT_THAT(cookie, Not(HasSubstr("Domain")));
  ASSERT_GE(good.cookie.size(), 22U);  // 128 bits of base64url at least (43 characters: 256)
  EXPECT_NE(good.cookie, server->reader);
  {
    auto db = db::Database::open(server->database());
    auto stmt = db.prepare("SELECT session_sha256 FROM browser_sessions");
    ASSERT_TRUE(stmt.step());
    EXPECT_EQ(stmt.getText(0), service::tokenHash(good.cookie));
    EXPECT_FALSE(stmt.step());
  }
  // A second sign-in is another session with another value.
  const SignIn again = signIn(*server, server->reader);
  EXPECT_EQ(again.response.status, 303);
  EXPECT_EQ(header(again.response, "location"), "/");
  EXPECT_NE(again.cookie, good.cookie);

  const auto audits = server->call("GET", "/api/v1/audits", {}, {}, cookieHeader(good.cookie));
  ASSERT_EQ(audits.status, 200) << audits.body;
  EXPECT_EQ(json::parse(audits.body).at("items").size(), 1U);
  EXPECT_EQ(server->call("GET", "/api/v1/clusters/cce-demo", {}, {}, cookieHeader(good.cookie)).status, 200);
  const auto dashboard = server->call("GET", "/", {}, {}, cookieHeader(good.cookie) + kBrowserAccept);
  ASSERT_EQ(dashboard.status, 200);
  EXPECT_THAT(dashboard.body, HasSubstr("data-name=\"cce-demo\""));
  EXPECT_THAT(dashboard.body, HasSubstr("Signed in as <b id=who>reader</b> (reader)"));

  // Wrong, revoked-looking and empty tokens: the same 401 form, no cookie, nothing about why.
  for (const std::string& bad : std::vector<std::string>{"sga_wrong", "", server->reader + "x"}) {
    const SignIn refused = signIn(*server, bad);
    EXPECT_EQ(refused.response.status, 401) << bad;
    EXPECT_EQ(header(refused.response, "set-cookie"), "");
    EXPECT_TRUE(refused.cookie.empty());
    EXPECT_THAT(header(refused.response, "content-type"), HasSubstr("text/html"));
    EXPECT_THAT(refused.response.body, HasSubstr("That token was not accepted."));
    EXPECT_THAT(refused.response.body, HasSubstr("<form method=post action=\"/signin\""));
  }
  // An unknown cookie is no session: the browser is sent to sign in, and the cookie cleared.
  const auto stale = server->call(
      "GET", "/", {}, {}, cookieHeader("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") + kBrowserAccept);
  EXPECT_EQ(stale.status, 303);
  EXPECT_THAT(header(stale, "set-cookie"), HasSubstr("Max-Age=0"));
  expectProblem(server->call("GET", "/api/v1/audits", {}, {}, cookieHeader("AAAAAAAAAAAAAAAAAAAAAA")), 401);
  EXPECT_EQ(sessionCount(*server), 2);
  server->stop();
}

// Test that a session acts with its token's role: a reader's session may not write (403), an admin's may,
// from this server's own pages only: without Origin and Referer, with another site's Origin or an opaque
// one, or with another scheme, the write is refused as a problem; a Referer of this server stands in for a
// missing Origin. Bearer requests are not asked for an Origin.
TEST(SigninApiTest, SessionWritesNeedTheRoleAndThisServersOrigin) {
  TempDir dir;
  auto server = demoServer(dir);
  const std::string json_type = "Content-Type: application/json\r\n";
  const std::string reader = signIn(*server, server->reader).cookie;
  const std::string admin = signIn(*server, server->admin).cookie;
  ASSERT_FALSE(reader.empty());
  ASSERT_FALSE(admin.empty());
  const std::string own = "Origin: " + ownOrigin(*server) + "\r\n";
  const std::string body = R"({"cluster": "cce-demo", "accounts": ["huawei-demo"]})";

  const auto refused =
      server->call("POST", "/api/v1/audits", body, {}, cookieHeader(reader) + json_type + own);
  expectProblem(refused, 403);
  EXPECT_THAT(json::parse(refused.body).at("detail").get<std::string>(), HasSubstr("the ingest role"));
  EXPECT_EQ(server->call("POST", "/api/v1/audits", body, {}, cookieHeader(admin) + json_type + own).status,
            201);

  const std::string policy = "{}";
  const std::string url = "/api/v1/policies/from-browser";
  expectProblem(server->call("PUT", url, policy, {}, cookieHeader(admin) + json_type), 403);
  expectProblem(server->call("PUT", url, policy, {},
                             cookieHeader(admin) + json_type + "Origin: https://evil.example\r\n"),
                403);
  expectProblem(server->call("PUT", url, policy, {}, cookieHeader(admin) + json_type + "Origin: null\r\n"),
                403);
  expectProblem(
      server->call("PUT", url, policy, {}, cookieHeader(admin) + json_type + "Origin: https://127.0.0.1\r\n"),
      403);
  expectProblem(
      server->call("PUT", url, policy, {},
                   cookieHeader(admin) + json_type + "Referer: https://evil.example/127.0.0.1/\r\n"),
      403);
  expectProblem(server->call("DELETE", "/api/v1/clusters/cce-demo/source", {}, {},
                             cookieHeader(admin) + "Origin: https://evil.example\r\n"),
                403);
  EXPECT_EQ(
      server->call("PUT", url, policy, {}, cookieHeader(admin) + json_type + "Referer: http://127.0.0.1/\r\n")
          .status,
      201);
  EXPECT_EQ(server->call("PUT", url, policy, {}, cookieHeader(admin) + json_type + own).status, 201);
  // A bearer token needs no Origin, and a foreign one changes nothing.
  EXPECT_EQ(
      server->call("PUT", url, policy, server->admin, json_type + "Origin: https://evil.example\r\n").status,
      201);
  // Another site cannot sign a browser in either (login CSRF).
  const auto foreign =
      server->call("POST", "/signin", "token=" + server->admin, {},
                   "Content-Type: application/x-www-form-urlencoded\r\nOrigin: https://evil.example\r\n");
  expectProblem(foreign, 403);
  EXPECT_EQ(header(foreign, "set-cookie"), "");
  server->stop();
}

// Test that sign-out needs the form's CSRF field and this server's Origin, then ends the session (the
// cookie no longer reads anything) and clears the cookie.
TEST(SigninApiTest, SignOutEndsTheSession) {
  TempDir dir;
  auto server = demoServer(dir);
  const std::string cookie = signIn(*server, server->reader).cookie;
  const auto dashboard = server->call("GET", "/", {}, {}, cookieHeader(cookie) + kBrowserAccept);
  ASSERT_EQ(dashboard.status, 200);
  const std::string csrf = csrfField(dashboard.body);
  ASSERT_EQ(csrf.size(), 64U) << dashboard.body;
  const std::string form = "Content-Type: application/x-www-form-urlencoded\r\n";
  const std::string own = "Origin: " + ownOrigin(*server) + "\r\n";

  expectProblem(server->call("POST", "/signout", "", {}, cookieHeader(cookie) + form + own), 403);
  expectProblem(
      server->call("POST", "/signout", "csrf=" + std::string(64, '0'), {}, cookieHeader(cookie) + form + own),
      403);
  expectProblem(server->call("POST", "/signout", "csrf=" + csrf, {},
                             cookieHeader(cookie) + form + "Origin: https://evil.example\r\n"),
                403);
  EXPECT_EQ(server->call("GET", "/api/v1/audits", {}, {}, cookieHeader(cookie)).status, 200);

  const auto out = server->call("POST", "/signout", "csrf=" + csrf, {}, cookieHeader(cookie) + form + own);
  EXPECT_EQ(out.status, 303);
  EXPECT_EQ(header(out, "location"), "/signin");
  EXPECT_THAT(header(out, "set-cookie"), StartsWith("sgaudit_session=; Path=/; Max-Age=0"));
  expectProblem(server->call("GET", "/api/v1/audits", {}, {}, cookieHeader(cookie)), 401);
  EXPECT_EQ(server->call("GET", "/", {}, {}, cookieHeader(cookie) + kBrowserAccept).status, 303);
  EXPECT_EQ(sessionCount(*server), 0);
  server->stop();
}

// Test that revoking a token (`sgaudit token revoke`, another process) ends the sessions opened with it,
// and only those.
TEST(SigninApiTest, RevokingTheTokenEndsItsSessions) {
  TempDir dir;
  auto server = demoServer(dir);
  const std::string doomed = server->token("ingest");
  const std::string first = signIn(*server, doomed).cookie;
  const std::string second = signIn(*server, doomed).cookie;
  const std::string other = signIn(*server, server->reader).cookie;
  EXPECT_EQ(server->call("GET", "/api/v1/audits", {}, {}, cookieHeader(first)).status, 200);
  EXPECT_EQ(server->call("GET", "/api/v1/audits", {}, {}, cookieHeader(second)).status, 200);

  std::int64_t id = 0;
  {
    auto db = db::Database::open(server->database());
    auto stmt = db.prepare("SELECT id FROM api_tokens WHERE token_sha256 = ?1");
    stmt.bind(1, service::tokenHash(doomed));
    ASSERT_TRUE(stmt.step());
    id = stmt.getInt64(0);
  }
  const auto revoked = runProcess(
      {sgauditBinary().string(), "token", "revoke", std::to_string(id), "--db", server->database().string()});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  expectProblem(server->call("GET", "/api/v1/audits", {}, {}, cookieHeader(first)), 401);
  expectProblem(server->call("GET", "/api/v1/audits", {}, {}, cookieHeader(second)), 401);
  EXPECT_EQ(server->call("GET", "/api/v1/audits", {}, {}, cookieHeader(other)).status, 200);
  EXPECT_EQ(sessionCount(*server), 1);
  // Nor can the revoked token open a new one.
  EXPECT_EQ(signIn(*server, doomed).response.status, 401);
  server->stop();
}

// Test that after sign-in the browser is sent only to a path of this server: another host (//host, /\host,
// a scheme), the sign-in page itself or a control character send it to / instead.
TEST(SigninApiTest, NextIsFollowedOnlyToThisServer) {
  TempDir dir;
  auto server = demoServer(dir);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"%2F%2Fevil.example", "/"},
      {"%2F%2Fevil.example%2Fapi", "/"},
      {"https%3A%2F%2Fevil.example%2F", "/"},
      {"%2F%5Cevil.example", "/"},
      {"javascript%3Aalert(1)", "/"},
      {"%2Fapi%2Fv1%2Faudits%0D%0ASet-Cookie%3A%20x%3D1", "/"},
      {"%2Fsignin", "/"},
      {"", "/"},
      {"%2Fapi%2Fv1%2Faudits%2F1%2Freport.html%3Fagainst%3D1", "/api/v1/audits/1/report.html?against=1"},
  };
  for (const auto& [next, expected] : cases) {
    const SignIn in = signIn(*server, server->reader, next);
    EXPECT_EQ(in.response.status, 303) << next;
    EXPECT_EQ(header(in.response, "location"), expected) << next;
  }
  const auto page = server->call("GET", "/signin?next=%2F%2Fevil.example", {}, {}, kBrowserAccept);
  EXPECT_THAT(page.body, HasSubstr("name=next value=\"/\""));
  EXPECT_THAT(page.body, Not(HasSubstr("evil.example")));
  server->stop();
}

// Test that reports are served inline (a browser shows them) with their file name, and as an attachment
// with ?download=1; the HTML report carries its own Content-Security-Policy in the header too, which
// admits no script but its own.
TEST(SigninApiTest, ReportsInlineAndAsAttachment) {
  TempDir dir;
  auto server = demoServer(dir);
  const std::string base = "/api/v1/audits/1/report.";
  for (const std::string format : {"html", "json", "sarif", "csv"}) {
    const auto inline_report = server->call("GET", base + format, {}, server->reader);
    ASSERT_EQ(inline_report.status, 200) << format << inline_report.body;
    EXPECT_EQ(header(inline_report, "content-disposition"),
              "inline; filename=\"sgaudit-audit-1." + format + "\"");
    const auto file = server->call("GET", base + format + "?download=1", {}, server->reader);
    ASSERT_EQ(file.status, 200) << format;
    EXPECT_EQ(header(file, "content-disposition"), "attachment; filename=\"sgaudit-audit-1." + format + "\"");
    EXPECT_EQ(file.body, inline_report.body);
    expectProblem(server->call("GET", base + format + "?download=maybe", {}, server->reader), 400);
  }
  const auto html = server->call("GET", base + "html", {}, server->reader);
  const std::string policy = header(html, "content-security-policy");
  EXPECT_THAT(policy, StartsWith("default-src 'none';"));
  EXPECT_THAT(policy, HasSubstr("script-src 'sha256-"));
  EXPECT_THAT(policy, HasSubstr("frame-ancestors 'none'"));
  EXPECT_THAT(policy, Not(HasSubstr("unsafe")));
  // The header is the page's own <meta> policy, plus frame-ancestors.
  EXPECT_THAT(html.body, HasSubstr("<meta http-equiv=\"Content-Security-Policy\" content=\"" +
                                   policy.substr(0, policy.find("; frame-ancestors")) + "\">"));
  EXPECT_EQ(header(html, "x-content-type-options"), "nosniff");
  // A signed-in browser reads it too.
  const std::string cookie = signIn(*server, server->reader).cookie;
  EXPECT_EQ(server->call("GET", base + "html", {}, {}, cookieHeader(cookie) + kBrowserAccept).status, 200);
  server->stop();
}

// Test that the dashboard escapes what it shows (a cluster named <script>alert(1)</script>, a token name
// with markup), runs no script under a strict policy, and shows each scope's latest audit with its counts,
// reports and the change since the audit before, and each schedule's trend as inline SVG.
TEST(SigninApiTest, DashboardShowsScopesAndSchedulesEscaped) {
  TempDir dir;
  auto server = demoServer(dir);
  const std::int64_t second = auditDemo(*server);
  const std::int64_t schedule = createSchedule(*server, "nightly");
  addScheduleRuns(*server, schedule, {1, second, second});
  {
    auto db = db::Database::open(server->database());
    db.prepare(
          "INSERT INTO scopes (kind, name, created_at) VALUES ('cluster', '<script>alert(1)</script>', "
          "'2026-11-26T00:00:00Z')")
        .run();
  }
  const auto made = runProcess({sgauditBinary().string(), "token", "create", "--role", "reader", "--name",
                                "<img src=x onerror=alert(2)>", "--db", server->database().string()});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  std::string token = made.out.substr(0, made.out.find('\n'));
  const std::string cookie = signIn(*server, token).cookie;
  ASSERT_FALSE(cookie.empty());

  const auto page = server->call("GET", "/", {}, {}, cookieHeader(cookie) + kBrowserAccept);
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(
      header(page, "content-security-policy"),
      "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors "
      "'none'; base-uri 'none'");
  EXPECT_EQ(header(page, "cache-control"), "no-store");
  EXPECT_THAT(page.body, Not(HasSubstr("<script")));
  EXPECT_THAT(page.body, Not(HasSubstr("<img")));
  EXPECT_THAT(page.body, HasSubstr("<td class=name>&lt;script&gt;alert(1)&lt;/script&gt;</td>"));
  EXPECT_THAT(page.body, HasSubstr("data-name=\"&lt;script&gt;alert(1)&lt;/script&gt;\""));
  EXPECT_THAT(page.body, HasSubstr("&lt;img src=x onerror=alert(2)&gt;"));
  EXPECT_THAT(page.body, Not(HasSubstr("http://")));
  EXPECT_THAT(page.body, Not(HasSubstr("https://")));

  // cce-demo's latest audit is the second, with the seed's counts, its reports and the change since #1.
  std::smatch row;
  ASSERT_TRUE(std::regex_search(page.body, row,
                                std::regex("<tr data-kind=\"cluster\" data-name=\"cce-demo\">.*</tr>")));
  const std::string cluster = row[0];
  const std::string id = std::to_string(second);
  EXPECT_THAT(cluster, HasSubstr("#" + id));
  EXPECT_THAT(cluster, HasSubstr("data-severity=\"critical\">1<"));
  EXPECT_THAT(cluster, HasSubstr("data-severity=\"high\">3<"));
  EXPECT_THAT(cluster, HasSubstr("data-severity=\"medium\">1<"));
  EXPECT_THAT(cluster, HasSubstr("data-severity=\"low\">0<"));
  EXPECT_THAT(cluster, HasSubstr("data-severity=\"info\">1<"));
  for (const char* format : {"html", "sarif", "csv", "json"})
    EXPECT_THAT(cluster, HasSubstr("href=\"/api/v1/audits/" + id + "/report." + format + "\""));
  EXPECT_THAT(cluster, HasSubstr("href=\"/api/v1/audits/" + id + "/report.html?against=1\""));
  EXPECT_THAT(page.body, HasSubstr("<tr data-kind=\"account\" data-name=\"huawei-demo\">"));

  EXPECT_THAT(page.body, HasSubstr("<section class=schedule data-schedule=\"nightly\">"));
  EXPECT_THAT(page.body, HasSubstr("<svg class=trend"));
  // A bar per run, oldest first, stacked by severity (no rect for a zero count).
  const std::string seed_run = "critical 1, high 3, medium 1, low 0, info 1</title>";
  EXPECT_THAT(page.body, HasSubstr("<g class=\"run\" data-audit=\"1\"><title>audit #1 at "));
  std::size_t runs = 0;
  for (auto at = page.body.find("<g class=\"run\""); at != std::string::npos;
       at = page.body.find("<g class=\"run\"", at + 1)) {
    ++runs;
    const std::string group = page.body.substr(at, page.body.find("</g>", at) - at);
    EXPECT_THAT(group, HasSubstr(seed_run));
    EXPECT_THAT(group, HasSubstr("<rect data-severity=\"critical\" data-count=\"1\""));
    EXPECT_THAT(group, HasSubstr("<rect data-severity=\"high\" data-count=\"3\""));
    EXPECT_THAT(group, Not(HasSubstr("data-severity=\"low\"")));
  }
  EXPECT_EQ(runs, 3U);

  // With the form's field, sign-out works from here.
  EXPECT_EQ(csrfField(page.body).size(), 64U);
  server->stop();
}

// Test that with --public-read the dashboard shows without a sign-in (and offers one), and a session still
// brings its token's role.
TEST(SigninApiTest, PublicReadShowsTheDashboardWithoutSignIn) {
  TempDir dir;
  auto server = demoServer(dir, {"--public-read"});
  const auto page = server->call("GET", "/", {}, {}, kBrowserAccept);
  ASSERT_EQ(page.status, 200);
  EXPECT_THAT(page.body, HasSubstr("data-name=\"cce-demo\""));
  EXPECT_THAT(page.body, HasSubstr("<a href=\"/signin\">Sign in</a>"));
  EXPECT_THAT(page.body, Not(HasSubstr("action=\"/signout\"")));
  const std::string cookie = signIn(*server, server->admin).cookie;
  const auto signed_in = server->call("GET", "/", {}, {}, cookieHeader(cookie) + kBrowserAccept);
  EXPECT_THAT(signed_in.body, HasSubstr("(admin)"));
  EXPECT_EQ(
      server
          ->call("PUT", "/api/v1/policies/p", "{}", {},
                 cookieHeader(cookie) + "Content-Type: application/json\r\nOrigin: http://127.0.0.1\r\n")
          .status,
      201);
  server->stop();
}

// Test that under TLS the session cookie is Secure, and the origin a session's write must come from is the
// https one; --public-url names another origin the server is reached at (a proxy in front).
TEST(SigninApiTest, SecureCookieUnderTls) {
  TempDir dir;
  TlsServer tls(dir, {"--public-url", "https://sgaudit.example/"});
  ApiServer& server = tls.server;
  const SignIn in = signIn(server, server.admin);
  ASSERT_EQ(in.response.status, 303) << in.response.body;
  EXPECT_THAT(header(in.response, "set-cookie"), HasSubstr("; Secure"));
  EXPECT_THAT(header(in.response, "set-cookie"), HasSubstr("; HttpOnly"));
  const std::string write = "Content-Type: application/json\r\n" + cookieHeader(in.cookie);
  const std::string policy = "{}";
  expectProblem(server.call("PUT", "/api/v1/policies/p", policy, {}, write + "Origin: http://127.0.0.1\r\n"),
                403);
  EXPECT_EQ(
      server.call("PUT", "/api/v1/policies/p", policy, {}, write + "Origin: https://127.0.0.1\r\n").status,
      201);
  EXPECT_EQ(
      server.call("PUT", "/api/v1/policies/p", policy, {}, write + "Origin: https://sgaudit.example\r\n")
          .status,
      201);
  server.stop();
}

}  // namespace
}  // namespace sgaudit::test
