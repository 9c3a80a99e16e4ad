#include "sgaudit/service/scope_audit.hpp"

#include <chrono>
#include <sstream>

#include "sgaudit/core/parallel.hpp"
#include "sgaudit/core/policy.hpp"
#include "sgaudit/db/policy_store.hpp"
#include "sgaudit/db/snapshot_store.hpp"
#include "sgaudit/service/api_support.hpp"
#include "sgaudit/service/file_codec.hpp"
#include "sgaudit/service/logging.hpp"

namespace sgaudit::service {
namespace {

using json = nlohmann::json;

struct PlannedInput {
  std::string name;
  std::string sha256;
  std::uint64_t size = 0;
};

struct Plan {
  std::optional<std::int64_t> cluster_scope_id;
  std::vector<std::int64_t> snapshot_ids;
  std::vector<PlannedInput> inputs;
  json snapshots = json::array();
  std::optional<std::string> policy_name;
  std::optional<std::int64_t> policy_version;
  json policy = json::object();
};

std::optional<ScopeAuditError> planAudit(db::Database& db, const ScopeAuditRequest& request, Plan& plan) {
  db::SnapshotStore snapshots(db);
  auto addScope = [&](db::ScopeKind kind, const std::string& name,
                      const std::string& pointer) -> std::optional<ScopeAuditError> {
    const auto scope = snapshots.findScope(kind, name);
    if (!scope) {
      return ScopeAuditError{
          404, "there is no " + std::string(db::toString(kind)) + " named \"" + name + "\"", pointer};
    }
    const auto snapshot = snapshots.latestSnapshot(scope->id);
    if (!snapshot || snapshot->inputs.empty()) {
      return ScopeAuditError{409, std::string(db::toString(kind)) + " \"" + name + "\" has no inputs yet",
                             pointer};
    }
    if (kind == db::ScopeKind::Cluster) plan.cluster_scope_id = scope->id;
    plan.snapshot_ids.push_back(snapshot->id);
    plan.snapshots.push_back({{"scope", db::toString(kind)},
                              {"name", name},
                              {"snapshot", snapshot->id},
                              {"created_at", snapshot->created_at},
                              {"inputs", snapshot->inputs.size()}});
    for (const auto& input : snapshot->inputs) {
      plan.inputs.push_back({input.name, input.sha256, static_cast<std::uint64_t>(input.size_bytes)});
    }
    return std::nullopt;
  };
  if (auto error = addScope(db::ScopeKind::Cluster, request.cluster, "/cluster")) return error;
  for (std::size_t i = 0; i < request.accounts.size(); ++i) {
    if (auto error =
            addScope(db::ScopeKind::Account, request.accounts[i], "/accounts/" + std::to_string(i))) {
      return error;
    }
  }
  if (request.policy_name) {
    const auto stored = db::PolicyStore(db).get(*request.policy_name);
    if (!stored)
      return ScopeAuditError{404, "there is no policy named \"" + *request.policy_name + "\"", "/policy"};
    plan.policy_name = stored->name;
    plan.policy_version = stored->version;
    plan.policy = json::parse(stored->body);
  } else if (request.policy) {
    plan.policy = *request.policy;
  }
  return std::nullopt;
}

std::map<std::string, int> severityCounts(const std::vector<core::Finding>& findings) {
  std::map<std::string, int> counts;
  for (const auto& finding : findings) {
    if (finding.suppressed) continue;
    ++counts[std::string(core::toString(finding.severity))];
  }
  return counts;
}

}  // namespace

json auditDocument(const core::AuditResult& result, const std::vector<cloud::inputs::LoadedInput>& inputs,
                   bool with_findings) {
  json document = core::resultJson(result, with_findings);
  json list = json::array();
  for (const auto& loaded : inputs)
    list.push_back({{"name", loaded.name}, {"kind", loaded.kind}});
  document["inputs"] = list;
  document["tool"] = {{"name", "sgaudit"}, {"version", buildInfo().version}};
  return document;
}

void writeAuditJson(std::ostream& out, const json& document,
                    const std::function<void(std::ostream&)>& findings) {
  out << '{';
  bool first = true;
  for (const auto& [key, value] : document.items()) {
    out << (first ? "" : ",") << json(key).dump() << ':';
    first = false;
    if (key == "findings") {
      findings(out);
    } else {
      out << value.dump(-1, ' ', false, json::error_handler_t::replace);
    }
  }
  out << '}';
}

std::vector<std::string> findingJsons(const std::vector<core::Finding>& findings) {
  std::vector<std::string> out(findings.size());
  core::forEach(0, findings.size(),
                [&out, &findings](std::size_t i) { core::appendJson(out[i], findings[i]); });
  return out;
}

ScopeAuditOutcome runScopeAudit(AppContext& context, const ScopeAuditRequest& request) {
  const auto started = std::chrono::steady_clock::now();
  const std::string started_at = isoTime(context.now());
  const std::filesystem::path spool = context.config().spoolDir();

  // 1. Under the lock: what to read, and the stored bytes copied out (still gzip).
  Plan plan;
  std::vector<std::unique_ptr<TempFile>> stored;
  const auto planned = context.withDatabase([&](db::Database& db) -> std::optional<ScopeAuditError> {
    if (auto error = planAudit(db, request, plan)) return error;
    db::SnapshotStore snapshots(db);
    for (const auto& input : plan.inputs) {
      stored.push_back(std::make_unique<TempFile>(spool, "audit-in"));
      if (!snapshots.readBlob(input.sha256, stored.back()->path())) {
        return ScopeAuditError{500, "stored input \"" + input.name + "\" has lost its content", "/cluster"};
      }
    }
    return std::nullopt;
  });
  if (planned) return {std::nullopt, planned};

  // 2. Off the lock: read and audit.
  auto policy = core::parsePolicy(plan.policy);
  if (!policy) return {std::nullopt, ScopeAuditError{422, "policy: " + policy.error().message, "/policy"}};
  cloud::inputs::InputLoader loader;
  loader.setObjectBudget(context.config().max_objects);
  loader.setDocumentLimit(context.config().max_document_bytes);
  for (std::size_t i = 0; i < plan.inputs.size(); ++i) {
    const std::string& name = plan.inputs[i].name;
    auto lost = [&](const CodecError& error) {
      return ScopeAuditOutcome{std::nullopt,
                               ScopeAuditError{500, "stored input \"" + name + "\": " + error.message, ""}};
    };
    auto unreadable = [&](const cloud::InputError& error) {
      return ScopeAuditOutcome{
          std::nullopt,
          ScopeAuditError{422, "stored input no longer reads: " + error.toString(), "/cluster"}};
    };
    // A large kubectl list is read as it is decoded, on two threads, as the CLI streams the file; anything
    // else is decoded to a file and read as the CLI reads that file.
    DecodingReader reader(stored[i]->path(), true, UINT64_MAX);
    std::string head = reader.readUpTo(std::size_t{1} << 12);
    if (reader.error()) return lost(*reader.error());
    if (cloud::inputs::InputLoader::streamsAsKubectl(head, plan.inputs[i].size, name)) {
      DecodedStream decoded(reader, std::move(head));
      if (auto error = loader.addKubectlStream(decoded.stream(), name)) {
        decoded.stop();
        if (reader.error()) return lost(*reader.error());
        return unreadable(*error);
      }
      if (auto error = decoded.finish()) return lost(*error);
    } else {
      TempFile decoded(spool, "audit-doc");
      if (!reader.writeRest(head, decoded.path())) return lost(*reader.error());
      if (auto error = loader.addFile(decoded.path(), name)) return unreadable(*error);
    }
    stored[i].reset();
  }
  cloud::inputs::Inventory inventory = loader.take();
  core::AuditInput input;
  input.cluster = std::move(inventory.cluster);
  input.cloud = std::move(inventory.cloud);
  input.policy = std::move(policy).value();
  input.today = isoDate(context.now());
  input.node_instance_map = request.node_instance_map;
  core::AuditResult result = core::runAudit(input);
  cloud::inputs::renderCloudFixes(result.findings);
  result.warnings.insert(result.warnings.begin(), inventory.warnings.begin(), inventory.warnings.end());
  json document = auditDocument(result, inventory.inputs, false);
  document["scope"] = {
      {"cluster", request.cluster}, {"accounts", request.accounts}, {"snapshots", plan.snapshots}};
  if (plan.policy_name) {
    document["policy"] = {{"name", *plan.policy_name}, {"version", *plan.policy_version}};
  } else {
    document["policy"] = {{"inline", request.policy.has_value()}};
  }
  document["started_at"] = started_at;

  db::NewAudit audit;
  audit.cluster_scope_id = plan.cluster_scope_id;
  audit.snapshot_ids = plan.snapshot_ids;
  audit.policy_name = plan.policy_name;
  audit.policy_version = plan.policy_version;
  audit.policy = plan.policy.dump();
  audit.started_at = started_at;
  audit.finished_at = isoTime(context.now());
  audit.summary = document.at("summary").dump();
  audit.warnings = document.at("warnings").dump(-1, ' ', false, json::error_handler_t::replace);
  // A row's body is the finding's JSON, its node list cut to the budget; the row keeps every node.
  std::vector<std::string> bodies = findingJsons(result.findings);
  audit.findings.reserve(result.findings.size());
  for (std::size_t i = 0; i < result.findings.size(); ++i) {
    const core::Finding& finding = result.findings[i];
    db::FindingRow row;
    row.nodes = finding.nodes;
    row.check_id = finding.check_id;
    row.severity = std::string(core::toString(finding.severity));
    row.fingerprint = finding.fingerprint;
    if (!finding.namespace_name.empty()) row.namespace_ = finding.namespace_name;
    if (!finding.node.empty()) row.node = finding.node;
    row.title = finding.title;
    row.body = std::move(bodies[i]);
    row.suppressed = finding.suppressed;
    audit.findings.push_back(std::move(row));
  }

  // 3. Under the lock: write it whole, and seal the snapshots it used.
  const std::int64_t id = context.withDatabase([&](db::Database& db) {
    db::Transaction transaction(db);
    db::AuditStore audits(db);
    audit.result = "{}";
    const std::int64_t audit_id = audits.insert(audit);
    document["id"] = audit_id;
    // The findings are stored once, as the rows just written (schema 10).
    std::ostringstream text;
    std::size_t findings_at = 0;
    writeAuditJson(text, document, [&findings_at](std::ostream& out) {
      findings_at = static_cast<std::size_t>(out.tellp());
      out << "null";
    });
    audits.setResult(audit_id, std::move(text).str(), findings_at);
    db::SnapshotStore snapshots(db);
    for (const std::int64_t snapshot : plan.snapshot_ids)
      snapshots.seal(snapshot, audit.finished_at);
    transaction.commit();
    return audit_id;
  });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  context.metrics().recordAudit(true, seconds, severityCounts(result.findings));
  logEvent(LogLevel::Info, "audit stored",
           {{"audit", id},
            {"cluster", request.cluster},
            {"findings", result.findings.size()},
            {"duration_ms", seconds * 1000}});
  return {id, std::nullopt};
}

json auditRecordJson(const db::AuditRecord& record) {
  json out = {{"id", record.id},
              {"state", record.state},
              {"started_at", record.started_at},
              {"snapshots", record.snapshot_ids},
              {"links",
               {{"self", "/api/v1/audits/" + std::to_string(record.id)},
                {"findings", "/api/v1/audits/" + std::to_string(record.id) + "/findings"},
                {"report", "/api/v1/audits/" + std::to_string(record.id) + "/report.json"}}}};
  out["cluster"] = record.cluster ? json(*record.cluster) : json(nullptr);
  if (record.finished_at) out["finished_at"] = *record.finished_at;
  if (record.policy_name)
    out["policy"] = {{"name", *record.policy_name}, {"version", *record.policy_version}};
  if (record.summary) out["summary"] = json::parse(*record.summary);
  out["warnings"] = json::parse(record.warnings);
  if (record.error) out["error"] = *record.error;
  return out;
}

}  // namespace sgaudit::service
