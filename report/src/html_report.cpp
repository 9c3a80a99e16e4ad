// The HTML report: kainjow mustache templates (embedded at build time) escape every value; the inline style
// and script are allowed by their SHA-256 in the page's Content-Security-Policy and nothing else runs. A
// large report's findings go into a JSON data island instead (see html_options.hpp and DetailsIsland).
#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include <kainjow/mustache.hpp>

#include "assets.hpp"
#include "catalogue.hpp"
#include "html_options.hpp"
#include "location.hpp"
#include "sgaudit/report/render.hpp"
#include "sha256.hpp"

namespace sgaudit::report {
namespace {

using Data = kainjow::mustache::data;
using Template = kainjow::mustache::mustache;

// Findings per collapsed chunk inside a check's group, and matrix rows per matrix group: a browser lays out
// only the open ones (and a large report builds a chunk's findings only when it is opened), so a report of
// 50,000 findings opens as a list of group headings.
constexpr std::size_t kChunk = 250;
constexpr std::size_t kNodesPerGroup = 100;
// Up to this many findings the check groups start open; up to kOpenFindings the findings do too.
constexpr std::size_t kOpenGroups = 200;
constexpr std::size_t kOpenFindings = 3;
constexpr std::size_t kChangesListed = 200;

// Markers the page template emits where the large pieces go; escaped values can never contain "<!--".
constexpr std::string_view kMatrixMarker = "<!--sgaudit:matrix-->";
constexpr std::string_view kFindingsMarker = "<!--sgaudit:findings-->";
constexpr std::string_view kDetailsMarker = "<!--sgaudit:details-->";

constexpr core::Severity kSeverities[] = {core::Severity::Critical, core::Severity::High,
                                          core::Severity::Medium, core::Severity::Low, core::Severity::Info};

// The same five entities as kainjow's html_escape, appended in runs: the report escapes tens of megabytes.
std::string escape(const std::string& text) {
  std::string out;
  out.reserve(text.size() + 16);
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char* entity = nullptr;
    switch (text[i]) {
      case '&':
        entity = "&amp;";
        break;
      case '<':
        entity = "&lt;";
        break;
      case '>':
        entity = "&gt;";
        break;
      case '"':
        entity = "&quot;";
        break;
      case '\'':
        entity = "&apos;";
        break;
      default:
        continue;
    }
    out.append(text, start, i - start);
    out += entity;
    start = i + 1;
  }
  out.append(text, start, std::string::npos);
  return out;
}

// An optional value: false when empty, so that a section on it is skipped and a lookup never falls through
// to an enclosing context that has a value of the same name.
Data optional(const std::string& text) {
  return text.empty() ? Data(false) : Data(text);
}

Data list() {
  return Data(Data::type::list);
}

Template compile(std::string_view name) {
  const std::string_view text = detail::asset(name);
  if (text.empty()) throw std::logic_error("report asset missing: " + std::string(name));
  Template tmpl{std::string(text)};
  tmpl.set_custom_escape(escape);
  if (!tmpl.is_valid())
    throw std::logic_error("report template " + std::string(name) + ": " + tmpl.error_message());
  return tmpl;
}

void renderInto(Template& tmpl, const Data& data, std::string& out) {
  tmpl.render(data, [&out](const std::string& piece) { out += piece; });
}

std::string portLabel(int port, core::PortProtocol protocol) {
  return std::to_string(port) + "/" + core::toString(protocol);
}

std::string joinLimited(const std::vector<std::string>& items, std::size_t limit) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < limit; ++i)
    out += (i == 0 ? "" : ", ") + items[i];
  if (items.size() > limit) out += " and " + std::to_string(items.size() - limit) + " more";
  return out;
}

// ---- the node-by-port matrix ----

struct CellLook {
  std::string text;
  std::string sub;
  int rank = 0;  // how bad: open 0, unknown 1, partial 2, blocked 3
};

CellLook lookOf(const MatrixCell& cell) {
  const auto& status = cell.verdict.status;
  if (!cell.check_id.empty()) {
    // A finding about a port no workload's requirement was judged on.
    if (cell.check_id == core::check::kSensitivePortExposed)
      return {"exposed to the internet", "a sensitive port", cell.suppressed ? 1 : 4};
    if (cell.check_id == core::check::kHostPortReserved)
      return {"reserved by the node", "", cell.suppressed ? 1 : 3};
    return {cell.check_id, std::string(core::toString(cell.severity)),
            cell.suppressed || cell.severity < core::Severity::High ? 2 : 3};
  }
  switch (cell.internet) {
    case InternetReach::Blocked:
      // As the finding says it: blocked for the internet while private sources get through is partly blocked.
      if (status == "partial")
        return {"partly blocked", "blocked from the internet, open to private sources", 3};
      return {"blocked from the internet", "", 3};
    case InternetReach::Open:
      return {"open to the internet", "", 0};
    case InternetReach::Partial:
      return {"partly open to the internet", "", 2};
    case InternetReach::Unknown:
    case InternetReach::NotRequired:
      break;
  }
  const std::string from = "required: " + joinLimited(cell.verdict.required, 3);
  if (status == "open") return {"open", from, 0};
  if (status == "partial") return {"partly open", from, 2};
  if (status == "blocked") return {"blocked", from, 3};
  return {"firewall unknown", from, 1};
}

const char* classOf(int rank) {
  switch (rank) {
    case 0:
      return "st-open";
    case 1:
      return "st-unknown";
    case 2:
      return "st-partial";
    case 3:
      return "st-blocked";
    default:
      return "st-exposed";
  }
}

