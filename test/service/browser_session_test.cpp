// The pieces of browser sign-in without a socket (service/browser_session.hpp): telling a browser from an
// API client, the `next` path, the origin check, the CSRF field, the cookie, and sessions in SQLite (expiry,
// revocation, sign-out).
#include "sgaudit/service/browser_session.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sgaudit/db/migrator.hpp"
#include "sgaudit/db/token_store.hpp"
#include "support/temp_dir.hpp"

namespace sgaudit::service {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

HttpRequest withHeaders(std::initializer_list<std::pair<const char*, const char*>> headers) {
  HttpRequest request = HttpRequest::make("POST", "/api/v1/audits");
  for (const auto& [name, value] : headers)
    request.headers[name] = value;
  return request;
}

// Test that only an Accept naming HTML at least as high as JSON is a browser's.
TEST(BrowserSessionTest, PrefersHtmlByAccept) {
  auto prefers = [](const char* accept) { return prefersHtml(withHeaders({{"Accept", accept}})); };
  EXPECT_TRUE(prefers("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"));
  EXPECT_TRUE(prefers("text/html"));
  EXPECT_TRUE(prefers("application/xhtml+xml"));
  EXPECT_TRUE(prefers("TEXT/HTML; charset=utf-8"));
  EXPECT_TRUE(prefers("application/json;q=0.5, text/html"));
  EXPECT_TRUE(prefers("text/html, application/json"));  // a tie goes to HTML
  EXPECT_FALSE(prefers("*/*"));
  EXPECT_FALSE(prefers("text/*"));
  EXPECT_FALSE(prefers("application/json"));
  EXPECT_FALSE(prefers("application/json, text/html;q=0.9"));
  EXPECT_FALSE(prefers("text/html;q=0.5, */*"));  // JSON gets 1 from */*
  EXPECT_FALSE(prefers("text/html;q=0"));
  EXPECT_FALSE(prefers("text/html;q=bogus"));
  EXPECT_FALSE(prefers(""));
  EXPECT_FALSE(prefersHtml(HttpRequest::make("GET", "/")));
}

// Test that `next` stays on this server: paths only, never another host, a scheme, a header break or the
// sign-in pages.
TEST(BrowserSessionTest, SafeNextPath) {
  EXPECT_EQ(safeNextPath("/"), "/");
  EXPECT_EQ(safeNextPath("/api/v1/audits/3/report.html?against=2"), "/api/v1/audits/3/report.html?against=2");
  EXPECT_EQ(safeNextPath("/a#b"), "/a#b");
  for (const char* bad :
       {"", "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example",
        "https://evil.example/", "javascript:alert(1)", "evil.example", "/a b", "/a\r\nX: y", "/a\tb",
        "/\x7f", "/\xc3\xa9", "/signin", "/signin?next=/", "/signout"}) {
    EXPECT_EQ(safeNextPath(bad), "/") << bad;
  }
  EXPECT_EQ(safeNextPath("/" + std::string(3000, 'a')), "/");
}

// Test that a write's origin is this server's: the Host under the scheme served, or --public-url's; a
// Referer stands in only when there is no Origin.
TEST(BrowserSessionTest, SameOrigin) {
  Config plain;
  EXPECT_TRUE(sameOrigin(
      withHeaders({{"Host", "sgaudit.local:8080"}, {"Origin", "http://sgaudit.local:8080"}}), plain));
  EXPECT_TRUE(sameOrigin(
      withHeaders({{"Host", "SGAUDIT.local:8080"}, {"Origin", "http://sgaudit.LOCAL:8080"}}), plain));
  EXPECT_TRUE(sameOrigin(withHeaders({{"Host", "h"}, {"Origin", "http://h:80"}}), plain));
  EXPECT_TRUE(sameOrigin(withHeaders({{"Host", "h"}, {"Referer", "http://h/?x=1"}}), plain));
  EXPECT_FALSE(sameOrigin(withHeaders({{"Host", "h"}}), plain));
  EXPECT_FALSE(sameOrigin(withHeaders({{"Host", "h"}, {"Origin", "null"}}), plain));
  EXPECT_FALSE(sameOrigin(withHeaders({{"Host", "h"}, {"Origin", "https://h"}}), plain));
  EXPECT_FALSE(sameOrigin(withHeaders({{"Host", "h"}, {"Origin", "http://h:8080"}}), plain));
  EXPECT_FALSE(sameOrigin(withHeaders({{"Host", "h"}, {"Origin", "http://h.evil.example"}}), plain));
  EXPECT_FALSE(sameOrigin(
      withHeaders({{"Host", "h"}, {"Origin", "http://evil.example"}, {"Referer", "http://h/"}}), plain));
  EXPECT_FALSE(sameOrigin(withHeaders({{"Host", "h"}, {"Referer", "http://h@evil.example/"}}), plain));
  EXPECT_FALSE(sameOrigin(withHeaders({{"Origin", "http://h"}}), plain));  // no Host, no --public-url

  Config tls;
  tls.tls_certificate = "server.crt";
  EXPECT_TRUE(sameOrigin(withHeaders({{"Host", "h:8443"}, {"Origin", "https://h:8443"}}), tls));
  EXPECT_FALSE(sameOrigin(withHeaders({{"Host", "h:8443"}, {"Origin", "http://h:8443"}}), tls));

  Config proxied;
  proxied.public_url = "https://sgaudit.example.com/base/";
  EXPECT_TRUE(sameOrigin(withHeaders({{"Host", "10.0.0.5:8080"}, {"Origin", "https://sgaudit.example.com"}}),
                         proxied));
  EXPECT_TRUE(sameOrigin(
      withHeaders({{"Host", "10.0.0.5:8080"}, {"Origin", "https://sgaudit.example.com:443"}}), proxied));
  EXPECT_FALSE(sameOrigin(withHeaders({{"Host", "10.0.0.5:8080"}, {"Origin", "http://sgaudit.example.com"}}),
                          proxied));
}

// Test that the CSRF field is the session's own: stable for a session, different for another, compared
// exactly.
TEST(BrowserSessionTest, CsrfTokenIsKeyedByTheSession) {
  const std::string one = csrfToken("session-one");
  EXPECT_EQ(one.size(), 64U);
  EXPECT_EQ(csrfToken("session-one"), one);
  EXPECT_NE(csrfToken("session-two"), one);
  EXPECT_TRUE(csrfTokenMatches("session-one", one));
  EXPECT_FALSE(csrfTokenMatches("session-two", one));
  EXPECT_FALSE(csrfTokenMatches("session-one", one.substr(1)));
  EXPECT_FALSE(csrfTokenMatches("session-one", ""));
}

// Test the cookie: read from among others, only in our alphabet; written with its attributes, Secure under
// TLS or an https --public-url.
TEST(BrowserSessionTest, Cookie) {
  EXPECT_EQ(sessionCookieValue(withHeaders({{"Cookie", "a=1; sgaudit_session=abc-_9; b=2"}})), "abc-_9");
  EXPECT_EQ(sessionCookieValue(withHeaders({{"Cookie", "sgaudit_session=a\"b"}})), std::nullopt);
  EXPECT_EQ(sessionCookieValue(withHeaders({{"Cookie", "sgaudit_session="}})), std::nullopt);
  EXPECT_EQ(sessionCookieValue(withHeaders({{"Cookie", "xsgaudit_session=abc"}})), std::nullopt);
  EXPECT_EQ(sessionCookieValue(withHeaders({})), std::nullopt);

  Config plain;
  EXPECT_EQ(sessionCookieHeader("v", plain),
            "sgaudit_session=v; Path=/; Max-Age=43200; HttpOnly; SameSite=Strict");
  EXPECT_EQ(clearedSessionCookieHeader(plain),
            "sgaudit_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
  Config tls;
  tls.tls_certificate = "server.crt";
  EXPECT_THAT(sessionCookieHeader("v", tls), ::testing::EndsWith("; Secure"));
  Config proxied;
  proxied.public_url = "HTTPS://sgaudit.example.com";
  EXPECT_THAT(clearedSessionCookieHeader(proxied), ::testing::EndsWith("; Secure"));
}

// Test sessions in SQLite: a session has its token's role, lasts 12 hours, ends at sign-out and with its
// token, and a fresh sign-in sweeps expired ones.
TEST(BrowserSessionTest, SessionsLiveWithTheirToken) {
  test::TempDir dir;
  auto db = db::openAndMigrate(dir / "sessions.db");
  const auto t0 = std::chrono::sys_days(std::chrono::year(2026) / 11 / 26) + 8h;
  createToken(db, "alice", Role::Ingest, "2026-11-26T00:00:00Z");
  createToken(db, "bob", Role::Reader, "2026-11-26T00:00:00Z");
  const auto tokens = db::TokenStore(db).list();
  ASSERT_EQ(tokens.size(), 2U);

  const std::string alice = openSession(db, tokens[0].id, t0);
  const std::string bob = openSession(db, tokens[1].id, t0);
  EXPECT_GE(alice.size(), 43U);
  EXPECT_NE(alice, bob);
  const auto principal = sessionPrincipal(db, alice, t0 + 1h);
  ASSERT_TRUE(principal);
  EXPECT_EQ(principal->role, Role::Ingest);
  EXPECT_EQ(principal->token_name, "alice");
  EXPECT_TRUE(principal->from_session);
  EXPECT_FALSE(sessionPrincipal(db, "not-a-session", t0));
  EXPECT_TRUE(sessionPrincipal(db, alice, t0 + 12h - 1s));
  EXPECT_FALSE(sessionPrincipal(db, alice, t0 + 12h));

  EXPECT_TRUE(endSession(db, bob));
  EXPECT_FALSE(sessionPrincipal(db, bob, t0));
  EXPECT_FALSE(endSession(db, bob));

  const std::string again = openSession(db, tokens[0].id, t0 + 13h);  // sweeps the expired one
  auto count = [&] {
    auto stmt = db.prepare("SELECT count(*) FROM browser_sessions");
    stmt.step();
    return stmt.getInt64(0);
  };
  EXPECT_EQ(count(), 1);
  EXPECT_TRUE(sessionPrincipal(db, again, t0 + 14h));
  EXPECT_TRUE(db::TokenStore(db).revoke(tokens[0].id, "2026-11-26T23:00:00Z"));
  EXPECT_FALSE(sessionPrincipal(db, again, t0 + 14h));
  EXPECT_EQ(count(), 0);
}

}  // namespace
}  // namespace sgaudit::service
