#include "sgaudit/report/view.hpp"

#include <optional>
#include <set>
#include <string_view>
#include <tuple>
#include <unordered_map>

#include "sgaudit/core/address.hpp"

namespace sgaudit::report {
namespace {

using json = nlohmann::json;

// Thrown inside this file only, and turned into a core::Error at the boundary.
struct BadValue {
  std::string pointer;
  std::string message;
};

std::string escapePointerToken(std::string_view token) {
  std::string out;
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string child(const std::string& pointer, std::string_view key) {
  return pointer + "/" + escapePointerToken(key);
}

std::string child(const std::string& pointer, std::size_t index) {
  return pointer + "/" + std::to_string(index);
}

const char* typeName(const json& value) {
  return value.is_null() ? "null" : value.type_name();
}

const json& requireObject(const json& value, const std::string& pointer) {
  if (!value.is_object()) throw BadValue{pointer, std::string("expected an object, got ") + typeName(value)};
  return value;
}

const json* member(const json& object, std::string_view key) {
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::string requireString(const json& object, std::string_view key, const std::string& pointer) {
  const json* value = member(object, key);
  if (value == nullptr) throw BadValue{pointer, "missing \"" + std::string(key) + "\""};
  if (!value->is_string()) {
    throw BadValue{child(pointer, key), std::string("expected a string, got ") + typeName(*value)};
  }
  return value->get<std::string>();
}

std::string optionalString(const json& object, std::string_view key, const std::string& pointer) {
  const json* value = member(object, key);
  if (value == nullptr || value->is_null()) return {};
  if (!value->is_string()) {
    throw BadValue{child(pointer, key), std::string("expected a string, got ") + typeName(*value)};
  }
  return value->get<std::string>();
}

std::optional<long long> optionalInteger(const json& object, std::string_view key, const std::string& pointer,
                                         long long min, long long max) {
  const json* value = member(object, key);
  if (value == nullptr || value->is_null()) return std::nullopt;
  if (!value->is_number_integer()) {
    throw BadValue{child(pointer, key), std::string("expected an integer, got ") + typeName(*value)};
  }
  const auto number = value->get<long long>();
  if (number < min || number > max) {
    throw BadValue{child(pointer, key), "expected an integer from " + std::to_string(min) + " to " +
                                            std::to_string(max) + ", got " + std::to_string(number)};
  }
  return number;
}

// An optional array member: each element is handed to `each` with its pointer.
template <class Each>
void forEachIn(const json& object, std::string_view key, const std::string& pointer, Each&& each) {
  const json* value = member(object, key);
  if (value == nullptr || value->is_null()) return;
  const std::string here = child(pointer, key);
  if (!value->is_array()) throw BadValue{here, std::string("expected an array, got ") + typeName(*value)};
  for (std::size_t i = 0; i < value->size(); ++i)
    each((*value)[i], child(here, i));
}

// An optional array of strings.
void stringsIn(const json& object, std::string_view key, const std::string& pointer,
               std::vector<std::string>& out) {
  forEachIn(object, key, pointer, [&](const json& item, const std::string& at) {
    if (!item.is_string()) throw BadValue{at, std::string("expected a string, got ") + typeName(item)};
    out.push_back(item.get<std::string>());
  });
}

core::Severity parseSeverityAt(const json& object, const std::string& pointer) {
  const std::string text = requireString(object, "severity", pointer);
  const auto severity = core::parseSeverity(text);
  if (!severity) {
    throw BadValue{child(pointer, "severity"),
                   "expected one of info, low, medium, high, critical, got \"" + text + "\""};
  }
  return *severity;
}

std::optional<core::PortProtocol> parseProtocolAt(const json& object, const std::string& pointer,
                                                  bool required) {
  const std::string text =
      required ? requireString(object, "protocol", pointer) : optionalString(object, "protocol", pointer);
  if (text.empty() && !required) return std::nullopt;
  for (auto protocol : {core::PortProtocol::Tcp, core::PortProtocol::Udp, core::PortProtocol::Sctp}) {
    if (text == core::toString(protocol)) return protocol;
  }
  throw BadValue{child(pointer, "protocol"), "expected one of TCP, UDP, SCTP, got \"" + text + "\""};
}

core::Finding parseFinding(const json& value, const std::string& pointer) {
  requireObject(value, pointer);
  core::Finding finding;
  finding.check_id = requireString(value, "check", pointer);
  finding.severity = parseSeverityAt(value, pointer);
  finding.title = requireString(value, "title", pointer);
  finding.detail = optionalString(value, "detail", pointer);
  finding.fingerprint = requireString(value, "fingerprint", pointer);
  finding.namespace_name = optionalString(value, "namespace", pointer);
  finding.node = optionalString(value, "node", pointer);
  forEachIn(value, "nodes", pointer, [&](const json& item, const std::string& at) {
    if (!item.is_string()) throw BadValue{at, std::string("expected a node name, got ") + typeName(item)};
    finding.nodes.push_back(item.get<std::string>());
  });
  if (finding.nodes.empty() && !finding.node.empty()) finding.nodes.push_back(finding.node);
  if (const auto count = optionalInteger(value, "node_count", pointer, 0, 1LL << 40);
      count && *count > static_cast<long long>(finding.nodes.size())) {
    finding.nodes_left_out = static_cast<std::size_t>(*count) - finding.nodes.size();
  }
  forEachIn(value, "fix_reach", pointer, [&](const json& item, const std::string& at) {
    if (!item.is_string()) throw BadValue{at, std::string("expected a string, got ") + typeName(item)};
    finding.fix_reach.push_back(item.get<std::string>());
  });
  finding.protocol = parseProtocolAt(value, pointer, false);
  if (const auto port = optionalInteger(value, "port", pointer, 0, 65535))
    finding.port = static_cast<int>(*port);
  forEachIn(value, "subjects", pointer, [&](const json& item, const std::string& at) {
    requireObject(item, at);
    finding.subjects.push_back({requireString(item, "kind", at), optionalString(item, "namespace", at),
                                requireString(item, "name", at)});
  });
  forEachIn(value, "evidence", pointer, [&](const json& item, const std::string& at) {
    requireObject(item, at);
    core::Evidence evidence;
    evidence.kind = requireString(item, "kind", at);
    evidence.text = requireString(item, "text", at);
    evidence.source.file = optionalString(item, "file", at);
    evidence.source.line = static_cast<int>(optionalInteger(item, "line", at, 0, 1LL << 30).value_or(0));
    if (const json* rule = member(item, "rule"); rule != nullptr && !rule->is_null()) {
      const std::string rule_at = child(at, "rule");
      requireObject(*rule, rule_at);
      core::RuleRef ref{
          requireString(*rule, "provider", rule_at),    requireString(*rule, "group_id", rule_at),
          optionalString(*rule, "group_name", rule_at), optionalString(*rule, "rule_id", rule_at),
          requireString(*rule, "key", rule_at),         optionalString(*rule, "description", rule_at),
          optionalString(*rule, "action", rule_at)};
      if (const auto priority = optionalInteger(*rule, "priority", rule_at, -(1LL << 31), (1LL << 31) - 1))
        ref.priority = static_cast<int>(*priority);
      evidence.rule = std::move(ref);
    }
    stringsIn(item, "addresses", at, evidence.addresses);
    stringsIn(item, "missing", at, evidence.missing);
    stringsIn(item, "nodes", at, evidence.nodes);
    finding.evidence.push_back(std::move(evidence));
  });
  forEachIn(value, "fixes", pointer, [&](const json& item, const std::string& at) {
    requireObject(item, at);
    core::Fix fix{requireString(item, "tool", at), optionalString(item, "title", at),
                  optionalString(item, "format", at), requireString(item, "content", at)};
    if (const json* verified = member(item, "verified"); verified != nullptr && !verified->is_null()) {
      if (!verified->is_boolean())
        throw BadValue{child(at, "verified"), std::string("expected a boolean, got ") + typeName(*verified)};
      fix.verified = verified->get<bool>();
    }
    fix.verification = optionalString(item, "verification", at);
    finding.fixes.push_back(std::move(fix));
  });
  if (const json* suppressed = member(value, "suppressed"); suppressed != nullptr && !suppressed->is_null()) {
    const std::string at = child(pointer, "suppressed");
    requireObject(*suppressed, at);
    finding.suppressed = true;
    finding.suppression_reason = optionalString(*suppressed, "reason", at);
  }
  return finding;
}

std::vector<core::Finding> parseFindings(const json& audit) {
  const json* findings = member(audit, "findings");
  if (findings == nullptr) throw BadValue{"", "missing \"findings\""};
  std::vector<core::Finding> out;
  forEachIn(audit, "findings", "",
            [&](const json& item, const std::string& at) { out.push_back(parseFinding(item, at)); });
  return out;
}

using CellKey = std::tuple<std::string, int, core::PortProtocol>;

// From the cell's own data: what is required, and what of it is not admitted.
InternetReach internetReach(const core::PortVerdict& verdict, const core::AddressSet& required,
                            const std::optional<core::AddressSet>& missing) {
  const core::AddressSet public_required = required.subtract(core::nonPublicSpace());
  if (public_required.empty()) return InternetReach::NotRequired;
  if (verdict.status == "open") return InternetReach::Open;
  if (verdict.status == "blocked") return InternetReach::Blocked;
  if (verdict.status != "partial" || !missing) return InternetReach::Unknown;
  if (missing->contains(public_required)) return InternetReach::Blocked;
  if (!missing->intersects(public_required)) return InternetReach::Open;
  return InternetReach::Partial;
}

std::vector<MatrixCell> parseMatrix(const json& audit, const std::vector<core::Finding>& findings) {
  // Each list once, shared by the cells that name it, and parsed once (the first time a cell names it).
  std::vector<core::CidrList> sets;
  std::vector<std::optional<core::AddressSet>> parsed_sets;
  forEachIn(audit, "address_sets", "", [&](const json& list, const std::string& at) {
    std::vector<std::string> set;
    if (!list.is_array()) throw BadValue{at, std::string("expected an array, got ") + typeName(list)};
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (!list[i].is_string())
        throw BadValue{child(at, i), std::string("expected a string, got ") + typeName(list[i])};
      set.push_back(list[i].get<std::string>());
    }
    sets.emplace_back(std::move(set));
  });
  parsed_sets.resize(sets.size());
  std::set<CellKey> conflicts;
  // Per node, port and protocol: how many findings name it, and how many of those are suppressed.
  std::map<CellKey, std::pair<int, int>> named;
  for (const auto& finding : findings) {
    if (!finding.port || !finding.protocol) continue;
    for (const auto& node : finding.nodes) {
      auto& [count, suppressed] = named[{node, *finding.port, *finding.protocol}];
      ++count;
      if (finding.suppressed) ++suppressed;
    }
    if (finding.check_id != core::check::kHostPortConflict) continue;
    for (const auto& node : finding.nodes)
      conflicts.emplace(node, *finding.port, *finding.protocol);
  }
  auto allSuppressed = [&](const CellKey& key) {
    const auto found = named.find(key);
    return found != named.end() && found->second.first == found->second.second;
  };
  std::vector<MatrixCell> cells;
  forEachIn(audit, "matrix", "", [&](const json& item, const std::string& at) {
    requireObject(item, at);
    MatrixCell cell;
    auto& verdict = cell.verdict;
    verdict.node = requireString(item, "node", at);
    verdict.port = static_cast<int>(optionalInteger(item, "port", at, 0, 65535).value_or(0));
    verdict.protocol = *parseProtocolAt(item, at, true);
    verdict.workload = optionalString(item, "workload", at);
    verdict.status = requireString(item, "status", at);
    // A list is given inline ("required", "missing": stored audits of earlier versions) or by index into the
    // document's "address_sets".
    // The list and its addresses; none when the cell has neither.
    auto cidrList = [&](std::string_view key, core::CidrList& out) -> std::optional<core::AddressSet> {
      const json* value = member(item, key);
      auto parse = [&](const core::CidrList& list) {
        auto parsed = core::AddressSet::parse(list);
        if (!parsed) throw BadValue{child(at, key), parsed.error().message};
        return *parsed;
      };
      if (value == nullptr || value->is_null()) {
        const std::string set_key = std::string(key) + "_set";
        const auto index = optionalInteger(item, set_key, at, 0, 1LL << 40);
        if (!index) return std::nullopt;
        if (*index >= static_cast<long long>(sets.size()))
          throw BadValue{child(at, set_key),
                         "expected an index into /address_sets, got " + std::to_string(*index)};
        const auto i = static_cast<std::size_t>(*index);
        out = sets[i];
        if (!parsed_sets[i]) parsed_sets[i] = parse(out);
        return parsed_sets[i];
      }
      std::vector<std::string> cidrs;
      forEachIn(item, key, at, [&](const json& cidr, const std::string& cidr_at) {
        if (!cidr.is_string())
          throw BadValue{cidr_at, std::string("expected a string, got ") + typeName(cidr)};
        cidrs.push_back(cidr.get<std::string>());
      });
      out = std::move(cidrs);
      return parse(out);
    };
    const core::AddressSet required = cidrList("required", verdict.required).value_or(core::AddressSet{});
    const std::optional<core::AddressSet> missing = cidrList("missing", verdict.missing);
    cell.internet = internetReach(verdict, required, missing);
    cell.conflict = conflicts.count({verdict.node, verdict.port, verdict.protocol}) > 0;
    cell.suppressed = allSuppressed({verdict.node, verdict.port, verdict.protocol});
    cells.push_back(std::move(cell));
  });
  // Every port a finding is about has a cell: one the audit gave no verdict for (SSH open to the internet on
  // a node, a host port the node reserves) gets one per finding, active before suppressed.
  std::set<CellKey> judged;
  for (const auto& cell : cells)
    judged.emplace(cell.verdict.node, cell.verdict.port, cell.verdict.protocol);
  std::vector<MatrixCell> from_findings;
  for (const auto& finding : findings) {
    if (!finding.port || !finding.protocol || finding.check_id == core::check::kHostPortConflict) continue;
    for (const auto& node : finding.nodes) {
      if (judged.count({node, *finding.port, *finding.protocol}) > 0) continue;
      MatrixCell cell;
      cell.verdict.node = node;
      cell.verdict.port = *finding.port;
      cell.verdict.protocol = *finding.protocol;
      cell.verdict.status = "finding";
      cell.internet = finding.check_id == core::check::kSensitivePortExposed ? InternetReach::Open
                                                                             : InternetReach::NotRequired;
      cell.suppressed = finding.suppressed;
      cell.check_id = finding.check_id;
      cell.severity = finding.severity;
      from_findings.push_back(std::move(cell));
    }
  }
  std::stable_partition(from_findings.begin(), from_findings.end(),
                        [](const MatrixCell& cell) { return !cell.suppressed; });
  cells.insert(cells.end(), std::make_move_iterator(from_findings.begin()),
               std::make_move_iterator(from_findings.end()));
  return cells;
}

ChangeSet compareWith(const std::vector<core::Finding>& current, const std::vector<core::Finding>& previous) {
  ChangeSet changes;
  const core::FindingsDiff diff = core::diffFindings(
      current, previous,
      [](const core::Finding& finding) -> const std::string& { return finding.fingerprint; });
  for (const std::size_t i : diff.added)
    changes.added.push_back(current[i].fingerprint);
  for (const auto& [i, j] : diff.unchanged) {
    const core::Finding& finding = current[i];
    if (previous[j].severity != finding.severity) {
      changes.severity_changed.push_back(
          {finding.fingerprint, finding.check_id, finding.severity, previous[j].severity, finding.title});
    } else {
      ++changes.unchanged;
    }
  }
  for (const std::size_t j : diff.resolved) {
    const core::Finding& finding = previous[j];
    changes.resolved.push_back({finding.fingerprint, finding.check_id, finding.severity, {}, finding.title});
  }
  return changes;
}

ReportView parseView(const json& audit, ReportMeta meta) {
  requireObject(audit, "");
  ReportView view;
  view.findings = parseFindings(audit);
  view.matrix = parseMatrix(audit, view.findings);
  forEachIn(audit, "nodes", "", [&](const json& item, const std::string& at) {
    requireObject(item, at);
    view.nodes.push_back({requireString(item, "node", at), optionalString(item, "instance", at),
                          optionalString(item, "matched_by", at)});
  });
  forEachIn(audit, "inputs", "", [&](const json& item, const std::string& at) {
    requireObject(item, at);
    view.inputs.push_back({requireString(item, "name", at), optionalString(item, "kind", at)});
  });
  forEachIn(audit, "warnings", "", [&](const json& item, const std::string& at) {
    if (!item.is_string()) throw BadValue{at, std::string("expected a string, got ") + typeName(item)};
    view.warnings.push_back(item.get<std::string>());
  });
  if (const json* tool = member(audit, "tool"); tool != nullptr && !tool->is_null()) {
    requireObject(*tool, "/tool");
    if (auto name = optionalString(*tool, "name", "/tool"); !name.empty()) view.tool_name = std::move(name);
    view.tool_version = optionalString(*tool, "version", "/tool");
  }
  for (const auto& finding : view.findings) {
    if (finding.suppressed) {
      ++view.suppressed;
      continue;
    }
    ++view.by_severity[finding.severity];
    ++view.by_check[finding.check_id];
  }
  if (meta.previous) {
    std::vector<core::Finding> previous;
    try {
      requireObject(*meta.previous, "");
      previous = parseFindings(*meta.previous);
    } catch (BadValue& bad) {
      bad.message = "previous audit: " + (bad.pointer.empty() ? "" : bad.pointer + ": ") + bad.message;
      bad.pointer.clear();
      throw;
    }
    view.changes = compareWith(view.findings, previous);
  }
  view.meta = std::move(meta);
  return view;
}

}  // namespace

core::Result<ReportView> reportViewFromJson(const nlohmann::json& audit, ReportMeta meta) {
  try {
    return parseView(audit, std::move(meta));
  } catch (const BadValue& bad) {
    return core::Error{bad.pointer.empty() ? bad.message : bad.pointer + ": " + bad.message};
  } catch (const json::exception& error) {
    return core::Error{std::string("malformed audit document: ") + error.what()};
  }
}

const char* toString(InternetReach reach) {
  switch (reach) {
    case InternetReach::NotRequired:
      return "not-required";
    case InternetReach::Open:
      return "open";
    case InternetReach::Blocked:
      return "blocked";
    case InternetReach::Partial:
      return "partial";
    case InternetReach::Unknown:
      return "unknown";
  }
  return "unknown";
}

}  // namespace sgaudit::report
