#include "sgaudit/service/cluster_collection.hpp"

#include "collected_inputs.hpp"

#include <cstdlib>

#include "sgaudit/collect/kubernetes_api.hpp"
#include "sgaudit/collect/kubernetes_collector.hpp"
#include "sgaudit/db/snapshot_store.hpp"
#include "sgaudit/service/api_support.hpp"
#include "sgaudit/service/file_codec.hpp"
#include "sgaudit/service/logging.hpp"

namespace sgaudit::service {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// The kind a collection replaces: the cluster's API state, as kubectl or the API server lists it.
constexpr std::string_view kCollectedKind = "kubectl.json";

bool plainFileName(const std::string& name) {
  if (name.empty() || name.size() > 255 || name.front() == '.') return false;
  for (const unsigned char c : name) {
    const bool ok = std::isalnum(c) || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::variant<collect::ClusterAccess, std::string> accessOf(const Config& config,
                                                           const ClusterSource& source) {
  if (source.kind == ClusterSource::Kind::InCluster) {
    auto access =
        collect::inClusterAccess(std::getenv("KUBERNETES_SERVICE_HOST"),
                                 std::getenv("KUBERNETES_SERVICE_PORT"), config.service_account_dir);
    if (!access) return std::string("the server does not run in a pod (no KUBERNETES_SERVICE_HOST)");
    return std::move(*access);
  }
  if (config.kubeconfig_dir.empty()) return std::string("the server has no --kubeconfig-dir");
  return collect::loadKubeconfig({config.kubeconfig_dir / source.file}, false, source.context);
}

}  // namespace

void to_json(json& out, const ClusterSource& source) {
  if (source.kind == ClusterSource::Kind::InCluster) {
    out = json{{"kind", "in-cluster"}};
    return;
  }
  out = json{{"kind", "kubeconfig"}, {"file", source.file}};
  if (!source.context.empty()) out["context"] = source.context;
}

std::optional<ClusterSource> parseClusterSource(const json& body, std::string& pointer,
                                                std::string& message) {
  if (!body.is_object()) {
    pointer = "";
    message = "expected an object: {\"kind\": \"in-cluster\"} or {\"kind\": \"kubeconfig\", \"file\": ...}";
    return std::nullopt;
  }
  for (const auto& [key, value] : body.items()) {
    if (key != "kind" && key != "file" && key != "context") {
      pointer = "/" + key;
      message = "unknown field";
      return std::nullopt;
    }
    if (!value.is_string()) {
      pointer = "/" + key;
      message = "expected a string";
      return std::nullopt;
    }
  }
  ClusterSource source;
  const std::string kind = body.value("kind", std::string());
  if (kind == "in-cluster") {
    if (body.contains("file") || body.contains("context")) {
      pointer = body.contains("file") ? "/file" : "/context";
      message = "an in-cluster source has no file or context";
      return std::nullopt;
    }
    return source;
  }
  if (kind != "kubeconfig") {
    pointer = "/kind";
    message = "expected \"in-cluster\" or \"kubeconfig\"";
    return std::nullopt;
  }
  source.kind = ClusterSource::Kind::Kubeconfig;
  source.file = body.value("file", std::string());
  source.context = body.value("context", std::string());
  if (!plainFileName(source.file)) {
    pointer = "/file";
    message = "expected a file name in the server's --kubeconfig-dir (A-Z a-z 0-9 . _ -, no folders)";
    return std::nullopt;
  }
  if (source.context.size() > 253) {
    pointer = "/context";
    message = "longer than 253 characters";
    return std::nullopt;
  }
  return source;
}

json collectCluster(AppContext& context, const std::string& cluster) {
  const Config& config = context.config();
  json result{{"state", "failed"}, {"started_at", isoTime(context.now())}, {"warnings", json::array()}};
  auto fail = [&](const std::string& message) {
    result["state"] = "failed";
    result["message"] = message;
    result["finished_at"] = isoTime(context.now());
    logEvent(LogLevel::Warn, "collection failed", {{"cluster", cluster}, {"error", message}});
    return result;
  };
  const auto scope = context.withDatabase(
      [&](db::Database& db) { return db::SnapshotStore(db).findScope(db::ScopeKind::Cluster, cluster); });
  if (!scope || !scope->source)
    return fail("cluster " + cluster + " names no source (PUT /api/v1/clusters/" + cluster + "/source)");
  std::string pointer, message;
  const auto source = parseClusterSource(json::parse(*scope->source, nullptr, false), pointer, message);
  if (!source) return fail("the stored source is not usable: " + pointer + ": " + message);
  result["source"] = *source;

  auto access = accessOf(config, *source);
  if (auto* why = std::get_if<std::string>(&access)) return fail(*why);
  collect::ApiOptions options;
  options.http.request_timeout = config.collect_timeout;
  options.http.user_agent = "sgaudit/" + std::string(buildInfo().version);
  auto connected =
      collect::KubernetesApi::connect(std::get<collect::ClusterAccess>(std::move(access)), options);
  if (auto* why = std::get_if<std::string>(&connected)) return fail(*why);
  auto& api = *std::get<std::unique_ptr<collect::KubernetesApi>>(connected);

  TempFolder folder(config.spoolDir());
  const fs::path& folder_path = folder.path();
  auto collected =
      collect::collectKubernetes([&api](const std::string& target) { return api.get(target); }, folder_path);
  if (auto* failure = std::get_if<collect::CollectFailure>(&collected))
    return fail(api.access().server + ": " + failure->message);
  const auto& lists = std::get<collect::CollectResult>(collected);
  json counts = json::object();
  for (const auto& list : lists.lists)
    if (!list.file.empty()) counts[std::string(list.list.resource)] = list.items;
  result["lists"] = counts;
  result["warnings"] = lists.warnings;
  if (lists.partial()) {
    result["state"] = "partial";
    result["message"] = std::to_string(lists.warnings.size()) + " of " + std::to_string(lists.lists.size()) +
                        " lists could not be read; nothing was stored";
    result["finished_at"] = isoTime(context.now());
    logEvent(LogLevel::Warn, "collection partial",
             {{"cluster", cluster}, {"warnings", lists.warnings.size()}});
    return result;
  }

  // Every list read: each is checked with the audit's own readers, packed, and stored in one transaction,
  // replacing every kubectl input the cluster had.
  std::vector<std::pair<fs::path, std::string>> files;
  for (const auto& list : lists.lists)
    files.emplace_back(list.file, "collected/" + std::string(list.list.resource) + ".json");
  auto packed = packDocuments(config, files, folder_path, "the API server's");
  if (auto* why = std::get_if<std::string>(&packed)) return fail(*why);
  const std::int64_t snapshot_id =
      storeDocuments(context, db::ScopeKind::Cluster, cluster, std::get<std::vector<PackedDocument>>(packed),
                     ReplacedInputs{std::string(kCollectedKind), ""});
  result["state"] = "complete";
  result["message"] = "collected from " + api.access().server;
  result["snapshot_id"] = snapshot_id;
  result["finished_at"] = isoTime(context.now());
  logEvent(LogLevel::Info, "cluster collected", {{"cluster", cluster}, {"snapshot", snapshot_id}});
  return result;
}

}  // namespace sgaudit::service
