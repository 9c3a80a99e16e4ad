#pragma once

// Remediation plans written as `openstack security group rule` commands and Terraform
// (`openstack_networking_secgroup_rule_v2`). A Neutron rule holds one port range and one remote, so every
// (range, source) pair is its own rule.

#include <vector>

#include "sgaudit/core/finding.hpp"
#include "sgaudit/core/remediation.hpp"

namespace sgaudit::cloud::openstack {

// `openstack security group rule create` commands (tool "openstack-cli", format "shell") and Terraform
// resources (tool "terraform", format "hcl"). Empty when the plan has no sources or no ports.
std::vector<core::Fix> renderFixes(const core::AllowIngressPlan& plan);

// Creates the narrower rules first, then `openstack security group rule delete <rule-id>`; Terraform: the new
// resources and a comment naming the one to delete.
std::vector<core::Fix> renderFixes(const core::NarrowRulePlan& plan);

}  // namespace sgaudit::cloud::openstack