using Column = std::pair<core::PortProtocol, int>;

// One row of the matrix: a node, or several nodes whose cells all read the same (a node pool behind one
// security group), so that a fleet of 5,000 nodes reads as a few dozen rows.
void appendJsonString(std::string& out, std::string_view text);

struct VerdictLook {
  std::string text;
  std::string sub;
  bool suppressed = false;
};

// A cell as the page shows it; `port` empty: no host port there.
struct CellOut {
  std::string css;
  std::string port;
  std::string internet;
  std::string tooltip;
  std::vector<VerdictLook> verdicts;
  bool conflict = false;
};

struct MatrixRow {
  std::vector<std::string> nodes;
  std::vector<std::vector<std::string>> tooltips;  // per column, the distinct lines over the row's nodes
  std::vector<CellOut> cells;
  std::string signature;
  int worst = 0;
  bool conflict = false;
};

// A merged cell's tooltip lists this many distinct "workload needs it from ..." lines, then "and more"; a
// merged row names this many nodes, then counts the rest.
constexpr std::size_t kTooltipLines = 6;
constexpr std::size_t kNodesNamed = 2000;

using CellsByNode = std::map<std::string, std::map<Column, std::vector<const MatrixCell*>>>;

// Each node's cells, merged into the row of an earlier node whose cells read the same; rows keep the order of
// their first node. A row's tooltips gather its nodes' distinct lines.
std::vector<MatrixRow> mergeRows(const CellsByNode& by_node, const std::vector<Column>& columns) {
  std::vector<MatrixRow> rows;
  std::unordered_map<std::string, std::size_t> row_of;
  for (const auto& [node, by_column] : by_node) {
    MatrixRow row;
    row.tooltips.resize(columns.size());
    for (std::size_t c = 0; c < columns.size(); ++c) {
      const auto found = by_column.find(columns[c]);
      if (found == by_column.end()) {
        row.signature += "-|";
        continue;
      }
      for (const MatrixCell* item : found->second) {
        const CellLook look = lookOf(*item);
        row.signature += look.text + "\x1f" + look.sub + "\x1f" + toString(item->internet) + "\x1f" +
                         (item->conflict ? "c" : "") + (item->suppressed ? "s" : "") + "\x1e";
        if (!item->check_id.empty()) {
          row.tooltips[c].push_back(item->check_id + " (" + std::string(core::toString(item->severity)) +
                                    (item->suppressed ? ", suppressed" : "") + ")");
        } else {
          row.tooltips[c].push_back(item->verdict.workload + " needs it from " +
                                    joinLimited(item->verdict.required, 5) + ": " + item->verdict.status +
                                    (item->suppressed ? " (suppressed)" : ""));
        }
      }
      row.signature += "|";
    }
    const auto [it, added] = row_of.try_emplace(row.signature, rows.size());
    if (added) {
      row.nodes.push_back(node);
      rows.push_back(std::move(row));
      continue;
    }
    MatrixRow& into = rows[it->second];
    into.nodes.push_back(node);
    for (std::size_t c = 0; c < columns.size(); ++c) {
      auto& lines = into.tooltips[c];
      for (auto& line : row.tooltips[c]) {
        if (lines.size() <= kTooltipLines && std::find(lines.begin(), lines.end(), line) == lines.end())
          lines.push_back(std::move(line));
      }
    }
  }

  return rows;
}

// Each row's cells as the page shows them (from its first node: the others read the same), with the row's
// worst status and whether it has a conflict.
void fillCells(std::vector<MatrixRow>& rows, const CellsByNode& by_node, const std::vector<Column>& columns) {
  for (MatrixRow& row : rows) {
    const auto& by_column = by_node.at(row.nodes.front());
    for (std::size_t c = 0; c < columns.size(); ++c) {
      const auto& column = columns[c];
      CellOut& cell = row.cells.emplace_back();
      const auto found = by_column.find(column);
      if (found == by_column.end()) {
        cell.css = "st-none";
        continue;
      }
      int worst = 0;
      for (const MatrixCell* item : found->second) {
        const CellLook look = lookOf(*item);
        worst = std::max(worst, look.rank);
        cell.conflict = cell.conflict || item->conflict;
        cell.verdicts.push_back({look.text, look.sub, item->suppressed});
        if (cell.internet.empty() || item->internet == InternetReach::Blocked)
          cell.internet = toString(item->internet);
      }
      const auto& lines = row.tooltips[c];
      for (std::size_t i = 0; i < lines.size() && i < kTooltipLines; ++i)
        cell.tooltip += (i == 0 ? "" : "\n") + lines[i];
      if (lines.size() > kTooltipLines) cell.tooltip += "\nand more";
      row.worst = std::max(row.worst, worst);
      row.conflict = row.conflict || cell.conflict;
      cell.css = std::string(classOf(worst)) + (cell.conflict ? " has-conflict" : "");
      cell.port = portLabel(column.second, column.first);
    }
  }
}

// The names of a row of several nodes, as its heading lists them.
std::string rowNames(const MatrixRow& row) {
  std::string names;
  for (std::size_t i = 0; i < row.nodes.size() && i < kNodesNamed; ++i)
    names += (i == 0 ? "" : ", ") + row.nodes[i];
  if (row.nodes.size() > kNodesNamed)
    names += " and " + std::to_string(row.nodes.size() - kNodesNamed) + " more";
  return names;
}

