#include "sgaudit/core/finding.hpp"

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include <nlohmann/json.hpp>

namespace sgaudit::core {
namespace {

// FNV-1a 64 over a length-prefixed encoding, twice with different offsets: a 128-bit digest is plenty to
// tell situations apart, and it needs no crypto library in the pure core.
std::uint64_t fnv1a(std::string_view bytes, std::uint64_t hash) {
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::string hex64(std::uint64_t value) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kHex[value & 0xF];
    value >>= 4;
  }
  return out;
}

}  // namespace

std::string_view toString(Severity severity) {
  switch (severity) {
    case Severity::Info:
      return "info";
    case Severity::Low:
      return "low";
    case Severity::Medium:
      return "medium";
    case Severity::High:
      return "high";
    case Severity::Critical:
      return "critical";
  }
  return "medium";
}

std::optional<Severity> parseSeverity(std::string_view text) {
  for (Severity s : {Severity::Info, Severity::Low, Severity::Medium, Severity::High, Severity::Critical}) {
    if (toString(s) == text) return s;
  }
  return std::nullopt;
}

std::string Subject::key() const {
  return namespace_name.empty() ? kind + "/" + name : kind + "/" + namespace_name + "/" + name;
}

FindingsDiff diffFingerprints(const std::vector<std::string_view>& current,
                              const std::vector<std::string_view>& previous) {
  FindingsDiff diff;
  std::unordered_map<std::string_view, std::size_t> before;
  for (std::size_t i = 0; i < previous.size(); ++i)
    before.try_emplace(previous[i], i);
  std::unordered_set<std::string_view> now;
  for (std::size_t i = 0; i < current.size(); ++i) {
    if (!now.insert(current[i]).second) continue;
    const auto found = before.find(current[i]);
    if (found == before.end()) {
      diff.added.push_back(i);
    } else {
      diff.unchanged.emplace_back(i, found->second);
    }
  }
  for (std::size_t i = 0; i < previous.size(); ++i) {
    if (now.count(previous[i]) == 0 && before.at(previous[i]) == i) diff.resolved.push_back(i);
  }
  return diff;
}

std::string fingerprintOf(std::string_view check_id, const std::vector<std::string>& identity) {
  std::string encoded;
  auto append = [&encoded](std::string_view part) {
    encoded += std::to_string(part.size());
    encoded += ':';
    encoded += part;
  };
  append(check_id);
  for (const auto& part : identity)
    append(part);
  return hex64(fnv1a(encoded, 0xcbf29ce484222325ULL)) + hex64(fnv1a(encoded, 0x84222325cbf29ce4ULL));
}

void sortFindings(std::vector<Finding>& findings) {
  std::sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
    return std::tuple(static_cast<int>(b.severity), a.check_id, a.fingerprint) <
           std::tuple(static_cast<int>(a.severity), b.check_id, b.fingerprint);
  });
}

void to_json(nlohmann::json& out, const Subject& subject) {
  out = {{"kind", subject.kind}, {"name", subject.name}};
  if (!subject.namespace_name.empty()) out["namespace"] = subject.namespace_name;
}

RuleRef ruleRefOf(const RuleOrigin& origin, const SecurityGroupRule* rule) {
  RuleRef ref{origin.provider,
              origin.group_id,
              origin.group_name,
              origin.rule_id,
              origin.key,
              origin.description,
              rule != nullptr ? toString(rule->action) : std::string()};
  if (rule != nullptr && rule->priority != 0) ref.priority = rule->priority;
  return ref;
}

Evidence nodeEvidence(std::string kind, std::string text, std::vector<std::string> nodes) {
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  Evidence evidence{std::move(kind), std::move(text), {}};
  evidence.nodes = std::move(nodes);
  return evidence;
}

namespace {

// Writes `nodes` as "nodes" up to the byte budget a finding's own list has, with "node_count" always and
// "nodes_truncated" when cut.
void putNodes(nlohmann::json& out, const std::vector<std::string>& nodes) {
  nlohmann::json names = nlohmann::json::array();
  std::size_t bytes = 0;
  for (const auto& node : nodes) {
    bytes += node.size() + 3;
    if (bytes > kNodeListBudget) break;
    names.push_back(node);
  }
  out["node_count"] = nodes.size();
  if (names.size() < nodes.size()) out["nodes_truncated"] = true;
  out["nodes"] = std::move(names);
}

}  // namespace

