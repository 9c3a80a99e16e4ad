#pragma once

// `sgaudit audit`: read inputs, audit, write the result, and say by the exit code whether it passed.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sgaudit/core/audit.hpp"
#include "sgaudit/core/finding.hpp"

namespace sgaudit::service {

struct AuditOptions {
  std::vector<std::filesystem::path> paths;
  std::optional<std::filesystem::path> policy;
  std::optional<std::filesystem::path> node_map;  // JSON {"node-name": "instance-id"}
  std::string format = "text";                    // text, json, html, sarif or csv
  std::optional<std::filesystem::path> output;    // default: stdout
  core::Severity fail_on = core::Severity::Low;
  std::string today;  // YYYY-MM-DD; default: today's UTC date
  bool color = false;
  bool verify_fixes = true;  // prove every fix by a re-audit (--no-verify-fixes skips it: faster, unproven)
  std::size_t max_objects = 1000000;  // Kubernetes objects all inputs may hold (--max-objects)
  std::size_t max_document_bytes = std::size_t{64} << 20;  // a document read whole (--max-document-bytes)
  bool timings = false;  // each step's wall time and the peak memory on stderr (--timings)
};

inline constexpr int kAuditClean = 0;
inline constexpr int kAuditFindings = 1;
inline constexpr int kAuditBadInput = 2;

// Runs the whole command; messages go to stderr. Returns the exit code.
int runAuditCommand(const AuditOptions& options);

std::string renderAuditText(const core::AuditResult& result, bool color);

}  // namespace sgaudit::service
