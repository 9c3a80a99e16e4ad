#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "catalogue.hpp"
#include "location.hpp"
#include "sgaudit/report/render.hpp"

namespace sgaudit::report {
namespace {

using json = nlohmann::json;

const char* levelOf(core::Severity severity) {
  switch (severity) {
    case core::Severity::Critical:
    case core::Severity::High:
      return "error";
    case core::Severity::Medium:
      return "warning";
    case core::Severity::Low:
    case core::Severity::Info:
      return "note";
  }
  return "warning";
}

// GitHub code scanning ranks security results by this number (CVSS-like, 0.0 to 10.0).
const char* securitySeverityOf(core::Severity severity) {
  switch (severity) {
    case core::Severity::Critical:
      return "9.5";
    case core::Severity::High:
      return "8.0";
    case core::Severity::Medium:
      return "5.5";
    case core::Severity::Low:
      return "3.0";
    case core::Severity::Info:
      return "0.0";
  }
  return "5.5";
}

// Input names are paths relative to where the audit ran; SARIF wants a URI reference, so everything but
// unreserved characters and '/' is percent-encoded.
std::string uriOf(const std::string& path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                            c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

json physicalLocation(const core::Evidence& evidence) {
  json location = {{"artifactLocation", {{"uri", uriOf(evidence.source.file)}}}};
  if (evidence.source.line > 0) location["region"] = {{"startLine", evidence.source.line}};
  return location;
}

json logicalLocations(const core::Finding& finding) {
  json out = json::array();
  for (const auto& subject : finding.subjects)
    out.push_back({{"name", subject.name}, {"fullyQualifiedName", subject.key()}, {"kind", subject.kind}});
  return out;
}

}  // namespace

std::string renderSarif(const ReportView& view) {
  // One rule per check id: the catalogue's, in its order, then any other id the findings use.
  std::vector<std::string> rule_ids;
  for (const auto& info : detail::kCatalogue)
    rule_ids.emplace_back(info.id);
  std::set<std::string> extra;
  for (const auto& finding : view.findings) {
    if (detail::checkInfo(finding.check_id) == nullptr) extra.insert(finding.check_id);
  }
  rule_ids.insert(rule_ids.end(), extra.begin(), extra.end());
  std::map<std::string, std::size_t> rule_index;
  std::map<std::string, core::Severity> worst;
  for (const auto& finding : view.findings) {
    auto [it, inserted] = worst.emplace(finding.check_id, finding.severity);
    if (!inserted && finding.severity > it->second) it->second = finding.severity;
  }

  json rules = json::array();
  for (const auto& id : rule_ids) {
    rule_index[id] = rules.size();
    const detail::CheckInfo* info = detail::checkInfo(id);
    const std::string description = info ? std::string(info->description) : id;
    json rule = {{"id", id},
                 {"name", info ? std::string(info->name) : id},
                 {"shortDescription", {{"text", description}}},
                 {"fullDescription", {{"text", description}}},
                 {"help",
                  {{"text", description + " Each result carries its evidence, the deciding rule and "
                                          "fixes in the provider's own tooling."}}},
                 {"properties", {{"tags", {"security", "kubernetes", "firewall"}}}}};
    if (const auto it = worst.find(id); it != worst.end()) {
      rule["defaultConfiguration"] = {{"level", levelOf(it->second)}};
      rule["properties"]["security-severity"] = securitySeverityOf(it->second);
    }
    rules.push_back(std::move(rule));
  }

  json results = json::array();
  for (const auto& finding : view.findings) {
    json result = {{"ruleId", finding.check_id},
                   {"ruleIndex", rule_index.at(finding.check_id)},
                   {"level", levelOf(finding.severity)},
                   {"message", {{"text", finding.title}}},
                   {"partialFingerprints", {{"sgauditFingerprint/v1", finding.fingerprint}}}};
    const core::Evidence* primary = detail::primaryLocation(finding);
    json location = json::object();
    if (primary != nullptr) location["physicalLocation"] = physicalLocation(*primary);
    if (!finding.subjects.empty()) location["logicalLocations"] = logicalLocations(finding);
    if (!location.empty()) result["locations"] = json::array({location});
    json related = json::array();
    for (const auto& evidence : finding.evidence) {
      if (evidence.source.file.empty() || &evidence == primary) continue;
      related.push_back({{"id", related.size()},
                         {"physicalLocation", physicalLocation(evidence)},
                         {"message", {{"text", evidence.kind + ": " + evidence.text}}}});
    }
    if (!related.empty()) result["relatedLocations"] = std::move(related);
    json evidence = json::array();
    for (const auto& item : finding.evidence)
      evidence.push_back(item);
    json fixes = json::array();
    for (const auto& fix : finding.fixes)
      fixes.push_back(fix);
    json properties = {{"severity", core::toString(finding.severity)},
                       {"detail", finding.detail},
                       {"evidence", std::move(evidence)},
                       {"fixes", std::move(fixes)}};
    if (!finding.namespace_name.empty()) properties["namespace"] = finding.namespace_name;
    if (!finding.node.empty()) properties["node"] = finding.node;
    if (finding.protocol) properties["protocol"] = core::toString(*finding.protocol);
    if (finding.port) properties["port"] = *finding.port;
    result["properties"] = std::move(properties);
    if (finding.suppressed) {
      result["suppressions"] =
          json::array({{{"kind", "external"}, {"justification", finding.suppression_reason}}});
    }
    results.push_back(std::move(result));
  }

  json notifications = json::array();
  for (const auto& warning : view.warnings)
    notifications.push_back({{"level", "warning"}, {"message", {{"text", warning}}}});
  json driver = {{"name", view.tool_name}, {"rules", std::move(rules)}};
  if (!view.tool_version.empty()) driver["version"] = view.tool_version;
  json run = {{"tool", {{"driver", std::move(driver)}}},
              {"invocations",
               json::array({{{"executionSuccessful", true}, {"toolExecutionNotifications", notifications}}})},
              {"results", std::move(results)},
              {"properties", {{"scope", view.meta.scope}, {"auditedAt", view.meta.audited_at}}}};
  json log = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
              {"version", "2.1.0"},
              {"runs", json::array({std::move(run)})}};
  return log.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace sgaudit::report
