// Audits (run, list, read, findings, diff, report) and policies.
#include <set>

#include <nlohmann/json.hpp>

#include "handlers.hpp"
#include "sgaudit/core/finding.hpp"
#include "sgaudit/core/policy.hpp"
#include "sgaudit/db/audit_store.hpp"
#include "sgaudit/db/policy_store.hpp"
#include "sgaudit/report/render.hpp"
#include "sgaudit/report/view.hpp"
#include "sgaudit/service/scope_audit.hpp"

namespace sgaudit::service::handlers {
namespace {

using json = nlohmann::json;

json findingJson(const db::FindingRow& row) {
  json out = json::parse(row.body);
  out["id"] = row.id;
  return out;
}

// The same object as findingJson, spliced as text: the stored body is a JSON object the audit wrote, so a
// page of findings is not parsed and serialised again on every read.
void appendFindingJson(std::string& out, const db::FindingRow& row) {
  if (row.body.size() < 2 || row.body.front() != '{' || row.body.back() != '}') {
    out += findingJson(row).dump(-1, ' ', false, json::error_handler_t::replace);
    return;
  }
  out += "{\"id\":";
  out += std::to_string(row.id);
  if (row.body.find_first_not_of(" \t\r\n", 1) != row.body.size() - 1) out += ',';
  out.append(row.body, 1, std::string::npos);
}

std::optional<std::int64_t> auditIdOf(const ApiRequest& request) {
  return parseId(request.param("id"));
}

HttpResponse noAudit(const ApiRequest& request) {
  return HttpResponse::problem(404, "there is no audit " + request.param("id"), request.http.path);
}

// Query parameters this route knows; anything else is a client's typo worth saying so.
std::optional<HttpResponse> unknownQuery(const ApiRequest& request,
                                         std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : request.query) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return problemAt(400, "unknown query parameter \"" + key + "\"", "/query/" + key, request.http.path);
    }
  }
  return std::nullopt;
}

std::variant<int, HttpResponse> limitOf(const ApiRequest& request, int fallback) {
  const auto text = request.queryValue("limit");
  if (!text) return fallback;
  const auto value = parseId(*text);
  if (!value || *value > 1000) {
    return problemAt(400, "limit is an integer from 1 to 1000", "/query/limit", request.http.path);
  }
  return static_cast<int>(*value);
}

}  // namespace

HttpResponse postAudit(const ApiRequest& request) {
  auto parsed = readJsonBody(request.http);
  if (auto* problem = std::get_if<HttpResponse>(&parsed)) return std::move(*problem);
  const json& body = std::get<json>(parsed);
  const std::string& path = request.http.path;
  if (!body.is_object()) return problemAt(422, "expected a JSON object", "", path);
  ScopeAuditRequest audit;
  for (const auto& [key, value] : body.items()) {
    if (key == "cluster") {
      if (!value.is_string() || !isValidName(value.get<std::string>())) {
        return problemAt(422, "cluster is a scope name (1-128 of A-Z a-z 0-9 . _ -)", "/cluster", path);
      }
      audit.cluster = value.get<std::string>();
    } else if (key == "accounts") {
      if (!value.is_array())
        return problemAt(422, "accounts is an array of account names", "/accounts", path);
      for (std::size_t i = 0; i < value.size(); ++i) {
        if (!value[i].is_string() || !isValidName(value[i].get<std::string>())) {
          return problemAt(422, "expected an account name", "/accounts/" + std::to_string(i), path);
        }
        audit.accounts.push_back(value[i].get<std::string>());
      }
    } else if (key == "policy") {
      if (value.is_string()) {
        if (!isValidName(value.get<std::string>()))
          return problemAt(422, "expected a policy name", "/policy", path);
        audit.policy_name = value.get<std::string>();
      } else if (value.is_object()) {
        audit.policy = value;
      } else if (!value.is_null()) {
        return problemAt(422, "policy is a stored policy's name or a policy object", "/policy", path);
      }
    } else if (key == "node_map") {
      if (!value.is_object())
        return problemAt(422, "node_map maps node names to instance ids", "/node_map", path);
      for (const auto& [node, instance] : value.items()) {
        if (!instance.is_string())
          return problemAt(422, "expected an instance id", "/node_map/" + node, path);
        audit.node_instance_map[node] = instance.get<std::string>();
      }
    } else {
      return problemAt(422, "unknown member \"" + key + "\" (expected cluster, accounts, policy, node_map)",
                       "/" + key, path);
    }
  }
  if (audit.cluster.empty()) return problemAt(422, "cluster is required", "/cluster", path);
  const ScopeAuditOutcome outcome = runScopeAudit(request.context, audit);
  if (outcome.error) {
    if (outcome.error->status >= 500) throw std::runtime_error(outcome.error->detail);
    return problemAt(outcome.error->status, outcome.error->detail, outcome.error->pointer, path);
  }
  auto record = request.context.withDatabase(
      [&](db::Database& db) { return db::AuditStore(db).get(*outcome.audit_id); });
  HttpResponse response = jsonResponse(201, auditRecordJson(*record));
  response.headers["Location"] = "/api/v1/audits/" + std::to_string(*outcome.audit_id);
  return response;
}

