#include <nlohmann/json.hpp>

#include "sgaudit/report/render.hpp"

namespace sgaudit::report {

std::string renderJson(const ReportView& view) {
  using json = nlohmann::json;
  json by_severity = json::object();
  for (const auto& [severity, count] : view.by_severity)
    by_severity[std::string(core::toString(severity))] = count;
  // The audit's verdicts only: the cells the view adds for findings' own ports are the findings, listed.
  std::vector<const MatrixCell*> judged;
  std::vector<core::PortVerdict> verdicts;
  for (const auto& cell : view.matrix) {
    if (!cell.check_id.empty()) continue;
    judged.push_back(&cell);
    verdicts.push_back(cell.verdict);
  }
  json address_sets = json::array();
  json matrix = core::matrixToJson(verdicts, address_sets);
  for (std::size_t i = 0; i < judged.size(); ++i) {
    matrix[i]["internet"] = toString(judged[i]->internet);
    matrix[i]["conflict"] = judged[i]->conflict;
  }
  json inputs = json::array();
  for (const auto& input : view.inputs)
    inputs.push_back({{"name", input.name}, {"kind", input.kind}});
  json document = {
      {"report",
       {{"scope", view.meta.scope}, {"audited_at", view.meta.audited_at}, {"policy", view.meta.policy}}},
      {"tool", {{"name", view.tool_name}, {"version", view.tool_version}}},
      {"summary",
       {{"findings", view.findings.size()},
        {"suppressed", view.suppressed},
        {"by_severity", by_severity},
        {"by_check", view.by_check}}},
      {"findings", view.findings},
      {"matrix", matrix},
      {"address_sets", address_sets},
      {"nodes", view.nodes},
      {"inputs", inputs},
      {"warnings", view.warnings}};
  if (view.changes) {
    auto changes_of = [](const std::vector<FindingChange>& list) {
      json out = json::array();
      for (const auto& change : list) {
        json item = {{"fingerprint", change.fingerprint},
                     {"check", change.check_id},
                     {"severity", core::toString(change.severity)},
                     {"title", change.title}};
        if (change.previous_severity) item["previous_severity"] = core::toString(*change.previous_severity);
        out.push_back(std::move(item));
      }
      return out;
    };
    document["changes"] = {{"added", view.changes->added},
                           {"resolved", changes_of(view.changes->resolved)},
                           {"severity_changed", changes_of(view.changes->severity_changed)},
                           {"unchanged", view.changes->unchanged}};
  }
  return document.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace sgaudit::report
