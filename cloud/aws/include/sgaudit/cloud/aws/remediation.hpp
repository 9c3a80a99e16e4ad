#pragma once

// Remediation plans written as AWS CLI commands and Terraform (`aws_vpc_security_group_ingress_rule`).

#include <vector>

#include "sgaudit/core/finding.hpp"
#include "sgaudit/core/remediation.hpp"

namespace sgaudit::cloud::aws {

// One `aws ec2 authorize-security-group-ingress` (tool "aws-cli", format "shell") holding one IpPermission
// per port range with every source of that range, and one Terraform resource per source per port range
// (tool "terraform", format "hcl"). Empty when the plan has no sources or no ports.
std::vector<core::Fix> renderFixes(const core::AllowIngressPlan& plan);

// Authorizes the narrower sources first, then revokes the rule (by --security-group-rule-ids for an sgr- id,
// else by its --ip-permissions), so that no wanted traffic is dropped in between; and the Terraform to add,
// with a comment naming the resource to delete.
std::vector<core::Fix> renderFixes(const core::NarrowRulePlan& plan);

}  // namespace sgaudit::cloud::aws
