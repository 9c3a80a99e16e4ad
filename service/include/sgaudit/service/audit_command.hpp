#pragma once

// `sgaudit audit`: read inputs, audit, write the result, and say by the exit code whether it passed.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "sgaudit/core/audit.hpp"
#include "sgaudit/core/finding.hpp"

namespace sgaudit::service {

struct AuditOptions {
  std::vector<std::filesystem::path> paths;
  std::optional<std::filesystem::path> policy;
  std::optional<std::filesystem::path> node_map;  // JSON {"node-name": "instance-id"}
  std::string format = "text";                    // text or json
  std::optional<std::filesystem::path> output;    // default: stdout
  core::Severity fail_on = core::Severity::Low;
  std::string today;  // YYYY-MM-DD; default: today's UTC date
  bool color = false;
};

inline constexpr int kAuditClean = 0;
inline constexpr int kAuditFindings = 1;
inline constexpr int kAuditBadInput = 2;

// Runs the whole command; messages go to stderr. Returns the exit code.
int runAuditCommand(const AuditOptions& options);

std::string renderAuditText(const core::AuditResult& result, bool color);

}  // namespace sgaudit::service
