// Browser sessions: telling a browser from an API client, the session cookie and its record, and the CSRF
// proofs (same origin, a keyed hash in forms). See browser_session.hpp.
#include "sgaudit/service/browser_session.hpp"
#include "sgaudit/core/hex.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstdlib>
#include <vector>

#include "sgaudit/db/session_store.hpp"
#include "sgaudit/service/api_support.hpp"

namespace sgaudit::service {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

struct MediaRange {
  std::string type;  // "text/html", "text/*", "*/*", lower case
  double q = 1.0;
};

std::vector<MediaRange> parseAccept(std::string_view accept) {
  std::vector<MediaRange> ranges;
  while (!accept.empty()) {
    const auto comma = accept.find(',');
    std::string_view item = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    const auto semicolon = item.find(';');
    MediaRange range{asciiLower(trim(item.substr(0, semicolon)))};
    if (range.type.empty() || range.type.find('/') == std::string::npos) continue;
    std::string_view params =
        semicolon == std::string_view::npos ? std::string_view() : item.substr(semicolon);
    while (!params.empty()) {
      params.remove_prefix(1);  // ';'
      const auto next = params.find(';');
      const std::string_view param = trim(params.substr(0, next));
      params = next == std::string_view::npos ? std::string_view() : params.substr(next);
      if (param.size() > 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
        const std::string value(param.substr(2));
        char* end = nullptr;
        const double q = std::strtod(value.c_str(), &end);
        range.q = end == value.c_str() + value.size() && q >= 0 && q <= 1 ? q : 0;
      }
    }
    ranges.push_back(std::move(range));
  }
  return ranges;
}

// The q the most specific range matching `type` gives it (RFC 9110 12.5.1); -1 when none matches. With
// `exact_only`, only a range naming the type itself counts.
double qualityOf(const std::vector<MediaRange>& ranges, std::string_view type, bool exact_only) {
  const std::string_view major = type.substr(0, type.find('/'));
  int best_rank = 0;
  double best = -1;
  for (const MediaRange& range : ranges) {
    int rank = 0;
    if (range.type == type) {
      rank = 3;
    } else if (!exact_only && range.type.size() == major.size() + 2 && range.type.starts_with(major) &&
               range.type.ends_with("/*")) {
      rank = 2;
    } else if (!exact_only && range.type == "*/*") {
      rank = 1;
    }
    if (rank > best_rank || (rank == best_rank && rank > 0 && range.q > best)) {
      best_rank = rank;
      best = range.q;
    }
  }
  return best;
}

// "scheme://host[:port]" of an absolute http(s) URL, lower case, without a default port; nullopt for
// anything else (no scheme, another scheme, user info, no host).
std::optional<std::string> originOf(std::string_view url) {
  const std::string lowered = asciiLower(trim(url));
  std::string_view rest = lowered;
  std::string_view scheme;
  if (rest.starts_with("http://")) {
    scheme = "http";
  } else if (rest.starts_with("https://")) {
    scheme = "https";
  } else {
    return std::nullopt;
  }
  rest.remove_prefix(scheme.size() + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  if (scheme == "http" && authority.ends_with(":80")) authority.remove_suffix(3);
  if (scheme == "https" && authority.ends_with(":443")) authority.remove_suffix(4);
  for (const char c : authority) {
    if (c <= ' ' || c == 0x7f || c == '\\') return std::nullopt;
  }
  return std::string(scheme) + "://" + std::string(authority);
}

bool tlsServed(const Config& config) {
  return !config.tls_certificate.empty();
}

}  // namespace

bool prefersHtml(const HttpRequest& request) {
  const auto accept = request.header("Accept");
  if (!accept) return false;
  const auto ranges = parseAccept(*accept);
  const double html =
      std::max(qualityOf(ranges, "text/html", true), qualityOf(ranges, "application/xhtml+xml", true));
  if (html <= 0) return false;
  return html >= qualityOf(ranges, "application/json", false);
}

std::optional<std::string> sessionCookieValue(const HttpRequest& request) {
  const auto header = request.header("Cookie");
  if (!header) return std::nullopt;
  std::string_view rest = *header;
  while (!rest.empty()) {
    const auto semicolon = rest.find(';');
    const std::string_view pair = trim(rest.substr(0, semicolon));
    rest = semicolon == std::string_view::npos ? std::string_view() : rest.substr(semicolon + 1);
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos || trim(pair.substr(0, eq)) != kSessionCookieName) continue;
    const std::string_view value = trim(pair.substr(eq + 1));
    // Ours are 43 characters of base64url; anything else is not a session of this server.
    if (value.empty() || value.size() > 128) return std::nullopt;
    for (const char c : value) {
      const bool ok =
          (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      if (!ok) return std::nullopt;
    }
    return std::string(value);
  }
  return std::nullopt;
}

bool sameOrigin(const HttpRequest& request, const Config& config) {
  std::optional<std::string> claimed;
  if (const auto origin = request.header("Origin")) {
    claimed = originOf(*origin);  // "null" (an opaque origin) is no origin at all
  } else if (const auto referer = request.header("Referer")) {
    claimed = originOf(*referer);
  }
  if (!claimed) return false;
  if (const auto host = request.header("Host")) {
    const auto own = originOf(std::string(tlsServed(config) ? "https://" : "http://") + std::string(*host));
    if (own && *own == *claimed) return true;
  }
  if (!config.public_url.empty()) {
    const auto published = originOf(config.public_url);
    if (published && *published == *claimed) return true;
  }
  return false;
}

std::string safeNextPath(std::string_view next) {
  if (next.empty() || next.size() > 2048 || next.front() != '/') return "/";
  if (next.size() > 1 && (next[1] == '/' || next[1] == '\\')) return "/";
  for (const char c : next) {
    // Browsers read '\' as '/' ("/\evil.example"); controls would split a header.
    if (c <= ' ' || c >= 0x7f || c == '\\') return "/";
  }
  const std::string_view path = next.substr(0, next.find_first_of("?#"));
  if (path == "/signin" || path == "/signout") return "/";
  return std::string(next);
}

std::string csrfToken(std::string_view session_value) {
  static constexpr std::string_view kLabel = "sgaudit csrf v1";
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), session_value.data(), static_cast<int>(session_value.size()),
       reinterpret_cast<const unsigned char*>(kLabel.data()), kLabel.size(), digest.data(), &size);
  return core::hexLower(digest.data(), size);
}

