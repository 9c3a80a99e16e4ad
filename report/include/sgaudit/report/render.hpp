#pragma once

// The four renderers. Each is a pure function of the view: the same view gives the same bytes.

#include <string>

#include "sgaudit/report/view.hpp"

namespace sgaudit::report {

// The API's own shape: the audit document (findings as core::to_json writes them, matrix, nodes, inputs,
// warnings, summary) with the report's metadata and, given a previous audit, "changes".
std::string renderJson(const ReportView& view);

// One self-contained HTML page: inline CSS and script allowed by a Content-Security-Policy hash, no external
// fetches, every value from the inputs escaped by the template.
std::string renderHtml(const ReportView& view);

// SARIF 2.1.0: one rule per check id, one result per finding, locations at the input file and line.
std::string renderSarif(const ReportView& view);

// RFC 4180 CSV (CRLF line ends), one row per finding. A cell that starts with = + - @, a tab or a carriage
// return gets a leading ' so that a spreadsheet does not run it as a formula.
std::string renderCsv(const ReportView& view);

}  // namespace sgaudit::report
