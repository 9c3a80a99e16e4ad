// A scope's collection source and collecting it now: PUT/DELETE /api/v1/{clusters,accounts}/{name}/source
// (admin: a source makes the server reach into a cluster with its own credentials) and POST .../collect
// (ingest).
#include <nlohmann/json.hpp>

#include "handlers.hpp"
#include "sgaudit/db/snapshot_store.hpp"
#include "sgaudit/service/account_collection.hpp"
#include "sgaudit/service/cluster_collection.hpp"
#include "sgaudit/service/demo.hpp"

namespace sgaudit::service::handlers {

using json = nlohmann::json;

HttpResponse putClusterSource(const ApiRequest& request) {
  const std::string cluster = request.param("cluster");
  if (!isValidName(cluster))
    return problemAt(400, "a scope name is 1-128 of A-Z a-z 0-9 . _ - and does not start with '.'",
                     "/path/cluster", request.http.path);
  auto body = readJsonBody(request.http);
  if (auto* problem = std::get_if<HttpResponse>(&body)) return std::move(*problem);
  std::string pointer, message;
  const auto source = parseClusterSource(std::get<json>(body), pointer, message);
  if (!source)
    return problemAt(422, (pointer.empty() ? "" : pointer + ": ") + message, pointer, request.http.path);
  const Config& config = request.context.config();
  if (source->kind == ClusterSource::Kind::Kubeconfig) {
    if (config.kubeconfig_dir.empty())
      return problemAt(422, "the server has no --kubeconfig-dir: only in-cluster sources can be used",
                       "/kind", request.http.path);
    std::error_code error;
    if (!std::filesystem::is_regular_file(config.kubeconfig_dir / source->file, error))
      return problemAt(
          422, "/file: there is no kubeconfig \"" + source->file + "\" in the server's --kubeconfig-dir",
          "/file", request.http.path);
  }
  const std::string now = isoTime(request.context.now());
  noteScopeWritten(request.context, cluster);
  request.context.withDatabase([&](db::Database& db) {
    db::Transaction transaction(db);
    db::SnapshotStore store(db);
    store.setSource(store.ensureScope(db::ScopeKind::Cluster, cluster, now), json(*source).dump());
    transaction.commit();
  });
  return jsonResponse(200, json{{"cluster", cluster}, {"source", *source}});
}

HttpResponse deleteClusterSource(const ApiRequest& request) {
  const std::string cluster = request.param("cluster");
  const bool had = request.context.withDatabase([&](db::Database& db) {
    db::SnapshotStore store(db);
    const auto scope = store.findScope(db::ScopeKind::Cluster, cluster);
    if (!scope || !scope->source) return false;
    store.setSource(*scope, std::nullopt);
    return true;
  });
  if (!had) return HttpResponse::problem(404, "cluster \"" + cluster + "\" has no source", request.http.path);
  HttpResponse response;
  response.status = 204;
  return response;
}

HttpResponse postClusterCollect(const ApiRequest& request) {
  const std::string cluster = request.param("cluster");
  const auto scope = request.context.withDatabase(
      [&](db::Database& db) { return db::SnapshotStore(db).findScope(db::ScopeKind::Cluster, cluster); });
  if (!scope)
    return HttpResponse::problem(404, "there is no cluster named \"" + cluster + "\"", request.http.path);
  if (!scope->source)
    return HttpResponse::problem(
        409, "cluster \"" + cluster + "\" names no source: PUT /api/v1/clusters/" + cluster + "/source first",
        request.http.path);
  json collection = collectCluster(request.context, cluster);
  if (collection.value("state", "") == "failed") {
    // The cluster's API server (or its credentials) failed, not the request: a gateway's error.
    HttpResponse response = HttpResponse::problem(
        502, "collecting cluster \"" + cluster + "\" failed: " + collection.value("message", std::string()),
        request.http.path);
    return response;
  }
  return jsonResponse(200, collection);
}

// An account's source: the provider and where (region, profile, cloud); the credentials are the server's
// own, found the provider's way, never sent.
HttpResponse putAccountSource(const ApiRequest& request) {
  const std::string account = request.param("account");
  if (!isValidName(account))
    return problemAt(400, "a scope name is 1-128 of A-Z a-z 0-9 . _ - and does not start with '.'",
                     "/path/account", request.http.path);
  auto body = readJsonBody(request.http);
  if (auto* problem = std::get_if<HttpResponse>(&body)) return std::move(*problem);
  std::string pointer, message;
  const auto source = parseAccountSource(std::get<json>(body), pointer, message);
  if (!source)
    return problemAt(422, (pointer.empty() ? "" : pointer + ": ") + message, pointer, request.http.path);
  const std::string now = isoTime(request.context.now());
  noteScopeWritten(request.context, account);
  request.context.withDatabase([&](db::Database& db) {
    db::Transaction transaction(db);
    db::SnapshotStore store(db);
    store.setSource(store.ensureScope(db::ScopeKind::Account, account, now), json(*source).dump());
    transaction.commit();
  });
  return jsonResponse(200, json{{"account", account}, {"source", *source}});
}

HttpResponse deleteAccountSource(const ApiRequest& request) {
  const std::string account = request.param("account");
  const bool had = request.context.withDatabase([&](db::Database& db) {
    db::SnapshotStore store(db);
    const auto scope = store.findScope(db::ScopeKind::Account, account);
    if (!scope || !scope->source) return false;
    store.setSource(*scope, std::nullopt);
    return true;
  });
  if (!had) return HttpResponse::problem(404, "account \"" + account + "\" has no source", request.http.path);
  HttpResponse response;
  response.status = 204;
  return response;
}

HttpResponse postAccountCollect(const ApiRequest& request) {
  const std::string account = request.param("account");
  const auto scope = request.context.withDatabase(
      [&](db::Database& db) { return db::SnapshotStore(db).findScope(db::ScopeKind::Account, account); });
  if (!scope)
    return HttpResponse::problem(404, "there is no account named \"" + account + "\"", request.http.path);
  if (!scope->source)
    return HttpResponse::problem(
        409, "account \"" + account + "\" names no source: PUT /api/v1/accounts/" + account + "/source first",
        request.http.path);
  json collection = collectAccount(request.context, account);
  if (collection.value("state", "") == "failed") {
    // The provider's API (or the server's credentials for it) failed, not the request: a gateway's error.
    return HttpResponse::problem(
        502, "collecting account \"" + account + "\" failed: " + collection.value("message", std::string()),
        request.http.path);
  }
  return jsonResponse(200, collection);
}

}  // namespace sgaudit::service::handlers