Data rowData(const MatrixRow& row) {
  const bool single = row.nodes.size() == 1;
  Data row_data;
  if (single) {
    row_data["node"] = Data(row.nodes.front());
    row_data["merged"] = Data(false);
  } else {
    Data merged;
    merged["count"] = Data(std::to_string(row.nodes.size()));
    merged["names"] = Data(rowNames(row));
    row_data["node"] = Data(false);
    row_data["merged"] = std::move(merged);
  }
  Data cells = list();
  for (const CellOut& out : row.cells) {
    Data cell;
    cell["class"] = Data(out.css);
    cell["conflict"] = Data(out.conflict);
    Data verdicts = list();
    for (const auto& look : out.verdicts) {
      Data verdict;
      verdict["text"] = Data(look.text);
      verdict["sub"] = Data(optional(look.sub));
      verdict["suppressed"] = Data(look.suppressed);
      verdicts.push_back(verdict);
    }
    cell["verdicts"] = std::move(verdicts);
    if (out.port.empty()) {
      cell["port"] = Data(false);
    } else {
      cell["node"] = single ? Data(row.nodes.front()) : Data(false);
      cell["nodes"] = single ? Data(false) : Data(std::to_string(row.nodes.size()));
      cell["port"] = Data(out.port);
      cell["internet"] = Data(out.internet);
      cell["tooltip"] = Data(out.tooltip);
    }
    cells.push_back(cell);
  }
  row_data["cells"] = std::move(cells);
  return row_data;
}

// The rows of a large matrix's groups for the page's script, which builds a group's table (text only, never
// markup) when it is opened: tens of thousands of cells are a few hundred thousand DOM nodes, which a browser
// takes seconds to parse. Strings are written once:
//   {"s": [strings], "c": [column labels as string indices],
//    "g": [per group: [per row: [node or -1, count of nodes (1: one), names of several or -1,
//          [per cell: 0 (no host port) or [class, port, internet, tooltip, conflict 0/1,
//                                           [text, sub or -1, suppressed 0/1, ...]]]]]]}
class MatrixIsland {
 public:
  explicit MatrixIsland(const std::vector<std::string>& columns) {
    out_ = ",\"c\":[";
    for (std::size_t c = 0; c < columns.size(); ++c)
      out_ += (c == 0 ? "" : ",") + std::to_string(string(columns[c]));
    out_ += "],\"g\":[";
  }

  void group(const std::vector<MatrixRow>& rows, std::size_t start, std::size_t end) {
    out_ += groups_++ == 0 ? "[" : ",[";
    for (std::size_t r = start; r < end; ++r) {
      const MatrixRow& row = rows[r];
      const bool single = row.nodes.size() == 1;
      out_ += r == start ? "[" : ",[";
      out_ += single ? std::to_string(string(row.nodes.front())) : "-1";
      out_ += "," + std::to_string(row.nodes.size()) + ",";
      out_ += single ? "-1" : std::to_string(string(rowNames(row)));
      out_ += ",[";
      for (std::size_t c = 0; c < row.cells.size(); ++c) {
        const CellOut& cell = row.cells[c];
        if (c > 0) out_ += ',';
        if (cell.port.empty()) {
          out_ += '0';
          continue;
        }
        out_ += "[" + std::to_string(string(cell.css)) + "," + std::to_string(string(cell.port)) + "," +
                std::to_string(string(cell.internet)) + "," + std::to_string(string(cell.tooltip)) + "," +
                (cell.conflict ? "1" : "0") + ",[";
        for (std::size_t v = 0; v < cell.verdicts.size(); ++v) {
          const auto& look = cell.verdicts[v];
          out_ += (v == 0 ? "" : ",") + std::to_string(string(look.text)) + "," +
                  (look.sub.empty() ? std::string("-1") : std::to_string(string(look.sub))) + "," +
                  (look.suppressed ? "1" : "0");
        }
        out_ += "]]";
      }
      out_ += "]]";
    }
    out_ += "]";
  }

  std::string html() const {
    return "<script type=\"application/json\" id=\"matrix-data\">{\"s\":[" + strings_ + "]" + out_ +
           "]}</script>\n";
  }

 private:
  std::size_t string(const std::string& text) {
    const auto [it, added] = index_.try_emplace(text, index_.size());
    if (added) {
      if (it->second > 0) strings_ += ',';
      appendJsonString(strings_, text);
    }
    return it->second;
  }

  std::unordered_map<std::string, std::size_t> index_;
  std::string strings_;
  std::string out_;
  std::size_t groups_ = 0;
};

