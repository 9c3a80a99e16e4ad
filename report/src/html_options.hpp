#pragma once

// The HTML renderer with its one tuning knob exposed, for tests that need the large-report layout on a small
// view. renderHtml(view) is this with the defaults.

#include <cstddef>
#include <string>

#include "sgaudit/report/view.hpp"

namespace sgaudit::report::detail {

struct HtmlOptions {
  // Up to this many findings, each finding's details (facts, subjects, deciding rule, evidence, fixes) are
  // HTML in the page: readable without JavaScript and printable as they are. Above it they travel as one
  // JSON data island, strings and fixes written once, that the page's script turns into DOM nodes when a
  // finding is opened: HTML for 50,000 findings' details is 150 MiB and millions of DOM nodes, which a
  // browser takes tens of seconds to parse.
  std::size_t inline_details_up_to = 1000;
  // Up to this many rows (nodes, or nodes that read the same), the node-by-port matrix is HTML in the page.
  // Above it, its groups (collapsed) travel as a JSON data island that the page's script turns into a table
  // when a group is opened: a fleet's matrix is tens of thousands of cells, which made the page's first
  // frame take over 2 s.
  std::size_t inline_matrix_rows_up_to = 1000;
};

std::string renderHtml(const ReportView& view, const HtmlOptions& options);

}  // namespace sgaudit::report::detail