HttpResponse listAudits(const ApiRequest& request) {
  if (auto problem = unknownQuery(request, {"limit", "before", "cluster"})) return std::move(*problem);
  auto limit = limitOf(request, 50);
  if (auto* problem = std::get_if<HttpResponse>(&limit)) return std::move(*problem);
  std::int64_t before = 0;
  if (const auto text = request.queryValue("before")) {
    const auto value = parseId(*text);
    if (!value) return problemAt(400, "before is an audit id", "/query/before", request.http.path);
    before = *value;
  }
  const auto cluster = request.queryValue("cluster");
  const int page = std::get<int>(limit);
  auto records = request.context.withDatabase([&](db::Database& db) {
    return db::AuditStore(db).list(page, before,
                                   cluster ? std::optional<std::string_view>(*cluster) : std::nullopt);
  });
  json items = json::array();
  for (const auto& record : records)
    items.push_back(auditRecordJson(record));
  json out = {{"items", items}};
  if (static_cast<int>(records.size()) == page) {
    out["next"] =
        "/api/v1/audits?limit=" + std::to_string(page) + "&before=" + std::to_string(records.back().id);
  }
  return jsonResponse(200, out);
}

HttpResponse getAudit(const ApiRequest& request) {
  const auto id = auditIdOf(request);
  if (!id) return noAudit(request);
  auto record = request.context.withDatabase([&](db::Database& db) { return db::AuditStore(db).get(*id); });
  if (!record) return noAudit(request);
  return jsonResponse(200, auditRecordJson(*record));
}

HttpResponse listFindings(const ApiRequest& request) {
  const auto id = auditIdOf(request);
  if (!id) return noAudit(request);
  if (auto problem = unknownQuery(request, {"check", "severity", "namespace", "node", "limit", "after"})) {
    return std::move(*problem);
  }
  auto limit = limitOf(request, 100);
  if (auto* problem = std::get_if<HttpResponse>(&limit)) return std::move(*problem);
  db::FindingFilter filter;
  filter.limit = std::get<int>(limit);
  filter.check_id = request.queryValue("check");
  filter.severity = request.queryValue("severity");
  if (filter.severity && !core::parseSeverity(*filter.severity)) {
    return problemAt(400, "severity is one of info, low, medium, high, critical", "/query/severity",
                     request.http.path);
  }
  filter.namespace_ = request.queryValue("namespace");
  filter.node = request.queryValue("node");
  if (const auto after = request.queryValue("after")) {
    const auto value = parseId(*after);
    if (!value)
      return problemAt(400, "after is a finding id from a previous page", "/query/after", request.http.path);
    filter.after_id = *value;
  }
  std::optional<std::vector<db::FindingRow>> rows;
  request.context.withDatabase([&](db::Database& db) {
    db::AuditStore store(db);
    if (store.get(*id)) rows = store.findings(*id, filter);
  });
  if (!rows) return noAudit(request);
  std::size_t size = 32;
  for (const auto& row : *rows)
    size += row.body.size() + 24;
  std::string out;
  out.reserve(size);
  out += "{\"items\":[";
  for (std::size_t i = 0; i < rows->size(); ++i) {
    if (i > 0) out += ',';
    appendFindingJson(out, (*rows)[i]);
  }
  out += ']';
  if (static_cast<int>(rows->size()) == filter.limit) {
    std::string next = "/api/v1/audits/" + std::to_string(*id) +
                       "/findings?limit=" + std::to_string(filter.limit) +
                       "&after=" + std::to_string(rows->back().id);
    for (const char* key : {"check", "severity", "namespace", "node"}) {
      // Values were accepted as given; percent-encode them for the link.
      if (const auto value = request.queryValue(key)) {
        std::string encoded;
        for (const unsigned char c : *value) {
          if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            encoded.push_back(static_cast<char>(c));
          } else {
            static constexpr char kHex[] = "0123456789ABCDEF";
            encoded += {'%', kHex[c >> 4], kHex[c & 15]};
          }
        }
        next += std::string("&") + key + "=" + encoded;
      }
    }
    out += ",\"next\":" + json(next).dump(-1, ' ', false, json::error_handler_t::replace);
  }
  out += '}';
  return HttpResponse::json(200, std::move(out));
}