// The rows in groups of kNodesPerGroup, each group a collapsible table (open when there is only one). Above
// `inline_rows` rows, the groups' tables are built by the page's script from a data island when opened.
std::string renderGroups(std::vector<MatrixRow>& rows, const std::vector<std::string>& columns,
                         std::size_t inline_rows) {
  Template tmpl = compile("matrix.html.mustache");
  std::string out;
  const bool open = rows.size() <= kNodesPerGroup;
  const bool lazy = rows.size() > inline_rows;
  Data column_labels = list();
  for (const auto& label : columns)
    column_labels.push_back(Data(label));
  std::optional<MatrixIsland> island;
  if (lazy) island.emplace(columns);
  std::size_t index = 0;
  for (std::size_t start = 0; start < rows.size(); start += kNodesPerGroup, ++index) {
    const std::size_t end = std::min(rows.size(), start + kNodesPerGroup);
    Data group;
    Data row_list = list();
    std::size_t nodes = 0;
    std::size_t problems = 0;
    std::size_t conflicts = 0;
    std::string first = rows[start].nodes.front();
    std::string last = first;
    for (std::size_t r = start; r < end; ++r) {
      const MatrixRow& row = rows[r];
      nodes += row.nodes.size();
      if (row.worst >= 2) problems += row.nodes.size();
      if (row.conflict) conflicts += row.nodes.size();
      first = std::min(first, row.nodes.front());
      last = std::max(last, row.nodes.back());
      if (!lazy) row_list.push_back(rowData(row));
    }
    if (lazy) island->group(rows, start, end);
    group["open"] = Data(open);
    group["lazy"] = lazy ? Data(std::to_string(index)) : Data(false);
    group["table"] = Data(!lazy);
    group["first"] = Data(first);
    group["last"] = last == first ? Data(false) : Data(last);
    group["count"] = Data(std::to_string(nodes));
    group["rows"] = Data(end - start == nodes ? Data(false) : Data(std::to_string(end - start)));
    group["problems"] = Data(problems > 0 ? Data(std::to_string(problems)) : Data(false));
    group["conflicts"] = Data(conflicts > 0 ? Data(std::to_string(conflicts)) : Data(false));
    group["columns"] = Data(column_labels);
    group["rows_list"] = std::move(row_list);
    renderInto(tmpl, group, out);
  }
  if (island) out += island->html();
  return out;
}

std::string renderMatrix(const ReportView& view, const detail::HtmlOptions& options) {
  std::set<Column> column_set;
  CellsByNode by_node;
  for (const auto& cell : view.matrix) {
    const Column column{cell.verdict.protocol, cell.verdict.port};
    column_set.insert(column);
    by_node[cell.verdict.node][column].push_back(&cell);
  }
  if (by_node.empty()) return {};
  const std::vector<Column> columns(column_set.begin(), column_set.end());
  std::vector<std::string> column_labels;
  for (const auto& [protocol, port] : columns)
    column_labels.push_back(portLabel(port, protocol));

  std::vector<MatrixRow> rows = mergeRows(by_node, columns);
  fillCells(rows, by_node, columns);
  return renderGroups(rows, column_labels, options.inline_matrix_rows_up_to);
}

// ---- findings ----

// "node-1", or "50 nodes: node-1, node-2, node-3 and 47 more".
std::string nodesText(const core::Finding& finding) {
  const std::size_t count = finding.nodes.size() + finding.nodes_left_out;
  if (count <= 1) return finding.node.empty() && count == 1 ? finding.nodes.front() : finding.node;
  std::string text = std::to_string(count) + " nodes: ";
  for (std::size_t i = 0; i < finding.nodes.size() && i < 8; ++i)
    text += (i == 0 ? "" : ", ") + finding.nodes[i];
  if (count > 8) text += " and " + std::to_string(count - 8) + " more";
  return text;
}

// The fix's title with whether sgaudit proved it by auditing again with the change applied.
std::string fixTitle(const core::Fix& fix) {
  if (!fix.verified) return fix.title;
  if (*fix.verified) return fix.title + " \u2014 verified by re-audit";
  return fix.title + " \u2014 not verified: " + fix.verification;
}

Data findingData(const core::Finding& finding, const std::string& change, bool open) {
  Data data;
  data["severity"] = Data(std::string(core::toString(finding.severity)));
  data["fingerprint"] = Data(finding.fingerprint);
  data["namespace"] = Data(optional(finding.namespace_name));
  data["title"] = Data(finding.title);
  data["change"] = Data(optional(change));
  data["is_new"] = Data(change == "new");
  data["open"] = Data(open);
  data["suppressed"] = Data(finding.suppressed);
  data["check"] = Data(finding.check_id);
  data["node"] = Data(optional(nodesText(finding)));
  data["port"] = Data(finding.port && finding.protocol ? Data(portLabel(*finding.port, *finding.protocol))
                      : finding.port                   ? Data(std::to_string(*finding.port))
                                                       : Data(false));
  data["detail"] = Data(optional(finding.detail));
  data["suppression_reason"] = Data(finding.suppression_reason);
  Data subjects = list();
  for (const auto& subject : finding.subjects) {
    Data item;
    item["kind"] = Data(subject.kind);
    item["namespace"] = Data(optional(subject.namespace_name));
    item["name"] = Data(subject.name);
    subjects.push_back(item);
  }
  data["has_subjects"] = Data(!finding.subjects.empty());
  data["subjects"] = std::move(subjects);
  Data rules = list();
  Data evidence = list();
  bool has_rules = false;
  bool has_evidence = false;
  for (const auto& item : finding.evidence) {
    Data entry;
    entry["kind"] = Data(item.kind);
    entry["text"] = Data(item.text);
    entry["location"] = Data(item.source.file.empty() ? Data(false) : Data(detail::locationText(item)));
    if (item.kind == "rule") {
      rules.push_back(entry);
      has_rules = true;
    } else {
      evidence.push_back(entry);
      has_evidence = true;
    }
  }
  data["has_rules"] = Data(has_rules);
  data["rules"] = std::move(rules);
  data["has_evidence"] = Data(has_evidence);
  data["evidence"] = std::move(evidence);
  Data fixes = list();
  for (const auto& fix : finding.fixes) {
    Data item;
    item["tool"] = Data(fix.tool);
    item["title"] = Data(fixTitle(fix));
    item["format"] = Data(fix.format);
    item["content"] = Data(fix.content);
    fixes.push_back(item);
  }
  data["has_fixes"] = Data(!finding.fixes.empty());
  data["fixes"] = std::move(fixes);
  return data;
}

