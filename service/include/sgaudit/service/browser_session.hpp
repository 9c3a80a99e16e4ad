#pragma once

// Browser sign-in (issue 22): a person pastes an API token at /signin and gets a session cookie that stands
// for that token (its role, its life: revoking the token ends the session). This is the cookie, its record
// in SQLite (db/session_store.hpp, only the value's SHA-256), the CSRF proofs a cookie-authenticated write
// must carry, and how a browser's request is told from an API client's.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sgaudit/db/database.hpp"
#include "sgaudit/service/auth.hpp"
#include "sgaudit/service/config.hpp"
#include "sgaudit/service/http_message.hpp"

namespace sgaudit::service {

inline constexpr std::string_view kSessionCookieName = "sgaudit_session";
// A session lasts this long from sign-in, whatever its use (an absolute bound; the cookie's Max-Age).
inline constexpr std::chrono::seconds kSessionLifetime = std::chrono::hours(12);

// Whether the request's Accept header prefers HTML to JSON, as a browser's navigation does: text/html (or
// application/xhtml+xml) named with q > 0 and at least the q that application/json gets (exactly, by its
// type's wildcard, or by */*). No Accept, "*/*" or "application/json" is an API client.
bool prefersHtml(const HttpRequest& request);

// The session cookie's value, when the request's Cookie header carries one.
std::optional<std::string> sessionCookieValue(const HttpRequest& request);

// Whether the request says it comes from a page of this server: its Origin (or, without one, its Referer's
// origin) is this server's origin: the scheme it serves (https with TLS) with the request's Host, or the
// origin of --public-url. No Origin and no Referer, or "Origin: null", is not.
bool sameOrigin(const HttpRequest& request, const Config& config);

// Where to send a person after signing in: `next` when it is a path on this server (one leading '/', not
// "//" nor "/\", printable ASCII, not /signin or /signout), else "/". Never a scheme or another host.
std::string safeNextPath(std::string_view next);

// The CSRF proof a session's forms carry in a hidden field: HMAC-SHA256 of a fixed label, keyed by the
// session's cookie value (which the page never sees), as hex. Nothing to store, and useless without the
// cookie.
std::string csrfToken(std::string_view session_value);
// Compares in constant time.
bool csrfTokenMatches(std::string_view session_value, std::string_view presented);

// Whether cookies get the Secure attribute: the server speaks TLS, or --public-url is https (TLS ends at a
// proxy in front).
bool secureCookies(const Config& config);
// Set-Cookie values: the session (HttpOnly, SameSite=Strict, Path=/, Max-Age, Secure as above), and the
// same cookie cleared (Max-Age=0).
std::string sessionCookieHeader(std::string_view value, const Config& config);
std::string clearedSessionCookieHeader(const Config& config);

// Opens a session for a live token: a fresh 256-bit cookie value (returned, never stored), its hash stored
// with the token's id and an expiry `kSessionLifetime` after `now`; expired sessions are deleted on the way.
std::string openSession(db::Database& db, std::int64_t token_id, std::chrono::system_clock::time_point now);
// The principal (the token's role and name, from_session set) of a live session; nullopt when the value is
// unknown, expired, or its token revoked.
std::optional<Principal> sessionPrincipal(db::Database& db, std::string_view value,
                                          std::chrono::system_clock::time_point now);
// Ends the session with this cookie value (sign-out); false when there was none.
bool endSession(db::Database& db, std::string_view value);

}  // namespace sgaudit::service
