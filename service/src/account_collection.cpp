// Account scopes' sources (account_collection.hpp): parsing and storing what `sgaudit collect <provider>`
// would write, as the account's collected inputs.

#include "sgaudit/service/account_collection.hpp"

#include "collected_inputs.hpp"

#include <algorithm>
#include <set>

#include "sgaudit/db/snapshot_store.hpp"
#include "sgaudit/service/api_support.hpp"
#include "sgaudit/service/file_codec.hpp"
#include "sgaudit/service/logging.hpp"

namespace sgaudit::collect {

void to_json(nlohmann::json& out, const CloudSource& source) {
  out = nlohmann::json{{"kind", source.kind}};
  auto put = [&](const char* key, const std::string& value) {
    if (!value.empty()) out[key] = value;
  };
  put("region", source.region);
  put("profile", source.profile);
  put("cloud", source.cloud);
  put("cluster", source.cluster);
  put("project_id", source.project_id);
}

}  // namespace sgaudit::collect

namespace sgaudit::service {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// Where a collection's documents go among the account's inputs; an upload of another name stays.
constexpr std::string_view kCollectedPrefix = "collected/";

// Which fields each kind takes (besides "kind").
const std::set<std::string>& fieldsOf(const std::string& kind) {
  static const std::set<std::string> aws = {"region", "profile", "cluster"};
  static const std::set<std::string> huawei = {"region", "project_id", "cluster"};
  static const std::set<std::string> openstack = {"cloud", "region"};
  static const std::set<std::string> none;
  if (kind == "aws") return aws;
  if (kind == "huawei") return huawei;
  if (kind == "openstack") return openstack;
  return none;
}

// A region, profile, cloud, cluster or project: what the providers' names are made of, never a path or a URL
// (a source must not make the server read a file or reach a host that its own configuration does not).
bool plainValue(const std::string& value) {
  if (value.empty() || value.size() > 128) return false;
  return std::all_of(value.begin(), value.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':' || c == '@';
  });
}

}  // namespace

std::optional<collect::CloudSource> parseAccountSource(const json& body, std::string& pointer,
                                                       std::string& message) {
  if (!body.is_object()) {
    pointer = "";
    message = "expected an object such as {\"kind\": \"aws\", \"region\": \"eu-west-1\"}";
    return std::nullopt;
  }
  const auto kind_it = body.find("kind");
  const auto& kinds = collect::cloudSourceKinds();
  if (kind_it == body.end() || !kind_it->is_string() ||
      std::find(kinds.begin(), kinds.end(), kind_it->get<std::string>()) == kinds.end()) {
    std::string known;
    for (const auto& kind : kinds)
      known += (known.empty() ? "\"" : ", \"") + kind + "\"";
    pointer = "/kind";
    message = "expected one of " + known;
    return std::nullopt;
  }
  collect::CloudSource source;
  source.kind = kind_it->get<std::string>();
  const auto& allowed = fieldsOf(source.kind);
  for (const auto& [key, value] : body.items()) {
    if (key == "kind") continue;
    pointer = "/" + key;
    if (!allowed.contains(key)) {
      message = "a source of kind \"" + source.kind + "\" takes no " + key;
      return std::nullopt;
    }
    if (!value.is_string() || !plainValue(value.get<std::string>())) {
      message = "expected a name: 1-128 of A-Z a-z 0-9 - _ . : @";
      return std::nullopt;
    }
    const std::string text = value.get<std::string>();
    if (key == "region") source.region = text;
    if (key == "profile") source.profile = text;
    if (key == "cloud") source.cloud = text;
    if (key == "cluster") source.cluster = text;
    if (key == "project_id") source.project_id = text;
  }
  pointer.clear();
  return source;
}

json collectAccount(AppContext& context, const std::string& account) {
  const Config& config = context.config();
  json result{{"state", "failed"}, {"started_at", isoTime(context.now())}};
  auto fail = [&](const std::string& message) {
    result["state"] = "failed";
    result["message"] = message;
    result["finished_at"] = isoTime(context.now());
    logEvent(LogLevel::Warn, "collection failed", {{"account", account}, {"error", message}});
    return result;
  };
  const auto scope = context.withDatabase(
      [&](db::Database& db) { return db::SnapshotStore(db).findScope(db::ScopeKind::Account, account); });
  if (!scope || !scope->source)
    return fail("account " + account + " names no source (PUT /api/v1/accounts/" + account + "/source)");
  std::string pointer, message;
  const auto source = parseAccountSource(json::parse(*scope->source, nullptr, false), pointer, message);
  if (!source) return fail("the stored source is not usable: " + pointer + ": " + message);
  result["source"] = *source;

  TempFolder folder(config.spoolDir());
  const fs::path documents = folder.path() / "documents";
  collect::CloudCollectOptions options;
  options.request_timeout = std::chrono::duration_cast<std::chrono::seconds>(config.collect_timeout);
  options.user_agent = "sgaudit/" + std::string(buildInfo().version);
  auto collected = collect::collectCloud(*source, documents, options);
  if (auto* failure = std::get_if<collect::CollectFailure>(&collected)) return fail(failure->message);
  const auto& summary = std::get<collect::CloudCollectSummary>(collected);
  result["files"] = summary.files;
  result["credentials_from"] = summary.credentials_from;
  if (!summary.warnings.empty()) result["warnings"] = summary.warnings;

  // Every document read: each is checked with the audit's own readers, packed, and stored in one transaction.
  std::vector<std::pair<fs::path, std::string>> files;
  for (const auto& entry : fs::directory_iterator(documents))
    if (entry.is_regular_file())
      files.emplace_back(entry.path(), std::string(kCollectedPrefix) + entry.path().filename().string());
  std::sort(files.begin(), files.end());
  auto packed = packDocuments(config, files, folder.path(), "the provider's");
  if (auto* why = std::get_if<std::string>(&packed)) return fail(*why);
  const std::int64_t snapshot_id =
      storeDocuments(context, db::ScopeKind::Account, account, std::get<std::vector<PackedDocument>>(packed),
                     ReplacedInputs{"", std::string(kCollectedPrefix)});
  result["state"] = "complete";
  result["message"] = "collected " + summary.region + " with credentials from " + summary.credentials_from;
  result["snapshot_id"] = snapshot_id;
  result["finished_at"] = isoTime(context.now());
  logEvent(LogLevel::Info, "account collected", {{"account", account}, {"snapshot", snapshot_id}});
  return result;
}

}  // namespace sgaudit::service