// ---- the findings' details as a JSON data island ----

// A JSON string that is safe inside <script type="application/json">: besides JSON's own escapes, < > and &
// are written as \u escapes, so no value can close the element ("</script>") or open a comment ("<!--").
void appendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&') continue;
    out.append(text, start, i - start);
    start = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
  }
  out.append(text, start, std::string_view::npos);
  out += '"';
}

// The findings of a large report for the page's script, which builds them as DOM nodes (text only, never
// markup): a group's or chunk's summaries when it is opened, a finding's details when that is opened.
// Strings and fixes that repeat across findings (one security group's rule for a port on every node) are
// written once:
//   {"s": [strings], "x": [[tool, title, format, content] as string indices],
//    "b": [per finding in page order: [severity, title, fingerprint, namespace, change, node, port, detail,
//          suppression reason or -1, [kind, namespace, name, ...] subjects, [text, ...] deciding rules,
//          [kind, text, location, ...] evidence, [fix index, ...]]]}
class DetailsIsland {
 public:
  explicit DetailsIsland(std::size_t findings) {
    bodies_.reserve(findings * 64);
    string(std::string());
  }

  void add(const core::Finding& finding, const std::string& change) {
    bodies_ += bodies_.empty() ? "[" : ",[";
    number(string(core::toString(finding.severity)));
    bodies_ += ',';
    number(string(finding.title));
    bodies_ += ',';
    number(string(finding.fingerprint));
    bodies_ += ',';
    number(string(finding.namespace_name));
    bodies_ += ',';
    number(string(change));
    bodies_ += ',';
    number(string(nodesText(finding)));
    bodies_ += ',';
    number(string(finding.port && finding.protocol ? portLabel(*finding.port, *finding.protocol)
                  : finding.port                   ? std::to_string(*finding.port)
                                                   : std::string()));
    bodies_ += ',';
    number(string(finding.detail));
    bodies_ += ',';
    if (finding.suppressed)
      number(string(finding.suppression_reason));
    else
      bodies_ += "-1";
    bodies_ += ",[";
    bool first = true;
    for (const auto& subject : finding.subjects) {
      separate(first);
      number(string(subject.kind));
      bodies_ += ',';
      number(string(subject.namespace_name));
      bodies_ += ',';
      number(string(subject.name));
    }
    bodies_ += "],[";
    first = true;
    for (const auto& item : finding.evidence) {
      if (item.kind != "rule") continue;
      separate(first);
      number(string(item.text));
    }
    bodies_ += "],[";
    first = true;
    for (const auto& item : finding.evidence) {
      if (item.kind == "rule") continue;
      separate(first);
      number(string(item.kind));
      bodies_ += ',';
      number(string(item.text));
      bodies_ += ',';
      number(string(item.source.file.empty() ? std::string() : detail::locationText(item)));
    }
    bodies_ += "],[";
    first = true;
    for (const auto& fix : finding.fixes) {
      separate(first);
      number(fixIndex(fix));
    }
    bodies_ += "]]";
  }

  std::string html() const {
    std::string out;
    out.reserve(strings_.size() + fixes_.size() + bodies_.size() + 128);
    out += "<script type=\"application/json\" id=\"finding-details\">{\"s\":[";
    out += strings_;
    out += "],\"x\":[";
    out += fixes_;
    out += "],\"b\":[";
    out += bodies_;
    out += "]}</script>\n";
    return out;
  }

 private:
  // Looked up by view, without a copy; a string seen for the first time is kept (in a deque, which never
  // moves it) so that the key stays valid.
  std::size_t string(std::string_view text) {
    const auto found = string_index_.find(text);
    if (found != string_index_.end()) return found->second;
    const std::size_t index = string_index_.size();
    string_index_.emplace(kept_.emplace_back(text), index);
    if (index > 0) strings_ += ',';
    appendJsonString(strings_, text);
    return index;
  }

  std::size_t fixIndex(const core::Fix& fix) {
    const std::size_t parts[] = {string(fix.tool), string(fixTitle(fix)), string(fix.format),
                                 string(fix.content)};
    std::string key;
    for (std::size_t part : parts)
      key += std::to_string(part) + ",";
    key.pop_back();
    const auto [it, added] = fix_index_.try_emplace(key, fix_index_.size());
    if (added) fixes_ += (it->second > 0 ? ",[" : "[") + key + "]";
    return it->second;
  }

  void number(std::size_t value) { bodies_ += std::to_string(value); }
  void separate(bool& first) {
    if (!first) bodies_ += ',';
    first = false;
  }

  std::deque<std::string> kept_;
  std::unordered_map<std::string_view, std::size_t> string_index_;
  std::unordered_map<std::string, std::size_t> fix_index_;
  std::string strings_;
  std::string fixes_;
  std::string bodies_;
};

struct FindingsHtml {
  std::string list;     // the check groups with every finding's summary (and, inline, its details)
  std::string details;  // the JSON data island with the details, when they are not inline
};

