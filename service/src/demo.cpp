#include "sgaudit/service/demo.hpp"

#include <nlohmann/json.hpp>

#include "handlers.hpp"
#include "sgaudit/cloud/inputs/loader.hpp"
#include "sgaudit/cloud/providers.hpp"
#include "sgaudit/db/policy_store.hpp"
#include "sgaudit/db/snapshot_store.hpp"
#include "sgaudit/service/embedded.hpp"
#include "sgaudit/service/logging.hpp"
#include "sgaudit/service/scope_audit.hpp"

namespace sgaudit::service {

bool isDemoScope(std::string_view name) {
  return name == "cce-demo" || name == "huawei-demo";
}

std::vector<std::string> nonDemoScopes(AppContext& context, std::size_t limit) {
  std::vector<std::string> names;
  context.withDatabase([&](db::Database& db) {
    for (const auto& scope : db::SnapshotStore(db).listScopes()) {
      if (!isDemoScope(scope.name) && names.size() < limit) names.push_back(scope.name);
    }
  });
  return names;
}

void noteScopeWritten(AppContext& context, std::string_view name) {
  if (!context.demoPublicRead() || isDemoScope(name)) return;
  context.setDemoPublicRead(false);
  logEvent(LogLevel::Warn, "demo: reads need a token from now on: the database holds more than the demo",
           {{"scope", std::string(name)}});
}

std::int64_t loadDemo(AppContext& context) {
  using json = nlohmann::json;
  const bool empty =
      context.withDatabase([](db::Database& db) { return db::SnapshotStore(db).listScopes().empty(); });
  if (!empty) return 0;
  const Principal admin{Role::Admin, "demo"};
  const QueryParams no_query;
  for (const EmbeddedFile& file : demoScenario()) {
    const std::string name = "cce-seed/" + std::string(file.name);
    std::string kind;
    if (file.name.ends_with(".json")) {
      const json document = json::parse(file.content, nullptr, false);
      kind = cloud::inputs::recogniseJson(document).value_or("");
    }
    if (kind == "sgaudit.policy") {
      context.withDatabase([&](db::Database& db) {
        db::Transaction transaction(db);
        db::PolicyStore(db).put("cce-seed", json::parse(file.content).dump(), isoTime(context.now()));
        transaction.commit();
      });
      continue;
    }
    const bool cloud_input = cloud::providerOfKind(kind) != nullptr;
    HttpRequest http = HttpRequest::make("POST", "/");
    http.body = std::string(file.content);
    QueryParams query{{"name", name}};
    PathParams params{{cloud_input ? "account" : "cluster", cloud_input ? "huawei-demo" : "cce-demo"}};
    const ApiRequest request{http, params, query, admin, context};
    const HttpResponse response =
        cloud_input ? handlers::postAccountInput(request) : handlers::postClusterInput(request);
    if (response.status >= 300) throw std::runtime_error("demo input " + name + ": " + response.body);
  }
  ScopeAuditRequest audit;
  audit.cluster = "cce-demo";
  audit.accounts = {"huawei-demo"};
  audit.policy_name = "cce-seed";
  const ScopeAuditOutcome outcome = runScopeAudit(context, audit);
  if (outcome.error) throw std::runtime_error("demo audit: " + outcome.error->detail);
  logEvent(LogLevel::Info, "demo loaded", {{"cluster", "cce-demo"}, {"audit", *outcome.audit_id}});
  return *outcome.audit_id;
}

}  // namespace sgaudit::service