void to_json(nlohmann::json& out, const RuleRef& rule) {
  out = {{"provider", rule.provider}, {"group_id", rule.group_id}, {"key", rule.key}};
  if (!rule.group_name.empty()) out["group_name"] = rule.group_name;
  if (!rule.rule_id.empty()) out["rule_id"] = rule.rule_id;
  if (!rule.description.empty()) out["description"] = rule.description;
  if (!rule.action.empty()) out["action"] = rule.action;
  if (rule.priority) out["priority"] = *rule.priority;
}

void to_json(nlohmann::json& out, const Evidence& evidence) {
  out = {{"kind", evidence.kind}, {"text", evidence.text}};
  if (!evidence.source.file.empty()) out["file"] = evidence.source.file;
  if (evidence.source.line > 0) out["line"] = evidence.source.line;
  if (evidence.rule) out["rule"] = *evidence.rule;
  if (!evidence.addresses.empty()) out["addresses"] = evidence.addresses;
  if (!evidence.missing.empty()) out["missing"] = evidence.missing;
  if (!evidence.nodes.empty()) putNodes(out, evidence.nodes);
}

void to_json(nlohmann::json& out, const Fix& fix) {
  out = {{"tool", fix.tool}, {"title", fix.title}, {"format", fix.format}, {"content", fix.content}};
  if (fix.verified) out["verified"] = *fix.verified;
  if (!fix.verification.empty()) out["verification"] = fix.verification;
}

std::string nameList(const std::vector<std::string>& names, std::size_t limit) {
  std::string text;
  for (std::size_t i = 0; i < names.size() && i < limit; ++i)
    text += (i == 0 ? "" : ", ") + names[i];
  if (names.size() > limit) text += " and " + std::to_string(names.size() - limit) + " more";
  return text;
}

void setNodes(Finding& finding, std::vector<std::string> nodes) {
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  std::erase(nodes, std::string());
  finding.node = nodes.size() == 1 ? nodes.front() : std::string();
  finding.nodes = std::move(nodes);
}

void to_json(nlohmann::json& out, const Finding& finding) {
  out = {{"check", finding.check_id},    {"severity", toString(finding.severity)},
         {"title", finding.title},       {"detail", finding.detail},
         {"subjects", finding.subjects}, {"evidence", finding.evidence},
         {"fixes", finding.fixes},       {"fingerprint", finding.fingerprint}};
  if (!finding.namespace_name.empty()) out["namespace"] = finding.namespace_name;
  if (!finding.node.empty()) out["node"] = finding.node;
  if (!finding.nodes.empty()) putNodes(out, finding.nodes);
  if (!finding.fix_reach.empty()) out["fix_reach"] = finding.fix_reach;
  if (finding.protocol) out["protocol"] = toString(*finding.protocol);
  if (finding.port) out["port"] = *finding.port;
  if (finding.suppressed) out["suppressed"] = {{"reason", finding.suppression_reason}};
}