FindingsHtml renderFindings(const ReportView& view, const detail::HtmlOptions& options) {
  // Groups by check, in the order the checks first appear (the findings come most severe first).
  std::vector<std::string> order;
  std::map<std::string, std::vector<const core::Finding*>> groups;
  for (const auto& finding : view.findings) {
    auto& group = groups[finding.check_id];
    if (group.empty()) order.push_back(finding.check_id);
    group.push_back(&finding);
  }
  std::unordered_set<std::string> added;
  std::unordered_set<std::string> regraded;
  if (view.changes) {
    added.insert(view.changes->added.begin(), view.changes->added.end());
    for (const auto& change : view.changes->severity_changed)
      regraded.insert(change.fingerprint);
  }
  const bool groups_open = view.findings.size() <= kOpenGroups;
  const bool findings_open = view.findings.size() <= kOpenFindings;
  const bool inline_details = view.findings.size() <= options.inline_details_up_to;
  auto changeOf = [&](const core::Finding& finding) -> std::string {
    if (!view.changes) return {};
    return added.count(finding.fingerprint)      ? "new"
           : regraded.count(finding.fingerprint) ? "severity-changed"
                                                 : "unchanged";
  };

  std::vector<const core::Finding*> ordered;
  ordered.reserve(view.findings.size());
  for (const auto& check : order) {
    for (const core::Finding* finding : groups.at(check))
      ordered.push_back(finding);
  }
  FindingsHtml out;
  std::vector<std::string> pieces;
  if (inline_details) {
    pieces.resize(ordered.size());
    Template tmpl = compile("finding.html.mustache");
    for (std::size_t i = 0; i < ordered.size(); ++i)
      renderInto(tmpl, findingData(*ordered[i], changeOf(*ordered[i]), findings_open), pieces[i]);
  } else {
    DetailsIsland island(ordered.size());
    for (const core::Finding* finding : ordered)
      island.add(*finding, changeOf(*finding));
    out.details = island.html();
  }

  // A group or chunk of a large report names the range of findings (in page order) it holds; the script
  // builds them when it is opened.
  auto range = [&](std::size_t begin, std::size_t end) {
    return inline_details
               ? std::string()
               : " data-from=\"" + std::to_string(begin) + "\" data-to=\"" + std::to_string(end) + "\"";
  };
  std::string& html = out.list;
  std::size_t total = 0;
  for (const auto& piece : pieces)
    total += piece.size() + 1;
  html.reserve(total + order.size() * 300 + ordered.size() / kChunk * 200);
  std::size_t next = 0;
  for (const auto& check : order) {
    const auto& members = groups.at(check);
    const detail::CheckInfo* info = detail::checkInfo(check);
    const bool chunked = members.size() > kChunk;
    html += "<details class=\"check-group\" data-check=\"" + escape(check) + "\"" +
            (chunked ? std::string() : range(next, next + members.size())) + (groups_open ? " open" : "") +
            "><summary><code>" + escape(check) + "</code> <span class=\"group-count\">" +
            std::to_string(members.size()) + "</span>" +
            (info ? " <span class=\"check-desc-inline\">" + escape(std::string(info->description)) + "</span>"
                  : "") +
            "</summary>\n";
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (chunked && i % kChunk == 0) {
        const std::size_t end = std::min(members.size(), i + kChunk);
        html += "<details class=\"chunk\"" + range(next, next + end - i) + "><summary>" + escape(check) +
                " " + std::to_string(i + 1) + "&ndash;" + std::to_string(end) +
                " (<span class=\"group-count\">" + std::to_string(end - i) + "</span> shown)</summary>\n";
      }
      // Without JavaScript a large report still lists each finding's severity and title. With it, a browser
      // reads a <noscript> element's content as one text node, so the list costs no DOM.
      const bool range_starts = chunked ? i % kChunk == 0 : i == 0;
      const bool range_ends = i + 1 == members.size() || (chunked && (i + 1) % kChunk == 0);
      if (inline_details) {
        html += pieces[next] + "\n";
      } else {
        if (range_starts) html += "<noscript><ul class=\"titles\">";
        const std::string_view severity = core::toString(ordered[next]->severity);
        html += "<li><span class=\"sev sev-";
        html += severity;
        html += "\">";
        html += severity;
        html += "</span> " + escape(ordered[next]->title) + "</li>";
        if (range_ends) html += "</ul></noscript>\n";
      }
      ++next;
      if (chunked && range_ends) html += "</details>\n";
    }
    html += "</details>\n";
  }
  return out;
}

// ---- the page ----

