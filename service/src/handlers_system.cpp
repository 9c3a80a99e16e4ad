// Health, readiness, version, metrics, the OpenAPI document and the index page.
#include <nlohmann/json.hpp>

#include "handlers.hpp"
#include "sgaudit/db/audit_store.hpp"
#include "sgaudit/db/migrator.hpp"
#include "sgaudit/db/snapshot_store.hpp"
#include "sgaudit/schedule/stored_audit.hpp"
#include "sgaudit/service/auth.hpp"
#include "sgaudit/service/browser_session.hpp"
#include "sgaudit/service/embedded.hpp"
#include "sgaudit/service/scope_audit.hpp"

namespace sgaudit::service::handlers {
namespace {

using json = nlohmann::json;

constexpr std::string_view kPageStyle =
    "body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#1b1f24}"
    "table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{text-align:left;padding:.35rem .6rem;"
    "border-bottom:1px solid "
    "#d0d7de}th{background:#f6f8fa}.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".critical{color:#a40e26;font-weight:600}.high{color:#bc4c00;font-weight:600}.medium{color:#7d4e00}"
    "code{background:#f6f8fa;padding:.1rem .3rem;border-radius:4px}";

}  // namespace

HttpResponse healthz(const ApiRequest&) {
  return jsonResponse(200, json{{"status", "ok"}});
}

HttpResponse readyz(const ApiRequest& request) {
  AppContext& context = request.context;
  const std::string& path = request.http.path;
  if (context.shuttingDown()) return HttpResponse::problem(503, "sgaudit is shutting down", path);
  if (!context.hasDatabase()) return HttpResponse::problem(503, "no database is open", path);
  const int wanted = context.build().schema_version;
  const int current = context.withDatabase([](db::Database& db) { return db::Migrator::currentVersion(db); });
  if (current != wanted) {
    return HttpResponse::problem(503,
                                 "database schema is " + std::to_string(current) + ", this build needs " +
                                     std::to_string(wanted) + "; run `sgaudit migrate`",
                                 path);
  }
  return jsonResponse(200, json{{"status", "ready"}, {"schema_version", current}});
}

HttpResponse version(const ApiRequest& request) {
  const BuildInfo& build = request.context.build();
  return jsonResponse(200, json{{"name", "sgaudit"},
                                {"version", build.version},
                                {"commit", build.commit},
                                {"compiler", build.compiler},
                                {"schema_version", build.schema_version}});
}

HttpResponse metrics(const ApiRequest& request) {
  if (request.context.hasDatabase()) {
    const auto next =
        request.context.withDatabase([](db::Database& db) { return schedule::loadNextRuns(db); });
    for (const auto& info : next) {
      const std::map<std::string, std::string> labels{{"schedule", info.name}};
      if (info.enabled && info.next_run_at) {
        request.context.metrics().setGauge("sgaudit_schedule_next_run_timestamp_seconds",
                                           "When each enabled schedule runs next (Unix seconds).", labels,
                                           static_cast<double>(info.next_run_at->time_since_epoch().count()));
      } else {
        request.context.metrics().removeGauge("sgaudit_schedule_next_run_timestamp_seconds", labels);
      }
    }
  }
  // What names the estate (schedule names, findings by severity) is for a reader, or for everyone when the
  // operator says so (--metrics-detail); request, ingest and audit counts are for any scraper.
  bool detail = request.context.config().metrics_detail;
  if (!detail && request.context.hasDatabase()) {
    if (const auto header = request.http.header("Authorization"))
      detail = request.context.withDatabase([&](db::Database& db) { return authenticate(db, *header); })
                   .has_value();
  }
  HttpResponse response;
  response.status = 200;
  response.headers["Content-Type"] = "text/plain; version=0.0.4; charset=utf-8";
  response.body = request.context.metrics().render(detail);
  return response;
}

HttpResponse openapi(const ApiRequest&) {
  HttpResponse response;
  response.status = 200;
  response.headers["Content-Type"] = "application/yaml";
  response.body = std::string(openapiFiles().front().content);
  return response;
}

HttpResponse indexPage(const ApiRequest& request) {
  // A browser gets the dashboard; API clients keep this page.
  if (prefersHtml(request.http)) return dashboardPage(request);
  std::string scopes_html;
  std::string audits_html;
  request.context.withDatabase([&](db::Database& db) {
    db::SnapshotStore snapshots(db);
    for (const db::Scope& scope : snapshots.listScopes()) {
      const auto latest = snapshots.latestSnapshot(scope.id);
      scopes_html +=
          "<tr><td>" + escapeHtml(db::toString(scope.kind)) + "</td><td>" + escapeHtml(scope.name) +
          "</td><td class=n>" + (latest ? std::to_string(latest->inputs.size()) : "0") + "</td><td>" +
          (latest ? escapeHtml(latest->created_at) + " (" + escapeHtml(latest->state) + ")" : "-") +
          "</td></tr>\n";
    }
    for (const db::AuditRecord& audit : db::AuditStore(db).list(20)) {
      json summary = audit.summary ? json::parse(*audit.summary) : json::object();
      std::string counts;
      for (const char* severity : {"critical", "high", "medium", "low", "info"}) {
        const int count = summary.value("by_severity", json::object()).value(severity, 0);
        counts += "<td class=\"n " + std::string(count > 0 ? severity : "") + "\">" + std::to_string(count) +
                  "</td>";
      }
      const std::string id = std::to_string(audit.id);
      audits_html +=
          "<tr><td class=n>" + id + "</td><td>" + escapeHtml(audit.cluster.value_or("-")) + "</td><td>" +
          escapeHtml(audit.started_at) + "</td>" + counts + "<td><a href=\"/api/v1/audits/" + id +
          "/report.html\">HTML</a> <a href=\"/api/v1/audits/" + id +
          "/report.json\">JSON</a> <a href=\"/api/v1/audits/" + id +
          "/report.sarif\">SARIF</a> <a href=\"/api/v1/audits/" + id + "/report.csv\">CSV</a></td></tr>\n";
    }
  });
  std::string body =
      "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
      "<meta name=viewport content=\"width=device-width,initial-scale=1\">"
      "<title>sgaudit</title><style>" +
      std::string(kPageStyle) +
      "</style></head><body>\n<h1>sgaudit</h1>\n"
      "<p>Host ports against cloud security groups. The API is described at "
      "<a href=\"/api/v1/openapi.yaml\">/api/v1/openapi.yaml</a>.</p>\n"
      "<h2>Scopes</h2>\n<table><thead><tr><th>kind</th><th>name</th><th class=n>inputs</th>"
      "<th>latest snapshot</th></tr></thead><tbody>\n" +
      (scopes_html.empty() ? "<tr><td colspan=4>No inputs yet: <code>POST "
                             "/api/v1/clusters/{cluster}/inputs</code></td></tr>\n"
                           : scopes_html) +
      "</tbody></table>\n<h2>Recent audits</h2>\n<table><thead><tr><th class=n>id</th><th>cluster</th>"
      "<th>started</th><th class=n>critical</th><th class=n>high</th><th class=n>medium</th>"
      "<th class=n>low</th><th class=n>info</th><th>report</th></tr></thead><tbody>\n" +
      (audits_html.empty() ? "<tr><td colspan=9>No audits yet.</td></tr>\n" : audits_html) +
      "</tbody></table>\n</body></html>\n";
  HttpResponse response;
  response.status = 200;
  response.headers["Content-Type"] = "text/html; charset=utf-8";
  response.headers["Content-Security-Policy"] =
      "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors "
      "'none'";
  response.body = std::move(body);
  return response;
}

}  // namespace sgaudit::service::handlers
