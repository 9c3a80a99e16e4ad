#pragma once

// The route table: every path the server answers, the role it needs, and its handler. The router matches
// it, the server asks it before reading a body (auth, spooling), and a test checks it against
// docs/openapi.yaml.

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "sgaudit/service/api_support.hpp"
#include "sgaudit/service/app_context.hpp"
#include "sgaudit/service/auth.hpp"
#include "sgaudit/service/http_message.hpp"

namespace sgaudit::service {

using PathParams = std::map<std::string, std::string, std::less<>>;

struct ApiRequest {
  const HttpRequest& http;
  const PathParams& params;
  const QueryParams& query;
  const Principal& principal;
  AppContext& context;

  const std::string& param(std::string_view name) const { return params.find(name)->second; }
  std::optional<std::string> queryValue(std::string_view name) const;
};

using ApiHandler = HttpResponse (*)(const ApiRequest&);

struct RouteSpec {
  std::string_view method;
  std::string_view pattern;  // "/api/v1/audits/{id}/findings"
  Role role;                 // Role::None: open to everyone (health, readiness, metrics)
  ApiHandler handler;
  bool spool_body = false;    // uploads: the body goes to a file, with the upload limit
  bool on_io_thread = false;  // answered on the I/O thread, never queued behind workers (no SQLite, no wait)
};

std::span<const RouteSpec> apiRoutes();

struct RouteMatch {
  const RouteSpec* spec = nullptr;  // null: no route for this method
  PathParams params;
  std::string allowed;  // methods on this path, when the path exists
};

// Matches a path against the table; parameters are percent-decoded.
RouteMatch matchRoute(std::string_view method, std::string_view path);

// Before a body is read: unknown paths, wrong methods, missing tokens and wrong roles are answered here.
std::optional<HttpResponse> precheckRequest(const HttpRequest& request, AppContext& context);
// Whether the server should spool this request's body to a file.
bool spoolsBody(const HttpRequest& request);
// A route marked on_io_thread (liveness), routed and counted as any request; nullopt for the others.
std::optional<HttpResponse> answerOnIoThread(const HttpRequest& request, AppContext& context);

}  // namespace sgaudit::service
