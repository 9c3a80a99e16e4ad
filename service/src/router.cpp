// The route table, authentication (bearer tokens, browser sessions, public reads) and the route() function.
#include "sgaudit/service/router.hpp"

#include <array>
#include <chrono>
#include <exception>
#include <string>

#include "handlers.hpp"
#include "sgaudit/service/api.hpp"
#include "sgaudit/service/browser_session.hpp"
#include "sgaudit/service/logging.hpp"

namespace sgaudit::service {
namespace {

namespace h = handlers;

constexpr std::array kRoutes = {
    RouteSpec{"GET", "/", Role::Reader, &h::indexPage},
    // A browser's sign-in and sign-out (service/browser_session.hpp): open, since they make the credential.
    RouteSpec{"GET", "/signin", Role::None, &h::signinPage},
    RouteSpec{"POST", "/signin", Role::None, &h::postSignin},
    RouteSpec{"POST", "/signout", Role::None, &h::postSignout},
    // Liveness never waits for a worker (they may all wait on SQLite behind a large upload's commit).
    RouteSpec{"GET", "/healthz", Role::None, &h::healthz, false, true},
    RouteSpec{"GET", "/readyz", Role::None, &h::readyz},
    RouteSpec{"GET", "/metrics", Role::None, &h::metrics},
    RouteSpec{"GET", "/api/v1/version", Role::Reader, &h::version},
    RouteSpec{"GET", "/api/v1/openapi.yaml", Role::Reader, &h::openapi},
    RouteSpec{"GET", "/api/v1/clusters", Role::Reader, &h::listClusters},
    RouteSpec{"GET", "/api/v1/clusters/{cluster}", Role::Reader, &h::getCluster},
    RouteSpec{"POST", "/api/v1/clusters/{cluster}/inputs", Role::Ingest, &h::postClusterInput, true},
    RouteSpec{"PUT", "/api/v1/clusters/{cluster}/source", Role::Admin, &h::putClusterSource},
    RouteSpec{"DELETE", "/api/v1/clusters/{cluster}/source", Role::Admin, &h::deleteClusterSource},
    RouteSpec{"POST", "/api/v1/clusters/{cluster}/collect", Role::Ingest, &h::postClusterCollect},
    RouteSpec{"PUT", "/api/v1/accounts/{account}/source", Role::Admin, &h::putAccountSource},
    RouteSpec{"DELETE", "/api/v1/accounts/{account}/source", Role::Admin, &h::deleteAccountSource},
    RouteSpec{"POST", "/api/v1/accounts/{account}/collect", Role::Ingest, &h::postAccountCollect},
    RouteSpec{"GET", "/api/v1/accounts", Role::Reader, &h::listAccounts},
    RouteSpec{"GET", "/api/v1/accounts/{account}", Role::Reader, &h::getAccount},
    RouteSpec{"POST", "/api/v1/accounts/{account}/inputs", Role::Ingest, &h::postAccountInput, true},
    RouteSpec{"POST", "/api/v1/audits", Role::Ingest, &h::postAudit},
    RouteSpec{"GET", "/api/v1/audits", Role::Reader, &h::listAudits},
    RouteSpec{"GET", "/api/v1/audits/{id}", Role::Reader, &h::getAudit},
    RouteSpec{"GET", "/api/v1/audits/{id}/findings", Role::Reader, &h::listFindings},
    RouteSpec{"GET", "/api/v1/audits/{id}/diff", Role::Reader, &h::diffAudits},
    RouteSpec{"GET", "/api/v1/audits/{id}/report.json", Role::Reader, &h::reportJson},
    RouteSpec{"GET", "/api/v1/audits/{id}/report.html", Role::Reader, &h::reportHtml},
    RouteSpec{"GET", "/api/v1/audits/{id}/report.sarif", Role::Reader, &h::reportSarif},
    RouteSpec{"GET", "/api/v1/audits/{id}/report.csv", Role::Reader, &h::reportCsv},
    RouteSpec{"POST", "/api/v1/schedules", Role::Admin, &h::postSchedule},
    RouteSpec{"GET", "/api/v1/schedules", Role::Reader, &h::listSchedules},
    RouteSpec{"GET", "/api/v1/schedules/{id}", Role::Reader, &h::getSchedule},
    RouteSpec{"PUT", "/api/v1/schedules/{id}", Role::Admin, &h::putSchedule},
    RouteSpec{"DELETE", "/api/v1/schedules/{id}", Role::Admin, &h::deleteSchedule},
    RouteSpec{"GET", "/api/v1/schedules/{id}/runs", Role::Reader, &h::listScheduleRuns},
    RouteSpec{"PUT", "/api/v1/policies/{name}", Role::Admin, &h::putPolicy},
    RouteSpec{"GET", "/api/v1/policies/{name}", Role::Reader, &h::getPolicy},
};

// HEAD is answered as GET; the server sends the headers only.
bool methodMatches(std::string_view route_method, std::string_view request_method) {
  return route_method == request_method || (route_method == "GET" && request_method == "HEAD");
}

// Segment-by-segment match; "{name}" takes one non-empty segment.
bool matchPattern(std::string_view pattern, std::string_view path, PathParams& params) {
  params.clear();
  while (true) {
    if (pattern.empty() || path.empty()) return pattern.empty() && path.empty();
    if (pattern.front() != '/' || path.front() != '/') return false;
    pattern.remove_prefix(1);
    path.remove_prefix(1);
    const auto pattern_end = pattern.find('/');
    const auto path_end = path.find('/');
    const std::string_view want = pattern.substr(0, pattern_end);
    const std::string_view got = path.substr(0, path_end);
    if (want.starts_with('{')) {
      if (got.empty()) return false;
      auto decoded = percentDecode(got);
      if (!decoded) return false;
      params.emplace(std::string(want.substr(1, want.size() - 2)), std::move(*decoded));
    } else if (want != got) {
      return false;
    }
    pattern = pattern_end == std::string_view::npos ? std::string_view() : pattern.substr(pattern_end);
    path = path_end == std::string_view::npos ? std::string_view() : path.substr(path_end);
  }
}

std::string_view routeLabel(const RouteMatch& match) {
  return match.spec != nullptr ? match.spec->pattern
                               : std::string_view(match.allowed.empty() ? "unmatched" : "method-not-allowed");
}

std::optional<HttpResponse> refuseUnrouted(const HttpRequest& request, const RouteMatch& match) {
  if (match.spec != nullptr) return std::nullopt;
  if (!match.allowed.empty()) {
    HttpResponse response = HttpResponse::problem(
        405,
        "method " + request.method + " is not allowed on " + request.path + "; allowed: " + match.allowed,
        request.path);
    response.headers["Allow"] = match.allowed;
    return response;
  }
  return HttpResponse::problem(404, "no resource at " + request.path, request.path);
}

bool changesState(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

// A browser without a credential is sent to sign in, and brought back here afterwards; a stale session
// cookie is cleared on the way.
HttpResponse toSignin(const HttpRequest& request, const Config& config, bool stale_cookie) {
  HttpResponse response = seeOther("/signin?next=" + percentEncode(request.target));
  if (stale_cookie) response.headers["Set-Cookie"] = clearedSessionCookieHeader(config);
  return response;
}

// The caller's role: from the bearer token, else from a browser's session cookie, else a reader when public
// reads are on. A session's writes must come from this server's own pages (CSRF); a bearer token's are not
// asked (a browser never sends one cross-site).
std::optional<HttpResponse> authorize(const HttpRequest& request, const RouteSpec& spec, AppContext& context,
                                      Principal& principal) {
  if (spec.role == Role::None) return std::nullopt;
  const auto header = request.header("Authorization");
  const auto cookie = header ? std::nullopt : sessionCookieValue(request);
  bool credential = false;
  if (header) {
    if (!context.hasDatabase()) return HttpResponse::problem(503, "no database is open", request.path);
    auto found = context.withDatabase([&](db::Database& db) { return authenticate(db, *header); });
    if (!found) {
      HttpResponse response =
          HttpResponse::problem(401, "the bearer token is unknown or revoked", request.path);
      response.headers["WWW-Authenticate"] = "Bearer realm=\"sgaudit\", error=\"invalid_token\"";
      return response;
    }
    principal = *found;
    credential = true;
  } else if (cookie && context.hasDatabase()) {
    auto found =
        context.withDatabase([&](db::Database& db) { return sessionPrincipal(db, *cookie, context.now()); });
    if (found) {
      if (changesState(request.method) && !sameOrigin(request, context.config())) {
        return HttpResponse::problem(403,
                                     "a signed-in browser's " + request.method +
                                         " must come from this server's own pages: its Origin (or Referer) "
                                         "header names another site, or none",
                                     request.path);
      }
      principal = *found;
      credential = true;
    }
  }
  if (!credential) {
    if (context.publicRead()) {
      principal = Principal{Role::Reader, "public"};
    } else if (!changesState(request.method) && prefersHtml(request)) {
      return toSignin(request, context.config(), cookie.has_value());
    } else {
      HttpResponse response = HttpResponse::problem(
          401, "this resource needs a bearer token (create one with `sgaudit token create --role reader`)",
          request.path);
      response.headers["WWW-Authenticate"] = "Bearer realm=\"sgaudit\"";
      return response;
    }
  }
  if (!credential && static_cast<int>(principal.role) < static_cast<int>(spec.role)) {
    // --public-read lets anonymous callers read; anything more needs a token, which this request lacks: 401,
    // not 403 (no token is "who are you", not "you may not").
    HttpResponse response = HttpResponse::problem(
        401, "this needs a bearer token with the " + std::string(toString(spec.role)) + " role",
        request.path);
    response.headers["WWW-Authenticate"] = "Bearer realm=\"sgaudit\"";
    return response;
  }
  if (static_cast<int>(principal.role) < static_cast<int>(spec.role)) {
    return HttpResponse::problem(403,
                                 "this needs the " + std::string(toString(spec.role)) + " role; the " +
                                     (principal.from_session ? "session's token" : "token") + " has " +
                                     std::string(toString(principal.role)),
                                 request.path);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> ApiRequest::queryValue(std::string_view name) const {
  const auto found = query.find(name);
  if (found == query.end()) return std::nullopt;
  return found->second;
}

std::span<const RouteSpec> apiRoutes() {
  return kRoutes;
}

RouteMatch matchRoute(std::string_view method, std::string_view path) {
  RouteMatch match;
  PathParams params;
  for (const RouteSpec& candidate : kRoutes) {
    if (!matchPattern(candidate.pattern, path, params)) continue;
    if (methodMatches(candidate.method, method)) {
      match.spec = &candidate;
      match.params = std::move(params);
      return match;
    }
    if (!match.allowed.empty()) match.allowed += ", ";
    match.allowed += candidate.method;
    if (candidate.method == "GET") match.allowed += ", HEAD";
  }
  return match;
}

std::optional<HttpResponse> precheckRequest(const HttpRequest& request, AppContext& context) {
  const RouteMatch match = matchRoute(request.method, request.path);
  std::optional<HttpResponse> refusal = refuseUnrouted(request, match);
  Principal principal;
  if (!refusal) refusal = authorize(request, *match.spec, context, principal);
  // Refused before routing (a missing or unknown token, no such route): counted like any request, so that
  // a brute force shows in /metrics.
  if (refusal)
    context.metrics().recordRequest(request.method == "HEAD" ? "GET" : request.method, routeLabel(match),
                                    refusal->status, 0);
  return refusal;
}

bool spoolsBody(const HttpRequest& request) {
  const RouteMatch match = matchRoute(request.method, request.path);
  return match.spec != nullptr && match.spec->spool_body;
}

std::optional<HttpResponse> answerOnIoThread(const HttpRequest& request, AppContext& context) {
  const RouteMatch match = matchRoute(request.method, request.path);
  if (match.spec == nullptr || !match.spec->on_io_thread) return std::nullopt;
  return route(request, context);
}

HttpResponse route(const HttpRequest& request, AppContext& context) {
  const auto started = std::chrono::steady_clock::now();
  const RouteMatch match = matchRoute(request.method, request.path);
  HttpResponse response;
  Principal principal;
  if (auto refusal = refuseUnrouted(request, match)) {
    response = std::move(*refusal);
  } else if (auto denied = authorize(request, *match.spec, context, principal)) {
    response = std::move(*denied);
  } else if (const auto query = parseQuery(request.query); !query) {
    response = HttpResponse::problem(400, "the query string has a malformed percent-escape", request.path);
  } else {
    try {
      response = match.spec->handler(ApiRequest{request, match.params, *query, principal, context});
    } catch (const std::exception& e) {
      logEvent(LogLevel::Error, "handler failed",
               {{"method", request.method}, {"path", request.path}, {"error", e.what()}});
      response =
          HttpResponse::problem(500, "the server failed to handle this request; see its log", request.path);
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  context.metrics().recordRequest(request.method == "HEAD" ? "GET" : request.method, routeLabel(match),
                                  response.status, seconds);
  return response;
}

}  // namespace sgaudit::service
