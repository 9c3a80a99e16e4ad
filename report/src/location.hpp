#pragma once

// Where a finding points in the inputs, shared by the renderers.

#include "sgaudit/core/finding.hpp"

namespace sgaudit::report::detail {

// The evidence that best locates a finding: a manifest with a line, then a manifest, then anything with a
// line, then anything with a file; nullptr when no evidence names a file.
inline const core::Evidence* primaryLocation(const core::Finding& finding) {
  const core::Evidence* best = nullptr;
  int best_rank = 0;
  for (const auto& evidence : finding.evidence) {
    if (evidence.source.file.empty()) continue;
    const int rank = (evidence.kind == "manifest" ? 2 : 0) + (evidence.source.line > 0 ? 1 : 0) + 1;
    if (rank > best_rank) {
      best = &evidence;
      best_rank = rank;
    }
  }
  return best;
}

inline std::string locationText(const core::Evidence& evidence) {
  return evidence.source.line > 0 ? evidence.source.file + ":" + std::to_string(evidence.source.line)
                                  : evidence.source.file;
}

}  // namespace sgaudit::report::detail