void addChanges(const ReportView& view, Data& page) {
  const ChangeSet& changes = *view.changes;
  std::unordered_map<std::string, const core::Finding*> by_fingerprint;
  for (const auto& finding : view.findings)
    by_fingerprint.emplace(finding.fingerprint, &finding);
  page["has_changes"] = Data(true);
  page.set("changes_open",
           changes.added.size() + changes.resolved.size() + changes.severity_changed.size() <= 20);
  page["added_count"] = Data(std::to_string(changes.added.size()));
  page["resolved_count"] = Data(std::to_string(changes.resolved.size()));
  page["regraded_count"] = Data(std::to_string(changes.severity_changed.size()));
  page["unchanged_count"] = Data(std::to_string(changes.unchanged));
  auto more = [](std::size_t size) {
    return size > kChangesListed ? Data(std::to_string(size - kChangesListed)) : Data(false);
  };
  Data added = list();
  for (std::size_t i = 0; i < changes.added.size() && i < kChangesListed; ++i) {
    const core::Finding& finding = *by_fingerprint.at(changes.added[i]);
    Data item;
    item["severity"] = Data(std::string(core::toString(finding.severity)));
    item["check"] = Data(finding.check_id);
    item["fingerprint"] = Data(finding.fingerprint);
    item["title"] = Data(finding.title);
    added.push_back(item);
  }
  page["has_added"] = Data(!changes.added.empty());
  page["added"] = std::move(added);
  page["added_more"] = Data(more(changes.added.size()));
  auto change_list = [](const std::vector<FindingChange>& source) {
    Data out = list();
    for (std::size_t i = 0; i < source.size() && i < kChangesListed; ++i) {
      Data item;
      item["severity"] = Data(std::string(core::toString(source[i].severity)));
      item["previous"] =
          Data(source[i].previous_severity ? Data(std::string(core::toString(*source[i].previous_severity)))
                                           : Data(false));
      item["check"] = Data(source[i].check_id);
      item["fingerprint"] = Data(source[i].fingerprint);
      item["title"] = Data(source[i].title);
      out.push_back(item);
    }
    return out;
  };
  page["has_resolved"] = Data(!changes.resolved.empty());
  page["resolved"] = Data(change_list(changes.resolved));
  page["resolved_more"] = Data(more(changes.resolved.size()));
  page["has_regraded"] = Data(!changes.severity_changed.empty());
  page["regraded"] = Data(change_list(changes.severity_changed));
  page["regraded_more"] = Data(more(changes.severity_changed.size()));
}

// The critical and high findings first, above the fold: each with how far it reaches and its first fix,
// worst first and, within a severity, the widest first.
constexpr std::size_t kWorstListed = 8;
constexpr std::size_t kFixPreviewLines = 4;

void addWorst(const ReportView& view, Data& page) {
  std::vector<const core::Finding*> worst;
  for (const auto& finding : view.findings) {
    if (!finding.suppressed && finding.severity >= core::Severity::High) worst.push_back(&finding);
  }
  auto reach = [](const core::Finding* finding) { return finding->nodes.size() + finding->nodes_left_out; };
  std::stable_sort(worst.begin(), worst.end(), [&](const core::Finding* a, const core::Finding* b) {
    if (a->severity != b->severity) return a->severity > b->severity;
    return reach(a) > reach(b);
  });
  Data items = list();
  for (std::size_t i = 0; i < worst.size() && i < kWorstListed; ++i) {
    const core::Finding& finding = *worst[i];
    Data item;
    item["severity"] = Data(std::string(core::toString(finding.severity)));
    item["fingerprint"] = Data(finding.fingerprint);
    item["title"] = Data(finding.title);
    const std::size_t nodes = reach(worst[i]);
    item["reach"] = Data(nodes == 0   ? Data(false)
                         : nodes == 1 ? Data("on 1 node")
                                      : Data("on " + std::to_string(nodes) + " nodes"));
    if (finding.fixes.empty()) {
      item["fix"] = Data(false);
    } else {
      const core::Fix& fix = finding.fixes.front();
      std::string preview;
      std::size_t start = 0;
      for (std::size_t line = 0; line < kFixPreviewLines && start < fix.content.size(); ++line) {
        const std::size_t end = fix.content.find('\n', start);
        preview += fix.content.substr(start, end == std::string::npos ? std::string::npos : end - start + 1);
        start = end == std::string::npos ? fix.content.size() : end + 1;
      }
      if (start < fix.content.size()) preview += "\u2026 (the whole fix is in the finding below)";
      Data first;
      first["tool"] = Data(fix.tool);
      first["title"] = Data(fixTitle(fix));
      first["preview"] = Data(preview);
      item["fix"] = std::move(first);
    }
    items.push_back(item);
  }
  page["has_worst"] = Data(!worst.empty());
  page["worst"] = std::move(items);
  page["worst_more"] =
      Data(worst.size() > kWorstListed ? Data(std::to_string(worst.size() - kWorstListed)) : Data(false));
}

