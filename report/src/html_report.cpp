// The HTML report: kainjow mustache templates (embedded at build time) escape every value; the inline style
// and script are allowed by their SHA-256 in the page's Content-Security-Policy and nothing else runs.
#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include <kainjow/mustache.hpp>

#include "assets.hpp"
#include "catalogue.hpp"
#include "location.hpp"
#include "sgaudit/report/render.hpp"
#include "sha256.hpp"

namespace sgaudit::report {
namespace {

using Data = kainjow::mustache::data;
using Template = kainjow::mustache::mustache;

// Findings per collapsed chunk inside a check's group, and nodes per matrix group: a browser lays out only
// the open ones, so a report of 50,000 findings opens as a list of group headings.
constexpr std::size_t kChunk = 250;
constexpr std::size_t kNodesPerGroup = 100;
// Up to this many findings the check groups start open; up to kOpenFindings the findings do too.
constexpr std::size_t kOpenGroups = 200;
constexpr std::size_t kOpenFindings = 3;
constexpr std::size_t kChangesListed = 200;

// Markers the page template emits where the large pieces go; escaped values can never contain "<!--".
constexpr std::string_view kMatrixMarker = "<!--sgaudit:matrix-->";
constexpr std::string_view kFindingsMarker = "<!--sgaudit:findings-->";

constexpr core::Severity kSeverities[] = {core::Severity::Critical, core::Severity::High,
                                          core::Severity::Medium, core::Severity::Low, core::Severity::Info};

std::string escape(const std::string& text) {
  return kainjow::mustache::html_escape<std::string>(text);
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
  switch (cell.internet) {
    case InternetReach::Blocked:
      return {"blocked from the internet", status == "partial" ? "admitted from private sources only" : "",
              3};
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
    default:
      return "st-blocked";
  }
}

using Column = std::pair<core::PortProtocol, int>;

std::string renderMatrix(const ReportView& view) {
  std::set<Column> column_set;
  std::map<std::string, std::map<Column, std::vector<const MatrixCell*>>> rows;
  for (const auto& cell : view.matrix) {
    const Column column{cell.verdict.protocol, cell.verdict.port};
    column_set.insert(column);
    rows[cell.verdict.node][column].push_back(&cell);
  }
  if (rows.empty()) return {};
  const std::vector<Column> columns(column_set.begin(), column_set.end());
  Data column_labels = list();
  for (const auto& [protocol, port] : columns)
    column_labels.push_back(portLabel(port, protocol));

  Template tmpl = compile("matrix.html.mustache");
  std::string out;
  const bool open = rows.size() <= kNodesPerGroup;
  auto row = rows.begin();
  while (row != rows.end()) {
    Data group;
    Data row_list = list();
    std::size_t count = 0;
    std::size_t problems = 0;
    std::size_t conflicts = 0;
    const std::string first = row->first;
    std::string last;
    for (; row != rows.end() && count < kNodesPerGroup; ++row, ++count) {
      const auto& [node, by_column] = *row;
      last = node;
      Data cells = list();
      int worst_in_row = 0;
      bool conflict_in_row = false;
      for (const auto& column : columns) {
        Data cell;
        const auto found = by_column.find(column);
        if (found == by_column.end()) {
          cell.set("class", "st-none");
          cell.set("port", false);
          cell.set("verdicts", list());
          cell.set("conflict", false);
          cells.push_back(cell);
          continue;
        }
        Data verdicts = list();
        int worst = 0;
        bool conflict = false;
        std::string tooltip;
        std::string internet;
        for (const MatrixCell* item : found->second) {
          const CellLook look = lookOf(*item);
          worst = std::max(worst, look.rank);
          conflict = conflict || item->conflict;
          Data verdict;
          verdict.set("text", look.text);
          verdict.set("sub", optional(look.sub));
          verdicts.push_back(verdict);
          tooltip += (tooltip.empty() ? "" : "\n") + item->verdict.workload + " needs it from " +
                     joinLimited(item->verdict.required, 5) + ": " + item->verdict.status;
          if (internet.empty() || item->internet == InternetReach::Blocked)
            internet = toString(item->internet);
        }
        worst_in_row = std::max(worst_in_row, worst);
        conflict_in_row = conflict_in_row || conflict;
        cell.set("class", std::string(classOf(worst)) + (conflict ? " has-conflict" : ""));
        cell.set("node", node);
        cell.set("port", portLabel(column.second, column.first));
        cell.set("internet", internet);
        cell.set("tooltip", tooltip);
        cell.set("verdicts", verdicts);
        cell.set("conflict", conflict);
        cells.push_back(cell);
      }
      if (worst_in_row >= 2) ++problems;
      if (conflict_in_row) ++conflicts;
      Data row_data;
      row_data.set("node", node);
      row_data.set("cells", cells);
      row_list.push_back(row_data);
    }
    group.set("open", open);
    group.set("first", first);
    group.set("last", last);
    group.set("count", std::to_string(count));
    group.set("problems", problems > 0 ? Data(std::to_string(problems)) : Data(false));
    group.set("conflicts", conflicts > 0 ? Data(std::to_string(conflicts)) : Data(false));
    group.set("columns", column_labels);
    group.set("rows", row_list);
    renderInto(tmpl, group, out);
  }
  return out;
}

// ---- findings ----

Data findingData(const core::Finding& finding, const std::string& change, bool open) {
  Data data;
  data.set("severity", std::string(core::toString(finding.severity)));
  data.set("check", finding.check_id);
  data.set("fingerprint", finding.fingerprint);
  data.set("namespace", optional(finding.namespace_name));
  data.set("node", optional(finding.node));
  data.set("port", finding.port && finding.protocol ? Data(portLabel(*finding.port, *finding.protocol))
                   : finding.port                   ? Data(std::to_string(*finding.port))
                                                    : Data(false));
  data.set("title", finding.title);
  data.set("detail", optional(finding.detail));
  data.set("change", change);
  data.set("is_new", change == "new");
  data.set("open", open);
  data.set("suppressed", finding.suppressed);
  data.set("suppression_reason", finding.suppression_reason);
  Data subjects = list();
  for (const auto& subject : finding.subjects) {
    Data item;
    item.set("kind", subject.kind);
    item.set("namespace", optional(subject.namespace_name));
    item.set("name", subject.name);
    subjects.push_back(item);
  }
  data.set("has_subjects", !finding.subjects.empty());
  data.set("subjects", subjects);
  Data rules = list();
  Data evidence = list();
  bool has_rules = false;
  bool has_evidence = false;
  for (const auto& item : finding.evidence) {
    Data entry;
    entry.set("kind", item.kind);
    entry.set("text", item.text);
    entry.set("location", item.source.file.empty() ? Data(false) : Data(detail::locationText(item)));
    if (item.kind == "rule") {
      rules.push_back(entry);
      has_rules = true;
    } else {
      evidence.push_back(entry);
      has_evidence = true;
    }
  }
  data.set("has_rules", has_rules);
  data.set("rules", rules);
  data.set("has_evidence", has_evidence);
  data.set("evidence", evidence);
  Data fixes = list();
  for (const auto& fix : finding.fixes) {
    Data item;
    item.set("tool", fix.tool);
    item.set("title", fix.title);
    item.set("format", fix.format);
    item.set("content", fix.content);
    fixes.push_back(item);
  }
  data.set("has_fixes", !finding.fixes.empty());
  data.set("fixes", fixes);
  return data;
}

std::string renderFindings(const ReportView& view) {
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
  Template tmpl = compile("finding.html.mustache");
  const bool groups_open = view.findings.size() <= kOpenGroups;
  const bool findings_open = view.findings.size() <= kOpenFindings;
  std::string out;
  out.reserve(view.findings.size() * 3000);
  for (const auto& check : order) {
    const auto& members = groups.at(check);
    const detail::CheckInfo* info = detail::checkInfo(check);
    out += "<details class=\"check-group\" data-check=\"" + escape(check) + "\"" +
           (groups_open ? " open" : "") + "><summary><code>" + escape(check) +
           "</code> <span class=\"group-count\">" + std::to_string(members.size()) + "</span>" +
           (info ? " <span class=\"check-desc-inline\">" + escape(std::string(info->description)) + "</span>"
                 : "") +
           "</summary>\n";
    const bool chunked = members.size() > kChunk;
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (chunked && i % kChunk == 0) {
        const std::size_t end = std::min(members.size(), i + kChunk);
        out += "<details class=\"chunk\"><summary>" + escape(check) + " " + std::to_string(i + 1) +
               "&ndash;" + std::to_string(end) + " (<span class=\"group-count\">" + std::to_string(end - i) +
               "</span> shown)</summary>\n";
      }
      const core::Finding& finding = *members[i];
      std::string change;
      if (view.changes) {
        change = added.count(finding.fingerprint)      ? "new"
                 : regraded.count(finding.fingerprint) ? "severity-changed"
                                                       : "unchanged";
      }
      renderInto(tmpl, findingData(finding, change, findings_open), out);
      if (chunked && (i + 1 == members.size() || (i + 1) % kChunk == 0)) out += "</details>\n";
    }
    out += "</details>\n";
  }
  return out;
}

// ---- the page ----

void addChanges(const ReportView& view, Data& page) {
  const ChangeSet& changes = *view.changes;
  std::unordered_map<std::string, const core::Finding*> by_fingerprint;
  for (const auto& finding : view.findings)
    by_fingerprint.emplace(finding.fingerprint, &finding);
  page.set("has_changes", true);
  page.set("changes_open",
           changes.added.size() + changes.resolved.size() + changes.severity_changed.size() <= 20);
  page.set("added_count", std::to_string(changes.added.size()));
  page.set("resolved_count", std::to_string(changes.resolved.size()));
  page.set("regraded_count", std::to_string(changes.severity_changed.size()));
  page.set("unchanged_count", std::to_string(changes.unchanged));
  auto more = [](std::size_t size) {
    return size > kChangesListed ? Data(std::to_string(size - kChangesListed)) : Data(false);
  };
  Data added = list();
  for (std::size_t i = 0; i < changes.added.size() && i < kChangesListed; ++i) {
    const core::Finding& finding = *by_fingerprint.at(changes.added[i]);
    Data item;
    item.set("severity", std::string(core::toString(finding.severity)));
    item.set("check", finding.check_id);
    item.set("fingerprint", finding.fingerprint);
    item.set("title", finding.title);
    added.push_back(item);
  }
  page.set("has_added", !changes.added.empty());
  page.set("added", added);
  page.set("added_more", more(changes.added.size()));
  auto change_list = [](const std::vector<FindingChange>& source) {
    Data out = list();
    for (std::size_t i = 0; i < source.size() && i < kChangesListed; ++i) {
      Data item;
      item.set("severity", std::string(core::toString(source[i].severity)));
      item.set("previous", source[i].previous_severity
                               ? Data(std::string(core::toString(*source[i].previous_severity)))
                               : Data(false));
      item.set("check", source[i].check_id);
      item.set("fingerprint", source[i].fingerprint);
      item.set("title", source[i].title);
      out.push_back(item);
    }
    return out;
  };
  page.set("has_resolved", !changes.resolved.empty());
  page.set("resolved", change_list(changes.resolved));
  page.set("resolved_more", more(changes.resolved.size()));
  page.set("has_regraded", !changes.severity_changed.empty());
  page.set("regraded", change_list(changes.severity_changed));
  page.set("regraded_more", more(changes.severity_changed.size()));
}

Data pageData(const ReportView& view, const std::string& csp) {
  Data page;
  page.set("csp", csp);
  page.set("style", std::string(detail::asset("report.css")));
  page.set("script", std::string(detail::asset("report.js")));
  page.set("scope", view.meta.scope.empty() ? "(unnamed scope)" : view.meta.scope);
  page.set("audited_at", view.meta.audited_at.empty() ? "(time not given)" : view.meta.audited_at);
  page.set("tool", view.tool_name + (view.tool_version.empty() ? "" : " " + view.tool_version));
  const auto& policy = view.meta.policy;
  page.set("policy_label", policy.is_null()     ? "none (the defaults)"
                           : policy.is_string() ? policy.get<std::string>()
                                                : "given (see Inputs and policy)");
  page.set("policy_text", policy.is_null() ? "No policy: every host port is checked against the defaults."
                          : policy.is_string()
                              ? policy.get<std::string>()
                              : policy.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
  page.set("input_count", std::to_string(view.inputs.size()));
  page.set("node_count", std::to_string(view.nodes.size()));
  page.set("total", std::to_string(view.findings.size()));
  page.set("suppressed", view.suppressed > 0 ? Data(std::to_string(view.suppressed)) : Data(false));
  page.set("no_findings", view.findings.empty());
  page.set("no_matrix", view.matrix.empty());
  page.set("matrix_html", std::string(kMatrixMarker));
  page.set("findings_html", std::string(kFindingsMarker));

  Data severities = list();
  for (auto severity : kSeverities) {
    const auto it = view.by_severity.find(severity);
    Data item;
    item.set("name", std::string(core::toString(severity)));
    item.set("count", std::to_string(it == view.by_severity.end() ? 0 : it->second));
    severities.push_back(item);
  }
  page.set("severities", severities);

  Data checks = list();
  std::set<std::string> listed;
  auto add_check = [&](const std::string& id, const std::string& description) {
    const auto it = view.by_check.find(id);
    Data item;
    item.set("id", id);
    item.set("description", description);
    item.set("count", std::to_string(it == view.by_check.end() ? 0 : it->second));
    checks.push_back(item);
    listed.insert(id);
  };
  for (const auto& info : detail::kCatalogue)
    add_check(std::string(info.id), std::string(info.description));
  for (const auto& [id, count] : view.by_check) {
    if (!listed.count(id)) add_check(id, "");
  }
  page.set("checks", checks);

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
  page.set("severity_options", severity_options);
  Data check_options = list();
  for (const auto& id : present_checks)
    check_options.push_back(id);
  page.set("check_options", check_options);
  Data namespace_options = list();
  for (const auto& name : namespaces) {
    Data item;
    item.set("value", name);
    item.set("label", name.empty() ? "(none)" : name);
    namespace_options.push_back(item);
  }
  page.set("namespace_options", namespace_options);

  page.set("has_warnings", !view.warnings.empty());
  Data warnings = list();
  for (const auto& warning : view.warnings) {
    Data item;
    item.set("text", warning);
    warnings.push_back(item);
  }
  page.set("warnings", warnings);
  Data inputs = list();
  for (const auto& input : view.inputs) {
    Data item;
    item.set("name", input.name);
    item.set("kind", input.kind);
    inputs.push_back(item);
  }
  page.set("inputs", inputs);
  Data nodes = list();
  for (const auto& node : view.nodes) {
    Data item;
    item.set("node", node.node);
    item.set("instance", node.instance_id.empty() ? "(not matched)" : node.instance_id);
    item.set("matched_by", node.method);
    nodes.push_back(item);
  }
  page.set("nodes", nodes);
  page.set("has_changes", false);
  if (view.changes) addChanges(view, page);
  return page;
}

}  // namespace

std::string renderHtml(const ReportView& view) {
  // Only the page's own style sheet and script, by hash; no other origin, no plugins, no forms, no framing
  // of other pages. 'unsafe-inline' is never allowed, so markup injected through a value could not run.
  static const std::string csp =
      "default-src 'none'; style-src " + detail::cspHash(detail::asset("report.css")) + "; script-src " +
      detail::cspHash(detail::asset("report.js")) + "; img-src data:; base-uri 'none'; form-action 'none'";
  Template page_template = compile("report.html.mustache");
  std::string page;
  renderInto(page_template, pageData(view, csp), page);
  const auto matrix_at = page.find(kMatrixMarker);
  const auto findings_at = page.find(kFindingsMarker);
  if (matrix_at == std::string::npos || findings_at == std::string::npos || findings_at < matrix_at)
    throw std::logic_error("report.html.mustache lost its matrix or findings marker");
  const std::string matrix = renderMatrix(view);
  const std::string findings = renderFindings(view);
  std::string out;
  out.reserve(page.size() + findings.size() + matrix.size());
  out.append(page, 0, matrix_at);
  out += matrix;
  out.append(page, matrix_at + kMatrixMarker.size(), findings_at - matrix_at - kMatrixMarker.size());
  out += findings;
  out.append(page, findings_at + kFindingsMarker.size(), std::string::npos);
  return out;
}

}  // namespace sgaudit::report
