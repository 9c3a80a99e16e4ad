#pragma once

// The findings view every renderer draws from. It is built from the audit's JSON document (exactly what
// `sgaudit audit --format json` prints and what the REST API stores), so a stored audit can be rendered again
// later without the inputs, plus what the document does not carry: the scope, the time, the policy, and
// optionally the previous audit for "what changed".

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sgaudit/core/audit.hpp"
#include "sgaudit/core/finding.hpp"
#include "sgaudit/core/result.hpp"

namespace sgaudit::report {

struct ReportMeta {
  std::string scope;       // what was audited: a cluster, a project, "cce-seed"
  std::string audited_at;  // shown as given, e.g. "2026-11-25T10:00:00Z"; the report never reads the clock
  nlohmann::json policy;   // the policy document, or a string naming it; null when none was used
  std::optional<nlohmann::json> previous;  // the previous audit's JSON document, for "what changed"
};

struct InputRef {
  std::string name;  // the file as the audit named it ("cce-seed/deployment.yaml")
  std::string kind;  // what it was recognised as ("kubernetes.manifest")
};

// How a matrix cell looks from the public internet, when its required sources include public addresses.
enum class InternetReach {
  NotRequired,  // the required sources are all private: the cell says nothing about the internet
  Open,         // every required public address is admitted
  Blocked,      // no required public address is admitted (private sources may be)
  Partial,      // some public addresses are admitted, some are not
  Unknown,      // the firewall is unknown, or the audit did not list what is missing
};

struct MatrixCell {
  core::PortVerdict verdict;
  InternetReach internet = InternetReach::NotRequired;
  bool conflict = false;    // a hostport.conflict finding names this node, port and protocol
  bool suppressed = false;  // findings name this node, port and protocol, and every one is suppressed
  // A cell made from a finding about a port the audit judged no workload's requirement on (a sensitive port
  // the node itself listens on, a reserved port): the finding's check and severity; empty for a verdict.
  std::string check_id;
  core::Severity severity = core::Severity::Info;
};

// A finding that disappeared since the previous audit, or one whose severity changed.
struct FindingChange {
  std::string fingerprint;
  std::string check_id;
  core::Severity severity = core::Severity::Medium;
  std::optional<core::Severity> previous_severity;  // set for a severity change
  std::string title;
};

struct ChangeSet {
  std::vector<std::string> added;       // fingerprints new in this audit, in report order
  std::vector<FindingChange> resolved;  // in the previous audit, not in this one
  std::vector<FindingChange> severity_changed;
  std::size_t unchanged = 0;
};

struct ReportView {
  ReportMeta meta;
  std::string tool_name = "sgaudit";
  std::string tool_version;
  std::vector<core::Finding> findings;  // in the document's order (severity, check, fingerprint)
  std::vector<MatrixCell> matrix;
  std::vector<core::NodeInstance> nodes;
  std::vector<InputRef> inputs;
  std::vector<std::string> warnings;

  // Counted here from the findings, suppressed ones apart (as the audit's own summary does).
  std::map<core::Severity, std::size_t> by_severity;
  std::map<std::string, std::size_t> by_check;
  std::size_t suppressed = 0;

  std::optional<ChangeSet> changes;  // set when meta.previous was given
};

// Reads the audit document. Errors name the JSON pointer of the first bad value ("/findings/3/severity:
// expected one of info, low, medium, high, critical"); errors in the previous audit start with
// "previous audit: ".
core::Result<ReportView> reportViewFromJson(const nlohmann::json& audit, ReportMeta meta);

const char* toString(InternetReach reach);

}  // namespace sgaudit::report