bool csrfTokenMatches(std::string_view session_value, std::string_view presented) {
  const std::string expected = csrfToken(session_value);
  return presented.size() == expected.size() &&
         CRYPTO_memcmp(presented.data(), expected.data(), expected.size()) == 0;
}

bool secureCookies(const Config& config) {
  return tlsServed(config) || asciiLower(config.public_url).starts_with("https://");
}

std::string sessionCookieHeader(std::string_view value, const Config& config) {
  return std::string(kSessionCookieName) + "=" + std::string(value) +
         "; Path=/; Max-Age=" + std::to_string(kSessionLifetime.count()) + "; HttpOnly; SameSite=Strict" +
         (secureCookies(config) ? "; Secure" : "");
}

std::string clearedSessionCookieHeader(const Config& config) {
  return std::string(kSessionCookieName) + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict" +
         (secureCookies(config) ? "; Secure" : "");
}

std::string openSession(db::Database& db, std::int64_t token_id, std::chrono::system_clock::time_point now) {
  std::string value = randomBase64Url(32);
  db::Transaction transaction(db);
  db::SessionStore store(db);
  store.removeExpired(isoTime(now));
  store.create(tokenHash(value), token_id, isoTime(now), isoTime(now + kSessionLifetime));
  transaction.commit();
  return value;
}

std::optional<Principal> sessionPrincipal(db::Database& db, std::string_view value,
                                          std::chrono::system_clock::time_point now) {
  const auto record = db::SessionStore(db).findLive(tokenHash(value), isoTime(now));
  if (!record) return std::nullopt;
  const auto role = parseRole(record->role);
  if (!role) return std::nullopt;
  return Principal{*role, record->token_name, record->token_id, true};
}

bool endSession(db::Database& db, std::string_view value) {
  return db::SessionStore(db).remove(tokenHash(value));
}

}  // namespace sgaudit::service
