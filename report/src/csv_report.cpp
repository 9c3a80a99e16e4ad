#include <unordered_set>

#include "location.hpp"
#include "sgaudit/report/render.hpp"

namespace sgaudit::report {
namespace {

// A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection"); a leading
// ' makes it text in Excel, LibreOffice and Google Sheets.
bool looksLikeFormula(const std::string& cell) {
  return !cell.empty() && (cell[0] == '=' || cell[0] == '+' || cell[0] == '-' || cell[0] == '@' ||
                           cell[0] == '\t' || cell[0] == '\r');
}

void appendCell(std::string& out, const std::string& value) {
  const std::string cell = looksLikeFormula(value) ? "'" + value : value;
  if (cell.find_first_of(",\"\r\n") == std::string::npos) {
    out += cell;
    return;
  }
  out += '"';
  for (char c : cell) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

void appendRow(std::string& out, const std::vector<std::string>& cells) {
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) out += ',';
    appendCell(out, cells[i]);
  }
  out += "\r\n";
}

template <class T, class Format>
std::string joined(const std::vector<T>& items, const char* separator, Format&& format) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += format(item);
  }
  return out;
}

// Every node the finding reaches, space-separated, so that a spreadsheet's "contains" filter finds each; a
// list the JSON cut says how many it left out.
std::string nodesCell(const core::Finding& finding) {
  if (finding.nodes.empty()) return finding.node;
  std::string cell;
  for (const auto& node : finding.nodes)
    cell += (cell.empty() ? "" : " ") + node;
  if (finding.nodes_left_out > 0) cell += " (and " + std::to_string(finding.nodes_left_out) + " more)";
  return cell;
}

}  // namespace

std::string renderCsv(const ReportView& view) {
  std::string out;
  appendRow(out,
            {"severity", "check", "title", "namespace", "node", "protocol", "port", "subjects", "location",
             "detail", "evidence", "fixes", "fingerprint", "suppressed", "suppression_reason", "change"});
  // What the audit could not judge, first: a row each, of severity "warning", so that a spreadsheet opens
  // on them and a filter on the findings' severities leaves them out.
  for (const auto& warning : view.warnings)
    appendRow(out,
              {"warning", "sgaudit.warning", warning, "", "", "", "", "", "", "", "", "", "", "", "", ""});
  std::unordered_set<std::string> added;
  std::unordered_set<std::string> regraded;
  if (view.changes) {
    added.insert(view.changes->added.begin(), view.changes->added.end());
    for (const auto& change : view.changes->severity_changed)
      regraded.insert(change.fingerprint);
  }
  for (const auto& finding : view.findings) {
    const core::Evidence* location = detail::primaryLocation(finding);
    std::string change;
    if (view.changes) {
      change = added.count(finding.fingerprint)      ? "new"
               : regraded.count(finding.fingerprint) ? "severity changed"
                                                     : "unchanged";
    }
    appendRow(out,
              {std::string(core::toString(finding.severity)), finding.check_id, finding.title,
               finding.namespace_name, nodesCell(finding),
               finding.protocol ? core::toString(*finding.protocol) : "",
               finding.port ? std::to_string(*finding.port) : "",
               joined(finding.subjects, "; ", [](const core::Subject& s) { return s.key(); }),
               location ? detail::locationText(*location) : "", finding.detail,
               joined(finding.evidence, "\n",
                      [](const core::Evidence& e) {
                        return e.kind + ": " + e.text +
                               (e.source.file.empty() ? "" : " (" + detail::locationText(e) + ")");
                      }),
               joined(finding.fixes, "\n", [](const core::Fix& f) { return f.tool + ": " + f.title; }),
               finding.fingerprint, finding.suppressed ? "yes" : "no", finding.suppression_reason, change});
  }
  return out;
}

}  // namespace sgaudit::report