namespace {

// A JSON writer of objects whose keys are given in the order nlohmann's (sorted) objects keep them.
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  void begin() {
    out_ += '{';
    first_ = true;
  }
  void end() {
    out_ += '}';
    first_ = false;
  }
  void key(std::string_view name) {
    if (!first_) out_ += ',';
    first_ = false;
    out_ += '"';
    out_ += name;  // our own keys: nothing to escape
    out_ += "\":";
  }
  void string(std::string_view text) {
    // Text with no byte to escape (printable ASCII, no quote or backslash) is written as it is; any other is
    // written by nlohmann, so that escapes and the replacement of invalid UTF-8 are exactly its own.
    const bool plain = std::all_of(text.begin(), text.end(), [](char c) {
      const auto byte = static_cast<unsigned char>(c);
      return byte >= 0x20 && byte < 0x80 && c != '"' && c != '\\';
    });
    if (plain) {
      out_ += '"';
      out_ += text;
      out_ += '"';
    } else {
      out_ +=
          nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  }
  void member(std::string_view name, std::string_view text) {
    key(name);
    string(text);
  }
  // A member written only when its text is not empty (as to_json leaves an empty one out).
  void memberIfSet(std::string_view name, std::string_view text) {
    if (!text.empty()) member(name, text);
  }
  // The same for a number, a flag and a list of texts: written when set (a list when not empty).
  void memberIfSet(std::string_view name, const std::optional<int>& value) {
    if (!value) return;
    key(name);
    number(*value);
  }
  void memberIfSet(std::string_view name, const std::optional<bool>& value) {
    if (!value) return;
    key(name);
    boolean(*value);
  }
  void memberIfSet(std::string_view name, const std::vector<std::string>& texts) {
    if (texts.empty()) return;
    key(name);
    strings(texts);
  }
  void strings(const std::vector<std::string>& texts) {
    out_ += '[';
    for (std::size_t i = 0; i < texts.size(); ++i) {
      if (i > 0) out_ += ',';
      string(texts[i]);
    }
    out_ += ']';
  }
  void number(long long value) { out_ += std::to_string(value); }
  void unsignedNumber(std::size_t value) { out_ += std::to_string(value); }
  void boolean(bool value) { out_ += value ? "true" : "false"; }
  // Items of an array, each written by `write`.
  template <class Items, class Write>
  void array(const Items& items, Write&& write) {
    out_ += '[';
    bool first = true;
    for (const auto& item : items) {
      if (!first) out_ += ',';
      first = false;
      write(item);
    }
    out_ += ']';
    first_ = false;
  }

 private:
  std::string& out_;
  bool first_ = true;
};

// "node_count", "nodes" and "nodes_truncated" as putNodes writes them, each where its key sorts: the writer
// calls `before_nodes` between "node_count" and "nodes" (an evidence item has nothing there, a finding too).
void writeNodes(JsonWriter& json, const std::vector<std::string>& nodes) {
  std::size_t listed = 0;
  std::size_t bytes = 0;
  for (const auto& node : nodes) {
    bytes += node.size() + 3;
    if (bytes > kNodeListBudget) break;
    ++listed;
  }
  json.key("node_count");
  json.unsignedNumber(nodes.size());
  json.key("nodes");
  json.array(std::span(nodes.data(), listed), [&](const std::string& node) { json.string(node); });
  if (listed < nodes.size()) {
    json.key("nodes_truncated");
    json.boolean(true);
  }
}

void writeRule(JsonWriter& json, const RuleRef& rule) {
  json.begin();
  json.memberIfSet("action", rule.action);
  json.memberIfSet("description", rule.description);
  json.member("group_id", rule.group_id);
  json.memberIfSet("group_name", rule.group_name);
  json.member("key", rule.key);
  json.memberIfSet("priority", rule.priority);
  json.member("provider", rule.provider);
  json.memberIfSet("rule_id", rule.rule_id);
  json.end();
}

void writeEvidence(JsonWriter& json, const Evidence& evidence) {
  json.begin();
  json.memberIfSet("addresses", evidence.addresses);
  json.memberIfSet("file", evidence.source.file);
  json.member("kind", evidence.kind);
  if (evidence.source.line > 0) {
    json.key("line");
    json.number(evidence.source.line);
  }
  json.memberIfSet("missing", evidence.missing);
  if (!evidence.nodes.empty()) writeNodes(json, evidence.nodes);
  if (evidence.rule) {
    json.key("rule");
    writeRule(json, *evidence.rule);
  }
  json.member("text", evidence.text);
  json.end();
}

void writeFix(JsonWriter& json, const Fix& fix) {
  json.begin();
  json.member("content", fix.content);
  json.member("format", fix.format);
  json.member("title", fix.title);
  json.member("tool", fix.tool);
  json.memberIfSet("verification", fix.verification);
  json.memberIfSet("verified", fix.verified);
  json.end();
}

void writeSubject(JsonWriter& json, const Subject& subject) {
  json.begin();
  json.member("kind", subject.kind);
  json.member("name", subject.name);
  json.memberIfSet("namespace", subject.namespace_name);
  json.end();
}

}  // namespace

void appendJson(std::string& out, const Finding& finding) {
  JsonWriter json(out);
  json.begin();
  json.member("check", finding.check_id);
  json.member("detail", finding.detail);
  json.key("evidence");
  json.array(finding.evidence, [&](const Evidence& evidence) { writeEvidence(json, evidence); });
  json.member("fingerprint", finding.fingerprint);
  json.memberIfSet("fix_reach", finding.fix_reach);
  json.key("fixes");
  json.array(finding.fixes, [&](const Fix& fix) { writeFix(json, fix); });
  json.memberIfSet("namespace", finding.namespace_name);
  json.memberIfSet("node", finding.node);
  if (!finding.nodes.empty()) writeNodes(json, finding.nodes);
  json.memberIfSet("port", finding.port);
  if (finding.protocol) json.member("protocol", toString(*finding.protocol));
  json.member("severity", toString(finding.severity));
  json.key("subjects");
  json.array(finding.subjects, [&](const Subject& subject) { writeSubject(json, subject); });
  if (finding.suppressed) {
    json.key("suppressed");
    json.begin();
    json.member("reason", finding.suppression_reason);
    json.end();
  }
  json.member("title", finding.title);
  json.end();
}

}  // namespace sgaudit::core