HttpResponse diffAudits(const ApiRequest& request) {
  const auto id = auditIdOf(request);
  if (!id) return noAudit(request);
  if (auto problem = unknownQuery(request, {"against"})) return std::move(*problem);
  const auto against_text = request.queryValue("against");
  if (!against_text)
    return problemAt(400, "?against= names the audit to compare with", "/query/against", request.http.path);
  const auto against = parseId(*against_text);
  if (!against) return problemAt(400, "against is an audit id", "/query/against", request.http.path);
  std::optional<std::vector<db::FindingRow>> current;
  std::optional<std::vector<db::FindingRow>> previous;
  request.context.withDatabase([&](db::Database& db) {
    db::AuditStore store(db);
    if (store.get(*id)) current = store.allFindings(*id);
    if (store.get(*against)) previous = store.allFindings(*against);
  });
  if (!current) return noAudit(request);
  if (!previous) {
    return problemAt(404, "there is no audit " + *against_text, "/query/against", request.http.path);
  }
  const core::FindingsDiff diff = core::diffFindings(
      *current, *previous, [](const db::FindingRow& row) -> const std::string& { return row.fingerprint; });
  json added = json::array();
  json unchanged = json::array();
  json resolved = json::array();
  for (const std::size_t i : diff.added)
    added.push_back(findingJson((*current)[i]));
  for (const auto& [i, j] : diff.unchanged)
    unchanged.push_back(findingJson((*current)[i]));
  for (const std::size_t j : diff.resolved)
    resolved.push_back(findingJson((*previous)[j]));
  json out = {
      {"audit", *id},
      {"against", *against},
      {"counts", {{"new", added.size()}, {"resolved", resolved.size()}, {"unchanged", unchanged.size()}}},
      {"new", added},
      {"resolved", resolved},
      {"unchanged", unchanged}};
  return jsonResponse(200, out);
}

namespace {

// Reports open where they are asked for (a browser shows them: inline); `?download=1` asks for the file
// (attachment). The file name is the same either way.
std::variant<std::string, HttpResponse> dispositionOf(const ApiRequest& request,
                                                      const std::string& filename) {
  const auto download = request.queryValue("download");
  bool attachment = false;
  if (download) {
    if (*download == "1" || *download == "true") {
      attachment = true;
    } else if (*download != "0" && *download != "false") {
      return problemAt(400, "download is 1 or 0", "/query/download", request.http.path);
    }
  }
  return std::string(attachment ? "attachment" : "inline") + "; filename=\"" + filename + "\"";
}

// The HTML report carries its own policy in a <meta> element (its style and script allowed by hash); served
// inline, the same policy goes in the header too, where frame-ancestors also holds. Without the element
// (a template that lost it) nothing of the page's own is allowed.
std::string reportContentSecurityPolicy(std::string_view html) {
  constexpr std::string_view kMeta = "<meta http-equiv=\"Content-Security-Policy\" content=\"";
  const auto head_end = html.find("</head>");
  const auto start = html.substr(0, head_end).find(kMeta);
  std::string policy = "default-src 'none'";
  if (start != std::string_view::npos) {
    const auto from = start + kMeta.size();
    const auto end = html.find('"', from);
    if (end != std::string_view::npos) policy = std::string(html.substr(from, end - from));
  }
  return policy + "; frame-ancestors 'none'";
}

}  // namespace

HttpResponse reportJson(const ApiRequest& request) {
  const auto id = auditIdOf(request);
  if (!id) return noAudit(request);
  auto disposition = dispositionOf(request, "sgaudit-audit-" + std::to_string(*id) + ".json");
  if (auto* problem = std::get_if<HttpResponse>(&disposition)) return std::move(*problem);
  auto result =
      request.context.withDatabase([&](db::Database& db) { return db::AuditStore(db).result(*id); });
  if (!result) return noAudit(request);
  HttpResponse response = HttpResponse::json(200, *result);
  response.headers["Content-Disposition"] = std::get<std::string>(disposition);
  return response;
}

