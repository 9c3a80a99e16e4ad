#include "sgaudit/service/router.hpp"

#include <array>
#include <exception>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "sgaudit/db/migrator.hpp"
#include "sgaudit/service/logging.hpp"

namespace sgaudit::service {
namespace {

using json = nlohmann::json;
using Handler = HttpResponse (*)(const HttpRequest&, AppContext&);

struct Route {
  std::string_view method;
  std::string_view path;
  Handler handler;
};

HttpResponse healthz(const HttpRequest&, AppContext&) {
  return HttpResponse::json(200, json{{"status", "ok"}}.dump());
}

HttpResponse readyz(const HttpRequest& request, AppContext& context) {
  if (context.shuttingDown()) return HttpResponse::problem(503, "sgaudit is shutting down", request.path);
  if (!context.hasDatabase()) return HttpResponse::problem(503, "no database is open", request.path);
  const int wanted = context.build().schema_version;
  const int current = context.withDatabase([](db::Database& db) { return db::Migrator::currentVersion(db); });
  if (current != wanted) {
    return HttpResponse::problem(503,
                                 "database schema is " + std::to_string(current) + ", this build needs " +
                                     std::to_string(wanted) + "; run `sgaudit migrate`",
                                 request.path);
  }
  return HttpResponse::json(200, json{{"status", "ready"}, {"schema_version", current}}.dump());
}

HttpResponse version(const HttpRequest&, AppContext& context) {
  const BuildInfo& build = context.build();
  return HttpResponse::json(200, json{{"name", "sgaudit"},
                                      {"version", build.version},
                                      {"commit", build.commit},
                                      {"compiler", build.compiler},
                                      {"schema_version", build.schema_version}}
                                     .dump());
}

constexpr std::array kRoutes = {
    Route{"GET", "/healthz", &healthz},
    Route{"GET", "/readyz", &readyz},
    Route{"GET", "/api/v1/version", &version},
};

// HEAD is answered as GET; the server sends the headers only.
bool methodMatches(std::string_view route_method, std::string_view request_method) {
  return route_method == request_method || (route_method == "GET" && request_method == "HEAD");
}

}  // namespace

HttpResponse route(const HttpRequest& request, AppContext& context) {
  std::string allowed;
  for (const Route& candidate : kRoutes) {
    if (candidate.path != request.path) continue;
    if (methodMatches(candidate.method, request.method)) {
      try {
        return candidate.handler(request, context);
      } catch (const std::exception& e) {
        logEvent(LogLevel::Error, "handler failed",
                 {{"method", request.method}, {"path", request.path}, {"error", e.what()}});
        return HttpResponse::problem(500, "the server failed to handle this request; see its log",
                                     request.path);
      }
    }
    if (!allowed.empty()) allowed += ", ";
    allowed += candidate.method;
    if (candidate.method == "GET") allowed += ", HEAD";
  }
  if (!allowed.empty()) {
    HttpResponse response = HttpResponse::problem(
        405, "method " + request.method + " is not allowed on " + request.path + "; allowed: " + allowed,
        request.path);
    response.headers["Allow"] = allowed;
    return response;
  }
  return HttpResponse::problem(404, "no resource at " + request.path, request.path);
}

}  // namespace sgaudit::service