Data pageData(const ReportView& view, const std::string& csp, const detail::HtmlOptions& options) {
  Data page;
  page["csp"] = Data(csp);
  page["style"] = Data(std::string(detail::asset("report.css")));
  page["script"] = Data(std::string(detail::asset("report.js")));
  page["scope"] = Data(view.meta.scope.empty() ? "(unnamed scope)" : view.meta.scope);
  page["audited_at"] = Data(view.meta.audited_at.empty() ? "(time not given)" : view.meta.audited_at);
  page["tool"] = Data(view.tool_name + (view.tool_version.empty() ? "" : " " + view.tool_version));
  const auto& policy = view.meta.policy;
  page["policy_label"] = Data(policy.is_null()     ? "none (the defaults)"
                              : policy.is_string() ? policy.get<std::string>()
                                                   : "given (see Inputs and policy)");
  page["policy_text"] =
      Data(policy.is_null()     ? "No policy: every host port is checked against the defaults."
           : policy.is_string() ? policy.get<std::string>()
                                : policy.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
  page["input_count"] = Data(std::to_string(view.inputs.size()));
  page["node_count"] = Data(std::to_string(view.nodes.size()));
  page["total"] = Data(std::to_string(view.findings.size()));
  page["suppressed"] = Data(view.suppressed > 0 ? Data(std::to_string(view.suppressed)) : Data(false));
  page["no_findings"] = Data(view.findings.empty());
  page["no_matrix"] = Data(view.matrix.empty());
  page["matrix_html"] = Data(std::string(kMatrixMarker));
  page["findings_html"] = Data(std::string(kFindingsMarker));
  page["details_html"] = Data(std::string(kDetailsMarker));
  page["details_inline"] = Data(view.findings.size() <= options.inline_details_up_to);

  Data severities = list();
  for (auto severity : kSeverities) {
    const auto it = view.by_severity.find(severity);
    Data item;
    item["name"] = Data(std::string(core::toString(severity)));
    item["count"] = Data(std::to_string(it == view.by_severity.end() ? 0 : it->second));
    severities.push_back(item);
  }
  page["severities"] = std::move(severities);

  std::string severity_line;
  for (auto severity : kSeverities) {  // worst first
    const auto found = view.by_severity.find(severity);
    if (found == view.by_severity.end() || found->second == 0) continue;
    severity_line += (severity_line.empty() ? "" : ", ") + std::to_string(found->second) + " " +
                     std::string(core::toString(severity));
  }
  page["severity_line"] = Data(optional(severity_line));
  addWorst(view, page);

  Data checks = list();
  std::set<std::string> listed;
  auto add_check = [&](const std::string& id, const std::string& description) {
    const auto it = view.by_check.find(id);
    if (it == view.by_check.end() || it->second == 0) return;  // the checks that found nothing: not listed
    Data item;
    item["id"] = Data(id);
    item["description"] = Data(description);
    item["count"] = Data(std::to_string(it == view.by_check.end() ? 0 : it->second));
    checks.push_back(item);
    listed.insert(id);
  };
  for (const auto& info : detail::kCatalogue)
    add_check(std::string(info.id), std::string(info.description));
  for (const auto& [id, count] : view.by_check) {
    if (!listed.count(id)) add_check(id, "");
  }
  page["checks"] = std::move(checks);

  std::set<core::Severity> present_severities;
  std::set<std::string> present_checks;
  std::set<std::string> namespaces;
  for (const auto& finding : view.findings) {
    present_severities.insert(finding.severity);
    present_checks.insert(finding.check_id);
    namespaces.insert(finding.namespace_name);
  }
  Data severity_options = list();
  for (auto severity : kSeverities) {
    if (present_severities.count(severity)) severity_options.push_back(std::string(core::toString(severity)));
  }
  page["severity_options"] = std::move(severity_options);
  Data check_options = list();
  for (const auto& id : present_checks)
    check_options.push_back(id);
  page["check_options"] = std::move(check_options);
  Data namespace_options = list();
  for (const auto& name : namespaces) {
    Data item;
    item["value"] = Data(name);
    item["label"] = Data(name.empty() ? "(none)" : name);
    namespace_options.push_back(item);
  }
  page["namespace_options"] = std::move(namespace_options);

  page["has_warnings"] = Data(!view.warnings.empty());
  Data warnings = list();
  for (const auto& warning : view.warnings) {
    Data item;
    item["text"] = Data(warning);
    warnings.push_back(item);
  }
  page["warnings"] = std::move(warnings);
  Data inputs = list();
  for (const auto& input : view.inputs) {
    Data item;
    item["name"] = Data(input.name);
    item["kind"] = Data(input.kind);
    inputs.push_back(item);
  }
  page["inputs"] = std::move(inputs);
  Data nodes = list();
  for (const auto& node : view.nodes) {
    Data item;
    item["node"] = Data(node.node);
    item["instance"] = Data(node.instance_id.empty() ? "(not matched)" : node.instance_id);
    item["matched_by"] = Data(node.method);
    nodes.push_back(item);
  }
  page["nodes"] = std::move(nodes);
  page["has_changes"] = Data(false);
  if (view.changes) addChanges(view, page);
  return page;
}

}  // namespace

std::string detail::renderHtml(const ReportView& view, const HtmlOptions& options) {
  // Only the page's own style sheet and script, by hash; no other origin, no plugins, no forms, no framing
  // of other pages. 'unsafe-inline' is never allowed, so markup injected through a value could not run.
  // The findings' data island is <script type="application/json">, which a browser never runs.
  static const std::string csp =
      "default-src 'none'; style-src " + detail::cspHash(detail::asset("report.css")) + "; script-src " +
      detail::cspHash(detail::asset("report.js")) + "; img-src data:; base-uri 'none'; form-action 'none'";
  Template page_template = compile("report.html.mustache");
  std::string page;
  renderInto(page_template, pageData(view, csp, options), page);
  const auto matrix_at = page.find(kMatrixMarker);
  const auto findings_at = page.find(kFindingsMarker);
  const auto details_at = page.find(kDetailsMarker);
  if (matrix_at == std::string::npos || findings_at == std::string::npos || details_at == std::string::npos ||
      findings_at < matrix_at || details_at < findings_at)
    throw std::logic_error("report.html.mustache lost its matrix, findings or details marker");
  const std::string matrix = renderMatrix(view, options);
  const FindingsHtml findings = renderFindings(view, options);
  std::string out;
  out.reserve(page.size() + findings.list.size() + findings.details.size() + matrix.size());
  out.append(page, 0, matrix_at);
  out += matrix;
  out.append(page, matrix_at + kMatrixMarker.size(), findings_at - matrix_at - kMatrixMarker.size());
  out += findings.list;
  out.append(page, findings_at + kFindingsMarker.size(), details_at - findings_at - kFindingsMarker.size());
  out += findings.details;
  out.append(page, details_at + kDetailsMarker.size(), std::string::npos);
  return out;
}

std::string renderHtml(const ReportView& view) {
  return detail::renderHtml(view, {});
}

}  // namespace sgaudit::report