namespace {

enum class ReportFormat { Html, Sarif, Csv };

// Renders a stored audit with report/; `?against=ID` adds HTML's "what changed" section.
HttpResponse renderStoredReport(const ApiRequest& request, ReportFormat format) {
  const auto id = auditIdOf(request);
  if (!id) return noAudit(request);
  if (auto problem = unknownQuery(request, {"against", "download"})) return std::move(*problem);
  const std::string stem = "sgaudit-audit-" + std::to_string(*id);
  const char* extension = format == ReportFormat::Html    ? ".html"
                          : format == ReportFormat::Sarif ? ".sarif"
                                                          : ".csv";
  auto disposition = dispositionOf(request, stem + extension);
  if (auto* problem = std::get_if<HttpResponse>(&disposition)) return std::move(*problem);
  std::optional<std::int64_t> against;
  if (const auto text = request.queryValue("against")) {
    against = parseId(*text);
    if (!against) return problemAt(400, "against is an audit id", "/query/against", request.http.path);
  }
  std::optional<std::string> result;
  std::optional<db::AuditRecord> record;
  std::optional<std::string> previous;
  request.context.withDatabase([&](db::Database& db) {
    db::AuditStore store(db);
    record = store.get(*id);
    result = store.result(*id);
    if (against) previous = store.result(*against);
  });
  if (!record || !result) return noAudit(request);
  if (against && !previous) {
    return problemAt(404, "there is no audit " + std::to_string(*against), "/query/against",
                     request.http.path);
  }
  report::ReportMeta meta;
  meta.scope = record->cluster.value_or("audit " + std::to_string(*id));
  meta.audited_at = record->finished_at.value_or(record->started_at);
  meta.policy = record->policy_name
                    ? json(*record->policy_name + " v" + std::to_string(record->policy_version.value_or(0)))
                    : json(nullptr);
  if (previous) meta.previous = json::parse(*previous);
  auto view = report::reportViewFromJson(json::parse(*result), std::move(meta));
  if (!view)
    throw std::runtime_error("stored audit " + std::to_string(*id) +
                             " does not read: " + view.error().message);
  HttpResponse response;
  response.status = 200;
  switch (format) {
    case ReportFormat::Html:
      response.body = report::renderHtml(*view);
      response.headers["Content-Type"] = "text/html; charset=utf-8";
      response.headers["Content-Security-Policy"] = reportContentSecurityPolicy(response.body);
      break;
    case ReportFormat::Sarif:
      response.body = report::renderSarif(*view);
      response.headers["Content-Type"] = "application/sarif+json";
      break;
    case ReportFormat::Csv:
      response.body = report::renderCsv(*view);
      response.headers["Content-Type"] = "text/csv; charset=utf-8; header=present";
      break;
  }
  response.headers["Content-Disposition"] = std::move(std::get<std::string>(disposition));
  return response;
}

}  // namespace

HttpResponse reportHtml(const ApiRequest& request) {
  return renderStoredReport(request, ReportFormat::Html);
}
HttpResponse reportSarif(const ApiRequest& request) {
  return renderStoredReport(request, ReportFormat::Sarif);
}
HttpResponse reportCsv(const ApiRequest& request) {
  return renderStoredReport(request, ReportFormat::Csv);
}

HttpResponse putPolicy(const ApiRequest& request) {
  const std::string& name = request.param("name");
  const std::string& path = request.http.path;
  if (!isValidName(name))
    return problemAt(400, "a policy name is 1-128 of A-Z a-z 0-9 . _ -", "/path/name", path);
  auto parsed = readJsonBody(request.http);
  if (auto* problem = std::get_if<HttpResponse>(&parsed)) return std::move(*problem);
  const json& body = std::get<json>(parsed);
  if (!body.is_object()) return problemAt(422, "a policy is a JSON object", "", path);
  auto policy = core::parsePolicy(body);
  if (!policy) return problemAt(422, policy.error().message, "", path);
  const auto record = request.context.withDatabase([&](db::Database& db) {
    db::Transaction transaction(db);
    auto stored = db::PolicyStore(db).put(name, body.dump(), isoTime(request.context.now()));
    transaction.commit();
    return stored;
  });
  HttpResponse response = jsonResponse(201, json{{"name", record.name},
                                                 {"version", record.version},
                                                 {"created_at", record.created_at},
                                                 {"policy", body}});
  response.headers["Location"] = "/api/v1/policies/" + name;
  return response;
}

HttpResponse getPolicy(const ApiRequest& request) {
  if (auto problem = unknownQuery(request, {"version"})) return std::move(*problem);
  std::optional<std::int64_t> version;
  if (const auto text = request.queryValue("version")) {
    version = parseId(*text);
    if (!version) return problemAt(400, "version is a positive integer", "/query/version", request.http.path);
  }
  const std::string& name = request.param("name");
  auto record =
      request.context.withDatabase([&](db::Database& db) { return db::PolicyStore(db).get(name, version); });
  if (!record)
    return HttpResponse::problem(404,
                                 "there is no policy named \"" + name + "\"" +
                                     (version ? " at version " + std::to_string(*version) : ""),
                                 request.http.path);
  return jsonResponse(200, json{{"name", record->name},
                                {"version", record->version},
                                {"created_at", record->created_at},
                                {"policy", json::parse(record->body)}});
}

}  // namespace sgaudit::service::handlers
