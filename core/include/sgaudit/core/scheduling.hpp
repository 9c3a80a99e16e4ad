#pragma once

// Where a pod may run, as the default scheduler's filters decide it for the parts that matter to host
// ports: node readiness and cordons, nodeSelector, required node affinity, taints and tolerations.

#include <string>

#include "sgaudit/core/kubernetes.hpp"

namespace sgaudit::core {

struct Eligibility {
  bool eligible = true;
  std::string
      reason;  // why not, in words: "node is cordoned", "taint dedicated=gpu:NoSchedule not tolerated"
};

bool matchesRequirement(const NodeSelectorRequirement& requirement, const Labels& labels);
// Terms are ORed; requirements inside a term ANDed; an empty term matches nothing.
bool matchesNodeAffinity(const std::vector<NodeSelectorTerm>& terms, const Node& node);
bool tolerates(const Toleration& toleration, const Taint& taint);

Eligibility checkEligibility(const PodSpec& spec, const Node& node);

}  // namespace sgaudit::core
