#pragma once

// Remediation plans written as `gcloud compute firewall-rules` commands and Terraform
// (`google_compute_firewall`). A GCP rule belongs to a network and names its targets; a plan's group id says
// both (targets.hpp), so a new rule goes to the network and targets of the group it was planned into: a
// node pool's tags, never the whole network when the nodes have tags. Priorities: 0-65535, lower first, a
// deny winning a tie; the plan carries the one that outranks the deny it must beat.

#include <vector>

#include "sgaudit/core/finding.hpp"
#include "sgaudit/core/remediation.hpp"

namespace sgaudit::cloud::gcp {

// `gcloud compute firewall-rules create` (tool "gcloud", format "shell") and one `google_compute_firewall`
// (tool "terraform", format "hcl"), at the plan's priority. Empty when the plan has no sources or no ports.
std::vector<core::Fix> renderFixes(const core::AllowIngressPlan& plan);

// `gcloud compute firewall-rules update --source-ranges` with the narrower sources, or `delete` when there
// are none; Terraform: a comment naming the rule to change and its narrower `source_ranges`.
std::vector<core::Fix> renderFixes(const core::NarrowRulePlan& plan);

}  // namespace sgaudit::cloud::gcp
