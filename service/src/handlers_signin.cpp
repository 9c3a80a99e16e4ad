// A browser's sign-in and sign-out: the form where a person pastes an API token, the session it opens, and
// its end. The cookie, the session's record and the CSRF checks are in browser_session.cpp.
#include <string>

#include "browser_pages.hpp"
#include "handlers.hpp"
#include "sgaudit/service/browser_session.hpp"
#include "sgaudit/service/logging.hpp"

namespace sgaudit::service::handlers {
namespace {

std::string_view trimmed(std::string_view text) {
  while (!text.empty() &&
         (text.front() == ' ' || text.front() == '\t' || text.front() == '\r' || text.front() == '\n'))
    text.remove_prefix(1);
  while (!text.empty() &&
         (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' || text.back() == '\n'))
    text.remove_suffix(1);
  return text;
}

HttpResponse signinForm(int status, std::string_view next, std::string_view error) {
  std::string body =
      "<main class=signin><h1>sgaudit</h1>\n"
      "<p>Sign in with an API token. An administrator creates one with <code>sgaudit token create --role "
      "reader</code>; the session it opens has the token's role and ends when the token is revoked, at "
      "sign-out, or after 12 hours.</p>\n";
  if (!error.empty()) body += "<p class=error id=signin-error role=alert>" + escapeHtml(error) + "</p>\n";
  body +=
      "<form method=post action=\"/signin\" id=signin>"
      "<label for=token>API token</label>"
      "<input id=token name=token type=password autocomplete=off spellcheck=false required autofocus>"
      "<input type=hidden name=next value=\"" +
      escapeHtml(next) +
      "\"><button type=submit>Sign in</button></form>\n"
      "<p class=muted>API clients send the token as <code>Authorization: Bearer ...</code> instead; see "
      "<code>/api/v1/openapi.yaml</code>.</p></main>\n";
  return pages::htmlPage(status, "Sign in · sgaudit", body);
}

std::optional<QueryParams> formFields(const HttpRequest& request) {
  if (mediaType(request) != "application/x-www-form-urlencoded") return std::nullopt;
  return parseQuery(request.body);
}

std::string field(const QueryParams& fields, std::string_view name) {
  const auto found = fields.find(name);
  return found == fields.end() ? std::string() : found->second;
}

}  // namespace

HttpResponse signinPage(const ApiRequest& request) {
  return signinForm(200, safeNextPath(request.queryValue("next").value_or("/")), {});
}

HttpResponse postSignin(const ApiRequest& request) {
  const HttpRequest& http = request.http;
  AppContext& context = request.context;
  // Login CSRF: another site must not sign a person in under its own token.
  if (!sameOrigin(http, context.config())) {
    return HttpResponse::problem(
        403, "the sign-in form must be sent from this server's own page (its Origin or Referer header)",
        http.path);
  }
  const auto fields = formFields(http);
  if (!fields) {
    return HttpResponse::problem(
        mediaType(http) == "application/x-www-form-urlencoded" ? 400 : 415,
        "send the sign-in form as application/x-www-form-urlencoded with a token field", http.path);
  }
  const std::string next = safeNextPath(field(*fields, "next"));
  if (!context.hasDatabase()) return HttpResponse::problem(503, "no database is open", http.path);
  const std::string token(trimmed(field(*fields, "token")));
  const auto principal = context.withDatabase([&](db::Database& db) { return authenticateToken(db, token); });
  // Nothing says why (unknown, revoked, malformed): the same answer for each.
  if (!principal) return signinForm(401, next, "That token was not accepted.");
  const std::string value = context.withDatabase(
      [&](db::Database& db) { return openSession(db, principal->token_id, context.now()); });
  logEvent(LogLevel::Info, "browser signed in",
           {{"token_name", principal->token_name}, {"role", std::string(toString(principal->role))}});
  HttpResponse response = seeOther(next);
  response.headers["Set-Cookie"] = sessionCookieHeader(value, context.config());
  return response;
}

HttpResponse postSignout(const ApiRequest& request) {
  const HttpRequest& http = request.http;
  AppContext& context = request.context;
  if (!sameOrigin(http, context.config())) {
    return HttpResponse::problem(
        403, "sign-out must be sent from this server's own page (its Origin or Referer header)", http.path);
  }
  if (const auto cookie = sessionCookieValue(http)) {
    const auto fields = formFields(http);
    if (!fields || !csrfTokenMatches(*cookie, field(*fields, "csrf"))) {
      return HttpResponse::problem(
          403, "the sign-out form's csrf field is missing or does not match the session", http.path);
    }
    if (context.hasDatabase())
      context.withDatabase([&](db::Database& db) { return endSession(db, *cookie); });
  }
  HttpResponse response = seeOther("/signin");
  response.headers["Set-Cookie"] = clearedSessionCookieHeader(context.config());
  return response;
}

}  // namespace sgaudit::service::handlers
