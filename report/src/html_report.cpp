// The HTML report: kainjow mustache templates (embedded at build time) escape every value; the inline style
// and script are allowed by their SHA-256 in the page's Content-Security-Policy and nothing else runs.
#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <thread>
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
          cell["class"] = Data("st-none");
          cell["port"] = Data(false);
          cell["verdicts"] = Data(list());
          cell["conflict"] = Data(false);
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
          verdict["text"] = Data(look.text);
          verdict["sub"] = Data(optional(look.sub));
          verdicts.push_back(verdict);
          tooltip += (tooltip.empty() ? "" : "\n") + item->verdict.workload + " needs it from " +
                     joinLimited(item->verdict.required, 5) + ": " + item->verdict.status;
          if (internet.empty() || item->internet == InternetReach::Blocked)
            internet = toString(item->internet);
        }
        worst_in_row = std::max(worst_in_row, worst);
        conflict_in_row = conflict_in_row || conflict;
        cell["class"] = Data(std::string(classOf(worst)) + (conflict ? " has-conflict" : ""));
        cell["node"] = Data(node);
        cell["port"] = Data(portLabel(column.second, column.first));
        cell["internet"] = Data(internet);
        cell["tooltip"] = Data(tooltip);
        cell["verdicts"] = std::move(verdicts);
        cell["conflict"] = Data(conflict);
        cells.push_back(cell);
      }
      if (worst_in_row >= 2) ++problems;
      if (conflict_in_row) ++conflicts;
      Data row_data;
      row_data["node"] = Data(node);
      row_data["cells"] = std::move(cells);
      row_list.push_back(row_data);
    }
    group["open"] = Data(open);
    group["first"] = Data(first);
    group["last"] = last == first ? Data(false) : Data(last);
    group["count"] = Data(std::to_string(count));
    group["problems"] = Data(problems > 0 ? Data(std::to_string(problems)) : Data(false));
    group["conflicts"] = Data(conflicts > 0 ? Data(std::to_string(conflicts)) : Data(false));
    group["columns"] = Data(column_labels);
    group["rows"] = std::move(row_list);
    renderInto(tmpl, group, out);
  }
  return out;
}

// ---- findings ----

Data findingData(const core::Finding& finding, const std::string& change, bool open) {
  Data data;
  data["severity"] = Data(std::string(core::toString(finding.severity)));
  data["check"] = Data(finding.check_id);
  data["fingerprint"] = Data(finding.fingerprint);
  data["namespace"] = Data(optional(finding.namespace_name));
  data["node"] = Data(optional(finding.node));
  data["port"] = Data(finding.port && finding.protocol ? Data(portLabel(*finding.port, *finding.protocol))
                      : finding.port                   ? Data(std::to_string(*finding.port))
                                                       : Data(false));
  data["title"] = Data(finding.title);
  data["detail"] = Data(optional(finding.detail));
  data["change"] = Data(change);
  data["is_new"] = Data(change == "new");
  data["open"] = Data(open);
  data["suppressed"] = Data(finding.suppressed);
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
    item["title"] = Data(fix.title);
    item["format"] = Data(fix.format);
    item["content"] = Data(fix.content);
    fixes.push_back(item);
  }
  data["has_fixes"] = Data(!finding.fixes.empty());
  data["fixes"] = std::move(fixes);
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
  const bool groups_open = view.findings.size() <= kOpenGroups;
  const bool findings_open = view.findings.size() <= kOpenFindings;
  auto changeOf = [&](const core::Finding& finding) -> std::string {
    if (!view.changes) return {};
    return added.count(finding.fingerprint)      ? "new"
           : regraded.count(finding.fingerprint) ? "severity-changed"
                                                 : "unchanged";
  };

  // Each finding is rendered on its own, so large reports render on several threads; the pieces are joined
  // in order below, so the output does not depend on the thread count.
  std::vector<const core::Finding*> ordered;
  ordered.reserve(view.findings.size());
  for (const auto& check : order) {
    for (const core::Finding* finding : groups.at(check))
      ordered.push_back(finding);
  }
  std::vector<std::string> pieces(ordered.size());
  compile("finding.html.mustache");  // a broken template throws here, not on a worker
  auto render_range = [&](std::size_t begin, std::size_t end) {
    Template tmpl = compile("finding.html.mustache");
    for (std::size_t i = begin; i < end; ++i)
      renderInto(tmpl, findingData(*ordered[i], changeOf(*ordered[i]), findings_open), pieces[i]);
  };
  const std::size_t workers =
      ordered.size() < 2000 ? 1 : std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 4);
  std::vector<std::thread> threads;
  const std::size_t per_worker = (ordered.size() + workers - 1) / workers;
  for (std::size_t w = 1; w < workers; ++w)
    threads.emplace_back(render_range, std::min(ordered.size(), w * per_worker),
                         std::min(ordered.size(), (w + 1) * per_worker));
  render_range(0, std::min(ordered.size(), per_worker));
  for (auto& thread : threads)
    thread.join();

  std::size_t total = 0;
  for (const auto& piece : pieces)
    total += piece.size();
  std::string out;
  out.reserve(total + order.size() * 300 + ordered.size() / kChunk * 200);
  std::size_t next = 0;
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
      out += pieces[next++];
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

Data pageData(const ReportView& view, const std::string& csp) {
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

  Data severities = list();
  for (auto severity : kSeverities) {
    const auto it = view.by_severity.find(severity);
    Data item;
    item["name"] = Data(std::string(core::toString(severity)));
    item["count"] = Data(std::to_string(it == view.by_severity.end() ? 0 : it->second));
    severities.push_back(item);
  }
  page["severities"] = std::move(severities);

  Data checks = list();
  std::set<std::string> listed;
  auto add_check = [&](const std::string& id, const std::string& description) {
    const auto it = view.by_check.find(id);
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
